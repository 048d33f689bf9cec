import { utcTime } from './timestamp-prefix.ts';

/**
 * Times written without a zone (a `ts` without an offset, a syslog BSD date) are a host's local
 * wall time, read as UTC, or, in a file scanned with `--timezone`, in that zone. A log record's own time (a CloudWatch event's timestamp, an `aws logs
 * tail` line's) is the true instant: a wall time hours away from it by a time zone's offset was
 * written in that zone, and is read in it.
 */

/** How far a time may lie after its record's and be taken as given: a writer's clock a little ahead. */
export const MAX_AHEAD_OF_RECORD_MS = 15 * 60_000;

/**
 * How far a local wall time (a syslog date, read as UTC) may lie after the true time it was written
 * at: the zone furthest ahead of UTC (+14:00, Kiribati; `ZONE_OFFSET_MINUTES`) and a writer's clock
 * a little ahead. A date further on than that after now is not this year's.
 */
export const MAX_LOCAL_AHEAD_MS = 14 * 3_600_000 + MAX_AHEAD_OF_RECORD_MS;

/** Time zones are whole quarter hours from UTC (+05:45, -09:30, +01:00), though few quarter hours are a zone's. */
const QUARTER_HOUR_MS = 15 * 60_000;
/**
 * The offsets from UTC that time zones use, standard or DST, in minutes, from the IANA time zone
 * database (as Node's Intl reads it: each zone of `Intl.supportedValuesOf('timeZone')` in January
 * and July): the whole hours from -12:00 (Etc/GMT+12, Baker Island) to +14:00 (Kiribati), and
 * -09:30 (Marquesas), -03:30 and -02:30 (Newfoundland, standard and DST), +03:30 (Iran), +04:30
 * (Afghanistan), +05:30 (India), +05:45 (Nepal), +06:30 (Myanmar), +08:45 (Eucla), +09:30 and +10:30
 * (South Australia, standard and DST; +10:30 also Lord Howe's standard), +12:45 and +13:45
 * (Chatham, standard and DST). Any other gap is no zone: a line 15 minutes late is not UTC-00:15.
 * A constant, as reading it from Intl costs near 100 ms of a Lambda's cold start; a test
 * (test/parse/local-time.test.ts) checks it against Intl so it cannot go stale unseen.
 */
export const ZONE_OFFSET_MINUTES: readonly number[] = [
  ...Array.from({ length: 27 }, (_, i) => (i - 12) * 60),
  -(9 * 60 + 30), -(3 * 60 + 30), -(2 * 60 + 30),
  3 * 60 + 30, 4 * 60 + 30, 5 * 60 + 30, 5 * 60 + 45, 6 * 60 + 30, 8 * 60 + 45, 9 * 60 + 30, 10 * 60 + 30, 12 * 60 + 45, 13 * 60 + 45,
];
const ZONE_OFFSETS_MS: ReadonlySet<number> = new Set(ZONE_OFFSET_MINUTES.map((minutes) => minutes * 60_000));
/**
 * How near a zone's offset a wall time behind its record's must lie to be one. A line in
 * step with its host is recorded seconds after it is written: Lambda stamps its record as the line
 * is written, the CloudWatch agent (without a `timestamp_format`) as it reads the file it tails,
 * which it follows within a second or so. 15 s either way leaves room for a busy host and lets about
 * one in a hundred lags between 15 min and 12 h pass for a zone (a minute near any quarter hour let
 * 13% through); a delivery's other lines decide those (`StreamZones`). Further from one, the line
 * was read late (an agent catching up), and its own time is kept.
 */
const ZONE_MATCH_MS = 15_000;

/** A `ts` that gives a time of day and names no zone (`2026-10-05T20:00:00`, `2026-10-05 20:00:00.5`, `20261005T200000`). */
const TIME_WITHOUT_ZONE = /[Tt ]\d{2}(?::?\d{2}){0,2}(?:[.,]\d+)?$/;

export function namesNoZone(ts: string): boolean {
  // Such a time ends in a digit: one ending in `Z`, as most do, is not searched.
  const last = ts.charCodeAt(ts.length - 1);
  return last >= 0x30 && last <= 0x39 && TIME_WITHOUT_ZONE.test(ts);
}

