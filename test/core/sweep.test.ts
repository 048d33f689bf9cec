import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { ALERT_DUE_CATALOG } from '../../lambdas/core/alert-policy.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-10-05T00:00:00Z');
const TOKEN = 'TCK-0123456789abcdef0123456789abcdef';
const JOB = `sync-tickets --key ${TOKEN}`;
const config = (raw: unknown): Config => validateConfig(raw, 'silent-audit.yaml', undefined, { now: T0 });
const BEFORE = config({});
const AFTER = config({ redact: { patterns: [{ name: 'ticket-token', regex: 'TCK-[0-9a-f]{32}' }] } });

/** A store and alert sink that lines reach through the ingest handler, where they are redacted. */
function world() {
  const store = new MemoryAuditStore();
  const sent: unknown[] = [];
  const sink = { publish: async (message: unknown) => void sent.push(message) };
  let id = 0;
  const ingest = async (cfg: Config, now: number, lines: Array<Record<string, unknown>>) => {
    const handler = createIngestHandler(() => ({ store, sink, config: cfg, clock: { now: () => now } }), () => {});
    const logEvents = lines.map((line) => ({ id: String(++id), timestamp: Date.parse(line.ts as string), message: JSON.stringify(line) }));
    await handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents }));
  };
  const sweep = (cfg: Config, now: number) => runSweep({ store, sink, config: cfg, clock: { now: () => now } });
  return { ingest, sweep, sent };
}

const iso = (t: number) => new Date(t).toISOString();
const start = (i: number) => ({ type: 'run.start', job: JOB, run_id: `r${i}`, ts: iso(T0 + i * H) });
const end = (i: number) => ({ type: 'run.end', job: JOB, run_id: `r${i}`, exit_code: 0, output_bytes: 500, duration_ms: 60_000, ts: iso(T0 + i * H + 60_000) });

/** Six hourly runs, then a seventh started, all under the config before the edit. */
async function historyThenOpenRun(w: ReturnType<typeof world>) {
  for (let i = 0; i < 6; i++) await w.ingest(BEFORE, T0 + i * H + 61_000, [start(i), end(i)]);
  await w.ingest(BEFORE, T0 + 6 * H + 1000, [start(6)]);
}

