import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Config } from '../lambdas/config.ts';
import { subscriptionFilterPattern } from '../lambdas/core/filter-pattern.ts';
import { AlertTopic } from './constructs/alert-topic.ts';
import { AuditFunction } from './constructs/audit-function.ts';
import { AuditTable } from './constructs/audit-table.ts';
import { FailureQueueDestination } from './constructs/failure-queue.ts';
import { MONTHLY_REPORT_SCHEDULE, MonthlyReport } from './constructs/report-function.ts';
import { accountPolicyEnabled, assertSelectionCriteriaFit, IngestAccountPolicy } from './constructs/account-policy.ts';
import { reportDueOf, SelfWatch } from './constructs/self-watch.ts';
import { KinesisIngest, kinesisLogGroupsOf } from './constructs/kinesis-ingest.ts';
import { assertRoutedOnce, ingestReservedConcurrencyFromContext, kinesisLogGroupsFromContext } from './deploy-context.ts';
import { INGEST_V8_FLAGS } from './node-options.ts';

const INGEST_ENTRY = fileURLToPath(new URL('../lambdas/handlers/ingest.ts', import.meta.url));
const SWEEP_ENTRY = fileURLToPath(new URL('../lambdas/handlers/sweep.ts', import.meta.url));
/** How often the sweep judges absence: a missed run is seen at most this long after its grace time. */
export const SWEEP_RATE = Duration.minutes(5);
/** How long the ingest failure queue keeps a message (the SQS maximum): then it is deleted, unredriven or not. */
const INGEST_FAILURES_RETENTION = Duration.days(14);
/** The age of the failure queue's oldest message that warns again, leaving 4 days to redrive it. */
const INGEST_FAILURES_EXPIRING_AGE = Duration.days(10);

export interface SilentAuditStackProps extends StackProps {
  /** The validated config; it drives the subscriptions and is compiled into the functions. */
  readonly config: Config;
  /**
   * Log groups to subscribe besides the config's `deploy.log_groups`.
   * @default - none
   */
  readonly logGroups?: readonly string[];
  /**
   * Alert addresses besides the config's `deploy.alert_emails`.
   * @default - none
   */
  readonly alertEmails?: readonly string[];
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** A construct id per log group name that stays put when the list changes and cannot collide. */
function subscriptionId(logGroupName: string): string {
  const readable = logGroupName.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const digest = createHash('sha256').update(logGroupName).digest('hex').slice(0, 8);
  return `Logs-${readable}-${digest}`;
}

/**
 * The deployed pipeline: subscribed log groups feed the ingest function, which keeps state and
 * findings in one table and alerts through one topic. Invocations that still fail after their
 * retries land in a queue; alarms on that queue alert through the same topic when a message arrives
 * and again before SQS deletes it.
 */
export class SilentAuditStack extends Stack {
  readonly table: AuditTable;
  readonly alerts: AlertTopic;
  readonly ingest: AuditFunction;
  readonly ingestFailures: sqs.Queue;
  /** The failure queue's key: its messages hold log batches before redaction. */
  readonly ingestFailuresKey: kms.Key;
  /** Judges absence (missed and unfinished runs) on a schedule and drains the alert outbox. */
  readonly sweep: AuditFunction;
  /** The monthly 5 Cs audit report: function, schedule and bucket. */
  readonly report: MonthlyReport;
  /** The log groups subscribed to the ingest function, config first. */
  readonly subscribedLogGroups: readonly string[];
  /** The alarms on the pipeline itself (errors, throttles, heartbeat, sweep and report not running). */
  readonly selfWatch: SelfWatch;
  /** The account-level subscription filter policy, when `deploy.account_policy` or `-c accountPolicy=true`. */
  readonly accountPolicy?: IngestAccountPolicy;
  /** High-volume log groups through a Kinesis stream, when `deploy.kinesis_log_groups` or `-c kinesisLogGroups` names any. */
  readonly kinesisIngest?: KinesisIngest;

