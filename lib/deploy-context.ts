import type { IConstruct } from 'constructs';
import { editDistance, lettersOff } from '../lambdas/core/edit-distance.ts';
import { type Config, ConfigError, DEFAULT_STACK_NAME, DeploySchema, type RoutedLogGroup, routedFromConfig, routingIssues, StackNameSchema } from '../lambdas/config.ts';
import { ACCOUNT_POLICY_CONTEXT_KEY } from './constructs/account-policy.ts';
import { KINESIS_CONTEXT_KEY } from './constructs/kinesis-ingest.ts';

/** The CDK context key naming the config file: `-c config=silent-audit.config.yaml`. */
export const CONFIG_CONTEXT_KEY = 'config';

/** CDK context keys that add deploy targets to the config file's `deploy` section. */
export const DEPLOY_CONTEXT_KEYS = {
  logGroups: 'logGroups',
  alertEmails: 'alertEmail',
} as const;

/** The CDK context key reserving concurrency for the ingest function: `-c ingestReservedConcurrency=50`. */
export const INGEST_RESERVED_CONCURRENCY_CONTEXT_KEY = 'ingestReservedConcurrency';

/** The CDK context key naming the stack, for a second deployment in one account and region: `-c stackName=SilentAuditEu`. */
export const STACK_NAME_CONTEXT_KEY = 'stackName';

/** Every CDK context key silent-audit reads. */
export const OUR_CONTEXT_KEYS: readonly string[] = [
  CONFIG_CONTEXT_KEY,
  STACK_NAME_CONTEXT_KEY,
  DEPLOY_CONTEXT_KEYS.logGroups,
  DEPLOY_CONTEXT_KEYS.alertEmails,
  KINESIS_CONTEXT_KEY,
  ACCOUNT_POLICY_CONTEXT_KEY,
  INGEST_RESERVED_CONCURRENCY_CONTEXT_KEY,
];

/** CDK's own context: feature flags (`@aws-cdk/…`), the CLI's settings (`aws:cdk:…`), lookups (`availability-zones:…`), `cdk-…`. */
function isCdkContextKey(key: string): boolean {
  return key.startsWith('@') || key.includes(':') || /^cdk-/i.test(key);
}

/** A key in any case and with any separators: `account-policy` and `ACCOUNT_POLICY` are `accountpolicy`. */
function bareKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** A bare key's plurals: +s, +es, y→ies. */
function pluralsOf(bare: string): string[] {
  return [`${bare}s`, `${bare}es`, ...(bare.endsWith('y') ? [`${bare.slice(0, -1)}ies`] : [])];
}

/** A bare key cut short of ours by a letter or two, of four letters at least: `conf` for `config`. */
function isCutShort(typed: string, meant: string): boolean {
  return typed.length >= 4 && meant.length - typed.length <= 2 && meant.startsWith(typed);
}

/** A word of a key and whether a separator comes before it: `my-configV2` is my, -config, V, 2. */
interface KeyWord {
  readonly text: string;
  readonly afterSeparator: boolean;
}

/** A key's words: split at `-` and `_`, at a change from lower to upper case, and around a digit run. */
function wordsOf(key: string): KeyWord[] {
  return key.split(/[-_]+/).filter((chunk) => chunk !== '').flatMap((chunk, c) =>
    chunk.split(/(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])/).map((text, w) => ({ text, afterSeparator: c > 0 && w === 0 })));
}

/** A word beside ours that makes the key a user's own: a digit run, a word of two letters or more, or any word set off by a separator. */
function isOwnWord(word: KeyWord | undefined, separated: boolean): boolean {
  return word === undefined || separated || /^\d+$/.test(word.text) || word.text.length >= 2;
}

/**
 * Whether `key` holds ours (bare) as whole words with a word of its own beside it (`my-config`,
 * `myConfig`, `config_v2`, `config2`, `config-env`); a single letter glued on (`configg`,
 * `cconfig`, `alertEmaill`) is a slip, not a word.
 */
function holdsOursAsWords(words: readonly KeyWord[], meant: string): boolean {
  for (let first = 0; first < words.length; first++) {
    let joined = '';
    for (let last = first; last < words.length && joined.length < meant.length; last++) {
      joined += words[last].text.toLowerCase();
      if (joined === meant && isOwnWord(words[first - 1], words[first].afterSeparator) && isOwnWord(words[last + 1], words[last + 1]?.afterSeparator ?? false)) return true;
    }
  }
  return false;
}

/**
 * Our key that `key` (not one of ours) looks like a slip for: another case or other separators,
 * a plural or singular (`accountPolicies`, `account-policies`, `logGroup`), a letter or two off,
 * two neighbouring letters swapped (`confg`, `cofnig`, `alert_emial`, `kinesis_log_groop`), or
 * cut short (`conf`). A key that holds ours as whole words with a word of its own beside it
 * (`my-config`, `config_v2`, `config2`, `configEnv`) is a user's own, not a slip, and so is one of
 * more words than ours, its words kept apart in the distance (`log_group_ids`, `logGroupIds`); a plural must be exact.
 */
function contextKeyMeant(key: string): string | undefined {
  const typed = bareKey(key);
  const words = wordsOf(key);
  return OUR_CONTEXT_KEYS.find((ours) => {
    const meant = bareKey(ours);
    if (typed === meant || pluralsOf(meant).includes(typed) || pluralsOf(typed).includes(meant)) return true;
    if (holdsOursAsWords(words, meant)) return false;
    const compared = words.length > wordsOf(ours).length ? words.map((word) => word.text.toLowerCase()).join('-') : typed;
    return isCutShort(typed, meant) || editDistance(compared, meant) <= lettersOff(meant);
  });
}

