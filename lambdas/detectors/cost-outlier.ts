import { formatCount, formatUsd } from '../core/agent-format.ts';
import { totalsOf } from '../core/agent-tree.ts';
import { isoTime } from '../core/findings.ts';
import { median } from '../core/stats.ts';
import type { TreeDetector } from './agent-kinds.ts';

export const costOutlierDetector: TreeDetector = {
  kind: 'agent-tree',
  meta: {
    id: 'cost-outlier',
    description: "A root agent run (with everything under it) cost far more than the median of that agent's previous root runs.",
    subjectKind: 'agent',
    defaultSeverity: 'high',
    fiveCs: {
      criteria:
        "A root run's tree cost (the sum of `cost_usd` of every action in it) above {{cost_outlier_factor}}× (`cost_outlier_factor`) the median of the agent's previous root runs, once `min_history` ({{min_history}}) are known. Without logged costs, tokens (`tokens_in` + `tokens_out`) are compared with the tokens of previous runs instead: like with like. A median of 0 (most runs free or cached) gives way to the median of the previous runs that cost anything; with none, the first that costs is not judged. A run that fired does not enter the baseline.",
      cause:
        'A loop or recursion with no working budget, a retry storm behind a flaky tool, a prompt or context that grew (whole documents pasted in), a switch to a larger model, an input that makes the agent wander.',
      consequence: "One feature's spend multiplies per request while totals look like growth; found at the end of the month on the bill, not when it started.",
      correctiveAction:
        "Open the run's tree: which sub-agents and actions did the extra work (see budget-exceeded and budget-undercount on the same run). Add or tighten a per-task budget, cap retries, and alert per run rather than on daily totals.",
    },
  },
  check({ tree, history, options }) {
    // A running tree (the sweep's look at a root that has not ended) is not judged: its cost is not final.
    if ((tree.phase !== 'ended' && tree.phase !== 'stale') || tree.runs.length === 0) return [];
    const totals = totalsOf(tree.runs);
    const byCost = totals.costed > 0 && history.costs.length >= options.minHistory;
    const byTokens = !byCost && totals.tokened > 0 && history.tokens.length >= options.minHistory;
    if (!byCost && !byTokens) return [];
    const previous = (byCost ? history.costs : history.tokens).slice(-options.baselineWindow);
    const baseline = baselineOf(previous);
    if (baseline === undefined) return [];
    const typical = baseline.median;
    const value = byCost ? totals.cost_usd : totals.tokens;
    // Exactly the factor is within it (with room for float dust: 5 × 0.09 is 0.44999…).
    if (value <= options.costOutlierFactor * typical * (1 + 1e-9)) return [];
    const ratio = Math.round((value / typical) * 10) / 10;
    const root = tree.runs[0];
    const soFar = tree.phase === 'stale' ? ' so far (it never ended)' : '';
    const across = tree.runs.length > 1 ? ` across ${tree.runs.length} runs` : '';
    const free = previous.length - baseline.window;
    const message = byCost
      ? `run ${root.run_id} cost ${formatUsd(value)}${across}${soFar}, ${ratio}× the median ${formatUsd(typical)} of ${free > 0 ? `the ${baseline.window} of the previous ${previous.length} runs that cost anything (${free} cost ${formatUsd(0)})` : `the previous ${previous.length} runs`}`
      : `run ${root.run_id} used ${formatCount(value)} tokens${across}${soFar}, ${ratio}× the median ${formatCount(typical)} of ${free > 0 ? `the ${baseline.window} of the previous ${previous.length} runs that used any (${free} used none)` : `the previous ${previous.length} runs`} (no costs logged)`;
    return [
      {
        subject: tree.agent,
        run_id: root.run_id,
        ts: isoTime(tree.ended_at ?? tree.last_at),
        message,
        evidence: {
          metric: byCost ? 'cost_usd' : 'tokens',
          value,
          median: typical,
          ratio,
          factor: options.costOutlierFactor,
          window: previous.length,
          ...(free > 0 ? { nonzero_window: baseline.window } : {}),
          runs: tree.runs.length,
          ...(tree.phase === 'stale' ? { ended: false } : {}),
        },
      },
    ];
  },
};

/**
 * What a run is compared with: the median of the previous runs, or, when that is 0 (most were cache
 * hits or free), the median of those that cost anything, a real paid run (any cost is above 5× $0,
 * so that is the cautious reading of the rule). With none that cost anything there is nothing to scale
 * by: the first paid run is not judged and enters the baseline.
 */
function baselineOf(previous: readonly number[]): { readonly median: number; readonly window: number } | undefined {
  const typical = median(previous);
  if (typical === undefined || typical < 0) return undefined;
  if (typical > 0) return { median: typical, window: previous.length };
  const paid = previous.filter((value) => value > 0);
  const paidTypical = median(paid);
  return paidTypical === undefined ? undefined : { median: paidTypical, window: paid.length };
}
