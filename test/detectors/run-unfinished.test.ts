import { describe, expect, it } from 'vitest';
import { runUnfinishedDetector } from '../../lambdas/detectors/run-unfinished.ts';
import { absenceInput, at } from './absence-fixtures.ts';

const open = [{ run_id: 'r-1', startedAt: at('2026-10-10T10:00:00Z'), host: 'web1' }];

describe('run-unfinished', () => {
  it.each([
    ['a run within its max runtime', { open: [{ run_id: 'r-1', startedAt: at('2026-10-10T10:31:00Z') }] }],
    ['a job whose runs never log an end (cron CMD lines)', { open, endsLogged: false }],
    ['a run already reported', { open, reportedUnfinished: new Set([`r-1@${at('2026-10-10T10:00:00Z')}`]) }],
    ['a run already reported, remembered by its id alone (older states)', { open, reportedUnfinished: new Set(['r-1']) }],
    ['no open run', { open: [] }],
  ])('is quiet for %s', (_, overrides) => {
    expect(runUnfinishedDetector.check(absenceInput(overrides))).toEqual([]);
  });

  it('fires for a run whose id an older run already reported uses too', () => {
    // Prepare: r-1 of 10:00 reported; another r-1 started 10:20
    const both = [...open, { run_id: 'r-1', startedAt: at('2026-10-10T10:20:00Z') }];
    // Act
    const drafts = runUnfinishedDetector.check(absenceInput({ open: both, reportedUnfinished: new Set([`r-1@${at('2026-10-10T10:00:00Z')}`]) }));
    // Assess
    expect(drafts.map((d) => [d.run_id, d.evidence?.started_at])).toEqual([['r-1', '2026-10-10T10:20:00Z']]);
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
