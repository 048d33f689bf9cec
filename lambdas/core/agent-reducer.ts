import type { Config } from '../config.ts';
import type { AgentTreeOptions, CostHistory } from '../detectors/agent-kinds.ts';
import type { DetectorId } from '../detectors/ids.ts';
import { ROOT_RUN_DETECTORS, TREE_DETECTORS } from '../detectors/index.ts';
import { type MaxRuntime, maxRuntimeBound, runUnfinishedRootRunDetector } from '../detectors/run-unfinished.ts';
import type { RunRecord } from '../ports.ts';
import { AGENT_RUN_STATE_KIND, type AgentBudget, type AgentRunState, applyAgentRunEvents, asMark, initialAgentRun, isAgentEvent, isPassThroughLink, markCountedAlone, markFiredUnended, markJudgedAlone, runIdOfInstance } from './agent-run.ts';
import { totalsOf, type TreeSnapshot } from './agent-tree.ts';
import { deriveAgentTrees, runNoteEvent, runNoteOf, treeEvent, treeOf } from './agent-tree-loader.ts';
import type { AuditEvent } from './events.ts';
import type { AgentStart } from './events.ts';
import { type Finding, isoTime } from './findings.ts';
import { ownValue } from './own-property.ts';
import { monthBoundsAt, type MonthBounds } from './report/month.ts';
import { fingerprint } from './token-ring.ts';
import type { ReduceContext, Reduction, SubjectReducer } from './pipeline.ts';
import { median, partitionPoint } from './stats.ts';

/**
 * The agent reducers (issue #5), in the order they run:
 *
 * 1. `agentRunReducer`: one aggregate per run (`agentrun#<run_id>`); its follow-up walks the
 *    committed aggregates and derives tree snapshots (`agent-tree-loader.ts`).
 * 2. `agentTreeReducer`: one state per root agent (`agent#<name>`): judges each tree once it
 *    ended (again when late lines add to it), and the budget of a tree still running when the
 *    sweep finds it over; keeps the cost history of its root runs, and the roots still open for
 *    the sweep.
 * 3. `agentIndexReducer`: the names of all agents seen (`agentindex#all`), for the sweep.
 *
 * The sweep also runs `agentRunNoteReducer`, which notes on a run's aggregate what its tree gave when
 * judged without its parent, and, on a root's, what the sweep reported of its tree before it ended.
 */

export const agentRunReducer: SubjectReducer<AgentRunState> = {
  kind: 'agent',
  stateKind: AGENT_RUN_STATE_KIND,
  bodyTypes: ['agent.start', 'agent.action', 'agent.end'],
  subjectOf(event) {
    return isAgentEvent(event) ? event.body.run_id : undefined;
  },
  subjectsOf(event) {
    if (!isAgentEvent(event)) return [];
    const body = event.body;
    const parent = body.type === 'agent.start' ? (body as AgentStart).parent_run_id : undefined;
    return parent === undefined || parent === body.run_id ? [body.run_id] : [body.run_id, parent];
  },
  initial: initialAgentRun,
  beginsIn(subject, events) {
    // Most runs start, act and end within one batch: their aggregate is read once, by the tree stage, not twice.
    // A pass-through span's link is no beginning: its actions were mostly delivered before it (a span ends after its children).
    for (const event of events) if (event.body.type === 'agent.start' && event.body.run_id === subject && !isPassThroughLink(event.body)) return true;
    return false;
  },
  apply(state, subject, events, ctx): Reduction<AgentRunState> {
    const unjudged = { runs: 0 };
    const next = applyAgentRunEvents(state, subject, events, ctx, unjudged);
    return { state: next, findings: [], records: [], ...(unjudged.runs > 0 ? { olderThanHistory: unjudged.runs } : {}) };
  },
  expiresAt(state) {
    return state.expires_at;
  },
  followUp(subjects, store) {
    return deriveAgentTrees(subjects, store);
  },
};

/** A previous root run of the agent: what cost-outlier compares with. */
export interface AgentHistoryEntry {
  readonly run_id: string;
  readonly ended_at: number;
  /**
   * When the root started, when its tree knows: the report tells by it that a root ended after a
   * month ran in it (`wholeSpanSilenceNote`). Entries written before it was kept have none.
   */
  readonly started_at?: number;
  readonly cost_usd?: number;
  readonly tokens?: number;
  /** It fired cost-outlier: left out of the baseline, so a broken agent never becomes the norm. */
  readonly outlier?: true;
}

/**
 * What has been judged of a root already: a newer view (more facts) is judged again, only new
 * findings are reported. `running`: only a look at a tree still going was judged (budget-exceeded,
 * see `TreePhase`); its stale or ended view is judged in full even with the same facts.
 */
export interface JudgedRoot {
  readonly run_id: string;
  readonly facts: number;
  readonly phase: 'ended' | 'stale' | 'running';
  /**
   * A mark of every finding reported for this tree (`firedId`: a fingerprint of `detector#run_id`,
   * 8 characters whatever the run id's length; states written before hold `detector#run_id` as
   * such, read as its fingerprint). Across the list at most `MAX_FIRED_KEPT` marks are kept.
   */
  readonly fired: readonly string[];
  /**
   * Its root's end was counted (in `roots`, by a run record) when its tree was judged `ended`,
   * before a late sub-agent that has not ended reached it: judged again as `stale`, or at the end
   * of that sub-agent, the root is not counted again.
   */
  readonly counted?: true;
}

/** Whether a judged root's end was counted already: judged ended, or judged ended before a late sub-agent reached it (`counted`). */
function rootCounted(prev: JudgedRoot | undefined): boolean {
  return prev?.phase === 'ended' || prev?.counted === true;
}

export interface OpenRoot {
  readonly run_id: string;
  readonly started_at: number;
  readonly tentative?: true;
  /**
   * The facts of the largest view of its tree seen with the root ended and a run under it not ended
   * (a late sub-agent): an `ended` snapshot of fewer facts was read before that sub-agent came (by an
   * invocation that commits after the marker's), and does not take the root off the list (`outgrownBy`).
   */
  readonly facts?: number;
}