/**
 * Refuses a context key (from `-c` or cdk.json) that is not ours but looks like a slip for one
 * (`-c logGroup`, `-c alertEmails`): read by no one, it would be ignored, and the stack would
 * subscribe or e-mail nothing without a word. Other keys (CDK's own, a tool's) are left alone.
 */
export function assertNoMistypedContextKeys(scope: IConstruct): void {
  const problems = Object.keys(scope.node.getAllContext() as Record<string, unknown>).flatMap((key) => {
    if (OUR_CONTEXT_KEYS.includes(key) || isCdkContextKey(key)) return [];
    const meant = contextKeyMeant(key);
    return meant === undefined ? [] : [`-c ${key}: unknown context key; did you mean ${meant}?`];
  });
  if (problems.length > 0) throw new ConfigError('cdk context', problems);
}

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

/** The log groups `-c kinesisLogGroups=…` adds to `deploy.kinesis_log_groups`; a bad name is a ConfigError naming the option. */
export function kinesisLogGroupsFromContext(scope: IConstruct): string[] {
  const raw = listFromContext(scope.node.tryGetContext(KINESIS_CONTEXT_KEY));
  const parsed = DeploySchema.shape.kinesis_log_groups.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      'cdk context',
      parsed.error.issues.map((issue) => `-c ${KINESIS_CONTEXT_KEY} (${JSON.stringify(raw[issue.path[0] as number])}): ${issue.message}`),
    );
  }
  return parsed.data;
}

/**
 * The concurrency `-c ingestReservedConcurrency=N` reserves for the ingest function (a string from
 * the command line, a number from cdk.json), or undefined when not given: none is reserved by
 * default. A value that is not a whole number from 1 is a ConfigError naming the option.
 */
export function ingestReservedConcurrencyFromContext(scope: IConstruct): number | undefined {
  const value: unknown = scope.node.tryGetContext(INGEST_RESERVED_CONCURRENCY_CONTEXT_KEY);
  if (value === undefined || value === null || value === '') return undefined;
  const count = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isSafeInteger(count) && count >= 1) return count;
  throw new ConfigError('cdk context', [`-c ${INGEST_RESERVED_CONCURRENCY_CONTEXT_KEY} (${JSON.stringify(value)}): expected a whole number of concurrent executions, at least 1`]);
}

/**
 * The stack to deploy: `-c stackName=…`, else the config's `deploy.stack_name`, else SilentAudit.
 * A name CloudFormation refuses is a ConfigError naming the option.
 */
export function stackNameOf(scope: IConstruct, config: Config): string {
  const value: unknown = scope.node.tryGetContext(STACK_NAME_CONTEXT_KEY);
  if (value === undefined || value === null || value === '') return config.deploy.stack_name ?? DEFAULT_STACK_NAME;
  const parsed = StackNameSchema.safeParse(typeof value === 'string' ? value.trim() : value);
  if (parsed.success) return parsed.data;
  throw new ConfigError('cdk context', parsed.error.issues.map((issue) => `-c ${STACK_NAME_CONTEXT_KEY} (${JSON.stringify(value)}): ${issue.message}`));
}

/**
 * Reads and validates the deploy targets given as CDK context, with the same rules as the
 * config file's `deploy` keys; a bad value is a ConfigError that names the `-c` option, and so is
 * a key that looks like a slip for one of ours (`assertNoMistypedContextKeys`).
 */
export function readDeployContext(scope: IConstruct): DeployContext {
  assertNoMistypedContextKeys(scope);
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

/** The log groups a `-c` option adds to a deploy list, each named by the option (those the config lists already are the config's). */
function routedFromContext(names: readonly string[], configured: readonly RoutedLogGroup[], option: string): RoutedLogGroup[] {
  return names.filter((name) => !configured.some((c) => c.name === name)).map((name) => ({ name, path: [`-c ${option} (${JSON.stringify(name)})`], list: `-c ${option}` }));
}

/**
 * Refuses at synth a log group fed twice once the `-c` options are added to the config's deploy
 * lists (`routingIssues`), naming the `-c` option that made it so. The config's own lists were
 * checked when bin/app.ts loaded it for a deploy (`deploying`), where a problem is given its file and line.
 */
export function assertRoutedOnce(config: Config, context: { readonly logGroups: readonly string[]; readonly kinesisLogGroups: readonly string[]; readonly accountPolicy: boolean }): void {
  const subscribed = routedFromConfig(config, 'log_groups');
  const kinesis = routedFromConfig(config, 'kinesis_log_groups');
  const issues = routingIssues({
    subscribed: [...subscribed, ...routedFromContext(context.logGroups, subscribed, DEPLOY_CONTEXT_KEYS.logGroups)],
    kinesis: [...kinesis, ...routedFromContext(context.kinesisLogGroups, kinesis, KINESIS_CONTEXT_KEY)],
    accountPolicy: !context.accountPolicy ? undefined : config.deploy.account_policy ? 'deploy.account_policy' : `-c ${ACCOUNT_POLICY_CONTEXT_KEY}=true`,
    excluded: config.deploy.account_policy_excluded_log_groups,
  });
  if (issues.length > 0) throw new ConfigError('cdk context', issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
}
