import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import type { AgentState } from '../../lambdas/core/agent-reducer.ts';
import { sweepAgentRoots } from '../../lambdas/core/agent-sweep.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { otelGenAiParser } from '../../lambdas/core/parse/otel-genai.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { redactorFor } from '../../lambdas/core/redact.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { contextFor, eventsOf, fixtureLines, parseFile } from '../parse/helpers.ts';

const LINES = fixtureLines('otel/support-bot.otlp.jsonl');
const bodies = (events: readonly AuditEvent[]) => events.map((e) => e.body as unknown as Record<string, unknown>);

describe('OpenTelemetry GenAI spans (OTLP JSON) as agent events', () => {
  it('maps a whole trace in one line: agent runs with their parents, LLM calls with tokens, tool calls with their arguments', () => {
    // Act
    const outcome = parseLine(LINES[0], contextFor('traces.jsonl', 1));
    // Assess
    expect(outcome.kind).toBe('events');
    const events = outcome.kind === 'events' ? outcome.events : [];
    expect(events.every((e) => e.format === 'otel')).toBe(true);
    const b = bodies(events);
    expect(b.filter((e) => e.type === 'agent.start' && e.pass_through === undefined)).toEqual([
      { type: 'agent.start', ts: Date.parse('2026-10-05T09:00:00.020Z'), agent: 'support-bot', run_id: 'b7ad6b7169203331', trace_id: '5b8efff798038103d269b633813fc60c' },
      {
        type: 'agent.start',
        ts: Date.parse('2026-10-05T09:00:03.100Z'),
        agent: 'researcher',
        run_id: 'c1f0a9e8d7b6a5f4',
        parent_run_id: 'b7ad6b7169203331',
        trace_id: '5b8efff798038103d269b633813fc60c',
      },
    ]);
    expect(b.filter((e) => e.type === 'agent.end').map((e) => [e.run_id, e.status, e.ts])).toEqual([
      ['b7ad6b7169203331', 'ok', Date.parse('2026-10-05T09:00:14.800Z')],
      ['c1f0a9e8d7b6a5f4', 'ok', Date.parse('2026-10-05T09:00:09.000Z')],
    ]);
    const actions = b.filter((e) => e.type === 'agent.action');
    expect(actions.map((e) => [e.run_id, e.action, e.name, e.tokens_in, e.tokens_out])).toEqual([
      ['b7ad6b7169203331', 'llm_call', 'gpt-4o-2024-08-06', 1820, 64],
      ['b7ad6b7169203331', 'tool_call', 'lookup_customer', undefined, undefined],
      ['b7ad6b7169203331', 'llm_call', 'gpt-4o-2024-08-06', 2410, 58],
      ['b7ad6b7169203331', 'tool_call', 'research', undefined, undefined],
      ['c1f0a9e8d7b6a5f4', 'llm_call', 'gpt-4o-2024-08-06', 950, 40],
      ['c1f0a9e8d7b6a5f4', 'tool_call', 'web_search', undefined, undefined],
      ['c1f0a9e8d7b6a5f4', 'llm_call', 'gpt-4o-2024-08-06', 3120, 410],
      ['b7ad6b7169203331', 'llm_call', 'gpt-4o-2024-08-06', 4020, 120],
      ['b7ad6b7169203331', 'tool_call', 'escalate_to_human', undefined, undefined],
      ['b7ad6b7169203331', 'llm_call', 'gpt-4o-2024-08-06', 4300, 210],
    ]);
    expect(actions[0]).toMatchObject({ agent: 'support-bot', span_id: '00f067aa0ba902b7', duration_ms: 1870 });
    expect(b.filter((e) => e.type === 'tool.call')).toEqual([
      expect.objectContaining({ tool: 'lookup_customer', args: { customer_id: 'cus_N4x8QvT2', include: ['orders'] }, call_id: 'call_8f2k1', run_id: 'b7ad6b7169203331' }),
      expect.objectContaining({ tool: 'research', args: { question: 'Why was the refund for order 7781 declined?' }, call_id: 'call_9a7d2' }),
      expect.objectContaining({ tool: 'web_search', args: { query: 'refund declined order 7781' }, agent: 'researcher', run_id: 'c1f0a9e8d7b6a5f4' }),
      expect.objectContaining({
        tool: 'escalate_to_human',
        args: { user_id: 'the user mentioned in the conversation', email: 'his email', reason: 'refund declined twice, customer is upset' },
        call_id: 'call_4x9zq',
      }),
    ]);
    // Each tool span links to its agent (pass_through), for LLM calls under it that come in another line.
    expect(b.filter((e) => e.pass_through === true).map((e) => [e.run_id, e.parent_run_id])).toEqual(
      b.filter((e) => e.type === 'agent.action' && e.action === 'tool_call').map((e) => [e.span_id, e.run_id]),
    );
    expect(events).toHaveLength(22);
  });

  it("marks a sub-agent's parent as guessed when the parent span is in another line", () => {
    const events = eventsOf(parseFile('traces.jsonl', [LINES[1]]));
    expect(bodies(events).find((e) => e.type === 'agent.start' && e.pass_through === undefined)).toMatchObject({ run_id: '92a3b4c5d6e7f809', parent_run_id: '8192a3b4c5d6e7f8', parent_tentative: true });
  });

  it('leaves OTLP lines without GenAI spans unrecognised, and rejects broken OTLP JSON', () => {
    expect(parseLine(LINES[3], contextFor('traces.jsonl', 4))).toEqual({ kind: 'unrecognised' });
    expect(otelGenAiParser.parse('{"resourceSpans":[{"scopeSpans":[', contextFor('traces.jsonl', 5))).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^OTLP JSON rejected: not valid JSON/) });
    expect(otelGenAiParser.parse('{"type":"run.start"}', contextFor('x', 1))).toBeUndefined();
  });

  it.each([
    ['an MDC', '{requestId=abc}'],
    ['an empty MDC', '{}'],
    ['two maps', '{requestId=abc} {user=ops}'],
  ])('reads the export after a prefix holding braces of its own, as log4j prints its MDC: %s', (_, mdc) => {
    // Prepare: log4j's `%d %p [%t] %X - %m` around the first export line
    const line = `2026-10-05T10:00:00.000Z INFO [exporter] ${mdc} - ${LINES[0]}`;
    // Act
    const outcome = parseLine(line, contextFor('traces.jsonl', 1));
    // Assess
    expect(outcome).toEqual(parseLine(LINES[0], contextFor('traces.jsonl', 1)));
    expect(outcome.kind === 'events' && outcome.events.length).toBeGreaterThan(0);
  });

  it("names the export's own JSON error, not that of the prefix's braces, when the export after them is bad", () => {
    // Act
    const outcome = parseLine('2026-10-05T10:00:00.000Z INFO [exporter] {requestId=abc} - {"resourceSpans":[],}', contextFor('traces.jsonl', 1));
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: 'OTLP JSON rejected: not valid JSON (Expected double-quoted property name in JSON at position 20)' });
  });

  it('feeds the same detectors: the trees and their budgets, the placeholder arguments', async () => {
    // Prepare: support-bot may make 8 actions per task.
    const config = validateConfig({ agents: { 'support-bot': { budget: { max_actions: 8 } } } });
    const events = eventsOf(parseFile('traces.jsonl', LINES));
    // Act
    const { findings } = await processBatch(events, REDUCERS, new MemoryAuditStore(), { config, clock: { now: () => Date.parse('2026-10-05T10:00:00Z') } });
    // Assess: trace 1 made 10 actions (7 of support-bot, 3 of the researcher); trace 2 made 6, its sub-agent linked across lines.
    expect(findings.map((f) => [f.detector, f.subject, f.run_id, f.message])).toEqual([
      [
        'tool-arg-invalid',
        'escalate_to_human',
        'b7ad6b7169203331',
        'escalate_to_human: user_id must be an identifier (one token, no spaces) like usr_8412; got the placeholder text "the user mentioned in the conversation": pass the literal id from the earlier tool result, not a description of it. (and 1 more argument)',
      ],
      [
        'budget-exceeded',
        'support-bot',
        'b7ad6b7169203331',
        'run b7ad6b7169203331 used 10 actions across 2 runs, over its budget of 8 actions per task; top: support-bot b7ad6b7169203331 with 7, researcher c1f0a9e8d7b6a5f4 with 3, llm_call:gpt-4o-2024-08-06 ×6',
      ],
      [
        'tool-arg-invalid',
        'issue_refund',
        '8192a3b4c5d6e7f8',
        'issue_refund: amount must be a number like 42.5; got the placeholder text "the same amount as last time": look the amount up and pass the number itself.',
      ],
    ]);
  });
});

