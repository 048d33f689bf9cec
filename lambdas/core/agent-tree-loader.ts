import type { StateStore, Versioned } from '../ports.ts';
import { agentRunKey, type AgentRunState, earlierRun, runIdOfInstance } from './agent-run.ts';
import { buildTreeSnapshot, concurrentView, cycleRootOf, isPassThrough, MAX_TREE_DEPTH, standsAlone, standsAsRoot, type TreePhase, type TreeSnapshot } from './agent-tree.ts';
import type { AuditEvent, EventBody } from './events.ts';

/**
 * Stage two of the agent tree, the part that reads: after a batch's run aggregates are committed,
 * walk up from every run it touched to its root (one `load` per level, all runs at once), and for
 * every root that ended, walk down its whole tree (again one `load` per level) and hand the
 * snapshot to the agent reducer. Reading after committing is what makes concurrent invocations
 * safe: of two that commit parts of one tree, the later reader sees both.
 */

export const TREE_EVENT_FORMAT = 'agent-tree';

/** A tree snapshot as an event for the agent reducer (it travels only in memory, never in a log). */
export function treeEvent(tree: TreeSnapshot): AuditEvent {
  const at = tree.phase === 'ended' ? (tree.ended_at ?? tree.last_at) : tree.phase === 'open' ? (tree.started_at ?? tree.last_at) : tree.last_at;
  // The snapshot is not one of the contract's line types; the agent reducers are the only ones that claim it.
  return { at, body: tree as unknown as EventBody, source: { origin: `agent-tree:${tree.root_run_id}`, synthetic: true }, format: TREE_EVENT_FORMAT };
}

/** The snapshot an event carries, when it is one. */
export function treeOf(event: AuditEvent): TreeSnapshot | undefined {
  return event.format === TREE_EVENT_FORMAT && (event.body as unknown as { type?: unknown }).type === 'agent.tree' ? (event.body as unknown as TreeSnapshot) : undefined;
}

/** Reads state as stored now (past a warm container's state cache, which may hold an older version written elsewhere). */
export function readCurrent(store: StateStore, keys: readonly string[]): Promise<Map<string, Versioned<unknown>>> {
  return store.loadCurrent ? store.loadCurrent(keys) : store.load(keys);
}

/** Aggregates read so far; `undefined` marks a run known not to be stored. */
export class RunCache {
  readonly runs = new Map<string, AgentRunState | undefined>();

  constructor(private readonly store: StateStore) {}

  /**
   * Reads every run not read yet, in one `load`. A run named by its instance key (`instanceKey`: a
   * later run of an id started again, as the open roots name it) is its id's aggregate while that
   * aggregate's current run is the one the key names.
   */
  async load(runIds: Iterable<string>): Promise<void> {
    const missing = [...new Set(runIds)].filter((id) => !this.runs.has(id));
    if (missing.length === 0) return;
    const instances = new Map<string, string>();
    for (const id of missing) {
      const runId = runIdOfInstance(id);
      if (runId !== undefined) instances.set(id, runId);
    }
    const keys = missing.map(agentRunKey);
    for (const runId of instances.values()) keys.push(agentRunKey(runId));
    const loaded = await readCurrent(this.store, keys);
    for (const id of missing) {
      let run = loaded.get(agentRunKey(id))?.state as AgentRunState | undefined;
      const runId = instances.get(id);
      if (run === undefined && runId !== undefined) {
        const current = loaded.get(agentRunKey(runId))?.state as AgentRunState | undefined;
        // Its current run, or one it keeps (an earlier run the open roots name, `runOfKey`).
        if (current?.instance === id || current?.previous?.some((earlier) => earlier.instance === id)) run = current;
      }
      this.runs.set(id, run);
    }
  }

  /** Reads the trees under `roots` level by level, so that `buildTreeSnapshot` finds every run. */
  async loadTrees(roots: Iterable<string>): Promise<void> {
    const visited = new Set<string>();
    let frontier = [...roots];
    for (let depth = 0; frontier.length > 0 && depth <= MAX_TREE_DEPTH; depth++) {
      await this.load(frontier);
      for (const id of frontier) visited.add(id);
      frontier = [...new Set(frontier.flatMap((id) => childrenOf(this.runs.get(id))))].filter((id) => !visited.has(id));
    }
  }

