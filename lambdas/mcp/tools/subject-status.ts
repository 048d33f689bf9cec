import { z } from 'zod';
import type { AgentState } from '../../core/agent-reducer.ts';
import type { GuardState } from '../../core/guard-reducer.ts';
import { cronHealthyAfter, type JobState } from '../../core/job-reducer.ts';
import type { RouteState } from '../../core/route-reducer.ts';
import { plural } from '../../core/report/format.ts';
import { spanStarts, startsOnlyFailuresLogged, stateFacts } from '../../core/report/subjects.ts';
import { formatDuration, median } from '../../core/stats.ts';
import type { Config } from '../../config.ts';
import { defined } from '../../core/parse/bodies.ts';
import type { RunRecord, StoredFinding } from '../../ports.ts';
import { type JudgedSubject, judgeSubjects, type KnownSubject, knownSubjects, pickSubject, STATUS_WINDOW_DAYS } from '../subjects.ts';
import { runStartOf } from '../../core/report/run-keys.ts';
import { ToolArgumentError } from '../audit-view.ts';
import { defineTool, FindingSummarySchema, findingSummary, isoOrNull, KindSchema, limitSchema } from '../tool.ts';
import { SubjectRowSchema, subjectRow } from './list-subjects.ts';

const HOUR_MS = 3_600_000;

const SuccessWindowSchema = z.object({
  runs: z
    .number()
    .describe(
      'runs recorded in the window (by their end), and its runs (an agent’s root runs) reported run-unfinished in it that never logged their end (unfinished); of a job whose runs log only their start (and failures: Debian cron), its starts in it',
    ),
  ok: z
    .number()
    .nullable()
    .describe(
      'runs ended with exit 0, or with no exit status logged (cronie’s CMDEND without one: no exit_code in recent_runs); of a job whose runs log only their start, its starts whose healthy window passed with no failure; null when no failure of it was ever logged (cronie without -s): a start with no failure is then no sign of success',
    ),
  failed: z.number().describe('runs ended failed (a non-zero exit, a failure line)'),
  unfinished: z.number().optional().describe('only of a job or agent with such runs: its runs (an agent’s root runs) reported run-unfinished in the window (by the finding), which never logged their end: in runs, neither ok nor failed, as the report counts them'),
  in_flight: z.number().optional().describe('only of a job whose runs log only their start: its starts neither failed nor past their healthy window yet (their outcome not known)'),
  success_rate: z
    .number()
    .nullable()
    .describe('ok / (ok + failed); of a job whose runs log only their start: ok / its starts past their healthy window (note says how many), so that failures, known sooner, do not outweigh; null without such runs, or when its state no longer keeps all the window’s starts'),
  with_findings: z.number().describe('runs a detector flagged (silent failures exit 0 too)'),
  note: z.string().optional().describe('only of a job whose runs log only their start, or did in the window before their first end: what its numbers are counted from'),
});

const RecentRunSchema = z.object({
  run_id: z.string(),
  ts: z.string(),
  status: z.enum(['ok', 'failed', 'started', 'unfinished']).describe('unfinished: a job run or agent root run reported run-unfinished that never logged its end (ts: when it was reported)'),
  exit_code: z.number().optional(),
  duration_ms: z.number().optional(),
  output_bytes: z.number().optional(),
  findings: z.array(z.string()).describe('detectors that fired on this run'),
});

const BaselineSchema = z
  .object({
    samples: z.number(),
    median_output_bytes: z.number(),
    median_duration_ms: z.number(),
    median_cost_usd: z.number(),
    median_tokens: z.number(),
    requests: z.number(),
    retried: z.number(),
    failed: z.number(),
    retry_rate: z.number(),
    bypasses: z.number(),
    covered: z.number(),
    unregistered: z.number(),
    expired: z.number(),
  })
  .partial();

type Baseline = z.infer<typeof BaselineSchema>;

/**
 * What the detectors compare against: a job's medians of its normal runs, an agent's median cost
 * (of its runs ended by `now`: at a `--now` earlier than the store's data, not of later ones), a
 * route's or guard's counts.
 */
