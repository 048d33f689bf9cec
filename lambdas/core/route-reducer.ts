import { hash } from 'node:crypto';
import type { Config } from '../config.ts';
import type { RouteOptions, RouteWindow, RouteWindowKind } from '../detectors/agent-kinds.ts';
import type { DetectorId } from '../detectors/ids.ts';
import { ROUTE_WINDOW_DETECTORS } from '../detectors/index.ts';
import { RETRY_LATENCY_FACTOR } from '../detectors/retry-latency.ts';
import type { Attempt, AuditEvent } from './events.ts';
import type { Finding } from './findings.ts';
import { copySketch, countIntoOwnSketch, emptySketch, type LatencySketch, mergeSketches, sketchQuantile } from './histogram.ts';
import { isIndexKey, ownValue, setOwn } from './own-property.ts';
import type { ReduceContext, Reduction, SubjectReducer } from './pipeline.ts';
import { fingerprint, TOKEN_CHARS, TokenRing } from './token-ring.ts';

/**
 * Retries per route (`attempt` lines): attempts are grouped into requests by `request_id`; a
 * request is complete when it succeeded and every attempt before the successful one is in, or
 * when nothing was heard of it for `REQUEST_HORIZON_MS` (event time). Completed requests land in
 * 15-minute buckets (the last two hours), hourly buckets (the last day) and monthly buckets, each
 * with counts and two latency sketches (end to end, single attempt): bounded, whatever the traffic.
 *
 * Windows are judged at fixed moments, so any split of the same lines into batches gives the same
 * answer: the rolling hour at every quarter hour, the rolling day at every hour, each calendar
 * month at its end — each once the route's time (its newest line's, or the sweep's clock, less
 * `SWEEP_MARGIN_MS`: another host's lines of the same minutes may still be on their way) has
 * reached `REQUEST_HORIZON_MS` past it. A rolling hour (and day) at whose end a request begun before
 * it is still open (an attempt failed just after the end, and a retry may still come) is judged once
 * every such request is complete, at the latest when the next boundary is judged (`window_held`),
 * still as of its end: its buckets count them. A month whose last requests are still open then (a
 * retry past midnight) is judged once they are complete, at most `MONTH_HOLD_MS` later, still as of
 * its end: its bucket counts them. A month's request whose lines come after it was judged is counted in
 * its bucket, and the month judged again (`judgeLateMonth`); a rolling hour or day is not.
 */

export interface RouteBucket {
  /** Epoch ms of the bucket's start (15 min, 1 h or a calendar month). */
  start: number;
  requests: number;
  retried: number;
  failed: number;
  attempts: number;
  e2e: LatencySketch;
  attempt: LatencySketch;
}

/** A calendar month's request counts, without sketches. */
export interface RouteMonthCounts {
  /** Epoch ms of the month's start. */
  start: number;
  requests: number;
  retried: number;
  failed: number;
  attempts: number;
}

/** A request still open: attempts seen so far. */
export interface OpenRequest {
  /** The earliest attempt's start (its `ts` minus its latency). */
  first: number;
  /** The latest attempt's end (its `ts`). */
  last: number;
  seen: number[];
  latencies: number[];
  failures: number;
  /** The lowest attempt number that succeeded. */
  ok?: number;
}

export interface RouteTotals {
  requests: number;
  retried: number;
  failed: number;
  attempts: number;
}

export interface RouteState {
  route: string;
  /**
   * What "now" is for this route: the latest attempt time seen, or the sweep's time, less
   * `SWEEP_MARGIN_MS` (in case another host's lines of the same minutes are still on their way).
   */
  watermark?: number;
  /** The last quarter-hour boundary judged. */
  judged_to?: number;
  /**
   * The end of a month not judged yet: a request begun in it was still open at its end. Judged (as
   * of its end) once none is, or `MONTH_HOLD_MS` after its end. Missing when no month waits.
   */
  month_held?: number;
  /**
   * The end of a rolling hour (and, on the hour, day) not judged yet: a request begun before it was
   * still open when it came due. Judged (as of its end) once none is, or when the next quarter-hour
   * boundary is (whatever is still open is left out): windows are judged in order. Missing when none waits.
   */
  window_held?: number;
  /**
   * Requests still open, by request id; an id longer than `MAX_OPEN_ID_CHARS` (or one that starts
   * with `HASHED_OPEN_ID`) by a fixed-length fingerprint of it (`openKey`). At most
   * `MAX_OPEN_REQUESTS` of them, of `MAX_OPEN_BYTES` in all: the state is one DynamoDB item (400 KB).
   */
  open: Record<string, OpenRequest>;
  /**
   * Completed requests (8 characters each: 6 of the request id's fingerprint, 2 of a 20-minute slot
   * its attempts spanned): a late or redelivered attempt of one (within 15 minutes of its attempts)
   * is ignored; the same id 35 minutes or more after its last attempt is a new request.
   */
  done: string;
  /**
   * How many of `done`'s last tokens are per 20-minute slot; the ones before (all of them when this
   * is missing: states written before) are per hour, looked up as they were written, until they age out.
   */
  done_slotted?: number;
  /**
   * Requests completed early, past `MAX_OPEN_REQUESTS` or `MAX_OPEN_BYTES` (a token of the 20-minute
   * slot of each one's last attempt, as in `done`), the latest `MAX_CLOSED_EARLY`: such a request
   * was still going on, and its retry may come after more requests completed than `done` keeps; it
   * is ignored then too, not counted as a request of its own. Missing until one is completed early.
   */
  closed_early?: string;
  quarters: RouteBucket[];
  hours: RouteBucket[];
  months: RouteBucket[];
  /**
   * The request counts of the `PAST_MONTHS` calendar months before `months` (oldest first), kept
   * when their bucket and its sketches are dropped: the monthly report of an older month still has
   * its requests. Missing in states written before.
   */
  past_months?: RouteMonthCounts[];
  /** The start of the first request counted (epoch ms); missing in states written before. */
  first_seen?: number;
  /**
   * The newest attempt time recorded (epoch ms): when the route was last seen. Not `watermark`,
   * which the sweep moves on with its clock while the route is silent. Missing in states written
   * before, until their next line.
   */
  last_at?: number;
  /** Detector → window kind → the end of the window it last fired for. */
  fired: Partial<Record<DetectorId, Partial<Record<RouteWindowKind, number>>>>;
  totals: RouteTotals;
}

const QUARTER = 15 * 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A request with no new attempt for this long (route time) is complete: no retry is coming. */
export const REQUEST_HORIZON_MS = 5 * 60_000;
/**
 * A month's judgement waits at most this long past its end for the requests begun in it and still
 * open (a retry chain past midnight); one still going on then is left out of it.
 */
