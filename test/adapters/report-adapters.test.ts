import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { FileReportPublisher } from '../../lambdas/adapters/file-report-publisher.ts';
import { S3ReportPublisher } from '../../lambdas/adapters/s3-report-publisher.ts';
import { SnsReportNotifier } from '../../lambdas/adapters/sns-report-notifier.ts';
import type { ReportDocument } from '../../lambdas/ports.ts';

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
afterEach(() => {
  s3.reset();
  sns.reset();
});

const DOCUMENTS: ReportDocument[] = [
  { format: 'md', contentType: 'text/markdown; charset=utf-8', body: '# Monthly audit report\n' },
  { format: 'html', contentType: 'text/html; charset=utf-8', body: '<!doctype html><title>r</title>' },
  { format: 'json', contentType: 'application/json', body: '{"month":"2026-10"}\n' },
];

/** An S3 object body as the SDK hands it out: a stream that can turn itself into a string. */
function body(text: string) {
  return { transformToString: async () => text } as never;
}

describe('S3ReportPublisher', () => {
  it('puts each document under reports/YYYY-MM/ with its content type and says where', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const publisher = new S3ReportPublisher(new S3Client({ region: 'eu-west-1' }), 'audit-reports');

    // Act
    const published = await publisher.publish('2026-10', DOCUMENTS);

    // Assess
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key, p.ContentType, p.Body])).toEqual([
      ['audit-reports', 'reports/2026-10/audit-report-2026-10.md', 'text/markdown; charset=utf-8', '# Monthly audit report\n'],
      ['audit-reports', 'reports/2026-10/audit-report-2026-10.html', 'text/html; charset=utf-8', '<!doctype html><title>r</title>'],
      ['audit-reports', 'reports/2026-10/audit-report-2026-10.json', 'application/json', '{"month":"2026-10"}\n'],
    ]);
    expect(puts[1].ContentDisposition).toBe('inline');
    expect(puts[2].ContentDisposition).toBe('attachment; filename="audit-report-2026-10.json"');
    expect(published).toEqual({
      location: 's3://audit-reports/reports/2026-10/',
      documents: [
        { format: 'md', uri: 's3://audit-reports/reports/2026-10/audit-report-2026-10.md' },
        { format: 'html', uri: 's3://audit-reports/reports/2026-10/audit-report-2026-10.html' },
        { format: 'json', uri: 's3://audit-reports/reports/2026-10/audit-report-2026-10.json' },
      ],
    });
  });

  it('reads an earlier report back, and nothing when there is none', async () => {
    // Prepare
    s3.on(GetObjectCommand, { Key: 'reports/2026-09/audit-report-2026-09.json' }).resolves({ Body: body('{"month":"2026-09"}') });
    s3.on(GetObjectCommand, { Key: 'reports/2026-08/audit-report-2026-08.json' }).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    const publisher = new S3ReportPublisher(new S3Client({ region: 'eu-west-1' }), 'audit-reports');

    // Act
    const september = await publisher.read('2026-09', 'json');
    const august = await publisher.read('2026-08', 'json');

    // Assess
    expect(september).toBe('{"month":"2026-09"}');
    expect(august).toBeUndefined();
  });

  it('lets other errors through, so the invocation fails rather than dropping last month', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const publisher = new S3ReportPublisher(new S3Client({ region: 'eu-west-1' }), 'audit-reports');

    // Act and Assess
    await expect(publisher.read('2026-09', 'json')).rejects.toThrow('Access Denied');
  });
});

describe('FileReportPublisher', () => {
  it('writes report-YYYY-MM.{md,html,json} into its folder and reads them back', async () => {
    // Prepare
    const dir = join(mkdtempSync(join(tmpdir(), 'silent-audit-report-')), 'out');
    const publisher = new FileReportPublisher(dir);

    // Act
    const published = await publisher.publish('2026-10', DOCUMENTS);

    // Assess
    expect(published.documents.map((d) => d.uri)).toEqual([join(dir, 'report-2026-10.md'), join(dir, 'report-2026-10.html'), join(dir, 'report-2026-10.json')]);
    expect(readFileSync(join(dir, 'report-2026-10.html'), 'utf8')).toBe('<!doctype html><title>r</title>');
    expect(await publisher.read('2026-10', 'json')).toBe('{"month":"2026-10"}\n');
    expect(await publisher.read('2026-09', 'json')).toBeUndefined();
  });
});

describe('SnsReportNotifier', () => {
  it('publishes the notice with the report attributes a filter policy can match, kind=report among them', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const notifier = new SnsReportNotifier(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:123456789012:alerts');

    // Act
    await notifier.notify({ subject: 'silent-audit October 2026 report: 3 findings (+1), 2 open, 0 UNKNOWN', message: 'body', severity: 'high' });

    // Assess
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts',
        Subject: 'silent-audit October 2026 report: 3 findings (+1), 2 open, 0 UNKNOWN',
        Message: 'body',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'report' },
          detector: { DataType: 'String', StringValue: 'report' },
          severity: { DataType: 'String', StringValue: 'high' },
          subject: { DataType: 'String', StringValue: 'monthly-report' },
        },
      },
    ]);
  });
});
