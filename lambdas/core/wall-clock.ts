const MINUTE = 60_000;

const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

/** A formatter of the wall-clock date and time to the minute in a time zone. */
function wallClockFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = wallClockFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    wallClockFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's wall-clock time at `t`, as the UTC time that reads the same (seconds kept). */
export function wallTime(zone: string, t: number): number {
  const parts = wallClockFormatter(zone).formatToParts(new Date(t));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) + (((t % MINUTE) + MINUTE) % MINUTE);
}

/**
 * The zone's wall-clock time at `t` with its offset from UTC, for a message: `2026-09-27T03:45+13:45`
 * (seconds only when there are some). Only for people: records keep times in UTC.
 */
function localTime(zone: string, t: number): string {
  const wall = wallTime(zone, t);
  const offsetMinutes = Math.round((wall - t) / MINUTE);
  const abs = Math.abs(offsetMinutes);
  const offset = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  const text = new Date(wall).toISOString();
  return `${wall % MINUTE === 0 ? text.slice(0, 16) : text.slice(0, 19)}${offset}`;
}

/** The zone's offset from UTC at `t`, in ms. */
function offsetAt(zone: string, t: number): number {
  return wallTime(zone, t) - t;
}

/**
 * Whether the zone reads as UTC all year round `t`: at `t` and at 1 January and 1 July of its year
 * (one of them in summer time wherever there is one), as UTC under another name does (Etc/UTC, GMT,
 * Zulu). Europe/London, +00:00 only in winter, does not.
 */
function readsAsUtc(zone: string, t: number): boolean {
  if (offsetAt(zone, t) !== 0) return false;
  const year = new Date(t).getUTCFullYear();
  return offsetAt(zone, Date.UTC(year, 0, 1)) === 0 && offsetAt(zone, Date.UTC(year, 6, 1)) === 0;
}

/**
 * For a message after a UTC time `t`: `, 2026-09-27T03:45+13:45 in Pacific/Chatham`, the job's
 * wall-clock time in its zone; nothing for a job in UTC, by any name (the UTC time says it already).
 */
export function localTimeNote(zone: string | undefined, t: number): string {
  return !zone || readsAsUtc(zone, t) ? '' : `, ${localTime(zone, t)} in ${zone}`;
}
