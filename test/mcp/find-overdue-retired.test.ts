import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { createMonthlyReport } from '../../lambdas/core/report/monthly-report.ts';
import { readOnlyView } from '../../lambdas/mcp/audit-view.ts';
import { connectClient, structured } from './fixture-month.ts';

const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.parse('2026-07-01T02:00:00Z');
const iso = (t: number) => new Date(t).toISOString();

/** One delivery per start, through the ingest handler: each run of `jobs` started at `at` and ended healthy a minute later (run id `<job>-<n>`, n its start's index). */
async function ingestRuns(store: MemoryAuditStore, config: Config, starts: readonly number[], jobs: readonly string[]) {
  const sink = { publish: async () => {} };
  let id = 0;
  for (const [n, at] of starts.entries()) {
    const lines = jobs.flatMap((job) => [
      { type: 'run.start', job, run_id: `${job}-${n}`, ts: iso(at) },
      { type: 'run.end', job, run_id: `${job}-${n}`, exit_code: 0, output_bytes: 500, duration_ms: 60_000, ts: iso(at + 60_000) },
    ]);
    const handler = createIngestHandler(() => ({ store, sink, config, clock: { now: () => at + 61_000 } }), () => {});
    const logEvents = lines.map((line) => ({ id: String(++id), timestamp: Date.parse(line.ts), message: JSON.stringify(line) }));
    await handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents }));
  }
}

/** Ten daily runs at 02:00 from 1 July of `old-sync` (not in the config), of `nightly` (configured, no schedule) and of `others` (not in the config), then nothing. */
async function storeOfStoppedJobs(others: readonly string[] = []) {
  const store = new MemoryAuditStore();
  const config = validateConfig({ jobs: { nightly: { owner: 'ops@example.com' } } }, 'silent-audit.yaml', undefined, { now: T0 });
  await ingestRuns(store, config, Array.from({ length: 10 }, (_, day) => T0 + day * DAY), ['old-sync', 'nightly', ...others]);
  return { store, config };
}

async function overdueAt(now: number, args: Record<string, unknown> = {}, others: readonly string[] = []) {
  const { store, config } = await storeOfStoppedJobs(others);
  const mcp = await connectClient(readOnlyView({ store, config, clock: { now: () => now }, source: 'two stopped jobs' }));
  try {
    return structured<{ overdue: { subject: string }[]; retired: { subject: string; last_run_at: string }[]; retired_total: number; retired_truncated: boolean }>(await mcp.call('find_overdue', args));
  } finally {
    await mcp.close();
  }
}

