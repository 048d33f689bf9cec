import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { INGEST_V8_FLAGS } from '../lib/node-options.ts';

/**
 * The bench times the ingest path as the ingest function runs it: in a Node started with the
 * function's V8 flags (`INGEST_V8_FLAGS`, lib/node-options.ts). Unless this process already has
 * them, runs the same script again in a child that has them and exits with its code.
 */
export function runWithIngestFlags(): void {
  if (INGEST_V8_FLAGS.every((flag) => process.execArgv.includes(flag))) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...INGEST_V8_FLAGS, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

/**
 * Path (3) alone, timed as the bench times it, in a child process with Node's default heap sizing
 * (this process's options less the ingest function's V8 flags): what the flags change.
 */
export function oursWithDefaultHeap(opts: { runs: number; warmups: number }): { linesPerSecond: number; medianCpuMs: number; runsCpuMs: number[] } {
  const script = fileURLToPath(new URL('./ours-default-heap.ts', import.meta.url));
  const execArgv = process.execArgv.filter((arg) => !INGEST_V8_FLAGS.includes(arg));
  const child = spawnSync(process.execPath, [...execArgv, script, String(opts.runs), String(opts.warmups)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`path (3) with the default heap: the child exited with ${child.status}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as { linesPerSecond: number; medianCpuMs: number; runsCpuMs: number[] };
}
