import type { Config } from '../../config.ts';
import type { GuardException } from '../../ports.ts';
import { exceptionFromConfig } from '../exception-registry.ts';
import { type Finding, isoTime } from '../findings.ts';
import { type GuardCooldown, type GuardState, heldBeforeByMonth } from '../guard-reducer.ts';
import { ownBudgetAgentOf, worstValues } from './evidence.ts';
import { plural } from './format.ts';
import { compareNames } from '../name-order.ts';
import { firstBy, listsBy } from './lookup.ts';
import type { MonthSpan } from './month.ts';
import { daysBetween, utcDay } from '../parse-time.ts';
import type { CoverageSection, ExceptionReview, ExceptionReviewRow, ExceptionState, MonitoredRow, MonitoredSection, ThresholdUsed } from './model.ts';
import { ownerOf } from './subjects.ts';
import { thresholdsFor } from './thresholds.ts';

/** An exception expiring within this many days of the report is up for a decision now. */
export const EXPIRING_SOON_DAYS = 30;
/** An exception with no bypass for this many days is probably no longer needed. */
export const UNUSED_AFTER_DAYS = 30;

const DAY_MS = 86_400_000;

/**
 * Repeats of a guard finding the alert cooldown held back that happened in this month and that
 * none of this month's findings counts: those behind a finding whose next finding came after the
 * month (`suppressed_since_last` of a later finding) or has not come yet (the guard state's
 * cooldown, still counting them), by the UTC month they happened in (`suppressed_by_month`, the
 * state's `byMonth`). Each repeat is counted in the month it happened in: one within the cooldown
 * after a finding of 30 November 23:59 that came on 1 December is December's, and with a cooldown
 * longer than a month, one in January behind a finding of October is January's.
 */
export interface HeldBypasses {
  readonly detector: string;
  readonly guard: string;
  readonly exceptionId?: string;
  readonly count: number;
  /** The finding they were held behind: of this month, or of a month before. */
  readonly behind: string;
  /** The latest of them in this month, when known; else the finding they were held behind, or this month's first instant. */
  readonly at: string;
}

/** Repeats held back behind a finding at `since`, by the UTC month (`YYYY-MM`) they happened in, with the latest when known. */
interface Held {
  readonly since: string;
  readonly months: ReadonlyMap<string, { readonly count: number; readonly last?: string }>;
}

/**
 * `held` repeats behind a finding at `since` by month, from evidence or state written before they
 * were kept by month (`heldBeforeByMonth`); their times unknown.
 */
function heldBefore(held: number, since: string, after: number): Held {
  const byMonth = heldBeforeByMonth(held, Date.parse(since), after);
  return { since, months: new Map(Object.entries(byMonth).map(([month, { count }]) => [month, { count }])) };
}

const isHeldMonth = (v: unknown): v is { count: number; last?: unknown } => typeof v === 'object' && v !== null && typeof (v as { count?: unknown }).count === 'number';

/** The repeats a finding says the cooldown held back since `last_reported_at`, by month (`suppressed_by_month`; before it, `suppressed_after_month`). */
function heldSince(f: Finding): Held | undefined {
  const held = f.evidence?.suppressed_since_last;
  const since = f.evidence?.last_reported_at;
  if (!(typeof held === 'number' && held > 0 && typeof since === 'string')) return undefined;
  const byMonth = f.evidence?.suppressed_by_month;
  if (typeof byMonth !== 'object' || byMonth === null) {
    const after = f.evidence?.suppressed_after_month;
    return heldBefore(held, since, typeof after === 'number' ? after : 0);
  }
  const months = new Map<string, { count: number; last?: string }>();
  for (const [month, v] of Object.entries(byMonth)) {
    if (isHeldMonth(v) && v.count > 0) months.set(month, { count: v.count, ...(typeof v.last === 'string' ? { last: v.last } : {}) });
  }
  return { since, months };
}

