import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { InvalidArgumentError } from 'commander';
import { CloudWatchReadError, type LogGroupEvent, type LogGroupQuery, readLogGroup } from '../adapters/cloudwatch-log-reader.ts';
import { CorruptInputError, InputError, openLineSource, type ReaderCommand } from '../adapters/file-lines.ts';
import { functionNameOf, functionOfStream } from '../core/envelope.ts';
import { type AuditEvent, instantContent, type LineSource, numberedRotationBase, REPEAT_NUMBERED } from '../core/events.ts';
import type { ParseOutcome } from '../core/parse/types.ts';
import { type LineTally, readableTime } from '../core/line-tally.ts';
import { cloudWatchEvents, EventLineJoiner, FILE_LINES, type JoinedEventLine, mayBeContainerRecord, outcomeOfJoined } from '../core/parse/container.ts';
import { overLong, parseLine } from '../core/parse/index.ts';
import type { WallClock } from '../core/parse/local-time.ts';
import type { Redactor } from '../core/redact.ts';
import { parseSince, SinceError } from '../core/since.ts';
import { ProgressBar } from './progress.ts';

/** One line of a scan source, with what its source knows about it besides the text. */
export interface SourceRecord {
  readonly text: string;
  /** A line over the size limit that its reader did not keep (text empty): its size in bytes, for its rejection. */
  readonly overLongBytes?: number;
  /** A line its reader rejected unread (text empty): why (a split container line joined over the size limit). */
  readonly rejected?: string;
  /** The log record's time (a CloudWatch event's timestamp, a container runtime's record), epoch ms. */
  readonly recordTime?: number;
  /** A split container line the file ended in: the records it was joined from, for its rejection (`JoinedLine`). */
  readonly unfinished?: string;
  /**
   * Set by a source whose records are not one per line (a file, whose container runtime may have
   * split a line over several): the line the record begins on, and how many lines were read so far.
   */
  readonly line?: number;
  readonly linesRead?: number;
  readonly logStream?: string;
  readonly eventId?: string;
}

/** One input of a scan: a file (or stdin), or a CloudWatch log group. */
export interface ScanSource {
  /** What to call it in messages: the path, `stdin`, or the log group. */
  readonly name: string;
  readonly kind: 'file' | 'log group';
  /** Total bytes when known (a file), for progress. */
  readonly size?: number;
  /** The job of lines that name none (Lambda platform lines): the file's base name, the function of `/aws/lambda/<name>`. */
  readonly defaultJob?: string;
  /** A file's: the file it was rotated from when its name alone does not tell (`LineSource.rotatedFrom`, `rotatedFromBeside`). */
  readonly rotatedFrom?: string;
  /** A log group's: the job of the Lambda platform lines of a stream, when its name names one (`functionOfStream`), before `defaultJob`. */
  readonly jobOfStream?: (logStream: string) => string | undefined;
  records(onBytes?: (n: number) => void): AsyncIterable<SourceRecord>;
  /** Once read, a file's: what to tell if none of its lines was recognised, its first bytes holding NULs (see LineSourceFile). */
  readonly nulBytesNote?: string;
}

/** A process substitution's path (`<(zcat app.log.gz)`: bash's `/dev/fd/63`, zsh's `/proc/self/fd/12`), or `/dev/stdin`: its name is no job's. */
const FD_PATH = /^\/(?:dev\/stdin|(?:dev|proc\/self)\/fd\/\d+)$/;

/**
 * The file a file named as logrotate's `extension .log` numbers its rotations (`app.1.log`,
 * `app.2.log.gz`) was rotated from, when that file (`app.log`) is beside it: else the name is a
 * worker's or host's own (`worker.1.log` and `worker.2.log` with no `worker.log`), and undefined.
 */
function rotatedFromBeside(path: string): string | undefined {
  const base = numberedRotationBase(path);
  return base !== undefined && existsSync(base) ? base : undefined;
}

