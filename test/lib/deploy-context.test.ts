import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/config.ts';
import { readDeployContext } from '../../lib/deploy-context.ts';

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
});
