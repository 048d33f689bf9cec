import { type Config, runIdAsLogged } from '../config.ts';
import { ABSENCE_DETECTORS, DISCARD_DETECTORS, RUN_DETECTORS } from '../detectors/index.ts';
import type { DetectorId } from '../detectors/ids.ts';
import type { Baseline, CompletedRun, DetectorMeta, FindingDraft, JobOptions, OpenRunView } from '../detectors/types.ts';
import type { RunRecord, SubjectCatalog } from '../ports.ts';
import type { AuditEvent, CronOutputLine, CronRunEnded, CronRunFailed, ErrorLogged, LineSource, OutputDiscarded, RunEnd, RunFailedMarker, RunStart } from './events.ts';
import { type Finding, type FindingSource, findingSourceOf, isoTime, sameSource } from './findings.ts';
import { expectPatternsOf, graceMinutesOf, resolveJobOptions } from './job-options.ts';
import { type OutputSummary, summaryOfLines, withOutputLine } from './output-capture.ts';
import { exitedLine, RUNTIME_EXIT_ERROR, runtimeExited, runtimeFailed, timedOut } from './parse/lambda-platform.ts';
import { OPEN_RUN, systemdRunId } from './parse/run-ids.ts';
import { CONTROL_PROCESS, spawnStepStatus, SYSTEMD_EXIT_CODE, SYSTEMD_FAILED_STATE, SYSTEMD_RELOAD_FAILED, SYSTEMD_SIGNAL_RESULTS, SYSTEMD_TIMEOUT, UNNAMED_UNIT } from './parse/systemd.ts';
import { isUnitName } from './parse/unit-subject.ts';
import { holdsRedaction, redactorFor } from './redact.ts';
import { ownValue, setOwn } from './own-property.ts';
import type { ReduceContext, Reduction, SubjectReducer } from './pipeline.ts';
import { earlyAllowance, onTimeWithinMs } from '../detectors/missed-run.ts';
import { monthStart, SWEEP_MARGIN_MS } from './route-reducer.ts';
import { endedUnfinished, keyNamesRun, type MaxRuntime, maxRuntimeBound, runUnfinishedDetector, unfinishedRunKey } from '../detectors/run-unfinished.ts';
import { distinctStartMinutes, expectedStarts, type InferredSchedule, inferSchedule, learnsSchedule, type StartsSeen } from './schedule.ts';
import { median, medianOfSorted, partitionPoint, removeWhere, sortedCopy, sortsBefore } from './stats.ts';
import { DELIVERY_LAG_MS, fingerprint, secondsOf, TimedTokenRing } from './token-ring.ts';

/** A run that started and has not ended yet. */
export interface OpenRun {
  readonly run_id: string;
  readonly at: number;
  readonly host?: string;
  /** The parser that saw the start (`json`, `lambda`, `cron`, …). */
  readonly format?: string;
  /**
   * systemd said the unit is up (`Started U`, which a Type=oneshot unit never logs): a service that
   * runs until it is stopped, days later, not a job run, unless its job has a schedule (`awaitsEnd`).
   */
  readonly active?: true;
  /**
   * The request id of the Lambda invocation whose instrumented `run.start` opened it: the
   * platform's failure line of that request id (a timeout) ends it, not another invocation's run.
   */
  readonly request_id?: string;
  /**
   * A cron run started on a host not (yet) in its job's `endsHosts` while other hosts' runs logged an
   * end: counted by its start (`runsByStarts`, `startMonths`), so its end, if read, uncounts it, even
   * once its host has joined `endsHosts` by another run's end.
   */
  readonly countedByStart?: true;
}

/** What the pipeline keeps per job between batches: compact, bounded, JSON-serialisable. */
export interface JobState {
  readonly job: string;
  /** Output bytes of the latest successful runs that looked normal, oldest first. */
  readonly outputs: number[];
  /** Durations of the latest successful runs that looked normal, oldest first. */
  readonly durations: number[];
  /**
   * When the runs of the first values of `outputs` ended, in whole seconds (rounded up), oldest
   * first: the values older history read late put there (`BaselineWindow.insertOlder`), one time
   * per value. The values after them are the live runs', which ended after all of them. Left out
   * while the window holds no older history (as it does for a job read live): a live job's state
   * pays nothing for it.
   */
  readonly olderOutputEnds?: number[];
  /** The same for `durations`. */
  readonly olderDurationEnds?: number[];
  /**
   * The end times of every window value, as one earlier build kept them: never read, dropped when
   * the state is written (the values are then taken as live).
   */
  readonly outputEnds?: number[];
  /** The same for `durations`. */
  readonly durationEnds?: number[];
  /**
   * Recently finished run ids and end tokens, as fingerprints (8 characters each, newest last):
   * a redelivered line is recognised and skipped.
   */
  readonly processedRing?: string;
  /** The same as a plain list, as states written before the ring hold it (read, never written). */
  readonly processed?: string[];
  /**
   * The event times of the last tokens of `processedRing`, which is kept in time order: in whole
   * seconds (rounded up), the first from the epoch, each next one as the seconds after the one
   * before (small numbers: a compact state). Tokens before them have no known time (states written
   * before times were kept), and are read as the oldest.
   */
  readonly processedAt?: number[];
  /**
   * The latest event time of a token forgotten (dropped from the ring): a line at or before it whose
   * token is not remembered is taken as processed, so a run read again after 1,000 newer ones
   * (a redrive, a backfill over live history) is not counted twice.
   */
  readonly processedUntil?: number;
  /**
   * The Lambda invocations a `REPORT` without Status closed as a success whose duration (or output
   * size) entered the baseline windows: the latest `MAX_PLATFORM_OK_KEPT`, within an hour of the
   * latest of them. A `Task timed out` line of one that comes in a later delivery takes its values
   * back out (the run failed). Left out while there are none.
   */
  readonly platformOkEntered?: PlatformOkEntry[];
  readonly open: OpenRun[];
  readonly lastEnd?: { readonly run_id: string; readonly at: number; readonly exit_code: number; readonly host?: string };
  readonly lastStartAt?: number;
  /**
   * A job whose runs log no end: its open runs that started before this were judged healthy for the
   * alert policy (`healthyRunsBefore`). Left out until its first start.
   */
  readonly healthyBefore?: number;
  /** Whether this job's runs log an end (cron `CMD` lines do not; cronie's `CMDEND`, with `-s`, does). */
  readonly endsLogged: boolean;
  /**
   * When its runs were first known to log an end (its first end read, `endsLogged` set), if runs that
   * started before it were open then: a history of starts only (cronie's CMD lines before `-s`, or
   * stored by a version that did not read CMDEND). Those keep the rule of runs that log no end
   * (`startedBeforeEnds`): never awaited to end, healthy after their window. Left out when none was open.
   */
  readonly endsLoggedFrom?: number;
  /**
   * The runs counted by their start alone before its runs were known to log an end (`startsSeen` then,
   * less the ends read then and the runs open then that ended since): they have no run record. The
   * job's runs are these and `runs`. Left out when none.
   */
  readonly runsByStarts?: number;
  /**
   * The hosts whose cron runs of the job logged an end (cronie's CMDEND, with `-s`), up to MAX_HOSTS;
   * left out until its first end. A cron run from another host logs none (cronie without `-s` there):
   * never awaited to end, and counted by its start (`runsByStarts`, `startMonths`), as before its job's first end.
   * Past MAX_HOSTS, a further host's runs are taken so even when they log an end (uncounted from the starts at it).
   */
  readonly endsHosts?: string[];
  /**
   * For each host of `endsHosts`, at the same index: the start of its latest cron run whose end was
   * read (the end's time when its start was not), or that of the job when none of the host's was
   * (`withHostEndRead`). Its runs that started after it and are open past their max runtime show it
   * logs no end again (`withoutHostsEndsLost`); a run still going when cronie was restarted without
   * `-s` logs its CMDEND after the new cronie's first CMD, and starts before it. Left out of a state
   * stored before it was kept (`lastEnd` stands for it) until an end is read.
   */
  readonly endsHostsEndAt?: number[];
  readonly runs: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly firstSeenAt?: number;
  readonly lastSeenAt?: number;
  /**
   * Start times of recent runs, oldest first: for a run whose start was not seen, its end − its
   * duration, or its end itself when the end gives no duration (`startsFromEnd`).
   */
  readonly starts?: number[];
  /**
   * Which of `starts` are a run's end and not its start, one character each: `1` for the end of a
   * run whose start and duration are unknown (logrotate's `ALERT exited abnormally` line, a systemd
   * end whose start was not read; the run started at some time before it), `0` for the others.
   * Left out while none is (and in states written before it was kept).
   */
  readonly startsFromEnd?: string;
  /** Expected starts up to this time have been judged for `missed-run`. */
  readonly absenceCheckedUntil?: number;
  /**
   * The schedule and time zone that judgement was made under (`absenceScheduleKey`). A config that
   * gives the job another has its expected starts judged from the sweep that first sees it, not back
   * to `absenceCheckedUntil`. Left out in states written before it was kept: taken as the configured
   * one, and written with the next judgement. `NO_SCHEDULE` while the config gives the job none (its
   * runs ingested then, a sweep after it was taken out): nothing was expected of it, so a schedule
   * given (back) later is judged from the sweep that first sees it.
   */
  readonly absenceSchedule?: string;
  /**
   * Older history read after that judgement began (a backfill of an earlier span): the first run
   * time it brought (`from`) and the first seen time the judgement had begun from (`to`). The
   * sweep of the reader once it has read all of it (`ReduceContext.historyRead`: backfill's and
   * scan's last) judges the expected starts between them, once, and clears it.
   */
  readonly absenceOlder?: { readonly from: number; readonly to: number };
  /**
   * When the deployed sweep first saw the job in the config with a schedule while nothing of it was
   * stored (`jobReducer.configured`: its name differs from its lines', its log group is not
   * subscribed, it has not run since deploy): its expected starts are judged from then, as from a
   * first run seen (`absenceCheckedUntil`), not those before; also of a job whose only lines so far
   * are cron's "discarding output" (no run: no `firstSeenAt`), its missed runs then without the
   * never-seen note (`anyLineArrived`). Kept after its first run, whose `firstSeenAt` then says it
   * was seen; runs older than it read later (a backfill) are older history (`absenceOlder`), judged
   * up to it.
   */
  readonly unseenSince?: number;
  /**
   * The latest line seen (`lastSeenAt`) while the config named the job, schedule or not: a report
   * tells a job taken out of the config (the job was configured) and whether anything of it arrived
   * since. Left out in states written before it was kept, and of a job never configured.
   */
  readonly configuredSeenUntil?: number;
  /** Open runs already reported as `run-unfinished`. */
  readonly unfinishedReported?: string[];
  /** When `output-discarded` last fired for this job. */
  readonly discardReportedAt?: number;
  /**
   * Whether the job writes instrumented `run.*` lines. A Lambda function that does also logs
   * platform START/REPORT lines for the same invocations; those then only add failures.
   */
  readonly instrumented?: boolean;
  /** Run starts seen, all time (a cron job's runs log only a start). */
  readonly startsSeen?: number;
  /**
   * The earliest run starts seen, all time, oldest first, up to EARLIEST_STARTS: whether a first
   * start at no time of a learned cron is a run by hand (the next ones on time) or the runs' old time.
   */
  readonly earliestStarts?: number[];
  /**
   * While the job's runs log no end (`endsLogged` false): its run starts per UTC calendar month,
   * oldest first, the latest `MAX_START_MONTHS` months with a start. The report counts a month's
   * runs of such a job from them: it has no run records, and `starts` keeps only the latest
   * MAX_STARTS (under a day and a half of a job every 10 minutes). Kept, no longer counted, once its runs
   * log an end: the starts of runs that then had no record (`runsByStarts`), their months' runs with the records after.
   */
  readonly startMonths?: StartMonth[];
  /**
   * When the state began counting `startMonths`, if it had seen starts before (a state written
   * before they were kept): the latest start it had seen then. A month that began at or before it
   * may hold starts not counted; left out when every start of the job was counted.
   */
  readonly startMonthsFrom?: number;
  /** Runs seen per host (at most 100 hosts), for jobs that run on many machines (cron on a fleet). */
  readonly hosts?: Record<string, number>;
  /**
   * Where the job's latest lines were seen (their log group and stream, or file): the `source` of
   * the sweep's findings about it (`missed-run`, `run-unfinished`). Written with a batch that
   * changes the state anyway, from its latest line; left out in states written before it was kept.
   */
  readonly lastSource?: FindingSource;
}

/** A job's run starts in one UTC calendar month (`JobState.startMonths`): the month's first millisecond and the starts seen in it. */
export interface StartMonth {
  readonly start: number;
  readonly starts: number;
}

/** A Lambda invocation closed as a success whose values entered the baseline windows (`JobState.platformOkEntered`). */
export interface PlatformOkEntry {
  /** The fingerprint of the invocation's success token (`PLATFORM_OK_TOKEN` and its request id), as the processed ring keeps it. */
  readonly run: string;
  readonly at: number;
  readonly duration_ms?: number;
  readonly output_bytes?: number;
}

const MAX_PROCESSED = 1000;
/**
 * How many Lambda invocations closed as a success keep the values they put into the baseline
 * windows: a delivery holds one log stream, and those of other streams (other concurrent
 * invocations) may come between a REPORT and its stream's next delivery with the timeout line.
 */
const MAX_PLATFORM_OK_KEPT = 20;
const MAX_OPEN = 50;
const MAX_STARTS = 200;
/** The earliest starts kept (`earliestStarts`): a run by hand or two, then one on time. */
const EARLIEST_STARTS = 3;
/** The months of starts kept (`JobState.startMonths`): a report of any month the run records are kept for (400 days by default). */
export const MAX_START_MONTHS = 14;
/** Hosts a job keeps run counts of; runs on others are not counted by host (a count at it is "100 or more"). */
export const MAX_HOSTS = 100;

const MINUTE_MS = 60_000;
/** A run may start this long before its expected time and still count (clock skew). */
export const EARLY_MS = 2 * MINUTE_MS;
/**
 * A missed-run judgement looks back at most this far: a month of history and some (a scan of last
 * month's logs), not a year of findings for a job that gained a schedule long after it was first seen.
 */
const MAX_LOOKBACK_MS = 35 * 24 * 60 * MINUTE_MS;
/**
 * How far back a cron "discarding output" line is given to the latest CMD line on its host when its
 * pid cannot tell the job: it names none (here, within a batch), or, in the cron host reducer, none
 * of the CMD lines kept has its pid + 1.
 */
export const DISCARD_WINDOW_MS = 10 * MINUTE_MS;
const PLATFORM_FORMAT = 'lambda';
/** cron's CMD lines: run starts that log no end (but cronie's `CMDEND`, `cronieRunEnd`). */
const CRON_FORMAT = 'cron';
/** The parsers of cron's lines: syslog text and the journal (`cronOutcome`). */
export const CRON_LINE_FORMATS: ReadonlySet<string> = new Set([CRON_FORMAT, 'journal']);

/**
 * The end that Debian cron's exit status line (`cron.failed`) gives the run of `job` with id
 * `runId`, which its CMD line (pid `cmd_pid`) started. `failures_only`: the job's runs log an end
 * only when they fail, so this end does not make its other runs ones that log an end.
 */
export function cronFailureEnd(event: AuditEvent<CronRunFailed>, job: string, runId: string): AuditEvent<RunEnd> {
  const { host, exit_code } = event.body;
  const body: RunEnd & { failures_only: true } = { type: 'run.end', job, run_id: runId, exit_code, ...(host !== undefined ? { host } : {}), failures_only: true };
  return { ...event, body };
}

/**
 * The end that cronie's `CMDEND` line gives the run of `job` with id `runId`, which its CMD line
 * started at `startedAt`: an unknown exit (`exit_code_unknown`, exit code 0 as a run with no failure
 * known), its duration, and the output its `CMDOUT` lines logged (`output`, undefined when they
 * logged none: cronie without `-s` mails the output, so none logged is not an empty output).
 */
export function cronieRunEnd(event: AuditEvent<CronRunEnded>, job: string, runId: string, startedAt: number, output: CronieRunOutput | undefined): AuditEvent<RunEnd> {
  const { host } = event.body;
  const body: RunEnd & { exit_code_unknown: true } = {
    type: 'run.end',
    job,
    run_id: runId,
    exit_code: 0,
    exit_code_unknown: true,
    duration_ms: Math.max(0, event.at - startedAt),
    ...(host !== undefined ? { host } : {}),
    ...output,
  };
  return { ...event, body };
}

/**
 * A cronie run's output, as its `run.end` holds it, and the source of its job's `expect_pattern` when one
 * of its CMDOUT lines matched it (`expect_pattern_seen`): every line is read, while head and tail keep
 * only the first and last 2 KiB (`expected-pattern-missing` reads it first). Set only for a job with one.
 */
export interface CronieRunOutput extends OutputSummary {
  readonly expect_pattern_seen?: string;
}

/** A cronie run's output so far (`CronieRunOutput`), and whether its last line left a private key's block open (`CronOutputLine.block`). */
export interface CronieOutput extends CronieRunOutput {
  readonly inKeyBlock?: true;
}

/**
 * The `expect_pattern_seen` of a run's output kept so far (`seen`) with one more line kept, `text`, of a job whose
 * `expect_pattern` is `pattern`: not tested again once it matched, but tested when `seen` is another pattern's (changed mid-run).
 */
function patternSeen(seen: string | undefined, pattern: RegExp | undefined, text: string): string | undefined {
  return pattern === undefined || seen === pattern.source || !pattern.test(text) ? seen : pattern.source;
}

/** The run's `expectPatternSeen` by the `expect_pattern_seen` its `run.end` holds (`CronieRunOutput`): only cronie's (`cronieRunEnd`). */
function expectPatternSeenOf(end: RunEnd): Pick<CompletedRun, 'expectPatternSeen'> {
  const seen = (end as { expect_pattern_seen?: unknown }).expect_pattern_seen;
  return exitUnknown(end) && typeof seen === 'string' ? { expectPatternSeen: seen } : {};
}

