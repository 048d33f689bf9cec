import { isRequestId } from './request-id.ts';

/**
 * ISO-8601 times, and the leading timestamp (and log stream name) that `aws logs tail` and
 * similar tools print before each message (contract §1b):
 *
 *   `2026-10-05T13:00:00.123000+00:00 2026/10/05/[$LATEST]ab12 REPORT RequestId: …`  (--format detailed)
 *   `2026-10-05T13:00:00 REPORT RequestId: …`                                          (--format short, UTC)
 */

/**
 * An ISO-8601 UTC offset in any form `parseTime` reads in a `ts`: `Z`, `+02:00`, `+0200` or hours
 * alone, `+02`. Pattern source without a group, composed into every ISO time pattern of the parsers
 * (here, syslog's header, json-event's leading time) so that they read the same offsets.
 */
export const UTC_OFFSET_PATTERN = String.raw`Z|[+-]\d{2}(?::?\d{2})?`;

const ISO = new RegExp(String.raw`^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(${UTC_OFFSET_PATTERN})?$`);

/** Days in each month of a year; February follows the Gregorian leap rule. */
export function daysInMonth(year: number, month1: number): number {
  if (month1 === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month1) ? 30 : 31;
}

/** Epoch ms of a calendar time in UTC, or undefined when a field is out of range (Feb 30, 25:00). */
export function utcTime(year: number, month1: number, day: number, hour: number, minute: number, second: number, ms = 0): number | undefined {
  if (month1 < 1 || month1 > 12 || day < 1 || day > daysInMonth(year, month1)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return Date.UTC(year, month1 - 1, day, hour, minute, second, ms);
}

/** Milliseconds from a fraction of a second written with any number of digits (`.123456` → 123). */
export function fractionMs(digits: string | undefined): number {
  return digits ? Math.floor(Number(`0.${digits}`) * 1000) : 0;
}

/**
 * Epoch ms of an ISO-8601 date-time (`Z`, `+02:00`, `+0200` or `+02`; up to nanoseconds; a `.` or `,`
 * before the fraction; a `T` or, as RFC 3339 allows and Python writes it, a space between date and
 * time: Powertools Logger's `2026-10-05 03:00:01,120+0000`, `isoformat(' ')`). A time without
 * an offset is read as UTC only when `assumeUtc` is set, as `aws logs tail --format short` prints
 * it; otherwise it is refused.
 */
export function parseIsoTime(text: string, assumeUtc = false): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (zone === undefined && !assumeUtc) return undefined;
  const local = utcTime(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), fractionMs(frac));
  if (local === undefined) return undefined;
  if (zone === undefined || zone === 'Z') return local;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  // Hours alone (`+02`) leave no minutes: `Number('')` is 0. Minutes past 59 are refused, as `parseTime` refuses them.
  const minutes = Number(digits.slice(2, 4));
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + minutes;
  if (minutes > 59 || offsetMinutes > 18 * 60) return undefined;
  return local - sign * offsetMinutes * 60_000;
}

const PREFIX = new RegExp(String.raw`^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:${UTC_OFFSET_PATTERN})?)\s+(\S.*)$`, 's');
/**
 * A log stream name and the message after it, as `aws logs tail` prints them (a space after the name)
 * or a collector writes them (a tab). A request id then a tab is a console prefix's instead
 * (`<time>\t<request-id>\t…`, Lambda's Node.js 8/10 runtime; `isConsolePrefixId`), no stream to take off
 * the function's message.
 */
const STREAM_THEN_MESSAGE = /^(\S+)\s+(\S.*)$/s;

export interface TimestampPrefix {
  /** The leading timestamp: the record's time. */
  readonly at: number;
  /**
   * What may be the message, most likely first: the rest of the line, then the rest without its
   * first word when that word can be a CloudWatch log stream name (which holds no `:` or `*`).
   */
  readonly messages: readonly string[];
}

/** Whether the first word of what follows a line's time is the request id of Lambda's console prefix: a request id, then a tab. */
function isConsolePrefixId(rest: string, word: string): boolean {
  return rest[word.length] === '\t' && isRequestId(word);
}

/** Splits a leading ISO-8601 timestamp (and maybe a log stream name) off a line. */
export function splitTimestampPrefix(line: string): TimestampPrefix | undefined {
  const m = PREFIX.exec(line);
  if (!m) return undefined;
  const at = parseIsoTime(m[1], true);
  if (at === undefined) return undefined;
  const rest = m[2];
  const messages = [rest];
  const stream = STREAM_THEN_MESSAGE.exec(rest);
  if (stream && !/[:*]/.test(stream[1]) && !isConsolePrefixId(rest, stream[1])) messages.push(stream[2]);
  return { at, messages };
}
