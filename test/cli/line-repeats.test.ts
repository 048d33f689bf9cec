import { describe, expect, it } from 'vitest';
import { LineRepeats } from '../../lambdas/cli/scan-sources.ts';

describe('LineRepeats: which of the identical lines of one instant a line is', () => {
  it('numbers identical lines of one instant on, and keeps a bounded number of keys however many distinct lines that instant holds', () => {
    // Prepare: one instant (a file whose times are whole days holds its day's lines in one), a line, then 100,000 distinct others.
    const repeats = new LineRepeats();
    const at = Date.parse('2026-10-01T00:00:00Z');
    // Act
    const first = repeats.next('bypass', at);
    const second = repeats.next('bypass', at);
    for (let i = 0; i < 100_000; i++) repeats.next(`write ${i}`, at);
    const afterMany = repeats.next('bypass', at);
    const recent = repeats.next('write 99999', at);
    // Assess: the line's key was let go past the bound (numbered from 0 again); a recent key is still numbered on.
    expect([first, second]).toEqual([0, 1]);
    expect(afterMany).toBe(0);
    expect(recent).toBe(1);
  });
});