describe('find_overdue for a job not in the config that stopped long ago (renamed, removed)', () => {
  it('lists it as retired with its last run, not overdue, once it has not run this month or the month before; a configured one stays overdue', async () => {
    // Act: 1 October, nothing of either since 10 July
    const result = await overdueAt(Date.parse('2026-10-01T12:00:00Z'));

    // Assess
    expect(result.overdue.map((o) => o.subject)).toEqual(['nightly']);
    expect(result.retired).toEqual([{ subject: 'old-sync', last_run_at: '2026-07-10T02:00:00Z' }]);
    expect(result.retired_total).toBe(1);
    expect(result.retired_truncated).toBe(false);
  });

  it('says its retired list was cut at the limit, as it says of its other lists', async () => {
    // Act: 1 October, old-sync and old-copy retired, limit 1
    const result = await overdueAt(Date.parse('2026-10-01T12:00:00Z'), { limit: 1 }, ['old-copy']);

    // Assess
    expect(result.retired).toHaveLength(1);
    expect(result.retired_total).toBe(2);
    expect(result.retired_truncated).toBe(true);
  });

  it('is not retired while a finding of it was made the month before, as the monthly report keeps it (UNKNOWN, its group unverified)', async () => {
    // Prepare: old-sync, last run 10 July, was reported on 1 September (its run-unfinished).
    const { store, config } = await storeOfStoppedJobs();
    const key = 'job#old-sync';
    const current = (await store.load([key])).get(key)!;
    const unfinished = { detector: 'run-unfinished' as const, subject: 'old-sync', subject_kind: 'job' as const, run_id: 'old-sync-9', ts: '2026-09-01T05:00:00Z', severity: 'high' as const, message: 'run unfinished', evidence: {} };
    expect(await store.commit({ key, expectedVersion: current.version, state: current.state, findings: [unfinished], records: [] })).toBe('committed');
    const mcp = await connectClient(readOnlyView({ store, config, clock: { now: () => Date.parse('2026-10-20T12:00:00Z') }, source: 'a job reported last month' }));

    // Act
    const result = structured<{ overdue: { subject: string }[]; retired: unknown[] }>(await mcp.call('find_overdue', {}));
    await mcp.close();

    // Assess
    expect(result.retired).toEqual([]);
    expect(result.overdue.map((o) => o.subject).sort()).toEqual(['nightly', 'old-sync']);
  });

  it('is not retired while its last run, started before the month before, ended in it, as the monthly report counts it seen then', async () => {
    // Prepare: old-sync's last run, of its usual minute, started on 31 August at 23:59:30 and ended on 1 September at 00:00:30, with no finding.
    const { store, config } = await storeOfStoppedJobs();
    const start = Date.parse('2026-08-31T23:59:30Z');
    const lines = [
      { type: 'run.start', job: 'old-sync', run_id: 'old-sync-late', ts: iso(start) },
      { type: 'run.end', job: 'old-sync', run_id: 'old-sync-late', exit_code: 0, output_bytes: 500, duration_ms: 60_000, ts: iso(start + 60_000) },
    ];
    const handler = createIngestHandler(() => ({ store, sink: { publish: async () => {} }, config, clock: { now: () => start + 61_000 } }), () => {});
    const logEvents = lines.map((line, i) => ({ id: `late-${i}`, timestamp: Date.parse(line.ts), message: JSON.stringify(line) }));
    await handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents }));
    const now = Date.parse('2026-10-20T12:00:00Z');
    const mcp = await connectClient(readOnlyView({ store, config, clock: { now: () => now }, source: 'a run that ended last month' }));
    const { report } = await createMonthlyReport('2026-10', { findings: store, runs: store, catalog: store, config, clock: { now: () => now } });

    // Act
    const result = structured<{ overdue: { subject: string }[]; retired: unknown[] }>(await mcp.call('find_overdue', {}));
    await mcp.close();

    // Assess: seen in September by its end, as the report's coverage reads it
    expect(report.coverage.retired).toEqual([]);
    expect(result.retired).toEqual([]);
    expect(result.overdue.map((o) => o.subject).sort()).toEqual(['nightly', 'old-sync']);
  });

  it('is still overdue while it ran in the month before', async () => {
    // Act: 20 August, its last run on 10 July
    const result = await overdueAt(Date.parse('2026-08-20T12:00:00Z'));

    // Assess
    expect(result.overdue.map((o) => o.subject).sort()).toEqual(['nightly', 'old-sync']);
    expect(result.retired).toEqual([]);
  });

  it('retires a job as the monthly report does, after 3 × its rhythm of silence, not after more than 3 missed starts', async () => {
    // Prepare: fortnightly (not in the config) ran every 14 days from 4 June to 13 August; on 2 October it has been
    // silent 50 days, over 3 × 14, with 3 starts missed (27 August, 10 and 24 September)
    const store = new MemoryAuditStore();
    const config = validateConfig({}, 'silent-audit.yaml', undefined, { now: T0 });
    await ingestRuns(store, config, [0, 1, 2, 3, 4, 5].map((run) => Date.parse('2026-06-04T02:00:00Z') + run * 14 * DAY), ['fortnightly']);
    const now = Date.parse('2026-10-02T12:00:00Z');
    const mcp = await connectClient(readOnlyView({ store, config, clock: { now: () => now }, source: 'a fortnightly job stopped' }));
    const { report } = await createMonthlyReport('2026-10', { findings: store, runs: store, catalog: store, config, clock: { now: () => now } });

    // Act
    const overdue = structured<{ overdue: { subject: string }[]; retired: { subject: string }[] }>(await mcp.call('find_overdue', {}));
    const listed = structured<{ counts: Record<string, number>; subjects: { name: string; status: string }[] }>(await mcp.call('list_subjects', {}));
    const status = structured<{ subject: { status: string; reason?: string } }>(await mcp.call('subject_status', { kind: 'job', subject: 'fortnightly' }));
    await mcp.close();

    // Assess: retired alike by the report and every MCP tool, not UNKNOWN
    expect(report.coverage.retired.map((r) => r.name)).toEqual(['fortnightly']);
    expect(overdue.retired.map((r) => r.subject)).toEqual(['fortnightly']);
    expect(overdue.overdue).toEqual([]);
    expect(listed.subjects).toEqual([expect.objectContaining({ name: 'fortnightly', status: 'RETIRED' })]);
    expect(listed.counts).toMatchObject({ RETIRED: 1, UNKNOWN: 0 });
    expect(status.subject.status).toBe('RETIRED');
    expect(status.subject.reason).toMatch(/retired \(not in the config, last seen 2026-08-13/);
  });
});

describe('list_subjects with a retired job in the store', () => {
  it('reads the findings once, its window and the month before in one query, not the month before again on every call', async () => {
    // Prepare: old-sync retired (last run 10 July); the store's queries counted
    const { store, config } = await storeOfStoppedJobs();
    const query = store.query.bind(store);
    const queries: string[] = [];
    store.query = (q) => {
      queries.push(`${q.from}..${q.to}`);
      return query(q);
    };
    const mcp = await connectClient(readOnlyView({ store, config, clock: { now: () => Date.parse('2026-10-20T12:00:00Z') }, source: 'a retired job' }));

    // Act
    const listed = structured<{ subjects: { name: string; status: string }[] }>(await mcp.call('list_subjects', {}));
    await mcp.close();

    // Assess: from September's start (the window's is 20 September) to now
    expect(listed.subjects.find((s) => s.name === 'old-sync')?.status).toBe('RETIRED');
    expect(queries).toEqual(['2026-09-01T00:00:00Z..2026-10-20T12:00:01Z']);
  });
});

