import { z } from 'zod';
import { SeveritySchema } from '../config.ts';
import { isoTime, type Severity } from '../core/findings.ts';
import { unitPrefix } from '../core/output-capture.ts';
import { SEVERITIES } from '../core/report/model.ts';
import type { StoredFinding } from '../ports.ts';
import type { AuditReadView } from './audit-view.ts';
import { SUBJECT_KINDS } from './subjects.ts';

/**
 * One MCP tool: its name, what it is for, its input and output schemas (zod shapes, which the SDK
 * validates and publishes as JSON Schema) and `run`, which sees the audit through the read-only
 * view only. One file per tool, registered in `tools/index.ts`.
 */
export interface AuditTool<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: I;
  readonly outputSchema: O;
  run(view: AuditReadView, args: z.infer<z.ZodObject<I>>): Promise<ToolAnswer<z.infer<z.ZodObject<O>>>>;
}

export interface ToolAnswer<T> {
  /** The structured result (`structuredContent`). */
  readonly result: T;
  /** The text a model reads; the result as JSON when absent. */
  readonly text?: string;
}

export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(tool: AuditTool<I, O>): AuditTool<I, O> {
  return tool;
}

export const KindSchema = z.enum(SUBJECT_KINDS);

/** An owner to narrow an answer to, as `report --owner` slices the report (`ownerSlice`). */
export const OwnerFilterSchema = z.string().min(1).optional().describe('only subjects whose owner, as the config names it (the whole owner string; a guard: an owner of one of its exceptions), is this; none for subjects with no owner');
/** Findings name tools too (`tool-arg-invalid`). */
export const FindingKindSchema = z.enum(['job', 'agent', 'tool', 'route', 'guard']);
export const StatusSchema = z.enum(['OK', 'FINDINGS', 'UNKNOWN', 'RETIRED']);
export { SeveritySchema };

export const ScheduleSchema = z.object({
  source: z.enum(['configured', 'inferred']),
  cron: z.string().optional(),
  timezone: z.string(),
  period: z.string().optional(),
  period_ms: z.number().optional(),
});

/** The most items a list tool returns in one answer, whatever `limit` asks: enough to read, not to flood a context window. */
export const MAX_LIMIT = 500;

/** A list tool's `limit` input: at most this many items (1 to `MAX_LIMIT`), `what` saying of what and in which order. */
export function limitSchema(defaultLimit: number, what: string) {
  return z.number().int().min(1).max(MAX_LIMIT).default(defaultLimit).describe(`at most this many ${what}`);
}

export const FindingSummarySchema = z.object({
  id: z.string().describe('the finding id: give it to explain_finding'),
  ts: z.string(),
  detector: z.string(),
  subject: z.string(),
  subject_kind: z.string(),
  severity: SeveritySchema,
  message: z.string(),
  run_id: z.string().optional(),
  expected_at: z.string().optional(),
});

export type FindingSummary = z.infer<typeof FindingSummarySchema>;

export function findingSummary(f: StoredFinding): FindingSummary {
  return {
    id: f.key,
    ts: f.ts,
    detector: f.detector,
    subject: f.subject,
    subject_kind: f.subject_kind,
    severity: f.severity,
    message: f.message,
    ...(f.run_id !== undefined ? { run_id: f.run_id } : {}),
    ...(f.expected_at !== undefined ? { expected_at: f.expected_at } : {}),
  };
}

const MAX_EVIDENCE_TEXT = 240;
/** The most items of a list in a finding's evidence kept (each of a tool-arg-invalid finding's errors); a last item counts the rest. */
export const MAX_EVIDENCE_ITEMS = 20;

/**
 * A finding's evidence with long texts (output excerpts) cut short, at any depth (the errors of a
 * tool-arg-invalid finding, lists of objects), and long lists cut to their first
 * MAX_EVIDENCE_ITEMS and a note of how many were left out: enough to read, not to flood a context
 * window. The cut never splits an emoji (a surrogate pair) in two.
 */
export function compactEvidence(evidence: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return compactObject(evidence ?? {});
}

function compactObject(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactValue(v)]));
}

function compactValue(v: unknown): unknown {
  if (typeof v === 'string') return v.length > MAX_EVIDENCE_TEXT ? `${unitPrefix(v, MAX_EVIDENCE_TEXT)}… (${v.length} characters)` : v;
  if (Array.isArray(v)) {
    const kept = v.slice(0, MAX_EVIDENCE_ITEMS).map(compactValue);
    return v.length > MAX_EVIDENCE_ITEMS ? [...kept, `… (${v.length - MAX_EVIDENCE_ITEMS} more of ${v.length} left out)`] : kept;
  }
  if (v !== null && typeof v === 'object') return compactObject(v as Record<string, unknown>);
  return v;
}

/** Whether a severity is at least `min` (critical > high > medium > low). */
export function atLeast(severity: Severity, min: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(min);
}

export function isoOrNull(epochMs: number | undefined): string | null {
  return epochMs === undefined || !Number.isFinite(epochMs) ? null : isoTime(epochMs);
}
