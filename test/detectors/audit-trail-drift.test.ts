import { describe, expect, it } from 'vitest';
import {
  type AuditRunCount,
  type AuditWindowInput,
  auditTrailDriftDetector,
  completeness,
  driftStart,
} from '../../lambdas/detectors/audit-trail-drift.ts';

const DAY = 86_400_000;
const START = Date.parse('2026-10-01T02:00:00Z');

/** Daily runs r-1, r-2, … with the given audit record counts. */
function runs(...records: number[]): AuditRunCount[] {
  return records.map((n, i) => ({ run_id: `r-${i + 1}`, at: START + i * DAY, records: n }));
}

const configured = { perRun: 1, basis: 'configured', threshold: 0.9 } as const;
const learned = { perRun: 12, basis: 'learned', threshold: 0.8, learnedFrom: 20 } as const;

function input(window: AuditRunCount[], expected: AuditWindowInput['expected'] = configured): AuditWindowInput {
  return Object.freeze({ job: 'invoice-sync', window, expected, minRuns: 5, at: window[window.length - 1].at + 3_600_000 });
}

describe('audit-trail-drift', () => {
  describe('valid: stays quiet', () => {
    it.each([
      { name: 'every run wrote its configured record', input: input(runs(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)) },
      { name: 'one run of ten missed its record (90%, not below)', input: input(runs(1, 1, 1, 1, 1, 0, 1, 1, 1, 1)) },
      { name: 'too few runs to judge (min_history)', input: input(runs(0, 0, 0, 0)) },
      { name: 'a learned rate, runs varying around it', input: input(runs(12, 10, 13, 11, 12, 9, 12, 14, 12, 11), learned) },
      { name: 'extra records in some runs', input: input(runs(3, 1, 1, 2, 1, 1), configured) },
    ])('$name', ({ input }) => {
      expect(auditTrailDriftDetector.check(input)).toEqual([]);
    });
  });

  describe('invalid: reports', () => {
    it.each([
      {
        name: 'a configured record per run stops after run 8',
        input: input(runs(1, 1, 1, 1, 1, 1, 1, 0, 0)),
        message: 'audit records at 78% of the expected 1 per run (configured) over the last 9 runs: 7 of 9; the drift began with run r-8 (2026-10-08T02:00:00Z)',
        evidence: { completeness: 0.778, expected_per_run: 1, basis: 'configured', threshold: 0.9, window_runs: 9, records: 7, expected_records: 9, runs_below: 2, began_run_id: 'r-8', began_at: '2026-10-08T02:00:00Z' },
      },
      {
        name: 'a learned rate halves; extra records before the drift do not hide it',
        input: input(runs(20, 12, 12, 12, 12, 6, 6, 5, 6, 6), learned),
        message: 'audit records at 74% of the expected 12 per run (learned from 20 runs) over the last 10 runs: 89 of 120; the drift began with run r-6 (2026-10-06T02:00:00Z)',
        evidence: { completeness: 0.742, expected_per_run: 12, basis: 'learned', threshold: 0.8, window_runs: 10, records: 89, expected_records: 120, runs_below: 5, began_run_id: 'r-6', began_at: '2026-10-06T02:00:00Z' },
      },
      {
        name: 'an intermittent drift: every other run writes nothing',
        input: input(runs(1, 1, 1, 1, 0, 1, 0, 1, 0, 1)),
        message: 'audit records at 70% of the expected 1 per run (configured) over the last 10 runs: 7 of 10; the drift began with run r-5 (2026-10-05T02:00:00Z)',
        evidence: { completeness: 0.7, expected_per_run: 1, basis: 'configured', threshold: 0.9, window_runs: 10, records: 7, expected_records: 10, runs_below: 3, began_run_id: 'r-5', began_at: '2026-10-05T02:00:00Z' },
      },
    ])('$name', ({ input, message, evidence }) => {
      // Act
      const findings = auditTrailDriftDetector.check(input);
      // Assess
      expect(findings).toHaveLength(1);
      expect(findings[0]).toEqual({ subject: 'invoice-sync', ts: `${new Date(input.at).toISOString().slice(0, 19)}Z`, message, evidence });
      expect(auditTrailDriftDetector.check(input)).toEqual(findings);
    });
  });

  it('counts each run at most its expected number, so completeness never exceeds 1', () => {
    expect(completeness(runs(5, 0), 1)).toBe(0.5);
    expect(completeness(runs(5, 5), 1)).toBe(1);
    expect(completeness([], 1)).toBe(1);
  });

  it('names no drift start while the runs are complete', () => {
    expect(driftStart(runs(1, 1, 1), 1, 0.9)).toBeUndefined();
    expect(driftStart(runs(1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1), 1, 0.9)).toBeUndefined();
  });
});
