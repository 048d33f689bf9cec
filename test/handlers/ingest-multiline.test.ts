import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { ingestKinesisBatch } from '../../lambdas/core/kinesis-ingest.ts';
import { LINE_PARSERS, type LineParser, parseLine } from '../../lambdas/core/parse/index.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';

const T0 = Date.parse('2026-10-05T10:00:00Z');
const ts = new Date(T0).toISOString();
const REQUEST = '3f1d5c2a-7b8e-4c19-9a6d-2e0f4b7c8d91';
const end = (job: string, exitCode: number) => JSON.stringify({ ts, type: 'run.end', job, run_id: 'r1', exit_code: exitCode });
const TRACEBACK = `Traceback (most recent call last):\n  File "/var/task/app.py", line 3, in handler\n    raise KeyError('x')\nKeyError: 'x'`;

/** One subscription delivery of one log event per message. */
const delivery = (logGroup: string, messages: readonly string[]) =>
  encodePayload({
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup,
    logStream: 'host-1',
    subscriptionFilters: ['silent-audit'],
    logEvents: messages.map((message, i) => ({ id: `e${i + 1}`, timestamp: T0, message })),
  });

function handlerWith() {
  const deps = { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 60_000 } };
  return createIngestHandler(() => deps, () => undefined);
}

