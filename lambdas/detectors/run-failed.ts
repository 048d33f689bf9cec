import { isoTime } from '../core/findings.ts';
import { formatDuration } from '../core/stats.ts';
import { endedCleanly } from './output-content.ts';
import type { RunDetector } from './types.ts';

export const runFailedDetector: RunDetector = {
  kind: 'run',
  meta: {
    id: 'run-failed',
    description: 'A run ended with a non-zero exit code, a systemd failure result or a Lambda timeout.',
    subjectKind: 'job',
    defaultSeverity: 'high',
    fiveCs: {
      criteria: 'The run ended with an exit code other than 0, or with a failure of its own: a systemd failure result, a Lambda timeout.',
      cause:
        'The job hit an error it did report: a crash, a missing dependency or credential, an unreachable upstream, a full disk, or a run that outlived its timeout.',
      consequence:
        'The run’s work did not happen. Loud in the log, yet often unseen when nobody watches the exit status of scheduled jobs or cron discards the output.',
      correctiveAction:
        'Read the end of the run’s log for the error, fix its cause and re-run the job; if failures are expected and retried, make sure a retry is scheduled and succeeded.',
    },
  },
  check({ run }) {
    if (endedCleanly(run)) return [];
    const how = run.exit_code !== 0 ? `exited with code ${run.exit_code}` : 'failed';
    const why = run.failure ? (run.exit_code !== 0 ? ` (${run.failure})` : `: ${run.failure}`) : '';
    const after = run.duration_ms !== undefined ? ` after ${formatDuration(run.duration_ms)}` : '';
    return [
      {
        subject: run.job,
        run_id: run.run_id,
        ts: isoTime(run.endedAt),
        message: `run ${how}${after}${why}`,
        evidence: {
          exit_code: run.exit_code,
          ...(run.failure ? { failure: run.failure } : {}),
          ...(run.duration_ms !== undefined ? { duration_ms: run.duration_ms } : {}),
        },
      },
    ];
  },
};
