import type { ErrorLogged, RunEnd, RunFailedMarker, RunStart } from '../events.ts';
import { clipUnits } from '../output-capture.ts';
import { isPlainObject } from '../own-property.ts';
import { MAX_DURATION_MS } from '../quantity-limits.ts';
import { defined, quoted } from './bodies.ts';
import { isoInstant, jsonObject, loggerInstant, opensObject, withoutLineEnd } from './record-fields.ts';
import { isRequestId, REQUEST_ID_PATTERN } from './request-id.ts';
import { parseIsoTime } from './timestamp-prefix.ts';
import { eventsOf, type LineContext, type LineParser, type LoggerTimeField, type ParseOutcome } from './types.ts';

/**
 * Contract §1b, AWS Lambda platform lines, in the text log format
 *
 *   `START RequestId: 8f3c… Version: $LATEST`                                    → run.start
 *   `REPORT RequestId: 8f3c…\tDuration: 12.34 ms\tBilled Duration: 13 ms\t…`     → run.end, exit 0
 *   `REPORT RequestId: …\tDuration: 3000.00 ms\t…\tStatus: timeout`              → run.failed
 *   `2026-10-05T13:00:03.456Z 8f3c… Task timed out after 3.00 seconds`          → run.failed
 *   `RequestId: 8f3c… Process exited before completing request`                 → run.failed
 *   `RequestId: 8f3c… Error: Runtime exited with error: signal: killed`         → run.failed (Runtime.ExitError)
 *   `END RequestId: …`, `Runtime.ExitError`, `INIT_START …`, `INIT_REPORT …`, `XRAY TraceId: …`, … → nothing
 *
 * and the JSON log format's system records (`{"time":…,"type":"platform.start","record":{…}}`,
 * `platform.report` with `record.metrics.durationMs` and `record.status`, `platform.runtimeDone`
 * whose `record.status` says the invocation failed → run.failed) and the Node.js runtime's record of
 * an error (`{"timestamp":…,"level":"ERROR","requestId":…,"message":{"errorType":…,"errorMessage":…}}`)
 * → run.error, which fails nothing alone: an app's `console.error(err)` writes the same record. The job is the function
 * (`ctx.defaultJob`: from the log group, or the file's base name); the run id is the request id.
 * Text lines carry no time of their own: the record's time is used (a CloudWatch event, or a
 * leading timestamp that `aws logs tail` printed).
 */

const FORMAT = 'lambda';
const START = /^START RequestId: (\S+)(?:\s+Version: (\S+))?\s*$/;
const END = /^END RequestId: \S+\s*$/;
const REPORT = /^REPORT RequestId: (\S+)(.*)$/s;
const REPORT_FIELD = /(?:^|\s)(Billed Restore Duration|Restore Duration|Billed Duration|Init Duration|Max Memory Used|Memory Size|Duration|Status|Error Type): /g;
/**
 * The runtime's line for an invocation that ran out of time: `<time> <request-id> Task timed out after
 * 3.00 seconds`, single spaces between (or the words alone). Never a line the function logged: the
 * Node.js 8/10 console.log writes `<time>\t<request-id>\t` before them (tabs), as for `PROCESS_EXITED`.
 */
const TIMED_OUT = new RegExp(`^(?:(\\d{4}-\\d{2}-\\d{2}T\\S+) )?(?:(${REQUEST_ID_PATTERN}) )?Task timed out after (\\d+(?:\\.\\d+)?) seconds\\s*$`);
/**
 * Older runtimes' line (Node.js 8/10, Python 2.7/3.6, Go 1.x) for an invocation whose process exited
 * (a crash), whose text REPORT has no Status: `<time> <request-id> Process exited before completing
 * request`, or `RequestId: <request-id> Process exited before completing request` (before its END or
 * after its REPORT; the latter also at the end of the function's last output when that had no newline:
 * `…purchase.js:1:15721)RequestId: <request-id> Process exited…`, glued to it), single spaces between.
 * Read only when a request id names the run, and never from a line the function logged: an app may
 * log the same words (a caller logs them as the errorMessage Lambda Invoke returns for another
 * function's crash, `…will retry: RequestId: <its request id> Process exited…`, after a space), and
 * the runtime's console.log writes `<time>\t<request-id>\t` (Node.js 8/10) or
 * `<time>\t<request-id>\t<level>\t` (Node.js 12+) before them (tabs), also when glued to its text
 * (`CONSOLE_PREFIX_WITHIN`): a console.log ends with its newline, so the runtime's words are glued only
 * to output written without the prefix.
 */
