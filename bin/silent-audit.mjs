#!/usr/bin/env node
// The `silent-audit` command: runs the TypeScript CLI through tsx's loader.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const heapGiven = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-old-space-size'));

if ((process.argv[2] === 'scan' || process.argv[2] === 'init') && !heapGiven) {
  // See lambdas/cli/scan-heap.ts: a scan (and init, which scans) runs with a bounded heap, so its RSS stays flat.
  const { SCAN_HEAP_MB } = await import('../lambdas/cli/scan-heap.ts');
  const child = spawn(process.execPath, [`--max-old-space-size=${SCAN_HEAP_MB}`, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child too (same process group): wait for it rather than die first.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
} else {
  await import('./cli.ts');
}
