import {
  type AuditExpectation,
  type AuditRunCount,
  auditTrailDriftDetector,
  CONFIGURED_THRESHOLD,
  completeness,
  LEARNED_THRESHOLD,
} from '../detectors/audit-trail-drift.ts';
import { groupFingerprint, lineFingerprint, rememberBounded, rememberedByLegacyFingerprint, rememberedUnderRotationBase, rememberLines, seenBefore } from './audit-trail-dedup.ts';
import type { AuditEvent, AuditWrite, RunEnd, RunFailedMarker, RunStart } from './events.ts';
import type { Finding } from './findings.ts';
import { maxRuntimeOf } from './job-reducer.ts';
import { OPEN_RUN } from './parse/run-ids.ts';
import { ownValue } from './own-property.ts';
import type { ReduceContext, Reduction, SubjectReducer } from './pipeline.ts';
import { median, partitionPoint } from './stats.ts';

/** A run whose audit records are still being counted. */
export interface PendingAuditRun {
  readonly run_id: string;
  /** When the run was first seen (start, first record or end), epoch ms. */
  readonly firstAt: number;
  readonly startAt?: number;
  readonly endAt?: number;
  readonly records: number;
}

/** What the pipeline keeps per job for its audit trail: compact and bounded. */
export interface AuditTrailState {
  readonly job: string;
  /** The job's first `audit.write` (jobs without a configured rate are followed from then on). */
  readonly firstRecordAt?: number;
  readonly pending: readonly PendingAuditRun[];
  /** The latest judged runs, oldest first (at most `AUDIT_WINDOW_RUNS`). */
  readonly window: readonly AuditRunCount[];
  /** Recently judged run ids: their late lines are added to the window, their start and end ignored. */
  readonly judged: readonly string[];
  /** Records per run of the job's first normal runs: the learned rate is their median. */
  readonly learning: readonly number[];
  /** An open drift episode: reported once, closed when completeness is back above the threshold. */
  readonly episode?: { readonly began_run_id?: string; readonly began_at?: number; readonly reported_at: number };
  /**
   * Whether the job's runs log their end: then a run without an end is still running (its
   * records come at its end) and is waited for up to its max runtime, not judged when a later
   * run starts. Absent in states stored before it was kept: taken from the pending runs.
   */
  readonly endsLogged?: boolean;
  /** Durations of the latest judged runs that logged start and end (at most `AUDIT_WINDOW_RUNS`), ms. */
  readonly durations?: readonly number[];
  readonly runs: number;
  readonly records: number;
  /** Fingerprints of the audit lines of the latest event times, with those times (see `rememberLines`). */
  readonly seen: readonly string[];
  readonly seenAt?: readonly number[];
  readonly seenUntil?: number;
  readonly groups: readonly string[];
}

/** Runs over which completeness is judged. */
export const AUDIT_WINDOW_RUNS = 10;
/** How long after a run's end (or the next run's start) its late audit lines are waited for. */
export const AUDIT_GRACE_MS = 15 * 60_000;
/**
 * Runs a job keeps waiting for: past it, the oldest of those that can be judged (ended, or in a
 * job whose runs log no end, followed by a later start) are judged at once on the records they
 * have, without the rest of their grace, so that a delivery of many runs or a job running every
 * few seconds is judged the same whatever the lines' partitioning. Runs still running are not:
 * their records may come at their end (see `MAX_RUNNING_AUDIT_RUNS`).
 */
export const MAX_PENDING_AUDIT_RUNS = 50;
/**
 * Runs still running a job keeps waiting for, past `MAX_PENDING_AUDIT_RUNS` (a job every minute
 * whose runs last hours): past it, the oldest are let go unjudged, so the state stays bounded
 * (with 256-character run ids, well under `MAX_STATE_ITEM_BYTES`).
 */
export const MAX_RUNNING_AUDIT_RUNS = 400;
const MAX_JUDGED = 200;
const MAX_SEEN = 2000;
const MAX_GROUPS = 200;

export const AUDIT_STATE_KIND = 'audit';

