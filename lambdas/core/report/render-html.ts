import type { Severity } from '../findings.ts';
import { bypassCountText, bypassSplit, comparedWithText, evidenceCutNote, firstMonthTrendRow, formatValue, minuteTime, noCoverageText, plural, previousCountText, retiredLine, shortTime, trendArrow } from './format.ts';
import { subjectKey } from '../pipeline.ts';
import { COVERAGE_LABEL, EXCEPTION_STATE_LABEL, findingsCountText, GROUP_STATUS_LABEL, groupCounts, volumeText } from './labels.ts';
import type { AuditReport, FindingGroup, MonitoredSection, SectionId, ThresholdUsed, Trend } from './model.ts';
import { REPORT_SECTIONS, SEVERITIES } from './model.ts';
import { barChart, dayChart, escapeHtml as esc, SEVERITY_COLOR } from './svg-charts.ts';

/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script, font, image or
 * link outside the page, readable on screen and on paper. Everything from logs is escaped.
 */

/** The report's own texts (detector meta) use `code` spans: escaped first, then marked up. */
function prose(trusted: string): string {
  return esc(trusted).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function code(text: string): string {
  return `<code>${esc(text)}</code>`;
}

const STYLE = `
:root { --ink:#1f2933; --muted:#52606d; --line:#e4e7eb; --bg:#f5f7fa; --card:#fff; --accent:#1d4ed8;
  --critical:${SEVERITY_COLOR.critical}; --high:${SEVERITY_COLOR.high}; --medium:${SEVERITY_COLOR.medium}; --low:#1d4ed8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.55 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
code { font: 0.88em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; background: #eef2f7; padding: 0.05em 0.35em; border-radius: 4px; overflow-wrap: anywhere; }
a { color: var(--accent); }
.page { max-width: 1120px; margin: 0 auto; padding: 0 28px 48px; }
.masthead { background: #102a43; color: #f0f4f8; }
.masthead .page { padding-top: 28px; padding-bottom: 26px; }
.eyebrow { margin: 0 0 4px; text-transform: uppercase; letter-spacing: 0.08em; font-size: 12px; color: #9fb3c8; }
h1 { margin: 0; font-size: 30px; line-height: 1.2; font-weight: 650; }
.masthead .meta { margin: 8px 0 0; color: #bcccdc; font-size: 14px; }
nav.toc { position: sticky; top: 0; z-index: 1; background: rgba(255,255,255,0.96); border-bottom: 1px solid var(--line); }
nav.toc ol { list-style: none; margin: 0 auto; padding: 0 28px; max-width: 1120px; display: flex; flex-wrap: wrap; gap: 2px 20px; }
nav.toc a { display: inline-block; padding: 10px 0; color: var(--muted); text-decoration: none; font-size: 14px; }
nav.toc a:hover, nav.toc a:focus { color: var(--accent); text-decoration: underline; }
section[id], article[id] { scroll-margin-top: 96px; }
section { margin-top: 36px; }
h2 { font-size: 22px; margin: 0 0 14px; padding-bottom: 6px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 17px; margin: 22px 0 10px; }
.headline { font-size: 17px; margin: 0 0 18px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: 0 0 22px; padding: 0; list-style: none; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.kpi .label { display: block; color: var(--muted); font-size: 13px; }
.kpi .value { display: block; font-size: 28px; font-weight: 650; line-height: 1.2; margin-top: 2px; }
.kpi .delta { display: block; font-size: 13px; color: var(--muted); }
.kpi.warn .value { color: var(--high); }
.up { color: var(--high); } .down { color: #047857; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; align-items: start; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px 10px; }
figure.wide { grid-column: 1 / -1; }
figcaption { font-weight: 600; font-size: 14px; margin-bottom: 6px; }
svg.chart { display: block; width: 100%; height: auto; font-family: inherit; }
.legend { list-style: none; display: flex; gap: 14px; margin: 6px 0 0; padding: 0; font-size: 12px; color: var(--muted); }
.legend li::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; background: var(--swatch); }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: #f8fafc; font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
td code, td.nowrap { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: var(--muted); font-size: 13px; }
.caption-note { color: var(--muted); font-size: 14px; margin: -4px 0 12px; }
.empty { background: var(--card); border: 1px dashed #cbd2d9; border-radius: 10px; padding: 14px 16px; color: var(--muted); margin: 0; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }
.pill.ok { background: #ecfdf5; color: #047857; border-color: #a7f3d0; }
.pill.findings { background: #fef2f2; color: #b91c1c; border-color: #fecaca; }
.pill.unknown { background: #f1f5f9; color: #334155; border-color: #94a3b8; border-style: dashed; }
.pill.later { background: #f8fafc; color: #64748b; border-color: #e2e8f0; }
.pill.new { background: #fef2f2; color: #b91c1c; border-color: #fecaca; }
.pill.recurring { background: #fffbeb; color: #92400e; border-color: #fcd34d; }
.pill.resolved { background: #ecfdf5; color: #047857; border-color: #a7f3d0; }
.pill.unverified { background: #f1f5f9; color: #334155; border-color: #94a3b8; border-style: dashed; }
.pill.overdue { background: #7f1d1d; color: #fff; }
.pill.expired { background: #fef2f2; color: #b91c1c; border-color: #fecaca; }
.pill.expiring { background: #fffbeb; color: #92400e; border-color: #fcd34d; }
.pill.active { background: #eff6ff; color: #1e40af; border-color: #bfdbfe; }
.pill.revoked { background: #f1f5f9; color: #475569; }
.sev { display: inline-block; min-width: 64px; text-align: center; padding: 1px 8px; border-radius: 4px; font-size: 11px; font-weight: 700; letter-spacing: 0.05em; color: #fff; }
.sev.critical { background: var(--critical); } .sev.high { background: var(--high); } .sev.medium { background: var(--medium); } .sev.low { background: var(--low); }
ol.highlights { margin: 0; padding-left: 22px; }
ol.highlights li { margin: 4px 0; }
.group { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--line); border-radius: 10px; padding: 14px 18px 16px; margin: 0 0 16px; }
.group.critical { border-left-color: var(--critical); } .group.high { border-left-color: var(--high); } .group.medium { border-left-color: var(--medium); } .group.low { border-left-color: #3b82f6; }
.group.closed { border-left-color: #047857; }
.group header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 10px; }
.group h3 { margin: 0; font-size: 17px; flex: 1 1 auto; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 10px; }
.group h3 .title { flex: 1 1 auto; }
.group .where { color: var(--muted); font-size: 13px; margin: 4px 0 10px; }
.five-cs { display: grid; grid-template-columns: 160px 1fr; gap: 0; margin: 0; }
.five-cs dt { font-weight: 650; padding: 9px 12px 9px 0; border-top: 1px solid var(--line); }
.five-cs dd { margin: 0; padding: 9px 0; border-top: 1px solid var(--line); }
.five-cs dd p { margin: 0 0 6px; }
.five-cs ul { margin: 4px 0 0; padding-left: 20px; }
.five-cs li { margin: 2px 0; }
.five-cs ul.facts, .facts { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; color: var(--muted); margin: 6px 0 0; padding: 0; list-style: none; }
.facts strong { color: var(--ink); font-weight: 600; }
blockquote.example { margin: 4px 0; padding: 2px 10px; border-left: 3px solid #cbd2d9; color: #3e4c59; font-size: 13.5px; overflow-wrap: anywhere; }
.notes { background: #fffbeb; border: 1px solid #fcd34d; border-radius: 8px; padding: 8px 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 12px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 760px) { nav.toc { position: static; } .charts { grid-template-columns: 1fr; } .five-cs { grid-template-columns: 1fr; } .five-cs dt { border-top: 1px solid var(--line); padding-bottom: 0; } .five-cs dd { border-top: 0; } }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background: #fff; font-size: 10pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .page { max-width: none; padding: 0; }
  .masthead { background: #fff; color: var(--ink); border-bottom: 2px solid var(--ink); }
  .masthead .page { padding: 0 0 8px; }
  .eyebrow, .masthead .meta { color: var(--muted); }
  nav.toc { position: static; background: #fff; border-bottom: 0; margin-bottom: 4px; }
  nav.toc ol { padding: 0; }
  nav.toc a { padding: 2px 0; font-size: 8pt; color: var(--ink); }
  section { margin-top: 18px; }
  h2 { break-after: avoid; page-break-after: avoid; font-size: 15pt; }
  h3 { break-after: avoid; }
  .kpi, figure, .group, .table-wrap { box-shadow: none; break-inside: avoid; page-break-inside: avoid; }
  .table-wrap { overflow: visible; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .charts { grid-template-columns: 1fr 1fr; }
  .kpis { grid-template-columns: repeat(6, 1fr); gap: 6px; }
  .kpi { padding: 6px 8px; }
  .kpi .value { font-size: 18pt; }
  .kpi .label, .kpi .delta { font-size: 7.5pt; }
  table { font-size: 8pt; }
  th, td { padding: 4px 6px; }
  thead th { font-size: 7pt; }
  td code { white-space: normal; }
  td.wrap-anywhere { white-space: normal; overflow-wrap: anywhere; }
  td.nowrap, thead th { white-space: normal; overflow-wrap: anywhere; }
  .pill, .sev { font-size: 7pt; }
  .note { font-size: 7.5pt; }
  .five-cs { grid-template-columns: 110px 1fr; }
  .group { padding: 8px 12px; }
}
`;

function pill(kind: string, text: string): string {
  return `<span class="pill ${esc(kind)}">${esc(text)}</span>`;
}

/** `html` as a link to a finding card (its id), or as it is when there is none. */
function cardLink(id: string | undefined, html: string): string {
  return id ? `<a href="#${esc(id)}">${html}</a>` : html;
}

function sevBadge(s: Severity): string {
  return `<span class="sev ${s}">${s.toUpperCase()}</span>`;
}

/** One of the summary's key numbers (a card): its value, and under it the change against last month (`trend`) or a detail. */
export interface KpiCard {
  readonly label: string;
  readonly value: number;
  /** The change against last month (`▲ 5`, `= 0`), shown before the detail; none in the first month monitored. */
  readonly trend?: { readonly arrow: string; readonly direction: Trend['direction'] };
  readonly detail: string;
  /** Shown in the high colour: something to look at. */
  readonly warn: boolean;
}

/** A card's change against last month: the arrow and what it compares with, or, in the first month monitored, that. */
function trendCard(label: string, t: Trend, r: AuditReport, warn = false): KpiCard {
  if (r.summary.firstMonthMonitored) return { label, value: t.current, detail: 'first month monitored', warn };
  return { label, value: t.current, trend: { arrow: trendArrow(t), direction: t.direction }, detail: `vs ${r.previousLabel} (${t.previous})`, warn };
}

/** The summary's six key numbers, as the HTML report's cards and the README's picture of them (scripts/draw-report-example.ts) show them. */
export function kpiCards(r: AuditReport): KpiCard[] {
  const s = r.summary;
  const highOrWorse = s.bySeverity.filter((b) => b.severity === 'critical' || b.severity === 'high').reduce((n, b) => n + b.trend.current, 0);
  const highBefore = s.bySeverity.filter((b) => b.severity === 'critical' || b.severity === 'high').reduce((n, b) => n + b.trend.previous, 0);
  const highTrend: Trend = { current: highOrWorse, previous: highBefore, delta: highOrWorse - highBefore, direction: highOrWorse > highBefore ? 'up' : highOrWorse < highBefore ? 'down' : 'same' };
  return [
    trendCard('Findings', s.findings, r, s.findings.current > 0),
    trendCard('High or critical', highTrend, r, highOrWorse > 0),
    trendCard('Subjects affected', s.subjectsAffected, r),
    { label: 'Open groups', value: s.groups.new + s.groups.recurring, detail: groupCounts(s.groups).join(' · '), warn: false },
    {
      label: 'UNKNOWN subjects',
      value: s.coverage.unknown,
      detail: `of ${s.coverage.monitored} monitored · ${s.coverage.ok} OK${s.coverage.later ? ` · ${s.coverage.later} ${COVERAGE_LABEL.later}` : ''}`,
      warn: s.coverage.unknown > 0,
    },
    {
      label: 'Exceptions to review',
      value: s.exceptions.expired + s.exceptions.expiringSoon,
      detail: `${s.exceptions.expired} expired · ${s.exceptions.expiringSoon} expiring · ${s.exceptions.total} not revoked`,
      warn: s.exceptions.expired > 0,
    },
  ];
}

function kpiHtml(card: KpiCard): string {
  const trend = card.trend ? `<span class="${card.trend.direction === 'same' ? '' : card.trend.direction}">${esc(card.trend.arrow)}</span> ` : '';
  return `<li class="kpi${card.warn ? ' warn' : ''}"><span class="label">${esc(card.label)}</span><span class="value">${card.value}</span><span class="delta">${trend}${esc(card.detail)}</span></li>`;
}

interface Column {
  readonly label: string;
  /** Right-aligned, tabular figures. */
  readonly num?: boolean;
  /** Kept on one line: ids, names, dates. */
  readonly nowrap?: boolean;
  /** Kept on one line on screen, broken anywhere on paper: email addresses. */
  readonly email?: boolean;
}

function tableHtml(caption: string, head: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cls = (c: Column | undefined) => {
    const names = [c?.num ? 'num' : '', c?.nowrap || c?.email ? 'nowrap' : '', c?.email ? 'wrap-anywhere' : ''].filter(Boolean).join(' ');
    return names ? ` class="${names}"` : '';
  };
  return (
    `<div class="table-wrap"><table><caption class="visually-hidden">${esc(caption)}</caption><thead><tr>` +
    head.map((h) => `<th scope="col"${cls(h)}>${esc(h.label)}</th>`).join('') +
    `</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((cell, i) => `<td${cls(head[i])}>${cell}</td>`).join('')}</tr>`).join('') +
    `</tbody></table></div>`
  );
}