/** The facts of an open marker whose root ended while a run of its tree has not: `undefined` for any other marker. */
function lateRunFacts(tree: TreeSnapshot): number | undefined {
  return tree.ended_at !== undefined && tree.unended > 0 ? tree.facts : undefined;
}

/**
 * Whether an `ended` snapshot is older than an open marker of its root noted already (`OpenRoot.facts`):
 * a late sub-agent not ended has reached the tree since it was read, as when the marker comes after it.
 */
function outgrownBy(opened: OpenRoot | undefined, tree: TreeSnapshot): boolean {
  return opened?.facts !== undefined && opened.facts > tree.facts;
}

export interface AgentState {
  readonly agent: string;
  /** Ended root runs, oldest first by end time. */
  readonly history: readonly AgentHistoryEntry[];
  readonly judged: readonly JudgedRoot[];
  readonly open: readonly OpenRoot[];
  readonly roots: number;
  /**
   * Other agents that ran in its trees (as sub-agents, at any depth), with the latest time one of
   * their runs there was seen (its end, else the tree's latest line), oldest first: an agent's own state
   * learns only the runs it started as a root, so the report reads these to tell that an agent with
   * no root run in a month may still have run in it under another (`wholeSpanSilenceNote`). Written
   * with a tree's judgement (ended, stale, or running with findings), at most `MAX_SUBAGENTS` names.
   * Each also lists the UTC months (`YYYY-MM`, oldest first, the latest `MAX_SUBAGENT_MONTHS`) its
   * runs there were seen in (each from its start through its end: one from 31 October to 1 November
   * ran in both), so that a report of a past month made after it ran again can tell it
   * ran then: from the oldest listed on, a month not listed had none of its runs there. An entry
   * written before the months were kept has none (only its latest time is known).
   */
  readonly subagents?: readonly SubagentSeen[];
  /** The latest time of a name let go past `MAX_SUBAGENTS`: that agent may have run here up to then. */
  readonly subagents_dropped_at?: number;
  /**
   * Trees judged from then on have their sub-agents in `subagents`: 0 for a state that recorded
   * them from its first tree; for one written before they were kept, when it began (the trees it
   * judged before are not known).
   */
  readonly subagents_since?: number;
}

/** An entry of `AgentState.subagents`: the agent, the latest time it was seen, the months it was seen in (when kept). */
export type SubagentSeen = readonly [name: string, at: number, months?: readonly string[]];

/** Names kept in `AgentState.subagents` (each at most `MAX_ID_BYTES`, with its months: ~55 KB at worst). */
export const MAX_SUBAGENTS = 100;
/** Months kept per name in `AgentState.subagents`, the latest: a year back from the month under way. */
export const MAX_SUBAGENT_MONTHS = 13;

/** Ended root runs kept in `AgentState.history`, the latest: past it the oldest are let go. */
const MAX_HISTORY = 60;
/**
 * Judged roots kept. Entries of roots still open (stale, or flagged while running) are never the
 * ones dropped: the sweep would judge such a root in full again (nothing is reported twice: what
 * was reported of a root before it ended is noted on its aggregate, `fired_unended`). At most
 * `MAX_OPEN` of them, so the list stays within the cap.
 */
const MAX_JUDGED = 500;
/**
 * Marks of reported findings (`JudgedRoot.fired`) kept across the judged roots: every finding of
 * a tree of `MAX_TREE_RUNS` runs (budget-exceeded and budget-undercount of each, cost-outlier of
 * the root: 4,001) fits, and with 500 judged and 200 open roots of 400-byte run ids the state stays
 * near 290 KB, under DynamoDB's 400 KB item. Past it, the oldest roots' marks are let go first
 * (roots still open last: what was reported of them is noted on their aggregates too,
 * `fired_unended`), their entries kept, so their judged views are still not judged again.
 */
export const MAX_FIRED_KEPT = 6000;
export const MAX_OPEN = 200;
const OPEN_MAX_AGE_MS = 7 * 86_400_000;

export function initialAgentState(agent: string): AgentState {
  return { agent, history: [], judged: [], open: [], roots: 0 };
}

/** An agent's detector options: the defaults with `agents.<name>` on top; every agent's configured budget. */
export function resolveAgentOptions(config: Config, agent: string): AgentTreeOptions {
  const d = config.defaults;
  const budgets: Record<string, AgentBudget | undefined> = {};
  for (const [name, own] of Object.entries(config.agents)) {
    if (own.budget) budgets[name] = { max_actions: own.budget.max_actions, max_cost_usd: own.budget.max_cost_usd, scope: own.budget.scope };
  }
  return {
    minHistory: d.min_history,
    baselineWindow: d.baseline_window,
    costOutlierFactor: ownValue(config.agents, agent)?.cost_outlier_factor ?? d.cost_outlier_factor,
    budgets,
  };
}

/**
 * Previous root runs that ended before this one, outliers left out, the latest `window` of each
 * metric, oldest first. The history is kept in end order, so it is read backwards and only as far
 * as the window needs (this runs for every judged tree).
 */
export function costHistoryFor(state: Pick<AgentState, 'history'>, tree: TreeSnapshot, window: number): CostHistory {
  const before = tree.ended_at ?? tree.last_at;
  const costs: number[] = [];
  const tokens: number[] = [];
  const history = state.history;
  for (let i = history.length - 1; i >= 0 && (costs.length < window || tokens.length < window); i--) {
    const h = history[i];
    if (h.run_id === tree.root_run_id || h.outlier !== undefined || h.ended_at >= before) continue;
    if (h.cost_usd !== undefined && costs.length < window) costs.push(h.cost_usd);
    if (h.tokens !== undefined && tokens.length < window) tokens.push(h.tokens);
  }
  return { costs: costs.reverse(), tokens: tokens.reverse() };
}

/**
 * Runs every tree detector on a snapshot, in registry order, with the agent's options (resolved
 * once per batch of its snapshots: resolving walks every configured agent). A tree whose root's
 * named parent has not started is judged as a tree of its own: its findings say so.
 */
/** No cost history: a tree judged alone or while it runs, where cost-outlier does not judge. */
const NO_HISTORY: CostHistory = { costs: [], tokens: [] };

