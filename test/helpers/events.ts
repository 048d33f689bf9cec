import type { AuditEvent, EventBody } from '../../lambdas/core/events.ts';

/** An event as the parser would produce it, for reducer and pipeline tests. */
export function ev(at: string | number, body: EventBody, line = 1): AuditEvent {
  return { at: typeof at === 'number' ? at : Date.parse(at), body, source: { origin: 'test', line }, format: 'json' };
}

/** A run of a job: start and end events, `minutes` long, ending with `end` fields. */
export function run(job: string, runId: string, startIso: string, minutes: number, end: Record<string, unknown> = {}): AuditEvent[] {
  const start = Date.parse(startIso);
  const stop = start + minutes * 60_000;
  return [
    ev(start, { type: 'run.start', job, run_id: runId }),
    ev(stop, { type: 'run.end', job, run_id: runId, exit_code: 0, duration_ms: minutes * 60_000, output_bytes: 7000, ...end } as EventBody),
  ];
}

/**
 * The attempt lines of a route (search-api) answering 10 requests a day through October 2026, 2 of
 * them retried after a timeout: 20% over the month, but no hour or day reaches 20 requests, so only
 * October's month window fires, stamped 2026-11-01T00:00:00Z.
 */
export function octoberMonthWindowLines(): string[] {
  const lines: string[] = [];
  for (let d = 1; d <= 31; d++) {
    for (let k = 0; k < 10; k++) {
      const at = Date.UTC(2026, 9, d, 9, k * 5);
      const attempt = (ms: number, n: number, outcome: string) => JSON.stringify({ ts: new Date(ms).toISOString(), type: 'attempt', route: 'search-api', request_id: `q${d}-${k}`, attempt: n, outcome, latency_ms: 100 });
      lines.push(...(k < 2 ? [attempt(at, 1, 'timeout'), attempt(at + 3000, 2, 'ok')] : [attempt(at, 1, 'ok')]));
    }
  }
  return lines;
}
