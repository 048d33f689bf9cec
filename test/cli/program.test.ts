import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { buildProgram } from '../../lambdas/cli/program.ts';
import { cli } from '../helpers/cli-in-process.ts';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('silent-audit --version', () => {
  it.each(['--version', '-V'])('%s prints the version of package.json and exits 0', async (flag) => {
    // Prepare
    let printed = '';
    const program = buildProgram().configureOutput({ writeOut: (s) => (printed += s) });

    // Act
    const error = await program.parseAsync(['node', 'silent-audit', flag]).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).toBe(0);
    expect(printed).toBe(`${packageVersion}\n`);
  });
});

describe('silent-audit --version after a subcommand is not the version', () => {
  it.each(['--version', '-V'])('exec --job J CMD %s without -- gives the flag to CMD, not the version', async (flag) => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sa-version-'));
    const log = join(dir, 'runs.log');

    // Act
    const run = await cli(['exec', '--job', 'nightly-backup', '--log', log, 'sh', '-c', 'echo "$0"', flag]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${flag}\n`);
    expect(run.stderr).not.toContain('unknown option');
    expect(readFileSync(log, 'utf8')).toContain('"type":"run.end"');
  });

  it('scan FILE --version is a usage error, not the version', async () => {
    // Act
    const run = await cli(['scan', '/nonexistent.log', '--version']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).not.toContain(packageVersion);
    expect(run.stderr).toContain("unknown option '--version'");
  });

  it('exec --job J --log L -- CMD --version still runs CMD with its own --version', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sa-version-'));
    const log = join(dir, 'runs.log');

    // Act
    const run = await cli(['exec', '--job', 'nightly-backup', '--log', log, '--', process.execPath, '--version']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(packageVersion);
    expect(readFileSync(log, 'utf8')).toContain('"type":"run.end"');
  });
});
