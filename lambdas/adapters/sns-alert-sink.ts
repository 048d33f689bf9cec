import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type AlertMessage, singleFindingMessage } from '../core/alert-policy-messages.ts';
import type { Finding } from '../core/findings.ts';
import { BUILTIN_REDACTOR, type Redactor } from '../core/redact.ts';
import type { AlertSink } from '../ports.ts';

/** SNS refuses a message over 256 KiB (body and attributes): stay well below it. */
const MAX_MESSAGE_BYTES = 240_000;
/** What a text body is cut to when a message would be too large. */
const MAX_TEXT_CHARS = 20_000;

/** The protocols that get the JSON body; email and SMS get text. */
const MACHINE_PROTOCOLS = ['email-json', 'sqs', 'lambda', 'http', 'https', 'firehose'] as const;

/**
 * The body of a `MessageStructure: 'json'` publish: one string per protocol. People (email, and
 * `default` for anything else) read the plain text; machines (SQS, Lambda, HTTP/S, Firehose,
 * email-json) get the JSON; SMS gets the one-line title.
 */
export function snsMessageBody(message: AlertMessage): string {
  const compose = (text: string, json: string) =>
    JSON.stringify({ default: text, email: text, sms: message.title, ...Object.fromEntries(MACHINE_PROTOCOLS.map((p) => [p, json])) });
  const body = compose(message.text, JSON.stringify(message.data));
  if (Buffer.byteLength(body) <= MAX_MESSAGE_BYTES) return body;
  const text = `${message.text.slice(0, MAX_TEXT_CHARS)}\n… (cut: the full record is in the findings table)`;
  const { text: _text, finding, ...rest } = message.data as Record<string, unknown> & { finding?: Finding };
  const slim = { ...rest, text, ...(finding ? { finding: { ...finding, evidence: {}, evidence_cut: true } } : {}) };
  return compose(text, JSON.stringify(slim));
}

/**
 * Alerts through an SNS topic: `MessageStructure: 'json'` with a plain-text body for email and a
 * JSON body for machines, a Subject under 100 characters, and the message attributes `kind`,
 * `detector`, `severity`, `subject` and `subject_kind` for subscription filter policies.
 * Findings hold no secrets (lines are redacted as they are parsed); the message is redacted once
 * more before it leaves, in case a finding came from somewhere else.
 */
export class SnsAlertSink implements AlertSink {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    private readonly redactor: Redactor = BUILTIN_REDACTOR,
  ) {}

  async send(alert: AlertMessage): Promise<void> {
    const message = this.redactor.redactValue(alert);
    const attr = (value: string) => ({ DataType: 'String', StringValue: value === '' ? '-' : value });
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: message.title,
        MessageStructure: 'json',
        Message: snsMessageBody(message),
        MessageAttributes: {
          detector: attr(message.detector),
          severity: attr(message.severity),
          subject: attr(message.subject),
          subject_kind: attr(message.subject_kind),
          kind: attr(message.kind),
        },
      }),
    );
  }

  /** One finding's alert, as the policy's first alert for it reads. */
  async publish(finding: Finding): Promise<void> {
    await this.send(singleFindingMessage(finding));
  }
}
