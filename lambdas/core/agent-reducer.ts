import type { Config } from '../config.ts';
import type { AgentTreeOptions, CostHistory } from '../detectors/agent-kinds.ts';
import type { DetectorId } from '../detectors/ids.ts';
import { TREE_DETECTORS } from '../detectors/index.ts';
import type { RunRecord } from '../ports.ts';
import { AGENT_RUN_STATE_KIND, type AgentBudget, type AgentRunState, applyAgentRunEvents, initialAgentRun, isAgentEvent } from './agent-run.ts';
import { totalsOf, type TreeSnapshot } from './agent-tree.ts';
import { deriveAgentTrees, treeOf } from './agent-tree-loader.ts';
import type { AgentStart } from './events.ts';
import { type Finding, isoTime } from './findings.ts';
import type { ReduceContext, Reduction, SubjectReducer } from './pipeline.ts';

/**
 * The agent reducers (issue #5), in the order they run:
 *
 * 1. `agentRunReducer`: one aggregate per run (`agentrun#<run_id>`); its follow-up walks the
 *    committed aggregates and derives tree snapshots (`agent-tree-loader.ts`).
 * 2. `agentTreeReducer`: one state per root agent (`agent#<name>`): judges each tree once it
 *    ended (again when late lines add to it), keeps the cost history of its root runs, and the
 *    roots still open for the sweep.
 * 3. `agentIndexReducer`: the names of all agents seen (`agentindex#all`), for the sweep.
 */

export const agentRunReducer: SubjectReducer<AgentRunState> = {
  kind: 'agent',
  stateKind: AGENT_RUN_STATE_KIND,
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
  apply(state, subject, events, ctx): Reduction<AgentRunState> {
    return { state: applyAgentRunEvents(state, subject, events, ctx), findings: [], records: [] };
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
  readonly cost_usd?: number;
  readonly tokens?: number;
  /** It fired cost-outlier: left out of the baseline, so a broken agent never becomes the norm. */
  readonly outlier?: true;
}

/** What has been judged of a root already: a newer view (more facts) is judged again, only new findings are reported. */
export interface JudgedRoot {
  readonly run_id: string;
  readonly facts: number;
  readonly phase: 'ended' | 'stale';
  /** `detector#run_id` of every finding reported for this tree. */
  readonly fired: readonly string[];
}

export interface OpenRoot {
  readonly run_id: string;
  readonly started_at: number;
  readonly tentative?: true;
}

export interface AgentState {
  readonly agent: string;
  /** Ended root runs, oldest first by end time. */
  readonly history: readonly AgentHistoryEntry[];
  readonly judged: readonly JudgedRoot[];
  readonly open: readonly OpenRoot[];
  readonly roots: number;
}

const MAX_HISTORY = 60;
const MAX_JUDGED = 500;
const MAX_OPEN = 200;
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
    costOutlierFactor: config.agents[agent]?.cost_outlier_factor ?? d.cost_outlier_factor,
    budgets,
  };
}

/**
 * Previous root runs that ended before this one, outliers left out, the latest `window` of each
 * metric, oldest first. The history is kept in end order, so it is read backwards and only as far
 * as the window needs (this runs for every judged tree).
 */
