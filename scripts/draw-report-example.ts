/**
 * Draws docs/report-example.svg, the README's picture of the monthly report, from the report JSON
 * the demo writes (`npm start`: out/report-2026-10.json): the HTML report's masthead, headline,
 * key-number cards (`kpiCards`, as the HTML shows them) and "Look at first", in plain SVG (no
 * browser, no font, no script). Run it after the demo: `npm run docs:report-example [report.json] [out.svg]`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { AuditReport } from '../lambdas/core/report/model.ts';
import { comparedWithText, shortTime } from '../lambdas/core/report/format.ts';
import { kpiCards } from '../lambdas/core/report/render-html.ts';
import { escapeHtml, SEVERITY_COLOR } from '../lambdas/core/report/svg-charts.ts';

const WIDTH = 960;
const PAD = 28;
const FONT = 'font-family="-apple-system, BlinkMacSystemFont, \'Segoe UI\', Roboto, \'Helvetica Neue\', Arial, \'Liberation Sans\', sans-serif"';
const INK = '#1f2933';
const MUTED = '#52606d';
const LINE = '#e4e7eb';
const DOWN = '#047857';

/** What XML 1.0 forbids and escapeHtml (its escapeControls) leaves: U+FFFE, U+FFFF and a lone surrogate. */
const NOT_XML_CHAR = /[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text from the report (names and messages from logs) as SVG text: a control character shown
 * escaped as the terminal shows it (`\x07`: XML 1.0 forbids it), a character XML cannot
 * hold as U+FFFD, and the markup characters escaped: escapeHtml, after U+FFFD.
 */
function esc(text: string): string {
  return escapeHtml(text.replace(NOT_XML_CHAR, '\ufffd'));
}

/** Words of `text` in lines of at most `max` characters (a word longer than that on a line of its own). */
function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

function text(x: number, y: number, size: number, fill: string, body: string, extra = ''): string {
  return `<text x="${x}" y="${y}" font-size="${size}" fill="${fill}"${extra ? ` ${extra}` : ''}>${body}</text>`;
}

export function reportExampleSvg(r: AuditReport): string {
  const parts: string[] = [];
  // Masthead, as the HTML report's.
  parts.push(`<rect width="${WIDTH}" height="112" fill="#102a43"/>`);
  parts.push(text(PAD, 34, 12, '#9fb3c8', 'SILENT-AUDIT · MONTHLY 5 CS AUDIT', 'letter-spacing="1"'));
  parts.push(text(PAD, 68, 28, '#f0f4f8', esc(`Monthly audit report: ${r.label}`), 'font-weight="650"'));
  const meta = `${r.period.from.slice(0, 10)} to ${r.period.to.slice(0, 10)} (UTC, end exclusive) · ${comparedWithText(r.summary.firstMonthMonitored, r.previousLabel)} · generated ${shortTime(r.generatedAt)}`;
  parts.push(text(PAD, 94, 14, '#bcccdc', esc(meta)));
  let y = 140;
  for (const line of wrap(r.summary.headline, 100)) {
    parts.push(text(PAD, y, 16, INK, esc(line)));
    y += 22;
  }
  // The key numbers: three cards a row.
  const gap = 12;
  const cardWidth = Math.floor((WIDTH - 2 * PAD - 2 * gap) / 3);
  const cardHeight = 88;
  y += 4;
  kpiCards(r).forEach((card, i) => {
    const x = PAD + (i % 3) * (cardWidth + gap);
    const top = y + Math.floor(i / 3) * (cardHeight + gap);
    parts.push(`<rect x="${x}" y="${top}" width="${cardWidth}" height="${cardHeight}" rx="10" fill="#fff" stroke="${LINE}"/>`);
    parts.push(text(x + 14, top + 22, 13, MUTED, esc(card.label)));
    parts.push(text(x + 14, top + 56, 28, card.warn ? SEVERITY_COLOR.high : INK, String(card.value), 'font-weight="650"'));
    const arrow = card.trend
      ? `<tspan fill="${card.trend.direction === 'up' ? SEVERITY_COLOR.high : card.trend.direction === 'down' ? DOWN : MUTED}">${esc(card.trend.arrow)}</tspan> `
      : '';
    parts.push(text(x + 14, top + 76, 13, MUTED, `${arrow}${esc(card.detail)}`));
  });
  y += 2 * cardHeight + gap + 34;
  if (r.summary.highlights.length > 0) {
    parts.push(text(PAD, y, 17, INK, 'Look at first', 'font-weight="650"'));
    y += 26;
    r.summary.highlights.forEach((h, i) => {
      for (const line of wrap(`${i + 1}. ${h}`, 110)) {
        parts.push(text(PAD, y, 14, INK, esc(line)));
        y += 20;
      }
      y += 2;
    });
  }
  const height = y + 8;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${esc(`The top of the ${r.label} report: ${r.summary.headline}`)}" ${FONT}>\n` +
    `<rect width="${WIDTH}" height="${height}" fill="#f5f7fa"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [input = 'out/report-2026-10.json', output = 'docs/report-example.svg'] = process.argv.slice(2);
  writeFileSync(output, reportExampleSvg(JSON.parse(readFileSync(input, 'utf8')) as AuditReport));
  process.stderr.write(`Wrote ${output} from ${input}\n`);
}