export function baselineOf(subject: KnownSubject, now: number): Baseline {
  const state = subject.state;
  if (!state) return {};
  switch (subject.kind) {
    case 'job': {
      const s = state as JobState;
      return defined({ samples: Math.max(s.outputs.length, s.durations.length), median_output_bytes: median(s.outputs), median_duration_ms: median(s.durations) });
    }
    case 'agent': {
      const normal = (state as AgentState).history.filter((h) => h.outlier === undefined && h.ended_at <= now);
      const costs = normal.flatMap((h) => (h.cost_usd !== undefined ? [h.cost_usd] : []));
      const tokens = normal.flatMap((h) => (h.tokens !== undefined ? [h.tokens] : []));
      return defined({ samples: normal.length, median_cost_usd: median(costs), median_tokens: median(tokens) });
    }
    case 'route': {
      const t = (state as RouteState).totals;
      return { requests: t.requests, retried: t.retried, failed: t.failed, retry_rate: t.requests > 0 ? Number((t.retried / t.requests).toFixed(4)) : 0 };
    }
    case 'guard': {
      const g = state as GuardState;
      return { bypasses: g.bypasses, ...g.outcomes };
    }
  }
}

/** The success of the runs recorded after `fromMs`, and of the runs reported unfinished after it that wrote no record (`unfinished`, flagged, neither ok nor failed). */
function successOver(runs: readonly RunRecord[], flagged: ReadonlySet<string>, fromMs: number, unfinished: readonly StoredFinding[] = []): z.infer<typeof SuccessWindowSchema> {
  const inWindow = runs.filter((r) => Date.parse(r.ts) > fromMs);
  const ok = inWindow.filter((r) => r.status === 'ok').length;
  const failed = inWindow.filter((r) => r.status === 'failed').length;
  const neverEnded = unfinished.filter((f) => Date.parse(f.ts) > fromMs).length;
  return {
    runs: inWindow.length + neverEnded,
    ok,
    failed,
    success_rate: ok + failed > 0 ? Number((ok / (ok + failed)).toFixed(4)) : null,
    with_findings: inWindow.filter((r) => flagged.has(r.run_id)).length + neverEnded,
    ...(neverEnded > 0 ? { unfinished: neverEnded } : {}),
  };
}

/**
 * The success of a job whose runs logged only their start until its first end (`endsLoggedFrom`, cronie's CMD lines
 * before `-s`), in a window that began before it: its records, and its starts before it that have none (counted by
 * their start, `runsByStarts`); those are ok once their healthy window passed only if a failure of them was logged
 * then, else their outcome is not known. The rate is over the runs whose outcome is known.
 */
function switchedSuccessOver(
  job: JobState,
  runs: readonly RunRecord[],
  flagged: ReadonlySet<string>,
  fromMs: number,
  now: number,
  config: Config,
  unfinished: readonly StoredFinding[],
): z.infer<typeof SuccessWindowSchema> {
  const recorded = successOver(runs, flagged, fromMs, unfinished);
  const switchAt = job.endsLoggedFrom;
  if (switchAt === undefined || switchAt <= fromMs) return recorded;
  const until = Math.min(switchAt - 1, now);
  const recordedBefore = runs.filter((r) => runStartOf(r) > fromMs && runStartOf(r) <= until);
  const starts = spanStarts(job, fromMs + 1, until + 1);
  const byStarts = Math.max(0, (starts?.inSpan ?? 0) - recordedBefore.length);
  if (byStarts === 0) return recorded;
  const failuresLogged = runs.some((r) => r.status === 'failed' && runStartOf(r) <= until);
  const settledBefore = Math.min(until, now - cronHealthyAfter(job.job, config));
  const settledRecorded = recordedBefore.filter((r) => runStartOf(r) <= settledBefore).length;
  const settled = failuresLogged ? Math.max(0, (spanStarts(job, fromMs + 1, settledBefore + 1)?.inSpan ?? 0) - settledRecorded) : 0;
  const ok = (recorded.ok ?? 0) + settled;
  const atLeast = starts?.complete === false ? 'at least ' : '';
  const outcome = failuresLogged
    ? `ok ${formatDuration(cronHealthyAfter(job.job, config))} after their start with no failure (${settled} so far)`
    : 'their outcome is not known (no failure of them was logged)';
  return {
    ...recorded,
    runs: recorded.runs + byStarts,
    ok,
    success_rate: ok + recorded.failed > 0 ? Number((ok / (ok + recorded.failed)).toFixed(4)) : null,
    note: `${atLeast}${byStarts} of its runs started before its runs logged an end (${isoOrNull(switchAt)}): counted by their start, ${outcome}; success_rate is over the other ${ok + recorded.failed - settled}${failuresLogged ? ` and those ${settled}` : ''}`,
  };
}

/** A job whose runs log no end (cron's CMD lines): its runs are its starts, its run records only its failures. */
function startsOnlyJob(subject: KnownSubject): JobState | undefined {
  const state = subject.kind === 'job' ? (subject.state as JobState | undefined) : undefined;
  return state?.endsLogged === false ? state : undefined;
}

