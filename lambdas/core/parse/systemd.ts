import type { ErrorLogged, RunEnd, RunFailedMarker, RunStart, UnitStarting } from '../events.ts';
import { defined, quoted } from './bodies.ts';
import { OPEN_RUN, systemdRunId } from './run-ids.ts';
import { badDateReason, parseSyslog, type SyslogParse } from './syslog.ts';
import { eventsOf, type LineContext, type LineParser, type ParseOutcome } from './types.ts';
import { isUnitName, unitOfSubject } from './unit-subject.ts';

/**
 * Contract §1b, systemd as text (syslog, `journalctl` output): the service manager's lines about
 * a unit U, in the wording of systemd ≥ 250 (`StatusUnitFormat=combined`) and of older versions:
 *
 *   `Started backup.service - Nightly backup.` / `Started Nightly backup.`          → run.start, active: true
 *   `Starting backup.service - Nightly backup...` (systemd ≥ 249, the unit named)   → run.start
 *   `Starting Nightly backup...` (older, the description only)                       → unit.starting
 *   `backup.service: Main process exited, code=exited, status=1/FAILURE`            → run.end, exit 1
 *   `backup.service: Main process exited, code=killed, status=9/KILL`               → run.failed
 *   `backup.service: control process exited, code=exited status=1` (systemd 219)    → run.error, exit 1
 *   `backup.service: Control process exited, code=killed, status=9/KILL`            → run.error
 *   `backup.service: Failed with result 'exit-code'.`                               → run.failed
 *   `backup.service: Deactivated successfully.` (`Succeeded.` before v248)          → run.end, exit 0
 *   `Finished backup.service - Nightly backup.` / `Finished Nightly backup.`        → run.end, exit 0
 *   `Dependency failed for backup.service - Nightly backup.`                        → run.failed
 *   `Reload failed for backup.service - Nightly backup.` / `Reload failed for Nightly backup.` → run.error, 'reload failed'
 *   `backup.service start operation timed out. Terminating.` (systemd 219)           → run.error, 'timeout'
 *   `Unit backup.service entered failed state.` (systemd 219)                        → run.failed
 *   `backup.service: Failed at step EXEC spawning /opt/x: No such file or directory` → run.error, 'exec failed: …' (CHDIR, USER, …: '<step> failed: …')
 *   `backup.service: Consumed 1.234s CPU time.`, `Failed to start …`, `U failed.`, `Stopping …`, … → nothing
 *
 * A control process's exit with a non-zero status (an ExecStartPre's, ExecReload's, ExecStopPost's;
 * `Control process exited, code=exited, status=1/FAILURE` in newer wording), or its death by a signal
 * (`code=killed`, `code=dumped`), fails nothing itself: systemd ignores an `ExecStartPre=-…`'s and
 * keeps a unit whose reload failed active. It is the reason, with its exit code when it exited, of
 * its unit's failure end that follows (`Failed with result 'exit-code'`, `'signal'`, `'core-dump'`,
 * 219's `entered failed state`; the job reducer's `withSystemdReasons`). A main process killed by a
 * signal is its run's failure.
 *
 * The job is the unit name; a line of the older wording that names no unit has only the unit's
 * description, which is then the job. End lines cannot name their run: they carry OPEN_RUN.
 *
 * `Starting U…` is the only line a Type=oneshot unit (the usual timer job) logs when its run
 * begins: it logs no `Started`, only `Finished` when it ends. Other units log `Started` seconds
 * after it; the job reducer counts the two as one run (see SYSTEMD_START_WINDOW_MS there). A
 * `Starting` that names no unit (older wording, description only) cannot be told to be the
 * unit's by the line alone: it is a `unit.starting`, which the systemd host reducer
 * (systemd-host-reducer.ts) makes a run start of the unit when the host's log shows which unit
 * that description belongs to, and otherwise drops. A `Started U` start says the unit is up
 * (`active: true`): a service that runs until it is stopped (a Type=simple or notify daemon, or a
 * timer's Type=simple service), whose run is not waited on to end (job-reducer.ts, `awaitsEnd`).
 */

const FORMAT = 'systemd';
const UNIT_PREFIXED = /^(\S+): (.*)$/s;
/**
 * `code=exited, status=1/FAILURE`; systemd 219 writes a control process's as `code=exited status=1` (no comma, no name).
 * A failure systemd does not count (`SuccessExitStatus=`, an `ExecStartPre=-…`) ends in ` (success)` (its
 * unit_log_process_exit); ` (ignored)`, not systemd's wording, is accepted alike: read as a success.
 */
