import { fstatSync, realpathSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { defaultCloudWatchLogsClient } from '../adapters/cloudwatch-log-reader.ts';
import { InputError, type ReaderCommand } from '../adapters/file-lines.ts';
import type { Config } from '../config.ts';
import { registryForBatch } from '../core/exception-registry.ts';
import { type Finding, findingKey, isoTime } from '../core/findings.ts';
import { subscriptionFilterPattern } from '../core/filter-pattern.ts';
import { describeCounts, emptyCounts, type LineTally, linesCount } from '../core/line-tally.ts';
import { awaitsLaterLine, ERROR_TYPE_LOOKAHEAD_MS, judgeAbsence, jobReducer, type JobState, type JobSummary, MAX_HOSTS, maxRuntimeOf, runsGoingOn, summarizeJobs } from '../core/job-reducer.ts';
import { type AgentState, agentTreeReducer, firedId, type JudgedRoot } from '../core/agent-reducer.ts';
import { sweepAgentRoots } from '../core/agent-sweep.ts';
import { buildTreeSnapshot, DEFAULT_STALE_OPTIONS } from '../core/agent-tree.ts';
import { RunCache } from '../core/agent-tree-loader.ts';
import { asMark, MAX_ROLLED_BYTES, MAX_ROLLED_RUNS } from '../core/agent-run.ts';
import { type BatchResult, processBatch, type ReduceContext, type SubjectReducer, subjectKey, sweepSubjects } from '../core/pipeline.ts';
import { REDUCERS } from '../core/reducers.ts';
import { latestWindowsJudgedAt, REQUEST_HORIZON_MS, routeReducer, type RouteState, SWEEP_MARGIN_MS, settledRouteReducer } from '../core/route-reducer.ts';
import { redactorFor } from '../core/redact.ts';
import { formatSpan, plural } from '../core/report/format.ts';
import { escapeControls, terminalText } from '../core/terminal-text.ts';
import { coarserGapNote, suggestedGraceMinutes } from '../core/schedule.ts';
import { textTable } from '../core/text-table.ts';
import { localTimeNote } from '../core/wall-clock.ts';
import type { AuditEvent } from '../core/events.ts';
import type { LineCounts, StateStore, SubjectCatalog } from '../ports.ts';
import { MemoryExceptionStore } from '../adapters/memory-exception-store.ts';
import { describeSources, fileSource, logGroupSource, type ScanSource } from './scan-sources.ts';
import { ScanStore } from './scan-store.ts';
import { enrichWithContext, JobLogsEnd, type MergeStats, type SourceReadout, streamSources, unrecognisedAfterAll } from './scan-stream.ts';
import { type OpenedStore, openStore } from './stores.ts';
import { compareNames } from '../core/name-order.ts';
import { ordinal } from '../core/ordinal.ts';

export { jobNameOfFile } from './scan-sources.ts';

/** How far back `--log-group` reads by default. */
export const DEFAULT_SCAN_SINCE_MS = 7 * 86_400_000;

export interface ScanOptions {
  readonly paths: readonly string[];
  /** CloudWatch log groups to read besides the files (FilterLogEvents, with the stack's subscription filter pattern). */
  readonly logGroups?: readonly string[];
  /** Epoch ms: read log groups from here; default 7 days ago. */
  readonly since?: number;
  readonly logsClient?: CloudWatchLogsClient;
  readonly config: Config;
  readonly json: boolean;
  /** Epoch ms at which absence is judged; default the latest event time seen. */
  readonly now?: number;
  readonly year?: number;
  /** The IANA zone a file's zoneless times (syslog dates, a `ts` without offset) are read in (`--timezone`); default UTC. */
  readonly timeZone?: string;
  readonly store?: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin?: Readable;
  /** `--function`: the Lambda function whose platform lines stdin (or a process substitution, or a log group not /aws/lambda/NAME) holds; a file's is its base name. */
  readonly functionName?: string;
  /** Events per chunk of the streaming merge. @default DEFAULT_CHUNK_EVENTS */
  readonly chunkEvents?: number;
}

export interface ScanResult {
  readonly exitCode: 0 | 1 | 2;
  readonly findings: readonly Finding[];
  readonly counts: LineCounts;
  /** How the sources were merged and chunked (absent when the scan stopped on an input error). */
  readonly stream?: MergeStats;
}

/**
 * Work still in flight when the input ends: route requests waiting for a retry (a request is
 * counted once its route has heard nothing of it for 5 minutes), agent runs that never logged
 * their end (judged once their tree has been quiet for an hour) and job runs that have not logged
 * theirs (judged `run-unfinished` past their max runtime). The scan's last sweep runs at
 * `now`, the latest event by default, so what the log's last minutes left open stays open.
 */
export interface InFlight {
  /** Epoch ms the scan judged at: `now`, else the latest event. */
  readonly at: number;
  readonly requests: number;
  /** Routes whose latest requests are counted but whose day window holding them is not judged yet (`latestWindowsJudgedAt`). */
  readonly routeWindows: number;
  /** Epoch ms: when the sweep has judged those windows of every such route, the latest (undefined without one). */
  readonly routeWindowsJudgedAt?: number;
  /** Root runs not judged yet (their own, or a sub-agent's, end never came). */
  readonly agentRuns: number;
  /** Job runs whose end has not come, within their max runtime (past it they are `run-unfinished`). */
  readonly jobRuns: number;
}

/**
 * Settling what is still in flight when the input ends, as of `at`, beyond the last sweep at `now`.
 * Only work the log shows is settled: route requests are closed and counted and the retry windows
 * ending by `at` judged; agent trees are judged as they stand. Absence (missed and unfinished job
 * runs) is not judged here: it stays where the input ends, since a file that ends says nothing about runs after it.
 */
export interface InFlightSettlement {
  /** Epoch ms. */
  readonly at: number;
  /**
   * Nothing more will come before `at` (a month that is over): every request last heard of before
   * `at` is closed, every window ending by it judged, every agent tree with no line after it judged.
   * Otherwise the rules of the deployed sweep at `at`: a request is closed 20 minutes after its
   * last attempt (5 of quiet and 15 of margin for lines on their way), a tree that never ended is
   * judged after an hour with no line.
   */
  readonly complete: boolean;
}

/** What reading the sources into a store gave: the store stays open for the caller, who closes it. */
export type ScanToStoreResult =
  | { readonly ok: false; readonly error: string; readonly counts: LineCounts }
  | {
      readonly ok: true;
      readonly findings: Finding[];
      readonly tally: LineTally;
      readonly sources: readonly ScanSource[];
      readonly opened: OpenedStore;
      /** How the sources were merged and chunked. */
      readonly stream: MergeStats;
      /** What was left open after the last sweep (and the settlement, if asked for). */
      readonly inFlight: InFlight;
      /** Events later than `upTo`, left out (0 without `upTo`). */
      readonly leftOut: number;
      /** Epoch ms: when absence (missed and unfinished runs) was judged (`absenceJudgedAt`). */
      readonly judgedAt: number;
      /** What each source gave (`sourceNotes` says those that gave nothing to judge). */
      readonly readouts: readonly SourceReadout[];
      /** The jobs the lines read named (a store's other jobs are not among them). */
      readonly jobsSeen: ReadonlySet<string>;
      /** Per job, its runs read that were older than the latest 1,000 its stored state remembers: taken as counted, not judged (`Reduction.olderThanHistory`). */
      readonly olderThanHistory: ReadonlyMap<string, number>;
      /** Per agent run id, its earlier runs one batch started again past those its aggregate keeps to judge: not judged (`Reduction.olderThanHistory`). */
      readonly agentRunsUnjudged: ReadonlyMap<string, number>;
    };

/** How much log time the scan lets pass between two sweeps (the deployed sweep runs every 5 minutes). */
const SWEEP_EVERY_MS = 60 * 60_000;

/**
 * How far the hourly sweeps may judge a job's absence, or an agent's open roots, behind the scan's
 * time: each is judged as of its own latest line (HOURLY_SWEEP_REDUCERS, `agentSeen` in scanToStore).
 */
const SWEEP_LAG_MS = 7 * 24 * 60 * 60_000;

/**
 * The reducers of the scan's hourly sweeps: a job's absence is judged there as of its own latest
 * event (and at most a week behind the scan), and up to `--now` in the last sweep. A file is read
 * in time order only as far as it is written so: in two hosts' logs one after the other, the
 * second host's jobs are read hours behind the first's, and a sweep as of the first's time took
 * their runs still to be read for missed runs and their open runs for unfinished ones. A job that
 * stopped is judged missed from its last run on by the later sweeps, at its expected times as before.
 */
const HOURLY_JOB_SWEEP: SubjectReducer<unknown> = {
  ...(jobReducer as SubjectReducer<unknown>),
  tick: (state: unknown, subject: string, ctx: ReduceContext) => {
    const now = ctx.clock.now();
    const seen = Math.max((state as JobState).lastSeenAt ?? Number.NEGATIVE_INFINITY, now - SWEEP_LAG_MS);
    // The sweep's own time stays its clock: a schedule changed in the config since a scan before is first seen now, not at the job's latest line.
    return judgeAbsence(state as JobState, subject, ctx, seen);
  },
};
const HOURLY_SWEEP_REDUCERS: readonly SubjectReducer<unknown>[] = REDUCERS.map((reducer) => (reducer === (jobReducer as SubjectReducer<unknown>) ? HOURLY_JOB_SWEEP : reducer));

/**
 * The longest stretch of log time the scan goes without sweeping the jobs: a sweep looks back at
 * most 35 days (MAX_LOOKBACK_MS in job-reducer.ts), so in a log with weeks between its events
 * (a monthly job's lines), the jobs are swept as of every week in between, as the deployed sweep
 * runs every 5 minutes whether lines come or not; else the expected times of a job that stopped
 * fell out of the look-back between two sweeps and were never reported.
 */
const JOB_SWEEP_GAP_MS = 7 * 24 * 60 * 60_000;

/**
 * A chunk's events (in time order, but for a source's late lines) cut where their time enters
 * the next `everyMs` of log time: the batches the scan runs and sweeps after. As a chunk is
 * (`cutBefore` in scan-stream.ts), a slice is not cut in the ERROR_TYPE_LOOKAHEAD_MS after a line
 * that takes what a later line says in its batch (`awaitsLaterLine`: the runtime's Invoke Error line
 * at 02:59:59.99 takes the error type of its REPORT at 03:00:00.03): that line and those after it go
 * to the next slice, so that the findings never depend on where the batches are cut.
 */
function logTimeSlices(events: readonly AuditEvent[], everyMs: number): AuditEvent[][] {
  const slices: AuditEvent[][] = [];
  let from = 0;
  let until = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < events.length; i++) {
    const at = events[i].at;
    if (at < until) continue;
    if (i > from) {
      const cut = heldBackFrom(events, from, i, until - ERROR_TYPE_LOOKAHEAD_MS);
      if (cut > from) slices.push(events.slice(from, cut));
      from = cut;
    }
    until = (Math.floor(at / everyMs) + 1) * everyMs;
  }
  if (from < events.length) slices.push(events.slice(from));
  return slices;
}

