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
      ['run-failed', 'backup.service', '2026-10-23T02:30:01Z', undefined, 203],
    ]);
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
