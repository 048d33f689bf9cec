import { type Config, nameAsLogged } from '../config.ts';
import { type AgentState, MAX_OPEN as MAX_OPEN_ROOTS } from '../core/agent-reducer.ts';
import { AUDIT_STATE_KIND, type AuditTrailState } from '../core/audit-trail-reducer.ts';
import { mapLimited } from '../core/map-limited.ts';
import { subjectKey } from '../core/pipeline.ts';
import { type Finding, isoTime } from '../core/findings.ts';
import type { GuardState } from '../core/guard-reducer.ts';
import { EARLY_MS, type JobState, type JobSummary, maxRuntimeOf, runsGoingOn, runsLogEnds, summarizeJobs } from '../core/job-reducer.ts';
import { graceMinutesOf } from '../core/job-options.ts';
import { onTimeWithinMs } from '../detectors/missed-run.ts';
import { ownValue } from '../core/own-property.ts';
import { buildCoverage, minHistoryOf, SILENCE_RHYTHM_FACTOR, unnamedIn, unrecordedUnfinished } from '../core/report/coverage.ts';
import { findingsQueryEnd, happenedIn } from '../core/report/evidence.ts';
import { LATE_RUN_DETECTORS, lateRunJudge, lateRunReadsFrom, RUNS_READ_TO, retractLateRuns } from '../core/report/late-runs.ts';
import { listsBy } from '../core/report/lookup.ts';
import { maxOf } from '../core/stats.ts';
import { runStartOf, startedAtOf } from '../core/report/run-keys.ts';
import type { CoverageRow, RetiredSubject } from '../core/report/model.ts';
import { type MonthSpan, monthOf, previousMonthSpan } from '../core/report/month.ts';
import { compareSubjects, configuredSubjects, isUnseenJobLeftConfig, ownerOf, type SubjectSnapshot, stateFacts } from '../core/report/subjects.ts';
import { auditTrailDriftDetector } from '../detectors/audit-trail-drift.ts';
import { lastExpectedStart } from '../core/schedule.ts';
import type { RunRecord, StoredFinding } from '../ports.ts';
import { type AuditReadView, ToolArgumentError } from './audit-view.ts';
import { type InSlice, ownerSlice, unknownOwnerNote } from '../core/report/owner-slice.ts';

/** The kinds of subject the tools list and describe; tools (their arguments) appear only through findings. */
export const SUBJECT_KINDS = ['job', 'agent', 'route', 'guard'] as const;
export type ListedKind = (typeof SUBJECT_KINDS)[number];

/**
 * Statuses are judged over this window ending now, as the monthly report judges a month; a job
 * whose schedule expects runs further apart is judged over a longer one (statusWindowDays).
 */
export const STATUS_WINDOW_DAYS = 30;
/**
 * The most days a job's status window reaches back (statusWindowDays): enough for a monthly job's
 * run, or the one before it while its run goes on. A job run more rarely (yearly) is judged over
 * STATUS_WINDOW_DAYS, as every subject was before windows grew: OK, noted as not due, when its
 * schedule expected no run in them. Its window would hold the whole fleet's findings read for a
 * year, and reach past the run records the store keeps (`deploy.run_retention_days`).
 */
export const MAX_STATUS_WINDOW_DAYS = 62;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const PARALLEL_READS = 8;

export interface KnownSubject {
  readonly kind: ListedKind;
  readonly name: string;
  /** The stored state; absent for a configured subject never seen. */
  readonly state?: unknown;
  readonly configured: boolean;
}

export function subjectKeyOf(s: { readonly kind: string; readonly name: string }): string {
  return subjectKey(s.kind, s.name);
}

/**
 * Every stored job, agent, route and guard, and every one the config names (seen or not), in the
 * report's order. Not a job the sweep only watched for the config, never seen and since taken out
 * of it (`isUnseenJobLeftConfig`: a misspelt name corrected): it is no subject.
 */
export async function knownSubjects(view: AuditReadView): Promise<KnownSubject[]> {
  const byKey = new Map<string, KnownSubject>();
  const stored = await Promise.all(SUBJECT_KINDS.map(async (kind) => ({ kind, list: await view.subjects(kind) })));
  for (const { kind, list } of stored) {
    for (const s of list) {
      const name = s.key.slice(kind.length + 1);
      if (isUnseenJobLeftConfig(kind, name, s.state, view.config)) continue;
      byKey.set(s.key, { kind, name, state: s.state, configured: false });
    }
  }
  for (const c of configuredSubjects(view.config)) {
    const key = subjectKeyOf(c);
    const existing = byKey.get(key);
    byKey.set(key, { kind: c.kind as ListedKind, name: c.name, state: existing?.state, configured: true });
  }
  return [...byKey.values()].sort(compareSubjects);
}

/**
 * The one subject a tool call names; a clear refusal for a name that is unknown or names several
 * kinds. A name is stored as its log lines give it, secrets redacted (`nameAsLogged`: a config's
 * `mysqldump -pS3cret …` key is `mysqldump -p[REDACTED:cli-password] …`): `config` redacts the
 * asked name the same way, so the name as the config or crontab writes it finds it too, and a
 * refusal repeats no secret.
 */
