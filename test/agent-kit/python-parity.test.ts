import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { type ActionReceipt, type AgentEmitter, BudgetExhaustedError, createAgentEmitter } from '../../lambdas/agent-kit/index.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { subtreeOf, totalsOf } from '../../lambdas/core/agent-tree.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { MAX_LINE_BYTES } from '../../lambdas/core/parse/line-limit.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { MAX_COST_USD, MAX_DURATION_MS, MAX_TOKENS } from '../../lambdas/core/quantity-limits.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { treeOf } from '../core/agent-fixtures.ts';

/**
 * The Python emitter (python/silent_audit_agent_kit) against the TypeScript one: one scenario run
 * through both, the lines compared; the Python lines judged by the real pipeline. Also runs the
 * Python unit tests, so `npm test` fails when they do.
 */

const PYTHON_DIR = resolve(fileURLToPath(new URL('../../python', import.meta.url)));
const PYTHON = process.env.PYTHON ?? 'python3';
/** No __pycache__ left in the repository by the test run. */
const PYTHON_ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

type Detail = { name?: string; tick?: number; cost_usd?: number; tokens_in?: number; tokens_out?: number; duration_ms?: number };
type Op =
  | { op: 'action'; run: string; action: string; detail?: Detail }
  | { op: 'tool_call'; run: string; tool: string; args: Record<string, unknown> | string; detail?: Omit<Detail, 'name'> & { call_id?: string } }
  | { op: 'child'; run: string; as: string; agent: string; budget?: Record<string, unknown>; run_id?: string }
  | { op: 'tick'; run: string }
  | { op: 'remaining'; run: string }
  | { op: 'end'; run: string; status?: string };

interface Scenario {
  root: { agent: string; budget?: Record<string, unknown> };
  ops: Op[];
}

interface Transcript {
  lines: string[];
  outcomes: unknown[];
}

/**
 * A root with an action and a cost budget; a researcher with its own smaller budget, refused at
 * it; a tool call with arguments as JSON text; a writer with a per-tick budget, refused in one tick
 * and going on in the next; the root refused for cost, then for actions; every run ended but a
 * reviewer, whose action and sub-agent after the root's end are refused (the root's count is written).
 */
const SCENARIO: Scenario = {
  root: { agent: 'support-bot', budget: { max_actions: 6, max_cost_usd: 0.1 } },
  ops: [
    { op: 'action', run: 'root', action: 'llm_call', detail: { name: 'gpt-4o', tokens_in: 1800, tokens_out: 90, cost_usd: 0.035, duration_ms: 812.5 } },
    { op: 'child', run: 'root', as: 'researcher', agent: 'researcher', budget: { max_actions: 2 } },
    { op: 'action', run: 'researcher', action: 'tool_call', detail: { name: 'web_search', cost_usd: 0.01 } },
    { op: 'tool_call', run: 'researcher', tool: 'escalate_to_human', args: '{"user_id":"3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f","reason":"refund declined twice"}', detail: { call_id: 'call_7', cost_usd: 0.005 } },
    { op: 'action', run: 'researcher', action: 'llm_call' },
    { op: 'remaining', run: 'researcher' },
    { op: 'end', run: 'researcher', status: 'budget_exhausted' },
    { op: 'child', run: 'root', as: 'writer', agent: 'writer', budget: { scope: 'tick', max_actions: 1 } },
    { op: 'tick', run: 'root' },
    { op: 'action', run: 'writer', action: 'llm_call', detail: { cost_usd: 0.02 } },
    { op: 'action', run: 'writer', action: 'llm_call', detail: { cost_usd: 0.02 } },
    { op: 'tick', run: 'writer' },
    { op: 'action', run: 'writer', action: 'llm_call', detail: { cost_usd: 0.02 } },
    { op: 'end', run: 'writer' },
    { op: 'action', run: 'root', action: 'llm_call', detail: { cost_usd: 0.02 } },
    { op: 'action', run: 'root', action: 'llm_call', detail: { cost_usd: 0.01 } },
    { op: 'action', run: 'root', action: 'tool_call', detail: { name: 'web_search' } },
    { op: 'remaining', run: 'root' },
    { op: 'child', run: 'root', as: 'reviewer', agent: 'reviewer', run_id: 'reviewer-1' },
    { op: 'end', run: 'root', status: 'budget_exhausted' },
    { op: 'action', run: 'reviewer', action: 'llm_call' },
    { op: 'child', run: 'reviewer', as: 'proofreader', agent: 'proofreader' },
  ],
};

