import { Cron, type CronOptions } from 'croner';
import { MONTHS, utcDay } from './parse-time.ts';
import { median } from './stats.ts';
import { ordinal } from './ordinal.ts';
import { unmatchedExpected } from '../detectors/missed-run.ts';
import { wallTime } from './wall-clock.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A croner schedule read with cron's day rule. Vixie cron and cronie run a job on a day that
 * matches its day of month OR its day of week only when both fields are restricted, neither
 * starting with `*`; when either starts with `*` (`*`, `*\/2`), the day must match both. croner
 * ORs them unless a field is exactly `*`, so `0 0 *\/2 * 1-5` would run on every weekday and on odd
 * weekend days; cron runs it on odd-numbered weekdays. `?` (croner's wildcard) counts as `*`. A
 * seconds field first (6 or 7 fields) shifts the day fields by one; an @-macro has a `*` day field.
 */
export function cronOf(schedule: string, options: CronOptions = {}): Cron {
  const fields = schedule.trim().split(/\s+/);
  const [dayOfMonth, dayOfWeek] = fields.length >= 6 ? [fields[3], fields[5]] : [fields[2], fields[4]];
  const unrestricted = (field: string | undefined) => field === undefined || field.startsWith('*') || field === '?';
  return new Cron(schedule, { ...options, domAndDow: unrestricted(dayOfMonth) || unrestricted(dayOfWeek) });
}

/** No zone's clock goes back by more than this: a window looks back over it for the wall times it repeats. */
const CLOCK_BACK_MAX_MS = 3 * HOUR;

/**
 * The times a cron schedule expects a start in `(after, until]`, in its time zone (DST-correct:
 * croner computes wall-clock times), at most `limit` of them. When the clock goes back, a
 * fixed-time schedule (`0 2,3 * * *`, `15 1-6 * * *`) is expected once at a repeated wall time,
 * the first: cron runs only jobs whose minute or hour field starts with `*` again in the repeated
 * hour, and croner would name the repeated time of a range or a list twice. When the clock goes
 * forward, a fixed-time schedule is expected at the change once for each wall time it names in the
 * skipped interval (`0,30 1 * * *` in Europe/London twice at 01:00Z on 29 March 2026): cron (Vixie,
 * cronie) runs fixed-time jobs once for each skipped minute they match, right after the change,
 * while croner maps some such times to the change and drops others (those of a list or a range).
 */
export function expectedStarts(schedule: string, timezone: string | undefined, after: number, until: number, limit = 1000): number[] {
  const zone = timezone ?? 'UTC';
  const runs = cronRuns(schedule, zone);
  const wallTimes = isFixedTime(schedule) && zone !== 'UTC' ? new Set<number>() : undefined;
  const times: number[] = [];
  // The times just before the window are read too, so that a repeat of one of them is known.
  let cursor = wallTimes ? after - CLOCK_BACK_MAX_MS : after;
  let offset = wallTimes ? runs.wallTime(cursor) - cursor : 0;
  while (times.length < limit) {
    const next = runs.nextAfter(cursor);
    if (next === undefined) break;
    if (wallTimes) {
      const wall = runs.wallTime(next);
      const skipped = wall - next > offset ? clockForward(schedule, zone, cursor, next) : undefined;
      offset = wall - next;
      if (skipped) {
        for (let i = 0; i < skipped.runs && times.length < limit; i++) if (skipped.at > after && skipped.at <= until) times.push(skipped.at);
        // A time croner gave for a wall time the change skipped is one of those runs.
        if (!skipped.matchesNext) {
          if (next > until) break;
          cursor = next;
          continue;
        }
      }
      if (next > until || times.length >= limit) break;
      cursor = next;
      if (wallTimes.has(wall)) continue;
      wallTimes.add(wall);
    } else {
      if (next > until) break;
      cursor = next;
    }
    if (next > after) times.push(next);
  }
  return times;
}

/**
 * The clock change forward in `(from, to]` of a zone and how many of the wall times it skipped a
 * fixed-time schedule names (each run once by cron at the change), and whether the schedule names
 * the wall time at `to` (a time croner gives at the change may stand for a skipped one instead).
 */
function clockForward(schedule: string, zone: string, from: number, to: number): { at: number; runs: number; matchesNext: boolean } {
  const at = clockChangeIn(zone, from, to);
  const wallBefore = wallTime(zone, at - MINUTE) + MINUTE;
  const wallAfter = wallTime(zone, at);
  // The schedule read on wall times written as UTC times.
  const wallClockCron = cronFor(`UTC ${schedule}`, schedule, 'UTC');
  let runs = 0;
  for (let wall = wallBefore; wall < wallAfter; wall += MINUTE) if (wallClockCron.match(new Date(wall))) runs++;
  return { at, runs, matchesNext: wallClockCron.match(new Date(wallTime(zone, to))) };
}

/**
 * A sweep judges every job each hour, asking for the same next runs again: building a croner
 * instance and computing a zoned time is costly. Both are kept, bounded as the Lambda shares them
 * (least recently used dropped): the times of SCHEDULES_WITH_TIMES schedules (a cron and its zone),
 * TIMES_CACHED_PER_SCHEDULE each (a few hundred bytes), and the croner instances of
 * CRONS_CACHED (each holds ~80 KB: a table of 10,000 years), needed only for a time not kept.
 */
const SCHEDULES_WITH_TIMES = 1000;
const TIMES_CACHED_PER_SCHEDULE = 16;
const CRONS_CACHED = 64;
const cachedCronRuns = new Map<string, CronRuns>();
const cachedCrons = new Map<string, Cron>();

/**
 * The next run after a time of a schedule in a zone, and a run's wall-clock time, memoized: the
 * same as croner's nextRun, which depends on the time it is given only (never on the clock).
 */
interface CronRuns {
  nextAfter(t: number): number | undefined;
  /** The zone's wall-clock time at a time, as the UTC time that reads the same (wallTime). */
  wallTime(t: number): number;
}

function cronRuns(schedule: string, zone: string): CronRuns {
  const key = `${zone} ${schedule}`;
  const cached = recentlyUsed(cachedCronRuns, key);
  if (cached) return cached;
  const next = new Map<number, number | undefined>();
  const walls = new Map<number, number>();
  // croner is asked until a schedule has been asked often enough for its day's times to pay (dayTimesOf).
  let asked = 0;
  const runs: CronRuns = {
    nextAfter: (t) =>
      memoized(next, t, () => {
        const byDay = ++asked > ASKED_BEFORE_DAY_TIMES ? nextRunOfEveryDay(schedule, zone, t, runs.wallTime) : undefined;
        return byDay ?? cronFor(key, schedule, zone).nextRun(new Date(t))?.getTime();
      }),
    wallTime: (t) => memoized(walls, t, () => wallTime(zone, t)),
  };
  keep(cachedCronRuns, key, runs, SCHEDULES_WITH_TIMES);
  return runs;
}

/**
 * A schedule that names every day (its day-of-month, month and day-of-week fields `*`) starts at
 * the same times of each day's wall clock: its times of one day, read from croner once, give the
 * next run after any time by arithmetic (nextByDayTimes), where croner takes ~80 µs a run (a job
 * every hour judged over the 20 years between two files asked it 181,544 times). Asked of a
 * schedule only after ASKED_BEFORE_DAY_TIMES runs (a sweep asks one or two), for at most
 * MAX_DAY_TIMES a day (a job every minute); kept with the croner instances (CRONS_CACHED).
 */
const ASKED_BEFORE_DAY_TIMES = 64;
const MAX_DAY_TIMES = 1440;
const cachedDayTimes = new Map<string, readonly number[] | null>();

/** The times of a day a schedule that names every day starts at, in ms after its midnight (ascending); undefined for another schedule or more than MAX_DAY_TIMES. */
function dayTimesOf(schedule: string): readonly number[] | undefined {
  const cached = recentlyUsed(cachedDayTimes, schedule);
  if (cached !== undefined) return cached ?? undefined;
  const fields = schedule.trim().split(/\s+/);
  const everyDay = (fields.length === 5 || fields.length === 6) && fields.slice(-3).every((f) => f === '*' || f === '?');
  let times: number[] | null = null;
  if (everyDay) {
    const cron = cronOf(schedule, { timezone: 'UTC', paused: true });
    const midnight = Date.UTC(2001, 0, 1);
    times = [];
    for (let t = cron.nextRun(new Date(midnight - 1))?.getTime(); t !== undefined && t < midnight + DAY; t = cron.nextRun(new Date(t))?.getTime()) {
      if (times.length === MAX_DAY_TIMES) {
        times = null;
        break;
      }
      times.push(t - midnight);
    }
    if (times?.length === 0) times = null;
  }
  keep(cachedDayTimes, schedule, times, CRONS_CACHED);
  return times ?? undefined;
}

/**
 * The next run after `t` of a schedule that names every day, in `zone`, by its times of a day
 * (dayTimesOf, nextByDayTimes): the time croner's nextRun gives. Undefined for another schedule,
 * or near a clock change of the zone: croner is asked then.
 */
function nextRunOfEveryDay(schedule: string, zone: string, t: number, wallTimeOf: (at: number) => number): number | undefined {
  const day = dayTimesOf(schedule);
  return day && nextByDayTimes(day, zone, t, wallTimeOf);
}

/**
 * The next run after `t` of a schedule starting at `day` times of every day (dayTimesOf) in `zone`,
 * as croner's nextRun gives it: the first such wall time after `t`'s. Undefined (ask croner) when the
 * zone's offset is not the same from CLOCK_BACK_MAX_MS before `t` to as long after that run: near a
 * clock change, croner's reading of the skipped or repeated wall times is kept.
 */
function nextByDayTimes(day: readonly number[], zone: string, t: number, wallTimeOf: (t: number) => number): number | undefined {
  const offset = zone === 'UTC' ? 0 : wallTimeOf(t) - t;
  const wall = t + offset;
  const midnight = Math.floor(wall / DAY) * DAY;
  const since = wall - midnight;
  // The first of the day's times after `since` (binary search).
  let [i, hi] = [0, day.length];
  while (i < hi) {
    const mid = (i + hi) >> 1;
    if (day[mid] <= since) i = mid + 1;
    else hi = mid;
  }
  const next = (i < day.length ? midnight + day[i] : midnight + DAY + day[0]) - offset;
  if (zone === 'UTC') return next;
  const steady = steadySpans.get(zone);
  if (steady && steady.offset === offset && steady.from <= t - CLOCK_BACK_MAX_MS && next + CLOCK_BACK_MAX_MS <= steady.to) return steady.croners ? undefined : next;
  // The offset at both ends of a span from CLOCK_BACK_MAX_MS before `t` (two days long, else to as
  // long after the run): no zone changes its clock twice in it.
  const from = t - CLOCK_BACK_MAX_MS;
  if (wallTime(zone, from) - from !== offset) return undefined;
  for (const to of [t + 2 * DAY, next + CLOCK_BACK_MAX_MS]) {
    if (to < next + CLOCK_BACK_MAX_MS || wallTime(zone, to) - to !== offset) continue;
    // wallTime reads the offset to the minute: an offset with seconds (Monrovia's −0:44:30 until 1972) is croner's, its span too.
    const croners = offsetHasSeconds(zone, from);
    steadySpans.set(zone, { from, to, offset, croners });
    return croners ? undefined : next;
  }
  return undefined;
}

/** Whether a zone's offset from UTC at `t` is not a whole number of minutes (LMT and some zones' offsets before 1973). */
function offsetHasSeconds(zone: string, t: number): boolean {
  let formatter = secondsFormatters.get(zone);
  if (!formatter) secondsFormatters.set(zone, (formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, second: 'numeric' })));
  return Number(formatter.format(new Date(t))) !== new Date(t).getUTCSeconds();
}
const secondsFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The latest span of each zone found with one offset (nextByDayTimes), so that its runs in it are not
 * checked again; `croners` when that offset has seconds, so that its runs are croner's.
 */