export function pickSubject(subjects: readonly KnownSubject[], name: string, kind: ListedKind | undefined, config?: Pick<Config, 'redact'>): KnownSubject {
  const asLogged = config === undefined ? name : nameAsLogged(name, config);
  const named = (n: string) => subjects.filter((s) => s.name === n && (kind === undefined || s.kind === kind));
  const asGiven = named(name);
  const matches = asGiven.length > 0 ? asGiven : named(asLogged);
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new ToolArgumentError(`"${asLogged}" names ${matches.length} subjects (${matches.map((m) => m.kind).join(', ')}): give kind as well`);
  }
  throw unknownSubjectError(subjects, asLogged, kind ?? 'job, agent, route or guard');
}

/**
 * The refusal for a name none of `subjects` has (`what` says which kinds were looked for), with the
 * names that contain it or that it contains, in any case, as a hint.
 */
export function unknownSubjectError(subjects: readonly { readonly kind: string; readonly name: string }[], name: string, what: string, known = `${subjects.length} subjects`): ToolArgumentError {
  const near = subjects.filter((s) => s.name.toLowerCase().includes(name.toLowerCase()) || name.toLowerCase().includes(s.name.toLowerCase())).slice(0, 5);
  const hint = near.length > 0 ? `; did you mean ${near.map((s) => `${s.name} (${s.kind})`).join(', ')}?` : '; list_subjects lists the known ones';
  return new ToolArgumentError(`no ${what} named "${name}" is known to the audit (${known})${hint}`);
}

/** The end (exclusive) of a window through `now`, to the second: the first whole second after it, so a finding stamped at now's second is in. */
export function windowEndAt(now: number): number {
  return Math.floor(now / 1000) * 1000 + 1000;
}

/** A window of `days` ending at `now` (to the second, inclusive), shaped as the report's month span. */
export function rollingSpan(now: number, days: number): MonthSpan {
  const toMs = windowEndAt(now);
  const fromMs = toMs - days * DAY_MS;
  return { month: isoTime(now).slice(0, 7), label: `the last ${days} days`, from: isoTime(fromMs), to: isoTime(toMs), fromMs, toMs, days: [] };
}

/**
 * A subject's state as the report's coverage reads it (`stateFacts`). A guard's names its first and
 * last bypass `firstAt`/`lastAt`; the report reads `firstSeenAt`/`lastSeenAt`. An agent's sightings
 * are its ended runs' ends and its root runs' starts (`agentRootRunTimes`): a root run going on is
 * seen, though no run of it ended yet (a first run), or it ended after now.
 */
function coverageState(kind: ListedKind, state: unknown): unknown {
  if (!state || (kind !== 'guard' && kind !== 'agent')) return state;
  if (kind === 'agent') {
    const s = state as AgentState;
    if (!Array.isArray(s.history) || !Array.isArray(s.open)) return state;
    const times = [...s.history.map((h) => h.ended_at), ...agentRootRunTimes(s)];
    return times.length > 0 ? { ...s, firstSeenAt: Math.min(...times), lastSeenAt: Math.max(...times) } : state;
  }
  const g = state as GuardState;
  return { ...g, firstSeenAt: g.firstAt, lastSeenAt: g.lastAt };
}

/**
 * A subject's state as the report's coverage reads it (`coverageState`) as it stood at `now`: at a
 * `--now` earlier than the store's data, a job's last sighting is its last by then, as find_overdue
 * reads it (`jobLastSeenAt`), not a later run's: one that came back after now was silent then, and
 * may be retired. Its state as stored when it was last seen by now, or its last start by then is
 * not known (`lastStartOf`: its kept starts all later).
 */
function coverageStateAt(kind: ListedKind, state: unknown, now: number): unknown {
  const s = coverageState(kind, state);
  if (kind !== 'job' || !s) return s;
  const job = s as JobState;
  const facts = stateFacts(job);
  if (Math.max(facts.lastSeenAt ?? 0, facts.lastStartAt ?? 0) <= now) return s;
  const lastStart = lastStartOf(job, now);
  return typeof lastStart === 'number' ? { ...job, lastSeenAt: jobLastSeenAt(job, lastStart, now), lastStartAt: lastStart } : s;
}

/** A job's last sighting at or before `now`, as the report's coverage reads it: its last start by then (`lastStart`), or its last run's end (by then) when later. */
export function jobLastSeenAt(state: JobState, lastStart: number, now: number): number {
  const lastEndAt = state.lastEnd?.at;
  return lastEndAt !== undefined && lastEndAt <= now ? Math.max(lastStart, lastEndAt) : lastStart;
}

/** A drift that is still going on: its detector's findings since it was reported stand, whatever runs came after. */
export interface OngoingEpisode {
  readonly detector: string;
  /** When the episode's one finding was raised, epoch ms. */
  readonly reportedAt: number;
}

/**
 * Findings that still stand: no run of the subject after it was clean of the same detector (the
 * report's rule for a group that is still happening), unless the finding is of an episode still
 * going on (an audit-trail drift is reported once, so the episode's later runs look clean). For
 * subjects that record no runs (routes, guards), every finding of the window stands.
 */
