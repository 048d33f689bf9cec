import { publishMonthlyReport, type MonthlyReportResult, type ReportDeps } from '../core/report/monthly-report.ts';
import { reportMonthOf } from '../core/report/report-event.ts';
import { buildReportDeps, logReport } from './report-deps.ts';

/** What `aws lambda invoke` prints: the month, where the report went, and its headline. */
export interface ReportResponse {
  readonly month: string;
  readonly location: string;
  readonly documents: readonly string[];
  readonly headline: string;
}

/** The report Lambda: `{"month": "YYYY-MM"}` on demand, or the monthly EventBridge schedule (the month before). */
export function createReportHandler(deps: () => ReportDeps, observe: (result: MonthlyReportResult) => void = logReport) {
  return async (event: unknown): Promise<ReportResponse> => {
    const d = deps();
    const result = await publishMonthlyReport(reportMonthOf(event, d.clock), d);
    observe(result);
    return { month: result.month, location: result.published.location, documents: result.published.documents.map((x) => x.uri), headline: result.report.summary.headline };
  };
}

let cached: ReportDeps | undefined;
export const handler = createReportHandler(() => (cached ??= buildReportDeps()));