/** Where to end a slice of `events[from..to)`: at its earliest line from `lookFrom` on that awaits a later line (`awaitsLaterLine`), else at `to`. */
function heldBackFrom(events: readonly AuditEvent[], from: number, to: number, lookFrom: number): number {
  let cut = to;
  for (let j = to - 1; j >= from && events[j].at >= lookFrom; j--) if (awaitsLaterLine(events[j])) cut = j;
  return cut;
}

/**
 * The paths less the second names of a file already given (`x.log ./x.log`, a link to it; `-`
 * twice; `-` and the file or `/dev/stdin` it is redirected from, when `stdinIsFd0`), the first
 * kept, each one left out told to `note`: a file read twice counts its lines twice (an agent's
 * actions, against its budget), and stdin read by two readers at once gives each part of it, lines
 * cut in two. A path that cannot be read is kept: its reader says why.
 */
export function distinctPaths(paths: readonly string[], note: (text: string) => void, stdinIsFd0 = true): string[] {
  const firstOf = new Map<string, string>();
  const kept: string[] = [];
  let stdinNoted = false;
  const named = (path: string) => (path === '-' ? '- (stdin)' : path);
  for (const path of paths) {
    const identity = path === '-' ? stdinIdentity(stdinIsFd0) : fileIdentity(path);
    const first = firstOf.get(identity);
    if (first === undefined) {
      firstOf.set(identity, path);
      kept.push(path);
    } else if (path !== '-' || first !== '-') {
      note(`${named(path)} is ${named(first)} again: read once`);
    } else if (!stdinNoted) {
      note('- (stdin) is given more than once: read once');
      stdinNoted = true;
    }
  }
  return kept;
}

/** What a path names, the same for every name of one file: its device and inode, else the path as given. */
function fileIdentity(path: string): string {
  try {
    const { dev, ino } = statSync(path, { bigint: true });
    return ino === 0n ? `path:${realpathSync(path)}` : `file:${dev}:${ino}`;
  } catch {
    return `path:${path}`;
  }
}

/**
 * What `-` names: when it reads file descriptor 0, the file, pipe or terminal there (its device and
 * inode, as `fileIdentity` gives them: `scan x.log - < x.log`, `scan - /dev/stdin`), else stdin alone.
 */
