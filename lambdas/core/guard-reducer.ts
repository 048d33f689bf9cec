import type { Config } from '../config.ts';
import { guardExceptionExpiringDetector } from '../detectors/guard-exception-expiring.ts';
import { BYPASS_DETECTORS } from '../detectors/index.ts';
import type { DetectorId } from '../detectors/ids.ts';
import type { GuardException, Versioned } from '../ports.ts';
import { groupFingerprint, lineFingerprint, rememberBounded, rememberedByLegacyFingerprint, rememberedUnderRotationBase, rememberLines, seenBefore } from './audit-trail-dedup.ts';
import type { AuditEvent, GuardBypass } from './events.ts';
import { addedAfter, exceptionsFromConfig } from './exception-registry.ts';
import { type Finding, isoTime, sharesKeySecond } from './findings.ts';
import { type BypassDetector, namedExceptionId } from './guard-bypass.ts';
import { isIndexKey, ownValue, setOwn } from './own-property.ts';
import { utcMonth } from './parse-time.ts';
import type { ReduceContext, Reduction, SubjectReducer } from './pipeline.ts';

/** Bypasses under one exception id (registered or not) on one guard. */
export interface ExceptionBypassCount {
  readonly count: number;
  readonly lastAt: number;
  /** The same bypasses by the UTC month they happened in (the latest `MAX_HELD_MONTHS`), so a past month's report counts those up to its end. Absent in a state written before. */
  readonly byMonth?: Readonly<Record<string, HeldMonth>>;
}

/**
 * The bypasses counted under `exception` that it covers in time: none when every one counted came
 * before it was added with `exceptions add` (named while it was unknown; its count starts over at
 * its first bypass since, see `apply`). A config entry's count is all its bypasses (`addedAfter`).
 */
function countedSinceAdded(exception: GuardException, counted: ExceptionBypassCount | undefined): ExceptionBypassCount | undefined {
  return counted && addedAfter(exception, counted.lastAt) === undefined ? counted : undefined;
}

/** What a bypass met: a valid exception, none usable, or an expired or revoked one. */
export type BypassOutcome = 'covered' | 'unregistered' | 'expired';

/** What the pipeline keeps per guard: all-time counts, and bounded marks for redelivery and alert cooldown. */
export interface GuardState {
  readonly guard: string;
  /** Every bypass of this guard, all time. */
  readonly bypasses: number;
  readonly outcomes: Readonly<Record<BypassOutcome, number>>;
  /** Bypasses that named no exception. */
  readonly withoutException: number;
  /** Bypasses by the exception id they named. */
  readonly byException: Readonly<Record<string, ExceptionBypassCount>>;
  readonly firstAt?: number;
  readonly lastAt?: number;
  /**
   * Fingerprints of the lines of the latest event times (with those times in `seenAt`), and of
   * recent batch groups: a redelivered line is not counted twice, nor one older than the marks
   * kept (`seenUntil`, see `seenBefore`).
   */
  readonly seen: readonly string[];
  readonly seenAt?: readonly number[];
  readonly seenUntil?: number;
  readonly groups: readonly string[];
  /** `<id>@<expires>` of exceptions announced as expiring: once per exception and expiry date. */
  readonly announced: readonly string[];
  /** The last report per `<detector>|<exception id>`, and the bypasses not reported since (`GuardCooldown`). */
  readonly cooldowns: Readonly<Record<string, GuardCooldown>>;
}

/** Repeats the alert cooldown held back in one UTC month: how many, and the latest of them. */
export interface HeldMonth {
  readonly count: number;
  readonly lastAt: number;
}

/**
 * A finding kind's last report on a guard, and the bypasses not reported since: all of them
 * (`suppressed`), and by the UTC month they happened in (`byMonth`, `YYYY-MM`: the latest
 * `MAX_HELD_MONTHS`), which a monthly report counts in that month, not in the report's. A state
 * written before `byMonth` holds `afterMonth` instead: how many came after the report's month.
 */
