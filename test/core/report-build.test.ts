import { describe, expect, it } from 'vitest';
import { type Config, DEFAULT_RUN_RETENTION_DAYS, MIN_RUN_RETENTION_DAYS, validateConfig } from '../../lambdas/config.ts';
import type { EventBody } from '../../lambdas/core/events.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { happenedAt } from '../../lambdas/core/report/evidence.ts';
import type { RunRecord } from '../../lambdas/ports.ts';
import { type GuardState, initialGuardState } from '../../lambdas/core/guard-reducer.ts';
import { initialJobState, judgeAbsence, type JobState, jobReducer } from '../../lambdas/core/job-reducer.ts';
import { narrowCause } from '../../lambdas/core/report/causes.ts';
import { buildCoverage } from '../../lambdas/core/report/coverage.ts';
import { buildReport, carriedGroups } from '../../lambdas/core/report/build-report.ts';
import { carriedFromJson, createMonthlyReport } from '../../lambdas/core/report/monthly-report.ts';
import { renderHtml } from '../../lambdas/core/report/render-html.ts';
import { renderJson } from '../../lambdas/core/report/render-json.ts';
import { renderMarkdown } from '../../lambdas/core/report/render-markdown.ts';
import { monthSpan, previousMonth, ReportMonthError, reportMonthAt, scheduledReportTime } from '../../lambdas/core/report/month.ts';
import { REPORT_SECTIONS } from '../../lambdas/core/report/model.ts';
import { initialRouteState, routeReducer } from '../../lambdas/core/route-reducer.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { stateItemBytes } from '../../lambdas/adapters/dynamodb-store.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { ReportEventError, reportMonthOf } from '../../lambdas/core/report/report-event.ts';
import { heldBackAtMonthEnd } from '../../lambdas/core/report/sections.ts';
import type { SubjectSnapshot } from '../../lambdas/core/report/subjects.ts';
import { ev } from '../helpers/events.ts';
import { CONFIG, clock, day, finding, guardException, jobState as fixtureJobState, octoberInput, octoberSubjects, RAW_CONFIG, runRecord } from './report-fixtures.ts';

const groupOf = (report: ReturnType<typeof buildReport>, detector: string, subject: string) => {
  const group = report.findings.find((g) => g.detector === detector && g.subject === subject);
  if (!group) throw new Error(`no group ${detector} × ${subject}`);
  return group;
};

