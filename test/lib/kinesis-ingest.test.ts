import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { subscriptionFilterPattern } from '../../lambdas/core/filter-pattern.ts';
import { buildStack } from './cdk-app.ts';

const KINESIS_CONFIG = {
  deploy: {
    log_groups: ['/aws/lambda/etl-loader'],
    kinesis_log_groups: ['/aws/lambda/support-agents', '/jobs/fleet'],
    alert_emails: ['oncall@example.com'],
  },
};

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The statements of the identity policies attached to a role. */
function roleStatements(template: Template, roleId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

function actionsOf(statements: readonly Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
}

describe('KinesisIngest: high-volume log groups through a Kinesis data stream', () => {
  it('is absent when no log group is routed through Kinesis', () => {
    // Prepare
    const { stack } = buildStack({ config: { deploy: { log_groups: ['/aws/lambda/etl-loader'] } } });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    expect(stack.kinesisIngest).toBeUndefined();
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
  });

  it("outputs the stream's ARN and its key's ARN, which a CloudWatch Logs destination for other accounts names, and neither without the stream", () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG });
    const without = buildStack({ config: { deploy: { log_groups: ['/aws/lambda/etl-loader'] } } });

    // Act
    const template = Template.fromStack(stack);
    const outputs = Object.keys(Template.fromStack(without.stack).findOutputs('*'));

    // Assess
    template.hasOutput('KinesisStreamArn', { Value: { 'Fn::GetAtt': [logicalId(stack.kinesisIngest!.stream), 'Arn'] } });
    template.hasOutput('KinesisKeyArn', { Value: { 'Fn::GetAtt': [logicalId(stack.kinesisIngest!.encryptionKey), 'Arn'] } });
    expect(outputs).not.toContain('KinesisStreamArn');
    expect(outputs).not.toContain('KinesisKeyArn');
  });

  it('is an on-demand stream encrypted with its own rotated key, keeping records for a day', () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG });
    const kinesis = stack.kinesisIngest!;

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [logicalId(kinesis.encryptionKey), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::KMS::Key', { Description: 'silent-audit log stream', EnableKeyRotation: true });
  });

  it('deletes the stream with its key when the stack or the Kinesis routing goes, leaving no billed, unreadable stream', () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG });
    const kinesis = stack.kinesisIngest!;

    // Act
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

    // Assess
    const stream = resources[logicalId(kinesis.stream)]!;
    const key = resources[logicalId(kinesis.encryptionKey)]!;
    expect(key).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(stream).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('subscribes the config and -c kinesisLogGroups log groups to the stream, by log stream, through its delivery role', () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG, context: { kinesisLogGroups: '/jobs/more,/jobs/fleet' } });
    const kinesis = stack.kinesisIngest!;

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const expected = ['/aws/lambda/support-agents', '/jobs/fleet', '/jobs/more'];
    expect(kinesis.subscriptions).toHaveLength(expected.length);
    for (const name of expected) {
      template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
        LogGroupName: name,
        FilterPattern: subscriptionFilterPattern(),
        DestinationArn: { 'Fn::GetAtt': [logicalId(kinesis.stream), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [logicalId(kinesis.deliveryRole), 'Arn'] },
        Distribution: 'ByLogStream',
      });
    }
    // The Lambda subscription stays for the other log group, and only for it.
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', expected.length + 1);
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', { LogGroupName: '/aws/lambda/etl-loader', DestinationArn: { 'Fn::GetAtt': [logicalId(stack.ingest), 'Arn'] } });
  });

  it('lets only CloudWatch Logs of this account assume the delivery role, which may only put records into the stream', () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG });
    const kinesis = stack.kinesisIngest!;
    const roleId = logicalId(kinesis.deliveryRole);

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logs.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':logs:', ':*'])] }) },
            },
          }),
        ],
      },
    });
    const statements = roleStatements(template, roleId);
    expect(actionsOf(statements)).toEqual(['kinesis:PutRecord', 'kinesis:PutRecords', 'kms:GenerateDataKey']);
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['kinesis:PutRecord', 'kinesis:PutRecords'], Resource: { 'Fn::GetAtt': [logicalId(kinesis.stream), 'Arn'] } }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'kms:GenerateDataKey', Resource: { 'Fn::GetAtt': [logicalId(kinesis.encryptionKey), 'Arn'] } }));
    // The filters wait for the role's policy: CloudWatch Logs test-puts a record when a filter is created.
    const filters = template.findResources('AWS::Logs::SubscriptionFilter', { Properties: { RoleArn: Match.anyValue() } });
    for (const filter of Object.values(filters)) expect(filter.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^KinesisIngestDeliveryRoleDefaultPolicy/)]));
  });

  it('feeds the consumer in batches, reports the first failed record, bisects a crashing batch, and sends what it gives up on to the failure queue', () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG });
    const kinesis = stack.kinesisIngest!;

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(kinesis.function) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(kinesis.stream), 'Arn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 10,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 24 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.ingestFailures), 'Arn'] } } },
    });
    expect(template.toJSON().Resources[logicalId(kinesis.function)].Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 120,
      Environment: { Variables: { TABLE_NAME: { Ref: logicalId(stack.table.table) }, TOPIC_ARN: { Ref: logicalId(stack.alerts.topic) } } },
    });
  });

  it('grants the consumer the stream reads, by name, on the stream and its key only, before the mapping is created', () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG });
    const kinesis = stack.kinesisIngest!;
    const roleId = logicalId(kinesis.function.role!.node.defaultChild!.node.scope as IConstruct);

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const statements = roleStatements(template, roleId);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
        Resource: { 'Fn::GetAtt': [logicalId(kinesis.stream), 'Arn'] },
      }),
    );
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalId(kinesis.encryptionKey), 'Arn'] } }));
    expect(actionsOf(statements).filter((a) => a.includes('*'))).toEqual([]);
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0];
    expect(mapping.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^KinesisIngestFunctionRoleDefaultPolicy/)]));
  });

  it('alarms to the topic when the consumer falls 15 minutes behind the stream', () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'SilentAudit-kinesis-iterator-age',
      MetricName: 'IteratorAge',
      Namespace: 'AWS/Lambda',
      Threshold: 900_000,
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
  });

  it('alarms to the topic when the consumer fails, like the ingest function (Errors > 0 in 5 minutes)', () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'SilentAudit-kinesis-errors' } }));
    expect(found).toHaveLength(1);
    expect(found[0].Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack.kinesisIngest!.function) } }],
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
    expect(found[0].Properties.AlarmDescription).toMatch(/Kinesis consumer/);
  });

  it('alarms to the topic when the consumer gives records back to Lambda (KinesisRecordsFailed > 0 in 5 minutes), which Errors never counts', () => {
    // Prepare
    const { stack } = buildStack({ config: KINESIS_CONFIG });

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'SilentAudit-kinesis-records-failed' } }));
    expect(found).toHaveLength(1);
    expect(found[0].Properties).toMatchObject({
      Namespace: 'SilentAudit',
      MetricName: 'KinesisRecordsFailed',
      Dimensions: [{ Name: 'service', Value: 'silent-audit' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
  });

  it('grants no wildcard action anywhere, and cdk-nag finds nothing unacknowledged; each acknowledgement has its reason', () => {
    // Prepare
    const { app, stack } = buildStack({ config: KINESIS_CONFIG });
    const checks = new AwsSolutionsChecks(app, { verbose: true });
    Validations.of(app).addPlugins(checks);

    // Act
    app.synth();
    const report = checks.validateScope(app);
    const template = Template.fromStack(stack);

    // Assess
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    const wildcards = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => [s.Action].flat().filter((a) => a.includes('*'))),
    );
    expect(wildcards).toEqual([]);
    const acknowledged = stack.kinesisIngest!.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => [c.node.path, m.data]));
    expect(acknowledged).toEqual([['SilentAudit/KinesisIngest/Stream', { 'Annotation::AwsSolutions-KDS3': expect.stringMatching(/customer-managed key/) }]]);
  });

  it('refuses at synth a log group routed both ways, or through Kinesis and the account policy, naming the -c option and saying what to change', () => {
    // Prepare
    const both = () => buildStack({ config: KINESIS_CONFIG, context: { logGroups: '/jobs/fleet' } });
    const bothByKinesis = () => buildStack({ config: { deploy: { log_groups: ['/jobs/fleet'] } }, context: { kinesisLogGroups: '/jobs/fleet' } });
    const withPolicy = () => buildStack({ config: KINESIS_CONFIG, context: { accountPolicy: 'true' } });
    const excluded = () => buildStack({ config: { deploy: { account_policy: true, kinesis_log_groups: ['/jobs/fleet'], account_policy_excluded_log_groups: ['/jobs/fleet'] } } });

    // Act and Assess
    expect(both).toThrow(/^cdk context: invalid config\n {2}- deploy\.kinesis_log_groups\.\d+: \/jobs\/fleet is also subscribed to the ingest function \(-c logGroups\); .* not both: remove it from one list/);
    expect(bothByKinesis).toThrow(/- -c kinesisLogGroups \("\/jobs\/fleet"\): \/jobs\/fleet is also subscribed to the ingest function \(deploy\.log_groups\)/);
    expect(withPolicy).toThrow(/\/jobs\/fleet is also covered by the account-level subscription filter policy \(-c accountPolicy=true\); list it in deploy\.account_policy_excluded_log_groups/);
    expect(excluded).not.toThrow();
    expect(() => buildStack({ context: { kinesisLogGroups: 'has space' } })).toThrow(/-c kinesisLogGroups \("has space"\): not a log group name/);
  });
});
