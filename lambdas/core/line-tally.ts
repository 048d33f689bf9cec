import type { LineCounts } from '../ports.ts';
import type { AuditEvent } from './events.ts';
import type { ParseOutcome } from './parse/index.ts';
import { NO_FUNCTION_NAME } from './parse/lambda-platform.ts';
import { MAX_AHEAD_OF_RECORD_MS } from './parse/local-time.ts';
import { parseTime, utcMonth } from './parse-time.ts';

export interface Rejection {
  /** `file:line` or `logGroup[stream]#index`: where the user finds the line. */
  readonly where: string;
  readonly reason: string;
}

/** An ISO-8601 time with its zone (`2026-10-05T01:10:00Z`, `…+02:00`), as a rejected line may give one whatever made it invalid. */
const ZONED_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/;

/** A line's own `"ts"` value, as the instrumented format gives it: a text or epoch ms. */
const OWN_TS = /"ts"\s*:\s*(?:"([^"]*)"|(\d+)[,}\s])/;

/**
 * The time a rejected line gives, epoch ms, for the month a report counts it in, as its events
 * would be dated: its own `"ts"` (a zoned text or epoch ms), unless that lies over
 * `MAX_AHEAD_OF_RECORD_MS` after its record's (a CloudWatch event's timestamp, an `aws logs tail`
 * prefix: the writer's clock is wrong); else its record's; else the first time with a zone in its
 * text. Undefined when it gives none (a time without a zone is not read: its month depends on a
 * zone the line does not give). Read on the rejection path only.
 */
export function readableTime(text: string, recordTime?: number): number | undefined {
  const found = ZONED_TIME.exec(text);
  const record = recordTime !== undefined && Number.isFinite(recordTime) ? recordTime : found?.index === 0 ? zonedTime(found[0]) : undefined;
  const ts = OWN_TS.exec(text);
  const own = ts === null ? undefined : ts[2] !== undefined ? dated(Number(ts[2])) : zonedTime(ts[1]);
  if (own !== undefined && (record === undefined || own - record <= MAX_AHEAD_OF_RECORD_MS)) return own;
  return (record === undefined ? undefined : dated(record)) ?? (found ? zonedTime(found[0]) : undefined);
}

/** `text` read as a time when it has a zone; undefined otherwise. */
function zonedTime(text: string): number | undefined {
  if (!ZONED_TIME.test(text)) return undefined;
  return dated(parseTime(text));
}

/** `at` when a month can be named for it (years 0000–9999, as isoTime writes them); a line rejected for its time may give any number. */
function dated(at: number): number | undefined {
  return at >= 0 && at < YEAR_10000_MS ? at : undefined;
}

const YEAR_10000_MS = Date.UTC(10000, 0, 1);

/** Keeps this many rejections verbatim; the rest are only counted. */
const MAX_KEPT_REJECTIONS = 100;

/** Counts of nothing read yet. */
export function emptyCounts(): LineCounts {
  return { lines: 0, events: 0, eventLines: 0, nothingToJudge: 0, rejected: 0, unrecognised: 0 };
}

/** The sum of several counts (deliveries of a demo month, say). */
export function addCounts(all: readonly LineCounts[]): LineCounts {
  const sum = emptyCounts();
  for (const c of all) for (const key of Object.keys(sum) as (keyof LineCounts)[]) sum[key] += c[key];
  return sum;
}

const number = (n: number) => n.toLocaleString('en-US');

/** `2,000 lines`, `1 line`. */
export function linesCount(n: number): string {
  return `${number(n)} ${n === 1 ? 'line' : 'lines'}`;
}

/**
 * What the lines gave, in parts that add up to the lines read: `19 with events (19 events), 43
 * recognised with nothing to judge, 0 rejected, 1,938 unrecognised` (the part with nothing to judge
 * only when there is one).
 */
export function describeCounts(c: LineCounts): string {
  const parts = [`${number(c.eventLines)} with events (${number(c.events)} ${c.events === 1 ? 'event' : 'events'})`];
  if (c.nothingToJudge > 0) parts.push(`${number(c.nothingToJudge)} recognised with nothing to judge`);
  parts.push(`${number(c.rejected)} rejected`, `${number(c.unrecognised)} unrecognised`);
  return parts.join(', ');
}

/**
 * Counts what was read (lines, the events and the lines that gave them, the lines recognised that
 * give none, rejected, unrecognised) and keeps the events, or, given `onEvents`, hands them on as
 * they come and keeps none (a streaming scan holds no list of all events). A line rejected in part
 * (an OTLP batch with a broken span) counts as rejected, and its other events count and are kept.
 */
export class LineTally {
  readonly counts: LineCounts = emptyCounts();
  readonly rejections: Rejection[] = [];
  readonly events: AuditEvent[] = [];
  /** The time each of `rejections` gives (`readableTime`), in their order; undefined for one that gives none. */
  readonly rejectionTimes: (number | undefined)[] = [];
  /** The rejected lines by the UTC month (`YYYY-MM`) of the time they give; those that give none are in no month. */
  readonly rejectedByMonth = new Map<string, number>();
  /** Of the rejected lines, the Lambda platform lines rejected because nothing named their function (`NO_FUNCTION_NAME`). */
  unnamedLambdaLines = 0;

  constructor(private readonly onEvents?: (events: readonly AuditEvent[]) => void) {}

  /** `timeOf`: the time the line gives (`readableTime`), asked only of a line rejected whole. */
  add(outcome: ParseOutcome, where: () => string, timeOf?: () => number | undefined): void {
    this.counts.lines++;
    if (outcome.kind === 'events') {
      // A line rejected in part counts as rejected, and the events of its valid part are kept.
      if (outcome.rejected !== undefined) this.keepRejection(where, outcome.rejected, outcome.events[0]?.at);
      else if (outcome.events.length === 0) this.counts.nothingToJudge++;
      else this.counts.eventLines++;
      this.counts.events += outcome.events.length;
      if (this.onEvents) this.onEvents(outcome.events);
      else for (const e of outcome.events) this.events.push(e);
    } else if (outcome.kind === 'rejected') {
      this.keepRejection(where, outcome.reason, timeOf?.());
    } else {
      this.counts.unrecognised++;
    }
  }

  /**
   * Lines counted with one event each that the reducers told were none of the subject's own (`BatchResult.otherFunctionLines`:
   * a Lambda exit line an app printed for another function's invocation): counted unrecognised instead.
   */
  unrecognisedAfterAll(lines: number | undefined): void {
    if (!lines) return;
    this.counts.eventLines -= lines;
    this.counts.events -= lines;
    this.counts.unrecognised += lines;
  }

  private keepRejection(where: () => string, reason: string, at: number | undefined): void {
    if (reason.startsWith(NO_FUNCTION_NAME)) this.unnamedLambdaLines++;
    this.keep(where(), reason, at);
  }

  private keep(where: string, reason: string, at: number | undefined): void {
    this.counts.rejected++;
    if (at !== undefined) {
      const month = utcMonth(at);
      this.rejectedByMonth.set(month, (this.rejectedByMonth.get(month) ?? 0) + 1);
    }
    if (this.rejections.length < MAX_KEPT_REJECTIONS) {
      this.rejections.push({ where, reason });
      this.rejectionTimes.push(at);
    }
  }

  /** A line that could not even be read as text (counted as a line), or a whole payload refused (not a line). */
  reject(where: string, reason: string, options: { isLine: boolean } = { isLine: true }): void {
    if (options.isLine) this.counts.lines++;
    this.keep(where, reason, undefined);
  }
}
