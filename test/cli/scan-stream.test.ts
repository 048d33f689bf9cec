import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../lambdas/adapters/dynamodb-local.ts';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { DEFAULT_TABLE } from '../../lambdas/cli/stores.ts';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { enrichWithContext, LATE_TOLERANCE_MS, TimeOrderedMerger } from '../../lambdas/cli/scan-stream.ts';
import type { AuditEvent, EventBody } from '../../lambdas/core/events.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const corpus = (name: string) => fileURLToPath(new URL(`../../../shared/corpus/${name}`, import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'scan-stream-'));

/** A daily export job's run on an October day: its start at 06:00:05 and its end 30 s later. */
function exportRunLines(day: number): string[] {
  const at = Date.parse('2026-10-01T06:00:05Z') + (day - 1) * 86_400_000;
  return [
    JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job: 'export', run_id: `export-${day}` }),
    JSON.stringify({ type: 'run.end', ts: new Date(at + 30_000).toISOString(), job: 'export', run_id: `export-${day}`, exit_code: 0, output_bytes: 900 }),
  ];
}

/** The days from `from` to `to`, both counted. */
const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function event(at: number, origin: string, body: Record<string, unknown> = { type: 'run.start', job: 'j', run_id: `r${at}` }): AuditEvent {
  return { at, body: body as unknown as EventBody, source: { origin, line: at }, format: 'json' };
}

async function scan(paths: string[], extra: Partial<Parameters<typeof runScan>[0]> = {}) {
  return runScan({ paths, config: DEFAULT_CONFIG, json: true, stdout: new PassThrough(), stderr: new PassThrough(), ...extra });
}

describe('TimeOrderedMerger: a k-way merge of sources by event time', () => {
  it('hands on only what is older than every unfinished source has reached, in time order', () => {
    // Prepare
    const merger = new TimeOrderedMerger(2);

    // Act
    merger.add(0, [event(1, 'a'), event(5, 'a')]);
    merger.add(1, [event(3, 'b')]);
    const first = merger.takeReady();
    merger.add(1, [event(7, 'b')]);
    const second = merger.takeReady();
    merger.sourceDone(0);
    merger.sourceDone(1);
    const rest = merger.takeReady(true);

    // Assess
    expect(first.events.map((e) => [e.source.origin, e.at])).toEqual([['a', 1]]);
    // a may still bring more events at 5: they wait until a is past it.
    expect(second.events.map((e) => [e.source.origin, e.at])).toEqual([['b', 3]]);
    expect(rest.events.map((e) => e.at)).toEqual([5, 7]);
    expect(merger.stats).toMatchObject({ chunks: 3, late: 0, latest: 7 });
  });

  it('reads next from the source furthest behind, and forgets finished sources', () => {
    // Prepare
    const merger = new TimeOrderedMerger(3);
    merger.add(0, [event(10, 'a')]);
    merger.add(1, [event(4, 'b')]);

    // Act and Assess
    expect(merger.nextSource()).toBe(2);
    merger.sourceDone(2);
    expect(merger.nextSource()).toBe(1);
    expect(merger.watermark()).toBe(4);
    merger.sourceDone(1);
    expect(merger.watermark()).toBe(10);
  });

  it('still merges a source that is not in time order, counting its late events', () => {
    // Prepare
    const merger = new TimeOrderedMerger(1);
    merger.add(0, [event(5, 'a'), event(9, 'a')]);
    merger.sourceDone(0);
    merger.takeReady(true);

    // Act
    merger.add(0, [event(2, 'a'), event(12, 'a'), event(11, 'a')]);
    const late = merger.takeReady(true);

    // Assess
    expect(late.events.map((e) => e.at)).toEqual([2, 11, 12]);
    expect(merger.stats.late).toBe(1);
    expect(merger.stats.maxLateMs).toBe(7);
  });

  it('counts apart the late events beyond what the pipeline waits for: a second late is not, a quarter hour and more is', () => {
    // Prepare
    const t = Date.parse('2026-10-05T10:00:00Z');
    const merger = new TimeOrderedMerger(1);
    merger.add(0, [event(t, 'a'), event(t + 20 * 60_000, 'a')]);
    merger.takeReady(true);

    // Act
    merger.add(0, [event(t + 20 * 60_000 - 1_000, 'a'), event(t + 20 * 60_000 - LATE_TOLERANCE_MS, 'a'), event(t + 20 * 60_000 - LATE_TOLERANCE_MS - 1, 'a')]);
    merger.takeReady(true);

    // Assess
    expect(merger.stats.late).toBe(3);
    expect(merger.stats.lateBeyondTolerance).toBe(1);
    expect(merger.stats.maxLateMs).toBe(LATE_TOLERANCE_MS + 1);
  });

  it("gives enrich the earlier events as context: cron's discard line finds its CMD line in the previous chunk", () => {
    // Prepare
    const cmd = { ...event(1_000, 'syslog', { type: 'run.start', job: 'backup', run_id: 'cron-1', host: 'h1', pid: 101 }), format: 'cron' };
    const discard = { ...event(2_000, 'syslog', { type: 'output.discarded', host: 'h1', pid: 100, reason: 'No MTA installed' }), format: 'cron' };

    // Act
    const alone = enrichWithContext([discard], [], REDUCERS, DEFAULT_CONFIG);
    const withContext = enrichWithContext([discard], [cmd], REDUCERS, DEFAULT_CONFIG);

    // Assess
    expect((alone[0].body as { job?: string }).job).toBeUndefined();
    expect(withContext).toHaveLength(1);
    expect((withContext[0].body as { job?: string }).job).toBe('backup');
  });
});

