import type { DetectorId } from '../detectors/ids.ts';
import {
  backupOutput,
  backupShrunkOutput,
  cacheWarmerOutput,
  EMPTY_REPORT_OUTPUT,
  invoiceOutput,
  REPORT_FAILURES,
  reportOutput,
  summarizeOutput,
  syncOutput,
  type ReportFailure,
  type SyncMode,
} from './job-outputs.ts';
import { hashSeed, Random } from './random.ts';
import { dailyAt, everyMinutes, monthSpan, utcDay, utcMinuteStamp, zoneOffsetMs, type MonthSpan } from './schedule.ts';

/**
 * The demo's data: a month of logs from five scheduled jobs, as CloudWatch Logs holds them, with
 * silent failures planted in it. Deterministic for a seed; the planted failures sit on fixed days
 * after a clean first week, so every baseline (min_history 5) is in place before they come.
 */

export const DEMO_MONTH = '2026-10';
export const DEMO_SEED = 20_261_001;

/** `lambda-console`: Node.js Lambda console lines with platform lines; `json-lines`: bare JSON and text, as a log agent ships a file. */
export type DemoLogFormat = 'lambda-console' | 'json-lines';

export interface DemoLogEvent {
  readonly timestamp: number;
  readonly message: string;
}

/** One log stream of one job's log group; a Lambda group has a stream per execution environment. */
export interface DemoLogStream {
  readonly job: string;
  readonly format: DemoLogFormat;
  readonly logGroup: string;
  readonly logStream: string;
  readonly events: DemoLogEvent[];
}

export interface PlantedFailure {
  /** The detector that must fire for this run. */
  readonly detector: DetectorId;
  readonly job: string;
  readonly run_id?: string;
  /** `YYYY-MM-DD`, UTC day of the scheduled start. */
  readonly day: string;
  readonly note: string;
  /** Detectors that may rightly fire for the same run as well (e.g. no expected pattern in an empty output). */
  readonly alsoMayFire?: readonly DetectorId[];
}

/** A run that looks suspicious to a careless detector and must not be flagged. */
export interface DemoControl {
  readonly job: string;
  readonly run_id: string;
  readonly day: string;
  readonly note: string;
  readonly mustNotFire: readonly DetectorId[];
}

export interface DemoMonth {
  readonly month: string;
  readonly seed: number;
  /** A config file's content (contract §2) for these jobs; valid per `validateConfig`. */
  readonly config: unknown;
  /** One entry per log stream, events in time order; several entries may share a log group. */
  readonly logGroups: DemoLogStream[];
  readonly planted: PlantedFailure[];
  readonly controls: DemoControl[];
}

