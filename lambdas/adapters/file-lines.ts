import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { lineText } from '../core/parse/line-bytes.ts';
import { MAX_LINE_BYTES } from '../core/parse/line-limit.ts';
import { beginsGzip, GzipMembers } from './gzip-members.ts';

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

/**
 * Input that is not text the reader can decode, known by its magic number (xz, bzip2, zstd, a tar
 * or zip archive, UTF-32): nothing of it was read. Its message says what it is and what to do, in the user's terms
 * (`xz-compressed; decompress it first (xzcat app.log.xz | silent-audit scan -)`); a scan names
 * the file before it, counts it and reads its other inputs as usual.
 */
export class UnreadableInputError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreadableInputError';
  }
}

/**
 * A path that cannot be opened (no such file, permission denied), known when its lines are read:
 * nothing of it was read. `scan` names it, counts it and reads its other inputs; `report`, `init`
 * and `mcp` refuse it (a file the user named is never left out of what they make).
 */
export class UnopenedInputError extends UnreadableInputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnopenedInputError';
  }
}

export interface LineSourceFile {
  /** What to call it in messages: the path, or `stdin`. */
  readonly name: string;
  /** Total bytes when known (a file), for progress. */
  readonly size?: number;
  lines(onBytes?: (n: number) => void): AsyncIterable<Line>;
  /**
   * Once its lines are read: when its first bytes (gzip's decompressed) held a NUL byte, what to
   * tell if none of its lines was one silent-audit reads (binary data, UTF-16 without its byte
   * order mark); undefined otherwise. Its lines are read all the same: a log that logrotate's
   * `copytruncate` left starts with a run of NULs, its lines after them whole.
   */
  readonly nulBytesNote?: string;
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
 * A path (`-` for stdin) as a stream of lines; checks it can be read first: a directory is an
 * InputError at once, a path missing or not readable (permission denied) an UnopenedInputError
 * when its lines are read (`scan` names it, counts it and reads the others; `report`, `init` and
 * `mcp` refuse it). A named pipe, a
 * process substitution (`<(zcat app.log.gz)`, `/dev/fd/63`) or a character device is read as a
 * stream, like stdin, its size unknown. Gzip is decompressed: a path named `.gz` is gzip (one
 * whose data is not is reported, as a damaged one is), and any other input whose first bytes are
 * gzip's magic number (`gzip -c app.log | silent-audit scan -`, a rotated log saved without its
 * `.gz`) is too. UTF-16 with a byte order mark (what Windows PowerShell 5's `>` writes) is read
 * as text, gzipped or not; other compression and archives are refused unread (UnreadableInputError,
 * see `sniff`), not read as lines that none would recognise. NUL bytes are read as part of their
 * lines (`nulBytesNote`). `command` is the one its hints pipe a file into.
 */
export function openLineSource(path: string, stdin: Readable = process.stdin, command: ReaderCommand = 'scan'): LineSourceFile {
  if (path === '-') return lineSource('stdin', {}, (head, onBytes) => readLines(stdin, false, '-', command, head, onBytes));
  let size: number | undefined;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new InputError(`${path}: is a directory; name the log files in it (${path}/*.log)`);
    if (!stat.isFile() && !stat.isFIFO() && !stat.isCharacterDevice()) throw new InputError(`${path}: not a file, a pipe or a character device`);
    accessSync(path, constants.R_OK);
    size = stat.isFile() ? stat.size : undefined;
  } catch (error) {
    if (error instanceof InputError) throw error;
    return lineSource(path, {}, () => unopened(cannotOpen(error as NodeJS.ErrnoException)));
  }
  return lineSource(path, { size }, (head, onBytes) => readLines(createReadStream(path), path.endsWith('.gz'), path, command, head, onBytes));
}

/** Why a path cannot be opened, in the user's terms. */
function cannotOpen(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'no such file';
  if (error.code === 'EACCES' || error.code === 'EPERM') return 'permission denied; scan it as a user who may read it';
  return `cannot be opened (${error.code ?? error.message})`;
}

/** An error opening a file that the user can mend (it is gone, or not theirs to read), not the system's (EMFILE, EIO). */
function goneAtOpen(error: NodeJS.ErrnoException): boolean {
  return error.syscall === 'open' && (error.code === 'ENOENT' || error.code === 'EACCES' || error.code === 'EPERM');
}

