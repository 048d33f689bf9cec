import { hostStateExpiry } from './cron-host-reducer.ts';
import type { AuditEvent, RunStart, UnitStarting } from './events.ts';
import { shortenName } from './parse/derived-name.ts';
import { systemdRunId } from './parse/run-ids.ts';
import { isUnitName } from './parse/unit-subject.ts';
import type { Reduction, SubjectReducer } from './pipeline.ts';
import { BUILTIN_REDACTOR, type Redactor, redactorFor } from './redact.ts';
import { removeWhere } from './stats.ts';

/**
 * Which unit an older systemd's `Starting D...` is about. systemd before 249 (Ubuntu 20.04's 245,
 * CentOS 7 and 8) names only the unit's description D in its job lines: a Type=oneshot timer job
 * logs `Starting Nightly backup...` when it begins and, when it ends,
 *
 *   `backup.service: Succeeded.` (`Deactivated successfully.` from 248 on), then at once
 *   `Finished Nightly backup.` (`Started Nightly backup.` in older versions)
 *
 * The second pair is written in one step of the service manager (the unit's result, then its start
 * job's), nothing between them: it is the one place such a log ties D to its unit U. Such a run
 * (a pending `Starting D`, then `U` succeeded and `D` finished right after, on the same host) is
 * read as U's run from its `Starting` line, and the host's state remembers that D is U, so a later
 * `Starting D` becomes a run start of U too: its duration is known, and a long daily job is not
 * taken as started when it ended (`missed-run`).
 *
 * Three places do this:
 * - `enrich`, within a batch: a `Starting D` whose own end pair follows in the batch becomes the
 *   start of that pair's unit before the job reducer sees it (the end comes after it; when that
 *   end was read in an earlier delivery, cut after it, the job reducer lets the start open nothing);
 * - `resolve`, with the host's state (`systemdhost#<host>`) before the batch is reduced: a
 *   `Starting D` that an end of U (any result: a failure ends no pair) follows in its batch
 *   becomes U's start when an earlier run, in an earlier batch or earlier in this one, taught that
 *   D is U, so the job reducer reads it before that end (which would otherwise close an older run
 *   of U left open, or none);
 * - `apply`, across batches: a `Starting D` whose end is not in its batch is handed to the job
 *   reducer as U's start when an earlier run taught that D is U.
 *
 * Nothing is guessed. A description seen with two units on a host, or a unit with two
 * descriptions, is never resolved. A `Starting D` is never resolved nor handed off when an end of
 * U at or after it was known before its batch (remembered), nor handed off when one is in its
 * batch: the job reducer has already closed that run without it (a first run, a redelivered batch,
 * lines out of order), and a start handed on now would open a run that never ends. Such a start
 * stays what it was before: nothing. Units whose systemd logs
 * no `U: Succeeded.` (CentOS 7's systemd 219) are never learned, so their starts never open a
 * run that only `Started D.` would end.
 */

export const SYSTEMD_HOST_STATE_KIND = 'systemdhost';

/** A description the host's log tied to its unit, or to more than one (`ambiguous`). */
export interface UnitDescription {
  readonly description: string;
  /** Absent when ambiguous. */
  readonly unit?: string;
  readonly ambiguous?: true;
  /** When the pair that taught it was last seen. */
  readonly at: number;
  /** The latest end of the unit known on this host: a `Starting` before it is of a run already ended. */
  readonly lastEndAt?: number;
}

/** A `Starting D` not yet followed by the pair that ties D to its unit. */
export interface PendingStart {
  readonly description: string;
  readonly at: number;
}

/** What the pipeline keeps per host whose systemd names only descriptions: compact, bounded, JSON-serialisable. */
export interface SystemdHostState {
  readonly host: string;
  /** The descriptions learned, newest last (the latest MAX_UNITS). */
  readonly units: readonly UnitDescription[];
  /** Recent `Starting D` lines, oldest first (the newest MAX_PENDING): the first half of the evidence. */
  readonly pending: readonly PendingStart[];
  /** The latest line time that changed the state. */
  readonly lastAt?: number;
  /** When the state may be deleted (DynamoDB TTL): HOST_TTL_MS after its latest line, or after it was written. */
  readonly expiresAt?: number;
}

/** A host runs tens of timer units; a few hundred descriptions cover it. */
const MAX_UNITS = 200;
/** A boot starts a hundred units; a day's timer jobs are a few dozen. */
const MAX_PENDING = 100;
/** `U: Succeeded.` and `Finished D.` are written in one step: the same second of a syslog time. */
const PAIR_WINDOW_MS = 1_000;
/**
 * The service manager's lines as text (syslog, `journalctl -o short`): a `journalctl -o json`
 * record names its unit (`UNIT`) and needs none of this, and cron's records share its format.
 */
