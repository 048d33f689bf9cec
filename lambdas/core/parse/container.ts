import { INSTRUMENTED_TYPES } from '../events.ts';
import { isTimeInRange } from '../parse-time.ts';
import { MAX_LINE_BYTES } from './line-limit.ts';
import { isoInstant, jsonObject, withoutLineEnd } from './record-fields.ts';
import { parseIsoTime } from './timestamp-prefix.ts';
import type { ParseOutcome } from './types.ts';

/**
 * Lines a container runtime wrapped before writing them to its log file:
 *
 *   `{"log":"<line>\n","stream":"stdout","time":"2026-10-01T00:00:00.123456789Z"}`  Docker's `json-file` driver
 *   `2026-10-01T00:00:00.123456789Z stdout F <line>`                                   Kubernetes CRI (containerd, CRI-O)
 *
 * Both split an output line longer than 16 KiB into several records, of which only the last ends
 * it: a Docker record whose `log` does not end in `\n`, CRI `P` (partial) records before an `F`.
 * Docker's copier cuts a part at its full 16 KiB buffer (DOCKER_PART_BYTES), so a Docker record
 * without `\n` of any other size (DOCKER_PART_MAX_BYTES) is a whole line whose end a shipper
 * stripped, not a part.
 * The line inside is read as a line of its own, the record's time as its record time.
 */
export interface ContainerRecord {
  /** The line the container wrote, without its line end; a part of it when `partial`. */
  readonly text: string;
  /** The record's time, epoch ms: when the runtime read the line. */
  readonly at: number;
  /** Which format and output stream (`docker stdout`): a split line goes on in the next record of the same. */
  readonly stream: string;
  /** Whether the line goes on in the stream's next record. */
  readonly partial: boolean;
}

const DOCKER_START = '{"log":';
/**
 * The bytes of every part but the last of a line Docker split: its copier logs its buffer
 * (moby daemon/logger/copier.go, 16 KiB) as a part when it fills without a line end.
 */
export const DOCKER_PART_BYTES = 16 * 1024;
/**
 * The most UTF-8 bytes a part's `log` may have once decoded: the 16 KiB buffer, plus what its
 * `\ufffd`s add where the copier cut a character. Docker writes each byte of a cut character as a
 * `\ufffd` (3 bytes): at most 3 bytes of a 4-byte character at a part's end (written as 9: 6 more)
 * and 3 at its start (6 more): 12 in all. A record without `\n` longer than that (a line a shipper
 * joined and stripped of its end) is a whole line, not a part to join the next record to.
 */
export const DOCKER_PART_MAX_BYTES = DOCKER_PART_BYTES + 12;
/**
 * A runtime writes a line's parts back to back: a stream's record more than this after the last
 * record of its open split line is not that line's rest (which never came: a subscription filter
 * drops a part holding none of its terms), but a line of its own; so is one more than this before
 * it (the clock stepped back, or the records are of another run of the container).
 */
export const SPLIT_GAP_MS = 2000;
/** A CRI record: an RFC 3339 time, the stream, its tag (`P` partial, `F` full) and the line; an empty line keeps the space before it. */
const CRI = /^(\d{4}-\d{2}-\d{2}T\S+) (stdout|stderr) ([PF])(?: (.*))?$/s;

/** A line's container record, or undefined when it is not one (then it is read as it is). */
export function containerRecord(line: string): ContainerRecord | undefined {
  return line.startsWith(DOCKER_START) ? dockerRecord(line) : criRecord(line);
}

/** The start of a CRI record, up to its tag: enough to tell a line that may be one, unparsed. */
const CRI_START = /^\d{4}-\d{2}-\d{2}T\S+ std(?:out|err) [PF]/;

/**
 * Whether a line may be a container runtime's record, told without parsing it: a delivery none
 * of whose lines may be one is read line by line, its reader paying nothing for joining.
 */
export function mayBeContainerRecord(line: string): boolean {
  return line.startsWith(DOCKER_START) || CRI_START.test(line);
}

/** The keys of a Docker `json-file` record (`attrs` when `--log-opt labels`/`env` add some). */
const DOCKER_KEYS: ReadonlySet<string> = new Set(['log', 'stream', 'time', 'attrs']);

function dockerRecord(line: string): ContainerRecord | undefined {
  const raw = jsonObject(line);
  if (raw === undefined) return undefined;
  // A record with other keys (a shipper's: `kubernetes`, `docker`) is a whole line read later (`shippedRecord`), never a part to join.
  for (const key in raw) if (!DOCKER_KEYS.has(key)) return undefined;
  const { log, stream, time } = raw as { log?: unknown; stream?: unknown; time?: unknown };
  // Docker writes only these streams: a record naming another is a shipper's whole line, never a
  // part, and the joiner holds one unfinished line per stream it is given.
  if (typeof log !== 'string' || typeof time !== 'string' || (stream !== undefined && stream !== 'stdout' && stream !== 'stderr')) return undefined;
  const at = parseIsoTime(time);
  if (at === undefined) return undefined;
  // Without its `\n`, a part only when it is Docker's full buffer (a character it cut counts more, never less, in the `\ufffd`s Docker writes for it).
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: its length tells most other records apart before they are measured.
  const partial =
    !log.endsWith('\n') &&
    log.length * 3 >= DOCKER_PART_BYTES &&
    log.length <= DOCKER_PART_MAX_BYTES &&
    isDockerPartSize(Buffer.byteLength(log, 'utf8'));
  return { text: withoutLineEnd(log), at, stream: `docker ${stream ?? ''}`, partial };
}

