import type { Config } from '../../config.ts';
import type { GuardException, RunRecord } from '../../ports.ts';
import type { Finding, Severity } from '../findings.ts';
import { ownValue } from '../own-property.ts';
import { maxOf } from '../stats.ts';
import { compareNames } from '../name-order.ts';
import { formatSpan, plural } from './format.ts';
import { listsBy } from './lookup.ts';
import { isMonth, isoSecond, monthBounds, type MonthSpan } from './month.ts';
import type { CoverageRow, CoverageSection, RetiredSubject } from './model.ts';
import { SEVERITIES } from './model.ts';
import type { InSlice } from './owner-slice.ts';
import { PAST_MONTHS } from '../route-reducer.ts';
import { expectedStarts } from '../schedule.ts';
import { compareSubjects, configuredSubjects, hasOnlyUnseenMarker, isUnseenJobLeftConfig, monthRequests, monthRequestsDropped, monthWithoutRequests, ownerOf, spanStarts, startsBeforeEndsIn, startsOnlyFailuresLogged, type SubjectSnapshot, stateFacts } from './subjects.ts';
import { subjectKey } from '../pipeline.ts';
import { RunIndex } from './run-keys.ts';

export interface CoverageInput {
  readonly span: MonthSpan;
  readonly subjects: readonly SubjectSnapshot[];
  readonly runs: readonly RunRecord[];
  /**
   * The runs recorded after the month (read for its late runs): a run reported `run-unfinished` in
   * the month that ended after it is no run that never ended; it counts in the month it ended.
   */
  readonly runsAfter?: readonly RunRecord[];
  readonly findings: readonly Finding[];
  readonly config: Config;
  readonly exceptions?: readonly GuardException[];
  /** When the report is made: a span not over yet is judged up to it (trailing silence). */
  readonly now?: number;
  /** How many days the store keeps a run record after its run (`RunRecordStore.runRetentionDays`); undefined: for good. */
  readonly runRetentionDays?: number;
  /**
   * A subject not in the config last seen before this time (the report: the month before's start),
   * with nothing of it in the span, is retired (`RetiredSubject`), not UNKNOWN. Undefined: none is.
   */
  readonly retireBefore?: number;
  /** A report sliced by owner: the rows (and retired subjects) kept; every subject is judged, so `sliceOf` counts the whole. */
  readonly inSlice?: InSlice;
  /** The findings of the month before: a subject named in one was seen then, so is not retired. */
  readonly previousFindings?: readonly Finding[];
  /**
   * Every agent's state, where an agent's runs as a sub-agent are recorded (the states of the agents
   * above it); undefined: `subjects`' agents. Given when `subjects` are some of the agents only (MCP's
   * subject_status judges one), so one that runs under another is not found silent.
   */
  readonly agents?: readonly SubjectSnapshot[];
  /** Guards' bypasses without a valid exception in the span that no finding of it counts (held back by the alert cooldown), by guard. */
  readonly heldWithoutException?: ReadonlyMap<string, number>;
  /** Epoch ms: where the input read ends (the latest event of the log files given to `report`); undefined: a store kept up to date. */
  readonly inputEndsAt?: number;
}

const DAY_MS = 86_400_000;

/**
 * Why a job with a configured schedule cannot be OK when the input read ends (`inputEndsAt`) before
 * `end` (the month's end, or the report's time in a month under way, named as endsEarlyNote does): its schedule expected a run after that and before `end`, and nothing after the input's
 * end was seen. Undefined otherwise (no schedule, none expected then, or no such end).
 */
function unseenAfterInputNote(kind: string, name: string, config: Config, span: MonthSpan, end: number, inputEndsAt: number | undefined): string | undefined {
  if (kind !== 'job' || inputEndsAt === undefined || inputEndsAt >= end) return undefined;
  const due = scheduledRunBetween(config, name, inputEndsAt, end);
  if (due === undefined) return undefined;
  const job = ownValue(config.jobs, name)!;
  const before = end === span.toMs ? `${span.label} does` : `the report's time, ${isoSecond(end)}`;
  return `the log files given end at ${isoSecond(inputEndsAt)}, before ${before}: its schedule "${job.schedule}" (${job.timezone ?? 'UTC'}) expected a run at ${isoSecond(due)} after that, not seen`;
}

/** The first run job `name`'s configured schedule (in its `timezone`) expected after `after` and before `end`; undefined: none, or no schedule. */
export function scheduledRunBetween(config: Pick<Config, 'jobs'>, name: string, after: number, end: number): number | undefined {
  const job = ownValue(config.jobs, name);
  if (!job?.schedule) return undefined;
  // expectedStarts reads (after, until].
  return expectedStarts(job.schedule, job.timezone, after, end - 1, 1)[0];
}

/**
 * From when the store still keeps every run record at the report's time (`now` less the
 * retention), when that is after the span's start: the span's runs before it may be gone (a
 * record is kept `days` after its run). Undefined when all of the span's records are kept, or
 * the store keeps them for good.
 */
export function runsKeptFrom(span: Pick<MonthSpan, 'fromMs'>, now: number | undefined, days: number | undefined): number | undefined {
  if (days === undefined || now === undefined) return undefined;
  const keptFrom = now - days * DAY_MS;
  return span.fromMs < keptFrom ? keptFrom : undefined;
}

/** The kinds of subject whose runs are run records (a route's requests are counted in its state). */
const RECORDING_KINDS: ReadonlySet<string> = new Set(['job', 'agent']);