function stdinIdentity(isFd0: boolean): string {
  if (!isFd0) return 'stdin';
  try {
    const { dev, ino } = fstatSync(0, { bigint: true });
    return ino === 0n ? 'stdin' : `file:${dev}:${ino}`;
  } catch {
    return 'stdin';
  }
}

/**
 * The scan's pipeline without its printing: streams the files and log groups (a bad path fails
 * fast, before the store is opened), merging them by event time into chunks that run through the
 * pipeline as they arrive, an hour of log time at a time, each swept after it (absence), against
 * the scan's state in memory; then a last sweep at `now`, and the findings marked alerted. With
 * a persistent store, the state starts from what is stored and is written back once at the end
 * (`ScanStore`). `scan` prints what it found; `report` builds the
 * month's report from the same store, and settles what was still in flight when the input ended
 * (`settle`). `keepRecords: false` drops run records a memory store would keep. `upTo` (epoch ms)
 * leaves out the events later than it, as if the input ended there: the scan or report as of
 * `--now` (a report's: else as of its clock). Absence is judged at `now` (scan's), or with `toInputEnd` up to what the input covers,
 * its latest event, `upTo` at most (report's: `absenceJudgedAt`).
 * `command` is the one the hints for a file it cannot read pipe it into (default `scan`).
 * `readPastUnopened` (scan's): a file that cannot be opened is counted, not an error (`StreamOptions`).
 */
