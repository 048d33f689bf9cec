import { z } from 'zod';
import { EARLY_MS, type JobState, startsFromEndOf } from '../../core/job-reducer.ts';
import { onTimeWithinMs, unmatchedExpected } from '../../detectors/missed-run.ts';
import { isRetired } from '../../core/report/coverage.ts';
import { formatSpan } from '../../core/report/format.ts';
import { expectedStarts } from '../../core/schedule.ts';
import { graceMinutesOf } from '../../core/job-options.ts';
import { clockChangeSlack, jobLastSeenAt, jobSummaries, knownSubjects, lastStartOf, retirementAt, type ScheduleView, scheduleOf } from '../subjects.ts';
import { defineTool, isoOrNull, limitSchema, ScheduleSchema } from '../tool.ts';
import { compareNames } from '../../core/name-order.ts';

const MINUTE_MS = 60_000;
/** A cron schedule's missed starts counted at most: an every-minute job silent for weeks missed "1000 or more". */
const MAX_EXPECTED = 1000;

export interface Lateness {
  readonly nextExpectedAt: number;
  readonly lateByMs: number;
  /** Expected starts past their grace time since the last run: exact for a period, at most 1000 for a cron schedule. */
  readonly missed: number;
  /** Counting stopped at 1000 (a cron schedule): at least `missed` starts were missed, not exactly that many. */
  readonly missedTruncated: boolean;
}

/**
 * The first of a job's kept times after `now` that is a run's end with its start unknown
 * (`startsFromEnd`: logrotate's `ALERT exited abnormally` line): that run started at some time
 * before it, perhaps before `now`. Undefined when there is none.
 */
export function endAfter(state: JobState, now: number): number | undefined {
  return startsFromEndOf(state).find((t) => t > now);
}

/**
 * How late a job's next run is at `now`: the first start its schedule expected after the last run
 * (a run may start up to two minutes early and still count, as missed-run judges it), if that is
 * the grace time ago or more (the sweep judges a slot once it is at or before `now − grace`; an
 * hour more either way for a learned schedule: clockChangeSlack).
 * Undefined when the next run is not due yet. `laterEnd` (`endAfter`) is a run's end after `now`
 * whose start is unknown: as missed-run counts it, it answers the latest
 * expected start it is at most its early allowance after (however long after its grace time it
 * ended), so that start is not missed and, when it was the only one, the job is not late.
 */
export function latenessOf(schedule: ScheduleView, lastStart: number, graceMs: number, now: number, laterEnd?: number): Lateness | undefined {
  const slackMs = clockChangeSlack(schedule);
  // As the sweep: a start is due once its grace time, and its minute, are over (onTimeWithinMs).
  const dueAfterMs = onTimeWithinMs(graceMs);
  if (schedule.cron) {
    // One start more than is counted tells whether the count stopped short; the starts up to a later
    // run end tell which one that end counts for.
    const until = laterEnd === undefined ? now : Math.max(now, laterEnd + EARLY_MS);
    const expected = expectedStarts(schedule.cron, schedule.timezone, lastStart + EARLY_MS + slackMs, until, MAX_EXPECTED + 1);
    const next = expected[0];
    if (next === undefined || now - next < dueAfterMs + slackMs) return undefined;
    let missed = expected.filter((t) => t <= now - dueAfterMs - slackMs).length;
    const truncated = missed > MAX_EXPECTED;
    if (!truncated && countsForLastDue(expected[missed - 1], expected[missed], laterEnd)) missed--;
    if (missed === 0) return undefined;
    return { nextExpectedAt: next, lateByMs: now - next, missed: Math.min(missed, MAX_EXPECTED), missedTruncated: truncated };
  }
  if (!schedule.period_ms) return undefined;
  // A period's starts are evenly spaced: their count is exact, however many.
  const next = lastStart + schedule.period_ms;
  if (next > now || now - next < dueAfterMs + slackMs) return undefined;
  let missed = Math.floor((now - dueAfterMs - slackMs - lastStart) / schedule.period_ms);
  const lastDue = lastStart + missed * schedule.period_ms;
  if (countsForLastDue(lastDue, lastDue + schedule.period_ms, laterEnd)) missed--;
  if (missed === 0) return undefined;
  return { nextExpectedAt: next, lateByMs: now - next, missed, missedTruncated: false };
}

/**
 * Whether a run end after `now` (its start unknown, so counted however late) counts for `lastDue`,
 * the last expected start past its grace time, as missed-run counts it: unless the expected start
 * after it (`following`) is open by then.
 */
function countsForLastDue(lastDue: number, following: number | undefined, laterEnd: number | undefined): boolean {
  if (laterEnd === undefined) return false;
  return unmatchedExpected([lastDue], following === undefined ? [] : [following], [laterEnd], EARLY_MS, 0, undefined, [laterEnd]).length === 0;
}