/** One OTLP/JSON export line of the given spans (trace t1, service bot), as the Collector's file exporter writes it. */
function otlpLine(spans: readonly { id: string; parent?: string; name: string; op?: string; at: number; end: number; attrs?: Record<string, string> }[]): string {
  const nanos = (s: number) => `${Date.parse('2026-10-06T10:00:00Z') + s * 1000}000000`;
  const attributes = (op: string | undefined, attrs: Record<string, string> = {}) =>
    Object.entries({ ...(op ? { 'gen_ai.operation.name': op } : {}), ...attrs }).map(([key, value]) => ({ key, value: { stringValue: value } }));
  const otlp = spans.map((s) => ({
    traceId: 't1',
    spanId: s.id,
    ...(s.parent ? { parentSpanId: s.parent } : {}),
    name: s.name,
    startTimeUnixNano: nanos(s.at),
    endTimeUnixNano: nanos(s.end),
    attributes: attributes(s.op, s.attrs),
  }));
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bot' } }] }, scopeSpans: [{ spans: otlp }] }] });
}

const agentSpan = { id: 'R', name: 'invoke_agent support-bot', op: 'invoke_agent', at: 0, end: 10, attrs: { 'gen_ai.agent.name': 'support-bot' } };
const chat = (id: string, parent: string, at: number) => ({ id, parent, name: 'chat gpt-4o', op: 'chat', at, end: at + 1, attrs: { 'gen_ai.request.model': 'gpt-4o' } });
const fiveChats = (parent: string) => [1, 2, 3, 4, 5].map((i) => chat(`c${i}`, parent, i));

