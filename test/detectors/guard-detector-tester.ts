import { describe, expect, it } from 'vitest';
import type { GuardBypass } from '../../lambdas/core/events.ts';
import type { Finding, Severity } from '../../lambdas/core/findings.ts';
import type { BypassCheckInput, BypassDetector } from '../../lambdas/core/guard-bypass.ts';
import type { GuardException } from '../../lambdas/ports.ts';

/** One bypass put before a guard detector. */
export interface BypassCase {
  readonly name: string;
  readonly bypass: GuardBypass;
  /** ISO time of the bypass. */
  readonly at: string;
  /** The registry entry the bypass names, if any. */
  readonly exception?: GuardException;
}

export interface InvalidBypassCase extends BypassCase {
  readonly expected: { readonly severity: Severity; readonly message: string; readonly evidence: Readonly<Record<string, unknown>> };
}

/**
 * Runs a guard detector over a table of cases, as eslint's RuleTester does: each input is frozen
 * and checked twice (same answer both times).
 */
export function testBypassDetector(detector: BypassDetector, table: { valid: readonly BypassCase[]; invalid: readonly InvalidBypassCase[] }): void {
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
        expect(finding.subject_kind).toBe('guard');
        expect(finding.subject).toBe(testCase.bypass.guard);
        expect(finding.run_id).toBeUndefined();
        expect(finding.ts).toBe(`${testCase.at.slice(0, 19)}Z`);
        expect(finding.severity).toBe(testCase.expected.severity);
        expect(finding.message).toEqual(testCase.expected.message);
        expect(finding.evidence).toEqual(testCase.expected.evidence);
      });
    });
  });
}

function inputOf(testCase: BypassCase): BypassCheckInput {
  return deepFreeze({ bypass: structuredClone(testCase.bypass), at: Date.parse(testCase.at), exception: testCase.exception && structuredClone(testCase.exception) });
}

function check(detector: BypassDetector, input: BypassCheckInput): Finding[] {
  const run = () => detector.check(input).map((d) => ({ ...d, detector: detector.meta.id, subject_kind: detector.meta.subjectKind, severity: d.severity ?? detector.meta.defaultSeverity }));
  const first = run();
  expect(run(), 'a second check of the same input gives the same findings').toEqual(first);
  return first;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
