import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { createMonthlyReport } from '../../lambdas/core/report/monthly-report.ts';
import { readOnlyView } from '../../lambdas/mcp/audit-view.ts';
import { connectClient, structured } from './fixture-month.ts';

const DAY = 24 * 3_600_000;
const OCT1 = Date.parse('2026-10-01T03:30:00Z');
const iso = (t: number) => new Date(t).toISOString();

/** Daily runs of `job` from 1 October at 03:30, each ended with `exitCode` a minute later (run id `<job>-<n>`), ingested under `config`. */
async function ingestRuns(store: MemoryAuditStore, config: Config, job: string, days: number, exitCode: number) {
  const sink = { publish: async () => {} };
  for (let n = 0; n < days; n++) {
    const at = OCT1 + n * DAY;
    const lines = [
      { type: 'run.start', job, run_id: `${job}-${n}`, ts: iso(at) },
      { type: 'run.end', job, run_id: `${job}-${n}`, exit_code: exitCode, output_bytes: 500, duration_ms: 60_000, ts: iso(at + 60_000) },
    ];
    const handler = createIngestHandler(() => ({ store, sink, config, clock: { now: () => at + 61_000 } }), () => {});
    const logEvents = lines.map((line, i) => ({ id: `${job}-${n}-${i}`, timestamp: Date.parse(line.ts), message: JSON.stringify(line) }));
    await handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents }));
  }
}

describe('explain_finding and subject_status of a configured job taken out of the config, nothing seen of it since', () => {
  it('explain_finding gives the status the monthly report gives its group: retired, no due date, not "had not recovered"; subject_status shows it out of the config', async () => {
    // Prepare: legacy (configured, owner, no schedule) fails daily 1-4 October; then the config names only `other`, which runs to 9 October.
    const store = new MemoryAuditStore();
    const before = validateConfig({ jobs: { legacy: { owner: 'team-a' }, other: { schedule: '30 3 * * *' } } }, 'c1.yaml', undefined, { now: OCT1 });
    const after = validateConfig({ jobs: { other: { schedule: '30 3 * * *' } } }, 'c2.yaml', undefined, { now: OCT1 });
    await ingestRuns(store, before, 'legacy', 4, 1);
    await ingestRuns(store, after, 'other', 9, 0);
    const now = Date.parse('2026-10-10T00:00:00Z');
    const { report } = await createMonthlyReport('2026-10', { findings: store, runs: store, catalog: store, config: after, clock: { now: () => now } });
    const reported = report.findings.find((g) => g.subject === 'legacy' && g.detector === 'run-failed')!;
    const id = store.snapshot().findings.find((f) => f.subject === 'legacy' && f.detector === 'run-failed')!.key;
    const mcp = await connectClient(readOnlyView({ store, config: after, clock: { now: () => now }, source: 'a job removed from the config' }));

    // Act
    const explained = await mcp.call('explain_finding', { id });
    const status = structured<{ subject: { name: string; configured: boolean; last_status: string } }>(await mcp.call('subject_status', { kind: 'job', subject: 'legacy' }));
    await mcp.close();

    // Assess
    expect(reported.status).toBe('retired');
    const result = structured<{ status: string; corrective_action: { due?: string; overdue: boolean } }>(explained);
    expect(result.status).toBe('retired');
    expect(result.corrective_action.due).toBeUndefined();
    expect(result.corrective_action.overdue).toBe(false);
    const text = explained.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    expect(text).not.toMatch(/had not recovered/);
    expect(status.subject).toMatchObject({ name: 'legacy', configured: false, last_status: 'failed' });
  });
});
