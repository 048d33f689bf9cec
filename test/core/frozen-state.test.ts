import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { deepFreeze } from '../../lambdas/core/frozen-state.ts';

describe('states kept by a store are frozen in the tests, so a reducer that writes into its input fails', () => {
  it('is switched on for the test suite', () => {
    // Assess
    expect(process.env.SILENT_AUDIT_FREEZE_STATE).toBe('1');
  });

  it('hands out the committed state deep-frozen: writing into it throws', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    await store.commit({ key: 'job#nightly', expectedVersion: 0, state: { runs: 1, open: [{ run_id: 'r-1' }] }, findings: [], records: [] });
    // Act
    const loaded = (await store.load(['job#nightly'])).get('job#nightly')?.state as { runs: number; open: { run_id: string }[] };
    // Assess
    expect(loaded.runs).toBe(1);
    expect(() => {
      loaded.runs = 2;
    }).toThrow(TypeError);
    expect(() => loaded.open.push({ run_id: 'r-2' })).toThrow(TypeError);
    expect(() => {
      loaded.open[0].run_id = 'changed';
    }).toThrow(TypeError);
  });

  it('deepFreeze reaches nested arrays and objects and leaves primitives alone', () => {
    // Prepare
    const value = { a: [{ b: { c: 1 } }], d: 'x' };
    // Act
    deepFreeze(value);
    // Assess
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a[0].b)).toBe(true);
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze(null)).toBe(null);
  });
});
