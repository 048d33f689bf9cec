import type { Template } from 'aws-cdk-lib/assertions';

/** One statement of a policy document as it stands in a synthesized template. */
export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface FoundStatement {
  /** The logical id of the resource holding the statement (`<role>/<inline policy>` for inline policies). */
  readonly where: string;
  readonly statement: PolicyStatementJson;
}

type PolicyDocumentJson = { Statement?: PolicyStatementJson[] } | undefined;

/** Every statement of every identity policy in the template: standalone, managed and inline. */
export function identityPolicyStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  const add = (where: string, document: PolicyDocumentJson) => {
    for (const statement of document?.Statement ?? []) found.push({ where, statement });
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, resource] of Object.entries(template.findResources(type))) add(id, resource.Properties.PolicyDocument);
  }
  for (const type of ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']) {
    for (const [id, resource] of Object.entries(template.findResources(type))) {
      for (const inline of resource.Properties.Policies ?? []) add(`${id}/${inline.PolicyName}`, inline.PolicyDocument);
    }
  }
  return found;
}

/** Every statement of every resource policy in the template whose Resource names the resource (bucket, topic, queue). */
export function resourcePolicyStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const type of ['AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy']) {
    for (const [id, resource] of Object.entries(template.findResources(type))) {
      for (const statement of (resource.Properties.PolicyDocument as PolicyDocumentJson)?.Statement ?? []) found.push({ where: id, statement });
    }
  }
  return found;
}

/** Every statement of every KMS key policy, where Resource `*` means "this key". */
export function keyPolicyStatements(template: Template): FoundStatement[] {
  return Object.entries(template.findResources('AWS::KMS::Key')).flatMap(([id, resource]) =>
    ((resource.Properties.KeyPolicy as PolicyDocumentJson)?.Statement ?? []).map((statement) => ({ where: id, statement })),
  );
}

export function actionsOf(statement: PolicyStatementJson): string[] {
  return [statement.Action ?? []].flat();
}

/** Actions with a wildcard (`*`, `s3:*`, `kms:GenerateDataKey*`), and any NotAction at all. */
export function wildcardActions(template: Template): string[] {
  return identityPolicyStatements(template).flatMap(({ where, statement }) => [
    ...actionsOf(statement).filter((action) => action.includes('*')).map((action) => `${where}: ${action}`),
    ...[statement.NotAction ?? []].flat().map((action) => `${where}: NotAction ${action}`),
  ]);
}

/** Whether an Allow statement applies to every resource: Resource `*` (alone or in a list), or any NotResource. */
export function allowsEveryResource(statement: PolicyStatementJson): boolean {
  if ((statement.Effect ?? 'Allow') !== 'Allow') return false;
  return statement.NotResource !== undefined || [statement.Resource ?? []].flat().includes('*');
}