  /**
   * Reads the parents of these runs, and above a parent that is a pass-through span the runs it
   * links to, up to the first that started (`agentRunAbove`): one `load` per level.
   */
  async loadParents(runIds: Iterable<string>): Promise<void> {
    let frontier = [...new Set(runIds)];
    for (let depth = 0; frontier.length > 0 && depth <= MAX_TREE_DEPTH; depth++) {
      const parents = [...new Set(frontier.map((id) => this.runs.get(id)?.parent_run_id).filter((p): p is string => p !== undefined))];
      await this.load(parents);
      frontier = parents.filter((id) => {
        const parent = this.runs.get(id);
        return parent !== undefined && isPassThrough(parent);
      });
    }
  }

  /**
   * The root each run belongs to, walking parents (loading each level once). A chain that ends at
   * a parent without a start (a parent named but not seen yet) ends at the last run that started:
   * it stands as a root until its parent starts (`isOrphanRun`), judged by the sweep only. A
   * pass-through span's aggregate (never started) is climbed through to the run above it, also from
   * a run that started under it (a sub-agent run as a tool).
   */
  async rootsOf(runIds: readonly string[]): Promise<Set<string>> {
    await this.load(runIds);
    const roots = new Set<string>();
    let cursors = [...new Set(runIds)];
    for (let step = 0; cursors.length > 0 && step <= MAX_TREE_DEPTH; step++) {
      await this.loadParents(cursors);
      const next = new Set<string>();
      for (const id of cursors) {
        const run = this.runs.get(id);
        if (!run) continue;
        if (standsAlone(run, this.runs)) {
          roots.add(id);
          continue;
        }
        const parent = run.parent_run_id === undefined ? undefined : this.runs.get(run.parent_run_id);
        // Up through pass-through spans too (a step span under a step span): their actions are the run's above them.
        if (parent !== undefined && (parent.started_at !== undefined || isPassThrough(parent))) next.add(parent.run_id);
      }
      cursors = [...next];
    }
    // Still climbing past the deepest tree: named parents that form a cycle, whose earliest run is judged as a root.
    for (const id of cursors) {
      const run = this.runs.get(id);
      const root = run === undefined ? undefined : cycleRootOf(run, this.runs);
      if (root !== undefined) roots.add(root.run_id);
    }
    return roots;
  }
}

/** The children of a run's aggregate: of its current run and of its earlier ones (`previous`). */
function childrenOf(run: AgentRunState | undefined): readonly string[] {
  if (run?.previous === undefined) return run?.children ?? [];
  return [...run.children, ...run.previous.flatMap((earlier) => earlier.children)];
}

/**
 * A root that started and is not judged yet (or, judged ended, whose tree grew since: a late
 * sub-agent that has not ended, or a line under a root with a guessed parent): the agent reducer
 * records it for the sweep. It carries the root alone; `facts` and `unended` are the whole tree's
 * when the tree is known, so the reducer can tell a grown tree from a redelivery, and a finished
 * one from one still going.
 */
export function openMarker(root: AgentRunState, tree?: TreeSnapshot): TreeSnapshot {
  const marker = snapshotAlone(root, 'open');
  return tree === undefined ? marker : { ...marker, facts: tree.facts, unended: tree.unended };
}

/** A run as a tree of its own, without its children, in `phase`. */
function snapshotAlone(run: AgentRunState, phase: TreePhase): TreeSnapshot {
  return buildTreeSnapshot(run.run_id, new Map([[run.run_id, { ...run, children: [] }]]), phase) as TreeSnapshot;
}

/**
 * The follow-up of the run reducer: snapshots of the trees the batch's runs belong to. A root
 * whose tree ended entirely gives an `ended` snapshot (judged now); a root the batch started, or
 * whose tree is not finished, an `open` one (so the sweep knows it). A root whose parent was only
 * guessed, or named and not started, is never judged here: it waits for the sweep, in case its
 * parent turns out to be an agent or starts late; when a late line reaches its tree after the sweep
 * judged it, the marker has it judged again, as it does a root judged ended that a late sub-agent,
 * not ended, reached.
 */