/** What judges a tree: the tree detectors, then the job detectors that judge its root run's end (`ROOT_RUN_DETECTORS`). */
const TREE_JUDGES = [...TREE_DETECTORS, ...ROOT_RUN_DETECTORS];
/** What judges a quiet tree judged stale already, whose facts have not changed: only its runtime has grown. */
const UNFINISHED_JUDGES = [runUnfinishedRootRunDetector];

/**
 * The maximum runtime of a root of `agent` (run-unfinished): `agents.<name>.max_runtime_minutes`,
 * else 3× the median duration of the root runs its state's history keeps, at least 1 h. For a tree
 * that ended, or one the sweep judges before it did (`judged_at`); `undefined` for any other view.
 */
function agentMaxRuntime(tree: TreeSnapshot, config: Config, history: readonly AgentHistoryEntry[]): MaxRuntime | undefined {
  if (tree.phase !== 'ended' && tree.judged_at === undefined) return undefined;
  return maxRuntimeBound(ownValue(config.agents, tree.agent)?.max_runtime_minutes, () => median(rootDurations(history, tree.root_run_id)));
}

/** The durations of the history's root runs that logged their start, but `rootRunId`'s: in one array, none per entry (each judged tree asks). */
function rootDurations(history: readonly AgentHistoryEntry[], rootRunId: string): number[] {
  const durations: number[] = [];
  for (const h of history) if (h.started_at !== undefined && h.run_id !== rootRunId) durations.push(h.ended_at - h.started_at);
  return durations;
}

function judgeTree(tree: TreeSnapshot, history: CostHistory, config: Config, options: AgentTreeOptions, maxRuntime?: MaxRuntime, judges = TREE_JUDGES): Finding[] {
  const findings: Finding[] = [];
  const parent = tree.parent_unseen;
  const cycle = tree.parent_cycle;
  for (const detector of judges) {
    for (const draft of detector.check({ tree, history, options, maxRuntime })) {
      findings.push({
        ...draft,
        ...(parent !== undefined
          ? {
              message: `${draft.message} (judged as the root of its own tree: its parent run ${parent} has not started, no agent.start of it was seen)`,
              evidence: { ...draft.evidence, parent_run_id: parent, parent_seen: false },
            }
          : {}),
        ...(cycle !== undefined
          ? {
              message: `${draft.message} (judged as the root of its own tree: its parent run ${cycle[1]} is a run of its own tree (parent_run_id cycle ${[...cycle, cycle[0]].join(' → ')}))`,
              evidence: { ...draft.evidence, parent_run_id: cycle[1], parent_cycle: cycle },
            }
          : {}),
        detector: detector.meta.id,
        subject_kind: detector.meta.subjectKind,
        severity: config.defaults.severity[detector.meta.id] ?? draft.severity ?? detector.meta.defaultSeverity,
        // Where the tree's lines were read: the tree event is made by the pipeline, from no line of its own.
        ...(tree.source !== undefined ? { source: tree.source } : {}),
      });
    }
  }
  return findings;
}

/**
 * What the sweep notes on a root it judges though it names a parent (guessed, or named and not
 * started) before it judges it: the findings of its tree, so that if the parent turns out to be an
 * agent run after all, the parent's tree does not report them again; and, when it judges the tree
 * ended under a named parent not started, that the root is counted in its agent's root runs and
 * cost history, which the parent's tree then takes it out of (`counted_alone`: one write, in that
 * rare case only; a guessed parent, as most OpenTelemetry roots have, is not noted so). Written
 * before the judgement (a sweep that fails between the two writes leaves the root open, to be
 * judged, and noted, again).
 */
export function judgedAloneNotes(trees: readonly TreeSnapshot[], config: Config, historyOf: HistoryOf): AuditEvent[] {
  const notes: AuditEvent[] = [];
  for (const tree of trees) {
    if (!tree.tentative || (tree.phase !== 'ended' && tree.phase !== 'stale' && tree.phase !== 'running')) continue;
    const fired = judgeTree(tree, NO_HISTORY, config, resolveAgentOptions(config, tree.agent), agentMaxRuntime(tree, config, historyOf(tree.agent))).map(firedId);
    const counted = tree.phase === 'ended' && tree.parent_unseen !== undefined;
    if (fired.length > 0 || counted) notes.push(runNoteEvent({ type: 'agent.judged-alone', run_id: tree.root_run_id, fired, ...(counted ? { counted: true as const } : {}) }, treeEvent(tree).at));
  }
  return notes;
}

/**
 * What the sweep notes on a root whose tree it looked at before the root ended (`running` or
 * `stale`), once its judgement is committed: the findings reported of that tree (this sweep's,
 * `reported`, and those its agent's state, as read before, holds) that the root's aggregate does
 * not note yet (`AgentRunState.fired_unended`). The agent's state keeps its latest 200 open roots
 * and 500 judged ones: a root that loops for long falls off both, and without the note would be
 * reported again when it ends or comes back to the open list. Written after the judgement (a
 * sweep that fails between the two writes has the next one note it, from the agent's state): a
 * note written first would have a failed judgement's findings passed over for good.
 */
export function firedUnendedNotes(trees: readonly TreeSnapshot[], judgedOf: JudgedRootsOf, reported: readonly Finding[]): AuditEvent[] {
  const unended = trees.filter((tree) => tree.phase === 'running' || tree.phase === 'stale');
  if (unended.length === 0) return [];
  const rootOf = new Map<string, TreeSnapshot>();
  for (const tree of unended) for (const run of tree.runs) rootOf.set(`${tree.agent}#${run.run_id}`, tree);
  const fresh = new Map<TreeSnapshot, string[]>();
  for (const f of reported) {
    const tree = f.run_id === undefined ? undefined : rootOf.get(`${f.subject}#${f.run_id}`);
    if (tree) fresh.set(tree, [...(fresh.get(tree) ?? []), firedId(f)]);
  }
  const notes: AuditEvent[] = [];
  for (const tree of unended) {
    const noted = new Set(asMarks(tree.fired_before ?? []));
    const fired = [...new Set([...asMarks(judgedOf(tree.agent).get(tree.root_run_id)?.fired ?? []), ...(fresh.get(tree) ?? [])])].filter((id) => !noted.has(id));
    if (fired.length > 0) notes.push(runNoteEvent({ type: 'agent.fired-unended', run_id: tree.root_run_id, fired }, treeEvent(tree).at));
  }
  return notes;
}