const steadySpans = new Map<string, { readonly from: number; readonly to: number; readonly offset: number; readonly croners: boolean }>();

function cronFor(key: string, schedule: string, zone: string): Cron {
  const cached = recentlyUsed(cachedCrons, key);
  if (cached) return cached;
  const cron = cronOf(schedule, { timezone: zone, paused: true });
  keep(cachedCrons, key, cron, CRONS_CACHED);
  return cron;
}

/** A map's value for a key, marked as the most recently used. */
function recentlyUsed<K, V>(map: Map<K, V>, key: K): V | undefined {
  const value = map.get(key);
  if (value !== undefined) {
    map.delete(key);
    map.set(key, value);
  }
  return value;
}

/** Sets a value, dropping the least recently used past `max`. */
function keep<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

/** A value of `times` (least recently used dropped past TIMES_CACHED_PER_SCHEDULE), computed when it has none. */
function memoized<T>(times: Map<number, T>, t: number, compute: () => T): T {
  if (times.has(t)) {
    const value = times.get(t) as T;
    times.delete(t);
    times.set(t, value);
    return value;
  }
  const value = compute();
  keep(times, t, value, TIMES_CACHED_PER_SCHEDULE);
  return value;
}

/** The last time a cron schedule expected a start before `before`, in its time zone (UTC when none); undefined when it names none in the SCHEDULE_HORIZON_YEARS before. */
export function lastExpectedStart(schedule: string, timezone: string | undefined, before: number): number | undefined {
  const zone = timezone ?? 'UTC';
  const last = cronFor(`${zone} ${schedule}`, schedule, zone).previousRuns(1, new Date(before))[0];
  return last !== undefined && before - last.getTime() <= SCHEDULE_HORIZON_YEARS * 365.25 * DAY ? last.getTime() : undefined;
}

/** Whether a schedule names fixed times of day: its minute and hour fields are no wildcard (`@hourly` is `0 * * * *`). */
function isFixedTime(schedule: string): boolean {
  const text = schedule.trim().toLowerCase();
  if (text.startsWith('@')) return text !== '@hourly';
  const [minute = '*', hour = '*'] = text.split(/\s+/);
  return !minute.startsWith('*') && !hour.startsWith('*');
}

/** A schedule learned from history, for a user to copy into the config. */
export interface InferredSchedule {
  readonly period_ms: number;
  /** `every 1 h`, `every 15 min`, `daily`, `weekly`, `monthly`, `yearly` (the last two only with their cron). */
  readonly period: string;
  /** A cron expression (UTC, or in `timezone`) that fits the observed starts, when one does. */
  readonly cron?: string;
  /** Share of intervals within tolerance of the period. */
  readonly regularity: number;
  readonly samples: number;
  /**
   * With `cron` (one cron says, not a calendar one): how late, in whole minutes, the latest start
   * came after its expected time (in `timezone` when one is named), among the starts within the
   * period's tolerance (10%) of it (a run by hand at another time is not counted); from 20 runs on,
   * all but the latest one in twenty (typicalLateness: a lone run held up is no usual lateness). Runs started up
   * to 20 min late at random (a RandomizedDelaySec) need a `grace_minutes` above it: suggestedGraceMinutes.
   */
  readonly lateMinutes?: number;
  /**
   * A daily job's UTC weekdays (0 = Sunday) that `cron` leaves out although each came only once
   * in the starts' span (read as a weekend): one week seen, so the job may as well run every day
   * and have missed them. Absent when there are none.
   */
  readonly restDaysSeenOnce?: readonly number[];
  /**
   * A daily job's UTC weekdays that `cron` keeps although the one time each came in the starts'
   * span it had no run (a missed run as likely as a day of rest: a Mon–Sat job seen for under two
   * weeks), with the cron that would leave them out. Absent when there are none.
   */
  readonly keptUnseenOnce?: { readonly days: readonly number[]; readonly cronWithout: string };
  /**
   * The zone `cron` (and the weekdays above) is in, when the starts moved by exactly an hour in UTC
   * and this zone's clock change explains it (every start at one wall time in it): a host on local
   * time. Absent when `cron` is in UTC.
   */
  readonly timezone?: string;
  /**
   * With `timezone`: the date (in it) of the last clock change the starts span; other zones that fit
   * as well at another wall time, with their crons (up to three, one per cron); and how many more zones fit.
   */
  readonly clockChange?: { readonly on: string; readonly alternatives: readonly { readonly timezone: string; readonly cron: string }[]; readonly moreZones: number };
  /**
   * The starts moved by exactly an hour in UTC, once, and no zone's clock change explains it: no
   * `cron` then (either UTC time would report the other's runs missed). The UTC date of the first
   * start at the new time, the times of day before and after (`00:30`), and the cron of the starts since.
   */
  readonly movedAnHour?: { readonly on: string; readonly from: string; readonly to: string; readonly cronAfter?: string };
  /**
   * The starts moved to another time of their period by more than an hour (no clock change moves
   * them so), and the latest MIN_MOVED_RUNS or more kept the new time: `cron` is learned from the
   * starts since (`runs` of them), at the new time. The UTC date of the first start at it, and the
   * times of day (of the period, for a period under a day) before and after (`05:00`, `07:00`).
   */
  readonly moved?: { readonly on: string; readonly from: string; readonly to: string; readonly runs: number };
  /**
   * For a period no cron says (`every 90 min`) but a multiple of it does (every 3 h, a divisor of a
   * day): the cron of that multiple at the runs' time, which expects every `everyNth` run only (the
   * others go unjudged), for a schedule to write.
   */
  readonly coarser?: { readonly cron: string; readonly period: string; readonly everyNth: number };
  /**
   * The cron the runs' period suggested, not given as `cron` as it does not fit the runs it was
   * learned from (`fitOfCron`): over their span it expects `expected` starts, of which only `seen`
   * had a run (a job run in a window of hours or days that no window learned fits), or the first
   * start seen (`firstStart`, before the starts kept) is at no time of it (runs that moved).
   */
  readonly unfit?: { readonly cron: string; readonly timezone?: string; readonly expected: number; readonly seen: number; readonly firstStart?: number };
}