const SYSTEMD_TEXT_FORMAT = 'systemd';

export function systemdHostKey(host: string): string {
  return `${SYSTEMD_HOST_STATE_KIND}#${host}`;
}

export function initialSystemdHostState(host: string): SystemdHostState {
  return { host, units: [], pending: [] };
}

type Body = { readonly type: string; readonly job?: string; readonly host?: string; readonly exit_code?: number; readonly description?: string };

function bodyOf(event: AuditEvent): Body {
  return event.body as unknown as Body;
}

/** A service manager's line that names its host: the only lines whose order on that host is known. */
function hostOf(event: AuditEvent): string | undefined {
  if (event.format !== SYSTEMD_TEXT_FORMAT) return undefined;
  const body = bodyOf(event);
  if (body.type !== 'run.start' && body.type !== 'run.end' && body.type !== 'run.failed' && body.type !== 'unit.starting') return undefined;
  return typeof body.host === 'string' ? body.host : undefined;
}

function isStarting(event: AuditEvent): event is AuditEvent<UnitStarting> {
  return event.body.type === 'unit.starting';
}

/**
 * The description a `Starting D` names, as the job of a `Finished D.` of the same text is named
 * (long ones shortened, with the `redactor` of the config the lines were read with).
 */
function startingDescription(event: AuditEvent, redactor: Redactor): string | undefined {
  const body = bodyOf(event);
  if (body.type === 'unit.starting' && typeof body.description === 'string') return shortenName(body.description, 0, redactor);
  // A `Starting D` made U's start (by `enrich`, or handed off): still the first half of the evidence.
  if (body.type === 'run.start' && typeof body.description === 'string') return shortenName(body.description, 0, redactor);
  return undefined;
}

/** `U: Succeeded.` / `U: Deactivated successfully.` (or any success end that names its unit). */
function unitSucceeded(event: AuditEvent): string | undefined {
  const body = bodyOf(event);
  return body.type === 'run.end' && body.exit_code === 0 && typeof body.job === 'string' && isUnitName(body.job) ? body.job : undefined;
}

/** The description a `Finished D.` or `Started D.` completes (a start job's end that names no unit). */
function completedDescription(event: AuditEvent): string | undefined {
  const body = bodyOf(event);
  if (typeof body.job !== 'string' || isUnitName(body.job) || body.description !== undefined) return undefined;
  return (body.type === 'run.end' && body.exit_code === 0) || body.type === 'run.start' ? body.job : undefined;
}

/** An end of a unit's run (any result). */
function unitEnded(event: AuditEvent): string | undefined {
  const body = bodyOf(event);
  return (body.type === 'run.end' || body.type === 'run.failed') && typeof body.job === 'string' && isUnitName(body.job) ? body.job : undefined;
}

interface Pair {
  readonly at: number;
  readonly host: string;
  readonly description: string;
  readonly unit: string;
}

/**
 * The events (by index) that complete a description right after a unit succeeded on the same host
 * (`U: Succeeded.` then `Finished D.`), with nothing of the service manager's on that host between.
 */
function pairsOf(events: readonly AuditEvent[]): Map<number, Pair> {
  const pairs = new Map<number, Pair>();
  const previous = new Map<string, AuditEvent>();
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const host = hostOf(event);
    if (host === undefined) continue;
    const description = completedDescription(event);
    const before = previous.get(host);
    const unit = before && unitSucceeded(before);
    if (description !== undefined && unit !== undefined && event.at >= before!.at && event.at - before!.at <= PAIR_WINDOW_MS) pairs.set(i, { at: event.at, host, description, unit });
    previous.set(host, event);
  }
  return pairs;
}

/** Host + description: the key of a description's facts. */
function keyOf(host: string, description: string): string {
  return `${host}\n${description}`;
}

/** The keys of descriptions that the pairs tie to more than one unit, or whose unit they tie to more than one description. */
function ambiguousIn(pairs: readonly Pair[]): Set<string> {
  const unitsOf = new Map<string, Set<string>>();
  const descriptionsOf = new Map<string, Set<string>>();
  for (const p of pairs) {
    const d = keyOf(p.host, p.description);
    const u = keyOf(p.host, p.unit);
    if (!unitsOf.has(d)) unitsOf.set(d, new Set());
    unitsOf.get(d)!.add(p.unit);
    if (!descriptionsOf.has(u)) descriptionsOf.set(u, new Set());
    descriptionsOf.get(u)!.add(p.description);
  }
  const ambiguous = new Set<string>();
  for (const p of pairs) {
    if (unitsOf.get(keyOf(p.host, p.description))!.size > 1 || descriptionsOf.get(keyOf(p.host, p.unit))!.size > 1) ambiguous.add(keyOf(p.host, p.description));
  }
  return ambiguous;
}