export function initialAuditTrailState(job: string): AuditTrailState {
  return { job, pending: [], window: [], judged: [], learning: [], runs: 0, records: 0, seen: [], groups: [] };
}

type AuditEventBody = AuditWrite | RunStart | RunEnd | RunFailedMarker;

function isAuditTrailEvent(event: AuditEvent): event is AuditEvent<AuditEventBody> {
  const t = event.body.type;
  if (t === 'audit.write' || t === 'run.start' || t === 'run.end') return true;
  return t === 'run.failed' && event.body.run_id !== undefined;
}

function runIdOf(body: AuditEventBody): string | undefined {
  const id = body.run_id;
  return id === undefined || id === OPEN_RUN ? undefined : id;
}

function runTime(run: PendingAuditRun): number {
  return run.startAt ?? run.firstAt;
}

/** The expectation a job's runs are judged against, or undefined while it is still being learned. */
export function auditExpectation(state: AuditTrailState, ctx: ReduceContext): AuditExpectation | undefined {
  const configured = ownValue(ctx.config.jobs, state.job)?.audit_records_per_run;
  if (configured !== undefined) return { perRun: configured, basis: 'configured', threshold: CONFIGURED_THRESHOLD };
  const minHistory = ownValue(ctx.config.jobs, state.job)?.min_history ?? ctx.config.defaults.min_history;
  if (state.learning.length < minHistory) return undefined;
  const rate = median(state.learning) ?? 0;
  return rate > 0 ? { perRun: rate, basis: 'learned', threshold: LEARNED_THRESHOLD, learnedFrom: state.learning.length } : undefined;
}

function logsEnds(state: AuditTrailState): boolean {
  return state.endsLogged ?? state.pending.some((r) => r.endAt !== undefined);
}

/**
 * Judges the pending runs whose audit lines are no longer waited for at `horizon`: a run that
 * ended, `AUDIT_GRACE_MS` after its end. A run that has not logged its end: for a job whose runs
 * log ends, it is still running (runs may overlap) and is judged only once it is past its max
 * runtime and the grace; for a job whose runs log no end, `AUDIT_GRACE_MS` after a later run
 * started. Past `MAX_PENDING_AUDIT_RUNS` runs still waited for, the oldest whose wait would be over
 * without the grace are judged too, on the records they have; runs still running keep waiting, and
 * past `MAX_RUNNING_AUDIT_RUNS` of them the oldest are let go unjudged. Each judged run enters the
 * window (and, while the rate is learned, the learning set), in time order, then the window is
 * judged; a drift is reported once per episode.
 */
