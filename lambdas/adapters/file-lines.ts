import { createReadStream, statSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { MAX_LINE_BYTES } from '../core/parse/line-limit.ts';
import { beginsGzip, GZIP_MAGIC_BYTES, GzipMembers } from './gzip-members.ts';

export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}

/**
 * Compressed input that ends early or is corrupt (a `.gz` cut short by a full disk or an
 * interrupted copy): the lines before the damage were read and stand; nothing after it can be.
 */
export class CorruptInputError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptInputError';
  }
}

export interface LineSourceFile {
  /** What to call it in messages: the path, or `stdin`. */
  readonly name: string;
  /** Total bytes when known (a file), for progress. */
  readonly size?: number;
  lines(onBytes?: (n: number) => void): AsyncIterable<Line>;
}

/**
 * A line over MAX_LINE_BYTES, of which only the size is kept: its text is dropped as it streams,
 * so that a file with no line end in hundreds of MiB (a binary dump) neither fills the memory nor
 * passes V8's longest string; the reader rejects it unread.
 */
export interface OverLongLine {
  /** Its size in bytes of UTF-8, without its line end. */
  readonly overLongBytes: number;
}

/** A line's text, or an over-long line's size. */
export type Line = string | OverLongLine;

/**
 * A path (`-` for stdin) as a stream of lines; checks it can be read first. A named pipe, a
 * process substitution (`<(zcat app.log.gz)`, `/dev/fd/63`) or a character device is read as a
 * stream, like stdin, its size unknown. Gzip is decompressed: a path named `.gz` is gzip (one
 * whose data is not is reported, as a damaged one is), and any other input whose first bytes are
 * gzip's magic number (`gzip -c app.log | silent-audit scan -`, a rotated log saved without its
 * `.gz`) is too.
 */
