import type { z } from 'zod';

/**
 * Why an instrumented line's object fails its schema (`events.ts`), in the terms of the contract's
 * users, who write JSON: `run_id: missing`, `tokens_in: expected a whole number, got "12"`, rather
 * than zod's own `Invalid input: expected string, received undefined`. A message the schema gives
 * (`must be a non-empty string`) wins over these.
 */

const KIND: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  object: 'an object',
  record: 'an object',
  boolean: 'true or false',
  array: 'an array',
};

/** A JSON value as a rejection quotes it, briefly (a reason is redacted as a whole where it is made). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value);
  return String(value);
}

const kindOf = (expected: string) => KIND[expected] ?? expected;

/** Whether a bound is that of the safe integers, which `.int()` holds a number to. */
const isSafeIntegerBound = (value: number | bigint) => Math.abs(Number(value)) === Number.MAX_SAFE_INTEGER;
const SAFE_INTEGERS = `a whole number from ${-Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`;

/** The per-parse error map for the instrumented schemas: `schema.safeParse(raw, { error: eventIssueMessage })`. */
export function eventIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const got = `, got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'missing' : `expected ${kindOf(issue.expected)}${got}`;
    case 'too_small':
      if (issue.origin === 'string') return `must be at least ${Number(issue.minimum)} characters`;
      if (isSafeIntegerBound(issue.minimum)) return `expected ${SAFE_INTEGERS}${got}`;
      return issue.inclusive ? `expected ${Number(issue.minimum)} or more${got}` : `expected more than ${Number(issue.minimum)}${got}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${Number(issue.maximum)} characters`;
      if (isSafeIntegerBound(issue.maximum)) return `expected ${SAFE_INTEGERS}${got}`;
      return issue.inclusive ? `expected ${Number(issue.maximum)} or less${got}` : `expected less than ${Number(issue.maximum)}${got}`;
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`}${got}`;
    case 'invalid_union': {
      // Each option refused the value by its type: name the types it would take.
      const kinds = issue.errors.map((option) => (option.length === 1 && option[0].code === 'invalid_type' && option[0].path.length === 0 ? option[0].expected : undefined));
      if (kinds.length > 0 && kinds.every((k) => k !== undefined)) return `expected ${[...new Set(kinds.map((k) => kindOf(k!)))].join(' or ')}${got}`;
      return `not one of the accepted forms${got}`;
    }
    default:
      return undefined;
  }
}

/**
 * The issues of one failed parse as one reason: `field: why; field: why`, one per field. A field
 * that broke two checks (a number past the safe integers and past its own bound) is named once,
 * with the later, more particular one: its own bound, not `.int()`'s.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const byField = new Map<string, string>();
  for (const issue of issues) byField.set(issue.path.join('.') || '(event)', issue.message);
  return [...byField].map(([field, message]) => `${field}: ${message}`).join('; ');
}