export async function deriveAgentTrees(runIds: readonly string[], store: StateStore): Promise<AuditEvent[]> {
  const cache = new RunCache(store);
  const roots = await cache.rootsOf(runIds);
  const touched = new Set(runIds);
  const ended = [...roots].filter((id) => cache.runs.get(id)?.ended_at !== undefined);
  const restarted = [...new Set([...roots, ...runIds])].filter((id) => (cache.runs.get(id)?.rolled ?? 0) > 0);
  await cache.loadTrees(restarted.length === 0 ? ended : [...ended, ...restarted]);
  const events: AuditEvent[] = [];
  const takenBack: AuditEvent[] = [];
  // Earlier runs of an id that the batch ended and started again (`rolled`) that stand alone as a current
  // run would (a root, a run whose named parent never started, a parent cycle's earliest run): each its own tree, under its own key.
  const earlierRuns = restarted.sort().flatMap((id) => {
    const run = cache.runs.get(id) as AgentRunState;
    const from = (run.previous?.length ?? 0) - (run.rolled ?? 0);
    return (run.previous ?? []).slice(from).map((_, i) => earlierRun(run, from + i));
  });
  const earlierParents = earlierRuns.flatMap((run) => (run.parent_run_id === undefined ? [] : [run.parent_run_id]));
  await cache.load(earlierParents);
  await cache.loadParents(earlierParents);
  for (const earlier of earlierRuns) {
    const view = concurrentView(earlier, cache.runs);
    if (!standsAsRoot(earlier, view)) continue;
    const tree = buildTreeSnapshot(earlier.run_id, view);
    if (tree && tree.phase === 'ended' && !tree.tentative) events.push(treeEvent(tree));
    // One whose parent may yet turn up (named and not started, guessed): for the sweep, under its key (`runOfKey`).
    else events.push(treeEvent(openMarker(earlier, tree)));
  }
  for (const id of [...roots].sort()) {
    const root = cache.runs.get(id) as AgentRunState;
    const tree = root.ended_at !== undefined ? buildTreeSnapshot(id, cache.runs) : undefined;
    if (tree) takenBack.push(...takenBackEvents(tree, cache.runs));
    if (tree && tree.phase === 'ended' && !tree.tentative) events.push(treeEvent(tree));
    else if (touched.has(id) || tree !== undefined) events.push(treeEvent(openMarker(root, tree)));
  }
  // First: a sub-agent of the same agent as its parent leaves the history before the parent's tree is judged against it.
  return [...takenBack, ...events];
}

/**
 * For every run under the root that the sweep counted as a root of its own agent before its parent
 * started (`TreeSnapshot.counted_alone`), an `adopted` snapshot of it alone, for its agent's state:
 * it leaves that agent's root runs and cost history, where its cost would stand for a whole tree's.
 * Rare (a named parent that started 15 minutes late or more), so the write to that agent's state,
 * often another subject than the tree's, happens in that case only.
 */
export function takenBackEvents(tree: TreeSnapshot, runs: ReadonlyMap<string, AgentRunState | undefined>): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const id of tree.counted_alone ?? []) {
    const run = runs.get(id);
    if (run) events.push(treeEvent(snapshotAlone(run, 'adopted')));
  }
  return events;
}

/**
 * What the sweep notes on a run's aggregate: the findings its tree gave when judged as the root of
 * its own tree without its parent (`agent.judged-alone`: `markJudgedAlone`), or, as a root, before
 * it ended (`agent.fired-unended`: `markFiredUnended`).
 */
export interface RunNote {
  readonly type: 'agent.judged-alone' | 'agent.fired-unended';
  readonly run_id: string;
  readonly fired: readonly string[];
  /** `agent.judged-alone` of a tree judged ended: counted as a root of its agent (`markCountedAlone`). */
  readonly counted?: true;
}

/** The note as an event for `agentRunNoteReducer` (in memory only, like a tree snapshot). */
export function runNoteEvent(note: RunNote, at: number): AuditEvent {
  return { at, body: note as unknown as EventBody, source: { origin: `agent-tree:${note.run_id}`, synthetic: true }, format: TREE_EVENT_FORMAT };
}

/** The note an event carries, when it is one. */
export function runNoteOf(event: AuditEvent): RunNote | undefined {
  if (event.format !== TREE_EVENT_FORMAT) return undefined;
  const type = (event.body as unknown as { type?: unknown }).type;
  return type === 'agent.judged-alone' || type === 'agent.fired-unended' ? (event.body as unknown as RunNote) : undefined;
}
