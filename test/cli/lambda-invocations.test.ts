import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { type Config, DEFAULT_CONFIG } from '../../lambdas/config.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { ingestPayloads } from '../../lambdas/core/ingest.ts';

/** One line of a Lambda log group: its time, its log stream and its message. */
interface LogLine {
  readonly at: number;
  readonly stream: string;
  readonly message: string;
}

const FUNCTION = 'queue-poller';
const t = (iso: string) => Date.parse(iso);

function capture() {
  const stream = new PassThrough();
  stream.resume();
  return stream;
}

/** The lines as `aws logs tail --format detailed` prints them, oldest first, in a file named after the function. */
function tailExport(lines: readonly LogLine[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-invocations-'));
  const file = join(dir, `${FUNCTION}.log`);
  const stamp = (at: number) => new Date(at).toISOString().replace('Z', '000+00:00');
  writeFileSync(file, [...lines].sort((a, b) => a.at - b.at).map((l) => `${stamp(l.at)} ${l.stream} ${l.message}`).join('\n') + '\n');
  return file;
}

async function scanned(lines: readonly LogLine[], config: Config = DEFAULT_CONFIG): Promise<readonly Finding[]> {
  const { findings } = await runScan({ paths: [tailExport(lines)], config, json: true, stdout: capture(), stderr: capture() });
  return findings;
}

/** CloudWatch's event ids, unique across the deliveries of a test. */
let eventId = 0;

/** The lines through the real ingest path: one subscription delivery per log stream per minute, as CloudWatch delivers them. */
async function ingested(lines: readonly LogLine[], config: Config = DEFAULT_CONFIG, store = new MemoryAuditStore()): Promise<Finding[]> {
  const deliveries = new Map<string, LogLine[]>();
  for (const line of [...lines].sort((a, b) => a.at - b.at)) {
    const key = `${String(Math.floor(line.at / 60_000)).padStart(12, '0')}|${line.stream}`;
    deliveries.set(key, [...(deliveries.get(key) ?? []), line]);
  }
  const findings: Finding[] = [];
  for (const [, batch] of [...deliveries].sort(([a], [b]) => a.localeCompare(b))) {
    const payload = {
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: `/aws/lambda/${FUNCTION}`,
      logStream: batch[0].stream,
      subscriptionFilters: ['silent-audit'],
      logEvents: batch.map((l) => ({ id: String(++eventId), timestamp: l.at, message: l.message })),
    };
    const result = await ingestPayloads([payload as never], { store, sink: { publish: async () => undefined }, config, clock: { now: () => batch[batch.length - 1].at + 60_000 } });
    findings.push(...result.findings);
  }
  return findings;
}

/** An invocation that writes run lines, in Lambda's text log format (Node's console prefix). */
function textInvocation(stream: string, requestId: string, runId: string, startAt: number, end: { at: number; timeout?: number }): LogLine[] {
  const console = (at: number, body: object) => ({ at, stream, message: `${new Date(at).toISOString()}\t${requestId}\tINFO\t${JSON.stringify(body)}` });
  const lines: LogLine[] = [
    { at: startAt, stream, message: `START RequestId: ${requestId} Version: $LATEST` },
    console(startAt + 3, { type: 'run.start', job: FUNCTION, run_id: runId }),
  ];
  const ms = (end.at - startAt).toFixed(2);
  if (end.timeout === undefined) lines.push(console(end.at - 2, { type: 'run.end', job: FUNCTION, run_id: runId, exit_code: 0, duration_ms: end.at - startAt, output_bytes: 5000 }));
  else lines.push({ at: end.at - 2, stream, message: `${new Date(end.at - 2).toISOString()} ${requestId} Task timed out after ${end.timeout.toFixed(2)} seconds` });
  lines.push({ at: end.at, stream, message: `END RequestId: ${requestId}` });
  lines.push({ at: end.at + 1, stream, message: `REPORT RequestId: ${requestId}\tDuration: ${ms} ms\tBilled Duration: ${Math.ceil(Number(ms))} ms\tMemory Size: 256 MB\tMax Memory Used: 100 MB${end.timeout === undefined ? '' : '\tStatus: timeout'}` });
  return lines;
}

/** The same invocation in Lambda's JSON log format: `platform.*` records, and the function's lines as records naming their `requestId`. */
function jsonInvocation(stream: string, requestId: string, runId: string, startAt: number, end: { at: number; timeout?: number }): LogLine[] {
  const record = (at: number, body: object) => ({ at, stream, message: JSON.stringify({ timestamp: new Date(at).toISOString(), level: 'INFO', requestId, message: body }) });
  const platform = (at: number, type: string, rec: object) => ({ at, stream, message: JSON.stringify({ time: new Date(at).toISOString(), type, record: { requestId, ...rec } }) });
  const lines: LogLine[] = [platform(startAt, 'platform.start', { version: '$LATEST' }), record(startAt + 3, { type: 'run.start', job: FUNCTION, run_id: runId })];
  if (end.timeout === undefined) lines.push(record(end.at - 2, { type: 'run.end', job: FUNCTION, run_id: runId, exit_code: 0, duration_ms: end.at - startAt, output_bytes: 5000 }));
  lines.push(platform(end.at + 1, 'platform.report', { metrics: { durationMs: end.at - startAt }, status: end.timeout === undefined ? 'success' : 'timeout', ...(end.timeout === undefined ? {} : { errorType: 'Sandbox.Timedout' }) }));
  return lines;
}

const brief = (findings: readonly Finding[]) => findings.map((f) => [f.detector, f.subject, f.run_id]);

describe('a Lambda function that writes run lines, invoked concurrently', () => {
  // Prepare: queue-poller every 5 minutes; poll-12 (request A) hangs from 09:00 and times out at
  // 09:15:00.6, while poll-14 (09:10, request B) and poll-15 (09:15:00.27, request C) run.
  const A = '59d54505-92f3-477b-a2c8-2185d55ec1a5';
  const B = '9b16f809-fdb1-4f54-8799-7b6bdb3d1150';
  const C = 'f6f22f41-538e-404e-9c52-bdcab2d87d5e';
  const invocations = (invocation: typeof textInvocation) => [
    ...invocation('s0', A, 'poll-12', t('2026-10-05T09:00:00.619Z'), { at: t('2026-10-05T09:15:00.621Z'), timeout: 900 }),
    ...invocation('s2', B, 'poll-14', t('2026-10-05T09:10:00.129Z'), { at: t('2026-10-05T09:15:30.129Z') }),
    ...invocation('s3', C, 'poll-15', t('2026-10-05T09:15:00.267Z'), { at: t('2026-10-05T09:17:57.355Z') }),
  ];

  it.each([
    ['the text log format (the run.start after its console prefix)', textInvocation],
    ["Lambda's JSON log format (the run.start's record names its requestId)", jsonInvocation],
  ])('blames a timeout on the run its request id started, in %s, in scan and ingest alike', async (_format, invocation) => {
    // Act
    const scan = await scanned(invocations(invocation));
    const ingest = await ingested(invocations(invocation));
    // Assess: one failed run, poll-12; poll-14 and poll-15 ended well, and poll-12 is not left open
    expect(brief(scan)).toEqual([['run-failed', FUNCTION, 'poll-12']]);
    expect(brief(ingest)).toEqual(brief(scan));
  });

  const redactingUuids: Config = { ...DEFAULT_CONFIG, redact: { patterns: [{ name: 'uuid', regex: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' }], disable_builtins: [] } };

  it.each([
    ['the text log format', textInvocation],
    ["Lambda's JSON log format", jsonInvocation],
  ])('blames it on that run when a redact pattern matches request ids, in %s, in scan and ingest alike', async (_format, invocation) => {
    // Prepare: the config redacts UUIDs, so the timeout's request id is read redacted
    const config = redactingUuids;
    // Act
    const scan = await scanned(invocations(invocation), config);
    const ingest = await ingested(invocations(invocation), config);
    // Assess: as without the pattern, poll-12 failed; no run made up for the timeout, none left open
    expect(brief(scan)).toEqual([['run-failed', FUNCTION, 'poll-12']]);
    expect(brief(ingest)).toEqual(brief(scan));
  });

  it('blames it on that run when the redact pattern was added while the runs were open (their request ids stored in full)', async () => {
    // Prepare: the lines up to 09:14 ingested without the pattern, the rest with it
    const lines = invocations(textInvocation);
    const store = new MemoryAuditStore();
    const before = await ingested(lines.filter((l) => l.at < t('2026-10-05T09:14:00Z')), DEFAULT_CONFIG, store);
    // Act
    const after = await ingested(lines.filter((l) => l.at >= t('2026-10-05T09:14:00Z')), redactingUuids, store);
    // Assess
    expect(brief([...before, ...after])).toEqual([['run-failed', FUNCTION, 'poll-12']]);
  });
});

describe('a Lambda function whose handler throws, retried by Lambda under the same request id', () => {
  // Prepare: invoice-sync (EventBridge, hourly, no run lines of its own) runs 20 s; at 06:00 its
  // handler throws, and Lambda retries the request at 06:01 and 06:03, each attempt failing the same
  // way. The text REPORT of a function error has no Status.
  const R = 'b37f5722-051e-4670-824f-6aa83bf36a14';
  const stream = '2026/10/05/[$LATEST]ff';
  const invocation = (requestId: string, startAt: number, ms: number, error?: string): LogLine[] => [
    { at: startAt, stream, message: `START RequestId: ${requestId} Version: $LATEST` },
    ...(error === undefined ? [] : [{ at: startAt + ms, stream, message: `${new Date(startAt + ms).toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: 'Error', errorMessage: error, stack: [`Error: ${error}`] })}` }]),
    { at: startAt + ms, stream, message: `END RequestId: ${requestId}` },
    { at: startAt + ms, stream, message: `REPORT RequestId: ${requestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${ms + 1} ms\tMemory Size: 256 MB\tMax Memory Used: 88 MB` },
  ];
  const hourly = (error: string | undefined) => [
    ...[0, 1, 2].flatMap((h) => invocation(`0000000${h}-1111-4222-8333-944445555666`, t(`2026-10-05T0${3 + h}:00:04Z`), 20_000)),
    ...invocation(R, t('2026-10-05T06:00:04Z'), 1_180, error),
    ...invocation(R, t('2026-10-05T06:01:07Z'), 1_180, error),
    ...invocation(R, t('2026-10-05T06:03:12Z'), 1_180, error),
    ...invocation('00000007-1111-4222-8333-944445555666', t('2026-10-05T07:00:04Z'), 20_000),
  ];
  const failures = (findings: readonly Finding[]) => findings.filter((f) => f.detector === 'run-failed').map((f) => [f.ts, f.run_id, f.message]);

  it("fails each attempt by the runtime's Invoke Error line, in scan and ingest alike", async () => {
    // Act
    const scan = await scanned(hourly('connect ECONNREFUSED 10.0.3.7:5432'));
    const ingest = await ingested(hourly('connect ECONNREFUSED 10.0.3.7:5432'));
    // Assess: one finding per attempt, naming the error; nothing judges the attempts' short durations
    const failed = (ts: string) => [ts, R, 'run failed after 1 s: Error: connect ECONNREFUSED 10.0.3.7:5432'];
    expect(failures(scan)).toEqual([failed('2026-10-05T06:00:05Z'), failed('2026-10-05T06:01:08Z'), failed('2026-10-05T06:03:13Z')]);
    expect(scan.map((f) => f.detector)).toEqual(['run-failed', 'run-failed', 'run-failed']);
    expect(failures(ingest)).toEqual(failures(scan));
  });

  it('without that line, fails each attempt that Lambda retried, as its retry starts', async () => {
    // Act
    const scan = await scanned(hourly(undefined));
    const ingest = await ingested(hourly(undefined));
    // Assess: the first two attempts failed (the request was started again); the last one cannot be told from a success
    const failed = (ts: string) => [ts, R, 'run failed: function error (Lambda retried the request)'];
    expect(failures(scan)).toEqual([failed('2026-10-05T06:00:06Z'), failed('2026-10-05T06:01:09Z')]);
    expect(failures(ingest)).toEqual(failures(scan));
  });
});

describe('a Lambda function whose module fails to load (an init failure)', () => {
  // Prepare: fn runs hourly; at 03:00 a bad deploy cannot import 'pg': the Node.js runtime logs
  // 'Uncaught Exception' with the request id 'undefined' (no invocation yet) at init, again as the
  // invocation retries init, and the invocation's REPORT says Status: error.
  const stream = '2026/10/05/[$LATEST]aa';
  const R = '0e4b5a4c-0000-4000-8000-000000000003';
  const uncaught = (at: number) => ({ at, stream, message: `${new Date(at).toISOString()}	undefined	ERROR	Uncaught Exception 	${JSON.stringify({ errorType: 'Runtime.ImportModuleError', errorMessage: "Error: Cannot find module 'pg'", stack: ["Runtime.ImportModuleError: Error: Cannot find module 'pg'"] })}` });
  const ok = (requestId: string, startAt: number): LogLine[] => [
    { at: startAt, stream, message: `START RequestId: ${requestId} Version: $LATEST` },
    { at: startAt + 20_000, stream, message: `END RequestId: ${requestId}` },
    { at: startAt + 20_000, stream, message: `REPORT RequestId: ${requestId}\tDuration: 20000.00 ms\tBilled Duration: 20001 ms\tMemory Size: 256 MB\tMax Memory Used: 88 MB` },
  ];
  const lines: LogLine[] = [
    ...[0, 1, 2].flatMap((h) => ok(`0e4b5a4c-0000-4000-8000-00000000000${h}`, t(`2026-10-05T0${h}:00:04Z`))),
    { at: t('2026-10-05T03:00:00.100Z'), stream, message: 'INIT_START Runtime Version: nodejs:20.v30\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc' },
    uncaught(t('2026-10-05T03:00:00.300Z')),
    { at: t('2026-10-05T03:00:00.310Z'), stream, message: 'INIT_REPORT Init Duration: 210.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError' },
    { at: t('2026-10-05T03:00:00.400Z'), stream, message: `START RequestId: ${R} Version: $LATEST` },
    uncaught(t('2026-10-05T03:00:00.600Z')),
    { at: t('2026-10-05T03:00:00.620Z'), stream, message: `END RequestId: ${R}` },
    { at: t('2026-10-05T03:00:00.620Z'), stream, message: `REPORT RequestId: ${R}\tDuration: 220.00 ms\tBilled Duration: 221 ms\tMemory Size: 256 MB\tMax Memory Used: 40 MB\tStatus: error\tError Type: Runtime.ImportModuleError` },
    ...ok('0e4b5a4c-0000-4000-8000-000000000004', t('2026-10-05T04:00:04Z')),
  ];

  it("fails the invocation by its REPORT, and no run of the request id 'undefined', in scan and ingest alike", async () => {
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess: one failed run, the invocation's
    expect(brief(scan)).toEqual([['run-failed', 'queue-poller', R]]);
    expect(brief(ingest)).toEqual(brief(scan));
  });
});

describe('a custom log group several functions share, through the ingest handler', () => {
  it('names the Lambda platform lines of each stream after the function the stream names, as scan --log-group does', async () => {
    // Prepare: hourly-sync and billing-export log to /myapp/lambdas (Lambda's advanced logging), each
    // stream named YYYY/MM/DD/<function>[<version>]<id>; billing-export times out.
    const stream = (fn: string) => `2026/10/05/${fn}[$LATEST]a1b2c3d4e5f60718`;
    const report = (id: string, status = '') => `REPORT RequestId: ${id}\tDuration: 52941.67 ms\tBilled Duration: 52942 ms\tMemory Size: 512 MB\tMax Memory Used: 180 MB${status}`;
    const delivery = (fn: string, events: { at: number; message: string }[]) => ({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/myapp/lambdas',
      logStream: stream(fn),
      subscriptionFilters: ['silent-audit'],
      logEvents: events.map((e) => ({ id: String(++eventId), timestamp: e.at, message: e.message })),
    });
    const store = new MemoryAuditStore();
    const payloads = [
      delivery('hourly-sync', [
        { at: t('2026-10-05T00:00:10Z'), message: 'START RequestId: 0c5c7fd0-a6a3-4450-a513-270e269e0d37 Version: $LATEST' },
        { at: t('2026-10-05T00:01:03Z'), message: report('0c5c7fd0-a6a3-4450-a513-270e269e0d37') },
      ]),
      delivery('billing-export', [
        { at: t('2026-10-05T01:00:11Z'), message: 'START RequestId: 1c5c7fd0-a6a3-4450-a513-270e269e0d37 Version: $LATEST' },
        { at: t('2026-10-05T01:15:11Z'), message: report('1c5c7fd0-a6a3-4450-a513-270e269e0d37', '\tStatus: timeout') },
      ]),
    ];

    // Act
    const result = await ingestPayloads(payloads as never, { store, sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => t('2026-10-05T01:20:00Z') } });

    // Assess: the timeout is billing-export's, and no line was rejected for naming no function
    expect(result.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', 'billing-export']]);
    expect(result.counts.rejected).toBe(0);
  });
});

describe("a Lambda function's invocation that the runtime's Invoke Error line fails, then its REPORT names an error type", () => {
  // Prepare: report-oom's invocation at 09:00:18 runs out of memory: the Node.js runtime logs Invoke
  // Error (RangeError), then the REPORT says Status: error with the error type, all in one delivery.
  const stream = '2026/10/05/[$LATEST]ab12';
  const R = 'ae2eb154-7f15-4524-b4b9-b5df9e7769b1';
  const lines = (errorType: string, startAt = t('2026-10-05T09:00:18.100Z'), errorAt = t('2026-10-05T09:00:49.100Z')): LogLine[] => [
    { at: startAt, stream, message: `START RequestId: ${R} Version: $LATEST` },
    { at: errorAt, stream, message: `${new Date(errorAt).toISOString()}\t${R}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: 'RangeError', errorMessage: 'Array buffer allocation failed', stack: ['RangeError: Array buffer allocation failed'] })}` },
    { at: errorAt + 13, stream, message: `END RequestId: ${R}` },
    { at: errorAt + 14, stream, message: `REPORT RequestId: ${R}\tDuration: 31012.55 ms\tBilled Duration: 31013 ms\tMemory Size: 512 MB\tMax Memory Used: 512 MB\tStatus: error\tError Type: ${errorType}` },
  ];
  const failed = (findings: readonly Finding[]) => findings.map((f) => [f.detector, f.run_id, f.message, f.evidence.error_type]);

  it.each(['Runtime.OutOfMemory', 'Runtime.ExitError'])("fails it once, naming the error and the REPORT's error type %s, in scan and ingest alike", async (errorType) => {
    // Act
    const scan = await scanned(lines(errorType));
    const ingest = await ingested(lines(errorType));
    // Assess
    expect(failed(scan)).toEqual([['run-failed', R, `run failed after 31 s: RangeError: Array buffer allocation failed (${errorType})`, errorType]]);
    expect(failed(ingest)).toEqual(failed(scan));
  });

  it('fails it once, without the error type, when the REPORT comes in a later delivery than the Invoke Error line', async () => {
    // Prepare: the Invoke Error line is written at 09:00:59.990 and the REPORT in the next minute, so they come in two deliveries
    const late = lines('Runtime.OutOfMemory', t('2026-10-05T09:00:28.990Z'), t('2026-10-05T09:00:59.990Z'));
    // Act
    const ingest = await ingested(late);
    // Assess: the run ended at the Invoke Error line; the REPORT after it adds nothing
    expect(failed(ingest)).toEqual([['run-failed', R, 'run failed after 31 s: RangeError: Array buffer allocation failed', undefined]]);
  });

  it('fails it once, naming the error type, in a scan when the Invoke Error line and the REPORT are either side of an hour', async () => {
    // Prepare: the scan judges an hour of log time at a time: the Invoke Error line at 09:59:59.990, its REPORT at 10:00:00.004
    const acrossTheHour = lines('Runtime.OutOfMemory', t('2026-10-05T09:59:28.990Z'), t('2026-10-05T09:59:59.990Z'));
    // Act
    const scan = await scanned(acrossTheHour);
    // Assess: as in one batch of the whole log
    expect(failed(scan)).toEqual([['run-failed', R, 'run failed after 31 s: RangeError: Array buffer allocation failed (Runtime.OutOfMemory)', 'Runtime.OutOfMemory']]);
  });
});

describe("a Lambda function's last attempt whose REPORT alone says it failed (no error line, no retry after it)", () => {
  // Prepare: nightly-export's 02:00 invocation is killed (out of memory, a crash, its timeout) before
  // any line of its own says so; its text REPORT (Status: …, Error Type: …) or its JSON-format
  // platform.report record is the only line that tells, and Lambda does not retry it.
  const stream = '2026/10/05/[$LATEST]cd34';
  const R = '5b0e3a52-93c1-4d3e-9f0a-1c2d3e4f5a6b';
  const start = { at: t('2026-10-05T02:00:01.000Z'), stream, message: `START RequestId: ${R} Version: $LATEST` };
  const report = (status: string) => ({ at: t('2026-10-05T02:00:32.000Z'), stream, message: `REPORT RequestId: ${R}\tDuration: 31000.00 ms\tBilled Duration: 31000 ms\tMemory Size: 512 MB\tMax Memory Used: 512 MB\t${status}` });
  const platformReport = { at: t('2026-10-05T02:00:32.000Z'), stream, message: JSON.stringify({ time: '2026-10-05T02:00:32.000Z', type: 'platform.report', record: { requestId: R, metrics: { durationMs: 31000, billedDurationMs: 31000, memorySizeMB: 512, maxMemoryUsedMB: 512 }, status: 'error', errorType: 'Runtime.ExitError' } }) };
  const platformStart = { at: start.at, stream, message: JSON.stringify({ time: '2026-10-05T02:00:01.000Z', type: 'platform.start', record: { requestId: R, version: '$LATEST' } }) };
  const failed = (findings: readonly Finding[]) => findings.map((f) => [f.detector, f.run_id, f.message]);

  it.each([
    ['a text REPORT with Status: error', [start, report('Status: error\tError Type: Runtime.OutOfMemory')], 'run failed after 31 s: error (Runtime.OutOfMemory)'],
    ['a text REPORT with Status: timeout', [start, report('Status: timeout')], 'run timed out after 31 s'],
    ['a JSON-format platform.report with status error', [platformStart, platformReport], 'run failed after 31 s: error (Runtime.ExitError)'],
  ])('fails it by %s, in scan and ingest alike', async (_name, lines, message) => {
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([['run-failed', R, message]]);
    expect(failed(ingest)).toEqual(failed(scan));
  });
});

describe("a Lambda function in Lambda's JSON log format: the Node.js runtime's error record names the reason of a failure its platform records say, and fails no run alone", () => {
  // Prepare: billing-close (LogFormat JSON, nightly). The Node.js runtime writes its error record
  // (level ERROR, the error object as the message) for an invocation's error and, alike, for the
  // function's own console.error(err) of an error it handled; a failed invocation's platform.runtimeDone
  // (and platform.report) says status error or timeout. Lambda does not retry.
  const stream = '2026/10/03/[$LATEST]ef56';
  const R = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  const record = (iso: string, body: object) => ({ at: t(iso), stream, message: JSON.stringify(body) });
  const errorAt = (iso: string, errorType: string, errorMessage: string) =>
    record(iso, { timestamp: iso, level: 'ERROR', requestId: R, message: { errorType, errorMessage, stackTrace: [`${errorType}: ${errorMessage}`, '    at Runtime.handler (file:///var/task/index.mjs:3:9)'] } });
  const start = record('2026-10-03T02:00:00.500Z', { time: '2026-10-03T02:00:00.500Z', type: 'platform.start', record: { requestId: R, version: '$LATEST' } });
  const report = record('2026-10-03T02:00:01.200Z', { time: '2026-10-03T02:00:01.200Z', type: 'platform.report', record: { requestId: R, metrics: { durationMs: 700.12, billedDurationMs: 701, memorySizeMB: 256, maxMemoryUsedMB: 90 }, status: 'success' } });
  const errorRecord = errorAt('2026-10-03T02:00:01.123Z', 'Error', 'boom');
  const runtimeDone = record('2026-10-03T02:00:01.150Z', { time: '2026-10-03T02:00:01.150Z', type: 'platform.runtimeDone', record: { requestId: R, status: 'error', errorType: 'Runtime.ExitError', metrics: { durationMs: 650.5, producedBytes: 0 } } });
  const handledEarly = errorAt('2026-10-03T02:00:01.500Z', 'Error', 'upstream 503, retrying');
  const crash = errorAt('2026-10-03T02:00:30.000Z', 'TypeError', 'Cannot read properties of undefined');
  const crashDone = record('2026-10-03T02:00:30.010Z', { time: '2026-10-03T02:00:30.010Z', type: 'platform.runtimeDone', record: { requestId: R, status: 'error', errorType: 'TypeError', metrics: { durationMs: 29510 } } });
  const crashReport = record('2026-10-03T02:00:30.050Z', { time: '2026-10-03T02:00:30.050Z', type: 'platform.report', record: { requestId: R, metrics: { durationMs: 29550 }, status: 'error', errorType: 'TypeError' } });
  const timeoutDone = record('2026-10-03T02:15:00.500Z', { time: '2026-10-03T02:15:00.500Z', type: 'platform.runtimeDone', record: { requestId: R, status: 'timeout', metrics: { durationMs: 900000 } } });
  const timeoutReport = record('2026-10-03T02:15:00.550Z', { time: '2026-10-03T02:15:00.550Z', type: 'platform.report', record: { requestId: R, metrics: { durationMs: 900000 }, status: 'timeout', errorType: 'Sandbox.Timedout' } });
  const afterReport = errorAt('2026-10-03T02:00:03.000Z', 'Error', 'late rejection');
  const failed = (findings: readonly Finding[]) => findings.map((f) => [f.detector, f.run_id, f.message]);

  it.each([
    ["the runtime's error record", [start, errorRecord, runtimeDone, report], 'run failed after 650 ms: Error: boom (Runtime.ExitError)'],
    ['a platform.runtimeDone with status error, no error record', [start, runtimeDone, report], 'run failed after 650 ms: error (Runtime.ExitError)'],
    ['the last error record before its failure (a handled one logged earlier names nothing)', [start, handledEarly, crash, crashDone, crashReport], 'run failed after 30 s: TypeError: Cannot read properties of undefined (TypeError)'],
    ['its platform records alone when it times out 15 minutes after an error it handled', [start, handledEarly, timeoutDone, timeoutReport], 'run timed out after 15.0 min (Sandbox.Timedout)'],
  ])('reports one failure, its reason from %s, in scan and ingest alike', async (_name, lines, message) => {
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([['run-failed', R, message]]);
    expect(failed(ingest)).toEqual(failed(scan));
  });

  it.each([
    ['an error record whose platform.report says success (console.error(err) of an error it handled)', [start, errorRecord, report]],
    ['an error record logged after its platform.report said success', [start, report, afterReport]],
  ])('fails no run by %s, in scan and ingest alike', async (_name, lines) => {
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([]);
    expect(failed(ingest)).toEqual([]);
  });
});

describe("an older runtime's invocation that crashed: Lambda writes `Process exited before completing request` and a REPORT without Status", () => {
  // Prepare: legacy-sync on nodejs10.x (or python3.6, go1.x) crashes at 10:00:01.234; Lambda writes
  // the line with its time and request id before END and REPORT, or as `RequestId: … Process exited
  // before completing request` after the REPORT. The REPORT alone reads as a success.
  const stream = '2019/03/01/[$LATEST]ab12';
  const R = '52fdfc07-2182-154f-163f-5f0f9a621d72';
  const start = { at: t('2019-03-01T10:00:00.100Z'), stream, message: `START RequestId: ${R} Version: $LATEST` };
  const end = { at: t('2019-03-01T10:00:01.240Z'), stream, message: `END RequestId: ${R}` };
  const report = { at: t('2019-03-01T10:00:01.241Z'), stream, message: `REPORT RequestId: ${R}\tDuration: 1140.55 ms\tBilled Duration: 1200 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t` };
  const exitedBefore = { at: t('2019-03-01T10:00:01.234Z'), stream, message: `2019-03-01T10:00:01.234Z ${R} Process exited before completing request` };
  const exitedAfter = { at: t('2019-03-01T10:00:01.242Z'), stream, message: `RequestId: ${R} Process exited before completing request` };
  const failed = (findings: readonly Finding[]) => findings.map((f) => [f.detector, f.run_id, f.message]);

  it.each([
    ['before its END and REPORT, after its time and request id', [start, exitedBefore, end, report]],
    ['after its REPORT, after `RequestId:`', [start, end, report, exitedAfter]],
    ["at the end of the function's last output, which had no newline", [start, { ...exitedBefore, message: `SyntaxError: Unexpected end of JSON input    at JSON.parse (<anonymous>)    at t.handler (/var/task/purchase.js:1:15721)RequestId: ${R} Process exited before completing request` }, end, report]],
  ])('fails it once, naming that reason, when the line comes %s, in scan and ingest alike', async (_name, lines) => {
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([['run-failed', R, 'run failed after 1 s: process exited before completing request']]);
    expect(failed(ingest)).toEqual(failed(scan));
  });

  it('fails it once, naming that reason, when the line after its REPORT comes in a later delivery', async () => {
    // Prepare: the invocation ends at 10:00:59.991; the line after its REPORT is written at 10:01:00.092, in the next minute's delivery
    const late = [start, end, report, { ...exitedAfter, at: exitedAfter.at + 100 }].map((l) => ({ ...l, at: l.at + 58_750 }));
    // Act
    const ingest = await ingested(late);
    // Assess: the REPORT's delivery read it as a success; the line makes it the failure it was (its duration unknown then)
    expect(failed(ingest)).toEqual([['run-failed', R, 'run failed: process exited before completing request']]);
  });

  it('fails nothing when the function logged the words itself in an invocation that succeeded (console.log on Node.js 8/10: `<time>\\t<request-id>\\t<message>`)', async () => {
    // Prepare
    const appLine = { at: t('2019-03-01T10:00:00.500Z'), stream, message: `2019-03-01T10:00:00.500Z\t${R}\tProcess exited before completing request` };
    const lines = [start, appLine, end, report];
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([]);
    expect(failed(ingest)).toEqual([]);
  });

  it("fails nothing and adds no run when functions on Node.js 12+ log the words after `INFO\\t`: a crashed downstream invocation's errorMessage, or their own request id", async () => {
    // Prepare: two invocations that succeeded; the first logs the errorMessage Lambda Invoke returned for another
    // function's crash (its request id), the second the words with its own request id
    const R2 = '62fdfc07-2182-454f-963f-5f0f9a621d72';
    const other = '9a1c0e2b-7d3f-4b6a-8e21-3c5d7f9b1a04';
    const later = (l: LogLine) => ({ ...l, at: l.at + 300_000, message: l.message.replaceAll(R, R2) });
    const info = (at: string, id: string, message: string) => ({ at: t(at), stream, message: `${at}\t${id}\tINFO\t${message}` });
    const lines = [
      start, info('2019-03-01T10:00:00.400Z', R, `resize-image failed, will retry: RequestId: ${other} Process exited before completing request`), end, report,
      ...[start, end, report].map(later), info('2019-03-01T10:05:00.400Z', R2, `RequestId: ${R2} Process exited before completing request`),
    ];
    // Act
    const { findings, counts } = await runScan({ paths: [tailExport(lines)], config: DEFAULT_CONFIG, json: true, stdout: capture(), stderr: capture() });
    const ingest = await ingested(lines);
    // Assess: no failure, and only the two invocations' starts and ends (no run for the other function's request id)
    expect(failed(findings)).toEqual([]);
    expect(failed(ingest)).toEqual([]);
    expect(counts.events).toBe(4);
  });
});

describe("an invocation the runtime killed or that exited: Lambda writes `RequestId: … Error: Runtime exited with error: signal: killed` and `Runtime.ExitError`, and a REPORT without Status", () => {
  // Prepare: thumbs-gc (128 MB) runs out of memory at 03:00:05.900; the runtime is killed and Lambda writes
  // its line, `Runtime.ExitError` (its own line, or the same event's second line), END and a REPORT with no
  // Status (Max Memory Used: 128 MB), or writes the line after the REPORT. The REPORT alone reads as a success.
  const stream = '2026/10/07/[$LATEST]c0ffee';
  const R = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  const start = { at: t('2026-10-07T03:00:00.100Z'), stream, message: `START RequestId: ${R} Version: $LATEST` };
  const end = { at: t('2026-10-07T03:00:05.901Z'), stream, message: `END RequestId: ${R}` };
  const report = { at: t('2026-10-07T03:00:05.902Z'), stream, message: `REPORT RequestId: ${R}\tDuration: 5800.11 ms\tBilled Duration: 5801 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t` };
  const exited = (why: string, at = '2026-10-07T03:00:05.900Z') => ({ at: t(at), stream, message: `RequestId: ${R} Error: Runtime exited ${why}` });
  const exitError = (at = '2026-10-07T03:00:05.900Z') => ({ at: t(at), stream, message: 'Runtime.ExitError' });
  const failed = (findings: readonly Finding[]) => findings.map((f) => [f.detector, f.run_id, f.message]);

  it.each([
    ['killed (out of memory), before its END and REPORT', [start, exited('with error: signal: killed'), exitError(), end, report], 'run failed after 6 s: runtime exited with error: signal: killed (Runtime.ExitError)'],
    ['killed, after its REPORT', [start, end, report, exited('with error: signal: killed', '2026-10-07T03:00:05.903Z'), exitError('2026-10-07T03:00:05.903Z')], 'run failed after 6 s: runtime exited with error: signal: killed (Runtime.ExitError)'],
    ['killed, `Runtime.ExitError` on the same event\'s second line', [start, { ...exited('with error: signal: killed'), message: `${exited('with error: signal: killed').message}\nRuntime.ExitError` }, end, report], 'run failed after 6 s: runtime exited with error: signal: killed (Runtime.ExitError)'],
    ['with exit status 1', [start, exited('with error: exit status 1'), exitError(), end, report], 'run failed after 6 s: runtime exited with error: exit status 1 (Runtime.ExitError)'],
    ['without providing a reason', [start, exited('without providing a reason'), exitError(), end, report], 'run failed after 6 s: runtime exited without providing a reason (Runtime.ExitError)'],
  ])('fails it once, naming that reason, when the runtime exited %s, in scan and ingest alike', async (_name, lines, message) => {
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([['run-failed', R, message]]);
    expect(failed(ingest)).toEqual(failed(scan));
  });

  it.each([
    ['out of memory (Status: error, Error Type: Runtime.OutOfMemory)', 'Max Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory', [], 'run failed after 6 s: runtime exited with error: signal: killed (Runtime.OutOfMemory)'],
    ['timed out (Status: timeout, Error Type: Sandbox.Timedout)', 'Max Memory Used: 100 MB\tStatus: timeout\tError Type: Sandbox.Timedout', [{ at: t('2026-10-07T03:00:05.899Z'), stream, message: `2026-10-07T03:00:05.899Z ${R} Task timed out after 5.80 seconds` }], 'run timed out after 5.80 s (Sandbox.Timedout)'],
  ])('names the error type its REPORT names, not Runtime.ExitError, when it %s, in scan and ingest alike', async (_name, status, before, message) => {
    // Prepare: today's REPORT says the invocation's status and error type; the exit line comes before it
    const statusReport = { ...report, message: report.message.replace('Max Memory Used: 128 MB\t', status) };
    const lines = [start, ...before, exited('with error: signal: killed'), exitError(), end, statusReport];
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([['run-failed', R, message]]);
    expect(failed(ingest)).toEqual(failed(scan));
  });

  it('says the timeout, not the exit, of an invocation that timed out and was killed, in `aws logs tail --format short` (whole seconds) as in detailed', async () => {
    // Prepare: `Task timed out`, then the exit line, END and REPORT (Status: timeout); short prints whole seconds, so
    // the exit line (03:00:05) sorts before `Task timed out` (its own time, 03:00:05.899)
    const timedOut = { at: t('2026-10-07T03:00:05.899Z'), stream, message: `2026-10-07T03:00:05.899Z ${R} Task timed out after 5.80 seconds` };
    const timeoutReport = { ...report, message: report.message.replace('Max Memory Used: 128 MB\t', 'Max Memory Used: 100 MB\tStatus: timeout') };
    const lines = [start, timedOut, exited('with error: signal: killed'), end, timeoutReport];
    const file = join(mkdtempSync(join(tmpdir(), 'lambda-invocations-')), `${FUNCTION}.log`);
    writeFileSync(file, lines.map((l) => `${new Date(l.at).toISOString().slice(0, 19)} ${l.message}`).join('\n') + '\n');
    // Act
    const detailed = await scanned(lines);
    const { findings: short } = await runScan({ paths: [file], config: DEFAULT_CONFIG, json: true, stdout: capture(), stderr: capture() });
    // Assess
    expect(failed(detailed)).toEqual([['run-failed', R, 'run timed out after 5.80 s']]);
    expect(failed(short)).toEqual(failed(detailed));
  });

  it.each([
    ['its REPORT says Status: error, Error Type: Runtime.ExitError', 'Max Memory Used: 100 MB\tStatus: error\tError Type: Runtime.ExitError'],
    ["its REPORT is of the older shape (no Status: the exit line's Runtime.ExitError names its type)", 'Max Memory Used: 100 MB\t'],
  ])("says the runtime's error (Uncaught Exception), not the exit, of an invocation whose handler threw and whose runtime then exited, when %s, in `aws logs tail --format short` (whole seconds) as in detailed", async (_name, status) => {
    // Prepare: Node's `Uncaught Exception` line, then the exit line (exit status 129), `Runtime.ExitError`, END and REPORT;
    // short prints whole seconds, so the exit line (03:00:05) sorts before the error line (its own time, 03:00:05.800)
    const uncaught = { at: t('2026-10-07T03:00:05.800Z'), stream, message: `2026-10-07T03:00:05.800Z\t${R}\tERROR\tUncaught Exception \t{"errorType":"TypeError","errorMessage":"x is undefined"}` };
    const lines = [start, uncaught, exited('with error: exit status 129'), exitError(), end, { ...report, message: report.message.replace('Max Memory Used: 128 MB\t', status) }];
    const file = join(mkdtempSync(join(tmpdir(), 'lambda-invocations-')), `${FUNCTION}.log`);
    writeFileSync(file, lines.map((l) => `${new Date(l.at).toISOString().slice(0, 19)} ${l.message}`).join('\n') + '\n');
    // Act
    const detailed = await scanned(lines);
    const { findings: short } = await runScan({ paths: [file], config: DEFAULT_CONFIG, json: true, stdout: capture(), stderr: capture() });
    // Assess: the same reason and error type (short's whole seconds make the run 5 s long)
    expect(failed(detailed)).toEqual([['run-failed', R, 'run failed after 6 s: TypeError: x is undefined (Runtime.ExitError)']]);
    expect(failed(short)).toEqual([['run-failed', R, 'run failed after 5 s: TypeError: x is undefined (Runtime.ExitError)']]);
  });

  it('fails it once when its init failed (INIT_REPORT … Status: error, Error Type: Runtime.ExitError) and its REPORT says Status: error', async () => {
    // Prepare: the runtime exits at init, again as the invocation retries init, and the REPORT says so
    const lines = [
      { at: t('2026-10-07T03:00:00.050Z'), stream, message: 'INIT_REPORT Init Duration: 40.12 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError' },
      start,
      { at: t('2026-10-07T03:00:00.150Z'), stream, message: 'INIT_REPORT Init Duration: 41.30 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError' },
      exited('with error: exit status 1', '2026-10-07T03:00:00.151Z'),
      exitError('2026-10-07T03:00:00.151Z'),
      { ...end, at: t('2026-10-07T03:00:00.152Z') },
      { at: t('2026-10-07T03:00:00.152Z'), stream, message: `REPORT RequestId: ${R}\tDuration: 41.30 ms\tBilled Duration: 42 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tStatus: error\tError Type: Runtime.ExitError` },
    ];
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan).map(([detector, runId]) => [detector, runId])).toEqual([['run-failed', R]]);
    expect(failed(ingest)).toEqual(failed(scan));
  });

  it("fails nothing when the function logged the words itself in an invocation that succeeded (after the console prefix `<time>\\t<request-id>\\tINFO\\t`, or in a JSON-format record's message)", async () => {
    // Prepare
    const R2 = '8e2d3c4b-5f6a-4b7c-9d8e-0f1a2b3c4d5e';
    const later = (l: LogLine) => ({ ...l, at: l.at + 300_000, message: l.message.replaceAll(R, R2) });
    const okReport = { ...report, message: report.message.replace('Max Memory Used: 128 MB', 'Max Memory Used: 90 MB') };
    const words = `RequestId: ${R} Error: Runtime exited with error: signal: killed`;
    const appLine = { at: t('2026-10-07T03:00:00.500Z'), stream, message: `2026-10-07T03:00:00.500Z\t${R}\tINFO\t${words}` };
    const jsonLine = { at: t('2026-10-07T03:05:00.500Z'), stream, message: JSON.stringify({ timestamp: '2026-10-07T03:05:00.500Z', level: 'INFO', requestId: R2, message: words.replace(R, R2) }) };
    const lines = [start, appLine, end, okReport, ...[start, end, okReport].map(later), jsonLine];
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([]);
    expect(failed(ingest)).toEqual([]);
  });
});

describe("a Lambda function that prints, unprefixed, the errorMessage Lambda Invoke returned for another function whose runtime exited", () => {
  // Prepare: orchestrator (Python print, Java LambdaLogger, Go fmt.Println, .NET, Rust println!: no console prefix)
  // calls another function, which is killed or crashes; its invocation succeeds and prints the errorMessage it got back,
  // which names the other function's request id
  const stream = '2026/10/07/[$LATEST]c0ffee';
  const R = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  const other = '8e2d3c4b-5f6a-4b7c-9d8e-0f1a2b3c4d5e';
  const start = { at: t('2026-10-07T03:00:00.100Z'), stream, message: `START RequestId: ${R} Version: $LATEST` };
  const end = { at: t('2026-10-07T03:00:02.000Z'), stream, message: `END RequestId: ${R}` };
  const report = { at: t('2026-10-07T03:00:02.001Z'), stream, message: `REPORT RequestId: ${R}\tDuration: 1900.00 ms\tBilled Duration: 1900 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t` };
  const printed = (words: string) => ({ at: t('2026-10-07T03:00:01.000Z'), stream, message: `RequestId: ${other} ${words}` });
  const failed = (findings: readonly Finding[]) => findings.map((f) => [f.detector, f.run_id, f.message]);

  it.each([
    ['Error: Runtime exited with error: signal: killed'],
    ['Process exited before completing request'],
  ])('fails nothing and adds no run for `RequestId: <its request id> %s`, in scan and ingest alike', async (words) => {
    // Prepare
    const lines = [start, printed(words), end, report];
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess: this function's only invocation succeeded; no run of the other function's request id
    expect(failed(scan)).toEqual([]);
    expect(failed(ingest)).toEqual([]);
  });

  it('counts such a line unrecognised, not as a line with events, in scan and ingest alike', async () => {
    // Prepare: START, the other function's exit line, END, REPORT in one delivery
    const lines = [start, printed('Error: Runtime exited with error: signal: killed'), end, report];
    const payload = { messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: `/aws/lambda/${FUNCTION}`, logStream: stream, subscriptionFilters: ['silent-audit'], logEvents: lines.map((l) => ({ id: String(++eventId), timestamp: l.at, message: l.message })) };
    const stdout = new PassThrough();
    let printedOut = '';
    stdout.on('data', (chunk) => (printedOut += String(chunk)));
    // Act
    const ingest = await ingestPayloads([payload as never], { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => report.at + 60_000 } });
    await runScan({ paths: [tailExport(lines)], config: DEFAULT_CONFIG, json: false, stdout, stderr: capture() });
    // Assess: START and REPORT give events, END nothing to judge, the exit line is no line of this function's
    expect(ingest.counts).toMatchObject({ lines: 4, eventLines: 2, events: 2, nothingToJudge: 1, rejected: 0, unrecognised: 1 });
    expect(printedOut).toContain('4 lines from 1 file: 2 with events (2 events), 1 recognised with nothing to judge, 0 rejected, 1 unrecognised');
  });

  it("says of a file holding only such lines that none of its lines is one silent-audit reads", async () => {
    // Prepare: a file of the function's log that holds just the other function's exit line
    const stderr = new PassThrough();
    let noted = '';
    stderr.on('data', (chunk) => (noted += String(chunk)));
    // Act
    const { counts } = await runScan({ paths: [tailExport([printed('Error: Runtime exited with error: signal: killed')])], config: DEFAULT_CONFIG, json: true, stdout: capture(), stderr });
    // Assess
    expect(counts).toMatchObject({ lines: 1, eventLines: 0, unrecognised: 1 });
    expect(noted).toContain(`note: the one line of `);
    expect(noted).toMatch(/the one line of \S*queue-poller\.log is not a line silent-audit reads/);
  });

  it.each([
    ['before its START, in the same delivery', (l: LogLine) => ({ ...l, at: start.at }), 0],
    ['after its REPORT, in a later delivery', (l: LogLine) => ({ ...l, at: report.at + 100 }), 57_950],
  ])("still fails the function's own invocation by its exit line %s", async (_name, place, shift) => {
    // Prepare: the function's own invocation is killed; its exit line names its own request id (later: its REPORT at 03:00:59.951, the exit line at 03:01:00.051)
    const own = place({ ...printed('Error: Runtime exited with error: signal: killed'), message: `RequestId: ${R} Error: Runtime exited with error: signal: killed` });
    const lines = [start, own, end, report].map((l) => ({ ...l, at: l.at + shift }));
    // Act
    const ingest = await ingested(lines);
    // Assess
    expect(failed(ingest).map(([detector, runId]) => [detector, runId])).toEqual([['run-failed', R]]);
  });

  it('fails nothing for it while an instrumented invocation runs (its run lines after the console prefix)', async () => {
    // Prepare: the function writes run lines; the other function's words come while its run is open
    const lines = [...textInvocation(stream, R, 'orchestrate-1', start.at, { at: end.at }), printed('Error: Runtime exited with error: signal: killed')];
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([]);
    expect(failed(ingest)).toEqual([]);
  });

  describe('when its own run lines are printed unprefixed too (no request id on its run) and its invocation is killed, the exit line alone in its delivery', () => {
    // Prepare: orchestrator prints run.start unprefixed (Python print); its invocation is killed at 1.5 min, the exit
    // line in a delivery of its own, END and a REPORT without Status in the next (D: a minute's cut; E: an hour's too)
    const killedRun = (from: string, exitAt: string, endAt: string): LogLine[] => [
      { at: t(from), stream, message: `START RequestId: ${R} Version: $LATEST` },
      { at: t(from) + 10, stream, message: JSON.stringify({ type: 'run.start', job: FUNCTION, run_id: 'orch-1' }) },
      { at: t(exitAt), stream, message: `RequestId: ${R} Error: Runtime exited with error: signal: killed` },
      { at: t(endAt), stream, message: `END RequestId: ${R}` },
      { at: t(endAt) + 1, stream, message: `REPORT RequestId: ${R}\tDuration: 89000.00 ms\tBilled Duration: 89000 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t` },
    ];

    it.each([
      ['at a minute', killedRun('2026-10-07T03:00:30.000Z', '2026-10-07T03:01:59.990Z', '2026-10-07T03:02:00.010Z')],
      ['at an hour', killedRun('2026-10-07T03:58:30.000Z', '2026-10-07T03:59:59.990Z', '2026-10-07T04:00:00.010Z')],
    ])("fails its run by its own exit line, deliveries cut %s, in scan and ingest alike", async (_name, lines) => {
      // Act
      const scan = await scanned(lines);
      const ingest = await ingested(lines);
      // Assess
      expect(failed(scan)).toEqual([['run-failed', 'orch-1', 'run failed after 1.5 min: runtime exited with error: signal: killed (Runtime.ExitError)']]);
      expect(failed(ingest)).toEqual(failed(scan));
    });

    // A healthy invocation an hour before: the function has printed a run.start unprefixed before
    const P = '7d1c2b3a-4e5f-4a6b-8c7d-000000000000';
    const earlierRun: LogLine[] = [
      { at: t('2026-10-07T02:00:00.000Z'), stream, message: `START RequestId: ${P} Version: $LATEST` },
      { at: t('2026-10-07T02:00:00.010Z'), stream, message: JSON.stringify({ type: 'run.start', job: FUNCTION, run_id: 'orch-0' }) },
      { at: t('2026-10-07T02:00:05.010Z'), stream, message: JSON.stringify({ type: 'run.end', job: FUNCTION, run_id: 'orch-0', exit_code: 0 }) },
      { at: t('2026-10-07T02:00:05.020Z'), stream, message: `END RequestId: ${P}` },
      { at: t('2026-10-07T02:00:05.021Z'), stream, message: `REPORT RequestId: ${P}\tDuration: 5020.00 ms\tBilled Duration: 5021 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB\t` },
    ];

    it('fails no later run by the exit line of an earlier invocation whose START its run.start took, deliveries processed out of order', async () => {
      // Prepare: R1 starts (delivery A), crashes before its run.start and R2 starts (B); R2's run.start orch-2 (C) is
      // processed before B (B retried late), so the stream's latest START read is R1's; orch-2 ends well (D)
      const R1 = '7d1c2b3a-4e5f-4a6b-8c7d-000000000001';
      const R2 = '7d1c2b3a-4e5f-4a6b-8c7d-000000000002';
      const report = (id: string, at: string, status = '') => ({ at: t(at), stream, message: `REPORT RequestId: ${id}\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB\t${status}` });
      const A = [{ at: t('2026-10-07T03:00:59.990Z'), stream, message: `START RequestId: ${R1} Version: $LATEST` }];
      const B = [
        { at: t('2026-10-07T03:01:00.100Z'), stream, message: `RequestId: ${R1} Error: Runtime exited with error: exit status 1` },
        { at: t('2026-10-07T03:01:00.110Z'), stream, message: `END RequestId: ${R1}` },
        report(R1, '2026-10-07T03:01:00.111Z', 'Status: error\tError Type: Runtime.ExitError'),
        { at: t('2026-10-07T03:01:59.995Z'), stream, message: `START RequestId: ${R2} Version: $LATEST` },
      ];
      const C = [{ at: t('2026-10-07T03:02:00.005Z'), stream, message: JSON.stringify({ type: 'run.start', job: FUNCTION, run_id: 'orch-2' }) }];
      const D = [
        { at: t('2026-10-07T03:03:00.005Z'), stream, message: JSON.stringify({ type: 'run.end', job: FUNCTION, run_id: 'orch-2', exit_code: 0 }) },
        { at: t('2026-10-07T03:03:00.010Z'), stream, message: `END RequestId: ${R2}` },
        report(R2, '2026-10-07T03:03:00.011Z'),
      ];
      const store = new MemoryAuditStore();
      // Act
      const findings: Finding[] = [];
      for (const delivery of [earlierRun, A, C, B, D]) findings.push(...(await ingested(delivery, DEFAULT_CONFIG, store)));
      // Assess: orch-2 succeeded
      expect(failed(findings).filter(([, runId]) => runId === 'orch-2')).toEqual([]);
    });

    it("fails the run of a later invocation once, by its own failure, when an earlier invocation's ended START was read and the later one's START comes after its run.start", async () => {
      // Prepare: R1 (START, run.start, run.end) then its END and REPORT alone; orch-2's run.start alone, R2's exit line
      // alone, then R2's START (retried late), END and REPORT error (306e7a6 to dbc3c01 gave orch-2 R1's request id: R2's
      // crash a run of its own and orch-2 left open, run-unfinished an hour later)
      const R1 = '7d1c2b3a-4e5f-4a6b-8c7d-000000000001';
      const R2 = '7d1c2b3a-4e5f-4a6b-8c7d-000000000002';
      const at = (iso: string, message: string | object) => ({ at: t(iso), stream, message: typeof message === 'string' ? message : JSON.stringify({ job: FUNCTION, ...message }) });
      const report = (id: string, iso: string, status = '') => at(iso, `REPORT RequestId: ${id}\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB\t${status}`);
      const deliveries = [
        earlierRun,
        [at('2026-10-07T03:00:00.000Z', `START RequestId: ${R1} Version: $LATEST`), at('2026-10-07T03:00:00.005Z', { type: 'run.start', run_id: 'orch-1' }), at('2026-10-07T03:00:00.900Z', { type: 'run.end', run_id: 'orch-1', exit_code: 0 })],
        [at('2026-10-07T03:00:00.901Z', `END RequestId: ${R1}`), report(R1, '2026-10-07T03:00:00.902Z')],
        [at('2026-10-07T03:01:00.010Z', { type: 'run.start', run_id: 'orch-2' })],
        [at('2026-10-07T03:02:00.000Z', `RequestId: ${R2} Error: Runtime exited with error: exit status 1`)],
        [at('2026-10-07T03:01:00.000Z', `START RequestId: ${R2} Version: $LATEST`), at('2026-10-07T03:02:00.001Z', `END RequestId: ${R2}`), report(R2, '2026-10-07T03:02:00.002Z', 'Status: error\tError Type: Runtime.ExitError')],
      ];
      const store = new MemoryAuditStore();
      // Act
      const findings: Finding[] = [];
      for (const delivery of deliveries) findings.push(...(await ingested(delivery, DEFAULT_CONFIG, store)));
      const open = (await store.subjects('job')).flatMap((s) => (s.state as { open: { run_id: string }[] }).open.map((r) => r.run_id));
      // Assess: orch-2 failed once, no run of its own for R2's crash, nothing left open
      expect(failed(findings).map(([detector, runId]) => [detector, runId])).toEqual([['run-failed', 'orch-2']]);
      expect(open).toEqual([]);
    });

    it("fails nothing for another function's exit line it prints while its run is open", async () => {
      // Prepare
      const lines = [
        start,
        { at: start.at + 10, stream, message: JSON.stringify({ type: 'run.start', job: FUNCTION, run_id: 'orch-1' }) },
        { ...printed('Error: Runtime exited with error: signal: killed'), at: t('2026-10-07T03:01:00.500Z') },
        { at: t('2026-10-07T03:01:01.000Z'), stream, message: JSON.stringify({ type: 'run.end', job: FUNCTION, run_id: 'orch-1', exit_code: 0 }) },
        { ...end, at: t('2026-10-07T03:01:01.010Z') },
        { ...report, at: t('2026-10-07T03:01:01.011Z') },
      ];
      // Act
      const scan = await scanned(lines);
      const ingest = await ingested(lines);
      // Assess
      expect(failed(scan)).toEqual([]);
      expect(failed(ingest)).toEqual([]);
    });
  });

  it('still fails its own invocation by its exit line alone in its delivery when more than 50 invocations were open after its START', async () => {
    // Prepare: R starts, then 50 more invocations start (03:01:00.1) on streams of their own while it runs; it is killed at 03:01:59.990,
    // the exit line alone in its delivery, its END and REPORT (no Status) in the next
    const others = Array.from({ length: 50 }, (_, i) => ({ at: start.at + 60_000 + i, stream: `2026/10/07/[$LATEST]${String(i).padStart(6, '0')}`, message: `START RequestId: ${other.slice(0, -4)}${String(i).padStart(4, '0')} Version: $LATEST` }));
    const lines = [start, ...others, { at: t('2026-10-07T03:01:59.990Z'), stream, message: `RequestId: ${R} Error: Runtime exited with error: signal: killed` }, { ...end, at: t('2026-10-07T03:02:00.010Z') }, { ...report, at: t('2026-10-07T03:02:00.011Z') }];
    // Act
    const ingest = await ingested(lines);
    // Assess
    expect(failed(ingest).map(([detector, runId]) => [detector, runId])).toEqual([['run-failed', R]]);
  });

  it("fails its own invocation, not another run open, by its exit line alone when more than 50 invocations pushed its run out", async () => {
    // Prepare: R's run r-run (console prefix: named by R) starts at 03:00:30; X's run x-run starts unprefixed at 03:01:00.005,
    // its START in the delivery before (so no request id names it); 49 more instrumented invocations push r-run out of
    // the 50 open runs; R is killed at 03:02:30 (the exit line alone in its delivery), and x-run ends well at 03:04
    const X = `${other.slice(0, -4)}9999`;
    const xStream = '2026/10/07/[$LATEST]0000aa';
    const prefixed = (at: number, s: string, r: string, body: object) => ({ at, stream: s, message: `${new Date(at).toISOString()}\t${r}\tINFO\t${JSON.stringify({ job: FUNCTION, ...body })}` });
    const endOf = (at: number, s: string, r: string) => [
      { at, stream: s, message: `END RequestId: ${r}` },
      { at: at + 1, stream: s, message: `REPORT RequestId: ${r}\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t` },
    ];
    const rAt = t('2026-10-07T03:00:30.000Z');
    const lines: LogLine[] = [
      { at: rAt, stream, message: `START RequestId: ${R} Version: $LATEST` },
      prefixed(rAt + 5, stream, R, { type: 'run.start', run_id: 'r-run' }),
      { at: t('2026-10-07T03:00:59.995Z'), stream: xStream, message: `START RequestId: ${X} Version: $LATEST` },
      { at: t('2026-10-07T03:01:00.005Z'), stream: xStream, message: JSON.stringify({ type: 'run.start', job: FUNCTION, run_id: 'x-run' }) },
    ];
    for (let i = 0; i < 49; i++) {
      const r = `${other.slice(0, -4)}${String(i).padStart(4, '0')}`;
      const s = `2026/10/07/[$LATEST]${String(i).padStart(6, '0')}`;
      const at = t('2026-10-07T03:01:10.000Z') + i * 10;
      lines.push({ at, stream: s, message: `START RequestId: ${r} Version: $LATEST` }, prefixed(at + 5, s, r, { type: 'run.start', run_id: `o-${i}` }));
      lines.push(prefixed(at + 120_000, s, r, { type: 'run.end', run_id: `o-${i}`, exit_code: 0 }), ...endOf(at + 120_010, s, r));
    }
    lines.push({ at: t('2026-10-07T03:02:30.000Z'), stream, message: `RequestId: ${R} Error: Runtime exited with error: signal: killed` }, ...endOf(t('2026-10-07T03:03:00.100Z'), stream, R));
    lines.push({ at: t('2026-10-07T03:04:00.000Z'), stream: xStream, message: JSON.stringify({ type: 'run.end', job: FUNCTION, run_id: 'x-run', exit_code: 0 }) }, ...endOf(t('2026-10-07T03:04:00.010Z'), xStream, X));
    // Act
    const ingest = await ingested(lines);
    // Assess: R's invocation fails under an id of its exit line's time (its run's id is no longer known); x-run, which ended well, does not
    expect(failed(ingest)).toEqual([['run-failed', `${FUNCTION}@2026-10-07T03:02:30Z`, 'run failed: runtime exited with error: signal: killed (Runtime.ExitError)']]);
  });

  it('fails the inner of two nested runs its invocation started unprefixed by its exit line, in scan and ingest alike', async () => {
    // Prepare: R starts; the function prints run.start of outer, then of inner (a sub-run), unprefixed; it is killed at
    // 1.5 min (the exit line alone in its delivery) or at 29 s (with its END and REPORT)
    const nested = (exitAt: string): LogLine[] => [
      { at: t('2026-10-07T03:00:30.000Z'), stream, message: `START RequestId: ${R} Version: $LATEST` },
      { at: t('2026-10-07T03:00:30.010Z'), stream, message: JSON.stringify({ type: 'run.start', job: FUNCTION, run_id: 'outer' }) },
      { at: t('2026-10-07T03:00:30.020Z'), stream, message: JSON.stringify({ type: 'run.start', job: FUNCTION, run_id: 'inner' }) },
      { at: t(exitAt), stream, message: `RequestId: ${R} Error: Runtime exited with error: signal: killed` },
      { ...end, at: t(exitAt) + 20 },
      { ...report, at: t(exitAt) + 21 },
    ];
    for (const lines of [nested('2026-10-07T03:01:59.990Z'), nested('2026-10-07T03:00:59.000Z')]) {
      // Act
      const scan = await scanned(lines);
      const ingest = await ingested(lines);
      // Assess: the run started last, as a scan (no log stream, so no request id on either run) fails
      expect(failed(scan).map(([detector, runId]) => [detector, runId])).toEqual([['run-failed', 'inner']]);
      expect(failed(ingest)).toEqual(failed(scan));
    }
  });
});


describe("a Python Lambda function in Lambda's JSON log format: the runtime's record of an uncaught exception names the reason of a failure its platform records say, and fails no run alone", () => {
  // Prepare: py-nightly (python3.12, LogFormat JSON) divides by zero; awslambdaric writes the error at
  // the top of its record (`log_level` before 4.0.4, `level` since), then platform.runtimeDone and
  // platform.report say status error.
  const stream = '2024/05/01/[$LATEST]cd56';
  const R = '52fdfc07-2182-154f-163f-5f0f9a621d72';
  const record = (iso: string, body: object) => ({ at: t(iso), stream, message: JSON.stringify(body) });
  const start = record('2024-05-01T10:00:00.500Z', { time: '2024-05-01T10:00:00.500Z', type: 'platform.start', record: { requestId: R, version: '$LATEST' } });
  const pythonError = (level: object) =>
    record('2024-05-01T10:00:01.000Z', { timestamp: '2024-05-01T10:00:01Z', ...level, errorMessage: 'division by zero', errorType: 'ZeroDivisionError', requestId: R, stackTrace: ['  File "/var/task/app.py", line 3, in handler\n'] });
  const runtimeDone = record('2024-05-01T10:00:01.050Z', { time: '2024-05-01T10:00:01.050Z', type: 'platform.runtimeDone', record: { requestId: R, status: 'error', errorType: 'Runtime.ExitError', metrics: { durationMs: 540.5 } } });
  const failedReport = record('2024-05-01T10:00:01.100Z', { time: '2024-05-01T10:00:01.100Z', type: 'platform.report', record: { requestId: R, metrics: { durationMs: 600.1 }, status: 'error', errorType: 'Runtime.ExitError' } });
  const okReport = record('2024-05-01T10:00:01.100Z', { time: '2024-05-01T10:00:01.100Z', type: 'platform.report', record: { requestId: R, metrics: { durationMs: 600.1 }, status: 'success' } });
  const failed = (findings: readonly Finding[]) => findings.map((f) => [f.detector, f.run_id, f.message]);

  it.each([
    ['log_level', { log_level: 'ERROR' }],
    ['level', { level: 'ERROR' }],
  ])('reports one failure, its reason from the error record whose level is in %s, in scan and ingest alike', async (_name, level) => {
    // Prepare
    const lines = [start, pythonError(level), runtimeDone, failedReport];
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([['run-failed', R, 'run failed after 550 ms: ZeroDivisionError: division by zero (Runtime.ExitError)']]);
    expect(failed(ingest)).toEqual(failed(scan));
  });

  it('fails no run by such a record whose platform.report says success, in scan and ingest alike', async () => {
    // Prepare
    const lines = [start, pythonError({ level: 'ERROR' }), okReport];
    // Act
    const scan = await scanned(lines);
    const ingest = await ingested(lines);
    // Assess
    expect(failed(scan)).toEqual([]);
    expect(failed(ingest)).toEqual([]);
  });
});

describe('a Lambda function that prints its run lines after the console prefix, or none: its STARTs cost no job state write', () => {
  // Prepare: 30 minutes of invocations (START, END, REPORT) on 1 or 60 log streams, an invocation per stream every 20 s,
  // after one that logs run.start and run.end after Node's console prefix (or, platform-only, without it)
  const base = t('2026-10-07T03:00:00.000Z');
  const traffic = (streams: number): LogLine[] => {
    const lines: LogLine[] = [];
    let n = 0;
    for (let m = 1; m <= 30; m++) for (let s = 0; s < streams; s++) for (let k = 0; k < 3; k++) {
      const at = base + m * 60_000 + k * 20_000 + s * 7;
      const id = `0e4b5a4c-0000-4000-8000-${String(++n).padStart(12, '0')}`;
      const stream = `2026/10/07/[$LATEST]${String(s).padStart(32, 'a')}`;
      lines.push({ at, stream, message: `START RequestId: ${id} Version: $LATEST` });
      lines.push({ at: at + 150, stream, message: `END RequestId: ${id}` });
      lines.push({ at: at + 151, stream, message: `REPORT RequestId: ${id}\tDuration: 150.00 ms\tBilled Duration: 150 ms\tMemory Size: 256 MB\tMax Memory Used: 100 MB` });
    }
    return lines;
  };
  /** The size of each job state the deliveries commit. */
  const jobCommits = async (lines: readonly LogLine[]) => {
    const store = new MemoryAuditStore();
    const commits: number[] = [];
    const commit = store.commit.bind(store);
    store.commit = async (change) => {
      if (change.key.startsWith('job')) commits.push(JSON.stringify(change.state).length);
      return commit(change);
    };
    await ingested(lines, DEFAULT_CONFIG, store);
    return commits;
  };

  it.each([1, 60])('writes its job state once for its first run and never for the STARTs of %i streams after it', async (streams) => {
    // Prepare
    const lines = [...textInvocation('2026/10/07/[$LATEST]first', '0e4b5a4c-0000-4000-8000-ffffffffffff', 'r1', base, { at: base + 500 }), ...traffic(streams)];
    // Act
    const commits = await jobCommits(lines);
    // Assess
    expect(commits).toHaveLength(1);
  });

  it('writes no job state for a delivery of only the END and REPORT of an invocation whose run lines it printed unprefixed', async () => {
    // Prepare: START, run.start and run.end (Python print) in the 03:00 delivery, END and REPORT alone in the 03:01 one
    const stream = '2026/10/07/[$LATEST]0123456789abcdef';
    const id = '0e4b5a4c-0000-4000-8000-000000000001';
    const lines = [
      { at: t('2026-10-07T03:00:59.000Z'), stream, message: `START RequestId: ${id} Version: $LATEST` },
      { at: t('2026-10-07T03:00:59.010Z'), stream, message: JSON.stringify({ type: 'run.start', job: FUNCTION, run_id: 'orch-1' }) },
      { at: t('2026-10-07T03:00:59.900Z'), stream, message: JSON.stringify({ type: 'run.end', job: FUNCTION, run_id: 'orch-1', exit_code: 0 }) },
      { at: t('2026-10-07T03:01:00.010Z'), stream, message: `END RequestId: ${id}` },
      { at: t('2026-10-07T03:01:00.011Z'), stream, message: `REPORT RequestId: ${id}\tDuration: 1011.00 ms\tBilled Duration: 1011 ms\tMemory Size: 256 MB\tMax Memory Used: 100 MB` },
    ];
    // Act
    const commits = await jobCommits(lines);
    // Assess: the first delivery only
    expect(commits).toHaveLength(1);
  });

  it('keeps no START of its streams in the job state when it prints no run lines', async () => {
    // Prepare
    const lines = traffic(60);
    // Act
    const store = new MemoryAuditStore();
    await ingested(lines, DEFAULT_CONFIG, store);
    // Assess
    const states = (await store.subjects('job')).map((s) => s.state as { streamStarts?: unknown });
    expect(states).toHaveLength(1);
    expect(states[0].streamStarts).toBeUndefined();
  });
});
