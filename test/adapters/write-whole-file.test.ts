import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileWriteError, writeWholeFile } from '../../lambdas/adapters/write-whole-file.ts';
import { fullDisk } from '../helpers/full-disk.ts';

/** Files `accessSync` says may not be written (EACCES), as for a user other than root: the tests run as root too. */
const notWritable = vi.hoisted(() => new Set<string>());
/** Folders no new file may be made in (`wx` fails EACCES), as a root-owned 755 folder for another user. */
const noNewFiles = vi.hoisted(() => new Set<string>());

vi.mock('node:fs', async (real) => {
  const fs = (await import('../helpers/full-disk.ts')).withFullDisk(await real());
  const accessSync: typeof fs.accessSync = (path, mode) => {
    if (notWritable.has(String(path)) && mode !== undefined && mode & fs.constants.W_OK) {
      throw Object.assign(new Error(`EACCES: permission denied, access '${String(path)}'`), { code: 'EACCES', syscall: 'access' });
    }
    fs.accessSync(path, mode);
  };
  const writeFileSync: typeof fs.writeFileSync = (file, data, options) => {
    const flag = typeof options === 'object' && options !== null ? options.flag : undefined;
    const folder = typeof file === 'number' ? undefined : String(file).slice(0, String(file).lastIndexOf('/'));
    if (flag === 'wx' && folder !== undefined && noNewFiles.has(folder)) {
      throw Object.assign(new Error(`EACCES: permission denied, open '${String(file)}'`), { code: 'EACCES', syscall: 'open' });
    }
    fs.writeFileSync(file, data, options);
  };
  return { ...fs, accessSync, writeFileSync, default: { ...fs, accessSync, writeFileSync } };
});

afterEach(() => {
  fullDisk.folder = undefined;
  notWritable.clear();
  noNewFiles.clear();
});

const linux = process.platform === 'linux';
const root = userInfo().uid === 0;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sa-whole-'));
}

