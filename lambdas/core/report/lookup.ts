/**
 * Lookups built once: a month's report asks after each of thousands of subjects, and a scan of
 * every run and finding for each is quadratic (minutes, at a fleet's 100,000 runs and findings).
 */

/** Items in lists by key, each list in the items' order. */
export function listsBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}

/** The first item of each key, as `find` would return it. */
export function firstBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    if (!out.has(key)) out.set(key, item);
  }
  return out;
}
