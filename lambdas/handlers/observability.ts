import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { IngestReport } from '../core/ingest.ts';

const logger = new Logger({ serviceName: 'silent-audit' });
const metrics = new Metrics({ namespace: 'SilentAudit', serviceName: 'silent-audit' });

/** Structured logs (Powertools Logger) and EMF metrics (Powertools Metrics) for one delivery. */
export function powertoolsObserver(report: IngestReport): void {
  metrics.addMetric('LinesParsed', MetricUnit.Count, report.counts.lines);
  metrics.addMetric('LinesRejected', MetricUnit.Count, report.counts.rejected);
  metrics.addMetric('LinesUnrecognised', MetricUnit.Count, report.counts.unrecognised);
  metrics.addMetric('Findings', MetricUnit.Count, report.findings.length);
  metrics.addMetric('AlertsSent', MetricUnit.Count, report.alerts.sent);
  metrics.addMetric('AlertsFailed', MetricUnit.Count, report.alerts.failed);
  if (report.status === 'payload-rejected') metrics.addMetric('PayloadsRejected', MetricUnit.Count, 1);
  if (report.batchLagMs !== undefined) metrics.addMetric('BatchLag', MetricUnit.Milliseconds, report.batchLagMs);
  metrics.publishStoredMetrics();
  for (const r of report.rejections) logger.warn('line rejected', { where: r.where, reason: r.reason });
  logger.info('batch processed', {
    status: report.status,
    logGroup: report.logGroup,
    ...report.counts,
    findings: report.findings.length,
    alertsSent: report.alerts.sent,
    alertsFailed: report.alerts.failed,
    alertErrors: report.alerts.errors,
  });
}
