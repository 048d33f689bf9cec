import type { Clock } from '../../ports.ts';
import { MONTH_FORMAT, monthProblem, notBegunProblem, reportMonthAt } from './month.ts';

export class ReportEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportEventError';
  }
}

/** The keys of an EventBridge event, as the monthly schedule's rule sends it (no fixed input), and `replay-name` when replayed from an archive. */
const EVENTBRIDGE_KEYS: ReadonlySet<string> = new Set(['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail', 'replay-name']);

/** The keys of an on-demand request: `month` alone. */
const REQUEST_KEYS: ReadonlySet<string> = new Set(['month']);

/** What an on-demand invocation may send, as a refusal names it. */
const EXPECTED = 'expected {"month": "YYYY-MM"}, e.g. {"month": "2026-10"}, or {} for last month';

/**
 * The month a report invocation is about: `{"month": "YYYY-MM"}` when given (on demand; a month
 * not begun yet is refused), else
 * the month before the EventBridge scheduled event's time (the run on 1 November reports
 * October; held to the same checks), else, for `{}` or no payload, the month before now. Anything else is a mistyped
 * request and refused (`ReportEventError`), never read as last month nor as its `month`: a payload
 * that is no object (`"2026-10"`), an object with no `month` whose keys are not an EventBridge
 * event's (`{"Month": "2026-10"}`, `{"mnth": …}`), or a `month` with any other key beside it
 * (`{"month": "2026-10", "Month": "2026-09"}`, `{"month": …, "format": "html"}`).
 */
export function reportMonthOf(event: unknown, clock: Clock): string {
  if (event === undefined || event === null) return reportMonthAt(clock.now());
  if (typeof event !== 'object' || Array.isArray(event)) throw new ReportEventError(`${notAnObject(event)}: ${EXPECTED}`);
  const e = event as Record<string, unknown>;
  const known = e.month === undefined ? EVENTBRIDGE_KEYS : REQUEST_KEYS;
  const unknown = Object.keys(e).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new ReportEventError(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => JSON.stringify(key)).join(', ')}: ${EXPECTED}`);
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
  if (e.time !== undefined) return scheduledMonth(e.time, clock);
  return reportMonthAt(clock.now());
}

/**
 * The month before a scheduled event's `time`, held to what a requested month is: one from 1970
 * that has begun. The Lambda console's scheduled-event test (`1970-01-01T00:00:00Z`) or a time
 * years ahead is refused, not thrown as a failed run nor reported as an empty month.
 */
function scheduledMonth(time: unknown, clock: Clock): string {
  const at = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(at)) throw new ReportEventError(`time ${JSON.stringify(time)}: not a time; expected an ISO-8601 time, as EventBridge sends, e.g. "2026-11-01T06:00:00Z"`);
  const month = reportMonthAt(at);
  const notAMonth = monthProblem(month);
  const problem = notAMonth ?? notBegunProblem(month, clock.now());
  if (problem === undefined) return month;
  const which = notAMonth === undefined ? '' : `${month}, is no month to report on: `;
  throw new ReportEventError(`time ${JSON.stringify(time)}: the month before it, ${which}${problem}`);
}

/** A payload that is no object, as a refusal names it: `a string "2026-10"`, `a number 202610`, `an array`. */
function notAnObject(event: unknown): string {
  if (Array.isArray(event)) return 'an array';
  const type = typeof event;
  const article = /^[aeiou]/.test(type) ? 'an' : 'a';
  return type === 'string' || type === 'number' || type === 'boolean' ? `${article} ${type} ${JSON.stringify(event)}` : `${article} ${type}`;
}
