import { afterEach, describe, expect, it } from 'vitest';
import { parseTime } from '../../lambdas/core/parse-time.ts';

/**
 * What `parseTime` should give, worked out another way: the date-time shapes of ISO-8601 by a
 * regex, the calendar by the Date (a time that rolls over, Feb 30 or 24:00, is refused), a missing
 * offset as UTC.
 */
function reference(text: string): number {
  // The basic format (digits without separators, with its T and time) reads as the extended one.
  const basic = /^(\d{4})(\d{2})(\d{2})([Tt])(\d{2})(\d{2})(?:(\d{2})([.,]\d+)?)?([Zz]|[+-]\d{2}(?:\d{2})?)?$/.exec(text);
  if (basic) {
    const [, year, month, day, t, hour, minute, second, fraction = '', offset = ''] = basic;
    return reference(`${year}-${month}-${day}${t}${hour}:${minute}${second === undefined ? '' : `:${second}${fraction}`}${offset}`);
  }
  const m = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?: ?(?:[Zz]|([+-]\d{2})(?::?(\d{2}))?))?)?$/.exec(text);
  if (!m) return Number.NaN;
  const [, date, hourMinute = '00:00', second = '00', fraction = '0', offsetHours, offsetMinutes = '00'] = m;
  const dateHourMinute = `${date}T${hourMinute}`;
  const utc = Date.parse(`${dateHourMinute}:${second}.${fraction.slice(0, 3).padEnd(3, '0')}Z`);
  if (Number.isNaN(utc) || new Date(utc).toISOString().slice(0, 19) !== `${dateHourMinute}:${second}`) return Number.NaN;
  if (offsetHours === undefined) return utc;
  const minutes = Math.abs(Number(offsetHours)) * 60 + Number(offsetMinutes);
  if (Number(offsetMinutes) > 59 || minutes > 18 * 60) return Number.NaN;
  return utc - Math.sign(Number(`${offsetHours}1`)) * minutes * 60_000;
}

const machineZone = process.env.TZ;

