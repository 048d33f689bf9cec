import { wholeOfExcerpts } from '../../detectors/output-content.ts';
import type { AuditEvent, EventBody } from '../events.ts';
import { isoTime } from '../findings.ts';
import { isTimeInRange } from '../parse-time.ts';
import { BUILTIN_REDACTOR, type Redactor } from '../redact.ts';
import { type ContainerRecord, containerRecord, shippedRecord } from './container.ts';
import { cronParser } from './cron.ts';
import { boundKeyFields } from './derived-name.ts';
import { journalJsonParser } from './journal-json.ts';
import { jsonEventParser } from './json-event.ts';
import { lambdaPlatformParser, loggedRecord, withRequestId } from './lambda-platform.ts';
import { MAX_LINE_BYTES } from './line-limit.ts';
import { MAX_AHEAD_OF_RECORD_MS, StreamZones, type ZonelessKind } from './local-time.ts';
import { otelGenAiParser } from './otel-genai.ts';
import { systemdParser } from './systemd.ts';
import { splitTimestampPrefix, type TimestampPrefix } from './timestamp-prefix.ts';
import { type LineContext, type LineParser, type ParseOutcome, UNRECOGNISED } from './types.ts';

/** The format of instrumented JSON lines, whose identifiers validation bounds. */
const INSTRUMENTED_FORMAT = jsonEventParser.format;

// In its own module, so that the agent kit knows the limit without loading every parser.
export { MAX_LINE_BYTES };

/**
 * A line's size in bytes of UTF-8 when it is over MAX_LINE_BYTES, else undefined. A UTF-16 unit
 * is at most 3 bytes of UTF-8, so a line of at most a third of the limit in units is never
 * measured: this runs for every line.
 */
function bytesOverLimit(line: string): number | undefined {
  if (line.length <= MAX_LINE_BYTES / 3) return undefined;
  const bytes = Buffer.byteLength(line, 'utf8');
  return bytes > MAX_LINE_BYTES ? bytes : undefined;
}

/**
 * The parsers, tried in order; the first that claims a line decides it. Instrumented JSON comes
 * first: it is the cheapest to rule out and the most common in an instrumented system. Then
 * OpenTelemetry GenAI spans (OTLP JSON), the other JSON format (journal records), Lambda's platform lines, and the syslog-borne formats.
 */
export const LINE_PARSERS: readonly LineParser[] = [jsonEventParser, otelGenAiParser, journalJsonParser, lambdaPlatformParser, cronParser, systemdParser];

function firstClaim(text: string, ctx: LineContext, parsers: readonly LineParser[]): ParseOutcome | undefined {
  for (const parser of parsers) {
    try {
      const outcome = parser.parse(text, ctx);
      if (outcome) return outcome;
    } catch (error) {
      return { kind: 'rejected', reason: `${parser.format} parser failed: ${(error as Error).message}` };
    }
  }
  return undefined;
}

/**
 * How far an instrumented event's own `ts` may lie after its record's time (a CloudWatch record's:
 * the writer's clock ahead of the log's). A time further ahead is a wrong clock: taken as given it
 * would move its subject's state ahead (a route's watermark a year on ignores every attempt until
 * then). A `ts` that names no offset is a local time, already read in the zone its record's time
 * shows (`local-time.ts`): one still too far ahead is further than any zone. Times of system logs
 * (syslog, systemd) are not judged here (the syslog reader bounds them to a day).
 */
export { MAX_AHEAD_OF_RECORD_MS };

/** A rejection when an instrumented event's `ts` lies further after the record's time than a clock can be off. */
function aheadOfRecord(events: readonly AuditEvent[], recordTime: number): ParseOutcome | undefined {
  for (const event of events) {
    if (event.format !== INSTRUMENTED_FORMAT || event.at - recordTime <= MAX_AHEAD_OF_RECORD_MS) continue;
    const minutes = Math.round((event.at - recordTime) / 60_000);
    return {
      kind: 'rejected',
      reason: `${event.body.type} event rejected: its ts ${isoTime(event.at)} lies ${minutes} min after its record's ${isoTime(recordTime)} (at most ${MAX_AHEAD_OF_RECORD_MS / 60_000} min): the writer's clock is wrong`,
    };
  }
  return undefined;
}

