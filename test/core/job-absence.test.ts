import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import { initialJobState, type JobState, judgeAbsence, jobReducer } from '../../lambdas/core/job-reducer.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import { BUILTIN_REDACTOR } from '../../lambdas/core/redact.ts';
import { ev, run } from '../helpers/events.ts';

const config = validateConfig({ jobs: { 'nightly-backup': { schedule: '30 2 * * *', timezone: 'Europe/Berlin', grace_minutes: 20, max_runtime_minutes: 90 } } });
const ctxAt = (iso: string, c = config): ReduceContext => ({ config: c, clock: { now: () => Date.parse(iso) } });
/** The last sweep of a reader that has read all its history (backfill's, scan's). */
const historyReadAt = (iso: string): ReduceContext => ({ ...ctxAt(iso), historyRead: true });

function backupRuns(days: number[]): JobState {
  const events = days.flatMap((d) => {
    const dd = String(d).padStart(2, '0');
    const start = d <= 25 ? `2026-10-${dd}T00:30:10Z` : `2026-10-${dd}T01:30:10Z`;
    return run('nightly-backup', `nb-${dd}`, start, 40);
  });
  return jobReducer.apply(initialJobState('nightly-backup'), 'nightly-backup', events, ctxAt('2026-10-01T00:00:00Z')).state;
}

