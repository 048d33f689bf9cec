import { describe, expect, it } from 'vitest';
import { type ParseOutcome, parseDelivery } from '../../lambdas/core/parse/index.ts';
import { normaliseHost, parseSyslog, syslogTime } from '../../lambdas/core/parse/syslog.ts';
import { WallClock } from '../../lambdas/core/parse/local-time.ts';
import type { LineContext } from '../../lambdas/core/parse/types.ts';

const source = { origin: 'messages' };
const ctx = (extra: Partial<LineContext> = {}): LineContext => ({ source, ...extra });
const NOW = Date.parse('2026-11-26T00:00:00Z');

/** Each line read by `wallClock` as the scan reads it, a line of its own: a record's UTC time of day (`hh:mm:ss`), else what parsing gave. */
function wallTimesOf(lines: readonly string[], wallClock: WallClock) {
  return lines.map((line) => {
    wallClock.nextLine();
    const rec = parseSyslog(line, ctx({ wallClock, now: Date.parse('2026-12-01T00:00:00Z') }));
    return rec?.kind === 'record' ? new Date(rec.at).toISOString().slice(11, 19) : rec;
  });
}

describe('syslog headers', () => {
  it.each([
    [
      'BSD, no pid (loghub Linux)',
      'Jun 15 04:06:20 combo logrotate: ALERT exited abnormally with [1]',
      ctx({ year: 2005 }),
      { at: '2005-06-15T04:06:20.000Z', host: 'combo', program: 'logrotate', pid: undefined, message: 'ALERT exited abnormally with [1]' },
    ],
    [
      'BSD, space-padded day and a program with a facility suffix',
      'Jul  7 08:06:15 combo sshd(pam_unix)[19939]: check pass; user unknown',
      ctx({ year: 2005 }),
      { at: '2005-07-07T08:06:15.000Z', host: 'combo', program: 'sshd(pam_unix)', pid: 19939, message: 'check pass; user unknown' },
    ],
    [
      'BSD whose tag is not a program name (loghub Linux)',
      'Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2',
      ctx({ year: 2005 }),
      { at: '2005-07-07T08:06:15.000Z', host: 'combo', program: '', pid: undefined, message: ' -- root[2421]: ROOT LOGIN ON tty2' },
    ],
    [
      'BSD after a <PRI>',
      '<78>Oct  5 02:17:01 web1 CRON[20765]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)',
      ctx({ now: NOW }),
      { at: '2026-10-05T02:17:01.000Z', host: 'web1', program: 'CRON', pid: 20765, message: '(root) CMD (   cd / && run-parts --report /etc/cron.hourly)' },
    ],
    [
      'journalctl -o short-precise (microseconds)',
      'Nov 25 00:47:02.515119 backup01 CRON[23117]: (root) CMD (/usr/local/bin/rotate-exports --keep 14)',
      ctx({ now: NOW }),
      { at: '2026-11-25T00:47:02.515Z', host: 'backup01', program: 'CRON', pid: 23117, message: '(root) CMD (/usr/local/bin/rotate-exports --keep 14)' },
    ],
    [
      'a collector prefix with the relayed host dn228/dn228 (loghub Thunderbird); its epoch is the time',
      '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2916]: (root) CMD (run-parts /etc/cron.hourly)',
      ctx(),
      { at: '2005-11-09T20:01:01.000Z', host: 'dn228', program: 'crond', pid: 2916, message: '(root) CMD (run-parts /etc/cron.hourly)' },
    ],
    [
      'a collector prefix with a source@host field',
      '- 1131566461 2005.11.09 eadmin1 Nov 9 12:01:01 src@eadmin1 crond[4308]: (root) CMD (run-parts /etc/cron.hourly)',
      ctx(),
      { at: '2005-11-09T20:01:01.000Z', host: 'eadmin1', program: 'crond', pid: 4308, message: '(root) CMD (run-parts /etc/cron.hourly)' },
    ],
    [
      'a collector prefix whose date is not one (2005.13.09): its epoch is still the time, and its host the host',
      '- 1131566461 2005.13.09 dn261 Nov 9 12:01:01 dn261/dn261 crond[2908]: (root) CMD (run-parts /etc/cron.hourly)',
      ctx({ now: NOW }),
      { at: '2005-11-09T20:01:01.000Z', host: 'dn261', program: 'crond', pid: 2908, message: '(root) CMD (run-parts /etc/cron.hourly)' },
    ],
    [
      "a collector prefix whose alert tag is not '-'",
      'PBS_CHK 1131567001 2005.11.09 aadmin1 Nov 9 12:10:01 src@aadmin1 crond[16571]: (root) CMD (/projects/tbird/temps/get_temps a)',
      ctx(),
      { at: '2005-11-09T20:10:01.000Z', host: 'aadmin1', program: 'crond', pid: 16571, message: '(root) CMD (/projects/tbird/temps/get_temps a)' },
    ],
    [
      "ISO timestamp with an offset (rsyslog's RSYSLOG_FileFormat)",
      '2026-10-05T02:17:01.338425+02:00 web2 CRON[40211]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)',
      ctx(),
      { at: '2026-10-05T00:17:01.338Z', host: 'web2', program: 'CRON', pid: 40211, message: '(root) CMD (   cd / && run-parts --report /etc/cron.hourly)' },
    ],
    [
      'journalctl -o short-iso (offset without a colon)',
      '2026-11-25T00:47:02+0000 backup01 systemd[1]: backup.service: Main process exited, code=exited, status=1/FAILURE',
      ctx(),
      { at: '2026-11-25T00:47:02.000Z', host: 'backup01', program: 'systemd', pid: 1, message: 'backup.service: Main process exited, code=exited, status=1/FAILURE' },
    ],
    [
      'an ISO timestamp whose offset names hours alone (+HH), as parseTime reads a ts',
      '2026-10-05T02:30:01.204113+02 web2 CRON[40390]: (root) CMD (/usr/local/bin/backup.sh)',
      ctx(),
      { at: '2026-10-05T00:30:01.204Z', host: 'web2', program: 'CRON', pid: 40390, message: '(root) CMD (/usr/local/bin/backup.sh)' },
    ],
    [
      'an ISO timestamp west of UTC, hours alone (-HH)',
      '2026-10-05T02:30:01-05 web2 systemd[1]: backup.service: Deactivated successfully.',
      ctx(),
      { at: '2026-10-05T07:30:01.000Z', host: 'web2', program: 'systemd', pid: 1, message: 'backup.service: Deactivated successfully.' },
    ],
    [
      'an ISO timestamp west of UTC without a colon (-HHMM)',
      '2026-10-05T02:30:01-0530 web2 systemd[1]: backup.service: Deactivated successfully.',
      ctx(),
      { at: '2026-10-05T08:00:01.000Z', host: 'web2', program: 'systemd', pid: 1, message: 'backup.service: Deactivated successfully.' },
    ],
    [
      'RFC 5424 without structured data',
      '<78>1 2026-10-05T02:30:01.204113+02:00 web3 CRON 40390 - - (root) CMD (/usr/local/bin/backup.sh)',
      ctx(),
      { at: '2026-10-05T00:30:01.204Z', host: 'web3', program: 'CRON', pid: 40390, message: '(root) CMD (/usr/local/bin/backup.sh)' },
    ],
    [
      'RFC 5424 with structured data',
      '<78>1 2026-10-05T02:30:03.771Z web3 CRON 40389 - [timeQuality tzKnown="1" isSynced="1" syncAccuracy="125317"] (CRON) info (No MTA installed, discarding output)',
      ctx(),
      { at: '2026-10-05T02:30:03.771Z', host: 'web3', program: 'CRON', pid: 40389, message: '(CRON) info (No MTA installed, discarding output)' },
    ],
    [
      'a bare tag when the record time is known (CloudWatch, or a split-off timestamp)',
      'CRON[40390]: (root) CMD (/usr/local/bin/backup.sh)',
      ctx({ recordTime: Date.parse('2026-10-05T00:30:01.500Z') }),
      { at: '2026-10-05T00:30:01.500Z', host: undefined, program: 'CRON', pid: 40390, message: '(root) CMD (/usr/local/bin/backup.sh)' },
    ],
  ])('reads %s', (_, line, context, expected) => {
    // Act
    const rec = parseSyslog(line, context);
    // Assess
    expect(rec?.kind).toBe('record');
    if (rec?.kind !== 'record') return;
    expect({ at: new Date(rec.at).toISOString(), host: rec.host, program: rec.program, pid: rec.pid, message: rec.message }).toEqual(expected);
  });

  it.each([
    ['a bare tag without any time', 'CRON[40390]: (root) CMD (/usr/local/bin/backup.sh)'],
    ['a line cut inside the date', 'Jun 15 04:0'],
    ['plain text', 'backup finished in 42 s'],
    ['a Lambda platform line', 'END RequestId: 3f1d5c2a-7b8e-4c19-9a6d-2e0f4b7c8d91'],
    ['binary garbage', '\u0000\u0000\u00ff\u00fe\u001b[2J\u0080'],
  ])('is not syslog: %s', (_, line) => {
    expect(parseSyslog(line, ctx({ now: NOW }))).toBeUndefined();
  });

  it.each([
    ['an unknown month and impossible time', 'Foo 99 99:99:99 web1 CRON[20827]: (root) CMD (/usr/local/bin/backup.sh)', 'Foo 99 99:99:99'],
    ['the 32nd of October', 'Oct 32 02:30:01 web1 CRON[20827]: (root) CMD (/usr/local/bin/backup.sh)', 'Oct 32 02:30:01'],
    ['hour 25', 'Oct  5 25:30:01 web1 logrotate: ALERT exited abnormally with [1]', 'Oct  5 25:30:01'],
    ['month 13 in an ISO time', '2026-13-05T02:30:01.204113+02:00 web2 CRON[40390]: (root) CMD (/usr/local/bin/backup.sh)', '2026-13-05T02:30:01.204113+02:00'],
    ['an ISO offset of 25 hours', '2026-10-05T02:30:01+25 web2 CRON[40390]: (root) CMD (/usr/local/bin/backup.sh)', '2026-10-05T02:30:01+25'],
    ['February 29 in 2005', 'Feb 29 02:30:01 web1 CRON[20827]: (root) CMD (/usr/local/bin/backup.sh)', 'Feb 29 02:30:01'],
  ])('reports a date that is not one: %s', (_, line, dateText) => {
    const rec = parseSyslog(line, ctx({ year: 2005 }));
    expect(rec).toMatchObject({ kind: 'bad-date', dateText });
  });
});