/** Why a job's or agent's runs in a span are not all known: the store no longer keeps all of its run records (`runsKeptFrom`). */
export function runsNotKeptReason(span: MonthSpan, keptFrom: number, days: number): string {
  const which = keptFrom >= span.toMs ? 'any of its runs in it' : `its runs in it before ${isoSecond(keptFrom).slice(0, 10)}`;
  return `run records not kept for ${span.label} (kept ${days} days): ${which} may be gone, so they are not all known`;
}

export function highestSeverity(severities: Iterable<Severity>): Severity | undefined {
  const present = new Set(severities);
  return SEVERITIES.find((s) => present.has(s));
}

/** Findings counted by severity, worst first, the absent ones left out; undefined for none. */
export function countBySeverity(severities: readonly Severity[]): Partial<Record<Severity, number>> | undefined {
  if (severities.length === 0) return undefined;
  const counts: Partial<Record<Severity, number>> = {};
  for (const s of SEVERITIES) {
    const n = severities.filter((x) => x === s).length;
    if (n > 0) counts[s] = n;
  }
  return counts;
}

/** The runs a subject needs before its silence is judged: a job's `min_history` or the default, an agent's the default; none for a subject that records no runs. */
export function minHistoryOf(kind: string, name: string, config: Config): number | null {
  return kind === 'job' ? (ownValue(config.jobs, name)?.min_history ?? config.defaults.min_history) : kind === 'agent' ? config.defaults.min_history : null;
}

/**
 * The config key that sets how many runs a subject needs before its baseline checks (`minHistoryOf`):
 * a job's own, which a rare job (`@yearly`, quarterly) needs lowered, else an agent's, the default.
 */
function minHistoryKey(kind: string, name: string): string {
  return kind === 'job' ? `jobs.${name}.min_history` : 'defaults.min_history';
}

/**
 * Why a job's silence in a span is no sign of trouble: its configured schedule (read in its time
 * zone, as the sweep reads it) has no expected start in the span, e.g. `0 0 31 * *` in a month
 * without a 31st. Undefined when the subject is no job, has no configured schedule (an inferred
 * one is not the user's word), or was due at least once.
 */
export function notDueNote(kind: string, name: string, config: Config, span: MonthSpan): string | undefined {
  if (kind !== 'job') return undefined;
  const job = ownValue(config.jobs, name);
  if (!job?.schedule) return undefined;
  // expectedStarts reads (after, until]; the span is [fromMs, toMs).
  if (expectedStarts(job.schedule, job.timezone, span.fromMs - 1, span.toMs - 1, 1).length > 0) return undefined;
  return `no run was due in ${span.label}: its schedule "${job.schedule}" (${job.timezone ?? 'UTC'}) has no time in it`;
}

/**
 * Trailing silence shorter than this is never judged: a weekend, a long weekend with a holiday on
 * each side (Thursday evening to Tuesday evening, Easter). A route's state keeps no time of its
 * requests but the last, so a business-hours route's rhythm is its average interval (minutes):
 * this minimum alone keeps its weekends from being judged.
 */
export const SILENCE_MIN_MS = 5 * DAY_MS;
/** Trailing silence is judged against this many times the subject's own rhythm. */
export const SILENCE_RHYTHM_FACTOR = 3;

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The times a subject's state keeps of its activity: a job's recent starts (`starts`), an agent's ended runs (`history[].ended_at`). */
function keptActivity(state: unknown): number[] {
  if (!state || typeof state !== 'object') return [];
  const s = state as Record<string, unknown>;
  const starts = Array.isArray(s.starts) ? s.starts.filter(finite) : [];
  const ended = Array.isArray(s.history) ? s.history.map((h) => (h && typeof h === 'object' ? (h as Record<string, unknown>).ended_at : undefined)).filter(finite) : [];
  return [...starts, ...ended];
}

/** How many sightings a state counts over its whole life: runs (a job's starts when its runs log no end), agent roots, route requests. */
function sightingsCounted(state: unknown): number | undefined {
  const facts = stateFacts(state);
  if (facts.endsLogged === false && facts.startsSeen !== undefined) return facts.startsSeen;
  if (facts.runs !== undefined) return facts.runs;
  const totals = state && typeof state === 'object' ? (state as Record<string, unknown>).totals : undefined;
  const requests = totals && typeof totals === 'object' ? (totals as Record<string, unknown>).requests : undefined;
  return finite(requests) ? requests : facts.startsSeen;
}

/**
 * Sightings that all lie within this span show no rhythm: one cron minute's runs on the many hosts
 * of a central syslog (14 hosts' cron.hourly, seconds apart), or several lines in one second, are
 * gaps between hosts or lines, not between runs.
 */
const ONE_OCCASION_MS = 60_000;

/**
 * A subject's rhythm: the longer of its longest gap between `times` (its sightings, ascending) and
 * its average interval over its life (first to last sighting, by the runs, agent roots or route
 * requests its state counts); 0 when nothing shows it (its sightings all within ONE_OCCASION_MS).
 * `last` is its last sighting when `times` is empty.
 */
