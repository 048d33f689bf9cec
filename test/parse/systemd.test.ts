import { describe, expect, it } from 'vitest';
import { OPEN_RUN } from '../../lambdas/core/parse/index.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { contextFor, fixtureLines, parseFile, summary } from './helpers.ts';

const NOW = Date.parse('2026-11-26T00:00:00Z');

/**
 * One oneshot service failing, then succeeding, then a simple service starting: the same records
 * in each of journalctl's text formats (captured from a journald 252, see fixtures/journal/README.md).
 */
function journalTextExpectations(t: (hms: string) => string): string[] {
  return [
    `run.start backup.service backup.service@backup01@${t('00:47:01.181')} @${t('00:47:01.181')}`,
    `run.start /usr/local/bin/rotate-exports --keep 14 backup01:23117:${t('00:47:02.515')} @${t('00:47:02.515')}`,
    `run.end backup.service *open exit=1 @${t('00:47:02.968')}`,
    `run.failed backup.service *open "systemd result 'exit-code'" @${t('00:47:03.019')}`,
    'nothing',
    'nothing',
    `run.start backup.service backup.service@backup01@${t('00:47:04.287')} @${t('00:47:04.287')}`,
    `run.end backup.service *open exit=0 @${t('00:47:06.070')}`,
    `run.end backup.service *open exit=0 @${t('00:47:06.150')}`,
    'nothing',
    `run.start report-mailer.service report-mailer.service@backup01@${t('00:47:06.794')} @${t('00:47:06.794')}`,
    'unrecognised',
  ];
}
const precise = (hms: string) => `2026-11-25T${hms}Z`;
const toSecond = (hms: string) => `2026-11-25T${hms.slice(0, 8)}.000Z`;

