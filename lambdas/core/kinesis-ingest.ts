import { z } from 'zod';
import { type CommitRetry, RESERVED_MS } from './commit-retry.ts';
import { type CloudWatchLogsPayload, decodeCloudWatchPayload, PayloadError } from './envelope.ts';
import { type IngestDeps, type IngestReport, ingestPayloads, payloadRejected } from './ingest.ts';
import { EventLineJoiner, FILE_LINES, mayBeContainerRecord } from './parse/container.ts';
import { redactorFor } from './redact.ts';

/**
 * CloudWatch Logs → Kinesis Data Streams → this: each Kinesis record holds one subscription
 * payload (base64 of gzip of the same JSON a Lambda subscription receives). The records of one
 * invocation, from many log streams, are read as ONE batch: every line of every record is parsed,
 * the events are grouped per subject across records, and each subject's state is read once and
 * written once per invocation, however many records held its lines. That is what batching buys.
 */

/** The part of a Kinesis event this reads (strict: an event that is not one is refused whole). */
const KinesisEventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventSourceARN: z.string().optional(),
        kinesis: z.object({ data: z.string(), sequenceNumber: z.string().min(1), partitionKey: z.string(), approximateArrivalTimestamp: z.number().optional() }),
      }),
    )
    .min(1),
});

export type KinesisRecord = z.infer<typeof KinesisEventSchema>['Records'][number];

/** The response that lets Lambda retry from the first record not processed (`ReportBatchItemFailures`). */
export interface KinesisBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export class KinesisEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KinesisEventError';
  }
}

