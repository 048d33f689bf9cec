import type { AuditEvent, EventBody, LineSource } from '../events.ts';
import type { Redactor } from '../redact.ts';
import type { StreamZones, WallClock } from './local-time.ts';

/** What the reader knows about a line besides its text. */
export interface LineContext {
  readonly source: LineSource;
  /** The log record's time (CloudWatch event timestamp), epoch ms; absent in a plain file. */
  readonly recordTime?: number;
  /**
   * The line as written, when the line parsed was rebuilt from it (an object `message` of Lambda's
   * JSON log format, re-serialised): where a number's text is as the logger wrote it.
   */
  readonly writtenLine?: string;
  /**
   * The time field of the logger's record that wrapped the line (`loggedRecord`), when it gave no time (python-json-logger's
   * zoneless `asctime`, zerolog's epoch seconds): named in the rejection of an event without `ts` that it leaves with no time.
   */
  readonly loggerTimeField?: LoggerTimeField;
  /** The zoneless times of the other lines of this line's delivery (one log stream), which decide whether a gap behind the record is a zone. */
  readonly zones?: StreamZones;
  /** Without a record time (a file): how its zoneless times are read, in its hosts' zone (`--timezone`) or as UTC, counted; absent, as UTC. */
  readonly wallClock?: WallClock;
  /** Year for syslog dates, which carry none (`--year`). */
  readonly year?: number;
  /** The moment "now" for year inference of syslog dates (a date in the future steps back a year). */
  readonly now?: number;
  /** The job a format without its own job name refers to: Lambda function, file base name. */
  readonly defaultJob?: string;
  /** Cleans secrets from what the line gives (events, rejection reasons); default: the built-in rules (`redactorFor(config)` adds the config's). */
  readonly redactor?: Redactor;
}

/** A logger's time field as its record holds it: its key and value. */
export interface LoggerTimeField {
  readonly key: string;
  readonly value: unknown;
}

export type ParseOutcome =
  | {
      readonly kind: 'events';
      readonly events: AuditEvent[];
      /**
       * Part of the line looked like ours but was invalid (a broken span of an OTLP batch, whose
       * other spans give `events`): the reason. The line counts as rejected; its events are kept.
       */
      readonly rejected?: string;
    }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'unrecognised' };

/**
 * One input format (contract §1). `parse` returns `undefined` when the line is not of its
 * format, so the next parser may try; a line that is of its format but invalid is `rejected`.
 * Parsers never throw.
 */
export interface LineParser {
  readonly format: string;
  parse(line: string, ctx: LineContext): ParseOutcome | undefined;
}

export const UNRECOGNISED: ParseOutcome = { kind: 'unrecognised' };

export function eventsOf(format: string, ctx: LineContext, at: number, ...bodies: EventBody[]): ParseOutcome {
  // One body (almost every line): an array literal, no closure and mapped array per line.
  if (bodies.length === 1) return { kind: 'events', events: [{ at, body: bodies[0], source: ctx.source, format }] };
  return { kind: 'events', events: bodies.map((body) => ({ at, body, source: ctx.source, format })) };
}