export const MONTH_HOLD_MS = HOUR;
/**
 * A route's time is its newest line's (the ingest) or the sweep's clock less this, in case lines are
 * still on their way: another host's stream of the same minutes up to this far behind is counted
 * before a window is judged.
 */
export const SWEEP_MARGIN_MS = 15 * 60_000;
export const MAX_OPEN_REQUESTS = 2000;
/** Request ids up to this long are their own key in `open`; longer ones are keyed by a fingerprint (`openKey`). */
const MAX_OPEN_ID_CHARS = 64;
/** What starts the key of a request kept by its fingerprint: an id that starts so is always fingerprinted too. */
const HASHED_OPEN_ID = '#sha256:';
/** Base64url characters of SHA-256 in a fingerprinted key: 132 bits, never the same for two ids in practice. */
const HASHED_OPEN_ID_CHARS = 22;
/**
 * The open requests' JSON bytes at most (as `openRequestBytes` counts them), the quietest closed
 * early past it as past `MAX_OPEN_REQUESTS`: 2,000 requests of 10 attempts each with fractional
 * latencies are 700 KB of JSON, 340 KB deflated, and the whole state must fit in a 400 KB item.
 * 2,000 requests of 3 attempts with UUIDs for ids (about 290 KB) fit.
 */
export const MAX_OPEN_BYTES = 360_000;
/** An open request's JSON besides its key and attempts: two times of 13 digits, the field names, a failure count. */
const OPEN_REQUEST_BYTES = 90;
export const MAX_DONE_REQUESTS = 3000;
/** Requests completed early remembered apart from `done` (`closed_early`): 8 KB of state. */
export const MAX_CLOSED_EARLY = 1000;
/**
 * A completed request is remembered per 20-minute slot its attempts spanned: request ids repeat (a
 * counter that restarts on deploy, a daily sequence), and an attempt of an id finished an hour ago
 * is a new request. (20 minutes, not 15: a slot number is kept modulo 4096, and 72 slots a day make
 * an id reused daily at the same time alias only after 512 days, 96 after 128.)
 */
const DONE_SLOT = 20 * 60_000;
/**
 * An attempt is looked up in every slot within this of it: one of a request up to this before its
 * first attempt or after its last (a late attempt, a missing earlier one) is always found, one more
 * than DONE_SLOT + DONE_EDGE (35 minutes) after its last never.
 */
const DONE_EDGE = QUARTER;
/** Slots remembered of one request: the last ones (a day) of a request that went on longer. */
const MAX_DONE_SPAN = DAY / DONE_SLOT;
/** Tokens written before `done_slotted` were per hour, an attempt this close to an hour's edge looked up in the neighbouring hour too. */
const LEGACY_DONE_BUCKET = HOUR;
const LEGACY_DONE_EDGE = QUARTER;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const MAX_ATTEMPTS_KEPT = 50;
/** How long after a window it fired for a detector may fire again for one of the same kind (a rolling window: once per window); a month's window is judged once, at its end. */
export const WINDOW_LENGTH: Readonly<Record<RouteWindowKind, number>> = { hour: HOUR, day: DAY, month: 0 };
const WIDTH_ORDER: readonly RouteWindowKind[] = ['month', 'day', 'hour'];
/** Months of request counts kept before the monthly buckets (`past_months`): with those, over a year back, at about 70 bytes each. */
export const PAST_MONTHS = 12;

export function initialRouteState(route: string): RouteState {
  return { route, open: {}, done: '', quarters: [], hours: [], months: [], fired: {}, totals: { requests: 0, retried: 0, failed: 0, attempts: 0 } };
}

export function resolveRouteOptions(config: Config, route: string): RouteOptions {
  const own = ownValue(config.routes, route);
  return {
    retryRateMax: own?.retry_rate_max ?? config.defaults.retry_rate_max,
    minRequests: config.defaults.retry_min_requests,
    p99Ms: own?.p99_ms,
    latencyFactor: own?.retry_latency_factor ?? RETRY_LATENCY_FACTOR,
  };
}

function floorTo(ms: number, unit: number): number {
  return Math.floor(ms / unit) * unit;
}

export function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function addMonths(monthStartMs: number, n: number): number {
  const d = new Date(monthStartMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1);
}

function emptyBucket(start: number): RouteBucket {
  return { start, requests: 0, retried: 0, failed: 0, attempts: 0, e2e: emptySketch(), attempt: emptySketch() };
}

/** Buckets in the order the state keeps them: oldest first. */
function byStart(a: RouteBucket, b: RouteBucket): number {
  return a.start - b.start;
}

/** Open requests in the order they are closed: the quietest first, then by id. */
function byLastThenId([a, x]: [string, OpenRequest], [b, y]: [string, OpenRequest]): number {
  return x.last - y.last || a.localeCompare(b);
}

/** The place of an open request's key in the open map's order: integer-like keys (`"42"`, `isIndexKey`) first, by their number, then the others as they were added (`seq`). */
function placeOf(key: string, seq: number): number {
  return isIndexKey(key) ? Number(key) - 4_294_967_295 : seq;
}

/** An open request as `QuietestFirst` holds it: its `last`, key and place in the open map (`placeOf`) when it was put in. */
interface QuietEntry {
  last: number;
  key: string;
  place: number;
}

/** Whether `a` is closed before `b`: `byLastThenId`, then (as that sort is stable) the open map's order. */
function quieterThan(a: QuietEntry, b: QuietEntry): boolean {
  if (a.last !== b.last) return a.last < b.last;
  const c = a.key.localeCompare(b.key);
  return c !== 0 ? c < 0 : a.place < b.place;
}

/**
 * The open requests in the order `byLastThenId` sorts the open map (`Object.entries`, a stable
 * sort) into, as a binary heap: a route past `MAX_OPEN_REQUESTS` closes its quietest request at
 * nearly every line, and sorting the 2,000 each time cost a millisecond a line. Made once per fold,
 * the first time the bounds are passed; from then every request put in or heard again is added
 * (`put`), and an entry no longer true of the map (its request closed, heard again since, or taken
 * out and put back) is skipped when it comes up.
 */
class QuietestFirst {
  private heap: QuietEntry[] = [];
  /** Each open request's key, its place in the open map (`placeOf`) and its `last`, as the map holds them. */
  private readonly current = new Map<string, { place: number; last: number }>();
  private nextSeq = 0;

