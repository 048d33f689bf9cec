import { describeIssues, eventIssueMessage } from '../event-issues.ts';
import { type AuditEvent, type EventBody, type InstrumentedType, validateEvent } from '../events.ts';
import { TIME_LIMIT_MS } from '../parse-time.ts';
import { MAX_DURATION_MS } from '../quantity-limits.ts';
import { objectAfterPrefixBraces } from './prefix-braces.ts';
import type { LineParser, ParseOutcome } from './types.ts';

/**
 * OpenTelemetry GenAI spans, as OTLP/JSON (one `ExportTraceServiceRequest` per line, as the
 * collector's file exporter writes it: `{"resourceSpans":[{"resource":…,"scopeSpans":[{"spans":[…]}]}]}`),
 * mapped onto the contract's agent events, so an instrumented agent needs no second integration:
 *
 * | span (`gen_ai.operation.name`)                        | events |
 * |-------------------------------------------------------|--------|
 * | `invoke_agent`                                        | `agent.start` at the span's start, `agent.end` at its end; `run_id` = span id, `agent` = `gen_ai.agent.name`, parent = the nearest `invoke_agent` ancestor |
 * | `execute_tool`                                        | `agent.action` (`tool_call`, name = `gen_ai.tool.name`) and, with `gen_ai.tool.call.arguments`, a `tool.call` (its `agent` and `run_id` those of its agent span when the line holds it; outside any agent span: the `tool.call` alone, without a run) |
 * | `chat`, `text_completion`, `generate_content`         | `agent.action` (`llm_call`, name = the model) with `gen_ai.usage.input_tokens`/`output_tokens` (else the older `prompt_tokens`/`completion_tokens`) |
 * | `embeddings`                                          | `agent.action` (`embeddings`) |
 *
 * Spans of one trace may come in one line or many. An ancestor in the same line is followed up
 * to the nearest agent span; when the chain leaves the line, the first span outside it is taken
 * as the parent and marked `parent_tentative`: the run counts as a root unless that span turns out
 * to be an agent run, or linked to one (see `agent-tree.ts`). When that span is no agent span (a
 * framework's step or chain span, or a tool span: a tool may make LLM calls, or run a sub-agent,
 * exported before the tool span), the line that holds it links it to its own nearest agent
 * ancestor: an `agent.start` marked `pass_through`, which starts nothing; the actions counted
 * under the span's id are folded into that agent's run when its tree is built, and the runs
 * started under it are that run's sub-agents (`passThroughLinks`). An LLM or tool call is counted
 * under its parent span (its agent span, a linked step or tool span, or a span outside the line),
 * however the trace's spans were grouped into lines, so a span re-sent in another grouping counts
 * once. Tokens are taken from inference spans only, never
 * from agent spans (which may repeat their children's totals).
 */

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: unknown;
  kvlistValue?: unknown;
};

/** A span as the export gives it: any field may be of any type (checked as it is read). */
interface OtlpSpan {
  traceId?: unknown;
  spanId?: unknown;
  parentSpanId?: unknown;
  name?: unknown;
  startTimeUnixNano?: unknown;
  endTimeUnixNano?: unknown;
  attributes?: unknown;
  status?: unknown;
}

interface Span {
  readonly id: string;
  readonly parent?: string;
  readonly traceId?: string;
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly attrs: ReadonlyMap<string, unknown>;
  readonly resource: ReadonlyMap<string, unknown>;
  readonly error: boolean;
}

/** A rejection names this many broken spans, and counts the rest. */
const MAX_NAMED_FAULTS = 5;

const INFERENCE = new Set(['chat', 'text_completion', 'generate_content']);
/** Model calls: nothing under one is an agent's action. */
const CALLS = new Set(['embeddings', ...INFERENCE]);
const KNOWN_OPERATIONS = new Set(['invoke_agent', 'execute_tool', ...CALLS]);

/** A part of the export not of the shape OTLP/JSON gives it, at a path (`resourceSpans[0].scopeSpans`). */
class OtlpShapeError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'OtlpShapeError';
  }
}

/** Attribute values nested deeper than this (lists of lists…) are refused: read recursively, they could exhaust the stack. */
const MAX_VALUE_DEPTH = 32;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A list at `path`: absent (proto3 JSON leaves an empty list out) is empty; anything else but an array is a fault. */
function listAt(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpShapeError(path, 'not a list');
  return value;
}

function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw new OtlpShapeError(path, 'not an object');
  return value;
}

