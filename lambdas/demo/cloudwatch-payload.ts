import { gunzipSync, gzipSync } from 'node:zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent, CloudWatchLogsLogEvent } from 'aws-lambda';
import type { DemoLogEvent, DemoMonth } from './generate-month.ts';
import { hashSeed } from './random.ts';

/**
 * Log events wrapped as CloudWatch Logs delivers them to a subscribed Lambda:
 * `{ awslogs: { data: base64(gzip(JSON)) } }`, one log stream per payload, in time order.
 */

export type DecodedPayload = CloudWatchLogsDecodedData;

export interface SubscriptionOptions {
  /** @default 10_000 (CloudWatch's PutLogEvents cap) */
  readonly maxEventsPerBatch?: number;
  /** Uncompressed size of the whole decoded payload. @default 1_048_576 */
  readonly maxBatchBytes?: number;
  /** A batch covers at most this time from its first event to its last, as near-real-time delivery does. @default 60_000 */
  readonly maxBatchSpanMs?: number;
  /** @default '123456789012' */
  readonly owner?: string;
  /** @default 'silent-audit-ingest' */
  readonly filterName?: string;
  /** The sequence part of the first event id; by default derived from the group and stream names. */
  readonly idStart?: bigint;
}

export interface LogStreamEvents {
  readonly logGroup: string;
  readonly logStream: string;
  readonly events: readonly DemoLogEvent[];
}

export const DEFAULT_MAX_EVENTS_PER_BATCH = 10_000;
export const DEFAULT_MAX_BATCH_BYTES = 1_048_576;
export const DEFAULT_MAX_BATCH_SPAN_MS = 60_000;
export const DEMO_ACCOUNT = '123456789012';
export const DEMO_FILTER_NAME = 'silent-audit-ingest';

/** The text CloudWatch Logs sends when a subscription filter is created (captured from real payloads). */
export const CONTROL_MESSAGE_TEXT = 'CWL CONTROL MESSAGE: Checking health of destination Firehose.';

/**
 * A CloudWatch event id is 56 decimal digits: the event's timestamp in the bits above 144 and a
 * sequence below (e.g. 31953106606966983378809025079804211143289615424298221568 is 1432826855000
 * shifted left 144, plus a sequence). Ids of one stream, in time order, increase.
 */
const ID_TIMESTAMP_SHIFT = 144n;
const ID_SEQUENCE_LIMIT = 1n << ID_TIMESTAMP_SHIFT;

export function eventId(timestamp: number, sequence: bigint): string {
  return ((BigInt(timestamp) << ID_TIMESTAMP_SHIFT) | (sequence % ID_SEQUENCE_LIMIT)).toString();
}

function defaultIdStart(logGroup: string, logStream: string): bigint {
  return (BigInt(hashSeed(logGroup)) << 100n) | (BigInt(hashSeed(logStream)) << 64n);
}