/**
 * A rejection when the log record's time or an event's lies outside the years 0000 to 9999, which
 * every time the pipeline keeps is written in (`isoTime`; `toISOString` throws past the year
 * 275760). Each parser bounds the times it reads (an epoch-ms `ts`, an OTLP span's nanoseconds);
 * this holds the rest, such as the time of a CloudWatch record that gives a line without `ts`.
 */
function outOfRange(events: readonly AuditEvent[], recordTime: number | undefined): ParseOutcome | undefined {
  if (recordTime !== undefined && !isTimeInRange(recordTime)) {
    return { kind: 'rejected', reason: `the log record's time ${recordTime} (epoch ms) lies outside the years 0000 to 9999: not a time` };
  }
  for (const event of events) {
    if (isTimeInRange(event.at)) continue;
    return { kind: 'rejected', reason: `${event.body.type} event rejected: its time ${event.at} (epoch ms) lies outside the years 0000 to 9999: not a time` };
  }
  return undefined;
}

/**
 * One line: the first parser that claims it decides. A line nobody claims that begins with an
 * ISO-8601 timestamp, and maybe a log stream name, as `aws logs tail` prints it, is tried again
 * without them, with that timestamp as the record's time (contract §1b).
 *
 * This is where every line enters the pipeline, so secrets are redacted here (`ctx.redactor`):
 * what the events carry (outputs, tool arguments, reasons, records, extra fields) and what a
 * rejection reason quotes of the line. Nothing downstream sees the line's secrets.
 */
export function parseLine(text: string, ctx: LineContext, parsers: readonly LineParser[] = LINE_PARSERS): ParseOutcome {
  const line = withoutByteOrderMark(text);
  const overLimit = bytesOverLimit(line);
  if (overLimit !== undefined) return overLong(overLimit);
  const whole = parseRedacted(line, ctx, parsers);
  return breaksWithin(line) ? (linesWithin(line, whole, ctx, parsers) ?? whole) : whole;
}

/** A line break inside a message: `\r\n`, `\n` or `\r` (Lambda's runtime writes a console.log of several lines with `\r` between). */
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Whether a message holds a line break before its end (a trailing `\n` or `\r\n` is none): one
 * `indexOf` for each break, so that the messages of one line pay nothing more.
 */
function breaksWithin(line: string): boolean {
  const lf = line.indexOf('\n');
  if (lf >= 0 && lf < line.length - 1) return true;
  const cr = line.indexOf('\r');
  return cr >= 0 && cr < line.length - (lf >= 0 ? 2 : 1);
}

/**
 * A message of several lines read line by line, as `scan` reads them from a file, when that reads
 * more of it than the message read whole: a log agent's multi-line event or a Lambda's console.log
 * of two lines holds several of our lines, of which the whole gave only the last (the others read
 * as a prefix) or a rejection. Each line is named by its place in the message (`part`), so that a
 * redelivery recognises each. Undefined, for the whole to stand, when fewer than two of its lines
 * are a format's (a stack trace, a `REPORT` line with its X-Ray line) or the whole gave as many
 * events (a pretty-printed event, whose lines alone are none); but one line's events are taken
 * when the whole was rejected (an event followed by the stack trace of a Python `logger.exception`,
 * which the JSON read from its `{` does not end at), keeping the whole's rejection when that line
 * lies inside the object the whole read (a bad event pretty-printed, a field of which holds an
 * event on one line). The message stays one line in the counts: its events are all kept, and a bad
 * line among them rejects it, as a broken span of an OTLP batch does, also when the whole gave as
 * many events (a bad event before a good one, read whole as the good one).
 */