function valueOf(v: unknown, path: string, depth = 0): unknown {
  if (!isObject(v)) return undefined;
  const any = v as AnyValue;
  if (any.stringValue !== undefined) return any.stringValue;
  if (any.intValue !== undefined) return Number(any.intValue);
  if (any.doubleValue !== undefined) return any.doubleValue;
  if (any.boolValue !== undefined) return any.boolValue;
  if (any.arrayValue !== undefined || any.kvlistValue !== undefined) {
    // Named by the attribute's value (`…attributes[2].value`), not the path down the levels.
    if (depth >= MAX_VALUE_DEPTH) throw new OtlpShapeError(path.slice(0, path.indexOf('.value') + '.value'.length), `nested over ${MAX_VALUE_DEPTH} levels`);
  }
  if (any.arrayValue !== undefined) {
    const values = listAt(objectAt(any.arrayValue, `${path}.arrayValue`).values, `${path}.arrayValue.values`);
    return values.map((item, i) => valueOf(item, `${path}.arrayValue.values[${i}]`, depth + 1));
  }
  if (any.kvlistValue !== undefined) return attributesAt(objectAt(any.kvlistValue, `${path}.kvlistValue`).values, `${path}.kvlistValue.values`, depth + 1, {});
  return undefined;
}

/** Key-value pairs (`attributes`, a `kvlistValue`'s `values`) read into `into` (a Map or a plain object). */
function attributesAt<T extends Map<string, unknown> | Record<string, unknown>>(list: unknown, path: string, depth: number, into: T): T {
  for (const [i, a] of listAt(list, path).entries()) {
    const pair = objectAt(a, `${path}[${i}]`);
    if (typeof pair.key !== 'string') continue;
    const value = valueOf(pair.value, `${path}[${i}].value`, depth);
    if (into instanceof Map) into.set(pair.key, value);
    else Object.defineProperty(into, pair.key, { value, enumerable: true, writable: true, configurable: true });
  }
  return into;
}

function attributes(list: unknown, path: string): Map<string, unknown> {
  return attributesAt(list, path, 0, new Map<string, unknown>());
}

/** OTLP/JSON times are nanoseconds since the epoch, as a string (int64) or a number: epoch ms, whatever its range. */
function nanosAsMs(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return typeof value === 'number' ? Math.floor(value / 1e6) : Number(BigInt(value) / 1_000_000n);
  } catch {
    return undefined;
  }
}

/** A span time as epoch ms: undefined unless it lies after 1970 and before the year 10000 (`TIME_LIMIT_MS`). */
function nanosToMs(value: unknown): number | undefined {
  const ms = nanosAsMs(value);
  return ms !== undefined && ms > 0 && ms < TIME_LIMIT_MS ? ms : undefined;
}

/** Why a span time `nanosToMs` refuses is unusable. */
function nanosFault(value: unknown): string {
  const ms = nanosAsMs(value);
  return ms !== undefined && ms >= TIME_LIMIT_MS ? 'after the year 9999: not a time in nanoseconds since the epoch' : 'not a time in nanoseconds since the epoch';
}

