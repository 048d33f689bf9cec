import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdLock, processId } from '../../lambdas/adapters/pid-lock.ts';

const lockIn = () => join(mkdtempSync(join(tmpdir(), 'sa-pid-lock-')), 'scan.lock');
const timedOut = (holder: { pid: number }) => new Error(`held by ${holder.pid}`);

describe('holdLock: one process at a time, a lock of a process gone taken over', () => {
  it('takes over a lock whose process has exited, names this process in it, and removes it when released', async () => {
    // Prepare: a lock left by a process that is gone
    const file = lockIn();
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(file, String(gone));
    const waits: number[] = [];
    // Act
    const release = await holdLock(file, { timeoutMs: 1000, onWait: (h) => waits.push(h.pid), timedOut });
    const held = readFileSync(file, 'utf8');
    release();
    // Assess
    expect(waits).toEqual([]);
    expect(held.split(' ')[0]).toBe(String(process.pid));
    expect(existsSync(file)).toBe(false);
  });

  it.runIf(existsSync('/proc/self/stat'))('takes over a lock whose pid now belongs to another process (a start time other than its holder’s)', async () => {
    // Prepare: the pid of a live process (the parent), but the holder started at another time
    const file = lockIn();
    writeFileSync(file, `${process.ppid} 1`);
    // Act
    const release = await holdLock(file, { timeoutMs: 1000, timedOut });
    // Assess
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid} ${processId(process.pid).started}`);
    release();
  });

  it('waits for a live holder, saying so once, and gives up after the time out with its pid', async () => {
    // Prepare: held by the parent process, alive throughout
    const file = lockIn();
    writeFileSync(file, `${process.ppid}${processId(process.ppid).started ? ` ${processId(process.ppid).started}` : ''}`);
    const waits: number[] = [];
    // Act
    const holding = holdLock(file, { timeoutMs: 400, onWait: (h) => waits.push(h.pid), timedOut });
    // Assess
    await expect(holding).rejects.toThrow(`held by ${process.ppid}`);
    expect(waits).toEqual([process.ppid]);
    expect(readFileSync(file, 'utf8').split(' ')[0]).toBe(String(process.ppid));
  });
});