export async function scanToStore(
  opts: Omit<ScanOptions, 'json' | 'stdout'>,
  options: { readonly keepRecords?: boolean; readonly settle?: InFlightSettlement; readonly upTo?: number; readonly toInputEnd?: boolean; readonly command?: ReaderCommand; readonly readPastUnopened?: boolean } = {},
): Promise<ScanToStoreResult> {
  const empty: LineCounts = emptyCounts();
  let sources: ScanSource[];
  try {
    // `-` reads fd 0 unless another stream is given for it (the tests'): only then is it the file there.
    const stdinIsFd0 = opts.stdin === undefined || opts.stdin === process.stdin;
    sources = distinctPaths(opts.paths, (note) => opts.stderr.write(`silent-audit: ${terminalText(note)}\n`), stdinIsFd0).map((p) => fileSource(p, opts.stdin, options.command, opts.functionName));
  } catch (error) {
    if (error instanceof InputError) return { ok: false, error: error.message, counts: empty };
    throw error;
  }
  if (opts.logGroups?.length) {
    const client = opts.logsClient ?? defaultCloudWatchLogsClient();
    const since = opts.since ?? Date.now() - DEFAULT_SCAN_SINCE_MS;
    for (const logGroup of opts.logGroups) sources.push(logGroupSource(client, { logGroup, since, filterPattern: subscriptionFilterPattern() }, opts.functionName));
  }
  // Syslog dates carry no year: a date in the future steps back one (contract §1b). The future
  // is the clock's, or a later --now's; an earlier --now does not date the log lines after it a year
  // older (into the scan): they are this year's, left out by scan, report and init (`upTo`), read by mcp.
  const yearNow = Math.max(opts.now ?? Number.NEGATIVE_INFINITY, Date.now());

  // One scan at a time on a `local` store: two saving the same subjects at once would refuse each other's save.
  const exclusive = { onWait: (waiting: string) => opts.stderr.write(`silent-audit: ${terminalText(waiting)}\n`) };
  const opened = await openStore(opts.store, { redact: opts.config.redact, runRetentionDays: opts.config.deploy.run_retention_days, exclusive });
  const store = new ScanStore(opened.persistent ? opened.store : undefined, { keepRecords: opened.persistent || (options.keepRecords ?? true) });
  // Without a persistent store, the registry's bypass counts come from the scan's own guard states.
  const exceptions = opened.persistent ? opened.exceptions : new MemoryExceptionStore(store, { redact: opts.config.redact });
  try {
    const findings: Finding[] = [];
    let registry: Awaited<ReturnType<typeof registryForBatch>>;
    let registryRead = false;
    // Each chunk is judged an hour of log time at a time, as of its latest event (never past
    // --now), as the deployed ingest sees a batch, and then swept as of that time, as the deployed
    // sweep runs between batches: a job's state keeps its latest start times only, so absence is
    // judged while they are there (each job as of its own latest event: HOURLY_SWEEP_REDUCERS).
    // Where the logs that carry each job end: its missed runs after that are folded (foldMissedAfterLogsEnd).
    const jobLogs = new JobLogsEnd();
    let chunkNow = Number.NEGATIVE_INFINITY;
    const chunkClock = { now: () => chunkNow };
    // Likewise an agent's open roots are judged in the hourly sweeps as of its own latest line (at
    // most a week behind the scan), and up to `--now` in the last sweep: in two services' agent logs
    // one after the other, the second's roots, read hours behind the first's, were judged quiet
    // (stale, their budget counted as it stood) while the rest of their trees was still to be read.
    // A root is judged as of its tree's latest line when that is later (`orTreeLatest`): the root of
    // sub-agents named otherwise has its own latest line at its start, and a loop under it was seen
    // only at the last sweep. The tree's own lines never have it judged quiet.
    const agentSeen = new Map<string, number>();
    const jobsSeen = new Set<string>();
    const olderThanHistory = new Map<string, number>();
    const agentRunsUnjudged = new Map<string, number>();
    // Lines the job states told were none of their job's (`BatchResult.otherFunctionLines`): counted unrecognised, in their sources too.
    const otherFunctionLines: string[] = [];
    const agentJudgedAt = (agent: string) => Math.max(agentSeen.get(agent) ?? Number.NEGATIVE_INFINITY, chunkNow - SWEEP_LAG_MS);
    // The jobs are swept at least every JOB_SWEEP_GAP_MS of log time, up to `until`.
    let sweptAt: number | undefined;
    const sweepJobsUpTo = async (until: number) => {
      for (; sweptAt !== undefined && until - sweptAt > JOB_SWEEP_GAP_MS; sweptAt += JOB_SWEEP_GAP_MS) {
        const at = sweptAt + JOB_SWEEP_GAP_MS;
        findings.push(...(await sweepSubjects([HOURLY_JOB_SWEEP], store, { config: opts.config, clock: { now: () => at }, exceptions: registry })).findings);
      }
      sweptAt = Math.max(sweptAt ?? until, until);
    };
    let streamed;
    let leftOut = 0;
    const upTo = options.upTo;
    try {
      streamed = await streamSources(sources, { year: opts.year, timeZone: opts.timeZone, now: yearNow, progress: opts.stderr, chunkEvents: opts.chunkEvents, redactor: redactorFor(opts.config), readPastUnopened: options.readPastUnopened, jobLogs }, async (chunk, context) => {
        const enriched = enrichWithContext(chunk, context, REDUCERS, opts.config);
        const kept = upTo === undefined ? enriched : enriched.filter((e) => e.at <= upTo);
        leftOut += enriched.length - kept.length;
        for (const events of logTimeSlices(kept, SWEEP_EVERY_MS)) {
          chunkNow = Math.min(opts.now ?? Number.POSITIVE_INFINITY, Math.max(chunkNow, events[events.length - 1].at));
          if (!registryRead && events.some((e) => e.body.type === 'guard.bypass')) {
            registry = await registryForBatch(events, exceptions, opts.config, chunkClock);
            registryRead = true;
          }
          const ctx = { config: opts.config, clock: chunkClock, exceptions: registry };
          await sweepJobsUpTo(chunkNow);
          for (const e of events) {
            const agent = e.body.type.startsWith('agent.') ? (e.body as { readonly agent?: unknown }).agent : undefined;
            if (typeof agent === 'string' && e.at > (agentSeen.get(agent) ?? Number.NEGATIVE_INFINITY)) agentSeen.set(agent, e.at);
            const job = agent === undefined ? jobReducer.subjectOf(e) : undefined;
            if (job !== undefined) jobsSeen.add(job);
          }
          const batch = await processBatch(events, REDUCERS, store, ctx);
          findings.push(...batch.findings);
          if (batch.otherFunctionLines) otherFunctionLines.push(...batch.otherFunctionLines);
          for (const { subject_kind, subject, runs } of batch.olderThanHistory ?? []) {
            const older = subject_kind === 'agent' ? agentRunsUnjudged : olderThanHistory;
            older.set(subject, (older.get(subject) ?? 0) + runs);
          }
          findings.push(...(await sweepSubjects(HOURLY_SWEEP_REDUCERS, store, ctx)).findings);
          findings.push(...(await sweepAgentRoots(store, ctx, DEFAULT_STALE_OPTIONS, agentJudgedAt, { orTreeLatest: true })).findings);
        }
      });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      await opened.close();
      return { ok: false, error: error.message, counts: empty };
    }
    streamed.tally.unrecognisedAfterAll(otherFunctionLines.length);
    const readouts = unrecognisedAfterAll(streamed.readouts, otherFunctionLines);
    // Not after `upTo`: the lines after it were left out (a report's time, --now or the clock's).
    const now = absenceJudgedAt(opts.now ?? upTo, streamed.stats.latest, options.toInputEnd ?? false);
    await sweepJobsUpTo(now);
    // Absence (missed and unfinished runs) is judged at `now`, as the deployed sweep would; and,
    // every line read, the older history read after a job was judged (historyRead), not before:
    // the hourly sweeps ran with part of it still to be read.
    const sweepCtx = { config: opts.config, clock: { now: () => now }, exceptions: registry, historyRead: true };
    const swept = await sweepSubjects(REDUCERS, store, sweepCtx);
    swept.findings.push(...(await sweepMissedRunsLeft(swept.findings, store, sweepCtx)));
    // Agent trees whose root never ended, judged as the deployed sweep would; a finished tree that
    // waits for a parent that may yet turn up is judged now: every line has been read.
    const roots = await sweepAgentRoots(store, sweepCtx, { ...DEFAULT_STALE_OPTIONS, settleMs: 0, orphanSettleMs: 0 });
    findings.push(...swept.findings, ...roots.findings);
    if (options.settle) findings.push(...(await settleInFlight(store, { config: opts.config, clock: sweepCtx.clock, exceptions: registry }, options.settle)).findings);
    const inFlight = await inFlightIn(store, now, opts.config);
    await noteStoredLogsEnds(findings, jobLogs, store);
    findings.sort((a, b) => a.ts.localeCompare(b.ts) || a.detector.localeCompare(b.detector));
    // The scan shows its findings to the user: that is their alert, so none stays pending.
    for (const f of findings) await store.markAlerted(findingKey(f));
    await store.writeBack();
    const result = opened.persistent ? opened : { ...opened, store, exceptions };
    return { ok: true, findings: foldMissedAfterLogsEnd(findings, jobLogs, now), tally: streamed.tally, sources, opened: result, stream: streamed.stats, inFlight, leftOut, judgedAt: now, readouts, jobsSeen, olderThanHistory, agentRunsUnjudged };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/**
 * When a scan judges absence (missed and unfinished runs): at `--now`, else at the latest event.
 * `toInputEnd` (the report's): only up to what the input covers, its latest event up to `--now`:
 * a file that ends says nothing about the runs after it.
 */
function absenceJudgedAt(now: number | undefined, latest: number, toInputEnd: boolean): number {
  if (toInputEnd) return Math.min(now ?? latest, latest);
  return now ?? latest;
}

/**
 * Events after the time a scan or report is made as of (`upTo`), left out of it: said, with how
 * many and that time, `--now`'s or, when none was given (`nowGiven` false: a report's, as of the
 * clock), now's: lines dated in the future are never dropped unsaid.
 */
export function leftOutNote(leftOut: number, asOf: number | undefined, command: 'scan' | 'report' | 'init', nowGiven = true): string | undefined {
  if (leftOut === 0 || asOf === undefined) return undefined;
  return `${plural(leftOut, 'event')} after ${nowGiven ? `--now ${isoTime(asOf)}` : `now (${isoTime(asOf)})`} left out: the ${command} is as of then.`;
}

/**
 * The findings with each job's missed runs after the logs that carry it end (`JobLogsEnd`: judged
 * because another file's lines, or `--now`, go on later) folded into the first of them, which says
 * how many and the last (evidence `missed_runs`, `last_expected_at`, `logs_end_at`): one silence,
 * not one finding per expected start (an hourly job whose file ends in 2005, scanned with a file of
 * 2026, gave 181,544). A job that stops while its file's other lines go on has each missed run
 * reported. The store keeps each of them, as the deployed sweep judges them.
 */
function foldMissedAfterLogsEnd(findings: readonly Finding[], jobLogs: JobLogsEnd, now: number): Finding[] {
  const after = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.detector !== 'missed-run' || f.expected_at === undefined) continue;
    const end = jobLogs.endOf(f.subject);
    if (end === undefined || !(Date.parse(f.expected_at) > end)) continue;
    const missed = after.get(f.subject);
    if (missed === undefined) after.set(f.subject, [f]);
    else missed.push(f);
  }
  const folded = new Set<Finding>();
  const first = new Map<Finding, Finding>();
  for (const [job, missed] of after) {
    if (missed.length < 2) continue;
    const last = missed[missed.length - 1].expected_at!;
    const end = isoTime(jobLogs.endOf(job)!);
    const head = missed[0];
    first.set(head, {
      ...head,
      message: `${head.message}; and ${plural(missed.length - 1, 'more expected start')} up to ${last}${localTimeNote(zoneOf(head), Date.parse(last))} had no run either: the logs that carry ${job} end at ${end}, and the scan judges up to ${isoTime(now)} (one finding for them all)`,
      evidence: { ...head.evidence, missed_runs: missed.length, last_expected_at: last, logs_end_at: end },
    });
    for (const f of missed.slice(1)) folded.add(f);
  }
  if (first.size === 0) return [...findings];
  return findings.filter((f) => !folded.has(f)).map((f) => first.get(f) ?? f);
}