/** A `Starting D` as the run start of unit U: the id a `Starting U - D...` line at that time would have. */
function startOf(event: AuditEvent<UnitStarting>, unit: string): AuditEvent<RunStart> {
  const host = event.body.host;
  return { ...event, body: { type: 'run.start', job: unit, run_id: systemdRunId(unit, event.at, host), host, description: event.body.description } };
}

/**
 * Within a batch (in time order): each `Starting D` whose next completion of D on its host is the
 * `Finished D.` right after `U: Succeeded.` becomes U's run start. Run again on its own output it
 * changes nothing (scan runs it over a chunk with context, the pipeline once more per batch).
 */
export function resolveStartsInBatch(events: readonly AuditEvent[], redactor: Redactor = BUILTIN_REDACTOR): readonly AuditEvent[] {
  if (!events.some(isStarting)) return events;
  const pairs = pairsOf(events);
  if (pairs.size === 0) return events;
  const ambiguous = ambiguousIn([...pairs.values()]);
  let out: AuditEvent[] | undefined;
  // Walking back: the pair of the next completion of each description, null when that completion is not one.
  const next = new Map<string, Pair | null>();
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    const host = hostOf(event);
    if (host === undefined) continue;
    const completed = completedDescription(event);
    if (completed !== undefined) {
      next.set(keyOf(host, completed), pairs.get(i) ?? null);
      continue;
    }
    if (!isStarting(event)) continue;
    const key = keyOf(host, shortenName(event.body.description, 0, redactor));
    const pair = next.get(key);
    // An earlier `Starting D` never takes this completion: it belongs to the latest start before it.
    next.delete(key);
    if (!pair || ambiguous.has(key)) continue;
    (out ??= events.slice())[i] = startOf(event, pair.unit);
  }
  return out ?? events;
}

type MutableUnit = { -readonly [K in keyof UnitDescription]: UnitDescription[K] };

/**
 * Reads a batch's events in order into a copy of the host's descriptions and pending starts,
 * learning each pair whose `Starting D` came before it; `visit` is called with each event before
 * it is read, and with what is known of its description by then.
 */
function readBatch(initial: SystemdHostState, events: readonly AuditEvent[], redactor: Redactor, visit?: (event: AuditEvent, index: number, find: (description: string) => UnitDescription | undefined) => void) {
  const units = initial.units.map((u) => ({ ...u }) as MutableUnit);
  const pending = initial.pending.slice();
  const pairs = pairsOf(events);
  const find = (description: string): MutableUnit | undefined => units.find((u) => u.description === description);

  const learn = (pair: Pair) => {
    const known = find(pair.description);
    if (known && known.unit !== pair.unit) {
      delete known.unit;
      known.ambiguous = true;
    } else if (known) known.lastEndAt = Math.max(known.lastEndAt ?? pair.at, pair.at);
    else units.push({ description: pair.description, unit: pair.unit, at: pair.at, lastEndAt: pair.at });
    const entry = find(pair.description)!;
    entry.at = Math.max(entry.at, pair.at);
    // A unit with another description: which of them it is cannot be told.
    for (const other of units) {
      if (other !== entry && other.unit === pair.unit) {
        delete other.unit;
        other.ambiguous = true;
        delete entry.unit;
        entry.ambiguous = true;
      }
    }
  };

  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    visit?.(event, i, find);
    const description = startingDescription(event, redactor);
    if (description !== undefined && !pending.some((p) => p.description === description && p.at === event.at)) {
      pending.splice(pending.findLastIndex((p) => p.at <= event.at) + 1, 0, { description, at: event.at });
      if (pending.length > MAX_PENDING) pending.shift();
    }
    const pair = pairs.get(i);
    // The evidence whole: a `Starting D` before the pair (a `Started D.` without one is another unit's start).
    if (pair && pending.some((p) => p.description === pair.description && p.at <= pair.at)) {
      learn(pair);
      removeWhere(pending, (p) => p.description === pair.description && p.at <= pair.at);
    }
  }
  return { units, pending, find };
}

