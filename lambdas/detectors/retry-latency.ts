import { formatMs, formatMsAndLimit, windowEvidence, windowText } from '../core/route-format.ts';
import { isoTime } from '../core/findings.ts';
import { sketchReadingRange } from '../core/histogram.ts';
import type { RouteWindow, RouteWindowDetector } from './agent-kinds.ts';

/** End-to-end p99 above this multiple of the single-attempt p99 means retries, not attempts, make the wait (`routes.<name>.retry_latency_factor`, 0: off). */
export const RETRY_LATENCY_FACTOR = 2;
/**
 * The relative rule's least share of retried requests: whenever more than 1% retry, the p99 is a
 * retried request's wait, so at a normal 2% a healthy route's p99 is always its backoff; and in a
 * quiet hour one retried request in 25 is "the p99" (the slowest by nearest rank). From 5% (half
 * the default `retry_rate_max`), retries make the slowest users' wait. The window's least requests
 * stay `retry_min_requests`, as for `p99_ms`.
 */
export const RELATIVE_MIN_RETRIED_SHARE = 0.05;
/**
 * The relative rule's least number of retried requests, beside the share: in a quiet hour of 30
 * requests, 2 retried is already 6.7%, which a healthy route retrying 1% of its requests reaches
 * in about 1 hour in 28 (Binomial(30, 0.01): P(X >= 2) ~ 3.6%); 5 retried it reaches about once in
 * 100,000 (P(X >= 5) ~ 1e-5). An outage (half the requests retried) passes both at 20 requests.
 */
export const RELATIVE_MIN_RETRIED = 5;

export const retryLatencyDetector: RouteWindowDetector = {
  kind: 'route-window',
  meta: {
    id: 'retry-latency',
    description: "A route's p99 end-to-end latency (first attempt's start to last attempt's end) is above its p99_ms, or above twice its p99 single-attempt latency.",
    subjectKind: 'route',
    defaultSeverity: 'medium',
    fiveCs: {
      criteria:
        "Over the rolling hour, the rolling day and each month, with at least {{retry_min_requests}} (`retry_min_requests`) completed requests: the p99 of end-to-end latency (from the first attempt's start to the last attempt's end, backoff included) is above the route's `p99_ms`, or above {{retry_latency_factor}}× the p99 of single attempts (`routes.<name>.retry_latency_factor`; 0 turns this rule off) when at least 5% of the requests, and at least 5 of them, were retried (whenever more than 1% retry, the p99 is a retried one, so at a normal retry rate the rule would say nothing the retry rate does not; and in a quiet hour of 30 requests 2 retried is already 6.7%). Both p99s come from bounded latency sketches (within 2%): it fires only when the sketch shows the p99 above the limit for certain, so a p99 up to about 4% above it may go unreported. At most once per route per window.",
      cause:
        'Retries with backoff that turn each failure into seconds of waiting (3 s, 6 s, 12 s), an upstream that fails often enough that p99 requests always retry, timeouts much longer than a normal answer.',
      consequence: 'The success rate looks fine and per-attempt latency looks fine, while the slowest users wait many times longer and give up; QA never sees it because its environment never retries.',
      correctiveAction:
        "Measure latency after retries, not per attempt; cut the retry chain (fewer attempts, shorter backoff, a hedged request) or fix the upstream's failures (see retry-rate on the same route); set `routes.<name>.p99_ms` to the latency users can accept.",
    },
  },
  check({ route, window, options }) {
    if (window.requests < options.minRequests) return [];
    const e2e = window.p99_e2e_ms;
    const single = window.p99_attempt_ms;
    if (e2e === undefined || single === undefined) return [];
    // A sketch reads a value back from the middle of its bin, up to 2% high: above a limit only when
    // the whole bin is, or a route whose every request takes exactly its p99_ms would be reported.
    const e2eLow = sketchReadingRange(e2e).low;
    const overLimit = options.p99Ms !== undefined && e2eLow >= options.p99Ms;
    // A single-attempt p99 of 0 is the sketch's zero bin (attempts under 1 ms): judged against its upper edge, 1 ms.
    const singleHigh = sketchReadingRange(single).high;
    const overAttempts = relativeRuleApplies(window, options.latencyFactor) && e2eLow >= options.latencyFactor * singleHigh;
    if (!overLimit && !overAttempts) return [];
    const ratio = single > 0 ? Math.round((e2e / single) * 10) / 10 : undefined;
    const attemptsText = ratio !== undefined ? `${ratio}× the p99 of single attempts (${formatMs(single)})` : `over ${Math.round((e2e / singleHigh) * 10) / 10}× the p99 of single attempts (under ${formatMs(singleHigh)})`;
    // Over p99_ms by as little as 2%: both worded with as many digits as tell them apart (`1.04 min`, not `1 min`).
    const shown = overLimit ? formatMsAndLimit(e2e, options.p99Ms as number) : { ms: formatMs(e2e), limit: '' };
    const reasons = [...(overLimit ? [`over its p99_ms ${shown.limit}`] : []), ...(overAttempts ? [attemptsText] : [])];
    return [
      {
        subject: route,
        ts: isoTime(window.to),
        message: `p99 end-to-end latency of ${route} was ${shown.ms} ${windowText(window)}, ${reasons.join(' and ')}`,
        evidence: {
          ...windowEvidence(window),
          p99_e2e_ms: Math.round(e2e),
          p99_attempt_ms: Math.round(single),
          ...(options.p99Ms !== undefined ? { p99_ms: options.p99Ms } : {}),
          ...(ratio !== undefined ? { ratio } : {}),
          limits: [...(overLimit ? ['p99_ms'] : []), ...(overAttempts ? ['attempts'] : [])],
        },
      },
    ];
  },
};

/** Whether the relative rule judges a window: turned on, and enough of its requests retried (a share and a count) to set its p99. */
function relativeRuleApplies(window: RouteWindow, factor: number): boolean {
  return factor > 0 && window.retried >= RELATIVE_MIN_RETRIED && window.retried >= RELATIVE_MIN_RETRIED_SHARE * window.requests;
}
