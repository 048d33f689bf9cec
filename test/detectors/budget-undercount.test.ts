import { budgetUndercountDetector } from '../../lambdas/detectors/budget-undercount.ts';
import { acts, deepTree, end, start, treeOf } from '../core/agent-fixtures.ts';
import { testTreeDetector } from './agent-detector-tester.ts';

/** The deep tree with the counts each run's `agent.end` reports replaced. */
function reporting(root: Record<string, unknown>, researcher: Record<string, unknown> = { actions_reported: 15 }) {
  return deepTree().map((e) => {
    const b = e.body as unknown as Record<string, unknown>;
    if (b.type !== 'agent.end') return e;
    if (b.run_id === 'r-1') return { ...e, body: { ...b, actions_reported: undefined, ...root } as never };
    if (b.run_id === 'r-1.1') return { ...e, body: { ...b, actions_reported: undefined, ...researcher } as never };
    return e;
  });
}

testTreeDetector(budgetUndercountDetector, {
  valid: [
    { name: 'honest counts: the root reports its 27, the researcher its 15', input: { tree: treeOf(reporting({ actions_reported: 27 }), 'r-1') } },
    { name: 'a count above what the tree shows is not an undercount', input: { tree: treeOf(reporting({ actions_reported: 30 }), 'r-1') } },
    { name: 'no counts reported', input: { tree: treeOf(reporting({}, {}), 'r-1') } },
    {
      name: 'a reported cost rounded within 0.5%: $0.479 for $0.48',
      input: { tree: treeOf(reporting({ actions_reported: 27, cost_reported_usd: 0.479 }), 'r-1') },
    },
    ...[
      [0.2, 0.199],
      [1, 0.995],
      [0.4, 0.398],
    ].map(([cost, reported]) => ({
      name: `a reported cost short by exactly 0.5%: $${reported} for $${cost} (float dust is not beyond it)`,
      input: { tree: treeOf([start(0, 'a', 'r-7'), ...acts(1, 1, 'a', 'r-7', { cost_usd: cost }), end(2, 'a', 'r-7', { cost_reported_usd: reported })], 'r-7') },
    })),
    {
      name: 'a reported cost with no cost logged on any action',
      input: { tree: treeOf([start(0, 'a', 'r-5'), ...acts(2, 1, 'a', 'r-5'), end(3, 'a', 'r-5', { actions_reported: 2, cost_reported_usd: 0 })], 'r-5') },
    },
    { name: 'an open tree is not judged', input: { tree: treeOf(reporting({ actions_reported: 8 }), 'r-1', 'open') } },
    {
      name: "a running tree (the sweep's look at a root that has not ended) is not judged: the counts come with the ends",
      input: { tree: treeOf(reporting({ actions_reported: 8 }, { actions_reported: 9 }), 'r-1', 'running') },
    },
    {
      name: 'a run that has not ended is not judged (the sweep judges its stale tree)',
      input: { tree: treeOf([start(0, 'a', 'r-6'), ...acts(3, 1, 'a', 'r-6')], 'r-6', 'stale') },
    },
  ],
  invalid: [
    {
      name: 'a reported cost short by just over 0.5% reads apart from the cost: $0.199 for $0.200, not "$0.20 but $0.20"',
      input: { tree: treeOf([start(0, 'a', 'r-8'), ...acts(1, 1, 'a', 'r-8', { cost_usd: 0.2 }), end(2, 'a', 'r-8', { cost_reported_usd: 0.1989 })], 'r-8') },
      expected: [
        {
          run_id: 'r-8',
          ts: '2026-10-05T10:00:02Z',
          severity: 'medium',
          message: 'run r-8 reported $0.199 but its tree cost $0.200',
          evidence: { root_run_id: 'r-8', actions_observed: 1, own_actions: 1, nested_actions: 0, cost_reported_usd: 0.1989, cost_observed_usd: 0.2, top_nested: [] },
        },
      ],
    },
    {
      name: "the root counted only its own 8 and the researcher only its own 9: nested calls went uncounted at two levels",
      input: { tree: treeOf(reporting({ actions_reported: 8 }, { actions_reported: 9 }), 'r-1') },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'medium',
          message: 'run r-1 reported 8 actions but its tree shows 27 (8 own, 19 in 3 sub-agent runs): 19 went uncounted',
          evidence: {
            root_run_id: 'r-1',
            actions_reported: 8,
            actions_observed: 27,
            own_actions: 8,
            nested_actions: 19,
            missed_actions: 19,
            cost_observed_usd: 0.48,
            top_nested: [
              { run_id: 'r-1.1', agent: 'researcher', actions: 9, cost_usd: 0.18 },
              { run_id: 'r-1.1.1', agent: 'fact-checker', actions: 6, cost_usd: 0.18 },
              { run_id: 'r-1.2', agent: 'writer', actions: 4, cost_usd: 0.04 },
            ],
          },
        },
        {
          run_id: 'r-1.1',
          ts: '2026-10-05T10:00:23Z',
          severity: 'medium',
          message: 'sub-agent researcher (run r-1.1, under r-1) reported 9 actions but its tree shows 15 (9 own, 6 in 1 sub-agent run): 6 went uncounted',
          evidence: {
            root_run_id: 'r-1',
            actions_reported: 9,
            actions_observed: 15,
            own_actions: 9,
            nested_actions: 6,
            missed_actions: 6,
            cost_observed_usd: 0.36,
            top_nested: [{ run_id: 'r-1.1.1', agent: 'fact-checker', actions: 6, cost_usd: 0.18 }],
          },
        },
      ],
    },
    {
      name: 'off by one: 26 reported for 27',
      input: { tree: treeOf(reporting({ actions_reported: 26 }), 'r-1') },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'medium',
          message: 'run r-1 reported 26 actions but its tree shows 27 (8 own, 19 in 3 sub-agent runs): 1 went uncounted',
          evidence: {
            root_run_id: 'r-1',
            actions_reported: 26,
            actions_observed: 27,
            own_actions: 8,
            nested_actions: 19,
            missed_actions: 1,
            cost_observed_usd: 0.48,
            top_nested: [
              { run_id: 'r-1.1', agent: 'researcher', actions: 9, cost_usd: 0.18 },
              { run_id: 'r-1.1.1', agent: 'fact-checker', actions: 6, cost_usd: 0.18 },
              { run_id: 'r-1.2', agent: 'writer', actions: 4, cost_usd: 0.04 },
            ],
          },
        },
      ],
    },
    {
      name: 'the cost the agent reported ($0.30) is below what its tree cost ($0.48)',
      input: { tree: treeOf(reporting({ actions_reported: 27, cost_reported_usd: 0.3 }), 'r-1') },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'medium',
          message: 'run r-1 reported $0.30 but its tree cost $0.48',
          evidence: {
            root_run_id: 'r-1',
            actions_reported: 27,
            actions_observed: 27,
            own_actions: 8,
            nested_actions: 19,
            cost_reported_usd: 0.3,
            cost_observed_usd: 0.48,
            top_nested: [
              { run_id: 'r-1.1', agent: 'researcher', actions: 9, cost_usd: 0.18 },
              { run_id: 'r-1.1.1', agent: 'fact-checker', actions: 6, cost_usd: 0.18 },
              { run_id: 'r-1.2', agent: 'writer', actions: 4, cost_usd: 0.04 },
            ],
          },
        },
      ],
    },
    {
      name: 'a single run that lost count of its own actions (a retry loop inside a tool)',
      input: { tree: treeOf([start(0, 'summarizer', 'r-7'), ...acts(12, 1, 'summarizer', 'r-7'), end(13, 'summarizer', 'r-7', { actions_reported: 4 })], 'r-7') },
      expected: [
        {
          run_id: 'r-7',
          ts: '2026-10-05T10:00:13Z',
          severity: 'medium',
          message: 'run r-7 reported 4 actions but its tree shows 12: 8 went uncounted',
          evidence: { root_run_id: 'r-7', actions_reported: 4, actions_observed: 12, own_actions: 12, nested_actions: 0, missed_actions: 8, top_nested: [] },
        },
      ],
    },
  ],
});
