import { CUT_EVIDENCE_KEYS, type Finding } from '../findings.ts';
import { maxOf, median, minOf } from '../stats.ts';
import type { EvidenceStat, EvidenceUnit, WorstValue } from './model.ts';
import { WINDOW_LENGTH } from '../route-reducer.ts';
import { isoSecond, type MonthSpan } from './month.ts';
import { utcDay } from '../parse-time.ts';
import { compareNames } from '../name-order.ts';

/**
 * Reading findings' evidence: numbers get a unit from their key (`_bytes`, `_ms`, `_usd`,
 * `rate`/`share`, `factor`), or from what their detector means by it where a key alone does not
 * say (a `ratio` is a multiple for one, a threshold for another); short text values are counted,
 * the rest is left out.
 */

const LIMIT_KEY = /^(max_|min_|limit|threshold|budget)/;

/** What `boundEvidence` puts in place of evidence over `MAX_EVIDENCE_BYTES`: facts about the cut, never measurements. */
const CUT_KEYS: ReadonlySet<string> = new Set(Object.values(CUT_EVIDENCE_KEYS));

/** Whether a finding's evidence was cut to its short fields for its size (`boundEvidence`). */
export function evidenceWasCut(finding: Finding): boolean {
  return typeof finding.evidence?.[CUT_EVIDENCE_KEYS.note] === 'string';
}

/**
 * When a finding happened, for the month and the day it counts in: its time, but a finding over a
 * window (retry-rate, retry-latency) is stamped with the window's end, which is the first instant
 * after it: it counts at the window's last millisecond, so a month's window, or a day's ending at
 * midnight on the 1st, is in the report of the month it judged. A rolling window that ends after
 * midnight on the 1st counts in the month it ends in, whenever its requests were: the report made
 * at 06:00 on the 1st cannot hold a window ending later, so counting it earlier would lose it;
 * its card says where its window began (`windowBeganBeforeNotes`).
 */
export function happenedAt(finding: Finding): number {
  const at = Date.parse(finding.ts);
  const end = finding.evidence?.to;
  if (typeof finding.evidence?.window !== 'string' || typeof end !== 'string' || Date.parse(end) !== at) return at;
  return at - 1;
}

/** When what a finding reports began: for a finding over a window (`window`, `from`, `to`), the window's start; else `happenedAt`. */
export function beganAt(finding: Finding): number {
  const e = finding.evidence;
  const from = typeof e?.window === 'string' && typeof e.from === 'string' && typeof e.to === 'string' ? Date.parse(e.from) : Number.NaN;
  return Number.isNaN(from) ? happenedAt(finding) : from;
}

/** When what a finding reports ended: for a finding over a window (`window`, `from`, `to`), the window's end; else `happenedAt`. */
function endedAt(finding: Finding): number {
  const e = finding.evidence;
  const to = typeof e?.window === 'string' && typeof e.from === 'string' && typeof e.to === 'string' ? Date.parse(e.to) : Number.NaN;
  return Number.isNaN(to) ? happenedAt(finding) : to;
}

/** A stretch of time a group's findings say it was happening: its findings, oldest first, from the start of the first to the end of the last. */
export interface Occurrence {
  readonly fromMs: number;
  readonly toMs: number;
  readonly findings: readonly Finding[];
}

/** Evidence counts a window finding judged, in the order they say what it judged: its retried requests, else its requests. */
const JUDGED_COUNTS = ['retried', 'requests'] as const;

interface Span {
  readonly f: Finding;
  readonly from: number;
  readonly to: number;
}

/**
 * Whether the narrower findings over a window (held by it, or crossing its edge: the hours that fired
 * over a day's end) account for what it judged: the count it judged (`JUDGED_COUNTS`, the first it
 * has above 0) is mostly theirs. Overlapping narrower windows share requests, so only ones apart
 * are summed, the largest first. Evidence that cannot tell (no count) keeps the window.
 */
function accountedFor(window: Span, narrower: readonly Span[]): boolean {
  const key = JUDGED_COUNTS.find((k) => isNumber(window.f.evidence?.[k]) && (window.f.evidence?.[k] as number) > 0);
  if (!key) return false;
  const countOf = (s: Span): number => (isNumber(s.f.evidence?.[key]) ? (s.f.evidence?.[key] as number) : 0);
  const apart: Span[] = [];
  for (const s of [...narrower].sort((a, b) => countOf(b) - countOf(a))) if (apart.every((o) => s.to <= o.from || s.from >= o.to)) apart.push(s);
  return 2 * apart.reduce((sum, s) => sum + countOf(s), 0) > countOf(window);
}

