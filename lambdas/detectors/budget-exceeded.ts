import { actionsText, budgetText, contributorsText, formatUsdApart, topActions, topRuns } from '../core/agent-format.ts';
import type { AgentBudget } from '../core/agent-run.ts';
import { effectiveBudget, roundUsd, subtreeOf, ticksCountingUnticked, ticksOf, totalsOf, type TreeRun, type TreeSnapshot } from '../core/agent-tree.ts';
import { isoTime } from '../core/findings.ts';
import type { TreeDetector } from './agent-kinds.ts';
import type { FindingDraft } from './types.ts';

type Limit = 'actions' | 'cost';
/** Cost sums carry float dust; a cent's ten-thousandth over is not over. */
const USD_EPSILON = 1e-6;

/** Which of a sub-run's own limits need a check of their own: those tighter than the pool's (or that the pool lacks). */
function ownLimits(own: AgentBudget, pool: AgentBudget | undefined): Limit[] {
  const tighter = (mine: number | undefined, shared: number | undefined) =>
    mine !== undefined && (pool === undefined || pool.scope !== own.scope || shared === undefined || mine < shared);
  return [...(tighter(own.max_actions, pool?.max_actions) ? (['actions'] as const) : []), ...(tighter(own.max_cost_usd, pool?.max_cost_usd) ? (['cost'] as const) : [])];
}

function allLimits(budget: AgentBudget): Limit[] {
  return [...(budget.max_actions !== undefined ? (['actions'] as const) : []), ...(budget.max_cost_usd !== undefined ? (['cost'] as const) : [])];
}

function whoOf(tree: TreeSnapshot, run: TreeRun): string {
  return run.depth === 0 ? `run ${run.run_id}` : `sub-agent ${run.agent} (run ${run.run_id}, under ${tree.root_run_id})`;
}

/** What was used against the limits crossed; a cost with as many decimals as tell it from its budget's. */
function usedText(limits: readonly Limit[], actions: number, cost: number, budget: AgentBudget): string {
  return limits.map((l) => (l === 'actions' ? actionsText(actions) : formatUsdApart(cost, budget.max_cost_usd ?? 0)[0])).join(' and ');
}

/**
 * What a finding on a running tree (the sweep's look at a root that has not ended) adds: the count
 * is the one so far, and the run, or runs under it, still go on. A sub-agent whose subtree ended
 * has its final count, though its root runs on: nothing is added.
 */
function notEndedText(tree: TreeSnapshot, run: TreeRun, sub: readonly TreeRun[]): { soFar: string; note: string } | undefined {
  if (tree.phase !== 'running') return undefined;
  const unended = sub.filter((r) => r.ended_at === undefined).length;
  if (unended === 0) return undefined;
  if (run.ended_at === undefined) return { soFar: ' so far', note: '; it has not ended yet' };
  return { soFar: ' so far', note: `; ${unended} run${unended === 1 ? '' : 's'} under it ha${unended === 1 ? 's' : 've'} not ended yet` };
}

