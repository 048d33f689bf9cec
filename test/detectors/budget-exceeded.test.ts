import { budgetExceededDetector } from '../../lambdas/detectors/budget-exceeded.ts';
import { act, acts, deepTree, end, start, treeOf } from '../core/agent-fixtures.ts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TREE_OPTIONS, testTreeDetector } from './agent-detector-tester.ts';

/** The deep tree's contributors, as every task-scope finding on the whole tree lists them. */
const TOP_RUNS_BY_ACTIONS = [
  { run_id: 'r-1.1', agent: 'researcher', actions: 9, cost_usd: 0.18 },
  { run_id: 'r-1', agent: 'support-bot', actions: 8, cost_usd: 0.08 },
  { run_id: 'r-1.1.1', agent: 'fact-checker', actions: 6, cost_usd: 0.18 },
];
const TOP_RUNS_BY_COST = [
  { run_id: 'r-1.1', agent: 'researcher', actions: 9, cost_usd: 0.18 },
  { run_id: 'r-1.1.1', agent: 'fact-checker', actions: 6, cost_usd: 0.18 },
  { run_id: 'r-1', agent: 'support-bot', actions: 8, cost_usd: 0.08 },
];
const TOP_ACTIONS_BY_COUNT = [
  { action: 'llm_call', count: 18, cost_usd: 0.3 },
  { action: 'tool_call:web_search', count: 9, cost_usd: 0.18 },
];

/**
 * A run of scheduler with per-tick budget 5: tick 0 has 3 actions, tick 1 has 2 of its own and 4
 * of a sub-agent (6: over), tick 2 exactly 5; two actions carry no tick.
 */
function tickedTree(budget: Record<string, unknown>) {
  return [
    start(0, 'scheduler', 'r-2', { budget }),
    ...acts(3, 1, 'scheduler', 'r-2', { tick: 0 }),
    ...acts(2, 4, 'scheduler', 'r-2', { tick: 1 }),
    start(6, 'mailer', 'r-2.1', { parent_run_id: 'r-2' }),
    ...acts(4, 7, 'mailer', 'r-2.1', { tick: 1, action: 'tool_call', name: 'send_email' }),
    end(11, 'mailer', 'r-2.1'),
    ...acts(5, 12, 'scheduler', 'r-2', { tick: 2 }),
    ...acts(2, 17, 'scheduler', 'r-2'),
    end(19, 'scheduler', 'r-2'),
  ];
}

