import { type AgentBudget, type AgentRunInstance, type AgentRunState, type CountCost, earlierRun, firedMarks, runKeyOf } from './agent-run.ts';
import { type FindingSource, sameSource } from './findings.ts';

/**
 * The agent tree, pure: a root run and every run under it (`parent_run_id`, any depth) put
 * together from their per-run aggregates, and the sums the detectors judge (contract §1a: the
 * tree shares the root's budget, and every action anywhere in it counts, where it happened).
 */

/** The fields of a run's aggregate a tree carries: its own counts (not its children's), its times and status. */
type TreeRunFields =
  | 'run_id'
  | 'parent_run_id'
  | 'started_at'
  | 'ended_at'
  | 'status'
  | 'budget'
  | 'actions_reported'
  | 'cost_reported_usd'
  | 'output_bytes'
  | 'actions'
  | 'cost_usd'
  | 'costed'
  | 'tokens'
  | 'tokened'
  | 'by_action'
  | 'by_tick'
  | 'unticked'
  | 'unticked_cost_usd';

/** One run of a tree, with its own counts (not its children's) and its depth under the root (0). */
export interface TreeRun extends Pick<AgentRunState, TreeRunFields> {
  readonly agent: string;
  readonly depth: number;
}

/**
 * `open`: the root started and is not judged yet (recorded so the sweep can find it);
 * `ended`: the root and every run known under it ended — judge the tree;
 * `stale`: the sweep gave up waiting — judge what there is;
 * `running`: the sweep's look at a tree that has neither ended nor gone stale (a root stuck in a loop
 * is never quiet and never ends): only `budget-exceeded` judges it, since the count of a tree only
 * grows, so a tree over its budget now is over it whatever comes later; the agent's own count
 * (budget-undercount) comes with its end and its final cost (cost-outlier) is not known yet. The
 * root stays open, to be judged in full when it ends or goes stale;
 * `adopted`: a root the sweep waited on turned out to have a parent after all (its guessed parent is
 * an agent run, or its named parent started): its parent's tree judges it, it leaves the open list.
 * Detectors never see this phase.
 */
export type TreePhase = 'open' | 'ended' | 'stale' | 'running' | 'adopted';

/** A tree as the agent reducer judges it: the event the loader derives from the run aggregates. */
export interface TreeSnapshot {
  readonly type: 'agent.tree';
  readonly phase: TreePhase;
  /** The root run's agent: the subject of every finding about the tree. */
  readonly agent: string;
  readonly root_run_id: string;
  readonly started_at?: number;
  readonly ended_at?: number;
  /** The latest line seen anywhere in the tree. */
  readonly last_at: number;
  /** Facts absorbed by all its runs: a larger number is a newer view of the same tree. */
  readonly facts: number;
  /** Root first, then breadth first. */
  readonly runs: readonly TreeRun[];
  /** Runs that started and have not ended. */
  readonly unended: number;
  /** The tree was cut at `MAX_TREE_RUNS` runs or `MAX_TREE_DEPTH` levels, or a run had too many children to link. */
  readonly truncated: boolean;
  /**
   * The root names a parent: one only guessed (OpenTelemetry) that never turned out to be an agent
   * run, or one named in its `agent.start` that has not started (`parent_unseen`). Such a tree is
   * judged by the sweep only, once it has settled, in case its parent turns up.
   */
  readonly tentative: boolean;
  /** The parent the root names in its `agent.start` (not a guess), which has not started: the tree is judged without it. */
  readonly parent_unseen?: string;
  /**
   * The root's named parent is a run of its own tree: the runs' `parent_run_id`s form a cycle, these
   * runs from the root on (`cycleRootOf` picks its earliest as the root). Judged at once, as a root.
   */
  readonly parent_cycle?: readonly string[];
  /**
   * Marks of findings (`firedId`: 8 characters, a fingerprint of `detector#run_id`) reported already, as the aggregates of its runs note them (`firedMarks`): when a
   * run under the root was judged as the root of its own tree, before its parent started
   * (`AgentRunState.judged_alone`), and when the sweep judged this tree before its root ended
   * (`AgentRunState.fired_unended`, on the root). Not reported again.
   */
  readonly fired_before?: readonly string[];
  /**
   * Runs under the root whose own tree the sweep judged ended, as a root, before their parent
   * started (`AgentRunState.counted_alone`): each is taken out of its agent's root runs and cost
   * history (`takenBackEvents`).
   */
  readonly counted_alone?: readonly string[];
  /** When the sweep judged a tree that has not ended (`stale`, `running`): run-unfinished measures the root's runtime to it. */
  readonly judged_at?: number;
  /**
   * Where the tree's lines were read (`treeSource`): the `source` of every finding judged from it.
   * Absent when none of its runs' aggregates keeps one (written before it was kept); with no stream
   * when one of them lacks it.
   */
  readonly source?: FindingSource;
}

