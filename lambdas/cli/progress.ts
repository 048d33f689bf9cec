import type { WriteStream } from 'node:tty';
import { formatBytes } from '../core/stats.ts';
import { escapeControls } from '../core/terminal-text.ts';

/** A one-line progress bar on a terminal (stderr), redrawn at most every 200 ms; silent elsewhere. */
export class ProgressBar {
  private done = 0;
  private lines = 0;
  private lastDraw = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream & Partial<Pick<WriteStream, 'isTTY' | 'columns'>>,
    private readonly label: string,
    private readonly total: number | undefined,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  advance(bytes: number): void {
    this.done += bytes;
  }

  line(): void {
    this.lines++;
    if (!this.enabled || (this.lines & 0x3ff) !== 0) return;
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    this.draw();
  }

  finish(): void {
    if (this.enabled && this.lastDraw > 0) this.stream.write('\r\u001b[K');
  }

  private draw(): void {
    const width = 24;
    const share = this.total ? Math.min(1, this.done / this.total) : undefined;
    const bar = share === undefined ? '' : `[${'#'.repeat(Math.round(share * width)).padEnd(width, '.')}] ${String(Math.round(share * 100)).padStart(3)}% `;
    const size = this.total ? `${formatBytes(this.done)}/${formatBytes(this.total)}` : formatBytes(this.done);
    const text = `${this.label} ${bar}${size} ${this.lines.toLocaleString('en-US')} lines`;
    // The label names a file or log group: a control in it would move the cursor off the bar's line.
    this.stream.write(`\r\u001b[K${escapeControls(text).slice(0, (this.stream.columns ?? 100) - 1)}`);
  }
}