function str(map: ReadonlyMap<string, unknown>, key: string): string | undefined {
  const v = map.get(key);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(map: ReadonlyMap<string, unknown>, key: string): number | undefined {
  const v = map.get(key);
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

function isError(status: { code?: unknown } | undefined): boolean {
  return status?.code === 2 || status?.code === 'STATUS_CODE_ERROR';
}

/** Why a span's times are unusable (`startTimeUnixNano: missing`), or undefined when they are fine. */
function timesFault(span: OtlpSpan, start: number | undefined): string | undefined {
  if (span.startTimeUnixNano === undefined) return 'startTimeUnixNano: missing';
  if (start === undefined) return `startTimeUnixNano: ${nanosFault(span.startTimeUnixNano)}`;
  if (span.endTimeUnixNano === undefined) return undefined;
  const end = nanosToMs(span.endTimeUnixNano);
  if (end === undefined) return `endTimeUnixNano: ${nanosFault(span.endTimeUnixNano)}`;
  // Its actions' duration_ms, bounded as an instrumented line's is.
  if (end - start > MAX_DURATION_MS) return 'endTimeUnixNano: more than 366 days after startTimeUnixNano';
  return undefined;
}

/** A span id as a rejection names it: cut to 64 characters. */
function spanName(id: string): string {
  return id.length > 64 ? `${id.slice(0, 64)}…` : id;
}

/**
 * The line's spans, and the faults found reading them: a part of the export not of OTLP/JSON's
 * shape (`resourceSpans[0].scopeSpans[0].spans[1].attributes: not a list`: that part is left out,
 * whatever spans it held), and GenAI spans without a usable id or times (left out; a span of no
 * GenAI operation with such a fault is left out silently: it is not ours).
 */
function spansOf(raw: { resourceSpans?: unknown }): { spans: Span[]; faults: string[] } {
  const out: Span[] = [];
  const faults: string[] = [];
  const reading = (read: () => void) => {
    try {
      read();
    } catch (error) {
      if (!(error instanceof OtlpShapeError)) throw error;
      faults.push(error.message);
    }
  };
  for (const [r, item] of listAt(raw.resourceSpans, 'resourceSpans').entries()) {
    reading(() => {
      const rsPath = `resourceSpans[${r}]`;
      const rs = objectAt(item, rsPath);
      const resource = rs.resource === undefined ? new Map<string, unknown>() : attributes(objectAt(rs.resource, `${rsPath}.resource`).attributes, `${rsPath}.resource.attributes`);
      for (const [c, scope] of listAt(rs.scopeSpans, `${rsPath}.scopeSpans`).entries()) {
        reading(() => {
          const ssPath = `${rsPath}.scopeSpans[${c}]`;
          for (const [i, raw] of listAt(objectAt(scope, ssPath).spans, `${ssPath}.spans`).entries()) {
            reading(() => {
              const span = readSpan(raw, `${ssPath}.spans[${i}]`, resource, faults);
              if (span) out.push(span);
            });
          }
        });
      }
    });
  }
  return { spans: out, faults };
}

/** One span; undefined, with a fault when it is a GenAI span, when its id or times are unusable. */
function readSpan(raw: unknown, path: string, resource: ReadonlyMap<string, unknown>, faults: string[]): Span | undefined {
  const span = objectAt(raw, path) as OtlpSpan;
  const attrs = attributes(span.attributes, `${path}.attributes`);
  const op = attrs.get('gen_ai.operation.name');
  const genAi = KNOWN_OPERATIONS.has(String(op));
  if (typeof span.spanId !== 'string' || span.spanId === '') {
    if (genAi) faults.push(`${path} (${String(op)}): spanId: ${span.spanId === undefined || span.spanId === '' ? 'missing' : 'not a string'}`);
    return undefined;
  }
  const start = nanosToMs(span.startTimeUnixNano);
  const end = nanosToMs(span.endTimeUnixNano) ?? start;
  const fault = timesFault(span, start) ?? (span.parentSpanId !== undefined && typeof span.parentSpanId !== 'string' ? 'parentSpanId: not a string' : undefined);
  if (fault !== undefined || start === undefined || end === undefined) {
    if (fault !== undefined && genAi) faults.push(`span ${spanName(span.spanId)} (${String(op)}): ${fault}`);
    return undefined;
  }
  return {
    id: span.spanId,
    parent: typeof span.parentSpanId === 'string' && span.parentSpanId !== '' ? span.parentSpanId : undefined,
    traceId: typeof span.traceId === 'string' ? span.traceId : undefined,
    name: typeof span.name === 'string' ? span.name : '',
    start,
    end,
    attrs,
    resource,
    error: isError(isObject(span.status) ? span.status : undefined),
  };
}

/** The nearest `invoke_agent` ancestor: in the line, or the first ancestor outside it (a guess). */
function agentAncestor(span: Span, byId: ReadonlyMap<string, Span>): { id: string; tentative: boolean } | undefined {
  let parentId = span.parent;
  for (let hops = 0; parentId !== undefined && hops < 64; hops++) {
    const parent = byId.get(parentId);
    if (!parent) return { id: parentId, tentative: true };
    if (parent.attrs.get('gen_ai.operation.name') === 'invoke_agent') return { id: parent.id, tentative: false };
    parentId = parent.parent;
  }
  return undefined;
}

/**
 * The run an LLM or tool call of an agent is counted in: its parent span, whether that is its agent
 * span, a pass-through span linked from this line, or a span outside the line (tentatively), so
 * that a span is counted in the same run however the trace's spans were grouped into lines (a
 * redelivery in another grouping is then recognised by that run). A call whose parent is neither
 * (an LLM call's child, a span not linked) keeps its nearest agent ancestor (`agentAncestor`).
 */
function ownerOf(span: Span, ancestor: { id: string; tentative: boolean }, linked: ReadonlySet<string>): { id: string; tentative: boolean } {
  return span.parent !== undefined && linked.has(span.parent) ? { id: span.parent, tentative: false } : ancestor;
}

/**
 * The links of the line's pass-through spans (a framework's step, chain or workflow span: no GenAI
 * operation of its own; or a tool span, under which a tool's own LLM calls are) to their nearest
 * `invoke_agent` ancestor (or, when the chain leaves the line, to the first span outside it,
 * tentatively). An LLM or tool call whose parent chain leaves its line at such a span is counted in
 * a run named after it; the link, from the line that holds the span, tells the aggregate which run
 * that run's actions belong to (`pass_through`: no start, no end, never a run of its own). Only
 * spans of a trace with GenAI spans in the line, and not under an LLM or embeddings call (an HTTP
 * client span under a chat span holds no agent's actions).
 */
function passThroughLinks(spans: readonly Span[], genAi: readonly Span[], byId: ReadonlyMap<string, Span>): { span: Span; parent: { id: string; tentative: boolean } }[] {
  const traces = new Set(genAi.map((s) => s.traceId ?? ''));
  const links: { span: Span; parent: { id: string; tentative: boolean } }[] = [];
  for (const span of spans) {
    if (span.parent === undefined || !traces.has(span.traceId ?? '')) continue;
    const op = String(span.attrs.get('gen_ai.operation.name'));
    if (op === 'invoke_agent' || CALLS.has(op)) continue;
    if (underAction(span, byId)) continue;
    const parent = agentAncestor(span, byId);
    if (parent) links.push({ span, parent });
  }
  return links.sort((a, b) => a.span.start - b.span.start || a.span.id.localeCompare(b.span.id));
}

/**
 * Whether a span's chain in the line meets an LLM or embeddings span before an agent span. A tool
 * span is passed through: a tool may make LLM calls of its own (a summarise tool), which are its
 * agent's actions.
 */
function underAction(span: Span, byId: ReadonlyMap<string, Span>): boolean {
  let parentId = span.parent;
  for (let hops = 0; parentId !== undefined && hops < 64; hops++) {
    const parent = byId.get(parentId);
    if (!parent) return false;
    const op = String(parent.attrs.get('gen_ai.operation.name'));
    if (op === 'invoke_agent') return false;
    if (CALLS.has(op)) return true;
    parentId = parent.parent;
  }
  return false;
}

function agentNameOf(span: Span): string {
  return (
    str(span.attrs, 'gen_ai.agent.name') ??
    str(span.attrs, 'gen_ai.agent.id') ??
    (span.name.startsWith('invoke_agent ') ? span.name.slice('invoke_agent '.length).trim() || undefined : undefined) ??
    str(span.resource, 'service.name') ??
    'unknown-agent'
  );
}

function parseArguments(value: unknown): Record<string, unknown> | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

export const otelGenAiParser: LineParser = {
  format: 'otel',
  parse(line, ctx) {
    const start = line.indexOf('{');
    if (start < 0 || !line.includes('"resourceSpans"')) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(line.slice(start));
    } catch (error) {
      // A prefix may hold braces of its own (log4j's MDC, `{requestId=abc}`): try from later ones.
      const later = objectAfterPrefixBraces(line, start, error as Error);
      if ('error' in later) return { kind: 'rejected', reason: `OTLP JSON rejected: not valid JSON (${later.error.message})` };
      raw = later.raw;
    }
    if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { resourceSpans?: unknown }).resourceSpans)) return undefined;
    const { spans, faults } = spansOf(raw as { resourceSpans?: unknown });
    const genAi = spans.filter((s) => KNOWN_OPERATIONS.has(String(s.attrs.get('gen_ai.operation.name'))));
    if (genAi.length === 0 && faults.length === 0) return undefined;
    const byId = new Map(spans.map((s) => [s.id, s]));
    const agentNames = new Map(genAi.filter((s) => s.attrs.get('gen_ai.operation.name') === 'invoke_agent').map((s) => [s.id, agentNameOf(s)]));

    const events: AuditEvent[] = [];
    const rejected: string[] = [...faults];
    const emit = (type: InstrumentedType, at: number, body: Record<string, unknown>) => {
      const result = validateEvent(type, { type, ...body }, { error: eventIssueMessage });
      if (result.success) events.push({ at, body: result.data as EventBody, source: ctx.source, format: 'otel' });
      else rejected.push(`span ${spanName(String(body.span_id ?? body.run_id))}: ${describeIssues(result.error.issues)}`);
    };

    const links = passThroughLinks(spans, genAi, byId);
    const linked = new Set(links.map((link) => link.span.id));
    for (const link of links) {
      const agent = agentNames.get(link.parent.id) ?? str(link.span.resource, 'service.name') ?? 'unknown-agent';
      const trace = link.span.traceId ? { trace_id: link.span.traceId } : {};
      const tentative = link.parent.tentative ? { parent_tentative: true } : {};
      emit('agent.start', link.span.start, { ts: link.span.start, agent, run_id: link.span.id, parent_run_id: link.parent.id, ...tentative, pass_through: true, ...trace });
    }

    for (const span of [...genAi].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))) {
      const op = String(span.attrs.get('gen_ai.operation.name'));
      const trace = span.traceId ? { trace_id: span.traceId } : {};
      if (op === 'invoke_agent') {
        const agent = agentNames.get(span.id) as string;
        const parent = agentAncestor(span, byId);
        const link = parent ? { parent_run_id: parent.id, ...(parent.tentative ? { parent_tentative: true } : {}) } : {};
        emit('agent.start', span.start, { ts: span.start, agent, run_id: span.id, ...link, ...trace });
        emit('agent.end', span.end, { ts: span.end, agent, run_id: span.id, status: span.error ? 'error' : 'ok', ...link, ...trace });
        continue;
      }
      // An LLM or tool call outside any agent (an app calling tools with no agent framework) is no
      // agent's action; its tool arguments are checked all the same.
      const ancestor = agentAncestor(span, byId);
      const owner = ancestor && ownerOf(span, ancestor, linked);
      const agent = ancestor ? (agentNames.get(ancestor.id) ?? str(span.attrs, 'gen_ai.agent.name') ?? str(span.resource, 'service.name') ?? 'unknown-agent') : undefined;
      // The fields of the owner's action for this span.
      const common = owner ? { ts: span.end, agent, run_id: owner.id, span_id: span.id, duration_ms: Math.max(0, span.end - span.start), ...trace } : undefined;
      if (op === 'execute_tool') {
        const tool = str(span.attrs, 'gen_ai.tool.name') ?? (span.name.startsWith('execute_tool ') ? span.name.slice('execute_tool '.length).trim() : undefined) ?? 'unknown-tool';
        if (common) emit('agent.action', span.end, { ...common, action: 'tool_call', name: tool });
        const args = parseArguments(span.attrs.get('gen_ai.tool.call.arguments'));
        const callId = str(span.attrs, 'gen_ai.tool.call.id');
        // Its agent's run when the line holds its agent span; else (no agent, or one in another line:
        // the run it is counted in is no agent's) none. The span id is the call's identity either way.
        const run = ancestor && !ancestor.tentative ? { agent, run_id: ancestor.id } : {};
        if (args) emit('tool.call', span.start, { ts: span.start, tool, args, ...run, span_id: span.id, ...(callId ? { call_id: callId } : {}) });
        continue;
      }
      if (!common) continue;
      // Older instrumentations name them prompt_tokens and completion_tokens (the deprecated names).
      const tokensIn = num(span.attrs, 'gen_ai.usage.input_tokens') ?? num(span.attrs, 'gen_ai.usage.prompt_tokens');
      const tokensOut = num(span.attrs, 'gen_ai.usage.output_tokens') ?? num(span.attrs, 'gen_ai.usage.completion_tokens');
      const model = str(span.attrs, 'gen_ai.response.model') ?? str(span.attrs, 'gen_ai.request.model');
      emit('agent.action', span.end, {
        ...common,
        action: INFERENCE.has(op) ? 'llm_call' : op,
        ...(model ? { name: model } : {}),
        ...(tokensIn !== undefined ? { tokens_in: Math.round(tokensIn) } : {}),
        ...(tokensOut !== undefined ? { tokens_out: Math.round(tokensOut) } : {}),
      });
    }
    if (rejected.length === 0) return { kind: 'events', events } satisfies ParseOutcome;
    // An agent span gives a start and an end, which fail alike: named once.
    const named = [...new Set(rejected)];
    const shown = named.length > MAX_NAMED_FAULTS ? [...named.slice(0, MAX_NAMED_FAULTS), `and ${named.length - MAX_NAMED_FAULTS} more`] : named;
    const reason = `OTLP GenAI spans rejected: ${shown.join(' | ')}`;
    // The valid spans of a line with a broken one are still read (a batch may hold many traces).
    if (events.length === 0) return { kind: 'rejected', reason };
    return { kind: 'events', events, rejected: `${reason}; the line's other spans gave ${events.length} ${events.length === 1 ? 'event' : 'events'}` };
  },
};
