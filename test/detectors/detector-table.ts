import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../lambdas/core/frozen-state.ts';
import type { Finding, Severity } from '../../lambdas/core/findings.ts';
import type { DetectorMeta, FindingDraft } from '../../lambdas/detectors/types.ts';

/**
 * The table runner every detector kind's tester uses, as eslint's RuleTester does for rules:
 * each input is frozen (a detector must not mutate it) and checked twice (same input, same
 * answer); `valid` cases must stay quiet, `invalid` ones must report exactly the findings given.
 */

export interface ExpectedFinding {
  readonly run_id?: string;
  readonly ts: string;
  readonly severity: Severity;
  /** The whole message (an asymmetric matcher is allowed). */
  readonly message: string | unknown;
  /** The whole evidence object. */
  readonly evidence: Readonly<Record<string, unknown>>;
}

export interface Case<I> {
  readonly name: string;
  readonly input: I;
}

export interface DetectorTable<I> {
  readonly valid: readonly Case<I>[];
  readonly invalid: readonly (Case<I> & { readonly expected: readonly ExpectedFinding[] })[];
}

/** What the engine makes of a draft: the detector's id and subject kind, its default severity unless the draft sets one. */
function asFinding(meta: DetectorMeta, draft: FindingDraft): Finding {
  return { ...draft, detector: meta.id, subject_kind: meta.subjectKind, severity: draft.severity ?? meta.defaultSeverity };
}

export function testDetectorTable<I>(meta: DetectorMeta, subjectOf: (input: I) => string, check: (input: I) => FindingDraft[], cases: DetectorTable<I>): void {
  const run = (input: I) => {
    const frozen = deepFreeze(structuredClone(input));
    const first = check(frozen).map((d) => asFinding(meta, d));
    expect(check(frozen).map((d) => asFinding(meta, d)), 'a second check of the same input gives the same findings').toEqual(first);
    return first;
  };
  describe(meta.id, () => {
    describe('valid: stays quiet', () => {
      it.each(cases.valid)('$name', ({ input }) => {
        // Prepare, Act
        const findings = run(input);
        // Assess
        expect(findings).toEqual([]);
      });
    });
    describe('invalid: reports', () => {
      it.each(cases.invalid)('$name', ({ input, expected }) => {
        // Prepare, Act
        const findings = run(input);
        // Assess
        expect(findings).toHaveLength(expected.length);
        findings.forEach((finding, i) => {
          expect(finding.detector).toBe(meta.id);
          expect(finding.subject_kind).toBe(meta.subjectKind);
          expect(finding.subject).toBe(subjectOf(input));
          expect(finding.run_id).toBe(expected[i].run_id);
          expect(finding.ts).toBe(expected[i].ts);
          expect(finding.severity).toBe(expected[i].severity);
          expect(finding.message).toEqual(expected[i].message);
          expect(finding.evidence).toEqual(expected[i].evidence);
        });
      });
    });
  });
}
