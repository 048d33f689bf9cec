/**
 * A bounded-memory latency sketch (the DDSketch idea, written small): values fall into
 * logarithmic bins whose width grows with the value, so any quantile read back is within
 * `RELATIVE_ACCURACY` of the true value, and the sketch never holds more than `MAX_BINS` counts
 * however many values it saw. Sketches merge exactly by adding counts, which is what lets a route
 * keep 15-minute and hourly buckets and sum them into rolling windows.
 *
 * Plain JSON (`{ n, zero, bins }`), so it is stored as part of a subject's state.
 */
export interface LatencySketch {
  /** Values counted. */
  readonly n: number;
  /** Values below 1 ms, read back as 0. */
  readonly zero: number;
  /** Bin index → count; bin i holds values in (γ^(i−1), γ^i]. */
  readonly bins: Readonly<Record<string, number>>;
}

/** γ = 1.04: a value is read back within 2% of itself (the bin's midpoint is within (γ−1)/(γ+1)). */
export const SKETCH_GAMMA = 1.04;
export const RELATIVE_ACCURACY = (SKETCH_GAMMA - 1) / (SKETCH_GAMMA + 1);
const LOG_GAMMA = Math.log(SKETCH_GAMMA);
/** 1 ms to about 9 h fits in 400 bins; above this many, the lowest bins are folded together. */
export const MAX_BINS = 400;

export function emptySketch(): LatencySketch {
  return { n: 0, zero: 0, bins: {} };
}

function binOf(value: number): number {
  return Math.ceil(Math.log(value) / LOG_GAMMA);
}

/** The value a bin reads back as: the point of equal relative error to both of its edges. */
function valueOfBin(bin: number): number {
  return (2 * SKETCH_GAMMA ** bin) / (SKETCH_GAMMA + 1);
}

/** The sketch with `value` (ms) counted `count` times more. Never mutates its input. */
export function addToSketch(sketch: LatencySketch, value: number, count = 1): LatencySketch {
  if (!Number.isFinite(value) || count <= 0) return sketch;
  if (value < 1) return { n: sketch.n + count, zero: sketch.zero + count, bins: sketch.bins };
  const key = String(binOf(value));
  return collapse({ n: sketch.n + count, zero: sketch.zero, bins: { ...sketch.bins, [key]: (sketch.bins[key] ?? 0) + count } });
}

/**
 * `addToSketch` for a sketch the caller owns (a fold's working copy, never shared): counts in place
 * instead of copying up to `MAX_BINS` bins per value. Returns the sketch to keep (a new one only
 * when a new bin pushed it over `MAX_BINS`).
 */
export function countIntoOwnSketch(sketch: LatencySketch, value: number, count = 1): LatencySketch {
  if (!Number.isFinite(value) || count <= 0) return sketch;
  const own = sketch as { n: number; zero: number; bins: Record<string, number> };
  own.n += count;
  if (value < 1) {
    own.zero += count;
    return own;
  }
  const key = String(binOf(value));
  const had = own.bins[key];
  own.bins[key] = (had ?? 0) + count;
  return had === undefined ? collapse(own) : own;
}

/** A copy of a sketch that can be counted into in place. */
export function copySketch(sketch: LatencySketch): LatencySketch {
  return { n: sketch.n, zero: sketch.zero, bins: { ...sketch.bins } };
}

/** One sketch counting every value of both. */
export function mergeSketches(a: LatencySketch, b: LatencySketch): LatencySketch {
  if (b.n === 0) return a;
  if (a.n === 0) return b;
  const bins: Record<string, number> = { ...a.bins };
  for (const [key, count] of Object.entries(b.bins)) bins[key] = (bins[key] ?? 0) + count;
  return collapse({ n: a.n + b.n, zero: a.zero + b.zero, bins });
}

/** Above `MAX_BINS`, the lowest bins are folded into the lowest kept one: high quantiles stay exact. */
function collapse(sketch: LatencySketch): LatencySketch {
  const keys = Object.keys(sketch.bins);
  if (keys.length <= MAX_BINS) return sketch;
  const sorted = keys.map(Number).sort((x, y) => x - y);
  const cut = sorted.length - MAX_BINS;
  const bins: Record<string, number> = {};
  let folded = 0;
  for (const bin of sorted.slice(0, cut + 1)) folded += sketch.bins[String(bin)];
  bins[String(sorted[cut])] = folded;
  for (const bin of sorted.slice(cut + 1)) bins[String(bin)] = sketch.bins[String(bin)];
  return { n: sketch.n, zero: sketch.zero, bins };
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of the values counted, within `RELATIVE_ACCURACY`; undefined for an
 * empty sketch. Nearest rank: the ⌈q·n⌉-th smallest value (at least the smallest), so the p99 of
 * 100 values is the 99th smallest and of up to 99 values the largest: one request in 20 that
 * waited 10 s is the p99 of the 20, not hidden behind the 19 fast ones.
 */
export function sketchQuantile(sketch: LatencySketch, q: number): number | undefined {
  if (sketch.n === 0) return undefined;
  // The small allowance keeps q·n that floating point puts a hair above a whole number (0.99·300) on it.
  const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * sketch.n - 1e-9));
  let seen = sketch.zero;
  if (seen >= rank) return 0;
  const sorted = Object.keys(sketch.bins)
    .map(Number)
    .sort((x, y) => x - y);
  for (const bin of sorted) {
    seen += sketch.bins[String(bin)];
    if (seen >= rank) return valueOfBin(bin);
  }
  return valueOfBin(sorted[sorted.length - 1]);
}

/**
 * The true values a quantile read back as `reading` may stand for: the edges of its bin, (low, high].
 * A value is above a limit for certain only when `low` is at least the limit.
 */
export function sketchReadingRange(reading: number): { readonly low: number; readonly high: number } {
  if (reading <= 0) return { low: 0, high: 1 };
  return { low: reading / (1 + RELATIVE_ACCURACY), high: reading / (1 - RELATIVE_ACCURACY) };
}
