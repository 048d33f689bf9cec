import { type Config, EXCEPTION_ID_PATTERN, EXCEPTION_ID_RULE, EXCEPTION_TEXT_REFUSALS, type ExceptionConfig, GUARD_WILDCARD_REFUSAL, hasGuardWildcard, idTooLong, nameAsLogged } from '../config.ts';
import type { Clock, ExceptionStore, GuardException } from '../ports.ts';
import { didYouMean, namesMeant } from './edit-distance.ts';
import type { AuditEvent } from './events.ts';
import { daysBetween, parseTime, utcDay } from './parse-time.ts';
import { redactorFor } from './redact.ts';

/**
 * The rules of the guard-bypass exception registry (contract §2 `exceptions`, §5 `exceptions`):
 * every exception has a reason, an owner and an expiry no further ahead than
 * `defaults.max_exception_days`; a renewal records who, when and why; a revocation keeps the
 * record. The functions here judge a request and then write it through an `ExceptionStore`,
 * whose writes are conditional; a write that loses to a concurrent one is judged again.
 */

/** Exceptions this close to their expiry are announced (and marked in `exceptions list`). */
export const EXPIRING_WITHIN_DAYS = 14;

const DAY_MS = 86_400_000;
const MAX_ATTEMPTS = 5;

/** A request the registry refuses; the message says what was wrong and what to do. */
export class ExceptionRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExceptionRefusedError';
  }
}

