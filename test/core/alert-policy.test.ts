import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import {
  type AlertState,
  alertPolicyOptions,
  capAlerts,
  decideAlerts,
  initialAlertState,
  type PlannedAlert,
  type PolicyResult,
  type RunOutcome,
  runOutcomes,
  settleNotices,
  type Suppression,
} from '../../lambdas/core/alert-policy.ts';
import { alertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import type { DetectorId } from '../../lambdas/detectors/ids.ts';
import { type Finding, findingKey, isoTime } from '../../lambdas/core/findings.ts';

const T0 = Date.parse('2026-10-05T00:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

function finding(detector: DetectorId, at: number, subject = 'etl', run_id = `r-${at}`): Finding {
  return { detector, subject, subject_kind: 'job', run_id, ts: isoTime(at), severity: detector === 'duration-slow' ? 'medium' : 'high', message: `${detector} at ${isoTime(at)}`, evidence: {} };
}

interface Step {
  /** Minutes after T0: the findings' and outcomes' time, and `now`. */
  readonly at: number;
  readonly findings?: readonly DetectorId[];
  /** Run outcomes at this time, before the findings: `ok` healthy, `fail` failing. */
  readonly runs?: ReadonlyArray<'ok' | 'fail'>;
  /** Minutes after T0 the runs started, when judged later than the step (a cron run judged healthy a day late). */
  readonly runsAt?: number;
  readonly snoozed?: boolean;
}

/** What a step did, one string per message or held finding, e.g. `sent finding run-failed (1 held since 00:00)`. */
function describeResult(result: PolicyResult): string[] {
  const since = (a: PlannedAlert) => (a.since !== undefined ? ` since ${isoTime(a.since).slice(11, 16)}` : '');
  return [
    ...result.alerts.map(
      (a) =>
        `${a.retry ? 'resent' : 'sent'} ${a.kind} ${a.candidate ? a.detector : a.subject} ${a.severity}` +
        (a.coalesced > 0 ? ` +${a.coalesced}` : '') +
        (a.suppressed > 0 ? ` (${a.suppressed} held${since(a)}${a.snoozed > 0 ? `, ${a.snoozed} snoozed` : ''})` : '') +
        (a.kind === 'escalation' ? ` streak ${a.streak}` : ''),
    ),
    ...result.held.map((h) => `held ${h.disposition}`),
  ];
}

/** Runs steps through the policy as consecutive invocations, threading the state. */
function simulate(steps: readonly Step[], config: unknown = {}, settle = true): { log: string[][]; state: AlertState | undefined; results: PolicyResult[] } {
  const options = alertPolicyOptions(validateConfig(config, 'test', undefined, { now: T0 }));
  let state: AlertState | undefined;
  const log: string[][] = [];
  const results: PolicyResult[] = [];
  for (const step of steps) {
    const at = T0 + step.at * MIN;
    const findings = (step.findings ?? []).map((d, i) => finding(d, at, 'etl', `r-${step.at}-${i}`));
    const runsAt = step.runsAt !== undefined ? T0 + step.runsAt * MIN : at;
    const outcomes: RunOutcome[] = (step.runs ?? []).map((r, i) => ({ at: runsAt - (step.runs!.length - i), healthy: r === 'ok', run_id: `ok-${step.at}-${i}` }));
    const snooze: Suppression = { kind: 'snoozed', id: 'SZ-1', owner: 'alice', reason: 'migration', until: isoTime(at + HOUR) };
    const result = decideAlerts(
      state,
      { subject: 'etl', subject_kind: 'job' },
      { candidates: findings.map((f) => ({ key: findingKey(f), finding: f })), outcomes },
      { now: at, options, leaseMs: MIN, suppressionOf: () => (step.snoozed ? snooze : undefined) },
    );
    if (result.changed) state = result.state;
    // As the adapter does once a notice went out.
    if (state && settle) state = settleNotices(state, result.alerts.flatMap((a) => (a.notice ? [a.notice.id] : [])));
    log.push(describeResult(result));
    results.push(result);
  }
  return { log, state, results };
}

describe('alert policy: cooldown and suppressed counts', () => {
  it.each([
    {
      name: 'sends the first finding of a detector and subject',
      steps: [{ at: 0, findings: ['run-failed'] }],
      expected: [['sent finding run-failed high']],
    },
    {
      name: 'holds a second finding within the cooldown (6 h), and the next alert after it says how many since when',
      steps: [
        { at: 0, findings: ['output-shrink'] },
        { at: 60, findings: ['output-shrink'] },
        { at: 120, findings: ['output-shrink'] },
        { at: 361, findings: ['output-shrink'] },
      ],
      expected: [['sent finding output-shrink high'], ['held suppressed'], ['held suppressed'], ['sent finding output-shrink high (2 held since 00:00)']],
    },
    {
      name: 'keeps one cooldown per detector: another detector on the same subject alerts at once',
      steps: [
        { at: 0, findings: ['output-shrink'] },
        { at: 10, findings: ['duration-slow'] },
        { at: 20, findings: ['output-shrink', 'duration-slow'] },
      ],
      expected: [['sent finding output-shrink high'], ['sent finding duration-slow medium'], ['held suppressed', 'held suppressed']],
    },
    {
      name: 'folds findings of one delivery into its one alert instead of counting them for the next',
      steps: [
        { at: 0, findings: ['output-shrink', 'output-shrink', 'output-shrink'] },
        { at: 400, findings: ['output-shrink'] },
      ],
      expected: [['sent finding output-shrink high +2', 'held suppressed', 'held suppressed'], ['sent finding output-shrink high']],
    },
    {
      name: 'sends every finding with a cooldown of 0',
      steps: [
        { at: 0, findings: ['output-shrink'] },
        { at: 1, findings: ['output-shrink'] },
      ],
      config: { defaults: { alert_cooldown_minutes: 0 } },
      expected: [['sent finding output-shrink high'], ['sent finding output-shrink high']],
    },
    {
      name: 'applies the configured severity of a detector',
      steps: [{ at: 0, findings: ['output-shrink'] }],
      config: { defaults: { severity: { 'output-shrink': 'low' } } },
      expected: [['sent finding output-shrink low']],
    },
  ] as Array<{ name: string; steps: Step[]; expected: string[][]; config?: unknown }>)('$name', ({ steps, expected, config }) => {
    // Act
    const { log } = simulate(steps, config);
    // Assess
    expect(log).toEqual(expected);
  });

  it('decides a finding once: handed in again, it is re-sent as decided (or re-held), and the state does not change', () => {
    // Prepare
    const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
    const f1 = finding('run-failed', T0);
    const f2 = finding('run-failed', T0 + MIN);
    const ctx = { now: T0 + MIN, options, leaseMs: MIN, suppressionOf: () => undefined };
    const input = { candidates: [f1, f2].map((f) => ({ key: findingKey(f), finding: f })), outcomes: [] };
    const first = decideAlerts(undefined, { subject: 'etl', subject_kind: 'job' }, input, ctx);
    // Act
    const again = decideAlerts(first.state, { subject: 'etl', subject_kind: 'job' }, input, { ...ctx, now: T0 + 10 * MIN });
    // Assess
    expect(describeResult(first)).toEqual(['sent finding run-failed high +1', 'held suppressed']);
    expect(again.changed).toBe(false);
    expect(again.state).toBe(first.state);
    expect(describeResult(again)).toEqual(['resent finding run-failed high +1', 'held suppressed']);
  });
});

describe('alert policy: consecutive-failure escalation', () => {
  it.each([
    {
      name: 'alerts the first run-failed, holds the second in the cooldown, escalates the third in a row (one step up)',
      steps: [
        { at: 0, runs: ['fail'], findings: ['run-failed'] },
        { at: 60, runs: ['fail'], findings: ['run-failed'] },
        { at: 120, runs: ['fail'], findings: ['run-failed'] },
      ],
      expected: [['sent finding run-failed high'], ['held suppressed'], ['sent escalation run-failed critical (1 held since 00:00) streak 3']],
    },
    {
      name: 'escalates once per streak; later alerts of the streak keep the raised severity',
      steps: [
        { at: 0, findings: ['run-failed'] },
        { at: 60, findings: ['run-failed'] },
        { at: 120, findings: ['run-failed'] },
        { at: 180, findings: ['run-failed'] },
        { at: 500, findings: ['run-failed'] },
      ],
      expected: [['sent finding run-failed high'], ['held suppressed'], ['sent escalation run-failed critical (1 held since 00:00) streak 3'], ['held suppressed'], ['sent finding run-failed critical (1 held since 02:00)']],
    },
    {
      name: 'starts the count again after a healthy run',
      steps: [
        { at: 0, findings: ['run-failed'] },
        { at: 60, findings: ['run-failed'] },
        { at: 120, runs: ['ok'] },
        { at: 180, findings: ['run-failed'] },
        { at: 240, findings: ['run-failed'] },
      ],
      expected: [['sent finding run-failed high'], ['held suppressed'], [], ['held suppressed'], ['held suppressed']],
    },
    {
      name: 'escalates only the configured detectors',
      steps: [
        { at: 0, findings: ['output-shrink'] },
        { at: 60, findings: ['output-shrink'] },
        { at: 120, findings: ['output-shrink'] },
      ],
      expected: [['sent finding output-shrink high'], ['held suppressed'], ['held suppressed']],
    },
    {
      name: 'follows escalate_after_failures',
      steps: [
        { at: 0, findings: ['missed-run'] },
        { at: 60, findings: ['missed-run'] },
      ],
      config: { defaults: { escalate_after_failures: 2 } },
      expected: [['sent finding missed-run high'], ['sent escalation missed-run critical streak 2']],
    },
    {
      name: 'escalates in the same delivery when the streak is reached there',
      steps: [{ at: 0, findings: ['run-failed', 'run-failed', 'run-failed'] }],
      expected: [['sent finding run-failed high +1', 'sent escalation run-failed critical streak 3', 'held suppressed']],
    },
  ] as Array<{ name: string; steps: Step[]; expected: string[][]; config?: unknown }>)('$name', ({ steps, expected, config }) => {
    // Act
    const { log } = simulate(steps, config);
    // Assess
    expect(log).toEqual(expected);
  });
});

describe('alert policy: flapping', () => {
  /** An hourly job that fails every other run, each failure with a run-failed finding. */
  const alternating = (hours: number): Step[] =>
    Array.from({ length: hours }, (_, h) => (h % 2 === 0 ? { at: h * 60, runs: ['fail'] as const, findings: ['run-failed'] as DetectorId[] } : { at: h * 60, runs: ['ok'] as const }));

  it.each([
    {
      name: 'sends one flapping alert at the 6th switch within 24 h, then holds the subject’s findings as flapping',
      steps: alternating(12),
      expected: [
        ['sent finding run-failed high'],
        [],
        ['held suppressed'],
        [],
        ['held suppressed'],
        [],
        ['sent flapping etl high', 'held flapping'],
        [],
        ['held flapping'],
        [],
        ['held flapping'],
        [],
      ],
    },
    {
      name: 'does not call a daily failure flapping',
      steps: [0, 1, 2, 3, 4, 5].map((d) => ({ at: d * 24 * 60, runs: [d % 2 === 0 ? 'fail' : 'ok'], findings: d % 2 === 0 ? ['run-failed'] : [] })),
      expected: [['sent finding run-failed high'], [], ['sent finding run-failed high'], [], ['sent finding run-failed high'], []],
    },
    {
      name: 'follows flapping_transitions_per_day',
      steps: alternating(6),
      config: { defaults: { flapping_transitions_per_day: 4 } },
      expected: [['sent finding run-failed high'], [], ['held suppressed'], [], ['sent flapping etl high', 'held flapping'], []],
    },
  ] as Array<{ name: string; steps: Step[]; expected: string[][]; config?: unknown }>)('$name', ({ steps, expected, config }) => {
    // Act
    const { log } = simulate(steps, config);
    // Assess
    expect(log).toEqual(expected);
  });

  it('ends flapping when the switches in 24 h fall below half the threshold, and then sends a recovery notice', () => {
    // Prepare: 12 alternating hours (flapping from hour 6), then healthy runs every 4 hours for two days.
    const settled: Step[] = Array.from({ length: 12 }, (_, i) => ({ at: 12 * 60 + i * 4 * 60, runs: ['ok'] as const }));
    // Act
    const { log, state } = simulate([...alternating(12), ...settled]);
    // Assess
    const flat = log.flat();
    expect(flat.filter((l) => l.startsWith('sent flapping'))).toHaveLength(1);
    expect(flat.filter((l) => l.startsWith('sent recovery'))).toEqual(['sent recovery etl high']);
    expect(state?.health?.flapping).toBeUndefined();
    expect(state?.open).toBeUndefined();
  });

  it('reports in the recovery notice after flapping every healthy run in a row, not recovery_runs', () => {
    // Prepare: 12 alternating hours (the last failure at hour 10), then a healthy run every hour until flapping ends.
    const healthyHours: Step[] = Array.from({ length: 36 }, (_, i) => ({ at: (12 + i) * 60, runs: ['ok'] as const }));
    // Act
    const { results } = simulate([...alternating(12), ...healthyHours]);
    // Assess: hour 11 and every hour from 12 on were healthy runs.
    const at = results.findIndex((r) => r.alerts.some((a) => a.kind === 'recovery'));
    const notice = results[at].alerts.find((a) => a.kind === 'recovery')!.notice!;
    expect(at).toBeGreaterThan(12 + 3);
    expect(notice.detail.healthy_runs).toBe(at - 10);
  });

  it('ends flapping once the job has stopped switching for a cooldown: a steady failure is then reminded every cooldown', () => {
    // Prepare: 12 alternating hours (flapping from hour 6, the last switch a failure at hour 12), then empty output every hour to hour 36.
    const emptyEveryHour: Step[] = Array.from({ length: 25 }, (_, i) => ({ at: (12 + i) * 60, runs: ['fail'] as const, findings: ['empty-output'] as DetectorId[] }));
    const steps: Step[] = [...alternating(12).map((s) => (s.findings ? { ...s, findings: ['empty-output'] as DetectorId[] } : s)), ...emptyEveryHour];
    // Act
    const { log, state } = simulate(steps);
    // Assess: 6 h after the last switch (hour 12) the failure is alerted with what was held, then once per cooldown.
    const sent = log.flatMap((l, h) => l.filter((m) => m.startsWith('sent')).map((m) => `${h}: ${m}`));
    expect(sent).toEqual([
      '0: sent finding empty-output high',
      '6: sent flapping etl high',
      '12: sent flapping etl high',
      '18: sent finding empty-output high (11 held since 00:00)',
      '24: sent finding empty-output high (5 held since 18:00)',
      '30: sent finding empty-output high (5 held since 00:00)',
      '36: sent finding empty-output high (5 held since 06:00)',
    ]);
    expect(state?.health?.flapping).toBeUndefined();
  });

  it('sends the recovery notice of a flapping job healthy again a cooldown after its last switch, not a day later', () => {
    // Prepare: 12 alternating hours (the last switch to healthy at hour 11), then a healthy run every hour.
    const healthyHours: Step[] = Array.from({ length: 24 }, (_, i) => ({ at: (12 + i) * 60, runs: ['ok'] as const }));
    // Act
    const { log } = simulate([...alternating(12), ...healthyHours]);
    // Assess
    expect(log.flatMap((l, h) => l.filter((m) => m.startsWith('sent recovery')).map(() => h))).toEqual([17]);
  });

  it('keeps a job that goes on switching flapping: one notice, its findings held, no recovery', () => {
    // Prepare: 36 alternating hours (3 h of quiet at most, never a cooldown)
    // Act
    const { log, state } = simulate(alternating(36));
    // Assess: a reminder at a switch once per cooldown, nothing else sent after the first flapping notice
    const sent = log.flatMap((l, h) => l.filter((m) => m.startsWith('sent')).map((m) => `${h}: ${m}`));
    expect(sent.filter((m) => !m.includes('flapping'))).toEqual(['0: sent finding run-failed high']);
    expect(state?.health?.flapping).toBeDefined();
  });

  it.each([2, 3])('keeps a job switching every %i h flapping with a cooldown of 1 h: no failure alert between its flapping notices', (block) => {
    // Prepare: 40 hourly runs, `block` failing then `block` healthy in turn (at most block − 1 h without a switch, more than a cooldown)
    const steps: Step[] = Array.from({ length: 40 }, (_, h) => (Math.floor(h / block) % 2 === 0 ? { at: h * 60, runs: ['fail'] as const, findings: ['run-failed'] as DetectorId[] } : { at: h * 60, runs: ['ok'] as const }));
    // Act
    const { log, state } = simulate(steps, { defaults: { alert_cooldown_minutes: 60 } });
    // Assess: (3 failures in a row escalate, flapping or not)
    const sent = log.flatMap((l, h) => l.filter((m) => m.startsWith('sent')).map((m) => ({ h, m })));
    const firstFlapping = sent.find((s) => s.m.startsWith('sent flapping'))!.h;
    expect(sent.filter((s) => s.h > firstFlapping && s.m.startsWith('sent finding'))).toEqual([]);
    expect(sent.filter((s) => s.m.startsWith('sent flapping')).length).toBeGreaterThan(5);
    expect(state?.health?.flapping).toBeDefined();
  });

  it('sends the recovery of a job that failed steadily after flapping after recovery_runs healthy runs, without flapping again at the recovering switch', () => {
    // Prepare: 12 alternating hours (flapping from hour 6), failures every hour from 12 to 29 (flapping settles), healthy from hour 30
    const failing: Step[] = Array.from({ length: 18 }, (_, i) => ({ at: (12 + i) * 60, runs: ['fail'] as const, findings: ['run-failed'] as DetectorId[] }));
    const healthy: Step[] = Array.from({ length: 10 }, (_, i) => ({ at: (30 + i) * 60, runs: ['ok'] as const }));
    // Act
    const { log, state } = simulate([...alternating(12), ...failing, ...healthy]);
    // Assess: the switches of hours 1–11 are still within 24 h at hour 30, but flapping settled after them
    const sent = log.flatMap((l, h) => l.filter((m) => m.startsWith('sent')).map((m) => `${h}: ${m}`));
    expect(sent.filter((m) => Number(m.split(':')[0]) >= 30)).toEqual(['32: sent recovery etl critical']);
    expect(state?.health?.flapping).toBeUndefined();
  });

  it.each([
    { name: 'a lone failure hours before the flapping', pattern: 'F OOOOOOOOOO FOFOF FFFFFFFFFFFFFF' },
    { name: 'the quiet stretch that settled an earlier bout', pattern: 'FOFOFOF FFFFFFF OFOFOF FFFFFFFFFFFF' },
  ])('ends flapping at the pace of its bout, not at a longer gap before it ($name): a steady failure after it is reminded every cooldown', ({ pattern }) => {
    // Prepare: hourly runs, F failing, O healthy; a steady failure for the last 12 h
    const hours = pattern.replace(/ /g, '');
    const steps: Step[] = [...hours].map((c, h) => (c === 'F' ? { at: h * 60, runs: ['fail'] as const, findings: ['run-failed'] as DetectorId[] } : { at: h * 60, runs: ['ok'] as const }));
    // Act
    const { log, state } = simulate(steps, { defaults: { alert_cooldown_minutes: 60 } });
    // Assess: within 3 h of the last switch flapping has settled and every hour's failure is sent again
    const last = hours.length - 12;
    const sentAfter = log.slice(last + 3).map((l) => l.filter((m) => m.startsWith('sent finding') || m.startsWith('sent escalation')).length);
    expect(sentAfter.every((n) => n === 1)).toBe(true);
    expect(state?.health?.flapping).toBeUndefined();
  });

  it.each([
    { name: 'FOFO bursts, 4 healthy hours between', pattern: 'FOFOOOOFOFOOOOFOFOOOOFOFOOOOFOFOOOOFOF' },
    { name: 'FOFOF bursts, 4 healthy hours between', pattern: 'FOFOFOOOOFOFOFOOOOFOFOFOOOOFOFOFOOOOFOFOF' },
  ])('keeps a job flapping in bursts flapping through the healthy hours between them ($name): no recovery, no failure paged', ({ pattern }) => {
    // Prepare: hourly runs, F failing, O healthy, a cooldown of 1 h (shorter than the healthy stretch between bursts)
    const steps: Step[] = [...pattern].map((c, h) => (c === 'F' ? { at: h * 60, runs: ['fail'] as const, findings: ['run-failed'] as DetectorId[] } : { at: h * 60, runs: ['ok'] as const }));
    // Act
    const { log, state } = simulate(steps, { defaults: { alert_cooldown_minutes: 60 } });
    // Assess: once flapping, only flapping notices go out
    const sent = log.flatMap((l, h) => l.filter((m) => m.startsWith('sent')).map((m) => ({ h, m })));
    const firstFlapping = sent.find((s) => s.m.startsWith('sent flapping'))!.h;
    expect(sent.filter((s) => s.h > firstFlapping && !s.m.startsWith('sent flapping'))).toEqual([]);
    expect(state?.health?.flapping).toBeDefined();
  });

  it('flaps again after it settled once flapping_transitions_per_day switches came after the settle', () => {
    // Prepare: 12 alternating hours (flapping from hour 6), failures every hour from 12 to 29 (flapping settles), alternating again from hour 30
    const failing: Step[] = Array.from({ length: 18 }, (_, i) => ({ at: (12 + i) * 60, runs: ['fail'] as const, findings: ['run-failed'] as DetectorId[] }));
    const again: Step[] = alternating(12).map((s) => ({ ...s, at: s.at + 30 * 60 }));
    // Act
    const { log, state } = simulate([...alternating(12), ...failing, ...again]);
    // Assess: hour 30 fails as before; the 6th switch after the settle (hour 36) starts flapping again
    const sent = log.flatMap((l, h) => l.filter((m) => m.startsWith('sent flapping')).map(() => h));
    expect(sent).toEqual([6, 12, 36]);
    expect(state?.health?.flapping).toBeDefined();
  });

  it('ends flapping at a switch after a quiet day instead of reminding, and alerts the failure', () => {
    // Prepare: 8 alternating hours (flapping from hour 6), nothing for a day, then a failure at hour 31: 1 switch in 24 h.
    const steps: Step[] = [...alternating(8), { at: 31 * 60, runs: ['fail'], findings: ['run-failed'] }];
    // Act
    const { log, state } = simulate(steps);
    // Assess
    expect(log.at(-1)).toEqual(['sent finding run-failed high (3 held since 00:00)']);
    expect(state?.health?.flapping).toBeUndefined();
  });

  it('keeps the latest failure when flapping settles, so a late healthy run older than it does not turn the job healthy', () => {
    // Prepare: 12 alternating hours (the last switch a failure at hour 12), failures every hour to hour 18 (settled by that run),
    // then at hour 21 a healthy run judged late that started at 17:30, before the failure of hour 18.
    const failing: Step[] = Array.from({ length: 7 }, (_, i) => ({ at: (12 + i) * 60, runs: ['fail'] as const, findings: ['run-failed'] as DetectorId[] }));
    const steps: Step[] = [...alternating(12), ...failing, { at: 21 * 60, runsAt: 17 * 60 + 30, runs: ['ok'] }];
    // Act
    const { log, state } = simulate(steps);
    // Assess: flapping ended, the job is still failing since hour 12, and no recovery was sent.
    expect(log.flat().filter((m) => m.startsWith('sent recovery'))).toEqual([]);
    expect(state?.health).toMatchObject({ status: 'failing', since: T0 + 12 * HOUR - 1, lastFailedAt: T0 + 18 * HOUR - 1 });
    expect(state?.health?.flapping).toBeUndefined();
  });
});

describe('alert policy: recovery notices', () => {
  it.each([
    {
      name: 'sends a recovery notice after 3 healthy runs since an alert, and the next failure alerts at once',
      steps: [
        { at: 0, runs: ['fail'], findings: ['run-failed'] },
        { at: 60, runs: ['ok'] },
        { at: 120, runs: ['ok'] },
        { at: 180, runs: ['ok'] },
        { at: 240, runs: ['ok'] },
        { at: 300, runs: ['fail'], findings: ['run-failed'] },
      ],
      expected: [['sent finding run-failed high'], [], [], ['sent recovery etl high'], [], ['sent finding run-failed high']],
    },
    {
      name: 'starts counting again when a run fails before the third healthy one',
      steps: [
        { at: 0, runs: ['fail'], findings: ['output-shrink'] },
        { at: 60, runs: ['ok', 'ok'] },
        { at: 120, runs: ['fail'], findings: ['output-shrink'] },
        { at: 180, runs: ['ok', 'ok'] },
        { at: 240, runs: ['ok'] },
      ],
      expected: [['sent finding output-shrink high'], [], ['held suppressed'], [], ['sent recovery etl high']],
    },
    {
      name: 'sends none for a subject that never alerted',
      steps: [
        { at: 0, runs: ['fail'], findings: ['run-failed'], snoozed: true },
        { at: 60, runs: ['ok', 'ok', 'ok', 'ok'] },
      ],
      expected: [['held snoozed'], []],
    },
    {
      name: 'follows recovery_runs',
      steps: [
        { at: 0, runs: ['fail'], findings: ['run-failed'] },
        { at: 60, runs: ['ok'] },
      ],
      config: { defaults: { recovery_runs: 1 } },
      expected: [['sent finding run-failed high'], ['sent recovery etl high']],
    },
    {
      name: 'counts no healthy run older than the latest failure (cron runs judged a day late): no recovery, the escalation stays, and a later healthy run ends the streak of failures after it only',
      steps: [
        { at: 0, runs: ['fail'], findings: ['run-failed'] },
        { at: 1200, runs: ['fail'], findings: ['run-failed'] },
        { at: 1260, runs: ['fail'], findings: ['run-failed'] },
        { at: 1500, runs: ['ok', 'ok', 'ok'], runsAt: 120 },
        { at: 1560, runs: ['fail'], findings: ['run-failed'] },
        { at: 1620, runs: ['ok'], runsAt: 1230 },
        { at: 1680, runs: ['fail'], findings: ['run-failed'] },
        { at: 1740, runs: ['fail'], findings: ['run-failed'] },
      ],
      expected: [
        ['sent finding run-failed high'],
        ['sent finding run-failed high'],
        ['sent escalation run-failed critical streak 3'],
        [],
        ['held suppressed'],
        [],
        ['sent finding run-failed critical (1 held since 21:00)'],
        ['held suppressed'],
      ],
    },
  ] as Array<{ name: string; steps: Step[]; expected: string[][]; config?: unknown }>)('$name', ({ steps, expected, config }) => {
    // Act
    const { log } = simulate(steps, config);
    // Assess
    expect(log).toEqual(expected);
  });

  it('counts what was held during the episode in the recovery notice, and keeps the notice until it is settled', () => {
    // Prepare
    const { results, state } = simulate([
      { at: 0, runs: ['fail'], findings: ['output-shrink'] },
      { at: 30, runs: ['fail'], findings: ['output-shrink'] },
      { at: 60, runs: ['ok', 'ok', 'ok'] },
    ], {}, false);
    // Act
    const notice = results[2].alerts[0].notice!;
    const settled = settleNotices(state!, [notice.id]);
    // Assess
    expect(notice).toMatchObject({ kind: 'recovery', severity: 'high', detectors: ['output-shrink'], detail: { healthy_runs: 3, suppressed: 1, open_since: isoTime(T0) } });
    expect(state!.notices.map((n) => n.id)).toEqual([notice.id]);
    expect(settled.notices).toEqual([]);
  });

  it('keeps a pending recovery notice when a newer failure is held by a snooze or maintenance window: only a failure sent reopens the episode', () => {
    // Prepare: the recovery notice is planned but its send is not confirmed (SNS throttled)
    // Act: a newer run fails, snoozed, before the notice's lease is over
    const { results, state } = simulate([
      { at: 0, runs: ['fail'], findings: ['run-failed'] },
      { at: 60, runs: ['ok', 'ok', 'ok'] },
      { at: 60, runs: ['fail'], findings: ['run-failed'], snoozed: true },
    ], {}, false);
    // Assess: the failure is held, and the recovery still waits to go out (nothing else closes the episode's news)
    expect(results[1].alerts.map((a) => a.kind)).toEqual(['recovery']);
    expect(describeResult(results[2])).toEqual(['held snoozed']);
    expect(state!.notices.map((n) => n.kind)).toEqual(['recovery']);
  });

  it('drops a recovery notice whose retry is due in the pass that sends a newer failure: tried once more ahead of it, never again after it', () => {
    // Prepare: the recovery notice is planned but its send is not confirmed (SNS throttled)
    // Act: a newer run fails once the notice's lease is over, so this pass retries it
    const { results, state } = simulate([
      { at: 0, runs: ['fail'], findings: ['run-failed'] },
      { at: 60, runs: ['ok', 'ok', 'ok'] },
      { at: 62, runs: ['fail'], findings: ['run-failed'] },
    ], {}, false);
    // Assess: the retry goes out ahead of the failure in this pass, but is not kept for a later retry (its send may fail now)
    expect(describeResult(results[2])).toEqual(['resent recovery etl high', 'sent finding run-failed high']);
    expect(state!.notices).toEqual([]);
  });

  it('sends an unsettled notice again once its lease ran out', () => {
    // Prepare
    const { results, state } = simulate([
      { at: 0, runs: ['fail'], findings: ['run-failed'] },
      { at: 60, runs: ['ok', 'ok', 'ok'] },
    ], {}, false);
    const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
    const ctx = (now: number) => ({ now, options, leaseMs: MIN, suppressionOf: () => undefined });
    // Act
    const withinLease = decideAlerts(state, { subject: 'etl', subject_kind: 'job' }, { candidates: [], outcomes: [] }, ctx(T0 + 60 * MIN + 30_000));
    const afterLease = decideAlerts(state, { subject: 'etl', subject_kind: 'job' }, { candidates: [], outcomes: [] }, ctx(T0 + 62 * MIN));
    // Assess
    expect(results[1].alerts.map((a) => a.kind)).toEqual(['recovery']);
    expect(withinLease.alerts).toEqual([]);
    expect(afterLease.alerts.map((a) => [a.kind, a.retry])).toEqual([['recovery', true]]);
    expect(afterLease.state.notices[0].leaseUntil).toBe(T0 + 63 * MIN);
  });

  it('holds a recovery while a failure of its episode awaits its retry past its retry_at, sends it with that failure once drained (after it), and sends it once the failure is given up', () => {
    // Prepare: the failure at 00:00 was sent, its send failed (an SNS outage): it awaits its retry, given up at 14 days.
    const { state: sent } = simulate([{ at: 0, runs: ['fail'], findings: ['run-failed'] }]);
    const failed = finding('run-failed', T0, 'etl', 'r-0-0');
    const key = findingKey(failed);
    const state: AlertState = { ...sent!, findingsAwaitingRetry: { [key]: T0 + 14 * 24 * HOUR } };
    const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
    const ctx = (now: number) => ({ now, options, leaseMs: MIN, suppressionOf: () => undefined });
    const healthy = [1, 2, 3].map((i): RunOutcome => ({ at: T0 + 60 * MIN + i, healthy: true, run_id: `ok-${i}` }));
    const subject = { subject: 'etl', subject_kind: 'job' } as const;
    // Act: healthy runs in an ingest that drains nothing; a sweep that drains the failure after the lease; healthy runs after the give-up.
    const ingest = decideAlerts(state, subject, { candidates: [], outcomes: healthy }, ctx(T0 + 60 * MIN));
    const sweep = decideAlerts(ingest.state, subject, { candidates: [{ key, finding: failed }], outcomes: [], judgedAtNow: true }, ctx(T0 + 62 * MIN));
    const givenUp = decideAlerts(state, subject, { candidates: [], outcomes: healthy.map((o) => ({ ...o, at: o.at + 14 * 24 * HOUR })) }, ctx(T0 + 14 * 24 * HOUR + 60 * MIN));
    // Assess
    expect(ingest.alerts).toEqual([]);
    expect(ingest.state.notices.map((n) => [n.kind, n.leaseUntil])).toEqual([['recovery', T0 + 61 * MIN]]);
    expect(capAlerts(sweep.alerts, 10).individual.map((a) => `${a.kind} ${a.retry}`)).toEqual(['finding true', 'recovery true']);
    expect(givenUp.alerts.map((a) => a.kind)).toEqual(['recovery']);
    expect(givenUp.state.findingsAwaitingRetry).toBeUndefined();
  });
});

describe('alert policy: snoozes and their expiry', () => {
  it.each([
    {
      name: 'holds findings while snoozed, then alerts with the count once the snooze is over',
      steps: [
        { at: 0, findings: ['output-shrink'], snoozed: true },
        { at: 60, findings: ['output-shrink'], snoozed: true },
        { at: 120, findings: ['output-shrink'] },
      ],
      expected: [['held snoozed'], ['held snoozed'], ['sent finding output-shrink high (2 held since 00:00, 2 snoozed)']],
    },
    {
      name: 'does not start a cooldown while snoozed',
      steps: [
        { at: 0, findings: ['run-failed'], snoozed: true },
        { at: 1, findings: ['run-failed'] },
      ],
      config: { defaults: { escalate_after_failures: 10 } },
      expected: [['held snoozed'], ['sent finding run-failed high (1 held since 00:00, 1 snoozed)']],
    },
    {
      name: 'counts a snoozed failure towards escalation',
      steps: [
        { at: 0, findings: ['run-failed'], snoozed: true },
        { at: 60, findings: ['run-failed'], snoozed: true },
        { at: 120, findings: ['run-failed'] },
      ],
      expected: [['held snoozed'], ['held snoozed'], ['sent escalation run-failed critical (2 held since 00:00, 2 snoozed) streak 3']],
    },
  ] as Array<{ name: string; steps: Step[]; expected: string[][]; config?: unknown }>)('$name', ({ steps, expected, config }) => {
    // Act
    const { log } = simulate(steps, config);
    // Assess
    expect(log).toEqual(expected);
  });
});

describe('alert policy: flapping under a snooze', () => {
  it('holds the flapping notice while the subject is snoozed (counted), and sends it at the first switch after the snooze, as severe as the findings it held', () => {
    // Prepare: an hourly job failing every other run, snoozed for its first 8 hours.
    const steps: Step[] = Array.from({ length: 12 }, (_, h) => ({
      at: h * 60,
      runs: [h % 2 === 0 ? 'fail' : 'ok'] as const,
      findings: h % 2 === 0 ? (['run-failed'] as DetectorId[]) : [],
      snoozed: h < 8,
    }));
    // Act
    const { log, results, state } = simulate(steps);
    // Assess
    expect(log.slice(0, 8).flat().filter((l) => l.startsWith('sent'))).toEqual([]);
    expect(results.map((r) => r.snoozedNotices)).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(log[8]).toEqual(['sent flapping etl high', 'held flapping']);
    expect(log.slice(9).flat().filter((l) => l.startsWith('sent'))).toEqual([]);
    expect(state?.health?.flapping).toMatchObject({ since: T0 + 6 * HOUR - 1, lastSentAt: T0 + 8 * HOUR });
  });
});

describe('alert policy: helpers', () => {
  it('derives run outcomes from records and fresh findings: a finding makes its run failing, a finding without a run is a failure', () => {
    // Prepare
    const records = [
      { subject: 'etl', subject_kind: 'job' as const, run_id: 'a', ts: '2026-10-05T01:00:00Z', status: 'ok' as const },
      { subject: 'etl', subject_kind: 'job' as const, run_id: 'b', ts: '2026-10-05T02:00:00Z', status: 'ok' as const },
      { subject: 'etl', subject_kind: 'job' as const, run_id: 'c', ts: '2026-10-05T03:00:00Z', status: 'failed' as const },
      { subject: 'etl', subject_kind: 'job' as const, run_id: 'd', ts: '2026-10-05T04:00:00Z', status: 'started' as const },
    ];
    const fresh = [finding('output-shrink', Date.parse('2026-10-05T02:00:00Z'), 'etl', 'b'), { ...finding('missed-run', Date.parse('2026-10-05T05:00:00Z'), 'backup'), run_id: undefined }];
    // Act
    const outcomes = runOutcomes(records, fresh);
    // Assess
    expect(Object.fromEntries([...outcomes].map(([k, v]) => [k, v.map((o) => `${o.run_id ?? '-'}:${o.healthy ? 'ok' : 'fail'}`)]))).toEqual({
      'job#etl': ['a:ok', 'b:fail', 'c:fail'],
      'job#backup': ['-:fail'],
    });
  });

  it("gives each subject its runs in record order when subjects' records alternate, a name shared by a job and an agent kept apart", () => {
    // Prepare: runs of etl, then bot, then etl again; an agent also named etl in between.
    const rec = (subject: string, subject_kind: 'job' | 'agent', run_id: string, status: 'ok' | 'failed' = 'ok') => ({ subject, subject_kind, run_id, ts: '2026-10-05T01:00:00Z', status });
    const records = [rec('etl', 'job', 'j1'), rec('etl', 'job', 'j2', 'failed'), rec('bot', 'agent', 'b1'), rec('etl', 'agent', 'a1'), rec('etl', 'job', 'j3'), rec('bot', 'agent', 'b2', 'failed')];
    // Act
    const outcomes = runOutcomes(records, []);
    // Assess
    expect(Object.fromEntries([...outcomes].map(([k, v]) => [k, v.map((o) => `${o.run_id}:${o.healthy ? 'ok' : 'fail'}`)]))).toEqual({
      'job#etl': ['j1:ok', 'j2:fail', 'j3:ok'],
      'agent#bot': ['b1:ok', 'b2:fail'],
      'agent#etl': ['a1:ok'],
    });
    expect([...outcomes.keys()]).toEqual(['job#etl', 'agent#bot', 'agent#etl']);
  });

  it('takes a run record flagged by a finding reported before it (not fresh) as failing', () => {
    // Prepare: agent run r-1 was flagged by the sweep while it ran and ended ok in a later batch; r-2 is healthy.
    const records = [
      { subject: 'bot', subject_kind: 'agent' as const, run_id: 'r-1', ts: '2026-10-05T01:00:00Z', status: 'ok' as const, flagged: true as const },
      { subject: 'bot', subject_kind: 'agent' as const, run_id: 'r-2', ts: '2026-10-05T02:00:00Z', status: 'ok' as const },
    ];
    // Act
    const quiet = runOutcomes(records, []).get('agent#bot')!;
    const withFinding = runOutcomes(records, [{ ...finding('budget-exceeded', Date.parse('2026-10-05T02:00:00Z'), 'other', 'x'), subject_kind: 'agent' }]).get('agent#bot')!;
    // Assess
    expect(quiet.map((o) => `${o.run_id}:${o.healthy ? 'ok' : 'fail'}`)).toEqual(['r-1:fail', 'r-2:ok']);
    expect(withFinding.map((o) => `${o.run_id}:${o.healthy ? 'ok' : 'fail'}`)).toEqual(['r-1:fail', 'r-2:ok']);
  });

  it('keeps every run of a busy subject, in record order, and its failures once per run', () => {
    // Prepare: 300 runs of one job, every 7th failed; a finding about run 10 and two about run 20.
    const records = Array.from({ length: 300 }, (_, i) => ({ subject: 'etl', subject_kind: 'job' as const, run_id: `r${i}`, ts: isoTime(T0 + i * MIN), status: i % 7 === 0 ? ('failed' as const) : ('ok' as const) }));
    const fresh = [finding('output-shrink', T0 + 10 * MIN, 'etl', 'r10'), finding('duration-slow', T0 + 20 * MIN, 'etl', 'r20'), finding('output-shrink', T0 + 20 * MIN, 'etl', 'r20')];
    // Act
    const outcomes = runOutcomes(records, fresh).get('job#etl')!;
    const quiet = runOutcomes(records, []).get('job#etl')!;
    // Assess
    expect(outcomes.map((o) => o.run_id)).toEqual(records.map((r) => r.run_id));
    expect(outcomes.filter((o) => !o.healthy).map((o) => o.run_id)).toEqual(['r0', 'r7', 'r10', 'r14', 'r20', 'r21', ...Array.from({ length: 39 }, (_, i) => `r${28 + i * 7}`)]);
    expect(outcomes[299]).toEqual({ at: T0 + 299 * MIN, healthy: true, run_id: 'r299' });
    expect(quiet.filter((o) => !o.healthy)).toHaveLength(43);
  });

  it('drops switches older than 24 h as runs come in; a run that switches nothing leaves the state as it was', () => {
    // Prepare: failing since an hour ago, after switches 25 h, 2 h and 1 h ago; one decision of yesterday.
    const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
    const state: AlertState = {
      ...initialAlertState('etl', 'job'),
      health: { status: 'failing', since: T0 - HOUR, healthyRuns: 0, transitions: [T0 - 25 * HOUR, T0 - 2 * HOUR, T0 - HOUR] },
      decided: { old: { at: T0 - 24 * HOUR, disposition: 'suppressed' } },
    };
    const ctx = { now: T0, options, leaseMs: MIN, suppressionOf: () => undefined };
    // Act
    const failing = decideAlerts(state, { subject: 'etl', subject_kind: 'job' }, { candidates: [], outcomes: [{ at: T0 - 30 * MIN, healthy: false, run_id: 'a' }] }, ctx);
    const healthy = decideAlerts(state, { subject: 'etl', subject_kind: 'job' }, { candidates: [], outcomes: [{ at: T0, healthy: true, run_id: 'b' }] }, ctx);
    // Assess: the switch of 25 h ago is more than 24 h before either run, so it goes (a change).
    expect(failing.changed).toBe(true);
    expect(failing.state.health?.transitions).toEqual([T0 - 2 * HOUR, T0 - HOUR]);
    expect(healthy.state.health).toEqual({ status: 'healthy', since: T0, healthyRuns: 1, transitions: [T0 - 2 * HOUR, T0 - HOUR, T0] });
    expect(healthy.state.decided).toEqual({ old: { at: T0 - 24 * HOUR, disposition: 'suppressed' } });
    // A failure no later than the latest known one (a later one moves health.lastFailedAt).
    const again = decideAlerts(failing.state, { subject: 'etl', subject_kind: 'job' }, { candidates: [], outcomes: [{ at: T0 - 40 * MIN, healthy: false, run_id: 'c' }] }, ctx);
    expect(again.changed).toBe(false);
    expect(again.state).toBe(failing.state);
  });

  it('sends what goes out one by one in time order, a recovery after the alerts of the episode it closes, whatever their severity', () => {
    // Prepare: one late delivery holds 4 failed runs then 3 healthy ones; the recovery carries the escalated (critical) severity.
    const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
    const runs = [0, 1, 2, 3, 4, 5, 6].map((i) => ({ at: T0 + i * HOUR + 4_000, healthy: i >= 4, run_id: `r-${i}` }));
    const failures = runs.filter((r) => !r.healthy).map((r) => finding('run-failed', r.at, 'etl', r.run_id));
    const now = T0 + 7 * HOUR;
    const { alerts } = decideAlerts(
      undefined,
      { subject: 'etl', subject_kind: 'job' },
      { candidates: failures.map((f) => ({ key: findingKey(f), finding: f })), outcomes: runs },
      { now, options, leaseMs: MIN, suppressionOf: () => undefined },
    );
    // Act
    const { individual } = capAlerts(alerts, 20);
    // Assess
    expect(individual.map((a) => `${a.kind} ${a.severity}`)).toEqual(['finding high', 'escalation critical', 'recovery critical']);
    expect(individual[2].notice!.detail.open_since).toBe(isoTime(runs[0].at));
  });

  it.each([
    ['FOOOF', ['finding', 'recovery'], ['finding']],
    ['FFFFOOO', [], ['finding', 'escalation', 'recovery']],
  ])('keeps a subject’s news in order under a storm cap of 2 (runs %s): the summary, sent last, holds none older than a message sent one by one', (pattern, individualKinds, summarizedKinds) => {
    // Prepare: one late delivery of etl's runs (F failed, O healthy): a failure, recoveries, failures again.
    const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
    const runs = [...pattern].map((c, i) => ({ at: T0 + i * HOUR + 4_000, healthy: c === 'O', run_id: `r-${i}` }));
    const failures = runs.filter((r) => !r.healthy).map((r) => finding('run-failed', r.at, 'etl', r.run_id));
    const { alerts } = decideAlerts(
      undefined,
      { subject: 'etl', subject_kind: 'job' },
      { candidates: failures.map((f) => ({ key: findingKey(f), finding: f })), outcomes: runs },
      { now: T0 + runs.length * HOUR, options, leaseMs: MIN, suppressionOf: () => undefined },
    );
    const timeOf = (a: PlannedAlert) => (a.candidate ? Date.parse(a.candidate.finding.ts) : a.at);
    // Act
    const { individual, summarized } = capAlerts(alerts, 2);
    // Assess
    expect(alerts).toHaveLength(individualKinds.length + summarizedKinds.length);
    expect(individual.map((a) => a.kind)).toEqual(individualKinds);
    expect(summarized.map((a) => a.kind).sort()).toEqual([...summarizedKinds].sort());
    const lastSentAlone = Math.max(...individual.map(timeOf));
    expect(summarized.every((a) => timeOf(a) >= lastSentAlone)).toBe(true);
  });

  it('caps a storm: the most severe (escalations before findings before notices) go out one by one, in time order; the rest for the summary', () => {
    // Prepare
    const base = { subject_kind: 'job' as const, suppressed: 0, snoozed: 0, coalesced: 0, retry: false };
    const alerts: PlannedAlert[] = [
      { ...base, kind: 'recovery', subject: 'a', detector: 'run-failed', severity: 'high', at: 1 },
      { ...base, kind: 'finding', subject: 'b', detector: 'duration-slow', severity: 'medium', at: 1 },
      { ...base, kind: 'finding', subject: 'c', detector: 'run-failed', severity: 'high', at: 2 },
      { ...base, kind: 'escalation', subject: 'd', detector: 'run-failed', severity: 'high', at: 3 },
      { ...base, kind: 'finding', subject: 'e', detector: 'empty-output', severity: 'critical', at: 4 },
    ];
    // Act
    const { individual, summarized } = capAlerts(alerts, 3);
    // Assess
    expect(individual.map((a) => a.subject)).toEqual(['c', 'd', 'e']);
    expect(summarized.map((a) => a.subject)).toEqual(['a', 'b']);
    expect(capAlerts(alerts, 5).summarized).toEqual([]);
  });

  it('keeps the decisions of a subject bounded: at most 200 held and 300 sent', () => {
    // Prepare
    const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
    const noCooldown = alertPolicyOptions(validateConfig({ defaults: { alert_cooldown_minutes: 0 } }, 'test', undefined, { now: T0 }));
    const many = Array.from({ length: 350 }, (_, i) => finding('output-shrink', T0 + i * 1000, 'etl', `r${i}`));
    const candidates = many.map((f) => ({ key: findingKey(f), finding: f }));
    const dispositions = (state: AlertState) => Object.values(state.decided).map((d) => d.disposition);
    // Act
    const result = decideAlerts(initialAlertState('etl', 'job'), { subject: 'etl', subject_kind: 'job' }, { candidates, outcomes: [] }, { now: T0, options, leaseMs: MIN, suppressionOf: () => undefined });
    const allSent = decideAlerts(initialAlertState('etl', 'job'), { subject: 'etl', subject_kind: 'job' }, { candidates, outcomes: [] }, { now: T0, options: noCooldown, leaseMs: MIN, suppressionOf: () => undefined });
    // Assess
    expect(dispositions(result.state).filter((d) => d === 'sent')).toHaveLength(1);
    expect(dispositions(result.state).filter((d) => d !== 'sent')).toHaveLength(200);
    expect(result.alerts).toHaveLength(1);
    expect(result.alerts[0].coalesced).toBe(349);
    expect(allSent.alerts).toHaveLength(350);
    expect(dispositions(allSent.state)).toEqual(Array(300).fill('sent'));
    // Decisions older than 14 days go with the next change.
    const later = decideAlerts(result.state, { subject: 'etl', subject_kind: 'job' }, { candidates: [{ key: 'k', finding: finding('duration-slow', T0 + 15 * 24 * HOUR) }], outcomes: [] }, { now: T0 + 15 * 24 * HOUR, options, leaseMs: MIN, suppressionOf: () => undefined });
    expect(Object.keys(later.state.decided)).toEqual(['k']);
  });

  it('keeps the decision of an alert whose send failed however many findings were held after it, and sends it as decided', () => {
    // Prepare: 250 findings of one tool in one delivery: the first alerted (its send then fails), 249 held.
    const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
    const burst = Array.from({ length: 250 }, (_, i) => finding('output-shrink', T0 + i * 1000, 'etl', `call-${i}`));
    const ctx = (now: number) => ({ now, options, leaseMs: MIN, suppressionOf: () => undefined });
    const first = decideAlerts(undefined, { subject: 'etl', subject_kind: 'job' }, { candidates: burst.map((f) => ({ key: findingKey(f), finding: f })), outcomes: [] }, ctx(T0 + 5 * MIN));
    // Act: the next sweep hands the still-pending first finding in again.
    const retried = decideAlerts(first.state, { subject: 'etl', subject_kind: 'job' }, { candidates: [{ key: findingKey(burst[0]), finding: burst[0] }], outcomes: [] }, ctx(T0 + 10 * MIN));
    // Assess
    expect(describeResult(first)[0]).toBe('sent finding output-shrink high +249');
    expect(first.state.decided[findingKey(burst[0])]).toMatchObject({ disposition: 'sent', coalesced: 249 });
    expect(describeResult(retried)).toEqual(['resent finding output-shrink high +249']);
  });
});

describe('alert policy: message ids and correlation keys', () => {
  it("gives each message an id of its own (the finding's key, a notice's subject and time), and the episode's alerts and its recovery one correlation key", () => {
    // Prepare: etl fails three times (an alert, then an escalation), then recovers; a second job recovers at the same moment.
    const { results } = simulate([{ at: 0, findings: ['run-failed'], runs: ['fail'] }, { at: 400, findings: ['run-failed'], runs: ['fail'] }, { at: 800, findings: ['run-failed'], runs: ['fail'] }, { at: 900, runs: ['ok', 'ok', 'ok'] }], { defaults: { escalate_after_failures: 3 } });
    const alerts = results.flatMap((r) => r.alerts);
    const other = alerts.map((a) => ({ ...a, subject: 'export', ...(a.candidate ? { candidate: { ...a.candidate, key: findingKey({ ...a.candidate.finding, subject: 'export' }), finding: { ...a.candidate.finding, subject: 'export' } } } : {}) }));
    // Act
    const data = [...alerts, ...other].map((a) => alertMessage(a).data as { kind: string; id?: string; correlation_key?: string });
    // Assess
    expect(alerts.map((a) => a.kind)).toEqual(['finding', 'finding', 'escalation', 'recovery']);
    expect(data[0].id).toBe(findingKey(alerts[0].candidate!.finding));
    expect(data[2].id).toBe(findingKey(alerts[2].candidate!.finding));
    expect(data[3].id).toMatch(/^job#etl#recovery@/);
    expect(new Set(data.map((d) => d.id)).size).toBe(8);
    expect(data.slice(0, 4).map((d) => d.correlation_key)).toEqual(Array(4).fill(`job#etl#${isoTime(T0)}`));
    expect(data[7].correlation_key).toBe(`job#export#${isoTime(T0)}`);
    // A resend of a message has its id.
    expect((alertMessage({ ...alerts[3], retry: true, unconfirmedSendAt: T0 }).data as { id: string }).id).toBe(data[3].id);
  });

  it('keeps the correlation key of an alert resent after the recovery closed its episode (its send failed through an outage)', () => {
    // Prepare: etl fails at T0 and a day later (two alerts of one episode; the second's send fails), then three healthy runs close the episode.
    const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
    const ctx = (now: number) => ({ now, options, leaseMs: MIN, suppressionOf: () => undefined });
    const etl = { subject: 'etl', subject_kind: 'job' } as const;
    const [first, second] = [finding('run-failed', T0), finding('run-failed', T0 + 24 * HOUR)];
    const opened = decideAlerts(undefined, etl, { candidates: [{ key: findingKey(first), finding: first }], outcomes: [{ at: T0, healthy: false, run_id: first.run_id }] }, ctx(T0));
    const again = decideAlerts(opened.state, etl, { candidates: [{ key: findingKey(second), finding: second }], outcomes: [{ at: T0 + 24 * HOUR, healthy: false, run_id: second.run_id }] }, ctx(T0 + 24 * HOUR));
    const healthy = [1, 2, 3].map((h): RunOutcome => ({ at: T0 + (24 + h) * HOUR, healthy: true, run_id: `ok-${h}` }));
    const recovered = decideAlerts(again.state, etl, { candidates: [], outcomes: healthy }, ctx(T0 + 28 * HOUR));
    // A decision recorded before the episode was kept in it: its episode is the open one, as before.
    const { episodeSince: _kept, ...oldRecord } = again.state.decided[findingKey(second)];
    const oldState: AlertState = { ...again.state, decided: { ...again.state.decided, [findingKey(second)]: oldRecord } };
    // Act: a later delivery resends the second finding.
    const resent = decideAlerts(settleNotices(recovered.state, [recovered.alerts[0].notice!.id]), etl, { candidates: [{ key: findingKey(second), finding: second }], outcomes: [] }, ctx(T0 + 29 * HOUR));
    const resentBefore = decideAlerts(oldState, etl, { candidates: [{ key: findingKey(second), finding: second }], outcomes: [] }, ctx(T0 + 25 * HOUR));
    // Assess
    const key = (a: PlannedAlert) => (alertMessage(a).data as { correlation_key: string }).correlation_key;
    expect(recovered.alerts.map((a) => a.kind)).toEqual(['recovery']);
    expect(describeResult(resent)).toEqual(['resent finding run-failed high']);
    expect(key(resent.alerts[0])).toBe(`job#etl#${isoTime(T0)}`);
    expect(key(resent.alerts[0])).toBe(key(recovered.alerts[0]));
    expect(key(resentBefore.alerts[0])).toBe(`job#etl#${isoTime(T0)}`);
  });
});
