import { describe, expect, it } from 'vitest';
import { hashSeed, Random } from '../../lambdas/demo/random.ts';

describe('Random', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    // Prepare
    const draw = (seed: number) => {
      const rng = new Random(seed);
      return Array.from({ length: 5 }, () => rng.next());
    };

    // Act
    const first = draw(42);

    // Assess
    expect(draw(42)).toEqual(first);
    expect(draw(43)).not.toEqual(first);
    expect(first[0]).toBe(0.6011037519201636);
  });

  it('keeps int within both ends and reaches each of them', () => {
    // Prepare
    const rng = new Random(7);

    // Act
    const values = Array.from({ length: 2_000 }, () => rng.int(3, 6));

    // Assess
    expect([...new Set(values)].sort()).toEqual([3, 4, 5, 6]);
  });

  it('draws normal values with the asked mean and spread, and jitter within its limit', () => {
    // Prepare
    const rng = new Random(1);

    // Act
    const values = Array.from({ length: 20_000 }, () => rng.normal(100, 10));
    const jitters = Array.from({ length: 5_000 }, () => rng.jitter(100, 10, 15));

    // Assess
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(mean).toBeCloseTo(100, 0);
    expect(sd).toBeGreaterThan(9.8);
    expect(sd).toBeLessThan(10.2);
    expect(Math.min(...jitters)).toBeGreaterThanOrEqual(85);
    expect(Math.max(...jitters)).toBeLessThanOrEqual(115);
  });

  it('picks from a list, refuses an empty one, and says yes about as often as asked', () => {
    // Prepare
    const rng = new Random(3);

    // Act
    const picks = new Set(Array.from({ length: 200 }, () => rng.pick(['a', 'b', 'c'])));
    const yes = Array.from({ length: 10_000 }, () => rng.chance(0.2)).filter(Boolean).length;

    // Assess
    expect([...picks].sort()).toEqual(['a', 'b', 'c']);
    expect(() => rng.pick([])).toThrow(RangeError);
    expect(yes).toBeGreaterThan(1_850);
    expect(yes).toBeLessThan(2_150);
  });

  it('makes UUID-shaped request ids and hex strings', () => {
    // Prepare
    const rng = new Random(9);

    // Act
    const ids = Array.from({ length: 100 }, () => rng.uuid());

    // Assess
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(100);
    expect(rng.hex(7)).toMatch(/^[0-9a-f]{7}$/);
  });

  it('hashes strings to seeds (FNV-1a)', () => {
    expect(hashSeed('')).toBe(0x811c9dc5);
    expect(hashSeed('a')).toBe(0xe40c292c);
    expect(hashSeed('nightly-backup', 1)).not.toBe(hashSeed('nightly-backup', 2));
  });
});
