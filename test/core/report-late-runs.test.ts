import { describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import { createMonthlyReport } from '../../lambdas/core/report/monthly-report.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';

const MIN = 60_000;
const REPORT_DATE = Date.parse('2026-11-01T06:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
const at = (time: string) => Date.parse(`2026-10-${time}Z`);

/** An in-memory audit that lines reach through the ingest handler, swept and reported on as deployed. */
function audit(raw: unknown) {
  const config: Config = validateConfig(raw, 'silent-audit.yaml', undefined, { now: at('01T00:00:00') });
  const store = new MemoryAuditStore();
  const sink = { publish: async () => {} };
  let id = 0;
  const deliver = async (now: number, lines: Array<Record<string, unknown>>) => {
    const handler = createIngestHandler(() => ({ store, sink, config, clock: { now: () => now } }), () => {});
    const logEvents = lines.map((line) => ({ id: String(++id), timestamp: Date.parse(line.ts as string), message: JSON.stringify(line) }));
    await handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents }));
  };
  const deliverSyslog = async (now: number, logEvents: Array<{ timestamp: number; message: string }>) => {
    const handler = createIngestHandler(() => ({ store, sink, config, clock: { now: () => now } }), () => {});
    await handler(
      encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/var/log/syslog', logStream: 'web1', subscriptionFilters: ['f'], logEvents: logEvents.map((e) => ({ id: String(++id), ...e })) }),
    );
  };
  const sweep = (now: number) => runSweep({ store, sink, config, clock: { now: () => now } });
  const report = (month = '2026-10', reportDate = REPORT_DATE) => createMonthlyReport(month, { findings: store, runs: store, catalog: store, config, clock: { now: () => reportDate } });
  return { deliver, deliverSyslog, sweep, report, store };
}

const start = (job: string, run_id: string, startedAt: number) => ({ type: 'run.start', job, run_id, ts: iso(startedAt) });
const end = (job: string, run_id: string, startedAt: number, ms: number) => ({ type: 'run.end', job, run_id, exit_code: 0, duration_ms: ms, output_bytes: 1000, ts: iso(startedAt + ms) });

/**
 * An hourly backup with a grace of 1.5 min (90 s), run on time from 06:00 to 09:00 on 5 October; its
 * 10:00 run starts `second` s past the hour, and its lines come at 10:03, after the sweep of 10:01:45
 * judged the start (`judged`).
 */
async function lateRunAfterShortGrace(second: number) {
  const a = audit({ jobs: { backup: { schedule: '0 * * * *', grace_minutes: 1.5 } } });
  const run = (hour: number, s: number) => {
    const startedAt = at(`05T${String(hour).padStart(2, '0')}:00:00`) + s * 1000;
    return [start('backup', `r${hour}`, startedAt), end('backup', `r${hour}`, startedAt, MIN)];
  };
  for (const hour of [6, 7, 8, 9]) {
    await a.deliver(at(`05T0${hour}:01:10`), run(hour, 5));
    await a.sweep(at(`05T0${hour}:20:00`));
  }
  const judged = await a.sweep(at('05T10:01:45'));
  await a.deliver(at('05T10:03:00'), run(10, second));
  return { a, judged, run };
}

