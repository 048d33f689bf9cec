import { isoTime } from '../core/findings.ts';
import type { DiscardDetector } from './types.ts';

/**
 * How long after a report the next discard of a job is not reported again: "at most once a day",
 * with room for a daily job's discard to come earlier than the day before (seconds of jitter, an
 * hour at a clock change), so a daily job's every discard is reported and an hourly job's once a day.
 */
const REPORT_AGAIN_AFTER_MS = 20 * 3_600_000;

export const outputDiscardedDetector: DiscardDetector = {
  kind: 'discard',
  meta: {
    id: 'output-discarded',
    description: "cron discarded a job's output (\"No MTA installed, discarding output\", or a failed mail of it): its errors go nowhere.",
    subjectKind: 'job',
    defaultSeverity: 'medium',
    fiveCs: {
      criteria: 'A cron job printed output and cron threw it away because no mail transport is installed. Reported at most once a day per job (not again within 20 hours, so a daily job is reported every day).',
      cause: 'cron mails a job’s output to its owner; on hosts without an MTA (most containers and cloud images) it discards it instead, so every error message the job prints is lost.',
      consequence: 'The job’s failures are invisible: whatever it printed, warnings and tracebacks included, was never seen by anyone.',
      correctiveAction:
        'Redirect the job’s output to a log file or the journal (`>> /var/log/job.log 2>&1`, or wrap it with `silent-audit exec --log …`), or set MAILTO="" deliberately and log elsewhere.',
    },
  },
  check(input) {
    if (input.lastReportedAt !== undefined && input.at - input.lastReportedAt < REPORT_AGAIN_AFTER_MS) return [];
    return [
      {
        subject: input.job,
        ts: isoTime(input.at),
        message: `cron discarded the output of "${input.job}"${input.host ? ` on ${input.host}` : ''}: ${input.reason}`,
        evidence: { reason: input.reason, ...(input.host ? { host: input.host } : {}) },
      },
    ];
  },
};