function thresholdList(list: readonly ThresholdUsed[]): string {
  return list.map((t) => `${code(t.key)} ${esc(t.value)} <span class="note">(${esc(t.source)})</span>`).join('; ');
}

/** `Oct 2026` for a column header. */
function shortLabel(label: string): string {
  const [month, year] = label.split(' ');
  return year ? `${month.slice(0, 3)} ${year}` : label;
}

function trendTable(caption: string, first: string, r: AuditReport, rows: readonly (readonly [string, Trend])[]): string {
  const arrow = (t: Trend) => `<span class="${t.direction === 'up' ? 'up' : t.direction === 'down' ? 'down' : ''}">${esc(trendArrow(t))}</span>`;
  return tableHtml(
    caption,
    [{ label: first }, { label: shortLabel(r.label), num: true }, { label: shortLabel(r.previousLabel), num: true }, { label: 'Change' }],
    // In the first month monitored, nothing to compare with rather than 0.
    rows.map(([label, t]) => (r.summary.firstMonthMonitored ? firstMonthTrendRow(label, t) : [label, String(t.current), String(t.previous), arrow(t)])),
  );
}

function summary(r: AuditReport): string {
  const s = r.summary;
  const legend = `<ul class="legend" aria-hidden="true">${SEVERITIES.map((sev) => `<li style="--swatch:${SEVERITY_COLOR[sev]}">${sev}</li>`).join('')}</ul>`;
  const highlights = s.highlights.length
    ? `<h3>Look at first</h3><ol class="highlights">${s.highlights.map((h, i) => `<li>${cardLink(s.highlightIds?.[i], esc(h))}</li>`).join('')}</ol>`
    : '';
  return [
    `<p class="headline">${esc(s.headline)}</p>`,
    `<ul class="kpis">`,
    ...kpiCards(r).map(kpiHtml),
    `</ul>`,
    highlights,
    `<h3>Charts</h3>`,
    `<div class="charts">`,
    `<figure class="wide"><figcaption>Findings per day</figcaption>${dayChart(r.charts.perDay, { id: 'chart-days', title: `Findings per day, ${r.label}` })}${legend}</figure>`,
    `<figure><figcaption>Findings per pattern (detector)</figcaption>${barChart(r.charts.perDetector, { id: 'chart-detectors', title: `Findings per detector, ${r.label}`, color: '#1d4ed8' })}</figure>`,
    `<figure><figcaption>Findings per subject</figcaption>${barChart(r.charts.perSubject, { id: 'chart-subjects', title: `Findings per subject, ${r.label}`, color: '#7c3aed' })}</figure>`,
    `</div>`,
    s.firstMonthMonitored ? `<h3>Trend: first month monitored, nothing in ${esc(r.previousLabel)}</h3>` : `<h3>Trend against ${esc(r.previousLabel)}</h3>`,
    `<div class="charts">`,
    trendTable(`Findings by severity, ${r.label} against ${r.previousLabel}`, 'Severity', r, [
      ...s.bySeverity.map((b) => [esc(b.severity), b.trend] as const),
      ['<strong>All findings</strong>', s.findings] as const,
      ['Subjects affected', s.subjectsAffected] as const,
    ]),
    s.byDetector.length
      ? trendTable(`Findings by detector, ${r.label} against ${r.previousLabel}`, 'Detector', r, s.byDetector.map((d) => [code(d.detector), d.trend] as const))
      : `<p class="empty">No detector fired in either month.</p>`,
    `</div>`,
  ].join('');
}