/** The time zone of a missed-run finding's job, from its evidence (none: UTC). */
function zoneOf(finding: Finding): string | undefined {
  const zone = finding.evidence.timezone;
  return typeof zone === 'string' ? zone : undefined;
}

/**
 * For each job with missed runs that no line read named (known only from the store: its file was
 * scanned into the store before), notes its latest line stored as the end of the logs that carry it
 * (`JobLogsEnd.noteStored`), so that its missed runs after it are folded as when its file is read:
 * else scanning one file after another into a store gave one finding per expected start again
 * (2,016 for an hourly job).
 */
async function noteStoredLogsEnds(findings: readonly Finding[], jobLogs: JobLogsEnd, store: StateStore): Promise<void> {
  const jobs = new Set<string>();
  for (const f of findings) if (f.detector === 'missed-run' && !jobLogs.read(f.subject)) jobs.add(f.subject);
  if (jobs.size === 0) return;
  const states = await store.load([...jobs].map((job) => subjectKey('job', job)));
  for (const job of jobs) {
    const lastSeenAt = (states.get(subjectKey('job', job))?.state as JobState | undefined)?.lastSeenAt;
    if (lastSeenAt !== undefined) jobLogs.noteStored(job, lastSeenAt);
  }
}

/**
 * A sweep judges at most 1,000 expected times of a job: after one that found missed runs (`found`),
 * a job that stopped long before the sweep's time (judged from its last run on here, see
 * HOURLY_SWEEP_REDUCERS) is swept until none is left. The further findings.
 */
async function sweepMissedRunsLeft(found: readonly Finding[], store: StateStore & SubjectCatalog, ctx: ReduceContext): Promise<Finding[]> {
  const more: Finding[] = [];
  for (let left = found.some((f) => f.detector === 'missed-run'); left; ) {
    const again = await sweepSubjects([jobReducer as SubjectReducer<unknown>], store, ctx);
    more.push(...again.findings);
    left = again.findings.some((f) => f.detector === 'missed-run');
  }
  return more;
}

/**
 * Settles the routes and agent trees still in flight (`InFlightSettlement`): the route sweep and
 * the agent-root sweep run once more, as of `settle.at`, and nothing else, so no job is judged
 * absent after the input's end (a file that ends says nothing about the runs after it). A job that
 * stopped while other lines went on missed its runs up to the latest event, judged at `now`; a
 * configured job whose lines stop with the input's is left to the report's coverage
 * (`scheduledSilenceNote`: UNKNOWN, as for a store a scan wrote).
 */
export async function settleInFlight(store: StateStore & SubjectCatalog, ctx: ReduceContext, settle: InFlightSettlement): Promise<BatchResult> {
  const routes = await settleRoutes(store, ctx, settle);
  // Every line has been read: a finished tree is not kept waiting for a parent that may turn up.
  const quiet = settle.complete ? { staleAfterMs: 0, settleMs: 0, orphanSettleMs: 0 } : { ...DEFAULT_STALE_OPTIONS, settleMs: 0, orphanSettleMs: 0 };
  const agents = await sweepAgentRoots(store, { ...ctx, clock: { now: () => settle.at } }, quiet);
  return { findings: [...routes.findings, ...agents.findings], subjects: routes.subjects + agents.subjects, conflicts: routes.conflicts + agents.conflicts };
}

/** Settles the routes' requests and windows still in flight (`InFlightSettlement`): the route sweep once more, as of `settle.at`. */
async function settleRoutes(store: StateStore & SubjectCatalog, ctx: ReduceContext, settle: InFlightSettlement): Promise<BatchResult> {
  // The route sweep judges as of its clock less SWEEP_MARGIN_MS and closes the requests quiet for
  // REQUEST_HORIZON_MS before that: a clock this far past `at` closes every request last heard of
  // before `at` and judges every window that ends by `at` (the month's too, at its end; a month
  // held for a request begun in it and still going on past `at` is judged without it: no line is coming).
  const routeNow = settle.complete ? settle.at + SWEEP_MARGIN_MS + REQUEST_HORIZON_MS : settle.at;
  const routeSweep = settle.complete ? settledRouteReducer : routeReducer;
  return sweepSubjects([routeSweep as SubjectReducer<unknown>], store, { ...ctx, clock: { now: () => routeNow } });
}

/** The route requests, agent root runs and job runs within their max runtime the store still holds open. */
async function inFlightIn(store: StateStore & SubjectCatalog, at: number, config: Config): Promise<InFlight> {
  let jobRuns = 0;
  for (const { state } of await store.subjects(jobReducer.kind)) {
    const job = state as JobState;
    // Only jobs whose runs log an end wait for one (runsGoingOn: cron's CMD lines never end, nor a daemon's systemd start).
    if (job.open.length > 0) jobRuns += runsGoingOn(job, at, maxRuntimeOf(job, config).ms, config).length;
  }
  let requests = 0;
  let routeWindows = 0;
  let routeWindowsJudgedAt: number | undefined;
  for (const { state } of await store.subjects(routeReducer.kind)) {
    const route = state as RouteState;
    requests += Object.keys(route.open).length;
    const judgedAt = latestWindowsJudgedAt(route);
    if (judgedAt === undefined) continue;
    routeWindows++;
    routeWindowsJudgedAt = Math.max(routeWindowsJudgedAt ?? judgedAt, judgedAt);
  }
  let agentRuns = 0;
  /** Open roots judged as they stood (quiet for an hour), with the facts of that view. */
  const staleFacts = new Map<string, number>();
  for (const { state } of await store.subjects(agentTreeReducer.kind)) {
    const agent = state as AgentState;
    const judged = new Map(agent.judged.map((j) => [j.run_id, j]));
    for (const o of agent.open) {
      const entry = judged.get(o.run_id);
      // One reported run-unfinished was judged, whatever else is still to come of it.
      if (entry !== undefined && reportedUnfinished(entry)) continue;
      if (entry?.phase === 'stale') staleFacts.set(o.run_id, entry.facts);
      else agentRuns++;
    }
  }
  // A root judged as it stood stays open, to be judged again if it ends: it is not waiting any
  // more, unless its tree went on after that judgement (a tree quiet for an hour again would have
  // been judged anew by the last sweep, so a grown tree is one still going).
  if (staleFacts.size > 0) {
    const cache = new RunCache(store);
    await cache.loadTrees(staleFacts.keys());
    for (const [runId, facts] of staleFacts) if ((buildTreeSnapshot(runId, cache.runs)?.facts ?? 0) > facts) agentRuns++;
  }
  return { at, requests, routeWindows, routeWindowsJudgedAt, agentRuns, jobRuns };
}