export interface KinesisIngestResult {
  readonly response: KinesisBatchResponse;
  /** One report for the whole batch; one per record (per `fallbackUnits` unit) when the batch had to be retried record by record. */
  readonly reports: readonly IngestReport[];
  readonly records: number;
  /**
   * Records refused whole (not a CloudWatch payload): counted, never retried. When a record failed
   * and Lambda retries from it, only those before it (the rest are counted in the retry).
   */
  readonly payloadsRejected: number;
  readonly controlMessages: number;
  /** Whether the merged batch failed and the records were then processed one by one. */
  readonly fellBack: boolean;
  /** Why the merged batch failed (redacted), when it fell back. */
  readonly fallbackError?: string;
  /**
   * The record Lambda retries from, and why (redacted): the one processed alone that failed too, or
   * the first the fallback had no time left to start (`FALLBACK_FLOOR_MS`).
   */
  readonly failedRecord?: { readonly sequenceNumber: string; readonly error: string };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function delivery(record: KinesisRecord): { awslogs: { data: string } } {
  return { awslogs: { data: record.kinesis.data } };
}

/**
 * What of an invocation's time (at its start) a write of the merged batch that keeps losing leaves
 * for the records one by one: half, not just the `RESERVED_MS` a lone payload's write leaves.
 */
const FALLBACK_SHARE = 0.5;
/** The records one by one start no record with less than this of the invocation left: its write's retry would find none. */
export const FALLBACK_FLOOR_MS = 2 * RESERVED_MS;

/** The merged batch's retry: as `retry`, but keeping `FALLBACK_SHARE` of the invocation's time for the fallback. */
function mergedRetry(retry: CommitRetry | undefined): CommitRetry | undefined {
  if (!retry?.remainingMs) return retry;
  return { ...retry, reservedMs: Math.max(retry.reservedMs ?? RESERVED_MS, FALLBACK_FLOOR_MS, retry.remainingMs() * FALLBACK_SHARE) };
}

/**
 * One invocation of the Kinesis consumer. The records are decoded and processed as one batch; if
 * that fails (storage, a conflict that kept recurring), they are processed again one by one, in
 * order (the records holding one split container line of a stream together), and the first one that fails is reported in `batchItemFailures`, so Lambda retries from
 * there (redelivery is harmless: runs already processed are recognised by id). A merged batch whose
 * writes keep losing gives up with half the time it began with left, and the fallback starts no record
 * under `FALLBACK_FLOOR_MS` left: it hands that one back instead, so the invocation answers before
 * its timeout (a timeout would retry the whole batch, bisected). Records that are
 * not CloudWatch payloads are counted and skipped, as the Lambda subscription refuses them.
 */
export async function ingestKinesisBatch(event: unknown, deps: IngestDeps): Promise<KinesisIngestResult> {
  const parsed = KinesisEventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KinesisEventError(`not a Kinesis stream event: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const records = parsed.data.Records;
  const payloads: Array<{ index: number; record: KinesisRecord; payload: CloudWatchLogsPayload }> = [];
  // Where each refused record and control message stands among the records (the fallback counts only those before the record Lambda retries from).
  const refused: Array<{ index: number; report: IngestReport }> = [];
  const controls: number[] = [];
  records.forEach((record, index) => {
    try {
      const payload = decodeCloudWatchPayload(delivery(record));
      if (payload.messageType === 'CONTROL_MESSAGE') controls.push(index);
      else payloads.push({ index, record, payload });
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      refused.push({ index, report: payloadRejected(`kinesis record ${record.kinesis.sequenceNumber} (partition key ${record.kinesis.partitionKey})`, redactorFor(deps.config).redactText(error.message)) });
    }
  });
  /** What the records before `end` (all of them by default) hold that is not processed: the rest are sent again and counted then. */
  const skipped = (end = records.length) => {
    const refusedBefore = refused.filter((r) => r.index < end).map((r) => r.report);
    return { reports: refusedBefore, counts: { records: records.length, payloadsRejected: refusedBefore.length, controlMessages: controls.filter((i) => i < end).length } };
  };
  try {
    const report = await ingestPayloads(payloads.map((p) => p.payload), { ...deps, retry: mergedRetry(deps.retry) });
    const all = skipped();
    return { ...all.counts, response: { batchItemFailures: [] }, reports: [...all.reports, report], fellBack: false };
  } catch (batchError) {
    // One by one, in order: what succeeds is kept; Lambda retries from the first failure on.
    const redact = (error: unknown) => redactorFor(deps.config).redactText(messageOf(error));
    const fallbackError = redact(batchError);
    const processed: IngestReport[] = [];
    /** Lambda retries from `record` on: refused records and control messages among them are counted then, not twice. */
    const handBack = (index: number, record: KinesisRecord, error: string): KinesisIngestResult => {
      const before = skipped(index);
      const failedRecord = { sequenceNumber: record.kinesis.sequenceNumber, error };
      return { ...before.counts, fellBack: true, fallbackError, response: { batchItemFailures: [{ itemIdentifier: record.kinesis.sequenceNumber }] }, reports: [...before.reports, ...processed], failedRecord };
    };
    // A line a container runtime split over records of one stream is joined only when they are read together: they go as one.
    for (const unit of fallbackUnits(payloads)) {
      const { index, record } = unit[0];
      const left = deps.retry?.remainingMs?.();
      if (left !== undefined && left < FALLBACK_FLOOR_MS) return handBack(index, record, `not processed: ${left} ms of the invocation left, under ${FALLBACK_FLOOR_MS}`);
      try {
        processed.push(await ingestPayloads(unit.map((p) => p.payload), deps));
      } catch (recordError) {
        return handBack(index, record, redact(recordError));
      }
    }
    const all = skipped();
    return { ...all.counts, fellBack: true, fallbackError, response: { batchItemFailures: [] }, reports: [...all.reports, ...processed] };
  }
}


/**
 * The records the fallback processes together, in order: one each, except that the records from
 * the one a log stream's split container line begins in to the one it ends in (and any between)
 * go as one, read as the merged batch reads them (ingestPayloads joins a stream's lines across
 * its payloads), so that the line is not cut at a record's end. When such a unit fails, Lambda
 * retries from its first record.
 */
export function fallbackUnits<T extends { readonly payload: CloudWatchLogsPayload }>(payloads: readonly T[]): T[][] {
  /** The last record each record must go with, when a split line begins in it and ends in a later one. */
  const reach = payloads.map((_, position) => position);
  const streams = new Map<string, EventLineJoiner<number>>();
  payloads.forEach(({ payload }, position) => {
    const key = `${payload.logGroup}\n${payload.logStream}`;
    let joiner = streams.get(key);
    // As ingestPayloads does: a stream joins from its first payload that may hold a container record.
    if (joiner === undefined && !payload.logEvents.some((e) => mayBeContainerRecord(e.message))) return;
    // Its records are the positions of the payloads that hold them (its wording unused: only where a line begins counts).
    if (joiner === undefined) streams.set(key, (joiner = new EventLineJoiner(FILE_LINES)));
    for (const logEvent of payload.logEvents) {
      for (const { event: first } of joiner.add(logEvent.message, position)) if (reach[first] < position) reach[first] = position;
    }
  });
  const units: T[][] = [];
  for (let start = 0; start < payloads.length; ) {
    let end = reach[start];
    for (let i = start + 1; i <= end; i++) end = Math.max(end, reach[i]);
    units.push(payloads.slice(start, end + 1));
    start = end + 1;
  }
  return units;
}
