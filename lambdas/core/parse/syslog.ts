import { inRecordZone, type LineKey, MAX_LOCAL_AHEAD_MS } from './local-time.ts';
import { fractionMs, parseIsoTime, UTC_OFFSET_PATTERN, utcTime } from './timestamp-prefix.ts';
import type { LineContext } from './types.ts';
import { unitOfSubject } from './unit-subject.ts';

/**
 * The syslog part of a line, shared by the formats that live inside syslog (cron, systemd, cron
 * scripts). Recognised headers:
 *
 * - BSD (RFC 3164), as `/var/log/messages` and `journalctl` write it, day space- or zero-padded,
 *   seconds maybe with a fraction (`journalctl -o short-precise`), maybe after a `<PRI>`:
 *   `Jun 15 04:06:20 combo logrotate: ALERT exited abnormally with [1]`
 * - the same after a collector's prefix (alert tag, epoch seconds, date, host), as in the
 *   Thunderbird corpus: `- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2916]: …`
 * - ISO-8601 timestamped (rsyslog's RSYSLOG_FileFormat, `journalctl -o short-iso`):
 *   `2026-10-05T02:30:00.123456+02:00 web1 CRON[123]: …`, `2026-10-05T02:30:00+0200 …`, or the
 *   offset's hours alone, `2026-10-05T02:30:00+02 …` (as a `ts` may name it)
 * - RFC 5424: `<78>1 2026-10-05T02:30:00.003+02:00 web1 CRON 12345 - - (root) CMD (…)`
 * - a bare tag without header (`CRON[123]: …`) when the reader knows the record's time
 *   (a CloudWatch event, or a line whose leading timestamp was already split off).
 *
 * Syslog dates carry no year: `ctx.year` if given (the year a file begins in: its clock moves its
 * lines past New Year to the next, `WallClock.yearDate`), else the year of the reference time (the record
 * time, else `ctx.now`, else the clock), one year earlier when the date would lie more than 14 h 15 min
 * (`MAX_LOCAL_AHEAD_MS`) after the reference, one year later when that still lies within 14 h 15 min after
 * it (`Jan 1` against a Dec 31 reference). Times without an offset are a local time: with a record time they are read
 * in the zone their gap to it shows (`local-time.ts`), without one (a file) as UTC. A collector
 * prefix carries the exact instant (epoch seconds), which is then the time.
 */
export interface SyslogRecord {
  readonly kind: 'record';
  /** Epoch ms. */
  readonly at: number;
  readonly host?: string;
  /** The tag's program name (`CRON`, `systemd`, `crond(pam_unix)`, `logrotate`); '' when the line has no tag. */
  readonly program: string;
  readonly pid?: number;
  readonly message: string;
}

/** A syslog line whose header has the shape of a date that is not one (`Foo 99 99:99:99`). */
export interface SyslogBadDate {
  readonly kind: 'bad-date';
  readonly dateText: string;
  readonly host?: string;
  readonly program: string;
  readonly pid?: number;
  readonly message: string;
}

