import { Cron } from 'croner';
import { describe, expect, it, vi } from 'vitest';
import { cronOf, expectedStarts, inferSchedule, suggestedGraceMinutes } from '../../lambdas/core/schedule.ts';
import { unmatchedExpected } from '../../lambdas/detectors/missed-run.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;

describe('expected starts of a cron schedule', () => {
  it('follows DST: a 02:30 Europe/Berlin job runs at 00:30Z before the October change and 01:30Z after', () => {
    // Act
    const times = expectedStarts('30 2 * * *', 'Europe/Berlin', Date.parse('2026-10-23T00:00:00Z'), Date.parse('2026-10-28T00:00:00Z'));
    // Assess
    expect(times.map(iso)).toEqual([
      '2026-10-23T00:30:00.000Z',
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it.each([
    ['an hour range', '15 1-6 * * *', 'Europe/Berlin', '2026-10-24T21:00:00Z', '2026-10-25T06:00:00Z', ['23:15', '00:15', '02:15', '03:15', '04:15', '05:15']],
    ['an hour list', '0 2,3 * * *', 'Europe/Berlin', '2026-10-24T21:00:00Z', '2026-10-25T06:00:00Z', ['00:00', '02:00']],
    ['an hour list in New York', '0 1,2 * * *', 'America/New_York', '2026-11-01T03:00:00Z', '2026-11-01T10:00:00Z', ['05:00', '07:00']],
    ['a window that begins inside the repeated hour', '15 1-6 * * *', 'Europe/Berlin', '2026-10-25T01:00:00Z', '2026-10-25T03:00:00Z', ['02:15']],
    ['a wildcard minute, which cron runs again in the repeated hour', '*/30 2-3 * * *', 'Europe/Berlin', '2026-10-24T23:45:00Z', '2026-10-25T02:00:00Z', ['00:00', '00:30', '01:00', '01:30', '02:00']],
  ])('expects a fixed time once when the clock goes back, for %s (%s)', (_, schedule, timezone, after, until, expected) => {
    // Act
    const times = expectedStarts(schedule, timezone, Date.parse(after), Date.parse(until));
    // Assess: UTC hours and minutes
    expect(times.map((t) => iso(t).slice(11, 16))).toEqual(expected);
  });

  it.each([
    ['one time', '30 1 * * *', 'Europe/London', '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z', ['01:00']],
    ['a minute list, both times skipped: once each', '0,30 1 * * *', 'Europe/London', '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z', ['01:00', '01:00']],
    ['an hour list', '30 2,3 * * *', 'America/New_York', '2026-03-07T12:00:00Z', '2026-03-08T12:00:00Z', ['07:00', '07:30']],
    ['an hour range', '15 1-6 * * *', 'Europe/Berlin', '2026-03-28T21:00:00Z', '2026-03-29T03:00:00Z', ['00:15', '01:00', '01:15', '02:15']],
    ['a skipped time and the first after the change', '0 1,2 * * *', 'Europe/London', '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z', ['01:00', '01:00']],
    ['a half-hour change, one time skipped', '15,45 2 * * *', 'Australia/Lord_Howe', '2026-10-03T12:00:00Z', '2026-10-04T00:00:00Z', ['15:30', '15:45']],
    ['a half-hour change, both times skipped', '0,15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T12:00:00Z', '2026-10-04T00:00:00Z', ['15:30', '15:30']],
    ['a wildcard minute, which cron does not run for the skipped hour', '*/30 2 * * *', 'Europe/Berlin', '2026-03-28T21:00:00Z', '2026-03-29T03:00:00Z', []],
  ])('expects the run cron makes right after the spring change for each skipped time, for %s (%s)', (_, schedule, timezone, after, until, expected) => {
    // Act
    const times = expectedStarts(schedule, timezone, Date.parse(after), Date.parse(until));
    // Assess: UTC hours and minutes; cron (Vixie, cronie) runs a fixed-time job once for each skipped minute it names, at the change
    expect(times.map((t) => iso(t).slice(11, 16))).toEqual(expected);
  });

  it('expects the catch-up run at the change in a window that ends at it, and none in one that begins at it', () => {
    // Act
    const ending = expectedStarts('0,30 1 * * *', 'Europe/London', Date.parse('2026-03-28T12:00:00Z'), Date.parse('2026-03-29T01:00:00Z'));
    const beginning = expectedStarts('0,30 1 * * *', 'Europe/London', Date.parse('2026-03-29T01:00:00Z'), Date.parse('2026-03-30T00:30:00Z'));
    // Assess
    expect(ending.map(iso)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T01:00:00.000Z']);
    expect(beginning.map(iso)).toEqual(['2026-03-30T00:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('finds the change forward from a window that begins off the minute, as a scan looks back from a run logged at 02:00:05 (it looped for ever)', () => {
    // Act: a Berlin job at 02:00 (skipped on 29 March, run by cron at 03:00 CEST, 01:00Z), asked from 5 s past a minute
    const times = expectedStarts('0 2 * * *', 'Europe/Berlin', Date.parse('2026-03-29T00:00:05Z'), Date.parse('2026-03-30T00:00:00Z'));
    // Assess: the catch-up run at the change itself, not 5 s after it
    expect(times.map(iso)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z']);
  });

  it('defaults to UTC, excludes the lower bound and includes the upper one', () => {
    const times = expectedStarts('5 * * * *', undefined, Date.parse('2026-10-01T00:05:00Z'), Date.parse('2026-10-01T03:05:00Z'));
    expect(times.map(iso)).toEqual(['2026-10-01T01:05:00.000Z', '2026-10-01T02:05:00.000Z', '2026-10-01T03:05:00.000Z']);
  });

  it('stops at the limit', () => {
    expect(expectedStarts('* * * * *', 'UTC', 0, Date.parse('2026-10-01T00:00:00Z'), 10)).toHaveLength(10);
  });

  describe('keeps its croner instances and times between calls, as a sweep every hour asks again', () => {
    /**
     * The times straight from a new croner instance, as expectedStarts read them before it kept any:
     * a fixed-time schedule's repeated wall times once, and at a change forward the wall times it
     * skipped (found minute by minute) in place of croner's.
     */
    const direct = (schedule: string, zone: string, after: number, until: number, limit = 1000) => {
      const cron = cronOf(schedule, { timezone: zone, paused: true });
      const fixed = !/^[*@]/.test(schedule) && !schedule.split(' ')[1].startsWith('*') && zone !== 'UTC';
      const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
      const wallOf = new Map<number, number>();
      const wall = (t: number) => wallOf.get(t) ?? wallOf.set(t, Date.parse(`${format.format(t).replace(/(\d+)\/(\d+)\/(\d+), /, (_, m, d, y) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}T`)}:00Z`)).get(t)!;
      const walls = new Set<number>();
      const times: number[] = [];
      let cursor = fixed ? after - 3 * 60 * MIN : after;
      while (times.length < limit) {
        const next = cron.nextRun(new Date(cursor))?.getTime();
        if (next === undefined) break;
        let skippedNext = false;
        if (fixed && wall(next) - next > wall(cursor) - cursor) {
          const unchanged = (t: number) => wall(t) - t === wall(cursor) - cursor;
          let at = cursor;
          while (unchanged(at + 30 * MIN)) at += 30 * MIN;
          for (at = Math.ceil(at / MIN) * MIN; unchanged(at); ) at += MIN;
          const onWallClock = cronOf(schedule, { timezone: 'UTC', paused: true });
          for (let w = wall(at - MIN) + MIN; w < wall(at); w += MIN) if (onWallClock.match(new Date(w)) && at > after && at <= until && times.length < limit) times.push(at);
          skippedNext = !onWallClock.match(new Date(wall(next)));
        }
        if (next > until || times.length >= limit) break;
        cursor = next;
        if (skippedNext) continue;
        if (fixed) {
          if (walls.has(wall(next))) continue;
          walls.add(wall(next));
        }
        if (next > after) times.push(next);
      }
      return times;
    };

    it('gives the same expected starts as a new croner instance, hour by hour across the clock changes of several zones', () => {
      // Prepare: windows of a sweep every hour (from the last expected start, or an hour back, to now) over each change of 2026
      const changes: Record<string, string[]> = {
        'Europe/Berlin': ['2026-03-29', '2026-10-25'],
        'America/New_York': ['2026-03-08', '2026-11-01'],
        'Australia/Sydney': ['2026-04-05', '2026-10-04'],
        UTC: ['2026-10-25'],
      };
      const schedules = ['30 2 * * *', '15 1-6 * * *', '0 2,3 * * *', '*/20 * * * *', '5 */2 * * *', '45 1 * * 0'];
      let compared = 0;
      for (const [zone, days] of Object.entries(changes)) {
        for (const schedule of schedules) {
          for (const day of days) {
            let judgedUntil = Date.parse(`${day}T00:00:00Z`) - 18 * 60 * MIN;
            for (let now = judgedUntil + 60 * MIN; now <= Date.parse(`${day}T00:00:00Z`) + 30 * 60 * MIN; now += 60 * MIN) {
              // Act: the same window twice (the second from what the first kept) and the direct answer
              const first = expectedStarts(schedule, zone, judgedUntil, now);
              const again = expectedStarts(schedule, zone, judgedUntil, now);
              const following = expectedStarts(schedule, zone, now, Number.POSITIVE_INFINITY, 2);
              // Assess
              expect(first, `${schedule} in ${zone} over (${iso(judgedUntil)}, ${iso(now)}]`).toEqual(direct(schedule, zone, judgedUntil, now));
              expect(again).toEqual(first);
              expect(following, `the next two after ${iso(now)} of ${schedule} in ${zone}`).toEqual(direct(schedule, zone, now, Number.POSITIVE_INFINITY, 2));
              judgedUntil = first.at(-1) ?? judgedUntil;
              compared++;
            }
          }
        }
      }
      expect(compared).toBe(7 * schedules.length * 48);
    });

    it("counts a schedule naming every day by its day's times, not by croner run by run, with the same starts as croner across clock changes", () => {
      // Prepare: 8 days around each clock change of 2026 (Lord Howe's is 30 minutes; Kolkata has none),
      // for schedules that name every day and no other test uses (their caches are fresh)
      const changes: Record<string, string[]> = {
        'Europe/Berlin': ['2026-03-29', '2026-10-25'],
        'America/New_York': ['2026-03-08', '2026-11-01'],
        'Australia/Lord_Howe': ['2026-04-05', '2026-10-04'],
        'Asia/Kolkata': ['2026-06-01'],
        UTC: ['2026-10-25'],
      };
      const schedules = ['7 * * * *', '*/10 * * * *', '10 2 * * *', '0,30 1-3 * * *', '0 45 */4 * * ?'];
      const nextRun = vi.spyOn(Cron.prototype, 'nextRun');
      let [asked, starts] = [0, 0];
      for (const [zone, days] of Object.entries(changes)) {
        for (const schedule of schedules) {
          for (const day of days) {
            const [after, until] = [Date.parse(`${day}T00:00:00Z`) - 4 * 24 * 60 * MIN, Date.parse(`${day}T00:00:00Z`) + 4 * 24 * 60 * MIN];
            // Act: the fast count, then the slow enumeration (a new croner instance run by run)
            const calls = nextRun.mock.calls.length;
            const times = expectedStarts(schedule, zone, after, until, Number.POSITIVE_INFINITY);
            asked += nextRun.mock.calls.length - calls;
            starts += times.length;
            // Assess: the same starts, the clock change's included
            expect(times, `${schedule} in ${zone} over (${iso(after)}, ${iso(until)}]`).toEqual(direct(schedule, zone, after, until, Number.POSITIVE_INFINITY));
          }
        }
      }
      nextRun.mockRestore();
      // Assess: croner answered a schedule's first 64 runs in each zone, its day's times and the runs near a clock change, not each run
      expect(starts).toBe(11_583);
      expect(asked).toBeLessThan(starts / 5);
    });

    it('counts a job every minute over a week by its day\'s times, the same as croner, the Berlin change back included', () => {
      // Prepare
      const [after, until] = [Date.parse('2026-10-22T00:00:00Z'), Date.parse('2026-10-29T00:00:00Z')];
      const nextRun = vi.spyOn(Cron.prototype, 'nextRun');
      // Act
      const times = expectedStarts('* * * * *', 'Europe/Berlin', after, until, Number.POSITIVE_INFINITY);
      const asked = nextRun.mock.calls.length;
      nextRun.mockRestore();
      // Assess: each minute once, croner asked for one day's times and the change's hours
      expect(times).toEqual(direct('* * * * *', 'Europe/Berlin', after, until, Number.POSITIVE_INFINITY));
      expect(times.length).toBe(7 * 1440);
      expect(asked).toBeLessThan(2 * 1440);
    });

    it("gives croner's starts in a zone whose offset had seconds (Monrovia's UTC-0:44:30 until 1972), not the minute's", () => {
      // Prepare: an hourly job (a schedule no other test uses) over 9 days of 1971, more than the 64 starts croner is asked alone
      const [after, until] = [Date.parse('1971-06-01T00:00:00Z'), Date.parse('1971-06-10T00:00:00Z')];
      const cron = cronOf('0 */1 * * *', { timezone: 'Africa/Monrovia', paused: true });
      const croner: number[] = [];
      for (let t = cron.nextRun(new Date(after))?.getTime(); t !== undefined && t <= until; t = cron.nextRun(new Date(t))?.getTime()) croner.push(t);
      // Act
      const times = expectedStarts('0 */1 * * *', 'Africa/Monrovia', after, until, Number.POSITIVE_INFINITY);
      // Assess: each start at :44:30, none twice
      expect(croner).toHaveLength(216);
      expect(times).toEqual(croner);
    });

    it('asks croner for the next run only once a window reaches a new expected start', () => {
      // Prepare: a daily job in a zone, judged every hour for 20 days (a schedule no other test uses)
      const nextRun = vi.spyOn(Cron.prototype, 'nextRun');
      const from = Date.parse('2026-10-15T00:00:00Z');
      let judgedUntil = from;
      // Act
      for (let now = from + 60 * MIN; now <= from + 20 * 24 * 60 * MIN; now += 60 * MIN) {
        judgedUntil = expectedStarts('17 3 * * *', 'Europe/Paris', judgedUntil, now).at(-1) ?? judgedUntil;
      }
      // Assess: about two a day (the start itself, from 3 hours before the window, and the next), not three an hour
      const calls = nextRun.mock.calls.length;
      nextRun.mockRestore();
      expect(judgedUntil).toBe(Date.parse('2026-11-03T02:17:00Z'));
      expect(calls).toBeLessThanOrEqual(3 * 20);
    });
  });

  describe("combines day of month and day of week as cron does: both must match when either field starts with '*', either may when both are restricted", () => {
    const december = (schedule: string) => expectedStarts(schedule, undefined, Date.parse('2026-12-01T00:00:00Z') - 1, Date.parse('2026-12-31T00:00:00Z'));
    const daysOf = (times: number[]) => times.map((t) => new Date(t).getUTCDate());
    const isWeekday = (day: number) => new Date(Date.UTC(2026, 11, day)).getUTCDay() % 6 !== 0;
    const decemberDays = Array.from({ length: 31 }, (_, i) => i + 1);

    it.each([
      ['0 0 */2 * 1-5', '*/2 in day of month'],
      ['0 0 0 */2 * 1-5', 'a seconds field first'],
    ])('runs %j (%s) on the odd-numbered weekdays only', (schedule) => {
      // Act
      const days = daysOf(december(schedule));
      // Assess: 2026-12-01 is a Tuesday
      expect(days).toEqual(decemberDays.filter((d) => d % 2 === 1 && isWeekday(d)));
      expect(days.slice(0, 4)).toEqual([1, 3, 7, 9]);
    });

    it("runs '0 0 1 * */7' (*/7 in day of week: Sundays) only on a 1st that is a Sunday", () => {
      // Act
      const times = expectedStarts('0 0 1 * */7', undefined, Date.parse('2026-01-01T00:00:00Z'), Date.parse('2028-01-01T00:00:00Z'));
      // Assess
      expect(times.map((t) => iso(t).slice(0, 10))).toEqual(['2026-02-01', '2026-03-01', '2026-11-01', '2027-08-01']);
    });

    it("runs '0 0 1-7 * 1' (neither field starts with '*') on the first seven days and on every Monday", () => {
      // Act
      const days = daysOf(december('0 0 1-7 * 1'));
      // Assess
      expect(days).toEqual([1, 2, 3, 4, 5, 6, 7, 14, 21, 28]);
    });
  });
});

describe('inferring a schedule from history', () => {
  const series = (startIso: string, periodMs: number, n: number, jitter = (i: number) => ((i * 7919) % 60) * 1000) =>
    Array.from({ length: n }, (_, i) => Date.parse(startIso) + i * periodMs + jitter(i));

  it.each([
    ['hourly at :05', series('2026-10-01T00:05:00Z', 60 * MIN, 48), { period: 'every 1 h', cron: '5 * * * *', period_ms: 3_600_000 }],
    ['every 15 minutes', series('2026-10-01T00:00:00Z', 15 * MIN, 96), { period: 'every 15 min', cron: '*/15 * * * *' }],
    ['daily at 02:30 UTC', series('2026-10-01T02:30:00Z', 24 * 60 * MIN, 14), { period: 'daily', cron: '30 2 * * *' }],
    ['every 6 hours from 03:00', series('2026-10-01T03:00:00Z', 6 * 60 * MIN, 20), { period: 'every 6 h', cron: '0 3-23/6 * * *' }],
  ])('learns %s', (_, starts, expected) => {
    expect(inferSchedule(starts)).toMatchObject({ regularity: 1, ...expected });
  });

  it.each([
    ['10 days, one of them missed', 10, [4]],
    ['13 days, the one Wednesday among them missed', 13, [6]],
  ])('keeps every weekday for a daily job seen %s (one day without a run is not a day of rest)', (_, days, missedIndexes) => {
    // Prepare: a daily job at 04:00 UTC from Thursday 1 October, a run or two missing
    const starts = series('2026-10-01T04:00:00Z', 24 * 60 * MIN, days).filter((_, i) => !missedIndexes.includes(i));
    // Act
    const learned = inferSchedule(starts);
    // Assess: the missed day's weekday stays in, so that its next miss is reported
    expect(learned).toMatchObject({ period: 'daily', cron: '0 4 * * *' });
  });

  it.each([9, 12, 14])('learns a weekday job seen for %i days as weekdays (two days in a row without a run are a weekend)', (days) => {
    // Prepare: a job at 04:00 UTC from Monday 5 October, on weekdays only
    const starts = series('2026-10-05T04:00:00Z', 24 * 60 * MIN, days).filter((t) => new Date(t).getUTCDay() % 6 !== 0);
    // Act / Assess
    expect(inferSchedule(starts)).toMatchObject({ period: 'daily', cron: '0 4 * * 1-5' });
  });

  it.each([
    ['a weekday job from Wednesday 7 October, 12 days, the run of Monday 12 October missed', '2026-10-07T04:00:00Z', 12, (t: number) => new Date(t).getUTCDay() % 6 !== 0 && !new Date(t).toISOString().startsWith('2026-10-12'), '0 4 * * *'],
    ['a daily job from Saturday 3 October, 10 days, out Wednesday to Friday 7-9 October', '2026-10-03T04:00:00Z', 10, (t: number) => !['2026-10-07', '2026-10-08', '2026-10-09'].includes(new Date(t).toISOString().slice(0, 10)), '0 4 * * *'],
  ])('keeps a day seen once that a missed run emptied beside a weekend or another: %s', (_, from, days, ran, cron) => {
    // Prepare
    const starts = series(from, 24 * 60 * MIN, days).filter(ran);
    // Act / Assess: only a block of exactly two days without a run, seen once, reads as a weekend; a block of three keeps
    // every day (a weekday job then expects its weekend until a second week shows it, rather than never expecting Monday)
    expect(inferSchedule(starts)).toMatchObject({ period: 'daily', cron });
  });

  it.each([8, 10, 13])('keeps Sunday for a Monday-to-Saturday job seen for %i days, and names the cron without it', (days) => {
    // Prepare: a job at 06:00 UTC from Monday 1 June 2026, no run on Sunday 7 June (the one Sunday seen)
    const starts = series('2026-06-01T06:00:00Z', 24 * 60 * MIN, days, () => 0).filter((t) => new Date(t).getUTCDay() !== 0);
    // Act
    const learned = inferSchedule(starts);
    // Assess: Sunday stays in (one Sunday without a run may be a missed run), and the cron that rests on it is offered
    expect(learned).toMatchObject({ period: 'daily', cron: '0 6 * * *', keptUnseenOnce: { days: [0], cronWithout: '0 6 * * 1-6' } });
  });

  it("learns a schedule in the hosts' zone when it is given, though no clock change was seen, and in UTC when the runs kept their UTC time across its change", () => {
    // Prepare: 02:30 Berlin summer time (00:30Z) for 20 days of September, and a job at 06:00 UTC every day of October (which the October change moves in Berlin)
    const berlin = series('2026-09-01T00:30:00Z', 24 * 60 * MIN, 20, () => 0);
    const utc = series('2026-10-10T06:00:00Z', 24 * 60 * MIN, 20, () => 0);
    // Act
    const learned = [inferSchedule(berlin, [], undefined, 'Europe/Berlin'), inferSchedule(berlin), inferSchedule(utc, [], undefined, 'Europe/Berlin')];
    // Assess: in Berlin's wall time, nothing guessed; without the zone, in UTC; a UTC job kept in UTC
    expect(learned[0]).toMatchObject({ period: 'daily', cron: '30 2 * * *', timezone: 'Europe/Berlin', regularity: 1 });
    expect(learned[0]?.clockChange).toBeUndefined();
    expect(learned[1]).toMatchObject({ cron: '30 0 * * *' });
    expect(learned[1]?.timezone).toBeUndefined();
    expect(learned[2]).toMatchObject({ cron: '0 6 * * *' });
    expect(learned[2]?.timezone).toBeUndefined();
  });

  it('offers no cron without a day the logs did not reach, nor for a weekend left out', () => {
    // Prepare: Monday to Saturday seen for six days (Sunday had no turn), and a weekday job over ten days (one weekend)
    const sixDays = series('2026-06-01T06:00:00Z', 24 * 60 * MIN, 6, () => 0);
    const weekdays = series('2026-10-05T04:00:00Z', 24 * 60 * MIN, 10, () => 0).filter((t) => new Date(t).getUTCDay() % 6 !== 0);
    // Act
    const learned = [inferSchedule(sixDays), inferSchedule(weekdays)];
    // Assess
    expect(learned[0]).toMatchObject({ cron: '0 6 * * *' });
    expect(learned[1]).toMatchObject({ cron: '0 4 * * 1-5', restDaysSeenOnce: [0, 6] });
    expect(learned.map((l) => l?.keptUnseenOnce)).toEqual([undefined, undefined]);
  });

  it('leaves out a weekday the job skipped twice, two weeks running', () => {
    // Prepare: 15 days from Thursday 1 October, no run on either Sunday (4 and 11 October)
    const starts = series('2026-10-01T04:00:00Z', 24 * 60 * MIN, 15).filter((t) => new Date(t).getUTCDay() !== 0);
    // Act / Assess
    expect(inferSchedule(starts)).toMatchObject({ period: 'daily', cron: '0 4 * * 1-6' });
  });

  it('suggests weekdays for a daily job that never runs at weekends', () => {
    const weekdays = series('2026-10-01T07:00:00Z', 24 * 60 * MIN, 31).filter((t) => new Date(t).getUTCDay() % 6 !== 0);
    expect(inferSchedule(weekdays)).toMatchObject({ period: 'daily', cron: '0 7 * * 1-5' });
  });

  it.each([
    ['Monday to Saturday at 06:00 UTC', series('2026-06-01T06:00:00Z', 24 * 60 * MIN, 28, () => 0).filter((t) => new Date(t).getUTCDay() !== 0), '0 6 * * 1-6'],
    ['weekdays at 00:30 Europe/Berlin (22:30Z, Sunday to Thursday)', series('2026-05-31T22:30:00Z', 24 * 60 * MIN, 28, () => 0).filter((t) => new Date(t).getUTCDay() <= 4), '30 22 * * 0-4'],
    ['Monday to Saturday seen for less than a week, when Sunday had no turn yet', series('2026-06-01T06:00:00Z', 24 * 60 * MIN, 6, () => 0), '0 6 * * *'],
  ])('suggests the weekdays a daily job runs on: %s', (_, starts, cron) => {
    // Act
    const inferred = inferSchedule(starts);
    // Assess: the suggested cron expects a run on every day one came, and on no other
    expect(inferred).toMatchObject({ period: 'daily', cron });
    expect(expectedStarts(cron, 'UTC', starts[0] - 1, starts[starts.length - 1])).toEqual(starts);
  });

  describe('a monthly or yearly job: months and years have no fixed length, so its schedule is a calendar one', () => {
    const monthly = (fromMonth: number, n: number, day: number, time: string) =>
      Array.from({ length: n }, (_, i) => Date.parse(`${new Date(Date.UTC(2026, fromMonth + i, day)).toISOString().slice(0, 10)}T${time}Z`) + ((i * 7919) % 60) * 1000);

    it.each([
      ['on the 1st at 03:00, June to December (gaps of 30 and 31 days)', monthly(5, 7, 1, '03:00:00'), 'monthly', '0 3 1 * *'],
      ['on the 15th at 22:45, a year of it (February too)', monthly(0, 12, 15, '22:45:00'), 'monthly', '45 22 15 * *'],
      ['on 1 January at 00:00, 2021 to 2028 (a leap year among them)', [2021, 2022, 2023, 2024, 2025, 2026, 2027, 2028].map((y) => Date.UTC(y, 0, 1, 0, 0, 5)), 'yearly', '0 0 1 1 *'],
      ['on the 1st at 00:00 Asia/Tokyo (15:00Z on the last day of the month before), a year of it', monthly(0, 12, 0, '15:00:00'), 'monthly', '0 15 L * *'],
      ['on the last day of the month at 23:10 UTC, June to November', monthly(6, 6, 0, '23:10:00'), 'monthly', '10 23 L * *'],
      ['on 1 March at 06:00 Asia/Tokyo (21:00Z on the last day of February), 2023 to 2029 (leap years among them)', [2023, 2024, 2025, 2026, 2027, 2028, 2029].map((y) => Date.UTC(y, 2, 0, 21, 0, 5)), 'yearly', '0 21 L 2 *'],
      ['on 1 March at 00:00 Asia/Tokyo, 2021 to 2026 (15:00Z on the 28th in five years of six, the 29th in 2024)', [2021, 2022, 2023, 2024, 2025, 2026].map((y) => Date.UTC(y, 2, 0, 15, 0, 30)), 'yearly', '0 15 L 2 *'],
      ['on 28 February at 12:00, 2021 to 2026 (the 28th in the leap year too)', [2021, 2022, 2023, 2024, 2025, 2026].map((y) => Date.UTC(y, 1, 28, 12, 0, 5)), 'yearly', '0 12 28 2 *'],
      ['on the 28th at 03:00, 2023 and 2024 (the last day of February 2023)', [2023, 2024].flatMap((y) => Array.from({ length: 12 }, (_, m) => Date.UTC(y, m, 28, 3, 0, 5))), 'monthly', '0 3 28 * *'],
      ['on the 30th at 03:00, a year of it (February has none; the last day of April, June, September, November)', [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((m) => Date.UTC(2026, m, 30, 3, 0, 5)), 'monthly', '0 3 30 * *'],
    ])('learns a job run %s', (_, starts, period, cron) => {
      // Act
      const inferred = inferSchedule(starts);
      // Assess: the cron expects a run on every day one came, and on no other
      expect(inferred).toMatchObject({ period, cron });
      expect(expectedStarts(cron, 'UTC', starts[0] - MIN, starts[starts.length - 1]).map((t) => iso(t).slice(0, 16))).toEqual(starts.map((t) => iso(t).slice(0, 16)));
    });

    it('learns a job run on the 1st at 00:30 Europe/Berlin, whose UTC time moves at each clock change, in Europe/Berlin', () => {
      // Prepare: 22:30Z from April to October (summer time), 23:30Z from November to March
      const starts = Array.from({ length: 12 }, (_, i) => Date.UTC(2026, i + 1, 1) - 30 * MIN - (i + 1 >= 3 && i + 1 <= 9 ? 60 * MIN : 0));
      // Act
      const inferred = inferSchedule(starts);
      // Assess: one expected start at the time of each run, summer and winter (in UTC, 22:30Z on the last day would be an hour off in winter)
      expect(inferred).toMatchObject({ period: 'monthly', cron: '30 0 1 * *', timezone: 'Europe/Berlin', clockChange: { on: '2026-10-25' } });
      const expected = expectedStarts(inferred!.cron!, inferred!.timezone, starts[0] - 2 * 60 * MIN, starts[starts.length - 1]);
      expect(expected.map(iso)).toEqual(starts.map(iso));
    });

    it.each([
      ['every 30 days, whatever the date', series('2026-01-01T03:00:00Z', 30 * 24 * 60 * MIN, 8)],
      ['about monthly, on no fixed day', [1, 33, 62, 95, 124, 157, 186].map((d) => Date.parse('2026-01-01T03:00:00Z') + d * 24 * 60 * MIN)],
    ])('keeps a period, with no cron, for a job run %s', (_, starts) => {
      // Act
      const inferred = inferSchedule(starts);
      // Assess
      expect(inferred).toBeDefined();
      expect(inferred!.period).toMatch(/^every \d+ h$/);
      expect(inferred!.cron).toBeUndefined();
    });
  });

  describe('a daily job known only from its end (logrotate writes its ALERT line when the run ends)', () => {
    // The times of day of logrotate's ends in the loghub Linux corpus: most at 04:03, the earliest 04:02:49, the latest 04:20:42
    const times = ['04:06:20', '04:10:24', '04:03:36', '04:02:49', '04:03:17', '04:03:12', '04:03:43', '04:05:19', '04:03:08', '04:03:18', '04:20:42', '04:04:00', '04:16:09'];
    const ends = times.map((time, i) => Date.parse(`2026-07-${String(i + 1).padStart(2, '0')}T${time}Z`));

    it('suggests the time at or before the earliest end, not the most common one, and the suggestion fits every run', () => {
      // Act
      const inferred = inferSchedule(ends, ends);
      // Assess: with the suggestion in the config (grace 15), no day is missed
      expect(inferred).toMatchObject({ period: 'daily', cron: '2 4 * * *' });
      const expected = expectedStarts(inferred!.cron!, 'UTC', ends[0] - 24 * 60 * MIN, ends[ends.length - 1]);
      expect(expected).toHaveLength(ends.length);
      expect(unmatchedExpected(expected, [], ends, 2 * MIN, 15 * MIN, undefined, ends)).toEqual([]);
    });

    it('takes the most common minute when the same times are starts', () => {
      expect(inferSchedule(ends)).toMatchObject({ period: 'daily', cron: '3 4 * * *' });
    });

    it('leaves an end far earlier than the others (a run by hand) out of the suggested time', () => {
      // Prepare: one more run, by hand, at 01:10
      const withManual = [...ends, Date.parse('2026-07-14T01:10:00Z'), Date.parse('2026-07-15T04:05:00Z')];
      // Act
      const inferred = inferSchedule(withManual, withManual);
      // Assess
      expect(inferred).toMatchObject({ period: 'daily', cron: '2 4 * * *' });
    });
  });

  it('learns the earliest minute a good share of runs started at, for runs started a few minutes late at random, and not a run by hand earlier still', () => {
    // Prepare: 02:30 UTC for 40 days, each run 0 to 5 minutes late (02:34 the most common), and one run by hand at 02:22
    const late = [0, 4, 1, 4, 2, 5, 3, 4];
    const starts = series('2026-10-01T02:30:00Z', 24 * 60 * MIN, 40, (i) => late[i % late.length] * MIN + 7_000);
    const withManual = [...starts, Date.parse('2026-10-20T02:22:00Z')];
    // Act
    const learned = [inferSchedule(starts), inferSchedule(withManual)];
    // Assess: 02:30, which every run comes at or after, within the grace of 15 minutes
    expect(learned[0]).toMatchObject({ period: 'daily', cron: '30 2 * * *' });
    expect(learned[1]).toMatchObject({ period: 'daily', cron: '30 2 * * *' });
    const expected = expectedStarts(learned[0]!.cron!, 'UTC', starts[0] - 60 * MIN, starts[starts.length - 1]);
    expect(unmatchedExpected(expected, [], starts, 2 * MIN, 15 * MIN)).toEqual([]);
  });

  // The promise of init then scan --config on the same logs: every run learned from is on time (2 min early, the default grace of 15 min late).
  const missedAmong = (learned: ReturnType<typeof inferSchedule>, starts: number[], after = starts[0] - 60 * MIN, until = starts[starts.length - 1]) =>
    unmatchedExpected(expectedStarts(learned!.cron!, learned!.timezone ?? 'UTC', after, until), [], starts, 2 * MIN, 15 * MIN).map(iso);

  it('learns 23:57 for a daily job whose runs, a few minutes late, start either side of midnight', () => {
    // Prepare: 23:57 UTC for 40 days, each run 0 to 5 minutes late (23:57 the most common minute, 00:00 to 00:02 the most common hour)
    const late = [0, 0, 0, 3, 4, 5, 3, 4];
    const starts = series('2026-09-01T23:57:00Z', 24 * 60 * MIN, 40, (i) => late[i % late.length] * MIN + 7_000);
    // Act
    const learned = inferSchedule(starts);
    // Assess: not 00:57, which would call every run missed
    expect(learned).toMatchObject({ period: 'daily', cron: '57 23 * * *' });
    expect(missedAmong(learned, starts)).toEqual([]);
  });

  it("keeps in UTC a job a few minutes late whose runs kept their UTC time across the hosts' clock change", () => {
    // Prepare: 02:30 UTC (CRON_TZ=UTC on a Berlin host), 30 days to Berlin's change of 25 October and 4 after, each 0 to 5 minutes late
    const late = (i: number) => (i < 30 ? [0, 1, 0, 2, 0, 3, 0, 5][i % 8] : i - 29);
    const starts = series('2026-09-25T02:30:00Z', 24 * 60 * MIN, 34, (i) => late(i) * MIN + 7_000);
    // Act
    const learned = inferSchedule(starts, [], undefined, 'Europe/Berlin');
    // Assess: in UTC, not 04:30 Berlin (the runs after the change an hour off it)
    expect(learned).toMatchObject({ period: 'daily', cron: '30 2 * * *' });
    expect(learned?.timezone).toBeUndefined();
    expect(missedAmong(learned, starts)).toEqual([]);
  });

  it('guesses no zone from a last run started late an hour after a clock change', () => {
    // Prepare: 02:30 UTC for 30 days, some runs 40 to 80 minutes late (a lock), the last on 2 November (after New York's change) at 03:23Z; then a week at 02:30Z
    const starts = [
      1791081065000, 1791167405000, 1791253865000, 1791340205000, 1791426725000, 1791513065000, 1791599525000, 1791685865000, 1791775985000, 1791858605000,
      1791945005000, 1792031405000, 1792120325000, 1792204205000, 1792294325000, 1792377125000, 1792463405000, 1792549805000, 1792636265000, 1792727045000,
      1792809125000, 1792895465000, 1792981865000, 1793068265000, 1793154665000, 1793244785000, 1793327525000, 1793413925000, 1793500325000, 1793589785000,
    ];
    const nextWeek = series('2026-11-03T02:30:05Z', 24 * 60 * MIN, 7, () => 0);
    // Act
    const learned = inferSchedule(starts);
    // Assess: 02:30 UTC, which the next week's runs keep (not 22:30 America/New_York, which would call them all missed)
    expect(learned).toMatchObject({ period: 'daily', cron: '30 2 * * *' });
    expect(learned?.timezone).toBeUndefined();
    expect(missedAmong(learned, nextWeek, starts[starts.length - 1])).toEqual([]);
  });

  it('learns no cron for runs started up to 19 minutes late at random, more than the default grace of 15 minutes', () => {
    // Prepare: 02:00 UTC for 30 days, each run 0 to 19 minutes late (a RandomizedDelaySec of 20 minutes), the median interval 24 h 1 min
    const starts = [
      1791684185000, 1791770585000, 1791856925000, 1791943505000, 1792030685000, 1792116005000, 1792203425000, 1792288925000, 1792375445000, 1792461905000,
      1792548905000, 1792634885000, 1792721405000, 1792808285000, 1792894085000, 1792980185000, 1793066885000, 1793153765000, 1793239565000, 1793325905000,
      1793412725000, 1793498525000, 1793585945000, 1793671865000, 1793758565000, 1793844665000, 1793930405000, 1794017645000, 1794104285000, 1794190325000,
    ];
    // Act
    const learned = inferSchedule(starts);
    // Assess: a cron at any one minute would call some of these runs missed
    expect(learned).toBeDefined();
    expect(learned?.cron).toBeUndefined();
  });

  it('reports how late the runs started after the time learned: up to 19 minutes for a job at 02:00 started 0 to 19 minutes late at random', () => {
    // Prepare: 02:00 UTC for 30 days, each run 0 to 19 minutes late (a RandomizedDelaySec of 20 minutes)
    const late = [16, 5, 0, 3, 8, 13, 8, 17, 19, 8, 19, 0, 4, 3, 17, 6, 11, 0, 0, 11, 4, 18, 7, 1, 9, 7, 5, 5, 14, 10];
    const starts = late.map((l, i) => Date.UTC(2026, 9, 1 + i, 2, l, 5));
    // Act
    const learned = inferSchedule(starts);
    const grace = suggestedGraceMinutes(learned!, 15);
    // Assess: at the earliest minute, 19 min the latest start after it, a grace of 25 minutes to give
    expect(learned).toMatchObject({ cron: '0 2 * * *', lateMinutes: 19 });
    expect(grace).toBe(25);
    expect(suggestedGraceMinutes(learned!, 30)).toBeUndefined();
  });

  it('takes one run 90 minutes late among 29 on time for an incident, not the grace the job needs; among fewer than 20 runs it counts', () => {
    // Prepare: 02:00 UTC for 29 days, up to 2 minutes late, on 11 October 90 minutes late (held up once)
    const late = (days: number) => Array.from({ length: days }, (_, i) => (i === 10 ? 90 : i % 3));
    const starts = (days: number) => late(days).map((l, i) => Date.UTC(2026, 9, 1 + i, 2, l, 5));
    // Act
    const month = inferSchedule(starts(29));
    const fortnight = inferSchedule(starts(14));
    // Assess: the lone late run is left to be reported missed; with too few runs to tell, it is counted
    expect(month).toMatchObject({ cron: '0 2 * * *', lateMinutes: 2 });
    expect(suggestedGraceMinutes(month!, 15)).toBeUndefined();
    expect(fortnight).toMatchObject({ cron: '0 2 * * *', lateMinutes: 90 });
    expect(suggestedGraceMinutes(fortnight!, 15)).toBe(95);
  });

  it.each([
    ['two hours later', 7, '0 7 * * *', '07:00'],
    ['three hours later', 8, '0 8 * * *', '08:00'],
    ['four hours earlier', 1, '0 1 * * *', '01:00'],
  ])('learns the time daily runs moved to, %s, from the runs since, and says they moved', (_, hour, cron, to) => {
    // Prepare: 05:00 UTC from 1 November for 15 days, then at the new hour for 15 days
    const starts = Array.from({ length: 30 }, (_, i) => Date.UTC(2026, 10, 1 + i, i < 15 ? 5 : hour, 0, 5));
    // Act
    const learned = inferSchedule(starts);
    // Assess: not the old time with a grace of hours (nor without one: each new run reported missed)
    expect(learned).toMatchObject({ period: 'daily', cron, moved: { on: '2026-11-16', from: '05:00', to, runs: 15 } });
    expect(suggestedGraceMinutes(learned!, 15)).toBeUndefined();
  });

  it('keeps the old time of daily runs that moved for fewer than a week (they may move back), and a lone run at another time', () => {
    // Prepare: 05:00 UTC for 25 days, then 07:00 for 5; and 30 days at 05:00 with one run at 08:00
    const moved = Array.from({ length: 30 }, (_, i) => Date.UTC(2026, 10, 1 + i, i < 25 ? 5 : 7, 0, 5));
    const lone = Array.from({ length: 30 }, (_, i) => Date.UTC(2026, 10, 1 + i, i === 12 ? 8 : 5, 0, 5));
    // Act / Assess
    expect(inferSchedule(moved)).toMatchObject({ cron: '0 5 * * *' });
    expect(inferSchedule(moved)?.moved).toBeUndefined();
    expect(inferSchedule(lone)).toMatchObject({ cron: '0 5 * * *' });
    expect(inferSchedule(lone)?.moved).toBeUndefined();
  });

  it('offers for runs every 90 minutes, which no cron says, the cron every 3 hours at their time that expects every 2nd run', () => {
    // Prepare: every 90 minutes from 00:30 UTC on 1 November for 3 days
    const starts = series('2026-11-01T00:30:00Z', 90 * MIN, 48);
    // Act
    const learned = inferSchedule(starts);
    // Assess
    expect(learned).toMatchObject({ period: 'every 90 min', coarser: { cron: '30 0-23/3 * * *', period: 'every 3 h', everyNth: 2 } });
    expect(learned?.cron).toBeUndefined();
    expect(inferSchedule(series('2026-11-01T00:00:00Z', 7 * MIN, 48))?.coarser).toBeUndefined();
  });

  it('takes no run by hand after a day\'s own run for lateness: a job at 02:00 on time, rerun by hand at 03:30 one day, gets no grace', () => {
    // Prepare: 02:00 UTC for 20 days, a minute late at most; on 10 October a second run by hand at 03:30
    const starts = [...Array.from({ length: 20 }, (_, i) => Date.UTC(2026, 9, 1 + i, 2, i % 2, 5)), Date.UTC(2026, 9, 10, 3, 30, 0)].sort((a, b) => a - b);
    // Act
    const learned = inferSchedule(starts);
    // Assess
    expect(learned).toMatchObject({ cron: '0 2 * * *', lateMinutes: 1 });
    expect(suggestedGraceMinutes(learned!, 15)).toBeUndefined();
  });

  describe('a job whose UTC time moves by an hour at a clock change (a host on local time)', () => {
    const HOUR = 60 * MIN;
    // Daily from 18 to 31 October 2026, 00:30Z up to the `movedOn`th, an hour later from then on.
    const daily = (movedOn: number, minute = 30) => Array.from({ length: 14 }, (_, i) => Date.UTC(2026, 9, 18 + i, 18 + i < movedOn ? 0 : 1, minute, 1));

    it('learns 02:30 Europe/Berlin across the change of 25 October, naming the date and zones that fit at other times', () => {
      // Prepare: 02:30 in Berlin, summer time (00:30Z) to 25 October, winter time (01:30Z) after
      const starts = daily(26);
      // Act
      const inferred = inferSchedule(starts);
      // Assess: the local schedule fits every run; in UTC no one time would
      expect(inferred).toMatchObject({ period: 'daily', cron: '30 2 * * *', timezone: 'Europe/Berlin', regularity: 1, clockChange: { on: '2026-10-25' } });
      expect(inferred!.clockChange!.alternatives.slice(0, 2)).toEqual([
        { timezone: 'Europe/London', cron: '30 1 * * *' },
        { timezone: 'Europe/Helsinki', cron: '30 3 * * *' },
      ]);
      const expected = expectedStarts(inferred!.cron!, inferred!.timezone, starts[0] - HOUR, starts[starts.length - 1]);
      expect(expected.map((t) => iso(t).slice(0, 16))).toEqual(starts.map((t) => iso(t).slice(0, 16)));
    });

    it('learns a weekday job at 06:00 New York time across the change of 1 November in America/New_York', () => {
      // Prepare: weekdays 19 October to 12 November 2026, 10:00Z (EDT) to 30 October, 11:00Z (EST) from 2 November
      const starts = Array.from({ length: 25 }, (_, i) => Date.UTC(2026, 9, 19 + i, 19 + i <= 31 ? 10 : 11))
        .filter((t) => new Date(t).getUTCDay() % 6 !== 0);
      // Act / Assess
      expect(inferSchedule(starts)).toMatchObject({ cron: '0 6 * * 1-5', timezone: 'America/New_York', clockChange: { on: '2026-11-01' } });
    });

    it('keeps a UTC schedule, with no zone, for a job whose time never moved', () => {
      // Act
      const inferred = inferSchedule(daily(99));
      // Assess
      expect(inferred).toMatchObject({ period: 'daily', cron: '30 0 * * *', regularity: 1 });
      expect(inferred).not.toHaveProperty('timezone');
      expect(inferred).not.toHaveProperty('movedAnHour');
    });

    it('learns no cron for runs that moved by an hour on a day no zone changed its clock, and says when and from what to what', () => {
      // Prepare: 00:30Z to 21 October, 01:30Z from the 22nd (no zone changes its clock then)
      const starts = daily(22);
      // Act
      const inferred = inferSchedule(starts);
      // Assess
      expect(inferred).toMatchObject({ period: 'daily', movedAnHour: { on: '2026-10-22', from: '00:30', to: '01:30', cronAfter: '30 1 * * *' } });
      expect(inferred!.cron).toBeUndefined();
      expect(inferred).not.toHaveProperty('timezone');
    });

    it('learns 02:30 Europe/Berlin across the change of 25 October though one run by hand came an hour after a run', () => {
      // Prepare: 02:30 in Berlin from 18 to 31 October, and a run by hand at 03:30 on the 21st (01:30Z, the UTC time of winter's runs)
      const starts = [...daily(26), Date.UTC(2026, 9, 21, 1, 30, 10)];
      // Act / Assess: the one run an hour off is left out of the zone's test
      expect(inferSchedule(starts)).toMatchObject({ period: 'daily', cron: '30 2 * * *', timezone: 'Europe/Berlin', clockChange: { on: '2026-10-25' } });
    });

    it.each([
      // 02:00 is skipped on 29 March in Berlin: that day's run came at 03:00 CEST, 01:00Z, the UTC time of the runs before
      ['Europe/Berlin', '0 2 * * *', '2026-03-15', 29, 1, '2026-03-29'],
      // 02:30 too: that day's run came at 03:30 CEST, 01:30Z
      ['Europe/Berlin', '30 2 * * *', '2026-03-15', 29, 1, '2026-03-29'],
      // 02:00 is skipped on 8 March in New York: that day's run came at 03:00 EDT, 07:00Z (America/Chicago at 01:00 fits too)
      ['America/New_York', '0 2 * * *', '2026-02-20', 34, 7, '2026-03-08'],
    ])('learns a job in %s at "%s", in the hour the spring change skips, in its zone, from %s, with no grace to add', (zone, cron, from, days, winterHour, on) => {
      // Prepare: daily in that hour, local time, as cron runs it (at the change on the day it does not exist)
      const first = Date.parse(`${from}T00:00:00Z`);
      const starts = expectedStarts(cron, zone, first, first + days * 24 * HOUR).map((t) => t + 12_000);
      expect(new Date(starts.find((t) => iso(t).startsWith(on))!).getUTCHours()).toBe(winterHour);
      // Act
      const inferred = inferSchedule(starts);
      const withHostZone = inferSchedule(starts, [], undefined, zone);
      // Assess: the zone's time, the change's date, the schedule expects every run, and the run at the change is not late
      expect(inferred).toMatchObject({ period: 'daily', cron, timezone: zone, clockChange: { on }, lateMinutes: 0 });
      expect(withHostZone).toMatchObject({ cron, timezone: zone, lateMinutes: 0 });
      expect(suggestedGraceMinutes(withHostZone!, 15)).toBeUndefined();
      const expected = expectedStarts(inferred!.cron!, inferred!.timezone, starts[0] - HOUR, starts[starts.length - 1]);
      expect(unmatchedExpected(expected, [], starts, 2 * MIN, 15 * MIN)).toEqual([]);
    });

    it('learns 02:30 Europe/Berlin, not America/New_York, for runs a few minutes late, none at the most common minute between the two zones\' changes', () => {
      // Prepare: 02:30 Berlin time 1 October to 14 November, 0 to 5 minutes late (4 the most common), 1 to 3 minutes late from 25 October to 1 November
      const late = [0, 4, 1, 4, 2, 5, 3, 4];
      const starts = expectedStarts('30 2 * * *', 'Europe/Berlin', Date.parse('2026-10-01T00:00:00Z'), Date.parse('2026-11-15T00:00:00Z'))
        .map((t, i) => t + (t >= Date.parse('2026-10-25T00:00:00Z') && t < Date.parse('2026-11-02T00:00:00Z') ? 1 + (i % 3) : late[i % late.length]) * MIN + 9_000);
      // Act
      const inferred = inferSchedule(starts);
      // Assess
      expect(inferred).toMatchObject({ period: 'daily', cron: '30 2 * * *', timezone: 'Europe/Berlin', clockChange: { on: '2026-10-25' } });
    });

    it('keeps the UTC schedule of a job with one run by hand an hour off', () => {
      // Prepare: 00:30Z every day, but 01:30Z on 22 October
      const starts = daily(99).map((t) => (iso(t).startsWith('2026-10-22') ? t + HOUR : t));
      // Act / Assess
      expect(inferSchedule(starts)).toMatchObject({ period: 'daily', cron: '30 0 * * *' });
      expect(inferSchedule(starts)).not.toHaveProperty('movedAnHour');
    });
  });

  it.each([
    ['too few runs', series('2026-10-01T00:05:00Z', 60 * MIN, 5)],
    ['irregular runs', [0, 7, 9, 30, 31, 55, 80, 81, 140].map((m) => Date.parse('2026-10-01T00:00:00Z') + m * MIN * 10)],
  ])('learns nothing from %s', (_, starts) => {
    expect(inferSchedule(starts)).toBeUndefined();
  });
});

describe('a learned schedule checked against the runs it was learned from', () => {
  const HOUR = 60 * MIN;
  /** The expected starts of a schedule from 1 October 2026 for `days` days, each 20 s late. */
  const runsOf = (schedule: string, days: number, timezone?: string) =>
    expectedStarts(schedule, timezone, Date.parse('2026-09-30T23:59:00Z'), Date.parse('2026-10-01T00:00:00Z') + days * 24 * HOUR).map((t) => t + 20_000);

  it.each([
    ['business hours', '0 9-17 * * *', 14, 'every 1 h'],
    ['every 30 min at night', '*/30 1-3 * * *', 14, 'every 30 min'],
    ['every 2 h in business hours on weekdays', '0 9-17/2 * * 1-5', 21, 'every 2 h'],
  ])('learns the hours and weekdays of a job run in a window (%s: %s), not a cron that expects runs outside it', (_, schedule, days, period) => {
    // Prepare
    const starts = runsOf(schedule, days);
    // Act
    const learned = inferSchedule(starts);
    // Assess: the window's schedule, under which every run is on time and none is missed
    expect(learned).toMatchObject({ period, cron: schedule });
    expect(unmatchedExpected(expectedStarts(learned!.cron!, undefined, starts[0] - 3 * MIN, starts[starts.length - 1]), [], starts, 2 * MIN, 15 * MIN)).toEqual([]);
  });

  it('leaves out of a window the hour of a lone run by hand, and learns the zone of one whose UTC hours moved at its clock change (or no cron when none explains it)', () => {
    // Prepare: 09:00-17:00 UTC daily with one run by hand at 20:13; 09:00-17:00 on weekdays in Europe/London across the March change; the same an hour off on a day no zone changed its clock
    const handRun = Date.parse('2026-10-09T20:13:00Z');
    const withHandRun = [...runsOf('0 9-17 * * *', 14), handRun].sort((a, b) => a - b);
    const london = expectedStarts('0 9-17 * * 1-5', 'Europe/London', Date.parse('2026-03-09T00:00:00Z'), Date.parse('2026-04-18T00:00:00Z')).map((t) => t + 5_000);
    const movedOn = Date.parse('2026-10-07T00:00:00Z');
    const moved = runsOf('0 9-17 * * 1-5', 14).map((t) => (t >= movedOn ? t - HOUR : t));
    // Act
    const learnedHand = inferSchedule(withHandRun);
    const learnedLondon = inferSchedule(london);
    const learnedMoved = inferSchedule(moved);
    // Assess: no hour expecting runs that did not come (20:00 daily; 08:00Z before the change and 17:00Z after)
    expect(learnedHand).toMatchObject({ cron: '0 9-17 * * *' });
    expect(learnedHand).not.toHaveProperty('timezone');
    expect(learnedLondon).toMatchObject({ cron: '0 10-18 * * 1-5', timezone: 'Europe/Berlin', clockChange: { on: '2026-03-29' } });
    expect(learnedLondon!.clockChange!.alternatives).toContainEqual({ timezone: 'Europe/London', cron: '0 9-17 * * 1-5' });
    expect(unmatchedExpected(expectedStarts(learnedLondon!.cron!, learnedLondon!.timezone, london[0] - 3 * MIN, london[london.length - 1]), [], london, 2 * MIN, 15 * MIN)).toEqual([]);
    expect(learnedMoved).not.toHaveProperty('cron');
    expect(learnedMoved).toMatchObject({ movedAnHour: { on: '2026-10-07', from: '09:00', to: '08:00', cronAfter: '0 8-16 * * 1-5' } });
  });

  it('learns no cron when the one the runs suggest expects far more runs than were seen and no window fits them, and says so', () => {
    // Prepare: hourly from 09:00 to 17:00 UTC, on the second week from 12:00 to 20:00 (a window that moved)
    const starts = runsOf('0 9-17 * * *', 14).map((t) => (t >= Date.parse('2026-10-08T00:00:00Z') ? t + 3 * HOUR : t));
    // Act
    const learned = inferSchedule(starts);
    // Assess
    expect(learned).toMatchObject({ period: 'every 1 h', unfit: { cron: '0 * * * *' } });
    expect(learned).not.toHaveProperty('cron');
    expect(learned!.unfit!.expected).toBeGreaterThan(2 * learned!.unfit!.seen);
  });

  it('learns a window that crosses UTC midnight in its zone, DST-correct: hourly 09:00-17:00 in Australia/Sydney across its October change, guessed or given (--timezone)', () => {
    // Prepare: 09:00-17:00 Sydney time from 20 September to 9 October 2026 (22:00-06:00Z after the change on 4 October, 23:00-07:00Z before)
    const sydney = expectedStarts('0 9-17 * * *', 'Australia/Sydney', Date.parse('2026-09-19T12:00:00Z'), Date.parse('2026-10-09T12:00:00Z')).map((t) => t + 20_000);
    // Act
    const guessed = inferSchedule(sydney);
    const given = inferSchedule(sydney, [], undefined, 'Australia/Sydney');
    // Assess: the window in Sydney's wall time, under which every run is on time and none is missed
    expect(guessed).toMatchObject({ period: 'every 1 h', cron: '0 9-17 * * *', timezone: 'Australia/Sydney', clockChange: { on: '2026-10-04' } });
    expect(given).toMatchObject({ period: 'every 1 h', cron: '0 9-17 * * *', timezone: 'Australia/Sydney' });
    expect(given).not.toHaveProperty('clockChange');
    for (const learned of [guessed, given]) {
      expect(unmatchedExpected(expectedStarts(learned!.cron!, learned!.timezone, sydney[0] - 3 * MIN, sydney[sydney.length - 1]), [], sydney, 2 * MIN, 15 * MIN)).toEqual([]);
    }
  });

  it('learns a window in the zone given (--timezone) when no clock change is seen: hourly 09:00-17:00 in Australia/Sydney in its winter', () => {
    // Prepare: 09:00-17:00 Sydney time for two weeks of July (23:00-07:00Z)
    const sydney = expectedStarts('0 9-17 * * *', 'Australia/Sydney', Date.parse('2026-07-01T00:00:00Z'), Date.parse('2026-07-15T00:00:00Z')).map((t) => t + 20_000);
    // Act
    const learned = inferSchedule(sydney, [], undefined, 'Australia/Sydney');
    // Assess
    expect(learned).toMatchObject({ cron: '0 9-17 * * *', timezone: 'Australia/Sydney' });
  });

  it('leaves out the hour an hourly job never runs in (03:00), so that no run is reported missed there every day', () => {
    // Prepare: hourly for ten days, never at 03:00
    const starts = runsOf('0 0-2,4-23 * * *', 10);
    // Act
    const learned = inferSchedule(starts);
    // Assess
    expect(learned).toMatchObject({ period: 'every 1 h', cron: '0 0-2,4-23 * * *' });
    expect(unmatchedExpected(expectedStarts(learned!.cron!, undefined, starts[0] - 3 * MIN, starts[starts.length - 1]), [], starts, 2 * MIN, 15 * MIN)).toEqual([]);
  });

  it.each([
    ['October', '2026-10-15T00:00:00Z', '2026-10-25'],
    ['March', '2026-03-20T00:00:00Z', '2026-03-29'],
  ])('leaves out the hour an hourly job on London time never runs in (03:00) across its %s change, in the zone, guessed or given (--timezone)', (_, from, changeOn) => {
    // Prepare: hourly for 14 days never at 03:00 Europe/London (02:00Z in summer, 03:00Z in winter); the last 200 starts kept
    const all = expectedStarts('0 0-2,4-23 * * *', 'Europe/London', Date.parse(from), Date.parse(from) + 14 * 24 * HOUR).map((t) => t + 20_000);
    const kept = all.slice(-200);
    const seen = { firstStart: all[0], starts: all.length, earliest: all.slice(0, 3) };
    // Act
    const guessed = inferSchedule(kept, [], undefined, undefined, seen);
    const given = inferSchedule(kept, [], undefined, 'Europe/London', seen);
    // Assess: the gap hour in the wall time of a zone changing with London's (not "0 * * * *", which calls 03:00 missed each day)
    expect(guessed).toMatchObject({ cron: '0 0-3,5-23 * * *', timezone: 'Europe/Berlin', clockChange: { on: changeOn } });
    expect(guessed!.clockChange!.alternatives).toContainEqual({ timezone: 'Europe/London', cron: '0 0-2,4-23 * * *' });
    expect(given).toMatchObject({ cron: '0 0-2,4-23 * * *', timezone: 'Europe/London' });
    for (const learned of [guessed, given]) {
      expect(unmatchedExpected(expectedStarts(learned!.cron!, learned!.timezone, all[0] - 3 * MIN, all[all.length - 1]), [], all, 2 * MIN, 15 * MIN)).toEqual([]);
    }
  });

  it('learns no cron when a start seen before the kept ones comes at no time of it (an hourly job whose runs moved by half an hour at Lord Howe\'s clock change)', () => {
    // Prepare: @hourly in Australia/Lord_Howe from 28 September to 11 October 2026 (:30 UTC before 4 October, :00 after); the last 200 starts kept
    const all = runsOf('@hourly', 14, 'Australia/Lord_Howe');
    const kept = all.slice(-200);
    // Act
    const learned = inferSchedule(kept, [], undefined, undefined, { firstStart: all[0], starts: all.length, earliest: all.slice(0, 3) });
    // Assess: "0 * * * *" from the kept starts alone would report every run before the change missed
    expect(inferSchedule(kept)).toMatchObject({ cron: '0 * * * *' });
    expect(learned).toMatchObject({ period: 'every 1 h', unfit: { cron: '0 * * * *', firstStart: all[0] } });
    expect(learned).not.toHaveProperty('cron');
  });

  it('learns no cron for Lord Howe\'s moved runs when a run was missed among the earliest three (two periods apart, not minutes as runs by hand)', () => {
    // Prepare: @hourly in Australia/Lord_Howe as above, its second run missed; the last 200 starts kept
    const all = runsOf('@hourly', 14, 'Australia/Lord_Howe').filter((_, i) => i !== 1);
    const kept = all.slice(-200);
    // Act
    const learned = inferSchedule(kept, [], undefined, undefined, { firstStart: all[0], starts: all.length, earliest: all.slice(0, 3) });
    // Assess
    expect(learned).toMatchObject({ period: 'every 1 h', unfit: { cron: '0 * * * *', firstStart: all[0] } });
    expect(learned).not.toHaveProperty('cron');
  });

  it('learns no cron for Lord Howe\'s moved runs from a state kept before its earliest starts were, or whose earliest starts began after its first', () => {
    // Prepare: @hourly in Australia/Lord_Howe as above; no earliest starts (a state from before they were kept), or the last three (kept since an upgrade)
    const all = runsOf('@hourly', 14, 'Australia/Lord_Howe');
    const kept = all.slice(-200);
    // Act
    const learned = [undefined, all.slice(-3)].map((earliest) => inferSchedule(kept, [], undefined, undefined, { firstStart: all[0], starts: all.length, ...(earliest ? { earliest } : {}) }));
    // Assess: the count of starts seen tells the move, as the earliest starts do not begin at the first
    for (const schedule of learned) {
      expect(schedule).toMatchObject({ period: 'every 1 h', unfit: { cron: '0 * * * *', firstStart: all[0] } });
      expect(schedule).not.toHaveProperty('cron');
    }
  });

  it('keeps the cron of an hourly job whose first run seen was a run by hand off its time, followed by runs at every time of it', () => {
    // Prepare: hourly at :05 for 20 days, the last 200 starts kept, and before them all one run by hand at :37 (the day it was installed)
    const all = runsOf('5 * * * *', 20);
    const handRun = all[0] - 28 * MIN;
    // Act
    const learned = inferSchedule(all.slice(-200), [], undefined, undefined, { firstStart: handRun, starts: all.length + 1, earliest: [handRun, all[0], all[1]] });
    // Assess: one start off the schedule is no move of it
    expect(learned).toMatchObject({ cron: '5 * * * *' });
    expect(learned).not.toHaveProperty('unfit');
  });

  it('keeps the cron of an hourly job whose first run seen was a run by hand off its time, with an outage of one or two hours later on', () => {
    // Prepare: hourly at :05 for 20 days, one run by hand at :37 before them all, and 1 or 2 runs missed on day 10 (before the last 200 starts kept)
    const all = runsOf('5 * * * *', 20);
    const handRun = all[0] - 28 * MIN;
    const seen = (outage: number) => ({ firstStart: handRun, starts: all.length - outage + 1, earliest: [handRun, all[0], all[1]] });
    // Act
    const learned = [1, 2].map((outage) => inferSchedule(all.slice(-200), [], undefined, undefined, seen(outage)));
    // Assess: the outage cancels the extra run in the count, but the next starts seen are on time: no move
    for (const schedule of learned) {
      expect(schedule).toMatchObject({ cron: '5 * * * *' });
      expect(schedule).not.toHaveProperty('unfit');
    }
  });

  it('keeps the cron of a job run by hand three times minutes apart at install, as a move keeps the runs a period apart', () => {
    // Prepare: runs by hand at 14:37, 14:45 and 14:53 on 30 September, then hourly on the hour for 12 days, or daily at 04:00 for 220 days
    const handRuns = [0, 8, 16].map((m) => Date.parse('2026-09-30T14:37:12Z') + m * MIN);
    const hourly = runsOf('0 * * * *', 12);
    const daily = runsOf('0 4 * * *', 220);
    const seen = (onTime: number[]) => ({ firstStart: handRuns[0], starts: handRuns.length + onTime.length, earliest: handRuns });
    // Act
    const learnedHourly = inferSchedule(hourly.slice(-200), [], undefined, undefined, seen(hourly));
    const learnedDaily = inferSchedule(daily.slice(-200), [], undefined, undefined, seen(daily));
    // Assess: the earliest starts are all off the cron, but minutes apart, not an hour or a day as moved runs are
    expect(learnedHourly).toMatchObject({ cron: '0 * * * *' });
    expect(learnedHourly).not.toHaveProperty('unfit');
    expect(learnedDaily).toMatchObject({ cron: '0 4 * * *' });
    expect(learnedDaily).not.toHaveProperty('unfit');
  });

  it('keeps the cron of a job run by hand three times hours (or days) apart at install, off the phase of its period, as moved runs are not', () => {
    // Prepare: runs by hand at 09:32, 11:25 and 13:40 on 30 September, then hourly on the hour for 14 days; or at 09:32 on
    // 26 September, 14:10 on the 28th and 11:00 on the 30th, then daily at 04:00 for 220 days
    const hourlyHand = ['09:32', '11:25', '13:40'].map((hm) => Date.parse(`2026-09-30T${hm}:00Z`));
    const dailyHand = ['2026-09-26T09:32', '2026-09-28T14:10', '2026-09-30T11:00'].map((t) => Date.parse(`${t}:00Z`));
    const hourly = runsOf('0 * * * *', 14);
    const daily = runsOf('0 4 * * *', 220);
    const seen = (hand: number[], onTime: number[]) => ({ firstStart: hand[0], starts: hand.length + onTime.length, earliest: hand });
    // Act
    const learnedHourly = inferSchedule(hourly.slice(-200), [], undefined, undefined, seen(hourlyHand, hourly));
    const learnedDaily = inferSchedule(daily.slice(-200), [], undefined, undefined, seen(dailyHand, daily));
    // Assess: about a whole number of periods apart (2 h, 1 day), but not at one time of the period, as moved runs are
    expect(learnedHourly).toMatchObject({ cron: '0 * * * *' });
    expect(learnedHourly).not.toHaveProperty('unfit');
    expect(learnedDaily).toMatchObject({ cron: '0 4 * * *' });
    expect(learnedDaily).not.toHaveProperty('unfit');
  });

  it('keeps the cron of a job that missed a few runs, and of one whose older runs fit it', () => {
    // Prepare: hourly, every tenth run missed; and hourly for 20 days of which the last 200 starts are kept
    const missing = runsOf('5 * * * *', 7).filter((_, i) => i % 10 !== 3);
    const all = runsOf('5 * * * *', 20);
    // Act / Assess
    expect(inferSchedule(missing)).toMatchObject({ cron: '5 * * * *' });
    expect(inferSchedule(all.slice(-200), [], undefined, undefined, { firstStart: all[0], starts: all.length })).toMatchObject({ cron: '5 * * * *' });
  });
});