/** A zoneless `ts`'s time of day: its minutes and seconds, when it gives them. */
const TIME_OF_DAY = /[Tt ]\d{2}(?::?(\d{2}))?(?::?(\d{2}))?(?:[.,]\d+)?$/;

/**
 * How much of its time a zoneless `ts` was cut to: a minute for one without seconds (`02:00`),
 * an hour for one without minutes; 0 for one with seconds (within the 15 s a record may lag).
 */
export function tsPrecisionMs(ts: string): number {
  const time = TIME_OF_DAY.exec(ts);
  if (!time || time[2] !== undefined) return 0;
  return time[1] === undefined ? 3_600_000 : 60_000;
}

/**
 * The offset from UTC of the zone a wall time (read as UTC) was written in, judged by its
 * record's true time; 0 for a time within 15 minutes of it, or too far from it for any zone.
 *
 * A wall time more than 15 minutes ahead cannot be when the line was written: it is read in the
 * nearest whole quarter hour when that is a zone's offset (`ZONE_OFFSET_MINUTES`; a Sydney host's
 * `20:00` against a 10:00Z record is 10:00Z), so it lies at most 7.5 minutes from its record and
 * its seconds are kept; near no zone's it is read as given (and rejected as a wrong clock). One
 * behind is read so only within 15 s of a zone's offset (a New York host's `02:00:01` against a
 * 06:00:01Z record), and only when `behindIsZone`; one further from it, or near a quarter hour no
 * zone uses (a line 15 minutes late), was delivered late, and keeps its time. Lines of one host
 * read alike, so a duration between two of its times is unchanged. A wall time cut to
 * `precisionMs` (a `ts` to the minute) lags its record by up to that much more: a line written at
 * 02:00:30 says `02:00`.
 */