function rhythmOf(state: unknown, times: readonly number[], last: number): number {
  const facts = stateFacts(state);
  let longestGap = 0;
  for (let i = 1; i < times.length; i++) longestGap = Math.max(longestGap, times[i] - times[i - 1]);
  const count = sightingsCounted(state);
  const first = facts.firstSeenAt ?? times[0] ?? last;
  // Its average interval is over the runs its own state counts, from its first to its last own sighting.
  const lastEver = Math.max(times.at(-1) ?? last, facts.lastSeenAt ?? 0);
  if (lastEver - Math.min(first, times[0] ?? first) < ONE_OCCASION_MS) return 0;
  const averageGap = count !== undefined && count >= 2 ? (lastEver - first) / (count - 1) : 0;
  return Math.max(longestGap, averageGap);
}

/**
 * Why a subject seen in the span went quiet before its end (`end`: the span's end, or the report's
 * time in a span not over yet): its last sighting before then is further back than its own rhythm
 * allows, SILENCE_RHYTHM_FACTOR × the longer of its longest gap (between the sightings its runs
 * and kept state give, in earlier months too) and its average interval over its life (first to
 * last sighting, by the runs, agent roots or route requests its state counts), and at least
 * SILENCE_MIN_MS. Lines that stop (a subscription filter removed, a log group renamed, a service
 * dead) leave a subject with data in the month: without this it would show OK for the month.
 * Only jobs, agents and routes: a tool is called when an agent needs it, and a guard without
 * bypasses is healthy. A job with a configured schedule is judged by it instead
 * (`scheduledSilenceNote`): silent when a run it expected is over SILENCE_MIN_MS before `end`. Undefined when the subject's silence is within its rhythm, or its last sighting
 * before `end` is unknown (a route seen again after the span keeps no time of its last request in it)
 * or before the span (one seen before and after it but not in it is `wholeSpanSilenceNote`'s).
 * An agent's own state learns only the runs it starts as a root: its last sighting is also the
 * latest time another agent's state (`agents`) saw it run in its trees before `end`, and it is
 * unknown when another's state may hide a later run there (`mayHaveRunUnder` over the silence).
 */
export function trailingSilenceNote(
  kind: string,
  name: string,
  config: Config,
  state: unknown,
  runs: readonly RunRecord[],
  span: MonthSpan,
  end: number,
  agents: readonly SubjectSnapshot[] = [],
): string | undefined {
  if (kind !== 'job' && kind !== 'agent' && kind !== 'route') return undefined;
  const job = kind === 'job' ? ownValue(config.jobs, name) : undefined;
  const facts = stateFacts(state);
  const times = [...runs.map((r) => Date.parse(r.ts)), ...keptActivity(state), facts.lastSeenAt, facts.lastStartAt]
    .filter((t): t is number => finite(t) && t < end)
    .sort((a, b) => a - b);
  const others = kind === 'agent' ? agents.filter((other) => other.name !== name) : [];
  // Under each other agent only the latest time is kept (its months hold no times): not a gap of its rhythm, only its last sighting.
  const underOthers = sightingsUnderOthers(name, others).map((u) => u.at).filter((t) => t < end);
  // `times` is sorted: its last is its latest (no spread: a month of runs every 10 s overflows the stack).
  const last = times.length + underOthers.length > 0 ? Math.max(times[times.length - 1] ?? Number.NEGATIVE_INFINITY, maxOf(underOthers)) : undefined;
  if (last === undefined || last < span.fromMs) return undefined;
  if (others.some((other) => mayHaveRunUnder(name, other.state, { fromMs: last + 1, toMs: end }))) return undefined;
  const silence = end - last;
  if (job?.schedule) return scheduledSilenceNote(job.schedule, job.timezone, last, end);
  if (silence <= SILENCE_MIN_MS) return undefined;
  const rhythm = rhythmOf(state, times, last);
  const allowed = Math.max(SILENCE_MIN_MS, SILENCE_RHYTHM_FACTOR * rhythm);
  if (silence <= allowed) return undefined;
  const rhythmText = rhythm > 0 ? `${SILENCE_RHYTHM_FACTOR} × its usual gap of ${formatSpan(rhythm)} (at least ${formatSpan(SILENCE_MIN_MS)})` : `${formatSpan(SILENCE_MIN_MS)} (nothing shows its rhythm)`;
  return `${silentSinceText(last, end)}: longer than ${rhythmText}, so its lines may have stopped reaching the audit (a subscription filter removed, a log group renamed) or it stopped running`;
}

/** How long a subject has been silent, from its last sighting `last` up to `end`: the start of both silence notes. */
function silentSinceText(last: number, end: number): string {
  return `silent since ${isoSecond(last).slice(0, 10)}, ${plural(Math.floor((end - last) / DAY_MS), 'day')} (last seen ${isoSecond(last)}, up to ${isoSecond(end)})`;
}

/**
 * Why a job with a configured schedule went quiet before `end` (its last sighting `last`): its
 * schedule, the user's word and not its rhythm, expected a run after it at least SILENCE_MIN_MS
 * before `end`, and none came. Its missed runs, when judged up to then, make it FINDINGS first;
 * where they were not (a store a scan judged only up to its latest event), its silence is never OK.
 * Undefined when the schedule expected none then (a monthly job that ran on the 15th).
 */
function scheduledSilenceNote(schedule: string, timezone: string | undefined, last: number, end: number): string | undefined {
  // expectedStarts reads (after, until].
  const [due] = expectedStarts(schedule, timezone, last, end - SILENCE_MIN_MS, 1);
  if (due === undefined) return undefined;
  return `${silentSinceText(last, end)}: its schedule "${schedule}" (${timezone ?? 'UTC'}) expected a run at ${isoSecond(due)} and none was seen since, so it stopped running or its lines stopped reaching the audit`;
}