describe('months', () => {
  it.each([
    ['2026-10', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', 31, 'October 2026'],
    ['2026-02', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', 28, 'February 2026'],
    ['2028-02', '2028-02-01T00:00:00Z', '2028-03-01T00:00:00Z', 29, 'February 2028'],
    ['2026-12', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z', 31, 'December 2026'],
  ])('%s spans %s to %s, %i days', (month, from, to, days, label) => {
    // Act
    const span = monthSpan(month);
    // Assess
    expect([span.from, span.to, span.days.length, span.label]).toEqual([from, to, days, label]);
  });

  it.each(['2026-13', '2026-1', '26-10', '2026-10-01', ''])('refuses %j', (month) => {
    expect(() => monthSpan(month)).toThrow(ReportMonthError);
  });

  it.each(['0050-01', '0000-12', '1969-12'])('refuses %j, a year before 1970 (not read as 19xx), saying so', (month) => {
    expect(() => monthSpan(month)).toThrow(ReportMonthError);
    expect(() => monthSpan(month)).toThrow(`"${month}" is not a month to report on: its year is before 1970, the first a log can be from`);
  });

  it('spans January 1970, the first month it reports on', () => {
    expect(monthSpan('1970-01')).toMatchObject({ from: '1970-01-01T00:00:00Z', to: '1970-02-01T00:00:00Z', label: 'January 1970' });
  });

  it('reports on January 1970 against December 1969, a month before any log and so an empty one', () => {
    // Prepare: a failed run on 5 January 1970, the first month a report is made for.
    const at = '1970-01-05T00:00:10Z';
    const input = {
      ...octoberInput(),
      month: '1970-01',
      findings: [finding('run-failed', 'nightly-backup', at, { run_id: 'r1' })],
      previousFindings: [],
      runs: [runRecord('nightly-backup', 'r1', at, 'failed')],
      carried: undefined,
    };

    // Act
    const report = buildReport(input);

    // Assess
    expect([report.month, report.previousMonth, report.previousLabel]).toEqual(['1970-01', '1969-12', 'December 1969']);
    expect(report.summary.findings).toEqual({ current: 1, previous: 0, delta: 1, direction: 'up' });
    expect(groupOf(report, 'run-failed', 'nightly-backup').status).toBe('new');
  });

  it('steps back across a year and reports on the month before a run', () => {
    expect(previousMonth('2026-01')).toBe('2025-12');
    expect(reportMonthAt(Date.parse('2026-11-01T06:00:00Z'))).toBe('2026-10');
    expect(reportMonthAt(Date.parse('2027-01-01T06:00:00Z'))).toBe('2026-12');
  });
});

describe('the month of a report invocation', () => {
  const now = { now: () => Date.parse('2026-12-15T10:00:00Z') };

  it('takes {"month"} when given, the month before a scheduled event, else the month before now', () => {
    // Prepare
    const scheduled = { version: '0', id: 'e-1', 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-11-01T06:00:00Z', detail: {} };

    // Act and Assess
    expect(reportMonthOf({ month: '2026-07' }, now)).toBe('2026-07');
    expect(reportMonthOf(scheduled, now)).toBe('2026-10');
    expect(reportMonthOf({}, now)).toBe('2026-11');
    expect(reportMonthOf(undefined, now)).toBe('2026-11');
  });

  it.each([{ month: '2026-13' }, { month: 202610 }, { month: '' }, { month: '0050-01' }])('refuses %j with what is expected', (event) => {
    expect(() => reportMonthOf(event, now)).toThrow(ReportEventError);
    expect(() => reportMonthOf(event, now)).toThrow(/expected "YYYY-MM"/);
  });

  it('refuses a month that has not begun, and takes the month under way', () => {
    // Act and Assess: now is 15 December 2026
    expect(() => reportMonthOf({ month: '2027-01' }, now)).toThrow('month "2027-01": January 2027 has not begun (the report is made as of 2026-12-15T10:00:00Z): a report of it would be an empty month');
    expect(reportMonthOf({ month: '2026-12' }, now)).toBe('2026-12');
  });

  it('says why a month before 1970 is refused', () => {
    expect(() => reportMonthOf({ month: '0050-01' }, now)).toThrow('month "0050-01": its year is before 1970, the first a log can be from; expected "YYYY-MM", e.g. {"month": "2026-10"}');
  });
});

describe('buildReport for a known month (October 2026 against September)', () => {
  const report = buildReport(octoberInput());

  it('names the month, the period, the report date and every section', () => {
    expect(report).toMatchObject({
      schema: 'silent-audit/monthly-report@1',
      month: '2026-10',
      label: 'October 2026',
      previousMonth: '2026-09',
      period: { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' },
      generatedAt: '2026-11-01T06:00:00Z',
    });
    expect(REPORT_SECTIONS.map((s) => s.title)).toEqual([
      'Summary',
      'Coverage',
      'Exception registry review',
      'Silenced alerts',
      'Retries per route',
      'Agent budgets and costs',
      'Findings (5 Cs)',
      'Appendix: thresholds',
    ]);
  });

  it('summarises the month with the trend against the previous one', () => {
    const s = report.summary;
    expect(s.headline).toBe(
      'October 2026: 27 findings in 8 open groups across 6 subjects (▲ 23 vs September 2026); 7 new, 1 recurring, 1 resolved, 1 unverified; 3 of 10 monitored subjects UNKNOWN.',
    );
    expect(s.findings).toEqual({ current: 27, previous: 4, delta: 23, direction: 'up' });
    expect(s.bySeverity.map((b) => [b.severity, b.trend.current, b.trend.previous])).toEqual([
      ['critical', 0, 0],
      ['high', 24, 3],
      ['medium', 3, 1],
      ['low', 0, 0],
    ]);
    expect(s.byDetector.map((d) => [d.detector, d.trend.current, d.trend.previous, d.trend.direction])).toEqual([
      ['output-shrink', 18, 0, 'up'],
      ['run-failed', 2, 1, 'up'],
      ['guard-bypass-unregistered', 2, 0, 'up'],
      ['budget-exceeded', 1, 0, 'up'],
      ['cost-outlier', 1, 0, 'up'],
      ['guard-exception-expired', 1, 0, 'up'],
      ['retry-latency', 1, 0, 'up'],
      ['retry-rate', 1, 0, 'up'],
      ['empty-output', 0, 2, 'down'],
      ['error-keyword', 0, 1, 'down'],
    ]);
    expect(s.subjectsAffected).toEqual({ current: 6, previous: 2, delta: 4, direction: 'up' });
    expect(s.groups).toEqual({ new: 7, recurring: 1, resolved: 1, unverified: 1, retired: 0 });
    expect(s.coverage).toEqual({ monitored: 10, ok: 1, findings: 6, unknown: 3, later: 0 });
    expect(s.exceptions).toEqual({ total: 4, expired: 1, expiringSoon: 1, unused: 2 });
    expect(s.highlights).toEqual([
      'HIGH run-failed on etl-loader: 2 findings from 2026-10-03 to 2026-10-17 (recurring)',
      'HIGH output-shrink on nightly-backup: 18 findings from 2026-10-14, still happening (new)',
      'HIGH guard-bypass-unregistered on cost-cap: 2 findings from 2026-10-10 to 2026-10-24 (new)',
    ]);
  });

  it('groups findings per detector × subject with their status, owner and due date, open ones first', () => {
    expect(report.findings.map((g) => [g.detector, g.subject, g.severity, g.status, g.correctiveAction.owner, g.correctiveAction.due ?? null])).toEqual([
      ['run-failed', 'etl-loader', 'high', 'recurring', 'data-eng@example.com', '2026-11-08'],
      ['output-shrink', 'nightly-backup', 'high', 'new', 'data-platform@example.com', '2026-11-08'],
      ['guard-bypass-unregistered', 'cost-cap', 'high', 'new', 'carol@example.com', '2026-11-08'],
      ['budget-exceeded', 'support-bot', 'high', 'new', 'ai-team@example.com', '2026-11-08'],
      ['guard-exception-expired', 'schema-validator', 'high', 'new', 'bob@example.com', '2026-11-08'],
      ['cost-outlier', 'support-bot', 'medium', 'new', 'ai-team@example.com', '2026-11-15'],
      ['retry-latency', 'search-api', 'medium', 'new', 'search@example.com', '2026-11-15'],
      ['retry-rate', 'search-api', 'medium', 'new', 'search@example.com', '2026-11-15'],
      ['empty-output', 'etl-loader', 'high', 'resolved', 'data-eng@example.com', null],
      ['error-keyword', 'weekly-digest', 'medium', 'unverified', 'growth@example.com', null],
    ]);
  });

  it('gives a shrunk output every day from the 14th the 5 Cs: thresholds, counts, a change at the source, 18 of 31 runs, still happening', () => {
    const g = groupOf(report, 'output-shrink', 'nightly-backup');
    expect(g.criteria.thresholds).toEqual([
      { key: 'output_shrink_ratio', value: '0.3', source: 'defaults' },
      { key: 'min_history', value: '5', source: 'defaults' },
      { key: 'baseline_window', value: '20', source: 'defaults' },
    ]);
    expect(g.criteria.baseline).toBe('the median of the previous normal runs: 6.8 KiB over the last 20 runs');
    expect(g.condition).toMatchObject({ occurrences: 18, previousOccurrences: 0, runsAffected: 18, firstAt: '2026-10-14T03:10:00Z', lastAt: '2026-10-31T03:10:00Z' });
    expect(g.condition.days).toHaveLength(18);
    expect(g.condition.evidence.find((e) => e.key === 'output_bytes')).toEqual({ key: 'output_bytes', unit: 'bytes', n: 18, min: 400, median: 410, max: 420 });
    expect(g.condition.examples).toEqual([{ text: 'output 412 B is 6% of the median 6.8 KiB of the last 20 runs', count: 18 }]);
    expect(g.cause.narrowed[0]).toBe(
      'Every run from 2026-10-14 to 2026-10-31 was affected (18 of 18): a lasting change at the source on or just before 2026-10-14 (a deploy, a credential, a configuration or an upstream change) rather than a passing fault. It had not recovered by the end of the month.',
    );
    expect(g.cause.narrowed[1]).toMatch(/^The output was steady at about 410 B \(6% of the usual 6\.8 KiB\)/);
    expect(g.consequence).toMatchObject({ runsAffected: 18, runsInMonth: 31, persisted: { from: '2026-10-14T03:10:00Z', to: '2026-10-31T03:10:00Z', ongoing: true } });
    expect(g.consequence.notes).toEqual([
      '18 runs affected of 31 in October 2026 (58%).',
      'Lasted 17.0 days from its first occurrence (2026-10-14) to its last occurrence (2026-10-31), and nothing after it showed it stopped: still happening at the end of the month.',
    ]);
    expect(g.correctiveAction).toEqual({
      action: expect.stringMatching(/^Compare the run's output/),
      owner: 'data-platform@example.com',
      ownerKey: 'jobs.nightly-backup.owner',
      due: '2026-11-08',
      overdue: false,
      status: 'new',
    });
    expect(g.openSince).toBe('2026-10');
  });

  it('calls two failures among normal runs intermittent, and reads the exit code', () => {
    const g = groupOf(report, 'run-failed', 'etl-loader');
    expect(g.openSince).toBe('2026-09');
    expect(g.condition.previousOccurrences).toBe(1);
    expect(g.cause.narrowed).toEqual([
      'Intermittent: 2 of 15 runs between 2026-10-03 and 2026-10-17, with normal runs in between: points to a flaky dependency, a race, or load- or time-dependent behaviour rather than one change.',
      'Exit codes: 137 ×2 (137: it was killed with SIGKILL, most often by the out-of-memory killer).',
    ]);
    expect(g.consequence.notes).toEqual(['2 runs affected of 31 in October 2026 (6.5%).', 'On 2 separate days, 14 days apart (2026-10-03 and 2026-10-17): not one stretch from the first to the last.', 'Longest time measured: 5.0 min.']);
  });

  it('lists last month’s groups that did not come back: resolved when the subject ran, unverified when it sent nothing', () => {
    const resolved = groupOf(report, 'empty-output', 'etl-loader');
    expect(resolved.condition).toMatchObject({ occurrences: 0, previousOccurrences: 2 });
    expect(resolved.cause.narrowed).toEqual(['No finding in October 2026 across 31 runs; last seen 2026-09-06.']);
    expect(resolved.correctiveAction).toMatchObject({ status: 'resolved', overdue: false });
    expect(resolved.correctiveAction.due).toBeUndefined();

    const unverified = groupOf(report, 'error-keyword', 'weekly-digest');
    expect(unverified.cause.narrowed).toEqual(['No finding in October 2026, but weekly-digest reported no data either: it may still be broken.']);
    expect(unverified.correctiveAction.action).toBe('Find out why weekly-digest sent no data in October 2026 before calling this fixed.');
  });

  it('shows cost and the budget limits of agent findings, and the route limits of retry findings', () => {
    expect(groupOf(report, 'budget-exceeded', 'support-bot').consequence.costUsd).toBe(0.9);
    expect(groupOf(report, 'cost-outlier', 'support-bot').consequence.costUsd).toBe(2.4);
    expect(groupOf(report, 'budget-exceeded', 'support-bot').criteria.thresholds.map((t) => `${t.key}=${t.value}@${t.source}`)).toEqual([
      'budget.max_actions=20@agents.support-bot',
      'budget.max_cost_usd=0.5@agents.support-bot',
      'budget.scope="task"@agents.support-bot',
    ]);
    expect(groupOf(report, 'retry-rate', 'search-api').criteria.thresholds.map((t) => `${t.key}=${t.value}@${t.source}`)).toEqual([
      'retry_rate_max=0.1@routes.search-api',
      'retry_min_requests=20@defaults',
    ]);
    // Both limits retry-latency applies: the route's p99_ms, and the multiple of its single attempts' p99 (retry_latency_factor), each under its own name.
    expect(groupOf(report, 'retry-latency', 'search-api').criteria.thresholds.map((t) => `${t.key}=${t.value}@${t.source}`)).toEqual([
      'p99_ms=3000@routes.search-api',
      'retry_latency_factor=2@built-in',
    ]);
    expect(groupOf(report, 'retry-latency', 'search-api').consequence.maxLatencyMs).toBe(8200);
  });

  it('gives the thresholds a group’s findings were judged by, each with its days, and the config’s current value beside when it differs', () => {
    // Prepare: missed runs judged under the schedule "0 1 * * *" and a 15-minute grace until the 15th, then "30 2 * * *" (the config's today) and 30 minutes; a budget no longer configured.
    const missed = (d: number, schedule: string, grace: number) =>
      finding('missed-run', 'nightly-backup', `${day(d)}T03:00:00Z`, { evidence: { expected_at: `${day(d)}T02:30:00Z`, grace_minutes: grace, schedule } });
    const over = finding('budget-exceeded', 'support-bot', `${day(20)}T10:00:00Z`, {
      kind: 'agent',
      evidence: { scope: 'task', budget_source: 'config', max_actions: 25, limits: ['actions'], actions: 40 },
    });
    const config = validateConfig({ ...RAW_CONFIG, defaults: { ...RAW_CONFIG.defaults, grace_minutes: 30 }, agents: {} }, 'report test config');
    const lines = (g: ReturnType<typeof groupOf>) => g.criteria.thresholds.map((t) => `${t.key}=${t.value}@${t.source}`);

    // Act
    const report = buildReport(octoberInput({ findings: [missed(3, '0 1 * * *', 15), missed(14, '0 1 * * *', 15), missed(20, '30 2 * * *', 30), over], runs: [], config }));

    // Assess
    expect(lines(groupOf(report, 'missed-run', 'nightly-backup'))).toEqual([
      'schedule="0 1 * * *"@as judged 2026-10-03 to 2026-10-14',
      'schedule="30 2 * * *"@jobs.nightly-backup 2026-10-20',
      'timezone="UTC"@built-in',
      'grace_minutes=15@as judged 2026-10-03 to 2026-10-14',
      'grace_minutes=30@defaults 2026-10-20',
    ]);
    expect(lines(groupOf(report, 'budget-exceeded', 'support-bot'))).toEqual([
      'budget="none configured (the run’s own budget from agent.start)"@built-in',
      'budget.max_actions=25@as judged',
      'budget.scope="task"@as judged',
    ]);
  });

  describe('a sub-agent over its own budget', () => {
    // support-bot's tree (a pool of 20 actions) runs researcher, held to its own 3 (agents.researcher, with its own owner).
    const config = validateConfig(
      { ...RAW_CONFIG, agents: { ...RAW_CONFIG.agents, researcher: { budget: { max_actions: 3, scope: 'task' }, owner: 'research@example.com' } } },
      'report test config',
    );
    const ownBudget = (d: number, max_actions: number, kept: 'sub_agent' | 'top_runs' = 'sub_agent') =>
      finding('budget-exceeded', 'support-bot', `${day(d)}T10:00:00Z`, {
        kind: 'agent',
        run_id: `r-${d}.1`,
        evidence: {
          scope: 'task',
          budget_source: 'config',
          root_run_id: `r-${d}`,
          ...(kept === 'sub_agent' ? { sub_agent: 'researcher' } : {}),
          runs: 1,
          max_actions,
          limits: ['actions'],
          actions: 8,
          top_runs: [{ run_id: `r-${d}.1`, agent: 'researcher', actions: 8, cost_usd: 0 }],
        },
      });
    const onRoot = finding('budget-exceeded', 'support-bot', `${day(20)}T10:00:00Z`, {
      kind: 'agent',
      run_id: 'r-20',
      evidence: { scope: 'task', budget_source: 'config', root_run_id: 'r-20', runs: 2, max_actions: 20, limits: ['actions'], actions: 26 },
    });
    const lines = (g: ReturnType<typeof groupOf>) => g.criteria.thresholds.map((t) => `${t.key}=${t.value}@${t.source}`);
    const agentRows = (report: ReturnType<typeof buildReport>) => report.agents.rows.map((r) => [r.name, r.status, r.findings, r.worst.map((w) => `${w.key}=${w.value}`), r.note ?? null]);

    it.each(['sub_agent', 'top_runs'] as const)('shows the limit it crossed under its own key, the card its root’s with the sub-agent’s owner in a note (named by %s)', (kept) => {
      // Act
      const report = buildReport(octoberInput({ findings: [ownBudget(5, 3, kept)], previousFindings: [], config }));

      // Assess: the card is support-bot's, as its alerts and owner slice are; researcher's owner is named in its note.
      const g = groupOf(report, 'budget-exceeded', 'support-bot');
      expect(lines(g)).toEqual(['agents.researcher.budget.max_actions=3@sub-agent’s own', 'agents.researcher.budget.scope="task"@sub-agent’s own']);
      expect(g.correctiveAction.owner).toBe('ai-team@example.com');
      expect(g.consequence.notes).toContain('1 finding over sub-agent researcher’s own budget (owner research@example.com).');
      // Agent budgets: the root still has it among its findings (as Coverage), researcher's row shows it beside its own limit.
      expect(agentRows(report)).toEqual([
        ['researcher', 'findings', 1, ['runs=1', 'actions=8'], '1 finding over its own budget as a sub-agent, counted under support-bot’s findings.'],
        ['support-bot', 'findings', 1, [], '1 finding over a sub-agent’s own budget, shown on researcher’s row too.'],
      ]);
      expect(report.coverage.rows.find((r) => r.name === 'support-bot')?.status).toBe('findings');
      expect(renderMarkdown(report)).toContain('| researcher | **FINDINGS** |');
    });

    it('slices the card by its root agent’s owner, as alerts route it, not the sub-agent’s', () => {
      // Act
      const sliced = (owner: string) => buildReport(octoberInput({ findings: [ownBudget(5, 3)], previousFindings: [], config, owners: [owner] }));
      const rootOwners = sliced('ai-team@example.com');
      const subAgentOwners = sliced('research@example.com');

      // Assess
      const g = groupOf(rootOwners, 'budget-exceeded', 'support-bot');
      expect(g.correctiveAction.owner).toBe('ai-team@example.com');
      expect(g.consequence.notes).toContain('1 finding over sub-agent researcher’s own budget (owner research@example.com).');
      expect(subAgentOwners.findings.filter((x) => x.detector === 'budget-exceeded')).toEqual([]);
    });

    it.each([
      ['a task budget', ''],
      ['a per-tick budget', 'tick 2 of '],
    ])('names the sub-agent of a finding stored before sub_agent by its message when its top runs leave it out (%s)', (_, tick) => {
      // Prepare: a name with spaces and parentheses; the judged run made no action itself, its workers did.
      const name = 'deep (re)searcher (v2)';
      const withName = validateConfig({ ...RAW_CONFIG, agents: { ...RAW_CONFIG.agents, [name]: { budget: { max_actions: 3, scope: 'task' }, owner: 'research@example.com' } } }, 'report test config');
      const old = finding('budget-exceeded', 'support-bot', `${day(5)}T10:00:00Z`, {
        kind: 'agent',
        run_id: 'r-5.1',
        message: `${tick}sub-agent ${name} (run r-5.1, under r-5) used 8 actions across 3 runs, over its own budget of 3 actions per task (most: worker (run r-5.1.1) 4 actions)`,
        evidence: { scope: 'task', budget_source: 'config', root_run_id: 'r-5', runs: 3, max_actions: 3, limits: ['actions'], actions: 8, top_runs: [{ run_id: 'r-5.1.1', agent: 'worker', actions: 4 }, { run_id: 'r-5.1.2', agent: 'worker', actions: 4 }] },
      });

      // Act
      const report = buildReport(octoberInput({ findings: [old], previousFindings: [], config: withName }));

      // Assess
      const g = groupOf(report, 'budget-exceeded', 'support-bot');
      expect(lines(g)[0]).toBe(`agents["${name}"].budget.max_actions=3@sub-agent’s own`);
      expect(g.consequence.notes).toContain(`1 finding over sub-agent ${name}’s own budget (owner research@example.com).`);
      expect(report.agents.rows.find((r) => r.name === name)?.findings).toBe(1);
    });

    it('gives the root’s budget beside the sub-agent’s when its root runs were over too, the root’s owner for both, and the sub-agent’s own value today when it changed', () => {
      // Act: researcher held to 3 on the 5th, its config says 4 today; the tree over its 20 on the 20th.
      const changed = validateConfig({ ...config, agents: { ...config.agents, researcher: { ...config.agents.researcher, budget: { max_actions: 4, scope: 'task' } } } }, 'report test config');
      const report = buildReport(octoberInput({ findings: [ownBudget(5, 3), onRoot], previousFindings: [], config: changed }));

      // Assess
      const g = groupOf(report, 'budget-exceeded', 'support-bot');
      expect(lines(g)).toEqual([
        'budget.max_actions=20@agents.support-bot',
        'budget.max_cost_usd=0.5@agents.support-bot',
        'budget.scope="task"@agents.support-bot',
        'agents.researcher.budget.max_actions=3@as judged',
        'agents.researcher.budget.max_actions=4@sub-agent’s own, current',
        'agents.researcher.budget.scope="task"@sub-agent’s own',
      ]);
      expect(g.correctiveAction.owner).toBe('ai-team@example.com');
      expect(agentRows(report).map((r) => r.slice(0, 3))).toEqual([
        ['researcher', 'findings', 1],
        ['support-bot', 'findings', 2],
      ]);
    });

    it('names a budget from the sub-agent’s agent.start as its own, and says when the sub-agent has no owner configured', () => {
      // Prepare: researcher in no config section; its agent.start said 5.
      const started = { ...ownBudget(5, 5), evidence: { ...ownBudget(5, 5).evidence, budget_source: 'event' } };

      // Act
      const report = buildReport(octoberInput({ findings: [started], previousFindings: [] }));

      // Assess
      const g = groupOf(report, 'budget-exceeded', 'support-bot');
      expect(lines(g)).toEqual(['budget.max_actions=5@researcher’s agent.start', 'budget.scope="task"@researcher’s agent.start']);
      expect(g.correctiveAction.owner).toBe('ai-team@example.com');
      expect(g.consequence.notes).toContain('1 finding over sub-agent researcher’s own budget (no owner configured: agents.researcher.owner).');
    });
  });

  it('labels the config’s value current beside the one every finding was judged by when they differ', () => {
    // Prepare: every missed run judged under a 15-minute grace; the config says 30 today.
    const config = validateConfig({ ...RAW_CONFIG, defaults: { ...RAW_CONFIG.defaults, grace_minutes: 30 } }, 'report test config');
    const findings = [3, 4].map((d) => finding('missed-run', 'nightly-backup', `${day(d)}T03:00:00Z`, { evidence: { expected_at: `${day(d)}T02:30:00Z`, grace_minutes: 15 } }));

    // Act
    const report = buildReport(octoberInput({ findings, config }));

    // Assess
    expect(groupOf(report, 'missed-run', 'nightly-backup').criteria.thresholds.map((t) => `${t.key}=${t.value}@${t.source}`)).toEqual([
      'schedule="30 2 * * *"@jobs.nightly-backup',
      'timezone="UTC"@built-in',
      'grace_minutes=15@as judged',
      'grace_minutes=30@defaults, current',
    ]);
  });

  it('counts, as of a past moment, no finding and no run the store learned after it', () => {
    // Prepare: October's findings and runs, reported as of 10 October 00:00 with the rest of the month already stored.
    const asOf = '2026-10-10T00:00:00Z';
    const input = octoberInput({ clock: { now: () => Date.parse(asOf) } });
    const findingsBefore = input.findings.filter((f) => f.ts <= asOf && f.ts >= '2026-10-01').length;

    // Act
    const report = buildReport(input);

    // Assess
    expect(findingsBefore).toBeLessThan(input.findings.length);
    expect(report.summary.findings.current).toBe(findingsBefore);
    expect(report.findings.flatMap((g) => (g.condition.lastAt ? [g.condition.lastAt] : [])).every((at) => at <= asOf)).toBe(true);
    expect(report.coverage.rows.find((r) => r.name === 'nightly-backup')?.runsInMonth).toBe(9);
  });

  it('lists every monitored subject, with UNKNOWN for too little history and for no data, never as healthy', () => {
    expect(report.coverage.rows.map((r) => [r.kind, r.name, r.status, r.runsInMonth, r.history, r.reason ?? null])).toEqual([
      ['job', 'cache-warmer', 'ok', 10, 400, null],
      ['job', 'etl-loader', 'findings', 31, 61, null],
      ['job', 'monthly-close', 'unknown', 0, null, 'no data: configured, but nothing from it has ever been seen'],
      ['job', 'nightly-backup', 'findings', 31, 61, null],
      ['job', 'report-mailer', 'unknown', 2, 2, 'too little history: 2 of 5 runs, so the baseline checks were not active yet (jobs.report-mailer.min_history sets how many)'],
      ['job', 'weekly-digest', 'unknown', 0, 4, 'no data: nothing from it was seen in October 2026'],
      ['agent', 'support-bot', 'findings', 3, 30, null],
      ['route', 'search-api', 'findings', null, null, null],
      ['guard', 'cost-cap', 'findings', null, null, null],
      ['guard', 'schema-validator', 'findings', null, null, null],
    ]);
    expect(report.coverage.rows.find((r) => r.name === 'etl-loader')).toMatchObject({ failedRuns: 2, owner: 'data-eng@example.com', configured: true, highestSeverity: 'high' });
  });

  it('judges history as it stood at the month’s end, not today', () => {
    // Prepare: report-mailer ran 4 more times in November, which must not lift October's history.
    const input = octoberInput();
    const subjects = input.subjects.map((s) => (s.name === 'report-mailer' ? { ...s, state: { ...(s.state as object), runs: 6 }, runsAfterMonth: 4 } : s));

    // Act
    const row = buildReport({ ...input, subjects }).coverage.rows.find((r) => r.name === 'report-mailer');

    // Assess
    expect(row).toMatchObject({ status: 'unknown', history: 2, minHistory: 5 });
  });

  it.each([
    ['all its starts kept', 14, 14, 0, '14 starts in October 2026'],
    ['3 more starts in November', 17, 17, 3, '14 starts in October 2026'],
    ['older starts dropped from the state', 40, 14, 0, 'at least 14 starts in October 2026'],
  ])('shows a job whose runs log only a start (cron) with its starts, and says that is why it is UNKNOWN: %s', (_, startsSeen, kept, afterMonth, counted) => {
    // Prepare: run-parts starts hourly on 5 and 6 October (and in November), logging no end.
    const october = Array.from({ length: 14 }, (__, i) => Date.parse(`${day(5 + Math.floor(i / 12))}T${String(i % 12).padStart(2, '0')}:01:00Z`));
    const november = Array.from({ length: afterMonth }, (__, i) => Date.parse(`2026-11-01T0${i}:01:00Z`));
    const starts = [...october, ...november].slice(-kept);
    const state = { job: 'run-parts', outputs: [], durations: [], open: [], endsLogged: false, runs: 0, failures: 0, consecutiveFailures: 0, startsSeen, starts, firstSeenAt: starts[0], lastSeenAt: starts.at(-1), lastStartAt: starts.at(-1) };
    const input = octoberInput();

    // Act
    const row = buildReport({ ...input, subjects: [...input.subjects, { kind: 'job', name: 'run-parts', state }] }).coverage.rows.find((r) => r.name === 'run-parts');

    // Assess: its last start on 6 October also makes it silent since then, said before (its own test).
    expect(row).toMatchObject({ status: 'unknown', runsInMonth: 14, history: startsSeen - afterMonth });
    expect(row?.reason?.split('; ').at(-1)).toBe(`only run starts are logged (no ends): ${counted}, so output, duration and failure checks cannot run`);
  });

  it.each([
    ['counted per month', { startMonths: [{ start: Date.parse(day(1)), starts: 4_464 }, { start: Date.parse('2026-11-01T00:00:00Z'), starts: 288 }] }, 4_464, 4_464, '4,464 starts in October 2026'],
    [
      'counted from a state written before, all of October after it began counting',
      { startMonths: [{ start: Date.parse(day(1)), starts: 4_464 }, { start: Date.parse('2026-11-01T00:00:00Z'), starts: 288 }], startMonthsFrom: Date.parse('2026-09-30T23:50:01Z') },
      4_464,
      4_464,
      '4,464 starts in October 2026',
    ],
    ['not counted (a state written before), its kept starts all in November', {}, null, 4_552, 'its starts in October 2026 are not known (its state keeps only its latest starts, all after it)'],
  ] as const)('counts the month’s starts of a job every 10 minutes (cron) that ran on into November, not the 200 it keeps: %s', (_, counts, runsInMonth, history, counted) => {
    // Prepare: sync-assets started every 10 minutes from 1 October to 2 November; its state keeps the latest 200 start times.
    const starts = Array.from({ length: 200 }, (__, i) => Date.parse('2026-11-03T00:00:01Z') - (200 - i) * 600_000);
    const state = { job: 'sync-assets', outputs: [], durations: [], open: [], endsLogged: false, runs: 0, failures: 0, consecutiveFailures: 0, startsSeen: 4_752, starts, firstSeenAt: Date.parse('2026-10-01T00:00:01Z'), lastSeenAt: starts.at(-1), lastStartAt: starts.at(-1), ...counts };
    const input = octoberInput();

    // Act
    const row = buildReport({ ...input, subjects: [...input.subjects, { kind: 'job', name: 'sync-assets', state }] }).coverage.rows.find((r) => r.name === 'sync-assets');

    // Assess
    expect(row).toMatchObject({ status: 'unknown', runsInMonth, history, reason: `only run starts are logged (no ends): ${counted}, so output, duration and failure checks cannot run` });
  });

  it('says a job whose runs log only a start (cron) and that stopped is silent since its last start, not only that its starts are logged', () => {
    // Prepare: report.sh starts daily at 06:00 from 1 to 18 October, then no more.
    const starts = Array.from({ length: 18 }, (__, i) => Date.parse(`${day(1 + i)}T06:00:00Z`));
    const state = { job: 'report.sh', outputs: [], durations: [], open: [], endsLogged: false, runs: 0, failures: 0, consecutiveFailures: 0, startsSeen: 18, starts, firstSeenAt: starts[0], lastSeenAt: starts.at(-1), lastStartAt: starts.at(-1) };
    const input = octoberInput();

    // Act
    const row = buildReport({ ...input, subjects: [...input.subjects, { kind: 'job', name: 'report.sh', state }] }).coverage.rows.find((r) => r.name === 'report.sh');

    // Assess
    expect(row).toMatchObject({
      status: 'unknown',
      runsInMonth: 18,
      reason:
        'silent since 2026-10-18, 13 days (last seen 2026-10-18T06:00:00Z, up to 2026-11-01T00:00:00Z): longer than 3 × its usual gap of 24.0 h (at least 5.0 days), so its lines may have stopped reaching the audit (a subscription filter removed, a log group renamed) or it stopped running; only run starts are logged (no ends): 18 starts in October 2026, so output, duration and failure checks cannot run',
    });
  });

  it('claims no rhythm for a job whose only runs came in one second on 14 hosts (cron.hourly in a central syslog): not a usual gap of 1 s', () => {
    // Prepare: run-parts started on 14 hosts at 12:01:01 and 12:01:02 on 9 October, then nothing.
    const starts = Array.from({ length: 14 }, (__, i) => Date.parse('2026-10-09T12:01:01Z') + (i < 7 ? 0 : 1_000));
    const state = { job: 'run-parts', outputs: [], durations: [], open: [], endsLogged: false, runs: 0, failures: 0, consecutiveFailures: 0, startsSeen: 14, starts, firstSeenAt: starts[0], lastSeenAt: starts.at(-1), lastStartAt: starts.at(-1) };
    const input = octoberInput();

    // Act
    const row = buildReport({ ...input, subjects: [...input.subjects, { kind: 'job', name: 'run-parts', state }] }).coverage.rows.find((r) => r.name === 'run-parts');

    // Assess
    expect(row?.reason).toMatch(/^silent since 2026-10-09, 22 days \(last seen 2026-10-09T12:01:02Z, up to 2026-11-01T00:00:00Z\): longer than 5.0 days \(nothing shows its rhythm\)/);
  });

  it('walks the exception registry: expiry, bypass count and whether each is still needed', () => {
    expect(report.exceptions.available).toBe(true);
    expect(report.exceptions.rows.map((r) => [r.id, r.state, r.expires, r.daysToExpiry, r.bypassCount, r.renewals, r.findingsInMonth])).toEqual([
      ['EX-7', 'expired', '2026-09-30', -32, 3, 0, 1],
      ['EX-20', 'expiring', '2026-11-20', 19, 0, 0, 0],
      ['EX-12', 'active', '2026-12-31', 60, 14, 0, 0],
      ['EX-9', 'active', '2027-03-01', 120, 5, 2, 0],
      ['EX-3', 'revoked', '2026-10-15', -17, 1, 0, 0],
    ]);
    const review = Object.fromEntries(report.exceptions.rows.map((r) => [r.id, r.review]));
    expect(review['EX-7']).toBe(
      'Expired 32 days ago and the guard was still bypassed under it 1 time this month: remove the bypass from the code, or renew it with a reason and an owner.',
    );
    expect(review['EX-20']).toBe('Never used: revoke it unless a bypass is planned.');
    expect(review['EX-12']).toBe('In use (14 bypasses, last 2026-10-28): is it still needed? Confirm with alice@example.com and plan the guard\'s return.');
    expect(review['EX-9']).toMatch(/^No bypass in 78 days: probably no longer needed, revoke it\. Renewed 2 times/);
    expect(review['EX-3']).toBe('Revoked on 2026-10-02 (guard fixed): nothing to decide.');
    // Below it, bypasses with no valid exception: unregistered ones and those under EX-7, expired.
    expect(report.exceptions.unregistered).toEqual([
      { guard: 'cost-cap', count: 2, noException: 2, underLapsedException: 0, lastAt: '2026-10-24T09:00:00Z' },
      { guard: 'schema-validator', count: 1, noException: 0, underLapsedException: 1, lastAt: '2026-10-09T10:00:00Z' },
    ]);
  });

  it('without a registry reviews the config’s seeds and says their counts are unknown', () => {
    // Act
    const review = buildReport(octoberInput({ exceptions: undefined })).exceptions;

    // Assess
    expect(review.available).toBe(false);
    expect(review.note).toMatch(/No exception registry was available/);
    expect(review.rows.map((r) => [r.id, r.guard, r.state, r.bypassCount])).toEqual([['EX-12', 'pii-redaction', 'active', null]]);
    expect(review.rows[0].review).toMatch(/Bypass counts are unknown/);
  });

  it('derives retries per route and agent budgets from their detectors’ findings', () => {
    expect(report.retries.rows).toEqual([
      {
        name: 'search-api',
        owner: 'search@example.com',
        configured: true,
        status: 'findings',
        limits: [
          { key: 'retry_rate_max', value: '0.1', source: 'routes.search-api' },
          { key: 'retry_min_requests', value: '20', source: 'defaults' },
          { key: 'p99_ms', value: '3000', source: 'routes.search-api' },
          { key: 'retry_latency_factor', value: '2', source: 'built-in' },
        ],
        findings: 2,
        byDetector: [
          { detector: 'retry-latency', count: 1 },
          { detector: 'retry-rate', count: 1 },
        ],
        worst: [
          { key: 'requests', value: 240, unit: 'count', of: 'retry-rate' },
          { key: 'retried', value: 41, unit: 'count', of: 'retry-rate' },
          { key: 'rate', value: 0.17, unit: 'ratio', of: 'retry-rate' },
          { key: 'p99_e2e_ms', value: 8200, unit: 'ms', of: 'retry-latency' },
        ],
        runsInMonth: null,
        requests: { total: 1240, retried: 41 },
      },
    ]);
    expect(report.agents.rows.map((r) => [r.name, r.findings, r.runsInMonth, r.worst.map((w) => `${w.of}:${w.key}=${w.value}`)])).toEqual([
      ['support-bot', 2, 3, ['cost-outlier:cost_usd=2.4', 'budget-exceeded:actions=34', 'budget-exceeded:cost_usd=0.9']],
    ]);
  });

  it('shows the figures of one worst run or window together as worst measured, not each field’s largest across them', () => {
    // Prepare: two under-reporting runs (10 of 12 reported; 5 of 47) and two retry-rate windows (the month at 54% of 400
    // requests; one hour at 63% of 30)
    const under = (run_id: string, reported: number, observed: number) =>
      finding('budget-undercount', 'support-bot', '2026-10-05T10:00:00Z', { kind: 'agent', run_id, evidence: { root_run_id: run_id, actions_reported: reported, actions_observed: observed, missed_actions: observed - reported } });
    const rate = (ts: string, requests: number, retried: number) =>
      finding('retry-rate', 'search-api', ts, { kind: 'route', evidence: { requests, retried, rate: Math.round((retried / requests) * 100) / 100 } });
    const findings = [under('sb-1', 10, 12), under('sb-2', 5, 47), rate('2026-11-01T00:00:00Z', 400, 217), rate('2026-10-12T13:00:00Z', 30, 19)];

    // Act
    const built = buildReport(octoberInput({ findings, previousFindings: [] }));

    // Assess: the run that missed most, and the window retried most, each with its own figures
    const worst = (rows: typeof built.agents.rows) => rows.map((r) => [r.name, r.worst.map((w) => `${w.of ? `${w.of}:` : ''}${w.key}=${w.value}`)]);
    expect(worst(built.agents.rows)).toEqual([['support-bot', ['actions_reported=5', 'actions_observed=47', 'missed_actions=42']]]);
    expect(worst(built.retries.rows)).toEqual([['search-api', ['requests=30', 'retried=19', 'rate=0.63']]]);
  });

  it('shows the per-tick budget finding with the worst tick as worst measured, not the run that cost most in all', () => {
    // Prepare: a budget of 10 actions per tick; run X's tick of 100 actions ($0.10, its whole cost), run Y's tick of 12
    // ($1.20; $4.20 in all); and a budget of $1 per tick: run P's tick at $3 ($3.50 in all), run Q's at $1.50 ($9 in all)
    const tick = (subject: string, run_id: string, limit: string, tick_actions: number, tick_cost_usd: number, cost_usd: number) =>
      finding('budget-exceeded', subject, '2026-10-05T10:00:00Z', { kind: 'agent', run_id, evidence: { root_run_id: run_id, limits: [limit], ...(limit === 'actions' ? { max_actions: 10 } : { max_cost_usd: 1 }), tick: 1, tick_actions, tick_cost_usd, cost_usd } });
    const findings = [tick('tb', 'X', 'actions', 100, 0.1, 0.1), tick('tb', 'Y', 'actions', 12, 1.2, 4.2), tick('tc', 'P', 'cost', 5, 3, 3.5), tick('tc', 'Q', 'cost', 8, 1.5, 9)];

    // Act
    const built = buildReport(octoberInput({ findings, previousFindings: [] }));

    // Assess: the tick over the limit crossed by most, with its own run's figures
    const worst = Object.fromEntries(built.agents.rows.map((r) => [r.name, Object.fromEntries(r.worst.map((w) => [w.key, w.value]))]));
    expect(worst.tb).toMatchObject({ tick_actions: 100, cost_usd: 0.1 });
    expect(worst.tc).toMatchObject({ tick_cost_usd: 3, cost_usd: 3.5 });
  });

  it('shows the budget finding furthest over its limit as worst measured, whichever order the findings come in', () => {
    // Prepare: a budget of 10 actions and $1 per tick; run X's tick crossed only the cost ($5, 3 actions), run Y's only
    // the actions (12, $0.10); and a task budget of 10 actions, run T used 40 ($0.50), beside a tick run Z at 12 actions ($2)
    const budget = (subject: string, run_id: string, limits: string[], figures: Record<string, number>) =>
      finding('budget-exceeded', subject, '2026-10-05T10:00:00Z', { kind: 'agent', run_id, evidence: { root_run_id: run_id, limits, max_actions: 10, max_cost_usd: 1, ...figures } });
    const x = budget('ta', 'X', ['cost'], { tick: 1, tick_actions: 3, tick_cost_usd: 5, cost_usd: 5 });
    const y = budget('ta', 'Y', ['actions'], { tick: 1, tick_actions: 12, tick_cost_usd: 0.1, cost_usd: 0.1 });
    const t = budget('tt', 'T', ['actions'], { actions: 40, cost_usd: 0.5 });
    const z = budget('tt', 'Z', ['actions', 'cost'], { tick: 1, tick_actions: 12, tick_cost_usd: 2, cost_usd: 2 });

    // Act
    const worstOf = (findings: Finding[]) => {
      const built = buildReport(octoberInput({ findings, previousFindings: [] }));
      return Object.fromEntries(built.agents.rows.map((r) => [r.name, Object.fromEntries(r.worst.map((w) => [w.key, w.value]))]));
    };
    const [forward, backward] = [worstOf([x, y, t, z]), worstOf([z, t, y, x])];

    // Assess: X's $5 tick is 5 times its limit, Y's 12 actions 1.2 times; T's 40 actions 4 times, Z's $2 twice
    expect(forward).toEqual(backward);
    expect(forward.ta).toMatchObject({ tick_actions: 3, tick_cost_usd: 5 });
    expect(forward.tt).toMatchObject({ actions: 40, cost_usd: 0.5 });
  });

  it('says plainly when no route or agent is monitored', () => {
    // Prepare
    const config = { ...CONFIG, agents: {}, routes: {} };
    const input = octoberInput({ config, findings: octoberInput().findings.filter((f) => f.subject_kind !== 'agent' && f.subject_kind !== 'route'), subjects: octoberInput().subjects.filter((s) => s.kind === 'job') });

    // Act
    const r = buildReport(input);

    // Assess
    expect(r.retries).toEqual({ rows: [], empty: 'No routes monitored: no route is configured and no attempt lines were seen.' });
    expect(r.agents).toEqual({ rows: [], empty: 'No agents monitored: no agent is configured and no agent runs were seen.' });
  });

  it('charts findings per day, per detector and per subject', () => {
    expect(report.charts.perDay).toHaveLength(31);
    expect(report.charts.perDay.find((d) => d.date === '2026-10-12')).toEqual({ date: '2026-10-12', total: 2, bySeverity: { critical: 0, high: 0, medium: 2, low: 0 } });
    expect(report.charts.perDay.find((d) => d.date === '2026-10-17')?.total).toBe(2);
    expect(report.charts.perDetector[0]).toEqual({ label: 'output-shrink', count: 18 });
    expect(report.charts.perSubject.slice(0, 2)).toEqual([
      { label: 'nightly-backup', count: 18 },
      { label: 'cost-cap', count: 2 },
    ]);
  });

  it('keeps an appendix of the thresholds used, marking the built-in ones', () => {
    // The config sets min_history (to the built-in 5) and no baseline_window.
    expect(report.thresholds.defaults.find((d) => d.key === 'min_history')).toEqual({ key: 'min_history', value: '5', builtIn: false });
    expect(report.thresholds.defaults.find((d) => d.key === 'baseline_window')).toEqual({ key: 'baseline_window', value: '20', builtIn: true });
    expect(report.thresholds.overrides).toContainEqual({ key: 'expect_pattern', value: '"uploaded \\\\d+ objects"', source: 'jobs.nightly-backup' });
    expect(report.thresholds.dueDays).toEqual({ critical: 3, high: 7, medium: 14, low: 30 });
    expect(report.thresholds.rules.map((r) => r.detector)).toContain('output-shrink');
  });

  it('states in the Criteria rule and the appendix’s rules the thresholds the findings were judged by, not the built-in ones', () => {
    // Prepare: a config with duration_slow_factor 2, output_shrink_ratio 0.2 and min_history 8; a slow and a shrunk run.
    const config = validateConfig({ ...RAW_CONFIG, defaults: { min_history: 8, output_shrink_ratio: 0.2, duration_slow_factor: 2 } }, 'report test config');
    const slow = finding('duration-slow', 'etl-loader', `${day(12)}T03:00:00Z`, { evidence: { factor: 2 } });
    const shrunk = finding('output-shrink', 'etl-loader', `${day(14)}T03:00:00Z`, { evidence: { ratio: 0.2 } });

    // Act
    const judged = buildReport(octoberInput({ findings: [slow, shrunk], previousFindings: [], config }));

    // Assess
    const slowRule = groupOf(judged, 'duration-slow', 'etl-loader').criteria.rule;
    const shrinkRule = groupOf(judged, 'output-shrink', 'etl-loader').criteria.rule;
    expect(slowRule).toContain('took more than 2× (`duration_slow_factor`, at least 1.5×)');
    expect(slowRule).toContain('once at least `min_history` (8) runs are known');
    expect(shrinkRule).toContain('its output is below 20% (`output_shrink_ratio`, capped at 50%)');
    expect(judged.thresholds.rules).toEqual([
      { detector: 'duration-slow', criteria: slowRule },
      { detector: 'output-shrink', criteria: shrinkRule },
    ]);
    expect(groupOf(report, 'output-shrink', 'nightly-backup').criteria.rule).toContain('below 30% (`output_shrink_ratio`');
  });

  it('states in the rule only the values the findings were judged by, not the config’s current one that judged none', () => {
    // Prepare: every finding judged at factor 2 (its evidence); the config says 3 today (the default).
    const config = validateConfig({ ...RAW_CONFIG }, 'report test config');
    const slow = finding('duration-slow', 'etl-loader', `${day(12)}T03:00:00Z`, { evidence: { factor: 2 } });

    // Act
    const judged = buildReport(octoberInput({ findings: [slow], previousFindings: [], config }));

    // Assess: the Thresholds used still name the current value; the rule says what judged.
    const group = groupOf(judged, 'duration-slow', 'etl-loader');
    expect(group.criteria.thresholds).toContainEqual({ key: 'duration_slow_factor', value: '3', source: 'defaults, current' });
    expect(group.criteria.rule).toContain('took more than 2× (`duration_slow_factor`');
    expect(judged.thresholds.rules.find((r) => r.detector === 'duration-slow')?.criteria).toContain('took more than 2× (`duration_slow_factor`');
  });
});

describe('statuses carried over two months', () => {
  const august = [finding('run-failed', 'etl-loader', '2026-08-11T06:04:00Z', { run_id: 'etl-08-11', evidence: { exit_code: 1 } })];
  const september = octoberInput().previousFindings;

  it('carries open-since and due dates from last month’s report and marks a passed due date overdue', () => {
    // Prepare: September's report, run on 1 October.
    const septemberReport = buildReport(
      octoberInput({ month: '2026-09', findings: september, previousFindings: august, runs: [], clock: { now: () => Date.parse('2026-10-01T06:00:00Z') } }),
    );
    expect(septemberReport.findings.map((g) => [g.detector, g.subject, g.status, g.openSince, g.correctiveAction.due])).toEqual([
      ['run-failed', 'etl-loader', 'recurring', '2026-08', '2026-10-08'],
      ['empty-output', 'etl-loader', 'new', '2026-09', '2026-10-08'],
      ['error-keyword', 'weekly-digest', 'new', '2026-09', '2026-10-15'],
    ]);

    // Act: October's report with September's carried over.
    const october = buildReport(octoberInput({ carried: carriedGroups(septemberReport) }));

    // Assess
    const failed = groupOf(october, 'run-failed', 'etl-loader');
    expect([failed.status, failed.openSince, failed.correctiveAction.due, failed.correctiveAction.overdue]).toEqual(['recurring', '2026-08', '2026-10-08', true]);
    expect(october.summary.highlights[0]).toBe('HIGH run-failed on etl-loader: 2 findings from 2026-10-03 to 2026-10-17 (recurring, overdue)');
    const shrink = groupOf(october, 'output-shrink', 'nightly-backup');
    expect([shrink.status, shrink.openSince, shrink.correctiveAction.due, shrink.correctiveAction.overdue]).toEqual(['new', '2026-10', '2026-11-08', false]);
    expect(groupOf(october, 'empty-output', 'etl-loader')).toMatchObject({ status: 'resolved', openSince: '2026-09' });
  });

  it('keeps a group unverified while its subject sends nothing, and resolves it once the subject runs clean', () => {
    // Prepare
    const octoberReport = buildReport(octoberInput());
    const november = (runs: ReturnType<typeof runRecord>[]) =>
      buildReport(
        octoberInput({
          month: '2026-11',
          findings: [],
          previousFindings: octoberInput().findings,
          runs,
          carried: carriedGroups(octoberReport),
          clock: { now: () => Date.parse('2026-12-01T06:00:00Z') },
        }),
      );

    // Act
    const silent = november([]);
    const ranClean = november([runRecord('weekly-digest', 'wd-11-02', '2026-11-02T08:02:00Z')]);

    // Assess
    expect(groupOf(silent, 'error-keyword', 'weekly-digest')).toMatchObject({ status: 'unverified', openSince: '2026-09' });
    expect(groupOf(ranClean, 'error-keyword', 'weekly-digest')).toMatchObject({ status: 'resolved', openSince: '2026-09' });
    expect(groupOf(silent, 'output-shrink', 'nightly-backup').status).toBe('unverified');
  });

  it('keeps last month’s group unverified, not resolved, when its job did not run at all this month and only missed its runs', () => {
    // Prepare: nightly-backup's October output-shrink; in November every run of it was missed, none ran.
    const missed = [1, 2, 3].map((d) => finding('missed-run', 'nightly-backup', `${day(d, '2026-11')}T02:16:00Z`));
    const november = buildReport(
      octoberInput({ month: '2026-11', findings: missed, previousFindings: octoberInput().findings, runs: [], clock: { now: () => Date.parse('2026-12-01T06:00:00Z') } }),
    );

    // Act
    const group = groupOf(november, 'output-shrink', 'nightly-backup');

    // Assess
    expect(group.status).toBe('unverified');
    expect(group.cause.narrowed).toEqual(['No finding in November 2026, but nightly-backup did not run in it: no run could show the fix.']);
    expect(group.correctiveAction.action).toBe('Find out why nightly-backup did not run in November 2026 before calling this fixed.');
  });

  it('names the owner last month’s report gave a subject taken out of the config, and never asks to configure its owner', () => {
    // Prepare: October's report names etl-loader's owner; by November etl-loader is out of the config and sends nothing.
    const octoberReport = buildReport(octoberInput());
    const { 'etl-loader': _removed, ...jobs } = RAW_CONFIG.jobs;
    const november = (carried: ReturnType<typeof carriedGroups> | undefined) =>
      buildReport(
        octoberInput({
          month: '2026-11',
          findings: [],
          previousFindings: octoberInput().findings,
          runs: [],
          config: validateConfig({ ...RAW_CONFIG, jobs }, 'november config'),
          carried,
          clock: { now: () => Date.parse('2026-12-01T06:00:00Z') },
        }),
      );

    // Act: with October's report read back from its JSON, and with no report of October at hand
    const withReport = november(carriedFromJson(JSON.stringify(octoberReport), '2026-10').carried);
    const withoutReport = november(undefined);

    // Assess
    expect(groupOf(withReport, 'run-failed', 'etl-loader').correctiveAction).toMatchObject({ status: 'unverified', owner: 'data-eng@example.com', inConfig: false });
    expect(renderMarkdown(withReport)).toContain('Owner: data-eng@example.com (as of the October 2026 report; etl-loader is no longer in the config).');
    expect(groupOf(withoutReport, 'run-failed', 'etl-loader').correctiveAction.owner).toBeUndefined();
    expect(renderMarkdown(withoutReport)).toContain('Owner: _unassigned: etl-loader is not in the config_.');
    expect(renderHtml(withoutReport)).toContain('<li>Owner: <strong>unassigned</strong> (etl-loader is not in the config)</li>');
    for (const text of [renderMarkdown(withReport), renderMarkdown(withoutReport), renderHtml(withReport), renderHtml(withoutReport)]) expect(text).not.toContain('jobs.etl-loader.owner');
  });

  it('shows a config owner holding a secret redacted, as a log line is, in coverage rows and corrective actions of Markdown, HTML and JSON', () => {
    // Prepare: nightly-backup's owner names a Slack webhook, etl-loader's a GitHub token (the built-in rules redact both in a log line).
    const webhook = 'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx';
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    const jobs = { ...RAW_CONFIG.jobs, 'nightly-backup': { ...RAW_CONFIG.jobs['nightly-backup'], owner: `team01 alerts ${webhook}` }, 'etl-loader': { owner: `team08 (pager token=${token})` } };
    const config = validateConfig({ ...RAW_CONFIG, jobs }, 'secret owner config');

    // Act
    const report = buildReport(octoberInput({ config }));

    // Assess
    const owners = [report.coverage.rows.find((r) => r.name === 'nightly-backup')?.owner, groupOf(report, 'run-failed', 'etl-loader').correctiveAction.owner];
    expect(owners).toEqual(['team01 alerts https://hooks.slack.com/services/[REDACTED:slack-webhook]', 'team08 (pager token=[REDACTED:github-token])']);
    for (const text of [renderMarkdown(report), renderHtml(report), renderJson(report)]) {
      expect(text).not.toContain('hooks.slack.com/services/T0AAAAAAA');
      expect(text).not.toContain(token);
      expect(text).toContain('REDACTED:slack-webhook');
    }
  });

  it('keeps the owner last month’s report gave a subject taken out of the config that fails again', () => {
    // Prepare: October's report names etl-loader's owner; by November etl-loader is out of the config and fails again.
    const octoberReport = buildReport(octoberInput());
    const { 'etl-loader': _removed, ...jobs } = RAW_CONFIG.jobs;
    const failedAgain = finding('run-failed', 'etl-loader', '2026-11-04T06:04:00Z', { run_id: 'etl-11-04', evidence: { exit_code: 1 } });

    // Act
    const november = buildReport(
      octoberInput({
        month: '2026-11',
        findings: [failedAgain],
        previousFindings: octoberInput().findings,
        runs: [runRecord('etl-loader', 'etl-11-04', '2026-11-04T06:04:00Z', 'failed')],
        config: validateConfig({ ...RAW_CONFIG, jobs }, 'november config'),
        carried: carriedFromJson(JSON.stringify(octoberReport), '2026-10').carried,
        clock: { now: () => Date.parse('2026-12-01T06:00:00Z') },
      }),
    );

    // Assess
    expect(groupOf(november, 'run-failed', 'etl-loader').correctiveAction).toMatchObject({ status: 'recurring', owner: 'data-eng@example.com', inConfig: false });
    expect(renderMarkdown(november)).toContain('Owner: data-eng@example.com (as of the October 2026 report; etl-loader is no longer in the config).');
    expect(renderMarkdown(november)).not.toContain('jobs.etl-loader.owner');
  });

  it('closes a group of a job taken out of the config as no longer monitored, and leaves a job never configured judged as before', () => {
    // Prepare: legacy (configured hourly, judged for missed runs) missed its runs on 1-5 October, then left the config;
    // adhoc (never configured, learned from its logs) failed on 5 October; the report is made on 20 October.
    const missed = [1, 2, 3, 4, 5].map((d) => finding('missed-run', 'legacy', `${day(d)}T10:30:00Z`));
    const adhoc = finding('run-failed', 'adhoc', '2026-10-05T04:00:00Z', { run_id: 'ad-10-05', evidence: { exit_code: 1 } });
    const legacyState = { ...fixtureJobState('legacy', 20, '2026-09-01T10:30:00Z', '2026-09-30T10:30:00Z'), absenceCheckedUntil: Date.parse('2026-10-05T10:30:00Z'), absenceSchedule: 'none' };
    const adhocState = { ...fixtureJobState('adhoc', 3, '2026-10-01T04:00:00Z', '2026-10-05T04:00:00Z'), absenceSchedule: 'none' };
    const input = octoberInput({
      findings: [...missed, adhoc],
      previousFindings: [],
      runs: [runRecord('legacy', 'lg-10-01', '2026-10-01T09:30:00Z'), runRecord('adhoc', 'ad-10-05', '2026-10-05T04:00:00Z', 'failed')],
      subjects: [...octoberSubjects(), { kind: 'job', name: 'legacy', state: legacyState }, { kind: 'job', name: 'adhoc', state: adhocState }],
      clock: { now: () => Date.parse('2026-10-20T00:00:00Z') },
    });

    // Act
    const report = buildReport(input);

    // Assess
    const legacy = groupOf(report, 'missed-run', 'legacy');
    expect(legacy.status).toBe('retired');
    expect(legacy.correctiveAction).toMatchObject({ status: 'retired', inConfig: false });
    expect(legacy.consequence.persisted?.ongoing).toBe(false);
    expect(legacy.consequence.notes.join(' ')).toMatch(/legacy was removed from the config: no longer monitored/);
    const markdown = renderMarkdown(report);
    const card = markdown.slice(markdown.indexOf('`missed-run` on legacy'));
    expect(card.slice(0, card.indexOf('\n### '))).not.toMatch(/still happening|had not recovered|jobs\.legacy\.owner/);
    expect(renderHtml(report)).not.toContain('jobs.legacy.owner');
    expect(groupOf(report, 'run-failed', 'adhoc')).toMatchObject({ status: 'new', consequence: { persisted: { ongoing: true } } });
  });

  it('keeps open a job taken out of the config that is still seen failing, and closes one with nothing seen after it left, scheduled or not', () => {
    // Prepare: legacy (configured daily, owner-less) fails every day 1-9 October, taken out of the config on the 5th and still
    // logging failed runs to the 9th; gone (configured with an owner, no schedule) fails 1-4 October, then left the config and
    // sent nothing more. The reducer's states, read under each config as the scans read them.
    const run = (job: string, d: number) => [
      ev(`${day(d)}T03:30:05Z`, { type: 'run.start', job, run_id: `${job}-${d}` }),
      ev(`${day(d)}T03:32:05Z`, { type: 'run.end', job, run_id: `${job}-${d}`, exit_code: 1 }),
    ];
    const before = validateConfig({ ...RAW_CONFIG, jobs: { ...RAW_CONFIG.jobs, legacy: { schedule: '30 3 * * *' }, gone: { owner: 'team-a' } } }, 'before');
    const read = (job: string, config: Config, from: number, to: number, state: JobState = initialJobState(job)) =>
      jobReducer.apply(state, job, Array.from({ length: to - from + 1 }, (_, k) => run(job, from + k)).flat(), { config, clock: { now: () => Date.parse(`${day(to)}T23:59:00Z`) } }).state;
    const legacyState = read('legacy', CONFIG, 5, 9, judgeAbsence(read('legacy', before, 1, 4), 'legacy', { config: before, clock: { now: () => Date.parse(`${day(4)}T23:59:00Z`) } }).state);
    const goneState = read('gone', before, 1, 4);
    const failed = (job: string, d: number) => finding('run-failed', job, `${day(d)}T03:32:05Z`, { run_id: `${job}-${d}`, evidence: { exit_code: 1 } });
    const input = octoberInput({
      findings: [...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => failed('legacy', d)), ...[1, 2, 3, 4].map((d) => failed('gone', d))],
      previousFindings: [],
      runs: [...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => runRecord('legacy', `legacy-${d}`, `${day(d)}T03:32:05Z`, 'failed')), ...[1, 2, 3, 4].map((d) => runRecord('gone', `gone-${d}`, `${day(d)}T03:32:05Z`, 'failed'))],
      subjects: [...octoberSubjects(), { kind: 'job', name: 'legacy', state: legacyState }, { kind: 'job', name: 'gone', state: goneState }],
      clock: { now: () => Date.parse('2026-10-10T00:00:00Z') },
    });

    // Act
    const report = buildReport(input);

    // Assess: legacy is still seen failing, so still happening; gone is no longer monitored, its cause not read as a recovery
    expect(groupOf(report, 'run-failed', 'legacy')).toMatchObject({ status: 'new', consequence: { persisted: { ongoing: true } } });
    const gone = groupOf(report, 'run-failed', 'gone');
    expect(gone).toMatchObject({ status: 'retired', correctiveAction: { owner: undefined, inConfig: false } });
    expect(gone.cause.narrowed.join(' ')).not.toMatch(/normal again|had not recovered/);
    expect(gone.cause.narrowed.join(' ')).toMatch(/Whether it recovered after 2026-10-04 is not known: it is no longer monitored/);
    const markdown = renderMarkdown(report);
    const card = markdown.slice(markdown.indexOf('`run-failed` on gone'));
    const goneCard = card.slice(0, card.indexOf('\n### '));
    expect(goneCard.match(/removed from the config/g)).toHaveLength(1);
    expect(goneCard).not.toMatch(/Due:|still happening|jobs\.gone\.owner/);
  });

  it('keeps a group closed as no longer monitored closed the month after, while its job stays unseen', () => {
    // Prepare: October's report closed legacy's missed runs as no longer monitored; nothing of legacy in November
    const missed = [1, 2, 3].map((d) => finding('missed-run', 'legacy', `${day(d)}T10:30:00Z`));
    const legacyState = { ...fixtureJobState('legacy', 20, '2026-09-01T10:30:00Z', '2026-09-30T10:30:00Z'), absenceCheckedUntil: Date.parse('2026-10-03T10:30:00Z'), absenceSchedule: 'none' };
    const input = octoberInput({
      month: '2026-11',
      findings: [],
      previousFindings: missed,
      runs: [],
      subjects: [...octoberSubjects(), { kind: 'job', name: 'legacy', state: legacyState }],
      carried: [{ detector: 'missed-run', subject: 'legacy', status: 'retired', openSince: '2026-10' }],
      clock: { now: () => Date.parse('2026-12-01T00:10:00Z') },
    });

    // Act
    const report = buildReport(input);

    // Assess
    const legacy = groupOf(report, 'missed-run', 'legacy');
    expect(legacy.status).toBe('retired');
    expect(legacy.cause.narrowed.join(' ')).toMatch(/no longer monitored/);
    expect(report.summary.groups).toMatchObject({ unverified: 0, retired: 1 });
    expect(renderMarkdown(report)).toContain('- Groups: 0 new, 0 recurring, 0 resolved, 1 no longer monitored.');
    expect(renderHtml(report)).toContain('0 new · 0 recurring · 0 resolved · 1 no longer monitored');
  });

  it('calls a group recurring when it was open in last month’s report though last month’s findings are gone', () => {
    // Act
    const report = buildReport(
      octoberInput({ previousFindings: [], carried: [{ detector: 'output-shrink', subject: 'nightly-backup', status: 'new', openSince: '2026-09', due: '2026-10-08' }] }),
    );

    // Assess
    expect(groupOf(report, 'output-shrink', 'nightly-backup')).toMatchObject({ status: 'recurring', openSince: '2026-09', correctiveAction: { due: '2026-10-08', overdue: true } });
  });

  it('starts a group resolved in last month’s report over when it comes back: new, open since this month, a new due date', () => {
    // Prepare: October's report resolves September's empty-output on etl-loader; it fails again in November.
    const octoberReport = buildReport(octoberInput());
    expect(groupOf(octoberReport, 'empty-output', 'etl-loader')).toMatchObject({ status: 'resolved', openSince: '2026-09' });
    const november = octoberInput({
      month: '2026-11',
      findings: [finding('empty-output', 'etl-loader', '2026-11-10T06:04:00Z', { run_id: 'etl-11-10' })],
      previousFindings: octoberInput().findings,
      runs: [runRecord('etl-loader', 'etl-11-10', '2026-11-10T06:04:00Z')],
      carried: carriedGroups(octoberReport),
      clock: { now: () => Date.parse('2026-12-01T06:00:00Z') },
    });

    // Act
    const report = buildReport(november);

    // Assess
    const back = groupOf(report, 'empty-output', 'etl-loader');
    expect([back.status, back.openSince, back.correctiveAction.due, back.correctiveAction.overdue]).toEqual(['new', '2026-11', '2026-12-08', false]);
  });
});

describe('statuses carried over from the stored findings when last month’s report cannot be read', () => {
  const config = validateConfig({
    jobs: {
      unv: { schedule: '0 3 * * *', owner: 'a@example.com' },
      hourly: { schedule: '0 * * * *', grace_minutes: 15, owner: 'a@example.com' },
    },
  });

  /** A store of `findings` and `runs`, and November's report made with October's JSON (each month's before it) and without it. */
  async function november(findings: Finding[], runs: RunRecord[]) {
    const store = { query: async (q: { from: string; to: string }) => findings.filter((f) => f.ts >= q.from && f.ts < q.to), pendingAlerts: async () => [] };
    const runStore = { runs: async (key: string, from: string, to: string) => runs.filter((r) => `${r.subject_kind}#${r.subject}` === key && r.ts >= from && r.ts < to) };
    const catalog = { subjects: async () => [] };
    const archive = new Map<string, string>();
    const sources = (month: string) => ({ findings: store, runs: runStore, catalog, config, clock: { now: () => scheduledReportTime(month) } }) as unknown as Parameters<typeof createMonthlyReport>[1];
    for (const month of ['2026-08', '2026-09', '2026-10']) {
      const { documents } = await createMonthlyReport(month, { ...sources(month), archive: { read: async (m, format) => (format === 'json' ? archive.get(m) : undefined) } });
      archive.set(month, documents.find((d) => d.format === 'json')!.body);
    }
    const withJson = await createMonthlyReport('2026-11', { ...sources('2026-11'), archive: { read: async (m, format) => (format === 'json' ? archive.get(m) : undefined) } });
    const without = await createMonthlyReport('2026-11', sources('2026-11'));
    const view = (r: typeof without.report, detector: string, subject: string) => {
      const g = r.findings.find((x) => x.detector === detector && x.subject === subject);
      return g && [g.status, g.openSince, g.correctiveAction.due, g.correctiveAction.overdue];
    };
    return { withJson: (d: string, s: string) => view(withJson.report, d, s), without: (d: string, s: string) => view(without.report, d, s) };
  }

  /** unv's daily runs from 1 August to 30 November, but on the days `skip` says, failed on `failedOn`; a run-failed finding for each failure. */
  function dailyRuns(failedOn: string[], skip: (d: string) => boolean) {
    const runs: RunRecord[] = [];
    const findings: Finding[] = [];
    for (let t = Date.parse('2026-08-01T03:00:00Z'); t < Date.parse('2026-12-01T00:00:00Z'); t += 86_400_000) {
      const d = new Date(t).toISOString().slice(0, 10);
      if (skip(d)) continue;
      const failed = failedOn.includes(d);
      runs.push({ ...runRecord('unv', `unv-${d}`, `${d}T03:01:00Z`, failed ? 'failed' : 'ok'), exit_code: failed ? 1 : 0 });
      if (failed) findings.push(finding('run-failed', 'unv', `${d}T03:01:00Z`, { run_id: `unv-${d}`, evidence: { exit_code: 1 } }));
    }
    return { runs, findings };
  }

  it('reads last month’s findings as its report did: a missed-run a late run answered is no open group', async () => {
    // Prepare: hourly ran on 5 October 06:00 to 12:00 and on 10 November but at 10:00; 5 October's 10:00 run arrived late (its missed-run stored, then answered).
    const runs: RunRecord[] = [];
    for (const d of ['2026-10-05', '2026-11-10']) {
      for (const h of [6, 7, 8, 9, 10, 11, 12]) {
        if (d === '2026-11-10' && h === 10) continue;
        const hh = String(h).padStart(2, '0');
        runs.push(runRecord('hourly', `h-${d}-${hh}`, `${d}T${hh}:01:05Z`));
      }
    }
    const missed = (d: string): Finding => ({ ...finding('missed-run', 'hourly', `${d}T10:15:00Z`, { evidence: { schedule: '0 * * * *', timezone: 'UTC', grace_minutes: 15 } }), expected_at: `${d}T10:00:00Z` });

    // Act
    const { withJson, without } = await november([missed('2026-10-05'), missed('2026-11-10')], runs);

    // Assess
    expect(withJson('missed-run', 'hourly')).toEqual(['new', '2026-11', '2026-12-08', false]);
    expect(without('missed-run', 'hourly')).toEqual(withJson('missed-run', 'hourly'));
  });

  it('keeps a group open across a month its job did not run in, as that month’s report held it unverified', async () => {
    // Prepare: unv failed on 10 September, did not run in October, failed again on 10 November; another time, ran neither in October nor November.
    const back = dailyRuns(['2026-09-10', '2026-11-10'], (d) => d.startsWith('2026-10'));
    const gone = dailyRuns(['2026-09-10'], (d) => d >= '2026-10');

    // Act
    const cameBack = await november(back.findings, back.runs);
    const stayedAway = await november(gone.findings, gone.runs);

    // Assess
    expect(cameBack.withJson('run-failed', 'unv')).toEqual(['recurring', '2026-09', '2026-12-08', false]);
    expect(cameBack.without('run-failed', 'unv')).toEqual(cameBack.withJson('run-failed', 'unv'));
    expect(stayedAway.withJson('run-failed', 'unv')?.slice(0, 2)).toEqual(['unverified', '2026-09']);
    expect(stayedAway.without('run-failed', 'unv')).toEqual(stayedAway.withJson('run-failed', 'unv'));
  });

  it('reads earlier months only while a group may have opened in them, and asks only whether a subject ran, several subjects at once', async () => {
    // Prepare: 40 jobs (their states stored) ran daily from August to November; j0 failed on 10 October, j1 on 10 September (it ran in October: closed).
    const fleetConfig = validateConfig({ jobs: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`j${i}`, { schedule: '0 3 * * *' }])) });
    const runs: RunRecord[] = [];
    for (let i = 0; i < 40; i++) {
      for (let t = Date.parse('2026-08-01T03:00:00Z'); t < Date.parse('2026-12-01T00:00:00Z'); t += 86_400_000) runs.push(runRecord(`j${i}`, `j${i}-${t}`, new Date(t + 60_000).toISOString().replace('.000', '')));
    }
    const findings = [
      finding('run-failed', 'j0', '2026-10-10T03:01:00Z', { run_id: 'j0-f', evidence: { exit_code: 1 } }),
      finding('run-failed', 'j1', '2026-09-10T03:01:00Z', { run_id: 'j1-f', evidence: { exit_code: 1 } }),
    ];
    const findingReads: string[] = [];
    const runReads: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const store = { query: async (q: { from: string; to: string }) => (findingReads.push(q.from), findings.filter((f) => f.ts >= q.from && f.ts < q.to)), pendingAlerts: async () => [] };
    const ofSubject = (key: string, from: string, to: string) => runs.filter((r) => `${r.subject_kind}#${r.subject}` === key && r.ts >= from && r.ts < to);
    const runStore = {
      runs: async (key: string, from: string, to: string) => (runReads.push(from), ofSubject(key, from, to)),
      hasRuns: async (key: string, from: string, to: string) => {
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        return ofSubject(key, from, to).length > 0;
      },
    };
    const catalog = { subjects: async (kind: string) => (kind === 'job' ? Object.keys(fleetConfig.jobs).map((name) => ({ key: `job#${name}`, state: {} })) : []) };
    const sources = { findings: store, runs: runStore, catalog, config: fleetConfig, clock: { now: () => scheduledReportTime('2026-11') } } as unknown as Parameters<typeof createMonthlyReport>[1];

    // Act
    const { report } = await createMonthlyReport('2026-11', sources);

    // Assess: November's, October's, September's (j0 may have been open since) and those after November; no month's run records read to tell whether it ran.
    const j0 = report.findings.find((g) => g.subject === 'j0')!;
    expect([j0.status, j0.openSince]).toEqual(['resolved', '2026-10']);
    expect(report.findings.some((g) => g.subject === 'j1')).toBe(false);
    expect(findingReads.filter((from) => from < '2026-10').sort()).toEqual(['2026-09-01T00:00:00Z']);
    expect(runReads.filter((from) => from < '2026-11')).toEqual([]);
    expect(mostInFlight).toBeGreaterThan(1);
  });

  it('reads every month back when the catalog holds no state: a subject neither stored nor configured, silent since its finding, keeps its group', async () => {
    // Prepare: old-sync (not configured) failed on 5 May and has not run since; nightly ran in October and November; an empty catalog
    const runs = [runRecord('old-sync', 'o1', '2026-05-05T03:01:00Z', 'failed'), runRecord('nightly', 'n1', '2026-10-05T03:01:00Z'), runRecord('nightly', 'n2', '2026-11-05T03:01:00Z')];
    const findings = [finding('run-failed', 'old-sync', '2026-05-05T03:02:00Z', { run_id: 'o1', evidence: { exit_code: 1 } })];
    const findingReads: string[] = [];
    const store = { query: async (q: { from: string; to: string }) => (findingReads.push(q.from), findings.filter((f) => f.ts >= q.from && f.ts < q.to)), pendingAlerts: async () => [] };
    const ofSubject = (key: string, from: string, to: string) => runs.filter((r) => `${r.subject_kind}#${r.subject}` === key && r.ts >= from && r.ts < to);
    const runStore = { runs: async (key: string, from: string, to: string) => ofSubject(key, from, to), hasRuns: async (key: string, from: string, to: string) => ofSubject(key, from, to).length > 0 };
    const nightly = validateConfig({ jobs: { nightly: { schedule: '0 3 * * *' } } });
    const sources = { findings: store, runs: runStore, catalog: { subjects: async () => [] }, config: nightly, clock: { now: () => scheduledReportTime('2026-11') } } as unknown as Parameters<typeof createMonthlyReport>[1];

    // Act
    const { report } = await createMonthlyReport('2026-11', sources);

    // Assess: May's group is read and carried, open since May; every month back to October 2025 was read
    expect(report.findings.find((g) => g.subject === 'old-sync')?.openSince).toBe('2026-05');
    expect(findingReads.filter((from) => from < '2026-10').sort()[0]).toBe('2025-10-01T00:00:00Z');
  });
});

describe('runs affected of the month’s runs', () => {
  it('counts runs that never ended, and so wrote no run record, among the month’s runs: never more than 100%', () => {
    // Prepare: 11 runs of hanger started in October; 3 ended, 8 hung and were reported run-unfinished.
    const ended = [1, 2, 3].map((d) => runRecord('hanger', `h-${d}`, `${day(d)}T01:00:00Z`));
    const hung = Array.from({ length: 8 }, (_, i) => finding('run-unfinished', 'hanger', `${day(i + 5)}T03:00:00Z`, { run_id: `h-${i + 5}` }));
    const input = octoberInput({ findings: hung, previousFindings: [], runs: ended });

    // Act
    const g = groupOf(buildReport(input), 'run-unfinished', 'hanger');

    // Assess
    expect([g.consequence.runsAffected, g.consequence.runsInMonth]).toEqual([8, 11]);
    expect(g.consequence.notes[0]).toBe('8 runs affected of 11 in October 2026 (73%).');
  });

  it('counts a job’s run that never ended in its Coverage row as its finding does: one rule for both', () => {
    // Prepare: 11 runs of hanger started in October; 3 ended, 8 hung and were reported run-unfinished.
    const ended = [1, 2, 3].map((d) => runRecord('hanger', `h-${d}`, `${day(d)}T01:00:00Z`));
    const hung = Array.from({ length: 8 }, (_, i) => finding('run-unfinished', 'hanger', `${day(i + 5)}T03:00:00Z`, { run_id: `h-${i + 5}` }));

    // Act
    const report = buildReport(octoberInput({ findings: hung, previousFindings: [], runs: ended }));

    // Assess
    expect(report.coverage.rows.find((r) => r.kind === 'job' && r.name === 'hanger')?.runsInMonth).toBe(11);
    expect(groupOf(report, 'run-unfinished', 'hanger').consequence.runsInMonth).toBe(11);
  });

  it('counts once a run reported unfinished whose end came later, past its max runtime (its record is the run)', () => {
    // Prepare: 3 runs ended on time; the run of the 5th was judged unfinished at 03:00 and ended at 05:00 (3 h).
    const onTime = [1, 2, 3].map((d) => runRecord('slowpoke', `s-${d}`, `${day(d)}T02:30:00Z`));
    const lateEnd = { ...runRecord('slowpoke', 's-5', `${day(5)}T05:00:00Z`), duration_ms: 3 * 3_600_000 };
    const hung = finding('run-unfinished', 'slowpoke', `${day(5)}T03:00:00Z`, { run_id: 's-5', evidence: { started_at: `${day(5)}T02:00:00Z`, max_runtime_ms: 3_600_000 } });

    // Act
    const report = buildReport(octoberInput({ findings: [hung], previousFindings: [], runs: [...onTime, lateEnd] }));

    // Assess
    expect(report.coverage.rows.find((r) => r.kind === 'job' && r.name === 'slowpoke')?.runsInMonth).toBe(4);
    expect(groupOf(report, 'run-unfinished', 'slowpoke').consequence.runsInMonth).toBe(4);
  });

  it('counts once a run reported unfinished whose end logs a duration shorter than its wall time (its record is the run)', () => {
    // Prepare: 9 runs ended on time; the run of the 5th started 02:00, was judged unfinished at 03:00 and ended 05:00, its end logging 10 min (the work's own time).
    const onTime = [1, 2, 3, 4, 6, 7, 8, 9, 10].map((d) => ({ ...runRecord('lockwait', `l-${d}`, `${day(d)}T02:20:00Z`), duration_ms: 1_200_000 }));
    const lateEnd = { ...runRecord('lockwait', 'l-5', `${day(5)}T05:00:00Z`), duration_ms: 600_000 };
    const hung = finding('run-unfinished', 'lockwait', `${day(5)}T03:00:00Z`, { run_id: 'l-5', evidence: { started_at: `${day(5)}T02:00:00Z`, max_runtime_ms: 3_600_000 } });

    // Act
    const report = buildReport(octoberInput({ findings: [hung], previousFindings: [], runs: [...onTime, lateEnd] }));

    // Assess
    expect(report.coverage.rows.find((r) => r.kind === 'job' && r.name === 'lockwait')?.runsInMonth).toBe(10);
    expect(groupOf(report, 'run-unfinished', 'lockwait').consequence.notes[0]).toBe('1 run affected of 10 in October 2026 (10%).');
  });

  it('counts a run reported unfinished on the month’s last night and ended the next month in the month it ended, once', () => {
    // Prepare: 22:00 runs from 20 October to 5 November, each ending 22:20, but the run of 31 October, judged unfinished at 23:00, ended 1 November 02:00.
    const dates = [...Array.from({ length: 11 }, (_, i) => day(20 + i)), ...Array.from({ length: 5 }, (_, i) => day(1 + i, '2026-11'))];
    const runs = [...dates.map((d) => ({ ...runRecord('nightly22', `n-${d}`, `${d}T22:20:00Z`), duration_ms: 1_200_000 })), { ...runRecord('nightly22', `n-${day(31)}`, '2026-11-01T02:00:00Z'), duration_ms: 4 * 3_600_000 }];
    const hung = finding('run-unfinished', 'nightly22', `${day(31)}T23:00:00Z`, { run_id: `n-${day(31)}`, evidence: { started_at: `${day(31)}T22:00:00Z`, max_runtime_ms: 3_600_000 } });
    const config = validateConfig({ ...RAW_CONFIG, jobs: { ...RAW_CONFIG.jobs, nightly22: { schedule: '0 22 * * *', max_runtime_minutes: 60 } } }, 'report test config');
    const asOf = { now: () => Date.parse('2026-11-06T00:00:00Z') };

    // Act
    const october = buildReport(octoberInput({ findings: [hung], previousFindings: [], runs, config, clock: asOf }));
    const november = buildReport(octoberInput({ month: '2026-11', findings: [], previousFindings: [hung], runs, config, clock: asOf }));

    // Assess: 11 runs ended in October, 6 in November (the run of the 31st among them): 17 runs, each counted once.
    const runsOf = (r: typeof october) => r.coverage.rows.find((row) => row.kind === 'job' && row.name === 'nightly22')?.runsInMonth;
    expect([runsOf(october), runsOf(november)]).toEqual([11, 6]);
    expect(groupOf(october, 'run-unfinished', 'nightly22').consequence.runsInMonth).toBe(11);
  });

  it('says a job’s only run of the month, reported unfinished on its last night, ended the next month rather than counting it of the month’s runs', () => {
    // Prepare: nightly31's only October run started 31 October 22:00, was judged unfinished at 23:00 and ended 1 November 02:00.
    const runs = [{ ...runRecord('nightly31', 'n-1031', '2026-11-01T02:00:00Z'), duration_ms: 4 * 3_600_000 }, { ...runRecord('nightly31', 'n-1101', '2026-11-01T22:20:00Z'), duration_ms: 1_200_000 }];
    const hung = finding('run-unfinished', 'nightly31', `${day(31)}T23:00:00Z`, { run_id: 'n-1031', evidence: { started_at: `${day(31)}T22:00:00Z`, max_runtime_ms: 3_600_000 } });
    const config = validateConfig({ ...RAW_CONFIG, jobs: { ...RAW_CONFIG.jobs, nightly31: { schedule: '0 22 * * *', max_runtime_minutes: 60 } } }, 'report test config');

    // Act
    const october = buildReport(octoberInput({ findings: [hung], previousFindings: [], runs, config, clock: { now: () => Date.parse('2026-11-02T00:00:00Z') } }));

    // Assess: Coverage and the card agree, no run ended in October; the card says when the affected run ended.
    const g = groupOf(october, 'run-unfinished', 'nightly31');
    expect(october.coverage.rows.find((row) => row.kind === 'job' && row.name === 'nightly31')?.runsInMonth).toBe(0);
    expect([g.consequence.runsAffected, g.consequence.runsInMonth]).toEqual([1, 0]);
    expect(g.consequence.notes[0]).toBe('1 run affected (ended in November 2026).');
  });

  it('says a run of the month’s last night that ended the next month ended then, though other runs of the job ended in the month', () => {
    // Prepare: nightly31's runs of 29 and 30 October ended on time; the 31st's, judged unfinished at 23:00, ended 1 November 02:00.
    const onTime = [29, 30].map((d) => ({ ...runRecord('nightly31', `n-10${d}`, `${day(d)}T22:20:00Z`), duration_ms: 1_200_000 }));
    const runs = [...onTime, { ...runRecord('nightly31', 'n-1031', '2026-11-01T02:00:00Z'), duration_ms: 4 * 3_600_000 }];
    const hung = finding('run-unfinished', 'nightly31', `${day(31)}T23:00:00Z`, { run_id: 'n-1031', evidence: { started_at: `${day(31)}T22:00:00Z`, max_runtime_ms: 3_600_000 } });

    // Act
    const october = buildReport(octoberInput({ findings: [hung], previousFindings: [], runs, clock: { now: () => Date.parse('2026-11-02T00:00:00Z') } }));

    // Assess: October counts the two runs that ended in it; the affected run is not one of them, and the card says when it ended.
    expect(october.coverage.rows.find((row) => row.kind === 'job' && row.name === 'nightly31')?.runsInMonth).toBe(2);
    expect(groupOf(october, 'run-unfinished', 'nightly31').consequence.notes[0]).toBe('1 run affected (ended in November 2026).');
  });

  it('gives the share of the month’s runs for affected runs that ended in it, and says when the others ended', () => {
    // Prepare: nightly31's run of 30 October was judged unfinished at 23:00 and ended 23:30; the 31st's ended 1 November 02:00.
    const runs = [
      { ...runRecord('nightly31', 'n-1029', `${day(29)}T22:20:00Z`), duration_ms: 1_200_000 },
      { ...runRecord('nightly31', 'n-1030', `${day(30)}T23:30:00Z`), duration_ms: 5_400_000 },
      { ...runRecord('nightly31', 'n-1031', '2026-11-01T02:00:00Z'), duration_ms: 4 * 3_600_000 },
    ];
    const hung = [30, 31].map((d) => finding('run-unfinished', 'nightly31', `${day(d)}T23:00:00Z`, { run_id: `n-10${d}`, evidence: { started_at: `${day(d)}T22:00:00Z`, max_runtime_ms: 3_600_000 } }));

    // Act
    const october = buildReport(octoberInput({ findings: hung, previousFindings: [], runs, clock: { now: () => Date.parse('2026-11-02T00:00:00Z') } }));

    // Assess
    expect(october.coverage.rows.find((row) => row.kind === 'job' && row.name === 'nightly31')?.runsInMonth).toBe(2);
    expect(groupOf(october, 'run-unfinished', 'nightly31').consequence.notes[0]).toBe('2 runs affected: 1 of 2 in October 2026 (50%), 1 ended in November 2026.');
  });

  it('keeps a hung run of a reused id apart from the next run of that id after a missed day, and as the month’s first run', () => {
    // Prepare: nightly logs run_id "nightly" every day at 02:00 (20 min). Gap: no run on the 3rd, the 4th's run never ended.
    // First: the 1st's run never ended (no record of that id before it in the month).
    const nightly = (days: number[]) => days.map((d) => ({ ...runRecord('nightly', 'nightly', `${day(d)}T02:20:00Z`), duration_ms: 1_200_000 }));
    const hungOn = (d: number) => finding('run-unfinished', 'nightly', `${day(d)}T03:00:00Z`, { run_id: 'nightly', evidence: { started_at: `${day(d)}T02:00:00Z`, max_runtime_ms: 3_600_000 } });

    // Act
    const gap = buildReport(octoberInput({ findings: [hungOn(4)], previousFindings: [], runs: nightly([1, 2, 5, 6, 7, 8, 9, 10]) }));
    const first = buildReport(octoberInput({ findings: [hungOn(1)], previousFindings: [], runs: nightly([2, 3, 4, 5, 6, 7, 8, 9, 10]) }));

    // Assess: the run that never ended is one of the month's runs, not the next day's.
    expect(gap.coverage.rows.find((r) => r.kind === 'job' && r.name === 'nightly')?.runsInMonth).toBe(9);
    expect(groupOf(gap, 'run-unfinished', 'nightly').consequence.notes[0]).toBe('1 run affected of 9 in October 2026 (11%).');
    expect(first.coverage.rows.find((r) => r.kind === 'job' && r.name === 'nightly')?.runsInMonth).toBe(10);
    expect(groupOf(first, 'run-unfinished', 'nightly').consequence.notes[0]).toBe('1 run affected of 10 in October 2026 (10%).');
  });

  it('links a hung run of a reused id to its own late end within the id’s usual interval, as the first run too', () => {
    // Prepare: nightly reuses its id daily at 02:00; the 1st's and the 5th's runs were judged unfinished at 03:00 and ended 05:00, logging 10 min.
    const onTime = [2, 3, 4, 6, 7, 8, 9, 10].map((d) => ({ ...runRecord('nightly', 'nightly', `${day(d)}T02:20:00Z`), duration_ms: 1_200_000 }));
    const lateEnds = [1, 5].map((d) => ({ ...runRecord('nightly', 'nightly', `${day(d)}T05:00:00Z`), duration_ms: 600_000 }));
    const hung = [1, 5].map((d) => finding('run-unfinished', 'nightly', `${day(d)}T03:00:00Z`, { run_id: 'nightly', evidence: { started_at: `${day(d)}T02:00:00Z`, max_runtime_ms: 3_600_000 } }));

    // Act
    const report = buildReport(octoberInput({ findings: hung, previousFindings: [], runs: [...onTime, ...lateEnds] }));

    // Assess
    expect(report.coverage.rows.find((r) => r.kind === 'job' && r.name === 'nightly')?.runsInMonth).toBe(10);
    expect(groupOf(report, 'run-unfinished', 'nightly').consequence.notes[0]).toBe('2 runs affected of 10 in October 2026 (20%).');
  });

  it('counts a run that never ended among the month’s runs in the finding of another detector of the same job', () => {
    // Prepare: 4 runs of tidy ended (the one of the 2nd wrote empty output); the run of the 6th never ended.
    const ended = [1, 2, 3, 4].map((d) => runRecord('tidy', `t-${d}`, `${day(d)}T01:00:00Z`));
    const empty = finding('empty-output', 'tidy', `${day(2)}T01:00:00Z`, { run_id: 't-2', evidence: { output_bytes: 0 } });
    const hung = finding('run-unfinished', 'tidy', `${day(6)}T03:00:00Z`, { run_id: 't-6' });

    // Act
    const report = buildReport(octoberInput({ findings: [empty, hung], previousFindings: [], runs: ended }));

    // Assess
    expect(groupOf(report, 'empty-output', 'tidy').consequence.notes[0]).toBe('1 run affected of 5 in October 2026 (20%).');
    expect(report.coverage.rows.find((r) => r.kind === 'job' && r.name === 'tidy')?.runsInMonth).toBe(5);
  });

  it('counts a tree’s sub-agent findings as its root run: root runs affected of root runs', () => {
    // Prepare: 10 root runs of support-bot (each records itself at its end); under r-9 three sub-agents under-reported,
    // and so did r-9 itself (the detector reports each run of the tree, naming its root).
    const runs = Array.from({ length: 10 }, (_, i) => ({ ...runRecord('support-bot', `r-${i}`, `${day(i + 2)}T10:00:09Z`, 'ok', 'agent'), duration_ms: 9000 }));
    const under = (run_id: string, ts: string) => finding('budget-undercount', 'support-bot', ts, { run_id, kind: 'agent', evidence: { root_run_id: 'r-9' } });
    const findings = [under('r-9.w0', `${day(11)}T10:00:07Z`), under('r-9.w1', `${day(11)}T10:00:07Z`), under('r-9.w2', `${day(11)}T10:00:07Z`), under('r-9', `${day(11)}T10:00:09Z`)];

    // Act
    const g = groupOf(buildReport(octoberInput({ findings, previousFindings: [], runs })), 'budget-undercount', 'support-bot');

    // Assess
    expect([g.consequence.runsAffected, g.consequence.runsInMonth]).toEqual([1, 10]);
    expect(g.consequence.notes[0]).toBe('1 run affected of 10 in October 2026 (10%).');
  });
});

describe('cost of the affected runs', () => {
  it('counts each agent tree’s cost once, though its root and a sub-agent both broke a budget, or it was judged again', () => {
    // Prepare: r-1's tree cost $0.48, of which its sub-agent r-1.1.1 $0.18 (both over a budget, as the detector reports them);
    // r-2's tree was judged at $0.20, then again at $0.25 after late lines.
    const over = (run_id: string, root_run_id: string, ts: string, cost_usd: number) =>
      finding('budget-exceeded', 'support-bot', ts, { run_id, kind: 'agent', evidence: { scope: 'task', root_run_id, limits: ['actions'], cost_usd } });
    const findings = [
      over('r-1', 'r-1', '2026-10-05T10:00:34Z', 0.48),
      over('r-1.1.1', 'r-1', '2026-10-05T10:00:22Z', 0.18),
      over('r-2', 'r-2', '2026-10-06T10:00:00Z', 0.2),
      over('r-2', 'r-2', '2026-10-06T10:05:00Z', 0.25),
    ];

    // Act
    const g = groupOf(buildReport(octoberInput({ findings, previousFindings: [] })), 'budget-exceeded', 'support-bot');

    // Assess
    expect(g.consequence.costUsd).toBeCloseTo(0.73, 10);
    expect(g.consequence.notes).toContain('Cost of the affected runs: $0.73.');
  });
});

describe('limits stored beside what was measured', () => {
  it('labels a route’s configured p99_ms and a retry-rate’s limits as thresholds, and never reports p99_ms as the longest time measured', () => {
    // Prepare: search-api's p99_ms is 60 s; its retries took 1.1 s end to end, 11× its single attempts.
    const findings = [
      finding('retry-latency', 'search-api', '2026-10-11T00:00:00Z', {
        kind: 'route',
        evidence: { window: 'day', p99_e2e_ms: 1100, p99_attempt_ms: 100, p99_ms: 60_000, ratio: 11, limits: ['attempts'] },
      }),
      finding('retry-rate', 'search-api', '2026-10-11T00:00:00Z', { kind: 'route', evidence: { window: 'day', rate: 0.5, max_rate: 0.1, min_requests: 20 } }),
    ];

    // Act
    const report = buildReport(octoberInput({ findings, previousFindings: [] }));
    const latency = groupOf(report, 'retry-latency', 'search-api');
    const rate = groupOf(report, 'retry-rate', 'search-api');

    // Assess
    expect(latency.consequence.maxLatencyMs).toBe(1100);
    expect(latency.consequence.notes).toContain('Longest time measured: 1.1 s.');
    const labels = (g: typeof latency) => g.condition.evidence.map((s) => `${s.key}${s.label ? ` (${s.label})` : ''}`);
    expect(labels(latency)).toEqual(['p99_e2e_ms', 'p99_attempt_ms', 'p99_ms (threshold)', 'ratio']);
    expect(labels(rate)).toEqual(['rate', 'max_rate (threshold)', 'min_requests (threshold)']);
  });
});

describe('the rule of retry-latency', () => {
  it('states the multiple of single attempts the route was judged by, its own retry_latency_factor, not the built-in 2×', () => {
    // Prepare: search-api polls by design and is judged at 8× its single attempts; its retries took 9× them
    const config = validateConfig({ routes: { 'search-api': { retry_latency_factor: 8 } } });
    const findings = [
      finding('retry-latency', 'search-api', '2026-10-11T00:00:00Z', {
        kind: 'route',
        evidence: { window: 'day', p99_e2e_ms: 900, p99_attempt_ms: 100, ratio: 9, limits: ['attempts'] },
      }),
    ];

    // Act
    const report = buildReport(octoberInput({ findings, previousFindings: [], config }));
    const rule = groupOf(report, 'retry-latency', 'search-api').criteria.rule;
    const appendix = report.thresholds.rules.find((r) => r.detector === 'retry-latency')?.criteria;

    // Assess
    expect(rule).toContain('above 8× the p99 of single attempts');
    expect(rule).not.toContain('2×');
    expect(appendix).toBe(rule);
  });
});

describe('coverage of a subject with a great many runs in the month', () => {
  it('counts 200,000 runs of one job (one every 10 s) without overflowing the call stack', () => {
    // Prepare: a job run every 10 s from 1 October, its records latest first (the latest is not the last in the list)
    const from = Date.parse('2026-10-01T00:00:00Z');
    const count = 200_000;
    const runs = Array.from({ length: count }, (_, i) => runRecord('tick', `t${i}`, new Date(from + (count - 1 - i) * 10_000).toISOString()));
    const latest = new Date(from + (count - 1) * 10_000).toISOString().replace(/\.000Z$/, 'Z');
    // Act
    const coverage = buildCoverage({ span: monthSpan('2026-10'), subjects: [], runs, findings: [], config: validateConfig({ jobs: { tick: {} } }) });
    // Assess
    const row = coverage.rows.find((r) => r.name === 'tick');
    expect(row?.runsInMonth).toBe(count);
    expect(row?.lastSeen).toBe(latest);
    expect(row?.reason).toContain(`silent since ${latest.slice(0, 10)}`);
  });
});

describe('group ids', () => {
  const failed = (subject: string, ts: string) => finding('run-failed', subject, ts, { evidence: { exit_code: 1 } });
  const idsOf = (findings: Finding[]) => new Map(buildReport(octoberInput({ findings, previousFindings: [], runs: [] })).findings.map((g) => [g.subject, g.id]));

  it('gives each subject its own id, the same whatever else the month holds and in whatever order', () => {
    // Prepare: names whose slugs meet (etl load, etl-load, ETL-Load) and names with no letter a slug keeps (备份, 同步).
    const subjects = ['etl load', 'etl-load', 'ETL-Load', '备份', '同步'];
    const all = subjects.map((s, i) => failed(s, `2026-10-0${i + 1}T01:00:00Z`));
    const reversed = subjects.map((s, i) => failed(s, `2026-10-0${5 - i}T01:00:00Z`));

    // Act
    const together = idsOf(all);
    const backwards = idsOf(reversed);
    const alone = subjects.map((s) => idsOf([failed(s, '2026-10-09T01:00:00Z')]).get(s));

    // Assess
    expect(new Set(together.values()).size).toBe(subjects.length);
    expect(subjects.map((s) => together.get(s))).toEqual(subjects.map((s) => backwards.get(s)));
    expect(subjects.map((s) => together.get(s))).toEqual(alone);
    expect(together.get('etl-load')).toBe('run-failed--etl-load');
    expect(together.get('etl load')).toMatch(/^run-failed--etl-load-[0-9a-f]{8}$/);
    expect(together.get('备份')).toMatch(/^run-failed--[0-9a-f]{8}$/);
    for (const id of together.values()) expect(id).toMatch(/^[a-z][a-z0-9_-]*$/);
  });

  it('carries an agent\'s unverified group from a report that kept no kind onto the agent\'s card, making no quiet card of a job of that name', () => {
    // Prepare: last month's report, written before groups kept their kind, held agent dup's run-failed unverified; the agent fails again.
    const failed = finding('run-failed', 'dup', '2026-10-03T02:00:00Z', { run_id: 'a3', kind: 'agent', evidence: { status: 'error' } });
    const carried = [{ detector: 'run-failed', subject: 'dup', status: 'unverified' as const, openSince: '2026-08' }];

    // Act
    const report = buildReport(octoberInput({ findings: [failed], previousFindings: [], runs: [], carried }));

    // Assess
    expect(report.findings.map((g) => [g.id, g.subjectKind, g.status, g.openSince])).toEqual([['run-failed--agent.dup', 'agent', 'recurring', '2026-08']]);
  });

  it('gives a job and an agent of one name their own cards and ids, the job\'s as when it is alone, and carries each from last month by its kind', () => {
    // Prepare: job dup and agent dup both failed; last month's report (one read before it kept kinds too) held the job's group open since August.
    const jobFailed = finding('run-failed', 'dup', '2026-10-03T01:00:00Z', { run_id: 'j3', evidence: { exit_code: 1 } });
    const agentFailed = (ts: string, run_id: string) => finding('run-failed', 'dup', ts, { run_id, kind: 'agent', evidence: { status: 'error' } });
    const findings = [jobFailed, agentFailed('2026-10-03T02:00:00Z', 'a3'), agentFailed('2026-10-04T02:00:00Z', 'a4')];
    const carried = [{ detector: 'run-failed', subject: 'dup', kind: 'job', status: 'new' as const, openSince: '2026-08' }];
    const carriedByName = [{ detector: 'run-failed', subject: 'dup', status: 'new' as const, openSince: '2026-08' }];

    // Act
    const report = buildReport(octoberInput({ findings, previousFindings: [], runs: [], carried }));
    const alone = buildReport(octoberInput({ findings: [jobFailed], previousFindings: [], runs: [] })).findings[0];
    const agentAlone = buildReport(octoberInput({ findings: findings.slice(1), previousFindings: [], runs: [] })).findings[0];
    const oldCarried = buildReport(octoberInput({ findings: [jobFailed], previousFindings: [], runs: [], carried: carriedByName })).findings[0];
    const next = carriedGroups(report);

    // Assess
    const cards = report.findings.map((g) => ({ kind: g.subjectKind, id: g.id, occurrences: g.condition.occurrences, status: g.status, openSince: g.openSince }));
    expect(cards).toEqual(expect.arrayContaining([
      { kind: 'job', id: 'run-failed--dup', occurrences: 1, status: 'recurring', openSince: '2026-08' },
      { kind: 'agent', id: 'run-failed--agent.dup', occurrences: 2, status: 'new', openSince: '2026-10' },
    ]));
    expect(cards).toHaveLength(2);
    expect(alone.id).toBe('run-failed--dup');
    expect(agentAlone.id).toBe('run-failed--agent.dup');
    expect(oldCarried).toMatchObject({ status: 'recurring', openSince: '2026-08' });
    expect(next.map((c) => c.kind).sort()).toEqual(['agent', 'job']);
  });
});

describe('detectors the report does not know', () => {
  it('groups their findings with fallback text and the evidence it can read', () => {
    // Prepare
    const input = octoberInput({
      findings: [finding('made-up-detector', 'nightly-backup', '2026-10-05T03:10:00Z', { run_id: 'nb-2026-10-05', severity: 'low', evidence: { latency_ms: 1200, note: 'x' } })],
      previousFindings: [],
      meta: new Map(),
    });

    // Act
    const [group] = buildReport(input).findings;

    // Assess
    expect(group.criteria.rule).toBe('The "made-up-detector" detector fired; this version of the report has no description of its rule.');
    expect(group.cause.known).toMatch(/No catalogue of causes/);
    expect(group.correctiveAction).toMatchObject({ owner: 'data-platform@example.com', due: '2026-12-01', status: 'new' });
    expect(group.condition.evidence).toEqual([{ key: 'latency_ms', unit: 'ms', n: 1, min: 1200, median: 1200, max: 1200 }]);
    expect(group.condition.values).toEqual([{ key: 'note', value: 'x', count: 1 }]);
  });

  it('builds the same report from the same input', () => {
    expect(JSON.stringify(buildReport(octoberInput()))).toBe(JSON.stringify(buildReport(octoberInput())));
    expect(clock.now()).toBe(Date.parse('2026-11-01T06:00:00Z'));
  });
});

describe('subjects named like members of every object', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('reports a tool, job, agent and route named %j with the built-in thresholds', (name) => {
    // Prepare: names come from log lines; the config names none of them.
    const input = octoberInput({
      findings: [
        finding('tool-arg-invalid', name, '2026-10-05T10:00:00Z', { run_id: 'a1', kind: 'tool', evidence: { arg: 'user_id' } }),
        finding('missed-run', name, '2026-10-06T10:00:00Z'),
        finding('budget-exceeded', name, '2026-10-07T10:00:00Z', { run_id: 'a2', kind: 'agent' }),
        finding('retry-rate', name, '2026-10-08T10:00:00Z', { kind: 'route' }),
      ],
      previousFindings: [],
    });

    // Act
    const report = buildReport(input);

    // Assess
    const thresholds = (detector: string) => groupOf(report, detector, name).criteria.thresholds.map((t) => `${t.key}=${t.value}@${t.source}`);
    expect(thresholds('tool-arg-invalid')).toEqual(['args="inferred from argument names"@built-in']);
    expect(thresholds('missed-run')).toEqual(['timezone="UTC"@built-in', 'grace_minutes=15@defaults']);
    expect(thresholds('budget-exceeded')).toEqual(['budget="none configured (the run’s own budget from agent.start)"@built-in']);
    expect(thresholds('retry-rate')).toEqual(['retry_rate_max=0.1@defaults', 'retry_min_requests=20@defaults']);
  });
});

