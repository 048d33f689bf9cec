import type { AbsenceCheckInput } from '../../lambdas/detectors/types.ts';

const MIN = 60_000;

/** An absence check for a daily 02:30 UTC job, judged at `now`; override what a case needs. */
export function absenceInput(overrides: Partial<AbsenceCheckInput> = {}): AbsenceCheckInput {
  return {
    job: 'nightly-backup',
    now: Date.parse('2026-10-10T12:00:00Z'),
    schedule: '30 2 * * *',
    timezone: 'UTC',
    expected: [],
    starts: [],
    graceMs: 20 * MIN,
    earlyMs: 2 * MIN,
    open: [],
    endsLogged: true,
    maxRuntimeMs: 90 * MIN,
    maxRuntimeSource: 'configured',
    reportedUnfinished: new Set(),
    ...overrides,
  };
}

export const at = (iso: string) => Date.parse(iso);