/** Whether a judged root was reported run-unfinished (its mark among those its entry keeps, `firedId`). */
function reportedUnfinished(entry: JudgedRoot): boolean {
  const mark = firedId({ detector: 'run-unfinished', run_id: entry.run_id });
  return entry.fired.some((stored) => asMark(stored) === mark);
}

/**
 * What to tell of the sources that gave nothing to judge, lest "0 findings" be taken for health: a
 * file that could not be read at all (xz, a tar archive: what it is and what to do), and a file (or
 * stdin) of which no line was recognised (lines, none of them of a format silent-audit reads).
 */
export function sourceNotes(readouts: readonly SourceReadout[]): string[] {
  const notes: string[] = [];
  for (const r of readouts) {
    if (r.unreadable !== undefined) notes.push(r.unreadable);
    else if (r.kind === 'file' && r.lines > 0 && r.unrecognised === r.lines) {
      const which = r.lines === 1 ? `the one line of ${r.name} is not` : `none of the ${linesCount(r.lines)} of ${r.name} is`;
      const nul = r.nulBytesNote === undefined ? '' : `; ${r.nulBytesNote}`;
      notes.push(`note: ${which} a line silent-audit reads (JSON events with a "type" of ours, cron in syslog, systemd, Lambda platform lines, container records…: see docs/log-formats.md)${nul}`);
    }
  }
  return notes;
}

/** Writes the source notes (`sourceNotes`) to stderr, each a line `silent-audit <command>: <note>`. */
export function writeSourceNotes(readouts: readonly SourceReadout[], command: 'scan' | 'report' | 'init', stderr: NodeJS.WritableStream): void {
  for (const text of sourceNotes(readouts)) stderr.write(`silent-audit ${command}: ${terminalText(text)}\n`);
}

/** Whether a zone name is UTC's, under any of its names. */
function isUtc(zone: string): boolean {
  return /^(?:Etc\/)?(?:UTC|UCT|GMT|GMT[+-]?0|Universal|Zulu|Greenwich)$/i.test(zone);
}

/**
 * The note when lines whose times name no zone were read as UTC (no `--timezone`) though the
 * config's jobs keep another zone: the likely cause of runs read an hour or two off their schedule
 * (a Berlin cron host's `02:30` read as 02:30Z, its every run missed).
 */
export function zonelessNote(readouts: readonly SourceReadout[], config: Config): string | undefined {
  const lines = readouts.reduce((n, r) => n + r.zonelessAsUtc, 0);
  if (lines === 0) return undefined;
  const zones = [...new Set(Object.values(config.jobs).flatMap((job) => (job.timezone === undefined || isUtc(job.timezone) ? [] : [job.timezone])))];
  if (zones.length === 0) return undefined;
  const which = zones.length === 1 ? `timezone ${zones[0]}` : `timezones ${zones.slice(0, -1).join(', ')} and ${zones[zones.length - 1]}`;
  const give = zones.length === 1 ? `--timezone ${zones[0]}` : '--timezone <that zone> (the hosts of each zone scanned apart)';
  return `note: ${linesCount(lines)} gave times with no zone (syslog dates, a ts without offset), read as UTC, while the config's jobs have ${which}: if the hosts' clocks are on ${zones.length === 1 ? 'it' : 'one'}, give ${give}`;
}

/** Writes `zonelessNote`, when there is one, as a line `silent-audit <command>: note: …` on stderr. */
export function writeZonelessNote(readouts: readonly SourceReadout[], config: Config, command: 'scan' | 'report', stderr: NodeJS.WritableStream): void {
  const text = zonelessNote(readouts, config);
  if (text !== undefined) stderr.write(`silent-audit ${command}: ${terminalText(text)}\n`);
}

/**
 * The note when Lambda platform lines were rejected because nothing named their function (`aws logs
 * tail /aws/lambda/x | silent-audit scan -`): said once, with how to name it, as their invocations
 * (timeouts, out-of-memory errors) went unjudged.
 */
export function unnamedLambdaNote(lines: number): string | undefined {
  if (lines === 0) return undefined;
  return (
    `note: ${lines.toLocaleString('en-US')} Lambda platform ${lines === 1 ? 'line' : 'lines'} (START, REPORT, "Task timed out") name${lines === 1 ? 's' : ''} no function, so their invocations were not judged: ` +
    'name it with --function (aws logs tail /aws/lambda/NAME | silent-audit scan --function NAME -), or save the output to a file named after it (NAME.log)'
  );
}

/** How many files could not be read at all (`; 1 file could not be read` in the summary). */
function unreadableCount(readouts: readonly SourceReadout[]): number {
  return readouts.filter((r) => r.unreadable !== undefined).length;
}

/**
 * `silent-audit scan`: streams every file and every CloudWatch log group line by line (any mix of
 * formats), runs the pipeline on the events in time order, chunk by chunk, and prints the findings.
 * Exit 0: no findings; 1: findings; 2: usage or input error, and a file that could not be read or
 * Lambda platform lines that named no function, when nothing gave a finding (a finding is never
 * hidden behind an input error; the file, or the lines, are said).
 */
