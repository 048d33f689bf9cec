import { addedAfter, EXPIRING_WITHIN_DAYS, exceptionStanding, expiryInForce } from '../core/exception-registry.ts';
import { isoTime } from '../core/findings.ts';
import type { BypassDetector } from '../core/guard-bypass.ts';

export const guardExceptionExpiringDetector: BypassDetector = {
  kind: 'bypass',
  meta: {
    id: 'guard-exception-expiring',
    description: 'An exception still in use expires within 14 days.',
    subjectKind: 'guard',
    defaultSeverity: 'medium',
    fiveCs: {
      criteria:
        'A guard is bypassed under a valid exception that expires within 14 days of the bypass (UTC days; the expiry day is the last valid one). Announced once per exception and expiry date, on the first such bypass; a renewal to a new date arms it again.',
      cause:
        'The term agreed for a bypass is running out while the bypass is still in use: the work that was to make the guard unnecessary is not done yet, or was forgotten.',
      consequence:
        'Once the exception expires, every bypass under it is reported as `guard-exception-expired`; if nobody decides before then, a temporary bypass drifts into a permanent one.',
      correctiveAction:
        "Ask the exception's owner to decide before the date: remove the bypass and restore the guard, or renew it with the reason it is still needed (`silent-audit exceptions renew ID --expires … --reason …`).",
    },
  },
  check({ bypass, at, exception, now }) {
    // A bypass before the exception was added is guard-bypass-unregistered.
    if (exception === undefined || exception.guard !== bypass.guard || addedAfter(exception, at) !== undefined) return [];
    const { standing, daysLeft } = exceptionStanding(exception, at);
    // A term that has been renewed since the bypass is not running out any more, and one revoked
    // or expired since (a late line, a backfill) has ended: nothing to announce, no renewal to ask for.
    if (standing !== 'expiring' || expiryInForce(exception, at) !== exception.expires || exception.status === 'revoked') return [];
    if (now !== undefined && exceptionStanding(exception, now).daysLeft < 0) return [];
    const when = daysLeft === 0 ? 'today' : `in ${daysLeft} day${daysLeft === 1 ? '' : 's'}`;
    return [
      {
        subject: bypass.guard,
        ts: isoTime(at),
        message: `exception ${exception.id} for guard "${bypass.guard}" expires on ${exception.expires}, ${when}, and is still in use; owner ${exception.owner}`,
        evidence: { guard: bypass.guard, exception_id: exception.id, expires: exception.expires, days_left: daysLeft, within_days: EXPIRING_WITHIN_DAYS, owner: exception.owner },
      },
    ];
  },
};