export function openFindings(findings: readonly StoredFinding[], runs: readonly RunRecord[], ongoing: readonly OngoingEpisode[] = []): StoredFinding[] {
  const affected = new Map<string, Set<string>>();
  for (const f of findings) {
    if (f.run_id === undefined) continue;
    const set = affected.get(f.detector) ?? new Set<string>();
    set.add(f.run_id);
    affected.set(f.detector, set);
  }
  // Finding times are to the second.
  const stillGoingOn = (f: StoredFinding) => ongoing.some((e) => e.detector === f.detector && Date.parse(f.ts) >= Math.floor(e.reportedAt / 1000) * 1000);
  return findings.filter((f) => stillGoingOn(f) || !runs.some((r) => r.ts > f.ts && r.status === 'ok' && !affected.get(f.detector)?.has(r.run_id)));
}

/** Each job's audit-trail drift still going on (an open episode in its `audit#<job>` state), by job name. */
async function ongoingDrifts(view: AuditReadView, subjects: readonly KnownSubject[]): Promise<Map<string, OngoingEpisode[]>> {
  const byJob = new Map<string, OngoingEpisode[]>();
  if (!subjects.some((s) => s.kind === 'job')) return byJob;
  for (const { key, state } of await view.subjects(AUDIT_STATE_KIND)) {
    const episode = (state as AuditTrailState | undefined)?.episode;
    if (episode) byJob.set(key.slice(AUDIT_STATE_KIND.length + 1), [{ detector: auditTrailDriftDetector.meta.id, reportedAt: episode.reported_at }]);
  }
  return byJob;
}

export type LastStatus = 'ok' | 'failed' | 'running' | 'started' | 'unfinished';

/**
 * The last run's outcome at `now`: a job's last end (or an open run after it), an agent's last root
 * run; what came after `now` (a `--now` earlier than the store's data) has not happened yet: a job
 * whose last end is later is judged by its last run record by then (`runs`, in its window), or is
 * running when it started a run after that record, by then (`lastStartOf`), that had not ended.
 * A job's run or an agent's root run reported `run-unfinished` that wrote no record (`unrecorded`, its
 * `JudgedSubject.unfinished`; by now) is `unfinished`, as the report counts it a run that never ended, not `running`.
 */
export function lastStatusOf(subject: KnownSubject, runs: readonly RunRecord[], now = Number.POSITIVE_INFINITY, unrecorded: readonly Finding[] = []): LastStatus | undefined {
  if (subject.kind === 'job' && subject.state) {
    const s = subject.state as JobState;
    const lastEnd = s.lastEnd !== undefined && s.lastEnd.at <= now ? s.lastEnd : undefined;
    const lastEndAt = lastEnd?.at ?? Number.NEGATIVE_INFINITY;
    const lastRecord = lastEnd === undefined ? runs[runs.length - 1] : undefined;
    const afterLast = (at: number) => at > lastEndAt && (lastRecord === undefined || at > Date.parse(lastRecord.ts));
    // A run reported run-unfinished by now, after its last end, never ended: the report counts it a run, unfinished; one started after it runs.
    const hung = latestUnfinishedStart(unrecorded, now, afterLast);
    const later = (at: number) => afterLast(at) && at > hung;
    // A job whose runs log no end only starts them; one that logs ends (or a new job's first run of a format that does) runs them.
    if (s.open.some((o) => o.at <= now && later(o.at))) return runsLogEnds(s) ? 'running' : 'started';
    // Its last end is after now: a run that started by then, after the last run record by then, had not ended yet (the store's `open` is its state at the end).
    if (s.lastEnd !== undefined && lastEnd === undefined) {
      const start = lastStartOf(s, now);
      if (typeof start === 'number' && later(start)) return runsLogEnds(s) ? 'running' : 'started';
    }
    if (Number.isFinite(hung)) return 'unfinished';
    if (lastEnd) return lastEnd.exit_code === 0 ? 'ok' : 'failed';
    return lastRecord?.status;
  }
  if (subject.kind === 'agent' && subject.state) {
    const s = subject.state as AgentState;
    const last = runs[runs.length - 1];
    // Later than the last recorded run's start, not its end: a run that started while it went on is the latest root.
    const after = (at: number) => last === undefined || at > runStartOf(last);
    // A root run reported run-unfinished by now never ended: the report counts it a run, unfinished, not one going on.
    const hung = latestUnfinishedStart(unrecorded, now, after);
    const going = agentRootsGoingOn(s, now).filter(after);
    if (Number.isFinite(hung) && hung >= maxOf(going)) return 'unfinished';
    if (going.length > 0) return 'running';
    return last?.status === 'started' ? 'started' : last?.status;
  }
  return undefined;
}

/** The latest start, by `now` and `after` it, of the runs reported run-unfinished that wrote no record (`unrecorded`); -Infinity when none. */
function latestUnfinishedStart(unrecorded: readonly Finding[], now: number, after: (at: number) => boolean): number {
  return maxOf(unrecorded.flatMap((f) => startedAtOf(f) ?? []).filter((at) => at <= now && after(at)));
}

