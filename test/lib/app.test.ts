import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runApp } from '../helpers/cli-spawn.ts';

describe('bin/app.ts', () => {
  it('refuses a bad config with the file and key paths, exit code 1 and no stack trace', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'silent-audit-config-')), 'silent-audit.config.yaml');
    writeFileSync(file, 'deploy:\n  log_groups: ["has space"]\n  alert_emails: [nobody]\nredact:\n  patterns: [{ name: pin, regex: "PIN-(" }]\n');

    // Act
    const { status, stderr } = runApp({ config: file });

    // Assess
    expect(status).toBe(1);
    expect(stderr).toContain(`${file}: invalid config`);
    expect(stderr).toContain('deploy.log_groups.0: not a log group name (line 2)');
    expect(stderr).toContain('deploy.alert_emails.0: not an email address (line 3)');
    expect(stderr).toContain('redact.patterns.0.regex: invalid regular expression: /PIN-(/: Unterminated group (line 5)');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses a log group both deploy lists of the file name, with the file and the line', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'silent-audit-config-')), 'silent-audit.config.yaml');
    writeFileSync(file, 'deploy:\n  log_groups: [/jobs/cron]\n  kinesis_log_groups: [/jobs/cron]\n');

    // Act
    const { status, stderr } = runApp({ config: file });

    // Assess
    expect(status).toBe(1);
    expect(stderr).toContain(`${file}: invalid config`);
    expect(stderr).toMatch(/deploy\.kinesis_log_groups\.0: \/jobs\/cron is also subscribed to the ingest function \(deploy\.log_groups\).* \(line 3\)/);
    expect(stderr).not.toContain('deploy config');
  });

  it('refuses a bad -c value the same way', () => {
    // Act
    const { status, stderr } = runApp({ alertEmail: 'nobody' });

    // Assess
    expect(status).toBe(1);
    expect(stderr).toContain('-c alertEmail ("nobody"): not an email address');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses a mistyped -c key, naming the key meant, instead of building a stack that watches nothing', () => {
    // Act
    const { status, stderr } = runApp({ alertEmails: 'oncall@example.com', logGroup: '/jobs/cron' });

    // Assess
    expect(status).toBe(1);
    expect(stderr).toContain('cdk context: invalid config');
    expect(stderr).toContain('-c alertEmails: unknown context key; did you mean alertEmail?');
    expect(stderr).toContain('-c logGroup: unknown context key; did you mean logGroups?');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('synthesises the SilentAudit stack with the context log groups and addresses', () => {
    // Act
    const { status, stderr, outdir } = runApp({ logGroups: '/aws/lambda/etl,/var/log/cron', alertEmail: 'ops@example.com' });

    // Assess
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const template = JSON.parse(readFileSync(join(outdir, 'SilentAudit.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const ofType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type).map((r) => r.Properties);
    expect(ofType('AWS::Logs::SubscriptionFilter').map((p) => p.LogGroupName)).toEqual(['/aws/lambda/etl', '/var/log/cron']);
    expect(ofType('AWS::SNS::Subscription').map((p) => p.Endpoint)).toEqual(['ops@example.com']);
  });

  it('deploys a second stack beside the first with -c stackName, its alarms named after it, and refuses a name CloudFormation refuses', () => {
    // Act
    const named = runApp({ stackName: 'SilentAuditEu', logGroups: '/aws/lambda/etl' });
    const refused = runApp({ stackName: 'silent_audit' });

    // Assess
    expect(named.stderr).toBe('');
    expect(named.status).toBe(0);
    const template = JSON.parse(readFileSync(join(named.outdir, 'SilentAuditEu.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const alarmNames = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => String(r.Properties.AlarmName));
    expect(alarmNames).toContain('SilentAuditEu-no-lines-parsed');
    expect(alarmNames.every((name) => name.startsWith('SilentAuditEu-'))).toBe(true);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('-c stackName ("silent_audit"): not a CloudFormation stack name');
    expect(refused.stderr).not.toMatch(/^\s+at /m);
  });
});