/**
 * Whether a subject may be retired as far as last month's findings go: none of them names it. One
 * they name keeps its group open (unverified) and stays UNKNOWN: the monthly report
 * (`buildCoverage`) and MCP's tools (find_overdue, list_subjects, subject_status) alike.
 */
export function unnamedIn(previousFindings: readonly Pick<Finding, 'subject_kind' | 'subject'>[]): (kind: string, name: string) => boolean {
  const named = new Set(previousFindings.map((f) => subjectKey(f.subject_kind, f.subject)));
  return (kind, name) => !named.has(subjectKey(kind, name));
}

/**
 * Whether a subject not in the config and with nothing of it in the span, last seen at `lastSeen`,
 * is retired: a job, agent or route last seen before `retireBefore`, silent since for longer than
 * SILENCE_RHYTHM_FACTOR × its rhythm (`rhythmOf`: a monthly job that missed one run is not), and,
 * an agent, with no other agent's state showing it may have run in its trees since (`mayHaveRunUnder`).
 * The one rule of the monthly report and MCP's tools (with `unnamedIn`): find_overdue calls it, list_subjects
 * and subject_status by `buildCoverage` (`retirementAt`).
 */
export function isRetired(kind: string, name: string, state: unknown, lastSeen: number, retireBefore: number | undefined, end: number, agents: readonly SubjectSnapshot[]): boolean {
  if (retireBefore === undefined || lastSeen >= retireBefore) return false;
  if (kind !== 'job' && kind !== 'agent' && kind !== 'route') return false;
  const times = keptActivity(state)
    .filter((t) => t <= lastSeen)
    .sort((a, b) => a - b);
  if (end - lastSeen <= SILENCE_RHYTHM_FACTOR * rhythmOf(state, times, lastSeen)) return false;
  return kind !== 'agent' || !agents.some((other) => other.name !== name && mayHaveRunUnder(name, other.state, { fromMs: retireBefore, toMs: end }));
}

/** A stretch of time, [fromMs, toMs): a month, or a subject's silence up to the span's end. */
type Stretch = Pick<MonthSpan, 'fromMs' | 'toMs'>;

/** Whether an agent state has a root still open that started before the span's end (or at a time not known). */
function openBeforeEnd(s: Record<string, unknown>, span: Stretch): boolean {
  const open = Array.isArray(s.open) ? s.open : [];
  return open.some((o) => !(o && typeof o === 'object' && finite((o as Record<string, unknown>).started_at) && ((o as Record<string, unknown>).started_at as number) >= span.toMs));
}

/**
 * Whether an agent's own roots may have run in the span, as its state tells: one still open that
 * started before the span's end (`openBeforeEnd`), or a kept one (`history`) that ended in the span
 * or after it having started before its end (one started on the span's last evening, one running
 * all of it; an entry written before starts were kept cannot tell, nor one without a readable end).
 */
function ownRootsMayHaveRunIn(s: Record<string, unknown>, span: Stretch): boolean {
  if (openBeforeEnd(s, span)) return true;
  const history = Array.isArray(s.history) ? (s.history as unknown[]) : [];
  return history.some((h) => {
    const entry = h && typeof h === 'object' ? (h as Record<string, unknown>) : {};
    if (!finite(entry.ended_at)) return true;
    return entry.ended_at >= span.fromMs && (entry.ended_at < span.toMs || !(finite(entry.started_at) && entry.started_at >= span.toMs));
  });
}

/**
 * Whether agent `name` may have run in the span as a sub-agent in a tree of the agent whose state
 * is `state`: a root of it still open that started before the span's end (its sub-agents are
 * recorded when it is judged); its recorded sub-agents (`subagents`, kept from `subagents_since`)
 * holding `name` seen in the span or after it (its latest time, and the months its runs there were
 * in from its start to its end, when kept: `ranInMonths`), or, without it,
 * names let go seen then (`subagents_dropped_at`). A state that did not record them for all of
 * the span (written before they were kept) can tell only that its own roots did not run in it
 * (`ownRootsMayHaveRunIn`).
 */
function mayHaveRunUnder(name: string, state: unknown, span: Stretch): boolean {
  if (!state || typeof state !== 'object') return false;
  const s = state as Record<string, unknown>;
  if (!(finite(s.subagents_since) && s.subagents_since <= span.fromMs)) return ownRootsMayHaveRunIn(s, span);
  if (openBeforeEnd(s, span)) return true;
  const kept = keptSubagent(name, s);
  if (kept) return !(finite(kept[1]) && kept[1] < span.fromMs) && ranInMonths(keptMonths(kept), span) !== false;
  return finite(s.subagents_dropped_at) && s.subagents_dropped_at >= span.fromMs;
}

function keptSubagent(name: string, s: Record<string, unknown>): unknown[] | undefined {
  return Array.isArray(s.subagents) ? s.subagents.find((e): e is unknown[] => Array.isArray(e) && e[0] === name) : undefined;
}

/** The UTC months (`YYYY-MM`, oldest first) a kept sub-agent entry lists its runs seen in; undefined for an entry written before they were kept. */
function keptMonths(kept: readonly unknown[] | undefined): readonly string[] | undefined {
  const months = kept?.[2];
  return Array.isArray(months) && months.length > 0 && months.every((m) => typeof m === 'string' && isMonth(m)) ? (months as string[]) : undefined;
}

