import { createReadStream, statSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

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
  lines(onBytes?: (n: number) => void): AsyncIterable<string>;
}

/** A path (`-` for stdin; `.gz` decompressed) as a stream of lines; checks it can be read first. */
export function openLineSource(path: string, stdin: Readable = process.stdin): LineSourceFile {
  if (path === '-') {
    return { name: 'stdin', lines: (onBytes) => readLines(stdin, path.endsWith('.gz'), onBytes) };
  }
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new InputError(`${path}: not a file`);
    size = stat.size;
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
 * so name every later line wrongly. Streams chunk by chunk; memory holds one chunk and the
 * unfinished line.
 */
async function* readLines(input: Readable, gzipped: boolean, onBytes?: (n: number) => void): AsyncIterable<string> {
  const counted = onBytes
    ? input.pipe(
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            onBytes(chunk.length);
            done(null, chunk);
          },
        }),
      )
    : input;
  const text = gzipped ? counted.pipe(createGunzip()) : counted;
  // Decodes across chunk boundaries, so a character split between two chunks stays whole.
  text.setEncoding('utf8');
  // A read error anywhere in the chain (`pipe` forwards none) ends the iteration with it. One of
  // the decompressor is the data's fault, not the file's: a CorruptInputError.
  let failure: InputError | undefined;
  const fail = (error: Error, corrupt = false) => {
    const message = `cannot read ${gzipped ? 'gzip ' : ''}input: ${error.message}`;
    failure ??= corrupt ? new CorruptInputError(message, { cause: error }) : new InputError(message, { cause: error });
    text.destroy(failure);
  };
  input.once('error', (error: Error) => fail(error));
  if (counted !== input) counted.once('error', (error: Error) => fail(error));
  if (text !== counted) text.once('error', (error: Error) => fail(error, true));
  else text.once('error', (error: Error) => fail(error));
  let rest = '';
  try {
    for await (const chunk of text as AsyncIterable<string>) {
      let from = 0;
      let end = chunk.indexOf('\n');
      while (end >= 0) {
        const line = from === 0 && rest !== '' ? rest + chunk.slice(0, end) : chunk.slice(from, end);
        if (from === 0) rest = '';
        yield line.endsWith('\r') ? line.slice(0, -1) : line;
        from = end + 1;
        end = chunk.indexOf('\n', from);
      }
      rest = from === 0 ? rest + chunk : chunk.slice(from);
    }
  } catch (error) {
    throw failure ?? error;
  }
  if (failure) throw failure;
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}