export interface Totals {
  readonly actions: number;
  readonly cost_usd: number;
  readonly costed: number;
  readonly tokens: number;
  readonly tokened: number;
}

export const MAX_TREE_RUNS = 2000;
export const MAX_TREE_DEPTH = 32;

/**
 * Whether an aggregate is a root: it started, and has no parent, or only a guessed one that leads
 * to no agent run (`agentRunAbove`). `runs` must hold its parent, and the parents above it through
 * pass-through spans (`RunCache.loadParents`).
 */
export function isRootRun(run: AgentRunState, runs: ReadonlyMap<string, AgentRunState | undefined>): boolean {
  if (run.started_at === undefined) return false;
  if (run.parent_run_id === undefined) return true;
  return run.parent_tentative === true && agentRunAbove(run, runs) === undefined;
}

/**
 * The agent run a run's parent span is, or leads to through pass-through spans (a step or tool
 * span linked to its agent: a sub-agent run as a tool, whose spans an SDK's batch exporter sends
 * before the tool span's, or one in another service under the HTTP span the tool made): the first
 * run up the chain that started. `undefined` when the chain stops before one: a span not linked
 * (yet), or not in `runs`.
 */
export function agentRunAbove(run: AgentRunState, runs: ReadonlyMap<string, AgentRunState | undefined>): AgentRunState | undefined {
  const seen = new Set<string>([run.run_id]);
  let parentId = run.parent_run_id;
  for (let hops = 0; parentId !== undefined && hops <= MAX_TREE_DEPTH && !seen.has(parentId); hops++) {
    const parent = runs.get(parentId);
    if (parent === undefined) return undefined;
    if (parent.started_at !== undefined) return parent;
    if (!isPassThrough(parent)) return undefined;
    seen.add(parentId);
    parentId = parent.parent_run_id;
  }
  return undefined;
}

/**
 * Whether an aggregate started under a parent its `agent.start` names (not a guess) that has not
 * started: the parent's log group is not subscribed, its lines were lost, it runs in another
 * account, or its start is merely late. Until that parent starts, the run is judged as the root of
 * its own tree (by the sweep, once its tree has settled); `runs` must hold the parent's aggregate
 * when there is one.
 */
export function isOrphanRun(run: AgentRunState, runs: ReadonlyMap<string, AgentRunState | undefined>): boolean {
  if (run.started_at === undefined || run.parent_run_id === undefined || run.parent_tentative === true) return false;
  return runs.get(run.parent_run_id)?.started_at === undefined;
}

/** Whether an aggregate stands as the root of a tree by its parent: a root, or a run whose named parent has not started (a parent cycle's root stands too: `standsAsRoot`). */
export function standsAlone(run: AgentRunState, runs: ReadonlyMap<string, AgentRunState | undefined>): boolean {
  return isRootRun(run, runs) || isOrphanRun(run, runs);
}

/**
 * The tree under `rootId` from the aggregates at hand (children not in `runs` are left out: the
 * loader loads every level before building). Breadth first, cycle-safe, bounded.
 */
