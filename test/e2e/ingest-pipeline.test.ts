import { gzipSync } from 'node:zlib';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import type { IngestReport } from '../../lambdas/core/ingest.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:silent-audit-alerts';
let nextId = 1n;

/** A subscription delivery exactly as CloudWatch Logs sends it: gzip + base64 of the JSON. */
function delivery(logGroup: string, lines: { ts: string; message: string }[]): CloudWatchLogsEvent {
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup,
    logStream: '2026/10/01/[$LATEST]0123456789abcdef',
    subscriptionFilters: ['silent-audit-ingest'],
    logEvents: lines.map((l) => ({ id: String(36_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + nextId++), timestamp: Date.parse(l.ts), message: l.message })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } };
}

function consoleLine(ts: string, body: Record<string, unknown>): { ts: string; message: string } {
  return { ts, message: `${ts}\t8f5e2c1a-0000-4000-8000-000000000000\tINFO\t${JSON.stringify(body)}` };
}

function backupDay(day: number, outputBytes: number) {
  const d = String(day).padStart(2, '0');
  return [
    consoleLine(`2026-10-${d}T00:30:00.000Z`, { type: 'run.start', job: 'nightly-backup', run_id: `r-${d}` }),
    { ts: `2026-10-${d}T00:45:00.000Z`, message: 'INFO uploading chunk 14/40' },
    consoleLine(`2026-10-${d}T01:10:00.000Z`, { type: 'run.end', job: 'nightly-backup', run_id: `r-${d}`, exit_code: 0, duration_ms: 2_400_000, output_bytes: outputBytes }),
  ];
}

async function setup() {
  let now = Date.parse('2026-10-20T00:00:00Z');
  const { store } = await freshDynamoStore({ clock: () => now });
  const reports: IngestReport[] = [];
  const deps = { store, sink: new SnsAlertSink(new SNSClient({ region: 'eu-west-1' }), TOPIC), config: DEFAULT_CONFIG, clock: { now: () => now } };
  const handler = createIngestHandler(
    () => deps,
    (r) => reports.push(r),
  );
  return { store, handler, reports, setNow: (t: string) => (now = Date.parse(t)) };
}

