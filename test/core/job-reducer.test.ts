import { describe, expect, it } from 'vitest';
import { type Config, DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import { deepFreeze } from '../../lambdas/core/frozen-state.ts';
import { ABNORMAL_RUN_FINDINGS, initialJobState, type JobState, jobReducer, maxRuntimeOf, runsGoingOn } from '../../lambdas/core/job-reducer.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import { median } from '../../lambdas/core/stats.ts';
import { outputShrinkDetector } from '../../lambdas/detectors/output-shrink.ts';
import { fingerprint } from '../../lambdas/core/token-ring.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { redactorFor } from '../../lambdas/core/redact.ts';
import { OPEN_RUN } from '../../lambdas/core/parse/run-ids.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import { ev, run } from '../helpers/events.ts';

const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-11-01T00:00:00Z') } };

function days(n: number, end: Record<string, unknown> = {}) {
  return Array.from({ length: n }, (_, i) => run('backup', `r-${i + 1}`, `2026-10-${String(i + 1).padStart(2, '0')}T02:30:00Z`, 40, end)).flat();
}

/** Lines of function `order-sync`'s log group as the parser reads them from CloudWatch records (each at its record time). */
function lambdaLines(...records: ReadonlyArray<readonly [at: string, message: string]>): AuditEvent[] {
  return records.flatMap(([at, message], line) => {
    const outcome = parseLine(message, { source: { origin: '/aws/lambda/order-sync', line }, recordTime: Date.parse(at), defaultJob: 'order-sync' });
    if (outcome.kind !== 'events') throw new Error(`not a Lambda platform line: ${message}`);
    return outcome.events;
  });
}

/** An invocation that timed out, as runtimes whose REPORT names no Status write it: the REPORT, then "Task timed out". */
const REQUEST = '5f3c1a9e-1111-4222-8333-944445555666';
const INVOCATION = lambdaLines(
  ['2026-10-05T13:00:00.000Z', `START RequestId: ${REQUEST} Version: $LATEST`],
  ['2026-10-05T13:00:03.010Z', `END RequestId: ${REQUEST}`],
  ['2026-10-05T13:00:03.010Z', `REPORT RequestId: ${REQUEST}\tDuration: 3003.16 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 49 MB`],
  ['2026-10-05T13:00:03.012Z', `2026-10-05T13:00:03.012Z ${REQUEST} Task timed out after 3.00 seconds`],
);
const UP_TO_REPORT = INVOCATION.slice(0, 2);
/** Lambda's retry of that invocation (the same request id, a minute later), which succeeds. */
const RETRY = lambdaLines(
  ['2026-10-05T13:01:03.500Z', `START RequestId: ${REQUEST} Version: $LATEST`],
  ['2026-10-05T13:01:04.200Z', `END RequestId: ${REQUEST}`],
  ['2026-10-05T13:01:04.200Z', `REPORT RequestId: ${REQUEST}\tDuration: 700.00 ms\tBilled Duration: 700 ms\tMemory Size: 128 MB\tMax Memory Used: 49 MB`],
);
const TIMED_OUT = INVOCATION.slice(2);

/** A `pg-dump.service` run as syslog writes systemd's lines: started at 02:30, then the `ends` at 03:00, as the job reducer's `enrich` reads them. */
function systemdLines(...ends: string[]): readonly AuditEvent[] {
  const events = [`Oct  6 02:30:00 db01 systemd[1]: Started pg-dump.service - Nightly database dump.`, ...ends.map((end) => `Oct  6 03:00:00 db01 systemd[1]: ${end}`)].flatMap((message, line) => {
    const outcome = parseLine(message, { source: { origin: 'syslog', line }, year: 2026 });
    if (outcome.kind !== 'events') throw new Error(`not a systemd line: ${message}`);
    return outcome.events;
  });
  return jobReducer.enrich?.(events, DEFAULT_CONFIG) ?? events;
}

/** systemd's lines as syslog writes them (year 2026), as the parser reads them. */
function syslogLines(...lines: string[]): AuditEvent[] {
  return lines.flatMap((message, line) => {
    const outcome = parseLine(message, { source: { origin: 'syslog', line }, year: 2026 });
    if (outcome.kind !== 'events') throw new Error(`not a systemd line: ${message}`);
    return outcome.events;
  });
}

/** A day's run of a simple service (web1): `Starting`, `Started` a second later, then its end at 02:35. */
const simpleRun = (day: number) =>
  syslogLines(
    `Oct  ${day} 02:30:00 web1 systemd[1]: Starting report.service - Weekly report...`,
    `Oct  ${day} 02:30:01 web1 systemd[1]: Started report.service - Weekly report.`,
    `Oct  ${day} 02:35:00 web1 systemd[1]: report.service: Main process exited, code=exited, status=0/SUCCESS`,
    `Oct  ${day} 02:35:00 web1 systemd[1]: report.service: Deactivated successfully.`,
  );

/** What a finding says about a run, and what the state counts of it. */
const failureOf = (findings: readonly { detector: string; run_id?: string; ts: string; severity: string; evidence?: unknown }[]) =>
  findings.map((f) => [f.detector, f.run_id, f.ts, f.severity, (f.evidence as { exit_code?: number; failure?: string }).exit_code, (f.evidence as { failure?: string }).failure]);
const countsOf = (s: JobState) => ({ runs: s.runs, failures: s.failures, startsSeen: s.startsSeen, starts: s.starts, hosts: s.hosts, open: s.open, lastEnd: s.lastEnd });

describe('job runs reducer', () => {
  it('pairs starts with ends, counts runs and keeps the baseline windows', () => {
    // Prepare
    const events = days(6);
    // Act
    const { state, findings, records } = jobReducer.apply(initialJobState('backup'), 'backup', events, ctx);
    // Assess
    expect(findings).toEqual([]);
    expect(state.runs).toBe(6);
    expect(state.open).toEqual([]);
    expect(state.outputs).toEqual([7000, 7000, 7000, 7000, 7000, 7000]);
    expect(state.durations).toHaveLength(6);
    expect(records.map((r) => r.run_id)).toEqual(['r-1', 'r-2', 'r-3', 'r-4', 'r-5', 'r-6']);
    expect(records[0]).toMatchObject({ subject: 'backup', status: 'ok', exit_code: 0, duration_ms: 2_400_000, ts: '2026-10-01T03:10:00Z' });
  });

  it('judges a run against the runs before it, and keeps an empty run out of both baseline windows', () => {
    // Prepare
    const first = jobReducer.apply(initialJobState('backup'), 'backup', days(6), ctx).state;
    // Act
    const { state, findings } = jobReducer.apply(first, 'backup', run('backup', 'r-7', '2026-10-07T02:30:00Z', 40, { output_bytes: 0 }), ctx);
    // Assess
    expect(findings.map((f) => [f.detector, f.run_id])).toEqual([['empty-output', 'r-7']]);
    expect(state.outputs).toEqual(first.outputs);
    expect(state.durations).toEqual(first.durations);
  });

  it("keeps out of the baselines the runs of the findings whose detector's meta says keepsRunOutOfBaseline: the output and duration ones", () => {
    // Act
    const ids = [...ABNORMAL_RUN_FINDINGS].sort();
    // Assess
    expect(ids).toEqual(['duration-fast', 'duration-slow', 'empty-output', 'error-keyword', 'expected-pattern-missing', 'output-shrink']);
  });

  it.each([
    ['empty-output', { output_bytes: 0 }],
    ['error-keyword', { output_tail: 'FATAL: could not connect to db-1\n' }],
  ] as const)('keeps a run that fired %s out of the duration window, so a broken job never becomes the new normal', (detector, fields) => {
    // Prepare: 11 broken 6-minute runs (30% of the median: not duration-fast) after 6 healthy 20-minute ones
    const at = (day: number) => `2026-10-${String(day).padStart(2, '0')}T02:30:00Z`;
    const healthy = Array.from({ length: 6 }, (_, i) => run('backup', `r-${i + 1}`, at(i + 1), 20)).flat();
    let state = jobReducer.apply(initialJobState('backup'), 'backup', healthy, ctx).state;
    for (let day = 7; day <= 17; day++) {
      const broken = jobReducer.apply(state, 'backup', run('backup', `r-${day}`, at(day), 6, fields), ctx);
      expect(broken.findings.map((f) => f.detector)).toContain(detector);
      state = broken.state;
    }
    // Act: the job is fixed and runs its normal 20 minutes
    const fixed = jobReducer.apply(state, 'backup', run('backup', 'r-18', at(18), 20), ctx);
    // Assess
    expect(fixed.findings).toEqual([]);
    expect(state.durations).toHaveLength(6);
  });

  it('does not count a redelivered batch twice and returns the same state object', () => {
    const events = days(7);
    const once = jobReducer.apply(initialJobState('backup'), 'backup', events, ctx);
    const twice = jobReducer.apply(once.state, 'backup', events, ctx);
    expect(twice.state).toBe(once.state);
    expect(twice.findings).toEqual([]);
    expect(twice.records).toEqual([]);
  });

  it('does not count the starts of a job whose runs log no end (cron) twice when a batch of more of them than it keeps open comes again', () => {
    // Prepare: 60 cron CMD starts a minute apart on one host
    const job = '/usr/local/bin/sync.sh';
    const starts = Array.from({ length: 60 }, (_, i) => ({
      ...ev(new Date(Date.parse('2026-10-05T10:00:00Z') + i * 60_000).toISOString(), { type: 'run.start', job, run_id: `web1:${1000 + i}`, host: 'web1' }),
      format: 'cron',
    }));
    const once = jobReducer.apply(initialJobState(job), job, starts, ctx).state;
    // Act
    const again = jobReducer.apply(once, job, starts, ctx);
    // Assess
    expect([once.startsSeen, once.hosts, once.starts?.length]).toEqual([60, { web1: 60 }, 60]);
    expect(again.state).toBe(once);
  });

  describe('counts the starts of a job whose runs log no end (cron) per month, for the report', () => {
    const job = '/usr/local/bin/sync-assets';
    const cronStarts = (from: string, count: number, everyMs: number, firstPid = 1000) =>
      Array.from({ length: count }, (_, i) => ({
        ...ev(new Date(Date.parse(from) + i * everyMs).toISOString(), { type: 'run.start', job, run_id: `web1:${firstPid + i}`, host: 'web1' }),
        format: 'cron',
      }));

    it('every start of a month, far more than the 200 start times it keeps', () => {
      // Prepare: every 10 minutes from 1 October to 3 November.
      const starts = cronStarts('2026-10-01T00:00:01Z', 33 * 144, 600_000);

      // Act
      const state = jobReducer.apply(initialJobState(job), job, starts, ctx).state;

      // Assess
      expect([state.starts?.length, state.startMonths, state.startMonthsFrom]).toEqual([
        200,
        [
          { start: Date.parse('2026-10-01T00:00:00Z'), starts: 31 * 144 },
          { start: Date.parse('2026-11-01T00:00:00Z'), starts: 2 * 144 },
        ],
        undefined,
      ]);
    });

    it('only its latest 14 months, and from a state written before they were counted, says from when', () => {
      // Prepare: a state that saw 5 starts before it counted them; then one start a month for 16 months.
      const before = jobReducer.apply(initialJobState(job), job, cronStarts('2025-08-01T06:00:00Z', 5, 60_000), ctx).state;
      const { startMonths: _dropped, ...legacy } = before;
      const monthly = Array.from({ length: 16 }, (_, i) => cronStarts(new Date(Date.UTC(2025, 8 + i, 2, 6)).toISOString(), 1, 0, 2000 + i)[0]);

      // Act
      const state = jobReducer.apply(legacy as JobState, job, monthly, ctx).state;

      // Assess
      expect(state.startMonthsFrom).toBe(Date.parse('2025-09-02T06:00:00Z'));
      expect(state.startMonths?.map((m) => [new Date(m.start).toISOString().slice(0, 7), m.starts])).toEqual(
        Array.from({ length: 14 }, (_, i) => [new Date(Date.UTC(2025, 10 + i, 1)).toISOString().slice(0, 7), 1]),
      );
    });

    it('no longer once its runs log an end: their run records count them, the starts counted before stay counted', () => {
      // Prepare
      const cron = jobReducer.apply(initialJobState(job), job, cronStarts('2026-10-05T10:00:00Z', 3, 60_000), ctx).state;

      // Act
      const ended = jobReducer.apply(cron, job, [ev('2026-10-05T10:03:00Z', { type: 'run.end', job, run_id: 'web1:1002', exit_code: 0 })], ctx).state;

      // Assess
      expect([cron.startMonths?.length, ended.endsLogged, ended.startMonths, ended.runsByStarts, ended.runs]).toEqual([1, true, [{ start: Date.parse('2026-10-01T00:00:00Z'), starts: 2 }], 2, 1]);
    });
  });

  it('does not count a run twice when its start arrives after its end (out of order across batches)', () => {
    const [start, end] = run('backup', 'r-1', '2026-10-01T02:30:00Z', 40);
    const afterEnd = jobReducer.apply(initialJobState('backup'), 'backup', [end], ctx).state;
    const afterStart = jobReducer.apply(afterEnd, 'backup', [start], ctx);
    expect(afterStart.state.runs).toBe(1);
    expect(afterStart.state.open).toEqual([]);
  });

  it('resolves an end that names no run to the open run, and merges a second end line moments later', () => {
    // systemd: "Started", "Main process exited, status=1", then "Failed with result 'exit-code'".
    const events = [
      ev('2026-10-01T02:30:00Z', { type: 'run.start', job: 'backup.service', run_id: 'backup.service@2026-10-01T02:30:00Z' }),
      ev('2026-10-01T02:31:00Z', { type: 'run.end', job: 'backup.service', run_id: OPEN_RUN, exit_code: 1 }),
      ev('2026-10-01T02:31:00.200Z', { type: 'run.failed', job: 'backup.service', run_id: OPEN_RUN, reason: "systemd result 'exit-code'" }),
    ];
    const once = jobReducer.apply(initialJobState('backup.service'), 'backup.service', events, ctx);
    expect(once.state.runs).toBe(1);
    expect(once.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'backup.service@2026-10-01T02:30:00Z']]);
    expect(once.records[0]).toMatchObject({ duration_ms: 60_000, status: 'failed' });
    // Redelivered later, after another run: still one failure.
    const later = jobReducer.apply(once.state, 'backup.service', run('backup.service', 'backup.service@2026-10-02T02:30:00Z', '2026-10-02T02:30:00Z', 1), ctx);
    const again = jobReducer.apply(later.state, 'backup.service', events, ctx);
    expect(again.state.runs).toBe(2);
    expect(again.findings).toEqual([]);
  });

  it('times a systemd oneshot from its `Starting` line: one run a day, its duration known', () => {
    // Prepare: a Type=oneshot timer job logs `Starting` and, 42 minutes later, its end lines (never `Started`)
    const oneshot = (day: number) =>
      syslogLines(
        `Oct  ${day} 02:30:00 web1 systemd[1]: Starting backup.service - Nightly backup...`,
        `Oct  ${day} 03:12:00 web1 systemd[1]: backup.service: Deactivated successfully.`,
        `Oct  ${day} 03:12:00 web1 systemd[1]: Finished backup.service - Nightly backup.`,
      );
    // Act
    const { state, records } = jobReducer.apply(initialJobState('backup.service'), 'backup.service', [...oneshot(1), ...oneshot(2)], ctx);
    // Assess
    expect(state.runs).toBe(2);
    expect(state.starts).toEqual([Date.parse('2026-10-01T02:30:00Z'), Date.parse('2026-10-02T02:30:00Z')]);
    expect(state.durations).toEqual([42 * 60_000, 42 * 60_000]);
    expect(records.map((r) => [r.run_id, r.duration_ms])).toEqual([
      ['backup.service@web1@2026-10-01T02:30:00.000Z', 42 * 60_000],
      ['backup.service@web1@2026-10-02T02:30:00.000Z', 42 * 60_000],
    ]);
    expect(state.open).toEqual([]);
  });

  it.each([
    ['succeed', ['backup.service: Deactivated successfully.', 'Finished backup.service - Nightly backup.'], 0],
    ['fail', ['backup.service: Main process exited, code=exited, status=2/INVALIDARGUMENT', "backup.service: Failed with result 'exit-code'."], 2],
  ])('pairs the ends of one unit on two hosts in the same second host by host: both runs %s, once each when delivered again', (_name, endLines, failures) => {
    // Prepare: db1 and db2 start backup.service seconds apart; both end at 03:01:00
    const lines = syslogLines(
      'Nov  1 03:00:00 db1 systemd[1]: Starting backup.service - Nightly backup...',
      'Nov  1 03:00:05 db2 systemd[1]: Starting backup.service - Nightly backup...',
      ...endLines.map((l) => `Nov  1 03:01:00 db1 systemd[1]: ${l}`),
      ...endLines.map((l) => `Nov  1 03:01:00 db2 systemd[1]: ${l}`),
    );
    // Act
    const once = jobReducer.apply(initialJobState('backup.service'), 'backup.service', lines, ctx);
    const again = jobReducer.apply(once.state, 'backup.service', lines, ctx);
    const dbTwoAgain = jobReducer.apply(once.state, 'backup.service', lines.slice(1).filter((e) => (e.body as { host?: string }).host === 'db2'), ctx);
    // Assess
    expect(once.state).toMatchObject({ runs: 2, failures, open: [] });
    expect(once.records.map((r) => [r.run_id, r.duration_ms])).toEqual([
      ['backup.service@db1@2026-11-01T03:00:00.000Z', 60_000],
      ['backup.service@db2@2026-11-01T03:00:05.000Z', 55_000],
    ]);
    expect(once.findings.map((f) => f.run_id)).toEqual(failures ? ['backup.service@db1@2026-11-01T03:00:00.000Z', 'backup.service@db2@2026-11-01T03:00:05.000Z'] : []);
    expect(again.state).toMatchObject({ runs: 2, failures, open: [] });
    expect(again.findings).toEqual([]);
    expect(dbTwoAgain.state).toMatchObject({ runs: 2, failures, open: [] });
    expect(dbTwoAgain.findings).toEqual([]);
  });

  it('counts the failures of one unit on two hosts in the same second as two runs when no start was read, once when delivered again', () => {
    // Prepare: only the end lines (the starts fell before the log read)
    const ends = (host: string) => [
      `Nov  1 03:00:40 ${host} systemd[1]: backup.service: Main process exited, code=exited, status=2/INVALIDARGUMENT`,
      `Nov  1 03:00:40 ${host} systemd[1]: backup.service: Failed with result 'exit-code'.`,
    ];
    const lines = syslogLines(...ends('db1'), ...ends('db2'));
    // Act
    const once = jobReducer.apply(initialJobState('backup.service'), 'backup.service', lines, ctx);
    const again = jobReducer.apply(once.state, 'backup.service', lines, ctx);
    // Assess
    expect(once.state).toMatchObject({ runs: 2, failures: 2 });
    expect(once.findings.map((f) => [f.detector, f.run_id])).toEqual([
      ['run-failed', 'backup.service@db1@2026-11-01T03:00:40Z'],
      ['run-failed', 'backup.service@db2@2026-11-01T03:00:40Z'],
    ]);
    expect(again.state).toMatchObject({ runs: 2, failures: 2 });
    expect(again.findings).toEqual([]);
  });

  /** A state as the reducer wrote it before hosts were in an end's token: `token` (read at `at`) held as `*open@<at>`. */
  const withHostlessEndToken = (state: JobState, token: string, at: number): JobState => {
    const ring = state.processedRing!;
    const i = ring.indexOf(fingerprint(token));
    expect(i % 8).toBe(0);
    return { ...state, processedRing: ring.slice(0, i) + fingerprint(`${OPEN_RUN}@${at}`) + ring.slice(i + 8) };
  };
  const DB1_START = 'Nov  1 03:00:00 db1 systemd[1]: Starting backup.service - Nightly backup...';
  const DB1_FAILED = ['Nov  1 03:01:00 db1 systemd[1]: backup.service: Main process exited, code=exited, status=2/INVALIDARGUMENT', "Nov  1 03:01:00 db1 systemd[1]: backup.service: Failed with result 'exit-code'."];
  const DB1_END_AT = Date.parse('2026-11-01T03:01:00Z');

  it('skips a delivery retried whole after its ends were read alone by a state written before hosts were in the end token', () => {
    // Prepare: the ends were read alone (their start's delivery failed), the state keeps the host-less token
    const alone = jobReducer.apply(initialJobState('backup.service'), 'backup.service', syslogLines(...DB1_FAILED), ctx);
    const before = withHostlessEndToken(alone.state, `${OPEN_RUN}@db1@${DB1_END_AT}`, DB1_END_AT);
    // Act: the retried delivery, start and ends
    const { state, findings } = jobReducer.apply(before, 'backup.service', syslogLines(DB1_START, ...DB1_FAILED), ctx);
    // Assess
    expect(alone.findings.map((f) => f.detector)).toEqual(['run-failed']);
    expect(state).toMatchObject({ runs: 1, failures: 1, open: [] });
    expect(findings).toEqual([]);
  });

  it('does not close an older run left open with an end read again that a state written before hosts were in the end token read', () => {
    // Prepare: Nov 1's run on db1 never ended (its end lost); Nov 2's run read whole
    const day2 = ['Nov  2 03:01:00 db1 systemd[1]: backup.service: Deactivated successfully.', 'Nov  2 03:01:00 db1 systemd[1]: Finished backup.service - Nightly backup.'];
    const end2 = Date.parse('2026-11-02T03:01:00Z');
    const read = jobReducer.apply(initialJobState('backup.service'), 'backup.service', syslogLines(DB1_START, 'Nov  2 03:00:00 db1 systemd[1]: Starting backup.service - Nightly backup...', ...day2), ctx);
    const before = withHostlessEndToken(read.state, `${OPEN_RUN}@db1@${end2}`, end2);
    // Act: Nov 2's end lines delivered again
    const { state, records, findings } = jobReducer.apply(before, 'backup.service', syslogLines(...day2), ctx);
    // Assess
    expect(read.state.open.map((r) => r.run_id)).toEqual(['backup.service@db1@2026-11-01T03:00:00.000Z']);
    expect(state).toMatchObject({ runs: 1, open: read.state.open });
    expect(records).toEqual([]);
    expect(findings).toEqual([]);
  });

  it.each([
    { name: 'start and ends in one delivery', batches: [[DB1_START.replace(/db1/, 'db2'), ...DB1_FAILED.map((l) => l.replace(/db1/, 'db2'))]] },
    { name: 'the ends in a later delivery', batches: [[DB1_START.replace(/db1/, 'db2')], DB1_FAILED.map((l) => l.replace(/db1/, 'db2'))] },
  ])("counts another host's run ending in the second of an end a state written before hosts were in the end token read ($name)", ({ batches }) => {
    // Prepare: db1's run read whole, its end token held host-less
    const ok = ['Nov  1 03:01:00 db1 systemd[1]: backup.service: Deactivated successfully.', 'Nov  1 03:01:00 db1 systemd[1]: Finished backup.service - Nightly backup.'];
    const read = jobReducer.apply(initialJobState('backup.service'), 'backup.service', syslogLines(DB1_START, ...ok), ctx);
    let state = withHostlessEndToken(read.state, `${OPEN_RUN}@db1@${DB1_END_AT}`, DB1_END_AT);
    // Act: db2's failed run of the same second, after the deploy
    const findings = [];
    for (const batch of batches) {
      const result = jobReducer.apply(state, 'backup.service', syslogLines(...batch), ctx);
      state = result.state;
      findings.push(...result.findings.map((f) => [f.detector, f.run_id]));
    }
    // Assess
    expect(state).toMatchObject({ runs: 2, failures: 1, open: [] });
    expect(findings).toEqual([['run-failed', 'backup.service@db2@2026-11-01T03:00:00.000Z']]);
  });

  it.each([
    { name: 'the ends read alone, then the delivery retried whole', first: [[...DB1_FAILED]], again: [DB1_START, ...DB1_FAILED], runs: 1, open: [] as string[] },
    {
      name: 'an older run left open, then the ends of the next day read again',
      first: [[DB1_START], ['Nov  2 03:00:00 db1 systemd[1]: Starting backup.service - Nightly backup...', ...DB1_FAILED.map((l) => l.replace('Nov  1', 'Nov  2'))]],
      again: DB1_FAILED.map((l) => l.replace('Nov  1', 'Nov  2')),
      runs: 1,
      open: ['backup.service@db1@2026-11-01T03:00:00.000Z'],
    },
  ])('skips CloudWatch end lines a state written before log groups were in the end token read ($name)', ({ first, again, runs, open }) => {
    // Prepare: CloudWatch lines of /prod/syslog (an event id each); the state keeps the token `*open@db1@<t>` of that build
    const cw = (...messages: string[]) =>
      messages.flatMap((message, line) => {
        const outcome = parseLine(message, { source: { origin: '/prod/syslog', line, logStream: 'db1', eventId: `${message.slice(0, 15)}-${line}` }, year: 2026 });
        if (outcome.kind !== 'events') throw new Error(`not a systemd line: ${message}`);
        return outcome.events;
      });
    let read = initialJobState('backup.service');
    for (const batch of first) read = jobReducer.apply(read, 'backup.service', cw(...batch), ctx).state;
    const endAt = Date.parse(again.at(-1)!.startsWith('Nov  2') ? '2026-11-02T03:01:00Z' : '2026-11-01T03:01:00Z');
    const ring = read.processedRing!;
    const i = ring.indexOf(fingerprint(`${OPEN_RUN}@db1@/prod/syslog@${endAt}`));
    const before = { ...read, processedRing: ring.slice(0, i) + fingerprint(`${OPEN_RUN}@db1@${endAt}`) + ring.slice(i + 8) };
    // Act: the same lines delivered again
    const { state, records, findings } = jobReducer.apply(before, 'backup.service', cw(...again), ctx);
    // Assess
    expect(i % 8).toBe(0);
    expect(state).toMatchObject({ runs, failures: 1 });
    expect(state.open.map((r) => r.run_id)).toEqual(open);
    expect(records).toEqual([]);
    expect(findings).toEqual([]);
  });

  it('counts a unit ending in the same second on two machines of the same host name in two log groups as two runs, once when delivered again', () => {
    // Prepare: host `web` in /prod/syslog and in /stage/syslog (CloudWatch lines: an event id each); stage's run fails
    const cw = (group: string, ...messages: string[]) =>
      messages.flatMap((message, line) => {
        const outcome = parseLine(message, { source: { origin: group, line, logStream: 'web', eventId: `${group}-${line}` }, year: 2026 });
        if (outcome.kind !== 'events') throw new Error(`not a systemd line: ${message}`);
        return outcome.events;
      });
    const lines = [
      ...cw('/prod/syslog', 'Nov  1 02:50:00 web systemd[1]: Starting backup.service - Nightly backup...'),
      ...cw('/stage/syslog', 'Nov  1 03:00:00 web systemd[1]: Starting backup.service - Nightly backup...'),
      ...cw('/prod/syslog', 'Nov  1 03:01:00 web systemd[1]: backup.service: Deactivated successfully.', 'Nov  1 03:01:00 web systemd[1]: Finished backup.service - Nightly backup.'),
      ...cw('/stage/syslog', 'Nov  1 03:01:00 web systemd[1]: backup.service: Main process exited, code=exited, status=2/INVALIDARGUMENT', "Nov  1 03:01:00 web systemd[1]: backup.service: Failed with result 'exit-code'."),
    ];
    // Act
    const once = jobReducer.apply(initialJobState('backup.service'), 'backup.service', lines, ctx);
    const again = jobReducer.apply(once.state, 'backup.service', lines.slice(2), ctx);
    // Assess
    expect(once.state).toMatchObject({ runs: 2, failures: 1, open: [] });
    expect(once.findings.map((f) => f.detector)).toEqual(['run-failed']);
    expect(again.state).toMatchObject({ runs: 2, failures: 1, open: [] });
    expect(again.findings).toEqual([]);
  });

  it('counts `Starting` and the `Started` a second later as one run of a simple service, on consecutive days', () => {
    // Act
    const { state, records } = jobReducer.apply(initialJobState('report.service'), 'report.service', [...simpleRun(1), ...simpleRun(2)], ctx);
    // Assess
    expect(countsOf(state)).toMatchObject({ runs: 2, startsSeen: 2, hosts: { web1: 2 }, open: [] });
    expect(state.starts).toEqual([Date.parse('2026-10-01T02:30:00Z'), Date.parse('2026-10-02T02:30:00Z')]);
    expect(records.map((r) => [r.run_id, r.duration_ms])).toEqual([
      ['report.service@web1@2026-10-01T02:30:00.000Z', 5 * 60_000],
      ['report.service@web1@2026-10-02T02:30:00.000Z', 5 * 60_000],
    ]);
  });

  it('counts `Starting` and `Started` of a simple service once when they come in two batches, and once again when redelivered', () => {
    // Prepare
    const [starting, started, ...ends] = simpleRun(1);
    const first = jobReducer.apply(initialJobState('report.service'), 'report.service', [starting], ctx).state;
    // Act
    const done = jobReducer.apply(first, 'report.service', [started, ...ends], ctx).state;
    const redelivered = jobReducer.apply(done, 'report.service', simpleRun(1), ctx);
    const startedAgain = jobReducer.apply(done, 'report.service', [started], ctx);
    // Assess
    expect(countsOf(done)).toMatchObject({ runs: 1, startsSeen: 1, starts: [Date.parse('2026-10-01T02:30:00Z')], hosts: { web1: 1 }, open: [] });
    expect(done.durations).toEqual([5 * 60_000]);
    expect(redelivered.state).toBe(done);
    expect(redelivered.records).toEqual([]);
    expect(startedAgain.state).toBe(done);
  });

  it('keeps a systemd start apart from an open run of the same unit on another host, or a day before', () => {
    // Prepare: web1 and web2 start report.service together; web1's run of the day before never logged its end
    const events = syslogLines(
      'Oct  1 02:30:00 web1 systemd[1]: Starting report.service - Weekly report...',
      'Oct  2 02:30:00 web1 systemd[1]: Starting report.service - Weekly report...',
      'Oct  2 02:30:01 web2 systemd[1]: Started report.service - Weekly report.',
    );
    // Act
    const { state } = jobReducer.apply(initialJobState('report.service'), 'report.service', events, ctx);
    // Assess
    expect(state.open.map((r) => r.run_id)).toEqual([
      'report.service@web1@2026-10-01T02:30:00.000Z',
      'report.service@web1@2026-10-02T02:30:00.000Z',
      'report.service@web2@2026-10-02T02:30:01.000Z',
    ]);
    expect(state.startsSeen).toBe(3);
  });

  it('matches a `Starting U - D...` read after its run\'s end alone to that end: no run left open, nor reported unfinished', () => {
    // Prepare: one delivery holds the end of web1's oneshot run alone; its `Starting` line comes in a later one of its own
    const [starting, ...ends] = syslogLines(
      'Oct  6 02:30:00 web1 systemd[1]: Starting backup.service - Nightly backup...',
      'Oct  6 03:12:00 web1 systemd[1]: backup.service: Deactivated successfully.',
      'Oct  6 03:12:00 web1 systemd[1]: Finished backup.service - Nightly backup.',
    );
    const afterEnd = jobReducer.apply(initialJobState('backup.service'), 'backup.service', ends, ctx).state;
    // Act
    const afterStart = jobReducer.apply(afterEnd, 'backup.service', [starting], ctx).state;
    const redelivered = jobReducer.apply(afterStart, 'backup.service', [starting], ctx).state;
    const swept = jobReducer.tick!(afterStart, 'backup.service', { ...ctx, clock: { now: () => Date.parse('2026-10-06T09:00:00Z') } });
    // Assess
    expect(afterEnd.runs).toBe(1);
    expect(countsOf(afterStart)).toMatchObject({ runs: 1, startsSeen: afterEnd.startsSeen, open: [] });
    expect(redelivered).toBe(afterStart);
    expect(swept.findings.map((f) => f.detector)).not.toContain('run-unfinished');
  });

  it('still opens a late systemd start that its end alone cannot be: on another host, after it, or beyond the max runtime before it', () => {
    // Prepare: web1's run ended alone at 03:12 (max runtime 1 h by default)
    const ends = syslogLines('Oct  6 03:12:00 web1 systemd[1]: backup.service: Deactivated successfully.');
    const afterEnd = jobReducer.apply(initialJobState('backup.service'), 'backup.service', ends, ctx).state;
    const starts = syslogLines(
      'Oct  6 01:30:00 web1 systemd[1]: Starting backup.service - Nightly backup...',
      'Oct  6 02:30:00 web2 systemd[1]: Starting backup.service - Nightly backup...',
      'Oct  6 03:30:00 web1 systemd[1]: Starting backup.service - Nightly backup...',
    );
    // Act
    const opened = starts.map((start) => jobReducer.apply(afterEnd, 'backup.service', [start], ctx).state.open.map((r) => r.run_id));
    // Assess
    expect(opened).toEqual([
      ['backup.service@web1@2026-10-06T01:30:00.000Z'],
      ['backup.service@web2@2026-10-06T02:30:00.000Z'],
      ['backup.service@web1@2026-10-06T03:30:00.000Z'],
    ]);
  });

  it('opens a new systemd run started in the same second as an end read alone (Restart=), and still pairs a start a second before it', () => {
    // Prepare: web1's run failed alone at 03:12:00; the unit restarts 100 ms later and hangs
    const failed = 'Oct  6 03:12:00 web1 systemd[1]: backup.service: Main process exited, code=exited, status=1/FAILURE';
    const afterEnd = jobReducer.apply(initialJobState('backup.service'), 'backup.service', syslogLines(failed), ctx).state;
    const [restart, ownStart] = syslogLines(
      'Oct  6 03:12:00 web1 systemd[1]: Starting backup.service - Nightly backup...',
      'Oct  6 03:11:59 web1 systemd[1]: Starting backup.service - Nightly backup...',
    );
    // the same with sub-second times, in one delivery: the end at .200 (kept as 03:12:01), the restart at .900
    const subSecond = syslogLines(
      '2026-10-06T03:12:00.200000+00:00 web1 systemd[1]: backup.service: Main process exited, code=exited, status=1/FAILURE',
      '2026-10-06T03:12:00.900000+00:00 web1 systemd[1]: Starting backup.service - Nightly backup...',
    );
    // Act
    const restarted = jobReducer.apply(afterEnd, 'backup.service', [restart], ctx).state;
    const paired = jobReducer.apply(afterEnd, 'backup.service', [ownStart], ctx).state;
    const oneDelivery = jobReducer.apply(initialJobState('backup.service'), 'backup.service', subSecond, ctx).state;
    const swept = jobReducer.tick!(restarted, 'backup.service', { ...ctx, clock: { now: () => Date.parse('2026-10-06T09:00:00Z') } });
    // Assess
    expect(restarted.open.map((r) => r.run_id)).toEqual(['backup.service@web1@2026-10-06T03:12:00.000Z']);
    expect(swept.findings.map((f) => f.detector)).toContain('run-unfinished');
    expect(paired.open).toEqual([]);
    expect(oneDelivery.open.map((r) => r.run_id)).toEqual(['backup.service@web1@2026-10-06T03:12:00.900Z']);
  });

  it('keeps the duration of an earlier run read late whole, before an end read alone', () => {
    // Prepare: live ingest read 03:12's end alone; a backfill then brings the whole run of 02:00–02:20 on the same host
    const ends = syslogLines('Oct  6 03:12:00 web1 systemd[1]: backup.service: Deactivated successfully.');
    const afterEnd = jobReducer.apply(initialJobState('backup.service'), 'backup.service', ends, ctx).state;
    const backfill = syslogLines(
      'Oct  6 02:00:00 web1 systemd[1]: Starting backup.service - Nightly backup...',
      'Oct  6 02:20:00 web1 systemd[1]: backup.service: Deactivated successfully.',
    );
    // Act
    const { state, records } = jobReducer.apply(afterEnd, 'backup.service', backfill, ctx);
    // Assess
    expect(records.map((r) => [r.run_id, r.duration_ms])).toEqual([['backup.service@web1@2026-10-06T02:00:00.000Z', 20 * 60_000]]);
    expect(state.durations).toEqual([20 * 60_000]);
    expect(state.open).toEqual([]);
  });

  it('keeps the duration of an earlier run read late whole within the max runtime before an end read alone: its own end pairs it', () => {
    // Prepare: live ingest read 03:12's end alone; a backfill then brings the whole run of 02:30–02:50 on the same host,
    // whose start is within the max runtime (1 h) before that end, so only its own end in the batch tells it apart
    const ends = syslogLines('Oct  6 03:12:00 web1 systemd[1]: backup.service: Deactivated successfully.');
    const afterEnd = jobReducer.apply(initialJobState('backup.service'), 'backup.service', ends, ctx).state;
    const backfill = syslogLines(
      'Oct  6 02:30:00 web1 systemd[1]: Starting backup.service - Nightly backup...',
      'Oct  6 02:50:00 web1 systemd[1]: backup.service: Deactivated successfully.',
    );
    // Act
    const { state, records } = jobReducer.apply(afterEnd, 'backup.service', backfill, ctx);
    // Assess
    expect(records.map((r) => [r.run_id, r.duration_ms])).toEqual([['backup.service@web1@2026-10-06T02:30:00.000Z', 20 * 60_000]]);
    expect(state.durations).toEqual([20 * 60_000]);
    expect(state.open).toEqual([]);
  });

  it('turns a failure marker into a failed run with its reason, counting consecutive failures', () => {
    const events = [1, 2, 3].map((d) => ev(`2026-10-0${d}T03:00:00Z`, { type: 'run.failed', job: 'etl', run_id: `req-${d}`, reason: 'timeout after 900 s' }));
    const { state, findings } = jobReducer.apply(initialJobState('etl'), 'etl', events, ctx);
    expect(state.consecutiveFailures).toBe(3);
    expect(findings).toHaveLength(3);
    expect(findings[0]).toMatchObject({ detector: 'run-failed', run_id: 'req-1', severity: 'high' });
    expect(findings[0].message).toBe('run timed out after 900 s');
    expect(findings[0].evidence).toMatchObject({ exit_code: 1, failure: 'timeout after 900 s' });
  });

  it.each([
    [
      'a Lambda timeout',
      'order-sync',
      [],
      () => lambdaLines(['2026-10-05T13:00:00.000Z', `START RequestId: ${REQUEST} Version: $LATEST`], ['2026-10-05T13:15:00.050Z', `2026-10-05T13:15:00.050Z ${REQUEST} Task timed out after 900.00 seconds`]),
      'run timed out after 900.00 s',
    ],
    ['a Lambda timeout whose line comes after its REPORT, in the next delivery', 'order-sync', UP_TO_REPORT, () => TIMED_OUT, 'run timed out after 3.00 s'],
    [
      'an out-of-memory error its REPORT names',
      'order-sync',
      [],
      () =>
        lambdaLines(
          ['2026-10-05T13:00:00.000Z', `START RequestId: ${REQUEST} Version: $LATEST`],
          ['2026-10-05T13:00:31.014Z', `REPORT RequestId: ${REQUEST}\tDuration: 31012.55 ms\tBilled Duration: 31013 ms\tMemory Size: 512 MB\tMax Memory Used: 512 MB\tStatus: error\tError Type: Runtime.OutOfMemory`],
        ),
      'run failed after 31 s: error (Runtime.OutOfMemory)',
    ],
    ["systemd's timeout result", 'pg-dump.service', [], () => systemdLines("pg-dump.service: Failed with result 'timeout'."), "run timed out after 30.0 min (systemd result 'timeout')"],
    ['a kill by signal', 'pg-dump.service', [], () => systemdLines('pg-dump.service: Main process exited, code=killed, status=15/TERM'), 'run failed after 30.0 min: main process killed by signal TERM'],
    [
      'a control process exit status (a code of its own)',
      'pg-dump.service',
      [],
      () => systemdLines('pg-dump.service: Control process exited, code=exited, status=2/INVALIDARGUMENT', "pg-dump.service: Failed with result 'exit-code'."),
      'run exited with code 2 after 30.0 min (control process exited with status 2)',
    ],
  ])('says what happened to a run that ended with %s, and an exit code only when it logged one', (_, name, earlier: readonly AuditEvent[], lines, message) => {
    // Prepare
    const before = jobReducer.apply(initialJobState(name), name, [...earlier], ctx);
    // Act
    const { findings } = jobReducer.apply(before.state, name, lines(), ctx);
    // Assess
    expect(before.findings).toEqual([]);
    expect(findings.map((f) => [f.detector, f.message, f.evidence.exit_code])).toEqual([['run-failed', message, message.includes('code 2') ? 2 : 1]]);
  });

  it.each([
    [
      'a kill by signal',
      { exit_code: 137, signal: 'SIGKILL', duration_ms: 4_000 },
      'run exited with code 137 (killed by SIGKILL, often out of memory) after 4 s',
      { exit_code: 137, signal: 'SIGKILL', failure: 'killed by SIGKILL', host: 'db7' },
    ],
    [
      'a command it could not run',
      { exit_code: 127, error: 'cannot run /usr/local/bin/bakup.sh (no such file, ENOENT)', duration_ms: 3, output_bytes: 0 },
      'run exited with code 127 after 3 ms: cannot run /usr/local/bin/bakup.sh (no such file, ENOENT)',
      { exit_code: 127, failure: 'cannot run /usr/local/bin/bakup.sh (no such file, ENOENT)', host: 'db7' },
    ],
  ])("gives the run-failed finding what exec recorded in run.end for %s (its signal or error) and the host", (_, end, message, evidence) => {
    // Prepare
    const lines = run('backup', 'r-1', '2026-10-01T02:30:00Z', 1, { host: 'db7', ...end });
    // Act
    const { findings } = jobReducer.apply(initialJobState('backup'), 'backup', lines, ctx);
    // Assess
    expect(findings.map((f) => f.detector)).toEqual(['run-failed']);
    expect(findings[0].message).toBe(message);
    expect(findings[0].evidence).toMatchObject(evidence);
  });

  it('reports an empty run of a job with an expect_pattern once, as empty-output, not also as expected-pattern-missing', () => {
    // Prepare
    const config = validateConfig({ jobs: { backup: { expect_pattern: 'uploaded \\d+ objects' } } }, 'cfg', undefined, { now: Date.parse('2026-10-01T00:00:00Z') });
    const lines = run('backup', 'r-1', '2026-10-01T02:30:00Z', 1, { output_bytes: 0, output_head: '', output_tail: '' });
    // Act
    const { findings } = jobReducer.apply(initialJobState('backup'), 'backup', lines, { ...ctx, config });
    // Assess
    expect(findings.map((f) => f.detector)).toEqual(['empty-output']);
  });

  it('judges a Lambda timeout whose line comes in the delivery after its REPORT (no Status) as the failure one delivery of both shows, the run counted once', () => {
    // Prepare
    const together = jobReducer.apply(initialJobState('order-sync'), 'order-sync', INVOCATION, ctx);
    const reported = jobReducer.apply(initialJobState('order-sync'), 'order-sync', UP_TO_REPORT, ctx);
    // Act
    const late = jobReducer.apply(deepFreeze(reported.state), 'order-sync', TIMED_OUT, ctx);
    // Assess
    expect(failureOf(together.findings)).toEqual([['run-failed', REQUEST, '2026-10-05T13:00:03Z', 'high', 1, 'timeout after 3.00 s']]);
    expect(reported.findings).toEqual([]);
    expect(failureOf(late.findings)).toEqual(failureOf(together.findings));
    expect(countsOf(late.state)).toEqual(countsOf(together.state));
    expect(late.state.consecutiveFailures).toBe(1);
    // The run was recorded (ok) when its REPORT came; it is recorded once.
    expect(reported.records.map((r) => [r.run_id, r.status])).toEqual([[REQUEST, 'ok']]);
    expect(late.records).toEqual([]);
  });

  it('takes the duration a REPORT (no Status) put into the baseline window back out when its timeout line comes in a later delivery, as one delivery of both would leave it', () => {
    // Prepare: six earlier invocations of about 3 s each, the baseline the timed-out one's 3 s REPORT fits in
    const earlier = Array.from({ length: 6 }, (_, i) => {
      const id = `5f3c1a9e-1111-4222-8333-00000000000${i}`;
      const at = Date.parse('2026-10-05T12:00:00.000Z') + i * 600_000;
      const ms = 2990 + i * 5;
      return lambdaLines([new Date(at).toISOString(), `START RequestId: ${id} Version: $LATEST`], [new Date(at + ms).toISOString(), `REPORT RequestId: ${id}\tDuration: ${ms}.00 ms\tBilled Duration: ${ms} ms\tMemory Size: 128 MB\tMax Memory Used: 49 MB`]);
    }).flat();
    const history = jobReducer.apply(initialJobState('order-sync'), 'order-sync', earlier, ctx).state;
    const together = jobReducer.apply(history, 'order-sync', INVOCATION, ctx);
    const reported = jobReducer.apply(history, 'order-sync', UP_TO_REPORT, ctx);
    // Act
    const late = jobReducer.apply(deepFreeze(reported.state), 'order-sync', TIMED_OUT, ctx);
    // Assess: the REPORT entered the window, and the failure took it out
    expect(reported.findings).toEqual([]);
    expect(reported.state.durations).toContain(3003.16);
    expect(failureOf(late.findings)).toEqual(failureOf(together.findings));
    expect(late.state.durations).toEqual(together.state.durations);
    expect(late.state.durations).toEqual(history.durations);
  });

  it('leaves the baseline window as one delivery would when a REPORT judged slow comes before its timeout line, and the slow finding stays reported', () => {
    // Prepare: six earlier invocations of exactly 1 s (1000.00 ms, read as whole seconds): the timed-out one's 3 s REPORT is slow, and stays out of the window
    const earlier = Array.from({ length: 6 }, (_, i) => {
      const id = `5f3c1a9e-1111-4222-8333-00000000000${i}`;
      const at = Date.parse('2026-10-05T12:00:00.000Z') + i * 600_000;
      return lambdaLines([new Date(at).toISOString(), `START RequestId: ${id} Version: $LATEST`], [new Date(at + 1000).toISOString(), `REPORT RequestId: ${id}\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\tMemory Size: 128 MB\tMax Memory Used: 49 MB`]);
    }).flat();
    const history = jobReducer.apply(initialJobState('order-sync'), 'order-sync', earlier, ctx).state;
    const together = jobReducer.apply(history, 'order-sync', INVOCATION, ctx);
    const reported = jobReducer.apply(history, 'order-sync', UP_TO_REPORT, ctx);
    // Act
    const late = jobReducer.apply(deepFreeze(reported.state), 'order-sync', TIMED_OUT, ctx);
    // Assess
    expect(reported.findings.map((f) => f.detector)).toEqual(['duration-slow']);
    expect(failureOf(late.findings)).toEqual(failureOf(together.findings));
    expect(late.state.durations).toEqual(together.state.durations);
  });

  it("counts Lambda's retry of an invocation (the same request id, a minute later) as a run of its own, and its lines delivered again once", () => {
    // Prepare: the invocation that timed out, then its retry, which succeeds
    const first = jobReducer.apply(initialJobState('order-sync'), 'order-sync', INVOCATION, ctx);

    // Act
    const retried = jobReducer.apply(first.state, 'order-sync', RETRY, ctx);
    const again = jobReducer.apply(retried.state, 'order-sync', [...INVOCATION, ...RETRY], ctx);

    // Assess
    expect(first.records.map((r) => r.status)).toEqual(['failed']);
    expect(retried.records.map((r) => [r.run_id, r.status, r.duration_ms])).toEqual([[REQUEST, 'ok', 700]]);
    expect(retried.state.runs).toBe(2);
    expect(retried.state.consecutiveFailures).toBe(0);
    expect(again.state).toBe(retried.state);
    expect(again.findings).toEqual([]);
  });

  it("counts Lambda's retry of an invocation as a run of its own when both come in one delivery", () => {
    // Prepare: the invocation that timed out (its REPORT, then "Task timed out") and its retry, one delivery
    const delivery = [...INVOCATION, ...RETRY];

    // Act
    const both = jobReducer.apply(initialJobState('order-sync'), 'order-sync', delivery, ctx);
    const swept = jobReducer.tick!(both.state, 'order-sync', { ...ctx, clock: { now: () => Date.parse('2026-10-05T15:00:00Z') } });

    // Assess: as in two deliveries
    expect(both.records.map((r) => [r.run_id, r.status])).toEqual([
      [REQUEST, 'failed'],
      [REQUEST, 'ok'],
    ]);
    expect([both.state.runs, both.state.failures, both.state.consecutiveFailures, both.state.open.length]).toEqual([2, 1, 0, 0]);
    expect(swept.findings).toEqual([]);
  });

  it('judges a late Lambda timeout once when its delivery comes again, alone or with the REPORT', () => {
    // Prepare
    const reported = jobReducer.apply(initialJobState('order-sync'), 'order-sync', UP_TO_REPORT, ctx).state;
    const late = jobReducer.apply(reported, 'order-sync', TIMED_OUT, ctx).state;
    // Act
    const again = jobReducer.apply(deepFreeze(late), 'order-sync', TIMED_OUT, ctx);
    const both = jobReducer.apply(deepFreeze(late), 'order-sync', INVOCATION, ctx);
    // Assess
    expect([late.runs, late.failures]).toEqual([1, 1]);
    expect(again.state).toBe(late);
    expect(again.findings).toEqual([]);
    expect(both.state).toBe(late);
    expect(both.findings).toEqual([]);
  });

  it('does not judge a Lambda timeout twice when its REPORT already said Status: timeout in an earlier delivery', () => {
    // Prepare: the REPORT of a runtime that names the status, then the timeout line in the next delivery
    const failed = lambdaLines(
      ['2026-10-05T13:00:00.000Z', `START RequestId: ${REQUEST} Version: $LATEST`],
      ['2026-10-05T13:00:03.010Z', `REPORT RequestId: ${REQUEST}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 49 MB\tStatus: timeout`],
    );
    const reported = jobReducer.apply(initialJobState('order-sync'), 'order-sync', failed, ctx);
    // Act
    const late = jobReducer.apply(deepFreeze(reported.state), 'order-sync', TIMED_OUT, ctx);
    // Assess
    expect(reported.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', REQUEST]]);
    expect(late.state).toBe(reported.state);
    expect(late.findings).toEqual([]);
  });

  it('does not open a Lambda invocation again when its START comes in a delivery after its REPORT', () => {
    // Prepare
    const reported = jobReducer.apply(initialJobState('order-sync'), 'order-sync', INVOCATION.slice(1, 2), ctx).state;
    // Act
    const started = jobReducer.apply(deepFreeze(reported), 'order-sync', INVOCATION.slice(0, 1), ctx);
    // Assess
    expect(started.state).toBe(reported);
  });

  it('keeps the baseline window at its configured length', () => {
    const config = { ...DEFAULT_CONFIG, defaults: { ...DEFAULT_CONFIG.defaults, baseline_window: 3 } };
    const { state } = jobReducer.apply(initialJobState('backup'), 'backup', days(6), { ...ctx, config });
    expect(state.outputs).toHaveLength(3);
  });

  it("accepts a smaller output as the new normal through the job's own output_shrink_ratio, which output-shrink's advice names: its runs then enter the baseline", () => {
    // Prepare: 5 runs of 1,000 B; then the output drops to 200 B for good, and the job's ratio is lowered to 0.1
    const at = (i: number) => new Date(Date.UTC(2026, 9, 1 + i, 2, 30)).toISOString();
    const runOf = (i: number, output_bytes: number) => run('backup', `r-${i + 1}`, at(i), 40, { output_bytes });
    const lowered = validateConfig({ jobs: { backup: { output_shrink_ratio: 0.1 } } }, 'cfg', undefined, { now: Date.parse('2026-10-01T00:00:00Z') });
    const before = jobReducer.apply(initialJobState('backup'), 'backup', Array.from({ length: 5 }, (_, i) => runOf(i, 1000)).flat(), ctx).state;
    // Act: 11 runs of 200 B under the lowered ratio, then one more with the key removed again
    const accepting = jobReducer.apply(before, 'backup', Array.from({ length: 11 }, (_, i) => runOf(5 + i, 200)).flat(), { ...ctx, config: lowered });
    const after = jobReducer.apply(accepting.state, 'backup', runOf(16, 200), ctx);
    // Assess: none fired, the 200 B runs are most of the window, so the next one is normal under the default ratio
    expect(accepting.findings).toEqual([]);
    expect(median(accepting.state.outputs)).toBe(200);
    expect(after.findings).toEqual([]);
    expect(outputShrinkDetector.meta.fiveCs.correctiveAction).toContain('`output_shrink_ratio`');
  });

  it('judges the next run against the newest runs of a lowered baseline window, as a store kept under it would', () => {
    // Prepare: 15 runs of 1,000 B, then 5 of 10,000 B, kept under a window of 20; then the window is lowered to 5
    const windowOf = (baseline_window: number) => ({ ...ctx, config: { ...DEFAULT_CONFIG, defaults: { ...DEFAULT_CONFIG.defaults, min_history: 5, baseline_window } } });
    const day = (i: number) => new Date(Date.UTC(2026, 9, 1 + i, 2, 30)).toISOString();
    const history = Array.from({ length: 20 }, (_, i) => run('backup', `r-${i + 1}`, day(i), 40, { output_bytes: i < 15 ? 1000 : 10_000 })).flat();
    const keptUnder20 = jobReducer.apply(initialJobState('backup'), 'backup', history, windowOf(20)).state;
    const keptUnder5 = jobReducer.apply(initialJobState('backup'), 'backup', history, windowOf(5)).state;
    const next = run('backup', 'r-21', day(20), 40, { output_bytes: 2000 });
    // Act
    const judged = jobReducer.apply(keptUnder20, 'backup', next, windowOf(5));
    // Assess: 2,000 B is 20% of the median 10,000 B of the last 5 runs
    const expected = jobReducer.apply(keptUnder5, 'backup', next, windowOf(5));
    expect(judged.findings.map((f) => f.detector)).toEqual(['output-shrink']);
    expect(judged.findings).toEqual(expected.findings);
    expect(judged.state.outputs).toEqual(expected.state.outputs);
    expect(judged.state.durations).toEqual(expected.state.durations);
  });

  it('reads the default max runtime from the newest runs of a lowered baseline window', () => {
    // Prepare: 15 runs of 60 minutes, then 5 of 30, kept under a window of 20; the window is then 5
    const state = { job: 'backup', durations: [...Array(15).fill(60 * 60_000), ...Array(5).fill(30 * 60_000)] };
    const config = { ...DEFAULT_CONFIG, defaults: { ...DEFAULT_CONFIG.defaults, min_history: 5, baseline_window: 5 } };
    // Act
    const runtime = maxRuntimeOf(state, config);
    // Assess: 3× the median of the last 5 (30 minutes), not of all 20 stored (60 minutes)
    expect(runtime).toEqual({ ms: 90 * 60_000, source: '3× the median duration' });
  });

  it('keeps the latest runs in the baseline windows, oldest first, when older history comes after them (a backfill of an earlier span)', () => {
    // Prepare: 30 daily runs, day N lasting 30+N minutes with 7,000+N bytes; days 15–30 read first (live), then days 1–14
    const month = Array.from({ length: 30 }, (_, i) => run('backup', `r-${i + 1}`, `2026-10-${String(i + 1).padStart(2, '0')}T02:30:00Z`, 31 + i, { output_bytes: 7001 + i }));
    const live = jobReducer.apply(initialJobState('backup'), 'backup', month.slice(14).flat(), ctx).state;
    // Act
    const { state, findings } = jobReducer.apply(live, 'backup', month.slice(0, 14).flat(), ctx);
    // Assess: days 11–30, as one batch of the whole month leaves them
    const days11to30 = Array.from({ length: 20 }, (_, i) => 11 + i);
    expect(findings).toEqual([]);
    expect(state.durations).toEqual(days11to30.map((day) => (30 + day) * 60_000));
    expect(state.outputs).toEqual(days11to30.map((day) => 7000 + day));
    expect(state.durations).toEqual(jobReducer.apply(initialJobState('backup'), 'backup', month.flat(), ctx).state.durations);
  });

  it('keeps the latest runs in the baseline windows when older history comes in several batches, oldest first', () => {
    // Prepare: 30 daily runs, day N lasting 30+N minutes with 7,000+N bytes; days 26–30 read first (live)
    const month = Array.from({ length: 30 }, (_, i) => run('backup', `r-${i + 1}`, `2026-10-${String(i + 1).padStart(2, '0')}T02:30:00Z`, 31 + i, { output_bytes: 7001 + i }));
    const live = jobReducer.apply(initialJobState('backup'), 'backup', month.slice(25).flat(), ctx).state;
    // Act: days 1–10, then days 11–25 (a lagging stream catching up over two batches, oldest first)
    const first = jobReducer.apply(live, 'backup', month.slice(0, 10).flat(), ctx).state;
    const { state, findings } = jobReducer.apply(first, 'backup', month.slice(10, 25).flat(), ctx);
    // Assess: days 11–30, as one batch of the whole month leaves them
    const days11to30 = Array.from({ length: 20 }, (_, i) => 11 + i);
    const whole = jobReducer.apply(initialJobState('backup'), 'backup', month.flat(), ctx).state;
    expect(findings).toEqual([]);
    expect(state.durations).toEqual(days11to30.map((day) => (30 + day) * 60_000));
    expect(state.outputs).toEqual(days11to30.map((day) => 7000 + day));
    expect([state.durations, state.outputs]).toEqual([whole.durations, whole.outputs]);
  });

  it('puts older history read late after the values of a state written before end times were kept, as if all were the latest', () => {
    // Prepare: a state holding the windows of days 21–30 without their end times
    const month = Array.from({ length: 30 }, (_, i) => run('backup', `r-${i + 1}`, `2026-10-${String(i + 1).padStart(2, '0')}T02:30:00Z`, 31 + i, { output_bytes: 7001 + i }));
    const stored = jobReducer.apply(initialJobState('backup'), 'backup', month.slice(20).flat(), ctx).state;
    // Act: days 1–15 read late
    const { state } = jobReducer.apply(stored, 'backup', month.slice(0, 15).flat(), ctx);
    // Assess: days 6–15 go in before days 21–30, which stay
    const days = [...Array.from({ length: 10 }, (_, i) => 6 + i), ...Array.from({ length: 10 }, (_, i) => 21 + i)];
    expect([stored.olderOutputEnds, stored.olderDurationEnds]).toEqual([undefined, undefined]);
    expect(state.durations).toEqual(days.map((day) => (30 + day) * 60_000));
    expect(state.outputs).toEqual(days.map((day) => 7000 + day));
  });

  it('keeps no end times in the state of a job whose runs are all live, and those of older history only while the windows hold it', () => {
    // Prepare: 45 daily runs from Sep 1, day i lasting 31+i minutes with 7,001+i bytes
    const daily = Array.from({ length: 45 }, (_, i) => run('backup', `r-${i + 1}`, new Date(Date.UTC(2026, 8, 1 + i, 2, 30)).toISOString(), 31 + i, { output_bytes: 7001 + i }));
    const endSeconds = (i: number) => (Date.UTC(2026, 8, 1 + i, 2, 30) + (31 + i) * 60_000) / 1000;
    const apply = (state: JobState, from: number, to: number) => jobReducer.apply(state, 'backup', daily.slice(from, to).flat(), ctx).state;
    const endKeys = (state: JobState) => Object.keys(state).filter((key) => key.endsWith('Ends'));
    // Act: all 45 read live, in three batches; days 26–30 live, then days 11–25 read late, then days 31–45 live
    const live = apply(apply(apply(initialJobState('backup'), 0, 15), 15, 30), 30, 45);
    const withOlder = apply(apply(initialJobState('backup'), 25, 30), 10, 25);
    const olderPushedOut = apply(withOlder, 30, 45);
    const fromEarlierBuild = apply({ ...apply(initialJobState('backup'), 25, 30), outputEnds: [1, 2, 3, 4, 5], durationEnds: [1, 2, 3, 4, 5] }, 30, 31);
    // Assess: end times only for the 15 values read late, dropped with them; an earlier build's end times of every value dropped
    expect(endKeys(live)).toEqual([]);
    expect(live.durations).toHaveLength(20);
    expect(withOlder.olderOutputEnds).toEqual(Array.from({ length: 15 }, (_, i) => endSeconds(10 + i)));
    expect(withOlder.olderDurationEnds).toEqual(withOlder.olderOutputEnds);
    expect(endKeys(olderPushedOut)).toEqual([]);
    expect(olderPushedOut.outputs).toEqual(live.outputs);
    expect(endKeys(fromEarlierBuild)).toEqual([]);
    expect(fromEarlierBuild.outputs).toEqual(Array.from({ length: 6 }, (_, i) => 7026 + i));
  });

  it('does not judge older history read late against the later runs in the windows, and still judges what needs no baseline', () => {
    // Prepare: the job got faster on Oct 15 (100 minutes, then 20); Oct 15–30 read first, then Oct 1–14, Oct 3's run empty
    const at = (day: number) => `2026-10-${String(day).padStart(2, '0')}T02:30:00Z`;
    const live = Array.from({ length: 16 }, (_, i) => run('backup', `r-${15 + i}`, at(15 + i), 20)).flat();
    const older = Array.from({ length: 14 }, (_, i) => run('backup', `r-${1 + i}`, at(1 + i), 100, i === 2 ? { output_bytes: 0 } : {})).flat();
    const judged = jobReducer.apply(initialJobState('backup'), 'backup', live, ctx).state;
    // Act
    const { state, findings } = jobReducer.apply(judged, 'backup', older, ctx);
    // Assess: no duration-slow against the later 20-minute runs; the empty run is found and kept out of the windows
    expect(findings.map((f) => [f.detector, f.run_id])).toEqual([['empty-output', 'r-3']]);
    expect(state.durations).toEqual([...Array(4).fill(100 * 60_000), ...Array(16).fill(20 * 60_000)]);
    expect(state.outputs).not.toContain(0);
    expect(state.lastEnd?.run_id).toBe('r-30');
  });

  it('changes only its own copies across a batch of many runs: the frozen input stays as it was, and the result is that of one batch per run', () => {
    // Prepare: a state with full windows, frozen as a store keeps it; then 260 runs on 3 hosts,
    // every 7th only logging its end (its start is end − duration, out of order), every 50th slow.
    const hourly = (from: number, n: number): AuditEvent[] =>
      Array.from({ length: n }, (_, k) => {
        const i = from + k;
        const startIso = new Date(Date.UTC(2026, 9, 1) + i * 3_600_000).toISOString();
        const [start, end] = run('etl', `r-${i}`, startIso, i % 50 === 49 ? 200 : 10 + (i % 5), { output_bytes: 7000 + i, host: `h${i % 3}` });
        const withHost = { ...start, body: { ...start.body, host: `h${i % 3}` } } as AuditEvent;
        return i % 7 === 3 ? [end] : [withHost, end];
      }).flat();
    const before = deepFreeze(jobReducer.apply(initialJobState('etl'), 'etl', hourly(0, 30), ctx).state);
    const snapshot = structuredClone(before);
    const events = hourly(30, 260);

    // Act: one batch, and the same events one run per batch.
    const batch = jobReducer.apply(before, 'etl', events, ctx);
    let state = before;
    const findings = [];
    const records = [];
    const runOf = (e: AuditEvent) => (e.body as { run_id: string }).run_id;
    for (let i = 0; i < events.length; ) {
      let j = i + 1;
      while (j < events.length && runOf(events[j]) === runOf(events[i])) j++;
      const one = jobReducer.apply(deepFreeze(state), 'etl', events.slice(i, j), ctx);
      i = j;
      state = one.state;
      findings.push(...one.findings);
      records.push(...one.records);
    }

    // Assess
    expect(before).toEqual(snapshot);
    expect(batch.state).toEqual(state);
    expect(JSON.stringify(batch.state)).toBe(JSON.stringify(state));
    expect(batch.findings).toEqual(findings);
    expect(batch.records).toEqual(records);
    expect(batch.state.runs).toBe(290);
    expect(batch.state.outputs).toEqual(records.slice(-20).map((r) => r.output_bytes));
    expect(batch.state.starts).toHaveLength(200);
    expect(batch.state.starts).toEqual([...batch.state.starts!].sort((a, b) => a - b));
    expect(batch.state.hosts).toEqual({ h0: 97, h1: 97, h2: 96 });
    // The slow runs are judged against the median of the window before them.
    const slow = batch.findings.filter((f) => f.detector === 'duration-slow');
    expect(slow.map((f) => f.run_id)).toEqual(['r-49', 'r-99', 'r-149', 'r-199', 'r-249']);
    expect(slow[0].evidence).toMatchObject({ median: median([...Array(20)].map((_, k) => (10 + ((79 + k) % 5)) * 60_000)), window: 20 });
    // Applied again, the batch changes nothing.
    const again = jobReducer.apply(deepFreeze(batch.state), 'etl', events, ctx);
    expect(again.state).toBe(batch.state);
    expect(again.findings).toEqual([]);
  });

  it('ignores events of other kinds', () => {
    const state: JobState = initialJobState('x');
    const result = jobReducer.apply(state, 'x', [ev('2026-10-01T00:00:00Z', { type: 'guard.bypass', guard: 'g' })], ctx);
    expect(result.state).toBe(state);
  });

  it('reports a run that ended past its max runtime unfinished at its start plus that runtime, once, whether or not a sweep saw it hang', () => {
    // Prepare: export allows 30 min; its 02:00 run ends at 04:30, read in one delivery (no sweep saw it open) or after a sweep at 02:35
    const config = validateConfig({ jobs: { export: { schedule: '0 2 * * *', max_runtime_minutes: 30 } } }, 'cfg', undefined, { now: Date.parse('2026-10-01T00:00:00Z') });
    const jobCtx: ReduceContext = { ...ctx, config };
    const [start, end] = run('export', 'export-1', '2026-10-06T02:00:00Z', 150);
    const onTime = run('export', 'export-2', '2026-10-07T02:00:00Z', 29);
    // Act
    const oneDelivery = jobReducer.apply(initialJobState('export'), 'export', [start, end], jobCtx);
    const hanging = jobReducer.apply(initialJobState('export'), 'export', [start], jobCtx).state;
    const swept = jobReducer.tick!(hanging, 'export', { ...jobCtx, clock: { now: () => Date.parse('2026-10-06T02:35:00Z') } });
    const endedAfterSweep = jobReducer.apply(swept.state, 'export', [end], jobCtx);
    const inTime = jobReducer.apply(oneDelivery.state, 'export', onTime, jobCtx);
    // Assess
    const unfinished = (findings: readonly { detector: string; run_id?: string; ts: string }[]) => findings.filter((f) => f.detector === 'run-unfinished').map((f) => [f.run_id, f.ts]);
    expect(unfinished(oneDelivery.findings)).toEqual([['export-1', '2026-10-06T02:30:00Z']]);
    expect(unfinished(swept.findings)).toEqual([['export-1', '2026-10-06T02:30:00Z']]);
    expect(unfinished(endedAfterSweep.findings)).toEqual([]);
    expect(unfinished(inTime.findings)).toEqual([]);
  });

  it('does not report a systemd daemon unfinished when it stops after running for days: the sweep never waited for its end', () => {
    // Prepare: a service started on Oct 1 and stopped on Oct 6 (its first end: the job logged starts only until then)
    const lines = syslogLines('Oct  1 08:00:00 web1 systemd[1]: Started queue-worker.service - Queue worker.', 'Oct  6 08:00:00 web1 systemd[1]: queue-worker.service: Deactivated successfully.');
    // Act
    const result = jobReducer.apply(initialJobState('queue-worker.service'), 'queue-worker.service', lines, ctx);
    // Assess
    expect(result.records).toHaveLength(1);
    expect(result.findings.map((f) => f.detector)).not.toContain('run-unfinished');
  });

  it('does not report a restarted systemd daemon unfinished, its second or third uptime read at once or swept while it runs', () => {
    // Prepare: queue-worker.service up on Oct 1, restarted Oct 2 (a stop seen: an end), up 7 days, restarted Oct 9
    const daemon = 'queue-worker.service';
    const lines = syslogLines(
      'Oct  1 08:00:00 web1 systemd[1]: Started queue-worker.service - Queue worker.',
      'Oct  2 08:00:01 web1 systemd[1]: queue-worker.service: Deactivated successfully.',
      'Oct  2 08:00:02 web1 systemd[1]: Starting queue-worker.service - Queue worker...',
      'Oct  2 08:00:03 web1 systemd[1]: Started queue-worker.service - Queue worker.',
      'Oct  9 08:00:01 web1 systemd[1]: queue-worker.service: Deactivated successfully.',
      'Oct  9 08:00:03 web1 systemd[1]: Started queue-worker.service - Queue worker.',
    );
    const upToSecond = lines.slice(0, 4);
    // Act
    const atOnce = jobReducer.apply(initialJobState(daemon), daemon, lines, ctx);
    const second = jobReducer.apply(initialJobState(daemon), daemon, upToSecond, ctx);
    const swept = jobReducer.tick!(second.state, daemon, { ...ctx, clock: { now: () => Date.parse('2026-10-06T00:00:00Z') } });
    const stopped = jobReducer.apply(swept.state, daemon, lines.slice(4), ctx);
    const thirdSwept = jobReducer.tick!(stopped.state, daemon, { ...ctx, clock: { now: () => Date.parse('2026-10-20T00:00:00Z') } });
    // Assess
    const unfinished = (findings: readonly { detector: string }[]) => findings.filter((f) => f.detector === 'run-unfinished');
    expect(atOnce.records).toHaveLength(2);
    expect(unfinished(atOnce.findings)).toEqual([]);
    expect(unfinished(swept.findings)).toEqual([]);
    expect(unfinished(stopped.findings)).toEqual([]);
    expect(unfinished(thirdSwept.findings)).toEqual([]);
  });

  it('still reports a systemd oneshot (Starting, then Finished) that finished past its max runtime unfinished', () => {
    // Prepare: backup.service runs 02:30 to 02:45 on Oct 5, then 02:30 to 06:00 on Oct 6 (max runtime 1 h by default)
    const unit = 'backup.service';
    const lines = syslogLines(
      'Oct  5 02:30:00 web1 systemd[1]: Starting backup.service - Nightly backup...',
      'Oct  5 02:45:00 web1 systemd[1]: backup.service: Deactivated successfully.',
      'Oct  5 02:45:00 web1 systemd[1]: Finished backup.service - Nightly backup.',
      'Oct  6 02:30:00 web1 systemd[1]: Starting backup.service - Nightly backup...',
      'Oct  6 06:00:00 web1 systemd[1]: backup.service: Deactivated successfully.',
      'Oct  6 06:00:00 web1 systemd[1]: Finished backup.service - Nightly backup.',
    );
    // Act
    const result = jobReducer.apply(initialJobState(unit), unit, lines, ctx);
    // Assess
    expect(result.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.ts)).toEqual(['2026-10-06T03:30:00Z']);
  });

  /** Daily runs of a timer's Type=simple service (systemd's default Type): `Started U`, then `U: Deactivated successfully.` 20 minutes later. */
  const timerSimpleRuns = (days: readonly number[]) =>
    syslogLines(
      ...days.flatMap((day) => [
        `Oct ${String(day).padStart(2, ' ')} 02:30:00 web1 systemd[1]: Started backup.service - Nightly backup.`,
        `Oct ${String(day).padStart(2, ' ')} 02:50:00 web1 systemd[1]: backup.service: Deactivated successfully.`,
      ]),
    );

  it('reports a hanging run of a timer-started Type=simple service unfinished once its daily schedule is learned from its starts', () => {
    // Prepare: backup.service runs 20 minutes a day, Oct 1 to 10; on Oct 11 it starts and never ends
    const unit = 'backup.service';
    const days = Array.from({ length: 10 }, (_, i) => i + 1);
    const lines = [...timerSimpleRuns(days), ...syslogLines('Oct 11 02:30:00 web1 systemd[1]: Started backup.service - Nightly backup.')];
    const read = jobReducer.apply(initialJobState(unit), unit, lines, ctx);
    // Act: swept on Oct 11 at 04:00 (max runtime 1 h by default)
    const swept = jobReducer.tick!(read.state, unit, { ...ctx, clock: { now: () => Date.parse('2026-10-11T04:00:00Z') } });
    // Assess
    expect(read.records).toHaveLength(10);
    expect(swept.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.ts)).toEqual(['2026-10-11T03:30:00Z']);
  });

  it('reports a hanging run of a Type=simple service unfinished after two runs when its schedule is configured', () => {
    // Prepare: backup.service scheduled daily at 02:30, two runs seen, the third starts on Oct 3 and never ends
    const unit = 'backup.service';
    const config = validateConfig({ jobs: { [unit]: { schedule: '30 2 * * *' } } }, 'cfg', undefined, { now: Date.parse('2026-10-01T00:00:00Z') });
    const scheduled = { ...ctx, config };
    const lines = [...timerSimpleRuns([1, 2]), ...syslogLines('Oct  3 02:30:00 web1 systemd[1]: Started backup.service - Nightly backup.')];
    const read = jobReducer.apply(initialJobState(unit), unit, lines, scheduled);
    // Act: swept on Oct 3 at 04:00; and the run's end read at 05:00, in another reading
    const swept = jobReducer.tick!(read.state, unit, { ...scheduled, clock: { now: () => Date.parse('2026-10-03T04:00:00Z') } });
    const ended = jobReducer.apply(initialJobState(unit), unit, [...lines, ...syslogLines('Oct  3 05:00:00 web1 systemd[1]: backup.service: Deactivated successfully.')], scheduled);
    // Assess
    const unfinished = (findings: readonly { detector: string; ts: string }[]) => findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.ts);
    expect(unfinished(swept.findings)).toEqual(['2026-10-03T03:30:00Z']);
    expect(unfinished(ended.findings)).toEqual(['2026-10-03T03:30:00Z']);
  });
});

