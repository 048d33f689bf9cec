import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { agentRunReducer, firedId } from '../../lambdas/core/agent-reducer.ts';
import { type AgentRunState, applyAgentRunEvents, initialAgentRun } from '../../lambdas/core/agent-run.ts';
import { buildTreeSnapshot, type TreePhase, type TreeSnapshot } from '../../lambdas/core/agent-tree.ts';
import type { AuditEvent, EventBody } from '../../lambdas/core/events.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import type { DetectorId } from '../../lambdas/detectors/ids.ts';

/** Agent lines as the parser gives them, for reducer, detector and pipeline tests. */

/** The mark the agent state and the notes on run aggregates keep of a reported finding (`firedId`). */
export function mark(detector: DetectorId, runId: string): string {
  return firedId({ detector, run_id: runId });
}

export const T0 = Date.parse('2026-10-05T10:00:00Z');
export const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-10-06T00:00:00Z') } };

let nextLine = 1;

/** An event `seconds` after T0, with its own line number (its identity for dedup). */
export function at(seconds: number, body: Record<string, unknown>, line = nextLine++): AuditEvent {
  return { at: T0 + seconds * 1000, body: body as unknown as EventBody, source: { origin: 'agents.jsonl', line }, format: 'json' };
}

export function start(seconds: number, agent: string, runId: string, extra: Record<string, unknown> = {}): AuditEvent {
  return at(seconds, { type: 'agent.start', agent, run_id: runId, ...extra });
}

export function act(seconds: number, agent: string, runId: string, extra: Record<string, unknown> = {}, line?: number): AuditEvent {
  return at(seconds, { type: 'agent.action', agent, run_id: runId, action: 'llm_call', ...extra }, line);
}

export function end(seconds: number, agent: string, runId: string, extra: Record<string, unknown> = {}): AuditEvent {
  return at(seconds, { type: 'agent.end', agent, run_id: runId, status: 'ok', ...extra });
}

/** `n` actions of a run, one second apart from `from`. */
export function acts(n: number, from: number, agent: string, runId: string, extra: Record<string, unknown> | ((i: number) => Record<string, unknown>) = {}): AuditEvent[] {
  return Array.from({ length: n }, (_, i) => act(from + i, agent, runId, typeof extra === 'function' ? extra(i) : extra));
}

/** Folds lines into per-run aggregates the way the pipeline does (a sub-agent's start goes to its parent too). */
export function aggregate(events: readonly AuditEvent[], runs = new Map<string, AgentRunState>()): Map<string, AgentRunState> {
  const groups = new Map<string, AuditEvent[]>();
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    for (const subject of agentRunReducer.subjectsOf?.(e) ?? []) {
      const list = groups.get(subject) ?? [];
      list.push(e);
      groups.set(subject, list);
    }
  }
  for (const [subject, list] of groups) runs.set(subject, applyAgentRunEvents(runs.get(subject) ?? initialAgentRun(subject), subject, list, ctx));
  return runs;
}

/** The tree of `rootId` from lines, as the loader would give it to the detectors. */
export function treeOf(events: readonly AuditEvent[], rootId: string, phase?: TreePhase): TreeSnapshot {
  const tree = buildTreeSnapshot(rootId, aggregate(events), phase);
  if (!tree) throw new Error(`no run ${rootId} in the events`);
  return tree;
}

/**
 * support-bot's run r-1 three levels deep: researcher r-1.1 (with fact-checker r-1.1.1 under it)
 * and writer r-1.2. 27 actions in all: 8 of the root, 9 + 6 under the researcher, 4 of the writer.
 */
export function deepTree(options: { rootBudget?: Record<string, unknown>; researcherBudget?: Record<string, unknown>; cost?: boolean } = {}): AuditEvent[] {
  const cost = (usd: number) => (options.cost === false ? {} : { cost_usd: usd });
  return [
    start(0, 'support-bot', 'r-1', options.rootBudget ? { budget: options.rootBudget } : {}),
    ...acts(4, 1, 'support-bot', 'r-1', cost(0.01)),
    start(5, 'researcher', 'r-1.1', { parent_run_id: 'r-1', ...(options.researcherBudget ? { budget: options.researcherBudget } : {}) }),
    ...acts(9, 6, 'researcher', 'r-1.1', { action: 'tool_call', name: 'web_search', ...cost(0.02) }),
    start(15, 'fact-checker', 'r-1.1.1', { parent_run_id: 'r-1.1' }),
    ...acts(6, 16, 'fact-checker', 'r-1.1.1', cost(0.03)),
    end(22, 'fact-checker', 'r-1.1.1', { actions_reported: 6 }),
    end(23, 'researcher', 'r-1.1', { actions_reported: 9 }),
    start(24, 'writer', 'r-1.2', { parent_run_id: 'r-1' }),
    ...acts(4, 25, 'writer', 'r-1.2', cost(0.01)),
    end(29, 'writer', 'r-1.2', { actions_reported: 4 }),
    ...acts(4, 30, 'support-bot', 'r-1', cost(0.01)),
    end(34, 'support-bot', 'r-1', { actions_reported: 8 }),
  ];
}
