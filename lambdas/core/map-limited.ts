/** `Promise.all(items.map(fn))` with at most `limit` calls under way at once (reads against a store). */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * `mapLimited` for writes, with `settleAll`'s care: once a call fails no further one starts, every
 * call under way settles, and then the first failure (in the items' order) is rethrown. An
 * invocation that fails has then no write of its own still under way.
 */
export async function settleLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  const failures: { index: number; reason: unknown }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const i = next++;
      try {
        out[i] = await fn(items[i]);
      } catch (reason) {
        failures.push({ index: i, reason });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).reason;
  return out;
}