interface Batch {
  /** The decoded payload's JSON, exactly as it is compressed. */
  readonly json: Buffer;
  readonly events: number;
  readonly lastTimestamp: number;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name}: expected a number above 0, got ${value}`);
  return value;
}

const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

function batchesOf(group: LogStreamEvents, opts: SubscriptionOptions = {}): Batch[] {
  const maxEvents = positive('maxEventsPerBatch', opts.maxEventsPerBatch ?? DEFAULT_MAX_EVENTS_PER_BATCH);
  const maxBytes = positive('maxBatchBytes', opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
  const maxSpan = opts.maxBatchSpanMs ?? DEFAULT_MAX_BATCH_SPAN_MS;
  const envelope: DecodedPayload = {
    messageType: 'DATA_MESSAGE',
    owner: opts.owner ?? DEMO_ACCOUNT,
    logGroup: group.logGroup,
    logStream: group.logStream,
    subscriptionFilters: [opts.filterName ?? DEMO_FILTER_NAME],
    logEvents: [],
  };
  // `logEvents` is the last key: a payload is the envelope up to `[`, the events joined by commas, and `]}`.
  const emptyJson = JSON.stringify(envelope);
  const open = Buffer.from(emptyJson.slice(0, -2));
  const envelopeBytes = open.length + CLOSE.length;

  const inOrder = group.events.every((e, i) => i === 0 || group.events[i - 1].timestamp <= e.timestamp);
  const ordered = inOrder ? group.events : [...group.events].sort((a, b) => a.timestamp - b.timestamp);
  let sequence = opts.idStart ?? defaultIdStart(group.logGroup, group.logStream);
  const batches: Batch[] = [];
  let parts: Buffer[] = [open];
  let count = 0;
  let firstTimestamp = 0;
  let lastTimestamp = 0;
  let bytes = envelopeBytes;

  const close = () => {
    if (count === 0) return;
    parts.push(CLOSE);
    batches.push({ json: Buffer.concat(parts, bytes), events: count, lastTimestamp });
    parts = [open];
    count = 0;
    bytes = envelopeBytes;
  };

  for (const event of ordered) {
    const logEvent: CloudWatchLogsLogEvent = { id: eventId(event.timestamp, sequence++), timestamp: event.timestamp, message: event.message };
    const json = Buffer.from(JSON.stringify(logEvent));
    if (envelopeBytes + json.length > maxBytes) {
      throw new RangeError(`an event of ${group.logGroup} at ${new Date(event.timestamp).toISOString()} takes ${json.length} bytes, more than maxBatchBytes (${maxBytes}) leaves after the envelope`);
    }
    const full = count >= maxEvents || bytes + (count > 0 ? 1 : 0) + json.length > maxBytes;
    const late = count > 0 && event.timestamp - firstTimestamp > maxSpan;
    if (full || late) close();
    if (count > 0) {
      parts.push(COMMA);
      bytes += 1;
    } else {
      firstTimestamp = event.timestamp;
    }
    parts.push(json);
    bytes += json.length;
    lastTimestamp = event.timestamp;
    count++;
  }
  close();
  return batches;
}

function encodeJson(json: string | Buffer): CloudWatchLogsEvent {
  return { awslogs: { data: gzipSync(json).toString('base64') } };
}

export function encodePayload(payload: DecodedPayload): CloudWatchLogsEvent {
  return encodeJson(JSON.stringify(payload));
}

/** One stream's events as the subscription payloads CloudWatch Logs would deliver, oldest first. */
export function toSubscriptionEvents(group: LogStreamEvents, opts?: SubscriptionOptions): CloudWatchLogsEvent[] {
  return batchesOf(group, opts).map((batch) => encodeJson(batch.json));
}

export function decodeSubscriptionEvent(event: CloudWatchLogsEvent): DecodedPayload {
  const text = gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8');
  const payload = JSON.parse(text) as DecodedPayload;
  if (typeof payload !== 'object' || payload === null || !Array.isArray(payload.logEvents) || typeof payload.messageType !== 'string') {
    throw new TypeError('not a CloudWatch Logs subscription payload: expected messageType and logEvents');
  }
  return payload;
}

/** What CloudWatch Logs sends to a destination when a subscription filter is created. */
export function controlMessage(opts: { timestamp?: number } = {}): CloudWatchLogsEvent {
  return encodePayload({
    messageType: 'CONTROL_MESSAGE',
    owner: 'CloudwatchLogs',
    logGroup: '',
    logStream: '',
    subscriptionFilters: [],
    logEvents: [{ id: '', timestamp: opts.timestamp ?? Date.UTC(2026, 9, 1), message: CONTROL_MESSAGE_TEXT }],
  });
}

export interface Delivery {
  /** When CloudWatch hands the batch over: its last event's time. */
  readonly deliverAt: number;
  readonly event: CloudWatchLogsEvent;
  readonly logGroup: string;
  readonly logStream: string;
  /** Log events in the batch. */
  readonly lines: number;
}

/** Every stream's batches of a demo month, merged in delivery order, to feed a handler in time order. */
export function monthToDeliveries(month: Pick<DemoMonth, 'logGroups'>, opts: Omit<SubscriptionOptions, 'idStart'> = {}): Delivery[] {
  const deliveries: Delivery[] = [];
  for (const group of month.logGroups) {
    for (const batch of batchesOf(group, opts)) {
      deliveries.push({ deliverAt: batch.lastTimestamp, event: encodeJson(batch.json), logGroup: group.logGroup, logStream: group.logStream, lines: batch.events });
    }
  }
  // Stable: batches of one stream keep their order when their last events share a millisecond.
  return deliveries.sort((a, b) => a.deliverAt - b.deliverAt || a.logGroup.localeCompare(b.logGroup) || a.logStream.localeCompare(b.logStream));
}
