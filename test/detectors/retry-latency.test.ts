import { addToSketch, emptySketch, sketchQuantile } from '../../lambdas/core/histogram.ts';
import type { RouteWindow } from '../../lambdas/detectors/agent-kinds.ts';
import { retryLatencyDetector } from '../../lambdas/detectors/retry-latency.ts';
import { testRouteWindowDetector } from './agent-detector-tester.ts';

const TO = Date.parse('2026-10-05T14:00:00Z');
/** A rolling day of 500 requests with the given p99s. */
function day(p99E2e: number | undefined, p99Attempt: number | undefined, requests = 500): RouteWindow {
  return { kind: 'day', from: TO - 86_400_000, to: TO, requests, retried: 40, failed: 0, attempts: requests + 60, p99_e2e_ms: p99E2e, p99_attempt_ms: p99Attempt };
}

/** The p99 a route's latency sketch reads back when every request took `ms`: the middle of its bin, up to 2% off. */
function readBack(ms: number): number | undefined {
  return sketchQuantile(addToSketch(emptySketch(), ms, 500), 0.99);
}

testRouteWindowDetector(retryLatencyDetector, {
  valid: [
    { name: 'no retries: end to end is the single attempt', input: { route: 'search-api', window: day(1_200, 1_200) } },
    { name: 'retries add a little: 1.9× the attempt p99, no p99_ms', input: { route: 'search-api', window: day(2_280, 1_200) } },
    { name: 'exactly 2× the attempt p99 is not above it', input: { route: 'search-api', window: day(2_400, 1_200) } },
    { name: 'every request exactly at p99_ms 3 s, as the sketch reads it back (1.4% high)', input: { route: 'search-api', window: day(readBack(3_000), readBack(3_000)), options: { p99Ms: 3_000 } } },
    ...[100, 250, 500, 1_500, 2_000].map((ms) => ({ name: `exactly 2× attempts of ${ms} ms, as the sketch reads both back`, input: { route: 'search-api', window: day(readBack(2 * ms), readBack(ms)) } })),
    { name: 'within p99_ms 3 s', input: { route: 'search-api', window: day(2_900, 1_500), options: { p99Ms: 3_000 } } },
    { name: '19 requests: too few to judge', input: { route: 'search-api', window: day(21_000, 3_000, 19) } },
    { name: "the relative rule turned off (retry_latency_factor 0): 21 s against 3 s attempts, within p99_ms 30 s", input: { route: 'job-status', window: day(21_000, 3_000), options: { latencyFactor: 0, p99Ms: 30_000 } } },
    { name: 'retry_latency_factor 8: 7× the attempt p99 stays quiet', input: { route: 'search-api', window: day(21_000, 3_000), options: { latencyFactor: 8 } } },
    {
      name: '25 requests, 1 retried (4%): 7.7× the attempt p99 is the one slowest request, under the 5% retried the relative rule needs',
      input: { route: 'admin-export', window: { ...day(2_800, 364, 25), kind: 'hour', from: TO - 3_600_000, retried: 1, attempts: 26 } },
    },
    {
      name: '30 requests, 2 retried (6.7%, a healthy 1% route\'s unlucky hour): over 5% but under the 5 retried requests the relative rule needs',
      input: { route: 'search-api', window: { ...day(2_800, 364, 30), kind: 'hour', from: TO - 3_600_000, retried: 2, attempts: 32 } },
    },
    {
      name: '60 requests, 4 retried (6.7%): one retried request short of the relative rule',
      input: { route: 'search-api', window: { ...day(2_800, 364, 60), kind: 'hour', from: TO - 3_600_000, retried: 4, attempts: 64 } },
    },
    { name: '2% of 500 retried (a normal rate): the p99 is a retried request whenever more than 1% retry, so 5× the attempts says nothing', input: { route: 'search-api', window: { ...day(2_000, 400), retried: 10, attempts: 510 } } },
    { name: 'no latencies known', input: { route: 'search-api', window: day(undefined, undefined) } },
    { name: 'attempts and end to end both under 1 ms', input: { route: 'search-api', window: day(readBack(0), readBack(0)) } },
    { name: 'end to end 2 ms against attempts under 1 ms: not above 2× for certain', input: { route: 'search-api', window: day(readBack(2), readBack(0)) } },
  ],
  invalid: [
    {
      name: "the article's 3 s + 6 s + 12 s backoff: 21 s end to end against 3 s attempts",
      input: { route: 'search-api', window: day(21_000, 3_000) },
      expected: [
        {
          ts: '2026-10-05T14:00:00Z',
          severity: 'medium',
          message: 'p99 end-to-end latency of search-api was 21 s in the 24 h to 2026-10-05T14:00:00Z, 7× the p99 of single attempts (3 s)',
          evidence: {
            window: 'day',
            from: '2026-10-04T14:00:00Z',
            to: '2026-10-05T14:00:00Z',
            requests: 500,
            retried: 40,
            failed: 0,
            attempts: 560,
            p99_e2e_ms: 21_000,
            p99_attempt_ms: 3_000,
            ratio: 7,
            limits: ['attempts'],
          },
        },
      ],
    },
    {
      name: 'a 500 ms backoff against sub-millisecond attempts (logged as latency_ms 0)',
      input: { route: 'search-api', window: day(500, readBack(0)) },
      expected: [
        {
          ts: '2026-10-05T14:00:00Z',
          severity: 'medium',
          message: 'p99 end-to-end latency of search-api was 500 ms in the 24 h to 2026-10-05T14:00:00Z, over 500× the p99 of single attempts (under 1 ms)',
          evidence: {
            window: 'day',
            from: '2026-10-04T14:00:00Z',
            to: '2026-10-05T14:00:00Z',
            requests: 500,
            retried: 40,
            failed: 0,
            attempts: 560,
            p99_e2e_ms: 500,
            p99_attempt_ms: 0,
            limits: ['attempts'],
          },
        },
      ],
    },
    {
      name: '30 requests, 5 retried: enough retried requests for the relative rule',
      input: { route: 'search-api', window: { ...day(2_800, 364, 30), kind: 'hour', from: TO - 3_600_000, retried: 5, attempts: 35 } },
      expected: [
        {
          ts: '2026-10-05T14:00:00Z',
          severity: 'medium',
          message: 'p99 end-to-end latency of search-api was 2.8 s in the hour to 2026-10-05T14:00:00Z, 7.7× the p99 of single attempts (364 ms)',
          evidence: { window: 'hour', from: '2026-10-05T13:00:00Z', to: '2026-10-05T14:00:00Z', requests: 30, retried: 5, failed: 0, attempts: 35, p99_e2e_ms: 2_800, p99_attempt_ms: 364, ratio: 7.7, limits: ['attempts'] },
        },
      ],
    },
    {
      name: '30 requests, 2 retried: too few retried for the relative rule, but over p99_ms all the same',
      input: { route: 'search-api', window: { ...day(2_800, 364, 30), kind: 'hour', from: TO - 3_600_000, retried: 2, attempts: 32 }, options: { p99Ms: 2_000 } },
      expected: [
        {
          ts: '2026-10-05T14:00:00Z',
          severity: 'medium',
          message: 'p99 end-to-end latency of search-api was 2.8 s in the hour to 2026-10-05T14:00:00Z, over its p99_ms 2 s',
          evidence: { window: 'hour', from: '2026-10-05T13:00:00Z', to: '2026-10-05T14:00:00Z', requests: 30, retried: 2, failed: 0, attempts: 32, p99_e2e_ms: 2_800, p99_attempt_ms: 364, p99_ms: 2_000, ratio: 7.7, limits: ['p99_ms'] },
        },
      ],
    },
    {
      name: "above the route's p99_ms only",
      input: { route: 'search-api', window: day(3_450, 2_000), options: { p99Ms: 3_000 } },
      expected: [
        {
          ts: '2026-10-05T14:00:00Z',
          severity: 'medium',
          message: 'p99 end-to-end latency of search-api was 3.5 s in the 24 h to 2026-10-05T14:00:00Z, over its p99_ms 3 s',
          evidence: {
            window: 'day',
            from: '2026-10-04T14:00:00Z',
            to: '2026-10-05T14:00:00Z',
            requests: 500,
            retried: 40,
            failed: 0,
            attempts: 560,
            p99_e2e_ms: 3_450,
            p99_attempt_ms: 2_000,
            p99_ms: 3_000,
            ratio: 1.7,
            limits: ['p99_ms'],
          },
        },
      ],
    },
    ...[
      { p99Ms: 60_000, reading: 62_345, shown: 'was 1.04 min in the 24 h to 2026-10-05T14:00:00Z, over its p99_ms 1 min' },
      { p99Ms: 1_000, reading: 1_030, shown: 'was 1.03 s in the 24 h to 2026-10-05T14:00:00Z, over its p99_ms 1 s' },
      { p99Ms: 3_000, reading: 3_120, shown: 'was 3.1 s in the 24 h to 2026-10-05T14:00:00Z, over its p99_ms 3 s' },
      { p99Ms: 500, reading: 510.4, shown: 'was 510 ms in the 24 h to 2026-10-05T14:00:00Z, over its p99_ms 500 ms' },
    ].map(({ p99Ms, reading, shown }) => ({
      name: `over p99_ms ${p99Ms} by 2–4%, worded with as many digits as tell the p99 from the limit: ${shown}`,
      input: { route: 'search-api', window: day(reading, reading * 0.6), options: { p99Ms } },
      expected: [
        {
          ts: '2026-10-05T14:00:00Z',
          severity: 'medium' as const,
          message: `p99 end-to-end latency of search-api ${shown}`,
          evidence: {
            window: 'day',
            from: '2026-10-04T14:00:00Z',
            to: '2026-10-05T14:00:00Z',
            requests: 500,
            retried: 40,
            failed: 0,
            attempts: 560,
            p99_e2e_ms: Math.round(reading),
            p99_attempt_ms: Math.round(reading * 0.6),
            p99_ms: p99Ms,
            ratio: 1.7,
            limits: ['p99_ms'],
          },
        },
      ],
    })),
    {
      name: 'both: over p99_ms and 2.5× the attempts',
      input: { route: 'search-api', window: day(5_000, 2_000), options: { p99Ms: 3_000 } },
      expected: [
        {
          ts: '2026-10-05T14:00:00Z',
          severity: 'medium',
          message: 'p99 end-to-end latency of search-api was 5 s in the 24 h to 2026-10-05T14:00:00Z, over its p99_ms 3 s and 2.5× the p99 of single attempts (2 s)',
          evidence: {
            window: 'day',
            from: '2026-10-04T14:00:00Z',
            to: '2026-10-05T14:00:00Z',
            requests: 500,
            retried: 40,
            failed: 0,
            attempts: 560,
            p99_e2e_ms: 5_000,
            p99_attempt_ms: 2_000,
            p99_ms: 3_000,
            ratio: 2.5,
            limits: ['p99_ms', 'attempts'],
          },
        },
      ],
    },
  ],
});
