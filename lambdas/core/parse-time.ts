/**
 * The range of every time the pipeline takes, epoch ms: the years 0000 to 9999. An ISO-8601 time
 * has a four-digit year; an epoch-ms `ts`, an OTLP span's nanoseconds and a log record's time are
 * held to the same range, so that each can be written as a time (`toISOString` throws past the
 * year 275760) and sorts as text (`isoTime`).
 */
export const EARLIEST_TIME_MS = -62_167_219_200_000;
/** 10000-01-01T00:00:00Z: the first instant after the range. */
export const TIME_LIMIT_MS = 253_402_300_800_000;

/**
 * The least epoch-ms number read as a time a log line names (a `ts`, a logger's `time`): 10^12 ms,
 * 2001-09-09. A smaller number is no instant a logger writes today: a duration (`"time": 1500`) or,
 * most often, epoch seconds (zap's default `ts`, Python's `time.time()`), which would read as a day
 * in 1970.
 */
export const LEAST_EPOCH_MS = 1e12;

/** Whether an epoch-ms time lies in the years 0000 to 9999 (`NaN` does not). */
export function isTimeInRange(at: number): boolean {
  return at >= EARLIEST_TIME_MS && at < TIME_LIMIT_MS;
}

/** The UTC calendar day (`YYYY-MM-DD`) of an instant. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The UTC calendar month (`YYYY-MM`) of an instant. */
export function utcMonth(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** Whole days from one `YYYY-MM-DD` day to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/**
 * An ISO-8601 date-time as epoch ms, or `NaN` when the text is none: `2026-10-03T02:31:07Z`,
 * with or without a fraction (`.123`, `,5`, up to any digits), seconds, or an offset (`Z`,
 * `+02:00`, `+0200`, or hours alone, `+02`), a space or a lower-case `t` for the `T` and `z` for
 * the `Z` (RFC 3339 allows both: Python's `str(datetime)` writes `2026-10-03 02:31:07.123456+00:00`),
 * a date alone (its midnight), or the basic format with its time (`20261003T023000Z`). A time
 * that names no offset is UTC, as `--since`, the config's instants and
 * `aws logs tail --format short` prefixes read it; `Date.parse` would read it in the machine's
 * local time zone, and would take "1" or "Oct 3" as dates in 2001 and Feb 30 as Mar 2. An
 * impossible date or time (Feb 30, 24:00) is refused.
 *
 * The forms nearly every line carries, `2026-10-03T02:31:07Z` and `2026-10-03T02:31:07.123Z`
 * (what `toISOString`, `isoTime` and most loggers write), are read by hand without a regex: each
 * line is timed two or three times on the way in (its `ts` when checked and when resolved, the
 * alert policy's records).
 */
export function parseTime(text: string): number {
  // A line's `ts` is read twice (checked, then resolved): the second time is a comparison.
  if (text === lastText) return lastValue;
  lastValue = readTime(text);
  lastText = text;
  return lastValue;
}

let lastText = '';
let lastValue = Number.NaN;

function readTime(text: string): number {
  const length = text.length;
  if ((length !== 20 && length !== 24) || text.charCodeAt(length - 1) !== Z) return readOtherForms(text);
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== T || text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return readOtherForms(text);
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  let ms = 0;
  if (length === 24) {
    if (text.charCodeAt(19) !== DOT) return readOtherForms(text);
    ms = digits(text, 20, 3);
  }
  // Written out rather than a call to `epochMs`: this is the line-by-line path. A field that is no
  // number may be another form of the same length (`07.12 Z`); one out of range is no time at all.
  if ((year | month | day | hour | minute | second | ms) < 0) return readOtherForms(text);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  if (day > 28 && day > daysInMonth(year, month)) return Number.NaN;
  return (daysBeforeMonth(year, month) + day - 1) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}

/**
 * Every other form of a date-time; only here is a regex paid for. An offset may name hours alone
 * (`+05`, `+00`, as PostgreSQL prints it). The basic format (`20261003T023000Z`, digits without
 * separators) is taken with its `T` and time only: a date alone in it is eight digits, as a count is.
 */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?: ?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?))?)?$/;
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(\d{2})?)?$/;

function readOtherForms(text: string): number {
  const m = ISO_DATE_TIME.exec(text) ?? ISO_BASIC.exec(text);
  if (!m) return Number.NaN;
  const [, year, month, day, hour, minute, second, fraction, , sign, offsetHours, offsetMinutes = '00'] = m;
  // Milliseconds from a fraction of any length, cut (not rounded) as `Date.parse` cuts it.
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  // A date alone is its midnight, UTC (as `Date.parse` reads it).
  const at = epochMs(Number(year), Number(month), Number(day), hour === undefined ? 0 : Number(hour), minute === undefined ? 0 : Number(minute), second === undefined ? 0 : Number(second), ms);
  if (sign === undefined) return at;
  const offset = Number(offsetHours) * 60 + Number(offsetMinutes);
  if (Number(offsetMinutes) > 59 || offset > 18 * 60) return Number.NaN;
  return at - (sign === '-' ? -1 : 1) * offset * 60_000;
}

/** Epoch ms of a UTC calendar time; `NaN` when a field is out of range (Feb 30, 24:00, :60). */
function epochMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  if (day > 28 && day > daysInMonth(year, month)) return Number.NaN;
  return (daysBeforeMonth(year, month) + day - 1) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days from 1970-01-01 to the first of the month (a proleptic Gregorian calendar, as `Date.UTC`
 * counts; `Date.UTC` itself costs most of `Date.parse`).
 */
function daysBeforeMonth(year: number, month: number): number {
  // Years that begin in March, so that a leap day is the last day of its year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5);
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const Z = 0x5a;
const T = 0x54;
const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;

/** The decimal number written by `count` digits at `from`; -1 when one of them is not a digit. */
function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** The months' names in English, January first. */
export const MONTHS: readonly string[] = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Why the `YYYY-MM-DD` a text starts with is no day of the calendar, or undefined when it is one
 * (or the text starts with no date): `Date.parse` takes `2026-02-31` as the 3rd of March.
 */
export function noSuchDay(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  if (at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day) return undefined;
  if (month < 1 || month > 12) return `there is no month ${m[2]} (in ${m[0]})`;
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  return `there is no ${m[0]}: ${MONTHS[month - 1]} ${m[1]} has ${last.getUTCDate()} days`;
}
