import type { Config } from '../config.ts';
import type { RouteOptions, RouteWindow, RouteWindowKind } from '../detectors/agent-kinds.ts';
import type { DetectorId } from '../detectors/ids.ts';
import { ROUTE_WINDOW_DETECTORS } from '../detectors/index.ts';
import type { Attempt, AuditEvent } from './events.ts';
import type { Finding } from './findings.ts';
import { copySketch, countIntoOwnSketch, emptySketch, type LatencySketch, mergeSketches, sketchQuantile } from './histogram.ts';
import type { ReduceContext, Reduction, SubjectReducer } from './pipeline.ts';
import { fingerprint, TokenRing } from './token-ring.ts';

/**
 * Retries per route (`attempt` lines): attempts are grouped into requests by `request_id`; a
 * request is complete when it succeeded and every attempt before the successful one is in, or
 * when nothing was heard of it for `REQUEST_HORIZON_MS` (event time). Completed requests land in
 * 15-minute buckets (the last two hours), hourly buckets (the last day) and monthly buckets, each
 * with counts and two latency sketches (end to end, single attempt): bounded, whatever the traffic.
 *
 * Windows are judged at fixed moments, so any split of the same lines into batches gives the same
 * answer: the rolling hour at every quarter hour, the rolling day at every hour, each calendar
 * month at its end — each once the route's lines have reached `REQUEST_HORIZON_MS` past it.
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
  /** The latest attempt time seen (or the sweep's time less its margin): what "now" is for this route. */
  watermark?: number;
  /** The last quarter-hour boundary judged. */
  judged_to?: number;
  open: Record<string, OpenRequest>;
  /** Fingerprints of completed requests (8 characters each): a late or redelivered attempt of one is ignored. */
  done: string;
  quarters: RouteBucket[];
  hours: RouteBucket[];
  months: RouteBucket[];
  /** Detector → window kind → the end of the window it last fired for. */
  fired: Partial<Record<DetectorId, Partial<Record<RouteWindowKind, number>>>>;
  totals: RouteTotals;
}

const QUARTER = 15 * 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A request with no new attempt for this long (route time) is complete: no retry is coming. */
export const REQUEST_HORIZON_MS = 5 * 60_000;
/** The sweep judges a quiet route's windows as of its own time less this, in case lines are still on their way. */
export const SWEEP_MARGIN_MS = 15 * 60_000;
export const MAX_OPEN_REQUESTS = 2000;
export const MAX_DONE_REQUESTS = 3000;
const MAX_ATTEMPTS_KEPT = 50;
const WINDOW_LENGTH: Record<RouteWindowKind, number> = { hour: HOUR, day: DAY, month: 0 };
const WIDTH_ORDER: readonly RouteWindowKind[] = ['month', 'day', 'hour'];

export function initialRouteState(route: string): RouteState {
  return { route, open: {}, done: '', quarters: [], hours: [], months: [], fired: {}, totals: { requests: 0, retried: 0, failed: 0, attempts: 0 } };
}

