import { describe, expect, it, vi } from 'vitest';
import { stateData } from '../../lambdas/adapters/dynamodb-store.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { createHash } from 'node:crypto';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import { agentIndexReducer, agentTreeReducer, type AgentState, costHistoryFor, MAX_FIRED_KEPT } from '../../lambdas/core/agent-reducer.ts';
import { type AgentRunState, applyAgentRunEvents, firedMarks, initialAgentRun } from '../../lambdas/core/agent-run.ts';
import { treeEvent } from '../../lambdas/core/agent-tree-loader.ts';
import type { TreeSnapshot } from '../../lambdas/core/agent-tree.ts';
import { sweepAgentRoots } from '../../lambdas/core/agent-sweep.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { deepFreeze } from '../../lambdas/core/frozen-state.ts';
import { processBatch, type ReduceContext } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import type { LoadOptions } from '../../lambdas/ports.ts';
import { T0, act, acts, aggregate, deepTree, end, mark, start, treeOf } from './agent-fixtures.ts';

const CONFIG = validateConfig({ agents: { 'support-bot': { budget: { max_actions: 20 } } } });

function ctxAt(now: number, config: Config = CONFIG): ReduceContext {
  return { config, clock: { now: () => now } };
}

/** Feeds batches one after the other through the whole pipeline (every reducer) into one store. */
async function feed(batches: readonly (readonly AuditEvent[])[], store = new MemoryAuditStore(), ctx = ctxAt(T0 + 3_600_000)) {
  const findings: Finding[] = [];
  for (const batch of batches) findings.push(...(await processBatch(batch, REDUCERS, store, ctx)).findings);
  return { store, findings };
}

const brief = (findings: readonly Finding[]) => findings.map((f) => `${f.detector} ${f.run_id} ${f.message}`);

/** What the deep tree gives with the support-bot budget of 20, all lines in. */
const DEEP_FINDINGS = [
  'budget-undercount r-1.1 sub-agent researcher (run r-1.1, under r-1) reported 9 actions but its tree shows 15 (9 own, 6 in 1 sub-agent run): 6 went uncounted',
  'budget-exceeded r-1 run r-1 used 27 actions across 4 runs, over its budget of 20 actions per task; top: researcher r-1.1 with 9, support-bot r-1 with 8, llm_call ×18',
  'budget-undercount r-1 run r-1 reported 8 actions but its tree shows 27 (8 own, 19 in 3 sub-agent runs): 19 went uncounted',
];

function byRun(events: readonly AuditEvent[], runId: string): AuditEvent[] {
  return events.filter((e) => (e.body as unknown as { run_id: string }).run_id === runId);
}

/** A small deterministic shuffle (mulberry32), so a failing order can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('agent trees through the pipeline', () => {
  it('judges a tree three levels deep when its root ends', async () => {
    // Act
    const { findings, store } = await feed([deepTree()]);
    // Assess
    expect(brief(findings)).toEqual(DEEP_FINDINGS);
    expect(findings.every((f) => f.subject === 'support-bot' && f.subject_kind === 'agent')).toBe(true);
    const agent = (await store.load(['agent#support-bot'])).get('agent#support-bot')?.state as AgentState;
    expect(agent.history).toEqual([{ run_id: 'r-1', ended_at: T0 + 34_000, started_at: T0, cost_usd: 0.48 }]);
    expect(agent.open).toEqual([]);
    expect(await store.runs('agent#support-bot', '2026-10-01', '2026-11-01')).toEqual([
      { subject: 'support-bot', subject_kind: 'agent', run_id: 'r-1', ts: '2026-10-05T10:00:34Z', status: 'ok', duration_ms: 34_000 },
    ]);
  });

  it('gives the same findings when each run comes in its own batch, children first, actions before their starts', async () => {
    // Prepare
    const all = deepTree();
    const checkerActions = byRun(all, 'r-1.1.1').filter((e) => e.body.type === 'agent.action');
    const batches = [checkerActions, byRun(all, 'r-1.1'), byRun(all, 'r-1.1.1').filter((e) => e.body.type !== 'agent.action'), byRun(all, 'r-1.2'), byRun(all, 'r-1')];
    // Act
    const { findings } = await feed(batches);
    // Assess
    expect(brief(findings)).toEqual(DEEP_FINDINGS);
  });

  it("judges a root whose end came first as it stands, then again when its children's lines come late: only new findings", async () => {
    // Prepare
    const all = deepTree();
    const rootOnly = byRun(all, 'r-1');
    const children = all.filter((e) => !rootOnly.includes(e));
    // Act
    const first = await feed([rootOnly]);
    const late = await feed([children], first.store);
    const again = await feed([children, rootOnly, [act(40, 'support-bot', 'r-1', { cost_usd: 0.02 })]], first.store);
    // Assess
    expect(first.findings).toEqual([]);
    expect(brief(late.findings)).toEqual(DEEP_FINDINGS);
    expect(again.findings).toEqual([]);
    const agent = (await first.store.load(['agent#support-bot'])).get('agent#support-bot')?.state as AgentState;
    expect(agent.judged).toEqual([{ run_id: 'r-1', facts: 39, phase: 'ended', fired: [mark('budget-exceeded', 'r-1'), mark('budget-undercount', 'r-1'), mark('budget-undercount', 'r-1.1')] }]);
    expect(agent.roots).toBe(1);
    expect(agent.history).toEqual([{ run_id: 'r-1', ended_at: T0 + 34_000, started_at: T0, cost_usd: 0.5 }]);
  });

  it('waits for a sub-agent it knows of to end before judging the tree', async () => {
    // Prepare: the researcher's end is held back.
    const all = deepTree();
    const researcherEnd = all.find((e) => e.body.type === 'agent.end' && (e.body as { run_id: string }).run_id === 'r-1.1') as AuditEvent;
    // Act
    const held = await feed([all.filter((e) => e !== researcherEnd)]);
    const agentBefore = (await held.store.load(['agent#support-bot'])).get('agent#support-bot')?.state as AgentState;
    const done = await feed([[researcherEnd]], held.store);
    // Assess
    expect(held.findings).toEqual([]);
    // The root ended with its sub-agent not: the facts of that view are noted, so an older view of it ended does not close it.
    expect(agentBefore.open).toEqual([{ run_id: 'r-1', started_at: T0, facts: 37 }]);
    expect(brief(done.findings)).toEqual(DEEP_FINDINGS);
  });

  it('changes nothing when every batch is delivered again', async () => {
    // Prepare
    const all = deepTree();
    const batches = [all.slice(0, 10), all.slice(10, 25), all.slice(25)];
    const { store } = await feed(batches);
    const before = store.snapshot().states;
    // Act
    const { findings } = await feed(batches, store);
    // Assess
    expect(findings).toEqual([]);
    expect(store.snapshot().states).toEqual(before);
  });

  it.each([1, 2, 3, 4, 5, 6])('reports the same problems whatever the order of the batches (shuffle %i)', async (seed) => {
    // Prepare: 8 batches of 4 lines, in a shuffled order.
    const all = deepTree();
    const batches = Array.from({ length: Math.ceil(all.length / 4) }, (_, i) => all.slice(i * 4, i * 4 + 4));
    // Act
    const { findings } = await feed(shuffled(batches, seed));
    // Assess
    expect(findings.map((f) => `${f.detector} ${f.run_id}`).sort()).toEqual(['budget-exceeded r-1', 'budget-undercount r-1', 'budget-undercount r-1.1']);
    const exceeded = findings.find((f) => f.detector === 'budget-exceeded') as Finding;
    expect(exceeded.evidence.actions).toBeGreaterThan(20);
  });

  it("flags a root run that cost 8× the median of the agent's previous root runs, and keeps it out of the baseline", async () => {
    // Prepare: 5 normal runs of $0.10 (2 calls of $0.05), then one of $0.80, then a normal one.
    const runOf = (n: number, calls: number) => {
      const t = n * 100;
      return [start(t, 'triage-bot', `t-${n}`), ...acts(calls, t + 1, 'triage-bot', `t-${n}`, { cost_usd: 0.05 }), end(t + 50, 'triage-bot', `t-${n}`)];
    };
    // Act
    const normal = await feed([1, 2, 3, 4, 5].map((n) => runOf(n, 2)));
    const spike = await feed([runOf(6, 16)], normal.store);
    const after = await feed([runOf(7, 3)], normal.store);
    // Assess
    expect(normal.findings).toEqual([]);
    expect(brief(spike.findings)).toEqual(['cost-outlier t-6 run t-6 cost $0.80, 8× the median $0.10 of the previous 5 runs']);
    expect(after.findings).toEqual([]);
    const agent = (await normal.store.load(['agent#triage-bot'])).get('agent#triage-bot')?.state as AgentState;
    expect(agent.history.map((h) => [h.run_id, h.cost_usd, h.outlier])).toEqual([
      ['t-1', 0.1, undefined],
      ['t-2', 0.1, undefined],
      ['t-3', 0.1, undefined],
      ['t-4', 0.1, undefined],
      ['t-5', 0.1, undefined],
      ['t-6', 0.8, true],
      ['t-7', 0.15, undefined],
    ]);
  });
});

describe('runs the batch begins', () => {
  it('are presumed absent when the store is asked for state: a run whose start is in the batch, not a parent its sub-agent names', async () => {
    // Prepare: a store that notes what each load presumes absent; the parent r-1 started in an earlier batch
    class NotingStore extends MemoryAuditStore {
      readonly presumed: string[][] = [];
      override load(keys: readonly string[], options?: LoadOptions) {
        this.presumed.push([...(options?.presumedAbsent ?? [])].sort());
        return super.load(keys);
      }
    }
    const store = new NotingStore();
    await processBatch([start(0, 'support-bot', 'r-1')], REDUCERS, store, ctxAt(T0 + 60_000));
    store.presumed.length = 0;
    // Act: a sub-agent starts, acts and ends under r-1, and r-1 acts
    await processBatch([start(10, 'researcher', 'r-1.1', { parent_run_id: 'r-1' }), ...acts(2, 11, 'researcher', 'r-1.1'), end(20, 'researcher', 'r-1.1'), act(21, 'support-bot', 'r-1')], REDUCERS, store, ctxAt(T0 + 60_000));
    // Assess: the batch's first load presumes only r-1.1 absent; r-1 is read
    expect(store.presumed[0]).toEqual(['agentrun#r-1.1']);
    const runs = await store.load(['agentrun#r-1', 'agentrun#r-1.1']);
    expect((runs.get('agentrun#r-1')?.state as { children: string[] }).children).toEqual(['r-1.1']);
    expect((runs.get('agentrun#r-1.1')?.state as { actions: number }).actions).toBe(2);
  });
});

describe('the sweep hook for roots that never end', () => {
  const runaway = [start(0, 'support-bot', 'r-20'), ...acts(25, 1, 'support-bot', 'r-20')];

  it('judges a root whose tree went quiet an hour ago, once', async () => {
    // Prepare
    const { store, findings } = await feed([runaway]);
    // Act
    const late = await sweepAgentRoots(store, ctxAt(T0 + 2 * 3_600_000));
    const again = await sweepAgentRoots(store, ctxAt(T0 + 3 * 3_600_000));
    // Assess
    expect(findings).toEqual([]);
    expect(brief(late.findings)).toEqual([
      'budget-exceeded r-20 run r-20 used 25 actions, over its budget of 20 actions per task; top: support-bot r-20 with 25, llm_call ×25',
      'run-unfinished r-20 run r-20 started 2026-10-05T10:00:00Z has logged no end after 2.0 h (max runtime 1.0 h, default 1 h)',
    ]);
    expect(late.findings[0].ts).toBe('2026-10-05T10:00:25Z');
    expect(again.findings).toEqual([]);
  });

  it('reports its budget while it runs, before it goes quiet, and not again once stale', async () => {
    // Prepare
    const { store } = await feed([runaway]);
    // Act
    const early = await sweepAgentRoots(store, ctxAt(T0 + 30 * 60_000));
    const late = await sweepAgentRoots(store, ctxAt(T0 + 2 * 3_600_000));
    // Assess
    expect(brief(early.findings)).toEqual([
      'budget-exceeded r-20 run r-20 used 25 actions so far, over its budget of 20 actions per task; it has not ended yet; top: support-bot r-20 with 25, llm_call ×25',
    ]);
    expect(brief(late.findings)).toEqual(['run-unfinished r-20 run r-20 started 2026-10-05T10:00:00Z has logged no end after 2.0 h (max runtime 1.0 h, default 1 h)']);
  });

  it('judges the root again when it finally ends, without repeating what it found', async () => {
    const { store } = await feed([runaway]);
    await sweepAgentRoots(store, ctxAt(T0 + 2 * 3_600_000));
    const ended = await feed([[end(7300, 'support-bot', 'r-20', { actions_reported: 10 })]], store);
    expect(brief(ended.findings)).toEqual(['budget-undercount r-20 run r-20 reported 10 actions but its tree shows 25: 15 went uncounted']);
    const agent = (await store.load(['agent#support-bot'])).get('agent#support-bot')?.state as AgentState;
    expect(agent.open).toEqual([]);
  });

  it('judges a root whose parent was only guessed (OpenTelemetry) once it has settled, unless the parent turns out to be an agent', async () => {
    // Prepare: r-30's parent span "http-1" is not an agent; r-31's parent "r-32" is one, whose line comes later.
    const guessed = (runId: string, parent: string) => ({ parent_run_id: parent, parent_tentative: true });
    const lonely = [start(0, 'support-bot', 'r-30', guessed('r-30', 'http-1')), ...acts(21, 1, 'support-bot', 'r-30'), end(30, 'support-bot', 'r-30')];
    const child = [start(0, 'researcher', 'r-31', guessed('r-31', 'r-32')), ...acts(2, 1, 'researcher', 'r-31'), end(5, 'researcher', 'r-31')];
    const parent = [start(0, 'support-bot', 'r-32'), ...acts(19, 6, 'support-bot', 'r-32'), end(40, 'support-bot', 'r-32')];
    // Act
    const ingest = await feed([lonely, child]);
    const settled = await sweepAgentRoots(ingest.store, ctxAt(T0 + 10 * 60_000));
    const withParent = await feed([parent], ingest.store);
    const later = await sweepAgentRoots(ingest.store, ctxAt(T0 + 20 * 60_000));
    // Assess
    expect(ingest.findings).toEqual([]);
    expect(brief(settled.findings)).toEqual([
      'budget-exceeded r-30 run r-30 used 21 actions, over its budget of 20 actions per task; top: support-bot r-30 with 21, llm_call ×21',
    ]);
    expect(brief(withParent.findings)).toEqual([
      'budget-exceeded r-32 run r-32 used 21 actions across 2 runs, over its budget of 20 actions per task; top: support-bot r-32 with 19, researcher r-31 with 2, llm_call ×21',
    ]);
    expect(later.findings).toEqual([]);
  });
  it('judges a root whose parent was only guessed again when a late sub-agent reaches it after the sweep judged it', async () => {
    // Prepare: r-40 (parent span "http-2", not an agent) ends within its budget and is judged by the sweep.
    const guessed = { parent_run_id: 'http-2', parent_tentative: true };
    const root = [start(0, 'support-bot', 'r-40', guessed), ...acts(15, 1, 'support-bot', 'r-40'), end(20, 'support-bot', 'r-40', guessed)];
    const lateChild = [start(21, 'researcher', 'r-41', { parent_run_id: 'r-40' }), ...acts(10, 22, 'researcher', 'r-41'), end(40, 'researcher', 'r-41')];
    const ingest = await feed([root], new MemoryAuditStore(), ctxAt(T0 + 60_000));
    const settled = await sweepAgentRoots(ingest.store, ctxAt(T0 + 10 * 60_000));
    // Act
    const late = await feed([lateChild], ingest.store, ctxAt(T0 + 12 * 60_000));
    const again = await sweepAgentRoots(ingest.store, ctxAt(T0 + 20 * 60_000));
    const repeat = await sweepAgentRoots(ingest.store, ctxAt(T0 + 60 * 60_000));
    // Assess
    expect([ingest.findings, settled.findings, late.findings]).toEqual([[], [], []]);
    expect(brief(again.findings)).toEqual([
      'budget-exceeded r-40 run r-40 used 25 actions across 2 runs, over its budget of 20 actions per task; top: support-bot r-40 with 15, researcher r-41 with 10, llm_call ×25',
    ]);
    expect(repeat.findings).toEqual([]);
    const agent = (await ingest.store.load(['agent#support-bot'])).get('agent#support-bot')?.state as AgentState;
    expect(agent.open).toEqual([]);
    expect(agent.roots).toBe(1);
  });
});

describe('a root judged ended before a late sub-agent that never ends reached it', () => {
  const MIN = 60_000;
  const HOUR = 3_600_000;
  /** Five earlier runs of support-bot at $0.02 each: the baseline cost-outlier compares with. */
  const earlier = [1, 2, 3, 4, 5].map((n) => [start(-1000 + n * 100, 'support-bot', `h-${n}`), ...acts(2, -999 + n * 100, 'support-bot', `h-${n}`, { cost_usd: 0.01 }), end(-950 + n * 100, 'support-bot', `h-${n}`)]);
  /** r-80 (budget 20) ends after 2 calls at $0.01, before its sub-agent's lines come. */
  const root = [start(0, 'support-bot', 'r-80'), ...acts(2, 1, 'support-bot', 'r-80', { cost_usd: 0.01 }), end(10, 'support-bot', 'r-80', { actions_reported: 2 })];
  /** researcher r-80.1 under it: 25 calls at $0.01, and its end is lost. */
  const lateChild = [start(3, 'researcher', 'r-80.1', { parent_run_id: 'r-80' }), ...acts(25, 4, 'researcher', 'r-80.1', { cost_usd: 0.01 })];
  const agentState = async (store: MemoryAuditStore) => (await store.load(['agent#support-bot'])).get('agent#support-bot')?.state as AgentState;
  const records = (store: MemoryAuditStore) => store.runs('agent#support-bot', '2026-10-01', '2026-11-01');

  it('is judged again by the sweep: its budget while the sub-agent runs, the rest once quiet; counted once', async () => {
    // Prepare
    const ingest = await feed([...earlier, root], new MemoryAuditStore(), ctxAt(T0 + MIN));
    const late = await feed([lateChild], ingest.store, ctxAt(T0 + 2 * MIN));
    // Act
    const running = await sweepAgentRoots(ingest.store, ctxAt(T0 + 30 * MIN));
    const stale = await sweepAgentRoots(ingest.store, ctxAt(T0 + 2 * HOUR));
    const again = await sweepAgentRoots(ingest.store, ctxAt(T0 + 3 * HOUR));
    // Assess
    expect([ingest.findings, late.findings]).toEqual([[], []]);
    expect(brief(running.findings)).toEqual([
      'budget-exceeded r-80 run r-80 used 27 actions across 2 runs so far, over its budget of 20 actions per task; 1 run under it has not ended yet; top: researcher r-80.1 with 25, support-bot r-80 with 2, llm_call ×27',
    ]);
    expect(brief(stale.findings)).toEqual([
      'budget-undercount r-80 run r-80 reported 2 actions but its tree shows 27 (2 own, 25 in 1 sub-agent run): 25 went uncounted',
      'cost-outlier r-80 run r-80 cost $0.27 across 2 runs so far (it never ended), 13.5× the median $0.02 of the previous 5 runs',
      'run-unfinished r-80 run r-80 started 2026-10-05T10:00:00Z ended, but its sub-agent researcher r-80.1 has logged no end after 2.0 h (max runtime 1.0 h, default 1 h)',
    ]);
    expect(again.findings).toEqual([]);
    const agent = await agentState(ingest.store);
    expect(agent.roots).toBe(6);
    expect(agent.open.map((o) => o.run_id)).toEqual(['r-80']);
    expect(agent.history.map((h) => h.run_id)).toEqual(['h-1', 'h-2', 'h-3', 'h-4', 'h-5']);
    expect((await records(ingest.store)).filter((r) => r.run_id === 'r-80')).toHaveLength(1);
  });

  it('is judged again when the sub-agent ends after all: nothing reported twice, not counted twice, back in the history', async () => {
    // Prepare
    const { store } = await feed([...earlier, root], new MemoryAuditStore(), ctxAt(T0 + MIN));
    await feed([lateChild], store, ctxAt(T0 + 2 * MIN));
    await sweepAgentRoots(store, ctxAt(T0 + 2 * HOUR));
    // Act
    const ended = await feed([[end(7300, 'researcher', 'r-80.1')]], store, ctxAt(T0 + 3 * HOUR));
    // Assess
    expect(ended.findings).toEqual([]);
    const agent = await agentState(store);
    expect(agent.roots).toBe(6);
    expect(agent.open).toEqual([]);
    expect(agent.history.at(-1)).toEqual({ run_id: 'r-80', ended_at: T0 + 10_000, started_at: T0, cost_usd: 0.27, outlier: true });
    expect((await records(store)).filter((r) => r.run_id === 'r-80')).toEqual([expect.objectContaining({ run_id: 'r-80', status: 'ok' })]);
  });
});