export async function runScan(opts: ScanOptions): Promise<ScanResult> {
  const write = (s: string) => opts.stdout.write(`${s}\n`);
  // Human text quotes names and texts from logs: their control characters are shown escaped (JSON escapes its own).
  const note = (s: string) => (opts.json ? opts.stderr : opts.stdout).write(`${terminalText(s)}\n`);
  // A missing or unreadable file is counted and the others read: their findings are never hidden behind it.
  // As of --now: the lines after it had not happened yet (leftOutNote says how many).
  const scanned = await scanToStore(opts, { keepRecords: false, readPastUnopened: true, upTo: opts.now });
  if (!scanned.ok) {
    opts.stderr.write(`silent-audit scan: ${terminalText(scanned.error)}\n`);
    return { exitCode: 2, findings: [], counts: scanned.counts };
  }
  const { findings, tally, sources, opened, stream } = scanned;
  // The jobs of the lines read: a stored job they do not name (one removed from the config, retired)
  // is neither listed nor offered a learned schedule to copy back into the config.
  let jobs: JobSummary[];
  let storedUnseen = 0;
  try {
    const stored = await summarizeJobs(opened.store, opts.config, opts.timeZone);
    jobs = stored.filter((j) => scanned.jobsSeen.has(j.job));
    storedUnseen = stored.length - jobs.length;
  } finally {
    await opened.close();
  }

  if (opts.json) {
    for (const f of findings) write(JSON.stringify(f));
  } else if (findings.length > 0) {
    write(
      textTable(
        ['TIME', 'SEVERITY', 'DETECTOR', 'SUBJECT', 'RUN', 'MESSAGE'],
        findings.map((f) => [f.ts, f.severity, f.detector, f.subject, f.run_id ?? f.expected_at ?? '', f.message]),
        [20, 8, 26, 40, 36, 120],
      ),
    );
    write('');
  }
  const c = tally.counts;
  writeSourceNotes(scanned.readouts, 'scan', opts.stderr);
  writeZonelessNote(scanned.readouts, opts.config, 'scan', opts.stderr);
  const unnamed = unnamedLambdaNote(tally.unnamedLambdaLines);
  if (unnamed !== undefined) opts.stderr.write(`silent-audit scan: ${unnamed}\n`);
  const unreadable = unreadableCount(scanned.readouts);
  note(
    `${findings.length} finding${findings.length === 1 ? '' : 's'} in ${linesCount(c.lines)} from ${describeSources(sources)}: ${describeCounts(c)}` +
      (unreadable > 0 ? `; ${unreadable} ${unreadable === 1 ? 'file' : 'files'} could not be read` : '') +
      (opened.persistent ? `; state saved to ${opened.description}` : ''),
  );
  if (!opts.json && jobs.length > 0) {
    note('');
    note(textTable(['JOB', 'RUNS', 'FAILED', 'LAST SEEN', 'HOSTS', 'SCHEDULE'], jobs.map(jobRow), [48, 6, 6, 20, 40, 60]));
  }
  if (!opts.json && storedUnseen > 0) note(`(${storedUnseen} stored ${storedUnseen === 1 ? 'job' : 'jobs'} not seen in these logs not listed)`);
  const learned = jobs.filter((j) => j.inferred?.cron || j.inferred?.movedAnHour || j.inferred?.coarser);
  if (learned.length > 0) {
    note('');
    note('Schedules learned from history (inferred, and not judged: runs are reported missed only by a jobs.<job>.schedule in the config; times in UTC unless a zone is named; copy into the config as jobs.<job>.schedule, with jobs.<job>.timezone when one is named, or write a starter config with: silent-audit init <the same logs>):');
    for (const j of learned) note(`  ${escapeControls(j.job)}: ${learnedScheduleText(j.inferred!, opts.config.defaults.grace_minutes)}`);
  }
  for (const r of tally.rejections.slice(0, 20)) note(`  rejected ${r.where}: ${r.reason}`);
  if (tally.counts.rejected > 20) note(`  … and ${tally.counts.rejected - 20} more rejected lines`);
  for (const older of [olderRunsNote(scanned.olderThanHistory), unjudgedAgentRunsNote(scanned.agentRunsUnjudged)]) {
    if (!older) continue;
    note('');
    note(older);
  }
  const late = lateNote(stream);
  if (late) {
    note('');
    note(late);
  }
  const leftOut = leftOutNote(scanned.leftOut, opts.now, 'scan');
  if (leftOut) {
    note('');
    note(leftOut);
  }
  const open = inFlightNote(scanned.inFlight, opts.now !== undefined, Object.values(opts.config.jobs).some((job) => job.schedule !== undefined));
  if (open) {
    note('');
    note(open);
  }
  // Input that could not be judged (a file not read, Lambda lines naming no function) is no clean bill: 2, unless findings say 1.
  return { exitCode: findings.length > 0 ? 1 : unreadable > 0 || tally.unnamedLambdaLines > 0 ? 2 : 0, findings, counts: c, stream };
}

/**
 * Runs read that a job's stored state took as counted for being older than the latest 1,000 it
 * remembers (older history backfilled after newer, in separate scans with `--store`): not judged,
 * their failures not found. Said, so that "0 findings" is not taken for a clean bill.
 */
export function olderRunsNote(older: ReadonlyMap<string, number>): string | undefined {
  if (older.size === 0) return undefined;
  const runs = [...older.values()].reduce((n, r) => n + r, 0);
  const jobs = [...older].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([job, n]) => `${escapeControls(job)} ${n.toLocaleString('en-US')}`);
  const more = older.size > 5 ? `, and ${older.size - 5} more jobs` : '';
  return (
    `${plural(runs, 'run')} older than ${older.size === 1 ? "its job's" : 'their jobs\''} latest 1,000 runs in the store ${runs === 1 ? 'was' : 'were'} taken as already counted, not judged (${jobs.join(', ')}${more}): ` +
    'backfill older history first, or scan it without --store (docs/scan.md).'
  );
}

/**
 * Earlier runs of an agent's run id that one batch (a scan's hour of lines) ended and started again
 * past the 64 its aggregate keeps to judge (a fixed-id poller every 30 s): not judged, their failures
 * not found. Said, so that "0 findings" is not taken for a clean bill.
 */
export function unjudgedAgentRunsNote(unjudged: ReadonlyMap<string, number>): string | undefined {
  if (unjudged.size === 0) return undefined;
  const runs = [...unjudged.values()].reduce((n, r) => n + r, 0);
  const ids = [...unjudged].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([id, n]) => `${escapeControls(id)} ${n.toLocaleString('en-US')}`);
  const more = unjudged.size > 5 ? `, and ${unjudged.size - 5} more run ids` : '';
  return (
    `${plural(runs, 'earlier agent run')} of a run id started again more often in one batch than its aggregate keeps to judge (${MAX_ROLLED_RUNS} runs, ${MAX_ROLLED_BYTES / 1024} KiB) ${runs === 1 ? 'was' : 'were'} not judged (${ids.join(', ')}${more}): ` +
    'log a run id of its own for each run (docs/agents.md).'
  );
}

/**
 * The scan judges as of `now` (the latest event by default), as the deployed stack would at that
 * moment: what the log's last minutes left open is not judged yet, and an agent run that never
 * ended and has not been quiet for an hour is judged on its budget only (a run stuck in a loop is
 * flagged once over it), not yet on the rest. Said, so that "0 findings" is not taken for health;
 * with how a later `--now` judges it, and runs missed by then: only a job's with a schedule in the
 * config (`scheduled`: the config has one), a learned schedule judges none.
 */