describe('exit codes in the narrowed cause', () => {
  const failed = (ts: string, evidence: Record<string, unknown>): Finding =>
    ({ detector: 'run-failed', subject: 'etl-loader', subject_kind: 'job', severity: 'high', ts, run_id: `etl-loader@${ts}`, message: 'run failed', evidence }) as Finding;

  it('names the codes runs exited with, not the 1 a timeout or a kill by signal was given for want of one', () => {
    // Prepare: two timeouts (no code of their own) and one real exit code 2.
    const findings = [
      failed('2026-10-03T02:00:00Z', { exit_code: 1, exit_code_inferred: true, failure: 'timeout after 900.00 s' }),
      failed('2026-10-10T02:00:00Z', { exit_code: 1, exit_code_inferred: true, failure: 'timeout after 900.00 s' }),
      failed('2026-10-17T02:00:00Z', { exit_code: 2 }),
    ];

    // Act
    const notes = narrowCause({ findings, subjectRuns: [], alsoOnSameRuns: [], ongoing: false });

    // Assess
    expect(notes).toContain('Exit codes: 2 ×1 (2: a usage error (a wrong option or argument, often after an upgrade)).');
    expect(notes).toContain('Failure kinds: timeout after 900.00 s ×2.');
    expect(notes.join('\n')).not.toMatch(/\b1 ×/);
  });

  it('reads findings stored before exit_code_inferred was written by their failure: no code for a timeout, a kill by signal, a dependency', () => {
    // Prepare: findings as stored before (exit_code 1, no flag), and a control process's real exit status 1.
    const findings = [
      failed('2026-10-01T02:00:00Z', { exit_code: 1, failure: 'timeout after 900.00 s' }),
      failed('2026-10-02T02:00:00Z', { exit_code: 1, failure: 'timeout' }),
      failed('2026-10-03T02:00:00Z', { exit_code: 1, failure: 'main process killed by signal TERM' }),
      failed('2026-10-04T02:00:00Z', { exit_code: 1, failure: "systemd result 'timeout'" }),
      failed('2026-10-05T02:00:00Z', { exit_code: 1, failure: 'dependency failed' }),
      failed('2026-10-06T02:00:00Z', { exit_code: 1, failure: 'control process exited with status 1' }),
    ];

    // Act
    const notes = narrowCause({ findings, subjectRuns: [], alsoOnSameRuns: [], ongoing: false });

    // Assess: only the control process's status is an exit code.
    expect(notes.filter((n) => n.startsWith('Exit codes:'))).toEqual(['Exit codes: 1 ×1.']);
  });
});