/**
 * A group's findings (oldest first) as occurrences: each finding is a span (one over a window from
 * its window's start to its end, any other a moment), and spans that overlap or touch are one
 * occurrence. A window finding whose window holds a narrower finding of the group, where the
 * narrower findings over it account for most of what it judged (`accountedFor`: the month's window
 * over the hours that fired, whose retries are mostly theirs), says nothing more and is left out: it is neither another occurrence
 * nor a later one. One judging mostly requests outside them (retries spread over days no narrower
 * window fired on) is kept, an occurrence over its whole window.
 */
export function occurrencesOf(findings: readonly Finding[]): Occurrence[] {
  const spans: Span[] = findings.map((f) => ({ f, from: beganAt(f), to: endedAt(f) })).sort((a, b) => a.from - b.from || a.to - b.to);
  const saysNothingMore = (w: Span): boolean => {
    if (w.to === w.from) return false;
    const narrower = spans.filter((s) => s.to - s.from < w.to - w.from && s.from < w.to && s.to > w.from);
    return narrower.some((s) => s.from >= w.from && s.to <= w.to) && accountedFor(w, narrower);
  };
  const kept = spans.filter((s) => !saysNothingMore(s));
  const out: { fromMs: number; toMs: number; findings: Finding[] }[] = [];
  for (const s of kept) {
    const open = out[out.length - 1];
    if (open && s.from <= open.toMs) {
      open.toMs = Math.max(open.toMs, s.to);
      open.findings.push(s.f);
    } else out.push({ fromMs: s.from, toMs: s.to, findings: [s.f] });
  }
  // Each occurrence's findings oldest first, as counted in the month.
  for (const o of out) o.findings.sort((a, b) => happenedAt(a) - happenedAt(b) || a.ts.localeCompare(b.ts));
  return out;
}

/**
 * Whether a finding of a subject with no run records (no later clean run can say it stopped) still
 * held at the end of the month `span`: one over a route's window (`window`, `from`, `to`) when no later
 * window of its kind could be judged in the month (a route fires at most once per window: the next
 * hour's an hour after it, the next day's a day after it; a month's window ends with the month), so
 * its silence after says nothing; any other finding when it happened on the month's last day.
 */
export function heldAtMonthEnd(finding: Finding, span: MonthSpan): boolean {
  const e = finding.evidence;
  const kind = e?.window;
  const to = typeof kind === 'string' && Object.hasOwn(WINDOW_LENGTH, kind) && typeof e.to === 'string' ? Date.parse(e.to) : Number.NaN;
  if (!Number.isNaN(to)) return to >= span.toMs || to + WINDOW_LENGTH[kind as keyof typeof WINDOW_LENGTH] > span.toMs;
  return utcDay(happenedAt(finding)) === span.days[span.days.length - 1];
}

/** Whether a finding is one of a month's, by `happenedAt`. */
export function happenedIn(finding: Finding, span: MonthSpan): boolean {
  const at = happenedAt(finding);
  return at >= span.fromMs && at < span.toMs;
}

/**
 * The end, exclusive, of a query for a month's findings: a second past the month's end, so a
 * finding over a window ending there, stamped with that end, is read (`happenedIn` keeps it in its month).
 */
export function findingsQueryEnd(span: MonthSpan): string {
  return isoSecond(span.toMs + 1000);
}

/** `happenedAt` as the report dates a finding, to the second: `2026-10-31T23:59:59Z` for October's month window. */
export function happenedAtIso(finding: Finding): string {
  return isoSecond(happenedAt(finding));
}

/** How a detector's evidence key is to be read, where the key alone does not say. */
interface KeyMeaning {
  readonly unit: EvidenceUnit | ((evidence: Readonly<Record<string, unknown>>) => EvidenceUnit);
  /** Set for a configured limit stored beside the measurements: shown as such, never as a worst value. */
  readonly label?: 'threshold';
}

/** cost-outlier compares costs, or tokens when no costs were logged (`metric` says which). */
const costOrTokens = (evidence: Readonly<Record<string, unknown>>): EvidenceUnit => (evidence.metric === 'tokens' ? 'count' : 'usd');

/**
 * Keys whose unit depends on the detector. Stored findings keep their keys (alerts and stored
 * findings carry them), so the report reads each by its detector instead.
 */