/** A guard state's cooldown's held repeats by month (`byMonth`; before it, `afterMonth`). */
function heldInCooldown({ at, suppressed, byMonth, afterMonth }: GuardCooldown): Held {
  const since = isoTime(at);
  if (!byMonth) return heldBefore(suppressed, since, afterMonth ?? 0);
  return { since, months: new Map(Object.entries(byMonth).map(([month, m]) => [month, { count: m.count, last: isoTime(m.lastAt) }])) };
}

const inSpan = (iso: string, span: MonthSpan) => iso >= span.from && iso < span.to;

/** Of the repeats held behind a finding, those in the span, with the latest of them (`HeldBypasses.at`). */
function heldInSpan(h: Held, span: MonthSpan): { count: number; at: string } {
  const m = h.months.get(span.month);
  return { count: m?.count ?? 0, at: m?.last ?? (inSpan(h.since, span) ? h.since : span.from) };
}

/**
 * The held-back repeats of this month that this month's findings do not count (`HeldBypasses`):
 * from the findings after the month (`later`), and the guard states' cooldowns (`guards`, as
 * stored at the report).
 */
export function heldBackAtMonthEnd(span: MonthSpan, later: readonly Finding[], guards: readonly GuardState[]): HeldBypasses[] {
  const out: HeldBypasses[] = [];
  const push = (detector: string, guard: string, exceptionId: string | undefined, h: Held) => {
    const { count, at } = heldInSpan(h, span);
    if (count > 0) out.push({ detector, guard, ...(exceptionId ? { exceptionId } : {}), count, behind: h.since, at });
  };
  for (const f of later) {
    const h = heldSince(f);
    if (f.subject_kind !== 'guard' || f.ts < span.to || !h) continue;
    const exceptionId = f.evidence?.exception_id;
    push(f.detector, f.subject, typeof exceptionId === 'string' ? exceptionId : undefined, h);
  }
  // A cooldown with nothing reported since: its count is not in any finding.
  for (const state of guards) {
    for (const [key, cooldown] of Object.entries(state.cooldowns ?? {})) {
      if (!(cooldown.suppressed > 0)) continue;
      const bar = key.indexOf('|');
      push(key.slice(0, bar), state.guard, key.slice(bar + 1), heldInCooldown(cooldown));
    }
  }
  return out;
}

/**
 * The bypasses a guard finding of this month stands for in it: itself, and the repeats the alert
 * cooldown held back since the previous finding (`suppressed_since_last`) that came in this
 * month (`heldInSpan`).
 */
function bypassesOf(f: Finding, span: MonthSpan): number {
  const h = heldSince(f);
  return 1 + (h ? heldInSpan(h, span).count : 0);
}

function reviewOf(e: GuardException, state: ExceptionState, daysToExpiry: number, reportMs: number, bypassesInMonth: number, registry: boolean, stored: boolean): string {
  // Whole days (24 h) since the last bypass, not calendar days.
  const lastBypassDays = e.last_bypass_at ? Math.floor((reportMs - Date.parse(e.last_bypass_at)) / DAY_MS) : undefined;
  const renewed = e.renewals.length >= 2 ? ` Renewed ${e.renewals.length} times: the temporary bypass is becoming permanent; make it a product decision or restore the guard.` : '';
  if (state === 'revoked') return `Revoked${e.revoked_at ? ` on ${e.revoked_at.slice(0, 10)}` : ''}${e.revoke_reason ? ` (${e.revoke_reason})` : ''}: nothing to decide.`;
  if (state === 'expired') {
    const after = bypassesInMonth > 0 ? ` and the guard was still bypassed under it ${plural(bypassesInMonth, 'time')} this month` : '';
    return `Expired ${plural(-daysToExpiry, 'day')} ago${after}: remove the bypass from the code, or renew it with a reason and an owner.${renewed}`;
  }
  if (!registry) return `Is it still needed? Bypass counts are unknown (no registry connected); ask ${e.owner}.${renewed}`;
  if (!stored) {
    return `Not in the registry yet (from the config): the next \`exceptions add|renew|revoke\`, scan or ingest of a guard bypass, or deployed sweep (every 5 minutes), stores it as the config has it then (its bypass count is known once it is stored); check it with ${e.owner} first.`;
  }
  if (e.bypass_count === 0) return `Never used: revoke it unless a bypass is planned.${renewed}`;
  if (lastBypassDays !== undefined && lastBypassDays >= UNUSED_AFTER_DAYS) return `No bypass in ${lastBypassDays} days: probably no longer needed, revoke it.${renewed}`;
  if (state === 'expiring') return `In use and expires in ${plural(daysToExpiry, 'day')}: decide now whether to restore the guard or renew with a reason.${renewed}`;
  return `In use (${plural(e.bypass_count, 'bypass', 'bypasses')}${e.last_bypass_at ? `, last ${e.last_bypass_at.slice(0, 10)}` : ''}): is it still needed? Confirm with ${e.owner} and plan the guard's return.${renewed}`;
}

