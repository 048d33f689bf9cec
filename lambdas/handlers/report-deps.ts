import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoExceptionStore } from '../adapters/dynamodb-exception-store.ts';
import { DynamoSnoozeStore } from '../adapters/dynamodb-snooze-store.ts';
import { DynamoAuditStore } from '../adapters/dynamodb-store.ts';
import { S3ReportPublisher } from '../adapters/s3-report-publisher.ts';
import { SnsReportNotifier } from '../adapters/sns-report-notifier.ts';
import { EnvError, metricsServiceName, readLambdaEnv } from '../config.ts';
import type { MonthlyReportResult, ReportDeps } from '../core/report/monthly-report.ts';
import { systemClock } from '../ports.ts';
import type { ReportRefusal } from './report.ts';

/** The report function's adapters, built once per cold start from the environment. */
export function buildReportDeps(env = readLambdaEnv()): ReportDeps {
  if (!env.reportBucket) throw new EnvError('REPORT_BUCKET is not set: the report function needs the bucket to write reports to');
  const dynamo = new DynamoDBClient({ endpoint: env.dynamoEndpoint, maxAttempts: 8 });
  // The retention it tells the report is the one the ingest and sweep functions write (the same config).
  const store = new DynamoAuditStore(dynamo, env.tableName, { runRetentionDays: env.config.deploy.run_retention_days });
  return {
    findings: store,
    runs: store,
    catalog: store,
    exceptions: new DynamoExceptionStore(dynamo, env.tableName, { states: store, redact: env.config.redact }),
    snoozes: new DynamoSnoozeStore(dynamo, env.tableName),
    config: env.config,
    clock: systemClock,
    publisher: new S3ReportPublisher(new S3Client({}), env.reportBucket),
    notifier: env.topicArn ? new SnsReportNotifier(new SNSClient({}), env.topicArn) : undefined,
  };
}

const logger = new Logger({ serviceName: metricsServiceName() });
const metrics = new Metrics({ namespace: 'SilentAudit', serviceName: metricsServiceName() });

/** One structured log line per published report. */
export function logReport(result: MonthlyReportResult): void {
  const s = result.report.summary;
  logger.info('monthly report published', {
    month: result.month,
    location: result.published.location,
    findings: s.findings.current,
    groups: s.groups,
    unknownSubjects: s.coverage.unknown,
    notified: result.notice !== undefined,
  });
}

/** A refused request: a warning, not an error (the caller mistyped the month), and `ReportRequestsRefused` counts it. */
export function logReportRefused(refusal: ReportRefusal): void {
  metrics.addMetric('ReportRequestsRefused', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  logger.warn('report request refused', { error: refusal.error, month: refusal.month });
}
