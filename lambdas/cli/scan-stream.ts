import { CorruptInputError, InputError, UnopenedInputError, UnreadableInputError } from '../adapters/file-lines.ts';
import type { Config } from '../config.ts';
import type { AuditEvent } from '../core/events.ts';
import { FirstPasses, WallClock } from '../core/parse/local-time.ts';
import { LineTally } from '../core/line-tally.ts';
import type { SubjectReducer } from '../core/pipeline.ts';
import type { Redactor } from '../core/redact.ts';
import { AUDIT_GRACE_MS } from '../core/audit-trail-reducer.ts';
import { awaitsLaterLine, ERROR_TYPE_LOOKAHEAD_MS, jobReducer } from '../core/job-reducer.ts';
import { isAttempt, SWEEP_MARGIN_MS } from '../core/route-reducer.ts';
import { ProgressBar } from './progress.ts';
import { corruptReason, LineRepeats, readRecord, recordInstant, rejectUnreadableRest, type ScanSource, type SourceRecord } from './scan-sources.ts';

/**
 * The streaming half of `scan`: every source is read line by line, its lines parsed into events
 * as they arrive, and the sources merged by event time (a k-way merge) into chunks that are handed
 * on in time order, so the pipeline runs its detectors in time order (contract §5) without ever
 * holding all events.
 *
 * Each source is assumed to be in time order, which log files are. The merge always reads from
 * the source that is furthest behind (the smallest time read so far, its "head"), and hands on
 * the events older than every source's head: no source can still bring an older one. A source
 * that is not in time order still works: its late events go into the next chunk, which the
 * pipeline sorts, so order holds within a chunk but not across chunks for those events (they are
 * counted as `late`).
 */

/** Default events per chunk: large enough that a chunk is a good batch, small enough to stay flat. */
export const DEFAULT_CHUNK_EVENTS = 10_000;
/** Events of the previous chunks that `enrich` may look back at (cron's discard line, 10 minutes). */
export const CONTEXT_MS = 15 * 60_000;
export const CONTEXT_EVENTS = 2_000;
/**
 * How late an event may come without its findings at risk: the pipeline waits this long for lines
 * still on their way (a route's requests, SWEEP_MARGIN_MS; a run's audit lines, AUDIT_GRACE_MS)
 * and `enrich` looks back as far (CONTEXT_MS); the jobs' redelivery check allows an hour. Lines of
 * several threads or hosts a second or a minute out of order are late by less; a file whose parts
 * are not in time order (`cat app.log app.log.1`) by more.
 */
export const LATE_TOLERANCE_MS = Math.min(SWEEP_MARGIN_MS, AUDIT_GRACE_MS, CONTEXT_MS);

export interface MergeStats {
  /** Chunks handed on. */
  chunks: number;
  /** The most events held at once: buffered in the merge plus the chunk being processed. */
  maxHeldEvents: number;
  /** Events that came after a later event of their own source had been handed on. */
  late: number;
  /** Those of them that came more than `LATE_TOLERANCE_MS` behind: their findings may be missing. */
  lateBeyondTolerance: number;
  /** How far the latest-coming of those lay behind what had been handed on, ms (0: none late). */
  maxLateMs: number;
  /** The latest event time seen, epoch ms (0: none). */
  latest: number;
  /** Route attempts seen (0: a log of no route, whose request counts nothing can inflate). */
  attempts: number;
}

/**
 * Where the logs that carry each job's lines end: the latest event read from any of the sources
 * (files, log groups, stdin) its lines came from; for a job no line read named, known from a
 * store, its latest line stored (`noteStored`). A job whose logs end before the scan's time (its
 * file ends years before another file's lines, or before `--now`) has its missed runs after that
 * end reported as one finding with their count, not one per expected start.
 */
export class JobLogsEnd {
  /** The latest event read from each source (`-Infinity`: none yet). */
  private readonly heads: number[] = [];
  /** The sources each job's lines came from (usually one). */
  private readonly sourcesOf = new Map<string, number[]>();
  /** The latest line stored of each job no line read named (its state's `lastSeenAt`). */
  private readonly storedEnds = new Map<string, number>();

  /** Notes the latest line a store holds of `job`, which no line read named. */
  noteStored(job: string, lastSeenAt: number): void {
    if (!this.sourcesOf.has(job)) this.storedEnds.set(job, lastSeenAt);
  }

  /** Whether a line read named `job`. */
  read(job: string): boolean {
    return this.sourcesOf.has(job);
  }

