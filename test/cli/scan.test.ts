import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import { jobNameOfFile, olderRunsNote, runScan, unjudgedAgentRunsNote } from '../../lambdas/cli/scan-command.ts';

const fixtures = fileURLToPath(new URL('../fixtures/instrumented/', import.meta.url));
const repo = fileURLToPath(new URL('../../', import.meta.url));
const fx = (name: string) => join(fixtures, name);

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d.toString()));
  return { stream, text: () => text };
}

/** A syslog line's stamp and host at instant t (a whole minute) plus one second, by Berlin's wall clock: 'Oct 25 02:17:01 deb1' */
const berlinWall = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
function berlinSyslogStamp(t: number, host: string): string {
  const p = Object.fromEntries(berlinWall.formatToParts(new Date(t)).map((part) => [part.type, part.value]));
  return `${p.month} ${p.day.padStart(2, ' ')} ${p.hour}:${p.minute}:01 ${host}`;
}

async function scan(paths: string[], extra: Partial<Parameters<typeof runScan>[0]> = {}) {
  const out = capture();
  const err = capture();
  const result = await runScan({ paths, config: DEFAULT_CONFIG, json: false, stdout: out.stream, stderr: err.stream, ...extra });
  return { result, stdout: out.text(), stderr: err.text() };
}

