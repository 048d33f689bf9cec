import type { DemoMonth, DemoLogStream } from '../../lambdas/demo/generate-month.ts';

/** Test helpers: read the demo month's log lines back into runs, the way a reader of contract §1a would. */

/** `2026-10-03T02:30:01.123Z\t<request id>\tLEVEL\tmessage\n`, as the Node.js Lambda runtime writes it. */
export const LAMBDA_CONSOLE_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\t([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\t(INFO|WARN|ERROR)\t(.*)\n$/s;

export interface EventLine {
  readonly stream: DemoLogStream;
  readonly timestamp: number;
  /** The console prefix's time, for Lambda lines. */
  readonly prefixTime?: number;
  readonly requestId?: string;
  readonly body: Record<string, unknown>;
}

/** The JSON object of a line: the whole line, or what follows the Lambda console prefix. */
export function jsonOf(message: string, format: DemoLogStream['format']): { body: unknown; prefixTime?: number; requestId?: string } | undefined {
  if (format === 'lambda-console') {
    const m = LAMBDA_CONSOLE_LINE.exec(message);
    if (!m || !m[4].startsWith('{')) return undefined;
    return { body: JSON.parse(m[4]), prefixTime: Date.parse(m[1]), requestId: m[2] };
  }
  return message.startsWith('{') ? { body: JSON.parse(message) } : undefined;
}

/** Every `run.start` / `run.end` line of the month. */
export function eventLines(month: DemoMonth, type: 'run.start' | 'run.end'): EventLine[] {
  const lines: EventLine[] = [];
  for (const stream of month.logGroups) {
    for (const event of stream.events) {
      if (!event.message.includes(`"type":"${type}"`)) continue;
      const parsed = jsonOf(event.message, stream.format);
      if (!parsed) throw new Error(`${stream.logGroup}: a ${type} line that is not JSON: ${event.message.slice(0, 120)}`);
      lines.push({ stream, timestamp: event.timestamp, prefixTime: parsed.prefixTime, requestId: parsed.requestId, body: parsed.body as Record<string, unknown> });
    }
  }
  return lines;
}

export interface DemoRun {
  readonly job: string;
  readonly run_id: string;
  readonly start: number;
  readonly end: number;
  readonly exit_code: number;
  readonly duration_ms: number;
  readonly output_bytes: number;
  readonly output_head: string;
  readonly output_tail: string;
}

/** The runs of one job, in start order, from their `run.end` lines. */
export function runsOf(month: DemoMonth, job: string): DemoRun[] {
  return eventLines(month, 'run.end')
    .filter((l) => l.body.job === job)
    .map((l) => {
      const b = l.body as Record<string, never>;
      const end = Date.parse(b.ts);
      return { job, run_id: b.run_id, start: end - b.duration_ms, end, exit_code: b.exit_code, duration_ms: b.duration_ms, output_bytes: b.output_bytes, output_head: b.output_head, output_tail: b.output_tail };
    })
    .sort((a, b) => a.start - b.start);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** UTC scheduled time a run id names: `nightly-backup-202610030030` → 2026-10-03T00:30Z. */
export function scheduledOf(runId: string): number {
  const m = /-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(runId);
  if (!m) throw new Error(`not a demo run id: ${runId}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
}
