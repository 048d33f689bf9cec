import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { invocationLimits } from '../core/commit-retry.ts';
import type { IngestDeps } from '../core/ingest.ts';
import { type KinesisBatchResponse, type KinesisIngestResult, ingestKinesisBatch } from '../core/kinesis-ingest.ts';
import { buildAwsDeps } from './aws-deps.ts';
import type { IngestObserver } from './ingest.ts';
import { kinesisBatchObserver, logger, powertoolsObserver } from './observability.ts';

/** Where the consumer says why it fell back to one record at a time: the Powertools logger in Lambda. */
export interface WarningLog {
  warn(message: string, extra: Record<string, unknown>): void;
}

/** One warning per invocation whose merged batch failed: its error, and the record that failed alone, if one did. */
function logFallback(result: KinesisIngestResult, log: WarningLog): void {
  if (!result.fellBack) return;
  log.warn('kinesis batch failed as one batch; its records were processed one at a time', {
    error: result.fallbackError,
    records: result.records,
    ...(result.failedRecord ? { failedRecord: result.failedRecord.sequenceNumber, failedRecordError: result.failedRecord.error } : {}),
  });
}

/**
 * The Kinesis consumer: a batch of CloudWatch Logs payloads per invocation, as one batch of the
 * pipeline. A record it failed on is returned in `batchItemFailures`, not thrown, so Lambda's
 * `Errors` does not count it: `observeFailed` gets their number (the `KinesisRecordsFailed` metric).
 */
export function createKinesisIngestHandler(
  deps: () => IngestDeps,
  observe: IngestObserver = powertoolsObserver,
  log: WarningLog = logger,
  observeFailed: (failedRecords: number) => void = kinesisBatchObserver,
) {
  return async (event: KinesisStreamEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<KinesisBatchResponse> => {
    const result = await ingestKinesisBatch(event, context ? { ...deps(), ...invocationLimits(context) } : deps());
    logFallback(result, log);
    for (const report of result.reports) observe(report);
    observeFailed(result.response.batchItemFailures.length);
    return result.response;
  };
}

let cached: IngestDeps | undefined;
export const handler = createKinesisIngestHandler(() => (cached ??= buildAwsDeps()));