export function zoneOffsetMs(wallAsUtc: number, recordTime: number, behindIsZone = true, precisionMs = 0): number {
  const gap = wallAsUtc - recordTime;
  if (Math.abs(gap) <= MAX_AHEAD_OF_RECORD_MS) return 0;
  const offset = Math.round(gap / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  if (!ZONE_OFFSETS_MS.has(offset)) return 0;
  if (gap > 0) return offset;
  const fromZone = gap - offset;
  return behindIsZone && fromZone <= ZONE_MATCH_MS && fromZone >= -(ZONE_MATCH_MS + precisionMs) ? offset : 0;
}

/** The kinds of zoneless time a line may carry: one host may write them in different zones (cron's syslog date local, an app's `ts` in UTC). */
export type ZonelessKind = 'syslog-date' | 'ts';

const HOUR_MS = 3_600_000;

/** The zoneless times read with one offset: the earliest and the latest instant they were read as. */
interface OffsetSpan {
  first: number;
  last: number;
}

/**
 * The zoneless times of one kind in one log stream's delivery, as its lines read them. A host
 * writes them in one zone, so they agree on one offset; across a DST change in the delivery, on
 * two an hour apart, the old one's times all before the new one's and the change at a whole hour
 * of the old one's wall time between them (New York's 02:00 EDT, 06:00Z, in November), when a real zone changes
 * from the one to the other then (`aZoneChanges`): a UTC host's agent an hour behind reads a line
 * 1 h behind beside one in step, and no zone goes from UTC to UTC-1 at that hour. A catch-up batch's lines,
 * written hours apart and read at once, each show another gap, and read an hour apart they name
 * the same instant, with no whole hour between them.
 */
/** How far after a delivery's last time in the old offset its DST change is looked for. */
const MAX_CHANGE_SPAN_MS = 24 * HOUR_MS;

class KindZones {
  /**
   * The times read with each offset, kept as their span only: the agreement asks no more, and a
   * line of the hot loop then adds nothing to hold (a delivery shows an offset or two).
   */
  private readonly spans = new Map<number, OffsetSpan>();
  /** How many times were read in a zone behind their record's (west of UTC). */
  behindReads = 0;

  note(offset: number, at: number): void {
    if (offset < 0) this.behindReads++;
    const span = this.spans.get(offset);
    if (!span) this.spans.set(offset, { first: at, last: at });
    else if (at < span.first) span.first = at;
    else if (at > span.last) span.last = at;
  }

  get disagree(): boolean {
    if (this.spans.size <= 1) return false;
    if (this.spans.size > 2) return true;
    const [[a, spanA], [b, spanB]] = this.spans;
    if (Math.abs(a - b) !== HOUR_MS) return true;
    // The old offset is that of the earliest time (on a tie the two overlap, which disagrees either way).
    const [oldOffset, old, newOffset, later] = spanA.first <= spanB.first ? [a, spanA, b, spanB] : [b, spanB, a, spanA];
    const lastOld = old.last;
    const firstNew = later.first;
    if (lastOld >= firstNew) return true;
    // The change came at a whole hour of the old zone's wall time after its last time and at or
    // before the new one's first: any such hour, as the host may be quiet around it (a day at most).
    const firstHour = (Math.floor((lastOld + oldOffset) / HOUR_MS) + 1) * HOUR_MS - oldOffset;
    for (let change = firstHour; change <= firstNew && change < firstHour + MAX_CHANGE_SPAN_MS; change += HOUR_MS) {
      if (aZoneChanges(oldOffset, newOffset, change)) return false;
    }
    return true;
  }
}

/**
 * Zones that change their offset by an hour (DST), one for each rule and offset, tried first so a
 * real change is found without asking every zone: US and Canada, Cuba, Chile, Paraguay, Greenland,
 * Europe (UTC-1 to +2), Moldova, Lebanon, Israel, Palestine, Egypt, Morocco, Australia, New Zealand,
 * Chatham, Norfolk, Easter Island.
 */
const DST_ZONES: readonly string[] = [
  'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Anchorage', 'America/Adak',
  'America/Halifax', 'America/St_Johns', 'America/Miquelon', 'America/Havana', 'America/Santiago', 'America/Asuncion',
  'America/Nuuk', 'America/Scoresbysund', 'Atlantic/Azores', 'Europe/London', 'Europe/Paris', 'Europe/Helsinki',
  'Europe/Chisinau', 'Asia/Beirut', 'Asia/Jerusalem', 'Asia/Gaza', 'Africa/Cairo', 'Africa/Casablanca',
  'Australia/Sydney', 'Australia/Adelaide', 'Pacific/Auckland', 'Pacific/Chatham', 'Pacific/Norfolk', 'Pacific/Easter',
];

/** One formatter per zone, made when first asked (never at load: each costs a Lambda's cold start). */
const zoneFormats = new Map<string, Intl.DateTimeFormat | null>();

/** A zone's offset from UTC at an instant, in ms (`GMT-04:00` is -4 h); undefined for a zone this Node does not know. */
function offsetIn(zone: string, at: number): number | undefined {
  let format = zoneFormats.get(zone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    } catch {
      format = null;
    }
    zoneFormats.set(zone, format);
  }
  if (!format) return undefined;
  const name = format.formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? '';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name);
  if (!m) return undefined;
  if (!m[1]) return 0;
  const ms = ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === '-' ? -ms : ms;
}

/** Answers of `aZoneChanges`, by old offset, new offset and instant: a stream's deliveries ask the same again. */
const zoneChanges = new Map<string, boolean>();

/**
 * Whether some real zone (the IANA database, as Node's Intl reads it) goes from offset `from` to
 * `to` at instant `at` (its offset a millisecond before is `from`, at it `to`). Asked only of a
 * delivery whose times show two offsets an hour apart; the zones that observe DST
 * (`DST_ZONES`) first, then every zone, the answer kept (a first "no" costs ~75 ms, once).
 */
export function aZoneChanges(from: number, to: number, at: number): boolean {
  const key = `${from} ${to} ${at}`;
  const known = zoneChanges.get(key);
  if (known !== undefined) return known;
  const changes = (zone: string) => offsetIn(zone, at - 1) === from && offsetIn(zone, at) === to;
  const answer = DST_ZONES.some(changes) || Intl.supportedValuesOf('timeZone').some(changes);
  if (zoneChanges.size >= 4096) zoneChanges.clear();
  zoneChanges.set(key, answer);
  return answer;
}

