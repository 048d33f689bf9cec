import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ReportNotice, ReportNotifier } from '../ports.ts';

/**
 * Announces a monthly report on the alerts topic, with the attributes a subscription filter
 * policy can match like an alert's: `kind=report`, `detector=report`, `severity`,
 * `subject=monthly-report` (no `subject_kind`). `kind` lets a filter on alert kinds leave
 * reports out, or take only them.
 */
export class SnsReportNotifier implements ReportNotifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notice: ReportNotice): Promise<void> {
    const attr = (value: string) => ({ DataType: 'String', StringValue: value });
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: notice.subject,
        Message: notice.message,
        MessageAttributes: {
          kind: attr('report'),
          detector: attr('report'),
          severity: attr(notice.severity),
          subject: attr('monthly-report'),
        },
      }),
    );
  }
}
