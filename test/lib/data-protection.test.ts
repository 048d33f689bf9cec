import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SilentAuditStack } from '../../lib/silent-audit-stack.ts';
import { buildStack, type TestAppOptions } from './cdk-app.ts';
import { actionsOf, allowsEveryResource, type FoundStatement, identityPolicyStatements, keyPolicyStatements, resourcePolicyStatements, wildcardActions } from './iam-policies.ts';

/**
 * The stack with everything on: log groups subscribed (config and -c logGroups), alert emails
 * (config and -c alertEmail), Kinesis routing, and the account-level subscription filter policy.
 */
const RICHEST: TestAppOptions = {
  config: {
    deploy: {
      log_groups: ['/aws/lambda/etl-loader', '/var/log/cron'],
      kinesis_log_groups: ['/aws/lambda/support-agents', '/jobs/fleet'],
      alert_emails: ['data-platform@example.com'],
      account_policy: true,
      account_policy_excluded_log_groups: ['/aws/lambda/etl-loader', '/var/log/cron', '/aws/lambda/report-mailer', '/aws/lambda/support-agents', '/jobs/fleet'],
    },
  },
  context: { logGroups: '/aws/lambda/report-mailer', alertEmail: 'ops@example.com' },
};

/**
 * Identity-policy actions that may be allowed on Resource `*`, each because the service offers no
 * resource-level permission for it. An Allow on `*` with any other action fails the check.
 */
const STAR_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
  'cloudwatch:PutMetricData': 'CloudWatch has no resource-level permissions for PutMetricData (scope it with a cloudwatch:namespace condition instead)',
  'xray:PutTraceSegments': 'X-Ray trace segments have no resource ARN; Lambda active tracing needs it on *',
  'xray:PutTelemetryRecords': 'X-Ray telemetry records have no resource ARN; Lambda active tracing needs it on *',
};

/** Why a KMS key policy statement may name Resource `*`. */
const KEY_POLICY_REASON = 'In a key policy, Resource "*" means "this key": a key policy cannot name any other resource.';

/** Buckets allowed SSE-S3 rather than a customer-managed key, by logical id, each with its reason. */
function sseS3Buckets(stack: SilentAuditStack): Record<string, string> {
  return {
    [logicalId(stack.report.reports.accessLogs)]: 'Server access log target: S3 server access logging delivers only to buckets whose default encryption is SSE-S3 (SSE-KMS targets are not supported).',
  };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; [key: string]: unknown }>;

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

