import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../lambdas/core/events.ts';
import { fastValidate } from '../../lambdas/core/parse/fast-validate.ts';
import { MAX_LINE_BYTES, parseLine } from '../../lambdas/core/parse/index.ts';

const ctx = { source: { origin: 'app.log', line: 7 }, recordTime: Date.parse('2026-10-03T06:00:00Z') };

describe('instrumented JSON lines (contract §1a)', () => {
  it('reads a bare run.end object and keeps unknown fields', () => {
    // Prepare
    const line = '{"type":"run.end","ts":"2026-10-03T02:31:07Z","job":"nightly-backup","run_id":"r-1042","exit_code":0,"output_bytes":412,"team":"data"}';
    // Act
    const outcome = parseLine(line, ctx);
    // Assess
    expect(outcome.kind).toBe('events');
    if (outcome.kind !== 'events') return;
    expect(outcome.events).toHaveLength(1);
    expect(outcome.events[0].at).toBe(Date.parse('2026-10-03T02:31:07Z'));
    expect(outcome.events[0].body).toMatchObject({ type: 'run.end', job: 'nightly-backup', run_id: 'r-1042', exit_code: 0, output_bytes: 412, team: 'data' });
    expect(outcome.events[0].source).toEqual(ctx.source);
  });

  it("reads the object at the end of Lambda's console prefix, taking the prefix time when ts is absent", () => {
    const line = '2026-10-03T06:00:01.123Z\t6f1c2a9e-2b1d-4c55-9a43-0d7c1c1e2f3a\tINFO\t{"type":"run.start","job":"etl","run_id":"r-1"}';
    const outcome = parseLine(line, { source: { origin: '/aws/lambda/etl' } });
    expect(outcome.kind).toBe('events');
    if (outcome.kind !== 'events') return;
    expect(outcome.events[0].at).toBe(Date.parse('2026-10-03T06:00:01.123Z'));
    expect(outcome.events[0].body).toMatchObject({ type: 'run.start', job: 'etl', run_id: 'r-1' });
  });

  it("reads the object after the Python runtime's text prefix ([LEVEL], time, request id), taking its time when ts is absent", () => {
    // Prepare: a line of a Python function's log saved to a file (no record time of its own)
    const line = '[INFO]\t2026-10-05T04:03:01.120Z\t1c5c7fd0-a6a3-4450-a513-270e269e0d37\t{"type": "run.end", "job": "etl-py", "run_id": "r-2", "exit_code": 2}';
    // Act
    const outcome = parseLine(line, { source: { origin: 'etl-py.log', line: 3 } });
    // Assess
    expect(outcome.kind === 'events' && [outcome.events[0].body.type, new Date(outcome.events[0].at).toISOString()]).toEqual(['run.end', '2026-10-05T04:03:01.120Z']);
  });

  it("reads the object after `aws logs tail --format short`'s time, which names no offset, as UTC", () => {
    // Prepare: the lines of a file saved from `aws logs tail --format short`, with no record time
    const lines = ['2026-10-05T13:00:00 {"type":"run.start","job":"etl","run_id":"r1"}', '2026-10-05T13:00:04.250 {"type":"run.end","job":"etl","run_id":"r1","exit_code":2}'];
    // Act
    const outcomes = lines.map((line, i) => parseLine(line, { source: { origin: 'tail-short.log', line: i + 1 } }));
    // Assess
    expect(outcomes.map((o) => (o.kind === 'events' ? [o.events[0].body.type, o.events[0].at] : o))).toEqual([
      ['run.start', Date.UTC(2026, 9, 5, 13, 0, 0)],
      ['run.end', Date.UTC(2026, 9, 5, 13, 0, 4, 250)],
    ]);
  });

  it("reads the ts of an `aws logs tail` line against the line's timestamp, the record's time: a local time in its zone, one too far ahead rejected", () => {
    // Prepare: lines of a file saved from `aws logs tail` (no record time of their own), recorded at 10:00Z
    const tail = (ts: string) => `2026-10-05T10:00:00.000000+00:00 2026/10/05/[$LATEST]ab12 {"type":"run.start","job":"etl","run_id":"r1","ts":"${ts}"}`;
    const lines = [tail('2026-10-05T20:00:00'), tail('2026-10-05T20:00:00Z')];
    // Act
    const [sydney, wrongClock] = lines.map((line, i) => parseLine(line, { source: { origin: 'tail.log', line: i + 1 } }));
    // Assess: a Sydney host's local 20:00 is 10:00Z; a ts naming its zone 10 h ahead is a wrong clock
    expect(sydney.kind === 'events' && new Date(sydney.events[0].at).toISOString()).toBe('2026-10-05T10:00:00.000Z');
    expect(wrongClock.kind === 'rejected' && wrongClock.reason).toMatch(/^run\.start event rejected: its ts 2026-10-05T20:00:00Z lies 600 min after its record's 2026-10-05T10:00:00Z/);
  });

  it('reads a prefix time whose offset is hours alone (+02, -03, +00), as a ts is read, not the record time or no time', () => {
    // Prepare: the same run.start after a prefix time with each offset form, in a file (no record time) and a log group
    const offsets = ['+02', '+02:00', '+0200', '-03', '+00'];
    const lines = offsets.map((offset) => `2026-10-05T02:30:00${offset} {"type":"run.start","job":"etl","run_id":"r1"}`);
    const recordTime = Date.parse('2026-10-05T06:31:00Z');
    // Act
    const inFile = lines.map((line) => parseLine(line, { source: { origin: 'console.log', line: 1 } }));
    const inGroup = lines.map((line) => parseLine(line, { source: { origin: '/app/etl' }, recordTime }));
    // Assess
    const times = (outcomes: typeof inFile) => outcomes.map((o) => (o.kind === 'events' ? new Date(o.events[0].at).toISOString() : o.kind));
    const expected = ['2026-10-05T00:30:00.000Z', '2026-10-05T00:30:00.000Z', '2026-10-05T00:30:00.000Z', '2026-10-05T05:30:00.000Z', '2026-10-05T02:30:00.000Z'];
    expect(times(inFile)).toEqual(expected);
    expect(times(inGroup)).toEqual(expected);
  });

  it("takes the event's own ts over the console prefix's time and the record time", () => {
    const line = '2026-10-03T06:00:01.123Z\t6f1c2a9e-2b1d-4c55-9a43-0d7c1c1e2f3a\tINFO\t{"type":"run.start","ts":"2026-10-03T05:59:58Z","job":"etl","run_id":"r-1"}';
    const outcome = parseLine(line, { source: { origin: '/aws/lambda/etl' }, recordTime: Date.parse('2026-10-03T06:00:02Z') });
    expect(outcome.kind === 'events' && outcome.events[0].at).toBe(Date.parse('2026-10-03T05:59:58Z'));
  });

  it('takes epoch-millisecond ts, and the record time when there is neither ts nor prefix', () => {
    const epoch = parseLine('{"type":"run.start","ts":1790000000000,"job":"a","run_id":"1"}', ctx);
    const bare = parseLine('{"type":"run.start","job":"a","run_id":"2"}', ctx);
    expect(epoch.kind === 'events' && epoch.events[0].at).toBe(1790000000000);
    expect(bare.kind === 'events' && bare.events[0].at).toBe(ctx.recordTime);
  });

  it("takes epoch-millisecond ts with a fraction (Python's time.time() * 1000), cut to the whole millisecond", () => {
    // Prepare: a failed run timed as Python writes it
    const lines = ['{"type":"run.start","ts":1790994600123.456,"job":"py","run_id":"r1"}', '{"type":"run.end","ts":1790994660123.789,"job":"py","run_id":"r1","exit_code":2}'];
    // Act
    const outcomes = lines.map((line) => parseLine(line, ctx));
    // Assess
    expect(outcomes.map((o) => (o.kind === 'events' ? [o.events[0].at, (o.events[0].body as { ts?: unknown }).ts] : o))).toEqual([
      [1790994600123, 1790994600123],
      [1790994660123, 1790994660123],
    ]);
  });

  it("reads a ts without an offset in a file (no record time) as UTC, whatever the machine's time zone", () => {
    // Prepare: a machine in Berlin, where the Date reads such a time as local (two hours ahead in October)
    const machineZone = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
    try {
      // Act
      const outcome = parseLine('{"type":"run.end","ts":"2026-10-03T02:30:05","job":"nb","run_id":"r1","exit_code":3}', { source: ctx.source });
      // Assess
      expect(outcome.kind === 'events' && outcome.events[0].at).toBe(Date.UTC(2026, 9, 3, 2, 30, 5));
    } finally {
      if (machineZone === undefined) delete process.env.TZ;
      else process.env.TZ = machineZone;
    }
  });

  it.each([
    ['a number as text', '1'],
    ['a month and day', 'Oct 3'],
    ['February 30', '2026-02-30T02:30:00Z'],
  ])('rejects a ts of %s, naming the field, rather than reading a date it does not say', (_, ts) => {
    // Act
    const outcome = parseLine(`{"type":"run.start","ts":"${ts}","job":"a","run_id":"1"}`, ctx);
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: expect.stringMatching(/^run\.start event rejected: ts: must be an ISO-8601 time/) });
  });

  it.each([
    ['a wrong-typed field', '{"type":"run.end","job":"a","run_id":"1","exit_code":"zero"}', /run\.end event rejected: exit_code: /],
    ['a missing required field', '{"type":"run.end","job":"a","exit_code":0}', /run_id/],
    ['a fractional exit code', '{"type":"run.end","job":"a","run_id":"1","exit_code":0.5}', /exit_code: must be an integer/],
    ['garbled JSON', '{"type":"run.end","job":"a","run_id":"1","exit_code":0', /not valid JSON/],
    ['an unknown attempt outcome', '{"type":"attempt","route":"r","request_id":"q","attempt":1,"outcome":"meh","latency_ms":3}', /outcome/],
    ['a bad ts', '{"type":"run.start","ts":"yesterday","job":"a","run_id":"1"}', /ts: must be an ISO-8601 time/],
  ])('rejects %s with a reason', (_, line, reason) => {
    const outcome = parseLine(line, ctx);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.reason).toMatch(reason);
  });

  it("takes the object's own type, whatever type a nested object names before it", () => {
    // Prepare: a tool call whose arguments hold a "type" of ours first; an object whose only type of ours is nested
    const call = '{"args":{"type":"run.start","n":1},"type":"tool.call","tool":"create_job","agent":"ops","run_id":"r-9"}';
    const foreign = '{"event":{"type":"run.end"},"type":"deploy.finished","job":"a"}';
    // Act
    const outcome = parseLine(call, ctx);
    // Assess
    expect(outcome.kind === 'events' && outcome.events[0].body).toMatchObject({ type: 'tool.call', tool: 'create_job', args: { type: 'run.start', n: 1 } });
    expect(parseLine(foreign, ctx)).toEqual({ kind: 'unrecognised' });
  });

  it.each([
    ['an MDC', '{requestId=abc}'],
    ['an empty MDC', '{}'],
    ['two maps', '{requestId=abc} {user=ops}'],
  ])('reads the object after a prefix holding braces of its own, as log4j prints its MDC: %s', (_, mdc) => {
    // Prepare: log4j's `%d %p [%t] %X - %m`, the event without ts
    const line = `2026-10-03T06:00:01.123Z INFO [main] ${mdc} - {"type":"run.end","job":"j","run_id":"r1","exit_code":4}`;
    // Act
    const outcome = parseLine(line, { source: { origin: 'app.log', line: 1 } });
    // Assess
    expect(outcome.kind === 'events' ? [outcome.events[0].at, outcome.events[0].body] : outcome).toEqual([Date.parse('2026-10-03T06:00:01.123Z'), { type: 'run.end', job: 'j', run_id: 'r1', exit_code: 4 }]);
  });

  it("names the event's own JSON error, not that of the prefix's braces, when the object after them is bad", () => {
    // Act
    const outcome = parseLine('2026-10-03T06:00:01.123Z INFO [main] {requestId=abc} - {"type":"run.end","job":"j","run_id":"r1","exit_code":4,}', ctx);
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: 'run.end event rejected: not valid JSON (Expected double-quoted property name in JSON at position 56)' });
  });

  it("names the object's first error, not that of a nested object's brace, when the JSON is bad", () => {
    // Act
    const outcome = parseLine('{"type":"tool.call","args":{"n":1},"tool":"create_job","agent":"ops","run_id":"r-9",}', ctx);
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: 'tool.call event rejected: not valid JSON (Expected double-quoted property name in JSON at position 84)' });
  });

  it.each([
    ['a BSD syslog header, as `logger` writes it', 'Jun 14 15:16:01 combo backup[123]: {"type":"run.start","job":"backup","run_id":"b1"}', '2026-06-14T15:16:01.000Z'],
    ['a collector\'s prefix, whose epoch is the instant', '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 backup[2916]: {"type":"run.start","job":"tb","run_id":"t1"}', '2005-11-09T20:01:01.000Z'],
    ['an ISO syslog header (RSYSLOG_FileFormat)', '2026-10-05T02:30:00.5+02:00 web1 backup[9]: {"type":"run.start","job":"backup","run_id":"b2"}', '2026-10-05T00:30:00.500Z'],
    ['an RFC 5424 header', '<14>1 2026-10-05T02:30:00Z web1 backup 9 - - {"type":"run.start","job":"backup","run_id":"b3"}', '2026-10-05T02:30:00.000Z'],
  ])('times an event without ts by its syslog time in a plain file: %s', (_, line, at) => {
    // Act
    const outcome = parseLine(line, { source: { origin: 'messages', line: 1 }, year: 2026 });
    // Assess
    expect(outcome.kind === 'events' && new Date(outcome.events[0].at).toISOString()).toBe(at);
  });

  it('rejects an event without ts whose syslog date is not a date, naming it, when nothing else times it', () => {
    // Act
    const outcome = parseLine('Jun 31 15:16:01 combo backup[123]: {"type":"run.start","job":"backup","run_id":"b1"}', { source: { origin: 'messages', line: 1 }, year: 2026 });
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: 'run.start event rejected: no time: the event has no `ts` and the line\'s syslog date "Jun 31 15:16:01" is not a date' });
  });

  it.each([
    ["pino's time, epoch milliseconds", '{"level":30,"time":1790812807250,"pid":7,"hostname":"h1","msg":"run","type":"run.start","job":"p","run_id":"r1"}', '2026-10-01T00:00:07.250Z'],
    ["bunyan's time, an ISO time", '{"name":"etl","hostname":"h1","pid":7,"level":30,"msg":"run","time":"2026-10-01T00:00:07.250Z","v":0,"type":"run.start","job":"b","run_id":"r1"}', '2026-10-01T00:00:07.250Z'],
    ["Powertools Logger's timestamp, with an offset", '{"level":"INFO","message":"run","timestamp":"2026-10-01T02:00:07.250+02:00","service":"etl","type":"run.start","job":"w","run_id":"r1"}', '2026-10-01T00:00:07.250Z'],
    ["winston's timestamp", '{"level":"info","message":"run","timestamp":"2026-10-01T00:00:07.250Z","type":"run.end","job":"w","run_id":"r1","exit_code":0}', '2026-10-01T00:00:07.250Z'],
  ])("times an event without ts by its logger's time field in a plain file: %s", (_, line, at) => {
    // Act
    const outcome = parseLine(line, { source: { origin: 'app.log', line: 1 } });
    // Assess
    expect(outcome.kind === 'events' ? new Date(outcome.events[0].at).toISOString() : outcome).toBe(at);
  });

  it("takes the event's own ts over the log record's time, and the log record's time over its logger's time field (contract §1a)", () => {
    // Prepare
    const withTs = '{"level":30,"time":1790812807250,"type":"run.start","ts":"2026-10-01T00:00:05Z","job":"p","run_id":"r1"}';
    const withoutTs = '{"level":30,"time":1790812807250,"type":"run.start","job":"p","run_id":"r1"}';
    const delivered = { source: { origin: 'app.log', line: 1 }, recordTime: Date.parse('2026-10-01T00:00:08Z') };
    // Act
    const outcomes = [parseLine(withTs, delivered), parseLine(withoutTs, delivered)];
    // Assess
    expect(outcomes.map((o) => (o.kind === 'events' ? new Date(o.events[0].at).toISOString() : o))).toEqual(['2026-10-01T00:00:05.000Z', '2026-10-01T00:00:08.000Z']);
  });

  it("times an event the same in ingest and in a scan of its `aws logs tail` output, whatever its logger's time field says", () => {
    // Prepare: pino's time is 2026-09-30T22:00:00Z; the CloudWatch event came at 02:00:05Z
    const line = '{"level":30,"time":1790805600000,"type":"run.end","job":"nightly","run_id":"n-1","exit_code":0}';
    const cloudWatch = Date.parse('2026-10-01T02:00:05Z');
    // Act
    const outcomes = [
      parseLine(line, { source: { origin: '/aws/lambda/nightly' }, recordTime: cloudWatch, defaultJob: 'x' }),
      parseLine(`2026-10-01T02:00:05.000000+00:00 i-0abc ${line}`, { source: { origin: 'nightly.log', line: 1 }, defaultJob: 'x' }),
      parseLine(line, { source: { origin: 'nightly.log', line: 1 }, defaultJob: 'x' }),
    ];
    // Assess: the logger's time only times the bare line of a plain file, which has no record time
    expect(outcomes.map((o) => (o.kind === 'events' ? new Date(o.events[0].at).toISOString() : o))).toEqual(['2026-10-01T02:00:05.000Z', '2026-10-01T02:00:05.000Z', '2026-09-30T22:00:00.000Z']);
  });

  it('keeps an unrelated `timestamp` field of an ingested run.end as data, not as its time', () => {
    // Prepare: a nightly run whose end carries the time of the data snapshot it took, a month back
    const lines = [
      { text: '{"type":"run.start","ts":"2026-10-01T00:00:00Z","job":"nightly","run_id":"n-1"}', recordTime: Date.parse('2026-10-01T00:00:01Z') },
      { text: '{"type":"run.end","job":"nightly","run_id":"n-1","exit_code":0,"output_bytes":5000,"timestamp":"2026-09-01T00:00:00Z"}', recordTime: Date.parse('2026-10-01T00:20:00Z') },
    ];
    // Act
    const outcomes = lines.map(({ text, recordTime }, i) => parseLine(text, { source: { origin: '/aws/lambda/nightly', line: i }, recordTime }));
    // Assess
    const events = outcomes.flatMap((o) => (o.kind === 'events' ? o.events : []));
    expect(events.map((e) => new Date(e.at).toISOString())).toEqual(['2026-10-01T00:00:00.000Z', '2026-10-01T00:20:00.000Z']);
    expect(events[1].body).toMatchObject({ type: 'run.end', timestamp: '2026-09-01T00:00:00Z' });
  });

  const ADD_TS = 'add `ts` (an ISO-8601 time or epoch milliseconds)';
  it.each([
    ['a duration named time', '{"type":"run.start","job":"a","run_id":"1","time":1500}', '`time` 1500 is below 10^12 (2001-09-09): a duration, or epoch seconds, not epoch milliseconds'],
    ['epoch seconds, which would read as a day in 1970', '{"type":"run.start","job":"a","run_id":"1","time":1790812807}', '`time` 1790812807 is below 10^12 (2001-09-09): a duration, or epoch seconds, not epoch milliseconds'],
    ['microseconds, past the year 9999', '{"type":"run.start","job":"a","run_id":"1","time":1790812807250000}', '`time` 1790812807250000 lies past the year 9999: microseconds or nanoseconds, not epoch milliseconds'],
    ['a time that names no offset', '{"type":"run.start","job":"a","run_id":"1","timestamp":"2026-10-01 00:00:07"}', '`timestamp` "2026-10-01 00:00:07" is no ISO time that names its offset'],
    ['a word', '{"type":"run.start","job":"a","run_id":"1","time":"now"}', '`time` "now" is no ISO time that names its offset'],
    ["logstash-encoder's @timestamp", '{"@timestamp":"2026-10-03T04:30:00.123+02:00","message":"run started","type":"run.start","job":"a","run_id":"1"}', '`@timestamp` "2026-10-03T04:30:00.123+02:00" is not read as its time (only pino\'s and bunyan\'s `time`, winston\'s and Powertools\' `timestamp`)'],
    ["python-json-logger's asctime", '{"asctime":"2026-10-03 02:30:00,123","message":"run started","type":"run.start","job":"a","run_id":"1"}', '`asctime` "2026-10-03 02:30:00,123" is not read as its time (only pino\'s and bunyan\'s `time`, winston\'s and Powertools\' `timestamp`)'],
  ])('takes no instant from %s: in a plain file the event has no time, and the rejection names the field seen', (_, line, why) => {
    // Act
    const outcome = parseLine(line, { source: { origin: 'f.log', line: 1 } });
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: `run.start event rejected: no time: the event has no \`ts\`, and the line's ${why}; ${ADD_TS}` });
  });

  it('rejects an event with no time at all in a plain file', () => {
    const outcome = parseLine('{"type":"run.start","job":"a","run_id":"1"}', { source: { origin: 'f.log', line: 1 } });
    expect(outcome).toEqual({ kind: 'rejected', reason: expect.stringMatching(/no time/) });
  });

  it.each([
    ['an unknown type', '{"type":"deploy.start","job":"a"}'],
    ['JSON without a type', '{"level":"info","msg":"hello"}'],
    ['plain text', 'INFO starting backup of /srv'],
    ['an empty line', ''],
    ['binary garbage', '\u0000\u0001\u00ff\ufffd{{{'],
  ])('counts %s as unrecognised', (_, line) => {
    expect(parseLine(line, ctx)).toEqual({ kind: 'unrecognised' });
  });

  it('refuses a line over the size limit before parsing it', () => {
    const line = `{"type":"run.end","job":"a","run_id":"1","exit_code":0,"output_head":"${'x'.repeat(1024 * 1024)}"}`;
    const outcome = parseLine(line, ctx);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.reason).toContain(`over the ${MAX_LINE_BYTES} limit`);
  });

  it('measures the size limit in bytes of UTF-8, not in characters', () => {
    // Prepare: 150,000 euro signs are 450,000 bytes of UTF-8 in fewer than 262,144 characters
    const line = `{"type":"run.start","job":"a","run_id":"1","note":"${'€'.repeat(150_000)}"}`;
    // Act
    const outcome = parseLine(line, ctx);
    // Assess
    expect(line.length).toBeLessThan(MAX_LINE_BYTES);
    expect(outcome).toEqual({ kind: 'rejected', reason: `line is ${Buffer.byteLength(line)} bytes, over the ${MAX_LINE_BYTES} limit` });
  });

  it('accepts a line of multi-byte characters just under the limit in bytes', () => {
    // Prepare: a line of 3-byte characters over a third of the limit in characters, under it in bytes
    const head = '{"type":"run.start","job":"a","run_id":"1","note":"';
    const room = MAX_LINE_BYTES - Buffer.byteLength(`${head}"}`);
    const line = `${head}${'€'.repeat(Math.floor(room / 3))}"}`;
    // Act
    const outcome = parseLine(line, ctx);
    // Assess
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(outcome.kind).toBe('events');
  });
});

