import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

async function scan(path: string) {
  return runScan({ paths: [path], config: DEFAULT_CONFIG, json: false, year: 2026, stdout: new PassThrough(), stderr: new PassThrough() });
}

/** What each finding says: its detector, job, time, failure and exit code. */
function described(findings: Awaited<ReturnType<typeof scan>>['findings']) {
  return findings.map((f) => [f.detector, f.subject, f.ts, f.evidence?.failure, f.evidence?.exit_code]);
}

describe("scanning systemd 219's (CentOS 7) failed runs: one finding each", () => {
  it('reports a start that timed out and one that failed to exec, once each', async () => {
    // Act
    const result = await scan(fixture('syslog/systemd-centos7-failures.log'));
    // Assess
    expect(described(result.findings)).toEqual([
      ['run-failed', 'backup.service', '2026-10-08T04:00:00Z', "systemd result 'timeout'", 1],
      ['run-failed', 'backup.service', '2026-10-23T02:30:01Z', 'exec failed: /usr/local/bin/backup.sh: No such file or directory', 203],
    ]);
  });

  it.each([
    ['without its exit line (syslog text: the EXEC line names no unit)', 'syslog/systemd-centos7-exec-failed.log', '2026-10-23T02:30:01Z', 1],
    ['with its exit line (journalctl -o json: the record names its UNIT)', 'journal/centos7-exec-failed.jsonl', '2026-10-23T02:30:00Z', 203],
  ])('reports a unit whose command could not be run, %s, failed for that reason', async (_, name, ts, exitCode) => {
    // Act
    const result = await scan(fixture(name));
    // Assess
    expect(described(result.findings)).toEqual([['run-failed', 'backup.service', ts, 'exec failed: /usr/local/bin/backup.sh: No such file or directory', exitCode]]);
  });

  it("gives two units failing in one second an EXEC line's reason only when its unit can be told, never the other unit's", async () => {
    // Act
    const result = await scan(fixture('syslog/systemd-centos7-exec-two-units.log'));
    // Assess
    expect(described(result.findings)).toEqual([
      // Two EXEC lines, two units that exited 203: which is whose cannot be told.
      ['run-failed', 'backup.service', '2026-10-24T02:30:01Z', undefined, 203],
      ['run-failed', 'export.service', '2026-10-24T02:30:01Z', undefined, 203],
      // One EXEC line, two units failing, neither with status=203/EXEC: neither takes it.
      ['run-failed', 'export.service', '2026-10-25T02:30:01Z', undefined, 1],
      ['run-failed', 'backup.service', '2026-10-25T02:30:01Z', "systemd result 'failed'", 1],
      // One EXEC line, one of the two units exited 203/EXEC: it is that unit's.
      ['run-failed', 'export.service', '2026-10-26T02:30:01Z', undefined, 1],
      ['run-failed', 'backup.service', '2026-10-26T02:30:01Z', 'exec failed: /usr/local/bin/backup.sh: No such file or directory', 203],
    ]);
  });

  it("ties a forked process's EXEC record with no UNIT to the unit its _SYSTEMD_UNIT names when two units exit 203 at once (journalctl -o json)", async () => {
    // Act
    const result = await scan(fixture('journal/centos7-exec-two-units-no-unit.jsonl'));
    // Assess
    expect(described(result.findings)).toEqual([
      ['run-failed', 'backup.service', '2026-10-23T02:30:00Z', 'exec failed: /usr/bin/docker: No such file or directory', 203],
      ['run-failed', 'export.service', '2026-10-23T02:30:00Z', undefined, 203],
    ]);
  });

  it("leaves an EXEC line's reason to no unit when none exited status=203/EXEC and the one failing logged its own exit", async () => {
    // Act
    const result = await scan(fixture('syslog/systemd-centos7-exec-other-unit.log'));
    // Assess
    expect(described(result.findings)).toEqual([['run-failed', 'export.service', '2026-10-23T02:30:01Z', undefined, 1]]);
  });

  it("reads a control process's exit (ExecStartPre) as its unit's own failure, with no rejection, and ties an EXEC line to it only by its status", async () => {
    // Act
    const result = await scan(fixture('syslog/systemd-centos7-control-exit.log'));
    // Assess
    expect(result.counts.rejected).toBe(0);
    expect(described(result.findings)).toEqual([
      // export.service's ExecStartPre exited 1: the EXEC line (another command's, ignored) is not its reason.
      ['run-failed', 'export.service', '2026-10-23T02:30:01Z', 'control process exited with status 1', 1],
      // backup.service's ExecStartPre could not be run: status=203, its reason.
      ['run-failed', 'backup.service', '2026-10-24T02:30:00Z', 'exec failed: /opt/bin/prep.sh: No such file or directory', 203],
    ]);
  });

  it.each([
    ['an ignored ExecStartPre=-… exited 1 (LogLevel=debug), the unit described', 'syslog/systemd-centos7-startpre-ignored.log'],
    ['an ignored ExecStartPre=-… exited 1 (LogLevel=debug), the unit named', 'syslog/systemd-centos7-startpre-ignored-named.log'],
    ['a failed ExecReload (the unit stays active)', 'syslog/systemd-centos7-reload-failed.log'],
    ['a failed ExecReload (newer systemd: `Reload failed for …`)', 'syslog/systemd-reload-failed.log'],
    ['an ExecReload killed by a signal (code=killed status=9)', 'syslog/systemd-centos7-reload-killed.log'],
    ['an ExecReload killed by a signal or dumping core (newer systemd: code=killed, code=dumped)', 'syslog/systemd-reload-killed.log'],
  ])("reports no failure when a control process's exit is not followed by its unit's failure: %s", async (_, name) => {
    // Act
    const result = await scan(fixture(name));
    // Assess
    expect(described(result.findings)).toEqual([]);
  });

  it("reads an ignored control process failure marked ` (ignored)` (not systemd's own ` (success)`, accepted alike) as no failure and no rejection, and a main process's failure still as one", async () => {
    // Act
    const result = await scan(fixture('syslog/systemd-startpre-ignored-suffix.log'));
    // Assess
    expect(result.counts.rejected).toBe(0);
    expect(described(result.findings)).toEqual([['run-failed', 'backup.service', '2026-12-08T03:00:04Z', undefined, 1]]);
  });

  it.each([
    [
      'syslog, newer wording after its control process exit: the exit keeps its reason and code, naming the reload',
      'syslog/systemd-reload-failed-then-failed.log',
      [['run-failed', 'backup.service', '2026-10-23T02:31:00Z', 'control process exited with status 1 (reload failed)', 1]],
    ],
    [
      'journalctl -o json, older wording (the description only, UNIT names the unit); a reload failing with no failure after it fails nothing',
      'journal/reload-failed.jsonl',
      [['run-failed', 'backup.service', '2026-10-24T02:31:00Z', 'reload failed', 1]],
    ],
    [
      'syslog, after its ExecReload failed to exec: the exec step keeps its reason and code (status=203/EXEC)',
      'syslog/systemd-reload-exec-failed.log',
      [['run-failed', 'backup.service', '2026-10-23T02:31:00Z', 'exec failed: /opt/bin/reload.sh: No such file or directory', 203]],
    ],
    [
      'syslog, the line duplicated (a relay writing it twice): the reload named once',
      'syslog/systemd-reload-failed-duplicated.log',
      [['run-failed', 'backup.service', '2026-10-23T02:31:00Z', 'control process exited with status 1 (reload failed)', 1]],
    ],
    [
      'syslog, older wording (the description only): the unit of the control process exit just before it on the host',
      'syslog/systemd-reload-failed-description.log',
      [['run-failed', 'backup.service', '2026-10-23T02:31:00Z', 'control process exited with status 1 (reload failed)', 1]],
    ],
    [
      'syslog, 2 s after its control process exit (a syslog relay delaying it): the exit keeps its reason and code, naming the reload',
      'syslog/systemd-reload-failed-skewed.log',
      [['run-failed', 'backup.service', '2026-10-23T02:31:00Z', 'control process exited with status 2 (reload failed)', 2]],
    ],
    [
      "syslog, older wording (the description only), then another unit starting and failing 1.4 s after it: still the unit of the control process exit just before it, another unit's exit after it never counted",
      'syslog/systemd-reload-failed-description-then-other-start.log',
      [
        ['run-failed', 'api.service', '2026-10-23T02:30:01Z', 'control process exited with status 3', 3],
        ['run-failed', 'backup.service', '2026-10-23T02:31:00Z', 'control process exited with status 1 (reload failed)', 1],
      ],
    ],
  ])("reads a failed reload (`Reload failed for …`) as the reason of its unit's next failure, no failure itself: %s", async (_, name, expected) => {
    // Act
    const result = await scan(fixture(name));
    // Assess
    expect(result.counts.rejected + result.counts.unrecognised).toBe(0);
    expect(described(result.findings)).toEqual(expected);
  });

  it.each([
    [
      "another unit's control process exit just before it, that unit having logged its own result since (its start failed)",
      'syslog/systemd-reload-failed-description-other-unit.log',
      [
        ['run-failed', 'api.service', '2026-10-23T02:30:00Z', 'control process exited with status 1', 1],
        ['run-failed', 'api.service', '2026-10-23T02:35:00Z', "systemd result 'exit-code'", 1],
      ],
    ],
    [
      "two units' control process exits within a second before it",
      'syslog/systemd-reload-failed-description-two-units.log',
      [
        ['run-failed', 'backup.service', '2026-10-23T02:31:00Z', 'control process exited with status 1', 1],
        ['run-failed', 'api.service', '2026-10-23T02:32:00Z', 'control process exited with status 2', 2],
      ],
    ],
    [
      'its control process exit written in the same second after it (lines swapped): the exit keeps its finding, with no reload note',
      'syslog/systemd-reload-failed-description-swapped.log',
      [['run-failed', 'backup.service', '2026-10-23T02:31:00Z', 'control process exited with status 1', 1]],
    ],
    [
      'its control process exit written 2 s after it (lines out of order): the exit keeps its finding, with no reload note',
      'syslog/systemd-reload-failed-description-late-exit.log',
      [['run-failed', 'backup.service', '2026-10-23T02:31:00Z', 'control process exited with status 1', 1]],
    ],
    [
      "no control process exit before it, another unit starting and failing 1.4 s after it: that unit's failure keeps its own reason, with no reload note",
      'syslog/systemd-reload-failed-description-no-exit-then-other-start.log',
      [
        ['run-failed', 'api.service', '2026-10-23T02:30:01Z', 'control process exited with status 3', 3],
        ['run-failed', 'backup.service', '2026-10-23T02:31:00Z', "systemd result 'exit-code'", 1],
      ],
    ],
  ])("leaves a failed reload naming only its description (`Reload failed for D.`) untied, no unit's reason, with %s", async (_, name, expected) => {
    // Act
    const result = await scan(fixture(name));
    // Assess
    expect(described(result.findings)).toEqual(expected);
  });

  it.each([
    [
      "systemd 219's, then its unit's failed state (a start-pre timeout's kill keeps the timeout)",
      'syslog/systemd-centos7-control-killed.log',
      [
        ['run-failed', 'backup.service', '2026-10-23T02:30:05Z', 'control process killed by signal 9', 1],
        ['run-failed', 'backup.service', '2026-10-24T02:31:30Z', "systemd result 'timeout'", 1],
      ],
    ],
    [
      "newer systemd's, then its unit's result 'signal' or 'core-dump'",
      'syslog/systemd-control-killed.log',
      [
        ['run-failed', 'export.service', '2026-10-23T02:30:05Z', 'control process killed by signal KILL', 1],
        ['run-failed', 'export.service', '2026-10-24T02:30:02Z', 'control process dumped core on signal SEGV', 1],
      ],
    ],
  ])("reports a control process killed by a signal as one failure of its unit, when its unit's failure follows: %s", async (_, name, expected) => {
    // Act
    const result = await scan(fixture(name));
    // Assess
    expect(described(result.findings.filter((f) => f.detector === 'run-failed'))).toEqual(expected);
  });

  it.each([
    ['ignores SIGTERM and is killed 90 s later', 'syslog/systemd-centos7-timeout-killed.log', '2026-10-08T04:01:30Z', 1],
    ['traps SIGTERM and exits 143 15 s later', 'syslog/systemd-centos7-timeout-trapped.log', '2026-10-08T04:00:15Z', 143],
    ['ignores SIGTERM and is killed 90 s later (journalctl -o json)', 'journal/centos7-timeout-killed.jsonl', '2026-10-08T04:01:30Z', 1],
  ])('reports a start that timed out and whose process %s as one timeout, when it died', async (_, name, ts, exitCode) => {
    // Act
    const result = await scan(fixture(name));
    // Assess
    expect(described(result.findings.filter((f) => f.detector === 'run-failed'))).toEqual([['run-failed', 'backup.service', ts, "systemd result 'timeout'", exitCode]]);
  });
});