/**
 * A line a log shipper wrapped in a JSON record on its way to CloudWatch Logs (or a file), its
 * `log` field the line, whatever the other keys and their order:
 *
 *   `{"container_id":"…","container_name":"app","log":"<line>","source":"stdout","ecs_cluster":"…",…}`  ECS FireLens (Fluent Bit)
 *   `{"date":1790812807.25,"log":"<line>\n"}`                                                       Fluent Bit's JSON (json_date_key)
 *   `{"kubernetes":{…},"log":"<line>\n","stream":"stdout","time":"2026-10-01T00:00:07Z"}`          Fluent Bit, Fluentd on Kubernetes
 *
 * A shipper ships whole lines (Fluent Bit strips the line end), so a record is never a part to
 * join. Its time is `time` (ISO), else `date` (epoch seconds, or ISO with json_date_format
 * iso8601), else `@timestamp`: the first of them that reads as a time; without one, none.
 */
export interface ShippedRecord {
  /** The line the shipper read, without its line end. */
  readonly text: string;
  /** The record's time, epoch ms, when it gives one. */
  readonly at?: number;
}

const OUR_TYPES: ReadonlySet<string> = new Set(INSTRUMENTED_TYPES);
const SHIPPED_TIME_KEYS = ['time', 'date', '@timestamp'] as const;

/** Whether a `log` of this many UTF-8 bytes, without its `\n`, may be a part Docker cut. */
function isDockerPartSize(bytes: number): boolean {
  return bytes >= DOCKER_PART_BYTES && bytes <= DOCKER_PART_MAX_BYTES;
}

/**
 * A line's shipper record, or undefined when it is not one. Tried on a line no parser claimed, so
 * that none of our own events (whose `type` is ours) is taken for one, even when it holds a `log`.
 */
export function shippedRecord(line: string): ShippedRecord | undefined {
  // Cheap before JSON.parse: most lines that reach here (other JSON, plain text) name no `log`.
  if (!line.includes('"log"')) return undefined;
  const raw = jsonObject(line);
  if (raw === undefined || typeof raw.log !== 'string') return undefined;
  if (typeof raw.type === 'string' && OUR_TYPES.has(raw.type)) return undefined;
  const text = withoutLineEnd(raw.log);
  for (const key of SHIPPED_TIME_KEYS) {
    const at = shippedTime(raw[key]);
    if (at !== undefined) return { text, at };
  }
  return { text };
}

/** Epoch ms of a shipper's time: a number of epoch seconds, or an ISO-8601 time with its offset. */
function shippedTime(value: unknown): number | undefined {
  if (typeof value !== 'number') return isoInstant(value);
  const at = Math.round(value * 1000);
  return Number.isFinite(at) && isTimeInRange(at) ? at : undefined;
}

function criRecord(line: string): ContainerRecord | undefined {
  const m = CRI.exec(line);
  if (!m) return undefined;
  const at = parseIsoTime(m[1]);
  if (at === undefined) return undefined;
  return { text: m[4] ?? '', at, stream: `cri ${m[2]}`, partial: m[3] === 'P' };
}

/**
 * A line of a file (or of a delivery's log stream) as its reader hands it on: its text and record
 * time, or why it is rejected unread. A line still unfinished when the records ran out says so
 * (`unfinished`: which records it was joined from and why no more came), for its rejection.
 */
export type JoinedLine = { readonly text: string; readonly recordTime?: number; readonly unfinished?: string } | { readonly rejected: string };

/** A line a joiner finished, with the record (`E`: its reader's, a file's line number, a log event) it begins in. */
export interface JoinedEventLine<E> {
  readonly joined: JoinedLine;
  readonly event: E;
}

/** How a joiner names what its records came in, in the user's terms. */
export interface JoinedRecordsWording<E> {
  /** The records from `first` to `last`: `lines 3–5` of a file. */
  readonly span: (first: E, last: E) => string;
  /** Why a line the records ran out in was not finished: `the file ends before the line does`. */
  readonly cutShort: string;
}

/** A file's records: its lines, numbered from 1. */
export const FILE_LINES: JoinedRecordsWording<number> = { span: (first, last) => (first === last ? `line ${first}` : `lines ${first}–${last}`), cutShort: 'the file ends before the line does' };

/** CloudWatch Logs events as a joiner's records, named by their event ids; `cutShort`: why the records ran out where they came from. */
export function cloudWatchEvents<E extends { readonly id: string }>(cutShort: string): JoinedRecordsWording<E> {
  return { span: (first, last) => (first === last ? `CloudWatch event ${first.id}` : `CloudWatch events ${first.id} to ${last.id}`), cutShort };
}

