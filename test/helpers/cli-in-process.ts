import { vi } from 'vitest';
import { main } from '../../lambdas/cli/program.ts';

/** What one in-process run of the CLI printed, and the exit code it set. */
export interface CliRun {
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in this process, capturing its output and exit code. */
export async function cli(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  // As a stream does, each write calls back once written: exec waits for its output to be taken.
  const written = (keep: (text: string) => void) => (chunk: unknown, encoding?: unknown, callback?: unknown) => {
    keep(String(chunk));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(written((c) => (stdout += c)) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(written((c) => (stderr += c)) as typeof process.stderr.write);
  process.exitCode = undefined;
  try {
    await main(['node', 'silent-audit', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { code, stdout, stderr };
}