/**
 * Whether a sub-agent's kept months (`keptMonths`) tell it ran in the stretch (a listed month meets
 * it), or did not; undefined when they cannot: none kept, or the stretch begins before the oldest
 * listed month (the months before it are not kept).
 */
function ranInMonths(months: readonly string[] | undefined, span: Stretch): boolean | undefined {
  if (!months || span.fromMs < monthBounds(months[0]).fromMs) return undefined;
  return months.some((m) => {
    const { fromMs, toMs } = monthBounds(m);
    return fromMs < span.toMs && toMs > span.fromMs;
  });
}

/** A run of an agent under another agent, as that agent's state keeps it. */
interface SightingUnder {
  /** The agent it ran under. */
  readonly by: string;
  /** Its latest run there. */
  readonly at: number;
  /** The months its runs there were in, when kept (`keptMonths`). */
  readonly months?: readonly string[];
}

/** What the state of another agent keeps of agent `name`'s runs in its trees: the latest time and the months, when kept. */
function subagentSeen(name: string, by: string, state: unknown): SightingUnder | undefined {
  const kept = state && typeof state === 'object' ? keptSubagent(name, state as Record<string, unknown>) : undefined;
  if (!kept || !finite(kept[1])) return undefined;
  const months = keptMonths(kept);
  return { by, at: kept[1], ...(months ? { months } : {}) };
}

/** Where agent `name` was seen running under another agent: each other agent whose state keeps it in its trees (`subagentSeen`), latest first. */
export function sightingsUnderOthers(name: string, agents: readonly SubjectSnapshot[]): SightingUnder[] {
  return agents
    .filter((other) => other.name !== name)
    .map((other) => subagentSeen(name, other.name, other.state))
    .filter((u): u is SightingUnder => u !== undefined)
    .sort((a, b) => b.at - a.at || compareNames(a.by, b.by));
}

/** Whether a sighting under another agent shows a run in the span up to `end`: its latest run is in it, or a month its runs were in meets it. */
function ranUnderIn(u: SightingUnder, span: MonthSpan, end: number): boolean {
  return (u.at >= span.fromMs && u.at < end) || ranInMonths(u.months, { fromMs: span.fromMs, toMs: end }) === true;
}

