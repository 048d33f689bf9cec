import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import { buildReport } from '../../lambdas/core/report/build-report.ts';
import { createMonthlyReport } from '../../lambdas/core/report/monthly-report.ts';
import { renderHtml } from '../../lambdas/core/report/render-html.ts';
import { renderMarkdown } from '../../lambdas/core/report/render-markdown.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { MemorySnoozeStore } from '../../lambdas/adapters/memory-snooze-store.ts';
import type { FindingStore, Snooze } from '../../lambdas/ports.ts';
import { configSnoozes } from '../../lambdas/core/snooze.ts';
import { CONFIG, clock, finding, octoberInput, RAW_CONFIG } from './report-fixtures.ts';

const snooze = (overrides: Partial<Snooze> & Pick<Snooze, 'id' | 'subject' | 'until'>): Snooze => ({
  owner: 'ops@example.com',
  reason: 'storage migration',
  status: 'active',
  origin: 'cli',
  created_by: 'alice',
  ...overrides,
});

describe('the report says what silenced alerts in the month', () => {
  it('lists each snooze that overlapped the month with who, why, from/until and the findings it held back, and flags a long one as an exception', () => {
    // Prepare: a 3-day snooze on etl-loader around its run-failed of 3 October; a 20-day snooze on nightly-backup still active at the month's end; one of September only.
    const snoozes = [
      snooze({ id: 'SZ-short', subject: 'etl-loader', detector: 'run-failed', created_at: '2026-10-02T00:00:00Z', until: '2026-10-05T00:00:00Z' }),
      snooze({ id: 'SZ-long', subject: 'nightly-backup', created_at: '2026-10-20T00:00:00Z', until: '2026-11-09T00:00:00Z', reason: 'backup rework' }),
      snooze({ id: 'SZ-old', subject: 'etl-loader', created_at: '2026-09-01T00:00:00Z', until: '2026-09-03T00:00:00Z' }),
    ];
    const findings = [finding('run-failed', 'etl-loader', '2026-10-03T04:00:00Z'), ...['2026-10-21', '2026-10-22'].map((d) => finding('output-shrink', 'nightly-backup', `${d}T02:31:00Z`)), finding('run-failed', 'etl-loader', '2026-10-17T04:00:00Z')];

    // Act
    const report = buildReport(octoberInput({ findings, snoozes }));

    // Assess
    const s = report.silenced;
    expect(s.snoozes.map((x) => x.id)).toEqual(['SZ-short', 'SZ-long']);
    expect(s.snoozes[0]).toMatchObject({ subject: 'etl-loader', detector: 'run-failed', owner: 'ops@example.com', reason: 'storage migration', from: '2026-10-02T00:00:00Z', until: '2026-10-05T00:00:00Z', activeAtEnd: false, heldFindings: 1 });
    expect(s.snoozes[1]).toMatchObject({ activeAtEnd: true, heldFindings: 2, createdBy: 'alice' });
    expect(s.heldFindings).toBe(3);
    expect(s.held).toEqual([
      { detector: 'output-shrink', subject: 'nightly-backup', held: 2, of: 2, by: ['SZ-long'] },
      { detector: 'run-failed', subject: 'etl-loader', held: 1, of: 2, by: ['SZ-short'] },
    ]);
    expect(s.exceptions).toEqual([expect.stringMatching(/^SZ-long \(snooze on nightly-backup\): 20 days, longer than 7 days/)]);
    expect(s.snoozes[1].exception).toBe(s.exceptions[0]);
    const md = renderMarkdown(report);
    expect(md).toContain('## Silenced alerts');
    expect(md).toMatch(/SZ-long.*backup rework/);
    expect(md).toContain(s.exceptions[0].replace(/[\\`*_[\]<>|#~!]/g, (c) => `\\${c}`));
    expect(renderHtml(report)).toContain('<h2 id="silenced-h">Silenced alerts</h2>');
  });

  it('counts a snooze ended early only to its end, and snoozes renewed back to back past 7 days as one exception', () => {
    // Prepare: one ended by hand after a day; three 3-day snoozes on cache-warmer one after another (9 days).
    const snoozes = [
      snooze({ id: 'SZ-ended', subject: 'etl-loader', created_at: '2026-10-16T00:00:00Z', until: '2026-10-25T00:00:00Z', status: 'ended', ended_at: '2026-10-17T00:00:00Z', ended_by: 'bob', end_reason: 'fixed' }),
      ...[1, 4, 7].map((d, i) => snooze({ id: `SZ-c${i}`, subject: 'cache-warmer', created_at: `2026-10-0${d}T00:00:00Z`, until: `2026-10-${String(d + 3).padStart(2, '0')}T00:00:00Z` })),
    ];
    const findings = [finding('run-failed', 'etl-loader', '2026-10-17T04:00:00Z')];

    // Act
    const s = buildReport(octoberInput({ findings, snoozes })).silenced;

    // Assess
    expect(s.snoozes.find((x) => x.id === 'SZ-ended')).toMatchObject({ endedAt: '2026-10-17T00:00:00Z', endedBy: 'bob', heldFindings: 0, activeAtEnd: false });
    expect(s.snoozes.filter((x) => x.exception !== undefined)).toEqual([]);
    expect(s.exceptions).toEqual([expect.stringMatching(/cache-warmer.*snoozed back to back.*SZ-c0, SZ-c1, SZ-c2.*9 days/)]);
  });

  it('lists the configured maintenance windows with the findings they held back, a snooze first as the alert policy does', () => {
    // Prepare
    const config = validateConfig(
      { ...RAW_CONFIG, maintenance_windows: [{ name: 'patch-night', subjects: ['etl-loader'], cron: '0 4 * * 6', duration_minutes: 120, until: '2027-06-01T00:00:00Z', owner: 'ops@example.com', reason: 'OS patching' }] },
      'test',
    );
    const findings = [finding('run-failed', 'etl-loader', '2026-10-03T04:00:00Z'), finding('run-failed', 'etl-loader', '2026-10-06T04:00:00Z')];

    // Act
    const s = buildReport(octoberInput({ findings, config, snoozes: [] })).silenced;

    // Assess: 3 October is a Saturday, 6 October a Tuesday.
    expect(s.windows).toEqual([expect.objectContaining({ name: 'patch-night', subjects: ['etl-loader'], cron: '0 4 * * 6', durationMinutes: 120, heldFindings: 1, owner: 'ops@example.com', reason: 'OS patching' })]);
    expect(s.held).toEqual([{ detector: 'run-failed', subject: 'etl-loader', held: 1, of: 2, by: ['patch-night'] }]);
    expect(s.exceptions).toEqual([]);
  });

  it('reads the stored snoozes and the config\'s, as the deployed report and the CLI do', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    const stored = [finding('run-failed', 'etl-loader', '2026-10-03T04:00:00Z')];
    const findings = { query: async () => stored } as unknown as FindingStore;
    const snoozes = new MemorySnoozeStore();
    await snoozes.add(snooze({ id: 'SZ-stored', subject: 'etl-loader', created_at: '2026-10-02T00:00:00Z', until: '2026-10-05T00:00:00Z' }));

    // Act
    const { report } = await createMonthlyReport('2026-10', { findings, runs: store, catalog: store, snoozes, config: CONFIG, clock });

    // Assess
    expect(report.silenced.snoozes).toEqual([expect.objectContaining({ id: 'SZ-stored', heldFindings: 1 })]);
  });

  it('redacts a maintenance window\'s owner and reason as a snooze\'s are, in the md, html and json', () => {
    // Prepare: a window and a config snooze whose reasons hold a secret the config's redact patterns match.
    const reason = 'rotating password=hunter2secret';
    const config = validateConfig(
      {
        ...RAW_CONFIG,
        snoozes: [{ subject: 'etl-loader', owner: 'o@example.com', reason, until: '2026-10-05T00:00:00Z' }],
        maintenance_windows: [{ name: 'w1', subjects: ['etl-loader'], start: '2026-10-03T00:00:00Z', end: '2026-10-04T00:00:00Z', owner: 'o@example.com', reason }],
      },
      'test',
    );

    // Act
    const report = buildReport(octoberInput({ config, snoozes: undefined }));

    // Assess
    expect(report.silenced.windows).toHaveLength(1);
    expect(report.silenced.windows[0].reason).toBe(report.silenced.snoozes[0].reason);
    expect(report.silenced.windows[0].reason).not.toContain('hunter2secret');
    for (const text of [renderMarkdown(report), renderHtml(report), JSON.stringify(report)]) expect(text).not.toContain('hunter2secret');
  });

  it('reports renewals that follow a snooze already flagged as long when the chain is longer than that snooze', () => {
    // Prepare: an 8-day snooze on cache-warmer (an exception of its own), then seven 3-day renewals back to back: 29 days in all.
    const snoozes = [
      snooze({ id: 'SZ-long', subject: 'cache-warmer', created_at: '2026-10-01T00:00:00Z', until: '2026-10-09T00:00:00Z' }),
      ...[9, 12, 15, 18, 21, 24, 27].map((d, i) => snooze({ id: `SZ-r${i}`, subject: 'cache-warmer', created_at: `2026-10-${String(d).padStart(2, '0')}T00:00:00Z`, until: `2026-10-${String(d + 3).padStart(2, '0')}T00:00:00Z` })),
    ];

    // Act
    const s = buildReport(octoberInput({ findings: [], snoozes })).silenced;

    // Assess
    expect(s.exceptions).toEqual([
      expect.stringMatching(/^SZ-long \(snooze on cache-warmer\): 8 days/),
      expect.stringMatching(/cache-warmer snoozed back to back by SZ-long, SZ-r0, .*SZ-r6: 29 days from 2026-10-01/),
    ]);
  });

  it('counts the findings a config file\'s snooze covers as ones it may have held, apart from those held for certain', () => {
    // Prepare: a config snooze (its start not recorded) on etl-loader, a stored one on nightly-backup; a finding of each.
    const config = validateConfig({ ...RAW_CONFIG, snoozes: [{ id: 'cfg-1', subject: 'etl-loader', owner: 'o@example.com', reason: 'x', until: '2026-10-20T00:00:00Z' }] }, 'test');
    const stored = snooze({ id: 'SZ-1', subject: 'nightly-backup', created_at: '2026-10-02T00:00:00Z', until: '2026-10-05T00:00:00Z' });
    const findings = [finding('run-failed', 'etl-loader', '2026-10-01T00:30:00Z'), finding('output-shrink', 'nightly-backup', '2026-10-03T02:31:00Z')];
    const withConfig = [...configSnoozes(config), stored];

    // Act
    const report = buildReport(octoberInput({ config, snoozes: withConfig, findings }));

    // Assess
    const s = report.silenced;
    expect(s.heldFindings).toBe(1);
    expect(s.mayHaveHeldFindings).toBe(1);
    expect(s.snoozes.find((x) => x.id === 'cfg-1')).toMatchObject({ heldFindings: 0, mayHaveHeldFindings: 1 });
    expect(s.snoozes.find((x) => x.id === 'SZ-1')).toMatchObject({ heldFindings: 1 });
    expect(s.held).toEqual([
      { detector: 'output-shrink', subject: 'nightly-backup', held: 1, of: 1, by: ['SZ-1'] },
      { detector: 'run-failed', subject: 'etl-loader', held: 0, mayHaveHeld: 1, of: 1, by: ['cfg-1'] },
    ]);
    expect(s.consequence).toMatch(/1 more may have been held back by a snooze of the config file/);
    expect(renderMarkdown(report)).toMatch(/\| cfg-1 \|.*\| may have held 1 \|/);
  });

  it('redacts a maintenance window\'s name in its row, its exception and the held line, in the md, html and json', () => {
    // Prepare: a 9-day window whose name holds a secret the config's redact patterns match, over a finding of etl-loader.
    const config = validateConfig(
      { ...RAW_CONFIG, maintenance_windows: [{ name: 'db rotate password=hunter2secret', subjects: ['etl-loader'], start: '2026-10-03T00:00:00Z', end: '2026-10-12T00:00:00Z', owner: 'o@example.com', reason: 'r' }] },
      'test',
    );

    // Act
    const report = buildReport(octoberInput({ config, snoozes: [], findings: [finding('run-failed', 'etl-loader', '2026-10-03T05:00:00Z')] }));

    // Assess
    const s = report.silenced;
    expect(s.windows).toEqual([expect.objectContaining({ heldFindings: 1 })]);
    expect(s.windows[0].name).toMatch(/^db rotate /);
    expect(s.held).toEqual([expect.objectContaining({ held: 1, by: [s.windows[0].name] })]);
    expect(s.exceptions).toEqual([expect.stringMatching(/maintenance window on etl-loader/)]);
    for (const text of [renderMarkdown(report), renderHtml(report), JSON.stringify(report)]) expect(text).not.toContain('hunter2secret');
  });

  it('reports a chain of back-to-back snoozes crossing the month\'s boundary in each month it overlaps', () => {
    // Prepare: cache-warmer snoozed 24 to 30 September 23:30, renewed 1 October 00:10 to 7 October: 13 days in a row, each link under 7 days.
    const snoozes = [
      snooze({ id: 'SZ-sep', subject: 'cache-warmer', created_at: '2026-09-24T00:00:00Z', until: '2026-09-30T23:30:00Z' }),
      snooze({ id: 'SZ-oct', subject: 'cache-warmer', created_at: '2026-10-01T00:10:00Z', until: '2026-10-07T00:00:00Z' }),
    ];

    // Act
    const october = buildReport(octoberInput({ findings: [], snoozes })).silenced;
    const september = buildReport(octoberInput({ month: '2026-09', findings: [], snoozes })).silenced;

    // Assess
    const chain = /^cache-warmer snoozed back to back by SZ-sep, SZ-oct: 13 days from 2026-09-24/;
    expect(october.snoozes.map((x) => x.id)).toEqual(['SZ-oct']);
    expect(october.exceptions).toEqual([expect.stringMatching(chain)]);
    expect(september.snoozes.map((x) => x.id)).toEqual(['SZ-sep']);
    expect(september.exceptions).toEqual([expect.stringMatching(chain)]);
  });

  it('says how many findings were held back for certain and how many a config file\'s snooze may have held', () => {
    // Prepare: a config snooze on etl-loader (its start not recorded) over one finding, then two.
    const config = validateConfig({ ...RAW_CONFIG, snoozes: [{ id: 'cfg-1', subject: 'etl-loader', owner: 'o@example.com', reason: 'x', until: '2026-10-20T00:00:00Z' }] }, 'test');
    const findings = (n: number) => Array.from({ length: n }, (_, i) => finding('run-failed', 'etl-loader', `2026-10-0${i + 2}T00:30:00Z`, { run_id: `r${i}` }));

    // Act
    const one = buildReport(octoberInput({ config, snoozes: undefined, findings: findings(1) }));
    const two = buildReport(octoberInput({ config, snoozes: undefined, findings: findings(2) }));

    // Assess
    const line = 'Findings whose alert was held back: run-failed on etl-loader 0 of 1 for certain, 1 may have been (cfg-1).';
    expect(renderMarkdown(one)).toContain(line);
    expect(renderHtml(one)).toContain('run-failed on <strong>etl-loader</strong> 0 of 1 for certain, 1 may have been (cfg-1).');
    expect(one.silenced.consequence).toMatch(/its start is not recorded: it may have been added after the finding\)\.$/);
    expect(two.silenced.consequence).toMatch(/its start is not recorded: it may have been added after the findings\)\.$/);
  });

  it('reads a snooze just over 7 days as longer than 7, and a one-off window\'s time as the other columns do', () => {
    // Prepare: a snooze of 7 days and 1 hour; a one-off window of a day.
    const config = validateConfig(
      { ...RAW_CONFIG, maintenance_windows: [{ name: 'w1', subjects: ['etl-loader'], start: '2026-10-03T00:00:00Z', end: '2026-10-04T00:00:00Z', owner: 'o@example.com', reason: 'r' }] },
      'test',
    );
    const snoozes = [snooze({ id: 'SZ-7', subject: 'cache-warmer', created_at: '2026-10-02T00:00:00Z', until: '2026-10-09T01:00:00Z' })];

    // Act
    const report = buildReport(octoberInput({ config, findings: [], snoozes }));

    // Assess
    expect(report.silenced.exceptions).toEqual([expect.stringMatching(/^SZ-7 \(snooze on cache-warmer\): 7\.1 days, longer than 7 days/)]);
    expect(renderMarkdown(report)).toMatch(/\| w1 \| etl-loader \| 2026-10-03 00:00 to 2026-10-04 00:00 \|/);
  });
});
