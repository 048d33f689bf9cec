import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../lambdas/config.ts';
import { subscriptionFilterPattern } from '../../lambdas/core/filter-pattern.ts';
import { selectionCriteriaIssues } from '../../lib/constructs/account-policy.ts';
import { SilentAuditStack } from '../../lib/silent-audit-stack.ts';
import { buildStack, testApp } from './cdk-app.ts';

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
}

describe('the account-level subscription filter policy', () => {
  it('is off by default', () => {
    const template = Template.fromStack(buildStack().stack);
    template.resourceCountIs('AWS::Logs::AccountPolicy', 0);
  });

  it.each([
    ['the config', { config: { deploy: { account_policy: true } } }],
    ['-c accountPolicy=true', { context: { accountPolicy: 'true' } }],
  ])('feeds every log group but the stack’s own to the ingest function, when turned on by %s', (_, options) => {
    // Prepare
    const { stack } = buildStack(options);
    const names = new Map<string, string>([
      [JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.ingest), 'Arn'] }), '<ingest arn>'],
      [JSON.stringify({ Ref: logicalId(stack.ingest.logGroup) }), '<ingest logs>'],
      [JSON.stringify({ Ref: logicalId(stack.sweep.logGroup) }), '<sweep logs>'],
      [JSON.stringify({ Ref: logicalId(stack.report.function.logGroup) }), '<report logs>'],
    ]);
    /** A Fn::Join resolved with the known references named. */
    const resolve = (value: { 'Fn::Join': [string, unknown[]] }) => value['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : (names.get(JSON.stringify(p)) ?? JSON.stringify(p)))).join('');
    // Act
    const template = Template.fromStack(stack);
    // Assess
    const [policy] = Object.values(template.findResources('AWS::Logs::AccountPolicy')).map((r) => r.Properties);
    expect(policy).toMatchObject({ PolicyName: 'SilentAudit-ingest', PolicyType: 'SUBSCRIPTION_FILTER_POLICY', Scope: 'ALL' });
    expect(JSON.parse(resolve(policy.PolicyDocument))).toEqual({ DestinationArn: '<ingest arn>', FilterPattern: subscriptionFilterPattern() });
    expect(resolve(policy.SelectionCriteria)).toBe('LogGroupName NOT IN ["<ingest logs>","<sweep logs>","<report logs>"]');
  });

  it('lets CloudWatch Logs invoke the ingest function from any log group of the account, before the policy exists', () => {
    // Prepare
    const { stack } = buildStack({ config: { deploy: { account_policy: true } } });
    // Act
    const template = Template.fromStack(stack);
    // Assess
    const permissions = template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'logs.amazonaws.com' } });
    expect(Object.values(permissions).map((p) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [logicalId(stack.ingest), 'Arn'] },
        Principal: 'logs.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:*']] },
      },
    ]);
    const [policyId] = Object.keys(template.findResources('AWS::Logs::AccountPolicy'));
    expect(template.toJSON().Resources[policyId].DependsOn).toEqual(Object.keys(permissions));
  });

  it('keeps the per-log-group filter of a log group excluded from the policy, and leaves it out of the policy', () => {
    // Prepare
    const { stack } = buildStack({ config: { deploy: { account_policy: true, log_groups: ['/jobs/cron'], account_policy_excluded_log_groups: ['/jobs/cron', '/aws/lambda/noisy'] } } });
    // Act
    const template = Template.fromStack(stack);
    // Assess
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 1);
    const [policy] = Object.values(template.findResources('AWS::Logs::AccountPolicy')).map((r) => r.Properties);
    expect(JSON.stringify(policy.SelectionCriteria)).toContain('"\\",\\"/jobs/cron\\",\\"/aws/lambda/noisy\\"]"');
  });

  it('shares its one permission with the log groups subscribed one by one beside it: one permission, which the policy and every filter wait for', () => {
    // Prepare
    const { stack } = buildStack({ config: { deploy: { account_policy: true, log_groups: ['/jobs/cron', '/jobs/backup'], account_policy_excluded_log_groups: ['/jobs/cron', '/jobs/backup'] } } });
    // Act
    const template = Template.fromStack(stack);
    // Assess
    const permissions = Object.keys(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'logs.amazonaws.com' } }));
    expect(permissions).toEqual([logicalId(stack.accountPolicy!.permission)]);
    const waiting = [...Object.values(template.findResources('AWS::Logs::SubscriptionFilter')), ...Object.values(template.findResources('AWS::Logs::AccountPolicy'))];
    expect(waiting.map((r) => r.DependsOn)).toEqual([permissions, permissions, permissions]);
  });

  it('refuses at synth a log group that would be fed twice (its own filter and the account policy), naming the -c option and the keys to change', () => {
    // Act
    const build = () => buildStack({ config: { deploy: { account_policy: true, log_groups: ['/jobs/cron'], account_policy_excluded_log_groups: ['/jobs/cron'] } }, context: { logGroups: '/aws/lambda/etl' } });
    const byContext = () => buildStack({ config: { deploy: { log_groups: ['/jobs/cron'] } }, context: { accountPolicy: 'true' } });
    // Assess
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/^cdk context: invalid config\n {2}- -c logGroups \("\/aws\/lambda\/etl"\): \/aws\/lambda\/etl is covered by the account-level subscription filter policy \(deploy\.account_policy\), which takes one of its two subscription filter slots/);
    expect(build).toThrow(/Remove it from -c logGroups, or list it in deploy\.account_policy_excluded_log_groups to keep its own filter/);
    expect(byContext).toThrow(/deploy\.log_groups\.0: \/jobs\/cron is covered by the account-level subscription filter policy \(-c accountPolicy=true\)/);
  });

  it.each([
    ['no account policy', { accountPolicy: false, excluded: [], ownLogGroups: 3 }, 0],
    ['the account policy alone', { accountPolicy: true, excluded: [], ownLogGroups: 3 }, 0],
    ['500 exclusions (over 25 KB)', { accountPolicy: true, excluded: Array.from({ length: 500 }, (_, i) => `/aws/lambda/${'x'.repeat(40)}-${i}`), ownLogGroups: 3 }, 1],
  ])('counts the selection criteria problems of %s', (_, options, count) => {
    expect(selectionCriteriaIssues(options)).toHaveLength(count);
  });

  it('refuses exclusions over the 25 KB of selection criteria with the config file, key path and line, like every other config problem', () => {
    // Prepare
    const excluded = Array.from({ length: 500 }, (_, i) => `      - /aws/lambda/${'x'.repeat(40)}-${i}`).join('\n');
    const config = parseConfigText(`deploy:\n  account_policy: true\n  account_policy_excluded_log_groups:\n${excluded}\n`, '/srv/silent-audit.config.yaml', { deploying: true });
    // Act
    const build = () => new SilentAuditStack(testApp(), 'SilentAudit', { config });
    // Assess
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/^\/srv\/silent-audit\.config\.yaml: invalid config\n {2}- deploy\.account_policy_excluded_log_groups: 500 log groups do not fit the 25 KB of selection criteria an account policy may have; exclude fewer \(line 4\)$/);
  });

  it('refuses an -c accountPolicy that is neither true nor false', () => {
    expect(() => buildStack({ context: { accountPolicy: 'yes' } })).toThrow(/-c accountPolicy \("yes"\): expected true or false/);
  });
});
