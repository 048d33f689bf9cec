import { describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { ScanStore } from '../../lambdas/cli/scan-store.ts';

const commitOf = (key: string, expectedVersion: number, state: unknown) => ({ key, expectedVersion, state, findings: [], records: [] });

describe('ScanStore: the states of one scan, the latest used as objects and the rest as JSON', () => {
  it('hands back every state as committed, whether it stayed an object or went to JSON and back', async () => {
    // Prepare: room for two objects, five subjects.
    const store = new ScanStore(undefined, { hotStates: 2 });
    for (let i = 0; i < 5; i++) expect(await store.commit(commitOf(`job#j${i}`, 0, { n: i, list: [i, { deep: `v${i}` }] }))).toBe('committed');

    // Act
    const loaded = await store.load(['job#j0', 'job#j3', 'job#j4', 'job#missing']);

    // Assess
    expect(Object.fromEntries(loaded)).toEqual({
      'job#j0': { state: { n: 0, list: [0, { deep: 'v0' }] }, version: 1 },
      'job#j3': { state: { n: 3, list: [3, { deep: 'v3' }] }, version: 1 },
      'job#j4': { state: { n: 4, list: [4, { deep: 'v4' }] }, version: 1 },
    });
    expect(store.size).toEqual({ subjects: 5, changed: 5, findings: 0 });
  });

  it('checks the version of a state that went to JSON as of one kept as an object', async () => {
    // Prepare: j0 is pushed out of the objects by j1 and j2.
    const store = new ScanStore(undefined, { hotStates: 1 });
    await store.commit(commitOf('job#j0', 0, { n: 0 }));
    await store.commit(commitOf('job#j1', 0, { n: 1 }));
    await store.commit(commitOf('job#j2', 0, { n: 2 }));

    // Act
    const stale = await store.commit(commitOf('job#j0', 0, { n: 'stale' }));
    const fresh = await store.commit(commitOf('job#j0', 1, { n: 'next' }));
    const again = await store.commit(commitOf('job#j2', 1, { n: 'two' }));

    // Assess
    expect([stale, fresh, again]).toEqual(['conflict', 'committed', 'committed']);
    expect(Object.fromEntries(await store.load(['job#j0', 'job#j1', 'job#j2']))).toEqual({
      'job#j0': { state: { n: 'next' }, version: 2 },
      'job#j1': { state: { n: 1 }, version: 1 },
      'job#j2': { state: { n: 'two' }, version: 2 },
    });
  });

  it('lists the subjects of a kind in key order, objects and JSON alike', async () => {
    // Prepare
    const store = new ScanStore(undefined, { hotStates: 2 });
    for (const key of ['job#c', 'route#r', 'job#a', 'job#d', 'job#b']) await store.commit(commitOf(key, 0, { key }));

    // Act
    const jobs = await store.subjects('job');

    // Assess
    expect(jobs).toEqual(['job#a', 'job#b', 'job#c', 'job#d'].map((key) => ({ key, state: { key }, version: 1 })));
  });

  it('writes every changed subject back once, at the version it read, objects and JSON alike', async () => {
    // Prepare: a stored subject read by the scan, and new ones; room for one object.
    const base = new MemoryAuditStore();
    await base.commit(commitOf('job#stored', 0, { n: 'before' }));
    const store = new ScanStore(base, { hotStates: 1 });
    const [read] = (await store.load(['job#stored'])).values();
    await store.commit(commitOf('job#stored', read.version, { n: 'after' }));
    await store.commit(commitOf('job#new1', 0, { n: 1 }));
    await store.commit(commitOf('job#new2', 0, { n: 2 }));

    // Act
    const saved = await store.writeBack();

    // Assess
    expect(saved.subjects).toBe(3);
    expect(Object.fromEntries(await base.load(['job#stored', 'job#new1', 'job#new2']))).toEqual({
      'job#stored': { state: { n: 'after' }, version: 2 },
      'job#new1': { state: { n: 1 }, version: 1 },
      'job#new2': { state: { n: 2 }, version: 1 },
    });
  });

  it('writes each subject back with the expiry of its latest commit, and none for one committed without', async () => {
    // Prepare: an agent run's aggregate expires (its expiry moved on by its second commit); a job's state does not.
    const base = new MemoryAuditStore();
    const written = vi.spyOn(base, 'commit');
    const store = new ScanStore(base, { hotStates: 1 });
    await store.commit({ ...commitOf('agentrun#r-1', 0, { n: 1 }), expiresAt: Date.parse('2026-11-01T00:00:00Z') });
    await store.commit(commitOf('job#backup', 0, { n: 1 }));
    await store.commit({ ...commitOf('agentrun#r-1', 1, { n: 2 }), expiresAt: Date.parse('2026-11-02T00:00:00Z') });

    // Act
    await store.writeBack();

    // Assess
    expect(Object.fromEntries(written.mock.calls.map(([change]) => [change.key, change.expiresAt]))).toEqual({
      'agentrun#r-1': Date.parse('2026-11-02T00:00:00Z'),
      'job#backup': undefined,
    });
  });

  it('keeps two runs that used one run id at different times (time and run id, as the table keys them)', async () => {
    // Prepare: run id "1" on two days, the second failing; the first committed again
    const store = new ScanStore(undefined, { keepRecords: true });
    const run = (day: string, status: 'ok' | 'failed') => ({ subject: 'nightly-backup', subject_kind: 'job' as const, run_id: '1', ts: `2026-10-0${day}T02:00:00Z`, status });

    // Act
    await store.commit({ ...commitOf('job#nightly-backup', 0, {}), records: [run('1', 'ok')] });
    await store.commit({ ...commitOf('job#nightly-backup', 1, {}), records: [run('2', 'failed')] });
    await store.commit({ ...commitOf('job#nightly-backup', 2, {}), records: [run('1', 'ok')] });

    // Assess
    const runs = await store.runs('job#nightly-backup', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z');
    expect(runs.map((r) => [r.ts, r.status])).toEqual([
      ['2026-10-01T02:00:00Z', 'ok'],
      ['2026-10-02T02:00:00Z', 'failed'],
    ]);
  });
});
