import { resolve } from 'node:path';
import { z } from 'zod';
import { describeValue } from './event-issues.ts';
import { identifierFits, MAX_ID_BYTES, MAX_ID_CHARS } from './identifier-limits.ts';
import { isPlainObject } from './own-property.ts';
import { LEAST_EPOCH_MS, parseTime, TIME_LIMIT_MS } from './parse-time.ts';
import { MAX_COST_USD, MAX_DURATION_MS, MAX_TOKENS } from './quantity-limits.ts';
import { routeTemplate } from './route-template.ts';

/**
 * The instrumented events of contract §1a, as zod schemas. Types are inferred from the
 * schemas; unknown extra fields are kept (`z.looseObject`), and `null` in an optional field is
 * absent (`validateEvent`).
 */

const nonEmpty = z.string().min(1, 'must be a non-empty string');

export { ID_CHARS_SURELY_WITHIN_BYTES, identifierFits, MAX_ID_BYTES, MAX_ID_CHARS } from './identifier-limits.ts';

/**
 * Characters are UTF-16 units (JavaScript's `.length`, an emoji two), as `identifierFits` counts
 * them: not zod's `.max`, which counts code points, so that the schema, `parse/fast-validate.ts`
 * and every other `identifierFits` caller apply one bound.
 */
const boundedId = z
  .string()
  .refine((s) => s.length <= MAX_ID_CHARS, `must be at most ${MAX_ID_CHARS} characters (identifiers become storage keys)`)
  .refine((s) => s.length > MAX_ID_CHARS || identifierFits(s), `must be at most ${MAX_ID_BYTES} bytes of UTF-8 (identifiers become storage keys)`);
/**
 * An identifier a logger may write as a JSON number (a ticket number: `"exception_id": 99`): a
 * whole number is read as its decimal text, so 99 is the id "99" that `exceptions add --id 99`
 * registers. Any other number (a fraction, or one past 2^53 that has lost its last digits) names
 * no id for sure: the JSON line reader gives its text as the line wrote it when it can
 * (`parse/json-event.ts`); else it is read as `unreadableNumberId`, never rejected.
 */
const numberedId = z.preprocess(idOfNumber, boundedId);

/**
 * A value as `numberedId` reads it (the schema and `parse/fast-validate.ts` alike): a finite number as
 * an id, a whole one its decimal text, any other `unreadableNumberId`; any other value as it is.
 */
export function idOfNumber(value: unknown): unknown {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  return Number.isSafeInteger(value) ? String(value) : unreadableNumberId(value);
}

/**
 * An id logged as a number that cannot be read exactly and whose text as logged is not known: named
 * as JavaScript reads it, with a note no registered id can hold (ids have no spaces), so a bypass
 * under it is judged under an unknown exception rather than its line rejected.
 */
function unreadableNumberId(value: number): string {
  return `${value} (a number that cannot be read exactly)`;
}
/** A required identifier: non-empty and bounded. */
const identifier = boundedId.min(1, 'must be a non-empty string');
/** A required identifier read without the spaces around it, as the config reads the same name (a bypass's guard). */
const trimmedIdentifier = z.string().trim().pipe(identifier);
/** An attempt's route: a request path read as its template (`/users/123` is `/users/{id}`, `route-template.ts`), bounded as a name. */
const asRouteTemplate = (v: unknown) => (typeof v === 'string' ? routeTemplate(v) : v);
const routeName = z.preprocess(asRouteTemplate, identifier);
/** A bypass's route, read as an attempt's is, so both name the same route. */
const bypassRoute = z.preprocess(asRouteTemplate, boundedId);
const nonNegative = z.number().finite().nonnegative();

/** Quantities, bounded (`quantity-limits.ts`). */
const dollars = nonNegative.max(MAX_COST_USD, `must be at most ${MAX_COST_USD} (dollars): a larger cost is a wrong unit or a corrupt number`);
const tokens = z.number().int().nonnegative().max(MAX_TOKENS, `must be at most ${MAX_TOKENS} tokens: a larger count is a corrupt number`);
const milliseconds = nonNegative.max(MAX_DURATION_MS, `must be at most ${MAX_DURATION_MS} (366 days of milliseconds): a longer time is a wrong unit or a corrupt number`);