describe('the ingest handler on a log event whose message holds several of our lines', () => {
  it.each([
    ['a line feed', '/jobs/fleet', `${end('billing-export', 1)}\n${end('cache-warm', 0)}`],
    ['a carriage return', '/jobs/fleet', `${end('billing-export', 1)}\r${end('cache-warm', 0)}`],
    ['CR LF, and a trailing line feed', '/jobs/fleet', `${end('billing-export', 1)}\r\n${end('cache-warm', 0)}\n`],
    ["Lambda's text format, a carriage return between (console.log of two lines)", '/aws/lambda/jobs', `${ts}\t${REQUEST}\tINFO\t${end('billing-export', 1)}\r${end('cache-warm', 0)}`],
  ])('reads every line between %s, as scan reads them from a file', async (_between, logGroup, message) => {
    // Prepare
    const handler = handlerWith();

    // Act
    const response = await handler(delivery(logGroup, [message]));

    // Assess: the failed run is reported, the line counted once
    expect(response.counts).toMatchObject({ lines: 1, events: 2, rejected: 0 });
    expect(response.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', 'billing-export']]);
  });

  it.each([
    ["the message of a record of Lambda's JSON log format", '/aws/lambda/jobs', JSON.stringify({ time: ts, type: 'app', timestamp: ts, level: 'INFO', requestId: REQUEST, message: `${end('billing-export', 1)}\n${end('cache-warm', 0)}` })],
    ['the log of a Fluent Bit record', '/eks/app', JSON.stringify({ time: ts, stream: 'stdout', log: `${end('billing-export', 1)}\n${end('cache-warm', 0)}\n` })],
  ])('reads every line in %s', async (_what, logGroup, message) => {
    // Prepare
    const handler = handlerWith();

    // Act
    const response = await handler(delivery(logGroup, [message]));

    // Assess
    expect(response.counts).toMatchObject({ lines: 1, events: 2, rejected: 0 });
    expect(response.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', 'billing-export']]);
  });

  it.each([
    ["a Python function's logger.exception of an event, with its traceback", '/aws/lambda/jobs', `[ERROR]\t${ts}\t${REQUEST}\t${end('billing-export', 1)}\nTraceback (most recent call last):\n  File "/var/task/app.py", line 3, in handler\n    raise ValueError("x")\nValueError: x`],
    ["a host's event followed by a stack trace", '/jobs/fleet', `${end('billing-export', 1)}\njava.lang.IllegalStateException: boom\n\tat com.example.Handler.process(Handler.java:10)`],
    ["a host's event after a line of prose holding a { and before a traceback", '/jobs/fleet', `Retrying batch {'id': 7}\n${end('billing-export', 1)}\n${TRACEBACK}`],
    ["a host's event after a pretty-printed object of its own and before a traceback", '/jobs/fleet', `{\n  "batch": 7\n}\n${end('billing-export', 1)}\n${TRACEBACK}`],
    ["the message of a record of Lambda's JSON log format, an event after a line of prose holding a { and before a traceback", '/aws/lambda/jobs', JSON.stringify({ time: ts, type: 'app', timestamp: ts, level: 'ERROR', requestId: REQUEST, message: `Retrying batch {'id': 7}\n${end('billing-export', 1)}\n${TRACEBACK}` })],
    ["the log of a Docker record, an event after a line of prose holding a { and before a traceback", '/eks/app', JSON.stringify({ log: `Retrying batch {'id': 7}\n${end('billing-export', 1)}\n${TRACEBACK}\n`, stream: 'stderr', time: ts })],
  ])('reads the event of %s, which the message read whole rejected', async (_what, logGroup, message) => {
    // Prepare
    const handler = handlerWith();

    // Act
    const response = await handler(delivery(logGroup, [message]));

    // Assess
    expect(response.counts).toMatchObject({ lines: 1, events: 1, rejected: 0 });
    expect(response.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', 'billing-export']]);
  });

  it('reads every line of the message from a Kinesis stream too', async () => {
    // Prepare
    const { awslogs } = delivery('/jobs/fleet', [`${end('billing-export', 1)}\r${end('cache-warm', 0)}`]);
    const kinesis = { Records: [{ eventSource: 'aws:kinesis', eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/logs', kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'p', sequenceNumber: '1', data: awslogs.data, approximateArrivalTimestamp: T0 / 1000 } }] };

    // Act
    const result = await ingestKinesisBatch(kinesis, { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 60_000 } });

    // Assess
    expect(result.reports[0].counts).toMatchObject({ lines: 1, events: 2, rejected: 0 });
    expect(result.reports[0].findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', 'billing-export']]);
  });

  it.each([
    ['after', (bad: string) => `${end('billing-export', 1)}\n${bad}`],
    ['before', (bad: string) => `${bad}\n${end('billing-export', 1)}`],
  ])('reads the good line of a message whose other line, %s it, is bad, counting the message as rejected', async (_where, message) => {
    // Prepare
    const handler = handlerWith();
    const bad = JSON.stringify({ ts, type: 'run.end', job: 'cache-warm', run_id: 'r1', exit_code: 'one' });

    // Act
    const response = await handler(delivery('/jobs/fleet', [message(bad)]));

    // Assess
    expect(response.counts).toMatchObject({ lines: 1, events: 1, rejected: 1 });
    expect(response.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', 'billing-export']]);
  });

  it.each([
    ['the log of a Fluent Bit record', (text: string) => JSON.stringify({ time: ts, stream: 'stdout', log: `${text}\n` })],
    ["the message of a record of Lambda's JSON log format", (text: string) => JSON.stringify({ time: ts, type: 'app', timestamp: ts, level: 'INFO', requestId: REQUEST, message: text })],
  ])('quotes no part of a secret that a bad line in %s holds, cut short in its rejection reason', (_what, wrap) => {
    // Prepare: an unlabelled token, not quoted, that JSON.parse's message cuts a few characters in
    const secret = `ghp_${'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'}`;
    const bad = `{"type":"run.start","job":"deploy","run_id":"r2","note":"${'y'.repeat(40)}","ref": ${secret}, "more":"${'x'.repeat(60)}"}`;

    // Act
    const outcome = parseLine(wrap(`${end('billing-export', 1)}\n${bad}`), { source: { origin: '/eks/app', logStream: 'host-1', eventId: 'e1' }, recordTime: T0 });

    // Assess: the good event kept, the bad line's rejection worded from the redacted line
    expect(outcome.kind === 'events' && outcome.events.map((e) => e.body.job)).toEqual(['billing-export']);
    expect(outcome.kind === 'events' && outcome.rejected).toMatch(/^line 2 of the message: run\.start event rejected: not valid JSON/);
    expect(outcome.kind === 'events' && outcome.rejected).not.toMatch(/ghp_A|A1b2/);
  });

  it('keeps the rejection of a pretty-printed bad event when one of its inner lines is an event of its own', () => {
    // Prepare: the run.end's exit code is no number; a field holds another event on one line
    const message = `{\n  "ts": "${ts}", "type": "run.end", "job": "billing-export", "run_id": "r1", "exit_code": "one",\n  "last": ${end('cache-warm', 1)}\n}`;

    // Act
    const outcome = parseLine(message, { source: { origin: '/jobs/fleet', logStream: 'host-1', eventId: 'e1' }, recordTime: T0 });

    // Assess: the inner event kept, the message rejected for its own bad exit code
    expect(outcome.kind === 'events' && outcome.events.map((e) => e.body.job)).toEqual(['cache-warm']);
    expect(outcome.kind === 'events' && outcome.rejected).toMatch(/exit_code/);
  });

  it.each([
    ['as shipped', (record: string) => record, T0],
    ['under the time and stream `aws logs tail` prints, read from a file', (record: string) => `${ts} pod-1/app ${record}`, undefined],
  ])('reads every line in the log of a record of Docker\'s shape {log, stream, time}, %s', (_how, print, recordTime) => {
    // Prepare
    const record = JSON.stringify({ log: `${end('billing-export', 1)}\n${end('cache-warm', 0)}\n`, stream: 'stdout', time: ts });

    // Act
    const outcome = parseLine(print(record), { source: { origin: '/eks/app', logStream: 'host-1', eventId: 'e1' }, recordTime });

    // Assess: both events, each at its place in the record's text
    expect(outcome.kind === 'events' && outcome.events.map((e) => [e.body.job, e.source.part])).toEqual([
      ['billing-export', 1],
      ['cache-warm', 2],
    ]);
  });

  it('recognises a redelivered message, each of its lines once', async () => {
    // Prepare: two failed runs of one job in one message
    const handler = handlerWith();
    const run = (id: string) => JSON.stringify({ ts, type: 'run.end', job: 'billing-export', run_id: id, exit_code: 1 });
    const payload = delivery('/jobs/fleet', [`${run('r1')}\n${run('r2')}`]);

    // Act
    const first = await handler(payload);
    const again = await handler(payload);

    // Assess
    expect(first.findings.map((f) => f.run_id).sort()).toEqual(['r1', 'r2']);
    expect(again.counts).toMatchObject({ lines: 1, events: 2 });
    expect(again.findings).toEqual([]);
  });

  it('gives each line of the message its own place, so that no two are taken for one redelivered line', () => {
    // Act
    const outcome = parseLine(`${end('a', 0)}\r${end('b', 0)}`, { source: { origin: '/jobs/fleet', logStream: 'host-1', eventId: 'e1' }, recordTime: T0 });

    // Assess
    expect(outcome.kind === 'events' && outcome.events.map((e) => e.source)).toEqual([
      { origin: '/jobs/fleet', logStream: 'host-1', eventId: 'e1', part: 1 },
      { origin: '/jobs/fleet', logStream: 'host-1', eventId: 'e1', part: 2 },
    ]);
  });
});

describe("the ingest handler on a Lambda application's message of several lines", () => {
  const CHILD = '9a9d5c2a-7b8e-4c19-9a6d-2e0f4b7c8d92';
  it.each([
    [
      'a forwarder logging two systemd lines of another host',
      '/aws/lambda/log-forwarder',
      `${ts}\t${REQUEST}\tINFO\tforwarding 2 lines:\rOct  5 09:59:00 web-1 systemd[1]: Starting nightly-backup.service - Nightly backup...\rOct  5 09:59:30 web-1 systemd[1]: nightly-backup.service: Main process exited, code=exited, status=1/FAILURE`,
    ],
    [
      "an orchestrator quoting its child's platform lines",
      '/aws/lambda/orchestrator',
      `${ts}\t${REQUEST}\tERROR\tchild invocation failed, its log:\rSTART RequestId: ${CHILD} Version: $LATEST\r${ts} ${CHILD} Task timed out after 3.00 seconds\rEND RequestId: ${CHILD}\rREPORT RequestId: ${CHILD}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tStatus: timeout`,
    ],
    [
      'a Python logger quoting a cron line',
      '/aws/lambda/jobs',
      `[INFO]\t${ts}\t${REQUEST}\tseen:\nOct  5 09:59:00 web-1 CRON[42]: (root) CMD (/usr/local/bin/backup)\nOct  5 09:59:30 web-1 CRON[42]: (CRON) error (grandchild #43 failed with exit status 1)`,
    ],
  ])("reads none of %s as a host's or the platform's log", async (_what, logGroup, message) => {
    // Prepare
    const handler = handlerWith();

    // Act
    const response = await handler(delivery(logGroup, [message]));

    // Assess: an application's message is not a host's cron or systemd log, nor Lambda's own lines
    expect(response.counts).toMatchObject({ lines: 1, events: 0, rejected: 0, unrecognised: 1 });
    expect(response.findings).toEqual([]);
  });
});

describe('the ingest handler on an ordinary multi-line log event, as before', () => {
  it('reads a pretty-printed event over several lines as one event', async () => {
    // Prepare
    const handler = handlerWith();
    const pretty = JSON.stringify(JSON.parse(end('billing-export', 1)), null, 2);

    // Act
    const response = await handler(delivery('/jobs/fleet', [pretty, pretty.replaceAll('\n', '\r')]));

    // Assess
    expect(response.counts).toMatchObject({ lines: 2, events: 2, rejected: 0 });
    expect(response.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', 'billing-export']]);
  });

  it('counts a stack trace as one unrecognised line', async () => {
    // Prepare
    const handler = handlerWith();
    const trace = `${ts}\t${REQUEST}\tERROR\tError: boom\r    at handler (/var/task/index.js:3:9)\r    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;

    // Act
    const response = await handler(delivery('/aws/lambda/jobs', [trace]));

    // Assess
    expect(response.counts).toMatchObject({ lines: 1, events: 0, rejected: 0, unrecognised: 1 });
  });

  it("reads a REPORT line with its X-Ray line as one line of Lambda's", async () => {
    // Prepare
    const handler = handlerWith();
    const report = `REPORT RequestId: ${REQUEST}\tDuration: 1746.52 ms\tBilled Duration: 1747 ms\tMemory Size: 512 MB\tMax Memory Used: 118 MB\t\nXRAY TraceId: 1-5e1b4151-5ac6c58f5a0b6f3c1c2d3e4f\tSegmentId: 6b1c2d3e4f5a6b7c\tSampled: true\t\n`;
    const alone = report.slice(0, report.indexOf('XRAY'));

    // Act
    const withTrace = await handler(delivery('/aws/lambda/jobs', [report]));
    const without = await handlerWith()(delivery('/aws/lambda/jobs', [alone]));

    // Assess
    expect(withTrace.counts).toEqual(without.counts);
    expect(withTrace.counts.lines).toBe(1);
  });

  it.each([
    ["a Lambda function's stack trace", `${ts}\t${REQUEST}\tERROR\tjava.lang.IllegalStateException: boom`, '    at com.example.Handler'],
    ["a host's stack trace", 'Exception in thread "main" java.lang.IllegalStateException: boom', '\tat com.example.Handler'],
  ])('reads %s whole, trying each parser as often as on its first line alone, however many its lines', (_what, first, frame) => {
    // Prepare: each parser counts the lines it is given
    const tries = (message: string) => {
      let tried = 0;
      const counting: LineParser[] = LINE_PARSERS.map((parser) => ({ format: parser.format, parse: (line, ctx) => ((tried += 1), parser.parse(line, ctx)) }));
      const outcome = parseLine(message, { source: { origin: '/aws/lambda/jobs', logStream: 'host-1', eventId: 'e1' }, recordTime: T0, defaultJob: 'jobs' }, counting);
      return { kind: outcome.kind, tried };
    };
    const frames = Array.from({ length: 60 }, (_, i) => `${frame}${i}.process(Handler${i}.java:${100 + i})`);

    // Act
    const trace = tries([first, ...frames].join('\r'));
    const alone = tries(first);

    // Assess
    expect(trace).toEqual({ kind: 'unrecognised', tried: alone.tried });
  });

  it.each([
    ["a host's stack trace with its cause", ['Exception in thread "main" java.lang.IllegalStateException: boom', ...Array.from({ length: 30 }, (_, i) => `\tat com.example.H${i}.process(H${i}.java:${i})`), 'Caused by: java.io.IOException: x', ...Array.from({ length: 30 }, (_, i) => `\tat com.example.C${i}.read(C${i}.java:${i})`)]],
    ["a Python Lambda's uncaught exception", ['[ERROR] ValueError: x', 'Traceback (most recent call last):', ...Array.from({ length: 30 }, (_, i) => `  File "/var/task/m${i}.py", line ${i}, in f\n    g()`)]],
  ])('reads %s trying the parsers on its unindented lines only, not on its frames', (_what, lines) => {
    // Prepare: each parser counts the lines it is given
    let tried = 0;
    const counting: LineParser[] = LINE_PARSERS.map((parser) => ({ format: parser.format, parse: (line, ctx) => ((tried += 1), parser.parse(line, ctx)) }));
    const ctx = { source: { origin: '/jobs/fleet', logStream: 'host-1', eventId: 'e1' }, recordTime: T0 };

    // Act
    const outcome = parseLine(lines.join('\n'), ctx, counting);

    // Assess: the whole, then its first line and the cause's (or the traceback's header), each tried once
    expect(outcome.kind).toBe('unrecognised');
    expect(tried).toBe(3 * LINE_PARSERS.length);
  });

  it('reads a REPORT line with its X-Ray line trying each parser as often as on the REPORT line alone', () => {
    // Prepare: each parser counts the lines it is given
    let tried = 0;
    const counting: LineParser[] = LINE_PARSERS.map((parser) => ({ format: parser.format, parse: (line, ctx) => ((tried += 1), parser.parse(line, ctx)) }));
    const report = `REPORT RequestId: ${REQUEST}\tDuration: 12.00 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t`;
    const read = (message: string) => {
      tried = 0;
      const outcome = parseLine(message, { source: { origin: '/aws/lambda/jobs', logStream: 'host-1', eventId: 'e1' }, recordTime: T0, defaultJob: 'jobs' }, counting);
      return { kind: outcome.kind, tried };
    };

    // Act
    const alone = read(report);
    const withTrace = read(`${report}\nXRAY TraceId: 1-5e1b4151-5ac6c58f5b5d4a1b2c3d4e5f\tSegmentId: 6b1e2c3d4e5f6a7b\tSampled: true\t\n`);

    // Assess
    expect(withTrace).toEqual(alone);
  });
});
