import { type ArgType, DEFAULT_CONFIG } from '../../lambdas/config.ts';
import type { TreeSnapshot } from '../../lambdas/core/agent-tree.ts';
import type {
  AgentTreeOptions,
  CostHistory,
  RouteOptions,
  RouteWindow,
  RouteWindowDetector,
  ToolCallFacts,
  ToolCallDetector,
  TreeDetector,
} from '../../lambdas/detectors/agent-kinds.ts';
import { RETRY_LATENCY_FACTOR } from '../../lambdas/detectors/retry-latency.ts';
import { type DetectorTable, testDetectorTable as table } from './detector-table.ts';

export type { DetectorTable, ExpectedFinding } from './detector-table.ts';

/** Table-driven testers for the agent detector kinds (tree, tool call, route window), on `detector-table.ts`. */

export interface TreeInput {
  readonly tree: TreeSnapshot;
  readonly history?: CostHistory;
  readonly options?: Partial<AgentTreeOptions>;
}

export const DEFAULT_TREE_OPTIONS: AgentTreeOptions = {
  minHistory: DEFAULT_CONFIG.defaults.min_history,
  baselineWindow: DEFAULT_CONFIG.defaults.baseline_window,
  costOutlierFactor: DEFAULT_CONFIG.defaults.cost_outlier_factor,
  budgets: {},
};

export function testTreeDetector(detector: TreeDetector, cases: DetectorTable<TreeInput>): void {
  table(
    detector.meta,
    (i) => i.tree.agent,
    (i) => detector.check({ tree: i.tree, history: i.history ?? { costs: [], tokens: [] }, options: { ...DEFAULT_TREE_OPTIONS, ...i.options } }),
    cases,
  );
}

export interface ToolInput {
  readonly call: ToolCallFacts;
  readonly configured?: Readonly<Record<string, ArgType>>;
}

export function testToolCallDetector(detector: ToolCallDetector, cases: DetectorTable<ToolInput>): void {
  table(detector.meta, (i) => i.call.tool, (i) => detector.check(i), cases);
}

export interface RouteInput {
  readonly route: string;
  readonly window: RouteWindow;
  readonly options?: Partial<RouteOptions>;
}

export const DEFAULT_ROUTE_OPTIONS: RouteOptions = { retryRateMax: DEFAULT_CONFIG.defaults.retry_rate_max, minRequests: DEFAULT_CONFIG.defaults.retry_min_requests, latencyFactor: RETRY_LATENCY_FACTOR };

export function testRouteWindowDetector(detector: RouteWindowDetector, cases: DetectorTable<RouteInput>): void {
  table(detector.meta, (i) => i.route, (i) => detector.check({ route: i.route, window: i.window, options: { ...DEFAULT_ROUTE_OPTIONS, ...i.options } }), cases);
}