export interface GenerateMonthOptions {
  /** `YYYY-MM` */
  readonly month: string;
  /** @default DEMO_SEED */
  readonly seed?: number;
  /** Write Lambda's START/END/REPORT/INIT_START lines, as Lambda always does. @default true */
  readonly lambdaPlatformLines?: boolean;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

interface LogNote {
  /** ms after the run's start; kept inside the run. */
  readonly afterMs: number;
  readonly level: 'INFO' | 'WARN' | 'ERROR';
  readonly text: string;
}

interface RunPlan {
  readonly exitCode: number;
  readonly durationMs: number;
  readonly output: string;
  readonly notes: readonly LogNote[];
  /** A Lambda that throws after logging `run.end` also logs the runtime's `Invoke Error` line. */
  readonly invokeError?: ReportFailure;
}

interface RunContext {
  readonly rng: Random;
  readonly scheduled: number;
  readonly day: string;
  /** The plant or control kind for this run, if any. */
  readonly kind?: string;
}

interface SpecialRun {
  readonly scheduled: number;
  readonly kind: string;
  readonly note: string;
  /** Present for a planted failure. */
  readonly detector?: DetectorId;
  readonly alsoMayFire?: readonly DetectorId[];
  /** Present for a control. */
  readonly mustNotFire?: readonly DetectorId[];
}

interface DemoJob {
  readonly name: string;
  readonly format: DemoLogFormat;
  readonly logGroup: string;
  readonly host: string;
  /** For `json-lines` jobs: the one stream the log agent writes (the instance id). */
  readonly logStream?: string;
  /** For Lambda jobs. */
  readonly memoryMb?: number;
  readonly config: Record<string, unknown>;
  starts(span: MonthSpan): number[];
  special(span: MonthSpan, starts: readonly number[]): SpecialRun[];
  plan(ctx: RunContext): RunPlan;
  /** How a `json-lines` job's ordinary (non-event) lines look. */
  formatNote?(at: number, note: LogNote): string;
}

// Helpers -------------------------------------------------------------------------------------

function at(span: MonthSpan, day: number, hour: number, minute: number): number {
  return Date.UTC(span.year, span.month - 1, Math.min(day, span.days), hour, minute);
}

/** The run of `starts` on a UTC day of the month (first one on or after that day). */
function runOnDay(span: MonthSpan, starts: readonly number[], day: number): number {
  const from = at(span, day, 0, 0);
  const found = starts.find((t) => t >= from);
  if (found === undefined) throw new RangeError(`no run on or after day ${day} of the month`);
  return found;
}

/** A cron-started job is a little late: mostly under 3 s, sometimes tens of seconds, never a minute. */
function startDelayMs(rng: Random): number {
  let delay = rng.int(150, 2_500);
  if (rng.chance(0.2)) delay += rng.int(3_000, 20_000);
  if (rng.chance(0.04)) delay += rng.int(20_000, 36_000);
  return Math.min(delay, 59_000);
}

function jittered(rng: Random, mean: number, relativeSd: number, relativeLimit: number): number {
  return Math.round(rng.jitter(mean, mean * relativeSd, mean * relativeLimit));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `2026-10-03 02:30:04` in a zone, as a local log formatter prints it. */
function wallClock(ms: number, timeZone: string): string {
  return iso(ms + zoneOffsetMs(ms, timeZone)).slice(0, 19).replace('T', ' ');
}

function spread(rng: Random, count: number, durationMs: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round(((i + 1) / (count + 1)) * durationMs + rng.int(-2_000, 2_000)));
}

// The jobs ------------------------------------------------------------------------------------

const BACKUP_BYTES = 6_963;
const BACKUP_DURATION_MS = 40 * MINUTE_MS;

const nightlyBackup: DemoJob = {
  name: 'nightly-backup',
  format: 'json-lines',
  logGroup: '/jobs/nightly-backup',
  logStream: 'i-0c3f5a7e9b1d24680',
  host: 'backup-01.internal',
  config: {
    schedule: '30 2 * * *',
    timezone: 'Europe/Berlin',
    grace_minutes: 20,
    max_runtime_minutes: 90,
    expect_pattern: 'uploaded \\d+ objects',
    owner: 'data-platform@example.com',
  },
  starts: (span) => dailyAt(span, 2, 30, 'Europe/Berlin'),
  special: (span, starts) => [
    ...[12, 13, 14].map((day) => ({
      scheduled: runOnDay(span, starts, day),
      kind: 'empty',
      detector: 'empty-output' as const,
      alsoMayFire: ['expected-pattern-missing' as const],
      note: 'stale NFS mount of /srv/data: the tool blocked on reads for the usual time, printed nothing and exited 0',
    })),
    {
      scheduled: runOnDay(span, starts, 19),
      kind: 'shrink',
      detector: 'output-shrink',
      note: 'the pre-backup database dump failed quietly: 3 small files uploaded, 400 B of output',
    },
    {
      scheduled: runOnDay(span, starts, 27),
      kind: 'dry-run',
      detector: 'expected-pattern-missing',
      note: 'BACKUP_DRY_RUN=1 left in the environment after a test: the tool listed what it would upload and wrote nothing',
    },
  ],
  plan({ rng, day, kind }) {
    const durationMs = jittered(rng, BACKUP_DURATION_MS, 0.04, 0.1);
    const targetBytes = jittered(rng, BACKUP_BYTES, 0.02, 0.045);
    const notes: LogNote[] = [{ afterMs: rng.int(40, 300), level: 'INFO', text: 'backup: repository s3://acme-backups-prod/nightly opened, lock acquired' }];
    let output: string;
    if (kind === 'empty') {
      output = '';
    } else if (kind === 'shrink') {
      output = backupShrunkOutput(rng, day);
      notes.push({ afterMs: rng.int(400, 900), level: 'INFO', text: 'backup: pre-backup hook: waiting for the database dump' });
      notes.push({ afterMs: durationMs - rng.int(40_000, 60_000), level: 'INFO', text: 'backup: pre-backup hook finished' });
    } else {
      output = backupOutput(rng, day, targetBytes, kind === 'dry-run' ? 'dry-run' : 'normal');
      const steps = Math.floor(durationMs / (5 * MINUTE_MS));
      spread(rng, steps, durationMs).forEach((afterMs, i) => {
        notes.push({ afterMs, level: 'INFO', text: `backup: ${Math.round(((i + 1) / (steps + 1)) * 100)}% done` });
      });
    }
    notes.push({ afterMs: durationMs - rng.int(100, 400), level: 'INFO', text: 'backup: lock released' });
    return { exitCode: 0, durationMs, output, notes };
  },
  formatNote: (ms, note) => `[${wallClock(ms, 'Europe/Berlin')}] ${note.level} ${note.text}`,
};

const SYNC_BYTES = 1_229;
const SYNC_DURATION_MS = 90_000;

const hourlySync: DemoJob = {
  name: 'hourly-sync',
  format: 'json-lines',
  logGroup: '/jobs/hourly-sync',
  logStream: 'i-07d2e4f6a8b0c1357',
  host: 'etl-02.internal',
  config: { schedule: '5 * * * *', grace_minutes: 10, max_runtime_minutes: 30, owner: 'data-platform@example.com' },
  starts: (span) => everyMinutes(span, 60, 5),
  special: (span) => [
    {
      scheduled: at(span, 9, 10, 5),
      kind: 'zero-errors',
      note: 'the output says "sync complete: 0 errors": an error count of zero is not an error',
      mustNotFire: ['error-keyword'],
    },
    ...[9, 10, 11, 12, 13].map((hour) => ({
      scheduled: at(span, 16, hour, 5),
      kind: 'slow',
      detector: 'duration-slow' as const,
      note: 'a warehouse vacuum held table locks all morning: the run took about 5x its usual 90 s',
    })),
    {
      scheduled: at(span, 20, 15, 5),
      kind: 'no-changes',
      detector: 'duration-fast',
      note: 'the connection pooler pointed at a stale standby: every table reported 0 changes and the run ended in 5 s',
    },
    {
      scheduled: at(span, 22, 4, 5),
      kind: 'traceback',
      detector: 'error-keyword',
      note: 'a statement timeout on the invoices table: the script printed a Python traceback, skipped the table and exited 0',
    },
  ],
  plan({ rng, scheduled, kind }) {
    const durationMs =
      kind === 'slow' ? jittered(rng, 5 * SYNC_DURATION_MS, 0.04, 0.1) : kind === 'no-changes' ? jittered(rng, 5_000, 0.04, 0.1) : jittered(rng, SYNC_DURATION_MS, 0.05, 0.15);
    const targetBytes = jittered(rng, SYNC_BYTES, 0.015, 0.03);
    const mode: SyncMode = kind === 'zero-errors' || kind === 'no-changes' || kind === 'traceback' ? kind : 'normal';
    const output = syncOutput(rng, iso(scheduled - HOUR_MS).slice(0, 16) + ':00Z', iso(scheduled).slice(0, 16) + ':00Z', targetBytes, mode);
    const notes: LogNote[] = [{ afterMs: rng.int(200, 600), level: 'INFO', text: `sync: window ${iso(scheduled - HOUR_MS).slice(11, 16)}Z..${iso(scheduled).slice(11, 16)}Z` }];
    if (kind === 'slow') notes.push({ afterMs: Math.round(durationMs * 0.6), level: 'WARN', text: `sync: slow query on orders (${(durationMs * 0.5 / 1000).toFixed(1)} s)` });
    if (kind === 'traceback') notes.push({ afterMs: Math.round(durationMs * 0.7), level: 'WARN', text: 'sync: table invoices skipped after a statement timeout' });
    notes.push({ afterMs: durationMs - rng.int(20, 200), level: 'INFO', text: 'sync: done' });
    return { exitCode: 0, durationMs, output, notes };
  },
  formatNote: (ms, note) => `${iso(ms).slice(0, 19).replace('T', ' ')},${iso(ms).slice(20, 23)} ${note.level === 'WARN' ? 'WARNING' : note.level} ${note.text}`,
};

const REPORT_DURATION_MS = 24_000;

/** The first weekday on or after a day of the month (the report runs Monday to Friday). */
function weekdayOnOrAfter(span: MonthSpan, day: number): number {
  for (let d = day; d <= span.days; d++) {
    const weekday = new Date(at(span, d, 0, 0)).getUTCDay();
    if (weekday !== 0 && weekday !== 6) return d;
  }
  return span.days;
}

const dailyReport: DemoJob = {
  name: 'daily-report',
  format: 'lambda-console',
  logGroup: '/aws/lambda/daily-report',
  host: 'daily-report.lambda.eu-central-1',
  memoryMb: 1024,
  config: { schedule: '0 7 * * 1-5', timezone: 'UTC', grace_minutes: 15, owner: 'sales-analytics@example.com' },
  starts: (span) => dailyAt(span, 7, 0, 'UTC', true),
  special: (span, starts) => [
    {
      scheduled: runOnDay(span, starts, weekdayOnOrAfter(span, 15)),
      kind: 'empty',
      detector: 'empty-output',
      note: 'the upstream sales partition was missing: the query returned no rows and the empty report {"rows": []} was mailed',
    },
    {
      scheduled: runOnDay(span, starts, weekdayOnOrAfter(span, 21)),
      kind: 'db-timeout',
      detector: 'run-failed',
      note: 'the database was unreachable (connect ETIMEDOUT): exit code 1',
    },
    {
      scheduled: runOnDay(span, starts, weekdayOnOrAfter(span, 29)),
      kind: 'mail-503',
      detector: 'run-failed',
      note: 'the mail API answered 503 three times: exit code 1',
    },
  ],
  plan({ rng, day, kind }) {
    const failure = kind === 'db-timeout' || kind === 'mail-503' ? REPORT_FAILURES[kind] : undefined;
    const durationMs = kind === 'db-timeout' ? jittered(rng, 10_050, 0.005, 0.01) : jittered(rng, REPORT_DURATION_MS, 0.05, 0.15);
    const notes: LogNote[] = [{ afterMs: rng.int(150, 400), level: 'INFO', text: `querying sales_daily for the business day before ${day}` }];
    if (failure) return { exitCode: 1, durationMs, output: failure.output, notes, invokeError: failure };
    const output = kind === 'empty' ? EMPTY_REPORT_OUTPUT : reportOutput(rng);
    const rows = kind === 'empty' ? 0 : 24;
    notes.push({ afterMs: Math.round(durationMs * 0.8), level: 'INFO', text: `rendered ${rows} rows` });
    notes.push({ afterMs: durationMs - rng.int(50, 300), level: 'INFO', text: 'report sent to sales-leads@example.com' });
    return { exitCode: 0, durationMs, output, notes };
  },
};

const invoiceExport: DemoJob = {
  name: 'invoice-export',
  format: 'lambda-console',
  logGroup: '/aws/lambda/invoice-export',
  host: 'invoice-export.lambda.eu-central-1',
  memoryMb: 512,
  config: { schedule: '0 23 * * *', grace_minutes: 15, owner: 'finance-eng@example.com' },
  starts: (span) => dailyAt(span, 23, 0, 'UTC'),
  special: (span, starts) => [
    {
      scheduled: runOnDay(span, starts, 24),
      kind: 'missed',
      detector: 'missed-run',
      note: 'the EventBridge rule was disabled during a deploy and re-enabled a day later: the 23:00 export never ran',
    },
  ],
  plan({ rng, day }) {
    const durationMs = jittered(rng, 150_000, 0.05, 0.15);
    const output = invoiceOutput(rng, day);
    const pages = Number(/\((\d+) pages\)/.exec(output)?.[1] ?? 3);
    const notes: LogNote[] = spread(rng, pages, durationMs * 0.8).map((afterMs, i) => ({ afterMs, level: 'INFO' as const, text: `fetching page ${i + 1}/${pages} from billing-api` }));
    notes.push({ afterMs: durationMs - rng.int(100, 800), level: 'INFO', text: 'upload complete' });
    return { exitCode: 0, durationMs, output, notes };
  },
};

const cacheWarmer: DemoJob = {
  name: 'cache-warmer',
  format: 'lambda-console',
  logGroup: '/aws/lambda/cache-warmer',
  host: 'cache-warmer.lambda.eu-central-1',
  memoryMb: 256,
  config: { schedule: '*/15 * * * *', grace_minutes: 5, owner: 'web-platform@example.com' },
  starts: (span) => everyMinutes(span, 15),
  special: () => [],
  plan({ rng }) {
    const durationMs = jittered(rng, 2_400, 0.08, 0.25);
    return { exitCode: 0, durationMs, output: cacheWarmerOutput(rng, durationMs), notes: [] };
  },
};

const DEMO_JOBS: readonly DemoJob[] = [nightlyBackup, hourlySync, dailyReport, invoiceExport, cacheWarmer];

// Rendering -----------------------------------------------------------------------------------

/** Appends lines to a stream, each a few ms after its own time, never out of order. */
class StreamWriter {
  private last = 0;
  constructor(
    readonly stream: DemoLogStream,
    private readonly rng: Random,
  ) {}