/**
 * The running trees (`TreePhase`) worth handing to the agent reducer: those whose judgement (by
 * budget-exceeded, and run-unfinished once past the root's max runtime: the only judges that fire
 * on a tree not ended) finds something not reported yet, by the agent's state (`judged`, read by
 * the sweep anyway) or by the aggregates of its runs (`TreeSnapshot.fired_before`). The sweep
 * looks at every open root every few minutes; a tree within its budget and max runtime, or a
 * looping one that already fired, is left out here, so that those sweeps stay reads only: no write of the agent
 * state per sweep while a root loops for hours. Other snapshots pass as they are.
 */
export function runningTreesToJudge(trees: readonly TreeSnapshot[], judgedOf: JudgedRootsOf, config: Config, historyOf: HistoryOf): TreeSnapshot[] {
  const options = new Map<string, AgentTreeOptions>();
  return trees.filter((tree) => {
    if (tree.phase !== 'running') return true;
    let own = options.get(tree.agent);
    if (!own) options.set(tree.agent, (own = resolveAgentOptions(config, tree.agent)));
    const drafts = judgeTree(tree, NO_HISTORY, config, own, agentMaxRuntime(tree, config, historyOf(tree.agent)));
    if (drafts.length === 0) return false;
    const already = alreadyFired(judgedOf(tree.agent).get(tree.root_run_id), tree);
    return drafts.some((f) => !reportedOfTree(already, f, tree));
  });
}

/** An agent's history of root runs (`AgentState.history`), as the sweep read its state: what run-unfinished's bound is taken from (`agentMaxRuntime`). */
export type HistoryOf = (agent: string) => readonly AgentHistoryEntry[];

/** An agent's judged roots by run id (`AgentState.judged`), as the sweep read its state. */
export type JudgedRootsOf = (agent: string) => ReadonlyMap<string, JudgedRoot>;

/**
 * `JudgedRootsOf` over the agent states the sweep read, each agent's map built once, when first
 * asked: `runningTreesToJudge` and `firedUnendedNotes` look in the same one.
 */
export function judgedRootsOf(stateOf: (agent: string) => AgentState | undefined): JudgedRootsOf {
  const byAgent = new Map<string, ReadonlyMap<string, JudgedRoot>>();
  return (agent) => {
    let byRun = byAgent.get(agent);
    if (!byRun) byAgent.set(agent, (byRun = new Map((stateOf(agent)?.judged ?? []).map((j) => [j.run_id, j]))));
    return byRun;
  };
}

/** What was reported of a root already: in its judged entry, and noted on its run before (`fired_before`); as marks (`firedId`). */
function alreadyFired(prev: JudgedRoot | undefined, tree: TreeSnapshot): Set<string> {
  return new Set([...asMarks(prev?.fired ?? []), ...asMarks(tree.fired_before ?? [])]);
}

/**
 * The mark of a reported finding, as the agent state and the notes on run aggregates keep it: a
 * fingerprint of `detector#run_id`, of fixed size whatever the run id's length (a tree may give
 * thousands of findings, each naming its run).
 */
export function firedId(f: { detector: DetectorId; run_id?: string }): string {
  return fingerprint(`${f.detector}#${f.run_id ?? ''}`);
}

/** Stored marks as marks: the same array when every one is already (no copy for a current state). */
function asMarks(stored: readonly string[]): readonly string[] {
  for (let i = 0; i < stored.length; i++) if (asMark(stored[i]) !== stored[i]) return stored.map(asMark);
  return stored;
}

/** A judged root with its marks as marks (`asMarks`): the same entry when they are. */
function withMarks(j: JudgedRoot): JudgedRoot {
  const fired = asMarks(j.fired);
  return fired === j.fired ? j : { ...j, fired };
}

/**
 * Whether a finding's mark (`firedId`) is among the marks reported already (`alreadyFired`): no
 * fingerprint taken when there are none, as for most roots.
 */
function reportedBefore(already: ReadonlySet<string>, f: { detector: DetectorId; run_id?: string }): boolean {
  return already.size > 0 && already.has(firedId(f));
}

/**
 * Whether a tree's finding was reported already (`reportedBefore`); a run-unfinished one also when
 * the run under its root it names (`unended_run_id`: the sub-agent that has not ended, or ended
 * last) was reported run-unfinished as the root of its own tree, before its parent started (its
 * `judged_alone` mark, in `fired_before`): one hang, reported once. A finding of the root's own
 * hang names no such run, and a sub-agent's mark does not hold it back.
 */
function reportedOfTree(already: ReadonlySet<string>, f: Finding, tree: TreeSnapshot): boolean {
  if (reportedBefore(already, f)) return true;
  if (f.detector !== 'run-unfinished' || already.size === 0) return false;
  const unended = f.evidence?.unended_run_id;
  return typeof unended === 'string' && unended !== tree.root_run_id && already.has(firedId({ detector: 'run-unfinished', run_id: unended }));
}

/** Whether any tree judge reported a finding about `runId` (its mark is among `marks`). */
function firedAbout(marks: ReadonlySet<string>, runId: string): boolean {
  return TREE_JUDGES.some((d) => reportedBefore(marks, { detector: d.meta.id, run_id: runId }));
}

/**
 * The judged roots with at most `MAX_FIRED_KEPT` marks in all: the oldest roots' marks let go first,
 * those of roots still open (`isOpen`) last, the newest root's own newest kept; their entries stay.
 * Marks written as `detector#run_id` are written as fingerprints. The same array when it fits.
 */