const BY_DETECTOR: Readonly<Record<string, Readonly<Record<string, KeyMeaning>>>> = {
  // `ratio` is the configured share of the median below which it fires; `share` the run's own.
  'output-shrink': { ratio: { unit: 'ratio', label: 'threshold' }, share: { unit: 'ratio' } },
  // `ratio` is the run's cost (or tokens) as a multiple of the median: 6.3 is 6.3×.
  // `factor` is the configured multiple of the median above which it fires.
  'cost-outlier': { ratio: { unit: 'multiple' }, factor: { unit: 'multiple', label: 'threshold' }, value: { unit: costOrTokens }, median: { unit: costOrTokens } },
  // `ratio` is the p99 end-to-end latency as a multiple of the p99 of single attempts; `p99_ms` the route's configured limit.
  'retry-latency': { ratio: { unit: 'multiple' }, p99_ms: { unit: 'ms', label: 'threshold' } },
  // Shares of the expected audit records: the measured one and the one it fires below.
  'audit-trail-drift': { completeness: { unit: 'ratio' }, threshold: { unit: 'ratio' } },
  // `factor` is the configured multiple of the median beyond which a run is too slow (too fast).
  'duration-slow': { factor: { unit: 'multiple', label: 'threshold' } },
  'duration-fast': { factor: { unit: 'multiple', label: 'threshold' } },
};

/** The unit of an evidence number, from its key and, for a bare `median`, from its siblings. */
export function unitOf(key: string, siblings: Iterable<string> = []): EvidenceUnit {
  if (/(^|_)bytes$/.test(key)) return 'bytes';
  if (/(^|_)ms$/.test(key) || /latency|duration/.test(key)) return 'ms';
  if (/usd/.test(key)) return 'usd';
  if (/(^|_)factor$/.test(key)) return 'multiple';
  if (/ratio|rate$|_rate|share|fraction/.test(key)) return 'ratio';
  if (key === 'median' || key === 'baseline' || key === 'typical') {
    const keys = [...siblings];
    if (keys.some((k) => /(^|_)bytes$/.test(k))) return 'bytes';
    if (keys.some((k) => /(^|_)ms$/.test(k))) return 'ms';
    if (keys.some((k) => /usd/.test(k))) return 'usd';
  }
  if (/count|window|actions|attempts|requests|retried|retries|runs|tokens|records|calls|bypasses/.test(key)) return 'count';
  return 'number';
}