/** What is known of all the starts of a job, beyond the recent ones kept: the first seen, how many, and the earliest few (oldest first). */
export interface StartsSeen {
  readonly firstStart: number;
  readonly starts: number;
  readonly earliest?: readonly number[];
}

function mode(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
}

function describePeriod(ms: number): string {
  if (ms === DAY) return 'daily';
  if (ms === 7 * DAY) return 'weekly';
  if (ms % HOUR === 0) return `every ${ms / HOUR} h`;
  return `every ${Math.round(ms / MINUTE)} min`;
}

interface DaysOfWeek {
  readonly field: string;
  readonly restDaysSeenOnce: number[];
  /** Weekdays without a run, seen once, kept in the field; and the field without them. */
  readonly keptUnseenOnce: number[];
  readonly fieldWithout: string;
}

/** A day-of-week field for these weekdays: `*` for all seven, else ranges (`1-5`, `0,2-4`). */
function weekdayField(weekdays: ReadonlySet<number>): string {
  return weekdays.size === 7 ? '*' : rangesField(weekdays);
}

/** A cron field naming these values as ranges of consecutive ones (`1-5`, `0-2,4-23`). */
function rangesField(values: Iterable<number>): string {
  const sorted = [...values].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    ranges.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j;
  }
  return ranges.join(',');
}

/**
 * The day-of-week field that fits a daily job's starts: the UTC weekdays they fall on (`1-6` for a
 * job that rests on Sundays, `0-4` for one at 00:30 Berlin time on weekdays), `*` when all seven
 * occur. A weekday without a run is left out when the starts span at least two of it, or when it
 * is one of exactly two days in a row without a run (a weekend); any other weekday without a run,
 * seen once, is as likely a missed run (or an outage) as a day of rest, and a schedule learned
 * without it would never report that day missed (so it stays in).
 */
function daysOfWeek(starts: readonly number[]): DaysOfWeek {
  if (starts[starts.length - 1] - starts[0] < 6 * DAY - HOUR) return { field: '*', restDaysSeenOnce: [], keptUnseenOnce: [], fieldWithout: '*' };
  const seen = new Set(starts.map((t) => new Date(t).getUTCDay()));
  // How many times each weekday comes between the first start and the last (the day of each, at the runs' time).
  const turns = new Array<number>(7).fill(0);
  for (let day = starts[0]; day <= starts[starts.length - 1] + HOUR; day += DAY) turns[new Date(day).getUTCDay()]++;
  // Days without a run come in blocks of consecutive weekdays (around the week's wrap too). A day
  // seen once is left out only in a block of exactly two (a weekend); alone, or in a block of three or
  // more (an outage, a weekend and a missed run beside it), it stays in.
  const rests = (d: number) => !seen.has(d);
  const blockOf = (d: number) => {
    let size = 1;
    for (let e = (d + 1) % 7; rests(e) && e !== d; e = (e + 1) % 7) size++;
    for (let e = (d + 6) % 7; rests(e) && e !== d; e = (e + 6) % 7) size++;
    return size;
  };
  const unsure = [0, 1, 2, 3, 4, 5, 6].filter((d) => rests(d) && turns[d] < 2 && blockOf(d) !== 2);
  // Those that came once (not those the span did not reach): a note may offer the field without them.
  const keptUnseenOnce = unsure.filter((d) => turns[d] === 1);
  const fieldWithout = weekdayField(seen);
  for (const d of unsure) seen.add(d);
  const restDaysSeenOnce = seen.size === 7 ? [] : [0, 1, 2, 3, 4, 5, 6].filter((d) => rests(d) && turns[d] < 2);
  return { field: weekdayField(seen), restDaysSeenOnce, keptUnseenOnce, fieldWithout };
}

/** `value` modulo `period`, from 0 up to `period` (a time before the epoch too). */
function modulo(value: number, period: number): number {
  return ((value % period) + period) % period;
}

/** The share of the starts (and at least two) at a minute before the most common one that moves a learned time back to it. */
const EARLIEST_MINUTE_SHARE = 0.05;

/**
 * Where in each period (ms after its start, modulo the period: whole periods from the epoch, a
 * week from a Thursday) the runs' expected time is: the most common minute of the period among
 * their starts, as runs start on time or a little late, or the earliest minute up to `tolerance`
 * (and SHIFT_WINDOW) before it by which a good share of them had started (EARLIEST_MINUTE_SHARE: runs a few minutes late
 * at random; a run by hand earlier than the rest is not one). A run known only from its end (`ends`)
 * started at some time before it, at its expected time or later: the time is moved back to the
 * earliest of their ends that come up to `tolerance` before it (an earlier one is taken as
 * irregular, as a run by hand), so that each of them comes after its expected time.
 */
function offsetInPeriod(period: number, starts: readonly number[], ends: readonly number[], tolerance: number): number {
  // The most common minute of the period as a whole, not its hour and minute apart: runs at 23:57
  // a few minutes late are mostly in the hour after, and 00:57 would be none of their times.
  let typical = mode(starts.map((t) => modulo(Math.floor(t / MINUTE) * MINUTE, period)));
  // Runs started a few minutes late (a RandomizedDelaySec) spread over the minutes after their
  // time, and the most common of them may be any: the time is moved back to the earliest minute up
  // to `tolerance` (and 20 min) before it by which a good share of the runs started (a run by hand
  // does not): each minute alone may have one or none of them. inferSchedule's lateMinutes says how
  // late the runs then came after it (a grace_minutes to give it).
  const earlies = starts
    .map((start) => modulo(typical - Math.floor(start / MINUTE) * MINUTE, period))
    .filter((early) => early > 0 && early <= Math.min(tolerance, SHIFT_WINDOW))
    .sort((a, b) => b - a);
  const goodShare = Math.max(2, Math.ceil(starts.length * EARLIEST_MINUTE_SHARE));
  const earliest = earlies.length >= goodShare ? earlies[goodShare - 1] : 0;
  typical = modulo(typical - earliest, period);
  let before = 0;
  for (const end of ends) {
    const early = modulo(typical - Math.floor(end / MINUTE) * MINUTE, period);
    if (early <= tolerance && early > before) before = early;
  }
  return modulo(typical - before, period);
}

/** A missed run's default grace (config.defaults.grace_minutes): how late a run may start and count for its expected time. */
const DEFAULT_GRACE = 15 * MINUTE;

/**
 * The `grace_minutes` a learned schedule needs when its runs started later after its time than a
 * grace of `graceMinutes` allows (`lateMinutes` at or above it): the lateness rounded up to 5 minutes,
 * plus 5, so that runs as late as those seen count as on time. Undefined when `graceMinutes` covers them.
 */
export function suggestedGraceMinutes(schedule: Pick<InferredSchedule, 'lateMinutes'>, graceMinutes: number): number | undefined {
  const late = schedule.lateMinutes;
  // A start in the minute `graceMinutes` after its time (02:15:30 for 02:00) is seconds past it.
  if (late === undefined || late < graceMinutes) return undefined;
  return Math.ceil(late / 5) * 5 + 5;
}

/** The fewest intervals between distinct start minutes `inferSchedule` learns a schedule from. */
export const MIN_SCHEDULE_INTERVALS = 5;

/** The distinct minutes runs started in, ascending: runs start on time or a little late, so the minute they start in is the scheduled one. */
export function distinctStartMinutes(startTimes: readonly number[]): number[] {
  return [...new Set(startTimes.map((t) => Math.floor(t / MINUTE) * MINUTE))].sort((a, b) => a - b);
}

/**
 * Whether `inferSchedule` learns a schedule from these start times (their runs are regular),
 * without learning it: a job that runs periodically, not a service up until it is stopped.
 */
export function learnsSchedule(startTimes: readonly number[]): boolean {
  return regularStarts(startTimes, MIN_SCHEDULE_INTERVALS) !== undefined;
}

