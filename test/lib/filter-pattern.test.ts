import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LINE_PARSERS, parseLine } from '../../lambdas/core/parse/index.ts';
import {
  FILTER_PATTERN_MAX_LENGTH,
  SUBSCRIPTION_FILTER_TERMS,
  lineMayMatter,
  subscriptionFilterPattern,
} from '../../lambdas/core/filter-pattern.ts';

// Lines as the systems write them (contract §1; the syslog ones from the loghub corpus).
const LINES_THAT_MATTER: ReadonlyArray<[string, string]> = [
  [
    'run.end JSON behind a Lambda console prefix',
    '2026-10-03T06:00:01.123Z\t0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\tINFO\t{"type":"run.end","job":"nightly-backup","run_id":"r-1042","exit_code":0,"output_bytes":412}',
  ],
  ['bare run.start JSON', '{"type": "run.start", "job": "nightly-backup", "run_id": "r-1043"}'],
  ['agent.action JSON', '{"type":"agent.action","agent":"support-bot","run_id":"a-7","action":"llm_call","cost_usd":0.02}'],
  ['attempt JSON', '{"type":"attempt","route":"search-api","request_id":"q-1","attempt":2,"outcome":"timeout","latency_ms":3001}'],
  ['guard.bypass JSON', '{"type":"guard.bypass","guard":"pii-redaction","exception_id":"EX-12"}'],
  ['syslog CRON CMD', 'Oct  3 02:30:01 backup-host CRON[20934]: (root) CMD (/usr/local/bin/nightly-backup.sh)'],
  [
    'crond CMD behind a collector prefix',
    '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2916]: (root) CMD (run-parts /etc/cron.hourly)',
  ],
  ['cron script failure', 'Jun 20 04:02:54 combo logrotate: ALERT exited abnormally with [1]'],
  ['cron discarded output', 'Oct  3 02:30:02 backup-host CRON[20933]: (CRON) info (No MTA installed, discarding output)'],
  ['systemd Started', 'Oct  3 02:30:00 backup-host systemd[1]: Started backup.service - Nightly backup.'],
  ['systemd Main process exited', 'Oct  3 02:41:13 backup-host systemd[1]: backup.service: Main process exited, code=exited, status=1/FAILURE'],
  ['systemd Failed', "Oct  3 02:41:13 backup-host systemd[1]: backup.service: Failed with result 'exit-code'."],
  ['systemd 219 timeout', 'Oct  8 04:00:00 db01 systemd[1]: backup.service start operation timed out. Terminating.'],
  ['systemd 219 start-pre timeout', 'Oct  8 04:00:00 db01 systemd[1]: backup.service start-pre operation timed out. Terminating.'],
  ['systemd 219 failed state', 'Oct  8 04:00:00 db01 systemd[1]: Unit backup.service entered failed state.'],
  ['systemd 219 failed exec', 'Oct 23 02:30:01 db01 systemd[4242]: Failed at step EXEC spawning /usr/local/bin/backup.sh: No such file or directory'],
  ['systemd failed exec', 'Oct 23 02:30:00 web01 systemd[5152]: sync.service: Failed at step EXEC spawning /opt/bin/sync.sh: Permission denied'],
  ['systemd 219 failed chdir', 'Oct 23 02:30:01 db01 systemd[4242]: Failed at step CHDIR spawning /usr/local/bin/backup.sh: No such file or directory'],
  ['systemd failed user', 'Oct 24 02:30:00 web01 systemd[5152]: sync.service: Failed at step USER spawning /opt/bin/sync.sh: No such process'],
  ['systemd Deactivated', 'Oct  3 02:41:13 backup-host systemd[1]: backup.service: Deactivated successfully.'],
  [
    'journalctl -o json record',
    '{"__REALTIME_TIMESTAMP":"1759458073000000","_SYSTEMD_UNIT":"init.scope","UNIT":"backup.service","MESSAGE":"backup.service: Failed with result \'exit-code\'.","JOB_RESULT":"failed"}',
  ],
  [
    'Lambda REPORT',
    'REPORT RequestId: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\tDuration: 1234.56 ms\tBilled Duration: 1235 ms\tMemory Size: 256 MB\tMax Memory Used: 87 MB',
  ],
  ['Lambda START via aws logs tail', '2026-10-05T13:00:00.123000+00:00 2026/10/05/[$LATEST]ab12 START RequestId: 0f1e2d3c Version: $LATEST'],
  ['Lambda timeout', '2026-10-05T13:00:03.123Z 0f1e2d3c Task timed out after 3.00 seconds'],
  ['an older Lambda runtime\'s crash', '2019-03-01T10:00:01.234Z 52fdfc07-2182-154f-163f-5f0f9a621d72 Process exited before completing request'],
  ['an older Lambda runtime\'s crash after its REPORT', 'RequestId: 52fdfc07-2182-154f-163f-5f0f9a621d72 Process exited before completing request'],
  ['a Lambda runtime killed (out of memory)', 'RequestId: 52fdfc07-2182-154f-163f-5f0f9a621d72 Error: Runtime exited with error: signal: killed'],
  ['a Lambda runtime that exited without a reason', 'RequestId: 52fdfc07-2182-154f-163f-5f0f9a621d72 Error: Runtime exited without providing a reason'],
  [
    "the Python runtime's error record in Lambda's JSON log format",
    '{"timestamp": "2024-05-01T10:00:01Z", "level": "ERROR", "errorMessage": "division by zero", "errorType": "ZeroDivisionError", "requestId": "52fdfc07-2182-154f-163f-5f0f9a621d72", "stackTrace": ["  File \\"/var/task/app.py\\", line 3, in handler\\n"]}',
  ],
  ['Lambda JSON platform.report', '{"time":"2026-10-05T13:00:03.123Z","type":"platform.report","record":{"requestId":"0f1e2d3c","metrics":{"durationMs":3000}}}'],
];

