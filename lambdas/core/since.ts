import { EARLIEST_TIME_MS, noSuchDay, parseTime } from './parse-time.ts';

/**
 * `--since 7d|24h|30m|ISO`: the start of a time window, as epoch ms. Pure: `now` is given.
 */

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const RELATIVE = /^(\d+)(s|m|h|d|w)$/;
/** A calendar date, optionally with a time: what we accept as ISO-8601 (Date.parse alone takes far more). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whether `text` is written as a calendar date or time `--since` and the MCP `until` read (whether the calendar has it is another check). */
export function isIsoTimeForm(text: string): boolean {
  return ISO_DATE.test(text);
}

export class SinceError extends Error {
  /** What is wrong and what was expected, without the value. */
  readonly reason: string;

  constructor(value: string, why: string) {
    const reason = `${why}; expected a duration such as 7d, 24h, 30m, or an ISO-8601 time such as 2026-10-01T00:00:00Z`;
    super(`--since ${value}: ${reason}`);
    this.name = 'SinceError';
    this.reason = reason;
  }
}

/**
 * `7d` → `now` minus 7 days; `2026-10-01` or `2026-10-01T00:00:00Z` → that moment (a date or a
 * time without an offset is UTC). Units: s, m, h, d, w. The result must not lie after `now`, nor
 * before the year 0000; a date the calendar does not have (2026-02-30) is refused, saying why.
 */
export function parseSince(value: string, now: number): number {
  const text = value.trim();
  const relative = RELATIVE.exec(text);
  if (relative) {
    const amount = Number(relative[1]);
    if (amount === 0) throw new SinceError(value, 'a window of zero length');
    const at = now - amount * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
    // Times are held to the years 0000 to 9999 (parse-time.ts); past them a time cannot be written.
    if (!(at >= EARLIEST_TIME_MS)) throw new SinceError(value, 'reaches back before the year 0000');
    return at;
  }
  if (!isIsoTimeForm(text)) throw new SinceError(value, 'not a duration or a time');
  // `Date.parse` would take 2026-02-30 as the 2nd of March, and 24:00 as the next day.
  const impossible = noSuchDay(text);
  if (impossible) throw new SinceError(value, impossible);
  // A date alone is its midnight, UTC; a space may stand for the `T` (parseTime reads both).
  const at = parseTime(text);
  if (Number.isNaN(at)) throw new SinceError(value, 'not a valid date');
  if (at > now) throw new SinceError(value, 'lies in the future');
  return at;
}