/**
 * Before the batch is reduced (`resolve`): each `Starting D` whose unit U the host knows by then
 * (from earlier batches, or a pair earlier in this one) and that an end of U (any result) follows
 * in the batch becomes U's run start, so that the job reducer reads it before that end: handed
 * off after the batch, it would come after the end, which would have closed an older run of U
 * left open (one a reboot cut) or none. Left as it is when an end of U at or after it was known
 * before the batch (a redelivery: its run is closed), or when the batch leaves D without one unit.
 */
export function resolveStartsFromState(initial: SystemdHostState, events: readonly AuditEvent[], redactor: Redactor = BUILTIN_REDACTOR): readonly AuditEvent[] {
  if (!events.some(isStarting)) return events;
  const lastEnd = new Map<string, number>();
  events.forEach((event, i) => {
    const ended = unitEnded(event);
    if (ended !== undefined) lastEnd.set(ended, i);
  });
  if (lastEnd.size === 0) return events;
  const candidates: { index: number; description: string; unit: string }[] = [];
  const { find } = readBatch(initial, events, redactor, (event, index, findNow) => {
    if (!isStarting(event)) return;
    const description = shortenName(event.body.description, 0, redactor);
    const unit = findNow(description)?.unit;
    if (unit === undefined || (lastEnd.get(unit) ?? -1) < index) return;
    const endedBefore = initial.units.find((u) => u.description === description)?.lastEndAt;
    if (endedBefore !== undefined && event.at <= endedBefore) return;
    candidates.push({ index, description, unit });
  });
  let out: AuditEvent[] | undefined;
  for (const { index, description, unit } of candidates) {
    // A pair later in the batch that ties D to another unit, or U to another description: nothing is guessed.
    if (find(description)?.unit !== unit) continue;
    (out ??= events.slice())[index] = startOf(events[index] as AuditEvent<UnitStarting>, unit);
  }
  return out ?? events;
}

export const systemdHostReducer: SubjectReducer<SystemdHostState> = {
  // Its events are jobs' (it reports nothing itself); its state is the host's.
  kind: 'job',
  stateKind: SYSTEMD_HOST_STATE_KIND,
  bodyTypes: ['run.start', 'run.end', 'run.failed', 'unit.starting'],
  subjectOf: hostOf,
  initial: initialSystemdHostState,
  enrich: (events, config) => resolveStartsInBatch(events, redactorFor(config)),
  resolve: (state, _host, events, config) => resolveStartsFromState(state, events, redactorFor(config)),
  apply(initial, host, events, ctx): Reduction<SystemdHostState> {
    const redactor = redactorFor(ctx.config);
    const { units, pending, find } = readBatch(initial, events, redactor);
    let lastAt = initial.lastAt;
    const starts: AuditEvent<UnitStarting>[] = [];
    const endsInBatch = new Map<string, number>();
    for (const event of events) {
      if (isStarting(event)) starts.push(event);
      const ended = unitEnded(event);
      if (ended !== undefined) endsInBatch.set(ended, Math.max(endsInBatch.get(ended) ?? event.at, event.at));
    }
    for (const entry of units) {
      const end = entry.unit === undefined ? undefined : endsInBatch.get(entry.unit);
      if (end !== undefined) entry.lastEndAt = Math.max(entry.lastEndAt ?? end, end);
    }
    units.sort((a, b) => a.at - b.at);
    if (units.length > MAX_UNITS) units.splice(0, units.length - MAX_UNITS);

    // Handed off again when redelivered (a crash may have lost them): the job reducer skips a start it has seen.
    // A start an end of U follows in the batch was resolved before it (`resolve`) when U was known then.
    const handOff: AuditEvent[] = [];
    for (const event of starts) {
      const entry = find(shortenName(event.body.description, 0, redactor));
      if (entry?.unit === undefined || event.at <= (entry.lastEndAt ?? Number.NEGATIVE_INFINITY)) continue;
      handOff.push(startOf(event, entry.unit));
    }
    const handed = handOff.length > 0 ? { handOff } : {};
    if (JSON.stringify(units) === JSON.stringify(initial.units) && JSON.stringify(pending) === JSON.stringify(initial.pending)) return { state: initial, findings: [], records: [], ...handed };
    for (const event of events) lastAt = Math.max(lastAt ?? event.at, event.at);
    const state: SystemdHostState = {
      host,
      units,
      pending,
      ...(lastAt !== undefined ? { lastAt } : {}),
      expiresAt: hostStateExpiry(lastAt, ctx.clock.now()),
    };
    return { state, findings: [], records: [], ...handed };
  },
  expiresAt(state) {
    return state.expiresAt;
  },
};