/**
 * Whether a CMDOUT line after lines that left a private key's block open (`inKeyBlock`) or not is
 * its run's output: not a line of the key's body. Each line was redacted alone, which finds a
 * block's BEGIN and END lines but not the lines between; a run's output redacted as a block keeps none of them.
 */
function keptInOutput(inKeyBlock: boolean, line: CronOutputLine): boolean {
  return !inKeyBlock || line.block !== undefined;
}

/**
 * `output` (none yet when undefined) with one more CMDOUT line, as `cronieOutputOf` reads them all (across
 * deliveries), of a job whose `expect_pattern` is `pattern` (`expectPatternOf`).
 */
export function withCronieLine(output: CronieOutput | undefined, line: CronOutputLine, pattern: RegExp | undefined): CronieOutput {
  if (output && !keptInOutput(output.inKeyBlock === true, line)) return output;
  const summary = withOutputLine(output, line.text);
  const seen = patternSeen(output?.expect_pattern_seen, pattern, line.text);
  if (seen === undefined && line.block !== 'opens') return summary;
  return { ...summary, ...(seen !== undefined ? { expect_pattern_seen: seen } : {}), ...(line.block === 'opens' ? { inKeyBlock: true } : {}) };
}

/**
 * The output of a cronie run's CMDOUT lines (in one batch), none when they are none: a private key's body
 * left out (`keptInOutput`); each line kept tested against its job's `expect_pattern`, `pattern`.
 */
function cronieOutputOf(lines: readonly CronOutputLine[], pattern: RegExp | undefined): CronieRunOutput | undefined {
  const kept: string[] = [];
  let inKeyBlock = false;
  let seen: string | undefined;
  for (const line of lines) {
    if (!keptInOutput(inKeyBlock, line)) continue;
    kept.push(line.text);
    seen = patternSeen(seen, pattern, line.text);
    if (line.block !== undefined) inKeyBlock = line.block === 'opens';
  }
  if (kept.length === 0) return undefined;
  const summary = summaryOfLines(kept);
  return seen !== undefined ? { ...summary, expect_pattern_seen: seen } : summary;
}

/** Whether a run.end has an unknown exit (`cronieRunEnd`). */
export function exitUnknown(body: RunEnd): boolean {
  return (body as { exit_code_unknown?: unknown }).exit_code_unknown === true;
}

/** How long after its CMD line Debian cron's exit status line may end a run, at least (`cronFailureWindow`). */
const CRON_FAILURE_WINDOW_MS = 24 * 60 * MINUTE_MS;

/**
 * How far past a job's CMD line its start judges runs healthy (`healthyRunsBefore`): cron starts a job
 * at the same second each time, so the run of exactly its healthy window before, whose window ends
 * with this start, is judged here rather than left to the sweep (a state write per run otherwise).
 */
const CRON_START_JUDGES_AHEAD_MS = MINUTE_MS;

/**
 * How long after its CMD line Debian cron's exit status line may end a run of `job`: its
 * `max_runtime_minutes` when longer than CRON_FAILURE_WINDOW_MS, else that window. A run that
 * overran a short max runtime still fails: reusing its pid on the host takes tens of thousands of forks.
 */
function cronFailureWindow(job: string, config: Config): number {
  const configured = ownValue(config.jobs, job)?.max_runtime_minutes;
  return Math.max(configured !== undefined ? configured * MINUTE_MS : 0, CRON_FAILURE_WINDOW_MS);
}

/**
 * How long after its CMD line a run of `job` with no failure read is healthy (`healthyRunsBefore`):
 * its `max_runtime_minutes` when configured (the run has ended by then, and with it its exit status
 * line), else CRON_FAILURE_WINDOW_MS (its duration is not known: a run that succeeds logs no end).
 * A run that overruns that runtime and then fails is still failed (`cronFailureWindow`), after it.
 */
export function cronHealthyAfter(job: string, config: Config): number {
  const configured = ownValue(config.jobs, job)?.max_runtime_minutes;
  return configured !== undefined ? configured * MINUTE_MS : CRON_FAILURE_WINDOW_MS;
}

/**
 * Whether Debian cron's exit status line at `failedAt` can be the end of the run of `job` whose CMD
 * line came at `startedAt`: within its `cronFailureWindow`. An older CMD line's pid has been reused
 * (its own process ended long ago; the later one's CMD line was lost).
 */
export function cronFailureCanEnd(job: string, startedAt: number, failedAt: number, config: Config): boolean {
  return failedAt - startedAt <= cronFailureWindow(job, config);
}

/**
 * The runs of a job whose runs log no end that a line of it at `at` shows healthy to the alert
 * policy: those still open (a failure line read for one would have closed it) that started before
 * `before`, its healthy window before `at` (`cronHealthyAfter`), so their failure can no longer
 * come, and at or after `judgedBefore`, where the last judgement stopped.
 */
function healthyRunsBefore(open: readonly OpenRun[], judgedBefore: number, before: number): OpenRun[] {
  const healthy: OpenRun[] = [];
  for (const r of open) if (r.at >= judgedBefore && r.at < before && r.format !== undefined && CRON_LINE_FORMATS.has(r.format)) healthy.push(r);
  return healthy;
}

/** The alert policy's healthy outcome of run `r` of `subject` (`healthyRunsBefore`), at the run's start: not a run record. */
function healthyOutcome(subject: string, r: OpenRun): RunRecord {
  return { subject, subject_kind: 'job', run_id: r.run_id, ts: isoTime(r.at), status: 'ok', ...(r.host !== undefined ? { host: r.host } : {}) };
}

/** A run end that Debian cron's exit status line gave (`cronFailureEnd`). */
function endsFailuresOnly(body: RunEnd | RunFailedMarker): boolean {
  return (body as { failures_only?: unknown }).failures_only === true;
}
/** Prefix of the processed token of a start (runs that log no end): never a run id's first character. */
const START_TOKEN = '\u0000start:';
/**
 * Prefix of the processed token of a Lambda invocation that platform lines closed as a success,
 * remembered instead of its run id: Lambda may write "Task timed out" after the REPORT, and that
 * line may come in a later delivery (or a later chunk of a file scan), which must still make the
 * run a failure. A run id alone cannot tell a success from a failure; states written before keep
 * run ids only, and a failure line of a run they closed is still skipped (never judged twice).
 */
const PLATFORM_OK_TOKEN = '\u0000ok:';
/** Why an invocation closed as a success failed after all: Lambda started its request id again (an async retry). */
const RETRIED_FAILURE = 'function error (Lambda retried the request)';
/** Prefix of the processed token of such an invocation once a later failure line made it a failure: judged once. */
const LATE_FAILURE_TOKEN = '\u0000late-failed:';
/**
 * Prefix of the processed token of a systemd end read alone (no run of its unit open), by host: the
 * token is remembered at each such end's time, so a `Starting U…` read later (its own delivery, out
 * of order) finds the end of its run (`lateSystemdStartEnd`).
 */
const SYSTEMD_END_ALONE_TOKEN = '\u0000systemd-end-alone:';
/**
 * The processed token of an end line that names no run (the service manager's): its time and, when
 * the line names them, its host and the log group it came from (`logGroupOf`). The same line
 * delivered again has the same token; the same unit ending in the same second on another host, or
 * on a host of the same name in another log group (a run of its own), has another. One string.
 */
function unnamedEndToken(at: number, host: string | undefined, group: string | undefined): string {
  if (group !== undefined) return `${OPEN_RUN}@${host ?? ''}@${group}@${at}`;
  return host === undefined ? `${OPEN_RUN}@${at}` : `${OPEN_RUN}@${host}@${at}`;
}

/**
 * The log group of a CloudWatch line (an event id tells it: live ingest and backfill name their
 * source by its group), what tells apart two machines of the same host name; none for a file's line,
 * whose name changes as it is rotated (app.log then app.log.1) while its lines are the same.
 */
function logGroupOf(source: LineSource): string | undefined {
  return source.eventId === undefined ? undefined : source.origin;
}
/** systemd writes two end lines for one run ("Main process exited" then "Failed with result"). */
const SAME_END_WINDOW_MS = 10_000;
/**
 * How far apart in time a line may be from the remembered one whose run id (or token) it shares and
 * still be that line delivered again: a redelivered line has the same time, and a ring keeps times
 * in whole seconds, rounded up. Further apart, the id is one used again (a PID as run id, a counter
 * that restarted, `run_id: "1"`): a new run.
 */
const SAME_LINE_MS = 1_000;
/**
 * The same for a Lambda invocation's lines: its failure line ("Task timed out") and REPORT come
 * within seconds of each other, and Lambda gives a request id again only to a retry, a minute or
 * more later.
 */
const SAME_INVOCATION_MS = SAME_END_WINDOW_MS;
/**
 * How much log time after a line that awaits a later one (`awaitsLaterLine`: a failure line naming
 * no error type, an error a function logged) its batch must hold for the line to be judged as one
 * batch of the whole log would judge it: a batch cut sooner after it (a scan's chunk) may leave its
 * REPORT, or the failure line that takes its reason, to the next.
 */
export const ERROR_TYPE_LOOKAHEAD_MS = SAME_INVOCATION_MS;

/**
 * Whether a line is a Lambda invocation's failure that names no error type (the runtime's Invoke
 * Error line) or only `Runtime.ExitError` (the runtime's exit line, `RUNTIME_EXIT_ERROR`): its run takes the error type
 * another failure marker of its request id names within `ERROR_TYPE_LOOKAHEAD_MS` in its batch (the REPORT after it,
 * `Runtime.OutOfMemory`, `Sandbox.Timedout`: `errorTypeNear` in `reduce`).
 */
function awaitsErrorType(event: AuditEvent): boolean {
  const body = event.body;
  return event.format === PLATFORM_FORMAT && body.type === 'run.failed' && (body.error_type === undefined || body.error_type === RUNTIME_EXIT_ERROR) && body.run_id !== undefined && body.run_id !== OPEN_RUN;
}

/**
 * Whether a line is judged by what a line up to ERROR_TYPE_LOOKAHEAD_MS after it in its batch says:
 * a Lambda invocation's failure that names no error type (`awaitsErrorType`), or any run.error: an
 * error a function logged, whose reason the failure line after it takes (`withLoggedErrorReasons`),
 * or systemd 219's start timeout or a unit's `Failed at step EXEC spawning …`, whose reason the unit's
 * end after it takes (`withSystemdReasons`, up to SYSTEMD_STOP_WINDOW_MS later: the hold-back covers
 * its first ERROR_TYPE_LOOKAHEAD_MS). A
 * batch is not cut right after one (a scan's chunks).
 */
export function awaitsLaterLine(event: AuditEvent): boolean {
  return event.body.type === 'run.error' || awaitsErrorType(event);
}
/** The formats of the service manager's lines: syslog text and `journalctl -o json` records. */
const SYSTEMD_FORMATS: ReadonlySet<string> = new Set(['systemd', 'journal']);
/**
 * systemd logs `Starting U…` when a unit's start job begins and, for all but Type=oneshot units,
 * `Started U.` when the unit is up: a second start of one run, within its start timeout (90 s by
 * default; TimeoutStartSec may raise it, hence the margin). A unit runs once at a time on a host,
 * so a start this close to an open run of the same unit on the same host is that run.
 */
export const SYSTEMD_START_WINDOW_MS = 5 * MINUTE_MS;

export function initialJobState(job: string): JobState {
  return { job, outputs: [], durations: [], processedRing: '', open: [], endsLogged: false, runs: 0, failures: 0, consecutiveFailures: 0 };
}

type JobEventBody = RunStart | RunEnd | RunFailedMarker | (OutputDiscarded & { readonly job: string });

function isJobEvent(event: AuditEvent): event is AuditEvent<JobEventBody> {
  const t = event.body.type;
  return t === 'run.start' || t === 'run.end' || t === 'run.failed' || (t === 'output.discarded' && event.body.job !== undefined);
}

function toFinding(draft: FindingDraft, meta: DetectorMeta, config: Config): Finding {
  return { ...draft, detector: meta.id, subject_kind: meta.subjectKind, severity: config.defaults.severity[meta.id] ?? draft.severity ?? meta.defaultSeverity };
}

/*
 * While a batch is applied, each list and record of the state is copied at most once, on its first
 * change, and changed in place after that: a batch of runs used to copy the start times (up to
 * MAX_STARTS), both baseline windows, the host counts and the open runs once per run. The copies
 * belong to the batch's new state alone; the given state's lists are never written.
 */

/** Whether every time is a number (no NaN) and each is at most the next: a new time then goes in by binary search. */
function isAscending(list: readonly number[]): boolean {
  if (list.length > 0 && Number.isNaN(list[0])) return false;
  for (let i = 1; i < list.length; i++) if (!(list[i - 1] <= list[i])) return false;
  return true;
}

/** Drops the oldest entries of `list` in place so that at most `limit` remain (as `list.slice(-limit)` would keep). */
function keepNewest<T>(list: T[], limit: number): T[] {
  const excess = list.length - limit;
  if (excess === 1) list.shift();
  else if (excess > 0) list.splice(0, excess);
  return list;
}

/**
 * Which of `starts` are ends (`JobState.startsFromEnd`), as flags in the same order, or undefined
 * when none is, or the text does not belong to those times (not one character per time).
 */
function fromEndFlags(starts: readonly number[] | undefined, text: string | undefined): boolean[] | undefined {
  if (text === undefined || starts === undefined || text.length !== starts.length || !text.includes('1')) return undefined;
  return Array.from(text, (c) => c === '1');
}

/** The times of a job's kept starts that are a run's end with its start unknown (`JobState.startsFromEnd`), oldest first. */
export function startsFromEndOf(state: Pick<JobState, 'starts' | 'startsFromEnd'>): number[] {
  const flags = fromEndFlags(state.starts, state.startsFromEnd);
  return flags ? state.starts!.filter((_, i) => flags[i]) : [];
}

/** Start times of recent runs (`JobState.starts`), oldest first, and which are ends (`startsFromEnd`), while a batch is applied. */
class StartTimes {
  private owned = false;
  /** Whether `list` is known ascending without NaN; undefined until checked after it was last sorted as a whole. */
  private ascending: boolean | undefined;
  /** Whether each time of `list` is a run's end, once owned; undefined while none is. */
  private fromEnd: boolean[] | undefined;

  constructor(
    public list: number[] | undefined,
    private readonly initialFromEnd: string | undefined,
  ) {}

  /**
   * Adds a start time as `[...list, at]` sorted ascending, then cut to the newest `limit`, would;
   * `fromEnd` when it is the end of a run whose start and duration are unknown.
   */
  add(at: number, limit: number, fromEnd = false): number[] {
    if (!this.owned) {
      this.fromEnd = fromEndFlags(this.list, this.initialFromEnd);
      this.list = this.list ? this.list.slice() : [];
      this.owned = true;
    }
    const list = this.list!;
    if (fromEnd && !this.fromEnd) this.fromEnd = list.map(() => false);
    const flags = this.fromEnd;
    this.ascending ??= isAscending(list);
    if (this.ascending && !Number.isNaN(at)) {
      const lo = partitionPoint(list.length, (i) => list[i] <= at);
      if (lo === list.length) {
        list.push(at);
        flags?.push(fromEnd);
      } else {
        list.splice(lo, 0, at);
        flags?.splice(lo, 0, fromEnd);
      }
    } else {
      // Out of order (a state written so, or a NaN): the whole list is sorted, as it always was.
      list.push(at);
      if (flags) {
        flags.push(fromEnd);
        const order = list.map((_, i) => i).sort((a, b) => list[a] - list[b]);
        const times = order.map((i) => list[i]);
        const marks = order.map((i) => flags[i]);
        list.splice(0, list.length, ...times);
        flags.splice(0, flags.length, ...marks);
      } else list.sort((a, b) => a - b);
      this.ascending = undefined;
    }
    if (flags) keepNewest(flags, limit);
    return keepNewest(list, limit);
  }

  /** The state's `startsFromEnd` for the list as it is now: undefined when none of its times is an end. */
  fromEndText(): string | undefined {
    if (!this.owned) return this.initialFromEnd;
    return this.fromEnd?.includes(true) ? this.fromEnd.map((f) => (f ? '1' : '0')).join('') : undefined;
  }
}

/**
 * A baseline window (`outputs` or `durations`, oldest first) while a batch is applied, and the
 * same values in sorted order once a median is asked for: each run's judgement needs both
 * medians, and the sorted copy is kept up to date by one insertion (and one removal) per run
 * instead of a sort of the whole window per run. Beside the values, when the runs of its first
 * values, those older history read late put there, ended (`JobState.olderOutputEnds`,
 * `olderDurationEnds`), so that more older history goes in at its place; the values after them
 * are live runs', later than all of them, and keep no end time.
 */
class BaselineWindow {
  private owned = false;
  /** The values in `sortsBefore` order (as a `Float64Array` sorts them), so the median is the one `median` gives. */
  private sorted: number[] | undefined;
  /** When the runs of the first `olderEnds.length` values ended, in whole seconds (`secondsOf`), oldest first: the given state's until the first change. */
  public olderEnds: number[];

  /**
   * The given state's list until the first push (never written), then this batch's copy. A list
   * longer than `limit` (kept under a longer `baseline_window` before the config lowered it) is
   * cut to its newest `limit` values, so runs are judged against the window the config names.
   * End times that cannot be the first values' (more of them than values) are not taken: the
   * values are then all taken as live.
   */
  constructor(
    public list: number[],
    limit: number,
    olderEnds: number[] | undefined,
  ) {
    this.olderEnds = olderEnds && olderEnds.length <= list.length ? olderEnds : [];
    if (list.length > limit) {
      this.list = list.slice(-limit);
      this.olderEnds = this.olderEnds.slice(list.length - limit);
      this.owned = true;
    }
  }

  median(): number | undefined {
    this.sorted ??= sortedCopy(this.list);
    return medianOfSorted(this.sorted);
  }

  /** Whether the batch changed the window (its values or end times). */
  get changed(): boolean {
    return this.owned;
  }

  /** This batch's own copies of the values and their end times, made on the first change. */
  private own(): number[] {
    if (!this.owned) {
      this.list = this.list.slice();
      this.olderEnds = this.olderEnds.slice();
      this.owned = true;
    }
    return this.list;
  }