/**
 * The distinct start minutes and their intervals, when regular enough to learn a schedule from:
 * at least `minSamples` intervals, 80% of them within 10% (at least two minutes) of the median.
 */
function regularStarts(startTimes: readonly number[], minSamples: number): { starts: number[]; intervals: number[]; typical: number; tolerance: number; regular: number } | undefined {
  const starts = distinctStartMinutes(startTimes);
  const intervals = starts.slice(1).map((t, i) => t - starts[i]);
  if (intervals.length < minSamples) return undefined;
  const typical = median(intervals)!;
  const tolerance = Math.max(2 * MINUTE, typical * 0.1);
  const regular = intervals.filter((i) => Math.abs(i - typical) <= tolerance).length / intervals.length;
  if (regular < 0.8 || typical < MINUTE) return undefined;
  return { starts, intervals, typical, tolerance, regular };
}

/**
 * Learns the period of a job from its start times, when its runs are regular: at least
 * `minSamples` intervals, and most of them (80%) within 10% (at least two minutes) of the median.
 * The period is rounded to whole minutes; a cron expression is suggested for periods cron can say
 * (and a calendar one for a monthly or yearly job: calendarCron),
 * at the time the starts come at (for runs known only from their end, `startsFromEnd`, at or before
 * the earliest of those: see offsetInPeriod), in UTC. For a period of 2 hours or more whose starts
 * moved by exactly an hour in UTC (hourShift), the time zones are searched, then only, for one whose
 * wall clock keeps them all at one time (a host on local time across a clock change): the cron is
 * learned in its wall time, with `timezone` and `clockChange`; when none does and they moved once,
 * there is no cron, and `movedAnHour` says when (either UTC time would call the other's runs missed).
 * Given the zone the hosts' clocks are on (`hostZone`, a scan's `--timezone`), a period of 2 hours
 * or more is learned in its wall time, with `timezone` and no `clockChange` (nothing is guessed),
 * unless they kept their UTC time across its clock change: so a schedule learned before a change holds after it.
 */
export function inferSchedule(startTimes: readonly number[], startsFromEnd: readonly number[] = [], minSamples = MIN_SCHEDULE_INTERVALS, hostZone?: string, seen?: StartsSeen): InferredSchedule | undefined {
  const periodic = regularStarts(startTimes, minSamples);
  if (!periodic) return undefined;
  const learned = learnSchedule(periodic, startsFromEnd, hostZone);
  if (!learned.cron) return learned;
  if (learned.moved) {
    // Judged on the starts since the move alone: those before were at the old time.
    const since = periodic.starts.slice(-learned.moved.runs);
    const fit = fitOfCron(learned.period_ms, learned.cron, learned.timezone, since, startsFromEnd.filter((t) => t >= since[0]));
    return fit ? withoutCron(learned, fit) : learned;
  }
  const fit = fitOfCron(learned.period_ms, learned.cron, learned.timezone, periodic.starts, startsFromEnd, seen);
  // A job run in a window of hours (and weekdays) has one long gap a day, an outlier of the median: the window, when it fits.
  // One that fits may still leave out an hour every day (an hourly job never run at 03:00), whose run the cron would report missed each day.
  const window = learned.timezone === undefined || learned.timezone === hostZone ? learnWindow(learned, learned.cron, periodic.starts, startsFromEnd, seen, hostZone) : undefined;
  if (!fit) return window?.cron ? window : learned;
  if (window) return window;
  return withoutCron(learned, fit);
}

/** A learned schedule whose cron does not fit its runs (fitOfCron's `fit`): `unfit`, and no cron. */
function withoutCron(learned: InferredSchedule, fit: NonNullable<ReturnType<typeof fitOfCron>>): InferredSchedule {
  const { period_ms, period, regularity, samples } = learned;
  return { period_ms, period, regularity, samples, unfit: { cron: learned.cron!, ...(learned.timezone ? { timezone: learned.timezone } : {}), ...fit } };
}

/** The share of a learned cron's expected starts over the runs' span that must have a run (as 80% of the intervals must be regular). */
const FIT_SHARE = 0.8;
/** The most expected starts counted over all the starts seen (a cron every minute over a year is not counted out). */
const MAX_FIT_EXPECTED = 20_000;

/**
 * Why a learned cron does not fit the starts it was learned from, or undefined when it does: for a
 * period under a day, over their span fewer than FIT_SHARE of its expected starts had a run (as the
 * missed-run detector counts them, with the default grace), or over all the starts `seen` it expects
 * more than they were by that share (a daily job's weekdays without a run are judged by daysOfWeek,
 * which keeps one seen once); for any period, the first start seen before those kept is at no time of
 * it, and nor are the next earliest starts seen, each about a period after the one before (else that
 * first start is a run by hand; when the earliest starts kept do not begin at it, the starts seen are
 * no more than the times it names since).
 */
function fitOfCron(period: number, cron: string, timezone: string | undefined, starts: readonly number[], startsFromEnd: readonly number[], seen?: StartsSeen): { expected: number; seen: number; firstStart?: number } | undefined {
  const first = starts[0] - SHIFT_WINDOW;
  const last = starts[starts.length - 1];
  const counted = period < DAY;
  const expected = counted ? expectedStarts(cron, timezone, first, last, Math.ceil(starts.length / FIT_SHARE) + 2) : [];
  const met = expected.length - unmatchedExpected(expected, [], starts, 2 * MINUTE, DEFAULT_GRACE, undefined, startsFromEnd).length;
  if (met < expected.length * FIT_SHARE) return { expected: expected.length, seen: met };
  if (!seen || seen.firstStart >= first) return undefined;
  const all = Math.max(seen.starts, starts.length);
  const allExpected = counted && all < MAX_FIT_EXPECTED * FIT_SHARE ? expectedStarts(cron, timezone, seen.firstStart - SHIFT_WINDOW, last, Math.ceil(all / FIT_SHARE) + 2).length : 0;
  if (all < allExpected * FIT_SHARE) return { expected: allExpected, seen: all };
  if (!atNoTimeOf(cron, timezone, seen.firstStart)) return undefined;
  // A first start at no time of it is a move of the runs only when the next starts seen are at no
  // time of it too, a period apart as moved runs are (Lord Howe: hourly at :30 until the change);
  // else it is a run by hand (a test run or a few, minutes apart, the day the job was installed), the
  // rest on time. Counts cannot tell that when an outage cancels the extra run, so they judge only
  // when the earliest starts kept do not begin at the first (a state from before they were kept).
  const next = seen.earliest && seen.earliest[0] <= seen.firstStart ? seen.earliest.filter((t) => t > seen.firstStart) : [];
  if (next.length) {
    if (!next.every((t) => atNoTimeOf(cron, timezone, t)) || !aPeriodApart(period, [seen.firstStart, ...next])) return undefined;
  } else {
    // With more starts than the times it names since, the first is one run too many (by hand), the rest on time.
    const since = allExpected || (all < MAX_FIT_EXPECTED ? expectedStarts(cron, timezone, seen.firstStart - SHIFT_WINDOW, last, all + 1).length : all);
    if (all > since) return undefined;
  }
  return { expected: allExpected, seen: all, firstStart: seen.firstStart };
}

/** The share of a period by which moved runs may be more or less than a period apart (a daily job's 23 or 25 h at a clock change). */
const MOVED_PERIOD_SLACK = 0.25;
/** How far off a whole number of periods moved runs more than a period apart may be (runs start a few minutes late); a period of a day or more may also be an hour off (a clock change between). */
const MOVED_PHASE_SLACK = 5 * MINUTE;

/**
 * Whether each start (oldest first) comes about a period after the one before it, as runs at a
 * moved time do (runs by hand come minutes apart), or a whole number of periods after it at the same
 * time of the period (MOVED_PHASE_SLACK), a missed run between: runs by hand hours apart come at
 * any time of an hour (09:32, 11:25), so a slack of a share of the period would take half of them for runs.
 */
function aPeriodApart(period: number, times: readonly number[]): boolean {
  return times.every((t, i) => {
    if (i === 0) return true;
    const gap = t - times[i - 1];
    const periods = Math.max(1, Math.round(gap / period));
    const off = Math.abs(gap - periods * period);
    if (periods === 1) return off <= period * MOVED_PERIOD_SLACK;
    return off <= MOVED_PHASE_SLACK || (period >= DAY && Math.abs(off - HOUR) <= MOVED_PHASE_SLACK);
  });
}