function coverage(r: AuditReport): string {
  const c = r.coverage;
  const retired = retiredLine(c.retired, (s) => esc(s.name), esc(r.label), esc(r.previousLabel), c.rows.length > 0);
  const after = retired ? `<p class="caption-note">${retired}</p>` : '';
  if (c.rows.length === 0) return `<p class="empty">${noCoverageText(c.retired.length, esc(r.label))}</p>${after}`;
  const n = (v: number | null) => (v === null ? '–' : String(v));
  const firstCard = new Map<string, string>();
  // Each row links to its subject's first card: the worst, as the findings are ordered.
  for (const g of r.findings) if (!firstCard.has(subjectKey(g.subjectKind, g.subject))) firstCard.set(subjectKey(g.subjectKind, g.subject), g.id);
  return (
    `<p class="caption-note">${plural(c.counts.monitored, 'monitored subject')}: ${c.counts.ok} OK, ${c.counts.findings} with findings, <strong>${c.counts.unknown} UNKNOWN</strong>. ` +
    `UNKNOWN means no data, or too little history to judge; it is never counted as healthy.${c.counts.later ? ` ${c.counts.later} ${COVERAGE_LABEL.later}: first seen after ${esc(r.label)}.` : ''}</p>` +
    tableHtml(
      `Coverage of every monitored subject in ${r.label}`,
      [
        { label: 'Kind' },
        { label: 'Subject', nowrap: true },
        { label: 'Status' },
        { label: 'Runs', num: true },
        { label: 'Failed', num: true },
        { label: 'History', num: true },
        { label: 'Findings', num: true, nowrap: true },
        { label: 'Owner', email: true },
        { label: 'Note' },
      ],
      c.rows.map((row) => [
        esc(row.kind),
        `${cardLink(firstCard.get(subjectKey(row.kind, row.name)), `<strong>${esc(row.name)}</strong>`)}${row.configured ? '' : '<br><span class="note">not in config</span>'}`,
        pill(row.status, COVERAGE_LABEL[row.status]),
        n(row.runsInMonth),
        n(row.failedRuns),
        row.history === null ? '–' : row.minHistory === null ? String(row.history) : `${row.history}/${row.minHistory}`,
        esc(findingsCountText(row)),
        row.owner ? esc(row.owner) : '<em>unassigned</em>',
        `<span class="note">${esc(row.reason ?? '')}</span>`,
      ]),
    ) +
    after
  );
}

