import { describe, expect, it, vi } from 'vitest';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { loggedRecord } from '../../lambdas/core/parse/lambda-platform.ts';
import { contextFor, fixtureJson, fixtureLines, parseFile, summary } from './helpers.ts';

interface CloudWatchPayload {
  readonly logGroup: string;
  readonly logStream: string;
  readonly logEvents: ReadonlyArray<{ readonly id: string; readonly timestamp: number; readonly message: string }>;
}

/** Each event of a decoded subscription payload through parseLine, as the ingest Lambda does it. */
function parsePayload(path: string) {
  const payload = fixtureJson<CloudWatchPayload>(path);
  const defaultJob = payload.logGroup.replace(/^\/aws\/lambda\//, '');
  return payload.logEvents.map((e, i) =>
    parseLine(e.message, { source: { origin: payload.logGroup, line: i, logStream: payload.logStream, eventId: e.id }, recordTime: e.timestamp, defaultJob }),
  );
}

const R1 = '3f1d5c2a-7b8e-4c19-9a6d-2e0f4b7c8d91';
const R2 = 'b82e6f40-1c3d-4a5e-8f7b-9d0c1e2a3b4c';
const R3 = 'e4a7c9d2-5f6b-4e81-a3c0-7b9d8e1f2a36';
const R4 = '0c9b8a7d-6e5f-4d3c-b2a1-f0e9d8c7b6a5';

/** The etl-loader invocations: one ok, one timeout (new REPORT), one out of memory (the runtime's Invoke Error line, then its REPORT), one timeout (old REPORT). */
const ETL_LOADER = [
  'nothing',
  `run.start etl-loader ${R1} @2026-10-05T13:00:00.187Z`,
  'unrecognised',
  'nothing',
  `run.end etl-loader ${R1} exit=0 @2026-10-05T13:00:01.934Z`,
  `run.start etl-loader ${R2} @2026-10-05T14:00:00.000Z`,
  'nothing',
  `run.failed etl-loader ${R2} "timeout" @2026-10-05T14:03:00.003Z`,
  `run.start etl-loader ${R3} @2026-10-05T15:00:00.000Z`,
  `run.failed etl-loader ${R3} "Error: Runtime exited with error: signal: killed" @2026-10-05T15:00:02.210Z`,
  'nothing',
  `run.failed etl-loader ${R3} "error" @2026-10-05T15:00:02.231Z`,
  `run.start etl-loader ${R4} @2026-10-05T16:00:00.000Z`,
  `run.failed etl-loader ${R4} "timeout after 3.00 s" @2026-10-05T16:00:03.004Z`,
  'nothing',
  `run.end etl-loader ${R4} exit=0 @2026-10-05T16:00:03.005Z`,
];

describe('AWS Lambda platform lines (contract §1b)', () => {
  it('reads the text format from a CloudWatch Logs subscription', () => {
    // Act
    const outcomes = parsePayload('lambda/etl-loader.cloudwatch.json');
    // Assess
    expect(outcomes.map(summary)).toEqual(ETL_LOADER);
  });

  it('reads the same invocations as `aws logs tail` prints them, the job from the file name', () => {
    // Prepare
    const lines = fixtureLines('lambda/etl-loader.log');
    // Act
    const outcomes = parseFile('etl-loader.log', lines, { defaultJob: 'etl-loader' });
    // Assess: the X-Ray line of the timed-out REPORT is a line of its own here
    expect(outcomes.map(summary)).toEqual([...ETL_LOADER.slice(0, 8), 'nothing', ...ETL_LOADER.slice(8)]);
  });

  it('keeps the duration of a REPORT and the error type of a failed one', () => {
    const [ok, failed] = [4, 11].map((i) => parsePayload('lambda/etl-loader.cloudwatch.json')[i]);
    expect(ok.kind === 'events' && ok.events[0].body).toEqual({ type: 'run.end', job: 'etl-loader', run_id: R1, exit_code: 0, duration_ms: 1746.52 });
    expect(failed.kind === 'events' && failed.events[0].body).toEqual({
      type: 'run.failed',
      job: 'etl-loader',
      run_id: R3,
      reason: 'error',
      duration_ms: 2230.61,
      error_type: 'Runtime.OutOfMemory',
    });
  });

  it('cuts a failed invocation\'s error type short as it cuts a runtime error\'s reason, in a platform.report record and a REPORT line', () => {
    // Prepare: an error type of 3,000 characters
    const long = `Runtime.Unknown${'X'.repeat(3000)}`;
    const ctx = contextFor('etl-loader.log', 1, { defaultJob: 'etl-loader', recordTime: Date.parse('2026-10-05T16:00:00.692Z') });
    const lines = [
      `{"time":"2026-10-05T16:00:00.692Z","type":"platform.report","record":{"requestId":"${R1}","status":"error","errorType":"${long}","metrics":{"durationMs":31}}}`,
      `REPORT RequestId: ${R1}\tDuration: 31.00 ms\tBilled Duration: 31 ms\tStatus: error\tError Type: ${long}`,
    ];
    // Act
    const errorTypes = lines.map((line) => {
      const outcome = parseLine(line, ctx);
      return outcome.kind === 'events' ? (outcome.events[0].body as { error_type?: string }).error_type : undefined;
    });
    // Assess
    for (const errorType of errorTypes) expect(errorType).toBe(`${long.slice(0, 199)}…`);
  });

  it("cuts an error type short without splitting an emoji (a surrogate pair) at the cut", () => {
    // Prepare: an error type whose 199th and 200th UTF-16 units are one emoji's two halves
    const long = `${'E'.repeat(198)}${'\u{1F525}'.repeat(5)}`;
    const ctx = contextFor('etl-loader.log', 1, { defaultJob: 'etl-loader', recordTime: Date.parse('2026-10-05T16:00:00.692Z') });
    // Act
    const outcome = parseLine(`REPORT RequestId: ${R1}\tDuration: 31.00 ms\tBilled Duration: 31 ms\tStatus: error\tError Type: ${long}`, ctx);
    // Assess: the emoji is left out whole
    const errorType = outcome.kind === 'events' ? (outcome.events[0].body as { error_type?: string }).error_type : undefined;
    expect(errorType).toBe(`${'E'.repeat(198)}…`);
  });

  it.each([
    ['a REPORT line', `REPORT RequestId: ${R1}\tDuration: 31622400001 ms\tBilled Duration: 5 ms`, /^Lambda REPORT line with a Duration over 366 days, which no invocation runs: /],
    [
      'a platform.report record',
      `{"time":"2026-10-05T16:00:00.692Z","type":"platform.report","record":{"requestId":"${R1}","status":"success","metrics":{"durationMs":31622400001}}}`,
      /^Lambda platform\.report record with a Duration over 366 days, which no invocation runs: /,
    ],
    ['a platform.report record (a durationMs too long for a double)', `{"type":"platform.report","record":{"requestId":"${R1}","metrics":{"durationMs":1e999}}}`, /^Lambda platform\.report record with a Duration over 366 days/],
  ])('rejects %s whose Duration is over 366 days, which no invocation runs', (_, line, reason) => {
    // Prepare
    const ctx = contextFor('etl-loader.log', 1, { defaultJob: 'etl-loader', recordTime: Date.parse('2026-10-05T16:00:00.692Z') });
    // Act
    const outcome = parseLine(line, ctx);
    // Assess
    expect(outcome.kind === 'rejected' && outcome.reason).toMatch(reason);
  });

  it("leaves out a platform.report's negative durationMs, which a REPORT line cannot write", () => {
    // Prepare
    const line = `{"time":"2026-10-05T16:00:00.692Z","type":"platform.report","record":{"requestId":"${R1}","status":"success","metrics":{"durationMs":-5}}}`;
    // Act
    const outcome = parseLine(line, contextFor('etl-loader.log', 1, { defaultJob: 'etl-loader' }));
    // Assess
    expect(outcome.kind === 'events' && outcome.events[0].body).toEqual({ type: 'run.end', job: 'etl-loader', run_id: R1, exit_code: 0 });
  });

  it('keeps a platform.report whose durationMs is exactly 366 days', () => {
    // Prepare
    const line = `{"time":"2026-10-05T16:00:00.692Z","type":"platform.report","record":{"requestId":"${R1}","status":"success","metrics":{"durationMs":31622400000}}}`;
    // Act
    const outcome = parseLine(line, contextFor('etl-loader.log', 1, { defaultJob: 'etl-loader' }));
    // Assess
    expect(outcome.kind === 'events' && outcome.events[0].body).toEqual({ type: 'run.end', job: 'etl-loader', run_id: R1, exit_code: 0, duration_ms: 31_622_400_000 });
  });

  it("reads the JSON log format's platform.start, platform.report and failed platform.runtimeDone records", () => {
    // Act
    const outcomes = parsePayload('lambda/invoice-mailer-json.cloudwatch.json');
    // Assess
    expect(outcomes.map(summary)).toEqual([
      'nothing',
      'run.start invoice-mailer 5a2c7e91-3b4d-4f6a-8c0e-1d2f3a4b5c6d @2026-10-05T16:00:00.174Z',
      'unrecognised',
      'nothing',
      'run.end invoice-mailer 5a2c7e91-3b4d-4f6a-8c0e-1d2f3a4b5c6d exit=0 @2026-10-05T16:00:00.692Z',
      'run.start invoice-mailer 9e8d7c6b-5a49-4382-b1f0-e9d8c7b6a594 @2026-10-05T17:00:00.000Z',
      'run.failed invoice-mailer 9e8d7c6b-5a49-4382-b1f0-e9d8c7b6a594 "timeout" @2026-10-05T17:15:00.001Z',
      'run.failed invoice-mailer 9e8d7c6b-5a49-4382-b1f0-e9d8c7b6a594 "timeout" @2026-10-05T17:15:00.020Z',
    ]);
    const report = outcomes[4];
    expect(report.kind === 'events' && report.events[0].body).toMatchObject({ duration_ms: 516.37 });
  });

  it("reads the JSON log format's failure records (a failed platform.runtimeDone) and the Node.js runtime's error record, which fails no run alone", () => {
    // Prepare: billing-close's two nightly invocations, as `aws logs tail` prints them: one throws
    // (error record, runtimeDone and report with status error), one crashes (runtimeDone and report).
    const lines = fixtureLines('lambda/billing-close-json.log');
    const R = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const R2 = '8e2d3c4b-5f6a-4b7c-9d8e-0f1a2b3c4d5e';
    // Act
    const outcomes = parseFile('billing-close-json.log', lines, { defaultJob: 'billing-close' });
    // Assess
    expect(outcomes.map(summary)).toEqual([
      `run.start billing-close ${R} @2026-10-03T02:00:00.500Z`,
      `run.error billing-close ${R} "Error: boom" @2026-10-03T02:00:01.123Z`,
      `run.failed billing-close ${R} "error" @2026-10-03T02:00:01.150Z`,
      `run.failed billing-close ${R} "error" @2026-10-03T02:00:01.200Z`,
      `run.start billing-close ${R2} @2026-10-04T02:00:00.400Z`,
      `run.failed billing-close ${R2} "error" @2026-10-04T02:00:09.900Z`,
      `run.failed billing-close ${R2} "error" @2026-10-04T02:00:09.950Z`,
    ]);
    expect(outcomes[5].kind === 'events' && outcomes[5].events[0].body).toMatchObject({ error_type: 'Runtime.ExitError', duration_ms: 9500 });
  });

  it.each([
    ['an error record that names no request id (an init error: its REPORT fails the invocation)', '{"timestamp":"2026-10-03T02:00:01.123Z","level":"ERROR","requestId":"undefined","message":{"errorType":"Runtime.ImportModuleError","errorMessage":"x","stackTrace":[]}}', 'nothing'],
    ['a platform.runtimeDone with status success (its platform.report ends the run)', `{"time":"2026-10-03T02:00:01.150Z","type":"platform.runtimeDone","record":{"requestId":"${R1}","status":"success","metrics":{"durationMs":650.5}}}`, 'nothing'],
    ['an ERROR record whose message is text', `{"timestamp":"2026-10-03T02:00:01.123Z","level":"ERROR","requestId":"${R1}","message":"errorType unknown"}`, 'unrecognised'],
  ])('reads %s as failing no run', (_, line, said) => {
    // Act
    const outcome = parseLine(line, contextFor('billing-close-json.log', 1, { defaultJob: 'billing-close' }));
    // Assess
    expect(summary(outcome)).toBe(said);
  });

  it.each([
    ['a text line', `START RequestId: ${R1} Version: $LATEST`, /^Lambda platform line but no function name: /],
    ['a JSON record', `{"time":"2026-10-05T16:00:00.174Z","type":"platform.start","record":{"requestId":"${R1}","version":"$LATEST"}}`, /^Lambda platform line but no function name: /],
  ])('rejects %s when the function is unknown', (_, line, reason) => {
    const outcome = parseLine(line, contextFor('stdin', 1, { recordTime: Date.parse('2026-10-05T16:00:00Z') }));
    expect(outcome.kind === 'rejected' && outcome.reason).toMatch(reason);
  });

  it("reads the Node.js runtime's error record as nothing when the function is unknown: it fails no run alone, so it is no platform line to refuse", () => {
    // Prepare: the record an app (Lambda or not) logs with console.error(err) in the JSON log format, on stdin without --function
    const line = `{"timestamp":"2026-12-07T01:00:00.000Z","level":"ERROR","requestId":"${R1}","message":{"errorType":"ValidationError","errorMessage":"bad input"}}`;
    // Act
    const outcome = parseLine(line, contextFor('stdin', 1, {}));
    // Assess
    expect(summary(outcome)).toBe('nothing');
  });

  it.each([
    ['a text line without any time', `REPORT RequestId: ${R1}\tDuration: 1746.52 ms\tBilled Duration: 1747 ms\tMemory Size: 512 MB\tMax Memory Used: 118 MB\t`, /^Lambda platform line without a time/],
    ['a REPORT cut before its Duration', `REPORT RequestId: ${R1}\tDura`, /^Lambda REPORT line without a Duration \(cut short\?\)/],
    ['a REPORT whose Duration no invocation runs (a number too long for a double)', `REPORT RequestId: ${R1}\tDuration: ${'9'.repeat(400)} ms\tBilled Duration: 5 ms`, /^Lambda REPORT line with a Duration over 366 days, which no invocation runs/],
    ['a platform.report without its request id', '{"time":"2026-10-05T16:00:00.692Z","type":"platform.report","record":{"metrics":{"durationMs":516.37}}}', /^Lambda platform\.report record without record\.requestId$/],
    ['a JSON record cut short', '{"time":"2026-10-05T16:00:00.692Z","type":"platform.report","record":{"requestId":"5a2c', /^Lambda platform record is not valid JSON/],
  ])('rejects %s', (_, line, reason) => {
    const outcome = parseLine(line, contextFor('etl-loader.log', 1, { defaultJob: 'etl-loader' }));
    expect(outcome.kind === 'rejected' && outcome.reason).toMatch(reason);
  });

  it.each([
    ['END', `END RequestId: ${R1}`],
    ['INIT_START', 'INIT_START Runtime Version: python:3.12.v27\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:fb4a'],
    ['INIT_REPORT', 'INIT_REPORT Init Duration: 9999.79 ms\tPhase: init\tStatus: timeout'],
    ['INIT_REPORT of a runtime that exited', 'INIT_REPORT Init Duration: 40.12 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError'],
    ["Runtime.ExitError (the second line of the runtime's `Runtime exited` error)", 'Runtime.ExitError'],
    ['EXTENSION', 'EXTENSION\tName: datadog-agent\tState: Ready\tEvents: [INVOKE,SHUTDOWN]'],
    ['XRAY', 'XRAY TraceId: 1-6702b9d0-5c8a1f3e7b2d4a6c9e0f1b2d\tSegmentId: 7a4c2e9b1d3f5a60\tSampled: true'],
  ])('recognises %s without events, even with no function name', (_, line) => {
    expect(parseLine(line, contextFor('stdin', 1))).toEqual({ kind: 'events', events: [] });
  });

  it('takes a timeout without a request id as the open run', () => {
    const outcome = parseLine('Task timed out after 900.10 seconds', contextFor('x', 1, { defaultJob: 'etl', recordTime: Date.parse('2026-10-05T16:15:00Z') }));
    expect(outcome.kind === 'events' && outcome.events[0].body).toEqual({ type: 'run.failed', job: 'etl', reason: 'timeout after 900.10 s' });
  });
});

const RUN_START = { ts: '2026-10-05T16:00:00Z', type: 'run.start', job: 'nightly', run_id: 'n-1', host: 'h1' };
const RUN_END_NO_TS = { type: 'run.end', job: 'nightly', run_id: 'n-1', exit_code: 2 };

/** A line the function logged, as Lambda's JSON log format wraps it. */
function logged(message: unknown, timestamp = '2026-10-05T16:00:00.655Z'): string {
  return JSON.stringify({ timestamp, level: 'INFO', requestId: R1, message });
}

describe("lines a function logged in Lambda's JSON log format are read as the line in message", () => {
  it.each([
    ['a JSON event logged as a string', logged(JSON.stringify(RUN_START)), 'run.start nightly n-1 @2026-10-05T16:00:00.000Z'],
    ['a JSON event logged as an object', logged(RUN_START), 'run.start nightly n-1 @2026-10-05T16:00:00.000Z'],
    ["a JSON event without ts, at the record's timestamp", logged(RUN_END_NO_TS), 'run.end nightly n-1 exit=2 @2026-10-05T16:00:00.655Z'],
    ["a JSON event without ts logged as a string, at the record's timestamp", logged(JSON.stringify(RUN_END_NO_TS)), 'run.end nightly n-1 exit=2 @2026-10-05T16:00:00.655Z'],
    ['a record with the keys of another runtime, in another order (Python: logger, no level first)', JSON.stringify({ message: RUN_END_NO_TS, logger: 'root', timestamp: '2026-10-05T16:00:00Z', requestId: R1 }), 'run.end nightly n-1 exit=2 @2026-10-05T16:00:00.000Z'],
    ['a line none of ours', logged('sent 214 invoices'), 'unrecognised'],
    ['an object none of ours', logged({ invoices: 214 }), 'unrecognised'],
    ['a record whose timestamp names no offset, which gives no time: its event without ts rejected naming it', JSON.stringify({ timestamp: '2026-10-05T16:00:00', message: RUN_END_NO_TS }), 'rejected: run.end event rejected: no time: the event has no `ts`, and the line\'s `timestamp` "2026-10-05T16:00:00" is no ISO time that names its offset; add `ts` (an ISO-8601 time or epoch milliseconds)'],
    ["a Powertools Logger (Python) record, its default timestamp with a space, a comma and +0000", logged(RUN_END_NO_TS, '2026-10-05 16:00:00,655+0000'), 'run.end nightly n-1 exit=2 @2026-10-05T16:00:00.655Z'],
    ["a record timed by Python's isoformat(' ')", logged(RUN_END_NO_TS, '2026-10-05 18:00:00.655123+02:00'), 'run.end nightly n-1 exit=2 @2026-10-05T16:00:00.655Z'],
    ['a record whose timestamp with a space names no offset, which gives no time: its event without ts rejected naming it', logged(RUN_END_NO_TS, '2026-10-05 16:00:00,655'), 'rejected: run.end event rejected: no time: the event has no `ts`, and the line\'s `timestamp` "2026-10-05 16:00:00,655" is no ISO time that names its offset; add `ts` (an ISO-8601 time or epoch milliseconds)'],
  ])('%s', (_name, line, expected) => {
    // Act
    const outcome = parseLine(line, contextFor('invoice-mailer.log', 1, { defaultJob: 'invoice-mailer' }));
    // Assess
    expect(summary(outcome)).toBe(expected);
  });

  it("reads the line at the record's timestamp, not the CloudWatch event's", () => {
    // Prepare: delivered a second after it was logged
    const line = logged(RUN_END_NO_TS, '2026-10-05T16:00:00.100Z');
    // Act
    const outcome = parseLine(line, contextFor('/aws/lambda/invoice-mailer', 1, { recordTime: Date.parse('2026-10-05T16:00:01.100Z') }));
    // Assess
    expect(summary(outcome)).toBe('run.end nightly n-1 exit=2 @2026-10-05T16:00:00.100Z');
  });

  it.each([
    ['an event logged with a ts far after its timestamp: a wrong clock', logged(RUN_START, '2026-10-05T15:00:00Z'), /^rejected: run\.start event rejected: its ts 2026-10-05T16:00:00Z lies 60 min after its record's 2026-10-05T15:00:00Z/],
    ['an event logged without its run_id', logged({ type: 'run.start', job: 'nightly' }), /^rejected: run\.start event rejected: .*run_id/],
  ])('rejects %s', (_name, line, reason) => {
    // Act
    const outcome = parseLine(line, contextFor('invoice-mailer.log', 1));
    // Assess
    expect(summary(outcome)).toMatch(reason);
  });

  it('reads such a record as `aws logs tail` prints it, after its time and log stream name', () => {
    // Prepare
    const line = `2026-10-05T16:00:01.000000+00:00 2026/10/05/[$LATEST]ab12 ${logged(RUN_END_NO_TS)}`;
    // Act
    const outcome = parseLine(line, contextFor('invoice-mailer.log', 1));
    // Assess
    expect(summary(outcome)).toBe('run.end nightly n-1 exit=2 @2026-10-05T16:00:00.655Z');
  });
});

describe("an event logged as a JSON string in a logging library's message field is read as the line it holds", () => {
  const END = JSON.stringify(RUN_END_NO_TS);
  const ADD_TS = 'add `ts` (an ISO-8601 time or epoch milliseconds)';
  it.each([
    ["logstash-logback-encoder (@timestamp, message)", { '@timestamp': '2026-10-05T18:00:00.655+02:00', '@version': '1', message: END, logger_name: 'x', level: 'INFO', level_value: 20000 }, '2026-10-05T16:00:00.655Z'],
    ["python-json-logger (asctime with an offset, message)", { asctime: '2026-10-05 16:00:00,655+0000', levelname: 'INFO', name: 'b', message: END }, '2026-10-05T16:00:00.655Z'],
    ['zerolog (time, message)', { level: 'info', time: '2026-10-05T16:00:00Z', message: END }, '2026-10-05T16:00:00.000Z'],
    ['pino (epoch-ms time, msg)', { level: 30, time: Date.parse('2026-10-05T16:00:00.655Z'), pid: 1, hostname: 'h', msg: END }, '2026-10-05T16:00:00.655Z'],
    ['Go slog JSON (time, msg)', { time: '2026-10-05T16:00:00.655Z', level: 'INFO', msg: END }, '2026-10-05T16:00:00.655Z'],
    ['structlog (event holding the JSON string, timestamp)', { event: END, level: 'info', timestamp: '2026-10-05T16:00:00.655Z' }, '2026-10-05T16:00:00.655Z'],
  ])('%s', (_name, record, at) => {
    // Prepare
    const line = JSON.stringify(record);
    // Act
    const outcome = parseLine(line, contextFor('app.log', 1));
    // Assess
    expect(summary(outcome)).toBe(`run.end nightly n-1 exit=2 @${at}`);
  });

  it("takes the event's own ts before the logger's time", () => {
    // Prepare
    const line = JSON.stringify({ level: 30, time: Date.parse('2026-10-05T16:00:01Z'), msg: JSON.stringify(RUN_START) });
    // Act
    const outcome = parseLine(line, contextFor('app.log', 1));
    // Assess
    expect(summary(outcome)).toBe('run.start nightly n-1 @2026-10-05T16:00:00.000Z');
  });

  it.each([
    ["python-json-logger's default asctime (no offset)", { asctime: '2026-10-05 16:00:00,655', message: END }, '`asctime` "2026-10-05 16:00:00,655" is no ISO time that names its offset'],
    ["zerolog's epoch-seconds time", { level: 'info', time: 1790994600, message: END }, '`time` 1790994600 is below 10^12 (2001-09-09): a duration, or epoch seconds, not epoch milliseconds'],
  ])('rejects an event without ts whose logger time gives none, naming the field: %s', (_name, record, why) => {
    // Act
    const outcome = parseLine(JSON.stringify(record), contextFor('app.log', 1));
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: `run.end event rejected: no time: the event has no \`ts\`, and the line's ${why}; ${ADD_TS}` });
  });

  it.each([
    ['a space after its brace (`{ \\"type\\"`)', `{ ${END.slice(1)}`],
    ['a space before its brace', ` ${END}`],
    ['a pretty-printed event', JSON.stringify(RUN_END_NO_TS, null, 2)],
  ])('reads an event logged as a JSON string with %s', (_name, msg) => {
    // Prepare
    const line = JSON.stringify({ time: '2026-10-05T16:00:00.655Z', level: 'INFO', msg });
    // Act
    const outcome = parseLine(line, contextFor('app.log', 1));
    // Assess
    expect(summary(outcome)).toBe('run.end nightly n-1 exit=2 @2026-10-05T16:00:00.655Z');
  });

  it.each([
    ['holds escaped JSON (`{\\"`): only a line starting with { may be a logger record', 'Oct  3 02:31:07 host app[12]: request body={\\"user\\":\\"u1\\",\\"items\\":[1,2,3]} status=200'],
    ['opens with log4j/logback MDC braces (`{requestId=…}`) and holds escaped JSON: `{` must be followed by `"` or `}`', '{requestId=abc-123, user=u1} INFO c.e.Api - request body={\\"user\\":\\"u1\\",\\"items\\":[1,2,3]} status=200'],
  ])('never hands JSON.parse a plain-text line that %s', (_, line) => {
    // Prepare
    const parse = vi.spyOn(JSON, 'parse');
    // Act
    const record = loggedRecord(line);
    const calls = parse.mock.calls.length;
    parse.mockRestore();
    // Assess
    expect(record).toBeUndefined();
    expect(calls).toBe(0);
  });

  it('reads a pretty-printed OpenTelemetry GenAI export (json.dumps indent=2) logged as a JSON string in msg', () => {
    // Prepare: the fixture's first export, pretty-printed: no `{\\"` and no `type` key
    const [compact] = fixtureLines('otel/support-bot.otlp.jsonl');
    const msg = JSON.stringify(JSON.parse(compact), null, 2);
    const line = JSON.stringify({ time: '2026-10-03T02:31:00Z', msg });
    // Act
    const pretty = parseLine(line, contextFor('app.log', 1));
    const direct = parseLine(compact, contextFor('app.log', 1));
    // Assess
    expect(pretty.kind).toBe('events');
    expect(direct.kind).toBe('events');
    if (pretty.kind !== 'events' || direct.kind !== 'events') return;
    expect(pretty.events.map((e) => e.body.type)).toEqual(direct.events.map((e) => e.body.type));
    expect(pretty.events.length).toBeGreaterThan(0);
  });

  it('rejects an event whose JSON string was cut short, rather than counting it unrecognised', () => {
    // Prepare
    const line = JSON.stringify({ time: '2026-10-05T16:00:00Z', level: 'INFO', msg: END.slice(0, -5) });
    // Act
    const outcome = parseLine(line, contextFor('app.log', 1));
    // Assess
    expect(summary(outcome)).toMatch(/^rejected: run\.end event rejected: not valid JSON/);
  });

  it.each([
    ["structlog's event that is a plain word", { event: 'user logged in', level: 'info', timestamp: '2026-10-05T16:00:00Z', user: '{"type":"run.end"}' }],
    ['a msg holding JSON none of ours', { time: '2026-10-05T16:00:00Z', msg: '{"invoices": 214}' }],
  ])('leaves unrecognised %s', (_name, record) => {
    // Act
    const outcome = parseLine(JSON.stringify(record), contextFor('app.log', 1));
    // Assess
    expect(summary(outcome)).toBe('unrecognised');
  });
});

