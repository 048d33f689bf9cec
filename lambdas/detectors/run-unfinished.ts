import { isoTime } from '../core/findings.ts';
import { formatDuration } from '../core/stats.ts';
import type { TreeRun } from '../core/agent-tree.ts';
import type { TreeDetector } from './agent-kinds.ts';
import type { AbsenceDetector, FindingDraft, OpenRunView } from './types.ts';

/** A run's maximum runtime and where it comes from (for messages: `configured`, `3× the median duration`, `default 1 h`). */
export interface MaxRuntime {
  readonly ms: number;
  readonly source: string;
}

/** Default max runtime when none is configured: 3× the median duration, at least this. */
const MIN_DEFAULT_RUNTIME_MS = 60 * 60_000;

/**
 * A run's maximum runtime: `max_runtime_minutes` when configured, else 3× the median duration
 * (`medianDuration`, asked only then; `undefined` when none is known), at least 1 h.
 */
export function maxRuntimeBound(configuredMinutes: number | undefined, medianDuration: () => number | undefined): MaxRuntime {
  if (configuredMinutes !== undefined) return { ms: configuredMinutes * 60_000, source: 'configured' };
  const typical = medianDuration();
  if (typical === undefined) return { ms: MIN_DEFAULT_RUNTIME_MS, source: 'default 1 h' };
  return 3 * typical > MIN_DEFAULT_RUNTIME_MS ? { ms: 3 * typical, source: '3× the median duration' } : { ms: MIN_DEFAULT_RUNTIME_MS, source: 'default 1 h' };
}

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
        'A run that started must log its end within `max_runtime_minutes` (default: 3× the median duration of its earlier runs, at least 1 h: a job\'s successful runs, an agent\'s ended root runs). Judged for jobs whose runs log an end (one was seen, or the run started with an instrumented `run.start` or a Lambda `START`), and for agent root runs: the root and every sub-agent under it must log `agent.end` within the root\'s, counted from its start.',
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

/**
 * An agent root run, or a sub-agent under it, that has logged no `agent.end` within the root's
 * maximum runtime (`TreeCheckInput.maxRuntime`), counted from the root's start. Judged by the sweep
 * while the tree has not ended (`stale` or `running`, as of the tree's `judged_at`), and at the
 * tree's end when its last run ended past the bound (as `endedUnfinished` judges a job's run: a
 * tree no sweep saw open past its max runtime, `scan`'s hourly sweeps or the deployed sweep not run
 * then, is still reported; the same finding, by its run id and ts, and nothing if a sweep reported
 * it: the reducer's marks). Judged by the job detector's id and 5 Cs.
 */
export const runUnfinishedRootRunDetector: TreeDetector = {
  kind: 'agent-tree',
  meta: { ...runUnfinishedDetector.meta, subjectKind: 'agent' },
  check({ tree, maxRuntime }) {
    if (maxRuntime === undefined || tree.started_at === undefined) return [];
    const root = tree.runs[0];
    let what: string;
    let late: TreeRun | undefined;
    if (tree.phase === 'ended') {
      const last = tree.runs.reduce((a, r) => ((r.ended_at ?? 0) > (a.ended_at ?? 0) ? r : a), root);
      const runFor = (last.ended_at ?? 0) - tree.started_at;
      if (!(runFor > maxRuntime.ms)) return [];
      late = last === root || root.ended_at === last.ended_at ? undefined : last;
      const until = `logged no end until ${isoTime(last.ended_at ?? 0)}, after ${formatDuration(runFor)}`;
      what = late ? `ended, but its sub-agent ${late.agent} ${late.run_id} ${until}` : until;
    } else {
      if (tree.judged_at === undefined) return [];
      const runFor = tree.judged_at - tree.started_at;
      if (!(runFor > maxRuntime.ms)) return [];
      late = root.ended_at !== undefined ? tree.runs.find((r) => r.ended_at === undefined) : undefined;
      what = late ? `ended, but its sub-agent ${late.agent} ${late.run_id} has logged no end after ${formatDuration(runFor)}` : `has logged no end after ${formatDuration(runFor)}`;
    }
    const draft = unfinishedDraft(tree.agent, { run_id: tree.root_run_id, startedAt: tree.started_at }, maxRuntime.ms, maxRuntime.source, what, `run ${tree.root_run_id}`);
    return [{ ...draft, evidence: { ...draft.evidence, root_run_id: tree.root_run_id, ...(late ? { unended_run_id: late.run_id, unended_agent: late.agent } : {}) } }];
  },
};

function unfinishedDraft(job: string, run: OpenRunView, maxRuntimeMs: number, maxRuntimeSource: string, what: string, named = 'run'): FindingDraft {
  return {
    subject: job,
    run_id: run.run_id,
    ts: isoTime(run.startedAt + maxRuntimeMs),
    message: `${named} started ${isoTime(run.startedAt)} ${what} (max runtime ${formatDuration(maxRuntimeMs)}, ${maxRuntimeSource})`,
    evidence: {
      started_at: isoTime(run.startedAt),
      max_runtime_ms: maxRuntimeMs,
      max_runtime_source: maxRuntimeSource,
      ...(run.host ? { host: run.host } : {}),
    },
  };
}