/** Whether a start is at no time the cron names (neither within 2 minutes before it nor within the default grace after). */
function atNoTimeOf(cron: string, timezone: string | undefined, start: number): boolean {
  const near = expectedStarts(cron, timezone, start - DEFAULT_GRACE - MINUTE, start + 2 * MINUTE, 8);
  return unmatchedExpected(near, [], [start], 2 * MINUTE, DEFAULT_GRACE).length === near.length;
}

/** How many periods long a gap between two starts must be to be a window's daily gap (a run or more left out). */
const DAILY_GAP_PERIODS = 1.5;
/** The share of the days a job ran on that an hour must have a run on to be in its window (most days). */
const WINDOW_HOUR_SHARE = 0.8;
/** The share of those days above which an hour left out of a window (the hour of runs by hand) makes it unclear: no window then. */
const WINDOW_STRAY_SHARE = 0.2;

/**
 * The schedule of runs of a period under a day that come only in some hours of the day (and on
 * some weekdays), when it fits them (fitOfCron): in the wall time of `hostZone` (`--timezone`) first,
 * when one other than UTC is given; else in UTC (windowCron); or, when the window's first run of the
 * day (the first after its daily gap) moved by exactly an hour in UTC (hourShift, as a daily job's), in the wall time of
 * a zone whose clock change explains it (zonesKeepingWallTime), with `timezone` and `clockChange`;
 * when none does and it moved once, no cron but `movedAnHour` (either UTC window would report the
 * other's runs missed). Undefined when no window fits them.
 */
function learnWindow(learned: InferredSchedule, cron: string, starts: readonly number[], startsFromEnd: readonly number[], seen: StartsSeen | undefined, hostZone?: string): InferredSchedule | undefined {
  const period = learned.period_ms;
  if (period >= DAY) return undefined;
  const fits = (window: string | undefined, zone?: string): window is string => window !== undefined && !fitOfCron(period, window, zone, starts, startsFromEnd, seen);
  if (hostZone !== undefined && hostZone !== 'UTC') {
    const window = windowCron(period, cron, starts.map((t) => wallTime(hostZone, t)));
    if (fits(window, hostZone)) return { ...learned, cron: window, timezone: hostZone };
  }
  // A window's first run of the day is the first after its daily gap, wherever UTC midnight falls (09:00-17:00 in Sydney
  // crosses it) and wherever the gap is (an hourly job never run at 03:00 London time has it at 02:00Z in summer, 03:00Z in winter).
  const firstOfDay = starts.filter((t, i) => i > 0 && t - starts[i - 1] > period * DAILY_GAP_PERIODS);
  const shift = firstOfDay.length > 0 ? hourShift(DAY, firstOfDay, DAY * 0.1) : undefined;
  const zones = shift ? zonesKeepingWallTime(shift) : [];
  if (shift && zones.length > 0) {
    const [zone, ...others] = zones;
    const inZone = (z: string) => windowCron(period, cron, starts.map((t) => wallTime(z, t)));
    const window = inZone(zone);
    if (!fits(window, zone)) return undefined;
    return { ...learned, cron: window, timezone: zone, clockChange: clockChangeNote(zone, others, shift, window, inZone) };
  }
  if (shift?.clean) return { period_ms: period, period: learned.period, regularity: learned.regularity, samples: learned.samples, movedAnHour: movedAnHourOf(shift, windowCron(period, cron, starts.filter((t) => t >= shift.firstMoved))) };
  const window = windowCron(period, cron, starts);
  return fits(window) ? { ...learned, cron: window } : undefined;
}

/**
 * A cron for runs of a period under a day that come only in some hours of the day (and on some
 * weekdays): `cron` (learned for every hour) with the hours of their slots (`9-17`, `1-3`,
 * `9-17/2`; UTC, or a zone's wall times read as UTC) that had a run on most of the days they ran
 * on (WINDOW_HOUR_SHARE), and the weekdays of those (daysOfWeek): a run by hand at another hour is
 * left out. Undefined when they come in every hour it names, or when an hour left out had runs on
 * more than a few of those days (WINDOW_STRAY_SHARE: a window that changed, which no one cron fits).
 */
function windowCron(period: number, cron: string, starts: readonly number[]): string | undefined {
  if (period >= DAY || starts.length === 0) return undefined;
  const fields = cron.split(' ');
  const minute = fields[0].split('-')[0].split('/')[0];
  const offset = (minute === '*' ? 0 : Number(minute)) * MINUTE;
  const step = Math.max(1, period / HOUR);
  const slots = starts.map((t) => slotOf(t, offset, Math.min(period, HOUR)));
  const daysOfHour = new Map<number, Set<number>>();
  for (const t of slots) {
    const hour = new Date(t).getUTCHours();
    if (!daysOfHour.has(hour)) daysOfHour.set(hour, new Set());
    daysOfHour.get(hour)!.add(Math.floor(t / DAY));
  }
  const daysRun = new Set(slots.map((t) => Math.floor(t / DAY))).size;
  const onMostDays = (hour: number) => daysOfHour.get(hour)!.size >= daysRun * WINDOW_HOUR_SHARE;
  if ([...daysOfHour.keys()].some((h) => !onMostDays(h) && daysOfHour.get(h)!.size > daysRun * WINDOW_STRAY_SHARE)) return undefined;
  const hours = [...daysOfHour.keys()].filter(onMostDays).sort((a, b) => a - b);
  if (hours.length === 0 || hours.length * step >= 24) return undefined;
  const evenly = hours.every((h, i) => i === 0 || h - hours[i - 1] === step);
  const hourField = hours.length === 1 ? `${hours[0]}` : evenly ? `${hours[0]}-${hours[hours.length - 1]}${step > 1 ? `/${step}` : ''}` : step === 1 ? rangesField(hours) : hours.join(',');
  const days = daysOfWeek(slots.filter((t) => onMostDays(new Date(t).getUTCHours())).map((t) => Math.floor(t / DAY) * DAY));
  return [fields[0], hourField, fields[2], fields[3], days.field].join(' ');
}

/** The schedule `inferSchedule` learns from regular starts, before it is checked against them. */
function learnSchedule(periodic: NonNullable<ReturnType<typeof regularStarts>>, startsFromEnd: readonly number[], hostZone: string | undefined): InferredSchedule {
  const { starts, intervals, typical, tolerance, regular } = periodic;

  // Runs a few minutes late at random make the median interval a minute off at times (1441 min for
  // a daily job): the mean of the intervals close to it is not, unless the runs drift (each an
  // interval after the last). Close: not the one an hour longer or shorter at a clock change.
  // Taken only when no run starts later than a missed run's default grace after the time learned
  // from it (and within SHIFT_WINDOW: not an hour off at a clock change): runs up to 19 min late at
  // random would be reported missed by that cron, and learn none, as the median said.
  const regularIntervals = intervals.filter((i) => Math.abs(i - typical) <= Math.min(tolerance, SHIFT_WINDOW));
  const mean = Math.round(regularIntervals.reduce((a, b) => a + b, 0) / regularIntervals.length / MINUTE) * MINUTE;
  const medianPeriod = Math.round(typical / MINUTE) * MINUTE;
  const meanFits = () => {
    const offset = offsetInPeriod(mean, starts, startsFromEnd, tolerance);
    return !starts.some((t) => modulo(t - offset, mean) > DEFAULT_GRACE && modulo(t - offset, mean) <= SHIFT_WINDOW);
  };
  const period = !cronSaysPeriod(medianPeriod) && cronSaysPeriod(mean) && meanFits() ? mean : medianPeriod;
  const learned = learnCron(period, starts, startsFromEnd, tolerance);
  const utc: InferredSchedule = { period_ms: period, ...learned, regularity: Number(regular.toFixed(2)), samples: intervals.length };
  if (!learned.cron) {
    const coarser = coarserCron(period, starts, startsFromEnd, tolerance);
    return coarser ? { ...utc, coarser } : utc;
  }
  if (period < 2 * HOUR) return utc;
  // In a zone's wall time (read as UTC): the schedule learned as in UTC.
  const inZone = (zone: string, localStarts: readonly number[] = starts.map((t) => wallTime(zone, t))) => {
    const wall = (t: number) => wallTime(zone, t);
    const local = learnCron(period, localStarts, startsFromEnd.map(wall), tolerance, false);
    const gaps = localStarts.slice(1).map((t, i) => t - localStarts[i]);
    const typicalGap = median(gaps)!;
    const localRegular = gaps.filter((g) => Math.abs(g - typicalGap) <= tolerance).length / gaps.length;
    return { ...local, regularity: Number(localRegular.toFixed(2)) };
  };
  // How late the runs came, measured in the zone (lateMinutesInZone): only for a result returned, not each zone tried.
  const withZoneLateness = <T extends LearnedCron>(local: T, zone: string): T =>
    local.cron && cronSaysPeriod(period) ? { ...local, lateMinutes: lateMinutesInZone(local.cron, zone, period, starts, tolerance) } : local;
  // Unless its starts kept their UTC time across the zone's clock change (a job scheduled in UTC, CRON_TZ=UTC).
  if (hostZone !== undefined && hostZone !== 'UTC') {
    const hostStarts = starts.map((t) => wallTime(hostZone, t));
    const local = inZone(hostZone, hostStarts);
    if (local.cron && atUsualTime(period, hostStarts) >= atUsualTime(period, starts)) {
      return { period_ms: period, ...withZoneLateness(local, hostZone), samples: intervals.length, timezone: hostZone };
    }
  }
  // Cheap before the zones are searched: whether the starts moved by exactly an hour in UTC at all.
  const shift = hourShift(period, starts, tolerance);
  if (!shift) return movedSchedule(utc, starts, startsFromEnd, tolerance) ?? utc;
  const zones = zonesKeepingWallTime(shift);
  if (zones.length === 0) {
    if (!shift.clean) return utc;
    const at = shift.firstMoved;
    const after = learnCron(period, starts.filter((t) => t >= at), startsFromEnd.filter((t) => t >= at), tolerance);
    return { period_ms: period, period: learned.period, regularity: utc.regularity, samples: utc.samples, movedAnHour: movedAnHourOf(shift, after.cron) };
  }
  // In a zone whose clock change explains the move: the schedule in its wall time.
  const [zone, ...others] = zones;
  const local = inZone(zone);
  if (!local.cron) return utc;
  return {
    period_ms: period,
    ...withZoneLateness(local, zone),
    samples: intervals.length,
    timezone: zone,
    clockChange: clockChangeNote(zone, others, shift, local.cron, (z) => inZone(z).cron),
  };
}

