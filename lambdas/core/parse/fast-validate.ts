import { identifierFits, idOfNumber, type InstrumentedType } from '../events.ts';
import { isPlainObject } from '../own-property.ts';
import { LEAST_EPOCH_MS, parseTime, TIME_LIMIT_MS } from '../parse-time.ts';
import { MAX_COST_USD, MAX_DURATION_MS, MAX_TOKENS } from '../quantity-limits.ts';
import { routeTemplate } from '../route-template.ts';

/**
 * A fast path in front of the zod schemas of `events.ts`, for the hot loop of ingest: a line that
 * is valid gets exactly the object `validateEvent(type, raw).data` would give (the same keys in
 * the same order: declared keys in schema order, then the unknown ones in input order; defaults
 * filled in; nested objects copied; `null` in an optional field left out), without zod's
 * per-field machinery. Anything it is not sure of — an invalid field, a value of an unusual
 * shape — returns `undefined`, and the caller asks zod, which decides and words the reasons.
 *
 * Keep it in step with `events.ts`: `test/parse/fast-validate.test.ts` checks every schema against
 * this file on generated input.
 */

type Check = (value: unknown) => boolean;
/** Copies a nested value as zod would (an object schema builds a new object); `undefined` when unsure. */
type Copy = (value: unknown) => unknown;

interface Field {
  readonly key: string;
  readonly optional: boolean;
  readonly check: Check;
  readonly copy?: Copy;
}

const UNSURE = undefined;

const isString: Check = (v) => typeof v === 'string';
const nonEmpty: Check = (v) => typeof v === 'string' && v.length >= 1;
/** An identifier (it becomes part of a storage key): bounded as in `events.ts`; a `.length` check first. */
const boundedId: Check = (v) => typeof v === 'string' && identifierFits(v);
/** `numberedId`: an identifier, or a number: a whole one read as its decimal text, any other as unreadable. */
const numberedId: Check = (v) => boundedId(v) || (typeof v === 'number' && Number.isFinite(v));
const decimalText: Copy = idOfNumber;
const identifier: Check = (v) => typeof v === 'string' && v.length >= 1 && identifierFits(v);
/** `trimmedIdentifier`: the identifier without the spaces around it; one left blank is unsure (zod words why). */
const trimmed: Copy = (v) => {
  const text = (v as string).trim();
  return text === '' ? UNSURE : text;
};
/**
 * `routeName`: a request path as its template; one whose template is empty (a URL of a scheme alone,
 * `https://`) or too long to be a name is unsure (zod words why, or, for a bypass's, accepts it).
 */