describe('silent-audit scan (contract §5)', () => {
  it('prints a table of findings and the line counts, and exits 1 on findings', async () => {
    // Act
    const { result, stdout } = await scan([fx('nightly-backup.jsonl')]);
    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['empty-output', 'nb-08']]);
    expect(stdout).toMatch(/^TIME\s+SEVERITY\s+DETECTOR\s+SUBJECT\s+RUN\s+MESSAGE$/m);
    expect(stdout).toMatch(/2026-10-08T03:10:00Z\s+high\s+empty-output\s+nightly-backup\s+nb-08/);
    expect(stdout).toContain('1 finding in 24 lines from 1 file: 16 with events (16 events), 0 rejected, 8 unrecognised');
  });

  it('counts a run that never ended (run-unfinished) among its job’s RUNS, as its HOSTS counts it; one whose end came late once', async () => {
    // Prepare: weekly-vacuum started 5 times on etl1; the run of the 15th never ended, the run of the 22nd ended after 3 h (past its 1 h max runtime).
    const dir = mkdtempSync(join(tmpdir(), 'scan-unfinished-'));
    const file = join(dir, 'vacuum.jsonl');
    const line = (o: object) => JSON.stringify({ job: 'weekly-vacuum', host: 'etl1', ...o });
    const lines = ['01', '08', '15', '22', '29'].flatMap((d) => {
      const end = d === '22' ? '04:00:05' : '01:30:05';
      const start = line({ type: 'run.start', ts: `2026-03-${d}T01:00:05Z`, run_id: `wv-${d}` });
      const duration_ms = Date.parse(`2026-03-${d}T${end}Z`) - Date.parse(`2026-03-${d}T01:00:05Z`);
      return d === '15' ? [start] : [start, line({ type: 'run.end', ts: `2026-03-${d}T${end}Z`, run_id: `wv-${d}`, exit_code: 0, duration_ms, output_bytes: 900 })];
    });
    writeFileSync(file, lines.join('\n') + '\n');

    // Act
    const { result, stdout } = await scan([file]);

    // Assess
    expect(result.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.run_id)).toEqual(['wv-15', 'wv-22']);
    expect(stdout).toMatch(/^weekly-vacuum\s+5\s+0\s+\S+\s+etl1 ×5\s/m);
  });

  it("applies the config's job settings (expect_pattern); the empty run is reported as empty-output alone", async () => {
    const config = { ...DEFAULT_CONFIG, jobs: { 'nightly-backup': { expect_pattern: 'uploaded 10[1-6] objects' } } };
    const { result } = await scan([fx('nightly-backup.jsonl')], { config });
    expect(result.findings.map((f) => [f.detector, f.run_id]).sort()).toEqual([
      ['empty-output', 'nb-08'],
      ['expected-pattern-missing', 'nb-07'],
    ]);
  });

  it("finds the one missed run in a month of an hourly job's log, and calls no other run missed", async () => {
    // Prepare: 700 hourly runs from 1 September, the run of hour 20 missing (more runs than a job's state keeps start times of)
    const dir = mkdtempSync(join(tmpdir(), 'scan-hourly-'));
    const file = join(dir, 'hourly.log');
    const lines: string[] = [];
    for (let i = 0; i < 700; i++) {
      if (i === 20) continue;
      const at = Date.parse('2026-09-01T00:00:05Z') + i * 3_600_000;
      lines.push(JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job: 'hourly', run_id: `h-${i}` }));
      lines.push(JSON.stringify({ type: 'run.end', ts: new Date(at + 30_000).toISOString(), job: 'hourly', run_id: `h-${i}`, exit_code: 0, output_bytes: 1000 }));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const config = validateConfig({ jobs: { hourly: { schedule: '0 * * * *' } } });
    // Act
    const { result } = await scan([file], { config, chunkEvents: 100 });
    // Assess
    expect(result.findings.map((f) => [f.detector, f.expected_at])).toEqual([['missed-run', '2026-09-01T20:00:00Z']]);
  });

  it('reports no missed run for a scheduled job of the config that the scanned file does not hold', async () => {
    // Prepare: a fleet-wide config that also names an hourly job, absent from this host's file
    const config = validateConfig({ jobs: { 'nightly-backup': {}, 'hourly-sync': { schedule: '0 * * * *' } } });

    // Act
    const { result } = await scan([fx('nightly-backup.jsonl')], { config, now: Date.parse('2026-10-09T00:00:00Z') });

    // Assess: the file's own finding only; a job absent from one file is not known to be absent from the fleet
    expect(result.findings.map((f) => [f.detector, f.subject])).toEqual([['empty-output', 'nightly-backup']]);
  });

  it('keeps the runs of one systemd unit on two hosts apart: a failure on one is not taken for the end of the other', async () => {
    // Prepare: backup.service starts on web1 and web2 in the same second; web1 succeeds, web2 fails
    const dir = mkdtempSync(join(tmpdir(), 'scan-fleet-'));
    const file = join(dir, 'fleet.log');
    writeFileSync(
      file,
      [
        'Oct  5 02:30:00 web1 systemd[1]: Started backup.service - Nightly backup.',
        'Oct  5 02:30:00 web2 systemd[1]: Started backup.service - Nightly backup.',
        'Oct  5 02:30:05 web1 systemd[1]: backup.service: Deactivated successfully.',
        'Oct  5 02:30:05 web1 systemd[1]: Finished backup.service - Nightly backup.',
        'Oct  5 02:30:08 web2 systemd[1]: backup.service: Main process exited, code=exited, status=1/FAILURE',
        "Oct  5 02:30:08 web2 systemd[1]: backup.service: Failed with result 'exit-code'.",
        '',
      ].join('\n'),
    );
    // Act
    const { result } = await scan([file], { year: 2026, json: true });
    // Assess
    expect(result.findings.map((f) => [f.detector, f.run_id, f.ts])).toEqual([['run-failed', 'backup.service@web2@2026-10-05T02:30:00.000Z', '2026-10-05T02:30:08Z']]);
  });

  it('does not call a daily systemd oneshot missed that runs longer than its grace: its run starts at `Starting`, not at its end', async () => {
    // Prepare: a timer job at 02:30 (Type=oneshot: `Starting`, then 42 minutes later the end lines, never `Started`), grace 20
    const dir = mkdtempSync(join(tmpdir(), 'scan-oneshot-'));
    const file = join(dir, 'backup.log');
    const days = [1, 2, 3, 4, 5, 6, 7];
    writeFileSync(
      file,
      days
        .flatMap((d) => [
          `Oct  ${d} 02:30:00 web1 systemd[1]: Starting backup.service - Nightly backup...`,
          `Oct  ${d} 03:12:01 web1 systemd[1]: backup.service: Deactivated successfully.`,
          `Oct  ${d} 03:12:01 web1 systemd[1]: Finished backup.service - Nightly backup.`,
          `Oct  ${d} 03:12:01 web1 systemd[1]: backup.service: Consumed 2min 4.512s CPU time.`,
        ])
        .concat('')
        .join('\n'),
    );
    const config = validateConfig({ jobs: { 'backup.service': { schedule: '30 2 * * *', grace_minutes: 20 } } });
    // Act
    const { result } = await scan([file], { config, year: 2026, json: true });
    // Assess
    expect(result.findings.map((f) => [f.detector, f.expected_at ?? f.run_id])).toEqual([]);
    expect(result.counts.eventLines).toBe(3 * days.length);
  });

  it.each([
    ['systemd 245 (Ubuntu 20.04): `Succeeded.`, then `Started D.`', 'backup.service: Succeeded.', 'Started Nightly backup.'],
    ['systemd 248/249: `Deactivated successfully.`, then `Finished D.`', 'backup.service: Deactivated successfully.', 'Finished Nightly backup.'],
  ])('does not call a daily oneshot missed whose `Starting` names only its description, %s', async (_name, succeeded, finished) => {
    // Prepare: the timer job at 02:30 of the test above, in an older systemd's words (grace 20, 42 minutes a run)
    const dir = mkdtempSync(join(tmpdir(), 'scan-oneshot-old-'));
    const file = join(dir, 'backup.log');
    const days = [1, 2, 3, 4, 5, 6, 7];
    writeFileSync(
      file,
      days
        .flatMap((d) => [
          `Oct  ${d} 02:30:00 web1 systemd[1]: Starting Nightly backup...`,
          `Oct  ${d} 03:12:01 web1 systemd[1]: ${succeeded}`,
          `Oct  ${d} 03:12:01 web1 systemd[1]: ${finished}`,
        ])
        .concat('')
        .join('\n'),
    );
    const config = validateConfig({ jobs: { 'backup.service': { schedule: '30 2 * * *', grace_minutes: 20 } } });
    // Act
    const { result } = await scan([file], { config, year: 2026, json: true });
    // Assess
    expect(result.findings.map((f) => [f.detector, f.expected_at ?? f.run_id])).toEqual([]);
  });

  it.each([
    ['in one chunk', undefined],
    ['a line a chunk (a chunk ends between the failing run\'s `Starting` and its failure)', 1],
  ])('reports a failed run whose `Starting` names only its description from that start, not the run a reboot cut before it, %s', async (_name, chunkEvents) => {
    // Prepare: systemd 245 (Ubuntu 20.04) at 03:15:01 daily, 6 minutes a run; 9 Oct's run never ends (a reboot), 13 Oct's fails
    const dir = mkdtempSync(join(tmpdir(), 'scan-oneshot-failed-'));
    const file = join(dir, 'syslog');
    const lines: string[] = [];
    for (let d = 1; d <= 15; d++) {
      lines.push(`Oct ${String(d).padStart(2, ' ')} 03:15:01 web1 systemd[1]: Starting Nightly database backup...`);
      if (d === 9) continue;
      const end = `Oct ${String(d).padStart(2, ' ')} 03:21:01 web1 systemd[1]:`;
      if (d === 13) lines.push(`${end} db-backup.service: Main process exited, code=exited, status=1/FAILURE`, `${end} db-backup.service: Failed with result 'exit-code'.`, `${end} Failed to start Nightly database backup.`);
      else lines.push(`${end} db-backup.service: Succeeded.`, `${end} Finished Nightly database backup.`);
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const config = validateConfig({ jobs: { 'db-backup.service': { schedule: '15 3 * * *' } } });
    // Act
    const { result } = await scan([file], { config, year: 2026, json: true, ...(chunkEvents ? { chunkEvents } : {}) });
    // Assess
    expect(result.findings.map((f) => [f.detector, f.expected_at ?? f.run_id, f.evidence?.duration_ms])).toEqual([
      ['run-unfinished', 'db-backup.service@web1@2026-10-09T03:15:01.000Z', undefined],
      ['run-failed', 'db-backup.service@web1@2026-10-13T03:15:01.000Z', 6 * 60_000],
    ]);
  });

  it('reports a Lambda timeout whose "Task timed out" line comes after the REPORT that has no Status', async () => {
    // Prepare: the order older runtimes write a timeout in (the REPORT first, without Status: timeout)
    const dir = mkdtempSync(join(tmpdir(), 'scan-timeout-'));
    const file = join(dir, 'order-sync.log');
    const id = '5f3c1a9e-1111-4222-8333-944445555666';
    writeFileSync(
      file,
      [
        `2026-10-05T13:00:00.000000+00:00 2026/10/05/[$LATEST]ab12 START RequestId: ${id} Version: $LATEST`,
        `2026-10-05T13:00:03.010000+00:00 2026/10/05/[$LATEST]ab12 END RequestId: ${id}`,
        `2026-10-05T13:00:03.010000+00:00 2026/10/05/[$LATEST]ab12 REPORT RequestId: ${id}\tDuration: 3003.16 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 49 MB`,
        `2026-10-05T13:00:03.012000+00:00 2026/10/05/[$LATEST]ab12 2026-10-05T13:00:03.012Z ${id} Task timed out after 3.00 seconds`,
        '',
      ].join('\n'),
    );
    // Act
    const { result } = await scan([file], { json: true });
    // Assess
    expect(result.findings.map((f) => [f.detector, f.subject, f.run_id, f.evidence?.failure])).toEqual([['run-failed', 'order-sync', id, 'timeout after 3.00 s']]);
  });

  it('flags an agent stuck in a loop while it runs, once; the rest is judged when it goes stale or ends', async () => {
    // Prepare: five runs of support-bot cost $0.02 each; then sb-1 (budget 20) makes one $0.01 call a minute for 6 hours.
    // runaway.jsonl never logs its end; ended.jsonl ends it at 15:00, reporting 20 actions.
    const dir = mkdtempSync(join(tmpdir(), 'scan-loop-'));
    const at = (s: number) => new Date(Date.parse('2026-10-09T09:00:00Z') + s * 1000).toISOString();
    const call = (runId: string, s: number) => ({ type: 'agent.action', ts: at(s), agent: 'support-bot', run_id: runId, action: 'llm_call', name: 'gpt', cost_usd: 0.01 });
    const earlier = Array.from({ length: 5 }, (_, r) => [
      { type: 'agent.start', ts: at(r * 60 - 3600), agent: 'support-bot', run_id: `sb-0${r}` },
      call(`sb-0${r}`, r * 60 - 3599),
      call(`sb-0${r}`, r * 60 - 3598),
      { type: 'agent.end', ts: at(r * 60 - 3597), agent: 'support-bot', run_id: `sb-0${r}`, status: 'ok' },
    ]).flat();
    const loop = [{ type: 'agent.start', ts: at(0), agent: 'support-bot', run_id: 'sb-1', budget: { max_actions: 20 } }, ...Array.from({ length: 360 }, (_, i) => call('sb-1', i * 60 + 30))];
    const write = (name: string, lines: readonly object[]) => {
      writeFileSync(join(dir, name), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      return join(dir, name);
    };
    const runaway = write('runaway.jsonl', [...earlier, ...loop]);
    const ended = write('ended.jsonl', [...earlier, ...loop, { type: 'agent.end', ts: at(6 * 3600), agent: 'support-bot', run_id: 'sb-1', status: 'ok', actions_reported: 20 }]);
    const brief = (r: Awaited<ReturnType<typeof scan>>) => r.result.findings.map((f) => [f.detector, f.run_id, f.ts]);
    // Act
    const running = await scan([runaway], { json: true });
    const stale = await scan([runaway], { json: true, now: Date.parse('2026-10-09T17:00:00Z') });
    const done = await scan([ended], { json: true });
    // Assess
    // Past its max runtime (1 h, 3× its earlier runs' 3 s being less) at the sweep of 10:00: run-unfinished, once, also when it ends.
    expect(brief(running)).toEqual([
      ['budget-exceeded', 'sb-1', '2026-10-09T09:59:30Z'],
      ['run-unfinished', 'sb-1', '2026-10-09T10:00:00Z'],
    ]);
    expect(running.result.findings[0].message).toBe(
      'run sb-1 used 60 actions so far, over its budget of 20 actions per task; it has not ended yet; top: support-bot sb-1 with 60, llm_call:gpt ×60',
    );
    expect(brief(stale)).toEqual([
      ['budget-exceeded', 'sb-1', '2026-10-09T09:59:30Z'],
      ['run-unfinished', 'sb-1', '2026-10-09T10:00:00Z'],
      ['cost-outlier', 'sb-1', '2026-10-09T14:59:30Z'],
    ]);
    expect(brief(done)).toEqual([
      ['budget-exceeded', 'sb-1', '2026-10-09T09:59:30Z'],
      ['run-unfinished', 'sb-1', '2026-10-09T10:00:00Z'],
      ['budget-undercount', 'sb-1', '2026-10-09T15:00:00Z'],
      ['cost-outlier', 'sb-1', '2026-10-09T15:00:00Z'],
    ]);
  });

  it('reports an agent root run past its max runtime once, as the deployed sweep does, and does not call it in flight, not judged yet', async () => {
    // Prepare: hb h-1 acts every minute for 2.5 h and never ends; digest d-1 acts every 5 minutes and ends ok after 1 h 45 min.
    const dir = mkdtempSync(join(tmpdir(), 'scan-agent-unfinished-'));
    const at = (s: number) => new Date(Date.parse('2026-10-09T09:00:00Z') + s * 1000).toISOString();
    const act = (runId: string, s: number, agent: string) => ({ type: 'agent.action', ts: at(s), agent, run_id: runId, action: 'llm_call', name: 'gpt' });
    const hung = join(dir, 'hung.jsonl');
    writeFileSync(hung, [{ type: 'agent.start', ts: at(0), agent: 'hb', run_id: 'h-1' }, ...Array.from({ length: 150 }, (_, i) => act('h-1', i * 60 + 30, 'hb'))].map((l) => JSON.stringify(l)).join('\n') + '\n');
    const long = join(dir, 'long.jsonl');
    const digest = [
      { type: 'agent.start', ts: at(600), agent: 'digest', run_id: 'd-1' },
      ...Array.from({ length: 20 }, (_, i) => act('d-1', 600 + i * 300 + 30, 'digest')),
      { type: 'agent.end', ts: at(600 + 105 * 60), agent: 'digest', run_id: 'd-1', status: 'ok' },
    ];
    writeFileSync(long, digest.map((l) => JSON.stringify(l)).join('\n') + '\n');
    // Act
    const hangs = await scan([hung]);
    const ended = await scan([long], { json: true });
    // Assess
    expect(hangs.result.findings.map((f) => [f.detector, f.run_id, f.ts])).toEqual([['run-unfinished', 'h-1', '2026-10-09T10:00:00Z']]);
    expect(hangs.stdout).not.toContain('Still in flight');
    expect(ended.result.findings.map((f) => [f.detector, f.run_id, f.ts])).toEqual([['run-unfinished', 'd-1', '2026-10-09T10:10:00Z']]);
    expect(ended.result.findings[0].message).toBe('run d-1 started 2026-10-09T09:10:00Z logged no end until 2026-10-09T10:55:00Z, after 1.8 h (max runtime 1.0 h, default 1 h)');
  });

  it('flags an agent root run that ended ok with output_bytes 0 (empty-output) or with status error or timeout (run-failed); its healthy twin gives nothing', async () => {
    // Prepare: six runs of web-search-agent with 6 actions and 4,200 bytes of output each; then, in bad.jsonl, ws-6 ends ok
    // with 0 actions and output_bytes 0, ws-7 ends error, ws-8 ends timeout. good.jsonl ends them ok with output, one
    // budget_exhausted with output_bytes 0, one cancelled, and one ok with 0 actions but no output_bytes logged.
    const dir = mkdtempSync(join(tmpdir(), 'scan-agent-end-'));
    const at = (s: number) => new Date(Date.parse('2026-11-03T09:00:00Z') + s * 1000).toISOString();
    const agentRun = (r: number, actions: number, end: Record<string, unknown>) => [
      { type: 'agent.start', ts: at(r * 3600), agent: 'web-search-agent', run_id: `ws-${r}` },
      ...Array.from({ length: actions }, (_, i) => ({ type: 'agent.action', ts: at(r * 3600 + 1 + i), agent: 'web-search-agent', run_id: `ws-${r}`, action: 'tool_call', name: 'web_search', cost_usd: 0.01 })),
      { type: 'agent.end', ts: at(r * 3600 + 20), agent: 'web-search-agent', run_id: `ws-${r}`, actions_reported: actions, ...end },
    ];
    const normal = Array.from({ length: 6 }, (_, r) => agentRun(r, 6, { status: 'ok', output_bytes: 4200 })).flat();
    const write = (name: string, lines: readonly object[]) => {
      writeFileSync(join(dir, name), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      return join(dir, name);
    };
    const bad = write('bad.jsonl', [...normal, ...agentRun(6, 0, { status: 'ok', output_bytes: 0 }), ...agentRun(7, 2, { status: 'error' }), ...agentRun(8, 6, { status: 'timeout', output_bytes: 0 })]);
    const good = write('good.jsonl', [
      ...normal,
      ...agentRun(6, 6, { status: 'ok', output_bytes: 4100 }),
      ...agentRun(7, 6, { status: 'budget_exhausted', output_bytes: 0 }),
      ...agentRun(8, 1, { status: 'cancelled' }),
      ...agentRun(9, 0, { status: 'ok' }),
    ]);
    // Act
    const flagged = await scan([bad], { json: true });
    const healthy = await scan([good], { json: true });
    // Assess
    expect(flagged.result.findings.map((f) => [f.detector, f.subject_kind, f.subject, f.run_id, f.severity, f.message])).toEqual([
      ['empty-output', 'agent', 'web-search-agent', 'ws-6', 'high', 'run ws-6 ended ok but wrote no output (output_bytes 0) after 0 actions'],
      ['run-failed', 'agent', 'web-search-agent', 'ws-7', 'high', 'run ws-7 ended with status error after 20 s (2 actions)'],
      ['run-failed', 'agent', 'web-search-agent', 'ws-8', 'high', 'run ws-8 timed out after 20 s (6 actions)'],
    ]);
    expect(flagged.result.exitCode).toBe(1);
    expect(healthy.result.findings).toEqual([]);
    expect(healthy.result.exitCode).toBe(0);
  });

  it("judges a sub-agent whose parent never started even when its run ended minutes before the log does (nothing more will come)", async () => {
    // Prepare: researcher r-51 names parent r-50, whose start is not in the log; 8 actions over a budget of 5, ended 5 minutes before the last line
    const dir = mkdtempSync(join(tmpdir(), 'scan-orphan-'));
    const file = join(dir, 'agents.jsonl');
    const at = (s: number) => new Date(Date.parse('2026-10-05T10:00:00Z') + s * 1000).toISOString();
    const lines = [
      { type: 'agent.start', ts: at(0), agent: 'researcher', run_id: 'r-51', parent_run_id: 'r-50', budget: { max_actions: 5 } },
      ...Array.from({ length: 8 }, (_, i) => ({ type: 'agent.action', ts: at(1 + i), agent: 'researcher', run_id: 'r-51', action: 'llm_call' })),
      { type: 'agent.end', ts: at(10), agent: 'researcher', run_id: 'r-51', status: 'ok' },
      { type: 'run.start', ts: at(310), job: 'tick', run_id: 't-1' },
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    // Act
    const { result } = await scan([file], { json: true });
    // Assess
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['budget-exceeded', 'r-51']]);
  });

  it('says what is still in flight when the log ends, and how to judge it: --now', async () => {
    // Prepare: support-bot run sb-910 makes 5 of the 20 calls of its budget and never logs its end; payments-api ends in an outage
    const file = join(mkdtempSync(join(tmpdir(), 'scan-in-flight-')), 'support-bot.jsonl');
    const at = (s: number) => new Date(Date.parse('2026-10-09T09:00:00Z') + s * 1000).toISOString();
    const lines = [
      { type: 'agent.start', ts: at(0), agent: 'support-bot', run_id: 'sb-910', budget: { max_actions: 20 } },
      ...Array.from({ length: 5 }, (_, i) => ({ type: 'agent.action', ts: at(1 + i), agent: 'support-bot', run_id: 'sb-910', action: 'tool_call', name: 'web_search' })),
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

    // Act
    const agent = await scan([file]);
    const later = await scan([file], { now: Date.parse('2026-10-09T10:00:05Z') });
    const route = await scan([fileURLToPath(new URL('../fixtures/agents/payments-outage-at-end.jsonl', import.meta.url))]);

    // Assess
    expect(agent.result.exitCode).toBe(0);
    expect(agent.stdout).toContain(
      'Still in flight at 2026-10-09T09:00:05Z, the latest event, so not judged yet: 1 agent run that never logged its end (judged after an hour with no line). ' +
        'Add --now with a later time to judge it (runs missed by then are judged only for a job with jobs.<job>.schedule in the config).',
    );
    expect(later.stdout).not.toContain('Still in flight');
    expect(route.stdout).toContain(
      'Still in flight at 2026-10-20T11:03:59Z, the latest event, so not judged yet: 30 route requests waiting for a retry (counted 20 minutes after their last attempt); ' +
        '1 route whose day window holding its latest requests is judged at 2026-10-20T11:20:00Z. Add --now',
    );
  });

  it('says which routes have requests counted but no retry window judged yet when the log ends, and by when --now judges them', async () => {
    // Prepare: 20 complete requests to checkout-api from 13:00 to 13:47:30, the first 3 retried (15% > 10%)
    const file = join(mkdtempSync(join(tmpdir(), 'scan-route-windows-')), 'checkout.jsonl');
    const lines = Array.from({ length: 20 }, (_, i) => {
      const at = Date.parse('2026-10-07T13:00:00Z') + i * 150_000;
      const attempt = (ms: number, n: number, outcome: string) => JSON.stringify({ type: 'attempt', ts: new Date(ms).toISOString(), route: 'checkout-api', request_id: `q${i}`, attempt: n, outcome, latency_ms: 100 });
      return i < 3 ? [attempt(at, 1, 'error'), attempt(at + 200, 2, 'ok')] : [attempt(at, 1, 'ok')];
    });
    writeFileSync(file, lines.flat().join('\n') + '\n');

    // Act
    const atEnd = await scan([file]);
    const later = await scan([file], { now: Date.parse('2026-10-07T14:20:00Z') });

    // Assess: no request is open, but the hour and day windows that count the last ones end at 14:00, judged 20 minutes later
    expect([atEnd.result.exitCode, atEnd.result.findings.length]).toEqual([0, 0]);
    expect(atEnd.stdout).toContain(
      'Still in flight at 2026-10-07T13:47:30Z, the latest event, so not judged yet: 1 route whose day window holding its latest requests is judged at 2026-10-07T14:20:00Z. ' +
        'Add --now with a later time to judge it',
    );
    expect([later.result.exitCode, later.result.findings.map((f) => [f.detector, f.subject])]).toEqual([1, [['retry-rate', 'checkout-api']]]);
    expect(later.stdout).not.toContain('Still in flight');
  });

  it('says only the day window of a route is still to be judged when an hour window counting its latest requests was judged', async () => {
    // Prepare: 20 requests to checkout-api from 12:46 to 13:04:03, the first 3 retried (15% > 10%); search-api's requests go on from 13:20 to 13:40,
    // so checkout-api's hour to 13:15 is judged, but not its day window to 14:00
    const file = join(mkdtempSync(join(tmpdir(), 'scan-route-hour-judged-')), 'routes.jsonl');
    const attempt = (route: string, i: number, ms: number, n: number, outcome: string) => JSON.stringify({ type: 'attempt', ts: new Date(ms).toISOString(), route, request_id: `${route}-${i}`, attempt: n, outcome, latency_ms: 100 });
    const checkout = Array.from({ length: 20 }, (_, i) => {
      const at = Date.parse('2026-10-07T12:46:00Z') + i * 57_000;
      return i < 3 ? [attempt('checkout-api', i, at, 1, 'error'), attempt('checkout-api', i, at + 200, 2, 'ok')] : [attempt('checkout-api', i, at, 1, 'ok')];
    });
    const search = Array.from({ length: 5 }, (_, i) => attempt('search-api', i, Date.parse('2026-10-07T13:20:00Z') + i * 300_000, 1, 'ok'));
    writeFileSync(file, [...checkout.flat(), ...search].join('\n') + '\n');

    // Act
    const atEnd = await scan([file]);

    // Assess: the hour window's finding is printed; the note says it is the day windows that are still to come, not that no window counts the requests
    expect(atEnd.result.findings.map((f) => [f.detector, f.subject])).toEqual([['retry-rate', 'checkout-api']]);
    expect(atEnd.stdout).toContain(
      'Still in flight at 2026-10-07T13:40:00Z, the latest event, so not judged yet: 2 routes whose day windows holding their latest requests are judged by 2026-10-07T14:20:00Z. ',
    );
    expect(atEnd.stdout).not.toContain('no judged retry window');
  });

  it('says a job run that has logged no end yet when the log ends is still in flight, until its max runtime', async () => {
    // Prepare: nightly runs at 02:00 and logs its end 5 minutes later; on 2 October the log ends with its start
    const file = join(mkdtempSync(join(tmpdir(), 'scan-job-in-flight-')), 'nightly.jsonl');
    const lines = [
      { type: 'run.start', ts: '2026-10-01T02:00:00Z', job: 'nightly', run_id: 'r1' },
      { type: 'run.end', ts: '2026-10-01T02:05:00Z', job: 'nightly', run_id: 'r1', exit_code: 0, output_bytes: 100 },
      { type: 'run.start', ts: '2026-10-02T02:00:00Z', job: 'nightly', run_id: 'r2' },
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

    // Act
    const atEnd = await scan([file]);
    const scheduled = await scan([file], { config: validateConfig({ jobs: { nightly: { schedule: '0 2 * * *' } } }) });
    const later = await scan([file], { now: Date.parse('2026-10-02T04:00:00Z') });

    // Assess: "0 findings" is not left to read as health; past its max runtime (1 h by default) the run is judged; missed runs only by a configured schedule
    expect(atEnd.result.exitCode).toBe(0);
    expect(atEnd.stdout).toContain(
      'Still in flight at 2026-10-02T02:00:00Z, the latest event, so not judged yet: 1 job run that has logged no end yet (judged unfinished past its max runtime). ' +
        'Add --now with a later time to judge it (runs missed by then are judged only for a job with jobs.<job>.schedule in the config).',
    );
    expect(scheduled.stdout).toContain('Add --now with a later time to judge it (runs missed by then are judged too, for the jobs with a schedule in the config).');
    expect(later.result.exitCode).toBe(1);
    expect(later.stdout).toContain('run-unfinished');
    expect(later.stdout).not.toContain('Still in flight');
  });

  it('reports a run that went past its max runtime and then ended late unfinished, as the deployed sweep did while it hung', async () => {
    // Prepare: export allows 30 minutes; its 02:00 run ends at 04:30, while a heartbeat job's lines keep the log time moving
    const file = join(mkdtempSync(join(tmpdir(), 'scan-overrun-')), 'overrun.jsonl');
    const lines: object[] = [];
    const runOf = (job: string, start: number, minutes: number, runId: string) => {
      lines.push({ type: 'run.start', ts: new Date(start).toISOString(), job, run_id: runId });
      lines.push({ type: 'run.end', ts: new Date(start + minutes * 60_000).toISOString(), job, run_id: runId, exit_code: 0, output_bytes: 10, output_head: 'exported 9\n' });
    };
    runOf('export', Date.parse('2026-11-03T02:00:01Z'), 150, 'export-1');
    for (let at = Date.parse('2026-11-03T01:00:00Z'); at < Date.parse('2026-11-03T06:00:00Z'); at += 10 * 60_000) runOf('heartbeat', at, 0.1, `hb-${at}`);
    lines.sort((a, b) => ((a as { ts: string }).ts < (b as { ts: string }).ts ? -1 : 1));
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const config = validateConfig({ jobs: { export: { schedule: '0 2 * * *', max_runtime_minutes: 30 }, heartbeat: { schedule: '*/10 * * * *' } } }, 'cfg', undefined, { now: Date.parse('2026-11-01T00:00:00Z') });

    // Act
    const { result } = await scan([file], { config, now: Date.parse('2026-11-03T06:00:00Z') });

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.findings.map((f) => [f.detector, f.subject, f.run_id, f.ts])).toEqual([['run-unfinished', 'export', 'export-1', '2026-11-03T02:30:01Z']]);
  });

  it('counts an agent run judged once quiet that then went on as still in flight', async () => {
    // Prepare: sb-920 makes 5 calls and goes quiet (judged as it stood by the sweep after 10:30), then makes 3 more calls at 11:01, never ending;
    // it may run 4 h (not reported run-unfinished yet, which would judge it).
    const file = join(mkdtempSync(join(tmpdir(), 'scan-resumed-')), 'support-bot.jsonl');
    const at = (s: number) => new Date(Date.parse('2026-10-09T09:00:00Z') + s * 1000).toISOString();
    const call = (s: number) => ({ type: 'agent.action', ts: at(s), agent: 'support-bot', run_id: 'sb-920', action: 'tool_call', name: 'web_search' });
    const lines = [
      { type: 'agent.start', ts: at(0), agent: 'support-bot', run_id: 'sb-920' },
      ...Array.from({ length: 5 }, (_, i) => call(1 + i)),
      { type: 'run.start', ts: at(5400), job: 'tick', run_id: 't-1' },
      ...Array.from({ length: 3 }, (_, i) => call(2 * 3600 + 60 + i)),
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    // Act
    const { stdout } = await scan([file], { config: validateConfig({ agents: { 'support-bot': { max_runtime_minutes: 240 } } }) });
    // Assess
    expect(stdout).toContain(
      'Still in flight at 2026-10-09T11:01:02Z, the latest event, so not judged yet: 1 job run that has logged no end yet (judged unfinished past its max runtime); 1 agent run that never logged its end',
    );
  });

  it('dates syslog lines after an earlier --now in the current year, and leaves them out: --now sets what the scan is as of, not the year', async () => {
    // Prepare: logrotate's daily alert from 40 to 5 days ago (no year in the lines), --now 20 days ago
    const DAY = 86_400_000;
    const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const today = Math.floor(Date.now() / DAY) * DAY;
    const days = Array.from({ length: 36 }, (_, i) => today - (40 - i) * DAY);
    const syslogDate = (day: number) => `${MONTHS[new Date(day).getUTCMonth()]} ${String(new Date(day).getUTCDate()).padStart(2, ' ')}`;
    const dir = mkdtempSync(join(tmpdir(), 'scan-now-year-'));
    const file = join(dir, 'messages');
    writeFileSync(file, days.map((day) => `${syslogDate(day)} 04:03:01 combo logrotate: ALERT exited abnormally with [1]`).concat('').join('\n'));
    const config = validateConfig({ jobs: { logrotate: { schedule: '3 4 * * *', grace_minutes: 20 } } });
    // Act
    const now = today - 20 * DAY + 12 * 3_600_000;
    const { result, stderr } = await scan([file], { config, json: true, now });
    // Assess: every day's run up to --now where it happened, none missed; the 15 days after it left out, not taken for a year earlier
    expect(result.findings.filter((f) => f.detector === 'missed-run').map((f) => f.expected_at)).toEqual([]);
    expect(result.findings.map((f) => f.ts)).toEqual(days.filter((day) => day < now).map((day) => new Date(day + 4 * 3_600_000 + 181_000).toISOString().replace('.000Z', 'Z')));
    expect(stderr).toContain(`15 events after --now ${new Date(now).toISOString().replace('.000Z', 'Z')} left out: the scan is as of then.`);
  });

  it('scans as of an earlier --now: the lines after it are left out and said, as report does; a later --now still judges the runs missed after the logs end', async () => {
    // Prepare: backup.sh's cron lines 1–20 October, 14 October missing, 12 October's output discarded; a job run started 20 October never ends
    const dir = mkdtempSync(join(tmpdir(), 'scan-now-before-'));
    const cron = join(dir, 'cron.log');
    const days = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20];
    const lines = days.map((d) => `Oct ${String(d).padStart(2, ' ')} 02:30:01 host1 CRON[${1000 + d}]: (root) CMD (/usr/local/bin/backup.sh)`);
    lines.splice(days.indexOf(13), 0, 'Oct 12 02:30:05 host1 CRON[1012]: (CRON) info (No MTA installed, discarding output)');
    writeFileSync(cron, lines.join('\n') + '\n');
    const unfinished = join(dir, 'nightly.jsonl');
    const runs = [
      { type: 'run.start', ts: '2026-10-01T02:30:00Z', job: 'nightly', run_id: 'w' },
      { type: 'run.end', ts: '2026-10-01T02:40:00Z', job: 'nightly', run_id: 'w', exit_code: 0, output_bytes: 5000 },
      { type: 'run.start', ts: '2026-10-20T02:30:00Z', job: 'nightly', run_id: 'x' },
    ];
    writeFileSync(unfinished, runs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const config = validateConfig({ jobs: { '/usr/local/bin/backup.sh': { schedule: '30 2 * * *' } } });
    const brief = (r: Awaited<ReturnType<typeof scan>>) => r.result.findings.map((f) => [f.detector, f.subject, f.expected_at ?? f.ts]);

    // Act
    const whole = await scan([cron, unfinished], { config, year: 2026 });
    const earlier = await scan([cron, unfinished], { config, year: 2026, now: Date.parse('2026-10-10T00:00:00Z') });
    const later = await scan([cron], { config, year: 2026, json: true, now: Date.parse('2026-10-23T00:00:00Z') });

    // Assess: as of 10 October, 12 October's discarded output, 14 October's missed run and the run of 20 October had not happened yet, and the scan says what it left out
    expect(brief(whole)).toEqual([
      ['output-discarded', '/usr/local/bin/backup.sh', expect.any(String)],
      ['missed-run', '/usr/local/bin/backup.sh', '2026-10-14T02:30:00Z'],
    ]);
    expect(earlier.result.exitCode).toBe(0);
    expect(brief(earlier)).toEqual([]);
    expect(earlier.stdout).toContain('12 events after --now 2026-10-10T00:00:00Z left out: the scan is as of then.');
    expect(earlier.stdout).not.toContain('Still in flight');
    expect(brief(later)).toEqual([
      ['output-discarded', '/usr/local/bin/backup.sh', expect.any(String)],
      ['missed-run', '/usr/local/bin/backup.sh', '2026-10-14T02:30:00Z'],
      ['missed-run', '/usr/local/bin/backup.sh', '2026-10-21T02:30:00Z'],
    ]);
    expect(later.result.findings[2].evidence).toMatchObject({ missed_runs: 2, last_expected_at: '2026-10-22T02:30:00Z' });
    expect(later.stderr).not.toContain('left out');
  });

  it('exits 0 with no findings', async () => {
    const { result, stdout } = await scan([fx('healthy.jsonl')]);
    expect(result.exitCode).toBe(0);
    expect(stdout).toContain('0 findings in 6 lines from 1 file: 5 with events (5 events), 0 rejected, 1 unrecognised');
  });

  it('prints one JSON finding per line with --json, the summary on stderr', async () => {
    const { stdout, stderr } = await scan([fx('etl-loader.log')], { json: true });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ detector: 'run-failed', subject: 'etl-loader', run_id: 'etl-03', ts: '2026-10-03T06:04:10Z', severity: 'high', evidence: expect.objectContaining({ exit_code: 1 }) })]);
    expect(stderr).toContain('1 finding in 6 lines');
  });

  it('shows the control characters of names from the log escaped in its tables and notes, its JSON as it was', async () => {
    // Prepare: a job name that would erase the findings table's row and move up a line
    const job = 'nightly\u001b[2K\u001b[1Aevil';
    const dir = mkdtempSync(join(tmpdir(), 'sa-esc-'));
    const file = join(dir, 'esc.log');
    writeFileSync(file, [
      JSON.stringify({ ts: '2026-10-01T00:00:00Z', type: 'run.start', job, run_id: 'r1', host: 'h1' }),
      JSON.stringify({ ts: '2026-10-01T00:00:05Z', type: 'run.end', job, run_id: 'r1', host: 'h1', exit_code: 1, duration_ms: 5000, output_bytes: 0 }),
      '',
    ].join('\n'));

    // Act
    const text = await scan([file]);
    const json = await scan([file], { json: true });

    // Assess: no control reaches the terminal; the rows line up under their headers; the JSON finding names the job as logged
    expect(text.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const rows = text.stdout.split('\n');
    const finding = rows.find((r) => r.includes('run-failed'))!;
    expect(finding).toContain('nightly\\x1b[2K\\x1b[1Aevil');
    expect(finding.indexOf('r1')).toBe(rows[0].indexOf('RUN'));
    const jobRow = rows.find((r) => r.startsWith('nightly'))!;
    const jobsHeader = rows.find((r) => r.startsWith('JOB'))!;
    expect(jobRow.indexOf('2026-10-01T00:00:05Z')).toBe(jobsHeader.indexOf('LAST SEEN'));
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ detector: 'run-failed', subject: job });
  });

  it('shows the host count of a job as 100+ when it reached the cap of hosts kept, and as counted below it', async () => {
    // Prepare: one run of fleet-sync on each of 120 hosts (more than a job keeps), and of canary on each of 99
    const dir = mkdtempSync(join(tmpdir(), 'sa-hosts-'));
    const file = join(dir, 'hosts.log');
    const runs = (job: string, n: number) =>
      Array.from({ length: n }, (_, i) => {
        const at = Date.parse('2026-10-01T00:00:00Z') + i * 60_000;
        return [
          JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job, run_id: `${job}-${i}`, host: `node-${i}` }),
          JSON.stringify({ type: 'run.end', ts: new Date(at + 5_000).toISOString(), job, run_id: `${job}-${i}`, host: `node-${i}`, exit_code: 0, output_bytes: 100 }),
        ];
      }).flat();
    writeFileSync(file, [...runs('fleet-sync', 120), ...runs('canary', 99), ''].join('\n'));
    // Act
    const { stdout } = await scan([file]);
    // Assess
    const rows = stdout.split('\n');
    expect(rows.find((r) => r.startsWith('fleet-sync'))).toMatch(/\s100\+ hosts(\s|$)/);
    expect(rows.find((r) => r.startsWith('canary'))).toMatch(/\s99 hosts(\s|$)/);
  });

  it('shows a line break in a job name escaped in the note of schedules learned, not as a line of its own', async () => {
    // Prepare: 14 daily runs of a job whose name holds line breaks that would forge a summary line
    const job = 'backup\n0 findings in 0 lines from 1 file: all healthy\n  x';
    const file = join(mkdtempSync(join(tmpdir(), 'sa-esc-')), 'daily.log');
    const lines: string[] = [];
    for (let d = 1; d <= 14; d++) {
      const day = String(d).padStart(2, '0');
      lines.push(JSON.stringify({ ts: `2026-10-${day}T03:00:00Z`, type: 'run.start', job, run_id: `r${d}`, host: 'h' }));
      lines.push(JSON.stringify({ ts: `2026-10-${day}T03:00:05Z`, type: 'run.end', job, run_id: `r${d}`, host: 'h', exit_code: 0, duration_ms: 5000, output_bytes: 10 }));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);

    // Act
    const { stdout } = await scan([file]);

    // Assess: the learned schedule's note names the job on one line, and points to init for a starter config
    expect(stdout).toContain('or write a starter config with: silent-audit init <the same logs>');
    expect(stdout).toContain('  backup\\x0a0 findings in 0 lines from 1 file: all healthy\\x0a  x: "0 3 * * *"');
    expect(stdout.split('\n').filter((l) => l.startsWith('0 findings in 0 lines'))).toEqual([]);
  });

  it('notes the schedule of a job on a Berlin host across the October clock change in Europe/Berlin, not in UTC', async () => {
    // Prepare: 02:30 Berlin time daily from 18 to 31 October 2026 (00:30Z to the 25th, 01:30Z after), and a job at 03:00Z every day
    const file = join(mkdtempSync(join(tmpdir(), 'sa-dst-')), 'daily.log');
    const lines: string[] = [];
    for (let d = 18; d <= 31; d++) {
      const backup = `2026-10-${d}T${d <= 25 ? '00' : '01'}:30:00Z`;
      lines.push(JSON.stringify({ ts: backup, type: 'run.start', job: 'backup', run_id: `b${d}`, host: 'h' }));
      lines.push(JSON.stringify({ ts: `2026-10-${d}T03:00:00Z`, type: 'run.start', job: 'export', run_id: `e${d}`, host: 'h' }));
    }
    lines.sort();
    writeFileSync(file, `${lines.join('\n')}\n`);

    // Act
    const { stdout } = await scan([file]);

    // Assess: the zone is named with the local time; the job that kept its UTC time keeps a UTC cron
    expect(stdout).toContain('copy into the config as jobs.<job>.schedule, with jobs.<job>.timezone when one is named');
    expect(stdout).toContain('  backup: "30 2 * * *" timezone Europe/Berlin  (daily, 13 intervals, 100% regular in local time; zone guessed: the runs kept their local time across the clock change on 2026-10-25)');
    expect(stdout).toContain('  export: "0 3 * * *"  (daily, 13 intervals, 100% regular)');
    expect(stdout).toMatch(/daily "30 2 \* \* \*" Europe\/Berlin \(inferred\)/);
  });

  describe('a Berlin cron host\'s syslog, whose dates name no zone (--timezone)', () => {
    /** The syslog of a host on Berlin time: a backup at 02:30 local every day of October 2026 (the clock goes back on the 25th). */
    const berlinSyslog = () => {
      const file = join(mkdtempSync(join(tmpdir(), 'sa-berlin-')), 'syslog');
      const lines: string[] = [];
      for (let d = 1; d <= 31; d++) lines.push(`Oct ${String(d).padStart(2, ' ')} 02:30:01 web1 CRON[${1000 + d}]: (root) CMD (/usr/local/bin/backup.sh)`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    };
    const berlinConfig = validateConfig({ jobs: { '/usr/local/bin/backup.sh': { schedule: '30 2 * * *', timezone: 'Europe/Berlin' } } });

    it('reads them as UTC without --timezone, and says so when a job keeps another zone', async () => {
      // Prepare
      const file = berlinSyslog();

      // Act
      const { result, stderr } = await scan([file], { config: berlinConfig, year: 2026 });

      // Assess: every run read an hour or two late, and the note says why and what to give
      expect(result.findings.filter((f) => f.detector === 'missed-run').length).toBeGreaterThan(25);
      expect(stderr).toContain(
        "silent-audit scan: note: 31 lines gave times with no zone (syslog dates, a ts without offset), read as UTC, while the config's jobs have timezone Europe/Berlin: if the hosts' clocks are on it, give --timezone Europe/Berlin\n",
      );
    });

    it('reads them in the zone given, DST included: no run missed, and no note', async () => {
      // Prepare
      const file = berlinSyslog();

      // Act
      const { result, stderr } = await scan([file], { config: berlinConfig, year: 2026, timeZone: 'Europe/Berlin' });

      // Assess
      expect(result.findings).toEqual([]);
      expect(result.exitCode).toBe(0);
      expect(stderr).not.toContain('note:');
    });

    it("reads an hourly systemd timer's runs in both passes of the hour the clock goes back, each finished in the second it started, at their own instants", async () => {
      // Prepare: foo.service started by its timer at :17:01 of every hour from 22 to 27 October 2026 (Berlin wall time), its Deactivated and Finished lines in the same second; `Oct 25 02:17:01` comes twice
      const file = join(mkdtempSync(join(tmpdir(), 'sa-berlin-')), 'syslog');
      const lines: string[] = [];
      for (let t = Date.UTC(2026, 9, 22, 0, 17); t < Date.UTC(2026, 9, 28); t += 3_600_000) {
        const date = berlinSyslogStamp(t, 'deb1');
        lines.push(`${date} systemd[1]: Starting foo.service - Hourly foo...`, `${date} systemd[1]: foo.service: Deactivated successfully.`, `${date} systemd[1]: Finished foo.service - Hourly foo.`);
      }
      writeFileSync(file, `${lines.join('\n')}\n`);
      const config = validateConfig({ jobs: { 'foo.service': { schedule: '17 * * * *', timezone: 'Europe/Berlin' } } });

      // Act
      const { result } = await scan([file], { config, json: true, year: 2026, timeZone: 'Europe/Berlin', now: Date.parse('2026-10-28T00:00:00Z') });

      // Assess: both 02:17:01 runs counted (00:17:01Z and 01:17:01Z), none missed, none left unfinished
      expect(lines.filter((line) => line.startsWith('Oct 25 02:17:01') && line.includes('Starting'))).toHaveLength(2);
      expect(result.findings).toEqual([]);
    });

    it("reads a Debian host's hourly run-parts across a syslog rotated at 02:30 of the first pass of Berlin's repeated hour at their own instants, the files given in either order", async () => {
      // Prepare: `17 * * * *` run-parts with its PAM session lines, hourly from 22 to 27 October 2026 (Berlin wall time); logrotate at 00:30Z (02:30 summer time), so syslog.1 ends with the first `Oct 25 02:17:01` run and syslog begins with the second
      const dir = mkdtempSync(join(tmpdir(), 'sa-berlin-'));
      const older: string[] = [];
      const newer: string[] = [];
      for (let t = Date.UTC(2026, 9, 22, 0, 17), pid = 5000; t < Date.UTC(2026, 9, 28); t += 3_600_000, pid += 2) {
        const date = berlinSyslogStamp(t, 'deb1');
        (t < Date.UTC(2026, 9, 25, 0, 30) ? older : newer).push(
          `${date} CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
          `${date} CRON[${pid + 1}]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)`,
          `${date} CRON[${pid}]: pam_unix(cron:session): session closed for user root`,
        );
      }
      writeFileSync(join(dir, 'syslog.1'), `${older.join('\n')}\n`);
      writeFileSync(join(dir, 'syslog'), `${newer.join('\n')}\n`);
      const config = validateConfig({ jobs: { 'cd / && run-parts --report /etc/cron.hourly': { schedule: '17 * * * *', timezone: 'Europe/Berlin' } } });
      const options = { config, json: true, year: 2026, timeZone: 'Europe/Berlin', now: Date.parse('2026-10-28T00:00:00Z') };

      // Act
      const inOrder = await scan([join(dir, 'syslog.1'), join(dir, 'syslog')], options);
      const newestFirst = await scan([join(dir, 'syslog'), join(dir, 'syslog.1')], options);

      // Assess: the rotation split the two 02:17:01 runs; both read at their instants (00:17:01Z, 01:17:01Z), none missed, none twice
      expect([older.at(-2), newer[1]].map((line) => line?.slice(0, 15))).toEqual(['Oct 25 02:17:01', 'Oct 25 02:17:01']);
      expect(inOrder.result.findings).toEqual([]);
      expect(newestFirst.result.findings).toEqual([]);
    });

    it("reads an hourly systemd timer's runs across a syslog rotated at the second pass's start of Berlin's repeated hour at their own instants, the files given in either order", async () => {
      // Prepare: foo.service started by its timer at :17:01 of every hour from 22 to 27 October 2026 (Berlin wall time), from pid 1, its Finished line in the same second; logrotate at 01:17:00Z, so syslog begins with the second `Oct 25 02:17:01 … Starting foo.service`
      const dir = mkdtempSync(join(tmpdir(), 'sa-berlin-'));
      const older: string[] = [];
      const newer: string[] = [];
      for (let t = Date.UTC(2026, 9, 22, 0, 17); t < Date.UTC(2026, 9, 28); t += 3_600_000) {
        const date = berlinSyslogStamp(t, 'deb1');
        (t < Date.UTC(2026, 9, 25, 1, 17) ? older : newer).push(`${date} systemd[1]: Starting foo.service - Hourly foo...`, `${date} systemd[1]: foo.service: Deactivated successfully.`, `${date} systemd[1]: Finished foo.service - Hourly foo.`);
      }
      writeFileSync(join(dir, 'syslog.1'), `${older.join('\n')}\n`);
      writeFileSync(join(dir, 'syslog'), `${newer.join('\n')}\n`);
      const config = validateConfig({ jobs: { 'foo.service': { schedule: '17 * * * *', timezone: 'Europe/Berlin' } } });
      const options = { config, json: true, year: 2026, timeZone: 'Europe/Berlin', now: Date.parse('2026-10-28T00:00:00Z') };

      // Act
      const inOrder = await scan([join(dir, 'syslog.1'), join(dir, 'syslog')], options);
      const newestFirst = await scan([join(dir, 'syslog'), join(dir, 'syslog.1')], options);

      // Assess: the rotation split the two 02:17:01 runs; both read at their instants (00:17:01Z, 01:17:01Z), none missed
      expect([older.at(-3), newer[0]].map((line) => line?.slice(0, 15))).toEqual(['Oct 25 02:17:01', 'Oct 25 02:17:01']);
      expect(inOrder.result.findings).toEqual([]);
      expect(newestFirst.result.findings).toEqual([]);
    });

    it("reads a host's 5-minute job across a syslog rotated at 02:10 of the second pass of Berlin's repeated hour at its own instants, the files given in either order", async () => {
      // Prepare: one host (ubuntu) with the hourly run-parts at :17:01 and a job every 5 minutes, from 24 to 25 October 2026 (Berlin wall time), each from its own process; logrotate at 01:10Z (02:10 winter time), so syslog begins inside the second pass
      const dir = mkdtempSync(join(tmpdir(), 'sa-berlin-'));
      const older: string[] = [];
      const newer: string[] = [];
      for (let t = Date.UTC(2026, 9, 24, 0, 0), pid = 5000; t < Date.UTC(2026, 9, 26); t += 60_000, pid += 10) {
        const minute = new Date(t).getUTCMinutes();
        const date = berlinSyslogStamp(t, 'ubuntu');
        const lines = t < Date.UTC(2026, 9, 25, 1, 10) ? older : newer;
        if (minute === 17) lines.push(`${date} CRON[${pid}]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)`);
        if (minute % 5 === 0) lines.push(`${date} CRON[${pid + 7}]: (root) CMD (/opt/every-5)`);
      }
      writeFileSync(join(dir, 'syslog.1'), `${older.join('\n')}\n`);
      writeFileSync(join(dir, 'syslog'), `${newer.join('\n')}\n`);
      const config = validateConfig({ jobs: { 'cd / && run-parts --report /etc/cron.hourly': { schedule: '17 * * * *', timezone: 'Europe/Berlin' }, '/opt/every-5': { schedule: '*/5 * * * *', timezone: 'Europe/Berlin' } } });
      const options = { config, json: true, year: 2026, timeZone: 'Europe/Berlin', now: Date.parse('2026-10-26T00:00:00Z') };

      // Act
      const inOrder = await scan([join(dir, 'syslog.1'), join(dir, 'syslog')], options);
      const newestFirst = await scan([join(dir, 'syslog'), join(dir, 'syslog.1')], options);

      // Assess: the newer file begins at the second pass's 02:10:01, whose lines syslog.1 also holds from the first pass; every run read at its own instant, none missed
      expect(newer[0]?.slice(0, 15)).toBe('Oct 25 02:10:01');
      expect(older.some((line) => line.startsWith('Oct 25 02:10:01'))).toBe(true);
      expect(inOrder.result.findings).toEqual([]);
      expect(newestFirst.result.findings).toEqual([]);
    });

    it("reads two hosts of one hostname (cloned), scanned together, each by its own lines in Berlin's repeated hour", async () => {
      // Prepare: two machines named ubuntu, each with its syslog from 24 to 25 October 2026 (Berlin wall time): both run the hourly run-parts at :17:01 from their own processes; only the second runs a job every 5 minutes
      const dir = mkdtempSync(join(tmpdir(), 'sa-berlin-'));
      const a: string[] = [];
      const b: string[] = [];
      for (let t = Date.UTC(2026, 9, 24, 0, 0), pid = 5000; t < Date.UTC(2026, 9, 26); t += 60_000, pid += 10) {
        const minute = new Date(t).getUTCMinutes();
        const date = berlinSyslogStamp(t, 'ubuntu');
        if (minute === 17) {
          a.push(`${date} CRON[${pid}]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)`);
          b.push(`${date} CRON[${pid + 3}]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)`);
        }
        if (minute % 5 === 0) b.push(`${date} CRON[${pid + 5}]: (root) CMD (/opt/b-only)`);
      }
      writeFileSync(join(dir, 'a-syslog'), `${a.join('\n')}\n`);
      writeFileSync(join(dir, 'b-syslog'), `${b.join('\n')}\n`);
      const config = validateConfig({ jobs: { 'cd / && run-parts --report /etc/cron.hourly': { schedule: '17 * * * *', timezone: 'Europe/Berlin' }, '/opt/b-only': { schedule: '*/5 * * * *', timezone: 'Europe/Berlin' } } });
      const options = { config, json: true, year: 2026, timeZone: 'Europe/Berlin', now: Date.parse('2026-10-26T00:00:00Z') };

      // Act
      const aFirst = await scan([join(dir, 'a-syslog'), join(dir, 'b-syslog')], options);
      const bFirst = await scan([join(dir, 'b-syslog'), join(dir, 'a-syslog')], options);

      // Assess: the second machine's first-pass run (another process than the first machine's) stays in its first pass, and its 5-minute runs with it: none missed
      expect(aFirst.result.findings).toEqual([]);
      expect(bFirst.result.findings).toEqual([]);
    });

    it('gives no note when no job keeps a zone other than UTC', async () => {
      // Prepare
      const file = berlinSyslog();
      const utcConfig = validateConfig({ jobs: { '/usr/local/bin/backup.sh': { schedule: '30 2 * * *', timezone: 'Etc/UTC' } } });

      // Act
      const { stderr } = await scan([file], { config: utcConfig, year: 2026 });

      // Assess
      expect(stderr).not.toContain('note:');
    });
  });

  it('shows the control characters of a file name escaped in its error message', async () => {
    // Act
    const { result, stderr } = await scan([join(tmpdir(), 'no-such-\u001b[2J.log')]);
    // Assess
    expect(result.exitCode).toBe(2);
    expect(stderr).toContain('no-such-\\x1b[2J.log');
    expect(stderr).not.toContain('\u001b');
  });

  it('reads .gz files, several files at once, and stdin (-) in time order', async () => {
    const gz = await scan([fx('etl-loader.log.gz'), fx('healthy.jsonl')]);
    expect(gz.result.findings.map((f) => f.run_id)).toEqual(['etl-03']);
    expect(gz.result.counts.lines).toBe(12);

    const stdin = Readable.from([readFileSync(fx('nightly-backup.jsonl'))]);
    const piped = await scan(['-'], { stdin });
    expect(piped.result.findings.map((f) => f.detector)).toEqual(['empty-output']);
  });

  it('reads gzip piped to stdin (gzip -c app.log | silent-audit scan -), known by its first bytes', async () => {
    // Prepare: the gzipped fixture as stdin, in small chunks as a pipe may give it
    const gz = readFileSync(fx('etl-loader.log.gz'));
    const stdin = Readable.from(Array.from({ length: Math.ceil(gz.length / 7) }, (_, i) => gz.subarray(i * 7, i * 7 + 7)));
    // Act
    const { result, stdout } = await scan(['-'], { stdin });
    // Assess
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'etl-03']]);
    expect(stdout).toContain('1 finding in 6 lines from stdin');
  });

  it.each([
    ['Docker json-file', 'docker-json.log', 'nightly-export', 'ne-01', '2026-10-01T02:04:10Z', '1 finding in 4 lines from 1 file: 2 with events (2 events), 0 rejected, 2 unrecognised'],
    ['Kubernetes CRI', 'cri.log', 'report-builder', 'rb-01', '2026-10-01T03:07:30Z', '1 finding in 6 lines from 1 file: 3 with events (3 events), 0 rejected, 3 unrecognised'],
  ])("reads a container's log as its runtime wrote it (%s), a line it split over 16 KiB joined", async (_runtime, file, job, runId, ts, summary) => {
    // Prepare: the run.end without ts, split into four records, fails the run
    const path = fileURLToPath(new URL(`../fixtures/containers/${file}`, import.meta.url));
    // Act
    const { result, stdout } = await scan([path]);
    // Assess: its time is its first record's; every record of it counts as one line
    expect(result.findings.map((f) => [f.detector, f.subject, f.run_id, f.ts])).toEqual([['run-failed', job, runId, ts]]);
    expect(stdout).toContain(summary);
  });

  it('rejects a line a container runtime split that joins over the line limit, naming where it begins, and reads the lines after it', async () => {
    // Prepare: a 320 KiB line in 20 Docker records, then a failed run
    const file = join(mkdtempSync(join(tmpdir(), 'scan-docker-')), 'app-json.log');
    const part = (ends: boolean) => JSON.stringify({ log: `${'x'.repeat(16 * 1024)}${ends ? '\n' : ''}`, stream: 'stdout', time: '2026-10-03T06:00:01.5Z' });
    const runEnd = JSON.stringify({ log: `${JSON.stringify({ type: 'run.end', job: 'etl', run_id: 'r1', exit_code: 1, ts: '2026-10-03T06:00:05Z' })}\n`, stream: 'stdout', time: '2026-10-03T06:00:05.1Z' });
    writeFileSync(file, `${Array.from({ length: 20 }, (_, i) => part(i === 19)).join('\n')}\n${runEnd}\n`);
    // Act
    const { result, stdout } = await scan([file]);
    // Assess
    expect(stdout).toContain(`rejected ${file}:1: line is ${20 * 16 * 1024} bytes, over the 262144 limit (a line the container runtime split into 20 records, lines 1–20)`);
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'r1']]);
  });

  it("reads a Docker-shaped line over 16 KiB whose shipper stripped its end as a whole line, not a part that swallows the next", async () => {
    // Prepare: two runs' starts, then a 20 KiB run.end of a and, 0.1 s later, b's run.end, each without its \n
    const file = join(mkdtempSync(join(tmpdir(), 'scan-shipped-')), 'shipped-json.log');
    const record = (event: object, time: string) => JSON.stringify({ log: JSON.stringify(event), stream: 'stdout', time });
    const lines = [
      record({ type: 'run.start', job: 'a', run_id: 'a1', ts: '2026-12-01T10:00:00Z' }, '2026-12-01T10:00:00Z'),
      record({ type: 'run.start', job: 'b', run_id: 'b1', ts: '2026-12-01T10:00:00Z' }, '2026-12-01T10:00:00.05Z'),
      record({ type: 'run.end', job: 'a', run_id: 'a1', ts: '2026-12-01T10:00:05Z', exit_code: 2, note: 'x'.repeat(20 * 1024) }, '2026-12-01T10:00:05Z'),
      record({ type: 'run.end', job: 'b', run_id: 'b1', ts: '2026-12-01T10:00:05Z', exit_code: 3 }, '2026-12-01T10:00:05.1Z'),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    // Act
    const { result, stdout } = await scan([file]);
    // Assess: both run.ends read, each failing its run
    expect(result.findings.map((f) => [f.detector, f.run_id]).sort()).toEqual([['run-failed', 'a1'], ['run-failed', 'b1']]);
    expect(stdout).toContain('in 4 lines from 1 file: 4 with events (4 events), 0 rejected, 0 unrecognised');
  });

  it('counts the split line a truncated .gz ends in, read as far as it got, before the file\'s error', async () => {
    // Prepare: two runs' starts, a Docker line split over two records whose second never comes (the gzip cut short in a long line after it)
    const file = join(mkdtempSync(join(tmpdir(), 'scan-cut-')), 'cut-json.log.gz');
    const record = (log: string, time: string, stream = 'stdout') => JSON.stringify({ log, stream, time });
    const start = (id: string, ts: string) => record(`${JSON.stringify({ type: 'run.start', job: 'etl', run_id: id, ts, host: 'h' })}\n`, ts);
    const noise = Array.from({ length: 4000 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join(' ');
    const lines = [
      start('r1', '2026-10-03T06:00:00Z'),
      start('r2', '2026-10-03T06:01:00Z'),
      record('{"type":"run.start","job":"etl","run_id":"r3","ts":"2026-10-03T06:02:00Z",', '2026-10-03T06:02:00Z'),
      record('plain stderr text\n', '2026-10-03T06:02:01Z', 'stderr'),
      record(`stderr ${noise}\n`, '2026-10-03T06:02:02Z', 'stderr'),
      record('"host":"h"}\n', '2026-10-03T06:02:03Z'),
    ];
    const gz = gzipSync(`${lines.join('\n')}\n`);
    writeFileSync(file, gz.subarray(0, gz.length - Math.floor(gz.length / 4)));

    // Act
    const { stdout } = await scan([file]);

    // Assess: the open split line (line 3) is rejected where it begins, as read so far, beside the truncation
    expect(stdout).toContain(`rejected ${file}:3: run.start event rejected: not valid JSON`);
    expect(stdout).toMatch(/cannot read gzip input: unexpected end of file/);
    expect(stdout).toContain('in 5 lines from 1 file: 2 with events (2 events), 2 rejected, 1 unrecognised');
  });

  it('rejects a line of several MiB with its size and file:line, and reads the lines after it', async () => {
    // Prepare: a file whose second line is a 5 MiB dump with no line end in it, then a failed run
    const file = join(mkdtempSync(join(tmpdir(), 'scan-long-')), 'app.log');
    const dump = 'x'.repeat(5 * 1024 * 1024);
    const runEnd = JSON.stringify({ type: 'run.end', job: 'etl', run_id: 'r1', exit_code: 1, ts: '2026-10-03T06:00:05Z' });
    writeFileSync(file, `starting\n${dump}\n${runEnd}\n`);
    // Act
    const { result, stdout } = await scan([file]);
    // Assess
    expect(stdout).toContain(`rejected ${file}:2: line is ${dump.length} bytes, over the 262144 limit`);
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'r1']]);
    expect(result.counts.lines).toBe(3);
  });

  it('reads a named pipe as a stream (mkfifo p; zcat x.gz > p &), gzip known by its first bytes', async () => {
    // Prepare
    const fifo = join(mkdtempSync(join(tmpdir(), 'sa-fifo-')), 'etl-loader.pipe');
    execFileSync('mkfifo', [fifo]);
    const writing = writeFile(fifo, readFileSync(fx('etl-loader.log.gz')));
    // Act
    const { result, stdout } = await scan([fifo]);
    await writing;
    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([['run-failed', 'etl-loader', 'etl-03']]);
    expect(stdout).toContain('1 finding in 6 lines from 1 file');
  });

  it('reads a file named twice in two spellings (x.log ./x.log) once, saying so: its agent actions are not counted twice', async () => {
    // Prepare: an agent's log, and a second name of it
    const agents = fileURLToPath(new URL('../fixtures/agents/support-bot.jsonl', import.meta.url));
    const again = agents.replace(/support-bot\.jsonl$/, './support-bot.jsonl');
    const once = await scan([agents], { json: true });
    // Act
    const twice = await scan([agents, again], { json: true });
    // Assess
    expect(twice.result.counts.lines).toBe(once.result.counts.lines);
    expect(twice.result.findings).toEqual(once.result.findings);
    expect(twice.stderr).toContain(`silent-audit: ${again} is ${agents} again: read once`);
    expect(twice.stderr).toContain('from 1 file:');
  });

  it('reads stdin given twice (- -) once, saying so', async () => {
    // Prepare
    const stdin = Readable.from([readFileSync(fx('nightly-backup.jsonl'))]);
    // Act
    const { result, stderr } = await scan(['-', '-'], { stdin, json: true });
    // Assess
    expect(result.counts.lines).toBe(24);
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['empty-output', 'nb-08']]);
    expect(stderr).toContain('silent-audit: - (stdin) is given more than once: read once');
  });

  it('says it read stdin, and one line, in the summary', async () => {
    // Prepare
    const stdin = Readable.from(['{"type":"run.start","job":"x"}\n']);
    // Act
    const { stdout } = await scan(['-'], { stdin });
    // Assess
    expect(stdout).toContain('0 findings in 1 line from stdin: 0 with events (0 events), 1 rejected, 0 unrecognised');
  });

  it('counts and shows rejected lines with file and line number, and goes on', async () => {
    const { result, stdout } = await scan([fx('bad-lines.jsonl')]);
    expect(result.counts).toEqual({ lines: 3, events: 1, eventLines: 1, nothingToJudge: 0, rejected: 1, unrecognised: 1 });
    expect(stdout).toContain(`rejected ${fx('bad-lines.jsonl')}:1: run.end event rejected: exit_code:`);
  });

  it.each([false, true])('rejects a line whose ts is past the year 9999, counts it and goes on (json: %s)', async (json) => {
    // Prepare: a start and an end stamped in the year 285,000 (epoch ms 9e15), then a failed run
    const dir = mkdtempSync(join(tmpdir(), 'scan-bigts-'));
    const file = join(dir, 'nightly.log');
    writeFileSync(
      file,
      [
        '{"type":"run.start","job":"nightly","run_id":"r1","ts":9000000000000000}',
        '{"type":"run.end","job":"nightly","run_id":"r1","exit_code":0,"ts":9000000000000001}',
        '{"type":"run.end","job":"nightly","run_id":"r2","exit_code":1,"ts":"2026-10-05T02:30:00Z"}',
        '',
      ].join('\n'),
    );
    // Act
    const { result, stdout } = await scan([file], { json, now: Date.parse('2026-10-05T03:00:00Z') });
    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.counts).toMatchObject({ lines: 3, events: 1, rejected: 2 });
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'r2']]);
    if (!json) expect(stdout).toContain(`rejected ${file}:1: run.start event rejected: ts: must be epoch milliseconds before the year 10000`);
  });

  it('exits 2 for a missing file, naming it', async () => {
    const { result, stderr } = await scan([fx('nope.log')]);
    expect(result.exitCode).toBe(2);
    expect(stderr).toContain('nope.log: no such file');
  });

  it.each([
    ['a file', false, false],
    ['a gzipped file', true, false],
    ['stdin', false, true],
  ])('reads UTF-16 with its byte order mark (PowerShell 5\'s `>`), as %s, as it reads UTF-8', async (_, gzipped, piped) => {
    // Prepare: the fixture as Windows PowerShell 5 writes it, CRLF line ends, little-endian after FF FE
    const text = readFileSync(fx('etl-loader.log'), 'utf8').replace(/\n/g, '\r\n');
    const utf16 = Buffer.from(`\uFEFF${text}`, 'utf16le');
    const bytes = gzipped ? gzipSync(utf16) : utf16;
    const path = join(mkdtempSync(join(tmpdir(), 'sa-utf16-')), gzipped ? 'etl-loader.log.gz' : 'etl-loader.log');
    writeFileSync(path, bytes);
    // Act
    const { result, stdout, stderr } = piped ? await scan(['-'], { stdin: Readable.from([bytes]) }) : await scan([path]);
    // Assess
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'etl-03']]);
    expect(stdout).toMatch(/1 finding in 6 lines from (1 file|stdin): 6 with events \(6 events\), 0 rejected, 0 unrecognised\n/);
    expect(stderr).toBe('');
  });

  // `{"ts":…,"type":"run.start",…}` as `xz` compresses it.
  const xzLine = 'fd377a585a000004e6d6b4460200210116000000742fe5a3e00054004c5d003d888a87715753856436705f6ac74bc38c8cb2e6ec972c2a5ec4d6f06dc5370c650fa70abe62420b44fa44ca1e8989e15fbdfa74ba33bdf3bbd6745067921df482aa7d5acf52c2db368f0000008e1942852dd90cf400016855fff1a3961fb6f37d010000000004595a';

  it.each([
    ['exits 2 when the others gave no finding', 'healthy.jsonl', 2, '0 findings in 6 lines from 2 files'],
    ['exits 1 when the others gave findings: a finding is never hidden behind it', 'etl-loader.log', 1, '1 finding in 6 lines from 2 files'],
  ])('names a file it cannot read (xz), says what to do, counts it and reads the others: %s', async (_, other, exitCode, summary) => {
    // Prepare
    const xz = join(mkdtempSync(join(tmpdir(), 'sa-xz-')), 'app.log.xz');
    writeFileSync(xz, Buffer.from(xzLine, 'hex'));
    // Act
    const { result, stdout, stderr } = await scan([xz, fx(other)]);
    // Assess
    expect(result.exitCode).toBe(exitCode);
    expect(stderr).toContain(`silent-audit scan: ${xz}: xz-compressed; decompress it first (xzcat ${xz} | silent-audit scan -)\n`);
    expect(stdout).toContain(summary);
    expect(stdout).toMatch(/unrecognised; 1 file could not be read\n/);
  });

  it.each([
    ['plain text named .gz', (text: Buffer) => text, 'incorrect header check'],
    ['a gzip cut before its first line', (text: Buffer) => gzipSync(text).subarray(0, 12), 'unexpected end of file'],
  ])('counts a .gz of which no line could be read as a file it cannot read, as xz (exit 2 without findings): %s', async (_, bytesOf, reason) => {
    // Prepare
    const gz = join(mkdtempSync(join(tmpdir(), 'sa-gz0-')), 'app.log.gz');
    writeFileSync(gz, bytesOf(readFileSync(fx('etl-loader.log'))));
    // Act
    const { result, stdout, stderr } = await scan([gz, fx('healthy.jsonl')]);
    // Assess
    expect(result.exitCode).toBe(2);
    expect(stderr).toContain(`silent-audit scan: ${gz}: cannot read gzip input: ${reason}`);
    expect(stderr).toContain('(the file is truncated or corrupt: no line could be read)\n');
    expect(stdout).toMatch(/0 findings in 6 lines from 2 files: .*, 0 rejected, 1 unrecognised; 1 file could not be read\n/);
  });

  it.each([
    ['exits 2 when the others gave no finding', 'healthy.jsonl', 2, '0 findings in 6 lines from 2 files'],
    ['exits 1 when the others gave findings: a finding is never hidden behind it', 'etl-loader.log', 1, '1 finding in 6 lines from 2 files'],
  ])('names a missing file, counts it and reads the others: %s', async (_, other, exitCode, summary) => {
    // Prepare
    const missing = join(mkdtempSync(join(tmpdir(), 'sa-missing-')), 'gone.log');
    // Act
    const { result, stdout, stderr } = await scan([missing, fx(other)]);
    // Assess
    expect(result.exitCode).toBe(exitCode);
    expect(stderr).toContain(`silent-audit scan: ${missing}: no such file\n`);
    expect(stdout).toContain(summary);
    expect(stdout).toMatch(/unrecognised; 1 file could not be read\n/);
  });

  it.skipIf(process.getuid?.() === 0)('names a file it may not read (permission denied), in its own words, and reads the others', async () => {
    // Prepare: mode 000 (root reads it all the same: this runs as another user only)
    const secret = join(mkdtempSync(join(tmpdir(), 'sa-secret-')), 'secret.log');
    writeFileSync(secret, readFileSync(fx('etl-loader.log')));
    chmodSync(secret, 0o000);
    // Act
    const { result, stdout, stderr } = await scan([secret, fx('etl-loader.log')]);
    // Assess
    expect(result.exitCode).toBe(1);
    expect(stderr).toContain(`silent-audit scan: ${secret}: permission denied; scan it as a user who may read it\n`);
    expect(stderr).not.toContain('after line');
    expect(stdout).toMatch(/unrecognised; 1 file could not be read\n/);
  });

  it('says so when no line of a file is one it reads, naming that file only; the exit code stays 0', async () => {
    // Prepare: an application's own log beside a file of our events
    const dir = mkdtempSync(join(tmpdir(), 'sa-unknown-'));
    const app = join(dir, 'app.log');
    writeFileSync(app, '2026-10-01 02:00:00 INFO starting\n2026-10-01 02:00:01 INFO done\n');
    // Act
    const { result, stderr } = await scan([app, fx('healthy.jsonl')]);
    const piped = await scan(['-'], { stdin: Readable.from([Buffer.from('just text\n')]) });
    // Assess: healthy.jsonl has one unrecognised line of six, and is not named
    expect(result.exitCode).toBe(0);
    expect(stderr).toBe(`silent-audit scan: note: none of the 2 lines of ${app} is a line silent-audit reads (JSON events with a "type" of ours, cron in syslog, systemd, Lambda platform lines, container records…: see docs/log-formats.md)\n`);
    expect(piped.result.exitCode).toBe(0);
    expect(piped.stderr).toContain('silent-audit scan: note: the one line of stdin is not a line silent-audit reads');
  });

  it("reads a log that logrotate's copytruncate left, a run of NULs before its lines, and finds what they hold", async () => {
    // Prepare: 4 KiB of NULs (the writer resumed at its old offset in the truncated file), then lines
    const dir = mkdtempSync(join(tmpdir(), 'sa-copytruncate-'));
    const path = join(dir, 'etl-loader.log');
    writeFileSync(path, Buffer.concat([Buffer.alloc(4096), readFileSync(fx('etl-loader.log'))]));
    // Act
    const { result, stdout, stderr } = await scan([path]);
    // Assess: the run of NULs is part of the first line, which alone is lost (its timestamp is behind them), and said
    expect(result.exitCode).toBe(1);
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'etl-03']]);
    expect(stdout).toMatch(/1 finding in 6 lines from 1 file: 5 with events \(5 events\), 1 rejected, 0 unrecognised\n/);
    expect(stdout).toContain(`rejected ${path}:1: run.start event rejected: no time`);
    expect(stderr).toBe('');
  });

  it('reads a text log whose bytes 257 to 261 spell `ustar` (a path), not taking it for a tar archive', async () => {
    // Prepare: an unrecognised first line with `/srv/ustar/` at byte 256, then the fixture's lines
    const dir = mkdtempSync(join(tmpdir(), 'sa-ustar-'));
    const path = join(dir, 'etl-loader.log');
    const first = `copied ${'x'.repeat(256 - 'copied '.length)}/ustar/2026-10-03.tar\n`;
    writeFileSync(path, first + readFileSync(fx('etl-loader.log'), 'utf8'));
    // Act
    const { result, stdout, stderr } = await scan([path]);
    // Assess
    expect(first.slice(257, 262)).toBe('ustar');
    expect(result.exitCode).toBe(1);
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'etl-03']]);
    expect(stdout).toMatch(/1 finding in 7 lines from 1 file: 6 with events \(6 events\), 0 rejected, 1 unrecognised\n/);
    expect(stderr).toBe('');
  });

  it('reads a file with NUL bytes in its first bytes, and says they may be why when none of its lines is one it reads', async () => {
    // Prepare: UTF-16 without its byte order mark, which the reader cannot tell from binary data
    const dir = mkdtempSync(join(tmpdir(), 'sa-nul-'));
    const path = join(dir, 'etl-loader.log');
    writeFileSync(path, Buffer.from(readFileSync(fx('etl-loader.log'), 'utf8'), 'utf16le'));
    // Act
    const { result, stdout, stderr } = await scan([path]);
    // Assess: its last line is the NUL after the last line feed
    expect(result.exitCode).toBe(0);
    expect(stdout).toMatch(/0 findings in 7 lines from 1 file: 0 with events \(0 events\), 0 rejected, 7 unrecognised\n/);
    expect(stderr).toBe(
      `silent-audit scan: note: none of the 7 lines of ${path} is a line silent-audit reads (JSON events with a "type" of ours, cron in syslog, systemd, Lambda platform lines, container records…: see docs/log-formats.md); ` +
        `it holds NUL bytes: binary data, or UTF-16 without a byte order mark? (if UTF-16, convert it first: iconv -f UTF-16LE -t UTF-8 ${path} | silent-audit scan -)\n`,
    );
  });

  it("names a file's job after its base name without extensions", () => {
    expect(jobNameOfFile('/var/log/etl-loader.log.gz')).toBe('etl-loader');
    expect(jobNameOfFile('etl-loader')).toBe('etl-loader');
    expect(jobNameOfFile('/dev/fd/63')).toBeUndefined();
    expect(jobNameOfFile('/proc/self/fd/12')).toBeUndefined();
  });

  it('names no job after /dev/stdin, stdin by another name, so --function names its Lambda platform lines', () => {
    expect(jobNameOfFile('/dev/stdin')).toBeUndefined();
  });
});

describe('the silent-audit command', () => {
  const cli = (args: string[], input?: string) =>
    spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), ...args], { cwd: mkdtempSync(join(tmpdir(), 'sa-')), input, encoding: 'utf8' });

  it('exits 1 with findings, 0 without, reading stdin with -', () => {
    expect(cli(['scan', fx('nightly-backup.jsonl')]).status).toBe(1);
    expect(cli(['scan', fx('healthy.jsonl')]).status).toBe(0);
    const piped = cli(['scan', '--json', '-'], readFileSync(fx('etl-loader.log'), 'utf8'));
    expect(piped.status).toBe(1);
    expect(JSON.parse(piped.stdout.trim())).toMatchObject({ detector: 'run-failed', run_id: 'etl-03' });
  });

  it('exits 2 on a --timezone that is no IANA zone, naming the option', () => {
    // Act
    const run = cli(['scan', '--timezone', 'Berlin', fx('healthy.jsonl')]);

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("error: option '--timezone <zone>' argument 'Berlin' is invalid. not an IANA time zone");
  });

  it('reads a file once when stdin is redirected from it too (scan x.log - < x.log, scan - /dev/stdin < x.log), saying so', () => {
    // Prepare: the CLI's stdin is the file itself, as the shell redirects it
    const file = fx('nightly-backup.jsonl');
    const redirected = (args: string[]) => {
      const fd = openSync(file, 'r');
      try {
        return spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), 'scan', ...args], { cwd: mkdtempSync(join(tmpdir(), 'sa-')), stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
      } finally {
        closeSync(fd);
      }
    };

    // Act
    const fileThenStdin = redirected([file, '-']);
    const stdinThenDevStdin = redirected(['-', '/dev/stdin']);

    // Assess
    expect(fileThenStdin.stdout).toContain('1 finding in 24 lines from 1 file');
    expect(fileThenStdin.stderr).toContain(`silent-audit: - (stdin) is ${file} again: read once`);
    expect(stdinThenDevStdin.stdout).toContain('1 finding in 24 lines from stdin');
    expect(stdinThenDevStdin.stderr).toContain('silent-audit: /dev/stdin is - (stdin) again: read once');
  });

  it("reads a process substitution, scan <(zcat app.log.gz), and refuses a directory with exit 2", () => {
    // Act
    const substituted = spawnSync('bash', ['-c', `"${process.execPath}" "${join(repo, 'bin/silent-audit.mjs')}" scan --json <(gzip -dc "${fx('etl-loader.log.gz')}")`], {
      cwd: mkdtempSync(join(tmpdir(), 'sa-')),
      encoding: 'utf8',
    });
    const directory = cli(['scan', fixtures]);
    // Assess
    expect(substituted.stderr).not.toContain('not a file');
    expect(substituted.status).toBe(1);
    expect(JSON.parse(substituted.stdout.trim())).toMatchObject({ detector: 'run-failed', run_id: 'etl-03' });
    expect(directory.status).toBe(2);
    expect(directory.stderr).toContain('is a directory; name the log files in it');
  });

  it('exits 2 with the key path for a bad config, and for bad usage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    const config = join(dir, 'silent-audit.config.yaml');
    writeFileSync(config, 'jobs:\n  nightly-backup:\n    schedule: "at night"\n');
    const bad = cli(['scan', '--config', config, fx('healthy.jsonl')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('jobs.nightly-backup.schedule: not a cron expression (line 3)');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(cli(['scan', '--now', 'soon', fx('healthy.jsonl')]).status).toBe(2);
    expect(cli(['scan']).status).toBe(2);
  });

  it('shows the control characters of a name its error quotes escaped, the message still on its lines', () => {
    // Prepare: a job of the config whose name would clear the screen (YAML \\e is ESC)
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    const config = join(dir, 'silent-audit.config.yaml');
    writeFileSync(config, 'jobs:\n  "nightly\\e[2J":\n    schedule: "at night"\n');
    // Act
    const bad = cli(['scan', '--config', config, fx('healthy.jsonl')]);
    // Assess
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('jobs.nightly\\x1b[2J.schedule: not a cron expression');
    expect(bad.stderr).not.toContain('\u001b');
    expect(bad.stderr.split('\n').length).toBeGreaterThan(2);
  });

  it('exits 2, saying what to check and without a stack, when the --store endpoint cannot be reached', () => {
    // Act: nothing listens on port 9 of this machine
    const unreachable = cli(['scan', '--store', 'http://127.0.0.1:9', fx('healthy.jsonl')]);
    // Assess
    expect(unreachable.status).toBe(2);
    expect(unreachable.stderr).toContain('the state store (--store): cannot reach DynamoDB (ECONNREFUSED); is the endpoint running?');
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the note of runs older than a job remembers (scan --store)', () => {
  it('counts them by job and says to backfill older history first; nothing when there are none', () => {
    // Prepare
    const older = new Map([['minutely', 1440], ['hourly', 3]]);
    // Act
    const note = olderRunsNote(older);
    // Assess
    expect(note).toBe(
      "1,443 runs older than their jobs' latest 1,000 runs in the store were taken as already counted, not judged (minutely 1,440, hourly 3): backfill older history first, or scan it without --store (docs/scan.md).",
    );
    expect(olderRunsNote(new Map())).toBeUndefined();
  });
});

describe('the note of earlier agent runs one batch started again past those kept to judge', () => {
  it('says them in a scan of a fixed-id poller every 30 s (120 runs a scan hour)', async () => {
    // Prepare: 240 runs of one run id, every 30 s
    const lines = Array.from({ length: 240 }, (_, k) => {
      const at = (s: number) => new Date(Date.parse('2026-11-04T00:00:00Z') + (k * 30 + s) * 1000).toISOString();
      return [
        JSON.stringify({ ts: at(0), type: 'agent.start', agent: 'poller', run_id: 'poll' }),
        JSON.stringify({ ts: at(5), type: 'agent.end', agent: 'poller', run_id: 'poll', status: 'ok', output_bytes: 50 }),
      ];
    }).flat();
    const dir = mkdtempSync(join(tmpdir(), 'sa-poll-'));
    writeFileSync(join(dir, 'agent.log'), lines.join('\n') + '\n');
    // Act
    const { stdout } = await scan([join(dir, 'agent.log')], { now: Date.parse('2026-11-05T00:00:00Z') });
    // Assess: the runs past the 64 kept in each batch said, by run id
    expect(stdout).toMatch(/110 earlier agent runs of a run id started again more often in one batch than its aggregate keeps to judge \(64 runs, 64 KiB\) were not judged \(poll 110\)/);
    expect(unjudgedAgentRunsNote(new Map())).toBeUndefined();
    expect(unjudgedAgentRunsNote(new Map([['poll', 110]]))).toBe(
      '110 earlier agent runs of a run id started again more often in one batch than its aggregate keeps to judge (64 runs, 64 KiB) were not judged (poll 110): log a run id of its own for each run (docs/agents.md).',
    );
  });
});
