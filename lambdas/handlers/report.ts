import { publishMonthlyReport, type MonthlyReportResult, type ReportDeps } from '../core/report/monthly-report.ts';
import { ReportEventError, reportMonthOf } from '../core/report/report-event.ts';
import { buildReportDeps, logReport, logReportRefused } from './report-deps.ts';

/** What `aws lambda invoke` prints: the month, where the report went, and its headline. */
export interface ReportResponse {
  readonly month: string;
  readonly location: string;
  readonly documents: readonly string[];
  readonly headline: string;
}

/**
 * What an on-demand invocation returns when its `month` cannot be reported on (`"2026-13"`, `"Nov 2026"`,
 * a month not begun): no report, and why. A mistyped request is the caller's to fix, not a failure of
 * the function, so it is returned rather than thrown: a throw would count in `Errors` and page
 * `report-failures`.
 */
export interface ReportRefusal {
  /** What was wrong and the form expected, e.g. `month "2026-13": expected "YYYY-MM", e.g. {"month": "2026-10"}`. */
  readonly error: string;
  /** The `month` of the request, as given (undefined when it gave none, or was no object). */
  readonly month: unknown;
}

/**
 * The report Lambda: `{"month": "YYYY-MM"}` on demand (`{}`: last month), or the monthly EventBridge schedule (the month before).
 * A request that is mistyped (`{"Month": …}`, a bare `"2026-10"`) or whose month is no month to report on is refused (`ReportRefusal`, seen by `refused`); anything
 * else that fails (the store, the bucket) throws, as a failed run.
 */
export function createReportHandler(
  deps: () => ReportDeps,
  observe: (result: MonthlyReportResult) => void = logReport,
  refused: (refusal: ReportRefusal) => void = logReportRefused,
) {
  return async (event: unknown): Promise<ReportResponse | ReportRefusal> => {
    const d = deps();
    let month: string;
    try {
      month = reportMonthOf(event, d.clock);
    } catch (error) {
      if (!(error instanceof ReportEventError)) throw error;
      const refusal: ReportRefusal = { error: error.message, month: event !== null && typeof event === 'object' ? (event as { month?: unknown }).month : undefined };
      refused(refusal);
      return refusal;
    }
    const result = await publishMonthlyReport(month, d);
    observe(result);
    return { month: result.month, location: result.published.location, documents: result.published.documents.map((x) => x.uri), headline: result.report.summary.headline };
  };
}

let cached: ReportDeps | undefined;
export const handler = createReportHandler(() => (cached ??= buildReportDeps()));