describe('parseTime', () => {
  afterEach(() => {
    if (machineZone === undefined) delete process.env.TZ;
    else process.env.TZ = machineZone;
  });

  it('reads the ISO forms loggers write, to the millisecond', () => {
    expect(parseTime('2026-10-03T02:31:07Z')).toBe(Date.UTC(2026, 9, 3, 2, 31, 7));
    expect(parseTime('2026-10-03T02:31:07.123Z')).toBe(Date.UTC(2026, 9, 3, 2, 31, 7, 123));
    expect(parseTime('2024-02-29T23:59:59.999Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseTime('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseTime('2026-10-03T04:31:07.123456+02:00')).toBe(Date.UTC(2026, 9, 3, 2, 31, 7, 123));
    expect(parseTime('2026-10-02T21:31-0500')).toBe(Date.UTC(2026, 9, 3, 2, 31));
  });

  it("reads a time without an offset as UTC, whatever the machine's time zone", () => {
    // Prepare: a machine in Berlin, where the Date reads such a time as local (two hours ahead in October)
    process.env.TZ = 'Europe/Berlin';
    // Act
    const times = ['2026-10-03T02:31:07', '2026-10-03T02:31:07.123', '2026-10-03T02:31'].map(parseTime);
    // Assess
    expect(times).toEqual([Date.UTC(2026, 9, 3, 2, 31, 7), Date.UTC(2026, 9, 3, 2, 31, 7, 123), Date.UTC(2026, 9, 3, 2, 31)]);
  });

  it.each([
    ['a date alone, as its midnight', '2026-10-03', Date.UTC(2026, 9, 3)],
    ['a space for the T and an offset after the fraction (Python str(datetime))', '2026-10-03 02:31:07.123456+00:00', Date.UTC(2026, 9, 3, 2, 31, 7, 123)],
    ['a space for the T and a Z', '2026-10-03 02:31:07Z', Date.UTC(2026, 9, 3, 2, 31, 7)],
    ['lower-case t and z', '2026-10-03t02:31:07z', Date.UTC(2026, 9, 3, 2, 31, 7)],
    ['a space before the offset', '2026-10-15 10:00:00 +02:00', Date.UTC(2026, 9, 15, 8)],
    ['an offset of hours alone, as PostgreSQL prints it', '2026-10-03 02:31:07.123+00', Date.UTC(2026, 9, 3, 2, 31, 7, 123)],
  ])('reads %s (%j), as RFC 3339 and Date.parse allow', (_, text, at) => {
    expect(parseTime(text)).toBe(at);
  });

  it.each([
    ['an offset of hours alone after a T', '2026-10-03T07:31:07+05', Date.UTC(2026, 9, 3, 2, 31, 7)],
    ['a negative offset of hours alone', '2026-10-02T23:31-03', Date.UTC(2026, 9, 3, 2, 31)],
    ['the basic format', '20261003T023107Z', Date.UTC(2026, 9, 3, 2, 31, 7)],
    ['the basic format with a fraction and an offset', '20261003T080107.5+0530', Date.UTC(2026, 9, 3, 2, 31, 7, 500)],
  ])('reads %s (%j), as ISO-8601 allows (Date.parse does not)', (_, text, at) => {
    expect(parseTime(text)).toBe(at);
  });

  it.each([
    ['a number', '1'],
    ['a month and day', 'Oct 3'],
    ['an English date', 'Sat, 03 Oct 2026 02:31:07 GMT'],
    ['epoch milliseconds as text', '1790994667000'],
    ['February 30', '2026-02-30T00:00:00Z'],
    ['February 29 of a common year', '2025-02-29T12:00:00.000Z'],
    ['April 31', '2026-04-31T00:00:00'],
    ['hour 24', '2026-10-03T24:00:00Z'],
    ['second 60', '2026-10-03T23:59:60Z'],
    ['an offset past 18 hours', '2026-10-03T02:31:07+19:00'],
    ['an offset of hours alone past 18', '2026-10-03T02:31:07+19'],
    ['an offset of three digits', '2026-10-03T02:31:07+053'],
    ['a date alone in the basic format (eight digits, as a count)', '20261003'],
    ['the basic date with the extended time', '20261003T02:31:07Z'],
    ['the basic format with a fraction but no seconds', '20261003T0231.5Z'],
    ['nothing', ''],
  ])('refuses %s (%j)', (_, text) => {
    expect(parseTime(text)).toBeNaN();
  });

  it('agrees with the reference on those forms, their near misses and other forms', () => {
    // Prepare: valid times, then every character of them replaced by characters a typo or another
    // format would put there, and other forms
    const seeds = [
      '2026-10-03T02:31:07Z',
      '2026-10-03T02:31:07.123Z',
      '2026-02-28T23:59:59.999Z',
      '1969-12-31T23:59:59Z',
      '2024-02-29T00:00:00Z',
      '9999-12-31T23:59:59.999Z',
      '2026-10-03T02:31:07+02:00',
      '2026-10-03 02:31:07.123+05',
      '20261003T023107Z',
      '20261003T023107.123-0330',
    ];
    const swaps = ['0', '1', '2', '3', '5', '9', '-', ':', '.', ',', 'T', 't', 'Z', 'z', ' ', '+', 'x', '٣', '\u0000'];
    const texts = [...seeds, '2026-10-03T02:31:07.1234Z', '2026-10-03T02:31:07.1Z', '2026-10-03T02:31Z', '2026-10-03T02:31:07+0200', '0050-06-01T00:00:00Z', 'Oct 3 2026', 'not a time'];
    for (const seed of seeds) for (let i = 0; i < seed.length; i++) for (const c of swaps) texts.push(seed.slice(0, i) + c + seed.slice(i + 1));
    // Act / Assess
    for (const text of texts) expect(parseTime(text), JSON.stringify(text)).toBe(reference(text));
    // and with Date.parse itself wherever it takes a time that names its offset (it reads one that
    // names none in the machine's zone)
    const withOffset = texts.filter((text) => /(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/.test(text) && !Number.isNaN(reference(text)) && !Number.isNaN(Date.parse(text)));
    expect(withOffset.length).toBeGreaterThan(100);
    for (const text of withOffset) expect(parseTime(text), JSON.stringify(text)).toBe(Date.parse(text));
  });

  it('answers a text asked again, or in turn with others, as it did the first time', () => {
    // Prepare: the same times as equal strings built apart, in and out of turn, with odd ones between
    const a = '2026-10-03T02:31:07Z';
    const sameAsA = ['2026-10-03T02:31', ':07Z'].join('');
    const b = '2026-10-03T02:31:07.124Z';
    const order = [a, a, sameAsA, b, a, 'not a time', 'not a time', b, b, '', a, '1969-12-31T23:59:59Z', sameAsA];
    // Act / Assess
    for (const text of order) expect(parseTime(text), JSON.stringify(text)).toBe(reference(text));
  });
});
