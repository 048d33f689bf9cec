import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { initialJobState, type JobState, jobReducer } from '../../lambdas/core/job-reducer.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import { run } from '../helpers/events.ts';

const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-12-01T00:00:00Z') } };

/** `n` hourly runs of a Lambda-style job whose run ids are UUIDs, from `fromHour`. */
function hourly(ids: readonly string[], fromHour = 0) {
  return ids.flatMap((id, i) => run('sync', id, new Date(Date.UTC(2026, 9, 1) + (fromHour + i) * 3_600_000).toISOString(), 5));
}

describe('the runs a job has processed: a ring of fingerprints', () => {
  it('recognises a redelivered run after 1,000 others, and keeps the state small: 8 characters a run, not its id', () => {
    // Prepare: 1,200 runs with UUID ids, in batches of 50.
    const ids = Array.from({ length: 1_200 }, () => randomUUID());
    let state = initialJobState('sync');
    for (let b = 0; b < ids.length; b += 50) state = jobReducer.apply(state, 'sync', hourly(ids.slice(b, b + 50), b), ctx).state;

    // Act: the last 1,000 delivered again, and the first one (fallen out of the ring).
    const again = jobReducer.apply(state, 'sync', hourly(ids.slice(200), 200), ctx);
    const oldest = jobReducer.apply(state, 'sync', hourly(ids.slice(0, 1), 0), ctx);

    // Assess
    expect(state.runs).toBe(1_200);
    expect(again.state).toBe(state);
    expect(again.records).toEqual([]);
    expect(oldest.records.map((r) => r.run_id)).toEqual([ids[0]]);
    expect(state.processedRing).toHaveLength(1_000 * 8);
    expect(state.processed).toBeUndefined();
    // 1,000 UUIDs as a list were 39 KB of JSON alone; the whole state is now under 12 KB (11.4).
    expect(JSON.stringify(state).length).toBeLessThan(12_000);
  });

  it('reads the plain list a state written before holds, and writes it back as a ring, oldest first', () => {
    // Prepare: a state as an earlier version wrote it, 3 runs done.
    const ids = ['r-1', 'r-2', 'r-3'];
    const fresh = jobReducer.apply(initialJobState('sync'), 'sync', hourly(ids), ctx).state;
    const legacy: JobState = { ...fresh, processedRing: undefined, processed: ['r-1', 'r-2', 'r-3'] };

    // Act: the same three delivered again, then a fourth run.
    const again = jobReducer.apply(legacy, 'sync', hourly(ids), ctx);
    const next = jobReducer.apply(legacy, 'sync', hourly(['r-4'], 3), ctx);

    // Assess
    expect(again.state).toBe(legacy);
    expect(again.records).toEqual([]);
    expect(next.records.map((r) => r.run_id)).toEqual(['r-4']);
    expect(next.state.processed).toBeUndefined();
    expect(next.state.processedRing).toBe(`${fresh.processedRing}${next.state.processedRing?.slice(-8)}`);
    expect(jobReducer.apply(next.state, 'sync', hourly(['r-1', 'r-4']), ctx).records).toEqual([]);
  });
});
