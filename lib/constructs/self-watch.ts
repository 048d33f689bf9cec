import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULT_METRICS_SERVICE, DEFAULT_STACK_NAME } from '../../lambdas/config.ts';
import type { AlertTopic } from './alert-topic.ts';

/** Where the functions' EMF metrics land (Powertools Metrics: namespace, and the `service` dimension). */
export const METRICS_NAMESPACE = 'SilentAudit';

/**
 * The `service` dimension of a stack's metrics (the functions' `POWERTOOLS_SERVICE_NAME`): the stack's
 * name, so that two deployments in one account and region never read each other's metrics; the
 * default stack keeps `silent-audit`.
 */
export function metricsServiceOf(scope: IConstruct): string {
  const { stackName } = Stack.of(scope);
  return stackName === DEFAULT_STACK_NAME ? DEFAULT_METRICS_SERVICE : stackName;
}

/** An alarm's options past its name and description. */
export type WatchAlarmOptions = Omit<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription'>;

/** An alarm named `alarmName` (its prefix included), that notifies `action` (the alert topic) when it fires. */
export function watchAlarm(scope: Construct, id: string, action: cloudwatch.IAlarmAction, alarmName: string, alarmDescription: string, options: WatchAlarmOptions): cloudwatch.Alarm {
  const created = new cloudwatch.Alarm(scope, id, { alarmName, alarmDescription, ...options });
  created.addAlarmAction(action);
  return created;
}

/** An alarm's options that fire on any count above 0 in one period; no data is no trouble. */
export const ANY_AT_ALL = { threshold: 0, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING } as const;

/** One of the functions' EMF metrics (METRICS_NAMESPACE, the `service` dimension of `scope`'s stack). */
export function serviceMetric(scope: IConstruct, metricName: string, period: Duration, statistic = 'Sum'): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: metricsServiceOf(scope) }, statistic, period });
}

/** The share of an hour's lines (percent) that, rejected, fires `lines-rejected`. */
export const REJECTED_SHARE_PERCENT = 5;
/** Lines an hour needs before its rejected share is judged (a few bad lines among a handful are no format change). */
export const REJECTED_MIN_LINES = 20;

/** When the monthly report is due: the day of the month and the UTC hour its schedule fires. */
export interface ReportDue {
  /** @default 1 */
  readonly dayOfMonth?: number;
  /** @default 6 */
  readonly hourUtc?: number;
  /**
   * Hours after the scheduled hour by which the report must have been invoked (EventBridge retries included).
   * @default 6
   */
  readonly withinHours?: number;
}

/**
 * When a report scheduled by an EventBridge `cron(min hour day * ? *)` expression is due; undefined
 * for a schedule that is not one fixed day and hour of every month.
 */
export function reportDueOf(expression: string): ReportDue | undefined {
  const m = /^cron\((\d{1,2}) (\d{1,2}) (\d{1,2}) \* \? \*\)$/.exec(expression.trim());
  return m ? { dayOfMonth: Number(m[3]), hourUtc: Number(m[2]) } : undefined;
}

export interface SelfWatchProps {
  /** The topic every alarm notifies (it must admit alarms named with `alarmNamePrefix`). */
  readonly alerts: AlertTopic;
  /** Prefix of every alarm name, e.g. `SilentAudit-`. */
  readonly alarmNamePrefix: string;
  /** The ingest function (errors, throttles). */
  readonly ingest: lambda.IFunction;
  /** The sweep function, on its 5-minute schedule (not running, errors). */
  readonly sweep: lambda.IFunction;
  /**
   * Hours without a single line read (`LinesRecognised`) before the heartbeat alarm fires (missing data breaches).
   * Leave it out when nothing is subscribed: the alarm would fire forever.
   * @default - no heartbeat alarm
   */
  readonly heartbeatHours?: number;
  /**
   * The monthly report function: an alarm fires when it was not invoked when due.
   * @default - no report alarm
   */
  readonly reportFunction?: lambda.IFunction;
  /** @default - the 1st of the month, 06:00 UTC, within 6 hours (MONTHLY_REPORT_SCHEDULE) */
  readonly reportDue?: ReportDue;
  /**
   * How long the sweep may not run before its alarm fires.
   * @default Duration.minutes(15) (three missed 5-minute runs)
   */
  readonly sweepWindow?: Duration;
}

