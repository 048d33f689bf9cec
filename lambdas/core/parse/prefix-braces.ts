/** How many `{` after the first a line's prefix may hold (log4j's `%X` MDC, `{}` or `{requestId=abc}`). */
export const MAX_PREFIX_BRACES = 16;

/**
 * The object at the end of a line whose text from its first `{` is not JSON: a prefix may hold
 * braces of its own (`... {requestId=abc} - {"type":"run.end",...}`). Tries from each later `{`,
 * at most MAX_PREFIX_BRACES of them, and takes the first that parses to the end of the line.
 * When none does, the line's JSON is bad: the error is that of the try that read furthest into
 * the line before failing, which is the object's own (a prefix's braces fail at once).
 * Called only once the first try failed, so a line without such a prefix parses once.
 */
export function objectAfterPrefixBraces(line: string, first: number, firstError: Error): { raw: unknown; start: number } | { error: Error } {
  let error = firstError;
  let reach = first + errorOffset(firstError, line.length - first);
  let start = line.indexOf('{', first + 1);
  for (let tries = 0; start >= 0 && tries < MAX_PREFIX_BRACES; tries++) {
    try {
      return { raw: JSON.parse(line.slice(start)), start };
    } catch (later) {
      const laterReach = start + errorOffset(later as Error, line.length - start);
      if (laterReach > reach) [error, reach] = [later as Error, laterReach];
    }
    start = line.indexOf('{', start + 1);
  }
  return { error };
}

/**
 * Where in its text JSON.parse failed, from its message ("... at position 12"); the end when the
 * message names no position (it ran out of input, or an unexpected token inside a value, which a
 * prefix's braces, `{}` or `{requestId=abc}`, never give).
 */
function errorOffset(error: Error, length: number): number {
  const at = /at position (\d+)/.exec(error.message);
  return at ? Number(at[1]) : length;
}
