import type { KinesisStreamEvent } from 'aws-lambda';
import type { IngestDeps } from '../core/ingest.ts';
import { type KinesisBatchResponse, ingestKinesisBatch } from '../core/kinesis-ingest.ts';
import { buildAwsDeps } from './aws-deps.ts';
import type { IngestObserver } from './ingest.ts';
import { powertoolsObserver } from './observability.ts';

/** The Kinesis consumer: a batch of CloudWatch Logs payloads per invocation, as one batch of the pipeline. */
export function createKinesisIngestHandler(deps: () => IngestDeps, observe: IngestObserver = powertoolsObserver) {
  return async (event: KinesisStreamEvent): Promise<KinesisBatchResponse> => {
    const result = await ingestKinesisBatch(event, deps());
    for (const report of result.reports) observe(report);
    return result.response;
  };
}

let cached: IngestDeps | undefined;
export const handler = createKinesisIngestHandler(() => (cached ??= buildAwsDeps()));
