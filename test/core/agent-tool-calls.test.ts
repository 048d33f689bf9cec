import { describe, expect, it } from 'vitest';
import { MemoryFindingOutbox } from '../../lambdas/adapters/memory-finding-outbox.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { initialToolState, toolCallReducer } from '../../lambdas/core/agent-tool-calls.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import { findingKey } from '../../lambdas/core/findings.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import { ev } from '../helpers/events.ts';

const ctx: ReduceContext = { config: validateConfig({ tools: { refund: { args: { user_id: 'uuid' } } } }), clock: { now: () => Date.parse('2026-10-05T14:00:00Z') } };

function badCall(line: number, userId: string): AuditEvent {
  return ev('2026-10-05T13:00:00Z', { type: 'tool.call', tool: 'refund', agent: 'support-bot', run_id: 'r-1', args: { user_id: userId } }, line);
}

describe('tool call reducer', () => {
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