  /** Notes that `job`'s line came from `source`. */
  noteJob(source: number, job: string): void {
    const list = this.sourcesOf.get(job);
    if (list === undefined) this.sourcesOf.set(job, [source]);
    else if (list[list.length - 1] !== source && !list.includes(source)) list.push(source);
  }

  /** Notes the latest event read from `source` so far. */
  noteHead(source: number, at: number): void {
    if (!(at <= (this.heads[source] ?? Number.NEGATIVE_INFINITY))) this.heads[source] = at;
  }

  /** The latest event of the sources `job`'s lines came from, else its latest line stored; undefined for a job neither names. */
  endOf(job: string): number | undefined {
    const list = this.sourcesOf.get(job);
    if (list === undefined) return this.storedEnds.get(job);
    let end = Number.NEGATIVE_INFINITY;
    for (const source of list) end = Math.max(end, this.heads[source] ?? Number.NEGATIVE_INFINITY);
    return end;
  }
}

interface SourceBuffer {
  readonly index: number;
  /** Events read and not handed on yet, in the order read. */
  events: AuditEvent[];
  /** Whether `events` is in time order (then the ready ones are a prefix). */
  sorted: boolean;
  /** The latest event time read from this source: nothing older is expected from it. */
  head: number;
  done: boolean;
}

/**
 * Merges the events of several sources into time-ordered chunks. Feed it with `add` (events of one
 * source, in the order read) and `sourceDone`; `takeReady` hands out what is ready.
 */
export class TimeOrderedMerger {
  readonly stats: MergeStats = { chunks: 0, maxHeldEvents: 0, late: 0, lateBeyondTolerance: 0, maxLateMs: 0, latest: 0, attempts: 0 };
  private readonly buffers: SourceBuffer[];
  private held = 0;
  private handedUpTo = Number.NEGATIVE_INFINITY;
  private context: AuditEvent[] = [];

  constructor(
    sources: number,
    private readonly jobLogs?: JobLogsEnd,
  ) {
    this.buffers = Array.from({ length: sources }, (_, index) => ({ index, events: [], sorted: true, head: Number.NEGATIVE_INFINITY, done: false }));
  }

  /** Events held now (buffered, not handed on). */
  get heldEvents(): number {
    return this.held;
  }

  add(source: number, events: readonly AuditEvent[]): void {
    const buffer = this.buffers[source];
    for (const event of events) {
      const last = buffer.events.length > 0 ? buffer.events[buffer.events.length - 1].at : Number.NEGATIVE_INFINITY;
      if (event.at < last) buffer.sorted = false;
      if (event.at < this.handedUpTo) {
        this.stats.late++;
        if (this.handedUpTo - event.at > LATE_TOLERANCE_MS) this.stats.lateBeyondTolerance++;
        this.stats.maxLateMs = Math.max(this.stats.maxLateMs, this.handedUpTo - event.at);
      }
      buffer.events.push(event);
      if (event.at > buffer.head) buffer.head = event.at;
      if (event.at > this.stats.latest) this.stats.latest = event.at;
      if (isAttempt(event)) this.stats.attempts++;
      if (this.jobLogs !== undefined) {
        const job = jobReducer.subjectOf(event);
        if (job !== undefined) this.jobLogs.noteJob(source, job);
      }
    }
    this.jobLogs?.noteHead(source, buffer.head);
    this.held += events.length;
    this.noteHeld(0);
  }

  sourceDone(source: number): void {
    this.buffers[source].done = true;
  }

  /** Tells where a source not read yet begins: nothing older is expected from it. */
  beginsAt(source: number, at: number): void {
    const buffer = this.buffers[source];
    if (at > buffer.head) buffer.head = at;
  }

  /** The source to read next: the unfinished one furthest behind; undefined when all are done. */
  nextSource(): number | undefined {
    let pick: SourceBuffer | undefined;
    for (const b of this.buffers) if (!b.done && (pick === undefined || b.head < pick.head)) pick = b;
    return pick?.index;
  }

