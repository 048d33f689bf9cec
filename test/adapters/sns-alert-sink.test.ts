import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import type { Finding } from '../../lambdas/core/findings.ts';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const finding: Finding = {
  detector: 'empty-output',
  subject: 'nightly-backup',
  subject_kind: 'job',
  run_id: 'r-1042',
  ts: '2026-10-03T02:31:07Z',
  severity: 'high',
  message: 'exit 0 with empty output (0 B)',
  evidence: { output_bytes: 0 },
};

describe('SnsAlertSink', () => {
  it('publishes a subject, a readable body with the 5 Cs guidance, and filterable attributes', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: '1' });
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    // Act
    await sink.publish(finding);
    // Assess
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.Subject).toBe('[HIGH] empty-output: nightly-backup');
    expect(input.Message).toContain('exit 0 with empty output (0 B)');
    expect(input.Message).toContain('Run:      r-1042');
    expect(input.Message).toContain('output_bytes: 0');
    expect(input.Message).toMatch(/Rule: .+/);
    expect(input.Message).toMatch(/What to do: .+/);
    expect(Object.keys(input.MessageAttributes ?? {})).toEqual(['detector', 'severity', 'subject', 'subject_kind']);
  });

  it('keeps the subject under 100 characters and on one line, whatever the subject name', async () => {
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    await sink.publish({ ...finding, subject: `/opt/jobs/${'very-long-name-'.repeat(12)}\nrm -rf` });
    const subject = sns.commandCalls(PublishCommand)[0].args[0].input.Subject ?? '';
    expect(subject.length).toBeLessThan(100);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.startsWith('[HIGH] empty-output: /opt/jobs/very-long-name-')).toBe(true);
  });

  it('lets a failed publish surface, so the finding stays pending', async () => {
    sns.on(PublishCommand).rejects(new Error('Throttling'));
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    await expect(sink.publish(finding)).rejects.toThrow('Throttling');
  });
});
