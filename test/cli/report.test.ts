import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../lambdas/cli/program.ts';
import { endsEarlyNote, formatFor, runReport } from '../../lambdas/cli/report-command.ts';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import type { AuditReport } from '../../lambdas/core/report/model.ts';
import { REPORT_SECTIONS } from '../../lambdas/core/report/model.ts';
import { octoberMonthWindowLines } from '../helpers/events.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/instrumented/${name}`, import.meta.url));
const agentFixture = (name: string) => fileURLToPath(new URL(`../fixtures/agents/${name}`, import.meta.url));

/** Five runs of support-bot at $0.09 each, then run sb-906, which spends $2.00 in ten LLM calls on 9 October and never logs its end. */
function costlyRunThatNeverEnds(): string[] {
  const line = (at: string, body: object) => JSON.stringify({ ts: at, agent: 'support-bot', ...body });
  const lines: string[] = [];
  for (let day = 2; day <= 6; day++) {
    const run_id = `sb-90${day - 1}`;
    lines.push(line(`2026-10-0${day}T09:00:00Z`, { type: 'agent.start', run_id }));
    lines.push(line(`2026-10-0${day}T09:00:02Z`, { type: 'agent.action', run_id, action: 'llm_call', cost_usd: 0.09 }));
    lines.push(line(`2026-10-0${day}T09:00:10Z`, { type: 'agent.end', run_id, status: 'ok' }));
  }
  lines.push(line('2026-10-09T09:00:00Z', { type: 'agent.start', run_id: 'sb-906' }));
  for (let i = 1; i <= 10; i++) lines.push(line(`2026-10-09T09:00:${String(i * 2).padStart(2, '0')}Z`, { type: 'agent.action', run_id: 'sb-906', action: 'llm_call', cost_usd: 0.2 }));
  return lines;
}

/**
 * A job's daily run.start and run.end lines from `from` until before `until`, each run `durationMs`
 * long and named r<MM-DD>; `end` gives the run.end's other fields for the run started at `start`.
 */
function dailyRunLines(job: string, from: string, until: string, durationMs: number, end: (start: string) => Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (let at = Date.parse(from); at < Date.parse(until); at += 86_400_000) {
    const [start, ended] = [at, at + durationMs].map((t) => new Date(t).toISOString().replace('.000', ''));
    const run_id = `r${start.slice(5, 10)}`;
    lines.push(JSON.stringify({ type: 'run.start', ts: start, job, run_id }));
    lines.push(JSON.stringify({ type: 'run.end', ts: ended, job, run_id, ...end(start) }));
  }
  return lines;
}

/** The CLI as a user runs it, in a folder of its own (no config file, no store). */
function cli(args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), 'silent-audit-report-cli-'));
  const result = spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), 'report', ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { ...result, cwd };
}

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('silent-audit report (end to end)', () => {
  it('scans the given log files first and prints the month’s report as Markdown, exit 0', () => {
    // Act
    const { status, stdout, stderr } = cli(['--month', '2026-10', fixture('nightly-backup.jsonl'), fixture('etl-loader.log')]);

    // Assess
    expect(stderr).toContain('October 2026: 2 findings in 2 open groups across 2 subjects');
    expect(status).toBe(0);
    expect(stdout.startsWith('# Monthly audit report: October 2026\n')).toBe(true);
    expect(stdout.split('\n').filter((l) => l.startsWith('## '))).toEqual(REPORT_SECTIONS.map((s) => `## ${s.title}`));
    expect(stdout).toContain('### 1. HIGH · `empty-output` on nightly-backup · new');
    expect(stdout).toContain('### 2. HIGH · `run-failed` on etl-loader · new');
    expect(stdout).toContain('| job | etl-loader | **FINDINGS** | 3 | 1 | 3/5 | 1 high | _unassigned_ | too little history: 3 of 5 runs, so the baseline checks were not active yet (jobs.etl-loader.min\\_history sets how many) |');
  });

  it('writes HTML to --out, the format taken from the file name', () => {
    // Prepare
    const out = join(mkdtempSync(join(tmpdir(), 'silent-audit-report-out-')), 'reports', 'october.html');

    // Act
    const { status, stdout, stderr } = cli(['--month', '2026-10', '--out', out, fixture('nightly-backup.jsonl')]);

    // Assess
    expect(status).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain(`Wrote ${out}`);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const s of REPORT_SECTIONS) expect(html).toContain(`<h2 id="${s.id}-h">${s.title}</h2>`);
  });

  it('prints JSON with --format json, using the config file given', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-config-'));
    const config = join(dir, 'audit.yaml');
    writeFileSync(config, 'jobs:\n  nightly-backup:\n    owner: data-platform@example.com\n  monthly-close:\n    owner: finance@example.com\n');

    // Act
    const { status, stdout } = cli(['--month', '2026-10', '--format', 'json', '--config', config, fixture('nightly-backup.jsonl')]);

    // Assess
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as AuditReport;
    expect(report.findings.map((g) => [g.detector, g.subject, g.correctiveAction.owner])).toEqual([['empty-output', 'nightly-backup', 'data-platform@example.com']]);
    expect(report.coverage.rows.map((r) => [r.name, r.status])).toEqual([
      ['monthly-close', 'unknown'],
      ['nightly-backup', 'findings'],
    ]);
  });

  it('shows configured agents that ran only under another agent OK, not "no data", in Coverage and Agent budgets', () => {
    // Prepare: an orchestrator root run twice a day in October, calling researcher and planner as sub-agents.
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-subagents-'));
    const config = join(dir, 'audit.yaml');
    writeFileSync(config, 'agents:\n  orchestrator:\n    owner: alice\n  researcher:\n    owner: bob\n    budget:\n      max_actions: 10\n  planner:\n    owner: carol\n');
    const lines: string[] = [];
    for (let day = 1; day <= 31; day++) {
      for (const hour of ['00', '12']) {
        const at = (second: number) => `2026-10-${String(day).padStart(2, '0')}T${hour}:00:0${second}Z`;
        const root = `o-${day}-${hour}`;
        lines.push(JSON.stringify({ ts: at(0), type: 'agent.start', agent: 'orchestrator', run_id: root }));
        for (const [i, agent] of ['researcher', 'planner'].entries()) {
          const run_id = `${agent}-${day}-${hour}`;
          lines.push(
            JSON.stringify({ ts: at(1 + i * 3), type: 'agent.start', agent, run_id, parent_run_id: root }),
            JSON.stringify({ ts: at(2 + i * 3), type: 'agent.action', agent, run_id, action: 'llm_call' }),
            JSON.stringify({ ts: at(3 + i * 3), type: 'agent.end', agent, run_id, status: 'ok' }),
          );
        }
        lines.push(JSON.stringify({ ts: at(8), type: 'agent.end', agent: 'orchestrator', run_id: root, status: 'ok' }));
      }
    }
    const log = join(dir, 'agents.jsonl');
    writeFileSync(log, `${lines.join('\n')}\n`);

    // Act
    const { status, stdout } = cli(['--month', '2026-10', '--format', 'json', '--config', config, log]);

    // Assess
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as AuditReport;
    expect(report.coverage.rows.map((r) => [r.name, r.status, r.runsInMonth, r.lastSeen])).toEqual([
      ['orchestrator', 'ok', 62, '2026-10-31T12:00:08Z'],
      ['planner', 'ok', null, '2026-10-31T12:00:06Z'],
      ['researcher', 'ok', null, '2026-10-31T12:00:03Z'],
    ]);
    expect(report.coverage.rows.find((r) => r.name === 'researcher')?.reason).toMatch(/^ran as a sub-agent under orchestrator in October 2026 \(last 2026-10-31T12:00:03Z\)/);
    expect(report.agents.rows.map((r) => [r.name, r.status])).toEqual([
      ['orchestrator', 'ok'],
      ['planner', 'ok'],
      ['researcher', 'ok'],
    ]);
  });

  it('exits 2 on a usage error, saying what was expected', () => {
    // Act
    const { status, stderr } = cli(['--month', '2026-13', 'x.log']);

    // Assess
    expect(status).toBe(2);
    expect(stderr).toMatch(/--month <yyyy-mm>' argument '2026-13' is invalid\. expected a month as YYYY-MM/);
  });
});

