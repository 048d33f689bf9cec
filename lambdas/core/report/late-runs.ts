import { EARLY_MS, type ExpectedSlots, expectedSlots, startsFromEndOf } from '../job-reducer.ts';
import { formatGrace, onTimeWithinMs, runsCounted } from '../../detectors/missed-run.ts';
import type { RunRecord } from '../../ports.ts';
import { type Finding, isoTime } from '../findings.ts';
import { formatSpan } from './format.ts';
import { listsBy } from './lookup.ts';
import type { RetractedFinding } from './model.ts';
import type { SubjectSnapshot } from './subjects.ts';
import { subjectKey } from '../pipeline.ts';

/** The detectors whose findings a late run can answer (`retractLateRuns`). */
export const LATE_RUN_DETECTORS: ReadonlySet<string> = new Set(['missed-run', 'run-unfinished']);

/** Up to where a report reads run records (`lateRunReads`): every run after the month may answer one of its findings. */
export const RUNS_READ_TO = '9999-12-31T23:59:59Z';

/** A list of findings and the time (epoch ms) from which its report reads the runs of a job it names (none: from where its late runs may have begun). */
export interface LateRunFindings {
  readonly findings: readonly Finding[];
  readonly fromMs?: number;
}

/**
 * Where each job's run records are read from (epoch ms, by `job#name`), so that every late run that
 * may answer one of its missed-run or run-unfinished findings is read: for each such finding, the
 * earlier of its list's `fromMs` and the time its run may have begun (`earliestRunStart`: an
 * unfinished run started the month before, its end stamped then but read after the sweep judged it;
 * a start allowed `EARLY_MS` before a slot at the month's first minutes); the earliest over the
 * job's findings. A month's report reads the month before's findings from that month's start
 * (their runs answer them as that month's report retracted them) and its own from its start; a job
 * with no such finding is not in the map, and is read from the month's start. The report,
 * explain_finding and find_findings read them the same way.
 */
export function lateRunReadsFrom(...lists: readonly LateRunFindings[]): Map<string, number> {
  const readFrom = new Map<string, number>();
  for (const { findings, fromMs = Number.POSITIVE_INFINITY } of lists) {
    for (const f of findings) {
      if (f.subject_kind !== 'job' || !LATE_RUN_DETECTORS.has(f.detector)) continue;
      const key = subjectKey('job', f.subject);
      readFrom.set(key, Math.min(readFrom.get(key) ?? Number.POSITIVE_INFINITY, fromMs, earliestRunStart(f)));
    }
  }
  return readFrom;
}

/** The earliest time the run that answers a late-run finding may have started: its expected start (or an unfinished run's start) less `EARLY_MS`. */
export function earliestRunStart(f: Finding): number {
  const startedAt = typeof f.evidence?.started_at === 'string' ? Date.parse(f.evidence.started_at) : Number.NaN;
  return Math.min(Date.parse(f.ts), Number.isNaN(startedAt) ? Number.POSITIVE_INFINITY : startedAt) - EARLY_MS;
}

/**
 * The span of run records a month's report reads for a subject: from the month's start, or from
 * earlier where `lateRunReadsFrom` has it, to any time after it, since a run record's time is its
 * end and a run that started in the month's last slot, or whose lines came late, may be recorded
 * after it. The report and explain_finding read them the same way.
 */
export function lateRunReads(subjectKey: string, monthFromMs: number, readsFrom: ReadonlyMap<string, number>): { from: string; to: string } {
  return { from: isoTime(Math.min(monthFromMs, readsFrom.get(subjectKey) ?? Number.POSITIVE_INFINITY)), to: RUNS_READ_TO };
}

/** A job's kept start times (`JobState.starts`, oldest first) and those of them that are a run's end. */
export interface KeptStarts {
  readonly starts: readonly number[];
  readonly fromEnd: readonly number[];
}

/** A job state's kept start times (`JobState.starts`), when it keeps any. */
export function keptStartsOf(state: unknown): KeptStarts | undefined {
  if (!state || typeof state !== 'object') return undefined;
  const s = state as { starts?: unknown; startsFromEnd?: unknown };
  if (!Array.isArray(s.starts) || s.starts.length === 0 || !s.starts.every((t) => typeof t === 'number' && Number.isFinite(t))) return undefined;
  const starts = s.starts as number[];
  return { starts, fromEnd: startsFromEndOf({ starts, startsFromEnd: typeof s.startsFromEnd === 'string' ? s.startsFromEnd : undefined }) };
}

