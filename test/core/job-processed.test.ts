import { randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { initialJobState, type JobState, jobReducer } from '../../lambdas/core/job-reducer.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import type { AuditEvent, EventBody } from '../../lambdas/core/events.ts';
import { ev, run } from '../helpers/events.ts';

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

    // Act: the last 1,000 delivered again, and the first ones (fallen out of the ring).
    const again = jobReducer.apply(state, 'sync', hourly(ids.slice(200), 200), ctx);
    const oldest = jobReducer.apply(state, 'sync', hourly(ids.slice(0, 10), 0), ctx);

    // Assess: the forgotten runs are no newer than the latest one forgotten (run 199's end), so taken as counted
    expect(state.runs).toBe(1_200);
    expect(again.state).toBe(state);
    expect(again.records).toEqual([]);
    expect(oldest.state).toBe(state);
    expect(oldest.records).toEqual([]);
    expect(state.processedUntil).toBe(Date.parse('2026-10-09T07:05:00Z'));
    expect(state.processedRing).toHaveLength(1_000 * 8);
    expect(state.processedAt).toHaveLength(1_000);
    expect(state.processed).toBeUndefined();
    // 1,000 UUIDs as a list were 39 KB of JSON alone; the whole state is now under 17 KB (16.5), and
    // its times (seconds after the run before) deflate to almost nothing, as a table stores the state.
    expect(JSON.stringify(state).length).toBeLessThan(17_000);
    const { processedAt, ...untimed } = state;
    expect(deflateRawSync(JSON.stringify(state)).length - deflateRawSync(JSON.stringify(untimed)).length).toBeLessThan(200);
    expect(processedAt?.slice(1)).toEqual(Array.from({ length: 999 }, () => 3_600));
  });

  it('counts once a run read again after 1,000 newer ones (a redriven delivery, a backfill over live history), and still a run newer than those forgotten', () => {
    // Prepare: a delivery of 10 runs, then 1,200 more in later deliveries; a run that came out of order, never read
    const ids = Array.from({ length: 1_210 }, (_, i) => `r-${i}`);
    const first = hourly(ids.slice(0, 10), 0);
    let state = jobReducer.apply(initialJobState('sync'), 'sync', first, ctx).state;
    for (let b = 10; b < ids.length; b += 50) state = jobReducer.apply(state, 'sync', hourly(ids.slice(b, b + 50), b), ctx).state;
    const unread = hourly(['late-1'], 1_100).map((e) => ({ ...e, at: e.at + 30 * 60_000 }));

    // Act
    const redriven = jobReducer.apply(state, 'sync', first, ctx);
    const late = jobReducer.apply(state, 'sync', unread, ctx);

    // Assess
    expect(state.runs).toBe(1_210);
    expect(redriven.state).toBe(state);
    expect(redriven.records).toEqual([]);
    expect(late.records.map((r) => r.run_id)).toEqual(['late-1']);
    expect(late.state.runs).toBe(1_211);
  });

  it('counts every cron start of a fleet whose hosts\' logs come 30 minutes apart, though the job remembers 1,000', () => {
    // Prepare: a job cron starts every minute on 50 hosts for an hour (3,000 starts, the job remembers 1,000: 20
    // minutes of them); CloudWatch delivers each host's syslog stream on its own, ten minutes at a time, and
    // host 50's stream runs 30 minutes behind the others.
    const minute = (m: number) => Date.UTC(2026, 9, 1) + m * 60_000;
    const block = (h: number, b: number) =>
      Array.from({ length: 10 }, (_, i): AuditEvent => {
        const m = b * 10 + i;
        return { ...ev(minute(m), { type: 'run.start', job: 'sync', run_id: `cron-h${h}-${m}`, host: `h${h}` } as EventBody), format: 'cron' };
      });
    const deliveries: AuditEvent[][] = [];
    for (let b = 0; b < 6; b++) {
      for (let h = 1; h < 50; h++) deliveries.push(block(h, b));
      if (b >= 3) deliveries.push(block(50, b - 3));
    }
    for (let b = 3; b < 6; b++) deliveries.push(block(50, b));

    // Act
    let state = initialJobState('sync');
    for (const delivery of deliveries) state = jobReducer.apply(state, 'sync', delivery, ctx).state;

    // Assess: the late host's starts are new, however many the other hosts' deliveries brought meanwhile.
    expect(state.startsSeen).toBe(3_000);
    expect(state.hosts?.h50).toBe(60);
  });

  it('keeps the latest runs by time when old history is read: a backfill cannot push them out of the ring', () => {
    // Prepare: 600 runs counted live, then 600 older ones read by a backfill
    const ids = Array.from({ length: 1_200 }, (_, i) => `r-${i}`);
    let state = jobReducer.apply(initialJobState('sync'), 'sync', hourly(ids.slice(600), 600), ctx).state;
    state = jobReducer.apply(state, 'sync', hourly(ids.slice(0, 600), 0), ctx).state;

    // Act: the live runs delivered again, and the latest old one; a run between the two never read before
    const again = jobReducer.apply(state, 'sync', [...hourly(ids.slice(600), 600), ...hourly(ids.slice(599, 600), 599)], ctx);
    const between = jobReducer.apply(state, 'sync', hourly(['unread'], 300).map((e) => ({ ...e, at: e.at + 30 * 60_000 })), ctx);

    // Assess: the 200 oldest were forgotten, up to run 199's end
    expect(state.runs).toBe(1_200);
    expect(again.state).toBe(state);
    expect(state.processedUntil).toBe(Date.parse('2026-10-09T07:05:00Z'));
    expect(between.records.map((r) => r.run_id)).toEqual(['unread']);
  });

  it('reads the plain list a state written before holds, and writes it back as a ring, oldest first', () => {
    // Prepare: a state as an earlier version wrote it, 3 runs done.
    const ids = ['r-1', 'r-2', 'r-3'];
    const fresh = jobReducer.apply(initialJobState('sync'), 'sync', hourly(ids), ctx).state;
    const legacy: JobState = { ...fresh, processedRing: undefined, processedAt: undefined, processed: ['r-1', 'r-2', 'r-3'] };

    // Act: the same three delivered again, then a fourth run.
    const again = jobReducer.apply(legacy, 'sync', hourly(ids), ctx);
    const next = jobReducer.apply(legacy, 'sync', hourly(['r-4'], 3), ctx);

    // Assess
    expect(again.state).toBe(legacy);
    expect(again.records).toEqual([]);
    expect(next.records.map((r) => r.run_id)).toEqual(['r-4']);
    expect(next.state.processed).toBeUndefined();
    expect(next.state.processedRing).toBe(`${fresh.processedRing}${next.state.processedRing?.slice(-8)}`);
    // The legacy runs have no known time (the oldest, forgotten first); the new one ended at 03:05.
    expect(next.state.processedAt).toEqual([Date.parse('2026-10-01T03:05:00Z') / 1000]);
    expect(next.state.processedUntil).toBeUndefined();
    expect(jobReducer.apply(next.state, 'sync', [...hourly(['r-1']), ...hourly(['r-4'], 3)], ctx).records).toEqual([]);
  });
  it('counts a run id used again on a later day (a PID, a counter that restarted) as a new run, and a redelivery of either once', () => {
    // Prepare: run "1" on 1 October succeeds; the same id on 2 October fails, with no end line of its own
    // for its first start (a crash), then "1" again on 3 October, started and ended.
    const first = run('etl', '1', '2026-10-01T02:00:00Z', 5);
    const second = run('etl', '1', '2026-10-02T02:00:00Z', 5, { exit_code: 1 });
    const crashed = run('etl', '1', '2026-10-03T02:00:00Z', 5).slice(0, 1);
    const third = run('etl', '1', '2026-10-04T02:00:00Z', 5);
    const day1 = jobReducer.apply(initialJobState('etl'), 'etl', first, ctx);

    // Act
    const day2 = jobReducer.apply(day1.state, 'etl', second, ctx);
    const redelivered = jobReducer.apply(day2.state, 'etl', [...first, ...second], ctx);
    const inOne = jobReducer.apply(initialJobState('etl'), 'etl', [...first, ...second, ...first, ...second], ctx);
    const day3 = jobReducer.apply(day2.state, 'etl', crashed, ctx);
    const day4 = jobReducer.apply(day3.state, 'etl', third, ctx);
    const day4Again = jobReducer.apply(day4.state, 'etl', [...crashed, ...third], ctx);

    // Assess: two runs, the second a failure with its finding; the same lines again count nothing
    expect(day2.records.map((r) => `${r.run_id}@${r.ts}:${r.status}`)).toEqual(['1@2026-10-02T02:05:00Z:failed']);
    expect(day2.findings.map((f) => f.detector)).toContain('run-failed');
    expect(day2.state.runs).toBe(2);
    expect(day2.state.failures).toBe(1);
    expect(redelivered.state).toBe(day2.state);
    expect(redelivered.records).toEqual([]);
    expect(redelivered.findings).toEqual([]);
    expect(inOne.records.map((r) => r.status)).toEqual(['ok', 'failed']);
    expect(inOne.state.runs).toBe(2);
    // The crashed run stays open beside the next one with its id; the next end closes the next run (5 minutes), not the crashed one.
    expect(day3.state.open.map((r) => r.at)).toEqual([Date.parse('2026-10-03T02:00:00Z')]);
    expect(day4.records.map((r) => `${r.ts}:${r.duration_ms}`)).toEqual(['2026-10-04T02:05:00Z:300000']);
    expect(day4.state.open.map((r) => r.at)).toEqual([Date.parse('2026-10-03T02:00:00Z')]);
    expect(day4Again.state).toBe(day4.state);
  });

  it('recognises a run id written before times were kept as counted, whenever its lines come (as before)', () => {
    // Prepare: a state whose ring has no times
    const fresh = jobReducer.apply(initialJobState('etl'), 'etl', run('etl', '1', '2026-10-01T02:00:00Z', 5), ctx).state;
    const untimed: JobState = { ...fresh, processedAt: undefined };

    // Act
    const later = jobReducer.apply(untimed, 'etl', run('etl', '1', '2026-10-02T02:00:00Z', 5, { exit_code: 1 }), ctx);

    // Assess
    expect(later.records).toEqual([]);
    expect(later.state).toBe(untimed);
  });
});
