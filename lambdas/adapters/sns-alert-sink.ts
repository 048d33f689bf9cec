import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Config } from '../config.ts';
import { snsSubject } from '../core/alert-format.ts';
import { type AlertMessage, singleFindingMessage } from '../core/alert-policy-messages.ts';
import { type Finding, type FindingSource, sourceText } from '../core/findings.ts';
import { BUILTIN_REDACTOR, type Redactor } from '../core/redact.ts';
import type { AlertSink } from '../ports.ts';

/** SNS refuses a message over 256 KiB (body, attributes and subject): stay well below it. */
const MAX_MESSAGE_BYTES = 240_000;
/**
 * The most a summary's `owners` attribute may hold (its JSON): some 350 owners of 40 characters.
 * A summary with more is sent without it (and its body says `owners_cut`), so its size stays bounded.
 */
const MAX_OWNERS_BYTES = 16_384;
/** What a text body is cut to, one after the other, while a message is too large. */
const TEXT_CUTS = [20_000, 4_000, 500] as const;

/** What SNS refuses in a message attribute's value: control characters other than tab, LF and CR, a lone surrogate, U+FFFE and U+FFFF. */
const NOT_IN_ATTRIBUTE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

type Attribute = { DataType: 'String' | 'String.Array'; StringValue: string };

/** A `String` message attribute SNS accepts: what it refuses dropped, `-` for an empty value. */
function stringAttribute(value: string): { DataType: 'String'; StringValue: string } {
  const kept = value.replace(NOT_IN_ATTRIBUTE, '');
  return { DataType: 'String', StringValue: kept === '' ? '-' : kept };
}

/** The attributes of where an alert's lines came from: `source` (as its text says it) and, for a log group, `log_group`; none without a source. */
function sourceAttributes(source: FindingSource | undefined): Record<string, ReturnType<typeof stringAttribute>> {
  if (source === undefined) return {};
  return { source: stringAttribute(sourceText(source)), ...(source.log_group !== undefined ? { log_group: stringAttribute(source.log_group) } : {}) };
}

/** A summary's `owners` attribute: its owners as SNS takes them; none without owners, or when they are over `MAX_OWNERS_BYTES`. */
function ownersAttribute(owners: readonly string[] | undefined): Attribute | undefined {
  if (owners === undefined || owners.length === 0) return undefined;
  const value = JSON.stringify(owners.map((o) => stringAttribute(o).StringValue));
  return Buffer.byteLength(value, 'utf8') <= MAX_OWNERS_BYTES ? { DataType: 'String.Array', StringValue: value } : undefined;
}

/** What SNS counts of message attributes towards a message's size: each one's name, data type and value. */
function attributeBytes(attributes: Readonly<Record<string, Attribute>>): number {
  let bytes = 0;
  for (const [name, a] of Object.entries(attributes)) bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType, 'utf8') + Buffer.byteLength(a.StringValue, 'utf8');
  return bytes;
}

/** Whether a body fits in the limit beside `reserved` bytes (the attributes and subject sent with it). */
function fitsBeside(body: string, reserved: number): boolean {
  return Buffer.byteLength(body, 'utf8') <= MAX_MESSAGE_BYTES - reserved;
}