/**
 * `ts` is ISO-8601 or epoch milliseconds; absent means "the log record's time". An ISO time that
 * names no offset is UTC (`parseTime`), never the local time of the machine that reads it. Epoch
 * milliseconds lie from 10^12 (2001, `LEAST_EPOCH_MS`, as a logger's `time` is read) to before the
 * year 10000, as an ISO time's four-digit year does: a smaller number is most often epoch seconds
 * (zap's default `ts`, Python's `time.time()`), which read as milliseconds would be a day in 1970,
 * and is rejected saying so. A fraction (Python's `time.time() * 1000`) is cut to the whole
 * millisecond, as an ISO time's is.
 */
export const TimestampSchema = z
  .custom<string | number>((value) => timestampFault(value) === undefined, { error: (issue) => timestampFault(issue.input) })
  .transform((value) => (typeof value === 'number' ? Math.floor(value) : value));

const TS_FORMS = 'an ISO-8601 time such as 2026-10-03T02:31:07Z (UTC when it names no offset), or epoch milliseconds';

/** Why a `ts` is none, in the terms of who wrote it, or undefined when it is one. */
function timestampFault(value: unknown): string | undefined {
  if (typeof value === 'string') return Number.isNaN(parseTime(value)) ? `must be ${TS_FORMS}, got ${describeValue(value)}` : undefined;
  if (typeof value !== 'number') return `must be ${TS_FORMS}, got ${describeValue(value)}`;
  if (!(value >= LEAST_EPOCH_MS)) return `must be ${TS_FORMS} from 10^12 (2001-09-09), got ${describeValue(value)}${asEpochSeconds(value)}`;
  if (value >= TIME_LIMIT_MS) return `must be epoch milliseconds before the year 10000 (below ${TIME_LIMIT_MS}), got ${value}: a larger number may be microseconds or nanoseconds`;
  return undefined;
}

/**
 * The numbers read as epoch seconds in a rejection's hint: from 10^8 s (1973; a smaller one is a
 * count or a duration) to below 10^10 s (2286; a larger one is no seconds a logger writes, but epoch
 * milliseconds that lost a digit or deciseconds).
 */
const LEAST_EPOCH_SECONDS = 1e8;
const EPOCH_SECONDS_LIMIT = 1e10;

/** A hint for a `ts` below `LEAST_EPOCH_MS` that is epoch seconds of a time from 1973 to 2286: the time it names so read; else nothing. */
function asEpochSeconds(value: number): string {
  if (!(value >= LEAST_EPOCH_SECONDS && value < EPOCH_SECONDS_LIMIT)) return '';
  return `: that is epoch seconds (${new Date(value * 1000).toISOString()}); log epoch milliseconds (the number × 1000) or an ISO-8601 time`;
}

/**
 * `null` in an optional field is read as absent (Python's `None`, a serializer's "no value"), so
 * `"exception_id":null` is no exception and `"parent_run_id":null` a root, as an absent field is:
 * such a key is left out before the fields are checked (`validateEvent`, and a budget's own). A
 * required field's `null` is still refused, and a field that takes `null` as a value
 * (`audit.write`'s `record`) keeps it. `parse/fast-validate.ts` reads `null` alike.
 */
function nullMeansAbsent(shape: z.ZodRawShape): readonly string[] {
  return Object.keys(shape).filter((key) => z.safeParse(shape[key], undefined).success && !z.safeParse(shape[key], null).success);
}

/** `raw` without its `null`-valued `keys`: a copy when it holds one, else `raw` itself. */
function withoutNulls(raw: unknown, keys: readonly string[]): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  let out: Record<string, unknown> | undefined;
  for (const key of keys) {
    if (!Object.hasOwn(raw, key) || (raw as Record<string, unknown>)[key] !== null) continue;
    out ??= { ...raw };
    delete out[key];
  }
  return out ?? raw;
}

/**
 * A budget takes these keys and no other, as `agents.<agent>.budget` in the config and the agent
 * kit do: a misspelt one (`max_action`) would leave the run with no limit, silently.
 */
