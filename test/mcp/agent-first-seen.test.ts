import { describe, expect, it } from 'vitest';
import { stateFacts } from '../../lambdas/core/report/subjects.ts';
import { agentFirstSeenAt } from '../../lambdas/mcp/subjects.ts';

const at = (i: number) => Date.parse('2026-10-01T09:00:00Z') + i * 8 * 3_600_000;

describe("an agent's first sighting, as MCP's tools and the report read it", () => {
  it('is known for a new agent whose late sub-agent reopened a root it had counted, as the report reads it: none of its runs was let go', () => {
    // Prepare: 31 root runs ended; a late sub-agent reopened the last one's tree, which left the history (30 kept) and stays counted
    const history = Array.from({ length: 30 }, (_, i) => ({ run_id: `sb-${i}`, started_at: at(i) - 60_000, ended_at: at(i) }));
    const state = { agent: 'support-bot', history, judged: [{ run_id: 'sb-30', facts: 4, phase: 'ended', fired: [] }], open: [{ run_id: 'sb-30', started_at: at(30) }], roots: 31 };

    // Act
    const first = agentFirstSeenAt(state);

    // Assess
    expect(stateFacts(state).firstSeenCut).toBeUndefined();
    expect(first).toBe(at(0) - 60_000);
  });

  it('is not known for an agent that let older runs go, whether or not a late sub-agent reopened one of those kept', () => {
    // Prepare: 500 root runs counted, the latest 60 kept; then the last of them reopened (59 kept, one open)
    const history = (n: number) => Array.from({ length: n }, (_, i) => ({ run_id: `sb-${i}`, started_at: at(i) - 60_000, ended_at: at(i) }));
    const full = { agent: 'support-bot', history: history(60), judged: [], open: [], roots: 500 };
    const reopened = { ...full, history: history(59), judged: [{ run_id: 'sb-59', facts: 4, phase: 'ended', fired: [] }], open: [{ run_id: 'sb-59', started_at: at(59) }] };

    // Act and Assess
    expect(agentFirstSeenAt(full)).toBeUndefined();
    expect(agentFirstSeenAt(reopened)).toBeUndefined();
  });
});