describe('bypasses held back by the alert cooldown', () => {
  it('counts the bypasses a finding says came in between, in the registry review and the unregistered bypasses', () => {
    // Prepare: EX-7 bypassed 4 times (findings at 10:00 and 20 October, the second saying 2 more came after the first);
    // cost-cap bypassed with no exception 3 times (findings on 10 and 24 October, the second saying 1 came in between);
    // one held back since a finding of September is not this month's.
    const expired = (ts: string, evidence: Record<string, unknown> = {}) =>
      finding('guard-exception-expired', 'schema-validator', ts, { kind: 'guard', evidence: { exception_id: 'EX-7', ...evidence } });
    const unregistered = (ts: string, evidence: Record<string, unknown> = {}) =>
      finding('guard-bypass-unregistered', 'cost-cap', ts, { kind: 'guard', evidence: { problem: 'no-exception', ...evidence } });
    const findings = [
      expired('2026-10-12T10:00:00Z', { suppressed_since_last: 5, last_reported_at: '2026-09-30T21:00:00Z' }),
      expired('2026-10-20T09:00:00Z', { suppressed_since_last: 2, last_reported_at: '2026-10-12T10:00:00Z' }),
      unregistered('2026-10-10T09:00:00Z'),
      unregistered('2026-10-24T09:00:00Z', { suppressed_since_last: 1, last_reported_at: '2026-10-10T09:00:00Z' }),
    ];

    // Act
    const review = buildReport(octoberInput({ findings, previousFindings: [] })).exceptions;

    // Assess
    const ex7 = review.rows.find((r) => r.id === 'EX-7')!;
    expect([ex7.findingsInMonth, ex7.bypassesInMonth]).toEqual([2, 4]);
    expect(ex7.review).toMatch(/^Expired 32 days ago and the guard was still bypassed under it 4 times this month:/);
    expect(review.unregistered).toEqual([
      { guard: 'schema-validator', count: 4, noException: 0, underLapsedException: 4, lastAt: '2026-10-20T09:00:00Z' },
      { guard: 'cost-cap', count: 3, noException: 3, underLapsedException: 0, lastAt: '2026-10-24T09:00:00Z' },
    ]);
  });
});

