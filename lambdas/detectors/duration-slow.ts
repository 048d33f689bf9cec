import { isoTime } from '../core/findings.ts';
import { formatDuration, median } from '../core/stats.ts';
import { endedWithoutFailure } from './output-content.ts';
import type { RunDetector } from './types.ts';

/** However the factor is configured, a run within 50% of the median is never flagged as slow. */
export const MIN_DURATION_SLOW_FACTOR = 1.5;

export const durationSlowDetector: RunDetector = {
  kind: 'run',
  meta: {
    id: 'duration-slow',
    description: 'A run took far longer than the median of the previous successful runs.',
    subjectKind: 'job',
    defaultSeverity: 'medium',
    keepsRunOutOfBaseline: true,
    fiveCs: {
      criteria:
        'The run exited 0 (or ended with its exit status not logged, a cronie CMDEND) and took more than {{duration_slow_factor}}× (`duration_slow_factor`, at least 1.5×) the median duration of the previous successful runs (a median under a second taken as a second when their durations are whole seconds), once at least `min_history` ({{min_history}}) runs are known.',
      cause:
        'Hidden retries and timeouts against a failing upstream, a slow or throttled dependency, lock contention, a disk filling up, or input that grew far beyond what the job was built for.',
      consequence:
        'Results arrive late and the next scheduled run may overlap this one; the slowdown usually grows until the job times out or misses its window, and it costs compute all the while.',
      correctiveAction:
        'Look at where the time went (retry and timeout logs, upstream latency, input size, host load) and fix the upstream or the job; add a timeout and retry limit so a stuck run fails visibly instead.',
    },
  },
  check({ run, baseline, options }) {
    if (!endedWithoutFailure(run) || run.duration_ms === undefined) return [];
    const window = baseline.durations.length;
    if (window < options.minHistory) return [];
    const typical = baseline.medianDurationMs ?? median(baseline.durations);
    if (typical === undefined || typical < 0) return [];
    const factor = Math.max(options.durationSlowFactor, MIN_DURATION_SLOW_FACTOR);
    // The median is known to the clock's resolution: a median under one tick (whole seconds: 0, 0, 1, 1 s)
    // is taken as the tick, so the slack is at most a tick before the factor, never the factor × a tick more.
    const resolution = resolutionOf(baseline.durations);
    if (run.duration_ms <= factor * Math.max(typical, resolution)) return [];
    const multiple = timesAbove(run.duration_ms / (typical || resolution), factor);
    const message = typical > 0 ? `${multiple}× the median ${formatDuration(typical)}` : `over ${multiple}× the median (under ${formatDuration(resolution)})`;
    const shownResolution = typical === 0 || resolution === WHOLE_SECOND ? { resolution_ms: resolution } : {};
    return [
      {
        subject: run.job,
        run_id: run.run_id,
        ts: isoTime(run.endedAt),
        message: `run took ${formatDuration(run.duration_ms)}, ${message} of the last ${window} runs`,
        evidence: { duration_ms: run.duration_ms, median: typical, ...shownResolution, window, factor },
      },
    ];
  },
};

/** The resolution of durations from times in whole seconds (syslog, journald, cron). */
export const WHOLE_SECOND = 1000;

/**
 * The resolution of the times previous durations came from: whole seconds when every one is
 * (syslog, journald and cron give whole seconds, so a job of a few hundred ms takes 0 s, one of
 * 0.9 s 0 or 1 s), else a millisecond.
 */
export function resolutionOf(durations: readonly number[]): number {
  return durations.every((ms) => ms % WHOLE_SECOND === 0) ? WHOLE_SECOND : 1;
}

/** A multiple with one decimal, or two when one would not show it is above the limit. */
function timesAbove(multiple: number, limit: number): string {
  const shown = multiple.toFixed(1);
  return Number(shown) > limit ? shown : multiple.toFixed(2);
}