  /** Adds a live run's value as `[...list, value]` cut to the newest `limit` would. */
  push(value: number, limit: number): number[] {
    return this.insertAt(this.list.length, value, undefined, limit);
  }

  /**
   * Adds the value of a run older than the job's latest end (older history read late) at its place
   * in time: among the older values, before the first whose run ended after it, or after them all,
   * but before the live values, as one batch read oldest first would have placed it. The oldest
   * value is dropped when the window is full: a value older than all the window holds is not kept.
   */
  insertOlder(value: number, at: number, limit: number): number[] {
    if (!this.admitsOlder(at, limit)) return this.list;
    return this.insertAt(this.olderPlace(at), value, secondsOf(at), limit);
  }

  /** Whether `insertOlder` keeps the value of a run that ended at `at`: the window has room, or holds an older value older than it. */
  admitsOlder(at: number, limit: number): boolean {
    return this.list.length < limit || this.olderPlace(at) > 0;
  }

  /** Where the value of an older run that ended at `at` goes: before the first older value whose run ended after it, else after the older values. */
  private olderPlace(at: number): number {
    const end = secondsOf(at);
    const index = this.olderEnds.findIndex((e) => e > end);
    return index < 0 ? this.olderEnds.length : index;
  }

  /** Inserts `value` at `index`, with its end time among the older values' when given (an older value, `index` at most their count). */
  private insertAt(index: number, value: number, olderEnd: number | undefined, limit: number): number[] {
    const list = this.own();
    list.splice(index, 0, value);
    if (olderEnd !== undefined) this.olderEnds.splice(index, 0, olderEnd);
    const sorted = this.sorted;
    if (sorted) sorted.splice(upperBound(sorted, value), 0, value);
    const excess = list.length - limit;
    if (excess > 0) {
      if (sorted) for (let i = 0; i < excess; i++) sorted.splice(lowerBound(sorted, list[i]), 1);
      keepNewest(list, limit);
      // The values dropped are the first: the older ones first, with their end times.
      this.olderEnds.splice(0, excess);
    }
    return list;
  }

  /** Takes out the newest value equal to `value` (a run's that should not have entered), when the window still holds one. */
  remove(value: number): number[] {
    const index = this.list.lastIndexOf(value);
    if (index < 0) return this.list;
    const list = this.own();
    list.splice(index, 1);
    if (index < this.olderEnds.length) this.olderEnds.splice(index, 1);
    const sorted = this.sorted;
    if (sorted) sorted.splice(lowerBound(sorted, value), 1);
    return list;
  }
}

/** The first index whose value sorts after `value`. */
function upperBound(sorted: readonly number[], value: number): number {
  return partitionPoint(sorted.length, (i) => !sortsBefore(value, sorted[i]));
}

/** The first index whose value does not sort before `value`: where `value` is, when the list holds it. */
function lowerBound(sorted: readonly number[], value: number): number {
  return partitionPoint(sorted.length, (i) => sortsBefore(sorted[i], value));
}

/** Runs seen per host (`JobState.hosts`) while a batch is applied. */
class HostCounts {
  private owned = false;

  constructor(public hosts: Record<string, number> | undefined) {}

  /** Counts a run on `host` as `{ ...hosts, [host]: n + 1 }` would; a new host only while fewer than MAX_HOSTS are known. */
  count(host: string | undefined): Record<string, number> | undefined {
    const hosts = this.hosts;
    if (!host || (hosts && !(host in hosts) && Object.keys(hosts).length >= MAX_HOSTS)) return hosts;
    const count = (hosts?.[host] ?? 0) + 1;
    const next = this.owned ? hosts! : { ...hosts };
    this.hosts = next;
    this.owned = true;
    // A spread's computed key is an own property even when it is `__proto__`.
    setOwn(next, host, count);
    return next;
  }
}

/** A job's starts per month (`JobState.startMonths`) while a batch is applied: copied on its first change, changed in place after. */
class StartMonthCounts {
  private owned = false;

  constructor(public months: StartMonth[] | undefined) {}

  /** Counts a start at `at` in its month; the oldest months go past MAX_START_MONTHS (a start older than all kept ones then counts nowhere). */
  count(at: number): StartMonth[] {
    const month = monthStart(at);
    const next = this.owned ? this.months! : (this.months ?? []).map((m) => ({ ...m }));
    this.months = next;
    this.owned = true;
    // Starts come mostly in time order: the month is the latest kept, or one after it.
    let i = next.length - 1;
    while (i >= 0 && next[i].start > month) i--;
    if (i >= 0 && next[i].start === month) next[i] = { start: month, starts: next[i].starts + 1 };
    else next.splice(i + 1, 0, { start: month, starts: 1 });
    return keepNewest(next, MAX_START_MONTHS);
  }

  /** Takes back a start at `at` counted in its month (its run now has a record); undefined once none is left. */
  uncount(at: number): StartMonth[] | undefined {
    const month = monthStart(at);
    const next = this.owned ? this.months! : (this.months ?? []).map((m) => ({ ...m }));
    this.months = next;
    this.owned = true;
    const i = next.findIndex((m) => m.start === month);
    if (i >= 0 && next[i].starts > 1) next[i] = { start: month, starts: next[i].starts - 1 };
    else if (i >= 0) next.splice(i, 1);
    return next.length > 0 ? next : undefined;
  }
}

/** Whether a start is the service manager's (`Starting U…`, `Started U.`): its id is the one systemd lines derive. */
function isSystemdStart(format: string | undefined, job: string, runId: string, at: number, host: string | undefined): boolean {
  return format !== undefined && SYSTEMD_FORMATS.has(format) && runId === systemdRunId(job, at, host);
}

/** The longest `error` of a `run.end` kept for its finding: exec's own are far shorter. */
const MAX_END_ERROR_CHARS = 300;

/**
 * What a failed `run.end` says beyond its exit code: the `signal` that ended the command or the
 * `error` that kept it from running (as `silent-audit exec` writes them), as its run's `failure`
 * (`killed by SIGKILL`, `cannot run … (no such file, ENOENT)`). None for a run that exited 0 (it
 * is judged by its exit code) or a field of another type.
 */
function endFailure(end: RunEnd): Pick<CompletedRun, 'failure' | 'signal' | 'error'> {
  if (end.exit_code === 0) return {};
  const { signal, error } = end as { signal?: unknown; error?: unknown };
  if (typeof error === 'string' && error.trim() !== '') {
    const chars = [...error.trim()];
    const text = chars.length > MAX_END_ERROR_CHARS ? `${chars.slice(0, MAX_END_ERROR_CHARS - 1).join('')}…` : chars.join('');
    return { failure: text, error: text };
  }
  if (typeof signal === 'string' && /^SIG[A-Z0-9+-]{1,12}$/.test(signal)) return { failure: `killed by ${signal}`, signal };
  return {};
}

/**
 * What a failure marker says of its run's failure: its reason, and the error type a Lambda REPORT
 * named (`Runtime.OutOfMemory`): `reportType`, the REPORT's of the same invocation, which the runtime's
 * Invoke Error or exit line came before (`awaitsErrorType`), else its own (`Runtime.ExitError`, when no REPORT names one).
 */
function markerFailure(marker: RunFailedMarker, reportType?: string): Pick<CompletedRun, 'failure' | 'error_type'> {
  const error_type = reportType ?? marker.error_type;
  return error_type === undefined ? { failure: marker.reason } : { failure: marker.reason, error_type };
}

/**
 * The exit code a failure marker gives its run: its own, else 1 (`exit_code_inferred`: the run
 * record needs one, and a finding must not show it as the run's); a failure is never 0.
 */
function failureExitCode(marker: RunFailedMarker): Pick<CompletedRun, 'exit_code' | 'exit_code_inferred'> {
  return marker.exit_code ? { exit_code: marker.exit_code } : { exit_code: 1, exit_code_inferred: true };
}

/** Whether an end seen on `host` may close a run started on `other` (an unknown host may be either). */
function sameHost(host: string | undefined, other: string | undefined): boolean {
  return host === undefined || other === undefined || host === other;
}

/**
 * The open run that started last at or before `at` (the first of those that started together),
 * on the end's host when both name one: a fleet runs the same unit on many machines at once. With
 * `anonymousOnly` (a Lambda platform end that names its request id), only among runs that no
 * request id names: those are their own invocations', ended by their own (`openRunOfRequest`).
 */
function latestOpenAt(open: readonly OpenRun[], at: number, host: string | undefined, anonymousOnly = false): OpenRun | undefined {
  let best: OpenRun | undefined;
  for (const r of open) if (r.at <= at && sameHost(host, r.host) && !(anonymousOnly && r.request_id !== undefined) && (best === undefined || r.at > best.at)) best = r;
  return best;
}

/**
 * The open run that the Lambda invocation with this request id opened (its instrumented `run.start`),
 * if any: of several (a sub-run started inside it), the one that started last at or before its end at
 * `at` (`openRunWithId`), as `latestOpenAt` takes of runs no request id names (a scan of a file, no log
 * stream). A request id is redacted as a run id is where its line is read; one that holds a marker
 * finds, on a miss, a run stored with it in full before the config's redact pattern matched it
 * (`openRunRedactedAs`).
 */
function openRunOfRequest(open: readonly OpenRun[], requestId: string | undefined, at: number, host: string | undefined, config: Config): OpenRun | undefined {
  if (requestId === undefined) return undefined;
  const run = startedBy(openRunWithId(open, requestId, at, host, (r) => r.request_id), at);
  if (run || !holdsRedaction(requestId)) return run;
  return startedBy(openRunWithId(open, requestId, at, host, (r) => (r.request_id === undefined ? undefined : runIdAsLogged(r.request_id, config))), at);
}

/** The run, if it started at or before `at`: a platform line of an invocation dated before a run's start is not of that run. */
function startedBy(run: OpenRun | undefined, at: number): OpenRun | undefined {
  return run !== undefined && run.at <= at ? run : undefined;
}

/**
 * The open run with this id that an end at `at` closes. There is more than one when a run with the
 * id never ended and the id was used again: the one that started last at or before the end (on its
 * host when both name one), else the first with the id. The id compared is the run's own, or what
 * `idOf` reads of it (its request id, its id as logged).
 */
function openRunWithId(open: readonly OpenRun[], runId: string, at: number, host: string | undefined, idOf?: (r: OpenRun) => string | undefined): OpenRun | undefined {
  let first: OpenRun | undefined;
  let best: OpenRun | undefined;
  for (const r of open) {
    // Its own id read in place: the common case (every end of a run) calls no function per open run.
    if ((idOf === undefined ? r.run_id : idOf(r)) !== runId) continue;
    first ??= r;
    if (r.at <= at && sameHost(host, r.host) && (best === undefined || r.at > best.at)) best = r;
  }
  return best ?? first;
}

/**
 * The open run that an end with a redacted id closes when none is open under that id: a redact
 * pattern matching the run's id was added to the config while it ran, so its start is stored under
 * the id in full. Only on that miss, and only for an id that holds a marker, are the open runs'
 * ids redacted with the config's patterns (`runIdAsLogged`).
 */
function openRunRedactedAs(open: readonly OpenRun[], runId: string, at: number, host: string | undefined, config: Config): OpenRun | undefined {
  if (open.length === 0 || !holdsRedaction(runId)) return undefined;
  return openRunWithId(open, runId, at, host, (r) => runIdAsLogged(r.run_id, config));
}

/**
 * The runs (ids and end tokens) a job has finished recently, while a batch is applied: a line
 * delivered again is recognised and skipped. Kept in the state as one string of fixed-width
 * fingerprints (`processedRing`, 8 characters per token), as agent runs keep theirs: a run id is
 * often a 36-character UUID, and the state is rewritten on every delivery, so the list was most of
 * a job's state and of its write cost. A state written before keeps a plain list (`processed`); it
 * is read as fingerprints and written back as a ring.
 *
 * The ring is a `TimedTokenRing`: it keeps the `MAX_PROCESSED` tokens of the latest event times
 * (`processedAt`), and the latest time of one it forgot (`processedUntil`): a token at or before
 * that time that is not remembered cannot be told from one processed and forgotten, so it is taken
 * as processed once it is also an hour behind the job's latest line (`DELIVERY_LAG_MS`: the hosts
 * of a fleet deliver their streams one after another, and a host's lines minutes behind the others
 * are new). Runs read again an hour or more later (a redriven delivery, a backfill over what live
 * ingest counted) then count once, at the cost of never counting a run first read that late after
 * `MAX_PROCESSED` newer tokens of its job (as audit-trail lines, audit-trail-dedup.ts). Old history
 * read again cannot push the latest runs out of the ring.
 */
class ProcessedTokens {
  private readonly ring: TimedTokenRing;
  /** The last token fingerprinted: a run is looked up, then remembered. */
  private last: { readonly token: string; readonly print: string } | undefined;

  constructor(
    ring: string | undefined,
    legacy: readonly string[] | undefined,
    storedAt: readonly number[] | undefined,
    until: number | undefined,
    /** The job's latest line before the batch (none: nothing is taken as processed by its time). */
    private readonly latestSeen: number | undefined,
    /** The batch's events: about as many lookups (see `TokenRing`). */
    events: number,
  ) {
    // The fingerprints of a legacy list go first: they are older.
    this.ring = new TimedTokenRing((legacy ?? []).map(fingerprint).join('') + (ring ?? ''), storedAt, until, MAX_PROCESSED, events);
  }

  get changed(): boolean {
    return this.ring.changed;
  }

  /** The token's fingerprint, as the ring keeps it. */
  printOf(token: string): string {
    if (this.last?.token !== token) this.last = { token, print: fingerprint(token) };
    return this.last.print;
  }

  /** Whether the token is remembered (whenever it was added: for tokens that hold their line's time). */
  has(token: string): boolean {
    return this.ring.has(this.printOf(token));
  }

  /**
   * Whether the token is remembered at a time within `toleranceMs` of `at`: the same line, or a line
   * of the same run, delivered again. A token remembered without a time (a state written before
   * times were kept) is taken as the same, as it always was.
   */
  hasNear(token: string, at: number, toleranceMs: number): boolean {
    const s = secondsOf(at);
    const tolerance = Math.ceil(toleranceMs / 1000);
    return this.ring.timesOf(this.printOf(token)).some((t) => t === 0 || s === 0 || Math.abs(t - s) <= tolerance);
  }

  /**
   * Whether the token is remembered at `at` or later (within `toleranceMs`), or without a time: a run
   * id is remembered at its run's end, so a start at or before the end of a run with its id is that
   * run's start delivered again; a later one starts a new run with an id used again.
   */
  hasSince(token: string, at: number, toleranceMs: number): boolean {
    const s = secondsOf(at);
    const tolerance = Math.ceil(toleranceMs / 1000);
    return this.ring.timesOf(this.printOf(token)).some((t) => t === 0 || s === 0 || t >= s - tolerance);
  }

  /**
   * The earliest time (ms, as the ring keeps it: whole seconds, rounded up) at which the token was
   * remembered strictly after `after`; undefined when it was at none (times unknown do not count).
   * A kept second `t` stands for a time in `(t − 1 s, t]`, so only a `t − 1 s` at or after `after`
   * is surely later: a line of the same second (an end at .200 kept as the next second, a start at
   * .900; two whole-second lines of one second) is not. A caller that wants one within a bound
   * checks this one: when it is past the bound, every later one is.
   */
  firstTimeAfter(token: string, after: number): number | undefined {
    let first: number | undefined;
    for (const t of this.ring.timesOf(this.printOf(token))) {
      const ms = t * 1000;
      if (t !== 0 && ms - 1000 >= after && (first === undefined || ms < first)) first = ms;
    }
    return first;
  }

  /** The latest time (ms, as the ring keeps it: whole seconds, rounded up) at which the token was remembered; undefined when at none (times unknown do not count). */
  lastTime(token: string): number | undefined {
    let last = 0;
    for (const t of this.ring.timesOf(this.printOf(token))) last = Math.max(last, t);
    return last === 0 ? undefined : last * 1000;
  }

  /**
   * Whether a line at `at` is as old as the tokens forgotten, and an hour behind the job's latest
   * line (`DELIVERY_LAG_MS`): what it would count may have been counted.
   */
  forgotten(at: number): boolean {
    return this.ring.forgotten(at, this.latestSeen ?? Number.NEGATIVE_INFINITY);
  }

  add(token: string, at: number): void {
    this.ring.add(this.printOf(token), at);
  }

  /** The state's fields (see `TimedTokenRing.toState`). */
  toState(): Required<Pick<JobState, 'processedRing' | 'processedAt'>> & Pick<JobState, 'processedUntil'> {
    const kept = this.ring.toState();
    return { processedRing: kept.ring, processedAt: kept.at, ...(kept.until !== undefined ? { processedUntil: kept.until } : {}) };
  }
}

/**
 * cron's "(CRON) info (No MTA installed, discarding output)" names no job: it belongs to the job
 * whose CMD line came from the child of the same cron process (its pid is the discard line's
 * pid + 1), anywhere in the batch. A line whose CMD line is not in the batch is left to the cron
 * host reducer (cron-host-reducer.ts), which keeps each host's recent CMD lines across batches; a
 * line without a pid goes to the latest CMD line on its host within 10 minutes before it.
 * Debian cron's exit status line (`cron.failed`) names the pid of its run's CMD line itself: it
 * ends the run of the latest CMD line with that pid on its host before it (`cronFailureEnd`), unless
 * that line is older than its failure window (`cronFailureCanEnd`). cronie's `CMDEND` line ends the
 * run of the CMD line of its own pid, with the `CMDOUT` lines of that pid as its output (`cronieEndInBatch`).
 */
