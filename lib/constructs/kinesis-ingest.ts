import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config } from '../../lambdas/config.ts';
import type { AlertTopic } from './alert-topic.ts';
import { AuditFunction } from './audit-function.ts';
import type { AuditTable } from './audit-table.ts';
import { FailureQueueDlq } from './failure-queue.ts';
import { ANY_AT_ALL, serviceMetric, watchAlarm } from './self-watch.ts';

const KINESIS_ENTRY = fileURLToPath(new URL('../../lambdas/handlers/ingest-kinesis.ts', import.meta.url));

/** The CDK context key that routes more log groups through Kinesis: `-c kinesisLogGroups=/a,/b`. */
export const KINESIS_CONTEXT_KEY = 'kinesisLogGroups';

/** What CloudWatch Logs needs to deliver into the stream, and the one key action an encrypted put takes. */
const PUT_ACTIONS = ['kinesis:PutRecord', 'kinesis:PutRecords'];
const PUT_KEY_ACTIONS = ['kms:GenerateDataKey'];
/** What a Lambda event source mapping reads a stream with (no `SubscribeToShard`: no enhanced fan-out). */
const READ_ACTIONS = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'];
const READ_KEY_ACTIONS = ['kms:Decrypt'];

/** The log groups to feed through Kinesis: the config's `deploy.kinesis_log_groups`, then those of `-c kinesisLogGroups=…` (`kinesisLogGroupsFromContext`), each once. */
export function kinesisLogGroupsOf(config: Config, fromContext: readonly string[]): string[] {
  return [...new Set([...config.deploy.kinesis_log_groups, ...fromContext])];
}

/** A subscription destination that uses the given role as it is (the CDK one grants `kms:GenerateDataKey*` to it). */
class StreamDestination implements logs.ILogSubscriptionDestination {
  constructor(
    private readonly stream: kinesis.IStream,
    private readonly role: iam.IRole,
  ) {}

  bind(): logs.LogSubscriptionDestinationConfig {
    return { arn: this.stream.streamArn, role: this.role };
  }
}

function subscriptionId(logGroupName: string): string {
  const readable = logGroupName.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const digest = createHash('sha256').update(logGroupName).digest('hex').slice(0, 8);
  return `Logs-${readable}-${digest}`;
}

export interface KinesisIngestProps {
  /** The validated config, compiled into the consumer function. */
  readonly config: Config;
  /** The log groups whose matching lines go through the stream. */
  readonly logGroups: readonly string[];
  readonly table: AuditTable;
  readonly alerts: AlertTopic;
  /** Where Lambda sends the description of a batch it gave up on (shard, sequence numbers). */
  readonly failureQueue: sqs.IQueue;
  /** The subscription filter pattern (the same the Lambda subscriptions use). */
  readonly filterPattern: string;
  /**
   * Alarm names start with this.
   * @default - no alarms (errors, records failed, iterator age)
   */
  readonly alarmNamePrefix?: string;
  /**
   * Shards of a provisioned stream.
   * @default - on-demand capacity (scales by itself; billed per GB and stream-hour)
   */
  readonly shardCount?: number;
  /**
   * Records (each one CloudWatch payload, up to ~1 MB decoded) per invocation at most.
   * @default 50
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking.
   * @default Duration.seconds(10)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * @default 1024 (a batch of 50 payloads is ~50 MB of text; also more CPU per ms)
   */
  readonly memorySize?: number;
}

/**
 * High-volume log groups through Kinesis Data Streams: subscription filters put each CloudWatch
 * payload into a KMS-encrypted stream (CloudWatch Logs assumes a role that may only put records
 * into it); a Lambda event source mapping hands the consumer function batches of records, which
 * it processes as one batch of the pipeline (`lambdas/core/kinesis-ingest.ts`), reporting the
 * first failed record so Lambda retries from there, bisecting a batch that crashes, and sending
 * what it gives up on to the failure queue.
 */