/** Contract §1b: the job of a file's Lambda platform lines is its base name without extensions (`etl-loader.log.gz` → `etl-loader`). */
export function jobNameOfFile(path: string): string | undefined {
  if (path === '-' || FD_PATH.test(path)) return undefined;
  const name = basename(path);
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/**
 * A path (`-` for stdin, `.gz` too); throws an InputError at once for a directory or what is not a
 * file, a pipe or a device, while a path that cannot be opened fails when its lines are read
 * (`openLineSource`: an UnopenedInputError, which `scan` counts and reads past). A line a
 * container runtime wrapped is handed on unwrapped, the parts of one it split joined first.
 * `command` is the one its hints pipe a file into (`xzcat a.log.xz | silent-audit report -`).
 * `functionName` (`scan --function`) is the job of the Lambda platform lines of a stream whose
 * name names none (stdin, a process substitution).
 */
export function fileSource(path: string, stdin?: Readable, command?: ReaderCommand, functionName?: string): ScanSource {
  const file = openLineSource(path, stdin, command);
  return {
    name: file.name,
    kind: 'file',
    size: file.size,
    defaultJob: jobNameOfFile(file.name === 'stdin' ? '-' : file.name) ?? functionName,
    rotatedFrom: rotatedFromBeside(file.name),
    get nulBytesNote() {
      return file.nulBytesNote;
    },
    async *records(onBytes) {
      const joiner = new EventLineJoiner(FILE_LINES);
      let linesRead = 0;
      const recordOf = ({ joined, event: line }: JoinedEventLine<number>): SourceRecord => ('rejected' in joined ? { text: '', ...joined, line, linesRead } : { ...joined, line, linesRead });
      try {
        for await (const line of file.lines(onBytes)) {
          linesRead++;
          if (typeof line !== 'string') {
            yield { text: '', overLongBytes: line.overLongBytes, line: linesRead, linesRead };
            continue;
          }
          // A line that may be no runtime's record is handed on as it is, paying nothing for joining.
          if (!mayBeContainerRecord(line)) {
            yield { text: line, line: linesRead, linesRead };
            continue;
          }
          for (const joined of joiner.add(line, linesRead)) yield recordOf(joined);
        }
      } catch (error) {
        // A file cut short (a truncated .gz) still hands on the split line it was in, read as far as it got, before its error.
        yield* joiner.end().map(recordOf);
        throw error;
      }
      yield* joiner.end().map(recordOf);
    },
  };
}

/**
 * A log group's events between `since` and `until`, read through FilterLogEvents; a read failure is
 * an InputError. The lines a container runtime split over several events of a log stream are
 * joined as the deployed ingest joins them (EventLineJoiner, one per stream: FilterLogEvents
 * interleaves the streams), named by the event they begin in; an event that may be no runtime's
 * record is handed on as it is, paying nothing for joining. The Lambda platform lines of a group
 * whose name names no function (a custom LoggingConfig.LogGroup, `/myapp/lambdas`, which several
 * functions may share) are of the function their stream names (`functionOfStream`), else of
 * `functionName` (`scan --function`).
 */
export function logGroupSource(client: CloudWatchLogsClient, query: LogGroupQuery, functionName?: string): ScanSource {
  const groupFunction = functionNameOf(query.logGroup);
  const streamJobs = new Map<string, string | undefined>();
  return {
    name: query.logGroup,
    kind: 'log group',
    defaultJob: groupFunction ?? functionName,
    jobOfStream:
      groupFunction === undefined
        ? (logStream) => {
            if (!streamJobs.has(logStream)) streamJobs.set(logStream, functionOfStream(logStream));
            return streamJobs.get(logStream);
          }
        : undefined,
    async *records(onBytes) {
      const streams = new Map<string, StreamEvents>();
      let eventsRead = 0;
      const rest = () => [...streams.values()].flatMap((stream) => stream.end(eventsRead));
      try {
        for await (const e of readLogGroup(client, query)) {
          onBytes?.(Buffer.byteLength(e.message));
          eventsRead++;
          if (!mayBeContainerRecord(e.message)) {
            yield { text: e.message, recordTime: e.timestamp, logStream: e.logStream, eventId: e.eventId, line: eventsRead, linesRead: eventsRead };
            continue;
          }
          let stream = streams.get(e.logStream);
          if (stream === undefined) streams.set(e.logStream, (stream = new StreamEvents(e.logStream)));
          yield* stream.add(e, eventsRead);
        }
      } catch (error) {
        yield* rest();
        if (error instanceof CloudWatchReadError) throw new InputError(error.reason, { cause: error });
        throw error;
      }
      yield* rest();
    },
  };
}

/** An event of a log stream a joiner holds: its id, its time, and its number among the events read. */
interface HeldEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly ordinal: number;
}