describe('the sweep after a redact pattern matching a job name was added', () => {
  it('reports the run open at the redeploy under the name as the new config redacts it', async () => {
    // Prepare: the job sends nothing after the redeploy
    const w = world();
    await historyThenOpenRun(w);

    // Act
    const swept = await w.sweep(AFTER, T0 + 8 * H);

    // Assess
    expect(swept.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([['run-unfinished', 'sync-tickets --key [REDACTED:ticket-token]', 'r6']]);
    expect(JSON.stringify(swept.findings)).not.toContain(TOKEN);
    expect(w.sent).toHaveLength(1);
    expect(JSON.stringify(w.sent)).not.toContain(TOKEN);
  });

  it('leaves the state stored under the old name once lines arrive under the new one', async () => {
    // Prepare: the open run ends after the redeploy, its end named as the new config redacts it
    const w = world();
    await historyThenOpenRun(w);
    await w.ingest(AFTER, T0 + 6 * H + 61_000, [end(6)]);

    // Act
    const swept = await w.sweep(AFTER, T0 + 8 * H);

    // Assess
    expect(swept.findings).toEqual([]);
    expect(JSON.stringify(w.sent)).not.toContain(TOKEN);
  });
});

describe('the sweep after a redact pattern matching run ids was added', () => {
  const RUN_ID = '06c0ffee1234abcd';
  const HEX_KEYS = config({ redact: { patterns: [{ name: 'hex-key', regex: '\\b[0-9a-f]{16}\\b' }] } });

  it('reports a run open at the redeploy that never ends under its id as the new config redacts it', async () => {
    // Prepare: three runs, then one open at the redeploy; the job sends nothing after it
    const w = world();
    for (let i = 0; i < 3; i++) {
      await w.ingest(BEFORE, T0 + i * H + 61_000, [
        { type: 'run.start', job: 'etl', run_id: `r${i}`, ts: iso(T0 + i * H) },
        { type: 'run.end', job: 'etl', run_id: `r${i}`, exit_code: 0, duration_ms: 60_000, ts: iso(T0 + i * H + 60_000) },
      ]);
    }
    await w.ingest(BEFORE, T0 + 3 * H + 1000, [{ type: 'run.start', job: 'etl', run_id: RUN_ID, ts: iso(T0 + 3 * H) }]);

    // Act
    const swept = await w.sweep(HEX_KEYS, T0 + 6 * H);

    // Assess
    expect(swept.findings.map((f) => [f.detector, f.subject])).toEqual([['run-unfinished', 'etl']]);
    expect(swept.findings[0].run_id).toMatch(/^\[REDACTED:hex-key\]#/);
    expect(JSON.stringify(swept.findings)).not.toContain(RUN_ID);
    expect(JSON.stringify(w.sent)).not.toContain(RUN_ID);
  });
});

describe('the sweep after a redact pattern matching agent run ids was added', () => {
  const ROOT = 'aaaabbbbccccdddd';
  const agents = { bot: { budget: { max_actions: 20 } } };
  const lines = [
    { type: 'agent.start', agent: 'bot', run_id: ROOT, ts: iso(T0) },
    ...Array.from({ length: 25 }, (_, i) => ({ type: 'agent.action', agent: 'bot', run_id: ROOT, action: 'llm_call', ts: iso(T0 + 200 + i) })),
  ];

  it.each([
    ['reports', 'unchanged', config({ agents }), 1],
    ['leaves out', 'given a pattern that now hides its id', config({ agents, redact: { patterns: [{ name: 'hex-key', regex: '\\b[0-9a-f]{16}\\b' }] } }), 0],
  ])('%s a root over its budget, still going, under a config %s', async (_, _config, after, count) => {
    // Prepare: started and over its budget before the redeploy
    const w = world();
    await w.ingest(config({ agents }), T0 + 1000, lines);

    // Act
    const swept = await w.sweep(after, T0 + H);

    // Assess
    expect(swept.findings.map((f) => f.detector)).toEqual(Array(count).fill('budget-exceeded'));
    if (count === 0) expect(JSON.stringify(w.sent)).not.toContain(ROOT);
  });
});

describe('the sweep out of time', () => {
  it('lists no kind once its time is up, judges nothing, and reports every kind left, not 0 subjects left', async () => {
    // Prepare: a job with a run open for hours; the sweep is out of time from its start
    const store = new MemoryAuditStore();
    const listed: string[] = [];
    const list = store.subjects.bind(store);
    store.subjects = async (kind: string) => (listed.push(kind), list(kind));
    const sink = { publish: async () => {} };
    for (const [i, line] of [start(0), end(0), start(1)].entries()) {
      const handler = createIngestHandler(() => ({ store, sink, config: BEFORE, clock: { now: () => T0 + i * H + 61_000 } }), () => {});
      await handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents: [{ id: String(i), timestamp: Date.parse(line.ts), message: JSON.stringify(line) }] }));
    }
    listed.length = 0;

    // Act
    const late = await runSweep({ store, sink, config: BEFORE, clock: { now: () => T0 + 8 * H }, outOfTime: () => true });
    const listedLate = [...listed];
    const inTime = await runSweep({ store, sink, config: BEFORE, clock: { now: () => T0 + 8 * H }, outOfTime: () => false });

    // Assess: no subject kind listed by the late sweep, all of them counted left (only the alert states due a look,
    // which belong to the delivery its last seconds are kept for); the sweep in time judges the open run
    const kinds = REDUCERS.filter((r) => r.tick).length;
    expect(listedLate).toEqual([ALERT_DUE_CATALOG]);
    expect(listed).toContain('job');
    expect(late).toMatchObject({ subjects: 0, subjectsLeft: 0, kindsLeft: kinds, findings: [] });
    expect(inTime).toMatchObject({ subjectsLeft: 0, kindsLeft: 0 });
    expect(inTime.subjects).toBeGreaterThan(0);
    expect(inTime.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-unfinished', 'r1']]);
  });
});