function cutText(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}\n… (cut: the full record is in the findings table)`;
}

/**
 * The body of a `MessageStructure: 'json'` publish: the JSON in `default`, which every machine
 * protocol (SQS, Lambda, HTTP/S, Firehose, email-json) takes, written once; only the protocols read
 * by people override it: email with the plain text, SMS with the one-line title.
 *
 * A message over the size limit (the text twice, in email and the JSON's `text`) is cut until it
 * fits, measured in UTF-8 bytes each time: the text is cut and a finding's evidence dropped
 * (`evidence_cut`); then a summary keeps only its first (most urgent) `items` and counts the rest in
 * `items_more`; then the text is cut shorter. `reserved`: the bytes of the attributes and subject
 * published with it, which SNS counts in the same limit.
 */
export function snsMessageBody(message: AlertMessage, reserved = 0): string {
  const fits = (body: string) => fitsBeside(body, reserved);
  const compose = (text: string, json: string) => JSON.stringify({ default: json, email: text, sms: message.title });
  const body = compose(message.text, JSON.stringify(message.data));
  if (fits(body)) return body;
  const { text: _text, finding, items, ...rest } = message.data as Record<string, unknown> & { finding?: Finding; items?: unknown };
  const slimFinding = finding ? { finding: { ...finding, evidence: {}, evidence_cut: true } } : {};
  const list = Array.isArray(items) ? (items as unknown[]) : undefined;
  const withItems = (text: string, keep: number) => {
    const listed = list === undefined ? (items === undefined ? {} : { items }) : { items: list.slice(0, keep), ...(keep < list.length ? { items_more: list.length - keep } : {}) };
    return compose(text, JSON.stringify({ ...rest, text, ...slimFinding, ...listed }));
  };
  for (const chars of TEXT_CUTS) {
    const text = cutText(message.text, chars);
    const whole = withItems(text, list?.length ?? 0);
    if (fits(whole)) return whole;
    // The most items that fit; when none does, the text must be cut shorter.
    if (list === undefined || list.length === 0 || !fits(withItems(text, 0))) continue;
    let [lo, hi] = [0, list.length - 1];
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(withItems(text, mid))) lo = mid;
      else hi = mid - 1;
    }
    return withItems(text, lo);
  }
  // Still too large (a huge field elsewhere): the fields filter policies and readers need, and the cut text.
  const text = cutText(message.text, TEXT_CUTS[TEXT_CUTS.length - 1]);
  const { version, id, correlation_key, kind, severity, detector, subject, subject_kind, title } = rest;
  return compose(text, JSON.stringify({ version, id, correlation_key, kind, severity, detector, subject, subject_kind, title, text, cut: true }));
}

/** A summary without its `owners` (too many for the attribute): its body says `owners_cut`, and each item still names its owner. */
function withoutOwners(message: AlertMessage): AlertMessage {
  const { owners: _owners, ...data } = message.data;
  const { owners: _dropped, ...rest } = message;
  return { ...rest, data: { ...data, owners_cut: true } };
}

/**
 * Alerts through an SNS topic: `MessageStructure: 'json'` with a plain-text body for email and a
 * JSON body for machines (`default`), a Subject in printable ASCII under 100 characters (`snsSubject`: SNS
 * refuses any other; the title keeps its own characters in the bodies), and the message attributes `kind`,
 * `detector`, `severity`, `subject` and `subject_kind` for subscription filter policies, with
 * `source` and `log_group` when the alert's finding names where its lines came from, `owner` (its subject's
 * config owner, redacted) when it has one, and for a storm summary `owners` (String.Array: its items' owners;
 * left out, as is the body's `owners`, when over `MAX_OWNERS_BYTES`): at most 8 attributes, within the 10 SNS
 * allows. The attributes and subject are counted with the body in the size limit.
 * Findings hold no secrets (lines are redacted as they are parsed); the message is redacted once
 * more before it leaves, in case a finding came from somewhere else.
 */
export class SnsAlertSink implements AlertSink {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    private readonly redactor: Redactor = BUILTIN_REDACTOR,
    /** The thresholds a published finding's rule is written with; without it, those its evidence does not keep are said to be configured. */
    private readonly config?: Config,
  ) {}

  async send(alert: AlertMessage): Promise<void> {
    const redacted = this.redactor.redactValue(alert);
    // Made last, from the redacted ASCII title (its name already shortened to keep the tail): redaction
    // can lengthen a title cut inside a marker, and snsSubject then cuts it at the end.
    const subject = snsSubject(redacted.asciiTitle);
    const owners = ownersAttribute(redacted.owners);
    // A summary's owners too many for the attribute are left out of its body's `owners` as well, so the body says what the attribute does.
    const message = owners === undefined && redacted.owners !== undefined && redacted.owners.length > 0 ? withoutOwners(redacted) : redacted;
    const attributes: Record<string, Attribute> = {
      detector: stringAttribute(message.detector),
      severity: stringAttribute(message.severity),
      subject: stringAttribute(message.subject),
      subject_kind: stringAttribute(message.subject_kind),
      kind: stringAttribute(message.kind),
      // Only a message about one finding names its source: a summary's findings may come from many log groups, and a filter policy on one would route it to one team.
      ...(message.kind === 'finding' || message.kind === 'escalation' ? sourceAttributes(message.findings[0]?.source) : {}),
      // A team's filter policy routes on its owner: `owner` for a message about one subject, `owners` (any of them matches) for a summary.
      ...(message.owner !== undefined ? { owner: stringAttribute(message.owner) } : {}),
      ...(owners !== undefined ? { owners } : {}),
    };
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        ...(subject ? { Subject: subject } : {}),
        MessageStructure: 'json',
        Message: snsMessageBody(message, attributeBytes(attributes) + Buffer.byteLength(subject ?? '', 'utf8')),
        MessageAttributes: attributes,
      }),
    );
  }

  /** One finding's alert, as the policy's first alert for it reads. */
  async publish(finding: Finding): Promise<void> {
    await this.send(singleFindingMessage(finding, this.config));
  }
}
