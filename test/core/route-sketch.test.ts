import { describe, expect, it } from 'vitest';
import { addToSketch, emptySketch, MAX_BINS, mergeSketches, RELATIVE_ACCURACY, sketchQuantile } from '../../lambdas/core/histogram.ts';

function sketchOf(values: readonly number[]) {
  return values.reduce((s, v) => addToSketch(s, v), emptySketch());
}

/** The exact q-quantile by nearest rank: the ⌈q·n⌉-th smallest value. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

describe('the latency sketch', () => {
  it('reads quantiles back within 2% of the true values', () => {
    // Prepare: 10 000 latencies from 20 ms to about 40 s, skewed like real traffic.
    const values = Array.from({ length: 10_000 }, (_, i) => 20 + ((i * 7919) % 10_000) ** 2 / 2_500);
    const sketch = sketchOf(values);
    // Act, Assess
    expect(RELATIVE_ACCURACY).toBeLessThan(0.02);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const estimate = sketchQuantile(sketch, q) as number;
      const exact = exactQuantile(values, q);
      expect(Math.abs(estimate - exact) / exact, `p${q * 100}`).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
    }
  });

  it('merges exactly: two sketches merged equal one sketch of both', () => {
    const a = [120, 180, 240, 3_300, 90];
    const b = [200, 210, 5_000];
    expect(mergeSketches(sketchOf(a), sketchOf(b))).toEqual(sketchOf([...a, ...b]));
  });

  it('stays bounded however wide the values, keeping the high quantiles', () => {
    const values = Array.from({ length: 2_000 }, (_, i) => 1.01 ** i);
    const sketch = sketchOf(values);
    expect(Object.keys(sketch.bins).length).toBeLessThanOrEqual(MAX_BINS);
    expect(sketch.n).toBe(2_000);
    const p99 = sketchQuantile(sketch, 0.99) as number;
    expect(Math.abs(p99 - exactQuantile(values, 0.99)) / exactQuantile(values, 0.99)).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
  });

  it.each([20, 50, 99, 100, 101, 150, 1_000])('reads the p99 of %i values by nearest rank: one slow value in up to 99 is their p99', (n) => {
    // Prepare: n−1 requests of 100 ms and one of 10 s.
    const values = [...Array.from({ length: n - 1 }, () => 100), 10_000];
    // Act
    const p99 = sketchQuantile(sketchOf(values), 0.99) as number;
    // Assess: within the sketch's accuracy of the ⌈0.99·n⌉-th smallest (the 10 s one while n < 100).
    const exact = exactQuantile(values, 0.99);
    expect(exact).toBe(n < 100 ? 10_000 : 100);
    expect(Math.abs(p99 - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
  });

  it('reads nothing from an empty sketch and 0 for sub-millisecond values', () => {
    expect(sketchQuantile(emptySketch(), 0.99)).toBeUndefined();
    expect(sketchQuantile(sketchOf([0.2, 0.4, 0.1]), 0.99)).toBe(0);
  });
});
