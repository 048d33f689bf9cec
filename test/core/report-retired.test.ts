import { describe, expect, it } from 'vitest';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import { initialJobState, judgeAbsence, type JobState, jobReducer } from '../../lambdas/core/job-reducer.ts';
import { buildReport } from '../../lambdas/core/report/build-report.ts';
import { createMonthlyReport } from '../../lambdas/core/report/monthly-report.ts';
import { scheduledReportTime } from '../../lambdas/core/report/month.ts';
import { ev } from '../helpers/events.ts';
import { CONFIG, day, finding, jobState as fixtureJobState, octoberInput, octoberSubjects, RAW_CONFIG, runRecord } from './report-fixtures.ts';

const groupOf = (report: ReturnType<typeof buildReport>, detector: string, subject: string) => {
  const group = report.findings.find((g) => g.detector === detector && g.subject === subject);
  if (!group) throw new Error(`no ${detector} group of ${subject}`);
  return group;
};

describe('groups of a job taken out of the config', () => {
  it('keeps open the unfinished runs of a job still seen hanging after it left the config, and closes those of one with nothing seen after', () => {
    // Prepare: legacy and gone (configured daily) start a run each day that never ends.
    // legacy leaves the config on 5 October and keeps starting (and hanging) 5-9 October; gone leaves it after its last start, on the 9th.
    const start = (job: string, d: number) => [ev(`${day(d)}T03:30:05Z`, { type: 'run.start', job, run_id: `${job}-${d}` })];
    const before = validateConfig({ ...RAW_CONFIG, jobs: { ...RAW_CONFIG.jobs, legacy: { schedule: '30 3 * * *' }, gone: { schedule: '30 3 * * *' } } }, 'before');
    const read = (job: string, config: Config, from: number, to: number, state: JobState = initialJobState(job)) =>
      jobReducer.apply(state, job, Array.from({ length: to - from + 1 }, (_, k) => start(job, from + k)).flat(), { config, clock: { now: () => Date.parse(`${day(to)}T23:59:00Z`) } }).state;
    const judged = (job: string, to: number) => judgeAbsence(read(job, before, 1, to), job, { config: before, clock: { now: () => Date.parse(`${day(to)}T23:59:00Z`) } }).state;
    const legacyState = read('legacy', CONFIG, 5, 9, judged('legacy', 4));
    const unfinished = (job: string, d: number) => finding('run-unfinished', job, `${day(d)}T04:30:05Z`, { run_id: `${job}-${d}` });
    const input = octoberInput({
      findings: [...[5, 6, 7, 8, 9].map((d) => unfinished('legacy', d)), unfinished('gone', 9)],
      previousFindings: [],
      // One run each that ended before the hangs (the report reads run records, and finds none since).
      runs: [runRecord('legacy', 'legacy-0', '2026-10-01T00:00:00Z'), runRecord('gone', 'gone-0', '2026-10-01T00:00:00Z')],
      subjects: [...octoberSubjects(), { kind: 'job', name: 'legacy', state: legacyState }, { kind: 'job', name: 'gone', state: judged('gone', 9) }],
      clock: { now: () => Date.parse('2026-10-10T12:00:00Z') },
    });

    // Act
    const report = buildReport(input);

    // Assess: legacy is still seen hanging, so still happening; gone is no longer monitored
    expect(groupOf(report, 'run-unfinished', 'legacy')).toMatchObject({ status: 'new', correctiveAction: { status: 'new' } });
    expect(groupOf(report, 'run-unfinished', 'gone').status).toBe('retired');
    expect(report.summary.groups).toMatchObject({ new: 1, retired: 1 });
  });

  it('keeps a group closed as no longer monitored in October closed in November when October’s report cannot be read', async () => {
    // Prepare: legacy (scheduled by the config) missed its runs on 1-3 October, then left the config; nothing of it since.
    // No archived October report: November's report rebuilds October's groups from the stored findings.
    const findings = [1, 2, 3].map((d) => finding('missed-run', 'legacy', `${day(d)}T10:30:00Z`));
    const legacyState = { ...fixtureJobState('legacy', 20, '2026-09-01T10:30:00Z', '2026-09-30T10:30:00Z'), absenceCheckedUntil: Date.parse('2026-10-03T10:30:00Z'), absenceSchedule: 'none' };
    const store = { query: async (q: { from: string; to: string }) => findings.filter((f) => f.ts >= q.from && f.ts < q.to), pendingAlerts: async () => [] };
    const runs = [runRecord('legacy', 'lg-10-01', '2026-10-01T09:30:00Z')];
    const ofSubject = (key: string, from: string, to: string) => runs.filter((r) => `${r.subject_kind}#${r.subject}` === key && r.ts >= from && r.ts < to);
    const runStore = { runs: async (key: string, from: string, to: string) => ofSubject(key, from, to), hasRuns: async (key: string, from: string, to: string) => ofSubject(key, from, to).length > 0 };
    const catalog = { subjects: async (kind: string) => (kind === 'job' ? [{ key: 'job#legacy', state: legacyState }] : []) };
    const sources = (month: string) => ({ findings: store, runs: runStore, catalog, config: CONFIG, clock: { now: () => scheduledReportTime(month) } }) as unknown as Parameters<typeof createMonthlyReport>[1];

    // Act
    const october = (await createMonthlyReport('2026-10', sources('2026-10'))).report;
    const november = (await createMonthlyReport('2026-11', sources('2026-11'))).report;

    // Assess: retired in both, never unverified (open since 2026-10) in November
    expect(groupOf(october, 'missed-run', 'legacy').status).toBe('retired');
    expect(groupOf(november, 'missed-run', 'legacy')).toMatchObject({ status: 'retired', correctiveAction: { status: 'retired' } });
    expect(november.summary.groups).toMatchObject({ unverified: 0, retired: 1 });
  });
});
