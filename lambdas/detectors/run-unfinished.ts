import { isoTime } from '../core/findings.ts';
import { formatDuration } from '../core/stats.ts';
import type { AbsenceDetector, OpenRunView } from './types.ts';

/**
 * How a run reported unfinished is remembered: its id and its start time, since an id may name a
 * new run while an older run with it is still open (a job that always logs run_id "1").
 */
export function unfinishedRunKey(run: OpenRunView): string {
  return `${run.run_id}@${run.startedAt}`;
}

/** Whether a remembered key names a run: its `unfinishedRunKey`, or its id alone, as states written before the key hold it. */
export function keyNamesRun(key: string, run: OpenRunView): boolean {
  return key === unfinishedRunKey(run) || key === run.run_id;
}

const wasReported = (reported: ReadonlySet<string>, run: OpenRunView) => reported.has(unfinishedRunKey(run)) || reported.has(run.run_id);

export const runUnfinishedDetector: AbsenceDetector = {
  kind: 'absence',
  meta: {
    id: 'run-unfinished',
    description: 'A run started and logged no end within its maximum runtime.',
    subjectKind: 'job',
    defaultSeverity: 'high',
    fiveCs: {
      criteria:
        'A run that started must log its end within `max_runtime_minutes` (default: 3× the median duration of its successful runs, at least 1 h). Judged only for jobs whose runs log an end (one was seen, or the run started with an instrumented `run.start` or a Lambda `START`).',
      cause: 'The process hangs (a lock, a network call without a timeout, an interactive prompt), was killed without a trace (OOM killer, host reboot), or its end line was lost.',
      consequence: 'The run holds its resources and its work is not done; the next scheduled run may pile up behind it or run concurrently with it.',
      correctiveAction:
        'Find the process on its host (or the Lambda request), see where it waits, and kill or restart it; add timeouts to its network calls and a runtime limit to its scheduler entry.',
    },
  },
  check(input) {
    if (!input.endsLogged) return [];
    return input.open
      .filter((run) => !wasReported(input.reportedUnfinished, run) && input.now - run.startedAt > input.maxRuntimeMs)
      .map((run) => ({
        subject: input.job,
        run_id: run.run_id,
        ts: isoTime(run.startedAt + input.maxRuntimeMs),
        message: `run started ${isoTime(run.startedAt)} has logged no end after ${formatDuration(input.now - run.startedAt)} (max runtime ${formatDuration(input.maxRuntimeMs)}, ${input.maxRuntimeSource})`,
        evidence: {
          started_at: isoTime(run.startedAt),
          max_runtime_ms: input.maxRuntimeMs,
          max_runtime_source: input.maxRuntimeSource,
          ...(run.host ? { host: run.host } : {}),
        },
      }));
  },
};
