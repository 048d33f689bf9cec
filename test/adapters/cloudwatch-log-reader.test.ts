import {
  AccessDeniedException,
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
  LimitExceededException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchReadError, type LogGroupEvent, readLogGroup } from '../../lambdas/adapters/cloudwatch-log-reader.ts';

const GROUP = '/aws/lambda/etl-loader';
const STREAM = '2026/10/05/[$LATEST]9f2c41d7e3b84a5c8d61f0a2b3c4d5e6';
const SINCE = Date.parse('2026-10-05T00:00:00Z');
const UNTIL = Date.parse('2026-10-06T00:00:00Z');

const cwl = mockClient(CloudWatchLogsClient);

/** A FilterLogEvents response as the service returns it. */
function page(events: Array<[number, string]>, nextToken?: string): FilterLogEventsCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    events: events.map(([timestamp, message], i) => ({ logStreamName: STREAM, timestamp, message, ingestionTime: timestamp + 40, eventId: `${timestamp}${String(i).padStart(4, '0')}` })),
    searchedLogStreams: [],
    nextToken,
  };
}

async function all(iterable: AsyncIterable<LogGroupEvent>): Promise<LogGroupEvent[]> {
  const out: LogGroupEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

const noWait = { sleep: async () => undefined };

beforeEach(() => {
  cwl.reset();
});

describe('readLogGroup: pagination', () => {
  it('follows nextToken across three pages, passing the window and the filter pattern on each call', async () => {
    // Prepare
    cwl
      .on(FilterLogEventsCommand)
      .resolvesOnce(page([[SINCE + 1000, 'START RequestId: a\n'], [SINCE + 2000, 'REPORT RequestId: a\tDuration: 5.00 ms\n']], 'token-2'))
      .resolvesOnce(page([], 'token-3'))
      .resolvesOnce(page([[SINCE + 3000, 'START RequestId: b\n']]));
    const client = new CloudWatchLogsClient({ region: 'eu-central-1' });
    // Act
    const events = await all(readLogGroup(client, { logGroup: GROUP, since: SINCE, until: UNTIL, filterPattern: '?"START RequestId"' }, noWait));
    // Assess
    expect(events.map((e) => e.message)).toEqual(['START RequestId: a\n', 'REPORT RequestId: a\tDuration: 5.00 ms\n', 'START RequestId: b\n']);
    expect(events[0]).toEqual({ timestamp: SINCE + 1000, message: 'START RequestId: a\n', logStream: STREAM, eventId: `${SINCE + 1000}0000` });
    const inputs = cwl.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { logGroupName: GROUP, startTime: SINCE, endTime: UNTIL, filterPattern: '?"START RequestId"', nextToken: undefined },
      { logGroupName: GROUP, startTime: SINCE, endTime: UNTIL, filterPattern: '?"START RequestId"', nextToken: 'token-2' },
      { logGroupName: GROUP, startTime: SINCE, endTime: UNTIL, filterPattern: '?"START RequestId"', nextToken: 'token-3' },
    ]);
  });

  it('yields each page in time order, as events of several streams may come interleaved', async () => {
    cwl.on(FilterLogEventsCommand).resolvesOnce(page([[SINCE + 3000, 'c'], [SINCE + 1000, 'a'], [SINCE + 2000, 'b']]));
    const events = await all(readLogGroup(new CloudWatchLogsClient({ region: 'eu-central-1' }), { logGroup: GROUP, since: SINCE }, noWait));
    expect(events.map((e) => e.message)).toEqual(['a', 'b', 'c']);
  });

  it('asks for the next page only when the events of this one are used up (one page in memory at a time)', async () => {
    // Prepare
    cwl
      .on(FilterLogEventsCommand)
      .resolvesOnce(page([[SINCE + 1000, 'a'], [SINCE + 2000, 'b']], 'token-2'))
      .resolvesOnce(page([[SINCE + 3000, 'c']]));
    const iterator = readLogGroup(new CloudWatchLogsClient({ region: 'eu-central-1' }), { logGroup: GROUP, since: SINCE }, noWait)[Symbol.asyncIterator]();
    // Act
    await iterator.next();
    await iterator.next();
    const callsAfterFirstPage = cwl.commandCalls(FilterLogEventsCommand).length;
    await iterator.next();
    // Assess
    expect(callsAfterFirstPage).toBe(1);
    expect(cwl.commandCalls(FilterLogEventsCommand)).toHaveLength(2);
  });

  it('stops when the service hands back the token it was given, rather than loop', async () => {
    cwl.on(FilterLogEventsCommand).resolvesOnce(page([[SINCE + 1000, 'a']], 'same')).resolves(page([], 'same'));
    const events = await all(readLogGroup(new CloudWatchLogsClient({ region: 'eu-central-1' }), { logGroup: GROUP, since: SINCE }, noWait));
    expect(events).toHaveLength(1);
    expect(cwl.commandCalls(FilterLogEventsCommand)).toHaveLength(2);
  });
});

describe('readLogGroup: throttling and errors', () => {
  const throttled = () => new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });

  it('retries throttling with exponential backoff and jitter, then goes on', async () => {
    // Prepare
    cwl
      .on(FilterLogEventsCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(new LimitExceededException({ message: 'Resource limit exceeded.', $metadata: {} }))
      .rejectsOnce(throttled())
      .resolvesOnce(page([[SINCE + 1000, 'a']]));
    const delays: number[] = [];
    const retry = { sleep: async (ms: number) => void delays.push(ms), random: () => 0.5, baseDelayMs: 400, maxDelayMs: 1000 };
    // Act
    const events = await all(readLogGroup(new CloudWatchLogsClient({ region: 'eu-central-1' }), { logGroup: GROUP, since: SINCE }, retry));
    // Assess: half (the jitter) of 400, 800, then 1600 capped at 1000
    expect(events.map((e) => e.message)).toEqual(['a']);
    expect(delays).toEqual([200, 400, 500]);
    expect(cwl.commandCalls(FilterLogEventsCommand)).toHaveLength(4);
  });

  it('gives up after maxAttempts, saying so', async () => {
    cwl.on(FilterLogEventsCommand).rejects(throttled());
    const reading = all(readLogGroup(new CloudWatchLogsClient({ region: 'eu-central-1' }), { logGroup: GROUP, since: SINCE }, { ...noWait, maxAttempts: 3 }));
    await expect(reading).rejects.toThrow(CloudWatchReadError);
    await expect(reading).rejects.toThrow(`log group ${GROUP}: still throttled after 3 attempts (ThrottlingException)`);
    expect(cwl.commandCalls(FilterLogEventsCommand)).toHaveLength(3);
  });

  it('does not retry other errors, and says what to fix', async () => {
    cwl.on(FilterLogEventsCommand).rejectsOnce(new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }));
    const missing = all(readLogGroup(new CloudWatchLogsClient({ region: 'eu-central-1' }), { logGroup: GROUP, since: SINCE }, noWait));
    await expect(missing).rejects.toThrow(`log group ${GROUP}: not found (check the name, and the region: AWS_REGION or your profile)`);
    expect(cwl.commandCalls(FilterLogEventsCommand)).toHaveLength(1);

    cwl.reset();
    cwl.on(FilterLogEventsCommand).rejectsOnce(new AccessDeniedException({ message: 'not authorized to perform: logs:FilterLogEvents', $metadata: {} }));
    const denied = all(readLogGroup(new CloudWatchLogsClient({ region: 'eu-central-1' }), { logGroup: GROUP, since: SINCE }, noWait));
    await expect(denied).rejects.toThrow(/access denied .*needs logs:FilterLogEvents/);
  });
});
