import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import type { RunRecord } from '../../lambdas/ports.ts';
import { buildReport } from '../../lambdas/core/report/build-report.ts';
import { lateStartsOf } from '../../lambdas/core/report/late-starts.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { day, finding, octoberInput, RAW_CONFIG } from './report-fixtures.ts';

const SCHEDULE = '30 2 * * *';
const config = validateConfig({ ...RAW_CONFIG, jobs: { ...RAW_CONFIG.jobs, 'nightly-backup': { ...RAW_CONFIG.jobs['nightly-backup'], grace_minutes: 60 } } }, 'report test config');

/** A missed-run finding on nightly-backup for 02:30 on day `d` of October, as the sweep writes it (60 min grace). */
const missed = (d: number) =>
  finding('missed-run', 'nightly-backup', `${day(d)}T02:30:00Z`, {
    message: `no run started within 60 min of the expected ${day(d)}T02:30:00Z (schedule "${SCHEDULE}")`,
    evidence: { expected_at: `${day(d)}T02:30:00Z`, grace_minutes: 60, schedule: SCHEDULE, last_run_at: `${day(d - 1)}T02:30:00Z` },
  });

/** A 10-minute run of nightly-backup started at `start` (its record stamped at its end). */
const run = (start: string): RunRecord => ({
  subject: 'nightly-backup',
  subject_kind: 'job',
  run_id: `nb-${start.slice(5, 16)}`,
  ts: new Date(Date.parse(start) + 600_000).toISOString().replace('.000Z', 'Z'),
  status: 'ok',
  exit_code: 0,
  duration_ms: 600_000,
});

/** October's runs at 02:30 but for the days given: `late` maps a day to the time its run started instead; a day in neither has no run. */
const october = (skip: readonly number[], late: Record<number, string> = {}): RunRecord[] =>
  Array.from({ length: 31 }, (_, i) => i + 1)
    .filter((d) => !skip.includes(d) || late[d] !== undefined)
    .map((d) => run(`${day(d)}T${late[d] ?? '02:30'}:00Z`));

const backupGroup = (report: ReturnType<typeof buildReport>) => {
  const g = report.findings.find((x) => x.detector === 'missed-run' && x.subject === 'nightly-backup');
  if (!g) throw new Error('no missed-run group on nightly-backup');
  return g;
};

describe('a missed-run card whose missed start came late', () => {
  it('says the run of the 11th came late at 04:00, 30 min past its grace, and keeps "does not exist" and "start by hand" for the 16th, whose run never came', () => {
    // Prepare: runs at 02:30 every day but the 11th, started at 04:00 (90 min late, grace 60), and the 16th, with no run.
    const runs = october([11, 16], { 11: '04:00' });

    // Act
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11), missed(16)], previousFindings: [], runs, config })));

    // Assess: the detector's verdicts are kept; the card tells the late run from the missing one.
    expect(g.condition.occurrences).toBe(2);
    expect(g.consequence.notes).toContain('The run expected 2026-10-11 02:30 UTC came late: nb-10-11T04:00 started 2026-10-11 04:00 UTC, 30 min past its 60 min grace time.');
    expect(g.consequence.known).toBe(
      'Of its 2 missed starts, 1 came late (2026-10-11): what it produced exists, later than expected. For the run that never came (2026-10-16): whatever the run should have produced does not exist: no backup, no report, no sync. Nothing fails, so nothing alerts.',
    );
    expect(g.correctiveAction.action).toMatch(/^For the run that never came \(2026-10-16\): check the scheduler on the host .* start the job by hand if its output is needed now/);
    expect(g.correctiveAction.action).toContain('For the run that came late (2026-10-11): find out why it started late');
  });

  it('says no output is missing and asks for no start by hand when every missed start’s run came late', () => {
    // Prepare: the 11th's run started at 04:00, past its grace; every other day on time.
    const runs = october([11], { 11: '04:00' });

    // Act
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11)], previousFindings: [], runs, config })));

    // Assess
    expect(g.consequence.known).toMatch(/^The run came past the grace time rather than not at all: what it produced exists, later than expected/);
    expect(g.consequence.known).not.toMatch(/does not exist/);
    expect(g.correctiveAction.action).not.toMatch(/start the job by hand/);
    expect(g.consequence.notes).toContain('The run expected 2026-10-11 02:30 UTC came late: nb-10-11T04:00 started 2026-10-11 04:00 UTC, 30 min past its 60 min grace time.');
  });

  it('does not take a run just before the next expected start for the missed one, late: the card keeps the detector’s words', () => {
    // Prepare: no run on the 11th; an extra run at 00:30 on the 12th, two hours before the 12th's start.
    const runs = [...october([11]), run(`${day(12)}T00:30:00Z`)];

    // Act
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11)], previousFindings: [], runs, config })));

    // Assess
    expect(g.consequence.known).toBe('Whatever the run should have produced does not exist: no backup, no report, no sync. Nothing fails, so nothing alerts.');
    expect(g.consequence.notes.join('\n')).not.toMatch(/came late/);
    expect(g.correctiveAction.action).toMatch(/^Check the scheduler on the host/);
  });
});

