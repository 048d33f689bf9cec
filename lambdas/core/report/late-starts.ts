import { EARLY_MS, expectedSlots } from '../job-reducer.ts';
import { earlyAllowance, formatGrace, onTimeWithinMs } from '../../detectors/missed-run.ts';
import type { RunRecord } from '../../ports.ts';
import { type Finding, isoTime } from '../findings.ts';
import { plural, shortTime } from './format.ts';
import { keptStartsOf } from './late-runs.ts';

/**
 * A missed start whose run came after all: it started past the grace time, before the next expected
 * start opened, so the sweep judged the slot missed (and the report keeps it so), but the run did
 * come, late.
 */
export interface LateStart {
  /** The expected start the finding is about. */
  readonly expectedAt: string;
  /** When the late run started. */
  readonly startedAt: string;
  /** The late run's record; absent for a run known only from the job's kept starts (a cron `CMD` line). */
  readonly runId?: string;
  /** How long after the expected start a run counted as on time (the grace time, at least its minute). */
  readonly withinMs: number;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

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
  const starts = [
    ...runs.filter((r) => r.status === 'started' || r.duration_ms !== undefined).map((r) => ({ at: Date.parse(r.ts) - (r.status === 'started' ? 0 : (r.duration_ms ?? 0)), runId: r.run_id })),
    ...(kept?.starts ?? []).filter((t) => !keptEnds.has(t)).map((at) => ({ at, runId: undefined })),
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

function lateStartOf(f: Finding, starts: readonly { at: number; runId: string | undefined }[]): LateStart | undefined {
  const expectedAt = f.expected_at ?? text(f.evidence?.expected_at);
  const schedule = text(f.evidence?.schedule);
  const graceMinutes = count(f.evidence?.grace_minutes);
  if (expectedAt === undefined || schedule === undefined || graceMinutes === undefined) return undefined;
  const expected = Date.parse(expectedAt);
  if (Number.isNaN(expected)) return undefined;
  let next: number | undefined;
  try {
    next = expectedSlots(schedule, text(f.evidence?.timezone), expected - 1, expected).following[0];
  } catch {
    return undefined;
  }
  if (next === undefined) return undefined;
  const withinMs = onTimeWithinMs(graceMinutes * 60_000);
  // Nearer the missed start than the next one (a run just before the next start is that one's, early,
  // not this one's, late), and before the next slot opens, its early allowance before its expected time.
  const until = Math.min(expected + (next - expected) / 2, next - earlyAllowance(next, expected, EARLY_MS));
  const run = starts.find((s) => s.at > expected + withinMs && s.at < until);
  return run && { expectedAt: isoTime(expected), startedAt: isoTime(run.at), ...(run.runId !== undefined ? { runId: run.runId } : {}), withinMs };
}

/** Days listed (up to 8, then how many more). */
function dayList(days: readonly string[]): string {
  const shown = days.slice(0, 8).join(', ');
  return days.length > 8 ? `${shown} and ${days.length - 8} more` : shown;
}

const lowerFirst = (s: string) => `${s[0].toLowerCase()}${s.slice(1)}`;

/**
 * A missed-run card's Consequence and Corrective action when some of its missed starts came late
 * (`lateStartsOf`): a late run's output exists and nothing needs starting by hand, so the detector's
 * "does not exist" and "start the job by hand" are said of the starts no run came for only; and one
 * note per late run (up to 8), saying when it started and how far past its grace time.
 */
export function lateStartCard(
  findings: readonly Finding[],
  late: ReadonlyMap<string, LateStart>,
  known: { readonly consequence: string; readonly correctiveAction: string },
): { consequence: string; correctiveAction: string; notes: string[] } | undefined {
  if (late.size === 0) return undefined;
  const expected = [...new Set(findings.map((f) => f.expected_at ?? text(f.evidence?.expected_at)).filter((e): e is string => e !== undefined))].sort();
  const lateDays = [...new Set([...late.keys()].sort().map((e) => e.slice(0, 10)))];
  const missingDays = [...new Set(expected.filter((e) => !late.has(e)).map((e) => e.slice(0, 10)))];
  const they = late.size === 1 ? 'it' : 'they';
  const lateConsequence = `${late.size === 1 ? 'The run' : 'The runs'} came past the grace time rather than not at all: what ${they} produced exists, later than expected, so anything that used it at its usual time had the one before.`;
  const lateAction =
    'Find out why it started late (a busy or restarted host, a queue, a job before it that ran long, a clock off), or raise `grace_minutes` if a start that late is fine; nothing needs starting by hand for a run that came.';
  const notes = [...late.values()]
    .sort((a, b) => a.expectedAt.localeCompare(b.expectedAt))
    .slice(0, 8)
    .map((l) => {
      const pastMs = Date.parse(l.startedAt) - Date.parse(l.expectedAt) - l.withinMs;
      return `The run expected ${shortTime(l.expectedAt)} came late: ${l.runId !== undefined ? `${l.runId} ` : ''}started ${shortTime(l.startedAt)}, ${formatGrace(pastMs)} past its ${formatGrace(l.withinMs)} grace time.`;
    });
  if (late.size > 8) notes.push(`${plural(late.size - 8, 'more run')} came late.`);
  if (missingDays.length === 0) return { consequence: lateConsequence, correctiveAction: lateAction, notes };
  const missing = `${missingDays.length === 1 ? 'the run' : 'the runs'} that never came (${dayList(missingDays)})`;
  return {
    consequence: `Of its ${plural(expected.length, 'missed start')}, ${late.size} came late (${dayList(lateDays)}): what ${they} produced exists, later than expected. For ${missing}: ${lowerFirst(known.consequence)}`,
    correctiveAction: `For ${missing}: ${lowerFirst(known.correctiveAction)} For ${late.size === 1 ? 'the run' : 'the runs'} that came late (${dayList(lateDays)}): ${lowerFirst(lateAction)}`,
    notes,
  };
}
