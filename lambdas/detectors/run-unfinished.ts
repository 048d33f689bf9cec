import { isoTime } from '../core/findings.ts';
import { formatDuration } from '../core/stats.ts';
import type { AbsenceDetector, FindingDraft, OpenRunView } from './types.ts';

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
      .map((run) =>
        unfinishedDraft(input.job, run, input.maxRuntimeMs, input.maxRuntimeSource, `has logged no end after ${formatDuration(input.now - run.startedAt)}`),
      );
  },
};

/**
 * A run that logged its end (at `endedAt`) only after its max runtime, of a job whose runs are
 * waited for to end (`runsLogEnds`), judged when that end is read: unfinished at its start plus the
 * max runtime, as the sweep judges it while it hangs (the same finding, by its key), so that a run
 * no sweep saw open past its max runtime (no sweep ran then; `scan`'s sweeps, which judge a job as
 * of its own latest line, its start) is still reported. Nothing if a sweep reported it (`reported`,
 * the state's keys: `unfinishedRunKey`).
 */
export function endedUnfinished(
  job: string,
  run: OpenRunView,
  endedAt: number,
  maxRuntime: { readonly ms: number; readonly source: string },
  reported: readonly string[] | undefined,
): FindingDraft | undefined {
  if (reported?.some((key) => keyNamesRun(key, run))) return undefined;
  return unfinishedDraft(job, run, maxRuntime.ms, maxRuntime.source, `logged no end until ${isoTime(endedAt)}, after ${formatDuration(endedAt - run.startedAt)}`);
}

function unfinishedDraft(job: string, run: OpenRunView, maxRuntimeMs: number, maxRuntimeSource: string, what: string): FindingDraft {
  return {
    subject: job,
    run_id: run.run_id,
    ts: isoTime(run.startedAt + maxRuntimeMs),
    message: `run started ${isoTime(run.startedAt)} ${what} (max runtime ${formatDuration(maxRuntimeMs)}, ${maxRuntimeSource})`,
    evidence: {
      started_at: isoTime(run.startedAt),
      max_runtime_ms: maxRuntimeMs,
      max_runtime_source: maxRuntimeSource,
      ...(run.host ? { host: run.host } : {}),
    },
  };
}
