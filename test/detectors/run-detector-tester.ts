import { isoTime, type Severity } from '../../lambdas/core/findings.ts';
import type { DetectorId } from '../../lambdas/detectors/ids.ts';
import type { Baseline, CompletedRun, JobOptions, RunCheckInput, RunDetector } from '../../lambdas/detectors/types.ts';
import { testDetectorTable } from './detector-table.ts';
import { DEFAULT_OPTIONS, TYPICAL_BASELINE } from './run-fixtures.ts';

/** One run put before a detector. */
export interface RunCase {
  /** What the case shows; the test's name. */
  readonly name: string;
  readonly run: CompletedRun;
  /** Default: 20 typical previous runs (`TYPICAL_BASELINE`). */
  readonly baseline?: Baseline;
  /** Merged over the shipped defaults. */
  readonly options?: Partial<JobOptions>;
  /** Detectors that already fired on this run. */
  readonly firedSoFar?: readonly DetectorId[];
}

/** A run the detector must report, with the one finding it must produce. */
export interface InvalidRunCase extends RunCase {
  readonly expected: {
    readonly severity: Severity;
    /** The whole message; an asymmetric matcher (`expect.stringMatching`) is allowed here and in the evidence. */
    readonly message: string;
    /** The whole evidence object. */
    readonly evidence: Readonly<Record<string, unknown>>;
  };
}

export interface RunDetectorTable {
  /** Runs the detector must stay quiet on. */
  readonly valid: readonly RunCase[];
  readonly invalid: readonly InvalidRunCase[];
}

/** Runs a run detector over a table of cases (`detector-table.ts`); each finding names the run, at its end. */
export function testRunDetector(detector: RunDetector, table: RunDetectorTable): void {
  const expected = (c: InvalidRunCase) => [{ ...c.expected, run_id: c.run.run_id, ts: isoTime(c.run.endedAt) }];
  testDetectorTable<RunCase>(
    detector.meta,
    (c) => c.run.job,
    (c) => detector.check(inputOf(c)),
    {
      valid: table.valid.map((c) => ({ name: c.name, input: c })),
      invalid: table.invalid.map(({ expected: _, ...input }, i) => ({ name: input.name, input, expected: expected(table.invalid[i]) })),
    },
  );
}

function inputOf(testCase: RunCase): RunCheckInput {
  return {
    run: testCase.run,
    baseline: testCase.baseline ?? TYPICAL_BASELINE,
    options: { ...DEFAULT_OPTIONS, ...testCase.options },
    firedSoFar: new Set(testCase.firedSoFar ?? []),
  };
}
