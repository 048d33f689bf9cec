import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';
import { steadyHourlyJobState } from '../../bench/bundle-section.ts';
import { countDynamo, itemBytes } from '../../bench/dynamo-section.ts';
import type { BenchPayload } from '../../bench/workload.ts';
import { measureFilterShare } from '../../bench/filter-share.ts';
import { scanLines } from '../../bench/scan-lines.ts';
import { median, pairedSpeedRatio, perSecond, ratio, timeInterleaved } from '../../bench/stats.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';

describe('bench helpers', () => {
  it('takes medians of odd and even counts, and rates per second', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(perSecond(24_354, 1_000)).toBe(24_354);
    expect(perSecond(1, 0)).toBe(0);
    expect(ratio(21_985, 126_815)).toBe(0.17);
  });

  it('times paths in rounds, rotating their order, prepares each run untimed, and skips the warm-up rounds', async () => {
    // Prepare
    const calls: string[] = [];
    const path = (name: string) => ({ prepare: () => calls.push(`prepare ${name}`), body: () => void calls.push(name) });

    // Act
    const timed = await timeInterleaved({ a: path('a'), b: path('b'), c: path('c') }, { warmups: 1, runs: 3 });

    // Assess
    expect(calls.filter((c) => !c.startsWith('prepare'))).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b', 'a', 'b', 'c']);
    expect(calls.filter((c) => c.startsWith('prepare'))).toHaveLength(12);
    for (const t of Object.values(timed)) expect(t.runsCpuMs).toHaveLength(3);
  });

  it('pairs speed ratios round by round, so a machine that slows down for a round skews neither path', () => {
    // Round 2 ran on a machine twice as slow: both paths took twice as long.
    const ours = { medianMs: 0, medianCpuMs: 0, runsMs: [], runsCpuMs: [100, 200, 100] };
    const raw = { medianMs: 0, medianCpuMs: 0, runsMs: [], runsCpuMs: [20, 40, 20] };
    expect(pairedSpeedRatio(ours, raw)).toBe(0.2);
  });

  it('sizes an item the same marshalled or not, as DynamoDB bills it (names and values)', () => {
    // Prepare
    const plain = { pk: 'STATE#job#nightly-backup', sk: 'STATE', version: 3, data: '{"job":"nightly-backup"}' };
    const marshalled = { pk: { S: plain.pk }, sk: { S: 'STATE' }, version: { N: '3' }, data: { S: plain.data } };

    // Act and Assess
    expect(itemBytes(marshalled)).toBe(itemBytes(plain) - 8 + 1);
    expect(itemBytes(plain)).toBeGreaterThan(plain.pk.length + plain.data.length);
  });

  it('writes a scan file in time order, give or take an agent invocation, with lines every parser reads', () => {
    // Act
    const lines = [...scanLines(20_000, 7)];
    const outcomes = lines.map((text, i) => parseLine(text, { source: { origin: 'fleet.log', line: i + 1 }, defaultJob: 'fleet' }));
    const times = outcomes.flatMap((o) => (o.kind === 'events' ? o.events.map((e) => e.at) : []));

    // Assess
    expect(lines).toHaveLength(20_000);
    expect(lines).toEqual([...scanLines(20_000, 7)]);
    expect(outcomes.filter((o) => o.kind === 'rejected')).toEqual([]);
    expect(times.length).toBeGreaterThan(12_000);
    const backwards = times.filter((t, i) => i > 0 && t < times[i - 1] - 1_000);
    expect(backwards).toEqual([]);
    const mean = lines.reduce((n, l) => n + l.length + 1, 0) / lines.length;
    expect(mean).toBeGreaterThan(250);
    expect(mean).toBeLessThan(400);
  });

  it("measures the subscription filter's cut on the demo month", () => {
    // Act
    const share = measureFilterShare();

    // Assess
    expect(share).toMatchObject({ lines: 18_903, passedLines: 16_692, cutLineShare: 0.117 });
    expect(share.byLogGroup['/jobs/nightly-backup'].cutLineShare).toBeGreaterThan(0.8);
  });

  it('counts DynamoDB requests of the measured batches only, on a table the warm-up payloads filled first', async () => {
    // Prepare: an hourly job's 40 runs as warm-up, then its next run as the measured batch.
    const hour = 3_600_000;
    const t0 = Date.UTC(2026, 9, 1, 0, 5);
    const payload = (runs: number[]): BenchPayload => {
      const logEvents = runs.flatMap((i) => {
        const at = t0 + i * hour;
        const run = `run-${i}`;
        return [
          { id: `${i}a`, timestamp: at, message: JSON.stringify({ type: 'run.start', job: 'hourly-sync', run_id: run, ts: new Date(at).toISOString() }) },
          { id: `${i}b`, timestamp: at + 60_000, message: JSON.stringify({ type: 'run.end', job: 'hourly-sync', run_id: run, exit_code: 0, duration_ms: 60_000, output_bytes: 1_000 + i, ts: new Date(at + 60_000).toISOString() }) },
        ];
      });
      const data = gzipSync(JSON.stringify({ messageType: 'DATA_MESSAGE', owner: '1', logGroup: '/jobs/hourly-sync', logStream: 's', subscriptionFilters: ['f'], logEvents }));
      return { event: { awslogs: { data: data.toString('base64') } }, logGroup: '/jobs/hourly-sync', lines: logEvents.length, decodedBytes: 0, compressedBytes: data.length, lastTimestamp: logEvents[logEvents.length - 1].timestamp };
    };
    const config = { jobs: { 'hourly-sync': { schedule: '5 * * * *', grace_minutes: 10, max_runtime_minutes: 30 } } };
    const warmup = [payload(Array.from({ length: 20 }, (_, i) => i)), payload(Array.from({ length: 20 }, (_, i) => 20 + i))];
    const measured = [payload([40])];
    const tables = () => ({ warm: `bench-${randomUUID()}`, cold: `bench-${randomUUID()}` });

    // Act
    const afterWarmup = await countDynamo(inject('dynamoEndpoint'), { config, warmup, measured }, () => undefined, tables());
    const fromEmpty = await countDynamo(inject('dynamoEndpoint'), { config, warmup: [], measured }, () => undefined, tables());

    // Assess: one counted batch of the measured lines, whose job state carries the warm-up's runs.
    for (const figures of [afterWarmup.warm, afterWarmup.cold]) {
      expect(figures.batches.map((b) => b.lines)).toEqual([2]);
      expect(figures.itemsWrittenPerBatch).toBeLessThanOrEqual(fromEmpty.cold.itemsWrittenPerBatch);
      expect(figures.meanStateItemBytes).toBeGreaterThan(fromEmpty.cold.meanStateItemBytes);
    }
    // The warm container has the job's state cached from the warm-up; a new container reads it.
    expect(afterWarmup.warm.maxPerKind.job).toMatchObject({ reads: 0, writes: 1 });
    expect(afterWarmup.cold.maxPerKind.job).toMatchObject({ reads: 1, writes: 1 });
    expect(fromEmpty.warm.maxPerKind.job).toMatchObject({ reads: 1, writes: 1 });
  });

  it("builds the steady-state hourly job's state a warm container's cache holds in the peak-memory figure", async () => {
    // Act
    const steady = await steadyHourlyJobState();
    const young = await steadyHourlyJobState(100);

    // Assess: past the 1,000 runs a job remembers, ~16 KB of JSON (docs/performance.md, cost model), far more than a young job's.
    expect(steady.length).toBeGreaterThan(14_000);
    expect(steady.length).toBeLessThan(20_000);
    expect(steady.length).toBeGreaterThan(3 * young.length);
    expect(JSON.parse(steady)).toMatchObject({ job: 'hourly-sync' });
  });
});
