import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildStack } from './cdk-app.ts';

describe('the sweep in the stack', () => {
  it('runs the sweep function every 5 minutes through an EventBridge rule', () => {
    // Prepare
    const { stack } = buildStack();
    // Act
    const template = Template.fromStack(stack);
    // Assess
    const sweepId = Stack.of(stack).getLogicalId(stack.sweep.node.defaultChild as CfnElement);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweepId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [sweepId, 'Arn'] }, Principal: 'events.amazonaws.com' });
  });

  it('gives the sweep function the table and the topic, on Node.js 24 arm64', () => {
    const { stack } = buildStack();
    const template = Template.fromStack(stack);
    const fn = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('judges missed and unfinished runs') } });
    const [props] = Object.values(fn).map((r) => r.Properties);
    expect(props.Runtime).toBe('nodejs24.x');
    expect(props.Architectures).toEqual(['arm64']);
    expect(Object.keys(props.Environment.Variables)).toEqual(expect.arrayContaining(['TABLE_NAME', 'TOPIC_ARN']));
  });
});