describe('roots stuck in a loop: over budget while they run', () => {
  const MIN = 60_000;
  const HOUR = 3_600_000;
  const agentState = async (store: MemoryAuditStore, agent: string) => (await store.load([`agent#${agent}`])).get(`agent#${agent}`)?.state as AgentState;
  /** One LLM call a minute (at :30) of a run, for the minutes given. */
  const everyMinute = (runId: string, fromMinute: number, minutes: number, extra: Record<string, unknown> = {}, agent = 'support-bot') =>
    Array.from({ length: minutes }, (_, i) => act((fromMinute + i) * 60 + 30, agent, runId, extra));
  /** The keys of the states the store commits, from now on. */
  function recordCommits(store: MemoryAuditStore): string[] {
    const keys: string[] = [];
    const commit = store.commit.bind(store);
    store.commit = async (change) => {
      keys.push(change.key);
      return commit(change);
    };
    return keys;
  }

  it('flags a looping root at the first sweep that sees it over its budget, once; the sweeps after it only read', async () => {
    // Prepare: r-60 (budget 20) makes one call a minute for 6 hours and never ends; the sweep runs after every hour.
    const store = new MemoryAuditStore();
    const commits = recordCommits(store);
    const sweeps: { findings: string[]; commits: string[] }[] = [];
    // Act
    for (let hour = 0; hour < 6; hour++) {
      const lines = [...(hour === 0 ? [start(0, 'support-bot', 'r-60', { budget: { max_actions: 20 } })] : []), ...everyMinute('r-60', hour * 60, 60)];
      await feed([lines], store, ctxAt(T0 + (hour + 1) * HOUR));
      commits.length = 0;
      const swept = await sweepAgentRoots(store, ctxAt(T0 + (hour + 1) * HOUR));
      sweeps.push({ findings: brief(swept.findings), commits: [...commits] });
    }
    // Assess
    expect(sweeps[0]).toEqual({
      findings: ['budget-exceeded r-60 run r-60 used 60 actions so far, over its budget of 20 actions per task; it has not ended yet; top: support-bot r-60 with 60, llm_call ×60'],
      // The agent's state, with the finding; then the root's aggregate, noting it (fired_unended).
      commits: ['agent#support-bot', 'agentrun#r-60'],
    });
    // Past its max runtime (1 h) at the second: run-unfinished, written as the budget was; the sweeps after it only read.
    expect(sweeps[1]).toEqual({
      findings: ['run-unfinished r-60 run r-60 started 2026-10-05T10:00:00Z has logged no end after 2.0 h (max runtime 1.0 h, default 1 h)'],
      commits: ['agent#support-bot', 'agentrun#r-60'],
    });
    expect(sweeps.slice(2)).toEqual(Array.from({ length: 4 }, () => ({ findings: [], commits: [] })));
    const agent = await agentState(store, 'support-bot');
    expect(agent.open.map((o) => o.run_id)).toEqual(['r-60']);
    expect(agent.judged).toEqual([{ run_id: 'r-60', facts: 121, phase: 'running', fired: [mark('budget-exceeded', 'r-60'), mark('run-unfinished', 'r-60')] }]);
    expect([agent.history, agent.roots]).toEqual([[], 0]);
  });

  it('dates the finding at the last line the sweep saw, with the counts of that time', async () => {
    // Prepare
    const lines = [start(0, 'support-bot', 'r-61'), ...everyMinute('r-61', 0, 30, { cost_usd: 0.01 })];
    const { store } = await feed([lines]);
    // Act
    const swept = await sweepAgentRoots(store, ctxAt(T0 + 40 * MIN));
    // Assess
    expect(swept.findings).toHaveLength(1);
    expect(swept.findings[0]).toMatchObject({ detector: 'budget-exceeded', ts: '2026-10-05T10:29:30Z', evidence: { actions: 30, cost_usd: 0.3, ended: false, budget_source: 'config' } });
  });

  it('judges the rest when the looping root goes stale and when it finally ends, without reporting its budget again', async () => {
    // Prepare: five earlier runs cost $0.02 each; r-62 loops for an hour at $0.01 a call, goes quiet, and ends reporting 20 actions.
    const earlier = Array.from({ length: 5 }, (_, i) => [
      start(i * 10, 'support-bot', `r-5${i}`),
      ...acts(2, i * 10 + 1, 'support-bot', `r-5${i}`, { cost_usd: 0.01 }),
      end(i * 10 + 5, 'support-bot', `r-5${i}`),
    ]);
    const loop = [start(3600, 'support-bot', 'r-62'), ...everyMinute('r-62', 60, 60, { cost_usd: 0.01 })];
    const { store, findings: before } = await feed([...earlier, loop], new MemoryAuditStore(), ctxAt(T0 + 2 * HOUR));
    // Act
    const running = await sweepAgentRoots(store, ctxAt(T0 + 2 * HOUR));
    const stale = await sweepAgentRoots(store, ctxAt(T0 + 4 * HOUR));
    const ended = await feed([[end(4 * 3600, 'support-bot', 'r-62', { actions_reported: 20 })]], store, ctxAt(T0 + 4 * HOUR));
    const later = await sweepAgentRoots(store, ctxAt(T0 + 6 * HOUR));
    // Assess
    expect(before).toEqual([]);
    expect(brief(running.findings)).toEqual([
      'budget-exceeded r-62 run r-62 used 60 actions so far, over its budget of 20 actions per task; it has not ended yet; top: support-bot r-62 with 60, llm_call ×60',
    ]);
    expect(brief(stale.findings)).toEqual([
      'cost-outlier r-62 run r-62 cost $0.60 so far (it never ended), 30× the median $0.02 of the previous 5 runs',
      'run-unfinished r-62 run r-62 started 2026-10-05T11:00:00Z has logged no end after 3.0 h (max runtime 1.0 h, default 1 h)',
    ]);
    expect(brief(ended.findings)).toEqual(['budget-undercount r-62 run r-62 reported 20 actions but its tree shows 60: 40 went uncounted']);
    expect(later.findings).toEqual([]);
    const agent = await agentState(store, 'support-bot');
    expect(agent.open).toEqual([]);
    expect(agent.roots).toBe(6);
    expect(agent.history.at(-1)).toEqual({ run_id: 'r-62', ended_at: T0 + 4 * HOUR, started_at: T0 + HOUR, cost_usd: 0.6, outlier: true });
  });

  it('gives nothing for a running root within its budget, and writes nothing', async () => {
    // Prepare: 20 calls of a budget of 20, still running.
    const { store } = await feed([[start(0, 'support-bot', 'r-63'), ...everyMinute('r-63', 0, 20)]]);
    const commits = recordCommits(store);
    // Act
    const swept = [await sweepAgentRoots(store, ctxAt(T0 + 10 * MIN)), await sweepAgentRoots(store, ctxAt(T0 + 30 * MIN))];
    // Assess
    expect(swept.map((s) => s.findings)).toEqual([[], []]);
    expect(commits).toEqual([]);
  });

  it('flags a per-tick budget overrun while the run goes on, once', async () => {
    // Prepare: scheduler r-64, 5 actions a tick at most; tick 3 makes 8 calls, tick 6 later makes 9.
    const tick = (n: number, calls: number) => acts(calls, n * 60, 'scheduler', 'r-64', { tick: n });
    const store = new MemoryAuditStore();
    await feed([[start(0, 'scheduler', 'r-64', { budget: { max_actions: 5, scope: 'tick' } }), tick(0, 3), tick(1, 5), tick(2, 4), tick(3, 8)].flat()], store);
    const first = await sweepAgentRoots(store, ctxAt(T0 + 10 * MIN));
    await feed([[tick(4, 2), tick(5, 5), tick(6, 9)].flat()], store);
    const commits = recordCommits(store);
    // Act
    const second = await sweepAgentRoots(store, ctxAt(T0 + 20 * MIN));
    // Assess
    expect(brief(first.findings)).toEqual(['budget-exceeded r-64 tick 3 of run r-64 used 8 actions so far, over its budget of 5 actions per tick (1 of 4 ticks over); it has not ended yet; top: scheduler r-64 with 8']);
    expect(second.findings).toEqual([]);
    expect(commits).toEqual([]);
  });

  it('counts a looping run flagged while it ran as failing when it ends: the recovery notice waits for three healthy runs after it', async () => {
    // Prepare: r-67 (budget 20) makes 40 calls and the sweep flags it while it runs; it then ends ok, and three healthy runs follow.
    const store = new MemoryAuditStore();
    const sent: AlertMessage['kind'][][] = [];
    const sink = { publish: async () => {}, send: async (m: AlertMessage) => void sent.at(-1)!.push(m.kind) };
    const step = async (lines: AuditEvent[], now: number, sweep = false) => {
      sent.push([]);
      const ctx = ctxAt(now);
      const batch = await processBatch(lines, REDUCERS, store, ctx);
      const swept = sweep ? (await sweepAgentRoots(store, ctx)).findings : [];
      await deliverAlerts([...batch.findings, ...swept], store, sink, ctx.clock, { config: CONFIG, records: batch.records });
    };
    const healthy = (runId: string, minute: number) => [start(minute * 60, 'support-bot', runId), act(minute * 60 + 1, 'support-bot', runId), end(minute * 60 + 2, 'support-bot', runId)];
    // Act
    await step([start(0, 'support-bot', 'r-67'), ...everyMinute('r-67', 0, 40)], T0 + 41 * MIN, true);
    await step([end(45 * 60, 'support-bot', 'r-67')], T0 + 45 * MIN);
    for (const [i, runId] of ['r-68', 'r-69', 'r-70'].entries()) await step(healthy(runId, 60 + i * 10), T0 + (62 + i * 10) * MIN);
    // Assess
    expect(sent).toEqual([['finding'], [], [], [], ['recovery']]);
    expect(await store.runs('agent#support-bot', '2026-10-05', '2026-10-06')).toContainEqual(expect.objectContaining({ run_id: 'r-67', status: 'ok', flagged: true }));
  });

  it('reports a looping root and a stale one once, however many other runs of the agent end while they stay open', async () => {
    // Prepare: r-71 (budget 20) makes one call a minute; r-72 makes 25 calls, then goes quiet without ending. Both are flagged
    // in the first hour; in the second, r-71 goes on while 600 short runs of the same agent start and end (more than the 500 judged roots kept).
    const store = new MemoryAuditStore();
    await feed([[start(0, 'support-bot', 'r-71'), start(0, 'support-bot', 'r-72'), ...acts(25, 1, 'support-bot', 'r-72'), ...everyMinute('r-71', 0, 60)]], store, ctxAt(T0 + 61 * MIN));
    const first = await sweepAgentRoots(store, ctxAt(T0 + 61 * MIN));
    const others = Array.from({ length: 600 }, (_, i) => [start(3660 + i * 5, 'support-bot', `r-s${i}`), act(3661 + i * 5, 'support-bot', `r-s${i}`), end(3662 + i * 5, 'support-bot', `r-s${i}`)]).flat();
    const busy = await feed([[...others, ...everyMinute('r-71', 61, 60)].sort((a, b) => a.at - b.at)], store, ctxAt(T0 + 121 * MIN));
    // Act
    const second = await sweepAgentRoots(store, ctxAt(T0 + 121 * MIN));
    const third = await sweepAgentRoots(store, ctxAt(T0 + 4 * HOUR));
    // Assess
    expect(first.findings.filter((f) => f.detector === 'budget-exceeded').map((f) => f.run_id)).toEqual(['r-72', 'r-71']);
    expect(busy.findings).toEqual([]);
    expect([second.findings, third.findings.filter((f) => f.detector === 'budget-exceeded')]).toEqual([[], []]);
    const agent = await agentState(store, 'support-bot');
    expect(agent.judged).toHaveLength(500);
    expect(agent.judged.filter((j) => j.run_id === 'r-71' || j.run_id === 'r-72').map((j) => `${j.run_id} ${j.phase}`)).toEqual(['r-72 stale', 'r-71 stale']);
  });

  it('reports and alerts looping roots once though more roots than the open list holds start after them, and 600 others end', async () => {
    // Prepare: r-73 and r-74 (budget 20) make one call a minute and are flagged in their first hour. In the second, 250 other
    // roots of the agent start and stay open (more than the 200 open roots kept: both fall off), then 600 short runs start and
    // end (more than the 500 judged roots kept); in the third, r-73 goes on looping (back on the open list) while r-74 is
    // quiet; then both end. Alerts go out after every step.
    const store = new MemoryAuditStore();
    const sent: string[] = [];
    const sink = { publish: async () => {}, send: async (m: AlertMessage) => void sent.push(`${m.kind} ${m.findings.map((f) => `${f.detector} ${f.run_id}`).join(', ')}`) };
    const step = async (lines: AuditEvent[], now: number, sweep = false) => {
      const ctx = ctxAt(now);
      const batch = await processBatch(lines, REDUCERS, store, ctx);
      const swept = sweep ? (await sweepAgentRoots(store, ctx)).findings : [];
      await deliverAlerts([...batch.findings, ...swept], store, sink, ctx.clock, { config: CONFIG, records: batch.records });
      return [...batch.findings, ...swept].filter((f) => f.run_id === 'r-73' || f.run_id === 'r-74').map((f) => `${f.detector} ${f.run_id} ${f.ts}`);
    };
    const opened = Array.from({ length: 250 }, (_, i) => start(3660 + i, 'support-bot', `r-o${i}`));
    const short = Array.from({ length: 600 }, (_, i) => [start(4000 + i * 5, 'support-bot', `r-s${i}`), act(4001 + i * 5, 'support-bot', `r-s${i}`), end(4002 + i * 5, 'support-bot', `r-s${i}`)]).flat();
    // Act
    const first = await step([start(0, 'support-bot', 'r-73'), ...everyMinute('r-73', 0, 60), start(0, 'support-bot', 'r-74'), ...everyMinute('r-74', 0, 60)], T0 + 61 * MIN, true);
    const busy = await step([...opened, ...short], T0 + 121 * MIN, true);
    const forgotten = await agentState(store, 'support-bot');
    const looping = await step(everyMinute('r-73', 121, 60), T0 + 181 * MIN, true);
    const ended = await step([end(181 * 60, 'support-bot', 'r-73'), end(181 * 60, 'support-bot', 'r-74')], T0 + 182 * MIN, true);
    // Assess
    expect(first).toEqual(['budget-exceeded r-73 2026-10-05T10:59:30Z', 'budget-exceeded r-74 2026-10-05T10:59:30Z', 'run-unfinished r-73 2026-10-05T11:00:00Z', 'run-unfinished r-74 2026-10-05T11:00:00Z']);
    expect([busy, looping, ended]).toEqual([[], [], []]);
    expect([...forgotten.open, ...forgotten.judged].filter((r) => r.run_id === 'r-73' || r.run_id === 'r-74')).toEqual([]);
    expect(sent.filter((m) => m.includes('r-7'))).toEqual(['finding budget-exceeded r-73', 'finding run-unfinished r-73']);
    const runs = await store.runs('agent#support-bot', '2026-10-05', '2026-10-06');
    expect(runs.filter((r) => r.run_id === 'r-73' || r.run_id === 'r-74')).toEqual([expect.objectContaining({ flagged: true }), expect.objectContaining({ flagged: true })]);
    const aggregates = await store.load(['agentrun#r-73', 'agentrun#r-74']);
    expect([...aggregates.values()].map((v) => firedMarks((v.state as AgentRunState).fired_unended))).toEqual([
      [mark('budget-exceeded', 'r-73'), mark('run-unfinished', 'r-73')],
      [mark('budget-exceeded', 'r-74'), mark('run-unfinished', 'r-74')],
    ]);
  });

  it('notes a flagged root on its aggregate at the next sweep when the sweep that flagged it failed before noting it, then only reads', async () => {
    // Prepare: r-75 is flagged; its aggregate then loses the note, as when the sweep dies between the two writes.
    const store = new MemoryAuditStore();
    await feed([[start(0, 'support-bot', 'r-75'), ...everyMinute('r-75', 0, 30)]], store, ctxAt(T0 + 31 * MIN));
    const flagged = await sweepAgentRoots(store, ctxAt(T0 + 31 * MIN));
    const key = 'agentrun#r-75';
    const stored = (await store.load([key])).get(key)!;
    const { fired_unended: _lost, ...unnoted } = stored.state as { fired_unended?: string[] };
    await store.commit({ key, expectedVersion: stored.version, state: unnoted, findings: [], records: [] });
    const commits = recordCommits(store);
    // Act
    const healed = await sweepAgentRoots(store, ctxAt(T0 + 35 * MIN));
    const healedCommits = [...commits];
    const after = await sweepAgentRoots(store, ctxAt(T0 + 40 * MIN));
    // Assess
    expect(flagged.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['budget-exceeded r-75']);
    expect([healed.findings, after.findings]).toEqual([[], []]);
    expect(healedCommits).toEqual([key]);
    expect(commits).toEqual([key]);
    expect(firedMarks(((await store.load([key])).get(key)!.state as AgentRunState).fired_unended)).toEqual([mark('budget-exceeded', 'r-75')]);
  });

  it('flags a looping sub-agent whose parent never started, once it had time to; its parent, when it comes, does not report it again', async () => {
    // Prepare: researcher r-66 (own budget 5) names parent r-65, whose start comes an hour late.
    const orphan = [start(0, 'researcher', 'r-66', { parent_run_id: 'r-65', budget: { max_actions: 5 } }), ...everyMinute('r-66', 0, 10, {}, 'researcher')];
    const parent = [start(-5, 'support-bot', 'r-65', { budget: { max_actions: 100 } }), end(3590, 'support-bot', 'r-65')];
    const { store } = await feed([orphan], new MemoryAuditStore(), ctxAt(T0 + 10 * MIN));
    // Act
    const waiting = await sweepAgentRoots(store, ctxAt(T0 + 10 * MIN));
    await feed([everyMinute('r-66', 10, 30, {}, 'researcher')], store, ctxAt(T0 + 40 * MIN));
    const settled = await sweepAgentRoots(store, ctxAt(T0 + 40 * MIN));
    const withParent = await feed([[...parent, end(3591, 'researcher', 'r-66')]], store, ctxAt(T0 + HOUR));
    // Assess
    expect(waiting.findings).toEqual([]);
    expect(brief(settled.findings)).toEqual([
      'budget-exceeded r-66 run r-66 used 40 actions so far, over its budget of 5 actions per task; it has not ended yet; top: researcher r-66 with 40, llm_call ×40 (judged as the root of its own tree: its parent run r-65 has not started, no agent.start of it was seen)',
    ]);
    expect(withParent.findings).toEqual([]);
    const run = (await store.load(['agentrun#r-66'])).get('agentrun#r-66')?.state as AgentRunState;
    expect(firedMarks(run.judged_alone)).toEqual([mark('budget-exceeded', 'r-66')]);
  });
});