/** The lines of a path that cannot be opened: none; reading them ends in why (an UnopenedInputError, which a scan counts and reads on past). */
async function* unopened(reason: string): AsyncIterable<Line> {
  throw new UnopenedInputError(reason);
}

/** A LineSourceFile (a file's with its `size`, stdin's without) whose `nulBytesNote` is what its reading (`read`) saw in the first bytes. */
function lineSource(name: string, sized: { readonly size?: number }, read: (head: HeadSeen, onBytes?: (n: number) => void) => AsyncIterable<Line>): LineSourceFile {
  const head: HeadSeen = {};
  return {
    name,
    ...sized,
    lines: (onBytes) => read(head, onBytes),
    get nulBytesNote() {
      return head.nulBytesNote;
    },
  };
}

/** The command whose input it is, named in the hints that pipe a file into it (`xzcat a.log.xz | silent-audit report -`). */
export type ReaderCommand = 'scan' | 'report';

/** What `readLines` saw in its input's first bytes, for the LineSourceFile to tell once read. */
interface HeadSeen {
  nulBytesNote?: string;
}

/**
 * The lines of a stream, split on `\n` alone (a `\r` before it is dropped), as a log's line
 * numbers count them: readline would also split on a lone `\r` (progress bars, `curl` meters) and
 * so name every later line wrongly. Streams chunk by chunk; memory holds one chunk and at most
 * MAX_LINE_BYTES of the unfinished line (a longer line comes out as its size: UnfinishedLine).
 * Decompresses gzip when `gzipByName` says so or the data starts with its magic; decodes UTF-16
 * that starts with its byte order mark; refuses what its first bytes show is not text (`sniff`).
 * NUL bytes in its first bytes are noted in `seen` (a line holding them is read as any other).
 */
async function* readLines(input: Readable, gzipByName: boolean, path: string, command: ReaderCommand, seen: HeadSeen, onBytes?: (n: number) => void): AsyncIterable<Line> {
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
  const fail = (error: NodeJS.ErrnoException, corrupt = false) => {
    const message = `cannot read ${gzipped ? 'gzip ' : ''}input: ${error.message}`;
    // A file gone or made unreadable since it was listed (logrotate removing app.log.5 while the
    // scan reads the others) fails to open: nothing of it was read, as of a path missing up front.
    if (goneAtOpen(error)) failure ??= new UnopenedInputError(cannotOpen(error), { cause: error });
    failure ??= corrupt ? new CorruptInputError(message, { cause: error }) : new InputError(message, { cause: error });
    (text ?? counted).destroy(failure);
  };
  input.once('error', (error: Error) => fail(error));
  counted.once('error', (error: Error) => fail(error));
  const unfinished = new UnfinishedLine();
  let gunzip: GzipMembers | undefined;
  try {
    const head = await peekBytes(counted, SNIFF_BYTES);
    gzipped ||= beginsGzip(head);
    // Damage to gzip data ends its text, every line before it read first (see GzipMembers).
    gunzip = gzipped ? counted.pipe(new GzipMembers()) : undefined;
    const bytes = gunzip ?? counted;
    text = bytes;
    bytes.once('error', (error: Error) => fail(error, bytes !== counted));
    // What the data is, gzip's looked at once decompressed (a `.tar.gz`, PowerShell's UTF-16 gzipped).
    const textHead = gunzip ? await peekBytes(gunzip, SNIFF_BYTES) : head;
    const kind = sniff(textHead);
    if (typeof kind !== 'string') {
      input.destroy();
      bytes.destroy();
      throw new UnreadableInputError(`${gzipped ? `${kind.what} (gzip-compressed)` : kind.what}; ${kind.todo(path, gzipped, command)}`);
    }
    if (kind === 'utf-8' && textHead.includes(0)) seen.nulBytesNote = nulBytesNote(path, gzipped, command);
    text = bytes.pipe(kind === 'utf-8' ? new NonUtf8Lines() : new Utf16ToUtf8(kind));
    text.once('error', (error: Error) => fail(error));
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

/** How many first bytes of an input tell what it is (a tar header is the first 512). */
const SNIFF_BYTES = 512;

/** Data that is not text the reader decodes: what it is, and what to do, for a path (`-` for stdin). */
interface NotText {
  readonly what: string;
  todo(path: string, gzipped: boolean, reader: ReaderCommand): string;
}

/** The end of a pipe into the reader: ` | silent-audit scan -` (`report -` for `report`'s input). */
const intoReader = (reader: ReaderCommand): string => ` | silent-audit ${reader} -`;

/** `xzcat app.log.xz | silent-audit scan -` (`report -` for `report`'s input), gunzipped first when the data was gzip. */
function pipeThrough(command: (file: string) => string, path: string, gzipped: boolean, reader: ReaderCommand): string {
  const first = path === '-' ? (gzipped ? 'gzip -dc | ' : '') : gzipped ? `zcat ${path} | ` : '';
  const source = path === '-' || gzipped ? command('') : command(` ${path}`);
  return `${path === '-' ? '… | ' : ''}${first}${source}${intoReader(reader)}`;
}

const decompressor = (what: string, command: string): NotText => ({
  what,
  todo: (path, gzipped, reader) => `decompress it first (${pipeThrough((file) => `${command}${file}`, path, gzipped, reader)})`,
});

const UTF32_TEXT: NotText = {
  what: 'UTF-32 text',
  todo: (path, gz, reader) => `convert it to UTF-8 first (${pipeThrough((f) => `iconv -f UTF-32 -t UTF-8${f}`, path, gz, reader)})`,
};

/** Magic numbers of what a log may be saved as that is not text (gzip is read: GzipMembers). */
const NOT_TEXT: readonly { readonly magic: readonly number[]; readonly kind: NotText }[] = [
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], kind: decompressor('xz-compressed', 'xzcat') },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], kind: decompressor('zstd-compressed', 'zstdcat') },
  { magic: [0x04, 0x22, 0x4d, 0x18], kind: decompressor('lz4-compressed', 'lz4cat') },
  { magic: [0xff, 0xfe, 0x00, 0x00], kind: UTF32_TEXT },
  { magic: [0x00, 0x00, 0xfe, 0xff], kind: UTF32_TEXT },
  { magic: [0x50, 0x4b, 0x03, 0x04], kind: { what: 'a zip archive', todo: (path, _gz, reader) => `extract the logs from it (${path === '-' ? 'save it to a file and unzip -p it' : `unzip -p ${path}`}${intoReader(reader)})` } },
];