  constructor(scope: Construct, id: string, props: SilentAuditStackProps) {
    super(scope, id, props);
    const { config } = props;
    const alarmNamePrefix = `${this.stackName}-`;

    this.table = new AuditTable(this, 'State');
    this.alerts = new AlertTopic(this, 'Alerts', {
      emails: unique([...config.deploy.alert_emails, ...(props.alertEmails ?? [])]),
      alarmNamePrefix,
    });

    // A message there is Lambda's invocation record, holding the CloudWatch batch as it came, before
    // redaction: its own customer-managed key, as the Kinesis stream's raw lines have.
    this.ingestFailuresKey = new kms.Key(this, 'IngestFailuresKey', {
      description: 'silent-audit ingest failure queue',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.ingestFailures = new sqs.Queue(this, 'IngestFailures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.ingestFailuresKey,
      dataKeyReuse: Duration.hours(24),
      enforceSSL: true,
      retentionPeriod: INGEST_FAILURES_RETENTION,
    });
    Validations.of(this.ingestFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the ingest function; its messages are inspected and redriven by hand, and an alarm fires when one arrives.',
    });

    this.ingest = new AuditFunction(this, 'Ingest', {
      entry: INGEST_ENTRY,
      config,
      description: 'silent-audit: reads subscribed log lines, runs the detectors, stores state and findings, alerts',
      onFailure: new FailureQueueDestination(this.ingestFailures),
      retryAttempts: 2,
      v8Flags: INGEST_V8_FLAGS,
      // None by default: a delivery over the cap is throttled, retried from Lambda's async queue for up to 6 hours, then sent to the failure queue (docs/alerts-and-operations.md).
      reservedConcurrentExecutions: ingestReservedConcurrencyFromContext(this),
    })
      .bindTable(this.table)
      .bindTopic(this.alerts);

    this.sweep = new AuditFunction(this, 'Sweep', {
      entry: SWEEP_ENTRY,
      config,
      description: 'silent-audit: judges missed and unfinished runs against the stored state, delivers pending alerts',
    })
      .bindTable(this.table)
      .bindTopic(this.alerts);
    new events.Rule(this, 'SweepSchedule', {
      description: 'Runs the silent-audit sweep',
      schedule: events.Schedule.rate(SWEEP_RATE),
      targets: [new targets.LambdaFunction(this.sweep, { retryAttempts: 2 })],
    });

    this.report = new MonthlyReport(this, 'MonthlyReport', { config, table: this.table, alerts: this.alerts, alarmNamePrefix });

    this.subscribedLogGroups = unique([...config.deploy.log_groups, ...(props.logGroups ?? [])]);
    const filterPattern = logs.FilterPattern.literal(subscriptionFilterPattern());
    const destination = new LambdaDestination(this.ingest);
    for (const logGroupName of this.subscribedLogGroups) {
      const source = logs.LogGroup.fromLogGroupName(this, subscriptionId(logGroupName), logGroupName);
      new logs.SubscriptionFilter(source, 'ToIngest', { logGroup: source, destination, filterPattern });
    }

    const failuresAlarm = new cloudwatch.Alarm(this, 'IngestFailuresAlarm', {
      alarmName: `${alarmNamePrefix}ingest-failures`,
      alarmDescription: 'Log batches failed ingest after all retries and wait in the ingest failure queue: findings may be missing.',
      metric: this.ingestFailures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    failuresAlarm.addAlarmAction(new SnsAction(this.alerts.topic));
    // ingest-failures notifies once, on its way to ALARM; without a second warning a message left
    // there would be deleted at the end of its retention, the alarm returning to OK with no word.
    const expiringAlarm = new cloudwatch.Alarm(this, 'IngestFailuresExpiringAlarm', {
      alarmName: `${alarmNamePrefix}ingest-failures-expiring`,
      alarmDescription: `A message has waited ${INGEST_FAILURES_EXPIRING_AGE.toDays()} days in the ingest failure queue: SQS deletes it, and its log lines are lost, at ${INGEST_FAILURES_RETENTION.toDays()} days. Redrive it now (docs/reliability.md, Redriving the ingest failure queue).`,
      metric: this.ingestFailures.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(15), statistic: 'Maximum' }),
      threshold: INGEST_FAILURES_EXPIRING_AGE.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    expiringAlarm.addAlarmAction(new SnsAction(this.alerts.topic));

    const withAccountPolicy = accountPolicyEnabled(this, config);
    // Before the account policy lists the stack's own log groups: the Kinesis consumer's is one of them.
    const kinesisFromContext = kinesisLogGroupsFromContext(this);
    const kinesisLogGroups = kinesisLogGroupsOf(config, kinesisFromContext);
    assertRoutedOnce(config, { logGroups: props.logGroups ?? [], kinesisLogGroups: kinesisFromContext, accountPolicy: withAccountPolicy });
    if (kinesisLogGroups.length > 0) {
      this.kinesisIngest = new KinesisIngest(this, 'KinesisIngest', {
        config,
        logGroups: kinesisLogGroups,
        table: this.table,
        alerts: this.alerts,
        failureQueue: this.ingestFailures,
        filterPattern: subscriptionFilterPattern(),
        alarmNamePrefix,
      });
    }
    const ownLogGroups = this.node.findAll().flatMap((c) => (c instanceof AuditFunction ? [c.logGroup] : []));
    const excluded = config.deploy.account_policy_excluded_log_groups;
    assertSelectionCriteriaFit(config, { accountPolicy: withAccountPolicy, ownLogGroups: ownLogGroups.length });
    if (withAccountPolicy) {
      this.accountPolicy = new IngestAccountPolicy(this, 'AccountPolicy', { destination: this.ingest, filterPattern: subscriptionFilterPattern(), ownLogGroups, excludedLogGroupNames: excluded });
    }
    this.selfWatch = new SelfWatch(this, 'SelfWatch', {
      alerts: this.alerts,
      alarmNamePrefix,
      ingest: this.ingest,
      sweep: this.sweep,
      heartbeatHours: this.subscribedLogGroups.length > 0 || withAccountPolicy || kinesisLogGroups.length > 0 ? config.deploy.heartbeat_hours : undefined,
      reportFunction: this.report.function,
      reportDue: reportDueOf(MONTHLY_REPORT_SCHEDULE),
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'State, findings and run records' });
    new CfnOutput(this, 'TopicArn', { value: this.alerts.topicArn, description: 'Alerts topic' });
    new CfnOutput(this, 'IngestFunctionName', { value: this.ingest.functionName, description: 'Ingest function' });
    new CfnOutput(this, 'SweepFunctionName', { value: this.sweep.functionName, description: 'Sweep function (absence, outbox)' });
    new CfnOutput(this, 'ReportFunctionName', { value: this.report.function.functionName, description: 'Monthly report function (invoke with {"month": "YYYY-MM"})' });
    new CfnOutput(this, 'ReportBucketName', { value: this.report.reports.bucketName, description: 'Monthly reports, under reports/YYYY-MM/' });
    new CfnOutput(this, 'IngestFailureQueueUrl', { value: this.ingestFailures.queueUrl, description: 'Ingest invocations that failed all retries' });
  }
}
