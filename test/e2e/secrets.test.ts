import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import { runExec } from '../../lambdas/cli/exec-command.ts';
import { runReport } from '../../lambdas/cli/report-command.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { validateConfig } from '../../lambdas/config.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import type { IngestReport } from '../../lambdas/core/ingest.ts';
import type { SubjectReducer } from '../../lambdas/core/pipeline.ts';
import { BUILTIN_RULE_NAMES, redactorFor } from '../../lambdas/core/redact.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { createMonthlyReport } from '../../lambdas/core/report/monthly-report.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { powertoolsObserver } from '../../lambdas/handlers/observability.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';
import { CUT_KEY_LINE, leaksIn, longKeyOutput, missingMarkers, PLANTED, SECRETS_CONFIG, secretsLine, secretsObject, secretsText, stringsOf } from '../helpers/secrets.ts';

/**
 * Planted secrets of every kind, in every place a line can carry text, driven through every
 * output path: the ingest Lambda (DynamoDB, SNS, its logs, the monthly report), the CLI scan
 * and report, and `exec`'s run lines. Nothing of any secret may come out; the markers must
 * (else the test would pass on outputs that never held the planted text).
 */

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:silent-audit-alerts';
const LOG_GROUP = '/aws/lambda/etl-secrets';
const REQUEST = '8f5e2c1a-0000-4000-8000-000000000000';
const config = validateConfig(SECRETS_CONFIG);

interface Line {
  readonly ts: string;
  readonly message: string;
}

/** A contract §1a event after Lambda's console prefix. */
function consoleLine(ts: string, body: Record<string, unknown>): Line {
  return { ts, message: `${ts}\t${REQUEST}\tINFO\t${JSON.stringify({ ts, ...body })}` };
}

const at = (hh: number, mm = 0) => `2026-10-03T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00.000Z`;
const key = longKeyOutput();