describe('a run whose lines reached the audit after the sweep judged it', () => {
  it('retracts the missed-run of a start that came within the grace time: in no group or count, with a note', async () => {
    // Prepare: an hourly backup (grace 15 min) runs 06:00–12:00 on 5 October; the 10:00 run's lines
    // (start 10:00:05) arrive at 10:26, after the 10:20 sweep reported its start missed.
    const a = audit({ jobs: { backup: { schedule: '0 * * * *', grace_minutes: 15 } } });
    const run = (hour: number) => {
      const startedAt = at(`05T${String(hour).padStart(2, '0')}:00:05`);
      return [start('backup', `r${hour}`, startedAt), end('backup', `r${hour}`, startedAt, MIN)];
    };
    for (const hour of [6, 7, 8, 9]) {
      await a.deliver(at(`05T0${hour}:01:10`), run(hour));
      await a.sweep(at(`05T0${hour}:20:00`));
    }
    const judged = await a.sweep(at('05T10:20:00'));
    await a.deliver(at('05T10:26:00'), run(10));
    for (const hour of [11, 12]) {
      await a.deliver(at(`05T${hour}:01:10`), run(hour));
      await a.sweep(at(`05T${hour}:20:00`));
    }

    // Act
    const { report, documents } = await a.report();

    // Assess: the sweep did report it, the stored record stays, the report does not count it.
    expect(judged.findings.map((f) => `${f.detector} ${f.expected_at}`)).toEqual(['missed-run 2026-10-05T10:00:00Z']);
    expect((await a.store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })).map((f) => f.detector)).toEqual(['missed-run']);
    expect(report.findings).toEqual([]);
    expect(report.summary.findings.current).toBe(0);
    // Its lines (and this fixture's sweeps) stop at 12:00 on 5 October, so its configured schedule
    // makes it UNKNOWN for that silence (a3cbc24); the retracted run makes it no FINDINGS.
    const backup = report.coverage.rows.find((r) => r.name === 'backup');
    expect(backup?.status).toBe('unknown');
    expect(backup?.reason).toMatch(/^silent since 2026-10-05/);
    expect(report.retracted).toEqual([
      expect.objectContaining({ detector: 'missed-run', subject: 'backup', expected_at: '2026-10-05T10:00:00Z', run_id: 'r10' }),
    ]);
    const markdown = documents.find((d) => d.format === 'md')!.body;
    expect(markdown).not.toMatch(/HIGH missed-run on backup/);
    expect(markdown).toContain("Retracted: missed-run on backup, expected 2026-10-05T10:00:00Z: the run's lines arrived late");
    expect(markdown).toContain('started 2026-10-05T10:00:05Z, within the 15 min grace time');
  });

  it('retracts the missed-run of a cron run that logs only its CMD line, from the kept starts (it writes no run record)', async () => {
    // Prepare: an hourly cron job known only from syslog's CMD lines (no end is ever logged); the
    // 10:00 run's line (10:00:05) reaches the audit at 10:26, after the 10:20 sweep reported it missed.
    const a = audit({ jobs: { '/usr/local/bin/backup.sh': { schedule: '0 * * * *', grace_minutes: 15 } } });
    const cmd = (hour: number) => ({
      timestamp: at(`05T${String(hour).padStart(2, '0')}:00:05`),
      message: `Oct  5 ${String(hour).padStart(2, '0')}:00:05 web1 CRON[${4000 + hour}]: (root) CMD (/usr/local/bin/backup.sh)`,
    });
    for (const hour of [6, 7, 8, 9]) {
      await a.deliverSyslog(cmd(hour).timestamp + 1000, [cmd(hour)]);
      await a.sweep(at(`05T0${hour}:20:00`));
    }
    const judged = await a.sweep(at('05T10:20:00'));
    await a.deliverSyslog(at('05T10:26:00'), [cmd(10)]);
    for (const hour of [11, 12]) {
      await a.deliverSyslog(cmd(hour).timestamp + 1000, [cmd(hour)]);
      await a.sweep(at(`05T${hour}:20:00`));
    }

    // Act
    const { report, documents } = await a.report();

    // Assess: no run record answers it, the job's kept starts do.
    expect(judged.findings.map((f) => `${f.detector} ${f.expected_at}`)).toEqual(['missed-run 2026-10-05T10:00:00Z']);
    expect(await a.store.runs('job#/usr/local/bin/backup.sh', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.retracted).toEqual([{ detector: 'missed-run', subject: '/usr/local/bin/backup.sh', ts: '2026-10-05T10:00:00Z', expected_at: '2026-10-05T10:00:00Z', reason: expect.any(String) }]);
    expect(documents.find((d) => d.format === 'md')!.body).toContain('Its run started 2026-10-05T10:00:05Z, within the 15 min grace time');
  });

  it("retracts the missed-run of a run that started within the grace time and ended after the month's end", async () => {
    // Prepare: a daily 23:00 job (grace 15 min) runs 70 min; on 31 October its run started at
    // 23:00:05 and ended at 00:10:05 on 1 November, and its lines arrived at 00:30, after the 23:20
    // sweep reported the start missed.
    const a = audit({ jobs: { nightly: { schedule: '0 23 * * *', grace_minutes: 15, max_runtime_minutes: 180 } } });
    const run = (d: string) => {
      const startedAt = at(`${d}T23:00:05`);
      return [start('nightly', `n${d}`, startedAt), end('nightly', `n${d}`, startedAt, 70 * MIN)];
    };
    for (const d of ['25', '26', '27', '28', '29', '30']) {
      await a.deliver(at(`${d}T23:00:05`) + 71 * MIN, run(d));
      await a.sweep(at(`${d}T23:00:05`) + 75 * MIN);
    }
    const judged = await a.sweep(at('31T23:20:00'));
    await a.deliver(Date.parse('2026-11-01T00:30:00Z'), run('31'));

    // Act
    const { report, documents } = await a.report();

    // Assess
    expect(judged.findings.map((f) => `${f.detector} ${f.expected_at}`)).toEqual(['missed-run 2026-10-31T23:00:00Z']);
    expect(report.findings).toEqual([]);
    expect(report.retracted).toEqual([expect.objectContaining({ detector: 'missed-run', subject: 'nightly', expected_at: '2026-10-31T23:00:00Z', run_id: 'n31' })]);
    expect(documents.find((d) => d.format === 'md')!.body).toContain('Its run n31 started 2026-10-31T23:00:05Z, within the 15 min grace time');
  });

  it("counts a finding retracted last month in none of next month's statuses or trends", async () => {
    // Prepare: the hourly backup's 10:00 run on 5 October reached the audit after the sweep, as in
    // the first case, so October's report retracts that missed-run; November has no finding. A
    // second job had no finding in October.
    const a = audit({ jobs: { backup: { schedule: '0 * * * *', grace_minutes: 15 }, archive: { owner: 'data@example.com' } } });
    const run = (hour: number) => {
      const startedAt = at(`05T${String(hour).padStart(2, '0')}:00:05`);
      return [start('backup', `r${hour}`, startedAt), end('backup', `r${hour}`, startedAt, MIN)];
    };
    for (const hour of [6, 7, 8, 9]) {
      await a.deliver(at(`05T0${hour}:01:10`), run(hour));
      await a.sweep(at(`05T0${hour}:20:00`));
    }
    await a.sweep(at('05T10:20:00'));
    await a.deliver(at('05T10:26:00'), run(10));
    const october = await a.report();
    const reads = vi.spyOn(a.store, 'runs');

    // Act
    const { report } = await a.report('2026-11', Date.parse('2026-12-01T06:00:00Z'));

    // Assess: October's own report retracted it; November counts it neither as resolved nor as last month's.
    expect(october.report.retracted.map((r) => `${r.detector} ${r.expected_at}`)).toEqual(['missed-run 2026-10-05T10:00:00Z']);
    expect(october.report.summary.findings).toMatchObject({ current: 0 });
    expect(report.findings).toEqual([]);
    expect(report.summary.findings).toMatchObject({ current: 0, previous: 0 });
    expect(report.summary.byDetector).toEqual([]);
    expect(report.summary.subjectsAffected).toMatchObject({ current: 0, previous: 0 });
    expect(report.summary.headline).toContain('(= 0 vs October 2026); 0 new, 0 recurring, 0 resolved');
    // Only the job with such a finding in October is read from October's start.
    expect(reads.mock.calls.map(([key, from]) => `${key} ${from}`).sort()).toEqual(['job#archive 2026-11-01T00:00:00Z', 'job#backup 2026-10-01T00:00:00Z']);
  });

  it('keeps the missed-run of a start that came after the grace time, however late its lines arrived', async () => {
    // Prepare: the 10:00 run really started at 10:30, past its 15 min grace.
    const a = audit({ jobs: { backup: { schedule: '0 * * * *', grace_minutes: 15 } } });
    for (const hour of [6, 7, 8, 9]) {
      const startedAt = at(`05T0${hour}:00:05`);
      await a.deliver(startedAt + 65_000, [start('backup', `r${hour}`, startedAt), end('backup', `r${hour}`, startedAt, MIN)]);
    }
    await a.sweep(at('05T10:20:00'));
    const lateStart = at('05T10:30:00');
    await a.deliver(lateStart + 65_000, [start('backup', 'r10', lateStart), end('backup', 'r10', lateStart, MIN)]);

    // Act
    const { report } = await a.report();

    // Assess
    expect(report.retracted).toEqual([]);
    expect(report.findings.map((g) => `${g.detector} ${g.subject} ${g.status}`)).toEqual(['missed-run backup new']);
  });

  it('keeps the missed-run of a start after a grace of a fraction of a minute, judged with the grace the sweep used', async () => {
    // Prepare: the 10:00 run started at 10:01:50, 110 s late, after a grace of 90 s
    const { a, judged, run } = await lateRunAfterShortGrace(110);
    for (const hour of [11, 12]) {
      await a.deliver(at(`05T${hour}:01:10`), run(hour, 5));
      await a.sweep(at(`05T${hour}:20:00`));
    }

    // Act
    const { report } = await a.report();

    // Assess: the sweep reported it, and the report keeps it rather than retract it as "within the 2 min grace time".
    expect(judged.findings.map((f) => `${f.detector} ${f.expected_at}`)).toEqual(['missed-run 2026-10-05T10:00:00Z']);
    expect(report.retracted).toEqual([]);
    expect(report.findings.map((g) => `${g.detector} ${g.subject}`)).toEqual(['missed-run backup']);
  });

  it('retracts, with its grace shown exactly, the missed-run of a start within a grace of a fraction of a minute', async () => {
    // Prepare: as above, but the 10:00 run started at 10:01:20, within the 90 s grace
    const { a, judged } = await lateRunAfterShortGrace(80);

    // Act
    const { report } = await a.report();

    // Assess
    expect(judged.findings.map((f) => `${f.detector} ${f.expected_at}`)).toEqual(['missed-run 2026-10-05T10:00:00Z']);
    expect(report.retracted.map((r) => r.reason)).toEqual([
      "its run r10 started 2026-10-05T10:01:20Z, within the 1.5 min grace time; the run's lines reached the audit after the sweep had judged the start missed",
    ]);
  });

  it('retracts the missed-run of a start within the grace time that came in the next slot, as the sweep counts a late run', async () => {
    // Prepare: a job every 5 min (grace 15 min) ran on time to 09:55; its 10:00 run started late at
    // 10:06 and the 10:05 run at 10:07 (both in the 10:05 slot), and their lines arrived at 10:30,
    // after the 10:16 sweep reported the 10:00 start missed. Had they arrived on time, the sweep
    // would have counted the 10:06 run for 10:00 (the first of two in the next slot, within grace).
    const a = audit({ jobs: { poll: { schedule: '*/5 * * * *', grace_minutes: 15 } } });
    for (const minute of ['40', '45', '50', '55']) {
      const startedAt = at(`05T09:${minute}:05`);
      await a.deliver(startedAt + 65_000, [start('poll', `p${minute}`, startedAt), end('poll', `p${minute}`, startedAt, MIN)]);
    }
    const judged = await a.sweep(at('05T10:16:00'));
    const late = [at('05T10:06:00'), at('05T10:07:00')];
    await a.deliver(at('05T10:30:00'), late.flatMap((t, i) => [start('poll', `late${i}`, t), end('poll', `late${i}`, t, 20_000)]));

    // Act
    const { report, documents } = await a.report();

    // Assess
    expect(judged.findings.map((f) => `${f.detector} ${f.expected_at}`)).toEqual(['missed-run 2026-10-05T10:00:00Z']);
    expect(report.findings).toEqual([]);
    expect(report.retracted).toEqual([expect.objectContaining({ detector: 'missed-run', subject: 'poll', expected_at: '2026-10-05T10:00:00Z', run_id: 'late0' })]);
    expect(documents.find((d) => d.format === 'md')!.body).toContain('Its run late0 started 2026-10-05T10:06:00Z, within the 15 min grace time');
  });

  it("keeps the missed-run of one of two runs due at one moment (a change forward's catch-up) when a single run came, as the sweep judged it", async () => {
    // Prepare: "0,30 2 * * *" in Australia/Lord_Howe; on 4 October its clock goes from 02:00 to
    // 02:30 (+10:30 to +11), so cron runs the skipped 02:00 at 02:30 besides 02:30's own run: both
    // due at 2026-10-03T15:30Z. One run came, its lines on time; the sweep reported one missed.
    const a = audit({ jobs: { 'lh-half': { schedule: '0,30 2 * * *', timezone: 'Australia/Lord_Howe' } } });
    for (const [id, t] of [['r1', '02T15:30:05'], ['r2', '02T16:00:05']] as const) {
      await a.deliver(at(t) + 65_000, [start('lh-half', id, at(t)), end('lh-half', id, at(t), 30_000)]);
    }
    await a.sweep(at('02T17:00:00'));
    await a.deliver(at('03T15:31:10'), [start('lh-half', 'r3', at('03T15:30:05')), end('lh-half', 'r3', at('03T15:30:05'), 30_000)]);
    const judged = await a.sweep(at('03T16:00:00'));

    // Act
    const { report, documents } = await a.report();

    // Assess: the report counts the one missed run the sweep reported, and retracts nothing.
    expect(judged.findings.map((f) => `${f.detector} ${f.expected_at}`)).toEqual(['missed-run 2026-10-03T15:30:00Z']);
    expect(report.retracted).toEqual([]);
    expect(report.findings.map((g) => `${g.detector} ${g.subject} ${g.condition.occurrences} ${g.condition.firstAt}`)).toEqual(['missed-run lh-half 1 2026-10-03T15:30:00Z']);
    expect(report.summary.findings.current).toBe(1);
    expect(documents.find((d) => d.format === 'md')!.body).not.toContain('Retracted');
  });

  it('retracts the missed-run of two runs due at one moment when both runs came, their lines late', async () => {
    // Prepare: as above, but both runs at the change (02:30 local, 15:30Z) came, their lines after the sweep judged them.
    const a = audit({ jobs: { 'lh-half': { schedule: '0,30 2 * * *', timezone: 'Australia/Lord_Howe' } } });
    for (const [id, t] of [['r1', '02T15:30:05'], ['r2', '02T16:00:05']] as const) {
      await a.deliver(at(t) + 65_000, [start('lh-half', id, at(t)), end('lh-half', id, at(t), 30_000)]);
    }
    await a.sweep(at('02T17:00:00'));
    const judged = await a.sweep(at('03T16:00:00'));
    await a.deliver(at('03T16:10:00'), [
      ...[['r3', '03T15:30:05'], ['r4', '03T15:30:06']].flatMap(([id, t]) => [start('lh-half', id, at(t)), end('lh-half', id, at(t), 30_000)]),
    ]);

    // Act
    const { report } = await a.report();

    // Assess
    expect(judged.findings.map((f) => `${f.detector} ${f.expected_at}`)).toEqual(['missed-run 2026-10-03T15:30:00Z']);
    expect(report.findings).toEqual([]);
    expect(report.retracted).toEqual([expect.objectContaining({ detector: 'missed-run', subject: 'lh-half', expected_at: '2026-10-03T15:30:00Z' })]);
  });

  it('retracts the run-unfinished of a run whose end, within its max runtime, arrived after the sweep', async () => {
    // Prepare: a nightly job (max runtime 60 min) runs 40 min from 03:00; on the 6th its end line
    // (ts 03:40) arrives at 05:30, after the 04:05 sweep reported the run unfinished.
    const a = audit({ jobs: { nightly: { schedule: '0 3 * * *', max_runtime_minutes: 60 } } });
    const night = (d: string) => at(`${d}T03:00:00`);
    for (const d of ['01', '02', '03', '04', '05']) {
      await a.deliver(night(d) + 41 * MIN, [start('nightly', `n${d}`, night(d)), end('nightly', `n${d}`, night(d), 40 * MIN)]);
      await a.sweep(night(d) + 90 * MIN);
    }
    await a.deliver(night('06') + 10_000, [start('nightly', 'n06', night('06'))]);
    const judged = await a.sweep(night('06') + 65 * MIN);
    await a.deliver(at('06T05:30:00'), [end('nightly', 'n06', night('06'), 40 * MIN)]);

    // Act
    const { report, documents } = await a.report();

    // Assess
    expect(judged.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['run-unfinished n06']);
    expect(report.findings).toEqual([]);
    expect(report.retracted).toEqual([expect.objectContaining({ detector: 'run-unfinished', subject: 'nightly', run_id: 'n06' })]);
    const markdown = documents.find((d) => d.format === 'md')!.body;
    expect(markdown).toContain("Retracted: run-unfinished on nightly, run n06: the run's lines arrived late");
    expect(markdown).toContain('ended 2026-10-06T03:40:00Z, after 40.0 min, within its max runtime of 1.0 h');
  });

  it("retracts the run-unfinished judged on the month's first minutes of a run begun and ended last month, its end read late", async () => {
    // Prepare: a nightly job (max runtime 60 min) starts 23:00:05 on 31 October; the 00:10 sweep of
    // 1 November reports it unfinished; its end line (23:55:05, 31 October) arrives at 00:20.
    const a = audit({ jobs: { nightly: { schedule: '0 23 * * *', max_runtime_minutes: 60 } } });
    const night = (d: string) => at(`${d}T23:00:05`);
    for (const d of ['25', '26', '27', '28', '29', '30']) {
      await a.deliver(night(d) + 21 * MIN, [start('nightly', `n${d}`, night(d)), end('nightly', `n${d}`, night(d), 20 * MIN)]);
      await a.sweep(night(d) + 30 * MIN);
    }
    await a.deliver(night('31') + MIN, [start('nightly', 'n31', night('31'))]);
    const judged = await a.sweep(Date.parse('2026-11-01T00:10:00Z'));
    await a.deliver(Date.parse('2026-11-01T00:20:00Z'), [end('nightly', 'n31', night('31'), 55 * MIN)]);

    // Act
    const { report } = await a.report('2026-11', Date.parse('2026-12-01T06:00:00Z'));

    // Assess: the report reads the job's runs from October too, where the run's record is
    expect(judged.findings.map((f) => `${f.detector} ${f.ts}`)).toEqual(['run-unfinished 2026-11-01T00:00:05Z']);
    expect(report.findings).toEqual([]);
    expect(report.retracted).toEqual([expect.objectContaining({ detector: 'run-unfinished', subject: 'nightly', run_id: 'n31' })]);
  });

  it("counts in none of next month's statuses or trends the run-unfinished of a run begun two months before, retracted last month", async () => {
    // Prepare: the nightly job's run of 31 October (23:00:05) is judged unfinished on 1 November at
    // 00:10 and its end (23:55:05, within its 60 min) arrives at 00:20, as in the case above, so
    // November's report retracts it; every other night of November and December runs and is swept on time.
    const a = audit({ jobs: { nightly: { schedule: '0 23 * * *', max_runtime_minutes: 60 } } });
    for (let t = at('25T23:00:05'); t < Date.parse('2026-12-31T23:30:00Z'); t += 24 * 60 * MIN) {
      if (t === at('31T23:00:05')) {
        await a.deliver(t + MIN, [start('nightly', 'n31', t)]);
        await a.sweep(Date.parse('2026-11-01T00:10:00Z'));
        await a.deliver(Date.parse('2026-11-01T00:20:00Z'), [end('nightly', 'n31', t, 55 * MIN)]);
        continue;
      }
      await a.deliver(t + 21 * MIN, [start('nightly', `n${t}`, t), end('nightly', `n${t}`, t, 20 * MIN)]);
      await a.sweep(t + 30 * MIN);
    }
    const november = await a.report('2026-11', Date.parse('2026-12-01T06:00:00Z'));

    // Act
    const { report } = await a.report('2026-12', Date.parse('2027-01-01T06:00:00Z'));

    // Assess: November's report retracted it and counted nothing; December counts it neither as resolved nor as last month's.
    expect(november.report.retracted).toEqual([expect.objectContaining({ detector: 'run-unfinished', subject: 'nightly', run_id: 'n31' })]);
    expect(november.report.summary.findings).toMatchObject({ current: 0 });
    expect(report.findings).toEqual([]);
    expect(report.summary.findings).toMatchObject({ current: 0, previous: 0 });
    expect(report.summary.subjectsAffected).toMatchObject({ current: 0, previous: 0 });
    expect(report.summary.headline).toContain('(= 0 vs November 2026); 0 new, 0 recurring, 0 resolved');
  });

  it('keeps the run-unfinished of a run that ended past its max runtime', async () => {
    // Prepare: after a night of 40 min, the run of the 6th hung for 2 h before it ended.
    const a = audit({ jobs: { nightly: { schedule: '0 3 * * *', max_runtime_minutes: 60 } } });
    const night = (d: string) => at(`${d}T03:00:00`);
    await a.deliver(night('05') + 41 * MIN, [start('nightly', 'n05', night('05')), end('nightly', 'n05', night('05'), 40 * MIN)]);
    await a.deliver(night('06') + 10_000, [start('nightly', 'n06', night('06'))]);
    await a.sweep(night('06') + 65 * MIN);
    await a.deliver(night('06') + 121 * MIN, [end('nightly', 'n06', night('06'), 120 * MIN)]);

    // Act
    const { report } = await a.report();

    // Assess
    expect(report.retracted).toEqual([]);
    expect(report.findings.map((g) => `${g.detector} ${g.subject}`)).toEqual(['run-unfinished nightly']);
  });
});
