import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { validateConfig } from '../../lambdas/config.ts';
import type { AgentState } from '../../lambdas/core/agent-reducer.ts';
import type { AgentRunState } from '../../lambdas/core/agent-run.ts';
import { sweepAgentRoots } from '../../lambdas/core/agent-sweep.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import { type Finding, findingKey, MAX_EVIDENCE_BYTES, MAX_MESSAGE_CHARS } from '../../lambdas/core/findings.ts';
import { ingestDelivery } from '../../lambdas/core/ingest.ts';
import { processBatch, type ReduceContext } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import type { RouteState } from '../../lambdas/core/route-reducer.ts';
import type { AlertSink, SubjectCommit } from '../../lambdas/ports.ts';
import { T0, acts, at, deepTree, end, mark, start } from '../core/agent-fixtures.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';

const CONFIG = validateConfig({ agents: { 'support-bot': { budget: { max_actions: 20 } } } });
const NOW = T0 + 3_600_000;
const ctx: ReduceContext = { config: CONFIG, clock: { now: () => NOW } };
const brief = (findings: readonly Finding[]) => findings.map((f) => `${f.detector} ${f.run_id ?? f.ts}`).sort();

function byRun(events: readonly AuditEvent[], runId: string): AuditEvent[] {
  return events.filter((e) => (e.body as unknown as { run_id: string }).run_id === runId);
}

/** `n` slices of a list, dealt round-robin, so every slice holds lines of every run. */
function deal<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((item, i) => out[i % n].push(item));
  return out;
}