/** The unit (and label) of a finding's evidence number: by its detector where that decides, else by its key. */
function meaningOf(finding: Finding, key: string, siblings: Iterable<string>): { unit: EvidenceUnit; label?: 'threshold' } {
  const meaning = BY_DETECTOR[finding.detector]?.[key];
  // A limit named as one (`max_rate`, `min_requests`, `max_cost_usd`, `max_runtime_ms`) is a threshold whatever its detector;
  // a key that says `threshold` itself needs no label.
  if (!meaning) return LIMIT_KEY.test(key) && !/threshold/.test(key) ? { unit: unitOf(key, siblings), label: 'threshold' } : { unit: unitOf(key, siblings) };
  const unit = typeof meaning.unit === 'function' ? meaning.unit(finding.evidence ?? {}) : meaning.unit;
  return meaning.label ? { unit, label: meaning.label } : { unit };
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Min, median and max of every numeric evidence key, in the order keys first appear. A key read in
 * different units by different detectors gives one entry per unit.
 */
export function evidenceStats(findings: readonly Finding[]): EvidenceStat[] {
  const stats = new Map<string, { key: string; unit: EvidenceUnit; label?: 'threshold'; values: number[] }>();
  const siblings = new Set<string>();
  for (const f of findings) for (const key of Object.keys(f.evidence ?? {})) siblings.add(key);
  for (const f of findings) {
    for (const [key, value] of Object.entries(f.evidence ?? {})) {
      if (!isNumber(value) || CUT_KEYS.has(key)) continue;
      const meaning = meaningOf(f, key, siblings);
      const id = `${key}\u0000${meaning.unit}\u0000${meaning.label ?? ''}`;
      const stat = stats.get(id) ?? { key, ...meaning, values: [] };
      stat.values.push(value);
      stats.set(id, stat);
    }
  }
  return [...stats.values()].map(({ key, unit, label, values }) => ({
    key,
    unit,
    ...(label ? { label } : {}),
    n: values.length,
    min: minOf(values),
    median: median(values) ?? values[0],
    max: maxOf(values),
  }));
}

const MAX_TEXT_LENGTH = 60;
const MAX_DISTINCT_VALUES = 5;

/**
 * Short text evidence (`reason`, `keyword`, `failure`) with how often each value was seen; keys
 * with long or many different values (excerpts, outputs) are left out as noise.
 */
export function evidenceValues(findings: readonly Finding[]): { key: string; value: string; count: number }[] {
  const byKey = new Map<string, Map<string, number>>();
  const skipped = new Set<string>();
  for (const f of findings) {
    for (const [key, value] of Object.entries(f.evidence ?? {})) {
      if (skipped.has(key) || CUT_KEYS.has(key)) continue;
      const text = typeof value === 'string' ? value || '(empty)' : typeof value === 'boolean' ? String(value) : undefined;
      if (text === undefined) continue;
      if (text.length > MAX_TEXT_LENGTH) {
        skipped.add(key);
        byKey.delete(key);
        continue;
      }
      const counts = byKey.get(key) ?? new Map<string, number>();
      counts.set(text, (counts.get(text) ?? 0) + 1);
      byKey.set(key, counts);
    }
  }
  const out: { key: string; value: string; count: number }[] = [];
  for (const [key, counts] of byKey) {
    if (counts.size > MAX_DISTINCT_VALUES) continue;
    for (const [value, count] of [...counts].sort((a, b) => b[1] - a[1] || compareNames(a[0], b[0]))) out.push({ key, value, count });
  }
  return out;
}

/**
 * The sub-agent whose own budget a budget-exceeded finding held its run to (`sub_agent`; a finding
 * stored before it kept that names it in its message, `sub-agent researcher (run r-1.1, under r-1)`,
 * else among its `top_runs`): its limit, not its root's, was crossed. The finding stays its root
 * agent's (its subject: alerts, owner slices and the card go by it). Undefined for a finding on a
 * root run, judged by its tree's budget.
 */
export function ownBudgetAgentOf(finding: Finding): string | undefined {
  const e = finding.evidence;
  if (finding.detector !== 'budget-exceeded' || typeof e?.root_run_id !== 'string' || finding.run_id === undefined || finding.run_id === e.root_run_id) return undefined;
  if (typeof e.sub_agent === 'string') return e.sub_agent;
  const named = subAgentNamedIn(finding.message, finding.run_id, e.root_run_id);
  if (named !== undefined) return named;
  const runs: readonly { run_id?: unknown; agent?: unknown }[] = Array.isArray(e.top_runs) ? e.top_runs.filter((r) => r && typeof r === 'object') : [];
  const judged = runs.find((r) => r.run_id === finding.run_id);
  return typeof judged?.agent === 'string' ? judged.agent : undefined;
}

/**
 * The sub-agent a budget-exceeded message names, as the detector writes it (`whoOf`): it starts
 * `sub-agent NAME (run RUN, under ROOT)`, after `tick N of ` for a per-tick budget. The name is all
 * before that run's own ` (run …, under …)`, spaces and parentheses in it too.
 */
function subAgentNamedIn(message: string, runId: string, rootRunId: string): string | undefined {
  const start = /^(?:tick \d+ of )?sub-agent /.exec(message);
  if (start === null) return undefined;
  const end = message.indexOf(` (run ${runId}, under ${rootRunId})`, start[0].length);
  return end > start[0].length ? message.slice(start[0].length, end) : undefined;
}

/**
 * Total cost of the findings' runs, from the first `…usd` key that is not a limit (`cost_usd`).
 * Each agent tree counts once, at its highest cost: a finding on its root and one on a sub-agent
 * (whose cost is part of the root's), or a tree judged again, would otherwise add it twice.
 */
export function costOf(findings: readonly Finding[]): number | undefined {
  const keys = new Set(findings.flatMap((f) => Object.keys(f.evidence ?? {})));
  const key = keys.has('cost_usd') ? 'cost_usd' : [...keys].find((k) => /usd/.test(k) && !LIMIT_KEY.test(k) && !/median|baseline|reported/.test(k));
  if (!key) return undefined;
  const byTree = new Map<unknown, number>();
  for (const f of findings) {
    const value = f.evidence?.[key];
    if (!isNumber(value)) continue;
    const root = f.evidence?.root_run_id;
    const tree = typeof root === 'string' ? root : (f.run_id ?? f);
    byTree.set(tree, Math.max(byTree.get(tree) ?? value, value));
  }
  return byTree.size ? [...byTree.values()].reduce((a, b) => a + b, 0) : undefined;
}

/** The highest time measurement in the evidence (duration, latency), limits (retry-latency's `p99_ms`) and baselines aside. */
export function maxLatencyOf(findings: readonly Finding[]): number | undefined {
  let max: number | undefined;
  for (const f of findings) {
    const keys = Object.keys(f.evidence ?? {});
    for (const [key, value] of Object.entries(f.evidence ?? {})) {
      if (!isNumber(value) || CUT_KEYS.has(key) || /median|baseline|typical/.test(key)) continue;
      const meaning = meaningOf(f, key, keys);
      if (meaning.unit !== 'ms' || meaning.label === 'threshold') continue;
      max = max === undefined ? value : Math.max(max, value);
    }
  }
  return max;
}

/**
 * What makes one finding of a detector worse than another, in order (a tie goes to the next): its
 * worst finding's figures are shown together. A detector not named here: its latest finding;
 * budget-exceeded: `budgetRank`.
 */
const WORST_BY: Readonly<Record<string, readonly string[]>> = {
  'retry-rate': ['rate', 'requests'],
  'retry-latency': ['p99_e2e_ms', 'ratio'],
  'budget-undercount': ['missed_actions', 'actions_observed', 'cost_observed_usd'],
  'cost-outlier': ['ratio', 'value'],
};

/** A budget finding's figures over the limit each is held to: a task's (`actions`, `cost_usd`), and a tick's (`tick_…`, its worst tick's). */
const BUDGET_FIGURES = [
  ['actions', 'max_actions'],
  ['cost_usd', 'max_cost_usd'],
  ['tick_actions', 'max_actions'],
  ['tick_cost_usd', 'max_cost_usd'],
] as const;

/**
 * A budget-exceeded finding's rank, the same keys for each of its findings (per task or per tick,
 * over actions or cost), so the worst is the same whatever their order: how many times its limit
 * its figure furthest over one is (a per-tick finding's `cost_usd` is its whole run's, not held to
 * a tick's limit: a costly run's small tick would hide another's 100-action tick), then its run's
 * cost, then its actions (the task's, else its worst tick's).
 */
function budgetRank(evidence: Finding['evidence']): number[] {
  const tick = evidence?.tick_actions !== undefined;
  let over = Number.NEGATIVE_INFINITY;
  for (const [figure, limit] of BUDGET_FIGURES) {
    if (tick !== figure.startsWith('tick_')) continue;
    const [x, max] = [evidence?.[figure], evidence?.[limit]];
    if (isNumber(x) && isNumber(max) && max > 0) over = Math.max(over, x / max);
  }
  return [over, numberOr(evidence?.cost_usd), numberOr(evidence?.actions ?? evidence?.tick_actions)];
}

const numberOr = (x: unknown): number => (isNumber(x) ? x : Number.NEGATIVE_INFINITY);

/** The figures a finding is ranked by for `worstValues` (`WORST_BY`, `budgetRank`); undefined: by its time only. */
function worstRank(f: Finding): readonly number[] | undefined {
  if (f.detector === 'budget-exceeded') return budgetRank(f.evidence);
  return WORST_BY[f.detector]?.map((key) => numberOr(f.evidence?.[key]));
}

/** Whether finding `a` is worse than `b` of the same detector by their ranks (`worstRank`), the later one on a tie. */
function isWorse(a: Finding, b: Finding): boolean {
  const [x, y] = [worstRank(a), worstRank(b)];
  for (let i = 0; i < (x?.length ?? 0); i++) if (x![i] !== y![i]) return x![i] > y![i];
  return a.ts > b.ts;
}

/**
 * The measured values of the given units, limits and baselines aside, of each detector's worst
 * finding (`WORST_BY`): one run's or one window's figures together, never one field's largest
 * beside another's from another run or window. Values of more than one detector's finding name it (`of`).
 */
export function worstValues(findings: readonly Finding[], units: readonly EvidenceUnit[]): WorstValue[] {
  const worst = new Map<string, Finding>();
  for (const f of findings) {
    const known = worst.get(f.detector);
    if (!known || isWorse(f, known)) worst.set(f.detector, f);
  }
  const groups = [...worst.values()].map((f) => ({
    of: f.detector,
    values: evidenceStats([f]).filter((s) => units.includes(s.unit) && s.label !== 'threshold' && !LIMIT_KEY.test(s.key) && !/median|baseline|typical|window|factor/.test(s.key)),
  }));
  const named = groups.filter((g) => g.values.length > 0).length > 1;
  return groups.flatMap((g) => g.values.map((s) => ({ key: s.key, value: s.max, unit: s.unit, ...(named ? { of: g.of } : {}) })));
}