function withinFiredCap(judged: readonly JudgedRoot[], isOpen: (j: JudgedRoot) => boolean): readonly JudgedRoot[] {
  let total = 0;
  let legacy = false;
  for (const j of judged) {
    total += j.fired.length;
    if (!legacy && asMarks(j.fired) !== j.fired) legacy = true;
  }
  if (total <= MAX_FIRED_KEPT && !legacy) return judged;
  const out = legacy ? judged.map(withMarks) : judged.slice();
  for (const open of [false, true]) {
    for (let i = 0; i < out.length - 1 && total > MAX_FIRED_KEPT; i++) {
      if (out[i].fired.length === 0 || isOpen(out[i]) !== open) continue;
      total -= out[i].fired.length;
      out[i] = { ...out[i], fired: [] };
    }
  }
  const last = out.length - 1;
  if (total > MAX_FIRED_KEPT && last >= 0) out[last] = { ...out[last], fired: out[last].fired.slice(-MAX_FIRED_KEPT) };
  return out;
}

/** The order the history is kept in: by end time, then run id. */
function historyOrder(a: AgentHistoryEntry, b: AgentHistoryEntry): number {
  return a.ended_at - b.ended_at || a.run_id.localeCompare(b.run_id);
}

/**
 * One of the state's lists keyed by run id (`judged`, `open`) while a batch is applied. The
 * stored array is read as it is until the first change, then copied once: a batch carries many
 * snapshots of one agent, and copying (and scanning) up to 500 entries per snapshot was the
 * reducer's largest cost. Positions are indexed by run id; a removed entry leaves a hole (closed
 * when the batch is done), and the oldest live entries are dropped past `max`, exactly as a
 * `filter`, push and `slice(-max)` per change would.
 */
class KeyedList<T extends { readonly run_id: string }> {
  private items: (T | undefined)[] | undefined;
  private index: Map<string, number> | undefined;
  /** Later positions of a run id the stored list holds more than once (never written so, but a filter would drop them all). */
  private extra: Map<string, number[]> | undefined;
  /** Positions before `head` hold no live entry. */
  private head = 0;
  private live: number;

  constructor(
    private readonly stored: readonly T[],
    private readonly max: number,
  ) {
    this.live = stored.length;
  }

  get changed(): boolean {
    return this.items !== undefined;
  }

  get(runId: string): T | undefined {
    const at = this.indexed().get(runId);
    return at === undefined ? undefined : (this.items ?? this.stored)[at];
  }

  has(runId: string): boolean {
    return this.indexed().has(runId);
  }

  /** Puts `entry` in place of the entry of its run id, which the list holds. */
  set(entry: T): void {
    const items = this.writable();
    items[this.index!.get(entry.run_id) as number] = entry;
  }

  /** Removes every entry of `runId`; the copy is made even when there is none (the list is written anyway). */
  remove(runId: string): void {
    this.writable();
    for (let at = this.index!.get(runId); at !== undefined; at = this.index!.get(runId)) this.dropAt(at);
  }

  /** Removes the entries `drop` picks (a scan of the live entries). */
  removeWhere(drop: (entry: T) => boolean): void {
    const items = this.writable();
    for (let i = this.head; i < items.length; i++) {
      const entry = items[i];
      if (entry !== undefined && drop(entry)) this.dropAt(i);
    }
  }

  /**
   * Appends an entry (its run id not in the list), then drops the oldest past `max`, passing over
   * those `keep` holds on to (never the entry just appended): with none left to drop, the list
   * stays longer (`keep` must hold on to few).
   */
  push(entry: T, keep?: (entry: T) => boolean): void {
    const items = this.writable();
    this.index!.set(entry.run_id, items.length);
    items.push(entry);
    this.live++;
    while (this.live > this.max) {
      while (items[this.head] === undefined) this.head++;
      let at = this.head;
      if (keep) {
        while (at < items.length - 1 && (items[at] === undefined || keep(items[at]!))) at++;
        if (at === items.length - 1) break;
      }
      this.dropAt(at);
    }
  }

  /** The list as stored: the same array when nothing changed. */
  result(): readonly T[] {
    if (!this.items) return this.stored;
    const out: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const entry = this.items[i];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }

  private writable(): (T | undefined)[] {
    if (!this.items) {
      this.indexed();
      this.items = this.stored.slice();
    }
    return this.items;
  }

  private indexed(): Map<string, number> {
    if (!this.index) {
      const index = new Map<string, number>();
      for (let i = 0; i < this.stored.length; i++) {
        const id = this.stored[i].run_id;
        if (!index.has(id)) index.set(id, i);
        else {
          this.extra ??= new Map();
          const more = this.extra.get(id);
          if (more) more.push(i);
          else this.extra.set(id, [i]);
        }
      }
      this.index = index;
    }
    return this.index;
  }

  /** Empties one position, keeping the index on the first live entry of its run id. */
  private dropAt(at: number): void {
    const items = this.items!;
    const id = items[at]!.run_id;
    items[at] = undefined;
    this.live--;
    const more = this.extra?.get(id);
    if (this.index!.get(id) === at) {
      if (more) this.index!.set(id, more.shift()!);
      else this.index!.delete(id);
    } else if (more) {
      more.splice(more.indexOf(at), 1);
    }
    if (more?.length === 0) this.extra!.delete(id);
  }
}

/**
 * The history while a batch is applied, copied on its first change. It is kept sorted, so an
 * entry is inserted where a stable sort of the list with it appended would put it (after its
 * equals), instead of filtering and sorting the whole history per ended tree.
 */
class HistoryList {
  private items: AgentHistoryEntry[] | undefined;

  constructor(private readonly stored: readonly AgentHistoryEntry[]) {}

  get view(): readonly AgentHistoryEntry[] {
    return this.items ?? this.stored;
  }

  get changed(): boolean {
    return this.items !== undefined;
  }

  /** Removes the entry of a run, if there is one (the list is copied only then). */
  remove(runId: string): void {
    const items = this.view;
    if (!items.some((h) => h.run_id === runId)) return;
    this.items = items.filter((h) => h.run_id !== runId);
  }

  upsert(entry: AgentHistoryEntry): void {
    let items = this.items;
    if (!items) {
      items = this.stored.filter((h) => h.run_id !== entry.run_id);
      // A stored history out of order (written by no version of this reducer) is sorted as a whole, as before.
      if (!isSorted(items)) {
        items.push(entry);
        items.sort(historyOrder);
        this.items = items.length > MAX_HISTORY ? items.slice(items.length - MAX_HISTORY) : items;
        return;
      }
      this.items = items;
    } else {
      let kept = 0;
      for (const h of items) if (h.run_id !== entry.run_id) items[kept++] = h;
      items.length = kept;
    }
    const lo = partitionPoint(items.length, (i) => historyOrder(items[i], entry) <= 0);
    items.splice(lo, 0, entry);
    if (items.length > MAX_HISTORY) items.splice(0, items.length - MAX_HISTORY);
  }

