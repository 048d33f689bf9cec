import { spawnSync } from 'node:child_process';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { sleep } from '../core/sleep.ts';

/**
 * A process named in a file (a lock's holder, a server): its pid and, where the system tells
 * (Linux), when it started, so that a pid the system has since given to another process names no
 * one.
 */
export interface ProcessId {
  readonly pid: number;
  readonly started?: string;
}

/** When process `pid` started (the starttime of /proc/<pid>/stat), or undefined where unknown. */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name (in parentheses, which may hold spaces) come fields 3 on; starttime is field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function processId(pid: number): ProcessId {
  const started = startOf(pid);
  return started === undefined ? { pid } : { pid, started };
}

/**
 * Process `pid`'s command line, its arguments joined by spaces (/proc/<pid>/cmdline on Linux, `ps`
 * elsewhere), or undefined where it is gone or unknown.
 */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 && ps.stdout.trim() ? ps.stdout.trim() : undefined;
  }
}

let self: ProcessId | undefined;
export const thisProcess = (): ProcessId => (self ??= processId(process.pid));

/** Whether the process is still running: not when its pid is gone, or is now another process's. */
export function running(id: ProcessId): boolean {
  try {
    process.kill(id.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (id.started === undefined) return true;
  const started = startOf(id.pid);
  return started === undefined || started === id.started;
}

const lockText = (id: ProcessId) => (id.started === undefined ? String(id.pid) : `${id.pid} ${id.started}`);

/** The holder a lock file names; undefined when there is no such file (just released). */
function holderOf(file: string): { id: ProcessId; text: string } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [pid, started] = text.trim().split(' ');
  const n = Number(pid);
  // A file that names no process (not written by this code) is held by no one.
  return { id: Number.isInteger(n) && n > 0 ? (started ? { pid: n, started } : { pid: n }) : { pid: 0 }, text };
}

const sameProcess = (a: ProcessId, b: ProcessId) => a.pid === b.pid && (a.started === undefined || b.started === undefined || a.started === b.started);

/** Creates `file` holding this process's id, whole or not at all (a link of a file written first): false when it is there. */
function create(file: string): boolean {
  const own = `${file}.${process.pid}`;
  writeFileSync(own, lockText(thisProcess()));
  try {
    linkSync(own, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    // A file system without hard links: created, then written (a holder that dies in between leaves it naming no one).
    try {
      writeFileSync(file, lockText(thisProcess()), { flag: 'wx' });
      return true;
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw again;
    }
  } finally {
    rmSync(own, { force: true });
  }
}

/**
 * Takes the lock `file` when free, or when its holder is gone (or is this process and `ownIsFree`,
 * at exit): undefined. Else the live process that holds it.
 */
export function tryLock(file: string, { ownIsFree = false } = {}): ProcessId | undefined {
  for (;;) {
    if (create(file)) return undefined;
    const holder = holderOf(file);
    if (!holder) continue;
    if (sameProcess(holder.id, thisProcess())) {
      if (ownIsFree) return undefined;
      return holder.id;
    }
    if (holder.id.pid > 0 && running(holder.id)) return holder.id;
    // Gone: taken over, unless another process took it over in the meantime.
    if (holderOf(file)?.text === holder.text) rmSync(file, { force: true });
  }
}

/** Gives the lock up, if this process still holds it. */
export function unlock(file: string): void {
  const holder = holderOf(file);
  if (holder && sameProcess(holder.id, thisProcess())) rmSync(file, { force: true });
}


/**
 * Waits until this process holds the lock `file` (`onWait`, once, when another holds it first),
 * for at most `timeoutMs` (then `timedOut` of the holder is thrown). The lock is given up by the
 * function returned, or when this process exits.
 */
export async function holdLock(
  file: string,
  options: { timeoutMs: number; onWait?: (holder: ProcessId) => void; timedOut: (holder: ProcessId) => Error },
): Promise<() => void> {
  const deadline = Date.now() + options.timeoutMs;
  let told = false;
  for (let holder = tryLock(file); holder; holder = tryLock(file)) {
    if (!told) options.onWait?.(holder);
    told = true;
    if (Date.now() > deadline) throw options.timedOut(holder);
    await sleep(50);
  }
  const release = () => unlock(file);
  process.once('exit', release);
  return () => {
    process.removeListener('exit', release);
    release();
  };
}