/**
 * When a job last started at or before `now`: its latest start (for runs that log only an end,
 * end − duration), else its last end. Runs after `now` (a `--now` earlier than the store's data)
 * have not happened yet: `never` when the job was first seen after `now`, `undefined` when its
 * kept starts (the last 200) all come after `now`, so its last start by then is not known.
 */
export function lastStartOf(state: JobState, now = Number.POSITIVE_INFINITY): number | 'never' | undefined {
  if (state.firstSeenAt !== undefined && state.firstSeenAt > now) return 'never';
  const starts = state.starts ?? [];
  let i = starts.length - 1;
  while (i >= 0 && starts[i] > now) i--;
  const lastStartAt = state.lastStartAt !== undefined && state.lastStartAt <= now ? state.lastStartAt : Number.NEGATIVE_INFINITY;
  const latest = Math.max(i >= 0 ? starts[i] : Number.NEGATIVE_INFINITY, lastStartAt);
  if (Number.isFinite(latest)) return latest;
  if (starts.length > 0 || state.lastStartAt !== undefined) return undefined;
  return state.lastEnd !== undefined && state.lastEnd.at <= now ? state.lastEnd.at : state.lastEnd === undefined ? 'never' : undefined;
}

/**
 * When a subject's last run started, at or before `now` (as find_overdue's last_run_at): a job's
 * last start (`lastStartOf`), an agent's last root run's start, a guard's last bypass; else the
 * start of its last run record in its window (its end less its duration). A guard's from its state
 * only (first and last bypass, the latest bypass times it keeps), never its findings' times: when
 * its last bypass came after `now`, the latest it keeps at or before. Undefined when none is known
 * by then; a route's state keeps no time of its last request.
 */
export function lastRunStartOf(judged: JudgedSubject, now: number): number | undefined {
  const { subject, runs } = judged;
  if (subject.kind === 'route' || !subject.state || judged.firstSeenLater !== undefined) return undefined;
  const fromRecords = latestAtOrBefore(runs.map((r) => Date.parse(r.ts) - (r.status === 'started' ? 0 : (r.duration_ms ?? 0))), now);
  if (subject.kind === 'job') {
    const start = lastStartOf(subject.state as JobState, now);
    return typeof start === 'number' ? start : start === 'never' ? undefined : fromRecords;
  }
  if (subject.kind === 'agent') {
    const s = subject.state as AgentState;
    return latestAtOrBefore([...agentRootRunTimes(s), ...(fromRecords !== undefined ? [fromRecords] : [])], now);
  }
  // A guard's bypass times, from its state: its findings are dated when judged (an expiring exception's, the sweep's now), no bypass.
  const g = subject.state as GuardState;
  return latestAtOrBefore([g.firstAt, g.lastAt, ...(g.seenAt ?? [])].filter((t): t is number => t !== undefined), now);
}

function latestAtOrBefore(times: readonly number[], now: number): number | undefined {
  const latest = Math.max(Number.NEGATIVE_INFINITY, ...times.filter((t) => t <= now));
  return Number.isFinite(latest) ? latest : undefined;
}

/** A job's schedule as the config sets it, else as learned from its starts (the scan's rule). */
export interface ScheduleView {
  readonly source: 'configured' | 'inferred';
  readonly cron?: string;
  readonly timezone: string;
  /** `daily`, `every 1 h`: inferred schedules only. */
  readonly period?: string;
  readonly period_ms?: number;
}


export function scheduleOf(summary: JobSummary | undefined, name: string, view: AuditReadView): ScheduleView | undefined {
  const configured = ownValue(view.config.jobs, name);
  if (configured?.schedule) return { source: 'configured', cron: configured.schedule, timezone: configured.timezone ?? 'UTC' };
  const inferred = summary?.inferred;
  if (!inferred) return undefined;
  // A learned cron is in UTC, or in the zone guessed from a clock change its runs kept their local time across.
  return { source: 'inferred', ...(inferred.cron ? { cron: inferred.cron } : {}), timezone: inferred.timezone ?? 'UTC', period: inferred.period, period_ms: inferred.period_ms };
}

/**
 * How far from its expected time a start may come and still count, besides the grace time, for a
 * schedule learned from the runs: one hour, either way, when its period is two hours or more. Such
 * a schedule is in UTC, learned from the most common start hour (in a zone only once its runs have
 * kept their local time across a clock change: inferSchedule), but a cron job on a host in local
 * time starts an hour earlier or later in UTC after a clock change (02:30 in Berlin is 00:30Z in
 * summer, 01:30Z in winter), for months, and the sweep reports no missed run for it: a start of the
 * learned time is judged missed only when no run came within an hour and the grace time after it,
 * and a run up to an hour before it counts for it. A configured schedule names its zone: none.
 */
export function clockChangeSlack(schedule: ScheduleView): number {
  return schedule.source === 'inferred' && (schedule.period_ms ?? 0) >= 2 * HOUR_MS ? HOUR_MS : 0;
}