/**
 * The zoneless times of one log stream's delivery (a CloudWatch subscription payload holds one
 * stream), each kind on its own (`KindZones`). A gap behind the record near a zone's offset is
 * a zone (a New York host) or a lag (an agent catching up hours late): when the times of its kind
 * disagree, the lines read with an offset behind are read again, with that kind's `behindIsZone`
 * off, and keep their times.
 */
export class StreamZones {
  private readonly kinds = new Map<ZonelessKind, KindZones>();

  /** `asGiven`: the kinds whose gaps behind are never a zone (the re-read of a delivery whose times of those kinds disagreed). */
  constructor(private readonly asGiven: readonly ZonelessKind[] = []) {}

  behindIsZone(kind: ZonelessKind): boolean {
    return !this.asGiven.includes(kind);
  }

  note(kind: ZonelessKind, offset: number, at: number): void {
    let zones = this.kinds.get(kind);
    if (!zones) this.kinds.set(kind, (zones = new KindZones()));
    zones.note(offset, at);
  }

  /** How many times of a kind were read in a zone behind their record's. */
  behindReads(kind: ZonelessKind): number {
    return this.kinds.get(kind)?.behindReads ?? 0;
  }

  /** The kinds whose times disagree on their zone. */
  disagreeing(): ZonelessKind[] {
    return [...this.kinds].filter(([, zones]) => zones.disagree).map(([kind]) => kind);
  }
}

const DAY_MS = 24 * HOUR_MS;
/** How far past a New Year a file's single syslog date may lie after the latest one and be read there (`WallClock.yearDate`): one further on is in its year. */
const HALF_YEAR_MS = 183 * DAY_MS;
/** How far a file's syslog date may lie before the latest one and be a line written late, not past a New Year (`WallClock.yearDate`). */
const LATE_LINE_MS = 7 * DAY_MS;
/**
 * A quarter year (`WallClock.yearDate`): how far a file's syslog date may lie after the latest one and be taken at once
 * (further on, a stray line with a wrong date, until the next line reads near it too), and how far it must lie before
 * the latest one to be past a New Year that puts it more than half a year on: one less far back is of its year, a clock
 * stepped back or rotated files read newest first (`zcat -f syslog*`: Dec 1-7, then Nov 24-30), not a host silent most of a year.
 */
const SEASON_MS = 91 * DAY_MS;
/** How far past a New Year after the latest syslog date a file's date may lie and roll the year at once (`WallClock.yearDate`): further on, it waits for a line to confirm it (`WallClock.jumpTo`). */
const ROLL_AT_ONCE_MS = 14 * DAY_MS;
/**
 * How far on from a date read ahead a line of the same host must lie to confirm it (`WallClock.jumpTo`): cron writes
 * two or three lines per run in one second (PAM session opened, CMD, closed), a job's last lines come minutes on,
 * so the lines of one run of a host with a wrong clock do not confirm each other.
 */
const CONFIRM_SPAN_MS = HOUR_MS;

/** The instants a zone's wall time (read as UTC) may name: one, two where its clock goes back, none where it goes forward. */
function instantsOf(wallAsUtc: number, zone: string): number[] {
  const before = offsetIn(zone, wallAsUtc - DAY_MS) ?? 0;
  const after = offsetIn(zone, wallAsUtc + DAY_MS) ?? 0;
  const offsets = before === after ? [before] : [before, after];
  return offsets
    .map((offset) => wallAsUtc - offset)
    .filter((at) => offsetIn(zone, at) === wallAsUtc - at)
    .sort((a, b) => a - b);
}

/** Per zone, the offset of each hour of wall time (hours since the epoch, read as UTC) in which it names one instant throughout. */
const hourOffsets = new Map<string, Map<number, number | null>>();