export function buildTreeSnapshot(rootId: string, runs: ReadonlyMap<string, AgentRunState | undefined>, phase?: TreePhase): TreeSnapshot | undefined {
  const root = runs.get(rootId);
  if (!root) return undefined;
  const out: TreeRun[] = [];
  /** The aggregate (or earlier run of its id) of each run in `out`. */
  const outRuns: AgentRunState[] = [];
  /** Every aggregate the tree holds, pass-through spans folded into a run included. */
  const held: AgentRunState[] = [];
  const visited = new Set<string>([rootId]);
  /** The keys (`runKeyOf`) of the sub-agent runs taken: a sub-agent id may have run more than once under the tree. */
  const instancesTaken = new Set<string>([runKeyOf(root)]);
  let truncated = false;
  let frontier: { run: AgentRunState; parent?: string }[] = [{ run: root }];
  for (let depth = 0; frontier.length > 0; depth++) {
    if (depth >= MAX_TREE_DEPTH) {
      truncated = true;
      break;
    }
    const next: { run: AgentRunState; parent?: string }[] = [];
    for (const { run, parent } of frontier) {
      if (out.length >= MAX_TREE_RUNS) {
        truncated = true;
        break;
      }
      const folded = passThroughsUnder(run, runs, visited);
      if (folded.truncated) truncated = true;
      out.push(treeRunOf(folded.runs.length > 0 ? withCountsOf(run, folded.runs) : run, depth, parent));
      outRuns.push(run);
      held.push(run, ...folded.runs);
      if (run.children_dropped > 0) truncated = true;
      // Its sub-agents, and those under its pass-through spans (a sub-agent run as a tool): children of the run.
      for (const holder of [run, ...folded.runs]) {
        for (const childId of holder.children) {
          for (const child of instancesUnder(runs.get(childId), holder)) {
            if (instancesTaken.has(runKeyOf(child)) || isPassThrough(child)) continue;
            // A child names its parent in its own start; a list entry that disagrees is not followed.
            if (child.parent_run_id !== undefined && child.parent_run_id !== holder.run_id) continue;
            visited.add(childId);
            instancesTaken.add(runKeyOf(child));
            next.push({ run: child, parent: runKeyOf(run) });
          }
        }
      }
    }
    frontier = next;
  }
  const unended = out.filter((r) => r.ended_at === undefined).length;
  const firedBefore: string[] = [...firedMarks(root.fired_unended)];
  const countedAlone: string[] = [];
  for (let i = 1; i < out.length; i++) {
    const run = outRuns[i];
    const marks = run.judged_alone;
    if (marks && marks.length > 0) firedBefore.push(...firedMarks(marks));
    if (run.counted_alone === true) countedAlone.push(run.run_id);
  }
  const cycle = root.parent_run_id !== undefined && visited.has(root.parent_run_id) ? parentCycle(root, runs) : undefined;
  const lastAt = Math.max(...held.map((r) => r.last_at ?? r.started_at ?? 0));
  const facts = held.reduce((n, r) => n + r.facts, 0);
  const ended = root.ended_at !== undefined && unended === 0;
  const source = treeSource(held);
  return {
    type: 'agent.tree',
    phase: phase ?? (ended ? 'ended' : 'open'),
    agent: root.agent ?? 'unknown-agent',
    root_run_id: runKeyOf(root),
    started_at: root.started_at,
    ended_at: root.ended_at,
    last_at: lastAt,
    facts,
    runs: out,
    unended,
    truncated,
    tentative: root.parent_run_id !== undefined && cycle === undefined,
    ...(cycle !== undefined ? { parent_cycle: cycle } : {}),
    ...(root.parent_run_id !== undefined && isOrphanRun(root, runs) ? { parent_unseen: root.parent_run_id } : {}),
    ...(firedBefore.length > 0 ? { fired_before: firedBefore } : {}),
    ...(countedAlone.length > 0 ? { counted_alone: countedAlone } : {}),
    ...(source !== undefined ? { source } : {}),
  };
}

/**
 * Where a tree's lines were read, as a batch's lines name it (`findingSourceOfLines`): where the
 * run with the latest line read it, with its stream only when every run's lines came in that one
 * stream of that group (a tree over several streams names the latest one's group alone, as does a
 * tree holding a run kept with no source: where its lines were read is unknown).
 */
export function treeSource(runs: readonly AgentRunState[]): FindingSource | undefined {
  let latest: AgentRunState | undefined;
  for (const run of runs) if (run.source !== undefined && (latest === undefined || (run.last_at ?? 0) > (latest.last_at ?? 0))) latest = run;
  const last = latest?.source;
  if (last?.log_stream === undefined || runs.every((run) => sameSource(run.source, last))) return last;
  return { log_group: last.log_group };
}