const BudgetObject = z.strictObject(
  {
    max_actions: z.number().int().positive().optional(),
    max_cost_usd: nonNegative.optional(),
    scope: z.enum(['task', 'tick']).default('task'),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? notBudgetKeys(issue.keys) : undefined) },
);

function notBudgetKeys(keys: readonly string[]): string {
  const named = keys.map((key) => JSON.stringify(key)).join(', ');
  return `${keys.length === 1 ? 'not a budget key' : 'not budget keys'}: ${named} (a budget takes max_actions, max_cost_usd and scope)`;
}
const BUDGET_NULLS = nullMeansAbsent(BudgetObject.shape);
export const BudgetSchema = z.preprocess((raw) => withoutNulls(raw, BUDGET_NULLS), BudgetObject);

export const RunStartSchema = z.looseObject({
  type: z.literal('run.start'),
  ts: TimestampSchema.optional(),
  job: identifier,
  run_id: identifier,
  host: boundedId.optional(),
});

export const RunEndSchema = z.looseObject({
  type: z.literal('run.end'),
  ts: TimestampSchema.optional(),
  job: identifier,
  run_id: identifier,
  exit_code: z.number().int('must be an integer'),
  duration_ms: milliseconds.optional(),
  output_bytes: z.number().int().nonnegative().optional(),
  output_lines: z.number().int().nonnegative().optional(),
  output_head: z.string().optional(),
  output_tail: z.string().optional(),
  host: boundedId.optional(),
});

export const AgentStartSchema = z.looseObject({
  type: z.literal('agent.start'),
  ts: TimestampSchema.optional(),
  agent: identifier,
  run_id: identifier,
  parent_run_id: identifier.optional(),
  budget: BudgetSchema.optional(),
});

export const AgentActionSchema = z.looseObject({
  type: z.literal('agent.action'),
  ts: TimestampSchema.optional(),
  agent: identifier,
  run_id: identifier,
  action: nonEmpty,
  name: z.string().optional(),
  tick: z.number().int().nonnegative().optional(),
  cost_usd: dollars.optional(),
  tokens_in: tokens.optional(),
  tokens_out: tokens.optional(),
  duration_ms: milliseconds.optional(),
});

export const AgentEndSchema = z.looseObject({
  type: z.literal('agent.end'),
  ts: TimestampSchema.optional(),
  agent: identifier,
  run_id: identifier,
  status: nonEmpty,
  actions_reported: z.number().int().nonnegative().optional(),
  cost_reported_usd: dollars.optional(),
  output_bytes: z.number().int().nonnegative().optional(),
});

/**
 * A tool call's `args`: any JSON object, copied with every own key. An argument may be named
 * `__proto__` (JSON.parse makes it an own key), and the args walk and the redactor must see what is
 * under it: `z.record` leaves that key out, an object spread keeps it as an own data property
 * without setting any prototype. `parse/fast-validate.ts` copies args the same way.
 */
const ToolArgs = z.unknown().transform((value, ctx) => {
  if (isPlainObject(value)) return { ...value };
  ctx.addIssue({ code: 'invalid_type', expected: 'record', input: value });
  return z.NEVER;
});

export const ToolCallSchema = z.looseObject({
  type: z.literal('tool.call'),
  ts: TimestampSchema.optional(),
  tool: identifier,
  args: ToolArgs,
  agent: boundedId.optional(),
  run_id: boundedId.optional(),
  call_id: boundedId.optional(),
});

export const AttemptSchema = z.looseObject({
  type: z.literal('attempt'),
  ts: TimestampSchema.optional(),
  route: routeName,
  request_id: identifier,
  attempt: z.number().int().positive('must be a 1-based attempt number'),
  outcome: z.enum(['ok', 'error', 'timeout', 'empty', 'invalid']),
  latency_ms: milliseconds,
  status: z.union([z.number(), z.string()]).optional(),
});

export const GuardBypassSchema = z.looseObject({
  type: z.literal('guard.bypass'),
  ts: TimestampSchema.optional(),
  // "pii-redaction " is pii-redaction, as an exception's guard in the config and `exceptions add --guard` are.
  guard: trimmedIdentifier,
  exception_id: numberedId.optional(),
  actor: z.string().optional(),
  reason: z.string().optional(),
  job: boundedId.optional(),
  agent: boundedId.optional(),
  route: bypassRoute.optional(),
});

