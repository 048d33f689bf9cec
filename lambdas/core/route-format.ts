import type { RouteWindow } from '../detectors/agent-kinds.ts';
import { isoTime } from './findings.ts';
import { formatApart } from './format-apart.ts';

/** Words and evidence shared by the route detectors. */

/** `11%`, `11.5%`; with `decimals`, up to that many digits after the point (`10.04%`). */
export function formatPercent(ratio: number, decimals = 1): string {
  const scale = 10 ** decimals;
  return `${Math.round(ratio * 100 * scale) / scale}%`;
}

/**
 * A rate and its limit as percentages, to 0.1% unless they would read the same: then with as many
 * more digits as tell them apart (`10.04%` against `10%`), so a rate over its limit never reads as the limit.
 */
export function formatRateAndLimit(rate: number, limit: number): { readonly rate: string; readonly limit: string } {
  const [shownRate, shownLimit] = formatApart(rate, limit, (v, extra) => formatPercent(v, 1 + extra), 5);
  return { rate: shownRate, limit: shownLimit };
}

/** `850 ms`, `9.2 s`, `2.5 min`; with `digits`, that many more after the point (`9.25 s`). */
export function formatMs(ms: number, digits = 0): string {
  const scale = 10 ** digits;
  if (ms < 1000) return `${Math.round(ms * scale) / scale} ms`;
  if (ms < 60_000) return `${Math.round(ms / (100 / scale)) / (10 * scale)} s`;
  return `${Math.round(ms / (6000 / scale)) / (10 * scale)} min`;
}

/**
 * A latency and its limit, as `formatMs` words them unless they would read the same: then with as
 * many more digits as tell them apart (`1.04 min` against `1 min`), so a p99 over its limit never
 * reads as the limit.
 */
export function formatMsAndLimit(ms: number, limit: number): { readonly ms: string; readonly limit: string } {
  const [shownMs, shownLimit] = formatApart(ms, limit, formatMs, 6);
  return { ms: shownMs, limit: shownLimit };
}

/** `in the hour to 2026-10-05T14:15:00Z`, `in the 24 h to …`, `in 2026-10` */
export function windowText(window: RouteWindow): string {
  if (window.kind === 'month') return `in ${isoTime(window.from).slice(0, 7)}`;
  return `in the ${window.kind === 'hour' ? 'hour' : '24 h'} to ${isoTime(window.to)}`;
}

/** The window's identity and size, the first fields of every route finding's evidence. */
export function windowEvidence(window: RouteWindow): Record<string, unknown> {
  return { window: window.kind, from: isoTime(window.from), to: isoTime(window.to), requests: window.requests, retried: window.retried, failed: window.failed, attempts: window.attempts };
}

/** The start of the window's latest bucket holding a retried request (`last_retried_bucket`): retry-rate's evidence only, which judges retries. */
export function lastRetriedEvidence(window: RouteWindow): Record<string, unknown> {
  return window.lastRetriedBucket !== undefined ? { last_retried_bucket: isoTime(window.lastRetriedBucket) } : {};
}
