/**
 * A tool call's arguments as the kit judges and writes them. The contract's `tool.call` carries
 * `args` as an object (§1a): an OpenAI tool call gives them as JSON text (`function.arguments`),
 * which is read as the object it encodes, as the OpenTelemetry parser reads
 * `gen_ai.tool.call.arguments`; anything else that is not an object of named arguments is refused
 * with a `TypeError`, since the pipeline would reject the line (and walking a string's characters
 * judges nothing).
 */

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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
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