describe('scan: a truncated or corrupt compressed file', () => {
  it('ends that file with a counted rejection naming it and its last line read; its earlier lines and the other files are judged; a .gz with no line read is a file it could not read', async () => {
    // Prepare: the Linux corpus gzipped and cut short, beside an instrumented file and a file that is not gzip at all
    const linux = readFileSync(corpus('loghub-linux-2k.log'));
    const gz = gzipSync(linux);
    const cut = join(tmp, 'linux-cut.log.gz');
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.8)));
    const notGzip = join(tmp, 'plain.log.gz');
    writeFileSync(notGzip, 'not gzip at all\n');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const read = (stream: PassThrough) => (stream.read() ?? '').toString();

    // Act
    const whole = await scan([corpus('loghub-linux-2k.log')], { year: 2005 });
    const result = await scan([cut, notGzip, fixture('instrumented/nightly-backup.jsonl')], { year: 2005, json: false, stdout, stderr });
    const text = read(stdout);

    // Assess: the lines before the damage are read and judged, the damage is one rejected line
    const readLines = result.counts.lines - 1 - readFileSync(fixture('instrumented/nightly-backup.jsonl'), 'utf8').trimEnd().split('\n').length;
    expect(result.exitCode).toBe(1);
    expect(readLines).toBeGreaterThan(1_000);
    expect(readLines).toBeLessThan(2_000);
    expect(result.counts.rejected).toBe(1);
    expect(result.findings.filter((f) => f.subject === 'logrotate').length).toBeGreaterThan(0);
    expect(result.findings.filter((f) => f.subject === 'logrotate').length).toBeLessThan(whole.findings.length);
    expect(result.findings.some((f) => f.subject === 'nightly-backup')).toBe(true);
    expect(text).toContain(`rejected ${cut}:${readLines + 1}: cannot read gzip input: unexpected end of file (the file is truncated or corrupt: lines 1–${readLines} were read`);
    expect(read(stderr)).toContain(`${notGzip}: cannot read gzip input: incorrect header check (the file is truncated or corrupt: no line could be read)`);
    expect(text).toContain('; 1 file could not be read');
  });

  it('judges every line of a .gz with trailing garbage after its data, as zcat reads it, and rejects the garbage once', async () => {
    // Prepare: the Linux corpus gzipped with bytes that are not gzip after it
    const linux = readFileSync(corpus('loghub-linux-2k.log'));
    const lineCount = linux.toString('utf8').trimEnd().split('\n').length;
    const garbage = join(tmp, 'linux-garbage.log.gz');
    writeFileSync(garbage, Buffer.concat([gzipSync(linux), Buffer.from('garbage\n')]));
    const stdout = new PassThrough();

    // Act
    const whole = await scan([corpus('loghub-linux-2k.log')], { year: 2005 });
    const result = await scan([garbage], { year: 2005, json: false, stdout });
    const text = (stdout.read() ?? '').toString();

    // Assess
    expect(result.counts.lines).toBe(lineCount + 1);
    expect(result.counts.rejected).toBe(whole.counts.rejected + 1);
    // the same findings, each naming the file it came from (ad12984)
    const judged = (findings: typeof whole.findings) => findings.map(({ source: _source, ...finding }) => finding);
    expect(result.findings.length).toBeGreaterThan(0);
    expect(judged(result.findings)).toEqual(judged(whole.findings));
    expect(result.findings.map((f) => f.source)).toEqual(result.findings.map(() => ({ file: garbage })));
    expect(text).toContain(`rejected ${garbage}:${lineCount + 1}: cannot read gzip input: trailing garbage: 8 bytes after the end of the gzip data are not gzip (the file is truncated or corrupt: lines 1–${lineCount} were read`);
  });

  it('exits 2 for a missing file alone: nothing could be read, no findings', async () => {
    // Prepare
    const stderr = new PassThrough();
    // Act
    const result = await scan([join(tmp, 'missing.log.gz')], { stderr });
    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.findings).toEqual([]);
    expect((stderr.read() ?? '').toString()).toContain(`silent-audit scan: ${join(tmp, 'missing.log.gz')}: no such file\n`);
  });
});

