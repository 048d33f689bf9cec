import type { CloudWatchLogsEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import type { IngestDeps, IngestReport } from '../../lambdas/core/ingest.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import type { CommitResult, SubjectCommit } from '../../lambdas/ports.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { createKinesisIngestHandler } from '../../lambdas/handlers/ingest-kinesis.ts';
import { MAX_RESPONSE_FINDING_BYTES, MAX_RESPONSE_FINDINGS, withFindingsCut } from '../../lambdas/handlers/response.ts';

/** Lambda's limit on a synchronous invocation's response: over it, the invocation is a function error. */
const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;
const T0 = Date.parse('2026-10-05T10:00:00Z');
type LambdaTime = { getRemainingTimeInMillis(): number };

/** One subscription delivery of `count` failed runs (exit code 1), spread over 300 jobs. */
function failedRuns(count: number) {
  return encodePayload({
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/jobs/fleet',
    logStream: 'host-1',
    subscriptionFilters: ['silent-audit'],
    logEvents: Array.from({ length: count }, (_, i) => ({
      id: String(i + 1),
      timestamp: T0 + i * 1000,
      message: JSON.stringify({ ts: new Date(T0 + i * 1000).toISOString(), type: 'run.end', job: `job-${i % 300}`, run_id: `r${i}`, exit_code: 1 }),
    })),
  });
}

const sizeOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('the ingest handler response', () => {
  it('holds the counts and the first findings of a delivery of thousands, saying how many it left out', async () => {
    // Prepare
    const observed: IngestReport[] = [];
    const deps = { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    const handler = createIngestHandler(() => deps, (report) => observed.push(report));

    // Act
    const response = await handler(failedRuns(3000));

    // Assess
    expect(observed[0].findings).toHaveLength(3000);
    expect(response.status).toBe('processed');
    expect(response.counts).toMatchObject({ lines: 3000, events: 3000, rejected: 0 });
    expect(response.findings).toEqual(observed[0].findings.slice(0, MAX_RESPONSE_FINDINGS));
    expect(response.findingsLeftOut).toBe(3000 - MAX_RESPONSE_FINDINGS);
    expect(sizeOf(response)).toBeLessThan(sizeOf(observed[0]) / 10);
  });

  it('stays under Lambda\'s 6 MB response limit when the findings carry large evidence', () => {
    // Prepare: 3,000 findings of 4 KiB of evidence each, 12 MB of JSON
    const finding = (i: number): Finding => ({
      detector: 'run-failed',
      subject: `job-${i}`,
      subject_kind: 'job',
      run_id: `r${i}`,
      ts: '2026-10-05T10:00:00Z',
      severity: 'high',
      message: 'run exited with code 1',
      evidence: { output_tail: 'x'.repeat(4096) },
    });
    const report: IngestReport = {
      status: 'processed',
      logGroup: '/jobs/fleet',
      counts: { lines: 3000, events: 3000, eventLines: 3000, nothingToJudge: 0, rejected: 0, unrecognised: 0 },
      rejections: [],
      findings: Array.from({ length: 3000 }, (_, i) => finding(i)),
      alerts: { sent: 21, failed: 0, errors: [], suppressed: 0, snoozed: 0, summarized: 2979 },
      conflicts: 0,
    };
    expect(sizeOf(report)).toBeGreaterThan(LAMBDA_RESPONSE_LIMIT_BYTES);

    // Act
    const response = withFindingsCut(report);

    // Assess
    expect(sizeOf(response.findings)).toBeLessThanOrEqual(MAX_RESPONSE_FINDING_BYTES);
    expect(sizeOf(response)).toBeLessThan(LAMBDA_RESPONSE_LIMIT_BYTES);
    expect(response.findings).toEqual(report.findings.slice(0, response.findings.length));
    expect(response.findings.length + response.findingsLeftOut).toBe(3000);
    expect(response.counts).toEqual(report.counts);
    expect(response.alerts).toEqual(report.alerts);
  });

  it('holds every finding of an ordinary delivery', async () => {
    // Prepare
    const deps = { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    const handler = createIngestHandler(() => deps, () => undefined);

    // Act
    const response = await handler(failedRuns(3));

    // Assess
    expect(response.findings.map((f) => f.run_id)).toEqual(['r0', 'r1', 'r2']);
    expect(response.findingsLeftOut).toBe(0);
  });
});

describe('the ingest handler on a log group that ECS FireLens ships to', () => {
  it('reads the runs in the log field of FireLens records, whatever their other keys', async () => {
    // Prepare: a task's run, each line wrapped by FireLens (Fluent Bit's cloudwatch_logs output without log_key)
    const lines = [
      { ts: '2026-10-05T10:00:00Z', type: 'run.start', job: 'etl', run_id: 'etl-1', host: 'task-1' },
      { ts: '2026-10-05T10:01:00Z', type: 'run.end', job: 'etl', run_id: 'etl-1', exit_code: 1, duration_ms: 60_000 },
    ];
    const firelens = (line: object) => JSON.stringify({ container_id: 'abc123', container_name: 'etl', log: JSON.stringify(line), source: 'stdout', ecs_cluster: 'batch', ecs_task_arn: 'arn:aws:ecs:eu-west-1:123456789012:task/batch/1', ecs_task_definition: 'etl:7' });
    const payload = encodePayload({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/ecs/etl',
      logStream: 'firelens/etl/1',
      subscriptionFilters: ['silent-audit'],
      logEvents: lines.map((line, i) => ({ id: String(i + 1), timestamp: T0 + i * 60_000 + 500, message: firelens(line) })),
    });
    const deps = { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    const handler = createIngestHandler(() => deps, () => undefined);

    // Act
    const response = await handler(payload);

    // Assess
    expect(response.counts).toMatchObject({ lines: 2, events: 2, rejected: 0, unrecognised: 0 });
    expect(response.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([['run-failed', 'etl', 'etl-1']]);
  });
});

describe('the ingest handler on a log group the CloudWatch agent ships container log files to', () => {
  const START = JSON.stringify({ ts: '2026-10-05T10:00:00Z', type: 'run.start', job: 'etl', run_id: 'etl-1', host: 'pod-1' });
  const END = JSON.stringify({ ts: '2026-10-05T10:01:00Z', type: 'run.end', job: 'etl', run_id: 'etl-1', exit_code: 1, duration_ms: 60_000, output_head: 'x'.repeat(40_000) });
  const time = (ms: number) => new Date(T0 + ms).toISOString();
  const cri = (text: string, ms: number, tag: 'P' | 'F', stream = 'stdout') => `${time(ms)} ${stream} ${tag} ${text}`;
  const docker = (text: string, ms: number, ends: boolean, stream = 'stdout') => JSON.stringify({ log: ends ? `${text}\n` : text, stream, time: time(ms) });
  /** Three parts of the run.end, as the runtimes cut them (16 KiB), a stderr line between its first two. */
  const parts = [END.slice(0, 16_384), END.slice(16_384, 32_768), END.slice(32_768)];
  const formats = {
    CRI: [cri(START, 0, 'F'), cri(parts[0], 60_000, 'P'), cri('warning: slow', 60_000, 'F', 'stderr'), cri(parts[1], 60_000, 'P'), cri(parts[2], 60_000, 'F')],
    'Docker json-file': [docker(START, 0, true), docker(parts[0], 60_000, false), docker('warning: slow', 60_000, true, 'stderr'), docker(parts[1], 60_000, false), docker(parts[2], 60_000, true)],
  };
  const delivery = (logStream: string, messages: readonly string[]) =>
    encodePayload({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/eks/jobs',
      logStream,
      subscriptionFilters: ['silent-audit'],
      logEvents: messages.map((message, i) => ({ id: String(i + 1), timestamp: T0 + 61_000 + i, message })),
    });
  const handlerWith = () => {
    const deps = { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    return createIngestHandler(() => deps, () => undefined);
  };

  it.each(Object.entries(formats))('joins a %s line the runtime split over records of one delivery into its event, counted once', async (_format, messages) => {
    // Prepare
    const handler = handlerWith();

    // Act
    const response = await handler(delivery('kube.var.log.containers.etl-1', messages));

    // Assess: the run.start, the stderr line, the joined run.end (5 records, 3 lines); the run failed
    expect(response.counts).toMatchObject({ lines: 3, events: 2, rejected: 0, unrecognised: 1 });
    expect(response.rejections).toEqual([]);
    expect(response.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([['run-failed', 'etl', 'etl-1']]);
  });

  it("reads the stream's next line whole after a split line whose last record the subscription filter dropped", async () => {
    // Prepare: the run.end's first part (its last parts hold no filter term), then another run's failed end a minute later
    const failed = JSON.stringify({ ts: '2026-10-05T10:02:00Z', type: 'run.end', job: 'etl', run_id: 'etl-0', exit_code: 3, duration_ms: 1000 });
    const handler = handlerWith();

    // Act
    const response = await handler(delivery('kube.var.log.containers.etl-1', [formats.CRI[0], formats.CRI[1], cri(failed, 120_000, 'F')]));

    // Assess: the part is rejected as unfinished, the failed run is found
    expect(response.counts).toMatchObject({ lines: 3, events: 2, rejected: 1 });
    expect(response.rejections).toEqual([{ where: '/eks/jobs kube.var.log.containers.etl-1 event 2', reason: expect.stringMatching(/CloudWatch event 2: the stream's next record is 60 s later: the rest of the line never came\)$/) }]);
    expect(response.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'etl-0']]);
  });

  it('counts a split line whose last record is not in the delivery as one rejected line, saying why, and reads the rest', async () => {
    // Prepare: the run.end's first two records end the delivery; the runtime wrote the rest after it was sent
    const messages = [formats.CRI[0], formats.CRI[1], formats.CRI[2], formats.CRI[3]];
    const handler = handlerWith();

    // Act
    const response = await handler(delivery('kube.var.log.containers.etl-1', messages));

    // Assess
    expect(response.counts).toMatchObject({ lines: 3, events: 1, rejected: 1, unrecognised: 1 });
    expect(response.rejections).toEqual([
      {
        where: '/eks/jobs kube.var.log.containers.etl-1 event 2',
        reason: expect.stringMatching(/^run\.end event rejected: not valid JSON.*\(only its first 2 records of a line the container runtime split, CloudWatch events 2 to 4: the rest of the line is not in this delivery\)$/),
      },
    ]);
  });
});

describe("the ingest handler on a function that logs in Lambda's JSON log format", () => {
  it('reads the runs its logger wrote in the message of each record, as a string or an object', async () => {
    // Prepare: one invocation of a function with LoggingConfig LogFormat=JSON, its events without ts
    const requestId = '5a2c7e91-3b4d-4f6a-8c0e-1d2f3a4b5c6d';
    const logged = (at: number, message: unknown) => JSON.stringify({ timestamp: new Date(at).toISOString(), level: 'INFO', requestId, message });
    const start = { type: 'run.start', job: 'invoice-run', run_id: 'inv-1', host: 'lambda' };
    const end = { type: 'run.end', job: 'invoice-run', run_id: 'inv-1', exit_code: 1, duration_ms: 60_000 };
    const payload = encodePayload({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/aws/lambda/invoice-mailer',
      logStream: '2026/10/05/[$LATEST]ab12',
      subscriptionFilters: ['silent-audit'],
      logEvents: [
        { id: '1', timestamp: T0 + 100, message: logged(T0, JSON.stringify(start)) },
        { id: '2', timestamp: T0 + 60_100, message: logged(T0 + 60_000, end) },
      ],
    });
    const store = new MemoryAuditStore();
    const deps = { store, sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    const handler = createIngestHandler(() => deps, () => undefined);

    // Act
    const response = await handler(payload);

    // Assess: the run ends at its record's timestamp, not the CloudWatch event's
    expect(response.counts).toMatchObject({ lines: 2, events: 2, rejected: 0, unrecognised: 0 });
    expect(response.findings.map((f) => [f.detector, f.subject, f.run_id, f.ts])).toEqual([['run-failed', 'invoice-run', 'inv-1', '2026-10-05T10:01:00Z']]);
  });
});

const DAY = 86_400_000;

/** One delivery of daily runs `first`..`last` of job `etl` (start and end lines), exiting with `exitOf(n)`, writing `bytesOf(n)` bytes when given. */
function dailyRuns(first: number, last: number, exitOf: (n: number) => number = () => 0, bytesOf?: (n: number) => number) {
  const logEvents = [];
  for (let n = first; n <= last; n++) {
    const at = T0 + n * DAY;
    const output = bytesOf ? { output_bytes: bytesOf(n) } : {};
    logEvents.push({ id: `${n}-start`, timestamp: at, message: JSON.stringify({ type: 'run.start', job: 'etl', run_id: `etl-${n}` }) });
    logEvents.push({ id: `${n}-end`, timestamp: at + 60_000, message: JSON.stringify({ type: 'run.end', job: 'etl', run_id: `etl-${n}`, exit_code: exitOf(n), duration_ms: 60_000, ...output }) });
  }
  return encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/batch', logStream: 'host-1', subscriptionFilters: ['silent-audit'], logEvents });
}

/** A memory store whose alert-state writes are throttled (past the SDK's retries) while `throttled` is set. */
class ThrottledAlertsStore extends MemoryAuditStore {
  throttled = false;
  override async commit(commit: SubjectCommit): Promise<CommitResult> {
    if (this.throttled && commit.key.startsWith('alert#')) throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException' });
    return super.commit(commit);
  }
}

describe('the ingest handler after a failed alert-state write', () => {
  it('sends the recovery notice when the delivery is retried, although its runs were recorded by the failed attempt', async () => {
    // Prepare: a job alerted for a failed run; its next three healthy runs come in one delivery whose alert-state write is throttled.
    const store = new ThrottledAlertsStore();
    const messages: AlertMessage[] = [];
    const sink = { publish: async () => undefined, send: async (m: AlertMessage) => void messages.push(m) };
    const at = (n: number) => T0 + n * DAY + 300_000;
    const handlerAt = (now: number) => createIngestHandler(() => ({ store, sink, config: DEFAULT_CONFIG, clock: { now: () => now } }), () => undefined);
    await handlerAt(at(3))(dailyRuns(1, 3));
    await handlerAt(at(4))(dailyRuns(4, 4, () => 2));
    const healthy = dailyRuns(5, 7);
    store.throttled = true;
    const failedAttempt = await handlerAt(at(7))(structuredClone(healthy)).then(() => 'ok', (error: Error) => error.name);
    store.throttled = false;

    // Act: Lambda retries the delivery.
    const retry = await handlerAt(at(7) + 60_000)(structuredClone(healthy));

    // Assess
    expect(failedAttempt).toBe('ThrottlingException');
    expect(messages.map((m) => m.kind)).toEqual(['finding', 'recovery']);
    expect(retry.alerts.sent).toBe(1);
  });

  it('sends no recovery notice when the retried delivery\'s runs exited 0 but a detector found them empty', async () => {
    // Prepare: a job alerted for a failed run; its next three runs exit 0 with no output, in one delivery whose alert-state write is throttled.
    const store = new ThrottledAlertsStore();
    const messages: AlertMessage[] = [];
    const sink = { publish: async () => undefined, send: async (m: AlertMessage) => void messages.push(m) };
    const at = (n: number) => T0 + n * DAY + 300_000;
    const handlerAt = (now: number) => createIngestHandler(() => ({ store, sink, config: DEFAULT_CONFIG, clock: { now: () => now } }), () => undefined);
    await handlerAt(at(3))(dailyRuns(1, 3, () => 0, () => 5000));
    await handlerAt(at(4))(dailyRuns(4, 4, () => 2, () => 5000));
    const empty = dailyRuns(5, 7, () => 0, () => 0);
    store.throttled = true;
    const failedAttempt = await handlerAt(at(7))(structuredClone(empty)).then(() => 'ok', (error: Error) => error.name);
    store.throttled = false;

    // Act: Lambda retries the delivery; its runs are read back from their records.
    await handlerAt(at(7) + 60_000)(structuredClone(empty));

    // Assess: the runs are still failing (silently): no recovery
    expect(failedAttempt).toBe('ThrottlingException');
    expect(messages.map((m) => m.kind)).not.toContain('recovery');
  });
});

describe('the ingest handler on agent runs', () => {
  /** One delivery of web-search-agent's log: six runs of 6 actions and 4,200 bytes of output, then `last`'s runs. */
  function agentDelivery(last: readonly Record<string, unknown>[]) {
    const line = (s: number, body: Record<string, unknown>) => ({ timestamp: T0 + s * 1000, message: JSON.stringify({ ts: new Date(T0 + s * 1000).toISOString(), agent: 'web-search-agent', ...body }) });
    const run = (r: number, actions: number, end: Record<string, unknown>) => [
      line(r * 3600, { type: 'agent.start', run_id: `ws-${r}` }),
      ...Array.from({ length: actions }, (_, i) => line(r * 3600 + 1 + i, { type: 'agent.action', run_id: `ws-${r}`, action: 'tool_call', name: 'web_search' })),
      line(r * 3600 + 20, { type: 'agent.end', run_id: `ws-${r}`, actions_reported: actions, ...end }),
    ];
    const events = [...Array.from({ length: 6 }, (_, r) => run(r, 6, { status: 'ok', output_bytes: 4200 })).flat(), ...last.flatMap(({ actions, ...end }, i) => run(6 + i, Number(actions ?? 0), end))];
    return encodePayload({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/agents/web-search',
      logStream: 'worker-1',
      subscriptionFilters: ['silent-audit'],
      logEvents: events.map((e, i) => ({ id: String(i + 1), ...e })),
    });
  }

  async function ingest(last: readonly Record<string, unknown>[]) {
    const messages: AlertMessage[] = [];
    const sink = { publish: async () => undefined, send: async (m: AlertMessage) => void messages.push(m) };
    const handler = createIngestHandler(() => ({ store: new MemoryAuditStore(), sink, config: DEFAULT_CONFIG, clock: { now: () => T0 + 12 * 3_600_000 } }), () => undefined);
    const response = await handler(agentDelivery(last));
    return { response, messages };
  }

  it('reports and alerts an agent root run that ended ok with output_bytes 0 (empty-output) and one that ended with status error (run-failed)', async () => {
    // Prepare
    const last = [
      { status: 'ok', actions: 0, output_bytes: 0 },
      { status: 'error', actions: 2 },
    ];

    // Act
    const { response, messages } = await ingest(last);

    // Assess
    expect(response.findings.map((f) => [f.detector, f.subject_kind, f.subject, f.run_id, f.message])).toEqual([
      ['empty-output', 'agent', 'web-search-agent', 'ws-6', 'run ws-6 ended ok but wrote no output (output_bytes 0) after 0 actions'],
      ['run-failed', 'agent', 'web-search-agent', 'ws-7', 'run ws-7 ended with status error after 20 s (2 actions)'],
    ]);
    expect(messages.map((m) => [m.kind, m.detector, m.subject_kind, m.subject])).toEqual([
      ['finding', 'empty-output', 'agent', 'web-search-agent'],
      ['finding', 'run-failed', 'agent', 'web-search-agent'],
    ]);
  });

  it('finds nothing in the healthy twin: ok with output, budget_exhausted with output_bytes 0, cancelled, ok with no output_bytes logged', async () => {
    // Prepare
    const last = [
      { status: 'ok', actions: 6, output_bytes: 4100 },
      { status: 'budget_exhausted', actions: 6, output_bytes: 0 },
      { status: 'cancelled', actions: 1 },
      { status: 'ok', actions: 0 },
    ];

    // Act
    const { response, messages } = await ingest(last);

    // Assess
    expect(response.findings).toEqual([]);
    expect(messages).toEqual([]);
  });
});

describe('the ingest handlers while other environments keep winning their writes', () => {
  afterEach(() => vi.useRealTimers());

  /** The CloudWatch Logs subscription's handler, and the Kinesis consumer's: the payload as one stream record. */
  const handlers = {
    subscription: (deps: IngestDeps) => (payload: CloudWatchLogsEvent, context: LambdaTime) => createIngestHandler(() => deps, () => {})(payload, context),
    kinesis: (deps: IngestDeps) => (payload: CloudWatchLogsEvent, context: LambdaTime) =>
      createKinesisIngestHandler(() => deps, () => {}, { warn: () => {} }, () => {})(
        { Records: [{ eventSource: 'aws:kinesis', eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/s', kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'p', sequenceNumber: '1', data: payload.awslogs.data, approximateArrivalTimestamp: 1_790_000_000 } }] } as never,
        context,
      ),
  };

  it.each(Object.keys(handlers) as (keyof typeof handlers)[])('%s: retries for as long as its invocation has time, past the 30 s a writer without a deadline retries for', async (which) => {
    // Prepare: the job's and its alert state's writes each lose for 35 s after their first try; the
    // invocation has 100 s (Lambda's context), the Kinesis consumer's 160 s, as its batch keeps half
    // for its records one by one; its time and the waits are fake timers.
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const store = new MemoryAuditStore();
    const firstTry = new Map<string, number>();
    const commit = store.commit.bind(store);
    store.commit = async (change: SubjectCommit): Promise<CommitResult> => {
      if (!['job#shared', 'alert#job#shared'].includes(change.key)) return commit(change);
      if (!firstTry.has(change.key)) firstTry.set(change.key, Date.now());
      return Date.now() - firstTry.get(change.key)! < 35_000 ? 'conflict' : commit(change);
    };
    const sent: string[] = [];
    const deps = { store, sink: { publish: async (f: Finding) => void sent.push(`${f.detector} ${f.subject}`) }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    const start = Date.now();
    const deadline = start + (which === 'kinesis' ? 160_000 : 100_000);
    const context = { getRemainingTimeInMillis: () => deadline - Date.now() };
    const payload = encodePayload({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/aws/lambda/shared',
      logStream: 'env-7',
      subscriptionFilters: ['silent-audit'],
      logEvents: [{ id: '1', timestamp: T0, message: JSON.stringify({ ts: new Date(T0).toISOString(), type: 'run.end', job: 'shared', run_id: 'r1', exit_code: 1 }) }],
    });
    // Act
    let done = false;
    const response = handlers[which](deps)(payload, context).finally(() => (done = true));
    while (!done && Date.now() < deadline) await vi.advanceTimersByTimeAsync(100);
    // Assess: stored and alerted once, after more than 70 s of lost writes.
    expect(await response).toMatchObject(which === 'kinesis' ? { batchItemFailures: [] } : { status: 'processed' });
    expect(sent).toEqual(['run-failed shared']);
    expect(await store.pendingAlerts(10)).toEqual([]);
    expect(Date.now() - start).toBeGreaterThan(70_000);
  });
});
