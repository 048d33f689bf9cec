import { z } from 'zod';
import { addedAfter, exceptionStanding, expiryInForce, seedPlan } from '../../core/exception-registry.ts';
import type { GuardState } from '../../core/guard-reducer.ts';
import { compareNames } from '../../core/name-order.ts';
import type { GuardException } from '../../ports.ts';
import type { AuditReadView } from '../audit-view.ts';
import { knownSubjects, unknownSubjectError } from '../subjects.ts';
import { defineTool, isoOrNull, limitSchema } from '../tool.ts';

/** Nothing found for `guard`: an answer only if the audit knows that guard (stored, configured, or named by an exception); else a refusal with the near names. */
async function requireKnownGuard(view: AuditReadView, guard: string, exceptions: readonly GuardException[]): Promise<void> {
  const guards = new Map<string, { kind: string; name: string }>();
  for (const s of await knownSubjects(view)) if (s.kind === 'guard') guards.set(s.name, s);
  for (const e of exceptions) guards.set(e.guard, { kind: 'guard', name: e.guard });
  if (guards.has(guard)) return;
  throw unknownSubjectError([...guards.values()], guard, 'guard', `${guards.size} guard${guards.size === 1 ? '' : 's'}`);
}

/**
 * An exception as the registry held it at `at` (the server's `--now`): undefined when it was added
 * with `exceptions add` after then; else with the expiry then in force and the renewals made by
 * then. Its standing at `at` (a revocation after it not yet made) is `exceptionStanding`'s.
 */
function asItStood(exception: GuardException, at: number): GuardException | undefined {
  if (addedAfter(exception, at) !== undefined) return undefined;
  return { ...exception, expires: expiryInForce(exception, at), renewals: exception.renewals.filter((r) => Date.parse(r.at) <= at) };
}

export const listExceptionsTool = defineTool({
  name: 'list_exceptions',
  title: 'List guard-bypass exceptions',
  description:
    'The guard-bypass exception registry as it stood at `now`: each exception with its guard, owner, reason, expiry then in force, standing (active, expiring within 14 days, expired, revoked), ' +
    'days left, its renewals made by then, and how often the guard was bypassed under it and when last; then every guard bypassed, with its bypasses by outcome ' +
    '(covered by a valid exception, unregistered, under an expired one). Exceptions added after `now` are left out; bypass counts are the store’s, of every bypass read (after `now` too). ' +
    'The config’s exceptions the registry does not hold yet are listed too, as `exceptions list` shows them (stored false, bypass_count null). Each list is cut at limit (total, truncated; guards_total, guards_truncated).',
  inputSchema: {
    guard: z.string().min(1).optional().describe('only exceptions and bypasses of this guard'),
    include_revoked: z.boolean().default(false),
    limit: limitSchema(100, 'exceptions (soonest expiry first) and as many guards (most bypassed first)'),
  },
  outputSchema: {
    now: z.string(),
    total: z.number().describe('exceptions matching, before the limit'),
    truncated: z.boolean(),
    exceptions: z.array(
      z.object({
        id: z.string(),
        guard: z.string(),
        owner: z.string(),
        reason: z.string(),
        expires: z.string(),
        standing: z.enum(['active', 'expiring', 'expired', 'revoked']),
        days_left: z.number().describe('days from the day of `now` to the expiry then in force; negative once expired; 0 once revoked'),
        bypass_count: z.number().nullable().describe('null for an exception the registry does not hold yet (stored false): its bypasses are counted once it is stored'),
        last_bypass_at: z.string().optional(),
        renewals: z.number(),
        origin: z.enum(['config', 'cli']),
        stored: z.boolean().describe('false: a config entry the registry does not hold yet, as `exceptions list` shows it; the next `exceptions add|renew|revoke`, scan or ingest of a guard bypass, or deployed sweep (every 5 minutes) stores it'),
      }),
    ),
    guards: z.array(
      z.object({
        guard: z.string(),
        bypasses: z.number(),
        covered: z.number(),
        unregistered: z.number(),
        expired: z.number(),
        without_exception: z.number(),
        last_bypass_at: z.string().nullable(),
      }),
    ),
    guards_total: z.number().describe('guards bypassed, before the limit'),
    guards_truncated: z.boolean(),
  },
  async run(view, args) {
    const now = view.now();
    const [registry, guardStates] = await Promise.all([view.exceptions(), view.subjects('guard')]);
    // The config's entries the registry does not hold yet, as `exceptions list` shows them (`seedPlan`): not stored, no count yet.
    const seeds = seedPlan(new Map((registry ?? []).map((e) => [e.id, e])), view.config.exceptions, now, view.config.redact).missing;
    const pending = new Set(seeds);
    const all: GuardException[] = [...(registry ?? []), ...seeds];
    const exceptions = all
      .flatMap((e) => {
        const stood = asItStood(e, now);
        return stood ? [{ ...stood, stored: !pending.has(e) }] : [];
      })
      .sort((a, b) => a.expires.localeCompare(b.expires) || a.id.localeCompare(b.id))
      .map((e) => ({ e, ...exceptionStanding(e, now) }))
      .filter(({ e, standing }) => (args.guard === undefined || e.guard === args.guard) && (args.include_revoked || standing !== 'revoked'))
      .map(({ e, standing, daysLeft }) => ({
        id: e.id,
        guard: e.guard,
        owner: e.owner,
        reason: e.reason,
        expires: e.expires,
        standing,
        // A revoked exception has no days left, whatever its expiry said (as `exceptions list --json`).
        days_left: standing === 'revoked' ? 0 : daysLeft,
        bypass_count: e.stored ? e.bypass_count : null,
        ...(e.last_bypass_at !== undefined ? { last_bypass_at: e.last_bypass_at } : {}),
        renewals: e.renewals.length,
        origin: e.origin,
        stored: e.stored,
      }));
    const guards = guardStates
      .map((s) => s.state as GuardState)
      .filter((g) => args.guard === undefined || g.guard === args.guard)
      .map((g) => ({ guard: g.guard, bypasses: g.bypasses, ...g.outcomes, without_exception: g.withoutException, last_bypass_at: isoOrNull(g.lastAt) }))
      .sort((a, b) => b.bypasses - a.bypasses || compareNames(a.guard, b.guard));
    if (args.guard !== undefined && exceptions.length === 0 && guards.length === 0) await requireKnownGuard(view, args.guard, all);
    return {
      result: {
        now: isoOrNull(now)!,
        total: exceptions.length,
        truncated: exceptions.length > args.limit,
        exceptions: exceptions.slice(0, args.limit),
        guards: guards.slice(0, args.limit),
        guards_total: guards.length,
        guards_truncated: guards.length > args.limit,
      },
    };
  },
});
