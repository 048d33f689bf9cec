/**
 * A tool call's arguments as the kit judges and writes them. The contract's `tool.call` carries
 * `args` as an object (§1a): an OpenAI tool call gives them as JSON text (`function.arguments`),
 * which is read as the object it encodes, as the OpenTelemetry parser reads
 * `gen_ai.tool.call.arguments`; anything else that is not an object of named arguments is refused
 * with a `TypeError`, since the pipeline would reject the line (and walking a string's characters
 * judges nothing).
 */

import { MAX_LINE_BYTES } from '../core/parse/line-limit.ts';
import { utf8Prefix } from '../core/output-capture.ts';
import { isPlainObject } from '../core/own-property.ts';
import { checkToolArgs } from '../core/tool-args.ts';

/** A value as a message names it: `NaN`, `-0.2`, `the string "0.05"`, `null`, `a list`, `a Map`. */
export function described(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value)}`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value !== 'object') return typeof value;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}` : 'an object';
}

/**
 * `args` as an object of named arguments: JSON text parsed, an object as it is. Throws a
 * `TypeError` for anything else, its message between `where` and `after`.
 */
export function argumentsObject(where: string, args: unknown, after = ''): Record<string, unknown> {
  const refuse = (got: string) => new TypeError(`${where} args must be an object of named arguments ({"user_id": …}) or the JSON text of one; got ${got}${after}`);
  if (typeof args === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch (error) {
      throw refuse(`text that is not JSON (${(error as Error).message})`);
    }
    if (!isPlainObject(parsed)) throw refuse(`JSON text of ${typeof parsed === 'number' ? `a number (${parsed})` : described(parsed)}`);
    return parsed;
  }
  if (!isPlainObject(args)) throw refuse(described(args));
  return args;
}

/**
 * `args` as a `tool.call` line carries them and the pipeline reads them: the object of
 * `argumentsObject` through JSON and back (a Date becomes its ISO text, NaN `null`, `undefined`
 * goes). Throws a `TypeError` when they cannot be written as JSON (a BigInt, a circular reference).
 */
export function argumentsAsWritten(where: string, args: unknown, after = ''): Record<string, unknown> {
  const object = argumentsObject(where, args, after);
  let json: string;
  try {
    json = JSON.stringify(object);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new TypeError(`${where} args cannot be written as JSON (${reason}): pass plain data, without BigInt values or circular references${after}`);
  }
  const written: unknown = JSON.parse(json);
  if (!isPlainObject(written)) throw new TypeError(`${where} args must be an object of named arguments ({"user_id": …}); their toJSON() gave ${described(written)}${after}`);
  return written;
}

/** How long a text may stay in a line that is too long, from the first try to the last: 2 KiB as `exec` keeps of output, then less. */
const CUT_BYTES = [2048, 512, 128] as const;

/** What the detector, inferring a type from the argument's name, says of `value`: its errors and whether each is a placeholder. */
function inferredVerdict(name: string, value: string, now: number): string {
  return JSON.stringify(checkToolArgs({ [name]: value }, undefined, { now }).map((e) => [e.expected, e.placeholder]));
}

/**
 * `args` (as written, plain JSON data) with every text longer than `limit` bytes of UTF-8 cut to
 * its first `limit` bytes and `… [N more bytes cut]`. With `keepVerdicts`, a text whose verdict
 * by its name's type would change (a long but valid email address) is kept whole.
 */
function cutTexts(value: unknown, limit: number, keepVerdicts: boolean, now: number, name?: string): unknown {
  if (typeof value === 'string') {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes <= limit) return value;
    const head = utf8Prefix(value, limit);
    const cut = `${head}… [${bytes - Buffer.byteLength(head, 'utf8')} more bytes cut]`;
    if (keepVerdicts && name !== undefined && inferredVerdict(name, cut, now) !== inferredVerdict(name, value, now)) return value;
    return cut;
  }
  if (Array.isArray(value)) return value.map((item) => cutTexts(item, limit, keepVerdicts, now));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) Object.defineProperty(out, key, { value: cutTexts(inner, limit, keepVerdicts, now, key), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/**
 * `args` such that the line `bytesOf(args)` measures fits the pipeline's limit on a line
 * (`MAX_LINE_BYTES`; a longer line is dropped whole, its call never judged): as they are when they
 * fit, else with their long texts cut, 2 KiB first, shorter when many texts still make it too long.
 * A cut that would change what the detector infers from an argument's name is avoided while another
 * cut is enough. Throws a `TypeError` when even 128 bytes a text is too much.
 */
export function argumentsWithinLine(where: string, args: Record<string, unknown>, bytesOf: (args: Record<string, unknown>) => number, clock: () => number, after = ''): Record<string, unknown> {
  let bytes = bytesOf(args);
  if (bytes <= MAX_LINE_BYTES) return args;
  const now = clock();
  for (const limit of CUT_BYTES) {
    for (const keepVerdicts of [true, false]) {
      const cut = cutTexts(args, limit, keepVerdicts, now) as Record<string, unknown>;
      bytes = bytesOf(cut);
      if (bytes <= MAX_LINE_BYTES) return cut;
    }
  }
  throw new TypeError(
    `${where} args make a tool.call line of ${bytes} bytes even with every text cut to ${CUT_BYTES.at(-1)} bytes; the pipeline drops lines over ${MAX_LINE_BYTES} bytes: pass smaller arguments (a reference to the data rather than the data)${after}`,
  );
}
