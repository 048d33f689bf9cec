import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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
 * first and renamed over it (a symlink is written through, to the file it names, and that file's
 * permissions are kept); a new file that cannot be written whole is removed. Throws a `FileWriteError`.
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

/** Written to a temporary file in the same folder, then renamed over the file: the old one stays until the new one is whole. */
function replaceFile(file: string, data: string): void {
  const target = existingPath(file) ?? file;
  const mode = modeOf(target);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, data, { flag: 'wx' });
    if (mode !== undefined) chmodSync(temp, mode);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** The file a path names, through any symlinks, when it exists. */
function existingPath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

function modeOf(file: string): number | undefined {
  try {
    return statSync(file).mode & 0o7777;
  } catch {
    return undefined;
  }
}