describe('LLM and tool calls under a framework span (no GenAI operation) between them and their agent', () => {
  const config = validateConfig({ agents: { 'support-bot': { budget: { max_actions: 3 } } } });
  const ctx = { config, clock: { now: () => Date.parse('2026-10-06T11:00:00Z') } };
  const finding = 'budget-exceeded support-bot R run R used 6 actions, over its budget of 3 actions per task; top: support-bot R with 6, llm_call:gpt-4o ×6';
  /** Each line in a batch of its own, in the order given; the findings of them all. */
  async function feedLines(lines: readonly string[], store = new MemoryAuditStore()) {
    const found: string[] = [];
    for (const [i, line] of lines.entries()) {
      const events = eventsOf(parseFile('traces.jsonl', [line])).map((e) => ({ ...e, source: { ...e.source, line: i + 1 } }));
      const { findings } = await processBatch(events, REDUCERS, store, ctx);
      found.push(...findings.map((f) => `${f.detector} ${f.subject} ${f.run_id} ${f.message}`));
    }
    return { found, store };
  }

  it("links a step span to its nearest agent span, or to the span outside the line, and not a span under an LLM call", () => {
    // Prepare: R > step1 > step2 in the line; http under a chat; step3's parent in another line.
    const line = otlpLine([
      agentSpan,
      { id: 'step1', parent: 'R', name: 'workflow step', at: 1, end: 8 },
      { id: 'step2', parent: 'step1', name: 'workflow step', at: 2, end: 7 },
      chat('c1', 'step2', 3),
      { id: 'http', parent: 'c1', name: 'POST /v1/chat/completions', at: 3, end: 4 },
      { id: 'step3', parent: 'elsewhere', name: 'workflow step', at: 5, end: 6 },
      chat('c2', 'step3', 5),
    ]);
    // Act
    const events = bodies(eventsOf(parseFile('traces.jsonl', [line])));
    // Assess
    expect(events.filter((e) => e.pass_through === true).map((e) => [e.type, e.run_id, e.parent_run_id, e.parent_tentative])).toEqual([
      ['agent.start', 'step1', 'R', undefined],
      ['agent.start', 'step2', 'R', undefined],
      ['agent.start', 'step3', 'elsewhere', true],
    ]);
    expect(events.filter((e) => e.type === 'agent.action').map((e) => [e.span_id, e.run_id, e.agent])).toEqual([
      ['c1', 'step2', 'support-bot'],
      ['c2', 'step3', 'bot'],
    ]);
  });

  it("gives a tool span's tool.call its agent's run when the line holds the agent span, and no run when it does not", () => {
    // Prepare: R > step1 > tool T with arguments; the whole trace in one line, and T alone.
    const tool = { id: 'T', parent: 'step1', name: 'execute_tool refund', op: 'execute_tool', at: 2, end: 3, attrs: { 'gen_ai.tool.name': 'refund', 'gen_ai.tool.call.arguments': '{"user_id":"u-1"}' } };
    const toolCall = (line: string) => bodies(eventsOf(parseFile('traces.jsonl', [line]))).find((e) => e.type === 'tool.call');
    // Act
    const whole = toolCall(otlpLine([agentSpan, { id: 'step1', parent: 'R', name: 'workflow step', at: 1, end: 8 }, tool]));
    const alone = toolCall(otlpLine([tool]));
    // Assess
    expect(whole).toMatchObject({ agent: 'support-bot', run_id: 'R', span_id: 'T' });
    expect(alone).toMatchObject({ span_id: 'T' });
    expect([alone?.agent, alone?.run_id]).toEqual([undefined, undefined]);
  });

  it('counts a call under its parent span however the lines are grouped, so a trace re-sent in another grouping counts nothing twice', async () => {
    // Prepare: R > step1 > five calls, and c9 under R: 6 actions. Sent whole then again split (calls first, as a batch exporter sends them), and the reverse.
    const whole = otlpLine([agentSpan, { id: 'step1', parent: 'R', name: 'workflow step', at: 1, end: 8 }, ...fiveChats('step1'), chat('c9', 'R', 8)]);
    const split = [otlpLine(fiveChats('step1')), otlpLine([{ id: 'step1', parent: 'R', name: 'workflow step', at: 1, end: 8 }, agentSpan, chat('c9', 'R', 8)])];
    const atSix = validateConfig({ agents: { 'support-bot': { budget: { max_actions: 6 } } } });
    // Act
    const runOf = (line: string) => bodies(eventsOf(parseFile('traces.jsonl', [line]))).filter((e) => e.type === 'agent.action').map((e) => [e.span_id, e.run_id]);
    const wholeThenSplit = await feedLines([whole, ...split]);
    const splitThenWhole = await feedLines([...split, whole]);
    const withinSix: string[] = [];
    const store = new MemoryAuditStore();
    for (const [i, line] of [whole, ...split].entries()) {
      const events = eventsOf(parseFile('traces.jsonl', [line])).map((e) => ({ ...e, source: { ...e.source, line: i + 1 } }));
      withinSix.push(...(await processBatch(events, REDUCERS, store, { ...ctx, config: atSix })).findings.map((f) => f.message));
    }
    // Assess: each call has one run whichever line it came in; 6 actions counted once (within a budget of 6, over one of 3).
    expect(runOf(split[0])).toEqual(runOf(whole).filter(([id]) => id !== 'c9'));
    expect(wholeThenSplit.found).toEqual([finding]);
    expect(splitThenWhole.found).toEqual([finding]);
    expect(withinSix).toEqual([]);
  });

  it('gives the same finding whether the trace is one line, or its calls are in another line than their step span', async () => {
    // Prepare
    const one = [otlpLine([agentSpan, { id: 'step1', parent: 'R', name: 'workflow step', at: 1, end: 8 }, ...fiveChats('step1'), chat('c9', 'R', 8)])];
    const split = [otlpLine(fiveChats('step1')), otlpLine([{ id: 'step1', parent: 'R', name: 'workflow step', at: 1, end: 8 }, agentSpan, chat('c9', 'R', 8)])];
    // Act
    const results = [await feedLines(one), await feedLines(split), await feedLines([...split].reverse())];
    // Assess
    expect(results.map((r) => r.found)).toEqual([[finding], [finding], [finding]]);
  });

  it('follows a chain of two step spans split over three lines, and counts nothing twice when the lines come again', async () => {
    // Prepare: R > step1 > step2 > four calls; one more call under step2 in step2's line, one under R.
    const lines = [
      otlpLine([1, 2, 3, 4].map((i) => chat(`c${i}`, 'step2', i))),
      otlpLine([{ id: 'step2', parent: 'step1', name: 'chain', at: 1, end: 7 }, chat('c5', 'step2', 5)]),
      otlpLine([{ id: 'step1', parent: 'R', name: 'workflow step', at: 1, end: 8 }, agentSpan, chat('c9', 'R', 8)]),
    ];
    // Act
    const first = await feedLines(lines);
    const again = await feedLines(lines, first.store);
    const reversed = await feedLines([...lines].reverse());
    // Assess
    expect(first.found).toEqual([finding]);
    expect(again.found).toEqual([]);
    expect(reversed.found).toEqual([finding]);
  });

  it('counts the LLM calls a tool makes, and those under a step span within it, also when they come in a line before the tool span', async () => {
    // Prepare: R > tool T (two chats under T, one more under a step span within T), chat c9: 5 actions, over 3 only with the tool's calls.
    const tool = { id: 'T', parent: 'R', name: 'execute_tool summarise', op: 'execute_tool', at: 1, end: 7, attrs: { 'gen_ai.tool.name': 'summarise' } };
    const step = { id: 'stepT', parent: 'T', name: 'workflow step', at: 4, end: 6 };
    const inner = [chat('c1', 'T', 2), chat('c2', 'T', 3), chat('c3', 'stepT', 5)];
    const top = [agentSpan, tool, chat('c9', 'R', 8)];
    const one = [otlpLine([...top, step, ...inner])];
    const split = [otlpLine(inner.slice(0, 2)), otlpLine([step, inner[2]]), otlpLine(top)];
    // Act
    const results = [await feedLines(one), await feedLines(split), await feedLines([...split].reverse())];
    // Assess
    const toolFinding = 'budget-exceeded support-bot R run R used 5 actions, over its budget of 3 actions per task; top: support-bot R with 5, llm_call:gpt-4o ×4';
    expect(results.map((r) => r.found)).toEqual([[toolFinding], [toolFinding], [toolFinding]]);
  });
});