const LINES_THAT_DO_NOT: ReadonlyArray<[string, string]> = [
  [
    'sshd authentication failure',
    'Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root',
  ],
  ['sshd accepted key', 'Oct  3 09:12:44 web-1 sshd[4411]: Accepted publickey for deploy from 10.0.0.7 port 52214 ssh2'],
  ['ftpd connection', 'Jun 17 07:07:00 combo ftpd[29504]: connection from 24.54.76.216 () at Fri Jun 17 07:07:00 2005'],
  ['application log', '2026-10-03T06:00:01.123Z\t0f1e2d3c\tINFO\tfetched 120 rows from orders'],
  ['lower-case cron word in prose', 'the cron job was moved to the new host'],
  ["an app's timeout no parser reads", 'Oct  8 04:00:00 app01 uploader[812]: s3 put failed: operation timed out'],
  ["dockerd's timeout", 'Oct  8 04:00:00 app01 dockerd[700]: level=error msg="pull failed: read tcp 10.0.0.5:443: operation timed out"'],
];

describe('subscriptionFilterPattern', () => {
  it('is CloudWatch Logs OR syntax: every term quoted and prefixed with ?', () => {
    // Prepare
    const orOfQuotedTerms = /^\?"[^"\\]+"(?: \?"[^"\\]+")*$/;

    // Act
    const pattern = subscriptionFilterPattern();

    // Assess
    expect(pattern).toMatch(orOfQuotedTerms);
    expect(pattern.split(' ?')).toHaveLength(SUBSCRIPTION_FILTER_TERMS.length);
    for (const term of SUBSCRIPTION_FILTER_TERMS) expect(pattern).toContain(`?"${term}"`);
  });

  it('stays under the 1024-character limit of CloudWatch Logs', () => {
    // Act
    const pattern = subscriptionFilterPattern();

    // Assess
    expect(FILTER_PATTERN_MAX_LENGTH).toBe(1024);
    expect(pattern.length).toBeLessThanOrEqual(FILTER_PATTERN_MAX_LENGTH);
  });

  it('covers the contract §1a event types, cron, systemd, Lambda platform lines and OpenTelemetry GenAI spans', () => {
    // Prepare
    const required = [
      'run.start', 'run.end', 'agent.start', 'agent.action', 'agent.end', 'tool.call', 'attempt', 'guard.bypass', 'audit.write',
      'CRON', 'crond', 'CROND', ') CMD (', 'exited abnormally',
      'Started', 'Finished', 'process exited', 'Failed with result', 'Deactivated successfully', 'Succeeded', 'Dependency failed', 'Reload failed',
      'START RequestId', 'END RequestId', 'REPORT RequestId', 'Task timed out', 'platform.start', 'platform.report',
      'gen_ai.operation.name',
    ];

    // Assess
    expect(SUBSCRIPTION_FILTER_TERMS).toEqual(expect.arrayContaining(required));
    expect(new Set(SUBSCRIPTION_FILTER_TERMS).size).toBe(SUBSCRIPTION_FILTER_TERMS.length);
  });

  it('refuses a term it cannot quote, and a pattern over the limit', () => {
    // Prepare
    const longTerms = Array.from({ length: 120 }, (_, i) => `term-number-${i}`);

    // Act and Assess
    expect(() => subscriptionFilterPattern(['say "hi"'])).toThrow(/double quote/);
    expect(() => subscriptionFilterPattern(['back\\slash'])).toThrow(/backslash/);
    expect(() => subscriptionFilterPattern([''])).toThrow(/non-empty/);
    expect(() => subscriptionFilterPattern(longTerms)).toThrow(/over CloudWatch Logs' limit of 1024/);
  });
});

