import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A file that could not be written (`cannot write FILE (ENOSPC)`); what the file held before is left as it was. */
export class FileWriteError extends Error {
  /** The system's code (`ENOSPC`, `EACCES`, `EEXIST` for a file `replace: false` refused), when it gave one. */
  readonly code: string | undefined;

  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException).code;
    super(`cannot write ${file} (${code ?? (cause as Error).message})`, { cause });
    this.name = 'FileWriteError';
    this.code = code;
  }
}

export interface WholeFileOptions {
  /** Replace a file that exists (default); false refuses it (`EEXIST`), as the `wx` flag does. */
  readonly replace?: boolean;
  /** Make the file's folder (and those above it) first, when missing. */
  readonly makeFolder?: boolean;
}

/**
 * Writes `data` to `file` whole or not at all: a full disk, a read-only folder or any other write
 * error leaves no cut file and keeps the file that was there. A file replaced is written beside it
 * first and renamed over it (a symlink is written through, to the file it names, even one that names
 * no file yet, and that file's permissions are kept); a file we may not write is refused (EACCES), as
 * a plain write would be; a new file that cannot be written whole is removed. What is no regular file
 * (a pipe, a device) is written to as it is, not replaced, and so is a descriptor (`/dev/stdout`,
 * `/dev/fd/N`), whatever it is open on: a `> r.md` the shell made is written at its place, not
 * renamed over. Not whole: a file we may write in a folder that takes no new file (EACCES, no
 * temporary file can be made beside it) is written in place, as a plain write would; a write error
 * then (a full disk) may leave it cut. Throws a `FileWriteError`.
 */
export function writeWholeFile(file: string, data: string, options: WholeFileOptions = {}): void {
  const write = () => (options.replace === false ? createFile(file, data) : replaceFile(file, data));
  try {
    try {
      write();
    } catch (error) {
      // Only a folder missing is made: a file where a folder should be stays ENOTDIR.
      if (!options.makeFolder || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(dirname(file), { recursive: true });
      write();
    }
  } catch (error) {
    throw new FileWriteError(file, error);
  }
}

/** A file that must not exist yet: made with `wx`, and removed again if its data cannot be written. */
function createFile(file: string, data: string): void {
  const fd = openSync(file, 'wx');
  try {
    writeFileSync(fd, data);
  } catch (error) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw error;
  }
  closeSync(fd);
}

/**
 * Written to a temporary file in the same folder, then renamed over the file: the old one stays until
 * the new one is whole. What is there but no regular file (`/dev/stdout`, `/dev/fd/3`, a FIFO, a
 * device) cannot be replaced so, and is written to as it is.
 */
function replaceFile(file: string, data: string): void {
  const descriptor = descriptorNamed(file);
  if (descriptor !== undefined) {
    writeToDescriptor(file, descriptor, data);
    return;
  }
  const there = statOf(file);
  if (there && !there.isFile()) {
    writeFileSync(file, data);
    return;
  }
  const target = there ? realpathSync(file) : whereLinkLeads(file);
  // Renaming over a read-only file would replace it; a plain write is refused (root may still write).
  if (there) accessSync(target, constants.W_OK);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, data, { flag: 'wx' });
  } catch (error) {
    rmSync(temp, { force: true });
    // A folder that takes no new file, holding a file we may write: written in place, as before.
    if (!there || !NO_NEW_FILE.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    writeFileSync(target, data);
    return;
  }
  try {
    if (there) chmodSync(temp, there.mode & 0o7777);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** What a folder we may not add to answers a new file's open. */
const NO_NEW_FILE = new Set(['EACCES', 'EPERM']);

/** The descriptor a path names (`/dev/stdout` 1, `/dev/stderr` 2, `/dev/fd/N`, `/proc/self/fd/N`), if it names one. */
function descriptorNamed(file: string): number | undefined {
  const path = resolve(file);
  const standard = STANDARD_DESCRIPTORS[path];
  if (standard !== undefined) return standard;
  const numbered = /^\/(?:dev\/fd|proc\/(?:self|thread-self|(\d+))\/fd)\/(\d+)$/.exec(path);
  if (!numbered || (numbered[1] !== undefined && Number(numbered[1]) !== process.pid)) return undefined;
  return Number(numbered[2]);
}

const STANDARD_DESCRIPTORS: Readonly<Record<string, number>> = { '/dev/stdin': 0, '/dev/stdout': 1, '/dev/stderr': 2 };

/**
 * A descriptor open on a file (a shell's `> r.md`, maybe after an `echo HEADER`) is written through
 * itself, at its place, so what the shell writes after follows the report; opened anew by its name,
 * the file would be cut to nothing and written from its start. On a pipe, a terminal or a device it
 * is opened by its name, as a plain write does (that open blocks as a pipe's own end may not).
 */
function writeToDescriptor(file: string, descriptor: number, data: string): void {
  if (fstatSync(descriptor).isFile()) writeFileSync(descriptor, data);
  else writeFileSync(file, data);
}

/** The file a path leads to through its symlinks, one that names no file (a dangling link) included. */
function whereLinkLeads(file: string): string {
  let path = file;
  for (let hops = 0; hops < MAX_SYMLINK_HOPS; hops++) {
    const link = statOf(path, lstatSync);
    if (!link?.isSymbolicLink()) return path;
    path = resolve(dirname(path), readlinkSync(path));
  }
  throw Object.assign(new Error(`too many symbolic links: ${file}`), { code: 'ELOOP' });
}

/** As many symlinks as Linux follows in one path before ELOOP. */
const MAX_SYMLINK_HOPS = 40;

/** What is at a path (through its symlinks, unless `lstatSync` is given), or undefined when nothing is. */
function statOf(file: string, stat: (path: string) => Stats = statSync): Stats | undefined {
  try {
    return stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