const TAR: NotText = {
  what: 'a tar archive',
  // Not gunzipped first: tar's `z` reads the gzip itself.
  todo: (path, gz, reader) => `extract the logs from it (${pipeThrough((f) => `tar -xO${gz ? 'z' : ''}f${f || ' -'}`, path, false, reader)})`,
};

/**
 * A tar header: its magic at byte 257, POSIX's `ustar\0` (version `00` after it) or old GNU's
 * `ustar  \0`, each with its NUL. Text that happens to spell `ustar` there (`/srv/ustar/…`) holds
 * no NUL, and is read.
 */
function beginsTar(b: Uint8Array): boolean {
  const at = (bytes: readonly number[]) => b.length >= 257 + bytes.length && bytes.every((x, i) => b[257 + i] === x);
  const ustar = [0x75, 0x73, 0x74, 0x61, 0x72];
  return at([...ustar, 0x00]) || at([...ustar, 0x20, 0x20, 0x00]);
}

/** bzip2: `BZh1`–`BZh9`, then a block's magic (π) or the end of the stream's (√π), so no text line that starts with `BZh` is taken for it. */
function beginsBzip2(b: Uint8Array): boolean {
  if (b.length < 10 || b[0] !== 0x42 || b[1] !== 0x5a || b[2] !== 0x68 || b[3] < 0x31 || b[3] > 0x39) return false;
  const block = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
  const end = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
  return block.every((x, i) => b[4 + i] === x) || end.every((x, i) => b[4 + i] === x);
}

/**
 * What to tell of an input whose first bytes held a NUL and of which no line was one silent-audit
 * reads: it may be binary data, or UTF-16 without its byte order mark (what to do then).
 */
function nulBytesNote(path: string, gzipped: boolean, reader: ReaderCommand): string {
  return `it holds NUL bytes: binary data, or UTF-16 without a byte order mark? (if UTF-16, convert it first: ${pipeThrough((f) => `iconv -f UTF-16LE -t UTF-8${f}`, path, gzipped, reader)})`;
}