/**
 * The auditor watching itself: CloudWatch alarms, all to the alerts topic, for ingest errors and
 * throttles, deliveries refused whole and a share of rejected lines, a sweep that stopped running or
 * keeps failing or keeps running out of time before every subject is judged, alert sends that keep failing or an alert given up, no line read (recognised) for
 * `heartbeatHours` (missing data breaching), and a monthly report that was not invoked when due.
 *
 * The heartbeat counts `LinesRecognised` (lines a parser read: with events or nothing to judge), not
 * `LinesParsed` (every line that reached the function): lines that all stop being read after a
 * format change (rejected or unrecognised) are silence too. Rejected lines have their own alarm, on
 * their share of the lines in an hour (`(LinesRejected - PayloadsRejected) / LinesParsed`, from
 * `REJECTED_MIN_LINES` lines, at `REJECTED_SHARE_PERCENT`: `LinesRejected` also counts a delivery
 * refused whole, which is no line and has its own alarm, `payloads-rejected`); unrecognised lines
 * are normal in some volume (other programs' lines that pass the subscription filter), so the
 * heartbeat is what watches them.
 *
 * `alerts-failing` reads the sweep's `AlertsAwaitingRetry` (a gauge: findings and notices whose send
 * failed or was not confirmed and that wait for a retry, counted after each sweep's delivery) with `AlertsFailed`: a failed send
 * retried later backs off to hourly, so failures alone leave most 5-minute periods empty; the
 * gauge stays above 0 until the finding is sent or given up (`alerts-abandoned`). An alarm action
 * is published by CloudWatch itself, not by our functions, so it still arrives when SNS refuses
 * the functions' messages (their role, a message the topic rejects); not when the topic or its
 * KMS key is broken, which stops both.
 *
 * "Monthly" does not fit a plain alarm (period × evaluation periods is at most 7 days), so the
 * report alarm evaluates hourly a metric math expression that is 1 outside the report's window and
 * the report's invocations inside it (the 1st, 06:00–12:00 UTC); six breaching hours in a row, i.e.
 * no invocation in the whole window, fire it. The sweep's invocations (every 5 minutes) give the
 * expression its hourly clock; if the sweep stops too, data goes missing and that breaches.
 */
