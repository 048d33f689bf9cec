import type { CloudWatchLogsEvent, Context } from 'aws-lambda';
import { invocationLimits } from '../core/commit-retry.ts';
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
  return async (event: CloudWatchLogsEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<IngestResponse> => {
    // A write that loses to another environment's is retried while the invocation has time; the
    // alerts not sent in it stay pending for the sweep.
    const report = await ingestDelivery(event, context ? { ...deps(), ...invocationLimits(context) } : deps());
    observe(report);
    return withFindingsCut(report);
  };
}

let cached: IngestDeps | undefined;
export const handler = createIngestHandler(() => (cached ??= buildAwsDeps()));