/** Where the secrets are planted: each an input path a line can carry text by. */
const INPUT_PATHS: ReadonlyArray<{ readonly path: string; readonly lines: readonly Line[] }> = [
  {
    path: 'run.start: unknown extra fields',
    lines: [consoleLine(at(1), { type: 'run.start', job: 'etl-head', run_id: 'r-1', command: secretsLine(), env: secretsObject() })],
  },
  {
    path: 'run.end: output_head (error marker among the secrets)',
    lines: [consoleLine(at(1, 5), { type: 'run.end', job: 'etl-head', run_id: 'r-1', exit_code: 0, output_bytes: 9000, output_head: secretsText(), output_tail: 'done' })],
  },
  {
    path: 'run.end: output_tail',
    lines: [
      consoleLine(at(2), { type: 'run.start', job: 'etl-tail', run_id: 'r-2' }),
      consoleLine(at(2, 5), { type: 'run.end', job: 'etl-tail', run_id: 'r-2', exit_code: 0, output_bytes: 9000, output_head: 'starting', output_tail: secretsText('FATAL') }),
    ],
  },
  {
    path: 'run.end: a failed run, secrets in both excerpts',
    lines: [consoleLine(at(3), { type: 'run.end', job: 'etl-failed', run_id: 'r-3', exit_code: 2, output_head: secretsText(), output_tail: secretsText() })],
  },
  {
    path: 'run.end: a private key cut by the 2 KiB head and tail',
    lines: [consoleLine(at(4), { type: 'run.end', job: 'etl-key', run_id: 'r-4', exit_code: 0, output_bytes: key.whole.length, output_head: key.head, output_tail: key.tail })],
  },
  {
    path: 'tool.call: args, top level and nested',
    lines: [
      consoleLine(at(5), {
        type: 'tool.call',
        tool: 'send_invoice',
        agent: 'support-bot',
        run_id: 'a-1',
        call_id: 'c-1',
        args: { user_id: secretsLine(), amount: 'password=pl4nt-pw-0016', customer: secretsObject(), client_secret: 'pl4nt-field-0020' },
      }),
    ],
  },
  {
    path: 'guard.bypass: reason and actor',
    lines: [consoleLine(at(6), { type: 'guard.bypass', guard: 'pii-redaction', actor: `deploy password=pl4nt-pw-0016 ${CUT_KEY_LINE}`, reason: secretsLine(), job: 'etl-head' })],
  },
  {
    path: 'audit.write: record',
    lines: [consoleLine(at(1, 3), { type: 'audit.write', job: 'etl-head', run_id: 'r-1', record: secretsObject() })],
  },
  {
    path: 'agent lines: extra fields and action names',
    lines: [
      consoleLine(at(7), { type: 'agent.start', agent: 'support-bot', run_id: 'a-1', budget: { max_actions: 1 }, prompt: secretsText() }),
      consoleLine(at(7, 1), { type: 'agent.action', agent: 'support-bot', run_id: 'a-1', action: 'tool_call', name: 'fetch token=pl4nt-tok-0024', cost_usd: 0.01 }),
      consoleLine(at(7, 2), { type: 'agent.action', agent: 'support-bot', run_id: 'a-1', action: 'llm_call', name: 'gpt', messages: [{ role: 'user', content: secretsText() }] }),
      consoleLine(at(7, 3), { type: 'agent.end', agent: 'support-bot', run_id: 'a-1', status: 'ok', actions_reported: 1, summary: secretsLine() }),
    ],
  },
  {
    path: 'rejected instrumented lines (bad JSON, bad field)',
    lines: [
      { ts: at(8), message: `{"type":"run.end","job":"etl","run_id":"r-9","exit_code":0,"output_head":"AKIAPL4NTQ7X00000001 password=pl4nt-pw-0016" oops}` },
      { ts: at(8, 1), message: JSON.stringify({ type: 'run.end', job: 'etl', run_id: 'r-9', exit_code: secretsLine() }) },
      { ts: at(8, 2), message: `{"type":"guard.bypass","guard":"g","reason":"${'x'.repeat(30)}AKIAPL4NTQ7X00000001`.slice(0, 75) },
    ],
  },
  {
    path: 'rejected §1b lines (quoted in the reason, cut at 80 characters)',
    lines: [
      { ts: at(9), message: `REPORT RequestId: ${REQUEST} Billed: 1 ms key AKIAPL4NTQ7X00000001 password=pl4nt-pw-0016` },
      { ts: at(9, 1), message: 'Oct  3 09:01:00 web-1 systemd[1]: backup.service: Main process exited, code= password=pl4nt-pw-0016' },
    ],
  },
  {
    path: 'syslog cron lines (the command is the job name) and plain lines',
    lines: [
      { ts: at(10), message: 'Oct  3 10:00:01 web-1 CRON[4242]: (root) CMD (/usr/local/bin/backup --password=pl4nt-pw-0016 --to https://deploy:pl4nt-url-0012@s3.example.com && mysqldump -uroot -ppl4nt-mysql-0025 appdb)' },
      { ts: at(10, 1), message: `Oct  3 10:00:02 web-1 backup[4243]: ${secretsLine()}` },
      { ts: at(10, 2), message: secretsLine() },
    ],
  },
];

const ALL_LINES = INPUT_PATHS.flatMap((p) => p.lines);
let nextId = 1n;

/** A subscription delivery as CloudWatch Logs sends it: gzip + base64 of the JSON. */
function delivery(lines: readonly Line[]): CloudWatchLogsEvent {
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: LOG_GROUP,
    logStream: '2026/10/03/[$LATEST]0123456789abcdef',
    subscriptionFilters: ['silent-audit-ingest'],
    logEvents: lines.map((l) => ({ id: String(38_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + nextId++), timestamp: Date.parse(l.ts), message: l.message })),
  };
  return encodePayload(payload);
}

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d.toString()));
  return { stream, text: () => text };
}