function attributeDiscardedOutput(events: readonly AuditEvent[], config: Config): readonly AuditEvent[] {
  if (!events.some((e) => (e.body.type === 'output.discarded' && e.body.job === undefined) || e.body.type === 'cron.failed' || e.body.type === 'cron.end')) return events;
  // Each job's `expect_pattern`, compiled once a batch for its runs' CMDOUT lines (`cronieEndInBatch`).
  const patternOf = expectPatternsOf(config);
  return events.map((event, index) => {
    const body = event.body;
    if (body.type === 'cron.end') return cronieEndInBatch(events, index, config, patternOf) ?? event;
    if (body.type === 'cron.failed') {
      for (let i = index - 1; i >= 0; i--) {
        const candidate = events[i].body;
        if (candidate.type !== 'run.start' || !CRON_LINE_FORMATS.has(events[i].format) || candidate.host !== body.host || (candidate as { pid?: number }).pid !== body.cmd_pid) continue;
        // The latest CMD line with the pid: an older one's pid was reused by it.
        return cronFailureCanEnd(candidate.job, events[i].at, event.at, config) ? cronFailureEnd(event as AuditEvent<CronRunFailed>, candidate.job, candidate.run_id) : event;
      }
      return event;
    }
    if (body.type !== 'output.discarded' || body.job !== undefined) return event;
    const pid = (body as { pid?: number }).pid;
    for (let i = index - 1; i >= 0; i--) {
      const candidate = events[i];
      if (pid === undefined && event.at - candidate.at > DISCARD_WINDOW_MS) break;
      if (candidate.body.type !== 'run.start' || candidate.format !== CRON_FORMAT || candidate.body.host !== body.host) continue;
      if (pid === undefined || (candidate.body as { pid?: number }).pid === pid + 1) return { ...event, body: { ...body, job: candidate.body.job } };
    }
    return event;
  });
}

/**
 * The run end that cronie's `CMDEND` line at `index` gives, when the latest CMD line of its host
 * and pid is in the batch before it, within its failure window (`cronFailureCanEnd`: an older one's
 * pid was reused): with the `CMDOUT` lines of that pid between them as its output (`cronieRunEnd`),
 * tested against its job's `expect_pattern` (`patternOf`, from `expectPatternsOf`).
 */
function cronieEndInBatch(events: readonly AuditEvent[], index: number, config: Config, patternOf: (job: string) => RegExp | undefined): AuditEvent<RunEnd> | undefined {
  const end = events[index] as AuditEvent<CronRunEnded>;
  const { host, pid } = end.body;
  if (pid === undefined) return undefined;
  const output: CronOutputLine[] = [];
  for (let i = index - 1; i >= 0; i--) {
    const candidate = events[i];
    const body = candidate.body;
    if (body.type === 'cron.output' && body.host === host && body.pid === pid) output.push(body as CronOutputLine);
    if (body.type !== 'run.start' || !CRON_LINE_FORMATS.has(candidate.format) || body.host !== host || (body as { pid?: number }).pid !== pid) continue;
    if (!cronFailureCanEnd(body.job, candidate.at, end.at, config)) return undefined;
    return cronieRunEnd(end, body.job, body.run_id, candidate.at, cronieOutputOf(output.reverse(), patternOf(body.job)));
  }
  return undefined;
}

/**
 * The statuses of a Lambda invocation's failure line (`platform.runtimeDone`, `platform.report`, a
 * text REPORT's `Status`) whose cause an error its function logged may name; not `timeout`: an error
 * logged before a timeout is not why it ran out of time.
 */
const ERROR_STATUSES: ReadonlySet<string> = new Set(['error', 'failure']);

/**
 * The Node.js runtime writes its JSON-format record of an invocation's error (run.error) as it writes
 * an app's own `console.error(err)`: the record fails no run. A failure line of the same request id
 * with status `error` or `failure` (`ERROR_STATUSES`) at most SAME_INVOCATION_MS after it in the batch
 * takes its `<errorType>: <errorMessage>` as reason (the last one before it: the runtime writes its
 * own right before the invocation ends); one logged after the invocation's end or a start of the
 * request id (its REPORT, a retry) names nothing. The run.error events are left in the batch (no
 * reducer claims them), so the batch keeps its length for `enrichWithContext`, and a second run
 * changes nothing.
 */
function withLoggedErrorReasons(events: readonly AuditEvent[]): readonly AuditEvent[] {
  if (!events.some((e) => e.body.type === 'run.error')) return events;
  const logged = new Map<string, AuditEvent<ErrorLogged>>();
  const keyOf = (body: { readonly job?: string; readonly run_id?: string }) => `${body.job}\u0000${body.run_id}`;
  return events.map((event) => {
    const body = event.body;
    if (body.type === 'run.error' && event.format === PLATFORM_FORMAT) logged.set(keyOf(body), event as AuditEvent<ErrorLogged>);
    if (event.format !== PLATFORM_FORMAT || logged.size === 0 || (body.type !== 'run.start' && body.type !== 'run.end' && body.type !== 'run.failed')) return event;
    const error = logged.get(keyOf(body));
    if (error === undefined) return event;
    if (body.type !== 'run.failed') logged.delete(keyOf(body));
    else if (ERROR_STATUSES.has(body.reason) && event.at - error.at <= SAME_INVOCATION_MS) return { ...event, body: { ...body, reason: error.body.reason } };
    return event;
  });
}

/**
 * How long after systemd 219's start timeout its unit's process may die: systemd sends SIGTERM, then
 * SIGKILL TimeoutStopSec (90 s by default) later, and waits as long again for it to die.
 */
const SYSTEMD_STOP_WINDOW_MS = 5 * 60_000;

/** Whether an event is a reason of the service manager's (run.error): systemd 219's `U start operation timed out. Terminating.`, a `Failed at step EXEC spawning …`, a control process's non-zero exit or death by a signal, a `Reload failed for U.`. */
function isSystemdReason(event: AuditEvent): event is AuditEvent<ErrorLogged> {
  return event.body.type === 'run.error' && event.format !== undefined && SYSTEMD_FORMATS.has(event.format);
}

/**
 * systemd 219's start timeout (run.error) fails no run: systemd then stops the unit's process, which
 * dies seconds later (it traps SIGTERM: `status=143`) or killed TimeoutStopSec later, and that end
 * fails the run. The first end of the service manager's (`isSystemdManagerEnd`: `main process
 * exited …`, `Unit U entered failed state.`) of the unit on its host after the timeout in the batch,
 * within SYSTEMD_STOP_WINDOW_MS, becomes a failure with the timeout's reason (its exit code kept), so
 * the run is one failure, a timeout, whenever its process died. A start of the unit between them
 * ends the wait. A timeout whose end comes in a later delivery leaves that end its own reason. A
 * `Failed at step EXEC spawning …` of the unit (tied to it by `withReasonUnitsTied` when it names none)
 * is read alike, but it fails nothing: its end takes its reason, `exec failed: …`, only when that
 * end is the failure the step causes (`stepCaused`: its exit status, `status=203/EXEC`, or its result
 * when no exit line comes); any other end (`Deactivated successfully`, `status=1/FAILURE`, a kill,
 * `Failed with result 'timeout'`: the command of an `ExecStartPre=-…`, whose failure systemd
 * ignores, failed to exec, and the run went on to end for its own reason) ends the wait and keeps
 * its own reason. A control process's non-zero exit (`U: control process exited, code=exited
 * status=1`: an ExecStartPre's, an ExecReload's) is read alike: it fails nothing, but a result that
 * names no exit of its own (`Failed with result 'exit-code'`, 219's `entered failed state`) after it
 * takes its reason and exit code; a success (an ignored `ExecStartPre=-…`), a start, or no end at all
 * (a failed reload: the unit stays active) leaves the run as it was. So is its death by a signal
 * (`code=killed`, `code=dumped`), whose reason names the signal and is taken by `Failed with result
 * 'signal'` (`'core-dump'`) or `entered failed state`. Coming after a timeout, or after the step it
 * is caused by (`status=203/EXEC`), it gives that reason its exit code, if any (`withControlExit`).
 * A failed reload (`Reload failed for U.`) is read alike, with reason `reload failed`; after its
 * control process's exit it keeps that exit's reason and code, naming the reload.
 */
function withSystemdReasons(events: readonly AuditEvent[]): readonly AuditEvent[] {
  if (!events.some(isSystemdReason)) return events;
  const logged = new Map<string, AuditEvent<ErrorLogged>>();
  const keyOf = (body: { readonly job?: string; readonly host?: string }) => `${body.job}\u0000${body.host ?? ''}`;
  return withReasonUnitsTied(events).map((event) => {
    if (isSystemdReason(event)) logged.set(keyOf(event.body), withControlExit(logged.get(keyOf(event.body)), event));
    if (logged.size === 0) return event;
    if (event.body.type === 'run.start') logged.delete(keyOf(event.body));
    if (!isSystemdManagerEnd(event)) return event;
    const body = event.body;
    const reason = logged.get(keyOf(body));
    if (reason === undefined) return event;
    logged.delete(keyOf(body));
    if (event.at - reason.at > SYSTEMD_STOP_WINDOW_MS) return event;
    if (!failsAnyEnd(reason) && !stepCaused(reason, body)) return event;
    const failure: RunFailedMarker = { type: 'run.failed', job: body.job, run_id: body.run_id, reason: reason.body.reason };
    const exitCode = body.exit_code || reason.body.exit_code;
    return { ...event, body: { ...failure, ...(exitCode ? { exit_code: exitCode } : {}), ...(body.host === undefined ? {} : { host: body.host }) } };
  });
}

/**
 * The reason a unit's next end takes once `reason` is logged after `earlier`: a control process's
 * exit or kill after a timeout (systemd stopping it), or its exit after the step of spawning whose
 * status it exited with, keeps that reason and gives it its exit code, if any; a failed reload keeps
 * the reason before it and its code (`keptByReload`, `withReloadNoted`); any other reason replaces the
 * one before it, so a control process's exit written after a failed reload (lines swapped) keeps its
 * own reason, naming no reload: an exit just after it may as well be a new start's.
 */
function withControlExit(earlier: AuditEvent<ErrorLogged> | undefined, reason: AuditEvent<ErrorLogged>): AuditEvent<ErrorLogged> {
  if (earlier === undefined) return reason;
  if (reason.body.reason === SYSTEMD_RELOAD_FAILED && keptByReload(earlier, reason)) return withReloadNoted(earlier);
  if (!isControlExit(reason)) return reason;
  const exitCode = reason.body.exit_code;
  if (!failsAnyEnd(earlier) && (exitCode === undefined || spawnStepStatus(earlier.body.reason) !== exitCode)) return reason;
  return exitCode === undefined ? earlier : { ...earlier, body: { ...earlier.body, exit_code: exitCode } };
}

/**
 * Whether a failed reload keeps the reason of its unit stored before it: its control process's exit
 * (its ExecReload's, logged at once, or seconds before it by a relay's delay) or any reason with an
 * exit code, however long before it within SYSTEMD_STOP_WINDOW_MS, so a reload never drops an exit
 * code; another reason (an exec step's, a timeout's) only when logged within EXEC_END_WINDOW_MS
 * before it. An older reason is replaced by the reload.
 */
function keptByReload(earlier: AuditEvent<ErrorLogged>, reload: AuditEvent<ErrorLogged>): boolean {
  const window = earlier.body.exit_code !== undefined || isControlExit(earlier) ? SYSTEMD_STOP_WINDOW_MS : EXEC_END_WINDOW_MS;
  return reload.at - earlier.at <= window;
}

/** The note a control process's exit takes when a failed reload follows it (its ExecReload's). */
const RELOAD_NOTE = ` (${SYSTEMD_RELOAD_FAILED})`;

/**
 * The reason of the service manager's a failed reload (`Reload failed for U.`) leaves stored for its
 * unit when it keeps the reason before it (`keptByReload`: a control process's exit or a reason with an
 * exit code within SYSTEMD_STOP_WINDOW_MS, as a relay may delay a line; another within EXEC_END_WINDOW_MS):
 * that reason and its code (an exec step's, a control process's exit, a timeout); a control process's exit
 * names the reload, once however often the line comes. An older reason is replaced by the reload; a
 * control process's exit written after the reload (lines swapped) is not noted (`withControlExit`).
 */
function withReloadNoted(earlier: AuditEvent<ErrorLogged>): AuditEvent<ErrorLogged> {
  if (!isControlExit(earlier) || earlier.body.reason.endsWith(RELOAD_NOTE)) return earlier;
  return { ...earlier, body: { ...earlier.body, reason: `${earlier.body.reason}${RELOAD_NOTE}` } };
}

/** Whether a reason of the service manager's fails its unit's end even when that end is a success: a start timeout's (systemd stopped the process, whatever it then exited with). */
function failsAnyEnd(reason: AuditEvent<ErrorLogged>): boolean {
  return reason.body.reason === SYSTEMD_TIMEOUT;
}

/**
 * Whether an end is the failure a step of spawning (`<step> failed: …`) or a control process's exit
 * causes: an exit with that step's status (`status=203/EXEC`), or a result that names no exit of its
 * own (`Failed with result 'exit-code'`, 219's `entered failed state`) when no exit line came first;
 * for a control process killed by a signal, `Failed with result 'signal'` (`'core-dump'`) or
 * `entered failed state`. Never a timeout, a main process's kill or another exit status: those are
 * the run's own.
 */
function stepCaused(reason: AuditEvent<ErrorLogged>, body: RunEnd | RunFailedMarker): boolean {
  const status = spawnStepStatus(reason.body.reason);
  if (body.exit_code !== undefined) return status !== undefined && body.exit_code === status;
  if (body.type !== 'run.failed') return false;
  if (body.reason === SYSTEMD_FAILED_STATE) return true;
  const killed = reason.body.exit_code === undefined && isControlExit(reason);
  return killed ? SYSTEMD_SIGNAL_RESULTS.has(body.reason) : body.reason === SYSTEMD_EXIT_CODE;
}

/** Whether an end is a failure: a result or exit line that says so, or an exit status other than 0. */
function isFailedEnd(body: RunEnd | RunFailedMarker): boolean {
  return body.type === 'run.failed' || (body.exit_code ?? 0) !== 0;
}

/** How long after systemd 219's `Failed at step EXEC spawning …` its unit's end comes: at once (systemd reaps the forked process), within a second of a syslog time. */
const EXEC_END_WINDOW_MS = 1_000;

/** Whether an event is a `Failed at step EXEC spawning …` that names no unit (systemd 219's as text). */
function isUnnamedExecFailure(event: AuditEvent): event is AuditEvent<ErrorLogged> {
  return isSystemdReason(event) && event.body.job === UNNAMED_UNIT;
}

/** Whether an event is a `Reload failed for D.` that names only its unit's description (older systemd's as text). */
function isDescribedReload(event: AuditEvent): event is AuditEvent<ErrorLogged> {
  return isSystemdReason(event) && event.body.reason === SYSTEMD_RELOAD_FAILED && !isUnitName(event.body.job);
}

/** Whether an event is a reason of the service manager's whose unit its line does not name (`withReasonUnitsTied`). */
function isUntiedReason(event: AuditEvent): event is AuditEvent<ErrorLogged> {
  return isUnnamedExecFailure(event) || isDescribedReload(event);
}

/**
 * systemd 219 writes `Failed at step EXEC spawning …` from the unit's forked process, naming no
 * unit in its text. It is the unit's whose failure (an end of the service manager's that is not a
 * success) follows it on its host within EXEC_END_WINDOW_MS, when that is one unit that exited
 * `status=203/EXEC`, or, when none did, one unit whose only failure is its `Unit U entered failed
 * state.` (no exit line of its own said why), and no other such line of the host is that close:
 * nothing is guessed, so a unit that failed for its own reason (`status=1/FAILURE`) or two units that
 * fail to exec in one second never take a reason not theirs. Older systemd's `Reload failed for D.`
 * (before 249) names only the description: it is the unit's whose control process exit (its
 * ExecReload's, logged at once before it) came just before it on its host, within
 * EXEC_END_WINDOW_MS, when that is one unit; an exit whose unit logged its own result between it and
 * the reload (a failed start's) is not the reload's, and an exit after the reload never is: it may be
 * another unit's start (`reloadUnit`). A line not tied stays what it was: it fails nothing.
 */
function withReasonUnitsTied(events: readonly AuditEvent[]): readonly AuditEvent[] {
  if (!events.some(isUntiedReason)) return events;
  return events.map((event, index) => {
    if (!isUntiedReason(event)) return event;
    const unit = isUnnamedExecFailure(event) ? execFailureUnit(events, index, event) : reloadUnit(events, index, event);
    return unit === undefined ? event : { ...event, body: { ...event.body, job: unit } };
  });
}

/** Whether an event is a control process's non-zero exit or death by a signal (a reason of the service manager's): a failure line of its unit to `execFailureUnit`. */
function isControlExit(event: AuditEvent): event is AuditEvent<ErrorLogged> {
  return isSystemdReason(event) && event.body.reason.startsWith(CONTROL_PROCESS);
}

/**
 * The unit of the `Reload failed for D.` at `index` (`withReasonUnitsTied`): the one unit whose control
 * process exit came on its host just before it (and no end of that unit since: a failed start's exit
 * is its own), else undefined. No exit after it is looked at: one written there (lines swapped) cannot
 * be told from another unit's start failing, so a reload before its exit stays untied.
 */
function reloadUnit(events: readonly AuditEvent[], index: number, reload: AuditEvent<ErrorLogged>): string | undefined {
  const host = reload.body.host;
  let unit: string | undefined;
  let ended: Set<string | undefined> | undefined;
  for (let i = index - 1; i >= 0 && reload.at - events[i].at <= EXEC_END_WINDOW_MS; i--) {
    const event = events[i];
    if (event.body.host !== host) continue;
    if (isSystemdManagerEnd(event)) (ended ??= new Set()).add(event.body.job);
    if (!isControlExit(event) || ended?.has(event.body.job)) continue;
    if (unit !== undefined && unit !== event.body.job) return undefined;
    unit = event.body.job;
  }
  return unit;
}

/** Whether a failure is systemd 219's `Unit U entered failed state.` (its result, no exit line). */
function isFailedState(body: RunEnd | RunFailedMarker | ErrorLogged): boolean {
  return body.type === 'run.failed' && body.exit_code === undefined && body.reason === SYSTEMD_FAILED_STATE;
}

