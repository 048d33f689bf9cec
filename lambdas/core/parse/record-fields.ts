// Reading the fields of a record that wraps a line: a container runtime's, a log shipper's, a logger's.
import { isPlainObject } from '../own-property.ts';
import { isTimeInRange, LEAST_EPOCH_MS } from '../parse-time.ts';
import { parseIsoTime } from './timestamp-prefix.ts';

/** A line's JSON object, or undefined when the line is no JSON or JSON of something else (an array, a string). */
export function jsonObject(line: string): Record<string, unknown> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isPlainObject(raw) ? raw : undefined;
}

/**
 * Whether a line may be a JSON object's text, the only line JSON.parse may read as an object, tested before it (whose
 * throw is costly) on a line that may be plain text: `{` after any JSON whitespace, then, after any more, `"` (its first
 * key) or `}` (an empty object). A log4j/logback MDC prefix (`{requestId=abc} INFO …`) is not. A byte order mark is
 * not taken (JSON.parse takes none): `parseLine` drops it where a line enters.
 */
export function opensObject(line: string): boolean {
  const brace = afterJsonSpace(line, 0);
  if (line.charCodeAt(brace) !== OPEN_BRACE) return false;
  const next = line.charCodeAt(afterJsonSpace(line, brace + 1));
  return next === QUOTE || next === CLOSE_BRACE;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;

/** The index of the first character at or after `from` that is not JSON whitespace (space, tab, line feed, return). */
function afterJsonSpace(text: string, from: number): number {
  let i = from;
  while (isJsonSpace(text.charCodeAt(i))) i++;
  return i;
}

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** A wrapped line without the one `\n` that ended it, if it has one. */
export function withoutLineEnd(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** Epoch ms of a field that is an ISO-8601 time naming its offset, in the range of times read; else undefined. */
export function isoInstant(value: unknown): number | undefined {
  const at = typeof value === 'string' ? parseIsoTime(value) : undefined;
  return at !== undefined && isTimeInRange(at) ? at : undefined;
}

/**
 * Epoch ms of a structured logger's time field, when it reads as an instant: an ISO time that names its offset
 * (`isoInstant`), or epoch milliseconds from 10^12 (2001) to the year 9999; else undefined (a duration, epoch
 * seconds, microseconds, a zoneless time).
 */
export function loggerInstant(value: unknown): number | undefined {
  if (typeof value !== 'number') return isoInstant(value);
  const at = Math.floor(value);
  return value >= LEAST_EPOCH_MS && isTimeInRange(at) ? at : undefined;
}
