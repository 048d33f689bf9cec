import type { Config } from '../config.ts';
import type { Clock, RunRecord, StateStore } from '../ports.ts';
import type { AuditEvent } from './events.ts';
import type { Finding, SubjectKind } from './findings.ts';

/** What a reducer needs besides the state and events: the config and the injected clock. */
export interface ReduceContext {
  readonly config: Config;
  readonly clock: Clock;
}

export interface Reduction<S> {
  readonly state: S;
  readonly findings: Finding[];
  readonly records: RunRecord[];
}

/**
 * The state machine of one kind of subject (jobs, agents, routes, …): it folds a batch's events
 * for one subject into that subject's state and reports findings. Pure: re-applying the same
 * events to the state that already holds them changes nothing (redelivery is safe).
 */
export interface SubjectReducer<S> {
  /** The kind of subject its findings are about. */
  readonly kind: SubjectKind;
  /**
   * Where its state lives: the state key is `<stateKind>#<subject>`. Defaults to `kind`; a second
   * reducer for the same kind of subject (e.g. audit records of jobs) needs its own.
   */
  readonly stateKind?: string;
  /** The subject name an event belongs to, or undefined when it is not this reducer's. */
  subjectOf(event: AuditEvent): string | undefined;
  initial(subject: string): S;
  apply(state: S, subject: string, events: readonly AuditEvent[], ctx: ReduceContext): Reduction<S>;
}

export interface BatchResult {
  readonly findings: Finding[];
  readonly subjects: number;
  /** Conditional writes that lost to a concurrent writer and were recomputed. */
  readonly conflicts: number;
}

export class CommitConflictError extends Error {
  constructor(readonly key: string, attempts: number) {
    super(`state of ${key} kept changing under ${attempts} attempts; the batch will be retried`);
    this.name = 'CommitConflictError';
  }
}

const MAX_ATTEMPTS = 12;

export function subjectKey(kind: SubjectKind, subject: string): string {
  return `${kind}#${subject}`;
}

/**
 * Contract §6: a batch is one unit. The state of every subject it touches is read once, the
 * reducers run in memory, and each subject's state is written back once, conditionally on the
 * version read, with its findings. A subject whose write lost to a concurrent invocation is
 * re-read and recomputed, so no update is lost.
 */
export async function processBatch(
  events: readonly AuditEvent[],
  reducers: readonly SubjectReducer<unknown>[],
  store: StateStore,
  ctx: ReduceContext,
): Promise<BatchResult> {
  const groups = new Map<string, { reducer: SubjectReducer<unknown>; subject: string; events: AuditEvent[] }>();
  const ordered = [...events].sort((a, b) => a.at - b.at);
  for (const event of ordered) {
    for (const reducer of reducers) {
      const subject = reducer.subjectOf(event);
      if (subject === undefined) continue;
      const key = `${reducer.stateKind ?? reducer.kind}#${subject}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { reducer, subject, events: [] }));
      group.events.push(event);
    }
  }
  if (groups.size === 0) return { findings: [], subjects: 0, conflicts: 0 };

  const loaded = await store.load([...groups.keys()]);
  const findings: Finding[] = [];
  let conflicts = 0;
  await Promise.all(
    [...groups].map(async ([key, group]) => {
      let current = loaded.get(key);
      for (let attempt = 1; ; attempt++) {
        const version = current?.version ?? 0;
        const state = current ? current.state : group.reducer.initial(group.subject);
        const result = group.reducer.apply(state, group.subject, group.events, ctx);
        // A reducer returns the very state it was given when the events changed nothing
        // (a redelivered batch): then there is nothing to write.
        if (result.state === state && result.findings.length === 0 && result.records.length === 0) return;
        const outcome = await store.commit({ key, expectedVersion: version, state: result.state, findings: result.findings, records: result.records });
        if (outcome === 'committed') {
          findings.push(...result.findings);
          return;
        }
        conflicts++;
        if (attempt >= MAX_ATTEMPTS) throw new CommitConflictError(key, attempt);
        await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** attempt) * Math.random()));
        current = (await store.load([key])).get(key);
      }
    }),
  );
  findings.sort((a, b) => a.ts.localeCompare(b.ts) || a.detector.localeCompare(b.detector));
  return { findings, subjects: groups.size, conflicts };
}