function judgeRun(tree: TreeSnapshot, run: TreeRun, budget: AgentBudget, source: 'event' | 'config', limits: readonly Limit[]): FindingDraft | undefined {
  const sub = subtreeOf(tree, run.run_id);
  const its = run.depth === 0 ? 'its budget' : 'its own budget';
  const ts = isoTime(run.depth === 0 ? (tree.ended_at ?? tree.last_at) : (run.ended_at ?? tree.ended_at ?? tree.last_at));
  const going = notEndedText(tree, run, sub);
  const soFar = going?.soFar ?? '';
  const note = going?.note ?? '';
  const ended = going ? { ended: false } : {};
  const base = {
    scope: budget.scope,
    budget_source: source,
    root_run_id: tree.root_run_id,
    // A sub-agent held to its own budget names itself: the finding's subject is its tree's root agent, the budget and its owner are the sub-agent's.
    ...(run.depth === 0 ? {} : { sub_agent: run.agent }),
    runs: sub.length,
    ...(budget.max_actions !== undefined ? { max_actions: budget.max_actions } : {}),
    ...(budget.max_cost_usd !== undefined ? { max_cost_usd: budget.max_cost_usd } : {}),
  };

  // A cost only where one was measured: a tree none of whose actions logged `cost_usd` keeps no cost at all, not $0.
  const totals = totalsOf(sub);
  const measured = totals.costed > 0;
  if (budget.scope === 'task') {
    const over = limits.filter((l) => (l === 'actions' ? totals.actions > (budget.max_actions ?? Infinity) : totals.cost_usd > (budget.max_cost_usd ?? Infinity) + USD_EPSILON));
    if (over.length === 0) return undefined;
    const by = over.includes('actions') ? 'actions' : 'cost';
    const runs = topRuns(sub, by);
    const actions = topActions(sub, by);
    const across = sub.length > 1 ? ` across ${sub.length} runs` : '';
    return {
      subject: tree.agent,
      run_id: run.run_id,
      ts,
      message: `${whoOf(tree, run)} used ${usedText(over, totals.actions, totals.cost_usd, budget)}${across}${soFar}, over ${its} of ${budgetText(budget, over, totals.cost_usd)} per task${note}${contributorsText(runs, actions, by)}`,
      evidence: { ...base, limits: over, actions: totals.actions, ...(measured ? { cost_usd: totals.cost_usd } : {}), top_runs: runs, top_actions: actions, ...ended },
    };
  }

  // Per tick: every tick of the subtree against the budget, the worst one named; actions with no tick are in tick 0.
  const ticked = sub.map((r) => ({ ...r, by_tick: ticksCountingUnticked(r) }));
  const ticks = [...ticksOf(ticked)];
  const overTicks = ticks
    .map(([tick, [count, cost]]) => ({ tick, count, cost: roundUsd(cost), over: limits.filter((l) => (l === 'actions' ? count > (budget.max_actions ?? Infinity) : cost > (budget.max_cost_usd ?? Infinity) + USD_EPSILON)) }))
    .filter((t) => t.over.length > 0);
  if (overTicks.length === 0) return undefined;
  const over = limits.filter((l) => overTicks.some((t) => t.over.includes(l)));
  const by: Limit = over.includes('actions') ? 'actions' : 'cost';
  const worst = overTicks.sort((a, b) => (by === 'actions' ? b.count - a.count : b.cost - a.cost) || Number(a.tick) - Number(b.tick))[0];
  const inTick = ticked
    .filter((r) => r.by_tick[worst.tick] !== undefined)
    .map((r) => ({ ...r, actions: r.by_tick[worst.tick][0], cost_usd: r.by_tick[worst.tick][1] }));
  const runs = topRuns(inTick, by);
  const across = inTick.length > 1 ? ` across ${inTick.length} runs` : '';
  const unticked = worst.tick === '0' ? sub.reduce((n, r) => n + r.unticked, 0) : 0;
  const untickedText = unticked > 0 ? `; ${actionsText(unticked)} with no tick count${unticked === 1 ? 's' : ''} as tick 0` : '';
  return {
    subject: tree.agent,
    run_id: run.run_id,
    ts,
    message:
      `tick ${worst.tick} of ${whoOf(tree, run)} used ${usedText(over, worst.count, worst.cost, budget)}${across}${soFar}, over ${its} of ${budgetText(budget, over, worst.cost)} per tick ` +
      `(${overTicks.length} of ${ticks.length} ticks over${untickedText})${note}${contributorsText(runs, [], by)}`,
    evidence: {
      ...base,
      limits: over,
      tick: Number(worst.tick),
      tick_actions: worst.count,
      // That tick's own cost, only where its actions logged one (ticks keep no count of costed actions: a cost above 0); another tick's costs measure none of it.
      ...(worst.cost > 0 ? { tick_cost_usd: worst.cost } : {}),
      // The run's cost (its subtree's, as a task budget's finding keeps it), where measured: the report's cost of the affected runs.
      ...(measured ? { cost_usd: totals.cost_usd } : {}),
      ticks_over: overTicks.length,
      ticks: ticks.length,
      ...(unticked > 0 ? { unticked_actions: unticked } : {}),
      top_runs: runs,
      ...ended,
    },
  };
}

export const budgetExceededDetector: TreeDetector = {
  kind: 'agent-tree',
  meta: {
    id: 'budget-exceeded',
    description: 'An agent tree (a root run and every sub-agent under it) used more actions or cost than its budget, per task or in one tick.',
    subjectKind: 'agent',
    defaultSeverity: 'high',
    fiveCs: {
      criteria:
        "Every `agent.action` anywhere under a root run counts against the root's budget (its `agent.start` budget, else `agents.<name>.budget`): the tree's actions or cost above `max_actions`/`max_cost_usd` (`scope: task`), or any one tick above them (`scope: tick`; actions with no `tick` count as tick 0, as the agent kit counts them). A sub-agent with its own tighter budget is also held to it. Exactly at the limit is within it. Judged when the tree ends, and by the sweep while it runs: a count only grows, so a run stuck in a loop is reported as soon as it is over, before it ends.",
      cause:
        'A budget checked once at the start instead of per action; a loop whose recursion or retries never look at the counter; tool calls that make their own LLM calls; sub-agents with budgets of their own but no shared pool, so "20 actions" means 20 at the top and unbounded below.',
      consequence: 'Runs cost several times what was intended and nobody sees it until the bill: a 20-call agent quietly making 80 calls, on every request.',
      correctiveAction:
        'Decrement one shared budget at the innermost call site (every LLM and tool call, in every sub-agent) and stop at zero: return early and dead-letter the run for review. The agent kit (`createAgentEmitter`) does this; look at the top contributors in the evidence for where the calls went.',
    },
  },
  check({ tree, options }) {
    // A running tree is judged too (the sweep's look at a root stuck in a loop): its count only grows, over is over.
    if (tree.phase === 'open' || tree.runs.length === 0) return [];
    const drafts: FindingDraft[] = [];
    const root = tree.runs[0];
    const pool = effectiveBudget(root, options.budgets);
    for (const run of tree.runs) {
      if (run.depth === 0) {
        if (!pool) continue;
        const draft = judgeRun(tree, run, pool.budget, pool.source, allLimits(pool.budget));
        if (draft) drafts.push(draft);
        continue;
      }
      const own = effectiveBudget(run, options.budgets);
      if (!own) continue;
      const limits = ownLimits(own.budget, pool?.budget);
      if (limits.length === 0) continue;
      const draft = judgeRun(tree, run, own.budget, own.source, limits);
      if (draft) drafts.push(draft);
    }
    return drafts;
  },
};