function linesWithin(message: string, whole: ParseOutcome, ctx: LineContext, parsers: readonly LineParser[], read: LineReader = parseRedacted): ParseOutcome | undefined {
  const firstLine = message.slice(0, lineEnd(message, 0, message.indexOf('\n'), message.indexOf('\r')));
  const application = isApplicationLine(firstLine);
  // A whole rejected (an event followed by a stack trace, which its JSON does not end at) may keep one line's events.
  const needed = whole.kind === 'rejected' ? 1 : 2;
  if (!mayHoldLinesOfOurs(message, !application, needed)) return undefined;
  const following = application ? loggedMessageParsers(parsers) : parsers;
  const claimed: ParseOutcome[] = [];
  let rejected: string | undefined;
  let firstEvents: number | undefined;
  message.split(LINE_BREAK).forEach((text, index) => {
    // A line the first characters' test passes over (a stack trace's indented frame, a blank line) is none of ours.
    if (!((index === 0 || !application) && beginsAsALine(text, 0)) && !text.includes('{')) return;
    const outcome = read(text, { ...ctx, source: { ...ctx.source, part: index + 1 } }, index === 0 ? parsers : following);
    if (outcome.kind === 'unrecognised') return;
    claimed.push(outcome);
    if (firstEvents === undefined && outcome.kind === 'events') firstEvents = index;
    const reason = outcome.kind === 'rejected' ? outcome.reason : outcome.rejected;
    if (rejected === undefined && reason !== undefined) rejected = `line ${index + 1} of the message: ${reason}`;
  });
  const events = claimed.flatMap((outcome) => (outcome.kind === 'events' ? outcome.events : []));
  // Two lines of ours, or one whose events the whole, rejected, lost.
  if (claimed.length < 2 && !(whole.kind === 'rejected' && events.length > 0)) return undefined;
  // As many events as the whole gave are its own, unless a line of them was rejected (a bad event before a good one).
  if (whole.kind === 'events' && (events.length < whole.events.length || (events.length === whole.events.length && (rejected === undefined || whole.rejected !== undefined)))) return undefined;
  if (whole.kind === 'rejected' && rejected === undefined && firstEvents !== undefined && insideWholeObject(message, firstEvents)) rejected = whole.reason;
  if (events.length === 0 && rejected !== undefined) return { kind: 'rejected', reason: rejected };
  return rejected === undefined ? { kind: 'events', events } : { kind: 'events', events, rejected };
}

/**
 * Whether the message's line at `index` lies inside an object left open by the lines before it
 * (a pretty-printed event whose field holds an event on one line): the whole's rejection is then
 * that object's own, not that of lines after an event (a traceback). Braces are counted outside
 * JSON strings, each line's string begun afresh (a JSON string holds no line break), so that a `{`
 * in prose (`Retrying batch {'id': 7}`) or in an object closed before the line encloses nothing.
 */
function insideWholeObject(message: string, index: number): boolean {
  let depth = 0;
  for (const line of message.split(LINE_BREAK, index)) {
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && depth > 0) depth--;
    }
  }
  return depth > 0;
}

/** How one line of a message is read: redacted at the top (`parseRedacted`), as found inside a wrapper (`readInWrapper`), whose line is redacted whole. */
type LineReader = (text: string, ctx: LineContext, parsers: readonly LineParser[]) => ParseOutcome;

/** Where the line that begins at `start` ends: at the first of the next line feed or carriage return (`lf`, `cr`: from `start` on, -1 for none), else at the message's end. */
function lineEnd(message: string, start: number, lf: number, cr: number): number {
  if (lf < 0) return cr < 0 ? message.length : cr;
  return cr < 0 ? lf : Math.min(lf, cr);
}

/**
 * Whether at least `needed` of a message's lines may be a format's, judged by the parsers' own
 * first tests without splitting it: a line holding a `{` (the JSON formats find their object
 * anywhere in a line), or, for the first line and for every line when `anyFormat`, one that begins
 * as a line of the other formats does, with a character other than a space or a closing bracket
 * (a time, a syslog date, priority or tag, `START`, `REPORT`, `Task timed out`). A stack trace's
 * frames and a pretty-printed object's fields begin with spaces, so a message of sixty of them is
 * read whole, once; when it is split (a trace with a `Caused by:` line), `linesWithin` reads only
 * the lines counted here. One pass over the message: each `indexOf` moves on only once passed.
 */
function mayHoldLinesOfOurs(message: string, anyFormat: boolean, needed: number): boolean {
  let found = 0;
  let brace = message.indexOf('{');
  let lf = message.indexOf('\n');
  let cr = message.indexOf('\r');
  for (let start = 0; start < message.length; ) {
    if (lf >= 0 && lf < start) lf = message.indexOf('\n', start);
    if (cr >= 0 && cr < start) cr = message.indexOf('\r', start);
    if (brace >= 0 && brace < start) brace = message.indexOf('{', start);
    const end = lineEnd(message, start, lf, cr);
    const maybe = (brace >= 0 && brace < end) || ((start === 0 || anyFormat) && start < end && beginsAsALine(message, start));
    if (maybe && ++found >= needed) return true;
    start = end + (message.startsWith('\r\n', end) ? 2 : 1);
  }
  return false;
}