const RID = '3630afbd-1211-4d90-95b6-fd06277e479b';

describe("an application's own messages in Lambda's JSON log format start or fail no run, as their text-format twins do", () => {
  it.each([
    [
      'a "Task timed out" the application logged (Powertools Logger)',
      '{"level":"ERROR","message":"Task timed out after 30 seconds","timestamp":"2026-10-01T00:00:00.000Z","service":"orders-api"}',
      `2026-10-01T00:00:00.000Z\t${RID}\tERROR\tTask timed out after 30 seconds`,
    ],
    [
      'a cron line a log forwarder logged',
      `{"timestamp":"2026-10-01T00:00:00.000Z","level":"INFO","requestId":"${RID}","message":"Oct  1 00:00:00 web1 CRON[1234]: (root) CMD (/usr/local/bin/backup.sh)"}`,
      `2026-10-01T00:00:00.000Z\t${RID}\tINFO\tOct  1 00:00:00 web1 CRON[1234]: (root) CMD (/usr/local/bin/backup.sh)`,
    ],
    [
      'a systemd line a log forwarder logged',
      `{"timestamp":"2026-10-01T00:00:05.000Z","level":"INFO","requestId":"${RID}","message":"Oct  1 00:00:05 web1 systemd[1]: Started backup.service - Nightly backup."}`,
      `2026-10-01T00:00:05.000Z\t${RID}\tINFO\tOct  1 00:00:05 web1 systemd[1]: Started backup.service - Nightly backup.`,
    ],
    [
      'a START line the application logged',
      '{"level":"info","message":"START RequestId: abc Version: $LATEST","timestamp":"2026-10-01T00:00:02.000Z"}',
      '2026-10-01T00:00:02.000Z\tabc\tINFO\tSTART RequestId: abc Version: $LATEST',
    ],
    [
      'a REPORT line with Status: error the application logged',
      '{"level":"info","message":"REPORT RequestId: abc\\tDuration: 5.00 ms\\tStatus: error","timestamp":"2026-10-01T00:00:03.000Z"}',
      '2026-10-01T00:00:03.000Z\tabc\tINFO\tREPORT RequestId: abc\tDuration: 5.00 ms\tStatus: error',
    ],
  ])('%s', (_name, jsonLine, textLine) => {
    // Act
    const outcomes = [jsonLine, textLine].map((line) => summary(parseLine(line, contextFor('orders-api.log', 1, { defaultJob: 'orders-api' }))));
    // Assess
    expect(outcomes).toEqual(['unrecognised', 'unrecognised']);
  });

  it('reads an invocation that succeeded after logging "Task timed out" as a success, in both formats', () => {
    // Prepare
    const json = [
      `{"time":"2026-10-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"${RID}","version":"$LATEST"}}`,
      `{"timestamp":"2026-10-01T00:00:01.000Z","level":"WARN","requestId":"${RID}","message":"Task timed out after 30 seconds"}`,
      `{"time":"2026-10-01T00:00:02.010Z","type":"platform.report","record":{"requestId":"${RID}","status":"success","metrics":{"durationMs":2010.5}}}`,
    ];
    const text = [
      `2026-10-01T00:00:00.000Z START RequestId: ${RID} Version: $LATEST`,
      `2026-10-01T00:00:01.000Z\t${RID}\tWARN\tTask timed out after 30 seconds`,
      `2026-10-01T00:00:02.010Z REPORT RequestId: ${RID}\tDuration: 2010.50 ms\tBilled Duration: 2011 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB`,
    ];
    // Act
    const [fromJson, fromText] = [json, text].map((lines) => parseFile('orders-worker.log', lines, { defaultJob: 'orders-worker' }).map(summary));
    // Assess
    const expected = [`run.start orders-worker ${RID} @2026-10-01T00:00:00.000Z`, 'unrecognised', `run.end orders-worker ${RID} exit=0 @2026-10-01T00:00:02.010Z`];
    expect(fromJson).toEqual(expected);
    expect(fromText).toEqual(expected);
  });

  it('reads a REPORT without Status whose Max Memory Used reached its Memory Size as a success: Lambda writes Status: error when it kills an invocation', () => {
    // Prepare: a function that runs at its limit and succeeds (035a480 failed every such invocation, reverted in a4799d4)
    const lines = [
      `2026-10-01T00:00:00.000Z START RequestId: ${RID} Version: $LATEST`,
      `2026-10-01T00:00:31.000Z END RequestId: ${RID}`,
      `2026-10-01T00:00:31.010Z REPORT RequestId: ${RID}\tDuration: 31000.00 ms\tBilled Duration: 31000 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t`,
    ];
    // Act
    const outcomes = parseFile('at-limit.log', lines, { defaultJob: 'at-limit' }).map(summary);
    // Assess
    expect(outcomes.at(-1)).toBe(`run.end at-limit ${RID} exit=0 @2026-10-01T00:00:31.010Z`);
  });

  it("fails a timed-out invocation once, by Lambda's platform.report, not by a message the function logged", () => {
    // Prepare
    const lines = [
      `{"time":"2026-10-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"${RID}","version":"$LATEST"}}`,
      `{"timestamp":"2026-10-01T00:00:03.000Z","level":"ERROR","requestId":"${RID}","message":"Task timed out after 3.00 seconds"}`,
      `{"time":"2026-10-01T00:00:03.010Z","type":"platform.report","record":{"requestId":"${RID}","status":"timeout","metrics":{"durationMs":3000.5}}}`,
    ];
    // Act
    const outcomes = parseFile('fn-timeout.log', lines, { defaultJob: 'fn-timeout' }).map(summary);
    // Assess
    expect(outcomes).toEqual([`run.start fn-timeout ${RID} @2026-10-01T00:00:00.000Z`, 'unrecognised', `run.failed fn-timeout ${RID} "timeout" @2026-10-01T00:00:03.010Z`]);
  });

  it('still reads one of our events the application logged inside a container record in message', () => {
    // Prepare: a Docker json-file record, logged as the message
    const docker = JSON.stringify({ log: `${JSON.stringify(RUN_END_NO_TS)}\n`, stream: 'stdout', time: '2026-10-01T00:00:00.500Z' });
    const line = JSON.stringify({ timestamp: '2026-10-01T00:00:01.000Z', level: 'INFO', requestId: RID, message: docker });
    // Act
    const outcome = parseLine(line, contextFor('orders-api.log', 1));
    // Assess
    expect(summary(outcome)).toBe('run.end nightly n-1 exit=2 @2026-10-01T00:00:00.500Z');
  });
});