describe('the agent state judging a running tree', () => {
  const HOUR = 3_600_000;
  /** r-70 (budget 20): 25 calls at $0.01, then, in the last view, its end reporting 20. */
  const lines = [start(0, 'support-bot', 'r-70', { budget: { max_actions: 20 } }), ...acts(25, 1, 'support-bot', 'r-70', { cost_usd: 0.01 })];
  const state: AgentState = deepFreeze({
    agent: 'support-bot',
    history: Array.from({ length: 5 }, (_, i) => ({ run_id: `h-${i}`, ended_at: T0 - (5 - i) * HOUR, cost_usd: 0.02 })),
    judged: [],
    open: [{ run_id: 'r-70', started_at: T0 }],
    roots: 5,
  });
  const apply = (from: AgentState, phase: 'running' | 'stale' | 'ended') =>
    agentTreeReducer.apply(from, 'support-bot', [treeEvent(treeOf(phase === 'ended' ? [...lines, end(30, 'support-bot', 'r-70', { actions_reported: 20 })] : lines, 'r-70', phase))], ctxAt(T0 + 5 * HOUR));

  it('reports only budget-exceeded, keeps the root open, and adds no history nor run record', () => {
    // Act
    const running = apply(state, 'running');
    const again = apply(deepFreeze(running.state), 'running');
    // Assess
    expect(running.findings.map((f) => f.detector)).toEqual(['budget-exceeded']);
    expect(running.records).toEqual([]);
    expect(running.state.open).toBe(state.open);
    expect(running.state.history).toBe(state.history);
    expect(running.state.roots).toBe(5);
    expect(running.state.judged).toEqual([{ run_id: 'r-70', facts: 26, phase: 'running', fired: [mark('budget-exceeded', 'r-70')] }]);
    expect(again.state).toBe(running.state);
    expect(again.findings).toEqual([]);
  });

  it('judges the same facts in full once they are stale, and again when the root ends, budget-exceeded never twice', () => {
    // Prepare
    const running = apply(state, 'running');
    // Act
    const stale = apply(deepFreeze(running.state), 'stale');
    const ended = apply(deepFreeze(stale.state), 'ended');
    // Assess
    expect(brief(stale.findings)).toEqual(['cost-outlier r-70 run r-70 cost $0.25 so far (it never ended), 12.5× the median $0.02 of the previous 5 runs']);
    expect(stale.state.judged).toEqual([{ run_id: 'r-70', facts: 26, phase: 'stale', fired: [mark('budget-exceeded', 'r-70'), mark('cost-outlier', 'r-70')] }]);
    expect(brief(ended.findings)).toEqual(['budget-undercount r-70 run r-70 reported 20 actions but its tree shows 25: 5 went uncounted']);
    expect(ended.records.map((r) => r.run_id)).toEqual(['r-70']);
    expect(ended.state.open).toEqual([]);
    expect(ended.state.history.map((h) => h.run_id)).toContain('r-70');
  });

  it('marks the run record of a root flagged before it ended, while running or once stale, as flagged; not one flagged at its end', () => {
    // Act
    const afterRunning = apply(deepFreeze(apply(state, 'running').state), 'ended');
    const afterStale = apply(deepFreeze(apply(state, 'stale').state), 'ended');
    const atEnd = apply(state, 'ended');
    // Assess
    expect(afterRunning.records).toEqual([expect.objectContaining({ run_id: 'r-70', status: 'ok', flagged: true })]);
    expect(afterStale.records).toEqual([expect.objectContaining({ run_id: 'r-70', status: 'ok', flagged: true })]);
    expect(atEnd.findings.map((f) => f.detector)).toContain('budget-exceeded');
    expect(atEnd.records).toEqual([expect.not.objectContaining({ flagged: true })]);
  });

  it('judges a running tree straight after an ending one with the same facts as nothing new', () => {
    // Prepare: the running view of a tree the stale judgement already saw in full.
    const stale = apply(state, 'stale');
    // Act
    const running = apply(deepFreeze(stale.state), 'running');
    // Assess
    expect(brief(stale.findings).map((f) => f.split(' ')[0])).toEqual(['budget-exceeded', 'cost-outlier']);
    expect(running.state).toBe(stale.state);
    expect(running.findings).toEqual([]);
  });
});

