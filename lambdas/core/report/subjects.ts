import type { Config } from '../../config.ts';
import type { GuardException } from '../../ports.ts';
import { anyLineArrived, MAX_START_MONTHS } from '../job-reducer.ts';
import { monthStart } from '../route-reducer.ts';
import { ownValue } from '../own-property.ts';
import { missedRunDetector } from '../../detectors/missed-run.ts';
import { textAsLogged } from '../exception-registry.ts';
import { compareNames } from '../name-order.ts';

/** A subject as the store knows it: its kind, name and stored state (a JobState for jobs). */
export interface SubjectSnapshot {
  /** The state kind: `job`, `agent`, `route`, … */
  readonly kind: string;
  readonly name: string;
  readonly state?: unknown;
  /** Runs recorded after the month's end, to judge the history as it stood then. */
  readonly runsAfterMonth?: number;
}

/** The parts of a subject's state the report reads; absent when the state does not keep them. */
export interface StateFacts {
  readonly runs?: number;
  readonly failures?: number;
  readonly firstSeenAt?: number;
  /** `firstSeenAt` is only the oldest of the runs the state keeps, older ones let go: it was first seen before. */
  readonly firstSeenCut?: true;
  readonly lastSeenAt?: number;
  readonly lastStartAt?: number;
  /** False for jobs whose runs log no end (cron `CMD` lines). */
  readonly endsLogged?: boolean;
  /** Run starts seen, all time: the runs of a job whose runs log no end. */
  readonly startsSeen?: number;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * The roots of an agent's state counted and out of its history, their tree reopened by a late
 * sub-agent: open (`open[]`), judged ended before (`judged[]`: phase `ended`, or `counted`), and
 * not in the history (a reopened tree whose sub-agent has ended stays in it).
 */
function reopenedRoots(s: Record<string, unknown>): number {
  if (!Array.isArray(s.open) || !Array.isArray(s.judged)) return 0;
  const entry = (e: unknown) => (e !== null && typeof e === 'object' ? (e as Record<string, unknown>) : {});
  const counted = new Set(s.judged.map(entry).filter((j) => j.phase === 'ended' || j.counted === true).map((j) => j.run_id));
  const kept = new Set(Array.isArray(s.history) ? s.history.map((h) => entry(h).run_id) : []);
  return s.open.map(entry).filter((o) => counted.has(o.run_id) && !kept.has(o.run_id)).length;
}

/**
 * Reads the facts any reducer's state may hold, tolerating others: a JobState holds all of them;
 * an agent's state counts root runs (`roots`) and keeps its latest ended ones (`history[].ended_at`,
 * the oldest of which is its first sighting unless it counted more than it keeps and has reopened: `firstSeenCut`); a
 * route's knows its first request's start (`first_seen`) and the latest attempt it recorded
 * (`last_at`). Not a route's `watermark`: the sweep moves it on with its clock while the route is
 * silent, so read as a sighting it would show silence as health. A route state written before
 * `last_at` was kept has no last sighting until its next line: its month's requests still count.
 */
export function stateFacts(state: unknown): StateFacts {
  if (!state || typeof state !== 'object') return {};
  const s = state as Record<string, unknown>;
  const num = (key: string) => (isNumber(s[key]) ? s[key] : undefined);
  const ended = Array.isArray(s.history) ? s.history.map((h) => (h && typeof h === 'object' ? (h as Record<string, unknown>).ended_at : undefined)).filter(isNumber) : [];
  const firstSeenAt = num('firstSeenAt') ?? num('first_seen');
  // The oldest run kept is the first sighting only when none was let go: an agent keeps its latest root runs of all it
  // counted, and lets the oldest go. A root whose tree a late sub-agent reopened leaves the history and stays counted:
  // runs were let go only when it counted more than it keeps and has reopened.
  const roots = num('roots');
  const firstSeenCut = firstSeenAt === undefined && roots !== undefined && roots > ended.length + reopenedRoots(s);
  // A job's runs counted by their starts before its runs were known to log an end have no record (`runsByStarts`).
  const runs = num('runs');
  return {
    runs: runs !== undefined ? runs + (num('runsByStarts') ?? 0) : roots,
    failures: num('failures'),
    firstSeenAt: firstSeenAt ?? (ended.length ? Math.min(...ended) : undefined),
    ...(firstSeenCut ? { firstSeenCut: true as const } : {}),
    lastSeenAt: num('lastSeenAt') ?? num('last_at') ?? (ended.length ? Math.max(...ended) : undefined),
    lastStartAt: num('lastStartAt'),
    endsLogged: typeof s.endsLogged === 'boolean' ? s.endsLogged : undefined,
    startsSeen: num('startsSeen'),
  };
}

/**
 * Whether a job whose runs log only their start logs its failures (Debian cron's `(CRON) error (grandchild …)`
 * lines, `run.failed`): a run of it was recorded, in `records` (the span's) or its state's count (`facts`, its
 * `stateFacts`). Else a failure of it cannot be seen (cronie's CMD lines without `-s`, runs that never log an end):
 * a start with no failure is no sign of success.
 */
export function startsOnlyFailuresLogged(facts: StateFacts, records: number): boolean {
  return records > 0 || (facts.runs ?? 0) > 0;
}

/** A job's run starts in a span and after it, and whether that count is all of them or a lower bound (`complete`). */
export interface SpanStarts {
  readonly inSpan: number;
  readonly afterSpan: number;
  readonly complete: boolean;
}

/**
 * A calendar month's run starts by the per-month counts a job's state keeps (`startMonths`), and
 * those after it, when the counts hold all of them: the month began after the state began counting
 * (`startMonthsFrom`), and no month from it on was let go (one of it or before it is kept, or
 * none was let go yet). Undefined otherwise, or for a span that is not a calendar month.
 */
function countedMonthStarts(s: Record<string, unknown>, fromMs: number, toMs: number): SpanStarts | undefined {
  if (monthStart(fromMs) !== fromMs || monthStart(toMs) !== toMs) return undefined;
  const months = startMonthCounts(s);
  if (!months) return undefined;
  if (isNumber(s.startMonthsFrom) && !(fromMs > s.startMonthsFrom)) return undefined;
  if (months.length >= MAX_START_MONTHS && !months.some((m) => m.start <= fromMs)) return undefined;
  return { inSpan: monthStartsBetween(months, fromMs, toMs), afterSpan: monthStartsBetween(months, toMs, Infinity), complete: true };
}

/** The well-formed per-month start counts a job's state keeps (`startMonths`); undefined when it keeps none. */
function startMonthCounts(s: Record<string, unknown>): { start: number; starts: number }[] | undefined {
  if (!Array.isArray(s.startMonths)) return undefined;
  return s.startMonths.filter((m): m is { start: number; starts: number } => m !== null && typeof m === 'object' && isNumber(m.start) && isNumber(m.starts));
}

/** The starts the per-month counts hold of the months that begin in [fromMs, toMs). */
function monthStartsBetween(months: readonly { start: number; starts: number }[], fromMs: number, toMs: number): number {
  return months.reduce((total, m) => (m.start >= fromMs && m.start < toMs ? total + m.starts : total), 0);
}

/**
 * The runs of a job whose runs log an end counted in a span by their starts, from before they were
 * known to log one (`runsByStarts`): the per-month counts its state kept then (`startMonths`), of the
 * calendar months the span holds. They have no run record; 0 when it kept none.
 */
export function startsBeforeEndsIn(state: unknown, fromMs: number, toMs: number): number {
  const s = state && typeof state === 'object' ? (state as Record<string, unknown>) : undefined;
  const months = s?.endsLogged === true ? startMonthCounts(s) : undefined;
  return months ? monthStartsBetween(months, fromMs, toMs) : 0;
}

/**
 * A job's run starts in a span and after it: from its per-month counts when they hold all of the
 * span's (`countedMonthStarts`), else from the recent start times its state keeps (`starts`, the
 * latest MAX_STARTS), `complete` false when older starts were dropped after the span began: the
 * count in the span is then a lower bound (0 when all kept ones are after it).
 */
export function spanStarts(state: unknown, fromMs: number, toMs: number): SpanStarts | undefined {
  if (!state || typeof state !== 'object') return undefined;
  const s = state as Record<string, unknown>;
  const counted = countedMonthStarts(s, fromMs, toMs);
  if (counted) return counted;
  if (!Array.isArray(s.starts)) return undefined;
  const times = s.starts.filter(isNumber);
  const seen = stateFacts(state).startsSeen;
  // The month's count, when the state began counting in it, holds its starts since then: a lower bound too.
  const partly = Array.isArray(s.startMonths) ? s.startMonths.find((m) => m !== null && typeof m === 'object' && m.start === fromMs) : undefined;
  return {
    inSpan: Math.max(times.filter((t) => t >= fromMs && t < toMs).length, isNumber(partly?.starts) ? partly.starts : 0),
    afterSpan: times.filter((t) => t >= toMs).length,
    complete: (seen !== undefined && seen <= times.length) || times.some((t) => t < fromMs),
  };
}

/** The month entries of a route's state that hold a month's requests: its buckets (`months`) and the counts kept after them (`past_months`). */
function monthEntries(state: unknown): Record<string, unknown>[] | undefined {
  const s = state && typeof state === 'object' ? (state as Record<string, unknown>) : undefined;
  if (!s || !Array.isArray(s.months)) return undefined;
  const entries = [...s.months, ...(Array.isArray(s.past_months) ? s.past_months : [])];
  return entries.filter((b): b is Record<string, unknown> => b !== null && typeof b === 'object' && isNumber((b as Record<string, unknown>).start));
}

/** A route's requests in a calendar month, when its state keeps them (`months[]`, `past_months[]`). */
export function monthRequests(state: unknown, monthStartMs: number): { total: number; retried: number } | undefined {
  const bucket = monthEntries(state)?.find((b) => b.start === monthStartMs);
  if (!bucket || !isNumber(bucket.requests)) return undefined;
  return { total: bucket.requests, retried: isNumber(bucket.retried) ? bucket.retried : 0 };
}

/**
 * Whether a route's state shows it had no request in a calendar month: it keeps the months from
 * one before it on (a month's entry is made by its first request, the oldest are let go first),
 * and none of them for that month holds a request. False when it cannot tell (no months kept, or
 * none before that month: a state written before they were kept, or the month let go).
 */
export function monthWithoutRequests(state: unknown, monthStartMs: number): boolean {
  const entries = monthEntries(state);
  if (entries === undefined || !entries.some((b) => (b.start as number) < monthStartMs)) return false;
  return !entries.some((b) => b.start === monthStartMs && isNumber(b.requests) && b.requests > 0);
}

/**
 * Whether a route's state no longer keeps the requests of a month it may have had some in: the
 * month is before the oldest it keeps, and after its first request (`first_seen`; a state written
 * before it was kept cannot say, and is taken to have been seen then).
 */
export function monthRequestsDropped(state: unknown, fromMs: number, toMs: number): boolean {
  const entries = monthEntries(state);
  if (entries === undefined || entries.length === 0) return false;
  if (!(fromMs < Math.min(...entries.map((b) => b.start as number)))) return false;
  const firstSeen = (state as Record<string, unknown>).first_seen;
  return !isNumber(firstSeen) || firstSeen < toMs;
}

/** The config section that names the subjects of a kind (`jobs` for `job`); none for a guard. */
export const SECTION_OF_KIND: Readonly<Record<string, 'jobs' | 'agents' | 'routes' | 'tools' | undefined>> = {
  job: 'jobs',
  agent: 'agents',
  route: 'routes',
  tool: 'tools',
};

/**
 * The config key that names a subject's owner, as a path one can write back: `jobs.nightly-backup.owner`,
 * or with the name quoted (a JSON string, which YAML also reads) when it is not a plain key:
 * `jobs["sync *all* buckets"].owner` (a space or a dot in a name would read as the path's own).
 */
export function ownerKeyOf(kind: string, name: string): string {
  const section = SECTION_OF_KIND[kind] ?? `${kind}s`;
  if (kind === 'guard') return `exceptions[guard=${PLAIN_KEY.test(name) ? name : JSON.stringify(name)}].owner`;
  return `${section}${PLAIN_KEY.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`}.owner`;
}

/** A config key that reads the same unquoted in a dotted path: letters, digits, `_` and `-`. */
const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * The owner from the config (for a guard: the owners of its exceptions), if any, redacted as a log
 * line is (`textAsLogged`, with the config's `redact`): it is shown in reports, MCP answers and alerts,
 * and an owner may name a webhook or a token. A blank owner (`owner: ""`) is none: unassigned in a
 * report, no `owner` attribute in an alert.
 */
export function ownerOf(kind: string, name: string, config: Config, exceptions: readonly GuardException[] = []): string | undefined {
  const owner = configOwner(kind, name, config, exceptions);
  return owner === undefined ? undefined : textAsLogged(owner, config.redact);
}

/** The owner as configured, unredacted: its section's; for a guard its exceptions' owners, each once, joined. */
function configOwner(kind: string, name: string, config: Config, exceptions: readonly GuardException[]): string | undefined {
  const owners = ownersAsConfigured(kind, name, config, exceptions);
  if (kind !== 'guard') return owners[0];
  const distinct = [...new Set(owners)];
  return distinct.length ? distinct.join(', ') : undefined;
}

/**
 * The owners a subject has as configured (before redaction: `report --owner` is matched on what the
 * config says): its section's `owner`, for a guard those of its exceptions (the registry's and the
 * config's); empty for an unowned one (a blank owner names no one).
 */
export function ownersAsConfigured(kind: string, name: string, config: Config, exceptions: readonly GuardException[]): string[] {
  if (kind === 'guard') return [...exceptions, ...config.exceptions].filter((e) => e.guard === name && !blank(e.owner)).map((e) => e.owner);
  const section = SECTION_OF_KIND[kind];
  const owner = section && ownValue(config[section] as Record<string, { owner?: string } | undefined>, name)?.owner;
  return owner === undefined || blank(owner) ? [] : [owner];
}

/** A blank owner (`owner: ""`, spaces) names no one. */
export function blank(owner: string): boolean {
  return owner.trim() === '';
}

/** Whether the config names a subject (`jobs.<name>`…); undefined for a kind no config section names (a guard). */
export function inConfig(kind: string, name: string, config: Config): boolean | undefined {
  const section = SECTION_OF_KIND[kind];
  return section ? ownValue(config[section] as Record<string, unknown>, name) !== undefined : undefined;
}

/**
 * What a job's stored state says of the config having named it: `configured` when a line of it was
 * seen while the config named it (`configuredSeenUntil`), or its state was judged under a schedule
 * the config gave it (`absenceCheckedUntil`, or an `absenceSchedule` of a schedule: kept after the
 * job leaves the config); not a job learned from its logs only. `seenSince`: whether a line of it
 * arrived after the last one seen while the config named it; undefined when not known (a state
 * written before `configuredSeenUntil` was kept).
 */
export function configuredJob(kind: string, state: unknown): { configured: boolean; seenSince?: boolean } {
  if (kind !== 'job' || !state || typeof state !== 'object') return { configured: false };
  const s = state as Record<string, unknown>;
  if (isNumber(s.configuredSeenUntil)) return { configured: true, seenSince: isNumber(s.lastSeenAt) && s.lastSeenAt > s.configuredSeenUntil };
  return { configured: isNumber(s.absenceCheckedUntil) || (typeof s.absenceSchedule === 'string' && s.absenceSchedule.includes('|')) };
}

/**
 * Whether a group of a job the config named and names no longer closes as `retired` (no longer
 * monitored), nothing after its last occurrence having shown it stopped: a `missed-run` one always
 * (judged against the config's schedule, which judges the job no more); any other (a
 * `run-unfinished` one too: of the job's own starts) only when nothing of the job arrived after the
 * last line seen while the config named it (`seenSince` false). A job still seen stays judged.
 */
export function closesOutOfConfig(kind: string, subject: string, detector: string, config: Config, state: unknown): boolean {
  if (inConfig(kind, subject, config) !== false) return false;
  const job = configuredJob(kind, state);
  return job.configured && (detector === missedRunDetector.meta.id || job.seenSince === false);
}

/** Subjects the config names, by kind: they are monitored whether or not anything was seen. */
export function configuredSubjects(config: Config): { kind: string; name: string }[] {
  return [
    ...Object.keys(config.jobs).map((name) => ({ kind: 'job', name })),
    ...Object.keys(config.agents).map((name) => ({ kind: 'agent', name })),
    ...Object.keys(config.routes).map((name) => ({ kind: 'route', name })),
  ];
}

/**
 * Whether a stored job state holds nothing but the never-seen marker (`unseenSince`, written by the
 * deployed sweep for a scheduled job of the config of which nothing was ever seen): no run, no
 * start, no sighting, no line at all (a cron "discarding output" line of it is one). Its other
 * fields are those of `initialJobState` (`endsLogged: false` among them) and say nothing of the
 * job: the report reads it as no state.
 */
export function hasOnlyUnseenMarker(kind: string, state: unknown): boolean {
  if (kind !== 'job' || !state || typeof state !== 'object') return false;
  const s = state as Record<string, unknown>;
  if (!isNumber(s.unseenSince)) return false;
  const facts = stateFacts(state);
  const starts = Array.isArray(s.starts) ? s.starts.length : 0;
  const open = Array.isArray(s.open) ? s.open.length : 0;
  // A discard line of it sets no sighting but did arrive (anyLineArrived, as the never-seen note of its missed runs).
  const arrived = anyLineArrived({ firstSeenAt: facts.firstSeenAt, discardReportedAt: isNumber(s.discardReportedAt) ? s.discardReportedAt : undefined });
  const sighted = arrived || facts.lastSeenAt !== undefined || facts.lastStartAt !== undefined || (facts.runs ?? 0) > 0 || (facts.startsSeen ?? 0) > 0;
  return !sighted && starts === 0 && open === 0 && s.lastEnd === undefined;
}

/**
 * Whether a stored subject is one the sweep only watched for the config and that is no longer
 * there: a job state with nothing but the never-seen marker (`hasOnlyUnseenMarker`) whose job the
 * config no longer names, typically a misspelt name the user has since corrected. It is not a
 * monitored subject (nothing of it ever existed, and nothing is expected of it): the report's
 * coverage and `list_subjects` leave it out. While configured it is, and stays UNKNOWN with its
 * missed runs ("no data: configured, but nothing from it has ever been seen"); once a run of it
 * is seen it is a job as any.
 */
export function isUnseenJobLeftConfig(kind: string, name: string, state: unknown, config: Config): boolean {
  return hasOnlyUnseenMarker(kind, state) && ownValue(config.jobs, name) === undefined;
}

const KIND_ORDER = ['job', 'agent', 'route', 'tool', 'guard'];

export function compareSubjects(a: { kind: string; name: string }, b: { kind: string; name: string }): number {
  const rank = (k: string) => (KIND_ORDER.includes(k) ? KIND_ORDER.indexOf(k) : KIND_ORDER.length);
  return rank(a.kind) - rank(b.kind) || a.kind.localeCompare(b.kind) || compareNames(a.name, b.name);
}