/** The fewest latest starts at a new time that make it the job's time (a week of a daily job's). */
const MIN_MOVED_RUNS = 7;

/**
 * The schedule of starts that moved to another time of their period by more than an hour (a
 * move of an hour is hourShift's: a clock change, perhaps), learned from the latest starts, once
 * MIN_MOVED_RUNS or more of them in a row kept the new time (each within SHIFT_WINDOW of it) and
 * the start before them was at another: `learned` with the cron of those, and `moved`. A schedule
 * learned from all of them would keep the old time and take the runs since for late ones (a grace of
 * hours) or for runs by hand (each new one reported missed). Undefined when the latest starts did not move.
 */
function movedSchedule(learned: InferredSchedule, starts: readonly number[], startsFromEnd: readonly number[], tolerance: number): InferredSchedule | undefined {
  const period = learned.period_ms;
  const within = period <= 7 * DAY ? period : DAY;
  const pos = starts.map((t) => modulo(Math.floor(t / MINUTE) * MINUTE, within));
  const apart = (a: number, b: number) => Math.min(modulo(a - b, within), modulo(b - a, within));
  const after = mode(pos.slice(-MIN_MOVED_RUNS));
  let first = pos.length;
  while (first > 0 && apart(pos[first - 1], after) <= SHIFT_WINDOW) first--;
  if (first === 0 || pos.length - first < MIN_MOVED_RUNS) return undefined;
  const before = mode(pos.slice(0, first));
  if (apart(before, after) <= HOUR + SHIFT_WINDOW) return undefined;
  const since = starts.slice(first);
  const cron = learnCron(period, since, startsFromEnd.filter((t) => t >= since[0] - SHIFT_WINDOW), tolerance);
  if (!cron.cron) return undefined;
  const time = (at: number) => new Date(at).toISOString().slice(11, 16);
  const { period_ms, regularity, samples } = learned;
  return { period_ms, ...cron, regularity, samples, moved: { on: utcDay(since[0]), from: time(before), to: time(after), runs: since.length } };
}

/**
 * For a period no cron says but a multiple of it does (every 90 min: every 3 h), the cron of the
 * least such multiple that divides a day, at the time of the runs in it (learnCron): it expects
 * every `everyNth` run, and its runs all come at a time the period names. Undefined when no multiple
 * up to a day is a period cron says (every 7 min).
 */
function coarserCron(period: number, starts: readonly number[], startsFromEnd: readonly number[], tolerance: number): NonNullable<InferredSchedule['coarser']> | undefined {
  if (period >= DAY || DAY % period !== 0) return undefined;
  for (let everyNth = 2; everyNth * period <= DAY; everyNth++) {
    const multiple = everyNth * period;
    if (!cronSaysPeriod(multiple)) continue;
    const learned = learnCron(multiple, starts, startsFromEnd, tolerance);
    if (learned.cron) return { cron: learned.cron, period: learned.period, everyNth };
  }
  return undefined;
}

/**
 * What a schedule naming every `everyNth` run of a period of `periodMinutes` (every 3 h for runs
 * every 90 min) reports of a gap in the runs: the runs between the ones it names are not judged, so
 * only a gap with `everyNth` runs in a row missing, the multiple and one period more (4 h 30 min),
 * is sure to take one it names; a shorter one (up to 3 h of runs every 90 min) may not.
 */
export function coarserGapNote(periodMinutes: number, everyNth: number): string {
  return `only a gap of ${minutesText((everyNth + 1) * periodMinutes)} or more (${everyNth} runs in a row missing) is sure to be reported missed: a shorter one may miss only runs between, which are not judged`;
}

