import { describe, expect, it } from 'vitest';
import { monthSpan } from '../../lambdas/core/report/month.ts';
import { silencedSection } from '../../lambdas/core/report/silenced.ts';
import type { MaintenanceWindow } from '../../lambdas/core/snooze.ts';
import type { Snooze } from '../../lambdas/ports.ts';

const OCTOBER = monthSpan('2026-10');
const GENERATED = Date.parse('2026-11-01T06:00:00Z');
const START = Date.parse('2026-10-03T00:00:00Z');
const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();

const snooze = (id: string, fromMs: number, toMs: number, subject = 'etl-loader'): Snooze => ({
  id,
  subject,
  until: iso(toMs),
  created_at: iso(fromMs),
  owner: 'ops@example.com',
  reason: 'storage migration',
  status: 'active',
  origin: 'cli',
  created_by: 'alice',
});
const oneOff = (name: string, fromMs: number, toMs: number): MaintenanceWindow => ({ name, subjects: ['etl-loader'], start: iso(fromMs), end: iso(toMs), owner: 'ops@example.com', reason: 'migration' }) as MaintenanceWindow;
const recurring = (name: string, minutes: number): MaintenanceWindow =>
  ({ name, subjects: ['etl-loader'], cron: '0 4 1 * *', duration_minutes: minutes, until: '2027-06-01T00:00:00Z', owner: 'ops@example.com', reason: 'patching' }) as MaintenanceWindow;

const section = (snoozes: readonly Snooze[], windows: readonly MaintenanceWindow[] = []) => silencedSection({ span: OCTOBER, snoozes, windows, findings: [], generatedAtMs: GENERATED });

describe('the report flags a silence longer than 7 days, and only such', () => {
  it('flags a snooze of 7 days and 1 ms, not one of exactly 7 days', () => {
    // Act
    const s = section([snooze('SZ-7d', START, START + 7 * DAY, 'a'), snooze('SZ-7d1ms', START, START + 7 * DAY + 1, 'b')]);
    // Assess
    expect(s.snoozes.map((x) => [x.id, x.exception !== undefined])).toEqual([
      ['SZ-7d', false],
      ['SZ-7d1ms', true],
    ]);
    expect(s.exceptions).toEqual([expect.stringMatching(/^SZ-7d1ms \(snooze on b\): 7\.1 days, longer than 7 days/)]);
  });

  it('flags a one-off maintenance window of 7 days and 1 ms, not one of exactly 7 days', () => {
    // Act
    const s = section([], [oneOff('w-7d', START, START + 7 * DAY), oneOff('w-7d1ms', START, START + 7 * DAY + 1)]);
    // Assess
    expect(s.exceptions).toEqual([expect.stringMatching(/^w-7d1ms \(maintenance window on etl-loader\): 7\.1 days at a time, longer than 7 days/)]);
  });

  it('flags a recurring maintenance window of 7 days and 1 minute at a time, not one of exactly 7 days', () => {
    // Act
    const s = section([], [recurring('w-7d', 7 * 24 * 60), recurring('w-7d1min', 7 * 24 * 60 + 1)]);
    // Assess
    expect(s.exceptions).toEqual([expect.stringMatching(/^w-7d1min \(maintenance window on etl-loader\): 7\.1 days at a time, longer than 7 days/)]);
  });

  it('flags snoozes renewed back to back for 7 days and 1 ms, not for exactly 7 days', () => {
    // Act: two snoozes of 3.5 days back to back on one subject, and two on another ending 1 ms later.
    const half = 3.5 * DAY;
    const s = section([
      snooze('SZ-a1', START, START + half, 'a'),
      snooze('SZ-a2', START + half, START + 7 * DAY, 'a'),
      snooze('SZ-b1', START, START + half, 'b'),
      snooze('SZ-b2', START + half, START + 7 * DAY + 1, 'b'),
    ]);
    // Assess
    expect(s.exceptions).toEqual([expect.stringMatching(/^b snoozed back to back by SZ-b1, SZ-b2: 7\.1 days from 2026-10-03, longer than 7 days/)]);
  });
});
