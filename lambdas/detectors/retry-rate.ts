import { formatRateAndLimit, lastRetriedEvidence, windowEvidence, windowText } from '../core/route-format.ts';
import { isoTime } from '../core/findings.ts';
import type { RouteWindowDetector } from './agent-kinds.ts';

export const retryRateDetector: RouteWindowDetector = {
  kind: 'route-window',
  meta: {
    id: 'retry-rate',
    description: "More than 10% of a route's requests needed a retry, over the rolling hour, the rolling day or the month.",
    subjectKind: 'route',
    defaultSeverity: 'medium',
    fiveCs: {
      criteria:
        'Attempts are grouped into requests by `request_id`. A request needed a retry when its first attempt failed or a later attempt was made; `error`, `timeout`, `empty` and `invalid` outcomes are failures (a 200 with garbage is not a success). Fires when retried requests exceed {{retry_rate_max%}} (`retry_rate_max`, per route in `routes.<name>`) of at least {{retry_min_requests}} (`retry_min_requests`) completed requests, judged over the rolling hour (every 15 minutes), the rolling day (every hour) and each calendar month; at most once per route per window.',
      cause:
        'An upstream with a real error rate hidden behind retries (a 50% failure rate retried three times looks like 87.5% success), rate limiting, timeouts set too tight, or responses that come back empty or malformed and are retried.',
      consequence: 'Every retry is paid for in cost and latency; the success metric stays green while users wait and the upstream problem persists, until a blip turns into a retry storm.',
      correctiveAction:
        'Treat a retry rate above 10% as a bug in the route or its upstream: look at the failing outcomes in the attempt logs, fix or escalate the upstream, and retry on content anomalies (empty, invalid) as well as errors. Watch retry-latency on the same route.',
    },
  },
  check({ route, window, options }) {
    if (window.requests < options.minRequests || window.requests === 0) return [];
    const rate = window.retried / window.requests;
    if (rate <= options.retryRateMax) return [];
    const shown = formatRateAndLimit(rate, options.retryRateMax);
    return [
      {
        subject: route,
        ts: isoTime(window.to),
        message: `${shown.rate} of ${window.requests.toLocaleString('en-US')} requests to ${route} needed a retry ${windowText(window)} (limit ${shown.limit})`,
        evidence: {
          ...windowEvidence(window),
          ...lastRetriedEvidence(window),
          rate: Math.round(rate * 10_000) / 10_000,
          max_rate: options.retryRateMax,
          min_requests: options.minRequests,
          attempts_per_request: Math.round((window.attempts / window.requests) * 100) / 100,
        },
      },
    ];
  },
};
