import { describe, expect, it } from 'vitest';
import { isoTime, normalizeIso } from '../../lambdas/core/findings.ts';

/** What isoTime has always meant: the ISO string of the instant, cut to the second. */
const byDate = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

describe('isoTime', () => {
  it('writes an instant to the second, as the ISO string of a Date cut to seconds', () => {
    expect(isoTime(Date.UTC(2026, 9, 3, 2, 31, 7, 999))).toBe('2026-10-03T02:31:07Z');
    expect(isoTime(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe('2024-02-29T23:59:59Z');
    expect(isoTime(0)).toBe('1970-01-01T00:00:00Z');
    expect(isoTime(1790835007322.7)).toBe(byDate(1790835007322.7));
    expect(normalizeIso('2026-10-03T04:31:07.5+02:00')).toBe('2026-10-03T02:31:07Z');
  });

  it('agrees with the Date on days in any order, at day edges, and outside the years it writes by hand', () => {
    // Prepare: alternate days (the date part is remembered per day), day edges, before 1970, past 9999
    const day = 86_400_000;
    const times = [Date.UTC(2026, 9, 3), Date.UTC(2026, 9, 3) - 1, Date.UTC(2026, 9, 4) - 1, Date.UTC(2025, 0, 1, 12), Date.UTC(2026, 9, 3, 5), -1, -day - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), 8.64e15];
    for (let i = 0; i < 500; i++) times.push(Date.UTC(2026, 0, 1) + ((i * 7919) % 400) * day + ((i * 104_729) % day));
    // Act / Assess
    for (const ms of times) expect(isoTime(ms), String(ms)).toBe(byDate(ms));
  });

  it('refuses a time that is no instant, as the Date does', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
