import { maxOf } from './stats.ts';
import { escapeControls } from './terminal-text.ts';

/**
 * A plain-text table with a header rule, columns padded to their widest cell; long cells are cut.
 * Cells hold text from logs: their control characters are shown escaped (`escapeControls`) before
 * they are measured, so that no cell moves the cursor, breaks its row or the columns' alignment.
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], maxWidths: readonly number[] = []): string {
  const cut = (s: string, i: number) => {
    const max = maxWidths[i];
    return max && s.length > max ? `${s.slice(0, max - 1)}…` : s;
  };
  const cells = [header, ...rows].map((r) => r.map((c, i) => cut(escapeControls(c), i)));
  const widths = header.map((_, i) => maxOf(cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