testTreeDetector(budgetExceededDetector, {
  valid: [
    { name: 'no budget in the start line nor the config', input: { tree: treeOf(deepTree(), 'r-1') } },
    {
      name: 'the whole tree exactly at its budget: 27 actions of 27',
      input: { tree: treeOf(deepTree(), 'r-1'), options: { budgets: { 'support-bot': { max_actions: 27, scope: 'task' } } } },
    },
    { name: 'cost exactly at its budget: $0.48 of $0.48', input: { tree: treeOf(deepTree({ rootBudget: { max_cost_usd: 0.48 } }), 'r-1') } },
    {
      name: "the start line's budget wins over the config: 30 in the line, 20 configured",
      input: { tree: treeOf(deepTree({ rootBudget: { max_actions: 30 } }), 'r-1'), options: { budgets: { 'support-bot': { max_actions: 20, scope: 'task' } } } },
    },
    {
      name: "a sub-agent's own budget that is not tighter than the pool is not checked twice (researcher 50, pool 40)",
      input: { tree: treeOf(deepTree({ rootBudget: { max_actions: 40 }, researcherBudget: { max_actions: 50 } }), 'r-1') },
    },
    { name: 'an open tree is not judged', input: { tree: treeOf(deepTree({ rootBudget: { max_actions: 5 } }), 'r-1', 'open') } },
    {
      name: "a running tree within its budget (the sweep's look at a root that has not ended): 20 actions of 20 so far",
      input: { tree: treeOf([start(0, 'support-bot', 'r-15', { budget: { max_actions: 20 } }), ...acts(20, 1, 'support-bot', 'r-15')], 'r-15', 'running') },
    },
    { name: 'per tick: every tick within 7 actions and $1', input: { tree: treeOf(tickedTree({ max_actions: 7, max_cost_usd: 1, scope: 'tick' }), 'r-2') } },
    {
      name: 'a per-tick budget does not count the task: 16 actions over 3 ticks, 6 at most per tick',
      input: { tree: treeOf(tickedTree({ max_actions: 6, scope: 'tick' }), 'r-2') },
    },
  ],
  invalid: [
    {
      name: 'an agent that never calls tick() under a per-tick budget: its 8 actions with no tick count as tick 0, as the kit counts them',
      input: { tree: treeOf([start(0, 'looper', 'r-20', { budget: { max_actions: 3, scope: 'tick' } }), ...acts(8, 1, 'looper', 'r-20'), end(9, 'looper', 'r-20')], 'r-20') },
      expected: [
        {
          run_id: 'r-20',
          ts: '2026-10-05T10:00:09Z',
          severity: 'high',
          message: 'tick 0 of run r-20 used 8 actions, over its budget of 3 actions per tick (1 of 1 ticks over; 8 actions with no tick count as tick 0); top: looper r-20 with 8',
          evidence: {
            scope: 'tick',
            budget_source: 'event',
            root_run_id: 'r-20',
            runs: 1,
            max_actions: 3,
            limits: ['actions'],
            tick: 0,
            tick_actions: 8,
            ticks_over: 1,
            ticks: 1,
            unticked_actions: 8,
            top_runs: [{ run_id: 'r-20', agent: 'looper', actions: 8, cost_usd: 0 }],
          },
        },
      ],
    },
    {
      name: "a running tree (the sweep's look) whose tick 0 is over its cost only with its sub-agent's actions that carry no tick: $0.04 + $0.03 of $0.05",
      input: {
        tree: treeOf(
          [
            start(0, 'looper', 'r-21', { budget: { max_cost_usd: 0.05, scope: 'tick' } }),
            ...acts(2, 1, 'looper', 'r-21', { tick: 0, cost_usd: 0.02 }),
            start(3, 'helper', 'r-21.1', { parent_run_id: 'r-21' }),
            ...acts(3, 4, 'helper', 'r-21.1', { cost_usd: 0.01 }),
            ...acts(2, 7, 'looper', 'r-21', { tick: 1, cost_usd: 0.02 }),
          ],
          'r-21',
          'running',
        ),
      },
      expected: [
        {
          run_id: 'r-21',
          ts: '2026-10-05T10:00:08Z',
          severity: 'high',
          message:
            'tick 0 of run r-21 used $0.07 across 2 runs so far, over its budget of $0.05 per tick (1 of 2 ticks over; 3 actions with no tick count as tick 0); it has not ended yet; top: looper r-21 with $0.04, helper r-21.1 with $0.03',
          evidence: {
            scope: 'tick',
            budget_source: 'event',
            root_run_id: 'r-21',
            runs: 2,
            max_cost_usd: 0.05,
            limits: ['cost'],
            tick: 0,
            tick_actions: 5,
            tick_cost_usd: 0.07,
            cost_usd: 0.11,
            ticks_over: 1,
            ticks: 2,
            unticked_actions: 3,
            top_runs: [
              { run_id: 'r-21', agent: 'looper', actions: 2, cost_usd: 0.04 },
              { run_id: 'r-21.1', agent: 'helper', actions: 3, cost_usd: 0.03 },
            ],
            ended: false,
          },
        },
      ],
    },
    {
      name: 'the configured pool: 27 actions in a tree three levels deep, budget 20',
      input: { tree: treeOf(deepTree(), 'r-1'), options: { budgets: { 'support-bot': { max_actions: 20, scope: 'task' } } } },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'high',
          message: 'run r-1 used 27 actions across 4 runs, over its budget of 20 actions per task; top: researcher r-1.1 with 9, support-bot r-1 with 8, llm_call ×18',
          evidence: {
            scope: 'task',
            budget_source: 'config',
            root_run_id: 'r-1',
            runs: 4,
            max_actions: 20,
            limits: ['actions'],
            actions: 27,
            cost_usd: 0.48,
            top_runs: TOP_RUNS_BY_ACTIONS,
            top_actions: TOP_ACTIONS_BY_COUNT,
          },
        },
      ],
    },
    {
      name: "the start line's budget (25) wins over a looser config (40)",
      input: { tree: treeOf(deepTree({ rootBudget: { max_actions: 25 } }), 'r-1'), options: { budgets: { 'support-bot': { max_actions: 40, scope: 'task' } } } },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'high',
          message: 'run r-1 used 27 actions across 4 runs, over its budget of 25 actions per task; top: researcher r-1.1 with 9, support-bot r-1 with 8, llm_call ×18',
          evidence: {
            scope: 'task',
            budget_source: 'event',
            root_run_id: 'r-1',
            runs: 4,
            max_actions: 25,
            limits: ['actions'],
            actions: 27,
            cost_usd: 0.48,
            top_runs: TOP_RUNS_BY_ACTIONS,
            top_actions: TOP_ACTIONS_BY_COUNT,
          },
        },
      ],
    },
    {
      name: 'cost over the pool: $0.48 against $0.40, contributors by cost',
      input: { tree: treeOf(deepTree({ rootBudget: { max_actions: 100, max_cost_usd: 0.4 } }), 'r-1') },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'high',
          message: 'run r-1 used $0.48 across 4 runs, over its budget of $0.40 per task; top: researcher r-1.1 with $0.18, fact-checker r-1.1.1 with $0.18, llm_call ×18',
          evidence: {
            scope: 'task',
            budget_source: 'event',
            root_run_id: 'r-1',
            runs: 4,
            max_actions: 100,
            max_cost_usd: 0.4,
            limits: ['cost'],
            actions: 27,
            cost_usd: 0.48,
            top_runs: TOP_RUNS_BY_COST,
            top_actions: TOP_ACTIONS_BY_COUNT,
          },
        },
      ],
    },
    {
      name: 'cost just over the pool reads apart from it: $0.480 against $0.479, not "$0.48 … of $0.48"',
      input: { tree: treeOf(deepTree({ rootBudget: { max_actions: 100, max_cost_usd: 0.479 } }), 'r-1') },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'high',
          message: 'run r-1 used $0.480 across 4 runs, over its budget of $0.479 per task; top: researcher r-1.1 with $0.18, fact-checker r-1.1.1 with $0.18, llm_call ×18',
          evidence: {
            scope: 'task',
            budget_source: 'event',
            root_run_id: 'r-1',
            runs: 4,
            max_actions: 100,
            max_cost_usd: 0.479,
            limits: ['cost'],
            actions: 27,
            cost_usd: 0.48,
            top_runs: TOP_RUNS_BY_COST,
            top_actions: TOP_ACTIONS_BY_COUNT,
          },
        },
      ],
    },
    {
      name: 'both limits at once: 27 actions over 20 and $0.48 over $0.25',
      input: { tree: treeOf(deepTree({ rootBudget: { max_actions: 20, max_cost_usd: 0.25 } }), 'r-1') },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'high',
          message: 'run r-1 used 27 actions and $0.48 across 4 runs, over its budget of 20 actions and $0.25 per task; top: researcher r-1.1 with 9, support-bot r-1 with 8, llm_call ×18',
          evidence: {
            scope: 'task',
            budget_source: 'event',
            root_run_id: 'r-1',
            runs: 4,
            max_actions: 20,
            max_cost_usd: 0.25,
            limits: ['actions', 'cost'],
            actions: 27,
            cost_usd: 0.48,
            top_runs: TOP_RUNS_BY_ACTIONS,
            top_actions: TOP_ACTIONS_BY_COUNT,
          },
        },
      ],
    },
    {
      name: 'a sub-agent with its own smaller budget: researcher and its fact-checker used 15 of its 10, the pool of 40 holds',
      input: { tree: treeOf(deepTree({ rootBudget: { max_actions: 40 }, researcherBudget: { max_actions: 10 } }), 'r-1') },
      expected: [
        {
          run_id: 'r-1.1',
          ts: '2026-10-05T10:00:23Z',
          severity: 'high',
          message:
            'sub-agent researcher (run r-1.1, under r-1) used 15 actions across 2 runs, over its own budget of 10 actions per task; top: researcher r-1.1 with 9, fact-checker r-1.1.1 with 6, tool_call:web_search ×9',
          evidence: {
            scope: 'task',
            budget_source: 'event',
            root_run_id: 'r-1',
            sub_agent: 'researcher',
            runs: 2,
            max_actions: 10,
            limits: ['actions'],
            actions: 15,
            cost_usd: 0.36,
            top_runs: [
              { run_id: 'r-1.1', agent: 'researcher', actions: 9, cost_usd: 0.18 },
              { run_id: 'r-1.1.1', agent: 'fact-checker', actions: 6, cost_usd: 0.18 },
            ],
            top_actions: [
              { action: 'tool_call:web_search', count: 9, cost_usd: 0.18 },
              { action: 'llm_call', count: 6, cost_usd: 0.18 },
            ],
          },
        },
      ],
    },
    {
      name: "the pool and a sub-agent's own configured budget both broken",
      input: {
        tree: treeOf(deepTree(), 'r-1'),
        options: { budgets: { 'support-bot': { max_actions: 20, scope: 'task' }, 'fact-checker': { max_actions: 3, scope: 'task' } } },
      },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'high',
          message: 'run r-1 used 27 actions across 4 runs, over its budget of 20 actions per task; top: researcher r-1.1 with 9, support-bot r-1 with 8, llm_call ×18',
          evidence: {
            scope: 'task',
            budget_source: 'config',
            root_run_id: 'r-1',
            runs: 4,
            max_actions: 20,
            limits: ['actions'],
            actions: 27,
            cost_usd: 0.48,
            top_runs: TOP_RUNS_BY_ACTIONS,
            top_actions: TOP_ACTIONS_BY_COUNT,
          },
        },
        {
          run_id: 'r-1.1.1',
          ts: '2026-10-05T10:00:22Z',
          severity: 'high',
          message: 'sub-agent fact-checker (run r-1.1.1, under r-1) used 6 actions, over its own budget of 3 actions per task; top: fact-checker r-1.1.1 with 6, llm_call ×6',
          evidence: {
            scope: 'task',
            budget_source: 'config',
            root_run_id: 'r-1',
            sub_agent: 'fact-checker',
            runs: 1,
            max_actions: 3,
            limits: ['actions'],
            actions: 6,
            cost_usd: 0.18,
            top_runs: [{ run_id: 'r-1.1.1', agent: 'fact-checker', actions: 6, cost_usd: 0.18 }],
            top_actions: [{ action: 'llm_call', count: 6, cost_usd: 0.18 }],
          },
        },
      ],
    },
    {
      name: 'per tick: tick 1 used 6 (2 own, 4 of a sub-agent) over 5; tick 2 exactly at 5 is within it',
      input: { tree: treeOf(tickedTree({ max_actions: 5, scope: 'tick' }), 'r-2') },
      expected: [
        {
          run_id: 'r-2',
          ts: '2026-10-05T10:00:19Z',
          severity: 'high',
          message: 'tick 1 of run r-2 used 6 actions across 2 runs, over its budget of 5 actions per tick (1 of 3 ticks over); top: mailer r-2.1 with 4, scheduler r-2 with 2',
          evidence: {
            scope: 'tick',
            budget_source: 'event',
            root_run_id: 'r-2',
            runs: 2,
            max_actions: 5,
            limits: ['actions'],
            tick: 1,
            tick_actions: 6,
            ticks_over: 1,
            ticks: 3,
            top_runs: [
              { run_id: 'r-2.1', agent: 'mailer', actions: 4, cost_usd: 0 },
              { run_id: 'r-2', agent: 'scheduler', actions: 2, cost_usd: 0 },
            ],
          },
        },
      ],
    },
    {
      name: 'a tree the sweep judged stale (the root never ended): judged at its last line',
      input: {
        tree: treeOf([start(0, 'support-bot', 'r-9', { budget: { max_actions: 3 } }), ...acts(5, 1, 'support-bot', 'r-9'), act(40, 'support-bot', 'r-9')], 'r-9', 'stale'),
      },
      expected: [
        {
          run_id: 'r-9',
          ts: '2026-10-05T10:00:40Z',
          severity: 'high',
          message: 'run r-9 used 6 actions, over its budget of 3 actions per task; top: support-bot r-9 with 6, llm_call ×6',
          evidence: {
            scope: 'task',
            budget_source: 'event',
            root_run_id: 'r-9',
            runs: 1,
            max_actions: 3,
            limits: ['actions'],
            actions: 6,
            top_runs: [{ run_id: 'r-9', agent: 'support-bot', actions: 6, cost_usd: 0 }],
            top_actions: [{ action: 'llm_call', count: 6, cost_usd: 0 }],
          },
        },
      ],
    },
    {
      name: "a running tree (the sweep's look at a root that has not ended) already over its budget: the count so far, said to be one",
      input: {
        tree: treeOf([start(0, 'support-bot', 'r-12', { budget: { max_actions: 20 } }), ...acts(25, 1, 'support-bot', 'r-12', { cost_usd: 0.01 })], 'r-12', 'running'),
      },
      expected: [
        {
          run_id: 'r-12',
          ts: '2026-10-05T10:00:25Z',
          severity: 'high',
          message: 'run r-12 used 25 actions so far, over its budget of 20 actions per task; it has not ended yet; top: support-bot r-12 with 25, llm_call ×25',
          evidence: {
            scope: 'task',
            budget_source: 'event',
            root_run_id: 'r-12',
            runs: 1,
            max_actions: 20,
            limits: ['actions'],
            actions: 25,
            cost_usd: 0.25,
            top_runs: [{ run_id: 'r-12', agent: 'support-bot', actions: 25, cost_usd: 0.25 }],
            top_actions: [{ action: 'llm_call', count: 25, cost_usd: 0.25 }],
            ended: false,
          },
        },
      ],
    },
    {
      name: 'a running tree over a per-tick budget: tick 1 used 7 of 5 while the run goes on',
      input: {
        tree: treeOf(
          [
            start(0, 'scheduler', 'r-14', { budget: { max_actions: 5, scope: 'tick' } }),
            ...acts(3, 1, 'scheduler', 'r-14', { tick: 0 }),
            ...acts(7, 4, 'scheduler', 'r-14', { tick: 1 }),
            ...acts(2, 11, 'scheduler', 'r-14', { tick: 2 }),
          ],
          'r-14',
          'running',
        ),
      },
      expected: [
        {
          run_id: 'r-14',
          ts: '2026-10-05T10:00:12Z',
          severity: 'high',
          message: 'tick 1 of run r-14 used 7 actions so far, over its budget of 5 actions per tick (1 of 3 ticks over); it has not ended yet; top: scheduler r-14 with 7',
          evidence: {
            scope: 'tick',
            budget_source: 'event',
            root_run_id: 'r-14',
            runs: 1,
            max_actions: 5,
            limits: ['actions'],
            tick: 1,
            tick_actions: 7,
            ticks_over: 1,
            ticks: 3,
            top_runs: [{ run_id: 'r-14', agent: 'scheduler', actions: 7, cost_usd: 0 }],
            ended: false,
          },
        },
      ],
    },
    {
      name: 'a running tree whose sub-agent ended over its own budget: its count is final, the root still runs',
      input: {
        tree: treeOf(
          [
            start(0, 'support-bot', 'r-16', { budget: { max_actions: 40 } }),
            ...acts(2, 1, 'support-bot', 'r-16'),
            start(3, 'researcher', 'r-16.1', { parent_run_id: 'r-16', budget: { max_actions: 3 } }),
            ...acts(5, 4, 'researcher', 'r-16.1'),
            end(9, 'researcher', 'r-16.1'),
            act(10, 'support-bot', 'r-16'),
          ],
          'r-16',
          'running',
        ),
      },
      expected: [
        {
          run_id: 'r-16.1',
          ts: '2026-10-05T10:00:09Z',
          severity: 'high',
          message: 'sub-agent researcher (run r-16.1, under r-16) used 5 actions, over its own budget of 3 actions per task; top: researcher r-16.1 with 5, llm_call ×5',
          evidence: {
            scope: 'task',
            budget_source: 'event',
            root_run_id: 'r-16',
            sub_agent: 'researcher',
            runs: 1,
            max_actions: 3,
            limits: ['actions'],
            actions: 5,
            top_runs: [{ run_id: 'r-16.1', agent: 'researcher', actions: 5, cost_usd: 0 }],
            top_actions: [{ action: 'llm_call', count: 5, cost_usd: 0 }],
          },
        },
      ],
    },
  ],
});

describe('a tick over its budget whose actions logged no cost, in a tree where another tick did', () => {
  it('keeps no tick cost (nothing in that tick measured), not $0', () => {
    // Prepare: budget 5 actions per tick; tick 0's 4 actions logged $0.25 each, tick 2's 9 actions logged none.
    const tree = treeOf(
      [
        start(0, 'looper', 'r-30', { budget: { max_actions: 5, scope: 'tick' } }),
        ...acts(4, 1, 'looper', 'r-30', { tick: 0, cost_usd: 0.25 }),
        ...acts(9, 5, 'looper', 'r-30', { tick: 2 }),
        end(20, 'looper', 'r-30'),
      ],
      'r-30',
    );

    // Act
    const findings = budgetExceededDetector.check({ tree, history: { costs: [], tokens: [] }, options: DEFAULT_TREE_OPTIONS });

    // Assess: tick 2 is over, with 9 actions and no cost of its own
    expect(findings.map((f) => [f.evidence?.tick, f.evidence?.tick_actions])).toEqual([[2, 9]]);
    expect(findings[0].evidence).not.toHaveProperty('tick_cost_usd');
  });
});
