import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { buildProgram } from '../../lambdas/cli/program.ts';

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
