import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
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
 * (`/dev/stdout`, a pipe, a device) is written to as it is, not replaced. Throws a `FileWriteError`.
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
    if (there) chmodSync(temp, there.mode & 0o7777);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
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
