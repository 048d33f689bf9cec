import { type Config, nameAsLogged } from '../config.ts';
import type { Clock, GuardException, RunRecord, StateStore, SubjectCatalog, Versioned } from '../ports.ts';
import type { AuditEvent } from './events.ts';
import { boundEvidence, type Finding, type FindingSource, findingSourceOfLines, isoTime, type SubjectKind, withSource } from './findings.ts';
import { settleLimited } from './map-limited.ts';
import { CONFLICT, CommitConflictError, type CommitRetry, retryOnConflict } from './commit-retry.ts';
import { redactorFor } from './redact.ts';

/** What a reducer needs besides the state and events: the config and the injected clock. */
export interface ReduceContext {
  readonly config: Config;
  readonly clock: Clock;
  /** The guard-bypass exception registry, loaded once per batch by the caller; without it, the config's `exceptions` as they stand. */
  readonly exceptions?: ReadonlyMap<string, GuardException>;
  /**
   * Set by the last sweep of a reader that has read all its history (backfill, scan): the sweep
   * then judges the older history read after a job was judged (`JobState.absenceOlder`). Any
   * other sweep leaves it for that one: the deployed sweep may run while a backfill is still
   * reading the span (its unread runs would look missed), and what is found there is history,
   * which backfill stores already alerted, never a live alert.
   */
  readonly historyRead?: boolean;
}

export interface Reduction<S> {
  readonly state: S;
  readonly findings: Finding[];
  readonly records: RunRecord[];
  /**
   * Events for other reducers that this subject's state alone can tell (which cron job a discard
   * line belongs to: the host's state knows its CMD lines across batches). They are processed
   * after the batch's states are committed, with the follow-ups' events, by the reducers without
   * a follow-up. A redelivered batch hands them off again although its state does not change, so
   * that what a crash lost is re-derived: their reducers must recognise them.
   */
  readonly handOff?: readonly AuditEvent[];
  /**
   * The batch's runs taken as counted for being as old as the runs its state forgot (a job's older
   * than its latest 1,000: older history backfilled after newer), not remembered: left unjudged; an
   * agent run id's earlier runs the batch started again past those its aggregate keeps to judge
   * (`MAX_ROLLED_RUNS`, `MAX_ROLLED_BYTES`).
   */
  readonly olderThanHistory?: number;
  /**
   * The batch's lines a parser read that the subject's state tells are none of its own: a Lambda exit line an app printed
   * unprefixed for another function's invocation. Counted unrecognised (`LineTally.unrecognisedAfterAll`), in the
   * source each came from too: one entry per line, its `LineSource.origin` (a file, a log group).
   */
  readonly otherFunctionLines?: readonly string[];
  /**
   * Run outcomes for the alert policy that are not written as run records: a run of a job whose runs
   * log no end (cron CMD lines), healthy as its job's next run on its host starts with no failure of it read.
   */
  readonly outcomes?: readonly RunRecord[];
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
  /**
   * The body types of the events it may claim (`subjectOf` and `subjectsOf` answer nothing for
   * any other): the pipeline asks it only about events of these types. Absent: about every event.
   */
  readonly bodyTypes?: readonly string[];
  initial(subject: string): S;
  apply(state: S, subject: string, events: readonly AuditEvent[], ctx: ReduceContext): Reduction<S>;
  /**
   * Fills in what single lines cannot know before events are grouped by subject (e.g. which
   * cron job's output was discarded: the job started just before on the same host). `config`: the
   * one the lines were read with (its `redact` rules shortened the names derived from free text).
   */
  enrich?(events: readonly AuditEvent[], config: Config): readonly AuditEvent[];
  /**
   * What a subject's stored state tells of the batch's events before any is reduced, which
   * `enrich` (the batch alone) cannot: the host's state knows which unit an older systemd's
   * `Starting D` starts, and the job reducer must read that start before the run's end when both
   * are in the batch (a start handed off, `Reduction.handOff`, comes after the batch). Given its
   * subject's events (the batch's order) and its state as first read, returns them with those it
   * resolves replaced (as many, in the same order), or the very array when none. The replacements
   * are grouped with the batch for every reducer (states the batch did not need yet are read then);
   * a state re-read after a conflict resolves nothing again: the other subjects' states may already
   * be committed with the events as first resolved, so they stay so, and the batch ends as if it
   * had been committed before the writer it lost to (that writer's lines are then read as come
   * after it, as when they are delivered late). `config` as for `enrich`.
   */
  resolve?(state: S, subject: string, events: readonly AuditEvent[], config: Config): readonly AuditEvent[];
  /**
   * Whether its reductions write run records (jobs, agent trees): a subject whose state already held
   * every event of a batch (a redelivery) is then reported in `BatchResult.replayed`.
   */
  readonly recordsRuns?: boolean;
  /** Judges what did not happen by `ctx.clock.now()` (missed and unfinished runs): the sweep. */
  tick?(state: S, subject: string, ctx: ReduceContext): Reduction<S>;
  /** Where the subject's lines were last seen, as its state keeps it: the `source` of the findings its `tick` makes. */
  sourceOf?(state: S): FindingSource | undefined;
  /**
   * The subjects the config names whose absence is judged before any line of theirs is stored (a
   * job with a schedule: one never seen is missed too). The deployed sweep (`sweepSubjects` with
   * `configured`) ticks each one nothing is stored for from `initial`; `tick` writes what it must
   * remember of it (when it was first watched), once.
   */
  configured?(config: Config): readonly string[];
  /**
   * Every subject an event belongs to, when it may be more than one (a sub-agent's start belongs
   * to its own run and to its parent's). Used instead of `subjectOf` when present.
   */
  subjectsOf?(event: AuditEvent): readonly string[];
  /**
   * Whether the batch holds the subject's beginning (an agent run's start), so that its state is
   * presumably not stored yet: a store whose reads cost (DynamoDB) leaves it unread, and its write
   * is conditional on its absence, as after a read that found nothing. Presumed wrongly (a
   * redelivered batch, lines out of order), the write conflicts and the state is read then.
   */
  beginsIn?(subject: string, events: readonly AuditEvent[]): boolean;
  /** When the stored state may be deleted (epoch ms, DynamoDB TTL): for per-run state that must not pile up. */
  expiresAt?(state: S): number | undefined;
  /**
   * A second stage for facts that span subjects (an agent tree spans the states of its runs):
   * called after the batch's states are committed, with every subject of this reducer the batch
   * touched (changed or not, so a redelivered batch re-derives what a crash lost). It reads what
   * it needs and returns events for other reducers, processed like a batch of their own (one
   * read, one conditional write per subject). Those events must not be claimed by a reducer
   * with a `followUp`. (A reducer that derives events from its own state alone, without reading
   * others, returns them as `Reduction.handOff` instead: no second read of its state.)
   */
  followUp?(subjects: readonly string[], store: StateStore, ctx: ReduceContext): Promise<readonly AuditEvent[]>;
}

