import { isoTime } from '../core/findings.ts';
import { formatBytes } from '../core/stats.ts';
import { endedWithoutFailure, wholeOutput } from './output-content.ts';
import type { CompletedRun, RunDetector } from './types.ts';

export const expectedPatternMissingDetector: RunDetector = {
  kind: 'run',
  meta: {
    id: 'expected-pattern-missing',
    description: "A run exited 0 (or ended with its exit status not logged, its output logged) but its output lacks the job's `expect_pattern`.",
    subjectKind: 'job',
    defaultSeverity: 'medium',
    keepsRunOutOfBaseline: true,
    fiveCs: {
      criteria:
        'The job has an `expect_pattern`, the run exited 0 (or ended with its exit status not logged: the `CMDEND` of a cronie job, its output from its `CMDOUT` lines), and the pattern matches neither the head nor the tail of the output (or the output is 0 bytes) nor, for a cronie run, any one of its `CMDOUT` lines (each tested as it is logged: a pattern in the middle of an output longer than head and tail is found). Judged only when head, tail or a size of 0 is known (never for a cronie run that logged no `CMDOUT` line: its output is not known); not when `empty-output` fired on the run (an empty output holds no pattern: that finding says it all).',
      cause:
        'The job stopped doing its real work while still exiting 0: a success check that misses empty or partial results, an expired upstream API key, a changed query template, a wrong source path, a write that failed on a full disk. Or the job’s log line changed and the pattern is stale.',
      consequence:
        'The step the job exists for (the upload, the summary, the snapshot) did not happen, and nothing but this check notices.',
      correctiveAction:
        "Read the run's output for what it did instead. Fix the job if its work is missing; if only the wording changed, update `expect_pattern` in the job's config.",
    },
  },
  check({ run, options, firedSoFar }) {
    const expected = options.expectPattern;
    // An empty output holds no pattern: the empty-output finding about the run says all this one would, and pages once.
    // A run whose exit is not logged (cronie) is judged by the output its CMDOUT lines logged: none logged is none known.
    if (!expected || !endedWithoutFailure(run) || firedSoFar.has('empty-output')) return [];
    // A line of its output matched it as it was logged (a cronie run's CMDOUT line), wherever in the output.
    if (run.expectPatternSeen === expected.source) return [];
    const { output_head: head, output_tail: tail } = run;
    if (head === undefined && tail === undefined && run.output_bytes !== 0) return [];
    // A stateless copy: a shared `g` or `y` pattern would carry `lastIndex` from one run to the next.
    const pattern = new RegExp(expected.source, expected.flags.replace(/[gy]/g, ''));
    if ([head, tail].some((part) => part !== undefined && pattern.test(part))) return [];
    // Head and tail may together hold the whole output, with the pattern across where they meet.
    const whole = head !== undefined && tail !== undefined ? wholeOutput(run) : undefined;
    if (whole !== undefined && whole !== head && pattern.test(whole)) return [];
    const size = run.output_bytes !== undefined ? ` (${formatBytes(run.output_bytes)})` : '';
    return [
      {
        subject: run.job,
        run_id: run.run_id,
        ts: isoTime(run.endedAt),
        message: `expected pattern ${String(expected)} ${whereMissing(run)}${size}${run.exit_code_unknown ? ' of a run whose exit status is not logged' : ''}`,
        evidence: { pattern: expected.source, ...(run.output_bytes !== undefined ? { output_bytes: run.output_bytes } : {}) },
      },
    ];
  },
};

function whereMissing(run: CompletedRun): string {
  if (run.output_bytes === 0) return 'is missing: the output is empty';
  if (wholeOutput(run) !== undefined) return 'is not in the output';
  if (run.output_head !== undefined && run.output_tail !== undefined) return 'is in neither the head nor the tail of the output';
  return run.output_head !== undefined ? 'is not in the head of the output' : 'is not in the tail of the output';
}
