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
 * Whether a line starts with `{` after any leading whitespace or BOM (both of which `trimStart` drops, returning the
 * line itself when it has none): the only line JSON.parse may read as an object, tested before it on a line that
 * may be plain text.
 */
export function opensObject(line: string): boolean {
  return line.trimStart().startsWith('{');
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
