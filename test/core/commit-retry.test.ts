import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import { CONFLICT, CommitConflictError, RESERVED_MS, retryOnConflict, UNTIMED_BUDGET_MS } from '../../lambdas/core/commit-retry.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import type { CommitResult, SubjectCommit } from '../../lambdas/ports.ts';
import { run } from '../helpers/events.ts';

/** A clock that only the waits move, and the waits it was asked for. */
function fakeTime(start = 0) {
  let now = start;
  const waits: number[] = [];
  return { now: () => now, waits, sleep: async (ms: number) => void (waits.push(ms), (now += ms)) };
}

describe('retryOnConflict: exponential backoff with full jitter, bounded by the time left, not by a number of attempts', () => {
  it('goes on past 12 conflicts while the invocation has time, each window twice the last up to 1 s', async () => {
    // Prepare: a write that loses 40 times, then commits; a Lambda with 60 s left; jitter at the top of each window.
    const time = fakeTime();
    let calls = 0;
    // Act
    const result = await retryOnConflict('job#shared', { remainingMs: () => 60_000 - time.now(), sleep: time.sleep, random: () => 0.999 }, async (n) => ((calls = n) <= 40 ? CONFLICT : 'committed'));
    // Assess
    expect([result, calls]).toEqual(['committed', 41]);
    expect(time.waits.slice(0, 8)).toEqual([19, 39, 79, 159, 319, 639, 999, 999]);
    expect(time.now()).toBeLessThan(60_000 - RESERVED_MS);
  });

  it('stops with CommitConflictError when the next wait would eat into the time kept for the rest of the invocation', async () => {
    // Prepare: a write that never wins, with 15 s left.
    const time = fakeTime();
    // Act
    const outcome = retryOnConflict('job#shared', { remainingMs: () => 15_000 - time.now(), sleep: time.sleep, random: () => 0.5 }, async () => CONFLICT);
    // Assess
    await expect(outcome).rejects.toBeInstanceOf(CommitConflictError);
    expect(time.now()).toBeLessThanOrEqual(15_000 - RESERVED_MS);
    expect(time.now()).toBeGreaterThan(15_000 - RESERVED_MS - 1_000);
  });

  it('without an invocation deadline (the CLI), retries for a fixed time from the first conflict', async () => {
    // Prepare: a write that never wins; the clock starts far from 0.
    const time = fakeTime(1_000_000);
    // Act
    const outcome = retryOnConflict('job#shared', { now: time.now, sleep: time.sleep, random: () => 0.5 }, async () => CONFLICT);
    // Assess
    await expect(outcome).rejects.toThrow(/state of job#shared kept changing under \d+ attempts/);
    expect(time.now() - 1_000_000).toBeGreaterThan(UNTIMED_BUDGET_MS - 1_000);
    expect(time.now() - 1_000_000).toBeLessThanOrEqual(UNTIMED_BUDGET_MS);
  });
});

/** A memory store whose commits of `keys` each lose to a concurrent writer `times` times before they win. */
class ContendedStore extends MemoryAuditStore {
  readonly lost = new Map<string, number>();
  constructor(private readonly keys: readonly string[], private readonly times: number) {
    super();
  }
  override async commit(change: SubjectCommit): Promise<CommitResult> {
    const lost = this.lost.get(change.key) ?? 0;
    if (!this.keys.includes(change.key) || lost >= this.times) return super.commit(change);
    this.lost.set(change.key, lost + 1);
    return 'conflict';
  }
}

describe('the pipeline and the alert delivery pass their retry on', () => {
  it('a failed run whose job state and alert state each lose 20 writes in a row is stored and alerted once', async () => {
    // Prepare: the job's and its alert state's writes lose 20 times each (the old loop gave up after 12); a fake clock the waits move.
    const T0 = Date.parse('2026-10-05T08:00:00Z');
    const time = fakeTime(T0);
    const retry = { now: time.now, sleep: time.sleep, random: () => 0.5 };
    const store = new ContendedStore(['job#etl', 'alert#job#etl'], 20);
    const sent: string[] = [];
    const sink = { publish: async (f: Finding) => void sent.push(`${f.detector} ${f.subject}`) };
    const ctx = { config: DEFAULT_CONFIG, clock: { now: time.now } };
    // Act
    const batch = await processBatch(run('etl', 'etl-1', '2026-10-05T07:00:00Z', 5, { exit_code: 1 }), REDUCERS, store, ctx, retry);
    const alerts = await deliverAlerts(batch.findings, store, sink, ctx.clock, { records: batch.records, retry });
    // Assess
    expect(batch.findings.map((f) => `${f.detector} ${f.subject}`)).toEqual(['run-failed etl']);
    expect(batch.conflicts).toBe(20);
    expect(alerts.sent).toBe(1);
    expect(sent).toEqual(['run-failed etl']);
    expect([...store.lost.values()]).toEqual([20, 20]);
    expect(time.waits).toHaveLength(40);
    expect(await store.pendingAlerts(10)).toEqual([]);
  });

  it('a sent recovery notice whose settle loses 20 writes in a row is settled, not published again', async () => {
    // Prepare: a failed run alerted; three healthy runs make a recovery notice; its settle write (the
    // delivery's second alert-state write) loses 20 times in a row.
    const T0 = Date.parse('2026-10-05T08:00:00Z');
    const time = fakeTime(T0 + 6 * 3_600_000);
    const retry = { now: time.now, sleep: time.sleep, random: () => 0.5 };
    const store = new MemoryAuditStore();
    const messages: string[] = [];
    const sink = { publish: async (f: Finding) => void messages.push(f.message) };
    const ctx = { config: DEFAULT_CONFIG, clock: { now: time.now } };
    const deliver = async (events: ReturnType<typeof run>) => {
      const batch = await processBatch(events, REDUCERS, store, ctx, retry);
      return deliverAlerts(batch.findings, store, sink, ctx.clock, { records: batch.records, retry });
    };
    await deliver(run('etl', 'etl-1', '2026-10-05T08:00:00Z', 5, { exit_code: 1 }));
    const commit = store.commit.bind(store);
    let alertWrites = 0;
    store.commit = async (change: SubjectCommit): Promise<CommitResult> => (change.key === 'alert#job#etl' && ++alertWrites >= 2 && alertWrites <= 21 ? 'conflict' : commit(change));
    // Act: the recovering delivery, then one after the notice's lease.
    await deliver([2, 3, 4].flatMap((h) => run('etl', `etl-${h}`, `2026-10-05T${8 + h}:00:00Z`, 5)));
    const waits = time.waits.length;
    await time.sleep(120_000);
    await deliver(run('etl', 'etl-5', '2026-10-05T13:00:00Z', 5));
    // Assess
    expect(waits).toBe(20);
    expect(messages.filter((m) => m.includes('RECOVERED'))).toHaveLength(1);
  });
});
