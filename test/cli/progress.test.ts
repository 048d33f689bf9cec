import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressBar } from '../../lambdas/cli/progress.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';

const tmp = mkdtempSync(join(tmpdir(), 'progress-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** A stream that keeps what is written to it; a terminal when `tty` says so. */
function screen(tty: boolean, columns?: number) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  if (tty) stream.isTTY = true;
  if (columns !== undefined) stream.columns = columns;
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
  return { stream, text: () => written };
}

/** Draws: what each `\r\x1b[K` (return, clear line) started. */
const draws = (text: string) => text.split('\r\u001b[K').slice(1);

function lines(bar: ProgressBar, count: number) {
  for (let i = 0; i < count; i++) bar.line();
}

describe('ProgressBar', () => {
  it('redraws one line on a terminal every 1,024 lines, at most every 200 ms, and clears it when done', async () => {
    // Prepare: a 10 MB source, a clock held still and then moved on
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const out = screen(true, 120);
    const bar = new ProgressBar(out.stream, 'scanning fleet.log', 10_000_000);

    // Act
    bar.advance(2_500_000);
    lines(bar, 1023);
    await new Promise((r) => setImmediate(r));
    const beforeFirst = out.text();
    bar.line(); // line 1,024: drawn
    lines(bar, 1024); // line 2,048: the clock has not moved, not drawn
    now += 250;
    bar.advance(2_500_000);
    lines(bar, 1024); // line 3,072: drawn
    bar.finish();
    await new Promise((r) => setImmediate(r));

    // Assess
    expect(beforeFirst).toBe('');
    expect(draws(out.text())).toEqual([
      'scanning fleet.log [######..................]  25% 2.4 MiB/9.5 MiB 1,024 lines',
      'scanning fleet.log [############............]  50% 4.8 MiB/9.5 MiB 3,072 lines',
      '',
    ]);
  });

  it('writes nothing where stderr is not a terminal (a pipe, a file, CI)', async () => {
    // Prepare
    const out = screen(false);
    const bar = new ProgressBar(out.stream, 'scanning fleet.log', 1000);

    // Act
    bar.advance(1000);
    lines(bar, 10_000);
    bar.finish();
    await new Promise((r) => setImmediate(r));

    // Assess
    expect(bar.enabled).toBe(false);
    expect(out.text()).toBe('');
  });

  it('shows bytes and lines without a bar when the size is unknown (stdin), cut to the terminal width', async () => {
    // Prepare
    const wide = screen(true, 200);
    const narrow = screen(true, 30);
    const bars = [new ProgressBar(wide.stream, 'scanning -', undefined), new ProgressBar(narrow.stream, 'scanning a-very-long-file-name.log', 4096)];

    // Act
    for (const bar of bars) {
      bar.advance(3 * 1024 * 1024);
      lines(bar, 1024);
    }
    await new Promise((r) => setImmediate(r));

    // Assess
    expect(draws(wide.text())).toEqual(['scanning - 3.0 MiB 1,024 lines']);
    expect(draws(narrow.text())).toEqual(['scanning a-very-long-file-nam']);
  });
});

describe('ProgressBar with a file name from the command line or a log group', () => {
  it('shows the control characters of its label escaped, so the bar stays on its line', async () => {
    // Prepare
    const out = screen(true, 200);
    const bar = new ProgressBar(out.stream, 'scanning app\u001b[1A\rx.log', undefined);

    // Act
    bar.advance(1024);
    lines(bar, 1024);
    await new Promise((r) => setImmediate(r));

    // Assess
    expect(draws(out.text())).toEqual(['scanning app\\x1b[1A\\x0dx.log 1.0 KiB 1,024 lines']);
  });
});

describe('scan shows its progress on a terminal', () => {
  // A file of 5,000 run lines of an hourly job, so the bar is drawn at least once (every 1,024 lines).
  const file = join(tmp, 'nightly.log');
  const start = Date.parse('2026-10-01T00:00:00Z');
  const body = Array.from({ length: 2500 }, (_, i) => {
    const at = start + i * 3_600_000;
    const ts = (ms: number) => new Date(ms).toISOString();
    return `{"type":"run.start","ts":"${ts(at)}","job":"nightly","run_id":"r${i}"}\n{"type":"run.end","ts":"${ts(at + 60_000)}","job":"nightly","run_id":"r${i}","exit_code":0,"output_bytes":100}\n`;
  }).join('');
  writeFileSync(file, body);

  it.each([
    ['a terminal', true],
    ['a pipe', false],
  ])('on %s', async (_, tty) => {
    // Prepare
    const err = screen(tty, 200);
    const stdout = new PassThrough();
    stdout.resume();

    // Act
    await runScan({ paths: [file], config: DEFAULT_CONFIG, json: true, stdout, stderr: err.stream });
    await new Promise((r) => setImmediate(r));

    // Assess
    const shown = draws(err.text());
    if (!tty) {
      expect(err.text()).not.toContain('\r');
      return;
    }
    expect(shown.length).toBeGreaterThanOrEqual(2);
    expect(shown[0]).toMatch(new RegExp(`^scanning ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\[[#.]{24}\\] +\\d+% [\\d.]+ KiB/${(statSync(file).size / 1024).toFixed(0)}`));
    expect(shown[0]).toMatch(/ 1,024 lines$/);
    // The bar is cleared before the summary is written on the same stream.
    expect(shown.at(-1)).toMatch(/^0 findings in 5,000 lines from 1 file/);
  });
});
