import type { Finding } from '../core/findings.ts';

/** At most this many findings in an invocation's response. */
export const MAX_RESPONSE_FINDINGS = 50;
/** ... and at most this many bytes of their JSON: a finding's evidence may hold up to 64 KiB. */
export const MAX_RESPONSE_FINDING_BYTES = 1_048_576;

/** A report as an invocation returns it: its findings cut to the first ones that fit (`withFindingsCut`). */
export type CutResponse<R extends { readonly findings: readonly Finding[] }> = Omit<R, 'findings'> & {
  readonly findings: readonly Finding[];
  /** How many findings were left out of `findings` (0 when none). */
  readonly findingsLeftOut: number;
};

/**
 * What an invocation returns: its report with the findings cut to the first ones that fit. Lambda
 * refuses a response over 6 MB as a function error, so an invocation of thousands of findings,
 * stored and alerted, would read as failed (a redrive loop stops there; a scheduled sweep is
 * retried and counted in `Errors`). Every finding is stored in the table whatever the response holds.
 */
export function withFindingsCut<R extends { readonly findings: readonly Finding[] }>(report: R): CutResponse<R> {
  const findings: Finding[] = [];
  let bytes = 0;
  for (const finding of report.findings) {
    if (findings.length === MAX_RESPONSE_FINDINGS) break;
    bytes += Buffer.byteLength(JSON.stringify(finding)) + 1;
    if (bytes > MAX_RESPONSE_FINDING_BYTES) break;
    findings.push(finding);
  }
  return { ...report, findings, findingsLeftOut: report.findings.length - findings.length };
}
