import type { GuardBypass } from '../../lambdas/core/events.ts';
import type { Severity } from '../../lambdas/core/findings.ts';
import type { BypassCheckInput, BypassDetector } from '../../lambdas/core/guard-bypass.ts';
import type { GuardException } from '../../lambdas/ports.ts';
import { testDetectorTable } from './detector-table.ts';

/** One bypass put before a guard detector. */
export interface BypassCase {
  readonly name: string;
  readonly bypass: GuardBypass;
  /** ISO time of the bypass. */
  readonly at: string;
  /** The registry entry the bypass names, if any. */
  readonly exception?: GuardException;
  /** ISO time it is judged at (a line read late); the bypass's own when absent. */
  readonly now?: string;
}

export interface InvalidBypassCase extends BypassCase {
  readonly expected: { readonly severity: Severity; readonly message: string; readonly evidence: Readonly<Record<string, unknown>> };
}

/** Runs a guard detector over a table of cases (`detector-table.ts`); each finding names the guard, at the bypass. */
export function testBypassDetector(detector: BypassDetector, table: { valid: readonly BypassCase[]; invalid: readonly InvalidBypassCase[] }): void {
  const expected = (c: InvalidBypassCase) => [{ ...c.expected, run_id: undefined, ts: `${c.at.slice(0, 19)}Z` }];
  testDetectorTable<BypassCase>(
    detector.meta,
    (c) => c.bypass.guard,
    (c) => detector.check(inputOf(c)),
    {
      valid: table.valid.map((c) => ({ name: c.name, input: c })),
      invalid: table.invalid.map(({ expected: _, ...input }, i) => ({ name: input.name, input, expected: expected(table.invalid[i]) })),
    },
  );
}

function inputOf(testCase: BypassCase): BypassCheckInput {
  return { bypass: testCase.bypass, at: Date.parse(testCase.at), exception: testCase.exception, now: testCase.now === undefined ? undefined : Date.parse(testCase.now) };
}