/**
 * The events of one log stream that may be a container runtime's records, through a joiner as the
 * ingest's StreamJoin: only the events of lines still open are held (none once every line ended).
 */
class StreamEvents {
  private readonly joiner = new EventLineJoiner<HeldEvent>(cloudWatchEvents('the events read end before the line does'));

  constructor(private readonly logStream: string) {}

  add(e: LogGroupEvent, eventsRead: number): SourceRecord[] {
    return this.joiner.add(e.message, { id: e.eventId, timestamp: e.timestamp, ordinal: eventsRead }).map((line) => this.recordOf(line, eventsRead));
  }

  /** The lines still unfinished when the events run out, as far as they got. */
  end(eventsRead: number): SourceRecord[] {
    return this.joiner.end().map((line) => this.recordOf(line, eventsRead));
  }

  private recordOf({ joined, event }: JoinedEventLine<HeldEvent>, eventsRead: number): SourceRecord {
    const where = { logStream: this.logStream, eventId: event.id, line: event.ordinal, linesRead: eventsRead };
    if ('rejected' in joined) return { text: '', rejected: joined.rejected, ...where };
    return { text: joined.text, recordTime: joined.recordTime ?? event.timestamp, unfinished: joined.unfinished, ...where };
  }
}

/** `1 file`, `3 files`, `stdin`, `stdin and 1 file`, `1 file and 2 log groups`: what a scan read, for its summary line. */
export function describeSources(sources: readonly ScanSource[]): string {
  const stdin = sources.some((s) => s.kind === 'file' && s.name === 'stdin');
  const count = (kind: ScanSource['kind'], one: string, many: string) => {
    const n = sources.filter((s) => s.kind === kind && !(kind === 'file' && s.name === 'stdin')).length;
    return n === 0 ? [] : [`${n} ${n === 1 ? one : many}`];
  };
  const parts = [...(stdin ? ['stdin'] : []), ...count('file', 'file', 'files'), ...count('log group', 'log group', 'log groups')];
  return parts.length === 0 ? '0 files' : parts.join(' and ');
}

export interface ReadOptions {
  readonly year?: number;
  /** The moment "now" for year inference of syslog dates. */
  readonly now: number;
  /** Where a progress bar goes (only on a terminal). */
  readonly progress: NodeJS.WritableStream;
  /** Cleans secrets from what the lines give: `redactorFor(config)`; default the built-in rules. */
  readonly redactor?: Redactor;
}

/**
 * One record of a source (its `count`th, or the line its source says it begins on: `record.line`)
 * parsed into `tally`, where a rejection names it as the user finds it: `file:line`, or log group,
 * stream and event id. `clock`, the source's own, reads the zoneless times of a record without a
 * record time (`--timezone`, else UTC); `repeats`, the source's too, numbers a file's identical
 * lines of one instant (`LineRepeats`). True when the line gave events and a zoneless time in it
 * was read as UTC.
 */
export function readRecord(source: ScanSource, record: SourceRecord, count: number, opts: Pick<ReadOptions, 'year' | 'now' | 'redactor'>, tally: LineTally, clock?: WallClock, repeats?: LineRepeats): boolean {
  const name = source.name;
  const lineNo = record.line ?? count;
  const outcome =
    record.rejected !== undefined
      ? ({ kind: 'rejected', reason: record.rejected } as const)
      : record.overLongBytes !== undefined
      ? overLong(record.overLongBytes)
      : outcomeOfJoined(numberRepeat(parseRecord(source, record, lineNo, opts, clock), record, repeats), record.unfinished);
  tally.add(outcome, () => (record.eventId === undefined ? `${name}:${lineNo}` : `${name} ${record.logStream} event ${record.eventId}`), () => readableTime(record.text, record.recordTime));
  return outcome.kind === 'events' && clock?.readAsUtc === true;
}