/** The agents named in a sub-agent note, the first few and how many more. */
function agentsNamed(sightings: readonly { readonly by: string }[]): string {
  const names = sightings.map((u) => u.by);
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/**
 * Why an agent seen in the span only under other agents (`inSpan`, latest first) shows no runs:
 * another agent's state keeps only the latest time of its runs there and the months they were in,
 * not how many. Its last run in the span, when one of them is its latest there.
 */
function ranUnderOthersNote(inSpan: readonly SightingUnder[], span: MonthSpan): string {
  const last = inSpan.map((u) => u.at).filter((t) => t >= span.fromMs && t < span.toMs);
  return `ran as a sub-agent under ${agentsNamed(inSpan)} in ${span.label}${last.length > 0 ? ` (last ${isoSecond(Math.max(...last))})` : ''}: its runs under another agent are not counted, only the months they were in and the latest are kept`;
}

/**
 * Why an agent with nothing of it in the span is not known to have been silent: it ran under
 * another agent after the span (`later`, latest first), and that agent's state keeps the months of
 * its runs there not back to the span (written before they were kept, or the span older than the
 * months kept), so it may have run in the span too.
 */
function ranUnderOthersLaterNote(later: readonly SightingUnder[], span: MonthSpan): string {
  return `ran as a sub-agent under ${agentsNamed(later)} after ${span.label} (last ${isoSecond(later[0].at)}): the months of its runs under another agent are not kept back to ${span.label}, so its runs in ${span.label} are not known`;
}

/**
 * Why an agent or route whose sightings straddle the span (seen before it and after it) sent
 * nothing in it, when its state can tell: an agent whose kept ended runs (kept in end order, the
 * oldest let go first) reach back before the span and after it, none of whose own roots may have
 * run in it (`ownRootsMayHaveRunIn`), and no other agent's state shows it may have run in its
 * trees then (`mayHaveRunUnder`: its own state learns only its root runs); a route whose state
 * keeps its monthly counts from before the month and none of the month. Without it such a subject counts as seen (its first and last sightings span the
 * month) and, its last sighting before the span's end being before the span, escapes the
 * trailing silence too: a month of silence shown as health. A job is seen in a span only by its
 * runs in it. Undefined when it was active in the span or its state cannot tell.
 */
export function wholeSpanSilenceNote(kind: string, state: unknown, span: MonthSpan, name?: string, agents: readonly SubjectSnapshot[] = []): string | undefined {
  if (!state || typeof state !== 'object') return undefined;
  const s = state as Record<string, unknown>;
  if (kind === 'agent') {
    const ended = keptActivity(state);
    const before = ended.filter((t) => t < span.fromMs);
    const after = ended.filter((t) => t >= span.toMs);
    if (before.length === 0 || after.length === 0) return undefined;
    if (ownRootsMayHaveRunIn(s, span)) return undefined;
    // Its own state learns only the runs it started as a root: it may have run under another agent.
    if (name !== undefined && agents.some((other) => other.name !== name && mayHaveRunUnder(name, other.state, span))) return undefined;
    return `silent for all of ${span.label}: no run of it ended in it (the last before it ${isoSecond(Math.max(...before))}, the next ${isoSecond(Math.min(...after))})`;
  }
  if (kind === 'route') {
    const lastAt = stateFacts(state).lastSeenAt;
    if (!monthWithoutRequests(state, span.fromMs) || lastAt === undefined || lastAt < span.toMs) return undefined;
    return `silent for all of ${span.label}: its state counts no request in it (seen again ${isoSecond(lastAt)})`;
  }
  return undefined;
}

/**
 * Every monitored subject (configured, stored or named by a finding) with what the month shows of
 * it; not a stored job never seen and no longer configured (`isUnseenJobLeftConfig`) in a span
 * with no finding of it. A subject with no data, or with too little history for its baseline checks, is UNKNOWN:
 * silence is never shown as health. A job whose configured schedule expected no run in the span
 * and that sent nothing is not silent but not due: OK with a note (`notDue`) when its history is
 * enough, else UNKNOWN for that reason, the note added. A subject first seen after the span, with
 * nothing of it in the span (a job first run on the 1st before the report), was not there to watch:
 * left out, or, configured, shown as such (`later`), never UNKNOWN. A job, agent or route not in
 * the config whose last sighting is before `retireBefore` and longer ago than 3 × its rhythm, with
 * nothing of it in the span nor a finding of it the month before (`previousFindings`; an agent:
 * nor under another agent since then), was renamed or taken
 * out of use: listed as retired (`isRetired`), in no row.
 * A configured one stays UNKNOWN: its silence is what the audit is for.
 */
export function buildCoverage(input: CoverageInput): CoverageSection {
  const { span, config } = input;
  // A span not over yet is judged up to the report's time (one before the span says nothing of it).
  const end = input.now !== undefined && input.now > span.fromMs && input.now < span.toMs ? input.now : span.toMs;
  /** A span not over at the report's time: what the subjects' states learned after it is cut off. */
  const asOfCut = end < span.toMs;
  const universe = new Map<string, { kind: string; name: string; snapshot?: SubjectSnapshot; configured: boolean }>();
  // A job the sweep only watched for the config, never seen and since taken out of it (a misspelt
  // name corrected) is no subject: left out, but in a span with findings of it (its missed runs happened).
  const named = new Set(input.findings.map((f) => subjectKey(f.subject_kind, f.subject)));
  for (const s of input.subjects) {
    if (!named.has(subjectKey(s.kind, s.name)) && isUnseenJobLeftConfig(s.kind, s.name, s.state, config)) continue;
    universe.set(subjectKey(s.kind, s.name), { kind: s.kind, name: s.name, snapshot: s, configured: false });
  }
  for (const c of configuredSubjects(config)) {
    const existing = universe.get(subjectKey(c.kind, c.name));
    universe.set(subjectKey(c.kind, c.name), { ...c, snapshot: existing?.snapshot, configured: true });
  }
  for (const f of input.findings) {
    if (!universe.has(subjectKey(f.subject_kind, f.subject))) universe.set(subjectKey(f.subject_kind, f.subject), { kind: f.subject_kind, name: f.subject, configured: false });
  }

  const runsBySubject = listsBy(input.runs, (r) => subjectKey(r.subject_kind, r.subject));
  const runsAfterBySubject = listsBy(input.runsAfter ?? [], (r) => subjectKey(r.subject_kind, r.subject));
  const findingsBySubject = listsBy(input.findings, (f) => subjectKey(f.subject_kind, f.subject));
  const retirable = unnamedIn(input.previousFindings ?? []);
  const kindsWithRuns = new Set(input.runs.map((r) => r.subject_kind as string));
  // Before it, the store may have let the span's run records go.
  const keptFrom = runsKeptFrom(span, input.now, input.runRetentionDays);
  // Where an agent's runs as a sub-agent are recorded: the states of the agents above it.
  const agentStates = input.agents ?? input.subjects.filter((s) => s.kind === 'agent');
  const retired: RetiredSubject[] = [];

  const judged = [...universe.values()].sort(compareSubjects).map((subject): CoverageRow | undefined => {
    // The sweep's never-seen marker says nothing of the job (its endsLogged: false is initialJobState's): read as no state.
    const snapshot = hasOnlyUnseenMarker(subject.kind, subject.snapshot?.state) ? undefined : subject.snapshot;
    const facts = stateFacts(snapshot?.state);
    // Runs counted by their starts before its runs were known to log an end: no record of them.
    const startsBeforeEnds = startsBeforeEndsIn(snapshot?.state, span.fromMs, span.toMs);
    const findings = findingsBySubject.get(subjectKey(subject.kind, subject.name)) ?? [];
    const records = runsBySubject.get(subjectKey(subject.kind, subject.name)) ?? [];
    // A run records itself when it ends: one that never did (run-unfinished) is one of its runs too, a job's as an agent's root run.
    // One that ended after the month counts in the month it ended (runsAfter), not here.
    const unfinished = unrecordedUnfinished(findings, [...records, ...(runsAfterBySubject.get(subjectKey(subject.kind, subject.name)) ?? [])]).length;
    const recordsRuns = subject.kind === 'job' || kindsWithRuns.has(subject.kind) || unfinished > 0;
    // A run records itself when it ends; the runs of a job whose runs log no end are its starts, its
    // records only the failures a failure line ended (Debian cron's grandchild line), among its starts.
    const startsOnly = facts.endsLogged === false;
    // A span whose runs all started before its runs were known to log an end (none recorded): counted by its starts, as such a job's.
    const startsOnlySpan = startsOnly || (startsBeforeEnds > 0 && records.length === 0);
    const failuresLogged = startsOnly && startsOnlyFailuresLogged(facts, records.length);
    const starts = startsOnly ? spanStarts(snapshot?.state, span.fromMs, span.toMs) : undefined;
    // Its state kept none of the span's starts (only its latest ones, all after it) and did not count them: not 0, unknown.
    const startsNotKept = starts !== undefined && !starts.complete && starts.inSpan === 0;
    // At least its records: a failed run whose start was not seen is counted by no start.
    const runsInMonth = recordsRuns && !startsNotKept ? Math.max(records.length, starts?.inSpan ?? 0) + startsBeforeEnds + unfinished : null;
    const failedRuns = recordsRuns ? records.filter((r) => r.status === 'failed').length : null;
    const history =
      startsOnly && facts.startsSeen !== undefined
        ? Math.max(0, facts.startsSeen - (asOfCut ? keptActivity(snapshot?.state).filter((t) => t > end).length : (starts?.afterSpan ?? 0)))
        : facts.runs !== undefined
          ? Math.max(0, facts.runs - (snapshot?.runsAfterMonth ?? 0))
          : null;
    const minHistory = minHistoryOf(subject.kind, subject.name, config);
    const activeSpanOverlaps =
      facts.lastSeenAt !== undefined && (facts.firstSeenAt ?? facts.lastSeenAt) < span.toMs && Math.max(facts.lastSeenAt, facts.lastStartAt ?? 0) >= span.fromMs;
    const requests = monthRequests(snapshot?.state, span.fromMs);
    // Seen before and after the span but not in it: silent for all of it, as a job with no run in it.
    const silentAll = records.length === 0 && findings.length === 0 && (requests?.total ?? 0) === 0 && activeSpanOverlaps ? wholeSpanSilenceNote(subject.kind, snapshot?.state, span, subject.name, agentStates) : undefined;
    // An agent's own state learns only the runs it starts as a root: its runs as a sub-agent are in the states of the agents above it.
    const underOthers = subject.kind === 'agent' ? sightingsUnderOthers(subject.name, agentStates).filter((u) => !asOfCut || u.at <= end) : [];
    const underOthersInSpan = underOthers.filter((u) => ranUnderIn(u, span, end));
    const seen =
      silentAll === undefined &&
      (records.length > 0 ||
        findings.length > 0 ||
        (requests?.total ?? 0) > 0 ||
        startsBeforeEnds > 0 ||
        underOthersInSpan.length > 0 ||
        ((!recordsRuns || startsOnly || subject.kind !== 'job') && activeSpanOverlaps));
    // Seen in the span only as a sub-agent: how many times it ran there is not kept.
    const onlyUnderOthers = underOthersInSpan.length > 0 && records.length === 0 && unfinished === 0;
    // In a span not over yet, the last sighting up to the report's time: a later one the state learned after it is not known then.
    const sightings = [facts.lastSeenAt ?? 0, facts.lastStartAt ?? 0, ...(asOfCut ? keptActivity(snapshot?.state) : []), ...underOthers.map((u) => u.at)];
    const lastSeenMs = Math.max(maxOf(sightings.filter((t) => !asOfCut || t <= end)), maxOf(records.map((r) => Date.parse(r.ts))));
    // Only a job's and a route's states keep their first sighting: an agent's is the oldest of the
    // root runs it keeps (its latest 60), and it may have run in the month as a sub-agent unrecorded.
    const keepsFirstSighting = subject.kind === 'job' || subject.kind === 'route';
    const firstSeenAfter =
      end === span.toMs &&
      keepsFirstSighting &&
      facts.firstSeenAt !== undefined &&
      facts.firstSeenAt >= span.toMs &&
      findings.length === 0 &&
      records.length === 0 &&
      (requests?.total ?? 0) === 0;
    if (firstSeenAfter && !subject.configured) return undefined;
    const silentSince = !subject.configured && !seen && silentAll === undefined && findings.length === 0 && lastSeenMs > 0 ? lastSeenMs : undefined;
    if (silentSince !== undefined && retirable(subject.kind, subject.name) && isRetired(subject.kind, subject.name, snapshot?.state, silentSince, input.retireBefore, end, agentStates)) {
      retired.push({ kind: subject.kind, name: subject.name, lastSeen: isoSecond(silentSince) });
      return undefined;
    }
    const base = {
      kind: subject.kind,
      name: subject.name,
      runsInMonth: onlyUnderOthers ? null : runsInMonth,
      failedRuns: onlyUnderOthers ? null : failedRuns,
      requests,
      history,
      minHistory,
      lastSeen: lastSeenMs > 0 ? isoSecond(lastSeenMs) : undefined,
      findings: findings.length,
      highestSeverity: highestSeverity(findings.map((f) => f.severity)),
      findingsBySeverity: countBySeverity(findings.map((f) => f.severity)),
      owner: ownerOf(subject.kind, subject.name, config, input.exceptions),
      configured: subject.configured,
    };
    if (firstSeenAfter) return { ...base, status: 'later', reason: `first seen after ${span.label}, on ${isoSecond(facts.firstSeenAt as number)}: nothing to judge in it` };
    const thinHistory = history !== null && minHistory !== null && history < minHistory;
    const thinReason = `too little history: ${history} of ${minHistory} runs, so the baseline checks were not active yet (${minHistoryKey(subject.kind, subject.name)} sets how many)`;
    const startsCounted = startsNotKept
      ? `its starts in ${span.label} are not known (its state keeps only its latest starts, all after it), so `
      : starts
        ? `${starts.complete ? '' : 'at least '}${plural(starts.inSpan, 'start')} in ${span.label}, so `
        : startsOnlySpan
          ? `${plural(startsBeforeEnds, 'start')} in ${span.label}, so `
          : '';
    const startsOnlyReason = failuresLogged
      ? `only run starts and their failures are logged (no other ends): ${startsCounted}output and duration checks cannot run`
      : `only run starts are logged (no ends): ${startsCounted}output, duration and failure checks cannot run`;
    // Not OK, not "no data": its runs in the span may have been in the records the store let go
    // (not for one never seen, or first seen after the span, when it had no run then, or after the
    // time the records are kept from, when all its records are kept).
    const mayHaveRunThen =
      snapshot !== undefined && !(subject.kind === 'job' && facts.firstSeenAt !== undefined && facts.firstSeenAt >= Math.min(keptFrom ?? span.toMs, span.toMs));
    const notKept =
      keptFrom !== undefined && RECORDING_KINDS.has(subject.kind) && !startsOnly && mayHaveRunThen ? runsNotKeptReason(span, keptFrom, input.runRetentionDays as number) : undefined;
    // Checked before thin history: a job whose runs log no end never has the history its baseline checks need.
    if (findings.length > 0) return { ...base, status: 'findings', reason: startsOnlySpan ? startsOnlyReason : thinHistory ? thinReason : notKept };
    // A guard bypassed without a valid exception in the month, each bypass held back by the alert cooldown behind last month's finding.
    const held = subject.kind === 'guard' ? (input.heldWithoutException?.get(subject.name) ?? 0) : 0;
    if (held > 0) return { ...base, status: 'findings', reason: `no finding in ${span.label}, but ${plural(held, 'bypass', 'bypasses')} without a valid exception in it, held back by the alert cooldown` };
    const notDue = seen ? undefined : notDueNote(subject.kind, subject.name, config, span);
    const noted = (reason: string) => (notDue ? { reason: `${reason}; ${notDue}`, notDue: true } : { reason });
    if (notKept && silentAll === undefined) return { ...base, status: 'unknown', ...noted(notKept) };
    // A job never seen is not known to exist: not due or not, nothing vouches for it.
    if (!seen && (!notDue || !snapshot)) {
      // Its latest run under another agent is after the span: it may have run under it in the span too.
      const later = underOthers.filter((u) => u.at >= end && agentStates.some((other) => other.name === u.by && mayHaveRunUnder(subject.name, other.state, { fromMs: span.fromMs, toMs: end })));
      const reason =
        silentAll ??
        // Not "no data": the route may have had requests then, its state keeps no count that old.
        (monthRequestsDropped(snapshot?.state, span.fromMs, span.toMs)
          ? `requests not kept for ${span.label}: the route's state keeps the counts of its last ${PAST_MONTHS + 2} months`
          : later.length > 0
            ? ranUnderOthersLaterNote(later, span)
            : snapshot || underOthers.length > 0
            ? `no data: nothing from it was seen in ${span.label}`
            : subject.configured
              ? 'no data: configured, but nothing from it has ever been seen'
              : `no data in ${span.label}`);
      return { ...base, status: 'unknown', ...noted(reason) };
    }
    const silent = trailingSilenceNote(subject.kind, subject.name, config, snapshot?.state, records, span, end, agentStates);
    // A job whose runs log only a start is UNKNOWN anyway; that it stopped is said first, or its silence would be hidden.
    if (startsOnlySpan) return { ...base, status: 'unknown', ...noted(silent ? `${silent}; ${startsOnlyReason}` : startsOnlyReason) };
    if (thinHistory) return { ...base, status: 'unknown', ...noted(thinReason) };
    if (silent) return { ...base, status: 'unknown', reason: silent };
    const unseen = unseenAfterInputNote(subject.kind, subject.name, config, span, end, input.inputEndsAt);
    if (unseen) return { ...base, status: 'unknown', reason: unseen };
    if (notDue) return { ...base, status: 'ok', reason: notDue, notDue: true };
    return onlyUnderOthers ? { ...base, status: 'ok', reason: ranUnderOthersNote(underOthersInSpan, span) } : { ...base, status: 'ok' };
  });
  const all = judged.filter((row): row is CoverageRow => row !== undefined);
  const inSlice = input.inSlice;
  const rows = inSlice ? all.filter((r) => inSlice(r.kind, r.name)) : all;

  return {
    rows,
    retired: inSlice ? retired.filter((r) => inSlice(r.kind, r.name)) : retired,
    ...(inSlice ? { sliceOf: all.length } : {}),
    counts: {
      monitored: rows.length,
      ok: rows.filter((r) => r.status === 'ok').length,
      findings: rows.filter((r) => r.status === 'findings').length,
      unknown: rows.filter((r) => r.status === 'unknown').length,
      later: rows.filter((r) => r.status === 'later').length,
    },
  };
}

/**
 * The runs of `run-unfinished` findings that wrote no run record (a job's run or an agent's root
 * run that never ended; `RunIndex.unendedRuns`), each once: its first such finding. The report counts
 * each as one of the subject's runs, in its Coverage row and its findings' Consequence; MCP's
 * last status and subject_status's runs and success rates count them so (`JudgedSubject.unfinished`).
 */
export function unrecordedUnfinished<F extends Finding>(findings: readonly F[], records: readonly RunRecord[]): F[] {
  return [...new RunIndex(records).unendedRuns(findings).values()];
}
