import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_STATE_ITEM_BYTES, stateData, stateItemBytes } from '../../lambdas/adapters/dynamodb-store.ts';
import {
  AGENT_RUN_TTL_MS,
  agentRunKey,
  type AgentRunState,
  applyAgentRunEvents,
  firedMarks,
  initialAgentRun,
  markFiredUnended,
  markJudgedAlone,
  MAX_CHILDREN,
  MAX_FIRED_MARKS,
  MAX_PREVIOUS_BYTES,
  MAX_ROLLED_BYTES,
  MAX_SEEN_ACTIONS,
  OTHER_ACTIONS,
} from '../../lambdas/core/agent-run.ts';
import { MAX_TREE_RUNS } from '../../lambdas/core/agent-tree.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import { appendRing, fingerprint } from '../../lambdas/core/token-ring.ts';
import { T0, act, acts, aggregate, ctx, end, mark, start } from './agent-fixtures.ts';

/** Bytes the DynamoDB store writes for a state's data (its own codec: JSON, deflated when larger). */
function storedBytes(state: unknown): number {
  const data = stateData(state);
  return 'dataz' in data ? data.dataz.length : Buffer.byteLength(data.data, 'utf8');
}

/** `n` characters of text that does not deflate (hex of chained digests), the same on every run. */
function noise(n: number, seed: string): string {
  let out = '';
  for (let h = seed; out.length < n; ) out += h = createHash('sha256').update(h).digest('hex');
  return out.slice(0, n);
}

/** A run id of 400 bytes (the most an identifier may take): an ASCII letter and 133 CJK characters, the same on every run. */
function id400(seed: string): string {
  const digest = createHash('sha512').update(seed).digest();
  let out = 'x';
  for (let i = 0; i < 133; i++) out += String.fromCharCode(0x4e00 + ((digest[i % 64] * 97 + i * 131 + digest[(i * 7) % 64]) % 20_000));
  return out;
}

