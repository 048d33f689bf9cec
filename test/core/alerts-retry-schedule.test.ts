import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import { type Finding, isoTime } from '../../lambdas/core/findings.ts';
import type { AlertFailure, AlertSink } from '../../lambdas/ports.ts';

const T0 = Date.parse('2026-10-17T08:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;

/** A sink that refuses every send with `error`. */
class RefusingSink implements AlertSink {
  constructor(private readonly error: string) {}
  async publish(): Promise<void> {
    throw new Error('send() is used');
  }
  async send(_message: AlertMessage): Promise<void> {
    throw new Error(this.error);
  }
}

const failure: Finding = { detector: 'run-failed', subject: 'etl', subject_kind: 'job', run_id: 'etl-1', ts: isoTime(T0), severity: 'high', message: 'exit 1', evidence: { exit_code: 1 } };

/** etl's failure pending in the outbox, a sink that refuses it, and a sweep at a given time that returns the failure it left on the finding. */
async function refusedAlert(error = 'InvalidParameter: refused') {
  const store = new MemoryAuditStore();
  await store.commit({ key: 'job#etl', expectedVersion: 0, state: {}, findings: [failure], records: [] });
  const sink = new RefusingSink(error);
  const sweep = async (at: number): Promise<AlertFailure | undefined> => {
    await deliverAlerts([], store, sink, { now: () => at }, { drainLimit: 10 });
    const [stored] = await store.query({ from: isoTime(T0), to: isoTime(T0 + DAY) });
    return stored.alert_failure;
  };
  return { store, sweep };
}

describe('a finding whose alert keeps failing to send', () => {
  it('may be retried at once after its first failure, then waits 1 minute, doubling after each further failure up to an hour', async () => {
    // Prepare
    const { sweep } = await refusedAlert();
    // Act: a sweep at each retry time, nine failed sends in all.
    const waits: number[] = [];
    let at = T0 + MIN;
    for (let i = 0; i < 9; i++) {
      const left = await sweep(at);
      expect(left?.failures).toBe(i + 1);
      waits.push((left!.retry_at - at) / MIN);
      at = left!.retry_at + (left!.retry_at === at ? 1 : 0);
    }
    // Assess: minutes to wait after failures 1..9.
    expect(waits).toEqual([0, 1, 2, 4, 8, 16, 32, 60, 60]);
  });

  /** Fails from T0 + 1 min until an hour before `lastAfter` ms past the first failure (the wait then an hour), then at `lastAfter`: the failure it leaves and the store. */
  async function failingFor(lastAfter: number) {
    const { store, sweep } = await refusedAlert();
    const first = await sweep(T0 + MIN);
    let left = first;
    for (let i = 0; i < 8; i++) left = await sweep(left!.retry_at + 1);
    const beforeLast = await sweep(first!.first_at + lastAfter - 60 * MIN);
    expect(beforeLast?.gave_up).toBeUndefined();
    expect(beforeLast?.retry_at).toBe(first!.first_at + lastAfter);
    const last = await sweep(first!.first_at + lastAfter);
    return { store, first: first!, last: last! };
  }

  it('is still retried when its send fails 14 days less 1 ms after its first failed send', async () => {
    // Act
    const { store, last } = await failingFor(14 * DAY - 1);
    // Assess
    expect(last.failures).toBe(11);
    expect(last.gave_up).toBeUndefined();
    expect((await store.pendingAlerts(10)).map((f) => f.subject)).toEqual(['etl']);
  });

  it('is given up when its send fails exactly 14 days after its first failed send', async () => {
    // Act
    const { store, first, last } = await failingFor(14 * DAY);
    // Assess: given up, out of the outbox, not alerted.
    expect(last.failures).toBe(11);
    expect(last.first_at).toBe(first.first_at);
    expect(last.gave_up).toBe(true);
    expect(await store.pendingAlerts(10)).toEqual([]);
  });

  it('keeps the first 1,000 characters of a long send error', async () => {
    // Prepare
    const error = `InvalidParameter: ${'x'.repeat(1500)}`;
    const { sweep } = await refusedAlert(error);
    // Act
    const left = await sweep(T0 + MIN);
    // Assess
    expect(left?.error).toBe(error.slice(0, 1000));
    expect(left?.error).toHaveLength(1000);
  });
});
