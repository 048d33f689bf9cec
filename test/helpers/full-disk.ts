/**
 * A full disk for tests, by mocking `node:fs`: a `writeFileSync` into the folder `fullDisk.folder`
 * stores what fits (its first 8 characters) and fails with ENOSPC, as a real full disk cuts a file.
 * In a test file: `vi.mock('node:fs', async (real) => (await import('../helpers/full-disk.ts')).withFullDisk(await real()))`.
 */
export const fullDisk: { folder: string | undefined } = { folder: undefined };

type Fs = typeof import('node:fs');

export function withFullDisk(real: Fs): Fs {
  const writeFileSync: Fs['writeFileSync'] = (file, data, options) => {
    // A descriptor's file, by its name under /proc (Linux: the tests using it skip elsewhere).
    const into = typeof file === 'number' ? real.readlinkSync(`/proc/self/fd/${file}`) : String(file);
    if (fullDisk.folder === undefined || !into.startsWith(fullDisk.folder)) return real.writeFileSync(file, data, options);
    real.writeFileSync(file, String(data).slice(0, 8), options);
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
  };
  return { ...real, writeFileSync, default: { ...real, writeFileSync } } as Fs;
}