describe('the request id of the invocation that logged a run.start (AuditEvent.requestId)', () => {
  const start = JSON.stringify({ type: 'run.start', job: 'queue-poller', run_id: 'poll-12' });
  const end = JSON.stringify({ type: 'run.end', job: 'queue-poller', run_id: 'poll-12', exit_code: 0 });
  const requestIds = (line: string) => {
    const outcome = parseLine(line, contextFor('queue-poller.log', 1));
    return outcome.kind === 'events' ? outcome.events.map((e) => [e.body.type, e.requestId]) : outcome.kind;
  };

  it.each([
    ["Node's console prefix", `2026-10-05T09:00:00.622Z\t${R1}\tINFO\t${start}`],
    ["Python's console prefix", `[INFO]\t2026-10-05T09:00:00.622Z\t${R1}\t${start}`],
    ['a console line as `aws logs tail` prints it', `2026-10-05T09:00:00.622000+00:00 2026/10/05/[$LATEST]ab12 2026-10-05T09:00:00.622Z\t${R1}\tINFO\t${start}`],
    ["a record of Lambda's JSON log format", JSON.stringify({ timestamp: '2026-10-05T09:00:00.622Z', level: 'INFO', requestId: R1, message: JSON.parse(start) })],
    ["a Powertools Logger record (function_request_id)", JSON.stringify({ level: 'INFO', message: start, timestamp: '2026-10-05T09:00:00.622Z', function_request_id: R1 })],
  ])('is read from %s', (_where, line) => {
    // Act / Assess
    expect(requestIds(line)).toEqual([['run.start', R1]]);
  });

  it('is left out of other lines: a run.end, a run.start without a console prefix or after a prefix of another kind', () => {
    // Act / Assess
    expect(requestIds(`2026-10-05T09:00:00.622Z\t${R1}\tINFO\t${end}`)).toEqual([['run.end', undefined]]);
    expect(requestIds(start.replace('{', '{"ts":"2026-10-05T09:00:00Z",'))).toEqual([['run.start', undefined]]);
    expect(requestIds(`Oct  5 09:00:00 web1 poller[42]: ${start}`)).toEqual([['run.start', undefined]]);
  });

  it.each([
    ["Node's console prefix", (id: string) => `2026-10-05T09:00:00.622Z\t${id}\tINFO\t${start}`],
    ["a record of Lambda's JSON log format", (id: string) => JSON.stringify({ timestamp: '2026-10-05T09:00:00.622Z', level: 'INFO', requestId: id, message: JSON.parse(start) })],
    ['a Powertools Logger record', (id: string) => JSON.stringify({ level: 'INFO', message: start, timestamp: '2026-10-05T09:00:00.622Z', function_request_id: id })],
  ])('is only a UUID, as Lambda gives it, in %s: an open run keeps it, so nothing longer is taken', (_where, line) => {
    // Prepare: 20,000 characters where the request id goes, and a word
    const long = 'x'.repeat(20_000);
    // Act / Assess: the run starts, naming no request id
    expect(requestIds(line(long))).toEqual([['run.start', undefined]]);
    expect(requestIds(line('req-1'))).toEqual([['run.start', undefined]]);
    expect(requestIds(line(R1.toUpperCase()))).toEqual([['run.start', R1.toUpperCase()]]);
  });
});