function judgeDue(initial: AuditTrailState, horizon: number, ctx: ReduceContext): { state: AuditTrailState; findings: Finding[] } {
  const endsLogged = logsEnds(initial);
  // The start times of the runs pending and judged, in order (only a job whose runs log no end asks for them).
  let startTimes: number[] | undefined;
  const nextStartAfter = (t: number) => {
    startTimes ??= [...initial.pending.map(runTime), ...initial.window.map((r) => r.at)].sort((a, b) => a - b);
    const sorted = startTimes;
    const i = partitionPoint(sorted.length, (k) => sorted[k] <= t);
    return i < sorted.length ? sorted[i] : undefined;
  };
  // A run's max runtime as `run-unfinished` takes it: configured, else 3× the median duration of the judged runs (at least 1 h).
  // Its durations are its own judged runs' (the last AUDIT_WINDOW_RUNS), not the job's baseline window.
  const maxRuntimeMs = maxRuntimeOf(initial, ctx.config, AUDIT_WINDOW_RUNS).ms;
  // Whether a run's wait is over when its late lines are waited for `graceMs` after its end (or, in a
  // job whose runs log no end, after the next start; a run still running, after its max runtime).
  const waitOver = (run: PendingAuditRun, graceMs: number) => {
    if (run.endAt !== undefined) return horizon >= run.endAt + graceMs;
    if (endsLogged) return horizon >= runTime(run) + maxRuntimeMs + graceMs;
    const next = nextStartAfter(runTime(run));
    return next !== undefined && horizon >= next + graceMs;
  };
  const byTime = (a: PendingAuditRun, b: PendingAuditRun) => runTime(a) - runTime(b) || (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0);
  // The runs due, the runs whose wait is over but for the grace (ended), and those still running, each asked once.
  const due: PendingAuditRun[] = [];
  const ended: PendingAuditRun[] = [];
  const running: PendingAuditRun[] = [];
  for (const run of initial.pending) (waitOver(run, AUDIT_GRACE_MS) ? due : waitOver(run, 0) ? ended : running).push(run);
  // Past the bound, the oldest runs whose wait is over but for the grace are judged at once, never
  // dropped unjudged; a run still running is not judged on part of its records (they may come at its end).
  const excess = Math.max(0, ended.length + running.length - MAX_PENDING_AUDIT_RUNS);
  if (excess > 0) due.push(...ended.sort(byTime).slice(0, excess));
  due.sort(byTime);
  // Runs still running past their own, larger bound: the oldest are let go unjudged, to bound the state.
  const letGo = new Set(running.sort(byTime).slice(0, Math.max(0, running.length - MAX_RUNNING_AUDIT_RUNS)).map((r) => r.run_id));
  if (due.length === 0 && letGo.size === 0) return { state: initial, findings: [] };

  const findings: Finding[] = [];
  const dueIds = new Set(due.map((r) => r.run_id));
  let state: AuditTrailState = { ...initial, pending: initial.pending.filter((r) => !dueIds.has(r.run_id) && !letGo.has(r.run_id)) };
  const minRuns = ownValue(ctx.config.jobs, state.job)?.min_history ?? ctx.config.defaults.min_history;
  const learnUpTo = ctx.config.defaults.baseline_window;

  for (const run of due) {
    const judged: AuditRunCount = { run_id: run.run_id, at: runTime(run), records: run.records };
    const window = [...state.window, judged].sort((a, b) => a.at - b.at).slice(-AUDIT_WINDOW_RUNS);
    state = { ...state, window, judged: rememberBounded(state.judged, [run.run_id], MAX_JUDGED), runs: state.runs + 1 };
    if (run.startAt !== undefined && run.endAt !== undefined) {
      state = { ...state, durations: [...(state.durations ?? []), run.endAt - run.startAt].slice(-AUDIT_WINDOW_RUNS) };
    }
    const expected = auditExpectation(state, ctx);
    if (expected) {
      if (window.length >= minRuns && completeness(window, expected.perRun) >= expected.threshold) {
        state = { ...state, episode: undefined };
      } else if (!state.episode) {
        const at = run.endAt ?? runTime(run);
        for (const draft of auditTrailDriftDetector.check({ job: state.job, window, expected, minRuns, at })) {
          const meta = auditTrailDriftDetector.meta;
          findings.push({ ...draft, detector: meta.id, subject_kind: meta.subjectKind, severity: ctx.config.defaults.severity[meta.id] ?? draft.severity ?? meta.defaultSeverity });
          const began = draft.evidence.began_run_id as string | undefined;
          state = { ...state, episode: { began_run_id: began, began_at: window.find((r) => r.run_id === began)?.at, reported_at: at } };
        }
      }
    }
    // Learning: the job's first normal runs; a run already short of the rate does not become the norm.
    if (ownValue(ctx.config.jobs, state.job)?.audit_records_per_run === undefined && state.learning.length < learnUpTo) {
      if (!expected || run.records >= LEARNED_THRESHOLD * expected.perRun) state = { ...state, learning: [...state.learning, run.records] };
    }
  }
  return { state, findings };
}

/**
 * Audit-trail completeness (pattern "audit trail completeness drift"): counts each job run's
 * `audit.write` records, learning which runs exist from `run.start`/`run.end`, and judges the
 * latest runs' completeness against the configured `audit_records_per_run` or the job's learned
 * rate. Lines are recognised by fingerprint, so a redelivered one is not counted twice; a line
 * that arrives after its run was judged still counts towards the window.
 */
