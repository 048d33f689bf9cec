import { describe, expect, it } from 'vitest';
import { MemoryFindingOutbox } from '../../lambdas/adapters/memory-finding-outbox.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { initialToolState, toolCallReducer } from '../../lambdas/core/agent-tool-calls.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import { findingKey } from '../../lambdas/core/findings.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import { ev } from '../helpers/events.ts';
import { eventsOf, parseFile } from '../parse/helpers.ts';

const ctx: ReduceContext = { config: validateConfig({ tools: { refund: { args: { user_id: 'uuid' } } } }), clock: { now: () => Date.parse('2026-10-05T14:00:00Z') } };

function badCall(line: number, userId: string): AuditEvent {
  return ev('2026-10-05T13:00:00Z', { type: 'tool.call', tool: 'refund', agent: 'support-bot', run_id: 'r-1', args: { user_id: userId } }, line);
}

describe('tool call reducer', () => {
  it('judges an argument named __proto__ read from its line as any other: a placeholder under it is invalid, a secret under it redacted', () => {
    // Prepare: the same placeholder under `x` and under `__proto__`, and a password under `__proto__`
    const lines = [
      '{"type":"tool.call","ts":"2026-10-05T13:00:00Z","tool":"refund","args":{"x":{"user_id":"{{user_id}}"}},"run_id":"b0"}',
      '{"type":"tool.call","ts":"2026-10-05T13:00:01Z","tool":"refund","args":{"__proto__":{"user_id":"{{user_id}}"}},"run_id":"b1"}',
      '{"type":"tool.call","ts":"2026-10-05T13:00:02Z","tool":"refund","args":{"__proto__":{"password":"Hunter2-very-secret"}},"run_id":"b2"}',
    ];

    // Act
    const events = eventsOf(parseFile('calls.log', lines));
    const judged = toolCallReducer.apply(initialToolState('refund'), 'refund', events.slice(0, 2), ctx);

    // Assess: both placeholders found, each at its own path; the password gone, its key kept as an own key
    expect(events).toHaveLength(3);
    expect(judged.findings.map((f) => [f.detector, f.run_id])).toEqual([['tool-arg-invalid', 'b0'], ['tool-arg-invalid', 'b1']]);
    expect(judged.findings[1].message).toContain('__proto__.user_id');
    const args = (events[2].body as { args: Record<string, unknown> }).args;
    expect(Object.hasOwn(args, '__proto__')).toBe(true);
    expect(JSON.stringify(args)).not.toContain('Hunter2');
    expect(JSON.stringify(args)).toMatch(/^\{"__proto__":\{"password":"\[REDACTED/);
  });

  it('keeps two bad calls of one run in the same second as two findings with their own keys, in one delivery or two', () => {
    // Prepare: two bad calls in one second, read in one batch, then in two batches.
    const calls = [badCall(1, 'the customer'), badCall(2, 'his user id')];
    const together = new MemoryFindingOutbox();
    const apart = new MemoryFindingOutbox();
    // Act
    const one = toolCallReducer.apply(initialToolState('refund'), 'refund', calls, ctx);
    for (const f of one.findings) together.add(f);
    const first = toolCallReducer.apply(initialToolState('refund'), 'refund', [calls[0]], ctx);
    const second = toolCallReducer.apply(first.state, 'refund', [calls[1]], ctx);
    for (const f of [...first.findings, ...second.findings]) apart.add(f);
    // Assess: each call's arguments are stored, none lost to a shared key; the keys do not depend on the batching, the first being the key such a finding always had.
    expect(together.all().map((f) => f.evidence.errors)).toHaveLength(2);
    expect(apart.all().map((f) => (f.evidence.errors as { got: string }[])[0].got)).toEqual(['"the customer"', '"his user id"']);
    expect([...first.findings, ...second.findings].map(findingKey)).toEqual(one.findings.map(findingKey));
    expect(findingKey(one.findings[0])).toBe('2026-10-05T13:00:00Z#tool-arg-invalid#refund#r-1');
  });

  it('gives a bad call read late, in a second no other bad call has, the key it has in any delivery', () => {
    // Prepare: two bad calls of one run two seconds apart, from two log streams: the later one may be read first.
    const at = (iso: string, line: number, userId: string) => ev(iso, { type: 'tool.call', tool: 'refund', agent: 'support-bot', run_id: 'r-1', args: { user_id: userId } }, line);
    const later = at('2026-10-05T13:00:05Z', 1, 'the customer');
    const earlier = at('2026-10-05T13:00:03Z', 2, 'his user id');
    const keysOf = (deliveries: AuditEvent[][]) => {
      let state = initialToolState('refund');
      return deliveries
        .flatMap((events) => {
          const reduced = toolCallReducer.apply(state, 'refund', events, ctx);
          state = reduced.state;
          return reduced.findings.map(findingKey);
        })
        .sort();
    };

    // Act
    const inOrder = keysOf([[earlier], [later]]);
    const lateFirst = keysOf([[later], [earlier]]);
    const together = keysOf([[later, earlier]]);

    // Assess: no finding shares its second, so each keeps the plain key, whatever the order of reading.
    const plain = ['2026-10-05T13:00:03Z#tool-arg-invalid#refund#r-1', '2026-10-05T13:00:05Z#tool-arg-invalid#refund#r-1'];
    expect(inOrder).toEqual(plain);
    expect(lateFirst).toEqual(plain);
    expect(together).toEqual(plain);
  });

  it('keeps a key apart for a late bad call at or before the last one judged by a state stored without the seconds it judged', () => {
    // Prepare: a state stored before the judged seconds were kept: only its latest bad call's time.
    const stored = { ...initialToolState('refund'), calls: 1, invalid: 1, last_invalid_at: Date.parse('2026-10-05T13:00:05Z') };
    const late = ev('2026-10-05T13:00:03Z', { type: 'tool.call', tool: 'refund', run_id: 'r-1', args: { user_id: 'the customer' } }, 3);
    // Act
    const { findings } = toolCallReducer.apply(stored, 'refund', [late], ctx);
    // Assess: its second may hold a finding already, as far as the state knows.
    expect(findings).toHaveLength(1);
    expect(findings[0].instance).toMatch(/^\S+$/);
  });

  it('keeps the seconds of the latest 1,200 bad calls, and a key apart for a late one before them', () => {
    // Prepare: 1,300 bad calls two seconds apart (even seconds from 13:00:00).
    const from = Date.parse('2026-10-05T13:00:00Z');
    const calls = Array.from({ length: 1300 }, (_, i) => ev(from + i * 2000, { type: 'tool.call', tool: 'refund', run_id: `r-${i}`, args: { user_id: 'the customer' } }, 100 + i));
    const { state } = toolCallReducer.apply(initialToolState('refund'), 'refund', calls, ctx);
    const late = (second: number) => ev(from + second * 1000, { type: 'tool.call', tool: 'refund', run_id: 'r-late', args: { user_id: 'his user id' } }, 5000 + second);
    // Act: late bad calls in an odd second among those let go, and among those kept.
    const letGo = toolCallReducer.apply(state, 'refund', [late(51)], ctx);
    const kept = toolCallReducer.apply(state, 'refund', [late(301)], ctx);
    // Assess: the state is bounded; a second it let go may hold a finding, one it kept holds none.
    expect(state.invalid_seconds).toHaveLength(1200);
    expect(letGo.findings[0].instance).toBeDefined();
    expect(kept.findings[0].instance).toBeUndefined();
  });

  it('judges a redelivered call once', () => {
    const calls = [badCall(1, 'the customer')];
    const once = toolCallReducer.apply(initialToolState('refund'), 'refund', calls, ctx);
    // Act
    const again = toolCallReducer.apply(once.state, 'refund', calls, ctx);
    // Assess
    expect(once.findings).toHaveLength(1);
    expect(again.findings).toEqual([]);
  });

  it('judges calls without a run_id that share a call_id (other agents, other days) each on its own, and a redelivered one once', () => {
    // Prepare: call_1 three times with no run_id (contract §1a: optional): a good call, then two bad calls of other agents and days.
    const call = (at: string, agent: string, userId: string, line: number) => ev(at, { type: 'tool.call', tool: 'refund', agent, call_id: 'call_1', args: { user_id: userId } }, line);
    const calls = [
      call('2026-10-05T09:00:00Z', 'support-bot', '3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f', 1),
      call('2026-10-05T11:30:00Z', 'billing-bot', 'the customer', 2),
      call('2026-10-06T08:00:00Z', 'support-bot', '{{user_id}}', 3),
    ];
    // Act
    const once = toolCallReducer.apply(initialToolState('refund'), 'refund', calls, ctx);
    const again = toolCallReducer.apply(once.state, 'refund', calls, ctx);
    // Assess: both bad calls are findings; reading the same lines again adds none.
    expect(once.findings.map((f) => (f.evidence.errors as { got: string }[])[0].got)).toEqual(['"the customer"', '"{{user_id}}"']);
    expect(once.state.calls).toBe(3);
    expect(again.findings).toEqual([]);
  });

  it('keeps a call with a run_id identified by run and call_id: the same call read from another line is judged once', () => {
    // Prepare: one call of run r-1, read from two places (a redelivery under another source).
    const calls = [
      ev('2026-10-05T13:00:00Z', { type: 'tool.call', tool: 'refund', run_id: 'r-1', call_id: 'call_1', args: { user_id: 'the customer' } }, 1),
      ev('2026-10-05T13:00:00Z', { type: 'tool.call', tool: 'refund', run_id: 'r-1', call_id: 'call_1', args: { user_id: 'the customer' } }, 9),
    ];
    // Act
    const result = toolCallReducer.apply(initialToolState('refund'), 'refund', calls, ctx);
    // Assess
    expect(result.findings).toHaveLength(1);
    expect(result.state.calls).toBe(1);
  });

  it('judges an OpenTelemetry tool span once when it comes again with another run_id (its spans grouped into other lines)', () => {
    // Prepare: tool span T1 (call_1, a placeholder user_id) read whole, under its agent R, then from a line without R, under its step span.
    const span = (runId: string, line: number) =>
      ev('2026-10-05T13:00:00Z', { type: 'tool.call', tool: 'refund', agent: 'support-bot', run_id: runId, span_id: 'T1', call_id: 'call_1', args: { user_id: '{{user_id}}' } }, line);
    // Act
    const whole = toolCallReducer.apply(initialToolState('refund'), 'refund', [span('R', 1)], ctx);
    const split = toolCallReducer.apply(whole.state, 'refund', [span('step1', 7)], ctx);
    // Assess
    expect(whole.findings).toHaveLength(1);
    expect(split.findings).toEqual([]);
    expect(split.state.calls).toBe(1);
  });
});