describe('systemd as text (contract §1b)', () => {
  it.each([
    ['journalctl -o short-precise', 'syslog/journal-short-precise.log', journalTextExpectations(precise)],
    ['journalctl -o short', 'syslog/journal-short.log', journalTextExpectations(toSecond)],
    ['journalctl -o short-iso', 'syslog/journal-short-iso.log', journalTextExpectations(toSecond)],
    [
      'systemd 245 (Ubuntu 20.04): "Succeeded.", and starts that name only the description',
      'syslog/systemd-ubuntu2004.log',
      [
        'unit.starting Clean php session files @2026-04-28T08:39:01.000Z',
        'output.discarded zino @2026-04-28T08:39:01.000Z',
        'run.end phpsessionclean.service *open exit=0 @2026-04-28T08:39:01.000Z',
        'run.start Clean php session files Clean php session files@zino@2026-04-28T08:39:01.000Z @2026-04-28T08:39:01.000Z',
        'unit.starting Nightly backup @2026-04-29T02:30:00.000Z',
        'run.end backup.service *open exit=2 @2026-04-29T02:30:07.000Z',
        `run.failed backup.service *open "systemd result 'exit-code'" @2026-04-29T02:30:07.000Z`,
        'nothing',
      ],
    ],
    [
      'systemd 249 (Ubuntu 22.04): "Finished <description>."',
      'syslog/systemd-ubuntu2204.log',
      [
        'unit.starting Nightly backup @2026-10-05T02:30:00.000Z',
        'run.end backup.service *open exit=0 @2026-10-05T02:30:07.000Z',
        'run.end Nightly backup *open exit=0 @2026-10-05T02:30:07.000Z',
        'nothing',
        'nothing',
      ],
    ],
    [
      'systemd 219 (CentOS 7): lower-case "main process exited"',
      'syslog/systemd-centos7.log',
      [
        'unit.starting Nightly backup @2026-07-10T03:00:01.000Z',
        'run.end backup.service *open exit=1 @2026-07-10T03:00:04.000Z',
        'nothing',
        `run.failed backup.service *open "systemd result 'failed'" @2026-07-10T03:00:04.000Z`,
        'nothing',
      ],
    ],
    [
      'systemd 219 (CentOS 7): a control process\'s exit ("code=exited status=1": no comma, no name after the status), read as newer systemd\'s: the reason of its unit\'s failure, no failure itself',
      'syslog/systemd-centos7-control-exit.log',
      [
        'unit.starting Nightly backup @2026-10-23T02:30:00.000Z',
        'unit.starting Data export @2026-10-23T02:30:00.000Z',
        'run.error  *open "exec failed: /opt/bin/optional-prep.sh: No such file or directory" @2026-10-23T02:30:01.000Z',
        'run.error export.service *open "control process exited with status 1" exit=1 @2026-10-23T02:30:01.000Z',
        'nothing',
        `run.failed export.service *open "systemd result 'failed'" @2026-10-23T02:30:01.000Z`,
        'nothing',
        'run.start Nightly backup Nightly backup@db01@2026-10-23T02:30:30.000Z @2026-10-23T02:30:30.000Z',
        'unit.starting Nightly backup @2026-10-24T02:30:00.000Z',
        'run.error  *open "exec failed: /opt/bin/prep.sh: No such file or directory" @2026-10-24T02:30:00.000Z',
        'run.error backup.service *open "control process exited with status 203" exit=203 @2026-10-24T02:30:00.000Z',
        'nothing',
        `run.failed backup.service *open "systemd result 'failed'" @2026-10-24T02:30:00.000Z`,
        'nothing',
      ],
    ],
    [
      'systemd 219 (CentOS 7): a start that timed out (failing nothing itself: its reason for the failure after it) and one that failed to exec, each failure read as newer systemd\'s "Failed with result" line',
      'syslog/systemd-centos7-failures.log',
      [
        'unit.starting Nightly backup @2026-10-08T02:30:00.000Z',
        `run.error backup.service *open "systemd result 'timeout'" @2026-10-08T04:00:00.000Z`,
        'nothing',
        `run.failed backup.service *open "systemd result 'failed'" @2026-10-08T04:00:00.000Z`,
        'nothing',
        'unit.starting Nightly backup @2026-10-23T02:30:00.000Z',
        'run.error  *open "exec failed: /usr/local/bin/backup.sh: No such file or directory" @2026-10-23T02:30:01.000Z',
        'run.end backup.service *open exit=203 @2026-10-23T02:30:01.000Z',
        'nothing',
        `run.failed backup.service *open "systemd result 'failed'" @2026-10-23T02:30:01.000Z`,
        'nothing',
      ],
    ],
    [
      'signals, timeouts, a failed dependency and a failed control process',
      'syslog/systemd-failures.log',
      [
        'run.start pg-dump.service pg-dump.service@db01@2026-10-06T02:30:00.000Z @2026-10-06T02:30:00.000Z',
        'nothing',
        'run.failed pg-dump.service *open "main process killed by signal TERM" @2026-10-06T03:00:00.000Z',
        `run.failed pg-dump.service *open "systemd result 'timeout'" @2026-10-06T03:00:00.000Z`,
        'nothing',
        'nothing',
        'run.failed offsite-sync.service *open "dependency failed" @2026-10-06T04:00:00.000Z',
        'nothing',
        'run.start reindex.service reindex.service@db01@2026-10-06T05:00:00.000Z @2026-10-06T05:00:00.000Z',
        'run.error reindex.service *open "control process exited with status 1" exit=1 @2026-10-06T05:00:01.000Z',
        `run.failed reindex.service *open "systemd result 'exit-code'" @2026-10-06T05:00:01.000Z`,
        'run.failed thumbnailer.service *open "main process dumped core on signal SEGV" @2026-10-06T06:00:00.000Z',
        `run.failed thumbnailer.service *open "systemd result 'core-dump'" @2026-10-06T06:00:00.000Z`,
        'nothing',
        'unrecognised',
        'run.start backup.service backup.service@db01@2026-10-06T07:10:12.000Z @2026-10-06T07:10:12.000Z',
        'nothing',
      ],
    ],
    [
      'newer systemd: two units that failed to exec, each line naming its unit ("Failed to execute …" before it: nothing)',
      'syslog/systemd-exec-failed.log',
      [
        'run.start export.service export.service@web01@2026-10-23T02:30:00.000Z @2026-10-23T02:30:00.000Z',
        'run.start sync.service sync.service@web01@2026-10-23T02:30:00.000Z @2026-10-23T02:30:00.000Z',
        'nothing',
        'run.error export.service *open "exec failed: /opt/bin/export.sh: No such file or directory" @2026-10-23T02:30:00.000Z',
        'run.error sync.service *open "exec failed: /opt/bin/sync.sh: Permission denied" @2026-10-23T02:30:00.000Z',
        'run.end export.service *open exit=203 @2026-10-23T02:30:00.000Z',
        `run.failed export.service *open "systemd result 'exit-code'" @2026-10-23T02:30:00.000Z`,
        'nothing',
        'run.end sync.service *open exit=203 @2026-10-23T02:30:00.000Z',
        `run.failed sync.service *open "systemd result 'exit-code'" @2026-10-23T02:30:00.000Z`,
        'nothing',
      ],
    ],
    [
      'systemd 219 (CentOS 7): the failed state and timeouts of units that run no job, a bus name\'s too',
      'syslog/systemd-centos7-non-job-units.log',
      ['nothing', 'nothing', 'nothing', 'nothing', 'nothing', 'nothing', 'nothing', 'nothing'],
    ],
  ])('reads %s', (_, file, expected) => {
    // Prepare
    const lines = fixtureLines(file);
    // Act
    const outcomes = parseFile(file, lines, { now: NOW });
    // Assess
    expect(outcomes.map(summary)).toEqual(expected);
  });

  it('names the unit, the host, and the open run', () => {
    const line = "Nov 25 00:47:03 backup01 systemd[1]: backup.service: Failed with result 'exit-code'.";
    const outcome = parseLine(line, contextFor('syslog', 4, { now: NOW }));
    expect(outcome.kind === 'events' && outcome.events).toEqual([
      {
        at: Date.parse('2026-11-25T00:47:03Z'),
        format: 'systemd',
        source: { origin: 'syslog', line: 4 },
        body: { type: 'run.failed', job: 'backup.service', run_id: OPEN_RUN, reason: "systemd result 'exit-code'", host: 'backup01' },
      },
    ]);
  });

  it.each([
    ['the unit and its description', 'Oct  1 02:30:00 web1 systemd[1]: Starting backup.service - Nightly backup...', 'backup.service'],
    ['an instance with the ellipsis character', 'Oct  1 02:30:00 web1 systemd[1]: Starting backup@home.service - Backup of home…', 'backup@home.service'],
    ['the unit alone (no description)', 'Oct  1 02:30:00 web1 systemd[1]: Starting backup.service...', 'backup.service'],
  ])('reads a Starting line that names %s as the start of a run (a oneshot logs no Started)', (_, line, unit) => {
    // Act
    const outcome = parseLine(line, contextFor('syslog', 1, { now: NOW }));
    // Assess
    expect(outcome.kind === 'events' && outcome.events.map((e) => e.body)).toEqual([
      { type: 'run.start', job: unit, run_id: `${unit}@web1@2026-10-01T02:30:00.000Z`, host: 'web1' },
    ]);
  });

  it.each([
    ['a login session, by its description (older wording)', 'Started Session 214 of User deploy.'],
    ['a login session, by its scope unit', 'Started session-3.scope - Session 3 of User deploy.'],
    ["a user's own manager session, by its description", 'Started Session c1 of User gdm.'],
    ["a user's slice, by its description", 'Started User Slice of UID 1000.'],
    ["a login session's end", 'session-3.scope: Deactivated successfully.'],
    ['a timer started at boot', 'Started backup.timer - Daily backup.'],
    ["the user's service manager", 'Started user@1000.service - User Manager for UID 1000.'],
    ["the user's service manager, by its description", 'Starting User Manager for UID 1000...'],
    ["a user's runtime directory ending", 'user-runtime-dir@1000.service: Deactivated successfully.'],
    ['a mount that failed', "home.mount: Failed with result 'exit-code'."],
  ])('reads %s as no run of a job (recognised, nothing to judge)', (_, message) => {
    // Act
    const outcome = parseLine(`Oct  5 06:00:01 web1 systemd[1]: ${message}`, contextFor('syslog', 1, { now: NOW }));
    // Assess
    expect(outcome).toEqual({ kind: 'events', events: [] });
  });

  it("reads systemd 219's start-pre timeout as its start's: the reason of the failure after it, no failure itself", () => {
    // Act
    const outcome = parseLine('Oct  8 04:00:00 db01 systemd[1]: backup.service start-pre operation timed out. Terminating.', contextFor('syslog', 1, { now: NOW }));
    // Assess
    expect(outcome.kind === 'events' && outcome.events.map((e) => e.body)).toEqual([{ type: 'run.error', job: 'backup.service', run_id: OPEN_RUN, reason: "systemd result 'timeout'", host: 'db01' }]);
  });

  it('still reads a service whose name or description is near those of logins as a job', () => {
    // Act
    const lines = [
      'Started session-cleanup.service - Session cleanup.',
      'Starting Sessions report...',
      'Started Session cleanup of user uploads.',
      'Starting Session 2 of user data export...',
      'Started User Slice of reports cleanup.',
    ].map((m, i) => parseLine(`Oct  5 06:00:0${i} web1 systemd[1]: ${m}`, contextFor('syslog', i + 1, { now: NOW })));
    // Assess
    expect(lines.map((o) => o.kind === 'events' && o.events.map((e) => e.body.type))).toEqual([['run.start'], ['unit.starting'], ['run.start'], ['unit.starting'], ['run.start']]);
  });

  it('reads a Starting line that names only the description (older wording) as a unit starting, no run of its own', () => {
    // Act
    const outcome = parseLine('Oct  1 02:30:00 web1 systemd[1]: Starting Nightly backup...', contextFor('syslog', 1, { now: NOW }));
    // Assess: the systemd host reducer finds its unit, when the host's log tells it
    expect(outcome.kind === 'events' && outcome.events.map((e) => e.body)).toEqual([{ type: 'unit.starting', description: 'Nightly backup', host: 'web1' }]);
  });

  it.each([
    [
      "an ignored control process's failure (marked ` (ignored)`, accepted as systemd's own ` (success)`; ExecStartPre=-…): nothing, no rejection",
      'Dec  7 03:00:01 host systemd[1]: backup.service: Control process exited, code=exited, status=1/FAILURE (ignored)',
      'nothing',
    ],
    [
      "a main process's failure without a suffix: still its run's failed end",
      'Dec  7 03:00:01 host systemd[1]: backup.service: Main process exited, code=exited, status=1/FAILURE',
      'run.end backup.service *open exit=1 @2025-12-07T03:00:01.000Z',
    ],
    [
      'a failed reload naming the unit (newer wording): the reason of its next failure, no failure itself',
      'Dec  7 03:00:01 host systemd[1]: Reload failed for backup.service - Backup.',
      'run.error backup.service *open "reload failed" @2025-12-07T03:00:01.000Z',
    ],
    [
      'a failed reload naming the description only (older wording): named by it, the job reducer ties it to the unit of the control process exit just before it; no failure itself',
      'Dec  7 03:00:01 host systemd[1]: Reload failed for Backup service.',
      'run.error Backup service *open "reload failed" @2025-12-07T03:00:01.000Z',
    ],
  ])('reads %s', (_, line, expected) => {
    // Act
    const outcome = parseLine(line, contextFor('syslog', 1, { now: NOW }));
    // Assess
    expect(summary(outcome)).toBe(expected);
  });

  it.each([
    ['an exit line cut short', 'Nov 25 00:47:02 backup01 systemd[1]: backup.service: Main process exited, code=exi', /^systemd process-exit line without code= and status= \(cut short\?\)/],
    ['an exit status out of range', 'Nov 25 00:47:02 backup01 systemd[1]: backup.service: Main process exited, code=exited, status=99999999999999999999/n/a', /^systemd process-exit line with a status out of range: status=99999999999999999999$/],
    ['a result line cut short', 'Nov 25 00:47:03 backup01 systemd[1]: backup.service: Failed with res', /^systemd result line without its result \(cut short\?\)/],
    ['an unparseable date', "Oct  5 25:30:01 web1 systemd[1]: backup.service: Failed with result 'exit-code'.", /^systemd line with an unparseable date "Oct {2}5 25:30:01"$/],
  ])('rejects %s with a reason', (_, line, reason) => {
    const outcome = parseLine(line, contextFor('syslog', 1, { now: NOW }));
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.reason).toMatch(reason);
  });

  it("ignores another program's lines that look like systemd's", () => {
    const line = 'Nov 25 00:47:06 backup01 backup.sh[9120]: Started upload of 1214 objects.';
    expect(parseLine(line, contextFor('syslog', 1, { now: NOW }))).toEqual({ kind: 'unrecognised' });
  });
});