/**
 * Findings of absence that the recorded runs answer: the run's lines reached the pipeline after the
 * sweep had judged it (a CloudWatch or Kinesis delivery lag, a backfill after a lost delivery).
 * A `missed-run` whose slot has a run that started within it, as the sweep counts one
 * (`runsCounted`: from the expected time less its early allowance, up to the grace time, before the
 * next slot opens; a run known only from its end counts for the slot it ended in; a late run, the
 * first of two or more in the next slot, within the grace time; slots due at one moment, cron's
catch-up runs at a change forward, are judged together, each run counting for one), and a `run-unfinished`
 * whose run recorded its end within its maximum runtime, are no problem: `scan` over the same
 * lines reports neither. The finding records stay as stored; the report shows them as retracted.
 *
 * The runs a missed-run is judged against are those the sweep judges with: the job's kept start
 * times in its state (`subjects`, `JobState.starts`), where a run that logs no end (a cron `CMD`
 * line) is known, as no run record is written for it; before the oldest kept start (the state keeps
 * the latest `MAX_STARTS`), the run records' starts. So a late `CMD`-only run older than the kept
 * starts (an hourly job's of more than about eight days before the report) is no longer seen, and
 * its missed-run is kept.
 */
export function retractLateRuns<F extends Finding>(
  findings: readonly F[],
  runs: readonly RunRecord[],
  subjects: readonly Pick<SubjectSnapshot, 'kind' | 'name' | 'state'>[] = [],
): { kept: F[]; retracted: RetractedFinding[] } {
  return lateRunJudge(runs, subjects)(findings);
}

/**
 * `retractLateRuns` over the same runs and subjects for several lists of findings (a month's and
 * the month before's): the jobs' runs and kept starts are indexed once.
 */
