import type { PublishedReport, ReportNotice } from '../../ports.ts';
import { snsSubject } from '../alert-format.ts';
import { plural } from './format.ts';
import { COVERAGE_LABEL, groupCounts } from './labels.ts';
import type { AuditReport } from './model.ts';

const FORMAT_NAMES = { html: 'HTML', md: 'Markdown', json: 'JSON' } as const;

function signed(delta: number): string {
  return delta > 0 ? `+${delta}` : String(delta);
}

/** The message that announces a published report: the summary in plain text and where the report is. */
export function reportNotice(report: AuditReport, published: PublishedReport): ReportNotice {
  const s = report.summary;
  const open = report.findings.filter((g) => g.status === 'new' || g.status === 'recurring');
  const severity = (['critical', 'high', 'medium', 'low'] as const).find((sev) => open.some((g) => g.severity === sev)) ?? 'low';
  const subject = snsSubject(
    `silent-audit ${report.label} report: ${plural(s.findings.current, 'finding')} (${s.firstMonthMonitored ? 'first month' : signed(s.findings.delta)}), ${open.length} open, ${s.coverage.unknown} UNKNOWN`,
  );
  const lines = [
    `Monthly audit report for ${report.label} (silent-audit)`,
    '',
    s.headline,
    '',
    `Findings: ${s.findings.current} (${s.firstMonthMonitored ? 'first month monitored' : `${signed(s.findings.delta)} vs ${report.previousLabel}`}): ${s.bySeverity.map((b) => `${b.severity} ${b.trend.current}`).join(', ')}`,
    `Groups: ${groupCounts(s.groups).join(', ')}`,
    `Coverage: ${s.coverage.monitored} monitored: ${s.coverage.ok} OK, ${s.coverage.findings} with findings, ${s.coverage.unknown} UNKNOWN${s.coverage.later ? `, ${s.coverage.later} ${COVERAGE_LABEL.later} (first seen after ${report.label})` : ''}`,
    `Exceptions: ${s.exceptions.total} not revoked: ${s.exceptions.expired} expired, ${s.exceptions.expiringSoon} expiring within 30 days`,
  ];
  if (s.highlights.length) lines.push('', 'Look at first:', ...s.highlights.map((h, i) => `  ${i + 1}. ${h}`));
  lines.push('', `Report: ${published.location}`, ...published.documents.map((d) => `  ${FORMAT_NAMES[d.format]}: ${d.uri}`));
  return { subject, message: lines.join('\n'), severity };
}