describe('find_overdue, list_subjects and subject_status at a --now before a retired job came back', () => {
  it('retire it alike: its last sighting is cut at now, not its later runs', async () => {
    // Prepare: fortnightly (not in the config) ran every 14 days from 4 June to 13 August, then daily from 20 October (a schedule learned)
    const store = new MemoryAuditStore();
    const config = validateConfig({}, 'silent-audit.yaml', undefined, { now: T0 });
    const starts = [0, 1, 2, 3, 4, 5].map((run) => Date.parse('2026-06-04T02:00:00Z') + run * 14 * DAY);
    for (let d = 0; d < 60; d++) starts.push(Date.parse('2026-10-20T02:00:00Z') + d * DAY);
    await ingestRuns(store, config, starts, ['fortnightly']);
    const mcp = await connectClient(readOnlyView({ store, config, clock: { now: () => Date.parse('2026-10-02T12:00:00Z') }, source: 'a job that came back' }));

    // Act: on 2 October, silent 50 days (over 3 × 14) and before its return
    const overdue = structured<{ retired: { subject: string }[] }>(await mcp.call('find_overdue', {}));
    const listed = structured<{ subjects: { name: string; status: string }[] }>(await mcp.call('list_subjects', {}));
    const status = structured<{ subject: { status: string; reason?: string } }>(await mcp.call('subject_status', { kind: 'job', subject: 'fortnightly' }));
    await mcp.close();

    // Assess
    expect(overdue.retired.map((r) => r.subject)).toEqual(['fortnightly']);
    expect(listed.subjects).toEqual([expect.objectContaining({ name: 'fortnightly', status: 'RETIRED' })]);
    expect(status.subject.status).toBe('RETIRED');
    expect(status.subject.reason).toMatch(/last seen 2026-08-13/);
  });
});

describe('list_subjects and subject_status for an agent not in the config that now runs only under another', () => {
  it('is not retired by subject_status either: judged alone, it still sees the state of the agent it runs under', async () => {
    // Prepare: helper ran as a root daily in July; boss ran daily from 1 August to 31 October, calling helper until 15 September
    const store = new MemoryAuditStore();
    const config = validateConfig({}, 'silent-audit.yaml', undefined, { now: T0 });
    let id = 0;
    const feed = async (lines: Record<string, unknown>[], at: number) => {
      const handler = createIngestHandler(() => ({ store, sink: { publish: async () => {} }, config, clock: { now: () => at + H } }), () => {});
      const logEvents = lines.map((line) => ({ id: String(++id), timestamp: Date.parse(line.ts as string), message: JSON.stringify(line) }));
      await handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/agents', logStream: 's', subscriptionFilters: ['f'], logEvents }));
    };
    for (let d = 0; d < 30; d++) {
      const at = Date.parse('2026-07-01T10:00:00Z') + d * DAY;
      await feed([
        { type: 'agent.start', agent: 'helper', run_id: `h-${d}`, ts: iso(at) },
        { type: 'agent.end', agent: 'helper', run_id: `h-${d}`, status: 'ok', ts: iso(at + 60_000) },
      ], at);
    }
    for (let d = 0; d < 92; d++) {
      const at = Date.parse('2026-08-01T10:00:00Z') + d * DAY;
      const sub = at < Date.parse('2026-09-16T00:00:00Z') ? 'helper' : 'writer';
      await feed([
        { type: 'agent.start', agent: 'boss', run_id: `b-${d}`, ts: iso(at) },
        { type: 'agent.start', agent: sub, run_id: `b-${d}.0`, parent_run_id: `b-${d}`, ts: iso(at + 2000) },
        { type: 'agent.end', agent: sub, run_id: `b-${d}.0`, status: 'ok', ts: iso(at + 4000) },
        { type: 'agent.end', agent: 'boss', run_id: `b-${d}`, status: 'ok', ts: iso(at + 60_000) },
      ], at);
    }
    const mcp = await connectClient(readOnlyView({ store, config, clock: { now: () => Date.parse('2026-10-31T12:00:00Z') }, source: 'a sub-agent' }));

    // Act
    const listed = structured<{ subjects: { name: string; status: string }[] }>(await mcp.call('list_subjects', {}));
    const status = structured<{ subject: { status: string } }>(await mcp.call('subject_status', { kind: 'agent', subject: 'helper' }));
    await mcp.close();

    // Assess: boss's state shows helper may have run in its trees since September: not retired by either tool
    expect(listed.subjects.find((s) => s.name === 'helper')?.status).toBe('UNKNOWN');
    expect(status.subject.status).toBe('UNKNOWN');
  });
});