describe('sub-agents whose named parent never starts', () => {
  const MIN = 60_000;
  const agentState = async (store: MemoryAuditStore, agent: string) => (await store.load([`agent#${agent}`])).get(`agent#${agent}`)?.state as AgentState;
  /** researcher r-<n> under r-<parent>: 8 actions against its own budget of 5 on its start. */
  const orphan = (runId: string, parent: string, from = 0) => [
    start(from, 'researcher', runId, { parent_run_id: parent, budget: { max_actions: 5 } }),
    ...acts(8, from + 1, 'researcher', runId),
    end(from + 10, 'researcher', runId),
  ];

  it('judges the sub-agent as the root of its own tree once it has settled, saying its parent was never seen', async () => {
    // Prepare: r-50's lines never come (its log group is not subscribed).
    const lines = orphan('r-51', 'r-50');
    const ingest = await feed([lines], new MemoryAuditStore(), ctxAt(T0 + MIN));
    // Act
    const early = await sweepAgentRoots(ingest.store, ctxAt(T0 + 10 * MIN));
    const settled = await sweepAgentRoots(ingest.store, ctxAt(T0 + 30 * MIN));
    const redelivered = await feed([lines], ingest.store, ctxAt(T0 + 40 * MIN));
    const later = await sweepAgentRoots(ingest.store, ctxAt(T0 + 2 * 3_600_000));
    // Assess
    expect([ingest.findings, early.findings]).toEqual([[], []]);
    expect(brief(settled.findings)).toEqual([
      'budget-exceeded r-51 run r-51 used 8 actions, over its budget of 5 actions per task; top: researcher r-51 with 8, llm_call ×8 (judged as the root of its own tree: its parent run r-50 has not started, no agent.start of it was seen)',
    ]);
    expect(settled.findings[0]).toMatchObject({ subject: 'researcher', evidence: { parent_run_id: 'r-50', parent_seen: false, actions: 8, max_actions: 5 } });
    expect([redelivered.findings, later.findings]).toEqual([[], []]);
    const researcher = await agentState(ingest.store, 'researcher');
    expect(researcher.open).toEqual([]);
    expect(researcher.roots).toBe(1);
  });

  it('holds it to the budget its agent is configured with, while it runs once settled, and not again once stale', async () => {
    // Prepare: the researcher's budget of 5 comes from the config; r-53 never ends.
    const config = validateConfig({ agents: { researcher: { budget: { max_actions: 5 } } } });
    const lines = [start(0, 'researcher', 'r-53', { parent_run_id: 'r-52' }), ...acts(7, 1, 'researcher', 'r-53')];
    const ingest = await feed([lines], new MemoryAuditStore(), ctxAt(T0 + MIN, config));
    // Act
    const settling = await sweepAgentRoots(ingest.store, ctxAt(T0 + 10 * MIN, config));
    const settled = await sweepAgentRoots(ingest.store, ctxAt(T0 + 30 * MIN, config));
    const stale = await sweepAgentRoots(ingest.store, ctxAt(T0 + 2 * 3_600_000, config));
    // Assess
    expect([ingest.findings, settling.findings]).toEqual([[], []]);
    expect(brief(settled.findings)).toEqual([
      'budget-exceeded r-53 run r-53 used 7 actions so far, over its budget of 5 actions per task; it has not ended yet; top: researcher r-53 with 7, llm_call ×7 (judged as the root of its own tree: its parent run r-52 has not started, no agent.start of it was seen)',
    ]);
    expect(settled.findings[0].evidence).toMatchObject({ budget_source: 'config', parent_run_id: 'r-52', ended: false });
    expect(stale.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['run-unfinished r-53']);
  });

  it('judges the whole tree when the parent starts after the sub-agent was judged alone, without repeating its findings', async () => {
    // Prepare: r-61 is judged alone; then its parent r-60 (support-bot, budget 20) comes with 15 actions.
    const parent = [start(-5, 'support-bot', 'r-60'), ...acts(15, 20, 'support-bot', 'r-60'), end(40, 'support-bot', 'r-60')];
    const ingest = await feed([orphan('r-61', 'r-60')], new MemoryAuditStore(), ctxAt(T0 + MIN));
    const alone = await sweepAgentRoots(ingest.store, ctxAt(T0 + 30 * MIN));
    // Act
    const withParent = await feed([parent], ingest.store, ctxAt(T0 + 35 * MIN));
    const later = await sweepAgentRoots(ingest.store, ctxAt(T0 + 2 * 3_600_000));
    // Assess
    expect(brief(alone.findings).map((f) => f.slice(0, 24))).toEqual(['budget-exceeded r-61 run']);
    expect(brief(withParent.findings)).toEqual([
      'budget-exceeded r-60 run r-60 used 23 actions across 2 runs, over its budget of 20 actions per task; top: support-bot r-60 with 15, researcher r-61 with 8, llm_call ×23',
    ]);
    expect(later.findings).toEqual([]);
    const run = (await ingest.store.load(['agentrun#r-61'])).get('agentrun#r-61')?.state as AgentRunState;
    expect(firedMarks(run.judged_alone)).toEqual([mark('budget-exceeded', 'r-61')]);
  });

  describe("once judged alone, leaves its own agent's root runs and cost history when its parent comes", () => {
    /** The researcher's own root runs, an hour apart before T0, $0.01 each: its cost baseline. */
    const ownRuns = Array.from({ length: 5 }, (_, i) => {
      const from = -3600 * (i + 1);
      return [start(from, 'researcher', `own-${i}`), act(from + 1, 'researcher', `own-${i}`, { cost_usd: 0.01 }), end(from + 2, 'researcher', `own-${i}`)];
    }).flat();
    /** r-81, under r-80, with $0.04 of its own: a sub-run's cost, not a tree's. */
    const child = [start(0, 'researcher', 'r-81', { parent_run_id: 'r-80' }), act(1, 'researcher', 'r-81', { cost_usd: 0.04 }), end(10, 'researcher', 'r-81')];
    const parentStart = [start(-5, 'support-bot', 'r-80'), act(20, 'support-bot', 'r-80', { cost_usd: 0.5 })];
    const parentEnd = [end(40, 'support-bot', 'r-80')];
    /** What cost-outlier would compare a researcher root run ending an hour after T0 with. */
    const baseline = (state: AgentState) => costHistoryFor(state, { ...treeOf(child, 'r-81'), root_run_id: 'next', ended_at: T0 + 3_600_000 }, 20).costs;

    it('when the parent ends in the delivery that brings it', async () => {
      // Prepare: the child's lines in one delivery, judged alone by the sweep; its parent's in a later one.
      const ingest = await feed([ownRuns, child], new MemoryAuditStore(), ctxAt(T0 + MIN));
      await sweepAgentRoots(ingest.store, ctxAt(T0 + 30 * MIN));
      const alone = await agentState(ingest.store, 'researcher');
      // Act
      const withParent = await feed([[...parentStart, ...parentEnd]], ingest.store, ctxAt(T0 + 35 * MIN));
      const later = await sweepAgentRoots(ingest.store, ctxAt(T0 + 2 * 3_600_000));
      // Assess
      expect(alone.history.map((h) => h.run_id)).toContain('r-81');
      expect(alone.roots).toBe(6);
      expect(baseline(alone)).toEqual([0.01, 0.01, 0.01, 0.01, 0.01, 0.04]);
      expect([withParent.findings, later.findings]).toEqual([[], []]);
      const researcher = await agentState(ingest.store, 'researcher');
      expect(researcher.history.map((h) => h.run_id)).toEqual(['own-4', 'own-3', 'own-2', 'own-1', 'own-0']);
      expect(researcher.judged.map((j) => j.run_id)).not.toContain('r-81');
      expect(researcher.roots).toBe(5);
      expect(baseline(researcher)).toEqual([0.01, 0.01, 0.01, 0.01, 0.01]);
      const bot = await agentState(ingest.store, 'support-bot');
      expect(bot.history).toEqual([{ run_id: 'r-80', ended_at: T0 + 40_000, started_at: T0 - 5_000, cost_usd: 0.54 }]);
      expect(bot.roots).toBe(1);
    });

    it('when the parent never ends and the sweep judges its tree stale', async () => {
      // Prepare
      const ingest = await feed([ownRuns, child], new MemoryAuditStore(), ctxAt(T0 + MIN));
      await sweepAgentRoots(ingest.store, ctxAt(T0 + 30 * MIN));
      await feed([parentStart], ingest.store, ctxAt(T0 + 35 * MIN));
      const waiting = await agentState(ingest.store, 'researcher');
      // Act
      const stale = await sweepAgentRoots(ingest.store, ctxAt(T0 + 2 * 3_600_000));
      // Assess
      expect(waiting.history.map((h) => h.run_id)).toContain('r-81');
      expect(stale.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['run-unfinished r-80']);
      const researcher = await agentState(ingest.store, 'researcher');
      expect(researcher.history.map((h) => h.run_id)).not.toContain('r-81');
      expect(researcher.roots).toBe(5);
      expect(baseline(researcher)).toEqual([0.01, 0.01, 0.01, 0.01, 0.01]);
      expect((await agentState(ingest.store, 'support-bot')).judged).toEqual([{ run_id: 'r-80', facts: expect.any(Number), phase: 'stale', fired: [mark('run-unfinished', 'r-80')] }]);
    });

    it('and a sub-agent of the same agent as its parent is not in the baseline its parent is judged against', async () => {
      // Prepare: r-91 (researcher) under r-90, also a researcher, whose own cost is 6 times the usual.
      const sub = [start(0, 'researcher', 'r-91', { parent_run_id: 'r-90' }), act(1, 'researcher', 'r-91', { cost_usd: 0.04 }), end(10, 'researcher', 'r-91')];
      const parent = [start(-5, 'researcher', 'r-90'), act(20, 'researcher', 'r-90', { cost_usd: 0.02 }), end(40, 'researcher', 'r-90')];
      const ingest = await feed([ownRuns, sub], new MemoryAuditStore(), ctxAt(T0 + MIN));
      await sweepAgentRoots(ingest.store, ctxAt(T0 + 30 * MIN));
      // Act
      const withParent = await feed([parent], ingest.store, ctxAt(T0 + 35 * MIN));
      // Assess: the tree's $0.06 is 6 times the median of the researcher's own runs, not of a history holding r-91's $0.04.
      expect(brief(withParent.findings)).toEqual(['cost-outlier r-90 run r-90 cost $0.06 across 2 runs, 6× the median $0.01 of the previous 5 runs']);
      const researcher = await agentState(ingest.store, 'researcher');
      expect(researcher.history.map((h) => h.run_id)).toEqual(['own-4', 'own-3', 'own-2', 'own-1', 'own-0', 'r-90']);
      expect(researcher.roots).toBe(6);
    });
  });

  it('judges nothing alone when the parent starts late, within the settle time, and lets the sub-agent go from the open list', async () => {
    // Prepare: the sub-agent's lines come first; its parent's start in a delivery 5 minutes later.
    const parent = [start(-5, 'support-bot', 'r-70'), ...acts(3, 20, 'support-bot', 'r-70'), end(40, 'support-bot', 'r-70')];
    const first = await feed([orphan('r-71', 'r-70')], new MemoryAuditStore(), ctxAt(T0 + MIN));
    const waiting = (await agentState(first.store, 'researcher')).open;
    // Act
    const withParent = await feed([parent], first.store, ctxAt(T0 + 5 * MIN));
    const swept = await sweepAgentRoots(first.store, ctxAt(T0 + 30 * MIN));
    // Assess
    expect(first.findings).toEqual([]);
    expect(waiting).toEqual([{ run_id: 'r-71', started_at: T0, tentative: true }]);
    expect(brief(withParent.findings)).toEqual([
      'budget-exceeded r-71 sub-agent researcher (run r-71, under r-70) used 8 actions, over its own budget of 5 actions per task; top: researcher r-71 with 8, llm_call ×8',
    ]);
    expect(swept.findings).toEqual([]);
    expect((await agentState(first.store, 'researcher')).open).toEqual([]);
  });
});