export interface BatchResult {
  readonly findings: Finding[];
  readonly subjects: number;
  /** Conditional writes that lost to a concurrent writer and were recomputed. */
  readonly conflicts: number;
  /** The run records written with the committed states, and the outcomes not written (`Reduction.outcomes`): the alert policy's healthy and failing runs. */
  readonly records?: RunRecord[];
  /**
   * Subjects of a reducer that records runs whose state already held every event of the batch (a
   * redelivery, after an invocation that failed once the state was written): the runs of that span
   * may have been recorded without reaching the alert policy, which reads them back if its state lags.
   */
  readonly replayed?: ReplayedSpan[];
  /** The subjects with runs taken as counted for being older than their history (`Reduction.olderThanHistory`), and how many. */
  readonly olderThanHistory?: OlderRuns[];
  /** The lines its subjects' states told were none of theirs (`Reduction.otherFunctionLines`): the origin of each. */
  readonly otherFunctionLines?: readonly string[];
}

/** A subject's runs of a batch taken as counted for being older than its history. */
export interface OlderRuns {
  readonly subject_kind: SubjectKind;
  readonly subject: string;
  readonly runs: number;
}

/** A subject's span of a batch (its first and last events' times, ISO-8601) whose runs were recorded before. */
export interface ReplayedSpan {
  readonly subject_kind: SubjectKind;
  readonly subject: string;
  readonly from: string;
  readonly to: string;
}

/** How many subjects' state commits one invocation keeps under way at once (the sweep, alert states). */
export const PARALLEL_COMMITS = 16;

