import { appendFileSync } from 'node:fs';
import type { Config } from '../config.ts';
import { alertLine } from '../core/alert-format.ts';
import { type AlertMessage, alertFinding, singleFindingMessage, type SummaryItem, summaryItemLines } from '../core/alert-policy-messages.ts';
import type { Finding } from '../core/findings.ts';
import { escapeControls } from '../core/terminal-text.ts';
import type { AlertSink } from '../ports.ts';

/**
 * The terminal's lines of a message: an alert or escalation on one line (`alertLine`), a notice
 * as its time and title, a storm summary as its title and its detector × subject items.
 */
export function consoleLines(message: AlertMessage): string[] {
  const finding = alertFinding(message);
  if (finding) return [`ALERT ${alertLine(finding)}`];
  if (message.kind === 'summary') return [`ALERT ${message.title}`, ...summaryItemLines((message.data.items ?? []) as readonly SummaryItem[])];
  const at = (message.data.notice as { at?: unknown } | undefined)?.at;
  return [`ALERT ${typeof at === 'string' ? `${at} ` : ''}${message.title}`];
}

/**
 * A message's record in a JSON-lines file: an alert or escalation as the finding it is about (with
 * `evidence.alert_kind`), as the file has always held, and the message's `id` and `correlation_key`
 * (what joins it to its recovery), and its subject's `owner` as SNS sends it; a notice or summary as the JSON body SNS sends machine
 * subscribers (`kind`, `title`, `text`, `id`, `correlation_key`, and the notice or the summary's `items`).
 */
export function fileRecord(message: AlertMessage): unknown {
  const finding = alertFinding(message);
  if (!finding) return message.data;
  const { id, correlation_key } = message.data;
  return { ...finding, id, correlation_key, ...(message.owner !== undefined ? { owner: message.owner } : {}) };
}

/**
 * Local alerts: one line per alert on a stream (the terminal), as the demo prints them. It shows
 * every message the SNS sink would send: alerts, escalations, notices and storm summaries.
 */
export class ConsoleAlertSink implements AlertSink {
  /** The messages shown. */
  readonly sent: AlertMessage[] = [];
  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    /** The thresholds a published finding's rule is written with; without it, those its evidence does not keep are said to be configured. */
    private readonly config?: Config,
  ) {}

  async send(message: AlertMessage): Promise<void> {
    // Subjects and messages come from logs: a control in one would erase or overwrite the terminal's rows.
    for (const line of consoleLines(message)) this.write(escapeControls(line));
    this.sent.push(message);
  }

  async publish(finding: Finding): Promise<void> {
    await this.send(singleFindingMessage(finding, this.config));
  }
}

/** Local alerts appended to a file as JSON lines, one per message (`fileRecord`). */
export class FileAlertSink implements AlertSink {
  constructor(
    private readonly path: string,
    /** As `ConsoleAlertSink`'s. */
    private readonly config?: Config,
  ) {}

  async send(message: AlertMessage): Promise<void> {
    appendFileSync(this.path, `${JSON.stringify(fileRecord(message))}\n`);
  }

  async publish(finding: Finding): Promise<void> {
    await this.send(singleFindingMessage(finding, this.config));
  }
}