function ofType(resources: Resources, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** The logical id of the customer-managed key in this template that a key reference (`Ref` or `GetAtt …Arn`) names, if any. */
function cmkOf(resources: Resources, ref: unknown): string | undefined {
  const r = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  const id = r?.Ref ?? (r?.['Fn::GetAtt']?.[1] === 'Arn' ? r['Fn::GetAtt'][0] : undefined);
  return id !== undefined && resources[id]?.Type === 'AWS::KMS::Key' ? id : undefined;
}

/** Whether a policy statement denies every request not made over TLS. */
function deniesInsecureTransport(statement: FoundStatement['statement']): boolean {
  const principal = statement.Principal as string | { AWS?: string } | undefined;
  return (
    statement.Effect === 'Deny' &&
    (principal === '*' || (typeof principal === 'object' && principal.AWS === '*')) &&
    statement.Condition?.Bool?.['aws:SecureTransport'] === 'false'
  );
}

/** Whether a policy's target list (`Bucket`, `Topics`, `Queues`) names the resource. */
function targets(value: unknown, id: string): boolean {
  return [value ?? []].flat().some((target) => JSON.stringify(target) === JSON.stringify({ Ref: id }));
}

export interface StarResourceReport {
  /** Statements on Resource `*` that are allowed, with the reason. */
  readonly allowed: Array<{ where: string; actions: string[]; reason: string }>;
  /** Statements on Resource `*` (or with NotResource) that are not: `where: actions`. */
  readonly violations: string[];
}

/**
 * The resource-scope check: every Allow statement of an identity or resource policy on Resource
 * `*` (or with NotResource) is a violation unless each of its actions is in STAR_RESOURCE_ACTIONS;
 * in a key policy `*` is the key itself, allowed, but a grant to anyone but the account must carry
 * conditions.
 */
function starResources(template: Template): StarResourceReport {
  const allowed: StarResourceReport['allowed'] = [];
  const violations: string[] = [];
  for (const { where, statement } of [...identityPolicyStatements(template), ...resourcePolicyStatements(template)]) {
    if (!allowsEveryResource(statement)) continue;
    const actions = actionsOf(statement);
    const unlisted = actions.filter((action) => STAR_RESOURCE_ACTIONS[action] === undefined);
    if (unlisted.length === 0 && actions.length > 0 && statement.NotResource === undefined) {
      allowed.push({ where, actions, reason: actions.map((action) => STAR_RESOURCE_ACTIONS[action]).join('; ') });
    } else {
      violations.push(`${where}: ${[...actions, ...[statement.NotAction ?? []].flat().map((a) => `NotAction ${a}`)].join(', ')}`);
    }
  }
  for (const { where, statement } of keyPolicyStatements(template)) {
    if (!allowsEveryResource(statement)) continue;
    const principal = JSON.stringify(statement.Principal ?? '');
    const accountRoot = principal.includes('":iam::",{"Ref":"AWS::AccountId"},":root"');
    if (accountRoot || statement.Condition !== undefined) {
      allowed.push({ where, actions: actionsOf(statement), reason: KEY_POLICY_REASON });
    } else {
      violations.push(`${where} (key policy, no condition for ${principal}): ${actionsOf(statement).join(', ')}`);
    }
  }
  return { allowed, violations };
}

describe('data protection over the whole template, richest configuration', () => {
  let stack: SilentAuditStack;
  let template: Template;
  let resources: Resources;
  beforeAll(() => {
    stack = buildStack(RICHEST).stack;
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources as Resources;
  });

  it('builds every optional part, so the checks below see them', () => {
    // Assess
    expect(stack.kinesisIngest).toBeDefined();
    expect(stack.accountPolicy).toBeDefined();
    expect(stack.subscribedLogGroups).toHaveLength(3);
    template.resourceCountIs('AWS::SNS::Subscription', 2);
  });

  it('encrypts every DynamoDB table with a customer-managed key and keeps point-in-time recovery on', () => {
    // Act
    const tables = ofType(resources, 'AWS::DynamoDB::Table');

    // Assess
    expect(tables.length).toBeGreaterThanOrEqual(1);
    for (const [id, props] of tables) {
      expect(props.SSESpecification, id).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
      expect(cmkOf(resources, props.SSESpecification.KMSMasterKeyId), `${id}: KMSMasterKeyId is a key of this stack`).toBeDefined();
      expect(props.PointInTimeRecoverySpecification, id).toMatchObject({ PointInTimeRecoveryEnabled: true });
    }
  });

  it('encrypts every SNS topic with a customer-managed key', () => {
    // Act
    const topics = ofType(resources, 'AWS::SNS::Topic');

    // Assess
    expect(topics.length).toBeGreaterThanOrEqual(1);
    for (const [id, props] of topics) expect(cmkOf(resources, props.KmsMasterKeyId), `${id}: KmsMasterKeyId`).toBeDefined();
  });

  it('encrypts every S3 bucket with a customer-managed key (bucket key on), SSE-S3 only where named with a reason', () => {
    // Prepare
    const sseS3Allowed = sseS3Buckets(stack);

    // Act
    const buckets = ofType(resources, 'AWS::S3::Bucket');
    const sseS3: string[] = [];

    // Assess
    expect(buckets.length).toBeGreaterThanOrEqual(2);
    for (const [id, props] of buckets) {
      const rules = props.BucketEncryption?.ServerSideEncryptionConfiguration ?? [];
      expect(rules, `${id}: BucketEncryption`).toHaveLength(1);
      const byDefault = rules[0].ServerSideEncryptionByDefault;
      if (byDefault.SSEAlgorithm === 'AES256') {
        sseS3.push(id);
        continue;
      }
      expect(byDefault.SSEAlgorithm, id).toBe('aws:kms');
      expect(cmkOf(resources, byDefault.KMSMasterKeyID), `${id}: KMSMasterKeyID`).toBeDefined();
      expect(rules[0].BucketKeyEnabled, `${id}: BucketKeyEnabled`).toBe(true);
    }
    expect(sseS3).toEqual(Object.keys(sseS3Allowed));
    for (const id of sseS3) {
      expect(sseS3Allowed[id].length).toBeGreaterThan(20);
      // The reason holds: the bucket is where another bucket's server access logs go.
      expect(buckets.some(([, props]) => JSON.stringify(props.LoggingConfiguration?.DestinationBucketName) === JSON.stringify({ Ref: id }))).toBe(true);
    }
    expect(resources[logicalId(stack.report.reports.bucket)].Properties?.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
  });

  it('encrypts every SQS queue and every Kinesis stream', () => {
    // Act
    const queues = ofType(resources, 'AWS::SQS::Queue');
    const streams = ofType(resources, 'AWS::Kinesis::Stream');

    // Assess
    expect(queues.length).toBeGreaterThanOrEqual(1);
    expect(streams.length).toBeGreaterThanOrEqual(1);
    for (const [id, props] of queues) expect(cmkOf(resources, props.KmsMasterKeyId), `${id}: KmsMasterKeyId (a customer-managed key: the failure queue holds log batches before redaction)`).toBeDefined();
    for (const [id, props] of streams) {
      expect(props.StreamEncryption?.EncryptionType, id).toBe('KMS');
      expect(cmkOf(resources, props.StreamEncryption.KeyId), `${id}: KeyId`).toBeDefined();
    }
  });

  it('rotates every KMS key', () => {
    // Act
    const keys = ofType(resources, 'AWS::KMS::Key');

    // Assess
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const [id, props] of keys) expect(props.EnableKeyRotation, id).toBe(true);
  });

  it('denies every request without TLS on every bucket, topic and queue', () => {
    // Prepare
    const policies = {
      'AWS::S3::Bucket': ['AWS::S3::BucketPolicy', 'Bucket'],
      'AWS::SNS::Topic': ['AWS::SNS::TopicPolicy', 'Topics'],
      'AWS::SQS::Queue': ['AWS::SQS::QueuePolicy', 'Queues'],
    } as const;
    const checked: string[] = [];

    // Act and Assess
    for (const [type, [policyType, targetKey]] of Object.entries(policies)) {
      for (const [id] of ofType(resources, type)) {
        const statements = ofType(resources, policyType)
          .filter(([, props]) => targets(props[targetKey], id))
          .flatMap(([, props]) => props.PolicyDocument.Statement as FoundStatement['statement'][]);
        expect(statements.some(deniesInsecureTransport), `${id} (${type}): a Deny on aws:SecureTransport "false"`).toBe(true);
        checked.push(id);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(4);
  });

  it('gives every Lambda function (its own and any CDK-provided) a log group with retention, and every log group retention', () => {
    // Act
    const functions = ofType(resources, 'AWS::Lambda::Function');
    const logGroups = ofType(resources, 'AWS::Logs::LogGroup');
    const retention = ofType(resources, 'Custom::LogRetention');

    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const [id, props] of functions) {
      const logGroupId: string | undefined = props.LoggingConfig?.LogGroup?.Ref;
      const explicit = logGroupId !== undefined && resources[logGroupId]?.Type === 'AWS::Logs::LogGroup' ? resources[logGroupId].Properties?.RetentionInDays : undefined;
      // A function with the CDK's `logRetention` (custom resource) instead of a log group of its own.
      const custom = retention.find(([, r]) => JSON.stringify(r.LogGroupName).includes(JSON.stringify({ Ref: id })))?.[1].RetentionInDays;
      expect(Number(explicit ?? custom), `${id}: log retention in days`).toBeGreaterThan(0);
    }
    for (const [id, props] of logGroups) expect(props.RetentionInDays, `${id}: RetentionInDays`).toBeGreaterThan(0);
  });

  it('grants no wildcard action in any identity policy', () => {
    // Act and Assess
    expect(identityPolicyStatements(template).length).toBeGreaterThan(0);
    expect(wildcardActions(template)).toEqual([]);
  });

  it('scopes every policy statement to named resources, Resource "*" only where allowed with a reason', () => {
    // Act
    const { allowed, violations } = starResources(template);

    // Assess
    expect(violations).toEqual([]);
    for (const entry of allowed) expect(entry.reason.length, `${entry.where}: reason`).toBeGreaterThan(20);
    // Today only key policies name "*" (the account's administration statement per key, and the alarms' grant on the topic key).
    expect(allowed.filter((a) => a.reason !== KEY_POLICY_REASON)).toEqual([]);
    expect(new Set(allowed.map((a) => a.where))).toEqual(new Set(ofType(resources, 'AWS::KMS::Key').map(([id]) => id)));
  });

  it('finds nothing for cdk-nag AwsSolutions that is not acknowledged', () => {
    // Prepare
    const { app } = buildStack(RICHEST);
    const checks = new AwsSolutionsChecks(app, { verbose: true });
    Validations.of(app).addPlugins(checks);

    // Act
    app.synth();
    const report = checks.validateScope(app);

    // Assess
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))).toEqual([]);
    expect(report.success).toBe(true);
  });
});

