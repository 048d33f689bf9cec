import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import type { CloudWatchLogsPayload } from '../../lambdas/core/envelope.ts';
import { ingestPayloads } from '../../lambdas/core/ingest.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const T0 = Date.parse('2026-10-05T01:00:00Z');
let nextId = 1;

/** A payload of one log stream holding the lines of a run of `job` that exited with `exitCode`. */
function runPayload(logGroup: string, logStream: string, job: string, runId: string, start: number, exitCode: number): CloudWatchLogsPayload {
  return payloadOf(logGroup, logStream, [
    [start, { type: 'run.start', job, run_id: runId }],
    [start + 60_000, { type: 'run.end', job, run_id: runId, exit_code: exitCode, duration_ms: 60_000, output_bytes: 20 }],
  ]);
}

/** A payload of one log stream holding `lines` as (epoch ms, line), each stamped `ts` at its time. */
function payloadOf(logGroup: string, logStream: string, lines: [number, Record<string, unknown>][]): CloudWatchLogsPayload {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup,
    logStream,
    subscriptionFilters: ['silent-audit'],
    logEvents: lines.map(([at, body]) => ({ id: String(nextId++), timestamp: at, message: JSON.stringify({ ts: new Date(at).toISOString(), ...body }) })),
  };
}

/** A payload of one log stream holding the lines of an agent run: `lines` as (seconds after T0, line). */
function agentPayload(logGroup: string, logStream: string, lines: [number, Record<string, unknown>][]): CloudWatchLogsPayload {
  return payloadOf(logGroup, logStream, lines.map(([s, body]) => [T0 + s * 1000, body]));
}

/** An agent run of support-bot over its budget of 3 actions (6 made), ended ok. */
function overBudgetRun(runId: string, from: number): [number, Record<string, unknown>][] {
  const run = { agent: 'support-bot', run_id: runId };
  const actions: [number, Record<string, unknown>][] = [1, 2, 3, 4, 5, 6].map((k) => [from + k, { type: 'agent.action', ...run, action: 'llm_call', cost_usd: 0.01 }]);
  return [[from, { type: 'agent.start', ...run, budget: { max_actions: 3 } }], ...actions, [from + 30, { type: 'agent.end', ...run, status: 'ok', actions_reported: 6, output_bytes: 100 }]];
}

