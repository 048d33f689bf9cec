import type { Config } from '../../config.ts';
import type { GuardException } from '../../ports.ts';
import { ownValue } from '../own-property.ts';

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
 * Reads the facts any reducer's state may hold, tolerating others: a JobState holds all of them;
 * an agent's state counts root runs (`roots`) and keeps ended runs (`history[].ended_at`); a
 * route's knows the latest attempt it saw (`watermark`).
 */
export function stateFacts(state: unknown): StateFacts {
  if (!state || typeof state !== 'object') return {};
  const s = state as Record<string, unknown>;
  const num = (key: string) => (isNumber(s[key]) ? s[key] : undefined);
  const ended = Array.isArray(s.history) ? s.history.map((h) => (h && typeof h === 'object' ? (h as Record<string, unknown>).ended_at : undefined)).filter(isNumber) : [];
  return {
    runs: num('runs') ?? num('roots'),
    failures: num('failures'),
    firstSeenAt: num('firstSeenAt') ?? (ended.length ? Math.min(...ended) : undefined),
    lastSeenAt: num('lastSeenAt') ?? num('watermark') ?? (ended.length ? Math.max(...ended) : undefined),
    lastStartAt: num('lastStartAt'),
    endsLogged: typeof s.endsLogged === 'boolean' ? s.endsLogged : undefined,
    startsSeen: num('startsSeen'),
  };
}

/**
 * A job's run starts in a span and after it, from the recent start times its state keeps
 * (`starts`). `complete` is false when older starts were dropped after the span began: the count
 * in the span is then a lower bound.
 */
export function spanStarts(state: unknown, fromMs: number, toMs: number): { inSpan: number; afterSpan: number; complete: boolean } | undefined {
  const starts = state && typeof state === 'object' ? (state as Record<string, unknown>).starts : undefined;
  if (!Array.isArray(starts)) return undefined;
  const times = starts.filter(isNumber);
  const seen = stateFacts(state).startsSeen;
  return {
    inSpan: times.filter((t) => t >= fromMs && t < toMs).length,
    afterSpan: times.filter((t) => t >= toMs).length,
    complete: (seen !== undefined && seen <= times.length) || times.some((t) => t < fromMs),
  };
}

/** A route's requests in a calendar month, when its state keeps a bucket for that month (`months[].start`). */
export function monthRequests(state: unknown, monthStartMs: number): { total: number; retried: number } | undefined {
  const months = state && typeof state === 'object' ? (state as Record<string, unknown>).months : undefined;
  if (!Array.isArray(months)) return undefined;
  const bucket = months.find((b) => b && typeof b === 'object' && (b as Record<string, unknown>).start === monthStartMs) as Record<string, unknown> | undefined;
  if (!bucket || !isNumber(bucket.requests)) return undefined;
  return { total: bucket.requests, retried: isNumber(bucket.retried) ? bucket.retried : 0 };
}

const SECTION_OF_KIND: Readonly<Record<string, 'jobs' | 'agents' | 'routes' | 'tools' | undefined>> = {
  job: 'jobs',
  agent: 'agents',
  route: 'routes',
  tool: 'tools',
};

/** The config key that names a subject's owner: `jobs.nightly-backup.owner`. */
export function ownerKeyOf(kind: string, name: string): string {
  const section = SECTION_OF_KIND[kind];
  if (section) return `${section}.${name}.owner`;
  if (kind === 'guard') return `exceptions[guard=${name}].owner`;
  return `${kind}s.${name}.owner`;
}

/** The owner from the config (for a guard: the owners of its exceptions), if any. */
export function ownerOf(kind: string, name: string, config: Config, exceptions: readonly GuardException[] = []): string | undefined {
  const section = SECTION_OF_KIND[kind];
  if (section) return ownValue(config[section] as Record<string, { owner?: string } | undefined>, name)?.owner;
  if (kind === 'guard') {
    const owners = [...new Set([...exceptions.filter((e) => e.guard === name).map((e) => e.owner), ...config.exceptions.filter((e) => e.guard === name).map((e) => e.owner)])];
    return owners.length ? owners.join(', ') : undefined;
  }
  return undefined;
}

/** Subjects the config names, by kind: they are monitored whether or not anything was seen. */
export function configuredSubjects(config: Config): { kind: string; name: string }[] {
  return [
    ...Object.keys(config.jobs).map((name) => ({ kind: 'job', name })),
    ...Object.keys(config.agents).map((name) => ({ kind: 'agent', name })),
    ...Object.keys(config.routes).map((name) => ({ kind: 'route', name })),
  ];
}

const KIND_ORDER = ['job', 'agent', 'route', 'tool', 'guard'];

export function compareSubjects(a: { kind: string; name: string }, b: { kind: string; name: string }): number {
  const rank = (k: string) => (KIND_ORDER.includes(k) ? KIND_ORDER.indexOf(k) : KIND_ORDER.length);
  return rank(a.kind) - rank(b.kind) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);
}
