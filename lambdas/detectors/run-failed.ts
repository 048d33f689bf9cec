import { treeWorkText } from '../core/agent-format.ts';
import { endedRoot, totalsOf } from '../core/agent-tree.ts';
import { isoTime } from '../core/findings.ts';
import { formatDuration } from '../core/stats.ts';
import type { TreeDetector } from './agent-kinds.ts';
import { endedWithoutFailure, excerptAround, findErrorMarker } from './output-content.ts';
import type { RunDetector } from './types.ts';

/** A Lambda timeout's reason: `timeout after 900.00 s` (its text line) or `timeout` (its report's status). */
const LAMBDA_TIMEOUT = /^timeout( after .+)?$/;

/**
 * What happened to a run that ended with a failure and no exit code of its own (it has none to
 * show: a timed-out Lambda invocation, a unit systemd stopped): `timed out after 900.00 s`,
 * `timed out after 30.0 min (systemd result 'timeout')`, `failed: main process killed by signal TERM`.
 */
function failedWithoutExitCode(failure: string | undefined, after: string): string {
  const lambda = failure !== undefined ? LAMBDA_TIMEOUT.exec(failure) : null;
  if (lambda) return `timed out${lambda[1] ?? after}`;
  if (failure?.includes("'timeout'")) return `timed out${after} (${failure})`;
  return `failed${after}${failure ? `: ${failure}` : ''}`;
}

/**
 * The signal an exit code of 128 + n stands for (as shells and container runtimes report a process
 * a signal ended), for the common ones: ` (SIGKILL, often out of memory)`; else ''.
 */
const SIGNALS: Readonly<Record<number, string>> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL, often out of memory', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };
function signalText(exitCode: number): string {
  const name = Object.hasOwn(SIGNALS, exitCode - 128) ? SIGNALS[exitCode - 128] : undefined;
  return name === undefined ? '' : ` (${name})`;
}

/** A signal the run's record names (`SIGKILL`), with what it often means: ` (killed by SIGKILL, often out of memory)`. */
function killedByText(signal: string): string {
  const known = Object.values(SIGNALS).find((text) => text === signal || text.startsWith(`${signal},`));
  return ` (killed by ${known ?? signal})`;
}

/**
 * A short excerpt of the end of the run's output (already redacted, as every line is when read):
 * the line of its first error marker, else its last line that is not blank. Undefined for an
 * output with no tail or a blank one.
 */
function tailExcerpt(tail: string | undefined, errorKeywords: readonly string[]): string | undefined {
  if (tail === undefined) return undefined;
  const marker = errorKeywords.length > 0 ? findErrorMarker(tail, errorKeywords) : undefined;
  if (marker) return marker.excerpt;
  const trimmed = tail.trimEnd();
  if (trimmed === '') return undefined;
  const lastLine = trimmed.lastIndexOf('\n') + 1;
  return excerptAround(trimmed, lastLine, lastLine);
}