/**
 * The runs of a child's id that ran under `parent`: the child's aggregate, or, when its id was
 * started again (`previous`), every one of its runs that names this parent and started while the
 * parent ran, oldest first (a sub-agent id called twice by its root, used again under another
 * root, or under a later run of the same root's id); its aggregate when none does.
 */
function instancesUnder(child: AgentRunState | undefined, parent: AgentRunState): AgentRunState[] {
  if (child === undefined) return [];
  if (child.previous === undefined) return [child];
  // A run started in the second the parent ended is the later run's of the parent's id when one started then.
  const before = (at: number) => parent.ended_at === undefined || at < parent.ended_at || (at === parent.ended_at && parent.restarted_at !== at);
  const fits = (r: AgentRunInstance) =>
    (r.parent_run_id === undefined || r.parent_run_id === parent.run_id) &&
    (r.started_at === undefined || parent.started_at === undefined || (r.started_at >= parent.started_at && before(r.started_at)));
  const under = child.previous.flatMap((earlier, i) => (fits(earlier) ? [earlierRun(child, i)] : []));
  if (fits(child)) under.push(child);
  return under.length > 0 ? under : [child];
}

/**
 * The runs at hand as they stood while `run` ran (an earlier run of its id, `previous`): it under
 * its id, and up its named parents each parent id's run that ran at the same time (of its current
 * and earlier runs), for `standsAlone` and `cycleRootOf` to judge it as they judge a current run.
 */
export function concurrentView(run: AgentRunState, runs: ReadonlyMap<string, AgentRunState | undefined>): Map<string, AgentRunState | undefined> {
  const view = new Map(runs).set(run.run_id, run);
  const seen = new Set<string>([run.run_id]);
  for (let child = run; child.parent_run_id !== undefined && !seen.has(child.parent_run_id) && seen.size <= MAX_TREE_DEPTH; ) {
    const parent = runAlongside(runs.get(child.parent_run_id), child);
    if (parent === undefined) break;
    seen.add(parent.run_id);
    view.set(parent.run_id, parent);
    child = parent;
  }
  return view;
}

/** The run of an aggregate's id (its current or an earlier one) that ran while `other` did; its current run when none did. */
function runAlongside(run: AgentRunState | undefined, other: AgentRunState): AgentRunState | undefined {
  if (run?.previous === undefined || other.started_at === undefined) return run;
  const until = other.ended_at ?? other.last_at ?? other.started_at;
  const overlaps = (r: AgentRunInstance) => r.started_at !== undefined && r.started_at <= until && (r.ended_at ?? r.last_at ?? r.started_at) >= (other.started_at as number);
  if (overlaps(run)) return run;
  const earlier = run.previous.findIndex(overlaps);
  return earlier < 0 ? run : earlierRun(run, earlier);
}

/**
 * The run a key names (`runKeyOf`) of the runs at hand: the aggregate of its id, or, when the key
 * names one of the earlier runs it keeps (`previous`), that run (an open root started again since).
 */
export function runOfKey(key: string, runs: ReadonlyMap<string, AgentRunState | undefined>): AgentRunState | undefined {
  const run = runs.get(key);
  if (run?.previous === undefined || runKeyOf(run) === key) return run;
  const earlier = run.previous.findIndex((r) => (r.instance ?? run.run_id) === key);
  return earlier < 0 ? run : earlierRun(run, earlier);
}

/** The runs from `run` up its named parents until the chain comes back to it; undefined when it does not (within `MAX_TREE_DEPTH`). */
export function parentCycle(run: AgentRunState, runs: ReadonlyMap<string, AgentRunState | undefined>): string[] | undefined {
  const chain = [run.run_id];
  for (let id = run.parent_run_id; id !== undefined && chain.length <= MAX_TREE_DEPTH; id = runs.get(id)?.parent_run_id) {
    if (id === run.run_id) return chain;
    if (chain.includes(id) || runs.get(id)?.started_at === undefined) return undefined;
    chain.push(id);
  }
  return undefined;
}

/**
 * The root of a cycle of named parents that `run` climbs into (c1's parent c2, c2's parent c1):
 * its run that started first (then the least run id), judged as a root with its cycle
 * (`TreeSnapshot.parent_cycle`) instead of no run of it being judged. Undefined when its parents
 * lead to no cycle.
 */