describe('bypasses held back behind the month’s last findings', () => {
  it('counts those still held in a guard’s cooldown and those a later finding counts, in the month of the finding they were held behind', () => {
    // Prepare: cost-cap's cooldown holds 2 behind a finding of 31 October; EX-7's 1 November finding counts 3 held behind
    // one of 31 October; a November finding counting 4 held behind a November one, and a cooldown at a September finding, are not October's.
    const later = [
      finding('guard-exception-expired', 'schema-validator', '2026-11-01T04:00:00Z', { kind: 'guard', evidence: { exception_id: 'EX-7', suppressed_since_last: 3, last_reported_at: '2026-10-31T21:00:00Z' } }),
      finding('guard-exception-expired', 'schema-validator', '2026-11-02T04:00:00Z', { kind: 'guard', evidence: { exception_id: 'EX-7', suppressed_since_last: 4, last_reported_at: '2026-11-01T04:00:00Z' } }),
    ];
    const guard = (name: string, cooldowns: GuardState['cooldowns']): GuardState => ({ ...initialGuardState(name), cooldowns });
    const guards = [
      guard('cost-cap', { 'guard-bypass-unregistered|': { at: Date.parse('2026-10-31T20:00:00Z'), suppressed: 2 } }),
      guard('schema-validator', { 'guard-bypass-unregistered|': { at: Date.parse('2026-09-30T20:00:00Z'), suppressed: 5 } }),
    ];
    const findings = [
      finding('guard-bypass-unregistered', 'cost-cap', '2026-10-31T20:00:00Z', { kind: 'guard', evidence: { problem: 'no-exception' } }),
      finding('guard-exception-expired', 'schema-validator', '2026-10-31T21:00:00Z', { kind: 'guard', evidence: { exception_id: 'EX-7' } }),
    ];

    // Act
    const heldBack = heldBackAtMonthEnd(monthSpan('2026-10'), later, guards);
    const review = buildReport(octoberInput({ findings, previousFindings: [], heldBack })).exceptions;

    // Assess
    expect(review.unregistered).toEqual([
      { guard: 'schema-validator', count: 4, noException: 0, underLapsedException: 4, lastAt: '2026-10-31T21:00:00Z' },
      { guard: 'cost-cap', count: 3, noException: 3, underLapsedException: 0, lastAt: '2026-10-31T20:00:00Z' },
    ]);
    expect(review.rows.filter((r) => r.id === 'EX-7').map((r) => [r.findingsInMonth, r.bypassesInMonth])).toEqual([[1, 4]]);
  });
});

describe('sizes and times against the usual in the narrowed cause', () => {
  it('names a duration above the usual as a multiple, as the findings do, and one below as a share', () => {
    // Prepare: runs steady at about 7.7 min against a usual 1.5 min (the messages say 5.1×), and at 5 s against it
    const run = (duration_ms: number) => finding('duration-slow', 'hourly-sync', '2026-10-16T09:12:00Z', { evidence: { duration_ms, median: 92_000, factor: 3 } });
    const slow = [run(444_000), run(462_000), run(474_000)];
    const fast = [run(5_000), run(5_200)];

    // Act
    const slowNotes = narrowCause({ findings: slow, subjectRuns: [], alsoOnSameRuns: [], ongoing: false });
    const fastNotes = narrowCause({ findings: fast, subjectRuns: [], alsoOnSameRuns: [], ongoing: false });

    // Assess
    expect(slowNotes.find((n) => n.startsWith('The duration'))).toMatch(/^The duration was steady at about 7\.7 min \(5\.0× the usual 1\.5 min\)/);
    expect(fastNotes.find((n) => n.startsWith('The duration'))).toMatch(/^The duration was steady at about 5 s \(6% of the usual 1\.5 min\)/);
  });
});

describe('the shape over time of runs that never ended', () => {
  it('counts the runs its findings name among the runs between the first and the last, though they wrote no run record', () => {
    // Prepare: r-2 and r-4 never ended (run-unfinished); r-1, r-3 and r-5 ended and recorded themselves
    const unfinished = (run_id: string, ts: string) => finding('run-unfinished', 'etl-loader', ts, { run_id, severity: 'medium' });
    const findings = [unfinished('r-2', '2026-10-05T03:00:00Z'), unfinished('r-4', '2026-10-07T03:00:00Z')];
    const subjectRuns = [runRecord('etl-loader', 'r-1', '2026-10-04T02:10:00Z'), runRecord('etl-loader', 'r-3', '2026-10-06T02:10:00Z'), runRecord('etl-loader', 'r-5', '2026-10-08T02:10:00Z')];

    // Act
    const notes = narrowCause({ findings, subjectRuns, alsoOnSameRuns: [], ongoing: false });

    // Assess
    expect(notes[0]).toMatch(/^Intermittent: 2 of 3 runs between 2026-10-05 and 2026-10-07, with normal runs in between/);
  });
});

