import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CfnOutput, CfnResource, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type Config, ConfigError, configErrorAt } from '../lambdas/config.ts';
import { subscriptionFilterPattern } from '../lambdas/core/filter-pattern.ts';
import { AlertTopic } from './constructs/alert-topic.ts';
import { AuditFunction } from './constructs/audit-function.ts';
import { AuditTable } from './constructs/audit-table.ts';
import { FailureQueueDestination } from './constructs/failure-queue.ts';
import { MONTHLY_REPORT_SCHEDULE, MonthlyReport } from './constructs/report-function.ts';
import { ACCOUNT_POLICY_CONTEXT_KEY, accountPolicyEnabled, allowLogsToInvoke, assertSelectionCriteriaFit, IngestAccountPolicy } from './constructs/account-policy.ts';
import { reportDueOf, SelfWatch } from './constructs/self-watch.ts';
import { KinesisIngest, kinesisLogGroupsOf } from './constructs/kinesis-ingest.ts';
import { assertRoutedOnce, DEPLOY_CONTEXT_KEYS, ingestReservedConcurrencyFromContext, kinesisLogGroupsFromContext } from './deploy-context.ts';
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

/** The addresses, each once: an e-mail address is one mailbox in any case (`Oncall@Example.com` is `oncall@example.com`), the first spelling kept. */
function uniqueEmails(addresses: readonly string[]): string[] {
  const byMailbox = new Map<string, string>();
  for (const address of addresses) if (!byMailbox.has(address.toLowerCase())) byMailbox.set(address.toLowerCase(), address);
  return [...byMailbox.values()];
}

/** Resources CDK adds to the template at synth, past the constructor (`AWS::CDK::Metadata`). */
const RESOURCES_ADDED_AT_SYNTH = 1;

/** CloudFormation's resources per stack, as CDK checks them (its context `@aws-cdk/core:stackResourceLimit` may change it). */
function maxResources(stack: Stack): number {
  const limit: unknown = stack.node.tryGetContext('@aws-cdk/core:stackResourceLimit');
  return limit === undefined ? 500 : Number.parseInt(String(limit), 10);
}

/** The stack's CloudFormation resources so far. */
function resourceCount(stack: Stack): number {
  return stack.node.findAll().filter((c) => CfnResource.isCfnResource(c)).length;
}

/**
 * Refuses more log groups than the stack has room for (one subscription filter each, under
 * CloudFormation's resources per stack): a ConfigError at `deploy.log_groups` (file and line) when
 * the config lists some, else naming `-c logGroups`, that points to the account policy.
 */
function assertSubscriptionsFit(config: Config, contextLogGroups: readonly string[], logGroups: number, room: number): void {
  if (logGroups <= room) return;
  const fromContext = contextLogGroups.length > 0 ? ` (with -c ${DEPLOY_CONTEXT_KEYS.logGroups})` : '';
  const message =
    `${logGroups} log groups${fromContext} do not fit the stack: CloudFormation takes ${room} subscription filters at most beside the stack's other resources. ` +
    `Subscribe every log group of the account with deploy.account_policy (or -c ${ACCOUNT_POLICY_CONTEXT_KEY}=true) instead, or split the log groups between two deployments (deploy.stack_name)`;
  if (config.deploy.log_groups.length > 0) throw configErrorAt(config, [{ path: ['deploy', 'log_groups'], message }]);
  throw new ConfigError('cdk context', [`-c ${DEPLOY_CONTEXT_KEYS.logGroups}: ${message}`]);
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
      emails: uniqueEmails([...config.deploy.alert_emails, ...(props.alertEmails ?? [])]),
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

    // Last, so that the room left counts every other resource (and the permission, unless the account policy's is there).
    const permissionToAdd = this.accountPolicy ? 0 : 1;
    assertSubscriptionsFit(config, props.logGroups ?? [], this.subscribedLogGroups.length, maxResources(this) - RESOURCES_ADDED_AT_SYNTH - resourceCount(this) - permissionToAdd);
    this.subscribe(this.subscribedLogGroups);

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'State, findings and run records' });
    new CfnOutput(this, 'TopicArn', { value: this.alerts.topicArn, description: 'Alerts topic' });
    new CfnOutput(this, 'IngestFunctionName', { value: this.ingest.functionName, description: 'Ingest function' });
    new CfnOutput(this, 'SweepFunctionName', { value: this.sweep.functionName, description: 'Sweep function (absence, outbox)' });
    new CfnOutput(this, 'ReportFunctionName', { value: this.report.function.functionName, description: 'Monthly report function (invoke with {"month": "YYYY-MM"})' });
    new CfnOutput(this, 'ReportBucketName', { value: this.report.reports.bucketName, description: 'Monthly reports, under reports/YYYY-MM/' });
    new CfnOutput(this, 'IngestFailureQueueUrl', { value: this.ingestFailures.queueUrl, description: 'Ingest invocations that failed all retries' });
    if (this.kinesisIngest) {
      // What a CloudWatch Logs destination for other accounts names (README, Other accounts and regions).
      new CfnOutput(this, 'KinesisStreamArn', { value: this.kinesisIngest.stream.streamArn, description: 'Kinesis stream of the high-volume log groups: the target of a destination for other accounts' });
      new CfnOutput(this, 'KinesisKeyArn', { value: this.kinesisIngest.encryptionKey.keyArn, description: "The Kinesis stream's KMS key: a destination's role needs kms:GenerateDataKey on it" });
    }
  }

  /**
   * A subscription filter per log group to the ingest function, under ONE permission for CloudWatch
   * Logs to invoke it from this account's log groups (`allowLogsToInvoke`): the account policy's when
   * there is one, else `IngestInvokeFromLogs`.
   */
  private subscribe(logGroupNames: readonly string[]): void {
    if (logGroupNames.length === 0) return;
    const permission = this.accountPolicy?.permission ?? allowLogsToInvoke(this, 'IngestInvokeFromLogs', this.ingest);
    const filterPattern = subscriptionFilterPattern();
    for (const logGroupName of logGroupNames) {
      // The construct path the former logs.SubscriptionFilter had, so its logical id (and the deployed filter) stays.
      const filter = new logs.CfnSubscriptionFilter(new Construct(new Construct(this, subscriptionId(logGroupName)), 'ToIngest'), 'Resource', {
        logGroupName,
        destinationArn: this.ingest.functionArn,
        filterPattern,
      });
      // CloudWatch Logs checks that it may invoke the destination when the filter is created.
      filter.node.addDependency(permission);
    }
  }
}