export function costHistoryFor(state: AgentState, tree: TreeSnapshot, window: number): CostHistory {
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

/** Runs every tree detector on a snapshot, in registry order. */
export function judgeTree(tree: TreeSnapshot, history: CostHistory, config: Config): Finding[] {
  const options = resolveAgentOptions(config, tree.agent);
  return TREE_DETECTORS.flatMap((detector) =>
    detector.check({ tree, history, options }).map((draft) => ({
      ...draft,
      detector: detector.meta.id,
      subject_kind: detector.meta.subjectKind,
      severity: config.defaults.severity[detector.meta.id] ?? draft.severity ?? detector.meta.defaultSeverity,
    })),
  );
}

function firedId(f: { detector: DetectorId; run_id?: string }): string {
  return `${f.detector}#${f.run_id ?? ''}`;
}

function upsertHistory(history: readonly AgentHistoryEntry[], entry: AgentHistoryEntry): AgentHistoryEntry[] {
  const next = [...history.filter((h) => h.run_id !== entry.run_id), entry].sort((a, b) => a.ended_at - b.ended_at || a.run_id.localeCompare(b.run_id));
  return next.length > MAX_HISTORY ? next.slice(next.length - MAX_HISTORY) : next;
}

/**
 * The agent state: judges trees as their snapshots arrive. Redelivered or stale snapshots (no
 * more facts than the last judged view) change nothing and return the same state object.
 */
export const agentTreeReducer: SubjectReducer<AgentState> = {
  kind: 'agent',
  subjectOf(event) {
    return treeOf(event)?.agent;
  },
  initial: initialAgentState,
  apply(initial, subject, events, ctx: ReduceContext): Reduction<AgentState> {
    let state = initial;
    const findings: Finding[] = [];
    const records: RunRecord[] = [];
    for (const event of events) {
      const tree = treeOf(event);
      if (!tree || tree.agent !== subject) continue;
      const prev = state.judged.find((j) => j.run_id === tree.root_run_id);

      if (tree.phase === 'open') {
        if (prev?.phase === 'ended' || state.open.some((o) => o.run_id === tree.root_run_id)) continue;
        const startedAt = tree.started_at ?? tree.last_at;
        const open = [...state.open.filter((o) => o.started_at >= startedAt - OPEN_MAX_AGE_MS), { run_id: tree.root_run_id, started_at: startedAt, ...(tree.tentative ? { tentative: true as const } : {}) }];
        state = { ...state, open: open.slice(-MAX_OPEN) };
        continue;
      }

      if (prev && (tree.facts < prev.facts || (tree.facts === prev.facts && (prev.phase === 'ended' || tree.phase === 'stale')))) continue;
      const judged = judgeTree(tree, costHistoryFor(state, tree, ctx.config.defaults.baseline_window), ctx.config);
      const already = new Set(prev?.fired ?? []);
      const fresh = judged.filter((f) => !already.has(firedId(f)));
      findings.push(...fresh);
      const fired = [...already, ...fresh.map(firedId)];
      const judgedRoots = [...state.judged.filter((j) => j.run_id !== tree.root_run_id), { run_id: tree.root_run_id, facts: tree.facts, phase: tree.phase, fired }];
      state = { ...state, judged: judgedRoots.slice(-MAX_JUDGED) };

      if (tree.phase === 'ended') {
        const totals = totalsOf(tree.runs);
        const outlier = fired.some((id) => id.startsWith('cost-outlier#'));
        state = {
          ...state,
          open: state.open.filter((o) => o.run_id !== tree.root_run_id),
          roots: state.roots + (prev?.phase === 'ended' ? 0 : 1),
          history: upsertHistory(state.history, {
            run_id: tree.root_run_id,
            ended_at: tree.ended_at ?? tree.last_at,
            ...(totals.costed > 0 ? { cost_usd: totals.cost_usd } : {}),
            ...(totals.tokened > 0 ? { tokens: totals.tokens } : {}),
            ...(outlier ? { outlier: true as const } : {}),
          }),
        };
        if (prev?.phase !== 'ended') {
          const root = tree.runs[0];
          records.push({
            subject,
            subject_kind: 'agent',
            run_id: tree.root_run_id,
            ts: isoTime(tree.ended_at ?? tree.last_at),
            status: root.status === 'ok' ? 'ok' : 'failed',
            ...(root.started_at !== undefined && root.ended_at !== undefined ? { duration_ms: root.ended_at - root.started_at } : {}),
          });
        }
      }
    }
    return { state, findings, records };
  },
};

export interface AgentIndexState {
  readonly agents: readonly string[];
}

const MAX_AGENTS = 2000;
export const AGENT_INDEX_STATE_KIND = 'agentindex';
export const AGENT_INDEX_SUBJECT = 'all';

/** The names of every agent with a root run: the sweep starts here. Written only when a new name appears. */
export const agentIndexReducer: SubjectReducer<AgentIndexState> = {
  kind: 'agent',
  stateKind: AGENT_INDEX_STATE_KIND,
  subjectOf(event) {
    return treeOf(event) ? AGENT_INDEX_SUBJECT : undefined;
  },
  initial: () => ({ agents: [] }),
  apply(state, _subject, events): Reduction<AgentIndexState> {
    const names = new Set(state.agents);
    const added = [...new Set(events.flatMap((e) => treeOf(e)?.agent ?? []))].filter((a) => !names.has(a));
    if (added.length === 0) return { state, findings: [], records: [] };
    return { state: { agents: [...state.agents, ...added].slice(-MAX_AGENTS) }, findings: [], records: [] };
  },
};

/** The agent reducers, in the order the pipeline needs them; registered in `reducers.ts`. */
export const AGENT_REDUCERS: readonly SubjectReducer<unknown>[] = [
  agentRunReducer as SubjectReducer<unknown>,
  agentTreeReducer as SubjectReducer<unknown>,
  agentIndexReducer as SubjectReducer<unknown>,
];
