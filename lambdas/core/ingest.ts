import type { Config } from '../config.ts';
import type { AlertSink, Clock, ExceptionStore, FindingStore, LineCounts, SnoozeRegistry, StateStore } from '../ports.ts';
import { type DeliveryResult, deliverAlerts } from './alerts.ts';
import { type CloudWatchLogsPayload, decodeCloudWatchPayload, functionNameOf, functionOfStream, PayloadError } from './envelope.ts';
import { registryForBatch } from './exception-registry.ts';
import type { Finding } from './findings.ts';
import { type BypassTally, tallyBypasses } from './guard-reducer.ts';
import { emptyCounts, LineTally, type Rejection } from './line-tally.ts';
import { cloudWatchEvents, EventLineJoiner, type JoinedEventLine, mayBeContainerRecord, outcomeOfJoined } from './parse/container.ts';
import { type DeliveredLine, parseDelivery } from './parse/index.ts';
import type { ParseOutcome } from './parse/types.ts';
import { StreamZones } from './parse/local-time.ts';
import type { CommitRetry } from './commit-retry.ts';
import { processBatch, type SubjectReducer } from './pipeline.ts';
import { REDUCERS } from './reducers.ts';
import { type Redactor, redactorFor } from './redact.ts';

export interface IngestDeps {
  readonly store: StateStore & FindingStore;
  readonly sink: AlertSink;
  readonly config: Config;
  readonly clock: Clock;
  readonly reducers?: readonly SubjectReducer<unknown>[];
  /** The guard-bypass exception registry; without it, the config's `exceptions` as they stand. */
  readonly exceptions?: ExceptionStore;
  /** Snoozes added with `silent-audit snooze add`; without it, only the config's `snoozes`. */
  readonly snoozes?: SnoozeRegistry;
  /** How a write that lost to a concurrent invocation is retried: for as long as the invocation has time (`retryWithin`). */
  readonly retry?: CommitRetry;
  /** How long the alert delivery may still start work (`deliveryTimeWithin`): out of it, the alerts not sent stay pending for the sweep. */
  readonly deliveryTimeLeft?: () => number;
}

export interface IngestReport {
  readonly status: 'processed' | 'control-message' | 'payload-rejected';
  readonly logGroup?: string;
  readonly counts: LineCounts;
  readonly rejections: readonly Rejection[];
  readonly findings: readonly Finding[];
  readonly alerts: DeliveryResult;
  /** now − the oldest event's time: how far behind the pipeline runs. */
  readonly batchLagMs?: number;
  readonly conflicts: number;
  /** Guard bypass lines in this delivery, per guard and per registered exception (absent when there were none). */
  readonly bypasses?: BypassTally;
}

const NO_ALERTS: DeliveryResult = { sent: 0, failed: 0, errors: [], suppressed: 0, snoozed: 0, summarized: 0 };

/** A delivery (or Kinesis record) refused whole: one rejection, no line read. */
export function payloadRejected(where: string, reason: string): IngestReport {
  return { status: 'payload-rejected', counts: { ...emptyCounts(), rejected: 1 }, rejections: [{ where, reason }], findings: [], alerts: NO_ALERTS, conflicts: 0 };
}

/**
 * One CloudWatch Logs subscription delivery through the whole pipeline: decode, parse each line
 * (a bad line is counted, never thrown), fold the events into subject state with findings, then
 * alert. A payload that cannot be decoded is refused whole and counted; retrying would not help.
 * Storage errors propagate, so that Lambda retries the delivery rather than losing it.
 */
export async function ingestDelivery(event: unknown, deps: IngestDeps): Promise<IngestReport> {
  let payload;
  try {
    payload = decodeCloudWatchPayload(event);
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    return payloadRejected('payload', redactorFor(deps.config).redactText(error.message));
  }
  if (payload.messageType === 'CONTROL_MESSAGE') {
    return { status: 'control-message', counts: emptyCounts(), rejections: [], findings: [], alerts: NO_ALERTS, conflicts: 0 };
  }

  return ingestPayloads([payload], deps);
}

