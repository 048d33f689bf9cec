import type { CloudWatchLogsEvent } from 'aws-lambda';
import { type IngestDeps, type IngestReport, ingestDelivery } from '../core/ingest.ts';
import { buildAwsDeps } from './aws-deps.ts';
import { powertoolsObserver } from './observability.ts';

/** Sees every delivery's report: logs and metrics in Lambda, a tally in the demo. */
export type IngestObserver = (report: IngestReport) => void;

/** The ingest Lambda: one CloudWatch Logs subscription delivery per invocation. */
export function createIngestHandler(deps: () => IngestDeps, observe: IngestObserver = powertoolsObserver) {
  return async (event: CloudWatchLogsEvent): Promise<IngestReport> => {
    const report = await ingestDelivery(event, deps());
    observe(report);
    return report;
  };
}

let cached: IngestDeps | undefined;
export const handler = createIngestHandler(() => (cached ??= buildAwsDeps()));
