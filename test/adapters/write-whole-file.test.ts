import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileWriteError, writeWholeFile } from '../../lambdas/adapters/write-whole-file.ts';
import { fullDisk } from '../helpers/full-disk.ts';

vi.mock('node:fs', async (real) => (await import('../helpers/full-disk.ts')).withFullDisk(await real()));

afterEach(() => {
  fullDisk.folder = undefined;
});

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
});