/** The unit the unnamed `Failed at step EXEC spawning …` at `index` is of (`withReasonUnitsTied`), undefined when it cannot be told. */
function execFailureUnit(events: readonly AuditEvent[], index: number, exec: AuditEvent<ErrorLogged>): string | undefined {
  const host = exec.body.host;
  const near = (other: AuditEvent) => Math.abs(other.at - exec.at) <= EXEC_END_WINDOW_MS && other.body.host === host;
  for (let i = index - 1; i >= 0 && exec.at - events[i].at <= EXEC_END_WINDOW_MS; i--) if (isUnnamedExecFailure(events[i]) && near(events[i])) return undefined;
  const failed = new Set<string>();
  const execFailed = new Set<string>();
  const exited = new Set<string>();
  const stepStatus = spawnStepStatus(exec.body.reason);
  for (let i = index + 1; i < events.length && events[i].at - exec.at <= EXEC_END_WINDOW_MS; i++) {
    const event = events[i];
    if (!near(event)) continue;
    if (isUnnamedExecFailure(event)) return undefined;
    if (!isControlExit(event) && (!isSystemdManagerEnd(event) || !isFailedEnd(event.body))) continue;
    failed.add(event.body.job);
    if (stepStatus !== undefined && event.body.exit_code === stepStatus) execFailed.add(event.body.job);
    if (!isFailedState(event.body)) exited.add(event.body.job);
  }
  if (execFailed.size > 0) return execFailed.size === 1 ? [...execFailed][0] : undefined;
  // No unit exited with the step's status: only a failed state that no exit line of its unit explained.
  const [unit] = failed;
  return failed.size === 1 && !exited.has(unit) ? unit : undefined;
}

/** The failure markers of a batch by the run id they name, or undefined when none names one (most batches). */
function namedFailures(events: readonly AuditEvent[]): Map<string, AuditEvent<RunFailedMarker>[]> | undefined {
  let named: Map<string, AuditEvent<RunFailedMarker>[]> | undefined;
  for (const event of events) {
    const body = event.body;
    if (body.type !== 'run.failed' || body.run_id === undefined || body.run_id === OPEN_RUN) continue;
    named ??= new Map();
    const failures = named.get(body.run_id);
    if (failures) failures.push(event as AuditEvent<RunFailedMarker>);
    else named.set(body.run_id, [event as AuditEvent<RunFailedMarker>]);
  }
  return named;
}

/**
 * The request ids a batch's Lambda platform lines name other than by an exit line (`exitedLine`): the START, REPORT,
 * `Task timed out` or Invoke Error lines of the function's own invocations.
 */
function invocationsLogged(events: readonly AuditEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const event of events) {
    if (event.format !== PLATFORM_FORMAT || !isJobEvent(event)) continue;
    const body = event.body;
    if (body.type === 'output.discarded' || body.run_id === undefined || body.run_id === OPEN_RUN || (body.type === 'run.failed' && exitedLine(body))) continue;
    ids.add(body.run_id);
  }
  return ids;
}

/** Whether an event is an end of the service manager's: a systemd run end or failure that names no run (it ends its host's run of the unit). */
function isSystemdManagerEnd(event: AuditEvent): event is AuditEvent<RunEnd | RunFailedMarker> {
  const body = event.body;
  if ((body.type !== 'run.end' && body.type !== 'run.failed') || event.format === undefined || !SYSTEMD_FORMATS.has(event.format)) return false;
  return body.run_id === undefined || body.run_id === OPEN_RUN;
}

/**
 * A batch's systemd ends, in one walk over its events. `endedBefore`: the systemd starts whose run
 * had ended before they were read: the next end on the start's host (a unit runs once at a time on
 * a host, so it ends the run that start began) is a line read before the batch (`endRead`), before
 * the start was known: it closed no run of that start (a delivery cut after the end, then delivered
 * again whole; lines out of order). Each is mapped to its end's time; undefined when there is none
 * (most batches). `latestEnd`: the time of the latest end of the service manager's (one that names
 * no run), by host; undefined when there is none. Events are in time order.
 */
function systemdEndsOf(
  events: readonly AuditEvent[],
  subject: string,
  endRead: (at: number, host: string | undefined, group: string | undefined) => boolean,
): { endedBefore: Map<AuditEvent, number> | undefined; latestEnd: Map<string | undefined, number> | undefined } {
  let endedBefore: Map<AuditEvent, number> | undefined;
  let latestEnd: Map<string | undefined, number> | undefined;
  // Walking back: the time of the next end that names no run (the service manager's), by host.
  const nextEnd = new Map<string | undefined, number>();
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    const body = event.body;
    if (isSystemdManagerEnd(event)) {
      const host = event.body.host;
      nextEnd.set(host, event.at);
      latestEnd ??= new Map();
      latestEnd.set(host, Math.max(latestEnd.get(host) ?? event.at, event.at));
    } else if (body.type === 'run.start' && isSystemdStart(event.format, subject, body.run_id, event.at, body.host)) {
      const end = nextEnd.get(body.host);
      if (end !== undefined && endRead(end, body.host, logGroupOf(event.source))) (endedBefore ??= new Map()).set(event, end);
    }
  }
  return { endedBefore, latestEnd };
}

/** The baseline of a run older than the windows' runs: none, so the detectors that compare with it stay silent. */
const NO_BASELINE: Baseline = { outputBytes: [], durations: [] };

/** Runs every run detector in registry order, so later ones can see which fired before them. */
function judgeRun(run: CompletedRun, baseline: Baseline, options: JobOptions, config: Config): Finding[] {
  const fired = new Set<DetectorId>();
  const findings: Finding[] = [];
  for (const detector of RUN_DETECTORS) {
    const drafts: FindingDraft[] = detector.check({ run, baseline, options, firedSoFar: fired });
    for (const draft of drafts) {
      fired.add(detector.meta.id);
      findings.push(toFinding(draft, detector.meta, config));
    }
  }
  return findings;
}

/**
 * The output and duration findings, those of the run detectors whose meta says
 * `keepsRunOutOfBaseline`: a run that fired any of them enters neither baseline window, so a broken
 * job (6 minutes of nothing, night after night) never becomes the new normal. Read from the
 * registry once, at load: it is looked up for every finding of every run.
 */
export const ABNORMAL_RUN_FINDINGS: ReadonlySet<DetectorId> = new Set(RUN_DETECTORS.filter((d) => d.meta.keepsRunOutOfBaseline).map((d) => d.meta.id));

/**
 * The max runtime of a job's runs: configured, else 3× the median duration (at least 1 h) of the
 * newest `window` durations (by default the baseline window: a list kept under a longer one before
 * the config lowered it counts only its newest values).
 */
export function maxRuntimeOf(
  state: { readonly job: string; readonly durations?: readonly number[] },
  config: Config,
  window: number = config.defaults.baseline_window,
): MaxRuntime {
  const durations = state.durations ?? [];
  return maxRuntimeWith(state.job, config, () => median(durations.length > window ? durations.slice(-window) : durations));
}

/**
 * Formats whose run starts always come with an end: an instrumented `run.start` (`run.end` is the
 * contract's, and `exec` writes both) and a Lambda invocation's `START` (`END`, `REPORT`). Not cron
 * (its `CMD` lines have no end) nor systemd, whose long-running services log a start and no end.
 */
const FORMATS_WITH_ENDS: ReadonlySet<string | undefined> = new Set(['json', 'lambda']);

/**
 * Whether a job's open runs are waited for to end (`run-unfinished` past the max runtime): once an
 * end of it was seen, or, before any, for its first run when it started in a format whose runs
 * usually log one (a new instrumented job whose first run hangs). A second start with no end seen
 * yet makes it a job that logs starts only, as cron's are, which the contract allows.
 */
export function runsLogEnds(state: Pick<JobState, 'endsLogged' | 'open' | 'startsSeen'>): boolean {
  return state.endsLogged || ((state.startsSeen ?? 0) <= 1 && state.open.some((r) => FORMATS_WITH_ENDS.has(r.format)));
}

/**
 * A job's open runs still going on at `at`: started by then and within its max runtime
 * (`maxRuntimeMs`), of a job whose runs are waited for to end (`runsLogEnds`, which counts a new
 * job's first run of a format that logs ends), not a systemd unit that is up of a job with no
 * schedule (`awaitsEnd`: a daemon). Past its max runtime a run is judged unfinished, not going on;
 * a job that logs starts only (cron's `CMD` lines) has none, nor does a run that logs no end (`logsNoEnd`). What `scan` counts in flight and MCP
 * calls running.
 */
export function runsGoingOn(state: Pick<JobState, 'job' | 'endsLogged' | 'endsLoggedFrom' | 'endsHosts' | 'open' | 'startsSeen' | 'starts'>, at: number, maxRuntimeMs: number, config: Config): OpenRun[] {
  if (state.open.length === 0 || !runsLogEnds(state)) return [];
  // The time first: awaitsEnd may look for a schedule in the job's starts, once for all the runs.
  let scheduled: boolean | undefined;
  const onSchedule = () => (scheduled ??= runsOnSchedule(state, config));
  return state.open.filter((r) => r.at <= at && at - r.at <= maxRuntimeMs && !logsNoEnd(state, r) && awaitsEnd(r, onSchedule));
}

/**
 * Whether an open run is waited on to end (in a job whose runs log ends, `runsLogEnds`): a
 * oneshot's (`Starting U…`, then `Finished U` or `U: Deactivated successfully.`), and any run of a
 * job with a schedule (`runsOnSchedule`: a timer's service, of systemd's default Type=simple too,
 * logs `Started U`); not a systemd unit that is up (`Started U`) of a job with none: a daemon, whose
 * uptime between restarts is no run to time.
 */
function awaitsEnd(run: OpenRun, onSchedule: () => boolean): boolean {
  return run.active !== true || onSchedule();
}

/** Whether an open run started before its job's runs were known to log an end (`endsLoggedFrom`): it logs none, as its job's runs did then. */
function startedBeforeEnds(state: Pick<JobState, 'endsLoggedFrom'>, run: OpenRun): boolean {
  return state.endsLoggedFrom !== undefined && run.at < state.endsLoggedFrom;
}

/**
 * Before when a job's open runs log no end, healthy once their window is over (`healthyRunsBefore`): any time while its runs
 * log none, before `endsLoggedFrom` once they do (`startedBeforeEnds`), never (undefined) when none was open then.
 */
function startsOnlyUntil(state: Pick<JobState, 'endsLogged' | 'endsLoggedFrom'>): number | undefined {
  return state.endsLogged ? state.endsLoggedFrom : Infinity;
}

/**
 * Whether a job runs on a schedule: one configured (`jobs.<job>.schedule`), or one its kept starts
 * are regular enough to learn (`learnsSchedule`, as `summarizeJobs` learns one).
 */
function runsOnSchedule(state: Pick<JobState, 'job' | 'starts'>, config: Config): boolean {
  return Boolean(ownValue(config.jobs, state.job)?.schedule) || learnsSchedule(state.starts ?? []);
}

/**
 * Whether a cron run is from a host that never logged an end of its job while others did (`endsHosts`): it logs none.
 * Past MAX_HOSTS hosts logging an end, a further host's runs are taken so too, whether its runs log an end or not.
 */
function fromHostWithoutEnds(state: Pick<JobState, 'endsHosts'>, run: Pick<OpenRun, 'format' | 'host'>): boolean {
  const hostsWithEnds = state.endsHosts;
  return hostsWithEnds !== undefined && run.format === CRON_FORMAT && run.host !== undefined && !hostsWithEnds.includes(run.host);
}

/**
 * A job's `endsHosts` with `host` added. A state stored before `endsHosts` was kept, its runs already
 * logging an end (`endsLoggedBefore`), keeps the one host it holds evidence of an end from (`lastEnd`'s)
 * as logging an end; not every host it saw (`hosts`), which would await forever the runs of a host that
 * never logs one (Debian's cron). Another host joins at its first end read now.
 */
function withEndsHost(state: Pick<JobState, 'endsHosts' | 'lastEnd'>, endsLoggedBefore: boolean, host: string): string[] {
  const seen = state.lastEnd?.host;
  const known = state.endsHosts ?? (endsLoggedBefore && seen !== undefined && seen !== host ? [seen] : []);
  return [...known, host];
}

/**
 * `endsAt` (a job's `endsHostsEndAt`, owned by the caller) with the end at `at` of the cron run of
 * `endsHosts[index]` read: its entry the latest end read. The hosts it holds no entry for (joined
 * `endsHosts` now, or all of a state stored before it was kept) take `at`: no end of theirs read since.
 */
function withHostEndRead(endsAt: number[], hostCount: number, index: number, at: number): number[] {
  while (endsAt.length < hostCount) endsAt.push(at);
  if (endsAt[index] < at) endsAt[index] = at;
  return endsAt;
}

/**
 * Whether an open run logs no end: it started before its job's runs were known to log one, on a host whose runs log none,
 * or on a host whose runs logged none then (`countedByStart`), even once that host has joined `endsHosts`.
 */
function logsNoEnd(state: Pick<JobState, 'endsLoggedFrom' | 'endsHosts'>, run: OpenRun): boolean {
  return startedBeforeEnds(state, run) || run.countedByStart === true || fromHostWithoutEnds(state, run);
}

/** `maxRuntimeOf` with the median duration given (asked only when no max runtime is configured): a window's kept median. */
function maxRuntimeWith(job: string, config: Config, medianDuration: () => number | undefined): MaxRuntime {
  return maxRuntimeBound(ownValue(config.jobs, job)?.max_runtime_minutes, medianDuration);
}

/**
 * Where a job's first judgement starts (exclusive): just before the expected time its first run
 * seen belongs to (the latest it is not more than its early allowance before, see unmatchedExpected),
 * as the expected times before it were not watched. A job every minute first seen at 00:00 is
 * judged from 00:00, not from 23:58 (which a run 2 minutes early would have been for).
 */
function firstJudgedAfter(schedule: string, timezone: string | undefined, firstSeenAt: number): number {
  const near = expectedStarts(schedule, timezone, firstSeenAt - 2 * EARLY_MS - 1, firstSeenAt + EARLY_MS);
  for (let i = near.length - 1; i >= 0; i--) {
    if (near[i] - earlyAllowance(near[i], i > 0 ? near[i - 1] : undefined, EARLY_MS) <= firstSeenAt) return near[i] - 1;
  }
  return firstSeenAt - EARLY_MS - 1;
}

/** `JobState.absenceSchedule` of a job the config gives no schedule (no `|`: never a schedule's key). */
const NO_SCHEDULE = 'none';

/** A schedule and its time zone as `JobState.absenceSchedule` keeps them: `<cron>|<time zone>`, the zone empty for UTC. */
function absenceScheduleKey(schedule: string, timezone: string | undefined): string {
  return `${schedule}|${timezone ?? ''}`;
}

/**
 * Whether any line of the job has arrived, for the never-seen note of its missed runs
 * (`unseenSince`) and the report, which reads a state without one as none. A run's line sets
 * `firstSeenAt`; a cron "discarding output" line sets no sighting (it is no run), but the first one
 * always reports `output-discarded` (nothing reported before it to hold it back), and so sets
 * `discardReportedAt`.
 */
export function anyLineArrived(state: { readonly firstSeenAt?: number; readonly discardReportedAt?: number }): boolean {
  return state.firstSeenAt !== undefined || state.discardReportedAt !== undefined;
}

/** How many runs of a host whose runs logged an end may be open past their max runtime before it is taken as logging none again (`withoutHostsEndsLost`). */
const ENDS_LOST_AFTER_RUNS = 2;

/**
 * `state` without the hosts of `endsHosts` that have ENDS_LOST_AFTER_RUNS or more awaited cron runs
 * open past the job's max runtime at the sweep's `now`, started after the host's latest end read
 * (`endsHostsEndAt`; a run open from before it, a crash, shows no such thing): cronie restarted without `-s` logs CMD lines
 * and no CMDEND, as a host that never logged one, and its runs are counted by their starts again
 * (`fromHostWithoutEnds`), not each reported `run-unfinished`, and its runs open then are never
 * awaited (`countedByStart`); its next CMDEND read takes it back. The same state when none is (most sweeps).
 */
function withoutHostsEndsLost(state: JobState, ctx: ReduceContext): JobState {
  const { endsHosts } = state;
  if (!endsHosts?.length) return state;
  // A state stored before endsHostsEndAt was kept: the job's latest end read stands for each host's.
  const endsHostsEndAt = state.endsHostsEndAt ?? (state.lastEnd !== undefined ? endsHosts.map(() => state.lastEnd!.at) : undefined);
  if (!endsHostsEndAt) return state;
  const overdueBefore = ctx.clock.now() - maxRuntimeOf(state, ctx.config).ms;
  const overdue = new Map<string, number>();
  for (const r of state.open) {
    if (r.at >= overdueBefore || r.host === undefined || r.format !== CRON_FORMAT || logsNoEnd(state, r)) continue;
    const lastEndAt = endsHostsEndAt[endsHosts.indexOf(r.host)];
    if (lastEndAt === undefined || r.at <= lastEndAt) continue;
    overdue.set(r.host, (overdue.get(r.host) ?? 0) + 1);
  }
  const lost = endsHosts.filter((host) => (overdue.get(host) ?? 0) >= ENDS_LOST_AFTER_RUNS);
  if (lost.length === 0) return state;
  // Its open runs were started by a cron that logs no end: never awaited, even once the host logs CMDEND again.
  const open = state.open.map((r): OpenRun => (r.host !== undefined && lost.includes(r.host) && r.format === CRON_FORMAT && !logsNoEnd(state, r) ? { ...r, countedByStart: true } : r));
  const kept = (_: unknown, i: number) => !lost.includes(endsHosts[i]);
  return { ...state, open, endsHosts: endsHosts.filter(kept), endsHostsEndAt: endsHostsEndAt.filter(kept) };
}

/**
 * The sweep's judgement of one job at `now`: expected starts of its schedule that are due and
 * had no run (`missed-run`), and open runs past their max runtime (`run-unfinished`). Each
 * expected start and each open run is judged once; the state remembers how far it got.
 * `now` is the sweep's clock, unless the job is judged as of an earlier time (`asOf`: scan's
 * hourly sweeps judge each job as of its own latest line); a schedule changed in the config is
 * still dated from the sweep's clock, when the sweep first sees it (`scheduleChangedFrom`).
 */
