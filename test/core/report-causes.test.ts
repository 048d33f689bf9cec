import { describe, expect, it } from 'vitest';
import { narrowCause } from '../../lambdas/core/report/causes.ts';
import { finding } from './report-fixtures.ts';

const overBudget = (ts: string, budget: Record<string, unknown>, actions = 34) =>
  finding('budget-exceeded', 'support-bot', ts, {
    kind: 'agent',
    run_id: `sb-${ts.slice(8, 10)}`,
    evidence: { actions, cost_usd: 0.9, scope: 'task', budget_source: 'config', root_run_id: `sb-${ts.slice(8, 10)}`, ...budget },
  });

describe('the cause of budget findings judged by a budget that changed in the month', () => {
  it('says what the budget was before the change and since, so a tighter budget is not read as a change at the source', () => {
    // Prepare: 20 actions to the 12th, then 10 from the 15th
    const findings = [
      overBudget('2026-10-05T10:00:00Z', { max_actions: 20, max_cost_usd: 0.5 }),
      overBudget('2026-10-09T10:00:00Z', { max_actions: 20, max_cost_usd: 0.5 }),
      overBudget('2026-10-15T10:00:00Z', { max_actions: 10, max_cost_usd: 0.5 }, 12),
      overBudget('2026-10-20T10:00:00Z', { max_actions: 10, max_cost_usd: 0.5 }, 12),
    ];

    // Act
    const notes = narrowCause({ findings, subjectRuns: [], alsoOnSameRuns: [], ongoing: true });

    // Assess: the limit that changed is named, the one that did not is not
    const note = notes.find((n) => n.startsWith('The budget the findings were judged by changed in the month'));
    expect(note).toContain('max_actions was 20 before 2026-10-15 and 10 since');
    expect(note).not.toContain('max_cost_usd');
  });

  it('names each value from its first day when the budget changed more than once', () => {
    // Prepare: 20 actions, 10 from the 15th, 30 from the 20th
    const findings = [
      overBudget('2026-10-05T10:00:00Z', { max_actions: 20 }),
      overBudget('2026-10-15T10:00:00Z', { max_actions: 10 }, 12),
      overBudget('2026-10-20T10:00:00Z', { max_actions: 30 }, 40),
    ];

    // Act
    const notes = narrowCause({ findings, subjectRuns: [], alsoOnSameRuns: [], ongoing: true });

    // Assess
    const note = notes.find((n) => n.startsWith('The budget the findings were judged by changed in the month'));
    expect(note).toContain('max_actions was 20, then 10 from 2026-10-15, then 30 from 2026-10-20.');
  });

  it('says nothing of it when a sub-agent’s own budget or a run’s own agent.start budget judged some findings, the config’s budget the same', () => {
    // Prepare: support-bot's config budget, 20 actions, all month; on the 10th its sub-agent researcher went over its own 8,
    // on the 12th a quick run started with its own budget of 10
    const findings = [
      overBudget('2026-10-03T10:00:00Z', { max_actions: 20 }),
      { ...overBudget('2026-10-10T10:00:00Z', { max_actions: 8, budget_source: 'event', root_run_id: 'sb-10' }, 10), run_id: 'sb-10.r1' },
      overBudget('2026-10-12T10:00:00Z', { max_actions: 10, budget_source: 'event' }, 12),
      overBudget('2026-10-20T10:00:00Z', { max_actions: 20 }),
    ];

    // Act
    const notes = narrowCause({ findings, subjectRuns: [], alsoOnSameRuns: [], ongoing: true });

    // Assess: the agent's budget did not change; budgets of single runs are no change of it
    expect(notes.join('\n')).not.toContain('budget the findings were judged by');
  });

  it('says nothing of it when every finding was judged by the same budget', () => {
    // Prepare
    const findings = [overBudget('2026-10-05T10:00:00Z', { max_actions: 20 }), overBudget('2026-10-15T10:00:00Z', { max_actions: 20 })];

    // Act
    const notes = narrowCause({ findings, subjectRuns: [], alsoOnSameRuns: [], ongoing: true });

    // Assess
    expect(notes.join('\n')).not.toContain('budget the findings were judged by');
  });
});