describe('pass-through spans (OpenTelemetry step or chain spans between an agent and its calls)', () => {
  const link = (seconds: number, runId: string, parent: string, extra: Record<string, unknown> = {}) => start(seconds, 'support-bot', runId, { parent_run_id: parent, pass_through: true, ...extra });

  it("folds a chain of them into their agent's run: its counts, not a run of its own, the sub-agent under them its sub-agent, and no run left unended", () => {
    // Prepare: r-1 > step-1 > step-2, two calls in each step, one in r-1; a sub-agent guessed under step-2.
    const events = [
      start(0, 'support-bot', 'r-1'),
      act(1, 'support-bot', 'r-1', { name: 'gpt-4o' }),
      ...acts(2, 2, 'support-bot', 'step-1', { name: 'gpt-4o', tick: 1 }),
      ...acts(2, 4, 'support-bot', 'step-2', { action: 'tool_call', name: 'search', cost_usd: 0.5 }),
      link(1, 'step-1', 'r-1'),
      link(2, 'step-2', 'step-1', { parent_tentative: true }),
      start(6, 'researcher', 'r-9', { parent_run_id: 'step-2', parent_tentative: true }),
      end(7, 'researcher', 'r-9'),
      end(9, 'support-bot', 'r-1'),
    ];
    // Act
    const tree = treeOf(events, 'r-1');
    // Assess
    expect(tree.phase).toBe('ended');
    expect(tree.unended).toBe(0);
    expect(tree.runs.map((r) => [r.run_id, r.parent_run_id, r.depth, r.actions, r.cost_usd, r.unticked, r.by_action, r.by_tick])).toEqual([
      ['r-1', undefined, 0, 5, 1, 3, { 'llm_call:gpt-4o': [3, 0], 'tool_call:search': [2, 1] }, { '1': [2, 0] }],
      ['r-9', 'r-1', 1, 0, 0, 0, {}, {}],
    ]);
    // Facts of r-1 and both steps (their lines, and the child each learnt), and the researcher's: a late call in a step is a newer view.
    expect(tree.facts).toBe(4 + 4 + 4 + 2);
  });

  it('changes nothing when a link is delivered again, and starts nothing', () => {
    // Prepare
    const runs = aggregate([act(1, 'support-bot', 'step-1'), link(1, 'step-1', 'r-1')]);
    const once = runs.get('step-1');
    // Act
    const again = aggregate([link(1, 'step-1', 'r-1')], runs).get('step-1');
    // Assess
    expect(once).toMatchObject({ pass_through: true, parent_run_id: 'r-1', actions: 1 });
    expect(once?.started_at).toBeUndefined();
    expect(again).toBe(once);
  });
});

describe('the agent state over a batch of many snapshots', () => {
  // A full state: 500 judged roots, 200 open ones (the last 150 of them started in the batch's week), 60 ended runs in the history.
  const HOUR = 3_600_000;
  const full: AgentState = deepFreeze({
    agent: 'support-bot',
    history: Array.from({ length: 60 }, (_, i) => ({ run_id: `h-${i}`, ended_at: T0 - (60 - i) * HOUR, cost_usd: 0.01 + (i % 5) / 1000 })),
    judged: Array.from({ length: 500 }, (_, i) => ({ run_id: `j-${i}`, facts: 3, phase: i % 10 === 0 ? ('stale' as const) : ('ended' as const), fired: [] })),
    open: Array.from({ length: 200 }, (_, i) => ({ run_id: `o-${i}`, started_at: i < 50 ? T0 - 9 * 24 * HOUR : T0 - i * 1000 })),
    roots: 500,
  });
  const ended = (runId: string, actions: number, at: number) => treeEvent(treeOf([start(at, 'support-bot', runId), ...acts(actions, at + 1, 'support-bot', runId), end(at + actions + 2, 'support-bot', runId)], runId));
  const opened = (runId: string, at: number) => treeEvent(treeOf([start(at, 'support-bot', runId)], runId, 'open'));
  const batch = [
    ...Array.from({ length: 40 }, (_, i) => opened(`n-${i}`, i)),
    ...Array.from({ length: 30 }, (_, i) => ended(`n-${i}`, i % 3 === 0 ? 22 : 3, 100 + i * 60)),
    ended('o-120', 2, 3000),
    ended('j-0', 4, 3100),
    ended('j-1', 3, 3200),
    ended('n-0', 22, 100),
    opened('n-1', 1),
    ended('j-0', 25, 3100),
  ];

  it('holds what applying the snapshots one batch each would, in one new state, the lists capped', () => {
    // Act
    const whole = agentTreeReducer.apply(full, 'support-bot', batch, ctxAt(T0 + 5 * HOUR));
    let state = full;
    const findings: Finding[] = [];
    const records: unknown[] = [];
    for (const event of batch) {
      const one = agentTreeReducer.apply(state, 'support-bot', [event], ctxAt(T0 + 5 * HOUR));
      state = deepFreeze(one.state);
      findings.push(...one.findings);
      records.push(...one.records);
    }
    // Assess
    expect(whole.state).toEqual(state);
    expect(whole.findings).toEqual(findings);
    expect(whole.records).toEqual(records);
    expect(brief(whole.findings).filter((f) => f.startsWith('budget-exceeded'))).toHaveLength(11);
    // j-0 and j-1 had left the judged list (the 500 cap) by the time they ended: judged as new roots, with a run record each.
    expect(whole.records.map((r) => (r as { run_id: string }).run_id).slice(-3)).toEqual(['o-120', 'j-0', 'j-1']);
    expect(whole.records).toHaveLength(33);
    expect(whole.state.judged).toHaveLength(500);
    expect(whole.state.judged.slice(-2).map((j) => `${j.run_id} ${j.facts}`)).toEqual(['j-1 5', 'j-0 27']);
    // The 50 open roots older than a week were dropped, as was o-120 when it ended; the ended new roots left again.
    expect(whole.state.open).toHaveLength(200 - 50 - 1 + 10);
    expect(whole.state.open.some((o) => o.run_id === 'o-120' || o.run_id === 'o-0')).toBe(false);
    expect(whole.state.open.slice(-10).map((o) => o.run_id)).toEqual(Array.from({ length: 10 }, (_, i) => `n-${30 + i}`));
    expect(whole.state.history).toHaveLength(60);
    expect(whole.state.history.map((h) => h.ended_at)).toEqual([...whole.state.history.map((h) => h.ended_at)].sort((a, b) => a - b));
    expect(whole.state.roots).toBe(500 + 33);
  });

  it('returns the very same state when the batch comes again', () => {
    const first = agentTreeReducer.apply(full, 'support-bot', batch, ctxAt(T0 + 5 * HOUR));
    const again = agentTreeReducer.apply(deepFreeze(first.state), 'support-bot', batch, ctxAt(T0 + 5 * HOUR));
    expect(again.state).toBe(first.state);
    expect(again.findings).toEqual([]);
    expect(again.records).toEqual([]);
  });
});

