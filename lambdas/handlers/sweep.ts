import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { runSweep, type SweepDeps, type SweepReport } from '../core/sweep.ts';
import { buildAwsDeps } from './aws-deps.ts';
import { addAlertMetrics } from './observability.ts';
import { type CutResponse, withFindingsCut } from './response.ts';

const logger = new Logger({ serviceName: 'silent-audit' });
const metrics = new Metrics({ namespace: 'SilentAudit', serviceName: 'silent-audit' });

/**
 * The sweep Lambda, on an EventBridge rate schedule: absence judged against the stored state. It
 * returns its report with the findings cut as ingest's are (a sweep after an outage may judge
 * thousands of missed runs: a response over Lambda's 6 MB would count as an error and be retried).
 */
export function createSweepHandler(deps: () => SweepDeps) {
  return async (): Promise<CutResponse<SweepReport>> => {
    const report = await runSweep(deps());
    metrics.addMetric('SweepSubjects', MetricUnit.Count, report.subjects);
    metrics.addMetric('SweepFindings', MetricUnit.Count, report.findings.length);
    metrics.addMetric('AlertsSent', MetricUnit.Count, report.alerts.sent);
    metrics.addMetric('AlertsFailed', MetricUnit.Count, report.alerts.failed);
    // A gauge, written every run (0 too): the alerts-failing alarm holds while it stays above 0.
    metrics.addMetric('AlertsAwaitingRetry', MetricUnit.Count, report.awaitingRetry);
    addAlertMetrics(metrics, report.alerts, report.findings);
    metrics.publishStoredMetrics();
    logger.info('sweep done', { subjects: report.subjects, findings: report.findings.length, alerts: report.alerts, awaitingRetry: report.awaitingRetry });
    return withFindingsCut(report);
  };
}

let cached: SweepDeps | undefined;
export const handler = createSweepHandler(() => (cached ??= buildAwsDeps()));