describe('writeWholeFile', () => {
  it.skipIf(process.platform !== 'linux')('keeps the file that was there, and leaves no cut or temporary file, when the disk is full', () => {
    // Prepare
    const dir = tempDir();
    const file = join(dir, 'silent-audit.config.yaml');
    writeFileSync(file, 'jobs:\n  backup: {}\n');
    fullDisk.folder = dir;
    // Act
    const write = () => writeWholeFile(file, 'jobs:\n  a much longer config than fits\n');
    // Assess
    expect(write).toThrow(FileWriteError);
    expect(write).toThrow(`cannot write ${file} (ENOSPC)`);
    expect(readFileSync(file, 'utf8')).toBe('jobs:\n  backup: {}\n');
    expect(readdirSync(dir)).toEqual(['silent-audit.config.yaml']);
  });

  it.skipIf(process.platform !== 'linux')('removes a new file it could not write whole, and refuses one that exists with replace: false (EEXIST)', () => {
    // Prepare
    const dir = tempDir();
    const taken = join(dir, 'taken.yaml');
    writeFileSync(taken, 'mine\n');
    fullDisk.folder = dir;
    // Act
    const cut = () => writeWholeFile(join(dir, 'new.yaml'), 'more than eight bytes\n', { replace: false });
    // Assess
    expect(cut).toThrow(`cannot write ${join(dir, 'new.yaml')} (ENOSPC)`);
    expect(readdirSync(dir)).toEqual(['taken.yaml']);
    fullDisk.folder = undefined;
    let refused: unknown;
    try {
      writeWholeFile(taken, 'yours\n', { replace: false });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(FileWriteError);
    expect((refused as FileWriteError).code).toBe('EEXIST');
    expect(readFileSync(taken, 'utf8')).toBe('mine\n');
  });

  it('replaces a file whole, keeping its permissions, and writes through a symlink to the file it names', () => {
    // Prepare
    const dir = tempDir();
    const file = join(dir, 'report.md');
    writeFileSync(file, 'old\n');
    chmodSync(file, 0o600);
    const link = join(dir, 'latest.md');
    symlinkSync(file, link);
    // Act
    writeWholeFile(link, 'new\n');
    // Assess
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['latest.md', 'report.md']);
  });

  it('makes a missing folder with makeFolder, and names a file where a folder should be (ENOTDIR)', () => {
    // Prepare
    const dir = tempDir();
    const notAFolder = join(dir, 'a-file');
    writeFileSync(notAFolder, '');
    // Act
    writeWholeFile(join(dir, 'out', 'deep', 'r.json'), '{}\n', { makeFolder: true });
    const blocked = () => writeWholeFile(join(notAFolder, 'r.json'), '{}\n', { makeFolder: true });
    // Assess
    expect(readFileSync(join(dir, 'out', 'deep', 'r.json'), 'utf8')).toBe('{}\n');
    expect(blocked).toThrow(`cannot write ${join(notAFolder, 'r.json')} (ENOTDIR)`);
  });

  it.skipIf(!linux)('writes into a FIFO (a --out >(gzip > r.gz), /dev/fd/N) as it is, not replacing it with a file', () => {
    // Prepare
    const dir = tempDir();
    const fifo = join(dir, 'to-gzip');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // A reader already there, so the write end opens at once.
    const reader = openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    // Act
    writeWholeFile(fifo, '# Report\n', { makeFolder: true });
    // Assess
    const read = Buffer.alloc(64);
    const length = readSync(reader, read);
    closeSync(reader);
    expect(read.subarray(0, length).toString()).toBe('# Report\n');
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual(['to-gzip']);
  });

  it.skipIf(!linux)('writes to a device (/dev/null) as it is: it is still that device after, and nothing is left beside it', () => {
    // Prepare: as root, a device of our own, like /dev/null (1, 3), so that a regression cannot replace the host's.
    const dir = tempDir();
    const device = root ? join(dir, 'null') : '/dev/null';
    if (root) expect(spawnSync('mknod', [device, 'c', '1', '3']).status).toBe(0);
    const before = fs.lstatSync(device);
    // Act
    writeWholeFile(device, '# Report\n');
    // Assess
    const after = fs.lstatSync(device);
    expect(after.isCharacterDevice()).toBe(true);
    expect([after.ino, after.rdev]).toEqual([before.ino, before.rdev]);
    if (root) expect(readdirSync(dir)).toEqual(['null']);
  });

  it('writes through a symlink that names no file yet, making that file and keeping the link', () => {
    // Prepare
    const dir = tempDir();
    fs.mkdirSync(join(dir, 'reports'));
    const link = join(dir, 'latest.md');
    symlinkSync(join('reports', 'october.md'), link);
    // Act
    writeWholeFile(link, '# October\n');
    // Assess
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'reports', 'october.md'), 'utf8')).toBe('# October\n');
    expect(readdirSync(join(dir, 'reports'))).toEqual(['october.md']);
  });

  it('refuses a file it may not write (EACCES) and keeps it, though its folder may be written', () => {
    // Prepare
    const dir = tempDir();
    const file = join(dir, 'october.md');
    writeFileSync(file, '# Kept\n');
    chmodSync(file, 0o444);
    notWritable.add(file);
    // Act
    const write = () => writeWholeFile(file, '# New\n');
    // Assess
    expect(write).toThrow(`cannot write ${file} (EACCES)`);
    expect(readFileSync(file, 'utf8')).toBe('# Kept\n');
    expect(readdirSync(dir)).toEqual(['october.md']);
  });

  it('writes a file it may write in place when its folder takes no new file (no temporary file can be made there)', () => {
    // Prepare
    const dir = tempDir();
    const file = join(dir, 'october.md');
    writeFileSync(file, '# Last month, longer than the new one\n');
    chmodSync(file, 0o640);
    const before = statSync(file);
    noNewFiles.add(dir);
    // Act
    writeWholeFile(file, '# October\n');
    // Assess
    expect(readFileSync(file, 'utf8')).toBe('# October\n');
    expect([statSync(file).ino, statSync(file).mode & 0o777]).toEqual([before.ino, 0o640]);
    expect(readdirSync(dir)).toEqual(['october.md']);
  });

  it('still refuses a new file in a folder that takes none (EACCES)', () => {
    // Prepare
    const dir = tempDir();
    noNewFiles.add(dir);
    // Act
    const write = () => writeWholeFile(join(dir, 'october.md'), '# October\n');
    // Assess
    expect(write).toThrow(`cannot write ${join(dir, 'october.md')} (EACCES)`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.skipIf(!linux)('writes /dev/fd/N that is a file through that descriptor, at its place, not replacing the file', () => {
    // Prepare: a file opened as a shell's `>` opens it, with a line already written through it.
    const dir = tempDir();
    const file = join(dir, 'grp.txt');
    const fd = openSync(file, 'w');
    fs.writeSync(fd, 'HEADER\n');
    const before = statSync(file);
    // Act
    writeWholeFile(`/dev/fd/${fd}`, '# Report\n');
    fs.writeSync(fd, 'FOOTER\n');
    closeSync(fd);
    // Assess
    expect(readFileSync(file, 'utf8')).toBe('HEADER\n# Report\nFOOTER\n');
    expect(statSync(file).ino).toBe(before.ino);
    expect(readdirSync(dir)).toEqual(['grp.txt']);
  });

  it.skipIf(root)('refuses a read-only file (mode 0444) for a user other than root, as a plain write would', () => {
    // Prepare
    const dir = tempDir();
    const file = join(dir, 'october.md');
    writeFileSync(file, '# Kept\n');
    chmodSync(file, 0o444);
    // Act
    const write = () => writeWholeFile(file, '# New\n');
    // Assess
    expect(write).toThrow(`cannot write ${file} (EACCES)`);
    expect(readFileSync(file, 'utf8')).toBe('# Kept\n');
  });
});
