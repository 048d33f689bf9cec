import { describe, expect, it } from 'vitest';
import { parseSince, SinceError } from '../../lambdas/core/since.ts';

const NOW = Date.parse('2026-10-31T12:00:00Z');

describe('parseSince (--since)', () => {
  it.each([
    ['7d', '2026-10-24T12:00:00.000Z'],
    ['24h', '2026-10-30T12:00:00.000Z'],
    ['30m', '2026-10-31T11:30:00.000Z'],
    ['90s', '2026-10-31T11:58:30.000Z'],
    ['2w', '2026-10-17T12:00:00.000Z'],
    [' 30d ', '2026-10-01T12:00:00.000Z'],
    ['2026-10-01', '2026-10-01T00:00:00.000Z'],
    ['2026-10-01T06:30:00Z', '2026-10-01T06:30:00.000Z'],
    ['2026-10-01T06:30:00+02:00', '2026-10-01T04:30:00.000Z'],
    ['2026-10-01T06:30', '2026-10-01T06:30:00.000Z'],
    ['2026-10-01 06:30:00', '2026-10-01T06:30:00.000Z'],
    ['2026-10-01T06:30:00.250Z', '2026-10-01T06:30:00.250Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['740285d', '0000-01-01T12:00:00.000Z'],
  ])('%j is %s', (value, expected) => {
    expect(new Date(parseSince(value, NOW)).toISOString()).toBe(expected);
  });

  it.each([
    ['7', 'not a duration or a time'],
    ['7 days', 'not a duration or a time'],
    ['-7d', 'not a duration or a time'],
    ['1y', 'not a duration or a time'],
    ['0d', 'a window of zero length'],
    ['yesterday', 'not a duration or a time'],
    ['Oct 1 2026', 'not a duration or a time'],
    ['2026-13-01', 'there is no month 13 (in 2026-13-01)'],
    ['2026-02-30', 'there is no 2026-02-30: February 2026 has 28 days'],
    ['2026-02-29T10:00:00Z', 'there is no 2026-02-29: February 2026 has 28 days'],
    ['2026-04-31 06:30', 'there is no 2026-04-31: April 2026 has 30 days'],
    ['2026-10-00', 'there is no 2026-10-00: October 2026 has 31 days'],
    ['2026-10-01T24:00', 'not a valid date'],
    ['2026-11-01', 'lies in the future'],
    ['740286d', 'reaches back before the year 0000'],
    ['99999999999d', 'reaches back before the year 0000'],
    ['20000000w', 'reaches back before the year 0000'],
    ['1000000000000000000000000s', 'reaches back before the year 0000'],
  ])('refuses %j: %s', (value, why) => {
    // Act
    const attempt = () => parseSince(value, NOW);
    // Assess
    expect(attempt).toThrow(SinceError);
    expect(attempt).toThrow(`--since ${value}: ${why}; expected a duration such as 7d, 24h, 30m, or an ISO-8601 time`);
  });
});
