import type { IConstruct } from 'constructs';
import { ConfigError, DeploySchema } from '../lambdas/config.ts';

/** CDK context keys that add deploy targets to the config file's `deploy` section. */
export const DEPLOY_CONTEXT_KEYS = {
  logGroups: 'logGroups',
  alertEmails: 'alertEmail',
} as const;

export interface DeployContext {
  /** From `-c logGroups=a,b`. */
  readonly logGroups: string[];
  /** From `-c alertEmail=a@x,b@y`. */
  readonly alertEmails: string[];
}

/** A context value from the command line is one comma-separated string; from cdk.json, a list. */
function listFromContext(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : String(value).split(',');
  return items.map((item) => (typeof item === 'string' ? item.trim() : item)).filter((item) => item !== '');
}

/**
 * Reads and validates the deploy targets given as CDK context, with the same rules as the
 * config file's `deploy` keys; a bad value is a ConfigError that names the `-c` option.
 */
export function readDeployContext(scope: IConstruct): DeployContext {
  const raw = {
    log_groups: listFromContext(scope.node.tryGetContext(DEPLOY_CONTEXT_KEYS.logGroups)),
    alert_emails: listFromContext(scope.node.tryGetContext(DEPLOY_CONTEXT_KEYS.alertEmails)),
  };
  const result = DeploySchema.safeParse(raw);
  if (result.success) return { logGroups: result.data.log_groups, alertEmails: result.data.alert_emails };

  const optionFor = { log_groups: DEPLOY_CONTEXT_KEYS.logGroups, alert_emails: DEPLOY_CONTEXT_KEYS.alertEmails } as const;
  const problems = result.error.issues.map((issue) => {
    const [key, index] = issue.path as [keyof typeof raw, number | undefined];
    const value = index === undefined ? undefined : raw[key][index];
    return `-c ${optionFor[key]}${value === undefined ? '' : ` (${JSON.stringify(value)})`}: ${issue.message}`;
  });
  throw new ConfigError('cdk context', problems);
}