/** The offset of a zone in the hour of wall time `hour` when it is one throughout; null when its clock changes in it. */
function steadyOffset(zone: string, hour: number): number | null {
  let hours = hourOffsets.get(zone);
  if (!hours) hourOffsets.set(zone, (hours = new Map()));
  let offset = hours.get(hour);
  if (offset === undefined) {
    const start = instantsOf(hour * HOUR_MS, zone);
    const end = instantsOf((hour + 1) * HOUR_MS - 1, zone);
    offset = start.length === 1 && end.length === 1 && hour * HOUR_MS - start[0] === (hour + 1) * HOUR_MS - 1 - end[0] ? hour * HOUR_MS - start[0] : null;
    if (hours.size >= 100_000) hours.clear();
    hours.set(hour, offset);
  }
  return offset;
}

/**
 * A wall time without a zone (read as UTC) as the instant it names in an IANA zone (`--timezone`),
 * DST included. A wall time the clock shows twice (the hour it goes back) is the first (summer
 * time), as a cron job of that time runs then, unless `after` (the zoneless time read before it in
 * the same log) lies past it already, and not past the second: a log in time order that has run on
 * into the repeated hour. (`WallClock` also tells the second pass of a job's line by its text.)
 * One the clock skips (the hour it goes forward) is read with the offset before the change, as a
 * clock not yet put forward wrote it: Berlin's `02:30` on the March change day is 01:30Z (03:30
 * summer time).
 */
export function inZone(wallAsUtc: number, zone: string, after?: number): number {
  const offset = steadyOffset(zone, Math.floor(wallAsUtc / HOUR_MS));
  if (offset !== null) return wallAsUtc - offset;
  const instants = instantsOf(wallAsUtc, zone);
  if (instants.length === 0) return wallAsUtc - (offsetIn(zone, wallAsUtc - DAY_MS) ?? 0);
  const later = instants[instants.length - 1];
  return after !== undefined && after > instants[0] && after <= later ? later : instants[0];
}

/** The two instants of a wall time the zone's clock shows twice (the hour it goes back); undefined for any other. */
function repeatedInstants(wallAsUtc: number, zone: string): [number, number] | undefined {
  if (steadyOffset(zone, Math.floor(wallAsUtc / HOUR_MS)) !== null) return undefined;
  const instants = instantsOf(wallAsUtc, zone);
  return instants.length === 2 ? [instants[0], instants[1]] : undefined;
}

/**
 * A line's text, for telling the two passes of a repeated hour apart: what a job run writes (its host and cron's
 * `CRON (root) CMD (…)` or systemd's `Starting U…`, without its pid or time), and the pid of the process that wrote
 * it (a line read again by another parser keeps its pid; a cron run of the second pass has a new process). A systemd
 * line names its `unit` (systemd is pid 1 in both passes: its second pass is a line of its own, `WallClock.nextLine`,
 * after the first pass's run ended, `endsUnit`).
 */
export interface LineKey {
  /** The line's text when it says a job started; undefined for a line that only ends a unit's run. */
  readonly text?: string;
  readonly pid?: number;
  /** A systemd line's host and unit (`deb1 foo.service`; the description, in older wording). */
  readonly unit?: string;
  /** Whether the line says the unit's run ended or came up: `Finished U`, `U: Deactivated successfully.`, `Failed to start U.`, `Started U` (`cameUp`). */
  readonly endsUnit?: boolean;
  /** Whether the line is `Started U`: its run's end (all a oneshot logs before systemd 240) unless the unit fails before its next start (`failsUnit`). */
  readonly cameUp?: boolean;
  /** Whether the line says the unit's run failed (`Main process exited … status=1/FAILURE`, `Failed with result …`): a `Started U` before it ended no run (a Type=simple unit that came up, crashed and is restarted by `Restart=` in one second). */
  readonly failsUnit?: boolean;
}

/** Who read a `LineKey` at the first instant of a repeated wall time: its clock, pid and line. */
interface FirstRead {
  readonly clock: WallClock;
  readonly pid?: number;
  readonly line: number;
}

