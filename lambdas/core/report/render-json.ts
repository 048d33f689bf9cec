import type { AuditReport } from './model.ts';

/** The report as JSON: the model itself, which next month's report also reads back. */
export function renderJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
