import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import { type AlertCandidate, type AlertState, alertPolicyOptions, decideAlerts, type PendingNotice, type PolicyResult } from '../../lambdas/core/alert-policy.ts';
import type { DetectorId } from '../../lambdas/detectors/ids.ts';
import { type Finding, findingKey, isoTime } from '../../lambdas/core/findings.ts';

const T0 = Date.parse('2026-10-05T00:00:00Z');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const options = alertPolicyOptions(validateConfig({}, 'test', undefined, { now: T0 }));
const etl = { subject: 'etl', subject_kind: 'job' } as const;

function finding(detector: DetectorId, at: number, run_id = `r-${at}`): Finding {
  return { detector, subject: 'etl', subject_kind: 'job', run_id, ts: isoTime(at), severity: 'high', message: `${detector} at ${isoTime(at)}`, evidence: {} };
}
const candidate = (f: Finding): AlertCandidate => ({ key: findingKey(f), finding: f });

function decide(state: AlertState | undefined, now: number, findings: readonly Finding[], outcomes: { at: number; healthy: boolean; run_id: string }[] = []): PolicyResult {
  return decideAlerts(state, etl, { candidates: findings.map(candidate), outcomes }, { now, options, leaseMs: MIN, suppressionOf: () => undefined });
}

/** What went out: `sent`/`resent`, kind and detector. */
const sends = (result: PolicyResult) => result.alerts.map((a) => `${a.retry ? 'resent' : 'sent'} ${a.kind} ${a.detector}`);

describe('alert policy: how long a decision is kept', () => {
  it('resends a finding handed in again 13 days after it was decided, and keeps its decision through a change of the state', () => {
    // Prepare: etl's failure is decided (sent) at T0; its send then keeps failing.
    const failed = finding('run-failed', T0);
    const first = decide(undefined, T0, [failed]);
    expect(sends(first)).toEqual(['sent finding run-failed']);
    // Act: 13 days on, a sweep hands it in again with a new finding (the state changes, its decisions pruned), then another sweep hands it in alone.
    const slow = finding('duration-slow', T0 + 13 * DAY);
    const later = decide(first.state, T0 + 13 * DAY, [failed, slow]);
    const again = decide(later.state, T0 + 13 * DAY + MIN, [failed]);
    // Assess: sent as decided each time, never decided anew.
    expect(sends(later)).toEqual(['resent finding run-failed', 'sent finding duration-slow']);
    expect(later.state.decided[findingKey(failed)]).toMatchObject({ at: T0, disposition: 'sent' });
    expect(sends(again)).toEqual(['resent finding run-failed']);
  });

  it('keeps a decision 14 days less 1 ms after it was made and drops it at 14 days, with the next change of the state', () => {
    // Prepare
    const failed = finding('run-failed', T0);
    const first = decide(undefined, T0, [failed]);
    // Act: a new finding changes the state just before 14 days and at 14 days.
    const before = decide(first.state, T0 + 14 * DAY - 1, [finding('duration-slow', T0 + 14 * DAY - 1)]);
    const at = decide(first.state, T0 + 14 * DAY, [finding('duration-slow', T0 + 14 * DAY)]);
    // Assess
    expect(before.changed).toBe(true);
    expect(Object.keys(before.state.decided)).toContain(findingKey(failed));
    expect(at.changed).toBe(true);
    expect(Object.keys(at.state.decided)).not.toContain(findingKey(failed));
    expect(Object.keys(at.state.decided)).toHaveLength(1);
  });
});

describe('alert policy: how many notices a subject keeps', () => {
  it('keeps the 10 newest notices not yet confirmed: a new recovery drops the oldest of 10 pending', () => {
    // Prepare: etl's failure went out; ten flapping notices of it are pending, none confirmed (their leases far off).
    const failed = decide(undefined, T0, [finding('run-failed', T0)], [{ at: T0, healthy: false, run_id: 'r0' }]);
    const pending: PendingNotice[] = Array.from({ length: 10 }, (_, i) => ({
      id: `flapping@${isoTime(T0 + (i + 1) * MIN)}`,
      kind: 'flapping',
      at: T0 + (i + 1) * MIN,
      leaseUntil: T0 + DAY,
      severity: 'high',
      detectors: ['run-failed'],
      detail: { transitions: 6, window_hours: 24, suppressed: 0 },
    }));
    const state: AlertState = { ...failed.state, notices: pending };
    // Act: three healthy runs: a recovery notice, the eleventh.
    const healthy = [1, 2, 3].map((i) => ({ at: T0 + (20 + i) * MIN, healthy: true, run_id: `ok-${i}` }));
    const recovered = decide(state, T0 + 30 * MIN, [], healthy);
    // Assess: the oldest flapping notice is dropped, the other nine and the recovery kept, in order.
    expect(sends(recovered)).toEqual(['sent recovery run-failed']);
    const recovery = recovered.alerts[0].notice!;
    expect(recovered.state.notices.map((n) => n.id)).toEqual([...pending.slice(1).map((n) => n.id), recovery.id]);
  });
});