export function judgeAbsence(state: JobState, subject: string, ctx: ReduceContext, asOf?: number): Reduction<JobState> {
  const sweptAt = ctx.clock.now();
  const now = Math.min(asOf ?? sweptAt, sweptAt);
  const job = ownValue(ctx.config.jobs, subject);
  const graceMs = graceMinutesOf(ctx.config, subject) * MINUTE_MS;
  // A start is judged once no run could still count for it: its grace time over, and its minute.
  const judgedUntil = now - onTimeWithinMs(graceMs);
  let slots: ExpectedSlots = NO_SLOTS;
  let older: ExpectedSlots = NO_SLOTS;
  // Judged only by the sweep of a reader that has read all that history (ReduceContext.historyRead).
  const olderSpan = ctx.historyRead === true ? state.absenceOlder : undefined;
  let scheduleKey: string | undefined;
  let changedFrom: number | undefined;
  // A scheduled job nothing of which was ever seen (jobReducer.configured), first watched now: when
  // is remembered, once, and its expected starts are judged from then, as a job's are from its first
  // run seen (firstJudgedAfter: the expected start at now, or just after within its early allowance,
  // is the first). Nothing before was watched: a start expected before the first sweep (a fresh
  // deploy) may have had its run, its lines sent before the job was watched.
  if (job?.schedule && state.firstSeenAt === undefined && state.unseenSince === undefined) {
    return {
      state: { ...state, unseenSince: now, absenceCheckedUntil: firstJudgedAfter(job.schedule, job.timezone, now), absenceSchedule: absenceScheduleKey(job.schedule, job.timezone) },
      findings: [],
      records: [],
    };
  }
  // Seen (firstSeenAt) or first watched unseen (unseenSince), as the return above leaves it.
  if (job?.schedule) {
    scheduleKey = absenceScheduleKey(job.schedule, job.timezone);
    // The schedule or its time zone changed since the last judgement: the times since then were
    // under the old one, whose expected starts the new one would call missed. The new one is judged
    // from the sweep that first sees it on (its grace time past), as the change cannot be dated more closely.
    if (state.absenceSchedule !== undefined && state.absenceSchedule !== scheduleKey) changedFrom = scheduleChangedFrom(state, sweptAt - onTimeWithinMs(graceMs));
    const starts = state.starts ?? [];
    // Judge from when monitoring began: from the expected time the first run seen belongs to, and
    // an expected time before that is not known to have been watched. Never further back than
    // MAX_LOOKBACK_MS, nor before the oldest start time kept once older ones were dropped (their
    // runs are no longer known: they would look missed).
    let earliest = now - MAX_LOOKBACK_MS;
    if (starts.length >= MAX_STARTS) earliest = Math.max(earliest, starts[0] + EARLY_MS - 1);
    const from = Math.max(changedFrom ?? state.absenceCheckedUntil ?? firstJudgedAfter(job.schedule, job.timezone, state.firstSeenAt ?? state.unseenSince!), earliest);
    slots = expectedSlots(job.schedule, job.timezone, from, judgedUntil);
    // Older history read after that judgement began (a backfill of an earlier span): the expected
    // times from its first run up to where the judgement began, once.
    if (olderSpan) {
      const olderFrom = Math.max(firstJudgedAfter(job.schedule, job.timezone, olderSpan.from), earliest);
      const olderUntil = Math.min(firstJudgedAfter(job.schedule, job.timezone, olderSpan.to), judgedUntil, from);
      older = expectedSlots(job.schedule, job.timezone, olderFrom, olderUntil);
    }
  }
  const runtime = maxRuntimeOf(state, ctx.config);
  const reported = new Set(state.unfinishedReported ?? []);
  const input = {
    job: subject,
    now,
    schedule: job?.schedule,
    timezone: job?.timezone,
    ...slots,
    starts: state.starts ?? [],
    startsFromEnd: startsFromEndOf(state),
    graceMs,
    earlyMs: EARLY_MS,
    // Ids as lines now give them: a redact pattern added since a run started must hide its id here too.
    open: awaitedRunsAsLogged(state, ctx.config),
    endsLogged: runsLogEnds(state),
    maxRuntimeMs: runtime.ms,
    maxRuntimeSource: runtime.source,
    reportedUnfinished: reported,
    lastRunAt: state.lastStartAt ?? state.lastEnd?.at,
    ...(state.unseenSince !== undefined && !anyLineArrived(state) ? { unseenSince: state.unseenSince } : {}),
  };
  // The older slots are judged as the others, with no open runs: those are judged once, above.
  const inputs = older.expected.length > 0 ? [{ ...input, ...older, open: [] }, input] : [input];
  const findings = inputs.flatMap((i) => ABSENCE_DETECTORS.flatMap((d) => d.check(i).map((draft) => toFinding(draft, d.meta, ctx.config))));
  // The runs reported now, by id and start (an id may be open twice: only the one reported is remembered).
  const unfinished = findings
    .filter((f) => f.detector === 'run-unfinished')
    .flatMap((f) => input.open.filter((r) => r.run_id === f.run_id && isoTime(r.startedAt) === f.evidence?.started_at).map(unfinishedRunKey));
  const advanced = slots.expected.length > 0;
  // No schedule now (the job or its schedule taken out of the config) for a state judged under one:
  // the time it has none expects nothing, so it keeps NO_SCHEDULE, written once, and a schedule given
  // back is a change, judged from the sweep that sees it (not across the time it was out).
  const unscheduled = !job?.schedule && state.absenceSchedule !== NO_SCHEDULE && (state.absenceSchedule !== undefined || state.absenceCheckedUntil !== undefined);
  if (findings.length === 0 && !advanced && olderSpan === undefined && changedFrom === undefined && !unscheduled) return { state, findings: [], records: [] };
  const { absenceOlder: _judged, ...rest } = state;
  return {
    state: {
      ...(olderSpan ? rest : state),
      absenceCheckedUntil: advanced ? slots.expected[slots.expected.length - 1] : (changedFrom ?? state.absenceCheckedUntil),
      ...(scheduleKey !== undefined ? { absenceSchedule: scheduleKey } : unscheduled ? { absenceSchedule: NO_SCHEDULE } : {}),
      unfinishedReported: [...new Set([...reported, ...unfinished])].filter((key) => input.open.some((r) => keyNamesRun(key, r))),
    },
    findings,
    records: [],
  };
}

/**
 * Where a schedule changed in the config (or given back to a job taken out of it) is judged from:
 * the grace time back from the sweep that first sees it (`seenUntil`), never before the expected
 * starts already judged. Not from the time the job is judged as of, when that is earlier (scan's
 * hourly sweeps judge a job as of its own latest line, which may be a scan before, judged up to its
 * `--now` under the old schedule): its expected starts from there to the sweep are the old schedule's,
 * or none while it was out, not the new one's missed.
 */
function scheduleChangedFrom(state: JobState, seenUntil: number): number {
  return Math.max(state.absenceCheckedUntil ?? Number.NEGATIVE_INFINITY, seenUntil);
}

/**
 * The sweep's judgement of one job at `now`: its absence (`judgeAbsence`), and, for a job whose runs
 * log no end (or its runs that started before they were known to log one, `endsLoggedFrom`), its open
 * runs whose healthy window is over by now, healthy for the alert policy (`healthyRunsBefore`), as a
 * later start would find them: by the clock less SWEEP_MARGIN_MS, as a failure line may still be on
 * its way. The state changes only when some are.
 */
function judgeAtNow(state: JobState, subject: string, ctx: ReduceContext): Reduction<JobState> {
  const judged = judgeAbsence(withoutHostsEndsLost(state, ctx), subject, ctx);
  const from = judged.state.healthyBefore;
  const until = startsOnlyUntil(judged.state);
  if (until === undefined || from === undefined) return judged;
  const healthy = healthyRunsBefore(judged.state.open, from, Math.min(until, ctx.clock.now() - SWEEP_MARGIN_MS - cronHealthyAfter(subject, ctx.config)));
  if (healthy.length === 0) return judged;
  const outcomes = healthy.map((r) => healthyOutcome(subject, r));
  const judgedBefore = healthy.reduce((latest, r) => Math.max(latest, r.at + 1), from);
  return { ...judged, state: { ...judged.state, healthyBefore: judgedBefore }, outcomes: [...(judged.outcomes ?? []), ...outcomes] };
}

/**
 * A state's open runs as the absence detectors read them, their ids as lines now give them
 * (`runIdAsLogged`), kept per open-runs array and redactor: a sweep judges every job each hour,
 * and redacting the ids of its open runs (up to MAX_OPEN) again each time is costly. A state's
 * array is not changed once written (a batch changes its own copy), and the runs are compared
 * besides. Weak: dropped with the states that hold the arrays.
 */
const openRunViews = new WeakMap<readonly OpenRun[], { readonly runs: readonly OpenRun[]; readonly redactor: unknown; readonly views: readonly OpenRunView[] }>();

function openRunsAsLogged(open: readonly OpenRun[], config: Config): readonly OpenRunView[] {
  const redactor = redactorFor(config);
  const kept = openRunViews.get(open);
  if (kept && kept.redactor === redactor && kept.runs.length === open.length && kept.runs.every((r, i) => r === open[i])) return kept.views;
  const views = open.map((r) => openRunView(r, config));
  openRunViews.set(open, { runs: open.slice(), redactor, views });
  return views;
}

/**
 * The open runs waited on to end (`awaitsEnd`: not a systemd unit that is up, of a job with no
 * schedule), as the absence detectors read them (`openRunsAsLogged`); the schedule is looked for
 * only when such a unit is open.
 */
function awaitedRunsAsLogged(state: JobState, config: Config): readonly OpenRunView[] {
  const views = openRunsAsLogged(state.open, config);
  const daemons = !state.open.every((r) => r.active !== true) && !runsOnSchedule(state, config);
  // Runs that started before the job's runs were known to log an end, or on a host whose runs log none, log none: never awaited.
  if (!daemons && !state.open.some((r) => logsNoEnd(state, r))) return views;
  return views.filter((_, i) => !(daemons && state.open[i].active === true) && !logsNoEnd(state, state.open[i]));
}

/** An open run as the absence detectors read it, its id as lines now give it (`runIdAsLogged`). */
function openRunView(run: OpenRun, config: Config): OpenRunView {
  return { run_id: runIdAsLogged(run.run_id, config), startedAt: run.at, host: run.host };
}

/** The expected times of a judgement, with the times around them that bound their slots (see unmatchedExpected). */
export interface ExpectedSlots {
  readonly expected: number[];
  readonly following: number[];
  readonly previous: number | undefined;
}

const NO_SLOTS: ExpectedSlots = { expected: [], following: [], previous: undefined };

/** The expected times in `(from, until]`, the next two after them, and the one before. The sweep and the report's re-judgement of a missed-run (late-runs.ts) read them so. */
export function expectedSlots(schedule: string, timezone: string | undefined, from: number, until: number): ExpectedSlots {
  if (!(until > from)) return NO_SLOTS;
  const expected = expectedStarts(schedule, timezone, from, until);
  if (expected.length === 0) return NO_SLOTS;
  return {
    expected,
    following: expectedStarts(schedule, timezone, expected[expected.length - 1], Number.POSITIVE_INFINITY, 2),
    previous: expectedStarts(schedule, timezone, expected[0] - 2 * EARLY_MS - 1, expected[0] - 1).pop(),
  };
}

/**
 * Job runs: pairs starts with ends, judges each finished run against the job's baseline, and
 * keeps the baseline (rolling windows of output bytes and durations of normal successful runs).
 * A run that fired an output finding does not enter the output baseline, so a broken job never
 * becomes the new normal; likewise for durations.
 */
