import type { Clock } from '../../ports.ts';
import { MONTH_FORMAT, monthProblem, notBegunProblem, reportMonthAt } from './month.ts';

export class ReportEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportEventError';
  }
}

/**
 * The month a report invocation is about: `{"month": "YYYY-MM"}` when given (on demand; a month
 * not begun yet is refused), else
 * the month before the EventBridge scheduled event's time (the run on 1 November reports
 * October), else the month before now.
 */
export function reportMonthOf(event: unknown, clock: Clock): string {
  const e = (event && typeof event === 'object' ? event : {}) as Record<string, unknown>;
  if (e.month !== undefined) {
    const problem = typeof e.month === 'string' ? monthProblem(e.month) : MONTH_FORMAT;
    if (typeof e.month === 'string' && problem === undefined) {
      const notBegun = notBegunProblem(e.month, clock.now());
      if (notBegun !== undefined) throw new ReportEventError(`month ${JSON.stringify(e.month)}: ${notBegun}`);
      return e.month;
    }
    const why = problem === MONTH_FORMAT ? '' : ` ${problem};`;
    throw new ReportEventError(`month ${JSON.stringify(e.month)}:${why} expected "YYYY-MM", e.g. {"month": "2026-10"}`);
  }
  if (typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time))) return reportMonthAt(Date.parse(e.time));
  return reportMonthAt(clock.now());
}