export const runFailedDetector: RunDetector = {
  kind: 'run',
  meta: {
    id: 'run-failed',
    description: 'A run ended with a non-zero exit code, a systemd failure result or a Lambda timeout (an agent\'s root run: with status `error` or `timeout`, in any case, or a synonym).',
    subjectKind: 'job',
    defaultSeverity: 'high',
    // A failed run is not a successful one: the baseline windows never hold it.
    keepsRunOutOfBaseline: false,
    fiveCs: {
      criteria:
        'The run ended with an exit code other than 0, or with a failure of its own: a systemd failure result, a Lambda timeout. An agent\'s root run: its `agent.end` says `status: error` or `status: timeout`, in any case, or their synonyms `failed`, `failure`, `timed_out` (`ok`, `budget_exhausted`, `cancelled` and any other status are not failures).',
      cause:
        'The job (or agent) hit an error it did report: a crash, a missing dependency or credential, an unreachable upstream or model API, a full disk, or a run that outlived its timeout.',
      consequence:
        'The run’s work did not happen. Loud in the log, yet often unseen when nobody watches the exit status of scheduled jobs or cron discards the output. An agent: the task it was given was not done, and whoever called it got an error or nothing.',
      correctiveAction:
        'Read the end of the run’s log for the error, fix its cause and re-run the job; if failures are expected and retried, make sure a retry is scheduled and succeeded. An agent: read the run’s last tool results and model replies for the error, fix its cause and run the task again.',
    },
  },
  check({ run, options }) {
    if (endedWithoutFailure(run)) return [];
    const after = run.duration_ms !== undefined ? ` after ${formatDuration(run.duration_ms)}` : '';
    // A failure marker without an exit code gets 1 in the run's record: not a code to show as the run's.
    const ownExitCode = run.exit_code !== 0 && !run.exit_code_inferred;
    // What exec recorded (the signal that ended the command, the error that kept it from running) is
    // said once, in its own words; another failure beside an exit code in brackets after it.
    const signal = run.signal !== undefined ? killedByText(run.signal) : signalText(run.exit_code);
    const why = run.error !== undefined ? `: ${run.error}` : run.failure && run.signal === undefined ? ` (${run.failure})` : '';
    // The error type a Lambda REPORT named (`Runtime.OutOfMemory`) says what the status alone does not.
    const errorType = run.error_type !== undefined ? ` (${run.error_type})` : '';
    const how = `${ownExitCode ? `exited with code ${run.exit_code}${signal}${after}${why}` : failedWithoutExitCode(run.failure, after)}${errorType}`;
    const excerpt = tailExcerpt(run.output_tail, options.errorKeywords);
    return [
      {
        subject: run.job,
        run_id: run.run_id,
        ts: isoTime(run.endedAt),
        message: `run ${how}`,
        evidence: {
          exit_code: run.exit_code,
          // The 1 a failure marker without a code of its own was given: the report names no exit code from it.
          ...(run.exit_code_inferred && run.exit_code !== 0 ? { exit_code_inferred: true } : {}),
          ...(run.signal !== undefined ? { signal: run.signal } : {}),
          ...(run.failure ? { failure: run.failure } : {}),
          ...(run.error_type !== undefined ? { error_type: run.error_type } : {}),
          ...(run.duration_ms !== undefined ? { duration_ms: run.duration_ms } : {}),
          ...(run.host ? { host: run.host } : {}),
          ...(excerpt !== undefined ? { excerpt } : {}),
        },
      },
    ];
  },
};

/**
 * The `agent.end` statuses of a root run that are failures, in any case: the contract's `error`
 * (and its usual synonyms `failed`, `failure`), and `timeout` (`timed_out`). `budget_exhausted` is
 * a hard stop doing its job, `cancelled` a choice.
 */
const FAILED_AGENT_STATUSES: ReadonlySet<string> = new Set(['error', 'failed', 'failure', 'timeout', 'timed_out']);
const TIMED_OUT: ReadonlySet<string> = new Set(['timeout', 'timed_out']);

/**
 * run-failed of an agent's root run, by the same id and 5 Cs: its `agent.end` said `error` or
 * `timeout` (`FAILED_AGENT_STATUSES`: any case, synonyms too). The root only: a sub-agent's failure is its parent's to handle (a retry, a fallback),
 * and shows here when the root fails with it.
 */
export const runFailedRootRunDetector: TreeDetector = {
  kind: 'agent-tree',
  meta: { ...runFailedDetector.meta, subjectKind: 'agent' },
  check({ tree }) {
    const root = endedRoot(tree);
    const status = root?.status?.toLowerCase();
    if (root === undefined || status === undefined || !FAILED_AGENT_STATUSES.has(status)) return [];
    const durationMs = root.started_at !== undefined ? (root.ended_at as number) - root.started_at : undefined;
    const after = durationMs !== undefined ? ` after ${formatDuration(durationMs)}` : '';
    const how = TIMED_OUT.has(status) ? failedWithoutExitCode('timeout', after) : `ended with status ${root.status}${after}`;
    return [
      {
        subject: tree.agent,
        run_id: root.run_id,
        ts: isoTime(root.ended_at as number),
        message: `run ${root.run_id} ${how} (${treeWorkText(tree)})`,
        evidence: {
          status: root.status,
          ...(durationMs !== undefined ? { duration_ms: durationMs } : {}),
          actions: totalsOf(tree.runs).actions,
          runs: tree.runs.length,
          root_run_id: tree.root_run_id,
        },
      },
    ];
  },
};