describe("a guard.bypass's exception_id logged as a number that is no safe integer", () => {
  it('keeps the line, reading the number as the line wrote it, also beside a nested object of the same key', () => {
    // Prepare: a number past 2^53 written once; then with the key in a nested object too, which is not the bypass's
    const once = '{"type":"guard.bypass","ts":"2026-10-03T05:00:00Z","guard":"pii-redaction","exception_id":1175928471389241354}';
    const nested = '{"type":"guard.bypass","ts":"2026-10-03T05:00:00Z","guard":"pii-redaction","exception_id":1175928471389241354,"meta":{"exception_id":7}}';
    // Act
    const [read, beside] = [once, nested].map((line) => parseLine(line, ctx));
    // Assess
    expect(read.kind === 'events' && read.events[0].body).toMatchObject({ exception_id: '1175928471389241354' });
    expect(beside.kind === 'events' && beside.events[0].body).toMatchObject({ exception_id: '1175928471389241354', meta: { exception_id: 7 } });
  });
  it('reads the number of the top-level exception_id as JSON does, its key written with an escape, not a nested object\'s of the same value', () => {
    // Prepare: the bypass's own key escaped (`exception\u005fid`) beside a nested `exception_id` whose number a JSON reader rounds to the same value
    const line = String.raw`{"type":"guard.bypass","ts":"2026-10-03T05:00:00Z","guard":"pii-redaction","exception\u005fid":1175928471389241354,"details":{"exception_id":1175928471389241360}}`;
    const lastWins = '{"type":"guard.bypass","ts":"2026-10-03T05:00:00Z","guard":"pii-redaction","exception_id":1175928471389241360,"meta":{"exception_id":7},"exception_id":1175928471389241354}';
    // Act
    const [escaped, duplicate] = [line, lastWins].map((text) => parseLine(text, ctx));
    // Assess: the top-level key wins (decoded), and of a key written twice at the top the last, as JSON.parse reads them
    expect(escaped.kind === 'events' && escaped.events[0].body).toMatchObject({ exception_id: '1175928471389241354', details: { exception_id: 1175928471389241360 } });
    expect(duplicate.kind === 'events' && duplicate.events[0].body).toMatchObject({ exception_id: '1175928471389241354' });
  });
  it("reads the number from the bypass's own object, after a prefix holding braces and a quote or an object of its own", () => {
    // Prepare: a prefix whose `{main}` and `"hi ` would mislead a walk from the line's first `{`; a prefix object with an exception_id of the same rounded value
    const bypass = '{"type":"guard.bypass","ts":"2026-10-03T05:00:00Z","guard":"pii-redaction","exception_id":1175928471389241354}';
    const quoted = `{main} said "hi ${bypass}`;
    const prefixObject = `ctx={"exception_id":1175928471389241360} ${bypass}`;
    // Act
    const [afterQuote, afterObject] = [quoted, prefixObject].map((line) => parseLine(line, ctx));
    // Assess: the id the bypass's object wrote, in both
    expect(afterQuote.kind === 'events' && afterQuote.events[0].body).toMatchObject({ type: 'guard.bypass', exception_id: '1175928471389241354' });
    expect(afterObject.kind === 'events' && afterObject.events[0].body).toMatchObject({ type: 'guard.bypass', exception_id: '1175928471389241354' });
  });
  it("reads the number as the line wrote it inside Lambda's JSON log format, whose object message is rebuilt as text", () => {
    // Prepare: the bypass logged as the `message` object of a Lambda JSON-format record; re-serialising it rounds the number
    const line = '{"timestamp":"2026-12-05T09:31:00.000Z","level":"INFO","requestId":"8f5a3c2e-1b2d-4e5f-8a9b-0c1d2e3f4a5b","message":{"type":"guard.bypass","ts":"2026-12-05T09:31:00Z","guard":"pii-redaction","exception_id":1175928471389241354,"actor":"support-bot"}}';
    // Act
    const outcome = parseLine(line, ctx);
    // Assess: the id as logged, never the rounded 1175928471389241300 the line did not write
    expect(outcome.kind === 'events' && outcome.events[0].body).toMatchObject({ type: 'guard.bypass', exception_id: '1175928471389241354' });
  });
  it("reads the number in the record's message object only, not a sibling field's of the same rounded value", () => {
    // Prepare: a Lambda JSON-format record whose message is the bypass, with a sibling `context` holding an exception_id JSON reads as the same number, after and before the message
    const bypass = '{"type":"guard.bypass","ts":"2026-12-05T09:31:00Z","guard":"pii-redaction","exception_id":1175928471389241354}';
    const after = `{"timestamp":"2026-12-05T09:31:00.000Z","level":"INFO","requestId":"8f5a3c2e-1b2d-4e5f-8a9b-0c1d2e3f4a5b","message":${bypass},"context":{"exception_id":1175928471389241360}}`;
    const before = `{"timestamp":"2026-12-05T09:31:00.000Z","level":"INFO","context":{"exception_id":1175928471389241360},"message":${bypass}}`;
    // Act
    const [siblingAfter, siblingBefore] = [after, before].map((line) => parseLine(line, ctx));
    // Assess: the bypass's own id, never the sibling's number
    expect(siblingAfter.kind === 'events' && siblingAfter.events[0].body).toMatchObject({ type: 'guard.bypass', exception_id: '1175928471389241354' });
    expect(siblingBefore.kind === 'events' && siblingBefore.events[0].body).toMatchObject({ type: 'guard.bypass', exception_id: '1175928471389241354' });
  });
});

