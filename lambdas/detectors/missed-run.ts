import { isoTime } from '../core/findings.ts';
import { localTimeNote } from '../core/wall-clock.ts';
import type { AbsenceDetector } from './types.ts';

/**
 * How early a run may be for an expected time and still belong to it: `earlyMs` (clock skew), but
 * never more than half the time since the expected time before it (`previous`, undefined when
 * unknown or long before), so a run on time for one minute of a job every minute is not taken as
 * early for a later one.
 */
export function earlyAllowance(expected: number, previous: number | undefined, earlyMs: number): number {
  return previous === undefined ? earlyMs : Math.min(earlyMs, (expected - previous) / 2);
}

/** cron starts a job in the minute of its expected time, seconds into it on a busy host. */
const START_MINUTE_MS = 60_000;

/**
 * How long after an expected time a run may start and count for it: the grace time, but never less
 * than the expected minute itself, so with `grace_minutes: 0` (or under a minute) a run that started
 * within its minute (00:10:01 for 00:10) is on time, not missed. Every judgement of a start's
 * lateness (this detector, the sweep's judgedUntil, find_overdue) uses this bound.
 */
export function onTimeWithinMs(graceMs: number): number {
  return Math.max(graceMs, START_MINUTE_MS);
}

/**
 * The expected times no run started for. Each run belongs to one slot of the schedule: that of
 * the latest expected time it is not more than its early allowance before (`earlyAllowance`; the
 * expected time before the first is `previous`), and it counts for it if it started within
 * `graceMs` after it (at least within its minute: onTimeWithinMs). A run known only from its end (`startsFromEnd`: those of `starts` that are
 * ends with no duration) started at some time before it, on time or not: it counts for its slot
 * however long after the expected time it ended. A slot without a run of its own takes the first run of the
 * next slot when that one had two or more and the first is within its grace (a late run). Slots
 * sharing one expected time (cron's catch-up runs at a change forward) take its runs first come,
 * first filled (`firstFreeAtSameTime`). So a
 * run is never counted for two expected times, by one judgement or by two (the sweep judges
 * each expected time once, later ones in later sweeps, from the same start times): a job whose
 * period is shorter than its grace has each missed run reported at its own time.
 */
export function unmatchedExpected(...args: Parameters<typeof runsCounted>): number[] {
  const counted = runsCounted(...args);
  return args[0].filter((_, i) => counted[i].length === 0);
}

/**
 * The times of `starts` that count for each of `expected` (ascending; empty when it was missed), by
 * the rule of `unmatchedExpected`, with the same arguments: the one place that rule is written.
 */
export function runsCounted(
  expected: readonly number[],
  following: readonly number[],
  starts: readonly number[],
  earlyMs: number,
  graceMs: number,
  previous?: number,
  startsFromEnd: readonly number[] = [],
): number[][] {
  const slots = [...expected, ...following];
  if (expected.length === 0) return [];
  const withinMs = onTimeWithinMs(graceMs);
  const opens = slots.map((t, i) => t - earlyAllowance(t, i > 0 ? slots[i - 1] : previous, earlyMs));
  const sorted = [...starts].sort((a, b) => a - b);
  // How many of the times at each value are ends (a time may be kept twice).
  const ends = new Map<number, number>();
  for (const t of startsFromEnd) ends.set(t, (ends.get(t) ?? 0) + 1);
  const isEnd = (t: number): boolean => {
    const n = ends.get(t);
    if (!n) return false;
    ends.set(t, n - 1);
    return true;
  };
  // The runs of each slot, on time for it (ascending).
  const own: number[][] = slots.map(() => []);
  let slot = 0;
  for (const s of sorted) {
    if (s < opens[0]) continue;
    while (slot + 1 < slots.length && opens[slot + 1] <= s) slot++;
    if (slot === slots.length - 1 && slot >= expected.length) break;
    if (isEnd(s) || s <= slots[slot] + withinMs) own[firstFreeAtSameTime(slots, own, slot)].push(s);
  }
  for (let i = 0; i < expected.length; i++) {
    const next = own[i + 1];
    if (own[i].length === 0 && next !== undefined && next.length >= 2 && next[0] <= expected[i] + withinMs) own[i].push(next.shift()!);
  }
  return own.slice(0, expected.length);
}

/**
 * The first slot at the expected time of `slot` that has no run yet, else `slot`: cron's catch-up
 * runs at a change forward (one for each skipped time) share one expected time, and each fills one.
 */