  result(): readonly AgentHistoryEntry[] {
    return this.items ?? this.stored;
  }
}

function isSorted(history: readonly AgentHistoryEntry[]): boolean {
  for (let i = 1; i < history.length; i++) if (!(historyOrder(history[i - 1], history[i]) <= 0)) return false;
  return true;
}

/**
 * The agent state: judges trees as their snapshots arrive. Redelivered or stale snapshots (no
 * more facts than the last judged view) change nothing and return the same state object.
 *
 * A batch may carry many snapshots of one agent: its lists are copied at most once per batch (on
 * their first change) and the new state is put together once, at the end. Per snapshot, the
 * result is what filtering, appending and slicing the lists would give.
 */
export const agentTreeReducer: SubjectReducer<AgentState> = {
  kind: 'agent',
  recordsRuns: true,
  bodyTypes: ['agent.tree'],
  subjectOf(event) {
    return treeOf(event)?.agent;
  },
  initial: initialAgentState,
  apply(initial, subject, events, ctx: ReduceContext): Reduction<AgentState> {
    const findings: Finding[] = [];
    const records: RunRecord[] = [];
    const judgedRoots = new KeyedList(initial.judged, MAX_JUDGED);
    const open = new KeyedList(initial.open, MAX_OPEN);
    const history = new HistoryList(initial.history);
    const stillOpen = (j: JudgedRoot) => open.has(j.run_id);
    let roots = initial.roots;
    let rootsChanged = false;
    /** Every open root started at or after this (NaN: not known); an open snapshot whose age cut-off is not above it drops none. */
    let openFrom = Number.NaN;
    let options: AgentTreeOptions | undefined;
    const subagents = new SubagentList(initial);
    for (const event of events) {
      const tree = treeOf(event);
      if (!tree || tree.agent !== subject) continue;
      const prev = judgedRoots.get(tree.root_run_id);

      if (tree.phase === 'adopted') {
        // Its parent's tree judges it now. Judged ended alone before, it was counted as a root run and its
        // tree's cost entered the history, where it would stand for a whole tree's: both are taken back.
        if (open.has(tree.root_run_id)) open.remove(tree.root_run_id);
        if (prev) {
          if (rootCounted(prev)) {
            roots = Math.max(0, roots - 1);
            rootsChanged = true;
          }
          judgedRoots.remove(tree.root_run_id);
        }
        history.remove(tree.root_run_id);
        continue;
      }

      if (tree.phase === 'open') {
        const lateFacts = lateRunFacts(tree);
        const opened = open.get(tree.root_run_id);
        if (opened) {
          // Open already (before its end was judged): a grown tree's marker is noted, in case another
          // invocation read the root ended before this sub-agent came and judges that view after it.
          if (lateFacts !== undefined && (opened.facts === undefined || lateFacts > opened.facts)) open.set({ ...opened, facts: lateFacts });
          continue;
        }
        // A root judged ended whose tree grew since (a late line) and is not judged by ingest (a sub-agent
        // that has not ended, or a guessed parent: the sweep's only) goes back on the open list, to be
        // judged again once it ends, settles or goes stale (or while it runs, its budget). A tree not
        // finished has no final cost: it leaves the history until it ends.
        if (prev?.phase === 'ended') {
          if (!(tree.facts > prev.facts)) continue;
          if (tree.unended > 0) history.remove(tree.root_run_id);
        }
        const startedAt = tree.started_at ?? tree.last_at;
        const cutoff = startedAt - OPEN_MAX_AGE_MS;
        if (!(cutoff <= openFrom)) {
          open.removeWhere((o) => !(o.started_at >= cutoff));
          openFrom = cutoff;
        }
        open.push({ run_id: tree.root_run_id, started_at: startedAt, ...(tree.tentative ? { tentative: true as const } : {}), ...(lateFacts !== undefined ? { facts: lateFacts } : {}) });
        openFrom = Math.min(openFrom, startedAt);
        continue;
      }

      if (tree.phase === 'running') {
        // A look at a tree still going (budget-exceeded only): its findings are recorded as fired, so
        // that its stale or ended judgement does not report them again; the root stays open, enters no
        // history and gives no run record. The entry of an earlier full judgement keeps its facts and
        // phase (only its fired ids grow), so that the full judgement of this view still happens.
        if (prev && tree.facts <= prev.facts) continue;
        options ??= resolveAgentOptions(ctx.config, subject);
        const already = alreadyFired(prev, tree);
        const fresh = judgeTree(tree, NO_HISTORY, ctx.config, options, agentMaxRuntime(tree, ctx.config, history.view)).filter((f) => !reportedOfTree(already, f, tree));
        // Nothing new: nothing written (the sweep looks at every running tree every few minutes).
        if (fresh.length === 0) continue;
        findings.push(...fresh);
        subagents.note(tree);
        const entry = prev && prev.phase !== 'running' ? prev : { run_id: tree.root_run_id, facts: tree.facts, phase: 'running' as const };
        judgedRoots.remove(tree.root_run_id);
        judgedRoots.push({ ...entry, fired: [...asMarks(prev?.fired ?? []), ...fresh.map(firedId)] }, stillOpen);
        continue;
      }

      // A view judged in full already is not judged again; one only looked at running is (`JudgedRoot`).
      if (prev && (tree.facts < prev.facts || (tree.facts === prev.facts && prev.phase !== 'running' && (prev.phase === 'ended' || tree.phase === 'stale')))) {
        // A root judged stale that stays quiet may pass its max runtime later: run-unfinished alone judges it again.
        if (tree.phase !== 'stale' || tree.facts !== prev.facts) continue;
        options ??= resolveAgentOptions(ctx.config, subject);
        const already = alreadyFired(prev, tree);
        const late = judgeTree(tree, NO_HISTORY, ctx.config, options, agentMaxRuntime(tree, ctx.config, history.view), UNFINISHED_JUDGES).filter((f) => !reportedOfTree(already, f, tree));
        if (late.length === 0) continue;
        findings.push(...late);
        judgedRoots.remove(tree.root_run_id);
        judgedRoots.push({ ...prev, fired: [...asMarks(prev.fired), ...late.map(firedId)] }, stillOpen);
        continue;
      }
      options ??= resolveAgentOptions(ctx.config, subject);
      const judged = judgeTree(
        tree,
        costHistoryFor({ history: history.view }, tree, ctx.config.defaults.baseline_window),
        ctx.config,
        options,
        agentMaxRuntime(tree, ctx.config, history.view),
      );
      const already = alreadyFired(prev, tree);
      const fresh = judged.filter((f) => !reportedOfTree(already, f, tree));
      findings.push(...fresh);
      const fired = [...asMarks(prev?.fired ?? []), ...fresh.map(firedId)];
      subagents.note(tree);
      const counted = rootCounted(prev);
      judgedRoots.remove(tree.root_run_id);
      judgedRoots.push({ run_id: tree.root_run_id, facts: tree.facts, phase: tree.phase, fired, ...(counted && tree.phase !== 'ended' ? { counted: true as const } : {}) }, stillOpen);

      if (tree.phase === 'ended') {
        const totals = totalsOf(tree.runs);
        const outlier = fresh.some((f) => f.detector === 'cost-outlier') || reportedBefore(already, { detector: 'cost-outlier', run_id: tree.root_run_id });
        // Read before a late sub-agent, not ended, reached the tree, and judged after that sub-agent's marker: the root
        // stays open and out of the history, as when the marker comes after it (above), to be judged once the tree ends.
        const outgrown = outgrownBy(open.get(tree.root_run_id), tree);
        if (!outgrown) open.remove(tree.root_run_id);
        roots += counted ? 0 : 1;
        rootsChanged = true;
        if (!outgrown) {
          history.upsert({
            run_id: tree.root_run_id,
            ended_at: tree.ended_at ?? tree.last_at,
            ...(tree.started_at !== undefined ? { started_at: tree.started_at } : {}),
            ...(totals.costed > 0 ? { cost_usd: totals.cost_usd } : {}),
            ...(totals.tokened > 0 ? { tokens: totals.tokens } : {}),
            ...(outlier ? { outlier: true as const } : {}),
          });
        }
        if (!counted) {
          const root = tree.runs[0];
          records.push({
            subject,
            subject_kind: 'agent',
            run_id: tree.root_run_id,
            ts: isoTime(tree.ended_at ?? tree.last_at),
            status: root.status === 'ok' ? 'ok' : 'failed',
            ...(root.started_at !== undefined && root.ended_at !== undefined ? { duration_ms: root.ended_at - root.started_at } : {}),
            // Reported by the sweep before the root ended (while it ran, or once quiet): not fresh in this batch, still about this run.
            ...(firedAbout(already, tree.root_run_id) ? { flagged: true as const } : {}),
          });
        }
      }
    }
    if (!judgedRoots.changed && !open.changed && !history.changed) return { state: initial, findings, records };
    // Only the fields a snapshot wrote are set, in the stored state's key order (a spread keeps it).
    const state: AgentState = {
      ...initial,
      ...(history.changed ? { history: history.result() } : {}),
      ...(judgedRoots.changed ? { judged: withinFiredCap(judgedRoots.result(), stillOpen) } : {}),
      ...(open.changed ? { open: open.result() } : {}),
      ...(rootsChanged ? { roots } : {}),
      ...subagents.result(ctx.clock.now()),
    };
    return { state, findings, records };
  },
};

