import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import { RunEndSchema, RunStartSchema } from '../../lambdas/core/events.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { DEMO_MONTH, DEMO_SEED, generateMonth } from '../../lambdas/demo/generate-month.ts';
import { eventLines, LAMBDA_CONSOLE_LINE, median, runsOf, scheduledOf, type DemoRun } from './demo-runs.ts';

const month = generateMonth({ month: DEMO_MONTH });
const JOBS = ['nightly-backup', 'hourly-sync', 'daily-report', 'invoice-export', 'cache-warmer'];

describe('generateMonth', () => {
  it('gives the same month for the same seed, and another for another seed', () => {
    // Prepare
    const again = () => generateMonth({ month: DEMO_MONTH, seed: DEMO_SEED });

    // Act
    const first = again();
    const second = again();
    const other = generateMonth({ month: DEMO_MONTH, seed: DEMO_SEED + 1 });

    // Assess
    expect(second).toEqual(first);
    expect(first).toEqual(month);
    expect(other.logGroups[0].events[0]).not.toEqual(first.logGroups[0].events[0]);
    expect(other.logGroups.flatMap((g) => g.events.map((e) => e.timestamp))).not.toEqual(first.logGroups.flatMap((g) => g.events.map((e) => e.timestamp)));
    expect(other.planted).toEqual(first.planted);
  });

  it('comes with a config that validateConfig accepts, naming every job and its log group', () => {
    // Act
    const config = validateConfig(month.config, 'demo config');

    // Assess
    expect(Object.keys(config.jobs).sort()).toEqual([...JOBS].sort());
    expect(config.jobs['nightly-backup']).toEqual({
      schedule: '30 2 * * *',
      timezone: 'Europe/Berlin',
      grace_minutes: 20,
      max_runtime_minutes: 90,
      expect_pattern: 'uploaded \\d+ objects',
      owner: 'data-platform@example.com',
    });
    expect(config.jobs['daily-report'].schedule).toBe('0 7 * * 1-5');
    expect(config.deploy.log_groups).toEqual(['/jobs/nightly-backup', '/jobs/hourly-sync', '/aws/lambda/daily-report', '/aws/lambda/invoice-export', '/aws/lambda/cache-warmer']);
    expect(config.defaults.min_history).toBe(5);
  });

  it('writes every run.start and run.end as valid contract JSON, in both the Lambda console and the bare form', () => {
    // Act
    const starts = eventLines(month, 'run.start');
    const ends = eventLines(month, 'run.end');

    // Assess
    expect(starts).toHaveLength(3_803);
    expect(ends).toHaveLength(3_803);
    for (const line of starts) expect(RunStartSchema.safeParse(line.body).success).toBe(true);
    for (const line of ends) {
      const parsed = RunEndSchema.safeParse(line.body);
      expect(parsed.success, JSON.stringify(line.body).slice(0, 200)).toBe(true);
      const b = line.body as Record<string, unknown>;
      expect(typeof b.ts).toBe('string');
      expect(Number.isInteger(b.exit_code)).toBe(true);
      expect(typeof b.host).toBe('string');
      expect(Buffer.byteLength(b.output_head as string)).toBeLessThanOrEqual(2048);
      expect(Buffer.byteLength(b.output_tail as string)).toBeLessThanOrEqual(2048);
      if ((b.output_bytes as number) <= 2048) expect(b.output_head).toBe(b.output_tail);
      expect(Buffer.byteLength(b.output_head as string)).toBe(Math.min(2048, b.output_bytes as number));
      const ts = Date.parse(b.ts as string);
      expect(line.timestamp - ts).toBeGreaterThanOrEqual(0);
      expect(line.timestamp - ts).toBeLessThanOrEqual(5);
      if (line.prefixTime !== undefined) expect(line.prefixTime).toBe(ts);
    }
    const forms = new Set(ends.map((l) => l.stream.format));
    expect([...forms].sort()).toEqual(['json-lines', 'lambda-console']);
  });

  it('writes lines the project parser reads as our events', () => {
    // Prepare
    const lines = month.logGroups.flatMap((g) => g.events.filter((e) => e.message.includes('"type":"run.')).map((e) => ({ g, e })));

    // Act
    const outcomes = lines.map(({ g, e }) => parseLine(e.message, { source: { origin: g.logGroup, logStream: g.logStream }, recordTime: e.timestamp }));

    // Assess
    expect(outcomes.filter((o) => o.kind !== 'events')).toEqual([]);
    expect(outcomes).toHaveLength(2 * 3_803);
  });

  it('gives each run a unique, stable id, one start and one end, and a duration that matches them', () => {
    // Prepare
    const starts = new Map(eventLines(month, 'run.start').map((l) => [l.body.run_id as string, Date.parse(l.body.ts as string)]));

    // Act
    const ends = eventLines(month, 'run.end');

    // Assess
    expect(starts.size).toBe(3_803);
    expect(new Set(ends.map((l) => l.body.run_id)).size).toBe(3_803);
    for (const end of ends) {
      const runId = end.body.run_id as string;
      expect(runId).toMatch(new RegExp(`^${end.body.job as string}-2026\\d{8}$`));
      expect(Date.parse(end.body.ts as string) - starts.get(runId)!).toBe(end.body.duration_ms);
    }
  });

  it('runs every job on its schedule (as croner reads the config), a little late but never a minute', () => {
    // Prepare
    const config = validateConfig(month.config);
    const from = Date.UTC(2026, 9, 1) - 1;
    const to = Date.UTC(2026, 10, 1);

    for (const job of JOBS) {
      const { schedule, timezone } = config.jobs[job];
      const cron = new Cron(schedule!, { timezone, paused: true });
      const expected: number[] = [];
      for (let next = cron.nextRun(new Date(from)); next && next.getTime() < to; next = cron.nextRun(next)) expected.push(next.getTime());

      // Act
      const runs = runsOf(month, job);

      // Assess: every expected start has its run, but the one planted as missed.
      const missed = month.planted.filter((p) => p.job === job && p.detector === 'missed-run').map((p) => Date.parse(`${p.day}T23:00:00Z`));
      expect(runs.map((r) => scheduledOf(r.run_id)), job).toEqual(expected.filter((t) => !missed.includes(t)));
      for (const run of runs) {
        const late = run.start - scheduledOf(run.run_id);
        expect(late).toBeGreaterThanOrEqual(150);
        expect(late).toBeLessThan(60_000);
      }
    }
    expect(runsOf(month, 'cache-warmer')).toHaveLength(2_976);
    expect(runsOf(month, 'hourly-sync')).toHaveLength(744);
    expect(runsOf(month, 'daily-report')).toHaveLength(22);
    expect(runsOf(month, 'invoice-export')).toHaveLength(30);
  });

  it('starts nightly-backup at 02:30 Berlin: 00:30Z until the clocks go back on 25 October, 01:30Z after', () => {
    // Act
    const runs = runsOf(month, 'nightly-backup');

    // Assess
    expect(runs).toHaveLength(31);
    for (const run of runs) {
      const day = new Date(run.start).getUTCDate();
      const expected = Date.UTC(2026, 9, day, day <= 25 ? 0 : 1, 30);
      expect(run.start - expected, run.run_id).toBeGreaterThanOrEqual(0);
      expect(run.start - expected, run.run_id).toBeLessThan(60_000);
    }
    expect(runs[24].run_id).toBe('nightly-backup-202610250030');
    expect(runs[25].run_id).toBe('nightly-backup-202610260130');
  });

  it('follows summer time the other way in March: 01:30Z, then 01:00Z at the jump on the 29th (02:30 is skipped), then 00:30Z', () => {
    // Act
    const march = generateMonth({ month: '2026-03' });

    // Assess
    const ids = runsOf(march, 'nightly-backup').map((r) => r.run_id);
    expect(ids.slice(26, 30)).toEqual(['nightly-backup-202603270130', 'nightly-backup-202603280130', 'nightly-backup-202603290100', 'nightly-backup-202603300030']);
  });

  it('refuses a month that is not YYYY-MM', () => {
    expect(() => generateMonth({ month: '2026-13' })).toThrow(/expected YYYY-MM/);
    expect(() => generateMonth({ month: 'October' })).toThrow(RangeError);
  });

  it('keeps every stream in time order', () => {
    for (const stream of month.logGroups) {
      const times = stream.events.map((e) => e.timestamp);
      expect(times, stream.logStream).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('writes Lambda groups as the Node.js runtime does: console lines between START, END and REPORT', () => {
    // Prepare
    const lambdaStreams = month.logGroups.filter((g) => g.format === 'lambda-console');

    for (const stream of lambdaStreams) {
      // Act
      const kinds = stream.events.map((e) => /^(INIT_START|START|END|REPORT) /.exec(e.message)?.[1] ?? (LAMBDA_CONSOLE_LINE.test(e.message) ? 'console' : 'other'));

      // Assess
      expect(stream.logGroup).toBe(`/aws/lambda/${stream.job}`);
      expect(stream.logStream).toMatch(/^2026\/10\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
      expect(kinds[0]).toBe('INIT_START');
      expect(kinds.filter((k) => k === 'INIT_START')).toHaveLength(1);
      expect(kinds).not.toContain('other');
      expect(stream.events.every((e) => e.message.endsWith('\n'))).toBe(true);
      expect(kinds.filter((k) => k === 'START').length).toBe(kinds.filter((k) => k === 'END').length);
      expect(kinds.filter((k) => k === 'START').length).toBe(kinds.filter((k) => k === 'REPORT').length);
    }
    const report = lambdaStreams[0].events.find((e) => e.message.startsWith('REPORT '))!.message;
    expect(report).toMatch(/^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 1024 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\t\n$/);
  });

  it('writes bare JSON and ordinary text lines for jobs shipped from a host', () => {
    // Prepare
    const backup = month.logGroups.find((g) => g.job === 'nightly-backup')!;
    const sync = month.logGroups.find((g) => g.job === 'hourly-sync')!;

    // Assess
    expect(month.logGroups.filter((g) => g.format === 'json-lines').map((g) => `${g.logGroup} ${g.logStream}`)).toEqual([
      '/jobs/nightly-backup i-0c3f5a7e9b1d24680',
      '/jobs/hourly-sync i-07d2e4f6a8b0c1357',
    ]);
    expect(backup.events[0].message).toMatch(/^\{"type":"run\.start","ts":"2026-10-01T00:30:\d{2}\.\d{3}Z","job":"nightly-backup","run_id":"nightly-backup-202610010030","host":"backup-01.internal"\}$/);
    expect(backup.events[1].message).toMatch(/^\[2026-10-01 02:30:\d{2}\] INFO backup: repository s3:\/\/acme-backups-prod\/nightly opened, lock acquired$/);
    expect(sync.events[1].message).toMatch(/^2026-10-01 00:05:\d{2},\d{3} INFO sync: window 23:05Z\.\.00:05Z$/);
    const textLines = month.logGroups.flatMap((g) => g.events).filter((e) => !e.message.includes('"type":"run.'));
    expect(textLines.length).toBeGreaterThan(7_000);
  });

  it('keeps the first week clean, with healthy runs near each job\'s usual size and duration', () => {
    // Prepare
    const firstWeekEnd = Date.UTC(2026, 9, 8);

    // Act
    const backups = runsOf(month, 'nightly-backup').filter((r) => r.start < firstWeekEnd);
    const syncs = runsOf(month, 'hourly-sync').filter((r) => r.start < firstWeekEnd);

    // Assess
    expect(month.planted.every((p) => p.day >= '2026-10-08')).toBe(true);
    expect(backups).toHaveLength(7);
    for (const r of backups) {
      expect(r.output_bytes).toBeGreaterThanOrEqual(6_963 * 0.94);
      expect(r.output_bytes).toBeLessThanOrEqual(6_963 * 1.06);
      expect(r.duration_ms).toBeGreaterThanOrEqual(2_400_000 * 0.9);
      expect(r.duration_ms).toBeLessThanOrEqual(2_400_000 * 1.1);
      expect(r.output_tail).toMatch(/done: uploaded \d+ objects \(\d+\.\d (MiB|GiB)\), 0 errors\n$/);
      expect(r.output_head).toMatch(/progress: uploaded 10 objects/);
    }
    for (const r of syncs) {
      expect(r.output_bytes).toBeGreaterThanOrEqual(1_229 * 0.94);
      expect(r.output_bytes).toBeLessThanOrEqual(1_229 * 1.06);
      expect(r.duration_ms).toBeGreaterThanOrEqual(90_000 * 0.85);
      expect(r.duration_ms).toBeLessThanOrEqual(90_000 * 1.15);
    }
  });

  it('plants exactly this list of failures', () => {
    expect(month.planted.map((p) => `${p.day} ${p.job} ${p.detector} ${p.run_id}`)).toEqual([
      '2026-10-12 nightly-backup empty-output nightly-backup-202610120030',
      '2026-10-13 nightly-backup empty-output nightly-backup-202610130030',
      '2026-10-14 nightly-backup empty-output nightly-backup-202610140030',
      '2026-10-15 daily-report empty-output daily-report-202610150700',
      '2026-10-16 hourly-sync duration-slow hourly-sync-202610160905',
      '2026-10-16 hourly-sync duration-slow hourly-sync-202610161005',
      '2026-10-16 hourly-sync duration-slow hourly-sync-202610161105',
      '2026-10-16 hourly-sync duration-slow hourly-sync-202610161205',
      '2026-10-16 hourly-sync duration-slow hourly-sync-202610161305',
      '2026-10-19 nightly-backup output-shrink nightly-backup-202610190030',
      '2026-10-20 hourly-sync duration-fast hourly-sync-202610201505',
      '2026-10-21 daily-report run-failed daily-report-202610210700',
      '2026-10-22 hourly-sync error-keyword hourly-sync-202610220405',
      '2026-10-24 invoice-export missed-run undefined',
      '2026-10-27 nightly-backup expected-pattern-missing nightly-backup-202610270130',
      '2026-10-29 daily-report run-failed daily-report-202610290700',
    ]);
    expect(month.planted.filter((p) => p.alsoMayFire).map((p) => [p.run_id, p.alsoMayFire])).toEqual([
      ['nightly-backup-202610120030', ['expected-pattern-missing']],
      ['nightly-backup-202610130030', ['expected-pattern-missing']],
      ['nightly-backup-202610140030', ['expected-pattern-missing']],
    ]);
  });

  it('plants each failure as its log shows it', () => {
    // Prepare
    const run = (job: string, id: string) => runsOf(month, job).find((r) => r.run_id === id)!;

    // Assess
    for (const day of ['12', '13', '14']) {
      const empty = run('nightly-backup', `nightly-backup-202610${day}0030`);
      expect([empty.exit_code, empty.output_bytes, empty.output_head, empty.output_tail]).toEqual([0, 0, '', '']);
      expect(empty.duration_ms).toBeGreaterThan(2_400_000 * 0.9);
    }
    const shrunk = run('nightly-backup', 'nightly-backup-202610190030');
    expect([shrunk.exit_code, shrunk.output_bytes]).toEqual([0, 400]);
    expect(shrunk.output_tail).toMatch(/\nscan: 3 files \(last run 18000\+\), 3 changed since the last snapshot\n[^]*\ndone: uploaded 3 objects \(1\.2 MiB\)\n$/);
    const dryRun = run('nightly-backup', 'nightly-backup-202610270130');
    expect(dryRun.output_head).toMatch(/^nightly backup 2026-10-27 .*\ndry-run: BACKUP_DRY_RUN=1 is set/);
    expect(dryRun.output_head + dryRun.output_tail).not.toMatch(/uploaded \d+ objects/);
    expect(dryRun.output_tail).toMatch(/dry-run complete: \d+ objects would be uploaded/);

    const report = run('daily-report', 'daily-report-202610150700');
    expect([report.exit_code, report.output_head, report.output_bytes]).toEqual([0, '{"rows": []}\n', 13]);
    const timeout = run('daily-report', 'daily-report-202610210700');
    expect([timeout.exit_code, timeout.output_tail.split('\n')[1]]).toEqual([1, 'Error: connect ETIMEDOUT 10.0.3.17:5432']);
    const mail = run('daily-report', 'daily-report-202610290700');
    expect(mail.exit_code).toBe(1);
    expect(mail.output_tail).toContain('AxiosError: Request failed with status code 503');

    const traceback = run('hourly-sync', 'hourly-sync-202610220405');
    expect(traceback.exit_code).toBe(0);
    expect(traceback.output_tail).toContain('Traceback (most recent call last):\n  File "/opt/sync/sync.py", line 214, in sync_table\n');
    expect(run('hourly-sync', 'hourly-sync-202610201505').duration_ms).toBeLessThan(5_600);
    for (const hour of ['09', '10', '11', '12', '13']) {
      expect(run('hourly-sync', `hourly-sync-20261016${hour}05`).duration_ms).toBeGreaterThan(400_000);
    }
  });

  it('keeps the "sync complete: 0 errors" run as a control that must not fire', () => {
    // Prepare
    const [control] = month.controls;

    // Act
    const run = runsOf(month, 'hourly-sync').find((r) => r.run_id === control.run_id)!;

    // Assess
    expect(month.controls).toHaveLength(1);
    expect([control.job, control.run_id, control.day, control.mustNotFire]).toEqual(['hourly-sync', 'hourly-sync-202610091005', '2026-10-09', ['error-keyword']]);
    expect(run.exit_code).toBe(0);
    expect(run.output_tail).toMatch(/\nsync complete: 0 errors \(\d+ records upserted, \d+ skipped\)\n$/);
  });

  it('fires the contract thresholds on the planted runs and on no other run', () => {
    // Prepare
    const config = validateConfig(month.config);
    const perRun = month.planted.filter((p) => p.run_id !== undefined);
    const allowed = new Set(perRun.flatMap((p) => [p.detector, ...(p.alsoMayFire ?? [])].map((d) => `${d} ${p.run_id}`)));

    // Act
    const fired = JOBS.flatMap((job) => referenceFindings(runsOf(month, job), config.jobs[job].expect_pattern));

    // Assess
    for (const p of perRun) expect(fired).toContain(`${p.detector} ${p.run_id}`);
    expect(fired.filter((f) => !allowed.has(f))).toEqual([]);
  });
});

/**
 * The single-run detectors of contract §4 at their default thresholds, simply: enough to show
 * that the plants cross them and that healthy jitter stays well inside.
 */
function referenceFindings(runs: readonly DemoRun[], expectPattern: string | undefined): string[] {
  const findings: string[] = [];
  const history: DemoRun[] = [];
  const keywords = DEFAULT_CONFIG.defaults.error_keywords;
  for (const run of runs) {
    const fire = (detector: string) => findings.push(`${detector} ${run.run_id}`);
    if (run.exit_code !== 0) {
      fire('run-failed');
      continue;
    }
    const text = run.output_head + run.output_tail;
    const empty = run.output_bytes === 0 || isEmptyJson(run.output_head);
    if (empty) fire('empty-output');
    if (expectPattern && !new RegExp(expectPattern).test(run.output_head) && !new RegExp(expectPattern).test(run.output_tail)) fire('expected-pattern-missing');
    if (keywords.some((k) => text.includes(k))) fire('error-keyword');
    const window = history.slice(-20);
    if (window.length >= 5) {
      const bytes = median(window.map((r) => r.output_bytes));
      const duration = median(window.map((r) => r.duration_ms));
      if (!empty && run.output_bytes < 0.3 * bytes) fire('output-shrink');
      if (run.duration_ms > 3 * duration) fire('duration-slow');
      if (run.duration_ms < 0.25 * duration) fire('duration-fast');
    }
    history.push(run);
  }
  return findings;
}

function isEmptyJson(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && Object.values(value).every((v) => Array.isArray(v) && v.length === 0);
  } catch {
    return false;
  }
}
