/**
 * What `silent-audit exec` keeps of a command's output (contract §1a `run.end`): its size in
 * bytes and lines, the first ≤2 KiB (`output_head`) and the last ≤2 KiB (`output_tail`). Memory
 * stays bounded however much the command prints: two fixed buffers of `limit` bytes (and a margin
 * each, for redaction), the tail one used as a ring.
 */

/** Contract §1a: `output_head` is the first ≤2 KiB of the output, `output_tail` the last ≤2 KiB. */
export const OUTPUT_EXCERPT_BYTES = 2048;

const NEWLINE = 0x0a;

export interface OutputSummary {
  readonly output_bytes: number;
  /** Newline-terminated lines, plus one for each stream whose last line has no newline. */
  readonly output_lines: number;
  readonly output_head: string;
  readonly output_tail: string;
}

/** Whether a byte continues a UTF-8 sequence (`10xxxxxx`). */
function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/** How many bytes a UTF-8 sequence starting with this byte has (1 for ASCII and for bytes that start none). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf7) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc0) return 2;
  return 1;
}

/**
 * Where to cut `bytes`, which were cut off after their end, so that no UTF-8 character is split:
 * the length without a trailing incomplete sequence. Bytes that are not UTF-8 at all are left as
 * they are (the decoder shows them as U+FFFD, as it would anywhere in the output).
 */
export function utf8HeadEnd(bytes: Uint8Array): number {
  const end = bytes.length;
  for (let i = end - 1; i >= Math.max(0, end - 4); i--) {
    if (isContinuation(bytes[i])) continue;
    return i + sequenceLength(bytes[i]) > end ? i : end;
  }
  return end;
}

/** Where to start `bytes`, which were cut off before their start: past a leading partial character (at most 3 continuation bytes). */
export function utf8TailStart(bytes: Uint8Array): number {
  let start = 0;
  while (start < 3 && start < bytes.length && isContinuation(bytes[start])) start++;
  return start;
}

/** Bytes as text. A byte-order mark is kept, bytes that are not UTF-8 become U+FFFD. */
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** The UTF-8 size of the character whose UTF-16 units start at `text[i]`, and how many units it takes. */
function charAt(text: string, i: number): { bytes: number; units: number } {
  const unit = text.charCodeAt(i);
  if (unit < 0x80) return { bytes: 1, units: 1 };
  if (unit < 0x800) return { bytes: 2, units: 1 };
  const next = text.charCodeAt(i + 1);
  if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) return { bytes: 4, units: 2 };
  return { bytes: 3, units: 1 };
}

/** Whether a UTF-16 unit is the first half of a surrogate pair (an astral character: an emoji). */
export function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** The first `units` UTF-16 units of `text`, one fewer rather than half a surrogate pair (an emoji). */
export function unitPrefix(text: string, units: number): string {
  return text.slice(0, isHighSurrogate(text.charCodeAt(units - 1)) ? units - 1 : units);
}

/** `text` cut to at most `max` UTF-16 units, an ellipsis for what is cut, never half a surrogate pair. */
export function clipUnits(text: string, max: number): string {
  return text.length > max ? `${unitPrefix(text, max - 1)}…` : text;
}

/** The longest start of `text` that is at most `limit` bytes of UTF-8, not splitting a character. */
export function utf8Prefix(text: string, limit: number): string {
  if (Buffer.byteLength(text, 'utf8') <= limit) return text;
  let size = 0;
  let end = 0;
  while (end < text.length) {
    const char = charAt(text, end);
    if (size + char.bytes > limit) break;
    size += char.bytes;
    end += char.units;
  }
  return text.slice(0, end);
}