/**
 * Whether the line that begins at `start` may be a format's by its first characters: not a space,
 * a tab or a closing `}` or `]`, nor Lambda's X-Ray line (which follows a `REPORT` line and gives nothing).
 */
function beginsAsALine(text: string, start: number): boolean {
  const first = text.charCodeAt(start);
  return first > 0x20 && first !== 0x7d /* } */ && first !== 0x5d /* ] */ && !(first === 0x58 /* X */ && text.startsWith(XRAY_LINE, start));
}

/** How Lambda's X-Ray line begins. */
const XRAY_LINE = 'XRAY TraceId: ';

/**
 * A Lambda function's console line in the text log format: its time, request id and level before
 * the message (Node: `2026-10-05T10:00:00.000Z\t<request-id>\tINFO\t…`; Python:
 * `[INFO]\t2026-10-05T10:00:00.000Z\t<request-id>\t…`).
 */
const LAMBDA_CONSOLE_LINE = /^(?:\d{4}-\d{2}-\d{2}T[^\t]+\t[^\t]+\t[A-Z]+\t|\[[A-Z]+\]\t\d{4}-\d{2}-\d{2}T[^\t]+\t[^\t]+\t)/;

/**
 * Whether a message's first line is an application's log line (a Lambda function's console line,
 * or a record of Lambda's JSON log format or a logger of its shape): the lines after it are then
 * the rest of what the application logged, read as `LOGGED_MESSAGE_PARSERS` read the `message` of
 * such a record. Quoted there, another host's systemd lines or a child function's `START` and
 * `Task timed out` lines lost the prefix that tells them for the application's own.
 */
function isApplicationLine(line: string): boolean {
  return LAMBDA_CONSOLE_LINE.test(line) || (line.startsWith('{') && loggedRecord(line) !== undefined);
}

/** Of the parsers, those that read an application's logged message (`LOGGED_MESSAGE_PARSERS`). */
function loggedMessageParsers(parsers: readonly LineParser[]): readonly LineParser[] {
  return parsers.filter((parser) => LOGGED_MESSAGE_PARSERS.includes(parser));
}

/** One line's outcome, redacted (`parseLine`). */
function parseRedacted(line: string, ctx: LineContext, parsers: readonly LineParser[]): ParseOutcome {
  const { outcome, recordTime } = parseUnredacted(line, ctx, parsers);
  // Unrecognised lines are only counted.
  if (outcome.kind === 'unrecognised') return outcome;
  const redactor = ctx.redactor ?? BUILTIN_REDACTOR;
  if (outcome.kind === 'events') {
    const ahead = outOfRange(outcome.events, recordTime) ?? (recordTime === undefined ? undefined : aheadOfRecord(outcome.events, recordTime));
    if (ahead) return ahead;
    let changed = false;
    // Whether a key field may be over the identifier bound: a name derived from free text, or one
    // redaction rewrote; an instrumented line's (format json) were held to it by validation.
    let unbounded = false;
    const redacted = outcome.events.map((event) => {
      const body = redactor.redactValue(event.body);
      if (event.format !== INSTRUMENTED_FORMAT) unbounded = true;
      const outputWhole = wholeOutputBeforeRedaction(event.body, body, redactor);
      // A run.start's request id is redacted as the platform lines' run ids are, so that their failure finds it.
      const requestId = event.requestId === undefined ? undefined : redactor.redactId(event.requestId);
      if (body === event.body && outputWhole === undefined && requestId === event.requestId) return event;
      changed = true;
      if (body !== event.body) unbounded = true;
      return { ...event, body, ...(outputWhole === undefined ? {} : { outputWhole }), ...(requestId === undefined ? {} : { requestId }) };
    });
    // Names derived from free text (a cron command, a unit description) are shortened to a stable
    // form that fits a storage key, after redaction, so a secret never reaches the digest's prefix.
    const events = unbounded ? boundKeyFields(redacted, redactor) : redacted;
    if (outcome.rejected !== undefined) return { kind: 'events', events, rejected: redactedReason(outcome.rejected, line, ctx, parsers, redactor) };
    return changed || events !== redacted ? { kind: 'events', events } : outcome;
  }
  return { kind: 'rejected', reason: redactedReason(outcome.reason, line, ctx, parsers, redactor) };
}