function firstFreeAtSameTime(slots: readonly number[], own: readonly number[][], slot: number): number {
  let first = slot;
  for (let k = slot - 1; k >= 0 && slots[k] === slots[slot]; k--) if (own[k].length === 0) first = k;
  return first;
}

/**
 * The evidence's `last_run_at`: the latest start before the missed time, from the kept start times,
 * else the job's last run when that was before it. A run after it is no answer to "when did it last
 * run?": a sweep may judge a slot after the next run came (a scan's sweep after a quiet day, the
 * deployed sweep after a late delivery).
 */
function lastRunBefore(expected: number, starts: readonly number[], lastRunAt: number | undefined): { last_run_at?: string } {
  let latest: number | undefined;
  for (const s of starts) if (s < expected && (latest === undefined || s > latest)) latest = s;
  if (latest === undefined && lastRunAt !== undefined && lastRunAt < expected) latest = lastRunAt;
  return latest === undefined ? {} : { last_run_at: isoTime(latest) };
}

/**
 * A grace time for a message: whole minutes as such ("15 min"), less than a minute in seconds
 * ("36 s"), else in minutes to two decimals ("1.5 min"). Only for display: the evidence keeps
 * `grace_minutes` exact, as the report re-judges the finding with it.
 */
export function formatGrace(graceMs: number): string {
  if (graceMs % 60_000 === 0) return `${graceMs / 60_000} min`;
  if (graceMs < 60_000) return `${Number((graceMs / 1000).toFixed(1))} s`;
  return `${Number((graceMs / 60_000).toFixed(2))} min`;
}

/** Why a configured job may never have been seen, for the message of its missed runs. */
const NEVER_SEEN_CAUSES =
  'its name in the config may differ from the one its lines give, its log group may not be subscribed, or it has not run since';

export const missedRunDetector: AbsenceDetector = {
  kind: 'absence',
  meta: {
    id: 'missed-run',
    description: "The job's schedule expected a start and none came within the grace time.",
    subjectKind: 'job',
    defaultSeverity: 'high',
    fiveCs: {
      criteria:
        'Every start the schedule expects (cron expression, in its time zone) must be followed by a run start within `grace_minutes` ({{grace_minutes}}); a run known only from its end, with no duration, counts when it ended before the next expected start.',
      cause:
        'The scheduler did not fire (crontab edited or lost in a redeploy, timer disabled, host down or replaced), the job was paused and never resumed, or its logs stopped reaching CloudWatch.',
      consequence: 'Whatever the run should have produced does not exist: no backup, no report, no sync. Nothing fails, so nothing alerts.',
      correctiveAction:
        'Check the scheduler on the host (crontab -l, systemctl list-timers, the EventBridge rule), start the job by hand if its output is needed now, and check that its logs still reach the log group (or file) named on the Source line of the alert, where they were last seen.',
    },
  },
  check(input) {
    const drafts = [];
    // Runs cron makes together (at a change forward, one for each skipped time) share an expected time: it is reported once.
    for (const expected of new Set(unmatchedExpected(input.expected, input.following ?? [], input.starts, input.earlyMs, input.graceMs, input.previous, input.startsFromEnd))) {
      // A job in a zone other than UTC: its wall-clock time and offset too, after the UTC time (the record keeps UTC).
      const local = localTimeNote(input.timezone, expected);
      drafts.push({
        subject: input.job,
        ts: isoTime(expected),
        expected_at: isoTime(expected),
        message: `no run started within ${formatGrace(onTimeWithinMs(input.graceMs))} of the expected ${isoTime(expected)}${local}${input.schedule ? ` (schedule "${input.schedule}")` : ''}${
          input.unseenSince !== undefined ? `; nothing of ${input.job} has been seen since it was first watched at ${isoTime(input.unseenSince)}: ${NEVER_SEEN_CAUSES}` : ''
        }`,
        evidence: {
          expected_at: isoTime(expected),
          // Exact (not rounded): the monthly report re-judges the finding with it (late-runs.ts).
          grace_minutes: input.graceMs / 60_000,
          ...(input.schedule ? { schedule: input.schedule } : {}),
          ...(input.timezone ? { timezone: input.timezone } : {}),
          ...lastRunBefore(expected, input.starts, input.lastRunAt),
          ...(input.unseenSince !== undefined ? { never_seen_since: isoTime(input.unseenSince) } : {}),
        },
      });
    }
    return drafts;
  },
};