export const jobReducer: SubjectReducer<JobState> = {
  kind: 'job',
  recordsRuns: true,
  bodyTypes: ['run.start', 'run.end', 'run.failed', 'output.discarded'],
  subjectOf(event) {
    return isJobEvent(event) ? event.body.job : undefined;
  },
  initial: initialJobState,
  enrich: (events, config) => withSystemdReasons(withLoggedErrorReasons(attributeDiscardedOutput(events, config))),
  tick: judgeAtNow,
  sourceOf: (state) => state.lastSource,
  configured(config) {
    return Object.entries(config.jobs)
      .filter(([, job]) => job.schedule)
      .map(([name]) => name);
  },
  apply(initial, subject, events, ctx): Reduction<JobState> {
    // One shallow copy of the state per batch, made on the first change; fields are then replaced
    // on it (never the arrays and objects it shares with `initial`, which stay as they were).
    let state = initial;
    let copied = false;
    const edit = (): { -readonly [K in keyof JobState]: JobState[K] } => {
      if (!copied) {
        state = { ...state };
        copied = true;
      }
      return state;
    };
    const findings: Finding[] = [];
    const records: RunRecord[] = [];
    // Healthy runs of a job whose runs log no end, for the alert policy only (`Reduction.outcomes`).
    const outcomes: RunRecord[] = [];
    const window = ctx.config.defaults.baseline_window;
    // The lists and records a run changes: shared with `initial` until their first change, then
    // this batch's own copies, changed in place. Fields are still written in the order they always
    // were, so a new state holds its keys in the same order.
    const starts = new StartTimes(initial.starts, initial.startsFromEnd);
    // The end times 4a40e77's states kept for every value (outputEnds, durationEnds) are not read: their values are taken as live.
    const outputs = new BaselineWindow(initial.outputs, window, initial.olderOutputEnds);
    const durations = new BaselineWindow(initial.durations, window, initial.olderDurationEnds);
    const hosts = new HostCounts(initial.hosts);
    const startMonths = new StartMonthCounts(initial.startMonths);
    let openOwned = false;
    const ownOpen = (): OpenRun[] => {
      const d = edit();
      if (!openOwned) {
        d.open = d.open.slice();
        openOwned = true;
      }
      return d.open;
    };
    let endsAtOwned = false;
    /** `endsHostsEndAt`, this batch's own copy. */
    const ownEndsAt = (): number[] => {
      const d = edit();
      if (!endsAtOwned) {
        d.endsHostsEndAt = d.endsHostsEndAt?.slice() ?? [];
        endsAtOwned = true;
      }
      return d.endsHostsEndAt!;
    };
    let lastEnd: { run_id: string; at: number; exit_code: number; host?: string } | undefined;
    // The end applied last, in this batch or before: a second end line of the same run comes right after it.
    let previousEnd: { readonly at: number; readonly host?: string } | undefined = state.lastEnd;
    // The job's options are the same for every run of the batch.
    let options: JobOptions | undefined;

    // Runs this batch reports failed by name: Lambda may write "Task timed out" after the REPORT
    // that ends the invocation without a Status, which must not close it as a success first. Only
    // that invocation's REPORT, within seconds of it: a retry (the same request id, a minute or
    // more later) is a run of its own.
    const failedInBatch = namedFailures(events);
    const failedNear = (runId: string, at: number) => failedInBatch?.get(runId)?.some((f) => Math.abs(f.at - at) <= SAME_INVOCATION_MS) === true;
    // The error type a REPORT of the batch names for the invocation of this request id at `at`, whose run fails with
    // `failure` (`invocationFailure`): the runtime's Invoke Error or exit line that fails it comes first, and the REPORT
    // after it is then skipped. The exit line's own `Runtime.ExitError` only when no other marker names one (a REPORT of
    // the older shape, without Status): it says less (`Runtime.OutOfMemory`), and is no timeout's.
    const errorTypeNear = (requestId: string | undefined, at: number, failure: RunFailedMarker): string | undefined => {
      let exitType: string | undefined;
      for (const f of (requestId === undefined ? undefined : failedInBatch?.get(requestId)) ?? []) {
        if (f.body.error_type === undefined || Math.abs(f.at - at) > SAME_INVOCATION_MS) continue;
        if (!runtimeExited(f.body)) return f.body.error_type;
        exitType ??= f.body.error_type;
      }
      return timedOut(failure) ? undefined : exitType;
    };
    // Whether a platform end is an exit line (`exitedLine`) of a request id no START, REPORT or other line of the batch names:
    // a run open for it, or an end of it remembered, is then its only sign of being this function's invocation, else the
    // line is the errorMessage of another function's invocation that one of this function's printed unprefixed.
    // A START of it remembered (`START_TOKEN`, its run pushed out of the open runs by MAX_OPEN later starts) is one too.
    let logged: Set<string> | undefined;
    const exitUnlogged = (body: RunEnd | RunFailedMarker): boolean =>
      body.type === 'run.failed' &&
      body.run_id !== undefined &&
      exitedLine(body) &&
      !(logged ??= invocationsLogged(events)).has(body.run_id) &&
      !processed.has(`${START_TOKEN}${body.run_id}`);
    // The marker that says why the invocation of a failure marker failed: a timeout's of its request id near it in the batch
    // (`Task timed out after 5.80 s` before its REPORT's bare `timeout`), else the runtime's error line's (`runtimeFailed`:
    // `Uncaught Exception`, `TypeError: x is undefined`), rather than the runtime's exit line, which a timeout kills it with
    // or a thrown error exits it with (`exit status 129`), and which `aws logs tail --format short`'s whole seconds sort
    // first; else the marker itself.
    const invocationFailure = (marker: RunFailedMarker, at: number): RunFailedMarker => {
      if (!runtimeExited(marker) || marker.run_id === undefined) return marker;
      let timeout: RunFailedMarker | undefined;
      let error: RunFailedMarker | undefined;
      for (const f of failedInBatch?.get(marker.run_id) ?? []) {
        if (Math.abs(f.at - at) > SAME_INVOCATION_MS) continue;
        if (timedOut(f.body)) {
          if (timeout === undefined || f.body.reason.length > timeout.reason.length) timeout = f.body;
        } else if (error === undefined && f.format === PLATFORM_FORMAT && runtimeFailed(f.body)) error = f.body;
      }
      return timeout ?? error ?? marker;
    };
    // What a failure marker that closes a run says of its failure: its invocation's reason and error type.
    const invocationMarkerFailure = (event: AuditEvent<RunFailedMarker>): Pick<CompletedRun, 'failure' | 'error_type'> => {
      const failure = invocationFailure(event.body, event.at);
      return markerFailure(failure, awaitsErrorType(event) ? errorTypeNear(event.body.run_id, event.at, failure) : undefined);
    };

    // The processed list is kept aside while the events are applied and written into the state at the end.
    const processed = new ProcessedTokens(state.processedRing, state.processed, state.processedAt, state.processedUntil, state.lastSeenAt, events.length);
    // The latest Lambda START of the batch in each log stream (a stream runs one invocation at a time), read even when the
    // function's own run lines speak for its runs: a `run.start` it prints unprefixed (Python print, Go, Java LambdaLogger,
    // .NET, Rust), which names no request id, is of the invocation that START began, and its run is then that request id's
    // (`openRunOfRequest`): its exit line alone in a later delivery finds it.
    let invocationStarts: Map<string | undefined, AuditEvent> | undefined;
    // A START in an earlier delivery (CloudWatch cut it from the run.start, even 10 ms apart) is not known: such a run.start names no request id.
    const invocationStartedBefore = (event: AuditEvent): string | undefined => {
      const stream = event.source.logStream;
      const start = stream === undefined ? undefined : invocationStarts?.get(stream);
      return start !== undefined && start.at <= event.at && start.body.type === 'run.start' ? start.body.run_id : undefined;
    };
    // The Lambda invocations closed as a success whose values entered the windows: this batch's copy once changed.
    let okEntered: PlatformOkEntry[] | undefined;
    const ownOkEntered = (): PlatformOkEntry[] => (okEntered ??= (initial.platformOkEntered ?? []).slice());
    const noteOkEntered = (entry: PlatformOkEntry): void => {
      const list = ownOkEntered();
      list.push(entry);
      let latest = entry.at;
      for (const e of list) latest = Math.max(latest, e.at);
      removeWhere(list, (e) => e.at < latest - DELIVERY_LAG_MS);
      keepNewest(list, MAX_PLATFORM_OK_KEPT);
    };
    /**
     * Whether an end line naming no run, at `at` on `host` in log `group`, was read: its token
     * remembered, or a token of an earlier build a state may hold: `*open@<host>@<time>` (written
     * before log groups were in the token) for a line of a group, `*open@<time>` (before hosts and
     * groups were) for a line naming either. A delivery retried across the deploy is still skipped.
     * The host-less token names no host: it is not taken for a line of another host than the one the
     * state's last end at that second names (another host's end of the same second, a run of its own).
     */
    const loadedEnd = state.lastEnd;
    const unnamedEndRead = (at: number, host: string | undefined, group: string | undefined, token = unnamedEndToken(at, host, group)) =>
      processed.has(token) ||
      (group !== undefined && host !== undefined && processed.has(unnamedEndToken(at, host, undefined))) ||
      ((host !== undefined || group !== undefined) &&
        !(host !== undefined && loadedEnd?.at === at && loadedEnd.host !== undefined && loadedEnd.host !== host) &&
        processed.has(unnamedEndToken(at, undefined, undefined)));
    // systemd starts read after their run's end (that end, read before the batch, is skipped as delivered
    // again), and the latest systemd end of the job in the batch, by host: a start before it ends there.
    const { endedBefore, latestEnd: lastSystemdEnd } = systemdEndsOf(events, subject, unnamedEndRead);
    /**
     * A systemd start read after an end of its unit that was read alone (no run open) on the same
     * host, strictly after it, in an earlier delivery (the start came late, in a delivery of its own):
     * that end's time. A unit runs once at a time on a host, so the start's run had ended by then;
     * opened now, it would never end (`run-unfinished`). Only an end within the job's max runtime
     * after the start, and only when no end of the batch on that host comes after the start: a run
     * read whole later (a backfill) keeps its duration. An end of the start's own second is not
     * taken: it may be the previous run's, the start a new run's (Restart= a few ms later), which
     * must open; nor is an end alone earlier in this batch (kept at its second rounded up), which
     * the start follows.
     */
    const lateSystemdStartEnd = (at: number, host: string | undefined): number | undefined => {
      if ((lastSystemdEnd?.get(host) ?? Number.NEGATIVE_INFINITY) >= at) return undefined;
      // The max runtime (a median of the durations) only when such an end was read: most starts have none.
      // The median is the durations window's (state.durations is its list, cut to the baseline window as maxRuntimeOf cuts it).
      const end = processed.firstTimeAfter(`${SYSTEMD_END_ALONE_TOKEN}${host ?? ''}`, at);
      return end !== undefined && end - at <= maxRuntimeWith(state.job, ctx.config, () => durations.median()).ms ? end : undefined;
    };
    /** Runs not remembered but taken as counted for being as old as the runs forgotten (`Reduction.olderThanHistory`): by their start, else by their end. */
    let olderThanHistory = 0;
    /** The origins of exit lines taken for another function's words (`exitUnlogged`): no line of this job's (`Reduction.otherFunctionLines`). */
    let otherFunctionLines: string[] | undefined;
    /** The ids of such runs counted by their start, whose end is then not counted again (made only when older history is read). */
    let olderStarts: Set<string> | undefined;
    /** Counts the run of an end so old, unless its start was counted (the run `runId` names; for an end that names none, a start so counted not yet ended). */
    const olderEnd = (runId: string | undefined) => {
      const counted = runId === undefined ? olderStarts?.values().next().value : runId;
      if (counted === undefined || !olderStarts?.delete(counted)) olderThanHistory++;
    };
    /** Whether a line at `at` was processed: its token (which holds the line's time) remembered, or the line as old as the tokens forgotten. */
    const seen = (token: string, at: number) => processed.has(token) || processed.forgotten(at);
    /** The same for a token a run id names, which a later run may use again: remembered at about the same time. */
    const seenNear = (token: string, at: number, toleranceMs: number) => processed.hasNear(token, at, toleranceMs) || processed.forgotten(at);
    const remember = (token: string, at: number) => {
      processed.add(token, at);
      edit();
    };
    const touch = (at: number) => {
      const d = edit();
      d.firstSeenAt = d.firstSeenAt === undefined ? at : Math.min(d.firstSeenAt, at);
      d.lastSeenAt = d.lastSeenAt === undefined ? at : Math.max(d.lastSeenAt, at);
    };

    const currentBaseline = (): Baseline => ({
      outputBytes: outputs.list,
      durations: durations.list,
      medianOutputBytes: outputs.median(),
      medianDurationMs: durations.median(),
    });

    /*
     * A Lambda failure line ("Task timed out") of an invocation an earlier delivery closed as a
     * success (its REPORT, without Status, came first): the run is judged as the failure it was,
     * as it would have been with both lines in one delivery, without being counted again (runs,
     * starts, hosts). Its duration is unknown here (its start is no longer open). The duration its
     * REPORT put into the baseline window is taken back out (`platformOkEntered`), so that the
     * failed run sets no baseline, as in one delivery; a finding the REPORT gave (`duration-*`)
     * stays reported: it may have been sent. No run record is written: a run is recorded once, when
     * it ends (stores keep the first record of a run, and a second one would either be dropped or
     * count the run twice), so its record still says ok; the finding says it failed, and the alert
     * policy takes a fresh finding about a run without a record in the batch as a failing outcome.
     */
    const judgeLateFailure = (event: AuditEvent<RunFailedMarker>, runId: string): void => {
      const token = `${LATE_FAILURE_TOKEN}${runId}`;
      if (seenNear(token, event.at, SAME_INVOCATION_MS)) return;
      const body = event.body;
      const okPrint = processed.printOf(`${PLATFORM_OK_TOKEN}${runId}`);
      const entered = (okEntered ?? initial.platformOkEntered)?.findIndex((e) => e.run === okPrint && Math.abs(e.at - event.at) <= SAME_INVOCATION_MS) ?? -1;
      if (entered >= 0) {
        const [values] = ownOkEntered().splice(entered, 1);
        const d = edit();
        if (values.duration_ms !== undefined) d.durations = durations.remove(values.duration_ms);
        if (values.output_bytes !== undefined) d.outputs = outputs.remove(values.output_bytes);
      }
      const run: CompletedRun = {
        job: subject,
        run_id: runId,
        endedAt: event.at,
        ...failureExitCode(body),
        host: body.host,
        ...markerFailure(body),
      };
      options ??= resolveJobOptions(ctx.config, subject);
      findings.push(...judgeRun(run, currentBaseline(), options, ctx.config));
      const d = edit();
      d.failures = d.failures + 1;
      if ((lastEnd ?? state.lastEnd)?.run_id === runId) {
        // No run ended after it: its success had ended the streak of failures that it now extends,
        // and it ends where the failure line says, as it would have in one delivery.
        d.consecutiveFailures = d.consecutiveFailures + 1;
        if (!lastEnd) d.lastEnd = lastEnd = { ...state.lastEnd! };
        lastEnd.at = event.at;
        lastEnd.exit_code = run.exit_code;
        previousEnd = lastEnd;
      }
      remember(token, event.at);
      touch(event.at);
    };

    for (const event of events) {
      if (!isJobEvent(event)) continue;
      const body = event.body;
      if (body.type === 'output.discarded') {
        const token = `discard@${event.at}`;
        if (seen(token, event.at)) continue;
        remember(token, event.at);
        const drafts = DISCARD_DETECTORS.flatMap((d) =>
          d.check({ job: subject, at: event.at, host: body.host, reason: body.reason, lastReportedAt: state.discardReportedAt }).map((draft) => toFinding(draft, d.meta, ctx.config)),
        );
        if (drafts.length > 0) edit().discardReportedAt = event.at;
        findings.push(...drafts);
        continue;
      }
      const platform = event.format === PLATFORM_FORMAT;
      // The run a platform START opened, counted, of the invocation whose first run.start this line is: the line takes it over.
      let invocationRun: OpenRun | undefined;
      if (!platform && !state.instrumented) {
        // From now on the function's own run lines speak for its runs: forget runs opened by platform lines, but the one of
        // this line's invocation (its first run.start, read after its START): that run.start takes it over.
        edit().instrumented = true;
        if (state.open.some((r) => r.format === PLATFORM_FORMAT)) {
          // Its request id: a console prefix, a JSON record, its stream's START in the batch before it (one in an earlier delivery is not known).
          const invocationId = body.type === 'run.start' ? (event.requestId ?? invocationStartedBefore(event)) : undefined;
          invocationRun = invocationId === undefined ? undefined : state.open.find((r) => r.format === PLATFORM_FORMAT && r.run_id === invocationId);
          removeWhere(ownOpen(), (r) => r.format === PLATFORM_FORMAT && r !== invocationRun);
        }
      }
      if (platform && body.type === 'run.start') (invocationStarts ??= new Map()).set(event.source.logStream, event);
      if (platform && state.instrumented && body.type !== 'run.failed') continue;
      if (body.type === 'run.start') {
        // A start is delivered again when a run with its id ended at or after it, or one with its id
        // is open since that time; a start after (an id used again: a PID, a counter that restarted)
        // is a new run, opened beside a run of the old one that never ended (each end closes the
        // latest one started before it; the old one may still be reported unfinished).
        const ended = (token: string) => processed.hasSince(token, event.at, SAME_LINE_MS);
        if (ended(body.run_id) || (platform && ended(`${PLATFORM_OK_TOKEN}${body.run_id}`)) || state.open.some((r) => r.run_id === body.run_id && Math.abs(r.at - event.at) <= SAME_LINE_MS)) continue;
        // Not remembered, but as old as the runs forgotten: taken as counted, and said (older history backfilled after newer).
        if (processed.forgotten(event.at)) {
          olderThanHistory++;
          (olderStarts ??= new Set()).add(body.run_id);
          continue;
        }
        // A START of a request id whose REPORT closed an invocation as a success before it is Lambda
        // retrying that request, which it does only after a failed attempt (a function error, whose
        // text REPORT has no Status): that attempt is judged the failure it was, at its REPORT.
        const succeededAt = platform ? processed.lastTime(`${PLATFORM_OK_TOKEN}${body.run_id}`) : undefined;
        if (succeededAt !== undefined) judgeLateFailure({ ...event, at: succeededAt, body: { type: 'run.failed', job: subject, run_id: body.run_id, reason: RETRIED_FAILURE } }, body.run_id);
        // A systemd start whose run's end was read before it (a delivery cut after that end, then
        // delivered again whole; an older systemd's `Starting D` that the pair in the batch names now;
        // a start that comes alone after its run's end came alone, `lateSystemdStartEnd`) starts nothing: that end closed no run of it and is now skipped, so the run would never
        // end. Its id is remembered at that end, as a run's is, so it is skipped again on its own.
        const endAt = endedBefore?.get(event) ?? (isSystemdStart(event.format, subject, body.run_id, event.at, body.host) ? lateSystemdStartEnd(event.at, body.host) : undefined);
        if (endAt !== undefined) {
          remember(body.run_id, endAt);
          continue;
        }
        // systemd's `Started U.` after `Starting U…` (or the other way round, lines out of order)
        // is the same run: remembered, so a redelivered one is skipped once the run has ended.
        // A `Started U.` says that run's unit is up (a daemon, or a timer's Type=simple service, not a
        // oneshot): its end is waited for only when the job has a schedule (awaitsEnd).
        const systemdStart = isSystemdStart(event.format, subject, body.run_id, event.at, body.host);
        const sameRun = systemdStart ? state.open.findIndex((r) => r.host === body.host && Math.abs(event.at - r.at) <= SYSTEMD_START_WINDOW_MS && isSystemdStart(r.format, subject, r.run_id, r.at, r.host)) : -1;
        const active = systemdStart && body.active === true;
        if (sameRun >= 0) {
          if (active && !state.open[sameRun].active) {
            const open = ownOpen();
            open[sameRun] = { ...open[sameRun], active };
          }
          remember(body.run_id, event.at);
          continue;
        }
        // A run that logs no end (cron CMD lines) stays open only among the latest MAX_OPEN: its
        // start is remembered as processed, so a redelivered one is not counted again.
        if (event.format === CRON_FORMAT) {
          const token = `${START_TOKEN}${body.run_id}`;
          if (seenNear(token, event.at, SAME_LINE_MS)) continue;
          remember(token, event.at);
        }
        // A run of a job whose runs log no end is healthy for the alert policy once a later start of
        // the job comes past its healthy window (less a minute, `cronHealthyAfter`) with no failure of it read (not a run record:
        // its runs are its starts), at its own start: the policy passes over one older than the latest
        // switch of the job's health. A run still going at the next start may fail long after it.
        let healthyBefore: number | undefined;
        if (!state.endsLogged && CRON_LINE_FORMATS.has(event.format) && (body as { pid?: number }).pid !== undefined) {
          const before = event.at - cronHealthyAfter(subject, ctx.config) + CRON_START_JUDGES_AHEAD_MS;
          if (state.healthyBefore === undefined || before > state.healthyBefore) {
            healthyBefore = before;
            if (state.healthyBefore !== undefined) {
              for (const r of healthyRunsBefore(state.open, state.healthyBefore, before)) outcomes.push(healthyOutcome(subject, r));
            }
          }
        }
        const d = edit();
        if (healthyBefore !== undefined) d.healthyBefore = healthyBefore;
        // Runs reported unfinished that have ended since are forgotten: an id remembered alone (older
        // states) whose runs have all ended names a new run now, which may be reported in turn.
        if (d.unfinishedReported?.length) {
          const stillOpen = state.open.map((r) => ({ run_id: r.run_id, startedAt: r.at }));
          d.unfinishedReported = d.unfinishedReported.filter((key) => stillOpen.some((r) => keyNamesRun(key, r)));
        }
        const open = ownOpen();
        // Its invocation's START opened a run, counted when read (its start, month, host): the run is this run.start's now, counted once,
        // and keeps the START's time, at which its start was counted (a START at a month's last moment and its run.start in the next: one month's).
        if (invocationRun !== undefined) {
          open[open.indexOf(invocationRun)] = { run_id: body.run_id, at: invocationRun.at, host: body.host, format: event.format, request_id: invocationRun.run_id, ...(invocationRun.countedByStart ? { countedByStart: true } : {}) };
          d.hosts = hosts.count(body.host);
          touch(event.at);
          continue;
        }
        const requestId = event.requestId ?? (platform ? undefined : invocationStartedBefore(event));
        // A run on a host whose runs log no end, of a job whose runs on other hosts do: counted by its start.
        const countedByStart = d.endsLogged && fromHostWithoutEnds(d, { format: event.format, host: body.host });
        open.push({ run_id: body.run_id, at: event.at, host: body.host, format: event.format, ...(active ? { active } : {}), ...(requestId !== undefined ? { request_id: requestId } : {}), ...(countedByStart ? { countedByStart } : {}) });
        // A run that logs no end pushed out, not judged yet, by MAX_OPEN later starts of its job with no
        // failure read (more than 50 at once is no cron job's way) is healthy: else never judged.
        const dropped = open.length - MAX_OPEN;
        // A Lambda invocation's run pushed out leaves its START remembered: its exit line alone in a later delivery still fails it (`exitUnlogged`).
        for (let i = 0; i < dropped; i++) {
          const invocationId = open[i].format === PLATFORM_FORMAT ? open[i].run_id : open[i].request_id;
          if (invocationId !== undefined) remember(`${START_TOKEN}${invocationId}`, open[i].at);
        }
        const until = startsOnlyUntil(d);
        if (dropped > 0 && until !== undefined && d.healthyBefore !== undefined) for (const r of healthyRunsBefore(open.slice(0, dropped), d.healthyBefore, until)) outcomes.push(healthyOutcome(subject, r));
        keepNewest(open, MAX_OPEN);
        if (!d.endsLogged) {
          // A state that saw starts before it counted them: the months up to its latest start may hold uncounted ones.
          if (d.startMonths === undefined && (d.startsSeen ?? 0) > 0) d.startMonthsFrom = Math.max(d.lastStartAt ?? event.at, event.at);
          d.startMonths = startMonths.count(event.at);
        } else if (countedByStart) {
          d.runsByStarts = (d.runsByStarts ?? 0) + 1;
          d.startMonths = startMonths.count(event.at);
        }
        d.lastStartAt = Math.max(d.lastStartAt ?? 0, event.at);
        d.starts = starts.add(event.at, MAX_STARTS);
        d.earliestStarts = withEarliest(d.earliestStarts, event.at);
        d.hosts = hosts.count(body.host);
        d.startsSeen = (d.startsSeen ?? 0) + 1;
        touch(event.at);
        continue;
      }

      // An end: resolve which run it closes.
      // A platform failure of an instrumented function (a timeout) ends the run its own lines opened:
      // the one its request id opened, else (no run.start line named it) the latest one open that no
      // other invocation's request id names; concurrent invocations each run one.
      const invocation = platform && state.instrumented;
      let runId = invocation ? OPEN_RUN : body.run_id;
      let closes: OpenRun | undefined;
      if (runId === undefined || runId === OPEN_RUN) {
        // Only an end that names no run has an end token: no time printed for the others.
        const group = logGroupOf(event.source);
        const endToken = unnamedEndToken(event.at, body.host, group);
        // Before a run open is looked for: a line read before, delivered again, closes no older run left open.
        if (unnamedEndRead(event.at, body.host, group, endToken)) continue;
        const ownRun = invocation ? openRunOfRequest(state.open, body.run_id, event.at, body.host, ctx.config) : undefined;
        if (invocation && !ownRun && exitUnlogged(body)) {
          (otherFunctionLines ??= []).push(event.source.origin);
          continue;
        }
        // An invocation whose run was pushed out of the open runs (its START remembered) closes no other run: the
        // runs open are other invocations', and its end fails a run of its own, under an id of its time (below).
        const pushedOut = invocation && !ownRun && body.run_id !== undefined && processed.has(`${START_TOKEN}${body.run_id}`);
        const open = ownRun ?? (pushedOut ? undefined : latestOpenAt(state.open, event.at, body.host, invocation && body.run_id !== undefined));
        closes = open;
        if (open) runId = open.run_id;
        else if (processed.forgotten(event.at)) {
          olderEnd(undefined);
          continue;
        } else if (previousEnd && Math.abs(event.at - previousEnd.at) <= SAME_END_WINDOW_MS && sameHost(body.host, previousEnd.host)) {
          remember(endToken, event.at);
          continue;
        } else {
          // Named by its host too: the unit may end alone at that second on another host, a run of its own.
          runId = body.host === undefined ? `${subject}@${isoTime(event.at)}` : `${subject}@${body.host}@${isoTime(event.at)}`;
          // The end of a run whose start was not read: a systemd start read later finds it by host.
          if (event.format !== undefined && SYSTEMD_FORMATS.has(event.format)) remember(`${SYSTEMD_END_ALONE_TOKEN}${body.host ?? ''}`, event.at);
        }
        remember(endToken, event.at);
      }
      // A run id is remembered at its run's end: an end at that time is delivered again, at another an
      // end of a later run with the id. An end as old as the runs forgotten is taken as processed,
      // unless the run it closes is open (so not ended yet).
      const sameRunMs = platform ? SAME_INVOCATION_MS : SAME_LINE_MS;
      if (processed.hasNear(runId, event.at, sameRunMs)) continue;
      if (processed.forgotten(event.at) && !state.open.some((r) => r.run_id === runId)) {
        olderEnd(runId);
        continue;
      }
      if (platform && processed.hasNear(`${PLATFORM_OK_TOKEN}${runId}`, event.at, sameRunMs)) {
        if (body.type === 'run.failed') judgeLateFailure(event as AuditEvent<RunFailedMarker>, runId);
        continue;
      }
      if (body.type === 'run.end' && body.exit_code === 0 && failedNear(runId, event.at)) continue;

      const started = closes ?? openRunWithId(state.open, runId, event.at, body.host) ?? openRunRedactedAs(state.open, runId, event.at, body.host, ctx.config);
      if (platform && !started && exitUnlogged(body)) {
        (otherFunctionLines ??= []).push(event.source.origin);
        continue;
      }
      const end = body.type === 'run.end' ? body : undefined;
      const run: CompletedRun = {
        job: subject,
        run_id: runId,
        endedAt: event.at,
        startedAt: started?.at,
        ...(end ? { exit_code: end.exit_code } : failureExitCode(body as RunFailedMarker)),
        duration_ms: end?.duration_ms ?? (started ? event.at - started.at : undefined),
        output_bytes: end?.output_bytes,
        output_lines: end?.output_lines,
        output_head: end?.output_head,
        output_tail: end?.output_tail,
        ...(end && exitUnknown(end) ? { exit_code_unknown: true } : {}),
        ...(end ? expectPatternSeenOf(end) : {}),
        ...(end && event.outputWhole !== undefined ? { outputWhole: event.outputWhole } : {}),
        host: body.host ?? started?.host,
        ...(end ? endFailure(end) : invocationMarkerFailure(event as AuditEvent<RunFailedMarker>)),
      };

      // A run that ended an hour or more before the job's latest end is older history read late (a
      // backfill of an earlier span): the windows hold later runs, so the baseline detectors do not
      // judge it. Within the hour it is a host or log stream delivered behind the others, judged as usual.
      const latest = lastEnd ?? state.lastEnd;
      const older = latest !== undefined && event.at <= latest.at - DELIVERY_LAG_MS;
      // Detectors read the windows (never keep them: evidence holds numbers), before this run changes them.
      options ??= resolveJobOptions(ctx.config, subject);
      const runFindings = judgeRun(run, older ? NO_BASELINE : currentBaseline(), options, ctx.config);
      let abnormal = false;
      for (const finding of runFindings) {
        findings.push(finding);
        if (ABNORMAL_RUN_FINDINGS.has(finding.detector)) abnormal = true;
      }
      // A run that ended past its max runtime, of a job whose runs the sweep waits for to end, is
      // unfinished as the sweep judges it while it hangs, unless a sweep reported it (endedUnfinished).
      // Older history read late only past a configured max runtime: the windows' median is the later runs'.
      if (started && runsLogEnds(state) && !logsNoEnd(state, started) && awaitsEnd(started, () => runsOnSchedule(state, ctx.config)) && (!older || ownValue(ctx.config.jobs, subject)?.max_runtime_minutes !== undefined)) {
        const runtime = maxRuntimeWith(state.job, ctx.config, () => durations.median());
        const late = event.at - started.at > runtime.ms ? endedUnfinished(subject, openRunView(started, ctx.config), event.at, runtime, state.unfinishedReported) : undefined;
        if (late) findings.push(toFinding(late, runUnfinishedDetector.meta, ctx.config));
      }
      const ok = run.exit_code === 0 && run.failure === undefined;
      const d = edit();
      if (started) removeWhere(ownOpen(), (r) => r === started);
      // A run that started while its job's runs (or its host's, `countedByStart`) logged no end was counted by its start.
      const countedByStart = started !== undefined && (!d.endsLogged || startedBeforeEnds(d, started) || started.countedByStart === true);
      const endsLoggedBefore = d.endsLogged;
      if (!endsFailuresOnly(body) && !d.endsLogged) {
        // Its runs open now started when they logged no end (`endsLoggedFrom`): they keep that rule.
        if (d.open.some((r) => r.at < event.at)) d.endsLoggedFrom = event.at;
        d.endsLogged = true;
        // Its runs are counted by their records from now on; those counted by their starts until now stay counted.
        d.runsByStarts = Math.max(0, (d.startsSeen ?? 0) - d.runs);
      }
      // Its host's cron runs log an end: awaited from now on.
      if (!endsFailuresOnly(body) && event.format === CRON_FORMAT && run.host !== undefined && !d.endsHosts?.includes(run.host) && (d.endsHosts?.length ?? 0) < MAX_HOSTS) {
        d.endsHosts = withEndsHost(d, endsLoggedBefore, run.host);
      }
      // Its host's latest end read (`withoutHostsEndsLost`).
      const endsHostIndex = !endsFailuresOnly(body) && event.format === CRON_FORMAT && run.host !== undefined && d.endsHosts ? d.endsHosts.indexOf(run.host) : -1;
      if (endsHostIndex >= 0) d.endsHostsEndAt = withHostEndRead(ownEndsAt(), d.endsHosts!.length, endsHostIndex, started?.at ?? event.at);
      // Its run is counted by its record: its start no longer.
      if (countedByStart && d.endsLogged) {
        d.runsByStarts = (d.runsByStarts ?? 0) - 1;
        const months = startMonths.uncount(started.at);
        if (months) d.startMonths = months;
        else {
          delete d.startMonths;
          delete d.startMonthsFrom;
        }
      }
      if (d.runsByStarts !== undefined && d.runsByStarts <= 0) delete d.runsByStarts;
      d.runs = d.runs + 1;
      d.failures = d.failures + (ok ? 0 : 1);
      // The last end and the streak of failures are the latest runs': a run of older history read late leaves them.
      if (latest === undefined || event.at >= latest.at) {
        d.consecutiveFailures = ok ? 0 : d.consecutiveFailures + 1;
        if (lastEnd) {
          lastEnd.run_id = runId;
          lastEnd.at = event.at;
          lastEnd.exit_code = run.exit_code;
          if (run.host === undefined) delete lastEnd.host;
          else lastEnd.host = run.host;
        } else d.lastEnd = lastEnd = { run_id: runId, at: event.at, exit_code: run.exit_code, ...(run.host !== undefined ? { host: run.host } : {}) };
      }
      previousEnd = { at: event.at, host: run.host };
      // A run known only from its end, which gives no duration: its end is kept, marked, as it started at some time before it.
      d.starts = started ? starts.list : starts.add(event.at - (run.duration_ms ?? 0), MAX_STARTS, run.duration_ms === undefined);
      if (!started) d.earliestStarts = withEarliest(d.earliestStarts, event.at - (run.duration_ms ?? 0));
      d.hosts = started ? hosts.hosts : hosts.count(run.host);
      // An older run's values go in at their place in time, where there is room for them.
      const outputEntered = ok && run.output_bytes !== undefined && !abnormal && (!older || outputs.admitsOlder(event.at, window));
      const durationEntered = ok && run.duration_ms !== undefined && !abnormal && (!older || durations.admitsOlder(event.at, window));
      const enter = (values: BaselineWindow, value: number) => (older ? values.insertOlder(value, event.at, window) : values.push(value, window));
      d.outputs = outputEntered ? enter(outputs, run.output_bytes!) : outputs.list;
      d.durations = durationEntered ? enter(durations, run.duration_ms!) : durations.list;
      const token = platform && ok ? `${PLATFORM_OK_TOKEN}${runId}` : runId;
      if (platform && ok && (outputEntered || durationEntered)) {
        noteOkEntered({ run: processed.printOf(token), at: event.at, ...(durationEntered ? { duration_ms: run.duration_ms } : {}), ...(outputEntered ? { output_bytes: run.output_bytes } : {}) });
      }
      remember(token, event.at);
      touch(event.at);
      records.push({
        subject,
        subject_kind: 'job',
        run_id: runId,
        ts: isoTime(event.at),
        status: ok ? 'ok' : 'failed',
        // None claimed for an exit status not logged (cronie's `CMDEND`): its 0 only says no failure is known.
        exit_code: run.exit_code_unknown ? undefined : run.exit_code,
        duration_ms: run.duration_ms,
        output_bytes: run.output_bytes,
        host: run.host,
        // A run that exited 0 but that a detector fired on (empty-output, output-shrink, …) is failing:
        // said on its record, so that a delivery retried without its findings (their state already
        // written) does not read it back as healthy. A failed run says so by its status.
        ...(ok && runFindings.length > 0 ? { flagged: true as const } : {}),
      });
    }
    // Older history than absence was judged from: the reader's last sweep judges its expected starts once (judgeAbsence).
    // Of a job first watched never seen (unseenSince), judged from then: its runs from before then, as for a first run seen.
    const firstBefore = initial.absenceOlder?.to ?? initial.firstSeenAt ?? initial.unseenSince;
    if (initial.absenceCheckedUntil !== undefined && firstBefore !== undefined && state.firstSeenAt !== undefined && state.firstSeenAt < (initial.firstSeenAt ?? firstBefore)) {
      edit().absenceOlder = { from: state.firstSeenAt, to: firstBefore };
    }
    // The end times of the windows' older values, written with the values (not when only cut to a
    // lowered window, which is not written), and only while the windows hold some.
    if (outputs.changed && state.outputs === outputs.list) {
      const d = edit();
      if (outputs.olderEnds.length > 0) d.olderOutputEnds = outputs.olderEnds;
      else delete d.olderOutputEnds;
    }
    if (durations.changed && state.durations === durations.list) {
      const d = edit();
      if (durations.olderEnds.length > 0) d.olderDurationEnds = durations.olderEnds;
      else delete d.olderDurationEnds;
    }
    if (copied) {
      const d = edit();
      delete d.outputEnds;
      delete d.durationEnds;
      // A state stored by a build that kept its log streams' STARTs (streamStarts, unprefixedRunStarts): no longer read, dropped at a write.
      if ('streamStarts' in d || 'unprefixedRunStarts' in d) for (const key of ['streamStarts', 'unprefixedRunStarts']) delete (d as Record<string, unknown>)[key];
      // Where the job's lines were last seen: the batch's latest line, unless it is older history read late.
      const latest = events.at(-1);
      if (latest !== undefined && latest.at >= (initial.lastSeenAt ?? Number.NEGATIVE_INFINITY)) {
        const source = findingSourceOf(latest.source, redactorFor(ctx.config));
        if (!sameSource(source, initial.lastSource)) d.lastSource = source;
      }
    }
    if (okEntered) {
      const d = edit();
      if (okEntered.length > 0) d.platformOkEntered = okEntered;
      else delete d.platformOkEntered;
    }
    const fromEnd = starts.fromEndText();
    if (fromEnd !== state.startsFromEnd) {
      const d = edit();
      if (fromEnd === undefined) delete d.startsFromEnd;
      else d.startsFromEnd = fromEnd;
    }
    if (processed.changed) {
      const d = edit();
      const kept = processed.toState();
      d.processedRing = kept.processedRing;
      d.processedAt = kept.processedAt;
      if (kept.processedUntil !== undefined) d.processedUntil = kept.processedUntil;
      delete d.processed;
    }
    // Runs of a job the config gives no schedule: nothing was expected of it up to now, so a schedule
    // given later is judged from the sweep that first sees it (judgeAbsence), not from these runs.
    // Kept only with a change the batch writes anyway.
    const configured = ownValue(ctx.config.jobs, subject);
    if (copied && !configured?.schedule && state.absenceSchedule !== NO_SCHEDULE) edit().absenceSchedule = NO_SCHEDULE;
    // Seen while the config names the job (`configuredSeenUntil`): kept with a change the batch writes anyway.
    if (copied && configured !== undefined && state.lastSeenAt !== undefined && state.configuredSeenUntil !== state.lastSeenAt) edit().configuredSeenUntil = state.lastSeenAt;
    return { state, findings, records, ...(outcomes.length > 0 ? { outcomes } : {}), ...(olderThanHistory > 0 ? { olderThanHistory } : {}), ...(otherFunctionLines ? { otherFunctionLines } : {}) };
  },
};