export interface SweepOptions {
  /** Also tick the subjects the config names that nothing is stored for (the deployed sweep). */
  readonly configured?: boolean;
  /**
   * Whether the invocation must stop starting subjects (its time is nearly up): the subjects not
   * started are left as they are, counted in `left`, for a later sweep (see `startAt`); the kinds
   * not listed yet are not listed at all (a Query or Scan each, time there is no more of), counted
   * in `kindsLeft`.
   */
  readonly outOfTime?: () => boolean;
  /**
   * Where the commits start (any integer, taken modulo the length; 0 by default): in the list of
   * kinds, and in each kind's list of subjects. The deployed sweep turns it with the clock, so that
   * sweeps that keep running out of time leave other kinds and subjects each time, not the same
   * ones for good. Findings are joined in the subjects' order whatever it is.
   */
  readonly startAt?: number;
  /**
   * How a commit that lost to a concurrent writer is retried (the invocation's time left); default:
   * `UNTIMED_BUDGET_MS`. With `outOfTime`, a subject whose write kept losing until the retry's time
   * was up is left, as one not started (ingest is writing it; a later sweep ticks it).
   */
  readonly retry?: CommitRetry;
}

/** What a sweep did: `subjects` counts the subjects ticked (judged), not those left. */
export interface SweepResult extends BatchResult {
  /** Subjects listed but not ticked because the invocation was out of time (`outOfTime`, or a write losing until then). */
  readonly left: number;
  /**
   * Kinds (reducers that tick) not even listed because the invocation was out of time: their
   * subjects are not in `left`, which is then a lower bound of what was not judged.
   */
  readonly kindsLeft: number;
}

/**
 * `Promise.all` that lets every promise settle before it rethrows the first failure: an invocation
 * that fails has no write of its own still under way (Lambda would freeze it mid-retry and let it
 * land during a later invocation, racing the redelivery of the same batch).
 */
