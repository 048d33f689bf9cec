import type { RouteWindow } from '../../lambdas/detectors/agent-kinds.ts';
import { retryRateDetector } from '../../lambdas/detectors/retry-rate.ts';
import { testRouteWindowDetector } from './agent-detector-tester.ts';

const TO = Date.parse('2026-10-05T14:15:00Z');
/** A rolling hour of `requests` completed requests, `retried` of them retried. */
function hour(requests: number, retried: number, extra: Partial<RouteWindow> = {}): RouteWindow {
  return { kind: 'hour', from: TO - 3_600_000, to: TO, requests, retried, failed: 0, attempts: requests + retried, p99_e2e_ms: 900, p99_attempt_ms: 800, ...extra };
}

testRouteWindowDetector(retryRateDetector, {
  valid: [
    { name: '0% of 200 requests', input: { route: 'search-api', window: hour(200, 0) } },
    { name: '9% of 100 requests', input: { route: 'search-api', window: hour(100, 9) } },
    { name: 'exactly 10% of 100 (the limit itself is not above it)', input: { route: 'search-api', window: hour(100, 10) } },
    { name: '19 requests, half retried: too few to judge', input: { route: 'search-api', window: hour(19, 10) } },
    { name: 'a route allowed 20%: 15% stays quiet', input: { route: 'batch-llm', window: hour(100, 15), options: { retryRateMax: 0.2 } } },
    { name: 'a polling route allowed 1 (retry_rate_max 1): every request retried stays quiet', input: { route: 'job-status', window: hour(100, 100), options: { retryRateMax: 1 } } },
    { name: 'no requests', input: { route: 'search-api', window: hour(0, 0) } },
  ],
  invalid: [
    {
      name: '11% of 100 requests in the rolling hour',
      input: { route: 'search-api', window: hour(100, 11) },
      expected: [
        {
          ts: '2026-10-05T14:15:00Z',
          severity: 'medium',
          message: '11% of 100 requests to search-api needed a retry in the hour to 2026-10-05T14:15:00Z (limit 10%)',
          evidence: {
            window: 'hour',
            from: '2026-10-05T13:15:00Z',
            to: '2026-10-05T14:15:00Z',
            requests: 100,
            retried: 11,
            failed: 0,
            attempts: 111,
            rate: 0.11,
            max_rate: 0.1,
            min_requests: 20,
            attempts_per_request: 1.11,
          },
        },
      ],
    },
    {
      name: 'exactly 20 requests, 3 retried (15%)',
      input: { route: 'search-api', window: hour(20, 3, { failed: 1 }) },
      expected: [
        {
          ts: '2026-10-05T14:15:00Z',
          severity: 'medium',
          message: '15% of 20 requests to search-api needed a retry in the hour to 2026-10-05T14:15:00Z (limit 10%)',
          evidence: { window: 'hour', from: '2026-10-05T13:15:00Z', to: '2026-10-05T14:15:00Z', requests: 20, retried: 3, failed: 1, attempts: 23, rate: 0.15, max_rate: 0.1, min_requests: 20, attempts_per_request: 1.15 },
        },
      ],
    },
    {
      name: 'just over the limit: 201 of 2,001 (10.04%) does not read as the limit itself',
      input: { route: 'search-api', window: hour(2001, 201) },
      expected: [
        {
          ts: '2026-10-05T14:15:00Z',
          severity: 'medium',
          message: '10.04% of 2,001 requests to search-api needed a retry in the hour to 2026-10-05T14:15:00Z (limit 10%)',
          evidence: { window: 'hour', from: '2026-10-05T13:15:00Z', to: '2026-10-05T14:15:00Z', requests: 2001, retried: 201, failed: 0, attempts: 2202, rate: 0.1004, max_rate: 0.1, min_requests: 20, attempts_per_request: 1.1 },
        },
      ],
    },
    {
      name: "just over a route's own limit of 12.5%: 501 of 4,001 (12.52%)",
      input: { route: 'batch-llm', window: hour(4001, 501), options: { retryRateMax: 0.125 } },
      expected: [
        {
          ts: '2026-10-05T14:15:00Z',
          severity: 'medium',
          message: '12.52% of 4,001 requests to batch-llm needed a retry in the hour to 2026-10-05T14:15:00Z (limit 12.5%)',
          evidence: { window: 'hour', from: '2026-10-05T13:15:00Z', to: '2026-10-05T14:15:00Z', requests: 4001, retried: 501, failed: 0, attempts: 4502, rate: 0.1252, max_rate: 0.125, min_requests: 20, attempts_per_request: 1.13 },
        },
      ],
    },
    {
      name: 'the month: 12.5% of 4,800',
      input: {
        route: 'search-api',
        window: { kind: 'month', from: Date.parse('2026-10-01T00:00:00Z'), to: Date.parse('2026-11-01T00:00:00Z'), requests: 4800, retried: 600, failed: 12, attempts: 5520 },
      },
      expected: [
        {
          ts: '2026-11-01T00:00:00Z',
          severity: 'medium',
          message: '12.5% of 4,800 requests to search-api needed a retry in 2026-10 (limit 10%)',
          evidence: { window: 'month', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', requests: 4800, retried: 600, failed: 12, attempts: 5520, rate: 0.125, max_rate: 0.1, min_requests: 20, attempts_per_request: 1.15 },
        },
      ],
    },
  ],
});
