import { describe, expect, it } from 'vitest';
import { CONFLICT, CommitConflictError, RESERVED_MS, retryOnConflict, UNTIMED_BUDGET_MS } from '../../lambdas/core/commit-retry.ts';

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
