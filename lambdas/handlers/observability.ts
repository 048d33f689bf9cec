import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricsServiceName } from '../config.ts';
import type { DeliveryResult } from '../core/alerts.ts';
import type { Finding } from '../core/findings.ts';
import type { IngestReport } from '../core/ingest.ts';

/** The functions' structured logger (JSON lines in CloudWatch Logs). */
export const logger = new Logger({ serviceName: metricsServiceName() });
const metrics = new Metrics({ namespace: 'SilentAudit', serviceName: metricsServiceName() });

/**
 * What the alert policy did, and findings per detector (dimension `detector`), as EMF metrics:
 * `AlertsSuppressed` (cooldown, flapping, folded), `AlertsSnoozed` (snooze, maintenance window),
 * `AlertsSummarized` (beyond the storm cap), and `AlertsAbandoned` (alerts given up after their sends
 * failed for 14 days; a self-watch alarm fires on any). The caller publishes.
 */
export function addAlertMetrics(target: Metrics, alerts: DeliveryResult, findings: readonly Finding[]): void {
  target.addMetric('AlertsSuppressed', MetricUnit.Count, alerts.suppressed ?? 0);
  target.addMetric('AlertsSnoozed', MetricUnit.Count, alerts.snoozed ?? 0);
  target.addMetric('AlertsSummarized', MetricUnit.Count, alerts.summarized ?? 0);
  target.addMetric('AlertsAbandoned', MetricUnit.Count, alerts.abandoned ?? 0);
  const perDetector = new Map<string, number>();
  for (const f of findings) perDetector.set(f.detector, (perDetector.get(f.detector) ?? 0) + 1);
  for (const [detector, count] of [...perDetector].sort(([a], [b]) => a.localeCompare(b))) {
    target.singleMetric().addDimension('detector', detector).addMetric('Findings', MetricUnit.Count, count);
  }
}

/**
 * The Kinesis consumer's records it gave back to Lambda to retry (`batchItemFailures`), as the EMF
 * metric `KinesisRecordsFailed` (0 too): the handler returns them rather than throwing, so Lambda's
 * `Errors` stays 0 and only this shows the failure (the `kinesis-records-failed` alarm).
 */
export function kinesisBatchObserver(failedRecords: number): void {
  metrics.addMetric('KinesisRecordsFailed', MetricUnit.Count, failedRecords);
  metrics.publishStoredMetrics();
}

/**
 * Structured logs (Powertools Logger) and EMF metrics (Powertools Metrics) for one delivery:
 * `LinesParsed` (every line), `LinesRecognised` (read by a parser: the heartbeat's), `LinesRejected`,
 * `LinesUnrecognised`, `PayloadsRejected` (a delivery refused whole), and the alert counts.
 */
export function powertoolsObserver(report: IngestReport): void {
  metrics.addMetric('LinesParsed', MetricUnit.Count, report.counts.lines);
  // What the heartbeat counts: lines a parser read, not the rejected and unrecognised ones.
  metrics.addMetric('LinesRecognised', MetricUnit.Count, report.counts.eventLines + report.counts.nothingToJudge);
  metrics.addMetric('LinesRejected', MetricUnit.Count, report.counts.rejected);
  metrics.addMetric('LinesUnrecognised', MetricUnit.Count, report.counts.unrecognised);
  metrics.addMetric('Findings', MetricUnit.Count, report.findings.length);
  metrics.addMetric('AlertsSent', MetricUnit.Count, report.alerts.sent);
  metrics.addMetric('AlertsFailed', MetricUnit.Count, report.alerts.failed);
  if (report.status === 'payload-rejected') metrics.addMetric('PayloadsRejected', MetricUnit.Count, 1);
  if (report.batchLagMs !== undefined) metrics.addMetric('BatchLag', MetricUnit.Milliseconds, report.batchLagMs);
  addAlertMetrics(metrics, report.alerts, report.findings);
  for (const [guard, count] of Object.entries(report.bypasses?.byGuard ?? {})) {
    metrics.singleMetric().addDimension('Guard', guard).addMetric('GuardBypasses', MetricUnit.Count, count);
  }
  for (const [exceptionId, count] of Object.entries(report.bypasses?.byException ?? {})) {
    metrics.singleMetric().addDimension('ExceptionId', exceptionId).addMetric('ExceptionBypasses', MetricUnit.Count, count);
  }
  metrics.publishStoredMetrics();
  for (const r of report.rejections) logger.warn('line rejected', { where: r.where, reason: r.reason });
  logger.info('batch processed', {
    status: report.status,
    logGroup: report.logGroup,
    ...report.counts,
    findings: report.findings.length,
    alertsSent: report.alerts.sent,
    alertsFailed: report.alerts.failed,
    alertsSuppressed: report.alerts.suppressed ?? 0,
    alertsSnoozed: report.alerts.snoozed ?? 0,
    alertsSummarized: report.alerts.summarized ?? 0,
    alertsAbandoned: report.alerts.abandoned ?? 0,
    alertsLeft: report.alerts.left ?? 0,
    alertErrors: report.alerts.errors,
  });
}
