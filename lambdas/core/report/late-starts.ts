import { EARLY_MS } from '../job-reducer.ts';
import { earlyAllowance, formatGrace, onTimeWithinMs } from '../../detectors/missed-run.ts';
import type { RunRecord } from '../../ports.ts';
import { minutesText } from '../schedule.ts';
import { partitionPoint } from '../stats.ts';
import { type Finding, isoTime } from '../findings.ts';
import { dayList, plural, shortTime } from './format.ts';
import { expectedAtOf, keptStartsOf, knownFromEnd, missedSlotOf, recordStartOf } from './late-runs.ts';

/**
 * A missed start with a run after its grace time, before the next expected start opened: the sweep
 * judged the slot missed (and the report keeps it so). The run came late (`came`), came late and
 * failed (`failed`), or started so long after that it is not taken for the slot's run (`long-after`,
 * past `lateStartCap`: one started by hand, say).
 */
export interface LateStart {
  /** The expected start the finding is about. */
  readonly expectedAt: string;
  /** When the run started. */
  readonly startedAt: string;
  /** The run's record; absent for a run known only from the job's kept starts (a cron `CMD` line). */
  readonly runId?: string;
  /** How long after the expected start a run counted as on time (the grace time, at least its minute). */
  readonly withinMs: number;
  /**
   * `came`: it ended well, is still running, or is known from a kept start only (its outcome not
   * logged); `failed`: its record says it failed; `long-after`: it started past `lateStartCap`.
   */
  readonly outcome: 'came' | 'failed' | 'long-after';
  /** A failed run's exit code, when its record has one. */
  readonly exitCode?: number;
}

/**
 * The latest a run may start to be taken for a missed start's run, late: the grace time again past
 * the grace time (a 60 min grace: 2 h after the expected start). A run later than that (a daily job's
 * run at 09:00 for its 02:00 start) is more likely one started by hand than the scheduler's, late:
 * the slot is said never to have come, and the run is named beside it.
 */
export function lateStartCap(expected: number, withinMs: number): number {
  return expected + 2 * withinMs;
}

interface KnownStart {
  readonly at: number;
  readonly runId: string | undefined;
  readonly failed: boolean;
  readonly exitCode: number | undefined;
}

/**
 * The late runs of a job's missed-run findings, by expected start: for each finding, the first run
 * that started after its grace time, nearer its expected start than the next one and before the
 * next slot opened (the run the slot would have had, had it been on time), read from the job's run records (a run's start is its end
 * less its duration; one known only from its end has no start and is no answer) and its kept start
 * times (`JobState.starts`, where a cron `CMD` run is known). A finding with no such run is not in
 * the map: no run came for it.
 */
export function lateStartsOf(findings: readonly Finding[], runs: readonly RunRecord[], state?: unknown): Map<string, LateStart> {
  const kept = keptStartsOf(state);
  const keptEnds = new Set(kept?.fromEnd ?? []);
  const starts: KnownStart[] = [
    ...runs
      .filter((r) => !knownFromEnd(r))
      .map((r) => ({ at: recordStartOf(r), runId: r.run_id, failed: r.status === 'failed', exitCode: r.exit_code })),
    ...(kept?.starts ?? []).filter((t) => !keptEnds.has(t)).map((at) => ({ at, runId: undefined, failed: false, exitCode: undefined })),
  ]
    .filter((s) => !Number.isNaN(s.at))
    // A run with a record first at an equal time: it names the run.
    .sort((a, b) => a.at - b.at || (a.runId === undefined ? 1 : 0) - (b.runId === undefined ? 1 : 0));
  const late = new Map<string, LateStart>();
  for (const f of findings) {
    if (f.detector !== 'missed-run') continue;
    const found = lateStartOf(f, starts);
    if (found) late.set(found.expectedAt, found);
  }
  return late;
}

function lateStartOf(f: Finding, starts: readonly KnownStart[]): LateStart | undefined {
  const slot = missedSlotOf(f);
  const next = slot?.slots.following[0];
  if (slot === undefined || next === undefined) return undefined;
  const { expected, graceMinutes } = slot;
  const withinMs = onTimeWithinMs(graceMinutes * 60_000);
  // Nearer the missed start than the next one (a run just before the next start is that one's, early,
  // not this one's, late), and before the next slot opens, its early allowance before its expected time.
  const until = Math.min(expected + (next - expected) / 2, next - earlyAllowance(next, expected, EARLY_MS));
  // The starts are in time order: the first past the grace time, by binary search.
  const run = starts[partitionPoint(starts.length, (i) => starts[i].at <= expected + withinMs)];
  if (run === undefined || run.at >= until) return undefined;
  const outcome = run.at > lateStartCap(expected, withinMs) ? 'long-after' : run.failed ? 'failed' : 'came';
  return {
    expectedAt: isoTime(expected),
    startedAt: isoTime(run.at),
    ...(run.runId !== undefined ? { runId: run.runId } : {}),
    withinMs,
    outcome,
    ...(outcome === 'failed' && run.exitCode !== undefined ? { exitCode: run.exitCode } : {}),
  };
}