  /** The time before which every event has been read: the smallest head of the unfinished sources. */
  watermark(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const b of this.buffers) if (!b.done && b.head < min) min = b.head;
    return min;
  }

  /**
   * The events older than the watermark (all of them when `all`), in time order (stable: sources
   * in the order given, each in the order read), taken out of the buffers, but for those from a
   * line whose batch must go on after it (`cutBefore`); with the events of earlier chunks that
   * `enrich` may look back at.
   */
  takeReady(all = false): { events: AuditEvent[]; context: readonly AuditEvent[] } {
    const until = all ? Number.POSITIVE_INFINITY : this.cutBefore(this.watermark());
    const ready: AuditEvent[] = [];
    for (const b of this.buffers) {
      if (b.events.length === 0) continue;
      if (b.sorted) {
        let n = 0;
        while (n < b.events.length && b.events[n].at < until) n++;
        if (n === 0) continue;
        for (let i = 0; i < n; i++) ready.push(b.events[i]);
        b.events = n === b.events.length ? [] : b.events.slice(n);
      } else {
        const keep: AuditEvent[] = [];
        for (const e of b.events) (e.at < until ? ready : keep).push(e);
        b.events = keep;
        b.sorted = keep.every((e, i) => i === 0 || keep[i - 1].at <= e.at);
      }
    }
    ready.sort((a, b) => a.at - b.at);
    const context = this.context;
    if (ready.length > 0) {
      this.stats.chunks++;
      const lastAt = ready[ready.length - 1].at;
      if (lastAt > this.handedUpTo) this.handedUpTo = lastAt;
      const recent = [...context, ...ready.slice(-CONTEXT_EVENTS)].filter((e) => e.at >= lastAt - CONTEXT_MS);
      this.context = recent.slice(-CONTEXT_EVENTS);
    }
    return { events: ready, context };
  }

  /**
   * Where to cut the events older than `watermark` so that the chunk judges them as one batch of
   * the whole log would: before the earliest line that takes what a line up to
   * ERROR_TYPE_LOOKAHEAD_MS after it, perhaps not read yet, says in its batch (a Lambda run the
   * runtime's Invoke Error line fails takes its REPORT's error type, a failure line the reason of an
   * error its function logged just before: `awaitsLaterLine`). That line
   * and those after it wait for the next chunk, by which time more has been read.
   */
  private cutBefore(watermark: number): number {
    const from = watermark - ERROR_TYPE_LOOKAHEAD_MS;
    let cut = watermark;
    for (const b of this.buffers) {
      for (let i = b.events.length - 1; i >= 0; i--) {
        const e = b.events[i];
        if (e.at < from) {
          if (b.sorted) break;
        } else if (e.at < cut && awaitsLaterLine(e)) cut = e.at;
      }
    }
    return cut;
  }

  /** Records that `inFlight` events taken out are being processed, for the high-water mark. */
  noteHeld(inFlight: number): void {
    const now = this.held + inFlight;
    if (now > this.stats.maxHeldEvents) this.stats.maxHeldEvents = now;
  }

  /** Takes events out of the count once handed on. */
  release(count: number): void {
    this.held -= count;
  }
}

/**
 * What `enrich` (e.g. which cron job a "discarding output" line belongs to) would have filled in
 * had the chunk been one batch with what came before: each reducer's `enrich` runs over the
 * earlier events kept as context and the chunk, and the chunk's part is kept. `enrich` must give
 * the same answer when run again on its own output (the pipeline runs it once more).
 */
export function enrichWithContext(events: readonly AuditEvent[], context: readonly AuditEvent[], reducers: readonly SubjectReducer<unknown>[], config: Config): readonly AuditEvent[] {
  if (context.length === 0 || !reducers.some((r) => r.enrich)) return events;
  let all: readonly AuditEvent[] = [...context, ...events];
  for (const reducer of reducers) if (reducer.enrich) all = reducer.enrich(all, config);
  return all.slice(context.length);
}

export interface StreamOptions {
  readonly year?: number;
  /** The moment "now" for year inference of syslog dates: the clock, or a later `--now` (never an earlier one). */
  readonly now: number;
  /** Where the progress bar goes (only on a terminal). */
  readonly progress: NodeJS.WritableStream;
  /** @default DEFAULT_CHUNK_EVENTS */
  readonly chunkEvents?: number;
  /** Cleans secrets from what the lines give: `redactorFor(config)`; default the built-in rules. */
  readonly redactor?: Redactor;
  /** The IANA zone the zoneless times of lines without a record time are read in (`--timezone`); default UTC. */
  readonly timeZone?: string;
  /**
   * A file that cannot be opened (no such file, permission denied: UnopenedInputError) is counted
   * and the others read (`scan`); else it is an InputError naming it (`report`, `init`, `mcp`:
   * what they make is never without a file the user named).
   */
  readonly readPastUnopened?: boolean;
  /** Filled with where the sources that carry each job's lines end, as they are read. */
  readonly jobLogs?: JobLogsEnd;
}