describe('the agent index (agentindex#all)', () => {
  /** Bytes the DynamoDB store writes for a state's data (its own codec: JSON, deflated when larger). */
  const storedBytes = (state: unknown) => {
    const data = stateData(state);
    return 'dataz' in data ? data.dataz.length : Buffer.byteLength(data.data, 'utf8');
  };
  /** An open root of each agent, as the loader hands the reducers its snapshot. */
  const roots = (agents: readonly string[]) => agents.map((agent, i) => treeEvent({ type: 'agent.tree', agent, root_run_id: `r${i}`, phase: 'open', started_at: T0 + i, last_at: T0 + i } as unknown as TreeSnapshot));
  /** A name of `chars` CJK characters (3 bytes each) that does not deflate, the same on every run. */
  const cjkName = (i: number, chars: number) => `a${i}-${Array.from({ length: chars }, (_, k) => String.fromCharCode(0x4e00 + ((i * 7919 + k * 104_729 + ((k * k) % 997)) % 20_000))).join('')}`;

  it('keeps names as written within a byte bound, the oldest falling off first, so the item stays under 400 KB', () => {
    // Prepare: 2,000 agents named by 130 CJK characters (~400 bytes each, within the identifier bound), in batches of 250
    const names = Array.from({ length: 2000 }, (_, i) => cjkName(i, 130));
    // Act
    let state = agentIndexReducer.initial('all');
    for (let b = 0; b < names.length; b += 250) state = agentIndexReducer.apply(state, 'all', roots(names.slice(b, b + 250)), ctxAt(T0)).state;
    // Assess
    expect(storedBytes(state)).toBeLessThan(300 * 1024);
    expect(state.agents.at(-1)).toBe(names.at(-1));
    expect(state.agents).toEqual(names.slice(names.length - state.agents.length));
    expect(state.agents.length).toBeGreaterThan(600);
  });

  it('keeps 2,000 names of usual length, every one', () => {
    // Prepare
    const names = Array.from({ length: 2000 }, (_, i) => `support-bot-${i}-${'x'.repeat(100)}`);
    // Act
    const state = agentIndexReducer.apply(agentIndexReducer.initial('all'), 'all', roots(names), ctxAt(T0)).state;
    // Assess
    expect(state.agents).toEqual(names);
  });
});

describe('what the agent state keeps of reported findings (judged[].fired)', () => {
  /** Bytes the DynamoDB store writes for a state's data (its own codec: JSON, deflated when larger). */
  const storedBytes = (state: unknown) => {
    const data = stateData(state);
    return 'dataz' in data ? data.dataz.length : Buffer.byteLength(data.data, 'utf8');
  };
  /** A run id of `chars` characters that does not deflate (hex of a digest chain), the same on every run. */
  const runId = (seed: string, chars: number) => {
    let out = '';
    for (let h = seed; out.length < chars; ) out += h = createHash('sha256').update(h).digest('hex');
    return out.slice(0, chars);
  };
  /**
   * A root of planner with `subs` sub-agents, each over its own budget of 1 action and reporting
   * none: two findings of each (budget-exceeded, budget-undercount), every one naming its run.
   */
  function rootLines(root: string, subs: number, idChars: number, from: number, extra = 0): AuditEvent[] {
    const lines = [start(from, 'planner', root)];
    // A run links at most 500 children: the sub-agents are spread under coordinators (no findings of their own).
    const mids = Array.from({ length: Math.ceil(subs / 400) }, (_, m) => runId(`${root}/mid${m}`, idChars));
    for (const mid of mids) lines.push(start(from + 1, 'coordinator', mid, { parent_run_id: root }), end(from + 8, 'coordinator', mid));
    for (let i = 0; i < subs; i++) {
      const sub = runId(`${root}/${i}`, idChars);
      const parent = mids[Math.floor(i / 400)];
      lines.push(start(from + 2, 'worker', sub, { parent_run_id: parent, budget: { max_actions: 1 } }), ...acts(2, from + 3, 'worker', sub), end(from + 5, 'worker', sub, { actions_reported: 0 }));
    }
    lines.push(...acts(extra, from + 6, 'planner', root), end(from + 9, 'planner', root));
    return lines;
  }
  const judgeRoot = (state: AgentState, lines: readonly AuditEvent[], root: string) => agentTreeReducer.apply(state, 'planner', [treeEvent(treeOf(lines, root))], ctxAt(T0 + 30 * 86_400_000));

  it('keeps at most MAX_FIRED_KEPT marks of fixed size over many roots, and the newest roots still report nothing twice', () => {
    // Prepare: 70 roots of 100 under-reporting sub-agents with UUID-length ids (14,000 findings)
    let state = agentTreeReducer.initial('planner');
    const roots = Array.from({ length: 70 }, (_, k) => runId(`root-${k}`, 36));
    let reported = 0;
    // Act
    for (const [k, root] of roots.entries()) {
      const judged = judgeRoot(state, rootLines(root, 100, 36, k * 10), root);
      reported += judged.findings.length;
      state = judged.state;
    }
    const last = roots.length - 1;
    const lateLine = judgeRoot(state, rootLines(roots[last], 100, 36, last * 10, 1), roots[last]);
    // Assess
    expect(reported).toBe(70 * 200);
    const marks = state.judged.flatMap((j) => j.fired);
    expect(marks.length).toBeLessThanOrEqual(MAX_FIRED_KEPT);
    expect(marks.every((m) => m.length === 8)).toBe(true);
    expect(state.judged).toHaveLength(70);
    expect(storedBytes(state)).toBeLessThan(120 * 1024);
    expect(lateLine.findings).toEqual([]);
  });

  it('reads marks a state stored before as detector#run_id, reports none of them again, and writes them as fingerprints', () => {
    // Prepare: a tree judged once, its state as an earlier version stored it (the findings' ids as such)
    const lines = deepTree({ rootBudget: { max_actions: 10 } });
    const judged = agentTreeReducer.apply(agentTreeReducer.initial('support-bot'), 'support-bot', [treeEvent(treeOf(lines, 'r-1'))], ctxAt(T0 + 3_600_000));
    const legacy: AgentState = { ...judged.state, judged: judged.state.judged.map((j) => ({ ...j, fired: judged.findings.map((f) => `${f.detector}#${f.run_id}`) })) };
    // Act: a late line of the root
    const late = agentTreeReducer.apply(deepFreeze(legacy), 'support-bot', [treeEvent(treeOf([...lines, act(33, 'support-bot', 'r-1')], 'r-1'))], ctxAt(T0 + 3_600_000));
    // Assess
    expect(judged.findings.length).toBeGreaterThan(0);
    expect(late.findings.filter((f) => judged.findings.some((g) => g.detector === f.detector && g.run_id === f.run_id))).toEqual([]);
    expect(late.state.judged[0].fired).toEqual(expect.arrayContaining(judged.findings.map((f) => mark(f.detector, f.run_id!))));
    expect(late.state.judged[0].fired.every((m) => m.length === 8)).toBe(true);
  });

  it('keeps a tree of 1,200 sub-agents with 256-character ids within an item, and judges its late line without reporting again', () => {
    // Prepare
    const root = runId('big-root', 256);
    const lines = rootLines(root, 1200, 256, 0);
    // Act
    const first = judgeRoot(agentTreeReducer.initial('planner'), lines, root);
    const late = judgeRoot(first.state, rootLines(root, 1200, 256, 0, 1), root);
    // Assess
    expect(first.findings).toHaveLength(2400);
    expect(first.state.judged[0].fired).toHaveLength(2400);
    expect(storedBytes(first.state)).toBeLessThan(60 * 1024);
    expect(late.findings).toEqual([]);
    expect(late.state.judged[0].facts).toBeGreaterThan(first.state.judged[0].facts);
  });

  it('reports every finding of open roots whose marks it lets go once, sweep after sweep, and again none when they end', async () => {
    // Prepare: 4 roots of planner that loop on (one call an hour), each with 1,600 finished
    // sub-agents over their budget of 1 action: 6,400 budget-exceeded, more than MAX_FIRED_KEPT,
    // so the state lets the marks of open roots go, 1,600 of each: their notes must hold them all.
    const HOUR = 3_600_000;
    // Their runtime is not what is tested here (run-unfinished): 10 h.
    const config = validateConfig({ agents: { planner: { max_runtime_minutes: 600 } } });
    const store = new MemoryAuditStore();
    const roots = ['loop-0', 'loop-1', 'loop-2', 'loop-3'];
    const subs = 1600;
    const first: AuditEvent[] = [];
    for (const [k, root] of roots.entries()) {
      first.push(start(k, 'planner', root));
      for (let m = 0; m < subs / 400; m++) first.push(start(k + 1, 'coordinator', `${root}-mid${m}`, { parent_run_id: root }), end(k + 8, 'coordinator', `${root}-mid${m}`));
      for (let i = 0; i < subs; i++) {
        const sub = `${root}-w${i}`;
        first.push(start(k + 2, 'worker', sub, { parent_run_id: `${root}-mid${Math.floor(i / 400)}`, budget: { max_actions: 1 } }), ...acts(2, k + 3, 'worker', sub), end(k + 5, 'worker', sub, { actions_reported: 2 }));
      }
    }
    const times = new Map<string, number>();
    const perHour: number[] = [];
    const count = (findings: readonly Finding[]) => {
      for (const f of findings) times.set(`${f.detector}#${f.run_id}`, (times.get(`${f.detector}#${f.run_id}`) ?? 0) + 1);
      return findings.length;
    };
    // Act: an hour of lines, then the sweep, four times; then the roots end
    for (let hour = 0; hour < 4; hour++) {
      const lines = [...(hour === 0 ? first : []), ...roots.map((root) => act((hour * HOUR + 600_000) / 1000, 'planner', root))];
      const ingest = await processBatch(lines, REDUCERS, store, ctxAt(T0 + hour * HOUR + 700_000, config));
      const swept = await sweepAgentRoots(store, ctxAt(T0 + hour * HOUR + 900_000, config));
      perHour.push(count(ingest.findings) + count(swept.findings));
    }
    const ends = await processBatch(
      roots.map((root) => end((4 * HOUR) / 1000, 'planner', root)),
      REDUCERS,
      store,
      ctxAt(T0 + 4 * HOUR + 60_000, config),
    );
    const ended = count(ends.findings.filter((f) => f.detector === 'budget-exceeded'));
    // Assess: each of the 6,400 reported once, at the first sweep
    expect(perHour).toEqual([roots.length * subs, 0, 0, 0]);
    expect(ended).toBe(0);
    expect(times.size).toBe(roots.length * subs);
    expect([...times.values()].filter((n) => n > 1)).toEqual([]);
    const agent = (await store.load(['agent#planner'])).get('agent#planner')?.state as AgentState;
    expect(agent.judged.flatMap((j) => j.fired).length).toBeLessThanOrEqual(MAX_FIRED_KEPT);
  });
});

describe('runs whose parents form a cycle', () => {
  it('judges the earliest run of the cycle as its root, and says so, instead of dropping both runs', async () => {
    // Prepare: c1 names c2 as its parent and c2 names c1; both end with status error
    const lines = [
      start(0, 'orch', 'c1', { parent_run_id: 'c2' }),
      start(1, 'orch', 'c2', { parent_run_id: 'c1' }),
      act(2, 'orch', 'c2', { cost_usd: 0.1 }),
      end(3, 'orch', 'c2', { status: 'error' }),
      end(4, 'orch', 'c1', { status: 'error' }),
    ];

    // Act
    const { findings } = await feed([lines]);

    // Assess: c1 started first, so it is the root; its run failed, and the message names the cycle
    expect(findings.map((f) => `${f.detector} ${f.subject} ${f.run_id}`)).toEqual(['run-failed orch c1']);
    expect(findings[0].message).toMatch(/parent run c2 is a run of its own tree \(parent_run_id cycle c1 → c2 → c1\)/);
    expect(findings[0].evidence).toMatchObject({ parent_run_id: 'c2', parent_cycle: ['c1', 'c2'] });
  });
});