/** The longest end of `text` that is at most `limit` bytes of UTF-8, not splitting a character. */
export function utf8Suffix(text: string, limit: number): string {
  if (Buffer.byteLength(text, 'utf8') <= limit) return text;
  let size = 0;
  let start = text.length;
  while (start > 0) {
    const low = text.charCodeAt(start - 1);
    const pair = start >= 2 && low >= 0xdc00 && low <= 0xdfff && charAt(text, start - 2).units === 2;
    const char = pair ? charAt(text, start - 2) : charAt(text, start - 1);
    if (size + char.bytes > limit) break;
    size += char.bytes;
    start -= char.units;
  }
  return text.slice(start);
}

/**
 * The `run.end` output fields of lines logged one by one (cronie's CMDOUT lines), each ended by a
 * newline as the job wrote it: size, line count, and the first and last ≤2 KiB.
 */
export function summaryOfLines(lines: readonly string[]): OutputSummary {
  const whole = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  return { output_bytes: Buffer.byteLength(whole, 'utf8'), output_lines: lines.length, output_head: utf8Prefix(whole, OUTPUT_EXCERPT_BYTES), output_tail: utf8Suffix(whole, OUTPUT_EXCERPT_BYTES) };
}

/** `summary` (of the lines before, none when undefined) with one more line logged one by one, as `summaryOfLines` gives them all. */
export function withOutputLine(summary: OutputSummary | undefined, line: string): OutputSummary {
  const text = `${line}\n`;
  const bytes = Buffer.byteLength(text, 'utf8');
  const head = summary?.output_head ?? '';
  const full = summary !== undefined && summary.output_bytes >= OUTPUT_EXCERPT_BYTES;
  return {
    output_bytes: (summary?.output_bytes ?? 0) + bytes,
    output_lines: (summary?.output_lines ?? 0) + 1,
    output_head: full ? head : utf8Prefix(head + text, OUTPUT_EXCERPT_BYTES),
    output_tail: utf8Suffix((summary?.output_tail ?? '') + text, OUTPUT_EXCERPT_BYTES),
  };
}

/**
 * Captures a command's output: counts bytes and lines, keeps the head and a ring of the tail.
 * `write` takes the chunks in the order they arrived (stdout and stderr interleaved), so head
 * and tail show them as a terminal or a cron mail would.
 *
 * With a `margin`, it keeps that many bytes more of each: after the head and before the tail.
 * The excerpts are still `limit` bytes; the margins are for redaction (`exec`): a secret the
 * head's end or the tail's start cuts in two is whole in the head and its margin, or has its
 * label (`password=`, `ghp_`) in the margin and the tail.
 */
export class OutputCapture {
  private readonly headBuffer: Uint8Array;
  private readonly tailBuffer: Uint8Array;
  /** How many bytes each buffer holds: the excerpt and its margin. */
  private readonly kept: number;
  private headLength = 0;
  /** Where the next tail byte goes in the ring. */
  private tailNext = 0;
  private total = 0;
  private newlines = 0;
  /** The last byte of each stream written: whether it ended its last line. */
  private readonly lastBytes = new Map<string, number>();

  constructor(
    readonly limit: number = OUTPUT_EXCERPT_BYTES,
    readonly margin: number = 0,
  ) {
    if (!Number.isInteger(limit) || limit < 4) throw new RangeError(`limit: expected a whole number of bytes ≥ 4, got ${limit}`);
    if (!Number.isInteger(margin) || margin < 0) throw new RangeError(`margin: expected a whole number of bytes ≥ 0, got ${margin}`);
    this.kept = limit + margin;
    this.headBuffer = new Uint8Array(this.kept);
    this.tailBuffer = new Uint8Array(this.kept);
  }

