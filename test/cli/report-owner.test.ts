import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReport } from '../../lambdas/cli/report-command.ts';
import { loadConfig } from '../../lambdas/config.ts';
import type { AuditReport } from '../../lambdas/core/report/model.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Three teams' jobs, one unowned job and one job only seen in the logs; each fails once on 10 October, and two fail again later. */
const CONFIG_YAML = [
  'jobs:',
  '  billing: { owner: team01@example.com }',
  '  invoices: { owner: team01@example.com }',
  '  search-index: { owner: team02 }',
  '  mailer: {}',
  '',
].join('\n');

function failedRun(job: string, day: number): string[] {
  const at = `2026-10-${String(day).padStart(2, '0')}T03:00:`;
  return [JSON.stringify({ type: 'run.start', ts: `${at}00Z`, job, run_id: `${job}-${day}` }), JSON.stringify({ type: 'run.end', ts: `${at}30Z`, job, run_id: `${job}-${day}`, status: 'failed', exit_code: 1 })];
}

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'report-owner-'));
  writeFileSync(join(dir, 'silent-audit.config.yaml'), CONFIG_YAML);
  const lines = [...['billing', 'invoices', 'search-index', 'mailer', 'adhoc'].flatMap((job) => failedRun(job, 10)), ...failedRun('billing', 12), ...failedRun('adhoc', 14)];
  writeFileSync(join(dir, 'week.jsonl'), lines.sort((a, b) => (JSON.parse(a) as { ts: string }).ts.localeCompare((JSON.parse(b) as { ts: string }).ts)).join('\n') + '\n');
  return dir;
}

async function run(dir: string, owners?: string[], out?: string) {
  const config = loadConfig(undefined, dir);
  const stderr = new PassThrough();
  let said = '';
  stderr.on('data', (chunk: Buffer) => (said += chunk.toString('utf8')));
  const result = await runReport({ month: '2026-10', paths: [join(dir, 'week.jsonl')], config, owners, out, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') }, format: 'json', stdout: new PassThrough(), stderr });
  return { ...result, stderr: said };
}

async function reportOf(dir: string, owners?: string[]): Promise<AuditReport> {
  return (await run(dir, owners)).report!;
}

describe('report --owner', () => {
  it('reports only the subjects of the owner given, as the config names it, saying so in its headline in every format', () => {
    // Prepare
    const dir = folder();
    const run = (format: string) =>
      spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), 'report', '--month', '2026-10', '--now', '2026-11-01T06:00:00Z', '--owner', 'team01@example.com', '--format', format, 'week.jsonl'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      });

    // Act
    const [json, md, html] = ['json', 'md', 'html'].map(run);

    // Assess
    expect(json.stderr).not.toContain('unknown option');
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as AuditReport;
    expect(report.coverage.rows.map((r) => r.name).sort()).toEqual(['billing', 'invoices']);
    expect(report.findings.every((g) => g.subject === 'billing' || g.subject === 'invoices')).toBe(true);
    expect(report.summary.findings.current).toBe(3);
    expect(report.summary.headline).toMatch(/^owner: team01@example\.com — 2 of 5 subjects; October 2026: 3 findings/);
    expect(md.stdout).toContain('owner: team01@example.com — 2 of 5 subjects');
    expect(html.stdout).toContain('owner: team01@example.com — 2 of 5 subjects');
  });

  it('slices that add up to the whole: each owner’s report and the unowned one (none) sum to the full report’s findings and groups', async () => {
    // Prepare
    const dir = folder();
    const whole = await reportOf(dir);

    // Act
    const slices = await Promise.all([['team01@example.com'], ['team02'], ['none']].map((owners) => reportOf(dir, owners)));

    // Assess
    const sum = (of: (r: AuditReport) => number) => slices.reduce((n, r) => n + of(r), 0);
    expect(whole.summary.findings.current).toBe(7);
    expect(sum((r) => r.summary.findings.current)).toBe(whole.summary.findings.current);
    expect(sum((r) => r.findings.length)).toBe(whole.findings.length);
    expect(sum((r) => r.coverage.counts.monitored)).toBe(whole.coverage.counts.monitored);
    expect(slices[2].coverage.rows.map((r) => r.name).sort()).toEqual(['adhoc', 'mailer']);
  });

  it('takes --owner more than once', async () => {
    // Act
    const report = await reportOf(folder(), ['team02', 'none']);

    // Assess
    expect(report.coverage.rows.map((r) => r.name).sort()).toEqual(['adhoc', 'mailer', 'search-index']);
    expect(report.summary.headline).toMatch(/^owners: team02, none — 3 of 5 subjects; /);
  });

  it('refuses to write a slice as report-YYYY-MM.*, the name next month’s report reads as last month’s whole report', async () => {
    // Prepare
    const dir = folder();
    const out = join(dir, 'report-2026-10.json');

    // Act
    const result = await run(dir, ['team02'], out);

    // Assess
    expect(result.exitCode).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(result.stderr).toMatch(/report-2026-10\.json is the name of the whole report.*give the slice another name/);
  });

  it('warns when an owner given is no subject’s, naming the configured owners and the nearest', async () => {
    // Act
    const result = await run(folder(), ['team01@example.con', 'team02']);

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('warning: no subject has owner "team01@example.con" (did you mean "team01@example.com"?); the owners configured are: team01@example.com, team02, and none for the unowned');
    expect(result.stderr).not.toContain('owner "team02"');
  });
});

