import { constants } from 'node:os';

/** The status a shell reports for a command that SIGPIPE stopped (128 + 13), as `yes | head` leaves under `set -o pipefail`. */
export const EXIT_BROKEN_PIPE = 128 + constants.signals.SIGPIPE;

const watched = new WeakSet<NodeJS.EventEmitter>();

/**
 * When the reader of our output goes away (`scan --json | head`), stop at once and quietly, as a
 * command that SIGPIPE stopped would: no stack trace, and not exit 1, which `scan` uses for
 * "findings". Node ignores SIGPIPE, so the write fails with EPIPE instead. Any other error on the
 * stream is thrown as before. Watching a stream twice adds nothing.
 */
export function exitQuietlyOnBrokenPipe(streams: readonly NodeJS.EventEmitter[], exit: (code: number) => void = (code) => process.exit(code)): void {
  for (const stream of streams) {
    if (watched.has(stream)) continue;
    watched.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      exit(EXIT_BROKEN_PIPE);
    });
  }
}
