import { setOwn } from '../own-property.ts';

/** Helpers for building event bodies and rejection reasons in the §1b parsers. */

/** The object without its undefined fields, so that bodies carry only what the line said. */
export function defined<T extends object>(body: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    const value = (body as Record<string, unknown>)[key];
    if (value !== undefined) setOwn(out, key, value);
  }
  return out as T;
}

const MAX_QUOTED = 80;

/** Part of a line, quoted for a rejection reason: at most 80 characters, control characters escaped. */
export function quoted(text: string): string {
  const cut = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
  return JSON.stringify(cut);
}
