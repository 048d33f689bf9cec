import type { CloudWatchLogsEvent } from 'aws-lambda';
import type { Finding } from '../core/findings.ts';
import { type IngestDeps, type IngestReport, ingestDelivery } from '../core/ingest.ts';
import { buildAwsDeps } from './aws-deps.ts';
import { powertoolsObserver } from './observability.ts';

/** Sees every delivery's report: logs and metrics in Lambda, a tally in the demo. */
export type IngestObserver = (report: IngestReport) => void;

/** At most this many findings in an invocation's response. */
export const MAX_RESPONSE_FINDINGS = 50;
/** ... and at most this many bytes of their JSON: a finding's evidence may hold up to 64 KiB. */
export const MAX_RESPONSE_FINDING_BYTES = 1_048_576;

/**
 * What an invocation returns: its report with the findings cut to the first ones that fit. Lambda
 * refuses a response over 6 MB as a function error, so a delivery of thousands of findings,
 * stored and alerted, would read as failed (a redrive loop stops there). Every finding is stored
 * in the table whatever the response holds.
 */
export interface IngestResponse extends Omit<IngestReport, 'findings'> {
  readonly findings: readonly Finding[];
  /** How many findings were left out of `findings` (0 when none). */
  readonly findingsLeftOut: number;
}

export function ingestResponse(report: IngestReport): IngestResponse {
  const findings: Finding[] = [];
  let bytes = 0;
  for (const finding of report.findings) {
    if (findings.length === MAX_RESPONSE_FINDINGS) break;
    bytes += Buffer.byteLength(JSON.stringify(finding)) + 1;
    if (bytes > MAX_RESPONSE_FINDING_BYTES) break;
    findings.push(finding);
  }
  return { ...report, findings, findingsLeftOut: report.findings.length - findings.length };
}

/** The ingest Lambda: one CloudWatch Logs subscription delivery per invocation. */
export function createIngestHandler(deps: () => IngestDeps, observe: IngestObserver = powertoolsObserver) {
  return async (event: CloudWatchLogsEvent): Promise<IngestResponse> => {
    const report = await ingestDelivery(event, deps());
    observe(report);
    return ingestResponse(report);
  };
}

let cached: IngestDeps | undefined;
export const handler = createIngestHandler(() => (cached ??= buildAwsDeps()));
