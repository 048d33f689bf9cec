import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, vi } from 'vitest';
import { CommanderError } from 'commander';
import { buildProgram } from '../../lambdas/cli/program.ts';
import { ScanStore, ScanWriteBackError } from '../../lambdas/cli/scan-store.ts';
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

describe('a config whose deploy lists feed a log group twice', () => {
  it('is read by scan, report and mcp (nothing is deployed there) with one warning line naming the file and line', async () => {
    // Prepare: /aws/lambda/a in both deploy lists, and under the account policy; synth refuses it
    const dir = mkdtempSync(join(tmpdir(), 'sa-routing-'));
    const config = join(dir, 'silent-audit.config.yaml');
    writeFileSync(config, 'deploy:\n  log_groups: [/aws/lambda/a]\n  kinesis_log_groups:\n    - /aws/lambda/a\n  account_policy: true\n');
    const log = join(dir, 'empty.log');
    writeFileSync(log, '');

    // Act
    const run = await cli(['scan', log, '--config', config]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('0 findings');
    const warnings = run.stderr.split('\n').filter((line) => line.includes('deploy.'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^silent-audit: warning: ${config.replace(/[.\\/]/g, '\\$&')}: deploy\\.log_groups\\.0: .*\\(line 2\\); deploy\\.kinesis_log_groups\\.0: .*\\(line 4\\)`));
  });
});

describe('--year in the help of each command that reads files', () => {
  it.each(['scan', 'init', 'report', 'mcp'])('%s --help says a rotated pair crossing New Year needs no --year, or joining first', (name) => {
    // Act
    const help = buildProgram()
      .commands.find((c) => c.name() === name)!
      .helpInformation()
      .replace(/\s+/g, ' ');

    // Assess
    expect(help).toContain('the year the syslog dates of each file begin in');
    expect(help).toContain('for rotated files that cross New Year (syslog.1 in December, syslog in January) give none when they lie within the past year, else join them in time order first (cat syslog.1 syslog > all.log)');
  });
});

describe('silent-audit scan --store when another scan saved the same subjects first', () => {
  it('says which subjects were not saved and to run the scan again, with exit 2, not a stack trace', async () => {
    // Prepare: a bypass log; the store's write-back finds the guard's stored state moved meanwhile (another scan saved it)
    const dir = mkdtempSync(join(tmpdir(), 'sa-writeback-'));
    const log = join(dir, 'host1.log');
    writeFileSync(log, '{"type":"guard.bypass","ts":"2026-12-07T09:00:00Z","guard":"pii-redaction","actor":"bot-1"}\n');
    const writeBack = vi.spyOn(ScanStore.prototype, 'writeBack').mockRejectedValue(new ScanWriteBackError(['guard#pii-redaction']));

    // Act
    const run = await cli(['scan', '--store', inject('dynamoEndpoint'), log]).finally(() => writeBack.mockRestore());

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('silent-audit: the stored state of guard#pii-redaction changed while the scan ran; nothing of those subjects was saved: run the scan again\n');
    expect(run.stderr).not.toContain('    at ');
  });
});
