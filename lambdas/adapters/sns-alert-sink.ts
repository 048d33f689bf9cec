import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { alertBody, alertSubject } from '../core/alert-format.ts';
import type { Finding } from '../core/findings.ts';
import { DETECTOR_META } from '../detectors/index.ts';
import type { AlertSink } from '../ports.ts';

/**
 * Alerts through an SNS topic: a short Subject for email, a readable body, and message
 * attributes (`detector`, `severity`, `subject`, `subject_kind`) for subscription filter policies.
 */
export class SnsAlertSink implements AlertSink {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(finding: Finding): Promise<void> {
    const meta = DETECTOR_META.get(finding.detector);
    const attr = (value: string) => ({ DataType: 'String', StringValue: value });
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: alertSubject(finding),
        Message: alertBody(finding, meta?.fiveCs),
        MessageAttributes: {
          detector: attr(finding.detector),
          severity: attr(finding.severity),
          subject: attr(finding.subject),
          subject_kind: attr(finding.subject_kind),
        },
      }),
    );
  }
}