describe("the Node.js runtime's line for an invocation its handler failed (its text REPORT has no Status)", () => {
  const failure = (line: string) => {
    const outcome = parseLine(line, contextFor('invoice-sync.log', 1, { defaultJob: 'invoice-sync' }));
    return outcome.kind === 'events' ? outcome.events.map((e) => [e.format, e.body, new Date(e.at).toISOString()]) : outcome.kind;
  };

  it.each([
    ['Invoke Error', { errorType: 'Error', errorMessage: 'connect ECONNREFUSED 10.0.3.7:5432', stack: ['Error: connect ECONNREFUSED'] }, 'Error: connect ECONNREFUSED 10.0.3.7:5432'],
    ['Unhandled Promise Rejection', { errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'TypeError: x is undefined' }, 'Runtime.UnhandledPromiseRejection: TypeError: x is undefined'],
    ['Uncaught Exception', { errorType: 'TypeError' }, 'TypeError'],
  ])('fails the run of its request id, %s, by its error type and message', (what, error, reason) => {
    // Act / Assess
    expect(failure(`2026-10-05T06:00:05.180Z\t${R1}\tERROR\t${what} \t${JSON.stringify(error)}`)).toEqual([
      ['lambda', { type: 'run.failed', job: 'invoice-sync', run_id: R1, reason }, '2026-10-05T06:00:05.180Z'],
    ]);
  });

  it("fails no run for the request id 'undefined' the runtime prints for an error at init, before any invocation", () => {
    // Act / Assess: recognised, nothing to judge (the invocation's REPORT says Status: error)
    expect(failure(`2026-10-05T03:00:00.300Z\tundefined\tERROR\tUncaught Exception \t${JSON.stringify({ errorType: 'Runtime.ImportModuleError', errorMessage: "Error: Cannot find module 'pg'" })}`)).toEqual([]);
  });

  it('fails none for an ERROR line the function logged itself', () => {
    // Act / Assess
    expect(failure(`2026-10-05T06:00:05.180Z\t${R1}\tERROR\tretrying: ${JSON.stringify({ errorType: 'Error' })}`)).toBe('unrecognised');
  });
});

