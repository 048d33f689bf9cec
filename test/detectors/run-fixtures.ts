import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { median } from '../../lambdas/core/stats.ts';
import type { Baseline, CompletedRun, JobOptions } from '../../lambdas/detectors/types.ts';

/** When the fixture run ended; findings about it carry this `ts`. */
export const RUN_END_ISO = '2026-10-03T02:31:07Z';
export const RUN_ENDED_AT = Date.parse(RUN_END_ISO);

/** A normal night of the backup job the contract's examples use: exit 0, 61 s, 6.8 KiB of output. */
const HEALTHY_RUN: CompletedRun = {
  job: 'nightly-backup',
  run_id: 'r-1042',
  startedAt: RUN_ENDED_AT - 61_000,
  endedAt: RUN_ENDED_AT,
  exit_code: 0,
  duration_ms: 61_000,
  output_bytes: 6_963,
  output_lines: 118,
  output_head: 'backup started: source /var/lib/postgresql/dumps\nupload 1/1204 db-2026-10-02.dump.gz ok\nupload 2/1204 db-2026-10-01.dump.gz ok\n',
  output_tail: 'upload 1204/1204 wal-000000010000.gz ok\nuploaded 1204 objects to s3://acme-backups/2026-10-03\nbackup finished in 61 s\n',
  host: 'db-1',
};

/** The healthy run with some fields replaced (an `undefined` value removes the field's content). */
export function makeRun(overrides: Partial<CompletedRun> = {}): CompletedRun {
  return { ...structuredClone(HEALTHY_RUN), ...overrides };
}

/** Previous successful runs, oldest first, with their medians as the pipeline computes them. */
export function makeBaseline(outputBytes: readonly number[], durations: readonly number[]): Baseline {
  return {
    outputBytes: [...outputBytes],
    durations: [...durations],
    medianOutputBytes: median(outputBytes),
    medianDurationMs: median(durations),
  };
}

/** `count` values scattered a few percent around `typical`; for 5, 10, 15 or 20 values their median is `typical`. */
export function around(typical: number, count: number): number[] {
  const spread = [-0.04, 0.02, 0, 0.03, -0.01];
  return Array.from({ length: count }, (_, i) => Math.round(typical * (1 + spread[i % spread.length])));
}

/** 20 previous runs of about 6963 B (6.8 KiB) and 60 s: median output 6963, median duration 60 000 ms. */
export const TYPICAL_BASELINE: Baseline = makeBaseline(around(6_963, 20), around(60_000, 20));

/** The shipped defaults, as a job without its own settings gets them. */
const defaults = DEFAULT_CONFIG.defaults;
export const DEFAULT_OPTIONS: JobOptions = {
  minHistory: defaults.min_history,
  baselineWindow: defaults.baseline_window,
  outputShrinkRatio: defaults.output_shrink_ratio,
  durationSlowFactor: defaults.duration_slow_factor,
  durationFastFactor: defaults.duration_fast_factor,
  errorKeywords: defaults.error_keywords,
};