function deployed(config = DEFAULT_CONFIG) {
  sns.on(PublishCommand).resolves({ MessageId: '1' });
  let now = T0;
  const clock = { now: () => now };
  const deps = { store: new MemoryAuditStore(), sink: new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t', undefined, config), config, clock };
  return { deps, setNow: (t: number) => (now = t) };
}

const published = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
const email = (input: { Message?: string }) => (JSON.parse(input.Message ?? '{}') as { email: string }).email;

describe('where the lines of an alert came from', () => {
  it('names the log group and stream of the delivery in the finding, the email (Source:) and the message attributes', async () => {
    // Prepare
    const { deps, setNow } = deployed();
    setNow(T0 + 120_000);

    // Act
    const report = await ingestPayloads([runPayload('/jobs/payments', 'ip-10-0-3-17', 'settlement-export', 'r1', T0, 1)], deps);

    // Assess
    expect(report.findings.map((f) => [f.detector, f.source])).toEqual([['run-failed', { log_group: '/jobs/payments', log_stream: 'ip-10-0-3-17' }]]);
    const [input] = published();
    expect(email(input)).toContain('Source:   log group /jobs/payments, stream ip-10-0-3-17');
    expect(input.MessageAttributes?.log_group).toEqual({ DataType: 'String', StringValue: '/jobs/payments' });
    expect(input.MessageAttributes?.source).toEqual({ DataType: 'String', StringValue: 'log group /jobs/payments, stream ip-10-0-3-17' });
  });

  it('names the log group alone when the subject\'s lines of the batch came in several streams', async () => {
    // Prepare: a Kinesis batch, the run's start in one stream and its end in another
    const { deps, setNow } = deployed();
    setNow(T0 + 120_000);
    const a = runPayload('/jobs/payments', 'ip-10-0-3-17', 'settlement-export', 'r1', T0, 1);
    const b = runPayload('/jobs/payments', 'ip-10-0-3-18', 'settlement-export', 'r1', T0, 1);
    const split = [{ ...a, logEvents: a.logEvents.slice(0, 1) }, { ...b, logEvents: b.logEvents.slice(1) }];

    // Act
    const report = await ingestPayloads(split, deps);

    // Assess
    expect(report.findings.map((f) => f.source)).toEqual([{ log_group: '/jobs/payments' }]);
    expect(email(published()[0])).toContain('Source:   log group /jobs/payments\n');
  });

  it('names where a missed job\'s lines were last seen, from its state, in the sweep\'s missed-run alert', async () => {
    // Prepare
    const config = validateConfig({ jobs: { 'settlement-export': { schedule: '0 1 * * *' } } });
    const { deps, setNow } = deployed(config);
    setNow(T0 + 120_000);
    await ingestPayloads([runPayload('/jobs/payments', 'ip-10-0-3-17', 'settlement-export', 'r1', T0, 0)], deps);
    sns.resetHistory();

    // Act
    setNow(T0 + 86_400_000 + 20 * 60_000);
    const swept = await runSweep(deps);

    // Assess
    expect(swept.findings.map((f) => [f.detector, f.source])).toEqual([['missed-run', { log_group: '/jobs/payments', log_stream: 'ip-10-0-3-17' }]]);
    const text = email(published()[0]);
    expect(text).toContain('Source:   log group /jobs/payments, stream ip-10-0-3-17 (where its lines were last seen)');
  });

  it('names the log group and stream of an agent run in the findings judged from its tree, and in the alert\'s log_group attribute', async () => {
    // Prepare
    const { deps, setNow } = deployed();
    setNow(T0 + 120_000);

    // Act
    const report = await ingestPayloads([agentPayload('/agents/support', 'bot-1', overBudgetRun('a1', 0))], deps);

    // Assess
    expect(report.findings.map((f) => [f.detector, f.source])).toEqual([['budget-exceeded', { log_group: '/agents/support', log_stream: 'bot-1' }]]);
    const [input] = published();
    expect(input.MessageAttributes?.log_group).toEqual({ DataType: 'String', StringValue: '/agents/support' });
    expect(email(input)).toContain('Source:   log group /agents/support, stream bot-1');
  });

  it('names the latest line\'s log group alone for an agent tree whose runs came in two streams', async () => {
    // Prepare: the root in one stream, its sub-agent (over its budget) in another, the root's end last
    const { deps, setNow } = deployed();
    setNow(T0 + 120_000);
    const root = { agent: 'support-bot', run_id: 'p1' };
    const child = { agent: 'researcher', run_id: 'p1.c', parent_run_id: 'p1' };
    const childLines: [number, Record<string, unknown>][] = [[1, { type: 'agent.start', ...child, budget: { max_actions: 1 } }], [2, { type: 'agent.action', ...child, action: 'search' }], [3, { type: 'agent.action', ...child, action: 'search' }], [4, { type: 'agent.end', ...child, status: 'ok' }]];

    // Act
    const report = await ingestPayloads([agentPayload('/agents/support', 'bot-1', [[0, { type: 'agent.start', ...root }], [9, { type: 'agent.end', ...root, status: 'ok' }]]), agentPayload('/agents/support', 'bot-2', childLines)], deps);

    // Assess
    expect(report.findings.map((f) => [f.detector, f.run_id, f.source])).toEqual([['budget-exceeded', 'p1.c', { log_group: '/agents/support' }]]);
  });

  it('names the log group alone for one agent run whose lines came in two streams, in one batch or two', async () => {
    // Prepare: a run over its budget, its start and actions in bot-1, its end in bot-2
    const lines = overBudgetRun('a1', 0);
    const inOneBatch = deployed();
    inOneBatch.setNow(T0 + 120_000);
    const inTwoBatches = deployed();
    inTwoBatches.setNow(T0 + 120_000);
    await ingestPayloads([agentPayload('/agents/support', 'bot-1', lines.slice(0, -1))], inTwoBatches.deps);

    // Act
    const one = await ingestPayloads([agentPayload('/agents/support', 'bot-1', lines.slice(0, -1)), agentPayload('/agents/support', 'bot-2', lines.slice(-1))], inOneBatch.deps);
    const two = await ingestPayloads([agentPayload('/agents/support', 'bot-2', lines.slice(-1))], inTwoBatches.deps);

    // Assess: as a job run split so (the group alone), not the stream of its end
    expect(one.findings.map((f) => [f.detector, f.source])).toEqual([['budget-exceeded', { log_group: '/agents/support' }]]);
    expect(two.findings.map((f) => [f.detector, f.source])).toEqual([['budget-exceeded', { log_group: '/agents/support' }]]);
  });

  it('names the log group alone for an agent tree holding a run stored before sources were kept', async () => {
    // Prepare: a root that never ends, stored with no source (as the previous version wrote it), then its sub-agent in another stream
    const { deps, setNow } = deployed();
    setNow(T0 + 60_000);
    const root = { agent: 'support-bot', run_id: 'u1' };
    await ingestPayloads([agentPayload('/agents/support', 'bot-1', [[0, { type: 'agent.start', ...root }], [5, { type: 'agent.action', ...root, action: 'llm_call' }]])], deps);
    const stored = (await deps.store.load(['agentrun#u1'])).get('agentrun#u1');
    const { source: _source, ...legacy } = stored?.state as Record<string, unknown>;
    await deps.store.commit({ key: 'agentrun#u1', expectedVersion: stored?.version ?? 0, state: legacy, findings: [], records: [] });
    const child = { agent: 'researcher', run_id: 'u1.c', parent_run_id: 'u1' };
    await ingestPayloads([agentPayload('/agents/support', 'bot-2', [[10, { type: 'agent.start', ...child }], [12, { type: 'agent.action', ...child, action: 'search' }], [14, { type: 'agent.end', ...child, status: 'ok', output_bytes: 10 }]])], deps);

    // Act
    setNow(T0 + 6 * 3_600_000);
    const swept = await runSweep(deps);

    // Assess: where the root's lines were read is unknown, so not the sub-agent's stream
    expect(swept.findings.map((f) => [f.detector, f.run_id, f.source])).toEqual([['run-unfinished', 'u1', { log_group: '/agents/support' }]]);
  });

  it('names where an agent run\'s lines were last seen in the sweep\'s run-unfinished alert about it', async () => {
    // Prepare: a root that starts, acts and never ends
    const { deps, setNow } = deployed();
    setNow(T0 + 120_000);
    const run = { agent: 'support-bot', run_id: 'u1' };
    await ingestPayloads([agentPayload('/agents/support', 'bot-1', [[0, { type: 'agent.start', ...run }], [5, { type: 'agent.action', ...run, action: 'llm_call' }]])], deps);
    sns.resetHistory();

    // Act
    setNow(T0 + 6 * 3_600_000);
    const swept = await runSweep(deps);

    // Assess
    expect(swept.findings.map((f) => [f.detector, f.source])).toEqual([['run-unfinished', { log_group: '/agents/support', log_stream: 'bot-1' }]]);
    expect(published()[0].MessageAttributes?.log_group).toEqual({ DataType: 'String', StringValue: '/agents/support' });
  });

  it('stores a log stream name that holds a secret redacted, in the finding and in the job state (lastSource)', async () => {
    // Prepare: a stream named with a token and an AWS key
    const { deps, setNow } = deployed();
    setNow(T0 + 120_000);
    const stream = 'i-0abc/token=ghp_1234567890abcdefghijklmnopqrstuvwxyzAB/AKIAIOSFODNN7EXAMPLE';

    // Act
    await ingestPayloads([runPayload('/jobs/payments', stream, 'settlement-export', 'r1', T0, 1)], deps);

    // Assess: neither the stored finding nor the job state keeps them
    const [stored] = await deps.store.query({ from: '2026-10-01T00:00:00Z', to: '2026-10-06T00:00:00Z' });
    const state = (await deps.store.load(['job#settlement-export'])).get('job#settlement-export')?.state as { lastSource?: { log_stream?: string } };
    for (const kept of [stored.source?.log_stream, state.lastSource?.log_stream]) {
      expect(kept).toMatch(/^i-0abc\//);
      expect(kept).toContain('[REDACTED');
      expect(kept).not.toContain('ghp_1234567890');
      expect(kept).not.toContain('AKIAIOSFODNN7EXAMPLE');
    }
    expect(stored.source?.log_group).toBe('/jobs/payments');
  });

  it('gives a storm summary no source or log_group attribute: it is about the findings of several log groups', async () => {
    // Prepare: a storm cap of 1, three jobs of three teams failing in one delivery (a summary holds two at least: one alone goes as itself)
    const { deps, setNow } = deployed(validateConfig({ defaults: { alert_storm_cap: 1 } }));
    setNow(T0 + 120_000);

    // Act
    await ingestPayloads(
      [runPayload('/team-a/jobs', 'host-1', 'job-a', 'r1', T0, 1), runPayload('/team-b/jobs', 'host-1', 'job-b', 'r1', T0, 1), runPayload('/team-c/jobs', 'host-1', 'job-c', 'r1', T0, 1)],
      deps,
    );

    // Assess: the one alert sent alone names its log group; the summary names none
    const byKind = new Map(published().map((input) => [input.MessageAttributes?.kind?.StringValue, input.MessageAttributes]));
    expect(byKind.get('finding')?.log_group?.StringValue).toMatch(/^\/team-[abc]\/jobs$/);
    expect(byKind.get('summary')).toBeDefined();
    expect(byKind.get('summary')?.log_group).toBeUndefined();
    expect(byKind.get('summary')?.source).toBeUndefined();
  });

  it('names the file a finding of the CLI scan came from, in its JSON record', async () => {
    // Prepare
    const path = fileURLToPath(new URL('../fixtures/instrumented/nightly-backup.jsonl', import.meta.url));
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d.toString()));

    // Act
    const result = await runScan({ paths: [path], config: DEFAULT_CONFIG, json: true, stdout, stderr: new PassThrough() });

    // Assess
    expect(result.findings.map((f) => [f.detector, f.source])).toEqual([['empty-output', { file: path }]]);
    expect(JSON.parse(out.trim().split('\n')[0]).source).toEqual({ file: path });
  });
  it('names the file of an agent run\'s lines in the findings of the CLI scan judged from its tree', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'source-'));
    const path = join(dir, 'agents.log');
    const lines = overBudgetRun('a1', 0).map(([s, body]) => JSON.stringify({ ts: new Date(T0 + s * 1000).toISOString(), ...body }));
    writeFileSync(path, `${lines.join('\n')}\n`);

    // Act
    const result = await runScan({ paths: [path], config: DEFAULT_CONFIG, json: true, stdout: new PassThrough(), stderr: new PassThrough() });

    // Assess
    expect(result.findings.map((f) => [f.detector, f.source])).toEqual([['budget-exceeded', { file: path }]]);
  });
});
