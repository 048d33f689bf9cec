import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { BudgetExhaustedError, createAgentEmitter, validateToolArgs } from '../../lambdas/agent-kit/index.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { MAX_LINE_BYTES, parseLine } from '../../lambdas/core/parse/index.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { type AuditEvent, MAX_ID_BYTES, MAX_ID_CHARS } from '../../lambdas/core/events.ts';

const START = Date.parse('2026-10-05T10:00:00Z');

/** An emitter writing into an array, with a clock that ticks a second per line and readable run ids. */
function setup(options: { budget?: Parameters<typeof createAgentEmitter>[0]['budget'] } = {}) {
  const lines: string[] = [];
  let t = START;
  let n = 0;
  const root = createAgentEmitter({ agent: 'support-bot', write: (l) => lines.push(l), budget: options.budget, clock: () => (t += 1000), runId: 'r-1', newRunId: () => `r-1.${++n}`, newNonce: () => 'a1b2c3d4' });
  return { root, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function detect(lines: readonly string[], config = validateConfig({})) {
  const events: AuditEvent[] = lines.flatMap((l, i) => {
    const outcome = parseLine(l, { source: { origin: 'agent.log', line: i + 1 } });
    return outcome.kind === 'events' ? outcome.events : [];
  });
  expect(events).toHaveLength(lines.length);
  return (await processBatch(events, REDUCERS, new MemoryAuditStore(), { config, clock: { now: () => START + 3_600_000 } })).findings;
}

describe('createAgentEmitter', () => {
  it('writes contract lines and refuses the action after the last one the budget allows', () => {
    // Prepare
    const { root, lines, parsed } = setup({ budget: { max_actions: 3 } });
    // Act
    const receipts = [root.action('llm_call', { name: 'gpt-4o', tokens_in: 900, tokens_out: 80 }), root.action('tool_call', { name: 'lookup_customer' }), root.action('llm_call')];
    const refused = root.tryAction('llm_call');
    // Assess
    expect(receipts.map((r) => r.remaining)).toEqual([{ actions: 2 }, { actions: 1 }, { actions: 0 }]);
    expect(refused).toBeInstanceOf(BudgetExhaustedError);
    expect(() => root.action('llm_call')).toThrow(BudgetExhaustedError);
    const error = refused as BudgetExhaustedError;
    expect(error.name).toBe('BudgetExhaustedError');
    expect({ limit: error.limit, scope: error.scope, max: error.max, used: error.used, budgetRunId: error.budgetRunId, runId: error.runId }).toEqual({
      limit: 'actions',
      scope: 'task',
      max: 3,
      used: 3,
      budgetRunId: 'r-1',
      runId: 'r-1',
    });
    expect(error.message).toBe('budget exhausted: 3 of 3 actions used (budget of run r-1); support-bot run r-1 must stop: end the run with status "budget_exhausted" and leave the rest for review');
    expect(lines).toHaveLength(4);
    expect(parsed()).toEqual([
      { type: 'agent.start', agent: 'support-bot', run_id: 'r-1', budget: { max_actions: 3, scope: 'task' }, ts: '2026-10-05T10:00:01.000Z' },
      { type: 'agent.action', agent: 'support-bot', run_id: 'r-1', action: 'llm_call', action_id: 'r-1#a1b2c3d4.1', name: 'gpt-4o', tokens_in: 900, tokens_out: 80, ts: '2026-10-05T10:00:02.000Z' },
      { type: 'agent.action', agent: 'support-bot', run_id: 'r-1', action: 'tool_call', action_id: 'r-1#a1b2c3d4.2', name: 'lookup_customer', ts: '2026-10-05T10:00:03.000Z' },
      { type: 'agent.action', agent: 'support-bot', run_id: 'r-1', action: 'llm_call', action_id: 'r-1#a1b2c3d4.3', ts: '2026-10-05T10:00:04.000Z' },
    ]);
  });

  it('shares one pool with every sub-agent, at any depth, and counts each action where it happened', () => {
    // Prepare
    const { root, parsed } = setup({ budget: { max_actions: 6 } });
    const researcher = root.child('researcher');
    const checker = researcher.child('fact-checker');
    // Act
    root.action('llm_call');
    root.action('llm_call');
    researcher.action('tool_call', { name: 'web_search' });
    researcher.action('tool_call', { name: 'web_search' });
    checker.action('llm_call');
    researcher.action('llm_call');
    const refused = [root.tryAction('llm_call'), researcher.tryAction('llm_call'), checker.tryAction('llm_call')];
    checker.end();
    researcher.end();
    root.end('budget_exhausted');
    // Assess
    expect(refused.map((r) => (r instanceof BudgetExhaustedError ? r.budgetRunId : 'written'))).toEqual(['r-1', 'r-1', 'r-1']);
    const lines = parsed();
    expect(lines.filter((l) => l.type === 'agent.start').map((l) => [l.run_id, l.parent_run_id])).toEqual([
      ['r-1', undefined],
      ['r-1.1', 'r-1'],
      ['r-1.2', 'r-1.1'],
    ]);
    expect(lines.filter((l) => l.type === 'agent.action').map((l) => l.run_id)).toEqual(['r-1', 'r-1', 'r-1.1', 'r-1.1', 'r-1.2', 'r-1.1']);
    expect(lines.filter((l) => l.type === 'agent.end').map((l) => [l.run_id, l.status, l.actions_reported])).toEqual([
      ['r-1.2', 'ok', 1],
      ['r-1.1', 'ok', 4],
      ['r-1', 'budget_exhausted', 6],
    ]);
  });

  it("holds a sub-agent to its own smaller budget too, while the others go on", () => {
    const { root } = setup({ budget: { max_actions: 20 } });
    const researcher = root.child('researcher', { budget: { max_actions: 2 } });
    researcher.action('llm_call');
    expect(researcher.remaining()).toEqual({ actions: 1 });
    researcher.action('llm_call');
    const refused = researcher.tryAction('llm_call');
    expect(refused).toBeInstanceOf(BudgetExhaustedError);
    expect((refused as BudgetExhaustedError).budgetRunId).toBe('r-1.1');
    expect(root.action('llm_call').remaining).toEqual({ actions: 17 });
  });

  it('refuses a sub-agent\'s action, tool call and child once a run above it has ended, so every agent.end counts its whole tree', async () => {
    // Prepare
    const { root, lines, parsed } = setup();
    const researcher = root.child('researcher');
    const checker = researcher.child('fact-checker');
    root.action('llm_call');
    researcher.action('llm_call');
    checker.action('llm_call');
    // Act
    root.end();
    const late = [
      () => researcher.action('llm_call'),
      () => checker.tryAction('llm_call'),
      () => checker.toolCall('web_search', { q: 'x' }),
      () => researcher.child('summarizer'),
      () => root.action('llm_call'),
      () => root.child('summarizer'),
    ];
    const errors = late.map((act) => {
      try {
        act();
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    });
    checker.end();
    researcher.end();
    // Assess
    expect(errors).toEqual([
      'researcher run r-1.1: its parent support-bot run r-1, already ended, and its agent.end counted the actions under it: no actions after that end(). End a sub-agent before the run above it. Nothing was recorded.',
      'fact-checker run r-1.2: a run above it, support-bot run r-1, already ended, and its agent.end counted the actions under it: no actions after that end(). End a sub-agent before the run above it. Nothing was recorded.',
      'fact-checker run r-1.2: a run above it, support-bot run r-1, already ended, and its agent.end counted the actions under it: no tool calls after that end(). End a sub-agent before the run above it. Nothing was recorded.',
      'researcher run r-1.1: its parent support-bot run r-1, already ended, and its agent.end counted the actions under it: no sub-agents after that end(). End a sub-agent before the run above it. Nothing was recorded.',
      'support-bot run r-1 already ended: no actions after end()',
      'support-bot run r-1 already ended: no sub-agents after end()',
    ]);
    expect(parsed().filter((l) => l.type === 'agent.action')).toHaveLength(3);
    expect(parsed().filter((l) => l.type === 'agent.end').map((l) => [l.run_id, l.actions_reported])).toEqual([
      ['r-1', 3],
      ['r-1.2', 1],
      ['r-1.1', 2],
    ]);
    expect(await detect(lines)).toEqual([]);
  });

  it.each([
    [1.5, 'tick(n) takes a whole number, 0 or more; got 1.5'],
    [-1, 'tick(n) takes a whole number, 0 or more; got -1'],
    [2 ** 60, 'tick(n) must be at most 9007199254740991 (2^53 - 1); got 1152921504606847000'],
  ])('refuses tick(%s), saying what it takes, and keeps the tick', (n, problem) => {
    // Prepare
    const { root } = setup({ budget: { max_actions: 2, scope: 'tick' } });
    root.tick(4);
    // Act
    const bad = () => root.tick(n);
    // Assess
    expect(bad).toThrow(`support-bot run r-1: ${problem}`);
    expect(root.action('llm_call')).toMatchObject({ remaining: { actions: 1 } });
    expect(root.tick()).toBe(5);
  });

  it('refuses start({ parentRunId }) once the run has started, naming the fix, and takes a repeat that changes nothing', () => {
    // Prepare: a remote sub-agent that acted before it read its parent's run id, and one that started with it
    const { lines } = setup();
    const late = createAgentEmitter({ agent: 'remote-worker', write: (l) => lines.push(l), runId: 'R1.late' });
    const early = createAgentEmitter({ agent: 'remote-worker', write: (l) => lines.push(l), runId: 'R1.early' });
    late.action('llm_call');
    early.start({ parentRunId: 'R1' });
    // Act / Assess
    expect(() => late.start({ parentRunId: 'R1' })).toThrow(
      'remote-worker run R1.late already started, as a root of its own (its first action started it): start({ parentRunId: "R1" }) must come before its first action, or its actions stay out of R1\'s tree and budget. Nothing was recorded.',
    );
    expect(() => early.start({ parentRunId: 'R2' })).toThrow('remote-worker run R1.early already started, under parent R1');
    expect(() => late.start()).not.toThrow();
    expect(() => early.start({ parentRunId: 'R1' })).not.toThrow();
    expect(lines.filter((l) => l.includes('agent.start'))).toHaveLength(2);
  });

  it('keeps a per-tick budget per tick', () => {
    const { root, parsed } = setup({ budget: { max_actions: 2, scope: 'tick' } });
    root.tick();
    root.action('llm_call');
    root.action('tool_call');
    expect(root.tryAction('llm_call')).toBeInstanceOf(BudgetExhaustedError);
    expect(root.tick()).toBe(1);
    expect(root.action('llm_call').remaining).toEqual({ actions: 1 });
    expect(parsed().filter((l) => l.type === 'agent.action').map((l) => l.tick)).toEqual([0, 0, 1]);
  });

  it('refuses the action whose cost would go past the cost budget, as budget-exceeded judges it', async () => {
    // Prepare
    const { root, lines, parsed } = setup({ budget: { max_cost_usd: 0.05 } });
    // Act
    const receipts = [root.action('llm_call', { cost_usd: 0.02 }), root.action('llm_call', { cost_usd: 0.02 })];
    const tooDear = root.tryAction('llm_call', { cost_usd: 0.02 });
    const exactFit = root.action('llm_call', { cost_usd: 0.01 });
    const unknownCost = root.tryAction('llm_call');
    root.end();
    // Assess
    expect(receipts.map((r) => r.remaining.cost_usd)).toEqual([expect.closeTo(0.03, 9), expect.closeTo(0.01, 9)]);
    expect(tooDear).toMatchObject({ name: 'BudgetExhaustedError', limit: 'cost', max: 0.05, used: expect.closeTo(0.04, 9) });
    expect((tooDear as BudgetExhaustedError).message).toContain("$0.0400 of $0.05 used (budget of run r-1), and this action's $0.0200 would go past it");
    expect(exactFit.remaining.cost_usd).toBeCloseTo(0, 9);
    expect(unknownCost).toMatchObject({ name: 'BudgetExhaustedError', limit: 'cost' });
    expect(parsed().at(-1)).toMatchObject({ type: 'agent.end', actions_reported: 3, cost_reported_usd: 0.05 });
    expect(await detect(lines)).toEqual([]);
  });

  it.each([
    ['cost_usd', Number.NaN, 'cost_usd must be a number of dollars, 0 or more; got NaN'],
    ['cost_usd', -0.2, 'cost_usd must be a number of dollars, 0 or more; got -0.2'],
    ['cost_usd', '0.05', 'cost_usd must be a number of dollars, 0 or more; got the string "0.05"'],
    ['duration_ms', Number.POSITIVE_INFINITY, 'duration_ms must be a number of milliseconds, 0 or more; got Infinity'],
    ['tokens_in', 12.5, 'tokens_in must be a whole number of tokens, 0 or more; got 12.5'],
    ['tokens_out', -1, 'tokens_out must be a whole number of tokens, 0 or more; got -1'],
    ['tick', 1.5, 'tick must be a whole number, 0 or more; got 1.5'],
    ['cost_usd', 1e308, 'cost_usd must be at most 1000000 dollars; got 1e+308'],
    ['tokens_in', 1e12, 'tokens_in must be at most 1000000000 tokens; got 1000000000000'],
    ['duration_ms', 4e10, 'duration_ms must be at most 31622400000 (366 days); got 40000000000'],
    ['tokens_in', 2 ** 60, 'tokens_in must be at most 1000000000 tokens; got 1152921504606847000'],
    ['tick', 2 ** 60, 'tick must be at most 9007199254740991 (2^53 - 1); got 1152921504606847000'],
  ])('refuses an action whose %s is %s before it touches a budget, and keeps the budget', async (key, value, problem) => {
    // Prepare
    const { root, lines } = setup({ budget: { max_cost_usd: 0.1 } });
    // Act
    const bad = () => root.tryAction('llm_call', { name: 'gpt-4o-mini', [key]: value });
    // Assess
    expect(bad).toThrow(TypeError);
    expect(bad).toThrow(`support-bot run r-1: the llm_call action's ${problem}. Nothing was recorded:`);
    expect(lines).toEqual([]);
    const after = [0.05, 0.05, 0.05].map((cost) => root.tryAction('llm_call', { cost_usd: cost }));
    expect(after.map((r) => (r instanceof BudgetExhaustedError ? 'refused' : r.remaining.cost_usd))).toEqual([expect.closeTo(0.05, 9), expect.closeTo(0, 9), 'refused']);
    root.end('budget_exhausted');
    expect(await detect(lines)).toEqual([]);
  });

  it('writes a tool call as its action and its arguments', () => {
    const { root, parsed } = setup();
    root.toolCall('escalate_to_human', { user_id: '3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f', reason: 'refund declined twice' }, { callId: 'call_7' });
    expect(parsed().slice(1)).toEqual([
      { type: 'agent.action', agent: 'support-bot', run_id: 'r-1', action: 'tool_call', action_id: 'r-1#a1b2c3d4.1', name: 'escalate_to_human', ts: '2026-10-05T10:00:02.000Z' },
      {
        type: 'tool.call',
        tool: 'escalate_to_human',
        args: { user_id: '3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f', reason: 'refund declined twice' },
        agent: 'support-bot',
        run_id: 'r-1',
        call_id: 'call_7',
        ts: '2026-10-05T10:00:03.000Z',
      },
    ]);
  });

  it("writes arguments given as JSON text (OpenAI's function.arguments) as the object, which the pipeline judges", async () => {
    // Prepare
    const { root, lines, parsed } = setup();
    const toolCall = { id: 'call_9', function: { name: 'escalate_to_human', arguments: '{"user_id":"the user mentioned in the conversation","email":"his email"}' } };
    // Act
    root.toolCall(toolCall.function.name, toolCall.function.arguments, { callId: toolCall.id });
    root.end();
    // Assess
    expect(parsed()[2]).toMatchObject({ type: 'tool.call', args: { user_id: 'the user mentioned in the conversation', email: 'his email' }, call_id: 'call_9' });
    const findings = await detect(lines);
    expect(findings.map((f) => [f.detector, f.evidence.call_id])).toEqual([['tool-arg-invalid', 'call_9']]);
  });

  it('refuses arguments that are not an object of named arguments, and records nothing', () => {
    // Prepare
    const { root, lines } = setup({ budget: { max_actions: 1 } });
    // Act
    const calls = [null, ['the user'], 42, 'not JSON'].map((args) => () => root.toolCall('escalate_to_human', args as never));
    // Assess
    for (const call of calls) expect(call).toThrow(/^support-bot run r-1: toolCall\("escalate_to_human"\) args must be an object of named arguments .*Nothing was recorded\.$/);
    expect(lines).toEqual([]);
    expect(root.remaining()).toEqual({ actions: 1 });
  });

  it.each([
    ['a circular reference', () => {
      const args: Record<string, unknown> = { user_id: 'usr_8412' };
      args.self = args;
      return args;
    }, 'Converting circular structure to JSON'],
    ['a BigInt', () => ({ user_id: 'usr_8412', amount: 10n }), 'Do not know how to serialize a BigInt'],
  ])('refuses arguments with %s before the action is recorded or counted', (_, makeArgs, reason) => {
    // Prepare
    const { root, lines } = setup({ budget: { max_actions: 2 } });
    // Act
    const call = () => root.toolCall('escalate_to_human', makeArgs());
    // Assess
    expect(call).toThrow(TypeError);
    expect(call).toThrow(`support-bot run r-1: toolCall("escalate_to_human") args cannot be written as JSON (${reason}): pass plain data, without BigInt values or circular references. Nothing was recorded.`);
    expect(lines).toEqual([]);
    expect(root.remaining()).toEqual({ actions: 2 });
    root.end();
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ type: 'agent.end', actions_reported: 0 });
  });

  it.each([
    [{ max_actions: 0 }, 'budget.max_actions must be a whole number above 0; got 0'],
    [{ max_actions: 2.5 }, 'budget.max_actions must be a whole number above 0; got 2.5'],
    [{ max_actions: '20' }, 'budget.max_actions must be a whole number above 0; got the string "20"'],
    [{ max_actions: 2 ** 53 }, 'budget.max_actions must be at most 9007199254740991 (2^53 - 1); got 9007199254740992'],
    [{ max_cost_usd: -1 }, 'budget.max_cost_usd must be a number of dollars, 0 or more; got -1'],
    [{ max_cost_usd: Number.NaN }, 'budget.max_cost_usd must be a number of dollars, 0 or more; got NaN'],
    [{ max_actions: 5, scope: 'day' }, 'budget.scope must be "task" or "tick"; got the string "day"'],
    [{ max_action: 5 }, 'budget has no max_action: it takes max_actions, max_cost_usd and scope'],
    [null, 'budget must be an object such as { max_actions: 20, max_cost_usd: 0.5 }; got null'],
  ])('refuses a budget the config and the pipeline refuse: %j', (budget, problem) => {
    // Prepare
    const { root, lines } = setup({ budget: { max_actions: 10 } });
    // Act
    const createRoot = () => createAgentEmitter({ agent: 'support-bot', write: (l) => lines.push(l), budget: budget as never });
    const createChild = () => root.child('researcher', { budget: budget as never });
    // Assess
    expect(createRoot).toThrow(TypeError);
    expect(createRoot).toThrow(`createAgentEmitter("support-bot"): ${problem} (the rules of agents.<agent>.budget in the config).`);
    expect(createChild).toThrow(`support-bot run r-1: child("researcher"): ${problem} (the rules of agents.<agent>.budget in the config).`);
    expect(lines).toEqual([]);
  });

  it('takes a cost budget of $0 and a budget with a scope only', async () => {
    // Prepare
    const { root, lines } = setup({ budget: { max_cost_usd: 0 } });
    // Act
    const free = root.tryAction('llm_call', { cost_usd: 0 });
    const dear = root.tryAction('llm_call', { cost_usd: 0.01 });
    const child = root.child('researcher', { budget: { scope: 'tick' } });
    child.end();
    root.end('budget_exhausted');
    // Assess
    expect(free).not.toBeInstanceOf(BudgetExhaustedError);
    expect(dear).toBeInstanceOf(BudgetExhaustedError);
    expect(await detect(lines)).toEqual([]);
  });

  it('cuts long texts in arguments so the tool.call line fits the pipeline, keeping what the detector judges', async () => {
    // Prepare: a 288 KB document, an id too long to be one, an address long but valid, a placeholder id.
    const content = 'Quarterly report. '.repeat(16_000);
    const noteId = `note ${'x'.repeat(3000)}`;
    const longEmail = `${'a'.repeat(2500)}@example.com`;
    const args = { document_id: 'the document mentioned in the conversation', content, note_id: noteId, owner_email: longEmail, pages: ['é'.repeat(3000)] };
    const { root, lines, parsed } = setup();
    // Act
    const verdict = validateToolArgs('write_file', args, {}, { now: START });
    root.toolCall('write_file', args, { callId: 'c1' });
    root.end();
    // Assess
    const written = parsed()[2].args as Record<string, unknown>;
    expect(Buffer.byteLength(lines[2])).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(written.content).toBe(`${content.slice(0, 2048)}… [${content.length - 2048} more bytes cut]`);
    expect(written.note_id).toBe(`${noteId.slice(0, 2048)}… [${noteId.length - 2048} more bytes cut]`);
    expect(written.owner_email).toBe(longEmail);
    expect(written.pages).toEqual([`${'é'.repeat(1024)}… [${6000 - 2048} more bytes cut]`]);
    expect(written.document_id).toBe(args.document_id);
    expect(verdict.errors.map((e) => e.arg)).toEqual(['document_id', 'note_id']);
    const findings = await detect(lines);
    expect(findings.map((f) => [f.detector, (f.evidence.errors as { arg: string }[]).map((e) => e.arg), f.evidence.placeholders])).toEqual([['tool-arg-invalid', ['document_id', 'note_id'], 1]]);
  });

  it('cuts texts shorter when many of them would still make the line too long, and refuses arguments no cut can fit', () => {
    // Prepare
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`section_${i}`, 'lorem ipsum '.repeat(100)]));
    const numbers = { samples: Array.from({ length: 60_000 }, (_, i) => i * 1000) };
    const { root, lines, parsed } = setup({ budget: { max_actions: 5 } });
    // Act
    root.toolCall('write_sections', many, { callId: 'c1' });
    const tooMany = () => root.toolCall('store_samples', numbers, { callId: 'c2' });
    // Assess
    expect(Buffer.byteLength(lines[2])).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect((parsed()[2].args as Record<string, string>).section_0).toBe(`${'lorem ipsum '.repeat(100).slice(0, 512)}… [${1200 - 512} more bytes cut]`);
    expect(tooMany).toThrow(TypeError);
    expect(tooMany).toThrow(/^support-bot run r-1: toolCall\("store_samples"\) args make a tool\.call line of \d+ bytes even with every text cut to 128 bytes; the pipeline drops lines over 262144 bytes: pass smaller arguments \(a reference to the data rather than the data\)\. Nothing was recorded\.$/);
    expect(lines).toHaveLength(3);
    expect(root.remaining()).toEqual({ actions: 4 });
  });
  it.each([
    ['NaN output_bytes', 'ok', Number.NaN, 'output_bytes must be a whole number of bytes, 0 or more; got NaN'],
    ['negative output_bytes', 'ok', -3, 'output_bytes must be a whole number of bytes, 0 or more; got -3'],
    ['fractional output_bytes', 'ok', 12.5, 'output_bytes must be a whole number of bytes, 0 or more; got 12.5'],
    ['boolean output_bytes', 'ok', true, 'output_bytes must be a whole number of bytes, 0 or more; got true'],
    ['BigInt output_bytes', 'ok', 5n, 'output_bytes must be a whole number of bytes, 0 or more; got 5'],
    ['null status', null, undefined, 'status must be non-empty text ("ok", "error", "budget_exhausted", …); got null'],
    ['empty status', '', undefined, 'status must be non-empty text ("ok", "error", "budget_exhausted", …); got the string ""'],
  ] as const)('refuses end() with %s, writing nothing and leaving the run open for an end() the pipeline takes', async (_, status, outputBytes, problem) => {
    // Prepare
    const { root, lines, parsed } = setup();
    root.action('llm_call');
    const written = lines.length;
    // Act
    const refused = () => root.end(status as unknown as string, { output_bytes: outputBytes as unknown as number });
    // Assess
    expect(refused).toThrow(new TypeError(`support-bot run r-1: end(): ${problem}. Nothing was recorded: the run is not ended.`));
    expect(lines).toHaveLength(written);
    root.end('ok', { output_bytes: 512 });
    expect(parsed().at(-1)).toMatchObject({ type: 'agent.end', status: 'ok', actions_reported: 1, output_bytes: 512 });
    expect(await detect(lines)).toEqual([]);
  });

  const tooLong = 'r'.repeat(MAX_ID_CHARS + 1);
  it.each([
    ['an empty agent (checked first)', (w: (l: string) => void) => createAgentEmitter({ agent: '', runId: 42 as unknown as string, write: w }), RangeError, 'createAgentEmitter(): agent must be a non-empty string; got the empty string'],
    ['runId 42', (w: (l: string) => void) => createAgentEmitter({ agent: 'bot', runId: 42 as unknown as string, write: w }), TypeError, 'createAgentEmitter("bot"): runId must be a non-empty string; got 42'],
    ['an agent named by a number', (w: (l: string) => void) => createAgentEmitter({ agent: 7 as unknown as string, write: w }), TypeError, 'createAgentEmitter(): agent must be a non-empty string; got 7'],
    ['a runId over 256 characters', (w: (l: string) => void) => createAgentEmitter({ agent: 'bot', runId: tooLong, write: w }), RangeError, `runId must be at most ${MAX_ID_CHARS} characters (identifiers become storage keys); got ${MAX_ID_CHARS + 1}`],
    ['an agent over 400 bytes', (w: (l: string) => void) => createAgentEmitter({ agent: 'é'.repeat(201), write: w }), RangeError, `agent must be at most ${MAX_ID_BYTES} bytes of UTF-8 (identifiers become storage keys); got 402`],
    ['newRunId giving a number', (w: (l: string) => void) => createAgentEmitter({ agent: 'bot', write: w, newRunId: () => 7 as unknown as string }), TypeError, 'createAgentEmitter("bot"): the run id newRunId() gave must be a non-empty string; got 7'],
    ["a child's runId 7", (w: (l: string) => void) => createAgentEmitter({ agent: 'bot', runId: 'r-1', write: w }).child('sub', { runId: 7 as unknown as string }), TypeError, 'bot run r-1: child("sub"): runId must be a non-empty string; got 7'],
    ['a child with no name', (w: (l: string) => void) => createAgentEmitter({ agent: 'bot', runId: 'r-1', write: w }).child(undefined as unknown as string), TypeError, "bot run r-1: child(): the sub-agent's name must be a non-empty string; got undefined"],
    ["newRunId giving a child's id too long", (w: (l: string) => void) => createAgentEmitter({ agent: 'bot', runId: 'r-1', write: w, newRunId: () => tooLong }).child('sub'), RangeError, 'bot run r-1: child("sub"): the run id newRunId() gave must be at most 256 characters'],
    ['parentRunId 1001', (w: (l: string) => void) => createAgentEmitter({ agent: 'bot', runId: 'r-1', write: w }).start({ parentRunId: 1001 as unknown as string }), TypeError, 'bot run r-1: start(): parentRunId must be a non-empty string; got 1001'],
    ['callId 17', (w: (l: string) => void) => createAgentEmitter({ agent: 'bot', runId: 'r-1', write: w }).toolCall('lookup', {}, { callId: 17 as unknown as string }), TypeError, 'bot run r-1: toolCall("lookup"): callId must be a string; got 17'],
    ['an empty tool name', (w: (l: string) => void) => createAgentEmitter({ agent: 'bot', runId: 'r-1', write: w }).toolCall('', {}), RangeError, "bot run r-1: toolCall(): the tool's name must be a non-empty string; got the empty string"],
  ] as const)('refuses %s, an id or name the pipeline rejects, where it is passed, writing nothing', (_, act, kind, message) => {
    // Prepare
    const lines: string[] = [];
    // Act
    let refused: unknown;
    try {
      act((l) => lines.push(l));
    } catch (error) {
      refused = error;
    }
    // Assess
    expect(refused).toBeInstanceOf(kind);
    expect((refused as Error).message).toContain(message);
    expect((refused as Error).message).toContain('Nothing was recorded');
    expect(lines).toEqual([]);
  });

  it('refuses the same too long runId the pipeline rejects, and takes ids at the bound and an empty callId as the pipeline does', async () => {
    // Prepare: the line the kit would have written for a runId one past the bound.
    const rejected = parseLine(JSON.stringify({ type: 'agent.start', ts: '2026-10-05T10:00:00Z', agent: 'bot', run_id: tooLong }), { source: { origin: 'agent.log', line: 1 } });
    const lines: string[] = [];
    // Act
    const run = createAgentEmitter({ agent: 'b'.repeat(MAX_ID_CHARS), runId: 'é'.repeat(MAX_ID_BYTES / 2), write: (l) => lines.push(l), clock: () => START });
    run.child('c'.repeat(MAX_ID_CHARS), { runId: 'x'.repeat(MAX_ID_CHARS) }).end('ok');
    run.toolCall('t'.repeat(MAX_ID_CHARS), { q: 'x' }, { callId: '' });
    run.end('ok', { output_bytes: 10 });
    // Assess
    expect(rejected.kind).toBe('rejected');
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['agent.start', 'agent.start', 'agent.end', 'agent.action', 'tool.call', 'agent.end']);
    expect(await detect(lines)).toEqual([]);
  });

  it('marks a run started and ended only once its line is written: a writer that throws leaves it to write again', () => {
    // Prepare
    const lines: string[] = [];
    let failing = true;
    const root = createAgentEmitter({ agent: 'support-bot', runId: 'r-1', newNonce: () => 'a1b2c3d4', clock: () => START, write: (l) => (failing ? (() => { throw new Error('EPIPE'); })() : lines.push(l)) });
    // Act
    expect(() => root.end('ok')).toThrow('EPIPE');
    failing = false;
    root.end('ok');
    // Assess
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['agent.start', 'agent.end']);
  });
});

