import type { CloudWatchLogsEvent } from 'aws-lambda';
import { type IngestDeps, type IngestReport, ingestDelivery } from '../core/ingest.ts';
import { buildAwsDeps } from './aws-deps.ts';
import { powertoolsObserver } from './observability.ts';
import { type CutResponse, withFindingsCut } from './response.ts';

/** Sees every delivery's report: logs and metrics in Lambda, a tally in the demo. */
export type IngestObserver = (report: IngestReport) => void;

/** What an ingest invocation returns: its report with the findings cut to the first ones that fit. */
export type IngestResponse = CutResponse<IngestReport>;

/** The ingest Lambda: one CloudWatch Logs subscription delivery per invocation. */
export function createIngestHandler(deps: () => IngestDeps, observe: IngestObserver = powertoolsObserver) {
  return async (event: CloudWatchLogsEvent): Promise<IngestResponse> => {
    const report = await ingestDelivery(event, deps());
    observe(report);
    return withFindingsCut(report);
  };
}

let cached: IngestDeps | undefined;
export const handler = createIngestHandler(() => (cached ??= buildAwsDeps()));
