import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/config.ts';
import { assertNoMistypedContextKeys, readDeployContext } from '../../lib/deploy-context.ts';

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