/** Config seeds as registry entries (their reasons redacted, `exceptionFromConfig`), for when no registry is connected; counts are unknown, age too. */
function fromConfig(config: Config): GuardException[] {
  return config.exceptions.map((e) => ({ ...exceptionFromConfig(e, 0, config.redact), created_at: '' }));
}

/** Whether a guard detector's bypasses were made without a valid exception: none named (unregistered), or one lapsed (expired or revoked). */
export function withoutValidException(detector: string): boolean {
  return detector === 'guard-bypass-unregistered' || detector === 'guard-exception-expired';
}

/** The monthly walk through the exception registry: "is this still needed?" for each entry. */
export function reviewExceptions(input: {
  exceptions?: readonly GuardException[];
  /** Ids among `exceptions` the registry does not hold yet (config entries, as `exceptions list` shows them): counts unknown. */
  notStored?: readonly string[];
  /** Ids among `exceptions` whose counts are all time (the store could not give them up to the report's end). */
  countsAllTime?: readonly string[];
  config: Config;
  findings: readonly Finding[];
  /** Repeats held back behind this month's findings that no finding of the month counts. */
  heldBack?: readonly HeldBypasses[];
  generatedAtMs: number;
  span: MonthSpan;
}): ExceptionReview {
  const registry = input.exceptions !== undefined;
  const entries = input.exceptions ?? fromConfig(input.config);
  const reportDay = utcDay(input.generatedAtMs);
  const heldBack = input.heldBack ?? [];
  const notStored = new Set(input.notStored);
  const mentions = (e: GuardException) =>
    input.findings.filter((f) => f.detector === 'guard-exception-expired' && (f.evidence?.exception_id === e.id || (f.subject === e.guard && f.evidence?.exception_id === undefined)));
  const rows: ExceptionReviewRow[] = entries.map((e) => {
    const daysToExpiry = daysBetween(reportDay, e.expires.slice(0, 10));
    const state: ExceptionState = e.status === 'revoked' ? 'revoked' : daysToExpiry < 0 ? 'expired' : daysToExpiry <= EXPIRING_SOON_DAYS ? 'expiring' : 'active';
    const expiredFindings = mentions(e);
    const held = heldBack
      .filter((h) => h.detector === 'guard-exception-expired' && (h.exceptionId === e.id || (h.guard === e.guard && h.exceptionId === undefined)))
      .reduce((n, h) => n + h.count, 0);
    const bypassesInMonth = expiredFindings.reduce((n, f) => n + bypassesOf(f, input.span), held);
    return {
      id: e.id,
      guard: e.guard,
      owner: e.owner,
      reason: e.reason,
      expires: e.expires.slice(0, 10),
      state,
      daysToExpiry,
      bypassCount: registry && !notStored.has(e.id) ? e.bypass_count : null,
      lastBypassAt: e.last_bypass_at,
      ...(input.countsAllTime?.includes(e.id) ? { countsAllTime: true as const } : {}),
      renewals: e.renewals.length,
      ageDays: e.created_at ? Math.max(0, Math.floor((input.generatedAtMs - Date.parse(e.created_at)) / DAY_MS)) : undefined,
      findingsInMonth: expiredFindings.length,
      bypassesInMonth,
      review: reviewOf(e, state, daysToExpiry, input.generatedAtMs, bypassesInMonth, registry, !notStored.has(e.id)),
    };
  });
  const order: Record<ExceptionState, number> = { expired: 0, expiring: 1, active: 2, revoked: 3 };
  rows.sort((a, b) => order[a.state] - order[b.state] || a.expires.localeCompare(b.expires) || a.id.localeCompare(b.id));

  // Bypasses with no valid exception: unregistered ones, and those under an exception that had expired or been revoked.
  const unregistered = new Map<string, { count: number; noException: number; underLapsedException: number; lastAt: string }>();
  const add = (guard: string, detector: string, count: number, at: string) => {
    const u = unregistered.get(guard) ?? { count: 0, noException: 0, underLapsedException: 0, lastAt: at };
    const lapsed = detector === 'guard-exception-expired';
    unregistered.set(guard, {
      count: u.count + count,
      noException: u.noException + (lapsed ? 0 : count),
      underLapsedException: u.underLapsedException + (lapsed ? count : 0),
      lastAt: at > u.lastAt ? at : u.lastAt,
    });
  };
  for (const f of input.findings.filter((f) => withoutValidException(f.detector))) add(f.subject, f.detector, bypassesOf(f, input.span), f.ts);
  for (const h of heldBack.filter((h) => withoutValidException(h.detector))) add(h.guard, h.detector, h.count, h.at);
  return {
    available: registry,
    rows,
    unregistered: [...unregistered].map(([guard, u]) => ({ guard, ...u })).sort((a, b) => b.count - a.count || compareNames(a.guard, b.guard)),
    note: registry
      ? rows.length === 0
        ? 'The registry holds no exceptions.'
        : undefined
      : rows.length === 0
        ? 'No exception registry was available and the config seeds none.'
        : 'No exception registry was available: these are the config file’s seed entries, and their bypass counts are unknown.',
  };
}