describe('per-run aggregates (agentrun#<run_id>)', () => {
  it('counts its own actions by kind and tick, with cost and tokens, and what its start and end said', () => {
    // Prepare
    const events = [
      start(0, 'researcher', 'r-1.1', { parent_run_id: 'r-1', budget: { max_actions: 10 } }),
      act(1, 'researcher', 'r-1.1', { action: 'tool_call', name: 'web_search', tick: 0, cost_usd: 0.02 }),
      act(2, 'researcher', 'r-1.1', { action: 'tool_call', name: 'web_search', tick: 0, cost_usd: 0.02 }),
      act(3, 'researcher', 'r-1.1', { tick: 1, tokens_in: 1200, tokens_out: 300 }),
      act(4, 'researcher', 'r-1.1'),
      end(5, 'researcher', 'r-1.1', { actions_reported: 3, cost_reported_usd: 0.04 }),
    ];
    // Act
    const run = applyAgentRunEvents(initialAgentRun('r-1.1'), 'r-1.1', events, ctx);
    // Assess
    expect(run).toMatchObject({
      run_id: 'r-1.1',
      agent: 'researcher',
      parent_run_id: 'r-1',
      started_at: T0,
      ended_at: T0 + 5000,
      status: 'ok',
      budget: { max_actions: 10, scope: 'task' },
      actions_reported: 3,
      cost_reported_usd: 0.04,
      actions: 4,
      cost_usd: 0.04,
      costed: 2,
      tokens: 1500,
      tokened: 1,
      by_action: { 'tool_call:web_search': [2, 0.04], llm_call: [2, 0] },
      by_tick: { '0': [2, 0.04], '1': [1, 0] },
      unticked: 1,
      children: [],
      first_at: T0,
      last_at: T0 + 5000,
      facts: 6,
    });
    expect(run.seen).toHaveLength(4 * 8);
    expect(run.expires_at).toBe(Date.parse('2026-10-06T00:00:00Z') + AGENT_RUN_TTL_MS);
  });

  it('counts actions named like Object.prototype keys as plain keys, leaving every prototype alone', () => {
    // Prepare
    const events = [
      act(1, 'a', 'r-p', { action: '__proto__' as never, cost_usd: 0.01 }),
      act(2, 'a', 'r-p', { action: '__proto__' as never, cost_usd: 0.01 }),
      act(3, 'a', 'r-p', { action: 'constructor' as never }),
      act(4, 'a', 'r-p', { action: 'tool_call', name: 'toString' }),
    ];
    // Act
    const run = applyAgentRunEvents(initialAgentRun('r-p'), 'r-p', events, ctx);
    // Assess
    expect(Object.getPrototypeOf(run.by_action)).toBe(Object.prototype);
    expect(Object.hasOwn(run.by_action, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(run.by_action, '__proto__')?.value).toEqual([2, 0.02]);
    expect(run.by_action.constructor).toEqual([1, 0]);
    expect(run.by_action['tool_call:toString']).toEqual([1, 0]);
    expect(JSON.parse(JSON.stringify(run.by_action))).toEqual(JSON.parse('{"__proto__":[2,0.02],"constructor":[1,0],"tool_call:toString":[1,0]}'));
  });

  it('returns the very same state when a batch is delivered again, and counts nothing twice', () => {
    const events = [start(0, 'a', 'r-2'), ...acts(5, 1, 'a', 'r-2'), end(6, 'a', 'r-2')];
    const once = applyAgentRunEvents(initialAgentRun('r-2'), 'r-2', events, ctx);
    const twice = applyAgentRunEvents(once, 'r-2', events, ctx);
    const partly = applyAgentRunEvents(once, 'r-2', events.slice(2, 4), ctx);
    expect(twice).toBe(once);
    expect(partly).toBe(once);
    expect(once.actions).toBe(5);
  });

  it('counts an action read again under another file name or at another line once, and two identical actions of one instant twice', () => {
    // Prepare: five actions read from agent.log; the same lines read again from its rotated
    // agent.log.1, and from a window that starts two lines later; one action made twice in its second.
    const events = [start(0, 'a', 'r-rot'), ...acts(5, 1, 'a', 'r-rot')];
    const moved = (e: AuditEvent, origin: string, shift: number) => ({ ...e, source: { origin, line: (e.source.line ?? 0) + shift } });
    const twice = act(9, 'a', 'r-rot');
    // Act
    const once = applyAgentRunEvents(initialAgentRun('r-rot'), 'r-rot', events, ctx);
    const rotated = applyAgentRunEvents(once, 'r-rot', events.map((e) => moved(e, 'agent.log.1', 0)), ctx);
    const window = applyAgentRunEvents(once, 'r-rot', events.map((e) => moved(e, 'agent.log', -2)), ctx);
    const repeated = applyAgentRunEvents(once, 'r-rot', [twice, { ...twice, source: { ...twice.source, line: 99, repeat: 1 } }], ctx);
    const repeatedAgain = applyAgentRunEvents(repeated, 'r-rot', [moved(twice, 'agent.log.1', 5), { ...twice, source: { origin: 'agent.log.1', line: 7, repeat: 1 } }], ctx);
    // Assess
    expect(once.actions).toBe(5);
    expect(rotated).toBe(once);
    expect(window).toBe(once);
    expect(repeated.actions).toBe(7);
    expect(repeatedAgain).toBe(repeated);
  });

  it('counts an action a version before 2026-12-07 stored by its file and line once, then knows it read again rotated (upgrade)', () => {
    // Prepare: three actions of agents.jsonl, stored by such a version: its ring holds each line's
    // identity as it was then (file, line number, content), not today's.
    const events = acts(3, 1, 'a', 'r-upgrade');
    const legacy = events.map((e) => fingerprint(`${e.source.origin}||${e.source.line}|${JSON.stringify(e.body)}`));
    const stored = { ...initialAgentRun('r-upgrade'), agent: 'a', actions: 3, seen: appendRing('', legacy, MAX_SEEN_ACTIONS) };
    // Act: the same file scanned again by this version, then its rotated copy.
    const again = applyAgentRunEvents(stored, 'r-upgrade', events, ctx);
    const rotated = applyAgentRunEvents(again, 'r-upgrade', events.map((e) => ({ ...e, source: { ...e.source, origin: 'agents.jsonl.1' } })), ctx);
    // Assess
    expect(again.actions).toBe(3);
    expect(rotated).toBe(again);
  });

  it('keeps the fields a stored aggregate holds that this version does not know, and leaves unset fields out', () => {
    // Prepare: an aggregate as another version may have written it
    const stored = { ...initialAgentRun('r-6'), agent: 'a', future_field: { kept: true } };
    // Act
    const run = applyAgentRunEvents(stored, 'r-6', [act(1, 'a', 'r-6')], ctx);
    // Assess
    expect(run).not.toBe(stored);
    expect(run.actions).toBe(1);
    expect((run as unknown as Record<string, unknown>).future_field).toEqual({ kept: true });
    expect(Object.entries(run).filter(([, v]) => v === undefined)).toEqual([]);
    expect(Object.keys(run)).not.toContain('ended_at');
  });

  it('counts identical actions of one instant (the second line of its text numbered by its source), and one action_id once from whatever line it comes', () => {
    // Prepare: two llm_calls with the same content in one second on two lines; one agent-kit action seen in two log groups.
    const second = act(1, 'a', 'r-3', {}, 902);
    const twins = [act(1, 'a', 'r-3', {}, 901), { ...second, source: { ...second.source, repeat: 1 } }];
    const kit = act(2, 'a', 'r-3', { action_id: 'r-3#1' }, 903);
    const kitElsewhere = { ...kit, source: { origin: '/aws/lambda/other', line: 1, eventId: '3700000000000000000000' } };
    // Act
    const run = applyAgentRunEvents(initialAgentRun('r-3'), 'r-3', [...twins, kit, kitElsewhere], ctx);
    // Assess
    expect(run.actions).toBe(3);
  });

  it('learns its children from their starts, before its own start has arrived', () => {
    // Act: the children's starts come first; the parent's aggregate exists only through them.
    const runs = aggregate([start(5, 'researcher', 'r-4.1', { parent_run_id: 'r-4' }), start(6, 'writer', 'r-4.2', { parent_run_id: 'r-4' })]);
    const parentBefore = runs.get('r-4');
    aggregate([start(0, 'support-bot', 'r-4'), start(5, 'researcher', 'r-4.1', { parent_run_id: 'r-4' })], runs);
    // Assess
    expect(parentBefore).toMatchObject({ children: ['r-4.1', 'r-4.2'], facts: 2 });
    expect(parentBefore?.started_at).toBeUndefined();
    expect(runs.get('r-4')).toMatchObject({ agent: 'support-bot', children: ['r-4.1', 'r-4.2'], started_at: T0, facts: 3 });
    expect(runs.get('r-4.1')).toMatchObject({ parent_run_id: 'r-4', facts: 1 });
  });

  it('keeps its memory bounded: action kinds fold into …other, fingerprints keep the latest 5000', () => {
    const kinds = acts(45, 0, 'a', 'r-5', (i) => ({ action: 'tool_call', name: `tool_${i}` }));
    const run = applyAgentRunEvents(initialAgentRun('r-5'), 'r-5', kinds, ctx);
    expect(Object.keys(run.by_action)).toHaveLength(41);
    expect(run.by_action[OTHER_ACTIONS]).toEqual([5, 0]);

    const many = applyAgentRunEvents(run, 'r-5', acts(MAX_SEEN_ACTIONS, 100, 'a', 'r-5'), ctx);
    expect(many.actions).toBe(45 + MAX_SEEN_ACTIONS);
    expect(many.seen).toHaveLength(MAX_SEEN_ACTIONS * 8);
  });

  it('keeps action names and a status of any length shortened, so a run of long names stays a small item', () => {
    // Prepare: 40 actions named by 16,000 characters each (a whole prompt; 16 KB lines, far under the
    // 256 KiB limit), then the first name again, and an end whose status is 200,000 characters
    const names = Array.from({ length: 40 }, (_, i) => `search ${noise(16_000, `n${i}`)}`);
    const first = acts(40, 0, 'researcher', 'r-long', (i) => ({ action: 'tool_call', name: names[i], cost_usd: 0.01 }));
    const status = `error ${noise(200_000, 's')}`;
    const later = [act(100, 'researcher', 'r-long', { action: 'tool_call', name: names[0], cost_usd: 0.01 }), end(101, 'researcher', 'r-long', { status })];

    // Act
    const once = applyAgentRunEvents(initialAgentRun('r-long'), 'r-long', first, ctx);
    const run = applyAgentRunEvents(once, 'r-long', later, ctx);

    // Assess: each key and the status within an identifier's bound, its start kept; one name, one key
    const keys = Object.keys(run.by_action);
    expect(keys).toHaveLength(40);
    for (const key of keys) {
      expect(key.length).toBeLessThanOrEqual(256);
      expect(key.startsWith('tool_call:search ')).toBe(true);
    }
    expect(Object.values(run.by_action).map(([count]) => count).sort()).toEqual([...Array(39).fill(1), 2]);
    expect(run.actions).toBe(41);
    expect(run.status!.length).toBeLessThanOrEqual(256);
    expect(run.status!.startsWith('error ')).toBe(true);
    expect(storedBytes(run)).toBeLessThan(24 * 1024);
  });

  it('notes what its tree gave when judged without its parent once, as one string of marks, and keeps a run that never started bare', () => {
    // Prepare
    const run = applyAgentRunEvents(initialAgentRun('r-6'), 'r-6', [start(0, 'researcher', 'r-6', { parent_run_id: 'r-0' })], ctx);
    // Act
    const noted = markJudgedAlone(run, [mark('budget-exceeded', 'r-6'), mark('budget-undercount', 'r-6.1')]);
    const again = markJudgedAlone(noted, [mark('budget-exceeded', 'r-6')]);
    const more = markJudgedAlone(noted, [mark('budget-undercount', 'r-6'), mark('budget-exceeded', 'r-6')]);
    const bare = initialAgentRun('r-7');
    // Assess
    expect(noted.judged_alone).toBe(mark('budget-exceeded', 'r-6') + mark('budget-undercount', 'r-6.1'));
    expect(again).toBe(noted);
    expect(firedMarks(more.judged_alone)).toEqual([mark('budget-exceeded', 'r-6'), mark('budget-undercount', 'r-6.1'), mark('budget-undercount', 'r-6')]);
    expect(markJudgedAlone(bare, [mark('budget-exceeded', 'r-7')])).toBe(bare);
  });

  it('keeps every finding the largest tree can give in a note, the newest past that', () => {
    // Prepare: a budget-exceeded and a budget-undercount of each of MAX_TREE_RUNS runs, a cost-outlier of the root, noted over 5 sweeps
    const run = applyAgentRunEvents(initialAgentRun('r-8'), 'r-8', [start(0, 'planner', 'r-8')], ctx);
    const ids = Array.from({ length: MAX_TREE_RUNS }, (_, i) => `r-8.${i}`);
    const all = [...ids.map((id) => mark('budget-exceeded', id)), ...ids.map((id) => mark('budget-undercount', id)), mark('cost-outlier', 'r-8')];
    // Act
    let noted = run;
    for (let from = 0; from < all.length; from += 1000) noted = markFiredUnended(noted, all.slice(from, from + 1000));
    const past = markFiredUnended(noted, [mark('budget-exceeded', 'r-9')]);
    // Assess
    expect(all).toHaveLength(2 * MAX_TREE_RUNS + 1);
    expect(firedMarks(noted.fired_unended)).toEqual(all);
    expect(noted.fired_unended).toHaveLength(all.length * 8);
    expect(firedMarks(past.fired_unended)).toEqual([...all.slice(1 + all.length - MAX_FIRED_MARKS), mark('budget-exceeded', 'r-9')]);
  });

  it('reads notes stored before as arrays (of marks, or of detector#run_id as such), and writes them as one string', () => {
    // Prepare: a note of marks in an array, and an older one of the findings' ids
    const run = applyAgentRunEvents(initialAgentRun('r-9'), 'r-9', [start(0, 'planner', 'r-9')], ctx);
    const ofMarks: AgentRunState = { ...run, fired_unended: [mark('budget-exceeded', 'r-9')] };
    const ofIds: AgentRunState = { ...run, judged_alone: ['budget-exceeded#r-9', 'budget-undercount#r-9.1'] };
    // Act
    const known = markJudgedAlone(ofIds, [mark('budget-undercount', 'r-9.1')]);
    const added = markJudgedAlone(ofIds, [mark('budget-undercount', 'r-9')]);
    const addedToMarks = markFiredUnended(ofMarks, [mark('cost-outlier', 'r-9')]);
    // Assess
    expect(firedMarks(ofIds.judged_alone)).toEqual([mark('budget-exceeded', 'r-9'), mark('budget-undercount', 'r-9.1')]);
    expect(known).toBe(ofIds);
    expect(added.judged_alone).toBe(mark('budget-exceeded', 'r-9') + mark('budget-undercount', 'r-9.1') + mark('budget-undercount', 'r-9'));
    expect(addedToMarks.fired_unended).toBe(mark('budget-exceeded', 'r-9') + mark('cost-outlier', 'r-9'));
  });

  it('stays under the store item limit at its largest: 500 children of 400-byte ids, its seen ring, both notes full', () => {
    // Prepare: a root of a 256-character name and a 400-byte id under a 400-byte parent, with 600
    // children of 400-byte ids, 5,200 actions of 45 names of 2,000 characters over 600 ticks, a
    // long status, and more marks than a note keeps in both notes; ids of CJK characters that
    // deflate little, the rest digests.
    const runId = id400('root');
    const agent = noise(256, 'agent');
    const lines = [start(0, agent, runId, { parent_run_id: id400('parent'), budget: { max_actions: 1, max_cost_usd: 1 } })];
    for (let i = 0; i < MAX_CHILDREN + 100; i++) lines.push(start(1, 'worker', id400(`child ${i}`), { parent_run_id: runId }));
    lines.push(...acts(MAX_SEEN_ACTIONS + 200, 2, agent, runId, (i) => ({ action: 'tool_call', name: noise(2000, `name ${i % 45}`), tick: i % 600, cost_usd: 0.01, tokens_in: 1 })));
    lines.push(end(9000, agent, runId, { status: noise(5000, 'status'), actions_reported: 1, cost_reported_usd: 0.5 }));
    const marks = (seed: string) => Array.from({ length: MAX_FIRED_MARKS + 50 }, (_, i) => fingerprint(`${seed} ${i}`));
    // Act
    const aggregated = applyAgentRunEvents(initialAgentRun(runId), runId, lines, ctx);
    const run = markFiredUnended(markJudgedAlone(aggregated, marks('alone')), marks('unended'));
    const bytes = stateItemBytes({ key: agentRunKey(runId), expectedVersion: 1, state: run, expiresAt: run.expires_at });
    // Assess: as large as it gets, and under the limit stored by the store's codec, and even as plain JSON
    expect([run.children.length, run.seen.length, Object.keys(run.by_tick).length, Object.keys(run.by_action).length]).toEqual([MAX_CHILDREN, MAX_SEEN_ACTIONS * 8, 500, 41]);
    expect([firedMarks(run.judged_alone).length, firedMarks(run.fired_unended).length]).toEqual([MAX_FIRED_MARKS, MAX_FIRED_MARKS]);
    expect(Buffer.byteLength(run.children[0])).toBe(400);
    expect(bytes).toBeLessThan(MAX_STATE_ITEM_BYTES);
    expect(Buffer.byteLength(JSON.stringify(run)) + 1024).toBeLessThan(MAX_STATE_ITEM_BYTES);
  });

  it('stays under the store item limit at its largest when its id is started again: the earlier run kept within MAX_PREVIOUS_BYTES', () => {
    // Prepare: the largest run (as above), both notes full, then its id started again and the new run as large
    const runId = id400('root');
    const agent = noise(256, 'agent');
    const largest = (from: number, seed: string) => [
      start(from, agent, runId, { parent_run_id: id400('parent'), budget: { max_actions: 1, max_cost_usd: 1 } }),
      ...Array.from({ length: MAX_CHILDREN + 100 }, (_, i) => start(from + 1, 'worker', id400(`${seed} child ${i}`), { parent_run_id: runId })),
      ...acts(MAX_SEEN_ACTIONS + 200, from + 2, agent, runId, (i) => ({ action: 'tool_call', name: noise(2000, `${seed} name ${i % 45}`), tick: i % 600, cost_usd: 0.01, tokens_in: 1 })),
      end(from + 9000, agent, runId, { status: noise(5000, `${seed} status`), actions_reported: 1, cost_reported_usd: 0.5 }),
    ];
    const marks = (seed: string) => Array.from({ length: MAX_FIRED_MARKS + 50 }, (_, i) => fingerprint(`${seed} ${i}`));
    const noted = (run: AgentRunState, seed: string) => markFiredUnended(markJudgedAlone(run, marks(`${seed} alone`)), marks(`${seed} unended`));
    // Act
    const first = noted(applyAgentRunEvents(initialAgentRun(runId), runId, largest(0, 'first'), ctx), 'first');
    const run = noted(applyAgentRunEvents(first, runId, largest(10_000, 'second'), ctx), 'second');
    const bytes = stateItemBytes({ key: agentRunKey(runId), expectedVersion: 1, state: run, expiresAt: run.expires_at });
    // Assess
    expect([run.previous?.length, run.children.length, run.actions]).toEqual([1, MAX_CHILDREN, MAX_SEEN_ACTIONS + 200]);
    expect(Buffer.byteLength(JSON.stringify(run.previous))).toBeLessThanOrEqual(MAX_PREVIOUS_BYTES);
    expect(bytes).toBeLessThan(MAX_STATE_ITEM_BYTES);
    expect(Buffer.byteLength(JSON.stringify(run)) + 1024).toBeLessThan(MAX_STATE_ITEM_BYTES);
  });

  it('stays under the store item limit at its largest when one batch starts its id again many times: the earlier runs kept within MAX_ROLLED_BYTES', () => {
    // Prepare: 20 runs of 12 children of 400-byte ids and a 200-character status, then the largest run (as above), all in one batch, both notes full
    const runId = id400('root');
    const agent = noise(256, 'agent');
    const mid = (from: number, seed: string) => [
      start(from, agent, runId, { parent_run_id: id400('parent') }),
      ...Array.from({ length: 12 }, (_, i) => start(from + 1, 'worker', id400(`${seed} child ${i}`), { parent_run_id: runId })),
      end(from + 5, agent, runId, { status: noise(200, seed) }),
    ];
    const lines = [
      ...Array.from({ length: 20 }, (_, k) => mid(k * 10, `m${k}`)).flat(),
      start(10_000, agent, runId, { parent_run_id: id400('parent'), budget: { max_actions: 1, max_cost_usd: 1 } }),
      ...Array.from({ length: MAX_CHILDREN + 100 }, (_, i) => start(10_001, 'worker', id400(`child ${i}`), { parent_run_id: runId })),
      ...acts(MAX_SEEN_ACTIONS + 200, 10_002, agent, runId, (i) => ({ action: 'tool_call', name: noise(2000, `name ${i % 45}`), tick: i % 600, cost_usd: 0.01, tokens_in: 1 })),
      end(19_000, agent, runId, { status: noise(5000, 'status'), actions_reported: 1, cost_reported_usd: 0.5 }),
    ];
    const marks = (seed: string) => Array.from({ length: MAX_FIRED_MARKS + 50 }, (_, i) => fingerprint(`${seed} ${i}`));
    // Act
    const run = markFiredUnended(markJudgedAlone(applyAgentRunEvents(initialAgentRun(runId), runId, lines, ctx), marks('alone')), marks('unended'));
    const bytes = stateItemBytes({ key: agentRunKey(runId), expectedVersion: 1, state: run, expiresAt: run.expires_at });
    // Assess: the earlier runs fill the rolled bound nearly whole, and the record is under the limit even as plain JSON
    const previousBytes = Buffer.byteLength(JSON.stringify(run.previous));
    expect(previousBytes).toBeGreaterThan(MAX_ROLLED_BYTES - 6_000);
    expect(previousBytes).toBeLessThanOrEqual(MAX_ROLLED_BYTES);
    expect(bytes).toBeLessThan(MAX_STATE_ITEM_BYTES);
    expect(Buffer.byteLength(JSON.stringify(run)) + 1024).toBeLessThan(MAX_STATE_ITEM_BYTES);
  });
});
