import { isoTime } from '../core/findings.ts';
import type { DetectorMeta, FindingDraft } from './types.ts';

/** One judged run of a job: when it ran and how many `audit.write` records it produced. */
export interface AuditRunCount {
  readonly run_id: string;
  /** The run's start (else its first record, else its end), epoch ms. */
  readonly at: number;
  readonly records: number;
}

/** What a run should write: the configured `audit_records_per_run`, or the job's learned rate. */
export interface AuditExpectation {
  readonly perRun: number;
  readonly basis: 'configured' | 'learned';
  /** Completeness below this fires: 0.9 against a configured rate, 0.8 against a learned one. */
  readonly threshold: number;
  /** For a learned rate: how many runs it was learned from. */
  readonly learnedFrom?: number;
}

export interface AuditWindowInput {
  readonly job: string;
  /** The latest judged runs, oldest first. */
  readonly window: readonly AuditRunCount[];
  readonly expected: AuditExpectation;
  /** The fewest runs in the window for a judgement (`min_history`). */
  readonly minRuns: number;
  /** When the judgement is made (the latest run's time), epoch ms. */
  readonly at: number;
}

/** A detector judging the audit-trail completeness of a job's latest runs. Pure. */
export interface AuditWindowDetector {
  readonly meta: DetectorMeta;
  readonly kind: 'audit-window';
  check(input: AuditWindowInput): FindingDraft[];
}

/** Completeness against a configured rate below this fires. */
export const CONFIGURED_THRESHOLD = 0.9;
/** Completeness against a learned rate below this fires (the learned rate is a median, so runs vary around it). */
export const LEARNED_THRESHOLD = 0.8;

function capped(run: AuditRunCount, perRun: number): number {
  return Math.min(run.records, perRun);
}

/**
 * Records seen / records expected over the runs, each run counting at most its expected number,
 * so that a run that wrote extra records cannot hide one that wrote none.
 */
export function completeness(runs: readonly AuditRunCount[], perRun: number): number {
  if (runs.length === 0 || perRun <= 0) return 1;
  return runs.reduce((sum, r) => sum + capped(r, perRun), 0) / (perRun * runs.length);
}

/**
 * The run the drift began with: the earliest run that fell short itself and from which on the
 * runs' completeness stays below the threshold. Normal runs before it are not part of the drift;
 * a normal run inside it (an intermittent drift) does not end it.
 */
export function driftStart(window: readonly AuditRunCount[], perRun: number, threshold: number): AuditRunCount | undefined {
  for (let i = 0; i < window.length; i++) {
    if (capped(window[i], perRun) / perRun >= threshold) continue;
    if (completeness(window.slice(i), perRun) < threshold) return window[i];
  }
  return undefined;
}

function figure(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export const auditTrailDriftDetector: AuditWindowDetector = {
  kind: 'audit-window',
  meta: {
    id: 'audit-trail-drift',
    description: 'A job writes fewer audit records per run than it should (configured, or learned from its own runs).',
    subjectKind: 'job',
    defaultSeverity: 'high',
    fiveCs: {
      criteria:
        "Over the job's last 10 judged runs (at least `min_history`, {{min_history}}), the `audit.write` records per run (each run counted up to the expected number) fall below 90% of the job's `audit_records_per_run`, or without one below 80% of its learned rate: the median of its first 20 normal runs after its first audit record (at least `min_history`). A run is judged 15 minutes after its end (or after the next run's start, for runs that log no end), so that late audit lines still count. Reported once per drift episode, naming the run it began with; the episode ends when completeness is back above the threshold.",
      cause:
        'An audit write was moved behind a condition, a feature flag or a code path that no longer runs; a new code path does the work without writing its record; an audit sink that fails quietly or drops records under load; sampling or log-level changes.',
      consequence:
        'The audit trail looks intact while it misses actions: the job keeps working, but what it did can no longer be proved or reconstructed, which surfaces only in an incident review or a compliance audit.',
      correctiveAction:
        'Compare the code paths of a run from before the drift began with one after (deploys, flags and config changes around that date), restore the missing audit writes, and make the job fail when its audit write fails. If the job legitimately writes fewer records now, set `audit_records_per_run` for it.',
    },
  },
  check({ job, window, expected, minRuns, at }) {
    if (window.length < minRuns || expected.perRun <= 0) return [];
    const ratio = completeness(window, expected.perRun);
    if (ratio >= expected.threshold) return [];
    const began = driftStart(window, expected.perRun, expected.threshold);
    const seen = window.reduce((sum, r) => sum + capped(r, expected.perRun), 0);
    const due = expected.perRun * window.length;
    const basis = expected.basis === 'configured' ? 'configured' : `learned from ${expected.learnedFrom ?? '?'} runs`;
    const start = began ? `; the drift began with run ${began.run_id} (${isoTime(began.at)})` : '';
    return [
      {
        subject: job,
        ts: isoTime(at),
        message: `audit records at ${Math.round(ratio * 100)}% of the expected ${figure(expected.perRun)} per run (${basis}) over the last ${window.length} runs: ${figure(seen)} of ${figure(due)}${start}`,
        evidence: {
          completeness: Math.round(ratio * 1000) / 1000,
          expected_per_run: expected.perRun,
          basis: expected.basis,
          threshold: expected.threshold,
          window_runs: window.length,
          records: seen,
          expected_records: due,
          runs_below: window.filter((r) => capped(r, expected.perRun) / expected.perRun < expected.threshold).length,
          ...(began ? { began_run_id: began.run_id, began_at: isoTime(began.at) } : {}),
        },
      },
    ];
  },
};