export const auditTrailReducer: SubjectReducer<AuditTrailState> = {
  kind: 'job',
  stateKind: AUDIT_STATE_KIND,
  bodyTypes: ['audit.write', 'run.start', 'run.end', 'run.failed'],
  subjectOf(event) {
    return isAuditTrailEvent(event) ? event.body.job : undefined;
  },
  initial: initialAuditTrailState,
  apply(initial, subject, events, ctx): Reduction<AuditTrailState> {
    const unchanged = { state: initial, findings: [], records: [] };
    const relevant = events.filter(isAuditTrailEvent);
    if (relevant.length === 0) return unchanged;
    const configured = ownValue(ctx.config.jobs, subject)?.audit_records_per_run !== undefined;
    // A job that never wrote an audit record and has no configured rate is not followed (and costs no write).
    if (!configured && initial.firstRecordAt === undefined && !relevant.some((e) => e.body.type === 'audit.write')) return unchanged;

    const prints = relevant.map(lineFingerprint);
    const group = groupFingerprint(prints);
    if (initial.groups.includes(group)) return unchanged;

    let state = initial;
    let changed = false;
    const seen = new Set(state.seen);
    const fresh: { print: string; at: number }[] = [];
    const pending = new Map(state.pending.map((r) => [r.run_id, r]));
    let window = state.window;
    const judged = new Set(state.judged);
    let latest = 0;

    relevant.forEach((event, i) => {
      const { body, at } = event;
      latest = Math.max(latest, at);
      const runId = runIdOf(body);
      if (runId === undefined) return;
      const follows = configured || (state.firstRecordAt !== undefined && at >= state.firstRecordAt);
      if (body.type === 'audit.write') {
        if (seenBefore(initial, seen, prints[i], at)) return;
        seen.add(prints[i]);
        fresh.push({ print: prints[i], at });
        changed = true;
        if (rememberedByLegacyFingerprint(seen, event) || rememberedUnderRotationBase(seen, event)) return;
        state = { ...state, records: state.records + 1, firstRecordAt: Math.min(state.firstRecordAt ?? at, at) };
        if (judged.has(runId)) {
          // A late line of a judged run: it counts for the window, if the run is still in it.
          window = window.map((r) => (r.run_id === runId ? { ...r, records: r.records + 1 } : r));
          return;
        }
        const run = pending.get(runId);
        pending.set(runId, run ? { ...run, records: run.records + 1 } : { run_id: runId, firstAt: at, records: 1 });
        return;
      }
      if (body.type === 'run.end' && !state.endsLogged) {
        state = { ...state, endsLogged: true };
        changed = true;
      }
      if (judged.has(runId)) return;
      const run = pending.get(runId);
      if (!run && !follows) return;
      const base = run ?? { run_id: runId, firstAt: at, records: 0 };
      const next =
        body.type === 'run.start'
          ? { ...base, startAt: Math.min(base.startAt ?? at, at), firstAt: Math.min(base.firstAt, at) }
          : { ...base, endAt: Math.max(base.endAt ?? at, at) };
      if (run && next.startAt === run.startAt && next.endAt === run.endAt) return;
      pending.set(runId, next);
      changed = true;
    });

    const horizon = Math.max(ctx.clock.now(), latest);
    if (changed) {
      // Kept whole here: judgeDue judges the oldest past MAX_PENDING_AUDIT_RUNS that can be judged, and bounds those still running.
      const kept = [...pending.values()].sort((a, b) => runTime(a) - runTime(b));
      state = { ...state, pending: kept, window, ...rememberLines(state, fresh, MAX_SEEN), groups: rememberBounded(state.groups, [group], MAX_GROUPS) };
    }
    const judgedNow = judgeDue(state, horizon, ctx);
    if (!changed && judgedNow.state === state) return unchanged;
    return { state: judgedNow.state, findings: judgedNow.findings, records: [] };
  },
  tick(state, _subject, ctx): Reduction<AuditTrailState> {
    const judged = judgeDue(state, ctx.clock.now(), ctx);
    return { state: judged.state, findings: judged.findings, records: [] };
  },
};
