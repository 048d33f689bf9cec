import { jsonEventParser } from './json-event.ts';
import type { LineContext, LineParser, ParseOutcome } from './types.ts';

/** Lines longer than CloudWatch's classic event limit are refused before any parsing. */
export const MAX_LINE_BYTES = 256 * 1024;

/**
 * The parsers, tried in order; the first that claims a line decides it. Instrumented JSON comes
 * first: it is the cheapest to rule out and the most common in an instrumented system.
 */
export const LINE_PARSERS: readonly LineParser[] = [jsonEventParser];

export function parseLine(line: string, ctx: LineContext, parsers: readonly LineParser[] = LINE_PARSERS): ParseOutcome {
  if (line.length > MAX_LINE_BYTES) {
    return { kind: 'rejected', reason: `line is ${line.length} characters, over the ${MAX_LINE_BYTES} limit` };
  }
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text.trim() === '') return { kind: 'unrecognised' };
  for (const parser of parsers) {
    try {
      const outcome = parser.parse(text, ctx);
      if (outcome) return outcome;
    } catch (error) {
      return { kind: 'rejected', reason: `${parser.format} parser failed: ${(error as Error).message}` };
    }
  }
  return { kind: 'unrecognised' };
}

export type { LineContext, LineParser, ParseOutcome } from './types.ts';