  /**
   * One chunk of output. `stream` names where it came from (`stdout`, `stderr`): lines are counted
   * per stream, so that an unfinished last line counts once for each stream, whatever order the
   * two streams' chunks arrived in.
   */
  write(chunk: Uint8Array, stream = 'stdout'): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) this.newlines++;
    this.lastBytes.set(stream, chunk[chunk.length - 1]);

    if (this.headLength < this.kept) {
      const take = Math.min(this.kept - this.headLength, chunk.length);
      this.headBuffer.set(chunk.subarray(0, take), this.headLength);
      this.headLength += take;
    }

    const recent = chunk.length > this.kept ? chunk.subarray(chunk.length - this.kept) : chunk;
    const first = Math.min(this.kept - this.tailNext, recent.length);
    this.tailBuffer.set(recent.subarray(0, first), this.tailNext);
    this.tailBuffer.set(recent.subarray(first), 0);
    this.tailNext = (this.tailNext + recent.length) % this.kept;
  }

  get bytes(): number {
    return this.total;
  }

  get lines(): number {
    let unfinished = 0;
    for (const last of this.lastBytes.values()) if (last !== NEWLINE) unfinished++;
    return this.newlines + unfinished;
  }

  /** The memory the capture holds, whatever was written: its two buffers. */
  get retainedBytes(): number {
    return this.headBuffer.byteLength + this.tailBuffer.byteLength;
  }

  /**
   * The first ≤`limit` bytes as text, not ending in a split character. Each byte that is not
   * UTF-8 decodes to U+FFFD, 3 bytes of UTF-8: the text is cut again to `limit` bytes.
   */
  head(): string {
    return this.firstText(this.limit);
  }

  /** The last ≤`limit` bytes as text, not starting in a split character (cut again after decoding, as the head). */
  tail(): string {
    return this.lastText(this.limit);
  }

  /** The first ≤`limit` + `margin` bytes as text, cut as the head is. */
  headAndMargin(): string {
    return this.firstText(this.kept);
  }

  /** The last ≤`limit` + `margin` bytes as text, cut as the tail is. */
  tailAndMargin(): string {
    return this.lastText(this.kept);
  }

  /** Whether the output is longer than the head and its margin: whether `headAndMargin` is cut off after its end (and `tailAndMargin` before its start). */
  get cutsMargins(): boolean {
    return this.total > this.kept;
  }

  private firstText(size: number): string {
    const first = this.headBuffer.subarray(0, Math.min(this.headLength, size));
    return utf8Prefix(decoder.decode(this.total > size ? first.subarray(0, utf8HeadEnd(first)) : first), size);
  }

  private lastText(size: number): string {
    if (this.total <= size) return utf8Suffix(decoder.decode(this.headBuffer.subarray(0, this.headLength)), size);
    const last = this.lastWritten(size);
    return utf8Suffix(decoder.decode(last.subarray(utf8TailStart(last))), size);
  }

  /** The last `count` bytes written, in order (`count` at most what the ring holds). */
  private lastWritten(count: number): Uint8Array {
    const bytes = new Uint8Array(count);
    // They end just before `tailNext`, whether the ring has come round yet or not.
    const from = (this.tailNext - count + this.kept) % this.kept;
    const first = Math.min(count, this.kept - from);
    bytes.set(this.tailBuffer.subarray(from, from + first), 0);
    bytes.set(this.tailBuffer.subarray(0, count - first), first);
    return bytes;
  }

  /**
   * The whole output as text when the head and the tail together hold all of it (at most twice
   * `limit` bytes), else undefined: what `exec` redacts as one text, so that a secret the head and
   * tail would cut in two is found whole, and the excerpts' size after redaction is known.
   */
  whole(): string | undefined {
    if (this.total > 2 * this.limit) return undefined;
    if (this.total <= this.kept) return decoder.decode(this.headBuffer.subarray(0, this.headLength));
    const bytes = new Uint8Array(this.total);
    bytes.set(this.headBuffer, 0);
    bytes.set(this.lastWritten(this.total - this.kept), this.kept);
    return decoder.decode(bytes);
  }

  summary(): OutputSummary {
    return { output_bytes: this.bytes, output_lines: this.lines, output_head: this.head(), output_tail: this.tail() };
  }
}