describe('lineMayMatter', () => {
  it.each(LINES_THAT_MATTER)('passes %s', (_name, line) => {
    // Act and Assess
    expect(lineMayMatter(line)).toBe(true);
  });

  it.each(LINES_THAT_DO_NOT)('drops %s', (_name, line) => {
    // Act and Assess
    expect(lineMayMatter(line)).toBe(false);
  });

  it('matches case-sensitively, as CloudWatch Logs does', () => {
    // Act and Assess
    expect(lineMayMatter('Oct  3 02:30:00 host systemd[1]: started backup.service')).toBe(false);
    expect(lineMayMatter('Oct  3 02:30:00 host systemd[1]: Started backup.service')).toBe(true);
  });
});

describe('lines a container runtime, a log shipper or Lambda wrapped (Docker json-file, Kubernetes CRI, FireLens, the JSON log format)', () => {
  it.each(LINES_THAT_MATTER)('passes %s as a Docker record, its quotes escaped, and as a CRI record', (_name, line) => {
    // Prepare: Docker's json-file driver escapes the line as a JSON string (Go's encoder, which also escapes < > &)
    const docker = JSON.stringify({ log: `${line}\n`, stream: 'stdout', time: '2026-10-05T13:00:03.123456789Z' }).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    const cri = `2026-10-05T13:00:03.123456789Z stdout F ${line}`;
    // Act and Assess
    expect(lineMayMatter(docker)).toBe(true);
    expect(lineMayMatter(cri)).toBe(true);
  });

  it.each(LINES_THAT_MATTER)("passes %s as a log shipper's record (ECS FireLens), its quotes escaped", (_name, line) => {
    // Prepare
    const firelens = JSON.stringify({ container_id: 'abc123', container_name: 'app', log: line, source: 'stdout', ecs_cluster: 'c', ecs_task_arn: 'arn:aws:ecs:eu-west-1:123456789012:task/c/1' });
    // Act and Assess
    expect(lineMayMatter(firelens)).toBe(true);
  });

  it.each(LINES_THAT_MATTER)("passes %s as a line logged in Lambda's JSON log format, its quotes escaped", (_name, line) => {
    // Prepare: the function's logger wrote the line; Lambda put it in the message of its record
    const logged = JSON.stringify({ timestamp: '2026-10-05T13:00:03.123Z', level: 'INFO', requestId: '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', message: line });
    // Act and Assess
    expect(lineMayMatter(logged)).toBe(true);
  });

  it('holds no term that JSON escaping would change: a wrapped line keeps every term as it is', () => {
    // Act
    const changed = SUBSCRIPTION_FILTER_TERMS.filter((term) => JSON.stringify(term).slice(1, -1) !== term || /[<>&]/.test(term));
    // Assess
    expect(changed).toEqual([]);
  });
});

