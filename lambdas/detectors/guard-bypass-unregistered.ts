import { addedAfter } from '../core/exception-registry.ts';
import { isoTime } from '../core/findings.ts';
import { bypassContext, bypassEvidence, type BypassDetector, namedExceptionId } from '../core/guard-bypass.ts';
import { parseTime } from '../core/parse-time.ts';

export const guardBypassUnregisteredDetector: BypassDetector = {
  kind: 'bypass',
  meta: {
    id: 'guard-bypass-unregistered',
    description: 'A guard was bypassed with no exception, or under one that is unknown, for another guard, or added after the bypass.',
    subjectKind: 'guard',
    defaultSeverity: 'high',
    fiveCs: {
      criteria:
        'A `guard.bypass` line names no `exception_id`, or an id that is not in the exception registry, or an exception registered for another guard, or one added with `exceptions add` after the bypass (a late line or a backfill; a registration after the fact covers nothing before it). Repeats of the same kind on the same guard are reported at most once per `alert_cooldown_minutes` ({{alert_cooldown_minutes}}), the next report counting those in between.',
      cause:
        'The "just this once" bypass: a guard (PII redaction, a validation hook, an approval step) was switched off to ship or to debug, and nobody registered it with a reason, an owner and an expiry; or an exception id was copied from another guard or mistyped.',
      consequence:
        'The guard is off with nobody answering for it and no date on which it comes back; such bypasses tend to become permanent, and the risk the guard existed for (leaked data, unchecked actions) is live without anyone knowing.',
      correctiveAction:
        'Find who bypassed the guard (actor, job, agent) and either restore the guard, or register the bypass: `silent-audit exceptions add --id … --guard … --reason … --owner … --expires …` (at most 90 days), and make the bypass name that id.',
    },
  },
  check({ bypass, at, exception }) {
    const id = namedExceptionId(bypass);
    let why: string;
    const evidence: Record<string, unknown> = { ...bypassEvidence(bypass) };
    if (id === undefined) {
      why = 'with no exception';
      evidence.problem = 'no-exception';
    } else if (exception === undefined) {
      why = `under ${id}, which is not in the exception registry`;
      evidence.problem = 'unknown-exception';
    } else if (exception.guard !== bypass.guard) {
      why = `under ${id}, which is an exception for guard "${exception.guard}", not this one`;
      evidence.problem = 'other-guard';
      evidence.exception_guard = exception.guard;
    } else {
      const added = addedAfter(exception, at);
      if (added === undefined) return [];
      why = `under ${id}, which was added to the exception registry only at ${addedThen(parseTime(added), at)}`;
      evidence.problem = 'before-exception';
      evidence.exception_created_at = added;
    }
    return [{ subject: bypass.guard, ts: isoTime(at), message: `guard "${bypass.guard}" bypassed${bypassContext(bypass)} ${why}`, evidence }];
  },
};

/**
 * When the exception was added, after the bypass: to the second, as findings are timed; to the
 * millisecond, the bypass's time too, when both lie in one second, so the message never reads
 * "added at 09:45:01Z, after this bypass" of a bypass at 09:45:01Z.
 */
function addedThen(addedAt: number, at: number): string {
  const added = isoTime(addedAt);
  if (added !== isoTime(at)) return `${added}, after this bypass`;
  return `${new Date(addedAt).toISOString()}, after this bypass at ${new Date(at).toISOString()}`;
}
