import { isoTime } from '../core/findings.ts';
import { formatDuration, median } from '../core/stats.ts';
import { resolutionOf, WHOLE_SECOND } from './duration-slow.ts';
import { endedWithoutFailure, percentBelow } from './output-content.ts';
import type { RunDetector } from './types.ts';

/** However the factor is configured, a run within 50% of the median is never flagged as fast. */
export const MAX_DURATION_FAST_FACTOR = 0.5;

export const durationFastDetector: RunDetector = {
  kind: 'run',
  meta: {
    id: 'duration-fast',
    description: 'A run finished far faster than the median of the previous successful runs.',
    subjectKind: 'job',
    defaultSeverity: 'medium',
    keepsRunOutOfBaseline: true,
    fiveCs: {
      criteria:
        'The run exited 0 (or ended with its exit status not logged, a cronie CMDEND) and took less than {{duration_fast_factor%}} (`duration_fast_factor`, capped at 50%) of the median duration of the previous successful runs (less a second when their durations are whole seconds), once at least `min_history` ({{min_history}}) runs are known.',
      cause:
        'The job skipped its work and still reported success: an empty input after an upstream key expired, a query that now matches nothing, a wrong source path, an early return on a condition that used to be rare.',
      consequence:
        'A run that did little or nothing passes as a success; its output is usually missing or partial, and every check that looks only at the exit code stays green.',
      correctiveAction:
        "Check the run's output and input counts against a normal run, then the upstream source, credentials and paths. Make the job fail when it processes fewer items than it should.",
    },
  },
  check({ run, baseline, options }) {
    if (!endedWithoutFailure(run) || run.duration_ms === undefined) return [];
    const window = baseline.durations.length;
    if (window < options.minHistory) return [];
    const typical = baseline.medianDurationMs ?? median(baseline.durations);
    if (typical === undefined || typical <= 0) return [];
    const factor = Math.min(options.durationFastFactor, MAX_DURATION_FAST_FACTOR);
    // The run is known to the clock's resolution: it is fast only when it is below the factor × the
    // median by more than one tick (whole seconds: with a median under 4 s, a 0 s run is within a tick).
    const resolution = resolutionOf(baseline.durations);
    if (run.duration_ms >= factor * typical - resolution) return [];
    const percent = percentBelow(run.duration_ms / typical, factor);
    return [
      {
        subject: run.job,
        run_id: run.run_id,
        ts: isoTime(run.endedAt),
        message: `run took ${formatDuration(run.duration_ms)}, ${percent}% of the median ${formatDuration(typical)} of the last ${window} runs`,
        evidence: { duration_ms: run.duration_ms, median: typical, ...(resolution === WHOLE_SECOND ? { resolution_ms: resolution } : {}), window, factor },
      },
    ];
  },
};