describe('a sub-agent run as a tool (agents-as-tools): its agent span under a tool span of its parent', () => {
  // R (support-bot, budget 3): chat c1, tool T, chat c9: 3 actions, within its budget alone. Under T, the
  // researcher X (budget 2 of its own) makes 3 LLM calls: the tree makes 6.
  const config = validateConfig({ agents: { 'support-bot': { budget: { max_actions: 3 } }, researcher: { budget: { max_actions: 2 } } } });
  const at = (minutes: number) => ({ config, clock: { now: () => Date.parse('2026-10-06T10:00:00Z') + minutes * 60_000 } });
  const tool = { id: 'T', parent: 'R', name: 'execute_tool research', op: 'execute_tool', at: 1, end: 7, attrs: { 'gen_ai.tool.name': 'research' } };
  const researcher = (parent: string) => ({ id: 'X', parent, name: 'invoke_agent researcher', op: 'invoke_agent', at: 2, end: 6, attrs: { 'gen_ai.agent.name': 'researcher' } });
  const sub = (parent: string) => [researcher(parent), chat('x1', 'X', 2), chat('x2', 'X', 3), chat('x3', 'X', 4)];
  const top = [agentSpan, chat('c1', 'R', 0), tool, chat('c9', 'R', 8)];
  // Remote: T's HTTP client span H calls the researcher's service, whose server span S runs X.
  const client = { id: 'H', parent: 'T', name: 'POST /research', at: 1, end: 7, attrs: { 'http.request.method': 'POST' } };
  const server = { id: 'S', parent: 'H', name: 'POST /research', at: 1, end: 7 };
  const treeFinding =
    'budget-exceeded support-bot R run R used 6 actions across 2 runs, over its budget of 3 actions per task; top: support-bot R with 3, researcher X with 3, llm_call:gpt-4o ×5';
  const subFinding = 'budget-exceeded support-bot X sub-agent researcher (run X, under R) used 3 actions, over its own budget of 2 actions per task; top: researcher X with 3, llm_call:gpt-4o ×3';
  const brief = (findings: readonly Finding[]) => findings.map((f) => `${f.detector} ${f.subject} ${f.run_id} ${f.message}`);
  /** Each line in a batch of its own, in the order given, then the sweep 10 minutes later (the sub-agent's tree has settled by then). */
  async function deliver(lines: readonly string[], store = new MemoryAuditStore()) {
    const found: Finding[] = [];
    for (const [i, line] of lines.entries()) {
      const events = eventsOf(parseFile('traces.jsonl', [line])).map((e) => ({ ...e, source: { ...e.source, line: i + 1 } }));
      found.push(...(await processBatch(events, REDUCERS, store, at(1))).findings);
    }
    const swept = await sweepAgentRoots(store, at(10));
    return { found: brief(found), swept: brief(swept.findings), store };
  }
  const openRoots = async (store: MemoryAuditStore, agent: string) => ((await store.load([`agent#${agent}`])).get(`agent#${agent}`)?.state as AgentState | undefined)?.open ?? [];

  it("counts the sub-agent's actions in its parent's tree whether its spans come in the parent's line, before it (as a batch exporter sends them) or after it", async () => {
    // Prepare
    const one = [otlpLine([...top, ...sub('T')])];
    const split = [otlpLine(sub('T')), otlpLine(top)];
    // Act
    const results = [await deliver(one), await deliver(split), await deliver([...split].reverse())];
    // Assess: one judgement of the whole tree each time; the sweep judges nothing alone, and lets the researcher go.
    for (const result of results) {
      expect(result.found).toEqual([subFinding, treeFinding]);
      expect(result.swept).toEqual([]);
      expect(await openRoots(result.store, 'researcher')).toEqual([]);
    }
  });

  it('also when the sub-agent runs in another service, under a server span of the HTTP call the tool made', async () => {
    // Prepare
    const remote = [otlpLine([server, ...sub('S')]), otlpLine([...top, client])];
    // Act
    const results = [await deliver(remote), await deliver([...remote].reverse())];
    // Assess
    for (const result of results) {
      expect(result.found).toEqual([subFinding, treeFinding]);
      expect(result.swept).toEqual([]);
    }
  });

  it("reports what the sub-agent's tree gave when judged alone once, when its parent's spans come after the sweep judged it", async () => {
    // Prepare: the sub-agent's line, judged alone by the sweep (its guessed parent T is no agent run as far as it knows).
    const store = new MemoryAuditStore();
    await processBatch(eventsOf(parseFile('traces.jsonl', [otlpLine(sub('T'))])), REDUCERS, store, at(1));
    const alone = await sweepAgentRoots(store, at(10));
    // Act: the parent's line comes 20 minutes late, then the sweep.
    const late = await processBatch(eventsOf(parseFile('traces.jsonl', [otlpLine(top)])), REDUCERS, store, at(20));
    const later = await sweepAgentRoots(store, at(30));
    // Assess
    expect(brief(alone.findings)).toEqual(['budget-exceeded researcher X run X used 3 actions, over its budget of 2 actions per task; top: researcher X with 3, llm_call:gpt-4o ×3']);
    expect(brief(late.findings)).toEqual([treeFinding]);
    expect(later.findings).toEqual([]);
    expect(await openRoots(store, 'support-bot')).toEqual([]);
  });
});

