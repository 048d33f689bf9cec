import { fileURLToPath } from 'node:url';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { Config } from '../../lambdas/config.ts';
import type { AlertTopic } from './alert-topic.ts';
import { AuditFunction } from './audit-function.ts';
import type { AuditTable } from './audit-table.ts';
import { ReportBucket, type ReportBucketProps } from './report-bucket.ts';

const REPORT_ENTRY = fileURLToPath(new URL('../../lambdas/handlers/report.ts', import.meta.url));

/** 06:00 UTC on the 1st of every month: the report for the month that just ended. */
export const MONTHLY_REPORT_SCHEDULE = 'cron(0 6 1 * ? *)';

// What reading the table takes: the report queries findings, run records and the subject catalog,
// and batch-reads states; it never writes, scans or deletes.
const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const TABLE_KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];

export interface MonthlyReportProps {
  /** The validated config, compiled into the function (owners, thresholds, exceptions). */
  readonly config: Config;
  /** The state table the report reads. */
  readonly table: AuditTable;
  /** The topic the report's summary is published to. */
  readonly alerts: AlertTopic;
  /**
   * When the report runs.
   * @default events.Schedule.expression(MONTHLY_REPORT_SCHEDULE)
   */
  readonly schedule?: events.Schedule;
  /**
   * Prefix of the alarm on failed report runs; the topic must admit alarms with it.
   * @default - no alarm
   */
  readonly alarmNamePrefix?: string;
  /** @default - see ReportBucketProps */
  readonly bucket?: ReportBucketProps;
}

/**
 * The monthly 5 Cs audit report: a function that reads the table (never writes it), writes
 * Markdown, HTML and JSON to the report bucket and announces them on the topic, run by an
 * EventBridge rule on the 1st of each month; an alarm tells the topic when a run fails.
 */
export class MonthlyReport extends Construct {
  readonly reports: ReportBucket;
  readonly function: AuditFunction;
  readonly schedule: events.Rule;
  readonly failuresAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: MonthlyReportProps) {
    super(scope, id);
    this.reports = new ReportBucket(this, 'Reports', props.bucket);

    this.function = new AuditFunction(this, 'Function', {
      entry: REPORT_ENTRY,
      config: props.config,
      description: 'silent-audit: the monthly 5 Cs audit report (Markdown, HTML, JSON to S3; summary to SNS)',
      memorySize: 512,
      timeout: Duration.minutes(5),
      retryAttempts: 2,
    }).bindTopic(props.alerts);
    this.function.addEnvironment('TABLE_NAME', props.table.tableName);
    this.function.addEnvironment('REPORT_BUCKET', this.reports.bucketName);
    grantTableRead(props.table, this.function);
    this.reports.grantReportReadWrite(this.function);
    const role = this.function.role;
    if (role) {
      const stack = Stack.of(this);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.reports.bucket.node.defaultChild as never)}.Arn>/reports/*]`,
        reason: 'The report function writes one object per format and month under reports/ and reads last month’s JSON back; the objects are named by month, so the grant covers the prefix, not one key.',
      });
    }

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Runs the silent-audit monthly report for the month that just ended',
      schedule: props.schedule ?? events.Schedule.expression(MONTHLY_REPORT_SCHEDULE),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(6) })],
    });

    if (props.alarmNamePrefix) {
      this.failuresAlarm = new cloudwatch.Alarm(this, 'FailuresAlarm', {
        alarmName: `${props.alarmNamePrefix}report-failures`,
        alarmDescription: 'The monthly audit report failed: no report was written for the month. Invoke the report function by hand once the cause is fixed.',
        metric: this.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.failuresAlarm.addAlarmAction(new SnsAction(props.alerts.topic));
    }
  }
}

/** Item reads and queries on the table and its indexes, with the key to decrypt them; nothing else. */
function grantTableRead(table: AuditTable, grantee: iam.IGrantable): iam.Grant {
  const items = iam.Grant.addToPrincipal({ grantee, actions: TABLE_READ_ACTIONS.filter((a) => a !== 'dynamodb:Query'), resourceArns: [table.table.tableArn] });
  const queries = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [table.table.tableArn, ...table.indexArns] });
  return items.combine(queries).combine(table.encryptionKey.grant(grantee, ...TABLE_KEY_READ_ACTIONS));
}