const PROCESS_EXIT = /^([Mm]ain|[Cc]ontrol) process exited, code=(\w+),? status=(\d+)(?:\/(\S+?))?( \((?:success|ignored)\))?\.?\s*$/;
const FAILED_RESULT = /^Failed with result '([^']*)'\.?\s*$/;
const DEACTIVATED = /^(?:Deactivated successfully|Succeeded)\.?\s*$/;
const STARTED = /^Started (.+?)\.?\s*$/s;
const STARTING = /^Starting (.+?)(?:\.\.\.|…)?\s*$/s;
const FINISHED = /^Finished (.+?)\.?\s*$/s;
const DEPENDENCY_FAILED = /^Dependency failed for (.+?)\.?\s*$/s;
/**
 * A reload job's failure (its ExecReload exited non-zero or was killed; the unit stays active). It
 * fails nothing itself: like a control process's exit, it is the reason of its unit's failure that
 * follows (the job reducer's `withSystemdReasons`), which keeps the reason and exit code of the
 * control process exit logged just before it (`withControlExit`). Older systemd's `Reload failed for
 * D.` names only the description: its job is then D, which the job reducer ties to the unit of that
 * control process exit when that is unambiguous (`withReasonUnitsTied`).
 */
const RELOAD_FAILED_PREFIX = 'Reload failed for ';
const RELOAD_FAILED = /^Reload failed for (.+?)\.?\s*$/s;
/** The reason of `Reload failed for U.`. */
export const SYSTEMD_RELOAD_FAILED = 'reload failed';
/** Job and unit lines of the service manager that say nothing §1b needs (the result line follows). */
const OTHER_LIFECYCLE = /^(?:Stopping .+|Stopped .+|Failed to start .+|Timed out starting .+|Reloading .+|Reloaded .+|\S+\.(?:service|socket|timer|mount|path|target|scope|slice|swap|automount|device) failed\.)\s*$/s;
/**
 * systemd before 236 (CentOS 7 and RHEL 7's 219) names a unit's result in lines of its own, not
 * `U: Failed with result '…'`: `U start operation timed out. Terminating.` (`start-pre` for its
 * ExecStartPre), the run's timeout, which fails nothing itself: systemd then stops the process,
 * which may die seconds later (it traps SIGTERM) or TimeoutStopSec later (killed), and the failure
 * line of that end takes the reason (run.error, the job reducer's `withSystemdReasons`);
 * then `Unit U entered failed state.` (its failure, whatever the cause: read as the result line,
 * which ends the run unless a `main process exited` line ended it first). `U failed.` repeats it:
 * nothing. Units of a type UNIT_NAME does not know (`X.busname`): nothing.
 */
const TIMED_OUT_219 = /^(\S+) start(?:-pre)? operation timed out\. Terminating\.?\s*$/;
/** The reason of a run that timed out, as newer systemd's `U: Failed with result 'timeout'.` reads. */
export const SYSTEMD_TIMEOUT = "systemd result 'timeout'";
const ENTERED_FAILED_219 = /^Unit (\S+) entered failed state\.?\s*$/;
/** The reason of `Unit U entered failed state.` (systemd 219), as newer systemd's `U: Failed with result 'failed'.` reads. */
export const SYSTEMD_FAILED_STATE = "systemd result 'failed'";
/** The reason of `U: Failed with result 'exit-code'.`: a process of the unit exited non-zero (its exit line, when read, says with what). */
export const SYSTEMD_EXIT_CODE = "systemd result 'exit-code'";
/** The reasons of `U: Failed with result 'signal'.` and `'core-dump'`: a process of the unit was killed by a signal (its exit line, when read, says which). */
export const SYSTEMD_SIGNAL_RESULTS: ReadonlySet<string> = new Set(["systemd result 'signal'", "systemd result 'core-dump'"]);
/**
 * A unit's process that could not be set up or run its command: `Failed at step EXEC spawning
 * /opt/x: No such file or directory` (`Permission denied`, …), and the other steps of systemd's
 * spawning alike (`CHDIR`, `USER`, … each with its exit status, SPAWN_STEP_STATUS), `U: ` before it
 * from systemd 236 on (newer ones log `U: Failed to execute /opt/x: …` before EXEC's: nothing). It
 * fails nothing itself: the unit's failure line after it (`status=203/EXEC`, `status=200/CHDIR`, its
 * result) takes its reason, `<step> failed: …` (`exec failed: /opt/x: No such file or directory`;
 * run.error, the job reducer's `withSystemdReasons`). systemd 219 writes it from the forked process
 * and names no unit in its text (its journal record's `UNIT` does): its job is then UNNAMED_UNIT,
 * which the job reducer ties to the unit whose failure follows it on the host when that is
 * unambiguous (`withReasonUnitsTied`).
 */
