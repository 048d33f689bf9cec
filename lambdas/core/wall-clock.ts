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
export function localTime(zone: string, t: number): string {
  const wall = wallTime(zone, t);
  const offsetMinutes = Math.round((wall - t) / MINUTE);
  const abs = Math.abs(offsetMinutes);
  const offset = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  const text = new Date(wall).toISOString();
  return `${wall % MINUTE === 0 ? text.slice(0, 16) : text.slice(0, 19)}${offset}`;
}