describe('tool spans outside any agent span', () => {
  it('checks their arguments once, however often the span is delivered, with no agent action', async () => {
    // Prepare: an app with tool calling and no agent framework: an HTTP server span is the root.
    const line = otlpLine([
      { id: 'http', name: 'POST /chat', at: 0, end: 9 },
      chat('c1', 'http', 1),
      { id: 'T', parent: 'http', name: 'execute_tool escalate_to_human', op: 'execute_tool', at: 2, end: 3, attrs: { 'gen_ai.tool.name': 'escalate_to_human', 'gen_ai.tool.call.id': 'call_1', 'gen_ai.tool.call.arguments': '{"user_id":"the user mentioned in the conversation"}' } },
    ]);
    const config = validateConfig({});
    const store = new MemoryAuditStore();
    const ctx = { config, clock: { now: () => Date.parse('2026-10-06T11:00:00Z') } };
    // Act: the line, then the same line again (a redelivery, from another place).
    const first = eventsOf(parseFile('traces.jsonl', [line]));
    const found = (await processBatch(first, REDUCERS, store, ctx)).findings;
    const again = eventsOf(parseFile('traces-again.jsonl', [line]));
    const foundAgain = (await processBatch(again, REDUCERS, store, ctx)).findings;
    // Assess
    expect(bodies(first)).toEqual([expect.objectContaining({ type: 'tool.call', tool: 'escalate_to_human', span_id: 'T', call_id: 'call_1' })]);
    expect(bodies(first)[0]).not.toHaveProperty('run_id');
    expect(found.map((f) => [f.detector, f.subject])).toEqual([['tool-arg-invalid', 'escalate_to_human']]);
    expect(foundAgain).toEqual([]);
  });
});

