import type { Config } from '../config.ts';
import { RUN_DETECTORS } from '../detectors/index.ts';
import type { DetectorId } from '../detectors/ids.ts';
import type { CompletedRun, FindingDraft, RunDetector } from '../detectors/types.ts';
import type { RunRecord } from '../ports.ts';
import type { AuditEvent, RunEnd, RunFailedMarker, RunStart } from './events.ts';
import { type Finding, isoTime } from './findings.ts';
import { resolveJobOptions } from './job-options.ts';
import { OPEN_RUN } from './parse/run-ids.ts';
import type { ReduceContext, Reduction, SubjectReducer } from './pipeline.ts';
import { median } from './stats.ts';

/** A run that started and has not ended yet. */
export interface OpenRun {
  readonly run_id: string;
  readonly at: number;
  readonly host?: string;
}

/** What the pipeline keeps per job between batches: compact, bounded, JSON-serialisable. */
export interface JobState {
  readonly job: string;
  /** Output bytes of the latest successful runs that looked normal, oldest first. */
  readonly outputs: number[];
  /** Durations of the latest successful runs that looked normal, oldest first. */
  readonly durations: number[];
  /** Recently finished run ids and end tokens: a redelivered line is recognised and skipped. */
  readonly processed: string[];
  readonly open: OpenRun[];
  readonly lastEnd?: { readonly run_id: string; readonly at: number; readonly exit_code: number };
  readonly lastStartAt?: number;
  /** Whether this job's runs log an end (cron `CMD` lines never do). */
  readonly endsLogged: boolean;
  readonly runs: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly firstSeenAt?: number;
  readonly lastSeenAt?: number;
}

const MAX_PROCESSED = 1000;
const MAX_OPEN = 50;
/** systemd writes two end lines for one run ("Main process exited" then "Failed with result"). */
const SAME_END_WINDOW_MS = 10_000;

export function initialJobState(job: string): JobState {
  return { job, outputs: [], durations: [], processed: [], open: [], endsLogged: false, runs: 0, failures: 0, consecutiveFailures: 0 };
}

type JobEventBody = RunStart | RunEnd | RunFailedMarker;

function isJobEvent(event: AuditEvent): event is AuditEvent<JobEventBody> {
  const t = event.body.type;
  return t === 'run.start' || t === 'run.end' || t === 'run.failed';
}

/** Runs every run detector in registry order, so later ones can see which fired before them. */
export function judgeRun(run: CompletedRun, state: JobState, config: Config, detectors: readonly RunDetector[] = RUN_DETECTORS): Finding[] {
  const options = resolveJobOptions(config, run.job);
  const baseline = {
    outputBytes: state.outputs,
    durations: state.durations,
    medianOutputBytes: median(state.outputs),
    medianDurationMs: median(state.durations),
  };
  const fired = new Set<DetectorId>();
  const findings: Finding[] = [];
  for (const detector of detectors) {
    const drafts: FindingDraft[] = detector.check({ run, baseline, options, firedSoFar: fired });
    for (const draft of drafts) {
      fired.add(detector.meta.id);
      findings.push({
        ...draft,
        detector: detector.meta.id,
        subject_kind: detector.meta.subjectKind,
        severity: config.defaults.severity[detector.meta.id] ?? draft.severity ?? detector.meta.defaultSeverity,
      });
    }
  }
  return findings;
}

const OUTPUT_FINDINGS: ReadonlySet<DetectorId> = new Set(['empty-output', 'output-shrink']);
const DURATION_FINDINGS: ReadonlySet<DetectorId> = new Set(['duration-slow', 'duration-fast']);