describe('agent trees in DynamoDB Local, across concurrent invocations', () => {
  it('loses and doubles nothing when one tree comes in 8 concurrent batches, the root\'s end last', async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    const all = deepTree();
    const rootEnd = all.at(-1) as AuditEvent;
    // Act: 8 invocations at once, then the root's end; then all of it again (a redelivery).
    const concurrent = await Promise.all(deal(all.slice(0, -1), 8).map((batch) => processBatch(batch, REDUCERS, store, ctx)));
    const last = await processBatch([rootEnd], REDUCERS, store, ctx);
    const before = await store.load(['agentrun#r-1', 'agentrun#r-1.1', 'agent#support-bot']);
    const redelivered = await Promise.all(deal(all, 8).map((batch) => processBatch(batch, REDUCERS, store, ctx)));
    const after = await store.load(['agentrun#r-1', 'agentrun#r-1.1', 'agent#support-bot']);
    // Assess
    expect(concurrent.flatMap((r) => r.findings)).toEqual([]);
    expect(brief(last.findings)).toEqual(['budget-exceeded r-1', 'budget-undercount r-1', 'budget-undercount r-1.1']);
    expect(last.findings.find((f) => f.detector === 'budget-exceeded')?.evidence).toMatchObject({ actions: 27, cost_usd: 0.48, runs: 4 });
    const keys = ['agentrun#r-1', 'agentrun#r-1.1', 'agentrun#r-1.1.1', 'agentrun#r-1.2'];
    const runs = await store.load(keys);
    expect(keys.map((k) => (runs.get(k)?.state as AgentRunState).actions)).toEqual([8, 9, 6, 4]);
    expect((runs.get('agentrun#r-1')?.state as AgentRunState).children).toEqual(expect.arrayContaining(['r-1.1', 'r-1.2']));
    expect(concurrent.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThan(0);
    expect(redelivered.flatMap((r) => r.findings)).toEqual([]);
    expect(after).toEqual(before);
    expect(await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', detector: 'budget-exceeded' })).toHaveLength(1);
  });

  it("judges the tree exactly once even when the root's end races its children's lines", async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    // Act: everything at once, the root's end in one of the batches.
    const results = await Promise.all(deal(deepTree(), 6).map((batch) => processBatch(batch, REDUCERS, store, ctx)));
    // Assess: whichever invocation judged last saw the whole tree; each finding is stored once.
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    expect(brief(stored)).toEqual(['budget-exceeded r-1', 'budget-undercount r-1', 'budget-undercount r-1.1']);
    expect(brief(results.flatMap((r) => r.findings))).toEqual(brief(stored));
    const agent = (await store.load(['agent#support-bot'])).get('agent#support-bot')?.state as AgentState;
    expect(agent.history).toEqual([{ run_id: 'r-1', ended_at: T0 + 34_000, started_at: T0, cost_usd: 0.48 }]);
  });

  it('walks the tree past a warm container\'s state cache, which may hold runs another container has since written', async () => {
    // Prepare: two Lambda containers with state caches, on one table.
    const { client, table } = await freshDynamoStore();
    const cachedA = new DynamoAuditStore(client, table, { stateCacheSize: 100 });
    const b = new DynamoAuditStore(client, table, { stateCacheSize: 100 });
    const all = deepTree();
    const of = (runId: string) => byRun(all, runId);
    const [rootStart, ...rootRest] = of('r-1');
    const researcher = of('r-1.1');
    // Act: B caches the researcher with 4 actions; A then adds the rest of the tree; B ends the root.
    await processBatch([rootStart, ...rootRest.slice(0, 4)], REDUCERS, cachedA, ctx);
    await processBatch(researcher.slice(0, 5), REDUCERS, b, ctx);
    await processBatch([...researcher.slice(5), ...of('r-1.1.1'), ...of('r-1.2'), ...rootRest.slice(4, -1)], REDUCERS, cachedA, ctx);
    const last = await processBatch(rootRest.slice(-1), REDUCERS, b, ctx);
    // Assess
    expect(brief(last.findings)).toEqual(['budget-exceeded r-1', 'budget-undercount r-1', 'budget-undercount r-1.1']);
    expect(last.findings.find((f) => f.detector === 'budget-exceeded')?.evidence).toMatchObject({ actions: 27, runs: 4 });
  });

  it("keeps a root open when a late sub-agent's open marker lands between another invocation's read of the ended root and its judgement", async () => {
    // Prepare: root r-9 began in an earlier batch; invocation A brings its end alone, and is held just before it commits
    // the agent's state (its tree stage read r-9 ended, with no children); W starts sub-agent r-9.1 under r-9 meanwhile.
    const { client, table } = await freshDynamoStore();
    const container = () => new DynamoAuditStore(client, table);
    await processBatch([start(0, 'support-bot', 'r-9'), ...acts(3, 1, 'support-bot', 'r-9')], REDUCERS, container(), ctx);
    const a = container();
    let held!: () => void;
    let release!: () => void;
    const reachedCommit = new Promise<void>((r) => (held = r));
    const gate = new Promise<void>((r) => (release = r));
    let holding = true;
    const holdsAgentCommit = Object.assign(Object.create(a), {
      async commit(change: SubjectCommit) {
        if (holding && change.key === 'agent#support-bot') {
          holding = false;
          held();
          await gate;
        }
        return a.commit(change);
      },
    });
    // Act
    const ending = processBatch([end(10, 'support-bot', 'r-9')], REDUCERS, holdsAgentCommit, ctx);
    await reachedCommit;
    await processBatch([start(11, 'researcher', 'r-9.1', { parent_run_id: 'r-9' }), ...acts(2, 12, 'researcher', 'r-9.1')], REDUCERS, container(), ctx);
    release();
    await ending;
    const agent = (await container().loadCurrent(['agent#support-bot'])).get('agent#support-bot')?.state as AgentState;
    const swept = await sweepAgentRoots(container(), { config: CONFIG, clock: { now: () => T0 + 48 * 3_600_000 } });
    await processBatch([end(20, 'researcher', 'r-9.1')], REDUCERS, container(), ctx);
    const ended = (await container().loadCurrent(['agent#support-bot'])).get('agent#support-bot')?.state as AgentState;
    // Assess: as in either order one after the other, r-9 stays open (its sub-agent never ended) and the sweep reports it;
    // once the sub-agent ends, the whole tree is judged and the root leaves the open list.
    expect(agent.open.map((o) => o.run_id)).toEqual(['r-9']);
    expect(agent.history).toEqual([]);
    expect(brief(swept.findings)).toEqual(['run-unfinished r-9']);
    expect(ended.open).toEqual([]);
    expect(ended.history.map((h) => h.run_id)).toEqual(['r-9']);
    expect(ended.roots).toBe(1);
  });

  it('reads a run that starts in the batch once (the tree stage), one begun before twice; a redelivered start is read after its conflict, nothing doubled', async () => {
    // Prepare: a client that notes every state key it reads, per batch
    const { client, store } = await freshDynamoStore();
    let reads: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if ((context as { commandName?: string }).commandName === 'BatchGetItemCommand') {
          // The document client's keys: plain strings, or attribute values once marshalled.
          const input = args.input as { RequestItems: Record<string, { Keys: Array<{ pk: string | { S: string } }> }> };
          for (const table of Object.values(input.RequestItems)) for (const { pk } of table.Keys) reads.push((typeof pk === 'string' ? pk : pk.S).replace(/^STATE#/, ''));
        }
        return next(args);
      },
      { step: 'initialize', name: 'noteReads' },
    );
    const count = (key: string) => reads.filter((k) => k === key).length;
    const first = [start(0, 'support-bot', 'r-1'), ...acts(3, 1, 'support-bot', 'r-1'), start(5, 'support-bot', 'r-2'), ...acts(2, 6, 'support-bot', 'r-2'), end(9, 'support-bot', 'r-1')];
    const second = [...acts(2, 20, 'support-bot', 'r-2'), end(30, 'support-bot', 'r-2')];
    // Act
    const a = await processBatch(first, REDUCERS, store, ctx);
    const readsOfFirst = reads;
    reads = [];
    const b = await processBatch(second, REDUCERS, store, ctx);
    const readsOfSecond = reads;
    reads = [];
    const again = await processBatch(first, REDUCERS, store, ctx);
    // Assess: in the batch that starts them, each run is read once, by the tree stage after the commit
    reads = readsOfFirst;
    expect([count('agentrun#r-1'), count('agentrun#r-2')]).toEqual([1, 1]);
    expect(a.conflicts).toBe(0);
    // r-2 began in the first batch: read before its fold and again by the tree stage
    reads = readsOfSecond;
    expect(count('agentrun#r-2')).toBe(2);
    expect(b.conflicts).toBe(0);
    // The first batch again: its starts were presumed new, wrongly; the writes conflicted, the runs were read, nothing changed
    expect(again.conflicts).toBeGreaterThan(0);
    expect(again.findings).toEqual([]);
    const runs = await store.load(['agentrun#r-1', 'agentrun#r-2']);
    expect(['agentrun#r-1', 'agentrun#r-2'].map((k) => [(runs.get(k)?.state as AgentRunState).actions, runs.get(k)?.version])).toEqual([
      [3, 1],
      [4, 2],
    ]);
  });

  it('writes per-run aggregates with a TTL, and the sweep judges a root that never ended', async () => {
    // Prepare
    const { store, client, table } = await freshDynamoStore();
    await processBatch([start(0, 'support-bot', 'r-40'), ...acts(22, 1, 'support-bot', 'r-40')], REDUCERS, store, ctx);
    // Act
    const item = await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: table, Key: { pk: 'STATE#agentrun#r-40', sk: 'STATE' } }));
    const agentItem = await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: table, Key: { pk: 'STATE#agent#support-bot', sk: 'STATE' } }));
    const swept = await sweepAgentRoots(store, { config: CONFIG, clock: { now: () => T0 + 2 * 3_600_000 } });
    // Assess
    expect(item.Item?.ttl).toBe(Math.floor((NOW + 30 * 86_400_000) / 1000));
    expect(agentItem.Item?.ttl).toBeUndefined();
    expect(swept.findings.map((f) => [f.detector, f.run_id, f.message])).toEqual([
      ['budget-exceeded', 'r-40', 'run r-40 used 22 actions, over its budget of 20 actions per task; top: support-bot r-40 with 22, llm_call ×22'],
      ['run-unfinished', 'r-40', 'run r-40 started 2026-10-05T10:00:00Z has logged no end after 2.0 h (max runtime 1.0 h, default 1 h)'],
    ]);
  });

  it('judges a sub-agent whose parent never started on its own, and once the parent comes after all, its whole tree without a second finding', async () => {
    // Prepare: researcher r-61 (its own budget of 5) names r-60, whose lines come an hour late.
    const { store } = await freshDynamoStore();
    const orphan = [start(0, 'researcher', 'r-61', { parent_run_id: 'r-60', budget: { max_actions: 5 } }), ...acts(8, 1, 'researcher', 'r-61'), end(10, 'researcher', 'r-61')];
    const parent = [start(-5, 'support-bot', 'r-60'), ...acts(15, 20, 'support-bot', 'r-60'), end(40, 'support-bot', 'r-60')];
    const at = (minutes: number): ReduceContext => ({ config: CONFIG, clock: { now: () => T0 + minutes * 60_000 } });
    await processBatch(orphan, REDUCERS, store, at(1));
    // Act: the sweep twice (a redelivery of the sweep), the parent's lines in 3 concurrent deliveries, then all of them again.
    const alone = await Promise.all([sweepAgentRoots(store, at(30)), sweepAgentRoots(store, at(30))]);
    const whole = await Promise.all(deal(parent, 3).map((batch) => processBatch(batch, REDUCERS, store, at(60))));
    const again = await Promise.all(deal([...orphan, ...parent], 3).map((batch) => processBatch(batch, REDUCERS, store, at(61))));
    const later = await sweepAgentRoots(store, at(120));
    // Assess
    expect(brief(alone.flatMap((r) => r.findings))).toEqual(['budget-exceeded r-61']);
    expect(alone.flatMap((r) => r.findings)[0].evidence).toMatchObject({ parent_run_id: 'r-60', parent_seen: false });
    expect(brief(whole.flatMap((r) => r.findings))).toEqual(['budget-exceeded r-60']);
    expect([...again.flatMap((r) => r.findings), ...later.findings]).toEqual([]);
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', detector: 'budget-exceeded' });
    expect(stored.map((f) => `${f.subject} ${f.run_id}`).sort()).toEqual(['researcher r-61', 'support-bot r-60']);
    const runs = await store.load(['agentrun#r-61', 'agent#researcher']);
    // Noted as one string of 8-character marks: here one.
    expect((runs.get('agentrun#r-61')?.state as AgentRunState).judged_alone).toBe(mark('budget-exceeded', 'r-61'));
    expect((runs.get('agent#researcher')?.state as AgentState).open).toEqual([]);
  });
});

