import { describe, expect, it } from 'vitest';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { parseIsoTime, splitTimestampPrefix } from '../../lambdas/core/parse/timestamp-prefix.ts';
import { contextFor, summary } from './helpers.ts';

const RID = '3f1d5c2a-7b8e-4c19-9a6d-2e0f4b7c8d91';
const STREAM = '2026/10/05/[$LATEST]9f2c41d7e3b84a5c8d61f0a2b3c4d5e6';

describe('ISO-8601 times', () => {
  it.each([
    ['Z with milliseconds', '2026-10-03T06:00:01.123Z', false, '2026-10-03T06:00:01.123Z'],
    ['an offset with a colon and microseconds', '2026-10-05T13:00:00.123456+02:00', false, '2026-10-05T11:00:00.123Z'],
    ['an offset without a colon (journalctl -o short-iso)', '2026-11-25T00:47:02+0000', false, '2026-11-25T00:47:02.000Z'],
    ['a negative offset', '2026-10-05T22:30:00-07:00', false, '2026-10-06T05:30:00.000Z'],
    ['an offset of hours alone, as parseTime reads it in a ts', '2026-10-05T13:00:00.5+02', false, '2026-10-05T11:00:00.500Z'],
    ['a negative offset of hours alone', '2026-10-05T22:30:00-03', false, '2026-10-06T01:30:00.000Z'],
    ['an offset of hours alone at UTC', '2026-10-05T13:00:00+00', false, '2026-10-05T13:00:00.000Z'],
    ['offset minutes past 59, refused as parseTime refuses them', '2026-10-05T13:00:00+02:99', false, undefined],
    ['an offset of three digits', '2026-10-05T13:00:00+023', false, undefined],
    ["a space for the T, a comma before the fraction and +0000 (Python's logging, Powertools Logger)", '2026-10-05 13:00:01,120+0000', false, '2026-10-05T13:00:01.120Z'],
    ["a space for the T and microseconds (Python's isoformat(' '))", '2026-10-05 15:00:01.120123+02:00', false, '2026-10-05T13:00:01.120Z'],
    ['a space for the T and no offset, refused', '2026-10-05 13:00:01,120', false, undefined],
    ['no offset, read as UTC when asked', '2026-10-05T13:00:00', true, '2026-10-05T13:00:00.000Z'],
    ['no offset, refused otherwise', '2026-10-05T13:00:00', false, undefined],
    ['month 13', '2026-13-05T13:00:00Z', false, undefined],
    ['February 30', '2026-02-30T13:00:00Z', false, undefined],
    ['hour 24', '2026-10-05T24:00:00Z', false, undefined],
    ['not a time', 'yesterday', false, undefined],
  ])('%s', (_, text, assumeUtc, expected) => {
    const t = parseIsoTime(text, assumeUtc);
    expect(t === undefined ? undefined : new Date(t).toISOString()).toBe(expected);
  });
});

