import { describeIssues, describeValue, eventIssueMessage } from '../event-issues.ts';
import { INSTRUMENTED_TYPES, type InstrumentedType, resolveTimestamp, validateEvent } from '../events.ts';
import { LEAST_EPOCH_MS, parseTime } from '../parse-time.ts';
import { fastValidate } from './fast-validate.ts';
import { consoleRequestId, withRequestId } from './lambda-platform.ts';
import { inRecordZone, namesNoZone, tsPrecisionMs } from './local-time.ts';
import { objectAfterPrefixBraces } from './prefix-braces.ts';
import { loggerInstant } from './record-fields.ts';
import { parseSyslog, type SyslogBadDate } from './syslog.ts';
import { UTC_OFFSET_PATTERN } from './timestamp-prefix.ts';
import { eventsOf, type LineContext, type LineParser, type LoggerTimeField, type ParseOutcome } from './types.ts';

const OUR_TYPE = /"type"\s*:\s*"(run\.start|run\.end|agent\.start|agent\.action|agent\.end|tool\.call|attempt|guard\.bypass|audit\.write)"/;
const OUR_TYPES: ReadonlySet<string> = new Set(INSTRUMENTED_TYPES);
const isOurType = (value: unknown): value is InstrumentedType => typeof value === 'string' && OUR_TYPES.has(value);
/**
 * An ISO-8601 time at the start of a line, as Lambda's console output and `aws logs tail` print
 * it; `--format short` prints it without an offset, in UTC (which `parseTime` assumes). Its offset
 * in any form `parseTime` reads in a `ts`: `+02:00`, `+0200` or hours alone, `+02`. The Python
 * runtime's console output puts the level before it: `[INFO]\t2026-10-05T04:00:01.120Z\t<request-id>\t{...}`.
 */
const LEADING_TIME = new RegExp(String.raw`^(?:\[[A-Z]+\]\t)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:${UTC_OFFSET_PATTERN})?)\s`);

/**
 * Contract §1a: one JSON object per line, alone or at the end of a prefixed line
 * (`2026-10-03T06:00:01.123Z\t<request-id>\tINFO\t{...}`).
 */