describe('broken GenAI spans', () => {
  /** The line of the spans, with `change` applied to its OTLP spans. */
  function brokenLine(spans: Parameters<typeof otlpLine>[0], change: (otlp: Record<string, unknown>[]) => void): string {
    const raw = JSON.parse(otlpLine(spans));
    change(raw.resourceSpans[0].scopeSpans[0].spans);
    return JSON.stringify(raw);
  }
  const summaryOf = (line: string) => {
    const outcome = parseLine(line, contextFor('traces.jsonl', 1));
    if (outcome.kind === 'rejected') return { rejected: outcome.reason, events: [] };
    if (outcome.kind === 'unrecognised') return { rejected: 'unrecognised', events: [] };
    return { rejected: outcome.rejected, events: bodies(outcome.events).map((e) => `${e.type} ${e.span_id ?? e.run_id}`) };
  };

  it.each([
    [
      'a chat span without its start time (proto3 JSON leaves a zero out)',
      brokenLine([agentSpan, chat('c1', 'R', 1), chat('c2', 'R', 2)], (spans) => delete spans[2].startTimeUnixNano),
      'OTLP GenAI spans rejected: span c2 (chat): startTimeUnixNano: missing; the line\'s other spans gave 3 events',
      ['agent.start R', 'agent.end R', 'agent.action c1'],
    ],
    [
      'a span whose end time is no number of nanoseconds',
      brokenLine([agentSpan, chat('c1', 'R', 1), chat('c2', 'R', 2)], (spans) => (spans[1].endTimeUnixNano = '2026-10-06T10:00:02Z')),
      'OTLP GenAI spans rejected: span c1 (chat): endTimeUnixNano: not a time in nanoseconds since the epoch; the line\'s other spans gave 3 events',
      ['agent.start R', 'agent.end R', 'agent.action c2'],
    ],
    [
      'a sub-agent whose name is over the identifier bound, and its call',
      otlpLine([agentSpan, chat('c1', 'R', 1), { id: 'X', parent: 'R', name: 'invoke_agent', op: 'invoke_agent', at: 2, end: 5, attrs: { 'gen_ai.agent.name': 'r'.repeat(300) } }, chat('c2', 'X', 3)]),
      'OTLP GenAI spans rejected: span X: agent: must be at most 256 characters (identifiers become storage keys) | span c2: agent: must be at most 256 characters (identifiers become storage keys); the line\'s other spans gave 3 events',
      ['agent.start R', 'agent.end R', 'agent.action c1'],
    ],
    [
      'a span whose end time is past the year 9999 (a date cannot hold it)',
      brokenLine([agentSpan, chat('c1', 'R', 1), chat('c2', 'R', 2)], (spans) => (spans[1].endTimeUnixNano = '9000000000000000000000')),
      'OTLP GenAI spans rejected: span c1 (chat): endTimeUnixNano: after the year 9999: not a time in nanoseconds since the epoch; the line\'s other spans gave 3 events',
      ['agent.start R', 'agent.end R', 'agent.action c2'],
    ],
    [
      'a span whose start time is past the year 9999, as a number',
      brokenLine([agentSpan, chat('c1', 'R', 1), chat('c2', 'R', 2)], (spans) => (spans[2].startTimeUnixNano = 9e21)),
      'OTLP GenAI spans rejected: span c2 (chat): startTimeUnixNano: after the year 9999: not a time in nanoseconds since the epoch; the line\'s other spans gave 3 events',
      ['agent.start R', 'agent.end R', 'agent.action c1'],
    ],
    [
      'a span that ends more than 366 days after it starts (its action\'s duration_ms would be past the bound)',
      brokenLine([agentSpan, chat('c1', 'R', 1), chat('c2', 'R', 2)], (spans) => (spans[1].endTimeUnixNano = String(BigInt(spans[1].startTimeUnixNano as string) + 367n * 86_400_000_000_000n))),
      'OTLP GenAI spans rejected: span c1 (chat): endTimeUnixNano: more than 366 days after startTimeUnixNano; the line\'s other spans gave 3 events',
      ['agent.start R', 'agent.end R', 'agent.action c2'],
    ],
    [
      'every GenAI span with an ISO time',
      brokenLine([agentSpan, chat('c1', 'R', 1)], (spans) => {
        for (const span of spans) span.startTimeUnixNano = '2026-10-06T10:00:00Z';
      }),
      'OTLP GenAI spans rejected: span R (invoke_agent): startTimeUnixNano: not a time in nanoseconds since the epoch | span c1 (chat): startTimeUnixNano: not a time in nanoseconds since the epoch',
      [],
    ],
  ])('rejects the line naming the span and the field, and keeps its other spans: %s', (_case, line, reason, events) => {
    // Act
    const outcome = summaryOf(line);
    // Assess
    expect(outcome).toEqual({ rejected: reason, events });
  });

  it.each([
    [
      'attributes as a map',
      brokenLine([agentSpan, chat('c1', 'R', 1)], (spans) => (spans[1].attributes = { 'gen_ai.operation.name': 'chat' })),
      "OTLP GenAI spans rejected: resourceSpans[0].scopeSpans[0].spans[1].attributes: not a list; the line's other spans gave 2 events",
    ],
    [
      'a list value whose values are no list',
      brokenLine([agentSpan, chat('c1', 'R', 1)], (spans) => (spans[1].attributes as unknown[]).push({ key: 'x', value: { arrayValue: { values: {} } } })),
      "OTLP GenAI spans rejected: resourceSpans[0].scopeSpans[0].spans[1].attributes[2].value.arrayValue.values: not a list; the line's other spans gave 2 events",
    ],
    [
      'a list value nested 40 levels deep',
      brokenLine([agentSpan, chat('c1', 'R', 1)], (spans) => {
        let value: unknown = { stringValue: 'deep' };
        for (let i = 0; i < 40; i++) value = { arrayValue: { values: [value] } };
        (spans[1].attributes as unknown[]).push({ key: 'x', value });
      }),
      "OTLP GenAI spans rejected: resourceSpans[0].scopeSpans[0].spans[1].attributes[2].value: nested over 32 levels; the line's other spans gave 2 events",
    ],
    ['a numeric span id', brokenLine([agentSpan, chat('c1', 'R', 1)], (spans) => (spans[1].spanId = 123)), "OTLP GenAI spans rejected: resourceSpans[0].scopeSpans[0].spans[1] (chat): spanId: not a string; the line's other spans gave 2 events"],
    ['a span that is null', brokenLine([agentSpan, chat('c1', 'R', 1)], (spans) => (spans[1] = null as never)), "OTLP GenAI spans rejected: resourceSpans[0].scopeSpans[0].spans[1]: not an object; the line's other spans gave 2 events"],
  ])('rejects the part of a line not of the OTLP shape, naming its path, and reads the rest: %s', (_case, line, reason) => {
    // Act
    const outcome = parseLine(line, contextFor('traces.jsonl', 1));
    // Assess
    expect(outcome).toMatchObject({ kind: 'events', rejected: reason });
  });

  it.each([
    ['scopeSpans as an object', (raw: { resourceSpans: Record<string, unknown>[] }) => (raw.resourceSpans[0].scopeSpans = { spans: [] }), 'resourceSpans[0].scopeSpans: not a list'],
    ['a resourceSpans item that is null', (raw: { resourceSpans: Record<string, unknown>[] }) => (raw.resourceSpans[0] = null as never), 'resourceSpans[0]: not an object'],
    ['resource attributes as a map', (raw: { resourceSpans: Record<string, unknown>[] }) => (raw.resourceSpans[0].resource = { attributes: { 'service.name': 'bot' } }), 'resourceSpans[0].resource.attributes: not a list'],
  ])('rejects a line of no readable span, naming the path: %s', (_case, change, path) => {
    // Prepare
    const raw = JSON.parse(otlpLine([agentSpan, chat('c1', 'R', 1)]));
    change(raw);
    // Act
    const outcome = parseLine(JSON.stringify(raw), contextFor('traces.jsonl', 1));
    // Assess
    expect(outcome).toEqual({ kind: 'rejected', reason: `OTLP GenAI spans rejected: ${path}` });
  });

  it('reads a span whose name is no text as one without a name', () => {
    // Prepare: an agent span without gen_ai.agent.name, named by its service then.
    const line = brokenLine([{ ...agentSpan, attrs: {} }, chat('c1', 'R', 1)], (spans) => (spans[0].name = 7));
    // Act
    const outcome = parseLine(line, contextFor('traces.jsonl', 1));
    // Assess
    expect(outcome).toMatchObject({ kind: 'events', events: expect.arrayContaining([expect.objectContaining({ body: expect.objectContaining({ type: 'agent.start', agent: 'bot' }) })]) });
    expect(outcome).not.toHaveProperty('rejected');
  });

  it('redacts what the reason of a line rejected in part quotes', () => {
    // Prepare: a redaction pattern that the broken span's id matches.
    const line = brokenLine([agentSpan, chat('c1', 'R', 1), chat('c2', 'R', 2)], (spans) => delete spans[2].startTimeUnixNano);
    const redactor = redactorFor(validateConfig({ redact: { patterns: [{ name: 'chat-key', regex: '\\bc2\\b' }] } }));
    // Act
    const outcome = parseLine(line, contextFor('traces.jsonl', 1, { redactor }));
    // Assess
    expect(outcome).toMatchObject({ kind: 'events', rejected: expect.stringMatching(/^OTLP GenAI spans rejected: span \[REDACTED:chat-key\] \(chat\)/) });
  });
});