/** What one source gave: enough to say when it gave nothing the scan could judge. */
export interface SourceReadout {
  readonly name: string;
  readonly kind: ScanSource['kind'];
  /** Lines (events of a log group) counted, rejected ones too. */
  readonly lines: number;
  readonly unrecognised: number;
  /** Why none of it could be read (`app.log.xz: xz-compressed; decompress it first …`), when none could. */
  readonly unreadable?: string;
  /** Its first bytes held NULs: what to add when none of its lines was recognised (binary data, UTF-16 without its mark?). */
  readonly nulBytesNote?: string;
  /** Lines that gave events by a time without a zone (a syslog date, a `ts` without offset) read as UTC, with no `--timezone`. */
  readonly zonelessAsUtc: number;
}

/**
 * The readouts with lines the reducers told were none of their subject's (`BatchResult.otherFunctionLines`, the
 * origin of each) counted unrecognised in the source they came from, as `LineTally.unrecognisedAfterAll` counts them
 * in the whole: a file of just such lines is one of which no line was recognised (`sourceNotes`).
 */
export function unrecognisedAfterAll(readouts: readonly SourceReadout[], origins: readonly string[]): readonly SourceReadout[] {
  if (origins.length === 0) return readouts;
  const lines = new Map<string, number>();
  for (const origin of origins) lines.set(origin, (lines.get(origin) ?? 0) + 1);
  return readouts.map((r) => {
    const more = lines.get(r.name);
    if (more === undefined) return r;
    lines.delete(r.name);
    return { ...r, unrecognised: r.unrecognised + more };
  });
}

export interface StreamResult {
  readonly tally: LineTally;
  readonly stats: MergeStats;
  /** One per source, in the order given. */
  readonly readouts: readonly SourceReadout[];
}

interface OpenSource {
  readonly source: ScanSource;
  readonly iterator: AsyncIterator<SourceRecord>;
  lineNo: number;
  /** Its share of the tally's lines and unrecognised lines. */
  lines: number;
  unrecognised: number;
  unreadable?: string;
  /** Reads its zoneless times (`--timezone`, else UTC): one per source, which keeps its place in a repeated hour. */
  readonly clock: WallClock;
  /** Numbers its identical lines of one instant (`LineRepeats`). */
  readonly repeats: LineRepeats;
  zonelessAsUtc: number;
  /** Its first records, read ahead of its clock until one says when it begins (`placeAhead`); read in turn. */
  readonly ahead: SourceRecord[];
  /** Whether the merge knows where it begins (or need not: no `--timezone`, one source). */
  placed: boolean;
  /** Whether its reader is done, records read ahead left. */
  ended: boolean;
}

/** How many records of a source are read ahead, at most, to find where it begins. */
const MAX_AHEAD = 100;

function label(sources: readonly ScanSource[]): string {
  return sources.length === 1 ? `scanning ${sources[0].name}` : `scanning ${sources.length} sources`;
}

/**
 * Reads every source line by line (any mix of formats; a bad line is counted, never thrown),
 * merges their events by time and calls `onChunk` with each time-ordered chunk of at most about
 * `chunkEvents` events (and the context for `enrich`), waiting for it before reading on. A
 * compressed file that is truncated or corrupt ends with a counted rejection, its lines before
 * it read as usual; one that is not text to read (xz, a tar archive: UnreadableInputError), or
 * that cannot be opened when `readPastUnopened`, is left unread and said in its readout; a source that cannot be read otherwise throws an
 * InputError naming it and how far it got.
 */
