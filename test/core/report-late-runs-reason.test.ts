import { describe, expect, it } from 'vitest';
import { retractLateRuns } from '../../lambdas/core/report/late-runs.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import type { RunRecord } from '../../lambdas/ports.ts';

const at = (time: string) => Date.parse(`2026-10-14T${time}Z`);
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

function missed(job: string, expected: string, schedule: string, grace_minutes: number): Finding {
  const expected_at = iso(at(expected));
  return { detector: 'missed-run', subject: job, subject_kind: 'job', ts: expected_at, severity: 'high', message: `no run of ${job} at ${expected_at}`, evidence: { expected_at, schedule, grace_minutes } };
}

/** A run record with its duration: its start known. */
const timed = (job: string, run_id: string, started: string, ms: number): RunRecord => ({ subject: job, subject_kind: 'job', run_id, ts: iso(at(started) + ms), status: 'ok', exit_code: 0, duration_ms: ms });
/** A run record rebuilt from an end line alone: no duration, its start unknown. */
const endOnly = (job: string, run_id: string, ended: string): RunRecord => ({ subject: job, subject_kind: 'job', run_id, ts: iso(at(ended)), status: 'ok', exit_code: 0 });

describe('retractLateRuns: the run named in a retracted missed-run', () => {
  it('names the run read from its end line alone when another run started at the same time, and says it ended then', () => {
    // Prepare: an hourly job due 10:00 (15 min grace); a run that started 10:05 (ended 10:15) and one known only from its end at 10:05.
    const finding = missed('backup', '10:00:00', '0 * * * *', 15);
    const runs = [timed('backup', 'backup-timed', '10:05:00', 10 * 60_000), endOnly('backup', 'backup-end-only', '10:05:00')];
    // Act
    const { kept, retracted } = retractLateRuns([finding], runs);
    // Assess
    expect(kept).toEqual([]);
    expect(retracted.map((r) => [r.run_id, r.reason])).toEqual([
      ['backup-end-only', "its run backup-end-only ended 2026-10-14T10:05:00Z, before the next expected start; the run's lines reached the audit after the sweep had judged the start missed"],
    ]);
  });

  it('does not say "before the next expected start" of a run that ended exactly at the next expected start', () => {
    // Prepare: a job due every 5 min (15 min grace) missed 10:00; the next slot, 10:05, has two runs: one known only from its end at exactly 10:05, counted late for 10:00.
    const finding = missed('poll', '10:00:00', '*/5 * * * *', 15);
    const runs = [endOnly('poll', 'poll-late', '10:05:00'), timed('poll', 'poll-next', '10:06:00', 30_000)];
    // Act
    const { kept, retracted } = retractLateRuns([finding], runs);
    // Assess
    expect(kept).toEqual([]);
    expect(retracted.map((r) => [r.run_id, r.reason])).toEqual([
      ['poll-late', "its run poll-late ended 2026-10-14T10:05:00Z; the run's lines reached the audit after the sweep had judged the start missed"],
    ]);
  });

  it('says "before the next expected start" of a run that ended 1 ms before it', () => {
    // Prepare: as above, the end 1 ms before 10:05 (shown to the second).
    const finding = missed('poll', '10:00:00', '*/5 * * * *', 15);
    const runs = [endOnly('poll', 'poll-late', '10:04:59.999'), timed('poll', 'poll-next', '10:06:00', 30_000)];
    // Act
    const { retracted } = retractLateRuns([finding], runs);
    // Assess
    expect(retracted.map((r) => r.reason)).toEqual([
      "its run poll-late ended 2026-10-14T10:04:59Z, before the next expected start; the run's lines reached the audit after the sweep had judged the start missed",
    ]);
  });
});