describe('report --owner of a job taken out of the config', () => {
  /** legacy (team03's) fails in September and October; the config names it for September's report, then no longer. */
  function movedOutFolder(): string {
    const dir = mkdtempSync(join(tmpdir(), 'report-owner-out-'));
    const lines = [...failedRun('billing', 10), ...failedRun('legacy', 10), ...failedRun('legacy', 11)];
    const september = lines.map((l) => l.replace('2026-10-', '2026-09-'));
    writeFileSync(join(dir, 'logs.jsonl'), [...september, ...lines].sort((a, b) => (JSON.parse(a) as { ts: string }).ts.localeCompare((JSON.parse(b) as { ts: string }).ts)).join('\n') + '\n');
    return dir;
  }

  async function reportWith(dir: string, configYaml: string, month: string, out: string, owners?: string[]) {
    writeFileSync(join(dir, 'silent-audit.config.yaml'), configYaml);
    const stderr = new PassThrough();
    let said = '';
    stderr.on('data', (chunk: Buffer) => (said += chunk.toString('utf8')));
    const [year, mm] = month.split('-').map(Number);
    const reportAt = Date.UTC(year, mm, 1, 6);
    const result = await runReport({ month, paths: [join(dir, 'logs.jsonl')], config: loadConfig(undefined, dir), owners, out: join(dir, out), clock: { now: () => reportAt }, stdout: new PassThrough(), stderr });
    return { ...result, stderr: said };
  }

  it('does not warn of an owner whose only subject is a job taken out of the config, last month’s report naming them its owner', async () => {
    // Prepare: September's whole report, made while the config named legacy's owner
    const dir = movedOutFolder();
    await reportWith(dir, 'jobs:\n  billing: { owner: team01 }\n  legacy: { owner: team03 }\n', '2026-09', 'report-2026-09.json');

    // Act: October's slice for team03, legacy no longer in the config
    const result = await reportWith(dir, 'jobs:\n  billing: { owner: team01 }\n', '2026-10', 'report-2026-10-team03.json', ['team03']);

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.report!.findings.map((g) => g.subject)).toContain('legacy');
    expect(result.report!.findings.every((g) => g.subject === 'legacy' && g.correctiveAction.owner === 'team03')).toBe(true);
    expect(result.stderr).not.toContain('no subject has owner');
  });

  it('still warns of an owner last month’s report named for a job the config names with another owner now', async () => {
    // Prepare: September's report names team03 for legacy; October's config gives legacy to team04
    const dir = movedOutFolder();
    await reportWith(dir, 'jobs:\n  billing: { owner: team01 }\n  legacy: { owner: team03 }\n', '2026-09', 'report-2026-09.json');

    // Act
    const result = await reportWith(dir, 'jobs:\n  billing: { owner: team01 }\n  legacy: { owner: team04 }\n', '2026-10', 'report-2026-10-team03.json', ['team03']);

    // Assess
    expect(result.report!.findings).toEqual([]);
    expect(result.stderr).toContain('warning: no subject has owner "team03" (did you mean "team01", "team04"?); the owners configured are: team01, team04, and none for the unowned');
  });
});
