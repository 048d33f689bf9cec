import { actionsText, formatCount, formatUsdApart, topRuns } from '../core/agent-format.ts';
import { subtreeOf, totalsOf } from '../core/agent-tree.ts';
import { isoTime } from '../core/findings.ts';
import type { TreeDetector } from './agent-kinds.ts';
import type { FindingDraft } from './types.ts';

/** Reported costs are often rounded: short by less than half a percent (or a millionth of a dollar) is not short. */
const COST_TOLERANCE_RATIO = 0.005;
const USD_EPSILON = 1e-6;

export const budgetUndercountDetector: TreeDetector = {
  kind: 'agent-tree',
  meta: {
    id: 'budget-undercount',
    description: "An agent's own count of its actions (or cost) is below what its tree of runs shows: nested calls went uncounted.",
    subjectKind: 'agent',
    defaultSeverity: 'medium',
    fiveCs: {
      criteria:
        "A run's `agent.end` reports `actions_reported` below the actions logged by it and every sub-agent under it, or `cost_reported_usd` below their cost (by more than 0.5%).",
      cause:
        "The agent's counter sits in its outer loop: a tool that calls an LLM, a retry loop, or a sub-agent does work the counter never sees, so the budget it enforces is the top level only.",
      consequence: 'The budget the agent believes it keeps is not the one it spends; limits and cost reports built on its own numbers are too low.',
      correctiveAction:
        'Count where the work happens: decrement the budget in the code that makes each LLM and tool call, and let sub-agents share the parent\'s pool (the agent kit\'s `child()` does). The evidence lists the sub-agents whose actions were missed.',
    },
  },
  check({ tree }) {
    // A running tree (the sweep's look at a root that has not ended) is not judged: the agent's own count comes with its end.
    if (tree.phase !== 'ended' && tree.phase !== 'stale') return [];
    const drafts: FindingDraft[] = [];
    for (const run of tree.runs) {
      if (run.ended_at === undefined || (run.actions_reported === undefined && run.cost_reported_usd === undefined)) continue;
      const sub = subtreeOf(tree, run.run_id);
      const totals = totalsOf(sub);
      const actionsShort = run.actions_reported !== undefined && run.actions_reported < totals.actions;
      const costShort =
        run.cost_reported_usd !== undefined &&
        totals.costed > 0 &&
        // Short by exactly 0.5% is within it (with room for float dust: 0.2 - 0.199 is 0.0010000000000000009).
        totals.cost_usd - run.cost_reported_usd > Math.max(USD_EPSILON, COST_TOLERANCE_RATIO * totals.cost_usd) * (1 + 1e-9);
      if (!actionsShort && !costShort) continue;

      const nested = sub.filter((r) => r.run_id !== run.run_id);
      const nestedActions = totals.actions - run.actions;
      const who = run.depth === 0 ? `run ${run.run_id}` : `sub-agent ${run.agent} (run ${run.run_id}, under ${tree.root_run_id})`;
      const parts: string[] = [];
      if (actionsShort) {
        const missed = totals.actions - (run.actions_reported as number);
        const inside = nested.length > 0 ? ` (${formatCount(run.actions)} own, ${formatCount(nestedActions)} in ${nested.length} sub-agent run${nested.length === 1 ? '' : 's'})` : '';
        parts.push(`reported ${actionsText(run.actions_reported as number)} but its tree shows ${formatCount(totals.actions)}${inside}: ${formatCount(missed)} went uncounted`);
      }
      if (costShort) {
        const [reported, observed] = formatUsdApart(run.cost_reported_usd as number, totals.cost_usd);
        parts.push(`reported ${reported} but its tree cost ${observed}`);
      }
      drafts.push({
        subject: tree.agent,
        run_id: run.run_id,
        ts: isoTime(run.ended_at),
        message: `${who} ${parts.join('; ')}`,
        evidence: {
          root_run_id: tree.root_run_id,
          ...(run.actions_reported !== undefined ? { actions_reported: run.actions_reported } : {}),
          actions_observed: totals.actions,
          own_actions: run.actions,
          nested_actions: nestedActions,
          ...(actionsShort ? { missed_actions: totals.actions - (run.actions_reported as number) } : {}),
          ...(run.cost_reported_usd !== undefined ? { cost_reported_usd: run.cost_reported_usd } : {}),
          ...(totals.costed > 0 ? { cost_observed_usd: totals.cost_usd } : {}),
          top_nested: topRuns(nested, actionsShort ? 'actions' : 'cost'),
        },
      });
    }
    return drafts;
  },
};
