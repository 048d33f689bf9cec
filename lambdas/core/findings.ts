import type { DetectorId } from '../detectors/ids.ts';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type SubjectKind = 'job' | 'agent' | 'tool' | 'route' | 'guard';

/** A finding record, contract §3. Extra fields beyond the contract are ours. */
export interface Finding {
  readonly detector: DetectorId;
  readonly subject: string;
  readonly subject_kind: SubjectKind;
  readonly run_id?: string;
  /** ISO-8601 time of what the finding is about (the run's end, the expected start, …). */
  readonly ts: string;
  readonly severity: Severity;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  /** `missed-run` only: when the run was expected. */
  readonly expected_at?: string;
}

/** A stable identity for a finding: the same observation always gets the same key. */
export function findingKey(f: Pick<Finding, 'detector' | 'subject' | 'run_id' | 'ts' | 'expected_at'>): string {
  return [f.ts, f.detector, f.subject, f.run_id ?? f.expected_at ?? ''].join('#');
}

/**
 * Finding and record times, to the second (`2026-10-03T02:31:07Z`): one fixed width, so that
 * times compare correctly as strings (DynamoDB sort keys, range queries).
 */
export function isoTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

/** Any ISO-8601 time, in the fixed form of `isoTime`. */
export function normalizeIso(iso: string): string {
  return isoTime(Date.parse(iso));
}
