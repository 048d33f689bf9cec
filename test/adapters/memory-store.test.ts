import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import type { RunRecord } from '../../lambdas/ports.ts';

const record = (run: number, status: RunRecord['status'] = 'ok'): RunRecord => ({
  subject: 'nightly-backup',
  subject_kind: 'job',
  run_id: `r-${run}`,
  ts: `2026-10-${String(run).padStart(2, '0')}T02:00:00Z`,
  status,
});

describe('memory store run records', () => {
  it('records a run once however often its batch commits it, and lists a window oldest first', async () => {
    // Prepare: runs 1–28 committed one per version, then runs 5–9 again (a redelivered batch, with another status)
    const store = new MemoryAuditStore();
    let version = 0;
    for (let run = 1; run <= 28; run++) {
      expect(await store.commit({ key: 'job#nightly-backup', expectedVersion: version++, state: { run }, findings: [], records: [record(run)] })).toBe('committed');
    }
    const again = [9, 8, 7, 6, 5].map((run) => record(run, 'failed'));
    await store.commit({ key: 'job#nightly-backup', expectedVersion: version, state: {}, findings: [], records: again });
    // Act
    const week = await store.runs('job#nightly-backup', '2026-10-05', '2026-10-12');
    const all = store.snapshot().records;
    // Assess
    expect(week.map((r) => r.run_id)).toEqual(['r-5', 'r-6', 'r-7', 'r-8', 'r-9', 'r-10', 'r-11']);
    expect(week.every((r) => r.status === 'ok')).toBe(true);
    expect(all).toHaveLength(28);
    expect(new Set(all.map((r) => r.run_id)).size).toBe(28);
    expect(await store.runs('job#other', '2026-10-01', '2026-11-01')).toEqual([]);
  });
});

describe('memory store findings', () => {
  it('keeps two runs that used one run id at different times, as the table does (time and run id)', async () => {
    // Prepare: run id "1" on two days, the second failing; the first delivered again
    const store = new MemoryAuditStore();
    const day = (d: number, status: RunRecord['status']): RunRecord => ({ ...record(d, status), run_id: '1' });

    // Act
    await store.commit({ key: 'job#nightly-backup', expectedVersion: 0, state: {}, findings: [], records: [day(1, 'ok')] });
    await store.commit({ key: 'job#nightly-backup', expectedVersion: 1, state: {}, findings: [], records: [day(2, 'failed')] });
    await store.commit({ key: 'job#nightly-backup', expectedVersion: 2, state: {}, findings: [], records: [day(1, 'ok')] });

    // Assess
    const runs = await store.runs('job#nightly-backup', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z');
    expect(runs.map((r) => [r.run_id, r.ts, r.status])).toEqual([
      ['1', '2026-10-01T02:00:00Z', 'ok'],
      ['1', '2026-10-02T02:00:00Z', 'failed'],
    ]);
  });

  it('writes the findings of a commit of history already alerted, never pending, and the others pending', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    const finding = (ts: string) => ({ detector: 'run-failed' as const, subject: 'nightly-backup', subject_kind: 'job' as const, run_id: `r-${ts}`, ts, severity: 'high' as const, message: 'exit 1', evidence: {} });
    // Act
    await store.commit({ key: 'job#nightly-backup', expectedVersion: 0, state: {}, findings: [finding('2026-10-01T02:00:00Z')], records: [], alreadyAlerted: true });
    await store.commit({ key: 'job#nightly-backup', expectedVersion: 1, state: {}, findings: [finding('2026-10-02T02:00:00Z')], records: [] });
    // Assess
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    expect(stored.map((f) => [f.ts, f.alerted])).toEqual([
      ['2026-10-01T02:00:00Z', true],
      ['2026-10-02T02:00:00Z', false],
    ]);
    expect((await store.pendingAlerts(10)).map((f) => f.ts)).toEqual(['2026-10-02T02:00:00Z']);
  });
});