describe('a redact pattern matching run ids added to the config while a run is open', () => {
  const withHexKeys = validateConfig({ redact: { patterns: [{ name: 'hex-key', regex: '\\b[0-9a-f]{16}\\b' }] } }, 'cfg', undefined, { now: Date.parse('2026-10-01T00:00:00Z') });
  /** A line as the pipeline reads it under a config: redacted with its patterns. */
  const read = (config: Config, at: string, body: Record<string, unknown>): AuditEvent[] => {
    const outcome = parseLine(JSON.stringify({ ts: at, ...body }), { source: { origin: '/jobs/etl', line: 1 }, redactor: redactorFor(config) });
    if (outcome.kind !== 'events') throw new Error(`not a job line: ${JSON.stringify(body)}`);
    return outcome.events;
  };

  it('closes the run when its end comes with the id redacted', () => {
    // Prepare: the start read before the redeploy, under the id in full
    const runId = '06c0ffee1234abcd';
    const started = jobReducer.apply(initialJobState('etl'), 'etl', read(DEFAULT_CONFIG, '2026-10-05T06:00:00Z', { type: 'run.start', job: 'etl', run_id: runId }), ctx).state;
    const end = read(withHexKeys, '2026-10-05T06:01:00Z', { type: 'run.end', job: 'etl', run_id: runId, exit_code: 0, output_bytes: 500 });
    const endId = (end[0].body as { run_id?: string }).run_id;
    // Act
    const { state, records } = jobReducer.apply(started, 'etl', end, { ...ctx, config: withHexKeys });
    // Assess
    expect(endId).toMatch(/^\[REDACTED:hex-key\]#/);
    expect(state.open).toEqual([]);
    expect(records.map((r) => [r.run_id, r.duration_ms])).toEqual([[endId, 60_000]]);
  });
});

describe('runsGoingOn: the open runs scan counts in flight and MCP calls running', () => {
  it('counts a unit that is up (`Started U`) as no run going on when its job has no schedule (a daemon), and as one when its schedule is configured', () => {
    // Prepare: api.service came up at 08:00, failed at 09:00 (an end seen) and was restarted by Restart= at 09:00:05
    const unit = 'api.service';
    const lines = syslogLines(
      'Oct  5 08:00:00 web1 systemd[1]: Started api.service - API server.',
      'Oct  5 09:00:00 web1 systemd[1]: api.service: Main process exited, code=exited, status=1/FAILURE',
      'Oct  5 09:00:05 web1 systemd[1]: Started api.service - API server.',
    );
    const { state } = jobReducer.apply(initialJobState(unit), unit, lines, ctx);
    const scheduled = validateConfig({ jobs: { [unit]: { schedule: '0 9 * * *' } } }, 'cfg', undefined, { now: Date.parse('2026-10-01T00:00:00Z') });
    const at = Date.parse('2026-10-05T09:30:00Z');

    // Act
    const daemon = runsGoingOn(state, at, maxRuntimeOf(state, DEFAULT_CONFIG).ms, DEFAULT_CONFIG);
    const timerService = runsGoingOn(state, at, maxRuntimeOf(state, scheduled).ms, scheduled);

    // Assess: the restarted run is open and up; only the scheduled job waits for it to end
    expect(state.open.map((r) => [new Date(r.at).toISOString(), r.active])).toEqual([['2026-10-05T09:00:05.000Z', true]]);
    expect(daemon).toEqual([]);
    expect(timerService.map((r) => new Date(r.at).toISOString())).toEqual(['2026-10-05T09:00:05.000Z']);
  });
});
