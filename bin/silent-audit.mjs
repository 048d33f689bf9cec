#!/usr/bin/env node
// The `silent-audit` command: runs the TypeScript CLI through tsx's loader.
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';

await defaultSigusr1();
leaveDeletedDirectory();
// Imported once the folder is known to exist: esbuild, which tsx loads, reads it as it loads.
const { register } = await import('tsx/esm/api');
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

/**
 * Gives SIGUSR1 its default action (ending the process, 128+10), as soon as our code runs: Node's
 * own handler opens a debugger on 127.0.0.1:9229 that any local user may attach to and run code
 * in, as root under root's crontab, and Node 20 has no --disable-sigusr1 (22.14+). A listener of
 * ours replaces Node's handler, and once the last one is removed the signal's action is the
 * default. `exec` passes the signal on to its command while it runs (FORWARDED_SIGNALS).
 * A SIGUSR1 during Node's own start, before this runs (a few hundred ms), has already opened the
 * debugger, which would stay open for the whole run: it is closed, with a word on stderr, unless
 * it was asked for (--inspect, --inspect-brk or --inspect-wait, in the arguments or NODE_OPTIONS;
 * --inspect-port and --inspect-publish-uid open none). It is looked at again on the next turn, in
 * case a start the signal asked for was still pending at the first look.
 */
async function defaultSigusr1() {
  const replaceNodes = () => {};
  process.on('SIGUSR1', replaceNodes);
  process.off('SIGUSR1', replaceNodes);
  // A Node option that opens a debugger: --inspect, --inspect-brk, --inspect-wait, alone or with =[host:]port
  // (a const of the module would not be set yet: this runs as the module's first statement).
  const debuggerFlag = /(^|\s)--inspect(-brk|-wait)?(=|\s|$)/;
  if ([...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => debuggerFlag.test(a))) return;
  const inspector = await import('node:inspector');
  closeDebugger(inspector);
  await new Promise((resolve) => setImmediate(resolve));
  closeDebugger(inspector);
}

/** Closes Node's debugger if it is open, and says so on stderr. */
function closeDebugger(inspector) {
  if (inspector.url() === undefined) return;
  inspector.close();
  process.stderr.write("silent-audit: Node's debugger was opened (SIGUSR1 as silent-audit started); closed it\n");
}

/**
 * A shell left in a folder that was removed under it: process.cwd() throws ENOENT, and tsx calls it
 * as it registers, so the CLI could not start and `exec` would never run its job. Node cannot name
 * nor re-enter such a folder, so the CLI moves to HOME (cron's own starting folder), or / without
 * one or when it cannot be entered (a file, a folder the user may not enter: `sudo -u nobody`
 * keeping HOME=/root), and says so; the command `exec` runs starts there too (see docs/exec.md).
 */
function leaveDeletedDirectory() {
  try {
    process.cwd();
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    const home = homedir();
    const folder = home && entered(home) ? home : '/';
    if (folder === '/') process.chdir('/');
    process.stderr.write(`silent-audit: the current directory no longer exists; running in ${folder}${process.argv[2] === 'exec' ? ', and so does the command' : ''}\n`);
  }
}

/** Moves into `folder`; false when it cannot be entered (ENOENT, ENOTDIR, EACCES). */
function entered(folder) {
  try {
    process.chdir(folder);
    return true;
  } catch {
    return false;
  }
}