export type SyslogParse = SyslogRecord | SyslogBadDate;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const COLLECTOR_PREFIX = /^(\S+) (\d{9,11}) \d{4}\.\d{2}\.\d{2} (\S+) (?=[A-Za-z]{3} +\d)/;
const BSD = /^(?:<\d{1,3}>)?(([A-Za-z]{3}) +(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?) +(\S+) ?(.*)$/s;
/** Its offset in any form `parseIsoTime` (and `parseTime`, in a `ts`) reads: `+02:00`, `+0200` or hours alone, `+02`. */
const ISO_HEADER = new RegExp(String.raw`^(?:<\d{1,3}>)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:${UTC_OFFSET_PATTERN})) +(\S+) ?(.*)$`, 's');
const RFC5424 = /^<\d{1,3}>1 (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/s;
const TAG = /^([^\s[\]:]+?(?:\([^\s()]*\))?)(?:\[(\d+)\])?: ?(.*)$/s;
const BARE_TAG = /^([A-Za-z/][\w./-]*(?:\([^\s()]*\))?)\[(\d+)\]: ?(.*)$/s;

/** The host as the sender named it: `dn228/dn228` (relayed) → `dn228`, `src@eadmin1` → `eadmin1`. */
export function normaliseHost(field: string): string {
  const withoutSource = field.includes('@') ? field.slice(field.lastIndexOf('@') + 1) : field;
  return withoutSource.split('/')[0] || field;
}

/**
 * The instant of a syslog date, a local wall time without year or zone. Its year: the latest of the
 * reference's year, the year after and the year before that puts the date at most 14 h 15 min after the
 * reference (`MAX_LOCAL_AHEAD_MS`: a zone runs up to 14 h ahead of UTC, and 15 min more is a clock a little fast, so a host east of UTC
 * writes `Jan 1` while the reference is still Dec 31; a date further on is a year back, so a file of
 * the past year that begins on tomorrow's date reads its first line a year back, as its later ones); undefined when the day does not exist in the years tried. Its
 * zone: the one its gap to the record's time shows, when there is a record time (a New York host's
 * `02:00:01` recorded at 06:00:01Z is 06:00:01Z); else it is read as UTC, or in `--timezone`'s zone,
 * where `key` (a job run's line, `runKey`) tells the second pass of the hour the clock goes back.
 */
export function syslogTime(month1: number, day: number, h: number, m: number, s: number, ms: number, ctx: LineContext, key?: LineKey, host?: string): number | undefined {
  const wall = wallTime(month1, day, h, m, s, ms, ctx, host);
  return wall === undefined ? undefined : inRecordZone(wall, ctx, 'syslog-date', 0, key);
}

/** A line that says a job started: cron's `(root) CMD (…)` (Vixie, Debian, cronie). */
const RUN_LINE = /^\([^()\s]*\) CMD \(/;
/** A systemd line that says a unit starts, came up or ended: `Starting U…`, `Started U`, `Finished U`, `Failed to start U.`, and the unit (`U`, `U - description`, or the description). */
const UNIT_LINE = /^(Start(?:ing|ed)|Finished|Failed to start) (.+?)(?:\.\.\.|…|\.)?\s*$/s;
/** A systemd line that says a unit's run ended well: `U: Deactivated successfully.` (`Succeeded.` before v248). */
const UNIT_DEACTIVATED = /^(\S+): (?:Deactivated successfully|Succeeded)\.?\s*$/;
/** A systemd line that says a unit's run failed: `U: Main process exited, code=…, status=…/FAILURE` (any status but 0/SUCCESS), `U: Failed with result '…'.`, `U: Failed…`, `U: Unit entered failed state.` (before v236). */
const UNIT_FAILED = /^(\S+): (?:Main process exited, code=\S+ status=(?!0\/SUCCESS)|Failed\b|Unit entered failed state)/;

/**
 * The key of a line that says a job started, for a wall clock's repeated hour (`WallClock`): its
 * host, program and message, and its pid; for systemd, its unit's lines (`unitKey`); undefined for
 * any other line (a PAM session line, which two jobs of one second write alike).
 */
function runKey(host: string, tag: { program: string; pid?: number; message: string }): LineKey | undefined {
  if (tag.program === 'systemd') return unitKey(host, tag.message, tag.pid);
  return RUN_LINE.test(tag.message) ? { text: `${host} ${tag.program} ${tag.message}`, pid: tag.pid } : undefined;
}

/**
 * A systemd line's key: its unit's start (`Starting U…`, `Started U`), its run's end
 * (`LineKey.endsUnit`: `Finished U`, `U: Deactivated successfully.`, a oneshot's failed run's
 * `Failed to start U.`, and `Started U`, all a oneshot logs before systemd 240), its run's failure
 * (`U: Main process exited … status=1/FAILURE`, `U: Failed with result …`), which takes back a
 * `Started U` before it: a Type=simple unit that came up, crashed and was restarted by `Restart=`
 * in one second is one run's start, not a second pass.
 */
function unitKey(host: string, message: string, pid: number | undefined): LineKey | undefined {
  const line = UNIT_LINE.exec(message);
  if (line) {
    const unit = `${host} ${unitOfSubject(line[2])}`;
    const text = line[1] === 'Finished' || line[1] === 'Failed to start' ? undefined : `${host} systemd ${message}`;
    return { text, pid, unit, endsUnit: line[1] !== 'Starting', cameUp: line[1] === 'Started' };
  }
  const deactivated = UNIT_DEACTIVATED.exec(message);
  if (deactivated) return { unit: `${host} ${deactivated[1]}`, endsUnit: true };
  const failed = UNIT_FAILED.exec(message);
  return failed ? { unit: `${host} ${failed[1]}`, failsUnit: true } : undefined;
}

/** A syslog date as UTC, in the year `syslogTime` gives it; `host`, the line's, tells a file's wall clock which lines confirm a jump of its year (`WallClock.yearDate`). */
function wallTime(month1: number, day: number, h: number, m: number, s: number, ms: number, ctx: LineContext, host?: string): number | undefined {
  if (ctx.year !== undefined) return ctx.wallClock === undefined ? utcTime(ctx.year, month1, day, h, m, s, ms) : ctx.wallClock.yearDate(ctx.year, month1, day, h, m, s, ms, host);
  const reference = ctx.recordTime ?? ctx.now ?? Date.now();
  const year = new Date(reference).getUTCFullYear();
  for (const candidate of [year + 1, year, year - 1]) {
    const at = utcTime(candidate, month1, day, h, m, s, ms);
    if (at !== undefined && at <= reference + MAX_LOCAL_AHEAD_MS) return at;
  }
  return undefined;
}

function splitTag(rest: string): { program: string; pid?: number; message: string } {
  const m = TAG.exec(rest);
  if (!m) return { program: '', message: rest };
  return { program: m[1], pid: m[2] === undefined ? undefined : Number(m[2]), message: m[3] };
}

function bsd(line: string, ctx: LineContext, collector?: { at: number; host: string }): SyslogParse | undefined {
  const m = BSD.exec(line);
  if (!m) return undefined;
  const [, dateText, mon, day, h, mi, s, frac, hostField, rest] = m;
  const tag = splitTag(rest);
  const host = collector?.host ?? normaliseHost(hostField);
  if (collector) return { kind: 'record', at: collector.at, host, ...tag };
  const month = MONTHS.indexOf(mon.toLowerCase()) + 1;
  const at = month === 0 ? undefined : syslogTime(month, Number(day), Number(h), Number(mi), Number(s), fractionMs(frac), ctx, ctx.wallClock?.zone === undefined ? undefined : runKey(host, tag), host);
  return at === undefined ? { kind: 'bad-date', dateText, host, ...tag } : { kind: 'record', at, host, ...tag };
}

function collectorPrefixed(line: string, ctx: LineContext): SyslogParse | undefined {
  const m = COLLECTOR_PREFIX.exec(line);
  if (!m) return undefined;
  const [prefix, , epoch, host] = m;
  // The epoch is the instant, whatever the date beside it says: a corrupt date (2005.13.09) must
  // not throw the line back on its BSD date, which has no year and no zone.
  return bsd(line.slice(prefix.length), ctx, { at: Number(epoch) * 1000, host: normaliseHost(host) });
}

function isoHeader(line: string): SyslogParse | undefined {
  const m = ISO_HEADER.exec(line);
  if (!m) return undefined;
  const [, time, hostField, rest] = m;
  const tag = splitTag(rest);
  const at = parseIsoTime(time);
  const host = normaliseHost(hostField);
  return at === undefined ? { kind: 'bad-date', dateText: time, host, ...tag } : { kind: 'record', at, host, ...tag };
}

/** RFC 5424 structured data: `-`, or one or more `[id k="v" …]` (values may escape `]` and `"`). */
function skipStructuredData(text: string): string | undefined {
  if (text.startsWith('-')) return text.slice(1);
  let i = 0;
  while (text[i] === '[') {
    let quoted = false;
    i++;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '"') quoted = !quoted;
      else if (c === ']' && !quoted) break;
    }
    if (i >= text.length) return undefined;
    i++;
  }
  return i === 0 ? undefined : text.slice(i);
}

function rfc5424(line: string, ctx: LineContext): SyslogParse | undefined {
  const m = RFC5424.exec(line);
  if (!m) return undefined;
  const [, time, hostField, app, procId, , rest] = m;
  const afterData = skipStructuredData(rest);
  if (afterData === undefined) return undefined;
  const message = afterData.replace(/^ /, '').replace(/^\uFEFF/, '');
  const host = hostField === '-' ? undefined : hostField;
  const program = app === '-' ? '' : app;
  const pid = /^\d+$/.test(procId) ? Number(procId) : undefined;
  const at = time === '-' ? ctx.recordTime : parseIsoTime(time);
  return at === undefined ? { kind: 'bad-date', dateText: time, host, program, pid, message } : { kind: 'record', at, host, program, pid, message };
}

function bareTag(line: string, ctx: LineContext): SyslogParse | undefined {
  if (ctx.recordTime === undefined) return undefined;
  const m = BARE_TAG.exec(line);
  if (!m) return undefined;
  return { kind: 'record', at: ctx.recordTime, program: m[1], pid: Number(m[2]), message: m[3] };
}

/**
 * The syslog header of a line: its time, host, program, pid and message; a `bad-date` when the
 * header has a date's shape but no real date; undefined when the line is not syslog.
 */
export function parseSyslog(line: string, ctx: LineContext): SyslogParse | undefined {
  const first = line.charCodeAt(0);
  if (first === 0x3c /* < */ && line.startsWith('1 ', line.indexOf('>') + 1)) return rfc5424(line, ctx);
  if (first >= 0x30 && first <= 0x39 /* digit */) return isoHeader(line) ?? collectorPrefixed(line, ctx);
  return bsd(line, ctx) ?? collectorPrefixed(line, ctx) ?? isoHeader(line) ?? bareTag(line, ctx);
}

export function badDateReason(what: string, bad: SyslogBadDate): string {
  return `${what} line with an unparseable date "${bad.dateText}"`;
}