function exceptions(r: AuditReport): string {
  const e = r.exceptions;
  const parts: string[] = [];
  if (e.note) parts.push(`<p class="caption-note">${esc(e.note)}</p>`);
  if (e.rows.length) {
    parts.push(
      tableHtml(
        'Exception registry review: is each exception still needed?',
        [
          { label: 'ID', nowrap: true },
          { label: 'Guard', nowrap: true },
          { label: 'Owner', email: true },
          { label: 'Expires', nowrap: true },
          { label: 'State' },
          { label: 'Bypasses', num: true },
          { label: 'Last bypass', nowrap: true },
          { label: 'Renewals', num: true },
          { label: 'Is it still needed?' },
        ],
        e.rows.map((x) => [
          `<strong>${esc(x.id)}</strong>`,
          esc(x.guard),
          esc(x.owner),
          `${esc(x.expires)}<br><span class="note">${x.daysToExpiry < 0 ? `${-x.daysToExpiry} days ago` : `in ${x.daysToExpiry} days`}</span>`,
          pill(x.state, EXCEPTION_STATE_LABEL[x.state]),
          bypassCountText(x),
          x.lastBypassAt ? esc(x.lastBypassAt.slice(0, 10)) : '–',
          String(x.renewals),
          `${esc(x.review)}<br><span class="note">Reason given: “${esc(x.reason)}”</span>`,
        ]),
      ),
    );
  }
  parts.push(
    e.unregistered.length
      ? `<p>Bypasses without a valid exception this month: ${e.unregistered.map((u) => `<strong>${esc(u.guard)}</strong> ×${u.count} (${bypassSplit(u)}; last ${esc(u.lastAt.slice(0, 10))})`).join(', ')}.</p>`
      : `<p class="caption-note">No bypass without a valid exception this month.</p>`,
  );
  return parts.join('');
}