interface SplitLine<E> {
  /** The record it begins in, and its last so far: held only while the line is open. */
  readonly first: E;
  last: E;
  readonly at: number;
  /** Its last record's time, epoch ms: its next part comes right after, or just before (SPLIT_GAP_MS). */
  lastAt: number;
  parts: string[];
  /** Bytes of UTF-8 joined so far. */
  bytes: number;
  records: number;
  /** Whether it passed MAX_LINE_BYTES: its parts are dropped and only its size counted. */
  over: boolean;
}

const NONE: readonly never[] = [];

/**
 * Joins the records of a line a container runtime split (Docker's and CRI's partial records) back
 * into the line, per stream: the records of stdout and stderr interleave, and so may lines of other
 * formats, which are handed on as they come. A joined line is at most MAX_LINE_BYTES, as any line;
 * a longer one is rejected, holding no more than that in memory. Memory holds at most one
 * unfinished line per stream, of which there are five at most (Docker's stdout, stderr or none
 * named; CRI's stdout and stderr): a record naming any other stream is not a container's. Of the
 * records (`E`, as its reader knows them) it holds only the first and last of each open line.
 */
export class EventLineJoiner<E> {
  private readonly open = new Map<string, SplitLine<E>>();

  /** `wording`: how its rejections name the records. */
  constructor(private readonly wording: JoinedRecordsWording<E>) {}

  /**
   * The lines that `text`, the record `event`, finishes, in the order they finish: itself
   * unwrapped, the whole line it ends, or itself when it is no container's; none while a split
   * line goes on. A record too long after or before the last of its stream's open split line (SPLIT_GAP_MS)
   * is no part of it: that line is broken off, unfinished, and comes first.
   */
  add(text: string, event: E): readonly JoinedEventLine<E>[] {
    const record = containerRecord(text);
    if (record === undefined) return [{ joined: { text }, event }];
    let split = this.open.get(record.stream);
    let broken: JoinedEventLine<E> | undefined;
    if (split !== undefined && Math.abs(record.at - split.lastAt) > SPLIT_GAP_MS) {
      this.open.delete(record.stream);
      const gap = record.at - split.lastAt;
      broken = this.finished(split, `the stream's next record is ${formatGap(Math.abs(gap))} ${gap > 0 ? 'later' : 'earlier'}: the rest of the line never came`);
      split = undefined;
    }
    if (split === undefined && !record.partial) {
      const whole = { joined: { text: record.text, recordTime: record.at }, event };
      return broken === undefined ? [whole] : [broken, whole];
    }
    const joined = split ?? { first: event, last: event, at: record.at, lastAt: record.at, parts: [], bytes: 0, records: 0, over: false };
    joined.last = event;
    joined.lastAt = record.at;
    joined.records++;
    joined.bytes += Buffer.byteLength(record.text, 'utf8');
    if (joined.bytes > MAX_LINE_BYTES) {
      joined.over = true;
      joined.parts = [];
    } else {
      joined.parts.push(record.text);
    }
    if (record.partial) {
      this.open.set(record.stream, joined);
      return broken === undefined ? NONE : [broken];
    }
    this.open.delete(record.stream);
    const line = this.finished(joined, undefined);
    return broken === undefined ? [line] : [broken, line];
  }

  /**
   * The lines still unfinished when the records run out (the container stopped mid-line, the file
   * ends, the rest of the line is in a later delivery), as far as they got.
   */
  end(): JoinedEventLine<E>[] {
    const rest = [...this.open.values()].map((split) => this.finished(split, this.wording.cutShort));
    this.open.clear();
    return rest;
  }

  /** `cutShort`: why the line is unfinished, when it is. */
  private finished(split: SplitLine<E>, cutShort: string | undefined): JoinedEventLine<E> {
    const span = this.wording.span(split.first, split.last);
    const event = split.first;
    if (split.over) {
      const unfinished = cutShort === undefined ? '' : `; ${cutShort}`;
      return { joined: { rejected: `line is ${split.bytes} bytes, over the ${MAX_LINE_BYTES} limit (a line the container runtime split into ${split.records} records, ${span}${unfinished})` }, event };
    }
    const text = split.parts.join('');
    if (cutShort === undefined) return { joined: { text, recordTime: split.at }, event };
    const records = split.records === 1 ? 'its first record' : `its first ${split.records} records`;
    return { joined: { text, recordTime: split.at, unfinished: `only ${records} of a line the container runtime split, ${span}: ${cutShort}` }, event };
  }
}

/** A gap between records as a reader would say it: `3 s`, `20 min`. */
function formatGap(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/**
 * The outcome of a line read from its joined records: a line unfinished (`JoinedLine.unfinished`)
 * whose part is rejected (the first part of a JSON event is not valid JSON) says why it was cut.
 */
export function outcomeOfJoined(outcome: ParseOutcome, unfinished: string | undefined): ParseOutcome {
  if (unfinished === undefined || outcome.kind !== 'rejected') return outcome;
  return { kind: 'rejected', reason: `${outcome.reason} (${unfinished})` };
}