export class SelfWatch extends Construct {
  readonly ingestErrors: cloudwatch.Alarm;
  readonly ingestThrottles: cloudwatch.Alarm;
  readonly payloadsRejected: cloudwatch.Alarm;
  readonly linesRejected: cloudwatch.Alarm;
  readonly sweepNotRunning: cloudwatch.Alarm;
  readonly sweepErrors: cloudwatch.Alarm;
  readonly sweepIncomplete: cloudwatch.Alarm;
  readonly alertsFailing: cloudwatch.Alarm;
  readonly alertsAbandoned: cloudwatch.Alarm;
  readonly heartbeat?: cloudwatch.Alarm;
  readonly reportNotRunning?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SelfWatchProps) {
    super(scope, id);
    const action = new SnsAction(props.alerts.topic);
    const alarm = (cid: string, name: string, description: string, options: WatchAlarmOptions) => watchAlarm(this, cid, action, `${props.alarmNamePrefix}${name}`, description, options);

    this.ingestErrors = alarm('IngestErrors', 'ingest-errors', 'The ingest function failed on a log delivery (it is retried, then lands in the failure queue): findings may be late or missing. Read its log group.', {
      metric: props.ingest.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      ...ANY_AT_ALL,
    });
    this.ingestThrottles = alarm('IngestThrottles', 'ingest-throttles', 'The ingest function was throttled: Lambda keeps the log deliveries in its asynchronous queue and retries them for up to 6 hours, then puts them in the ingest failure queue: findings may be late. Raise its reserved concurrency or the account limit.', {
      metric: props.ingest.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      ...ANY_AT_ALL,
    });

    const sweepWindow = props.sweepWindow ?? Duration.minutes(15);
    this.sweepNotRunning = alarm('SweepNotRunning', 'sweep-not-running', `The sweep did not run for ${sweepWindow.toHumanString()}: missed and unfinished runs are not judged and pending alerts wait. Check its schedule rule.`, {
      metric: props.sweep.metricInvocations({ period: sweepWindow, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.sweepErrors = alarm('SweepErrors', 'sweep-errors', 'The sweep failed in three 5-minute periods in a row: absence is not judged and pending alerts are not delivered. Read its log group.', {
      metric: props.sweep.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // A sweep out of time leaves some subjects to the next one (each starts elsewhere in its list), so they
    // are judged late: a shortfall that lasts warns. One slow sweep (after an outage) is caught up by the next.
    // A kind the sweep had no time to list leaves subjects that SweepSubjectsLeft cannot count: SweepKindsLeft counts the kinds.
    // Alerts a delivery out of time left pending (SweepAlertsLeft) go out a sweep or more late too.
    const fiveMinutes = Duration.minutes(5);
    this.sweepIncomplete = alarm('SweepIncomplete', 'sweep-incomplete', 'The sweep ran out of time before judging every subject or sending every alert in three 5-minute periods in a row (SweepSubjectsLeft, SweepKindsLeft or SweepAlertsLeft above 0): each sweep starts elsewhere in its lists, but the subjects it leaves are judged late, their missed and unfinished runs reported a sweep or more behind, and the alerts it leaves pending go out with a later sweep. The log line "sweep done" gives subjectsLeft, kindsLeft (kinds not even listed) and alertsLeft. Raise the sweep\'s timeout or memory (its AuditFunction in lib/silent-audit-stack.ts), or split the fleet between two deployments.', {
      metric: new cloudwatch.MathExpression({
        // FILL: a sweep deployed before SweepKindsLeft or SweepAlertsLeft existed writes none.
        expression: 'subjectsLeft + FILL(kindsLeft, 0) + FILL(alertsLeft, 0)',
        usingMetrics: {
          subjectsLeft: serviceMetric(this, 'SweepSubjectsLeft', fiveMinutes, 'Maximum'),
          kindsLeft: serviceMetric(this, 'SweepKindsLeft', fiveMinutes, 'Maximum'),
          alertsLeft: serviceMetric(this, 'SweepAlertsLeft', fiveMinutes, 'Maximum'),
        },
        period: fiveMinutes,
        label: 'subjects, kinds and alerts the sweep left for lack of time',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.payloadsRejected = alarm('PayloadsRejected', 'payloads-rejected', 'A log delivery was refused whole (not base64, gzip or the subscription JSON): none of its lines were read, and it is not retried. The log line "line rejected" of the ingest function says where and why.', {
      metric: serviceMetric(this, 'PayloadsRejected', Duration.minutes(5)),
      ...ANY_AT_ALL,
    });
    const anHour = Duration.hours(1);
    this.linesRejected = alarm('LinesRejected', 'lines-rejected', `At least ${REJECTED_SHARE_PERCENT}% of the log lines of an hour (of ${REJECTED_MIN_LINES} or more) were rejected: they look like silent-audit events but break the contract (a log format changed by an upgrade, e.g. exit_code written as a string), so their runs look missed or their agents healthy. The ingest function's "line rejected" log lines name the field and the reason.`, {
      metric: new cloudwatch.MathExpression({
        // LinesRejected also counts each delivery refused whole (LineCounts.rejected), which is no line
        // and not in LinesParsed: payloads-rejected reports those, so they are taken out of the share.
        expression: `IF(lines >= ${REJECTED_MIN_LINES}, 100 * (rejected - FILL(payloads, 0)) / lines, 0)`,
        usingMetrics: { lines: serviceMetric(this, 'LinesParsed', anHour), rejected: serviceMetric(this, 'LinesRejected', anHour), payloads: serviceMetric(this, 'PayloadsRejected', anHour) },
        period: anHour,
        label: 'rejected lines, percent of the lines of the hour',
      }),
      threshold: REJECTED_SHARE_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const alertMetric = (metricName: string) => serviceMetric(this, metricName, Duration.minutes(5));
    const whatToCheck = "Check the alerts topic's policy (it must let the functions publish), its KMS key (enabled, and usable by the functions: kms:GenerateDataKey, kms:Decrypt), and the alert errors in the ingest and sweep log groups (alertErrors, alerts.errors).";
    this.alertsFailing = alarm('AlertsFailing', 'alerts-failing', `Alert sends to the topic have been failing for three 5-minute periods in a row (sends failed, or findings and notices wait for a retry of a failed send, or of a send not confirmed: published perhaps, its mark lost, resent as a possible repeat): findings wait unsent in the outbox and are given up after 14 days. It stays in ALARM while they wait. ${whatToCheck}`, {
      metric: new cloudwatch.MathExpression({
        // The gauge is written by each sweep (every 5 minutes); a period it missed keeps the last count.
        expression: 'MAX([FILL(waiting, REPEAT), FILL(failed, 0)])',
        usingMetrics: { waiting: serviceMetric(this, 'AlertsAwaitingRetry', Duration.minutes(5), 'Maximum'), failed: alertMetric('AlertsFailed') },
        period: Duration.minutes(5),
        label: 'findings waiting for a retry, or failed sends',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      // No data at all: no sweep and no delivery ran (sweep-not-running says so); the alarm keeps its state.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    this.alertsAbandoned = alarm('AlertsAbandoned', 'alerts-abandoned', `An alert was given up after 14 days of failed sends: its finding was never alerted (the stored finding keeps its last error; the log line says 'gave up after N failed sends'). ${whatToCheck}`, {
      metric: alertMetric('AlertsAbandoned'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.heartbeatHours !== undefined) {
      const hours = props.heartbeatHours;
      this.heartbeat = alarm('Heartbeat', 'no-lines-parsed', `No log line was read by silent-audit for ${hours} hours (none reached it, or every one was rejected or unrecognised): a subscription filter, the log groups or the ingest function may be broken, or the logs' format changed, and silence here looks like health everywhere.`, {
        metric: serviceMetric(this, 'LinesRecognised', Duration.hours(hours)),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }

    if (props.reportFunction) {
      const day = props.reportDue?.dayOfMonth ?? 1;
      const hour = props.reportDue?.hourUtc ?? 6;
      const within = props.reportDue?.withinHours ?? 6;
      if (hour + within > 24) throw new Error(`SelfWatch reportDue: the report window (${hour}:00 UTC + ${within} h) must end within the day`);
      const hourly = { period: Duration.hours(1), statistic: 'Sum' };
      this.reportNotRunning = alarm('ReportNotRunning', 'report-not-running', `The monthly report was not invoked on day ${day} between ${hour}:00 and ${hour + within}:00 UTC: no audit report for last month. Check its schedule rule, then invoke it with {"month": "YYYY-MM"}.`, {
        metric: new cloudwatch.MathExpression({
          expression: `IF(DATE(clock) == ${day} AND HOUR(clock) >= ${hour} AND HOUR(clock) < ${hour + within}, FILL(runs, 0), 1)`,
          usingMetrics: { clock: props.sweep.metricInvocations(hourly), runs: props.reportFunction.metricInvocations(hourly) },
          period: Duration.hours(1),
          label: 'report invocations in its due window (1 outside it)',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: within,
        datapointsToAlarm: within,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }
  }

  /** Every alarm this construct made. */
  get alarms(): cloudwatch.Alarm[] {
    return [this.ingestErrors, this.ingestThrottles, this.payloadsRejected, this.linesRejected, this.sweepNotRunning, this.sweepErrors, this.sweepIncomplete, this.alertsFailing, this.alertsAbandoned, ...(this.heartbeat ? [this.heartbeat] : []), ...(this.reportNotRunning ? [this.reportNotRunning] : [])];
  }
}
