import type { AgentBudget } from './agent-run.ts';
import { actionsOf, roundUsd, totalsOf, type TreeRun, type TreeSnapshot } from './agent-tree.ts';
import { formatApart } from './format-apart.ts';
import { compareNames } from './name-order.ts';

/** Words and evidence shared by the agent detectors: money, top contributors, budgets. */

/** `$0.83`, `$12.50`, `$0.0042`: cents, or two significant digits below ten cents. */
export function formatUsd(usd: number): string {
  if (usd === 0 || Math.abs(usd) >= 0.1) return `$${usd.toFixed(2)}`;
  return `$${Number(usd.toPrecision(2))}`;
}

/** Two amounts as `formatUsd` writes them, or to more decimals when that would read them as equal (`formatApart`: `$0.199` against `$0.200`). */
export function formatUsdApart(usd: number, other: number): readonly [string, string] {
  return formatApart(usd, other, (v, extra) => (extra === 0 ? formatUsd(v) : `$${v.toFixed(2 + extra)}`), 7);
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `1 action`, `27 actions` */
export function actionsText(n: number): string {
  return `${formatCount(n)} action${n === 1 ? '' : 's'}`;
}

/** `0 actions`, `12 actions across 3 runs`: what a tree did, for a finding about its root's end. */
export function treeWorkText(tree: Pick<TreeSnapshot, 'runs'>): string {
  const across = tree.runs.length > 1 ? ` across ${tree.runs.length} runs` : '';
  return `${actionsText(totalsOf(tree.runs).actions)}${across}`;
}

export interface RunContribution {
  readonly run_id: string;
  readonly agent: string;
  readonly actions: number;
  readonly cost_usd: number;
}

export interface ActionContribution {
  readonly action: string;
  readonly count: number;
  readonly cost_usd: number;
}

/** The runs that did most, by actions or by cost, at most `limit`. */
export function topRuns(runs: readonly TreeRun[], by: 'actions' | 'cost', limit = 3): RunContribution[] {
  return runs
    .filter((r) => (by === 'actions' ? r.actions > 0 : r.cost_usd > 0))
    .map((r) => ({ run_id: r.run_id, agent: r.agent, actions: r.actions, cost_usd: roundUsd(r.cost_usd) }))
    .sort((a, b) => (by === 'actions' ? b.actions - a.actions : b.cost_usd - a.cost_usd) || a.run_id.localeCompare(b.run_id))
    .slice(0, limit);
}

/** The kinds of action (with their names) that were made most, at most `limit`. */
export function topActions(runs: readonly TreeRun[], by: 'actions' | 'cost', limit = 3): ActionContribution[] {
  return [...actionsOf(runs)]
    .map(([action, [count, cost]]) => ({ action, count, cost_usd: roundUsd(cost) }))
    .sort((a, b) => (by === 'actions' ? b.count - a.count : b.cost_usd - a.cost_usd) || compareNames(a.action, b.action))
    .slice(0, limit);
}

/** `researcher r-1.1 with 12, tool_call:web_search ×9` */
export function contributorsText(runs: readonly RunContribution[], actions: readonly ActionContribution[], by: 'actions' | 'cost'): string {
  const parts = [
    ...runs.slice(0, 2).map((r) => `${r.agent} ${r.run_id} with ${by === 'actions' ? formatCount(r.actions) : formatUsd(r.cost_usd)}`),
    ...actions.slice(0, 1).map((a) => `${a.action} ×${formatCount(a.count)}`),
  ];
  return parts.length > 0 ? `; top: ${parts.join(', ')}` : '';
}

/** `20 actions and $0.50` for the limits named. */
export function budgetText(budget: AgentBudget, limits: readonly ('actions' | 'cost')[], usedUsd?: number): string {
  const max = budget.max_cost_usd ?? 0;
  return limits.map((l) => (l === 'actions' ? actionsText(budget.max_actions ?? 0) : usedUsd === undefined ? formatUsd(max) : formatUsdApart(usedUsd, max)[1])).join(' and ');
}
