import { describe, expect, it } from 'vitest';
import { type AgentHistoryEntry, type AgentState, costHistoryFor } from '../../lambdas/core/agent-reducer.ts';
import type { TreeSnapshot } from '../../lambdas/core/agent-tree.ts';

function state(history: AgentHistoryEntry[]): AgentState {
  return { agent: 'support-bot', history, judged: [], open: [], roots: history.length } as AgentState;
}

function tree(root_run_id: string, ended_at: number | undefined, last_at = 0): TreeSnapshot {
  return { root_run_id, ended_at, last_at } as TreeSnapshot;
}

describe('costHistoryFor: the baseline a tree is compared with', () => {
  // Twelve runs, one hour apart; r4 was an outlier; r7 reported no tokens, r8 no cost.
  const history: AgentHistoryEntry[] = Array.from({ length: 12 }, (_, i) => ({
    run_id: `r${i}`,
    ended_at: i * 3_600_000,
    ...(i === 8 ? {} : { cost_usd: i / 100 }),
    ...(i === 7 ? {} : { tokens: 1000 + i }),
    ...(i === 4 ? { outlier: true as const } : {}),
  }));

  it('takes the latest runs that ended before this one, oldest first, the outliers left out, up to the window per metric', () => {
    // Act: a run that ended between r9 and r10, window 4.
    const h = costHistoryFor(state(history), tree('new', 9.5 * 3_600_000), 4);
    // Assess: costs skip r8 (no cost), tokens skip r7 (no tokens); r10 and r11 ended later.
    expect(h).toEqual({ costs: [0.05, 0.06, 0.07, 0.09], tokens: [1005, 1006, 1008, 1009] });
  });

  it('leaves out the run itself when it is judged again, and an outlier anywhere in the window', () => {
    const h = costHistoryFor(state(history), tree('r6', 6 * 3_600_000 + 1), 3);
    expect(h).toEqual({ costs: [0.02, 0.03, 0.05], tokens: [1002, 1003, 1005] });
  });

  it("uses the tree's last line when it has not ended, and is empty with no earlier run", () => {
    expect(costHistoryFor(state(history), tree('open', undefined, 1.5 * 3_600_000), 20)).toEqual({ costs: [0, 0.01], tokens: [1000, 1001] });
    expect(costHistoryFor(state(history), tree('first', 0), 20)).toEqual({ costs: [], tokens: [] });
  });
});