/**
 * The `LineKey`s read at the first instant of each repeated wall time, by the clocks of one scan's
 * files: a log rotated within the repeated hour has the first pass of a job's run in one file and
 * the second in the next, whose clock starts fresh. Each clock keeps its own first read of a line
 * (two hosts of one hostname, cloned, write the same lines in their own files).
 */
export class FirstPasses {
  private readonly byWall = new Map<number, Map<string, FirstRead[]>>();

  /** Who read `text` at the first instant of `wall` before (undefined when none did); `read` is noted when its clock had not. */
  claim(wall: number, text: string, read: FirstRead): readonly FirstRead[] | undefined {
    let keys = this.byWall.get(wall);
    if (!keys) this.byWall.set(wall, (keys = new Map()));
    const reads = keys.get(text);
    if (reads === undefined) keys.set(text, [read]);
    else if (!reads.some((r) => r.clock === read.clock)) keys.set(text, [...reads, read]);
    return reads;
  }
}

/**
 * How a CLI reads the zoneless times of one log without record times (a file): in its hosts' zone
 * when `--timezone` names one, else as UTC, noting that it did (`readAsUtc`, reset by the reader
 * before each line) so that the lines so read can be counted and said.
 *
 * In the hour the clock goes back, a wall time is its first instant until the log has run past it
 * (`inZone`), or until a line of the same text (`LineKey`) as one already read at that first
 * instant comes again as a run of its own at the same wall time: cron (Vixie, Debian's, cronie)
 * runs a job whose hour field starts with `*` in both passes of the repeated hour, at the same
 * second, so a stock Debian `17 * * * *` run-parts logs `02:17:01 … CMD (…)` twice, often with
 * nothing but its PAM session lines between, from another process (the same line from the same
 * process, written twice by rsyslog, stays first); an hourly systemd timer logs `02:17:01 …
 * systemd[1]: Starting U…` twice, from one pid, on two lines, its first run ended between (its
 * `Finished U` often in the same second, or only `Started U` before systemd 240; a unit started again before its run ended (a `Started U` its failure took back), a quick
 * `Restart=` or a line written twice, stays first). That line and those after it are then the second
 * instant (the clock is at the second pass). A line without a key (a PAM session line) follows the
 * clock. The clock lives as long as its file's reader, so how the file is chunked changes nothing.
 * The clocks of one scan's files share what they read at first instants (`FirstPasses`): when this
 * file begins inside the repeated hour (a syslog rotated within it; the scan reads the older file's
 * lines of that second first), a line read there by another file's clock makes the same line of
 * this file the second instant: a cron line from another process, a systemd line whose run ended
 * after it in the other file. A file that began before the hour goes by its own lines only (another
 * host of the same hostname, scanned with it, writes the same lines).
 */
export class WallClock {
  /** Whether a zoneless time was read as UTC since the reader last reset it. */
  readAsUtc = false;
  /** The last zoneless time read in `zone`: which of a repeated hour's two instants a log in time order is at. */
  private last: number | undefined;
  /** Lines begun (`nextLine`): a line read again by another parser is on the same one. */
  private line = 0;
  /** The first wall time read, and whether it lies in a repeated hour: where the file begins. */
  private began: { wall: number; repeated: boolean } | undefined;
  /** New Years this file's syslog dates ran past, the first and the latest of them read, and one read far ahead of that since (`yearDate`), and its host. */
  private newYears = 0;
  private firstYearDate: number | undefined;
  private lastYearDate: number | undefined;
  private aheadYearDate: number | undefined;
  private aheadHost: string | undefined;
  /** The line of each systemd unit's last run that ended or came up (`LineKey.endsUnit`) at a repeated hour's first instant. */
  private readonly unitEnds = new Map<string, number>();
  /** Each unit whose last such line is a `Started U` that its failure may still take back (`LineKey.cameUp`), and its end line before it. */
  private readonly unitsUp = new Map<string, number>();

  constructor(
    readonly zone?: string,
    private readonly firstPasses = new FirstPasses(),
  ) {}

  /** The last zoneless time read in `zone`, if any. */
  get lastRead(): number | undefined {
    return this.last;
  }

  /** Told by the reader before each line: no zoneless time of it read as UTC yet, and a new line. */
  nextLine(): void {
    this.readAsUtc = false;
    this.line++;
  }

