import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAuditSource } from '../../lambdas/cli/mcp-command.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { connectClient, quietStream, structured } from './fixture-month.ts';

const JOB = '/usr/local/bin/rotate-cache.sh';

/** A log file of these lines in a new temporary folder (`prefix`), named `name`. */
function writeLog(prefix: string, name: string, lines: readonly string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Debian cron starts rotate-cache hourly at :17 on 10 and 11 November (48 CMD lines); its 00:17 and 12:17 runs on the 11th fail (grandchild lines). */
function debianCronLog(): string {
    const lines: string[] = [];
  for (const day of [10, 11]) {
    for (let hour = 0; hour < 24; hour++) {
      const pid = day * 1000 + hour * 10;
      const hh = String(hour).padStart(2, '0');
      lines.push(`2026-11-${day}T${hh}:17:00+00:00 deb1 CRON[${pid}]: (root) CMD (${JOB})`);
      if (day === 11 && hour % 12 === 0) lines.push(`2026-11-${day}T${hh}:17:40+00:00 deb1 CRON[${pid - 1}]: (CRON) error (grandchild #${pid} failed with exit status 2)`);
    }
  }
  return writeLog('mcp-debian-cron-', 'syslog.log', lines);
}

describe('subject_status of a cron job whose runs log only their start and failures', () => {
  it('counts its starts as its runs, ok those past their healthy window without a failure, and the rate over them, not 0% from its failure records alone', async () => {
    // Prepare: asked at noon on the 12th: the starts up to noon on the 11th are past the default 24 h healthy window
    const source = await openAuditSource({ paths: [debianCronLog()], config: DEFAULT_CONFIG, now: Date.parse('2026-11-12T12:00:00Z'), stderr: quietStream() });
    const mcp = await connectClient(source.view);

    // Act
    const status = structured<{ success: { last_24h: unknown; last_7d: unknown } }>(await mcp.call('subject_status', { kind: 'job', subject: JOB }));
    await mcp.close();
    await source.close();

    // Assess: 7 days: 48 starts, 36 settled (1 of them failed: 00:17 on the 11th), the 12:17 failure and 11 later starts not settled
    expect(status.success.last_7d).toEqual({
      runs: 48,
      ok: 35,
      failed: 2,
      in_flight: 11,
      success_rate: 0.9722,
      with_findings: 2,
      note: 'its runs log only their start and failures: a run with no failure is ok 24.0 h after its start; success_rate is over the 36 starts that old (1 failed)',
    });
    // 24 h: the 12 starts from 12:17 on the 11th, none 24 h old yet: its rate is not known, not 0
    expect(status.success.last_24h).toEqual({
      runs: 12,
      ok: 0,
      failed: 1,
      in_flight: 11,
      success_rate: null,
      with_findings: 1,
      note: 'its runs log only their start and failures: a run with no failure is ok 24.0 h after its start; none of the window’s starts is that old yet, so success_rate is not known',
    });
  });
});

/** cronie without `-s` starts rotate-cache hourly at :17 on 10 and 11 November: CMD lines only, a failure of it is never logged. */
function cronieCmdOnlyLog(): string {
    const lines: string[] = [];
  for (const day of [10, 11]) {
    for (let hour = 0; hour < 24; hour++) lines.push(`Nov ${day} ${String(hour).padStart(2, '0')}:17:00 rhel1 CROND[${day * 100 + hour}]: (root) CMD (${JOB})`);
  }
  return writeLog('mcp-cronie-cmd-', 'cron.log', lines);
}

describe('subject_status of a job whose runs log only their start and whose failures are never logged', () => {
  it('counts its starts as its runs but no run ok and no success rate: a start with no failure logged is no sign of success', async () => {
    // Prepare: cronie's CMD lines only (no -s): 48 starts, 36 of them past the 24 h healthy window at noon on the 12th
    const source = await openAuditSource({ paths: [cronieCmdOnlyLog()], config: DEFAULT_CONFIG, now: Date.parse('2026-11-12T12:00:00Z'), stderr: quietStream() });
    const mcp = await connectClient(source.view);

    // Act
    const status = structured<{ success: { last_24h: unknown; last_7d: unknown } }>(await mcp.call('subject_status', { kind: 'job', subject: JOB }));
    await mcp.close();
    await source.close();

    // Assess: not 36 ok and success_rate 1 (100% for a job whose failures cannot be seen)
    const note = 'its runs log only their start, and no failure of it was ever logged (cronie’s CMD lines without -s, runs that never log an end): their outcome is not known, so ok and success_rate are not';
    expect(status.success.last_7d).toEqual({ runs: 48, ok: null, failed: 0, success_rate: null, with_findings: 0, note });
    expect(status.success.last_24h).toEqual({ runs: 12, ok: null, failed: 0, success_rate: null, with_findings: 0, note });
  });
});

describe('subject_status of a job whose runs log only their start, more of them in the window than its state keeps', () => {
  it('says its runs are at least the starts it keeps, when its state no longer keeps all of the window’s', async () => {
    // Prepare: cronie's CMD lines only (no -s) every 15 minutes from 4 to 11 November: 768 starts, the state keeping its latest 200
        const lines: string[] = [];
    for (let day = 4; day <= 11; day++) {
      for (let hour = 0; hour < 24; hour++) {
        for (const minute of [2, 17, 32, 47]) lines.push(`Nov ${String(day).padStart(2, ' ')} ${String(hour).padStart(2, '0')}:${minute}:00 rhel1 CROND[${day * 10_000 + hour * 100 + minute}]: (root) CMD (${JOB})`);
      }
    }
    const file = writeLog('mcp-cronie-many-', 'cron.log', lines);
    const source = await openAuditSource({ paths: [file], config: DEFAULT_CONFIG, now: Date.parse('2026-11-12T00:00:00Z'), stderr: quietStream() });
    const mcp = await connectClient(source.view);

    // Act
    const status = structured<{ success: { last_7d: { runs: number; ok: null; note: string } } }>(await mcp.call('subject_status', { kind: 'job', subject: JOB }));
    await mcp.close();
    await source.close();

    // Assess: 672 started in the 7 days; the count it gives is a lower bound, and says so
    expect(status.success.last_7d.runs).toBeLessThan(672);
    expect(status.success.last_7d.ok).toBeNull();
    expect(status.success.last_7d.note).toMatch(/its state keeps only its latest starts \(from 2026-11-\d\dT[\d:]+Z\), not all of the window’s: runs is at least this$/);
  });
});

describe('subject_status of a cron job whose runs log only their start and failures, a run failed in the window that started before it', () => {
  it('does not take the failure of a run started before the window from the window’s starts', async () => {
    // Prepare: a run starts at 11:50 on the 10th and fails at 12:10, two more start at 13:00 and 14:00; asked 7 days after 12:00 on the 10th
        const lines = [
      `2026-11-10T11:50:00+00:00 deb1 CRON[500]: (root) CMD (${JOB})`,
      `2026-11-10T12:10:00+00:00 deb1 CRON[499]: (CRON) error (grandchild #500 failed with exit status 2)`,
      `2026-11-10T13:00:00+00:00 deb1 CRON[600]: (root) CMD (${JOB})`,
      `2026-11-10T14:00:00+00:00 deb1 CRON[700]: (root) CMD (${JOB})`,
    ];
    const file = writeLog('mcp-debian-edge-', 'syslog.log', lines);
    const source = await openAuditSource({ paths: [file], config: DEFAULT_CONFIG, now: Date.parse('2026-11-17T12:00:00Z'), stderr: quietStream() });
    const mcp = await connectClient(source.view);

    // Act
    const status = structured<{ success: { last_7d: unknown } }>(await mcp.call('subject_status', { kind: 'job', subject: JOB }));
    await mcp.close();
    await source.close();

    // Assess: the window's 2 starts are ok; the run that failed started before it (not ok 1 of 2)
    expect(status.success.last_7d).toEqual({
      runs: 2,
      ok: 2,
      failed: 0,
      in_flight: 0,
      success_rate: 1,
      with_findings: 0,
      note: 'its runs log only their start and failures: a run with no failure is ok 24.0 h after its start; success_rate is over the 2 starts that old (0 failed)',
    });
  });
});

describe('subject_status of a cronie job whose runs logged only their start, then their end (-s) in the window', () => {
  it('counts the starts before its runs logged an end among its runs, their outcome not known, not its records after the switch alone', async () => {
    // Prepare: hourly at :17, CMD only on the 10th, CMD and CMDEND from the 11th; asked at noon on the 12th
        const lines: string[] = [];
    for (const day of [10, 11]) {
      for (let hour = 0; hour < 24; hour++) {
        const hh = String(hour).padStart(2, '0');
        lines.push(`Nov ${day} ${hh}:17:00 rhel1 CROND[${day * 100 + hour}]: (root) CMD (${JOB})`);
        if (day === 11) lines.push(`Nov ${day} ${hh}:18:00 rhel1 CROND[${day * 100 + hour}]: (root) CMDEND (${JOB})`);
      }
    }
    const file = writeLog('mcp-cronie-switch-', 'cron.log', lines);
    const source = await openAuditSource({ paths: [file], config: DEFAULT_CONFIG, now: Date.parse('2026-11-12T12:00:00Z'), stderr: quietStream() });
    const mcp = await connectClient(source.view);

    // Act
    const status = structured<{ success: { last_7d: Record<string, unknown> } }>(await mcp.call('subject_status', { kind: 'job', subject: JOB }));
    await mcp.close();
    await source.close();

    // Assess: 48 runs, not 24: the 24 of the 10th counted by their start, no failure of theirs logged, so not ok; the rate over the 24 recorded
    expect(status.success.last_7d).toMatchObject({ runs: 48, ok: 24, failed: 0, success_rate: 1 });
    expect(status.success.last_7d.note).toBe('24 of its runs started before its runs logged an end (2026-11-11T00:18:00Z): counted by their start, their outcome is not known (no failure of them was logged); success_rate is over the other 24');
  });
});