/**
 * How many days a subject's status window reaches back from `now`: STATUS_WINDOW_DAYS, or, for a
 * job with a schedule (`schedule`, configured or learned), as many whole days more as it takes to
 * hold the last start it expected that is past its grace time (less the two minutes a run may start
 * early, and for a learned schedule the hour of clockChangeSlack either way): a job run at 09:00 on
 * the 1st, asked on the 31st, is judged by that run (or the missed-run finding of it), not found
 * silent. A run records itself when it ends: while a run of the job is still going on
 * (`runningSince`, its start), the window holds the start expected before that run's. A learned
 * period without a cron: its period and grace time, once more. A window that would be longer than
 * `maxDays` (MAX_STATUS_WINDOW_DAYS, or fewer when the store keeps run records for fewer days) is
 * STATUS_WINDOW_DAYS: a yearly job is judged as it was before windows grew, not over a year.
 */
export function statusWindowDays(schedule: ScheduleView | undefined, graceMs: number, now: number, runningSince?: number, maxDays = MAX_STATUS_WINDOW_DAYS): number {
  if (!schedule) return STATUS_WINDOW_DAYS;
  const slackMs = clockChangeSlack(schedule);
  const dueBy = Math.min(now, runningSince === undefined ? now : runningSince - 1) - onTimeWithinMs(graceMs) - slackMs;
  let reachMs: number | undefined;
  if (schedule.cron) {
    const last = lastExpectedStart(schedule.cron, schedule.timezone, dueBy + 1);
    if (last !== undefined) reachMs = now - last;
  } else if (schedule.period_ms) reachMs = now - dueBy + schedule.period_ms;
  if (reachMs === undefined) return STATUS_WINDOW_DAYS;
  const days = Math.max(STATUS_WINDOW_DAYS, Math.ceil((reachMs + EARLY_MS + slackMs) / DAY_MS));
  return days <= maxDays ? days : STATUS_WINDOW_DAYS;
}

/**
 * When a job's run still going on started: its newest open run after its last end among those
 * `scan` counts in flight (`runsGoingOn`: within its max runtime, of a job whose runs log an end or
 * a new job's first run of a format that does). None for a job whose runs log no end (cron `CMD`
 * lines): every start of it stays open, none is known to be going on.
 */
function runningSinceOf(subject: KnownSubject, view: AuditReadView, now: number): number | undefined {
  if (subject.kind !== 'job' || !subject.state) return undefined;
  const s = subject.state as JobState;
  const lastEndAt = s.lastEnd?.at ?? Number.NEGATIVE_INFINITY;
  const newest = Math.max(Number.NEGATIVE_INFINITY, ...runsGoingOn(s, now, maxRuntimeOf(s, view.config).ms, view.config).filter((o) => o.at > lastEndAt).map((o) => o.at));
  return newest === Number.NEGATIVE_INFINITY ? undefined : newest;
}

/** Each stored job's summary (runs, schedule configured or learned, in the view's `--timezone` as `init` learns it), from states already read. */
export async function jobSummaries(view: AuditReadView, subjects: readonly KnownSubject[]): Promise<Map<string, JobSummary>> {
  const jobs = subjects.filter((s) => s.kind === 'job' && s.state !== undefined).map((s) => ({ key: subjectKeyOf(s), state: s.state, version: 0 }));
  const summaries = await summarizeJobs({ subjects: async (kind) => (kind === 'job' ? jobs : []) }, view.config, view.timeZone);
  return new Map(summaries.map((s) => [s.job, s]));
}

/** What the window shows of one subject: the report's coverage row, its findings and runs, and what still stands. */
export interface JudgedSubject {
  readonly subject: KnownSubject;
  /** A job's schedule, configured or learned (`scheduleOf`). */
  readonly schedule?: ScheduleView;
  /** How many days its status window reaches back from now (`statusWindowDays`). */
  readonly windowDays: number;
  readonly row: CoverageRow;
  /** The subject's findings in the window, oldest first. */
  readonly findings: readonly StoredFinding[];
  /** The subject's run records in the window, oldest first. */
  readonly runs: readonly RunRecord[];
  readonly open: readonly StoredFinding[];
  /**
   * Its runs (a job's, an agent's root runs) reported run-unfinished in the window that wrote no run
   * record (`unrecordedUnfinished`): runs of it that never ended, as the report counts them.
   */
  readonly unfinished: readonly StoredFinding[];
  /**
   * When it was first seen, for a subject first seen after now (a `--now` earlier than the store's
   * data): not seen yet then, as find_overdue counts it never seen. Its row is UNKNOWN, nothing of it
   * judged; list_subjects leaves one the config does not name out, as the report leaves it out of a month.
   */
  readonly firstSeenLater?: number;
  /** Retired as the monthly report retires a subject (`retirementAt`): its row, nothing of it judged, says so. */
  readonly retired?: RetiredSubject;
}

/**
 * How the monthly report retires a subject, at `now` (`buildCoverage`'s `retireBefore` and
 * `previousFindings`: `isRetired` and `unnamedIn`): not in the config, last seen before the month
 * before now's, silent for more than 3 × its rhythm, and named in none of that month's findings
 * made by now. The one rule of find_overdue, list_subjects and subject_status.
 */
