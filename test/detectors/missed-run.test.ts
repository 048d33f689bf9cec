import { describe, expect, it } from 'vitest';
import { missedRunDetector } from '../../lambdas/detectors/missed-run.ts';
import { absenceInput, at } from './absence-fixtures.ts';

describe('missed-run', () => {
  it.each([
    ['a run on time', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:30:05Z']],
    ['a run 19 min late (grace 20)', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:49:00Z']],
    ['a run 1 min early (clock skew)', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:29:00Z']],
    ['nothing due', [], []],
    ['two expected, two runs', ['2026-10-08T02:30:00Z', '2026-10-09T02:30:00Z'], ['2026-10-08T02:31:00Z', '2026-10-09T02:31:00Z']],
  ])('is quiet for %s', (_, expected, starts) => {
    // Act
    const drafts = missedRunDetector.check(absenceInput({ expected: expected.map(at), starts: starts.map(at) }));
    // Assess
    expect(drafts).toEqual([]);
  });

  it.each([
    ['no run at all', ['2026-10-09T02:30:00Z'], [], ['2026-10-09T02:30:00Z']],
    ['a run 21 min late', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:51:00Z'], ['2026-10-09T02:30:00Z']],
    ['a run 3 min early', ['2026-10-09T02:30:00Z'], ['2026-10-09T02:27:00Z'], ['2026-10-09T02:30:00Z']],
    ['one run for two expected starts', ['2026-10-08T02:30:00Z', '2026-10-09T02:30:00Z'], ['2026-10-08T02:31:00Z'], ['2026-10-09T02:30:00Z']],
  ])('fires for %s, once per expected start, with expected_at', (_, expected, starts, missed) => {
    const drafts = missedRunDetector.check(absenceInput({ expected: expected.map(at), starts: starts.map(at), lastRunAt: at('2026-10-08T02:31:00Z') }));
    expect(drafts.map((d) => d.expected_at)).toEqual(missed.map((m) => m.replace('.000', '')));
    expect(drafts[0]).toMatchObject({
      subject: 'nightly-backup',
      ts: missed[0],
      message: `no run started within 20 min of the expected ${missed[0]} (schedule "30 2 * * *")`,
      evidence: { expected_at: missed[0], grace_minutes: 20, schedule: '30 2 * * *', timezone: 'UTC', last_run_at: '2026-10-08T02:31:00Z' },
    });
  });

  it('names a non-UTC time zone in the message', () => {
    const [draft] = missedRunDetector.check(absenceInput({ timezone: 'Europe/Berlin', expected: [at('2026-10-26T01:30:00Z')] }));
    expect(draft.message).toBe('no run started within 20 min of the expected 2026-10-26T01:30:00Z (schedule "30 2 * * *" (Europe/Berlin))');
  });
});