export interface GuardCooldown {
  readonly at: number;
  readonly suppressed: number;
  readonly byMonth?: Readonly<Record<string, HeldMonth>>;
  /** Before `byMonth`: the repeats after the report's UTC month, whichever month. Read, never written. */
  readonly afterMonth?: number;
}

const MAX_SEEN = 2000;
const MAX_GROUPS = 200;
const MAX_EXCEPTION_IDS = 500;
const MAX_ANNOUNCED = 500;
const MAX_COOLDOWNS = 200;
/** Months of held repeats a cooldown keeps (`byMonth`): the latest; a cooldown of two years reaches 25. */
const MAX_HELD_MONTHS = 24;

export const GUARD_STATE_KIND = 'guard';

/** The first instant of the UTC month after the one holding `at`. */
function nextUtcMonthStart(at: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * `held` repeats behind a report at `at` by UTC month, as a cooldown or a finding's evidence written
 * before `byMonth` knew them (`afterMonth`, `suppressed_after_month`): `after` of them in the month
 * after the report's (all there, at its start: their times unknown), the rest in the report's
 * month (at the report).
 */
export function heldBeforeByMonth(held: number, at: number, after: number): Record<string, HeldMonth> {
  const afterCount = Math.min(Math.max(after, 0), held);
  const byMonth: Record<string, HeldMonth> = {};
  if (held > afterCount) byMonth[utcMonth(at)] = { count: held - afterCount, lastAt: at };
  if (afterCount > 0) byMonth[utcMonth(nextUtcMonthStart(at))] = { count: afterCount, lastAt: nextUtcMonthStart(at) };
  return byMonth;
}

/** `cooldown`'s held repeats with one more at `at`, by UTC month (a state written before `byMonth`: `heldBeforeByMonth`). */
function heldWithRepeat(cooldown: GuardCooldown, at: number): Record<string, HeldMonth> {
  return withOneMore(cooldown.byMonth ? { ...cooldown.byMonth } : heldBeforeByMonth(cooldown.suppressed, cooldown.at, cooldown.afterMonth ?? 0), at);
}

/** `byMonth` (a copy, written in place) with one more at `at` in its UTC month, the latest `MAX_HELD_MONTHS` kept. */
function withOneMore(byMonth: Record<string, HeldMonth>, at: number): Record<string, HeldMonth> {
  const month = utcMonth(at);
  const before = ownValue(byMonth, month);
  setOwn(byMonth, month, { count: (before?.count ?? 0) + 1, lastAt: Math.max(before?.lastAt ?? at, at) });
  const months = Object.keys(byMonth);
  if (months.length > MAX_HELD_MONTHS) for (const m of months.sort().slice(0, months.length - MAX_HELD_MONTHS)) delete byMonth[m];
  return byMonth;
}

/** Held repeats by month as a finding's evidence (`suppressed_by_month`): `{ "2026-11": { count, last } }`. */
function heldEvidence(byMonth: Readonly<Record<string, HeldMonth>>): Record<string, { count: number; last: string }> {
  const out: Record<string, { count: number; last: string }> = {};
  for (const [month, { count, lastAt }] of Object.entries(byMonth)) out[month] = { count, last: isoTime(lastAt) };
  return out;
}

/** The state key of a guard (`guard#<name>`), as the pipeline stores it. */
export function guardStateKey(guard: string): string {
  return `${GUARD_STATE_KIND}#${guard}`;
}

export function initialGuardState(guard: string): GuardState {
  return {
    guard,
    bypasses: 0,
    outcomes: { covered: 0, unregistered: 0, expired: 0 },
    withoutException: 0,
    byException: {},
    seen: [],
    groups: [],
    announced: [],
    cooldowns: {},
  };
}

function isBypass(event: AuditEvent): event is AuditEvent<GuardBypass> {
  return event.body.type === 'guard.bypass';
}

const configRegistries = new WeakMap<Config, Map<string, GuardException>>();

/** The registry a batch judges against: the one its caller loaded, else the config's entries as they stand. */
function registryOf(ctx: ReduceContext): ReadonlyMap<string, GuardException> {
  if (ctx.exceptions) return ctx.exceptions;
  let registry = configRegistries.get(ctx.config);
  if (!registry) configRegistries.set(ctx.config, (registry = exceptionsFromConfig(ctx.config, ctx.clock.now())));
  return registry;
}

const OUTCOME_OF: Partial<Record<DetectorId, BypassOutcome>> = {
  'guard-bypass-unregistered': 'unregistered',
  'guard-exception-expired': 'expired',
};

/**
 * A record of the state (`byException`, `cooldowns`) as one batch changes it: copied once, on the
 * first write, not per line (a copy and a sort of 200 to 500 keys per line cost nearly a millisecond
 * a line). Bounded after each line as it always was: past `limit` keys, the keys in the record's
 * order (`Object.keys`) are sorted (stable) by `rank`, highest first, and the first `limit` kept, in
 * that order. A key dropped at one line is not found at the next (a cooldown starts over), so the
 * bound cannot wait for the batch's end; it sorts the key list, mostly in order already, not the record.
 */
class BoundedRecord<V> {
  private values: Map<string, V> | undefined;
  /** The record's keys in its order (`Object.keys`), once copied. */
  private keys: string[] = [];
  private readonly ranks = new Map<string, number>();
  /** Whether the record as given holds at most `limit` keys: then, until the batch writes into it, there is nothing to bound. */
  private readonly initialWithin: boolean;

  constructor(
    private readonly initial: Readonly<Record<string, V>>,
    private readonly limit: number,
    private readonly rank: (key: string, value: V) => number,
  ) {
    // Counted once, not at every line: the cooldowns go unwritten on every line that fires nothing.
    this.initialWithin = Object.keys(initial).length <= limit;
  }

  get(key: string): V | undefined {
    return this.values ? this.values.get(key) : ownValue(this.initial, key);
  }

  set(key: string, value: V): void {
    const values = this.own();
    if (!values.has(key)) {
      if (isIndexKey(key)) {
        let i = 0;
        while (i < this.keys.length && isIndexKey(this.keys[i]) && Number(this.keys[i]) < Number(key)) i++;
        this.keys.splice(i, 0, key);
      } else this.keys.push(key);
    }
    values.set(key, value);
    this.ranks.delete(key);
  }

  /** Keeps the `limit` keys of the highest rank, as the record's own bound after each line. */
  bound(): void {
    if (this.values ? this.keys.length <= this.limit : this.initialWithin) return;
    const values = this.own();
    const rankOf = (key: string): number => {
      let r = this.ranks.get(key);
      if (r === undefined) this.ranks.set(key, (r = this.rank(key, values.get(key) as V)));
      return r;
    };
    const sorted = this.keys.sort((a, b) => rankOf(b) - rankOf(a));
    for (let i = this.limit; i < sorted.length; i++) {
      values.delete(sorted[i]);
      this.ranks.delete(sorted[i]);
    }
    sorted.length = this.limit;
    // Made again from the kept keys in that order, the record lists its index keys first, by number.
    if (sorted.some(isIndexKey)) this.keys = [...sorted.filter(isIndexKey).sort((a, b) => Number(a) - Number(b)), ...sorted.filter((k) => !isIndexKey(k))];
  }

  /** The record as the batch leaves it: the one given when the batch never wrote into it. */
  record(): Record<string, V> {
    const values = this.values;
    if (!values) return this.initial as Record<string, V>;
    const out: Record<string, V> = {};
    for (const key of this.keys) setOwn(out, key, values.get(key) as V);
    return out;
  }

  private own(): Map<string, V> {
    if (!this.values) {
      this.keys = Object.keys(this.initial);
      this.values = new Map(this.keys.map((k) => [k, this.initial[k]]));
    }
    return this.values;
  }
}

/**
 * What tells a bypass finding's key from another's of its guard, detector and second (`Finding.instance`).
 * The once-per-expiry announcement: its exception, always (one guard's exceptions may be announced
 * in one second). Any other: the line's fingerprint, only when a bypass of this guard judged before
 * was at this second or later (`sharesSecond`), so the findings of a guard bypassed at most once a
 * second keep the keys they always had. Deterministic: a line judged once is never judged again (a
 * redelivered line is skipped, and a line's finding is committed with its mark).
 */
function instanceOf(detector: DetectorId, exceptionId: string | undefined, print: string, sharesSecond: boolean): { instance?: string } {
  if (detector === 'guard-exception-expiring') return exceptionId === undefined ? {} : { instance: exceptionId };
  return sharesSecond ? { instance: print } : {};
}

/**
 * Guard bypasses (pattern 2, "just this once"): judges each `guard.bypass` against the exception
 * registry the batch loaded (`ReduceContext.exceptions`), and counts bypasses per guard and per
 * exception. Counting in the guard's versioned state makes it exact under concurrent invocations
 * (a lost write is recomputed) and safe under redelivery (a line seen before is skipped).
 * Repeats of one finding kind are reported at most once per `alert_cooldown_minutes`; the
 * expiring announcement once per exception and expiry date.
 */
export const guardReducer: SubjectReducer<GuardState> = {
  kind: 'guard',
  stateKind: GUARD_STATE_KIND,
  bodyTypes: ['guard.bypass'],
  subjectOf(event) {
    return isBypass(event) ? event.body.guard : undefined;
  },
  initial: initialGuardState,
  apply(initial, subject, events, ctx): Reduction<GuardState> {
    const unchanged = { state: initial, findings: [], records: [] };
    const bypasses = events.filter(isBypass);
    if (bypasses.length === 0) return unchanged;
    const prints = bypasses.map(lineFingerprint);
    const group = groupFingerprint(prints);
    if (initial.groups.includes(group)) return unchanged;

    const registry = registryOf(ctx);
    const now = ctx.clock.now();
    const cooldownMs = ctx.config.defaults.alert_cooldown_minutes * 60_000;
    const seen = new Set(initial.seen);
    const fresh: { print: string; at: number }[] = [];
    const findings: Finding[] = [];
    // The batch's own copies, written in place and bounded after each line as they always were.
    // Registered ids are kept before unknown ones, then the most recent.
    const byException = new BoundedRecord(initial.byException, MAX_EXCEPTION_IDS, (k, v) => (registry.has(k) ? 1e15 : 0) + v.lastAt);
    const cooldowns = new BoundedRecord(initial.cooldowns, MAX_COOLDOWNS, (_, v) => v.at);
    let announced: string[] | undefined;
    let outcomes: Record<BypassOutcome, number> | undefined;
    let { bypasses: count, withoutException, firstAt, lastAt } = initial;

    bypasses.forEach((event, i) => {
      const { body, at } = event;
      if (seenBefore(initial, seen, prints[i], at)) return;
      seen.add(prints[i]);
      fresh.push({ print: prints[i], at });
      if (rememberedByLegacyFingerprint(seen, event) || rememberedUnderRotationBase(seen, event)) return;
      const id = namedExceptionId(body);
      const exception = id === undefined ? undefined : registry.get(id);
      // A bypass of this guard judged before at this second or later may have a finding of this
      // second already (alice and bob at 05:00:00; a line read late).
      const sharesSecond = sharesKeySecond(at, lastAt);
      let outcome: BypassOutcome = 'covered';
      announced ??= [...initial.announced];

      for (const detector of BYPASS_DETECTORS as readonly BypassDetector[]) {
        for (const draft of detector.check({ bypass: body, at, exception, now })) {
          const detectorId = detector.meta.id;
          outcome = OUTCOME_OF[detectorId] ?? outcome;
          let message = draft.message;
          let evidence = draft.evidence;
          if (detectorId === 'guard-exception-expiring') {
            const mark = `${exception?.id}@${exception?.expires}`;
            if (announced.includes(mark)) continue;
            announced.push(mark);
          } else if (cooldownMs > 0) {
            const key = `${detectorId}|${id ?? ''}`;
            const last = cooldowns.get(key);
            if (last && Math.abs(at - last.at) < cooldownMs) {
              cooldowns.set(key, { at: last.at, suppressed: last.suppressed + 1, byMonth: heldWithRepeat(last, at) });
              continue;
            }
            // A line read late, older than the last report by more than the cooldown, is reported
            // on its own: the repeats held back since that report came after it, and the next
            // report after them says how many.
            if (!last || at >= last.at) {
              if (last && last.suppressed > 0) {
                message = `${message}; ${last.suppressed} more like it since ${isoTime(last.at)}`;
                const held = last.byMonth ? { suppressed_by_month: heldEvidence(last.byMonth) } : last.afterMonth ? { suppressed_after_month: last.afterMonth } : {};
                evidence = { ...evidence, suppressed_since_last: last.suppressed, ...held, last_reported_at: isoTime(last.at) };
              }
              cooldowns.set(key, { at, suppressed: 0 });
            }
          }
          findings.push({
            ...draft,
            message,
            evidence,
            ...instanceOf(detectorId, exception?.id, prints[i], sharesSecond),
            detector: detectorId,
            subject_kind: detector.meta.subjectKind,
            severity: ctx.config.defaults.severity[detectorId] ?? draft.severity ?? detector.meta.defaultSeverity,
          });
        }
      }

      // Own properties only: an id is any text (`__proto__`, `constructor`), and must count as itself.
      // A bypass before its exception was added counts toward none (it was unregistered); the
      // first since then starts the count over from the bypasses named while it was unknown.
      if (id !== undefined && !(exception && addedAfter(exception, at) !== undefined)) {
        const before = byException.get(id);
        const since = exception ? countedSinceAdded(exception, before) : before;
        byException.set(id, { count: (since?.count ?? 0) + 1, lastAt: Math.max(since?.lastAt ?? at, at), byMonth: withOneMore({ ...since?.byMonth }, at) });
      }
      count += 1;
      outcomes ??= { ...initial.outcomes };
      outcomes[outcome] = outcomes[outcome] + 1;
      withoutException += id === undefined ? 1 : 0;
      byException.bound();
      firstAt = Math.min(firstAt ?? at, at);
      lastAt = Math.max(lastAt ?? at, at);
      if (announced.length > MAX_ANNOUNCED) announced.splice(0, announced.length - MAX_ANNOUNCED);
      cooldowns.bound();
    });

    if (fresh.length === 0) return unchanged;
    const state: GuardState = {
      ...initial,
      bypasses: count,
      outcomes: outcomes ?? initial.outcomes,
      withoutException,
      byException: byException.record(),
      firstAt,
      lastAt,
      announced: announced ?? initial.announced,
      cooldowns: cooldowns.record(),
    };
    return { state: { ...state, ...rememberLines(state, fresh, MAX_SEEN), groups: rememberBounded(state.groups, [group], MAX_GROUPS) }, findings, records: [] };
  },
  /**
   * The sweep: announces the exceptions of this guard that have been used and now expire within
   * 14 days, though no bypass came since they entered that window. Judged only against a registry
   * the caller loaded: the config alone may hold an expiry that a renewal has moved since.
   */
  tick(state, subject, ctx): Reduction<GuardState> {
    const unchanged = { state, findings: [], records: [] };
    if (!ctx.exceptions) return unchanged;
    const now = ctx.clock.now();
    const findings: Finding[] = [];
    const announced = [...state.announced];
    for (const exception of ctx.exceptions.values()) {
      const used = countedSinceAdded(exception, ownValue(state.byException, exception.id));
      const mark = `${exception.id}@${exception.expires}`;
      if (exception.guard !== subject || !used || announced.includes(mark)) continue;
      const bypass = { type: 'guard.bypass' as const, guard: subject, exception_id: exception.id };
      for (const draft of guardExceptionExpiringDetector.check({ bypass, at: now, exception })) {
        const meta = guardExceptionExpiringDetector.meta;
        announced.push(mark);
        findings.push({
          ...draft,
          evidence: { ...draft.evidence, last_bypass_at: isoTime(used.lastAt) },
          instance: exception.id,
          detector: meta.id,
          subject_kind: meta.subjectKind,
          severity: ctx.config.defaults.severity[meta.id] ?? draft.severity ?? meta.defaultSeverity,
        });
      }
    }
    if (findings.length === 0) return unchanged;
    return { state: { ...state, announced: announced.slice(-MAX_ANNOUNCED) }, findings, records: [] };
  },
};

/** Registry records with their bypass counts filled in from the guards' states. */
export function withBypassCounts(exceptions: readonly GuardException[], states: ReadonlyMap<string, Versioned<unknown>>): GuardException[] {
  return exceptions.map((e) => {
    const state = states.get(guardStateKey(e.guard))?.state as GuardState | undefined;
    const counted = countedSinceAdded(e, ownValue(state?.byException, e.id));
    if (!counted) {
      const { last_bypass_at: _never, ...rest } = e;
      return { ...rest, bypass_count: 0 };
    }
    return { ...e, bypass_count: counted.count, last_bypass_at: isoTime(counted.lastAt) };
  });
}

/**
 * `exception`'s bypasses up to `cutMs` (a report's end) from its guard's state: none counted, or
 * those of the UTC months up to `cutMs`'s (`byMonth`). Undefined when the state cannot tell: it
 * counts none while the registry's record counts some, or some came after `cutMs` and it keeps no
 * months (written before them), or the months it keeps do not hold them all, or some in `cutMs`'s
 * month came after it.
 */
export function bypassesUpTo(exception: GuardException, state: GuardState | undefined, cutMs: number): { count: number; lastAt?: number } | undefined {
  const counted = countedSinceAdded(exception, ownValue(state?.byException, exception.id));
  // No count in the state, but the registry has some: a registry whose counts are not the state's.
  if (!counted) return exception.bypass_count > 0 ? undefined : { count: 0 };
  if (counted.lastAt < cutMs) return counted;
  if (!counted.byMonth) return undefined;
  const cutMonth = utcMonth(cutMs - 1);
  let count = 0;
  let all = 0;
  let lastAt: number | undefined;
  for (const [month, held] of Object.entries(counted.byMonth)) {
    all += held.count;
    if (month > cutMonth) continue;
    if (held.lastAt >= cutMs) return undefined;
    count += held.count;
    lastAt = Math.max(lastAt ?? held.lastAt, held.lastAt);
  }
  return all === counted.count ? { count, ...(lastAt !== undefined ? { lastAt } : {}) } : undefined;
}

/** Guard bypass lines of a batch, per guard and per registered exception: what a delivery reports as metrics. */
export interface BypassTally {
  readonly byGuard: Readonly<Record<string, number>>;
  readonly byException: Readonly<Record<string, number>>;
}

/**
 * Counts a batch's bypass lines per guard and per exception id in the registry (ids that are not
 * registered are counted under their guard only, so a typo cannot create a metric).
 */
export function tallyBypasses(events: readonly AuditEvent[], registry: ReadonlyMap<string, GuardException>): BypassTally {
  const byGuard: Record<string, number> = {};
  const byException: Record<string, number> = {};
  for (const event of events) {
    if (!isBypass(event)) continue;
    setOwn(byGuard, event.body.guard, (ownValue(byGuard, event.body.guard) ?? 0) + 1);
    const id = namedExceptionId(event.body);
    if (id !== undefined && registry.has(id)) setOwn(byException, id, (ownValue(byException, id) ?? 0) + 1);
  }
  return { byGuard, byException };
}