const STEP_FAILED = 'Failed at step ';
const SPAWN_STEP_FAILED = /^Failed at step ([A-Z_]+) spawning (.*)$/s;
/** The exit status of each step of systemd's spawning (its exit-status table, `status=203/EXEC`); names of older versions too. */
const SPAWN_STEP_STATUS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    CHDIR: 200, NICE: 201, FDS: 202, EXEC: 203, MEMORY: 204, LIMITS: 205, OOM_ADJUST: 206, SIGNAL_MASK: 207, STDIN: 208, STDOUT: 209,
    CHROOT: 210, IOPRIO: 211, TIMERSLACK: 212, SECUREBITS: 213, SETSCHEDULER: 214, CPUAFFINITY: 215, GROUP: 216, USER: 217, CAPABILITIES: 218,
    CGROUP: 219, SETSID: 220, CONFIRM: 221, STDERR: 222, PAM: 224, NETWORK: 225, NAMESPACE: 226, NO_NEW_PRIVILEGES: 227, SECCOMP: 228,
    SELINUX_CONTEXT: 229, PERSONALITY: 230, APPARMOR: 231, APPARMOR_PROFILE: 231, ADDRESS_FAMILIES: 232, RUNTIME_DIRECTORY: 233,
    MAKE_STARTER: 234, CHOWN: 235, SMACK_PROCESS_LABEL: 236, KEYRING: 237, STATE_DIRECTORY: 238, CACHE_DIRECTORY: 239, LOGS_DIRECTORY: 240,
    CONFIGURATION_DIRECTORY: 241, NUMA_POLICY: 242, CREDENTIALS: 243, BPF: 245,
  }),
);
const STEP_REASON_END = ' failed: ';
/** The job of systemd 219's `Failed at step EXEC spawning …` as text: a line that names no unit. */
export const UNNAMED_UNIT = '';

/**
 * The manager's own units and logins, whose lines say nothing of a job: every unit that is not a
 * service (login sessions' `session-3.scope`, `backup.timer` started at boot, slices, mounts,
 * sockets), the per-user manager and runtime directory services, and the descriptions older
 * systemd gives them (`Started Session 3 of user deploy.`: logind's session ids are numbers, or `c1`, and user names
 * have no spaces, so a service described `Session cleanup of user uploads` is still a job).
 */
const NOT_A_JOB_UNIT = /^(?:[\w:.@\\-]+\.(?:socket|device|mount|automount|swap|target|path|timer|slice|scope)|user(?:-runtime-dir)?@\d+\.service)$/;
const NOT_A_JOB_DESCRIPTION = /^(?:Session c?\d+ of [Uu]ser [^\s/]+|User Manager for UID \d+|User Runtime Directory \/run\/user\/\d+|User Slice of (?:UID \d+|[^\s/]+))$/;

/** Whether lines about this unit or description (a start, an end, a result) may be a job's run. */
function isJobUnit(name: string): boolean {
  return !NOT_A_JOB_UNIT.test(name) && !NOT_A_JOB_DESCRIPTION.test(name);
}

/** Fields a journal record adds to the message (journalctl -o json). */
export interface SystemdJournalFields {
  /** `UNIT` (or `USER_UNIT`): the unit the manager speaks about. */
  readonly unit?: string;
  /**
   * `_SYSTEMD_UNIT` (`_SYSTEMD_USER_UNIT`) of a record a unit's forked process wrote (`_PID` not 1):
   * the unit of its `Failed at step …` when the record has no `UNIT` and its text names none.
   */
  readonly processUnit?: string;
  readonly exitCode?: string;
  readonly exitStatus?: number;
  readonly unitResult?: string;
  readonly jobResult?: string;
}

function rejected(reason: string): ParseOutcome {
  return { kind: 'rejected', reason };
}

/** Whether a unit message is one of these phrases cut short: a prefix of it, or it without its end. */
function cutShort(text: string, ...phrases: string[]): boolean {
  return phrases.some((p) => text.startsWith(p) || (text.length >= 6 && p.startsWith(text)));
}

function runStart(job: string, at: number, host: string | undefined, active?: true): RunStart {
  return defined<RunStart>({ type: 'run.start', job, run_id: systemdRunId(job, at, host), host, active });
}

