import { nameAsLogged, runIdAsLogged } from '../config.ts';
import type { StateStore } from '../ports.ts';
import {
  AGENT_INDEX_STATE_KIND,
  AGENT_INDEX_SUBJECT,
  type AgentIndexState,
  agentIndexReducer,
  agentRunNoteReducer,
  type AgentState,
  agentTreeReducer,
  firedUnendedNotes,
  judgedAloneNotes,
  judgedRootsOf,
  runningTreesToJudge,
} from './agent-reducer.ts';
import { buildTreeSnapshot, DEFAULT_STALE_OPTIONS, judgeStaleAgentRoots, type StaleJudgementOptions, type StaleRootCandidate } from './agent-tree.ts';
import { readCurrent, RunCache, takenBackEvents, treeEvent } from './agent-tree-loader.ts';
import type { CommitRetry } from './commit-retry.ts';
import { type BatchResult, processBatch, type ReduceContext, type SubjectReducer } from './pipeline.ts';

/**
 * The sweep's hook for agent roots that never end (or whose trees never finish): reads the agent
 * index, the open roots of every agent, and their trees; judges those quiet for long enough
 * (`judgeStaleAgentRoots`), and the budget of those still going, which a root stuck in a loop
 * never is (`running`: reported as soon as the tree is over its budget, not when it ends or goes
 * quiet); and folds the snapshots into the agent states like any batch (one read, one conditional
 * write per agent). Snapshots already judged change nothing, and a running tree is handed on only
 * when it has something new to report (`runningTreesToJudge`, against the agent states read here),
 * so running it every few minutes is cheap: reads only. What it reported of a root that has not
 * ended is then noted on the root's aggregate (`firedUnendedNotes`: one write per root, once), so
 * that a root that falls off its agent's bounded lists is never reported twice. The open roots
 * include runs whose named parent has not started: judged as roots of their own trees once settled
 * (`orphanSettleMs`), and let go (`adopted`) once their parent starts. `judgeAt` gives the time an agent's open roots are
 * judged at (never past the clock's): the scan's, for a file whose agents are read hours apart.
 * With `orTreeLatest` (the scan's hourly sweeps), a root is judged as of its tree's latest line
 * when that is later (never past the clock's): a root whose sub-agents, under other agent names, do
 * the work has its own agent's latest line at its start, and a loop under it was not seen until the
 * last sweep. Its tree's own lines show it still going then, so it is never judged quiet by that
 * time: only its budget is counted, as it stood. `retry`: how a write that lost to a concurrent
 * one is retried (the deployed sweep: while its invocation has time).
 */
export async function sweepAgentRoots(
  store: StateStore,
  ctx: ReduceContext,
  options: StaleJudgementOptions = DEFAULT_STALE_OPTIONS,
  judgeAt?: (agent: string) => number,
  { orTreeLatest = false, retry = {} }: { readonly orTreeLatest?: boolean; readonly retry?: CommitRetry } = {},
): Promise<BatchResult> {
  const indexKey = `${AGENT_INDEX_STATE_KIND}#${AGENT_INDEX_SUBJECT}`;
  const index = (await readCurrent(store, [indexKey])).get(indexKey)?.state as AgentIndexState | undefined;
  if (!index || index.agents.length === 0) return { findings: [], subjects: 0, conflicts: 0 };
  const states = await readCurrent(store, index.agents.map((a) => `agent#${a}`));
  const stateOf = (agent: string) => states.get(`agent#${agent}`)?.state as AgentState | undefined;
  const now = ctx.clock.now();
  const quietest = Math.min(options.settleMs, options.staleAfterMs, options.orphanSettleMs);
  // The open roots, each with the time it is judged at.
  const open: { at: number; candidate: StaleRootCandidate }[] = [];
  for (const agent of index.agents) {
    const state = stateOf(agent);
    const at = judgeAt ? Math.min(now, judgeAt(agent)) : now;
    // An agent or root whose name or id a redact pattern added since it started now hides is left
    // out: its later lines come under the redacted name, and a finding would send out the raw one.
    if (nameAsLogged(agent, ctx.config) !== agent) continue;
    for (const root of state?.open ?? []) {
      if (runIdAsLogged(root.run_id, ctx.config) === root.run_id) open.push({ at, candidate: { agent, run_id: root.run_id, started_at: root.started_at } });
    }
  }
  const cache = new RunCache(store);
  if (orTreeLatest) await cache.loadTrees(open.map((o) => o.candidate.run_id));
  const treeAt = ({ at, candidate }: (typeof open)[number]) =>
    orTreeLatest ? Math.min(now, Math.max(at, buildTreeSnapshot(candidate.run_id, cache.runs)?.last_at ?? at)) : at;
  // The open roots to judge, by the time they are judged at.
  const candidatesAt = new Map<number, StaleRootCandidate[]>();
  for (const o of open) {
    const at = treeAt(o);
    if (at - o.candidate.started_at < quietest) continue;
    const some = candidatesAt.get(at);
    if (some) some.push(o.candidate);
    else candidatesAt.set(at, [o.candidate]);
  }
  const candidates = [...candidatesAt.values()].flat();
  if (candidates.length === 0) return { findings: [], subjects: 0, conflicts: 0 };
  await cache.load(candidates.map((c) => c.run_id));
  await cache.loadParents(candidates.map((c) => c.run_id));
  await cache.loadTrees(candidates.map((c) => c.run_id));
  const snapshots = [...candidatesAt].flatMap(([at, some]) => judgeStaleAgentRoots(some, cache.runs, at, options));
  // The agents' judged roots as read here, for both the running trees' judgement and the notes after it.
  const judgedOf = judgedRootsOf(stateOf);
  const historyOf = (agent: string) => stateOf(agent)?.history ?? [];
  const trees = runningTreesToJudge(snapshots, judgedOf, ctx.config, historyOf);
  // Roots judged without their parent first note what they found on their own run, so that a
  // parent that starts after all does not have its tree report it again.
  const notes = judgedAloneNotes(trees, ctx.config, historyOf);
  const noteReducers: readonly SubjectReducer<unknown>[] = [agentRunNoteReducer as SubjectReducer<unknown>];
  const noted = notes.length > 0 ? await processBatch(notes, noteReducers, store, ctx, retry) : undefined;
  const reducers: readonly SubjectReducer<unknown>[] = [agentTreeReducer as SubjectReducer<unknown>, agentIndexReducer as SubjectReducer<unknown>];
  // Sub-agents counted as roots of their own agent before their parent started leave those agents' histories first.
  const takenBack = trees.flatMap((tree) => takenBackEvents(tree, cache.runs));
  const judged = await processBatch([...takenBack, ...trees.map(treeEvent)], reducers, store, ctx, retry);
  // Then, on the roots not ended, what was reported of their trees (this sweep's findings, or an earlier one's).
  const reported = firedUnendedNotes(snapshots, judgedOf, judged.findings);
  const marked = reported.length > 0 ? await processBatch(reported, noteReducers, store, ctx, retry) : undefined;
  const extra = [noted, marked].filter((r): r is BatchResult => r !== undefined);
  return extra.reduce((sum, r) => ({ ...sum, subjects: sum.subjects + r.subjects, conflicts: sum.conflicts + r.conflicts }), judged);
}