  /**
   * A syslog date (which names no year) of this file, as UTC, in `startYear`, the year the file
   * begins in (`--year`), and one more for each New Year its lines ran past. A date up to a week
   * before the latest one read (`LATE_LINE_MS`) is a line written late: in its year, or in the
   * year before when that puts it there (`Dec 31 23:59:58` after `Jan  1 00:00:01`), and it moves
   * nothing. A date further before it is past a New Year when that puts it within a quarter year
   * on (`SEASON_MS`: `Jan  1` after `Dec 31`; `Feb 29` after `Dec 31` when only the next year has
   * that day), or when it lies over a quarter year before it
   * (`Aug  1` after `Dec 22`, a host silent that long); one less far back is in its year and moves
   * nothing (a clock stepped back, rotated files read newest first, lines after one read ahead).
   * Only a date up to two weeks past a New Year (`ROLL_AT_ONCE_MS`) rolls the year at once, and no
   * single line moves the clock more than a quarter year ahead in its year (`jumpTo`): such a
   * reading, a gap, a stray run of a host with a wrong clock (`Mar 15` or `Feb 15` in an October or
   * December file, cron's two or three lines of one run) or a line written weeks late, is taken once
   * a line of another `host`, or one of the same host an hour on (`CONFIRM_SPAN_MS`), reads near it
   * too, with no line of the clock's year between; until then those lines alone are read so when
   * they lie within half a year on, or, when one past a New Year further on would not lie before
   * the file's first date, in the year before (a line weeks late).
   * Undefined when the day does not exist in its year nor in the next (Feb 29 of neither), or, on
   * the file's first date, in its year.
   */
  yearDate(startYear: number, month1: number, day: number, h: number, m: number, s: number, ms: number, host?: string): number | undefined {
    const year = startYear + this.newYears;
    const at = utcTime(year, month1, day, h, m, s, ms);
    const latest = this.lastYearDate;
    if (latest === undefined) {
      this.firstYearDate = at;
      return at === undefined ? undefined : this.moveTo(at);
    }
    if (at === undefined || at < latest - LATE_LINE_MS) {
      const next = utcTime(year + 1, month1, day, h, m, s, ms);
      if (next === undefined) return at;
      if (next <= latest + ROLL_AT_ONCE_MS) {
        this.newYears++;
        return this.moveTo(next);
      }
      // A day only the next year has (Feb 29) is read there, as far on as it lies: a jump ahead like any.
      if (at === undefined || next <= latest + HALF_YEAR_MS) {
        this.jumpTo(next, 1, host);
        return next;
      }
      if (at >= latest - SEASON_MS) return at;
      return this.jumpTo(next, 1, host) || at < this.firstYearDate! ? next : at;
    }
    if (at <= latest + SEASON_MS) return this.moveTo(at);
    const late = utcTime(year - 1, month1, day, h, m, s, ms);
    if (late !== undefined && late >= latest - LATE_LINE_MS) return late;
    this.jumpTo(at, 0, host);
    return at;
  }

  /** A date read in its year: the latest read when it is later, and a jump ahead not taken was a lone line. */
  private moveTo(at: number): number {
    this.aheadYearDate = undefined;
    if (this.lastYearDate === undefined || at > this.lastYearDate) this.lastYearDate = at;
    return at;
  }

  /**
   * A date far after the latest read, `newYears` New Years on: taken (and true) when a line since
   * the last one read in the clock's year read a date so far ahead too, near it, and this line is of
   * another host or an hour or more after that one (the log goes on there: `CONFIRM_SPAN_MS`), else
   * kept to compare the next lines with.
   */
  private jumpTo(at: number, newYears: number, host: string | undefined): boolean {
    const ahead = this.aheadYearDate;
    if (ahead === undefined || at < ahead - LATE_LINE_MS || at > ahead + HALF_YEAR_MS) {
      this.aheadYearDate = at;
      this.aheadHost = host;
      return false;
    }
    if (host === this.aheadHost && at < ahead + CONFIRM_SPAN_MS) return false;
    this.newYears += newYears;
    this.moveTo(at);
    return true;
  }