export interface JobSummary {
  readonly job: string;
  /** Finished runs, those counted by their start alone (`runsByStarts`) and those reported unfinished still open; or run starts for jobs whose runs log no end. */
  readonly runs: number;
  readonly failures: number;
  readonly lastSeenAt?: number;
  readonly hosts: Readonly<Record<string, number>>;
  readonly schedule?: string;
  /** A schedule learned from history, for jobs with none configured and regular runs. */
  readonly inferred?: InferredSchedule;
  /** How many distinct start minutes a schedule was (or could have been) learned from: `inferSchedule` needs MIN_SCHEDULE_INTERVALS + 1. */
  readonly startMinutes: number;
  /**
   * Whether a run of it logged its output (an `output_bytes` kept from a clean run: the contract's
   * `run.end`, as `silent-audit exec` writes it). Cron, systemd and Lambda platform lines carry no
   * output, so an `expect_pattern` could never be judged on their runs.
   */
  readonly outputLogged?: boolean;
}

/** What is known of all a job's starts (the first line seen, the starts or runs counted, the earliest starts), beyond the latest ones kept. */
function startsSeenOf(job: JobState): StartsSeen | undefined {
  if (job.firstSeenAt === undefined) return undefined;
  return { firstStart: job.firstSeenAt, starts: Math.max(job.startsSeen ?? 0, job.runs), ...(job.earliestStarts ? { earliest: job.earliestStarts } : {}) };
}

/** The earliest starts with this one, as kept (`earliestStarts`): the same list when it is later than all of them. */
function withEarliest(earliest: number[] | undefined, at: number): number[] {
  if (!earliest) return [at];
  if (earliest.length >= EARLIEST_STARTS && at >= earliest[earliest.length - 1]) return earliest;
  if (earliest.includes(at)) return earliest;
  return [...earliest, at].sort((a, b) => a - b).slice(0, EARLIEST_STARTS);
}

/**
 * A job's open runs reported `run-unfinished` (`unfinishedReported`): runs that never ended, each one
 * of its runs, as its starts per host count it and the report counts it. One whose end came later is
 * no longer open: its end counted it (`runs`), once.
 */
function unfinishedRunsOpen(state: Pick<JobState, 'open' | 'unfinishedReported'>): number {
  const reported = state.unfinishedReported;
  if (!reported?.length) return 0;
  return state.open.filter((r) => reported.some((key) => keyNamesRun(key, { run_id: r.run_id, startedAt: r.at }))).length;
}

/** One line per stored job: what it did, where, and its schedule (configured or learned; in `hostZone`, the hosts' `--timezone`, when given). */
export async function summarizeJobs(catalog: SubjectCatalog, config: Config, hostZone?: string): Promise<JobSummary[]> {
  const jobs = await catalog.subjects(jobReducer.kind);
  return jobs.map(({ state }) => {
    const job = state as JobState;
    const schedule = ownValue(config.jobs, job.job)?.schedule;
    return {
      job: job.job,
      runs: job.endsLogged ? job.runs + (job.runsByStarts ?? 0) + unfinishedRunsOpen(job) : (job.startsSeen ?? 0),
      failures: job.failures,
      lastSeenAt: job.lastSeenAt,
      hosts: job.hosts ?? {},
      schedule,
      // Checked against all its runs seen too: the kept starts are only the latest MAX_STARTS.
      inferred: schedule ? undefined : inferSchedule(job.starts ?? [], startsFromEndOf(job), undefined, hostZone, startsSeenOf(job)),
      startMinutes: distinctStartMinutes(job.starts ?? []).length,
      outputLogged: job.outputs.length > 0,
    };
  });
}