describe('a run id started again after its run ended', () => {
  const DAY = 86_400;
  /** A daily agent logging one fixed run id: day `d` (0-based) starts, acts once, and ends as `endExtra` says. */
  const day = (d: number, endExtra: Record<string, unknown> = {}) => [
    start(d * DAY, 'digest-bot', 'digest'),
    act(d * DAY + 1, 'digest-bot', 'digest', { cost_usd: 0.01 }),
    end(d * DAY + 5, 'digest-bot', 'digest', { actions_reported: 1, output_bytes: 500, ...endExtra }),
  ];
  const week = [day(0), day(1), day(2, { status: 'error', output_bytes: 0 }), day(3, { output_bytes: 0 })];
  const key = (d: number) => `digest@${new Date(T0 + d * DAY * 1000).toISOString()}`;
  const EXPECTED = [`run-failed ${key(2)}`, `empty-output ${key(3)}`];

  it('judges each run as its own (a scan: all days in one batch): the failure of day 3 and the empty output of day 4', async () => {
    // Prepare
    const lines = week.flat();
    // Act
    const { store, findings } = await feed([lines], undefined, ctxAt(T0 + 5 * DAY * 1000));
    // Assess: no budget-undercount of the first run counting later days' actions; each run in the history once
    expect(findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(EXPECTED);
    expect(findings[0].message).toBe(`run ${key(2)} ended with status error after 5 s (1 action)`);
    const agent = (await store.load(['agent#digest-bot'])).get('agent#digest-bot')?.state as AgentState;
    expect(agent.history.map((h) => [h.run_id, h.cost_usd])).toEqual([['digest', 0.01], [key(1), 0.01], [key(2), 0.01], [key(3), 0.01]]);
    expect([agent.roots, agent.open]).toEqual([4, []]);
  });

  it('judges each run as its own when each day comes in its own batch with the day before delivered again, and nothing twice on redelivery', async () => {
    // Prepare: day d's batch also holds day d-1's lines again (its start included)
    const batches = week.map((lines, d) => (d === 0 ? lines : [...week[d - 1], ...lines]));
    // Act
    const { store, findings } = await feed(batches, undefined, ctxAt(T0 + 5 * DAY * 1000));
    const again = await feed(batches, store, ctxAt(T0 + 5 * DAY * 1000));
    // Assess
    expect(findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(EXPECTED);
    expect(again.findings).toEqual([]);
    const run = (await store.load(['agentrun#digest'])).get('agentrun#digest')?.state as AgentRunState;
    expect([run.instance, run.actions, run.status, run.output_bytes]).toEqual([key(3), 1, 'ok', 0]);
    expect(run.previous?.map((p) => [p.instance, p.actions, p.status])).toEqual([[undefined, 1, 'ok'], [key(1), 1, 'ok'], [key(2), 1, 'error']]);
  });

  it('begins nothing for a start delivered again, nor for an end or action of the run before it', async () => {
    // Prepare
    const [first, second] = [day(0), day(1)];
    // Act: day 2 in, then day 1's lines come again
    const { store, findings } = await feed([first, second, first]);
    // Assess
    const run = (await store.load(['agentrun#digest'])).get('agentrun#digest')?.state as AgentRunState;
    expect(findings).toEqual([]);
    expect([run.instance, run.actions, run.previous?.length]).toEqual([key(1), 1, 1]);
  });

  it('begins a new run for a start in the same second as the end before it (second-resolution logs), and not for that end delivered again', async () => {
    // Prepare: run 2 starts the second run 1 ends, and fails
    const lines = [...day(0).slice(0, 2), end(5, 'digest-bot', 'digest', { actions_reported: 1, output_bytes: 500 }),
      start(5, 'digest-bot', 'digest'), act(6, 'digest-bot', 'digest'), end(9, 'digest-bot', 'digest', { status: 'error', actions_reported: 1, output_bytes: 0 })];
    const again = `digest@${new Date(T0 + 5000).toISOString()}`;
    // Act: in one batch, and run 1's end delivered again once run 2 started
    const { findings } = await feed([lines]);
    const redelivered = await feed([lines.slice(0, 4), [lines[2]], lines.slice(4)]);
    // Assess
    expect(findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual([`run-failed ${again}`]);
    expect(redelivered.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual([`run-failed ${again}`]);
  });

  it('judges every run of the id when more than the 8 kept come in one batch: 12 runs in an hour, the first 3 failing', async () => {
    // Prepare
    const run = (n: number) => [
      start(n * 300, 'digest-bot', 'digest'), act(n * 300 + 1, 'digest-bot', 'digest'),
      end(n * 300 + 5, 'digest-bot', 'digest', { actions_reported: 1, output_bytes: 500, ...(n < 3 ? { status: 'error' } : {}) })];
    const runKey = (n: number) => (n === 0 ? 'digest' : `digest@${new Date(T0 + n * 300_000).toISOString()}`);
    // Act
    const { store, findings } = await feed([Array.from({ length: 12 }, (_, n) => run(n)).flat()]);
    // Assess
    expect(findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual([0, 1, 2].map((n) => `run-failed ${runKey(n)}`));
    const agent = (await store.load(['agent#digest-bot'])).get('agent#digest-bot')?.state as AgentState;
    expect(agent.roots).toBe(12);
  });

  it("judges an earlier run once: not again with its id's later lines after 500 other roots of the agent", async () => {
    // Prepare: day 1 fails; 600 other roots; day 2 comes line by line
    const others = Array.from({ length: 600 }, (_, i) => [start(100 + i * 10, 'digest-bot', `r-${i}`), end(105 + i * 10, 'digest-bot', `r-${i}`, { actions_reported: 0, output_bytes: 5 })]).flat();
    const day2 = day(1);
    // Act
    const { store, findings } = await feed([day(0, { status: 'error' }), others, ...day2.map((line) => [line])], undefined, ctxAt(T0 + 2 * DAY * 1000));
    // Assess
    expect(findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['run-failed digest']);
    const agent = (await store.load(['agent#digest-bot'])).get('agent#digest-bot')?.state as AgentState;
    expect(agent.roots).toBe(602);
  });

  it('blames the root a sub-agent id ran under: one used again under another root an hour later', async () => {
    // Prepare: root-A's researcher-1 does 3 actions, root-B's (the same id) 40, over root-B's budget of 30
    const tree = (root: string, from: number, n: number) => [
      start(from, 'support-bot', root, { budget: { max_actions: 30 } }),
      start(from + 2, 'researcher', 'researcher-1', { parent_run_id: root }),
      ...acts(n, from + 60, 'researcher', 'researcher-1'),
      end(from + 120, 'researcher', 'researcher-1', { actions_reported: n }),
      end(from + 121, 'support-bot', root, { output_bytes: 500 }),
    ];
    const [a, b] = [tree('root-A', 0, 3), tree('root-B', 3600, 40)];
    // Act: in one batch (a scan), and a batch per root (ingest), then root-A's lines again
    const { findings } = await feed([[...a, ...b]], undefined, ctxAt(T0 + 3 * 3_600_000));
    const ingested = await feed([a, b, a], undefined, ctxAt(T0 + 3 * 3_600_000));
    // Assess
    expect(findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['budget-exceeded root-B']);
    expect(findings[0].evidence).toMatchObject({ actions: 40 });
    expect(ingested.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['budget-exceeded root-B']);
  });

  it("counts both runs of a sub-agent id its root called twice, one after the other, in the root's tree", async () => {
    // Prepare: researcher-1 does 20 actions, ends, and is called again for 20 more: 41 actions over root-A's budget of 30
    const lines = [
      start(0, 'support-bot', 'root-A', { budget: { max_actions: 30 } }),
      act(1, 'support-bot', 'root-A', { action: 'subagent_call' }),
      start(2, 'researcher', 'researcher-1', { parent_run_id: 'root-A' }), ...acts(20, 10, 'researcher', 'researcher-1'), end(60, 'researcher', 'researcher-1', { actions_reported: 20 }),
      start(100, 'researcher', 'researcher-1', { parent_run_id: 'root-A' }), ...acts(20, 110, 'researcher', 'researcher-1'), end(160, 'researcher', 'researcher-1', { actions_reported: 20 }),
      end(200, 'support-bot', 'root-A', { actions_reported: 41, output_bytes: 500 }),
    ];
    // Act: in one batch, and in two
    const { findings } = await feed([lines]);
    const split = await feed([lines.slice(0, 25), lines.slice(25)]);
    // Assess
    expect(findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['budget-exceeded root-A']);
    expect(findings[0].evidence).toMatchObject({ actions: 41 });
    expect(split.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['budget-exceeded root-A']);
  });

  it('judges an earlier run that names a parent as a root when it is the earliest run of a parent cycle', async () => {
    // Prepare: c1 and c2 name each other as parent and both fail, and the same a day later
    const pair = (t: number) => [start(t, 'a', 'c1', { parent_run_id: 'c2' }), start(t + 1, 'b', 'c2', { parent_run_id: 'c1' }), act(t + 2, 'a', 'c1'),
      end(t + 5, 'b', 'c2', { status: 'error', actions_reported: 0 }), end(t + 6, 'a', 'c1', { status: 'error', actions_reported: 1, output_bytes: 5 })];
    const ctx = ctxAt(T0 + 2 * DAY * 1000);
    // Act: in one batch, and a batch per day
    const cycles = await feed([[...pair(0), ...pair(DAY)]], undefined, ctx);
    const cyclesByDay = await feed([pair(0), pair(DAY)], undefined, ctx);
    // Assess: each day's c1 is the root of its cycle's tree, c2 in it
    const again = `c1@${new Date(T0 + DAY * 1000).toISOString()}`;
    expect(cycles.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['run-failed c1', `run-failed ${again}`]);
    expect(cyclesByDay.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['run-failed c1', `run-failed ${again}`]);
  });

  it('has the sweep judge an earlier run whose named parent never started, as it judges a current one', async () => {
    // Prepare: w1 (parent 'ghost', never seen) fails, and runs again ok 10 minutes later
    const orphan = (t: number, status: string) => [start(t, 'sub', 'w1', { parent_run_id: 'ghost' }), act(t + 2, 'sub', 'w1'), end(t + 6, 'sub', 'w1', { status, actions_reported: 1, output_bytes: 5 })];
    const [first, second] = [orphan(0, 'error'), orphan(600, 'ok')];
    const ctx = ctxAt(T0 + 700_000);
    // Act: in one batch, and a batch each; the sweep an hour later
    const results = [];
    for (const batches of [[[...first, ...second]], [first, second]]) {
      const { store, findings } = await feed(batches, undefined, ctx);
      const swept = await sweepAgentRoots(store, ctxAt(T0 + 3_600_000));
      const agent = (await store.load(['agent#sub'])).get('agent#sub')?.state as AgentState;
      results.push({ findings: [...findings, ...swept.findings].map((f) => `${f.detector} ${f.run_id}`), open: agent.open, roots: agent.roots });
    }
    // Assess
    for (const result of results) expect(result).toEqual({ findings: ['run-failed w1'], open: [], roots: 2 });
  });

  it('has the sweep judge a later run of the id that never ends, once it goes quiet', async () => {
    // Prepare: day 1 ends; day 2 starts, acts 25 times and is never heard of again
    const lines = [...day(0), start(DAY, 'digest-bot', 'digest', { budget: { max_actions: 20 } }), ...acts(25, DAY + 1, 'digest-bot', 'digest')];
    const { store, findings } = await feed([lines], undefined, ctxAt(T0 + DAY * 1000 + 60_000));
    // Act
    const swept = await sweepAgentRoots(store, ctxAt(T0 + DAY * 1000 + 2 * 3_600_000));
    // Assess
    expect(findings).toEqual([]);
    expect(swept.findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual([`budget-exceeded ${key(1)}`, `run-unfinished ${key(1)}`]);
    const agent = (await store.load(['agent#digest-bot'])).get('agent#digest-bot')?.state as AgentState;
    expect(agent.open).toEqual([{ run_id: key(1), started_at: T0 + DAY * 1000 }]);
    const run = (await store.load(['agentrun#digest'])).get('agentrun#digest')?.state as AgentRunState;
    expect(firedMarks(run.fired_unended)).toEqual([mark('budget-exceeded', key(1)), mark('run-unfinished', key(1))]);
    expect(run.previous?.[0].fired_unended).toBeUndefined();
  });

  it('judges an earlier run once: not again when a later batch holds only an already-seen line of its id, after 500 other roots', async () => {
    // Prepare: days 1 and 2 in one batch (day 1 fails and is started again), 600 other roots, then day 2's action delivered again alone
    const others = Array.from({ length: 600 }, (_, i) => [start(3 * DAY + i * 10, 'digest-bot', `r-${i}`), end(3 * DAY + 5 + i * 10, 'digest-bot', `r-${i}`, { actions_reported: 0, output_bytes: 5 })]).flat();
    const day2 = day(1);
    // Act
    const { store, findings } = await feed([[...day(0, { status: 'error' }), ...day2], others, [day2[1]]], undefined, ctxAt(T0 + 5 * DAY * 1000));
    // Assess
    expect(findings.map((f) => `${f.detector} ${f.run_id}`).filter((f) => !f.includes(' r-'))).toEqual(['run-failed digest']);
    // 602, and the current run once more: its own line delivered again after its judged root was let go, as any run's
    const agent = (await store.load(['agent#digest-bot'])).get('agent#digest-bot')?.state as AgentState;
    expect(agent.roots).toBe(603);
    const run = (await store.load(['agentrun#digest'])).get('agentrun#digest')?.state as AgentRunState;
    expect(run.rolled).toBeUndefined();
  });

  it('ends a fast run that starts and ends in the second the run before ended (second-resolution logs)', async () => {
    // Prepare: run 2 starts and fails in second 1, where run 1 ended; run 3 a minute later
    const lines = [
      start(0, 'cron-bot', 'tick'), act(0, 'cron-bot', 'tick', { cost_usd: 0.01 }), end(1, 'cron-bot', 'tick', { actions_reported: 1, output_bytes: 50 }),
      start(1, 'cron-bot', 'tick'), act(1, 'cron-bot', 'tick', { action: 'x2', cost_usd: 0.01 }), end(1, 'cron-bot', 'tick', { status: 'error', actions_reported: 1, output_bytes: 0 }),
      start(60, 'cron-bot', 'tick'), act(60, 'cron-bot', 'tick', { action: 'x3', cost_usd: 0.01 }), end(61, 'cron-bot', 'tick', { actions_reported: 1, output_bytes: 50 }),
    ];
    // Act
    const { findings } = await feed([lines], undefined, ctxAt(T0 + 2 * DAY * 1000));
    // Assess: run 2 failed; run 3 is its own run, none of run 2's actions counted in it
    expect(findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual([`run-failed tick@${new Date(T0 + 1000).toISOString()}`]);
  });

  it("takes a sub-agent run started in the second its root's run ended into the later run of the root started then, not into both", async () => {
    // Prepare: root 'loop' calls 'helper' once a run (5 actions, budget 8); run 2 starts in the second run 1 ends, its helper too
    const run = (t: number) => [
      start(t, 'loop-bot', 'loop', { budget: { max_actions: 8 } }), start(t, 'loop-bot', 'helper', { parent_run_id: 'loop' }),
      ...[0, 1, 2, 3, 4].map((i) => act(t + 1, 'loop-bot', 'helper', { action: `a${t}-${i}`, cost_usd: 0.01 })),
      end(t + 2, 'loop-bot', 'helper', { actions_reported: 5, output_bytes: 10 }), end(t + 2, 'loop-bot', 'loop', { actions_reported: 5, output_bytes: 10 }),
    ];
    // Act
    const { findings } = await feed([[...run(0), ...run(2)]], undefined, ctxAt(T0 + 2 * DAY * 1000));
    // Assess
    expect(findings.map((f) => `${f.detector} ${f.run_id}`)).toEqual([]);
  });

  it('measures each earlier run once when one batch starts its id again 500 times (no kept runs stringified at each roll-over)', () => {
    // Prepare: 500 back-to-back runs of one id, 10 actions each, in one batch
    const lines = Array.from({ length: 500 }, (_, k) => [
      start(k * 20, 'looper', 'loop'),
      ...Array.from({ length: 10 }, (_, i) => act(k * 20 + 1 + i, 'looper', 'loop', { action: `tool_${i}`, tick: i, cost_usd: 0.001 * i, tokens_in: 100 })),
      end(k * 20 + 15, 'looper', 'loop', { actions_reported: 10, output_bytes: 50 }),
    ]).flat();
    const stringify = JSON.stringify;
    let bytes = 0;
    const spy = vi.spyOn(JSON, 'stringify').mockImplementation((...args: Parameters<typeof JSON.stringify>) => {
      const text = stringify(...args);
      bytes += text.length;
      return text;
    });
    // Act
    let run: AgentRunState;
    try {
      run = applyAgentRunEvents(initialAgentRun('loop'), 'loop', lines, ctxAt(T0));
    } finally {
      spy.mockRestore();
    }
    // Assess: 64 kept; the 499 earlier runs (~0.7 KB each as JSON) measured about once, with the lines' own texts (0.95 MB;
    // 65 MB when the kept ones were measured again at each roll-over)
    expect([run.previous?.length, run.rolled]).toEqual([64, 64]);
    expect(bytes).toBeLessThan(499 * Buffer.byteLength(stringify(run.previous?.[0])) * 4);
  });

  it('says how many earlier runs one batch started again past the runs it keeps to judge, left unjudged (a poller every 30 s: 80 runs in a batch)', async () => {
    // Prepare: 80 back-to-back runs of one id in one batch: 64 earlier runs kept to judge, the current one, 15 let go
    const lines = Array.from({ length: 80 }, (_, k) => [start(k * 30, 'poller', 'poll'), end(k * 30 + 5, 'poller', 'poll', { output_bytes: 50 })]).flat();
    // Act
    const result = await processBatch(lines, REDUCERS, new MemoryAuditStore(), ctxAt(T0 + DAY * 1000));
    // Assess
    expect(result.olderThanHistory).toEqual([{ subject_kind: 'agent', subject: 'poll', runs: 15 }]);
  });
});

describe('the sub-agents an agent state keeps, with the months they ran in', () => {
  /** Seconds from T0 (5 October 2026) to an ISO time. */
  const sec = (iso: string) => (Date.parse(iso) - T0) / 1000;
  /** support-bot's root `id` at `iso`, calling researcher once, judged ended. */
  const rootAt = (iso: string, id: string) => {
    const s = sec(iso);
    return treeEvent(treeOf([start(s, 'support-bot', id), start(s + 1, 'researcher', `${id}.1`, { parent_run_id: id }), end(s + 2, 'researcher', `${id}.1`), end(s + 3, 'support-bot', id)], id, 'ended'));
  };
  const fresh: AgentState = deepFreeze({ agent: 'support-bot', history: [], judged: [], open: [], roots: 0 });
  const apply = (from: AgentState, events: readonly AuditEvent[]) => agentTreeReducer.apply(from, 'support-bot', events, ctxAt(Date.parse('2028-01-01T00:00:00Z'))).state;
  const researcher = (s: AgentState) => s.subagents?.find(([name]) => name === 'researcher');

  it('lists each month a sub-agent ran in once, oldest first, the latest 13, with its latest time', () => {
    // Prepare: researcher run on the 10th and the 20th of each month from September 2026 to December 2027 (16 months).
    const months = Array.from({ length: 16 }, (_, i) => new Date(Date.UTC(2026, 8 + i, 1)).toISOString().slice(0, 7));

    // Act
    const state = apply(fresh, months.flatMap((m, i) => [rootAt(`${m}-10T10:00:00Z`, `r-${i}-a`), rootAt(`${m}-20T10:00:00Z`, `r-${i}-b`)]));

    // Assess
    expect(researcher(state)).toEqual(['researcher', Date.parse('2027-12-20T10:00:02Z'), months.slice(3)]);
  });

  it('adds a month from a late tree when it is within the months listed, not one older than the oldest listed', () => {
    // Prepare: researcher seen in September and November.
    const state = apply(fresh, [rootAt('2026-09-10T10:00:00Z', 'r-1'), rootAt('2026-11-10T10:00:00Z', 'r-2')]);

    // Act: a tree of October, then one of August, judged late.
    const withOctober = apply(deepFreeze(state), [rootAt('2026-10-10T10:00:00Z', 'r-3')]);
    const withAugust = apply(deepFreeze(withOctober), [rootAt('2026-08-10T10:00:00Z', 'r-4')]);

    // Assess
    expect(researcher(state)).toEqual(['researcher', Date.parse('2026-11-10T10:00:02Z'), ['2026-09', '2026-11']]);
    expect(researcher(withOctober)).toEqual(['researcher', Date.parse('2026-11-10T10:00:02Z'), ['2026-09', '2026-10', '2026-11']]);
    expect(withAugust.subagents).toBe(withOctober.subagents);
  });

  /** support-bot's root `id` at `iso`, calling researcher for `seconds`, judged ended. */
  const rootCalling = (iso: string, id: string, seconds: number) => {
    const s = sec(iso);
    return treeEvent(
      treeOf([start(s, 'support-bot', id), start(s + 1, 'researcher', `${id}.1`, { parent_run_id: id }), end(s + 1 + seconds, 'researcher', `${id}.1`), end(s + 2 + seconds, 'support-bot', id)], id, 'ended'),
    );
  };

  it('lists every month a sub-agent run was in, from its start to its end: 31 October 23:00 to 1 November 00:30 ran in both', () => {
    // Prepare: researcher seen in September.
    const state = apply(fresh, [rootAt('2026-09-10T10:00:00Z', 'r-1')]);

    // Act: a 90-minute run over the turn of the month, then one from 29 September to 2 December.
    const overNight = apply(deepFreeze(state), [rootCalling('2026-10-31T22:59:59Z', 'r-2', 90 * 60)]);
    const overMonths = apply(fresh, [rootCalling('2026-09-29T12:00:00Z', 'r-3', 64 * 86_400)]);

    // Assess
    expect(researcher(overNight)).toEqual(['researcher', Date.parse('2026-11-01T00:30:00Z'), ['2026-09', '2026-10', '2026-11']]);
    expect(researcher(overMonths)).toEqual(['researcher', Date.parse('2026-12-02T12:00:01Z'), ['2026-09', '2026-10', '2026-11', '2026-12']]);
  });

  it('lists the latest 13 months of a sub-agent run longer than that', () => {
    // Act: researcher run from 10 January 2026 to 10 March 2027 (15 months).
    const state = apply(fresh, [rootCalling('2026-01-10T10:00:00Z', 'r-1', (Date.parse('2027-03-10T10:00:00Z') - Date.parse('2026-01-10T10:00:01Z')) / 1000)]);

    // Assess
    const months = Array.from({ length: 13 }, (_, i) => new Date(Date.UTC(2026, 2 + i, 1)).toISOString().slice(0, 7));
    expect(researcher(state)?.[2]).toEqual(months);
  });

  it('adds the months of a late tree whose sub-agent run reaches the oldest listed, and leaves the list as it was for one of a listed month', () => {
    // Prepare: researcher seen in November only.
    const state = deepFreeze(apply(fresh, [rootAt('2026-11-10T10:00:00Z', 'r-1')]));

    // Act: a run from 30 September to 1 November judged late; a run within November.
    const late = apply(state, [rootCalling('2026-09-30T10:00:00Z', 'r-2', 32 * 86_400)]);
    const again = apply(state, [rootCalling('2026-11-05T10:00:00Z', 'r-3', 3600)]);

    // Assess
    expect(researcher(late)).toEqual(['researcher', Date.parse('2026-11-10T10:00:02Z'), ['2026-09', '2026-10', '2026-11']]);
    expect(again.subagents).toBe(state.subagents);
  });

  it('reads an entry written before the months were kept: its latest time’s month listed with a later run’s, left as it was by an older run', () => {
    // Prepare: researcher last seen under support-bot on 10 September, as an earlier version wrote it.
    const old: AgentState = deepFreeze({ ...apply(fresh, [rootAt('2026-09-10T10:00:00Z', 'r-1')]), subagents: [['researcher', Date.parse('2026-09-10T10:00:02Z')]] });

    // Act
    const later = apply(old, [rootAt('2026-11-10T10:00:00Z', 'r-2')]);
    const older = apply(old, [rootAt('2026-08-10T10:00:00Z', 'r-3')]);

    // Assess
    expect(researcher(later)).toEqual(['researcher', Date.parse('2026-11-10T10:00:02Z'), ['2026-09', '2026-11']]);
    expect(older.subagents).toBe(old.subagents);
  });
});