export function cycleRootOf(run: AgentRunState, runs: ReadonlyMap<string, AgentRunState | undefined>): AgentRunState | undefined {
  const path = new Set<string>();
  let current: AgentRunState | undefined = run;
  while (current !== undefined && !path.has(current.run_id) && path.size <= MAX_TREE_DEPTH) {
    path.add(current.run_id);
    current = current.parent_run_id === undefined ? undefined : runs.get(current.parent_run_id);
  }
  if (current === undefined || !path.has(current.run_id)) return undefined;
  const members = parentCycle(current, runs)?.map((id) => runs.get(id) as AgentRunState);
  if (members === undefined) return undefined;
  return members.reduce((a, b) => ((b.started_at ?? 0) < (a.started_at ?? 0) || ((b.started_at ?? 0) === (a.started_at ?? 0) && b.run_id < a.run_id) ? b : a));
}

/** Whether the sweep and the tree loader judge an aggregate as the root of a tree: it stands alone (`standsAlone`), or is the root of its parent cycle (`cycleRootOf`). */
export function standsAsRoot(run: AgentRunState, runs: ReadonlyMap<string, AgentRunState | undefined>): boolean {
  return standsAlone(run, runs) || cycleRootOf(run, runs) === run;
}

/** A pass-through span's aggregate (see `AgentRunState.pass_through`): it never started, and holds actions of the run above it. */
export function isPassThrough(run: AgentRunState): boolean {
  return run.pass_through === true && run.started_at === undefined;
}

/**
 * The pass-through aggregates under a run, through chains of them (a step span under a step
 * span): their actions are the run's own, and the runs that started under them its sub-agents.
 */
function passThroughsUnder(run: AgentRunState, runs: ReadonlyMap<string, AgentRunState | undefined>, visited: Set<string>): { runs: AgentRunState[]; truncated: boolean } {
  const out: AgentRunState[] = [];
  let frontier = [run];
  for (let depth = 0; frontier.length > 0; depth++) {
    if (depth >= MAX_TREE_DEPTH) return { runs: out, truncated: true };
    const next: AgentRunState[] = [];
    for (const holder of frontier) {
      for (const childId of holder.children) {
        const child = runs.get(childId);
        if (!child || visited.has(childId) || !isPassThrough(child) || child.parent_run_id !== holder.run_id) continue;
        if (out.length >= MAX_TREE_RUNS) return { runs: out, truncated: true };
        visited.add(childId);
        out.push(child);
        next.push(child);
      }
      if (holder !== run && holder.children_dropped > 0) return { runs: out, truncated: true };
    }
    frontier = next;
  }
  return { runs: out, truncated: false };
}

/** A run with the counts of the pass-through aggregates under it added to its own. */
function withCountsOf(run: AgentRunState, passThroughs: readonly AgentRunState[]): AgentRunState {
  const all = [run, ...passThroughs];
  const sum = (field: 'actions' | 'cost_usd' | 'costed' | 'tokens' | 'tokened' | 'unticked') => all.reduce((n, r) => n + r[field], 0);
  // Object.fromEntries defines own properties, an action named `__proto__` included.
  return {
    ...run,
    actions: sum('actions'),
    cost_usd: sum('cost_usd'),
    costed: sum('costed'),
    tokens: sum('tokens'),
    tokened: sum('tokened'),
    unticked: sum('unticked'),
    ...untickedCostOf(all),
    by_action: Object.fromEntries(actionsOf(all)),
    by_tick: Object.fromEntries(ticksOf(all)),
  };
}

function treeRunOf(run: AgentRunState, depth: number, parent: string | undefined): TreeRun {
  return {
    run_id: runKeyOf(run),
    agent: run.agent ?? 'unknown-agent',
    ...(parent !== undefined ? { parent_run_id: parent } : {}),
    depth,
    started_at: run.started_at,
    ended_at: run.ended_at,
    status: run.status,
    budget: run.budget,
    actions_reported: run.actions_reported,
    cost_reported_usd: run.cost_reported_usd,
    output_bytes: run.output_bytes,
    actions: run.actions,
    cost_usd: run.cost_usd,
    costed: run.costed,
    tokens: run.tokens,
    tokened: run.tokened,
    by_action: run.by_action,
    by_tick: run.by_tick,
    unticked: run.unticked,
    ...untickedCostOf([run]),
  };
}