describe('the cause of a group that recurs from last month', () => {
  // sync wrote empty output every day from 20 September; in October on the 1st to the 5th, then normal again.
  const empty = (d: string) => finding('empty-output', 'sync', `${d}T04:05:00Z`, { run_id: `s-${d}`, evidence: { output_bytes: 0 } });
  const september = Array.from({ length: 11 }, (_, i) => empty(day(20 + i, '2026-09')));
  const runsFrom = (first: number) => Array.from({ length: 10 - first + 1 }, (_, i) => runRecord('sync', `s-${day(first + i)}`, `${day(first + i)}T04:05:00Z`));
  const causeOf = (octoberDays: number[], runs: RunRecord[], previousFindings: Finding[]) =>
    groupOf(buildReport(octoberInput({ findings: octoberDays.map((d) => empty(day(d))), previousFindings, runs })), 'empty-output', 'sync').cause.narrowed[0];

  it('says it began before the month, with last month’s first finding, when the month’s first run was affected', () => {
    // Act
    const cause = causeOf([1, 2, 3, 4, 5], runsFrom(1), september);

    // Assess
    expect(cause).toMatch(/^Every run from 2026-10-01 to 2026-10-05 was affected \(5 of 5\): a lasting change at the source before the month began \(/);
    expect(cause).toContain("rather than a passing fault; last month's first finding was on 2026-09-20.");
    expect(cause).not.toContain('on or just before 2026-10-01');
  });

  it('dates the change to the month when normal runs came first, or when last month did not have it', () => {
    // Act: normal runs on the 1st and 2nd, affected from the 3rd; and the same days as in the first case, but new.
    const afterNormalRuns = causeOf([3, 4, 5], runsFrom(1), september);
    const fresh = causeOf([1, 2, 3, 4, 5], runsFrom(1), []);

    // Assess
    expect(afterNormalRuns).toContain('a lasting change at the source on or just before 2026-10-03');
    expect(fresh).toContain('a lasting change at the source on or just before 2026-10-01');
    expect(fresh).not.toContain('last month');
  });
});

describe('the owner of a guard finding group', () => {
  it('is the owner its findings name, not every owner of the guard’s exceptions', () => {
    // Prepare: schema-validator has EX-7 (bob, expired) and EX-30 (eve); the findings are bypasses under EX-7.
    const exceptions = [
      guardException({ id: 'EX-7', guard: 'schema-validator', expires: '2026-09-30', owner: 'bob@example.com' }),
      guardException({ id: 'EX-30', guard: 'schema-validator', expires: '2027-01-31', owner: 'eve@example.com' }),
    ];
    const expired = (ts: string) => finding('guard-exception-expired', 'schema-validator', ts, { kind: 'guard', evidence: { exception_id: 'EX-7', owner: 'bob@example.com' } });
    const unregistered = finding('guard-bypass-unregistered', 'schema-validator', '2026-10-15T09:00:00Z', { kind: 'guard', evidence: { problem: 'no-exception' } });

    // Act
    const report = buildReport(octoberInput({ findings: [expired('2026-10-09T10:00:00Z'), expired('2026-10-19T10:00:00Z'), unregistered], previousFindings: [], exceptions }));

    // Assess: a bypass under no exception is still the guard's exception owners' to answer.
    expect(groupOf(report, 'guard-exception-expired', 'schema-validator').correctiveAction.owner).toBe('bob@example.com');
    expect(groupOf(report, 'guard-bypass-unregistered', 'schema-validator').correctiveAction.owner).toBe('bob@example.com, eve@example.com');
  });
});

describe('the shape over time in the narrowed cause', () => {
  it('says "on" a day rather than "from" it "to" itself, and speaks of a guard in bypasses, not runs', () => {
    // Prepare: two failed runs of one day out of two; two bypass findings of a guard a week apart.
    const failed = (ts: string, run_id: string) => finding('run-failed', 'etl-loader', ts, { run_id, evidence: { exit_code: 2 } });
    const runs = [runRecord('etl-loader', 'e-1', '2026-10-16T02:00:00Z', 'failed'), runRecord('etl-loader', 'e-2', '2026-10-16T14:00:00Z', 'failed')];
    const bypass = (ts: string) => finding('guard-bypass-unregistered', 'cost-cap', ts, { kind: 'guard', evidence: { problem: 'no-exception' } });

    // Act
    const [runShape] = narrowCause({ findings: [failed('2026-10-16T02:00:00Z', 'e-1'), failed('2026-10-16T14:00:00Z', 'e-2')], subjectRuns: runs, alsoOnSameRuns: [], ongoing: false });
    const [guardShape] = narrowCause({ findings: [bypass('2026-10-03T09:00:00Z'), bypass('2026-10-04T09:00:00Z')], subjectRuns: [], alsoOnSameRuns: [], ongoing: false });

    // Assess
    expect(runShape).toMatch(/^Every run on 2026-10-16 was affected \(2 of 2\)/);
    expect(guardShape).toMatch(/ Nothing more after 2026-10-04: find out what changed \(the bypass taken out of the code, the exception renewed\)/);
    expect(guardShape).not.toMatch(/Runs after/);
  });
});

describe('other findings of the same runs in the narrowed cause', () => {
  it('names those of the same subject, a job’s with a job’s, not an agent’s of the same name whose run ids match', () => {
    // Prepare: the job "assistant" failed on run r-1 and ran late on it; the agent "assistant" broke its budget on its own run r-1.
    const job = (detector: string) => finding(detector, 'assistant', '2026-10-12T02:00:00Z', { run_id: 'r-1', evidence: { exit_code: 1 } });
    const agent = finding('budget-exceeded', 'assistant', '2026-10-12T02:00:00Z', { kind: 'agent', run_id: 'r-1', evidence: { actions: 30, max_actions: 20 } });

    // Act
    const report = buildReport(octoberInput({ findings: [job('run-failed'), job('duration-slow'), agent], previousFindings: [] }));

    // Assess
    const also = (detector: string) => groupOf(report, detector, 'assistant').cause.narrowed.filter((n) => n.startsWith('The same runs also raised'));
    expect(also('run-failed')).toEqual(['The same runs also raised duration-slow (1): one cause is likely behind all of them.']);
    expect(also('budget-exceeded')).toEqual([]);
  });
});

describe('a job that uses one run id for every run', () => {
  // nightly logs run_id "1" every night (docs/log-formats.md: an id need not be unique forever); each night is a run of its own.
  const night = (d: number) => `${day(d)}T02:00:10Z`;
  const failed = (d: number) => finding('run-failed', 'nightly', night(d), { run_id: '1', evidence: { exit_code: 2 } });

  it('counts the runs of the month and the runs affected, and sees the clean runs after the last failure', () => {
    // Prepare: the run fails on 1–11 October and is clean from the 12th; error-keyword fired on the clean run of the 20th.
    const runs = Array.from({ length: 31 }, (_, i) => runRecord('nightly', '1', night(i + 1), i < 11 ? 'failed' : 'ok'));
    const findings = [...Array.from({ length: 11 }, (_, i) => failed(i + 1)), finding('error-keyword', 'nightly', night(20), { run_id: '1', severity: 'medium', evidence: { keyword: 'warning' } })];

    // Act
    const report = buildReport(octoberInput({ findings, previousFindings: [], runs }));

    // Assess
    const g = groupOf(report, 'run-failed', 'nightly');
    expect([g.consequence.runsAffected, g.consequence.runsInMonth, g.consequence.persisted?.ongoing]).toEqual([11, 31, false]);
    expect(g.consequence.notes[0]).toBe('11 runs affected of 31 in October 2026 (35%).');
    expect(g.cause.narrowed[0]).toMatch(/^Every run from 2026-10-01 to 2026-10-11 was affected \(11 of 11\)/);
    expect(g.cause.narrowed.filter((n) => n.startsWith('The same runs also raised'))).toEqual([]);
    expect(report.summary.highlights[0]).toBe('HIGH run-failed on nightly: 11 findings from 2026-10-01 to 2026-10-11 (new)');
  });

  it('matches a finding to the run nearest its time when it is not at its end, and tells failures among clean runs apart', () => {
    // Prepare: odd nights fail from the 7th; each failure is found 1 s before its run's record.
    const runs = Array.from({ length: 31 }, (_, i) => runRecord('nightly', '1', night(i + 1), i + 1 >= 7 && (i + 1) % 2 === 1 ? 'failed' : 'ok'));
    const odd = Array.from({ length: 13 }, (_, i) => finding('run-failed', 'nightly', `${day(7 + 2 * i)}T02:00:09Z`, { run_id: '1', evidence: { exit_code: 2 } }));

    // Act
    const g = groupOf(buildReport(octoberInput({ findings: odd, previousFindings: [], runs })), 'run-failed', 'nightly');

    // Assess
    expect([g.consequence.runsAffected, g.consequence.runsInMonth, g.consequence.persisted?.ongoing]).toEqual([13, 31, true]);
    expect(g.cause.narrowed[0]).toMatch(/^Intermittent: 13 of 25 runs between 2026-10-07 and 2026-10-31/);
  });

  it('counts a run that never ended as a run of its own, not as the run of that id the day after', () => {
    // Prepare: the run of the 5th hung (run-unfinished at 03:00); the others, 1–10 October, ended clean.
    const runs = [1, 2, 3, 4, 6, 7, 8, 9, 10].map((d) => runRecord('nightly', '1', night(d)));
    const hung = finding('run-unfinished', 'nightly', `${day(5)}T03:00:00Z`, { run_id: '1', evidence: { started_at: `${day(5)}T02:00:00Z`, max_runtime_ms: 3_600_000 } });

    // Act
    const report = buildReport(octoberInput({ findings: [hung], previousFindings: [], runs }));
    const g = groupOf(report, 'run-unfinished', 'nightly');

    // Assess
    expect([g.consequence.runsAffected, g.consequence.runsInMonth, g.consequence.persisted?.ongoing]).toEqual([1, 10, false]);
    expect(report.coverage.rows.find((r) => r.kind === 'job' && r.name === 'nightly')?.runsInMonth).toBe(10);
  });
});

describe('findings over a window that ends at midnight on the 1st', () => {
  // Stamped with the window's end, the first instant after it: the month it judged is the one before.
  const windowed = (window: string, from: string, to: string) =>
    finding('retry-rate', 'search-api', to, { kind: 'route', severity: 'medium', evidence: { window, from, to, requests: 310, retried: 62, rate: 0.2 } });
  const october = windowed('month', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z');
  const september30 = windowed('day', '2026-09-30T00:00:00Z', '2026-10-01T00:00:00Z');

  it('are in the report of the month they judged, charted on its last day', () => {
    // Act
    const report = buildReport(octoberInput({ findings: [september30, october], previousFindings: [september30], runs: [] }));

    // Assess: October's window is October's, September's last day is September's.
    expect(groupOf(report, 'retry-rate', 'search-api').condition.occurrences).toBe(1);
    expect(report.summary.findings).toMatchObject({ current: 1, previous: 1 });
    expect(report.charts.perDay.find((d) => d.date === '2026-10-31')?.total).toBe(1);
    expect(report.charts.perDay.find((d) => d.date === '2026-10-01')?.total).toBe(0);
  });

  it('are left out of the month after', () => {
    // Act
    const report = buildReport(octoberInput({ month: '2026-11', findings: [october], previousFindings: [october], runs: [], carried: undefined, clock: { now: () => Date.parse('2026-12-01T06:00:00Z') } }));

    // Assess
    expect(report.summary.findings).toMatchObject({ current: 0, previous: 1 });
    expect(report.findings.map((g) => [g.detector, g.condition.occurrences, g.condition.previousOccurrences])).toEqual([['retry-rate', 0, 1]]);
  });

  it('are dated by the day they judged in their card, cause, highlight and the next month’s last seen, not by their stamp', () => {
    // Prepare: the days of 30 and 31 October, stamped at midnight on the 31st and on 1 November.
    const day30 = windowed('day', '2026-10-30T00:00:00Z', '2026-10-31T00:00:00Z');
    const day31 = windowed('day', '2026-10-31T00:00:00Z', '2026-11-01T00:00:00Z');

    // Act
    const report = buildReport(octoberInput({ findings: [day31, day30], previousFindings: [], runs: [], subjects: [] }));
    const quietNovember = [{ kind: 'route', name: 'search-api', state: { route: 'search-api', months: [{ start: Date.parse('2026-11-01T00:00:00Z'), requests: 300, retried: 3 }] } }];
    const november = buildReport(
      octoberInput({ month: '2026-11', findings: [], previousFindings: [day31], runs: [], subjects: quietNovember, carried: undefined, clock: { now: () => Date.parse('2026-12-01T06:00:00Z') } }),
    );

    // Assess: each counts at its window's last second, the 31st's still at the month's end.
    const g = groupOf(report, 'retry-rate', 'search-api');
    expect([g.condition.firstAt, g.condition.lastAt, g.condition.days]).toEqual(['2026-10-30T23:59:59Z', '2026-10-31T23:59:59Z', ['2026-10-30', '2026-10-31']]);
    expect(g.consequence.persisted).toEqual({ from: '2026-10-30T00:00:00Z', to: '2026-11-01T00:00:00Z', ms: 2 * 86_400_000, ongoing: true });
    expect(g.consequence.notes[1]).toBe('Lasted 2.0 days from the start of its first window (2026-10-30) to its last occurrence (2026-10-31), and nothing after it showed it stopped: still happening at the end of the month.');
    expect(g.cause.narrowed[0]).toMatch(/^On every day from 2026-10-30 to 2026-10-31: .* It had not recovered by the end of the month\.$/);
    expect(report.summary.highlights).toContain('MEDIUM retry-rate on search-api: 2 findings from 2026-10-30, still happening (new)');
    expect(groupOf(november, 'retry-rate', 'search-api').cause.narrowed[0]).toBe('No finding in November 2026; last seen 2026-10-31.');
    // The finding keeps its own time and evidence.
    expect(report.findings.flatMap((x) => x.condition.values).filter((v) => v.key === 'to').map((v) => v.value)).toContain('2026-11-01T00:00:00Z');
  });

  it('are timed in their card from the start of the window they judged, not from its last second', () => {
    // Act: October's month window, counted at 2026-10-31T23:59:59Z
    const report = buildReport(octoberInput({ findings: [october], previousFindings: [], runs: [], subjects: [] }));

    // Assess: the month it judged, not the second before its stamp
    const g = groupOf(report, 'retry-rate', 'search-api');
    expect(g.condition.firstAt).toBe('2026-10-31T23:59:59Z');
    expect(g.consequence.persisted).toEqual({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', ms: 31 * 86_400_000, ongoing: true });
    expect(g.consequence.notes[1]).toBe('Lasted 31.0 days from the start of its first window (2026-10-01) to its last occurrence (2026-10-31), and nothing after it showed it stopped: still happening at the end of the month.');
  });

  it('keep a finding stamped at midnight that judged no window in the month it is stamped', () => {
    // Act
    const report = buildReport(octoberInput({ findings: [finding('run-failed', 'etl-loader', '2026-11-01T00:00:00Z', { run_id: 'e-1' })], previousFindings: [], runs: [] }));

    // Assess
    expect(report.summary.findings.current).toBe(0);
  });
});

describe('a route finding over a window on the month’s last day', () => {
  // A route has no run records: what says it stopped is that a later window of the same kind was judged in the month and did not fire.
  const windowed = (window: string, from: string, to: string) =>
    finding('retry-rate', 'search-api', to, { kind: 'route', severity: 'medium', evidence: { window, from, to, requests: 310, retried: 62, rate: 0.2 } });
  const groupFor = (findings: Finding[]) => groupOf(buildReport(octoberInput({ findings, previousFindings: [], runs: [], subjects: [] })), 'retry-rate', 'search-api');

  it('is not still happening at the month’s end when it ended with hours left for another hour to be judged', () => {
    // Prepare: one hour, 02:00 to 03:00 on the 31st; the hours judged every quarter hour after it to midnight did not fire.
    const early = windowed('hour', '2026-10-31T02:00:00Z', '2026-10-31T03:00:00Z');

    // Act
    const report = buildReport(octoberInput({ findings: [early], previousFindings: [], runs: [], subjects: [] }));

    // Assess
    const g = groupOf(report, 'retry-rate', 'search-api');
    expect(g.consequence.persisted).toEqual({ from: '2026-10-31T02:00:00Z', to: '2026-10-31T03:00:00Z', ms: 3_600_000, ongoing: false });
    expect(g.consequence.notes[1]).toBe('Happened once, on 2026-10-31.');
    expect(report.summary.highlights).toContain('MEDIUM retry-rate on search-api: 1 finding on 2026-10-31 (new)');
  });

  it.each([
    ['an hour ending in the month’s last hour', windowed('hour', '2026-10-31T22:30:00Z', '2026-10-31T23:30:00Z')],
    ['the month’s last hour', windowed('hour', '2026-10-31T23:00:00Z', '2026-11-01T00:00:00Z')],
    ['a day ending on the 31st, which cannot fire again before the next day', windowed('day', '2026-10-30T03:00:00Z', '2026-10-31T03:00:00Z')],
    ['the month', windowed('month', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')],
  ])('is still happening at the month’s end after %s, as no later window of its kind was judged in the month', (_, last) => {
    // Act
    // Act: the window alone (one holding a narrower finding says nothing more than it: below)
    const g = groupFor([last]);

    // Assess
    expect(g.consequence.persisted?.ongoing).toBe(true);
  });

  it.each([
    ['a day ending on the 31st', windowed('day', '2026-10-30T03:00:00Z', '2026-10-31T03:00:00Z')],
    ['the month', windowed('month', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')],
  ])('is not still happening at the month’s end after %s that holds the hour that fired and ended with hours left', (_, wide) => {
    // Prepare: the hour 02:00 to 03:00 on the 31st fired, and the wider window over it; the hours after it to midnight did not.
    const hour = windowed('hour', '2026-10-31T02:00:00Z', '2026-10-31T03:00:00Z');

    // Act
    const g = groupFor([hour, wide]);

    // Assess: the wider window says nothing more than the hour: one occurrence, that hour
    expect(g.consequence.persisted).toEqual({ from: '2026-10-31T02:00:00Z', to: '2026-10-31T03:00:00Z', ms: 3_600_000, ongoing: false });
    expect([g.condition.occurrences, g.condition.days, g.consequence.notes[1]]).toEqual([2, ['2026-10-31'], 'Happened once, on 2026-10-31.']);
  });

  it('gives the month’s window alone, still happening, a Cause that agrees with its Consequence: over its window, not a single occurrence', () => {
    // Act
    const g = groupFor([windowed('month', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')]);

    // Assess: Consequence says it lasted from the window's start; Cause says so too
    expect(g.consequence.notes[1]).toMatch(/^Lasted 31\.0 days from the start of its first window \(2026-10-01\)/);
    expect(g.cause.narrowed[0]).toBe(
      'Over its window from 2026-10-01 to 2026-10-31 rather than in one burst, and not known to have stopped by the end of the month: a lasting problem at the source or upstream rather than a passing fault.',
    );
  });

  it('keeps the month’s window as still happening when the hour it holds accounts for few of its retries', () => {
    // Prepare: the month judged 88 retried of 420 requests, spread over its days; one hour on the 3rd fired with 10 of them.
    const month = finding('retry-rate', 'search-api', '2026-11-01T00:00:00Z', {
      kind: 'route',
      severity: 'medium',
      evidence: { window: 'month', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', requests: 420, retried: 88, rate: 0.21 },
    });
    const hour = finding('retry-rate', 'search-api', '2026-10-03T10:00:00Z', {
      kind: 'route',
      severity: 'medium',
      evidence: { window: 'hour', from: '2026-10-03T09:00:00Z', to: '2026-10-03T10:00:00Z', requests: 30, retried: 10, rate: 0.33 },
    });

    // Act
    const g = groupFor([hour, month]);

    // Assess: the month says more than the hour: it is the occurrence, over its whole window, still happening at its end
    expect(g.consequence.persisted).toEqual({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', ms: 31 * 86_400_000, ongoing: true });
    expect(g.consequence.notes).not.toContain('Happened once, on 2026-10-03.');
    expect(g.cause.narrowed.join(' ')).not.toMatch(/A single occurrence \(2026-10-03\)/);
  });

  it('is not still happening when its last hour and day both ended with time left for another to be judged', () => {
    // Prepare: the day to midnight on the 30th, and an hour on the 31st: the day's next window ends on 1 November at 00:00, in October.
    const g = groupFor([windowed('day', '2026-10-30T00:00:00Z', '2026-10-31T00:00:00Z'), windowed('hour', '2026-10-31T05:00:00Z', '2026-10-31T06:00:00Z')]);

    // Assess
    expect(g.consequence.persisted?.ongoing).toBe(false);
  });
});

describe('a route in the report of an older month', () => {
  // A route seen since May 2025 whose state, in November 2026, keeps buckets for October and November
  // and the counts of the 12 months before (October 2025 to September 2026).
  const monthStart = (year: number, month: number) => Date.UTC(year, month - 1, 1);
  const counts = (start: number) => ({ start, requests: 300, retried: 6, failed: 0, attempts: 306 });
  const state = {
    route: 'search-api',
    watermark: Date.parse('2026-11-01T00:10:00Z'),
    first_seen: Date.parse('2025-05-02T09:00:00Z'),
    months: [counts(monthStart(2026, 10)), counts(monthStart(2026, 11))],
    past_months: Array.from({ length: 12 }, (_, i) => counts(monthStart(2025, 10 + i))),
  };
  const reportOn = (month: string, previousFindings: Finding[] = []) =>
    buildReport({ month, findings: [], previousFindings, subjects: [{ kind: 'route', name: 'search-api', state }], runs: [], config: CONFIG, clock });
  const rowOf = (report: ReturnType<typeof buildReport>) => report.coverage.rows.find((r) => r.name === 'search-api')!;

  it('counts the requests of a month its state keeps only the counts of', () => {
    // Act
    const row = rowOf(reportOn('2026-08'));

    // Assess
    expect([row.status, row.requests]).toEqual(['ok', { total: 300, retried: 6 }]);
  });

  it('says the requests of a month older than it keeps were not kept, and leaves last month’s findings resolved, not unverified', () => {
    // Prepare: a retry-rate finding in July 2025.
    const july = finding('retry-rate', 'search-api', '2025-07-20T10:00:00Z', { kind: 'route', severity: 'medium', evidence: { rate: 0.2 } });

    // Act
    const report = reportOn('2025-08', [july]);

    // Assess
    expect([rowOf(report).status, rowOf(report).reason]).toEqual(['unknown', "requests not kept for August 2025: the route's state keeps the counts of its last 14 months"]);
    expect(groupOf(report, 'retry-rate', 'search-api').status).toBe('resolved');
  });

  it('says of a month before its first request that it was first seen after it, neither UNKNOWN nor requests not kept', () => {
    // Act
    const row = rowOf(reportOn('2025-04'));

    // Assess
    expect([row.status, row.reason]).toEqual(['later', 'first seen after April 2025, on 2025-05-02T09:00:00Z: nothing to judge in it']);
  });
});

describe('a route silent since September, its time moved on by the sweep', () => {
  // 10 requests on 2026-09-20 from 10:00 to 10:09, then nothing; the deployed sweep moves the route's time on hourly until 2026-11-01 06:00.
  const at = Date.parse('2026-11-01T06:00:00Z');
  const ctxAt = (now: number) => ({ config: CONFIG, clock: { now: () => now } });
  const from = Date.parse('2026-09-20T10:00:00Z');
  const attempts = Array.from({ length: 10 }, (_, i) => ({
    at: from + i * 60_000,
    body: { type: 'attempt', route: 'search-api', request_id: `r${i}`, attempt: 1, outcome: 'ok', latency_ms: 100 } as unknown as EventBody,
    source: { origin: 'attempts.jsonl', line: i + 1 },
    format: 'json' as const,
  }));
  let state = routeReducer.apply(initialRouteState('search-api'), 'search-api', attempts, ctxAt(from + 11 * 60_000)).state;
  for (let now = from + 3_600_000; now <= at; now += 3_600_000) state = routeReducer.tick?.(state, 'search-api', ctxAt(now)).state ?? state;
  const rowOf = (month: string, routeState: unknown) =>
    buildReport({ month, findings: [], previousFindings: [], subjects: [{ kind: 'route', name: 'search-api', state: routeState }], runs: [], config: CONFIG, clock: { now: () => at } }).coverage.rows.find(
      (r) => r.name === 'search-api',
    )!;

  it('is unknown in the month under way and the month before, last seen when its last request came, and silent for the rest of September', () => {
    // Act
    const november = rowOf('2026-11', state);
    const october = rowOf('2026-10', state);

    // Assess
    expect([november.status, november.reason, november.lastSeen]).toEqual(['unknown', 'no data: nothing from it was seen in November 2026', '2026-09-20T10:09:00Z']);
    expect([october.status, october.lastSeen]).toEqual(['unknown', '2026-09-20T10:09:00Z']);
    expect([rowOf('2026-09', state).status, rowOf('2026-09', state).reason]).toEqual([
      'unknown',
      'silent since 2026-09-20, 10 days (last seen 2026-09-20T10:09:00Z, up to 2026-10-01T00:00:00Z): longer than 3 × its usual gap of 1.0 min (at least 5.0 days), so its lines may have stopped reaching the audit (a subscription filter removed, a log group renamed) or it stopped running',
    ]);
  });

  it('is unknown when its state was stored before the last attempt was kept: the sweep’s time is no sighting', () => {
    // Prepare
    const { last_at: _dropped, ...stored } = state;

    // Act
    const november = rowOf('2026-11', stored);

    // Assess
    expect([november.status, november.lastSeen]).toEqual(['unknown', undefined]);
  });
});

describe('a job whose configured schedule expected no run in the month', () => {
  // month-end runs at midnight on the 31st (UTC); leap-day at noon on 29 February; tokyo-march at
  // 02:00 on 1 March in Tokyo, which is 17:00 UTC on the last day of February.
  const config = validateConfig(
    {
      ...RAW_CONFIG,
      jobs: {
        ...RAW_CONFIG.jobs,
        'month-end': { schedule: '0 0 31 * *', owner: 'finance-eng@example.com' },
        'leap-day': { schedule: '0 12 29 2 *', min_history: 1 },
        'tokyo-march': { schedule: '0 2 1 3 *', timezone: 'Asia/Tokyo', min_history: 1 },
      },
    },
    'report test config',
  );
  const jobState = (job: string, runs: number, lastRun: string) => fixtureJobState(job, runs, '2024-01-31T00:00:00Z', lastRun);
  const subjects = [
    { kind: 'job', name: 'month-end', state: jobState('month-end', 12, '2026-10-31T00:04:00Z') },
    { kind: 'job', name: 'leap-day', state: jobState('leap-day', 1, '2024-02-29T12:03:00Z') },
    { kind: 'job', name: 'tokyo-march', state: jobState('tokyo-march', 3, '2026-02-28T17:02:00Z') },
  ];
  const reportOn = (month: string, previousFindings: Finding[] = []) => buildReport({ month, findings: [], previousFindings, subjects, runs: [], config, clock });
  const rowOf = (report: ReturnType<typeof buildReport>, name: string) => report.coverage.rows.find((r) => r.name === name)!;

  it.each([
    ['month-end', '2026-11', 'no run was due in November 2026: its schedule "0 0 31 * *" (UTC) has no time in it'],
    ['leap-day', '2027-02', 'no run was due in February 2027: its schedule "0 12 29 2 *" (UTC) has no time in it'],
    ['tokyo-march', '2027-03', 'no run was due in March 2027: its schedule "0 2 1 3 *" (Asia/Tokyo) has no time in it'],
  ])('shows %s, silent in %s, as OK with a note, not as UNKNOWN with no data', (name, month, note) => {
    // Act
    const row = rowOf(reportOn(month), name);

    // Assess
    expect([row.status, row.reason, row.notDue, row.runsInMonth]).toEqual(['ok', note, true, 0]);
  });

  it.each([
    ['month-end', '2026-12'],
    ['leap-day', '2028-02'],
    ['tokyo-march', '2027-02'],
  ])('still shows %s, due in %s and silent, as UNKNOWN with no data', (name, month) => {
    // Act
    const row = rowOf(reportOn(month), name);

    // Assess
    expect([row.status, row.reason, row.notDue]).toEqual(['unknown', `no data: nothing from it was seen in ${monthSpan(month).label}`, undefined]);
  });

  it('keeps UNKNOWN for a job with too little history, or never seen, and says no run was due', () => {
    // Prepare: month-end with 3 of its 5 runs; monthly-close and a never-seen one configured.
    const thin = subjects.map((s) => (s.name === 'month-end' ? { ...s, state: jobState('month-end', 3, '2026-10-31T00:04:00Z') } : s));
    const neverSeen = validateConfig({ ...RAW_CONFIG, jobs: { 'never-seen': { schedule: '0 0 31 * *' } } }, 'report test config');

    // Act
    const thinRow = rowOf(buildReport({ month: '2026-11', findings: [], previousFindings: [], subjects: thin, runs: [], config, clock }), 'month-end');
    const unseenRow = rowOf(buildReport({ month: '2026-11', findings: [], previousFindings: [], subjects: [], runs: [], config: neverSeen, clock }), 'never-seen');

    // Assess
    expect([thinRow.status, thinRow.reason]).toEqual([
      'unknown',
      'too little history: 3 of 5 runs, so the baseline checks were not active yet (jobs.month-end.min_history sets how many); no run was due in November 2026: its schedule "0 0 31 * *" (UTC) has no time in it',
    ]);
    expect([unseenRow.status, unseenRow.reason]).toEqual([
      'unknown',
      'no data: configured, but nothing from it has ever been seen; no run was due in November 2026: its schedule "0 0 31 * *" (UTC) has no time in it',
    ]);
  });

  it('leaves last month’s finding of a job not due unverified, not resolved, waiting for its next run', () => {
    // Prepare: month-end failed on 31 October.
    const failed = finding('run-failed', 'month-end', '2026-10-31T00:04:00Z', { run_id: 'me-10' });

    // Act
    const group = groupOf(reportOn('2026-11', [failed]), 'run-failed', 'month-end');

    // Assess
    expect(group.status).toBe('unverified');
    expect(group.cause.narrowed).toEqual(['No finding in November 2026, and no run of month-end was due in it: its next run will tell.']);
    expect(group.correctiveAction.action).toBe('Check month-end’s next scheduled run before calling this fixed.');
  });
});

describe('a subject whose lines stopped early in the month (a subscription filter removed on 4 October)', () => {
  // adhoc-export (no schedule), the support agent and the payments-api route sent lines on 1-3
  // October, daily for months before; backup (scheduled) too, with a missed-run a day after.
  // weekly-export (no schedule) runs weekly, last on 23 October.
  // Loaded on 2 October: RAW_CONFIG's exception expires 90 days later, as far as max_exception_days allows.
  const config = validateConfig({ ...RAW_CONFIG, jobs: { backup: { schedule: '0 2 * * *' } } }, 'report test config', undefined, { now: Date.parse('2026-10-02T00:00:00Z') });
  const at = (d: number) => `${day(d)}T02:01:00Z`;
  const runs = [
    ...[1, 2, 3].flatMap((d) => [runRecord('adhoc-export', `ax-${d}`, at(d)), runRecord('backup', `b-${d}`, at(d)), runRecord('support', `a-${d}`, at(d), 'ok', 'agent')]),
    ...[2, 9, 16, 23].map((d) => runRecord('weekly-export', `wx-${d}`, at(d))),
  ];
  const missed = [4, 5, 6].map((d) => finding('missed-run', 'backup', `${day(d)}T02:16:00Z`));
  const subjects = [
    { kind: 'job', name: 'adhoc-export', state: fixtureJobState('adhoc-export', 120, '2026-06-06T02:01:00Z', at(3)) },
    { kind: 'job', name: 'backup', state: fixtureJobState('backup', 120, '2026-06-06T02:01:00Z', at(3)) },
    { kind: 'job', name: 'weekly-export', state: fixtureJobState('weekly-export', 30, '2026-04-03T02:01:00Z', at(23)) },
    {
      kind: 'agent',
      name: 'support',
      state: { agent: 'support', history: [1, 2, 3].map((d) => ({ run_id: `a-${d}`, ended_at: Date.parse(at(d)) })), judged: [], open: [], roots: 120 },
    },
    {
      kind: 'route',
      name: 'payments-api',
      state: { route: 'payments-api', first_seen: Date.parse('2026-06-06T02:00:00Z'), last_at: Date.parse(at(3)), totals: { requests: 2_400, retried: 0, failed: 0, attempts: 2_400 }, months: [{ start: Date.parse(day(1)), requests: 60, retried: 0 }] },
    },
  ];
  const rowsAt = (now: string) =>
    buildReport({ month: '2026-10', findings: missed, previousFindings: [], subjects, runs, config, clock: { now: () => Date.parse(now) } }).coverage.rows;
  const silentNote = (gap: string, lastSeen: string, until: string, days: number) =>
    `silent since ${lastSeen.slice(0, 10)}, ${days} days (last seen ${lastSeen}, up to ${until}): longer than 3 × its usual gap of ${gap} (at least 5.0 days), so its lines may have stopped reaching the audit (a subscription filter removed, a log group renamed) or it stopped running`;

  it('shows the job with no schedule, the agent and the route UNKNOWN after the month, saying since when and how long they were silent', () => {
    // Act
    const rows = rowsAt('2026-11-01T06:00:00Z');
    const rowOf = (name: string) => rows.find((r) => r.name === name)!;

    // Assess
    expect([rowOf('adhoc-export').status, rowOf('adhoc-export').reason]).toEqual(['unknown', silentNote('24.0 h', '2026-10-03T02:01:00Z', '2026-11-01T00:00:00Z', 28)]);
    expect([rowOf('support').status, rowOf('support').reason]).toEqual(['unknown', silentNote('24.0 h', '2026-10-03T02:01:00Z', '2026-11-01T00:00:00Z', 28)]);
    expect([rowOf('payments-api').status, rowOf('payments-api').reason?.slice(0, 101)]).toEqual(['unknown', 'silent since 2026-10-03, 28 days (last seen 2026-10-03T02:01:00Z, up to 2026-11-01T00:00:00Z): longer']);
  });

  it('leaves the scheduled job to missed-run (FINDINGS) and a weekly job, quiet for 8 days at the month’s end, OK', () => {
    // Act
    const rows = rowsAt('2026-11-01T06:00:00Z');
    const rowOf = (name: string) => rows.find((r) => r.name === name)!;

    // Assess
    expect([rowOf('backup').status, rowOf('backup').reason]).toEqual(['findings', undefined]);
    expect([rowOf('weekly-export').status, rowOf('weekly-export').reason]).toEqual(['ok', undefined]);
  });

  it('shows the scheduled job UNKNOWN, silent since 3 October, when no missed-run of it was judged after its last run (a store scanned up to its latest line)', () => {
    // Act
    const row = buildReport({ month: '2026-10', findings: [], previousFindings: [], subjects, runs, config, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') } }).coverage.rows.find(
      (r) => r.name === 'backup',
    )!;

    // Assess
    expect([row.status, row.reason]).toEqual([
      'unknown',
      'silent since 2026-10-03, 28 days (last seen 2026-10-03T02:01:00Z, up to 2026-11-01T00:00:00Z): its schedule "0 2 * * *" (UTC) expected a run at 2026-10-04T02:00:00Z and none was seen since, so it stopped running or its lines stopped reaching the audit',
    ]);
  });

  it('judges a month not over yet up to the report’s time: silent for 12 days by 15 October, not yet by 5 October', () => {
    // Act
    const midMonth = rowsAt('2026-10-15T12:00:00Z').find((r) => r.name === 'adhoc-export')!;
    const early = rowsAt('2026-10-05T12:00:00Z').find((r) => r.name === 'adhoc-export')!;

    // Assess
    expect([midMonth.status, midMonth.reason]).toEqual(['unknown', silentNote('24.0 h', '2026-10-03T02:01:00Z', '2026-10-15T12:00:00Z', 12)]);
    expect([early.status, early.reason]).toEqual(['ok', undefined]);
  });
});

describe('an agent and a route busy all September, silent for all of October, back on 1 November 01:00', () => {
  const at = (iso: string) => Date.parse(iso);
  const ctxAt = (now: number) => ({ config: CONFIG, clock: { now: () => now } });
  // The route: a request every 10 minutes through September, built with the route reducer; the
  // sweep moves its time on hourly through October.
  const routeState = (() => {
    let n = 0;
    const attempt = (t: number) => {
      n += 1;
      return { at: t, body: { type: 'attempt', route: 'payments-api', request_id: `q${n}`, attempt: 1, outcome: 'ok', latency_ms: 80 } as unknown as EventBody, source: { origin: 'attempts.jsonl', line: n }, format: 'json' as const };
    };
    let state = initialRouteState('payments-api');
    for (let d = at('2026-09-01T00:00:00Z'); d < at('2026-10-01T00:00:00Z'); d += 86_400_000) {
      state = routeReducer.apply(state, 'payments-api', Array.from({ length: 144 }, (_, i) => attempt(d + i * 600_000)), ctxAt(d + 86_400_000)).state;
    }
    for (let now = at('2026-10-01T00:00:00Z'); now < at('2026-11-01T00:00:00Z'); now += 3_600_000) state = routeReducer.tick?.(state, 'payments-api', ctxAt(now)).state ?? state;
    return routeReducer.apply(state, 'payments-api', [attempt(at('2026-11-01T01:00:00Z'))], ctxAt(at('2026-11-01T01:01:00Z'))).state;
  })();
  // The agent: a root run ended daily at 10:00 in September, the next on 1 November 01:00.
  const ended = [...Array.from({ length: 30 }, (_, i) => at(`${day(i + 1, '2026-09')}T10:00:00Z`)), at('2026-11-01T01:00:00Z')];
  const agentState = (open: { run_id: string; started_at: number }[] = []) => ({
    agent: 'support',
    history: ended.map((t, i) => ({ run_id: `a${i}`, ended_at: t, started_at: t - 3_600_000 })),
    judged: [],
    open,
    roots: 120,
  });
  const rowsOf = (subjects: SubjectSnapshot[]) =>
    buildReport({ month: '2026-10', findings: [], previousFindings: [], subjects, runs: [], config: CONFIG, clock: { now: () => at('2026-11-01T06:00:00Z') } }).coverage.rows;

  it('shows both UNKNOWN in October’s report, silent for all of October, not OK', () => {
    // Act
    const rows = rowsOf([
      { kind: 'agent', name: 'support', state: agentState() },
      { kind: 'route', name: 'payments-api', state: routeState },
    ]);
    const rowOf = (name: string) => rows.find((r) => r.name === name)!;

    // Assess
    expect([rowOf('support').status, rowOf('support').reason]).toEqual([
      'unknown',
      'silent for all of October 2026: no run of it ended in it (the last before it 2026-09-30T10:00:00Z, the next 2026-11-01T01:00:00Z)',
    ]);
    expect([rowOf('payments-api').status, rowOf('payments-api').reason, rowOf('payments-api').requests]).toEqual([
      'unknown',
      'silent for all of October 2026: its state counts no request in it (seen again 2026-11-01T01:00:00Z)',
      undefined,
    ]);
  });

  it('shows the agent OK when a root run of it started in October is still open', () => {
    // Act
    const row = rowsOf([{ kind: 'agent', name: 'support', state: agentState([{ run_id: 'long', started_at: at('2026-10-20T09:00:00Z') }]) }]).find((r) => r.name === 'support')!;

    // Assess
    expect([row.status, row.reason]).toEqual(['ok', undefined]);
  });
});

describe('an agent busy all September whose root runs ended after October ran in it (states built with the pipeline)', () => {
  const at = (iso: string) => Date.parse(iso);
  /** The agent's state after root runs `[started, ended]` of it, each fed through every reducer once it ended. */
  const agentStateAfter = async (agent: string, runs: readonly (readonly [string, string])[]) => {
    const store = new MemoryAuditStore();
    let line = 0;
    const event = (t: number, body: Record<string, unknown>) => ({ at: t, body: body as unknown as EventBody, source: { origin: 'agents.jsonl', line: ++line }, format: 'json' as const });
    for (const [i, [from, to]] of runs.entries()) {
      const run = `${agent}-${i}`;
      const lines = [
        event(at(from), { type: 'agent.start', agent, run_id: run }),
        event(at(from) + 1000, { type: 'agent.action', agent, run_id: run, action: 'llm_call', cost_usd: 0.01 }),
        event(at(to), { type: 'agent.end', agent, run_id: run, status: 'ok' }),
      ];
      await processBatch(lines, REDUCERS, store, { config: CONFIG, clock: { now: () => at(to) + 60_000 } });
    }
    return (await store.subjects('agent')).find((s) => s.key === `agent#${agent}`)!.state;
  };
  const september = Array.from({ length: 30 }, (_, i) => [`${day(i + 1, '2026-09')}T09:00:00Z`, `${day(i + 1, '2026-09')}T10:00:00Z`] as const);
  const rowOf = async (agent: string, runs: readonly (readonly [string, string])[]) =>
    buildReport({ month: '2026-10', findings: [], previousFindings: [], subjects: [{ kind: 'agent', name: agent, state: await agentStateAfter(agent, runs) }], runs: [], config: CONFIG, clock: { now: () => at('2026-11-03T06:00:00Z') } }).coverage.rows.find(
      (r) => r.name === agent,
    )!;

  it('shows it OK when its only October run started on 31 October 23:00 and ended on 1 November 00:30', async () => {
    // Act
    const row = await rowOf('night-agent', [...september, ['2026-10-31T23:00:00Z', '2026-11-01T00:30:00Z']]);

    // Assess
    expect([row.status, row.reason]).toEqual(['ok', undefined]);
  });

  it('shows it OK when one root ran from 29 September to 2 November', async () => {
    // Act
    const row = await rowOf('long-agent', [...september.slice(0, 28), ['2026-09-29T12:00:00Z', '2026-11-02T08:00:00Z']]);

    // Assess
    expect([row.status, row.reason]).toEqual(['ok', undefined]);
  });

  it('still shows it UNKNOWN, silent for all of October, when its next run started on 1 November', async () => {
    // Act
    const row = await rowOf('quiet-agent', [...september, ['2026-11-01T00:10:00Z', '2026-11-01T01:00:00Z']]);

    // Assess
    expect([row.status, row.reason]).toEqual([
      'unknown',
      'silent for all of October 2026: no run of it ended in it (the last before it 2026-09-30T10:00:00Z, the next 2026-11-01T01:00:00Z)',
    ]);
  });

  it('shows it OK when its state was written before starts were kept: it cannot tell', async () => {
    // Prepare: the silent agent's state as an earlier version wrote it, its entries without started_at.
    const state = (await agentStateAfter('old-agent', [...september, ['2026-11-01T00:10:00Z', '2026-11-01T01:00:00Z']])) as { history: Record<string, unknown>[] };
    const written = { ...state, history: state.history.map(({ started_at: _started, ...entry }) => entry) };

    // Act
    const row = buildReport({ month: '2026-10', findings: [], previousFindings: [], subjects: [{ kind: 'agent', name: 'old-agent', state: written }], runs: [], config: CONFIG, clock: { now: () => at('2026-11-03T06:00:00Z') } }).coverage.rows.find(
      (r) => r.name === 'old-agent',
    )!;

    // Assess
    expect([row.status, row.reason]).toEqual(['ok', undefined]);
  });
});

describe('an agent that ran in October only as a sub-agent under another agent (states built with the pipeline)', () => {
  const at = (iso: string) => Date.parse(iso);
  const DAY = 86_400_000;
  interface Root {
    readonly agent: string;
    readonly from: number;
    /** Agents it calls, one run each, in turn. */
    readonly calls?: readonly string[];
  }
  /** Each root of an hour fed through every reducer once it ended; the agents' states and October's coverage rows (with its run records, under `config`). */
  const monthAfter = async (roots: readonly Root[], config: Config = CONFIG) => {
    const store = new MemoryAuditStore();
    let line = 0;
    const event = (t: number, body: Record<string, unknown>) => ({ at: t, body: body as unknown as EventBody, source: { origin: 'agents.jsonl', line: ++line }, format: 'json' as const });
    for (const [i, { agent, from, calls = [] }] of roots.entries()) {
      const run = `${agent}-${i}`;
      const lines = [event(from, { type: 'agent.start', agent, run_id: run }), event(from + 1000, { type: 'agent.action', agent, run_id: run, action: 'llm_call', cost_usd: 0.01 })];
      for (const [j, sub] of calls.entries()) {
        const t = from + 2000 + j * 3000;
        lines.push(
          event(t, { type: 'agent.start', agent: sub, run_id: `${run}.${j}`, parent_run_id: run }),
          event(t + 1000, { type: 'agent.action', agent: sub, run_id: `${run}.${j}`, action: 'llm_call', cost_usd: 0.01 }),
          event(t + 2000, { type: 'agent.end', agent: sub, run_id: `${run}.${j}`, status: 'ok' }),
        );
      }
      lines.push(event(from + 3_600_000, { type: 'agent.end', agent, run_id: run, status: 'ok' }));
      await processBatch(lines, REDUCERS, store, { config: CONFIG, clock: { now: () => from + 3_660_000 } });
    }
    const subjects: SubjectSnapshot[] = (await store.subjects('agent')).map((s) => ({ kind: 'agent', name: s.key.slice('agent#'.length), state: s.state }));
    const runs = (await Promise.all(subjects.map((s) => store.runs(`agent#${s.name}`, '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')))).flat();
    const report = (states: SubjectSnapshot[]) =>
      buildReport({ month: '2026-10', findings: [], previousFindings: [], subjects: states, runs, config, clock: { now: () => at('2026-11-03T06:00:00Z') } });
    const rows = (states: SubjectSnapshot[]) => report(states).coverage.rows;
    return { subjects, rows, report };
  };
  const daily = (agent: string, first: string, days: number, calls?: readonly string[]): Root[] =>
    Array.from({ length: days }, (_, i) => ({ agent, from: at(first) + i * DAY, ...(calls ? { calls } : {}) }));
  // helper runs on its own every day of September and on 2 November.
  const helperOwn = [...daily('helper', '2026-09-01T10:00:00Z', 30), ...daily('helper', '2026-11-02T10:00:00Z', 1)];
  const statusOf = (rows: readonly { name: string; status: string; reason?: string }[], name: string) => rows.filter((r) => r.name === name).map((r) => [r.status, r.reason]);
  const silentReason = 'silent for all of October 2026: no run of it ended in it (the last before it 2026-09-30T11:00:00Z, the next 2026-11-02T11:00:00Z)';

  it('shows it OK when it ran under boss every day of October, its runs there not counted', async () => {
    // Prepare
    const { subjects, rows } = await monthAfter([...helperOwn.slice(0, 30), ...daily('boss', '2026-10-01T10:00:00Z', 31, ['helper']), helperOwn[30]]);

    // Act
    const shown = rows(subjects);

    // Assess
    expect(statusOf(shown, 'helper')).toEqual([
      ['ok', 'ran as a sub-agent under boss in October 2026 (last 2026-10-31T10:00:04Z): its runs under another agent are not counted, only the months they were in and the latest are kept'],
    ]);
    expect(shown.find((r) => r.name === 'helper')).toMatchObject({ runsInMonth: null, failedRuns: null, lastSeen: '2026-11-02T11:00:00Z' });
    expect(statusOf(shown, 'boss')).toEqual([['ok', undefined]]);
  });

  // researcher and planner, configured with their own owners and a budget, only ever run under orchestrator.
  const SUBAGENTS_CONFIG = validateConfig(
    { agents: { orchestrator: { owner: 'alice' }, researcher: { owner: 'bob', budget: { max_actions: 10 } }, planner: { owner: 'carol' } } },
    'report test config',
  );

  it('shows configured agents that only ever ran under another agent OK in Coverage and Agent budgets, not "no data"', async () => {
    // Prepare
    const { subjects, report } = await monthAfter(daily('orchestrator', '2026-10-01T10:00:00Z', 31, ['researcher', 'planner']), SUBAGENTS_CONFIG);

    // Act
    const built = report(subjects);

    // Assess
    expect(subjects.map((s) => s.name)).toEqual(['orchestrator']);
    expect(built.coverage.rows.map((r) => [r.name, r.status, r.runsInMonth, r.lastSeen, r.owner])).toEqual([
      ['orchestrator', 'ok', 31, '2026-10-31T11:00:00Z', 'alice'],
      ['planner', 'ok', null, '2026-10-31T10:00:07Z', 'carol'],
      ['researcher', 'ok', null, '2026-10-31T10:00:04Z', 'bob'],
    ]);
    expect(built.coverage.rows.find((r) => r.name === 'researcher')?.reason).toBe(
      'ran as a sub-agent under orchestrator in October 2026 (last 2026-10-31T10:00:04Z): its runs under another agent are not counted, only the months they were in and the latest are kept',
    );
    expect(built.coverage.counts).toMatchObject({ ok: 3, unknown: 0 });
    expect(built.agents.rows.map((r) => [r.name, r.status])).toEqual([
      ['orchestrator', 'ok'],
      ['planner', 'ok'],
      ['researcher', 'ok'],
    ]);
  });

  it('shows a configured sub-agent OK in October, not UNKNOWN, when its latest run under orchestrator is in November: the months of its runs are kept', async () => {
    // Prepare: the monthly report of October made on 2 November, after researcher ran under orchestrator on the 1st and 2nd.
    const { subjects, rows } = await monthAfter(daily('orchestrator', '2026-10-01T10:00:00Z', 33, ['researcher']), SUBAGENTS_CONFIG);

    // Act
    const shown = rows(subjects);

    // Assess
    expect(statusOf(shown, 'researcher')).toEqual([['ok', 'ran as a sub-agent under orchestrator in October 2026: its runs under another agent are not counted, only the months they were in and the latest are kept']]);
    expect(shown.find((r) => r.name === 'researcher')).toMatchObject({ runsInMonth: null, failedRuns: null, lastSeen: '2026-11-02T10:00:04Z' });
    expect(statusOf(shown, 'planner')).toEqual([['unknown', 'no data: configured, but nothing from it has ever been seen']]);
  });

  /** The agents' states with the months of their sub-agents taken out, as a state written before they were kept. */
  const withoutMonths = (subjects: readonly SubjectSnapshot[]): SubjectSnapshot[] =>
    subjects.map((s) => {
      const state = s.state as { subagents?: unknown[][] };
      return state.subagents ? { ...s, state: { ...state, subagents: state.subagents.map(([name, seenAt]) => [name, seenAt]) } } : s;
    });

  it('still shows a configured sub-agent UNKNOWN, ran after October, when orchestrator’s state was written before the months were kept', async () => {
    // Prepare
    const { subjects, rows } = await monthAfter(daily('orchestrator', '2026-10-01T10:00:00Z', 33, ['researcher']), SUBAGENTS_CONFIG);

    // Act
    const shown = rows(withoutMonths(subjects));

    // Assess
    expect(statusOf(shown, 'researcher')).toEqual([
      [
        'unknown',
        'ran as a sub-agent under orchestrator after October 2026 (last 2026-11-02T10:00:04Z): the months of its runs under another agent are not kept back to October 2026, so its runs in October 2026 are not known',
      ],
    ]);
  });

  it('shows a configured sub-agent run under orchestrator in September and November, not October, as not seen in October', async () => {
    // Prepare
    const { subjects, rows } = await monthAfter(
      [...daily('orchestrator', '2026-09-01T10:00:00Z', 30, ['researcher']), ...daily('orchestrator', '2026-10-01T10:00:00Z', 31, ['planner']), ...daily('orchestrator', '2026-11-01T10:00:00Z', 2, ['researcher'])],
      SUBAGENTS_CONFIG,
    );

    // Act
    const shown = rows(subjects);

    // Assess
    expect(statusOf(shown, 'researcher')).toEqual([['unknown', 'no data: nothing from it was seen in October 2026']]);
    expect(statusOf(shown, 'planner')[0][0]).toBe('ok');
  });

  it('shows an agent with its own roots UNKNOWN, silent for all of October, when boss called it in September and November only', async () => {
    // Prepare: helper's own roots every day of September and on 2 November; boss calls it in September and on 1 November, others in October.
    const { subjects, rows } = await monthAfter([
      ...helperOwn.slice(0, 30),
      ...daily('boss', '2026-09-01T12:00:00Z', 30, ['helper']),
      ...daily('boss', '2026-10-01T10:00:00Z', 31, ['writer']),
      { agent: 'boss', from: at('2026-11-01T10:00:00Z'), calls: ['helper'] },
      helperOwn[30],
    ]);

    // Act
    const shown = rows(subjects);

    // Assess
    expect(statusOf(shown, 'helper')).toEqual([['unknown', silentReason]]);
    expect(statusOf(rows(withoutMonths(subjects)), 'helper')).toEqual([['ok', undefined]]);
  });

  it('shows a configured sub-agent last run under orchestrator in September as not seen in October, not as never seen', async () => {
    // Prepare
    const { subjects, rows } = await monthAfter(
      [...daily('orchestrator', '2026-09-01T10:00:00Z', 30, ['researcher']), ...daily('orchestrator', '2026-10-01T10:00:00Z', 31, ['planner'])],
      SUBAGENTS_CONFIG,
    );

    // Act
    const shown = rows(subjects);

    // Assess
    expect(statusOf(shown, 'researcher')).toEqual([['unknown', 'no data: nothing from it was seen in October 2026']]);
    expect(shown.find((r) => r.name === 'researcher')?.lastSeen).toBe('2026-09-30T10:00:04Z');
  });

  it('still shows it UNKNOWN, silent for all of October, when boss called it only in September and others in October', async () => {
    // Prepare
    const { subjects, rows } = await monthAfter([
      ...helperOwn.slice(0, 30),
      ...daily('boss', '2026-09-01T12:00:00Z', 30, ['helper']),
      ...daily('boss', '2026-10-01T10:00:00Z', 31, ['writer']),
      helperOwn[30],
    ]);

    // Act
    const shown = rows(subjects);

    // Assess
    expect(statusOf(shown, 'helper')).toEqual([['unknown', silentReason]]);
  });

  it('shows it OK when boss, busy in October, has a state written before sub-agents were kept: it cannot tell', async () => {
    // Prepare: boss's state as an earlier version wrote it, without the sub-agent fields.
    const { subjects, rows } = await monthAfter([...helperOwn.slice(0, 30), ...daily('boss', '2026-10-01T10:00:00Z', 31, ['writer']), helperOwn[30]]);
    const written = subjects.map((s) => {
      if (s.name !== 'boss') return s;
      const { subagents: _names, subagents_since: _since, ...state } = s.state as Record<string, unknown>;
      return { ...s, state };
    });

    // Act
    const shown = rows(written);

    // Assess
    expect(statusOf(rows(subjects), 'helper')).toEqual([['unknown', silentReason]]);
    expect(statusOf(shown, 'helper')).toEqual([['ok', undefined]]);
  });

  it('shows it OK when boss let its name go past 100 sub-agents seen in October, and the state stays small', async () => {
    // Prepare: boss calls helper, then 100 agents of 256-character names, on 31 October.
    const others = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')}-${'x'.repeat(252)}`);
    const { subjects, rows } = await monthAfter([...helperOwn.slice(0, 30), { agent: 'boss', from: at('2026-10-31T10:00:00Z'), calls: ['helper', ...others] }, helperOwn[30]]);
    const boss = subjects.find((s) => s.name === 'boss')!.state as { subagents: [string, number][]; subagents_dropped_at?: number };

    // Act
    const shown = rows(subjects);

    // Assess
    expect(boss.subagents.map(([name]) => name)).toEqual(others);
    expect(boss.subagents_dropped_at).toBe(at('2026-10-31T10:00:04Z'));
    expect(statusOf(shown, 'helper')).toEqual([['ok', undefined]]);
    expect(stateItemBytes({ key: 'agent#boss', expectedVersion: 1, state: boss })).toBeLessThan(40_000);
  });

  // helper on its own every day from 1 September to 3 October, and on 2 November.
  const helperToOctober3 = [...daily('helper', '2026-09-01T10:00:00Z', 33), ...daily('helper', '2026-11-02T10:00:00Z', 1)];

  it('shows it OK, not silent since 3 October, when it ran under boss every day from 4 October to the month’s end', async () => {
    // Prepare
    const { subjects, rows } = await monthAfter([...helperToOctober3.slice(0, 33), ...daily('boss', '2026-10-04T10:00:00Z', 28, ['helper']), helperToOctober3[33]]);

    // Act
    const shown = rows(subjects);

    // Assess
    expect(statusOf(shown, 'helper')).toEqual([['ok', undefined]]);
  });

  it('still shows it UNKNOWN, silent since 4 October, when boss, busy all month after, called it only on 4 October', async () => {
    // Prepare
    const { subjects, rows } = await monthAfter([
      ...helperToOctober3.slice(0, 33),
      { agent: 'boss', from: at('2026-10-04T10:00:00Z'), calls: ['helper'] },
      ...daily('boss', '2026-10-05T10:00:00Z', 27, ['writer']),
      helperToOctober3[33],
    ]);

    // Act
    const shown = rows(subjects);

    // Assess
    const [[status, reason]] = statusOf(shown, 'helper');
    expect(status).toBe('unknown');
    expect(reason).toMatch(/^silent since 2026-10-04, 27 days \(last seen 2026-10-04T10:00:04Z, up to 2026-11-01T00:00:00Z\): longer than 3 × its usual gap of /);
  });
});

describe('a business-hours route over a long weekend (Monday to Friday, 08:00 to 18:00, a request every 10 minutes)', () => {
  // Its state keeps no time of its requests but the last: its rhythm is its average interval
  // (~33 min), so only the minimum silence keeps a weekend with a holiday from being judged.
  const DAY_MS = 86_400_000;
  const businessRoute = (firstDay: string, lastDay: string, holidays: readonly string[]) => {
    let state = initialRouteState('orders-api');
    let n = 0;
    for (let d = Date.parse(firstDay); d <= Date.parse(lastDay); d += DAY_MS) {
      const weekday = new Date(d).getUTCDay();
      if (weekday === 0 || weekday === 6 || holidays.includes(new Date(d).toISOString().slice(0, 10))) continue;
      const attempts = [];
      for (let t = d + 8 * 3_600_000; t < d + 18 * 3_600_000; t += 600_000) {
        n += 1;
        attempts.push({ at: t, body: { type: 'attempt', route: 'orders-api', request_id: `q${n}`, attempt: 1, outcome: 'ok', latency_ms: 80 } as unknown as EventBody, source: { origin: 'attempts.jsonl', line: n }, format: 'json' as const });
      }
      state = routeReducer.apply(state, 'orders-api', attempts, { config: CONFIG, clock: { now: () => d + 19 * 3_600_000 } }).state;
      state = routeReducer.tick?.(state, 'orders-api', { config: CONFIG, clock: { now: () => d + DAY_MS - 1 } }).state ?? state;
    }
    return state;
  };
  const rowOf = (month: string, reportAt: string, state: unknown) =>
    buildReport({ month, findings: [], previousFindings: [], subjects: [{ kind: 'route', name: 'orders-api', state }], runs: [], config: CONFIG, clock: { now: () => Date.parse(reportAt) } }).coverage.rows.find(
      (r) => r.name === 'orders-api',
    )!;

  it('shows it OK in May 2027, which ends on a Monday holiday: last request Friday 28 May 17:50', () => {
    // Prepare
    const state = businessRoute('2027-03-01', '2027-05-31', ['2027-05-31']);

    // Act
    const may = rowOf('2027-05', '2027-06-01T06:00:00Z', state);

    // Assess
    expect([may.status, may.reason, may.lastSeen]).toEqual(['ok', undefined, '2027-05-28T17:50:00Z']);
  });

  it('shows it OK on the Tuesday morning after Easter (Good Friday and Easter Monday off), in a month not over', () => {
    // Prepare
    const state = businessRoute('2027-01-04', '2027-04-05', ['2027-04-02', '2027-04-05']);

    // Act
    const april = rowOf('2027-04', '2027-04-06T08:00:00Z', state);

    // Assess
    expect([april.status, april.reason, april.lastSeen]).toEqual(['ok', undefined, '2027-04-01T17:50:00Z']);
  });

  it('still shows it UNKNOWN when it stopped on the Wednesday before such a weekend, 6 days before the report', () => {
    // Prepare: its lines stop after Wednesday 26 May
    const state = businessRoute('2027-03-01', '2027-05-26', []);

    // Act
    const may = rowOf('2027-05', '2027-06-01T06:00:00Z', state);

    // Assess
    expect([may.status, may.reason]).toEqual([
      'unknown',
      'silent since 2027-05-26, 5 days (last seen 2027-05-26T17:50:00Z, up to 2027-06-01T00:00:00Z): longer than 3 × its usual gap of 32.9 min (at least 5.0 days), so its lines may have stopped reaching the audit (a subscription filter removed, a log group renamed) or it stopped running',
    ]);
  });
});

describe('a job whose name was misspelt in the config, corrected on 3 October', () => {
  // The config named "nightly-bakup" (daily at 02:00) from 1 October; the deployed sweep, seeing
  // nothing of it, stored its never-seen marker and reported its 02:00 starts of 1 and 2 October
  // missed. On 3 October the name was corrected to nightly-backup, whose runs have come in since.
  const TYPO = 'nightly-bakup';
  const withTypo = validateConfig({ ...RAW_CONFIG, jobs: { ...RAW_CONFIG.jobs, [TYPO]: { schedule: '0 2 * * *' } } }, 'report test config');
  const swept = (() => {
    let state: JobState = initialJobState(TYPO);
    const findings: Finding[] = [];
    for (let at = Date.parse('2026-10-01T00:00:00Z'); at <= Date.parse('2026-10-03T00:00:00Z'); at += 3_600_000) {
      const result = judgeAbsence(state, TYPO, { config: withTypo, clock: { now: () => at } });
      state = result.state;
      findings.push(...result.findings);
    }
    return { state, findings };
  })();
  const subjects = [...octoberInput().subjects, { kind: 'job', name: TYPO, state: swept.state }];
  const reportOn = (month: string, config: Config, findings: Finding[], previousFindings: Finding[], stored: readonly SubjectSnapshot[] = subjects) =>
    buildReport({ ...octoberInput(), month, findings, previousFindings, subjects: stored, runs: [], carried: undefined, config, clock: { now: () => Date.parse(monthSpan(month).to) + 6 * 3_600_000 } });
  const rowOf = (report: ReturnType<typeof buildReport>) => report.coverage.rows.find((r) => r.name === TYPO);

  it('keeps it in October’s coverage with its missed runs, its findings reported', () => {
    // Act
    const report = reportOn('2026-10', CONFIG, swept.findings, []);

    // Assess: the sweep's two missed runs, shown as findings of a subject the month had
    expect(swept.findings.map((f) => [f.detector, f.expected_at])).toEqual([
      ['missed-run', '2026-10-01T02:00:00Z'],
      ['missed-run', '2026-10-02T02:00:00Z'],
    ]);
    expect([rowOf(report)?.status, rowOf(report)?.findings]).toEqual(['findings', 2]);
    expect(groupOf(report, 'missed-run', TYPO).condition.occurrences).toBe(2);
  });

  it('leaves it out of the coverage of the months after, its October group resolved rather than waiting for data', () => {
    // Act
    const november = reportOn('2026-11', CONFIG, [], swept.findings);
    const december = reportOn('2026-12', CONFIG, [], []);

    // Assess: no UNKNOWN "no data" row, month after month, for a job that never existed
    expect(rowOf(november)).toBeUndefined();
    expect(rowOf(december)).toBeUndefined();
    expect(november.coverage.counts).toEqual(reportOn('2026-11', CONFIG, [], [], octoberInput().subjects).coverage.counts);
    const group = groupOf(november, 'missed-run', TYPO);
    expect(group.status).toBe('resolved');
    expect(group.cause.narrowed).toEqual(['No finding in November 2026; last seen 2026-10-02.']);
  });

  it('still shows it UNKNOWN with no data while the config names it', () => {
    // Act
    const row = rowOf(reportOn('2026-11', withTypo, [], []));

    // Assess: the never-seen marker is no data of it
    expect([row?.status, row?.reason]).toEqual(['unknown', 'no data: configured, but nothing from it has ever been seen']);
  });

  it('does not call a job whose only line was cron’s discarded output never seen, in the config or out of it', () => {
    // Prepare: the typo's only line is cron's "discarding output" (on 30 September, reported output-discarded);
    // the deployed sweep then watches it as from 1 October
    const discard = ev('2026-09-30T23:00:00Z', { type: 'output.discarded', job: TYPO, host: 'web1', reason: 'No MTA installed, discarding output' });
    const read = jobReducer.apply(initialJobState(TYPO), TYPO, [discard], { config: withTypo, clock: { now: () => Date.parse('2026-09-30T23:01:00Z') } }).state;
    const watched = judgeAbsence(read, TYPO, { config: withTypo, clock: { now: () => Date.parse('2026-10-01T00:00:00Z') } }).state;
    const stored = [...octoberInput().subjects, { kind: 'job', name: TYPO, state: watched }];

    // Act
    const configured = rowOf(reportOn('2026-11', withTypo, [], [], stored));
    const leftOut = rowOf(reportOn('2026-11', CONFIG, [], [], stored));

    // Assess: a line of it did arrive: a subject whose November had nothing, not one never seen
    expect(watched.unseenSince).toBeDefined();
    expect([configured?.status, configured?.reason]).toEqual(['unknown', 'no data: nothing from it was seen in November 2026']);
    expect(leftOut?.name).toBe(TYPO);
  });

  it('explains it by its missed runs and as never seen, not as a job whose runs log only starts (the marker’s endsLogged: false)', () => {
    // Prepare: a configured yearly job the sweep stored its never-seen marker for, not due in October
    const yearly = validateConfig({ ...RAW_CONFIG, jobs: { ...RAW_CONFIG.jobs, [TYPO]: { schedule: '0 2 * * *' }, 'new-year': { schedule: '0 0 1 1 *' } } }, 'report test config');
    const yearlyState = judgeAbsence(initialJobState('new-year'), 'new-year', { config: yearly, clock: { now: () => Date.parse('2026-10-01T03:00:00Z') } }).state;

    // Act
    const report = reportOn('2026-10', yearly, swept.findings, [], [...subjects, { kind: 'job', name: 'new-year', state: yearlyState }]);
    const newYear = report.coverage.rows.find((r) => r.name === 'new-year');

    // Assess
    expect(yearlyState.unseenSince).toBeDefined();
    expect([rowOf(report)?.status, rowOf(report)?.reason]).toEqual(['findings', undefined]);
    expect([newYear?.status, newYear?.reason]).toEqual([
      'unknown',
      'no data: configured, but nothing from it has ever been seen; no run was due in October 2026: its schedule "0 0 1 1 *" (UTC) has no time in it',
    ]);
  });
});

describe('a job in the report of a month older than its run records are kept', () => {
  // nightly-backup (configured "30 2 * * *") runs every night from 1 August to 31 October 2026, its lines delivered a minute after each run.
  const DAY = 86_400_000;
  const auditOfRuns = async (firstNight = '2026-08-01') => {
    const store = new MemoryAuditStore();
    let line = 0;
    const event = (t: number, body: Record<string, unknown>) => ({ at: t, body: body as unknown as EventBody, source: { origin: 'jobs.jsonl', line: ++line }, format: 'json' as const });
    for (let t = Date.parse(`${firstNight}T02:30:05Z`); t < Date.parse('2026-11-01T00:00:00Z'); t += DAY) {
      const run = `nb-${new Date(t).toISOString().slice(0, 10)}`;
      const lines = [
        event(t, { type: 'run.start', job: 'nightly-backup', run_id: run }),
        event(t + 60_000, { type: 'run.end', job: 'nightly-backup', run_id: run, exit_code: 0, duration_ms: 60_000, output_bytes: 1000 }),
      ];
      await processBatch(lines, REDUCERS, store, { config: CONFIG, clock: { now: () => t + 120_000 } });
    }
    return store;
  };
  /** A month's report (September's by default) made at `at`, from a store that has let go the run records older than its retention (as DynamoDB's TTL does). */
  const septemberAt = async (store: MemoryAuditStore, at: string, days = DEFAULT_RUN_RETENTION_DAYS, month = '2026-09') => {
    const now = Date.parse(at);
    const runs = {
      runRetentionDays: days,
      runs: async (key: string, from: string, to: string) => (await store.runs(key, from, to)).filter((r) => Date.parse(r.ts) >= now - days * DAY),
    };
    const { report, documents } = await createMonthlyReport(month, { findings: store, runs, catalog: store, config: CONFIG, clock: { now: () => now } });
    return { report, row: report.coverage.rows.find((r) => r.name === 'nightly-backup')!, markdown: documents.find((d) => d.format === 'md')!.body };
  };

  it('counts all its runs in a month within the retention, with no note', async () => {
    // Prepare
    const store = await auditOfRuns();

    // Act
    const { report, row } = await septemberAt(store, '2026-10-01T06:00:00Z');

    // Assess
    expect([row.status, row.runsInMonth, row.reason]).toEqual(['ok', 30, undefined]);
    expect(report.notes.filter((n) => n.startsWith('Run records are kept'))).toEqual([]);
  });

  it('says its runs are not all known when part of the month is older than the retention, at the row and at the top', async () => {
    // Prepare: 2027-10-16 06:00 less the retention is 2026-09-11 06:00: the 1st to the 11th are gone.
    const store = await auditOfRuns();

    // Act
    const { report, row, markdown } = await septemberAt(store, '2027-10-16T06:00:00Z');

    // Assess
    expect([row.status, row.runsInMonth, row.reason]).toEqual([
      'unknown',
      19,
      `run records not kept for September 2026 (kept ${DEFAULT_RUN_RETENTION_DAYS} days): its runs in it before 2026-09-11 may be gone, so they are not all known`,
    ]);
    expect(report.notes.filter((n) => n.startsWith(`Run records are kept ${DEFAULT_RUN_RETENTION_DAYS} days after their run: at this report's date, those before 2026-09-11 may be gone. So September 2026's runs are not all known`))).toHaveLength(1);
    expect(markdown).toContain(`> Run records are kept ${DEFAULT_RUN_RETENTION_DAYS} days`);
  });

  it('counts all its runs, with no note at the row, when it was first seen after the time run records are kept from', async () => {
    // Prepare: the job first runs on 20 September; 2027-10-16 06:00 less the retention is 2026-09-11 06:00, before it.
    const store = await auditOfRuns('2026-09-20');

    // Act
    const { row } = await septemberAt(store, '2027-10-16T06:00:00Z');

    // Assess: its eleven runs of 20–30 September are all kept.
    expect([row.status, row.runsInMonth, row.reason]).toEqual(['ok', 11, undefined]);
  });

  it('says its run records are not kept, not "no data", when all of the month is older than the retention', async () => {
    // Prepare
    const store = await auditOfRuns();

    // Act
    const { row } = await septemberAt(store, '2027-11-20T06:00:00Z');

    // Assess
    expect([row.status, row.runsInMonth, row.reason]).toEqual(['unknown', 0, `run records not kept for September 2026 (kept ${DEFAULT_RUN_RETENTION_DAYS} days): any of its runs in it may be gone, so they are not all known`]);
  });

  it('names the retention deploy.run_retention_days configured, in the row and the note', async () => {
    // Prepare: kept 63 days; 2026-11-16 06:00 less 63 days is 2026-09-14 06:00.
    const store = await auditOfRuns();
    const days = validateConfig({ deploy: { run_retention_days: 63 } }).deploy.run_retention_days;

    // Act
    const { report, row } = await septemberAt(store, '2026-11-16T06:00:00Z', days);

    // Assess
    expect([row.status, row.runsInMonth, row.reason]).toEqual([
      'unknown',
      16,
      'run records not kept for September 2026 (kept 63 days): its runs in it before 2026-09-14 may be gone, so they are not all known',
    ]);
    expect(report.notes.filter((n) => n.startsWith("Run records are kept 63 days after their run: at this report's date, those before 2026-09-14 may be gone."))).toHaveLength(1);
  });

  it('keeps, at the fewest days the config takes, all the runs the scheduled report reads: two 31-day months back and 6 hours', async () => {
    // Prepare: August's report at its scheduled time reads July's runs too (62 days and 6 hours before).
    const store = await auditOfRuns();
    const at = new Date(scheduledReportTime('2026-08')).toISOString();

    // Act
    const atTheMinimum = await septemberAt(store, at, MIN_RUN_RETENTION_DAYS, '2026-08');
    const aDayLess = await septemberAt(store, at, MIN_RUN_RETENTION_DAYS - 1, '2026-08');

    // Assess
    const keptNotes = (r: { report: { notes: readonly string[] } }) => r.report.notes.filter((n) => n.startsWith('Run records are kept'));
    expect([atTheMinimum.row.status, atTheMinimum.row.runsInMonth, keptNotes(atTheMinimum)]).toEqual(['ok', 31, []]);
    expect(keptNotes(aDayLess)).toEqual([expect.stringContaining('A missed or unfinished run of July 2026 that a late run answered may count here')]);
  });

  it('as of a past moment in a month not over, shows its last sighting and history up to then, not what the store learned after', async () => {
    // Prepare: runs every night to 31 October, all stored; October reported as of 10 October 12:00
    const store = await auditOfRuns();
    const asOf = '2026-10-10T12:00:00Z';

    // Act
    const { row } = await septemberAt(store, asOf, DEFAULT_RUN_RETENTION_DAYS, '2026-10');

    // Assess: the 10th's run ended at 02:31:05; 1 August to 10 October is 71 runs
    expect(row.lastSeen).toBe('2026-10-10T02:31:05Z');
    expect(row.history).toBe(71);
    expect(row.runsInMonth).toBe(10);
  });
});

describe('buildReport at a fleet’s scale', () => {
  /** Records that count how often their fields are read. */
  function counted<T extends object>(records: readonly T[]): { records: T[]; reads: () => number } {
    let reads = 0;
    const handler: ProxyHandler<T> = {
      get(target, key, receiver) {
        reads += 1;
        return Reflect.get(target, key, receiver);
      },
    };
    return { records: records.map((r) => new Proxy(r, handler)), reads: () => reads };
  }

  function fleet(size: number) {
    const jobs = Array.from({ length: size }, (_, i) => `job-${String(i).padStart(4, '0')}`);
    const agents = Array.from({ length: size }, (_, i) => `agent-${String(i).padStart(4, '0')}`);
    const findings = counted([
      ...jobs.map((job) => finding('run-failed', job, `${day(10)}T03:00:00Z`, { run_id: 'r1' })),
      ...agents.map((agent) => finding('budget-exceeded', agent, `${day(11)}T04:00:00Z`, { run_id: 'a1', kind: 'agent' })),
    ]);
    const runs = counted([
      ...jobs.flatMap((job) => [runRecord(job, 'r1', `${day(10)}T03:00:00Z`, 'failed'), runRecord(job, 'r2', `${day(11)}T03:00:00Z`)]),
      ...agents.map((agent) => runRecord(agent, 'a1', `${day(11)}T04:00:00Z`, 'ok', 'agent')),
    ]);
    const config = validateConfig({ jobs: Object.fromEntries(jobs.map((job) => [job, {}])), agents: Object.fromEntries(agents.map((agent) => [agent, {}])) });
    return { findings, runs, input: octoberInput({ findings: findings.records, previousFindings: [], runs: runs.records, subjects: [], exceptions: [], carried: undefined, config }) };
  }

  it('reads each finding and run record a bounded number of times, not once per subject or group', () => {
    // Prepare: a fleet of 400 jobs and 400 agents, a finding and a run or two each (a real fleet has thousands, and 100,000 of each).
    const { findings, runs, input } = fleet(400);

    // Act
    const report = buildReport(input);

    // Assess: as many reads per record as at a tenth the size (a scan per subject or group reads each record hundreds of times).
    expect(report.findings).toHaveLength(800);
    const small = fleet(40);
    buildReport(small.input);
    const perRecord = (f: { reads: () => number }, n: number) => f.reads() / n;
    expect(perRecord(findings, 800)).toBeLessThan(2 * perRecord(small.findings, 80));
    expect(perRecord(runs, 1200)).toBeLessThan(2 * perRecord(small.runs, 120));
  });
});

describe('bypasses held back by the cooldown across a month’s end', () => {
  it('counts each held-back repeat in the month it happened, and keeps a month with one from being resolved', async () => {
    // Prepare: EX-1 expired 15 November; pii-redaction bypassed under it on 20 and 30 November (23:59:59), and on
    // 1 December 05:00, within the 360-min cooldown after the 30 November finding (held back, no finding of its own).
    const config = validateConfig({ exceptions: [{ id: 'EX-1', guard: 'pii-redaction', reason: 'support needs raw logs', owner: 'alice@example.com', expires: '2026-11-15' }] });
    const store = new MemoryAuditStore();
    let line = 0;
    for (const ts of ['2026-11-20T10:00:00Z', '2026-11-30T23:59:59Z', '2026-12-01T05:00:00Z']) {
      const body = { type: 'guard.bypass', ts, guard: 'pii-redaction', exception_id: 'EX-1', actor: 'bot' } as unknown as EventBody;
      const at = Date.parse(ts);
      await processBatch([{ at, body, source: { origin: 'all.log', line: ++line }, format: 'json' as const }], REDUCERS, store, { config, clock: { now: () => at + 1000 } });
    }
    const reportOf = (month: string) => createMonthlyReport(month, { findings: store, runs: store, catalog: store, config, clock: { now: () => Date.parse('2026-12-07T06:00:00Z') } });

    // Act
    const { report: nov } = await reportOf('2026-11');
    const { report: dec } = await reportOf('2026-12');

    // Assess
    expect(nov.exceptions.unregistered.map((u) => [u.guard, u.count])).toEqual([['pii-redaction', 2]]);
    expect(dec.exceptions.unregistered.map((u) => [u.guard, u.count, u.underLapsedException])).toEqual([['pii-redaction', 1, 1]]);
    expect(dec.exceptions.rows.find((r) => r.id === 'EX-1')?.bypassesInMonth).toBe(1);
    const group = dec.findings.find((g) => g.detector === 'guard-exception-expired' && g.subject === 'pii-redaction');
    expect(group?.status).toBe('recurring');
    expect(dec.coverage.rows.map((r) => [r.kind, r.name])).toContainEqual(['guard', 'pii-redaction']);
  });

  it('shows the guard of such a month with findings in Coverage and its group in the highlights by its cause, not OK', async () => {
    // Prepare: as above, the 1 December 05:00 bypass under expired EX-1 held back behind the 30 November finding
    const config = validateConfig({ exceptions: [{ id: 'EX-1', guard: 'pii-redaction', reason: 'support needs raw logs', owner: 'alice@example.com', expires: '2026-11-15' }] });
    const store = new MemoryAuditStore();
    let line = 0;
    for (const ts of ['2026-11-30T23:59:59Z', '2026-12-01T05:00:00Z']) {
      const body = { type: 'guard.bypass', ts, guard: 'pii-redaction', exception_id: 'EX-1', actor: 'bot' } as unknown as EventBody;
      const at = Date.parse(ts);
      await processBatch([{ at, body, source: { origin: 'all.log', line: ++line }, format: 'json' as const }], REDUCERS, store, { config, clock: { now: () => at + 1000 } });
    }

    // Act
    const { report } = await createMonthlyReport('2026-12', { findings: store, runs: store, catalog: store, config, clock: { now: () => Date.parse('2026-12-07T06:00:00Z') } });

    // Assess
    const row = report.coverage.rows.find((r) => r.kind === 'guard' && r.name === 'pii-redaction')!;
    expect([row.status, row.reason]).toEqual(['findings', 'no finding in December 2026, but 1 bypass without a valid exception in it, held back by the alert cooldown']);
    expect(report.summary.highlights).toEqual([
      'HIGH guard-exception-expired on pii-redaction: No finding in December 2026, but the alert cooldown held back 1 more bypass in it behind the finding of 2026-11-30: still happening. (recurring)',
    ]);
  });

  it('counts the repeats a cooldown longer than a month held back each in its own month, with its last bypass there', async () => {
    // Prepare: a 90000-min cooldown (62.5 days); EX-1 expired 15 October; a finding on 31 October, repeats held behind it
    // on 10 and 20 November and on 5, 15 and 16 December, and the next finding on 5 January. Stored once up to
    // 16 December (the repeats still in the guard's cooldown) and once up to 5 January (counted by that finding).
    const config = validateConfig({ defaults: { alert_cooldown_minutes: 90000 }, exceptions: [{ id: 'EX-1', guard: 'pii-redaction', reason: 'support needs raw logs', owner: 'alice@example.com', expires: '2026-10-15' }] });
    const times = ['2026-10-31T10:00:00Z', '2026-11-10T10:00:00Z', '2026-11-20T10:00:00Z', '2026-12-05T10:00:00Z', '2026-12-15T10:00:00Z', '2026-12-16T10:00:00Z', '2027-01-05T10:00:00Z'];
    const storeOf = async (until: number) => {
      const store = new MemoryAuditStore();
      for (const [i, ts] of times.slice(0, until).entries()) {
        const body = { type: 'guard.bypass', ts, guard: 'pii-redaction', exception_id: 'EX-1', actor: 'bot' } as unknown as EventBody;
        const at = Date.parse(ts);
        await processBatch([{ at, body, source: { origin: 'all.log', line: i + 1 }, format: 'json' as const }], REDUCERS, store, { config, clock: { now: () => at + 1000 } });
      }
      return store;
    };
    const held = async (store: MemoryAuditStore, month: string) => {
      const { report } = await createMonthlyReport(month, { findings: store, runs: store, catalog: store, config, clock: { now: () => Date.parse('2027-01-10T00:00:00Z') } });
      const group = report.findings.find((g) => g.detector === 'guard-exception-expired' && g.subject === 'pii-redaction');
      return [...report.exceptions.unregistered.map((u) => [u.count, u.lastAt]), group?.status];
    };
    const [stillHeld, counted] = [await storeOf(6), await storeOf(7)];

    // Act
    const months = async (store: MemoryAuditStore) => [await held(store, '2026-11'), await held(store, '2026-12')];

    // Assess
    const expected = [
      [[2, '2026-11-20T10:00:00Z'], 'recurring'],
      [[3, '2026-12-16T10:00:00Z'], 'recurring'],
    ];
    expect(await months(stillHeld)).toEqual(expected);
    expect(await months(counted)).toEqual(expected);
    expect(await held(counted, '2027-01')).toEqual([[1, '2027-01-05T10:00:00Z'], 'new']);
  });

  it('still reads a finding written before held repeats were kept by month: those after its month all in the month after', () => {
    // Prepare: a 5 December finding counting 5 repeats held behind one of 31 October, 4 of them after October (suppressed_after_month)
    const later = [
      finding('guard-exception-expired', 'pii-redaction', '2026-12-05T10:00:00Z', { kind: 'guard', evidence: { exception_id: 'EX-1', suppressed_since_last: 5, suppressed_after_month: 4, last_reported_at: '2026-10-31T10:00:00Z' } }),
    ];

    // Act
    const counts = ['2026-10', '2026-11'].map((m) => heldBackAtMonthEnd(monthSpan(m), later, []).map((h) => [h.count, h.at]));

    // Assess
    expect(counts).toEqual([[[1, '2026-10-31T10:00:00Z']], [[4, '2026-11-01T00:00:00Z']]]);
  });
});

describe('a route window that ends after a month’s end', () => {
  /** search-api's stored findings from `count(hour)` requests in each hour from `from` to `to`, spread over the hour, those that `retried(hour, k)` retried once. */
  async function routeStore(from: string, to: string, count: (hour: number) => number, retried: (hour: number, k: number) => boolean) {
    const config = validateConfig({ routes: { 'search-api': { owner: 'api@example.com' } } });
    const store = new MemoryAuditStore();
    const lines: { at: number; body: EventBody; source: { origin: string; line: number }; format: 'json' }[] = [];
    const attempt = (at: number, request: string, n: number, outcome: string) =>
      lines.push({ at, body: { type: 'attempt', route: 'search-api', request_id: request, attempt: n, outcome, latency_ms: 100 } as unknown as EventBody, source: { origin: 'r.log', line: lines.length + 1 }, format: 'json' });
    let q = 0;
    for (let hour = Date.parse(from); hour < Date.parse(to); hour += 3_600_000) {
      const n = count(hour);
      for (let k = 0; k < n; k++) {
        const at = hour + k * Math.floor(3_200_000 / n) + 5000;
        q++;
        if (retried(hour, k)) {
          attempt(at, `q${q}`, 1, 'error');
          attempt(at + 1000, `q${q}`, 2, 'ok');
        } else attempt(at, `q${q}`, 1, 'ok');
      }
    }
    for (let i = 0; i < lines.length; i += 500) {
      const batch = lines.slice(i, i + 500);
      await processBatch(batch, REDUCERS, store, { config, clock: { now: () => batch[batch.length - 1].at + 1000 } });
    }
    const reportOf = (month: string, at = '2026-12-07T06:00:00Z') => createMonthlyReport(month, { findings: store, runs: store, catalog: store, config, clock: { now: () => Date.parse(at) } });
    return { store, reportOf };
  }
  const BURST = Date.parse('2026-11-30T23:00:00Z');
  const retryRateGroup = (r: Awaited<ReturnType<typeof createMonthlyReport>>['report']) => r.findings.find((g) => g.detector === 'retry-rate' && g.condition.occurrences > 0);

  it('counts a finding over a window ending after midnight on the 1st in the month it ends in, saying its retried requests were all the month before’s', async () => {
    // Prepare: search-api: 10 clean requests an hour from 28 November to 1 December 02:00, but 40 on 30 November
    // 23:00–23:59, every other one retried; December's requests are all clean.
    const { reportOf } = await routeStore('2026-11-28T00:00:00Z', '2026-12-01T02:00:00Z', (h) => (h === BURST ? 40 : 10), (h, k) => h === BURST && k % 2 === 0);

    // Act
    const { report: nov } = await reportOf('2026-11');
    const { report: dec } = await reportOf('2026-12');

    // Assess: November has its hour to 23:xx; December the hour to 00:xx by its stamp, its card saying where its retries were
    expect(retryRateGroup(nov)?.condition.lastAt?.slice(0, 10)).toBe('2026-11-30');
    const group = retryRateGroup(dec);
    expect(group?.condition.firstAt?.slice(0, 10)).toBe('2026-12-01');
    const note = group?.consequence.notes.find((n) => n.includes('began'));
    expect(note).toMatch(/^The hour window to 2026-12-01 00:\d\d UTC began 2026-11-30 23:\d\d UTC, in November 2026; all of its retried requests were in November 2026\.$/);
    expect(dec.retries.rows.map((r) => [r.name, r.requests?.retried])).toEqual([['search-api', 0]]);
    expect(renderMarkdown(dec)).toContain(note);
    expect(renderHtml(dec)).toContain(note);
    // Its retry-latency finding of the same hour judged latency: its card says only where its window began.
    const latency = dec.findings.find((g) => g.detector === 'retry-latency' && g.condition.occurrences > 0);
    expect(latency?.consequence.notes.filter((n) => n.includes('began'))).toEqual([expect.stringMatching(/^The hour window to 2026-12-01 00:\d\d UTC began 2026-11-30 23:\d\d UTC, in November 2026, and counts its requests from November 2026 too\.$/)]);
  });

  it('keeps a window with one retried request after midnight in the month it ends in, saying it began the month before', async () => {
    // Prepare: as above, with one retried request at 1 December 00:00:05 (8 of the window's 9 retries are November's)
    const DEC = Date.parse('2026-12-01T00:00:00Z');
    const { reportOf } = await routeStore('2026-11-28T00:00:00Z', '2026-12-01T02:00:00Z', (h) => (h === BURST ? 40 : 10), (h, k) => (h === BURST && k % 2 === 0) || (h === DEC && k === 0));

    // Act
    const { report: dec } = await reportOf('2026-12');

    // Assess
    const group = retryRateGroup(dec);
    expect(group?.condition.firstAt?.slice(0, 10)).toBe('2026-12-01');
    expect(group?.consequence.notes.filter((n) => n.includes('began'))).toEqual([expect.stringMatching(/^The hour window to 2026-12-01 00:\d\d UTC began 2026-11-30 23:\d\d UTC, in November 2026, and counts its requests from November 2026 too\.$/)]);
  });

  it('lists a rolling day that first crosses the limit after the report’s 06:00 on the 1st in the next month’s report', async () => {
    // Prepare: 60 of 80 requests retried on 30 November 23:00–23:59; 100 clean requests an hour on 30 November 00:00–08:59,
    // 20 an hour otherwise, 10 on 1 December: the rolling day first crosses 10% at 1 December 08:00
    const NOV30 = Date.parse('2026-11-30T00:00:00Z');
    const DEC = Date.parse('2026-12-01T00:00:00Z');
    const { reportOf } = await routeStore('2026-11-29T00:00:00Z', '2026-12-02T00:00:00Z', (h) => (h === BURST ? 80 : h >= NOV30 && h < NOV30 + 9 * 3_600_000 ? 100 : h >= DEC ? 10 : 20), (h, k) => h === BURST && k < 60);

    // Act: November's report as scheduled (06:00 on the 1st), December's
    const { report: nov } = await reportOf('2026-11', '2026-12-01T06:00:00Z');
    const { report: dec } = await reportOf('2026-12');

    // Assess: the day window's finding is in December's report, with where its retries were
    const dayNote = (r: typeof nov) => retryRateGroup(r)?.consequence.notes.filter((n) => n.startsWith('The day window'));
    expect(dayNote(nov) ?? []).toEqual([]);
    expect(dayNote(dec)).toEqual(['The day window to 2026-12-01 08:00 UTC began 2026-11-30 08:00 UTC, in November 2026; all of its retried requests were in November 2026.']);
    expect(JSON.parse(renderJson(dec)).findings.find((g: { detector: string }) => g.detector === 'retry-rate').consequence.notes).toContain(dayNote(dec)![0]);
  });

  it('counts a retry-latency finding over such a window in the month of its slow requests, not of its last retried one', async () => {
    // Prepare: search-api (p99_ms 500): a request a minute from 30 November 20:00 to 1 December 03:00, 100 ms each, but
    // 2 s (none retried) from 1 December 00:05 to 00:40; the one retried request is at 30 November 23:50.
    const config = validateConfig({ routes: { 'search-api': { owner: 'api@example.com', p99_ms: 500 } } });
    const store = new MemoryAuditStore();
    const lines: { at: number; body: EventBody; source: { origin: string; line: number }; format: 'json' }[] = [];
    const attempt = (at: number, request: string, n: number, outcome: string, latency_ms: number) =>
      lines.push({ at, body: { type: 'attempt', route: 'search-api', request_id: request, attempt: n, outcome, latency_ms } as unknown as EventBody, source: { origin: 'r.log', line: lines.length + 1 }, format: 'json' });
    const [slowFrom, slowTo, retriedAt] = ['2026-12-01T00:05:00Z', '2026-12-01T00:40:00Z', '2026-11-30T23:50:00Z'].map(Date.parse);
    for (let at = Date.parse('2026-11-30T20:00:00Z'), q = 0; at < Date.parse('2026-12-01T03:00:00Z'); at += 60_000, q++) {
      if (at === retriedAt) {
        attempt(at, `q${q}`, 1, 'error', 100);
        attempt(at + 200, `q${q}`, 2, 'ok', 100);
      } else attempt(at, `q${q}`, 1, 'ok', at >= slowFrom && at < slowTo ? 2000 : 100);
    }
    await processBatch(lines, REDUCERS, store, { config, clock: { now: () => lines[lines.length - 1].at + 1000 } });
    const reportOf = (month: string) => createMonthlyReport(month, { findings: store, runs: store, catalog: store, config, clock: { now: () => Date.parse('2026-12-07T06:00:00Z') } });

    // Act
    const { report: nov } = await reportOf('2026-11');
    const { report: dec } = await reportOf('2026-12');

    // Assess
    const latencyGroups = (r: typeof nov) => r.findings.filter((g) => g.detector === 'retry-latency' && g.condition.occurrences > 0).map((g) => [g.status, g.condition.firstAt?.slice(0, 10)]);
    expect(latencyGroups(nov)).toEqual([]);
    expect(latencyGroups(dec)).toEqual([['new', '2026-12-01']]);
    const stored = (await store.query({ from: '2026-11-01T00:00:00Z', to: '2026-12-02T00:00:00Z' })).filter((f) => f.detector === 'retry-latency');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.map((f) => f.evidence.last_retried_bucket)).toEqual(stored.map(() => undefined));
  });

  it('dates a retry-rate or retry-latency finding stored with last_retried_bucket at its window’s end', () => {
    // Prepare: a finding of the rolling day to 1 December 01:00, written with its last retried bucket of 30 November 23:45
    const evidence = { window: 'day', from: '2026-11-30T01:00:00Z', to: '2026-12-01T01:00:00Z', last_retried_bucket: '2026-11-30T23:00:00Z' };
    const latency = finding('retry-latency', 'search-api', '2026-12-01T01:00:00Z', { kind: 'route', evidence });
    const rate = finding('retry-rate', 'search-api', '2026-12-01T01:00:00Z', { kind: 'route', evidence });

    // Act
    const [latencyAt, rateAt] = [latency, rate].map(happenedAt);

    // Assess: both at their window's last millisecond, December's, whenever its last retry was
    expect([latencyAt, rateAt]).toEqual([Date.parse('2026-12-01T01:00:00Z') - 1, Date.parse('2026-12-01T01:00:00Z') - 1]);
  });
});

describe('a guard bypassed under a valid exception in the month', () => {
  it('is in Coverage, OK, as the exception review shows its bypass', async () => {
    // Prepare: approval-step bypassed on 10 November under EX-2, valid until February: no finding
    const config = validateConfig({ exceptions: [{ id: 'EX-2', guard: 'approval-step', reason: 'vendor onboarding', owner: 'carol@example.com', expires: '2027-02-01' }] });
    const store = new MemoryAuditStore();
    const at = Date.parse('2026-11-10T09:00:00Z');
    const body = { type: 'guard.bypass', ts: '2026-11-10T09:00:00Z', guard: 'approval-step', exception_id: 'EX-2', actor: 'ops-bot' } as unknown as EventBody;
    await processBatch([{ at, body, source: { origin: 'g.log', line: 1 }, format: 'json' as const }], REDUCERS, store, { config, clock: { now: () => at + 1000 } });

    // Act
    const { report } = await createMonthlyReport('2026-11', { findings: store, runs: store, catalog: store, config, clock: { now: () => Date.parse('2026-12-01T06:00:00Z') } });

    // Assess
    expect(report.findings).toEqual([]);
    expect(report.coverage.rows.map((r) => [r.kind, r.name, r.status, r.lastSeen])).toEqual([['guard', 'approval-step', 'ok', '2026-11-10T09:00:00Z']]);
    expect(report.coverage.counts).toMatchObject({ monitored: 1, ok: 1 });
  });
});
