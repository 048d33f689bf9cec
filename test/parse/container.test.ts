import { describe, expect, it } from 'vitest';
import { containerRecord, EventLineJoiner, FILE_LINES, type JoinedLine, mayBeContainerRecord, outcomeOfJoined } from '../../lambdas/core/parse/container.ts';
import { MAX_LINE_BYTES, parseLine } from '../../lambdas/core/parse/index.ts';
import { contextFor, fixtureLines, summary } from './helpers.ts';

const RID = '3f1d5c2a-7b8e-4c19-9a6d-2e0f4b7c8d91';
const RUN_START = JSON.stringify({ ts: '2026-10-01T00:00:00Z', type: 'run.start', job: 'n', run_id: 'r1', host: 'h1' });
const RUN_END_NO_TS = JSON.stringify({ type: 'run.end', job: 'n', run_id: 'r1', exit_code: 3 });
/** A run.end long enough that the runtimes split it: over two 16 KiB parts. */
const LONG_END_NO_TS = JSON.stringify({ type: 'run.end', job: 'n', run_id: 'r1', exit_code: 3, output_head: 'x'.repeat(40_000) });
const PART = 16 * 1024;
const CRON = 'Oct  1 00:00:05 h1 CRON[12]: (root) CMD (/usr/local/bin/backup.sh)';
const SYSTEMD = 'Oct  1 00:00:05 h1 systemd[1]: backup.service: Main process exited, code=exited, status=1/FAILURE';

/** A record of Docker's json-file driver, as it writes one: the line with its `\n`, unless it goes on. */
function docker(line: string, time = '2026-10-01T00:00:07.123456789Z', stream = 'stdout', ends = true): string {
  return JSON.stringify({ log: ends ? `${line}\n` : line, stream, time });
}

const ctx = (extra = {}) => contextFor('container.log', 1, { year: 2026, now: Date.parse('2026-12-01T00:00:00Z'), defaultJob: 'etl-loader', ...extra });