function endOk(job: string, host: string | undefined): RunEnd {
  return defined<RunEnd>({ type: 'run.end', job, run_id: OPEN_RUN, exit_code: 0, host });
}

function failed(job: string, reason: string, host: string | undefined, exitCode?: number): RunFailedMarker {
  return defined<RunFailedMarker>({ type: 'run.failed', job, run_id: OPEN_RUN, reason, exit_code: exitCode, host });
}

/** systemd 219's start timeout: the reason of the failure its unit's end says, no failure itself. */
function timedOut219(unit: string, host: string | undefined): ErrorLogged {
  return defined<ErrorLogged>({ type: 'run.error', job: unit, run_id: OPEN_RUN, reason: SYSTEMD_TIMEOUT, host });
}

/** A failed reload (`Reload failed for U.`): the reason of the failure its unit's end says, no failure itself. */
function reloadFailed(unit: string, host: string | undefined): ErrorLogged {
  return defined<ErrorLogged>({ type: 'run.error', job: unit, run_id: OPEN_RUN, reason: SYSTEMD_RELOAD_FAILED, host });
}

/** A unit's process that failed a step of spawning (`Failed at step EXEC spawning …`): the reason of the failure its unit's end says, no failure itself. */
function stepFailed(unit: string, m: RegExpExecArray, host: string | undefined): ErrorLogged {
  const reason = `${m[1].toLowerCase()}${STEP_REASON_END}${m[2].trimEnd()}`;
  return defined<ErrorLogged>({ type: 'run.error', job: unit, run_id: OPEN_RUN, reason, host });
}

/** The exit status of the step a `<step> failed: …` reason names (`exec failed: …`: 203), undefined for any other reason. */
export function spawnStepStatus(reason: string): number | undefined {
  const end = reason.indexOf(STEP_REASON_END);
  return end > 0 ? SPAWN_STEP_STATUS.get(reason.slice(0, end).toUpperCase()) : undefined;
}

/** A `Failed at step <STEP> spawning …` message, or undefined. */
function spawnStepFailure(message: string): RegExpExecArray | null {
  return message.startsWith(STEP_FAILED) ? SPAWN_STEP_FAILED.exec(message) : null;
}

/** The start of a control process's reason (`control process exited with status 1`, `control process killed by signal KILL`). */
export const CONTROL_PROCESS = 'control process ';

/** A control process that exited non-zero (with its exit code) or was killed by a signal: the reason of the failure its unit's end says, no failure itself. */
function controlExited(unit: string, reason: string, host: string | undefined, exitCode?: number): ErrorLogged {
  return defined<ErrorLogged>({ type: 'run.error', job: unit, run_id: OPEN_RUN, reason, exit_code: exitCode, host });
}

function processExit(unit: string, m: RegExpExecArray, host: string | undefined, fields: SystemdJournalFields): RunEnd | RunFailedMarker | ErrorLogged | undefined {
  const [, kind, codeText, statusText, statusName, success] = m;
  const isMain = kind.toLowerCase() === 'main';
  const code = fields.exitCode ?? codeText;
  const status = fields.exitStatus ?? Number(statusText);
  if (code === 'exited') {
    if (status === 0 || success) return isMain ? endOk(unit, host) : undefined;
    if (isMain) return defined<RunEnd>({ type: 'run.end', job: unit, run_id: OPEN_RUN, exit_code: status, host });
    return controlExited(unit, `${CONTROL_PROCESS}exited with status ${status}`, host, status);
  }
  const signal = statusName ?? String(status);
  const what = isMain ? 'main process ' : CONTROL_PROCESS;
  const reason = code === 'dumped' ? `${what}dumped core on signal ${signal}` : `${what}${code} by signal ${signal}`;
  return isMain ? failed(unit, reason, host) : controlExited(unit, reason, host);
}

/**
 * The events of one record of the service manager (program `systemd`); undefined when the message
 * is none of the forms above. Shared with the journal reader, which passes the record's fields.
 */
export function systemdOutcome(rec: SyslogParse, ctx: LineContext, fields: SystemdJournalFields = {}, format = FORMAT): ParseOutcome | undefined {
  const bodies = systemdBodies(rec.message, rec.kind === 'record' ? rec.at : 0, rec.host, fields);
  if (bodies === undefined) return undefined;
  if (typeof bodies === 'string') return rejected(bodies);
  if (rec.kind === 'bad-date') return rejected(badDateReason('systemd', rec));
  return eventsOf(format, ctx, rec.at, ...bodies);
}