describe("null in an optional field (Python's None) is read as absent", () => {
  it.each([
    ['exception_id (no exception)', '{"type":"guard.bypass","ts":"2026-10-03T05:00:00Z","guard":"pii-redaction","exception_id":null,"actor":"support-bot"}'],
    ['parent_run_id (a root) and budget fields', '{"type":"agent.start","ts":"2026-10-03T05:00:00Z","agent":"bot","run_id":"b1","parent_run_id":null,"budget":{"max_actions":1,"max_cost_usd":null,"scope":null}}'],
    ['a budget', '{"type":"agent.start","ts":"2026-10-03T05:00:00Z","agent":"bot","run_id":"b1","budget":null}'],
    ['duration_ms and host', '{"type":"run.end","ts":"2026-10-03T05:00:00Z","job":"etl","run_id":"e1","exit_code":3,"duration_ms":null,"host":null}'],
    ['ts (the record time)', '{"type":"run.start","ts":null,"job":"etl","run_id":"e1"}'],
    ["an attempt's status", '{"type":"attempt","ts":"2026-10-03T05:00:00Z","route":"r","request_id":"q","attempt":1,"outcome":"ok","latency_ms":3,"status":null}'],
    ["a tool call's agent and run_id", '{"type":"tool.call","ts":"2026-10-03T05:00:00Z","tool":"t","args":{},"agent":null,"run_id":null}'],
  ])('%s', (_, line) => {
    // Prepare: the same line with its null fields left out
    const absent = JSON.stringify(JSON.parse(line, (key, value: unknown) => (value === null ? undefined : value)));
    // Act
    const withNulls = parseLine(line, ctx);
    const without = parseLine(absent, ctx);
    // Assess
    expect(withNulls.kind).toBe('events');
    expect(withNulls).toStrictEqual(without);
  });

  it("keeps a null where a field takes it as a value (an audit record's), and refuses it in a required field", () => {
    // Act
    const record = parseLine('{"type":"audit.write","ts":"2026-10-03T05:00:00Z","job":"j","run_id":"r","record":null}', ctx);
    const job = parseLine('{"type":"run.end","ts":"2026-10-03T05:00:00Z","job":null,"run_id":"r","exit_code":1}', ctx);
    // Assess
    expect(record.kind === 'events' && record.events[0].body).toHaveProperty('record', null);
    expect(job).toEqual({ kind: 'rejected', reason: 'run.end event rejected: job: expected a string, got null' });
  });
});

