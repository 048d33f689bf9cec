import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAuditSource } from '../../lambdas/cli/mcp-command.ts';
import { runReport } from '../../lambdas/cli/report-command.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { connectClient, quietStream, structured } from './fixture-month.ts';

/**
 * vacuum's daily runs at 01:00 on 1 to 9 October, 30 min each, ok; its run of the 10th (v-10) starts and never logs
 * its end. ping's one run at 00:20 on the 11th: the files reach that far, so the report judges v-10 unfinished too.
 */
function hungJobLog(): string {
  const line = (o: object) => JSON.stringify({ job: 'vacuum', ...o });
  const lines: string[] = [];
  for (let d = 1; d <= 10; d++) {
    const day = String(d).padStart(2, '0');
    const run_id = `v-${day}`;
    lines.push(line({ type: 'run.start', ts: `2026-10-${day}T01:00:00Z`, run_id }));
    if (d < 10) lines.push(line({ type: 'run.end', ts: `2026-10-${day}T01:30:00Z`, run_id, exit_code: 0, duration_ms: 1_800_000, output_bytes: 900 }));
  }
  lines.push(JSON.stringify({ type: 'run.start', ts: '2026-10-11T00:20:00Z', job: 'ping', run_id: 'p-1' }));
  lines.push(JSON.stringify({ type: 'run.end', ts: '2026-10-11T00:21:00Z', job: 'ping', run_id: 'p-1', exit_code: 0, duration_ms: 60_000, output_bytes: 10 }));
  const file = join(mkdtempSync(join(tmpdir(), 'mcp-job-unfinished-')), 'vacuum.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

interface Window {
  runs: number;
  ok: number | null;
  failed: number;
  unfinished?: number;
  success_rate: number | null;
}

describe('a job run that never logged its end, as list_subjects and subject_status count it', () => {
  it('counts it among the job’s runs and calls its last status unfinished, as the report’s Coverage counts it', async () => {
    // Prepare: asked on 11 October 00:30, before the next run was due; the report of October made then, from the same lines
    const log = hungJobLog();
    const now = Date.parse('2026-10-11T00:30:00Z');
    const report = (await runReport({ month: '2026-10', paths: [log], config: DEFAULT_CONFIG, now, clock: { now: () => now }, stdout: quietStream(), stderr: quietStream() })).report!;
    const source = await openAuditSource({ paths: [log], config: DEFAULT_CONFIG, now, stderr: quietStream() });
    const mcp = await connectClient(source.view);

    // Act
    const status = structured<{ subject: { last_status: string | null }; recent_runs: { run_id: string; status: string }[]; success: { last_7d: Window } }>(
      await mcp.call('subject_status', { kind: 'job', subject: 'vacuum' }),
    );
    const list = structured<{ subjects: { name: string; last_status: string | null }[] }>(await mcp.call('list_subjects', { kind: 'job' }));
    await mcp.close();
    await source.close();

    // Assess: the report counts 10 runs of October, one of them never ended
    const row = report.coverage.rows.find((r) => r.kind === 'job' && r.name === 'vacuum');
    expect(row?.runsInMonth).toBe(10);
    expect(status.subject.last_status).toBe('unfinished');
    expect(list.subjects.find((s) => s.name === 'vacuum')?.last_status).toBe('unfinished');
    expect(status.recent_runs[0]).toMatchObject({ run_id: 'v-10', status: 'unfinished' });
    // The last 7 days (from 4 October 00:30): 6 runs ended ok and the one that never ended, neither ok nor failed.
    expect(status.success.last_7d).toMatchObject({ runs: 7, ok: 6, failed: 0, unfinished: 1, success_rate: 1 });
  });
});