describe('a leading timestamp and log stream, as `aws logs tail` prints them (contract §1b)', () => {
  it('splits the timestamp and offers the message with and without the stream name', () => {
    expect(splitTimestampPrefix(`2026-10-05T13:00:01.934000+00:00 ${STREAM} END RequestId: ${RID}`)).toEqual({
      at: Date.parse('2026-10-05T13:00:01.934Z'),
      messages: [`${STREAM} END RequestId: ${RID}`, `END RequestId: ${RID}`],
    });
  });

  it('reads a leading time whose offset is hours alone (+02) at its own time, not refused', () => {
    // Prepare: Lambda's START line after a leading time 15:00:00.187 at +02, i.e. 13:00:00.187 UTC
    const line = `2026-10-05T15:00:00.187000+02 ${STREAM} START RequestId: ${RID} Version: $LATEST`;
    // Act
    const prefix = splitTimestampPrefix(line);
    const outcome = parseLine(line, contextFor('etl-loader.log', 1, { defaultJob: 'etl-loader' }));
    // Assess
    expect(prefix?.at).toBe(Date.parse('2026-10-05T13:00:00.187Z'));
    expect(summary(outcome)).toBe(`run.start etl-loader ${RID} @2026-10-05T13:00:00.187Z`);
  });

  it.each([
    ['--format detailed', `2026-10-05T13:00:00.187000+00:00 ${STREAM} START RequestId: ${RID} Version: $LATEST`, `run.start etl-loader ${RID} @2026-10-05T13:00:00.187Z`],
    ['--format short (UTC, no stream)', `2026-10-05T13:00:00 START RequestId: ${RID} Version: $LATEST`, `run.start etl-loader ${RID} @2026-10-05T13:00:00.000Z`],
    [
      "--format detailed around the function's own timeout line",
      `2026-10-05T16:00:03.004000+00:00 ${STREAM} 2026-10-05T16:00:03.004Z ${RID} Task timed out after 3.00 seconds`,
      `run.failed etl-loader ${RID} "timeout after 3.00 s" @2026-10-05T16:00:03.004Z`,
    ],
    [
      'a JSON platform record',
      `2026-10-05T16:00:00.174000+00:00 ${STREAM} {"time":"2026-10-05T16:00:00.174Z","type":"platform.start","record":{"requestId":"${RID}","version":"$LATEST"}}`,
      `run.start etl-loader ${RID} @2026-10-05T16:00:00.174Z`,
    ],
    [
      'a syslog line that the CloudWatch agent shipped',
      '2026-10-05T00:30:02.000000+00:00 i-0a1b2c3d4e5f60718 Oct  5 00:30:01 web1 CRON[20827]: (root) CMD (/usr/local/bin/backup.sh)',
      'run.start /usr/local/bin/backup.sh web1:20827:2026-10-05T00:30:01.000Z @2026-10-05T00:30:01.000Z',
    ],
    [
      'a cron tag after a stream name, which reads as ISO syslog: the stream name is taken for the host',
      '2026-10-05T00:30:01.250000+00:00 web1-syslog CRON[20827]: (root) CMD (/usr/local/bin/backup.sh)',
      'run.start /usr/local/bin/backup.sh web1-syslog:20827:2026-10-05T00:30:01.250Z @2026-10-05T00:30:01.250Z',
    ],
    [
      'a bare cron tag after --format short',
      '2026-10-05T00:30:01 CRON[20827]: (root) CMD (/usr/local/bin/backup.sh)',
      'run.start /usr/local/bin/backup.sh -:20827:2026-10-05T00:30:01.000Z @2026-10-05T00:30:01.000Z',
    ],
    ['a line of the function itself', `2026-10-05T13:00:00.702000+00:00 ${STREAM} 2026-10-05T13:00:00.702Z\t${RID}\tINFO\tloaded 12840 rows`, 'unrecognised'],
  ])('reads %s', (_, line, expected) => {
    // Act
    const outcome = parseLine(line, contextFor('etl-loader.log', 1, { defaultJob: 'etl-loader' }));
    // Assess
    expect(summary(outcome)).toBe(expected);
  });

  it.each([
    ['START', `2019-03-01T10:00:01.234000+00:00\t${STREAM}\tSTART RequestId: ${RID} Version: $LATEST`, `run.start etl-loader ${RID} @2019-03-01T10:00:01.234Z`],
    ['REPORT with Status: timeout', `2019-03-01T10:00:04.234000+00:00\t${STREAM}\tREPORT RequestId: ${RID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tStatus: timeout`, `run.failed etl-loader ${RID} "timeout" @2019-03-01T10:00:04.234Z`],
    ["a shipped syslog cron line after an instance's stream", '2019-03-01T10:00:01.234000+00:00\ti-0abc\tMar  1 10:00:01 host CRON[123]: (root) CMD (/usr/bin/backup)', 'run.start /usr/bin/backup host:123:2019-03-01T10:00:01.000Z @2019-03-01T10:00:01.000Z'],
  ])('reads %s after a time and a log stream name separated by tabs, not only spaces', (_, line, expected) => {
    // Act
    const outcome = parseLine(line, contextFor('etl-loader.log', 1, { defaultJob: 'etl-loader' }));
    // Assess
    expect(summary(outcome)).toBe(expected);
  });

  it("still lets instrumented JSON take its time from Lambda's console prefix", () => {
    const line = `2026-10-03T06:00:01.123Z\t${RID}\tINFO\t{"type":"run.start","job":"etl","run_id":"r-1"}`;
    const outcome = parseLine(line, contextFor('/aws/lambda/etl', 1));
    expect(summary(outcome)).toBe('run.start etl r-1 @2026-10-03T06:00:01.123Z');
  });

  it('reads instrumented JSON inside `aws logs tail` output, at the tail timestamp', () => {
    const line = `2026-10-05T13:00:01.500000+00:00 ${STREAM} {"type":"run.end","job":"etl","run_id":"r-1","exit_code":0}`;
    const outcome = parseLine(line, contextFor('etl.log', 1));
    expect(summary(outcome)).toBe('run.end etl r-1 exit=0 @2026-10-05T13:00:01.500Z');
  });

  it('reads an ISO-timestamped syslog line as syslog, not as a stream name', () => {
    const line = '2026-10-05T02:30:01.204113+02:00 web2 CRON[40390]: (root) CMD (/usr/local/bin/backup.sh)';
    expect(summary(parseLine(line, contextFor('syslog', 1)))).toBe('run.start /usr/local/bin/backup.sh web2:40390:2026-10-05T00:30:01.204Z @2026-10-05T00:30:01.204Z');
  });
});