/**
 * The root run of a tree judged ended or stale, once its own `agent.end` came: what the job
 * detectors that judge an agent's run (empty-output, run-failed) read. Undefined for a tree still
 * going and for a root that has not ended (a stale tree whose root never ended).
 */
export function endedRoot(tree: TreeSnapshot): TreeRun | undefined {
  if (tree.phase !== 'ended' && tree.phase !== 'stale') return undefined;
  const root = tree.runs[0];
  return root !== undefined && root.depth === 0 && root.ended_at !== undefined ? root : undefined;
}

/** The cost of some runs' actions without a tick, as the field holds it: absent while 0. */
function untickedCostOf(runs: readonly Pick<AgentRunState, 'unticked_cost_usd'>[]): { unticked_cost_usd?: number } {
  const cost = runs.reduce((n, r) => n + (r.unticked_cost_usd ?? 0), 0);
  return cost > 0 ? { unticked_cost_usd: cost } : {};
}

/** A run and every run under it, in tree order. */
export function subtreeOf(tree: TreeSnapshot, runId: string): TreeRun[] {
  const inside = new Set<string>([runId]);
  const out: TreeRun[] = [];
  for (const run of tree.runs) {
    if (run.run_id === runId || (run.parent_run_id !== undefined && inside.has(run.parent_run_id))) {
      inside.add(run.run_id);
      out.push(run);
    }
  }
  return out;
}

export function totalsOf(runs: readonly TreeRun[]): Totals {
  let actions = 0;
  let cost = 0;
  let costed = 0;
  let tokens = 0;
  let tokened = 0;
  for (const r of runs) {
    actions += r.actions;
    cost += r.cost_usd;
    costed += r.costed;
    tokens += r.tokens;
    tokened += r.tokened;
  }
  return { actions, cost_usd: roundUsd(cost), costed, tokens, tokened };
}

/** Money sums, free of float dust (0.1 + 0.2): to the millionth of a dollar. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** Actions per tick over some runs: tick → [count, cost]. */
export function ticksOf(runs: readonly Pick<TreeRun, 'by_tick'>[]): Map<string, CountCost> {
  const ticks = new Map<string, CountCost>();
  for (const r of runs) {
    for (const [tick, [count, cost]] of Object.entries(r.by_tick)) {
      const [c, s] = ticks.get(tick) ?? [0, 0];
      ticks.set(tick, [c + count, s + cost]);
    }
  }
  return ticks;
}

/**
 * A run's actions per tick as a per-tick budget judges them: those without a tick count as tick 0,
 * as the agent kit counts them, so an agent that never calls `tick()` is still held to its budget.
 */
export function ticksCountingUnticked(run: Pick<TreeRun, 'by_tick' | 'unticked' | 'unticked_cost_usd'>): Record<string, CountCost> {
  if (run.unticked === 0) return run.by_tick;
  const [count, cost] = Object.hasOwn(run.by_tick, '0') ? run.by_tick['0'] : [0, 0];
  return { ...run.by_tick, '0': [count + run.unticked, cost + (run.unticked_cost_usd ?? 0)] };
}

/** Actions by kind (and name) over some runs: `tool_call:search` → [count, cost]. */
export function actionsOf(runs: readonly Pick<TreeRun, 'by_action'>[]): Map<string, CountCost> {
  const byAction = new Map<string, CountCost>();
  for (const r of runs) {
    for (const [key, [count, cost]] of Object.entries(r.by_action)) {
      const [c, s] = byAction.get(key) ?? [0, 0];
      byAction.set(key, [c + count, s + cost]);
    }
  }
  return byAction;
}

/** The budget a run is held to: its own `agent.start` budget, else its agent's configured one. */
export function effectiveBudget(run: TreeRun, configured: Readonly<Record<string, AgentBudget | undefined>>): { budget: AgentBudget; source: 'event' | 'config' } | undefined {
  if (run.budget) return { budget: run.budget, source: 'event' };
  const fromConfig = configured[run.agent];
  if (fromConfig && (fromConfig.max_actions !== undefined || fromConfig.max_cost_usd !== undefined)) return { budget: fromConfig, source: 'config' };
  return undefined;
}