describe("an older runtime's line for an invocation whose process exited (Node.js 8/10, Python 2.7/3.6, Go 1.x; its REPORT has no Status)", () => {
  const failure = (line: string) => {
    const outcome = parseLine(line, contextFor('legacy-sync.log', 1, { defaultJob: 'legacy-sync', recordTime: Date.parse('2019-03-01T10:00:05Z') }));
    return outcome.kind === 'events' ? outcome.events.map((e) => [e.format, e.body, new Date(e.at).toISOString()]) : outcome.kind;
  };

  it.each([
    ['after its time and request id', `2019-03-01T10:00:01.234Z ${R1} Process exited before completing request`, '2019-03-01T10:00:01.234Z'],
    ["after `RequestId:` alone, at its record's time", `RequestId: ${R1} Process exited before completing request`, '2019-03-01T10:00:05.000Z'],
    ["after `RequestId:` at the end of the function's last output, which had no newline, at its record's time", `SyntaxError: Unexpected end of JSON input    at JSON.parse (<anonymous>)    at t.handler (/var/task/purchase.js:1:15721)RequestId: ${R1} Process exited before completing request`, '2019-03-01T10:00:05.000Z'],
    ["after `RequestId:` at the end of a stack trace of several lines, which had no newline, at its record's time", `SyntaxError: Unexpected end of JSON input\n    at JSON.parse (<anonymous>)\n    at t.handler (/var/task/purchase.js:1:15721)RequestId: ${R1} Process exited before completing request`, '2019-03-01T10:00:05.000Z'],
  ])('fails the run of its request id, %s', (_, line, at) => {
    // Act / Assess
    expect(failure(line)).toEqual([['lambda', { type: 'run.failed', job: 'legacy-sync', run_id: R1, reason: 'process exited before completing request' }, at]]);
  });

  it('fails none for the same words without a request id (a line the function logged)', () => {
    // Act / Assess
    expect(failure('Process exited before completing request')).toBe('unrecognised');
  });

  it("fails none for the same words the function logged in Node.js 8/10, whose console.log writes `<time>\\t<request-id>\\t` before them", () => {
    // Prepare: the runtime's own line separates its time and request id by single spaces; the app line, by tabs
    const appLine = `2019-03-01T10:00:01.234Z\t${R1}\tProcess exited before completing request`;
    // Act / Assess
    expect(failure(appLine)).toBe('unrecognised');
  });

  it.each([
    ['`RequestId:` glued to the text before it, in a CloudWatch record', `2019-03-01T10:00:01.234Z\t${R1}\tfailed:RequestId: ${R1} Process exited before completing request`, {}],
    ['`RequestId:` at the start of its message, in a CloudWatch record', `2019-03-01T10:00:01.234Z\t${R1}\tRequestId: ${R1} Process exited before completing request`, {}],
    ['`RequestId:` glued to the text before it, in a file without a record time', `2019-03-01T10:00:01.234Z\t${R1}\tfailed:RequestId: ${R1} Process exited before completing request`, { recordTime: undefined }],
    ['`RequestId:` glued to the text before it, as `aws logs tail` prints the line after its time and log stream', `2019-03-01T10:00:01.234Z 2019/03/01/[$LATEST]0c1d2e3f 2019-03-01T10:00:01.234Z\t${R1}\tfailed:RequestId: ${R1} Process exited before completing request`, { recordTime: undefined }],
  ])('fails none for the same words the function logged in Node.js 8/10 (`<time>\\t<request-id>\\t<message>`): %s', (_, appLine, extra) => {
    // Prepare: the runtime's own line begins its event (or ends the last output written without a newline, which has no console prefix)
    const outcome = parseLine(appLine, contextFor('legacy-sync.log', 1, { defaultJob: 'legacy-sync', recordTime: Date.parse('2019-03-01T10:00:05Z'), ...extra }));
    // Act / Assess
    expect(outcome.kind).toBe('unrecognised');
  });

  it.each([
    ['in a CloudWatch record', `2019-03-01T10:00:01.234Z\t${R1}\tTask timed out after 3.00 seconds`, {}],
    ['in a file without a record time', `2019-03-01T10:00:01.234Z\t${R1}\tTask timed out after 3.00 seconds`, { recordTime: undefined }],
    ['as `aws logs tail` prints the line after its time and log stream', `2019-03-01T10:00:01.234000+00:00 2019/03/01/[$LATEST]0c1d2e3f 2019-03-01T10:00:01.234Z\t${R1}\tTask timed out after 3.00 seconds`, { recordTime: undefined }],
  ])('fails none for "Task timed out" the function logged in Node.js 8/10 (`<time>\\t<request-id>\\t<message>`), though the runtime writes the same words with spaces: %s', (_, appLine, extra) => {
    // Prepare: the function's own console.log of the runtime's words, its own request id in the prefix
    const outcome = parseLine(appLine, contextFor('legacy-sync.log', 1, { defaultJob: 'legacy-sync', recordTime: Date.parse('2019-03-01T10:00:01.300Z'), ...extra }));
    // Act / Assess
    expect(outcome.kind).toBe('unrecognised');
  });

  it.each([
    ["a crashed downstream invocation's errorMessage (Lambda Invoke's), naming another function's request id", `2021-03-01T10:00:00.400Z\t${R1}\tINFO\tresize-image failed, will retry: RequestId: 9a1c0e2b-7d3f-4b6a-8e21-3c5d7f9b1a04 Process exited before completing request`],
    ['its own request id after `RequestId:`', `2021-03-01T10:00:00.400Z\t${R1}\tINFO\tRequestId: ${R1} Process exited before completing request`],
    ['`RequestId:` glued to the text before it', `2021-03-01T10:00:00.400Z\t${R1}\tERROR\tfailed:RequestId: ${R1} Process exited before completing request`],
  ])('fails none for the same words the function logged in Node.js 12+ (`<time>\\t<request-id>\\t<level>\\t<message>`): %s', (_, appLine) => {
    // Act / Assess
    expect(failure(appLine)).toBe('unrecognised');
  });

  it('fails none for `RequestId:` after a space in the middle of a line (a message quoting the words)', () => {
    // Prepare: the runtime glues its line to the function's last output directly, never after a space
    const quotedLine = 'resize-image failed, will retry: RequestId: 9a1c0e2b-7d3f-4b6a-8e21-3c5d7f9b1a04 Process exited before completing request';
    // Act / Assess
    expect(failure(quotedLine)).toBe('unrecognised');
  });
});

