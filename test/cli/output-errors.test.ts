import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { EXIT_BROKEN_PIPE, EXIT_OUTPUT_ERROR, exitOnOutputError } from '../../lambdas/cli/broken-pipe.ts';
import { runInit } from '../../lambdas/cli/init-command.ts';
import { runReport } from '../../lambdas/cli/report-command.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { fullDisk } from '../helpers/full-disk.ts';

vi.mock('node:fs', async (real) => (await import('../helpers/full-disk.ts')).withFullDisk(await real()));

afterEach(() => {
  fullDisk.folder = undefined;
});

const cliPath = fileURLToPath(new URL('../../bin/silent-audit.mjs', import.meta.url));
const linux = process.platform === 'linux' && existsSync('/dev/full');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sa-out-err-'));
}

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d.toString()));
  return { stream, text: () => text };
}

/** Five jobs' runs on 1 October 2026, each failed (exit 3): findings, a report, and jobs for a config. */
function failedRuns(dir: string): string {
  const lines = Array.from({ length: 20 }, (_, i) => {
    const at = Date.parse('2026-10-01T00:00:00Z') + i * 60_000;
    const run = { job: `job-${i % 5}`, run_id: `run-${i}` };
    return [
      JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), ...run }),
      JSON.stringify({ type: 'run.end', ts: new Date(at + 1000).toISOString(), ...run, exit_code: 3, duration_ms: 1000 }),
    ].join('\n');
  });
  const file = join(dir, 'runs.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The CLI run in `cwd` with its stdout on `stdout` (a descriptor). */
function cli(args: string[], cwd: string, stdout: number | 'pipe' = 'pipe') {
  return spawnSync(process.execPath, [cliPath, ...args], { cwd, stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8', timeout: 60_000 });
}

/** The CLI run with its stdout on /dev/full (`> /dev/full`): every write fails with ENOSPC. */
function cliToFullDisk(args: string[], cwd: string) {
  const full = openSync('/dev/full', 'w');
  try {
    return cli(args, cwd, full);
  } finally {
    closeSync(full);
  }
}

describe('a file that cannot be written (a full disk, a read-only folder)', () => {
  it.skipIf(!linux)('init --force on a full disk keeps the config that was there, not a cut one, and exits 2 naming the file', async () => {
    // Prepare
    const dir = tempDir();
    const log = failedRuns(dir);
    const config = join(dir, 'silent-audit.config.yaml');
    writeFileSync(config, 'jobs:\n  job-0:\n    schedule: "0 2 * * *"\n');
    fullDisk.folder = dir;
    const err = capture();
    // Act
    const result = await runInit({ paths: [log], cwd: dir, out: 'silent-audit.config.yaml', force: true, stdout: capture().stream, stderr: err.stream });
    // Assess
    expect(result.exitCode).toBe(2);
    expect(err.text()).toContain('silent-audit init: cannot write silent-audit.config.yaml (ENOSPC)\n');
    expect(readFileSync(config, 'utf8')).toBe('jobs:\n  job-0:\n    schedule: "0 2 * * *"\n');
    expect(readdirSync(dir).sort()).toEqual(['runs.log', 'silent-audit.config.yaml']);
  });

  it.skipIf(!linux)('report --out on a full disk keeps the report that was there and exits 2 naming the file, not a stack trace', async () => {
    // Prepare
    const dir = tempDir();
    const log = failedRuns(dir);
    const out = join(dir, 'october.md');
    writeFileSync(out, '# Last good report\n');
    fullDisk.folder = dir;
    const err = capture();
    // Act
    const result = await runReport({ month: '2026-10', paths: [log], out, config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') }, stdout: capture().stream, stderr: err.stream });
    // Assess
    expect(result.exitCode).toBe(2);
    expect(err.text()).toContain(`silent-audit report: cannot write ${out} (ENOSPC)\n`);
    expect(err.text()).not.toContain('Wrote');
    expect(readFileSync(out, 'utf8')).toBe('# Last good report\n');
    expect(readdirSync(dir).sort()).toEqual(['october.md', 'runs.log']);
  });

  it('report --out into a folder that cannot be made (a file in its path) says so in one line and exits 2', () => {
    // Prepare
    const dir = tempDir();
    const log = failedRuns(dir);
    // Act
    const { status, stderr } = cli(['report', '--month', '2026-10', '--now', '2026-10-02T00:00:00Z', log, '--out', 'runs.log/october.md'], dir);
    // Assess
    expect(stderr).toContain('silent-audit report: cannot write runs.log/october.md (ENOTDIR)\n');
    expect(stderr).not.toContain('    at ');
    expect(status).toBe(2);
  });

  it.skipIf(!linux)('report --out /dev/stdout into a shell pipe (| cat) writes the report there and exits 0', () => {
    // Prepare: a shell's pipe, as `| gzip` gives (spawnSync's own 'pipe' is a socket, which /dev/stdout cannot open: ENXIO).
    const dir = tempDir();
    const log = failedRuns(dir);
    const report = [process.execPath, cliPath, 'report', '--month', '2026-10', '--now', '2026-10-02T00:00:00Z', log, '--out', '/dev/stdout'];
    const quoted = report.map((arg) => `'${arg}'`).join(' ');
    // Act
    const { stdout, stderr } = spawnSync('sh', ['-c', `{ ${quoted}; echo "exit $?" >&2; } | cat`], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    // Assess
    expect(stderr).not.toContain('cannot write');
    expect(stderr).toContain('exit 0\n');
    expect(stdout).toContain('# Monthly audit report: October 2026');
    expect(stdout).toContain('job-0');
  });

  it.skipIf(!linux)('report --out /dev/stdout with stdout on a file (a grouped `{ …; } > grp.txt`, as cron redirects) keeps what came before and after it', () => {
    // Prepare
    const dir = tempDir();
    const log = failedRuns(dir);
    const report = [process.execPath, cliPath, 'report', '--month', '2026-10', '--now', '2026-10-02T00:00:00Z', log, '--out', '/dev/stdout'];
    const quoted = report.map((arg) => `'${arg}'`).join(' ');
    // Act
    const { stderr } = spawnSync('sh', ['-c', `{ echo HEADER; ${quoted}; echo "exit $?" >&2; echo FOOTER; } > grp.txt`], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    // Assess
    const grouped = readFileSync(join(dir, 'grp.txt'), 'utf8');
    expect(stderr).toContain('exit 0\n');
    expect(grouped.startsWith('HEADER\n# Monthly audit report: October 2026')).toBe(true);
    expect(grouped).toContain('job-0');
    expect(grouped.endsWith('\nFOOTER\n')).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['grp.txt', 'runs.log']);
  });
});

describe('a stdout that cannot be written (> /dev/full)', () => {
  it('exits 2 saying so on stderr for any error but EPIPE, which still ends the process with 141', () => {
    // Prepare
    const stdout = new EventEmitter();
    const stderr = Object.assign(new EventEmitter(), { text: '', write: (t: string) => (stderr.text += t) });
    const exits: number[] = [];
    exitOnOutputError({ stdout, stderr }, (code) => exits.push(code));
    exitOnOutputError({ stdout, stderr }, (code) => exits.push(code));
    // Act
    stdout.emit('error', Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' }));
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    stderr.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
    // Assess
    expect(exits).toEqual([EXIT_OUTPUT_ERROR, EXIT_BROKEN_PIPE, EXIT_OUTPUT_ERROR]);
    expect(EXIT_OUTPUT_ERROR).toBe(2);
    expect(stderr.text).toBe('silent-audit: cannot write stdout (ENOSPC)\n');
  });

  it.skipIf(!linux).each([
    ['scan --json', (log: string) => ['scan', '--json', log]],
    ['scan', (log: string) => ['scan', log]],
    ['report', (log: string) => ['report', '--month', '2026-10', '--now', '2026-10-02T00:00:00Z', log]],
    ['init --out -', (log: string) => ['init', '--out', '-', log]],
  ])('%s exits 2 with one line on stderr, not a stack trace and 1 ("findings")', (_name, args) => {
    // Prepare
    const dir = tempDir();
    const log = failedRuns(dir);
    // Act
    const { status, stderr } = cliToFullDisk(args(log), dir);
    // Assess
    expect(stderr).toContain('silent-audit: cannot write stdout (ENOSPC)\n');
    expect(stderr).not.toContain('    at ');
    expect(status).toBe(2);
  });
});