/**
 * A rejection's reason, redacted. A reason may quote the line cut short (and JSON.parse quotes a
 * few characters around the error), cutting a secret where no rule would know it: when redaction
 * changes the line, the reason is worded from the redacted line, read again (a wrapper's text
 * holding a bad line among good ones gives it as its `rejected`).
 */
function redactedReason(reason: string, line: string, ctx: LineContext, parsers: readonly LineParser[], redactor: Redactor): string {
  const clean = redactor.redactText(line);
  if (clean === line) return redactor.redactText(reason);
  const again = parseUnredacted(clean, ctx, parsers).outcome;
  const cleanReason = again.kind === 'rejected' ? again.reason : again.kind === 'events' ? again.rejected : undefined;
  return redactor.redactText(cleanReason ?? reason);
}

/** One line of a delivery, with what its reader knows about it. */
export interface DeliveredLine {
  readonly text: string;
  readonly ctx: LineContext;
}

/**
 * The lines of one log stream's delivery (a CloudWatch subscription payload), as `parseLine` reads
 * each, except that a zoneless time behind its record's near a zone's offset is read in that
 * zone only when the delivery's zoneless times of its kind agree on one offset, or on two across a
 * DST change (`StreamZones`: a host writes in one zone; the lines of an agent catching up hours
 * late each show another gap). Syslog dates and `ts` are judged apart: a New York host's cron
 * dates are local while an app on it may write its `ts` in UTC. When the times of a kind disagree,
 * the lines read in a zone behind by that kind are read again and keep those times as given. A
 * delivery without such a line is read once.
 */
export function parseDelivery(lines: readonly DeliveredLine[], parsers: readonly LineParser[] = LINE_PARSERS): ParseOutcome[] {
  // The caller may build each line's context with the delivery's zones in it (the ingest does):
  // then no context is copied per line, which a hot loop of a thousand lines would pay for.
  const zones = lines[0]?.ctx.zones ?? new StreamZones();
  const readBehind = new Map<number, ZonelessKind[]>();
  const outcomes = lines.map(({ text, ctx }, index) => {
    const dates = zones.behindReads('syslog-date');
    const times = zones.behindReads('ts');
    const outcome = parseLine(text, ctx.zones === zones ? ctx : { ...ctx, zones }, parsers);
    const dateBehind = zones.behindReads('syslog-date') > dates;
    const tsBehind = zones.behindReads('ts') > times;
    if (dateBehind && tsBehind) readBehind.set(index, ['syslog-date', 'ts']);
    else if (dateBehind) readBehind.set(index, ['syslog-date']);
    else if (tsBehind) readBehind.set(index, ['ts']);
    return outcome;
  });
  if (readBehind.size === 0) return outcomes;
  const disagreeing = zones.disagreeing();
  if (disagreeing.length === 0) return outcomes;
  const asGiven = new StreamZones(disagreeing);
  for (const [index, behind] of readBehind) {
    if (behind.some((kind) => disagreeing.includes(kind))) outcomes[index] = parseLine(lines[index].text, { ...lines[index].ctx, zones: asGiven }, parsers);
  }
  return outcomes;
}

interface OutputExcerpts {
  readonly type?: unknown;
  readonly output_head?: unknown;
  readonly output_tail?: unknown;
  readonly output_bytes?: unknown;
  readonly output_redacted_bytes?: unknown;
}

/**
 * For a `run.end` whose output head or tail redaction changed: whether they held the whole output,
 * judged on the texts as the line gave them (its `output_bytes` counts those), and if so that whole
 * output, redacted (null when they did not hold it all). Undefined when redaction left them alone.
 *
 * A line whose excerpts were redacted where it was written (`silent-audit exec`) gives their whole
 * output's size as redacted (`output_redacted_bytes`), which its excerpts are judged by instead.
 */
function wholeOutputBeforeRedaction(raw: EventBody, clean: EventBody, redactor: Redactor): string | null | undefined {
  const before = raw as OutputExcerpts;
  const after = clean as OutputExcerpts;
  if (before.type !== 'run.end') return undefined;
  const redactedBytes = typeof before.output_redacted_bytes === 'number' ? before.output_redacted_bytes : undefined;
  if (redactedBytes === undefined && before.output_head === after.output_head && before.output_tail === after.output_tail) return undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const whole = wholeOfExcerpts(text(before.output_head), text(before.output_tail), redactedBytes ?? (typeof before.output_bytes === 'number' ? before.output_bytes : undefined));
  return whole === undefined ? null : redactor.redactText(whole);
}

