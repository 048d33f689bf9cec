import { describe, expect, it } from 'vitest';
import { parseTime } from '../../lambdas/core/parse-time.ts';

describe('parseTime', () => {
  it('reads the ISO forms loggers write, to the millisecond', () => {
    expect(parseTime('2026-10-03T02:31:07Z')).toBe(Date.UTC(2026, 9, 3, 2, 31, 7));
    expect(parseTime('2026-10-03T02:31:07.123Z')).toBe(Date.UTC(2026, 9, 3, 2, 31, 7, 123));
    expect(parseTime('2024-02-29T23:59:59.999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseTime('1970-01-01T00:00:00Z')).toBe(0);
  });

  it('gives exactly what Date.parse gives, for those forms, their near misses and other forms', () => {
    // Prepare: valid times, then every character of them replaced by characters a typo or another
    // format would put there, and forms read by Date.parse alone
    const seeds = ['2026-10-03T02:31:07Z', '2026-10-03T02:31:07.123Z', '2026-02-30T23:59:59.999Z', '1969-12-31T23:59:59Z', '2026-01-01T24:00:00Z', '9999-12-31T23:59:59.999Z'];
    const swaps = ['0', '1', '2', '3', '5', '9', '-', ':', '.', 'T', 't', 'Z', 'z', ' ', '+', 'x', '٣', '\u0000'];
    const texts = [...seeds, '2026-10-03T02:31:07.1234Z', '2026-10-03T02:31:07.1Z', '2026-10-03T02:31Z', '2026-10-03T02:31:07+02:00', '2026-10-03', 'Oct 3 2026', '', 'not a time'];
    for (const seed of seeds) for (let i = 0; i < seed.length; i++) for (const c of swaps) texts.push(seed.slice(0, i) + c + seed.slice(i + 1));
    // Act / Assess
    for (const text of texts) expect(parseTime(text), JSON.stringify(text)).toBe(Date.parse(text));
  });

  it('answers a text asked again, or in turn with others, as it did the first time', () => {
    // Prepare: the same times as equal strings built apart, in and out of turn, with odd ones between
    const a = '2026-10-03T02:31:07Z';
    const sameAsA = ['2026-10-03T02:31', ':07Z'].join('');
    const b = '2026-10-03T02:31:07.124Z';
    const order = [a, a, sameAsA, b, a, 'not a time', 'not a time', b, b, '', a, '1969-12-31T23:59:59Z', sameAsA];
    // Act / Assess
    for (const text of order) expect(parseTime(text), JSON.stringify(text)).toBe(Date.parse(text));
  });
});