function outcomeOf(result: ActionReceipt | BudgetExhaustedError): unknown {
  if (result instanceof BudgetExhaustedError) {
    const { limit, scope, max, used, budgetRunId, runId, message } = result;
    return { refused: { limit, scope, max, used, budget_run_id: budgetRunId, run_id: runId, message } };
  }
  return { action_id: result.action_id, remaining: result.remaining };
}

/** The scenario through the TypeScript kit, as python/tests/parity_driver.py runs it through the Python one: default clock and run ids. */
function runTypeScript(scenario: Scenario): Transcript {
  const lines: string[] = [];
  const runs = new Map<string, AgentEmitter>([['root', createAgentEmitter({ agent: scenario.root.agent, write: (l) => lines.push(l), budget: scenario.root.budget })]]);
  const outcomes = scenario.ops.map((op) => {
    const run = runs.get(op.run) as AgentEmitter;
    try {
      return outcomeOfOp(run, op);
    } catch (error) {
      // Acting on a run that has ended, or under one (Python: RuntimeError).
      if (error instanceof TypeError || !(error instanceof Error)) throw error;
      return { error: error.message };
    }
  });
  return { lines, outcomes };

  function outcomeOfOp(run: AgentEmitter, op: Op): unknown {
    switch (op.op) {
      case 'action':
        return outcomeOf(run.tryAction(op.action, op.detail));
      case 'tool_call': {
        const { call_id: callId, ...rest } = op.detail ?? {};
        return outcomeOf(run.toolCall(op.tool, op.args, { ...rest, ...(callId !== undefined ? { callId } : {}) }));
      }
      case 'child':
        runs.set(op.as, run.child(op.agent, { budget: op.budget, runId: op.run_id }));
        return null;
      case 'tick':
        return run.tick();
      case 'remaining':
        return run.remaining();
      case 'end':
        run.end(op.status);
        return null;
    }
  }
}

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * A transcript with generated run ids named by the order their runs started (`run-1`, …), the
 * random nonces of `action_id`s (`<run_id>#<nonce>.<seq>`, checked to be 8 hex characters) by the
 * order they first appear (`nonce-1`, …), and times replaced by `<ts>` once they are checked to be
 * ISO times; each line re-serialised from its parse, so the comparison sees field order and
 * values, not how a number is spelt (`3.0`, `3`).
 */
function normalised(transcript: Transcript): { lines: string[]; outcomes: string } {
  const ids = transcript.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.type === 'agent.start').map((l) => String(l.run_id));
  const actions = transcript.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.type === 'agent.action');
  const nonces = [
    ...new Set(
      actions.map((l) => {
        const id = String(l.action_id);
        expect(id).toMatch(/^[^#]+#[0-9a-f]{8}\.[1-9]\d*$/);
        expect(id.slice(0, id.indexOf('#'))).toBe(l.run_id);
        return `#${id.slice(id.indexOf('#') + 1, id.lastIndexOf('.'))}.`;
      }),
    ),
  ];
  const renameNonces = (text: string) => nonces.reduce((out, nonce, i) => out.split(nonce).join(`#nonce-${i + 1}.`), text);
  const rename = (text: string) => ids.reduce((out, id, i) => out.split(id).join(`run-${i + 1}`), renameNonces(text));
  const lines = transcript.lines.map((line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.ts).toMatch(ISO_MS);
    return rename(JSON.stringify({ ...parsed, ts: '<ts>' }));
  });
  return { lines, outcomes: rename(JSON.stringify(transcript.outcomes)) };
}

function runPython(scenario: Scenario): Transcript {
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario));
  const out = execFileSync(PYTHON, [join(PYTHON_DIR, 'tests', 'parity_driver.py'), join(dir, 'scenario.json')], { encoding: 'utf8', env: PYTHON_ENV });
  return JSON.parse(out) as Transcript;
}

