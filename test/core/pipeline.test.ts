import { describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { agentRunNoteReducer } from '../../lambdas/core/agent-reducer.ts';
import type { AuditEvent, EventBody } from '../../lambdas/core/events.ts';
import { processBatch, type ReduceContext, type SubjectReducer, sweepSubjects } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';

const T0 = Date.parse('2026-10-05T02:17:01Z');
const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };

const TYPES = [
  'run.start', 'run.end', 'run.failed', 'output.discarded', 'unit.starting', 'agent.start', 'agent.action', 'agent.end', 'tool.call',
  'attempt', 'guard.bypass', 'audit.write', 'agent.tree', 'agent.judged-alone', 'agent.fired-unended', 'text', 'unknown.type',
];
const FORMATS = ['json', 'cron', 'systemd', 'journal', 'lambda', 'otel-genai', 'agent-tree'];

/** A line of the given type and format whose body names every subject any reducer reads (without a job when `job` is null). */
function line(type: string, format: string, at = T0, job: string | null = 'report'): AuditEvent {
  const body = { type, ...(job !== null ? { job } : {}), run_id: 'r-1', parent_run_id: 'r-0', host: 'web1', pid: 101, tool: 'search', route: 'GET /x', guard: 'g', agent: 'planner', description: 'Backup', reason: 'x' };
  return { at, body: body as unknown as EventBody, source: { origin: 'test', line: 1 }, format };
}

/** Every line of the type: in each format, with a job and without. */
function lines(type: string): AuditEvent[] {
  return FORMATS.flatMap((format) => [line(type, format), line(type, format, T0, null)]);
}

function claims(reducer: SubjectReducer<unknown>, event: AuditEvent): readonly string[] {
  if (reducer.subjectsOf) return reducer.subjectsOf(event);
  const subject = reducer.subjectOf(event);
  return subject === undefined ? [] : [subject];
}

describe('pipeline: which reducers are asked about an event', () => {
  it('every reducer declares the body types it claims, and claims no event of another type in any format', () => {
    // Prepare
    const reducers = [...REDUCERS, agentRunNoteReducer as SubjectReducer<unknown>];
    // Act
    const undeclared = reducers.flatMap((r) => TYPES.flatMap((type) => lines(type).filter((e) => !r.bodyTypes?.includes(type) && claims(r, e).length > 0).map((e) => `${r.stateKind ?? r.kind} ${type} ${e.format}`)));
    const unclaimed = reducers.flatMap((r) => (r.bodyTypes ?? []).filter((type) => lines(type).every((e) => claims(r, e).length === 0)).map((type) => `${r.stateKind ?? r.kind} ${type}`));
    // Assess
    expect(reducers.every((r) => r.bodyTypes !== undefined)).toBe(true);
    expect(undeclared).toEqual([]);
    expect(unclaimed).toEqual([]);
  });

  it('asks a reducer that declares no body types about every event, in the batch order, alongside those that declare theirs', async () => {
    // Prepare: a reducer claiming every line by its type, and the job reducer.
    const asked: string[] = [];
    const everything: SubjectReducer<unknown> = {
      kind: 'job',
      stateKind: 'everything',
      subjectOf(event) {
        asked.push(String(event.body.type));
        return String(event.body.type);
      },
      initial: () => ({ seen: [] as string[] }),
      apply: (state, subject, events) => ({ state: { seen: [...(state as { seen: string[] }).seen, ...events.map(() => subject)] }, findings: [], records: [] }),
    };
    const jobs = REDUCERS.find((r) => r.kind === 'job' && r.stateKind === undefined)!;
    const events = [line('text', 'json', T0 + 2), line('run.start', 'json', T0), line('unknown.type', 'json', T0 + 1)];
    const store = new MemoryAuditStore();
    // Act
    const result = await processBatch(events, [jobs, everything], store, ctx);
    // Assess
    expect(asked).toEqual(['run.start', 'unknown.type', 'text']);
    expect(result.subjects).toBe(4);
    expect([...store.snapshot().states.keys()]).toEqual(['job#report', 'everything#run.start', 'everything#unknown.type', 'everything#text']);
  });
});

describe('the sweep of a reducer whose states expire', () => {
  it('writes each ticked state with its expiry, as a batch does (the write replaces the stored item, its TTL included)', async () => {
    // Prepare: a reducer whose state expires a day after its last tick, one subject stored.
    const DAY = 86_400_000;
    const expiring: SubjectReducer<{ ticked: number }> = {
      kind: 'agent',
      stateKind: 'expiring',
      subjectOf: () => undefined,
      initial: () => ({ ticked: 0 }),
      apply: (state) => ({ state, findings: [], records: [] }),
      tick: (state, _subject, c) => ({ state: { ticked: c.clock.now() }, findings: [], records: [] }),
      expiresAt: (state) => state.ticked + DAY,
    };
    const store = new MemoryAuditStore();
    await store.commit({ key: 'expiring#r-1', expectedVersion: 0, state: { ticked: 0 }, findings: [], records: [], expiresAt: DAY });
    const written = vi.spyOn(store, 'commit');
    const now = Date.parse('2026-10-05T12:00:00Z');

    // Act
    await sweepSubjects([expiring as SubjectReducer<unknown>], store, { ...ctx, clock: { now: () => now } });

    // Assess
    expect(written.mock.calls.map(([change]) => [change.key, change.expiresAt])).toEqual([['expiring#r-1', now + DAY]]);
  });
});
