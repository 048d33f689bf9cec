import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { type Config, DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import type { AuditEvent, EventBody } from '../../lambdas/core/events.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { deepFreeze } from '../../lambdas/core/frozen-state.ts';
import { processBatch, type ReduceContext, sweepSubjects } from '../../lambdas/core/pipeline.ts';
import { initialRouteState, MAX_DONE_REQUESTS, MAX_OPEN_BYTES, MAX_OPEN_REQUESTS, PAST_MONTHS, type RouteState, routeReducer } from '../../lambdas/core/route-reducer.ts';
import { fingerprint } from '../../lambdas/core/token-ring.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';

const T = Date.parse('2026-10-05T10:00:00Z');
const ctx = (config: Config = DEFAULT_CONFIG, now = T + 86_400_000): ReduceContext => ({ config, clock: { now: () => now } });
let line = 1;

function attempt(at: number, request: string, n: number, outcome: string, latency: number, route = 'search-api'): AuditEvent {
  return { at, body: { type: 'attempt', route, request_id: request, attempt: n, outcome, latency_ms: latency } as unknown as EventBody, source: { origin: 'attempts.jsonl', line: line++ }, format: 'json' };
}

/**
 * `requests` requests, one every `every` ms from `from`; those whose index is in `retried` fail
 * once (`outcome`, fast) and succeed on an immediate second attempt, so end to end stays near
 * a single attempt unless `backoffMs` is given.
 */
function traffic(options: { from: number; requests: number; retried: ReadonlySet<number> | number; every?: number; outcome?: string; backoffMs?: number; firstLatency?: number; prefix?: string; route?: string }): AuditEvent[] {
  const every = options.every ?? 9_000;
  const count = options.retried;
  const retried = typeof count === 'number' ? new Set(Array.from({ length: count }, (_, i) => Math.floor((i * options.requests) / count))) : count;
  return Array.from({ length: options.requests }, (_, i) => {
    const t = options.from + i * every;
    const id = `${options.prefix ?? 'q'}-${i}`;
    if (!retried.has(i)) return [attempt(t + 200, id, 1, 'ok', 200, options.route)];
    const first = options.firstLatency ?? 50;
    const second = t + first + (options.backoffMs ?? 0) + 200;
    return [attempt(t + first, id, 1, options.outcome ?? 'empty', first, options.route), attempt(second, id, 2, 'ok', 200, options.route)];
  }).flat();
}

/** One request much later, so that the route's time passes the boundaries before it. */
const nudge = (at: number, route = 'search-api') => [attempt(at, `nudge-${at}`, 1, 'ok', 200, route)];

function fold(batches: readonly (readonly AuditEvent[])[], state: RouteState = initialRouteState('search-api'), c = ctx()) {
  const findings: Finding[] = [];
  for (const batch of batches) {
    const result = routeReducer.apply(state, 'search-api', [...batch].sort((a, b) => a.at - b.at), c);
    state = result.state;
    findings.push(...result.findings);
  }
  return { state, findings };
}

const brief = (findings: readonly Finding[]) => findings.map((f) => `${f.ts} ${f.detector}: ${f.message}`);

describe('retries per route', () => {
  it.each([
    ['0%', 0],
    ['9%', 9],
    ['exactly 10%', 10],
  ])('stays quiet at %s of 100 requests', (_, retried) => {
    // Act
    const { findings, state } = fold([traffic({ from: T, requests: 100, retried }), nudge(T + 2 * 86_400_000)]);
    // Assess
    expect(findings).toEqual([]);
    expect(state.totals).toEqual({ requests: 101, retried, failed: 0, attempts: 101 + retried });
  });

  it('fires at 11%, once for the rolling hour and once for the rolling day, never again for the same window', () => {
    // Prepare: 100 requests in 15 minutes, 11 of which got an empty answer first (a 200 with garbage).
    const requests = traffic({ from: T, requests: 100, retried: 11 });
    // Act
    const { findings } = fold([requests, nudge(T + 5_400_000), nudge(T + 2 * 86_400_000)]);
    // Assess
    expect(brief(findings)).toEqual([
      '2026-10-05T10:15:00Z retry-rate: 11% of 100 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 10%)',
      '2026-10-05T11:00:00Z retry-rate: 11% of 100 requests to search-api needed a retry in the 24 h to 2026-10-05T11:00:00Z (limit 10%)',
    ]);
    expect(findings[0].evidence).toEqual({
      window: 'hour',
      from: '2026-10-05T09:15:00Z',
      to: '2026-10-05T10:15:00Z',
      requests: 100,
      retried: 11,
      failed: 0,
      attempts: 111,
      last_retried_bucket: '2026-10-05T10:00:00Z',
      rate: 0.11,
      max_rate: 0.1,
      min_requests: 20,
      attempts_per_request: 1.11,
    });
  });

  it('needs 20 requests: 19 with half retried stay quiet, 20 with 3 retried (15%) fire', () => {
    const few = fold([traffic({ from: T, requests: 19, retried: 10 }), nudge(T + 2 * 86_400_000)]);
    const enough = fold([traffic({ from: T, requests: 20, retried: 3 }), nudge(T + 2 * 86_400_000)]);
    expect(few.findings).toEqual([]);
    expect(brief(enough.findings)).toEqual([
      '2026-10-05T10:15:00Z retry-rate: 15% of 20 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 10%)',
      '2026-10-05T11:00:00Z retry-rate: 15% of 20 requests to search-api needed a retry in the 24 h to 2026-10-05T11:00:00Z (limit 10%)',
    ]);
  });

  it("counts a request whose only attempt failed (no retry was made) as one that needed a retry, and a route's own limit", () => {
    const config = validateConfig({ routes: { 'search-api': { retry_rate_max: 0.2 } } });
    const events = Array.from({ length: 40 }, (_, i) => attempt(T + i * 10_000 + 300, `s-${i}`, 1, i % 4 === 0 ? 'invalid' : 'ok', 300));
    const { findings, state } = fold([events, nudge(T + 2 * 86_400_000)], initialRouteState('search-api'), ctx(config));
    expect(state.totals).toMatchObject({ requests: 41, retried: 10, failed: 10 });
    expect(brief(findings)).toEqual([
      '2026-10-05T10:15:00Z retry-rate: 25% of 40 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 20%)',
      '2026-10-05T11:00:00Z retry-rate: 25% of 40 requests to search-api needed a retry in the 24 h to 2026-10-05T11:00:00Z (limit 20%)',
    ]);
  });

  it('measures end to end from the first attempt to the last: backoff makes p99 3.2 s against 1 s single attempts', () => {
    // Prepare: 6 of 100 requests time out after 1 s, wait 2 s, and succeed in 0.2 s; the others take 0.2 s.
    const requests = traffic({ from: T, requests: 100, retried: 6, outcome: 'timeout', firstLatency: 1_000, backoffMs: 2_000 });
    // Act
    const { findings } = fold([requests, nudge(T + 2 * 86_400_000)]);
    // Assess: both p99s are the sketch's readings, within 2% of the true 3 200 ms and 1 000 ms.
    expect(brief(findings)).toEqual([
      '2026-10-05T10:15:00Z retry-latency: p99 end-to-end latency of search-api was 3.2 s in the hour to 2026-10-05T10:15:00Z, 3.1× the p99 of single attempts (1 s)',
      '2026-10-05T11:00:00Z retry-latency: p99 end-to-end latency of search-api was 3.2 s in the 24 h to 2026-10-05T11:00:00Z, 3.1× the p99 of single attempts (1 s)',
    ]);
    expect(findings[0].evidence).toMatchObject({ window: 'hour', requests: 100, retried: 6, p99_e2e_ms: 3_164, p99_attempt_ms: 1_015, ratio: 3.1, limits: ['attempts'] });
  });

  it('keeps quiet a polling route configured so: retry_rate_max 1 and retry_latency_factor 0, every request retried after a 2 s wait', () => {
    // Prepare: 200 requests to job-status, each answered empty first and polled again 2 s later (2.25 s end to end against 200 ms attempts)
    const config = validateConfig({ routes: { 'search-api': { retry_rate_max: 1, retry_latency_factor: 0, p99_ms: 10_000 } } });
    const polls = traffic({ from: T, requests: 200, retried: 200, every: 4_000, backoffMs: 2_000 });
    // Act
    const quiet = fold([polls, nudge(T + 2 * 86_400_000)], initialRouteState('search-api'), ctx(config));
    const unconfigured = fold([polls, nudge(T + 2 * 86_400_000)]);
    // Assess
    expect(quiet.state.totals).toMatchObject({ requests: 201, retried: 200 });
    expect(quiet.findings).toEqual([]);
    expect(new Set(unconfigured.findings.map((f) => f.detector))).toEqual(new Set(['retry-rate', 'retry-latency']));
  });

  it('stays quiet on a low-traffic hour and on a healthy 2% retry rate: the relative rule needs 5% of the requests retried', () => {
    // Prepare: admin-export, 25 requests in an hour, one failed and retried after 2 s (all under p99_ms 5 s);
    // search-api, 500 requests in an hour, 2% retried after a 1 s backoff (the p99 lands on a retried one)
    const config = validateConfig({ routes: { 'search-api': { p99_ms: 5_000 } } });
    const lowTraffic = traffic({ from: T, requests: 25, retried: new Set([0]), every: 120_000, outcome: 'error', firstLatency: 300, backoffMs: 2_000 });
    const healthy = traffic({ from: T, requests: 500, retried: 10, every: 7_000, outcome: 'error', firstLatency: 300, backoffMs: 1_000 });
    // Act
    const low = fold([lowTraffic, nudge(T + 2 * 86_400_000)], initialRouteState('search-api'), ctx(config));
    const normal = fold([healthy, nudge(T + 2 * 86_400_000)]);
    // Assess
    expect(low.state.totals).toMatchObject({ requests: 26, retried: 1 });
    expect(normal.state.totals).toMatchObject({ requests: 501, retried: 10 });
    expect(brief(low.findings)).toEqual([]);
    expect(brief(normal.findings)).toEqual([]);
  });

  it("fires retry-latency above the route's p99_ms", () => {
    const config = validateConfig({ routes: { 'search-api': { p99_ms: 150 } } });
    const { findings } = fold([traffic({ from: T, requests: 30, retried: 0 }), nudge(T + 5_400_000)], initialRouteState('search-api'), ctx(config));
    expect(brief(findings)).toEqual([
      '2026-10-05T10:15:00Z retry-latency: p99 end-to-end latency of search-api was 203 ms in the hour to 2026-10-05T10:15:00Z, over its p99_ms 150 ms',
      '2026-10-05T11:00:00Z retry-latency: p99 end-to-end latency of search-api was 203 ms in the 24 h to 2026-10-05T11:00:00Z, over its p99_ms 150 ms',
    ]);
  });

  it('takes one slow request in 20 as their p99: 10.3 s end to end is over p99_ms 3 s', () => {
    // Prepare: 20 requests in a quarter hour; 19 answer in 100 ms, one fails and succeeds after a 10 s backoff.
    const config = validateConfig({ routes: { 'search-api': { p99_ms: 3_000 } } });
    const requests = traffic({ from: T, requests: 20, retried: new Set([10]), every: 10_000, outcome: 'error', firstLatency: 100, backoffMs: 10_000 });
    // Act
    const { findings } = fold([requests, nudge(T + 3 * 3_600_000)], initialRouteState('search-api'), ctx(config));
    // Assess: the p99 of 20 by nearest rank is the slowest (10.3 s, read within 2%), over p99_ms; not judged against 2× the
    // attempts, as 1 retried request is fewer than the 5 the relative rule needs.
    const latency = findings.filter((f) => f.detector === 'retry-latency');
    expect(latency.map((f) => f.evidence.window)).toEqual(['hour', 'day']);
    expect(latency[0].evidence).toMatchObject({ requests: 20, retried: 1, p99_ms: 3_000, limits: ['p99_ms'] });
    expect(Math.abs((latency[0].evidence.p99_e2e_ms as number) - 10_300) / 10_300).toBeLessThanOrEqual(0.02);
  });

  it('judges the month at its end, in one finding with the day that ends at the same moment', () => {
    // Prepare: the last quarter hour of October, 11% retried.
    const end = Date.parse('2026-10-31T23:45:00Z');
    const { findings } = fold([traffic({ from: end, requests: 100, retried: 11, every: 8_000 }), nudge(Date.parse('2026-11-01T00:30:00Z'))]);
    // Assess
    expect(brief(findings)).toEqual([
      '2026-11-01T00:00:00Z retry-rate: 11% of 100 requests to search-api needed a retry in 2026-10 (limit 10%); 11% of 100 requests to search-api needed a retry in the 24 h to 2026-11-01T00:00:00Z (limit 10%); 11% of 100 requests to search-api needed a retry in the hour to 2026-11-01T00:00:00Z (limit 10%)',
    ]);
    expect(findings[0].evidence).toMatchObject({ window: 'month', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', requests: 100, retried: 11 });
    expect((findings[0].evidence.also as { window: string }[]).map((w) => w.window)).toEqual(['day', 'hour']);
  });

  it('judges a month once the request begun in its last minutes and retried past midnight is complete, as of its end', () => {
    // Prepare: 20 requests over October, one every 36 hours (no rolling hour or day holds 20), 2 retried; then one begun at
    // 23:59:50 that fails, fails again at 00:03 and succeeds at 00:07; November's traffic moves the route's time on.
    const oct = Date.parse('2026-10-01T00:10:00Z');
    const nov = Date.parse('2026-11-01T00:00:00Z');
    const october = traffic({ from: oct, requests: 20, retried: new Set([3, 11]), every: 36 * 3_600_000 });
    const straddler = [attempt(nov - 10_000, 'late', 1, 'error', 100), attempt(nov + 180_000, 'late', 2, 'error', 100), attempt(nov + 420_000, 'late', 3, 'ok', 100)];
    const november = Array.from({ length: 5 }, (_, i) => attempt(nov + (5 + i) * 60_000 + 500, `n-${i}`, 1, 'ok', 100));
    const lines = [...october, ...straddler, ...november, ...nudge(nov + 2 * 86_400_000)].sort((a, b) => a.at - b.at);
    // Act: in one batch and one line per batch.
    const whole = fold([lines]);
    const perLine = fold(lines.map((line) => [line]));
    // Assess: the month holds the 21 requests begun in it, 3 retried (14.3% over 10%), stamped with its end; the straddler's
    // 7 min end to end is no retry-latency finding, 3 retried requests being fewer than the 5 its relative rule needs.
    const month = whole.findings.filter((f) => f.evidence.window === 'month');
    expect(brief(month)).toEqual(['2026-11-01T00:00:00Z retry-rate: 14.3% of 21 requests to search-api needed a retry in 2026-10 (limit 10%)']);
    expect(month[0].evidence).toMatchObject({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', requests: 21, retried: 3, attempts: 25 });
    expect(whole.state.months.find((b) => b.start === Date.parse('2026-10-01T00:00:00Z'))).toMatchObject({ requests: 21, retried: 3 });
    expect(whole.state.month_held).toBeUndefined();
    expect(perLine.findings).toEqual(whole.findings);
    expect(perLine.state).toEqual(whole.state);
  });

  it('judges a held month an hour after its end at the latest, without a request still retrying then', () => {
    // Prepare: October's 20 requests, 3 retried; one begun at 23:59 that fails every 4 minutes until 01:35 and then succeeds.
    const nov = Date.parse('2026-11-01T00:00:00Z');
    const october = traffic({ from: Date.parse('2026-10-01T00:10:00Z'), requests: 20, retried: new Set([3, 11, 15]), every: 36 * 3_600_000 });
    const endless = Array.from({ length: 25 }, (_, i) => attempt(nov - 60_000 + i * 240_000, 'endless', i + 1, i === 24 ? 'ok' : 'timeout', 100));
    const lines = [...october, ...endless, ...nudge(nov + 2 * 86_400_000)].sort((a, b) => a.at - b.at);
    // Act
    const { findings, state } = fold([lines]);
    // Assess: judged at 01:00 with the 20 requests complete then, still as of October's end; the endless one is counted in October's bucket later.
    expect(brief(findings.filter((f) => f.evidence.window === 'month'))).toEqual(['2026-11-01T00:00:00Z retry-rate: 15% of 20 requests to search-api needed a retry in 2026-10 (limit 10%)']);
    expect(state.months.find((b) => b.start === Date.parse('2026-10-01T00:00:00Z'))).toMatchObject({ requests: 21, retried: 4 });
  });

  it("judges a month again when a late line's request lands in it after it was judged: stamped with its end, at most once", () => {
    // Prepare: 15 ok requests in October, one a day (no hour or day holds 20), the month judged by the sweep at 00:30 with
    // them alone; then 5 requests begun at 23:50 on the 31st, each retried, whose lines come 40 minutes late.
    const nov = Date.parse('2026-11-01T00:00:00Z');
    const october = fold([traffic({ from: Date.parse('2026-10-10T12:00:00Z'), requests: 15, retried: 0, every: 86_400_000 })]);
    const swept = routeReducer.tick?.(october.state, 'search-api', ctx(DEFAULT_CONFIG, nov + 30 * 60_000));
    const late = traffic({ from: nov - 600_000, requests: 5, retried: 5, every: 10_000, prefix: 'late' });
    const later = traffic({ from: nov - 300_000, requests: 2, retried: 2, prefix: 'later' });
    // Act
    const judged = fold([late], swept?.state);
    const again = fold([later], judged.state);
    // Assess: 5 of 20 retried (25%), in October's finding; more late lines of the month do not fire it again.
    expect(swept?.findings).toEqual([]);
    expect(swept?.state.judged_to).toBeGreaterThanOrEqual(nov);
    expect(brief(judged.findings)).toEqual(['2026-11-01T00:00:00Z retry-rate: 25% of 20 requests to search-api needed a retry in 2026-10 (limit 10%)']);
    expect(judged.findings[0].evidence).toMatchObject({ window: 'month', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', requests: 20, retried: 5 });
    expect(again.findings).toEqual([]);
    expect(again.state.months.find((b) => b.start === Date.parse('2026-10-01T00:00:00Z'))).toMatchObject({ requests: 22, retried: 7 });
  });

  it("counts another host's lines of a window that come up to 15 minutes after the first host's before judging it, in any order", () => {
    // Prepare: host A's 20 requests at 10:00-10:09:30, 3 retried, and one at 10:21; host B's 40 requests of the same
    // minutes, all ok: 3 of 60 retried (5%) in the hour to 10:15.
    const a = [...traffic({ from: T, requests: 20, retried: new Set([0, 1, 2]), every: 30_000, prefix: 'a' }), ...nudge(T + 21 * 60_000)];
    const b = traffic({ from: T + 500, requests: 40, retried: 0, every: 15_000, prefix: 'b' });
    const later = nudge(T + 2 * 86_400_000);
    // Act: A's delivery then B's, B's then A's, and both in one.
    const aThenB = fold([a, b, later]);
    const bThenA = fold([b, a, later]);
    const together = fold([[...a, ...b], later]);
    // Assess
    expect(brief(aThenB.findings)).toEqual([]);
    expect(brief(bThenA.findings)).toEqual([]);
    expect(brief(together.findings)).toEqual([]);
    expect(aThenB.state.totals).toEqual(together.state.totals);
    expect(together.state.totals).toMatchObject({ requests: 62, retried: 3 });
  });

  it("judges a window once the route's newest line is 20 minutes past its end (or the sweep's clock is)", () => {
    // Prepare: 100 requests from 10:00, 11% retried; a line at 10:34:59 and one at 10:35.
    const requests = traffic({ from: T, requests: 100, retried: 11 });
    // Act
    const early = fold([requests, nudge(T + 35 * 60_000 - 1_000)]);
    const due = fold([nudge(T + 35 * 60_000)], early.state);
    const swept = routeReducer.tick?.(fold([requests]).state, 'search-api', ctx(DEFAULT_CONFIG, T + 35 * 60_000));
    // Assess
    expect(early.findings).toEqual([]);
    expect(brief(due.findings)).toEqual(['2026-10-05T10:15:00Z retry-rate: 11% of 100 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 10%)']);
    expect(brief(swept?.findings ?? [])).toEqual(brief(due.findings));
  });

  it('holds the rolling hour for a request begun before its end whose attempts all failed, the last just after it, in any split into batches', () => {
    // Prepare: 20 requests 09:15-09:25, 2 retried; one begun at 10:14:50 whose three attempts fail, the last ending 10:15:10.
    const end = T + 15 * 60_000;
    const hour = traffic({ from: end - 3_600_000, requests: 20, retried: new Set([0, 1]), every: 30_000 });
    const straddler = [attempt(end - 5_000, 'late', 1, 'timeout', 5_000), attempt(end + 2_000, 'late', 2, 'timeout', 5_000), attempt(end + 10_000, 'late', 3, 'error', 3_000)];
    const later = nudge(T + 2 * 86_400_000);
    const lines = [...hour, ...straddler].sort((a, b) => a.at - b.at);
    // Act: in one batch, split at the hour's end, and one line per batch.
    const whole = fold([lines, later]);
    const split = fold([lines.filter((e) => e.at < end), lines.filter((e) => e.at >= end), later]);
    const perLine = fold([...lines.map((e) => [e]), later]);
    // Assess: the hour to 10:15 holds the 21 requests begun in it, 3 retried (14.3% over 10%); the failed one's 20 s end to end
    // fires no retry-latency, 3 retried requests being fewer than the 5 its relative rule needs.
    expect(brief(whole.findings.filter((f) => f.detector === 'retry-rate'))).toEqual([
      '2026-10-05T10:15:00Z retry-rate: 14.3% of 21 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 10%)',
      '2026-10-05T11:00:00Z retry-rate: 14.3% of 21 requests to search-api needed a retry in the 24 h to 2026-10-05T11:00:00Z (limit 10%)',
    ]);
    expect(whole.findings.map((f) => f.evidence)).toEqual(expect.arrayContaining([expect.objectContaining({ window: 'hour', requests: 21, retried: 3, failed: 1, attempts: 25 })]));
    expect(whole.findings.map((f) => f.detector)).toEqual(['retry-rate', 'retry-rate']);
    expect(split.findings).toEqual(whole.findings);
    expect(perLine.findings).toEqual(whole.findings);
    expect(perLine.state).toEqual(whole.state);
    expect(whole.state.window_held).toBeUndefined();
  });

  it('judges a held hour once its straddling request is complete, and at the next quarter hour at the latest, without one still retrying', () => {
    // Prepare: 20 requests 09:15-09:25, 2 retried; a request begun at 10:14:50 that fails until 10:15:10, and one begun at
    // 10:14:55 that fails every 4 minutes until 10:34:55 (past the next boundary, 10:30).
    const end = T + 15 * 60_000;
    const hour = traffic({ from: end - 3_600_000, requests: 20, retried: new Set([0, 1]), every: 30_000 });
    const short = [attempt(end - 5_000, 'short', 1, 'timeout', 5_000), attempt(end + 10_000, 'short', 2, 'error', 3_000)];
    const endless = Array.from({ length: 6 }, (_, i) => attempt(end - 5_000 + i * 240_000, 'endless', i + 1, 'timeout', 100));
    const lines = [...hour, ...short].sort((a, b) => a.at - b.at);
    // Act: the route's time 20 minutes past 10:15 (held), then past the short request's quiet 5 minutes; with the endless
    // one, the route's time just short of 20 minutes past 10:30, then at it.
    const held = fold([[...lines, ...nudge(end + 20 * 60_000 + 1_000)]]);
    const released = fold([nudge(end + 25 * 60_000 + 11_000)], held.state);
    const longLines = [...lines, ...endless].sort((a, b) => a.at - b.at);
    const waiting = fold([[...longLines, ...nudge(end + 35 * 60_000 - 1_000)]]);
    const expired = fold([nudge(end + 35 * 60_000)], waiting.state);
    // Assess: held while the short request may still retry, judged with it once quiet; with the endless one, judged when
    // 10:30 is, without it (21 of the 22 begun before 10:15 are complete, 3 retried: 14.3%, not 4 of 22).
    expect(held.findings).toEqual([]);
    expect(held.state.window_held).toBe(end);
    expect(brief(released.findings.filter((f) => f.detector === 'retry-rate'))).toEqual(['2026-10-05T10:15:00Z retry-rate: 14.3% of 21 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 10%)']);
    expect(released.state.window_held).toBeUndefined();
    expect(waiting.findings).toEqual([]);
    expect(brief(expired.findings.filter((f) => f.detector === 'retry-rate'))).toEqual(['2026-10-05T10:15:00Z retry-rate: 14.3% of 21 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 10%)']);
    expect(expired.state.window_held).toBe(end + 15 * 60_000);
  });

  it('gives the same findings however the lines are split into batches, and when they come a little out of order', () => {
    // Prepare: the attempts in 1-minute batches, every pair of batches swapped.
    const requests = traffic({ from: T, requests: 100, retried: 11 });
    const later = nudge(T + 5_400_000);
    const minutes = new Map<number, AuditEvent[]>();
    for (const e of requests) minutes.set(Math.floor(e.at / 60_000), [...(minutes.get(Math.floor(e.at / 60_000)) ?? []), e]);
    const batches = [...minutes.values()];
    const swapped = batches.map((_, i) => batches[i % 2 === 0 ? Math.min(i + 1, batches.length - 1) : i - 1]);
    // Act
    const whole = fold([[...requests, ...later]]);
    const split = fold([...batches, later]);
    const late = fold([...swapped, later]);
    // Assess
    expect(split.findings).toEqual(whole.findings);
    expect(late.findings).toEqual(whole.findings);
    expect(brief(whole.findings)).toEqual([
      '2026-10-05T10:15:00Z retry-rate: 11% of 100 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 10%)',
      '2026-10-05T11:00:00Z retry-rate: 11% of 100 requests to search-api needed a retry in the 24 h to 2026-10-05T11:00:00Z (limit 10%)',
    ]);
    expect(batches.length).toBeGreaterThan(10);
  });

  it('judges a route that went quiet alike whether its next line comes hours later (scan) or the sweep comes by every 5 minutes (the stack)', () => {
    // Prepare: steady traffic 12:00-13:45, then the upstream down at 13:40-13:45 (ten requests, three failed attempts each, never
    // closed by a success), quiet until a request at 15:00 whose second attempt comes 25 minutes after its first, then a line at 17:00.
    const noon = Date.parse('2026-10-05T12:00:00Z');
    const events = [
      ...Array.from({ length: 300 }, (_, i) => attempt(noon + i * 15_000 + 100, `h-${i}`, 1, 'ok', 100)),
      ...Array.from({ length: 30 }, (_, i) => attempt(noon + 75 * 60_000 + i * 60_000 + 100, `m-${i}`, 1, 'ok', 100)),
      ...Array.from({ length: 10 }, (_, i) => [1, 2, 3].map((n) => attempt(noon + 100 * 60_000 + i * 30_000 + (n - 1) * 5_000 + 100, `f-${i}`, n, 'error', 100))).flat(),
      attempt(noon + 3 * 3_600_000, 'slow', 1, 'error', 100),
      attempt(noon + 3 * 3_600_000 + 25 * 60_000, 'slow', 2, 'ok', 100),
      attempt(noon + 5 * 3_600_000, 'next', 1, 'ok', 100),
    ].sort((a, b) => a.at - b.at);
    // Act: the lines alone, and one delivery per line with the sweep every 5 minutes in between.
    const scan = fold([events]);
    let state = initialRouteState('search-api');
    const stack: Finding[] = [];
    let clock = events[0].at;
    for (const event of events) {
      for (; clock + 300_000 <= event.at; clock += 300_000) {
        const swept = routeReducer.tick?.(state, 'search-api', ctx(DEFAULT_CONFIG, clock + 300_000));
        state = swept?.state ?? state;
        stack.push(...(swept?.findings ?? []));
      }
      const applied = routeReducer.apply(state, 'search-api', [event], ctx());
      state = applied.state;
      stack.push(...applied.findings);
    }
    // Assess
    expect(brief(scan.findings)).toEqual(brief(stack));
    expect(brief(scan.findings)).toContain('2026-10-05T14:15:00Z retry-rate: 25% of 40 requests to search-api needed a retry in the hour to 2026-10-05T14:15:00Z (limit 10%)');
    expect(scan.state.totals).toEqual(state.totals);
    expect(state.totals).toEqual({ requests: 342, retried: 11, failed: 11, attempts: 362 });
  });

  it("goes straight through years no line fell in: a first line stamped with Go's zero time, a last one in 9999", () => {
    // Prepare: an unset Go time.Time (0001-01-01T00:00:00Z) on one failed attempt, October's traffic with 11% retried, then
    // a line stamped 9999-12-31. Judged boundary by boundary, the batch would walk 71 million quarter hours to October and
    // 280 million after it (minutes; the ingest Lambda has 60 s); no window holds anything there.
    const zero = attempt(Date.parse('0001-01-01T00:00:00Z'), 'unset-time', 1, 'error', 12);
    const requests = traffic({ from: T, requests: 100, retried: 11 });
    const farFuture = attempt(Date.parse('9999-12-31T00:00:00Z'), 'far-future', 1, 'ok', 12);
    // Act: in one batch, and split into three; against the same traffic judged to the next year without the far lines.
    const whole = fold([[zero, ...requests, farFuture]]);
    const split = fold([[zero], requests, [farFuture]]);
    const near = fold([requests, nudge(Date.parse('2027-01-01T00:00:00Z'))]);
    // Assess: October's windows, the month's too, judged as without the far lines; both far requests counted.
    expect(brief(whole.findings)).toEqual(brief(near.findings));
    expect(brief(whole.findings)).toEqual([
      '2026-10-05T10:15:00Z retry-rate: 11% of 100 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 10%)',
      '2026-10-05T11:00:00Z retry-rate: 11% of 100 requests to search-api needed a retry in the 24 h to 2026-10-05T11:00:00Z (limit 10%)',
      '2026-11-01T00:00:00Z retry-rate: 11% of 100 requests to search-api needed a retry in 2026-10 (limit 10%)',
    ]);
    expect(split.findings).toEqual(whole.findings);
    expect(split.state).toEqual(whole.state);
    expect(whole.state.totals).toEqual({ requests: 102, retried: 12, failed: 1, attempts: 113 });
    expect(whole.state.judged_to).toBe(Date.parse('9999-12-30T23:30:00Z'));
  });

  it('counts nothing twice: a redelivered batch returns the very same state', () => {
    const requests = traffic({ from: T, requests: 50, retried: 5 });
    const { state } = fold([requests]);
    const again = routeReducer.apply(state, 'search-api', requests, ctx());
    expect(again.state).toBe(state);
    expect(again.findings).toEqual([]);
  });

  it('counts every request of a busy route whose hosts\' logs come in one delivery after another, though the route remembers 3,000', () => {
    // Prepare: five hosts serve the route at once, 1,000 requests each in the same 50 seconds (100 a second in
    // all); CloudWatch delivers each host's log stream on its own, one after the other.
    const hosts = [1, 2, 3, 4, 5].map((h) => traffic({ from: T + h, requests: 1_000, retried: 100, every: 50, prefix: `host${h}` }));

    // Act
    const { state } = fold(hosts);

    // Assess: a later host's requests are new, however many the earlier hosts' deliveries brought.
    expect(state.totals).toEqual({ requests: 5_000, retried: 500, failed: 0, attempts: 5_500 });
  });

  it('never writes into the state it is given, and any split into batches ends in the state one batch ends in', () => {
    // Prepare: retries over three hours; an attempt 2 before its attempt 1; a request that never succeeds
    // (closed when quiet); a flood of failed requests past MAX_OPEN_REQUESTS (the oldest closed early).
    const flood = Array.from({ length: MAX_OPEN_REQUESTS + 50 }, (_, i) => attempt(T + 600_000 + i * 100, `flood-${i}`, 1, 'error', 80));
    const events = [
      ...traffic({ from: T, requests: 600, retried: 70, every: 18_000, backoffMs: 1_500 }),
      attempt(T + 65_000, 'late', 2, 'ok', 200),
      attempt(T + 66_000, 'never', 1, 'timeout', 3_000),
      attempt(T + 70_000, 'late', 1, 'error', 900),
      ...flood,
    ].sort((a, b) => a.at - b.at);
    const sweep = ctx(DEFAULT_CONFIG, T + 6 * 3_600_000);
    // Act: 40 lines a batch, each batch applied to a deep-frozen state (a write into it throws), then the sweep.
    let state = deepFreeze(initialRouteState('search-api'));
    const findings: Finding[] = [];
    for (let i = 0; i < events.length; i += 40) {
      const before = JSON.stringify(state);
      const result = routeReducer.apply(state, 'search-api', events.slice(i, i + 40), ctx());
      expect(JSON.stringify(state)).toBe(before);
      state = deepFreeze(result.state);
      findings.push(...result.findings);
    }
    const swept = routeReducer.tick?.(state, 'search-api', sweep);
    const whole = fold([events]);
    const wholeSwept = routeReducer.tick?.(whole.state, 'search-api', sweep);
    // Assess
    expect(state).toEqual(whole.state);
    expect(findings).toEqual(whole.findings);
    expect(swept?.state).toEqual(wholeSwept?.state);
    expect(swept?.findings).toEqual(wholeSwept?.findings);
    expect(brief([...findings, ...(swept?.findings ?? [])]).length).toBeGreaterThan(0);
    expect(swept?.state.open).toEqual({});
    expect(swept?.state.totals).toEqual({ requests: 600 + 2 + MAX_OPEN_REQUESTS + 50, retried: 70 + 2 + MAX_OPEN_REQUESTS + 50, failed: 1 + MAX_OPEN_REQUESTS + 50, attempts: 670 + 3 + MAX_OPEN_REQUESTS + 50 });
  });

  it('holds a request whose earlier attempt is missing until it comes, and ignores attempts of finished requests', () => {
    // Attempt 2 (ok) arrives before attempt 1 (error): the request is complete only when both are in.
    const second = attempt(T + 3_000, 'r-x', 2, 'ok', 200);
    const first = attempt(T + 1_000, 'r-x', 1, 'error', 1_000);
    const a = fold([[second]]);
    expect(Object.keys(a.state.open)).toEqual(['r-x']);
    const b = fold([[first]], a.state);
    expect(b.state.open).toEqual({});
    expect(b.state.totals).toEqual({ requests: 1, retried: 1, failed: 0, attempts: 2 });
    const c = fold([[attempt(T + 2_500, 'r-x', 3, 'ok', 100), first]], b.state);
    expect(c.state).toBe(b.state);
  });

  it('takes any request id, even one every object inherits (constructor, __proto__, toString, hasOwnProperty)', () => {
    // Prepare: each id's attempt 1 fails, and its attempt 2 comes in the next batch, after the state went through JSON as stored.
    const ids = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
    const first = ids.map((id, i) => attempt(T + i * 1_000, id, 1, 'error', 100));
    const second = ids.map((id, i) => attempt(T + 10_000 + i * 1_000, id, 2, 'ok', 100));
    // Act
    const opened = fold([first]);
    const stored = JSON.parse(JSON.stringify(opened.state)) as RouteState;
    const closed = fold([second], stored);
    const again = routeReducer.apply(closed.state, 'search-api', first, ctx());
    // Assess
    expect(Object.keys(opened.state.open).sort()).toEqual([...ids].sort());
    expect(Object.getPrototypeOf(opened.state.open)).toBe(Object.prototype);
    expect(closed.state.open).toEqual({});
    expect(closed.state.totals).toEqual({ requests: 4, retried: 4, failed: 0, attempts: 8 });
    expect(again.state).toBe(closed.state);
  });

  it('counts a request id used again a day later (a counter restarted by a deploy) as a new request', () => {
    // Prepare: the same 100 request ids on two days; none retried on the first, 20 on the second.
    const day = 86_400_000;
    const batches = [traffic({ from: T, requests: 100, retried: 0 }), traffic({ from: T + day, requests: 100, retried: 20 }), nudge(T + 3 * day)];
    // Act
    const { state, findings } = fold(batches);
    // Assess
    expect(state.totals).toEqual({ requests: 201, retried: 20, failed: 0, attempts: 221 });
    expect(brief(findings).filter((f) => f.startsWith('2026-10-06'))).toContain(
      '2026-10-06T10:15:00Z retry-rate: 20% of 100 requests to search-api needed a retry in the hour to 2026-10-06T10:15:00Z (limit 10%)',
    );
  });

  it('counts a request id used again 36 minutes or more after its last attempt as a new request, across the edge of an hour too', () => {
    // Prepare: 40 requests at 10:00-10:04, the same ids again 36 minutes after each (10:36-10:40, retried) and 72 minutes
    // after (11:12-11:16: the first 15 minutes of the next hour, 36 minutes after the second use; retried).
    const ids = Array.from({ length: 40 }, (_, i) => [`req-${i}`, T + (i + 1) * 6_000] as const);
    const first = ids.map(([id, at]) => attempt(at, id, 1, 'ok', 100));
    const reused = (after: number) => ids.flatMap(([id, at]) => [attempt(at + after, id, 1, 'error', 100), attempt(at + after + 1_000, id, 2, 'ok', 100)]);
    // Act
    const { state } = fold([first, reused(36 * 60_000), reused(72 * 60_000), nudge(T + 86_400_000)]);
    // Assess
    expect(state.totals).toEqual({ requests: 121, retried: 80, failed: 0, attempts: 201 });
  });

  it('still reads a state stored with hourly tokens: a redelivered or late attempt of a request it holds is ignored', () => {
    // Prepare: a request retried at 10:58:30-10:59, stored as states were before (one token per hour, no done_slotted).
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const hour = Math.floor((T + 3_600_000 - 90_000) / 3_600_000) & 4095;
    const hourly = fingerprint('req:r-old').slice(0, 6) + alphabet[hour >> 6] + alphabet[hour & 63];
    const attempts = [attempt(T + 3_600_000 - 90_000, 'r-old', 1, 'error', 500), attempt(T + 3_600_000 - 60_000, 'r-old', 2, 'ok', 200)];
    const { done_slotted: _slotted, ...counted } = fold([attempts]).state;
    const stored: RouteState = { ...counted, done: hourly };
    // Act: the attempts delivered again, then one logged 5 minutes into the next hour, then a new request.
    const again = routeReducer.apply(stored, 'search-api', attempts, ctx());
    const late = routeReducer.apply(stored, 'search-api', [attempt(T + 3_600_000 + 5 * 60_000, 'r-old', 3, 'ok', 100)], ctx());
    const next = fold([[attempt(T + 3_600_000 + 6 * 60_000, 'r-new', 1, 'ok', 100)]], stored);
    // Assess
    expect(again.state).toBe(stored);
    expect(late.state.totals).toEqual(stored.totals);
    expect(next.state.totals.requests).toBe(2);
    expect(next.state.done.startsWith(hourly)).toBe(true);
    expect(next.state.done_slotted).toBe(1);
  });

  it('still ignores a late attempt of a finished request across the edge of an hour', () => {
    // Prepare: a request retried just before 11:00, then its attempt 3 logged 5 minutes after 11:00.
    const hourEdge = T + 3_600_000;
    const { state } = fold([[attempt(hourEdge - 90_000, 'r-edge', 1, 'error', 500), attempt(hourEdge - 60_000, 'r-edge', 2, 'ok', 200)]]);
    // Act
    const late = routeReducer.apply(state, 'search-api', [attempt(hourEdge + 5 * 60_000, 'r-edge', 3, 'ok', 100)], ctx());
    // Assess
    expect(state.totals.requests).toBe(1);
    expect(late.state.totals).toEqual(state.totals);
    expect(late.state.open).toEqual({});
  });

  it('keeps its state bounded over three days of traffic', () => {
    const days = Array.from({ length: 3 * 24 * 4 }, (_, q) => traffic({ from: T + q * 900_000, requests: 20, retried: 1, every: 40_000, prefix: `d${q}` }));
    const { state } = fold(days);
    expect(state.quarters.length).toBeLessThanOrEqual(9);
    expect(state.hours.length).toBeLessThanOrEqual(25);
    expect(state.months.length).toBeLessThanOrEqual(2);
    expect(state.done.length).toBe(MAX_DONE_REQUESTS * 8);
    expect(state.totals.requests).toBeGreaterThan(5_700);
    expect(JSON.stringify(state).length).toBeLessThan(120_000);
  });

  it('keeps the request counts of its past months, for the monthly report of an older month, and never more than PAST_MONTHS of them', () => {
    // Prepare: 10 requests (2 retried) on the 3rd of every month from August 2025 to March 2027, frozen as stored states are.
    const months = Array.from({ length: 20 }, (_, i) => Date.UTC(2025, 7 + i, 3, 9));
    let state = initialRouteState('search-api');
    // Act
    for (const [i, at] of months.entries()) state = deepFreeze(fold([traffic({ from: at, requests: 10, retried: 2, every: 60_000, prefix: `m${i}` })], state).state);
    // Assess: January 2027 and before are counts only; February and March keep their buckets.
    const monthOf = (start: number) => new Date(start).toISOString().slice(0, 7);
    expect(state.months.map((b) => monthOf(b.start))).toEqual(['2027-02', '2027-03']);
    expect(state.past_months?.map((m) => monthOf(m.start))).toEqual(['2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12', '2027-01']);
    expect(state.past_months?.[0]).toEqual({ start: Date.UTC(2026, 1, 1), requests: 10, retried: 2, failed: 0, attempts: 12 });
    expect(state.past_months).toHaveLength(PAST_MONTHS);
    expect(state.first_seen).toBe(Date.UTC(2025, 7, 3, 9));
  });

  it('keeps its newest attempt time as last seen, which the sweep moving its time on while it is silent leaves alone', () => {
    // Prepare: 10 requests from 10:00 to 10:09 (the last answered at 10:09:00.2), an out-of-order earlier one after them
    const requests = traffic({ from: T, requests: 10, retried: 0, every: 60_000 });
    const { state } = fold([requests, [attempt(T + 30_000, 'late', 1, 'ok', 100)]]);

    // Act: the sweep, hourly for six weeks
    let swept = state;
    for (let now = T + 3_600_000; now <= T + 42 * 86_400_000; now += 3_600_000) swept = routeReducer.tick?.(swept, 'search-api', ctx(DEFAULT_CONFIG, now)).state ?? swept;

    // Assess
    expect(state.last_at).toBe(T + 9 * 60_000 + 200);
    expect(swept.watermark).toBeGreaterThan(T + 41 * 86_400_000);
    expect(swept.last_at).toBe(T + 9 * 60_000 + 200);
  });

  it('keeps 2,000 open requests of 256-character ids within a DynamoDB item, and counts each once whether it ends by its retry or goes quiet', () => {
    // Prepare: 2,000 requests whose first attempt failed (ids of the contract's 256 characters, 713 KB of JSON when kept whole)
    const id = (i: number) => `${String(i).padStart(4, '0')}-${'k'.repeat(251)}`;
    const failed = Array.from({ length: MAX_OPEN_REQUESTS }, (_, i) => attempt(T + i * 100, id(i), 1, 'error', 80));
    const retries = Array.from({ length: 1000 }, (_, i) => attempt(T + 200_000 + i * 100, id(i), 2, 'ok', 90));
    // Act: the failures; the retries of half of them (the state gone through JSON in between); then the rest goes quiet; then all again (a redelivery)
    const opened = fold([failed]);
    const stored = JSON.parse(JSON.stringify(opened.state)) as RouteState;
    const retried = fold([retries], stored);
    const quiet = fold([nudge(T + 1_500_000)], retried.state);
    const again = fold([[...failed, ...retries]], quiet.state);
    // Assess
    expect(Object.keys(opened.state.open)).toHaveLength(MAX_OPEN_REQUESTS);
    expect(Buffer.byteLength(JSON.stringify(opened.state))).toBeLessThan(400_000);
    expect(retried.state.totals).toEqual({ requests: 1000, retried: 1000, failed: 0, attempts: 2000 });
    expect(quiet.state.open).toEqual({});
    expect(quiet.state.totals).toEqual({ requests: 2001, retried: 2000, failed: 1000, attempts: 3001 });
    expect(again.state.totals).toEqual(quiet.state.totals);
  });

  it('still reads a state that kept a long request id whole: its retry closes it, counted once', () => {
    // Prepare: a state stored before long ids were fingerprinted, with one such request open
    const longId = `req-${'x'.repeat(200)}`;
    const before = fold([[attempt(T, 'short', 1, 'error', 80)]]).state;
    const stored: RouteState = { ...before, open: { ...before.open, [longId]: { first: T - 80, last: T, seen: [1], latencies: [80], failures: 1 } } };
    // Act
    const { state } = fold([[attempt(T + 2_000, longId, 2, 'ok', 90), attempt(T + 2_000, longId, 2, 'ok', 90)]], stored);
    // Assess
    expect(Object.keys(state.open)).toEqual(['short']);
    expect(state.totals).toEqual({ requests: 1, retried: 1, failed: 0, attempts: 2 });
  });

  it('closes the quietest open requests early once they pass MAX_OPEN_BYTES (2,000 of 10 attempts), in any split into batches', () => {
    // Prepare: 2,000 requests failing 10 times each with fractional latencies: 700 KB of JSON if all kept open
    const events = Array.from({ length: 10 }, (_, a) =>
      Array.from({ length: MAX_OPEN_REQUESTS }, (_, i) => attempt(T + (a * MAX_OPEN_REQUESTS + i) * 2, `r-${i}`, a + 1, 'error', 1_000 + ((i * 7919 + a * 104_729) % 99_991) / 7)),
    ).flat();
    // Act
    const whole = fold([events]);
    const split = fold(Array.from({ length: 20 }, (_, b) => events.slice(b * 1_000, (b + 1) * 1_000)));
    // Assess: the state stays within the bound, the requests closed early are counted (failed), and none twice
    const open = Object.keys(whole.state.open).length;
    expect(Buffer.byteLength(JSON.stringify(whole.state.open))).toBeLessThanOrEqual(MAX_OPEN_BYTES * 1.1);
    expect(open).toBeLessThan(MAX_OPEN_REQUESTS);
    expect(whole.state.totals.requests).toBe(MAX_OPEN_REQUESTS - open);
    expect(whole.state.totals.failed).toBe(MAX_OPEN_REQUESTS - open);
    expect(split.state).toEqual(whole.state);
  });

  it.each([
    ['in one batch', false],
    ['the failures, the others and the retry each in a batch', true],
  ])('ignores a later attempt of a request closed early past MAX_OPEN_REQUESTS, however many requests completed since: %s', (_name, split) => {
    // Prepare: 2,001 requests whose first attempt failed (the first, the quietest, closed early); then
    // 3,000 requests that succeed at once (more than the route's completed requests remembered); then the first one's retry
    const failed = Array.from({ length: MAX_OPEN_REQUESTS + 1 }, (_, i) => attempt(T + i * 10, `e-${i}`, 1, 'error', 80));
    const busy = Array.from({ length: MAX_DONE_REQUESTS }, (_, i) => attempt(T + 30_000 + i * 10, `ok-${i}`, 1, 'ok', 90));
    const retry = attempt(T + 90_000, 'e-0', 2, 'ok', 90);
    const batches = [failed, busy, [retry, ...nudge(T + 86_400_000)]];
    // Act
    const { state } = fold(split ? batches : [batches.flat()]);
    // Assess: the request closed early is counted once, as it stood (failed); its retry is not a request of its own
    const requests = MAX_OPEN_REQUESTS + 1 + MAX_DONE_REQUESTS + 1;
    expect(state.open).toEqual({});
    expect(state.totals).toEqual({ requests, retried: MAX_OPEN_REQUESTS + 1, failed: MAX_OPEN_REQUESTS + 1, attempts: requests });
  });

  it('past MAX_OPEN_REQUESTS closes, line by line, the request a sort of all open ones by last attempt then id would (ties, ids like numbers, lines out of order, retries), in any split into batches', () => {
    // Prepare: 12½ minutes of failed attempts (none goes quiet, none succeeds) of 3,000 lines, some
    // retried, several per millisecond, a few lines late; ids that sort alike ('a' and 'a\u0001'), like numbers ('7'), or inherited names.
    const names = ['a', 'a\u0001', 'A', '7', '42', '0', '01', '__proto__', 'constructor'];
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const lines = Array.from({ length: MAX_OPEN_REQUESTS + 1_000 }, (_, i) => {
      const r = next();
      const id = r < 0.1 ? `${names[Math.floor(next() * names.length)]}${next() < 0.5 ? '' : Math.floor(next() * 20)}` : r < 0.25 ? `${Math.floor(next() * 4000)}` : `q${r < 0.4 ? Math.floor(next() * i) : i}`;
      return attempt(T + Math.floor(i / 4) * 1_000 - (next() < 0.05 ? 3_000 : 0), id, 1 + Math.floor(next() * 3), 'error', 50 + Math.floor(next() * 400));
    });
    // The quietest: ids that sort alike at the same time, closed in the open map's order ('5000' before '5000\u0000', put in before it).
    lines.unshift(...['5000\u0000', 'c\u0001', 'c', '5000'].map((id) => attempt(T - 10_000, id, 1, 'error', 50)));
    // The open requests as the reducer has always bounded them: a sort of them all whenever the route's time moves on.
    const open: Record<string, { last: number; seen: number[] }> = {};
    const closed: string[] = [];
    let routeTime = Number.NEGATIVE_INFINITY;
    for (const { at, body } of lines) {
      const { request_id: id, attempt: n } = body as unknown as { request_id: string; attempt: number };
      if (at > routeTime) {
        routeTime = at;
        const quietest = Object.entries(open).sort(([a, x], [b, y]) => x.last - y.last || a.localeCompare(b));
        for (const [key] of quietest.slice(0, Math.max(0, quietest.length - MAX_OPEN_REQUESTS))) {
          closed.push(key);
          delete open[key];
        }
      }
      if (closed.includes(id) || (Object.hasOwn(open, id) && open[id].seen.includes(n))) continue;
      if (Object.hasOwn(open, id)) open[id].last = Math.max(open[id].last, at);
      else Object.defineProperty(open, id, { value: { last: at, seen: [] }, enumerable: true, writable: true, configurable: true });
      open[id].seen.push(n);
    }
    const run = (batches: readonly AuditEvent[][]) => batches.reduce((state, batch) => routeReducer.apply(state, 'search-api', batch, ctx()).state, initialRouteState('search-api'));
    // Act
    const whole = run([lines]);
    const split = run(Array.from({ length: 7 }, (_, b) => lines.slice(b * 451, (b + 1) * 451)));
    // Assess: the same requests left open, in the same order, with the same attempts; those closed early counted, in the order closed
    expect(closed.length).toBeGreaterThan(300);
    expect(closed.slice(0, 4)).toEqual(['5000', '5000\u0000', 'c\u0001', 'c']);
    expect(Object.keys(whole.open)).toEqual(Object.keys(open));
    for (const key of Object.keys(open)) expect([whole.open[key].last, whole.open[key].seen]).toEqual([open[key].last, open[key].seen]);
    const closedOrder = (state: RouteState) => [...new Set(state.done.match(/.{8}/g)?.map((token) => token.slice(0, 6)))];
    expect(closedOrder(whole)).toEqual(closed.map((k) => fingerprint(`req:${k}`).slice(0, 6)));
    expect([whole.totals.requests, whole.totals.failed]).toEqual([closed.length, closed.length]);
    expect(split).toEqual(whole);
  });

  it('lets the sweep judge a route that went quiet, writing nothing when there is nothing to judge', () => {
    const { state, findings } = fold([traffic({ from: T, requests: 100, retried: 11 })]);
    const quiet = routeReducer.tick?.(state, 'search-api', ctx(DEFAULT_CONFIG, T + 10 * 60_000));
    const swept = routeReducer.tick?.(state, 'search-api', ctx(DEFAULT_CONFIG, T + 2 * 3_600_000));
    const again = routeReducer.tick?.(swept?.state as RouteState, 'search-api', ctx(DEFAULT_CONFIG, T + 2 * 3_600_000 + 60_000));
    expect(findings).toEqual([]);
    expect(quiet?.state).toBe(state);
    expect(brief(swept?.findings ?? [])).toEqual([
      '2026-10-05T10:15:00Z retry-rate: 11% of 100 requests to search-api needed a retry in the hour to 2026-10-05T10:15:00Z (limit 10%)',
      '2026-10-05T11:00:00Z retry-rate: 11% of 100 requests to search-api needed a retry in the 24 h to 2026-10-05T11:00:00Z (limit 10%)',
    ]);
    expect(again?.state).toBe(swept?.state);
  });

  it('lets the sweep (every 5 minutes) write a quiet route only when it passes a quarter-hour boundary to judge', async () => {
    // Prepare: three routes' traffic stored, then silence; a store that counts its writes
    const routes = ['search-api', 'checkout-api', 'login-api'];
    const store = new MemoryAuditStore();
    const lines = routes.flatMap((route) => traffic({ from: T, requests: 100, retried: 11, route, prefix: route })).sort((a, b) => a.at - b.at);
    await processBatch(lines, [routeReducer], store, ctx(DEFAULT_CONFIG, T + 15 * 60_000));
    let writes = 0;
    const commit = store.commit.bind(store);
    store.commit = (change) => {
      writes++;
      return commit(change);
    };
    // Act: sweeps from 12:00 to 12:40, two hours after the traffic
    const perSweep: string[] = [];
    for (let minute = 0; minute <= 40; minute += 5) {
      writes = 0;
      await sweepSubjects([routeReducer], store, ctx(DEFAULT_CONFIG, T + 2 * 3_600_000 + minute * 60_000));
      perSweep.push(`12:${String(minute).padStart(2, '0')} ${writes}`);
    }
    // Assess: the route's time (the sweep's clock less 20 minutes) passes 11:45, 12:00 and 12:15 at 12:05, 12:20 and 12:35; the sweeps between write nothing
    expect(perSweep).toEqual(['12:00 3', '12:05 3', '12:10 0', '12:15 0', '12:20 3', '12:25 0', '12:30 0', '12:35 3', '12:40 0']);
  });

  it("leaves a URL route's password to the redactor: no secret in a subject, a finding or its message", async () => {
    // Prepare: 40 requests, every other one retried, to URLs whose user info holds a password (one holding `/`), parsed as lines are
    const routes = ['https://user:S3cretA@host/x', 'GET https://user:S3cretB@host/x/1', 'https://user:S3c/retF@host/x'];
    // and one request two hours later, so that their hour is judged
    const lines = routes.flatMap((route, r) => {
      const line = (request: string, n: number, outcome: string, ts: number) => JSON.stringify({ type: 'attempt', ts: new Date(ts).toISOString(), route, request_id: `r${r}-${request}`, attempt: n, outcome, latency_ms: 100 });
      const requests = Array.from({ length: 40 }, (_, i) => (i % 2 ? [line(`${i}`, 1, 'error', T + i * 60_000), line(`${i}`, 2, 'ok', T + i * 60_000 + 10_000)] : [line(`${i}`, 1, 'ok', T + i * 60_000)]));
      return [...requests.flat(), line('late', 1, 'ok', T + 2 * 3_600_000)];
    });
    const events = lines.flatMap((text, i) => {
      const outcome = parseLine(text, { source: { origin: 'attempts.jsonl', line: i + 1 }, now: T + 3 * 3_600_000 });
      return outcome.kind === 'events' ? outcome.events : [];
    });
    // Act
    const result = await processBatch(events, [routeReducer], new MemoryAuditStore(), ctx(DEFAULT_CONFIG, T + 3 * 3_600_000));
    // Assess: every route judged under its redacted name, no password anywhere
    expect(events).toHaveLength(183);
    expect([...new Set(result.findings.map((f) => f.subject))].sort()).toEqual([
      'GET https://user:[REDACTED:url-password]@host/x/1',
      'https://user:[REDACTED:url-password]@host/x',
    ]);
    expect(JSON.stringify(result.findings)).not.toMatch(/S3c|retF/);
  });
});