export function retirementAt(view: AuditReadView, now: number) {
  const previous = previousMonthSpan(monthOf(now));
  // That month's findings of a read from its start (or before) up to now, or later.
  const ofPrevious = (findings: readonly StoredFinding[]) => findings.filter((f) => happenedIn(f, previous) && Date.parse(f.ts) <= now);
  const previousFindings = async () => ofPrevious(await view.findings({ from: previous.from, to: findingsQueryEnd(previous) }));
  return { retireBefore: previous.fromMs, readFrom: previous.from, ofPrevious, unnamed: async () => unnamedIn(await previousFindings()) };
}

/**
 * When a subject was first seen, if after `now`. A job or route: when the report's row (`row`) leaves
 * it out or marks it `later`, as its coverage reads it (`stateFacts`: a job's `firstSeenAt`, a route's
 * `first_seen`). The report gives an agent or guard first seen after its span an `unknown` row, so
 * their states tell: a guard's first bypass, an agent's earliest root run when its state can tell
 * (`agentFirstSeenAt`), else, as for a job, its earliest end when the row leaves it out.
 */
function firstSeenAfter(subject: KnownSubject, row: CoverageRow | undefined, now: number): number | undefined {
  const first = firstSeenOf(subject, row === undefined || row.status === 'later');
  return first !== undefined && first > now ? first : undefined;
}

/** When a subject was first seen (see `firstSeenAfter`): an agent's earliest root run if its state tells; else its state's, for a guard always, for any other only when its row says later. */
function firstSeenOf(subject: KnownSubject, rowSaysLater: boolean): number | undefined {
  if (subject.kind === 'agent') {
    const fromRootRuns = agentFirstSeenAt(subject.state);
    if (fromRootRuns !== undefined) return fromRootRuns;
  }
  if (subject.kind === 'guard' || rowSaysLater) return stateFacts(coverageState(subject.kind, subject.state)).firstSeenAt;
  return undefined;
}

/** The times an agent's own root runs began, as its state holds them: each start (else end) of its ended runs, each open run's start. */
function agentRootRunTimes(s: AgentState): number[] {
  return [...s.history.map((h) => h.started_at ?? h.ended_at), ...s.open.map((o) => o.started_at)];
}

/**
 * When an agent's root runs going on at `now` began: its open runs started by then, and, at a
 * `--now` earlier than the store's data, its runs that started by then and ended after it (the
 * store's `open` is its state at the end, where they had ended).
 */
function agentRootsGoingOn(s: AgentState, now: number): number[] {
  const endedLater = s.history.flatMap((h) => (h.started_at !== undefined && h.ended_at > now ? [h.started_at] : []));
  return [...s.open.map((o) => o.started_at), ...endedLater].filter((at) => at <= now);
}

/**
 * When an agent was first seen, when its state can tell: the earliest start (else end) of the root
 * runs it holds, ended (`history`) and open, when it let none go (as the report reads it,
 * `stateFacts`' `firstSeenCut`: no more roots counted than its history holds and a late sub-agent
 * reopened; fewer open than it keeps). Undefined when it cannot tell. Runs of it as a sub-agent
 * under another agent are not in its own state: they do not count.
 */
export function agentFirstSeenAt(state: unknown): number | undefined {
  const s = state as AgentState | undefined;
  if (!s || !Array.isArray(s.history) || !Array.isArray(s.open) || typeof s.roots !== 'number') return undefined;
  if (stateFacts(s).firstSeenCut || s.open.length >= MAX_OPEN_ROOTS) return undefined;
  const times = agentRootRunTimes(s);
  return times.length > 0 ? Math.min(...times) : undefined;
}

/**
 * The row of a subject nothing of which is judged, saying why (`reason`): one not seen yet at now,
 * UNKNOWN, as the report's row of the month or a configured subject never seen; a retired one.
 */
function unjudgedRow(subject: KnownSubject, reason: string, view: AuditReadView, exceptions: Parameters<typeof ownerOf>[3]): CoverageRow {
  const owner = ownerOf(subject.kind, subject.name, view.config, exceptions);
  const minHistory = minHistoryOf(subject.kind, subject.name, view.config);
  const recordsRuns = subject.kind === 'job' || subject.kind === 'agent';
  return {
    kind: subject.kind,
    name: subject.name,
    status: 'unknown',
    reason,
    runsInMonth: recordsRuns ? 0 : null,
    failedRuns: recordsRuns ? 0 : null,
    history: subject.kind === 'job' || subject.kind === 'agent' ? 0 : null,
    minHistory,
    findings: 0,
    ...(owner !== undefined ? { owner } : {}),
    configured: subject.configured,
  };
}

/**
 * Each subject's run records after its window (`spans`, ending at now), for a `--now` earlier than
 * the store's data: read only for one whose state saw it after the window's end (`stateFacts`' last
 * sighting); none for the others, nor at a now after all the data.
 */
