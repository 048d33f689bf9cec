import { addedAfter, exceptionStanding, expiryInForce } from '../core/exception-registry.ts';
import { isoTime } from '../core/findings.ts';
import { bypassContext, bypassEvidence, type BypassDetector } from '../core/guard-bypass.ts';

export const guardExceptionExpiredDetector: BypassDetector = {
  kind: 'bypass',
  meta: {
    id: 'guard-exception-expired',
    description: 'A guard was bypassed under an exception that had expired or been revoked.',
    subjectKind: 'guard',
    defaultSeverity: 'high',
    fiveCs: {
      criteria:
        'A `guard.bypass` line names an exception registered for this guard, and on the day of the bypass (UTC) the exception was past the `expires` date it had then (a later renewal does not cover a bypass made while it had lapsed), or it had been revoked before the bypass. Exceptions from the config count as they stand, expired ones included. Repeats under the same exception are reported at most once per `alert_cooldown_minutes` ({{alert_cooldown_minutes}}).',
      cause:
        'A temporary bypass outlived its term: the code or config that skips the guard was never removed, and nobody renewed or revoked the exception when it ran out, or the bypass kept running after the exception was revoked.',
      consequence:
        'The "just this once" bypass has become permanent: the guard stays off past the date its owner agreed to, with no one reviewing whether the reason still holds.',
      correctiveAction:
        "Ask the exception's owner: restore the guard and remove the bypass, or, if the reason still holds, renew it with a new reason (`silent-audit exceptions renew ID --expires … --reason …`, at most 90 days ahead).",
    },
  },
  check({ bypass, at, exception }) {
    // A bypass before the exception was added is guard-bypass-unregistered.
    if (exception === undefined || exception.guard !== bypass.guard || addedAfter(exception, at) !== undefined) return [];
    const { standing, daysLeft } = exceptionStanding(exception, at);
    // The expiry the bypass met, not one a later renewal set.
    const expires = expiryInForce(exception, at);
    const base = { ...bypassEvidence(bypass), exception_id: exception.id, expires, owner: exception.owner };
    const context = bypassContext(bypass);
    if (standing === 'revoked') {
      const when = exception.revoked_at ? ` on ${exception.revoked_at.slice(0, 10)}` : '';
      const who = exception.revoked_by ? ` by ${exception.revoked_by}` : '';
      return [
        {
          subject: bypass.guard,
          ts: isoTime(at),
          message: `guard "${bypass.guard}" bypassed${context} under ${exception.id}, which was revoked${when}${who}${exception.revoke_reason ? ` ("${exception.revoke_reason}")` : ''}`,
          evidence: {
            ...base,
            status: 'revoked',
            ...(exception.revoked_at ? { revoked_at: exception.revoked_at } : {}),
            ...(exception.revoked_by ? { revoked_by: exception.revoked_by } : {}),
            ...(exception.revoke_reason ? { revoke_reason: exception.revoke_reason } : {}),
          },
        },
      ];
    }
    if (standing !== 'expired') return [];
    const past = -daysLeft;
    return [
      {
        subject: bypass.guard,
        ts: isoTime(at),
        message: `guard "${bypass.guard}" bypassed${context} under ${exception.id}, which expired on ${expires} (${past} day${past === 1 ? '' : 's'} before); owner ${exception.owner}`,
        evidence: { ...base, status: 'expired', days_past: past },
      },
    ];
  },
};
