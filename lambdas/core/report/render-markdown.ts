import type { Severity } from '../findings.ts';
import { escapeControls } from '../terminal-text.ts';
import { bypassCountText, bypassSplit, comparedWithText, evidenceCutNote, firstMonthTrendRow, formatValue, minuteTime, noCoverageText, plural, previousCountText, retiredLine, shortTime, trendArrow } from './format.ts';
import { COVERAGE_LABEL, EXCEPTION_STATE_LABEL, findingsCountText, GROUP_STATUS_LABEL, groupCounts, sparkline, volumeText } from './labels.ts';
import type { AuditReport, FindingGroup, MonitoredSection, ReportSummary, SectionId, ThresholdUsed, Trend } from './model.ts';
import { REPORT_SECTIONS } from './model.ts';

/**
 * Text from logs (subjects, messages, evidence) made inert in Markdown: no links, emphasis, HTML
 * or table breaks, and no control character (shown escaped, `\x1b`: the report is read with `cat`
 * in a terminal too). The report's own texts (detector meta) are trusted Markdown and pass as written.
 */
export function md(text: string): string {
  return escapeControls(
    text
      .replace(/[\r\n\t]+/g, ' ')
      .replace(/[\\`*_[\]<>|#~!]/g, (c) => `\\${c}`)
      .replace(/&/g, '&amp;'),
  );
}

/**
 * A code span holding any text: fenced with more backticks than it contains, control characters
 * shown escaped, pipes escaped for a table (not when `inTable` is false: outside a table a code span shows the backslash).
 */
export function mdCode(text: string, inTable = true): string {
  const oneLine = text.replace(/[\r\n\t]+/g, ' ');
  const clean = escapeControls(inTable ? oneLine.replace(/\|/g, '\\|') : oneLine);
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || clean.startsWith(' ') || clean.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

function title(id: SectionId): string {
  return REPORT_SECTIONS.find((s) => s.id === id)!.title;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[] = []): string[] {
  const rule = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${rule.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

const SEVERITY_MARK: Readonly<Record<Severity, string>> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW' };

/** A trend's row; in the first month monitored, nothing to compare with rather than 0. */
function trendRow(label: string, t: Trend, firstMonth = false): string[] {
  return firstMonth ? firstMonthTrendRow(label, t) : [label, String(t.current), String(t.previous), trendArrow(t)];
}

function thresholds(list: readonly ThresholdUsed[]): string {
  return list.map((t) => `${mdCode(t.key)} ${md(t.value)} (${md(t.source)})`).join('; ');
}

function summary(r: AuditReport): string[] {
  const s = r.summary;
  const first = s.firstMonthMonitored === true;
  const perDay = r.charts.perDay.map((d) => d.total);
  const out = [
    `**${md(s.headline)}**`,
    '',
    ...table(['', r.label, r.previousLabel, 'change'], [
      trendRow('Findings', s.findings, first),
      ...s.bySeverity.map((b) => trendRow(`… ${b.severity}`, b.trend, first)),
      trendRow('Subjects affected', s.subjectsAffected, first),
    ], ['l', 'r', 'r', 'l']),
    '',
    `- Groups: ${groupCounts(s.groups).join(', ')}.`,
    `- Coverage: ${plural(s.coverage.monitored, 'monitored subject')}: ${s.coverage.ok} OK, ${s.coverage.findings} with findings, ${s.coverage.unknown} UNKNOWN${s.coverage.later ? `, ${s.coverage.later} ${COVERAGE_LABEL.later}` : ''}.`,
    `- Exceptions: ${s.exceptions.total} not revoked: ${s.exceptions.expired} expired, ${s.exceptions.expiringSoon} expiring within 30 days${r.exceptions.available ? `, ${s.exceptions.unused} unused` : ' (no registry connected)'}.`,
    `- Findings per day, ${r.charts.perDay[0]?.date.slice(8)}–${r.charts.perDay[r.charts.perDay.length - 1]?.date.slice(8)}: \`${sparkline(perDay)}\` (busiest: ${Math.max(0, ...perDay)})`,
  ];
  if (s.highlights.length) out.push('', 'Look at first:', '', ...s.highlights.map((h, i) => `${i + 1}. ${md(h)}`));
  if (s.byDetector.length) {
    out.push('', ...table(['Detector', r.label, r.previousLabel, 'change'], s.byDetector.map((d) => trendRow(mdCode(d.detector), d.trend, first)), ['l', 'r', 'r', 'l']));
  }
  return out;
}

function coverage(r: AuditReport): string[] {
  const c = r.coverage;
  const retired = retiredLine(c.retired, (s) => md(s.name), r.label, r.previousLabel, c.rows.length > 0);
  const after = retired ? ['', retired] : [];
  if (c.rows.length === 0) return [noCoverageText(c.retired.length, r.label), ...after];
  const n = (v: number | null) => (v === null ? '–' : String(v));
  return [
    `${plural(c.counts.monitored, 'monitored subject')}: ${c.counts.ok} OK, ${c.counts.findings} with findings, **${c.counts.unknown} UNKNOWN** (no data, or too little history to judge: never counted as healthy)${c.counts.later ? `, ${c.counts.later} ${COVERAGE_LABEL.later} (first seen after ${r.label})` : ''}.`,
    '',
    ...table(
      ['Kind', 'Subject', 'Status', 'Runs', 'Failed', 'History', 'Findings', 'Owner', 'Note'],
      c.rows.map((row) => [
        row.kind,
        md(row.name),
        row.status === 'ok' || row.status === 'later' ? COVERAGE_LABEL[row.status] : `**${COVERAGE_LABEL[row.status]}**`,
        n(row.runsInMonth),
        n(row.failedRuns),
        row.history === null ? '–' : row.minHistory === null ? String(row.history) : `${row.history}/${row.minHistory}`,
        findingsCountText(row),
        row.owner ? md(row.owner) : '_unassigned_',
        row.reason ? md(row.reason) : '',
      ]),
      ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'l', 'l'],
    ),
    ...after,
  ];
}

function exceptions(r: AuditReport): string[] {
  const e = r.exceptions;
  const out: string[] = [];
  if (e.note) out.push(`_${md(e.note)}_`, '');
  if (e.rows.length) {
    out.push(
      ...table(
        ['ID', 'Guard', 'Owner', 'Expires', 'State', 'Bypasses', 'Last bypass', 'Renewals', 'Is it still needed?'],
        e.rows.map((x) => [
          md(x.id),
          md(x.guard),
          md(x.owner),
          x.expires,
          x.state === 'expired' ? `**${EXCEPTION_STATE_LABEL.expired}**` : EXCEPTION_STATE_LABEL[x.state],
          bypassCountText(x),
          x.lastBypassAt ? x.lastBypassAt.slice(0, 10) : '–',
          String(x.renewals),
          md(x.review),
        ]),
        ['l', 'l', 'l', 'l', 'l', 'r', 'l', 'r', 'l'],
      ),
    );
    out.push('', ...e.rows.map((x) => `- ${md(x.id)} (${md(x.guard)}): reason given: “${md(x.reason)}”`));
  }
  out.push('');
  out.push(
    e.unregistered.length
      ? `Bypasses without a valid exception this month: ${e.unregistered.map((u) => `${md(u.guard)} ×${u.count} (${bypassSplit(u)}; last ${u.lastAt.slice(0, 10)})`).join(', ')}.`
      : 'No bypass without a valid exception this month.',
  );
  return out;
}

function silenced(r: AuditReport): string[] {
  const s = r.silenced;
  const out = [`**Criteria:** ${md(s.criteria)}`, '', `**Consequence:** ${md(s.consequence)}`, ''];
  if (s.exceptions.length) out.push('**Exceptions to review:**', '', ...s.exceptions.map((e) => `- ${md(e)}`), '');
  if (s.snoozes.length) {
    out.push(
      ...table(
        ['Snooze', 'Subject', 'From', 'Until', 'Owner', 'Reason', 'Active at end', 'Findings held'],
        s.snoozes.map((x) => [
          md(x.id),
          `${md(x.subject)}${x.detector ? ` (${md(x.detector)})` : ''}`,
          x.from ? `${minuteTime(x.from)}${x.createdBy ? ` by ${md(x.createdBy)}` : ''}` : 'config file',
          x.endedAt ? `${minuteTime(x.endedAt)} (ended by ${md(x.endedBy ?? '?')}: ${md(x.endReason ?? '')})` : minuteTime(x.until),
          md(x.owner),
          md(x.reason),
          x.activeAtEnd ? 'yes' : 'no',
          x.mayHaveHeldFindings !== undefined ? `may have held ${x.mayHaveHeldFindings}` : String(x.heldFindings),
        ]),
        ['l', 'l', 'l', 'l', 'l', 'l', 'l', 'r'],
      ),
      '',
    );
  } else out.push('No snooze held alerts back this month.', '');
  if (s.windows.length) {
    out.push(
      ...table(
        ['Maintenance window', 'Subjects', 'When', 'Owner', 'Reason', 'Active at end', 'Findings held'],
        s.windows.map((w) => [
          md(w.name),
          `${w.subjects.map(md).join(', ')}${w.detectors ? ` (${w.detectors.map(md).join(', ')})` : ''}`,
          w.cron ? `${mdCode(w.cron)} for ${w.durationMinutes} min${w.timezone ? ` (${md(w.timezone)})` : ''}, until ${w.until?.slice(0, 10)}` : `${minuteTime(w.start ?? '')} to ${minuteTime(w.end ?? '')}`,
          md(w.owner),
          md(w.reason),
          w.activeAtEnd ? 'yes' : 'no',
          String(w.heldFindings),
        ]),
        ['l', 'l', 'l', 'l', 'l', 'l', 'r'],
      ),
      '',
    );
  } else out.push('No maintenance window this month.', '');
  if (s.held.length) out.push(`Findings whose alert was held back: ${s.held.map((g) => `${md(g.detector)} on ${md(g.subject)} ${g.held} of ${g.of}${g.mayHaveHeld ? ` for certain, ${g.mayHaveHeld} may have been` : ''} (${g.by.map(md).join(', ')})`).join('; ')}.`);
  return out;
}

function monitoredTable(section: MonitoredSection, noun: string, volume: 'runs' | 'requests'): string[] {
  if (section.empty) return [`_${md(section.empty)}_`];
  return table(
    [noun, 'Status', volume === 'runs' ? 'Runs' : 'Requests', 'Findings', 'Worst measured', 'Limits', 'Owner'],
    section.rows.map((row) => [
      md(row.name),
      row.status === 'ok' || row.status === 'later' ? COVERAGE_LABEL[row.status] : `**${COVERAGE_LABEL[row.status]}**`,
      volumeText(row, volume),
      row.findings ? `${row.findings}: ${row.byDetector.map((d) => `${mdCode(d.detector)} ×${d.count}`).join(', ')}${row.note ? ` (${md(row.note)})` : ''}` : '0',
      row.worst.length ? row.worst.map((w, i) => `${w.of !== undefined && w.of !== row.worst[i - 1]?.of ? `${i > 0 ? '; ' : ''}${mdCode(w.of)} ` : i > 0 ? ', ' : ''}${md(w.key)} ${formatValue(w.value, w.unit)}`).join('') : '–',
      row.limits.length ? thresholds(row.limits) : '–',
      row.owner ? md(row.owner) : '_unassigned_',
    ]),
    ['l', 'l', 'r', 'l', 'l', 'l', 'l'],
  );
}

/**
 * One 5 Cs card as the report writes it (also what the MCP server's explain_finding answers with).
 * In the first month monitored (`summary.firstMonthMonitored`) it gives no count of the month before.
 */
export function groupMarkdown(
  g: FindingGroup,
  index: number,
  r: Pick<AuditReport, 'label' | 'previousLabel'> & { readonly summary?: Pick<ReportSummary, 'firstMonthMonitored'> },
): string[] {
  const c = g.condition;
  const before = previousCountText(r.summary?.firstMonthMonitored, r.previousLabel, c.previousOccurrences);
  const status = `${GROUP_STATUS_LABEL[g.status]}${g.correctiveAction.overdue ? ', OVERDUE' : ''}`;
  const out = [`### ${index}. ${SEVERITY_MARK[g.severity]} · ${mdCode(g.detector)} on ${md(g.subject)} · ${status}`, ''];
  out.push(`- **Criteria.** ${g.criteria.rule}`);
  if (g.criteria.thresholds.length) out.push(`  Thresholds used: ${thresholds(g.criteria.thresholds)}.`);
  if (g.criteria.baseline) out.push(`  Baseline: ${g.criteria.baseline}.`);
  if (c.occurrences > 0) {
    out.push(
      `- **Condition.** ${plural(c.occurrences, 'finding')}${c.runsAffected ? ` on ${plural(c.runsAffected, 'run')}` : ''}` +
        (c.occurrences === 1 ? `, ${shortTime(c.firstAt!)}` : `, first ${shortTime(c.firstAt!)}, last ${shortTime(c.lastAt!)}, on ${plural(c.days.length, 'day')}`) +
        `${before ? ` (${before})` : ''}.`,
    );
    for (const s of c.evidence) {
      out.push(`  - ${mdCode(s.key)}${s.label ? ` (${s.label})` : ''}: ${s.min === s.max ? formatValue(s.min, s.unit) : `${formatValue(s.min, s.unit)} / ${formatValue(s.median, s.unit)} / ${formatValue(s.max, s.unit)} (min / median / max)`}`);
    }
    for (const v of c.values) out.push(`  - ${mdCode(v.key)}: ${md(v.value)} ×${v.count}`);
    if (c.evidenceCut) out.push(`  - ${md(evidenceCutNote(c.evidenceCut))}`);
    for (const e of c.examples) out.push(`  - “${md(e.text)}”${e.count > 1 ? ` ×${e.count}` : ''}`);
  } else {
    out.push(`- **Condition.** No finding in ${r.label}${before ? ` (${before})` : ''}.${c.examples[0] ? ` Last message: “${md(c.examples[0].text)}”` : ''}`);
  }
  out.push(`- **Cause.** ${g.cause.known}`);
  for (const n of g.cause.narrowed) out.push(`  - ${md(n)}`);
  out.push(`- **Consequence.** ${g.consequence.known}`);
  for (const n of g.consequence.notes) out.push(`  - ${md(n)}`);
  const a = g.correctiveAction;
  out.push(`- **Corrective action.** ${g.status === 'resolved' || g.status === 'unverified' || g.status === 'retired' ? md(a.action) : a.action}`);
  out.push(
    `  Owner: ${a.owner ? `${md(a.owner)}${a.inConfig === false ? ` (as of the ${r.previousLabel} report; ${md(g.subject)} is no longer in the config)` : ''}` : a.inConfig === false ? `_unassigned: ${md(g.subject)} is not in the config_` : `_unassigned: set ${mdCode(a.ownerKey, false)} in the config_`}. ` +
      `${a.due ? `Due: **${a.due}**${a.overdue ? ' (overdue)' : ''}. ` : ''}Status: **${status}** (open since ${g.openSince}).`,
  );
  return out;
}

function findings(r: AuditReport): string[] {
  if (r.findings.length === 0) return [`No findings in ${r.label} or ${r.previousLabel}.`];
  const out: string[] = [];
  r.findings.forEach((g, i) => out.push(...groupMarkdown(g, i + 1, r), ''));
  return out;
}

function appendix(r: AuditReport): string[] {
  const t = r.thresholds;
  return [
    'Defaults (`defaults` in the config; _built-in_ when not set there):',
    '',
    ...table(['Key', 'Value', ''], t.defaults.map((d) => [mdCode(d.key), md(d.value), d.builtIn ? '_built-in_' : 'configured'])),
    '',
    ...(t.overrides.length ? ['Per-subject settings:', '', ...table(['Where', 'Key', 'Value'], t.overrides.map((o) => [md(o.source), mdCode(o.key), md(o.value)])), ''] : ['No per-subject settings.', '']),
    `Due dates count from the report date: ${(Object.entries(t.dueDays) as [Severity, number][]).map(([s, d]) => `${s} ${d} days`).join(', ')}.`,
    ...(t.rules.length ? ['', 'Rules of the detectors that fired:', '', ...t.rules.map((x) => `- ${mdCode(x.detector)}: ${x.criteria}`)] : []),
  ];
}

/** The report as Markdown, for a pull request, a wiki page or an email. */
export function renderMarkdown(r: AuditReport): string {
  const sections: Record<SectionId, string[]> = {
    summary: summary(r),
    coverage: coverage(r),
    exceptions: exceptions(r),
    silenced: silenced(r),
    retries: monitoredTable(r.retries, 'Route', 'requests'),
    agents: monitoredTable(r.agents, 'Agent', 'runs'),
    findings: findings(r),
    thresholds: appendix(r),
  };
  const out = [
    `# Monthly audit report: ${r.label}`,
    '',
    `silent-audit · ${r.period.from.slice(0, 10)} to ${r.period.to.slice(0, 10)} (UTC, end exclusive) · ${comparedWithText(r.summary.firstMonthMonitored, r.previousLabel)} · generated ${r.generatedAt}`,
    ...r.notes.map((n) => `\n> ${md(n)}`),
  ];
  for (const { id } of REPORT_SECTIONS) {
    out.push('', `## ${title(id)}`, '');
    // One line at a time: a section of a fleet's month (8,000 groups) holds more lines than a call takes arguments.
    for (const line of sections[id]) out.push(line);
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