/** `45 min`, `3 h`, `4 h 30 min`. */
export function minutesText(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** What `movedAnHour` says of starts that moved by an hour (`shift`): on what UTC date, from what time of day to what, and the cron of the starts since. */
function movedAnHourOf(shift: HourShift, cronAfter: string | undefined): NonNullable<InferredSchedule['movedAnHour']> {
  const time = (pos: number) => new Date(pos).toISOString().slice(11, 16);
  return { on: utcDay(shift.firstMoved), from: time(shift.before), to: time(shift.after), ...(cronAfter ? { cronAfter } : {}) };
}

/**
 * What `clockChange` says of a schedule (`cron`) learned in the wall time of `zone`: the date of its
 * clock change the starts moved at, and the zones that fit as well (`others`) but say another time
 * (Europe/London at 01:30 for Europe/Berlin at 02:30), with their crons (`cronIn`): one of each, the rest counted.
 */
function clockChangeNote(zone: string, others: readonly string[], shift: HourShift, cron: string, cronIn: (zone: string) => string | undefined): NonNullable<InferredSchedule['clockChange']> {
  const alternatives: { timezone: string; cron: string }[] = [];
  const crons = new Set([cron]);
  for (const z of others) {
    if (alternatives.length >= MAX_ZONE_ALTERNATIVES) break;
    const other = cronIn(z);
    if (other && !crons.has(other)) alternatives.push({ timezone: z, cron: other });
    if (other) crons.add(other);
  }
  return { on: localDate(zone, clockChangeIn(zone, shift.lastBefore - HOUR, shift.firstMoved)), alternatives, moreZones: Math.max(0, others.length - alternatives.length) };
}

/** What a schedule's cron says of a period and starts (UTC ones, or a zone's wall times read as UTC): its cron and the notes on its weekdays. */
interface LearnedCron {
  readonly period: string;
  readonly cron?: string;
  readonly restDaysSeenOnce?: readonly number[];
  readonly keptUnseenOnce?: InferredSchedule['keptUnseenOnce'];
  readonly lateMinutes?: number;
}

/** Whether a cron expression says a period: a divisor of an hour or of a day, or a week. */
function cronSaysPeriod(period: number): boolean {
  return (period < HOUR && 60 % (period / MINUTE) === 0) || (period % HOUR === 0 && 24 % (period / HOUR) === 0) || period === 7 * DAY;
}

/** `measureLate` false: no lateMinutes (a zone's wall times, measured in the zone by lateMinutesInZone instead). */
function learnCron(period: number, starts: readonly number[], startsFromEnd: readonly number[], tolerance: number, measureLate = true): LearnedCron {
  const cronSays = cronSaysPeriod(period);
  let cron: string | undefined;
  let restDaysSeenOnce: number[] = [];
  let keptUnseenOnce: InferredSchedule['keptUnseenOnce'];
  let lateMinutes: number | undefined;
  if (cronSays) {
    const offset = offsetInPeriod(period, starts, startsFromEnd, tolerance);
    // How late the runs came after the time learned: in each period, its first start within the
    // tolerance of it (not a run by hand at another time, nor one after that period's run).
    if (measureLate) {
      const firstLate = new Map<number, number>();
      for (const t of starts) {
        const late = modulo(t - offset, period);
        const slot = Math.round((t - late - offset) / period);
        if (late <= tolerance && late < (firstLate.get(slot) ?? Infinity)) firstLate.set(slot, late);
      }
      lateMinutes = Math.floor(typicalLateness([...firstLate.values()]) / MINUTE);
    }
    const minute = Math.floor(offset / MINUTE) % 60;
    const hour = Math.floor(offset / HOUR) % 24;
    if (period < HOUR) cron = minute === 0 ? `*/${period / MINUTE} * * * *` : `${minute}-59/${period / MINUTE} * * * *`;
    else if (period === HOUR) cron = `${minute} * * * *`;
    else if (period === DAY) {
      const days = daysOfWeek(starts.map((t) => slotOf(t, offset, period)));
      cron = `${minute} ${hour} * * ${days.field}`;
      restDaysSeenOnce = days.restDaysSeenOnce;
      if (days.keptUnseenOnce.length > 0) keptUnseenOnce = { days: days.keptUnseenOnce, cronWithout: `${minute} ${hour} * * ${days.fieldWithout}` };
    }
    else if (period < DAY) cron = `${minute} ${hour}-23/${period / HOUR} * * *`;
    else cron = `${minute} ${hour} * * ${new Date(offset).getUTCDay()}`;
  }
  const calendar = cronSays ? undefined : calendarCron(period, starts, startsFromEnd);
  if (calendar) return { period: calendar.period, cron: calendar.cron };
  return {
    period: describePeriod(period),
    cron,
    ...(lateMinutes !== undefined ? { lateMinutes } : {}),
    ...(restDaysSeenOnce.length > 0 ? { restDaysSeenOnce } : {}),
    ...(keptUnseenOnce ? { keptUnseenOnce } : {}),
  };
}

/**
 * How late (whole minutes) runs came after the expected starts of a schedule learned in a zone's
 * wall time, measured in real time against its expected starts there: in each, its first start
 * within `tolerance` after it. Wall times read as UTC would take the run cron starts at 03:00 on the
 * day the spring change skips 02:00 (or 02:30) for one an hour (half an hour) late, and have init
 * write a grace the schedule does not need.
 */
function lateMinutesInZone(cron: string, zone: string, period: number, starts: readonly number[], tolerance: number): number {
  const first = starts[0] - tolerance - MINUTE;
  const last = starts[starts.length - 1];
  const expected = expectedStarts(cron, zone, first, last, Math.ceil((last - first) / period) + 3);
  const firstLate = new Map<number, number>();
  let i = 0;
  for (const t of starts) {
    while (i + 1 < expected.length && expected[i + 1] <= t) i++;
    const late = t - expected[i];
    if (late >= 0 && late <= tolerance && late < (firstLate.get(expected[i]) ?? Infinity)) firstLate.set(expected[i], late);
  }
  return Math.floor(typicalLateness([...firstLate.values()]) / MINUTE);
}

/** The fewest runs among which the latest is taken as a lone incident (a run held up once), not the job's usual lateness. */
const LATENESS_OUTLIER_RUNS = 20;
/** The share of the runs whose lateness a learned grace covers, from LATENESS_OUTLIER_RUNS runs on: all but one in twenty. */
const LATENESS_SHARE = 0.95;

/**
 * How late a job's runs typically come after their time (ms, 0 at least), from each run's lateness:
 * the latest of all for fewer than LATENESS_OUTLIER_RUNS, else the LATENESS_SHARE percentile, so that
 * one run 90 minutes late among 29 on time is an incident a grace should not hide, not its grace.
 */
function typicalLateness(lateness: readonly number[]): number {
  if (lateness.length === 0) return 0;
  const sorted = [...lateness].sort((a, b) => a - b);
  if (sorted.length < LATENESS_OUTLIER_RUNS) return Math.max(0, sorted[sorted.length - 1]);
  return Math.max(0, sorted[Math.ceil(sorted.length * LATENESS_SHARE) - 1]);
}

/** How many zones besides the one chosen a note names (the rest are counted). */
const MAX_ZONE_ALTERNATIVES = 3;

/**
 * Zones tried first when several keep a job's starts at one wall time, in this order (the most
 * used zone of each set of clock-change rules first: every zone of the EU changes at 01:00Z on the
 * same day, so Europe/London at 01:30 fits a Berlin job at 02:30 as well); the rest alphabetically.
 */
const PREFERRED_ZONES = [
  'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Anchorage', 'America/Halifax',
  'Europe/Berlin', 'Europe/Paris', 'Europe/London', 'Europe/Helsinki', 'Europe/Athens', 'Europe/Lisbon',
  'Australia/Sydney', 'Australia/Melbourne', 'Australia/Adelaide', 'Pacific/Auckland', 'America/Santiago', 'Asia/Jerusalem',
];

/** Every IANA zone the runtime knows, the preferred ones first. */
function candidateZones(): string[] {
  const all = new Set(Intl.supportedValuesOf('timeZone'));
  const preferred = PREFERRED_ZONES.filter((z) => all.has(z));
  return [...preferred, ...[...all].filter((z) => !preferred.includes(z)).sort()];
}

/**
 * Starts that moved by exactly an hour in UTC: most at one time of their period, others an hour
 * from it (`before` and `after` the last change: ms into the period, a day for a monthly or yearly
 * job; a start up to SHIFT_WINDOW from one counts as at it, as runs start a few minutes late).
 * `starts` are those at either time, in order, but for one at either time between two at the
 * other, or first or last next to one at the other (a run by hand an hour off), and `moved` whether each is at `after`; `clean` when they
 * changed once, each side with two starts or more (as at one clock change); `lastBefore` and
 * `firstMoved` the starts around the last change.
 */
interface HourShift {
  readonly starts: readonly number[];
  readonly moved: readonly boolean[];
  readonly before: number;
  readonly after: number;
  /** Whether they moved later in UTC at the last change (the clock went back); undefined when a period of 2 h cannot tell. */
  readonly later: boolean | undefined;
  readonly lastBefore: number;
  readonly firstMoved: number;
  readonly clean: boolean;
}

/** How many of the starts come at the usual time of their period (of the day, for a period over a week), or up to SHIFT_WINDOW from it (as hourShift): runs a few minutes late at random have no one minute. */
function atUsualTime(period: number, starts: readonly number[]): number {
  const within = period <= 7 * DAY ? period : DAY;
  const pos = starts.map((t) => modulo(t, within));
  const usual = mode(pos.map((p) => Math.floor(p / MINUTE) * MINUTE));
  return pos.filter((p) => Math.min(modulo(p - usual, within), modulo(usual - p, within)) <= SHIFT_WINDOW).length;
}

/** How far from the usual time of a job's starts (and from an hour off it) a start counts as at it: under half an hour, so that the two never meet. */
const SHIFT_WINDOW = 20 * MINUTE;

function hourShift(period: number, starts: readonly number[], tolerance: number): HourShift | undefined {
  const within = period <= 7 * DAY ? period : DAY;
  const pos = starts.map((t) => modulo(t, within));
  const usual = mode(pos);
  const window = Math.min(tolerance, SHIFT_WINDOW);
  const near = (p: number, at: number) => Math.min(modulo(p - at, within), modulo(at - p, within)) <= window;
  const count = (at: number) => pos.filter((p) => near(p, at)).length;
  const later = modulo(usual + HOUR, within);
  const earlier = modulo(usual - HOUR, within);
  const other = count(later) >= count(earlier) ? later : earlier;
  if (count(other) === 0) return undefined;
  const atEither = starts.flatMap((t, i) => (near(pos[i], usual) ? [{ t, other: false }] : near(pos[i], other) ? [{ t, other: true }] : []));
  // One start at either time between two at the other (or after or before all of them) is a run by hand (or a late one) an hour off, not a clock change.
  const lone = (i: number) => (i === 0 || atEither[i - 1].other !== atEither[i].other) && (i === atEither.length - 1 || atEither[i + 1].other !== atEither[i].other);
  const keptStarts = atEither.filter((_, i) => !lone(i));
  if (keptStarts.every((k) => k.other) || keptStarts.every((k) => !k.other)) return undefined;
  const kept = keptStarts.map((k) => k.t);
  const isOther = keptStarts.map((k) => k.other);
  const changes = isOther.flatMap((o, i) => (i > 0 && o !== isOther[i - 1] ? [i] : []));
  const last = changes[changes.length - 1];
  const clean = changes.length === 1 && last >= 2 && kept.length - last >= 2;
  const [before, after] = isOther[last] ? [usual, other] : [other, usual];
  // In a 2-hour period an hour later and an hour earlier are the same time: either way.
  const movedLater = later === earlier ? undefined : after === modulo(before + HOUR, within);
  const moved = isOther.map((o) => o === isOther[last]);
  return { starts: kept, moved, before, after, later: movedLater, lastBefore: kept[last - 1], firstMoved: kept[last], clean };
}

/**
 * The zones in whose wall clock every start of the shift (at either UTC time) falls at the same
 * time of its period: a host on local time whose clock changed. A start in the hour after the clock
 * went forward, at the UTC time of those before, fits too: its usual wall time did not exist that
 * day (02:00 in Europe/Berlin on the last Sunday of March), and cron (croner too) runs it at the
 * change. Each zone is first tried on one start of each side of the last change (the offset an
 * hour before the last start at the old time, which may be such a start), so most are ruled out
 * with two readings.
 */
function zonesKeepingWallTime(shift: HourShift): string[] {
  const offset = (zone: string, t: number) => wallTime(zone, t) - t;
  return candidateZones().filter((zone) => {
    const offsetBefore = offset(zone, shift.lastBefore - HOUR);
    const offsetAfter = offset(zone, shift.firstMoved);
    // The wall clock went back by the hour the starts moved later in UTC (forward by the one they moved earlier).
    if (shift.later === undefined ? Math.abs(offsetBefore - offsetAfter) !== HOUR : offsetBefore - offsetAfter !== (shift.later ? HOUR : -HOUR)) return false;
    return shift.starts.every((t, i) => {
      const expected = shift.moved[i] ? offsetAfter : offsetBefore;
      const actual = offset(zone, t);
      return actual === expected || (actual === expected + HOUR && offset(zone, t - HOUR) === expected);
    });
  });
}

/** The moment (to the minute) in `(from, to]` at which a zone's offset changes: its clock change between two starts. */
function clockChangeIn(zone: string, from: number, to: number): number {
  const offset = (t: number) => wallTime(zone, t) - t;
  const before = offset(from);
  // Clocks change on a whole minute, so the search keeps to whole minutes: from a bound off the
  // minute (a run logged at 02:00:05) halving a gap of 1 to 2 minutes would not move, for ever.
  let [lo, hi] = [Math.floor(from / MINUTE) * MINUTE, Math.ceil(to / MINUTE) * MINUTE];
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The date in a zone at `t`, `2026-10-25`. */
function localDate(zone: string, t: number): string {
  return utcDay(wallTime(zone, t));
}

/**
 * A monthly or yearly job's calendar schedule: months are 28 to 31 days long, so a job run on the
 * 1st has no fixed period (a period of the median gap would expect it on the 31st). When the gaps
 * are about a month (a year) and most runs (80%) fall on the same day of month (and month) at
 * about the same time of day (within a day's tolerance, 2.4 h, of the most common minute and hour,
 * taken as a daily job's), that is `M H D * *` (`M H D Mo *`), in UTC. When most fall on the last
 * day of their month, at least as many as on that day (28 February in five years of six, the 29th
 * in the leap year), that is `M H L * *` (`M H L Mo *`): a job run on the 1st shortly after
 * midnight in a zone east of UTC (`0 0 1 * *` in Asia/Tokyo is 15:00Z on the last day of the month
 * before; in Europe/Berlin 22:00Z or 23:00Z, the clock change within the time tolerance), or on a
 * month's last day in UTC. Undefined for other periods, or runs that share no day.
 */
function calendarCron(period: number, starts: readonly number[], ends: readonly number[]): { cron: string; period: string } | undefined {
  const monthly = period >= 27.5 * DAY && period <= 31.5 * DAY;
  const yearly = period >= 364.5 * DAY && period <= 366.5 * DAY;
  if (!monthly && !yearly) return undefined;
  const dayTolerance = Math.max(2 * MINUTE, DAY * 0.1);
  const timeOfDay = offsetInPeriod(DAY, starts, ends, dayTolerance);
  const slots = starts.map((t) => new Date(slotOf(t, timeOfDay, DAY)));
  const day = mode(slots.map((d) => d.getUTCDate()));
  const month = mode(slots.map((d) => d.getUTCMonth()));
  const onTime = (t: number, i: number) => (monthly || slots[i].getUTCMonth() === month) && Math.abs(t - slots[i].getTime()) <= dayTolerance;
  const share = (onDay: (slot: Date) => boolean) => starts.filter((t, i) => onDay(slots[i]) && onTime(t, i)).length / starts.length;
  // The last day wins a tie or more: a run on 1 March in Tokyo falls on 28 February (15:00Z) five
  // years in six, but on the 29th in a leap year, where `28` would expect it a day early.
  const onDayShare = share((slot) => slot.getUTCDate() === day);
  const lastDayShare = share(isLastDayOfMonth);
  const dayField = lastDayShare >= 0.8 && lastDayShare >= onDayShare ? 'L' : onDayShare >= 0.8 ? String(day) : undefined;
  if (dayField === undefined) return undefined;
  const minute = Math.floor(timeOfDay / MINUTE) % 60;
  const hour = Math.floor(timeOfDay / HOUR);
  return monthly ? { cron: `${minute} ${hour} ${dayField} * *`, period: 'monthly' } : { cron: `${minute} ${hour} ${dayField} ${month + 1} *`, period: 'yearly' };
}

/** Whether a UTC date is the last day of its month. */
function isLastDayOfMonth(date: Date): boolean {
  return new Date(date.getTime() + DAY).getUTCDate() === 1;
}

/** The expected time at `offset` in each period nearest to a run at `t` (its day, for a daily job near midnight). */
function slotOf(t: number, offset: number, period: number): number {
  return t - modulo(t - offset + period / 2, period) + period / 2;
}

/** How far ahead a schedule must name a time: two leap cycles, so that `0 12 29 2 *` always has one. */
export const SCHEDULE_HORIZON_YEARS = 8;

/** The most days each month has (February's in a leap year). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Why a cron schedule never fires, or undefined when it names a time within
 * SCHEDULE_HORIZON_YEARS after `from`, read in `timezone` (UTC when none). A schedule that names
 * no time (`0 0 30 2 *`) expects no run, so no run could ever be missed: it is a mistake, not a
 * rare job. The reason names the days the months lack when it can (`February has no 30th`).
 */
export function neverFiresReason(schedule: string, timezone: string | undefined, from: number): string | undefined {
  const next = cronOf(schedule, { timezone: timezone ?? 'UTC', paused: true }).nextRun(new Date(from));
  if (next && next.getTime() - from <= SCHEDULE_HORIZON_YEARS * 365.25 * 86_400_000) return undefined;
  const missing = missingDays(schedule);
  return `never fires: ${missing ? `${missing}, so it` : 'it'} names no time in the next ${SCHEDULE_HORIZON_YEARS} years${timezone ? ` (in ${timezone})` : ''}; fix its day of month or month (for a month's last day write L, e.g. "0 0 L * *")`;
}

/** `February has no 30th`, `April and June have no 31st`: the days of month a schedule names that its months lack; undefined when its fields cannot be read so. */
function missingDays(schedule: string): string | undefined {
  const [, , dayField, monthField, weekdayField] = schedule.trim().toLowerCase().split(/\s+/);
  // A restricted day of week is ORed with the day of month (cron's rule, see cronOf): its days fire.
  if (weekdayField !== undefined && !weekdayField.startsWith('*') && weekdayField !== '?') return undefined;
  const days = cronFieldValues(dayField ?? '', 1, 31);
  const months = cronFieldValues(monthField ?? '', 1, 12, MONTHS.map((m) => m.slice(0, 3).toLowerCase()));
  if (!days?.length || !months?.length) return undefined;
  if (months.some((m) => days.some((d) => d <= MONTH_DAYS[m - 1]))) return undefined;
  const names = months.map((m) => MONTHS[m - 1]);
  const ordinals = days.map(ordinal);
  const list = (items: string[], and: string) => (items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} ${and} ${items.at(-1)}`);
  return `${list(names, 'and')} ${names.length === 1 ? 'has' : 'have'} no ${list(ordinals, 'or')}`;
}

/** The values of a numeric cron field (`30`, `29-31`, `1,3`, `*`, `*\/2`, `10-20/5`, month names), in order; undefined for anything else. */
function cronFieldValues(field: string, min: number, max: number, names: readonly string[] = []): number[] | undefined {
  const value = (text: string) => {
    const named = names.indexOf(text);
    if (named >= 0) return named + min;
    return /^\d+$/.test(text) ? Number(text) : NaN;
  };
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const [from, to] = m[1] === '*' ? [min, max] : m[1].includes('-') ? m[1].split('-').map(value) : [value(m[1]), m[2] ? max : value(m[1])];
    const step = m[2] ? Number(m[2]) : 1;
    if (!(from >= min && to <= max && from <= to && step >= 1)) return undefined;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