export interface StaleRootCandidate {
  readonly agent: string;
  readonly run_id: string;
  readonly started_at: number;
}

export interface StaleJudgementOptions {
  /** A tree with no line for this long, whose root never ended (or whose runs did not all end), is judged as it stands. */
  readonly staleAfterMs: number;
  /** A finished tree whose root's parent was only guessed is judged once quiet for this long (its parent may yet turn out to be an agent). */
  readonly settleMs: number;
  /**
   * A finished tree whose root names a parent that has not started is judged, without it, once
   * quiet for this long. A parent writes its start before its children's, so a late one is late by
   * delivery only: seconds to minutes for a subscription, and a Kinesis consumer 15 minutes behind
   * is alarmed on as broken. Past that, the parent is taken for lost (a log group not subscribed,
   * another account); if it still comes, its tree is judged whole, without repeating findings.
   */
  readonly orphanSettleMs: number;
}

export const DEFAULT_STALE_OPTIONS: StaleJudgementOptions = { staleAfterMs: 60 * 60_000, settleMs: 5 * 60_000, orphanSettleMs: 15 * 60_000 };

/**
 * The sweep's judgement of roots that did not end (contract §6 and issue #5's "roots that never
 * end"): among the open roots the agent states list, those whose tree has been quiet long enough,
 * as snapshots for the agent reducer — `stale` when something in the tree never ended, `ended`
 * when it did but could not be judged at its end (a guessed parent, or a named parent that has not
 * started, had to settle first), `adopted` when the candidate has a parent after all (its parent's
 * tree judges it) — and the trees still going, as `running` snapshots: a root stuck in a loop is
 * never quiet, so its budget is checked while it runs. The caller keeps only the running trees
 * whose judgement finds something new (`runningTreesToJudge`): most are within their budget. A
 * root whose parent may yet turn up is looked at running only once it has had the time to settle
 * (measured from its start: a parent starts before its children), so that a parent that starts
 * late has its tree judge the run, not the run alone. `runs` holds the aggregates of the
 * candidates' trees and of their parents.
 */
export function judgeStaleAgentRoots(
  candidates: readonly StaleRootCandidate[],
  runs: ReadonlyMap<string, AgentRunState | undefined>,
  now: number,
  options: StaleJudgementOptions = DEFAULT_STALE_OPTIONS,
): TreeSnapshot[] {
  const out: TreeSnapshot[] = [];
  for (const candidate of candidates) {
    const root = runOfKey(candidate.run_id, runs);
    if (!root) continue;
    if (root !== runs.get(candidate.run_id)) {
      out.push(...judgeStaleAgentRoots([{ ...candidate, run_id: root.run_id }], concurrentView(root, runs), now, options));
      continue;
    }
    // A parent_run_id cycle's earliest run stands as a root, as the tree loader takes it.
    if (!standsAsRoot(root, runs)) {
      // The root alone (and its parent, which started): the reducer only lets it go.
      const alone = new Map([[root.run_id, { ...root, children: [] }]]);
      if (root.parent_run_id !== undefined) alone.set(root.parent_run_id, { ...(runs.get(root.parent_run_id) as AgentRunState), children: [] });
      if (root.started_at !== undefined) out.push(buildTreeSnapshot(root.run_id, alone, 'adopted') as TreeSnapshot);
      continue;
    }
    const tree = buildTreeSnapshot(candidate.run_id, runs);
    if (!tree) continue;
    const quietFor = now - tree.last_at;
    // How long a root whose parent may yet turn up waits (a named parent not started, a guessed one).
    const settle = tree.parent_unseen !== undefined ? options.orphanSettleMs : tree.tentative ? options.settleMs : 0;
    if (tree.phase === 'ended') {
      if (quietFor >= settle) out.push(tree);
    } else if (quietFor >= options.staleAfterMs) {
      out.push({ ...tree, phase: 'stale', judged_at: now });
    } else if (now - (tree.started_at ?? tree.last_at) >= settle) {
      out.push({ ...tree, phase: 'running', judged_at: now });
    }
  }
  return out;
}
