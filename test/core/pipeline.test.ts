import { describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { agentRunNoteReducer } from '../../lambdas/core/agent-reducer.ts';
import type { AuditEvent, EventBody } from '../../lambdas/core/events.ts';
import { isoTime } from '../../lambdas/core/findings.ts';
import { processBatch, type ReduceContext, type SubjectReducer, sweepSubjects } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import type { CommitResult, SubjectCommit } from '../../lambdas/ports.ts';

const T0 = Date.parse('2026-10-05T02:17:01Z');
const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };

const TYPES = [
  'run.start', 'run.end', 'run.failed', 'output.discarded', 'unit.starting', 'agent.start', 'agent.action', 'agent.end', 'tool.call',
  'attempt', 'guard.bypass', 'audit.write', 'agent.tree', 'agent.judged-alone', 'agent.fired-unended', 'cron.output', 'cron.end', 'text', 'unknown.type',
];
const FORMATS = ['json', 'cron', 'systemd', 'journal', 'lambda', 'otel-genai', 'agent-tree'];

/** A line of the given type and format whose body names every subject any reducer reads (without a job when `job` is null). */
function line(type: string, format: string, at = T0, job: string | null = 'report'): AuditEvent {
  const body = { type, ...(job !== null ? { job } : {}), run_id: 'r-1', parent_run_id: 'r-0', host: 'web1', pid: 101, tool: 'search', route: 'GET /x', guard: 'g', agent: 'planner', description: 'Backup', reason: 'x', text: 'x', exit_code_unknown: true };
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

describe('pipeline: events a subject\'s stored state resolves (`resolve`)', () => {
  it('gives them to their reducers in the batch order, before the batch is reduced, reading the states the batch did not name', async () => {
    // Prepare: "alias" learns (a state per host) that a name stands for a job; "note" keeps the lines of each job in the order read
    type Body = { type: string; name?: string; job?: string; text: string };
    const ev = (at: number, body: Body): AuditEvent => ({ at: T0 + at, body: body as unknown as EventBody, source: { origin: 'test', line: at }, format: 'json' });
    const alias: SubjectReducer<unknown> = {
      kind: 'job',
      stateKind: 'alias',
      bodyTypes: ['alias.learn', 'alias.use'],
      subjectOf: () => 'web1',
      initial: () => ({}),
      resolve: (state, _host, events) => {
        const known = state as Record<string, string>;
        return events.map((e) => {
          const b = e.body as unknown as Body;
          return b.type === 'alias.use' && known[b.name!] ? { ...e, body: { type: 'note', job: known[b.name!], text: b.text } as unknown as EventBody } : e;
        });
      },
      apply: (state, _host, events) => {
        const known = { ...(state as Record<string, string>) };
        for (const e of events) if ((e.body as unknown as Body).type === 'alias.learn') known[(e.body as unknown as Body).name!] = (e.body as unknown as Body).job!;
        return { state: known, findings: [], records: [] };
      },
    };
    const note: SubjectReducer<unknown> = {
      kind: 'job',
      stateKind: 'note',
      bodyTypes: ['note'],
      subjectOf: (e) => (e.body as unknown as Body).job,
      initial: () => [],
      apply: (state, _job, events) => ({ state: [...(state as string[]), ...events.map((e) => (e.body as unknown as Body).text)], findings: [], records: [] }),
    };
    const store = new MemoryAuditStore();
    await processBatch(
      [ev(0, { type: 'alias.learn', name: 'a', job: 'job-a', text: '' }), ev(0, { type: 'alias.learn', name: 'c', job: 'job-c', text: '' }), ev(1, { type: 'note', job: 'job-a', text: 'a1' }), ev(1, { type: 'note', job: 'job-c', text: 'c1' })],
      [alias, note],
      store,
      ctx,
    );
    // Act: job-a's resolved line comes before its own next line; job-c is named by the resolved line only
    const result = await processBatch(
      [ev(3, { type: 'note', job: 'job-a', text: 'a3' }), ev(2, { type: 'alias.use', name: 'a', text: 'a2' }), ev(4, { type: 'alias.use', name: 'c', text: 'c4' }), ev(5, { type: 'alias.use', name: 'z', text: 'z5' })],
      [alias, note],
      store,
      ctx,
    );
    // Assess
    const states = store.snapshot().states;
    expect(states.get('note#job-a')?.state).toEqual(['a1', 'a2', 'a3']);
    expect(states.get('note#job-c')?.state).toEqual(['c1', 'c4']);
    expect([...states.keys()].filter((k) => k.startsWith('note#'))).toEqual(['note#job-a', 'note#job-c']);
    expect(result.conflicts).toBe(0);
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

/** A store whose commits take a few milliseconds, counting how many are under way at once and which keys were written. */
class SlowCommitStore extends MemoryAuditStore {
  inFlight = 0;
  maxInFlight = 0;
  readonly committed: string[] = [];
  override async commit(change: SubjectCommit): Promise<CommitResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // Varied delays, so that commits end in another order than they started.
    await new Promise((r) => setTimeout(r, 1 + (this.inFlight % 4)));
    try {
      this.committed.push(change.key);
      return await super.commit(change);
    } finally {
      this.inFlight--;
    }
  }
}

describe('the sweep of many subjects', () => {
  const SECOND = Date.parse('2026-10-05T12:00:00Z');
  const FIRST = SECOND - 3_600_000;
  /** A job-like reducer that reports each subject missed at each tick (findings all of one time: their order is the subjects' order), configured: 10 jobs never seen. */
  const missing: SubjectReducer<{ ticked: number }> = {
    kind: 'job',
    stateKind: 'missing',
    subjectOf: () => undefined,
    initial: () => ({ ticked: 0 }),
    apply: (state) => ({ state, findings: [], records: [] }),
    tick: (state, subject, c) => ({
      state: { ticked: c.clock.now() },
      findings: [{ detector: 'missed-run', subject, subject_kind: 'job', ts: isoTime(FIRST), severity: 'high', message: `${subject} did not run`, evidence: { ticked_from: state.ticked } }],
      records: [],
    }),
    configured: () => Array.from({ length: 10 }, (_, i) => `new-${i}`),
  };
  const stored = Array.from({ length: 100 }, (_, i) => `job-${String(i).padStart(3, '0')}`);

  async function fleet(): Promise<SlowCommitStore> {
    const store = new SlowCommitStore();
    for (const subject of stored) await store.commit({ key: `missing#${subject}`, expectedVersion: 0, state: { ticked: 0 }, findings: [], records: [] });
    store.maxInFlight = 0;
    store.committed.length = 0;
    return store;
  }

  it('commits a bounded number of subjects at a time, with the findings in the order one by one gives them', async () => {
    // Prepare
    const store = await fleet();

    // Act
    const result = await sweepSubjects([missing as SubjectReducer<unknown>], store, { ...ctx, clock: { now: () => SECOND } }, { configured: true });

    // Assess: the stored subjects in their order, then the configured ones never seen.
    expect(store.maxInFlight).toBeGreaterThan(1);
    expect(store.maxInFlight).toBeLessThanOrEqual(16);
    const expected = [...stored, ...Array.from({ length: 10 }, (_, i) => `new-${i}`)];
    expect(result.findings.map((f) => [f.subject, f.message, f.evidence])).toEqual(
      expected.map((s) => [s, `${s} did not run`, { ticked_from: 0 }]),
    );
    expect(result).toMatchObject({ subjects: 110, conflicts: 0, left: 0 });
    expect(new Set(store.committed)).toEqual(new Set(expected.map((s) => `missing#${s}`)));
  });

  it('starts no further subject once the invocation is out of time, and counts those left for the next sweep', async () => {
    // Prepare: out of time once 40 subjects have been started (asked once before the kind is listed, then before each subject).
    const store = await fleet();
    let asked = 0;
    const outOfTime = () => asked++ > 40;

    // Act
    const result = await sweepSubjects([missing as SubjectReducer<unknown>], store, { ...ctx, clock: { now: () => SECOND } }, { configured: true, outOfTime });

    // Assess: the first 40 subjects judged and written (counted as the subjects swept), the other 70 untouched.
    expect(result.findings.map((f) => f.subject)).toEqual(stored.slice(0, 40));
    expect(result).toMatchObject({ subjects: 40, left: 70, kindsLeft: 0 });
    expect(store.committed.sort()).toEqual(stored.slice(0, 40).map((s) => `missing#${s}`));
  });

  it('starts its commits where startAt says, so a sweep out of time leaves other subjects than the last, findings still in the subjects’ order', async () => {
    // Prepare: two sweeps out of time after 40 subjects, the second starting at the 60th
    const [first, second] = [await fleet(), await fleet()];
    const limit = () => {
      let asked = 0;
      return () => asked++ > 40;
    };
    const sweepFrom = (store: SlowCommitStore, startAt: number) => sweepSubjects([missing as SubjectReducer<unknown>], store, { ...ctx, clock: { now: () => SECOND } }, { configured: true, outOfTime: limit(), startAt });

    // Act
    const [a, b] = [await sweepFrom(first, 0), await sweepFrom(second, 60 + 110 * 3)];

    // Assess: 0–39, then 60–99 (startAt is taken modulo the 110 subjects), in the subjects' order
    expect(a.findings.map((f) => f.subject)).toEqual(stored.slice(0, 40));
    expect(b.findings.map((f) => f.subject)).toEqual(stored.slice(60, 100));
    expect(b.left).toBe(70);
    expect(second.committed.sort()).toEqual(stored.slice(60, 100).map((s) => `missing#${s}`));
  });

  it('gives the same findings in the same order whatever startAt, when nothing runs out of time', async () => {
    // Prepare
    const [plain, turned] = [await fleet(), await fleet()];

    // Act
    const a = await sweepSubjects([missing as SubjectReducer<unknown>], plain, { ...ctx, clock: { now: () => SECOND } }, { configured: true });
    const b = await sweepSubjects([missing as SubjectReducer<unknown>], turned, { ...ctx, clock: { now: () => SECOND } }, { configured: true, startAt: 2_654_435_761 });

    // Assess
    expect(b.findings).toEqual(a.findings);
    expect(b).toMatchObject({ subjects: 110, left: 0 });
  });

  /** The `missing` reducer under another state kind, as a second kind of subjects. */
  const missingToo = { ...missing, stateKind: 'missing-too' } as SubjectReducer<unknown>;

  /** A fleet whose store counts the kinds it was asked to list. */
  async function listedFleet(): Promise<SlowCommitStore & { listed: string[] }> {
    const store = Object.assign(await fleet(), { listed: [] as string[] });
    const list = store.subjects.bind(store);
    store.subjects = async (kind: string) => {
      store.listed.push(kind);
      return list(kind);
    };
    return store;
  }

  it('lists no further kind once out of time, and counts the kinds left apart from the subjects left', async () => {
    // Prepare: time runs out while the first kind's subjects are ticked.
    const store = await listedFleet();
    let asked = 0;
    const outOfTime = () => asked++ > 40;

    // Act
    const result = await sweepSubjects([missing as SubjectReducer<unknown>, missingToo], store, { ...ctx, clock: { now: () => SECOND } }, { configured: true, outOfTime });

    // Assess: the second kind is never listed; its subjects are in no count, the kind is.
    expect(store.listed).toEqual(['missing']);
    expect(result).toMatchObject({ subjects: 40, left: 70, kindsLeft: 1 });
  });

  it('counts a kind left even when every subject listed was judged before the time ran out', async () => {
    // Prepare: out of time right after the first kind's 110 subjects.
    const store = await listedFleet();
    let asked = 0;
    const outOfTime = () => asked++ > 110;

    // Act
    const result = await sweepSubjects([missing as SubjectReducer<unknown>, missingToo], store, { ...ctx, clock: { now: () => SECOND } }, { configured: true, outOfTime });

    // Assess: nothing left of what was listed, but the sweep was not complete.
    expect(result).toMatchObject({ subjects: 110, left: 0, kindsLeft: 1 });
  });

  it('starts at another kind with startAt, so a sweep out of time does not leave the same kinds for good', async () => {
    // Prepare: out of time once 50 subjects have been started (asked before each of the two kinds and each subject).
    const store = await listedFleet();
    let asked = 0;
    const outOfTime = () => asked++ >= 52;

    // Act
    const result = await sweepSubjects([missing as SubjectReducer<unknown>, missingToo], store, { ...ctx, clock: { now: () => SECOND } }, { configured: true, outOfTime, startAt: 1 });

    // Assess: the second kind first (its 10 configured subjects, nothing stored under it), then 40 of the first's 110.
    expect(store.listed).toEqual(['missing-too', 'missing']);
    expect(result.findings.filter((f) => f.subject.startsWith('new-'))).toHaveLength(10);
    expect(result).toMatchObject({ subjects: 50, left: 70, kindsLeft: 0 });
  });
});

describe('runs older than a job remembers, backfilled after newer history', () => {
  it('are taken as counted, and the batch says how many of each job', async () => {
    // Prepare: a job's runs every minute, a day read first, then the day before it
    const store = new MemoryAuditStore();
    const day = 86_400_000;
    const runsOf = (from: number) =>
      Array.from({ length: 1440 }, (_, i): AuditEvent[] => {
        const at = from + i * 60_000;
        const body = { job: 'sync', run_id: `r-${at}`, host: 'web1' };
        return [
          { at, body: { type: 'run.start', ...body } as unknown as EventBody, source: { origin: 'test', line: 1 }, format: 'json' },
          { at: at + 1000, body: { type: 'run.end', ...body, exit_code: 0 } as unknown as EventBody, source: { origin: 'test', line: 2 }, format: 'json' },
        ];
      }).flat();
    const later = { ...ctx, clock: { now: () => T0 + 2 * day } };
    const newer = await processBatch(runsOf(T0 + day), REDUCERS, store, later);

    // Act
    const older = await processBatch(runsOf(T0), REDUCERS, store, later);

    // Assess: nothing skipped the first time; every older run the second
    expect(newer.olderThanHistory).toBeUndefined();
    expect(older.olderThanHistory).toEqual([{ subject_kind: 'job', subject: 'sync', runs: 1440 }]);
  });

  it.each([
    ['an end that names its run', (at: number) => ({ type: 'run.end', job: 'sync', run_id: `r-${at}`, host: 'web1', exit_code: 0 })],
    ['an end that names none', (at: number) => ({ type: 'run.end', job: 'sync', host: 'web1', exit_code: 0 })],
  ])('are counted too when each run logs only %s', async (_, endOf) => {
    // Prepare: a job that logs only its runs' ends, every minute, a day read first, then the day before it
    const store = new MemoryAuditStore();
    const day = 86_400_000;
    const runsOf = (from: number) =>
      Array.from({ length: 1440 }, (_, i): AuditEvent => {
        const at = from + i * 60_000;
        return { at, body: endOf(at) as unknown as EventBody, source: { origin: 'test', line: i + 1 }, format: 'json' };
      });
    const later = { ...ctx, clock: { now: () => T0 + 2 * day } };
    await processBatch(runsOf(T0 + day), REDUCERS, store, later);

    // Act
    const older = await processBatch(runsOf(T0), REDUCERS, store, later);

    // Assess
    expect(older.olderThanHistory).toEqual([{ subject_kind: 'job', subject: 'sync', runs: 1440 }]);
  });
});
