import type { Severity } from '../findings.ts';
import { clipUnits } from '../output-capture.ts';
import { escapeControls } from '../terminal-text.ts';
import type { DayCount } from './model.ts';
import { SEVERITIES } from './model.ts';

/**
 * Hand-written SVG bar charts for the HTML report: no script, no font, no external reference,
 * readable on paper. Every label is escaped: subjects and detector ids may come from logs.
 */

/**
 * Text as HTML or SVG text and attribute values: the markup characters as entities and, as in the
 * Markdown report, line breaks and tabs as one space and every other control and bidi character
 * shown escaped (`escapeControls`: `\x1b`, `\u202e`), so that neither `cat report.html` nor a
 * browser acts on what a log line wrote.
 */
export function escapeHtml(text: string): string {
  return escapeControls(text.replace(/[\r\n\t]+/g, ' ')).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const SEVERITY_COLOR: Readonly<Record<Severity, string>> = {
  critical: '#7f1d1d',
  high: '#dc2626',
  medium: '#b45309',
  low: '#3b82f6',
};

const AXIS = '#9aa5b1';
const GRID = '#e4e7eb';
const INK = '#3e4c59';

/** A round step for about `ticks` gridlines up to `max`: 1, 2, 5, 10, 20, 50 … */
function niceStep(max: number, ticks = 4): number {
  const raw = Math.max(1, max / ticks);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
}

/** A label cut to `max` UTF-16 units with an ellipsis, never through an emoji. */
function frame(id: string, title: string, desc: string, width: number, height: number, body: string): string {
  return (
    `<svg class="chart" role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeHtml(title)}</title><desc id="${id}-desc">${escapeHtml(desc)}</desc>${body}</svg>`
  );
}

/** Findings per day of the month, stacked by severity, weekends shaded. */
export function dayChart(days: readonly DayCount[], options: { id: string; title: string }): string {
  const width = 1040;
  const height = 230;
  const left = 36;
  const right = 8;
  const top = 14;
  const bottom = 30;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const maxTotal = Math.max(0, ...days.map((d) => d.total));
  const step = niceStep(maxTotal);
  const yMax = Math.max(step, Math.ceil(maxTotal / step) * step);
  const band = plotW / Math.max(1, days.length);
  const barW = Math.max(2, band * 0.66);
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const parts: string[] = [];

  days.forEach((d, i) => {
    const weekday = new Date(`${d.date}T00:00:00Z`).getUTCDay();
    if (weekday === 0 || weekday === 6) parts.push(`<rect x="${(left + i * band).toFixed(1)}" y="${top}" width="${band.toFixed(1)}" height="${plotH}" fill="#f3f4f6"/>`);
  });
  for (let v = 0; v <= yMax; v += step) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${v === 0 ? AXIS : GRID}" stroke-width="1"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="${INK}">${v}</text>`);
  }
  days.forEach((d, i) => {
    const x = left + i * band + (band - barW) / 2;
    let base = 0;
    const pieces = SEVERITIES.filter((s) => d.bySeverity[s] > 0)
      .map((s) => `${d.bySeverity[s]} ${s}`)
      .join(', ');
    const tip = `${d.date}: ${d.total} finding${d.total === 1 ? '' : 's'}${pieces ? ` (${pieces})` : ''}`;
    const stack: string[] = [];
    for (const s of [...SEVERITIES].reverse()) {
      const n = d.bySeverity[s];
      if (!n) continue;
      stack.push(`<rect x="${x.toFixed(1)}" y="${y(base + n).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(base) - y(base + n)).toFixed(1)}" fill="${SEVERITY_COLOR[s]}"/>`);
      base += n;
    }
    if (stack.length) parts.push(`<g><title>${escapeHtml(tip)}</title>${stack.join('')}</g>`);
    const dayNumber = Number(d.date.slice(8));
    if (dayNumber === 1 || dayNumber % 5 === 0 || i === days.length - 1) {
      parts.push(`<text x="${(left + i * band + band / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" font-size="11" fill="${INK}">${dayNumber}</text>`);
    }
  });
  if (maxTotal === 0) parts.push(`<text x="${left + plotW / 2}" y="${top + plotH / 2}" text-anchor="middle" font-size="13" fill="${INK}">No findings this month</text>`);
  const busiest = days.reduce<DayCount | undefined>((b, d) => (!b || d.total > b.total ? d : b), undefined);
  const desc = `Bar chart of findings per day from ${days[0]?.date ?? ''} to ${days[days.length - 1]?.date ?? ''}, stacked by severity; ${
    maxTotal ? `the busiest day was ${busiest?.date} with ${busiest?.total}` : 'no findings'
  }. Weekends are shaded.`;
  return frame(options.id, options.title, desc, width, height, parts.join(''));
}

/** Horizontal bars, biggest first; the rest summed in a last line. */
export function barChart(items: readonly { label: string; count: number }[], options: { id: string; title: string; color: string; limit?: number }): string {
  const limit = options.limit ?? 10;
  const shown = items.slice(0, limit);
  const rest = items.slice(limit);
  const width = 500;
  const labelW = 190;
  const valueW = 34;
  const row = 24;
  const top = 6;
  const rows = shown.length + (rest.length ? 1 : 0);
  const height = top * 2 + Math.max(1, rows) * row;
  const max = Math.max(1, ...shown.map((i) => i.count));
  const barMax = width - labelW - valueW - 8;
  const parts: string[] = [];
  shown.forEach((item, i) => {
    const yTop = top + i * row;
    const w = Math.max(2, (item.count / max) * barMax);
    parts.push(
      `<g><title>${escapeHtml(`${item.label}: ${item.count}`)}</title>` +
        `<text x="${labelW - 8}" y="${yTop + row / 2 + 4}" text-anchor="end" font-size="12" fill="${INK}">${escapeHtml(clipUnits(item.label, 26))}</text>` +
        `<rect x="${labelW}" y="${yTop + 4}" width="${w.toFixed(1)}" height="${row - 8}" rx="2" fill="${options.color}"/>` +
        `<text x="${(labelW + w + 6).toFixed(1)}" y="${yTop + row / 2 + 4}" font-size="12" fill="${INK}">${item.count}</text></g>`,
    );
  });
  const restLine = `+ ${rest.length} more (${rest.reduce((n, i) => n + i.count, 0)} findings)`;
  if (rest.length) parts.push(`<text x="${labelW}" y="${top + shown.length * row + row / 2 + 4}" font-size="12" fill="${INK}">${restLine}</text>`);
  if (shown.length === 0) parts.push(`<text x="${width / 2}" y="${top + row / 2 + 4}" text-anchor="middle" font-size="12" fill="${INK}">No findings</text>`);
  const desc = shown.length ? `Bar chart: ${shown.map((i) => `${i.label} ${i.count}`).join(', ')}${rest.length ? `; ${restLine}` : ''}.` : 'No findings.';
  return frame(options.id, options.title, desc, width, height, parts.join(''));
}
