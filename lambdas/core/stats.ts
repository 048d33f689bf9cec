/** Removes, in place, the entries `drop` matches. */
export function removeWhere<T>(list: T[], drop: (item: T) => boolean): void {
  let kept = 0;
  for (let i = 0; i < list.length; i++) if (!drop(list[i])) list[kept++] = list[i];
  list.length = kept;
}

/**
 * Whether `a` sorts before `b` as a `Float64Array` sorts numbers: ascending, -0 before +0, NaN
 * last. The medians below and the job reducer's sorted windows order values this way, so they
 * pick the very values a typed-array sort would.
 */
export function sortsBefore(a: number, b: number): boolean {
  if (a < b) return true;
  if (a === b) return a === 0 && 1 / a < 0 && 1 / b > 0;
  return a === a && b !== b;
}

/**
 * The first index of a list, `0 … length`, at which `before(i)` is false, for a list where it is
 * true up to some index and false after (a binary search; where a value goes in a sorted list).
 */
export function partitionPoint(length: number, before: (index: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The largest of the values, as `Math.max(...values)` gives it (-Infinity for none, NaN if any is
 * NaN, 0 over -0), without spreading them into a call's arguments: a list of a month's runs (one
 * every 10 s is 267,840) overflows the call stack when spread.
 */
export function maxOf(values: Iterable<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v !== v) return Number.NaN;
    if (v > max || (v === 0 && max === 0 && 1 / max < 0)) max = v;
  }
  return max;
}

/** The smallest of the values, as `Math.min(...values)` gives it (Infinity for none, NaN if any is NaN, -0 under 0), without a spread. */
export function minOf(values: Iterable<number>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const v of values) {
    if (v !== v) return Number.NaN;
    if (v < min || (v === 0 && min === 0 && 1 / v < 0)) min = v;
  }
  return min;
}

/** The median of values already in `sortsBefore` order (`sorted[0, length)`); undefined for none. */
export function medianOfSorted(sorted: ArrayLike<number>, length = sorted.length): number | undefined {
  if (length === 0) return undefined;
  const mid = length >> 1;
  return length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Up to this many values are sorted by insertion in JS: cheaper than a native sort's call for a baseline window (20). */
const INSERTION_SORT_MAX = 32;
/** A larger list is sorted in a fresh typed array, not kept in the scratch one. */
const SCRATCH_MAX = 4096;
/** One scratch buffer for every median: `median` is synchronous, so no two calls share it at once. */
let scratch = new Float64Array(64);

/** The median of a list of numbers; undefined for an empty list. */
export function median(values: readonly number[]): number | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  // `Float64Array.from` and a native sort cost more than the sort itself for a window of 20.
  if (n <= INSERTION_SORT_MAX) return medianOfSorted(insertionSort(values, scratch), n);
  if (n > SCRATCH_MAX) return medianOfSorted(Float64Array.from(values).sort());
  if (scratch.length < n) scratch = new Float64Array(Math.min(SCRATCH_MAX, Math.max(n, 2 * scratch.length)));
  for (let i = 0; i < n; i++) scratch[i] = values[i];
  // A typed array sorts numerically without a comparator call per pair.
  return medianOfSorted(scratch.subarray(0, n).sort());
}

/** The values in `sortsBefore` order (the order `Float64Array.prototype.sort` gives), in a new array. */
export function sortedCopy(values: readonly number[]): number[] {
  const n = values.length;
  if (n > INSERTION_SORT_MAX) return Array.from(Float64Array.from(values).sort());
  // Sorted in the scratch buffer, then copied out: see `insertionSort`.
  insertionSort(values, scratch);
  const sorted: number[] = [];
  for (let i = 0; i < n; i++) sorted.push(scratch[i]);
  return sorted;
}

/**
 * Sorts `values` into `into[0, values.length)` by insertion, in `sortsBefore` order; returns `into`.
 * Only ever into a `Float64Array` (the scratch buffer): sorting into plain arrays too made its
 * element writes polymorphic, and a window of 20 took ~8× as long (measured here).
 */
function insertionSort(values: readonly number[], into: Float64Array): Float64Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let j = i;
    for (; j > 0 && sortsBefore(v, into[j - 1]); j--) into[j] = into[j - 1];
    into[j] = v;
  }
  return into;
}

/** Bytes in a human unit, as alerts print them: `412 B`, `6.8 KiB`, `1.2 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A duration in a human unit: `850 ms`, `42 s`, `12.5 min`, `2.1 h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
