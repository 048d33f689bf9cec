import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { collectLogGroups, logGroupSource, readSources } from '../../lambdas/cli/scan-sources.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { subscriptionFilterPattern } from '../../lambdas/core/filter-pattern.ts';
import { LineTally } from '../../lambdas/core/line-tally.ts';
import { eventsOfPayload, lambdaInvocations, serveLogGroups } from '../helpers/cloudwatch-logs.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const etlLoader = eventsOfPayload(new URL('../fixtures/lambda/etl-loader.cloudwatch.json', import.meta.url));
const DAY = 86_400_000;
const FIRST = Date.parse('2026-10-01T06:00:00Z');

/** Six daily invocations of a function that logs run lines; the sixth exports nothing. */
const ordersExport = lambdaInvocations(
  'orders-export',
  [0, 1, 2, 3, 4, 5].map((d) => ({ at: FIRST + d * DAY, durationMs: 1500 + d * 10, output: d < 5 ? { bytes: 6900 + d, head: 'exported 1204 orders\n' } : { bytes: 0, head: '' } })),
);

const cwl = mockClient(CloudWatchLogsClient);

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d.toString()));
  return { stream, text: () => text };
}

async function scan(extra: Partial<Parameters<typeof runScan>[0]>) {
  const out = capture();
  const err = capture();
  const result = await runScan({ paths: [], config: DEFAULT_CONFIG, json: false, stdout: out.stream, stderr: err.stream, logsClient: new CloudWatchLogsClient({ region: 'eu-central-1' }), ...extra });
  return { result, stdout: out.text(), stderr: err.text() };
}

beforeEach(() => {
  cwl.reset();
  serveLogGroups(cwl, { '/aws/lambda/etl-loader': etlLoader.events, '/aws/lambda/orders-export': ordersExport });
});