describe("an attempt's route logged as a request path", () => {
  const attemptLine = (route: string) => JSON.stringify({ type: 'attempt', ts: '2026-10-03T05:00:00Z', route, request_id: 'q', attempt: 1, outcome: 'ok', latency_ms: 3 });
  const routeOf = (line: string) => {
    const outcome = parseLine(line, ctx);
    return outcome.kind === 'events' ? (outcome.events[0].body as { route: string }).route : outcome;
  };

  it('reads the path as its template, so every URL of one endpoint is one route', () => {
    // Prepare: two URLs of one endpoint, with and without a method and a query string
    const lines = [attemptLine('/users/123/orders/456'), attemptLine('GET /users/9/orders/6f1c2a9e-2b1d-4c55-9a43-0d7c1c1e2f3a/?expand=items')];
    // Act
    const routes = lines.map(routeOf);
    // Assess
    expect(routes).toEqual(['/users/{id}/orders/{id}', 'GET /users/{id}/orders/{id}']);
  });

  it('templates the path in the schema too, which reads the lines the fast path is unsure of', () => {
    // Prepare
    const raw = JSON.parse(attemptLine('/users/123?page=2'));
    // Act
    const fast = fastValidate('attempt', raw);
    const zod = validateEvent('attempt', raw);
    // Assess
    expect(fast?.route).toBe('/users/{id}');
    expect(zod.success && (zod.data as { route: string }).route).toBe('/users/{id}');
  });

  it('keeps named and templated routes as they are', () => {
    // Act
    const routes = ['checkout-api', '/users/{id}', '/users/:id'].map((route) => routeOf(attemptLine(route)));
    // Assess
    expect(routes).toEqual(['checkout-api', '/users/{id}', '/users/:id']);
  });

  it("reads a guard.bypass's route as its template too, so it names the attempts' route", () => {
    // Prepare
    const raw = { type: 'guard.bypass', ts: '2026-10-03T05:00:00Z', guard: 'rate-limit', route: 'get /users/123?x=1' };
    // Act
    const fast = fastValidate('guard.bypass', raw);
    const zod = validateEvent('guard.bypass', raw);
    const parsed = parseLine(JSON.stringify(raw), ctx);
    // Assess
    expect(fast?.route).toBe('GET /users/{id}');
    expect(zod.success && (zod.data as { route?: string }).route).toBe('GET /users/{id}');
    expect(parsed.kind === 'events' && (parsed.events[0].body as { route?: string }).route).toBe('GET /users/{id}');
  });

  it('rejects a path whose template is too long to be a route name (a storage key)', () => {
    // Prepare: 128 one-digit segments: 256 characters logged, 640 as a template
    const line = attemptLine('/1'.repeat(128));
    // Act
    const outcome = parseLine(line, ctx);
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: 'attempt event rejected: route: must be at most 256 characters (identifiers become storage keys)' });
  });
});