export const AuditWriteSchema = z.looseObject({
  type: z.literal('audit.write'),
  ts: TimestampSchema.optional(),
  job: identifier,
  run_id: identifier,
  record: z.unknown().optional(),
});

export const INSTRUMENTED_SCHEMAS = {
  'run.start': RunStartSchema,
  'run.end': RunEndSchema,
  'agent.start': AgentStartSchema,
  'agent.action': AgentActionSchema,
  'agent.end': AgentEndSchema,
  'tool.call': ToolCallSchema,
  attempt: AttemptSchema,
  'guard.bypass': GuardBypassSchema,
  'audit.write': AuditWriteSchema,
} as const;

export type InstrumentedType = keyof typeof INSTRUMENTED_SCHEMAS;
export const INSTRUMENTED_TYPES = Object.keys(INSTRUMENTED_SCHEMAS) as InstrumentedType[];

const INSTRUMENTED_NULLS = Object.fromEntries(INSTRUMENTED_TYPES.map((type) => [type, nullMeansAbsent(INSTRUMENTED_SCHEMAS[type].shape)])) as Record<InstrumentedType, readonly string[]>;

/** Checks an instrumented line's object against its type's schema, `null` in an optional field read as absent. */
export function validateEvent(type: InstrumentedType, raw: unknown, params?: z.core.ParseContext<z.core.$ZodIssue>): z.ZodSafeParseResult<unknown> {
  return (INSTRUMENTED_SCHEMAS[type] as z.ZodType).safeParse(withoutNulls(raw, INSTRUMENTED_NULLS[type]), params);
}

export type RunStart = z.infer<typeof RunStartSchema>;
export type RunEnd = z.infer<typeof RunEndSchema>;
export type AgentStart = z.infer<typeof AgentStartSchema>;
export type AgentAction = z.infer<typeof AgentActionSchema>;
export type AgentEnd = z.infer<typeof AgentEndSchema>;
export type ToolCall = z.infer<typeof ToolCallSchema>;
export type Attempt = z.infer<typeof AttemptSchema>;
export type GuardBypass = z.infer<typeof GuardBypassSchema>;
export type AuditWrite = z.infer<typeof AuditWriteSchema>;

/**
 * Where a line came from: enough to name it in an error message ("file:line") and to give it a
 * stable identity, so that a redelivered CloudWatch batch is recognised.
 */
export interface LineSource {
  /** A file path (CLI) or the log group (CloudWatch). */
  readonly origin: string;
  /** 1-based line number in a file, or the index of the event in a CloudWatch batch. */
  readonly line?: number;
  /**
   * A file's: the file it was rotated from when its name alone does not tell (logrotate's
   * `extension .log`: `app.1.log`, read while `app.log` is beside it; `numberedRotationBase`).
   * Absent for nearly every file, `worker.1.log` with no `worker.log` beside it too.
   */
  readonly rotatedFrom?: string;
  readonly logStream?: string;
  /** The CloudWatch log event id, when there is one. */
  readonly eventId?: string;
  /**
   * The line's number, from 1, in a message of several of our lines that it was read from (a log
   * agent's multi-line event, or a Lambda's console.log of two lines): with the event id or line,
   * what tells it from the message's other lines. Absent for a line read whole.
   */
  readonly part?: number;
  /**
   * For a line without an event id (a file's) of a type counted line by line (`REPEAT_NUMBERED`): how
   * many lines of the same content at the same instant its source held before it (two bypasses of one
   * guard in one second, one tool call made twice, two hosts' identical lines in one syslog file).
   * Absent for the first such line, as for nearly every line.
   */
  readonly repeat?: number;
  /** An event the pipeline made itself (an agent run tree), read from no log: no finding names it as its source (a tree's findings name its runs' lines', `TreeSnapshot.source`). */
  readonly synthetic?: true;
}

/** The body types whose file lines are numbered among identical ones (`LineSource.repeat`): those counted line by line. */
export const REPEAT_NUMBERED: ReadonlySet<string> = new Set(['agent.action', 'tool.call', 'guard.bypass', 'audit.write']);