  write(at: number, message: string): void {
    this.last = Math.max(this.last, at + this.rng.int(0, 2));
    this.stream.events.push({ timestamp: this.last, message });
  }
}

interface RunEvents {
  readonly runStart: Record<string, unknown>;
  readonly runEnd: Record<string, unknown>;
}

function runEvents(job: DemoJob, runId: string, start: number, plan: RunPlan): RunEvents {
  const end = start + plan.durationMs;
  return {
    runStart: { type: 'run.start', ts: iso(start), job: job.name, run_id: runId, host: job.host },
    runEnd: {
      type: 'run.end',
      ts: iso(end),
      job: job.name,
      run_id: runId,
      exit_code: plan.exitCode,
      duration_ms: plan.durationMs,
      ...summarizeOutput(plan.output),
      host: job.host,
    },
  };
}

function sortedNotes(plan: RunPlan): LogNote[] {
  return plan.notes
    .map((n) => ({ ...n, afterMs: Math.min(plan.durationMs - 1, Math.max(1, n.afterMs)) }))
    .sort((a, b) => a.afterMs - b.afterMs);
}

/** Lines of a job that runs on a host and logs to a file a log agent ships: bare JSON and text. */
function renderJsonLinesJob(job: DemoJob, runs: readonly PlannedRun[], rng: Random): DemoLogStream[] {
  const stream: DemoLogStream = { job: job.name, format: job.format, logGroup: job.logGroup, logStream: job.logStream ?? job.name, events: [] };
  const out = new StreamWriter(stream, rng);
  for (const run of runs) {
    const { runStart, runEnd } = runEvents(job, run.runId, run.start, run.plan);
    out.write(run.start, JSON.stringify(runStart));
    for (const note of sortedNotes(run.plan)) {
      const t = run.start + note.afterMs;
      out.write(t, job.formatNote ? job.formatNote(t, note) : note.text);
    }
    out.write(run.start + run.plan.durationMs, JSON.stringify(runEnd));
  }
  return [stream];
}

interface ExecutionEnvironment {
  readonly out: StreamWriter;
  readonly bornAt: number;
  readonly maxAgeMs: number;
  readonly idleLimitMs: number;
  lastEnd: number;
}

/**
 * Lines of a Node.js Lambda function: console lines `time\trequest-id\tLEVEL\tmessage\n` between
 * the platform's START, END and REPORT lines, a new log stream for each execution environment.
 */
function renderLambdaJob(job: DemoJob, runs: readonly PlannedRun[], rng: Random, platformLines: boolean): DemoLogStream[] {
  const streams: DemoLogStream[] = [];
  const runtimeHash = new Random(hashSeed(job.name)).hex(64);
  let env: ExecutionEnvironment | undefined;
  for (const run of runs) {
    const warm = env !== undefined && run.start - env.lastEnd <= env.idleLimitMs && run.start - env.bornAt <= env.maxAgeMs;
    const initMs = rng.jitter(420, 60, 180);
    if (!warm || !env) {
      const stream: DemoLogStream = {
        job: job.name,
        format: job.format,
        logGroup: job.logGroup,
        logStream: `${utcDay(run.start).replaceAll('-', '/')}/[$LATEST]${rng.hex(32)}`,
        events: [],
      };
      streams.push(stream);
      env = { out: new StreamWriter(stream, rng), bornAt: run.start, maxAgeMs: rng.int(2, 6) * HOUR_MS, idleLimitMs: rng.int(20, 60) * MINUTE_MS, lastEnd: run.start };
      if (platformLines) {
        env.out.write(run.start - Math.round(initMs) - 2, `INIT_START Runtime Version: nodejs:20.v48\tRuntime Version ARN: arn:aws:lambda:eu-central-1::runtime:${runtimeHash}\n`);
      }
    }
    const out = env.out;
    const requestId = rng.uuid();
    const log = (t: number, level: string, message: string) => out.write(t, `${iso(t)}\t${requestId}\t${level}\t${message}\n`);
    if (platformLines) out.write(run.start, `START RequestId: ${requestId} Version: $LATEST\n`);
    const handlerStart = run.start + rng.int(1, 4);
    const { runStart, runEnd } = runEvents(job, run.runId, handlerStart, run.plan);
    log(handlerStart, 'INFO', JSON.stringify(runStart));
    for (const note of sortedNotes(run.plan)) log(handlerStart + note.afterMs, note.level, note.text);
    const handlerEnd = handlerStart + run.plan.durationMs;
    log(handlerEnd, 'INFO', JSON.stringify(runEnd));
    const error = run.plan.invokeError;
    if (error) {
      log(handlerEnd + 1, 'ERROR', `Invoke Error \t${JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, stack: error.stack })}`);
    }
    const invocationEnd = handlerEnd + rng.int(1, 3) + (error ? 1 : 0);
    if (platformLines) {
      const durationMs = invocationEnd - run.start + rng.int(0, 99) / 100;
      const init = warm ? '' : `Init Duration: ${initMs.toFixed(2)} ms\t`;
      out.write(invocationEnd, `END RequestId: ${requestId}\n`);
      out.write(
        invocationEnd,
        `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\tMemory Size: ${job.memoryMb} MB\tMax Memory Used: ${rng.int(70, 140)} MB\t${init}\n`,
      );
    }
    env.lastEnd = invocationEnd;
  }
  return streams;
}

interface PlannedRun {
  readonly runId: string;
  readonly scheduled: number;
  readonly start: number;
  readonly plan: RunPlan;
}

// The month -----------------------------------------------------------------------------------

export function generateMonth(opts: GenerateMonthOptions): DemoMonth {
  const span = monthSpan(opts.month);
  const seed = opts.seed ?? DEMO_SEED;
  const logGroups: DemoLogStream[] = [];
  const planted: PlantedFailure[] = [];
  const controls: DemoControl[] = [];

  for (const job of DEMO_JOBS) {
    const rng = new Random(hashSeed(job.name, seed));
    const starts = job.starts(span);
    const special = new Map(job.special(span, starts).map((s) => [s.scheduled, s]));
    const runs: PlannedRun[] = starts.flatMap((scheduled) => {
      const runId = `${job.name}-${utcMinuteStamp(scheduled)}`;
      const day = utcDay(scheduled);
      const s = special.get(scheduled);
      if (s?.kind === 'missed') {
        // A run that never happened writes no line at all: only the schedule says it was due.
        planted.push({ detector: s.detector ?? 'missed-run', job: job.name, day, note: s.note });
        return [];
      }
      if (s?.detector) planted.push({ detector: s.detector, job: job.name, run_id: runId, day, note: s.note, ...(s.alsoMayFire ? { alsoMayFire: s.alsoMayFire } : {}) });
      if (s?.mustNotFire) controls.push({ job: job.name, run_id: runId, day, note: s.note, mustNotFire: s.mustNotFire });
      const start = scheduled + startDelayMs(rng);
      return [{ runId, scheduled, start, plan: job.plan({ rng, scheduled, day, kind: s?.kind }) }];
    });
    const streams = job.format === 'lambda-console' ? renderLambdaJob(job, runs, rng, opts.lambdaPlatformLines ?? true) : renderJsonLinesJob(job, runs, rng);
    logGroups.push(...streams);
  }

  planted.sort((a, b) => a.day.localeCompare(b.day) || a.job.localeCompare(b.job) || (a.run_id ?? '').localeCompare(b.run_id ?? ''));
  return { month: opts.month, seed, config: demoConfig(), logGroups, planted, controls };
}

/** The config file for the demo jobs (contract §2). */
export function demoConfig(): Record<string, unknown> {
  return {
    defaults: { min_history: 5, baseline_window: 20, output_shrink_ratio: 0.3, alert_cooldown_minutes: 360 },
    jobs: Object.fromEntries(DEMO_JOBS.map((job) => [job.name, structuredClone(job.config)])),
    deploy: { log_groups: DEMO_JOBS.map((job) => job.logGroup) },
  };
}
