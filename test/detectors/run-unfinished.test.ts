import { describe, expect, it } from 'vitest';
import { runUnfinishedDetector } from '../../lambdas/detectors/run-unfinished.ts';
import { absenceInput, at } from './absence-fixtures.ts';

const open = [{ run_id: 'r-1', startedAt: at('2026-10-10T10:00:00Z'), host: 'web1' }];

describe('run-unfinished', () => {
  it.each([
    ['a run within its max runtime', { open: [{ run_id: 'r-1', startedAt: at('2026-10-10T10:31:00Z') }] }],
    ['a job whose runs never log an end (cron CMD lines)', { open, endsLogged: false }],
    ['a run already reported', { open, reportedUnfinished: new Set(['r-1']) }],
    ['no open run', { open: [] }],
  ])('is quiet for %s', (_, overrides) => {
    expect(runUnfinishedDetector.check(absenceInput(overrides))).toEqual([]);
  });

  it('fires once a run outlives its max runtime, at the deadline', () => {
    // Prepare: started 10:00, max 90 min, judged at 12:00.
    // Act
    const drafts = runUnfinishedDetector.check(absenceInput({ open }));
    // Assess
    expect(drafts).toEqual([
      {
        subject: 'nightly-backup',
        run_id: 'r-1',
        ts: '2026-10-10T11:30:00Z',
        message: 'run started 2026-10-10T10:00:00Z has logged no end after 2.0 h (max runtime 1.5 h, configured)',
        evidence: { started_at: '2026-10-10T10:00:00Z', max_runtime_ms: 5_400_000, max_runtime_source: 'configured', host: 'web1' },
      },
    ]);
  });
});
