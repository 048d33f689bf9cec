import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_BROKEN_PIPE, exitOnOutputError } from '../../lambdas/cli/broken-pipe.ts';

const cliPath = fileURLToPath(new URL('../../bin/silent-audit.mjs', import.meta.url));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sa-pipe-'));
}

/** Runs the CLI with its stdout read until the first chunk, then closed, as `| head -1` does. */
function runWithReaderGone(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stderr })));
}

describe('a reader that goes away (| head)', () => {
  it('ends the process with 141 on EPIPE, quietly, once however often a stream is watched (other errors: output-errors.test.ts)', () => {
    // Prepare
    const stdout = new EventEmitter();
    const stderr = Object.assign(new EventEmitter(), { text: '', write: (t: string) => (stderr.text += t) });
    const exits: number[] = [];
    exitOnOutputError({ stdout, stderr }, (code) => exits.push(code));
    exitOnOutputError({ stdout, stderr }, (code) => exits.push(code));
    const broken = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    // Act
    stdout.emit('error', broken);
    // Assess
    expect(exits).toEqual([EXIT_BROKEN_PIPE]);
    expect(EXIT_BROKEN_PIPE).toBe(141);
    expect(stderr.text).toBe('');
  });

  it('stops scan --json quietly with 141, not a stack trace and 1 ("findings")', async () => {
    // Prepare: 3,000 failed runs, far more findings than a pipe holds
    const log = join(tempDir(), 'runs.log');
    const lines = Array.from({ length: 3000 }, (_, i) => {
      const at = Date.parse('2026-10-01T00:00:00Z') + i * 60_000;
      const run = { job: `job-${i % 50}`, run_id: `run-${i}` };
      return [
        JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), ...run }),
        JSON.stringify({ type: 'run.end', ts: new Date(at + 1000).toISOString(), ...run, exit_code: 3, duration_ms: 1000 }),
      ].join('\n');
    });
    writeFileSync(log, `${lines.join('\n')}\n`);
    // Act
    const { status, stderr } = await runWithReaderGone(['scan', '--json', log]);
    // Assess
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).not.toContain('    at ');
    expect(status).toBe(EXIT_BROKEN_PIPE);
  });

  it("ends exec's job as it would end unwrapped, keeping the command's exit code and its run.end line", async () => {
    // Prepare
    const dir = tempDir();
    const log = join(dir, 'chatty.log');
    // Act
    const { status, stderr } = await runWithReaderGone(['exec', '--job', 'chatty', '--log', log, '--', process.execPath, '-e', "for (let i = 0; i < 20000; i++) console.log('line', i); process.exitCode = 5"]);
    // Assess
    expect(stderr).toBe('');
    expect(status).toBe(5);
    const end = JSON.parse(readFileSync(log, 'utf8').trim().split('\n')[1]) as Record<string, unknown>;
    expect(end).toMatchObject({ type: 'run.end', job: 'chatty', exit_code: 5 });
    // the reader went away early: the command's output was closed then, not passed on to its end
    expect(end.output_lines).toBeLessThan(20000);
  });
});