export const findOverdueTool = defineTool({
  name: 'find_overdue',
  title: 'Find overdue jobs',
  description:
    'Jobs whose next expected run is late now: the schedule (configured, or inferred from their runs) expected a start after the last run, ' +
    'and none came within the grace time (for an inferred schedule, learned in the server’s --timezone, else UTC, an hour more either way when it runs every two hours or less often: a job in local time moves an hour when the clocks change). Gives how late, when it was expected and how many starts were missed (a cron schedule is counted up to 1000: missed_runs_truncated), most overdue first; ' +
    'and the scheduled jobs of the config that were never seen at all. A job not in the config with no run this month or the month before, silent for more than 3 × its usual gap between runs and with no finding the month before (renamed or no longer used), is listed as retired instead, by the monthly report’s rule (list_subjects says RETIRED). ' +
    'Each list is cut at limit (total, truncated; never_seen_total, never_seen_truncated; retired_total, retired_truncated).',
  inputSchema: {
    min_late_minutes: z.number().min(0).default(0).describe('only jobs later than this'),
    limit: limitSchema(100, 'overdue jobs (most overdue first) and as many jobs never seen'),
  },
  outputSchema: {
    now: z.string(),
    checked: z.number().describe('jobs with a schedule (configured or inferred)'),
    total: z.number().describe('overdue jobs later than min_late_minutes, before the limit'),
    truncated: z.boolean().describe('more overdue jobs than the limit: the most overdue are listed'),
    overdue: z.array(
      z.object({
        subject: z.string(),
        schedule: ScheduleSchema,
        grace_minutes: z.number(),
        last_run_at: z.string().describe('when its last run at or before now started (as list_subjects gives it)'),
        next_expected_at: z.string(),
        late_by_ms: z.number(),
        late_by: z.string().describe('in words: 6.4 days, 10.0 h'),
        missed_runs: z.number().describe('expected starts past their grace time since the last run; a cron schedule is counted up to 1000'),
        missed_runs_truncated: z.boolean().describe('counting stopped at 1000: at least missed_runs starts were missed'),
      }),
    ),
    never_seen: z.array(z.object({ subject: z.string(), schedule: ScheduleSchema })),
    never_seen_total: z.number().describe('scheduled jobs never seen, before the limit'),
    never_seen_truncated: z.boolean(),
    retired: z
      .array(z.object({ subject: z.string(), last_run_at: z.string() }))
      .describe('jobs not in the config whose last run was before the month before now’s, silent for more than 3 × their usual gap between runs, with no finding in that month (renamed or no longer used), as the monthly report lists them retired: not overdue; at most `limit`'),
    retired_total: z.number().describe('jobs retired, before the limit'),
    retired_truncated: z.boolean(),
  },
  async run(view, args) {
    const now = view.now();
    const subjects = (await knownSubjects(view)).filter((s) => s.kind === 'job');
    const summaries = await jobSummaries(view, subjects);
    const overdue = [];
    const neverSeen = [];
    const retired = [];
    // By the report's coverage rule (`isRetired`): not in the config, no run this month or the month
    // before, silent for more than 3 × its rhythm, and no finding of it the month before (made by `now`).
    const retirement = retirementAt(view, now);
    // Read only once a job may be retired (most calls have none).
    let retirable: Promise<(kind: string, name: string) => boolean> | undefined;
    let checked = 0;
    for (const s of subjects) {
      const schedule = scheduleOf(summaries.get(s.name), s.name, view);
      if (!schedule) continue;
      checked++;
      const lastStart = s.state ? lastStartOf(s.state as JobState, now) : 'never';
      if (lastStart === 'never') {
        neverSeen.push({ subject: s.name, schedule });
        continue;
      }
      // Every start it kept is after `now`: how late it was then cannot be told.
      if (lastStart === undefined) continue;
      const graceMinutes = graceMinutesOf(view.config, s.name);
      const late = latenessOf(schedule, lastStart, graceMinutes * MINUTE_MS, now, s.state ? endAfter(s.state as JobState, now) : undefined);
      // Its last sighting by now, as list_subjects gives the report's coverage it.
      const lastSeen = jobLastSeenAt(s.state as JobState, lastStart, now);
      if (!s.configured && isRetired('job', s.name, s.state, lastSeen, retirement.retireBefore, now, []) && (await (retirable ??= retirement.unnamed()))('job', s.name)) {
        retired.push({ subject: s.name, last_run_at: isoOrNull(lastStart)! });
        continue;
      }
      if (!late || late.lateByMs < args.min_late_minutes * MINUTE_MS) continue;
      overdue.push({
        subject: s.name,
        schedule,
        grace_minutes: graceMinutes,
        last_run_at: isoOrNull(lastStart)!,
        next_expected_at: isoOrNull(late.nextExpectedAt)!,
        late_by_ms: late.lateByMs,
        late_by: formatSpan(late.lateByMs),
        missed_runs: late.missed,
        missed_runs_truncated: late.missedTruncated,
      });
    }
    overdue.sort((a, b) => b.late_by_ms - a.late_by_ms || compareNames(a.subject, b.subject));
    return {
      result: {
        now: isoOrNull(now)!,
        checked,
        total: overdue.length,
        truncated: overdue.length > args.limit,
        overdue: overdue.slice(0, args.limit),
        never_seen: neverSeen.slice(0, args.limit),
        never_seen_total: neverSeen.length,
        never_seen_truncated: neverSeen.length > args.limit,
        retired: retired.slice(0, args.limit),
        retired_total: retired.length,
        retired_truncated: retired.length > args.limit,
      },
    };
  },
});
