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
  if (!(epochMs >= 0 && epochMs < YEAR_10000_MS)) return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
  // Every run and finding is timed: the date part is remembered for the last day seen, the time
  // part written by hand (a `Date` and its ISO string per call cost several times as much).
  const day = Math.floor(epochMs / DAY_MS);
  if (day !== lastDay) {
    lastDay = day;
    lastDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const second = Math.floor((epochMs - day * DAY_MS) / 1000);
  return `${lastDate}${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor(second / 60) % 60]}:${TWO_DIGITS[second % 60]}Z`;
}

const DAY_MS = 86_400_000;
/** From here on, `toISOString` writes six-digit years: such times take the slow path. */
const YEAR_10000_MS = Date.UTC(10000, 0, 1);
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
let lastDay = Number.NaN;
let lastDate = '';

/** Any ISO-8601 time, in the fixed form of `isoTime`. */
export function normalizeIso(iso: string): string {
  return isoTime(Date.parse(iso));
}