const PROCESS_EXITED_WORDS = 'Process exited before completing request';
/**
 * The runtime's console prefix of a line the function logged, `<time>\t<request-id>\t` and a level
 * after it on Node.js 12+, also as the line is read after a leading timestamp split off
 * (`splitTimestampPrefix`): `<request-id>\t…`, or `<level>\t…` with the request id taken for a log stream.
 */
const APP_LINE_PREFIX = `(?:\\S+\\t)?${REQUEST_ID_PATTERN}\\t|(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\\t`;
const PROCESS_EXITED = new RegExp(`^(?!${APP_LINE_PREFIX})(?:(\\d{4}-\\d{2}-\\d{2}T\\S+) )?(?:(.*\\S)?RequestId: )?(${REQUEST_ID_PATTERN}) ${PROCESS_EXITED_WORDS}$`, 's');
/**
 * The console prefix of a line the function logged inside the text the runtime's words are glued to
 * (`…\t<request-id>\t…`), after another prefix (`aws logs tail`'s time and log stream): the
 * function's output they end is a console.log's, which the runtime's line never follows on its line.
 */
const CONSOLE_PREFIX_WITHIN = new RegExp(`\\t${REQUEST_ID_PATTERN}\\t`);
/** The reason of a run that `PROCESS_EXITED` fails. */
const PROCESS_EXITED_REASON = 'process exited before completing request';
/**
 * The runtime's line for an invocation whose runtime process exited or was killed (out of memory:
 * `signal: killed`, its REPORT's Max Memory Used at its Memory Size), whose text REPORT has no Status
 * on older runtimes: `RequestId: <request-id> Error: Runtime exited with error: signal: killed`
 * (`exit status 1`), or `… Error: Runtime exited without providing a reason`, before its END or after
 * its REPORT, then `Runtime.ExitError` (a line of its own, or the same event's second line). Only at
 * the line's start: a console.log of the same words has its prefix before them (`<time>\t<request-id>\t…`).
 */
const RUNTIME_EXITED_WORDS = 'Error: Runtime exited ';
const RUNTIME_EXITED = new RegExp(`^RequestId: (${REQUEST_ID_PATTERN}) ${RUNTIME_EXITED_WORDS}(with error: [^\\n]*\\S|without providing a reason)(?:\\s*\\nRuntime\\.ExitError)?$`);
/**
 * The error type of an invocation whose runtime exited (`RUNTIME_EXITED`), which Lambda writes on the line after it: the
 * one its run is given when no REPORT of the invocation names its own (`Runtime.OutOfMemory`, `Sandbox.Timedout`), which says more.
 */
export const RUNTIME_EXIT_ERROR = 'Runtime.ExitError';
/** The start of the reason of a run `RUNTIME_EXITED` fails: `runtime exited with error: signal: killed`. */
const RUNTIME_EXITED_REASON = 'runtime exited ';

/**
 * Whether a failure marker is the runtime's exit line's (`RUNTIME_EXITED`): it says the invocation failed, while its
 * REPORT's error type (`Runtime.OutOfMemory`) and its `Task timed out` line, when they come, say more.
 */
export function runtimeExited(marker: RunFailedMarker): boolean {
  return marker.error_type === RUNTIME_EXIT_ERROR && marker.reason.startsWith(RUNTIME_EXITED_REASON);
}

/**
 * Whether a failure marker is a line an app may print unprefixed with another function's request id: the runtime's exit
 * line (`runtimeExited`) or older runtimes' `RequestId: <request-id> Process exited before completing request`, which a
 * caller's Python print, Java LambdaLogger, Go fmt.Println, .NET or Rust println! writes as the errorMessage Lambda Invoke
 * returned for another function's invocation. It fails a run only of a request id the function's own log started.
 */
export function exitedLine(marker: RunFailedMarker): boolean {
  return marker.reason === PROCESS_EXITED_REASON || runtimeExited(marker);
}

