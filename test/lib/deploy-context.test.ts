import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError, metricsServiceName, validateConfig } from '../../lambdas/config.ts';
import { assertNoMistypedContextKeys, readDeployContext, stackNameOf } from '../../lib/deploy-context.ts';

describe('readDeployContext', () => {
  it('reads comma-separated values as -c gives them', () => {
    // Prepare
    const app = new App({ context: { logGroups: '/aws/lambda/etl, /var/log/cron', alertEmail: 'a@example.com,b@example.com' } });

    // Act
    const targets = readDeployContext(app);

    // Assess
    expect(targets).toEqual({ logGroups: ['/aws/lambda/etl', '/var/log/cron'], alertEmails: ['a@example.com', 'b@example.com'] });
  });

  it('reads lists as cdk.json gives them', () => {
    // Prepare
    const app = new App({ context: { logGroups: ['/aws/lambda/etl'], alertEmail: ['ops@example.com'] } });

    // Act
    const targets = readDeployContext(app);

    // Assess
    expect(targets).toEqual({ logGroups: ['/aws/lambda/etl'], alertEmails: ['ops@example.com'] });
  });

  it('reads nothing when the keys are absent or empty', () => {
    // Prepare
    const absent = new App();
    const empty = new App({ context: { logGroups: '', alertEmail: ' , ' } });

    // Act and Assess
    expect(readDeployContext(absent)).toEqual({ logGroups: [], alertEmails: [] });
    expect(readDeployContext(empty)).toEqual({ logGroups: [], alertEmails: [] });
  });

  it('refuses bad values, naming the -c option and the value', () => {
    // Prepare
    const app = new App({ context: { logGroups: '/ok,has space', alertEmail: 'not-an-address' } });

    // Act
    const error = (() => {
      try {
        readDeployContext(app);
        return undefined;
      } catch (caught) {
        return caught;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      '-c logGroups ("has space"): not a log group name',
      '-c alertEmail ("not-an-address"): not an email address',
    ]);
  });

  it.each([
    ['a plural', 'alertEmails', 'alertEmail'],
    ['a singular', 'logGroup', 'logGroups'],
    ['another case', 'accountpolicy', 'accountPolicy'],
    ['two letters off', 'kinesisLogGroop', 'kinesisLogGroups'],
    ['a slip in config', 'confg', 'config'],
    ['a plural y→ies', 'accountPolicies', 'accountPolicy'],
    ['a plural with separators', 'account-policies', 'accountPolicy'],
    ['separators', 'ACCOUNT_POLICY', 'accountPolicy'],
    ['a plural +es', 'configes', 'config'],
    ['two letters swapped', 'cofnig', 'config'],
    ['two letters swapped, with a separator', 'alert_emial', 'alertEmail'],
    ['a letter off, with separators', 'kinesis_log_groop', 'kinesisLogGroups'],
    ['a cut-short key', 'conf', 'config'],
    ['a doubled last letter', 'configg', 'config'],
    ['a doubled first letter', 'cconfig', 'config'],
    ['a doubled letter in a two-word key', 'alertEmaill', 'alertEmail'],
    ['a doubled y', 'accountPolicyy', 'accountPolicy'],
    ['a letter off in a long key', 'ingestReservedConcurency', 'ingestReservedConcurrency'],
  ])('refuses a context key one slip from ours (%s), naming the one meant', (_, typed, meant) => {
    // Prepare
    const app = new App({ context: { [typed]: 'x' } });

    // Act
    const check = () => readDeployContext(app);

    // Assess
    expect(check).toThrow(ConfigError);
    expect(check).toThrow(`-c ${typed}: unknown context key; did you mean ${meant}?`);
  });

  it.each(['my-config', 'my_config', 'config-id', 'config_v2', 'config2', 'myConfig', 'app-config', 'config-env', 'log_group_ids', 'logGroupIds'])('leaves alone a key of the user\'s own that holds one of ours with more around it (%s)', (key) => {
    // Prepare: `-c my-config=prod.yaml`, read by the user's own app code
    const app = new App({ context: { [key]: 'prod.yaml' } });

    // Act and Assess
    expect(() => assertNoMistypedContextKeys(app)).not.toThrow();
  });

  it("leaves CDK's own context and unrelated keys alone", () => {
    // Prepare
    const app = new App({
      context: {
        '@aws-cdk/aws-iam:minimizePolicies': true,
        'aws:cdk:bundling-stacks': [],
        'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
        'cdk-nag-suppressions': 'x',
        environment: 'prod',
        configEnv: 'staging',
        'config-env': 'staging',
        logGroups: '/jobs/cron',
      },
    });

    // Act and Assess
    expect(() => assertNoMistypedContextKeys(app)).not.toThrow();
  });
});

describe('stackNameOf', () => {
  it('names the stack from -c stackName, else deploy.stack_name, else SilentAudit', () => {
    // Prepare
    const named = validateConfig({ deploy: { stack_name: 'SilentAuditBatch' } }, 'test config');
    const unnamed = validateConfig({}, 'test config');

    // Act and Assess
    expect(stackNameOf(new App({ context: { stackName: 'SilentAuditEu' } }), named)).toBe('SilentAuditEu');
    expect(stackNameOf(new App(), named)).toBe('SilentAuditBatch');
    expect(stackNameOf(new App({ context: { stackName: '' } }), unnamed)).toBe('SilentAudit');
  });

  it('refuses a name CloudFormation refuses, naming the -c option or the config key', () => {
    // Prepare
    const config = validateConfig({}, 'test config');

    // Act
    const byContext = () => stackNameOf(new App({ context: { stackName: 'silent_audit' } }), config);
    const byConfig = () => validateConfig({ deploy: { stack_name: '2nd' } }, 'test config');

    // Assess
    expect(byContext).toThrow(ConfigError);
    expect(byContext).toThrow('-c stackName ("silent_audit"): not a CloudFormation stack name: a letter, then letters, digits and -');
    expect(byConfig).toThrow('deploy.stack_name: not a CloudFormation stack name');
  });

  it("refuses a log group ARN in -c logGroups, saying only this account's and region's log groups are subscribed by name, and where other accounts are explained", () => {
    // Prepare
    const app = new App({ context: { logGroups: 'arn:aws:logs:eu-west-1:210987654321:log-group:/aws/lambda/etl' } });

    // Act
    const read = () => readDeployContext(app);

    // Assess
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/-c logGroups \("arn:aws:logs:[^"]*"\): a log group ARN, not a name: only this account's and region's log groups can be subscribed, by name; .*Other accounts and regions/);
  });
});

describe('metricsServiceName', () => {
  it("is the functions' POWERTOOLS_SERVICE_NAME (the stack's, set by the CDK app), else silent-audit", () => {
    // Act and Assess
    expect(metricsServiceName({ POWERTOOLS_SERVICE_NAME: 'SilentAuditEu' })).toBe('SilentAuditEu');
    expect(metricsServiceName({})).toBe('silent-audit');
  });
});

describe('log group names', () => {
  it('refuses a wildcard in -c logGroups, pointing to deploy.account_policy', () => {
    // Act
    const read = () => readDeployContext(new App({ context: { logGroups: '/aws/lambda/etl-*' } }));

    // Assess
    expect(read).toThrow('-c logGroups ("/aws/lambda/etl-*"): not a log group name: wildcards (* and ?) are not supported; name each log group, or feed every log group of the account with deploy.account_policy');
  });
});