describe('the sweep’s gauge of alerts waiting for a retry (AlertsAwaitingRetry)', () => {
  const M = 60_000;
  const failedRun = { type: 'run.end', job: 'etl', run_id: 'f1', exit_code: 2, ts: iso(T0 + 30_000) };

  /** A store whose failed run reached the ingest while SNS refused every send; `up` lets sends through. */
  async function failingWorld() {
    const store = new MemoryAuditStore();
    let up = false;
    const sink = {
      publish: async () => {
        if (!up) throw new Error('KMSAccessDenied: not authorized to perform kms:GenerateDataKey');
      },
    };
    const handler = createIngestHandler(() => ({ store, sink, config: BEFORE, clock: { now: () => T0 + M } }), () => {});
    await handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents: [{ id: '1', timestamp: T0 + 30_000, message: JSON.stringify(failedRun) }] }));
    const sweep = (now: number) => runSweep({ store, sink, config: BEFORE, clock: { now: () => now } });
    return { sweep, recover: () => void (up = true) };
  }

  it('stays above 0 at every sweep while sends keep failing, also between the backed-off retries', async () => {
    // Prepare: SNS down from the first send on; a sweep every 5 minutes for 3 hours
    const w = await failingWorld();
    const gauges: number[] = [];
    const failedSends: number[] = [];

    // Act
    for (let t = T0 + 5 * M + 7_000; t < T0 + 3 * H; t += 5 * M) {
      const report = await w.sweep(t);
      gauges.push(report.awaitingRetry);
      failedSends.push(report.alerts.failed);
    }

    // Assess: the retries back off (most sweeps send nothing), the gauge never drops to 0
    expect(failedSends.filter((n) => n === 0).length).toBeGreaterThan(failedSends.length / 2);
    expect(gauges.every((n) => n === 1)).toBe(true);
  });

  it('drops to 0 once the waiting alert is sent', async () => {
    // Prepare: a failed send, then SNS recovers
    const w = await failingWorld();
    const before = await w.sweep(T0 + 5 * M + 7_000);
    w.recover();

    // Act: the next retry is due a minute after the second failure
    const after = await w.sweep(T0 + 10 * M + 7_000);

    // Assess
    expect(before.awaitingRetry).toBe(1);
    expect(after.alerts.sent).toBe(1);
    expect(after.awaitingRetry).toBe(0);
  });
});

