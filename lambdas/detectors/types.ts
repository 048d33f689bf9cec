import type { Finding, Severity, SubjectKind } from '../core/findings.ts';
import type { DetectorId } from './ids.ts';

/** The 5 Cs text a detector contributes to alerts and the monthly report. */
export interface FiveCs {
  /** The rule, in words, with its threshold. */
  readonly criteria: string;
  /** The pattern's known causes. */
  readonly cause: string;
  /** What it costs when it goes unseen. */
  readonly consequence: string;
  /** What to do about it. */
  readonly correctiveAction: string;
}

export interface DetectorMeta {
  readonly id: DetectorId;
  readonly description: string;
  readonly subjectKind: SubjectKind;
  readonly defaultSeverity: Severity;
  readonly fiveCs: FiveCs;
}

/** What a detector reports; the engine adds the id, subject kind and severity. */
export type FindingDraft = Omit<Finding, 'detector' | 'subject_kind' | 'severity'> & { readonly severity?: Severity };

/** One finished run of a job, as the pipeline assembled it from start/end/failure lines. */
export interface CompletedRun {
  readonly job: string;
  readonly run_id: string;
  /** End time, epoch ms. */
  readonly endedAt: number;
  readonly startedAt?: number;
  readonly exit_code: number;
  /**
   * True when the run logged no exit code of its own: it ended with a failure marker that has none
   * (a Lambda timeout, a systemd result, a kill by signal). `exit_code` is then 1, as its run record says.
   */
  readonly exit_code_inferred?: boolean;
  /**
   * True when its end line gives no exit status at all (cronie's `CMDEND`): `exit_code` is then 0,
   * no failure being known. Its output is judged for error markers and, when its output lines were
   * logged, its `expect_pattern`, not for its size (`endedCleanly`: empty, shrunk).
   */
  readonly exit_code_unknown?: boolean;
  readonly duration_ms?: number;
  readonly output_bytes?: number;
  readonly output_lines?: number;
  readonly output_head?: string;
  readonly output_tail?: string;
  /**
   * Set when redaction changed the head or tail: the whole output as they held it before (redacted),
   * or null when they did not hold all of it. `wholeOutput` then goes by it rather than by sizes.
   */
  readonly outputWhole?: string | null;
  /**
   * The source of the job's `expect_pattern` when a line of the run's output matched it, one line at a
   * time, as it was logged (cronie's `CMDOUT` lines): in the middle of an output longer than head and tail.
   */
  readonly expectPatternSeen?: string;
  readonly host?: string;
  /**
   * Why the run failed when that is not an exit code of its own: `timeout`, `systemd: exit-code`, …;
   * for a `run.end` that `silent-audit exec` wrote with a `signal` or an `error`, `killed by SIGKILL`
   * or its error (`cannot run /usr/local/bin/bakup.sh (no such file, ENOENT)`).
   */
  readonly failure?: string;
  /** The signal that ended the run, as its `run.end` gives it (`SIGKILL`): its exit code is then 128 + its number. */
  readonly signal?: string;
  /** Why the command could not run at all, as its `run.end` gives it (exec's `error`: exit code 126 or 127). */
  readonly error?: string;
  /** The error type of a failed Lambda invocation, as its REPORT names it (`Runtime.OutOfMemory`, `Sandbox.Timedout`). */
  readonly error_type?: string;
}

/** Previous successful runs of a job, oldest first, and their medians. Read-only for detectors. */
export interface Baseline {
  readonly outputBytes: readonly number[];
  readonly durations: readonly number[];
  readonly medianOutputBytes?: number;
  readonly medianDurationMs?: number;
}

/** Defaults merged with a job's own config. */
export interface JobOptions {
  readonly minHistory: number;
  readonly baselineWindow: number;
  readonly outputShrinkRatio: number;
  readonly durationSlowFactor: number;
  readonly durationFastFactor: number;
  readonly errorKeywords: readonly string[];
  readonly expectPattern?: RegExp;
}