function pushBounded(list: readonly number[], value: number, limit: number): number[] {
  const next = [...list, value];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/**
 * Job runs: pairs starts with ends, judges each finished run against the job's baseline, and
 * keeps the baseline (rolling windows of output bytes and durations of normal successful runs).
 * A run that fired an output finding does not enter the output baseline, so a broken job never
 * becomes the new normal; likewise for durations.
 */
export const jobReducer: SubjectReducer<JobState> = {
  kind: 'job',
  subjectOf(event) {
    return isJobEvent(event) ? event.body.job : undefined;
  },
  initial: initialJobState,
  apply(initial, subject, events, ctx): Reduction<JobState> {
    let state = initial;
    const findings: Finding[] = [];
    const records: RunRecord[] = [];
    const window = ctx.config.defaults.baseline_window;

    const seen = (token: string) => state.processed.includes(token);
    const remember = (...tokens: string[]) => {
      const processed = [...state.processed, ...tokens];
      state = { ...state, processed: processed.length > MAX_PROCESSED ? processed.slice(processed.length - MAX_PROCESSED) : processed };
    };
    const touch = (at: number) => {
      state = {
        ...state,
        firstSeenAt: state.firstSeenAt === undefined ? at : Math.min(state.firstSeenAt, at),
        lastSeenAt: state.lastSeenAt === undefined ? at : Math.max(state.lastSeenAt, at),
      };
    };

    for (const event of events) {
      if (!isJobEvent(event)) continue;
      const body = event.body;
      if (body.type === 'run.start') {
        if (seen(body.run_id) || state.open.some((r) => r.run_id === body.run_id)) continue;
        const open = [...state.open, { run_id: body.run_id, at: event.at, host: body.host }];
        state = { ...state, open: open.slice(-MAX_OPEN), lastStartAt: Math.max(state.lastStartAt ?? 0, event.at) };
        touch(event.at);
        continue;
      }

      // An end: resolve which run it closes.
      const endToken = `${OPEN_RUN}@${event.at}`;
      let runId = body.run_id;
      if (runId === undefined || runId === OPEN_RUN) {
        if (seen(endToken)) continue;
        const open = [...state.open].filter((r) => r.at <= event.at).sort((a, b) => b.at - a.at)[0];
        if (open) runId = open.run_id;
        else if (state.lastEnd && Math.abs(event.at - state.lastEnd.at) <= SAME_END_WINDOW_MS) {
          remember(endToken);
          continue;
        } else runId = `${subject}@${isoTime(event.at)}`;
        remember(endToken);
      }
      if (seen(runId)) continue;

      const started = state.open.find((r) => r.run_id === runId);
      const exitCode = body.type === 'run.end' ? body.exit_code : (body.exit_code ?? 1);
      const end = body.type === 'run.end' ? body : undefined;
      const run: CompletedRun = {
        job: subject,
        run_id: runId,
        endedAt: event.at,
        startedAt: started?.at,
        exit_code: exitCode === 0 && body.type === 'run.failed' ? 1 : exitCode,
        duration_ms: end?.duration_ms ?? (started ? event.at - started.at : undefined),
        output_bytes: end?.output_bytes,
        output_lines: end?.output_lines,
        output_head: end?.output_head,
        output_tail: end?.output_tail,
        host: body.host ?? started?.host,
        failure: body.type === 'run.failed' ? body.reason : undefined,
      };

      const runFindings = judgeRun(run, state, ctx.config);
      findings.push(...runFindings);
      const fired = new Set(runFindings.map((f) => f.detector));
      const ok = run.exit_code === 0 && run.failure === undefined;
      state = {
        ...state,
        open: state.open.filter((r) => r.run_id !== runId),
        endsLogged: true,
        runs: state.runs + 1,
        failures: state.failures + (ok ? 0 : 1),
        consecutiveFailures: ok ? 0 : state.consecutiveFailures + 1,
        lastEnd: { run_id: runId, at: event.at, exit_code: run.exit_code },
        outputs: ok && run.output_bytes !== undefined && ![...fired].some((d) => OUTPUT_FINDINGS.has(d)) ? pushBounded(state.outputs, run.output_bytes, window) : state.outputs,
        durations: ok && run.duration_ms !== undefined && ![...fired].some((d) => DURATION_FINDINGS.has(d)) ? pushBounded(state.durations, run.duration_ms, window) : state.durations,
      };
      remember(runId);
      touch(event.at);
      records.push({
        subject,
        subject_kind: 'job',
        run_id: runId,
        ts: isoTime(event.at),
        status: ok ? 'ok' : 'failed',
        exit_code: run.exit_code,
        duration_ms: run.duration_ms,
        output_bytes: run.output_bytes,
        host: run.host,
      });
    }
    return { state, findings, records };
  },
};