describe('scan streams: chunks give what one batch gives', () => {
  it.each([
    ['the Linux corpus (cron, logrotate)', [corpus('loghub-linux-2k.log')], { year: 2005 }],
    ['the Thunderbird corpus (cron on many hosts)', [corpus('loghub-thunderbird-2k.log')], {}],
    [
      'instrumented, Lambda and syslog files together, each in its own time range',
      [fixture('instrumented/nightly-backup.jsonl'), fixture('instrumented/etl-loader.log'), fixture('lambda/etl-loader.log'), fixture('syslog/systemd-failures.log'), fixture('instrumented/audit-trail-invoice-sync.jsonl')],
      { year: 2026 },
    ],
    ['agent runs with sub-agents', [fixture('agents/support-bot.jsonl')], {}],
  ])('%s: the same findings and counts with chunks of 3 events as with one chunk', async (_name, paths, extra) => {
    // Act
    const whole = await scan(paths, extra);
    const chunked = await scan(paths, { ...extra, chunkEvents: 3 });

    // Assess
    expect(whole.stream?.chunks).toBe(1);
    expect(chunked.stream?.chunks).toBeGreaterThan(1);
    expect(chunked.counts).toEqual(whole.counts);
    expect(chunked.findings).toEqual(whole.findings);
  });

  it("fails a Lambda invocation with its REPORT's error type when a chunk is cut between the runtime's Invoke Error line and the REPORT", async () => {
    // Prepare: an invocation that runs out of memory: the Invoke Error line, END and REPORT (Status: error,
    // Error Type: Runtime.OutOfMemory) 13 and 14 ms after it. END gives no event: chunks of 3 events are cut
    // when the REPORT is read, before it (a line of its time may still follow).
    const stream = '2026/10/05/[$LATEST]9f2c41d7e3b84a5c8d61f0a2b3c4d5e6';
    const R = 'e4a7c9d2-5f6b-4e81-a3c0-7b9d8e1f2a36';
    const file = join(tmp, 'oom-invocation.log');
    writeFileSync(
      file,
      [
        `2026-10-05T15:00:00.000000+00:00 ${stream} START RequestId: ${R} Version: $LATEST`,
        `2026-10-05T15:00:02.210000+00:00 ${stream} 2026-10-05T15:00:02.210Z\t${R}\tERROR\tInvoke Error \t{"errorType":"Error","errorMessage":"Runtime exited with error: signal: killed"}`,
        `2026-10-05T15:00:02.223000+00:00 ${stream} END RequestId: ${R}`,
        `2026-10-05T15:00:02.224000+00:00 ${stream} REPORT RequestId: ${R}\tDuration: 2230.61 ms\tBilled Duration: 2231 ms\tMemory Size: 512 MB\tMax Memory Used: 512 MB\tStatus: error\tError Type: Runtime.OutOfMemory`,
      ].join('\n'),
    );
    const failed = (result: Awaited<ReturnType<typeof scan>>) => result.findings.map((f) => [f.detector, f.run_id, f.message, f.evidence.error_type]);

    // Act
    const whole = await scan([file]);
    const chunked = await scan([file], { chunkEvents: 3 });

    // Assess
    expect(chunked.stream?.chunks).toBe(2);
    expect(failed(whole)).toEqual([['run-failed', R, 'run failed after 2 s: Error: Runtime exited with error: signal: killed (Runtime.OutOfMemory)', 'Runtime.OutOfMemory']]);
    expect(failed(chunked)).toEqual(failed(whole));
  });

  it('holds a bounded number of events however long the file: 200k lines in chunks of 5,000', async () => {
    // Prepare: the file is written by another process, line by line, never held in this one.
    const file = join(tmp, 'fleet.log');
    execFileSync(process.execPath, ['--import', 'tsx', join(repo, 'bench/scan-lines.ts'), file, '200000'], { cwd: repo, stdio: 'pipe' });

    // Act
    const result = await scan([file], { chunkEvents: 5_000 });

    // Assess
    expect(result.counts.lines).toBe(200_000);
    expect(result.counts.rejected).toBe(0);
    expect(result.counts.events).toBeGreaterThan(100_000);
    expect(result.stream?.chunks).toBeGreaterThanOrEqual(result.counts.events / 10_000);
    expect(result.stream?.maxHeldEvents).toBeLessThanOrEqual(2 * 5_000);
    expect(result.stream?.late).toBe(0);
  });

  it('merges files that overlap in time: events of both are judged in time order', async () => {
    // Prepare: one job's runs alternate between two files (two hosts); run r3 is empty.
    const line = (type: string, run: number, minute: number, extra = {}) =>
      JSON.stringify({ type, ts: new Date(Date.UTC(2026, 9, 1, 0, minute)).toISOString(), job: 'sync', run_id: `r${run}`, ...extra });
    const runLines = (run: number) => [line('run.start', run, run * 10), line('run.end', run, run * 10 + 2, { exit_code: 0, duration_ms: 120_000, output_bytes: run === 7 ? 0 : 900 })];
    writeFileSync(join(tmp, 'host-a.jsonl'), [1, 3, 5, 7].flatMap(runLines).join('\n'));
    writeFileSync(join(tmp, 'host-b.jsonl'), [2, 4, 6, 8].flatMap(runLines).join('\n'));

    // Act
    const result = await scan([join(tmp, 'host-a.jsonl'), join(tmp, 'host-b.jsonl')], { chunkEvents: 2 });

    // Assess
    expect(result.findings.map((f) => [f.detector, f.run_id])).toEqual([['empty-output', 'r7']]);
    expect(result.stream?.late).toBe(0);
    expect(result.stream?.chunks).toBeGreaterThan(4);
  });

  it('judges absence in a file not in time order by the hour it reads: two hosts\' logs one after the other report no missed run', async () => {
    // Prepare: web1's day of an hourly job, then web2's day of another (cat web1.log web2.log), both on time, in chunks of 10 events.
    const runLines = (job: string, hour: number) => {
      const at = Date.parse('2026-10-05T00:00:05Z') + hour * 3_600_000;
      return [
        JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job, run_id: `${job}-${hour}` }),
        JSON.stringify({ type: 'run.end', ts: new Date(at + 30_000).toISOString(), job, run_id: `${job}-${hour}`, exit_code: 0, output_bytes: 900 }),
      ];
    };
    const hours = Array.from({ length: 24 }, (_, h) => h);
    const file = join(tmp, 'two-hosts-concatenated.jsonl');
    writeFileSync(file, [...hours.flatMap((h) => runLines('sync-web1', h)), ...hours.flatMap((h) => runLines('sync-web2', h))].join('\n'));
    const config = validateConfig({ jobs: { 'sync-web1': { schedule: '0 * * * *' }, 'sync-web2': { schedule: '0 * * * *' } } });

    // Act
    const result = await scan([file], { config, chunkEvents: 10 });

    // Assess
    expect(result.stream?.late).toBeGreaterThan(0);
    expect(result.findings.map((f) => [f.detector, f.subject, f.ts])).toEqual([]);
  });

  it('judges the missed runs of a job\'s older lines read after its newer ones once all are read: one host\'s log after the other\'s, as in time order', async () => {
    // Prepare: a daily job run on web2 from the 1st to the 9th (not on the 5th), then on web1 from the 10th to the 30th; web1's log first (cat web1.log web2.log), in chunks of 4 events.
    const web1 = days(10, 30).flatMap(exportRunLines);
    const web2 = days(1, 9).filter((d) => d !== 5).flatMap(exportRunLines);
    const file = join(tmp, 'moved-hosts-concatenated.jsonl');
    writeFileSync(file, [...web1, ...web2].join('\n'));
    writeFileSync(join(tmp, 'moved-hosts-in-order.jsonl'), [...web2, ...web1].join('\n'));
    const config = validateConfig({ jobs: { export: { schedule: '0 6 * * *' } } });
    const now = Date.parse('2026-10-30T12:00:00Z');

    // Act
    const concatenated = await scan([file], { config, chunkEvents: 4, now });
    const inOrder = await scan([join(tmp, 'moved-hosts-in-order.jsonl')], { config, chunkEvents: 4, now });

    // Assess: the 5th alone, as the lines in time order give
    const missed = (result: typeof concatenated) => result.findings.filter((f) => f.detector === 'missed-run').map((f) => f.expected_at);
    expect(concatenated.stream?.late).toBeGreaterThan(0);
    expect(missed(concatenated)).toEqual(['2026-10-05T06:00:00Z']);
    expect(missed(concatenated)).toEqual(missed(inOrder));
  });

  it('says how many events came out of time order and how to get full results (of route counts only when routes were seen), and says nothing of a file in time order', async () => {
    // Prepare: a daily job's second week, then its first (cat app.log app.log.1), in chunks of 4 events
    const reversed = join(tmp, 'rotated-concatenated.jsonl');
    const inOrder = join(tmp, 'rotated-in-order.jsonl');
    writeFileSync(reversed, [...days(8, 14), ...days(1, 7)].flatMap(exportRunLines).join('\n'));
    writeFileSync(inOrder, days(1, 14).flatMap(exportRunLines).join('\n'));
    const scanTelling = async (path: string) => {
      const stderr = new PassThrough();
      let told = '';
      stderr.on('data', (d) => (told += d.toString()));
      const result = await scan([path], { chunkEvents: 4, stderr });
      return { result, told };
    };

    // Act
    const outOfOrder = await scanTelling(reversed);
    const ordered = await scanTelling(inOrder);

    // Assess
    const late = outOfOrder.result.stream?.lateBeyondTolerance ?? 0;
    expect(late).toBeGreaterThan(0);
    expect(outOfOrder.told).toContain(`Out of time order: ${late} events came after events of their own file up to 12.0 days later had been judged, so findings about them may be missing.`);
    expect(outOfOrder.told).toContain('For full results give the input in time order, or each part as its own file');
    // …and, of a log with no route, nothing of route request counts.
    expect(outOfOrder.told).not.toContain('Route request counts');
    expect(ordered.result.stream?.late).toBe(0);
    expect(ordered.told).not.toContain('Out of time order');
  });

  it('says nothing of lines a second out of order at a chunk\'s edge (threads writing one log): none of their findings is at risk', async () => {
    // Prepare: a route's attempts every 100 ms, each 8 lines written the other way round (under a second), in chunks of 4 events
    const start = Date.parse('2026-10-05T10:00:00Z');
    const attempt = (i: number) => JSON.stringify({ ts: new Date(start + i * 100).toISOString(), type: 'attempt', route: 'pay', request_id: `q${i}`, attempt: 1, outcome: 'ok', latency_ms: 100 });
    const order = Array.from({ length: 400 }, (_, i) => i - (i % 8) + 7 - (i % 8));
    const file = join(tmp, 'threads-jittered.jsonl');
    writeFileSync(file, order.map(attempt).join('\n'));
    const stderr = new PassThrough();
    let told = '';
    stderr.on('data', (d) => (told += d.toString()));

    // Act
    const result = await scan([file], { chunkEvents: 4, stderr });

    // Assess
    expect(result.counts.events).toBe(400);
    expect(result.stream?.late).toBeGreaterThan(0);
    expect(result.stream?.lateBeyondTolerance).toBe(0);
    expect(told).not.toContain('Out of time order');
  });

  it('judges agent trees in a file not in time order by their own agent\'s lines: two services\' agent logs one after the other count every action', async () => {
    // Prepare: a day later, planner's roots every 10 minutes (cat planner.log triage.log); a day
    // earlier, triage's; every root runs a sub-agent with 6 actions (9 in the tree, over a budget of
    // 6), its trees cut across chunks of 10 events.
    const treeLines = (agent: string, at: number, i: number) => {
      const root = `${agent}-${i}`;
      const sub = `${agent}-sub-${i}`;
      const line = (ms: number, body: Record<string, unknown>) => JSON.stringify({ ts: new Date(at + ms).toISOString(), ...body });
      return [
        line(0, { type: 'agent.start', agent, run_id: root, budget: { max_actions: 6, max_cost_usd: 1, scope: 'task' } }),
        line(1_000, { type: 'agent.action', agent, run_id: root, action: 'llm_call', cost_usd: 0.01 }),
        line(2_000, { type: 'agent.action', agent, run_id: root, action: 'subagent_call', cost_usd: 0.01 }),
        line(3_000, { type: 'agent.start', agent: `${agent}-sub`, run_id: sub, parent_run_id: root }),
        ...Array.from({ length: 6 }, (_, j) => line(4_000 + j * 1_000, { type: 'agent.action', agent: `${agent}-sub`, run_id: sub, action: 'tool_call', cost_usd: 0.01 })),
        line(20_000, { type: 'agent.end', agent: `${agent}-sub`, run_id: sub, status: 'ok', actions_reported: 6 }),
        line(25_000, { type: 'agent.action', agent, run_id: root, action: 'llm_call', cost_usd: 0.01 }),
        line(30_000, { type: 'agent.end', agent, run_id: root, status: 'ok', actions_reported: 9 }),
      ];
    };
    const service = (agent: string, from: string) => Array.from({ length: 36 }, (_, i) => treeLines(agent, Date.parse(from) + i * 600_000, i)).flat();
    const planner = service('planner', '2026-10-06T00:00:00Z');
    const triage = service('triage', '2026-10-05T00:02:00Z');
    writeFileSync(join(tmp, 'planner.jsonl'), planner.join('\n'));
    writeFileSync(join(tmp, 'triage.jsonl'), triage.join('\n'));
    const file = join(tmp, 'two-services-concatenated.jsonl');
    writeFileSync(file, [...planner, ...triage].join('\n'));

    // Act
    const concatenated = await scan([file], { chunkEvents: 10 });
    const separate = await scan([join(tmp, 'planner.jsonl'), join(tmp, 'triage.jsonl')], { chunkEvents: 10 });

    // Assess: each root's whole tree, as the files read in time order show it.
    const exceeded = (findings: typeof concatenated.findings) => findings.filter((f) => f.detector === 'budget-exceeded').map((f) => [f.run_id, f.ts, f.evidence.actions]);
    expect(concatenated.stream?.late).toBeGreaterThan(0);
    expect(exceeded(concatenated.findings).filter(([run]) => String(run).startsWith('triage'))).toHaveLength(36);
    expect(exceeded(concatenated.findings).every(([, , actions]) => actions === 9)).toBe(true);
    expect(exceeded(concatenated.findings)).toEqual(exceeded(separate.findings));
  });

  it('reports a root looping through sub-agents of other agent names at the first hourly sweep that sees it over budget, with the counts of that time', async () => {
    // Prepare: root L of looper (budget 20) starts L.1, which starts L.1.1; L.1.1 makes one call every
    // 5 minutes from 10:01 for 40 calls (the 24th at 11:56) and nothing ends. Once the sub-agents are
    // named as the root, once under their own names: looper's own latest line is then its start.
    const at = (ms: number) => new Date(Date.parse('2026-10-01T10:00:00Z') + ms).toISOString();
    const tree = (sub: string, subsub: string) => [
      { type: 'agent.start', ts: at(0), agent: 'looper', run_id: 'L', budget: { max_actions: 20 } },
      { type: 'agent.start', ts: at(1_000), agent: sub, run_id: 'L.1', parent_run_id: 'L' },
      { type: 'agent.start', ts: at(2_000), agent: subsub, run_id: 'L.1.1', parent_run_id: 'L.1' },
      ...Array.from({ length: 40 }, (_, i) => ({ type: 'agent.action', ts: at(60_000 + i * 300_000), agent: subsub, run_id: 'L.1.1', action: 'llm_call' })),
    ];
    const sameName = join(tmp, 'loop-same-name.jsonl');
    const ownNames = join(tmp, 'loop-own-names.jsonl');
    writeFileSync(sameName, tree('looper', 'looper').map((l) => JSON.stringify(l)).join('\n'));
    writeFileSync(ownNames, tree('sub', 'subsub').map((l) => JSON.stringify(l)).join('\n'));

    // Act
    const same = await scan([sameName]);
    const own = await scan([ownNames]);

    // Assess: both at the 11:56 sweep, with its 24 actions, not at the end (13:16, 40 actions).
    const exceeded = (r: typeof same) => r.findings.filter((f) => f.detector === 'budget-exceeded').map((f) => [f.run_id, f.ts, f.evidence.actions, f.evidence.ended]);
    expect(exceeded(same)).toEqual([['L', '2026-10-01T11:56:00Z', 24, false]]);
    expect(exceeded(own)).toEqual(exceeded(same));
  });

  it('still reports every missed run of a job that stopped long before the last line: 2 days of a job every minute', async () => {
    // Prepare: two jobs every minute for 3 days; one stops after the first day (2,879 missed minutes, more than one sweep judges).
    const lines: string[] = [];
    for (let minute = 0; minute < 3 * 1440; minute++) {
      const at = Date.parse('2026-10-05T00:00:05Z') + minute * 60_000;
      for (const job of minute < 1440 ? ['beat', 'stops'] : ['beat']) {
        lines.push(JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job, run_id: `${job}-${minute}` }));
        lines.push(JSON.stringify({ type: 'run.end', ts: new Date(at + 20_000).toISOString(), job, run_id: `${job}-${minute}`, exit_code: 0, output_bytes: 900 }));
      }
    }
    const file = join(tmp, 'one-stops.jsonl');
    writeFileSync(file, lines.join('\n'));
    const config = validateConfig({ jobs: { beat: { schedule: '* * * * *', grace_minutes: 1 }, stops: { schedule: '* * * * *', grace_minutes: 1 } } });

    // Act
    const result = await scan([file], { config });

    // Assess
    const missed = result.findings.filter((f) => f.detector === 'missed-run');
    expect(missed.every((f) => f.subject === 'stops')).toBe(true);
    expect([missed.length, missed[0]?.expected_at, missed.at(-1)?.expected_at]).toEqual([2_879, '2026-10-06T00:00:00Z', '2026-10-07T23:58:00Z']);
  });

  it("folds a job's missed runs after the file that carries its lines ends into one finding with their count: two files, one ending weeks before the other, with --now or without", async () => {
    // Prepare: an hourly job's file ends after 5 hours on 5 October; a daily job's file runs to the 30th. Both jobs scheduled.
    const hourly: string[] = [];
    for (let hour = 0; hour < 5; hour++) {
      const at = Date.parse('2026-10-05T00:01:05Z') + hour * 3_600_000;
      hourly.push(JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job: 'hourly', run_id: `hourly-${hour}` }));
      hourly.push(JSON.stringify({ type: 'run.end', ts: new Date(at + 20_000).toISOString(), job: 'hourly', run_id: `hourly-${hour}`, exit_code: 0, output_bytes: 900 }));
    }
    const hourlyFile = join(tmp, 'ends-early-hourly.jsonl');
    const dailyFile = join(tmp, 'ends-late-daily.jsonl');
    writeFileSync(hourlyFile, hourly.join('\n'));
    writeFileSync(dailyFile, days(1, 30).flatMap(exportRunLines).join('\n'));
    const config = validateConfig({ jobs: { hourly: { schedule: '1 * * * *' }, export: { schedule: '0 6 * * *' } } });

    // Act
    const together = await scan([hourlyFile, dailyFile], { config });
    const withNow = await scan([hourlyFile, dailyFile], { config, now: Date.parse('2026-10-30T12:00:00Z') });

    // Assess: one finding each, from the first hourly start missed after its file's end: up to the
    // daily file's last line (601), or up to --now (607); the daily job misses none.
    const missed = (result: typeof together) => result.findings.filter((f) => f.detector === 'missed-run');
    const shown = (result: typeof together) => missed(result).map((f) => [f.subject, f.expected_at, f.evidence?.missed_runs, f.evidence?.last_expected_at, f.evidence?.logs_end_at]);
    expect(shown(together)).toEqual([['hourly', '2026-10-05T05:01:00Z', 601, '2026-10-30T05:01:00Z', '2026-10-05T04:01:25Z']]);
    expect(shown(withNow)).toEqual([['hourly', '2026-10-05T05:01:00Z', 607, '2026-10-30T11:01:00Z', '2026-10-05T04:01:25Z']]);
    expect(missed(withNow)[0].message).toContain('and 606 more expected starts up to 2026-10-30T11:01:00Z had no run either');
  });

  it('gives the last of the folded missed runs of a job in a time zone its local time too, as the first has', async () => {
    // Prepare: an hourly job in America/New_York (-04:00 in October) whose file ends after 5 hours on 5 October; a daily job's file runs to the 30th.
    const hourly: string[] = [];
    for (let hour = 0; hour < 5; hour++) {
      const at = Date.parse('2026-10-05T00:01:05Z') + hour * 3_600_000;
      hourly.push(JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job: 'hourly-ny', run_id: `hourly-ny-${hour}` }));
      hourly.push(JSON.stringify({ type: 'run.end', ts: new Date(at + 20_000).toISOString(), job: 'hourly-ny', run_id: `hourly-ny-${hour}`, exit_code: 0, output_bytes: 900 }));
    }
    const hourlyFile = join(tmp, 'ends-early-hourly-ny.jsonl');
    const dailyFile = join(tmp, 'ends-late-daily-ny.jsonl');
    writeFileSync(hourlyFile, hourly.join('\n'));
    writeFileSync(dailyFile, days(1, 30).flatMap(exportRunLines).join('\n'));
    const config = validateConfig({ jobs: { 'hourly-ny': { schedule: '1 * * * *', timezone: 'America/New_York' }, export: { schedule: '0 6 * * *' } } });

    // Act
    const result = await scan([hourlyFile, dailyFile], { config });

    // Assess
    const [missed] = result.findings.filter((f) => f.detector === 'missed-run');
    expect(missed.message).toContain('of the expected 2026-10-05T05:01:00Z, 2026-10-05T01:01-04:00 in America/New_York');
    expect(missed.message).toContain('and 600 more expected starts up to 2026-10-30T05:01:00Z, 2026-10-30T01:01-04:00 in America/New_York had no run either');
    expect(missed.evidence?.last_expected_at).toBe('2026-10-30T05:01:00Z');
  });

  it("folds the missed runs of a job known only from the store, after its stored last line: its file scanned into the store first, another file's lines later", async () => {
    // Prepare: a daily job's file ends after 5 October; another job's file runs to the 30th. Names no other test uses.
    const daily = `fold-stored-${randomUUID().slice(0, 8)}`;
    const other = `${daily}-other`;
    const runLines = (job: string, at: number) => [
      JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job, run_id: `${job}-${at}` }),
      JSON.stringify({ type: 'run.end', ts: new Date(at + 20_000).toISOString(), job, run_id: `${job}-${at}`, exit_code: 0, output_bytes: 900 }),
    ];
    const dailyFile = join(tmp, `${daily}.jsonl`);
    const otherFile = join(tmp, `${other}.jsonl`);
    writeFileSync(dailyFile, days(1, 5).flatMap((day) => runLines(daily, Date.parse('2026-10-01T06:00:05Z') + (day - 1) * 86_400_000)).join('\n'));
    writeFileSync(otherFile, days(1, 30).flatMap((day) => runLines(other, Date.parse('2026-10-01T07:00:05Z') + (day - 1) * 86_400_000)).join('\n'));
    const config = validateConfig({ jobs: { [daily]: { schedule: '0 6 * * *' }, [other]: { schedule: '0 7 * * *' } } });
    const store = inject('dynamoEndpoint');

    // Act
    await scan([dailyFile], { config, store });
    const later = await scan([otherFile], { config, store });

    // Assess: one finding for the 25 starts missed from 6 October, its logs' end its stored last line.
    const missed = later.findings.filter((f) => f.detector === 'missed-run' && f.subject === daily);
    expect(missed.map((f) => [f.expected_at, f.evidence?.missed_runs, f.evidence?.last_expected_at, f.evidence?.logs_end_at])).toEqual([['2026-10-06T06:00:00Z', 25, '2026-10-30T06:00:00Z', '2026-10-05T06:00:25Z']]);
  });

  it('reports the missed runs of a job that stopped in a log whose lines come months apart: the sweep\'s 35-day look-back loses none', async () => {
    // Prepare: a weekly job runs 4 Mondays from 2 February and stops; a job on the 31st logs its runs, 2 months apart (May 31, July 31).
    const lines: string[] = [];
    const runLines = (job: string, at: number) => [
      JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job, run_id: `${job}-${at}` }),
      JSON.stringify({ type: 'run.end', ts: new Date(at + 20_000).toISOString(), job, run_id: `${job}-${at}`, exit_code: 0, output_bytes: 900 }),
    ];
    for (let week = 0; week < 4; week++) lines.push(...runLines('weekly', Date.parse('2026-02-02T09:00:05Z') + week * 7 * 86_400_000));
    for (const day of ['2026-03-31', '2026-05-31', '2026-07-31']) lines.push(...runLines('month-end', Date.parse(`${day}T00:00:05Z`)));
    const file = join(tmp, 'months-apart.jsonl');
    writeFileSync(file, lines.join('\n'));
    const config = validateConfig({ jobs: { weekly: { schedule: '0 9 * * 1' }, 'month-end': { schedule: '0 0 31 * *' } } });

    // Act
    const result = await scan([file], { config, now: Date.parse('2026-08-01T00:00:00Z') });

    // Assess: every Monday from 2 March to 27 July (22), none of the month-end job's.
    const missed = result.findings.filter((f) => f.detector === 'missed-run');
    expect(missed.every((f) => f.subject === 'weekly')).toBe(true);
    expect([missed.length, missed[0]?.expected_at, missed.at(-1)?.expected_at]).toEqual([22, '2026-03-02T09:00:00Z', '2026-07-27T09:00:00Z']);
  });

  it('with --store, starts from the stored state and writes each subject back once at the end, however many chunks', async () => {
    // Prepare: a job's first six runs in one file, a shrunk seventh in another; a name no other test uses.
    const job = `stream-store-${randomUUID().slice(0, 8)}`;
    const run = (n: number, bytes: number) => [
      JSON.stringify({ type: 'run.start', ts: new Date(Date.UTC(2026, 9, 1, n)).toISOString(), job, run_id: `r${n}` }),
      JSON.stringify({ type: 'run.end', ts: new Date(Date.UTC(2026, 9, 1, n, 2)).toISOString(), job, run_id: `r${n}`, exit_code: 0, duration_ms: 120_000, output_bytes: bytes }),
    ];
    writeFileSync(join(tmp, `${job}-week.jsonl`), [1, 2, 3, 4, 5, 6].flatMap((n) => run(n, 900)).join('\n'));
    writeFileSync(join(tmp, `${job}-today.jsonl`), run(7, 100).join('\n'));
    const store = inject('dynamoEndpoint');
    const stored = async () => (await new DynamoAuditStore(localDynamoClient(store), DEFAULT_TABLE).load([`job#${job}`])).get(`job#${job}`);

    // Act
    const week = await scan([join(tmp, `${job}-week.jsonl`)], { store, chunkEvents: 2 });
    const afterWeek = await stored();
    const today = await scan([join(tmp, `${job}-today.jsonl`)], { store, chunkEvents: 2 });
    const again = await scan([join(tmp, `${job}-today.jsonl`)], { store, chunkEvents: 2 });
    const afterAgain = await stored();

    // Assess
    expect(week.stream?.chunks).toBeGreaterThan(3);
    expect(week.findings.filter((f) => f.subject === job)).toEqual([]);
    expect(afterWeek?.version).toBe(1);
    expect(today.findings.filter((f) => f.subject === job).map((f) => [f.detector, f.run_id])).toEqual([['output-shrink', 'r7']]);
    expect(again.findings.filter((f) => f.subject === job)).toEqual([]);
    expect(afterAgain?.version).toBe(2);
    expect((afterAgain?.state as { runs: number }).runs).toBe(7);
  });
});