const templated: Copy = (v) => {
  const route = routeTemplate(v as string);
  return route === v || (route !== '' && identifierFits(route)) ? route : UNSURE;
};
/** `z.number()`: finite; `.finite()` adds nothing in zod 4. */
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const nonNegative: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
/** `.int()` in zod 4 is a safe integer. */
const isInt: Check = (v) => Number.isSafeInteger(v);
const nonNegativeInt: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const positiveInt: Check = (v) => Number.isSafeInteger(v) && (v as number) > 0;
/** Quantities bounded as in `events.ts`. */
const dollars: Check = (v) => typeof v === 'number' && v >= 0 && v <= MAX_COST_USD;
const tokens: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_TOKENS;
const milliseconds: Check = (v) => typeof v === 'number' && v >= 0 && v <= MAX_DURATION_MS;
const timestamp: Check = (v) => (typeof v === 'number' ? v >= LEAST_EPOCH_MS && v < TIME_LIMIT_MS : typeof v === 'string' && !Number.isNaN(parseTime(v)));
/** `TimestampSchema`'s transform: epoch milliseconds with a fraction are cut to the whole millisecond. */
const wholeMs: Copy = (v) => (typeof v === 'number' ? Math.floor(v) : v);
const numberOrString: Check = (v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
const anything: Check = () => true;
/** Any object (or array): a budget's value, which its copy checks; not `null`, which is absent. */
const isObject: Check = (v) => typeof v === 'object' && v !== null;
const oneOf = (values: readonly string[]): Check => {
  const set = new Set(values);
  return (v) => typeof v === 'string' && set.has(v);
};

const required = (key: string, check: Check, copy?: Copy): Field => ({ key, optional: false, check, copy });
const optional = (key: string, check: Check, copy?: Copy): Field => ({ key, optional: true, check, copy });

/** `ToolArgs`: a new object with the same own keys and values, `__proto__` kept as an own key (a spread defines it, sets no prototype). */
const copyRecord: Copy = (v) => {
  if (!isPlainObject(v)) return UNSURE;
  for (const key of Object.getOwnPropertySymbols(v)) if (Object.prototype.propertyIsEnumerable.call(v, key)) return UNSURE;
  return { ...v };
};

const BUDGET_FIELDS: readonly Field[] = [optional('max_actions', positiveInt), optional('max_cost_usd', nonNegative)];
const BUDGET_KEYS = new Set(['max_actions', 'max_cost_usd', 'scope']);
const budgetScope = oneOf(['task', 'tick']);

/** `BudgetSchema`: a strict object whose `scope` defaults to `task`; `null` in a field is absent. */
const copyBudget: Copy = (v) => {
  if (!isPlainObject(v)) return UNSURE;
  const out: Record<string, unknown> = {};
  for (const field of BUDGET_FIELDS) {
    if (!(field.key in v) || v[field.key] === null) continue;
    if (!field.check(v[field.key])) return UNSURE;
    out[field.key] = v[field.key];
  }
  if ('scope' in v && v.scope !== null) {
    if (!budgetScope(v.scope)) return UNSURE;
    out.scope = v.scope;
  } else {
    out.scope = 'task';
  }
  // Any other key (a misspelt `max_action`) rejects the line: zod words why.
  for (const key in v) if (!BUDGET_KEYS.has(key)) return UNSURE;
  return out;
};

function copyUnknownKeys(raw: Record<string, unknown>, declared: ReadonlySet<string>, out: Record<string, unknown>): Record<string, unknown> | undefined {
  for (const key in raw) {
    if (declared.has(key)) continue;
    // zod leaves it out, since assigning it would replace the result's prototype.
    if (key === '__proto__') continue;
    out[key] = raw[key];
  }
  return out;
}

interface Shape {
  readonly fields: readonly Field[];
  readonly keys: ReadonlySet<string>;
}

function shape(type: string, ...fields: Field[]): Shape {
  const all = [required('type', (v) => v === type), optional('ts', timestamp, wholeMs), ...fields];
  return { fields: all, keys: new Set(all.map((f) => f.key)) };
}

const OUTCOMES = oneOf(['ok', 'error', 'timeout', 'empty', 'invalid']);

const SHAPES: Record<InstrumentedType, Shape> = {
  'run.start': shape('run.start', required('job', identifier), required('run_id', identifier), optional('host', boundedId)),
  'run.end': shape(
    'run.end',
    required('job', identifier),
    required('run_id', identifier),
    required('exit_code', isInt),
    optional('duration_ms', milliseconds),
    optional('output_bytes', nonNegativeInt),
    optional('output_lines', nonNegativeInt),
    optional('output_head', isString),
    optional('output_tail', isString),
    optional('host', boundedId),
  ),
  'agent.start': shape('agent.start', required('agent', identifier), required('run_id', identifier), optional('parent_run_id', identifier), optional('budget', isObject, copyBudget)),
  'agent.action': shape(
    'agent.action',
    required('agent', identifier),
    required('run_id', identifier),
    required('action', nonEmpty),
    optional('name', isString),
    optional('tick', nonNegativeInt),
    optional('cost_usd', dollars),
    optional('tokens_in', tokens),
    optional('tokens_out', tokens),
    optional('duration_ms', milliseconds),
  ),
  'agent.end': shape(
    'agent.end',
    required('agent', identifier),
    required('run_id', identifier),
    required('status', nonEmpty),
    optional('actions_reported', nonNegativeInt),
    optional('cost_reported_usd', dollars),
    optional('output_bytes', nonNegativeInt),
  ),
  'tool.call': shape('tool.call', required('tool', identifier), required('args', anything, copyRecord), optional('agent', boundedId), optional('run_id', boundedId), optional('call_id', boundedId)),
  attempt: shape(
    'attempt',
    required('route', identifier, templated),
    required('request_id', identifier),
    required('attempt', positiveInt),
    required('outcome', OUTCOMES),
    required('latency_ms', milliseconds),
    optional('status', numberOrString),
  ),
  'guard.bypass': shape(
    'guard.bypass',
    required('guard', identifier, trimmed),
    optional('exception_id', numberedId, decimalText),
    optional('actor', isString),
    optional('reason', isString),
    optional('job', boundedId),
    optional('agent', boundedId),
    optional('route', boundedId, templated),
  ),
  'audit.write': shape('audit.write', required('job', identifier), required('run_id', identifier), optional('record', anything)),
};

/**
 * What zod's schema for `type` would return for `raw` when it is valid; `undefined` when it is not,
 * or when this fast path cannot tell (then zod decides).
 */
export function fastValidate(type: InstrumentedType, raw: Record<string, unknown>): Record<string, unknown> | undefined {
  const { fields, keys } = SHAPES[type];
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = raw[field.key];
    // One lookup of the key: JSON gives no `undefined` value, so only then is it asked whether the key is there.
    if (value === undefined && !(field.key in raw)) {
      if (field.optional) continue;
      return UNSURE;
    }
    if (!field.check(value)) {
      // `null` in an optional field is absent, as `validateEvent` reads it (a field taking null passed its check).
      if (value === null && field.optional) continue;
      return UNSURE;
    }
    if (field.copy) {
      const copied = field.copy(value);
      if (copied === UNSURE) return UNSURE;
      out[field.key] = copied;
    } else {
      out[field.key] = value;
    }
  }
  return copyUnknownKeys(raw, keys, out);
}
