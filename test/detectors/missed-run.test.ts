import { describe, expect, it } from 'vitest';
import { missedRunDetector } from '../../lambdas/detectors/missed-run.ts';
import { absenceInput, at } from './absence-fixtures.ts';

describe('missed-run', () => {
  it.each([
    ['a run on time', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:30:05Z']],
    ['a run 19 min late (grace 20)', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:49:00Z']],
    ['a run 1 min early (clock skew)', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:29:00Z']],
    ['nothing due', [], []],
    ['two expected, two runs', ['2026-10-08T02:30:00Z', '2026-10-09T02:30:00Z'], ['2026-10-08T02:31:00Z', '2026-10-09T02:31:00Z']],
  ])('is quiet for %s', (_, expected, starts) => {
    // Act
    const drafts = missedRunDetector.check(absenceInput({ expected: expected.map(at), starts: starts.map(at) }));
    // Assess
    expect(drafts).toEqual([]);
  });

  it.each([
    ['no run at all', ['2026-10-09T02:30:00Z'], [], ['2026-10-09T02:30:00Z'], '2026-10-08T02:31:00Z'],
    ['a run 21 min late', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:51:00Z'], ['2026-10-09T02:30:00Z'], '2026-10-08T02:31:00Z'],
    ['a run 3 min early', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:27:00Z'], ['2026-10-09T02:30:00Z'], '2026-10-09T02:27:00Z'],
    ['one run for two expected starts', ['2026-10-08T02:30:00Z', '2026-10-09T02:30:00Z'], ['2026-10-08T02:31:00Z'], ['2026-10-09T02:30:00Z'], '2026-10-08T02:31:00Z'],
  ])('fires for %s, once per expected start, with expected_at and the last run before it', (_, expected, starts, missed, lastRun) => {
    const drafts = missedRunDetector.check(absenceInput({ expected: expected.map(at), starts: starts.map(at), lastRunAt: at('2026-10-08T02:31:00Z') }));
    expect(drafts.map((d) => d.expected_at)).toEqual(missed.map((m) => m.replace('.000', '')));
    expect(drafts[0]).toMatchObject({
      subject: 'nightly-backup',
      ts: missed[0],
      message: `no run started within 20 min of the expected ${missed[0]} (schedule "30 2 * * *")`,
      evidence: { expected_at: missed[0], grace_minutes: 20, schedule: '30 2 * * *', timezone: 'UTC', last_run_at: lastRun },
    });
  });

  it.each([
    ['two skipped times, one catch-up run came', 2, ['2026-03-29T01:00:05Z'], 1],
    ['two skipped times, both catch-up runs came', 2, ['2026-03-29T01:00:05Z', '2026-03-29T01:00:06Z'], 0],
    ['three skipped times, one catch-up run came', 3, ['2026-03-29T01:00:05Z'], 1],
    ['three skipped times, two catch-up runs came', 3, ['2026-03-29T01:00:05Z', '2026-03-29T01:00:06Z'], 1],
    ['three skipped times, all three catch-up runs came', 3, ['2026-03-29T01:00:05Z', '2026-03-29T01:00:06Z', '2026-03-29T01:00:07Z'], 0],
  ])("reports a spring change's shared expected time once when a catch-up run is missing, and not when all came: %s", (_, skipped, starts, findings) => {
    // Prepare: '0,30 1 * * *' (or three times) in Europe/London: cron runs the job once per skipped time right after the change (01:00Z)
    const expected = Array.from({ length: skipped }, () => at('2026-03-29T01:00:00Z'));
    const following = [at('2026-03-30T00:00:00Z'), at('2026-03-30T00:30:00Z')];
    // Act
    const drafts = missedRunDetector.check(absenceInput({ expected, following, previous: at('2026-03-28T01:30:00Z'), starts: ['2026-03-28T01:30:20Z', ...starts].map(at) }));
    // Assess
    expect(drafts.map((d) => d.expected_at)).toEqual(Array.from({ length: findings }, () => '2026-03-29T01:00:00Z'));
  });

  it('names the last run before the missed time, not one after it, when the slot is judged after the next run came', () => {
    // Prepare: runs on the 6th and the 8th; the 7th is judged by a sweep after the 8th's run (a scan after a quiet day).
    const starts = ['2026-10-06T02:31:00Z', '2026-10-08T02:31:00Z'].map(at);

    // Act
    const drafts = missedRunDetector.check(absenceInput({ expected: [at('2026-10-07T02:30:00Z')], starts, lastRunAt: at('2026-10-08T02:31:00Z') }));

    // Assess
    expect(drafts.map((d) => d.evidence.last_run_at)).toEqual(['2026-10-06T02:31:00Z']);
  });

  it('leaves last_run_at out when every run it knows of came after the missed time', () => {
    // Act
    const drafts = missedRunDetector.check(absenceInput({ expected: [at('2026-10-07T02:30:00Z')], starts: [at('2026-10-08T02:31:00Z')], lastRunAt: at('2026-10-08T02:31:00Z') }));

    // Assess
    expect(drafts).toHaveLength(1);
    expect(drafts[0].evidence).not.toHaveProperty('last_run_at');
  });

  it.each([
    ['0.6 min (36 s), shown as the minute a start is held to', 0.6, '1 min'],
    ['1.5 min', 1.5, '1.5 min'],
    ['20 min', 20, '20 min'],
  ])('keeps a grace of %s exact in its evidence, and shows it in the message', (_, graceMinutes, shown) => {
    // Act
    const [draft] = missedRunDetector.check(absenceInput({ graceMs: graceMinutes * 60_000, expected: [at('2026-10-09T02:30:00Z')] }));

    // Assess: the report re-judges the finding from evidence.grace_minutes, so it must be the grace the sweep used.
    expect(draft.evidence.grace_minutes).toBe(graceMinutes);
    expect(draft.message).toMatch(new RegExp(`^no run started within ${shown} of the expected `));
  });

  describe('a grace of 0 (or under a minute): cron starts a job within its minute', () => {
    it.each([
      ['a run 1 s after its minute began', 0, '2026-10-09T02:30:01Z'],
      ['a run 59 s after its minute began', 0, '2026-10-09T02:30:59Z'],
      ['a run 50 s after its minute began (grace 0.5)', 0.5, '2026-10-09T02:30:50Z'],
    ])('counts %s as on time', (_, graceMinutes, start) => {
      // Act
      const drafts = missedRunDetector.check(absenceInput({ graceMs: graceMinutes * 60_000, expected: [at('2026-10-09T02:30:00Z')], starts: [at(start)] }));
      // Assess
      expect(drafts).toEqual([]);
    });

    it('still reports a run that started in a later minute', () => {
      // Act
      const drafts = missedRunDetector.check(absenceInput({ graceMs: 0, expected: [at('2026-10-09T02:30:00Z')], starts: [at('2026-10-09T02:31:01Z')] }));
      // Assess
      expect(drafts.map((d) => d.expected_at)).toEqual(['2026-10-09T02:30:00Z']);
    });
  });

  it('names a non-UTC time zone in the message, with the expected time on its wall clock and offset after the UTC one', () => {
    // Act
    const [draft] = missedRunDetector.check(absenceInput({ timezone: 'Europe/Berlin', expected: [at('2026-10-26T01:30:00Z')] }));
    // Assess: the record keeps the UTC time
    expect(draft.message).toBe('no run started within 20 min of the expected 2026-10-26T01:30:00Z, 2026-10-26T02:30+01:00 in Europe/Berlin (schedule "30 2 * * *")');
    expect(draft.expected_at).toBe('2026-10-26T01:30:00Z');
  });

  it("shows the local time of a run cron makes at a change forward with the zone's new offset (Pacific/Chatham's 45 min)", () => {
    // Prepare: "15 3 * * *" in Pacific/Chatham; on 27 September 2026 its clock goes from 02:45 to 03:45 (+12:45 to +13:45): 03:15 is run at 03:45, 14:00Z.
    const input = absenceInput({ schedule: '15 3 * * *', timezone: 'Pacific/Chatham', expected: [at('2026-09-26T14:00:00Z')] });
    // Act
    const [draft] = missedRunDetector.check(input);
    // Assess
    expect(draft.message).toBe('no run started within 20 min of the expected 2026-09-26T14:00:00Z, 2026-09-27T03:45+13:45 in Pacific/Chatham (schedule "15 3 * * *")');
  });

  it('adds no local time for a job in UTC', () => {
    const [draft] = missedRunDetector.check(absenceInput({ timezone: 'UTC', expected: [at('2026-10-26T01:30:00Z')] }));
    expect(draft.message).toBe('no run started within 20 min of the expected 2026-10-26T01:30:00Z (schedule "30 2 * * *")');
  });

  it.each(['Etc/UTC', 'GMT', 'utc', 'Etc/GMT', 'Zulu'])('adds no local time for a job in %s, a name of UTC (always +00:00), as for one in UTC', (timezone) => {
    // Act
    const [draft] = missedRunDetector.check(absenceInput({ timezone, expected: [at('2026-07-26T02:30:00Z')] }));
    // Assess
    expect(draft.message).toBe('no run started within 20 min of the expected 2026-07-26T02:30:00Z (schedule "30 2 * * *")');
  });

  it('adds the local time for a job in a zone at +00:00 only part of the year (Europe/London in winter)', () => {
    // Act
    const [draft] = missedRunDetector.check(absenceInput({ timezone: 'Europe/London', expected: [at('2026-01-15T02:30:00Z')] }));
    // Assess
    expect(draft.message).toBe('no run started within 20 min of the expected 2026-01-15T02:30:00Z, 2026-01-15T02:30+00:00 in Europe/London (schedule "30 2 * * *")');
  });

  describe('a job whose period is shorter than its grace (every 5 min, grace 15)', () => {
    const five = (from: string, n: number) => Array.from({ length: n }, (_, i) => Date.parse(from) + i * 5 * 60_000);
    const iso = (t: number) => new Date(t).toISOString().replace('.000', '');
    const grace = { graceMs: 15 * 60_000, earlyMs: 2 * 60_000 };

    it('reports the expected start that had no run, not a later one whose run an earlier slot took', () => {
      // Prepare: 10:00 … 11:00 expected, every run 10 s late but the one of 10:30
      const expected = five('2026-10-05T10:00:00Z', 13);
      const starts = expected.filter((e) => iso(e) !== '2026-10-05T10:30:00Z').map((e) => e + 10_000);
      // Act
      const drafts = missedRunDetector.check(absenceInput({ ...grace, expected, following: five('2026-10-05T11:05:00Z', 2), starts }));
      // Assess
      expect(drafts.map((d) => d.expected_at)).toEqual(['2026-10-05T10:30:00Z']);
    });

    it('finds the miss when the sweep judges the slots in several passes over the same start times', () => {
      // Prepare: as above, judged five minutes at a time, as a sweep every 5 minutes would
      const all = five('2026-10-05T10:00:00Z', 15);
      const starts = all.filter((e) => iso(e) !== '2026-10-05T10:30:00Z').map((e) => e + 10_000);
      // Act
      const missed = all.slice(0, 13).flatMap((e, i) => missedRunDetector.check(absenceInput({ ...grace, expected: [e], following: all.slice(i + 1, i + 3), starts })));
      // Assess
      expect(missed.map((d) => d.expected_at)).toEqual(['2026-10-05T10:30:00Z']);
    });

    it("counts a run that came late, into the next slot's early margin, for its own slot when the next slot has its own run", () => {
      // Prepare: the 10:30 run starts at 10:33:30, the 10:35 one on time
      const expected = five('2026-10-05T10:00:00Z', 13);
      const starts = expected.map((e) => (iso(e) === '2026-10-05T10:30:00Z' ? e + 210_000 : e));
      // Act
      const drafts = missedRunDetector.check(absenceInput({ ...grace, expected, following: five('2026-10-05T11:05:00Z', 2), starts }));
      // Assess
      expect(drafts).toEqual([]);
    });
  });

  describe('a daily job known only from its end (a line written when the run ends, with no duration)', () => {
    const DAY = 24 * 60 * 60_000;
    // 04:02 every day from the 1st to the 7th, grace 15; each run's end comes 0 to 20 minutes after it
    const expected = Array.from({ length: 7 }, (_, i) => at('2026-07-01T04:02:00Z') + i * DAY);
    const following = [at('2026-07-08T04:02:00Z'), at('2026-07-09T04:02:00Z')];
    const endsAfter = [0, 1, 16, 18, 20, 7, 19];
    const ends = expected.map((e, i) => e + endsAfter[i] * 60_000 + 42_000);
    const judge = (kept: number[]) =>
      missedRunDetector.check(absenceInput({ schedule: '2 4 * * *', graceMs: 15 * 60_000, expected, following, starts: kept, startsFromEnd: kept }));

    it('counts each end for the expected start before it, however long after it the run ended', () => {
      // Act
      const drafts = judge(ends);
      // Assess
      expect(drafts).toEqual([]);
    });

    it('still reports a day with no run', () => {
      // Prepare: the 4th had no run
      const kept = ends.filter((_, i) => i !== 3);
      // Act
      const drafts = judge(kept);
      // Assess
      expect(drafts.map((d) => d.expected_at)).toEqual(['2026-07-04T04:02:00Z']);
    });

    it('still holds a start that was seen (not an end) to the grace time', () => {
      // Prepare: the 3rd's time (16 min 42 s after 04:02) is a start seen, not an end
      const endsOnly = ends.filter((_, i) => i !== 2);
      // Act
      const drafts = missedRunDetector.check(absenceInput({ schedule: '2 4 * * *', graceMs: 15 * 60_000, expected, following, starts: ends, startsFromEnd: endsOnly }));
      // Assess
      expect(drafts.map((d) => d.expected_at)).toEqual(['2026-07-03T04:02:00Z']);
    });
  });
});