/** What a line's identity adds for its part of a multi-line message (`#2`); nothing for a line read whole. */
export function partOf(source: LineSource): string {
  return source.part === undefined ? '' : `#${source.part}`;
}

/**
 * What a line that carries no event id (a file's) is told apart by within its source: its time, its
 * part of a message, and its content as parsed (a shipper's prefix, syslog's host and pid, a
 * Lambda console time, left out). `LineSource.repeat` numbers the lines of one such key.
 */
export function instantContent(event: AuditEvent): string {
  return `${event.at}${partOf(event.source)}|${bodyText(event)}`;
}

/** Each body's JSON as first written (bodies are not changed once parsed; a repeat-numbered copy of an event keeps its body). */
const bodyTexts = new WeakMap<object, string>();

/**
 * A line's content as parsed, as JSON: written once per body, then reused by the identities that
 * read it (`instantContent` when the line is numbered, `contentIdentity`, an agent line's legacy identity).
 */
export function bodyText(event: AuditEvent): string {
  let text = bodyTexts.get(event.body);
  if (text === undefined) bodyTexts.set(event.body, (text = JSON.stringify(event.body)));
  return text;
}

/**
 * The identity of a line that carries no event id (a file's): its time, its content, and which of
 * the lines of the same content at that instant in its source it is (`repeat`), not the file's name
 * nor the line's number. The same line read again (a rescan, a rotated `app.log.1`, an overlapping
 * window of lines) is recognised, as job runs are by their run id and time, and two identical lines
 * of one instant still count apart. (A line with an event id, CloudWatch's, is known by that id.)
 */
export function contentIdentity(event: AuditEvent): string {
  const s = event.source;
  return `${event.at}|${s.repeat ?? 0}${partOf(s)}|${bodyText(event)}`;
}

/** A rotated file's date: logrotate's `-20261207` (`-2026120709` hourly), `.2026-12-07`, Python's timed `.2026-12-07_09`, `_09-30`, `_09-30-15`. */
const ROTATION_DATE = String.raw`[.-]\d{8}(?:\d{2})?|[.-]\d{4}-\d{2}-\d{2}(?:_\d{2}(?:-\d{2}){0,2})?`;
const COMPRESSED = String.raw`(?:\.(?:gz|bz2|xz|zst))?`;
/** An extension kept after a rotation's number or date (`.log` of `app.1.log`, `app-20261207.log`): not a compression's. */
const KEPT_EXTENSION = String.raw`(\.(?!(?:gz|bz2|xz|zst)(?:\.|$))[A-Za-z]\w*)`;
/**
 * Rotation suffixes of a log file's name: its number (`.1`, only after an extension or a system
 * log's name: `app.log.1`, `syslog.1`, `messages.1`; not `worker.1` nor `10.0.0.1`), date or `.old`, then `.gz`, `.bz2`, `.xz`, `.zst`; or, with
 * logrotate's `extension .log`, its date before the extension kept (`app-20261207.log`). The
 * extension kept is `$1`. (A number before the extension, `app.1.log`, is as often a worker's own
 * file, `worker.1.log`, as a rotation's: `numberedRotationBase`.)
 */
const ROTATION_SUFFIX = new RegExp(
  String.raw`(?:(?:${ROTATION_DATE})${COMPRESSED}${KEPT_EXTENSION}|(?<=\.[A-Za-z]\w*|syslog|messages|secure|maillog|debug|cron|spooler|dmesg)\.\d{1,3}|${ROTATION_DATE}|\.old)?${COMPRESSED}$`,
);

/** A number before a file name's extension, as logrotate's `extension .log` leaves it (`app.1.log`, `app.2.log.gz`; after a name not ending in a digit). The extension is `$1`. */
const NUMBER_BEFORE_EXTENSION = new RegExp(String.raw`(?<=[^\d./])\.\d{1,3}${KEPT_EXTENSION}${COMPRESSED}$`);

