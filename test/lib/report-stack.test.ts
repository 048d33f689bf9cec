import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SilentAuditStack } from '../../lib/silent-audit-stack.ts';
import { buildStack } from './cdk-app.ts';

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

describe('the monthly report in the stack', () => {
  let stack: SilentAuditStack;
  let template: Template;
  beforeAll(() => {
    stack = buildStack().stack;
    template = Template.fromStack(stack);
  });

  it('runs the report function at 06:00 UTC on the 1st of every month, with retries', () => {
    // Prepare
    const fnId = logicalId(stack.report.function);

    // Act
    const rule = template.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'cron(0 6 1 * ? *)' } });

    // Assess
    expect(Object.keys(rule)).toHaveLength(1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 6 1 * ? *)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] }, Principal: 'events.amazonaws.com' });
  });

  it('runs Node.js 24 on arm64 with 512 MB and 5 minutes, bound to the table, the bucket and the topic', () => {
    // Act
    const props = template.toJSON().Resources[logicalId(stack.report.function)].Properties;

    // Assess
    expect(props).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 512, Timeout: 300, Handler: 'index.handler' });
    expect(props.Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: logicalId(stack.table.table) },
      REPORT_BUCKET: { Ref: logicalId(stack.report.reports.bucket) },
      TOPIC_ARN: { Ref: logicalId(stack.alerts.topic) },
    });
  });

  it('keeps reports in a private, KMS-encrypted, TLS-only, versioned bucket with a lifecycle and access logs, retained', () => {
    // Prepare
    const bucketId = logicalId(stack.report.reports.bucket);
    const logsId = logicalId(stack.report.reports.accessLogs);
    const keyId = logicalId(stack.report.reports.encryptionKey);

    // Act
    const bucket = template.toJSON().Resources[bucketId];

    // Assess
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } }, BucketKeyEnabled: true }],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'report-bucket/' },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'reports-to-infrequent-access',
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 90 }],
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('encrypts the report bucket with its own customer-managed key, rotated and retained like the bucket', () => {
    // Prepare
    const keyId = logicalId(stack.report.reports.encryptionKey);

    // Act
    const key = template.toJSON().Resources[keyId];

    // Assess
    expect(key).toMatchObject({
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { Description: 'silent-audit report bucket', EnableKeyRotation: true },
    });
  });

  it('keeps the access logs SSE-S3 encrypted and TLS only (server access logging delivers to SSE-S3 targets only)', () => {
    // Prepare
    const logsId = logicalId(stack.report.reports.accessLogs);

    // Act
    const logs = template.toJSON().Resources[logsId];

    // Assess
    expect(logs.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('delivers access logs through a bucket policy for this bucket only, not an ACL', () => {
    // Prepare
    const bucketId = logicalId(stack.report.reports.bucket);
    const logsId = logicalId(stack.report.reports.accessLogs);

    // Act
    const logs = template.toJSON().Resources[logsId];

    // Assess
    expect(logs.Properties.AccessControl).toBeUndefined();
    expect(logs.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 365, Status: 'Enabled' }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it('grants the report function reads on the table, objects under reports/ with their key, listing the bucket (so a missing report is a 404, not a 403), and publishing; no table writes', () => {
    // Prepare
    const roleId = logicalId(stack.report.function.role!);
    const tableArn = { 'Fn::GetAtt': [logicalId(stack.table.table), 'Arn'] };
    const reportObjects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.report.reports.bucket), 'Arn'] }, '/reports/*']] };

    // Act
    const statements = roleStatements(template, roleId);
    const actions = [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();

    // Assess
    expect(actions).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sns:Publish',
    ]);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'], Resource: tableArn });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: reportObjects });
    // The bucket itself, for listing only: S3 tells a missing key (404) from a denied one (403) only to a role that may list.
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [logicalId(stack.report.reports.bucket), 'Arn'] } });
    // SSE-KMS: a data key to put a report, a decrypt to read one back (merged with the topic key's, which takes the same two).
    const reportKeyArn = { 'Fn::GetAtt': [logicalId(stack.report.reports.encryptionKey), 'Arn'] };
    const reportKeyStatements = statements.filter((s) => [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(reportKeyArn)));
    expect(reportKeyStatements).toEqual([
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: expect.arrayContaining([reportKeyArn, { 'Fn::GetAtt': [logicalId(stack.alerts.encryptionKey), 'Arn'] }]) },
    ]);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: logicalId(stack.alerts.topic) } });
    expect(statements.find((s) => s.Action === 'dynamodb:Query')?.Resource).toEqual(expect.arrayContaining([tableArn]));
  });

  it('alarms to the topic when a report run fails', () => {
    // Act and Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'SilentAudit-report-failures',
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack.report.function) } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
  });

  it('outputs the report function name and the bucket name', () => {
    // Act and Assess
    template.hasOutput('ReportFunctionName', { Value: { Ref: logicalId(stack.report.function) } });
    template.hasOutput('ReportBucketName', { Value: { Ref: logicalId(stack.report.reports.bucket) } });
  });

  it('acknowledges one cdk-nag finding, the reports/* object grant, with a reason', () => {
    // Act
    const acknowledged = stack.report.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => [c.node.path, m.data]));

    // Assess
    expect(acknowledged).toEqual([
      [
        'SilentAudit/MonthlyReport/FunctionRole',
        { [`Annotation::AwsSolutions-IAM5[Resource::<${logicalId(stack.report.reports.bucket)}.Arn>/reports/*]`]: expect.stringMatching(/under reports\//) },
      ],
    ]);
  });
});
