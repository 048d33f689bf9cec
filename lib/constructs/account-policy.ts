import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { type Config, ConfigError } from '../../lambdas/config.ts';

/** The CDK context key that turns the account policy on: `-c accountPolicy=true`. */
export const ACCOUNT_POLICY_CONTEXT_KEY = 'accountPolicy';
/** CloudWatch Logs takes at most 25 KB of selection criteria. */
const MAX_SELECTION_CRITERIA_BYTES = 25 * 1024;
/** What one of the stack's own log group names may take in the criteria once resolved (`"/aws/…"`, quoted, comma). */
const OWN_LOG_GROUP_NAME_BYTES = 520;

/** Whether the account-level subscription filter policy is on: config `deploy.account_policy`, or `-c accountPolicy=true`. */
export function accountPolicyEnabled(scope: IConstruct, config: Config): boolean {
  const context: unknown = scope.node.tryGetContext(ACCOUNT_POLICY_CONTEXT_KEY);
  if (context === undefined || context === null || context === '') return config.deploy.account_policy;
  if (context === true || context === 'true') return true;
  if (context === false || context === 'false') return false;
  throw new ConfigError('cdk context', [`-c ${ACCOUNT_POLICY_CONTEXT_KEY} (${JSON.stringify(context)}): expected true or false`]);
}

/**
 * The subscription-filter slots rule. A log group takes at most two subscription filters, and an
 * account-level subscription filter policy takes one on every log group it covers. silent-audit
 * feeds a log group once: with the account policy on, a log group subscribed one by one
 * (`deploy.log_groups`, `-c logGroups`) must be excluded from the policy
 * (`deploy.account_policy_excluded_log_groups`). Otherwise it would hold two silent-audit filters,
 * every line would be delivered twice, and no slot would be left for anyone else. Also, the
 * policy's exclusions must fit CloudWatch's 25 KB of selection criteria. Returns the problems.
 */
export function subscriptionSlotProblems(options: { accountPolicy: boolean; subscribed: readonly string[]; excluded: readonly string[]; ownLogGroups: number }): string[] {
  if (!options.accountPolicy) return [];
  const excluded = new Set(options.excluded);
  const problems = options.subscribed
    .filter((name) => !excluded.has(name))
    .map(
      (name) =>
        `deploy.log_groups: ${name} is covered by the account-level subscription filter policy (deploy.account_policy), which takes one of its two subscription filter slots; ` +
        'a per-log-group filter as well would deliver every line twice and take the last slot. Remove it from deploy.log_groups (and -c logGroups), ' +
        'or list it in deploy.account_policy_excluded_log_groups to keep its own filter.',
    );
  const bytes = Buffer.byteLength(`LogGroupName NOT IN ${JSON.stringify(options.excluded)}`) + options.ownLogGroups * OWN_LOG_GROUP_NAME_BYTES;
  if (bytes > MAX_SELECTION_CRITERIA_BYTES) {
    problems.push(`deploy.account_policy_excluded_log_groups: ${options.excluded.length} log groups do not fit the 25 KB of selection criteria an account policy may have; exclude fewer`);
  }
  return problems;
}

/** Throws the slot problems as one ConfigError at synth, naming the keys to change. */
export function assertSubscriptionSlots(options: Parameters<typeof subscriptionSlotProblems>[0]): void {
  const problems = subscriptionSlotProblems(options);
  if (problems.length > 0) throw new ConfigError('deploy config', problems);
}

export interface IngestAccountPolicyProps {
  /** The function every matching line goes to. */
  readonly destination: lambda.IFunction;
  /** The subscription filter pattern (the same the per-log-group filters use). */
  readonly filterPattern: string;
  /** The stack's own log groups: never subscribed, or ingest would read its own logs forever. */
  readonly ownLogGroups: readonly logs.ILogGroup[];
  /**
   * More log groups to leave out (those subscribed one by one, noisy ones).
   * @default - none
   */
  readonly excludedLogGroupNames?: readonly string[];
  /**
   * The policy's name, unique in the account.
   * @default `<stack name>-ingest`
   */
  readonly policyName?: string;
}

/**
 * An account-level subscription filter policy (`AWS::Logs::AccountPolicy`,
 * SUBSCRIPTION_FILTER_POLICY, scope ALL) that feeds every log group of the account and region to
 * the ingest function, except the stack's own (`LogGroupName NOT IN [...]`: no recursion) and the
 * excluded ones; with the Lambda permission CloudWatch Logs needs to invoke the function from any
 * log group of this account.
 */
export class IngestAccountPolicy extends Construct {
  readonly policy: logs.CfnAccountPolicy;
  /** Lets CloudWatch Logs invoke the destination from any log group of this account. */
  readonly permission: lambda.CfnPermission;
  readonly excludedLogGroupNames: readonly string[];

  constructor(scope: Construct, id: string, props: IngestAccountPolicyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.excludedLogGroupNames = [...props.ownLogGroups.map((g) => g.logGroupName), ...new Set(props.excludedLogGroupNames ?? [])];

    this.permission = new lambda.CfnPermission(this, 'Invoke', {
      functionName: props.destination.functionArn,
      action: 'lambda:InvokeFunction',
      principal: 'logs.amazonaws.com',
      sourceArn: stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      sourceAccount: stack.account,
    });

    this.policy = new logs.CfnAccountPolicy(this, 'Policy', {
      policyName: props.policyName ?? `${stack.stackName}-ingest`,
      policyType: 'SUBSCRIPTION_FILTER_POLICY',
      scope: 'ALL',
      policyDocument: stack.toJsonString({ DestinationArn: props.destination.functionArn, FilterPattern: props.filterPattern }),
      selectionCriteria: `LogGroupName NOT IN ${stack.toJsonString(this.excludedLogGroupNames)}`,
    });
    // CloudWatch Logs checks that it may invoke the destination when the policy is created.
    this.policy.node.addDependency(this.permission);
  }
}