describe('span ids a redaction pattern matches', () => {
  it('still counts every span once: the redacted ids keep a fingerprint of each', async () => {
    // Prepare: a custom pattern for 16-hex session keys, which every span id matches; 5 LLM calls over a budget of 4.
    const config = validateConfig({ agents: { 'support-bot': { budget: { max_actions: 4 } } }, redact: { patterns: [{ name: 'session-key', regex: '\\b[0-9a-f]{16}\\b' }] } });
    const line = otlpLine([{ ...agentSpan, id: 'aaaaaaaaaaaaaaa9' }, ...[1, 2, 3, 4, 5].map((i) => chat(`c00000000000009${i}`, 'aaaaaaaaaaaaaaa9', i))]);
    // Act
    const events = eventsOf(parseFile('traces.jsonl', [line], { redactor: redactorFor(config) }));
    const { findings } = await processBatch(events, REDUCERS, new MemoryAuditStore(), { config, clock: { now: () => Date.parse('2026-10-06T11:00:00Z') } });
    // Assess
    expect(JSON.stringify(events)).not.toContain('c00000000000009');
    expect(findings.map((f) => [f.detector, f.evidence.actions])).toEqual([['budget-exceeded', 5]]);
  });
});

describe('token counts of older instrumentations', () => {
  it('reads gen_ai.usage.prompt_tokens and completion_tokens when input_tokens and output_tokens are absent', () => {
    // Prepare: one chat span with the deprecated names only, one with both (the new names win).
    const line = otlpLine([
      agentSpan,
      { ...chat('c1', 'R', 1), attrs: { 'gen_ai.request.model': 'gpt-4o' } },
      { ...chat('c2', 'R', 2), attrs: { 'gen_ai.request.model': 'gpt-4o' } },
    ]);
    const raw = JSON.parse(line);
    const [, c1, c2] = raw.resourceSpans[0].scopeSpans[0].spans;
    const int = (key: string, n: number) => ({ key, value: { intValue: String(n) } });
    c1.attributes.push(int('gen_ai.usage.prompt_tokens', 812), int('gen_ai.usage.completion_tokens', 40));
    c2.attributes.push(int('gen_ai.usage.prompt_tokens', 1), int('gen_ai.usage.completion_tokens', 2), int('gen_ai.usage.input_tokens', 900), int('gen_ai.usage.output_tokens', 55));
    // Act
    const events = bodies(eventsOf(parseFile('traces.jsonl', [JSON.stringify(raw)])));
    // Assess
    expect(events.filter((e) => e.type === 'agent.action').map((e) => [e.span_id, e.tokens_in, e.tokens_out])).toEqual([
      ['c1', 812, 40],
      ['c2', 900, 55],
    ]);
  });
});
