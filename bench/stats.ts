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

/**
 * Runs `body` `warmups` times untimed (for the JIT), then `runs` times timed, each after an
 * untimed `prepare`, and reports the medians of wall-clock and CPU time. On a shared machine the
 * CPU time is the steadier figure: it leaves out the time the process waited for a core.
 */
export async function timeRuns<P>(opts: { warmups: number; runs: number; prepare: () => P | Promise<P>; body: (prepared: P) => unknown | Promise<unknown> }): Promise<Timed> {
  for (let i = 0; i < opts.warmups; i++) await opts.body(await opts.prepare());
  const runsMs: number[] = [];
  const runsCpuMs: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const prepared = await opts.prepare();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await opts.body(prepared);
    runsMs.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    runsCpuMs.push((cpu.user + cpu.system) / 1000);
  }
  return { medianMs: median(runsMs), medianCpuMs: median(runsCpuMs), runsMs, runsCpuMs };
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