/** Every item of the table, raw, with every string inside (and inside the JSON strings) laid out. */
async function dumpTable(client: DynamoDBClient, table: string): Promise<{ items: number; text: string }> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return { items: items.length, text: `${JSON.stringify(items)}\n${stringsOf(items).join('\n')}` };
}

/** Markers that findings (messages, evidence) and state keys carry: what the planted text left in the store. */
const STORED_MARKERS = ['aws-access-key', 'secret-assignment', 'url-password', 'employee-pin', 'jwt', 'github-token', 'private-key'];

/** A reducer that claims nothing and keeps every event it is shown: what entered the pipeline. */
function eventSpy(): { reducer: SubjectReducer<unknown>; seen: AuditEvent[] } {
  const seen: AuditEvent[] = [];
  const reducer: SubjectReducer<unknown> = {
    kind: 'job',
    stateKind: 'spy',
    subjectOf: (event) => (seen.push(event), undefined),
    initial: () => ({}),
    apply: (state) => ({ state, findings: [], records: [] }),
  };
  return { reducer, seen };
}

describe('planted secrets never leave the pipeline', () => {
  it('plants every kind of secret in every input path', () => {
    // The figure docs/reliability.md quotes.
    expect({ kinds: new Set(PLANTED.map((s) => s.rule)).size, secrets: PLANTED.length, inputPaths: INPUT_PATHS.length, lines: ALL_LINES.length }).toEqual({
      kinds: 27,
      secrets: 36,
      inputPaths: 12,
      lines: 21,
    });
  });

  it('ingest Lambda: nothing in DynamoDB, SNS, its logs or the monthly report', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const now = Date.parse('2026-10-03T12:00:00Z');
    const { store, client, table } = await freshDynamoStore({ clock: () => now });
    const reports: IngestReport[] = [];
    const spy = eventSpy();
    const deps = { store, sink: new SnsAlertSink(new SNSClient({ region: 'eu-west-1' }), TOPIC, redactorFor(config)), config, clock: { now: () => now }, reducers: [...REDUCERS, spy.reducer] };
    const handler = createIngestHandler(
      () => deps,
      (r) => reports.push(r),
    );
    const logged: string[] = [];
    const keep = (chunk: unknown) => (logged.push(String(chunk)), true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(keep);

    // Act: every path in one delivery, then each path alone (separate batches, separate alerts)
    try {
      await handler(delivery(ALL_LINES));
      for (const p of INPUT_PATHS) await handler(delivery(p.lines));
      for (const r of reports) powertoolsObserver(r);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const entered = JSON.stringify(spy.seen.map((e) => e.body));
    const stored = await dumpTable(client, table);
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    const snsText = `${JSON.stringify(published)}\n${stringsOf(published).join('\n')}`;
    const { documents } = await createMonthlyReport('2026-10', { findings: store, runs: store, catalog: store, config, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') } });
    const reportText = documents.map((d) => d.body).join('\n');
    const reportsText = JSON.stringify(reports);

    // Assess: the planted lines made findings with their text as evidence, and alerts
    const detectors = new Set(reports.flatMap((r) => r.findings.map((f) => f.detector)));
    for (const d of ['error-keyword', 'run-failed', 'tool-arg-invalid', 'guard-bypass-unregistered', 'budget-exceeded']) expect(detectors, d).toContain(d);
    expect(reports[0].counts).toMatchObject({ lines: ALL_LINES.length, rejected: 5 });
    expect(published.length).toBeGreaterThan(4);
    expect(documents.map((d) => d.format).sort()).toEqual(['html', 'json', 'md']);
    expect(stored.items).toBeGreaterThan(10);
    expect(logged.join('')).toContain('line rejected');
    // … and nothing of any secret anywhere: in the events that entered the pipeline, and in every output
    expect(leaksIn(entered), 'events entering the pipeline').toEqual([]);
    expect(leaksIn(stored.text), 'DynamoDB').toEqual([]);
    expect(leaksIn(snsText), 'SNS').toEqual([]);
    expect(leaksIn(reportText), 'report').toEqual([]);
    expect(leaksIn(reportsText), 'ingest reports (rejections)').toEqual([]);
    expect(leaksIn(logged.join('')), 'Lambda logs').toEqual([]);
    // … while the markers show the planted text did get through: every rule's in the events, some in every output
    expect(missingMarkers(entered, BUILTIN_RULE_NAMES.concat('employee-pin')), 'events entering the pipeline').toEqual([]);
    expect(missingMarkers(stored.text, STORED_MARKERS), 'DynamoDB').toEqual([]);
    expect(missingMarkers(snsText, ['aws-access-key', 'secret-assignment']), 'SNS').toEqual([]);
    expect(reportsText).toContain('[REDACTED:aws-access-key]');
    expect(stored.text).toContain('/usr/local/bin/backup --password=[REDACTED:secret-assignment] --to https://deploy:[REDACTED:url-password]@s3.example.com && mysqldump -uroot -p[REDACTED:cli-password] appdb');
  });

  it('CLI scan and report: nothing on stdout or stderr, in --json or as tables', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sa-secrets-'));
    const file = join(dir, 'etl-secrets.log');
    writeFileSync(file, `${ALL_LINES.map((l) => l.message).join('\n')}\n`);
    const outputs: string[] = [];

    // Act
    for (const json of [true, false]) {
      const out = capture();
      const err = capture();
      const result = await runScan({ paths: [file], config, json, year: 2026, stdout: out.stream, stderr: err.stream });
      expect(result.exitCode).toBe(1);
      expect(result.counts.rejected).toBe(5);
      outputs.push(out.text(), err.text());
    }
    for (const format of ['md', 'html', 'json'] as const) {
      const out = capture();
      const err = capture();
      const result = await runReport({ month: '2026-10', format, paths: [file], config, year: 2026, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') }, stdout: out.stream, stderr: err.stream });
      expect(result.exitCode).toBe(0);
      outputs.push(out.text(), err.text());
    }

    // Assess
    const all = outputs.join('\n');
    expect(leaksIn(all)).toEqual([]);
    expect(outputs[1]).toMatch(/rejected \S*etl-secrets\.log:\d+: /);
    expect(missingMarkers(all, ['aws-access-key', 'secret-assignment', 'url-password'])).toEqual([]);
  });

  it('exec: nothing in the run lines it writes, and their scan finds the error with the markers', async () => {
    // Prepare: the command prints every secret, then a private key longer than both excerpts
    const dir = mkdtempSync(join(tmpdir(), 'sa-secrets-exec-'));
    const log = join(dir, 'exec-secrets.log');
    const script = `process.stdout.write(${JSON.stringify(`${secretsText()}\n`)}); process.stderr.write(${JSON.stringify(key.whole)});`;
    const passthrough = capture();

    // Act
    const result = await runExec({ job: 'exec-secrets', command: [process.execPath, '-e', script], log, stdout: passthrough.stream, stderr: passthrough.stream, stdin: 'ignore', redactor: redactorFor(config) });
    const written = readFileSync(log, 'utf8');
    const out = capture();
    const scanned = await runScan({ paths: [log], config, json: true, stdout: out.stream, stderr: capture().stream });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(passthrough.text()).toContain('pl4nt'); // the command's own output passes through unchanged
    expect(leaksIn(written)).toEqual([]);
    expect(leaksIn(JSON.stringify([result.start, result.end]))).toEqual([]);
    expect(result.end.output_head).toContain('[REDACTED:aws-access-key]');
    expect(result.end.output_tail).toMatch(/^\[REDACTED:private-key\]\nFATAL: done$/);
    expect(scanned.findings.map((f) => f.detector)).toContain('error-keyword');
    expect(leaksIn(out.text())).toEqual([]);
  });
});