describe('the sweep of a scheduled job of the config never seen', () => {
  const M = 60_000;
  const NIGHTLY = config({ jobs: { 'nightly-backup': { schedule: '0 2 * * *' } } });
  const HOURLY = config({ jobs: { 'hourly-sync': { schedule: '0 * * * *' } } });
  const WITHOUT = config({});
  const run = (job: string, at: number) => [
    { type: 'run.start', job, run_id: `${job}-${at}`, ts: iso(at) },
    { type: 'run.end', job, run_id: `${job}-${at}`, exit_code: 0, output_bytes: 500, duration_ms: 60_000, ts: iso(at + M) },
  ];
  /** Sweeps every `step` from `from` up to `to` (inclusive): each sweep's findings, by its time. */
  async function sweepEvery(w: ReturnType<typeof world>, cfg: Config, from: number, to: number, step: number) {
    const found: Array<{ at: number; findings: readonly import('../../lambdas/core/findings.ts').Finding[] }> = [];
    for (let at = from; at <= to; at += step) found.push({ at, findings: (await w.sweep(cfg, at)).findings });
    return found;
  }

  it('reports its first expected start missed once its grace time has passed, saying nothing of it was ever seen, and nothing before', async () => {
    // Prepare: the config names nightly-backup (daily at 02:00); no line of it ever arrives
    const w = world();

    // Act: a sweep every 5 minutes from midnight to 03:00
    const swept = await sweepEvery(w, NIGHTLY, T0, T0 + 3 * H, 5 * M);

    // Assess: nothing up to 02:15 (02:00 + the 15 min grace), then one missed-run for 02:00
    const withFindings = swept.filter((s) => s.findings.length > 0);
    expect(withFindings.map((s) => iso(s.at))).toEqual([iso(T0 + 2 * H + 15 * M)]);
    const [missed] = withFindings[0].findings;
    expect([missed.detector, missed.subject, missed.expected_at, missed.severity]).toEqual(['missed-run', 'nightly-backup', '2026-10-05T02:00:00Z', 'high']);
    expect(missed.message).toContain('nothing of nightly-backup has been seen since it was first watched at 2026-10-05T00:00:00Z');
    expect(missed.evidence).toMatchObject({ expected_at: '2026-10-05T02:00:00Z', never_seen_since: '2026-10-05T00:00:00Z', schedule: '0 2 * * *' });
    expect(w.sent).toHaveLength(1);
  });

  it('reports each later expected start missed as for a job that stopped, its alerts held by the cooldown', async () => {
    // Prepare: an hourly job of the config that never sends a line
    const w = world();

    // Act: a sweep every hour for a day
    const swept = await sweepEvery(w, HOURLY, T0, T0 + 24 * H, H);

    // Assess: each hour's start reported once, by the sweep after its grace time (midnight's too: still
    // within its grace at the first sweep, so watched); fewer alerts sent than findings
    const missed = swept.flatMap((s) => s.findings).filter((f) => f.detector === 'missed-run');
    const expected = Array.from({ length: 24 }, (_, i) => iso(T0 + i * H).replace('.000', ''));
    expect(missed.map((f) => f.expected_at)).toEqual(expected);
    expect(w.sent.length).toBeGreaterThan(0);
    expect(w.sent.length).toBeLessThan(missed.length);
  });

  it('judges the job as any other once its first run arrives: runs on time are not missed, a later silence is', async () => {
    // Prepare: first watched at midnight; runs arrive at 02:00 on the first two days, none on the third
    const w = world();
    await w.sweep(NIGHTLY, T0);
    for (const day of [0, 1]) await w.ingest(NIGHTLY, T0 + day * 24 * H + 2 * H + 2 * M, run('nightly-backup', T0 + day * 24 * H + 2 * H));

    // Act: a sweep every hour for three days
    const swept = await sweepEvery(w, NIGHTLY, T0 + H, T0 + 72 * H, H);

    // Assess: only the third day's start is missed, reported as any job's missed run
    const missed = swept.flatMap((s) => s.findings);
    expect(missed.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2026-10-07T02:00:00Z']]);
    expect(missed[0].message).not.toContain('first watched');
    expect(missed[0].evidence?.never_seen_since).toBeUndefined();
    expect(missed[0].evidence?.last_run_at).toBe('2026-10-06T02:00:00Z');
  });

  it('expects nothing while the job is out of the config, and watches it again from when it is back', async () => {
    // Prepare: watched from midnight, taken out of the config from 01:00 to 03:00 of the third day
    const w = world();
    await w.sweep(NIGHTLY, T0);
    const before = await sweepEvery(w, NIGHTLY, T0 + H, T0 + 49 * H, H);
    await sweepEvery(w, WITHOUT, T0 + 50 * H, T0 + 51 * H, H);

    // Act: back in the config from 03:00 of the third day to the end of the fourth
    const after = await sweepEvery(w, NIGHTLY, T0 + 51 * H + 30 * M, T0 + 96 * H, H);

    // Assess: the first two days missed before it was taken out, the fourth after it was back
    const expectedAt = (s: typeof before) => s.flatMap((x) => x.findings).map((f) => f.expected_at);
    expect(expectedAt(before)).toEqual(['2026-10-05T02:00:00Z', '2026-10-06T02:00:00Z']);
    expect(expectedAt(after)).toEqual(['2026-10-08T02:00:00Z']);
  });

  it('judges no start expected before the first sweep watched it: a job every 5 minutes whose runs arrive from then is never missed', async () => {
    // Prepare: a fresh deploy whose first sweep is at 02:05:00; the job runs every 5 minutes from 02:05,
    // each run's lines arriving 30 s after its start
    const POLLER = config({ jobs: { poller: { schedule: '*/5 * * * *' } } });
    const w = world();
    const first = T0 + 2 * H + 5 * M;
    const swept = [await w.sweep(POLLER, first)];

    // Act: a sweep 5 minutes after each run's start, for half an hour
    for (let at = first; at <= first + 30 * M; at += 5 * M) {
      await w.ingest(POLLER, at + 30_000, run('poller', at));
      swept.push(await w.sweep(POLLER, at + 5 * M));
    }

    // Assess: neither 01:55 nor 02:00 (before the first sweep) reported, nor any start a run came for
    expect(swept.flatMap((s) => s.findings).map((f) => [f.detector, f.expected_at])).toEqual([]);
    expect(w.sent).toEqual([]);
  });

  it('judges a nightly start expected before the first sweep watched it not at all, and the one of the next night', async () => {
    // Prepare: the config names nightly-backup (daily at 02:00); the first sweep is at 02:05, after its start
    const w = world();

    // Act: a sweep every hour from 02:05 to 03:05 of the next day, no line of it ever arriving
    const swept = await sweepEvery(w, NIGHTLY, T0 + 2 * H + 5 * M, T0 + 27 * H + 5 * M, H);

    // Assess: only the next night's start, the first expected after it was watched, with the note
    const missed = swept.flatMap((s) => s.findings);
    expect(missed.map((f) => [f.detector, f.expected_at, f.evidence?.never_seen_since])).toEqual([
      ['missed-run', '2026-10-06T02:00:00Z', '2026-10-05T02:05:00Z'],
    ]);
  });
});

describe('a job not in the config that stopped long ago (renamed, removed)', () => {
  it('is never paged as missed: the sweep judges only a configured schedule', async () => {
    // Prepare: six hourly runs of a job the config does not name, then nothing for 70 days
    const w = world();
    for (let i = 0; i < 6; i++) await w.ingest(BEFORE, T0 + i * H + 61_000, [start(i), end(i)]);

    // Act
    const swept = [await w.sweep(BEFORE, T0 + 30 * 24 * H), await w.sweep(BEFORE, T0 + 70 * 24 * H)];

    // Assess
    expect(swept.flatMap((s) => s.findings)).toEqual([]);
    expect(w.sent).toEqual([]);
  });
});
