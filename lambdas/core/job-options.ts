import type { Config } from '../config.ts';
import type { JobOptions } from '../detectors/types.ts';
import { ownValue } from './own-property.ts';

/** The minutes a job may start late before it is late: its own `grace_minutes`, else the defaults'. */
export function graceMinutesOf(config: Config, job: string): number {
  return ownValue(config.jobs, job)?.grace_minutes ?? config.defaults.grace_minutes;
}

/** A job's detector options: the defaults with the job's own keys on top. */
export function resolveJobOptions(config: Config, job: string): JobOptions {
  const d = config.defaults;
  const own = ownValue(config.jobs, job) ?? {};
  return {
    minHistory: own.min_history ?? d.min_history,
    baselineWindow: d.baseline_window,
    outputShrinkRatio: own.output_shrink_ratio ?? d.output_shrink_ratio,
    durationSlowFactor: d.duration_slow_factor,
    durationFastFactor: d.duration_fast_factor,
    errorKeywords: own.error_keywords ?? d.error_keywords,
    expectPattern: compiledPattern(own.expect_pattern),
  };
}

/** A job's `expect_pattern` as its runs' output is judged by it, none when it has none. */
function expectPatternOf(config: Config, job: string): RegExp | undefined {
  return compiledPattern(ownValue(config.jobs, job)?.expect_pattern);
}

/** An `expect_pattern` (`expectPatternOf`) compiled, none when it is unset or empty. */
function compiledPattern(pattern: string | undefined): RegExp | undefined {
  // Multi-line: `^` and `$` match at each line of the output, as a pattern for log output means them.
  return pattern ? new RegExp(pattern, 'm') : undefined;
}

/**
 * Each job's `expect_pattern` as `expectPatternOf` gives it, compiled once for all the lines it tests
 * (a batch's CMDOUT lines): the pattern has no `g` flag, so one RegExp serves every test.
 */
export function expectPatternsOf(config: Config): (job: string) => RegExp | undefined {
  let patterns: Map<string, RegExp | undefined> | undefined;
  return (job) => {
    patterns ??= new Map();
    if (!patterns.has(job)) patterns.set(job, expectPatternOf(config, job));
    return patterns.get(job);
  };
}
