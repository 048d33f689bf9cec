import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { localDynamoClient } from '../../lambdas/adapters/dynamodb-local.ts';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { coverageAfter, REREAD_OVERLAP_MS, runBackfill, spansToRead } from '../../lambdas/cli/backfill-command.ts';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import type { EventBody } from '../../lambdas/core/events.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { ingestPayloads } from '../../lambdas/core/ingest.ts';
import type { JobState } from '../../lambdas/core/job-reducer.ts';
import { processBatch, sweepSubjects } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { ev, run } from '../helpers/events.ts';
import { eventsOfPayload, type InvocationSpec, lambdaInvocations, serveLogGroups, type StoredLogEvent } from '../helpers/cloudwatch-logs.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const DAY = 86_400_000;
const HOUR = 3_600_000;
const FIRST = Date.parse('2026-10-01T06:00:00Z');
const NOW = FIRST + 29 * DAY + 12 * HOUR;
const ORDERS = '/aws/lambda/orders-export';
const ETL = '/aws/lambda/etl-loader';

/** A month of daily runs of a function that logs run lines; on day 12 it exported nothing. */
function ordersMonth(extra: InvocationSpec[] = []): StoredLogEvent[] {
  const days = Array.from({ length: 30 }, (_, d) => ({ at: FIRST + d * DAY, durationMs: 1500 + (d % 7) * 10, output: d === 12 ? { bytes: 0, head: '' } : { bytes: 6900 + d, head: 'exported 1204 orders\n' } }));
  return lambdaInvocations('orders-export', [...days, ...extra]);
}
const etlLoader = eventsOfPayload(new URL('../fixtures/lambda/etl-loader.cloudwatch.json', import.meta.url));

const cwl = mockClient(CloudWatchLogsClient);
const dynamo = localDynamoClient(inject('dynamoEndpoint'));

afterAll(() => dynamo.destroy());

beforeEach(() => {
  cwl.reset();
  serveLogGroups(cwl, { [ORDERS]: ordersMonth(), [ETL]: etlLoader.events }, 25);
});

async function backfill(table: string, extra: Partial<Parameters<typeof runBackfill>[0]> = {}) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d.toString()));
  err.on('data', (d) => (stderr += d.toString()));
  const result = await runBackfill({
    logGroups: [ORDERS, ETL],
    store: inject('dynamoEndpoint'),
    table,
    config: DEFAULT_CONFIG,
    stdout: out,
    stderr: err,
    logsClient: new CloudWatchLogsClient({ region: 'eu-central-1' }),
    clock: () => NOW,
    ...extra,
  });
  return { result, stdout, stderr };
}

/** Everything backfill leaves in the table that a later run must not change: job states with versions, findings. */
async function snapshot(table: string) {
  const store = new DynamoAuditStore(dynamo, table);
  const states = await store.load(['job#orders-export', 'job#etl-loader']);
  const findings = await store.query({ from: '2026-09-01T00:00:00Z', to: '2026-12-01T00:00:00Z' });
  return { states: Object.fromEntries(states), findings: findings.sort((a, b) => a.key.localeCompare(b.key)), pending: await store.pendingAlerts(100) };
}