/** How long, in minutes under an hour (`30 min`, `1.5 min`, `45 s`), in hours and minutes from one (`5 h 30 min`). */
function delayText(ms: number): string {
  return ms >= 3_600_000 ? minutesText(Math.round(ms / 60_000)) : formatGrace(ms);
}

const lowerFirst = (s: string) => `${s[0].toLowerCase()}${s.slice(1)}`;

/** A late run's note: when it started, how far past its grace time, and how it went. */
function lateStartNote(l: LateStart): string {
  const run = l.runId !== undefined ? `${l.runId} ` : '';
  const expected = Date.parse(l.expectedAt);
  const started = Date.parse(l.startedAt);
  if (l.outcome === 'long-after') {
    return (
      `The run expected ${shortTime(l.expectedAt)} never came: a run${l.runId !== undefined ? ` (${l.runId})` : ''} started ${shortTime(l.startedAt)}, ` +
      `${delayText(started - expected)} after, past twice its ${formatGrace(l.withinMs)} grace time, so it is not taken for it: ` +
      'if it was a re-run by hand, what it produced exists, but the scheduler did not start the expected run.'
    );
  }
  const past = `${run}started ${shortTime(l.startedAt)}, ${delayText(started - expected - l.withinMs)} past its ${formatGrace(l.withinMs)} grace time`;
  if (l.outcome === 'failed') {
    return `The run expected ${shortTime(l.expectedAt)} came late and failed: ${past}, and failed${l.exitCode !== undefined ? ` (exit code ${l.exitCode})` : ''}: see the run-failed card.`;
  }
  return `The run expected ${shortTime(l.expectedAt)} came late: ${past}.`;
}

const daysOf = (expected: readonly string[]) => [...new Set(expected.map((e) => e.slice(0, 10)))];

/**
 * A missed-run card's Consequence and Corrective action when some of its missed starts had a run after
 * their grace time (`lateStartsOf`): a late run that came (`came`) left its output and nothing needs
 * starting by hand for it, so the detector's "does not exist" and "start the job by hand" are said
 * of the other starts only: those no run came for, those whose late run failed, and those whose run
 * came so long after (`long-after`) that it is not taken for theirs. One note per such run (up to 8),
 * saying when it started, how far past its grace time, and how it went.
 */
export function lateStartCard(
  findings: readonly Finding[],
  late: ReadonlyMap<string, LateStart>,
  known: { readonly consequence: string; readonly correctiveAction: string },
): { consequence: string; correctiveAction: string; notes: string[] } | undefined {
  if (late.size === 0) return undefined;
  const expected = [...new Set(findings.map(expectedAtOf).filter((e): e is string => e !== undefined))].sort();
  const notes = [...late.values()]
    .sort((a, b) => a.expectedAt.localeCompare(b.expectedAt))
    .slice(0, 8)
    .map(lateStartNote);
  if (late.size > 8) notes.push(`${plural(late.size - 8, 'more missed start')} had a run past the grace time.`);
  const came = new Set([...late.values()].filter((l) => l.outcome === 'came').map((l) => l.expectedAt));
  // No run came: the detector's words stand, the notes say what the runs after the grace time were.
  if (came.size === 0) return { consequence: known.consequence, correctiveAction: known.correctiveAction, notes };
  const cameDays = daysOf([...came].sort());
  const they = came.size === 1 ? 'it' : 'they';
  const lateConsequence = `${came.size === 1 ? 'The run' : 'The runs'} came past the grace time rather than not at all: what ${they} produced exists, later than expected, so anything that used it at its usual time had the one before.`;
  const lateAction =
    'Find out why it started late (a busy or restarted host, a queue, a job before it that ran long, a clock off), or raise `grace_minutes` if a start that late is fine; nothing needs starting by hand for a run that came.';
  const others = expected.filter((e) => !came.has(e));
  if (others.length === 0) return { consequence: lateConsequence, correctiveAction: lateAction, notes };
  const failedDays = daysOf(others.filter((e) => late.get(e)?.outcome === 'failed'));
  const neverDays = daysOf(others.filter((e) => late.get(e)?.outcome !== 'failed'));
  const runs = (days: readonly string[]) => (days.length === 1 ? 'the run' : 'the runs');
  const missing = [
    ...(neverDays.length > 0 ? [`${runs(neverDays)} that never came (${dayList(neverDays)})`] : []),
    ...(failedDays.length > 0 ? [`${runs(failedDays)} that came late and failed (${dayList(failedDays)})`] : []),
  ].join(' and ');
  return {
    consequence: `Of its ${plural(expected.length, 'missed start')}, ${came.size} came late (${dayList(cameDays)}): what ${they} produced exists, later than expected. For ${missing}: ${lowerFirst(known.consequence)}`,
    correctiveAction: `For ${missing}: ${lowerFirst(known.correctiveAction)} For ${came.size === 1 ? 'the run' : 'the runs'} that came late (${dayList(cameDays)}): ${lowerFirst(lateAction)}`,
    notes,
  };
}