function inFlightNote({ at, requests, routeWindows, routeWindowsJudgedAt, agentRuns, jobRuns }: InFlight, nowGiven: boolean, scheduled: boolean): string | undefined {
  if (requests + routeWindows + agentRuns + jobRuns === 0) return undefined;
  const parts: string[] = [];
  if (jobRuns > 0) parts.push(`${plural(jobRuns, 'job run')} that ${jobRuns === 1 ? 'has' : 'have'} logged no end yet (judged unfinished past ${jobRuns === 1 ? 'its' : 'their'} max runtime)`);
  if (agentRuns > 0) parts.push(`${agentRuns} agent run${agentRuns === 1 ? '' : 's'} that never logged ${agentRuns === 1 ? 'its' : 'their'} end (judged after an hour with no line)`);
  if (requests > 0) parts.push(`${plural(requests, 'route request')} waiting for a retry (counted 20 minutes after ${requests === 1 ? 'its' : 'their'} last attempt)`);
  if (routeWindows > 0) {
    // An hour window counting them may be judged already (its finding printed above): only the day window's judgment is still to come.
    const whose = routeWindows === 1 ? 'whose day window holding its latest requests is judged at' : 'whose day windows holding their latest requests are judged by';
    parts.push(`${plural(routeWindows, 'route')} ${whose} ${isoTime(routeWindowsJudgedAt as number)}`);
  }
  const it = requests + routeWindows + agentRuns + jobRuns === 1 ? 'it' : 'them';
  return (
    `Still in flight at ${isoTime(at)}, ${nowGiven ? 'the --now given' : 'the latest event'}, so not judged yet: ${parts.join('; ')}. ` +
    `Add --now with a later time to judge ${it} (${scheduled ? 'runs missed by then are judged too, for the jobs with a schedule in the config' : 'runs missed by then are judged only for a job with jobs.<job>.schedule in the config'}).`
  );
}

/**
 * Events that came after later ones of their own file had been judged (a log whose parts are not
 * in time order, `cat app.log app.log.1`, past a chunk of the merge) are judged as they come, against
 * state that keeps only the recent past (a job's latest 1,000 runs), so their findings may be
 * missing; and a route request whose attempts lie that far apart in the input (a retry on another
 * host, in the next host's log) is counted once per part: the request it belongs to was completed
 * and forgotten (`done` keeps the latest 3,000), so route request and retried counts may be inflated
 * (said only when the input held route attempts).
 * Said, by scan and report, with how to get them all: in time order, or one file per part. Events
 * late by no more than the pipeline waits for (LATE_TOLERANCE_MS: threads or hosts seconds out of
 * order at a chunk's edge) lose nothing and are not said.
 */
export function lateNote(stream: MergeStats): string | undefined {
  const late = stream.lateBeyondTolerance;
  if (late === 0) return undefined;
  return (
    `Out of time order: ${plural(late, 'event')} came after events of ${late === 1 ? 'its' : 'their'} own file up to ${formatSpan(stream.maxLateMs)} later ` +
    `had been judged, so findings about ${late === 1 ? 'it' : 'them'} may be missing. ` +
    (stream.attempts > 0 ? 'Route request counts may be inflated too: a request whose attempts lie that far apart in the input is counted once per part. ' : '') +
    `For full results give the input in time order, or each part as its own file (rotated logs: \`scan app.log.1 app.log\`, not \`cat app.log app.log.1 | scan -\`).`
  );
}

/**
 * A learned schedule as the scan's note gives it: its cron (and the zone guessed from a clock change
 * its runs kept their local time across), or, for runs that moved by an hour that no zone's clock
 * change explains, no cron (either UTC time would report the other's runs missed).
 */
function learnedScheduleText(s: NonNullable<JobSummary['inferred']>, defaultGraceMinutes: number): string {
  const counts = `${s.period}, ${s.samples} intervals, ${Math.round(s.regularity * 100)}% regular`;
  if (s.movedAnHour) {
    const m = s.movedAnHour;
    return `no cron: its runs moved by an hour on ${m.on} (from ${m.from} to ${m.to} UTC) and no time zone's clock change fits them (${s.period}, ${s.samples} intervals)`;
  }
  if (s.coarser) {
    const c = s.coarser;
    return `no cron says ${s.period} (${s.samples} intervals, ${Math.round(s.regularity * 100)}% regular); as its schedule "${c.cron}" (${c.period}) expects every ${ordinal(c.everyNth)} of its runs: ${coarserGapNote(s.period_ms / 60_000, c.everyNth)}`;
  }
  if (s.timezone && !s.clockChange) return `"${s.cron}" timezone ${s.timezone}  (${counts} in local time, the --timezone given)${graceText(s, defaultGraceMinutes)}`;
  if (s.timezone) {
    const on = ` on ${s.clockChange!.on}`;
    return `"${s.cron}" timezone ${s.timezone}  (${counts} in local time; zone guessed: the runs kept their local time across the clock change${on})${graceText(s, defaultGraceMinutes)}`;
  }
  if (s.moved) return `"${s.cron}"  (${counts}; its runs moved from ${s.moved.from} to ${s.moved.to} UTC on ${s.moved.on}: learned from the ${s.moved.runs} since)${graceText(s, defaultGraceMinutes)}`;
  return `"${s.cron}"  (${counts})${graceText(s, defaultGraceMinutes)}`;
}

/** `; runs started up to 19 min after it: grace_minutes 25` when the runs came later than the default grace allows. */
function graceText(s: NonNullable<JobSummary['inferred']>, defaultGraceMinutes: number): string {
  const grace = suggestedGraceMinutes(s, defaultGraceMinutes);
  return grace === undefined ? '' : `; runs started up to ${s.lateMinutes} min after it: set jobs.<job>.grace_minutes: ${grace}`;
}

function jobRow(j: JobSummary): string[] {
  const hosts = Object.entries(j.hosts).sort((a, b) => b[1] - a[1] || compareNames(a[0], b[0]));
  const hostText = hosts.length === 0 ? '' : hosts.length <= 3 ? hosts.map(([h, n]) => `${h} ×${n}`).join(', ') : `${hosts.length}${hosts.length >= MAX_HOSTS ? '+' : ''} hosts`; // at the cap, more are not kept
  const schedule = j.schedule ? `"${j.schedule}" (configured)` : j.inferred ? `${j.inferred.period}${j.inferred.cron ? ` "${j.inferred.cron}"` : ''}${j.inferred.timezone ? ` ${j.inferred.timezone}` : ''} (inferred)` : '';
  return [j.job, String(j.runs), String(j.failures), j.lastSeenAt !== undefined ? new Date(j.lastSeenAt).toISOString().slice(0, 19) + 'Z' : '', hostText, schedule];
}