const ROUTE_DETECTORS = new Set(['retry-rate', 'retry-latency']);
const AGENT_DETECTORS = new Set(['budget-exceeded', 'budget-undercount', 'cost-outlier']);

/**
 * A row's note when some of its findings are on another row too (`rowOf`): on a sub-agent's row, its
 * findings over its own budget, counted under its root agent's findings (not to be added twice);
 * on the root's, those of them that are a sub-agent's own budget's, shown on that one's row.
 */
function sharedNote(name: string, shown: readonly Finding[], counted: readonly Finding[], rowOf: (f: Finding) => string): string | undefined {
  const borrowed = shown.filter((f) => f.subject !== name);
  const lent = counted.filter((f) => rowOf(f) !== name);
  const roots = [...new Set(borrowed.map((f) => f.subject))].sort(compareNames);
  const agents = [...new Set(lent.map(rowOf))].sort(compareNames);
  const notes = [
    ...(borrowed.length > 0 ? [`${plural(borrowed.length, 'finding')} over its own budget as a sub-agent, counted under ${roots.join(', ')}’s findings`] : []),
    ...(lent.length > 0 ? [`${plural(lent.length, 'finding')} over a sub-agent’s own budget, shown on ${agents.join(', ')}’s row too`] : []),
  ];
  return notes.length > 0 ? `${notes.join('; ')}.` : undefined;
}