describe("the Python runtime's record of an uncaught exception in Lambda's JSON log format names a reason and fails no run alone", () => {
  // The Python runtime (awslambdaric) writes the error at the top of the record, its level as
  // `log_level` before awslambdaric 4.0.4 and as `level` since.
  const pythonError = (fields: object) =>
    JSON.stringify({ timestamp: '2024-05-01T10:00:01Z', ...fields, errorMessage: 'division by zero', errorType: 'ZeroDivisionError', requestId: R1, stackTrace: ['  File "/var/task/app.py", line 3, in handler\n'] });
  const read = (line: string, defaultJob?: string) => summary(parseLine(line, contextFor('py-nightly.log', 1, defaultJob === undefined ? {} : { defaultJob })));

  it.each([
    ['log_level', { log_level: 'ERROR' }],
    ['level', { level: 'ERROR' }],
  ])('reads one whose level is in %s as the reason of its request id’s failure', (_, level) => {
    // Act / Assess
    expect(read(pythonError(level), 'py-nightly')).toBe(`run.error py-nightly ${R1} "ZeroDivisionError: division by zero" @2024-05-01T10:00:01.000Z`);
  });

  it.each([
    ['one at init, whose request id is empty (its REPORT fails the invocation)', pythonError({ level: 'ERROR' }).replace(R1, ''), 'py-nightly'],
    ['one when the function is unknown', pythonError({ level: 'ERROR' }), undefined],
  ])('reads %s as nothing', (_, line, job) => {
    // Act / Assess
    expect(read(line, job)).toBe('nothing');
  });
});