export function lateRunJudge(
  runs: readonly RunRecord[],
  subjects: readonly Pick<SubjectSnapshot, 'kind' | 'name' | 'state'>[] = [],
): <F extends Finding>(findings: readonly F[]) => { kept: F[]; retracted: RetractedFinding[] } {
  const runsOf = listsBy(runs.filter((r) => r.subject_kind === 'job'), (r) => r.subject);
  const keptOf = new Map<string, KeptStarts>();
  for (const s of subjects) {
    const kept = s.kind === 'job' ? keptStartsOf(s.state) : undefined;
    if (kept) keptOf.set(s.name, kept);
  }
  return <F extends Finding>(findings: readonly F[]) => {
    const kept: F[] = [];
    const retracted: RetractedFinding[] = [];
    for (const f of findings) {
      const subjectRuns = f.subject_kind === 'job' ? (runsOf.get(f.subject) ?? []) : [];
      const keptStarts = f.subject_kind === 'job' ? keptOf.get(f.subject) : undefined;
      const answer =
        f.detector === 'missed-run' && (subjectRuns.length > 0 || keptStarts) ? runForSlot(f, subjectRuns, keptStarts) : f.detector === 'run-unfinished' ? endWithinLimit(f, subjectRuns) : undefined;
      if (answer) retracted.push(answer);
      else kept.push(f);
    }
    return { kept, retracted };
  };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** A missed-run finding's slot, as its evidence names it (`missedSlotOf`). */
export interface MissedSlot {
  /** The expected start, as the finding gives it, and in epoch ms. */
  readonly expectedIso: string;
  readonly expected: number;
  /** Its grace time (exact since a fraction of a minute was kept so; whole minutes in findings stored before). */
  readonly graceMinutes: number;
  /** Every slot due at the expected time (cron's catch-up runs at a change forward share one), as the sweep judged them together, and the two after. */
  readonly slots: ExpectedSlots;
}

/** A missed-run finding's expected start, as it gives it (in findings stored before `expected_at`, in its evidence). */
export function expectedAtOf(f: Finding): string | undefined {
  return f.expected_at ?? text(f.evidence?.expected_at);
}

/** A missed-run finding's slot read with the schedule its evidence names; undefined when the evidence cannot say it. */
export function missedSlotOf(f: Finding): MissedSlot | undefined {
  const expectedIso = expectedAtOf(f);
  const schedule = text(f.evidence?.schedule);
  const graceMinutes = count(f.evidence?.grace_minutes);
  if (expectedIso === undefined || schedule === undefined || graceMinutes === undefined) return undefined;
  const expected = Date.parse(expectedIso);
  if (Number.isNaN(expected)) return undefined;
  try {
    return { expectedIso, expected, graceMinutes, slots: expectedSlots(schedule, text(f.evidence?.timezone), expected - 1, expected) };
  } catch {
    return undefined;
  }
}

/** Whether a run record is known from its end alone: not `started`, and no duration to tell its start by. */
export const knownFromEnd = (r: RunRecord): boolean => r.status !== 'started' && r.duration_ms === undefined;

/**
 * A run record's start: its time is its end (a record `started` is at its start), so its end less
 * its duration, or its end itself when it gives none (its start unknown: `knownFromEnd`).
 */
export const recordStartOf = (r: RunRecord): number => Date.parse(r.ts) - (r.status === 'started' ? 0 : (r.duration_ms ?? 0));

/** A run that answers a missed-run finding's slot, read with the schedule its evidence names. */
function runForSlot(f: Finding, runs: readonly RunRecord[], kept: KeptStarts | undefined): RetractedFinding | undefined {
  const slot = missedSlotOf(f);
  if (slot === undefined || slot.slots.expected.length === 0) return undefined;
  const { expectedIso, graceMinutes, slots } = slot;
  const following = slots.following;
  // The job's kept starts, as the sweep has them (a cron CMD run is only there: it writes no run
  // record); the records' starts before the oldest kept one.
  const keptFrom = kept ? Math.min(...kept.starts) : Number.POSITIVE_INFINITY;
  const older = runs.filter((r) => recordStartOf(r) < keptFrom);
  const starts = [...(kept?.starts ?? []), ...older.map(recordStartOf)].filter((t) => !Number.isNaN(t));
  const ends = [...(kept?.fromEnd ?? []), ...older.filter(knownFromEnd).map(recordStartOf)];
  // The slots' runs as the sweep counts them (runsCounted, each run for one slot, with the two
  // expected times after them as the sweep has them): answered only when each slot has its own.
  const counted = runsCounted(slots.expected, following, starts, EARLY_MS, graceMinutes * 60_000, slots.previous, ends);
  if (counted.some((runs) => runs.length === 0)) return undefined;
  const at = counted[counted.length - 1][0];
  // Named by its record when there is one (an end read alone preferred at an equal time); a run
  // known only from the kept starts (a CMD line) has none.
  const r = runs.find((run) => knownFromEnd(run) && recordStartOf(run) === at) ?? runs.find((run) => recordStartOf(run) === at);
  const endOnly = r !== undefined ? knownFromEnd(r) : ends.includes(at);
  const when = !endOnly ? `started ${isoTime(at)}, within the ${formatGrace(onTimeWithinMs(graceMinutes * 60_000))} grace time` : `ended ${isoTime(at)}${at >= following[0] ? '' : ', before the next expected start'}`;
  return {
    detector: f.detector,
    subject: f.subject,
    ts: f.ts,
    expected_at: expectedIso,
    ...(r !== undefined ? { run_id: r.run_id } : {}),
    reason: `its run ${r !== undefined ? `${r.run_id} ` : ''}${when}; the run's lines reached the audit after the sweep had judged the start missed`,
  };
}

/** The recorded end of a run-unfinished finding's run, when it came within the run's maximum runtime. */
function endWithinLimit(f: Finding, runs: readonly RunRecord[]): RetractedFinding | undefined {
  const startedIso = text(f.evidence?.started_at);
  const limitMs = count(f.evidence?.max_runtime_ms);
  if (f.run_id === undefined || startedIso === undefined || limitMs === undefined) return undefined;
  const startedAt = Date.parse(startedIso);
  if (Number.isNaN(startedAt)) return undefined;
  for (const r of runs) {
    if (r.run_id !== f.run_id || r.status === 'started') continue;
    const endedAt = Date.parse(r.ts);
    if (endedAt < startedAt || endedAt > startedAt + limitMs) continue;
    return {
      detector: f.detector,
      subject: f.subject,
      ts: f.ts,
      run_id: r.run_id,
      reason: `its run ${r.run_id} ended ${isoTime(endedAt)}, after ${formatSpan(endedAt - startedAt)}, within its max runtime of ${formatSpan(limitMs)}; the end line reached the audit after the sweep had judged the run unfinished`,
    };
  }
  return undefined;
}

/** The report's notes on retracted findings: one per detector and subject, so the operator learns that delivery lagged. */
export function retractionNotes(retracted: readonly RetractedFinding[]): string[] {
  const groups = new Map<string, RetractedFinding[]>();
  for (const r of retracted) {
    const key = `${r.detector}\u0000${r.subject}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((list) => {
    const first = list[0];
    const which = first.expected_at !== undefined ? `expected ${first.expected_at}` : `run ${first.run_id}`;
    const what = list.length === 1 ? `${first.detector} on ${first.subject}, ${which}` : `${list.length} ${first.detector} findings on ${first.subject}, the first ${which}`;
    return (
      `Retracted: ${what}: the run's lines arrived late. ${first.reason[0].toUpperCase()}${first.reason.slice(1)}. ` +
      'Not counted as a problem: delivery of the logs lagged behind the sweep; if it happens often, check the subscription filter or the stream backlog.'
    );
  });
}
