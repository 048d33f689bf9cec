/** Calendar months (`YYYY-MM`, UTC) as the monthly report names and bounds them. */

import { utcDay, utcMonth } from '../parse-time.ts';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const DAY_MS = 86_400_000;

/** The first year reported on: logs are timed in epoch milliseconds, and Date.UTC reads years 0–99 as 1900–1999. */
const FIRST_YEAR = 1970;
/** What a month looks like, as `monthProblem` says when it is not one. */
export const MONTH_FORMAT = 'expected YYYY-MM, e.g. 2026-10';

export class ReportMonthError extends Error {
  constructor(value: string) {
    const problem = monthProblem(value);
    super(problem === MONTH_FORMAT ? `"${value}" is not a month: ${MONTH_FORMAT}` : `"${value}" is not a month to report on: ${problem}`);
    this.name = 'ReportMonthError';
  }
}

export interface MonthSpan {
  /** `YYYY-MM` */
  readonly month: string;
  /** `October 2026` */
  readonly label: string;
  /** Inclusive start, `2026-10-01T00:00:00Z`. */
  readonly from: string;
  /** Exclusive end, `2026-11-01T00:00:00Z`. */
  readonly to: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** Every day of the month, `YYYY-MM-DD`. */
  readonly days: readonly string[];
}

/**
 * What is wrong with a month to report on, in the user's terms, or undefined when it is one:
 * `YYYY-MM`, from January 1970.
 */
export function monthProblem(value: string): string | undefined {
  const m = MONTH.exec(value);
  if (!m) return MONTH_FORMAT;
  if (Number(m[1]) < FIRST_YEAR) return `its year is before ${FIRST_YEAR}, the first a log can be from`;
  return undefined;
}

/**
 * Why a month cannot be reported on as of `now`, or undefined: one that has not begun has no
 * findings yet, and its report would read as a quiet month. The month under way may be reported.
 */
export function notBegunProblem(month: string, now: number): string | undefined {
  const span = monthSpan(month);
  if (span.fromMs <= now) return undefined;
  return `${span.label} has not begun (the report is made as of ${isoSecond(now)}): a report of it would be an empty month`;
}

export function isMonth(value: string): boolean {
  return monthProblem(value) === undefined;
}

/** The span of a `YYYY-MM` month in UTC, from January 1970; throws ReportMonthError for anything else. */
export function monthSpan(month: string): MonthSpan {
  if (!isMonth(month)) throw new ReportMonthError(month);
  return spanOf(monthBounds(month));
}

/** A UTC month's name and bounds: a `MonthSpan` without its days and label, cheap enough for each run. */
export interface MonthBounds {
  /** `YYYY-MM` */
  readonly month: string;
  /** Inclusive start. */
  readonly fromMs: number;
  /** Exclusive end: the next month's start. */
  readonly toMs: number;
}

/** The UTC month holding an instant, with its bounds. */
export function monthBoundsAt(epochMs: number): MonthBounds {
  const d = new Date(epochMs);
  d.setUTCDate(1);
  d.setUTCHours(0, 0, 0, 0);
  const fromMs = d.getTime();
  d.setUTCMonth(d.getUTCMonth() + 1);
  return { month: monthOf(fromMs), fromMs, toMs: d.getTime() };
}

/** The bounds of a `YYYY-MM` month (one `isMonth` accepts, or the month before the first) in UTC. */
export function monthBounds(month: string): MonthBounds {
  return monthBoundsAt(Date.parse(`${month}-01T00:00:00Z`));
}

/**
 * The span of the month before a month reported on, which a report compares with: December 1969
 * for January 1970, a month before any log, so one that holds nothing.
 */
export function previousMonthSpan(month: string): MonthSpan {
  return spanOf(monthBounds(previousMonth(month)));
}

function spanOf({ month, fromMs, toMs }: MonthBounds): MonthSpan {
  const days: string[] = [];
  for (let t = fromMs; t < toMs; t += DAY_MS) days.push(utcDay(t));
  const label = new Date(fromMs).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return { month, label, from: isoSecond(fromMs), to: isoSecond(toMs), fromMs, toMs, days };
}

/** The month before `month`: `2026-01` → `2025-12`. */
export function previousMonth(month: string): string {
  return monthOf(monthSpan(month).fromMs - 1);
}

/** The month holding an instant (`utcMonth`). */
export const monthOf = utcMonth;

/** The month a report run at `epochMs` is about: the one before (a run on 1 November reports October). */
export function reportMonthAt(epochMs: number): string {
  return previousMonth(monthOf(epochMs));
}

/** When the schedule reports on a month: 06:00 UTC on the 1st of the month after. */
export function scheduledReportTime(month: string): number {
  return monthSpan(month).toMs + 6 * 3_600_000;
}

export function isoSecond(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

export function addDays(epochMs: number, days: number): number {
  return epochMs + days * DAY_MS;
}