/**
 * The success of a job whose runs log only their start (and failures) in the window after `fromMs`:
 * its starts are its runs (at least its records), a start ok once its healthy window
 * (`cronHealthyAfter`) passed with no failure, the rate over those starts alone (its failures,
 * which end a run sooner, do not outweigh the runs still in flight). Not known when its state no
 * longer keeps the window's first starts (only its latest ones).
 */
function startsSuccessOver(job: JobState, runs: readonly RunRecord[], flagged: ReadonlySet<string>, fromMs: number, now: number, config: Config): z.infer<typeof SuccessWindowSchema> {
  // Its runs in the window are its starts in it: a failure counts by its run's start, not by its line.
  const inWindow = runs.filter((r) => runStartOf(r) > fromMs);
  const failures = inWindow.filter((r) => r.status === 'failed');
  if (!startsOnlyFailuresLogged(stateFacts(job), runs.length)) return outcomeUnknown(job, inWindow, failures.length, flagged, fromMs, now);
  const healthyAfter = cronHealthyAfter(job.job, config);
  const settledBefore = Math.max(fromMs, now - healthyAfter);
  // Starts in (fromMs, now], and those in it whose healthy window has passed.
  const starts = spanStarts(job, fromMs + 1, now + 1);
  const settled = spanStarts(job, fromMs + 1, settledBefore + 1)?.inSpan ?? 0;
  const known = starts?.complete !== false;
  // Of a state that no longer keeps all the window's starts, only the failures of the starts it keeps are among them.
  const keptFailures = known ? failures : failures.filter((r) => runStartOf(r) >= (job.starts?.[0] ?? 0));
  const failedSettled = keptFailures.filter((r) => runStartOf(r) <= settledBefore).length;
  const failedUnsettled = keptFailures.length - failedSettled;
  const total = Math.max(inWindow.length, starts?.inSpan ?? 0);
  const ok = Math.max(0, settled - failedSettled);
  const rule = `its runs log only their start and failures: a run with no failure is ok ${formatDuration(healthyAfter)} after its start; `;
  const note = !known
    ? `${latestStartsOnly(job)}: runs and ok are at least these, success_rate is not known`
    : settled > 0
      ? `success_rate is over the ${plural(settled, 'start')} that old (${failedSettled} failed)`
      : 'none of the window’s starts is that old yet, so success_rate is not known';
  return {
    runs: total,
    ok,
    failed: failures.length,
    in_flight: Math.max(0, (starts?.inSpan ?? 0) - settled - failedUnsettled),
    success_rate: known && settled > 0 ? Number((ok / (ok + failedSettled)).toFixed(4)) : null,
    with_findings: inWindow.filter((r) => flagged.has(r.run_id)).length,
    note: rule + note,
  };
}

/** What the success of a job whose state no longer keeps all a window's starts (`SpanStarts.complete` false) is counted from: the starts it keeps. */
function latestStartsOnly(job: JobState): string {
  return `its state keeps only its latest starts (from ${isoOrNull(job.starts?.[0])}), not all of the window’s`;
}

/**
 * The success of a job whose runs log only their start and no failure of which was ever logged (cronie's CMD lines
 * without `-s`, an instrumented job whose runs never log an end; as the report's `failuresLogged`): its starts are its
 * runs, their outcome not known: no ok, no rate.
 */
function outcomeUnknown(job: JobState, inWindow: readonly RunRecord[], failed: number, flagged: ReadonlySet<string>, fromMs: number, now: number): z.infer<typeof SuccessWindowSchema> {
  const starts = spanStarts(job, fromMs + 1, now + 1);
  // A state that no longer keeps all the window's starts gives a lower bound, said as the other rule says it.
  const partial = starts?.complete === false ? `; ${latestStartsOnly(job)}: runs is at least this` : '';
  return {
    runs: Math.max(inWindow.length, starts?.inSpan ?? 0),
    ok: null,
    failed,
    success_rate: null,
    with_findings: inWindow.filter((r) => flagged.has(r.run_id)).length,
    note: `its runs log only their start, and no failure of it was ever logged (cronie’s CMD lines without -s, runs that never log an end): their outcome is not known, so ok and success_rate are not${partial}`,
  };
}

function detectorsByRun(findings: readonly StoredFinding[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of findings) {
    if (f.run_id === undefined) continue;
    const list = out.get(f.run_id) ?? [];
    if (!list.includes(f.detector)) list.push(f.detector);
    out.set(f.run_id, list);
  }
  return out;
}

