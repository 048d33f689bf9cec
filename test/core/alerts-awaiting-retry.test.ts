import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { ALERT_DUE_CATALOG, type AlertState } from '../../lambdas/core/alert-policy.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import { type Finding, isoTime } from '../../lambdas/core/findings.ts';
import type { AlertSink, CommitResult, RunRecord, SubjectCommit } from '../../lambdas/ports.ts';

const T0 = Date.parse('2026-10-17T08:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

class Sink implements AlertSink {
  down = false;
  readonly kinds: string[] = [];
  async publish(): Promise<void> {
    throw new Error('send() is used');
  }
  async send(message: AlertMessage): Promise<void> {
    if (this.down) throw new Error('SNS down');
    this.kinds.push((message as { kind?: string }).kind ?? '');
  }
}

/** Counts the alert-state writes; with `loseSettle`, the write that settles a sent retry is lost (throttled). */
class Store extends MemoryAuditStore {
  loseSettle = false;
  /** With it, the look-up of the findings awaiting a retry fails (throttled past the SDK's and BatchGet's retries). */
  failLookup = false;
  alertWrites = 0;
  override async alertsAwaitingSend(keys: readonly string[]): Promise<Map<string, number>> {
    if (this.failLookup) throw Object.assign(new Error('lookup throttled'), { name: 'ProvisionedThroughputExceededException' });
    return super.alertsAwaitingSend(keys);
  }
  override async commit(change: SubjectCommit): Promise<CommitResult> {
    if (change.key.startsWith('alert#')) {
      this.alertWrites++;
      if (this.loseSettle && (change.state as AlertState).findingsAwaitingRetry === undefined) throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    }
    return super.commit(change);
  }
  async alertState(): Promise<AlertState | undefined> {
    return (await this.load(['alert#job#etl'])).get('alert#job#etl')?.state as AlertState | undefined;
  }
}

const run = (n: number, status: 'ok' | 'failed', at: number): RunRecord => ({ subject: 'etl', subject_kind: 'job', run_id: `etl-${n}`, ts: isoTime(at), status, exit_code: status === 'ok' ? 0 : 1 });
const failure: Finding = { detector: 'run-failed', subject: 'etl', subject_kind: 'job', run_id: 'etl-1', ts: isoTime(T0), severity: 'high', message: 'exit 1', evidence: { exit_code: 1 } };

/** etl fails at T0 and its alert's send fails (SNS down); returns the sweep (every 5 minutes) and the ingest of three healthy runs. */
async function failedWhileSnsDown(store: Store, sink: Sink) {
  await store.commit({ key: 'job#etl', expectedVersion: 0, state: {}, findings: [failure], records: [] });
  sink.down = true;
  await deliverAlerts([failure], store, sink, { now: () => T0 + MIN }, { records: [run(1, 'failed', T0)], drainLimit: 50 });
  const sweep = async (at: number) => deliverAlerts([], store, sink, { now: () => at }, { drainLimit: 200, due: await store.subjects(ALERT_DUE_CATALOG) });
  const healthyRuns = async () => {
    for (let i = 2; i <= 4; i++) await deliverAlerts([], store, sink, { now: () => T0 + (10 + i) * MIN }, { records: [run(i, 'ok', T0 + (8 + i) * MIN)], drainLimit: 0 });
  };
  return { sweep, healthyRuns };
}

describe('a recovery held behind its episode’s failed alerts', () => {
  it('goes out with the healthy runs when the resent failure was marked alerted but the write settling it was lost', async () => {
    // Prepare: the failure's resend succeeds and is marked alerted, but the alert-state write after it is throttled.
    const store = new Store();
    const sink = new Sink();
    const { sweep, healthyRuns } = await failedWhileSnsDown(store, sink);
    sink.down = false;
    store.loseSettle = true;
    await expect(sweep(T0 + 5 * MIN)).rejects.toThrow('throttled');
    store.loseSettle = false;
    expect(Object.keys((await store.alertState())?.findingsAwaitingRetry ?? {})).toHaveLength(1);
    // Act: the job's next three runs are healthy (an ingest that drains no outbox)
    await healthyRuns();
    // Assess: the recovery goes out after the failure, from that ingest, and the state no longer waits for the sent failure.
    expect(sink.kinds).toEqual(['finding', 'recovery']);
    const state = await store.alertState();
    expect(state?.findingsAwaitingRetry).toBeUndefined();
    expect(state?.notices).toEqual([]);
  });

  it('sends the delivery’s other alerts when the look-up of the findings awaiting a retry fails, holding the recovery a lease as without it', async () => {
    // Prepare: the resent failure's settling write was lost; billing fails anew in the ingest of etl's first healthy run, whose look-up is throttled
    const store = new Store();
    const sink = new Sink();
    await failedWhileSnsDown(store, sink);
    sink.down = false;
    store.loseSettle = true;
    await deliverAlerts([], store, sink, { now: () => T0 + 5 * MIN }, { drainLimit: 200, due: await store.subjects(ALERT_DUE_CATALOG) }).catch(() => undefined);
    store.loseSettle = false;
    const billing: Finding = { ...failure, subject: 'billing', run_id: 'billing-1', ts: isoTime(T0 + 11 * MIN) };
    await store.commit({ key: 'job#billing', expectedVersion: 0, state: {}, findings: [billing], records: [] });
    store.failLookup = true;
    const healthy = (n: number) => run(n, 'ok', T0 + (8 + n) * MIN);
    // Act: that ingest, then the next two healthy runs' ingests, their look-ups answered
    const throttled = await deliverAlerts([billing], store, sink, { now: () => T0 + 12 * MIN }, { records: [healthy(2), { ...run(1, 'failed', T0 + 11 * MIN), subject: 'billing', run_id: 'billing-1' }], drainLimit: 0 });
    const afterThrottled = [...sink.kinds];
    store.failLookup = false;
    for (const n of [3, 4]) await deliverAlerts([], store, sink, { now: () => T0 + (10 + n) * MIN }, { records: [healthy(n)], drainLimit: 0 });
    // Assess: billing's alert went out and the failed look-up is reported in the delivery's errors (logged); the recovery, held meanwhile, goes out after
    expect(afterThrottled).toEqual(['finding', 'finding']);
    expect(throttled.errors).toEqual([expect.stringContaining('lookup throttled')]);
    expect(sink.kinds).toEqual(['finding', 'finding', 'recovery']);
  });

  it('after the write settling the resent failure was lost, sweeps for days with no healthy run to ingest cost a bounded number of alert-state writes, not one per sweep', async () => {
    // Prepare: etl is healthy again while SNS is down (its recovery held behind the failure); SNS is back and the sweep
    // resending the failure marks it alerted, but the alert-state write settling it is throttled
    const store = new Store();
    const sink = new Sink();
    const { sweep, healthyRuns } = await failedWhileSnsDown(store, sink);
    await healthyRuns();
    sink.down = false;
    store.loseSettle = true;
    await expect(sweep(T0 + 2 * HOUR)).rejects.toThrow('throttled');
    store.loseSettle = false;
    const before = store.alertWrites;
    // Act: a sweep every 5 minutes for 3 days (864 sweeps), no ingest of etl's runs
    for (let at = T0 + 2 * HOUR + 5 * MIN; at < T0 + 74 * HOUR; at += 5 * MIN) await sweep(at);
    // Assess: the state is settled in a few writes (8de2310: one per sweep, the recovery held a lease at a time for 14 days);
    // the recovery sent by the sweep whose settling write was lost is sent once more (a notice whose own settle failed is)
    expect(store.alertWrites - before).toBeLessThanOrEqual(5);
    expect(sink.kinds).toEqual(['finding', 'recovery', 'recovery']);
    const state = await store.alertState();
    expect(state?.findingsAwaitingRetry).toBeUndefined();
    expect(state?.notices).toEqual([]);
  });
});