type Bodies = Array<RunStart | RunEnd | RunFailedMarker | UnitStarting | ErrorLogged>;

/**
 * The bodies a manager message yields, a rejection reason, or undefined when it is not ours. A
 * message about a unit that runs no job (a login session, a timer, a mount) is recognised and
 * yields nothing.
 */
function systemdBodies(message: string, at: number, host: string | undefined, fields: SystemdJournalFields): Bodies | string | undefined {
  const bodies = managerBodies(message, at, host, fields);
  if (typeof bodies !== 'object' || bodies.length === 0) return bodies;
  return bodies.filter(isJobBody);
}

/** Whether a body speaks of a unit (or description) that may run a job. */
function isJobBody(body: Bodies[number]): boolean {
  return isJobUnit(body.type === 'unit.starting' ? body.description : body.job);
}

function managerBodies(message: string, at: number, host: string | undefined, fields: SystemdJournalFields): Bodies | string | undefined {
  const prefixed = UNIT_PREFIXED.exec(message);
  if (prefixed && isUnitName(prefixed[1])) {
    const unit = fields.unit ?? prefixed[1];
    const text = prefixed[2];
    const exit = PROCESS_EXIT.exec(text);
    if (exit) {
      // No run.end may carry an exit status a number cannot hold exactly (a corrupted line).
      if (!Number.isSafeInteger(fields.exitStatus ?? Number(exit[3]))) return `systemd process-exit line with a status out of range: status=${exit[3]}`;
      const body = processExit(unit, exit, host, fields);
      return body ? [body] : [];
    }
    if (cutShort(text, 'Main process exited, code=', 'main process exited, code=', 'Control process exited, code=', 'control process exited, code=')) return `systemd process-exit line without code= and status= (cut short?): ${quoted(message)}`;
    const result = FAILED_RESULT.exec(text);
    if (result) return [failed(unit, `systemd result '${fields.unitResult ?? result[1]}'`, host)];
    if (cutShort(text, "Failed with result '")) return `systemd result line without its result (cut short?): ${quoted(message)}`;
    if (DEACTIVATED.test(text)) return [endOk(unit, host)];
    const step = spawnStepFailure(text);
    if (step) return [stepFailed(unit, step, host)];
    return [];
  }

  const started = STARTED.exec(message);
  if (started) {
    if (fields.jobResult !== undefined && fields.jobResult !== 'done') return [];
    return [runStart(fields.unit ?? unitOfSubject(started[1]), at, host, true)];
  }
  const starting = STARTING.exec(message);
  if (starting) {
    // The unit from the journal record's UNIT field, else from a message that names it.
    const job = fields.unit ?? unitOfSubject(starting[1]);
    if (!isUnitName(job)) return [defined<UnitStarting>({ type: 'unit.starting', description: starting[1], host })];
    return [runStart(job, at, host)];
  }
  const finished = FINISHED.exec(message);
  if (finished) {
    if (fields.jobResult !== undefined && fields.jobResult !== 'done') return [];
    return [endOk(fields.unit ?? unitOfSubject(finished[1]), host)];
  }
  const dependency = DEPENDENCY_FAILED.exec(message);
  if (dependency) return [failed(fields.unit ?? unitOfSubject(dependency[1]), 'dependency failed', host)];
  const reload = message.startsWith(RELOAD_FAILED_PREFIX) ? RELOAD_FAILED.exec(message) : null;
  if (reload) return [reloadFailed(fields.unit ?? unitOfSubject(reload[1]), host)];
  const timedOut = TIMED_OUT_219.exec(message);
  if (timedOut) return isUnitName(timedOut[1]) ? [timedOut219(fields.unit ?? timedOut[1], host)] : [];
  const enteredFailed = ENTERED_FAILED_219.exec(message);
  if (enteredFailed) return isUnitName(enteredFailed[1]) ? [failed(fields.unit ?? enteredFailed[1], SYSTEMD_FAILED_STATE, host)] : [];
  const step = spawnStepFailure(message);
  if (step) return [stepFailed(fields.unit ?? fields.processUnit ?? UNNAMED_UNIT, step, host)];
  if (OTHER_LIFECYCLE.test(message)) return [];
  return undefined;
}

export const systemdParser: LineParser = {
  format: FORMAT,
  parse(line, ctx) {
    if (!line.includes('systemd')) return undefined;
    const rec = parseSyslog(line, ctx);
    if (!rec || rec.program !== 'systemd') return undefined;
    return systemdOutcome(rec, ctx);
  },
};