/** Kinds whose runs are recorded (and so have success rates). */
const RECORDS_RUNS = new Set(['job', 'agent']);

export function statusOf(judged: JudgedSubject, now: number, recent: number, openLimit: number, config: Config) {
  const byRun = detectorsByRun(judged.findings);
  const flagged = new Set(byRun.keys());
  const records = RECORDS_RUNS.has(judged.subject.kind);
  const startsOnly = startsOnlyJob(judged.subject);
  // As the report: a job's run or an agent's root run reported run-unfinished that wrote no record is one of its runs.
  const unfinished = judged.unfinished;
  const successOf = (fromMs: number) =>
    !records ? null : startsOnly
        ? startsSuccessOver(startsOnly, judged.runs, flagged, fromMs, now, config)
        : judged.subject.kind === 'job' && judged.subject.state
          ? switchedSuccessOver(judged.subject.state as JobState, judged.runs, flagged, fromMs, now, config, unfinished)
          : successOver(judged.runs, flagged, fromMs, unfinished);
  return {
    recent_runs: [
      ...judged.runs.map((r) => ({
        run_id: r.run_id,
        ts: r.ts,
        status: r.status,
        ...defined({ exit_code: r.exit_code, duration_ms: r.duration_ms, output_bytes: r.output_bytes }),
        findings: byRun.get(r.run_id) ?? [],
      })),
      ...unfinished.map((f) => ({ run_id: f.run_id!, ts: f.ts, status: 'unfinished' as const, findings: byRun.get(f.run_id!) ?? [] })),
    ]
      // Newest first: judged.runs are in time order, a stable sort keeps it among runs of one time.
      .sort((a, b) => a.ts.localeCompare(b.ts))
      .reverse()
      .slice(0, recent),
    success: {
      last_24h: successOf(now - 24 * HOUR_MS),
      last_7d: successOf(now - 7 * 24 * HOUR_MS),
    },
    baseline: baselineOf(judged.subject, now),
    open_findings: [...judged.open].reverse().slice(0, openLimit).map(findingSummary),
    open_findings_truncated: judged.open.length > openLimit,
  };
}

export const subjectStatusTool = defineTool({
  name: 'subject_status',
  title: 'Status of one subject',
  description:
    `One job, agent, route or guard in detail: its status and schedule as list_subjects gives them, its recent runs (in its status window: the last ${STATUS_WINDOW_DAYS} days, ` +
    'longer for a job whose schedule expects runs further apart, back to the last start it expected; window_days says; newest first, ' +
    'with the detectors that fired on each), success rate over 24 h and 7 days, the baseline its runs are judged against ' +
    '(median output and duration of normal runs, median cost of an agent’s runs, a route’s or guard’s counts), and its open findings.',
  inputSchema: {
    subject: z.string().min(1).describe('the subject name, e.g. nightly-backup (a job named by its command may be given as the config writes it: secrets in it are redacted as the audit stores it)'),
    kind: KindSchema.optional().describe('needed only when the name is used by subjects of several kinds'),
    runs: z.number().int().min(1).max(100).default(10).describe('how many recent runs to return'),
    limit: limitSchema(50, 'open findings, newest first (subject.open_findings counts them all)'),
  },
  outputSchema: {
    now: z.string(),
    window_days: z.number().describe('the days up to now its status, runs and findings are judged over (as subject.window_days)'),
    subject: SubjectRowSchema,
    recent_runs: z.array(RecentRunSchema),
    success: z.object({ last_24h: SuccessWindowSchema.nullable(), last_7d: SuccessWindowSchema.nullable() }).describe('null for kinds that record no runs (routes, guards)'),
    baseline: BaselineSchema,
    open_findings: z.array(FindingSummarySchema),
    open_findings_truncated: z.boolean().describe('more open findings than the limit: subject.open_findings is their total'),
  },
  async run(view, args) {
    const known = await knownSubjects(view);
    const subject = pickSubject(known, args.subject, args.kind, view.config);
    const [judged] = await judgeSubjects(view, [subject], known);
    const now = view.now();
    // As list_subjects: one the config does not name, first seen after now, is not known yet.
    if (judged.firstSeenLater !== undefined && !subject.configured) {
      throw new ToolArgumentError(`${subject.kind} "${subject.name}" was not seen yet at ${isoOrNull(now)}: it was first seen on ${isoOrNull(judged.firstSeenLater)}, after that`);
    }
    return { result: { now: isoOrNull(now)!, window_days: judged.windowDays, subject: subjectRow(judged, now), ...statusOf(judged, now, args.runs, args.limit, view.config) } };
  },
});