function addDays(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

/** A real calendar date as `YYYY-MM-DD` (a time after it is dropped), else undefined. */
export function parseDay(value: string): string | undefined {
  const day = value.trim().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(t) || utcDay(t) !== day ? undefined : day;
}

/** What the registry's rules depend on: the moment of the request and the longest allowed term. */
export interface RegistryRules {
  readonly now: number;
  /** `defaults.max_exception_days` (90 unless configured). */
  readonly maxDays: number;
  /** The config's `redact`: a new exception's guard is stored as bypass lines name it (`nameAsLogged`). */
  readonly redact?: Config['redact'];
}

export function registryRules(config: Config, clock: Clock): RegistryRules {
  return { now: clock.now(), maxDays: config.defaults.max_exception_days, redact: config.redact };
}

/** An exception's standing at a moment: what a bypass under it at that moment would meet. */
export type ExceptionStanding = 'active' | 'expiring' | 'expired' | 'revoked';

/**
 * The expiry an exception had at a moment: a renewal moves it only from the renewal on, so a
 * bypass made while the exception had lapsed (and read after it was renewed: a late line, a
 * backfill) meets the expiry it had then, the `from_expires` of the first renewal after it.
 * A bypass is before a renewal only when its whole time is (`bypassTimeSpanMs`): one logged in
 * the second of a renewal may have come after it and meets the renewed expiry, as one in the
 * second of an add is covered (`addedAfter`).
 */
export function expiryInForce(exception: GuardException, at: number): string {
  const end = at + bypassTimeSpanMs(at);
  let first: { readonly at: number; readonly from: string } | undefined;
  for (const renewal of exception.renewals) {
    const renewedAt = Date.parse(renewal.at);
    if (renewedAt >= end && (first === undefined || renewedAt < first.at)) first = { at: renewedAt, from: renewal.from_expires };
  }
  return first?.from ?? exception.expires;
}

/**
 * The milliseconds a bypass's time stands for: a time with no fraction of a second (`09:45:01Z`,
 * as most logs and a syslog prefix write it) is its whole second, in which the bypass may lie
 * anywhere; one with milliseconds is that millisecond.
 */
function bypassTimeSpanMs(at: number): number {
  return at % 1000 === 0 ? 1000 : 1;
}

/**
 * When an exception added with `exceptions add` was added, if that was after the bypass at `at`:
 * a bypass before then was made under no exception (a late line, a backfill; a registration after
 * the fact does not cover it). A bypass is before the add only when its whole time is
 * (`bypassTimeSpanMs`): one logged in the second the exception was added may have come after it
 * and is covered, as one logged in the second of a revocation may have come before it
 * (`exceptionStanding`). Undefined for a config entry, whose `created_at` is when the registry
 * first read it, not when it was written into the config.
 */
export function addedAfter(exception: GuardException, at: number): string | undefined {
  if (exception.origin !== 'cli') return undefined;
  return parseTime(exception.created_at) >= at + bypassTimeSpanMs(at) ? exception.created_at : undefined;
}

/**
 * An exception's standing at `at`. A revocation counts from its millisecond on, so a bypass timed
 * to the second of a revocation (`09:32:53Z` against one at 09:32:53.806Z) may have come before it
 * and is still covered, as one in the second of an add is (`addedAfter`).
 */
export function exceptionStanding(exception: GuardException, at: number): { readonly standing: ExceptionStanding; readonly daysLeft: number } {
  const daysLeft = daysBetween(utcDay(at), expiryInForce(exception, at));
  if (exception.status === 'revoked' && (exception.revoked_at === undefined || at >= Date.parse(exception.revoked_at))) {
    return { standing: 'revoked', daysLeft };
  }
  if (daysLeft < 0) return { standing: 'expired', daysLeft };
  return { standing: daysLeft <= EXPIRING_WITHIN_DAYS ? 'expiring' : 'active', daysLeft };
}

/** Active exceptions that expire within `days` (default 14) of `now`, soonest first: for the sweep and the report. */
export function expiringExceptions(exceptions: readonly GuardException[], now: number, days = EXPIRING_WITHIN_DAYS): GuardException[] {
  const today = utcDay(now);
  return exceptions
    .filter((e) => e.status === 'active')
    .filter((e) => {
      const left = daysBetween(today, e.expires);
      return left >= 0 && left <= days;
    })
    .sort((a, b) => a.expires.localeCompare(b.expires) || a.id.localeCompare(b.id));
}

/** A request's text without the spaces around it, as the config reads an exception's (`ExceptionSchema`); refused when blank. */
function required(value: string | undefined, refusal: string): string {
  const text = value?.trim() ?? '';
  if (text === '') throw new ExceptionRefusedError(refusal);
  return text;
}

/** An expiry a new term may run to: a real date, today at the earliest, at most `maxDays` ahead. */
function checkExpiry(value: string | undefined, rules: RegistryRules): string {
  const raw = required(value, `an exception needs an expiry date (YYYY-MM-DD, at most ${rules.maxDays} days ahead)`);
  const day = parseDay(raw);
  if (day === undefined || raw.trim().length !== 10) throw new ExceptionRefusedError(`expiry "${raw}" is not a date: expected YYYY-MM-DD, e.g. ${addDays(utcDay(rules.now), 30)}`);
  const today = utcDay(rules.now);
  const ahead = daysBetween(today, day);
  if (ahead < 0) throw new ExceptionRefusedError(`expiry ${day} is in the past (today is ${today}): an exception must run until today or later`);
  if (ahead > rules.maxDays) {
    throw new ExceptionRefusedError(
      `expiry ${day} is ${ahead} days ahead; an exception may run at most ${rules.maxDays} days (until ${addDays(today, rules.maxDays)}, defaults.max_exception_days): renew it when it runs out instead`,
    );
  }
  return day;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

export interface NewExceptionRequest {
  readonly id: string;
  readonly guard: string;
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
  /** Who adds it (`--by`, else the user). */
  readonly by: string;
}

/**
 * Judges an `exceptions add` request and builds the record it stores; throws `ExceptionRefusedError`.
 * The guard is stored as bypass lines name it (`nameAsLogged`, with the config's `redact`), as a
 * config entry's is: `password:policy` is the guard its lines call `password:[REDACTED:…]#…`.
 */
export function newException(request: Partial<NewExceptionRequest>, rules: RegistryRules): GuardException {
  const id = required(request.id, 'an exception needs an id, e.g. EX-13');
  const tooLong = idTooLong(id);
  if (tooLong) throw new ExceptionRefusedError(`--id: an exception id is ${tooLong}; choose a shorter one, e.g. EX-13`);
  if (!EXCEPTION_ID_PATTERN.test(id)) throw new ExceptionRefusedError(`id "${id}" is not usable: ${EXCEPTION_ID_RULE}`);
  const guardAsGiven = required(request.guard, EXCEPTION_TEXT_REFUSALS.guard);
  if (hasGuardWildcard(guardAsGiven)) throw new ExceptionRefusedError(`guard "${guardAsGiven}": ${GUARD_WILDCARD_REFUSAL}`);
  const guard = nameAsLogged(guardAsGiven, rules);
  const reason = textAsLogged(required(request.reason, EXCEPTION_TEXT_REFUSALS.reason), rules.redact);
  const owner = textAsLogged(required(request.owner, EXCEPTION_TEXT_REFUSALS.owner), rules.redact);
  const expires = checkExpiry(request.expires, rules);
  const by = textAsLogged(required(request.by, 'an exception needs the name of whoever adds it'), rules.redact);
  return { id, guard, reason, owner, expires, status: 'active', created_at: iso(rules.now), created_by: by, origin: 'cli', renewals: [], bypass_count: 0 };
}

/**
 * A stored record with its guard as bypass lines name it (`nameAsLogged`, with the config's
 * `redact`). A record written before guards were redacted keeps its guard as written
 * (`password:policy`), which no bypass line names any more (`password:[REDACTED:…]#…`): read
 * through this, it still covers, counts and lists its bypasses, with no migration. A guard stored
 * as logged comes back unchanged, and one seeded with spaces around it without them. The stores
 * apply it once per record read, never per event.
 */
export function recordAsLogged(record: GuardException, redact?: Config['redact']): GuardException {
  // A config entry seeded before the config trimmed its guard ("pii-redaction ") is read as the guard it names.
  const guard = nameAsLogged(record.guard.trim(), { redact });
  // Reasons and names typed before they were redacted at entry come back redacted too (they reach findings, alerts and reports).
  const reason = textAsLogged(record.reason, redact);
  const owner = textAsLogged(record.owner, redact);
  const createdBy = record.created_by === undefined ? undefined : textAsLogged(record.created_by, redact);
  const revokeReason = record.revoke_reason === undefined ? undefined : textAsLogged(record.revoke_reason, redact);
  const revokedBy = record.revoked_by === undefined ? undefined : textAsLogged(record.revoked_by, redact);
  // Each renewal redacted once: the same object when it is clean, the same array when all are.
  const renewals = record.renewals.map((r) => {
    const renewReason = textAsLogged(r.reason, redact);
    const renewedBy = textAsLogged(r.by, redact);
    return renewReason === r.reason && renewedBy === r.by ? r : { ...r, reason: renewReason, by: renewedBy };
  });
  const renewalsClean = renewals.every((r, i) => r === record.renewals[i]);
  const clean = reason === record.reason && owner === record.owner && createdBy === record.created_by && revokeReason === record.revoke_reason && revokedBy === record.revoked_by;
  if (guard === record.guard && clean && renewalsClean) return record;
  return {
    ...record,
    guard,
    reason,
    owner,
    ...(createdBy === undefined ? {} : { created_by: createdBy }),
    ...(revokeReason === undefined ? {} : { revoke_reason: revokeReason }),
    ...(revokedBy === undefined ? {} : { revoked_by: revokedBy }),
    renewals: renewalsClean ? record.renewals : renewals,
  };
}

/**
 * A reason, owner or actor typed into `exceptions add`, `renew` or `revoke` (or the config; a snooze's too),
 * redacted as a bypass line's reason and actor are (with the config's `redact`): it is shown in
 * findings, alerts and reports.
 */
export function textAsLogged(text: string, redact?: Config['redact']): string {
  return redactorFor({ redact }).redactText(text);
}

function describe(existing: GuardException): string {
  return existing.status === 'revoked'
    ? `revoked on ${existing.revoked_at?.slice(0, 10) ?? 'an unknown day'}${existing.revoked_by ? ` by ${existing.revoked_by}` : ''}`
    : `guard ${existing.guard}, expires ${existing.expires}`;
}

/** `exceptions add`: stores a new exception; refuses an id already taken, revoked ones included (ids are history). */
export async function addException(store: ExceptionStore, request: Partial<NewExceptionRequest>, rules: RegistryRules): Promise<GuardException> {
  const exception = newException(request, rules);
  if ((await store.add(exception)) === 'added') return exception;
  const existing = await store.get(exception.id);
  const how = existing ? ` (${describe(existing)})` : '';
  const advice = existing?.status === 'revoked' ? 'ids are never reused; choose another id' : 'renew it, or choose another id';
  throw new ExceptionRefusedError(`exception ${exception.id} exists already${how}: ${advice}`);
}

/** How many of the guards seen a warning of an unseen guard lists when none looks like it. */
const SEEN_GUARDS_LISTED = 5;

/**
 * What to warn of an exception's guard that no bypass line has named (a slip, `pii-redcation`)
 * where the store has seen guards (`seen`, as bypass lines name them): the seen ones it looks like
 * (`namesMeant`), else the seen ones. Undefined for a seen guard, and where none is seen yet.
 * Only a warning: an exception may come before its guard's first bypass.
 */
export function unseenGuardWarning(guard: string, seen: readonly string[]): string | undefined {
  if (seen.length === 0 || seen.includes(guard)) return undefined;
  const sorted = [...new Set(seen)].sort();
  const more = sorted.length > SEEN_GUARDS_LISTED ? ` and ${sorted.length - SEEN_GUARDS_LISTED} more` : '';
  const hint = didYouMean(namesMeant(guard, seen)) ?? `the guards seen are ${sorted.slice(0, SEEN_GUARDS_LISTED).join(', ')}${more}`;
  return `no bypass line has named guard "${guard}" yet; ${hint} (added anyway: its guard may not have been bypassed yet)`;
}

async function activeException(store: ExceptionStore, id: string, action: 'renewed' | 'revoked'): Promise<GuardException> {
  const existing = await store.get(id);
  if (!existing) throw new ExceptionRefusedError(`there is no exception ${id} in the registry (see \`silent-audit exceptions list --all\`)`);
  if (existing.status === 'revoked') {
    const advice = action === 'renewed' ? 'a revoked exception cannot be renewed; add a new one' : 'nothing to do';
    throw new ExceptionRefusedError(`exception ${id} was ${describe(existing)}: ${advice}`);
  }
  return existing;
}

export interface RenewRequest {
  readonly expires: string;
  readonly reason: string;
  readonly by: string;
}

/**
 * `exceptions renew`: moves an active exception's expiry (at most `maxDays` from today, never
 * into the past) and appends {at, by, reason, from_expires, to_expires} to its renewals.
 */
export async function renewException(store: ExceptionStore, given: string, request: Partial<RenewRequest>, rules: RegistryRules): Promise<GuardException> {
  // Read without spaces around it, as `add --id` and a bypass line's `exception_id` are.
  const id = given.trim();
  const reason = textAsLogged(required(request.reason, 'a renewal needs a reason: why must the guard stay bypassed?'), rules.redact);
  const by = textAsLogged(required(request.by, 'a renewal needs the name of whoever renews it'), rules.redact);
  const to = checkExpiry(request.expires, rules);
  for (let attempt = 1; ; attempt++) {
    const existing = await activeException(store, id, 'renewed');
    if (existing.expires === to) throw new ExceptionRefusedError(`exception ${id} expires on ${to} already: give another date`);
    const renewal = { at: iso(rules.now), by, reason, from_expires: existing.expires, to_expires: to };
    if ((await store.renew(id, renewal)) === 'renewed') return { ...existing, expires: to, renewals: [...existing.renewals, renewal] };
    if (attempt >= MAX_ATTEMPTS) throw new Error(`exception ${id} kept changing during ${attempt} attempts to renew it; try again`);
  }
}

export interface RevokeRequest {
  readonly reason: string;
  readonly by: string;
}

/** `exceptions revoke`: ends an active exception; its record stays, with who, when and why. */
export async function revokeException(store: ExceptionStore, given: string, request: Partial<RevokeRequest>, rules: RegistryRules): Promise<GuardException> {
  const id = given.trim();
  const reason = textAsLogged(required(request.reason, 'a revocation needs a reason'), rules.redact);
  const by = textAsLogged(required(request.by, 'a revocation needs the name of whoever revokes it'), rules.redact);
  for (let attempt = 1; ; attempt++) {
    const existing = await activeException(store, id, 'revoked');
    const revocation = { at: iso(rules.now), by, reason };
    if ((await store.revoke(id, revocation)) === 'revoked') {
      return { ...existing, status: 'revoked', revoked_at: revocation.at, revoked_by: by, revoke_reason: reason };
    }
    if (attempt >= MAX_ATTEMPTS) throw new Error(`exception ${id} kept changing during ${attempt} attempts to revoke it; try again`);
  }
}

/**
 * A config entry as a registry record, taken as it stands: an expired one too (contract §2: the
 * registry is also history, and a bypass under it is `guard-exception-expired`). Its reason and
 * owner are redacted (with the config's `redact`), as those typed into `exceptions add` are and as
 * the store reads every record: else every later load would find the stored one differing.
 */
export function exceptionFromConfig(entry: ExceptionConfig, seededAt: number, redact?: Config['redact']): GuardException {
  return {
    id: entry.id,
    guard: entry.guard,
    reason: textAsLogged(entry.reason, redact),
    owner: textAsLogged(entry.owner, redact),
    expires: parseDay(entry.expires) ?? entry.expires.slice(0, 10),
    status: 'active',
    created_at: iso(seededAt),
    created_by: 'config',
    origin: 'config',
    renewals: [],
    bypass_count: 0,
  };
}

/** The config's exceptions as a registry, for runs without a store. */
export function exceptionsFromConfig(config: Config, at: number): Map<string, GuardException> {
  const out = new Map<string, GuardException>();
  for (const entry of config.exceptions) if (!out.has(entry.id)) out.set(entry.id, exceptionFromConfig(entry, at, config.redact));
  return out;
}

/** A config entry whose registry record says otherwise: the registry keeps its own (renewals happen there). */
export interface SeedDifference {
  readonly id: string;
  readonly fields: readonly string[];
}

export interface SeededRegistry {
  readonly exceptions: Map<string, GuardException>;
  /** Config entries written now (absent before). */
  readonly added: readonly string[];
  readonly differing: readonly SeedDifference[];
}

/** What seeding would do to a registry: the config's entries it lacks, and those it holds otherwise. */
export interface SeedPlan {
  /** Config entries absent from the registry, as records (one per id, the first entry's). */
  readonly missing: readonly GuardException[];
  readonly differing: readonly SeedDifference[];
}

/**
 * Compares the config's entries with the registry's records, writing nothing: `loadRegistry`
 * writes the missing ones; `exceptions list` only shows them, as not stored yet.
 */
export function seedPlan(stored: ReadonlyMap<string, GuardException>, entries: readonly ExceptionConfig[], now: number, redact?: Config['redact']): SeedPlan {
  const missing = new Map<string, GuardException>();
  const differing: SeedDifference[] = [];
  for (const entry of entries) {
    const seeded = exceptionFromConfig(entry, now, redact);
    const record = stored.get(entry.id);
    if (!record) {
      if (!missing.has(entry.id)) missing.set(entry.id, seeded);
      continue;
    }
    const fields = (['guard', 'reason', 'owner', 'expires'] as const).filter((f) => record[f] !== seeded[f]);
    if (fields.length > 0 && !differing.some((d) => d.id === entry.id)) differing.push({ id: entry.id, fields });
  }
  return { missing: [...missing.values()], differing };
}

/**
 * Reads the registry once (one query) and writes the config's entries that are not in it yet,
 * as they stand (the reason redacted with `redact`, the config's). Idempotent: an entry already stored is never overwritten, so renewals and
 * revocations made with the CLI survive the config file.
 */
export async function loadRegistry(store: ExceptionStore, entries: readonly ExceptionConfig[], now: number, redact?: Config['redact']): Promise<SeededRegistry> {
  const exceptions = new Map((await store.listRecords()).map((e) => [e.id, e]));
  const { missing, differing } = seedPlan(exceptions, entries, now, redact);
  const added: string[] = [];
  for (const seeded of missing) {
    if ((await store.add(seeded)) === 'added') {
      exceptions.set(seeded.id, seeded);
      added.push(seeded.id);
    } else {
      const raced = await store.get(seeded.id);
      if (raced) exceptions.set(raced.id, raced);
    }
  }
  return { exceptions, added, differing };
}

/**
 * The registry a batch is judged against, read once: from the store (seeding the config's entries
 * that are missing), or without one the config's entries as they stand. Undefined when the batch
 * holds no guard bypass, so that a batch without one costs no read.
 */
export async function registryForBatch(
  events: readonly AuditEvent[],
  store: ExceptionStore | undefined,
  config: Config,
  clock: Clock,
): Promise<ReadonlyMap<string, GuardException> | undefined> {
  if (!events.some((e) => e.body.type === 'guard.bypass')) return undefined;
  if (!store) return exceptionsFromConfig(config, clock.now());
  return (await loadRegistry(store, config.exceptions, clock.now(), config.redact)).exceptions;
}