describe('CloudWatch payload → ingest handler → findings in DynamoDB → alert published', () => {
  it('finds a run that exited 0 with a tiny output, stores it and publishes one SNS alert', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { store, handler } = await setup();
    const history = [1, 2, 3, 4, 5, 6].flatMap((d) => backupDay(d, 6963 + d));
    // Act
    const first = await handler(delivery('/jobs/nightly-backup', history));
    const second = await handler(delivery('/jobs/nightly-backup', backupDay(7, 412)));
    // Assess
    expect(first.findings).toEqual([]);
    expect(first.counts).toEqual({ lines: 18, events: 12, eventLines: 12, nothingToJudge: 0, rejected: 0, unrecognised: 6 });
    expect(second.findings).toEqual([
      expect.objectContaining({ detector: 'output-shrink', subject: 'nightly-backup', run_id: 'r-07', ts: '2026-10-07T01:10:00Z', severity: 'high' }),
    ]);
    expect(second.findings[0].evidence).toMatchObject({ output_bytes: 412, median: 6966.5, window: 6 });
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    expect(stored.map((f) => [f.detector, f.run_id, f.alerted])).toEqual([['output-shrink', 'r-07', true]]);

    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toBe('[HIGH] output-shrink: nightly-backup');
    expect(input.MessageStructure).toBe('json');
    const body = JSON.parse(input.Message ?? '{}') as Record<string, string>;
    expect(body.email).toContain('output 412 B is 6% of the median 6.8 KiB of the last 6 runs');
    expect(Object.keys(body).sort()).toEqual(['default', 'email', 'sms']);
    expect(JSON.parse(body.default)).toMatchObject({ kind: 'finding', detector: 'output-shrink', subject: 'nightly-backup', finding: { run_id: 'r-07', evidence: { output_bytes: 412 } } });
    expect(input.MessageAttributes).toEqual({
      detector: { DataType: 'String', StringValue: 'output-shrink' },
      severity: { DataType: 'String', StringValue: 'high' },
      subject: { DataType: 'String', StringValue: 'nightly-backup' },
      subject_kind: { DataType: 'String', StringValue: 'job' },
      kind: { DataType: 'String', StringValue: 'finding' },
      log_group: { DataType: 'String', StringValue: '/jobs/nightly-backup' },
      source: { DataType: 'String', StringValue: 'log group /jobs/nightly-backup, stream 2026/10/01/[$LATEST]0123456789abcdef' },
    });
  });

  it('gives an agent\'s alert, judged from its run tree, the log_group attribute of the lines it was built from', async () => {
    // Prepare: a run of support-bot over its budget of 3 actions
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { handler, setNow } = await setup();
    const run = { agent: 'support-bot', run_id: 'a-1' };
    const lines = [
      consoleLine('2026-10-01T03:00:00.000Z', { type: 'agent.start', ...run, budget: { max_actions: 3 } }),
      ...[1, 2, 3, 4, 5, 6].map((k) => consoleLine(`2026-10-01T03:00:0${k}.000Z`, { type: 'agent.action', ...run, action: 'llm_call' })),
      consoleLine('2026-10-01T03:00:30.000Z', { type: 'agent.end', ...run, status: 'ok', actions_reported: 6 }),
    ];
    setNow('2026-10-01T03:05:00Z');

    // Act
    const report = await handler(delivery('/agents/support', lines));

    // Assess
    expect(report.findings.map((f) => [f.detector, f.source?.log_group])).toEqual([['budget-exceeded', '/agents/support']]);
    const attributes = sns.commandCalls(PublishCommand)[0].args[0].input.MessageAttributes;
    expect(attributes?.log_group).toEqual({ DataType: 'String', StringValue: '/agents/support' });
    expect(attributes?.subject_kind).toEqual({ DataType: 'String', StringValue: 'agent' });
  });

  it('counts a redelivered batch once: no second finding, no second alert', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { store, handler } = await setup();
    const batch = delivery('/jobs/nightly-backup', [...[1, 2, 3, 4, 5, 6].flatMap((d) => backupDay(d, 7000)), ...backupDay(7, 0)]);
    await handler(batch);
    const again = await handler(structuredClone(batch));
    expect(again.findings).toEqual([]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    const state = (await store.load(['job#nightly-backup'])).get('job#nightly-backup');
    expect((state?.state as { runs: number }).runs).toBe(7);
  });

  it('keeps a finding pending when SNS fails, and delivers it with the next invocation that alerts', async () => {
    sns.on(PublishCommand).rejectsOnce(new Error('SNS is down')).resolves({ MessageId: 'm-2' });
    const { store, handler } = await setup();
    const failed = await handler(delivery('/jobs/etl', [consoleLine('2026-10-01T03:00:00.000Z', { type: 'run.end', job: 'etl', run_id: 'x-1', exit_code: 3 })]));
    expect(failed.alerts).toMatchObject({ sent: 0, failed: 1 });
    expect(await store.pendingAlerts(10)).toHaveLength(1);
    // A quiet batch does not look at the outbox (the sweep drains it); one that alerts anyway does.
    const quiet = await handler(delivery('/jobs/etl', [consoleLine('2026-10-02T03:00:00.000Z', { type: 'run.end', job: 'etl', run_id: 'x-2', exit_code: 0 })]));
    expect(quiet.alerts).toMatchObject({ sent: 0, failed: 0 });
    const next = await handler(delivery('/jobs/etl', [consoleLine('2026-10-03T03:00:00.000Z', { type: 'run.end', job: 'etl', run_id: 'x-3', exit_code: 4 })]));
    // The alert policy: x-1's alert was decided before its send failed, so it goes out now as decided;
    // x-3's run-failed comes within that alert's cooldown: stored, held and counted, not sent.
    expect(next.alerts).toMatchObject({ sent: 1, failed: 0, suppressed: 1 });
    expect(await store.pendingAlerts(10)).toEqual([]);
    const calls = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(calls.map((input) => input.Subject)).toEqual(['[HIGH] run-failed: etl', '[HIGH] run-failed: etl']);
    expect(calls.map((input) => JSON.parse(JSON.parse(input.Message ?? '{}').default).finding.run_id)).toEqual(['x-1', 'x-1']);
  });

  it('processes the good lines of a batch that also holds bad ones, counting each rejection', async () => {
    sns.on(PublishCommand).resolves({});
    const { handler } = await setup();
    const report = await handler(
      delivery('/jobs/mixed', [
        consoleLine('2026-10-01T03:00:00.000Z', { type: 'run.end', job: 'etl', run_id: 'a', exit_code: 2 }),
        { ts: '2026-10-01T03:00:01.000Z', message: '{"type":"run.end","job":"etl","run_id":"b","exit_code":"two"}' },
        { ts: '2026-10-01T03:00:02.000Z', message: '{"type":"run.end","job":"etl","run_id":"c",' },
        { ts: '2026-10-01T03:00:03.000Z', message: '{"type":"deploy.finished","job":"etl"}' },
        { ts: '2026-10-01T03:00:04.000Z', message: `{"type":"run.end","job":"etl","run_id":"d","exit_code":0,"output_head":"${'y'.repeat(1_048_576)}"}` },
        consoleLine('2026-10-01T03:00:05.000Z', { type: 'run.end', job: 'etl', run_id: 'e', exit_code: 4 }),
      ]),
    );
    expect(report.counts).toEqual({ lines: 6, events: 2, eventLines: 2, nothingToJudge: 0, rejected: 3, unrecognised: 1 });
    expect(report.rejections.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^run\.end event rejected: exit_code: /),
      expect.stringMatching(/^run\.end event rejected: not valid JSON/),
      expect.stringMatching(/over the 262144 limit/),
    ]);
    expect(report.rejections[0].where).toMatch(/^\/jobs\/mixed .* event \d+$/);
    expect(report.findings.map((f) => f.run_id)).toEqual(['a', 'e']);
  });

  it.each([
    ['not a CloudWatch event', { hello: 'world' }, /expected \{ awslogs: \{ data: string \} \}/],
    ['bad base64', { awslogs: { data: '!!!not base64!!!' } }, /not base64/],
    ['truncated gzip', { awslogs: { data: gzipSync('{"messageType":"DATA_MESSAGE"}').subarray(0, 12).toString('base64') } }, /not gzip data/],
    ['gzip of non-JSON', { awslogs: { data: gzipSync('hello').toString('base64') } }, /does not hold JSON/],
    ['JSON of the wrong shape', { awslogs: { data: gzipSync('{"messageType":"DATA_MESSAGE"}').toString('base64') } }, /not a CloudWatch Logs payload: owner/],
  ])('refuses a malformed payload (%s) with a clear reason and without throwing', async (_, event, reason) => {
    const { handler } = await setup();
    const report = await handler(event as unknown as CloudWatchLogsEvent);
    expect(report.status).toBe('payload-rejected');
    expect(report.counts.rejected).toBe(1);
    expect(report.rejections[0].reason).toMatch(reason);
  });

  it('ignores a CONTROL_MESSAGE', async () => {
    const { handler } = await setup();
    const control = { awslogs: { data: gzipSync(JSON.stringify({ messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] })).toString('base64') } };
    const report = await handler(control);
    expect(report.status).toBe('control-message');
    expect(report.counts.lines).toBe(0);
  });

  it('uses the job config from the config file (expect_pattern)', async () => {
    sns.on(PublishCommand).resolves({});
    const { store } = await freshDynamoStore();
    const config = validateConfig({ jobs: { export: { expect_pattern: 'exported \\d+ rows' } } });
    const handler = createIngestHandler(
      () => ({ store, sink: new SnsAlertSink(new SNSClient({ region: 'eu-west-1' }), TOPIC), config, clock: { now: () => 0 } }),
      () => undefined,
    );
    const report = await handler(delivery('/jobs/export', [consoleLine('2026-10-01T03:00:00.000Z', { type: 'run.end', job: 'export', run_id: 'a', exit_code: 0, output_head: 'done', output_bytes: 4 })]));
    expect(report.findings.map((f) => f.detector)).toEqual(['expected-pattern-missing']);
  });
});
