import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
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
  const rl = createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY });
  // A read error closes the reader, which ends the iteration; the error is thrown then. (Racing
  // every line against one pending "failed" promise would keep a reaction, and the line, per line.)
  let failure: InputError | undefined;
  const fail = (error: Error) => {
    failure ??= new InputError(`cannot read ${gzipped ? 'gzip ' : ''}input: ${error.message}`, { cause: error });
    rl.close();
  };
  text.once('error', fail);
  input.once('error', fail);
  try {
    for await (const line of rl) {
      if (failure) break;
      yield line;
    }
  } finally {
    rl.close();
  }
  if (failure) throw failure;
}
