import { MAX_LINE_BYTES } from './line-limit.ts';
import { parseIsoTime } from './timestamp-prefix.ts';

/**
 * Lines a container runtime wrapped before writing them to its log file:
 *
 *   `{"log":"<line>\n","stream":"stdout","time":"2026-10-01T00:00:00.123456789Z"}`  Docker's `json-file` driver
 *   `2026-10-01T00:00:00.123456789Z stdout F <line>`                                   Kubernetes CRI (containerd, CRI-O)
 *
 * Both split an output line longer than 16 KiB into several records, of which only the last ends
 * it: a Docker record whose `log` does not end in `\n`, CRI `P` (partial) records before an `F`.
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
/** A CRI record: an RFC 3339 time, the stream, its tag (`P` partial, `F` full) and the line; an empty line keeps the space before it. */
const CRI = /^(\d{4}-\d{2}-\d{2}T\S+) (stdout|stderr) ([PF])(?: (.*))?$/s;

/** A line's container record, or undefined when it is not one (then it is read as it is). */
export function containerRecord(line: string): ContainerRecord | undefined {
  return line.startsWith(DOCKER_START) ? dockerRecord(line) : criRecord(line);
}

function dockerRecord(line: string): ContainerRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { log, stream, time } = raw as { log?: unknown; stream?: unknown; time?: unknown };
  if (typeof log !== 'string' || typeof time !== 'string' || (stream !== undefined && typeof stream !== 'string')) return undefined;
  const at = parseIsoTime(time);
  if (at === undefined) return undefined;
  const partial = !log.endsWith('\n');
  return { text: partial ? log : log.slice(0, -1), at, stream: `docker ${stream ?? ''}`, partial };
}

function criRecord(line: string): ContainerRecord | undefined {
  const m = CRI.exec(line);
  if (!m) return undefined;
  const at = parseIsoTime(m[1]);
  if (at === undefined) return undefined;
  return { text: m[4] ?? '', at, stream: `cri ${m[2]}`, partial: m[3] === 'P' };
}

/** A line of a file as its reader hands it on: its text and record time, or why it is rejected unread. */
export type JoinedLine =
  | { readonly text: string; readonly recordTime?: number; readonly line: number }
  | { readonly rejected: string; readonly line: number };

interface SplitLine {
  readonly firstLine: number;
  lastLine: number;
  readonly at: number;
  parts: string[];
  /** Bytes of UTF-8 joined so far. */
  bytes: number;
  records: number;
  /** Whether it passed MAX_LINE_BYTES: its parts are dropped and only its size counted. */
  over: boolean;
}

/**
 * Joins the records of a line a container runtime split (Docker's and CRI's partial records) back
 * into the line, per stream: the records of stdout and stderr interleave, and so may lines of other
 * formats, which are handed on as they come. A joined line is at most MAX_LINE_BYTES, as any line;
 * a longer one is rejected, holding no more than that in memory. Memory holds at most one
 * unfinished line per stream.
 */
export class ContainerLineJoiner {
  private readonly open = new Map<string, SplitLine>();

  /**
   * The line that `text`, the `lineNo`th line of the file, gives: itself unwrapped, the whole line it
   * ends, or itself when it is no container's; undefined while a split line goes on.
   */
  add(text: string, lineNo: number): JoinedLine | undefined {
    const record = containerRecord(text);
    if (record === undefined) return { text, line: lineNo };
    const split = this.open.get(record.stream);
    if (split === undefined && !record.partial) return { text: record.text, recordTime: record.at, line: lineNo };
    const joined = split ?? { firstLine: lineNo, lastLine: lineNo, at: record.at, parts: [], bytes: 0, records: 0, over: false };
    joined.lastLine = lineNo;
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
      return undefined;
    }
    this.open.delete(record.stream);
    return finished(joined);
  }

  /** The lines still unfinished when the file ends (the container stopped mid-line), as far as they got. */
  end(): JoinedLine[] {
    const rest = [...this.open.values()].map(finished);
    this.open.clear();
    return rest;
  }
}

function finished(split: SplitLine): JoinedLine {
  if (split.over) {
    return {
      rejected: `line is ${split.bytes} bytes, over the ${MAX_LINE_BYTES} limit (a line the container runtime split into ${split.records} records, lines ${split.firstLine}–${split.lastLine})`,
      line: split.firstLine,
    };
  }
  return { text: split.parts.join(''), recordTime: split.at, line: split.firstLine };
}