function silenced(r: AuditReport): string {
  const s = r.silenced;
  const time = (iso: string) => esc(minuteTime(iso));
  const parts = [`<p><strong>Criteria:</strong> ${esc(s.criteria)}</p>`, `<p><strong>Consequence:</strong> ${esc(s.consequence)}</p>`];
  if (s.exceptions.length) parts.push(`<p><strong>Exceptions to review:</strong></p><ul>${s.exceptions.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`);
  parts.push(
    s.snoozes.length
      ? tableHtml(
          `Snoozes that held alerts back in ${r.label}`,
          [{ label: 'Snooze', nowrap: true }, { label: 'Subject' }, { label: 'From', nowrap: true }, { label: 'Until', nowrap: true }, { label: 'Owner', email: true }, { label: 'Reason' }, { label: 'Active at end' }, { label: 'Findings held', num: true }],
          s.snoozes.map((x) => [
            `<strong>${esc(x.id)}</strong>`,
            `${esc(x.subject)}${x.detector ? ` <span class="note">(${esc(x.detector)})</span>` : ''}`,
            x.from ? `${time(x.from)}${x.createdBy ? `<br><span class="note">by ${esc(x.createdBy)}</span>` : ''}` : '<span class="note">config file</span>',
            x.endedAt ? `${time(x.endedAt)}<br><span class="note">ended by ${esc(x.endedBy ?? '?')}: ${esc(x.endReason ?? '')}</span>` : time(x.until),
            esc(x.owner),
            esc(x.reason),
            x.activeAtEnd ? 'yes' : 'no',
            x.mayHaveHeldFindings !== undefined ? `may have held ${x.mayHaveHeldFindings}` : String(x.heldFindings),
          ]),
        )
      : `<p class="caption-note">No snooze held alerts back this month.</p>`,
  );
  parts.push(
    s.windows.length
      ? tableHtml(
          `Maintenance windows in ${r.label}`,
          [{ label: 'Window', nowrap: true }, { label: 'Subjects' }, { label: 'When' }, { label: 'Owner', email: true }, { label: 'Reason' }, { label: 'Active at end' }, { label: 'Findings held', num: true }],
          s.windows.map((w) => [
            `<strong>${esc(w.name)}</strong>`,
            `${esc(w.subjects.join(', '))}${w.detectors ? ` <span class="note">(${esc(w.detectors.join(', '))})</span>` : ''}`,
            w.cron ? `<code>${esc(w.cron)}</code> for ${w.durationMinutes} min${w.timezone ? ` (${esc(w.timezone)})` : ''}, until ${esc(w.until?.slice(0, 10) ?? '')}` : `${time(w.start ?? '')} to ${time(w.end ?? '')}`,
            esc(w.owner),
            esc(w.reason),
            w.activeAtEnd ? 'yes' : 'no',
            String(w.heldFindings),
          ]),
        )
      : `<p class="caption-note">No maintenance window this month.</p>`,
  );
  if (s.held.length) parts.push(`<p>Findings whose alert was held back: ${s.held.map((g) => `${esc(g.detector)} on <strong>${esc(g.subject)}</strong> ${g.held} of ${g.of}${g.mayHaveHeld ? ` for certain, ${g.mayHaveHeld} may have been` : ''} (${esc(g.by.join(', '))})`).join('; ')}.</p>`);
  return parts.join('');
}