function runsAfterNow(view: AuditReadView, subjects: readonly KnownSubject[], spans: readonly MonthSpan[]): Promise<(readonly RunRecord[])[]> {
  return mapLimited(
    subjects.map((s, i) => ({ s, span: spans[i] })),
    PARALLEL_READS,
    async ({ s, span }) => ((stateFacts(coverageState(s.kind, s.state)).lastSeenAt ?? Number.NEGATIVE_INFINITY) >= span.toMs ? view.runs(subjectKeyOf(s), span.to, RUNS_READ_TO) : []),
  );
}

/**
 * Judges subjects over their status windows (`statusWindowDays`) as the monthly report's coverage
 * judges a month: UNKNOWN when nothing came from it, or it has fewer runs than `min_history` and no
 * finding (silence is never health); FINDINGS when it had findings; else OK. Subjects whose windows
 * are as long are judged together, as the report judges a month's subjects. `known`: every subject
 * known (`knownSubjects`), when `subjects` are some of them: an agent is judged seeing every agent's
 * state, where its runs as a sub-agent are recorded.
 */
export async function judgeSubjects(view: AuditReadView, subjects: readonly KnownSubject[], known: readonly KnownSubject[] = subjects): Promise<JudgedSubject[]> {
  const now = view.now();
  const summaries = await jobSummaries(view, subjects);
  const schedules = subjects.map((s) => (s.kind === 'job' ? scheduleOf(summaries.get(s.name), s.name, view) : undefined));
  // Never past the run records the store keeps: a window reaching further would find a job's runs gone.
  const maxDays = Math.min(MAX_STATUS_WINDOW_DAYS, view.runRetentionDays ?? Number.POSITIVE_INFINITY);
  const windowDays = subjects.map((s, i) => {
    const graceMinutes = graceMinutesOf(view.config, s.name);
    return statusWindowDays(schedules[i], graceMinutes * 60_000, now, runningSinceOf(s, view, now), maxDays);
  });
  const spans = new Map<number, MonthSpan>([...new Set(windowDays)].map((days) => [days, rollingSpan(now, days)]));
  const widest = spans.get(Math.max(...windowDays, STATUS_WINDOW_DAYS)) ?? rollingSpan(now, STATUS_WINDOW_DAYS);
  // Each subject's own span, in the subjects' order.
  const spanAt = windowDays.map((days) => spans.get(days)!);
  const retirement = retirementAt(view, now);
  // The month before's findings are needed only when a subject may be retired (most calls have none):
  // then the one read of findings starts at that month's start when the window starts after it.
  const mayRetire = subjects.some((s) => !s.configured && s.state !== undefined && (stateFacts(coverageStateAt(s.kind, s.state, now)).lastSeenAt ?? 0) < retirement.retireBefore);
  const readFrom = mayRetire && retirement.readFrom < widest.from ? retirement.readFrom : widest.from;
  const [all, exceptions, runLists, laterRunLists, drifts] = await Promise.all([
    view.findings({ from: readFrom, to: widest.to }),
    view.exceptions(),
    mapLimited(
      subjects.map((s, i) => ({ key: subjectKeyOf(s), span: spanAt[i] })),
      PARALLEL_READS,
      ({ key, span }) => view.runs(key, span.from, span.to),
    ),
    runsAfterNow(view, subjects, spanAt),
    ongoingDrifts(view, subjects),
  ]);
  // The window (up to now) reaches past the month before's end: that month's findings are all read.
  const previousFindings = mayRetire ? retirement.ofPrevious(all) : [];
  const spanOf = new Map(subjects.map((s, i) => [subjectKeyOf(s), spanAt[i]]));
  // Each subject's findings in its own window.
  const inWindow = all.filter((f) => {
    const span = spanOf.get(subjectKeyOf({ kind: f.subject_kind, name: f.subject }));
    return span !== undefined && f.ts >= span.from && f.ts < span.to;
  });
  // As the report: a missed or unfinished run whose lines arrived after the sweep judged it is no problem.
  const findings = retractLateRuns(inWindow, runLists.flat(), subjects).kept.sort((a, b) => a.ts.localeCompare(b.ts));
  // Indexed once, as the report does: a fleet has thousands of subjects and findings.
  const findingsOf = listsBy(findings, (f) => subjectKeyOf({ kind: f.subject_kind, name: f.subject }));
  // Every agent's state, where one's runs as a sub-agent are recorded: judged alone (subject_status), an agent still sees the agents above it.
  const agents: SubjectSnapshot[] = known.filter((s) => s.kind === 'agent' && s.state !== undefined).map((s) => ({ kind: s.kind, name: s.name, state: coverageState(s.kind, s.state) }));
  const rowOf = new Map<string, CoverageRow>();
  const retiredOf = new Map<string, RetiredSubject>();
  for (const [days, span] of spans) {
    const group = subjects.flatMap((s, i) => (windowDays[i] === days ? [{ s, runs: runLists[i], later: laterRunLists[i] }] : []));
    // Its history and last sighting as they stood at now: the runs recorded after it (a `--now` earlier than the store's data) not counted, as the report cuts a month's.
    const snapshots: SubjectSnapshot[] = group
      .filter(({ s }) => s.state !== undefined)
      .map(({ s, later }) => ({ kind: s.kind, name: s.name, state: coverageStateAt(s.kind, s.state, now), runsAfterMonth: later.length }));
    const coverage = buildCoverage({
      span,
      subjects: snapshots,
      runs: group.flatMap((g) => g.runs),
      findings: group.flatMap(({ s }) => findingsOf.get(subjectKeyOf(s)) ?? []),
      config: view.config,
      exceptions: exceptions ?? undefined,
      retireBefore: retirement.retireBefore,
      previousFindings,
      agents,
    });
    const groupKeys = new Set(group.map(({ s }) => subjectKeyOf(s)));
    for (const row of coverage.rows) if (groupKeys.has(subjectKeyOf(row))) rowOf.set(subjectKeyOf(row), row);
    for (const r of coverage.retired) if (groupKeys.has(subjectKeyOf(r))) retiredOf.set(subjectKeyOf(r), r);
  }
  return subjects.map((subject, i) => {
    const own = findingsOf.get(subjectKeyOf(subject)) ?? [];
    const runs = [...runLists[i]].sort((a, b) => a.ts.localeCompare(b.ts));
    const found = rowOf.get(subjectKeyOf(subject));
    const schedule = schedules[i];
    // The report leaves out a job or route first seen after its span (or, configured, marks it `later`): not seen yet now.
    // It gives an agent or guard first seen after its span an `unknown` row: their states tell.
    const firstSeenLater = firstSeenAfter(subject, found, now);
    if (firstSeenLater !== undefined) {
      const row = unjudgedRow(subject, `not seen yet: first seen on ${isoTime(firstSeenLater)}, after now`, view, exceptions ?? undefined);
      return { subject, ...(schedule ? { schedule } : {}), windowDays: windowDays[i], row, findings: [], runs: [], open: [], unfinished: [], firstSeenLater };
    }
    // The report lists a retired subject apart, in no row: nothing of it in its window.
    const retired = found === undefined ? retiredOf.get(subjectKeyOf(subject)) : undefined;
    if (retired !== undefined) {
      const reason = `retired (not in the config, last seen ${retired.lastSeen.slice(0, 10)}): nothing of it since, silent for more than ${SILENCE_RHYTHM_FACTOR} × its usual gap between runs: renamed or no longer used`;
      return { subject, ...(schedule ? { schedule } : {}), windowDays: windowDays[i], row: unjudgedRow(subject, reason, view, exceptions ?? undefined), findings: [], runs: [], open: [], unfinished: [], retired };
    }
    if (found === undefined) throw new Error(`no coverage row for ${subject.kind} ${subject.name}`);
    const ongoing = subject.kind === 'job' ? (drifts.get(subject.name) ?? []) : [];
    const unfinished = unrecordedUnfinished(own, runs);
    return { subject, ...(schedule ? { schedule } : {}), windowDays: windowDays[i], row: found, findings: own, runs, open: openFindings(own, runs, ongoing), unfinished };
  });
}