function monitored(input: {
  kind: 'route' | 'agent';
  detectors: ReadonlySet<string>;
  configured: readonly string[];
  findings: readonly Finding[];
  coverage: CoverageSection;
  config: Config;
  limits: (name: string) => ThresholdUsed[];
  worstUnits: Parameters<typeof worstValues>[1];
  empty: string;
  /** The row a finding is counted on: its subject's, unless said otherwise. */
  rowOf?: (f: Finding) => string;
}): MonitoredSection {
  const rowOf = input.rowOf ?? ((f: Finding) => f.subject);
  const relevant = input.findings.filter((f) => input.detectors.has(f.detector) || f.subject_kind === input.kind);
  const coverageByName = firstBy(input.coverage.rows.filter((r) => r.kind === input.kind), (r) => r.name);
  // A report sliced by owner lists the configured subjects of its slice: those its coverage holds.
  const listed = input.coverage.sliceOf === undefined ? input.configured : input.configured.filter((name) => coverageByName.has(name));
  const names = new Set([...listed, ...coverageByName.keys(), ...relevant.map(rowOf)]);
  if (names.size === 0) return { rows: [], empty: input.empty };
  // Shown on a row: the findings judged by its limits (`rowOf`), its worst measured beside them. Counted on
  // it: those and its subject's, as Coverage, alerts and owner slices count them.
  const shownByName = listsBy(relevant, rowOf);
  const bySubject = listsBy(relevant, (f) => f.subject);
  const configured = new Set(input.configured);
  const rows: MonitoredRow[] = [...names].sort().map((name) => {
    const shown = shownByName.get(name) ?? [];
    const counted = [...new Set([...(bySubject.get(name) ?? []), ...shown])];
    const byDetector = new Map<string, number>();
    for (const f of counted) byDetector.set(f.detector, (byDetector.get(f.detector) ?? 0) + 1);
    const coverage = coverageByName.get(name);
    const limits = input.limits(name);
    const note = sharedNote(name, shown, counted, rowOf);
    return {
      name,
      owner: ownerOf(input.kind, name, input.config),
      configured: configured.has(name),
      status: counted.length > 0 ? 'findings' : (coverage?.status ?? 'unknown'),
      limits,
      findings: counted.length,
      byDetector: [...byDetector].map(([detector, count]) => ({ detector, count })).sort((a, b) => b.count - a.count || a.detector.localeCompare(b.detector)),
      worst: worstValues(shown, input.worstUnits).filter((w) => !limits.some((l) => l.key === w.key || l.key.endsWith(`.${w.key}`))),
      runsInMonth: coverage?.runsInMonth ?? null,
      ...(coverage?.requests ? { requests: coverage.requests } : {}),
      ...(note !== undefined ? { note } : {}),
    };
  });
  return { rows };
}

/** Retries per route, from the retry detectors' findings and the routes the config names. */
export function retriesSection(findings: readonly Finding[], coverage: CoverageSection, config: Config): MonitoredSection {
  return monitored({
    kind: 'route',
    detectors: ROUTE_DETECTORS,
    configured: Object.keys(config.routes),
    findings,
    coverage,
    config,
    limits: (name) => [...thresholdsFor('retry-rate', name, config), ...thresholdsFor('retry-latency', name, config)],
    worstUnits: ['ratio', 'multiple', 'ms', 'count'],
    empty: 'No routes monitored: no route is configured and no attempt lines were seen.',
  });
}

/** Budgets and costs per agent, from the budget and cost detectors' findings and the configured agents. */
export function agentsSection(findings: readonly Finding[], coverage: CoverageSection, config: Config): MonitoredSection {
  return monitored({
    kind: 'agent',
    detectors: AGENT_DETECTORS,
    configured: Object.keys(config.agents),
    findings,
    coverage,
    config,
    limits: (name) => [...thresholdsFor('budget-exceeded', name, config), ...thresholdsFor('cost-outlier', name, config).slice(0, 1)],
    worstUnits: ['usd', 'count'],
    empty: 'No agents monitored: no agent is configured and no agent runs were seen.',
    // A sub-agent over its own budget is on its own row, beside the limit it crossed, not its root's.
    rowOf: (f) => ownBudgetAgentOf(f) ?? f.subject,
  });
}