function monitored(section: MonitoredSection, noun: string, caption: string, volume: 'runs' | 'requests'): string {
  if (section.empty) return `<p class="empty">${esc(section.empty)}</p>`;
  return tableHtml(
    caption,
    [
      { label: noun, nowrap: true },
      { label: 'Status' },
      { label: volume === 'runs' ? 'Runs' : 'Requests', num: true },
      { label: 'Findings' },
      { label: 'Worst measured' },
      { label: 'Limits' },
      { label: 'Owner', email: true },
    ],
    section.rows.map((row) => [
      `<strong>${esc(row.name)}</strong>`,
      pill(row.status, COVERAGE_LABEL[row.status]),
      esc(volumeText(row, volume)),
      row.findings ? `${row.findings}: ${row.byDetector.map((d) => `${code(d.detector)} ×${d.count}`).join(', ')}${row.note ? `<br><span class="note">${esc(row.note)}</span>` : ''}` : '0',
      row.worst.length ? row.worst.map((w, i) => `${w.of !== undefined && w.of !== row.worst[i - 1]?.of ? `${code(w.of)}<br>` : ''}${esc(w.key)} <strong>${esc(formatValue(w.value, w.unit))}</strong>`).join('<br>') : '–',
      row.limits.length ? thresholdList(row.limits) : '–',
      row.owner ? esc(row.owner) : '<em>unassigned</em>',
    ]),
  );
}

