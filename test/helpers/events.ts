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