/** A state that has judged nothing yet: its sub-agents are recorded from its first tree. */
function isFresh(s: AgentState): boolean {
  return s.history.length === 0 && s.judged.length === 0 && s.open.length === 0 && s.roots === 0;
}

/**
 * The other agents that ran in an agent's judged trees (`AgentState.subagents`): noted per tree
 * judged, put together once per batch, the names seen latest kept, each with the months it was seen in.
 */
class SubagentList {
  private readonly seen = new Map<string, { readonly at: number; readonly months?: readonly string[] }>();
  private changed = false;
  private noted = false;
  /** The month of the last time looked at, and its bounds: a tree's runs mostly fall in one. */
  private month: MonthBounds = { month: '', fromMs: Number.NaN, toMs: Number.NaN };

  constructor(private readonly initial: AgentState) {
    for (const [name, at, months] of initial.subagents ?? []) this.seen.set(name, { at, ...(months ? { months } : {}) });
  }

  note(tree: TreeSnapshot): void {
    this.noted = true;
    for (const run of tree.runs) {
      if (run.agent === tree.agent) continue;
      // A run not ended yet was seen up to the tree's latest line at most.
      const at = run.ended_at ?? tree.last_at;
      const known = this.seen.get(run.agent);
      // An entry written before the months were kept has its latest time's month only.
      const before = known?.months ?? (known ? this.monthsOf(known.at, known.at) : []);
      const months = this.withRun(before, run.started_at ?? at, at);
      if (known !== undefined && known.at >= at && months === before) continue;
      this.seen.set(run.agent, { at: known !== undefined && known.at >= at ? known.at : at, months });
      this.changed = true;
    }
  }

  /**
   * `months` with every month of a run from `from` to `to` in (`withMonths`): a run that started in
   * October and ended in November ran in both. `months` itself, nothing made, when the run's one month
   * is listed already.
   */
  private withRun(months: readonly string[], from: number, to: number): readonly string[] {
    if (!Number.isFinite(to)) return months;
    const last = this.boundsAt(to);
    if (!(from < last.fromMs) && months.includes(last.month)) return months;
    return withMonths(months, this.monthsOf(from, to));
  }

  /**
   * The UTC months (oldest first) from `from` through `to`, the latest `MAX_SUBAGENT_MONTHS`: `to`'s
   * only when `from` is not known or not before it; none for a `to` not known.
   */
  private monthsOf(from: number, to: number): readonly string[] {
    if (!Number.isFinite(to)) return [];
    const months = [this.boundsAt(to)];
    while (months.length < MAX_SUBAGENT_MONTHS && from < months[0].fromMs) months.unshift(monthBoundsAt(months[0].fromMs - 1));
    return months.map((m) => m.month);
  }

