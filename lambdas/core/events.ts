import { z } from 'zod';
import { parseTime } from './parse-time.ts';

/**
 * The instrumented events of contract §1a, as zod schemas. Types are inferred from the
 * schemas; unknown extra fields are kept (`z.looseObject`).
 */

const nonEmpty = z.string().min(1, 'must be a non-empty string');
const nonNegative = z.number().finite().nonnegative();

/**
 * `ts` is ISO-8601 or epoch milliseconds; absent means "the log record's time". An ISO time that
 * names no offset is UTC (`parseTime`), never the local time of the machine that reads it.
 */
export const TimestampSchema = z.union([
  z.number().finite().int().positive('must be epoch milliseconds'),
  z.string().refine((s) => !Number.isNaN(parseTime(s)), 'must be an ISO-8601 time such as 2026-10-03T02:31:07Z (UTC when it names no offset), or epoch milliseconds'),
]);

export const BudgetSchema = z.looseObject({
  max_actions: z.number().int().positive().optional(),
  max_cost_usd: nonNegative.optional(),
  scope: z.enum(['task', 'tick']).default('task'),
});

export const RunStartSchema = z.looseObject({
  type: z.literal('run.start'),
  ts: TimestampSchema.optional(),
  job: nonEmpty,
  run_id: nonEmpty,
  host: z.string().optional(),
});

export const RunEndSchema = z.looseObject({
  type: z.literal('run.end'),
  ts: TimestampSchema.optional(),
  job: nonEmpty,
  run_id: nonEmpty,
  exit_code: z.number().int('must be an integer'),
  duration_ms: nonNegative.optional(),
  output_bytes: z.number().int().nonnegative().optional(),
  output_lines: z.number().int().nonnegative().optional(),
  output_head: z.string().optional(),
  output_tail: z.string().optional(),
  host: z.string().optional(),
});

export const AgentStartSchema = z.looseObject({
  type: z.literal('agent.start'),
  ts: TimestampSchema.optional(),
  agent: nonEmpty,
  run_id: nonEmpty,
  parent_run_id: nonEmpty.optional(),
  budget: BudgetSchema.optional(),
});

export const AgentActionSchema = z.looseObject({
  type: z.literal('agent.action'),
  ts: TimestampSchema.optional(),
  agent: nonEmpty,
  run_id: nonEmpty,
  action: nonEmpty,
  name: z.string().optional(),
  tick: z.number().int().nonnegative().optional(),
  cost_usd: nonNegative.optional(),
  tokens_in: z.number().int().nonnegative().optional(),
  tokens_out: z.number().int().nonnegative().optional(),
  duration_ms: nonNegative.optional(),
});

export const AgentEndSchema = z.looseObject({
  type: z.literal('agent.end'),
  ts: TimestampSchema.optional(),
  agent: nonEmpty,
  run_id: nonEmpty,
  status: nonEmpty,
  actions_reported: z.number().int().nonnegative().optional(),
  cost_reported_usd: nonNegative.optional(),
  output_bytes: z.number().int().nonnegative().optional(),
});

export const ToolCallSchema = z.looseObject({
  type: z.literal('tool.call'),
  ts: TimestampSchema.optional(),
  tool: nonEmpty,
  args: z.record(z.string(), z.unknown()),
  agent: z.string().optional(),
  run_id: z.string().optional(),
  call_id: z.string().optional(),
});

export const AttemptSchema = z.looseObject({
  type: z.literal('attempt'),
  ts: TimestampSchema.optional(),
  route: nonEmpty,
  request_id: nonEmpty,
  attempt: z.number().int().positive('must be a 1-based attempt number'),
  outcome: z.enum(['ok', 'error', 'timeout', 'empty', 'invalid']),
  latency_ms: nonNegative,
  status: z.union([z.number(), z.string()]).optional(),
});

export const GuardBypassSchema = z.looseObject({
  type: z.literal('guard.bypass'),
  ts: TimestampSchema.optional(),
  guard: nonEmpty,
  exception_id: z.string().optional(),
  actor: z.string().optional(),
  reason: z.string().optional(),
  job: z.string().optional(),
  agent: z.string().optional(),
  route: z.string().optional(),
});

export const AuditWriteSchema = z.looseObject({
  type: z.literal('audit.write'),
  ts: TimestampSchema.optional(),
  job: nonEmpty,
  run_id: nonEmpty,
  record: z.unknown().optional(),
});

export const INSTRUMENTED_SCHEMAS = {
  'run.start': RunStartSchema,
  'run.end': RunEndSchema,
  'agent.start': AgentStartSchema,
  'agent.action': AgentActionSchema,
  'agent.end': AgentEndSchema,
  'tool.call': ToolCallSchema,
  attempt: AttemptSchema,
  'guard.bypass': GuardBypassSchema,
  'audit.write': AuditWriteSchema,
} as const;

export type InstrumentedType = keyof typeof INSTRUMENTED_SCHEMAS;
export const INSTRUMENTED_TYPES = Object.keys(INSTRUMENTED_SCHEMAS) as InstrumentedType[];

export type RunStart = z.infer<typeof RunStartSchema>;
export type RunEnd = z.infer<typeof RunEndSchema>;
export type AgentStart = z.infer<typeof AgentStartSchema>;
export type AgentAction = z.infer<typeof AgentActionSchema>;
export type AgentEnd = z.infer<typeof AgentEndSchema>;
export type ToolCall = z.infer<typeof ToolCallSchema>;
export type Attempt = z.infer<typeof AttemptSchema>;
export type GuardBypass = z.infer<typeof GuardBypassSchema>;
export type AuditWrite = z.infer<typeof AuditWriteSchema>;

/**
 * Where a line came from: enough to name it in an error message ("file:line") and to give it a
 * stable identity, so that a redelivered CloudWatch batch is recognised.
 */
export interface LineSource {
  /** A file path (CLI) or the log group (CloudWatch). */
  readonly origin: string;
  /** 1-based line number in a file, or the index of the event in a CloudWatch batch. */
  readonly line?: number;
  readonly logStream?: string;
  /** The CloudWatch log event id, when there is one. */
  readonly eventId?: string;
}

/**
 * Events that logs written by systems (contract §1b) produce besides the instrumented ones.
 * `run.failed` marks a failure that does not come with an exit code of the run itself
 * (a systemd failure result, a Lambda timeout); `output.discarded` is cron's
 * "No MTA installed, discarding output".
 */
export interface RunFailedMarker {
  readonly type: 'run.failed';
  readonly job: string;
  readonly run_id?: string;
  readonly reason: string;
  readonly exit_code?: number;
  readonly host?: string;
}

export interface OutputDiscarded {
  readonly type: 'output.discarded';
  readonly job?: string;
  readonly host?: string;
  readonly reason: string;
}

export type EventBody =
  | RunStart
  | RunEnd
  | AgentStart
  | AgentAction
  | AgentEnd
  | ToolCall
  | Attempt
  | GuardBypass
  | AuditWrite
  | RunFailedMarker
  | OutputDiscarded;

/** A parsed event with its resolved time (epoch ms) and where it came from. */
export interface AuditEvent<B extends EventBody = EventBody> {
  /** Epoch milliseconds: the event's own `ts`, else the log record's time. */
  readonly at: number;
  readonly body: B;
  readonly source: LineSource;
  /** The parser that recognised the line (`json`, `cron`, `systemd`, …). */
  readonly format: string;
}

export function resolveTimestamp(ts: string | number | undefined, recordTime: number): number {
  if (ts === undefined) return recordTime;
  return typeof ts === 'number' ? ts : parseTime(ts);
}
