import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';

const file = fileURLToPath(new URL('../fixtures/instrumented/guard-bypasses.jsonl', import.meta.url));

function sink() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d));
  return { stream, text: () => text };
}

describe('silent-audit scan: guard bypasses', () => {
  it('judges bypasses against the config exceptions as they stand, an expired one included', async () => {
    // Prepare: EX-12 valid, EX-7 expired; the third bypass names none.
    const config = validateConfig({
      exceptions: [
        { id: 'EX-12', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31' },
        { id: 'EX-7', guard: 'pii-redaction', reason: 'migration', owner: 'carol@example.com', expires: '2026-09-30' },
      ],
    });
    const out = sink();
    // Act
    const result = await runScan({ paths: [file], config, json: true, stdout: out.stream, stderr: sink().stream });
    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.findings.map((f) => [f.detector, f.subject, f.ts])).toEqual([
      ['guard-exception-expired', 'pii-redaction', '2026-10-15T09:30:00Z'],
      ['guard-bypass-unregistered', 'approval-step', '2026-10-15T10:00:00Z'],
    ]);
    expect(result.findings[0].message).toBe('guard "pii-redaction" bypassed by export-job for job nightly-export under EX-7, which expired on 2026-09-30 (15 days before); owner carol@example.com');
    expect(result.findings[1].message).toBe('guard "approval-step" bypassed by dev-bob for route refunds ("hotfix, just this once") with no exception');
    expect(out.text().trim().split('\n').map((l) => JSON.parse(l).detector)).toEqual(['guard-exception-expired', 'guard-bypass-unregistered']);
  });

  it("reads a bypass line's guard without the spaces around it, as the config reads an exception's, so the exception covers it", async () => {
    // Prepare: one line names the guard with a trailing space, one without; EX-1 is for pii-redaction.
    const dir = mkdtempSync(join(tmpdir(), 'guard-space-'));
    const path = join(dir, 'by.log');
    const line = (guard: string, run: string, ts: string) => JSON.stringify({ type: 'guard.bypass', guard, exception_id: 'EX-1', agent: 'bot', run_id: run, ts });
    writeFileSync(path, `${line('pii-redaction ', 'r1', '2026-11-20T10:00:00Z')}\n${line(' pii-redaction', 'r2', '2026-11-20T11:00:00Z')}\n`);
    const config = validateConfig({ exceptions: [{ id: 'EX-1', guard: 'pii-redaction ', reason: 'r', owner: 'o@example.com', expires: '2027-01-30' }] });
    // Act
    const result = await runScan({ paths: [path], config, json: true, stdout: sink().stream, stderr: sink().stream });
    // Assess: both bypasses are under a valid exception for their guard.
    expect(result.findings.map((f) => [f.detector, f.subject, f.evidence.problem])).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it("reads a bypass line's exception_id logged as a number (a ticket number) as its decimal text, so it is judged", async () => {
    // Prepare: 1234 is registered (as the text "1234"), 99 is not.
    const dir = mkdtempSync(join(tmpdir(), 'guard-number-'));
    const path = join(dir, 'by.log');
    const line = (exceptionId: number, ts: string) => JSON.stringify({ type: 'guard.bypass', ts, guard: 'pii-redaction', exception_id: exceptionId, actor: 'support-bot' });
    writeFileSync(path, `${line(1234, '2026-12-05T09:30:00Z')}\n${line(99, '2026-12-05T09:31:00Z')}\n`);
    const config = validateConfig({ exceptions: [{ id: '1234', guard: 'pii-redaction', reason: 'ticket', owner: 'alice@example.com', expires: '2027-01-31' }] });
    // Act
    const result = await runScan({ paths: [path], config, json: true, stdout: sink().stream, stderr: sink().stream });
    // Assess: no line is rejected; 1234 is covered, 99 is an unknown exception.
    expect(result.counts).toMatchObject({ events: 2, rejected: 0 });
    expect(result.findings.map((f) => [f.detector, f.severity, f.evidence.problem, f.evidence.exception_id])).toEqual([['guard-bypass-unregistered', 'high', 'unknown-exception', '99']]);
    expect(result.findings[0].message).toContain('under 99');
    expect(result.exitCode).toBe(1);
  });

  it("judges a bypass whose exception_id is a number past 2^53 or a fraction under the id as the line wrote it, instead of rejecting the line", async () => {
    // Prepare: a snowflake-sized ticket number registered as its text; another one past 2^53 and a fraction, not registered
    const dir = mkdtempSync(join(tmpdir(), 'guard-big-number-'));
    const path = join(dir, 'by.log');
    const line = (exceptionId: string, ts: string) => `{"type":"guard.bypass","ts":"${ts}","guard":"pii-redaction","exception_id":${exceptionId},"actor":"support-bot"}`;
    writeFileSync(path, `${line('1175928471389241354', '2026-12-05T09:30:00Z')}\n${line('1175928471389241355', '2026-12-05T09:31:00Z')}\n${line('12.5', '2026-12-05T09:32:00Z')}\n`);
    const config = validateConfig({ exceptions: [{ id: '1175928471389241354', guard: 'pii-redaction', reason: 'ticket', owner: 'alice@example.com', expires: '2027-01-31' }] });
    // Act
    const result = await runScan({ paths: [path], config, json: true, stdout: sink().stream, stderr: sink().stream });
    // Assess: no line is rejected; the registered snowflake is covered, the others are unknown exceptions named as logged
    expect(result.counts).toMatchObject({ events: 3, rejected: 0 });
    expect(result.findings.map((f) => [f.detector, f.evidence.problem, f.evidence.exception_id])).toEqual([
      ['guard-bypass-unregistered', 'unknown-exception', '1175928471389241355'],
      ['guard-bypass-unregistered', 'unknown-exception', '12.5'],
    ]);
    expect(result.exitCode).toBe(1);
  });

  it('reports every bypass as unregistered without a registry', async () => {
    const result = await runScan({ paths: [file], config: validateConfig({}), json: true, stdout: sink().stream, stderr: sink().stream });
    expect(result.findings.map((f) => f.evidence.problem)).toEqual(['unknown-exception', 'unknown-exception', 'no-exception']);
  });
});