describe('silent-audit scan --log-group', () => {
  it('reads log groups through FilterLogEvents and finds what their Lambda lines and run lines show', async () => {
    // Act
    const { result, stdout } = await scan({ logGroups: ['/aws/lambda/etl-loader', '/aws/lambda/orders-export'], since: FIRST - DAY });
    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([
      ['run-failed', 'etl-loader', 'b82e6f40-1c3d-4a5e-8f7b-9d0c1e2a3b4c'],
      ['run-failed', 'etl-loader', 'e4a7c9d2-5f6b-4e81-a3c0-7b9d8e1f2a36'],
      ['run-failed', 'etl-loader', '0c9b8a7d-6e5f-4d3c-b2a1-f0e9d8c7b6a5'],
      ['empty-output', 'orders-export', '00000005-7b8e-4c19-9a6d-00000000000d'],
    ]);
    // Only lines the subscription filter passes are fetched: not INIT_START, not the app's own text lines
    // (the runtime's `ERROR Invoke Error` line is one it passes: it fails its request's run).
    expect(result.counts).toEqual({ lines: 14 + 30, events: 10 + 24, eventLines: 10 + 24, nothingToJudge: 10, rejected: 0, unrecognised: 0 });
    expect(stdout).toContain('4 findings in 44 lines from 2 log groups: 34 with events (34 events), 10 recognised with nothing to judge, 0 rejected, 0 unrecognised');
  });

  it('asks for the window from --since on, with the subscription filter pattern, page after page', async () => {
    // Act
    await scan({ logGroups: ['/aws/lambda/orders-export'], since: FIRST + 3 * DAY });
    // Assess
    const inputs = cwl.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({ logGroupName: '/aws/lambda/orders-export', startTime: FIRST + 3 * DAY, endTime: undefined, filterPattern: subscriptionFilterPattern(), nextToken: undefined });
    expect(inputs.map((i) => i.nextToken)).toEqual([undefined, 'page-4', 'page-8', 'page-12']);
  });

  it('keeps where each line came from (log group, stream, event id) and takes the event time as the record time', async () => {
    // Prepare
    const tally = new LineTally();
    const source = logGroupSource(new CloudWatchLogsClient({ region: 'eu-central-1' }), { logGroup: '/aws/lambda/etl-loader', since: FIRST });
    // Act
    await readSources([source], tally, { now: FIRST + 10 * DAY, progress: new PassThrough() });
    // Assess: REPORT carries no time of its own, and names no job: the event's timestamp, the function.
    // Without a filter pattern every event is read, so the REPORT is the group's 5th.
    const report = etlLoader.events[4];
    expect(tally.events[1]).toEqual({
      at: report.timestamp,
      body: { type: 'run.end', job: 'etl-loader', run_id: '3f1d5c2a-7b8e-4c19-9a6d-2e0f4b7c8d91', exit_code: 0, duration_ms: 1746.52 },
      source: { origin: '/aws/lambda/etl-loader', line: 5, logStream: report.logStream, eventId: report.eventId },
      format: 'lambda',
    });
  });

  it("joins a line a container runtime split over a stream's events, as the ingest does, another stream's events between them", async () => {
    // Prepare: a run.end in three CRI records of pod-a (16 KiB parts), a run.start of pod-b among them, as FilterLogEvents interleaves streams
    const at = FIRST + 1000;
    const time = new Date(at).toISOString();
    const end = JSON.stringify({ ts: time, type: 'run.end', job: 'etl', run_id: 'etl-1', exit_code: 1, duration_ms: 60_000, output_head: 'x'.repeat(40_000) });
    const start = JSON.stringify({ ts: time, type: 'run.start', job: 'other', run_id: 'o-1', host: 'h' });
    const messages: Array<[string, string]> = [
      ['pod-a', `${time} stdout P ${end.slice(0, 16_384)}`],
      ['pod-b', `${time} stdout F ${start}`],
      ['pod-a', `${time} stdout P ${end.slice(16_384, 32_768)}`],
      ['pod-a', `${time} stdout F ${end.slice(32_768)}`],
    ];
    serveLogGroups(cwl, { '/eks/jobs': messages.map(([logStream, message], i) => ({ logStream, message, timestamp: at + i, eventId: `e${i + 1}` })) });
    const tally = new LineTally();
    // Act
    await readSources([logGroupSource(new CloudWatchLogsClient({ region: 'eu-central-1' }), { logGroup: '/eks/jobs', since: FIRST })], tally, { now: FIRST + DAY, progress: new PassThrough() });
    // Assess: two lines, the run.end whole and named by the event it begins in
    expect(tally.counts).toMatchObject({ lines: 2, events: 2, rejected: 0, unrecognised: 0 });
    expect(tally.events.map((e) => [e.body.type, e.source.logStream, e.source.eventId])).toEqual([
      ['run.start', 'pod-b', 'e2'],
      ['run.end', 'pod-a', 'e1'],
    ]);
  });

  it('names the Lambda platform lines of a custom log group (LoggingConfig.LogGroup) after --function; an /aws/lambda/ group keeps its own name', async () => {
    // Prepare: etl-loader logs to /myapp/lambdas, a group whose name names no function
    cwl.reset();
    serveLogGroups(cwl, { '/myapp/lambdas': etlLoader.events, '/aws/lambda/etl-loader': etlLoader.events });

    // Act
    const named = await scan({ logGroups: ['/myapp/lambdas'], since: FIRST - DAY, functionName: 'etl-loader' });
    const unnamed = await scan({ logGroups: ['/myapp/lambdas'], since: FIRST - DAY });
    const ownName = await scan({ logGroups: ['/aws/lambda/etl-loader'], since: FIRST - DAY, functionName: 'another-fn' });

    // Assess
    for (const { result, stderr } of [named, ownName]) {
      expect(result.findings.map((f) => [f.detector, f.subject])).toEqual([
        ['run-failed', 'etl-loader'],
        ['run-failed', 'etl-loader'],
        ['run-failed', 'etl-loader'],
      ]);
      expect(stderr).not.toContain('name no function');
    }
    expect(unnamed.result.findings).toEqual([]);
    expect(unnamed.stderr).toContain('name no function');
  });

  it("names the Lambda platform lines of a custom log group shared by several functions after the function each stream names, not --function", async () => {
    // Prepare: hourly-sync and billing-export share /myapp/lambdas; each stream is named YYYY/MM/DD/<function>[<version>]<id>; billing-export times out
    const stream = (fn: string) => `2026/10/05/${fn}[$LATEST]a1b2c3d4e5f60718`;
    const at = (iso: string) => Date.parse(iso);
    const report = (id: string, status = '') => `REPORT RequestId: ${id}\tDuration: 52941.67 ms\tBilled Duration: 52942 ms\tMemory Size: 512 MB\tMax Memory Used: 180 MB${status}`;
    const events = [
      { timestamp: at('2026-10-05T00:00:10Z'), message: 'START RequestId: 0c5c7fd0-a6a3-4450-a513-270e269e0d37 Version: $LATEST', logStream: stream('hourly-sync'), eventId: 'e1' },
      { timestamp: at('2026-10-05T00:01:03Z'), message: report('0c5c7fd0-a6a3-4450-a513-270e269e0d37'), logStream: stream('hourly-sync'), eventId: 'e2' },
      { timestamp: at('2026-10-05T01:00:11Z'), message: 'START RequestId: 1c5c7fd0-a6a3-4450-a513-270e269e0d37 Version: $LATEST', logStream: stream('billing-export'), eventId: 'e3' },
      { timestamp: at('2026-10-05T01:15:11Z'), message: report('1c5c7fd0-a6a3-4450-a513-270e269e0d37', '\tStatus: timeout'), logStream: stream('billing-export'), eventId: 'e4' },
    ];
    cwl.reset();
    serveLogGroups(cwl, { '/myapp/lambdas': events });

    // Act
    const { result, stdout } = await scan({ logGroups: ['/myapp/lambdas'], since: at('2026-10-04T00:00:00Z'), functionName: 'hourly-sync' });

    // Assess: the timeout is billing-export's; hourly-sync ran once and did not fail
    expect(result.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', 'billing-export']]);
    expect(stdout).toMatch(/hourly-sync\s+1\s+0\s/);
  });

  it('combines files and log groups in one scan', async () => {
    const file = fileURLToPath(new URL('../fixtures/instrumented/healthy.jsonl', import.meta.url));
    const { result, stdout } = await scan({ paths: [file], logGroups: ['/aws/lambda/orders-export'], since: FIRST - DAY });
    expect(result.findings.map((f) => f.detector)).toEqual(['empty-output']);
    expect(stdout).toContain('1 finding in 36 lines from 1 file and 1 log group: 29 with events (29 events)');
  });

  it('exits 2 naming the log group when it cannot be read', async () => {
    const { result, stderr } = await scan({ logGroups: ['/aws/lambda/nope'], since: FIRST });
    expect(result.exitCode).toBe(2);
    expect(stderr).toBe('silent-audit scan: /aws/lambda/nope: not found (check the name, and the region: AWS_REGION or your profile) (after event 0)\n');
  });
});

describe('the silent-audit scan command with --log-group', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), ...args], { cwd: mkdtempSync(join(tmpdir(), 'sa-')), encoding: 'utf8' });

  it('reads a log group given twice once (--log-group G --log-group G)', () => {
    // Act
    const groups = ['/aws/lambda/etl-loader', '/aws/lambda/orders-export', '/aws/lambda/etl-loader'].reduce<string[]>((previous, g) => collectLogGroups(g, previous), []);
    // Assess
    expect(groups).toEqual(['/aws/lambda/etl-loader', '/aws/lambda/orders-export']);
  });

  it('refuses a --since it cannot read, and a log group name that cannot be one, with exit 2', () => {
    const badSince = cli(['scan', '--log-group', '/aws/lambda/etl-loader', '--since', 'last week']);
    expect(badSince.status).toBe(2);
    expect(badSince.stderr).toContain("option '--since <when>' argument 'last week' is invalid. not a duration or a time; expected a duration such as 7d");
    const badGroup = cli(['scan', '--log-group', 'my group']);
    expect(badGroup.status).toBe(2);
    expect(badGroup.stderr).toContain('not a log group name');
  });
});