export const jsonEventParser: LineParser = {
  format: 'json',
  parse(line, ctx) {
    const start = line.indexOf('{');
    if (start < 0) return undefined;
    // A line that names none of our types anywhere is not parsed at all (other JSON logs).
    if (!OUR_TYPE.test(line)) return undefined;

    let raw: unknown;
    let objectStart = start;
    try {
      raw = JSON.parse(line.slice(start));
    } catch (error) {
      const later = objectAfterPrefixBraces(line, start, error as Error);
      if ('error' in later) return reject((OUR_TYPE.exec(line) as RegExpExecArray)[1], arrayReason(line, start) ?? `not valid JSON (${later.error.message})`);
      ({ raw, start: objectStart } = later);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
    // The object's own type decides, wherever in the line a nested object named one of ours.
    const type = (raw as { type?: unknown }).type;
    if (!isOurType(type)) return undefined;

    if (type === 'guard.bypass') raw = withExceptionIdAsLogged(raw as Record<string, unknown>, line, objectStart, ctx.writtenLine);
    // Valid lines, nearly all of them, skip zod; zod decides (and words the reasons) for the rest.
    let data = fastValidate(type, raw as Record<string, unknown>) as { ts?: string | number } | undefined;
    if (data === undefined) {
      const result = validateEvent(type, raw, { error: eventIssueMessage });
      if (!result.success) return reject(type, describeIssues(result.error.issues));
      data = result.data as { ts?: string | number };
    }
    // A run's start a Lambda function logged names its invocation in the console prefix before it.
    const requestId = type === 'run.start' && objectStart > 0 ? consoleRequestId(line.slice(0, objectStart)) : undefined;
    if (data.ts !== undefined) return withRequestId(eventsOf('json', ctx, timeOfTs(data.ts, ctx), data as never), requestId);
    // Without its own `ts`, the line's prefix times the event (a leading ISO time, a syslog header
    // as `logger` writes one, a collector's prefix), else the log record (a CloudWatch event's time,
    // an `aws logs tail` line's, a container record's), else, with no record time (a plain file), its
    // logger's time field: contract §1a times an event without `ts` by its log record, so ingest and a
    // scan of the same event agree, and an unrelated `timestamp` field moves no event.
    const prefix = objectStart > 0 ? prefixTime(line, ctx) : undefined;
    const recordTime = (prefix?.kind === 'record' ? prefix.at : undefined) ?? ctx.recordTime ?? loggerTime(raw as Record<string, unknown>);
    if (recordTime === undefined && prefix?.kind === 'bad-date') return reject(type, `no time: the event has no \`ts\` and the line's syslog date "${prefix.dateText}" is not a date`);
    if (recordTime === undefined) return reject(type, noTime(raw as Record<string, unknown>, ctx.loggerTimeField));
    return withRequestId(eventsOf('json', ctx, recordTime, data as never), requestId);
  },
};

/** A JSON string or an object's or list's bracket: the tokens `topLevelValue` walks. */
const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\]]/g;
/** A key's `:` and the number after it, read where the key ends. */
const COLON_NUMBER = /\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/y;
/** A key's `:` and the `{` of the object after it, read where the key ends. */
const COLON_OBJECT = /\s*:\s*\{/y;
const namesExceptionId = namesKey('exception_id');
const namesMessage = namesKey('message');

/**
 * A bypass whose `exception_id` is a number that is no safe integer (one past 2^53 that lost its last
 * digits, a fraction) with that id as the line wrote it (`1175928471389241354`, `12.5`), when the
 * text of the number JSON read is found (`exceptionIdText`); else `raw` as it is (the schema reads
 * the number as unreadable: `unreadableNumberId`). Only the object parsed is searched for such a
 * number, from its own `{` (`objectStart`; never a prefix's braces or quotes before it) to its `}`:
 * in the line as written (`LineContext.writtenLine`) when the one parsed was rebuilt, whose numbers
 * are rounded, the object that record's `message` holds (`loggedMessageStart`), never a field beside it.
 */
function withExceptionIdAsLogged(raw: Record<string, unknown>, line: string, objectStart: number, writtenLine: string | undefined): Record<string, unknown> {
  const id = raw.exception_id;
  if (typeof id !== 'number' || Number.isSafeInteger(id)) return raw;
  const start = writtenLine === undefined ? objectStart : loggedMessageStart(writtenLine);
  const text = start === undefined ? undefined : exceptionIdText(writtenLine ?? line, start);
  return text !== undefined && Number(text) === id ? { ...raw, exception_id: text } : raw;
}

/**
 * The number's text of the key `exception_id` as JSON.parse reads the object whose `{` is at
 * `start`: at its top level, its name decoded (`"exception\u005fid"` is the key), the last one when
 * written twice there; never a nested object's, nor one after the object's `}`. Undefined when none
 * holds a number.
 */
function exceptionIdText(json: string, start: number): string | undefined {
  return topLevelValue(json, start, namesExceptionId, COLON_NUMBER)?.[1];
}

/** Where the object a Lambda JSON-format record (the line as written) holds as its `message` begins: its `{`. */
function loggedMessageStart(written: string): number | undefined {
  const value = topLevelValue(written, written.indexOf('{'), namesMessage, COLON_OBJECT);
  return value === undefined ? undefined : value.index + value[0].length - 1;
}

/**
 * The `value` read after the last key `isKey` names at the top level of the object whose `{` is at
 * `start` (the last wins, as JSON.parse reads a key written twice); the walk ends at the object's `}`.
 */
function topLevelValue(json: string, start: number, isKey: (quoted: string) => boolean, value: RegExp): RegExpExecArray | undefined {
  let depth = 0;
  let found: RegExpExecArray | undefined;
  JSON_TOKEN.lastIndex = start;
  for (let token = JSON_TOKEN.exec(json); token !== null; token = JSON_TOKEN.exec(json)) {
    const [word] = token;
    if (word === '{' || word === '[') depth += 1;
    else if (word === '}' || word === ']') {
      depth -= 1;
      if (depth <= 0) break;
    } else if (depth === 1 && isKey(word)) {
      value.lastIndex = token.index + word.length;
      found = value.exec(json) ?? found;
    }
  }
  JSON_TOKEN.lastIndex = 0;
  return found;
}

/** Whether a JSON string is the key `name`, also written with escapes (`"exception\u005fid"`). */
function namesKey(name: string): (quoted: string) => boolean {
  const literal = JSON.stringify(name);
  return (quoted) => {
    if (quoted === literal) return true;
    if (quoted.length <= literal.length || !quoted.includes('\\')) return false;
    try {
      return JSON.parse(quoted) === name;
    } catch {
      return false;
    }
  };
}

/**
 * Why a line that is no JSON object was rejected, when it is a JSON array (a logger that batches
 * events): valid JSON, but the contract wants one event object per line. Read on the rejection's
 * path only.
 */
function arrayReason(line: string, objectStart: number): string | undefined {
  const open = line.lastIndexOf('[', objectStart);
  if (open < 0 || line.slice(open + 1, objectStart).trim() !== '') return undefined;
  try {
    const items: unknown = JSON.parse(line.slice(open));
    return Array.isArray(items) ? `a JSON array of ${items.length} item${items.length === 1 ? '' : 's'}, not one JSON object: log one event object per line` : undefined;
  } catch {
    return undefined;
  }
}

/** The time fields a structured logger adds to the object it writes: pino's and bunyan's `time`; Powertools Logger's and winston's `timestamp`. */
const LOGGER_TIME_KEYS = ['time', 'timestamp'] as const;

/**
 * The time a structured logger (pino, bunyan, Powertools Logger, winston) wrote beside one of our
 * events that has no `ts`: its `time` or `timestamp`, when it reads as an instant, an ISO time that
 * names its offset or epoch milliseconds from 2001 to the year 9999. It times the event only when
 * the line has no record time of its own (a plain file, no prefix): a `ts`, a prefix's time and the
 * log record's time (CloudWatch's, `aws logs tail`'s) all win over it, as contract §1a times an event
 * without `ts` by its log record. A value of a field of that name that reads as no instant (a
 * duration, a zoneless time) is left alone.
 */
function loggerTime(raw: Record<string, unknown>): number | undefined {
  for (const key of LOGGER_TIME_KEYS) {
    const at = loggerInstant(raw[key]);
    if (at !== undefined) return at;
  }
  return undefined;
}

/** Other loggers' time fields, never read as an event's time: logstash-logback-encoder's `@timestamp`, python-json-logger's `asctime`. */
const OTHER_LOGGER_TIME_KEYS = ['@timestamp', 'asctime'] as const;
const ADD_TS = 'add `ts` (an ISO-8601 time or epoch milliseconds)';

/**
 * Why an event without `ts` in a line with no record time has no time: the logger's time field the
 * line holds and why it was not read (`loggerTime`; or that of the logger's record the event was
 * logged in as a string, `wrapper`, whose time fields are all read), else that it carries none; and
 * to add `ts`. Read on the rejection's path only.
 */
function noTime(raw: Record<string, unknown>, wrapper: LoggerTimeField | undefined): string {
  if (wrapper !== undefined) return `no time: the event has no \`ts\`, and the line's \`${wrapper.key}\` ${describeValue(wrapper.value)} ${unreadInstant(wrapper.value)}; ${ADD_TS}`;
  const key = [...LOGGER_TIME_KEYS, ...OTHER_LOGGER_TIME_KEYS].find((k) => Object.hasOwn(raw, k));
  if (key === undefined) return `no time: the event has no \`ts\` and the line carries no timestamp; ${ADD_TS}`;
  return `no time: the event has no \`ts\`, and the line's \`${key}\` ${describeValue(raw[key])} ${unreadTime(key, raw[key])}; ${ADD_TS}`;
}

/** Why a logger's time field was not read as the event's time. */
function unreadTime(key: string, value: unknown): string {
  if (!(LOGGER_TIME_KEYS as readonly string[]).includes(key)) return "is not read as its time (only pino's and bunyan's `time`, winston's and Powertools' `timestamp`)";
  return unreadInstant(value);
}

/** Why a value of a time field read gave no instant (`loggerInstant`). */
function unreadInstant(value: unknown): string {
  if (typeof value !== 'number') return 'is no ISO time that names its offset';
  if (value < LEAST_EPOCH_MS) return 'is below 10^12 (2001-09-09): a duration, or epoch seconds, not epoch milliseconds';
  return 'lies past the year 9999: microseconds or nanoseconds, not epoch milliseconds';
}

/**
 * The instant a `ts` names. One without an offset is a local time read as UTC; delivered with its
 * record's time, it is read in the zone their gap shows (`local-time.ts`), so a host east of UTC
 * does not move its subject's state hours ahead, nor one west of UTC hours back.
 */
function timeOfTs(ts: string | number, ctx: LineContext): number {
  const at = resolveTimestamp(ts, 0);
  return typeof ts === 'string' && namesNoZone(ts) ? inRecordZone(at, ctx, 'ts', tsPrecisionMs(ts)) : at;
}

function reject(type: string, why: string): ParseOutcome {
  return { kind: 'rejected', reason: `${type} event rejected: ${why}` };
}

/** The time of a line's prefix before the object: a leading ISO time, else its syslog header's. */
function prefixTime(line: string, ctx: LineContext): { kind: 'record'; at: number } | SyslogBadDate | undefined {
  const leading = leadingTime(line);
  if (leading !== undefined) return { kind: 'record', at: leading };
  const syslog = parseSyslog(line, ctx);
  return syslog?.kind === 'record' ? { kind: 'record', at: syslog.at } : syslog;
}

export function leadingTime(line: string): number | undefined {
  const m = LEADING_TIME.exec(line);
  if (!m) return undefined;
  const t = parseTime(m[1]);
  return Number.isNaN(t) ? undefined : t;
}
