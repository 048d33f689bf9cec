import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanToStore } from '../../lambdas/cli/scan-command.ts';
import type { OpenedStore } from '../../lambdas/cli/stores.ts';
import { AUDIT_STATE_KIND } from '../../lambdas/core/audit-trail-reducer.ts';
import { renderMarkdown } from '../../lambdas/core/report/render-markdown.ts';
import { createMonthlyReport } from '../../lambdas/core/report/monthly-report.ts';
import { DETECTOR_META } from '../../lambdas/detectors/index.ts';
import { readOnlyView } from '../../lambdas/mcp/audit-view.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { MemoryExceptionStore } from '../../lambdas/adapters/memory-exception-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { addException, renewException, revokeException } from '../../lambdas/core/exception-registry.ts';
import type { JobState } from '../../lambdas/core/job-reducer.ts';
import { endAfter, latenessOf } from '../../lambdas/mcp/tools/find-overdue.ts';
import { lastStartOf } from '../../lambdas/mcp/subjects.ts';
import { octoberMonthWindowLines } from '../helpers/events.ts';
import { CONFIG, connectClient, errorText, FAILED_HOURLY_RUN, fixtureMonthFiles, NOW, quietStream, structured } from './fixture-month.ts';

interface SubjectRow {
  kind: string;
  name: string;
  status: string;
  window_days: number;
  reason?: string;
  enough_history: boolean;
  history: number | null;
  last_run_at: string | null;
  last_status: string | null;
  schedule: { source: string; cron?: string; timezone: string; period?: string } | null;
  findings_in_window: number;
  open_findings: number;
  owner?: string;
}
interface FindingSummary {
  id: string;
  ts: string;
  detector: string;
  subject: string;
  severity: string;
  run_id?: string;
  expected_at?: string;
  evidence?: Record<string, unknown>;
}

let opened: OpenedStore;
let mcp: Awaited<ReturnType<typeof connectClient>>;

beforeAll(async () => {
  const scanned = await scanToStore({ paths: fixtureMonthFiles(), config: CONFIG, now: NOW, stderr: quietStream() });
  if (!scanned.ok) throw new Error(scanned.error);
  opened = scanned.opened;
  const view = readOnlyView({ store: opened.store, exceptions: opened.exceptions, config: CONFIG, clock: { now: () => NOW }, source: 'the fixture month' });
  mcp = await connectClient(view);
});

afterAll(async () => {
  await mcp?.close();
  await opened?.close();
});

/** A row of find_overdue's overdue list, the fields these tests read. */
interface OverdueRow {
  readonly subject: string;
  readonly schedule: { readonly cron?: string; readonly period?: string };
  readonly next_expected_at: string;
  readonly missed_runs: number;
}

/**
 * A job's runs as instrumented lines: run.start at each start, run.end `durationMs` later, exit 0
 * with `outputBytes` of output.
 */
function jobRunLines(job: string, runs: readonly { readonly id: string; readonly start: number }[], durationMs: number, outputBytes: number): string[] {
  return runs.flatMap(({ id, start }) => [
    JSON.stringify({ type: 'run.start', job, run_id: id, ts: new Date(start).toISOString() }),
    JSON.stringify({ type: 'run.end', job, run_id: id, exit_code: 0, duration_ms: durationMs, output_bytes: outputBytes, ts: new Date(start + durationMs).toISOString() }),
  ]);
}

/**
 * support-bot's one run sb-1 (budget 20), 25 calls from 08:00 to its end at 08:30 on 1 October, over
 * its budget: scanned into a store at `now` and served read-only (config: the defaults).
 */