/** An over-long line's rejection, quoting none of it: also of one whose text a reader dropped as it streamed, knowing only its size. */
export function overLong(bytes: number): ParseOutcome {
  return { kind: 'rejected', reason: `line is ${bytes} bytes, over the ${MAX_LINE_BYTES} limit` };
}

/**
 * A line without the UTF-8 byte order mark it may begin with: a file saved by Notepad or
 * PowerShell starts with one, and `cat a.log b.log` puts it in the middle of the input. Left on,
 * it hid the line's start from every parser but the JSON ones (a syslog date, `START`, an
 * `aws logs tail` timestamp), and the line was lost.
 */
function withoutByteOrderMark(line: string): string {
  return line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
}

/**
 * A line's outcome, and the record time its events were read against (the context's, its
 * container record's, its shipper record's, or its `aws logs tail` timestamp's). A line a container
 * runtime wrapped (a Docker `json-file` record, a Kubernetes CRI record) is read as the line inside,
 * with the record's time as its record time: the runtime's clock read it as it was written. A
 * record that is one part of a split line is read on its own here; `scan` and the ingest join the
 * parts first (`EventLineJoiner`). A line a log shipper wrapped (FireLens, Fluent Bit, Fluentd) is read as
 * its `log`, and a record of Lambda's JSON log format as its `message`, only when no parser claims
 * the record itself (`claimLine`).
 */
function parseUnredacted(line: string, ctx: LineContext, parsers: readonly LineParser[], inShipped = false): { outcome: ParseOutcome; recordTime?: number } {
  const record = containerRecord(line);
  if (!record) return parseMessage(line, ctx, parsers, inShipped);
  const recordCtx: LineContext = { ...ctx, recordTime: record.at };
  return readLinesWithin(record.text, parseMessage(record.text, recordCtx, parsers, inShipped), recordCtx, parsers);
}

function parseMessage(line: string, ctx: LineContext, parsers: readonly LineParser[], inShipped: boolean): { outcome: ParseOutcome; recordTime?: number } {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text.trim() === '') return { outcome: UNRECOGNISED };
  // Without a record time of its own (a file), a line that begins with an `aws logs tail`
  // timestamp carries its record's: a parser that claims the whole line (the JSON one, which finds
  // its object after any prefix) reads a zoneless `ts` and the wrong-clock bound against it too.
  const tailed = ctx.recordTime === undefined ? splitTimestampPrefix(text) : undefined;
  // A container runtime's record that an agent shipped (a line of /var/log/containers/*.log) is
  // read as it is alone, before a parser takes the whole line at the tail's time.
  const tailedRecord = tailed ? recordIn(tailed) : undefined;
  if (tailedRecord) return claimRecord(tailedRecord, ctx, parsers, inShipped) ?? { outcome: UNRECOGNISED };
  const whole: LineContext = tailed ? { ...ctx, recordTime: tailed.at } : ctx;
  const direct = claimLine(text, whole, parsers, inShipped);
  if (direct) return direct;
  // Without a record time the prefix was split above (undefined: none) and its messages searched
  // for a container record (none found): neither is done twice.
  const splitAbove = ctx.recordTime === undefined;
  const prefix = splitAbove ? tailed : splitTimestampPrefix(text);
  if (prefix) {
    const inner: LineContext = { ...ctx, recordTime: prefix.at };
    for (const message of prefix.messages) {
      const record = splitAbove ? undefined : containerRecord(message);
      const claimed = record ? claimRecord(record, ctx, parsers, inShipped) : claimLine(message, inner, parsers, inShipped);
      if (claimed) return claimed;
    }
  }
  return { outcome: UNRECOGNISED };
}

/** The claim on a container record's line (at the record's time), read line by line when its text holds several (`readLinesWithin`). */
function claimRecord(record: ContainerRecord, ctx: LineContext, parsers: readonly LineParser[], inShipped: boolean): { outcome: ParseOutcome; recordTime?: number } | undefined {
  const recordCtx: LineContext = { ...ctx, recordTime: record.at };
  const read = readLinesWithin(record.text, claimLine(record.text, recordCtx, parsers, inShipped) ?? { outcome: UNRECOGNISED }, recordCtx, parsers);
  return read.outcome.kind === 'unrecognised' ? undefined : read;
}