/** How far back in time (ms) `LineRepeats` keeps its keys: a file of several writers may hold a line some seconds out of order. */
const REPEAT_WINDOW_MS = 60_000;
/** How many keys `LineRepeats` keeps of instants before the latest: past them the oldest instants are let go whole. */
const MAX_REPEAT_KEYS = 4096;
/**
 * How many keys `LineRepeats` keeps in all: past them the oldest key is let go, of the latest instant
 * too, so that an instant of very many distinct lines (a burst, or a file whose times are whole days)
 * does not grow them without bound (each holds its line's content).
 */
const MAX_INSTANT_KEYS = 65_536;

/**
 * Which of the lines of the same content at the same instant of one source a line is
 * (`LineSource.repeat`), for the line identity of a file (`contentIdentity`): counted on what that
 * identity reads (`instantContent`: time and content as parsed, not the raw line with its prefix), so
 * two hosts' identical lines in one syslog file, or two Lambda console lines a millisecond apart,
 * count apart. The keys of the last minute before the latest instant are kept, so a line that comes
 * back after a line of a later second (two writers of one file) is numbered on; the latest instant's
 * up to `MAX_INSTANT_KEYS`, so one that comes back after that many distinct lines of its instant is
 * numbered from 0 again (and counts as its first).
 */
export class LineRepeats {
  private latest = Number.NEGATIVE_INFINITY;
  private readonly counts = new Map<string, { readonly at: number; before: number }>();

  /** How many lines of this key at this instant came before it: 0 for the first. */
  next(key: string, at: number): number {
    if (at > this.latest) {
      this.latest = at;
      this.forget(at - REPEAT_WINDOW_MS);
    }
    const known = this.counts.get(key);
    if (known !== undefined) return known.before++;
    this.counts.set(key, { at, before: 1 });
    if (this.counts.size > MAX_REPEAT_KEYS) this.forget(this.latest, this.counts.size - MAX_REPEAT_KEYS);
    if (this.counts.size > MAX_INSTANT_KEYS) this.counts.delete(this.counts.keys().next().value as string);
    return 0;
  }

  /**
   * Lets go of the keys kept of instants before `until`, oldest first (in the order they came): all
   * of them, or, with `most`, the whole instants that hold that many (never the latest instant's keys).
   */
  private forget(until: number, most = Number.POSITIVE_INFINITY): void {
    let last: number | undefined;
    for (const [key, { at }] of this.counts) {
      if (at >= until || (most <= 0 && at !== last)) return;
      this.counts.delete(key);
      most--;
      last = at;
    }
  }
}

/** A file line's events of a type counted line by line (`REPEAT_NUMBERED`), told which of their key they are (`repeats`); a CloudWatch event's (known by its id) as parsed. */
function numberRepeat(outcome: ParseOutcome, record: SourceRecord, repeats: LineRepeats | undefined): ParseOutcome {
  if (repeats === undefined || record.eventId !== undefined || outcome.kind !== 'events') return outcome;
  let events: AuditEvent[] | undefined;
  outcome.events.forEach((e, i) => {
    if (!REPEAT_NUMBERED.has(e.body.type)) return;
    const repeat = repeats.next(instantContent(e), e.at);
    if (repeat === 0) return;
    events ??= [...outcome.events];
    events[i] = { ...e, source: { ...e.source, repeat } };
  });
  return events === undefined ? outcome : { ...outcome, events };
}

/** A record's line (its `lineNo`th) parsed, its zoneless times read by `clock`. */
function parseRecord(source: ScanSource, record: SourceRecord, lineNo: number, opts: Pick<ReadOptions, 'year' | 'now' | 'redactor'>, clock?: WallClock): ParseOutcome {
  const origin: LineSource =
    record.eventId !== undefined
      ? { origin: source.name, line: lineNo, logStream: record.logStream, eventId: record.eventId }
      : source.rotatedFrom === undefined
      ? { origin: source.name, line: lineNo }
      : { origin: source.name, line: lineNo, rotatedFrom: source.rotatedFrom };
  return parseLine(record.text, { source: origin, recordTime: record.recordTime, wallClock: resetClock(clock), year: opts.year, now: opts.now, defaultJob: (record.logStream === undefined ? undefined : source.jobOfStream?.(record.logStream)) ?? source.defaultJob, redactor: opts.redactor });
}

