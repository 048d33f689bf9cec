import { costOutlierDetector } from '../../lambdas/detectors/cost-outlier.ts';
import { act, acts, deepTree, end, start, treeOf } from '../core/agent-fixtures.ts';
import { testTreeDetector } from './agent-detector-tester.ts';

/** The deep tree: $0.48 over 27 actions, no tokens. */
const DEEP = treeOf(deepTree(), 'r-1');
/** A run that logged tokens and no costs: 3 LLM calls of 30 000 + 2 000 tokens. */
const TOKENS_ONLY = treeOf(
  [start(0, 'support-bot', 'r-8'), ...acts(3, 1, 'support-bot', 'r-8', { tokens_in: 30_000, tokens_out: 2_000 }), end(4, 'support-bot', 'r-8')],
  'r-8',
);
/** A run that logged both: $0.90 and 96 000 tokens. */
const BOTH = treeOf(
  [start(0, 'support-bot', 'r-10'), ...acts(3, 1, 'support-bot', 'r-10', { tokens_in: 30_000, tokens_out: 2_000, cost_usd: 0.3 }), end(4, 'support-bot', 'r-10')],
  'r-10',
);

testTreeDetector(costOutlierDetector, {
  valid: [
    { name: 'within 5×: $0.48 against a median of $0.10', input: { tree: DEEP, history: { costs: [0.08, 0.1, 0.12, 0.1, 0.09], tokens: [] } } },
    { name: 'exactly 5×: $0.45 against $0.09 is not above it', input: { tree: treeOf([start(0, 'a', 'r-3'), ...acts(5, 1, 'a', 'r-3', { cost_usd: 0.09 }), end(6, 'a', 'r-3')], 'r-3'), history: { costs: [0.09, 0.09, 0.09, 0.09, 0.09], tokens: [] } } },
    { name: 'too little history: 4 previous runs with min_history 5', input: { tree: DEEP, history: { costs: [0.01, 0.01, 0.01, 0.01], tokens: [] } } },
    { name: 'no history at all', input: { tree: DEEP } },
    { name: 'cost without tokens, history with tokens only: nothing like to compare with', input: { tree: DEEP, history: { costs: [], tokens: [100, 100, 100, 100, 100] } } },
    { name: 'tokens within 5×: 96 000 against 20 000', input: { tree: TOKENS_ONLY, history: { costs: [], tokens: [20_000, 20_000, 20_000, 20_000, 20_000] } } },
    { name: 'an open tree is not judged', input: { tree: treeOf(deepTree(), 'r-1', 'open'), history: { costs: [0.01, 0.01, 0.01, 0.01, 0.01], tokens: [] } } },
    {
      name: "a running tree (the sweep's look at a root that has not ended) is not judged: its cost is not final",
      input: { tree: treeOf(deepTree(), 'r-1', 'running'), history: { costs: [0.01, 0.01, 0.01, 0.01, 0.01], tokens: [] } },
    },
    {
      name: 'every previous run cost nothing: no paid run to scale by, so the first that costs is not an outlier (it enters the baseline)',
      input: { tree: DEEP, history: { costs: [0, 0, 0, 0, 0], tokens: [] } },
    },
    {
      name: 'most previous runs cost nothing (median 0): $0.48 is within 5× the median $0.10 of those that cost anything',
      input: { tree: DEEP, history: { costs: [0, 0, 0, 0.1, 0.1], tokens: [] } },
    },
    {
      name: 'a configured factor of 10: 5.3× stays quiet',
      input: { tree: DEEP, history: { costs: [0.09, 0.09, 0.09, 0.09, 0.09], tokens: [] }, options: { costOutlierFactor: 10 } },
    },
  ],
  invalid: [
    {
      name: 'most previous runs cost nothing (median 0): $0.48 is 9.6× the median $0.05 of those that cost anything',
      input: { tree: DEEP, history: { costs: [0, 0.05, 0, 0.05, 0], tokens: [] } },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'high',
          message: 'run r-1 cost $0.48 across 4 runs, 9.6× the median $0.05 of the 2 of the previous 5 runs that cost anything (3 cost $0.00)',
          evidence: { metric: 'cost_usd', value: 0.48, median: 0.05, ratio: 9.6, factor: 5, window: 5, nonzero_window: 2, runs: 4 },
        },
      ],
    },
    {
      name: 'most previous runs used no tokens (median 0): 96 000 tokens is 96× the median 1 000 of those that used any',
      input: { tree: TOKENS_ONLY, history: { costs: [], tokens: [0, 0, 0, 1_000, 1_000] } },
      expected: [
        {
          run_id: 'r-8',
          ts: '2026-10-05T10:00:04Z',
          severity: 'high',
          message: 'run r-8 used 96,000 tokens, 96× the median 1,000 of the 2 of the previous 5 runs that used any (3 used none) (no costs logged)',
          evidence: { metric: 'tokens', value: 96_000, median: 1_000, ratio: 96, factor: 5, window: 5, nonzero_window: 2, runs: 1 },
        },
      ],
    },
    {
      name: 'cost without tokens: $0.48 is 5.3× the median $0.09',
      input: { tree: DEEP, history: { costs: [0.08, 0.09, 0.09, 0.1, 0.09], tokens: [] } },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'high',
          message: 'run r-1 cost $0.48 across 4 runs, 5.3× the median $0.09 of the previous 5 runs',
          evidence: { metric: 'cost_usd', value: 0.48, median: 0.09, ratio: 5.3, factor: 5, window: 5, runs: 4 },
        },
      ],
    },
    {
      name: 'tokens without cost: 96 000 tokens against a median of 12 000, like with like',
      input: { tree: TOKENS_ONLY, history: { costs: [0.05, 0.05, 0.05, 0.05, 0.05], tokens: [11_000, 12_000, 12_500, 12_000, 13_000] } },
      expected: [
        {
          run_id: 'r-8',
          ts: '2026-10-05T10:00:04Z',
          severity: 'high',
          message: 'run r-8 used 96,000 tokens, 8× the median 12,000 of the previous 5 runs (no costs logged)',
          evidence: { metric: 'tokens', value: 96_000, median: 12_000, ratio: 8, factor: 5, window: 5, runs: 1 },
        },
      ],
    },
    {
      name: 'a run with cost and tokens whose history logged only tokens is compared by tokens',
      input: { tree: BOTH, history: { costs: [0.1, 0.1], tokens: [15_000, 15_000, 16_000, 15_000, 14_000] } },
      expected: [
        {
          run_id: 'r-10',
          ts: '2026-10-05T10:00:04Z',
          severity: 'high',
          message: 'run r-10 used 96,000 tokens, 6.4× the median 15,000 of the previous 5 runs (no costs logged)',
          evidence: { metric: 'tokens', value: 96_000, median: 15_000, ratio: 6.4, factor: 5, window: 5, runs: 1 },
        },
      ],
    },
    {
      name: 'only the latest baseline_window runs count: 3 old expensive runs fall out of a window of 5',
      input: { tree: DEEP, history: { costs: [9, 9, 9, 0.05, 0.06, 0.05, 0.07, 0.05], tokens: [] }, options: { baselineWindow: 5 } },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T10:00:34Z',
          severity: 'high',
          message: 'run r-1 cost $0.48 across 4 runs, 9.6× the median $0.05 of the previous 5 runs',
          evidence: { metric: 'cost_usd', value: 0.48, median: 0.05, ratio: 9.6, factor: 5, window: 5, runs: 4 },
        },
      ],
    },
    {
      name: 'a root that never ended, judged stale by the sweep, already 20× its usual cost',
      input: {
        tree: treeOf([start(0, 'support-bot', 'r-11'), ...acts(10, 1, 'support-bot', 'r-11', { cost_usd: 0.2 }), act(50, 'support-bot', 'r-11', { cost_usd: 0 })], 'r-11', 'stale'),
        history: { costs: [0.1, 0.1, 0.1, 0.1, 0.1], tokens: [] },
      },
      expected: [
        {
          run_id: 'r-11',
          ts: '2026-10-05T10:00:50Z',
          severity: 'high',
          message: 'run r-11 cost $2.00 so far (it never ended), 20× the median $0.10 of the previous 5 runs',
          evidence: { metric: 'cost_usd', value: 2, median: 0.1, ratio: 20, factor: 5, window: 5, runs: 1, ended: false },
        },
      ],
    },
  ],
});
