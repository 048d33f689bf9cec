import { describe, expect, it } from 'vitest';
import { buildReport, unknownOwnerNotes } from '../../lambdas/core/report/build-report.ts';
import { unknownOwnerNote } from '../../lambdas/core/report/owner-slice.ts';
import { renderHtml } from '../../lambdas/core/report/render-html.ts';
import { renderMarkdown } from '../../lambdas/core/report/render-markdown.ts';
import { renderJson } from '../../lambdas/core/report/render-json.ts';
import { carriedFromJson } from '../../lambdas/core/report/monthly-report.ts';
import { CONFIG, octoberInput } from './report-fixtures.ts';

/** Every owner the fixture names (jobs, agents, routes, exceptions) and `none`, the unowned. */
const OWNERS = [
  ...new Set([
    ...[CONFIG.jobs, CONFIG.agents, CONFIG.routes].flatMap((section) => Object.values(section).map((s) => (s as { owner?: string }).owner)),
    ...(octoberInput().exceptions ?? []).map((e) => e.owner),
    ...CONFIG.exceptions.map((e) => e.owner),
  ]),
].filter((o): o is string => o !== undefined);

describe('a report sliced by owner', () => {
  it('holds only the subjects of the owner given, its headline saying it is a slice, in every format', () => {
    // Prepare
    const input = octoberInput({ owners: ['data-platform@example.com'] });

    // Act
    const report = buildReport(input);
    const whole = buildReport(octoberInput());

    // Assess
    expect(report.coverage.rows.map((r) => [r.kind, r.name])).toEqual([['job', 'nightly-backup']]);
    expect(new Set(report.findings.map((g) => g.subject))).toEqual(new Set(['nightly-backup']));
    expect(report.agents.rows ?? []).toEqual([]);
    expect(report.summary.headline).toMatch(new RegExp(`^owner: data-platform@example\\.com — 1 of ${whole.coverage.counts.monitored} subjects; `));
    expect(report.summary.findings.current).toBe(report.findings.reduce((n, g) => n + g.condition.occurrences, 0));
    expect(renderMarkdown(report)).toContain('owner: data-platform@example.com — 1 of');
    expect(renderHtml(report)).toContain('owner: data-platform@example.com — 1 of');
    expect(report.charts.perSubject.map((s) => s.label)).toEqual(['nightly-backup']);
  });

  it('adds up to the whole: each owner’s slice and the unowned one sum to the full report’s findings, groups and subjects', () => {
    // Prepare
    const whole = buildReport(octoberInput());

    // Act
    const slices = [...OWNERS, 'none'].map((owner) => buildReport(octoberInput({ owners: [owner] })));

    // Assess
    const sum = (of: (r: typeof whole) => number) => slices.reduce((n, r) => n + of(r), 0);
    expect(sum((r) => r.summary.findings.current)).toBe(whole.summary.findings.current);
    expect(sum((r) => r.summary.findings.previous)).toBe(whole.summary.findings.previous);
    expect(sum((r) => r.findings.length)).toBe(whole.findings.length);
    expect(sum((r) => r.coverage.counts.monitored)).toBe(whole.coverage.counts.monitored);
    expect(sum((r) => r.exceptions.rows.length)).toBe(whole.exceptions.rows.length);
    expect(whole.findings.length).toBeGreaterThan(3);
  });

  it('adds up with last month’s carried groups and snoozes: a carried group still unverified, and a snooze, are in their owner’s slice alone', () => {
    // Prepare
    const carried = [{ detector: 'missed-run', subject: 'weekly-digest', status: 'unverified' as const, openSince: '2026-08', due: '2026-09-15', owner: 'growth@example.com' }];
    const snoozes = [{ id: 'SN-1', subject: 'nightly-backup', owner: 'alice@example.com', reason: 'bucket migration', until: '2026-10-20T00:00:00Z', status: 'active' as const, origin: 'cli' as const, created_at: '2026-10-01T00:00:00Z' }];
    const whole = buildReport(octoberInput({ carried, snoozes }));

    // Act
    const slices = [...OWNERS, 'none'].map((owner) => ({ owner, report: buildReport(octoberInput({ carried, snoozes, owners: [owner] })) }));

    // Assess
    const holding = (of: (r: typeof whole) => boolean) => slices.filter((s) => of(s.report)).map((s) => s.owner);
    expect(holding((r) => r.findings.some((g) => g.subject === 'weekly-digest' && g.detector === 'missed-run'))).toEqual(['growth@example.com']);
    expect(holding((r) => r.silenced.snoozes.length > 0)).toEqual(['data-platform@example.com']);
    expect(slices.reduce((n, s) => n + s.report.findings.length, 0)).toBe(whole.findings.length);
    expect(slices.reduce((n, s) => n + s.report.silenced.snoozes.length, 0)).toBe(whole.silenced.snoozes.length);
  });

  it('slices a job taken out of the config by the owner last month’s report named for it, as the report shows it', () => {
    // Prepare
    const { 'weekly-digest': _gone, ...jobs } = CONFIG.jobs as Record<string, unknown>;
    const config = { ...CONFIG, jobs } as typeof CONFIG;
    const carried = [{ detector: 'error-keyword', subject: 'weekly-digest', status: 'new' as const, openSince: '2026-09', due: '2026-10-15', owner: 'growth@example.com' }];
    const digest = (owners?: string[]) => buildReport(octoberInput({ config, carried, ...(owners ? { owners } : {}) })).findings.filter((g) => g.subject === 'weekly-digest');

    // Act
    const whole = digest();
    const growth = digest(['growth@example.com']);
    const unowned = digest(['none']);

    // Assess
    expect(whole.length).toBeGreaterThan(0);
    expect(whole.every((g) => g.correctiveAction.owner === 'growth@example.com')).toBe(true);
    expect(growth.map((g) => g.id)).toEqual(whole.map((g) => g.id));
    expect(unowned).toEqual([]);
  });

  it('does not warn of the owner last month’s report named for a job taken out of the config, whose slice holds it; warns of one the config overrides', () => {
    // Prepare
    const { 'weekly-digest': _gone, ...jobs } = CONFIG.jobs as Record<string, unknown>;
    const config = { ...CONFIG, jobs } as typeof CONFIG;
    const carried = [
      { detector: 'error-keyword', subject: 'weekly-digest', status: 'new' as const, openSince: '2026-09', due: '2026-10-15', owner: 'newsletter@example.com' },
      { detector: 'error-keyword', subject: 'nightly-backup', status: 'new' as const, openSince: '2026-09', due: '2026-10-15', owner: 'storage@example.com' },
    ];
    const input = (owners: string[]) => octoberInput({ config, carried, owners });

    // Act
    const gone = unknownOwnerNotes(input(['newsletter@example.com']));
    const overridden = unknownOwnerNotes(input(['storage@example.com']));

    // Assess
    expect(buildReport(input(['newsletter@example.com'])).findings.map((g) => g.subject)).toContain('weekly-digest');
    expect(gone).toEqual([]);
    expect(buildReport(input(['storage@example.com'])).findings).toEqual([]);
    expect(overridden).toHaveLength(1);
    expect(overridden[0]).toMatch(/^no subject has owner "storage@example\.com"; the owners configured are: .*; last month's report names newsletter@example\.com for subjects no longer in the config$/);
  });

  it('counts a carried owner in the owner note only for a subject out of the config with no owner configured, a blank one for none', () => {
    // Prepare
    const { 'weekly-digest': _gone, ...jobs } = CONFIG.jobs as Record<string, unknown>;
    const config = { ...CONFIG, jobs } as typeof CONFIG;
    const carried = new Map([
      ['job#weekly-digest', 'newsletter@example.com'],
      ['job#nightly-backup', 'storage@example.com'],
      ['job#left-too', '  '],
    ]);

    // Act
    const note = (owner: string) => unknownOwnerNote(owner, config, [], carried);

    // Assess
    expect(note('newsletter@example.com')).toBeUndefined();
    expect(note('newsletter@example.con')).toMatch(/did you mean "newsletter@example\.com"\?/);
    expect(note('storage@example.com')).toMatch(/^no subject has owner "storage@example\.com"/);
    expect(note('  ')).toMatch(/^no subject has owner "  "/);
    expect(unknownOwnerNote('newsletter@example.com', config)).toMatch(/^no subject has owner/);
  });

  it('puts a subject whose owner is blank (owner: "") in the unowned slice, as the report shows it unassigned', () => {
    // Prepare
    const config = { ...CONFIG, jobs: { ...CONFIG.jobs, 'nightly-backup': { ...CONFIG.jobs['nightly-backup'], owner: '  ' } } };

    // Act
    const unowned = buildReport(octoberInput({ config, owners: ['none'] }));
    const whole = buildReport(octoberInput({ config }));

    // Assess
    expect(unowned.coverage.rows.map((r) => r.name)).toContain('nightly-backup');
    expect(whole.coverage.rows.find((r) => r.name === 'nightly-backup')?.owner).toBeUndefined();
  });

  it('takes several owners at once, and says none of them when no subject is theirs', () => {
    // Act
    const two = buildReport(octoberInput({ owners: ['data-platform@example.com', 'search@example.com'] }));
    const nobody = buildReport(octoberInput({ owners: ['nobody@example.com'] }));

    // Assess
    expect(two.coverage.rows.map((r) => r.name).sort()).toEqual(['nightly-backup', 'search-api']);
    expect(two.summary.headline).toMatch(/^owners: data-platform@example\.com, search@example\.com — 2 of \d+ subjects; /);
    expect(nobody.findings).toEqual([]);
    expect(nobody.summary.headline).toMatch(/^owner: nobody@example\.com — 0 of \d+ subjects; /);
  });

  it('is never read back as last month’s whole report: a sliced JSON carries no group, and says why', () => {
    // Prepare
    const json = renderJson(buildReport(octoberInput({ owners: ['data-platform@example.com'] })));

    // Act
    const read = carriedFromJson(json, '2026-10');

    // Assess
    expect(read.carried).toBeUndefined();
    expect(read.note).toMatch(/2026-10 report is a slice \(owner: data-platform@example\.com — 1 of \d+ subjects\), not the whole report/);
  });
});