/** Whether a failure marker's reason is a timeout's: its `Task timed out` line's (`timeout after 3.00 s`) or its REPORT's status (`timeout`). */
export function timedOut(marker: RunFailedMarker): boolean {
  return marker.reason === 'timeout' || marker.reason.startsWith('timeout after ');
}

/**
 * Whether a failure marker says why the runtime failed its invocation, which its exit line (`runtimeExited`) does not: the
 * runtime's error line's (`Invoke Error`, `Uncaught Exception`, `Unhandled Promise Rejection`: `TypeError: x is undefined`)
 * or an older runtime's `Process exited before completing request`. Not a REPORT's (a status, or an error type it names)
 * nor a timeout's (`timedOut`).
 */
export function runtimeFailed(marker: RunFailedMarker): boolean {
  return marker.error_type === undefined && !FAILED_STATUSES.has(marker.reason) && !timedOut(marker);
}

/**
 * The Node.js runtime's line for an invocation its handler failed (an error thrown, a promise left
 * rejected), whose text REPORT has no Status: `<time>\t<request-id>\tERROR\tInvoke Error \t{"errorType":…}`.
 */
const RUNTIME_ERROR = /^(\d{4}-\d{2}-\d{2}T\S+)\t(\S+)\tERROR\t(?:Invoke Error|Uncaught Exception|Unhandled Promise Rejection) ?\t(\{.*)$/s;
/** How much of a runtime error's message a failure reason keeps, and of an error type its evidence. */
const MAX_ERROR_CHARS = 200;

/** An error's text cut short to MAX_ERROR_CHARS, its end marked `…` (never half an emoji before it). */
function errorText(text: string): string {
  return clipUnits(text, MAX_ERROR_CHARS);
}
/** Other platform lines: initialisation, extensions, SnapStart, X-Ray's second REPORT line. */
const OTHER_PLATFORM = /^(?:INIT_START|INIT_REPORT|INIT_RUNTIME_DONE|EXTENSION|TELEMETRY|LOGS|RESTORE_START|RESTORE_REPORT)\s|^XRAY TraceId: /;
const PLATFORM_JSON = /"type"\s*:\s*"platform\./;
const FAILED_STATUSES = new Set(['timeout', 'error', 'failure']);
/**
 * Why a platform line is rejected when nothing names its function (stdin, a process substitution):
 * the start of the reason, which the tally counts by (`LineTally.unnamedLambdaLines`).
 */
export const NO_FUNCTION_NAME = 'Lambda platform line but no function name';
/** Why a REPORT line or a `platform.report` record whose duration is over MAX_DURATION_MS is rejected. */
const DURATION_TOO_LONG = 'with a Duration over 366 days, which no invocation runs';

function rejected(reason: string): ParseOutcome {
  return { kind: 'rejected', reason };
}

/**
 * `Key: value` fields of a REPORT line, tab-separated as Lambda writes them (spaces tolerated). A
 * CloudWatch event may hold the X-Ray line after a newline; no value runs past a tab or newline.
 */
function reportFields(rest: string): Map<string, string> {
  const fields = new Map<string, string>();
  const keys = [...rest.matchAll(REPORT_FIELD)];
  keys.forEach((m, i) => {
    const valueStart = (m.index ?? 0) + m[0].length;
    const valueEnd = i + 1 < keys.length ? (keys[i + 1].index ?? rest.length) : rest.length;
    fields.set(m[1], rest.slice(valueStart, valueEnd).split(/[\t\n]/)[0].trim());
  });
  return fields;
}

function milliseconds(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d+(?:\.\d+)?) ms$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

type Body = RunStart | RunEnd | RunFailedMarker;

/** The body of one invocation's end, from its status (`success`, `timeout`, `error`, `failure`). */
function endBody(job: string, requestId: string, status: string | undefined, durationMs: number | undefined, errorType: string | undefined): Body {
  if (status !== undefined && FAILED_STATUSES.has(status)) {
    return defined<RunFailedMarker & { duration_ms?: number; error_type?: string }>({ type: 'run.failed', job, run_id: requestId, reason: status, duration_ms: durationMs, error_type: errorType === undefined ? undefined : errorText(errorType) });
  }
  return defined<RunEnd>({ type: 'run.end', job, run_id: requestId, exit_code: 0, duration_ms: durationMs });
}

interface TextLine {
  readonly requestId?: string;
  readonly at?: number;
  body(job: string): Body;
}

/** A text platform line: what it says, `none` for one that yields nothing, a reason, or undefined. */
function textLine(line: string): TextLine | 'none' | string | undefined {
  const start = START.exec(line);
  if (start) {
    const [, requestId, version] = start;
    return { requestId, body: (job) => defined<RunStart & { version?: string }>({ type: 'run.start', job, run_id: requestId, version }) };
  }
  if (END.test(line) || OTHER_PLATFORM.test(line)) return 'none';
  const report = REPORT.exec(line);
  if (report) {
    const [, requestId, rest] = report;
    const fields = reportFields(rest);
    const durationMs = milliseconds(fields.get('Duration'));
    if (durationMs === undefined) return `Lambda REPORT line without a Duration (cut short?): ${quoted(line)}`;
    if (durationMs > MAX_DURATION_MS) return `Lambda REPORT line ${DURATION_TOO_LONG}: ${quoted(line)}`;
    return { requestId, body: (job) => endBody(job, requestId, fields.get('Status'), durationMs, fields.get('Error Type')) };
  }
  const timedOut = TIMED_OUT.exec(line);
  if (timedOut) {
    const [, time, requestId, seconds] = timedOut;
    const at = time === undefined ? undefined : parseIsoTime(time);
    return { requestId, at, body: (job) => defined<RunFailedMarker>({ type: 'run.failed', job, run_id: requestId, reason: `timeout after ${seconds} s` }) };
  }
  const exited = line.endsWith(PROCESS_EXITED_WORDS) ? PROCESS_EXITED.exec(line) : null;
  if (exited && !(exited[2] !== undefined && CONSOLE_PREFIX_WITHIN.test(exited[2]))) {
    const [, time, , requestId] = exited;
    const at = time === undefined ? undefined : parseIsoTime(time);
    return { requestId, at, body: (job) => defined<RunFailedMarker>({ type: 'run.failed', job, run_id: requestId, reason: PROCESS_EXITED_REASON }) };
  }
  const exitLine = line.startsWith('RequestId: ') && line.includes(RUNTIME_EXITED_WORDS) ? RUNTIME_EXITED.exec(line) : null;
  if (exitLine) {
    const [, requestId, why] = exitLine;
    return { requestId, body: (job) => defined<RunFailedMarker & { error_type: string }>({ type: 'run.failed', job, run_id: requestId, reason: errorText(`${RUNTIME_EXITED_REASON}${why}`), error_type: RUNTIME_EXIT_ERROR }) };
  }
  // The second line of the runtime's error, when written as a line of its own: its first fails the run.
  if (line === RUNTIME_EXIT_ERROR) return 'none';
  const runtimeError = line.includes('\tERROR\t') ? RUNTIME_ERROR.exec(line) : null;
  if (runtimeError) {
    const [, time, requestId, error] = runtimeError;
    // Before an invocation (an import failing at init) the runtime prints `undefined` for the request
    // id: the line names no run, and the invocation's REPORT (`Status: error`) says it failed.
    if (!isRequestId(requestId)) return 'none';
    return { requestId, at: parseIsoTime(time), body: (job) => defined<RunFailedMarker>({ type: 'run.failed', job, run_id: requestId, reason: runtimeErrorReason(error) }) };
  }
  return undefined;
}

/** A runtime error line's failure reason: `<errorType>: <errorMessage>` from its JSON, cut short; `function error` when it has neither. */
function runtimeErrorReason(json: string): string {
  return errorReason(jsonObject(json));
}

/** A runtime error's failure reason: `<errorType>: <errorMessage>`, cut short; `function error` when it names neither. */
function errorReason(error: Record<string, unknown> | undefined): string {
  const type = typeof error?.errorType === 'string' ? error.errorType : undefined;
  const message = typeof error?.errorMessage === 'string' ? error.errorMessage : undefined;
  const reason = type && message ? `${type}: ${message}` : (type ?? message ?? 'function error');
  return errorText(reason);
}

function platformJson(line: string, ctx: LineContext): ParseOutcome | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    return rejected(`Lambda platform record is not valid JSON (${(error as Error).message}; cut short?)`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const { time, type, record } = raw as { time?: unknown; type?: unknown; record?: unknown };
  if (typeof type !== 'string' || !type.startsWith('platform.')) return undefined;
  if (type !== 'platform.start' && type !== 'platform.report' && type !== 'platform.runtimeDone') return { kind: 'events', events: [] };

  const rec = (typeof record === 'object' && record !== null ? record : {}) as { requestId?: unknown; version?: unknown; status?: unknown; errorType?: unknown; metrics?: { durationMs?: unknown } };
  // The runtime's end of an invocation says only a failure: the platform.report after it ends the run.
  if (type === 'platform.runtimeDone' && !(typeof rec.status === 'string' && FAILED_STATUSES.has(rec.status))) return { kind: 'events', events: [] };
  if (typeof rec.requestId !== 'string' || rec.requestId === '') return rejected(`Lambda ${type} record without record.requestId`);
  const at = typeof time === 'string' ? parseIsoTime(time) : ctx.recordTime;
  if (at === undefined) return rejected(`Lambda ${type} record without a valid time: ${quoted(String(time))}`);
  const job = ctx.defaultJob;
  if (!job) return rejected(`${NO_FUNCTION_NAME}: ${quoted(line)}`);
  const requestId = rec.requestId;
  if (type === 'platform.start') {
    const version = typeof rec.version === 'string' ? rec.version : undefined;
    return eventsOf(FORMAT, ctx, at, defined<RunStart & { version?: string }>({ type: 'run.start', job, run_id: requestId, version }));
  }
  const duration = rec.metrics?.durationMs;
  // As a REPORT line's Duration: a wrong unit or a corrupt number, which would otherwise end the run without one.
  if (typeof duration === 'number' && duration > MAX_DURATION_MS) return rejected(`Lambda ${type} record ${DURATION_TOO_LONG}: ${quoted(line)}`);
  const status = typeof rec.status === 'string' ? rec.status : undefined;
  const errorType = typeof rec.errorType === 'string' ? rec.errorType : undefined;
  return eventsOf(FORMAT, ctx, at, endBody(job, requestId, status, typeof duration === 'number' && duration >= 0 ? duration : undefined, errorType));
}

/**
 * A runtime's record of an error in the JSON log format: the Node.js runtime's `{"timestamp":…,
 * "level":"ERROR","requestId":…,"message":{"errorType":…,"errorMessage":…,"stackTrace":[…]}}`, or the
 * Python runtime's, the error at the top and no message (`{"timestamp":…,"level":"ERROR",
 * "errorMessage":…,"errorType":…,"requestId":…,"stackTrace":[…]}`; `log_level` for `level` before
 * awslambdaric 4.0.4). Node writes its record for a function error (unlike the text format's `Invoke
 * Error` line) and, byte for byte alike, for an error the function logs itself and handles
 * (`console.error(err)` in a catch block), and a logger may write Python's shape. So it fails no
 * run (run.error): it names the reason of the failure its invocation's platform lines say. Undefined
 * for any other line; nothing for one that names no request id (an init error, whose REPORT fails
 * the invocation) or when no function is known.
 */
function loggedError(line: string, ctx: LineContext): ParseOutcome | undefined {
  // Cheap before JSON.parse: most JSON lines name no error type.
  if (!line.includes('"errorType"') || !line.includes('"ERROR"')) return undefined;
  const raw = jsonObject(line);
  if (raw === undefined) return undefined;
  const error = recordError(raw);
  if (error === undefined) return undefined;
  const requestId = raw.requestId;
  if (typeof requestId !== 'string' || !isRequestId(requestId)) return { kind: 'events', events: [] };
  // No function known (stdin without --function, or an app outside Lambda logging the same shape):
  // the record only names a reason for a failure its platform lines say, so there is nothing to refuse.
  const job = ctx.defaultJob;
  if (!job) return { kind: 'events', events: [] };
  const at = isoInstant(raw.timestamp) ?? ctx.recordTime;
  if (at === undefined) return rejected(`Lambda error record without a valid timestamp: ${quoted(line)}`);
  return eventsOf(FORMAT, ctx, at, { type: 'run.error', job, run_id: requestId, reason: errorReason(error) } satisfies ErrorLogged);
}

/** The error of a runtime's `ERROR` record: Node's `message`, or Python's record itself; undefined when it holds no `errorType`. */
function recordError(raw: Record<string, unknown>): Record<string, unknown> | undefined {
  const { message } = raw;
  if (message === undefined) return (raw.level === 'ERROR' || raw.log_level === 'ERROR') && typeof raw.errorType === 'string' ? raw : undefined;
  return raw.level === 'ERROR' && isPlainObject(message) && typeof message.errorType === 'string' ? message : undefined;
}

export const lambdaPlatformParser: LineParser = {
  format: FORMAT,
  parse(line, ctx) {
    const trimmed = line.trim();
    if (trimmed.startsWith('{')) return PLATFORM_JSON.test(trimmed) ? platformJson(trimmed, ctx) : loggedError(trimmed, ctx);
    const said = textLine(trimmed);
    if (said === undefined) return undefined;
    if (said === 'none') return { kind: 'events', events: [] };
    if (typeof said === 'string') return rejected(said);
    const job = ctx.defaultJob;
    if (!job) return rejected(`${NO_FUNCTION_NAME}: ${quoted(trimmed)}`);
    const at = said.at ?? ctx.recordTime;
    if (at === undefined) return rejected(`Lambda platform line without a time (no log record time and no leading timestamp): ${quoted(trimmed)}`);
    return eventsOf(FORMAT, ctx, at, said.body(job));
  },
};

/**
 * A line an application logged in Lambda's JSON log format (LoggingConfig `LogFormat: JSON`), which
 * wraps each line the runtime's logger writes:
 *
 *   `{"timestamp":"2026-10-01T00:00:00.100Z","level":"INFO","requestId":"8f3c…","message":"<line>"}`
 *
 * `message` is the string logged (one of our JSON events, or any line of ours), or the object a
 * runtime or logging library logged (Python's logger given a dict). It is read as the line it holds,
 * an object as its JSON, at `timestamp` as its record time, as the text format's console prefix
 * times the line after it. A logger's record of the same shape (Powertools Logger, winston) is read
 * alike, and so is a logging library's record of a line logged as a JSON string (`LOGGED_MESSAGE_KEYS`,
 * `LOGGED_TIME_KEYS`): logstash-logback-encoder's `{"@timestamp":…,"message":"{\"type\":…}"}`,
 * python-json-logger's `asctime` and `message`, zerolog's `time` and `message`, pino's and Go slog's
 * `time` and `msg`, structlog's `event` (its own key for the message, holding the JSON string).
 */
export interface LoggedRecord {
  /** The line logged (an object logged as its JSON), without a trailing line end. */
  readonly text: string;
  /**
   * Set when `text` is an object rebuilt as JSON, not the text written: `JSON.stringify` gives a
   * number as JavaScript read it, so a number past 2^53 has lost its last digits there.
   */
  readonly rebuilt?: true;
  /** The record's time (`LOGGED_TIME_KEYS`), epoch ms; undefined when it holds none that reads as an instant. */
  readonly at?: number;
  /** The record's time field, when it holds one that gave no instant (`at` undefined). */
  readonly timeField?: LoggerTimeField;
  /** The invocation's request id: Lambda's `requestId`, Powertools Logger's `function_request_id`. */
  readonly requestId?: string;
}

/**
 * The keys a logging library writes the line it was given under, when the line is a JSON string (`{…}`):
 * `message` (Lambda's, winston, Powertools, logstash-logback-encoder, python-json-logger, zerolog), `msg`
 * (pino, Go slog), `event` (structlog, whose `event` is otherwise a plain word: a string not starting
 * with `{` is not taken).
 */
const LOGGED_MESSAGE_KEYS = ['message', 'msg', 'event'] as const;
/**
 * The keys a logging library writes its record's time under, the first whose value reads as an instant
 * (`loggerInstant`: an ISO time that names its offset, or epoch milliseconds from 10^12) taken: Lambda's,
 * winston's, Powertools' and structlog's `timestamp`, logstash-logback-encoder's `@timestamp`, zerolog's,
 * pino's and Go slog's `time`, python-json-logger's `asctime`.
 */
const LOGGED_TIME_KEYS = ['timestamp', '@timestamp', 'time', 'asctime'] as const;

/**
 * A line's Lambda JSON-format record, or a logging library's record of a line logged as a JSON string,
 * or undefined when it is neither: a JSON object whose `message`, `msg` or `event` is a string that
 * begins with `{`, or (Lambda's shape) that has a `timestamp` and a `message` string or object. Its
 * time is its first time field that reads as an instant (`LOGGED_TIME_KEYS`), else none. Tried on a
 * line no parser claimed, so that our own events and Lambda's `platform.*` records are read as they are.
 */
export function loggedRecord(line: string): LoggedRecord | undefined {
  // Cheap before JSON.parse, whose throw is costly: only a line that opens a JSON object (`{"` or `{}`) may be a record
  // (plain text may hold escaped JSON, `body={\"user\":…}`, after an MDC prefix `{requestId=…}`), and most JSON lines
  // that reach here (other JSON) are not Lambda's shape and hold no event or OpenTelemetry export escaped in a string
  // (`{\"`, or after a space or line break, as pretty-printed: `\"type\"`, `\"resourceSpans\"`).
  if (!opensObject(line)) return undefined;
  if (!(line.includes('"message"') && line.includes('"timestamp"')) && !line.includes('{\\"') && !line.includes('\\"type\\"') && !line.includes('\\"resourceSpans\\"')) return undefined;
  const raw = jsonObject(line);
  if (raw === undefined) return undefined;
  const message = loggedMessage(raw);
  if (message === undefined) return undefined;
  const id = raw.requestId ?? raw.function_request_id;
  const requestId = typeof id === 'string' && isRequestId(id) ? id : undefined;
  let unread: string | undefined;
  for (const key of LOGGED_TIME_KEYS) {
    if (!Object.hasOwn(raw, key)) continue;
    const at = loggerInstant(raw[key]);
    if (at !== undefined) return { ...message, at, requestId };
    unread ??= key;
  }
  return { ...message, requestId, timeField: unread === undefined ? undefined : { key: unread, value: raw[unread] } };
}

/** The line a record holds (`loggedRecord`): a JSON string under a message key, else Lambda's `message` string or object. */
function loggedMessage(raw: Record<string, unknown>): Pick<LoggedRecord, 'text' | 'rebuilt'> | undefined {
  for (const key of LOGGED_MESSAGE_KEYS) {
    const value = raw[key];
    if (typeof value !== 'string') continue;
    const text = value.trimStart();
    if (text.startsWith('{')) return { text: withoutLineEnd(text) };
  }
  const { message } = raw;
  if (!Object.hasOwn(raw, 'timestamp')) return undefined;
  if (typeof message === 'string') return { text: withoutLineEnd(message) };
  if (isPlainObject(message)) return { text: JSON.stringify(message), rebuilt: true };
  return undefined;
}

/**
 * What comes before a line's object, when it ends with a Lambda function's console prefix (Node:
 * `<time>\t<request-id>\tINFO\t`; Python: `[INFO]\t<time>\t<request-id>\t`), after any prefix of
 * `aws logs tail`: the request id it names.
 */
const CONSOLE_PREFIX_END = /(?:^|\s)(?:\d{4}-\d{2}-\d{2}T\S+\t(\S+)\t[A-Z]+|\[[A-Z]+\]\t\d{4}-\d{2}-\d{2}T\S+\t(\S+))\t$/;

/** The request id of a Lambda console prefix that ends `prefix` (the text before a line's object), if any. */
export function consoleRequestId(prefix: string): string | undefined {
  const m = CONSOLE_PREFIX_END.exec(prefix);
  const id = m ? (m[1] ?? m[2]) : undefined;
  return id !== undefined && isRequestId(id) ? id : undefined;
}

/**
 * The outcome with the request id of the invocation that logged the line on its `run.start` events
 * (`AuditEvent.requestId`): only a run's start needs it, so other lines are returned as they are.
 */
export function withRequestId(outcome: ParseOutcome, requestId: string | undefined): ParseOutcome {
  if (requestId === undefined || outcome.kind !== 'events' || !outcome.events.some((e) => e.body.type === 'run.start')) return outcome;
  return { ...outcome, events: outcome.events.map((e) => (e.body.type === 'run.start' ? { ...e, requestId } : e)) };
}