/** A run of `october` that failed with exit code 1. */
const failed = (r: RunRecord): RunRecord => ({ ...r, status: 'failed', exit_code: 1 });

describe('a missed start whose late run failed', () => {
  it('says the run came late and failed, and keeps "does not exist" and "start the job by hand": its output is not there', () => {
    // Prepare: the 11th's run started at 04:00, 30 min past its grace, and failed (exit 1).
    const runs = october([11], { 11: '04:00' }).map((r) => (r.run_id === 'nb-10-11T04:00' ? failed(r) : r));

    // Act
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11)], previousFindings: [], runs, config })));

    // Assess
    expect(g.consequence.notes).toContain(
      'The run expected 2026-10-11 02:30 UTC came late and failed: nb-10-11T04:00 started 2026-10-11 04:00 UTC, 30 min past its 60 min grace time, and failed (exit code 1): see the run-failed card.',
    );
    expect(g.consequence.known).toBe('Whatever the run should have produced does not exist: no backup, no report, no sync. Nothing fails, so nothing alerts.');
    expect(g.consequence.known).not.toMatch(/what it produced exists/);
    expect(g.correctiveAction.action).toMatch(/start the job by hand/);
    expect(g.correctiveAction.action).not.toMatch(/nothing needs starting by hand/);
  });

  it('tells a late run that failed from one that came, beside one that came', () => {
    // Prepare: the 11th's run came at 04:00; the 12th's came at 04:00 and failed.
    const runs = october([11, 12], { 11: '04:00', 12: '04:00' }).map((r) => (r.run_id === 'nb-10-12T04:00' ? failed(r) : r));

    // Act
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11), missed(12)], previousFindings: [], runs, config })));

    // Assess
    expect(g.consequence.known).toMatch(/^Of its 2 missed starts, 1 came late \(2026-10-11\): what it produced exists, later than expected\. For the run that came late and failed \(2026-10-12\): whatever the run should have produced does not exist/);
    expect(g.correctiveAction.action).toMatch(/^For the run that came late and failed \(2026-10-12\): check the scheduler .* start the job by hand/);
    expect(g.correctiveAction.action).toContain('For the run that came late (2026-10-11): find out why it started late');
  });
});

describe('a run long after a missed start', () => {
  it('does not take a run by hand hours later for the scheduled run, late: the slot never came, the run is named, and "check the scheduler" stays', () => {
    // Prepare: no run at 02:30 on the 11th; manual-by-alice at 09:00, 6 h 30 min after (more than twice the 60 min grace).
    const runs = [...october([11]), { ...run(`${day(11)}T09:00:00Z`), run_id: 'manual-by-alice' }];

    // Act
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11)], previousFindings: [], runs, config })));

    // Assess
    expect(g.consequence.notes).toContain(
      'The run expected 2026-10-11 02:30 UTC never came: a run (manual-by-alice) started 2026-10-11 09:00 UTC, 6 h 30 min after, past twice its 60 min grace time, so it is not taken for it: if it was a re-run by hand, what it produced exists, but the scheduler did not start the expected run.',
    );
    expect(g.consequence.notes.join('\n')).not.toMatch(/came late/);
    expect(g.consequence.known).toBe('Whatever the run should have produced does not exist: no backup, no report, no sync. Nothing fails, so nothing alerts.');
    expect(g.correctiveAction.action).toMatch(/^Check the scheduler on the host/);
  });

  it('still takes a run at twice the grace time after its expected start for it, late; a minute later it does not', () => {
    // Prepare: the 11th's run at 04:30 (120 min after 02:30, 60 min past the 60 min grace); the 12th's at 04:31.
    const runs = october([11, 12], { 11: '04:30', 12: '04:31' });

    // Act
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11), missed(12)], previousFindings: [], runs, config })));

    // Assess
    expect(g.consequence.notes).toContain('The run expected 2026-10-11 02:30 UTC came late: nb-10-11T04:30 started 2026-10-11 04:30 UTC, 1 h past its 60 min grace time.');
    expect(g.consequence.notes.join('\n')).toContain('The run expected 2026-10-12 02:30 UTC never came: a run (nb-10-12T04:31) started 2026-10-12 04:31 UTC, 2 h 1 min after');
    expect(g.correctiveAction.action).toMatch(/^For the run that never came \(2026-10-12\): check the scheduler/);
  });
});