/**
 * What the first bytes of (decompressed) data say it is: UTF-8 text (with or without its byte order
 * mark, which the parsers drop), UTF-16 with its byte order mark, or something that is not text to
 * read as lines, known by its magic number: other compression, an archive, UTF-32. Read as lines,
 * these gave a "0 findings" over lines none recognised: silence taken for health. NUL bytes alone
 * refuse nothing: a log that logrotate's `copytruncate` left starts with a run of them, its lines
 * after it whole (the run is part of its first line); a NUL further on is the text's own damage.
 * Either is read as lines as usual (`nulBytesNote` says it when none of them is recognised).
 */
export function sniff(head: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' | NotText {
  const matches = (magic: readonly number[]) => head.length >= magic.length && magic.every((x, i) => head[i] === x);
  for (const { magic, kind } of NOT_TEXT) if (matches(magic)) return kind;
  if (beginsTar(head)) return TAR;
  if (matches([0xff, 0xfe])) return 'utf-16le';
  if (matches([0xfe, 0xff])) return 'utf-16be';
  if (beginsBzip2(head)) return decompressor('bzip2-compressed', 'bzcat');
  return 'utf-8';
}

/**
 * UTF-16 bytes (its byte order mark first) as UTF-8, as they stream: a character split between two
 * chunks stays whole, the mark is dropped, and a broken one becomes U+FFFD.
 */
class Utf16ToUtf8 extends Transform {
  private readonly decoder: TextDecoder;

  constructor(encoding: 'utf-16le' | 'utf-16be') {
    super();
    this.decoder = new TextDecoder(encoding);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    done(null, Buffer.from(this.decoder.decode(chunk, { stream: true }), 'utf8'));
  }

  override _flush(done: TransformCallback): void {
    done(null, Buffer.from(this.decoder.decode(), 'utf8'));
  }
}

/**
 * UTF-8 bytes as they stream, but for a line that is not valid UTF-8 (a Latin-1 or Windows-1252
 * file's `données`): that line's bytes that are not UTF-8 are read as Windows-1252 (`lineText`),
 * each byte its letter, not U+FFFD. A chunk's whole lines are checked at once (`isUtf8`, one native pass), and line by line
 * only when that fails; the unfinished line is held until its end, or passed on as it is once over
 * MAX_LINE_BYTES (the reader keeps only such a line's size).
 */
class NonUtf8Lines extends Transform {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Whether the line read is over the size limit: its bytes pass as they are until its end. */
  private overLong = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let rest = chunk;
    if (this.overLong) {
      const lineEnd = chunk.indexOf(0x0a);
      if (lineEnd < 0) return done(null, chunk);
      this.overLong = false;
      this.push(chunk.subarray(0, lineEnd + 1));
      rest = chunk.subarray(lineEnd + 1);
    }
    const end = rest.lastIndexOf(0x0a);
    if (end < 0) return done(null, this.hold(rest));
    let lines = rest.subarray(0, end + 1);
    if (this.held.length > 0) {
      // Only the held line's start and its end are joined; the chunk's other lines pass uncopied.
      const firstEnd = lines.indexOf(0x0a) + 1;
      this.push(asUtf8(Buffer.concat([...this.held, lines.subarray(0, firstEnd)])));
      this.held = [];
      this.heldBytes = 0;
      lines = lines.subarray(firstEnd);
    }
    if (lines.length > 0) this.push(asUtf8(lines));
    done(null, this.hold(rest.subarray(end + 1)));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.heldBytes === 0 ? undefined : asUtf8(Buffer.concat(this.held)));
  }

  /** Holds the start of a line; gives what is held back once it is over the size limit. */
  private hold(bytes: Buffer): Buffer | undefined {
    if (bytes.length > 0) {
      this.held.push(bytes);
      this.heldBytes += bytes.length;
    }
    if (this.heldBytes <= MAX_LINE_BYTES + 1) return undefined;
    this.overLong = true;
    const over = Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    return over;
  }
}

/** Lines' bytes as valid UTF-8: as they are when they are, else each line that is not re-encoded as `lineText` reads it. */
function asUtf8(bytes: Buffer): Buffer {
  if (isUtf8(bytes)) return bytes;
  const lines: Buffer[] = [];
  for (let from = 0; from < bytes.length; ) {
    const end = bytes.indexOf(0x0a, from);
    const to = end < 0 ? bytes.length : end + 1;
    const line = bytes.subarray(from, to);
    lines.push(isUtf8(line) ? line : Buffer.from(lineText(line), 'utf8'));
    from = to;
  }
  return Buffer.concat(lines);
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
