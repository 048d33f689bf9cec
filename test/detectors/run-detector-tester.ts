import { describe, expect, it } from 'vitest';
import { type Finding, isoTime, type Severity } from '../../lambdas/core/findings.ts';
import type { DetectorId } from '../../lambdas/detectors/ids.ts';
import type { Baseline, CompletedRun, DetectorMeta, FindingDraft, JobOptions, RunCheckInput, RunDetector } from '../../lambdas/detectors/types.ts';
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

/**
 * Runs a detector over a table of cases, as eslint's RuleTester does for rules. Each input is
 * frozen (a detector must not mutate it) and checked twice (a detector must give the same
 * answer for the same input).
 */
export function testRunDetector(detector: RunDetector, table: RunDetectorTable): void {
  describe(detector.meta.id, () => {
    describe('valid: stays quiet', () => {
      it.each(table.valid)('$name', (testCase) => {
        // Prepare
        const input = inputOf(testCase);

        // Act
        const findings = check(detector, input);

        // Assess
        expect(findings).toEqual([]);
      });
    });

    describe('invalid: reports', () => {
      it.each(table.invalid)('$name', (testCase) => {
        // Prepare
        const input = inputOf(testCase);

        // Act
        const findings = check(detector, input);

        // Assess
        expect(findings).toHaveLength(1);
        const [finding] = findings;
        expect(finding.detector).toBe(detector.meta.id);
        expect(finding.subject_kind).toBe('job');
        expect(finding.severity).toBe(testCase.expected.severity);
        expect(finding.subject).toBe(testCase.run.job);
        expect(finding.run_id).toBe(testCase.run.run_id);
        expect(finding.ts).toBe(isoTime(testCase.run.endedAt));
        expect(finding.message).toEqual(testCase.expected.message);
        expect(finding.evidence).toEqual(testCase.expected.evidence);
      });
    });
  });
}

function inputOf(testCase: RunCase): RunCheckInput {
  return deepFreeze({
    run: structuredClone(testCase.run),
    baseline: structuredClone(testCase.baseline ?? TYPICAL_BASELINE),
    options: structuredClone({ ...DEFAULT_OPTIONS, ...testCase.options }),
    firedSoFar: new Set(testCase.firedSoFar ?? []),
  });
}

function check(detector: RunDetector, input: RunCheckInput): Finding[] {
  const first = detector.check(input).map((draft) => asFinding(detector.meta, draft));
  const again = detector.check(input).map((draft) => asFinding(detector.meta, draft));
  expect(again, 'a second check of the same input gives the same findings').toEqual(first);
  return first;
}

/** What the engine makes of a draft: the detector's id and subject kind, its default severity unless the draft sets one. */
function asFinding(meta: DetectorMeta, draft: FindingDraft): Finding {
  return { ...draft, detector: meta.id, subject_kind: meta.subjectKind, severity: draft.severity ?? meta.defaultSeverity };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
