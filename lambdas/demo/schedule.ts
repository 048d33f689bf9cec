/**
 * Wall-clock schedule times for the demo jobs. A job that runs at 02:30 Europe/Berlin starts at
 * 00:30Z in summer time and 01:30Z in winter time; on the night the clocks go back, 02:30 happens
 * twice and cron runs the job once, at the first of the two (as croner and Vixie cron do).
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = zoneFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    zoneFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC at an instant, in ms (Europe/Berlin in summer: +7,200,000). */
export function zoneOffsetMs(utcMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const parts: Record<string, number> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wallClock = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute);
  return wallClock - Math.floor(utcMs / MINUTE_MS) * MINUTE_MS;
}

/**
 * The UTC instant of a wall-clock time in a zone. An ambiguous time (clocks going back) gives the
 * first occurrence; a time that does not exist (clocks going forward) gives the instant of the jump,
 * when cron runs such a job.
 */
export function zonedTimeToUtc(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wallClock = Date.UTC(year, month - 1, day, hour, minute);
  const offsets = new Set([wallClock - DAY_MS, wallClock, wallClock + DAY_MS].map((t) => zoneOffsetMs(t, timeZone)));
  const matches = [...offsets].map((offset) => wallClock - offset).filter((t) => t + zoneOffsetMs(t, timeZone) === wallClock);
  if (matches.length > 0) return Math.min(...matches);
  // The clocks skip this time: run at the jump, the first minute of the new offset.
  let before = wallClock - Math.max(...offsets);
  let after = wallClock - Math.min(...offsets);
  const oldOffset = zoneOffsetMs(before, timeZone);
  while (after - before > MINUTE_MS) {
    const mid = before + Math.floor((after - before) / 2 / MINUTE_MS) * MINUTE_MS;
    if (zoneOffsetMs(mid, timeZone) === oldOffset) before = mid;
    else after = mid;
  }
  return after;
}

export interface MonthSpan {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  readonly days: number;
  /** Epoch ms of the first instant of the month, UTC. */
  readonly start: number;
  /** Epoch ms of the first instant of the next month, UTC. */
  readonly end: number;
}

export function monthSpan(month: string): MonthSpan {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const year = m ? Number(m[1]) : NaN;
  const monthNumber = m ? Number(m[2]) : NaN;
  if (!m || monthNumber < 1 || monthNumber > 12) throw new RangeError(`month: expected YYYY-MM (e.g. 2026-10), got "${month}"`);
  const start = Date.UTC(year, monthNumber - 1, 1);
  const end = Date.UTC(year, monthNumber, 1);
  return { year, month: monthNumber, days: Math.round((end - start) / DAY_MS), start, end };
}

/** `YYYY-MM-DD` of an instant, UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `YYYYMMDDhhmm` of an instant, UTC: the stable part of a run id. */
export function utcMinuteStamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

/** Every run a daily wall-clock schedule makes in a month (by the zone's calendar day). */
export function dailyAt(span: MonthSpan, hour: number, minute: number, timeZone: string, weekdaysOnly = false): number[] {
  const starts: number[] = [];
  for (let day = 1; day <= span.days; day++) {
    const weekday = new Date(Date.UTC(span.year, span.month - 1, day)).getUTCDay();
    if (weekdaysOnly && (weekday === 0 || weekday === 6)) continue;
    starts.push(zonedTimeToUtc(span.year, span.month, day, hour, minute, timeZone));
  }
  return starts;
}

/** Every run of a UTC schedule that fires each `everyMinutes`, offset by `atMinute`, in a month. */
export function everyMinutes(span: MonthSpan, everyMinutes: number, atMinute = 0): number[] {
  const starts: number[] = [];
  for (let t = span.start + atMinute * MINUTE_MS; t < span.end; t += everyMinutes * MINUTE_MS) starts.push(t);
  return starts;
}
