import { describe, expect, it } from 'vitest';
import { outputDiscardedDetector } from '../../lambdas/detectors/output-discarded.ts';

const base = { job: 'backup.sh', at: Date.parse('2026-10-05T02:30:02Z'), host: 'web1', reason: 'No MTA installed, discarding output' };

describe('output-discarded', () => {
  it('fires the first time a job’s output is discarded', () => {
    expect(outputDiscardedDetector.check(base)).toEqual([
      {
        subject: 'backup.sh',
        ts: '2026-10-05T02:30:02Z',
        message: 'cron discarded the output of "backup.sh" on web1: No MTA installed, discarding output',
        evidence: { reason: 'No MTA installed, discarding output', host: 'web1' },
      },
    ]);
  });

  it.each([
    ['reported an hour ago', Date.parse('2026-10-05T01:30:02Z'), 0],
    ['reported 19 h ago', Date.parse('2026-10-04T07:30:02Z'), 0],
    ["reported a day ago, a second later than today's (a daily job's jitter)", Date.parse('2026-10-04T02:30:03Z'), 1],
    ['reported 23 h ago (a daily job in local time, the day the clocks went forward)', Date.parse('2026-10-04T03:30:02Z'), 1],
    ['reported 25 h ago', Date.parse('2026-10-04T01:30:02Z'), 1],
  ])('reports at most once a day, a daily job every day: %s', (_, lastReportedAt, count) => {
    expect(outputDiscardedDetector.check({ ...base, lastReportedAt })).toHaveLength(count);
  });
});