describe('the year of a syslog date', () => {
  const at = (iso: string) => Date.parse(iso);
  it.each([
    ['--year wins, even for a date after now', { year: 2005, now: at('2001-01-01T00:00:00Z') }, [6, 15, 4, 6, 20], '2005-06-15T04:06:20.000Z'],
    ['the year of now', { now: at('2026-10-06T00:00:00Z') }, [10, 5, 2, 30, 0], '2026-10-05T02:30:00.000Z'],
    ['14 h later than now (a host at UTC+14) is still this year', { now: at('2026-10-05T00:00:00Z') }, [10, 5, 14, 0, 0], '2026-10-05T14:00:00.000Z'],
    ['more than 14 h after now (no zone is so far ahead) steps back a year', { now: at('2026-10-05T00:00:00Z') }, [10, 5, 19, 0, 0], '2025-10-05T19:00:00.000Z'],
    ['more than a day after now steps back a year', { now: at('2026-10-05T00:00:00Z') }, [10, 7, 0, 0, 0], '2025-10-07T00:00:00.000Z'],
    ["December's lines read in January", { now: at('2026-01-02T08:00:00Z') }, [12, 31, 23, 59, 59], '2025-12-31T23:59:59.000Z'],
    ['the record time is the reference when there is one', { now: at('2030-01-01T00:00:00Z'), recordTime: at('2026-10-05T02:30:04Z') }, [10, 5, 2, 30, 0], '2026-10-05T02:30:00.000Z'],
    ['February 29 steps back to the leap year', { now: at('2029-03-01T00:00:00Z') }, [2, 29, 1, 0, 0], '2028-02-29T01:00:00.000Z'],
    ['a January 1 line within a day after a December 31 now is next year', { now: at('2026-12-31T20:00:00Z') }, [1, 1, 9, 0, 0], '2027-01-01T09:00:00.000Z'],
    ['a January 2 line more than a day after a December 31 now stays this year', { now: at('2026-12-31T20:00:00Z') }, [1, 2, 21, 0, 0], '2026-01-02T21:00:00.000Z'],
  ])('%s', (_, extra, [month, day, h, m, s], expected) => {
    const t = syslogTime(month, day, h, m, s, 0, ctx(extra));
    expect(t === undefined ? undefined : new Date(t).toISOString()).toBe(expected);
  });

  it("reads a January 1 line against a December 31 record time in the next year, in its host's zone (east of UTC)", () => {
    // Prepare: Auckland (UTC+13) writes Jan 1 04:06:20 local, which CloudWatch stamps 2026-12-31T15:06:20Z
    const recordTime = at('2026-12-31T15:06:20Z');

    // Act
    const t = syslogTime(1, 1, 4, 6, 20, 0, ctx({ recordTime }));

    // Assess: 2027-01-01T04:06:20 at +13:00
    expect(t === undefined ? undefined : new Date(t).toISOString()).toBe('2026-12-31T15:06:20.000Z');
  });

  it('gives a New Year run of a daily job a day after the last, not a year before it', () => {
    // Prepare: the same host's Dec 31 and Jan 1 runs, each with the record time CloudWatch gave it
    const decemberLine = 'Dec 31 04:06:20 combo logrotate: ALERT exited abnormally with [1]';
    const januaryLine = 'Jan  1 04:06:20 combo logrotate: ALERT exited abnormally with [1]';

    // Act
    const december = parseSyslog(decemberLine, ctx({ recordTime: at('2026-12-30T15:06:20Z') }));
    const january = parseSyslog(januaryLine, ctx({ recordTime: at('2026-12-31T15:06:20Z') }));

    // Assess
    expect(december).toMatchObject({ kind: 'record' });
    expect(january).toMatchObject({ kind: 'record' });
    const gap = (january as { at: number }).at - (december as { at: number }).at;
    expect(gap).toBe(86_400_000);
  });

  it('reads a file of the past year that begins on tomorrow\'s date a year ago in time order, none of it in the future (no --year)', () => {
    // Prepare: a daily cron line from Dec 8 03:00:01 to Jan 4, scanned on 2026-12-07 07:31Z (its first date is 19.5 h after now this year)
    const wallClock = new WallClock();
    const now = at('2026-12-07T07:31:00Z');
    const first = at('2025-12-08T03:00:01Z');
    const lines = Array.from({ length: 28 }, (_, i) => {
      const d = new Date(first + i * 86_400_000);
      const month = d.toUTCString().slice(8, 11);
      return `${month} ${String(d.getUTCDate()).padStart(2, ' ')} 03:00:01 web1 CRON[${100 + i}]: (root) CMD (/usr/local/bin/backup.sh)`;
    });

    // Act
    const times = lines.map((line) => parseSyslog(line, ctx({ wallClock, now }))).map((rec) => (rec?.kind === 'record' ? rec.at : undefined));

    // Assess: a day apart from 2025-12-08 through New Year to 2026-01-04
    expect(new Date(times[0]!).toISOString()).toBe('2025-12-08T03:00:01.000Z');
    expect(new Date(times[27]!).toISOString()).toBe('2026-01-04T03:00:01.000Z');
    expect(times.slice(1).map((t, i) => t! - times[i]!)).toEqual(Array(27).fill(86_400_000));
  });

  it('steps a file\'s line more than 14 h after now a year back: its later lines never lie in the future (no --year)', () => {
    // Prepare: a file from Dec 2025 whose first line, Dec 7 03:00, is read this year (before now), then goes on past now's date
    const wallClock = new WallClock();
    const now = at('2026-12-07T07:31:00Z');
    const lines = ['Dec  7 03:00:01', 'Dec  8 03:00:01', 'Dec 31 03:00:01', 'Jan  1 03:00:01'].map((date) => `${date} web1 CRON[1]: (root) CMD (/usr/local/bin/backup.sh)`);

    // Act
    const times = lines.map((line) => parseSyslog(line, ctx({ wallClock, now }))).map((rec) => (rec?.kind === 'record' ? new Date(rec.at).toISOString() : rec));

    // Assess: none after now + 14 h; the New Year still rolls on
    expect(times).toEqual(['2026-12-07T03:00:01.000Z', '2025-12-08T03:00:01.000Z', '2025-12-31T03:00:01.000Z', '2026-01-01T03:00:01.000Z']);
  });

  it('has no answer for a day the year lacks', () => {
    expect(syslogTime(2, 29, 0, 0, 0, 0, ctx({ year: 2005 }))).toBeUndefined();
  });

  it('reads --year as the year a file begins in: its lines past New Year are the next year', () => {
    // Prepare: a file from Dec 30 2025 to Jan 2 2026, one clock for it as the scan gives each file
    const lines = ['Dec 30 03:00:01 db1 CRON[1]: (root) CMD (/opt/vacuum.sh)', 'Dec 31 03:00:01 db1 CRON[2]: (root) CMD (/opt/vacuum.sh)', 'Jan  1 03:00:01 db1 CRON[3]: (root) CMD (/opt/vacuum.sh)', 'Dec 31 23:59:59 db1 CRON[4]: (root) CMD (/opt/vacuum.sh)', 'Jan  2 03:00:01 db1 CRON[5]: (root) CMD (/opt/vacuum.sh)'];
    const wallClock = new WallClock();

    // Act
    const times = lines.map((line) => parseSyslog(line, ctx({ year: 2025, wallClock }))).map((rec) => (rec?.kind === 'record' ? new Date(rec.at).toISOString() : rec?.kind));

    // Assess: January is 2026; a December line written late (out of order) stays 2025
    expect(times).toEqual(['2025-12-30T03:00:01.000Z', '2025-12-31T03:00:01.000Z', '2026-01-01T03:00:01.000Z', '2025-12-31T23:59:59.000Z', '2026-01-02T03:00:01.000Z']);
  });

  it('reads the lines after a gap of over half a year past New Year as later, not a year back before the file began', async () => {
    // Prepare: a host silent from Jan 8 to Aug 1, its file begun Dec 20 2025
    const lines = ['Dec 20 03:00:01 db1 CRON[1]: (root) CMD (/opt/x.sh)', 'Jan  8 03:00:01 db1 CRON[2]: (root) CMD (/opt/x.sh)', 'Aug  1 03:00:01 db1 CRON[3]: (root) CMD (/opt/x.sh)', 'Aug  2 03:00:01 db1 CRON[4]: (root) CMD (/opt/x.sh)', 'Jan  3 03:00:01 db1 CRON[5]: (root) CMD (/opt/x.sh)'];
    const wallClock = new WallClock();

    // Act
    const times = lines.map((line) => parseSyslog(line, ctx({ year: 2025, wallClock }))).map((rec) => (rec?.kind === 'record' ? new Date(rec.at).toISOString() : rec?.kind));

    // Assess: August is 2026, and the next New Year after it is 2027
    expect(times).toEqual(['2025-12-20T03:00:01.000Z', '2026-01-08T03:00:01.000Z', '2026-08-01T03:00:01.000Z', '2026-08-02T03:00:01.000Z', '2027-01-03T03:00:01.000Z']);
  });

  const yearDates = (lines: string[]) => {
    const wallClock = new WallClock();
    return lines.map((line) => parseSyslog(line, ctx({ year: 2025, wallClock }))).map((rec) => (rec?.kind === 'record' ? new Date(rec.at).toISOString() : rec?.kind));
  };
  const cronLine = (date: string, i: number) => `${date} db1 CRON[${i}]: (root) CMD (/opt/x.sh)`;

  it("reads a line written late across New Year, timed before the file's first line, in the year before, and the lines after it on", () => {
    // Prepare: a file rotated at midnight; rsyslog wrote a Dec 31 line after the first of Jan 1
    const lines = ['Dec 31 23:59:59', 'Jan  1 00:00:01', 'Dec 31 23:59:58', 'Jan  1 03:00:01', 'Jan  2 03:00:01'].map(cronLine);

    // Act
    const times = yearDates(lines);

    // Assess: the late line is 2025, and it moves no later line a year ahead
    expect(times).toEqual(['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:01.000Z', '2025-12-31T23:59:58.000Z', '2026-01-01T03:00:01.000Z', '2026-01-02T03:00:01.000Z']);
  });

  it('reads the lines after a gap of over half a year as later when the file began earlier in the year before', () => {
    // Prepare: a daily job from Jun 1 2025 to Jan 8 2026, then silent to Aug 1 2026
    const days = Array.from({ length: 222 }, (_, i) => new Date(Date.parse('2025-06-01T03:00:01Z') + i * 86_400_000));
    const syslogDate = (d: Date) => `${d.toUTCString().slice(8, 11)} ${String(d.getUTCDate()).padStart(2, ' ')} 03:00:01`;
    const lines = [...days.map(syslogDate), 'Aug  1 03:00:01', 'Aug  2 03:00:01'].map(cronLine);

    // Act
    const times = yearDates(lines);

    // Assess: the file runs to Jan 8 2026 and resumes in Aug 2026, not Aug 2025
    expect(times[221]).toBe('2026-01-08T03:00:01.000Z');
    expect(times.slice(-2)).toEqual(['2026-08-01T03:00:01.000Z', '2026-08-02T03:00:01.000Z']);
  });

  it("reads a date after a gap across New Year itself that would lie before the file's first date in the next year", () => {
    // Prepare: Dec 20-22 2025, then silent to Aug 1 2026
    const lines = ['Dec 20 03:00:01', 'Dec 21 03:00:01', 'Dec 22 03:00:01', 'Aug  1 03:00:01', 'Aug  2 03:00:01', 'Aug  3 03:00:01'].map(cronLine);

    // Act
    const times = yearDates(lines);

    // Assess
    expect(times.slice(3)).toEqual(['2026-08-01T03:00:01.000Z', '2026-08-02T03:00:01.000Z', '2026-08-03T03:00:01.000Z']);
  });

  it('keeps lines written days or weeks late in their year, and lets no single line move the clock a year ahead', () => {
    // Prepare: a file begun Feb 20; a line 3 days late, then one 10 days late (past the week a late line lies in)
    const lines = ['Feb 20 03:00:01', 'Mar 10 03:00:01', 'Mar 11 03:00:01', 'Mar  8 03:00:01', 'Mar  1 03:00:01', 'Mar 12 03:00:01', 'Mar 13 03:00:01'].map(cronLine);

    // Act
    const times = yearDates(lines);

    // Assess: all 2025
    expect(times).toEqual(['2025-02-20T03:00:01.000Z', '2025-03-10T03:00:01.000Z', '2025-03-11T03:00:01.000Z', '2025-03-08T03:00:01.000Z', '2025-03-01T03:00:01.000Z', '2025-03-12T03:00:01.000Z', '2025-03-13T03:00:01.000Z']);
  });

  const dailyDates = (from: string, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const d = new Date(Date.parse(`${from}T03:00:01Z`) + i * 86_400_000);
      return `${d.toUTCString().slice(8, 11)} ${String(d.getUTCDate()).padStart(2, ' ')} 03:00:01`;
    });
  const isoDays = (from: string, count: number) => Array.from({ length: count }, (_, i) => new Date(Date.parse(`${from}T03:00:01Z`) + i * 86_400_000).toISOString());

  it('keeps in their year the lines after a clock stepped back more than a week', () => {
    // Prepare: a daily job Jun 1-20, then the host clock stepped back to Jun 10 and the job went on to Jun 29
    const lines = [...dailyDates('2025-06-01', 20), ...dailyDates('2025-06-10', 20)].map(cronLine);

    // Act
    const times = yearDates(lines);

    // Assess: all 2025
    expect(times).toEqual([...isoDays('2025-06-01', 20), ...isoDays('2025-06-10', 20)]);
  });

  it('keeps in their year the lines of rotated files read newest first', () => {
    // Prepare: `zcat -f /var/log/syslog*`: syslog (Dec 1-7), then syslog.1 (Nov 24-30)
    const lines = [...dailyDates('2025-12-01', 7), ...dailyDates('2025-11-24', 7)].map(cronLine);

    // Act
    const times = yearDates(lines);

    // Assess: all 2025
    expect(times).toEqual([...isoDays('2025-12-01', 7), ...isoDays('2025-11-24', 7)]);
  });

  it('keeps in their year the lines after one line read weeks ahead', () => {
    // Prepare: a daily job Jun 1-20, one line from a clock 20 days ahead (Jul 10), then Jun 21-25
    const lines = [...dailyDates('2025-06-01', 20), 'Jul 10 03:00:01', ...dailyDates('2025-06-21', 5)].map(cronLine);

    // Act
    const times = yearDates(lines);

    // Assess: all 2025
    expect(times).toEqual([...isoDays('2025-06-01', 20), '2025-07-10T03:00:01.000Z', ...isoDays('2025-06-21', 5)]);
  });

  it.each([
    ['a stray March line in an October file (past New Year, 5 months on)', ['Oct 10 03:00:01', 'Oct 11 03:00:01', 'Mar 15 03:00:01', 'Oct 12 03:00:01', 'Oct 13 03:00:01'], '2026-03-15T03:00:01.000Z'],
    ['a stray November line in a June file (5 months on in its year)', ['Jun 10 03:00:01', 'Jun 11 03:00:01', 'Nov 15 03:00:01', 'Jun 12 03:00:01', 'Jun 13 03:00:01'], '2025-11-15T03:00:01.000Z'],
  ])('keeps in their year the lines after %s', (_, dates, stray) => {
    // Prepare
    const lines = dates.map(cronLine);

    // Act
    const times = yearDates(lines);

    // Assess: the stray line read on its own, the lines around it in 2025
    const [a, b, , c, d] = dates.map((date) => new Date(`${date.slice(0, 6)} 2025 ${date.slice(7)}Z`).toISOString());
    expect(times).toEqual([a, b, stray, c, d]);
  });

  const cronRun = (date: string, host: string, pid: number) => [
    `${date} ${host} CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
    `${date} ${host} CRON[${pid}]: (root) CMD (/opt/x.sh)`,
    `${date} ${host} CRON[${pid}]: pam_unix(cron:session): session closed for user root`,
  ];

  it.each([
    ['a March run (3 lines) of a host whose clock is 5 months ahead, in an October file', ['Oct 10 03:00:01', 'Oct 11 03:00:01'], 'Mar 15 03:00:01', '2026-03-15T03:00:01.000Z', ['Oct 12 03:00:01', 'Oct 13 03:00:01']],
    ['a February run (3 lines) of a host whose clock is 10 weeks ahead, in a December file', ['Dec  1 03:00:01', 'Dec  2 03:00:01'], 'Feb 15 03:00:01', '2026-02-15T03:00:01.000Z', ['Dec  3 03:00:01', 'Dec  4 03:00:01']],
  ])('keeps in their year the lines after %s', (_, before, stray, strayAt, after) => {
    // Prepare: web1's daily runs, cron's usual three lines each, and one run of oldbox with a wrong clock
    const lines = [...before.flatMap((d, i) => cronRun(d, 'web1', i)), ...cronRun(stray, 'oldbox', 99), ...after.flatMap((d, i) => cronRun(d, 'web1', 10 + i))];

    // Act
    const times = yearDates(lines);

    // Assess: the stray run read where it says, web1's lines all in 2025
    const web1 = [...before, ...after].flatMap((date) => Array(3).fill(new Date(`${date.slice(0, 6)} 2025 ${date.slice(7)}Z`).toISOString()));
    expect(times).toEqual([...web1.slice(0, 6), strayAt, strayAt, strayAt, ...web1.slice(6)]);
  });

  it.each([
    ['another host', ['Mar  1 03:00:01 db1', 'Mar  1 03:00:01 db2', 'Mar  1 03:00:02 db1']],
    ['the same host an hour on', ['Mar  1 03:00:01 db1', 'Mar  1 03:00:01 db1', 'Mar  1 04:00:01 db1']],
  ])('rolls into the next year after a gap across New Year once %s reads near the first line past it', (_, after) => {
    // Prepare: Dec 10-11 2025, a holiday gap, then March; the line after is within a week back of the first read past New Year
    const lines = [...['Dec 10 03:00:01', 'Dec 11 03:00:01'].map(cronLine), ...after.map((d) => `${d.slice(0, 15)} ${d.slice(16)} CRON[7]: (root) CMD (/opt/x.sh)`), cronLine('Feb 25 03:00:01', 9)];

    // Act
    const times = yearDates(lines);

    // Assess: the March lines in 2026 and the clock moved there, so Feb 25 (a line late) is 2026's too
    expect(times.slice(2).map((t) => t?.slice(0, 4))).toEqual(['2026', '2026', '2026', '2026']);
  });

  it.each([
    ['a leap year: 2028-02-29', 2027, ['2027-12-30T03:00:01.000Z', '2027-12-31T03:00:01.000Z', '2028-02-29T03:00:01.000Z', '2028-03-01T03:00:01.000Z']],
    ['no leap year: no such day, the lines around it read', 2025, ['2025-12-30T03:00:01.000Z', '2025-12-31T03:00:01.000Z', 'bad-date', '2026-03-01T03:00:01.000Z']],
  ])('reads a Feb 29 line first past New Year into %s', (_, year, expected) => {
    // Prepare: a file from Dec 30 whose next lines after Dec 31 are Feb 29 and Mar 1
    const wallClock = new WallClock();
    const lines = ['Dec 30 03:00:01', 'Dec 31 03:00:01', 'Feb 29 03:00:01', 'Mar  1 03:00:01'].map(cronLine);

    // Act
    const times = lines.map((line) => parseSyslog(line, ctx({ year, wallClock }))).map((rec) => (rec?.kind === 'record' ? new Date(rec.at).toISOString() : rec?.kind));

    // Assess
    expect(times).toEqual(expected);
  });

  it.each([
    ['Feb 28 left pending, then Feb 29', ['Oct 30 03:00:01', 'Feb 28 03:00:01', 'Feb 29 03:00:01', 'Mar  1 03:00:01'], ['2027-10-30', '2028-02-28', '2028-02-29', '2028-03-01']],
    ['Feb 29 the first line after the gap', ['Nov  1 03:00:01', 'Feb 29 03:00:01', 'Mar  1 03:00:01', 'Mar  2 03:00:01'], ['2027-11-01', '2028-02-29', '2028-03-01', '2028-03-02']],
  ])('reads a leap-year Feb 29 after a host silent over a quarter year across New Year: %s', (_, dates, expected) => {
    // Prepare: --year 2027, so the Feb 29 after New Year is 2028's
    const wallClock = new WallClock();
    const lines = dates.map(cronLine);

    // Act
    const days = lines.map((line) => parseSyslog(line, ctx({ year: 2027, wallClock }))).map((rec) => (rec?.kind === 'record' ? new Date(rec.at).toISOString().slice(0, 10) : rec?.kind));

    // Assess
    expect(days).toEqual(expected);
  });

  it('rolls into the next year after a host silent over a quarter year across New Year, once the next line reads near it', () => {
    // Prepare: Nov 1-2 2025, then silent to March
    const lines = ['Nov  1 03:00:01', 'Nov  2 03:00:01', 'Mar  1 03:00:01', 'Mar  2 03:00:01', 'Mar  3 03:00:01'].map(cronLine);

    // Act
    const times = yearDates(lines);

    // Assess
    expect(times.slice(2)).toEqual(['2026-03-01T03:00:01.000Z', '2026-03-02T03:00:01.000Z', '2026-03-03T03:00:01.000Z']);
  });
});

describe('the zone of a syslog date (a local time), judged by its record time', () => {
  const at = (iso: string) => Date.parse(iso);
  it.each([
    ['a New York host (UTC-4 in October), recorded a second later', 'Oct  5 02:00:01', at('2026-10-05T06:00:02Z'), '2026-10-05T06:00:01.000Z'],
    ['a Berlin host (UTC+2), recorded at once', 'Oct  5 12:30:01', at('2026-10-05T10:30:01Z'), '2026-10-05T10:30:01.000Z'],
    ['a Kathmandu host (+05:45), with a fraction', 'Oct  5 15:45:07.250', at('2026-10-05T10:00:08Z'), '2026-10-05T10:00:07.250Z'],
    ['a UTC host, recorded seconds later', 'Oct  5 10:00:01', at('2026-10-05T10:00:05Z'), '2026-10-05T10:00:01.000Z'],
    ['a UTC host\'s line read 3 h 7 min late (an agent catching up): its own time', 'Oct  5 02:00:01', at('2026-10-05T05:07:01Z'), '2026-10-05T02:00:01.000Z'],
    ['a UTC host\'s line read 4 h and 40 s late (a lag, not seconds from a whole quarter hour): its own time', 'Oct  5 02:00:01', at('2026-10-05T06:00:41Z'), '2026-10-05T02:00:01.000Z'],
    ['a line in a file (no record time): UTC', 'Oct  5 02:00:01', undefined, '2026-10-05T02:00:01.000Z'],
  ])('reads the date of %s', (_, date, recordTime, expected) => {
    // Prepare
    const line = `${date} nyhost CRON[1001]: (root) CMD (/usr/local/bin/backup.sh)`;

    // Act
    const rec = parseSyslog(line, ctx({ recordTime, now: at('2026-10-06T00:00:00Z') }));

    // Assess
    expect(rec?.kind === 'record' ? new Date(rec.at).toISOString() : rec).toBe(expected);
  });
});

describe('the syslog dates of a file read in the zone its hosts keep (--timezone)', () => {
  const at = (iso: string) => Date.parse(iso);
  const read = (lines: readonly string[], zone: string | undefined, extra: Partial<LineContext> = {}) => {
    const wallClock = new WallClock(zone);
    return lines.map((date) => {
      const rec = parseSyslog(`${date} web1 CRON[1001]: (root) CMD (/usr/local/bin/backup.sh)`, ctx({ wallClock, now: at('2026-12-01T00:00:00Z'), ...extra }));
      return rec?.kind === 'record' ? new Date(rec.at).toISOString() : rec;
    });
  };

  it.each([
    ['Berlin in summer time (UTC+2)', 'Europe/Berlin', ['Oct 24 02:30:01'], ['2026-10-24T00:30:01.000Z']],
    ['Berlin in standard time (UTC+1), after the October change', 'Europe/Berlin', ['Oct 26 02:30:01'], ['2026-10-26T01:30:01.000Z']],
    ['Berlin the day before the March change (UTC+1) and the day after (UTC+2)', 'Europe/Berlin', ['Mar 28 02:30:01', 'Mar 30 02:30:01'], ['2026-03-28T01:30:01.000Z', '2026-03-30T00:30:01.000Z']],
    ['New York in EDT and in EST', 'America/New_York', ['Oct 31 02:00:01', 'Nov  2 02:00:01'], ['2026-10-31T06:00:01.000Z', '2026-11-02T07:00:01.000Z']],
    ['Kathmandu (+05:45, no DST)', 'Asia/Kathmandu', ['Oct  5 15:45:07.250'], ['2026-10-05T10:00:07.250Z']],
    ['UTC given as the zone: as without it', 'UTC', ['Oct  5 02:00:01'], ['2026-10-05T02:00:01.000Z']],
    [
      "Berlin's repeated hour on 25 October: its first instant (summer time), then, once the log has run past it, its second",
      'Europe/Berlin',
      ['Oct 25 01:59:59', 'Oct 25 02:15:01', 'Oct 25 02:15:01', 'Oct 25 02:17:01', 'Oct 25 02:15:01', 'Oct 25 02:17:01', 'Oct 25 03:00:00'],
      ['2026-10-24T23:59:59.000Z', '2026-10-25T00:15:01.000Z', '2026-10-25T00:15:01.000Z', '2026-10-25T00:17:01.000Z', '2026-10-25T01:15:01.000Z', '2026-10-25T01:17:01.000Z', '2026-10-25T02:00:00.000Z'],
    ],
    ["Berlin's repeated hour read alone: its first instant", 'Europe/Berlin', ['Oct 25 02:30:01'], ['2026-10-25T00:30:01.000Z']],
    ["Berlin's skipped hour on 29 March (02:30 never shows): read with the offset before the change, as 03:30 summer time", 'Europe/Berlin', ['Mar 29 01:59:59', 'Mar 29 02:30:00', 'Mar 29 03:00:00'], ['2026-03-29T00:59:59.000Z', '2026-03-29T01:30:00.000Z', '2026-03-29T01:00:00.000Z']],
  ])('reads %s', (_, zone, dates, expected) => {
    // Act
    const times = read(dates, zone);

    // Assess
    expect(times).toEqual(expected);
  });

  it("reads the second of a cron job's two runs at the same second of Berlin's repeated hour (Debian's hourly run-parts) as its second instant", () => {
    // Prepare: `17 * * * *` runs in both 02:17s of 25 October; each run's PAM session lines around its CMD line, then another host's run and the next hour's
    const wallClock = new WallClock('Europe/Berlin');
    const run = (host: string, pid: number) => [
      `Oct 25 02:17:01 ${host} CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
      `Oct 25 02:17:01 ${host} CRON[${pid + 1}]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)`,
      `Oct 25 02:17:01 ${host} CRON[${pid}]: pam_unix(cron:session): session closed for user root`,
    ];
    const lines = [...run('deb1', 5334), ...run('deb2', 7000), ...run('deb1', 5336), 'Oct 25 02:30:01 deb1 CRON[5338]: (root) CMD (/usr/local/bin/half.sh)', 'Oct 25 03:17:01 deb1 CRON[5340]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)'];

    // Act: each CMD line read by the parser as the scan reads it, and once more (another parser trying the line)
    const cmdTimes = lines
      .map((line) => [parseSyslog(line, ctx({ wallClock, now: at('2026-12-01T00:00:00Z') })), parseSyslog(line, ctx({ wallClock, now: at('2026-12-01T00:00:00Z') }))])
      .filter(([rec]) => rec?.kind === 'record' && rec.message.includes(' CMD ('))
      .map(([rec, again]) => [rec, again].map((r) => (r?.kind === 'record' ? `${r.host} ${new Date(r.at).toISOString()}` : r)));

    // Assess: deb1's first run and deb2's (another host's line, not a second pass) at 00:17:01Z, deb1's second at 01:17:01Z, the clock then in the second pass
    expect(cmdTimes).toEqual([
      ['deb1 2026-10-25T00:17:01.000Z', 'deb1 2026-10-25T00:17:01.000Z'],
      ['deb2 2026-10-25T00:17:01.000Z', 'deb2 2026-10-25T00:17:01.000Z'],
      ['deb1 2026-10-25T01:17:01.000Z', 'deb1 2026-10-25T01:17:01.000Z'],
      ['deb1 2026-10-25T01:30:01.000Z', 'deb1 2026-10-25T01:30:01.000Z'],
      ['deb1 2026-10-25T02:17:01.000Z', 'deb1 2026-10-25T02:17:01.000Z'],
    ]);
  });

  it("keeps two jobs of one second in Berlin's repeated hour, their PAM session lines alike, at its first instant", () => {
    // Prepare: two root jobs at 02:00:01 (two alike `session opened` lines), then a job at 02:05:01
    const wallClock = new WallClock('Europe/Berlin');
    const lines = [
      'Oct 25 02:00:01 deb1 CRON[100]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
      'Oct 25 02:00:01 deb1 CRON[101]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
      'Oct 25 02:00:01 deb1 CRON[102]: (root) CMD (/usr/local/bin/a.sh)',
      'Oct 25 02:00:01 deb1 CRON[103]: (root) CMD (/usr/local/bin/b.sh)',
      'Oct 25 02:00:01 deb1 CRON[100]: pam_unix(cron:session): session closed for user root',
      'Oct 25 02:00:01 deb1 CRON[101]: pam_unix(cron:session): session closed for user root',
      'Oct 25 02:05:01 deb1 CRON[104]: (root) CMD (/usr/local/bin/c.sh)',
    ];

    // Act
    const times = lines.map((line) => parseSyslog(line, ctx({ wallClock, now: at('2026-12-01T00:00:00Z') }))).map((r) => (r?.kind === 'record' ? new Date(r.at).toISOString() : r));

    // Assess
    expect(times).toEqual([...Array(6).fill('2026-10-25T00:00:01.000Z'), '2026-10-25T00:05:01.000Z']);
  });

  it("keeps a cron CMD line rsyslog wrote twice in Berlin's repeated hour (one pid, two lines) at its first instant, and the rest of the first pass with it", () => {
    // Prepare: a RHEL host whose rsyslog writes each line twice (imjournal and imuxsock): the first pass's 02:01:01 run twice, its 02:05:01 run, then the second pass's runs from new processes
    const wallClock = new WallClock('Europe/Berlin');
    const lines = [
      'Oct 25 02:01:01 rhel1 CROND[100]: (root) CMD (run-parts /etc/cron.hourly)',
      'Oct 25 02:01:01 rhel1 CROND[100]: (root) CMD (run-parts /etc/cron.hourly)',
      'Oct 25 02:05:01 rhel1 CROND[102]: (root) CMD (/usr/local/bin/five)',
      'Oct 25 02:01:01 rhel1 CROND[200]: (root) CMD (run-parts /etc/cron.hourly)',
      'Oct 25 02:05:01 rhel1 CROND[202]: (root) CMD (/usr/local/bin/five)',
    ];

    // Act: each line read as the scan reads it, a line of its own
    const times = lines.map((line) => {
      wallClock.nextLine();
      const rec = parseSyslog(line, ctx({ wallClock, now: at('2026-12-01T00:00:00Z') }));
      return rec?.kind === 'record' ? new Date(rec.at).toISOString() : rec;
    });

    // Assess: the copy stays in the first pass (00:01:01Z), as does 02:05:01; the second pass begins with the new process's run
    expect(times).toEqual(['2026-10-25T00:01:01.000Z', '2026-10-25T00:01:01.000Z', '2026-10-25T00:05:01.000Z', '2026-10-25T01:01:01.000Z', '2026-10-25T01:05:01.000Z']);
  });

  it("reads a systemd unit's start in Berlin's repeated hour as its second instant only once its first run ended: one written twice, or a quick Restart=, stays at the first", () => {
    // Prepare: bar.service restarted in one second of the first pass; foo.service's hourly start written twice by rsyslog, then its Finished lines; a cron run; then the second pass's foo.service and cron runs
    const wallClock = new WallClock('Europe/Berlin');
    const lines = [
      'Oct 25 02:10:05 deb1 systemd[1]: Starting bar.service - Bar daemon...',
      'Oct 25 02:10:05 deb1 systemd[1]: bar.service: Main process exited, code=exited, status=1/FAILURE',
      'Oct 25 02:10:05 deb1 systemd[1]: Starting bar.service - Bar daemon...',
      'Oct 25 02:10:05 deb1 systemd[1]: Started bar.service - Bar daemon.',
      'Oct 25 02:17:01 deb1 systemd[1]: Starting foo.service - Hourly foo...',
      'Oct 25 02:17:01 deb1 systemd[1]: Starting foo.service - Hourly foo...',
      'Oct 25 02:17:01 deb1 systemd[1]: Finished foo.service - Hourly foo.',
      'Oct 25 02:17:01 deb1 systemd[1]: Finished foo.service - Hourly foo.',
      'Oct 25 02:30:01 deb1 CRON[300]: (root) CMD (/usr/local/bin/half.sh)',
      'Oct 25 02:17:01 deb1 systemd[1]: Starting foo.service - Hourly foo...',
      'Oct 25 02:30:01 deb1 CRON[400]: (root) CMD (/usr/local/bin/half.sh)',
    ];

    // Act: each line read as the scan reads it, a line of its own
    const times = wallTimesOf(lines, wallClock);

    // Assess: the first pass at its first instants (00:xxZ) to 02:30:01; foo.service's start after its Finished line is the second pass (01:17:01Z), and the clock stays there
    expect(times).toEqual([...Array(4).fill('00:10:05'), ...Array(4).fill('00:17:01'), '00:30:01', '01:17:01', '01:30:01']);
  });

  it("tells apart units whose descriptions share the words before a dash (older wording) in Berlin's repeated hour: one's end does not make the other's start the second pass", () => {
    // Prepare: `Sync - orders` and `Sync - users` start at 02:17:01 of the first pass; users' run ends, then orders' start written twice by rsyslog; then a line of the first pass
    const wallClock = new WallClock('Europe/Berlin');
    const lines = [
      'Oct 25 02:17:01 deb1 systemd[1]: Starting Sync - users...',
      'Oct 25 02:17:01 deb1 systemd[1]: Starting Sync - orders...',
      'Oct 25 02:17:01 deb1 systemd[1]: Finished Sync - users.',
      'Oct 25 02:17:01 deb1 systemd[1]: Starting Sync - orders...',
      'Oct 25 02:17:01 deb1 systemd[1]: Finished Sync - orders.',
      'Oct 25 02:40:00 deb1 CRON[778]: (root) CMD (/usr/local/bin/forty)',
    ];

    // Act: each line read as the scan reads it, a line of its own
    const times = wallTimesOf(lines, wallClock);

    // Assess: every line at its first instant (00:xxZ): orders' run never ended before its line written twice
    expect(times).toEqual([...Array(5).fill('00:17:01'), '00:40:00']);
  });

  it("keeps a Type=simple unit that came up, crashed and restarted in one second of Berlin's first pass at the first instant: its Started line ended no run", () => {
    // Prepare: bar.service Starting, Started, crashed and restarted by Restart= in 02:10:05 of the first pass; then a cron run of the first pass
    const wallClock = new WallClock('Europe/Berlin');
    const lines = [
      'Oct 25 02:10:05 deb1 systemd[1]: Starting bar.service - Bar daemon...',
      'Oct 25 02:10:05 deb1 systemd[1]: Started bar.service - Bar daemon.',
      'Oct 25 02:10:05 deb1 systemd[1]: bar.service: Main process exited, code=exited, status=1/FAILURE',
      "Oct 25 02:10:05 deb1 systemd[1]: bar.service: Failed with result 'exit-code'.",
      'Oct 25 02:10:05 deb1 systemd[1]: bar.service: Scheduled restart job, restart counter is at 1.',
      'Oct 25 02:10:05 deb1 systemd[1]: Stopped bar.service - Bar daemon.',
      'Oct 25 02:10:05 deb1 systemd[1]: Starting bar.service - Bar daemon...',
      'Oct 25 02:10:05 deb1 systemd[1]: Started bar.service - Bar daemon.',
      'Oct 25 02:15:02 deb1 CRON[777]: (root) CMD (/usr/local/bin/five)',
    ];

    // Act: each line read as the scan reads it, a line of its own
    const times = wallTimesOf(lines, wallClock);

    // Assess: every line at its first instant (00:xxZ), the cron run after them too
    expect(times).toEqual([...Array(8).fill('00:10:05'), '00:15:02']);
  });

  it("reads a oneshot timer's second run in Berlin's repeated hour at the second instant on systemd before 240, where Started is all it logs of its run's end", () => {
    // Prepare: Ubuntu 18.04 / CentOS 7 wording: an hourly oneshot logs Starting and Started at 02:17:01 of each pass, nothing between; then a line of the second pass
    const lines = [
      'Oct 25 02:17:01 deb1 systemd[1]: Starting Hourly cleanup...',
      'Oct 25 02:17:01 deb1 systemd[1]: Started Hourly cleanup.',
      'Oct 25 02:17:01 deb1 systemd[1]: Starting Hourly cleanup...',
      'Oct 25 02:17:01 deb1 systemd[1]: Started Hourly cleanup.',
      'Oct 25 02:40:00 deb1 CRON[778]: (root) CMD (/usr/local/bin/forty)',
    ];
    const byName = lines.map((line) => line.replace('Hourly cleanup', 'cleanup.service'));

    // Act: each line read as the scan reads it, a line of its own
    const read = (file: string[]) => wallTimesOf(file, new WallClock('Europe/Berlin'));

    // Assess: the first run at the first instant (00:17:01Z), the second at the second (01:17:01Z), the line after it in the second pass
    const expected = ['00:17:01', '00:17:01', '01:17:01', '01:17:01', '01:40:00'];
    expect(read(lines)).toEqual(expected);
    expect(read(byName)).toEqual(expected);
  });

  it.each([
    ['systemd 240 and later', "cleanup.service: Failed with result 'exit-code'."],
    ['systemd before 240', 'cleanup.service: Unit entered failed state.'],
  ])("reads an hourly oneshot failing in both passes of Berlin's repeated hour at the second instant from its second start (%s): Failed to start ends its run", (_, failedLine) => {
    // Prepare: each pass logs Starting, the failure and `Failed to start U.` at 02:17:01; then a line of the second pass
    const pass = [
      'Oct 25 02:17:01 deb1 systemd[1]: Starting cleanup.service...',
      'Oct 25 02:17:01 deb1 systemd[1]: cleanup.service: Main process exited, code=exited, status=1/FAILURE',
      `Oct 25 02:17:01 deb1 systemd[1]: ${failedLine}`,
      'Oct 25 02:17:01 deb1 systemd[1]: Failed to start cleanup.service.',
    ];
    const lines = [...pass, ...pass, 'Oct 25 02:40:00 deb1 CRON[778]: (root) CMD (/usr/local/bin/forty)'];
    const wallClock = new WallClock('Europe/Berlin');

    // Act: each line read as the scan reads it, a line of its own
    const times = wallTimesOf(lines, wallClock);

    // Assess: the first pass at the first instant (00:17:01Z), the second pass and the line after it at the second
    expect(times).toEqual([...Array(4).fill('00:17:01'), ...Array(4).fill('01:17:01'), '01:40:00']);
  });

  it('reads them as UTC without a zone, and says so to the clock', () => {
    // Prepare
    const wallClock = new WallClock();

    // Act
    const rec = parseSyslog('Oct 24 02:30:01 web1 CRON[1001]: (root) CMD (/usr/local/bin/backup.sh)', ctx({ wallClock, now: at('2026-12-01T00:00:00Z') }));

    // Assess
    expect(rec?.kind === 'record' ? new Date(rec.at).toISOString() : rec).toBe('2026-10-24T02:30:01.000Z');
    expect(wallClock.readAsUtc).toBe(true);
  });

  it('leaves a date with a record time to its record, and one with an offset as it names it', () => {
    // Act: a Berlin clock given, but a New York host's line recorded at 06:00:02Z, and an ISO header with its offset
    const recorded = read(['Oct  5 02:00:01'], 'Europe/Berlin', { recordTime: at('2026-10-05T06:00:02Z') });
    const wallClock = new WallClock('Europe/Berlin');
    const iso = parseSyslog('2026-10-05T02:30:00-04:00 web1 CRON[123]: (root) CMD (/usr/local/bin/backup.sh)', ctx({ wallClock }));

    // Assess
    expect(recorded).toEqual(['2026-10-05T06:00:01.000Z']);
    expect(iso?.kind === 'record' ? new Date(iso.at).toISOString() : iso).toBe('2026-10-05T06:30:00.000Z');
  });
});

