import { formatPercent } from './format.ts';
import type { CoverageRow, CoverageStatus, ExceptionState, GroupStatus, MonitoredRow, ReportSummary } from './model.ts';
import { SEVERITIES } from './model.ts';

/** The words every output uses for statuses, so Markdown, HTML and the SNS message agree. */

export const COVERAGE_LABEL: Readonly<Record<CoverageStatus, string>> = { findings: 'FINDINGS', ok: 'OK', unknown: 'UNKNOWN', later: 'NOT YET SEEN' };

export const GROUP_STATUS_LABEL: Readonly<Record<GroupStatus, string>> = {
  new: 'new',
  recurring: 'recurring',
  resolved: 'resolved',
  unverified: 'unverified (no data)',
  retired: 'no longer monitored',
};

/**
 * A Coverage row's findings by severity, as every output writes them: `7: 1 high, 6 medium`, `2 high`
 * when all share one, `0` with none (a row written before the counts were kept: its worst severity, named so).
 */
export function findingsCountText(row: Pick<CoverageRow, 'findings' | 'highestSeverity' | 'findingsBySeverity'>): string {
  if (row.findings === 0) return '0';
  const by = row.findingsBySeverity;
  if (!by) return row.highestSeverity ? `${row.findings} (worst ${row.highestSeverity})` : String(row.findings);
  const parts = SEVERITIES.filter((s) => by[s]).map((s) => `${by[s]} ${s}`);
  return parts.length === 1 ? parts[0] : `${row.findings}: ${parts.join(', ')}`;
}

/** The summary's groups by status, as every output counts them: unverified and no longer monitored when there are any (a report written before `retired` has none). */
export function groupCounts(groups: ReportSummary['groups']): string[] {
  const closed = (['unverified', 'retired'] as const).filter((s) => groups[s]).map((s) => `${groups[s]} ${GROUP_STATUS_LABEL[s]}`);
  return [`${groups.new} new`, `${groups.recurring} recurring`, `${groups.resolved} resolved`, ...closed];
}

export const EXCEPTION_STATE_LABEL: Readonly<Record<ExceptionState, string>> = {
  active: 'active',
  expiring: 'expiring soon',
  expired: 'EXPIRED',
  revoked: 'revoked',
};

/** `8 ▁▂▃█` style: one block per day, scaled to the busiest day. */
export function sparkline(values: readonly number[]): string {
  const blocks = '▁▂▃▄▅▆▇█';
  const max = Math.max(0, ...values);
  return values.map((v) => (v === 0 ? '·' : blocks[Math.min(blocks.length - 1, Math.ceil((v / max) * blocks.length) - 1)])).join('');
}

/** A route's requests (`1,240, 3.3% retried`) or an agent's runs in the month; `–` when not counted. */
export function volumeText(row: MonitoredRow, volume: 'runs' | 'requests'): string {
  if (volume === 'requests') {
    if (!row.requests) return '–';
    const { total, retried } = row.requests;
    return `${total.toLocaleString('en-US')}${total ? `, ${formatPercent(retried / total)} retried` : ''}`;
  }
  return row.runsInMonth === null ? '–' : row.runsInMonth.toLocaleString('en-US');
}
