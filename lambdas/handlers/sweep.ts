import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricsServiceName } from '../config.ts';
import { runSweep, type SweepDeps, type SweepReport } from '../core/sweep.ts';
import { invocationLimits, retryWithin } from '../core/commit-retry.ts';
import { buildAwsDeps } from './aws-deps.ts';
import { addAlertMetrics } from './observability.ts';
import { type CutResponse, withFindingsCut } from './response.ts';

const logger = new Logger({ serviceName: metricsServiceName() });
const metrics = new Metrics({ namespace: 'SilentAudit', serviceName: metricsServiceName() });
/** Of the sweep's 60 s: what the agent roots and the alert delivery are left at least. */
const RESERVED_FOR_DELIVERY_MS = 20_000;

/**
 * The sweep Lambda, on an EventBridge rate schedule: absence judged against the stored state. It
 * returns its report with the findings cut as ingest's are (a sweep after an outage may judge
 * thousands of missed runs: a response over Lambda's 6 MB would count as an error and be retried).
 */
export function createSweepHandler(deps: () => SweepDeps) {
  return async (_event?: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<CutResponse<SweepReport>> => {
    // Subjects stop being ticked, and a subject's write that keeps losing to ingest stops being
    // retried, while the agent roots and the alerts still fit in the time left; their own writes are
    // retried while the invocation has time. The agent roots and the delivery stop in turn with the time
    // kept to finish: the alerts not sent wait in the outbox for the next sweep, and the metrics go out.
    const limits = context
      ? {
          outOfTime: () => context.getRemainingTimeInMillis() < RESERVED_FOR_DELIVERY_MS,
          subjectsRetry: retryWithin(context, RESERVED_FOR_DELIVERY_MS),
          ...invocationLimits(context),
        }
      : {};
    const report = await runSweep({ ...deps(), ...limits });
    // The subjects judged: those left for lack of time are in SweepSubjectsLeft, not here.
    metrics.addMetric('SweepSubjects', MetricUnit.Count, report.subjects);
    // Above 0 when the fleet outgrew one invocation's time: a later sweep, starting elsewhere in the lists, takes the rest.
    // Kinds never listed have their subjects in neither count: SweepKindsLeft says so (sweep-incomplete watches both).
    metrics.addMetric('SweepSubjectsLeft', MetricUnit.Count, report.subjectsLeft);
    metrics.addMetric('SweepKindsLeft', MetricUnit.Count, report.kindsLeft);
    // Above 0 when a burst of alerts outran the invocation's time: the next sweep sends them (sweep-incomplete watches it too).
    metrics.addMetric('SweepAlertsLeft', MetricUnit.Count, report.alertsLeft);
    metrics.addMetric('SweepFindings', MetricUnit.Count, report.findings.length);
    metrics.addMetric('AlertsSent', MetricUnit.Count, report.alerts.sent);
    metrics.addMetric('AlertsFailed', MetricUnit.Count, report.alerts.failed);
    // A gauge, written every run (0 too): the alerts-failing alarm holds while it stays above 0.
    metrics.addMetric('AlertsAwaitingRetry', MetricUnit.Count, report.awaitingRetry);
    addAlertMetrics(metrics, report.alerts, report.findings);
    metrics.publishStoredMetrics();
    logger.info('sweep done', { subjects: report.subjects, subjectsLeft: report.subjectsLeft, kindsLeft: report.kindsLeft, findings: report.findings.length, alerts: report.alerts, awaitingRetry: report.awaitingRetry, alertsLeft: report.alertsLeft });
    return withFindingsCut(report);
  };
}

let cached: SweepDeps | undefined;
export const handler = createSweepHandler(() => (cached ??= buildAwsDeps()));
