import { isoTime } from '../core/findings.ts';
import type { AbsenceDetector } from './types.ts';

export const missedRunDetector: AbsenceDetector = {
  kind: 'absence',
  meta: {
    id: 'missed-run',
    description: "The job's schedule expected a start and none came within the grace time.",
    subjectKind: 'job',
    defaultSeverity: 'high',
    fiveCs: {
      criteria: 'Every start the schedule expects (cron expression, in its time zone) must be followed by a run start within `grace_minutes` (default 15).',
      cause:
        'The scheduler did not fire (crontab edited or lost in a redeploy, timer disabled, host down or replaced), the job was paused and never resumed, or its logs stopped reaching CloudWatch.',
      consequence: 'Whatever the run should have produced does not exist: no backup, no report, no sync. Nothing fails, so nothing alerts.',
      correctiveAction:
        'Check the scheduler on the host (crontab -l, systemctl list-timers, the EventBridge rule), start the job by hand if its output is needed now, and check that its logs reach the monitored log group.',
    },
  },
  check(input) {
    const starts = [...input.starts].sort((a, b) => a - b);
    const used = new Set<number>();
    const drafts = [];
    for (const expected of input.expected) {
      const match = starts.find((s, i) => !used.has(i) && s >= expected - input.earlyMs && s <= expected + input.graceMs);
      if (match !== undefined) {
        used.add(starts.indexOf(match));
        continue;
      }
      const graceMinutes = Math.round(input.graceMs / 60_000);
      const where = input.timezone && input.timezone !== 'UTC' ? ` (${input.timezone})` : '';
      drafts.push({
        subject: input.job,
        ts: isoTime(expected),
        expected_at: isoTime(expected),
        message: `no run started within ${graceMinutes} min of the expected ${isoTime(expected)}${input.schedule ? ` (schedule "${input.schedule}"${where})` : ''}`,
        evidence: {
          expected_at: isoTime(expected),
          grace_minutes: graceMinutes,
          ...(input.schedule ? { schedule: input.schedule } : {}),
          ...(input.timezone ? { timezone: input.timezone } : {}),
          ...(input.lastRunAt !== undefined ? { last_run_at: isoTime(input.lastRunAt) } : {}),
        },
      });
    }
    return drafts;
  },
};