async function supportBotOverrunAt(now: number) {
  const at = (min: number) => new Date(Date.parse('2026-10-01T08:00:00Z') + min * 60_000).toISOString();
  const lines = [
    { type: 'agent.start', ts: at(0), agent: 'support-bot', run_id: 'sb-1', budget: { max_actions: 20 } },
    ...Array.from({ length: 25 }, (_, i) => ({ type: 'agent.action', ts: at(i + 1), agent: 'support-bot', run_id: 'sb-1', action: 'llm_call' })),
    { type: 'agent.end', ts: at(30), agent: 'support-bot', run_id: 'sb-1', status: 'ok' },
  ];
  const log = join(mkdtempSync(join(tmpdir(), 'silent-audit-mcp-overrun-')), 'support-bot.jsonl');
  writeFileSync(log, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const config = validateConfig({});
  const scanned = await scanToStore({ paths: [log], config, now, stderr: quietStream() });
  if (!scanned.ok) throw new Error(scanned.error);
  const store = scanned.opened;
  const client = await connectClient(readOnlyView({ store: store.store, exceptions: store.exceptions, config, clock: { now: () => now }, source: 'one run on 1 October' }));
  return { store, client, config };
}

/**
 * find_overdue as a client asks it of the store a scan left, at a given time (an ISO text or epoch
 * ms), through a view named `source`: its overdue list.
 */
function overdueAsker(opened: OpenedStore, config: ReturnType<typeof validateConfig>, source: string): (at: string | number) => Promise<OverdueRow[]> {
  return async (at) => {
    const now = typeof at === 'string' ? Date.parse(at) : at;
    const asked = await connectClient(readOnlyView({ store: opened.store, config, clock: { now: () => now }, source }));
    try {
      return structured<{ overdue: OverdueRow[] }>(await asked.call('find_overdue')).overdue;
    } finally {
      await asked.close();
    }
  };
}

describe('silent-audit mcp: the tools on a scanned fixture month', () => {
  it('offers six tools, each marked read-only, each with an input and an output schema', async () => {
    // Act
    const { tools } = await mcp.client.listTools();

    // Assess
    expect(tools.map((t) => t.name)).toEqual(['explain_finding', 'find_findings', 'find_overdue', 'list_exceptions', 'list_subjects', 'subject_status']);
    for (const tool of tools) {
      expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.description?.length).toBeGreaterThan(80);
    }
    const findFindings = tools.find((t) => t.name === 'find_findings')!;
    expect((findFindings.inputSchema.properties?.detector as { enum: string[] }).enum).toContain('empty-output');
    expect(tools.find((t) => t.name === 'subject_status')!.inputSchema.required).toEqual(['subject']);
  });

  it('list_subjects: every job, agent, route and guard with status, last run, schedule and whether it has history enough to judge', async () => {
    // Act
    const all = structured<{ now: string; window_days: number; counts: Record<string, number>; subjects: SubjectRow[] }>(await mcp.call('list_subjects'));
    const guards = structured<{ subjects: SubjectRow[] }>(await mcp.call('list_subjects', { kind: 'guard' }));
    const unknown = structured<{ subjects: SubjectRow[] }>(await mcp.call('list_subjects', { status: 'UNKNOWN' }));

    // Assess
    expect(all.now).toBe('2026-10-15T12:00:00Z');
    expect(all.window_days).toBe(30);
    expect(all.subjects.map((s) => [s.kind, s.name, s.status])).toEqual([
      ['job', 'etl-loader', 'FINDINGS'],
      ['job', 'hourly-sync', 'FINDINGS'],
      ['job', 'invoice-sync', 'FINDINGS'],
      ['job', 'monthly-close', 'UNKNOWN'],
      ['job', 'nightly-backup', 'FINDINGS'],
      ['job', 'quiet-job', 'UNKNOWN'],
      ['job', 'weekly-report', 'UNKNOWN'],
      ['agent', 'support-bot', 'FINDINGS'],
      ['route', 'search-api', 'FINDINGS'],
      ['guard', 'approval-step', 'FINDINGS'],
      ['guard', 'pii-redaction', 'FINDINGS'],
    ]);
    expect(all.counts).toEqual({ OK: 0, FINDINGS: 8, UNKNOWN: 3, RETIRED: 0 });
    const row = (name: string) => all.subjects.find((s) => s.name === name)!;
    expect(row('etl-loader')).toMatchObject({
      enough_history: false,
      history: 3,
      last_run_at: '2026-10-03T06:00:00Z',
      last_status: 'failed',
      schedule: { source: 'configured', cron: '0 6 * * *', timezone: 'UTC' },
      findings_in_window: 13,
      open_findings: 13,
      owner: 'data-platform@example.com',
    });
    expect(row('nightly-backup')).toMatchObject({ enough_history: true, history: 8, last_status: 'ok', schedule: { source: 'inferred', cron: '30 2 * * *', period: 'daily' }, open_findings: 1 });
    expect(row('hourly-sync')).toMatchObject({ last_run_at: '2026-10-15T11:00:00Z', schedule: { source: 'inferred', cron: '0 * * * *', period: 'every 1 h' }, findings_in_window: 1, open_findings: 0 });
    expect(row('weekly-report')).toMatchObject({ enough_history: false, history: 2, reason: 'too little history: 2 of 5 runs, so the baseline checks were not active yet (jobs.weekly-report.min_history sets how many)', schedule: null });
    expect(row('monthly-close')).toMatchObject({ last_run_at: null, reason: 'no data: configured, but nothing from it has ever been seen' });
    expect(row('support-bot')).toMatchObject({ enough_history: true, history: 6, last_status: 'ok', open_findings: 4, owner: 'ai-team@example.com' });
    expect(row('pii-redaction')).toMatchObject({ last_run_at: '2026-10-15T09:30:00Z', owner: 'alice@example.com, bob@example.com' });
    expect(guards.subjects.map((s) => s.name)).toEqual(['approval-step', 'pii-redaction']);
    expect(row('quiet-job').reason).toMatch(/^silent since 2026-10-05, 10 days \(last seen 2026-10-05T01:00:00Z, up to 2026-10-15T12:00:01Z\): longer than 3 × its usual gap of 24\.0 h /);
    expect(unknown.subjects.map((s) => s.name)).toEqual(['monthly-close', 'quiet-job', 'weekly-report']);
  });

  it('subject_status: a job’s recent runs, success over 24 h and 7 days, its baseline and open findings', async () => {
    // Act
    const hourly = structured<{
      subject: SubjectRow;
      recent_runs: { run_id: string; status: string; exit_code?: number; findings: string[] }[];
      success: Record<string, unknown>;
      baseline: Record<string, number>;
      open_findings: FindingSummary[];
    }>(await mcp.call('subject_status', { subject: 'hourly-sync', runs: 8 }));
    const backup = structured<{ recent_runs: { run_id: string; output_bytes?: number; findings: string[] }[]; baseline: Record<string, number>; open_findings: FindingSummary[] }>(
      await mcp.call('subject_status', { subject: 'nightly-backup' }),
    );

    // Assess
    expect(hourly.subject).toMatchObject({ kind: 'job', name: 'hourly-sync', status: 'FINDINGS', last_status: 'ok' });
    expect(hourly.recent_runs.map((r) => r.run_id)).toEqual(['hs-2026-10-15T11', 'hs-2026-10-15T10', 'hs-2026-10-15T09', 'hs-2026-10-15T08', 'hs-2026-10-15T07', 'hs-2026-10-15T06', 'hs-2026-10-15T05', 'hs-2026-10-15T04']);
    expect(hourly.recent_runs[6]).toMatchObject({ run_id: FAILED_HOURLY_RUN, status: 'failed', exit_code: 2, findings: ['run-failed'] });
    expect(hourly.success).toEqual({
      last_24h: { runs: 24, ok: 23, failed: 1, success_rate: 0.9583, with_findings: 1 },
      last_7d: { runs: 36, ok: 35, failed: 1, success_rate: 0.9722, with_findings: 1 },
    });
    // The last 20 normal runs' outputs (2048 + 0..40 bytes) and durations (30 s).
    expect(hourly.baseline).toEqual({ samples: 20, median_output_bytes: 2068, median_duration_ms: 30_000 });
    // The failed run was followed by clean ones: nothing stands open.
    expect(hourly.open_findings).toEqual([]);

    expect(backup.recent_runs.slice(0, 2).map((r) => [r.run_id, r.output_bytes, r.findings])).toEqual([
      ['nb-08', 0, ['empty-output']],
      ['nb-07', 6970, []],
    ]);
    expect(backup.baseline).toMatchObject({ median_output_bytes: 6940, median_duration_ms: 2_400_000 });
    expect(backup.open_findings.map((f) => [f.id, f.detector])).toEqual([['2026-10-08T03:10:00Z#empty-output#nightly-backup#nb-08', 'empty-output']]);
  });

  it('subject_status and list_subjects: an audit-trail drift still going on stays open though its later runs raise nothing', async () => {
    // Prepare: invoice-sync's drift began with inv-09 and is reported once; every run since writes 1 of its 3 audit records.
    const [audit] = await opened.store.subjects(AUDIT_STATE_KIND);
    expect(audit).toMatchObject({ key: 'audit#invoice-sync', state: { episode: { began_run_id: 'inv-09' } } });

    // Act
    const status = structured<{ subject: SubjectRow; recent_runs: { run_id: string; status: string; findings: string[] }[]; open_findings: FindingSummary[] }>(
      await mcp.call('subject_status', { subject: 'invoice-sync', runs: 3 }),
    );
    const listed = structured<{ subjects: SubjectRow[] }>(await mcp.call('list_subjects', {}));

    // Assess
    expect(status.recent_runs.map((r) => [r.run_id, r.status, r.findings])).toEqual([
      ['inv-14', 'ok', []],
      ['inv-13', 'ok', []],
      ['inv-12', 'ok', []],
    ]);
    expect(status.open_findings.map((f) => [f.detector, f.subject])).toEqual([['audit-trail-drift', 'invoice-sync']]);
    expect(status.subject.open_findings).toBe(1);
    expect(listed.subjects.find((r) => r.name === 'invoice-sync')?.open_findings).toBe(1);
  });

  it('subject_status: an agent’s baseline cost, a route’s and a guard’s counts, which record no runs', async () => {
    // Act
    const agent = structured<{ baseline: Record<string, number>; open_findings: FindingSummary[]; success: { last_7d: unknown } }>(await mcp.call('subject_status', { subject: 'support-bot' }));
    const route = structured<{ baseline: Record<string, number>; success: unknown; recent_runs: unknown[] }>(await mcp.call('subject_status', { subject: 'search-api', kind: 'route' }));
    const guard = structured<{ baseline: Record<string, number>; open_findings: FindingSummary[] }>(await mcp.call('subject_status', { subject: 'pii-redaction' }));

    // Assess
    expect(agent.baseline).toMatchObject({ samples: 5, median_cost_usd: 0.089 });
    expect(agent.open_findings.map((f) => f.detector).sort()).toEqual(['budget-exceeded', 'budget-undercount', 'budget-undercount', 'cost-outlier']);
    expect(agent.success.last_7d).toMatchObject({ runs: 0, success_rate: null });
    expect(route.baseline).toEqual({ requests: 101, retried: 11, failed: 0, retry_rate: 0.1089 });
    expect(route.success).toEqual({ last_24h: null, last_7d: null });
    expect(route.recent_runs).toEqual([]);
    expect(guard.baseline).toEqual({ bypasses: 2, covered: 1, unregistered: 0, expired: 1 });
    expect(guard.open_findings.map((f) => f.detector)).toEqual(['guard-exception-expired']);
  });

  it('find_findings: filtered by detector, subject, kind, severity and time window, newest first', async () => {
    // Act
    const lastWeek = structured<{ from: string; to: string; total: number; by_detector: Record<string, number>; findings: FindingSummary[] }>(await mcp.call('find_findings'));
    const missed = structured<{ total: number; findings: FindingSummary[] }>(await mcp.call('find_findings', { detector: 'missed-run', subject: 'etl-loader', since: '2026-10-01' }));
    const guards = structured<{ findings: FindingSummary[] }>(await mcp.call('find_findings', { kind: 'guard', since: '30d' }));
    const medium = structured<{ total: number; by_detector: Record<string, number> }>(await mcp.call('find_findings', { since: '2026-10-01', until: '2026-10-08', min_severity: 'medium' }));
    const critical = structured<{ total: number }>(await mcp.call('find_findings', { since: '30d', min_severity: 'critical' }));
    const limited = structured<{ total: number; truncated: boolean; findings: FindingSummary[] }>(await mcp.call('find_findings', { since: '30d', limit: 2 }));

    // Assess
    expect([lastWeek.from, lastWeek.to]).toEqual(['2026-10-08T12:00:00Z', '2026-10-15T12:00:01Z']);
    expect(lastWeek.by_detector).toEqual({ 'guard-bypass-unregistered': 1, 'guard-exception-expired': 1, 'missed-run': 7, 'run-failed': 1, 'audit-trail-drift': 1 });
    expect(lastWeek.total).toBe(11);
    expect(lastWeek.findings[0]).toMatchObject({ ts: '2026-10-15T10:00:00Z', detector: 'guard-bypass-unregistered', subject: 'approval-step', evidence: { actor: 'dev-bob', problem: 'no-exception' } });
    expect(missed.total).toBe(12);
    expect(missed.findings.map((f) => f.expected_at)).toEqual(Array.from({ length: 12 }, (_, i) => `2026-10-${String(15 - i).padStart(2, '0')}T06:00:00Z`));
    expect(guards.findings.map((f) => [f.subject, f.detector])).toEqual([
      ['approval-step', 'guard-bypass-unregistered'],
      ['pii-redaction', 'guard-exception-expired'],
    ]);
    expect(medium.by_detector).toEqual({ 'missed-run': 4, 'retry-rate': 2, 'budget-exceeded': 1, 'budget-undercount': 2, 'cost-outlier': 1, 'tool-arg-invalid': 1, 'run-failed': 1 });
    expect(critical.total).toBe(0);
    expect(limited.findings).toHaveLength(2);
    expect(limited.truncated).toBe(true);
    expect(limited.total).toBeGreaterThan(20);
  });

  it.each([
    ['since just after a finding leaves it out', { since: '2026-10-08T03:10:00.500Z', until: '2026-10-09' }, '2026-10-08T03:10:01Z', '2026-10-09T00:00:00Z', []],
    ['since at the finding keeps it', { since: '2026-10-08T03:10:00.000Z', until: '2026-10-09' }, '2026-10-08T03:10:00Z', '2026-10-09T00:00:00Z', ['nb-08']],
    ['until just after a finding keeps it', { since: '2026-10-08', until: '2026-10-08T03:10:00.500Z' }, '2026-10-08T00:00:00Z', '2026-10-08T03:10:01Z', ['nb-08']],
    ['until at the finding leaves it out', { since: '2026-10-08', until: '2026-10-08T03:10:00.000Z' }, '2026-10-08T00:00:00Z', '2026-10-08T03:10:00Z', []],
  ])('find_findings: %s (findings are timed to the second; fractions of since and until count)', async (_label, window, from, to, runs) => {
    // Act
    const found = structured<{ from: string; to: string; findings: FindingSummary[] }>(await mcp.call('find_findings', { detector: 'empty-output', ...window }));

    // Assess
    expect([found.from, found.to]).toEqual([from, to]);
    expect(found.findings.map((f) => f.run_id)).toEqual(runs);
  });

  it('list_subjects and subject_status: long answers are cut at their limit, saying so and how many there are', async () => {
    // Act
    const { tools } = await mcp.client.listTools();
    const everyOne = structured<{ total: number; truncated: boolean; subjects: SubjectRow[] }>(await mcp.call('list_subjects', {}));
    const firstThree = structured<{ total: number; truncated: boolean; subjects: SubjectRow[] }>(await mcp.call('list_subjects', { limit: 3 }));
    const etlAll = structured<{ subject: SubjectRow; open_findings: FindingSummary[]; open_findings_truncated: boolean }>(await mcp.call('subject_status', { subject: 'etl-loader' }));
    const etlTwo = structured<{ subject: SubjectRow; open_findings: FindingSummary[]; open_findings_truncated: boolean }>(await mcp.call('subject_status', { subject: 'etl-loader', limit: 2 }));
    const tooMany = await mcp.call('list_subjects', { limit: 501 });

    // Assess
    const limitOf = (name: string) => tools.find((t) => t.name === name)!.inputSchema.properties?.limit as { default: number; maximum: number };
    expect(limitOf('list_subjects')).toMatchObject({ default: 100, maximum: 500 });
    expect(limitOf('subject_status')).toMatchObject({ default: 50, maximum: 500 });
    expect(everyOne).toMatchObject({ total: everyOne.subjects.length, truncated: false });
    expect(firstThree).toMatchObject({ total: everyOne.total, truncated: true });
    expect(firstThree.subjects).toEqual(everyOne.subjects.slice(0, 3));
    expect(etlAll.open_findings_truncated).toBe(false);
    expect(etlAll.open_findings).toHaveLength(etlAll.subject.open_findings);
    expect(etlAll.subject.open_findings).toBeGreaterThan(2);
    expect(etlTwo.open_findings_truncated).toBe(true);
    expect(etlTwo.open_findings).toEqual(etlAll.open_findings.slice(0, 2));
    expect(etlTwo.subject.open_findings).toBe(etlAll.subject.open_findings);
    expect(tooMany.isError).toBe(true);
  });

  it('find_overdue and list_exceptions: long answers are cut at their limit, most overdue and soonest expiring first, saying so and how many there are', async () => {
    // Act
    const { tools } = await mcp.client.listTools();
    type Overdue = { total: number; truncated: boolean; overdue: { subject: string }[]; never_seen: unknown[]; never_seen_total: number; never_seen_truncated: boolean };
    type Exceptions = { total: number; truncated: boolean; exceptions: { id: string }[]; guards: { guard: string }[]; guards_total: number; guards_truncated: boolean };
    const overdueAll = structured<Overdue>(await mcp.call('find_overdue'));
    const overdueOne = structured<Overdue>(await mcp.call('find_overdue', { limit: 1 }));
    const exceptionsAll = structured<Exceptions>(await mcp.call('list_exceptions', { include_revoked: true }));
    const exceptionsOne = structured<Exceptions>(await mcp.call('list_exceptions', { include_revoked: true, limit: 1 }));
    const tooMany = await mcp.call('find_overdue', { limit: 501 });

    // Assess
    const limitOf = (name: string) => tools.find((t) => t.name === name)!.inputSchema.properties?.limit as { default: number; maximum: number };
    expect(limitOf('find_overdue')).toMatchObject({ default: 100, maximum: 500 });
    expect(limitOf('list_exceptions')).toMatchObject({ default: 100, maximum: 500 });
    expect(overdueAll).toMatchObject({ total: 3, truncated: false, never_seen_total: 1, never_seen_truncated: false });
    expect(overdueOne).toMatchObject({ total: 3, truncated: true, overdue: [overdueAll.overdue[0]], never_seen: overdueAll.never_seen, never_seen_total: 1, never_seen_truncated: false });
    expect(exceptionsAll.total).toBe(exceptionsAll.exceptions.length);
    expect(exceptionsAll.guards_total).toBe(exceptionsAll.guards.length);
    expect(exceptionsAll.exceptions.length).toBeGreaterThan(1);
    expect(exceptionsAll.guards.length).toBeGreaterThan(1);
    expect(exceptionsOne).toMatchObject({
      total: exceptionsAll.total,
      truncated: true,
      exceptions: exceptionsAll.exceptions.slice(0, 1),
      guards: exceptionsAll.guards.slice(0, 1),
      guards_total: exceptionsAll.guards_total,
      guards_truncated: true,
    });
    expect(tooMany.isError).toBe(true);
  });

  it('find_overdue: jobs whose next expected run is late, most overdue first, with how late and how many starts were missed', async () => {
    // Act
    const all = structured<{ now: string; checked: number; overdue: Record<string, unknown>[]; never_seen: { subject: string }[] }>(await mcp.call('find_overdue'));
    const daysLate = structured<{ overdue: { subject: string }[] }>(await mcp.call('find_overdue', { min_late_minutes: 24 * 60 }));

    // Assess
    expect(all.checked).toBe(5);
    expect(all.overdue).toEqual([
      {
        subject: 'etl-loader',
        schedule: { source: 'configured', cron: '0 6 * * *', timezone: 'UTC' },
        grace_minutes: 30,
        last_run_at: '2026-10-03T06:00:00Z',
        next_expected_at: '2026-10-04T06:00:00Z',
        late_by_ms: 11 * 86_400_000 + 6 * 3_600_000,
        late_by: '11.3 days',
        missed_runs: 12,
        missed_runs_truncated: false,
      },
      {
        subject: 'nightly-backup',
        schedule: { source: 'inferred', cron: '30 2 * * *', timezone: 'UTC', period: 'daily', period_ms: 86_400_000 },
        grace_minutes: 15,
        last_run_at: '2026-10-08T02:30:00Z',
        next_expected_at: '2026-10-09T02:30:00Z',
        late_by_ms: 6 * 86_400_000 + 9.5 * 3_600_000,
        late_by: '6.4 days',
        missed_runs: 7,
        missed_runs_truncated: false,
      },
      {
        subject: 'invoice-sync',
        schedule: { source: 'inferred', cron: '0 2 * * *', timezone: 'UTC', period: 'daily', period_ms: 86_400_000 },
        grace_minutes: 15,
        last_run_at: '2026-10-14T02:00:00Z',
        next_expected_at: '2026-10-15T02:00:00Z',
        late_by_ms: 10 * 3_600_000,
        late_by: '10.0 h',
        missed_runs: 1,
        missed_runs_truncated: false,
      },
    ]);
    // hourly-sync ran at 11:00 and is due at 12:00, within its grace: not late.
    expect(all.overdue.map((o) => o.subject)).not.toContain('hourly-sync');
    expect(all.never_seen).toEqual([{ subject: 'monthly-close', schedule: { source: 'configured', cron: '0 4 1 * *', timezone: 'UTC' } }]);
    expect(daysLate.overdue.map((o) => o.subject)).toEqual(['etl-loader', 'nightly-backup']);
  });

  it('find_overdue: says when a cron schedule\'s missed starts stopped being counted at 1000, and counts a period\'s exactly', async () => {
    // Prepare: the same store asked about at the end of June 2029, when etl-loader (daily at 06:00, last run
    // 3 October 2026) has missed 1001 starts (4 October 2026 to 30 June 2029) and nightly-backup (last run 8 October) 996.
    const later = Date.parse('2029-06-30T12:00:00Z');
    const laterMcp = await connectClient(readOnlyView({ store: opened.store, exceptions: opened.exceptions, config: CONFIG, clock: { now: () => later }, source: 'the fixture month, years on' }));
    const everyMinute = { source: 'inferred', timezone: 'UTC', period: 'every 1 min', period_ms: 60_000 } as const;
    const lastStart = Date.parse('2029-06-28T12:00:00Z');

    // Act
    let overdue: { subject: string; missed_runs: number; missed_runs_truncated: boolean }[];
    try {
      overdue = structured<{ overdue: typeof overdue }>(await laterMcp.call('find_overdue')).overdue;
    } finally {
      await laterMcp.close();
    }
    const minutely = latenessOf(everyMinute, lastStart, 5 * 60_000, later);

    // Assess
    const bySubject = new Map(overdue.map((o) => [o.subject, [o.missed_runs, o.missed_runs_truncated]]));
    expect(bySubject.get('etl-loader')).toEqual([1000, true]);
    expect(bySubject.get('nightly-backup')).toEqual([996, false]);
    expect(minutely).toMatchObject({ missed: 2 * 24 * 60 - 5, missedTruncated: false });
  });

  it('find_overdue at a --now earlier than the store\'s runs: judged from the last run by then, and a job first seen later is never seen', async () => {
    // Prepare: the same store asked about on 7 October at 12:00, when invoice-sync (daily at 02:00, runs to
    // the 14th) and nightly-backup had run that morning, and hourly-sync (from the 14th) had not run at all.
    const early = Date.parse('2026-10-07T12:00:00Z');
    const earlyMcp = await connectClient(readOnlyView({ store: opened.store, exceptions: opened.exceptions, config: CONFIG, clock: { now: () => early }, source: 'the fixture month, a week earlier' }));

    // Act
    let result: { overdue: { subject: string; last_run_at: string }[]; never_seen: { subject: string }[] };
    try {
      result = structured<typeof result>(await earlyMcp.call('find_overdue'));
    } finally {
      await earlyMcp.close();
    }

    // Assess
    expect(result.overdue).toEqual([expect.objectContaining({ subject: 'etl-loader', last_run_at: '2026-10-03T06:00:00Z' })]);
    expect(result.never_seen.map((n) => n.subject)).toEqual(['hourly-sync', 'monthly-close']);
  });

  it('list_subjects and subject_status at a --now earlier than the store\'s runs: a subject first seen later is not seen yet, as find_overdue counts it', async () => {
    // Prepare: on 7 October at 12:00, hourly-sync (first seen on the 14th) had not been seen; asked once as
    // the fixture's config has it (not named) and once with the config naming it.
    const early = Date.parse('2026-10-07T12:00:00Z');
    const naming = validateConfig({ jobs: { ...CONFIG.jobs, 'hourly-sync': {} }, agents: CONFIG.agents });
    const asIs = await connectClient(readOnlyView({ store: opened.store, exceptions: opened.exceptions, config: CONFIG, clock: { now: () => early }, source: 'a week earlier' }));
    const named = await connectClient(readOnlyView({ store: opened.store, exceptions: opened.exceptions, config: naming, clock: { now: () => early }, source: 'a week earlier, named' }));

    // Act
    let listed, asked, listedNamed, askedNamed;
    try {
      listed = await asIs.call('list_subjects');
      asked = await asIs.call('subject_status', { subject: 'hourly-sync' });
      listedNamed = await named.call('list_subjects', { kind: 'job' });
      askedNamed = await named.call('subject_status', { subject: 'hourly-sync' });
    } finally {
      await asIs.close();
      await named.close();
    }

    // Assess: not named, it is no subject yet; named, it is UNKNOWN, never seen by then, nothing of it judged.
    expect(listed.isError).toBeFalsy();
    expect(structured<{ subjects: SubjectRow[] }>(listed).subjects.map((s) => s.name)).not.toContain('hourly-sync');
    expect(asked.isError).toBe(true);
    expect(errorText(asked)).toBe('subject_status: job "hourly-sync" was not seen yet at 2026-10-07T12:00:00Z: it was first seen on 2026-10-14T00:00:00Z, after that');
    expect(listedNamed.isError).toBeFalsy();
    const row = structured<{ subjects: SubjectRow[] }>(listedNamed).subjects.find((s) => s.name === 'hourly-sync');
    expect(row).toMatchObject({ status: 'UNKNOWN', reason: 'not seen yet: first seen on 2026-10-14T00:00:00Z, after now', last_run_at: null, last_status: null, findings_in_window: 0, history: 0 });
    expect(askedNamed.isError).toBeFalsy();
    expect(structured<{ subject: SubjectRow; recent_runs: unknown[] }>(askedNamed)).toMatchObject({ subject: { status: 'UNKNOWN', last_run_at: null }, recent_runs: [] });
  });

  it('list_subjects at a --now earlier than the store\'s runs: last_run_at is when the last run by then started, as find_overdue gives it, and last_status is that run\'s', async () => {
    // Prepare: on 7 October at 12:00; etl-loader last started on the 3rd at 06:00 (ended 06:04:10, failed),
    // nightly-backup and support-bot ran that morning and on later days too.
    const early = Date.parse('2026-10-07T12:00:00Z');
    const earlyMcp = await connectClient(readOnlyView({ store: opened.store, exceptions: opened.exceptions, config: CONFIG, clock: { now: () => early }, source: 'the fixture month, a week earlier' }));

    // Act
    let listed: { subjects: SubjectRow[] };
    let overdue: { overdue: { subject: string; last_run_at: string }[] };
    try {
      listed = structured<typeof listed>(await earlyMcp.call('list_subjects'));
      overdue = structured<typeof overdue>(await earlyMcp.call('find_overdue'));
    } finally {
      await earlyMcp.close();
    }

    // Assess
    const row = (name: string) => listed.subjects.find((s) => s.name === name)!;
    expect(row('etl-loader')).toMatchObject({ last_run_at: overdue.overdue.find((o) => o.subject === 'etl-loader')!.last_run_at, last_status: 'failed' });
    expect(row('etl-loader').last_run_at).toBe('2026-10-03T06:00:00Z');
    for (const s of listed.subjects) if (s.last_run_at !== null) expect(Date.parse(s.last_run_at), s.name).toBeLessThanOrEqual(early);
    expect(row('nightly-backup').last_run_at?.slice(0, 10)).toBe('2026-10-07');
    expect(row('support-bot').last_run_at).not.toBeNull();
  });

  it('subject_status finds a job by its config key holding a secret, which the audit stores redacted as scan names it', async () => {
    // Prepare
    const key = 'mysqldump -u root -pS3cretPW mydb > /backup/db.sql';
    const config = validateConfig({ jobs: { [key]: { schedule: '0 3 * * *', owner: 'dba@example.com' } } });
    const client = await connectClient(readOnlyView({ store: new MemoryAuditStore(), config, clock: { now: () => NOW }, source: 'a job named by its command' }));

    // Act
    let asked, unknown;
    try {
      asked = await client.call('subject_status', { subject: key });
      unknown = await client.call('subject_status', { subject: 'mysqldump -u root -pOtherPW otherdb' });
    } finally {
      await client.close();
    }

    // Assess
    expect(asked.isError, errorText(asked)).toBeFalsy();
    const subject = structured<{ subject: SubjectRow }>(asked).subject;
    expect(subject).toMatchObject({ kind: 'job', status: 'UNKNOWN', owner: 'dba@example.com', configured: true });
    expect(subject.name).toBe(Object.keys(config.jobs)[0]);
    expect(subject.name).not.toContain('S3cretPW');
    expect(unknown.isError).toBe(true);
    expect(errorText(unknown)).toMatch(/^subject_status: no job, agent, route or guard named "mysqldump -u root -p\[REDACTED/);
    expect(errorText(unknown)).not.toContain('OtherPW');
  });

  it('find_overdue\'s last start at a moment: the latest start by then, never when first seen later, unknown when every kept start is later', () => {
    // Prepare: a daily job that ran on the 1st, 2nd and 5th of October (it missed the 3rd and 4th).
    const day = (d: number) => Date.parse(`2026-10-0${d}T02:00:00Z`);
    const job = { starts: [day(1), day(2), day(5)], lastStartAt: day(5), firstSeenAt: day(1), lastEnd: { run_id: 'r5', at: day(5) + 60_000, exit_code: 0 } } as unknown as JobState;
    const schedule = { source: 'configured', cron: '0 2 * * *', timezone: 'UTC' } as const;

    // Act
    const onThe4th = lastStartOf(job, day(4) + 10 * 3_600_000);
    const lateOnThe4th = latenessOf(schedule, onThe4th as number, 15 * 60_000, day(4) + 10 * 3_600_000);
    const beforeFirst = lastStartOf(job, day(1) - 1);
    const ringAllLater = lastStartOf({ ...job, firstSeenAt: Date.parse('2026-09-01T00:00:00Z') }, day(1) - 1);
    const atTheEnd = lastStartOf(job);

    // Assess
    expect(onThe4th).toBe(day(2));
    expect(lateOnThe4th).toMatchObject({ nextExpectedAt: day(3), missed: 2 });
    expect(beforeFirst).toBe('never');
    expect(ringAllLater).toBeUndefined();
    expect(atTheEnd).toBe(day(5));
  });

  it('find_overdue counts a run seen only from its end for the expected start it ended in, as missed-run does, though it ended after the grace time and after --now', async () => {
    // Prepare: logrotate (daily at 04:02, grace 15 min) writes only its ALERT line when a run ends, as on
    // the loghub Linux corpus: 04:05 to 04:09 on 20-23 July, 04:20:42 on the 24th; asked on the 24th at
    // 04:19 (its run under way, past the grace time) and, through its ends, on the 26th and the 27th.
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-overdue-'));
    const file = join(dir, 'messages');
    const ends = ['Jul 20 04:05:04', 'Jul 21 04:11:28', 'Jul 22 04:07:47', 'Jul 23 04:09:37', 'Jul 24 04:20:42'];
    writeFileSync(file, ends.map((t) => `${t} combo logrotate: ALERT exited abnormally with [1]\n`).join(''));
    const config = validateConfig({ jobs: { logrotate: { schedule: '2 4 * * *' } } });
    const scanned = await scanToStore({ paths: [file], config, year: 2026, stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    const state = (await scanned.opened.store.subjects('job')).find((s) => s.key === 'job#logrotate')!.state as JobState;
    const schedule = { source: 'configured', cron: '2 4 * * *', timezone: 'UTC' } as const;
    const at = (iso: string) => Date.parse(iso);
    const daily = { source: 'inferred', timezone: 'UTC', period: 'daily', period_ms: 86_400_000 } as const;

    // Act
    const overdueAt = overdueAsker(scanned.opened, config, 'logrotate ends');
    let underWay: Awaited<ReturnType<typeof overdueAt>>;
    let twoLater: Awaited<ReturnType<typeof overdueAt>>;
    try {
      underWay = await overdueAt(at('2026-07-24T04:19:00Z'));
      twoLater = await overdueAt(at('2026-07-26T04:19:00Z'));
    } finally {
      await scanned.opened.close();
    }
    // From the 23rd's end, at 04:19 on the 26th, with a run that ends at 04:20:42 that day.
    const threeDue = latenessOf(schedule, at('2026-07-23T04:09:37Z'), 15 * 60_000, at('2026-07-26T04:19:00Z'), at('2026-07-26T04:20:42Z'));
    const endInTheNextSlot = latenessOf(schedule, at('2026-07-23T04:09:37Z'), 15 * 60_000, at('2026-07-24T04:19:00Z'), at('2026-07-25T04:01:00Z'));
    const periodEnd = latenessOf(daily, at('2026-07-23T04:02:00Z'), 15 * 60_000, at('2026-07-24T04:19:00Z'), at('2026-07-24T04:20:42Z'));

    // Assess
    expect(endAfter(state, at('2026-07-24T04:19:00Z'))).toBe(at('2026-07-24T04:20:42Z'));
    expect(underWay).toEqual([]);
    // Past its last end (the 24th), the 25th and 26th had no run: still overdue, from the 25th.
    expect(twoLater).toEqual([expect.objectContaining({ subject: 'logrotate', next_expected_at: '2026-07-25T04:02:00Z', missed_runs: 2 })]);
    expect(threeDue).toMatchObject({ nextExpectedAt: at('2026-07-24T04:02:00Z'), missed: 2 });
    // An end at 04:01 the next day is within 2 minutes of that day's start: it counts for that one, not the 24th's.
    expect(endInTheNextSlot).toMatchObject({ nextExpectedAt: at('2026-07-24T04:02:00Z'), missed: 1 });
    expect(periodEnd).toBeUndefined();
  });

  it('find_overdue: a job run on the 1st of each month is not late on the 31st, and late once the 1st passes its grace time', async () => {
    // Prepare: month-close (no schedule in the config) ran at 03:00 UTC on the 1st, June to December 2026
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-monthly-'));
    const file = join(dir, 'month-close.log');
    const lines = jobRunLines('month-close', [5, 6, 7, 8, 9, 10, 11].map((m) => ({ id: `mc-${m}`, start: Date.UTC(2026, m, 1, 3, 0, 5) })), 60_000, 400);
    writeFileSync(file, lines.join('\n') + '\n');
    const config = validateConfig({});
    const scanned = await scanToStore({ paths: [file], config, now: Date.parse('2026-12-02T00:00:00Z'), stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    const overdueAt = overdueAsker(scanned.opened, config, 'month-close');

    // Act
    let onThe31st: Awaited<ReturnType<typeof overdueAt>>;
    let onThe1st: Awaited<ReturnType<typeof overdueAt>>;
    try {
      onThe31st = await overdueAt('2026-12-31T23:00:00Z');
      onThe1st = await overdueAt('2027-01-01T05:00:00Z');
    } finally {
      await scanned.opened.close();
    }

    // Assess
    expect(onThe31st).toEqual([]);
    expect(onThe1st).toEqual([
      expect.objectContaining({ subject: 'month-close', schedule: expect.objectContaining({ cron: '0 3 1 * *', period: 'monthly' }), next_expected_at: '2027-01-01T03:00:00Z', missed_runs: 1 }),
    ]);
  });

  it('find_overdue: a job run at midnight on the 1st Tokyo time (15:00Z on the last day of the month before) is learned as monthly, not as a fixed period, as is a configured schedule in Asia/Tokyo', async () => {
    // Prepare: tokyo-close (no schedule in the config) and tokyo-configured ("0 0 1 * *" in Asia/Tokyo)
    // ran at 00:00 Tokyo time on the 1st, January to July 2026: gaps of 28 to 31 days, median 30.5
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-tokyo-'));
    const file = join(dir, 'tokyo.jsonl');
    const lines = ['tokyo-close', 'tokyo-configured'].flatMap((job) =>
      jobRunLines(job, [0, 1, 2, 3, 4, 5, 6].map((m) => ({ id: `${job}-${m}`, start: Date.UTC(2026, m, 0, 15, 0, 5) })), 60_000, 400),
    );
    writeFileSync(file, lines.sort((a, b) => (JSON.parse(a) as { ts: string }).ts.localeCompare((JSON.parse(b) as { ts: string }).ts)).join('\n') + '\n');
    const config = validateConfig({ jobs: { 'tokyo-configured': { schedule: '0 0 1 * *', timezone: 'Asia/Tokyo' } } });
    const scanned = await scanToStore({ paths: [file], config, now: Date.parse('2026-07-01T00:00:00Z'), stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    const overdueAt = overdueAsker(scanned.opened, config, 'tokyo');

    // Act
    let beforeItsRun: Awaited<ReturnType<typeof overdueAt>>;
    let afterItsGrace: Awaited<ReturnType<typeof overdueAt>>;
    try {
      beforeItsRun = await overdueAt('2026-07-31T06:00:00Z');
      afterItsGrace = await overdueAt('2026-08-01T00:00:00Z');
    } finally {
      await scanned.opened.close();
    }

    // Assess: a period of 30.5 days would expect the run at 03:00Z on 31 July, 12 hours early
    expect(beforeItsRun).toEqual([]);
    expect(afterItsGrace).toEqual([
      expect.objectContaining({ subject: 'tokyo-close', schedule: expect.objectContaining({ cron: '0 15 L * *', period: 'monthly' }), next_expected_at: '2026-07-31T15:00:00Z', missed_runs: 1 }),
      expect.objectContaining({ subject: 'tokyo-configured', schedule: { source: 'configured', cron: '0 0 1 * *', timezone: 'Asia/Tokyo' }, next_expected_at: '2026-07-31T15:00:00Z', missed_runs: 1 }),
    ]);
  });

  it('find_overdue: a job run at 02:30 Berlin time, with no schedule in the config, is not late after the clocks change, and is late when a run is missing', async () => {
    // Prepare: berlin-job (no schedule in the config) runs daily at 02:30 Europe/Berlin: 00:30Z to
    // 24 October, 01:30Z from the 25th to the 30th; its schedule is learned as "30 2 * * *" in
    // Europe/Berlin (its runs kept that wall time across the change), the run of the 31st missing.
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-dst-'));
    const file = join(dir, 'berlin-job.jsonl');
    const starts: number[] = [];
    for (let t = Date.parse('2026-09-01T00:30:05Z'); t < Date.parse('2026-10-25T00:00:00Z'); t += 86_400_000) starts.push(t);
    for (let t = Date.parse('2026-10-25T01:30:05Z'); t < Date.parse('2026-10-31T00:00:00Z'); t += 86_400_000) starts.push(t);
    const lines = jobRunLines('berlin-job', starts.map((start, i) => ({ id: `b${i}`, start })), 30_000, 1000);
    writeFileSync(file, lines.join('\n') + '\n');
    const config = validateConfig({});
    const scanned = await scanToStore({ paths: [file], config, now: Date.parse('2026-10-31T00:00:00Z'), stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    const overdueAt = overdueAsker(scanned.opened, config, 'berlin-job');
    const inferredDaily = { source: 'inferred', cron: '30 1 * * *', timezone: 'UTC', period: 'daily', period_ms: 86_400_000 } as const;
    const configuredDaily = { source: 'configured', cron: '30 0 * * *', timezone: 'UTC' } as const;

    // Act
    let beforeItsRun: Awaited<ReturnType<typeof overdueAt>>;
    let afterItsGrace: Awaited<ReturnType<typeof overdueAt>>;
    try {
      beforeItsRun = await overdueAt('2026-10-31T01:20:00Z');
      afterItsGrace = await overdueAt('2026-10-31T02:46:00Z');
    } finally {
      await scanned.opened.close();
    }
    // In spring, learned as "30 1 * * *" in winter, it runs at 00:30Z: that run counts for the 01:30Z start.
    const afterSpringRun = latenessOf(inferredDaily, Date.parse('2027-03-28T00:30:05Z'), 15 * 60_000, Date.parse('2027-03-28T12:00:00Z'));
    const configured = latenessOf(configuredDaily, Date.parse('2026-10-30T01:30:05Z'), 15 * 60_000, Date.parse('2026-10-31T01:20:00Z'));

    // Assess
    expect(scanned.findings.filter((f) => f.detector === 'missed-run')).toEqual([]);
    expect(beforeItsRun).toEqual([]);
    expect(afterItsGrace).toEqual([
      expect.objectContaining({ subject: 'berlin-job', schedule: expect.objectContaining({ source: 'inferred', cron: '30 2 * * *', timezone: 'Europe/Berlin' }), next_expected_at: '2026-10-31T01:30:00Z', missed_runs: 1 }),
    ]);
    expect(afterSpringRun).toBeUndefined();
    // A configured schedule names its zone: its start is judged to the minute.
    expect(configured).toMatchObject({ nextExpectedAt: Date.parse('2026-10-31T00:30:00Z'), missed: 1 });
  });

  it('find_overdue: a start is late at exactly its grace time, when the sweep reports it missed', async () => {
    // Prepare: etl (daily at 06:00, grace 30 min) ran 1-10 October; asked at 06:30:00 on the 11th, the instant its grace ends.
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-grace-'));
    const file = join(dir, 'etl.jsonl');
    const lines = jobRunLines('etl', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((d) => ({ id: `etl-${d}`, start: Date.UTC(2026, 9, d, 6, 0, 5) })), 30_000, 1000);
    writeFileSync(file, lines.join('\n') + '\n');
    const config = validateConfig({ jobs: { etl: { schedule: '0 6 * * *', grace_minutes: 30 } } });
    const now = Date.parse('2026-10-11T06:30:00Z');
    const scanned = await scanToStore({ paths: [file], config, now, stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    const asked = await connectClient(readOnlyView({ store: scanned.opened.store, config, clock: { now: () => now }, source: 'etl' }));

    // Act
    let overdue: { subject: string; next_expected_at: string; missed_runs: number }[];
    try {
      overdue = structured<{ overdue: typeof overdue }>(await asked.call('find_overdue')).overdue;
    } finally {
      await asked.close();
      await scanned.opened.close();
    }
    const aMomentBefore = latenessOf({ source: 'configured', cron: '0 6 * * *', timezone: 'UTC' }, Date.parse('2026-10-10T06:00:05Z'), 30 * 60_000, now - 1);

    // Assess
    expect(scanned.findings.filter((f) => f.detector === 'missed-run').map((f) => f.expected_at)).toEqual(['2026-10-11T06:00:00Z']);
    expect(overdue).toEqual([expect.objectContaining({ subject: 'etl', next_expected_at: '2026-10-11T06:00:00Z', missed_runs: 1 })]);
    expect(aMomentBefore).toBeUndefined();
  });

  it('find_overdue: with grace_minutes 0, a start is not late during its own minute, as the sweep judges it', () => {
    // Prepare: a daily 00:10 UTC job, grace 0, last run on the 5th
    const schedule = { source: 'configured' as const, cron: '10 0 * * *', timezone: 'UTC' };
    const lastStart = Date.parse('2026-10-05T00:10:01Z');

    // Act
    const midMinute = latenessOf(schedule, lastStart, 0, Date.parse('2026-10-06T00:10:30Z'));
    const minuteOver = latenessOf(schedule, lastStart, 0, Date.parse('2026-10-06T00:11:00Z'));

    // Assess
    expect(midMinute).toBeUndefined();
    expect(minuteOver).toMatchObject({ nextExpectedAt: Date.parse('2026-10-06T00:10:00Z'), missed: 1 });
  });

  it('explain_finding: the 5 Cs of one finding, worded as the monthly report writes that card, with the finding’s evidence', async () => {
    // Prepare
    const id = '2026-10-08T03:10:00Z#empty-output#nightly-backup#nb-08';
    const meta = DETECTOR_META.get('empty-output')!.fiveCs;
    const { report } = await createMonthlyReport('2026-10', { findings: opened.store, runs: opened.store, catalog: opened.store, exceptions: opened.exceptions, config: CONFIG, clock: { now: () => NOW } });
    const reportText = renderMarkdown(report);

    // Act
    const result = await mcp.call('explain_finding', { id });
    const explained = structured<{
      finding: FindingSummary;
      month: string;
      status: string;
      criteria: { rule: string };
      condition: { findings: number; evidence: string[]; examples: string[] };
      cause: { known: string; narrowed: string[] };
      consequence: { known: string; notes: string[] };
      corrective_action: { action: string; owner?: string; due?: string };
    }>(result);
    const text = result.content[0].type === 'text' ? result.content[0].text : '';

    // Assess
    expect(explained.finding).toMatchObject({ id, detector: 'empty-output', run_id: 'nb-08', evidence: { output_bytes: 0, reason: 'zero-bytes' } });
    expect(explained).toMatchObject({ month: 'October 2026', status: 'new' });
    expect(explained.criteria.rule).toBe(meta.criteria);
    expect(explained.condition).toMatchObject({ findings: 1, evidence: ['output_bytes: 0 B', 'reason: zero-bytes ×1', 'output: (empty) ×1'], examples: ['exited 0 but wrote no output (0 B)'] });
    expect(explained.cause.known).toBe(meta.cause);
    expect(explained.cause.narrowed[0]).toMatch(/^A single occurrence \(2026-10-08\)/);
    expect(explained.consequence.known).toBe(meta.consequence);
    expect(explained.consequence.notes[0]).toBe('1 run affected of 8 in October 2026 (13%).');
    expect(explained.corrective_action).toMatchObject({ action: meta.correctiveAction, owner: 'backup-team@example.com', due: '2026-10-22' });
    expect(text.split('\n').slice(0, 2)).toEqual([`Finding ${id} (high): exited 0 but wrote no output (0 B)`, 'Evidence: {"output_bytes":0,"reason":"zero-bytes","output":""}']);
    // The card is the report's own: every line after its heading appears in the month's report as written.
    const card = text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('### ')));
    expect(card[0]).toBe('### 1. HIGH · `empty-output` on nightly-backup · new');
    expect(reportText).toContain(card.slice(1).join('\n'));
  });

  it('explain_finding: a missed run’s cause narrowed by the month, for a subject with no runs after it', async () => {
    // Act
    const explained = structured<{ condition: { findings: number; evidence: string[] }; cause: { narrowed: string[] }; corrective_action: { owner?: string } }>(
      await mcp.call('explain_finding', { id: '2026-10-15T06:00:00Z#missed-run#etl-loader#2026-10-15T06:00:00Z' }),
    );

    // Assess
    expect([explained.condition.findings, explained.condition]).toEqual([12, expect.not.objectContaining({ occurrences: expect.anything() })]);
    expect(explained.condition.evidence).toContain('grace_minutes: 30');
    expect(explained.cause.narrowed[0]).toBe(
      'On every day from 2026-10-04 to 2026-10-15: a lasting change at the source on or just before 2026-10-04 rather than a passing fault. It had not recovered as of 2026-10-15 12:00 UTC.',
    );
    expect(explained.corrective_action.owner).toBe('data-platform@example.com');
  });

  it('explain_finding: a route’s month window, stamped midnight on the 1st, explained in the month it judged, as that month’s report has it', async () => {
    // Prepare: a route of which only October's month window fires, stamped 2026-11-01T00:00:00Z
    const lines = octoberMonthWindowLines();
    const log = join(mkdtempSync(join(tmpdir(), 'silent-audit-mcp-window-')), 'search-api.jsonl');
    writeFileSync(log, `${lines.join('\n')}\n`);
    const at = Date.parse('2026-11-01T06:00:00Z');
    const config = validateConfig({});
    const scanned = await scanToStore({ paths: [log], config, now: at, stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    const store = scanned.opened;
    const client = await connectClient(readOnlyView({ store: store.store, exceptions: store.exceptions, config, clock: { now: () => at }, source: 'a route’s October' }));
    const { report } = await createMonthlyReport('2026-10', { findings: store.store, runs: store.store, catalog: store.store, exceptions: store.exceptions, config, clock: { now: () => at } });
    const id = '2026-11-01T00:00:00Z#retry-rate#search-api#';

    // Act
    const result = await client.call('explain_finding', { id });
    await client.close();
    await store.close();

    // Assess
    const explained = structured<{ finding: FindingSummary; month: string; status: string; condition: { findings: number; first_at?: string } }>(result);
    expect(explained.finding).toMatchObject({ id, ts: '2026-11-01T00:00:00Z' });
    expect(explained).toMatchObject({ month: 'October 2026', status: 'new', condition: { findings: 1, first_at: '2026-10-31T23:59:59Z' } });
    const text = result.content[0].type === 'text' ? result.content[0].text : '';
    const card = text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('### ')) + 1);
    expect(renderMarkdown(report)).toContain(card.join('\n'));
  });

  it('explain_finding mid-month: a single budget-exceeded with no run since is still happening as of now, not at the end of the month, and not called a one-off', async () => {
    // Prepare: support-bot's run sb-1 (budget 20) makes 25 calls from 08:00 and ends at 08:30 on 1 October; explained at 15:00 that day.
    const { store, client } = await supportBotOverrunAt(Date.parse('2026-10-01T15:00:00Z'));

    // Act
    const result = await client.call('explain_finding', { id: '2026-10-01T08:30:00Z#budget-exceeded#support-bot#sb-1' });
    await client.close();
    await store.close();

    // Assess
    const explained = structured<{ cause: { narrowed: string[] }; consequence: { notes: string[] } }>(result);
    expect(explained.consequence.notes[1]).toBe('Happened once, on 2026-10-01, and nothing after it showed it stopped: still happening as of 2026-10-01 15:00 UTC.');
    expect(explained.cause.narrowed[0]).toBe(
      'A single occurrence (2026-10-01), not known to have stopped as of 2026-10-01 15:00 UTC: too soon to tell a one-off, such as a passing upstream fault or an unusual input, from a lasting change. Watch whether the next runs are normal.',
    );
  });

  it('explain_finding in the first month monitored: the card gives no count of the month before, as the report writes it', async () => {
    // Prepare: support-bot, first seen on 1 October, one run over its budget; nothing in September
    const now = Date.parse('2026-11-01T06:00:00Z');
    const { store, client, config } = await supportBotOverrunAt(now);
    const { report } = await createMonthlyReport('2026-10', { findings: store.store, runs: store.store, catalog: store.store, exceptions: store.exceptions, config, clock: { now: () => now } });

    // Act
    const result = await client.call('explain_finding', { id: '2026-10-01T08:30:00Z#budget-exceeded#support-bot#sb-1' });
    await client.close();
    await store.close();

    // Assess: the report calls it the first month; the card says nothing of September, and is the report's own
    const text = result.content[0].type === 'text' ? result.content[0].text : '';
    const card = text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('### ')) + 1);
    expect(report.summary.firstMonthMonitored).toBe(true);
    expect(card.find((l) => l.startsWith('- **Condition.** '))).toBe('- **Condition.** 1 finding on 1 run, 2026-10-01 08:30 UTC.');
    expect(text).not.toContain('September 2026');
    expect(renderMarkdown(report)).toContain(card.join('\n'));
  });

  it('list_exceptions: the registry with standing, expiry and bypass counts, and every guard’s bypasses by outcome', async () => {
    // Act
    const all = structured<{ exceptions: Record<string, unknown>[]; guards: Record<string, unknown>[] }>(await mcp.call('list_exceptions'));
    const approval = structured<{ exceptions: unknown[]; guards: { guard: string }[] }>(await mcp.call('list_exceptions', { guard: 'approval-step' }));

    // Assess
    expect(all.exceptions).toEqual([
      {
        id: 'EX-7',
        guard: 'pii-redaction',
        owner: 'bob@example.com',
        reason: 'export migration',
        expires: '2026-10-01',
        standing: 'expired',
        days_left: -14,
        bypass_count: 1,
        last_bypass_at: '2026-10-15T09:30:00Z',
        renewals: 0,
        origin: 'config',
        stored: true,
      },
      {
        id: 'EX-12',
        guard: 'pii-redaction',
        owner: 'alice@example.com',
        reason: 'support workflow needs raw logs',
        expires: '2026-12-31',
        standing: 'active',
        days_left: 77,
        bypass_count: 1,
        last_bypass_at: '2026-10-15T09:00:00Z',
        renewals: 0,
        origin: 'config',
        stored: true,
      },
    ]);
    expect(all.guards).toEqual([
      { guard: 'pii-redaction', bypasses: 2, covered: 1, unregistered: 0, expired: 1, without_exception: 0, last_bypass_at: '2026-10-15T09:30:00Z' },
      { guard: 'approval-step', bypasses: 1, covered: 0, unregistered: 1, expired: 0, without_exception: 1, last_bypass_at: '2026-10-15T10:00:00Z' },
    ]);
    expect(approval.exceptions).toEqual([]);
    expect(approval.guards.map((g) => g.guard)).toEqual(['approval-step']);
  });

  it('list_exceptions at --now: the registry as it stood then, not the renewals, revocations and additions made after it', async () => {
    // Prepare: a registry whose changes come after the moment the server judges at
    const registry = new MemoryExceptionStore();
    const by = { by: 'carol@example.com' };
    const before = { now: Date.parse('2026-10-01T00:00:00Z'), maxDays: 90 };
    const after = { now: Date.parse('2026-10-20T00:00:00Z'), maxDays: 90 };
    await addException(registry, { id: 'EX-RENEWED', guard: 'pii-redaction', reason: 'migration', owner: 'o@example.com', expires: '2026-10-10', ...by }, before);
    await addException(registry, { id: 'EX-REVOKED', guard: 'pii-redaction', reason: 'support', owner: 'o@example.com', expires: '2026-12-01', ...by }, before);
    await renewException(registry, 'EX-RENEWED', { expires: '2026-12-31', reason: 'still migrating', ...by }, after);
    await revokeException(registry, 'EX-REVOKED', { reason: 'done', ...by }, after);
    await addException(registry, { id: 'EX-LATER', guard: 'pii-redaction', reason: 'later', owner: 'o@example.com', expires: '2026-12-31', ...by }, after);
    const view = readOnlyView({ store: new MemoryAuditStore(), exceptions: registry, config: validateConfig({}), clock: { now: () => NOW }, source: 'a registry changed after --now' });
    const asOfNow = await connectClient(view);

    // Act
    const result = structured<{ exceptions: Record<string, unknown>[] }>(await asOfNow.call('list_exceptions', { include_revoked: true }));
    await asOfNow.close();

    // Assess: at NOW (2026-10-15) EX-RENEWED had lapsed on 2026-10-10, EX-REVOKED still held, EX-LATER did not exist
    expect(result.exceptions.map(({ id, expires, standing, days_left, renewals }) => ({ id, expires, standing, days_left, renewals }))).toEqual([
      { id: 'EX-RENEWED', expires: '2026-10-10', standing: 'expired', days_left: -5, renewals: 0 },
      { id: 'EX-REVOKED', expires: '2026-12-01', standing: 'active', days_left: 47, renewals: 0 },
    ]);
  });

  it('list_exceptions: a config exception the registry does not hold yet, as exceptions list --json shows it: reason redacted, count unknown, not stored', async () => {
    // Prepare: two bypasses under EX-NEW were read before the config named it; the registry holds nothing.
    const store = new MemoryAuditStore();
    const at = Date.parse('2026-10-10T10:00:00Z');
    const lines = [1, 2].map((i) => ({ type: 'guard.bypass', guard: 'pii-redaction', exception_id: 'EX-NEW', agent: 'bot', run_id: `r${i}`, ts: new Date(at + i * 60_000).toISOString() }));
    const ingest = createIngestHandler(() => ({ store, sink: { publish: async () => {} }, config: validateConfig({}), clock: { now: () => at + 600_000 } }), () => {});
    await ingest(encodePayload({ messageType: 'DATA_MESSAGE', owner: '1', logGroup: '/a', logStream: 's', subscriptionFilters: ['f'], logEvents: lines.map((l, i) => ({ id: String(i), timestamp: Date.parse(l.ts), message: JSON.stringify(l) })) }));
    const config = validateConfig({ exceptions: [{ id: 'EX-NEW', guard: 'pii-redaction', reason: 'approved, see password=hunter2hunter2', owner: 'ops@example.com', expires: '2026-12-01' }] });
    const client = await connectClient(readOnlyView({ store, exceptions: new MemoryExceptionStore(), config, clock: { now: () => NOW }, source: 'a config exception not stored' }));

    // Act
    const result = structured<{ exceptions: Record<string, unknown>[] }>(await client.call('list_exceptions'));
    await client.close();

    // Assess
    expect(result.exceptions).toEqual([
      expect.objectContaining({ id: 'EX-NEW', reason: 'approved, see password=[REDACTED:secret-assignment]', bypass_count: null, stored: false, origin: 'config' }),
    ]);
  });

  it('list_exceptions: a revoked exception has no days left, as exceptions list --json says', async () => {
    // Prepare
    const registry = new MemoryExceptionStore();
    const by = { by: 'carol@example.com' };
    await addException(registry, { id: 'EX-ENDED', guard: 'pii-redaction', reason: 'support', owner: 'o@example.com', expires: '2026-12-01', ...by }, { now: Date.parse('2026-10-01T00:00:00Z'), maxDays: 90 });
    await revokeException(registry, 'EX-ENDED', { reason: 'done', ...by }, { now: Date.parse('2026-10-05T00:00:00Z'), maxDays: 90 });
    const view = readOnlyView({ store: new MemoryAuditStore(), exceptions: registry, config: validateConfig({}), clock: { now: () => NOW }, source: 'a revoked exception' });
    const client = await connectClient(view);

    // Act
    const result = structured<{ exceptions: Record<string, unknown>[] }>(await client.call('list_exceptions', { include_revoked: true }));
    await client.close();

    // Assess
    expect(result.exceptions.map(({ id, standing, days_left }) => ({ id, standing, days_left }))).toEqual([{ id: 'EX-ENDED', standing: 'revoked', days_left: 0 }]);
  });

  it.each([
    ['a job with no finding in the window', { subject: 'hourly-sync', since: '2026-10-01', until: '2026-10-02' }],
    ['a tool whose only finding is before the window', { subject: 'escalate_to_human', since: '2026-10-10' }],
    ['a configured job, before its first finding', { subject: 'etl-loader', since: '2026-09-01', until: '2026-09-02' }],
  ])('find_findings on %s answers with nothing found, not an error', async (_label, args) => {
    // Act
    const result = await mcp.call('find_findings', args);

    // Assess
    expect(result.isError).toBeFalsy();
    expect(structured<{ total: number }>(result).total).toBe(0);
  });

  it.each([
    ['subject_status', { subject: 'nightly-backup', runs: 'ten' }, /^MCP error -32602: Input validation error: Invalid arguments for tool subject_status: .*expected number, received string at runs/],
    ['subject_status', {}, /Invalid arguments for tool subject_status: .*at subject/],
    ['subject_status', { subject: 'backup' }, /^subject_status: no job, agent, route or guard named "backup" is known to the audit \(11 subjects\); did you mean nightly-backup \(job\)\?$/],
    ['subject_status', { subject: 'support-bot', kind: 'route' }, /^subject_status: no route named "support-bot" is known/],
    ['find_findings', { detector: 'empty-outputs' }, /Invalid arguments for tool find_findings: Invalid option: expected one of .*"empty-output".* at detector/],
    ['find_findings', { since: 'last tuesday' }, /^find_findings: since "last tuesday": not a duration or a time; expected a duration such as 7d/],
    ['find_findings', { since: '99999999999d' }, /^find_findings: since "99999999999d": reaches back before the year 0000; expected a duration such as 7d/],
    ['find_findings', { since: '2026-10-10', until: '2026-10-09' }, /^find_findings: the window is empty: until \(2026-10-09T00:00:00Z\) must come after since \(2026-10-10T00:00:00Z\)$/],
    ['find_findings', { since: '2026-10-09 11:00:00', until: '2026-10-09 10:00:00' }, /^find_findings: the window is empty: until \(2026-10-09T10:00:00Z\) must come after since \(2026-10-09T11:00:00Z\)$/],
    ['find_findings', { since: '2026-10-01', until: '2026-10-09t00:00:00z' }, /^find_findings: until "2026-10-09t00:00:00z" is not an ISO-8601 time; expected e.g. 2026-10-31T23:59:59Z$/],
    ['find_findings', { since: '2026-10-01', until: '2026-10-09T00:00:00 +02:00' }, /^find_findings: until "2026-10-09T00:00:00 \+02:00" is not an ISO-8601 time; expected/],
    ['find_findings', { since: '2026-10-01', until: '2026-10-09T00:00:00,5Z' }, /^find_findings: until "2026-10-09T00:00:00,5Z" is not an ISO-8601 time; expected/],
    ['find_findings', { since: '2026-02-01', until: '2026-02-30' }, /^find_findings: until "2026-02-30" is not an ISO-8601 time \(.*February 2026 has 28 days.*\)/],
    ['find_findings', { limit: 0 }, /Invalid arguments for tool find_findings: .*at limit/],
    ['find_findings', { subject: 'Nightly-Backup', since: '30d' }, /^find_findings: no job, agent, tool, route or guard named "Nightly-Backup" is known to the audit \(11 subjects, and 1 tool with findings since 2026-09-15T12:00:00Z\); did you mean nightly-backup \(job\)\?$/],
    ['find_findings', { subject: 'escalate', since: '30d' }, /^find_findings: no job, .* named "escalate" is known to the audit .*; did you mean escalate_to_human \(tool\)\?$/],
    ['list_exceptions', { guard: 'pii_redaction' }, /^list_exceptions: no guard named "pii_redaction" is known to the audit \(2 guards\); list_subjects lists the known ones$/],
    ['list_exceptions', { guard: 'approval' }, /^list_exceptions: no guard named "approval" is known to the audit \(2 guards\); did you mean approval-step \(guard\)\?$/],
    ['find_overdue', { min_late_minutes: -5 }, /Invalid arguments for tool find_overdue: .*at min_late_minutes/],
    ['explain_finding', { id: 'nb-08' }, /^explain_finding: "nb-08" is not a finding id: ids look like 2026-10-08T03:10:00Z#empty-output#nightly-backup#nb-08/],
    ['explain_finding', { id: '2026-10-32T03:10:00Z#empty-output#nightly-backup#nb-08' }, /^explain_finding: "2026-10-32T03:10:00Z#empty-output#nightly-backup#nb-08" is not a finding id \(there is no 2026-10-32: October 2026 has 31 days\): ids look like/],
    ['explain_finding', { id: '2026-10-08T24:10:00Z#empty-output#nightly-backup#nb-08' }, /^explain_finding: "2026-10-08T24:10:00Z#empty-output#nightly-backup#nb-08" is not a finding id \(2026-10-08T24:10:00Z is no time of the day\): ids look like/],
    ['explain_finding', { id: '2026-10-08T03:10:00Z#empty-output#nightly-backup#nb-09' }, /^explain_finding: no finding with id "2026-10-08T03:10:00Z#empty-output#nightly-backup#nb-09" is stored/],
    ['list_exceptions', { include_revoked: 'yes' }, /Invalid arguments for tool list_exceptions: .*expected boolean.*at include_revoked/],
    ['list_subjects', { status: 'BROKEN' }, /Invalid arguments for tool list_subjects: Invalid option: expected one of "OK"\|"FINDINGS"\|"UNKNOWN"\|"RETIRED" at status/],
  ])('%s %j is a tool error that says what was wrong', async (name, args, message) => {
    // Act
    const result = await mcp.call(name, args);

    // Assess
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(errorText(result)).toMatch(message);
  });
});

describe('a route silent for six weeks while the sweep ran', () => {
  it('list_subjects says UNKNOWN over the last 30 days, not OK by the sweep’s time', async () => {
    // Prepare: 10 requests on 2026-09-20 from 10:00 to 10:09, then nothing; the sweep runs hourly until 2026-11-01 06:00.
    const config = validateConfig({ routes: { 'search-api': { retry_rate_max: 0.1 } } }, 'silent-audit.yaml');
    const store = new MemoryAuditStore();
    const sink = { publish: async () => {} };
    const from = Date.parse('2026-09-20T10:00:00Z');
    const at = Date.parse('2026-11-01T06:00:00Z');
    const logEvents = Array.from({ length: 10 }, (_, i) => {
      const ts = from + i * 60_000;
      return { id: String(i + 1), timestamp: ts, message: JSON.stringify({ type: 'attempt', ts: new Date(ts).toISOString(), route: 'search-api', request_id: `r${i}`, attempt: 1, outcome: 'ok', latency_ms: 100 }) };
    });
    await createIngestHandler(() => ({ store, sink, config, clock: { now: () => from + 11 * 60_000 } }), () => {})(
      encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/svc', logStream: 'h1', subscriptionFilters: ['f'], logEvents }),
    );
    for (let now = from + 3_600_000; now <= at; now += 3_600_000) await runSweep({ store, sink, config, clock: { now: () => now } });
    const client = await connectClient(readOnlyView({ store, config, clock: { now: () => at }, source: 'memory' }));

    // Act
    const listed = structured<{ subjects: SubjectRow[] }>(await client.call('list_subjects', {}));
    await client.close();

    // Assess
    expect(listed.subjects.find((r) => r.name === 'search-api')).toMatchObject({ kind: 'route', status: 'UNKNOWN', reason: 'no data: nothing from it was seen in the last 30 days' });
  });
});

describe('routes first seen after a --now earlier than the store\'s data', () => {
  it('list_subjects at that --now: one the config does not name is no subject yet, one it names is UNKNOWN, not seen yet; neither fails the call', async () => {
    // Prepare: search-api (configured) and GET /x (not) first requested on 2026-10-14 at 10:00, swept an hour later; asked on 7 October.
    const config = validateConfig({ routes: { 'search-api': { retry_rate_max: 0.1 } } }, 'silent-audit.yaml');
    const store = new MemoryAuditStore();
    const sink = { publish: async () => {} };
    const from = Date.parse('2026-10-14T10:00:00Z');
    const early = Date.parse('2026-10-07T12:00:00Z');
    const logEvents = ['search-api', 'GET /x'].flatMap((route, r) =>
      Array.from({ length: 3 }, (_, i) => {
        // Each line comes as its request of 100 ms ends: the first starts at 10:00:00.
        const ts = from + i * 60_000 + 100;
        return { id: `${r}-${i}`, timestamp: ts, message: JSON.stringify({ type: 'attempt', ts: new Date(ts).toISOString(), route, request_id: `${route}-${i}`, attempt: 1, outcome: 'ok', latency_ms: 100 }) };
      }),
    );
    await createIngestHandler(() => ({ store, sink, config, clock: { now: () => from + 5 * 60_000 } }), () => {})(
      encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/svc', logStream: 'h1', subscriptionFilters: ['f'], logEvents }),
    );
    await runSweep({ store, sink, config, clock: { now: () => from + 3_600_000 } });
    const client = await connectClient(readOnlyView({ store, config, clock: { now: () => early }, source: 'memory, a week earlier' }));

    // Act
    let listed;
    try {
      listed = await client.call('list_subjects', { kind: 'route' });
    } finally {
      await client.close();
    }

    // Assess
    expect(listed.isError, errorText(listed)).toBeFalsy();
    const rows = structured<{ subjects: SubjectRow[] }>(listed).subjects;
    expect(rows.map((r) => r.name)).toEqual(['search-api']);
    expect(rows[0]).toMatchObject({ status: 'UNKNOWN', reason: 'not seen yet: first seen on 2026-10-14T10:00:00Z, after now', findings_in_window: 0 });
  });
});

describe('jobs run once a month, at 09:00 on the 1st', () => {
  /** The jobs' runs, January to October 2026 (configured-monthly's of 1 October failed), and `extra` lines, scanned at `now`. */
  async function scanMonthly(now: string, extra: Record<string, unknown>[] = []) {
    const config = validateConfig({ jobs: { 'configured-monthly': { schedule: '0 9 1 * *' } } }, 'silent-audit.yaml');
    const lines = ['configured-monthly', 'learned-monthly'].flatMap((job) =>
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((m) => {
        const start = Date.UTC(2026, m, 1, 9, 0, 5);
        const exitCode = job === 'configured-monthly' && m === 9 ? 1 : 0;
        return [
          { type: 'run.start', job, run_id: `${job}-${m}`, ts: new Date(start).toISOString() },
          { type: 'run.end', job, run_id: `${job}-${m}`, exit_code: exitCode, duration_ms: 60_000, output_bytes: 400, ts: new Date(start + 60_000).toISOString() },
        ];
      }),
    );
    const file = join(mkdtempSync(join(tmpdir(), 'silent-audit-monthly-window-')), 'monthly.jsonl');
    writeFileSync(file, [...lines, ...extra].map((line) => JSON.stringify(line)).sort().join('\n') + '\n');
    const scanned = await scanToStore({ paths: [file], config, now: Date.parse(now), stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    return { config, opened: scanned.opened };
  }

  async function askAt(audit: Awaited<ReturnType<typeof scanMonthly>>, now: string) {
    const client = await connectClient(readOnlyView({ store: audit.opened.store, config: audit.config, clock: { now: () => Date.parse(now) }, source: 'monthly' }));
    try {
      const listed = structured<{ window_days: number; subjects: (SubjectRow & { window_days: number })[] }>(await client.call('list_subjects'));
      const status = structured<{ window_days: number; recent_runs: { run_id: string }[] }>(await client.call('subject_status', { subject: 'learned-monthly' }));
      return { listed, status, rows: listed.subjects.map((r) => [r.name, r.status, r.window_days, r.findings_in_window]) };
    } finally {
      await client.close();
    }
  }

  it('list_subjects and subject_status judge each by its run of the 1st on the 31st of a 31-day month and on the 1st before 09:00, their windows long enough to hold it', async () => {
    // Prepare
    const audit = await scanMonthly('2026-10-31T12:00:00Z');

    // Act
    let onThe31st: Awaited<ReturnType<typeof askAt>>;
    let earlyOnThe1st: Awaited<ReturnType<typeof askAt>>;
    try {
      onThe31st = await askAt(audit, '2026-10-31T12:00:00Z');
      earlyOnThe1st = await askAt(audit, '2026-11-01T08:00:00Z');
    } finally {
      await audit.opened.close();
    }

    // Assess: not OK as "not due" with its failed run out of a 30-day window, nor UNKNOWN for no data.
    // On the 1st at 08:00 the learned schedule's window is a day longer: its run may come an hour before its time.
    for (const [asked, learnedDays] of [[onThe31st, 31], [earlyOnThe1st, 32]] as const) {
      expect(asked.listed.window_days).toBe(30);
      expect(asked.rows).toEqual([
        ['configured-monthly', 'FINDINGS', 31, 1],
        ['learned-monthly', 'OK', learnedDays, 0],
      ]);
      expect(asked.status.window_days).toBe(learnedDays);
      expect(asked.status.recent_runs.map((r) => r.run_id)).toEqual(['learned-monthly-9']);
    }
  });

  it('list_subjects holds the run before while the run of the 1st is still going on (a run records itself when it ends)', async () => {
    // Prepare: configured-monthly's run of 1 November started at 09:00:05 and has not ended at 10:00
    const audit = await scanMonthly('2026-11-01T10:00:00Z', [{ type: 'run.start', job: 'configured-monthly', run_id: 'configured-monthly-10', ts: '2026-11-01T09:00:05.000Z' }]);

    // Act
    let running: Awaited<ReturnType<typeof askAt>>;
    try {
      running = await askAt(audit, '2026-11-01T10:00:00Z');
    } finally {
      await audit.opened.close();
    }

    // Assess
    expect(running.listed.subjects.find((r) => r.name === 'configured-monthly')).toMatchObject({ status: 'FINDINGS', window_days: 32, last_status: 'running' });
  });

  it('list_subjects calls the first run of a new job running while it is in flight, as scan does, not merely started', async () => {
    // Prepare: a job new on 1 November, whose first run (no end of it seen yet, as no run of it ever ended) started at 09:00:05
    const config = validateConfig({ jobs: { 'new-monthly': { schedule: '0 9 1 * *' } } }, 'silent-audit.yaml');
    const file = join(mkdtempSync(join(tmpdir(), 'silent-audit-new-job-')), 'new.jsonl');
    writeFileSync(file, JSON.stringify({ type: 'run.start', job: 'new-monthly', run_id: 'new-monthly-1', ts: '2026-11-01T09:00:05.000Z' }) + '\n');
    const scanned = await scanToStore({ paths: [file], config, now: Date.parse('2026-11-01T10:00:00Z'), stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);

    // Act
    let listed: { subjects: (SubjectRow & { window_days: number })[] };
    try {
      const client = await connectClient(readOnlyView({ store: scanned.opened.store, config, clock: { now: () => Date.parse('2026-11-01T10:00:00Z') }, source: 'new job' }));
      listed = structured(await client.call('list_subjects'));
      await client.close();
    } finally {
      await scanned.opened.close();
    }

    // Assess: running, and its window holds the start expected before this run's (1 October), as for a job that logged ends
    expect(listed.subjects.find((r) => r.name === 'new-monthly')).toMatchObject({ window_days: 32, last_status: 'running' });
  });

  it('list_subjects keeps the 30-day window once the run of the 1st is past its max runtime: a run that hung is not still going on', async () => {
    // Prepare: configured-monthly's run of 1 November started at 09:00:05 and never ended (max runtime 1 h)
    const audit = await scanMonthly('2026-11-20T12:00:00Z', [{ type: 'run.start', job: 'configured-monthly', run_id: 'configured-monthly-10', ts: '2026-11-01T09:00:05.000Z' }]);

    // Act
    let hung: Awaited<ReturnType<typeof askAt>>;
    try {
      hung = await askAt(audit, '2026-11-20T12:00:00Z');
    } finally {
      await audit.opened.close();
    }

    // Assess: judged by its unfinished run of 1 November, not over 51 days back to 1 October's
    expect(hung.listed.subjects.find((r) => r.name === 'configured-monthly')).toMatchObject({ status: 'FINDINGS', window_days: 30 });
  });
});

describe('status windows no longer than a monthly job needs', () => {
  it('list_subjects judges a cron job that logs only its starts over 30 days, though each of its starts stays open', async () => {
    // Prepare: cron's CMD lines (a start, never an end) of a daily and a weekly job, 1 June to 6 December
    const now = Date.parse('2026-12-06T12:00:00Z');
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const cmd = (t: number, command: string) => {
      const d = new Date(t);
      return `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)} web1 CRON[${1000 + d.getUTCDate()}]: (root) CMD (${command})`;
    };
    const lines: string[] = [];
    for (let t = Date.UTC(2026, 5, 1, 2, 30, 1); t < now; t += 86_400_000) {
      lines.push(cmd(t, '/usr/local/bin/daily.sh'));
      if (new Date(t).getUTCDay() === 0) lines.push(cmd(t, '/usr/local/bin/weekly.sh'));
    }
    const file = join(mkdtempSync(join(tmpdir(), 'silent-audit-starts-only-')), 'cron.log');
    writeFileSync(file, lines.join('\n') + '\n');
    const config = validateConfig({}, 'silent-audit.yaml');
    const scanned = await scanToStore({ paths: [file], config, now, year: 2026, stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);

    // Act
    const client = await connectClient(readOnlyView({ store: scanned.opened.store, config, clock: { now: () => now }, source: 'cron starts' }));
    let listed: { subjects: SubjectRow[] };
    try {
      listed = structured<{ subjects: SubjectRow[] }>(await client.call('list_subjects', { kind: 'job' }));
    } finally {
      await client.close();
      await scanned.opened.close();
    }

    // Assess: not 51 days back to the oldest of the daily job's 50 open starts, nor months for the weekly one
    expect(listed.subjects.map((r) => [r.name, r.window_days])).toEqual([
      ['/usr/local/bin/daily.sh', 30],
      ['/usr/local/bin/weekly.sh', 30],
    ]);
  });

  it('list_subjects judges a yearly job over 30 days, OK as not due, and reads the fleet\'s findings over no more than 30 days for it', async () => {
    // Prepare: "0 0 1 1 *" ran fine on 1 January 2020 to 2026; a daily job failed every day since 1 November
    const now = Date.parse('2026-12-06T12:00:00Z');
    const run = (job: string, id: string, start: number, exitCode: number) => [
      { type: 'run.start', job, run_id: id, ts: new Date(start).toISOString() },
      { type: 'run.end', job, run_id: id, exit_code: exitCode, duration_ms: 60_000, output_bytes: 400, ts: new Date(start + 60_000).toISOString() },
    ];
    const lines = [
      ...[2020, 2021, 2022, 2023, 2024, 2025, 2026].flatMap((y) => run('yearly', `y${y}`, Date.UTC(y, 0, 1, 0, 0, 5), 0)),
      ...Array.from({ length: 35 }, (_, d) => run('daily', `d${d}`, Date.UTC(2026, 10, 1 + d, 2, 0, 5), 1)).flat(),
    ];
    const file = join(mkdtempSync(join(tmpdir(), 'silent-audit-yearly-window-')), 'fleet.jsonl');
    writeFileSync(file, lines.map((line) => JSON.stringify(line)).sort().join('\n') + '\n');
    const config = validateConfig({ deploy: { run_retention_days: 90 }, jobs: { yearly: { schedule: '0 0 1 1 *' } } }, 'silent-audit.yaml');
    const scanned = await scanToStore({ paths: [file], config, now, stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    const view = readOnlyView({ store: scanned.opened.store, config, clock: { now: () => now }, source: 'yearly' });
    const findingsFrom: string[] = [];
    const recording = { ...view, findings: (query: Parameters<typeof view.findings>[0]) => (findingsFrom.push(query.from ?? ''), view.findings(query)) };

    // Act
    const client = await connectClient(recording);
    let listed: { subjects: SubjectRow[] };
    try {
      listed = structured<{ subjects: SubjectRow[] }>(await client.call('list_subjects', { kind: 'job' }));
    } finally {
      await client.close();
      await scanned.opened.close();
    }

    // Assess: not 340 days back to 1 January, past the 90 days its run records are kept
    expect(listed.subjects.find((r) => r.name === 'yearly')).toMatchObject({ status: 'OK', window_days: 30, reason: expect.stringMatching(/no run was due in the last 30 days/) });
    expect(listed.subjects.find((r) => r.name === 'daily')).toMatchObject({ status: 'FINDINGS', window_days: 30 });
    expect(findingsFrom).toEqual(['2026-11-06T12:00:01Z']);
  });
});

describe('a missed run whose lines arrived after the sweep judged it', () => {
  it('list_subjects, subject_status and find_findings count it nowhere; explain_finding and find_findings with include_retracted say it is retracted', async () => {
    // Prepare: an hourly backup (grace 15 min) runs 06:00–12:00; the 10:00 run's lines (start 10:00:05)
    // reach the audit at 10:26, after the 10:20 sweep reported its start missed.
    const config = validateConfig({ jobs: { backup: { schedule: '0 * * * *', grace_minutes: 15 } } }, 'silent-audit.yaml');
    const store = new MemoryAuditStore();
    const sink = { publish: async () => {} };
    const at = (time: string) => Date.parse(`2026-10-05T${time}Z`);
    let id = 0;
    const deliver = async (now: number, hour: string) => {
      const startedAt = at(`${hour}:00:05`);
      const lines = [
        { type: 'run.start', job: 'backup', run_id: `r${hour}`, ts: new Date(startedAt).toISOString() },
        { type: 'run.end', job: 'backup', run_id: `r${hour}`, exit_code: 0, duration_ms: 60_000, output_bytes: 1000, ts: new Date(startedAt + 60_000).toISOString() },
      ];
      const logEvents = lines.map((line) => ({ id: String(++id), timestamp: Date.parse(line.ts), message: JSON.stringify(line) }));
      await createIngestHandler(() => ({ store, sink, config, clock: { now: () => now } }), () => {})(
        encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents }),
      );
    };
    for (const hour of ['06', '07', '08', '09']) await deliver(at(`${hour}:01:10`), hour);
    await runSweep({ store, sink, config, clock: { now: () => at('10:20:00') } });
    await deliver(at('10:26:00'), '10');
    for (const hour of ['11', '12']) await deliver(at(`${hour}:01:10`), hour);
    const client = await connectClient(readOnlyView({ store, config, clock: { now: () => at('12:30:00') }, source: 'memory' }));

    // Act
    const listed = structured<{ subjects: SubjectRow[] }>(await client.call('list_subjects', {}));
    const status = structured<{ subject: SubjectRow; open_findings: FindingSummary[] }>(await client.call('subject_status', { subject: 'backup' }));
    const explained = structured<{ retracted?: string }>(await client.call('explain_finding', { id: '2026-10-05T10:00:00Z#missed-run#backup#2026-10-05T10:00:00Z' }));
    type Found = { total: number; by_detector: Record<string, number>; retracted: number; findings: (FindingSummary & { retracted?: string })[] };
    const found = structured<Found>(await client.call('find_findings', { subject: 'backup' }));
    const withRetracted = structured<Found>(await client.call('find_findings', { subject: 'backup', include_retracted: true }));
    await client.close();

    // Assess
    expect((await store.query({ from: '2026-10-05T00:00:00Z', to: '2026-10-06T00:00:00Z' })).map((f) => f.key)).toEqual(['2026-10-05T10:00:00Z#missed-run#backup#2026-10-05T10:00:00Z']);
    expect(listed.subjects.find((r) => r.name === 'backup')).toMatchObject({ status: 'OK', findings_in_window: 0, open_findings: 0 });
    expect(status.open_findings).toEqual([]);
    expect(explained.retracted).toBe(
      "the run's lines arrived late: its run r10 started 2026-10-05T10:00:05Z, within the 15 min grace time; the run's lines reached the audit after the sweep had judged the start missed",
    );
    expect(found).toMatchObject({ total: 0, by_detector: {}, retracted: 1, findings: [] });
    expect(withRetracted).toMatchObject({ total: 1, by_detector: {}, retracted: 1 });
    expect(withRetracted.findings.map((f) => [f.id, f.retracted])).toEqual([['2026-10-05T10:00:00Z#missed-run#backup#2026-10-05T10:00:00Z', explained.retracted]]);
  });

  /** An in-memory audit that run lines reach through the ingest handler, as deployed. */
  function lateAudit(raw: unknown) {
    const config = validateConfig(raw, 'silent-audit.yaml', undefined, { now: Date.parse('2026-09-01T00:00:00Z') });
    const store = new MemoryAuditStore();
    const sink = { publish: async () => {} };
    let id = 0;
    const run = async (now: number, job: string, runId: string, startedAt: number, ms: number) => {
      const lines = [
        { type: 'run.start', job, run_id: runId, ts: new Date(startedAt).toISOString() },
        { type: 'run.end', job, run_id: runId, exit_code: 0, duration_ms: ms, output_bytes: 1000, ts: new Date(startedAt + ms).toISOString() },
      ];
      const logEvents = lines.map((line) => ({ id: String(++id), timestamp: Date.parse(line.ts), message: JSON.stringify(line) }));
      await createIngestHandler(() => ({ store, sink, config, clock: { now: () => now } }), () => {})(
        encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents }),
      );
    };
    const sweep = (now: number) => runSweep({ store, sink, config, clock: { now: () => now } });
    const explain = async (now: number, id: string) => {
      const client = await connectClient(readOnlyView({ store, config, clock: { now: () => now }, source: 'memory' }));
      try {
        return structured<{ retracted?: string; status: string; month: string; condition: { findings: number } }>(await client.call('explain_finding', { id }));
      } finally {
        await client.close();
      }
    };
    return { run, sweep, explain };
  }

  it("explain_finding retracts a missed-run whose run started within the grace time and ended after the month's end, as the report does", async () => {
    // Prepare: a daily 23:00 job (grace 15 min) runs 70 min; its run of 31 October started at
    // 23:00:05 and ended at 00:10:05 on 1 November, and its lines arrived at 00:30, after the 23:20
    // sweep reported the start missed.
    const a = lateAudit({ jobs: { nightly: { schedule: '0 23 * * *', grace_minutes: 15, max_runtime_minutes: 180 } } });
    for (const d of ['25', '26', '27', '28', '29', '30']) {
      const startedAt = Date.parse(`2026-10-${d}T23:00:05Z`);
      await a.run(startedAt + 71 * 60_000, 'nightly', `n${d}`, startedAt, 70 * 60_000);
      await a.sweep(startedAt + 75 * 60_000);
    }
    const judged = await a.sweep(Date.parse('2026-10-31T23:20:00Z'));
    await a.run(Date.parse('2026-11-01T00:30:00Z'), 'nightly', 'n31', Date.parse('2026-10-31T23:00:05Z'), 70 * 60_000);

    // Act
    const explained = await a.explain(Date.parse('2026-11-01T06:00:00Z'), '2026-10-31T23:00:00Z#missed-run#nightly#2026-10-31T23:00:00Z');

    // Assess
    expect(judged.findings.map((f) => `${f.detector} ${f.expected_at}`)).toEqual(['missed-run 2026-10-31T23:00:00Z']);
    expect(explained.retracted).toBe(
      "the run's lines arrived late: its run n31 started 2026-10-31T23:00:05Z, within the 15 min grace time; the run's lines reached the audit after the sweep had judged the start missed",
    );
  });

  it("explain_finding counts last month's retracted missed-run in no status, as the report does", async () => {
    // Prepare: a daily 03:00 backup (grace 15 min) runs a minute each day from 1 October; the run of
    // 5 October reached the audit at 03:26, after the 03:20 sweep (October's report retracts its
    // missed-run); on 3 November the run really did not come.
    const a = lateAudit({ jobs: { backup: { schedule: '0 3 * * *', grace_minutes: 15 } } });
    const day = (d: number) => Date.parse('2026-10-01T03:00:05Z') + (d - 1) * 86_400_000;
    const judged: string[] = [];
    for (let d = 1; d <= 34; d++) {
      if (d === 5) {
        judged.push(...(await a.sweep(day(d) + 20 * 60_000)).findings.map((f) => `${f.detector} ${f.expected_at}`));
        await a.run(day(d) + 26 * 60_000, 'backup', `b${d}`, day(d), 60_000);
      } else if (d !== 34) await a.run(day(d) + 65_000, 'backup', `b${d}`, day(d), 60_000);
      judged.push(...(await a.sweep(day(d) + 30 * 60_000)).findings.map((f) => `${f.detector} ${f.expected_at}`));
    }

    // Act
    const explained = await a.explain(Date.parse('2026-12-01T06:00:00Z'), '2026-11-03T03:00:00Z#missed-run#backup#2026-11-03T03:00:00Z');

    // Assess: new in November, not recurring from a finding October's report retracted.
    expect(judged).toEqual(['missed-run 2026-10-05T03:00:00Z', 'missed-run 2026-11-03T03:00:00Z']);
    expect(explained).toMatchObject({ month: 'November 2026', status: 'new', condition: { findings: 1 } });
    expect(explained.retracted).toBeUndefined();
  });
});

describe('a job whose name was misspelt in the config, corrected on 3 October', () => {
  it('list_subjects and subject_status know it while the config names it, and not once the name is corrected and the real job runs', async () => {
    // Prepare: the config names "nightly-bakup" (daily at 02:00) from 1 October; the sweep (every 6 h)
    // finds nothing of it. On 3 October the name is corrected to nightly-backup, whose runs arrive daily.
    const typo = validateConfig({ jobs: { 'nightly-bakup': { schedule: '0 2 * * *' } } }, 'silent-audit.yaml');
    const fixed = validateConfig({ jobs: { 'nightly-backup': { schedule: '0 2 * * *' } } }, 'silent-audit.yaml');
    const store = new MemoryAuditStore();
    const sink = { publish: async () => {} };
    const H = 3_600_000;
    const corrected = Date.parse('2026-10-03T00:00:00Z');
    const until = Date.parse('2026-11-20T12:00:00Z');
    let id = 0;
    for (let now = Date.parse('2026-10-01T00:00:00Z'); now <= until; now += 6 * H) {
      const config = now < corrected ? typo : fixed;
      const startedAt = now - 4 * H;
      if (now >= corrected && new Date(startedAt).getUTCHours() === 2) {
        const lines = [
          { type: 'run.start', job: 'nightly-backup', run_id: `r${startedAt}`, ts: new Date(startedAt).toISOString() },
          { type: 'run.end', job: 'nightly-backup', run_id: `r${startedAt}`, exit_code: 0, duration_ms: 60_000, output_bytes: 1000, ts: new Date(startedAt + 60_000).toISOString() },
        ];
        const logEvents = lines.map((line) => ({ id: String(++id), timestamp: Date.parse(line.ts), message: JSON.stringify(line) }));
        await createIngestHandler(() => ({ store, sink, config, clock: { now: () => now } }), () => {})(
          encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents }),
        );
      }
      await runSweep({ store, sink, config, clock: { now: () => now } });
    }
    const ask = async (config: typeof typo, at: number, tool: string, args: Record<string, unknown>) => {
      const client = await connectClient(readOnlyView({ store, config, clock: { now: () => at }, source: 'memory' }));
      try {
        return await client.call(tool, args);
      } finally {
        await client.close();
      }
    };

    // Act
    const whileNamed = structured<{ subjects: SubjectRow[] }>(await ask(typo, until, 'list_subjects', {}));
    const listed = structured<{ subjects: SubjectRow[] }>(await ask(fixed, until, 'list_subjects', {}));
    const status = await ask(fixed, until, 'subject_status', { subject: 'nightly-bakup' });

    // Assess: the sweep kept the misspelt job's never-seen state and reported its missed runs until the
    // correction, none after; it is UNKNOWN while named; once corrected, only the real job is listed
    const kept = (await store.subjects('job')).find((s) => s.key === 'job#nightly-bakup')?.state as JobState | undefined;
    expect([kept?.unseenSince, kept?.firstSeenAt]).toEqual([Date.parse('2026-10-01T00:00:00Z'), undefined]);
    const missed = (await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-21T00:00:00Z' })).filter((f) => f.subject === 'nightly-bakup');
    expect(missed.map((f) => [f.detector, f.expected_at])).toEqual([
      ['missed-run', '2026-10-01T02:00:00Z'],
      ['missed-run', '2026-10-02T02:00:00Z'],
    ]);
    expect(whileNamed.subjects.find((r) => r.name === 'nightly-bakup')).toMatchObject({ kind: 'job', status: 'UNKNOWN' });
    expect(listed.subjects.map((r) => [r.name, r.status])).toEqual([['nightly-backup', 'OK']]);
    expect(errorText(status)).toContain('no job, agent, route or guard named "nightly-bakup" is known to the audit');
  });
});

describe('explain_finding of a month older than the run records are kept', () => {
  it('notes, as the monthly report does, that the runs its condition and cause are read from may be gone, and not when the store keeps them for good', async () => {
    // Prepare: a job's failed run on 2026-07-10, ingested then; explained on 2026-12-06 from a table
    // that keeps run records 63 days (deleting them), and from one that keeps them for good.
    const config = validateConfig({ jobs: { backup: {} } }, 'silent-audit.yaml');
    const startedAt = Date.parse('2026-07-10T02:00:00Z');
    const lines = [
      { type: 'run.start', job: 'backup', run_id: 'b-1', ts: new Date(startedAt).toISOString() },
      { type: 'run.end', job: 'backup', run_id: 'b-1', exit_code: 1, duration_ms: 60_000, output_bytes: 10, ts: new Date(startedAt + 60_000).toISOString() },
    ];
    const logEvents = lines.map((line, i) => ({ id: String(i + 1), timestamp: Date.parse(line.ts), message: JSON.stringify(line) }));
    const explainFrom = async (store: MemoryAuditStore) => {
      await createIngestHandler(() => ({ store, sink: { publish: async () => {} }, config, clock: { now: () => startedAt + 120_000 } }), () => {})(
        encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/backup', logStream: 's', subscriptionFilters: ['f'], logEvents }),
      );
      const [finding] = await store.query({ from: '2026-07-10T00:00:00Z', to: '2026-07-11T00:00:00Z' });
      const client = await connectClient(readOnlyView({ store, config, clock: { now: () => Date.parse('2026-12-06T12:00:00Z') }, source: 'memory' }));
      const call = await client.call('explain_finding', { id: finding.key });
      await client.close();
      return call;
    };

    // Act
    const deleting = await explainFrom(Object.assign(new MemoryAuditStore(), { runRetentionDays: 63 }));
    const keeping = await explainFrom(new MemoryAuditStore());

    // Assess
    const note =
      "Run records are kept 63 days after their run: at this report's date, those before 2026-10-04 may be gone. So July 2026's runs are not all known: its agents, and its jobs seen before then, are UNKNOWN for that reason (or FINDINGS, giving it), their run counts are of the records left, " +
      'and a missed or unfinished run that a late run answered may be shown here as a finding, not retracted (in June 2026 too, for the trend and statuses).';
    expect(structured<{ runs_not_kept?: string }>(deleting).runs_not_kept).toBe(note);
    expect(errorText(deleting)).toContain(`Note: ${note}`);
    expect(structured<{ runs_not_kept?: string }>(keeping).runs_not_kept).toBeUndefined();
    expect(errorText(keeping)).not.toContain('may be gone');
  });
});

describe('agents, guards and jobs at a --now earlier than the lines scanned', () => {
  const NOW_29TH = '2026-11-29T10:00:00Z';
  const EXCEPTIONS = [
    { id: 'EX-1', guard: 'pii-redaction', reason: 'support', owner: 'alice@example.com', expires: '2026-12-20' },
    { id: 'EX-2', guard: 'pii-redaction', reason: 'old', owner: 'bob@example.com', expires: '2026-12-01' },
  ];

  /** `lines` scanned, and a client asking, at `now`: a store holding lines from after it, as `mcp --now` builds one. */
  async function askAt(now: string, lines: readonly Record<string, unknown>[], calls: readonly [string, Record<string, unknown>][]) {
    const config = validateConfig({ exceptions: EXCEPTIONS }, 'silent-audit.yaml');
    const file = join(mkdtempSync(join(tmpdir(), 'silent-audit-past-now-')), 'app.jsonl');
    writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    const scanned = await scanToStore({ paths: [file], config, now: Date.parse(now), stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    const client = await connectClient(readOnlyView({ store: scanned.opened.store, config, clock: { now: () => Date.parse(now) }, source: 'memory' }));
    try {
      const answers = [];
      for (const [name, args] of calls) answers.push(await client.call(name, args));
      return answers;
    } finally {
      await client.close();
      await scanned.opened.close();
    }
  }

  const agentRun = (agent: string, runId: string, at: string) => {
    const start = Date.parse(at);
    return [
      { ts: new Date(start).toISOString(), type: 'agent.start', agent, run_id: runId },
      { ts: new Date(start + 1000).toISOString(), type: 'agent.action', agent, run_id: runId, action: 'llm_call', cost_usd: 0.01 },
      { ts: new Date(start + 5000).toISOString(), type: 'agent.end', agent, run_id: runId, status: 'ok' },
    ];
  };

  it('an agent or guard first seen after now is not seen yet: left out of list_subjects, and subject_status says when it was first seen', async () => {
    // Prepare: early-bot ran on 20 November; helper-bot, and bypasses of pii-redaction and deploy-freeze, came on 5 December.
    const lines = [
      ...agentRun('early-bot', 'eb-1', '2026-11-20T09:00:00Z'),
      { ts: '2026-12-05T13:00:00Z', type: 'guard.bypass', guard: 'pii-redaction', exception_id: 'EX-2', actor: 'bob', reason: 'old' },
      { ts: '2026-12-05T14:00:00Z', type: 'guard.bypass', guard: 'deploy-freeze', actor: 'carol', reason: 'hotfix' },
      ...agentRun('helper-bot', 'hb-1', '2026-12-05T15:00:00Z'),
    ];

    // Act
    const [listed, guard, agent] = await askAt(NOW_29TH, lines, [['list_subjects', {}], ['subject_status', { subject: 'pii-redaction' }], ['subject_status', { subject: 'helper-bot' }]]);

    // Assess
    expect(listed.isError, errorText(listed)).toBeFalsy();
    expect(structured<{ subjects: SubjectRow[] }>(listed).subjects.map((s) => `${s.kind} ${s.name}`)).toEqual(['agent early-bot']);
    expect(errorText(guard)).toBe('subject_status: guard "pii-redaction" was not seen yet at 2026-11-29T10:00:00Z: it was first seen on 2026-12-05T13:00:00Z, after that');
    expect(errorText(agent)).toBe('subject_status: agent "helper-bot" was not seen yet at 2026-11-29T10:00:00Z: it was first seen on 2026-12-05T15:00:00Z, after that');
  });

  it('a guard\'s last_run_at is its last bypass by now, never the time of a finding the sweep dated now', async () => {
    // Prepare: pii-redaction bypassed on 20 November under EX-1 (valid: no finding), and on 5 December under EX-2
    // (expiring on 1 December: judged at now, a finding dated now).
    const lines = [
      { ts: '2026-11-20T12:00:00Z', type: 'guard.bypass', guard: 'pii-redaction', exception_id: 'EX-1', actor: 'alice', reason: 'support' },
      { ts: '2026-12-05T13:00:00Z', type: 'guard.bypass', guard: 'pii-redaction', exception_id: 'EX-2', actor: 'bob', reason: 'old' },
    ];

    // Act
    const [listed] = await askAt(NOW_29TH, lines, [['list_subjects', { kind: 'guard' }]]);

    // Assess
    expect(structured<{ subjects: SubjectRow[] }>(listed).subjects).toEqual([expect.objectContaining({ name: 'pii-redaction', last_run_at: '2026-11-20T12:00:00Z', last_status: null, findings_in_window: 1 })]);
  });

  it('a job\'s last_status is running while the run that started by now had not ended by then, though it ended later', async () => {
    // Prepare: nightly-backup runs 01:30:05 to 01:40:05 on 20 to 24 November; asked on the 24th at 01:35.
    const lines = [20, 21, 22, 23, 24].flatMap((day) => {
      const start = Date.UTC(2026, 10, day, 1, 30, 5);
      const runId = `nb-${day}`;
      return [
        { ts: new Date(start).toISOString(), type: 'run.start', job: 'nightly-backup', run_id: runId },
        { ts: new Date(start + 600_000).toISOString(), type: 'run.end', job: 'nightly-backup', run_id: runId, exit_code: 0, duration_ms: 600_000, output_bytes: 7000 },
      ];
    });

    // Act
    const [listed] = await askAt('2026-11-24T01:35:00Z', lines, [['list_subjects', { kind: 'job' }]]);

    // Assess
    expect(structured<{ subjects: SubjectRow[] }>(listed).subjects).toEqual([expect.objectContaining({ name: 'nightly-backup', last_run_at: '2026-11-24T01:30:05Z', last_status: 'running' })]);
  });

  it('an agent whose first run started by now and had not ended by then is running, not UNKNOWN with nothing seen', async () => {
    // Prepare: first-bot's first run starts at 09:00 on the 29th and ends at 11:00, after now (10:00); open-bot's starts at 09:30 and never ends.
    const lines = [
      { ts: '2026-11-29T09:00:00Z', type: 'agent.start', agent: 'first-bot', run_id: 'fb-1' },
      { ts: '2026-11-29T09:30:00Z', type: 'agent.start', agent: 'open-bot', run_id: 'ob-1' },
      { ts: '2026-11-29T11:00:00Z', type: 'agent.end', agent: 'first-bot', run_id: 'fb-1', status: 'ok' },
    ];

    // Act
    const [listed, status] = await askAt(NOW_29TH, lines, [['list_subjects', { kind: 'agent' }], ['subject_status', { subject: 'first-bot' }]]);

    // Assess
    const rows = structured<{ subjects: SubjectRow[] }>(listed).subjects;
    expect(rows.map((r) => [r.name, r.last_run_at, r.last_status])).toEqual([
      // fb-1 ran past its max runtime (1 h): reported run-unfinished at 10:00, now, as the report counts it.
      ['first-bot', '2026-11-29T09:00:00Z', 'unfinished'],
      ['open-bot', '2026-11-29T09:30:00Z', 'running'],
    ]);
    // UNKNOWN for too little history, not for nothing seen: its run going on was seen.
    for (const r of rows) expect(r.reason).toMatch(/^too little history: \d of 5 runs/);
    expect(structured<{ subject: SubjectRow }>(status).subject).toEqual(expect.objectContaining({ last_run_at: '2026-11-29T09:00:00Z', last_status: 'unfinished' }));
  });

  it('an agent\'s or job\'s history counts only the runs that had ended by now, none of those that came later', async () => {
    // Prepare: steady-bot and the job daily-export ran on 20 to 24 November, and on 1 to 3 December, after now (the 29th).
    const days = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-12-01', '2026-12-02', '2026-12-03'];
    const lines = days.flatMap((day, i) => [
      ...agentRun('steady-bot', `sb-${i}`, `${day}T08:00:00Z`),
      { ts: `${day}T06:00:00.000Z`, type: 'run.start', job: 'daily-export', run_id: `de-${i}` },
      { ts: `${day}T06:01:00.000Z`, type: 'run.end', job: 'daily-export', run_id: `de-${i}`, exit_code: 0, duration_ms: 60_000, output_bytes: 900 },
    ]);

    // Act
    const [listed, agent] = await askAt(NOW_29TH, lines, [['list_subjects', {}], ['subject_status', { subject: 'steady-bot' }]]);

    // Assess
    expect(structured<{ subjects: SubjectRow[] }>(listed).subjects.map((r) => [r.kind, r.name, r.history, r.last_run_at, r.last_status])).toEqual([
      ['job', 'daily-export', 5, '2026-11-24T06:00:00Z', 'ok'],
      ['agent', 'steady-bot', 5, '2026-11-24T08:00:00Z', 'ok'],
    ]);
    expect(structured<{ subject: SubjectRow; baseline: { samples: number } }>(agent)).toMatchObject({ subject: { history: 5 }, baseline: { samples: 5 } });
  });
});
