import { CUT_EVIDENCE_KEYS, MAX_EVIDENCE_BYTES } from '../findings.ts';
import { formatBytes, formatDuration } from '../stats.ts';
import type { EvidenceUnit, RetiredSubject, Trend } from './model.ts';

/** Numbers and trends in words, the same in every output. */

export function formatUsd(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

export function formatPercent(ratio: number): string {
  const percent = ratio * 100;
  return `${percent < 10 && percent !== Math.round(percent) ? percent.toFixed(1) : Math.round(percent)}%`;
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Number(value.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 3 });
}

export function formatValue(value: number, unit: EvidenceUnit): string {
  switch (unit) {
    case 'bytes':
      return formatBytes(value);
    case 'ms':
      return value >= 1000 && value < 10_000 ? `${(value / 1000).toFixed(1)} s` : formatDuration(value);
    case 'usd':
      return formatUsd(value);
    case 'ratio':
      return formatPercent(value);
    case 'multiple':
      return `${formatNumber(value)}×`;
    default:
      return formatNumber(value);
  }
}

/** `▲ 5`, `▼ 2`, `= 0`: the change against last month. */
export function trendArrow(trend: Trend): string {
  if (trend.direction === 'up') return `▲ ${trend.delta}`;
  if (trend.direction === 'down') return `▼ ${-trend.delta}`;
  return '= 0';
}

/** A trend's table row in the first month monitored: nothing to compare with rather than 0. */
export function firstMonthTrendRow(label: string, t: Trend): string[] {
  return [label, String(t.current), '–', 'first month'];
}

/**
 * A report header's `compared with October 2026`, or in the first month monitored, that the month
 * before held nothing. `previous` as the renderer writes it (escaped for HTML).
 */
export function comparedWithText(firstMonth: boolean | undefined, previous: string): string {
  return firstMonth ? `first month monitored (nothing in ${previous})` : `compared with ${previous}`;
}

/**
 * A 5 Cs card's count of the month before, `September 2026: 2`; none in the first month monitored,
 * which has no month before to count. `previous` as the renderer writes it (escaped for HTML).
 */
export function previousCountText(firstMonth: boolean | undefined, previous: string, count: number): string | undefined {
  return firstMonth ? undefined : `${previous}: ${count}`;
}

/**
 * The coverage section's line on retired subjects (`RetiredSubject`), or undefined without any:
 * `Retired, not counted above (…): old-backup (job): retired (last seen 2026-08-20).` (`Retired (…)`
 * when no table is `above`). Names and labels as the renderer writes them (escaped).
 */
export function retiredLine(retired: readonly RetiredSubject[], name: (s: RetiredSubject) => string, label: string, previousLabel: string, above = true): string | undefined {
  if (retired.length === 0) return undefined;
  const list = retired.map((s) => `${name(s)} (${s.kind}): retired (last seen ${s.lastSeen.slice(0, 10)})`).join('; ');
  return `Retired${above ? ', not counted above' : ''} (not in the config, and nothing of it seen in ${previousLabel} or ${label}: renamed or no longer used): ${list}.`;
}

/** The coverage section with no row: nothing configured nor seen, or only retired subjects seen (listed below it). */
export function noCoverageText(retired: number, label: string): string {
  return retired === 0
    ? 'Nothing is monitored yet: no subject is configured and none has been seen.'
    : `Nothing was monitored in ${label}: no subject is configured, and the ${plural(retired, 'subject')} seen before ${retired === 1 ? 'is' : 'are'} retired (below).`;
}

export function trend(current: number, previous: number): Trend {
  const delta = current - previous;
  return { current, previous, delta, direction: delta > 0 ? 'up' : delta < 0 ? 'down' : 'same' };
}

/** Days listed, up to 8, then how many more: `2026-10-01, 2026-10-03 and 4 more`. */
export function dayList(days: readonly string[]): string {
  const shown = days.slice(0, 8).join(', ');
  return days.length > 8 ? `${shown} and ${days.length - 8} more` : shown;
}

/** `3 runs`, `1 run`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

/** What a 5 Cs card says when findings' evidence was cut for its size (`boundEvidence`): the figures shown are from what was kept. */
export function evidenceCutNote(cut: number): string {
  return `Evidence cut on ${plural(cut, 'finding')}: it was over ${MAX_EVIDENCE_BYTES / 1024} KiB of JSON, so only its short fields are shown (the stored finding keeps the start of the rest, ${CUT_EVIDENCE_KEYS.excerpt}).`;
}

/** `2026-10-14 06:00 UTC` from an ISO time. */
export function shortTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** `2026-10-14 06:00` from an ISO time: `shortTime` without the zone, for a table whose times are all UTC. */
export function minuteTime(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}

/**
 * An exception's bypass count as the review table shows it: `unknown`, or `N (all time)` when the store
 * could not give it up to the report's end (the registry's total, bypasses after the report's end included).
 */
export function bypassCountText(row: { readonly bypassCount: number | null; readonly countsAllTime?: true }): string {
  if (row.bypassCount === null) return 'unknown';
  return row.countsAllTime ? `${row.bypassCount} (all time)` : String(row.bypassCount);
}

/** A span in days when it is long, else in hours or minutes: `17.3 days`, `5.0 h`. */
export function formatSpan(ms: number): string {
  const days = ms / 86_400_000;
  if (days >= 2) return `${days.toFixed(1)} days`;
  return formatDuration(ms);
}

/** How a guard's bypasses without a valid exception split: `2 unregistered, 3 under an expired or revoked exception` (a part that is 0 left out). */
export function bypassSplit(u: { readonly noException: number; readonly underLapsedException: number }): string {
  const parts = [u.noException ? `${u.noException} unregistered` : '', u.underLapsedException ? `${u.underLapsedException} under an expired or revoked exception` : ''];
  return parts.filter(Boolean).join(', ');
}
