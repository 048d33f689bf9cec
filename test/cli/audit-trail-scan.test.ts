import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';

/** invoice-sync: 14 daily runs; 3 audit records per run for 8 days, then 1. */
const file = fileURLToPath(new URL('../fixtures/instrumented/audit-trail-invoice-sync.jsonl', import.meta.url));

function sink() {
  const stream = new PassThrough();
  stream.resume();
  return stream;
}

async function driftFindings(config: object, now?: string) {
  const result = await runScan({ paths: [file], config: validateConfig(config), json: true, now: now ? Date.parse(now) : undefined, stdout: sink(), stderr: sink() });
  return result.findings.filter((f) => f.detector === 'audit-trail-drift');
}

describe('silent-audit scan: audit-trail drift', () => {
  it('fires against the configured audit_records_per_run, naming the run the drift began with', async () => {
    const findings = await driftFindings({ jobs: { 'invoice-sync': { audit_records_per_run: 3 } } });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ subject: 'invoice-sync', subject_kind: 'job', severity: 'high', ts: '2026-10-10T02:05:00Z' });
    expect(findings[0].message).toBe('audit records at 87% of the expected 3 per run (configured) over the last 10 runs: 26 of 30; the drift began with run inv-09 (2026-10-09T02:00:00Z)');
  });

  it('fires against the learned rate without config, later and once', async () => {
    const findings = await driftFindings({}, '2026-10-31T00:00:00Z');
    expect(findings.map((f) => [f.ts, f.evidence.basis, f.evidence.expected_per_run, f.evidence.began_run_id])).toEqual([['2026-10-12T02:05:00Z', 'learned', 3, 'inv-09']]);
  });

  it('judges the oldest of more than 50 runs waited for at once, instead of dropping them unjudged', async () => {
    // Prepare: a job running every 10 s for over an hour (some 90 runs inside each run's 15-minute
    // wait); runs r-0..r-4 wrote none of their 2 audit records.
    const from = Date.parse('2026-10-05T10:00:00Z');
    const line = (t: number, fields: object) => JSON.stringify({ ts: new Date(t).toISOString(), job: 'fast-job', ...fields });
    const lines = Array.from({ length: 400 }, (_, i) => {
      const t = from + i * 10_000;
      const records = i < 5 ? [] : [line(t + 1000, { type: 'audit.write', run_id: `r-${i}` }), line(t + 1001, { type: 'audit.write', run_id: `r-${i}` })];
      return [line(t, { type: 'run.start', run_id: `r-${i}` }), ...records, line(t + 5000, { type: 'run.end', run_id: `r-${i}`, exit_code: 0 })];
    });
    const dir = mkdtempSync(join(tmpdir(), 'audit-fast-'));
    const path = join(dir, 'fast-job.jsonl');
    writeFileSync(path, `${lines.flat().join('\n')}\n`);

    try {
      // Act
      const result = await runScan({ paths: [path], config: validateConfig({ jobs: { 'fast-job': { audit_records_per_run: 2 } } }), json: true, stdout: sink(), stderr: sink() });

      // Assess
      const drift = result.findings.filter((f) => f.detector === 'audit-trail-drift');
      expect(drift.map((f) => [f.ts, f.evidence.began_run_id, f.evidence.records, f.evidence.expected_records])).toEqual([['2026-10-05T10:00:45Z', 'r-0', 0, 10]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