export async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** A subject's key in the state and run stores, and in the report's indexes: `job#nightly-backup` (a catalog's kind is a plain string). */
export function subjectKey(kind: string, subject: string): string {
  return `${kind}#${subject}`;
}

/**
 * Computes a subject's new state from the stored one and writes it conditionally on the version
 * read; on conflict re-reads that subject's state alone and recomputes, with backoff, while the
 * invocation has time (`retryOnConflict`). A reduction that returns the very state it was given,
 * with no findings or records, writes nothing (a redelivered batch, a sweep with nothing due).
 */
function commitWithRetry(
  store: StateStore,
  key: string,
  first: Versioned<unknown> | undefined,
  initial: () => unknown,
  reduce: (state: unknown) => Reduction<unknown>,
  expiresAt: ((state: unknown) => number | undefined) | undefined,
  retry: CommitRetry,
): Promise<{ findings: Finding[]; conflicts: number; records: RunRecord[]; handOff?: readonly AuditEvent[]; olderThanHistory?: number; otherFunctionLines?: readonly string[]; unchanged?: true }> {
  let current = first;
  return retryOnConflict(key, retry, async (attempt) => {
    if (attempt > 1) current = (await store.load([key])).get(key);
    const version = current?.version ?? 0;
    const state = current ? current.state : initial();
    let result = reduce(state);
    // No finding's evidence may outgrow a stored item, whatever its detector collected (most subjects of a batch have no finding).
    if (result.findings.length > 0) {
      const found = result.findings;
      const bounded = found.map(boundEvidence);
      if (bounded.some((f, i) => f !== found[i])) result = { ...result, findings: bounded };
    }
    if (result.state === state && result.findings.length === 0 && result.records.length === 0) return { findings: [], conflicts: attempt - 1, records: [], handOff: result.handOff, olderThanHistory: result.olderThanHistory, otherFunctionLines: result.otherFunctionLines, unchanged: true };
    const expires = expiresAt?.(result.state);
    const outcome = await store.commit({
      key,
      expectedVersion: version,
      state: result.state,
      findings: result.findings,
      records: result.records,
      ...(expires !== undefined ? { expiresAt: expires } : {}),
    });
    // The alert policy's outcomes not written as records follow the records written.
    const records = result.outcomes?.length ? [...result.records, ...result.outcomes] : result.records;
    if (outcome === 'committed') return { findings: result.findings, conflicts: attempt - 1, records, handOff: result.handOff, olderThanHistory: result.olderThanHistory, otherFunctionLines: result.otherFunctionLines };
    return CONFLICT;
  });
}

/**
 * The sweep: every stored subject of each reducer that judges absence is ticked at
 * `ctx.clock.now()`, and what changed is written back like a batch (conditionally, with findings).
 *
 * A subject is judged under its name as lines now give it (`nameAsLogged`): a redact pattern
 * added to the config since its state was stored may hide part of the name, and the sweep must
 * not send out what the user chose to redact (nor miss the job's settings, keyed by that name).
 * Once lines have arrived under the new name, the state stored under the old one is left alone:
 * the job goes on under the new name, and the old state would only report it missed.
 *
 * With `configured` (the deployed sweep), the subjects the config names that nothing is stored for
 * (`SubjectReducer.configured`: a scheduled job never seen) are ticked too, from their initial
 * state. A reader of one span of logs (`scan`, `backfill`) leaves them out: a job absent from its
 * files is not known to be absent from the fleet.
 */
export async function sweepSubjects(
  reducers: readonly SubjectReducer<unknown>[],
  store: StateStore & SubjectCatalog,
  ctx: ReduceContext,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const findings: Finding[] = [];
  const records: RunRecord[] = [];
  let conflicts = 0;
  let subjects = 0;
  let left = 0;
  let kindsLeft = 0;
  const ticking = reducers.flatMap((reducer) => (reducer.tick ? [{ reducer, tick: reducer.tick.bind(reducer) }] : []));
  // A finding of the sweep names where its subject's lines were last seen, as its state keeps it.
  const sourced = (reducer: SubjectReducer<unknown>, reduction: Reduction<unknown>) =>
    reducer.sourceOf === undefined ? reduction : withFindingSource(reduction, () => reducer.sourceOf!(reduction.state));
  // Kinds are started in turn from startAt too: a sweep out of time leaves other kinds each time,
  // not those after the largest kind for good.
  for (const [i, { reducer, tick }] of rotated(ticking, options.startAt).entries()) {
    // Out of time, the kinds still to go are not listed (their subjects are not counted in `left`).
    if (options.outOfTime?.()) {
      kindsLeft = ticking.length - i;
      break;
    }
    // A tick's write replaces the stored item: with the state's expiry, as a batch's write has it.
    const expiresAt = reducer.expiresAt?.bind(reducer);
    const stateKind = reducer.stateKind ?? reducer.kind;
    const stored = await store.subjects(stateKind);
    const keys = new Set(stored.map((s) => s.key));
    // The stored subjects' names as lines now give them (a configured one stored under its old name is not unseen).
    const names = new Set<string>();
    // Each subject to tick, with the state it is ticked from (undefined: stored by nothing yet).
    const due: { key: string; subject: string; first: Versioned<unknown> | undefined }[] = [];
    for (const { key, state, version } of stored) {
      const subject = nameAsLogged(key.slice(stateKind.length + 1), ctx.config);
      names.add(subject);
      const renamed = subjectKey(stateKind, subject);
      if (renamed !== key && keys.has(renamed)) continue;
      due.push({ key, subject, first: { state, version } });
    }
    if (options.configured && reducer.configured) {
      for (const subject of reducer.configured(ctx.config)) {
        const key = subjectKey(stateKind, subject);
        if (keys.has(key) || names.has(subject)) continue;
        // Stored by nothing yet: written on the condition that it still is not (a line of it may
        // arrive meanwhile, and is then read and judged as stored).
        due.push({ key, subject, first: undefined });
      }
    }
    // Subjects are independent: their commits go out side by side, a bounded number at once (a
    // fleet of thousands committed one by one outlasts the Lambda). Findings are gathered per
    // subject and joined in the subjects' order, as one by one.
    const startAt = options.startAt ?? 0;
    const settled = await settleLimited(rotated(due, startAt), PARALLEL_COMMITS, async ({ key, subject, first }) => {
      if (options.outOfTime?.()) return undefined;
      return commitWithRetry(store, key, first, () => reducer.initial(subject), (s) => sourced(reducer, tick(s, subject, ctx)), expiresAt, options.retry ?? {}).catch((error: unknown) => {
        if (options.outOfTime && error instanceof CommitConflictError) return undefined;
        throw error;
      });
    });
    // Turned back, the results are in the subjects' order.
    const results = rotated(settled, -startAt);
    for (const result of results) {
      if (!result) {
        left++;
        continue;
      }
      subjects++;
      findings.push(...result.findings);
      // A tick writes no run record; its outcomes for the alert policy (a cron run judged healthy) follow.
      if (result.records.length > 0) records.push(...result.records);
      conflicts += result.conflicts;
    }
  }
  findings.sort((a, b) => a.ts.localeCompare(b.ts) || a.detector.localeCompare(b.detector));
  return { findings, subjects, conflicts, left, kindsLeft, ...(records.length > 0 ? { records } : {}) };
}

/**
 * The reduction with each of its findings naming where its subject's lines came from (`Finding.source`),
 * unless its detector named it: `source` is asked only when there are findings (most subjects of a
 * batch have none), so the hot path pays nothing per line for it.
 */
function withFindingSource<S>(reduction: Reduction<S>, source: () => FindingSource | undefined): Reduction<S> {
  const findings = withSource(reduction.findings, source);
  return findings === reduction.findings ? reduction : { ...reduction, findings };
}

/** `xs` started from index `startAt` (modulo its length, so a negative one turns it back) and wrapped round. */
function rotated<T>(xs: readonly T[], startAt = 0): T[] {
  const start = xs.length === 0 ? 0 : ((startAt % xs.length) + xs.length) % xs.length;
  return [...xs.slice(start), ...xs.slice(0, start)];
}

interface Group {
  readonly reducer: SubjectReducer<unknown>;
  readonly subject: string;
  readonly events: AuditEvent[];
}

/**
 * The batch's events by state key, each key's events in the batch's order, the keys in the order
 * their first events claimed them (reducers in their order for each event). Each reducer is asked
 * only about the body types it declares (`bodyTypes`), which it alone would claim anyway.
 */
function groupBySubject(ordered: readonly AuditEvent[], reducers: readonly SubjectReducer<unknown>[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  // Each reducer's groups by subject, so that an event finds its group without a state key built per event.
  const bySubject = new Map<SubjectReducer<unknown>, Map<string, Group>>();
  // The reducers that may claim an event of each body type, in their order: built on the type's first event.
  const claimants = new Map<unknown, readonly SubjectReducer<unknown>[]>();
  const join = (reducer: SubjectReducer<unknown>, subject: string, event: AuditEvent) => {
    let subjects = bySubject.get(reducer);
    if (!subjects) bySubject.set(reducer, (subjects = new Map()));
    let group = subjects.get(subject);
    if (!group) {
      const key = subjectKey(reducer.stateKind ?? reducer.kind, subject);
      group = groups.get(key);
      if (!group) groups.set(key, (group = { reducer, subject, events: [] }));
      subjects.set(subject, group);
    }
    group.events.push(event);
  };
  for (const event of ordered) {
    const type: unknown = event.body.type;
    let asked = claimants.get(type);
    if (!asked) claimants.set(type, (asked = reducers.filter((r) => !r.bodyTypes || r.bodyTypes.includes(type as string))));
    for (const reducer of asked) {
      // Most reducers claim an event for one subject at most: no array made per event and reducer.
      if (reducer.subjectsOf) {
        for (const subject of reducer.subjectsOf(event)) if (subject !== undefined) join(reducer, subject, event);
      } else {
        const subject = reducer.subjectOf(event);
        if (subject !== undefined) join(reducer, subject, event);
      }
    }
  }
  return groups;
}

/** The batch's events with those the subjects' states resolve replaced (`SubjectReducer.resolve`), or `ordered` itself. */
function resolveFromStates(ordered: readonly AuditEvent[], groups: ReadonlyMap<string, Group>, loaded: ReadonlyMap<string, Versioned<unknown>>, config: Config): readonly AuditEvent[] {
  let replaced: Map<AuditEvent, AuditEvent> | undefined;
  for (const [key, { reducer, subject, events }] of groups) {
    if (!reducer.resolve) continue;
    const out = reducer.resolve(loaded.has(key) ? loaded.get(key)!.state : reducer.initial(subject), subject, events, config);
    if (out === events) continue;
    for (let i = 0; i < events.length; i++) if (out[i] !== events[i]) (replaced ??= new Map()).set(events[i], out[i]);
  }
  return replaced ? ordered.map((event) => replaced.get(event) ?? event) : ordered;
}

/**
 * Contract §6: a batch is one unit. The state of every subject it touches is read once (or, from
 * DynamoDB, not at all when the batch begins it: `beginsIn`; a subject only an event resolved from
 * a state belongs to, `resolve`, right after), the reducers run in memory, and
 * each subject's state is written back once, conditionally on the version read, with its
 * findings. A subject whose write lost to a concurrent invocation is re-read and recomputed, with
 * backoff, while `retry` says the invocation has time (then `CommitConflictError`: the batch is
 * retried whole), so no update is lost.
 */
export async function processBatch(
  events: readonly AuditEvent[],
  reducers: readonly SubjectReducer<unknown>[],
  store: StateStore,
  ctx: ReduceContext,
  retry: CommitRetry = {},
): Promise<BatchResult> {
  let ordered: readonly AuditEvent[] = [...events].sort((a, b) => a.at - b.at);
  for (const reducer of reducers) if (reducer.enrich) ordered = reducer.enrich(ordered, ctx.config);
  let groups = groupBySubject(ordered, reducers);
  if (groups.size === 0) return { findings: [], subjects: 0, conflicts: 0 };

  const presumedAbsent = new Set<string>();
  for (const [key, g] of groups) if (g.reducer.beginsIn?.(g.subject, g.events)) presumedAbsent.add(key);
  const loaded = await store.load([...groups.keys()], presumedAbsent.size > 0 ? { presumedAbsent } : undefined);
  const resolved = resolveFromStates(ordered, groups, loaded, ctx.config);
  if (resolved !== ordered) {
    const read = new Set(groups.keys());
    groups = groupBySubject(resolved, reducers);
    const unread = [...groups.keys()].filter((key) => !read.has(key));
    if (unread.length > 0) for (const [key, value] of await store.load(unread)) loaded.set(key, value);
  }
  const findings: Finding[] = [];
  const records: RunRecord[] = [];
  const replayed: ReplayedSpan[] = [];
  const older: OlderRuns[] = [];
  const otherFunctionLines: string[] = [];
  // Second stage: what reducers derive from the committed states (agent trees from their runs,
  // the jobs of cron's discard lines from their hosts).
  const derived: AuditEvent[] = [];
  let conflicts = 0;
  await settleAll(
    [...groups].map(async ([key, group]) => {
      const { reducer, subject } = group;
      const expiresAt = reducer.expiresAt?.bind(reducer);
      const result = await commitWithRetry(store, key, loaded.get(key), () => reducer.initial(subject), (state) => withFindingSource(reducer.apply(state, subject, group.events, ctx), () => findingSourceOfLines(group.events, redactorFor(ctx.config))), expiresAt, retry);
      findings.push(...result.findings);
      records.push(...result.records);
      if (result.handOff) derived.push(...result.handOff);
      if (result.olderThanHistory) older.push({ subject_kind: reducer.kind, subject, runs: result.olderThanHistory });
      if (result.otherFunctionLines) otherFunctionLines.push(...result.otherFunctionLines);
      if (result.unchanged && reducer.recordsRuns) {
        let [from, to] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
        for (const { at } of group.events) [from, to] = [Math.min(from, at), Math.max(to, at)];
        replayed.push({ subject_kind: reducer.kind, subject, from: isoTime(from), to: isoTime(to) });
      }
      conflicts += result.conflicts;
    }),
  );
  let subjects = groups.size;
  for (const reducer of reducers) {
    if (!reducer.followUp) continue;
    const touched = [...groups.values()].filter((g) => g.reducer === reducer).map((g) => g.subject);
    if (touched.length > 0) derived.push(...(await reducer.followUp(touched, store, ctx)));
  }
  if (derived.length > 0) {
    const next = await processBatch(derived, reducers.filter((r) => !r.followUp), store, ctx, retry);
    findings.push(...next.findings);
    records.push(...(next.records ?? []));
    replayed.push(...(next.replayed ?? []));
    older.push(...(next.olderThanHistory ?? []));
    if (next.otherFunctionLines) otherFunctionLines.push(...next.otherFunctionLines);
    conflicts += next.conflicts;
    subjects += next.subjects;
  }
  findings.sort((a, b) => a.ts.localeCompare(b.ts) || a.detector.localeCompare(b.detector));
  return { findings, subjects, conflicts, records, ...(replayed.length > 0 ? { replayed } : {}), ...(older.length > 0 ? { olderThanHistory: older } : {}), ...(otherFunctionLines.length > 0 ? { otherFunctionLines } : {}) };
}