describe('report options', () => {
  it.each([
    [['x.log'], 'commander.missingMandatoryOptionValue', /required option '--month <yyyy-mm>' not specified/],
    [['--month', '2026-10', '--format', 'pdf', 'x.log'], 'commander.invalidArgument', /argument 'pdf' is invalid\. Allowed choices are md, html, json/],
    [['--month', 'Oct', 'x.log'], 'commander.invalidArgument', /expected a month as YYYY-MM/],
    [['--month', '0050-01', 'x.log'], 'commander.invalidArgument', /argument '0050-01' is invalid\. its year is before 1970, the first a log can be from: expected a month as YYYY-MM, e.g\. 2026-10/],
    [['--month', '2026-10', '--now', 'end of October', 'x.log'], 'commander.invalidArgument', /'--now <iso>' argument 'end of October' is invalid\. expected an ISO-8601 time/],
  ])('refuses %j', async (args, code, message) => {
    // Prepare
    const program = buildProgram();
    let errors = '';
    program.commands.find((c) => c.name() === 'report')!.configureOutput({ writeErr: (text) => (errors += text), writeOut: () => undefined });

    // Act and Assess
    await expect(program.parseAsync(['node', 'silent-audit', 'report', ...args])).rejects.toMatchObject({ code });
    expect(errors).toMatch(message);
  });
});

