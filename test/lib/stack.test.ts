import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/config.ts';
import { subscriptionFilterPattern } from '../../lambdas/core/filter-pattern.ts';
import { INGEST_V8_FLAGS, nodeOptions } from '../../lib/node-options.ts';
import { buildStack } from './cdk-app.ts';
import { identityPolicyStatements, wildcardActions } from './iam-policies.ts';

const DEPLOY_CONFIG = {
  deploy: {
    log_groups: ['/aws/lambda/etl-loader', '/var/log/cron'],
    alert_emails: ['data-platform@example.com'],
  },
};

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

function allowedActions(template: Template): string[] {
  return [...new Set(identityPolicyStatements(template).flatMap(({ statement }) => [statement.Action ?? []].flat()))].sort();
}

describe('SilentAuditStack', () => {
  describe('state table', () => {
    it('is keyed by pk and sk, on demand, with point-in-time recovery, a ttl attribute, and retained', () => {
      // Prepare
      const { stack } = buildStack();

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        }),
      });
    });

    it('is encrypted with its own customer-managed key, rotated and retained', () => {
      // Prepare
      const { stack } = buildStack();
      const keyId = logicalId(stack.table.encryptionKey);

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      });
      template.hasResource('AWS::KMS::Key', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ EnableKeyRotation: true, Description: 'silent-audit state table' }),
      });
    });

    it('has the sparse outbox index and the by-subject index projecting every attribute, and the keys-only catalog index', () => {
      // Prepare
      const { stack } = buildStack();

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'outbox', AttributeType: 'S' },
          { AttributeName: 'subject_key', AttributeType: 'S' },
          { AttributeName: 'catalog', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'outbox',
            KeySchema: [
              { AttributeName: 'outbox', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'by-subject',
            KeySchema: [
              { AttributeName: 'subject_key', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'catalog',
            KeySchema: [
              { AttributeName: 'catalog', KeyType: 'HASH' },
              { AttributeName: 'pk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      });
    });
  });

  describe('alert topic', () => {
    it('is encrypted with a customer-managed key and denies requests without TLS', () => {
      // Prepare
      const { stack } = buildStack();
      const topicKeyId = logicalId(stack.alerts.encryptionKey);

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [topicKeyId, 'Arn'] } });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: 'silent-audit alert topic' });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Principal: '*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('subscribes the addresses from the config and from -c alertEmail, each once', () => {
      // Prepare
      const { stack } = buildStack({
        config: DEPLOY_CONFIG,
        context: { alertEmail: 'ops@example.com,data-platform@example.com' },
      });

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.resourceCountIs('AWS::SNS::Subscription', 2);
      for (const address of ['data-platform@example.com', 'ops@example.com']) {
        template.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'email',
          Endpoint: address,
          TopicArn: { Ref: logicalId(stack.alerts.topic) },
        });
      }
    });

    it('subscribes an address written in two cases once, as the config first spells it', () => {
      // Prepare
      const { stack } = buildStack({ config: { deploy: { alert_emails: ['Oncall@Example.com'] } }, context: { alertEmail: 'oncall@example.com,ONCALL@example.COM' } });

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.resourceCountIs('AWS::SNS::Subscription', 1);
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'Oncall@Example.com' });
    });

    it('has no subscription when no address is configured', () => {
      // Prepare
      const { stack } = buildStack();

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it("admits only this stack's CloudWatch alarms to the topic and its key", () => {
      // Prepare
      const { stack } = buildStack();
      const admitsOwnAlarms = (action: string | string[]) =>
        Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: action,
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':alarm:SilentAudit-*'])] }) },
          },
        });

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.hasResourceProperties('AWS::KMS::Key', {
        Description: 'silent-audit alert topic',
        KeyPolicy: { Statement: Match.arrayWith([admitsOwnAlarms(['kms:Decrypt', 'kms:GenerateDataKey'])]) },
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([admitsOwnAlarms('sns:Publish')]) } });
    });
  });

  describe('ingest function', () => {
    it('reserves no concurrency by default (throttled deliveries are retried only for a while)', () => {
      // Act
      const template = Template.fromStack(buildStack({ context: { accountPolicy: 'true' } }).stack);

      // Assess
      const reserved = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.ReservedConcurrentExecutions !== undefined);
      expect(reserved).toEqual([]);
    });

    it.each([
      ['-c ingestReservedConcurrency=50', '50'],
      ['cdk.json', 50],
    ])('reserves the concurrency given by %s for the ingest function only, cdk-nag clean', (_, value) => {
      // Prepare
      const { app, stack } = buildStack({ context: { accountPolicy: 'true', alertEmail: 'ops@example.com', ingestReservedConcurrency: value } });
      const checks = new AwsSolutionsChecks(app);
      Validations.of(app).addPlugins(checks);

      // Act
      const template = Template.fromStack(stack);
      app.synth();

      // Assess
      const functions = template.findResources('AWS::Lambda::Function');
      expect(functions[logicalId(stack.ingest)].Properties.ReservedConcurrentExecutions).toBe(50);
      const others = Object.entries(functions).filter(([id, f]) => id !== logicalId(stack.ingest) && f.Properties.ReservedConcurrentExecutions !== undefined);
      expect(others).toEqual([]);
      expect(checks.validateScope(app).success).toBe(true);
    });

    it.each(['0', '-5', '2.5', 'ten', true])('refuses -c ingestReservedConcurrency=%j, naming the option', (value) => {
      // Act and Assess
      expect(() => buildStack({ context: { ingestReservedConcurrency: value } })).toThrow(
        expect.objectContaining({ problems: [`-c ingestReservedConcurrency (${JSON.stringify(value)}): expected a whole number of concurrent executions, at least 1`] }),
      );
    });

    it('runs Node.js 24 on arm64 with 256 MB and 60 s', () => {
      // Prepare
      const { stack } = buildStack();

      // Act
      const template = Template.fromStack(stack);

      // Assess
      expect(template.toJSON().Resources[logicalId(stack.ingest)].Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 60,
        Handler: 'index.handler',
      });
    });

    it('is bound to the table and the topic through TABLE_NAME and TOPIC_ARN', () => {
      // Prepare
      const { stack } = buildStack();

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            TABLE_NAME: { Ref: logicalId(stack.table.table) },
            TOPIC_ARN: { Ref: logicalId(stack.alerts.topic) },
            POWERTOOLS_SERVICE_NAME: 'silent-audit',
            NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=16',
          },
        },
      });
    });

    it('pins V8\'s young generation through NODE_OPTIONS to the size the bench measured, and only for itself', () => {
      // Prepare
      const { stack } = buildStack({ config: { deploy: { kinesis_log_groups: ['/jobs/fleet'] } } });

      // Act
      const resources = Template.fromStack(stack).toJSON().Resources;

      // Assess
      const nodeOptionsOf = (fn: IConstruct) => resources[logicalId(fn)].Properties.Environment.Variables.NODE_OPTIONS as string;
      expect(nodeOptionsOf(stack.ingest)).toBe(nodeOptions(INGEST_V8_FLAGS));
      expect(nodeOptionsOf(stack.ingest).split(' ')).toEqual(['--enable-source-maps', '--max-semi-space-size=16']);
      expect(nodeOptionsOf(stack.sweep)).toBe('--enable-source-maps');
      expect(nodeOptionsOf(stack.kinesisIngest!.function)).toBe('--enable-source-maps');
    });

    it('logs to its own log group, kept for one month', () => {
      // Prepare
      const { stack } = buildStack();
      const logGroupId = logicalId(stack.ingest.logGroup);

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logGroupId } } });
    });

    it('retries a failed invocation twice, then sends it to the failure queue', () => {
      // Prepare
      const { stack } = buildStack();

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(stack.ingest) },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.ingestFailures), 'Arn'] } } },
      });
    });

    it('has a failure queue that is encrypted, TLS only, kept 14 days and alarmed to the topic', () => {
      // Prepare
      const { stack } = buildStack();

      // Act
      const template = Template.fromStack(stack);

      // Assess
      // Its messages hold the log batches as they came, before redaction: a customer-managed key, rotated.
      template.hasResourceProperties('AWS::SQS::Queue', {
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.ingestFailuresKey), 'Arn'] },
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      template.hasResourceProperties('AWS::KMS::Key', { Description: 'silent-audit ingest failure queue', EnableKeyRotation: true });
      // The ingest function sends there with only what a send to such a queue takes.
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalId(stack.ingest.role!) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [logicalId(stack.ingestFailures), 'Arn'] } },
            Match.objectLike({
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Resource: Match.arrayWith([{ 'Fn::GetAtt': [logicalId(stack.ingestFailuresKey), 'Arn'] }]),
            }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'SilentAudit-ingest-failures',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.ingestFailures), 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
      });
    });
  });

  describe('log subscriptions', () => {
    it('subscribes every log group from the config and from -c logGroups with the filter pattern', () => {
      // Prepare
      const { stack } = buildStack({ config: DEPLOY_CONFIG, context: { logGroups: '/aws/lambda/report-mailer' } });
      const expected = ['/aws/lambda/etl-loader', '/var/log/cron', '/aws/lambda/report-mailer'];

      // Act
      const template = Template.fromStack(stack);

      // Assess
      expect(stack.subscribedLogGroups).toEqual(expected);
      template.resourceCountIs('AWS::Logs::SubscriptionFilter', expected.length);
      for (const name of expected) {
        template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
          LogGroupName: name,
          FilterPattern: subscriptionFilterPattern(),
          DestinationArn: { 'Fn::GetAtt': [logicalId(stack.ingest), 'Arn'] },
        });
      }
    });

    it("lets CloudWatch Logs invoke the function from this account's log groups with one permission, which every filter waits for", () => {
      // Prepare
      const { stack } = buildStack({ config: DEPLOY_CONFIG });

      // Act
      const template = Template.fromStack(stack);

      // Assess
      const permissions = template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'logs.amazonaws.com' } });
      expect(Object.values(permissions).map((p) => p.Properties)).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [logicalId(stack.ingest), 'Arn'] },
          Principal: 'logs.amazonaws.com',
          SourceAccount: { Ref: 'AWS::AccountId' },
          SourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:*']] },
        },
      ]);
      const filters = Object.values(template.findResources('AWS::Logs::SubscriptionFilter'));
      expect(filters.map((f) => f.DependsOn)).toEqual(DEPLOY_CONFIG.deploy.log_groups.map(() => Object.keys(permissions)));
    });

    it('subscribes 300 log groups under the one permission, and refuses more than the stack has room for with a config error that points to the account policy', () => {
      // Prepare
      const names = (count: number) => Array.from({ length: count }, (_, i) => `/aws/lambda/job-${String(i).padStart(4, '0')}`);
      const fits = buildStack({ config: { deploy: { log_groups: names(300) } } });

      // Act
      const template = Template.fromStack(fits.stack);
      const tooMany = () => buildStack({ config: { deploy: { log_groups: names(500) } } });
      const tooManyByContext = () => buildStack({ context: { logGroups: names(500).join(',') } });

      // Assess
      template.resourceCountIs('AWS::Logs::SubscriptionFilter', 300);
      expect(Object.keys(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'logs.amazonaws.com' } }))).toHaveLength(1);
      expect(tooMany).toThrow(ConfigError);
      expect(tooMany).toThrow(/deploy\.log_groups: 500 log groups do not fit the stack: CloudFormation takes \d{3} subscription filters at most .*deploy\.account_policy/);
      expect(tooManyByContext).toThrow(/-c logGroups: 500 log groups \(with -c logGroups\) do not fit the stack: CloudFormation takes \d{3} subscription filters at most .*deploy\.account_policy/);
    });

    it('subscribes a log group named twice only once, and nothing when none is named', () => {
      // Prepare
      const twice = buildStack({ config: DEPLOY_CONFIG, context: { logGroups: ['/var/log/cron'] } });
      const none = buildStack();

      // Act
      const twiceTemplate = Template.fromStack(twice.stack);
      const noneTemplate = Template.fromStack(none.stack);

      // Assess
      twiceTemplate.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
      noneTemplate.resourceCountIs('AWS::Logs::SubscriptionFilter', 0);
      expect(noneTemplate.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'logs.amazonaws.com' } })).toEqual({});
    });
  });

  it('outputs the table name, topic ARN, function name and failure queue URL', () => {
    // Prepare
    const { stack } = buildStack();

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasOutput('TableName', { Value: { Ref: logicalId(stack.table.table) } });
    template.hasOutput('TopicArn', { Value: { Ref: logicalId(stack.alerts.topic) } });
    template.hasOutput('IngestFunctionName', { Value: { Ref: logicalId(stack.ingest) } });
    template.hasOutput('IngestFailureQueueUrl', { Value: { Ref: logicalId(stack.ingestFailures) } });
  });

  describe('IAM', () => {
    it('grants no wildcard action in any policy', () => {
      // Prepare
      const { stack } = buildStack({ config: DEPLOY_CONFIG });

      // Act
      const template = Template.fromStack(stack);

      // Assess
      expect(identityPolicyStatements(template).length).toBeGreaterThan(0);
      expect(wildcardActions(template)).toEqual([]);
    });

    it('the wildcard check catches a wildcard action when one is granted', () => {
      // Prepare
      const { stack } = buildStack();
      stack.ingest.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
      new iam.Role(stack, 'Careless', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        inlinePolicies: { all: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['*'], resources: ['*'] })] }) },
      });

      // Act
      const found = wildcardActions(Template.fromStack(stack));

      // Assess
      expect(found).toEqual([expect.stringMatching(/: s3:\*$/), expect.stringMatching(/^Careless.*\/all: \*$/)]);
    });

    it('gives the roles no managed policy and only the actions they use', () => {
      // Prepare
      const { stack } = buildStack({ config: DEPLOY_CONFIG });

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
        ManagedPolicyArns: Match.absent(),
      });
      expect(allowedActions(template)).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'sns:Publish',
        'sqs:SendMessage',
      ]);
    });

    it('queries the table and its two indexes by name, never index/*', () => {
      // Prepare
      const { stack } = buildStack();
      const tableArn = { 'Fn::GetAtt': [logicalId(stack.table.table), 'Arn'] };
      const indexArn = (name: string) => ({ 'Fn::Join': ['', [tableArn, `/index/${name}`]] });

      // Act
      const template = Template.fromStack(stack);

      // Assess
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            { Effect: 'Allow', Action: 'dynamodb:Query', Resource: Match.arrayEquals([tableArn, indexArn('by-subject'), indexArn('catalog'), indexArn('outbox')]) },
          ]),
        },
      });
      expect(JSON.stringify(template.toJSON())).not.toContain('/index/*');
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('finds nothing that is not acknowledged, and synth with the checks succeeds', () => {
      // Prepare
      const { app, stack } = buildStack({ config: DEPLOY_CONFIG, context: { alertEmail: 'ops@example.com' } });
      const checks = new AwsSolutionsChecks(app, { verbose: true });
      Validations.of(app).addPlugins(checks);

      // Act
      app.synth();
      const report = checks.validateScope(app);

      // Assess
      const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
      expect(findings).toEqual([]);
      expect(report.success).toBe(true);
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    });

    it('fails synth on a finding that is not acknowledged', () => {
      // Prepare
      const { app, stack } = buildStack();
      new sqs.Queue(stack, 'Unchecked', { encryption: sqs.QueueEncryption.UNENCRYPTED });
      const checks = new AwsSolutionsChecks(app);
      Validations.of(app).addPlugins(checks);

      // Act and Assess
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
      const ruleNames = checks.validateScope(app).violations.map((v) => v.ruleName);
      expect(ruleNames).toEqual(expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
    });

    it('acknowledges only AwsSolutions-SQS3 on the failure queue and the report bucket prefix grant, each with a reason', () => {
      // Prepare
      const { stack } = buildStack();

      // Act
      const acknowledged = stack.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => [c.node.path, m.data]));

      // Assess
      const summary = acknowledged.map(([path, data]) => [path, Object.keys(data as object), Object.values(data as object).every((reason) => String(reason).length > 20)]);
      expect(summary).toEqual([
        ['SilentAudit/IngestFailures', ['Annotation::AwsSolutions-SQS3'], true],
        ['SilentAudit/MonthlyReport/FunctionRole', [expect.stringMatching(/^Annotation::AwsSolutions-IAM5\[Resource::<MonthlyReportReportsBucket[0-9A-F]+\.Arn>\/reports\/\*\]$/)], true],
      ]);
      expect(String(Object.values(acknowledged[0][1] as object)[0])).toMatch(/dead-letter/);
    });
  });
});
