import { isoTime } from '../core/findings.ts';
import { countsNothingAfter, endedWithoutFailure, excerptAround, findErrorMarker, type ErrorMarkerMatch } from './output-content.ts';
import type { RunDetector } from './types.ts';

export const errorKeywordDetector: RunDetector = {
  kind: 'run',
  meta: {
    id: 'error-keyword',
    description: 'A run exited 0 (or ended with its exit status not logged) but its output holds an error marker.',
    subjectKind: 'job',
    defaultSeverity: 'high',
    keepsRunOutOfBaseline: true,
    fiveCs: {
      criteria:
        'The run exited 0, or ended with its exit status not logged (a cronie job\'s `CMDEND`: no failure known), and the head or tail of its output holds one of `error_keywords` (by default `Traceback (most recent call last)`, `FATAL`, `panic:`, `No space left on device`, `ERROR:`, `Segmentation fault`, `Out of memory`). All-caps markers match case-sensitively and as whole words; counts of nothing such as `0 errors`, `ERROR: 0` or `FATAL: none` do not count. In a run whose exit status is not logged, a program\'s own error line counts too: a lower-case name and `: error:` starting a line (`vacuumdb: error: could not connect to server`), not a count of nothing (`summary: error: 0`) nor a setting (`log_level: error: …`, `level: error: false`).',
      cause:
        'An error was caught, logged and swallowed: a wrapper script that ignores a failing step’s status (a pipe, a missing `set -e`), a catch-all handler that prints and returns 0, a child process whose crash or full disk never reaches the exit code. For a run whose exit status is not logged, the job may also have failed outright: the marker is the only sign the log gives.',
      consequence:
        'The run is counted as a success (or, its exit status not logged, as no failure) while part of its work failed; the error sits in the logs until its effects (missing or corrupt data) surface somewhere else.',
      correctiveAction:
        "Read the excerpt and the run's log around it, fix the failing step, and make the job propagate the failure (`set -euo pipefail`, re-raise after logging) so the exit code tells the truth; for a run whose exit status is not logged (cronie), find it where the job ran (cronie's mail, the job's own log), or have the job log its exit status.",
    },
  },
  check({ run, options }) {
    if (!endedWithoutFailure(run) || options.errorKeywords.length === 0) return [];
    const found =
      firstIn(run.output_head, run.output_tail, (text) => findErrorMarker(text, options.errorKeywords)) ??
      (run.exit_code_unknown ? firstIn(run.output_head, run.output_tail, programError) : undefined);
    if (found === undefined) return [];
    return [
      {
        subject: run.job,
        run_id: run.run_id,
        ts: isoTime(run.endedAt),
        message: `${run.exit_code_unknown ? 'ended (its exit status not logged)' : 'exited 0'} but its output holds the error marker "${found.keyword}": ${found.excerpt}`,
        evidence: { keyword: found.keyword, excerpt: found.excerpt, where: found.where },
      },
    ];
  },
};

/** The first marker `find` finds in the head, else in the tail, with where it was. */
function firstIn(
  head: string | undefined,
  tail: string | undefined,
  find: (text: string) => ErrorMarkerMatch | undefined,
): (ErrorMarkerMatch & { readonly where: 'head' | 'tail' }) | undefined {
  const inHead = head !== undefined ? find(head) : undefined;
  if (inHead) return { ...inHead, where: 'head' };
  // A short output is its own head and tail (`wrap` sends both): it was just searched.
  const inTail = tail !== undefined && tail !== head ? find(tail) : undefined;
  return inTail ? { ...inTail, where: 'tail' } : undefined;
}

/**
 * A program's own error line, `<prog>: error: …` (`vacuumdb: error: could not connect to server`,
 * `pg_dump: error: …`): a lower-case name starting its line. Taken as an error marker only in a run
 * whose exit status is not logged (cronie's `CMDEND`), where it is the only sign of a failure the
 * log gives; a run with a known exit is judged by the configured `error_keywords` alone.
 */
const PROGRAM_ERROR = /^([a-z][a-z0-9_.+-]{0,63}): error:/gm;
/** A setting's name, not a program's: `level: error: …`, `log_level: error: only errors are logged`, `verbosity: error:`. */
const SETTING_NAME = /(?:^|[_.-])(?:level|loglevel|verbosity|severity|threshold)$/;

/** The first `<prog>: error:` line (`PROGRAM_ERROR`) of `text`. */
function programError(text: string): ErrorMarkerMatch | undefined {
  // Most outputs hold no `: error:` at all: the regex is not run on them.
  if (!text.includes(': error:')) return undefined;
  PROGRAM_ERROR.lastIndex = 0;
  for (let match = PROGRAM_ERROR.exec(text); match; match = PROGRAM_ERROR.exec(text)) {
    const end = match.index + match[0].length;
    // A setting (`log_level: error: …`, `level: error: false`) or a count of nothing, by the rule of the error markers
    // (`summary: error: 0.`, `pg_dump: error: none`, `check: error: none found`; not `backup: error: none of the …`).
    if (SETTING_NAME.test(match[1]) || countsNothingAfter(text, end)) continue;
    return { keyword: match[0], index: match.index, excerpt: excerptAround(text, match.index, end) };
  }
  return undefined;
}
