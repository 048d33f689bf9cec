import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import type { RunRecord } from '../../lambdas/ports.ts';
import { buildReport } from '../../lambdas/core/report/build-report.ts';
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

  it('still says it lasted from the first to the last on days in a row', () => {
    const g = backupGroup(buildReport(octoberInput({ findings: [missed(11), missed(12), missed(13)], previousFindings: [], runs: october([11, 12, 13]), config })));

    expect(g.consequence.notes).toContain('Lasted 2.0 days, from 2026-10-11 to 2026-10-13.');
  });
});
