import { describe, expect, it } from 'vitest';
import { maxOf, median, minOf, sortedCopy } from '../../lambdas/core/stats.ts';

/** The order the detectors have always used: a typed array's numeric sort (-0 before 0, NaN last). */
const byTypedArray = (values: readonly number[]) => Array.from(Float64Array.from(values).sort());

describe('sortedCopy and median', () => {
  it('sort small and large lists as a typed array does, leaving the input as it was', () => {
    // Prepare: windows below and above the insertion-sort limit, with ties, -0, 0, NaN and infinities
    let seed = 11;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const odd = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5, 5];
    const lists = [[], [3], [2, 1], odd, [...odd].reverse()];
    for (const length of [19, 20, 32, 33, 400]) lists.push(Array.from({ length }, (_, i) => (i % 9 === 0 ? odd[next() % odd.length] : next() % 50)));
    for (const list of lists) {
      const before = [...list];
      // Act
      const sorted = sortedCopy(list);
      // Assess
      expect(Object.is(sorted, list)).toBe(false);
      expect(list).toEqual(before);
      expect(sorted.map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(byTypedArray(list).map((v) => (Object.is(v, -0) ? '-0' : String(v))));
      const typed = byTypedArray(list);
      const mid = typed.length >> 1;
      expect(median(list)).toEqual(typed.length === 0 ? undefined : typed.length % 2 ? typed[mid] : (typed[mid - 1] + typed[mid]) / 2);
    }
  });
});

describe('maxOf and minOf', () => {
  it('give what Math.max and Math.min give over the same values, empty lists, NaN and -0 included', () => {
    // Prepare: lists with ties, signed zeros, NaN and infinities, and none at all
    const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
    const lists = [[], [3], [2, 7, 1], [-0, 0], [0, -0], [-0], [5, Number.NaN, 9], [Number.POSITIVE_INFINITY, -4], [Number.NEGATIVE_INFINITY]];
    for (const list of lists) {
      // Act
      const max = maxOf(list);
      const min = minOf(new Set(list));
      // Assess
      expect(show(max)).toBe(show(Math.max(...list)));
      expect(show(min)).toBe(show(Math.min(...new Set(list))));
    }
  });

  it('take a list too long to spread into a call', () => {
    // Prepare: 300,000 values, the largest and smallest in the middle
    const values = Array.from({ length: 300_000 }, (_, i) => (i === 150_000 ? 1e9 : i === 150_001 ? -1e9 : i));
    // Act
    const max = maxOf(values);
    const min = minOf(values);
    // Assess
    expect(max).toBe(1e9);
    expect(min).toBe(-1e9);
  });
});