describe('quantities past what one line can sanely say (a wrong unit, a corrupt number)', () => {
  const line = (body: object) => JSON.stringify({ ts: '2026-10-03T05:00:00Z', ...body });
  const action = { type: 'agent.action', agent: 'a', run_id: 'r1', action: 'llm_call' };
  const runEnd = { type: 'run.end', job: 'j', run_id: 'r', exit_code: 0 };
  const attempt = { type: 'attempt', route: 'pay', request_id: 'q', attempt: 1, outcome: 'ok' };
  const agentEnd = { type: 'agent.end', agent: 'a', run_id: 'r1', status: 'ok' };

  it.each([
    ['cost_usd', { ...action, cost_usd: 1e308 }, 'agent.action event rejected: cost_usd: must be at most 1000000 (dollars): a larger cost is a wrong unit or a corrupt number'],
    ['cost_reported_usd', { ...agentEnd, cost_reported_usd: 2e6 }, 'agent.end event rejected: cost_reported_usd: must be at most 1000000 (dollars): a larger cost is a wrong unit or a corrupt number'],
    ['tokens_in', { ...action, tokens_in: 1_000_000_001 }, 'agent.action event rejected: tokens_in: must be at most 1000000000 tokens: a larger count is a corrupt number'],
    ['tokens_out', { ...action, tokens_out: 9_007_199_254_740_991 }, 'agent.action event rejected: tokens_out: must be at most 1000000000 tokens: a larger count is a corrupt number'],
    ['agent.action duration_ms', { ...action, duration_ms: 1e308 }, 'agent.action event rejected: duration_ms: must be at most 31622400000 (366 days of milliseconds): a longer time is a wrong unit or a corrupt number'],
    ['run.end duration_ms', { ...runEnd, duration_ms: 31_622_400_001 }, 'run.end event rejected: duration_ms: must be at most 31622400000 (366 days of milliseconds): a longer time is a wrong unit or a corrupt number'],
    ['latency_ms', { ...attempt, latency_ms: 1e308 }, 'attempt event rejected: latency_ms: must be at most 31622400000 (366 days of milliseconds): a longer time is a wrong unit or a corrupt number'],
  ])('rejects a line whose %s is over its bound, naming the field and the bound', (_, body, reason) => {
    // Act
    const outcome = parseLine(line(body), ctx);
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason });
  });

  it('takes each quantity at its bound', () => {
    // Prepare
    const lines = [
      { ...action, cost_usd: 1_000_000, tokens_in: 1_000_000_000, tokens_out: 1_000_000_000, duration_ms: 31_622_400_000 },
      { ...agentEnd, cost_reported_usd: 1_000_000 },
      { ...runEnd, duration_ms: 31_622_400_000 },
      { ...attempt, latency_ms: 31_622_400_000 },
    ].map(line);
    // Act
    const outcomes = lines.map((l) => parseLine(l, ctx).kind);
    // Assess
    expect(outcomes).toEqual(['events', 'events', 'events', 'events']);
  });

  it('keeps a run with two absurd costs finite: both lines rejected and counted, no "$Infinity" finding', async () => {
    // Prepare: a budgeted run whose two actions say they cost 1e308 each (which sum to Infinity)
    const { MemoryAuditStore } = await import('../../lambdas/adapters/memory-store.ts');
    const { DEFAULT_CONFIG } = await import('../../lambdas/config.ts');
    const { ingestDelivery } = await import('../../lambdas/core/ingest.ts');
    const { encodePayload } = await import('../../lambdas/demo/cloudwatch-payload.ts');
    const T = Date.parse('2026-10-05T02:30:00Z');
    const bodies = [
      { type: 'agent.start', agent: 'a', run_id: 'r1', budget: { max_cost_usd: 1 } },
      { ...action, cost_usd: 1e308 },
      { ...action, cost_usd: 1e308 },
      { ...action, cost_usd: 0.5 },
      { ...agentEnd, actions_reported: 3 },
    ];
    const payload = encodePayload({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/agents/a',
      logStream: 's',
      subscriptionFilters: ['silent-audit'],
      logEvents: bodies.map((body, i) => ({ id: String(i + 1), timestamp: T + i * 1000, message: JSON.stringify({ ts: T + i * 1000, ...body }) })),
    });
    const deps = { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T + 60_000 } };
    // Act
    const report = await ingestDelivery(payload, deps);
    // Assess
    expect(report.counts).toMatchObject({ lines: 5, events: 3, rejected: 2 });
    expect(report.rejections.map((r) => r.reason)).toEqual([expect.stringMatching(/^agent\.action event rejected: cost_usd: must be at most 1000000/), expect.stringMatching(/^agent\.action event rejected: cost_usd: /)]);
    expect(report.findings.map((f) => f.message).join('\n')).not.toContain('Infinity');
  });
});