/**
 * Why the report retracts each of `findings` that a late run answers (a missed-run or run-unfinished
 * finding whose run's lines arrived after the sweep judged it), by finding key; as explain_finding
 * judges one: against the job's kept starts and its run records from the earliest time such a
 * run could have started (the expected start less its early allowance, an unfinished run's start)
 * to any time after.
 */
export async function lateRunRetractions(view: AuditReadView, findings: readonly StoredFinding[]): Promise<Map<string, string>> {
  const answerable = findings.filter((f) => f.subject_kind === 'job' && LATE_RUN_DETECTORS.has(f.detector));
  const reasons = new Map<string, string>();
  if (answerable.length === 0) return reasons;
  const readFrom = lateRunReadsFrom({ findings: answerable });
  const keys = [...readFrom.keys()];
  const [stored, runLists] = await Promise.all([
    view.subjects('job'),
    mapLimited(keys, PARALLEL_READS, (key) => view.runs(key, isoTime(readFrom.get(key)!), RUNS_READ_TO)),
  ]);
  const states = stored.filter((s) => readFrom.has(s.key)).map((s) => ({ kind: 'job', name: s.key.slice('job#'.length), state: s.state }));
  const judge = lateRunJudge(runLists.flat(), states);
  for (const f of answerable) {
    const retracted = judge([f]).retracted[0];
    if (retracted) reasons.set(f.key, `the run's lines arrived late: ${retracted.reason}`);
  }
  return reasons;
}

/** Whether the baseline checks are active: enough runs for `min_history` (always, for kinds without a baseline). */
export function hasEnoughHistory(row: CoverageRow): boolean {
  return row.minHistory === null || (row.history ?? 0) >= row.minHistory;
}

/** Whether a subject is of `owner` as `report --owner` slices the report (`ownerSlice`); every subject when no owner is given. */
export async function ownedBy(view: AuditReadView, owner: string | undefined): Promise<InSlice> {
  if (owner === undefined) return () => true;
  const exceptions = (await view.exceptions()) ?? [];
  // An owner no subject has is refused, as an unknown subject is: an empty answer would pass for a clean one.
  const unknown = unknownOwnerNote(owner, view.config, exceptions);
  if (unknown) throw new ToolArgumentError(unknown);
  return ownerSlice([owner], view.config, exceptions);
}