export class KinesisIngest extends Construct {
  readonly stream: kinesis.Stream;
  readonly encryptionKey: kms.Key;
  readonly function: AuditFunction;
  /** The role CloudWatch Logs assumes to put records into the stream. */
  readonly deliveryRole: iam.Role;
  readonly eventSource: lambda.EventSourceMapping;
  readonly subscriptions: readonly logs.SubscriptionFilter[];
  /** The consumer threw on a batch: crashed or timed out (with `alarmNamePrefix`). */
  readonly errorsAlarm?: cloudwatch.Alarm;
  /** The consumer gave records back to Lambda to retry (`batchItemFailures`, with `alarmNamePrefix`). */
  readonly recordsFailedAlarm?: cloudwatch.Alarm;
  /** The consumer fell behind the stream (with `alarmNamePrefix`). */
  readonly iteratorAgeAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: KinesisIngestProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // The stream holds log lines for a day at most: it and its key go with the stack. Kept (CDK's
    // default), the stream would stay billed by the hour, unreadable once its key is deleted.
    this.encryptionKey = new kms.Key(this, 'Key', { description: 'silent-audit log stream', enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    this.stream = new kinesis.Stream(this, 'Stream', {
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.encryptionKey,
      streamMode: props.shardCount === undefined ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: props.shardCount,
      retentionPeriod: Duration.hours(24),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason:
        'The stream carries raw log lines: like the table and the topic it is encrypted with a customer-managed key, so its key policy, rotation and every use are the account\'s to govern and audit. The cost is one KMS request per data key, which Kinesis reuses for minutes per producer and consumer.',
    });

    this.deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: 'CloudWatch Logs puts subscribed log lines into the silent-audit stream',
      assumedBy: new iam.ServicePrincipal('logs.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
        },
      }),
    });
    iam.Grant.addToPrincipal({ grantee: this.deliveryRole, actions: PUT_ACTIONS, resourceArns: [this.stream.streamArn] });
    this.encryptionKey.grant(this.deliveryRole, ...PUT_KEY_ACTIONS);

    const destination = new StreamDestination(this.stream, this.deliveryRole);
    const filterPattern = logs.FilterPattern.literal(props.filterPattern);
    this.subscriptions = [...new Set(props.logGroups)].map((name) => {
      const source = logs.LogGroup.fromLogGroupName(this, subscriptionId(name), name);
      const filter = new logs.SubscriptionFilter(source, 'ToStream', { logGroup: source, destination, filterPattern });
      // Said out loud, though it is the default: a log stream's lines stay on one shard, in order.
      (filter.node.defaultChild as logs.CfnSubscriptionFilter).distribution = 'ByLogStream';
      // CloudWatch Logs checks it can put a record when the filter is created: the role's policy must exist by then.
      filter.node.addDependency(this.deliveryRole);
      return filter;
    });

    this.function = new AuditFunction(this, 'Function', {
      entry: KINESIS_ENTRY,
      config: props.config,
      description: 'silent-audit: reads batches of subscribed log lines from the Kinesis stream, runs the detectors, stores state and findings, alerts',
      memorySize: props.memorySize ?? 1024,
      timeout: Duration.minutes(2),
    })
      .bindTable(props.table)
      .bindTopic(props.alerts);
    const read = iam.Grant.addToPrincipal({ grantee: this.function, actions: READ_ACTIONS, resourceArns: [this.stream.streamArn] });
    const decrypt = this.encryptionKey.grant(this.function, ...READ_KEY_ACTIONS);

    this.eventSource = new lambda.EventSourceMapping(this, 'FromStream', {
      target: this.function,
      eventSourceArn: this.stream.streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 50,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(10),
      // One invocation per shard at a time keeps each shard's records in order.
      parallelizationFactor: 1,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 10,
      maxRecordAge: Duration.hours(24),
      onFailure: new FailureQueueDlq(props.failureQueue),
    });
    // Lambda checks the function may read the stream when the mapping is created.
    read.applyBefore(this.eventSource);
    decrypt.applyBefore(this.eventSource);

    if (props.alarmNamePrefix !== undefined) {
      const action = new SnsAction(props.alerts.topic);
      // As the ingest function's ingest-errors: a batch that throws is retried from its first record and
      // bisected, so a lasting failure keeps the consumer's Errors up while its lines wait or are given up.
      this.errorsAlarm = watchAlarm(
        this,
        'ErrorsAlarm',
        action,
        `${props.alarmNamePrefix}kinesis-errors`,
        'The Kinesis consumer failed on a batch of stream records (Lambda retries it, bisecting, then sends what it gives up on to the ingest failure queue): findings may be late or missing. Read its log group.',
        { metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), ...ANY_AT_ALL },
      );
      // A record the consumer failed on is returned in batchItemFailures, not thrown: Errors stays 0, so it has its own metric.
      this.recordsFailedAlarm = watchAlarm(
        this,
        'RecordsFailedAlarm',
        action,
        `${props.alarmNamePrefix}kinesis-records-failed`,
        'The Kinesis consumer could not process a stream record (storage failing, or a conflict that kept recurring) and gave it back to Lambda, which retries from it, then sends what it gives up on to the ingest failure queue: findings may be late or missing. Read its log group (warning "kinesis batch failed as one batch").',
        { metric: serviceMetric(this, 'KinesisRecordsFailed', Duration.minutes(5)), ...ANY_AT_ALL },
      );
      this.iteratorAgeAlarm = new cloudwatch.Alarm(this, 'IteratorAgeAlarm', {
        alarmName: `${props.alarmNamePrefix}kinesis-iterator-age`,
        alarmDescription: 'The Kinesis consumer is more than 15 minutes behind the stream: findings are late, and lines older than 24 hours are lost.',
        metric: this.function.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 15 * 60_000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.iteratorAgeAlarm.addAlarmAction(action);
    }
  }
}