/**
 * The file a path would have been rotated from by logrotate's `extension .log` (`app.1.log`,
 * `app.2.log.gz` → `app.log`, its folder kept), or undefined for a name of no such form. Such a
 * name is as often a worker's or host's own file (`worker.1.log`, `worker.2.log`): it is a rotated
 * copy only when that file is beside it (the caller's test, `LineSource.rotatedFrom`).
 */
export function numberedRotationBase(path: string): string | undefined {
  const base = path.replace(NUMBER_BEFORE_EXTENSION, '$1');
  return base === path ? undefined : base;
}

/**
 * A file's path, resolved (`out/app.log`, `./out/app.log` and its absolute path are one), with its
 * name as rotation leaves it (`app.log.1`, `app.log.2.gz`, `app.log-20261207`, `app-20261207.log` →
 * `app.log`; its folder kept): the file a line that carries no event id was first written to, so
 * that two hosts' files (`web-1/app.log`, `web-2/app.log`, `host1.log`, `host2.log`, `10.0.0.1`,
 * `10.0.0.2`, `worker.1.log`, `worker.2.log`) are kept apart while a rotated copy is one file with
 * its original. (`app.1.log` is `app.log` when its source says so: `LineSource.rotatedFrom`.)
 * Standard input (`stdin`) is a source of its own.
 */
export function unrotatedName(origin: string): string {
  // The lines of a file come one after another: its name is read once, not once a line.
  if (origin !== lastRotated.origin) lastRotated = { origin, name: (origin === 'stdin' ? origin : resolve(origin)).replace(ROTATION_SUFFIX, '$1') };
  return lastRotated.name;
}
let lastRotated = { origin: '', name: '' };

/**
 * Events that logs written by systems (contract §1b) produce besides the instrumented ones.
 * `run.failed` marks a failure that does not come with an exit code of the run itself
 * (a systemd failure result, a Lambda timeout); `output.discarded` is cron's
 * "No MTA installed, discarding output".
 */
export interface RunFailedMarker {
  readonly type: 'run.failed';
  readonly job: string;
  readonly run_id?: string;
  readonly reason: string;
  readonly exit_code?: number;
  readonly host?: string;
  /** The error type Lambda's REPORT (`Error Type:`) or `platform.report` (`errorType`) names: `Runtime.OutOfMemory`, `Sandbox.Timedout`. */
  readonly error_type?: string;
}

/**
 * An error a Lambda function logged in the JSON log format: the Node.js runtime's record of an
 * `Error` (`{"level":"ERROR","requestId":…,"message":{"errorType":…,"errorMessage":…}}`), which it
 * writes for an invocation's error and, alike, for an app's own `console.error(err)` (a handled
 * error), or the Python runtime's of an uncaught exception (`{"level":"ERROR","errorType":…,
 * "errorMessage":…,"requestId":…}`, `log_level` before awslambdaric 4.0.4). It fails no run: the failure line of its invocation that follows it (a `platform.runtimeDone`
 * or `platform.report` with status `error`) takes its `reason` (`<errorType>: <errorMessage>`), and
 * it is then dropped (the job reducer's `enrich`). systemd 219's (CentOS 7) `U start operation timed
 * out. Terminating.` is one too: the run fails when its process dies (seconds or TimeoutStopSec
 * later), and that failure line takes its reason, `systemd result 'timeout'`; so is a unit's `Failed at
 * step EXEC spawning …` (`exec failed: …`), whose job is '' when the line names no unit (systemd 219's
 * text: the job reducer ties it to its unit when that is unambiguous).
 */
export interface ErrorLogged {
  readonly type: 'run.error';
  readonly job: string;
  /** The request id of the invocation that logged it; OPEN_RUN for systemd's lines (above). */
  readonly run_id: string;
  readonly reason: string;
  /** The exit status of a systemd control process that exited non-zero (`U: control process exited, code=exited status=1`). */
  readonly exit_code?: number;
  /** The host of a systemd line. */
  readonly host?: string;
}

export interface OutputDiscarded {
  readonly type: 'output.discarded';
  readonly job?: string;
  readonly host?: string;
  readonly reason: string;
}

