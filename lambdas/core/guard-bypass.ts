import type { DetectorMeta, FindingDraft } from '../detectors/types.ts';
import type { GuardException } from '../ports.ts';
import type { GuardBypass } from './events.ts';

/** One `guard.bypass` line put before the guard detectors, with the registry entry it names. */
export interface BypassCheckInput {
  readonly bypass: GuardBypass;
  /** When the guard was bypassed, epoch ms. */
  readonly at: number;
  /** The registry's exception named by `exception_id`, whatever its guard or status; undefined when none is named or the id is unknown. */
  readonly exception?: GuardException;
  /** When it is judged (the batch's clock), epoch ms; a line read late is judged after its bypass. Undefined: at the bypass. */
  readonly now?: number;
}

/** A detector judging one guard bypass against the exception registry. Pure. */
export interface BypassDetector {
  readonly meta: DetectorMeta;
  readonly kind: 'bypass';
  check(input: BypassCheckInput): FindingDraft[];
}

/** The exception id a bypass names, or undefined when it names none. */
export function namedExceptionId(bypass: GuardBypass): string | undefined {
  const id = bypass.exception_id?.trim();
  return id ? id : undefined;
}

/** Who bypassed the guard and where, for messages: ` by alice for job nightly-backup ("hotfix")`. */
export function bypassContext(bypass: GuardBypass): string {
  const where = [bypass.job && `job ${bypass.job}`, bypass.agent && `agent ${bypass.agent}`, bypass.route && `route ${bypass.route}`].filter(Boolean).join(', ');
  return `${bypass.actor ? ` by ${bypass.actor}` : ''}${where ? ` for ${where}` : ''}${bypass.reason ? ` ("${bypass.reason}")` : ''}`;
}

/** The bypass's own fields, as evidence. */
export function bypassEvidence(bypass: GuardBypass): Record<string, string> {
  const out: Record<string, string> = { guard: bypass.guard };
  for (const key of ['exception_id', 'actor', 'reason', 'job', 'agent', 'route'] as const) {
    const value = bypass[key];
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out;
}