/** After the owner: where to set it, or, for a subject out of the config, where the owner shown comes from. */
function ownerNote(g: FindingGroup, r: AuditReport): string {
  const a = g.correctiveAction;
  if (a.inConfig === false) return a.owner ? ` (as of the ${esc(r.previousLabel)} report; ${esc(g.subject)} is no longer in the config)` : ` (${esc(g.subject)} is not in the config)`;
  return a.owner ? '' : ` (set ${code(a.ownerKey)})`;
}

function group(g: FindingGroup, r: AuditReport): string {
  const c = g.condition;
  const a = g.correctiveAction;
  const closed = g.status === 'resolved' || g.status === 'unverified' || g.status === 'retired';
  const before = previousCountText(r.summary.firstMonthMonitored, esc(r.previousLabel), c.previousOccurrences);
  const condition =
    c.occurrences > 0
      ? `<p>${plural(c.occurrences, 'finding')}${c.runsAffected ? ` on ${plural(c.runsAffected, 'run')}` : ''}` +
        (c.occurrences === 1 ? `: ${esc(shortTime(c.firstAt!))}.` : ` over ${plural(c.days.length, 'day')}: first ${esc(shortTime(c.firstAt!))}, last ${esc(shortTime(c.lastAt!))}.`) +
        `${before ? ` ${before}.` : ''}</p>` +
        (c.evidence.length || c.values.length
          ? `<ul>${c.evidence
              .map((s) => `<li>${code(s.key)}${s.label ? ` (${s.label})` : ''}: ${s.min === s.max ? esc(formatValue(s.min, s.unit)) : `${esc(formatValue(s.min, s.unit))} / ${esc(formatValue(s.median, s.unit))} / ${esc(formatValue(s.max, s.unit))} <span class="note">(min / median / max)</span>`}</li>`)
              .join('')}${c.values.map((v) => `<li>${code(v.key)}: ${esc(v.value)} ×${v.count}</li>`).join('')}</ul>`
          : '') +
        (c.evidenceCut ? `<p class="note">${esc(evidenceCutNote(c.evidenceCut))}</p>` : '') +
        c.examples.map((e) => `<blockquote class="example">${esc(e.text)}${e.count > 1 ? ` <span class="note">×${e.count}</span>` : ''}</blockquote>`).join('')
      : `<p>No finding in ${esc(r.label)}${before ? ` (${before})` : ''}.</p>${c.examples[0] ? `<blockquote class="example">${esc(c.examples[0].text)}</blockquote>` : ''}`;
  const list = (items: readonly string[]) => (items.length ? `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : '');
  return (
    `<article class="group ${closed ? 'closed' : g.severity}" id="${esc(g.id)}" aria-labelledby="${esc(g.id)}-h">` +
    `<header><h3 id="${esc(g.id)}-h">${sevBadge(g.severity)} <span class="title">${code(g.detector)} on ${esc(g.subject)}</span> ${pill(g.status, GROUP_STATUS_LABEL[g.status])}${a.overdue ? ` ${pill('overdue', 'overdue')}` : ''}</h3></header>` +
    `<p class="where">${esc(g.subjectKind)} · open since ${esc(g.openSince)}${a.owner ? ` · owner ${esc(a.owner)}` : ''}${a.due ? ` · due ${esc(a.due)}` : ''}</p>` +
    `<dl class="five-cs">` +
    `<dt>Criteria</dt><dd><p>${prose(g.criteria.rule)}</p>${g.criteria.thresholds.length ? `<p>Thresholds used: ${thresholdList(g.criteria.thresholds)}.</p>` : ''}${g.criteria.baseline ? `<p>Baseline: ${esc(g.criteria.baseline)}.</p>` : ''}</dd>` +
    `<dt>Condition</dt><dd>${condition}</dd>` +
    `<dt>Cause</dt><dd><p>${prose(g.cause.known)}</p>${list(g.cause.narrowed)}</dd>` +
    `<dt>Consequence</dt><dd><p>${prose(g.consequence.known)}</p>${list(g.consequence.notes)}</dd>` +
    `<dt>Corrective action</dt><dd><p>${closed ? esc(a.action) : prose(a.action)}</p><ul class="facts">` +
    `<li>Owner: <strong>${a.owner ? esc(a.owner) : 'unassigned'}</strong>${ownerNote(g, r)}</li>` +
    (a.due ? `<li>Due: <strong>${esc(a.due)}</strong>${a.overdue ? ' (overdue)' : ''}</li>` : '') +
    `<li>Status: <strong>${esc(GROUP_STATUS_LABEL[a.status])}</strong></li></ul></dd>` +
    `</dl></article>`
  );
}

function findings(r: AuditReport): string {
  if (r.findings.length === 0) return `<p class="empty">No findings in ${esc(r.label)} or ${esc(r.previousLabel)}.</p>`;
  const open = r.findings.filter((g) => g.status === 'new' || g.status === 'recurring').length;
  return `<p class="caption-note">${plural(open, 'open group')}, then ${plural(r.findings.length - open, 'group')} from ${esc(r.previousLabel)} that did not come back. One group per detector and subject.</p>${r.findings.map((g) => group(g, r)).join('')}`;
}

function appendix(r: AuditReport): string {
  const t = r.thresholds;
  return [
    `<h3>Defaults</h3>`,
    tableHtml('Default thresholds', [{ label: 'Key', nowrap: true }, { label: 'Value' }, { label: 'Set', nowrap: true }], t.defaults.map((d) => [code(d.key), esc(d.value), d.builtIn ? '<span class="note">built-in</span>' : 'in the config'])),
    `<h3>Per-subject settings</h3>`,
    t.overrides.length
      ? tableHtml('Per-subject settings', [{ label: 'Where', nowrap: true }, { label: 'Key', nowrap: true }, { label: 'Value' }], t.overrides.map((o) => [esc(o.source), code(o.key), esc(o.value)]))
      : `<p class="empty">No per-subject settings.</p>`,
    `<p>Due dates count from the report date: ${(Object.entries(t.dueDays) as [Severity, number][]).map(([s, d]) => `${esc(s)} ${d} days`).join(', ')}.</p>`,
    t.rules.length ? `<h3>Rules of the detectors that fired</h3><dl class="five-cs">${t.rules.map((x) => `<dt>${code(x.detector)}</dt><dd>${prose(x.criteria)}</dd>`).join('')}</dl>` : '',
  ].join('');
}

/** The report as a self-contained HTML page. */
export function renderHtml(r: AuditReport): string {
  const sections: Record<SectionId, string> = {
    summary: summary(r),
    coverage: coverage(r),
    exceptions: exceptions(r),
    silenced: silenced(r),
    retries: monitored(r.retries, 'Route', `Retries per route in ${r.label}`, 'requests'),
    agents: monitored(r.agents, 'Agent', `Agent budgets and costs in ${r.label}`, 'runs'),
    findings: findings(r),
    thresholds: appendix(r),
  };
  const title = `Monthly audit report: ${r.label}`;
  const notes = r.notes.length ? `<div class="notes" role="note">${r.notes.map((n) => `<p>${esc(n)}</p>`).join('')}</div>` : '';
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="silent-audit">`,
    `<title>${esc(title)} · silent-audit</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<header class="masthead"><div class="page"><p class="eyebrow">silent-audit · monthly 5 Cs audit</p><h1>${esc(title)}</h1>` +
      `<p class="meta">${esc(r.period.from.slice(0, 10))} to ${esc(r.period.to.slice(0, 10))} (UTC, end exclusive) · ${comparedWithText(r.summary.firstMonthMonitored, esc(r.previousLabel))} · generated ${esc(shortTime(r.generatedAt))}</p></div></header>`,
    `<nav class="toc" aria-label="Sections"><ol>${REPORT_SECTIONS.map((s) => `<li><a href="#${s.id}">${esc(s.title)}</a></li>`).join('')}</ol></nav>`,
    `<main class="page">${notes}`,
    ...REPORT_SECTIONS.map((s) => `<section id="${s.id}" aria-labelledby="${s.id}-h"><h2 id="${s.id}-h">${esc(s.title)}</h2>${sections[s.id]}</section>`),
    `<footer>Generated by silent-audit from the findings, run records and subject state in its store, and the exception registry. ` +
      `Statuses compare with ${esc(r.previousLabel)}; UNKNOWN is never counted as healthy. JSON and Markdown versions of this report sit beside it.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
