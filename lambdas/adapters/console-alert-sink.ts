import { appendFileSync } from 'node:fs';
import { alertLine } from '../core/alert-format.ts';
import type { Finding } from '../core/findings.ts';
import type { AlertSink } from '../ports.ts';

/** Local alerts: one line per alert on a stream (the terminal), as the demo prints them. */
export class ConsoleAlertSink implements AlertSink {
  readonly sent: Finding[] = [];
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  async publish(finding: Finding): Promise<void> {
    this.write(`ALERT ${alertLine(finding)}`);
    this.sent.push(finding);
  }
}

/** Local alerts appended to a file as JSON lines, one per alert. */
export class FileAlertSink implements AlertSink {
  constructor(private readonly path: string) {}

  async publish(finding: Finding): Promise<void> {
    appendFileSync(this.path, `${JSON.stringify(finding)}\n`);
  }
}