export async function streamSources(
  sources: readonly ScanSource[],
  opts: StreamOptions,
  onChunk: (events: readonly AuditEvent[], context: readonly AuditEvent[]) => Promise<void>,
): Promise<StreamResult> {
  const chunkEvents = opts.chunkEvents ?? DEFAULT_CHUNK_EVENTS;
  const merger = new TimeOrderedMerger(sources.length, opts.jobLogs);
  let current = 0;
  const tally = new LineTally((events) => merger.add(current, events));
  const total = sources.every((s) => s.size !== undefined) ? sources.reduce((n, s) => n + (s.size ?? 0), 0) : undefined;
  const progress = new ProgressBar(opts.progress, label(sources), total);
  // With --timezone, the clocks of several sources share what they read in a repeated hour, and each source is placed in the merge before its clock reads it (`placeAhead`).
  const firstPasses = new FirstPasses();
  const placed = opts.timeZone === undefined || sources.length === 1;
  const open: OpenSource[] = sources.map((source) => ({
    source,
    iterator: source.records((n) => progress.advance(n))[Symbol.asyncIterator](),
    lineNo: 0,
    lines: 0,
    unrecognised: 0,
    clock: new WallClock(opts.timeZone, firstPasses),
    repeats: new LineRepeats(),
    zonelessAsUtc: 0,
    ahead: [],
    placed,
    ended: false,
  }));
  // Re-check for ready events only after this many more arrived, so a lagging watermark costs no rescans.
  let checkAt = chunkEvents;

  const flush = async (all: boolean) => {
    const { events, context } = merger.takeReady(all);
    if (events.length === 0) return;
    merger.release(events.length);
    merger.noteHeld(events.length);
    await onChunk(events, context);
  };

  try {
    for (;;) {
      const next = merger.nextSource();
      if (next === undefined) break;
      current = next;
      const src = open[next];
      const readAhead = src.placed ? src.ahead.shift() : undefined;
      if (readAhead !== undefined) {
        read(src, readAhead);
      } else if (src.ended) {
        merger.sourceDone(next);
        continue;
      } else {
        let result: IteratorResult<SourceRecord>;
        try {
          result = await src.iterator.next();
        } catch (error) {
          readAheadRecords(src);
          if (error instanceof CorruptInputError && src.lineNo > 0) {
            counted(src, () => rejectUnreadableRest(src.source, src.lineNo, error, tally));
            merger.sourceDone(next);
            continue;
          }
          if (error instanceof UnopenedInputError && !opts.readPastUnopened) throw new InputError(`${src.source.name}: ${error.message}`, { cause: error });
          // A compressed file damaged before its first line: nothing of it was read, as of xz.
          if (error instanceof UnreadableInputError || error instanceof CorruptInputError) {
            src.unreadable = `${src.source.name}: ${error instanceof CorruptInputError ? corruptReason(0, error) : error.message}`;
            merger.sourceDone(next);
            continue;
          }
          if (!(error instanceof InputError)) throw error;
          const unit = src.source.kind === 'file' ? 'line' : 'event';
          throw new InputError(`${src.source.name}: ${error.message} (after ${unit} ${src.lineNo})`, { cause: error });
        }
        if (result.done) {
          if (src.ahead.length === 0) merger.sourceDone(next);
          else src.placed = src.ended = true;
          continue;
        }
        if (src.placed) read(src, result.value);
        else placeAhead(src, next, result.value);
      }
      if (merger.heldEvents >= checkAt) {
        await flush(false);
        checkAt = merger.heldEvents + chunkEvents;
      }
    }
    await flush(true);
  } finally {
    progress.finish();
    await Promise.all(open.map((o) => o.iterator.return?.().catch(() => undefined)));
  }
  const readouts = open.map(({ source, lines, unrecognised, unreadable, zonelessAsUtc }) => ({ name: source.name, kind: source.kind, lines, unrecognised, unreadable, nulBytesNote: source.nulBytesNote, zonelessAsUtc }));
  return { tally, stats: merger.stats, readouts };

  /** Reads a record of `src` into the tally, with its clock. */
  function read(src: OpenSource, record: SourceRecord): void {
    src.lineNo = record.linesRead ?? src.lineNo + 1;
    progress.line();
    counted(src, () => {
      if (readRecord(src.source, record, src.lineNo, opts, tally, src.clock, src.repeats)) src.zonelessAsUtc++;
    });
  }

  /** Reads the records of `src` read ahead, in turn (its reader failed). */
  function readAheadRecords(src: OpenSource): void {
    for (const record of src.ahead.splice(0)) read(src, record);
  }

  /**
   * Holds a record of a source not placed yet, and places the source in the merge by when it begins,
   * as a fresh clock reads it, a millisecond after: the other sources' lines of that instant are read
   * first. Syslog rotated within the hour the clock goes back (`syslog.1` ends in its first pass,
   * `syslog` begins in its second): the older file's lines of a second both passes show are read
   * before the newer file's clock reads its own (`FirstPasses`), whichever file was given first.
   */
  function placeAhead(src: OpenSource, index: number, record: SourceRecord): void {
    src.ahead.push(record);
    const at = recordInstant(src.source, record, opts, new WallClock(opts.timeZone));
    if (at === undefined && src.ahead.length < MAX_AHEAD) return;
    src.placed = true;
    if (at !== undefined) merger.beginsAt(index, at + 1);
  }

  /** Runs `read` (which adds to the tally) and gives `src` its share of what it added. */
  function counted(src: OpenSource, read: () => void): void {
    const { lines, unrecognised } = tally.counts;
    read();
    src.lines += tally.counts.lines - lines;
    src.unrecognised += tally.counts.unrecognised - unrecognised;
  }
}
