/** Small helpers for the bench: medians, timing, number formatting. Pure, so they have tests. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Lines per second from a count and milliseconds, rounded to a whole number. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000) / ms) : 0;
}

export interface Timed {
  /** Median wall-clock milliseconds of the timed runs. */
  readonly medianMs: number;
  /** Median CPU milliseconds (user + system, all threads of the process) of the timed runs. */
  readonly medianCpuMs: number;
  readonly runsMs: readonly number[];
  readonly runsCpuMs: readonly number[];
}

/** One path to time: an untimed `prepare` before each run, then the timed `body`. */
export interface TimedPath<P = unknown> {
  readonly prepare: () => P | Promise<P>;
  readonly body: (prepared: P) => unknown | Promise<unknown>;
}

/**
 * Times several paths in rounds: each round runs every path once, in an order rotated from round
 * to round, so that all of them see the same machine (a shared machine's speed drifts by tens of
 * percent within a minute, which would skew any comparison of paths timed one after the other).
 * `warmups` rounds are untimed (for the JIT); of `runs` timed rounds each path reports the medians
 * of wall-clock and CPU time. CPU time is the steadier figure: it leaves out the time the process
 * waited for a core.
 */
export async function timeInterleaved<K extends string>(paths: Record<K, TimedPath<any>>, opts: { warmups: number; runs: number }): Promise<Record<K, Timed>> {
  const names = Object.keys(paths) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, { runsMs: [] as number[], runsCpuMs: [] as number[] }])) as Record<K, { runsMs: number[]; runsCpuMs: number[] }>;
  for (let round = 0; round < opts.warmups + opts.runs; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const prepared = await paths[name].prepare();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await paths[name].body(prepared);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (round < opts.warmups) continue;
      samples[name].runsMs.push(ms);
      samples[name].runsCpuMs.push((cpu.user + cpu.system) / 1000);
    }
  }
  const timed = {} as Record<K, Timed>;
  for (const n of names) timed[n] = { medianMs: median(samples[n].runsMs), medianCpuMs: median(samples[n].runsCpuMs), ...samples[n] };
  return timed;
}

/** `a`'s speed relative to `b`'s in each round (b's CPU time / a's), paired round by round. */
export function pairedRatios(a: Timed, b: Timed): number[] {
  return a.runsCpuMs.map((ms, i) => (ms > 0 ? b.runsCpuMs[i] / ms : 0));
}

/** The median over rounds of `a`'s speed relative to `b`'s, paired round by round. */
export function pairedSpeedRatio(a: Timed, b: Timed): number {
  return Math.round(median(pairedRatios(a, b)) * 100) / 100;
}

/** `12,345` */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function mib(bytes: number): number {
  return Math.round((bytes / 1_048_576) * 10) / 10;
}

/** A target check: `PASS` or `FAIL` with the figure and the target. */
export function verdict(ok: boolean): 'PASS' | 'FAIL' {
  return ok ? 'PASS' : 'FAIL';
}

/** Rounds a ratio to two decimals. */
export function ratio(a: number, b: number): number {
  return b > 0 ? Math.round((a / b) * 100) / 100 : 0;
}
