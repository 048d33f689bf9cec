import { readFileSync } from 'node:fs';
import { type CloudWatchLogsClientResolvedConfig, FilterLogEventsCommand, type FilterLogEventsCommandInput, ResourceNotFoundException, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsStub } from 'aws-sdk-client-mock';
import { lineMayMatter, subscriptionFilterPattern } from '../../lambdas/core/filter-pattern.ts';

/** One log event as it sits in a log group. */
export interface StoredLogEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly logStream: string;
  readonly eventId: string;
}

/** The log events of a captured subscription payload (test/fixtures/lambda/*.cloudwatch.json), as they sit in their log group. */
export function eventsOfPayload(path: string | URL): { logGroup: string; events: StoredLogEvent[] } {
  const payload = JSON.parse(readFileSync(path, 'utf8')) as { logGroup: string; logStream: string; logEvents: Array<{ id: string; timestamp: number; message: string }> };
  return { logGroup: payload.logGroup, events: payload.logEvents.map((e) => ({ timestamp: e.timestamp, message: e.message, logStream: payload.logStream, eventId: e.id })) };
}

/**
 * Answers FilterLogEvents from in-memory log groups as the service does: events in the time
 * window (both ends inclusive), those the subscription filter pattern passes (judged with the
 * same terms), in time order, `pageSize` per page with a nextToken; an unknown group is a
 * ResourceNotFoundException.
 */
export function serveLogGroups(stub: AwsStub<ServiceInputTypes, ServiceOutputTypes, CloudWatchLogsClientResolvedConfig>, groups: Record<string, readonly StoredLogEvent[]>, pageSize = 4): void {
  stub.on(FilterLogEventsCommand).callsFake((input: FilterLogEventsCommandInput) => {
    const events = groups[input.logGroupName ?? ''];
    if (!events) throw new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: { httpStatusCode: 400 } });
    if (input.filterPattern !== undefined && input.filterPattern !== subscriptionFilterPattern()) throw new Error(`this fake knows only the subscription filter pattern, not ${input.filterPattern}`);
    const matching = events
      .filter((e) => e.timestamp >= (input.startTime ?? 0) && e.timestamp <= (input.endTime ?? Number.MAX_SAFE_INTEGER))
      .filter((e) => input.filterPattern === undefined || lineMayMatter(e.message))
      .sort((a, b) => a.timestamp - b.timestamp);
    const offset = input.nextToken ? Number(input.nextToken.replace('page-', '')) : 0;
    const next = offset + pageSize < matching.length ? `page-${offset + pageSize}` : undefined;
    return {
      $metadata: { httpStatusCode: 200 },
      events: matching.slice(offset, offset + pageSize).map((e) => ({ logStreamName: e.logStream, timestamp: e.timestamp, message: e.message, ingestionTime: e.timestamp + 50, eventId: e.eventId })),
      searchedLogStreams: [],
      nextToken: next,
    };
  });
}

export interface InvocationSpec {
  /** Epoch ms of START. */
  readonly at: number;
  readonly durationMs: number;
  /** With output fields: the function logs contract §1a run lines (run_id = its request id), after Lambda's console prefix. */
  readonly output?: { readonly bytes: number; readonly head: string };
}

/**
 * The log events of Lambda invocations as CloudWatch holds them: `START`, the function's own
 * console lines, `END`, `REPORT` (text log format), one log stream per day.
 */
export function lambdaInvocations(fn: string, invocations: readonly InvocationSpec[]): StoredLogEvent[] {
  const events: StoredLogEvent[] = [];
  invocations.forEach((inv, n) => {
    const requestId = `${String(n).padStart(8, '0')}-7b8e-4c19-9a6d-${fn.length.toString(16).padStart(12, '0')}`;
    const day = new Date(inv.at).toISOString().slice(0, 10).replaceAll('-', '/');
    const logStream = `${day}/[$LATEST]9f2c41d7e3b84a5c8d61f0a2b3c4d5e6`;
    const end = inv.at + Math.ceil(inv.durationMs);
    const add = (timestamp: number, message: string) => events.push({ timestamp, message, logStream, eventId: `${timestamp}${String(events.length).padStart(6, '0')}` });
    const console = (timestamp: number, body: object) => add(timestamp, `${new Date(timestamp).toISOString()}\t${requestId}\tINFO\t${JSON.stringify(body)}\n`);
    add(inv.at, `START RequestId: ${requestId} Version: $LATEST\n`);
    if (inv.output) console(inv.at + 1, { type: 'run.start', job: fn, run_id: requestId });
    add(inv.at + 2, `${new Date(inv.at + 2).toISOString()}\t${requestId}\tINFO\texporting orders\n`);
    if (inv.output) {
      console(end - 1, { type: 'run.end', job: fn, run_id: requestId, exit_code: 0, duration_ms: inv.durationMs, output_bytes: inv.output.bytes, output_head: inv.output.head, output_tail: inv.output.head });
    }
    add(end, `END RequestId: ${requestId}\n`);
    add(end, `REPORT RequestId: ${requestId}\tDuration: ${inv.durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(inv.durationMs)} ms\tMemory Size: 512 MB\tMax Memory Used: 118 MB\t\n`);
  });
  return events;
}