/** The container record that `aws logs tail` output prints after its time and log stream name, if any. */
function recordIn(prefix: TimestampPrefix): ContainerRecord | undefined {
  for (const message of prefix.messages) {
    const record = containerRecord(message);
    if (record) return record;
  }
  return undefined;
}

/**
 * The first parser's claim on a line, else, when the line is a log shipper's JSON record, the claim
 * on the line in its `log` (at the record's time when it gives one), or when it is a record of
 * Lambda's JSON log format or a logging library's record of a line logged as a JSON string
 * (`loggedRecord`), the claim of our own events and GenAI spans on the line in its `message`, `msg`
 * or `event` (at the record's first time field that reads as an instant, else none, that field then
 * named in the rejection of an event without `ts`, `loggerTimeField`; `LOGGED_MESSAGE_PARSERS`). The
 * parsers go first: our own events (which may hold a `log` or `message` field) and every other
 * format are claimed as they are, and the line that reaches the wrappers' tests, a cheap string
 * check first, is one nobody claimed. A record whose line nobody claims either is unrecognised, as
 * an application's JSON with an unrelated `log` or `message` is. One wrapper deep: the line inside
 * may be a container runtime's record, not another shipper's or Lambda's.
 */
function claimLine(text: string, ctx: LineContext, parsers: readonly LineParser[], inShipped: boolean): { outcome: ParseOutcome; recordTime?: number } | undefined {
  const outcome = firstClaim(text, ctx, parsers);
  if (outcome) return { outcome, recordTime: ctx.recordTime };
  if (inShipped) return undefined;
  const shipped = shippedRecord(text);
  const logged = shipped === undefined ? loggedRecord(text) : undefined;
  const wrapper = shipped ?? logged;
  if (wrapper === undefined) return undefined;
  const inner = logged === undefined ? parsers : loggedMessageParsers(parsers);
  const recordCtx = wrapper.at !== undefined ? { ...ctx, recordTime: wrapper.at } : logged?.timeField === undefined ? ctx : { ...ctx, loggerTimeField: logged.timeField };
  const innerCtx = logged?.rebuilt ? { ...recordCtx, writtenLine: text } : recordCtx;
  const inside = readLinesWithin(wrapper.text, parseUnredacted(wrapper.text, innerCtx, inner, true), innerCtx, inner);
  if (inside.outcome.kind === 'unrecognised') return undefined;
  // A run's start a Lambda function logged names its invocation in the record (`requestId`).
  return logged?.requestId === undefined ? inside : { ...inside, outcome: withRequestId(inside.outcome, logged.requestId) };
}

/**
 * A wrapper's or a container record's text, read whole (`read`), or as a message of several lines
 * is (`linesWithin`) when it holds several (an escaped line break: a Fluent Bit record's
 * `{"log":"ev1\nev2\n"}`), unless it is itself one line of such a message, whose place its own
 * lines' would take.
 */
function readLinesWithin(text: string, read: { outcome: ParseOutcome; recordTime?: number }, ctx: LineContext, parsers: readonly LineParser[]): { outcome: ParseOutcome; recordTime?: number } {
  if (ctx.source.part !== undefined || !breaksWithin(text)) return read;
  const lines = linesWithin(text, read.outcome, ctx, parsers, readInWrapper);
  return lines ? { outcome: lines, recordTime: ctx.recordTime } : read;
}

/** One line of a wrapper's text, as its whole is read (`claimLine`), unredacted: the wrapper's line is redacted whole. */
function readInWrapper(text: string, ctx: LineContext, parsers: readonly LineParser[]): ParseOutcome {
  return parseUnredacted(text, ctx, parsers, true).outcome;
}

/**
 * The parsers that read the `message` of a record of Lambda's JSON log format: our own events and
 * OpenTelemetry GenAI spans, the lines an application logs on purpose. Lambda writes its platform
 * lines (`START`, `REPORT`, `Task timed out …`) as `platform.*` records or as text, never through
 * the function's logger, and an application's messages are not a host's cron or systemd log: an
 * application that logs `Task timed out after 30 seconds` or a forwarded syslog line has no run of
 * its own failed or started by it, as the same line in the text format (after its request id and
 * level) has none.
 */
const LOGGED_MESSAGE_PARSERS: readonly LineParser[] = [jsonEventParser, otelGenAiParser];

export type { LineContext, LineParser, ParseOutcome } from './types.ts';
export { OPEN_RUN } from './run-ids.ts';