describe('runReport', () => {
  it('carries a recurring group’s first due date over from the stored findings, overdue, with no report of last month beside it', async () => {
    // Prepare: loader runs daily from 20 September; it failed on 10 October and again on 20 November. No October report was written.
    const log = join(mkdtempSync(join(tmpdir(), 'silent-audit-report-due-')), 'loader.jsonl');
    const failed = (start: string) => start.startsWith('2026-10-10') || start.startsWith('2026-11-20');
    const lines = dailyRunLines('loader', '2026-09-20T03:00:05Z', '2026-12-01T00:00:00Z', 60_000, (start) => ({ exit_code: failed(start) ? 1 : 0, duration_ms: 60_000, output_bytes: 100, output_head: 'ok', output_tail: 'ok' }));
    writeFileSync(log, lines.join('\n') + '\n');
    const config = validateConfig({ jobs: { loader: { schedule: '0 3 * * *', owner: 'x@example.com' } } });

    // Act
    const result = await runReport({ month: '2026-11', paths: [log], config, clock: { now: () => Date.parse('2026-12-01T06:00:00Z') }, stdout: capture().stream, stderr: capture().stream });

    // Assess: October's report, on 1 November, gave it 7 days
    const group = result.report!.findings.find((g) => g.detector === 'run-failed')!;
    expect([group.status, group.openSince, group.correctiveAction.due, group.correctiveAction.overdue]).toEqual(['recurring', '2026-10', '2026-11-08', true]);
  });

  it('exits 2 for a month that has not begun, writing no empty month; the month under way is reported', async () => {
    // Prepare: a log of October 2026, and the report made on 15 November
    const log = join(mkdtempSync(join(tmpdir(), 'silent-audit-report-future-')), 'runs.jsonl');
    writeFileSync(log, JSON.stringify({ type: 'run.start', ts: '2026-10-05T00:00:00Z', job: 'nightly', run_id: 'r1' }) + '\n');
    const clock = { now: () => Date.parse('2026-11-15T10:00:00.250Z') };
    const [out, err, current] = [capture(), capture(), capture()];

    // Act
    const future = await runReport({ month: '2026-12', paths: [log], config: DEFAULT_CONFIG, clock, stdout: out.stream, stderr: err.stream });
    const underWay = await runReport({ month: '2026-11', paths: [log], config: DEFAULT_CONFIG, clock, stdout: current.stream, stderr: capture().stream });

    // Assess
    expect(future.exitCode).toBe(2);
    expect(err.text()).toBe('silent-audit report: December 2026 has not begun (the report is made as of 2026-11-15T10:00:00Z): a report of it would be an empty month (give --now to report as of another time)\n');
    expect(out.text()).toBe('');
    expect(underWay.exitCode).toBe(0);
    expect(current.text()).toContain('November 2026');
  });

  it("notes the lines of a Berlin cron host's syslog read as UTC while a job keeps Europe/Berlin, and reads them in --timezone with no run missed", async () => {
    // Prepare: a backup at 02:30 Berlin time every day of October 2026, as BSD syslog dates (no zone)
    const log = join(mkdtempSync(join(tmpdir(), 'silent-audit-report-tz-')), 'syslog');
    const lines = Array.from({ length: 31 }, (_, i) => `Oct ${String(i + 1).padStart(2, ' ')} 02:30:01 web1 CRON[${1000 + i}]: (root) CMD (/usr/local/bin/backup.sh)`);
    writeFileSync(log, lines.join('\n') + '\n');
    const config = validateConfig({ jobs: { '/usr/local/bin/backup.sh': { schedule: '30 2 * * *', timezone: 'Europe/Berlin' } } });
    const clock = { now: () => Date.parse('2026-11-15T10:00:00Z') };
    const [asUtc, inZone] = [capture(), capture()];

    // Act
    const utcReport = await runReport({ month: '2026-10', format: 'json', paths: [log], config, year: 2026, clock, stdout: capture().stream, stderr: asUtc.stream });
    const zoneReport = await runReport({ month: '2026-10', format: 'json', paths: [log], config, year: 2026, timeZone: 'Europe/Berlin', clock, stdout: capture().stream, stderr: inZone.stream });

    // Assess
    const missed = (r: typeof utcReport) => r.report!.findings.filter((g) => JSON.stringify(g).includes('"missed-run"')).length;
    expect(asUtc.text()).toContain("silent-audit report: note: 31 lines gave times with no zone (syslog dates, a ts without offset), read as UTC, while the config's jobs have timezone Europe/Berlin: if the hosts' clocks are on it, give --timezone Europe/Berlin\n");
    expect(missed(utcReport)).toBeGreaterThan(0);
    expect(inZone.text()).not.toContain('note:');
    expect(missed(zoneReport)).toBe(0);
  });

  it('exits 2 naming a log file that does not exist beside one that does (a typo), and writes nothing', async () => {
    // Prepare
    const out = capture();
    const err = capture();

    // Act
    const result = await runReport({ month: '2026-10', paths: [fixture('nope.log'), fixture('etl-loader.log')], config: DEFAULT_CONFIG, stdout: out.stream, stderr: err.stream });

    // Assess
    expect(result.exitCode).toBe(2);
    expect(err.text()).toContain('silent-audit report:');
    expect(err.text()).toContain('nope.log: no such file');
    expect(out.text()).toBe('');
  });

  it('exits 2 and writes no report when none of the log files given could be read, its hint piping into `report`', async () => {
    // Prepare: `{"ts":…,"type":"run.start",…}` as `xz` compresses it
    const xz = join(mkdtempSync(join(tmpdir(), 'silent-audit-report-xz-')), 'app.log.xz');
    writeFileSync(
      xz,
      Buffer.from(
        'fd377a585a000004e6d6b4460200210116000000742fe5a3e00054004c5d003d888a87715753856436705f6ac74bc38c8cb2e6ec972c2a5ec4d6f06dc5370c650fa70abe62420b44fa44ca1e8989e15fbdfa74ba33bdf3bbd6745067921df482aa7d5acf52c2db368f0000008e1942852dd90cf400016855fff1a3961fb6f37d010000000004595a',
        'hex',
      ),
    );
    const [out, err, withOther, otherErr] = [capture(), capture(), capture(), capture()];

    // Act
    const alone = await runReport({ month: '2026-10', paths: [xz], config: DEFAULT_CONFIG, stdout: out.stream, stderr: err.stream });
    const beside = await runReport({ month: '2026-10', paths: [xz, fixture('etl-loader.log')], config: DEFAULT_CONFIG, stdout: withOther.stream, stderr: otherErr.stream });

    // Assess: beside a file it reads, the report is made of that one
    expect(alone.exitCode).toBe(2);
    expect(err.text()).toBe(
      `silent-audit report: ${xz}: xz-compressed; decompress it first (xzcat ${xz} | silent-audit report -)\n` + 'silent-audit report: the file given could not be read: no report written\n',
    );
    expect(out.text()).toBe('');
    expect(beside.exitCode).toBe(0);
    expect(otherErr.text()).toContain(`(xzcat ${xz} | silent-audit report -)\n`);
    expect(withOther.text()).toContain('`run-failed` on etl-loader');
  });

  it('shows the control characters of a file name escaped in its error, and of log text in the Markdown it prints', async () => {
    // Prepare: a missing file whose name clears the screen; a log whose job name erases a row
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-esc-'));
    const log = join(dir, 'esc.jsonl');
    const job = 'nightly\u001b[2K\u001b[1Aevil';
    const line = (ts: string, body: object) => JSON.stringify({ ts, job, run_id: 'r1', ...body });
    writeFileSync(log, [line('2026-10-05T00:00:00Z', { type: 'run.start' }), line('2026-10-05T00:00:10Z', { type: 'run.end', exit_code: 2 })].join('\n') + '\n');
    const [missingErr, out, err] = [capture(), capture(), capture()];

    // Act
    const missing = await runReport({ month: '2026-10', paths: [join(dir, 'gone\u001b[2J.log')], config: DEFAULT_CONFIG, stdout: capture().stream, stderr: missingErr.stream });
    const printed = await runReport({ month: '2026-10', paths: [log], config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') }, stdout: out.stream, stderr: err.stream });

    // Assess
    expect(missing.exitCode).toBe(2);
    expect(missingErr.text()).toContain('gone\\x1b[2J.log');
    expect(printed.exitCode).toBe(0);
    expect(out.text()).toContain('nightly\\x1b\\[2K\\x1b\\[1Aevil');
    expect(out.text() + err.text() + missingErr.text()).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('without log files, exits 2 when there is no local store, and creates none', async () => {
    // Prepare: a folder that never held a store.
    const cwd = mkdtempSync(join(tmpdir(), 'silent-audit-report-no-store-'));
    const out = capture();
    const err = capture();

    // Act
    const result = await runReport({ month: '2026-10', paths: [], cwd, config: DEFAULT_CONFIG, stdout: out.stream, stderr: err.stream });

    // Assess: no empty month passed off as a real one, and nothing written.
    expect(result.exitCode).toBe(2);
    expect(err.text()).toBe(`silent-audit report: no store at ${join(cwd, '.silent-audit')}: run \`silent-audit scan --store local <log files>\` in this folder first, or give log files\n`);
    expect(out.text()).toBe('');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('reports on January 1970, the first month it takes, against an empty December 1969', async () => {
    // Prepare: a log of a run that failed on 5 January 1970.
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-1970-'));
    const log = join(dir, 'jan-1970.jsonl');
    const line = (ts: string, body: object) => JSON.stringify({ ts, job: 'nightly', run_id: '1', ...body });
    writeFileSync(log, [line('1970-01-05T00:00:00Z', { type: 'run.start' }), line('1970-01-05T00:00:10Z', { type: 'run.end', status: 'failed', exit_code: 2 })].join('\n') + '\n');
    const err = capture();

    // Act
    const result = await runReport({
      month: '1970-01',
      format: 'json',
      paths: [log],
      config: DEFAULT_CONFIG,
      clock: { now: () => Date.parse('1970-02-01T06:00:00Z') },
      stdout: capture().stream,
      stderr: err.stream,
    });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.report?.previousMonth).toBe('1969-12');
    expect(result.report?.summary.findings.previous).toBe(0);
    expect(result.report?.findings.map((g) => [g.detector, g.subject, g.status])).toEqual([['run-failed', 'nightly', 'new']]);
  });

  it("reports a route's month window, stamped midnight on the 1st, in the month it judged and not in the next", async () => {
    // Prepare: a route of which only October's month window fires, stamped 2026-11-01T00:00:00Z
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-window-'));
    const log = join(dir, 'search-api.jsonl');
    const lines = octoberMonthWindowLines();
    writeFileSync(log, `${lines.join('\n')}\n`);
    const report = (month: string, at: string) =>
      runReport({ month, format: 'json', paths: [log], config: DEFAULT_CONFIG, clock: { now: () => Date.parse(at) }, stdout: capture().stream, stderr: capture().stream });

    // Act
    const october = await report('2026-10', '2026-11-01T06:00:00Z');
    const november = await report('2026-11', '2026-12-01T06:00:00Z');

    // Assess
    expect(october.report?.findings.filter((g) => g.detector === 'retry-rate').map((g) => [g.status, g.condition.occurrences])).toEqual([['new', 1]]);
    expect(november.report?.summary.findings).toMatchObject({ current: 0 });
    expect(november.report?.findings.filter((g) => g.detector === 'retry-rate').map((g) => g.condition.occurrences)).toEqual([0]);
  });

  it("judges a route's month when the log ends minutes after it with a request begun in it still retrying", async () => {
    // Prepare: October of search-api (its month window fires), then request q-late fails at 23:59:50 and
    // again at 00:03 on 1 November, and the log ends at 00:05 with one more request: October waits for q-late
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-held-'));
    const log = join(dir, 'search-api.jsonl');
    const attempt = (ts: string, request_id: string, n: number, outcome: string) => JSON.stringify({ ts, type: 'attempt', route: 'search-api', request_id, attempt: n, outcome, latency_ms: 100 });
    const straddler = [attempt('2026-10-31T23:59:50Z', 'q-late', 1, 'timeout'), attempt('2026-11-01T00:03:00Z', 'q-late', 2, 'timeout'), attempt('2026-11-01T00:05:00Z', 'q-nov', 1, 'ok')];
    writeFileSync(log, `${[...octoberMonthWindowLines(), ...straddler].join('\n')}\n`);

    // Act
    const october = await runReport({ month: '2026-10', format: 'json', paths: [log], config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') }, stdout: capture().stream, stderr: capture().stream });

    // Assess: October's month is judged, as of its end, without the request still going on past it
    const monthly = october.report?.findings.filter((g) => g.detector === 'retry-rate') ?? [];
    expect(monthly.map((g) => [g.status, g.condition.occurrences])).toEqual([['new', 1]]);
    const evidence = Object.fromEntries((monthly[0]?.condition.evidence ?? []).map((e) => [e.key, e.max]));
    expect(evidence).toMatchObject({ requests: 310, retried: 62, failed: 0 });
  });

  it('dates the report with the given clock, so due dates count from it', async () => {
    // Prepare
    const out = capture();
    const err = capture();

    // Act
    const result = await runReport({
      month: '2026-10',
      format: 'json',
      paths: [fixture('nightly-backup.jsonl')],
      config: DEFAULT_CONFIG,
      clock: { now: () => Date.parse('2026-11-01T06:00:00Z') },
      stdout: out.stream,
      stderr: err.stream,
    });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.report?.generatedAt).toBe('2026-11-01T06:00:00Z');
    expect(result.report?.findings.map((g) => g.correctiveAction.due)).toEqual(['2026-11-08']);
  });

  it('counts and judges the requests still waiting for a retry when the log ends, in a month that is over', async () => {
    // Prepare: payments-api answers 100 requests, then the log ends in an outage: 30 requests timed out three times each
    const out = capture();

    // Act
    const result = await runReport({
      month: '2026-10',
      format: 'json',
      paths: [agentFixture('payments-outage-at-end.jsonl')],
      config: DEFAULT_CONFIG,
      clock: { now: () => Date.parse('2026-11-01T06:00:00Z') },
      stdout: out.stream,
      stderr: capture().stream,
    });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.report?.retries.rows.map((r) => [r.name, r.status, r.requests])).toEqual([['payments-api', 'findings', { total: 130, retried: 30 }]]);
    expect(result.report?.findings.map((g) => [g.detector, g.subject])).toEqual([['retry-rate', 'payments-api']]);
  });

  it('says when the log is out of time order that findings may be missing and route request counts inflated, as scan does', async () => {
    // Prepare: two hosts' logs concatenated (cat a.log b.log): a day of requests every 10 s whose first attempt
    // failed on host a, then their successful retries 2 s later on host b
    const start = Date.parse('2026-10-05T00:00:00Z');
    const attempt = (i: number, n: number) =>
      JSON.stringify({ ts: new Date(start + i * 10_000 + (n - 1) * 2000).toISOString(), type: 'attempt', route: 'search-api', request_id: `q${i}`, attempt: n, outcome: n === 1 ? 'error' : 'ok', latency_ms: 100 });
    const requests = Array.from({ length: 8640 }, (_, i) => i);
    const log = join(mkdtempSync(join(tmpdir(), 'silent-audit-report-ooo-')), 'cat.log');
    writeFileSync(log, [...requests.map((i) => attempt(i, 1)), ...requests.map((i) => attempt(i, 2))].join('\n') + '\n');
    const err = capture();

    // Act
    const result = await runReport({ month: '2026-10', format: 'json', paths: [log], config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') }, stdout: capture().stream, stderr: err.stream });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(err.text()).toMatch(/Out of time order: [\d,]+ events came after events of their own file up to [\d.]+ h later had been judged, so findings about them may be missing\./);
    expect(err.text()).toContain('Route request counts may be inflated');
    expect(err.text()).toContain('For full results give the input in time order, or each part as its own file');
  });

  it('judges an agent run that never logged its end as it stands, in a month that is over', async () => {
    // Prepare: support-bot run sb-900 makes 50 tool calls against a budget of 20 and never ends
    const out = capture();

    // Act
    const result = await runReport({
      month: '2026-10',
      format: 'json',
      paths: [agentFixture('support-bot-never-ends.jsonl')],
      config: DEFAULT_CONFIG,
      clock: { now: () => Date.parse('2026-11-01T06:00:00Z') },
      stdout: out.stream,
      stderr: capture().stream,
    });

    // Assess
    expect(result.report?.findings.map((g) => [g.detector, g.subject])).toEqual([
      ['budget-exceeded', 'support-bot'],
      ['run-unfinished', 'support-bot'],
    ]);
    expect(result.report?.summary.headline).toMatch(/^October 2026: 2 findings in 2 open groups/);
    // The run that never ended is one of the agent's runs in October, though it wrote no run record.
    expect(result.report?.coverage.rows.filter((r) => r.kind === 'agent').map((r) => [r.name, r.runsInMonth, r.failedRuns])).toEqual([['support-bot', 1, 0]]);
  });

  it('judges the cost of an agent run that never ended as it stands, in a month that is over, and leaves it to the sweep\'s hour of quiet before', async () => {
    // Prepare: five runs of support-bot at $0.09, then sb-906 spends $2.00 on 9 October and never logs its end
    const file = join(mkdtempSync(join(tmpdir(), 'report-agent-')), 'support-bot.jsonl');
    writeFileSync(file, costlyRunThatNeverEnds().join('\n') + '\n');
    const reportAt = async (iso: string) =>
      (await runReport({ month: '2026-10', format: 'json', paths: [file], config: DEFAULT_CONFIG, clock: { now: () => Date.parse(iso) }, stdout: capture().stream, stderr: capture().stream }))
        .report;

    // Act
    const halfAnHourLater = await reportAt('2026-10-09T09:30:00Z');
    const anHourLater = await reportAt('2026-10-09T10:01:00Z');
    const monthOver = await reportAt('2026-11-01T06:00:00Z');

    // Assess
    expect(halfAnHourLater?.findings.map((g) => g.detector)).toEqual([]);
    expect(anHourLater?.findings.map((g) => g.detector)).toEqual(['cost-outlier', 'run-unfinished']);
    expect(monthOver?.findings.map((g) => [g.detector, g.subject, g.condition.examples.map((e) => e.text)])).toEqual([
      ['cost-outlier', 'support-bot', ['run sb-906 cost $2.00 so far (it never ended), 22.2× the median $0.09 of the previous 5 runs']],
      ['run-unfinished', 'support-bot', ['run sb-906 started 2026-10-09T09:00:00Z has logged no end after 543.0 h (max runtime 1.0 h, default 1 h)']],
    ]);
  });

  it('calls no run after the end of the log missed (its silence is UNKNOWN), with a --now after it too', async () => {
    // Prepare: an hourly job whose log ends on 20 October at 10:00
    const dir = mkdtempSync(join(tmpdir(), 'report-hourly-'));
    const file = join(dir, 'hourly.log');
    const lines: string[] = [];
    for (let hour = 0; hour <= 10; hour++) {
      const at = Date.parse('2026-10-20T00:00:05Z') + hour * 3_600_000;
      lines.push(JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job: 'hourly', run_id: `h-${hour}` }));
      lines.push(JSON.stringify({ type: 'run.end', ts: new Date(at + 30_000).toISOString(), job: 'hourly', run_id: `h-${hour}`, exit_code: 0, output_bytes: 1000 }));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const config = validateConfig({ jobs: { hourly: { schedule: '0 * * * *' } } });
    const report = async (now?: number) =>
      (await runReport({ month: '2026-10', format: 'json', paths: [file], config, now, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') }, stdout: capture().stream, stderr: capture().stream })).report;

    // Act
    const byDefault = await report();
    const atNow = await report(Date.parse('2026-10-20T12:30:00Z'));

    // Assess: a file that ends says nothing about the runs after it, but its schedule expected runs it never showed; not
    // missed by 12:30 on the 20th either: the 11:00 and 12:00 runs are after the file's end, not known.
    expect(byDefault?.findings).toEqual([]);
    const row = byDefault?.coverage.rows.find((r) => r.name === 'hourly');
    expect([row?.status, row?.reason?.slice(0, 31)]).toEqual(['unknown', 'silent since 2026-10-20, 11 day']);
    expect(atNow?.findings).toEqual([]);
    expect(atNow?.coverage.rows.find((r) => r.name === 'hourly')).toEqual(row);
  });

  it('shows a configured daily job that stopped on 10 October as not OK, from its log and from a store a scan wrote alike, and FINDINGS while other lines go on', async () => {
    // Prepare: nightly-backup, scheduled at 02:30, runs from 1 to 10 October, then nothing.
    const dir = mkdtempSync(join(tmpdir(), 'report-stopped-'));
    const file = join(dir, 'backup.log');
    const lines: string[] = [];
    for (let d = 1; d <= 10; d++) {
      const at = Date.parse(`2026-10-${String(d).padStart(2, '0')}T02:30:00Z`);
      lines.push(JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job: 'nightly-backup', run_id: `r-${d}` }));
      lines.push(JSON.stringify({ type: 'run.end', ts: new Date(at + 60_000).toISOString(), job: 'nightly-backup', run_id: `r-${d}`, exit_code: 0, output_bytes: 1000 }));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    writeFileSync(join(dir, 'silent-audit.config.yaml'), 'jobs:\n  nightly-backup:\n    schedule: "30 2 * * *"\n');
    const config = validateConfig({ jobs: { 'nightly-backup': { schedule: '30 2 * * *' } } });
    const rowOf = (report?: AuditReport) => report?.coverage.rows.find((r) => r.name === 'nightly-backup');

    // A second log where another job's lines go on to 31 October.
    const withOthers = join(dir, 'with-others.log');
    const others: string[] = [];
    for (let d = 1; d <= 31; d++) {
      const at = Date.parse(`2026-10-${String(d).padStart(2, '0')}T04:00:00Z`);
      others.push(JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job: 'etl', run_id: `e-${d}` }));
      others.push(JSON.stringify({ type: 'run.end', ts: new Date(at + 60_000).toISOString(), job: 'etl', run_id: `e-${d}`, exit_code: 0, output_bytes: 1000 }));
    }
    writeFileSync(withOthers, [...lines, ...others].join('\n') + '\n');
    const fromLogs = async (paths: string[]) =>
      (await runReport({ month: '2026-10', format: 'json', paths, config, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') }, stdout: capture().stream, stderr: capture().stream })).report;

    // Act
    const fromLog = await fromLogs([file]);
    const whileOthersGoOn = await fromLogs([withOthers]);
    const scan = spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), 'scan', '--store', 'local', file], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const fromStore = spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), 'report', '--month', '2026-10', '--format', 'json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });

    // Assess: its own log ends on the 10th: both paths say it went silent (its schedule expected runs after it); with lines
    // up to the 31st, its 21 runs due from 11 October to the last line are missed.
    const fromLogRow = rowOf(fromLog);
    expect([fromLogRow?.status, fromLogRow?.reason?.slice(0, 31), fromLog?.findings]).toEqual(['unknown', 'silent since 2026-10-10, 21 day', []]);
    expect([scan.status, fromStore.status]).toEqual([0, 0]);
    const stored = rowOf(JSON.parse(fromStore.stdout) as AuditReport);
    expect([stored?.status, stored?.reason]).toEqual(['unknown', fromLogRow?.reason]);
    expect([rowOf(whileOthersGoOn)?.status, whileOthersGoOn?.findings.map((g) => [g.detector, g.subject, g.condition.occurrences])]).toEqual(['findings', [['missed-run', 'nightly-backup', 21]]]);
  }, 300_000);

  it('settles the route windows a scan left open in the store as the report from the file does, for a month that is over', async () => {
    // Prepare: 20 complete requests to checkout-api on 7 October from 13:00 to 13:47:30, the first 3 retried (15% > 10%):
    // a scan of the file into the store ends before the hour and day windows to 14:00, and the month's, are judged
    const dir = mkdtempSync(join(tmpdir(), 'report-route-windows-'));
    const file = join(dir, 'checkout.jsonl');
    const lines = Array.from({ length: 20 }, (_, i) => {
      const at = Date.parse('2026-10-07T13:00:00Z') + i * 150_000;
      const attempt = (ms: number, n: number, outcome: string) => JSON.stringify({ type: 'attempt', ts: new Date(ms).toISOString(), route: 'checkout-api', request_id: `q${i}`, attempt: n, outcome, latency_ms: 100 });
      return i < 3 ? [attempt(at, 1, 'error'), attempt(at + 200, 2, 'ok')] : [attempt(at, 1, 'ok')];
    });
    writeFileSync(file, lines.flat().join('\n') + '\n');
    const cli = (args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const windows = (report: AuditReport) => report.findings.map((g) => [g.detector, g.subject, g.condition.occurrences]);

    // Act
    const fromFile = cli(['report', '--month', '2026-10', '--now', '2026-11-01T06:00:00Z', '--format', 'json', file]);
    const scan = cli(['scan', '--store', 'local', file]);
    const fromStore = cli(['report', '--month', '2026-10', '--now', '2026-11-01T06:00:00Z', '--format', 'json']);

    // Assess
    expect([fromFile.status, scan.status, fromStore.status]).toEqual([0, 0, 0]);
    expect(windows(JSON.parse(fromFile.stdout) as AuditReport)).toEqual([['retry-rate', 'checkout-api', 2]]);
    expect(windows(JSON.parse(fromStore.stdout) as AuditReport)).toEqual(windows(JSON.parse(fromFile.stdout) as AuditReport));
  }, 300_000);

  it('settles the agent runs a scan left unfinished in the store as the report from the file does, and leaves the store unwritten', async () => {
    // Prepare: support-bot's run sb-906 spends $2.00 on 9 October and never ends; in the fixture, sb-900 goes over its budget and never ends:
    // a scan of each file into the store ends before their runs are judged unfinished, and the month is over
    const costly = join(mkdtempSync(join(tmpdir(), 'report-agent-store-')), 'support-bot.jsonl');
    writeFileSync(costly, costlyRunThatNeverEnds().join('\n') + '\n');
    const fromFileAndStore = (file: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'report-agent-store-'));
      const cli = (args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      const db = () => readFileSync(join(dir, '.silent-audit/dynamodb/shared-local-instance.db'));
      const month = ['report', '--month', '2026-10', '--now', '2026-11-01T06:00:00Z', '--format', 'json'];
      const fromFile = cli([...month, file]);
      const scan = cli(['scan', '--store', 'local', file]);
      const scanned = db();
      const fromStore = cli(month);
      return { statuses: [fromFile.status, scan.status, fromStore.status], fromFile: JSON.parse(fromFile.stdout) as AuditReport, fromStore: JSON.parse(fromStore.stdout) as AuditReport, unwritten: scanned.equals(db()) };
    };
    const seen = (report: AuditReport) => [report.findings.map((g) => [g.detector, g.subject, g.condition.occurrences]), report.coverage.rows.map((r) => [r.name, r.status])];

    // Act
    const cost = fromFileAndStore(costly);
    const budget = fromFileAndStore(agentFixture('support-bot-never-ends.jsonl'));

    // Assess
    expect([cost.statuses, budget.statuses]).toEqual([[0, 0, 0], [0, 1, 0]]); // scan exits 1 on the findings it judged (budget-exceeded)
    expect(seen(cost.fromFile)).toEqual([[['cost-outlier', 'support-bot', 1], ['run-unfinished', 'support-bot', 1]], [['support-bot', 'findings']]]);
    expect(seen(budget.fromFile)).toEqual([[['budget-exceeded', 'support-bot', 1], ['run-unfinished', 'support-bot', 1]], [['support-bot', 'findings']]]);
    expect([seen(cost.fromStore), seen(budget.fromStore)]).toEqual([seen(cost.fromFile), seen(budget.fromFile)]);
    expect([cost.unwritten, budget.unwritten]).toEqual([true, true]);
  }, 300_000);

  it('says, on stderr and in its notes, how many runs of the files it scans into the store were older than their job remembers', async () => {
    // Prepare: a job every minute; 1,100 runs of 2 November scanned into the store first, then a report of 1 November's 60 runs with it
    const dir = mkdtempSync(join(tmpdir(), 'report-older-'));
    const runsFrom = (from: string, count: number, failEvery = 0) =>
      Array.from({ length: count }, (_, i) => {
        const at = Date.parse(from) + i * 60_000;
        return JSON.stringify({ type: 'run.end', ts: new Date(at).toISOString(), job: 'minutely', run_id: `m-${at}`, exit_code: failEvery > 0 && i % failEvery === 0 ? 1 : 0, output_bytes: 500 });
      }).join('\n') + '\n';
    writeFileSync(join(dir, 'app.log'), runsFrom('2026-11-02T00:00:20Z', 1100));
    writeFileSync(join(dir, 'app.log.1'), runsFrom('2026-11-01T00:00:20Z', 60, 20));
    const cli = (args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });

    // Act
    const scan = cli(['scan', '--store', 'local', 'app.log']);
    const report = cli(['report', '--month', '2026-11', '--store', 'local', '--now', '2026-12-07T00:00:00Z', '--format', 'json', 'app.log.1']);

    // Assess
    expect([scan.status, report.status]).toEqual([0, 0]);
    const note = "60 runs older than its job's latest 1,000 runs in the store were taken as already counted, not judged (minutely 60): backfill older history first, or scan it without --store (docs/scan.md).";
    expect(report.stderr).toContain(note);
    expect((JSON.parse(report.stdout) as AuditReport).notes).toContain(note);
  }, 300_000);

  it('counts the month’s runs of a cron job every 10 minutes whose log runs on into November, not the latest 200 starts its state keeps', async () => {
    // Prepare: cron starts /usr/local/bin/sync-assets every 10 minutes from 1 October to 2 November (no end is ever logged).
    const dir = mkdtempSync(join(tmpdir(), 'report-cron-'));
    const file = join(dir, 'cron.log');
    const lines: string[] = [];
    for (let at = Date.parse('2026-10-01T00:00:01Z'), pid = 100; at < Date.parse('2026-11-03T00:00:00Z'); at += 600_000, pid += 5) {
      lines.push(`${new Date(at).toISOString().replace('.000Z', '+00:00')} web1 CRON[${pid}]: (www-data) CMD (/usr/local/bin/sync-assets)`);
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const report = async (format: 'json' | 'md') => {
      const stdout = capture();
      const result = await runReport({ month: '2026-10', format, paths: [file], config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-11-03T06:00:00Z') }, stdout: stdout.stream, stderr: capture().stream });
      return { report: result.report, text: stdout.text() };
    };

    // Act
    const json = (await report('json')).report;
    const markdown = (await report('md')).text;

    // Assess
    expect(json?.coverage.rows.find((r) => r.name === '/usr/local/bin/sync-assets')).toMatchObject({
      runsInMonth: 31 * 144,
      history: 31 * 144,
      reason: 'only run starts are logged (no ends): 4,464 starts in October 2026, so output, duration and failure checks cannot run',
    });
    expect(markdown).toContain('| job | /usr/local/bin/sync-assets | **UNKNOWN** | 4464 | 0 | 4464/5 |');
  });

  it('counts the starts of a Debian cron job whose failures log a grandchild line as its runs, the failed among them, not its failures alone', async () => {
    // Prepare: Debian cron starts rotate-cache hourly on 10 and 11 November (48 CMD lines); its 00:17 and 12:17 runs on the 11th fail (grandchild lines).
    const file = join(mkdtempSync(join(tmpdir(), 'report-debian-cron-')), 'syslog.log');
    const lines: string[] = [];
    for (const day of [10, 11]) {
      for (let hour = 0; hour < 24; hour++) {
        const pid = day * 1000 + hour * 10;
        const hh = String(hour).padStart(2, '0');
        lines.push(`2026-11-${day}T${hh}:17:00+00:00 deb1 CRON[${pid}]: (root) CMD (/usr/local/bin/rotate-cache.sh)`);
        if (day === 11 && hour % 12 === 0) lines.push(`2026-11-${day}T${hh}:17:40+00:00 deb1 CRON[${pid - 1}]: (CRON) error (grandchild #${pid} failed with exit status 2)`);
      }
    }
    writeFileSync(file, lines.join('\n') + '\n');

    // Act
    const result = await runReport({ month: '2026-11', format: 'json', paths: [file], config: DEFAULT_CONFIG, now: Date.parse('2026-11-12T00:00:00Z'), stdout: capture().stream, stderr: capture().stream });

    // Assess
    expect(result.report?.coverage.rows.find((r) => r.name === '/usr/local/bin/rotate-cache.sh')).toMatchObject({
      status: 'findings',
      runsInMonth: 48,
      failedRuns: 2,
      history: 48,
      reason: 'only run starts and their failures are logged (no other ends): 48 starts in November 2026, so output and duration checks cannot run',
    });
  });

  it('reports as of --now: the lines after it are left out, and stderr says how many', async () => {
    // Prepare: an hourly job on 20 October from 00:00 to 10:00, whose 09:00 run fails; the report is as of 05:00
    const file = join(mkdtempSync(join(tmpdir(), 'report-as-of-')), 'hourly.log');
    const lines: string[] = [];
    for (let hour = 0; hour <= 10; hour++) {
      const at = Date.parse('2026-10-20T00:00:05Z') + hour * 3_600_000;
      lines.push(JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job: 'hourly', run_id: `h-${hour}` }));
      lines.push(JSON.stringify({ type: 'run.end', ts: new Date(at + 30_000).toISOString(), job: 'hourly', run_id: `h-${hour}`, exit_code: hour === 9 ? 1 : 0, output_bytes: 1000 }));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const err = capture();

    // Act
    const result = await runReport({ month: '2026-10', format: 'json', paths: [file], config: DEFAULT_CONFIG, now: Date.parse('2026-10-20T05:00:00Z'), stdout: capture().stream, stderr: err.stream });

    // Assess: runs h-0 to h-4 ended by 05:00; h-5 to h-10 came after it.
    expect(result.exitCode).toBe(0);
    expect(result.report?.findings).toEqual([]);
    expect(result.report?.coverage.rows.map((r) => [r.name, r.runsInMonth, r.failedRuns, r.lastSeen])).toEqual([['hourly', 5, 0, '2026-10-20T04:00:35Z']]);
    expect(err.text()).toContain('12 events after --now 2026-10-20T05:00:00Z left out: the report is as of then.\n');
    expect(result.report?.notes).toContain("12 events of the log files given are dated after the report's time, 2026-10-20T05:00:00Z, and left out: the report is as of then.");
  });

  it('reports without --now as of the clock: the lines dated after it are left out, and stderr and the report say how many and the time', async () => {
    // Prepare: a daily 03:00 job's runs from 1 to 31 December; the report is made on 8 December at 00:00, no --now
    const file = join(mkdtempSync(join(tmpdir(), 'report-future-lines-')), 'daily.log');
    writeFileSync(file, dailyRunLines('daily', '2026-12-01T03:00:00Z', '2027-01-01T00:00:00Z', 60_000, () => ({ exit_code: 0, output_bytes: 100 })).join('\n') + '\n');
    const config = validateConfig({ jobs: { daily: { schedule: '0 3 * * *' } } });
    const err = capture();

    // Act
    const result = await runReport({ month: '2026-12', format: 'json', paths: [file], config, clock: { now: () => Date.parse('2026-12-08T00:00:00Z') }, stdout: capture().stream, stderr: err.stream });

    // Assess: the runs of 1 to 7 December are read; the 24 after the report's time (48 lines) are left out, and said.
    expect(result.exitCode).toBe(0);
    expect(result.report?.coverage.rows.map((r) => [r.name, r.runsInMonth, r.lastSeen])).toEqual([['daily', 7, '2026-12-07T03:01:00Z']]);
    expect(err.text()).toContain('48 events after now (2026-12-08T00:00:00Z) left out: the report is as of then.\n');
    expect(result.report?.notes).toContain("48 events of the log files given are dated after the report's time, 2026-12-08T00:00:00Z, and left out: the report is as of then.");
  });

  it('says in the report that nothing of the files is in it when every line is dated after the report’s time', async () => {
    // Prepare: the job's runs from 10 December on only; the report of December is made on 8 December, no --now
    const file = join(mkdtempSync(join(tmpdir(), 'report-all-future-')), 'daily.log');
    writeFileSync(file, dailyRunLines('daily', '2026-12-10T03:00:00Z', '2026-12-15T00:00:00Z', 60_000, () => ({ exit_code: 0, output_bytes: 100 })).join('\n') + '\n');
    const config = validateConfig({ jobs: { daily: { schedule: '0 3 * * *' } } });
    const err = capture();

    // Act
    const result = await runReport({ month: '2026-12', format: 'md', paths: [file], config, clock: { now: () => Date.parse('2026-12-08T00:00:00Z') }, stdout: capture().stream, stderr: err.stream });

    // Assess: the job is UNKNOWN (nothing of it by then), and the report's reader is told why
    expect(result.exitCode).toBe(0);
    expect(result.report?.coverage.rows.map((r) => [r.name, r.status])).toEqual([['daily', 'unknown']]);
    expect(err.text()).toContain('10 events after now (2026-12-08T00:00:00Z) left out: the report is as of then.\n');
    expect(result.report?.notes).toContain("All 10 events of the log files given are dated after the report's time, 2026-12-08T00:00:00Z, and left out: nothing of them is in this report.");
  });

  it('counts the guard bypasses the alert cooldown held back behind the month’s last findings, still held or counted by a finding of the next month', async () => {
    // Prepare: cost-cap bypassed with no exception on 10 October and three times on the 31st (20:00 reported, 21:00 and
    // 22:00 held back, nothing after); pii bypassed under the expired EX-1 on the 31st at 20:00 (reported) and 21:00 (held
    // back), then on 1 November at 03:00, reported as the next finding, counting the 21:00 one.
    const dir = mkdtempSync(join(tmpdir(), 'report-held-'));
    const file = join(dir, 'bypasses.log');
    const bypass = (ts: string, guard: string, exception_id?: string) => JSON.stringify({ type: 'guard.bypass', ts, guard, ...(exception_id ? { exception_id } : {}) });
    writeFileSync(
      file,
      [
        bypass('2026-10-10T09:00:00Z', 'cost-cap'),
        bypass('2026-10-31T20:00:00Z', 'cost-cap'),
        bypass('2026-10-31T21:00:00Z', 'cost-cap'),
        bypass('2026-10-31T22:00:00Z', 'cost-cap'),
        bypass('2026-10-31T20:00:00Z', 'pii', 'EX-1'),
        bypass('2026-10-31T21:00:00Z', 'pii', 'EX-1'),
        bypass('2026-11-01T03:00:00Z', 'pii', 'EX-1'),
      ].join('\n') + '\n',
    );
    const config = validateConfig({ exceptions: [{ id: 'EX-1', guard: 'pii', reason: 'migration', owner: 'a@example.com', expires: '2026-09-30' }] });

    // Act
    const result = await runReport({ month: '2026-10', format: 'json', paths: [file], config, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') }, stdout: capture().stream, stderr: capture().stream });

    // Assess
    const review = result.report?.exceptions;
    expect(review?.unregistered).toEqual([
      { guard: 'cost-cap', count: 4, noException: 4, underLapsedException: 0, lastAt: '2026-10-31T22:00:00Z' },
      { guard: 'pii', count: 2, noException: 0, underLapsedException: 2, lastAt: '2026-10-31T21:00:00Z' },
    ]);
    expect(review?.rows.map((r) => [r.id, r.findingsInMonth, r.bypassesInMonth])).toEqual([['EX-1', 1, 2]]);
  });

  it('shows in a past month’s exception table the bypasses up to its end, not those of the months after', () => {
    // Prepare: EX-1 added to a local store, bypassed on 20 December 2026 and on 20 and 25 January 2027, all scanned
    const dir = mkdtempSync(join(tmpdir(), 'report-past-month-bypasses-'));
    const run = (args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, SILENT_AUDIT_ACTOR: 'ci-runner' } });
    const bypass = (ts: string) => JSON.stringify({ type: 'guard.bypass', ts, guard: 'pii-redaction', exception_id: 'EX-1', actor: 'bot', agent: 'bot' });
    writeFileSync(join(dir, 'b.log'), ['2026-12-20T10:00:00Z', '2027-01-20T10:00:00Z', '2027-01-25T10:00:00Z'].map(bypass).join('\n') + '\n');
    expect(run(['exceptions', 'add', '--id', 'EX-1', '--guard', 'pii-redaction', '--reason', 'r', '--owner', 'alice', '--expires', '2027-02-28', '--store', 'local']).status).toBe(0);
    expect(run(['scan', '--store', 'local', 'b.log']).status).toBe(0);

    // Act
    const december = run(['report', '--month', '2026-12', '--store', 'local', '--now', '2027-01-01T00:00:00Z', '--format', 'json']);
    const january = run(['report', '--month', '2027-01', '--store', 'local', '--now', '2027-02-01T00:00:00Z', '--format', 'json']);

    // Assess: December counts its one bypass; January all three
    const rowOf = (out: string) => (JSON.parse(out) as AuditReport).exceptions.rows.find((r) => r.id === 'EX-1');
    expect(december.status).toBe(0);
    expect(rowOf(december.stdout)).toMatchObject({ bypassCount: 1, lastBypassAt: '2026-12-20T10:00:00Z' });
    expect(rowOf(january.stdout)).toMatchObject({ bypassCount: 3, lastBypassAt: '2027-01-25T10:00:00Z' });
  }, 300_000);

  it.each([
    [undefined, undefined, 'md'],
    [undefined, 'r.html', 'html'],
    [undefined, 'r.HTM', 'html'],
    [undefined, 'r.json', 'json'],
    [undefined, 'r.txt', 'md'],
    ['json', 'r.html', 'json'],
  ] as const)('format %s with --out %s is %s', (format, out, expected) => {
    expect(formatFor(format, out)).toBe(expected);
  });
});

describe('report from log files it could not read in full', () => {
  it('says in the report and on stderr which lines were rejected and which file was cut short', async () => {
    // Prepare: etl's daily runs of October and November in a .gz cut to two thirds, and 20 run.end lines with a text exit_code
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-rejected-'));
    const lines = dailyRunLines('etl', '2026-10-01T01:00:00Z', '2026-12-01T00:00:00Z', 600_000, () => ({ exit_code: 0, duration_ms: 600_000, output_bytes: 5000, output_head: 'uploaded 42 objects' }));
    const gz = gzipSync(lines.join('\n') + '\n');
    writeFileSync(join(dir, 'etl.log.gz'), gz.subarray(0, Math.floor((gz.length * 2) / 3)));
    const bad = Array.from({ length: 20 }, (_, i) => JSON.stringify({ type: 'run.end', ts: `2026-11-${String(i + 1).padStart(2, '0')}T01:10:00Z`, job: 'etl', run_id: `x${i}`, exit_code: '1', duration_ms: 1000 }));
    writeFileSync(join(dir, 'bad.log'), bad.join('\n') + '\n');
    const config = validateConfig({ jobs: { etl: { schedule: '0 1 * * *', owner: 'etl@example.com' } } });
    const err = capture();

    // Act
    const result = await runReport({ month: '2026-11', paths: [join(dir, 'etl.log.gz'), join(dir, 'bad.log')], config, clock: { now: () => Date.parse('2026-12-01T06:00:00Z') }, stdout: capture().stream, stderr: err.stream });

    // Assess
    const note = result.report!.notes.find((n) => n.includes('rejected'));
    expect(note).toMatch(/^20 lines dated in November 2026 were rejected and left out of this report/);
    expect(note).toContain('bad.log:1: run.end event rejected: exit_code: expected a number, got "1"');
    expect(note).toMatch(/; 1 line without a readable time was rejected \(\S*etl\.log\.gz:\d+: .*truncated or corrupt/);
    expect(err.text()).toContain('silent-audit report: 20 lines dated in November 2026 were rejected');
  });

  it('counts only the rejected lines dated in the month, and says which have no readable time', async () => {
    // Prepare: a run.end with a text exit_code on 5 October and on 3 November, and one with no time at all
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-rejected-month-'));
    const bad = (ts?: string) => JSON.stringify({ type: 'run.end', ...(ts ? { ts } : {}), job: 'etl', run_id: `x${ts}`, exit_code: '1', duration_ms: 1000 });
    writeFileSync(join(dir, 'bad.log'), [bad('2026-10-05T01:10:00Z'), bad('2026-11-03T01:10:00Z'), bad()].join('\n') + '\n');
    const config = validateConfig({ jobs: { etl: { schedule: '0 1 * * *', owner: 'etl@example.com' } } });

    // Act
    const report = async (month: string) =>
      (await runReport({ month, paths: [join(dir, 'bad.log')], config, clock: { now: () => Date.parse('2026-12-01T06:00:00Z') }, stdout: capture().stream, stderr: capture().stream })).report!.notes.find((n) => n.includes('rejected'));
    const [october, november] = [await report('2026-10'), await report('2026-11')];

    // Assess
    expect(november).toMatch(/^1 line dated in November 2026 was rejected and left out of this report \(\S*bad\.log:2: [^;]*\); 1 line without a readable time was rejected \(\S*bad\.log:3: /);
    expect(november).not.toContain('bad.log:1:');
    expect(october).toMatch(/^1 line dated in October 2026 was rejected and left out of this report \(\S*bad\.log:1: /);
  });
});

describe('report from log files that end before the month does', () => {
  it('notes where the logs end, and shows a daily job whose runs after then were not seen UNKNOWN, not OK', async () => {
    // Prepare: backup ("30 2 * * *") ran every day from 1 October to 27 November 2026, where its log ends
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-ends-early-'));
    const lines = dailyRunLines('backup', '2026-10-01T02:30:00Z', '2026-11-28T00:00:00Z', 300_000, () => ({ exit_code: 0, duration_ms: 300_000, output_bytes: 5000, output_head: 'uploaded 3 objects' }));
    writeFileSync(join(dir, 'b.log'), lines.join('\n') + '\n');
    const config = validateConfig({ jobs: { backup: { schedule: '30 2 * * *', owner: 'b@example.com' } } });

    // Act
    const result = await runReport({ month: '2026-11', paths: [join(dir, 'b.log')], config, clock: { now: () => Date.parse('2026-12-07T06:00:00Z') }, stdout: capture().stream, stderr: capture().stream });

    // Assess
    const row = result.report!.coverage.rows.find((r) => r.name === 'backup')!;
    expect([row.status, row.runsInMonth]).toEqual(['unknown', 27]);
    expect(row.reason).toBe('the log files given end at 2026-11-27T02:35:00Z, before November 2026 does: its schedule "30 2 * * *" (UTC) expected a run at 2026-11-28T02:30:00Z after that, not seen');
    expect(result.report!.notes).toContainEqual(expect.stringMatching(/^The log files given end at 2026-11-27T02:35:00Z, 3\.9 days before November 2026 does/));
  });

  it("says the row of a month under way ends before the report's time, as its note does, not before the month does", async () => {
    // Prepare: sync ("0 * * * *") ran every hour from 1 to 15 November 2026 10:00, where its log ends; the report at 12:30 that day
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-underway-'));
    const lines: string[] = [];
    for (let at = Date.parse('2026-11-01T00:00:00Z'); at <= Date.parse('2026-11-15T10:00:00Z'); at += 3_600_000) {
      const [start, ended] = [at, at + 60_000].map((t) => new Date(t).toISOString().replace('.000', ''));
      lines.push(JSON.stringify({ type: 'run.start', ts: start, job: 'sync', run_id: `r${start}` }));
      lines.push(JSON.stringify({ type: 'run.end', ts: ended, job: 'sync', run_id: `r${start}`, exit_code: 0, duration_ms: 60_000, output_bytes: 5000, output_head: 'synced 3 files' }));
    }
    writeFileSync(join(dir, 's.log'), lines.join('\n') + '\n');
    const config = validateConfig({ jobs: { sync: { schedule: '0 * * * *', owner: 's@example.com' } } });

    // Act
    const result = await runReport({ month: '2026-11', format: 'json', paths: [join(dir, 's.log')], config, clock: { now: () => Date.parse('2026-11-15T12:30:00Z') }, stdout: capture().stream, stderr: capture().stream });

    // Assess
    const row = result.report!.coverage.rows.find((r) => r.name === 'sync')!;
    expect(row.status).toBe('unknown');
    expect(row.reason).toBe('the log files given end at 2026-11-15T10:01:00Z, before the report\'s time, 2026-11-15T12:30:00Z: its schedule "0 * * * *" (UTC) expected a run at 2026-11-15T11:00:00Z after that, not seen');
    expect(result.report!.notes).toContainEqual(expect.stringMatching(/^The log files given end at 2026-11-15T10:01:00Z, 2\.5 h before the report's time, 2026-11-15T12:30:00Z/));
  });

  it('judges absence only up to the files\' latest event under a later --now: the runs after it are UNKNOWN, as the note says, not missed', async () => {
    // Prepare: backup ("30 2 * * *") ran every day from 1 October to 20 November 2026, where its log ends; sync ("0 3 * * *")
    // in the same file stopped after 10 November while backup's lines went on
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-ends-before-now-'));
    const ok = () => ({ exit_code: 0, duration_ms: 300_000, output_bytes: 5000, output_head: 'uploaded 3 objects' });
    const lines = [...dailyRunLines('backup', '2026-10-01T02:30:00Z', '2026-11-21T00:00:00Z', 300_000, ok), ...dailyRunLines('sync', '2026-10-01T03:00:00Z', '2026-11-11T00:00:00Z', 300_000, ok)];
    writeFileSync(join(dir, 'b.log'), lines.sort((a, b) => JSON.parse(a).ts.localeCompare(JSON.parse(b).ts)).join('\n') + '\n');
    const config = validateConfig({ jobs: { backup: { schedule: '30 2 * * *' }, sync: { schedule: '0 3 * * *' } } });

    // Act: the report as of the schedule's time, 06:00 on 1 December
    const result = await runReport({ month: '2026-11', format: 'json', paths: [join(dir, 'b.log')], config, now: Date.parse('2026-12-01T06:00:00Z'), stdout: capture().stream, stderr: capture().stream });

    // Assess: sync missed 11 to 19 November, which the files cover; nothing after 20 November 02:35 is judged missed
    const report = result.report!;
    expect(report.notes).toContainEqual(expect.stringMatching(/^The log files given end at 2026-11-20T02:35:00Z, 10\.9 days before November 2026 does/));
    expect(report.findings.map((g) => [g.detector, g.subject, g.condition.occurrences])).toEqual([['missed-run', 'sync', 9]]);
    const backup = report.coverage.rows.find((r) => r.name === 'backup')!;
    expect([backup.status, backup.reason?.slice(0, 32)]).toEqual(['unknown', 'silent since 2026-11-20, 10 days']);
  });

  it('says nothing of where the logs end when no configured schedule expected a run after then', async () => {
    // Prepare: backup ("0 6 * * *") ran every day of November 2026, its last run ending 30 November 06:01
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-report-ends-complete-'));
    const lines: string[] = [];
    for (let day = 1; day <= 30; day++) {
      const date = `2026-11-${String(day).padStart(2, '0')}`;
      lines.push(JSON.stringify({ type: 'run.start', ts: `${date}T06:00:00Z`, job: 'backup', run_id: `r${day}` }));
      lines.push(JSON.stringify({ type: 'run.end', ts: `${date}T06:01:00Z`, job: 'backup', run_id: `r${day}`, status: 'ok', exit_code: 0 }));
    }
    writeFileSync(join(dir, 'b.log'), lines.join('\n') + '\n');
    const config = validateConfig({ jobs: { backup: { schedule: '0 6 * * *', owner: 'b@example.com' } } });
    const err = capture();

    // Act
    const result = await runReport({ month: '2026-11', paths: [join(dir, 'b.log')], config, clock: { now: () => Date.parse('2026-12-01T06:00:00Z') }, stdout: capture().stream, stderr: err.stream });

    // Assess
    const row = result.report!.coverage.rows.find((r) => r.name === 'backup')!;
    expect([row.status, row.runsInMonth]).toEqual(['ok', 30]);
    expect(result.report!.notes.filter((n) => n.includes('log files given end'))).toEqual([]);
    expect(err.text()).not.toContain('log files given end');
  });

  it('says a gap of just over an hour in hours, not 0.0 days', () => {
    // Prepare: an hourly job whose log ends 2026-11-30T22:55Z, 65 minutes before November does
    const config = validateConfig({ jobs: { sync: { schedule: '0 * * * *', owner: 's@example.com' } } });

    // Act
    const note = endsEarlyNote('2026-11', Date.parse('2026-11-30T22:55:00Z'), Date.parse('2026-12-01T06:00:00Z'), config);

    // Assess
    expect(note).toMatch(/^The log files given end at 2026-11-30T22:55:00Z, 1\.1 h before November 2026 does: /);
  });
});
