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
  readonly duration_ms?: number;
  readonly output_bytes?: number;
  readonly output_lines?: number;
  readonly output_head?: string;
  readonly output_tail?: string;
  readonly host?: string;
  /** Why the run failed when that is not an exit code of its own: `timeout`, `systemd: exit-code`, … */
  readonly failure?: string;
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

/** A detector judging one finished job run. Pure: no I/O, no clock, no environment. */
export interface RunDetector {
  readonly meta: DetectorMeta;
  readonly kind: 'run';
  check(input: RunCheckInput): FindingDraft[];
}
