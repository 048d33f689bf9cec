import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { createSweepHandler } from '../../lambdas/handlers/sweep.ts';
import type { CommitResult, SubjectCommit } from '../../lambdas/ports.ts';
import { run } from '../helpers/events.ts';

afterEach(() => vi.useRealTimers());

describe('the sweep Lambda when ingest keeps winning a subject\'s writes', () => {
  it('stops retrying that subject with the 20 s kept for the agent roots and the alerts left, and delivers in them', async () => {
    // Prepare: two jobs missed a run; one's state is written by ingest
    // environments that win every write until the 60 s invocation has 11 s left. The invocation's time is a fake timer.
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const now = Date.parse('2026-10-24T00:51:00Z');
    const config = validateConfig({ jobs: { 'nightly-backup': { schedule: '30 2 * * *', timezone: 'Europe/Berlin', grace_minutes: 20 }, busy: { schedule: '0 0 * * *', grace_minutes: 20 } } });
    const store = new MemoryAuditStore();
    const events = [20, 21, 22, 23].flatMap((d) => [...run('nightly-backup', `nb-${d}`, `2026-10-${d}T00:30:05Z`, 40), ...run('busy', `b-${d}`, `2026-10-${d}T00:00:05Z`, 1)]);
    await processBatch(events, REDUCERS, store, { config, clock: { now: () => now } });
    const deadline = Date.now() + 60_000;
    const context = { getRemainingTimeInMillis: () => deadline - Date.now() };
    const commit = store.commit.bind(store);
    store.commit = async (change: SubjectCommit): Promise<CommitResult> => (change.key === 'job#busy' && context.getRemainingTimeInMillis() > 11_000 ? 'conflict' : commit(change));
    let deliveryStartedWith: number | undefined;
    const pendingAlerts = store.pendingAlerts.bind(store);
    store.pendingAlerts = (limit, at) => ((deliveryStartedWith ??= context.getRemainingTimeInMillis()), pendingAlerts(limit, at));
    const sent: string[] = [];
    const sweep = createSweepHandler(() => ({ store, sink: { publish: async (f) => void sent.push(`${f.detector} ${f.subject}`) }, config, clock: { now: () => now } }));
    // Act
    let done = false;
    const report = sweep(undefined, context).finally(() => (done = true));
    while (!done && Date.now() < deadline) await vi.advanceTimersByTimeAsync(50);
    // Assess: the contended job is left to the next sweep; the alert went out with at least 20 s left.
    expect((await report).subjectsLeft).toBe(1);
    expect(deliveryStartedWith).toBeGreaterThanOrEqual(20_000);
    expect(sent).toEqual(['missed-run nightly-backup']);
  });
});
