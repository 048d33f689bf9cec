import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { reportDueOf } from '../../lib/constructs/self-watch.ts';
import { buildStack } from './cdk-app.ts';

const SUBSCRIBED = { deploy: { log_groups: ['/aws/lambda/etl-loader'] } };

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The template's alarm with this name, its properties. */
function alarmNamed(template: Template, name: string): Record<string, unknown> {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }));
  expect(found, `alarm ${name}`).toHaveLength(1);
  return found[0].Properties as Record<string, unknown>;
}

describe('the auditor watching itself: alarms', () => {
  it.each([
    {
      name: 'SilentAudit-ingest-errors',
      fn: 'ingest' as const,
      metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: 300 },
      rule: { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' },
    },
    {
      name: 'SilentAudit-ingest-throttles',
      fn: 'ingest' as const,
      metric: { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Statistic: 'Sum', Period: 300 },
      rule: { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' },
    },
    {
      name: 'SilentAudit-sweep-not-running',
      fn: 'sweep' as const,
      metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Statistic: 'Sum', Period: 900 },
      rule: { Threshold: 1, ComparisonOperator: 'LessThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'breaching' },
    },
    {
      name: 'SilentAudit-sweep-errors',
      fn: 'sweep' as const,
      metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: 300 },
      rule: { Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, TreatMissingData: 'notBreaching' },
    },
  ])('$name: $metric.MetricName of the $fn function, to the alerts topic', ({ name, fn, metric, rule }) => {
    // Prepare
    const { stack } = buildStack();
    // Act
    const alarm = alarmNamed(Template.fromStack(stack), name);
    // Assess
    expect(alarm).toMatchObject({
      ...metric,
      ...rule,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack[fn]) } }],
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
    expect(alarm.AlarmDescription).toEqual(expect.any(String));
  });

  it('keeps the failure-queue alarm: any message waiting in the on-failure queue', () => {
    // Prepare
    const { stack } = buildStack();
    // Act
    const alarm = alarmNamed(Template.fromStack(stack), 'SilentAudit-ingest-failures');
    // Assess
    expect(alarm).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }] });
  });

  it('warns again before the failure queue deletes a message: its oldest message 10 days old, 4 days before the 14-day retention', () => {
    // Prepare
    const { stack } = buildStack();
    const template = Template.fromStack(stack);
    const retentionSeconds = template.findResources('AWS::SQS::Queue')[logicalId(stack.ingestFailures)].Properties.MessageRetentionPeriod as number;
    // Act
    const alarm = alarmNamed(template, 'SilentAudit-ingest-failures-expiring');
    // Assess
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.ingestFailures), 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 900,
      Threshold: 10 * 24 * 3600,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
    expect(retentionSeconds - (alarm.Threshold as number)).toBe(4 * 24 * 3600);
    expect(alarm.AlarmDescription).toMatch(/deletes it.* at 14 days\. Redrive it/);
  });

  it('SilentAudit-alerts-abandoned: the functions’ AlertsAbandoned (EMF, by service), to the alerts topic, saying what to check', () => {
    // Prepare
    const { stack } = buildStack();
    // Act
    const alarm = alarmNamed(Template.fromStack(stack), 'SilentAudit-alerts-abandoned');
    // Assess
    expect(alarm).toMatchObject({
      Namespace: 'SilentAudit',
      MetricName: 'AlertsAbandoned',
      Dimensions: [{ Name: 'service', Value: 'silent-audit' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
    expect(alarm.AlarmDescription).toEqual(expect.stringMatching(/topic's policy.*KMS key.*log groups/s));
  });

  it('SilentAudit-sweep-incomplete: the sweep’s SweepSubjectsLeft, SweepKindsLeft or SweepAlertsLeft above 0 in three 5-minute periods in a row, saying what to change', () => {
    // Prepare
    const { stack } = buildStack();
    const service = [{ Name: 'service', Value: 'silent-audit' }];
    // Act
    const alarm = alarmNamed(Template.fromStack(stack), 'SilentAudit-sweep-incomplete');
    // Assess: one slow sweep (after an outage) fires nothing, a lasting shortfall does, also one of kinds never listed (no subject counted left)
    expect(alarm).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
    expect(alarm.Metrics).toEqual([
      { Id: 'expr_1', Expression: 'subjectsLeft + FILL(kindsLeft, 0) + FILL(alertsLeft, 0)', Label: 'subjects, kinds and alerts the sweep left for lack of time', ReturnData: true },
      { Id: 'subjectsLeft', MetricStat: { Metric: { Namespace: 'SilentAudit', MetricName: 'SweepSubjectsLeft', Dimensions: service }, Period: 300, Stat: 'Maximum' }, ReturnData: false },
      { Id: 'kindsLeft', MetricStat: { Metric: { Namespace: 'SilentAudit', MetricName: 'SweepKindsLeft', Dimensions: service }, Period: 300, Stat: 'Maximum' }, ReturnData: false },
      { Id: 'alertsLeft', MetricStat: { Metric: { Namespace: 'SilentAudit', MetricName: 'SweepAlertsLeft', Dimensions: service }, Period: 300, Stat: 'Maximum' }, ReturnData: false },
    ]);
    expect(alarm.AlarmDescription).toEqual(expect.stringMatching(/elsewhere in its lists.*judged late.*alerts it leaves pending.*subjectsLeft, kindsLeft.*and alertsLeft.*timeout or memory.*lib\/silent-audit-stack\.ts.*split the fleet/s));
  });

  it('SilentAudit-alerts-failing: holds while findings wait for a retry (the sweep’s AlertsAwaitingRetry, kept between sweeps) or sends fail, saying what to check', () => {
    // Prepare
    const { stack } = buildStack();
    const service = [{ Name: 'service', Value: 'silent-audit' }];
    // Act
    const alarm = alarmNamed(Template.fromStack(stack), 'SilentAudit-alerts-failing');
    // Assess: 3 of 3 five-minute periods above 0; no data at all (nothing ran) keeps the alarm's state
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'ignore', AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }] });
    expect(alarm.Metrics).toEqual([
      { Id: 'expr_1', Expression: 'MAX([FILL(waiting, REPEAT), FILL(failed, 0)])', Label: 'findings waiting for a retry, or failed sends', ReturnData: true },
      { Id: 'waiting', MetricStat: { Metric: { Namespace: 'SilentAudit', MetricName: 'AlertsAwaitingRetry', Dimensions: service }, Period: 300, Stat: 'Maximum' }, ReturnData: false },
      { Id: 'failed', MetricStat: { Metric: { Namespace: 'SilentAudit', MetricName: 'AlertsFailed', Dimensions: service }, Period: 300, Stat: 'Sum' }, ReturnData: false },
    ]);
    expect(alarm.AlarmDescription).toEqual(expect.stringMatching(/stays in ALARM while they wait.*topic's policy.*KMS key.*log groups/s));
    expect(alarm.AlarmDescription).toMatch(/send not confirmed.*possible repeat/s);
    expect(String(alarm.AlarmDescription).length).toBeLessThanOrEqual(1024);
  });

  it('SilentAudit-lines-rejected: 5% or more of an hour’s lines (of 20 or more) rejected, saying where the reasons are', () => {
    // Prepare
    const { stack } = buildStack();
    const service = [{ Name: 'service', Value: 'silent-audit' }];
    // Act
    const alarm = alarmNamed(Template.fromStack(stack), 'SilentAudit-lines-rejected');
    // Assess
    expect(alarm).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching', AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }] });
    expect(alarm.Metrics).toEqual([
      { Id: 'expr_1', Expression: 'IF(lines >= 20, 100 * (rejected - FILL(payloads, 0)) / lines, 0)', Label: 'rejected lines, percent of the lines of the hour', ReturnData: true },
      { Id: 'lines', MetricStat: { Metric: { Namespace: 'SilentAudit', MetricName: 'LinesParsed', Dimensions: service }, Period: 3600, Stat: 'Sum' }, ReturnData: false },
      { Id: 'rejected', MetricStat: { Metric: { Namespace: 'SilentAudit', MetricName: 'LinesRejected', Dimensions: service }, Period: 3600, Stat: 'Sum' }, ReturnData: false },
      { Id: 'payloads', MetricStat: { Metric: { Namespace: 'SilentAudit', MetricName: 'PayloadsRejected', Dimensions: service }, Period: 3600, Stat: 'Sum' }, ReturnData: false },
    ]);
    expect(alarm.AlarmDescription).toEqual(expect.stringContaining('"line rejected"'));
  });

  it('SilentAudit-lines-rejected: a delivery refused whole (counted in LinesRejected, not in LinesParsed) is no rejected line', () => {
    // Prepare: hours' sums as the ingest writes them: a delivery refused whole counts 1 in LinesRejected
    // and PayloadsRejected and 0 in LinesParsed; PayloadsRejected is written only when one was refused.
    const { stack } = buildStack();
    const alarm = alarmNamed(Template.fromStack(stack), 'SilentAudit-lines-rejected');
    const metrics = alarm.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string } } }>;
    const expression = metrics.find((m) => m.Expression)?.Expression ?? '';
    const idOf = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.MetricStat!.Metric.MetricName, m.Id]));
    // The expression's IF and FILL (arguments evaluated eagerly; IF picks one), on one hour's sums.
    const evaluate = (sums: Record<string, number>) =>
      new Function('IF', 'FILL', ...Object.values(idOf), `return ${expression};`)(
        (cond: boolean, then: number, otherwise: number) => (cond ? then : otherwise),
        (value: number | undefined, fill: number) => value ?? fill,
        ...Object.keys(idOf).map((name) => sums[name]),
      ) as number;
    // Act
    const refusedOnly = evaluate({ LinesParsed: 20, LinesRejected: 1, PayloadsRejected: 1 });
    const oneLineOf20 = evaluate({ LinesParsed: 20, LinesRejected: 1 });
    const twoLinesAndRefused = evaluate({ LinesParsed: 20, LinesRejected: 3, PayloadsRejected: 1 });
    // Assess: 20 valid lines and a refused delivery (payloads-rejected's case) stay under 5%; rejected lines still count
    expect(refusedOnly).toBe(0);
    expect(oneLineOf20).toBe(5);
    expect(twoLinesAndRefused).toBe(10);
  });

  it('SilentAudit-payloads-rejected: any delivery refused whole (PayloadsRejected) in 5 minutes', () => {
    // Prepare
    const { stack } = buildStack();
    // Act
    const alarm = alarmNamed(Template.fromStack(stack), 'SilentAudit-payloads-rejected');
    // Assess
    expect(alarm).toMatchObject({
      Namespace: 'SilentAudit',
      MetricName: 'PayloadsRejected',
      Dimensions: [{ Name: 'service', Value: 'silent-audit' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
  });

  it('raises a heartbeat when no line was read (recognised: not rejected, not unrecognised) for deploy.heartbeat_hours, missing data breaching', () => {
    // Prepare
    const { stack } = buildStack({ config: { deploy: { ...SUBSCRIBED.deploy, heartbeat_hours: 4 } } });
    // Act
    const alarm = alarmNamed(Template.fromStack(stack), 'SilentAudit-no-lines-parsed');
    // Assess
    expect(alarm).toMatchObject({
      Namespace: 'SilentAudit',
      MetricName: 'LinesRecognised',
      Dimensions: [{ Name: 'service', Value: 'silent-audit' }],
      Statistic: 'Sum',
      Period: 4 * 3600,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
  });

  it('has no heartbeat when nothing is subscribed (it would fire forever), and 6 hours by default', () => {
    const none = Template.fromStack(buildStack().stack);
    const subscribed = Template.fromStack(buildStack({ config: SUBSCRIBED }).stack);
    expect(none.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'SilentAudit-no-lines-parsed' } })).toEqual({});
    expect(alarmNamed(subscribed, 'SilentAudit-no-lines-parsed')).toMatchObject({ Period: 6 * 3600 });
  });

  it('raises an alarm when the monthly report was not invoked on the 1st between 06:00 and 12:00 UTC', () => {
    // Prepare
    const { stack } = buildStack();
    const dims = (fn: IConstruct) => [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }];
    // Act
    const alarm = alarmNamed(Template.fromStack(stack), 'SilentAudit-report-not-running');
    // Assess
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
    expect(alarm.Metrics).toEqual([
      {
        Id: 'expr_1',
        Expression: 'IF(DATE(clock) == 1 AND HOUR(clock) >= 6 AND HOUR(clock) < 12, FILL(runs, 0), 1)',
        Label: 'report invocations in its due window (1 outside it)',
        ReturnData: true,
      },
      { Id: 'clock', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dims(stack.sweep) }, Period: 3600, Stat: 'Sum' }, ReturnData: false },
      { Id: 'runs', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dims(stack.report.function) }, Period: 3600, Stat: 'Sum' }, ReturnData: false },
    ]);
  });

  it('reads when the report is due from its EventBridge schedule', () => {
    expect(reportDueOf('cron(0 6 1 * ? *)')).toEqual({ dayOfMonth: 1, hourUtc: 6 });
    expect(reportDueOf('cron(30 9 2 * ? *)')).toEqual({ dayOfMonth: 2, hourUtc: 9 });
    expect(reportDueOf('rate(1 day)')).toBeUndefined();
  });

  it('names every alarm with the stack prefix the topic admits, and sends each to the topic', () => {
    // Prepare
    const { stack } = buildStack({ config: SUBSCRIBED });
    // Act
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties);
    // Assess
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      expect.arrayContaining(['SilentAudit-alerts-abandoned', 'SilentAudit-alerts-failing', 'SilentAudit-ingest-errors', 'SilentAudit-ingest-failures', 'SilentAudit-ingest-failures-expiring', 'SilentAudit-ingest-throttles', 'SilentAudit-lines-rejected', 'SilentAudit-no-lines-parsed', 'SilentAudit-payloads-rejected', 'SilentAudit-report-not-running', 'SilentAudit-sweep-errors', 'SilentAudit-sweep-incomplete', 'SilentAudit-sweep-not-running']),
    );
    for (const a of alarms) {
      expect(a.AlarmName).toMatch(/^SilentAudit-/);
      expect(a.AlarmActions).toEqual([{ Ref: logicalId(stack.alerts.topic) }]);
    }
  });

  it('synthesises with the AwsSolutions checks clean and no warning (math expression ids included)', () => {
    // Prepare
    const { app, stack } = buildStack({ config: { deploy: { ...SUBSCRIBED.deploy, account_policy: true, account_policy_excluded_log_groups: ['/aws/lambda/etl-loader'] } } });
    const checks = new AwsSolutionsChecks(app, { verbose: true });
    Validations.of(app).addPlugins(checks);
    // Act
    app.synth();
    const report = checks.validateScope(app);
    // Assess
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it.each([
    ['the default stack', {}, {}, 'SilentAudit', 'silent-audit'],
    ['-c stackName', {}, { stackName: 'SilentAuditEu' }, 'SilentAuditEu', 'SilentAuditEu'],
    ['deploy.stack_name', { stack_name: 'SilentAuditBatch' }, {}, 'SilentAuditBatch', 'SilentAuditBatch'],
  ])('reads the metrics of its own stack only (%s): every function writes, and every alarm reads, the service dimension of the stack', (_, deploy, context, stackName, service) => {
    // Prepare
    const { stack } = buildStack({ config: { deploy: { ...SUBSCRIBED.deploy, kinesis_log_groups: ['/aws/lambda/busy'], ...deploy } }, context });
    // Act
    const template = Template.fromStack(stack).toJSON();
    // Assess
    const json = JSON.stringify(template);
    const dimensions = [...json.matchAll(/\{"Name":"service","Value":"([^"]*)"\}/g)].map((m) => m[1]);
    const serviceNames = Object.values(template.Resources as Record<string, { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }>)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME);
    expect(stack.stackName).toBe(stackName);
    expect(dimensions.length).toBeGreaterThan(10);
    expect(new Set(dimensions)).toEqual(new Set([service]));
    expect(serviceNames).toHaveLength(4);
    expect(new Set(serviceNames)).toEqual(new Set([service]));
  });
});