describe('rejection reasons, in the terms of who wrote the line', () => {
  const action = { type: 'agent.action', ts: '2026-10-03T05:00:00Z', agent: 'a', run_id: 'r1', action: 'llm_call' };
  const TS_FORMS = 'an ISO-8601 time such as 2026-10-03T02:31:07Z (UTC when it names no offset), or epoch milliseconds';

  it.each([
    ['a ts below 1 ms', { ...action, ts: 0.5 }, `agent.action event rejected: ts: must be ${TS_FORMS} from 10^12 (2001-09-09), got 0.5`],
    ['a ts of 0', { ...action, ts: 0 }, `agent.action event rejected: ts: must be ${TS_FORMS} from 10^12 (2001-09-09), got 0`],
    [
      "a ts of epoch seconds (zap's default, Python's time.time())",
      { ...action, ts: 1790994600.123 },
      `agent.action event rejected: ts: must be ${TS_FORMS} from 10^12 (2001-09-09), got 1790994600.123: that is epoch seconds (2026-10-03T02:30:00.123Z); log epoch milliseconds (the number × 1000) or an ISO-8601 time`,
    ],
    [
      'a ts from 10^10 to 10^12 (epoch ms that lost a digit), with no epoch-seconds hint past the year 2286',
      { ...action, ts: 179099460012 },
      `agent.action event rejected: ts: must be ${TS_FORMS} from 10^12 (2001-09-09), got 179099460012`,
    ],
    ['a ts of 10^10, with no epoch-seconds hint', { ...action, ts: 1e10 }, `agent.action event rejected: ts: must be ${TS_FORMS} from 10^12 (2001-09-09), got 10000000000`],
    ['a ts in an array', { ...action, ts: ['2026-10-03T05:00:00Z'] }, `agent.action event rejected: ts: must be ${TS_FORMS}, got an array`],
    ['a ts that is no time', { ...action, ts: 'yesterday' }, `agent.action event rejected: ts: must be ${TS_FORMS}, got "yesterday"`],
    ['a ts past the safe integers', { ...action, ts: 1e308 }, 'agent.action event rejected: ts: must be epoch milliseconds before the year 10000 (below 253402300800000), got 1e+308: a larger number may be microseconds or nanoseconds'],
    ['a missing run_id', { type: 'agent.action', agent: 'a', action: 'llm_call' }, 'agent.action event rejected: run_id: missing'],
    ['a field of the wrong type', { ...action, action: null, tokens_out: '50' }, 'agent.action event rejected: action: expected a string, got null; tokens_out: expected a number, got "50"'],
    ['a fractional token count', { ...action, tokens_in: 1.5 }, 'agent.action event rejected: tokens_in: expected a whole number, got 1.5'],
    ['a negative cost', { ...action, cost_usd: -1 }, 'agent.action event rejected: cost_usd: expected 0 or more, got -1'],
    [
      'an unknown outcome and a status of neither type',
      { type: 'attempt', route: 'r', request_id: 'q', attempt: 1, outcome: 'meh', latency_ms: 3, status: {} },
      'attempt event rejected: outcome: expected one of "ok", "error", "timeout", "empty", "invalid", got "meh"; status: expected a number or a string, got an object',
    ],
    ['a null required field', { ...action, run_id: null }, 'agent.action event rejected: run_id: expected a string, got null'],
    ['a misspelt budget key', { type: 'agent.start', agent: 'a', run_id: 'r', budget: { max_action: 1 } }, 'agent.start event rejected: budget: not a budget key: "max_action" (a budget takes max_actions, max_cost_usd and scope)'],
    ['two keys no budget takes', { type: 'agent.start', agent: 'a', run_id: 'r', budget: { max_actions: 5, maxCost: 1, note: 'x' } }, 'agent.start event rejected: budget: not budget keys: "maxCost", "note" (a budget takes max_actions, max_cost_usd and scope)'],
    ['a budget of no actions', { type: 'agent.start', agent: 'a', run_id: 'r', budget: { max_actions: 0 } }, 'agent.start event rejected: budget.max_actions: expected more than 0, got 0'],
    ['a count past the safe integers', { type: 'run.end', job: 'j', run_id: 'r', exit_code: 0, output_bytes: 1e308 }, 'run.end event rejected: output_bytes: expected a whole number from -9007199254740991 to 9007199254740991, got 1e+308'],
  ])('words %s as the contract does', (_, body, reason) => {
    // Act
    const outcome = parseLine(JSON.stringify(body), ctx);
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason });
  });
});