describe('job absence, judged by the sweep', () => {
  it('finds the runs that never happened, across the DST change, once each', () => {
    // Prepare: runs every day from the 20th to the 30th except the 24th and the 27th.
    const state = backupRuns([20, 21, 22, 23, 25, 26, 28, 29, 30]);
    // Act
    const first = jobReducer.tick!(state, 'nightly-backup', ctxAt('2026-10-30T12:00:00Z'));
    const again = jobReducer.tick!(first.state, 'nightly-backup', ctxAt('2026-10-30T12:05:00Z'));
    // Assess
    expect(first.findings.map((f) => [f.detector, f.expected_at])).toEqual([
      ['missed-run', '2026-10-24T00:30:00Z'],
      ['missed-run', '2026-10-27T01:30:00Z'],
    ]);
    expect(again.findings).toEqual([]);
    expect(again.state).toBe(first.state);
  });

  it('judges older history read after the newer was judged (a backfill of an earlier span) once, and keeps the latest run as the last', () => {
    // Prepare: the 25th to the 30th read and judged; then the 15th to the 24th, which missed the 18th and the 24th
    const newer = jobReducer.tick!(backupRuns([25, 26, 27, 28, 29, 30]), 'nightly-backup', ctxAt('2026-10-30T12:00:00Z')).state;
    const olderDays = [15, 16, 17, 19, 20, 21, 22, 23];
    const olderEvents = olderDays.flatMap((d) => run('nightly-backup', `nb-${d}`, `2026-10-${d}T00:30:10Z`, 40));
    const read = jobReducer.apply(newer, 'nightly-backup', olderEvents, ctxAt('2026-10-30T12:10:00Z'));
    // Act
    const first = jobReducer.tick!(read.state, 'nightly-backup', historyReadAt('2026-10-30T12:15:00Z'));
    const again = jobReducer.tick!(first.state, 'nightly-backup', historyReadAt('2026-10-30T12:20:00Z'));
    // Assess: as if all of it had been read at once
    const once = jobReducer.tick!(backupRuns([...olderDays, 25, 26, 27, 28, 29, 30]), 'nightly-backup', ctxAt('2026-10-30T12:15:00Z'));
    expect(first.findings.map((f) => [f.detector, f.expected_at])).toEqual([
      ['missed-run', '2026-10-18T00:30:00Z'],
      ['missed-run', '2026-10-24T00:30:00Z'],
    ]);
    expect(first.findings.map((f) => f.expected_at)).toEqual(once.findings.map((f) => f.expected_at));
    expect(again.findings).toEqual([]);
    expect(first.state.absenceOlder).toBeUndefined();
    expect(first.state.absenceCheckedUntil).toBe(newer.absenceCheckedUntil);
    expect(read.state.lastEnd).toEqual(newer.lastEnd);
    expect(read.state.consecutiveFailures).toBe(0);
    expect(read.state.firstSeenAt).toBe(Date.parse('2026-10-15T00:30:10Z'));
  });

  it('leaves older history to the sweep of its reader: the deployed sweep between two of its batches judges none of it', () => {
    // Prepare: the 25th to the 30th read and judged; then a backfill of the 15th to the 24th (the 18th and 24th missed) in two batches, oldest first
    const newer = jobReducer.tick!(backupRuns([25, 26, 27, 28, 29, 30]), 'nightly-backup', ctxAt('2026-10-30T12:00:00Z')).state;
    const runsOf = (days: number[]) => days.flatMap((d) => run('nightly-backup', `nb-${d}`, `2026-10-${d}T00:30:10Z`, 40));
    const firstBatch = jobReducer.apply(newer, 'nightly-backup', runsOf([15, 16, 17, 19]), ctxAt('2026-10-30T12:10:00Z'));
    // Act: the deployed sweep runs between the batches and after the last; then the backfill's own sweep
    const between = jobReducer.tick!(firstBatch.state, 'nightly-backup', ctxAt('2026-10-30T12:15:00Z'));
    const secondBatch = jobReducer.apply(between.state, 'nightly-backup', runsOf([20, 21, 22, 23]), ctxAt('2026-10-30T12:16:00Z'));
    const after = jobReducer.tick!(secondBatch.state, 'nightly-backup', ctxAt('2026-10-30T12:17:00Z'));
    const backfills = jobReducer.tick!(after.state, 'nightly-backup', historyReadAt('2026-10-30T12:18:00Z'));
    // Assess: the deployed sweeps judged nothing of that history; the backfill's, what all of it shows
    expect(between.findings).toEqual([]);
    expect(after.findings).toEqual([]);
    expect(after.state.absenceOlder).toEqual({ from: Date.parse('2026-10-15T00:30:10Z'), to: newer.firstSeenAt });
    expect(backfills.findings.map((f) => [f.detector, f.expected_at])).toEqual([
      ['missed-run', '2026-10-18T00:30:00Z'],
      ['missed-run', '2026-10-24T00:30:00Z'],
    ]);
    expect(backfills.state.absenceOlder).toBeUndefined();
  });

  it('judges the older history of a job first watched never seen (a backfill of it read later) once, as for any job, by the sweep of its reader', () => {
    // Prepare: the deployed sweep first watches nightly-backup at noon of the 30th, nothing of it seen;
    // a backfill then reads its runs of the 15th to the 30th, which missed the 18th and the 24th
    const watched = jobReducer.tick!(initialJobState('nightly-backup'), 'nightly-backup', ctxAt('2026-10-30T12:00:00Z')).state;
    const days = [15, 16, 17, 19, 20, 21, 22, 23, 25, 26, 27, 28, 29, 30];
    const events = days.flatMap((d) => run('nightly-backup', `nb-${d}`, `2026-10-${d}T${d <= 25 ? '00' : '01'}:30:10Z`, 40));
    const read = jobReducer.apply(watched, 'nightly-backup', events, ctxAt('2026-10-30T12:10:00Z'));

    // Act: the deployed sweep after the backfill's batch; then the backfill's own sweep, and again
    const deployed = jobReducer.tick!(read.state, 'nightly-backup', ctxAt('2026-10-30T12:12:00Z'));
    const backfills = jobReducer.tick!(deployed.state, 'nightly-backup', historyReadAt('2026-10-30T12:15:00Z'));
    const again = jobReducer.tick!(backfills.state, 'nightly-backup', historyReadAt('2026-10-30T12:20:00Z'));

    // Assess: the deployed sweep judged none of that history; the backfill's, its two missed starts, as
    // for a job first seen live; judged once, and with no never-seen note (its runs were seen)
    expect(deployed.findings).toEqual([]);
    expect(read.state.absenceOlder).toEqual({ from: Date.parse('2026-10-15T00:30:10Z'), to: Date.parse('2026-10-30T12:00:00Z') });
    expect(backfills.findings.map((f) => [f.detector, f.expected_at, f.evidence?.never_seen_since])).toEqual([
      ['missed-run', '2026-10-18T00:30:00Z', undefined],
      ['missed-run', '2026-10-24T00:30:00Z', undefined],
    ]);
    expect(backfills.state.absenceOlder).toBeUndefined();
    expect(again.findings).toEqual([]);
  });

  /** A line of cron's "discarding output" given to nightly-backup (as `enrich` or the cron host reducer give it): no run. */
  const discarded = (iso: string) => ev(iso, { type: 'output.discarded', job: 'nightly-backup', host: 'web1', reason: 'No MTA installed, discarding output' });
  /** Sweeps every hour from `fromIso` to `toIso` (inclusive): the state after, and the findings. */
  const sweepHourly = (state: JobState, fromIso: string, toIso: string) => {
    const findings = [];
    for (let at = Date.parse(fromIso); at <= Date.parse(toIso); at += 3_600_000) {
      const r = jobReducer.tick!(state, 'nightly-backup', ctxAt(new Date(at).toISOString()));
      state = r.state;
      findings.push(...r.findings);
    }
    return { state, findings };
  };

  it('does not say nothing of a job was seen when its only lines so far are cron’s discarded output', () => {
    // Prepare: nightly-backup's only line, at 00:40 on the 5th, is cron's "discarding output" (reported output-discarded)
    const read = jobReducer.apply(initialJobState('nightly-backup'), 'nightly-backup', [discarded('2026-10-05T00:40:00Z')], ctxAt('2026-10-05T00:41:00Z'));

    // Act: the deployed sweep every hour from 01:00 on the 5th to 02:00 on the 7th, no run arriving
    const swept = sweepHourly(read.state, '2026-10-05T01:00:00Z', '2026-10-07T02:00:00Z');

    // Assess: the starts of the 6th and the 7th missed, as for any job, with no never-seen note
    expect(read.findings.map((f) => f.detector)).toEqual(['output-discarded']);
    expect(swept.findings.map((f) => [f.detector, f.expected_at, f.evidence?.never_seen_since])).toEqual([
      ['missed-run', '2026-10-06T00:30:00Z', undefined],
      ['missed-run', '2026-10-07T00:30:00Z', undefined],
    ]);
    expect(swept.findings.filter((f) => f.message.includes('first watched'))).toEqual([]);
  });

  it('stops saying nothing of a job first watched never seen was seen once a line of its discarded output arrives', () => {
    // Prepare: first watched at midnight on the 5th, nothing of it seen; its 00:30 start missed with the note;
    // then cron's "discarding output" of it at 03:00
    const watched = sweepHourly(initialJobState('nightly-backup'), '2026-10-05T00:00:00Z', '2026-10-05T01:00:00Z');
    const read = jobReducer.apply(watched.state, 'nightly-backup', [discarded('2026-10-05T03:00:00Z')], ctxAt('2026-10-05T03:01:00Z'));

    // Act: the deployed sweep every hour up to 01:00 on the 6th
    const swept = sweepHourly(read.state, '2026-10-05T04:00:00Z', '2026-10-06T01:00:00Z');

    // Assess: the 5th's start with the note, the 6th's without it
    expect(watched.findings.map((f) => [f.expected_at, f.evidence?.never_seen_since])).toEqual([['2026-10-05T00:30:00Z', '2026-10-05T00:00:00Z']]);
    expect(swept.findings.map((f) => [f.detector, f.expected_at, f.evidence?.never_seen_since])).toEqual([['missed-run', '2026-10-06T00:30:00Z', undefined]]);
  });

  it('waits for the grace time before calling a run missed', () => {
    const state = backupRuns([28, 29]);
    expect(jobReducer.tick!(state, 'nightly-backup', ctxAt('2026-10-30T01:49:00Z')).findings).toEqual([]);
    expect(jobReducer.tick!(state, 'nightly-backup', ctxAt('2026-10-30T01:51:00Z')).findings.map((f) => f.expected_at)).toEqual(['2026-10-30T01:30:00Z']);
  });

  it('with grace_minutes 0, counts a run that started within its minute, and judges the minute only once it is over', () => {
    // Prepare: a daily 00:10 UTC job, grace 0; its run on the 5th started 1 s after 00:10, on the 6th 40 s after
    const zero = validateConfig({ jobs: { rotate: { schedule: '10 0 * * *', grace_minutes: 0 } } });
    const events = [...run('rotate', 'r-05', '2026-10-05T00:10:01Z', 1), ...run('rotate', 'r-06', '2026-10-06T00:10:40Z', 1)];
    const before = jobReducer.apply(initialJobState('rotate'), 'rotate', events.slice(0, events.length / 2), ctxAt('2026-10-05T00:10:30Z', zero)).state;
    const state = jobReducer.apply(initialJobState('rotate'), 'rotate', events, ctxAt('2026-10-06T00:12:00Z', zero)).state;

    // Act
    const afterBoth = jobReducer.tick!(state, 'rotate', ctxAt('2026-10-06T00:12:00Z', zero));
    const midMinute = jobReducer.tick!(before, 'rotate', ctxAt('2026-10-06T00:10:30Z', zero));

    // Assess
    expect(afterBoth.findings).toEqual([]);
    expect(midMinute.findings).toEqual([]);
  });

  it('does not judge jobs without a schedule, nor before monitoring began', () => {
    const state = backupRuns([28, 29]);
    expect(jobReducer.tick!(state, 'nightly-backup', ctxAt('2026-10-30T00:00:00Z', DEFAULT_CONFIG)).findings).toEqual([]);
    expect(jobReducer.tick!(state, 'nightly-backup', ctxAt('2026-10-29T23:00:00Z')).findings).toEqual([]);
  });

  it('judges a frequent job from its first run seen, not from the slots before it (monitoring began there)', () => {
    // Prepare: a job every 5 minutes whose log begins with the run of 10:00
    const c = validateConfig({ jobs: { warm: { schedule: '*/5 * * * *' } } });
    const events = [0, 5, 10, 15, 20].flatMap((m) => run('warm', `w-${m}`, `2026-10-05T10:${String(m).padStart(2, '0')}:01Z`, 1));
    const state = jobReducer.apply(initialJobState('warm'), 'warm', events, ctxAt('2026-10-05T10:21:00Z', c)).state;
    // Act
    const swept = jobReducer.tick!(state, 'warm', ctxAt('2026-10-05T10:40:00Z', c));
    // Assess: 10:00 … 10:25 judged (10:25 had no run); 09:45 … 09:55 were before the log began
    expect(swept.findings.map((f) => f.expected_at)).toEqual(['2026-10-05T10:25:00Z']);
  });

  it('judges a job every minute from its first run seen, and counts each run for its own minute', () => {
    // Prepare: a job every minute (grace 5) that ran on time from 00:00 to 00:09, then stopped
    const c = validateConfig({ jobs: { 'every-minute': { schedule: '* * * * *', grace_minutes: 5 } } });
    const events = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((m) => run('every-minute', `m${m}`, `2026-10-01T00:0${m}:00Z`, 5 / 60));
    const state = jobReducer.apply(initialJobState('every-minute'), 'every-minute', events, ctxAt('2026-10-01T00:10:00Z', c)).state;
    // Act
    const swept = jobReducer.tick!(state, 'every-minute', ctxAt('2026-10-01T00:17:00Z', c));
    // Assess: 23:58 and 23:59 were before the log began, 00:00 … 00:09 had their runs, 00:10 … 00:12 had none
    expect(swept.findings.map((f) => f.expected_at)).toEqual(['2026-10-01T00:10:00Z', '2026-10-01T00:11:00Z', '2026-10-01T00:12:00Z']);
  });

  it('judges a job every minute in later sweeps with each run counted for its own minute', () => {
    // Prepare: runs from 00:00 to 00:09 except 00:06, swept every 5 minutes
    const c = validateConfig({ jobs: { 'every-minute': { schedule: '* * * * *', grace_minutes: 1 } } });
    const events = [0, 1, 2, 3, 4, 5, 7, 8, 9].flatMap((m) => run('every-minute', `m${m}`, `2026-10-01T00:0${m}:00Z`, 5 / 60));
    let state = jobReducer.apply(initialJobState('every-minute'), 'every-minute', events, ctxAt('2026-10-01T00:10:00Z', c)).state;
    const found: (string | undefined)[] = [];
    // Act
    for (const now of ['2026-10-01T00:05:00Z', '2026-10-01T00:09:30Z']) {
      const swept = jobReducer.tick!(state, 'every-minute', ctxAt(now, c));
      state = swept.state;
      found.push(...swept.findings.map((f) => f.expected_at));
    }
    // Assess: only 00:06 had no run
    expect(found).toEqual(['2026-10-01T00:06:00Z']);
  });

  it('does not call runs missed whose start times the state no longer keeps (over 200 runs since the last judgement)', () => {
    // Prepare: 300 hourly runs, none missed, never swept in between
    const c = validateConfig({ jobs: { hourly: { schedule: '0 * * * *' } } });
    const events = Array.from({ length: 300 }, (_, i) => run('hourly', `h-${i}`, new Date(Date.parse('2026-09-01T00:00:05Z') + i * 3_600_000).toISOString(), 1)).flat();
    const state = jobReducer.apply(initialJobState('hourly'), 'hourly', events, ctxAt('2026-09-13T12:00:00Z', c)).state;
    // Act
    const swept = jobReducer.tick!(state, 'hourly', ctxAt('2026-09-13T12:10:00Z', c));
    // Assess: the oldest kept start is run 100's; the slots after it are judged, none missed
    expect(state.starts).toHaveLength(200);
    expect(swept.findings).toEqual([]);
    expect(swept.state.absenceCheckedUntil).toBe(Date.parse('2026-09-13T11:00:00Z'));
  });

  it("counts a run known only from its end (no start, no duration) for the expected start before it, past the grace time", () => {
    // Prepare: logrotate's daily ALERT line, written when the run ends, 0 to 20 min after 04:02 (grace 15); no run on the 4th
    const c = validateConfig({ jobs: { logrotate: { schedule: '2 4 * * *', grace_minutes: 15 } } });
    const endsAfter: Record<number, number> = { 1: 0, 2: 1, 3: 16, 5: 18, 6: 20, 7: 7, 8: 19 };
    const events = Object.entries(endsAfter).map(([day, minutes], i) =>
      ev(Date.parse(`2026-07-0${day}T04:02:42Z`) + minutes * 60_000, { type: 'run.end', job: 'logrotate', run_id: `lr-${day}`, exit_code: 1 }, i + 1),
    );
    const read = jobReducer.apply(initialJobState('logrotate'), 'logrotate', events, ctxAt('2026-07-08T05:00:00Z', c)).state;
    // The state as stored (JSON) and read back
    const state = JSON.parse(JSON.stringify(read)) as JobState;
    // Act
    const swept = jobReducer.tick!(state, 'logrotate', ctxAt('2026-07-08T05:00:00Z', c));
    // Assess: only the day without a run is missed; every kept time is known to be an end
    expect(swept.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2026-07-04T04:02:00Z']]);
    expect(state.startsFromEnd).toBe('1111111');
  });

  it('keeps a start taken from an end with its duration as a start, held to the grace time', () => {
    // Prepare: the same job's end lines, one of them with its duration (its start known: 04:19, 17 min late)
    const c = validateConfig({ jobs: { logrotate: { schedule: '2 4 * * *', grace_minutes: 15 } } });
    const events = [
      ev('2026-07-01T04:05:00Z', { type: 'run.end', job: 'logrotate', run_id: 'lr-1', exit_code: 0 }, 1),
      ev('2026-07-02T04:20:00Z', { type: 'run.end', job: 'logrotate', run_id: 'lr-2', exit_code: 0, duration_ms: 60_000 }, 2),
      ev('2026-07-03T04:20:00Z', { type: 'run.end', job: 'logrotate', run_id: 'lr-3', exit_code: 0 }, 3),
    ];
    const state = jobReducer.apply(initialJobState('logrotate'), 'logrotate', events, ctxAt('2026-07-03T05:00:00Z', c)).state;
    // Act
    const swept = jobReducer.tick!(state, 'logrotate', ctxAt('2026-07-03T05:00:00Z', c));
    // Assess
    expect(state.startsFromEnd).toBe('101');
    expect(swept.findings.map((f) => f.expected_at)).toEqual(['2026-07-02T04:02:00Z']);
  });

  it('reports a run that never ended after its max runtime, once', () => {
    const state = jobReducer.apply(backupRuns([28]), 'nightly-backup', [ev('2026-10-29T01:30:00Z', { type: 'run.start', job: 'nightly-backup', run_id: 'nb-29' })], ctxAt('2026-10-29T01:30:00Z')).state;
    const early = jobReducer.tick!(state, 'nightly-backup', ctxAt('2026-10-29T02:59:00Z'));
    expect(early.findings).toEqual([]);
    const late = jobReducer.tick!(early.state, 'nightly-backup', ctxAt('2026-10-29T03:01:00Z'));
    expect(late.findings).toEqual([expect.objectContaining({ detector: 'run-unfinished', run_id: 'nb-29', ts: '2026-10-29T03:00:00Z' })]);
    expect(jobReducer.tick!(late.state, 'nightly-backup', ctxAt('2026-10-29T04:00:00Z')).findings).toEqual([]);
  });

  it('reports a run unfinished whose id a run reported unfinished had used, once that run ended', () => {
    // Prepare: nb-29 reported unfinished, then one delivery of its late end and of the next day's run, which uses its id again
    const state = jobReducer.apply(backupRuns([28]), 'nightly-backup', [ev('2026-10-29T01:30:00Z', { type: 'run.start', job: 'nightly-backup', run_id: 'nb-29' })], ctxAt('2026-10-29T01:30:00Z')).state;
    const reported = jobReducer.tick!(state, 'nightly-backup', ctxAt('2026-10-29T03:01:00Z'));
    const delivery = [
      ev('2026-10-29T03:10:00Z', { type: 'run.end', job: 'nightly-backup', run_id: 'nb-29', exit_code: 0, duration_ms: 6_000_000 }),
      ev('2026-10-30T01:30:00Z', { type: 'run.start', job: 'nightly-backup', run_id: 'nb-29' }),
    ];
    const next = jobReducer.apply(reported.state, 'nightly-backup', delivery, ctxAt('2026-10-30T01:30:00Z'));

    // Act
    const swept = jobReducer.tick!(next.state, 'nightly-backup', ctxAt('2026-10-30T03:01:00Z'));

    // Assess
    expect(reported.findings.map((f) => f.run_id)).toEqual(['nb-29']);
    expect(next.records.map((r) => r.ts)).toEqual(['2026-10-29T03:10:00Z']);
    expect(swept.findings).toEqual([expect.objectContaining({ detector: 'run-unfinished', run_id: 'nb-29', ts: '2026-10-30T03:00:00Z' })]);
  });

  it('reports a run unfinished whose id an older run, reported unfinished and still open, uses too', () => {
    // Prepare: nb-29 (a job that logs one id for every run) reported unfinished and never ended; the next day's run uses its id again
    const state = jobReducer.apply(backupRuns([28]), 'nightly-backup', [ev('2026-10-29T01:30:00Z', { type: 'run.start', job: 'nightly-backup', run_id: 'nb-29' })], ctxAt('2026-10-29T01:30:00Z')).state;
    const reported = jobReducer.tick!(state, 'nightly-backup', ctxAt('2026-10-29T03:01:00Z'));
    const next = jobReducer.apply(reported.state, 'nightly-backup', [ev('2026-10-30T01:30:00Z', { type: 'run.start', job: 'nightly-backup', run_id: 'nb-29' })], ctxAt('2026-10-30T01:30:00Z'));

    // Act
    const swept = jobReducer.tick!(next.state, 'nightly-backup', ctxAt('2026-10-30T03:01:00Z'));
    const later = jobReducer.tick!(swept.state, 'nightly-backup', ctxAt('2026-10-31T00:00:00Z'));

    // Assess: each run reported once
    expect(next.state.open.map((r) => r.run_id)).toEqual(['nb-29', 'nb-29']);
    expect(swept.findings).toEqual([expect.objectContaining({ detector: 'run-unfinished', run_id: 'nb-29', ts: '2026-10-30T03:00:00Z' })]);
    expect(later.findings.filter((f) => f.detector === 'run-unfinished')).toEqual([]);
  });

  it('reads a state that remembers a reported run by its id alone (written before the start time was kept)', () => {
    // Prepare: nb-29 open, remembered as reported by its id alone
    const state = jobReducer.apply(backupRuns([28]), 'nightly-backup', [ev('2026-10-29T01:30:00Z', { type: 'run.start', job: 'nightly-backup', run_id: 'nb-29' })], ctxAt('2026-10-29T01:30:00Z')).state;
    const older: JobState = { ...state, unfinishedReported: ['nb-29'] };

    // Act
    const swept = jobReducer.tick!(older, 'nightly-backup', ctxAt('2026-10-29T03:01:00Z'));

    // Assess
    expect(swept.findings.filter((f) => f.detector === 'run-unfinished')).toEqual([]);
  });

  it('never reports unfinished runs of a job whose runs log no end (cron CMD lines, a systemd daemon started)', () => {
    // Prepare
    const cronStart = { ...ev('2026-10-29T01:30:00Z', { type: 'run.start', job: '/usr/local/bin/backup.sh', run_id: 'web1:1:x', host: 'web1' }), format: 'cron' };
    const daemon = { ...ev('2026-10-29T01:30:00Z', { type: 'run.start', job: 'nginx.service', run_id: 'nginx.service@web1@2026-10-29T01:30:00.000Z', host: 'web1' }), format: 'systemd' };
    // Act
    const states = ([[cronStart, '/usr/local/bin/backup.sh'], [daemon, 'nginx.service']] as const).map(
      ([start, job]) => jobReducer.apply(initialJobState(job), job, [start], ctxAt('2026-10-29T01:30:00Z')).state,
    );
    // Assess
    for (const state of states) expect(jobReducer.tick!(state, state.job, ctxAt('2026-10-30T12:00:00Z')).findings).toEqual([]);
  });

  it('reports no run unfinished of an instrumented job that logs only its starts, once a second start came with no end', () => {
    // Prepare: ping logs a run.start every 10 minutes and never a run.end (the contract allows it)
    const starts = Array.from({ length: 12 }, (_, i) => ev(Date.parse('2026-10-29T01:30:00Z') + i * 600_000, { type: 'run.start', job: 'ping', run_id: `p-${i}` }));
    const state = jobReducer.apply(initialJobState('ping'), 'ping', starts, ctxAt('2026-10-29T03:20:00Z')).state;
    // Act
    const swept = jobReducer.tick!(state, 'ping', ctxAt('2026-10-29T06:00:00Z'));
    // Assess
    expect(swept.findings.filter((f) => f.detector === 'run-unfinished')).toEqual([]);
  });

  it.each([
    ['an instrumented run.start (its run.end is the contract)', 'json', 'r-1'],
    ["a Lambda invocation's START", 'lambda', '8f5e7c2a-2b1d-4c3e-9f0a-1b2c3d4e5f60'],
  ])('reports the first run of a new job unfinished when it hangs, its start %s, though no end of it was seen yet', (_, format, runId) => {
    // Prepare: the job's first line ever is its start
    const start = { ...ev('2026-10-29T01:30:00Z', { type: 'run.start', job: 'invoice-export', run_id: runId }), format };
    const state = jobReducer.apply(initialJobState('invoice-export'), 'invoice-export', [start], ctxAt('2026-10-29T01:30:00Z')).state;
    // Act
    const swept = jobReducer.tick!(state, 'invoice-export', ctxAt('2026-10-29T03:00:00Z'));
    // Assess: past the default max runtime of 1 h
    expect(swept.findings.map((f) => [f.detector, f.run_id, f.ts])).toEqual([['run-unfinished', runId, '2026-10-29T02:30:00Z']]);
  });
});

describe('a sweep every hour', () => {
  it("redacts a cron job's open run ids once, not at every sweep, and judges it as before", () => {
    // Prepare: a daily cron job whose CMD lines (no end) left 20 runs open, one day without a run
    const job = '/usr/local/bin/report.sh';
    const daily = validateConfig({ jobs: { [job]: { schedule: '0 3 * * *', timezone: 'Europe/Berlin' } } });
    const days = Array.from({ length: 21 }, (_, i) => i + 1).filter((d) => d !== 12);
    const starts = days.map((d) => ({ ...ev(Date.parse(`2026-10-${String(d).padStart(2, '0')}T03:00:05+02:00`), { type: 'run.start', job, run_id: `web1:${1000 + d}:x`, host: 'web1' }), format: 'cron' }));
    let state = jobReducer.apply(initialJobState(job), job, starts, ctxAt('2026-10-01T00:00:00Z', daily)).state;
    const redactId = vi.spyOn(BUILTIN_REDACTOR, 'redactId');
    // Act: sweeps every hour for two days
    const findings = [];
    for (let hour = 0; hour < 48; hour++) {
      const swept = jobReducer.tick!(state, job, ctxAt(new Date(Date.parse('2026-10-21T12:00:00Z') + hour * 3_600_000).toISOString(), daily));
      findings.push(...swept.findings);
      state = swept.state;
    }
    const redactions = redactId.mock.calls.length;
    redactId.mockRestore();
    // Assess: the missed day reported once; each open run's id redacted once
    expect(state.open).toHaveLength(days.length);
    expect(findings.map((f) => [f.detector, f.expected_at])).toEqual([
      ['missed-run', '2026-10-12T01:00:00Z'],
      ['missed-run', '2026-10-22T01:00:00Z'],
      ['missed-run', '2026-10-23T01:00:00Z'],
    ]);
    expect(redactions).toBeLessThanOrEqual(days.length);
  });
});

describe('a schedule or time zone changed in the config', () => {
  const weekly = validateConfig({ jobs: { report: { schedule: '0 3 * * 1' } } });
  const daily = validateConfig({ jobs: { report: { schedule: '0 3 * * *' } } });

  /** Runs at 03:00:01Z on the given days of 2027 (MM-DD), each ingested after it ended and swept the same morning. */
  function runsSwept(days: string[], c = daily, state = initialJobState('report')): JobState {
    for (const day of days) {
      state = jobReducer.apply(state, 'report', run('report', `r-${day}`, `2027-${day}T03:00:01Z`, 1), ctxAt(`2027-${day}T03:05:00Z`, c)).state;
      state = jobReducer.tick!(state, 'report', ctxAt(`2027-${day}T04:00:00Z`, c)).state;
    }
    return state;
  }

  it('judges the new schedule from the first sweep that sees it: the starts the old one did not expect are not missed', () => {
    // Prepare: a weekly job (Mondays 03:00 UTC) that ran six Mondays; on Sunday the config makes it daily
    const state = runsSwept(['03-01', '03-08', '03-15', '03-22', '03-29', '04-05'], weekly);
    // Act: the first sweep under the daily schedule; Monday's run ingested under it; the sweeps of Monday and Tuesday
    const changed = jobReducer.tick!(state, 'report', ctxAt('2027-04-11T12:05:00Z', daily));
    const monday = jobReducer.apply(changed.state, 'report', run('report', 'r-04-12', '2027-04-12T03:00:01Z', 1), ctxAt('2027-04-12T03:05:00Z', daily));
    const mondaySwept = jobReducer.tick!(monday.state, 'report', ctxAt('2027-04-12T04:00:00Z', daily));
    const tuesdaySwept = jobReducer.tick!(mondaySwept.state, 'report', ctxAt('2027-04-13T04:00:00Z', daily));
    // Assess: Tuesday to Sunday were judged under neither schedule; from the change on, every day is
    expect(changed.findings).toEqual([]);
    expect(changed.state.absenceSchedule).toBe('0 3 * * *|');
    expect(mondaySwept.findings).toEqual([]);
    expect(tuesdaySwept.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2027-04-13T03:00:00Z']]);
  });

  it('judges a time zone change from the first sweep that sees it', () => {
    // Prepare: a daily job at 03:00 UTC that ran every day to Sunday; at noon the config puts it in New York time (03:00 EDT, 07:00Z)
    const newYork = validateConfig({ jobs: { report: { schedule: '0 3 * * *', timezone: 'America/New_York' } } });
    const state = runsSwept(['04-08', '04-09', '04-10', '04-11']);
    // Act
    const changed = jobReducer.tick!(state, 'report', ctxAt('2027-04-11T12:00:00Z', newYork));
    const next = jobReducer.tick!(changed.state, 'report', ctxAt('2027-04-12T08:00:00Z', newYork));
    // Assess: Sunday 07:00Z came before the change was seen; Monday's is the first New York start judged
    expect(changed.findings).toEqual([]);
    expect(changed.state.absenceSchedule).toBe('0 3 * * *|America/New_York');
    expect(next.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2027-04-12T07:00:00Z']]);
  });

  it('reads a state written before the schedule was kept as judged under the configured one, and keeps it with its next judgement', () => {
    // Prepare: a daily job's state as written before (no absenceSchedule), judged to Saturday; Sunday's run never came
    const { absenceSchedule: _none, ...legacy } = runsSwept(['04-08', '04-09', '04-10']);
    // Act
    const quiet = jobReducer.tick!(legacy, 'report', ctxAt('2027-04-10T12:00:00Z', daily));
    const due = jobReducer.tick!(legacy, 'report', ctxAt('2027-04-11T04:00:00Z', daily));
    // Assess: a sweep with nothing due writes nothing; the missed run is judged as before, and the schedule kept with it
    expect(quiet.state).toBe(legacy);
    expect(due.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2027-04-11T03:00:00Z']]);
    expect(due.state.absenceSchedule).toBe('0 3 * * *|');
  });

  it('still judges a job whose first run came with its schedule in the config from that run', () => {
    // Prepare: runs on the 8th and the 10th of a job the config gave a daily schedule before it first ran
    const events = ['04-08', '04-10'].flatMap((day) => run('report', `r-${day}`, `2027-${day}T03:00:01Z`, 1));
    const state = jobReducer.apply(initialJobState('report'), 'report', events, ctxAt('2027-04-10T03:05:00Z', daily)).state;
    // Act: its first sweep
    const swept = jobReducer.tick!(state, 'report', ctxAt('2027-04-11T12:00:00Z', daily));
    // Assess
    expect(state.absenceSchedule).toBeUndefined();
    expect(swept.findings.map((f) => [f.detector, f.expected_at])).toEqual([
      ['missed-run', '2027-04-09T03:00:00Z'],
      ['missed-run', '2027-04-11T03:00:00Z'],
    ]);
  });

  it('judges a schedule given to a job whose runs came while it had none from the first sweep that sees it', () => {
    // Prepare: runs on the 8th and the 10th of a job with no schedule configured, never swept since
    const events = ['04-08', '04-10'].flatMap((day) => run('report', `r-${day}`, `2027-${day}T03:00:01Z`, 1));
    const state = jobReducer.apply(initialJobState('report'), 'report', events, ctxAt('2027-04-10T03:05:00Z', DEFAULT_CONFIG)).state;
    // Act: the config now gives it a daily schedule; the first sweep under it, then the next morning's
    const added = jobReducer.tick!(state, 'report', ctxAt('2027-04-11T12:00:00Z', daily));
    const next = jobReducer.tick!(added.state, 'report', ctxAt('2027-04-12T04:00:00Z', daily));
    // Assess: nothing was expected of it before the schedule was seen; the first start after is judged
    expect(added.findings).toEqual([]);
    expect(state.absenceSchedule).toBe('none');
    expect(added.state.absenceSchedule).toBe('0 3 * * *|');
    expect(next.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2027-04-12T03:00:00Z']]);
  });

  it('dates a change from the sweep that first sees it when the job is judged as of its own earlier latest line (scan’s hourly sweeps)', () => {
    // Prepare: a daily job at 03:00 UTC judged to the 10th, its last line read; the config now runs it at 07:00. A scan's
    // first sweep under it, early on the 12th, judges the job as of that line; the next, on the 14th, as of the 12th's start
    // (its lines read behind the scan's other files); then its run of the 12th is read, none on the 13th.
    const at7 = validateConfig({ jobs: { report: { schedule: '0 7 * * *' } } });
    const judged = runsSwept(['04-08', '04-09', '04-10']);
    // Act
    const changed = judgeAbsence(judged, 'report', ctxAt('2027-04-12T00:30:00Z', at7), judged.lastSeenAt);
    const behind = judgeAbsence(changed.state, 'report', ctxAt('2027-04-14T00:00:00Z', at7), Date.parse('2027-04-12T00:30:00Z'));
    const read = jobReducer.apply(behind.state, 'report', run('report', 'r-04-12', '2027-04-12T07:00:01Z', 1), ctxAt('2027-04-14T00:00:00Z', at7));
    const caughtUp = judgeAbsence(read.state, 'report', ctxAt('2027-04-14T00:00:00Z', at7), Date.parse('2027-04-14T00:00:00Z'));
    // Assess: the 10th's and the 11th's 07:00 came before the sweep saw the change, not since the job's last line under the
    // old schedule; nothing is judged past the time the job is judged as of; the 13th is missed, the 12th ran
    expect(changed.findings).toEqual([]);
    expect(changed.state.absenceSchedule).toBe('0 7 * * *|');
    expect(behind.findings).toEqual([]);
    expect(caughtUp.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2027-04-13T07:00:00Z']]);
  });

  it('judges a job taken out of the config and given back from the sweep that sees it again, not across the time it was out', () => {
    // Prepare: a daily job judged to the 10th, then taken out of the config (paused) for three days
    const judged = runsSwept(['04-08', '04-09', '04-10']);
    const out = jobReducer.tick!(judged, 'report', ctxAt('2027-04-11T04:00:00Z', DEFAULT_CONFIG));
    const stillOut = jobReducer.tick!(out.state, 'report', ctxAt('2027-04-12T04:00:00Z', DEFAULT_CONFIG));
    // Act: the same schedule back in the config; the first sweep under it, then the next morning's
    const back = jobReducer.tick!(stillOut.state, 'report', ctxAt('2027-04-13T12:00:00Z', daily));
    const next = jobReducer.tick!(back.state, 'report', ctxAt('2027-04-14T04:00:00Z', daily));
    // Assess: the removal is written once; the days it was out are not missed, the first start after is
    expect(back.findings).toEqual([]);
    expect(out.findings).toEqual([]);
    expect(out.state.absenceSchedule).toBe('none');
    expect(stillOut.state).toBe(out.state);
    expect(back.state.absenceSchedule).toBe('0 3 * * *|');
    expect(next.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2027-04-14T03:00:00Z']]);
  });
});

describe('Lambda functions that also write instrumented run lines', () => {
  const reqId = '8f5e2c1a-0000-4000-8000-000000000001';
  const platform = (at: string, body: object) => ({ ...ev(at, body as never), format: 'lambda' });

  it('counts each invocation once, from its own run lines', () => {
    const events = [
      platform('2026-10-01T07:00:00Z', { type: 'run.start', job: 'daily-report', run_id: reqId }),
      ev('2026-10-01T07:00:00.100Z', { type: 'run.start', job: 'daily-report', run_id: 'dr-1' }),
      ev('2026-10-01T07:00:24Z', { type: 'run.end', job: 'daily-report', run_id: 'dr-1', exit_code: 0, duration_ms: 23_900, output_bytes: 900 }),
      platform('2026-10-01T07:00:24.100Z', { type: 'run.end', job: 'daily-report', run_id: reqId, exit_code: 0, duration_ms: 24_000 }),
    ];
    const { state, records } = jobReducer.apply(initialJobState('daily-report'), 'daily-report', events, ctxAt('2026-10-01T08:00:00Z', DEFAULT_CONFIG));
    expect(state.runs).toBe(1);
    expect(state.open).toEqual([]);
    expect(records.map((r) => r.run_id)).toEqual(['dr-1']);
  });

  it('still counts a timeout from a platform line, ending the open run', () => {
    const events = [
      ev('2026-10-01T07:00:00Z', { type: 'run.start', job: 'daily-report', run_id: 'dr-1' }),
      ev('2026-10-01T07:00:01Z', { type: 'run.end', job: 'daily-report', run_id: 'dr-0', exit_code: 0 }),
      ev('2026-10-02T07:00:00Z', { type: 'run.start', job: 'daily-report', run_id: 'dr-2' }),
      platform('2026-10-02T07:15:00Z', { type: 'run.failed', job: 'daily-report', run_id: reqId, reason: 'timeout after 900.00 s' }),
    ];
    const { findings, state } = jobReducer.apply(initialJobState('daily-report'), 'daily-report', events, ctxAt('2026-10-02T08:00:00Z', DEFAULT_CONFIG));
    expect(findings).toEqual([expect.objectContaining({ detector: 'run-failed', run_id: 'dr-2' })]);
    expect(state.open.map((r) => r.run_id)).toEqual(['dr-1']);
  });
});

describe("cron's discarded output", () => {
  it('is attributed to the job cron started just before on the same host', async () => {
    const cron = (at: string, body: object) => ({ ...ev(at, body as never), format: 'cron' });
    const events = jobReducer.enrich!([
      cron('2026-10-05T02:30:01Z', { type: 'run.start', job: '/usr/local/bin/backup.sh', run_id: 'web1:20827:x', host: 'web1', pid: 20827 }),
      cron('2026-10-05T02:30:01Z', { type: 'run.start', job: 'other', run_id: 'web2:1:x', host: 'web2', pid: 1 }),
      cron('2026-10-05T02:30:02Z', { type: 'output.discarded', host: 'web1', pid: 20826, reason: 'No MTA installed, discarding output' }),
    ], DEFAULT_CONFIG);
    expect((events[2].body as { job?: string }).job).toBe('/usr/local/bin/backup.sh');
    const { findings } = jobReducer.apply(initialJobState('/usr/local/bin/backup.sh'), '/usr/local/bin/backup.sh', events, ctxAt('2026-10-05T03:00:00Z', DEFAULT_CONFIG));
    expect(findings).toEqual([expect.objectContaining({ detector: 'output-discarded', subject: '/usr/local/bin/backup.sh', severity: 'medium' })]);
  });
});