describe('lateStartsOf on a long outage', () => {
  it('finds the one late run among thousands of missed starts of a job every 5 minutes, and no other', () => {
    // Prepare: a week of a job every 5 minutes (grace 1 min); 2,016 starts missed from the 3rd, each with no run but every 100th, which came 90 s late.
    const schedule = '*/5 * * * *';
    const t0 = Date.parse('2026-10-01T00:00:00Z');
    const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
    const findings: Finding[] = [];
    const runs: RunRecord[] = [];
    for (let i = 0; i < 8640; i++) {
      const at = t0 + i * 300_000;
      const isMissed = i >= 576 && i < 576 + 2016;
      if (isMissed) findings.push(finding('missed-run', 'j', iso(at), { evidence: { expected_at: iso(at), grace_minutes: 1, schedule } }));
      const startedAt = !isMissed ? at + 10_000 : i % 100 === 0 ? at + 90_000 : undefined;
      if (startedAt !== undefined) runs.push({ subject: 'j', subject_kind: 'job', run_id: `r${i}`, ts: iso(startedAt + 30_000), status: 'ok', exit_code: 0, duration_ms: 30_000 });
    }

    // Act
    const late = lateStartsOf(findings, runs);

    // Assess: the missed starts 600, 700, … 2500, each with its own run.
    const expectedLate = Array.from({ length: 20 }, (_, k) => 600 + k * 100);
    expect([...late.keys()]).toEqual(expectedLate.map((i) => iso(t0 + i * 300_000)));
    expect([...late.values()].map((l) => l.runId)).toEqual(expectedLate.map((i) => `r${i}`));
    expect([...late.values()].every((l) => l.outcome === 'came')).toBe(true);
  });
});

describe('a group’s duration in its Consequence', () => {
  it('does not say it lasted from the first occurrence to the last when its days are not in a row: it says how far apart they were', () => {
    // Prepare: two missed starts five days apart, normal runs in between.
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11), missed(16)], previousFindings: [], runs: october([11, 16]), config })));

    // Assess
    expect(g.consequence.notes.join('\n')).not.toMatch(/Lasted/);
    expect(g.consequence.notes).toContain('On 2 separate days, 5 days apart (2026-10-11 and 2026-10-16): not one stretch from the first to the last.');
  });

  it('lists the days of three or more occurrences not in a row', () => {
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(3), missed(4), missed(20)], previousFindings: [], runs: october([3, 4, 20]), config })));

    expect(g.consequence.notes).toContain('On 3 separate days, from 2026-10-03 to 2026-10-20, not in a row (2026-10-03, 2026-10-04, 2026-10-20): not one stretch from the first to the last.');
  });

  it('lists up to 8 of the days not in a row, then how many more', () => {
    const days = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
    const g = backupGroup(buildReport(octoberInput({ findings: days.map(missed), previousFindings: [], runs: october(days), config })));

    expect(g.consequence.notes).toContain(
      'On 10 separate days, from 2026-10-01 to 2026-10-19, not in a row (2026-10-01, 2026-10-03, 2026-10-05, 2026-10-07, 2026-10-09, 2026-10-11, 2026-10-13, 2026-10-15 and 2 more): not one stretch from the first to the last.',
    );
  });

  it('still says it lasted from the first to the last on days in a row', () => {
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11), missed(12), missed(13)], previousFindings: [], runs: october([11, 12, 13]), config })));

    expect(g.consequence.notes).toContain('Lasted 2.0 days, from 2026-10-11 to 2026-10-13.');
  });
});
