import { describe, expect, it } from 'vitest';
import { itemBytes } from '../../bench/dynamo-section.ts';
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
    expect(share).toMatchObject({ lines: 18_903, passedLines: 16_690, cutLineShare: 0.117 });
    expect(share.byLogGroup['/jobs/nightly-backup'].cutLineShare).toBeGreaterThan(0.8);
  });
});