describe('journal records whose MESSAGE journalctl wrote as bytes', () => {
  /** A field as `journalctl -o json` prints text that is not printable UTF-8: its bytes. */
  const bytes = (text: string, encoding: BufferEncoding) => [...Buffer.from(text, encoding)];
  const record = (unit: string, identifier: string, message: number[]) => ({
    __CURSOR: 's=2f431ec4e9d54785a30d615cdf55832d;i=9;b=d9733860043a45f8aa52bc3873835096',
    __REALTIME_TIMESTAMP: '1790000000000000',
    _BOOT_ID: 'd9733860043a45f8aa52bc3873835096',
    _PID: identifier === 'systemd' ? '1' : '4242',
    SYSLOG_IDENTIFIER: identifier,
    _HOSTNAME: 'db01',
    ...(identifier === 'systemd' ? { UNIT: unit } : {}),
    MESSAGE: message,
  });
  /** systemd ≥ 246 writes compact JSON, as JSON.stringify does. */
  const compact = (r: Record<string, unknown>) => JSON.stringify(r);
  /** systemd < 246: `{ "K" : "v", "K" : [ 1, 2 ] }`. */
  const beforeSystemd246 = (r: Record<string, unknown>) =>
    `{ ${Object.entries(r).map(([k, v]) => `"${k}" : ${Array.isArray(v) ? `[ ${v.join(', ')} ]` : JSON.stringify(v)}`).join(', ')} }`;
  const started = record('backup.service', 'systemd', bytes('Started backup.service - \x1b[1mNightly backup\x1b[0m.', 'utf8'));
  const runEnd = record('', 'backup', bytes('{"type":"run.end","job":"backup","run_id":"r1","exit_code":0,"output_bytes":6,"output_tail":"écrit"}', 'latin1'));
  const cases: ReadonlyArray<[string, string, string]> = [
    ['systemd Started with an ANSI escape, systemd ≥ 246', compact(started), 'run.start'],
    ['systemd Started with an ANSI escape, systemd < 246', beforeSystemd246(started), 'run.start'],
    ['a run.end event in Latin-1, systemd ≥ 246', compact(runEnd), 'run.end'],
    ['a run.end event in Latin-1, systemd < 246', beforeSystemd246(runEnd), 'run.end'],
  ];

  it.each(cases)('passes %s, which the parser reads', (_name, line, type) => {
    // Act
    const outcome = parseLine(line, { source: { origin: 'journal.jsonl', line: 1 }, year: 2026, defaultJob: 'fixture' });

    // Assess: the parser decodes the bytes, so the filter must not drop the line before it.
    expect(outcome.kind === 'events' ? outcome.events.map((e) => e.body.type) : outcome).toEqual([type]);
    expect(line).not.toContain(type);
    expect(lineMayMatter(line)).toBe(true);
  });

  it('puts the array terms in the pattern CloudWatch Logs applies', () => {
    // Act
    const pattern = subscriptionFilterPattern();

    // Assess
    expect(pattern).toContain('?":["');
    expect(pattern).toContain('?" : [ "');
  });
});

/** The fixtures' log files, as systems write them (contract §1). */
const FIXTURES = join(import.meta.dirname, '../fixtures');
const FIXTURE_FILES = readdirSync(FIXTURES, { recursive: true, withFileTypes: true })
  .filter((d) => d.isFile() && !d.name.endsWith('.md') && !d.parentPath.split(/[\\/]/).includes('bad'))
  .map((d) => join(d.parentPath, d.name));

/** A fixture file's lines. */
function fixtureLines(file: string): string[] {
  const bytes = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8').split(/\r?\n/);
}

describe('every line a parser reads passes the filter', () => {
  const files = FIXTURE_FILES;

  it.each(files.map((f) => [f.slice(FIXTURES.length + 1), f]))('%s', (_name, file) => {
    // Prepare: the lines of the file that give events.
    const read = fixtureLines(file).filter((line, i) => {
      const outcome = parseLine(line, { source: { origin: file, line: i + 1 }, year: 2026, now: Date.parse('2026-12-01T00:00:00Z'), defaultJob: 'fixture' });
      return outcome.kind === 'events' && outcome.events.length > 0;
    });

    // Act
    const dropped = read.filter((line) => !lineMayMatter(line));

    // Assess: a line the filter drops never reaches the deployed ingest, nor scan --log-group.
    expect(dropped).toEqual([]);
  });
});

describe('every parser of LINE_PARSERS has fixture lines it reads, and the filter passes them', () => {
  // A parser's lines the filter drops never reach the deployed ingest, scan --log-group nor backfill;
  // the test above checks only the formats the fixtures hold, so each parser must have some.
  const fixtures = FIXTURE_FILES.flatMap((file) => fixtureLines(file).map((line, i) => ({ file: file.slice(FIXTURES.length + 1), line, number: i + 1 })));

  it.each(LINE_PARSERS.map((parser) => [parser.format, parser]))('%s', (format, parser) => {
    // Prepare: the fixture lines this parser reads alone, through every wrapper parseLine takes off.
    const read = fixtures.filter(({ file, line, number }) => {
      const outcome = parseLine(line, { source: { origin: file, line: number }, year: 2026, now: Date.parse('2026-12-01T00:00:00Z'), defaultJob: 'fixture' }, [parser]);
      return outcome.kind === 'events' && outcome.events.length > 0;
    });

    // Act
    const dropped = read.filter(({ line }) => !lineMayMatter(line)).map(({ file, number }) => `${file}:${number}`);

    // Assess
    expect(
      read.length,
      `the ${format} parser reads no line of test/fixtures/: add a fixture of its format (test/fixtures/<format>/…, with a README.md line on where it comes from), and a term of SUBSCRIPTION_FILTER_TERMS (lambdas/core/filter-pattern.ts) in its lines`,
    ).toBeGreaterThan(0);
    expect(dropped, `lines the ${format} parser reads that the subscription filter drops: add a term of SUBSCRIPTION_FILTER_TERMS that they hold`).toEqual([]);
  });
});