export function openLineSource(path: string, stdin: Readable = process.stdin): LineSourceFile {
  if (path === '-') {
    return { name: 'stdin', lines: (onBytes) => readLines(stdin, false, onBytes) };
  }
  let size: number | undefined;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new InputError(`${path}: is a directory; name the log files in it (${path}/*.log)`);
    if (!stat.isFile() && !stat.isFIFO() && !stat.isCharacterDevice()) throw new InputError(`${path}: not a file, a pipe or a character device`);
    size = stat.isFile() ? stat.size : undefined;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`, { cause: error });
  }
  return { name: path, size, lines: (onBytes) => readLines(createReadStream(path), path.endsWith('.gz'), onBytes) };
}

/**
 * The lines of a stream, split on `\n` alone (a `\r` before it is dropped), as a log's line
 * numbers count them: readline would also split on a lone `\r` (progress bars, `curl` meters) and
 * so name every later line wrongly. Streams chunk by chunk; memory holds one chunk and at most
 * MAX_LINE_BYTES of the unfinished line (a longer line comes out as its size: UnfinishedLine).
 * Decompresses gzip when `gzipByName` says so or the data starts with its magic.
 */
async function* readLines(input: Readable, gzipByName: boolean, onBytes?: (n: number) => void): AsyncIterable<Line> {
  // Bytes, whatever the input gives (a stream of strings or of objects, as `Readable.from`
  // makes), so that its first bytes can be looked at and left for the reader.
  const counted = input.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        onBytes?.(chunk.length);
        done(null, chunk);
      },
    }),
  );
  // A read error anywhere in the chain (`pipe` forwards none) ends the iteration with it. Damage
  // to gzip data is the data's fault, not the file's: a CorruptInputError, thrown once the lines
  // before it are read.
  let gzipped = gzipByName;
  let text: Readable | undefined;
  let failure: InputError | undefined;
  const fail = (error: Error, corrupt = false) => {
    const message = `cannot read ${gzipped ? 'gzip ' : ''}input: ${error.message}`;
    failure ??= corrupt ? new CorruptInputError(message, { cause: error }) : new InputError(message, { cause: error });
    (text ?? counted).destroy(failure);
  };
  input.once('error', (error: Error) => fail(error));
  counted.once('error', (error: Error) => fail(error));
  const unfinished = new UnfinishedLine();
  let gunzip: GzipMembers | undefined;
  try {
    gzipped ||= beginsGzip(await peekBytes(counted, GZIP_MAGIC_BYTES));
    // Damage to gzip data ends its text, every line before it read first (see GzipMembers).
    gunzip = gzipped ? counted.pipe(new GzipMembers()) : undefined;
    text = gunzip ?? counted;
    text.once('error', (error: Error) => fail(error, text !== counted));
    // Decodes across chunk boundaries, so a character split between two chunks stays whole.
    text.setEncoding('utf8');
    for await (const chunk of text as AsyncIterable<string>) {
      let from = 0;
      let end = chunk.indexOf('\n');
      if (end >= 0) {
        yield unfinished.finish(chunk.slice(0, end));
        from = end + 1;
        end = chunk.indexOf('\n', from);
      }
      while (end >= 0) {
        yield withoutCr(chunk.slice(from, end));
        from = end + 1;
        end = chunk.indexOf('\n', from);
      }
      unfinished.append(from === 0 ? chunk : chunk.slice(from));
    }
  } catch (error) {
    throw failure ?? error;
  }
  if (failure) throw failure;
  const damage = gunzip?.damage;
  // After trailing garbage the data was whole: its last line is too, line end or not.
  const last = damage === undefined || gunzip?.complete ? unfinished.end() : undefined;
  if (last !== undefined) yield last;
  if (damage !== undefined) throw new CorruptInputError(`cannot read gzip input: ${damage.message}`, { cause: damage });
}

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * The line that the chunks read so far have begun and not ended. Holds its text only while it may
 * be within MAX_LINE_BYTES: once it is surely over, the text is dropped and only its size counted,
 * and it ends as an OverLongLine. The lines after it are read as usual.
 */
export class UnfinishedLine {
  /** Its text while it may be within the limit. */
  private text = '';
  /** Its bytes so far once it is known to be over the limit (its text dropped); -1 until then. */
  private overBytes = -1;
  /** Whether those bytes end with `\r`, which the line's size leaves out when `\n` follows. */
  private overEndsWithCr = false;

  /** UTF-16 units held of its text: at most MAX_LINE_BYTES + 1 (its `\r` may be the last). */
  get heldUnits(): number {
    return this.text.length;
  }

  /** More of it, a chunk that ends no line or what follows a chunk's last line end. */
  append(more: string): void {
    if (this.overBytes >= 0) return this.countOver(more);
    this.text += more;
    // Every UTF-16 unit is at least one byte of UTF-8, and only the last may be a `\r` left out:
    // past this many the line is over the limit, however it ends.
    if (this.text.length > MAX_LINE_BYTES + 1) {
      this.overBytes = 0;
      this.countOver(this.text);
      this.text = '';
    }
  }

  /** The line that `tail`, the text before a line end, finishes (`\r` before it dropped); a new one begins. */
  finish(tail: string): Line {
    if (this.overBytes >= 0) return this.finishOverLong(tail);
    const line = this.text === '' ? tail : this.text + tail;
    this.text = '';
    return withoutCr(line);
  }

  /** The last line, when the input ended without a line end after it; undefined when it ended with one. */
  end(): Line | undefined {
    if (this.overBytes >= 0) return this.finishOverLong('');
    return this.text === '' ? undefined : this.finish('');
  }

  private countOver(text: string): void {
    if (text === '') return;
    this.overBytes += Buffer.byteLength(text, 'utf8');
    this.overEndsWithCr = text.endsWith('\r');
  }

  private finishOverLong(tail: string): OverLongLine {
    this.countOver(tail);
    const line = { overLongBytes: this.overBytes - (this.overEndsWithCr ? 1 : 0) };
    this.overBytes = -1;
    this.overEndsWithCr = false;
    return line;
  }
}

/**
 * The first `n` bytes of a stream, fewer if it ends first, left in it for its reader: waits for
 * them without reading further (memory holds the chunks that brought them).
 */
function peekBytes(stream: Readable, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const settle = (head: Buffer | undefined, error?: Error) => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      if (error) return reject(error);
      const bytes = head ?? Buffer.alloc(0);
      // Put back in the same tick as the read, before the stream can end for want of them.
      if (bytes.length > 0) stream.unshift(bytes);
      resolve(bytes);
    };
    // Null until `n` bytes have come, or once the stream has ended, what is left of them.
    const onReadable = () => {
      const head = stream.read(n) as Buffer | null;
      if (head !== null) settle(head);
    };
    const onEnd = () => settle(undefined);
    const onError = (error: Error) => settle(undefined, error);
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}