describe('lines a container runtime wrapped are read as the line inside', () => {
  it.each([
    ['a Docker record of a JSON event with its ts', docker(RUN_START), 'run.start n r1 @2026-10-01T00:00:00.000Z'],
    ["a Docker record of a JSON event without ts, at the record's time", docker(RUN_END_NO_TS), 'run.end n r1 exit=3 @2026-10-01T00:00:07.123Z'],
    ['a Docker record of a cron line', docker(CRON, '2026-10-01T00:00:05.5Z', 'stderr'), 'run.start /usr/local/bin/backup.sh h1:12:2026-10-01T00:00:05.000Z @2026-10-01T00:00:05.000Z'],
    ['a Docker record of a systemd line', docker(SYSTEMD), 'run.end backup.service *open exit=1 @2026-10-01T00:00:05.000Z'],
    ["a Docker record of Lambda's START line", docker(`START RequestId: ${RID} Version: $LATEST`), `run.start etl-loader ${RID} @2026-10-01T00:00:07.123Z`],
    ['a Docker record of a line written with CRLF', docker(`${RUN_START}\r`), 'run.start n r1 @2026-10-01T00:00:00.000Z'],
    ['a CRI record of a JSON event', `2026-10-01T00:00:07.123456789Z stdout F ${RUN_START}`, 'run.start n r1 @2026-10-01T00:00:00.000Z'],
    ["a CRI record of a JSON event without ts, at the record's time", `2026-10-01T00:00:07.123456789Z stdout F ${RUN_END_NO_TS}`, 'run.end n r1 exit=3 @2026-10-01T00:00:07.123Z'],
    ['a CRI record of a cron line, its stream and tag not part of the message', `2026-10-01T00:00:05.2Z stderr F ${CRON}`, 'run.start /usr/local/bin/backup.sh h1:12:2026-10-01T00:00:05.000Z @2026-10-01T00:00:05.000Z'],
    ["a CRI record of Lambda's START line", `2026-10-01T00:00:07.123Z stdout F START RequestId: ${RID} Version: $LATEST`, `run.start etl-loader ${RID} @2026-10-01T00:00:07.123Z`],
    ['a Docker record of a line none of ours', docker('listening on :8080'), 'unrecognised'],
    ['a CRI record of a line none of ours', '2026-10-01T00:00:07Z stdout F listening on :8080', 'unrecognised'],
    ['an empty CRI record', '2026-10-01T00:00:07Z stdout F ', 'unrecognised'],
    ['an empty Docker record', docker(''), 'unrecognised'],
    ['a Docker record with the attrs its log-opt labels add', JSON.stringify({ log: `${RUN_END_NO_TS}\n`, attrs: { tier: 'batch' }, stream: 'stdout', time: '2026-10-01T00:00:07Z' }), 'run.end n r1 exit=3 @2026-10-01T00:00:07.000Z'],
  ])('%s', (_name, line, expected) => {
    // Act
    const outcome = parseLine(line, ctx());
    // Assess
    expect(summary(outcome)).toBe(expected);
  });

  it("reads the line at its container record's time, not the CloudWatch event's that shipped it", () => {
    // Prepare: a Docker record of an event without ts, shipped a minute later
    const line = docker(RUN_END_NO_TS, '2026-10-01T00:00:07Z');
    // Act
    const outcome = parseLine(line, ctx({ recordTime: Date.parse('2026-10-01T00:01:07Z') }));
    // Assess
    expect(summary(outcome)).toBe('run.end n r1 exit=3 @2026-10-01T00:00:07.000Z');
  });

  it("rejects an event whose ts lies far after its container record's time, as after a CloudWatch record's", () => {
    // Prepare: a ts an hour after the runtime read the line
    const line = docker(RUN_START, '2026-09-30T23:00:00Z');
    // Act
    const outcome = parseLine(line, ctx());
    // Assess
    expect(summary(outcome)).toMatch(/^rejected: run\.start event rejected: its ts 2026-10-01T00:00:00Z lies 60 min after its record's 2026-09-30T23:00:00Z/);
  });

  it.each([
    ['a CRI record of a cron line', `2026-10-01T00:00:05.2Z stderr F ${CRON}`, 'run.start /usr/local/bin/backup.sh h1:12:2026-10-01T00:00:05.000Z @2026-10-01T00:00:05.000Z'],
    ['a CRI record of a systemd line', `2026-10-01T00:00:07Z stdout F ${SYSTEMD}`, 'run.end backup.service *open exit=1 @2026-10-01T00:00:05.000Z'],
    ["a CRI record of a JSON event without ts, at the record's time", `2026-10-01T00:00:07.5Z stdout F ${RUN_END_NO_TS}`, 'run.end n r1 exit=3 @2026-10-01T00:00:07.500Z'],
    ['a Docker record of a cron line', docker(CRON, '2026-10-01T00:00:05.5Z', 'stderr'), 'run.start /usr/local/bin/backup.sh h1:12:2026-10-01T00:00:05.000Z @2026-10-01T00:00:05.000Z'],
  ])("reads %s in `aws logs tail` output (its time and log stream name before it) as the record alone", (_name, record, expected) => {
    // Prepare: the CloudWatch agent shipped the runtime's log file; the tail prints each record a second later
    const line = `2026-10-01T00:00:08.000000+00:00 kube.var.log.containers.etl-7d9f ${record}`;
    // Act
    const outcome = parseLine(line, ctx());
    // Assess
    expect(summary(outcome)).toBe(expected);
  });

  it('reads one part of a split line on its own: a JSON event cut short is rejected as such', () => {
    // Prepare: the first part of a run.end, as a CloudWatch event may carry it
    const line = docker(RUN_END_NO_TS.slice(0, 30), '2026-10-01T00:00:07Z', 'stdout', false);
    // Act
    const outcome = parseLine(line, ctx());
    // Assess
    expect(summary(outcome)).toMatch(/^rejected: run\.end event rejected: not valid JSON/);
  });

  it.each([
    ['JSON with a log but no time', JSON.stringify({ log: `${RUN_START}\n`, stream: 'stdout' })],
    ['JSON whose time is not one', JSON.stringify({ log: `${RUN_START}\n`, stream: 'stdout', time: 'yesterday' })],
    ['a Docker record cut short', docker(RUN_START).slice(0, 60)],
    ['a time and a stream without a P or F tag', `2026-10-01T00:00:07Z stdout ${CRON}`],
    ["a log shipper's record that begins as Docker's", JSON.stringify({ log: RUN_START, stream: 'stdout', time: '2026-10-01T00:00:07Z', kubernetes: { pod_name: 'p' } })],
    ['a record of Docker\'s shape naming a stream Docker never writes', JSON.stringify({ log: RUN_START, stream: 'app', time: '2026-10-01T00:00:07Z' })],
  ])('takes %s for no container record', (_name, line) => {
    // Act and Assess
    expect(containerRecord(line)).toBeUndefined();
  });

  it('tells, unparsed, every line that may be a container record, and no line of ours or of text', () => {
    // Prepare
    const records = [docker(RUN_START), docker(RUN_END_NO_TS.slice(0, 30), '2026-10-01T00:00:07Z', 'stdout', false), `2026-10-01T00:00:07Z stdout P ${RUN_START}`, `2026-10-01T00:00:07.5Z stderr F ${CRON}`, '2026-10-01T00:00:07Z stdout F'];
    const others = [RUN_START, RUN_END_NO_TS, CRON, SYSTEMD, '2026-10-01T00:00:07Z INFO starting', '2026-10-01 00:00:07,123 stdout P'];
    // Act
    const may = records.map(mayBeContainerRecord);
    const mayNot = others.map(mayBeContainerRecord);
    // Assess
    expect(records.every((line) => containerRecord(line) !== undefined)).toBe(true);
    expect(may).toEqual(records.map(() => true));
    expect(mayNot).toEqual(others.map(() => false));
  });
});

const RUN_START_WITH_LOG = JSON.stringify({ ts: '2026-10-01T00:00:00Z', type: 'run.start', job: 'n', run_id: 'r1', host: 'h1', log: 'verbose' });
const KUBERNETES = { pod_name: 'etl-7d9f', namespace_name: 'jobs', container_name: 'etl', labels: { app: 'etl' } };

/** A record of ECS FireLens (Fluent Bit) sent to CloudWatch Logs without log_key: the line without its `\n`, no time. */
function firelens(line: string): string {
  return JSON.stringify({ container_id: 'abc123', container_name: 'app', log: line, source: 'stdout', ecs_cluster: 'c', ecs_task_arn: 'arn:aws:ecs:eu-west-1:123456789012:task/c/1', ecs_task_definition: 'app:3' });
}

describe("lines a log shipper wrapped in a JSON record are read as the line in its log field", () => {
  it.each([
    ['an ECS FireLens record of a JSON event', firelens(RUN_START), 'run.start n r1 @2026-10-01T00:00:00.000Z'],
    ['an ECS FireLens record of a cron line', firelens(CRON), 'run.start /usr/local/bin/backup.sh h1:12:2026-10-01T00:00:05.000Z @2026-10-01T00:00:05.000Z'],
    ["a Fluent Bit record, its date in epoch seconds the record's time", JSON.stringify({ date: 1790812807.25, log: `${RUN_END_NO_TS}\n` }), 'run.end n r1 exit=3 @2026-10-01T00:00:07.250Z'],
    ["a Fluent Bit record, its date an ISO time (json_date_format iso8601)", JSON.stringify({ date: '2026-10-01T00:00:07.500000Z', log: RUN_END_NO_TS }), 'run.end n r1 exit=3 @2026-10-01T00:00:07.500Z'],
    ["a record whose @timestamp is the record's time", JSON.stringify({ '@timestamp': '2026-10-01T00:00:08Z', log: RUN_END_NO_TS, host: 'h1' }), 'run.end n r1 exit=3 @2026-10-01T00:00:08.000Z'],
    ["a Kubernetes Fluent Bit record with the kubernetes metadata first", JSON.stringify({ kubernetes: KUBERNETES, time: '2026-10-01T00:00:09Z', stream: 'stdout', log: `${RUN_END_NO_TS}\n` }), 'run.end n r1 exit=3 @2026-10-01T00:00:09.000Z'],
    ['a Kubernetes Fluent Bit record whose log has no line end: a whole line, not a part', JSON.stringify({ log: RUN_END_NO_TS, stream: 'stdout', time: '2026-10-01T00:00:09Z', kubernetes: KUBERNETES }), 'run.end n r1 exit=3 @2026-10-01T00:00:09.000Z'],
    ['a Fluentd record with docker and kubernetes metadata, no time', JSON.stringify({ stream: 'stderr', docker: { container_id: 'abc123' }, kubernetes: KUBERNETES, log: `${RUN_START}\n` }), 'run.start n r1 @2026-10-01T00:00:00.000Z'],
    ['a shipper record of a line none of ours', firelens('listening on :8080'), 'unrecognised'],
    ['an application\'s JSON line with an unrelated log key', JSON.stringify({ level: 'info', log: 'cache warmed', ts: '2026-10-01T00:00:00Z' }), 'unrecognised'],
    ['our own event holding a log field', RUN_START_WITH_LOG, 'run.start n r1 @2026-10-01T00:00:00.000Z'],
    ['a shipper record of our own event holding a log field', firelens(RUN_START_WITH_LOG), 'run.start n r1 @2026-10-01T00:00:00.000Z'],
  ])('%s', (_name, line, expected) => {
    // Act
    const outcome = parseLine(line, ctx());
    // Assess
    expect(summary(outcome)).toBe(expected);
  });

  it("reads the line at the shipper record's time when it has one, else at the CloudWatch event's", () => {
    // Prepare: events without ts, shipped to CloudWatch a minute later
    const cloudwatch = ctx({ recordTime: Date.parse('2026-10-01T00:01:07Z') });
    const timed = JSON.stringify({ log: RUN_END_NO_TS, date: 1790812807, container_name: 'app' });
    // Act
    const outcomes = [parseLine(timed, cloudwatch), parseLine(firelens(RUN_END_NO_TS), cloudwatch)];
    // Assess
    expect(outcomes.map(summary)).toEqual(['run.end n r1 exit=3 @2026-10-01T00:00:07.000Z', 'run.end n r1 exit=3 @2026-10-01T00:01:07.000Z']);
  });

  it('hands a shipper record on whole in a scan: only a Docker record marks a line that goes on', () => {
    // Prepare: a Fluent Bit record without its line end (Fluent Bit strips it), then a Docker record that goes on
    const shipped = JSON.stringify({ log: RUN_START, stream: 'stdout', time: '2026-10-01T00:00:07Z', kubernetes: KUBERNETES });
    const lines = [shipped, docker(LONG_END_NO_TS.slice(0, PART), '2026-10-01T00:00:08Z', 'stdout', false), docker(LONG_END_NO_TS.slice(PART), '2026-10-01T00:00:08.1Z')];
    // Act
    const joined = joinAll(lines);
    // Assess
    expect(joined).toEqual([
      { text: shipped, line: 1 },
      { text: LONG_END_NO_TS, recordTime: Date.parse('2026-10-01T00:00:08Z'), line: 2 },
    ]);
  });
});

/** Every line through a joiner, as a scan's file source reads them: each with the line it begins on. */
function joinAll(lines: readonly string[]): (JoinedLine & { readonly line: number })[] {
  const joiner = new EventLineJoiner(FILE_LINES);
  const out = lines.flatMap((line, i) => joiner.add(line, i + 1));
  return [...out, ...joiner.end()].map(({ joined, event }) => ({ ...joined, line: event }));
}

describe("the parts of a line a container runtime split are joined, per stream", () => {
  it('joins Docker records whose log goes on, a stderr record between them handed on as it comes', () => {
    // Prepare: a run.end in three parts on stdout, a stderr line after the first
    const [a, b, c] = [LONG_END_NO_TS.slice(0, PART), LONG_END_NO_TS.slice(PART, 2 * PART), LONG_END_NO_TS.slice(2 * PART)];
    const lines = [docker(a, '2026-10-01T00:00:07Z', 'stdout', false), docker('warning: slow', '2026-10-01T00:00:07.1Z', 'stderr'), docker(b, '2026-10-01T00:00:07.2Z', 'stdout', false), docker(c, '2026-10-01T00:00:07.3Z')];
    // Act
    const joined = joinAll(lines);
    // Assess: the line begins on line 1, at its first record's time
    expect(joined).toEqual([
      { text: 'warning: slow', recordTime: Date.parse('2026-10-01T00:00:07.1Z'), line: 2 },
      { text: LONG_END_NO_TS, recordTime: Date.parse('2026-10-01T00:00:07Z'), line: 1 },
    ]);
  });

  it('joins CRI P records with the F record that ends them, and hands on other lines unwrapped or as they are', () => {
    // Prepare
    const lines = [`2026-10-01T00:00:07Z stdout P ${RUN_END_NO_TS.slice(0, 25)}`, 'plain text', `2026-10-01T00:00:07.5Z stdout F ${RUN_END_NO_TS.slice(25)}`, `2026-10-01T00:00:08Z stderr F ${CRON}`];
    // Act
    const joined = joinAll(lines);
    // Assess
    expect(joined).toEqual([
      { text: 'plain text', line: 2 },
      { text: RUN_END_NO_TS, recordTime: Date.parse('2026-10-01T00:00:07Z'), line: 1 },
      { text: CRON, recordTime: Date.parse('2026-10-01T00:00:08Z'), line: 4 },
    ]);
  });

  it('hands on a line still unfinished when the file ends, as far as it got', () => {
    // Prepare: the container stopped in the middle of a line
    const lines = [`2026-10-01T00:00:07Z stdout P ${RUN_END_NO_TS.slice(0, 25)}`];
    // Act
    const joined = joinAll(lines);
    // Assess: it says why it is cut, for the rejection of its part
    expect(joined).toEqual([
      { text: RUN_END_NO_TS.slice(0, 25), recordTime: Date.parse('2026-10-01T00:00:07Z'), line: 1, unfinished: 'only its first record of a line the container runtime split, line 1: the file ends before the line does' },
    ]);
  });

  it('rejects the part of an unfinished JSON event saying the line was cut, and leaves an unrecognised part unrecognised', () => {
    // Prepare: two P records of a run.end the file ends in, and one of a text line on stderr
    const lines = [`2026-10-01T00:00:07Z stdout P ${RUN_END_NO_TS.slice(0, 20)}`, `2026-10-01T00:00:07Z stdout P ${RUN_END_NO_TS.slice(20, 30)}`, '2026-10-01T00:00:07Z stderr P some words'];
    // Act
    const outcomes = joinAll(lines).map((joined) => ('rejected' in joined ? undefined : outcomeOfJoined(parseLine(joined.text, ctx({ recordTime: joined.recordTime })), joined.unfinished)));
    // Assess
    expect(outcomes[0]).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/\(only its first 2 records of a line the container runtime split, lines 1–2: the file ends before the line does\)$/) });
    expect(outcomes[1]).toEqual({ kind: 'unrecognised' });
  });

  it('rejects a joined line over the line limit, naming its records and lines, and keeps none of it', () => {
    // Prepare: 20 records of 16 KiB and an end: 320 KiB, over the 256 KiB limit
    const part = 'x'.repeat(16 * 1024);
    const lines = [...Array.from({ length: 20 }, () => docker(part, '2026-10-01T00:00:07Z', 'stdout', false)), docker('end'), docker(RUN_START)];
    // Act
    const joined = joinAll(lines);
    // Assess: the line after it is read as usual
    expect(joined).toEqual([
      { rejected: `line is ${20 * part.length + 3} bytes, over the ${MAX_LINE_BYTES} limit (a line the container runtime split into 21 records, lines 1–21)`, line: 1 },
      { text: RUN_START, recordTime: Date.parse('2026-10-01T00:00:07.123456789Z'), line: 22 },
    ]);
  });

  it("breaks off a split line when its stream's next record comes seconds later: that record is a line of its own, not the rest", () => {
    // Prepare: a run.end's first CRI part, whose last the subscription filter dropped; a minute later, a run.start on the same stream
    const lines = [`2026-10-01T00:00:07Z stdout P ${LONG_END_NO_TS.slice(0, PART)}`, `2026-10-01T00:01:07Z stdout F ${RUN_START}`];
    // Act
    const joined = joinAll(lines);
    // Assess: the part is handed on unfinished first, then the run.start whole
    expect(joined).toEqual([
      { text: LONG_END_NO_TS.slice(0, PART), recordTime: Date.parse('2026-10-01T00:00:07Z'), line: 1, unfinished: "only its first record of a line the container runtime split, line 1: the stream's next record is 60 s later: the rest of the line never came" },
      { text: RUN_START, recordTime: Date.parse('2026-10-01T00:01:07Z'), line: 2 },
    ]);
  });

  it('takes a record of Docker\'s shape without its line end, shorter than the 16 KiB Docker cuts parts at, for a whole line', () => {
    // Prepare: two lines whose shipper stripped the line end (as Fluent Bit does), a minute apart
    const lines = [docker(RUN_START, '2026-10-01T00:00:07Z', 'stdout', false), docker(RUN_END_NO_TS, '2026-10-01T00:01:07Z', 'stdout', false)];
    // Act
    const joined = joinAll(lines);
    // Assess: neither is taken for a part of the other
    expect(joined).toEqual([
      { text: RUN_START, recordTime: Date.parse('2026-10-01T00:00:07Z'), line: 1 },
      { text: RUN_END_NO_TS, recordTime: Date.parse('2026-10-01T00:01:07Z'), line: 2 },
    ]);
    expect(containerRecord(docker(LONG_END_NO_TS.slice(0, PART), '2026-10-01T00:00:07Z', 'stdout', false))?.partial).toBe(true);
  });

  it('takes a Docker-shaped record without its line end and over the 16 KiB Docker cuts parts at for a whole line, not a part', () => {
    // Prepare: a 20 KiB run.end a shipper joined and stripped of its line end, then a run.start 0.1 s later on the same stream
    const longEnd = JSON.stringify({ type: 'run.end', job: 'n', run_id: 'r1', exit_code: 0, note: 'x'.repeat(20 * 1024) });
    const lines = [docker(longEnd, '2026-10-01T00:00:07Z', 'stdout', false), docker(RUN_START, '2026-10-01T00:00:07.1Z')];
    // Act
    const joined = joinAll(lines);
    // Assess: each is a line of its own, the run.start not swallowed
    expect(joined).toEqual([
      { text: longEnd, recordTime: Date.parse('2026-10-01T00:00:07Z'), line: 1 },
      { text: RUN_START, recordTime: Date.parse('2026-10-01T00:00:07.1Z'), line: 2 },
    ]);
  });

  it.each([
    ['exactly 16 KiB', 'x'.repeat(PART), true],
    ['16 KiB and the 12 bytes more of a 4-byte character cut at each end, as replacement characters', `\ufffd\ufffd${'x'.repeat(PART - 6)}\ufffd\ufffd\ufffd\ufffd`, true],
    ['one byte short of 16 KiB', 'x'.repeat(PART - 1), false],
    ['more than a cut character could add to 16 KiB', 'x'.repeat(PART + 13), false],
  ])('takes a Docker-shaped record without its line end for a part only when its log is the bytes Docker cuts a part at: %s', (_name, log, partial) => {
    // Prepare
    const line = docker(log, '2026-10-01T00:00:07Z', 'stdout', false);
    // Act
    const record = containerRecord(line);
    // Assess
    expect(record?.partial).toBe(partial);
  });

  it("breaks off a split line when its stream's next record is seconds earlier: a clock step back, not the rest", () => {
    // Prepare: a run.end's first CRI part, then an hour earlier by the stream's clock a run.start
    const lines = [`2026-10-01T01:00:07Z stdout P ${LONG_END_NO_TS.slice(0, PART)}`, `2026-10-01T00:00:07Z stdout F ${RUN_START}`];
    // Act
    const joined = joinAll(lines);
    // Assess: the part is handed on unfinished first, then the run.start whole
    expect(joined).toEqual([
      { text: LONG_END_NO_TS.slice(0, PART), recordTime: Date.parse('2026-10-01T01:00:07Z'), line: 1, unfinished: "only its first record of a line the container runtime split, line 1: the stream's next record is 60 min earlier: the rest of the line never came" },
      { text: RUN_START, recordTime: Date.parse('2026-10-01T00:00:07Z'), line: 2 },
    ]);
  });

  it('joins a part that comes less than 2 s before the last of its line, as a runtime writes them nearly back to back', () => {
    // Prepare: a CRI P record, then its F 0.5 s earlier
    const lines = [`2026-10-01T00:00:07.5Z stdout P ${RUN_END_NO_TS.slice(0, 25)}`, `2026-10-01T00:00:07Z stdout F ${RUN_END_NO_TS.slice(25)}`];
    // Act
    const joined = joinAll(lines);
    // Assess
    expect(joined).toEqual([{ text: RUN_END_NO_TS, recordTime: Date.parse('2026-10-01T00:00:07.5Z'), line: 1 }]);
  });

  it('holds no unfinished line for a stream Docker never writes: each such record is handed on whole', () => {
    // Prepare: records of made-up streams whose log does not end its line, as a shipper may write them
    const lines = Array.from({ length: 3 }, (_, i) => JSON.stringify({ log: `part ${i}`, stream: `s${i}`, time: '2026-10-01T00:00:07Z' }));
    // Act
    const joined = joinAll(lines);
    // Assess: none is held open until the file ends
    expect(joined).toEqual(lines.map((text, i) => ({ text, line: i + 1 })));
  });

  it.each([
    ['docker-json.log', ['unrecognised', 'run.start nightly-export ne-01 @2026-10-01T02:00:01.000Z', 'unrecognised', 'run.end nightly-export ne-01 exit=1 @2026-10-01T02:04:10.123Z']],
    [
      'cri.log',
      [
        'unrecognised',
        'run.start report-builder rb-01 @2026-10-01T03:00:00.500Z',
        'run.start /usr/local/bin/rotate-reports.sh node-7:41:2026-10-01T03:00:01.000Z @2026-10-01T03:00:01.000Z',
        'unrecognised',
        'run.end report-builder rb-01 exit=2 @2026-10-01T03:07:30.000Z',
        'unrecognised',
      ],
    ],
  ])('reads the fixture %s: its split run.end whole', (file, expected) => {
    // Prepare
    const lines = fixtureLines(`containers/${file}`);
    // Act
    const outcomes = joinAll(lines).map((joined) => ('rejected' in joined ? { kind: 'rejected' as const, reason: joined.rejected } : parseLine(joined.text, ctx({ recordTime: joined.recordTime }))));
    // Assess
    expect(outcomes.map(summary)).toEqual(expected);
  });
});