function events(lines: readonly string[]): AuditEvent[] {
  const out = lines.flatMap((l, i) => {
    const outcome = parseLine(l, { source: { origin: 'agent.log', line: i + 1 } });
    return outcome.kind === 'events' ? outcome.events : [];
  });
  expect(out).toHaveLength(lines.length);
  return out;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-kit-py-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Python agent emitter', () => {
  it('writes the lines the TypeScript kit writes, and refuses the same actions, for one scenario', () => {
    // Act
    const ts = normalised(runTypeScript(SCENARIO));
    const py = normalised(runPython(SCENARIO));
    // Assess: the scenario does what it is there for (a refusal of each kind), then the two agree.
    const refusals = (JSON.parse(ts.outcomes) as ({ refused?: { limit: string; scope: string; budget_run_id: string } } | null)[]).flatMap((o) => (o?.refused ? [o.refused] : []));
    expect(refusals.map((r) => [r.limit, r.scope, r.budget_run_id])).toEqual([
      ['actions', 'task', 'run-2'],
      ['actions', 'tick', 'run-3'],
      ['cost', 'task', 'run-1'],
      ['actions', 'task', 'run-1'],
    ]);
    const errors = (JSON.parse(ts.outcomes) as ({ error?: string } | null)[]).flatMap((o) => (o?.error ? [o.error] : []));
    expect(errors).toEqual([
      'reviewer run reviewer-1: its parent support-bot run run-1, already ended, and its agent.end counted the actions under it: no actions after that end(). End a sub-agent before the run above it. Nothing was recorded.',
      'reviewer run reviewer-1: its parent support-bot run run-1, already ended, and its agent.end counted the actions under it: no sub-agents after that end(). End a sub-agent before the run above it. Nothing was recorded.',
    ]);
    expect(py.lines).toEqual(ts.lines);
    expect(py.outcomes).toEqual(ts.outcomes);
  });

  it("writes lines the pipeline reads as the tree the kit counted: each end's counts are its subtree's, and no budget finding", async () => {
    // Prepare
    const { lines } = runPython(SCENARIO);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const rootId = String(parsed[0].run_id);
    const ends = parsed.filter((l) => l.type === 'agent.end');
    // Act
    const tree = treeOf(events(lines), rootId);
    const findings = (await processBatch(events(lines), REDUCERS, new MemoryAuditStore(), { config: validateConfig({}), clock: { now: () => Date.now() + 3_600_000 } })).findings;
    // Assess
    expect(ends).toHaveLength(3);
    for (const end of ends) {
      const totals = totalsOf(subtreeOf(tree, String(end.run_id)));
      expect({ run: end.run_id, actions: end.actions_reported, cost: end.cost_reported_usd }).toEqual({ run: end.run_id, actions: totals.actions, cost: totals.cost_usd });
    }
    expect(ends.at(-1)).toMatchObject({ run_id: rootId, actions_reported: 6, cost_reported_usd: 0.1 });
    expect(findings.map((f) => `${f.detector} ${f.message}`)).toEqual([]);
  });

  it("keeps the pipeline's bounds: the same largest cost, tokens, duration and line bytes", () => {
    // Act: the Python kit's constants, as it has them
    const script = 'import json; from silent_audit_agent_kit import emitter as e; print(json.dumps([e.MAX_COST_USD, e.MAX_TOKENS, e.MAX_DURATION_MS, e.MAX_LINE_BYTES]))';
    const out = execFileSync(PYTHON, ['-c', script], { cwd: PYTHON_DIR, encoding: 'utf8', env: PYTHON_ENV });
    // Assess
    expect(JSON.parse(out)).toEqual([MAX_COST_USD, MAX_TOKENS, MAX_DURATION_MS, MAX_LINE_BYTES]);
  });

  it('passes its unit tests (python/tests, unittest)', () => {
    // Act
    const result = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-s', 'tests'], { cwd: PYTHON_DIR, encoding: 'utf8', env: PYTHON_ENV });
    // Assess: unittest reports on stderr; shown in full when it fails.
    expect(result.error).toBeUndefined();
    expect({ status: result.status, report: result.stderr }).toEqual({ status: 0, report: expect.stringMatching(/\nOK\s*$/) });
    expect(result.stderr).toMatch(/Ran [1-9]\d* tests?/);
  });
});