describe('one definition for prevention and detection', () => {
  it('an agent that keeps the kit\'s budget raises no finding; the same agent counting only its top level does', async () => {
    // Prepare: the kit stops the tree at 6 actions and reports honest counts.
    const { root, lines } = setup({ budget: { max_actions: 6 } });
    const researcher = root.child('researcher');
    root.action('llm_call');
    for (let i = 0; i < 10; i++) if (researcher.tryAction('tool_call', { name: 'web_search' }) instanceof BudgetExhaustedError) break;
    researcher.end('budget_exhausted');
    root.end('budget_exhausted');
    // The same tree from an agent that counted only its own calls and ignored its sub-agent's.
    const leaky = lines.map((l) => l.replace('"actions_reported":6', '"actions_reported":1'));
    const extra = JSON.stringify({ type: 'agent.action', agent: 'researcher', run_id: 'r-1.1', action: 'tool_call', name: 'web_search', ts: '2026-10-05T10:00:30.000Z' });
    // Act
    const kept = await detect(lines);
    const leaked = await detect([...leaky.slice(0, -2), extra, ...leaky.slice(-2)]);
    // Assess
    expect(kept).toEqual([]);
    expect(leaked.map((f) => [f.detector, f.run_id, f.message])).toEqual([
      ['budget-undercount', 'r-1.1', 'sub-agent researcher (run r-1.1, under r-1) reported 5 actions but its tree shows 6: 1 went uncounted'],
      ['budget-exceeded', 'r-1', 'run r-1 used 7 actions across 2 runs, over its budget of 6 actions per task; top: researcher r-1.1 with 6, support-bot r-1 with 1, tool_call:web_search ×6'],
      ['budget-undercount', 'r-1', 'run r-1 reported 1 action but its tree shows 7 (1 own, 6 in 1 sub-agent run): 6 went uncounted'],
    ]);
  });

  it('counts the actions of a second process under the same run id (a retried Kubernetes Job pod), so budget-exceeded sees them', async () => {
    // Prepare: the first pod is OOM-killed after 6 actions; its retry, under the same task id, makes 6 more and ends.
    const lines: string[] = [];
    let t = START;
    const pod = () => createAgentEmitter({ agent: 'triage', write: (l) => lines.push(l), budget: { max_actions: 10 }, clock: () => (t += 1000), runId: 'task-42' });
    const killed = pod();
    for (let i = 0; i < 6; i++) killed.action('llm_call', { name: 'gpt-4o' });
    const retry = pod();
    for (let i = 0; i < 6; i++) retry.action('llm_call', { name: 'gpt-4o' });
    retry.end();
    // Act
    const findings = await detect(lines);
    // Assess: one nonce per process, its own action ids, all 12 counted.
    const ids = lines.map((l) => JSON.parse(l) as Record<string, unknown>).flatMap((l) => (l.type === 'agent.action' ? [String(l.action_id)] : []));
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    for (const id of ids) expect(id).toMatch(/^task-42#[0-9a-f]{8}\.([1-6])$/);
    expect(findings.filter((f) => f.detector === 'budget-exceeded').map((f) => f.message)).toEqual([
      'run task-42 used 12 actions, over its budget of 10 actions per task; top: triage task-42 with 12, llm_call:gpt-4o ×12',
    ]);
  });

  it('the kit judges the arguments the line carries, so it gives the verdict the pipeline gives', async () => {
    // Prepare
    const config = validateConfig({ tools: { schedule_followup: { args: { due: { date: { min: '-30d', max: '+365d' } }, amount: 'number' } } } });
    const cases: Record<string, unknown>[] = [
      { due: new Date('2026-10-20T00:00:00Z') },
      { due: new Date('2030-01-01T00:00:00Z') },
      { due: new Date(Number.NaN) },
      { amount: Number.NaN },
      { amount: Number.POSITIVE_INFINITY },
      { amount: 'forty' },
    ];
    const { root, lines } = setup();
    // Act
    const kit = cases.map((args, i) => {
      const verdict = validateToolArgs('schedule_followup', args, config, { now: START });
      root.toolCall('schedule_followup', args, { callId: `c${i}` });
      return verdict.ok;
    });
    root.end();
    const flagged = new Set((await detect(lines, config)).map((f) => f.evidence.call_id));
    // Assess
    expect(kit).toEqual([true, false, true, true, true, false]);
    expect(cases.map((_, i) => !flagged.has(`c${i}`))).toEqual(kit);
  });
});