/**
 * Debian's cron's `(CRON) error (grandchild #P failed with exit status N)`, the only exit status
 * syslog cron writes: the run whose `CMD` line has pid P (`cmd_pid`) exited with N. It names no job:
 * the job reducer's `enrich` (in its batch) or the cron host reducer (across batches) makes it a
 * `run.end` of that run (`failures_only`: its job's runs log an end only when they fail).
 */
export interface CronRunFailed {
  readonly type: 'cron.failed';
  /** None: the line names only the pid of the job's CMD line. */
  readonly job?: undefined;
  readonly host?: string;
  /** The cron process that forked the job and wrote the line. */
  readonly pid?: number;
  readonly cmd_pid: number;
  readonly exit_code: number;
}

/**
 * cronie's `(user) CMDOUT (text)`: one line of a job's output, which cronie run with `-s` (or with
 * `MAILTO=""` and syslog output) logs between the job's `CMD` and `CMDEND` lines, from the same pid
 * as both. It names no job: the job reducer's `enrich` gathers those of a pid into the `run.end`
 * that the pid's `CMDEND` makes (`cronieRunEnd`).
 */
export interface CronOutputLine {
  readonly type: 'cron.output';
  /** None: the line names only the pid of the job's CMD line. */
  readonly job?: undefined;
  readonly host?: string;
  readonly pid?: number;
  readonly text: string;
  /**
   * Where the line, as logged, leaves a private key's block (`keyBlockAfter`): redacted alone, it
   * cannot say, and the key's body lines after a line that `opens` one are its output's only until
   * one `closes` it (`withCronieLine`). Absent for nearly every line.
   */
  readonly block?: 'opens' | 'closes';
}

/**
 * cronie's `(user) CMDEND (command)`: the job that the `CMD` line of the same pid started has ended.
 * It gives no exit status: the `run.end` the job reducer's `enrich` makes of it has an unknown exit
 * (`exit_code_unknown`).
 */
export interface CronRunEnded {
  readonly type: 'cron.end';
  /** None: the job is the one the CMD line of the same pid ran (the command is only logged again). */
  readonly job?: undefined;
  readonly host?: string;
  readonly pid?: number;
}

/**
 * systemd's older `Starting D...`, which names only the unit's description D: the systemd host
 * reducer (systemd-host-reducer.ts) makes it a run start of the unit when the host's log tells
 * which unit D is; else it starts nothing.
 */
export interface UnitStarting {
  readonly type: 'unit.starting';
  /** None: which unit (job) it is about is what the line does not say. */
  readonly job?: undefined;
  readonly description: string;
  readonly host?: string;
}

export type EventBody =
  | RunStart
  | RunEnd
  | AgentStart
  | AgentAction
  | AgentEnd
  | ToolCall
  | Attempt
  | GuardBypass
  | AuditWrite
  | RunFailedMarker
  | ErrorLogged
  | OutputDiscarded
  | CronRunFailed
  | CronOutputLine
  | CronRunEnded
  | UnitStarting;

/** A parsed event with its resolved time (epoch ms) and where it came from. */
export interface AuditEvent<B extends EventBody = EventBody> {
  /** Epoch milliseconds: the event's own `ts`, else the log record's time. */
  readonly at: number;
  readonly body: B;
  readonly source: LineSource;
  /** The parser that recognised the line (`json`, `cron`, `systemd`, …). */
  readonly format: string;
  /**
   * A `run.end` whose output excerpts redaction changed: its whole output as the head and tail held
   * it before (joined, then redacted), or null when they did not hold all of it. A marker is not as
   * long as the secret it replaced, so the redacted excerpts' sizes no longer tell (set where lines
   * are parsed, `parseLine`).
   */
  readonly outputWhole?: string | null;
  /**
   * A `run.start` a Lambda function logged: the request id of the invocation that logged it, from
   * its console prefix (`<time>\t<request-id>\tINFO\t`) or its JSON log record's `requestId`. The
   * platform's failure line of that request id (a timeout) ends this run, not another invocation's
   * running beside it (set where lines are parsed, `withRequestId`).
   */
  readonly requestId?: string;
}

export function resolveTimestamp(ts: string | number | undefined, recordTime: number): number {
  if (ts === undefined) return recordTime;
  return typeof ts === 'number' ? ts : parseTime(ts);
}