  /** Undefined when a request's `last` is not a number (a state no line wrote): the sort is left to do. */
  static of(open: Record<string, OpenRequest>): QuietestFirst | undefined {
    const order = new QuietestFirst();
    for (const key of Object.keys(open)) {
      const last = open[key].last;
      if (typeof last !== 'number' || Number.isNaN(last)) return undefined;
      order.put(key, last, true);
    }
    return order;
  }

  /** A request put in the open map or heard again: `added` when its key was added to the map (not there before), which puts it at the map's end. */
  put(key: string, last: number, added: boolean): void {
    let now = this.current.get(key);
    if (now !== undefined && !added) {
      if (now.last === last) return;
      now.last = last;
    } else this.current.set(key, (now = { place: placeOf(key, this.nextSeq++), last }));
    if (this.heap.length > 1024 && this.heap.length > 4 * this.current.size) this.compact();
    const heap = this.heap;
    const entry: QuietEntry = { key, place: now.place, last };
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!quieterThan(entry, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  /** A request taken out of the open map. */
  remove(key: string): void {
    this.current.delete(key);
  }

  /** The key of the quietest open request (`byLastThenId`), left in the map; undefined when none is open. */
  quietest(): string | undefined {
    const heap = this.heap;
    while (heap.length > 0) {
      if (this.isCurrent(heap[0])) return heap[0].key;
      this.pop();
    }
    return undefined;
  }

  private isCurrent(entry: QuietEntry): boolean {
    const now = this.current.get(entry.key);
    return now !== undefined && now.place === entry.place && now.last === entry.last;
  }

  private pop(): void {
    const heap = this.heap;
    const end = heap.pop() as QuietEntry;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const c = l + 1 < heap.length && quieterThan(heap[l + 1], heap[l]) ? l + 1 : l;
      if (!quieterThan(heap[c], end)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = end;
  }

  /** Keeps one entry per open request: a sorted array is a heap. */
  private compact(): void {
    const kept = this.heap.filter((e) => this.isCurrent(e));
    kept.sort((a, b) => (quieterThan(a, b) ? -1 : quieterThan(b, a) ? 1 : 0));
    this.heap = kept;
  }
}

/** A completed request's token for one slot (20 minutes; an hour in tokens written before): 6 characters of its id's fingerprint, then the slot (modulo 4096) in 2. */
export function doneToken(print: string, slot: number): string {
  const h = slot & 4095;
  return print.slice(0, 6) + TOKEN_ALPHABET[h >> 6] + TOKEN_ALPHABET[h & 63];
}

/**
 * A request's key in `open`, and the fingerprint it is remembered by once done (`fingerprint` of
 * `req:<id>`): the id itself when short, else `HASHED_OPEN_ID` and the start of the same hash, whose
 * first `TOKEN_CHARS` are that fingerprint, so the key alone gives it back (`donePrintOf`).
 */
function openKey(requestId: string): { key: string; print: string } {
  if (requestId.length <= MAX_OPEN_ID_CHARS && !requestId.startsWith(HASHED_OPEN_ID)) return { key: requestId, print: fingerprint(`req:${requestId}`) };
  const digest = hash('sha256', `req:${requestId}`, 'base64url');
  return { key: HASHED_OPEN_ID + digest.slice(0, HASHED_OPEN_ID_CHARS), print: digest.slice(0, TOKEN_CHARS) };
}

/** The fingerprint an open request's key (`openKey`; a long id as states written before kept it) is remembered by once done. */
function donePrintOf(key: string): string {
  const hashed = key.length === HASHED_OPEN_ID.length + HASHED_OPEN_ID_CHARS && key.startsWith(HASHED_OPEN_ID);
  return hashed ? key.slice(HASHED_OPEN_ID.length, HASHED_OPEN_ID.length + TOKEN_CHARS) : fingerprint(`req:${key}`);
}

/** An open request's size in the state's JSON, near enough: its key, its fields, each attempt's number and latency. */
function openRequestBytes(key: string, req: OpenRequest): number {
  let bytes = Buffer.byteLength(JSON.stringify(key)) + OPEN_REQUEST_BYTES;
  for (let i = 0; i < req.seen.length; i++) bytes += String(req.seen[i]).length + String(req.latencies[i]).length + 2;
  return bytes;
}

export function isAttempt(event: AuditEvent): event is AuditEvent<Attempt> {
  return event.body.type === 'attempt';
}

/** Sums buckets into one window and reads its p99s. */
export function windowOf(kind: RouteWindowKind, from: number, to: number, buckets: readonly RouteBucket[]): RouteWindow {
  let requests = 0;
  let retried = 0;
  let failed = 0;
  let attempts = 0;
  let e2e = emptySketch();
  let attempt = emptySketch();
  let lastRetriedBucket: number | undefined;
  for (const b of buckets) {
    requests += b.requests;
    retried += b.retried;
    if (b.retried > 0 && (lastRetriedBucket === undefined || b.start > lastRetriedBucket)) lastRetriedBucket = b.start;
    failed += b.failed;
    attempts += b.attempts;
    e2e = mergeSketches(e2e, b.e2e);
    attempt = mergeSketches(attempt, b.attempt);
  }
  return {
    kind,
    from,
    to,
    requests,
    retried,
    failed,
    attempts,
    p99_e2e_ms: sketchQuantile(e2e, 0.99),
    p99_attempt_ms: sketchQuantile(attempt, 0.99),
    ...(lastRetriedBucket !== undefined ? { lastRetriedBucket } : {}),
  };
}

/** Whether attempts 1 … ok−1 were all seen (the request is complete once its first ok follows every earlier attempt). */
function seenAllBefore(seen: readonly number[], ok: number): boolean {
  for (let n = 1; n < ok; n++) if (!seen.includes(n)) return false;
  return true;
}

type BucketList = 'quarters' | 'hours' | 'months';

/**
 * The working fold of one route over one batch. The state it is given is never written: the fold
 * works on a shallow copy and copies a part (the open requests, one request, a bucket list, one
 * bucket, the fired map) only when it first writes into it — a batch changes a few buckets and
 * requests, and cloning the whole state (every bucket's sketches) per batch cost more than the
 * batch's own work on small batches.
 */
class RouteFold {
  changed = false;
  readonly findings: Finding[] = [];
  readonly s: RouteState;
  /** Requests completed (stored and this batch's): a redelivered attempt of one is not counted again. */
  readonly done: TokenRing;
  /** The tokens of `done` written per hour, before `done_slotted` (none once they aged out). */
  private readonly hourlyDone: TokenRing | undefined;
  /** Tokens added to `done` by this fold. */
  doneAdded = 0;
  /** `closed_early`: undefined while the route has none (no lookup made per line). */
  closedEarly: TokenRing | undefined;
  /** Sketches this fold made itself and may count into in place; any other (from the state, from a merge) is copied first. */
  private readonly ownSketches = new WeakSet<LatencySketch>();
  /** Parts of `s` (the open map, requests, bucket lists, buckets, the fired map and its entries, the totals) this fold copied or made: written in place. */
  private readonly own = new WeakSet<object>();
  /** How many requests `s.open` holds, and their bytes (`openRequestBytes`). */
  private openCount = 0;
  private openBytes = 0;
  /**
   * No open request's `last` is below this (NaN ones never go quiet, and are left out): while the
   * judge time has not passed it, no request can be quiet, and `advance` scans none of them.
   */
  private minLast = Number.POSITIVE_INFINITY;
  /** `judged_to` the two cut-offs below were computed for: it moves once per quarter hour, `advance` runs per line. */
  private cutsFor = Number.NaN;
  /** The first hourly bucket a window will still read. */
  private hoursFrom = 0;
  /** The first monthly bucket a window will still read. */
  private monthsFrom = 0;
  /** The calendar month [monthFrom, monthTo) of the last request completed: most of a batch's requests fall in the same one. */
  private monthFrom = Number.NaN;
  private monthTo = Number.NaN;
  /** A request begun before `month_held` was completed since the held month was last looked at: it may be judged now. */
  private heldMayEnd = false;
  /**
   * How many open requests began before `window_held` (0 when none is held): counted as requests
   * open, complete or move their start, so a line never scans the open map to learn whether the
   * held windows may be judged now.
   */
  private heldOpen = 0;
  /** The end of a month judged before and not held whose bucket a late line's request was counted into since: judged again (`judgeLateMonth`). */
  private lateMonth: number | undefined;
  /** The quarter cut-off and `judgedThrough` of this fold's last `roll` (NaN before it): see `roll`. */
  private rolledFrom = Number.NaN;
  private rolledTo = Number.NaN;
  /**
   * The open requests quietest first, from the first time this fold passed `MAX_OPEN_REQUESTS` or
   * `MAX_OPEN_BYTES` (undefined before; null for a state whose requests it cannot order: `advance` sorts them).
   */
  private quiet: QuietestFirst | null | undefined;

  constructor(
    initial: RouteState,
    private readonly ctx: ReduceContext,
    private readonly options: RouteOptions,
  ) {
    this.s = { ...initial };
    this.done = new TokenRing(initial.done, MAX_DONE_REQUESTS);
    const hourly = Math.floor(initial.done.length / TOKEN_CHARS) - (initial.done_slotted ?? 0);
    if (hourly > 0) this.hourlyDone = new TokenRing(initial.done.slice(0, hourly * TOKEN_CHARS), MAX_DONE_REQUESTS);
    if (initial.closed_early) this.closedEarly = new TokenRing(initial.closed_early, MAX_CLOSED_EARLY);
    const open = initial.open;
    const held = initial.window_held;
    for (const id in open) {
      this.openCount++;
      this.openBytes += openRequestBytes(id, open[id]);
      if (open[id].last < this.minLast) this.minLast = open[id].last;
      if (held !== undefined && open[id].first < held) this.heldOpen++;
    }
  }

  record(event: AuditEvent<Attempt>): void {
    const b = event.body;
    if (this.s.watermark === undefined) {
      this.s.watermark = event.at - SWEEP_MARGIN_MS;
      this.s.judged_to = floorTo(this.s.watermark - REQUEST_HORIZON_MS, QUARTER);
    }
    const { key, print } = openKey(b.request_id);
    if (this.isDone(print, event.at)) return;
    // Own properties only: a request id is anything a log line says (`constructor`, `__proto__`).
    let existing = ownValue(this.s.open, key);
    if (existing === undefined && key !== b.request_id) {
      // A long id kept whole by a state written before: kept by its fingerprint from now on.
      existing = ownValue(this.s.open, b.request_id);
      if (existing) {
        const open = this.openMap();
        delete open[b.request_id];
        setOwn(open, key, existing);
        this.openBytes += openRequestBytes(key, existing) - openRequestBytes(b.request_id, existing);
        this.quiet?.remove(b.request_id);
        this.quiet?.put(key, existing.last, true);
      }
    }
    if (existing?.seen.includes(b.attempt)) return;
    const bytesBefore = existing ? openRequestBytes(key, existing) : 0;
    const held = this.s.window_held;
    // Before `first` may move (an earlier attempt come late): whether `heldOpen` counts it.
    const heldBy = existing !== undefined && held !== undefined && existing.first < held;
    const start = event.at - b.latency_ms;
    let req: OpenRequest;
    if (existing) {
      req = existing;
      if (!this.own.has(req)) this.own.add((req = { ...existing, seen: existing.seen.slice(), latencies: existing.latencies.slice() }));
      req.first = Math.min(req.first, start);
      req.last = Math.max(req.last, event.at);
      if (req.seen.length < MAX_ATTEMPTS_KEPT) {
        req.seen.push(b.attempt);
        req.latencies.push(b.latency_ms);
      }
    } else {
      // Its first attempt, in arrays made to size: an empty array grown by a push reserves over a dozen slots, per array, per request.
      req = { first: start, last: event.at, seen: [b.attempt], latencies: [b.latency_ms], failures: 0 };
    }
    if (b.outcome === 'ok') req.ok = Math.min(req.ok ?? Number.POSITIVE_INFINITY, b.attempt);
    else req.failures++;
    if (this.s.last_at === undefined || event.at > this.s.last_at) this.s.last_at = event.at;
    this.changed = true;
    const ok = req.ok;
    if (ok !== undefined && seenAllBefore(req.seen, ok)) {
      // Most requests are one successful attempt: counted at once, never put in the open map (nor the map copied) only to be taken out again.
      if (existing) {
        delete this.openMap()[key];
        this.openCount--;
        this.openBytes -= bytesBefore;
        this.quiet?.remove(key);
        if (heldBy) this.heldOpen--;
      }
      this.count(req, print);
      if (this.s.month_held !== undefined && req.first < this.s.month_held) this.judgeHeldMonth(this.s.month_held);
      if (heldBy && this.heldOpen === 0 && this.s.window_held !== undefined) this.judgeHeldWindows();
      return;
    }
    if (!existing) {
      this.own.add(req);
      this.openCount++;
      if (req.last < this.minLast) this.minLast = req.last;
    }
    if (!heldBy && held !== undefined && req.first < held) this.heldOpen++;
    this.openBytes += openRequestBytes(key, req) - bytesBefore;
    setOwn(this.openMap(), key, req);
    this.quiet?.put(key, req.last, !existing);
  }

  /** `s.open`, copied before the fold's first write into it. */
  private openMap(): Record<string, OpenRequest> {
    if (!this.own.has(this.s.open)) this.own.add((this.s.open = { ...this.s.open }));
    return this.s.open;
  }

  /**
   * Completes an open request (its key in `open`; quiet, or the oldest past `MAX_OPEN_REQUESTS` or
   * `MAX_OPEN_BYTES`: `early`) as of the route's time `judgeTime`.
   */
  private complete(key: string, judgeTime: number, early = false): void {
    const open = this.openMap();
    const req = ownValue(open, key) as OpenRequest;
    delete open[key];
    this.openCount--;
    this.openBytes -= openRequestBytes(key, req);
    this.quiet?.remove(key);
    if (this.s.window_held !== undefined && req.first < this.s.window_held) this.heldOpen--;
    const print = donePrintOf(key);
    this.count(req, print, judgeTime);
    if (early) (this.closedEarly ??= new TokenRing('', MAX_CLOSED_EARLY)).add(doneToken(print, Math.floor(req.last / DONE_SLOT)));
    if (this.s.month_held !== undefined && req.first < this.s.month_held) this.heldMayEnd = true;
  }

  /** Whether an attempt at `at` belongs to a request completed within `DONE_EDGE` of it (or, for a request remembered per hour, within about an hour). */
  private isDone(print: string, at: number): boolean {
    const last = Math.floor((at + DONE_EDGE) / DONE_SLOT);
    const early = this.closedEarly;
    for (let slot = Math.floor((at - DONE_EDGE) / DONE_SLOT); slot <= last; slot++) {
      const token = doneToken(print, slot);
      if (this.done.has(token) || early?.has(token)) return true;
    }
    const hourly = this.hourlyDone;
    if (hourly === undefined) return false;
    const hour = Math.floor(at / LEGACY_DONE_BUCKET);
    if (hourly.has(doneToken(print, hour))) return true;
    const into = at - hour * LEGACY_DONE_BUCKET;
    return (into < LEGACY_DONE_EDGE && hourly.has(doneToken(print, hour - 1))) || (into >= LEGACY_DONE_BUCKET - LEGACY_DONE_EDGE && hourly.has(doneToken(print, hour + 1)));
  }

  /**
   * Counts a completed request (no longer in the open map) into its buckets and the totals, and
   * remembers it as done. `judgeTime` is the route's time it is completed at (no later than the next
   * boundary to judge): it sets which of its quarter and its hour the request is counted in — as of
   * the held windows' end while they wait, so that they read it there however late it is completed.
   */
  private count(req: OpenRequest, print: string, completedAt = (this.s.watermark as number) - REQUEST_HORIZON_MS): void {
    const held = this.s.window_held;
    const judgeTime = held !== undefined && held < completedAt ? held : completedAt;
    const last = Math.floor(req.last / DONE_SLOT);
    for (let slot = Math.max(Math.floor(req.first / DONE_SLOT), last - MAX_DONE_SPAN + 1); slot <= last; slot++) {
      this.done.add(doneToken(print, slot));
      this.doneAdded++;
    }
    const retried = !(req.ok === 1 && req.seen.length === 1);
    const failed = req.ok === undefined;
    const attempts = req.seen.length;
    this.updateCuts();
    if (req.first >= floorTo(judgeTime, HOUR) - HOUR) this.add(this.bucketIn('quarters', floorTo(req.first, QUARTER)), req, retried, failed, attempts);
    else if (req.first >= this.hoursFrom) this.add(this.bucketIn('hours', floorTo(req.first, HOUR)), req, retried, failed, attempts);
    if (!(req.first >= this.monthFrom && req.first < this.monthTo)) {
      this.monthFrom = monthStart(req.first);
      this.monthTo = addMonths(this.monthFrom, 1);
    }
    if (this.monthFrom >= this.monthsFrom) {
      this.add(this.bucketIn('months', this.monthFrom), req, retried, failed, attempts);
      // A late line's request in a month judged already (not one still retrying past the month's hold, which its verdict leaves out).
      if (this.monthTo <= (this.s.judged_to as number) && this.s.month_held !== this.monthTo && req.last < this.monthTo + MONTH_HOLD_MS) this.lateMonth = this.monthTo;
    } else this.keepPast([{ start: this.monthFrom, requests: 1, retried: retried ? 1 : 0, failed: failed ? 1 : 0, attempts }]);
    // A state written before first_seen was kept has counted requests it cannot date: it gets none.
    if (this.s.first_seen !== undefined ? req.first < this.s.first_seen : this.s.totals.requests === 0) this.s.first_seen = req.first;
    let t = this.s.totals;
    if (!this.own.has(t)) this.own.add((t = this.s.totals = { requests: t.requests, retried: t.retried, failed: t.failed, attempts: t.attempts }));
    t.requests++;
    t.retried += retried ? 1 : 0;
    t.failed += failed ? 1 : 0;
    t.attempts += attempts;
    this.changed = true;
  }

  /** Counts a completed request into a bucket the fold owns. */
  private add(bucket: RouteBucket, req: OpenRequest, retried: boolean, failed: boolean, attempts: number): void {
    bucket.requests++;
    bucket.retried += retried ? 1 : 0;
    bucket.failed += failed ? 1 : 0;
    bucket.attempts += attempts;
    bucket.e2e = this.countInto(bucket.e2e, req.last - req.first);
    for (const latency of req.latencies) bucket.attempt = this.countInto(bucket.attempt, latency);
  }

  /** The bucket of a list that starts at `start`, made if missing; the list and the bucket are copied before the fold's first write into them. */
  private bucketIn(kind: BucketList, start: number): RouteBucket {
    let list = this.s[kind];
    if (!this.own.has(list)) this.own.add((list = this.s[kind] = list.slice()));
    let i = 0;
    while (i < list.length && list[i].start !== start) i++;
    if (i === list.length) {
      const bucket = emptyBucket(start);
      this.own.add(bucket);
      list.push(bucket);
      list.sort(byStart);
      return bucket;
    }
    let bucket = list[i];
    if (!this.own.has(bucket)) this.own.add((bucket = list[i] = { ...bucket }));
    return bucket;
  }

  private countInto(sketch: LatencySketch, value: number): LatencySketch {
    const own = this.ownSketches.has(sketch);
    const next = countIntoOwnSketch(own ? sketch : copySketch(sketch), value);
    if (!own || next !== sketch) this.ownSketches.add(next);
    return next;
  }

  /** The last boundary whose windows are all judged: `judged_to`, or the one before the held windows' end. */
  private judgedThrough(): number {
    const held = this.s.window_held;
    return held !== undefined ? held - QUARTER : (this.s.judged_to as number);
  }

  /** The hourly and monthly cut-offs for the current `judgedThrough`. */
  private updateCuts(): void {
    const judgedTo = this.judgedThrough();
    if (judgedTo === this.cutsFor) return;
    this.cutsFor = judgedTo;
    this.hoursFrom = floorTo(judgedTo, HOUR) + HOUR - DAY;
    this.monthsFrom = addMonths(monthStart(judgedTo), -1);
  }

  /**
   * Moves the route's time to `to`: closes quiet requests, judges every boundary passed, rolls
   * buckets. Boundary by boundary: the requests quiet since before a boundary are closed (into
   * their quarter) before it is judged, those quiet since after it only after. So one line hours
   * after the route went quiet ends where the sweep, coming by every few minutes, would have:
   * whatever moments the route's time is moved at, each window holds the same requests.
   */
  advance(to: number): void {
    if (this.s.watermark === undefined || to <= this.s.watermark) return;
    this.judgeLateMonth();
    this.s.watermark = to;
    this.changed = true;
    const judgeTime = to - REQUEST_HORIZON_MS;
    const last = floorTo(judgeTime, QUARTER);
    for (let boundary = (this.s.judged_to as number) + QUARTER; boundary <= judgeTime; boundary += QUARTER) {
      // Past the last bucket's day, with no request to close, a boundary judges nothing: a line stamped
      // years away (Go's zero time, 0001-01-01) goes straight to the next one that may, not through millions.
      const next = Math.min(this.nextBoundaryToJudge(boundary), last);
      // As judged up to the boundary before: `count` takes its cut-offs from `judged_to`.
      if (next > boundary) this.s.judged_to = (boundary = next) - QUARTER;
      if (this.minLast < boundary) this.closeQuiet(boundary);
      const held = this.s.month_held;
      if (held !== undefined && (this.heldMayEnd || boundary >= held + MONTH_HOLD_MS)) this.judgeHeldMonth(held, boundary >= held + MONTH_HOLD_MS);
      // Before this boundary's windows: windows are judged in order, with what is still open left out.
      if (this.s.window_held !== undefined) this.judgeHeldWindows(this.heldOpen > 0);
      this.judgeAt(boundary);
      this.s.judged_to = boundary;
    }
    if (this.minLast < judgeTime) this.closeQuiet(judgeTime);
    if (this.openCount > MAX_OPEN_REQUESTS || this.openBytes > MAX_OPEN_BYTES) {
      // The quietest first, until both bounds hold again: in the order of a sort of the open map by
      // `byLastThenId`, kept from the first time (`QuietestFirst`) rather than sorted again at each line.
      if (this.quiet === undefined) this.quiet = QuietestFirst.of(this.s.open) ?? null;
      const quiet = this.quiet;
      if (quiet === null) {
        for (const [key] of Object.entries(this.s.open).sort(byLastThenId)) {
          if (this.openCount <= MAX_OPEN_REQUESTS && this.openBytes <= MAX_OPEN_BYTES) break;
          this.complete(key, judgeTime, true);
        }
      } else {
        while (this.openCount > MAX_OPEN_REQUESTS || this.openBytes > MAX_OPEN_BYTES) {
          const key = quiet.quietest();
          if (key === undefined) break;
          this.complete(key, judgeTime, true);
        }
      }
    }
    if (this.s.month_held !== undefined && this.heldMayEnd) this.judgeHeldMonth(this.s.month_held);
    if (this.s.window_held !== undefined && this.heldOpen === 0) this.judgeHeldWindows();
    // Before `roll` may drop the month's bucket.
    this.judgeLateMonth();
    this.roll(judgeTime);
  }

  /**
   * The first boundary from `from` on at which anything may happen, as far as the state holds
   * before it: a request closed (the first past `minLast`), a month judged (the end of a monthly
   * bucket's month, or of any month while a request is open, which holds its judgement), a rolling
   * hour or day that holds a bucket (up to a day after the latest bucket starts). Every boundary
   * before it judges no window and closes no request, so skipping them ends where judging each would.
   */
  private nextBoundaryToJudge(from: number): number {
    if (this.s.month_held !== undefined || this.s.window_held !== undefined) return from;
    let latest = Number.NEGATIVE_INFINITY;
    for (const b of this.s.quarters) if (b.start > latest) latest = b.start;
    for (const b of this.s.hours) if (b.start > latest) latest = b.start;
    if (from <= latest + DAY) return from;
    let next = Number.isFinite(this.minLast) ? Math.max(from, floorTo(this.minLast, QUARTER) + QUARTER) : Number.POSITIVE_INFINITY;
    if (this.openCount > 0) {
      const month = monthStart(from);
      next = Math.min(next, month === from ? from : addMonths(month, 1));
    }
    for (const b of this.s.months) {
      const end = addMonths(b.start, 1);
      if (end >= from && end < next) next = end;
    }
    return next;
  }

  /** Completes the requests quiet since before `judgeTime`, quietest first, as of that time, and tightens `minLast` to those left. */
  private closeQuiet(judgeTime: number): void {
    const quiet: [string, OpenRequest][] = [];
    let minLast = Number.POSITIVE_INFINITY;
    for (const entry of Object.entries(this.s.open)) {
      const last = entry[1].last;
      if (last < judgeTime) quiet.push(entry);
      else if (last < minLast) minLast = last;
    }
    this.minLast = minLast;
    quiet.sort(byLastThenId);
    for (const [id] of quiet) this.complete(id, judgeTime);
  }

  /**
   * Judges the windows that end at `boundary`: the hour always, the day on the hour, the month on
   * the 1st, unless a request begun before it is still open: then they are held (`window_held`,
   * `month_held`), and judged as of `boundary` once it is complete.
   */
  private judgeAt(boundary: number): void {
    const open = this.openCount > 0 ? this.openBefore(boundary) : 0;
    const month = boundary === monthStart(boundary);
    if (open > 0) {
      this.s.window_held = boundary;
      this.heldOpen = open;
      if (month) this.s.month_held = boundary;
      return;
    }
    this.judgeWindows(boundary, this.dueAt(boundary, month));
  }

  /** The rolling windows that end at `boundary`, and the month with `month`: widest first, as `judgeWindows` sorts them. */
  private dueAt(boundary: number, month: boolean): RouteWindowKind[] {
    const due: RouteWindowKind[] = month ? ['month'] : [];
    if (boundary % HOUR === 0) due.push('day');
    due.push('hour');
    return due;
  }

  /** How many open requests began before `at`. */
  private openBefore(at: number): number {
    const open = this.s.open;
    let n = 0;
    for (const key in open) if (Object.hasOwn(open, key) && open[key].first < at) n++;
    return n;
  }

  /**
   * Judges the rolling hour (and day) held at their end, as of that end, with every request begun
   * before it that is complete by now: with `expired`, the next boundary is due and what is still open
   * is left out; else none is open any more, and a month held at the same end is judged with them.
   */
  private judgeHeldWindows(expired = false): void {
    const held = this.s.window_held as number;
    delete this.s.window_held;
    this.heldOpen = 0;
    const month = !expired && this.s.month_held === held;
    if (month) {
      delete this.s.month_held;
      this.heldMayEnd = false;
    }
    this.judgeWindows(held, this.dueAt(held, month));
  }


  /**
   * Every line has been read up to route time `at`: a month held at an end by then is judged now,
   * as of its end, as the hold's expiry would (no line is coming that could complete what is open).
   */
  settleHold(at: number): void {
    const held = this.s.month_held;
    if (held !== undefined && held <= at) {
      this.changed = true;
      this.judgeHeldMonth(held, true);
    }
    const windows = this.s.window_held;
    if (windows !== undefined && windows <= at) {
      this.changed = true;
      this.judgeHeldWindows(true);
    }
  }

  /**
   * Judges the month held at its end `held`, as of that end, once no request begun in it is still
   * open (or, with `expired`, `MONTH_HOLD_MS` after it, whatever is still open).
   */
  private judgeHeldMonth(held: number, expired = false): void {
    this.heldMayEnd = false;
    if (!expired && this.openBefore(held) > 0) return;
    delete this.s.month_held;
    // The hour and day held at the same end, by the same requests: judged with it, in one finding.
    const windows = this.s.window_held === held;
    if (windows) {
      delete this.s.window_held;
      this.heldOpen = 0;
    }
    this.judgeWindows(held, windows ? this.dueAt(held, true) : ['month']);
  }

  /**
   * Judges again, as of its end, a month judged before that a late line's request was counted into
   * since (a host's lines delivered after the month was judged): its verdict counts what its bucket
   * and the monthly report count. A month that fired already does not fire again (`judgeWindows`).
   * Once per batch, or before the route's time moves on: the month as the batch's lines leave it.
   */
  judgeLateMonth(): void {
    const end = this.lateMonth;
    if (end === undefined) return;
    this.lateMonth = undefined;
    if (this.s.month_held !== end) this.judgeWindows(end, ['month']);
  }

  /** Judges the windows of the given kinds that end at `boundary`, in one finding per detector. */
  private judgeWindows(boundary: number, due: readonly RouteWindowKind[]): void {
    const windows = due
      .map((kind) => {
        const from = kind === 'hour' ? boundary - HOUR : kind === 'day' ? boundary - DAY : addMonths(boundary, -1);
        const buckets = kind === 'month' ? this.s.months.filter((b) => b.start === from) : [...this.s.quarters, ...this.s.hours].filter((b) => b.start >= from && b.start < boundary);
        return windowOf(kind, from, boundary, buckets);
      })
      .filter((w) => w.requests > 0)
      .sort((a, b) => WIDTH_ORDER.indexOf(a.kind) - WIDTH_ORDER.indexOf(b.kind));
    if (windows.length === 0) return;
    for (const detector of ROUTE_WINDOW_DETECTORS) {
      const id = detector.meta.id;
      const fired = this.firedOf(id);
      const drafts = windows
        .filter((w) => fired[w.kind] === undefined || (boundary > (fired[w.kind] as number) && boundary >= (fired[w.kind] as number) + WINDOW_LENGTH[w.kind]))
        .flatMap((window) => detector.check({ route: this.s.route, window, options: this.options }).map((draft) => ({ window, draft })));
      if (drafts.length === 0) continue;
      const firing = this.own.has(fired) ? fired : this.ownFired(id, { ...fired });
      for (const { window } of drafts) firing[window.kind] = boundary;
      const [primary, ...others] = drafts;
      this.findings.push({
        ...primary.draft,
        message: drafts.map((d) => d.draft.message).join('; '),
        evidence: { ...primary.draft.evidence, ...(others.length > 0 ? { also: others.map((d) => d.draft.evidence) } : {}) },
        detector: id,
        subject_kind: detector.meta.subjectKind,
        severity: this.ctx.config.defaults.severity[id] ?? primary.draft.severity ?? detector.meta.defaultSeverity,
      });
    }
  }

  /** A detector's fired windows, as the state has always kept them: an entry (empty at first) once any window is judged. */
  private firedOf(id: DetectorId): Partial<Record<RouteWindowKind, number>> {
    return this.s.fired[id] ?? this.ownFired(id, {});
  }

  /** Sets a detector's fired windows to an object the fold owns (the fired map copied before the fold's first write into it). */
  private ownFired(id: DetectorId, fired: Partial<Record<RouteWindowKind, number>>): Partial<Record<RouteWindowKind, number>> {
    if (!this.own.has(this.s.fired)) this.own.add((this.s.fired = { ...this.s.fired }));
    this.own.add(fired);
    this.s.fired[id] = fired;
    return fired;
  }

  /**
   * Folds quarters older than the last hour into hourly buckets; drops what no window will read
   * again. Runs per line, and almost always has nothing to do: each list is only rebuilt when one
   * of its buckets is past its cut-off. Once it ran in this fold, it has nothing to do until its
   * cut-offs move: `count` only adds buckets at or past the cut-offs of the current watermark and
   * `judged_to` (the same floors as here), and both move only in `advance`, which ends here.
   */
  private roll(judgeTime: number): void {
    const quarterFrom = floorTo(judgeTime, HOUR) - HOUR;
    const judgedThrough = this.judgedThrough();
    if (quarterFrom === this.rolledFrom && judgedThrough === this.rolledTo) return;
    this.rolledFrom = quarterFrom;
    this.rolledTo = judgedThrough;
    if (anyBefore(this.s.quarters, quarterFrom)) {
      for (const q of this.s.quarters) {
        if (q.start >= quarterFrom) continue;
        const h = this.bucketIn('hours', floorTo(q.start, HOUR));
        h.requests += q.requests;
        h.retried += q.retried;
        h.failed += q.failed;
        h.attempts += q.attempts;
        h.e2e = mergeSketches(h.e2e, q.e2e);
        h.attempt = mergeSketches(h.attempt, q.attempt);
      }
      this.keepFrom('quarters', quarterFrom);
    }
    this.updateCuts();
    if (anyBefore(this.s.hours, this.hoursFrom)) this.keepFrom('hours', this.hoursFrom);
    if (anyBefore(this.s.months, this.monthsFrom)) {
      this.keepPast(this.s.months.filter((b) => b.start < this.monthsFrom));
      this.keepFrom('months', this.monthsFrom);
    }
  }

  /** Adds months' counts into `past_months` (a new list), keeping the latest `PAST_MONTHS`. */
  private keepPast(counts: readonly RouteMonthCounts[]): void {
    const kept = new Map((this.s.past_months ?? []).map((m) => [m.start, m]));
    for (const c of counts) {
      const was = kept.get(c.start);
      kept.set(c.start, {
        start: c.start,
        requests: (was?.requests ?? 0) + c.requests,
        retried: (was?.retried ?? 0) + c.retried,
        failed: (was?.failed ?? 0) + c.failed,
        attempts: (was?.attempts ?? 0) + c.attempts,
      });
    }
    this.s.past_months = [...kept.values()].sort((a, b) => a.start - b.start).slice(-PAST_MONTHS);
  }

  /** Drops a list's buckets that start before `from`. */
  private keepFrom(kind: BucketList, from: number): void {
    const kept = this.s[kind].filter((b) => b.start >= from);
    this.own.add(kept);
    this.s[kind] = kept;
  }
}

function anyBefore(list: readonly RouteBucket[], from: number): boolean {
  for (const b of list) if (b.start < from) return true;
  return false;
}

function fold(initial: RouteState, subject: string, ctx: ReduceContext, run: (f: RouteFold) => void): Reduction<RouteState> {
  const f = new RouteFold(initial, ctx, resolveRouteOptions(ctx.config, subject));
  run(f);
  f.judgeLateMonth();
  if (f.done.changed) {
    f.s.done = f.done.toString();
    f.s.done_slotted = Math.min(f.s.done.length / TOKEN_CHARS, (initial.done_slotted ?? 0) + f.doneAdded);
  }
  if (f.closedEarly?.changed) f.s.closed_early = f.closedEarly.toString();
  return f.changed ? { state: f.s, findings: f.findings, records: [] } : { state: initial, findings: [], records: [] };
}

export const routeReducer: SubjectReducer<RouteState> = {
  kind: 'route',
  bodyTypes: ['attempt'],
  subjectOf(event) {
    return isAttempt(event) ? event.body.route : undefined;
  },
  initial: initialRouteState,
  apply(state, subject, events, ctx) {
    return fold(state, subject, ctx, (f) => {
      for (const event of events) {
        if (!isAttempt(event) || event.body.route !== subject) continue;
        // The route's time first, SWEEP_MARGIN_MS behind its newest line as the sweep's is behind its clock: another
        // host's stream up to that far behind is counted before a window is judged. A request quiet for
        // REQUEST_HORIZON_MS before that time is complete, as the sweep would have found it.
        f.advance(event.at - SWEEP_MARGIN_MS);
        f.record(event);
      }
    });
  },
  tick: tickRoute,
};

/** The sweep: a route that went quiet still gets its windows judged, as of the sweep's time less a margin. */
function tickRoute(state: RouteState, subject: string, ctx: ReduceContext): Reduction<RouteState> {
  const to = ctx.clock.now() - SWEEP_MARGIN_MS;
  if (state.watermark === undefined || to <= state.watermark) return { state, findings: [], records: [] };
  // Only write when the sweep has something to do: a request to close or a boundary to judge.
  const judgeTime = to - REQUEST_HORIZON_MS;
  const closes = Object.values(state.open).some((r) => r.last < judgeTime);
  if (!closes && judgeTime < (state.judged_to ?? 0) + QUARTER) return { state, findings: [], records: [] };
  return fold(state, subject, ctx, (f) => f.advance(to));
}

/**
 * The route sweep once every line has been read (a report's settlement of a month that is over):
 * as `tick`, then a month still held for a request begun in it and going on past its end is judged,
 * as of its end, without it, as the hold's expiry would be (it holds at most `MONTH_HOLD_MS`; the
 * clock is not moved that far, which would judge the windows after the month from lines not read).
 * Only a month that ends by the sweep's judging time, its clock less `SWEEP_MARGIN_MS` and `REQUEST_HORIZON_MS`.
 */
export const settledRouteReducer: SubjectReducer<RouteState> = {
  ...routeReducer,
  tick(state, subject, ctx) {
    const ticked = tickRoute(state, subject, ctx);
    const at = ctx.clock.now() - SWEEP_MARGIN_MS - REQUEST_HORIZON_MS;
    const held = Math.min(ticked.state.month_held ?? Number.POSITIVE_INFINITY, ticked.state.window_held ?? Number.POSITIVE_INFINITY);
    if (held > at) return ticked;
    const settled = fold(ticked.state, subject, ctx, (f) => f.settleHold(at));
    return { state: settled.state, findings: [...ticked.findings, ...settled.findings], records: [] };
  },
};

/**
 * When the sweep (its clock) judges the first rolling hour and day that count the route's latest
 * requests: the day's end (the hour after their quarter hour) plus `REQUEST_HORIZON_MS` and
 * `SWEEP_MARGIN_MS`. Undefined once those are judged, or with no request counted in the last two
 * hours' buckets. Requests still open are counted later, and their windows with them.
 */
export function latestWindowsJudgedAt(state: RouteState): number | undefined {
  let latest = Number.NEGATIVE_INFINITY;
  for (const b of state.quarters) if (b.requests > 0 && b.start > latest) latest = b.start;
  if (latest === Number.NEGATIVE_INFINITY) return undefined;
  const end = Math.ceil((latest + QUARTER) / HOUR) * HOUR;
  const judgedThrough = state.window_held !== undefined ? state.window_held - QUARTER : (state.judged_to ?? Number.NEGATIVE_INFINITY);
  return end > judgedThrough ? end + REQUEST_HORIZON_MS + SWEEP_MARGIN_MS : undefined;
}

/** A calendar month of a route (`YYYY-MM`) as far as the state still holds it: for the monthly report. */
export function routeMonth(state: RouteState, month: string): RouteWindow | undefined {
  const from = Date.parse(`${month}-01T00:00:00Z`);
  const bucket = state.months.find((b) => b.start === from);
  return bucket ? windowOf('month', from, addMonths(from, 1), [bucket]) : undefined;
}
