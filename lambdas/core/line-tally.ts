import type { LineCounts } from '../ports.ts';
import type { AuditEvent } from './events.ts';
import type { ParseOutcome } from './parse/index.ts';

export interface Rejection {
  /** `file:line` or `logGroup[stream]#index`: where the user finds the line. */
  readonly where: string;
  readonly reason: string;
}

/** Keeps this many rejections verbatim; the rest are only counted. */
const MAX_KEPT_REJECTIONS = 100;

/**
 * Counts what was read (lines, events, rejected, unrecognised) and keeps the events, or, given
 * `onEvents`, hands them on as they come and keeps none (a streaming scan holds no list of all events).
 */
export class LineTally {
  readonly counts: LineCounts = { lines: 0, events: 0, rejected: 0, unrecognised: 0 };
  readonly rejections: Rejection[] = [];
  readonly events: AuditEvent[] = [];

  constructor(private readonly onEvents?: (events: readonly AuditEvent[]) => void) {}

  add(outcome: ParseOutcome, where: () => string): void {
    this.counts.lines++;
    if (outcome.kind === 'events') {
      this.counts.events += outcome.events.length;
      if (this.onEvents) this.onEvents(outcome.events);
      else for (const e of outcome.events) this.events.push(e);
    } else if (outcome.kind === 'rejected') {
      this.counts.rejected++;
      if (this.rejections.length < MAX_KEPT_REJECTIONS) this.rejections.push({ where: where(), reason: outcome.reason });
    } else {
      this.counts.unrecognised++;
    }
  }

  /** A line that could not even be read as text (counted as a line), or a whole payload refused (not a line). */
  reject(where: string, reason: string, options: { isLine: boolean } = { isLine: true }): void {
    if (options.isLine) this.counts.lines++;
    this.counts.rejected++;
    if (this.rejections.length < MAX_KEPT_REJECTIONS) this.rejections.push({ where, reason });
  }
}
