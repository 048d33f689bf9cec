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
});