export interface RunCheckInput {
  readonly run: CompletedRun;
  readonly baseline: Baseline;
  readonly options: JobOptions;
  /** Ids of detectors that already fired on this run (e.g. output-shrink stays quiet after empty-output). */
  readonly firedSoFar: ReadonlySet<DetectorId>;
}

/** A run detector's meta, which says what its finding does to the run's place in the baseline. */
export interface RunDetectorMeta extends DetectorMeta {
  /**
   * Whether a run this detector fired on enters neither baseline window (durations, outputs), so
   * that a job broken night after night (6 minutes of nothing) never becomes the new normal: true
   * for a finding that the run's output or duration was abnormal. Every run detector says (a new
   * one left out would let its bad runs into the baseline, and go quiet); the job reducer reads it.
   */
  readonly keepsRunOutOfBaseline: boolean;
}

/** A detector judging one finished job run. Pure: no I/O, no clock, no environment. */
export interface RunDetector {
  readonly meta: RunDetectorMeta;
  readonly kind: 'run';
  check(input: RunCheckInput): FindingDraft[];
}

/** A run that started and has not ended, as the absence detectors see it. */
export interface OpenRunView {
  readonly run_id: string;
  readonly startedAt: number;
  readonly host?: string;
}

/** What the absence detectors judge at a moment `now`: expected starts, observed starts, open runs. */
export interface AbsenceCheckInput {
  readonly job: string;
  readonly now: number;
  /** The schedule as configured, for messages: `30 2 * * *`. */
  readonly schedule?: string;
  readonly timezone?: string;
  /** Expected start times that are due (each at least the grace time ago) and not judged before, ascending. */
  readonly expected: readonly number[];
  /**
   * The schedule's next expected times after the last of `expected` (not judged now): where the
   * last one's slot ends, and whose runs it may not take.
   */
  readonly following?: readonly number[];
  /** The schedule's expected time before the first of `expected`, when it is within 2 × `earlyMs` of it. */
  readonly previous?: number;
  /** Observed start times of recent runs (for runs that log only an end: end − duration, else the end). */
  readonly starts: readonly number[];
  /**
   * Those of `starts` that are a run's end with its start and duration unknown (logrotate's
   * `ALERT exited abnormally` line): the run started at some time before it.
   */
  readonly startsFromEnd?: readonly number[];
  readonly graceMs: number;
  /** A run may start this much before its expected time and still count (clock skew), at most half the time since the one before. */
  readonly earlyMs: number;
  readonly open: readonly OpenRunView[];
  /** Whether this job's runs log an end at all (cron `CMD` lines never do). */
  readonly endsLogged: boolean;
  readonly maxRuntimeMs: number;
  /** How max runtime was set, for messages: `configured`, `3× the median duration` or `default 1 h` (`maxRuntimeBound`). */
  readonly maxRuntimeSource: string;
  /** Open runs already reported as unfinished, by `unfinishedRunKey` (id@start), or by id alone in older states. */
  readonly reportedUnfinished: ReadonlySet<string>;
  readonly lastRunAt?: number;
  /**
   * When the sweep first saw the job configured with a schedule while nothing of it had been seen
   * (`JobState.unseenSince`): set only while nothing has, for the message.
   */
  readonly unseenSince?: number;
}

/** A detector of what did not happen: judged by the sweep (and by `scan` at `--now`). Pure. */
export interface AbsenceDetector {
  readonly meta: DetectorMeta;
  readonly kind: 'absence';
  check(input: AbsenceCheckInput): FindingDraft[];
}

/** A job whose output went nowhere (cron's "No MTA installed, discarding output"). */
export interface DiscardCheckInput {
  readonly job: string;
  readonly at: number;
  readonly host?: string;
  readonly reason: string;
  /** When this job was last reported for it; the detector reports at most once a day. */
  readonly lastReportedAt?: number;
}

export interface DiscardDetector {
  readonly meta: DetectorMeta;
  readonly kind: 'discard';
  check(input: DiscardCheckInput): FindingDraft[];
}