describe('scanning newer systemd\'s failed exec: the reason of its own unit', () => {
  it('reports two units that failed to exec in one second, each with its own reason', async () => {
    // Act
    const result = await scan(fixture('syslog/systemd-exec-failed.log'));
    // Assess
    expect(described(result.findings)).toEqual([
      ['run-failed', 'export.service', '2026-10-23T02:30:00Z', 'exec failed: /opt/bin/export.sh: No such file or directory', 203],
      ['run-failed', 'sync.service', '2026-10-23T02:30:00Z', 'exec failed: /opt/bin/sync.sh: Permission denied', 203],
    ]);
  });

  it("reports no failure when the unit ended successfully after it (an ignored ExecStartPre=-…'s failed exec)", async () => {
    // Act
    const result = await scan(fixture('syslog/systemd-exec-ignored.log'));
    // Assess
    expect(described(result.findings)).toEqual([]);
  });

  it("keeps a failure's own reason when an ignored ExecStartPre=-…'s failed exec came before it (exit 1, a timeout, a kill)", async () => {
    // Act
    const result = await scan(fixture('syslog/systemd-exec-ignored-then-failed.log'));
    // Assess
    expect(described(result.findings)).toEqual([
      ['run-failed', 'export.service', '2026-10-23T02:30:05Z', undefined, 1],
      ['run-failed', 'export.service', '2026-10-24T02:31:30Z', 'main process killed by signal TERM', 1],
      ['run-failed', 'export.service', '2026-10-25T02:30:40Z', 'main process killed by signal KILL', 1],
    ]);
  });

  it('reads the other steps of spawning alike (CHDIR, USER): their reason, tied by their own status', async () => {
    // Act
    const result = await scan(fixture('syslog/systemd-spawn-steps.log'));
    // Assess
    expect(result.counts.unrecognised).toBe(0);
    expect(described(result.findings)).toEqual([
      ['run-failed', 'backup.service', '2026-10-23T02:30:01Z', 'chdir failed: /usr/local/bin/backup.sh: No such file or directory', 200],
      ['run-failed', 'sync.service', '2026-10-24T02:30:00Z', 'user failed: /opt/bin/sync.sh: No such process', 217],
    ]);
  });
});
