import { constants } from 'node:os';

/** The status a shell reports for a command that SIGPIPE stopped (128 + 13), as `yes | head` leaves under `set -o pipefail`. */
export const EXIT_BROKEN_PIPE = 128 + constants.signals.SIGPIPE;

/** The status for an output that cannot be written (a full disk, an I/O error): an error, not `scan`'s 1 ("findings"). */
export const EXIT_OUTPUT_ERROR = 2;

const watched = new WeakSet<NodeJS.EventEmitter>();

/** The process's own output streams: errors on stdout are said on stderr. */
export interface OutputStreams {
  readonly stdout: NodeJS.EventEmitter;
  readonly stderr: NodeJS.EventEmitter & { write(text: string): unknown };
}

/**
 * When the reader of our output goes away (`scan --json | head`), stop at once and quietly, as a
 * command that SIGPIPE stopped would: no stack trace, and not exit 1, which `scan` uses for
 * "findings". Node ignores SIGPIPE, so the write fails with EPIPE instead. Any other write error
 * (`scan --json > out.jsonl` on a full disk: ENOSPC; EIO) means the output is incomplete: it is
 * said in one line on stderr (`silent-audit: cannot write stdout (ENOSPC)`), with no stack trace,
 * and the process exits 2. Watching a stream twice adds nothing.
 */
export function exitOnOutputError(streams: OutputStreams, exit: (code: number) => void = (code) => process.exit(code)): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = streams[name];
    if (watched.has(stream)) continue;
    watched.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') return exit(EXIT_BROKEN_PIPE);
      // A stderr that cannot be written has no one to tell.
      if (name === 'stdout') writeQuietly(streams.stderr, `silent-audit: cannot write stdout (${error.code ?? error.message})\n`);
      exit(EXIT_OUTPUT_ERROR);
    });
  }
}

function writeQuietly(stream: OutputStreams['stderr'], text: string): void {
  try {
    stream.write(text);
  } catch {
    // stderr broken too: the exit status says it.
  }
}