  read(wallAsUtc: number, key?: LineKey): number {
    if (this.zone === undefined) {
      this.readAsUtc = true;
      return wallAsUtc;
    }
    this.began ??= { wall: wallAsUtc, repeated: repeatedInstants(wallAsUtc, this.zone) !== undefined };
    let at = inZone(wallAsUtc, this.zone, this.last);
    const instants = key === undefined ? undefined : repeatedInstants(wallAsUtc, this.zone);
    if (key !== undefined && instants !== undefined && at === instants[0]) {
      if (key.text !== undefined && this.secondPass(wallAsUtc, key.text, key)) at = instants[1];
      else if (key.unit !== undefined) this.unitRead(key.unit, key);
    }
    this.last = at;
    return at;
  }

  /** Whether a job's line at `wall`, read as its first instant, is its second: its run came already (see the class). */
  private secondPass(wall: number, text: string, key: LineKey): boolean {
    const reads = this.firstPasses.claim(wall, text, { clock: this, pid: key.pid, line: this.line });
    if (reads === undefined) return false;
    const own = reads.find((read) => read.clock === this);
    if (own !== undefined) return this.anotherRun(own, key);
    return this.beganInside(wall) && reads.some((read) => this.anotherRun(read, key));
  }

  /** Whether `key` is another run than the one `first` read: from another process (cron), or after that run ended, on a later line (systemd). */
  private anotherRun(first: FirstRead, key: LineKey): boolean {
    if (key.unit !== undefined) return first.clock.endedSince(key.unit, first.line);
    return key.pid !== undefined && first.pid !== key.pid;
  }

  /** Notes a unit's line read at a first instant: its run's end, a `Started U` taken back by the unit's failure before its next start. */
  private unitRead(unit: string, key: LineKey): void {
    const endBefore = this.unitsUp.get(unit);
    this.unitsUp.delete(unit);
    if (key.failsUnit) {
      if (endBefore === undefined) return;
      if (endBefore > 0) this.unitEnds.set(unit, endBefore);
      else this.unitEnds.delete(unit);
    } else if (key.endsUnit) {
      if (key.cameUp) this.unitsUp.set(unit, this.unitEnds.get(unit) ?? 0);
      this.unitEnds.set(unit, this.line);
    }
  }

  /** Whether a unit's run ended or came up on a line after `line`. */
  private endedSince(unit: string, line: number): boolean {
    return (this.unitEnds.get(unit) ?? 0) > line;
  }

  /** Whether this file began inside the repeated hour `wall` is in (a log rotated within it). */
  private beganInside(wall: number): boolean {
    return this.began !== undefined && this.began.repeated && Math.abs(wall - this.began.wall) < HOUR_MS;
  }
}

/** What `inRecordZone` reads a wall time against: its record's time, and the delivery's other zoneless times. */
export interface ZoneContext {
  readonly recordTime?: number;
  readonly zones?: StreamZones;
  /** Without a record time: the zone the log's hosts keep (`--timezone`); default UTC. */
  readonly wallClock?: WallClock;
}

/**
 * A wall time without a zone (read as UTC), as the instant it names in the zone its record's time
 * shows; without a record time, in the zone of `ctx.wallClock` (`--timezone`), else as UTC. `kind`
 * says which times of the delivery it must agree with; `precisionMs`, what its time was cut to
 * (`tsPrecisionMs`); `key`, the line's text for a wall clock's repeated hour (`WallClock`).
 */
export function inRecordZone(wallAsUtc: number, ctx: ZoneContext, kind: ZonelessKind, precisionMs = 0, key?: LineKey): number {
  if (ctx.recordTime === undefined) return ctx.wallClock === undefined ? wallAsUtc : ctx.wallClock.read(wallAsUtc, key);
  const offset = zoneOffsetMs(wallAsUtc, ctx.recordTime, ctx.zones?.behindIsZone(kind) ?? true, precisionMs);
  ctx.zones?.note(kind, offset, wallAsUtc - offset);
  return wallAsUtc - offset;
}