/**
 * When a record's line happened, as a fresh clock of its own (`clock`) reads it: its zoneless
 * time (the first instant of a repeated one), else its first event's; undefined when it names none.
 * The line is read again, in turn, by its source's clock.
 */
export function recordInstant(source: ScanSource, record: SourceRecord, opts: Pick<ReadOptions, 'year' | 'now' | 'redactor'>, clock: WallClock): number | undefined {
  if (record.rejected !== undefined || record.overLongBytes !== undefined) return undefined;
  const outcome = parseRecord(source, record, record.line ?? 0, opts, clock);
  return clock.lastRead ?? (outcome.kind === 'events' && outcome.events.length > 0 ? Math.min(...outcome.events.map((e) => e.at)) : undefined);
}

/** The clock, told that a new line begins (none of its zoneless times read as UTC yet). */
function resetClock(clock: WallClock | undefined): WallClock | undefined {
  clock?.nextLine();
  return clock;
}

/**
 * A compressed file found truncated or corrupt after `lineNo` lines: one counted rejection of the
 * line where the damage starts, naming the file and the last line read. The lines before it have
 * been read as usual; the scan goes on with the other sources.
 */
export function rejectUnreadableRest(source: ScanSource, lineNo: number, error: CorruptInputError, tally: LineTally): void {
  tally.reject(`${source.name}:${lineNo + 1}`, corruptReason(lineNo, error));
}

/** What a compressed file found truncated or corrupt after `lineNo` lines says: the damage, and how much of it was read. */
export function corruptReason(lineNo: number, error: CorruptInputError): string {
  const read = lineNo === 0 ? 'no line could be read' : `lines 1–${lineNo} were read, the rest of the file cannot be`;
  return `${error.message} (the file is truncated or corrupt: ${read})`;
}

/**
 * Reads every source line by line into `tally` (any mix of formats; a bad line is counted,
 * never thrown). A compressed file that is truncated or corrupt ends with a counted rejection
 * (`rejectUnreadableRest`). A source that cannot be read otherwise throws an InputError naming it
 * and how far it got.
 */
export async function readSources(sources: readonly ScanSource[], tally: LineTally, opts: ReadOptions): Promise<void> {
  for (const source of sources) {
    const progress = new ProgressBar(opts.progress, `scanning ${source.name}`, source.size);
    const unit = source.kind === 'file' ? 'line' : 'event';
    let lineNo = 0;
    const repeats = new LineRepeats();
    try {
      for await (const record of source.records((n) => progress.advance(n))) {
        lineNo = record.linesRead ?? lineNo + 1;
        progress.line();
        readRecord(source, record, lineNo, opts, tally, undefined, repeats);
      }
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      if (!(error instanceof CorruptInputError)) throw new InputError(`${source.name}: ${error.message} (after ${unit} ${lineNo})`, { cause: error });
      rejectUnreadableRest(source, lineNo, error, tally);
    } finally {
      progress.finish();
    }
  }
}

/** Commander's parser for `--since`: epoch ms, or a usage error saying what is expected. */
export function sinceOption(value: string): number {
  try {
    return parseSince(value, Date.now());
  } catch (error) {
    if (error instanceof SinceError) throw new InvalidArgumentError(error.reason);
    throw error;
  }
}

/** Commander's collector for a repeatable `--log-group NAME`. */
export function collectLogGroups(value: string, previous: readonly string[] = []): string[] {
  if (!/^[\w./#-]+$/.test(value)) throw new InvalidArgumentError('not a log group name (letters, digits, and _ - / . #)');
  // A group given twice is read once: its lines would count twice.
  return previous.includes(value) ? [...previous] : [...previous, value];
}