/**
 * Every line of the given payloads through the pipeline as ONE batch (contract §6: one read and
 * one write per subject, however many payloads held its lines): parse with redaction, fold into
 * subject state with findings, then alert under the config's alert policy and snoozes.
 * A Lambda subscription brings one payload; a Kinesis invocation brings several.
 */
export async function ingestPayloads(payloads: readonly CloudWatchLogsPayload[], deps: IngestDeps): Promise<IngestReport> {
  const tally = new LineTally();
  const redactor = redactorFor(deps.config);
  const now = deps.clock.now();
  const reading = { now, redactor };
  let oldest = Number.POSITIVE_INFINITY;
  // The log streams a container runtime's records came in, each joining the lines it split across the batch's payloads.
  const joins = new Map<string, StreamJoin>();
  for (const { logGroup, logStream, logEvents } of payloads) {
    for (const logEvent of logEvents) if (logEvent.timestamp < oldest) oldest = logEvent.timestamp;
    const streamKey = `${logGroup}\n${logStream}`;
    let join = joins.get(streamKey);
    if (join === undefined && logEvents.some((e) => mayBeContainerRecord(e.message))) joins.set(streamKey, (join = new StreamJoin(logGroup, logStream)));
    if (join !== undefined) {
      readStreamLines(logGroup, logStream, join.add(logEvents), JOINED_LINES, reading, tally);
      continue;
    }
    // A payload holds one log stream, whose lines' zoneless times are judged together (parseDelivery).
    readStreamLines(logGroup, logStream, logEvents, PLAIN_EVENTS, reading, tally);
  }
  // Lines split over records of which the batch holds only the first: read as far as they got, as `scan` reads a file's last.
  for (const join of joins.values()) readStreamLines(join.logGroup, join.logStream, join.end(), JOINED_LINES, reading, tally);

  const exceptions = await registryForBatch(tally.events, deps.exceptions, deps.config, deps.clock);
  const batch = await processBatch(tally.events, deps.reducers ?? REDUCERS, deps.store, { config: deps.config, clock: deps.clock, exceptions }, deps.retry);
  tally.unrecognisedAfterAll(batch.otherFunctionLines?.length);
  // Older pending alerts are drained here only when this batch alerted anyway; the sweep drains the rest.
  const alerts = await deliverAlerts(batch.findings, deps.store, deps.sink, deps.clock, {
    drainLimit: batch.findings.length > 0 ? 50 : 0,
    config: deps.config,
    snoozes: deps.snoozes,
    records: batch.records,
    replayed: batch.replayed,
    retry: deps.retry,
    timeLeft: deps.deliveryTimeLeft,
  });
  const groups = [...new Set(payloads.map((p) => p.logGroup))];
  return {
    status: 'processed',
    logGroup: groups.length === 1 ? groups[0] : groups.length > 1 ? `${groups.length} log groups` : undefined,
    counts: tally.counts,
    rejections: tally.rejections,
    findings: batch.findings,
    alerts,
    batchLagMs: Number.isFinite(oldest) ? now - oldest : undefined,
    conflicts: batch.conflicts,
    bypasses: exceptions ? tallyBypasses(tally.events, exceptions) : undefined,
  };
}

type LogEvent = CloudWatchLogsPayload['logEvents'][number];

/** An event of a log stream: its id, its time, and its place in its payload. */
interface StreamEvent {
  readonly id: string;
  readonly timestamp: number;
  /** Its number in its payload, from 1: the line a rejection names with its id. */
  readonly line: number;
}

/** A line of a log stream as the joiner gives it, with the event it begins in. */
type StreamLine = JoinedEventLine<StreamEvent>;

/**
 * One log stream of a batch whose events may be a container runtime's records: its lines, those
 * the runtime split over several records (Docker's `json-file`, CRI's `P` records) joined as `scan`
 * joins a file's (`EventLineJoiner`: one stream of stdout and stderr apart, a line up to
 * MAX_LINE_BYTES, counted once, timed by its first record, named by the event it begins in),
 * across the payloads of the batch that hold the stream (a Kinesis batch brings several).
 */