export function resolveRouteOptions(config: Config, route: string): RouteOptions {
  const own = config.routes[route];
  return { retryRateMax: own?.retry_rate_max ?? config.defaults.retry_rate_max, minRequests: config.defaults.retry_min_requests, p99Ms: own?.p99_ms };
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

function bucketIn(list: RouteBucket[], start: number): RouteBucket {
  let bucket = list.find((b) => b.start === start);
  if (!bucket) {
    bucket = emptyBucket(start);
    list.push(bucket);
    list.sort((a, b) => a.start - b.start);
  }
  return bucket;
}

function isAttempt(event: AuditEvent): event is AuditEvent<Attempt> {
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
  for (const b of buckets) {
    requests += b.requests;
    retried += b.retried;
    failed += b.failed;
    attempts += b.attempts;
    e2e = mergeSketches(e2e, b.e2e);
    attempt = mergeSketches(attempt, b.attempt);
  }
  return { kind, from, to, requests, retried, failed, attempts, p99_e2e_ms: sketchQuantile(e2e, 0.99), p99_attempt_ms: sketchQuantile(attempt, 0.99) };
}

/** Whether attempts 1 … ok−1 were all seen (the request is complete once its first ok follows every earlier attempt). */
function seenAllBefore(seen: readonly number[], ok: number): boolean {
  for (let n = 1; n < ok; n++) if (!seen.includes(n)) return false;
  return true;
}

/** The working fold of one route over one batch: mutates its own copy of the state. */
class RouteFold {
  changed = false;
  readonly findings: Finding[] = [];
  /** Requests completed (stored and this batch's): a redelivered attempt of one is not counted again. */
  readonly done: TokenRing;
  /** Sketches this fold made itself and may count into in place; any other (from the state, from a merge) is copied first. */
  private readonly ownSketches = new WeakSet<LatencySketch>();

  constructor(
    readonly s: RouteState,
    private readonly ctx: ReduceContext,
    private readonly options: RouteOptions,
  ) {
    this.done = new TokenRing(s.done, MAX_DONE_REQUESTS);
  }

  record(event: AuditEvent<Attempt>): void {
    const b = event.body;
    if (this.s.watermark === undefined) {
      this.s.watermark = event.at;
      this.s.judged_to = floorTo(event.at - REQUEST_HORIZON_MS, QUARTER);
    }
    const token = fingerprint(`req:${b.request_id}`);
    if (this.done.has(token)) return;
    const existing = this.s.open[b.request_id];
    if (existing?.seen.includes(b.attempt)) return;
    const start = event.at - b.latency_ms;
    const req: OpenRequest = existing ?? { first: start, last: event.at, seen: [], latencies: [], failures: 0 };
    req.first = Math.min(req.first, start);
    req.last = Math.max(req.last, event.at);
    if (req.seen.length < MAX_ATTEMPTS_KEPT) {
      req.seen.push(b.attempt);
      req.latencies.push(b.latency_ms);
    }
    if (b.outcome === 'ok') req.ok = Math.min(req.ok ?? Number.POSITIVE_INFINITY, b.attempt);
    else req.failures++;
    this.s.open[b.request_id] = req;
    this.changed = true;
    const ok = req.ok;
    if (ok !== undefined && seenAllBefore(req.seen, ok)) this.complete(b.request_id, token);
  }

  private complete(requestId: string, token = fingerprint(`req:${requestId}`)): void {
    const req = this.s.open[requestId];
    delete this.s.open[requestId];
    this.done.add(token);
    const retried = !(req.ok === 1 && req.seen.length === 1);
    const failed = req.ok === undefined;
    const attempts = req.seen.length;
    const add = (bucket: RouteBucket) => {
      bucket.requests++;
      bucket.retried += retried ? 1 : 0;
      bucket.failed += failed ? 1 : 0;
      bucket.attempts += attempts;
      bucket.e2e = this.countInto(bucket.e2e, req.last - req.first);
      for (const latency of req.latencies) bucket.attempt = this.countInto(bucket.attempt, latency);
    };
    const judgeTime = (this.s.watermark as number) - REQUEST_HORIZON_MS;
    const judgedTo = this.s.judged_to as number;
    if (req.first >= floorTo(judgeTime, HOUR) - HOUR) add(bucketIn(this.s.quarters, floorTo(req.first, QUARTER)));
    else if (req.first >= floorTo(judgedTo, HOUR) + HOUR - DAY) add(bucketIn(this.s.hours, floorTo(req.first, HOUR)));
    if (monthStart(req.first) >= addMonths(monthStart(judgedTo), -1)) add(bucketIn(this.s.months, monthStart(req.first)));
    const t = this.s.totals;
    this.s.totals = { requests: t.requests + 1, retried: t.retried + (retried ? 1 : 0), failed: t.failed + (failed ? 1 : 0), attempts: t.attempts + attempts };
    this.changed = true;
  }

  private countInto(sketch: LatencySketch, value: number): LatencySketch {
    const own = this.ownSketches.has(sketch) ? sketch : copySketch(sketch);
    const next = countIntoOwnSketch(own, value);
    this.ownSketches.add(next);
    return next;
  }

  /** Moves the route's time to `to`: closes quiet requests, judges every boundary passed, rolls buckets. */
  advance(to: number): void {
    if (this.s.watermark === undefined || to <= this.s.watermark) return;
    this.s.watermark = to;
    this.changed = true;
    const judgeTime = to - REQUEST_HORIZON_MS;
    const quiet = Object.entries(this.s.open)
      .filter(([, r]) => r.last < judgeTime)
      .sort(([a, x], [b, y]) => x.last - y.last || a.localeCompare(b));
    for (const [id] of quiet) this.complete(id);
    const open = Object.entries(this.s.open);
    if (open.length > MAX_OPEN_REQUESTS) {
      const oldest = open.sort(([a, x], [b, y]) => x.last - y.last || a.localeCompare(b)).slice(0, open.length - MAX_OPEN_REQUESTS);
      for (const [id] of oldest) this.complete(id);
    }
    for (let boundary = (this.s.judged_to as number) + QUARTER; boundary <= judgeTime; boundary += QUARTER) {
      this.judgeAt(boundary);
      this.s.judged_to = boundary;
    }
    this.roll(judgeTime);
  }

  /** Judges the windows that end at `boundary`: the hour always, the day on the hour, the month on the 1st. */
  private judgeAt(boundary: number): void {
    const due: RouteWindowKind[] = ['hour'];
    if (boundary % HOUR === 0) due.push('day');
    if (boundary === monthStart(boundary)) due.push('month');
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
      const fired = (this.s.fired[id] ??= {});
      const drafts = windows
        .filter((w) => fired[w.kind] === undefined || boundary >= (fired[w.kind] as number) + WINDOW_LENGTH[w.kind])
        .flatMap((window) => detector.check({ route: this.s.route, window, options: this.options }).map((draft) => ({ window, draft })));
      if (drafts.length === 0) continue;
      for (const { window } of drafts) fired[window.kind] = boundary;
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

  /** Folds quarters older than the last hour into hourly buckets; drops what no window will read again. */
  private roll(judgeTime: number): void {
    const quarterFrom = floorTo(judgeTime, HOUR) - HOUR;
    for (const q of this.s.quarters.filter((b) => b.start < quarterFrom)) {
      const h = bucketIn(this.s.hours, floorTo(q.start, HOUR));
      h.requests += q.requests;
      h.retried += q.retried;
      h.failed += q.failed;
      h.attempts += q.attempts;
      h.e2e = mergeSketches(h.e2e, q.e2e);
      h.attempt = mergeSketches(h.attempt, q.attempt);
    }
    this.s.quarters = this.s.quarters.filter((b) => b.start >= quarterFrom);
    const judgedTo = this.s.judged_to as number;
    const hoursFrom = floorTo(judgedTo, HOUR) + HOUR - DAY;
    this.s.hours = this.s.hours.filter((b) => b.start >= hoursFrom);
    const monthsFrom = addMonths(monthStart(judgedTo), -1);
    this.s.months = this.s.months.filter((b) => b.start >= monthsFrom);
  }
}

function fold(initial: RouteState, subject: string, ctx: ReduceContext, run: (f: RouteFold) => void): Reduction<RouteState> {
  const f = new RouteFold(structuredClone(initial), ctx, resolveRouteOptions(ctx.config, subject));
  run(f);
  if (f.done.changed) f.s.done = f.done.toString();
  return f.changed ? { state: f.s, findings: f.findings, records: [] } : { state: initial, findings: [], records: [] };
}

export const routeReducer: SubjectReducer<RouteState> = {
  kind: 'route',
  subjectOf(event) {
    return isAttempt(event) ? event.body.route : undefined;
  },
  initial: initialRouteState,
  apply(state, subject, events, ctx) {
    return fold(state, subject, ctx, (f) => {
      for (const event of events) {
        if (!isAttempt(event) || event.body.route !== subject) continue;
        f.record(event);
        f.advance(event.at);
      }
    });
  },
  /** The sweep: a route that went quiet still gets its windows judged, as of the sweep's time less a margin. */
  tick(state, subject, ctx) {
    const to = ctx.clock.now() - SWEEP_MARGIN_MS;
    if (state.watermark === undefined || to <= state.watermark) return { state, findings: [], records: [] };
    // Only write when the sweep has something to do: a request to close or a boundary to judge.
    const judgeTime = to - REQUEST_HORIZON_MS;
    const closes = Object.values(state.open).some((r) => r.last < judgeTime);
    if (!closes && judgeTime < (state.judged_to ?? 0) + QUARTER) return { state, findings: [], records: [] };
    return fold(state, subject, ctx, (f) => f.advance(to));
  },
};

/** A calendar month of a route (`YYYY-MM`) as far as the state still holds it: for the monthly report. */
export function routeMonth(state: RouteState, month: string): RouteWindow | undefined {
  const from = Date.parse(`${month}-01T00:00:00Z`);
  const bucket = state.months.find((b) => b.start === from);
  return bucket ? windowOf('month', from, addMonths(from, 1), [bucket]) : undefined;
}