describe('the resource-scope check', () => {
  it('reports statements on Resource "*" and NotResource in identity and resource policies, and passes allow-listed actions', () => {
    // Prepare
    const { stack } = buildStack();
    stack.ingest.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    stack.sweep.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'] }));
    new iam.Role(stack, 'Careless', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: { everything: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['sqs:SendMessage'], notResources: ['arn:aws:sqs:eu-west-1:111111111111:none'] })] }) },
    });
    const open = new s3.Bucket(stack, 'Open', { enforceSSL: true });
    open.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.AccountRootPrincipal()], actions: ['s3:ListBucket'], resources: ['*'] }));

    // Act
    const { allowed, violations } = starResources(Template.fromStack(stack));

    // Assess
    expect(violations).toEqual([expect.stringMatching(/^IngestRoleDefaultPolicy.*: s3:GetObject$/), expect.stringMatching(/^Careless.*\/everything: sqs:SendMessage$/), expect.stringMatching(/^OpenPolicy.*: s3:ListBucket$/)]);
    expect(allowed).toContainEqual({ where: expect.stringMatching(/^SweepRoleDefaultPolicy/), actions: ['cloudwatch:PutMetricData'], reason: STAR_RESOURCE_ACTIONS['cloudwatch:PutMetricData'] });
  });

  it('reports a key policy grant on "*" to a principal outside the account root without conditions', () => {
    // Prepare
    const { stack } = buildStack();
    stack.table.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['kms:Decrypt'], resources: ['*'] }));

    // Act
    const { violations } = starResources(Template.fromStack(stack));

    // Assess
    expect(violations).toEqual([expect.stringMatching(/^StateKey.*events\.amazonaws\.com.*: kms:Decrypt$/)]);
  });
});