describe('the syslog dates of one delivery (one log stream) across a DST change', () => {
  /** One payload's cron CMD lines: each a local date recorded at its record time. */
  const cronLines = (pairs: ReadonlyArray<[date: string, recordAt: string]>) =>
    pairs.map(([date, recordAt], i) => ({
      text: `${date} nyhost CRON[${100 + i}]: (root) CMD (/usr/local/bin/job${i}.sh)`,
      ctx: { source: { origin: '/var/log/syslog', line: i + 1 }, recordTime: Date.parse(recordAt), now: Date.parse(recordAt) + 5000 },
    }));
  const times = (outcomes: ParseOutcome[]) => outcomes.map((o) => (o.kind === 'events' ? new Date(o.events[0].at).toISOString() : o.kind));

  it.each([
    [
      'a New York host falling back (02:00 EDT is 01:00 EST, 06:00Z) is read in its zone on both sides',
      [['Nov  1 01:59:59', '2026-11-01T05:59:59Z'], ['Nov  1 01:00:01', '2026-11-01T06:00:01Z']],
      ['2026-11-01T05:59:59.000Z', '2026-11-01T06:00:01.000Z'],
    ],
    [
      'a New York host springing forward (02:00 EST is 03:00 EDT, 07:00Z) is read in its zone on both sides',
      [['Mar  8 01:59:59', '2026-03-08T06:59:59Z'], ['Mar  8 03:00:01', '2026-03-08T07:00:01Z']],
      ['2026-03-08T06:59:59.000Z', '2026-03-08T07:00:01.000Z'],
    ],
    [
      'a New York host quiet in the hours around its spring change (00:30 EST, then 04:00 EDT) is read in its zone on both sides',
      [['Mar  8 00:30:00', '2026-03-08T05:30:00Z'], ['Mar  8 04:00:00', '2026-03-08T08:00:00Z']],
      ['2026-03-08T05:30:00.000Z', '2026-03-08T08:00:00.000Z'],
    ],
    [
      'a New York host quiet in the hours around its fall change (23:30 EDT, then 03:00 EST) is read in its zone on both sides',
      [['Oct 31 23:30:00', '2026-11-01T03:30:00Z'], ['Nov  1 03:00:00', '2026-11-01T08:00:00Z']],
      ['2026-11-01T03:30:00.000Z', '2026-11-01T08:00:00.000Z'],
    ],
    [
      'a UTC host whose agent reads two lines an hour apart at once (no change between them) keeps their times',
      [['Oct  5 08:00:00', '2026-10-05T10:00:05Z'], ['Oct  5 09:00:00', '2026-10-05T10:00:05Z']],
      ['2026-10-05T08:00:00.000Z', '2026-10-05T09:00:00.000Z'],
    ],
    [
      'a UTC host whose agent reads an hour late, 02:00:00 (1 h behind) beside 02:40:00 (in step), keeps their times: no zone changes from +00:00 to -01:00 at 03:00Z',
      [['Oct  5 02:00:00', '2026-10-05T03:00:05Z'], ['Oct  5 02:40:00', '2026-10-05T03:00:05Z']],
      ['2026-10-05T02:00:00.000Z', '2026-10-05T02:40:00.000Z'],
    ],
    [
      'a New York host whose agent reads an hour late in October (5 h and 4 h behind, no change then) keeps their times',
      [['Oct  5 05:00:00', '2026-10-05T10:00:05Z'], ['Oct  5 05:59:55', '2026-10-05T10:00:05Z']],
      ['2026-10-05T05:00:00.000Z', '2026-10-05T05:59:55.000Z'],
    ],
  ])('%s', (_, pairs, expected) => {
    // Prepare
    const lines = cronLines(pairs as Array<[string, string]>);

    // Act
    const outcomes = parseDelivery(lines);

    // Assess
    expect(times(outcomes)).toEqual(expected);
  });
});

describe('host names', () => {
  it.each([
    ['combo', 'combo'],
    ['dn228/dn228', 'dn228'],
    ['#8#/#8#', '#8#'],
    ['src@eadmin1', 'eadmin1'],
    ['local@tbird-admin1', 'tbird-admin1'],
  ])('%s is %s', (field, host) => {
    expect(normaliseHost(field)).toBe(host);
  });
});
