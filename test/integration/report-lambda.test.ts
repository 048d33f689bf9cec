import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3ReportPublisher } from '../../lambdas/adapters/s3-report-publisher.ts';
import { SnsReportNotifier } from '../../lambdas/adapters/sns-report-notifier.ts';
import { EnvError, validateConfig } from '../../lambdas/config.ts';
import type { AuditReport } from '../../lambdas/core/report/model.ts';
import type { MonthlyReportResult, ReportDeps } from '../../lambdas/core/report/monthly-report.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { createReportHandler } from '../../lambdas/handlers/report.ts';
import { buildReportDeps } from '../../lambdas/handlers/report-deps.ts';
import { run } from '../helpers/events.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';
import { guardException, InTestExceptionRegistry } from '../core/report-fixtures.ts';

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:silent-audit-alerts';
const BUCKET = 'silent-audit-reports';

/** The bucket as a map: what the function puts, it can get back next month. */
let objects: Map<string, string>;
beforeEach(() => {
  objects = new Map();
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    objects.set(input.Key, input.Body);
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const text = objects.get(input.Key);
    if (text === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    return { Body: { transformToString: async () => text } };
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});
afterEach(() => {
  s3.reset();
  sns.reset();
});

const config = validateConfig({
  jobs: {
    'nightly-backup': { owner: 'data-platform@example.com' },
    'monthly-close': { schedule: '0 5 1 * *', owner: 'finance-eng@example.com' },
  },
  exceptions: [{ id: 'EX-12', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31' }],
});

/** September: a normal backup every night but a failure on the 25th. October: a failure on the 3rd, and output shrunk to 400 B from the 21st. */
function backupEvents() {
  const day = (month: string, d: number) => `${month}-${String(d).padStart(2, '0')}`;
  const september = Array.from({ length: 30 }, (_, i) => i + 1).flatMap((d) =>
    run('nightly-backup', `nb-${day('2026-09', d)}`, `${day('2026-09', d)}T02:30:00Z`, 40, d === 25 ? { exit_code: 1 } : {}),
  );
  const october = Array.from({ length: 31 }, (_, i) => i + 1).flatMap((d) =>
    run('nightly-backup', `nb-${day('2026-10', d)}`, `${day('2026-10', d)}T02:30:00Z`, 40, d === 3 ? { exit_code: 1 } : d >= 21 ? { output_bytes: 400 } : {}),
  );
  return [...september, ...october];
}

async function setup() {
  let now = Date.parse('2026-11-01T00:00:00Z');
  const { store } = await freshDynamoStore({ clock: () => now });
  await processBatch(backupEvents(), REDUCERS, store, { config, clock: { now: () => now } });
  const registry = new InTestExceptionRegistry([
    guardException({ id: 'EX-12', guard: 'pii-redaction', expires: '2026-12-31', origin: 'config', bypass_count: 4, last_bypass_at: '2026-10-20T10:00:00Z' }),
  ]);
  const deps: ReportDeps = {
    findings: store,
    runs: store,
    catalog: store,
    exceptions: registry,
    config,
    clock: { now: () => now },
    publisher: new S3ReportPublisher(new S3Client({ region: 'eu-west-1' }), BUCKET),
    notifier: new SnsReportNotifier(new SNSClient({ region: 'eu-west-1' }), TOPIC),
  };
  const results: MonthlyReportResult[] = [];
  const handler = createReportHandler(
    () => deps,
    (r) => results.push(r),
  );
  return { handler, results, setNow: (iso: string) => (now = Date.parse(iso)) };
}

const reportJson = (month: string) => JSON.parse(objects.get(`reports/${month}/audit-report-${month}.json`) ?? 'null') as AuditReport;

describe('the report Lambda against DynamoDB Local, with S3 and SNS mocked', () => {
  it('writes a month on demand to S3 in three formats and announces it on SNS', async () => {
    // Prepare
    const { handler, setNow } = await setup();
    setNow('2026-10-01T06:00:00Z');

    // Act
    const response = await handler({ month: '2026-09' });

    // Assess
    expect(response).toEqual({
      month: '2026-09',
      location: `s3://${BUCKET}/reports/2026-09/`,
      documents: ['md', 'html', 'json'].map((f) => `s3://${BUCKET}/reports/2026-09/audit-report-2026-09.${f}`),
      headline: 'September 2026: 1 finding in 1 open group across 1 subject (first month monitored: nothing in August 2026 to compare with); 1 new, 0 recurring, 0 resolved; 1 of 2 monitored subjects UNKNOWN.',
    });
    expect(s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.ContentType])).toEqual([
      ['reports/2026-09/audit-report-2026-09.md', 'text/markdown; charset=utf-8'],
      ['reports/2026-09/audit-report-2026-09.html', 'text/html; charset=utf-8'],
      ['reports/2026-09/audit-report-2026-09.json', 'application/json'],
    ]);
    const september = reportJson('2026-09');
    expect(september.findings.map((g) => [g.detector, g.subject, g.status, g.correctiveAction.due])).toEqual([['run-failed', 'nightly-backup', 'new', '2026-10-08']]);
    expect(september.coverage.rows.map((r) => [r.name, r.status, r.runsInMonth])).toEqual([
      ['monthly-close', 'unknown', 0],
      ['nightly-backup', 'findings', 30],
    ]);

    const [publish] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publish.TopicArn).toBe(TOPIC);
    // September is the first month the store holds anything of: nothing in August to compare with.
    expect(publish.Subject).toBe('silent-audit September 2026 report: 1 finding (first month), 1 open, 1 UNKNOWN');
    expect(publish.Message).toContain(`Report: s3://${BUCKET}/reports/2026-09/`);
    expect(publish.Message).toContain(`  HTML: s3://${BUCKET}/reports/2026-09/audit-report-2026-09.html`);
    expect(publish.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'report' },
      detector: { DataType: 'String', StringValue: 'report' },
      severity: { DataType: 'String', StringValue: 'high' },
      subject: { DataType: 'String', StringValue: 'monthly-report' },
    });
  });

  it('on the monthly schedule reports the month before, carrying statuses and due dates from last month’s report in S3', async () => {
    // Prepare: September's report exists, as the schedule would have written it on 1 October.
    const { handler, setNow } = await setup();
    setNow('2026-10-01T06:00:00Z');
    await handler({ month: '2026-09' });
    sns.resetHistory();
    setNow('2026-11-01T06:00:07Z');
    const scheduled = { version: '0', id: 'e-1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: '2026-11-01T06:00:00Z', region: 'eu-west-1', resources: [], detail: {} };

    // Act
    const response = await handler(scheduled);

    // Assess
    expect(response.month).toBe('2026-10');
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toContain('reports/2026-09/audit-report-2026-09.json');
    const october = reportJson('2026-10');
    expect(october.findings.map((g) => [g.detector, g.subject, g.status, g.openSince, g.correctiveAction.due ?? null, g.correctiveAction.overdue])).toEqual([
      ['run-failed', 'nightly-backup', 'recurring', '2026-09', '2026-10-08', true],
      ['output-shrink', 'nightly-backup', 'new', '2026-10', '2026-11-08', false],
    ]);
    const shrink = october.findings[1];
    expect(shrink.condition).toMatchObject({ occurrences: 11, runsAffected: 11, firstAt: '2026-10-21T03:10:00Z', lastAt: '2026-10-31T03:10:00Z' });
    expect(shrink.cause.narrowed[0]).toMatch(/^Every run from 2026-10-21 to 2026-10-31 was affected \(11 of 11\): a lasting change at the source on or just before 2026-10-21/);
    expect(shrink.consequence.notes[0]).toBe('11 runs affected of 31 in October 2026 (35%).');
    expect(october.exceptions.rows.map((r) => [r.id, r.state, r.bypassCount])).toEqual([['EX-12', 'active', 4]]);
    expect(october.coverage.rows.find((r) => r.name === 'monthly-close')).toMatchObject({ status: 'unknown', reason: 'no data: configured, but nothing from it has ever been seen' });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual(['silent-audit October 2026 report: 12 findings (+11), 2 open, 1 UNKNOWN']);
  });

  it('refuses a malformed month without writing anything, and without failing the invocation', async () => {
    // Prepare
    const { handler, results } = await setup();

    // Act
    const response = await handler({ month: 'October' });

    // Assess
    expect(response).toEqual({ error: 'month "October": expected "YYYY-MM", e.g. {"month": "2026-10"}', month: 'October' });
    expect(results).toEqual([]);
    expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
    expect(sns.commandCalls(PublishCommand)).toEqual([]);
  });

  it('tells the report how long the table keeps run records: deploy.run_retention_days of the config compiled into the bundle', () => {
    // Act
    const configured = buildReportDeps({ tableName: 't', reportBucket: BUCKET, config: validateConfig({ ...config, deploy: { run_retention_days: 90 } }) });
    const byDefault = buildReportDeps({ tableName: 't', reportBucket: BUCKET, config });

    // Assess
    expect([configured.runs.runRetentionDays, byDefault.runs.runRetentionDays]).toEqual([90, 400]);
  });

  it('fails fast at cold start without the bucket, naming the variable', () => {
    expect(() => buildReportDeps({ tableName: 't', config, topicArn: TOPIC })).toThrow(EnvError);
    expect(() => buildReportDeps({ tableName: 't', config })).toThrow('REPORT_BUCKET is not set');
  });
});