describe('silent-audit backfill (DynamoDB Local)', () => {
  it('seeds baselines from a month of history, stores its findings as alerted, and says per job what it learned', async () => {
    // Prepare
    const table = `t-${randomUUID()}`;
    // Act
    const { result, stdout } = await backfill(table);
    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.jobs).toEqual([
      { job: 'etl-loader', runsSeen: 4, runsAdded: 4, runsTotal: 4, durations: 1, outputs: 0, minHistory: 5, ready: false },
      { job: 'orders-export', runsSeen: 30, runsAdded: 30, runsTotal: 30, durations: 20, outputs: 20, minHistory: 5, ready: true },
    ]);
    expect(stdout).toContain(`${ORDERS}: reading 2026-09-30T18:00:00Z → 2026-10-30T18:00:00Z`);
    expect(stdout).toMatch(/^etl-loader\s+4\s+4\s+4\s+1 \/ 0\s+5\s+no \(1 of 5\)$/m);
    expect(stdout).toMatch(/^orders-export\s+30\s+30\s+30\s+20 \/ 20\s+5\s+yes \(durations, outputs\)$/m);
    expect(stdout).toContain('2 jobs in 164 lines from 2 log groups: 130 with events (130 events), 34 recognised with nothing to judge, 0 rejected, 0 unrecognised; 4 findings from history stored as already alerted; state saved to DynamoDB at');
    const { findings, pending, states } = await snapshot(table);
    expect(findings.map((f) => [f.detector, f.subject, f.ts, f.alerted])).toEqual([
      ['run-failed', 'etl-loader', '2026-10-05T14:03:00Z', true],
      ['run-failed', 'etl-loader', '2026-10-05T15:00:02Z', true],
      ['run-failed', 'etl-loader', '2026-10-05T16:00:03Z', true],
      ['empty-output', 'orders-export', '2026-10-13T06:00:01Z', true],
    ]);
    expect(pending).toEqual([]);
    expect(states['job#orders-export'].state).toMatchObject({ runs: 30, failures: 0 });
  });

  it('counts nothing twice when run again: the second run reads only what is new, and the same state stays', async () => {
    // Prepare
    const table = `t-${randomUUID()}`;
    await backfill(table);
    const first = await snapshot(table);
    cwl.resetHistory();
    // Act
    const again = await backfill(table);
    // Assess
    expect(again.result.exitCode).toBe(0);
    expect(again.stdout).toContain(`${ORDERS}: nothing new to read; already backfilled 2026-09-30T18:00:00Z → 2026-10-30T18:00:00Z`);
    expect(cwl.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
    expect(await snapshot(table)).toEqual(first);
  });

  it('counts nothing twice even when it reads the same history again: the pipeline knows the runs by id', async () => {
    // Prepare: a backfill, then its record of what it read is lost
    const table = `t-${randomUUID()}`;
    await backfill(table);
    const first = await snapshot(table);
    for (const group of [ORDERS, ETL]) {
      await dynamo.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: `STATE#backfill#${group}` }, sk: { S: 'STATE' } } }));
    }
    // Act
    const again = await backfill(table);
    // Assess: the whole month was read again, and nothing changed
    expect(again.stdout).toContain(`${ORDERS}: reading 2026-09-30T18:00:00Z → 2026-10-30T18:00:00Z\n`);
    expect(again.result.jobs.map((j) => [j.job, j.runsSeen, j.runsAdded, j.runsTotal])).toEqual([
      ['etl-loader', 4, 0, 4],
      ['orders-export', 30, 0, 30],
    ]);
    expect(await snapshot(table)).toEqual(first);
  });

  it('later reads from where it stopped, with an overlap whose runs are recognised, and adds only the new runs', async () => {
    // Prepare: one run a few minutes before the first backfill (read by it), one after
    const table = `t-${randomUUID()}`;
    const late = { at: NOW - 5 * 60_000, durationMs: 1500, output: { bytes: 6950, head: 'exported 1204 orders\n' } };
    serveLogGroups(cwl, { [ORDERS]: ordersMonth([late]), [ETL]: etlLoader.events }, 25);
    await backfill(table);
    const next = { at: NOW + 6 * HOUR, durationMs: 1510, output: { bytes: 6960, head: 'exported 1204 orders\n' } };
    cwl.reset();
    serveLogGroups(cwl, { [ORDERS]: ordersMonth([late, next]), [ETL]: etlLoader.events }, 25);
    // Act
    const { result, stdout } = await backfill(table, { clock: () => NOW + 7 * HOUR });
    // Assess
    expect(stdout).toContain(`${ORDERS}: reading 2026-10-30T17:45:00Z → 2026-10-31T01:00:00Z; already backfilled 2026-09-30T18:00:00Z → 2026-10-30T18:00:00Z`);
    expect(result.jobs).toEqual([expect.objectContaining({ job: 'orders-export', runsSeen: 2, runsAdded: 1, runsTotal: 32 })]);
    const input = cwl.commandCalls(FilterLogEventsCommand)[0].args[0].input;
    expect([input.startTime, input.endTime]).toEqual([NOW - REREAD_OVERLAP_MS, NOW + 7 * HOUR]);
  });

  it('judges absence now for the jobs it wrote (stored as alerted), and leaves other jobs to the deployed sweep', async () => {
    // Prepare: a run of orders-export that started ten days ago and never ended; a live job, not in the history, with a run open for 3 h
    const table = `t-${randomUUID()}`;
    const stray: StoredLogEvent = { timestamp: NOW - 10 * DAY, message: `${new Date(NOW - 10 * DAY).toISOString()}\tf00d\tINFO\t{"type":"run.start","job":"orders-export","run_id":"manual-1"}\n`, logStream: 'manual', eventId: '1' };
    serveLogGroups(cwl, { [ORDERS]: [...ordersMonth(), stray], [ETL]: etlLoader.events }, 25);
    const live = new DynamoAuditStore(dynamo, table);
    await DynamoAuditStore.ensureTable(dynamo, table);
    const ctx = { config: DEFAULT_CONFIG, clock: { now: () => NOW } };
    await processBatch([...run('live-job', 'l-1', '2026-10-29T10:00:00Z', 5), ev(NOW - 3 * HOUR, { type: 'run.start', job: 'live-job', run_id: 'l-2' })], REDUCERS, live, ctx);
    // Act
    const { result, stdout } = await backfill(table);
    // Assess
    expect(result.findings.filter((f) => f.detector === 'run-unfinished').map((f) => [f.subject, f.run_id])).toEqual([['orders-export', 'manual-1']]);
    expect(stdout).toMatch(/run-unfinished\s+orders-export\s+manual-1/);
    expect((await live.pendingAlerts(100)).map((f) => f.subject)).toEqual([]);
    const sweep = await sweepSubjects(REDUCERS, live, ctx);
    expect(sweep.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([['run-unfinished', 'live-job', 'l-2']]);
  });

  it('writes its findings already alerted: the deployed drain, running after each of its writes, sends none', async () => {
    // Prepare: the deployed stack's drain (ingest, the hourly sweep) runs right after every write of findings
    const table = `t-${randomUUID()}`;
    await DynamoAuditStore.ensureTable(dynamo, table);
    const deployed = new DynamoAuditStore(dynamo, table);
    const sent: Finding[] = [];
    const sink = { publish: async (f: Finding) => void sent.push(f) };
    const commit = DynamoAuditStore.prototype.commit;
    const spy = vi.spyOn(DynamoAuditStore.prototype, 'commit').mockImplementation(async function (this: DynamoAuditStore, change) {
      const outcome = await commit.call(this, change);
      if (change.findings.length > 0) await deliverAlerts([], deployed, sink, { now: () => NOW }, { drainLimit: 50, config: DEFAULT_CONFIG });
      return outcome;
    });
    // Act
    let result: Awaited<ReturnType<typeof backfill>>['result'];
    try {
      ({ result } = await backfill(table));
    } finally {
      spy.mockRestore();
    }
    // Assess: the history's findings are stored, alerted, and none was sent
    expect(result.findings).toHaveLength(4);
    expect(sent.map((f) => [f.detector, f.subject, f.ts])).toEqual([]);
    const { findings, pending } = await snapshot(table);
    expect(findings.map((f) => [f.detector, f.alerted])).toEqual([
      ['run-failed', true],
      ['run-failed', true],
      ['run-failed', true],
      ['empty-output', true],
    ]);
    expect(pending).toEqual([]);
  });

  it('redrives a span with --since and --until: reads just that window, adds the runs a lost delivery held, and counts nothing twice', async () => {
    // Prepare: a deploy-time backfill (nothing yet), then a day of a function invoked every minute,
    // ingested live in 10-minute deliveries but for two lost ones, at 06:00 and at 22:00
    const table = `t-${randomUUID()}`;
    const TICKER = '/aws/lambda/ticker';
    const T0 = Date.parse('2026-10-01T00:00:00Z');
    const MINUTE = 60_000;
    const ticks = lambdaInvocations('ticker', Array.from({ length: 1_440 }, (_, i) => ({ at: T0 + i * MINUTE, durationMs: 800 + (i % 5), output: { bytes: 100 + (i % 3), head: 'ok\n' } })));
    const lostAt = [T0 + 6 * HOUR, T0 + 22 * HOUR];
    const lost = (e: StoredLogEvent) => lostAt.some((at) => e.timestamp >= at && e.timestamp < at + 10 * MINUTE);
    cwl.reset();
    serveLogGroups(cwl, { [TICKER]: [] }, 5000);
    await backfill(table, { logGroups: [TICKER], clock: () => T0 });
    const store = new DynamoAuditStore(dynamo, table);
    for (let start = T0; start < T0 + DAY; start += 10 * MINUTE) {
      const slice = ticks.filter((e) => e.timestamp >= start && e.timestamp < start + 10 * MINUTE && !lost(e));
      if (slice.length === 0) continue;
      const payload = { messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: TICKER, logStream: slice[0].logStream, subscriptionFilters: ['f'], logEvents: slice.map((e) => ({ id: e.eventId, timestamp: e.timestamp, message: e.message })) };
      await ingestPayloads([payload as never], { store, sink: { publish: async () => {} }, config: DEFAULT_CONFIG, clock: { now: () => start + 10 * MINUTE } });
    }
    const runs = async () => ((await store.loadCurrent(['job#ticker'])).get('job#ticker')?.state as { runs: number }).runs;
    const live = await runs();
    cwl.reset();
    serveLogGroups(cwl, { [TICKER]: ticks }, 5000);
    const at = T0 + DAY + 10 * MINUTE;
    // Act: the redrive in docs/reliability.md of each lost delivery, the recent one first
    const recent = await backfill(table, { logGroups: [TICKER], since: lostAt[1] - HOUR, until: lostAt[1] + HOUR, clock: () => at });
    const afterRecent = await runs();
    const old = await backfill(table, { logGroups: [TICKER], since: lostAt[0] - HOUR, until: lostAt[0] + HOUR, clock: () => at });
    // Assess: each window read alone, not the day since the deploy-time backfill, whose record stays as it was
    expect(live).toBe(1_420);
    expect(recent.stdout).toContain(`${TICKER}: reading 2026-10-01T21:00:00Z → 2026-10-01T23:00:00Z; already backfilled 2026-09-01T00:00:00Z → 2026-10-01T00:00:00Z`);
    expect(cwl.commandCalls(FilterLogEventsCommand).map((c) => [c.args[0].input.startTime, c.args[0].input.endTime])).toEqual([
      [lostAt[1] - HOUR, lostAt[1] + HOUR],
      [lostAt[0] - HOUR, lostAt[0] + HOUR],
    ]);
    expect(old.stdout).toContain('already backfilled 2026-09-01T00:00:00Z → 2026-10-01T00:00:00Z');
    // The recent delivery's 10 runs are added; the 06:00 one lies before the job's latest 1,000 runs, so
    // its runs cannot be told from runs counted and forgotten: taken as counted (none counted twice).
    expect(recent.result.jobs.map((j) => [j.job, j.runsSeen, j.runsAdded])).toEqual([['ticker', 121, 10]]);
    expect(afterRecent).toBe(1_430);
    expect(old.result.jobs.map((j) => [j.job, j.runsSeen, j.runsAdded])).toEqual([['ticker', 121, 0]]);
    expect(await runs()).toBe(1_430);
  });

  it('judges the missed runs of older history backfilled after newer, as one backfill of both would, and keeps the latest run as the last', async () => {
    // Prepare: a daily job that did not run on day 5; one table backfilled 30 days at once, the other 7 days then 30
    const config = validateConfig({ jobs: { 'orders-export': { schedule: '0 6 * * *' } } }, 'test config');
    const days = Array.from({ length: 30 }, (_, d) => ({ at: FIRST + d * DAY, durationMs: 1500 + (d % 7) * 10, output: { bytes: 6900 + d, head: 'exported 1204 orders\n' } }));
    cwl.reset();
    serveLogGroups(cwl, { [ORDERS]: lambdaInvocations('orders-export', days.filter((_, d) => d !== 5)) }, 25);
    const [once, twice] = [`t-${randomUUID()}`, `t-${randomUUID()}`];
    await backfill(once, { logGroups: [ORDERS], config, since: NOW - 31 * DAY });
    await backfill(twice, { logGroups: [ORDERS], config, since: NOW - 7 * DAY });
    // Act
    const older = await backfill(twice, { logGroups: [ORDERS], config, since: NOW - 31 * DAY });
    // Assess
    const missed = async (table: string) => (await snapshot(table)).findings.filter((f) => f.detector === 'missed-run').map((f) => [f.expected_at, f.alerted]);
    expect(older.result.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2026-10-06T06:00:00Z']]);
    expect(await missed(twice)).toEqual([['2026-10-06T06:00:00Z', true]]);
    expect(await missed(twice)).toEqual(await missed(once));
    const lastEnd = async (table: string) => ((await snapshot(table)).states['job#orders-export'].state as JobState).lastEnd;
    expect(await lastEnd(twice)).toEqual(await lastEnd(once));
  });

  it('leaves the older history it reads to its own sweep: the deployed sweep, running after each of its writes, judges and sends none of it', async () => {
    // Prepare: a daily job that did not run on day 5, backfilled 7 days; then the deployed sweep (and its drain) runs after every write of the next backfill's
    const config = validateConfig({ jobs: { 'orders-export': { schedule: '0 6 * * *' } } }, 'test config');
    const days = Array.from({ length: 30 }, (_, d) => ({ at: FIRST + d * DAY, durationMs: 1500 + (d % 7) * 10, output: { bytes: 6900 + d, head: 'exported 1204 orders\n' } }));
    cwl.reset();
    serveLogGroups(cwl, { [ORDERS]: lambdaInvocations('orders-export', days.filter((_, d) => d !== 5)) }, 25);
    const table = `t-${randomUUID()}`;
    await backfill(table, { logGroups: [ORDERS], config, since: NOW - 7 * DAY });
    const deployed = new DynamoAuditStore(dynamo, table);
    const sent: Finding[] = [];
    const sink = { publish: async (f: Finding) => void sent.push(f) };
    const swept: Finding[] = [];
    let sweeping = false;
    const commit = DynamoAuditStore.prototype.commit;
    const spy = vi.spyOn(DynamoAuditStore.prototype, 'commit').mockImplementation(async function (this: DynamoAuditStore, change) {
      const outcome = await commit.call(this, change);
      if (!sweeping) {
        sweeping = true;
        try {
          swept.push(...(await runSweep({ store: deployed, sink, config, clock: { now: () => NOW } })).findings);
        } finally {
          sweeping = false;
        }
      }
      return outcome;
    });
    // Act
    let older: Awaited<ReturnType<typeof backfill>>;
    try {
      older = await backfill(table, { logGroups: [ORDERS], config, since: NOW - 31 * DAY });
    } finally {
      spy.mockRestore();
    }
    // Assess: the day-5 run missed is backfill's finding, stored alerted; the deployed sweep found and sent nothing
    expect(swept.map((f) => [f.detector, f.expected_at])).toEqual([]);
    expect(sent.map((f) => [f.detector, f.expected_at])).toEqual([]);
    expect(older.result.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2026-10-06T06:00:00Z']]);
    const { findings, pending } = await snapshot(table);
    expect(findings.filter((f) => f.detector === 'missed-run').map((f) => [f.expected_at, f.alerted])).toEqual([['2026-10-06T06:00:00Z', true]]);
    expect(pending).toEqual([]);
  });

  it('judges the agent roots of the history that never ended (stored as alerted), and leaves other agents to the deployed sweep', async () => {
    // Prepare: an agent log group whose root run went over its budget of 20 actions and never logged its end;
    // a live agent, not in the history, with a root open and over its budget too
    const SUPPORT = '/agents/support-bot';
    const lines = readFileSync(new URL('../fixtures/agents/support-bot-never-ends.jsonl', import.meta.url), 'utf8').trim().split('\n');
    const history = lines.map((message, i): StoredLogEvent => ({ timestamp: Date.parse(JSON.parse(message).ts), message, logStream: 'host-a', eventId: String(i) }));
    cwl.reset();
    serveLogGroups(cwl, { [SUPPORT]: history }, 25);
    const table = `t-${randomUUID()}`;
    await DynamoAuditStore.ensureTable(dynamo, table);
    const deployed = new DynamoAuditStore(dynamo, table);
    const shift = NOW - 3 * HOUR - history[0].timestamp;
    const liveRun = lines.map((line) => {
      const body = JSON.parse(line) as { ts: string };
      const at = Date.parse(body.ts) + shift;
      return ev(at, { ...body, ts: new Date(at).toISOString(), agent: 'live-bot', run_id: 'lb-1' } as unknown as EventBody);
    });
    await processBatch(liveRun, REDUCERS, deployed, { config: DEFAULT_CONFIG, clock: { now: () => liveRun[liveRun.length - 1].at } });
    // Act
    const { result, stdout } = await backfill(table, { logGroups: [SUPPORT] });
    // Assess: the history's budget finding and its root that never ended (run-unfinished, f4d4455) are backfill's, printed and stored alerted; the deployed sweep sends only the live agent's
    expect(result.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([
      ['budget-exceeded', 'support-bot', 'sb-900'],
      ['run-unfinished', 'support-bot', 'sb-900'],
    ]);
    expect(stdout).toMatch(/budget-exceeded\s+support-bot\s+sb-900/);
    expect((await deployed.pendingAlerts(100)).map((f) => f.subject)).toEqual([]);
    const sent: Finding[] = [];
    const swept = await runSweep({ store: deployed, sink: { publish: async (f: Finding) => void sent.push(f) }, config: DEFAULT_CONFIG, clock: { now: () => NOW + 5 * 60_000 } });
    expect(swept.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([
      ['budget-exceeded', 'live-bot', 'lb-1'],
      ['run-unfinished', 'live-bot', 'lb-1'],
    ]);
    expect(sent.map((f) => [f.detector, f.subject])).toEqual([
      ['budget-exceeded', 'live-bot'],
      ['run-unfinished', 'live-bot'],
    ]);
  });

  it("counts unrecognised, not as a line with events, an exit line a function printed unprefixed for another function's invocation", async () => {
    // Prepare: orchestrator's invocation prints the errorMessage Lambda Invoke returned for another function (its request id), between its START and END
    const POLLER = '/aws/lambda/queue-poller';
    const R = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const at = FIRST + DAY;
    const stream = '2026/10/02/[$LATEST]c0ffee';
    const messages = [
      `START RequestId: ${R} Version: $LATEST`,
      'RequestId: 8e2d3c4b-5f6a-4b7c-9d8e-0f1a2b3c4d5e Error: Runtime exited with error: signal: killed',
      `END RequestId: ${R}`,
      `REPORT RequestId: ${R}\tDuration: 1900.00 ms\tBilled Duration: 1900 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t`,
    ];
    cwl.reset();
    serveLogGroups(cwl, { [POLLER]: messages.map((message, i): StoredLogEvent => ({ timestamp: at + i * 600, message, logStream: stream, eventId: String(i) })) }, 25);
    const table = `t-${randomUUID()}`;
    // Act
    const { result, stdout } = await backfill(table, { logGroups: [POLLER] });
    // Assess: START and REPORT give events, END nothing to judge, the exit line is no line of this function's
    expect(result.findings).toEqual([]);
    expect(stdout).toContain('1 job in 4 lines from 1 log group: 2 with events (2 events), 1 recognised with nothing to judge, 0 rejected, 1 unrecognised;');
  });

  it('refuses an --until that is not after --since', async () => {
    const table = `t-${randomUUID()}`;
    const { result, stderr } = await backfill(table, { since: NOW - HOUR, until: NOW - 2 * HOUR });
    expect(result.exitCode).toBe(2);
    expect(stderr).toBe('silent-audit backfill: --until 2026-10-30T16:00:00Z is not after --since 2026-10-30T17:00:00Z: give a --since before --until\n');
  });

  it('exits 2 with the reason when a log group cannot be read, writing nothing', async () => {
    const table = `t-${randomUUID()}`;
    const { result, stderr } = await backfill(table, { logGroups: ['/aws/lambda/nope'] });
    expect(result.exitCode).toBe(2);
    expect(stderr).toBe('silent-audit backfill: /aws/lambda/nope: not found (check the name, and the region: AWS_REGION or your profile) (after event 0)\n');
    expect((await snapshot(table)).findings).toEqual([]);
  });

  it('shows the control characters of the names it prints escaped: the log group read, and one in an error', async () => {
    // Prepare: a log group whose name would erase the row above, served, and another one not there
    const table = `t-${randomUUID()}`;
    const evil = '/aws/lambda/orders\u001b[2K\u001b[1Aexport';
    serveLogGroups(cwl, { [evil]: ordersMonth() }, 25);
    // Act
    const read = await backfill(table, { logGroups: [evil] });
    const missing = await backfill(`t-${randomUUID()}`, { logGroups: ['/aws/lambda/gone\u001b[2J'] });
    // Assess
    expect(read.result.exitCode).toBe(0);
    expect(read.stdout).toContain('/aws/lambda/orders\\x1b[2K\\x1b[1Aexport: reading ');
    expect(missing.stderr).toContain('/aws/lambda/gone\\x1b[2J: not found');
    expect(read.stdout + read.stderr + missing.stderr).not.toContain('\u001b');
  });
});

describe('the spans backfill reads', () => {
  const span = (from: number, to: number) => ({ from, to });
  it.each([
    ['nothing read yet: all of it', span(100, 200), undefined, [span(100, 200)]],
    ['all of it read: nothing', span(100, 200), span(100, 200), []],
    ['older history asked for: the part before', span(50, 200), span(100, 200), [span(50, 99)]],
    ['newer history: from just before where it stopped', span(100, 300), span(100, 200), [span(190, 300)]],
    ['both sides', span(50, 300), span(100, 200), [span(50, 99), span(190, 300)]],
    ['a later window with a gap: the gap too, so the record stays one span', span(250, 300), span(100, 200), [span(190, 300)]],
    ['an earlier window with a gap: the gap too', span(10, 50), span(100, 200), [span(10, 99)]],
  ])('%s', (_name, requested, covered, expected) => {
    expect(spansToRead(requested, covered, 10)).toEqual(expected);
  });

  it.each([
    ['nothing read yet: the window', span(250, 300), undefined, [span(250, 300)]],
    ['a later window with a gap: the window alone', span(250, 300), span(100, 200), [span(250, 300)]],
    ['an earlier window with a gap: the window alone', span(10, 50), span(100, 200), [span(10, 50)]],
    ['a window over where it stopped: from just before there', span(150, 300), span(100, 200), [span(190, 300)]],
    ['a window starting in the overlap: as asked', span(195, 300), span(100, 200), [span(195, 300)]],
    ['a window over where it began: up to there', span(50, 150), span(100, 200), [span(50, 99)]],
    ['a window inside it: nothing', span(120, 150), span(100, 200), []],
  ])('with --until, %s', (_name, requested, covered, expected) => {
    expect(spansToRead(requested, covered, 10, true)).toEqual(expected);
  });

  it.each([
    ['nothing read before: what was read', undefined, span(250, 300), span(250, 300)],
    ['read after it, joined: one span', span(100, 200), span(190, 300), span(100, 300)],
    ['read just before it: one span', span(100, 200), span(50, 99), span(50, 200)],
    ['a window apart from it: it stays as it was', span(100, 200), span(250, 300), span(100, 200)],
  ])('the span recorded as read: %s', (_name, covered, read, expected) => {
    expect(coverageAfter(covered, read)).toEqual(expected);
  });
});

describe('the silent-audit backfill command', () => {
  it('needs --table for the deployed store, and says where to find it', () => {
    const run = spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), 'backfill', '--log-group', ORDERS], { cwd: mkdtempSync(join(tmpdir(), 'sa-')), encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("silent-audit backfill: backfill --store aws needs --table NAME: the stack's TableName output");
  });

  it('names aws among the stores it takes when --store is none of them', () => {
    // Act
    const run = spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), 'backfill', '--log-group', ORDERS, '--store', 'ftp://x'], { cwd: mkdtempSync(join(tmpdir(), 'sa-')), encoding: 'utf8' });
    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--store ftp://x: expected `local`, the URL of a DynamoDB endpoint (http://host:port), or `aws` with --table');
  });
});
