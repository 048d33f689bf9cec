import type { ArgType } from '../config.ts';
import type { AgentBudget } from '../core/agent-run.ts';
import type { TreeSnapshot } from '../core/agent-tree.ts';
import type { MaxRuntime } from './run-unfinished.ts';
import type { DetectorMeta, FindingDraft } from './types.ts';

/**
 * The detector kinds of the agent half (issue #5): agent trees, tool calls and route windows.
 * Like run detectors, they are pure: the reducers hand them facts, options and history, and they
 * return finding drafts.
 */

/** An agent's options: the defaults with its own config on top. */
export interface AgentTreeOptions {
  readonly minHistory: number;
  readonly baselineWindow: number;
  readonly costOutlierFactor: number;
  /** Configured budgets by agent name (`agents.<name>.budget`); a run's own `agent.start` budget wins. */
  readonly budgets: Readonly<Record<string, AgentBudget | undefined>>;
}

/** Totals of previous root runs of the tree's agent, oldest first, that ended before it (outliers left out). */
export interface CostHistory {
  /** Tree costs (USD) of previous roots that logged costs. */
  readonly costs: readonly number[];
  /** Tree tokens of previous roots that logged tokens. */
  readonly tokens: readonly number[];
}

export interface TreeCheckInput {
  readonly tree: TreeSnapshot;
  readonly history: CostHistory;
  readonly options: AgentTreeOptions;
  /** The root's maximum runtime, for a tree judged before it ended (run-unfinished). */
  readonly maxRuntime?: MaxRuntime;
}

/** A detector judging one agent tree (a root run and everything under it). */
export interface TreeDetector {
  readonly meta: DetectorMeta;
  readonly kind: 'agent-tree';
  check(input: TreeCheckInput): FindingDraft[];
}

/** One tool call, as a `tool.call` line gave it. */
export interface ToolCallFacts {
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** The call's time (epoch ms): relative date bounds count from it. */
  readonly at: number;
  readonly agent?: string;
  readonly run_id?: string;
  readonly call_id?: string;
}

export interface ToolCallInput {
  readonly call: ToolCallFacts;
  /** `tools.<name>.args` from the config; arguments not listed are typed by their names. */
  readonly configured?: Readonly<Record<string, ArgType>>;
}

export interface ToolCallDetector {
  readonly meta: DetectorMeta;
  readonly kind: 'tool-call';
  check(input: ToolCallInput): FindingDraft[];
}

export type RouteWindowKind = 'hour' | 'day' | 'month';

/** A route's completed requests in one window: the rolling hour, the rolling day, or a calendar month. */
export interface RouteWindow {
  readonly kind: RouteWindowKind;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive: the moment the window was judged at. */
  readonly to: number;
  readonly requests: number;
  /** Requests that needed more than one attempt (their first attempt failed, or a later one was made). */
  readonly retried: number;
  /** Requests with no successful attempt at all. */
  readonly failed: number;
  readonly attempts: number;
  /** p99 of end-to-end latency (first attempt's start to last attempt's end), ms. */
  readonly p99_e2e_ms?: number;
  /** p99 of single attempts' latency, ms. */
  readonly p99_attempt_ms?: number;
  /** Epoch ms: the start of the latest bucket (15 min or 1 h) holding a retried request; none without one. */
  readonly lastRetriedBucket?: number;
}

export interface RouteOptions {
  readonly retryRateMax: number;
  readonly minRequests: number;
  readonly p99Ms?: number;
  /** retry-latency's relative rule: end to end above this many times the single-attempt p99; 0: off. */
  readonly latencyFactor: number;
}

export interface RouteWindowInput {
  readonly route: string;
  readonly window: RouteWindow;
  readonly options: RouteOptions;
}

export interface RouteWindowDetector {
  readonly meta: DetectorMeta;
  readonly kind: 'route-window';
  check(input: RouteWindowInput): FindingDraft[];
}