class StreamJoin {
  private readonly joiner = new EventLineJoiner<StreamEvent>(cloudWatchEvents('the rest of the line is not in this delivery'));

  constructor(
    readonly logGroup: string,
    readonly logStream: string,
  ) {}

  /** The lines that a payload's events of the stream finish, in the order they finish. */
  add(logEvents: readonly LogEvent[]): StreamLine[] {
    const lines: StreamLine[] = [];
    logEvents.forEach((logEvent, index) => {
      lines.push(...this.joiner.add(logEvent.message, { id: logEvent.id, timestamp: logEvent.timestamp, line: index + 1 }));
    });
    return lines;
  }

  /** The lines still unfinished when the batch ends, as far as they got. */
  end(): StreamLine[] {
    return this.joiner.end();
  }
}

/**
 * What `readStreamLines` reads of a line of a log stream (`L`: an event as it came, or a line
 * joined from several), asked of the line itself: no line is wrapped to read it.
 */
interface StreamLineFields<L> {
  /** Its text, or undefined for a line rejected unread (`outcome` says why). */
  readonly text: (line: L) => string | undefined;
  /** Its record time, epoch ms. */
  readonly recordTime: (line: L) => number;
  /** The id of the event it begins in, which names it. */
  readonly eventId: (line: L) => string;
  /** That event's number in its payload, from 1; `index`: the line's among those read together. */
  readonly lineNo: (line: L, index: number) => number;
  /** Its outcome, from what parsing its text gave (undefined for a line rejected unread). */
  readonly outcome: (line: L, parsed: ParseOutcome | undefined) => ParseOutcome;
}

/** A payload's events, each a line as it is. */
const PLAIN_EVENTS: StreamLineFields<LogEvent> = {
  text: (e) => e.message,
  recordTime: (e) => e.timestamp,
  eventId: (e) => e.id,
  lineNo: (_, index) => index + 1,
  outcome: (_, parsed) => parsed as ParseOutcome,
};

/** A stream's joined lines: one joined too long is rejected unread; one unfinished says so in its rejection. */
const JOINED_LINES: StreamLineFields<StreamLine> = {
  text: ({ joined }) => ('rejected' in joined ? undefined : joined.text),
  recordTime: ({ joined, event }) => ('rejected' in joined ? undefined : joined.recordTime) ?? event.timestamp,
  eventId: ({ event }) => event.id,
  lineNo: ({ event }) => event.line,
  outcome: ({ joined }, parsed) => ('rejected' in joined ? { kind: 'rejected', reason: joined.rejected } : outcomeOfJoined(parsed as ParseOutcome, joined.unfinished)),
};

/** A log stream's lines parsed into `tally` as one delivery's (their zoneless times judged together), each named by its event. */
function readStreamLines<L>(logGroup: string, logStream: string, lines: readonly L[], fields: StreamLineFields<L>, opts: { readonly now: number; readonly redactor: Redactor }, tally: LineTally): void {
  // A custom log group's stream may name its function (`2026/10/05/hourly-sync[$LATEST]…`), as scan --log-group reads it.
  const defaultJob = functionNameOf(logGroup) ?? functionOfStream(logStream);
  const zones = new StreamZones();
  const read: DeliveredLine[] = [];
  lines.forEach((line, index) => {
    const text = fields.text(line);
    if (text === undefined) return;
    const source = { origin: logGroup, line: fields.lineNo(line, index), logStream, eventId: fields.eventId(line) };
    read.push({ text, ctx: { source, recordTime: fields.recordTime(line), now: opts.now, defaultJob, redactor: opts.redactor, zones } });
  });
  const outcomes = parseDelivery(read);
  let next = 0;
  for (const line of lines) {
    const parsed = fields.text(line) === undefined ? undefined : outcomes[next++];
    tally.add(fields.outcome(line, parsed), () => `${logGroup} ${logStream} event ${fields.eventId(line)}`);
  }
}
