import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { type Config, ConfigError, configErrorAt } from '../../lambdas/config.ts';

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
 * The policy's exclusions (with the stack's own log groups, once resolved) must fit CloudWatch's
 * 25 KB of selection criteria. (That each log group is fed once, by the policy or its own filter,
 * is `routingIssues`' rule, checked when bin/app.ts loads the config for a deploy and, with the `-c` options, at synth.)
 * Returns the problems, each at the key path to change.
 */
export function selectionCriteriaIssues(options: { accountPolicy: boolean; excluded: readonly string[]; ownLogGroups: number }): Array<{ path: PropertyKey[]; message: string }> {
  if (!options.accountPolicy) return [];
  const bytes = Buffer.byteLength(`LogGroupName NOT IN ${JSON.stringify(options.excluded)}`) + options.ownLogGroups * OWN_LOG_GROUP_NAME_BYTES;
  if (bytes <= MAX_SELECTION_CRITERIA_BYTES) return [];
  return [{ path: ['deploy', 'account_policy_excluded_log_groups'], message: `${options.excluded.length} log groups do not fit the 25 KB of selection criteria an account policy may have; exclude fewer` }];
}

/** Throws the selection criteria problems at synth as one ConfigError naming the config file and line. */
export function assertSelectionCriteriaFit(config: Config, options: Omit<Parameters<typeof selectionCriteriaIssues>[0], 'excluded'>): void {
  const issues = selectionCriteriaIssues({ ...options, excluded: config.deploy.account_policy_excluded_log_groups });
  if (issues.length > 0) throw configErrorAt(config, issues);
}

/**
 * The one Lambda permission CloudWatch Logs needs to invoke `destination` from any log group of
 * this account and region: the account policy and the per-log-group subscription filters share it
 * (a permission per log group would outgrow the function's 20 KB resource policy past some 45 of them).
 */
export function allowLogsToInvoke(scope: Construct, id: string, destination: lambda.IFunction): lambda.CfnPermission {
  const stack = Stack.of(scope);
  return new lambda.CfnPermission(scope, id, {
    functionName: destination.functionArn,
    action: 'lambda:InvokeFunction',
    principal: 'logs.amazonaws.com',
    sourceArn: stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    sourceAccount: stack.account,
  });
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

    this.permission = allowLogsToInvoke(this, 'Invoke', props.destination);

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
