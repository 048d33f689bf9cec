import { describe, expect, it } from 'vitest';
import { type LineMarks, rememberLines, seenBefore } from '../../lambdas/core/audit-trail-dedup.ts';

/** The rule rememberLines follows, written the plain way: every mark sorted by time (stable), the latest `limit` kept. */
function byPlainSort(marks: LineMarks, fresh: readonly { print: string; at: number }[], limit: number) {
  const known = marks.seenAt ?? [];
  const unknown = Math.max(0, marks.seen.length - known.length);
  const all = [...marks.seen.map((print, i) => ({ print, at: i < unknown ? 0 : known[i - unknown] })), ...fresh].sort((a, b) => a.at - b.at);
  const dropped = all.slice(0, Math.max(0, all.length - limit));
  const kept = all.slice(dropped.length);
  const forgotten = dropped.reduce((latest, m) => Math.max(latest, m.at), marks.seenUntil ?? 0);
  return { seen: kept.map((m) => m.print), seenAt: kept.map((m) => m.at), ...(forgotten > 0 ? { seenUntil: forgotten } : {}) };
}

function seeded(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

describe('rememberLines: the latest marks by event time, within a limit', () => {
  it('keeps the marks of the latest times and remembers up to when it forgot', () => {
    // Prepare: three kept marks; two new lines, one older than all of them.
    const marks: LineMarks = { seen: ['a', 'b', 'c'], seenAt: [10, 20, 30] };

    // Act
    const next = rememberLines(marks, [{ print: 'late', at: 25 }, { print: 'old', at: 5 }], 4);

    // Assess: 'old' is the earliest, so the one forgotten.
    expect(next).toEqual({ seen: ['a', 'b', 'late', 'c'], seenAt: [10, 20, 25, 30], seenUntil: 5 });
    // A line never seen, as old as the mark forgotten, is taken as counted once it is an hour behind the latest mark.
    const hourOn: LineMarks = { ...next, seenAt: [10, 20, 25, 5 + 3_600_000] };
    expect(seenBefore(hourOn, new Set(next.seen), 'never-seen', 5)).toBe(true);
    expect(seenBefore(hourOn, new Set(next.seen), 'never-seen', 6)).toBe(false);
    expect(seenBefore(next, new Set(next.seen), 'never-seen', 5)).toBe(false);
  });

  it('puts a kept mark before a new one of the same time, and marks of states stored without times first', () => {
    // Prepare: a state stored before times were kept holds two marks of unknown time.
    const marks: LineMarks = { seen: ['legacy-1', 'legacy-2', 'x'], seenAt: [50] };

    // Act
    const next = rememberLines(marks, [{ print: 'y', at: 50 }, { print: 'z', at: 1 }], 3);

    // Assess: the two legacy marks (time 0) are forgotten first; no time was known for them, none is kept as forgotten.
    expect(next).toEqual({ seen: ['z', 'x', 'y'], seenAt: [1, 50, 50] });
  });

  it('answers as a stable sort of every mark would, on random states and batches', () => {
    // Prepare
    const rand = seeded(42);
    for (let round = 0; round < 2000; round++) {
      const kept = Array.from({ length: rand(40) }, () => rand(100)).sort((a, b) => a - b);
      const unknown = rand(4);
      const marks: LineMarks = {
        seen: [...Array.from({ length: unknown }, (_, i) => `u${i}`), ...kept.map((_, i) => `k${i}`)],
        seenAt: kept,
        ...(rand(2) === 0 ? { seenUntil: rand(50) } : {}),
      };
      const fresh = Array.from({ length: rand(12) }, (_, i) => ({ print: `f${i}`, at: rand(120) }));
      const limit = 1 + rand(50);

      // Act
      const next = rememberLines(marks, fresh, limit);

      // Assess
      expect(next).toEqual(byPlainSort(marks, fresh, limit));
    }
  });
});