  /** The UTC month holding `at`, from the last one looked at when it holds it. */
  private boundsAt(at: number): MonthBounds {
    if (!(at >= this.month.fromMs && at < this.month.toMs)) this.month = monthBoundsAt(at);
    return this.month;
  }

  /**
   * The fields to write: `subagents_since` on the first write (0 for a state this code begins, so that
   * one written before its first tree is judged is not taken for a state written before sub-agents
   * were kept), the list when a tree was judged.
   */
  result(now: number): Partial<AgentState> {
    if (!this.noted) return this.initial.subagents_since === undefined && isFresh(this.initial) ? { subagents_since: 0 } : {};
    const s = this.initial;
    const since = s.subagents_since ?? (isFresh(s) ? 0 : Math.max(now, ...s.history.map((h) => h.ended_at), ...s.open.map((o) => o.started_at)));
    if (!this.changed) return s.subagents_since === undefined ? { subagents_since: since } : {};
    const sorted = [...this.seen].sort((a, b) => a[1].at - b[1].at || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const dropped = sorted.slice(0, Math.max(0, sorted.length - MAX_SUBAGENTS));
    const droppedAt = Math.max(s.subagents_dropped_at ?? Number.NEGATIVE_INFINITY, ...dropped.map(([, e]) => e.at));
    return {
      subagents: sorted.slice(dropped.length).map(([name, e]): SubagentSeen => (e.months && e.months.length > 0 ? [name, e.at, e.months] : [name, e.at])),
      ...(Number.isFinite(droppedAt) ? { subagents_dropped_at: droppedAt } : {}),
      subagents_since: since,
    };
  }
}

/**
 * `months` (oldest first) with a run's months (`added`, oldest first, one after another) in, the latest
 * `MAX_SUBAGENT_MONTHS`; `months` itself when it holds them all already, or they all are older than
 * the oldest listed (the months before that are not known: listing them would say the ones between
 * had no runs). A run that reaches the oldest listed month leaves no month between unlisted.
 */
function withMonths(months: readonly string[], added: readonly string[]): readonly string[] {
  const latest = added[added.length - 1];
  if (latest === undefined || (months.length > 0 && latest < months[0])) return months;
  const missing = added.filter((m) => !months.includes(m));
  if (missing.length === 0) return months;
  const next = [...months, ...missing].sort();
  return next.length > MAX_SUBAGENT_MONTHS ? next.slice(next.length - MAX_SUBAGENT_MONTHS) : next;
}

/**
 * Notes on a run's aggregate (`agentrun#<run_id>`) what the sweep found of its tree: when judged
 * without its parent (`judged_alone`), and, as a root, before it ended (`fired_unended`). The
 * sweep's only: ingest never judges such a tree.
 */
export const agentRunNoteReducer: SubjectReducer<AgentRunState> = {
  kind: 'agent',
  stateKind: AGENT_RUN_STATE_KIND,
  bodyTypes: ['agent.judged-alone', 'agent.fired-unended'],
  subjectOf(event) {
    // A later run of an id started again is noted on its id's aggregate, whose current run it is.
    const runId = runNoteOf(event)?.run_id;
    return runId === undefined ? undefined : (runIdOfInstance(runId) ?? runId);
  },
  initial: initialAgentRun,
  apply(state, _subject, events): Reduction<AgentRunState> {
    let next = state;
    for (const event of events) {
      const note = runNoteOf(event);
      if (note?.type === 'agent.judged-alone') {
        next = markJudgedAlone(next, note.fired);
        if (note.counted === true) next = markCountedAlone(next);
      } else if (note) next = markFiredUnended(next, note.fired);
    }
    return { state: next, findings: [], records: [] };
  },
  expiresAt(state) {
    return state.expires_at;
  },
};

export interface AgentIndexState {
  readonly agents: readonly string[];
}

const MAX_AGENTS = 2000;
/**
 * Bytes of UTF-8 the index's names may take together: names are up to 400 bytes, and 2,000 of them
 * (577 KB) would outgrow a state item (DynamoDB's 400 KB). The sweep reads each agent's state by its
 * name, so names are kept as written, and the oldest fall off first past either bound (at most
 * 655 names of 400 bytes; 2,000 of up to 131).
 */
export const MAX_AGENT_INDEX_BYTES = 256 * 1024;
export const AGENT_INDEX_STATE_KIND = 'agentindex';
export const AGENT_INDEX_SUBJECT = 'all';

/** The names of every agent with a root run (the latest 2,000, within `MAX_AGENT_INDEX_BYTES`): the sweep starts here. Written only when a new name appears. */
export const agentIndexReducer: SubjectReducer<AgentIndexState> = {
  kind: 'agent',
  stateKind: AGENT_INDEX_STATE_KIND,
  bodyTypes: ['agent.tree'],
  subjectOf(event) {
    return treeOf(event) ? AGENT_INDEX_SUBJECT : undefined;
  },
  initial: () => ({ agents: [] }),
  apply(state, _subject, events): Reduction<AgentIndexState> {
    const names = new Set(state.agents);
    const added = [...new Set(events.flatMap((e) => treeOf(e)?.agent ?? []))].filter((a) => !names.has(a));
    if (added.length === 0) return { state, findings: [], records: [] };
    const agents = [...state.agents, ...added].slice(-MAX_AGENTS);
    let from = 0;
    for (let bytes = agents.reduce((sum, a) => sum + Buffer.byteLength(a, 'utf8'), 0); bytes > MAX_AGENT_INDEX_BYTES; from++) bytes -= Buffer.byteLength(agents[from], 'utf8');
    return { state: { agents: from === 0 ? agents : agents.slice(from) }, findings: [], records: [] };
  },
};

/** The agent reducers, in the order the pipeline needs them; registered in `reducers.ts`. */
export const AGENT_REDUCERS: readonly SubjectReducer<unknown>[] = [
  agentRunReducer as SubjectReducer<unknown>,
  agentTreeReducer as SubjectReducer<unknown>,
  agentIndexReducer as SubjectReducer<unknown>,
];
