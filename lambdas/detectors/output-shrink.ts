import { isoTime } from '../core/findings.ts';
import { formatBytes, median } from '../core/stats.ts';
import { endedCleanly, percentBelow } from './output-content.ts';
import type { RunDetector } from './types.ts';

/** However the ratio is configured, an output of half the median or more is never flagged. */
export const MAX_OUTPUT_SHRINK_RATIO = 0.5;

export const outputShrinkDetector: RunDetector = {
  kind: 'run',
  meta: {
    id: 'output-shrink',
    description: "A run's output is far smaller than the median of the previous successful runs.",
    subjectKind: 'job',
    defaultSeverity: 'high',
    keepsRunOutOfBaseline: true,
    fiveCs: {
      criteria:
        'The run exited 0 and its output is below {{output_shrink_ratio%}} (`output_shrink_ratio`, capped at 50%) of the median output size of the previous successful runs, once at least `min_history` ({{min_history}}) runs are known. Stays quiet when `empty-output` already fired for the run.',
      cause:
        'Work that silently came back partial: an upstream API returning fewer results after a key or quota change, a query template or filter that now matches less, a source path pointing at the wrong or a half-empty folder, a write cut short by a full disk.',
      consequence:
        'Downstream reports, exports or backups are incomplete while the job looks healthy; the gap is found late, when the missing data is needed.',
      correctiveAction:
        "Compare the run's output with a recent normal run, check the upstream source, credentials and query, and make the job fail when its result count falls below what it expects. A smaller run never enters the baseline on its own, so it fires on every run: if the smaller output is the new normal, set the job's own `output_shrink_ratio` (in its section under `jobs`) below its share of the median (0.1 for an output at 20%). Its runs then enter the baseline; once they are more than half of `baseline_window`, the median is the new size and the key can go.",
    },
  },
  check({ run, baseline, options, firedSoFar }) {
    if (!endedCleanly(run) || firedSoFar.has('empty-output')) return [];
    const outputBytes = run.output_bytes;
    const window = baseline.outputBytes.length;
    if (outputBytes === undefined || window < options.minHistory) return [];
    const typical = baseline.medianOutputBytes ?? median(baseline.outputBytes);
    if (typical === undefined || typical <= 0) return [];
    const ratio = Math.min(options.outputShrinkRatio, MAX_OUTPUT_SHRINK_RATIO);
    if (outputBytes >= ratio * typical) return [];
    const share = outputBytes / typical;
    const percent = percentBelow(share, ratio);
    return [
      {
        subject: run.job,
        run_id: run.run_id,
        ts: isoTime(run.endedAt),
        message: `output ${formatBytes(outputBytes)} is ${percent}% of the median ${formatBytes(typical)} of the last ${window} runs`,
        // `ratio` is the threshold (kept under its stored name); `share` is this run's output / median.
        evidence: { output_bytes: outputBytes, median: typical, window, share: Math.round(share * 10_000) / 10_000, ratio },
      },
    ];
  },
};