const FIXTURE = fileURLToPath(new URL('../fixtures/agents/support-bot.jsonl', import.meta.url));
let nextEventId = 1n;

/** A CloudWatch Logs subscription delivery of some lines, exactly as CloudWatch sends it. */
function delivery(lines: readonly string[]) {
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/lambda/support-bot',
    logStream: '2026/10/01/[$LATEST]0123456789abcdef',
    subscriptionFilters: ['silent-audit-ingest'],
    logEvents: lines.map((message) => {
      const ts = /"ts":"([^"]+)"/.exec(message)?.[1] as string;
      return { id: String(37_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + nextEventId++), timestamp: Date.parse(ts), message };
    }),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } };
}

describe('the CLI scan and the deployed pipeline give the same answers', () => {
  it('scanning the agent fixture and ingesting its lines in deliveries of 25 find the same findings', async () => {
    // Prepare
    const lines = readFileSync(FIXTURE, 'utf8').trimEnd().split('\n');
    const now = Date.parse('2026-10-08T00:00:00Z');
    const out = new PassThrough();
    const err = new PassThrough();
    const sent: Finding[] = [];
    const sink: AlertSink = { publish: async (f) => void sent.push(f) };
    const { store } = await freshDynamoStore({ clock: () => now });
    // Act
    const scan = await runScan({ paths: [FIXTURE], config: CONFIG, json: true, stdout: out, stderr: err, now });
    const reports = [];
    for (let i = 0; i < lines.length; i += 25) reports.push(await ingestDelivery(delivery(lines.slice(i, i + 25)), { store, sink, config: CONFIG, clock: { now: () => now } }));
    // Assess
    const byKey = (fs: readonly Finding[]) => [...fs].sort((a, b) => findingKey(a).localeCompare(findingKey(b)));
    const piped = reports.flatMap((r) => r.findings);
    expect(reports.every((r) => r.counts.rejected === 0 && r.counts.unrecognised === 0)).toBe(true);
    // the same findings, each naming where its lines came from: the file, or the log group (ad12984)
    const judged = (fs: readonly Finding[]) => byKey(fs).map(({ source: _source, ...finding }) => finding);
    expect(judged(piped)).toEqual(judged(scan.findings));
    // every one, those judged from an agent's run tree (budget-*) too: the tree names where its runs' lines were read
    expect(scan.findings.map((f) => f.source)).toEqual(scan.findings.map(() => ({ file: FIXTURE })));
    expect(piped.map((f) => f.source?.log_group)).toEqual(piped.map(() => '/aws/lambda/support-bot'));
    expect(scan.findings.map((f) => `${f.detector} ${f.subject} ${f.run_id ?? f.ts}`)).toEqual([
      'budget-undercount support-bot sb-106.r1',
      'tool-arg-invalid escalate_to_human sb-106',
      'budget-exceeded support-bot sb-106',
      'budget-undercount support-bot sb-106',
      'cost-outlier support-bot sb-106',
      'retry-rate search-api 2026-10-07T10:15:00Z',
      'retry-rate search-api 2026-10-07T11:00:00Z',
    ]);
    expect(scan.findings.find((f) => f.detector === 'cost-outlier')?.message).toBe('run sb-106 cost $0.60 across 3 runs, 6.7× the median $0.089 of the previous 5 runs');
    expect(await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })).toHaveLength(7);
    expect(sent.length).toBeGreaterThan(0);
    // And the route's state in DynamoDB holds every request once.
    const route = (await store.load(['route#search-api'])).get('route#search-api')?.state as RouteState;
    expect(route.totals).toEqual({ requests: 101, retried: 11, failed: 0, attempts: 112 });
  });

  it('counts every request of a route once when its lines come through concurrent invocations', async () => {
    // Prepare: the quarter hour's attempts in 6 deliveries of 2½ minutes each, as CloudWatch sends a
    // stream, all processed at once; then the line that moves the route's time on.
    const lines = readFileSync(FIXTURE, 'utf8').trimEnd().split('\n').filter((l) => l.includes('"attempt"'));
    const now = Date.parse('2026-10-08T00:00:00Z');
    const { store } = await freshDynamoStore({ clock: () => now });
    const deps = { store, sink: { publish: async () => undefined }, config: CONFIG, clock: { now: () => now } };
    const quarter = lines.slice(0, -1);
    const slices = Array.from({ length: 6 }, (_, i) => quarter.slice(Math.round((i * quarter.length) / 6), Math.round(((i + 1) * quarter.length) / 6)));
    // Act
    const first = await Promise.all(slices.map((batch) => ingestDelivery(delivery(batch), deps)));
    const last = await ingestDelivery(delivery(lines.slice(-1)), deps);
    // Assess
    expect(first.flatMap((r) => r.findings)).toEqual([]);
    expect(first.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThan(0);
    expect(last.findings.map((f) => f.message)).toEqual([
      '11% of 100 requests to search-api needed a retry in the hour to 2026-10-07T10:15:00Z (limit 10%)',
      '11% of 100 requests to search-api needed a retry in the 24 h to 2026-10-07T11:00:00Z (limit 10%)',
    ]);
    // Every request once and every retry seen, whatever order the invocations committed in.
    const route = (await store.load(['route#search-api'])).get('route#search-api')?.state as RouteState;
    expect(route.totals).toMatchObject({ requests: 101, retried: 11 });
  });

  it('stores a finding whose evidence would be huge (20 bad arguments with very long names) with its evidence cut to the limit, and the rest of the delivery with it', async () => {
    // Prepare
    const now = Date.parse('2026-10-08T00:00:00Z');
    const ts = '2026-10-07T23:58:00Z';
    const args = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`${String(i).padStart(2, '0')}${'x'.repeat(3000)}_id`, 'TBD']));
    const lines = [
      JSON.stringify({ type: 'tool.call', ts, tool: 'lookup_customer', agent: 'support-bot', run_id: 'a1', args }),
      JSON.stringify({ type: 'run.start', ts, job: 'nightly-backup', run_id: 'r1' }),
      JSON.stringify({ type: 'run.end', ts, job: 'nightly-backup', run_id: 'r1', exit_code: 0, output_bytes: 0 }),
    ];
    const { store } = await freshDynamoStore({ clock: () => now });

    // Act
    const report = await ingestDelivery(delivery(lines), { store, sink: { publish: async () => {} }, config: CONFIG, clock: { now: () => now } });

    // Assess
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    const tool = stored.find((f) => f.detector === 'tool-arg-invalid');
    expect(report.counts.rejected).toBe(0);
    expect(stored.map((f) => f.detector).sort()).toEqual(['empty-output', 'tool-arg-invalid']);
    expect(tool?.evidence).toMatchObject({ errors_total: 20, placeholders: 20, agent: 'support-bot' });
    expect(tool?.evidence.evidence_truncated).toMatch(/bytes of JSON, over the 65536-byte limit/);
    expect(Buffer.byteLength(JSON.stringify(tool?.evidence))).toBeLessThanOrEqual(MAX_EVIDENCE_BYTES);
  });

  it('stores a delivery of 30 bad tool calls whose argument name is 144 KB (findings of 4 MB in all, past a transaction), each finding with its message cut', async () => {
    // Prepare: lines under the 256 KiB limit, each a tool-arg-invalid finding whose message names the argument
    const argName = `${'customer'.repeat(18_000)}_id`;
    const events = Array.from({ length: 30 }, (_, i) =>
      at(i, { type: 'tool.call', tool: 'crm.update', agent: 'support-bot', run_id: `r-${i}`, args: { [argName]: 'TBD' } }),
    );
    const { store } = await freshDynamoStore({ clock: () => NOW });

    // Act
    const result = await processBatch(events, REDUCERS, store, ctx);

    // Assess
    const stored = await store.query({ from: new Date(T0 - 86_400_000).toISOString(), to: new Date(NOW + 86_400_000).toISOString(), detector: 'tool-arg-invalid' });
    expect(result.findings).toHaveLength(30);
    expect(stored).toHaveLength(30);
    for (const f of stored) {
      expect(f.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
      expect(f.message).toMatch(/^crm\.update: customercustomer.*characters cut.*customer_id/);
    }
  });
});
