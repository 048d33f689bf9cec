import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nameAsLogged, validateConfig } from '../../lambdas/config.ts';
import { shortenName } from '../../lambdas/core/parse/derived-name.ts';
import { redactorFor } from '../../lambdas/core/redact.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { contextFor, fixtureLines, parseFile, summary } from './helpers.ts';

const NOW = Date.parse('2026-11-26T00:00:00Z');

describe('syslog cron (contract §1b)', () => {
  it.each([
    [
      'Debian/Ubuntu CRON in /var/log/syslog',
      'syslog/cron-debian.log',
      { now: NOW },
      [
        'nothing',
        'run.start cd / && run-parts --report /etc/cron.hourly web1:20765:2026-10-05T02:17:01.000Z @2026-10-05T02:17:01.000Z',
        'nothing',
        'nothing',
        'run.start /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1 web1:20827:2026-10-05T02:30:01.000Z @2026-10-05T02:30:01.000Z',
        'output.discarded web1 @2026-10-05T02:30:02.000Z',
        'nothing',
        'run.start bash scripts/sync_assets.sh web1:20954:2026-10-05T02:35:01.000Z @2026-10-05T02:35:01.000Z',
        'cron.failed @2026-10-05T02:35:01.000Z',
        'output.discarded web1 @2026-10-05T02:35:01.000Z',
        'run.start test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily ) web1:21870:2026-10-05T06:25:01.000Z @2026-10-05T06:25:01.000Z',
        'nothing',
        'nothing',
        'nothing',
        'output.discarded web1 @2026-10-05T09:00:01.000Z',
        'unrecognised',
      ],
    ],
    [
      "cronie's CROND and crond in /var/log/cron",
      'syslog/cron-rhel.log',
      { year: 2023 },
      [
        'nothing',
        'nothing',
        'nothing',
        'nothing',
        'run.start run-parts /etc/cron.hourly rocky2:828310:2023-08-14T21:01:01.000Z @2023-08-14T21:01:01.000Z',
        'unrecognised',
        'unrecognised',
        'cron.end @2023-08-14T21:01:01.000Z',
        'run.start /usr/pgsql-15/bin/vacuumdb --all --analyze-in-stages --quiet rocky2:829034:2023-08-14T21:10:01.000Z @2023-08-14T21:10:01.000Z',
        'cron.output @2023-08-14T21:10:04.000Z',
        'cron.end @2023-08-14T21:10:04.000Z',
      ],
    ],
    [
      "FreeBSD's /usr/sbin/cron",
      'syslog/cron-freebsd.log',
      { year: 2026 },
      [
        'run.start /usr/libexec/atrun fbsd1:48211:2026-10-05T02:30:00.000Z @2026-10-05T02:30:00.000Z',
        'run.start /usr/libexec/save-entropy fbsd1:48230:2026-10-05T02:31:00.000Z @2026-10-05T02:31:00.000Z',
      ],
    ],
    [
      "rsyslog's ISO-timestamped file format (Debian 12)",
      'syslog/cron-rsyslog-iso.log',
      {},
      [
        'run.start cd / && run-parts --report /etc/cron.hourly web2:40211:2026-10-05T00:17:01.338Z @2026-10-05T00:17:01.338Z',
        'run.start /usr/local/bin/backup.sh web2:40390:2026-10-05T00:30:01.204Z @2026-10-05T00:30:01.204Z',
        'output.discarded web2 @2026-10-05T00:30:03.771Z',
      ],
    ],
    [
      'RFC 5424 as a syslog relay writes it',
      'syslog/cron-rfc5424.log',
      {},
      [
        'run.start /usr/local/bin/backup.sh web3:40390:2026-10-05T00:30:01.204Z @2026-10-05T00:30:01.204Z',
        'output.discarded web3 @2026-10-05T02:30:03.771Z',
        'run.start /usr/local/bin/purge --days "30]" web3:-:2026-10-05T03:00:01.000Z @2026-10-05T03:00:01.000Z',
      ],
    ],
  ])('reads %s', (_, file, extra, expected) => {
    // Prepare
    const lines = fixtureLines(file);
    // Act
    const outcomes = parseFile(file, lines, extra);
    // Assess
    expect(outcomes.map(summary)).toEqual(expected);
  });

  it('keeps the user and pid of a CMD line, and names the host and run', () => {
    const line = 'Oct  5 02:30:01 web1 CRON[20827]: (root) CMD (/usr/local/bin/backup.sh >> /var/log/backup.log 2>&1)';
    const outcome = parseLine(line, contextFor('syslog', 5, { year: 2026 }));
    expect(outcome).toEqual({
      kind: 'events',
      events: [
        {
          at: Date.parse('2026-10-05T02:30:01Z'),
          format: 'cron',
          source: { origin: 'syslog', line: 5 },
          body: {
            type: 'run.start',
            job: '/usr/local/bin/backup.sh >> /var/log/backup.log 2>&1',
            run_id: 'web1:20827:2026-10-05T02:30:01.000Z',
            host: 'web1',
            user: 'root',
            pid: 20827,
          },
        },
      ],
    });
  });

  it('shortens a long CMD command to a stable job name that fits a storage key, instead of rejecting the line', () => {
    // Prepare
    const command = `/usr/local/bin/sync.sh ${Array.from({ length: 120 }, (_, i) => `--include=/data/share-${i}`).join(' ')}`;
    const other = `${command} --dry-run`;
    const line = (cmd: string, pid: number) => `Oct  5 02:30:01 web1 CRON[${pid}]: (root) CMD (${cmd})`;

    // Act
    const first = parseLine(line(command, 100), contextFor('syslog', 1, { year: 2026 }));
    const again = parseLine(line(command, 200), contextFor('syslog', 2, { year: 2026 }));
    const differs = parseLine(line(other, 300), contextFor('syslog', 3, { year: 2026 }));

    // Assess
    const jobOf = (o: ReturnType<typeof parseLine>) => (o.kind === 'events' ? (o.events[0].body as { job: string }).job : `not events: ${o.kind}`);
    const job = jobOf(first);
    expect(command.length).toBeGreaterThan(2048);
    expect(job).toMatch(/^\/usr\/local\/bin\/sync\.sh --include=\/data\/share-0 .*…[0-9a-f]{8}$/);
    expect(job.startsWith(command.slice(0, 200))).toBe(true);
    expect(Buffer.byteLength(job)).toBeLessThanOrEqual(400);
    expect(jobOf(again)).toBe(job);
    expect(jobOf(differs)).not.toBe(job);
  });

  it('never ends a shortened job name inside a redaction marker, so the name redacts to itself as a config key', () => {
    // Prepare: the 200-character cut falls inside the marker that replaces the password.
    const command = `/opt/etl/run.sh ${'--table=orders '.repeat(11)}--password=supersecretvalue123 ${'x'.repeat(200)}`;
    const line = `Oct  5 02:30:01 web1 CRON[100]: (root) CMD (${command})`;

    // Act
    const outcome = parseLine(line, contextFor('syslog', 1, { year: 2026 }));

    // Assess
    const job = outcome.kind === 'events' ? (outcome.events[0].body as { job: string }).job : `not events: ${outcome.kind}`;
    expect(job).toMatch(/ --password=\[REDACTED:[\w.-]+\]…[0-9a-f]{8}$/);
    expect(job).not.toContain('supersecret');
    expect(nameAsLogged(job)).toBe(job);
  });

  it('keeps a marker that starts right at the cut, and never leaves a secret\'s label before the digest (generated long commands)', () => {
    // Prepare: one command whose password's marker starts exactly at unit 200, and commands built
    // from words that hold secrets and labels (`token=` followed by a space), in many lengths
    const atCut = `/opt/etl/run.sh ${'a'.repeat(200 - 16 - '--password='.length)}--password=supersecretvalue123 ${'x'.repeat(200)}`;
    const words = ['--table=orders', '--password=hunter22x', 'é', '€€', '😀', 'api_key=ABCDEF123456', 'x'.repeat(30), 'token=zzzzzzzzzzzz', 'token=', 'password:', '|', 'a'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const commands = Array.from({ length: 600 }, () => {
      const parts = ['/opt/run.sh'];
      for (let target = 150 + Math.floor(random() * 300); parts.join(' ').length < target; ) parts.push(words[Math.floor(random() * words.length)]);
      return parts.join(' ');
    });
    const jobOf = (command: string) => {
      const outcome = parseLine(`Oct  5 02:30:01 web1 CRON[100]: (root) CMD (${command})`, contextFor('syslog', 1, { year: 2026 }));
      return outcome.kind === 'events' ? (outcome.events[0].body as { job: string }).job : `not events: ${outcome.kind}`;
    };

    // Act
    const job = jobOf(atCut);
    const jobs = commands.map(jobOf);

    // Assess
    expect(job).toMatch(/--password=\[REDACTED:[\w.-]+\]…[0-9a-f]{8}$/);
    expect(nameAsLogged(job)).toBe(job);
    expect(jobs.filter((j) => j.includes('…')).length).toBeGreaterThan(150);
    expect(jobs.filter((j) => nameAsLogged(j) !== j)).toEqual([]);
    expect(jobs.filter((j) => j.length > 256 || Buffer.byteLength(j, 'utf8') > 400)).toEqual([]);
  });

  it("cuts a long job name so that the config's own redact rules, not only the built-in ones, read it back as itself", () => {
    // Prepare: a config rule that takes what follows `acct:`; the 200-character cut falls inside its marker.
    const config = validateConfig({ redact: { patterns: [{ name: 'acct', regex: 'acct:(?<secret>\\S+)' }] } });
    const command = `/opt/billing/run.sh ${'x'.repeat(200 - 20 - 1 - 'acct:'.length - 3)} acct:ACME-00042 ${'y'.repeat(200)}`;
    const line = `Oct  5 02:30:01 web1 CRON[100]: (root) CMD (${command})`;

    // Act
    const outcome = parseLine(line, contextFor('syslog', 1, { year: 2026, redactor: redactorFor(config) }));

    // Assess: the name a \`jobs\` key written as the logs give it becomes is the job's own name.
    const job = outcome.kind === 'events' ? (outcome.events[0].body as { job: string }).job : `not events: ${outcome.kind}`;
    expect(job).toMatch(/…[0-9a-f]{8}$/);
    expect(job).not.toContain('ACME');
    expect(nameAsLogged(job, config)).toBe(job);
  });

  it('keeps the name a long command always had when its plain cut reads back as itself', () => {
    // Prepare: redacted names whose plain cut (200 characters, or fewer for the bytes) ends where a
    // marker follows a space, or before a marker too long to keep, and reads back unchanged
    const digestOf = (name: string) => createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
    const markerAtCut = `/opt/run.sh ${'x'.repeat(200 - 13)} [REDACTED:aws-access-key] tail ${'y'.repeat(60)}`;
    const euros = `${'€'.repeat(122)} [REDACTED:aws-access-key] ${'y'.repeat(200)}`;

    // Act
    const named = [markerAtCut, euros].map((name) => shortenName(name));

    // Assess: the plain cut, as stored states and configs have it
    expect(named).toEqual([`${markerAtCut.slice(0, 200)}…${digestOf(markerAtCut)}`, `${euros.slice(0, 136)}…${digestOf(euros)}`]);
    expect(named.map((n) => nameAsLogged(n))).toEqual(named);
  });

  it('shortens a host name too long for a storage key (a cron host is a subject of its own)', () => {
    // Prepare
    const host = `web-${'x'.repeat(600)}`;
    // Act
    const outcome = parseLine(`Oct  5 02:30:01 ${host} CRON[100]: (root) CMD (/usr/local/bin/backup.sh)`, contextFor('syslog', 1, { year: 2026 }));
    // Assess
    const named = outcome.kind === 'events' ? (outcome.events[0].body as { host: string }).host : `not events: ${outcome.kind}`;
    expect(named).toMatch(/^web-x+…[0-9a-f]{8}$/);
    expect(Buffer.byteLength(named)).toBeLessThanOrEqual(400);
  });

  it("leaves the job of cron's discarded output unnamed: the line does not say it", () => {
    const outcome = parseLine('Oct  5 02:30:02 web1 CRON[20826]: (CRON) info (No MTA installed, discarding output)', contextFor('syslog', 6, { year: 2026 }));
    expect(outcome.kind === 'events' && outcome.events[0].body).toEqual({ type: 'output.discarded', host: 'web1', reason: 'No MTA installed, discarding output', pid: 20826 });
  });

  it("reads Debian cron's exit status of a job, which names the pid of the job's CMD line, not its job", () => {
    // Prepare
    const line = 'Oct  5 02:35:01 web1 CRON[20953]: (CRON) error (grandchild #20954 failed with exit status 255)';
    // Act
    const outcome = parseLine(line, contextFor('syslog', 1, { year: 2026 }));
    // Assess
    expect(outcome.kind === 'events' && outcome.events[0].body).toEqual({ type: 'cron.failed', host: 'web1', pid: 20953, cmd_pid: 20954, exit_code: 255 });
  });

  it("reads cronie's CMDOUT line as a line of the output of its pid's job, and its CMDEND line as that job's end, which names no exit status", () => {
    // Prepare: RFC 3164 syslog as /var/log/cron holds it, and journalctl's short format (the same text)
    const out = 'Nov 25 03:00:05 db1 CROND[1234]: (root) CMDOUT (Traceback (most recent call last):)';
    const end = 'Nov 25 03:00:06 db1 CROND[1234]: (root) CMDEND (/usr/local/bin/backup.sh)';
    // Act
    const outcomes = [out, end].map((line) => parseLine(line, contextFor('syslog', 1, { year: 2026 })));
    // Assess
    expect(outcomes.map((o) => o.kind === 'events' && o.events[0].body)).toEqual([
      { type: 'cron.output', host: 'db1', pid: 1234, text: 'Traceback (most recent call last):' },
      { type: 'cron.end', host: 'db1', pid: 1234 },
    ]);
  });

  it.each([
    ['mailed 1 byte of output; but got status 0x004b, #012', 'status 0x004b'],
    ['mailed 512 bytes of output but got status 0x00ff', 'status 0x00ff'],
  ])("reads cron's failed hand-off of a job's output to the mailer as its output discarded: %s", (words, status) => {
    // Prepare
    const line = `Oct  5 09:00:01 web1 CRON[22811]: (root) MAIL (${words})`;
    // Act
    const outcome = parseLine(line, contextFor('syslog', 1, { year: 2026 }));
    // Assess
    expect(outcome.kind === 'events' && outcome.events[0].body).toEqual({ type: 'output.discarded', host: 'web1', reason: `mailing the output failed (${status})`, pid: 22811 });
  });

  it.each([
    ['logrotate (loghub Linux)', 'Jun 15 04:06:20 combo logrotate: ALERT exited abnormally with [1]', { year: 2005 }, 'run.end logrotate combo:logrotate:2005-06-15T04:06:20.000Z exit=1 @2005-06-15T04:06:20.000Z'],
    ['another script', 'Oct  5 06:25:14 web1 tmpreaper: ALERT exited abnormally with [3]', { year: 2026 }, 'run.end tmpreaper web1:tmpreaper:2026-10-05T06:25:14.000Z exit=3 @2026-10-05T06:25:14.000Z'],
    ['a script tagged with its path', 'Oct  5 06:25:14 web1 /etc/cron.daily/logrotate: ALERT exited abnormally with [1]', { year: 2026 }, 'run.end logrotate web1:logrotate:2026-10-05T06:25:14.000Z exit=1 @2026-10-05T06:25:14.000Z'],
  ])("ends a run of a cron script's job with its exit code: %s", (_, line, extra, expected) => {
    expect(summary(parseLine(line, contextFor('messages', 1, extra)))).toBe(expected);
  });

  it.each([
    ['an unparseable date', 'Foo 99 99:99:99 web1 CRON[20827]: (root) CMD (/usr/local/bin/backup.sh)', 'cron line with an unparseable date "Foo 99 99:99:99"'],
    ['a command cut short', 'Oct  5 02:30:01 web1 CRON[20827]: (root) CMD (/usr/local/bi', 'cron CMD line without the closing parenthesis of its command (cut short?)'],
    ['an empty command', 'Oct  5 02:30:01 web1 CRON[20827]: (root) CMD ()', 'cron CMD line with an empty command'],
    ['an ALERT without its exit code', 'Jun 15 04:06:20 combo logrotate: ALERT exited abnormally with [', 'cron script line "ALERT exited abnormally with [" has no exit code in [N] (cut short?)'],
    ['an ALERT whose exit code is out of range', 'Jun 15 04:06:20 combo logrotate: ALERT exited abnormally with [99999999999999999999]', 'logrotate cron script line with an exit code out of range: [99999999999999999999]'],
    ['a script line with an unparseable date', 'Oct  5 25:30:01 web1 logrotate: ALERT exited abnormally with [1]', 'logrotate cron script line with an unparseable date "Oct  5 25:30:01"'],
  ])('rejects %s with a reason', (_, line, reason) => {
    expect(parseLine(line, contextFor('syslog', 1, { year: 2026 }))).toEqual({ kind: 'rejected', reason });
  });

  it('leaves lines of other programs alone', () => {
    const line = 'Oct  5 09:00:02 web1 sshd[22840]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)';
    expect(parseLine(line, contextFor('syslog', 1, { year: 2026 }))).toEqual({ kind: 'unrecognised' });
  });
});
