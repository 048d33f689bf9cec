import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_STATE_ITEM_BYTES } from '../../lambdas/adapters/dynamodb-store.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { DEFAULT_CONFIG, parseConfigText } from '../../lambdas/config.ts';
import { processBatch, type ReduceContext } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { eventsOf, parseFile } from '../parse/helpers.ts';

const NOW = Date.parse('2026-11-26T00:00:00Z');
const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => NOW } };

/** cronie's lines of one run in /var/log/cron (RFC 3164): CMD, its output with `-s` (CMDOUT), CMDEND, all from the job's pid. */
const BACKUP = [
  'Nov 25 03:00:01 db1 CROND[1234]: (root) CMD (/usr/local/bin/backup.sh)',
  'Nov 25 03:00:02 db1 CROND[1234]: (root) CMDOUT (starting backup of /srv)',
  'Nov 25 03:00:05 db1 CROND[1234]: (root) CMDOUT (Traceback (most recent call last):)',
  'Nov 25 03:00:05 db1 CROND[1234]: (root) CMDOUT (  File "/usr/local/bin/upload.py", line 3, in <module>)',
  'Nov 25 03:00:05 db1 CROND[1234]: (root) CMDOUT (ERROR: upload refused for password=hunter2hunter2)',
  'Nov 25 03:00:06 db1 CROND[1234]: (root) CMDEND (/usr/local/bin/backup.sh)',
];
/** A job that wrote nothing, with another job's run (another pid) between its CMD and CMDEND lines. */
const QUIET = [
  'Nov 25 03:05:01 db1 CROND[1300]: (root) CMD (/usr/local/bin/quiet.sh)',
  'Nov 25 03:05:01 db1 CROND[1301]: (root) CMD (/usr/local/bin/other.sh)',
  'Nov 25 03:05:02 db1 CROND[1301]: (root) CMDOUT (ERROR: other failed)',
  'Nov 25 03:05:03 db1 CROND[1300]: (root) CMDEND (/usr/local/bin/quiet.sh)',
];

function parsed(lines: readonly string[]) {
  return eventsOf(parseFile('/var/log/cron', lines, { year: 2026 }));
}

describe("cronie's CMDOUT and CMDEND lines in one batch", () => {
  it('reports an error marker in the output of a cronie job, from its CMDOUT lines, redacted, with its exit status unknown', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    // Act
    const result = await processBatch(parsed(BACKUP), REDUCERS, store, ctx);
    // Assess
    const found = result.findings.filter((f) => f.subject === '/usr/local/bin/backup.sh');
    expect(found.map((f) => f.detector)).toEqual(['error-keyword']);
    expect(found[0].run_id).toBe('db1:1234:2026-11-25T03:00:01.000Z');
    expect(found[0].message).toBe('ended (its exit status not logged) but its output holds the error marker "Traceback (most recent call last)": Traceback (most recent call last):');
    expect(found[0].source).toEqual({ file: '/var/log/cron' });
    const record = result.records?.find((r) => r.subject === '/usr/local/bin/backup.sh');
    expect(record).toMatchObject({ run_id: 'db1:1234:2026-11-25T03:00:01.000Z', duration_ms: 5000, status: 'ok', flagged: true });
    // Its exit status was not logged: the record claims none.
    expect(record?.exit_code).toBeUndefined();
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('ends the run of a quiet cronie job at its CMDEND with a duration: no empty-output (its exit is unknown), no run left open', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    // Act
    const result = await processBatch(parsed(QUIET), REDUCERS, store, ctx);
    // Assess
    expect(result.findings.filter((f) => f.subject === '/usr/local/bin/quiet.sh')).toEqual([]);
    expect(result.records?.filter((r) => r.subject === '/usr/local/bin/quiet.sh').map((r) => [r.run_id, r.duration_ms, r.status])).toEqual([
      ['db1:1300:2026-11-25T03:05:01.000Z', 2000, 'ok'],
    ]);
    const state = (await store.load(['job#/usr/local/bin/quiet.sh'])).get('job#/usr/local/bin/quiet.sh')?.state as { open: unknown[]; endsLogged: boolean } | undefined;
    expect(state).toMatchObject({ open: [], endsLogged: true });
  });
});

describe("cronie's CMDOUT and CMDEND lines across deliveries", () => {
  it('ends a cronie run whose CMD line came in an earlier delivery, with the output its CMDOUT lines logged in both', async () => {
    // Prepare: the CMD line and the first output lines in one delivery, the rest and CMDEND in the next
    const store = new MemoryAuditStore();
    const lines = parsed(BACKUP);
    const first = await processBatch(lines.slice(0, 3), REDUCERS, store, ctx);
    const inOne = await processBatch(lines, REDUCERS, new MemoryAuditStore(), ctx);
    // Act
    const second = await processBatch(lines.slice(3), REDUCERS, store, ctx);
    // Assess: as when all came in one delivery
    expect(first.findings).toEqual([]);
    expect(second.findings.map((f) => [f.detector, f.run_id, f.message])).toEqual([
      ['error-keyword', 'db1:1234:2026-11-25T03:00:01.000Z', 'ended (its exit status not logged) but its output holds the error marker "Traceback (most recent call last)": Traceback (most recent call last):'],
    ]);
    expect(second.records?.map((r) => [r.subject, r.duration_ms, r.output_bytes])).toEqual([['/usr/local/bin/backup.sh', 5000, inOne.records?.[0].output_bytes]]);
    expect(inOne.records?.[0].output_bytes).toBeGreaterThan(100);
    const host = (await store.load(['cronhost#db1'])).get('cronhost#db1')?.state as { outputs?: unknown[] };
    expect(host.outputs).toBeUndefined();
    const redelivered = await processBatch(lines.slice(3), REDUCERS, store, ctx);
    expect(redelivered.findings).toEqual([]);
  });

  it('keeps no output of a run whose CMD, CMDOUT and CMDEND lines came in one delivery', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    // Act
    await processBatch(parsed(BACKUP), REDUCERS, store, ctx);
    // Assess
    const host = (await store.load(['cronhost#db1'])).get('cronhost#db1')?.state as { starts: unknown[]; outputs?: unknown[] };
    expect(host.starts).toHaveLength(1);
    expect(host.outputs).toBeUndefined();
  });
});

/** A private key a cronie job printed, one CMDOUT line for each of its lines, with an error marker inside the block and one after it. */
const KEY_BODY = ['MIIEowIBAAKCAQEA1c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', 'FATAL c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2Vj'];
const KEY_PRINTED = [
  'Nov 25 03:00:01 db1 CROND[1234]: (root) CMD (/usr/local/bin/backup.sh)',
  ...['-----BEGIN RSA PRIVATE KEY-----', ...KEY_BODY, '-----END RSA PRIVATE KEY-----'].map((k) => `Nov 25 03:00:02 db1 CROND[1234]: (root) CMDOUT (${k})`),
  'Nov 25 03:00:03 db1 CROND[1234]: (root) CMDOUT (ERROR: key rejected)',
  'Nov 25 03:00:06 db1 CROND[1234]: (root) CMDEND (/usr/local/bin/backup.sh)',
];

describe("a private key in a cronie job's CMDOUT lines", () => {
  const leaks = (value: unknown) => KEY_BODY.some((line) => JSON.stringify(value).includes(line.slice(6, 40)));

  it('redacts the body of the key block, not only its BEGIN and END lines, in one delivery: no finding excerpt holds it', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    // Act
    const result = await processBatch(parsed(KEY_PRINTED), REDUCERS, store, ctx);
    // Assess: the marker after the block is reported; the one inside it went with the key
    expect(result.findings.map((f) => f.evidence)).toEqual([{ keyword: 'ERROR:', excerpt: 'ERROR: key rejected', where: 'head' }]);
    expect(leaks(result)).toBe(false);
  });

  it('redacts the body of the key block kept in the host state across deliveries, and in the run ended later', async () => {
    // Prepare: the CMD line and the key's BEGIN and first body line in one delivery, the rest in the next
    const store = new MemoryAuditStore();
    const lines = parsed(KEY_PRINTED);
    // Act
    await processBatch(lines.slice(0, 3), REDUCERS, store, ctx);
    const kept = (await store.load(['cronhost#db1'])).get('cronhost#db1')?.state;
    const second = await processBatch(lines.slice(3), REDUCERS, store, ctx);
    // Assess
    expect(leaks(kept)).toBe(false);
    expect(JSON.stringify(kept)).toContain('[REDACTED:private-key]');
    expect(second.findings.map((f) => f.evidence)).toEqual([{ keyword: 'ERROR:', excerpt: 'ERROR: key rejected', where: 'head' }]);
    expect(leaks(second)).toBe(false);
  });
});

describe("cronie's CMDOUT lines delivered again", () => {
  const RUN = [
    'Nov 25 03:00:01 db1 CROND[1234]: (root) CMD (/usr/local/bin/backup.sh)',
    'Nov 25 03:00:02 db1 CROND[1234]: (root) CMDOUT (line one)',
    'Nov 25 03:00:03 db1 CROND[1234]: (root) CMDOUT (line two)',
    'Nov 25 03:00:04 db1 CROND[1234]: (root) CMDOUT (line three)',
    'Nov 25 03:00:06 db1 CROND[1234]: (root) CMDEND (/usr/local/bin/backup.sh)',
  ];
  const outputOf = (r: { records?: readonly { output_bytes?: number; output_lines?: number }[] }) => r.records?.map((x) => [x.output_bytes, x.output_lines]);

  it('counts the output of a redelivered delivery once: its first (with the CMD line), or a later one before the latest line kept', async () => {
    // Prepare
    const lines = parsed(RUN);
    const inOne = await processBatch(lines, REDUCERS, new MemoryAuditStore(), ctx);
    const store = new MemoryAuditStore();
    // Act: the first delivery twice at once, the second again after the third
    await processBatch(lines.slice(0, 2), REDUCERS, store, ctx);
    await processBatch(lines.slice(0, 2), REDUCERS, store, ctx);
    await processBatch(lines.slice(2, 3), REDUCERS, store, ctx);
    await processBatch(lines.slice(3, 4), REDUCERS, store, ctx);
    await processBatch(lines.slice(2, 3), REDUCERS, store, ctx);
    await processBatch(lines.slice(0, 2), REDUCERS, store, ctx);
    const end = await processBatch(lines.slice(4), REDUCERS, store, ctx);
    // Assess
    expect(outputOf(end)).toEqual(outputOf(inOne));
  });

  it('counts the new lines of a batch that sends its CMD line again with lines after the latest line kept (a shipper resending from its checkpoint)', async () => {
    // Prepare: CMD and the first line, then the same two again with a new error line, then CMDEND
    const lines = parsed(BACKUP);
    const inOne = await processBatch(lines, REDUCERS, new MemoryAuditStore(), ctx);
    const store = new MemoryAuditStore();
    await processBatch(lines.slice(0, 2), REDUCERS, store, ctx);
    // Act
    await processBatch(lines.slice(0, 5), REDUCERS, store, ctx);
    const end = await processBatch(lines.slice(5), REDUCERS, store, ctx);
    // Assess: as when all came in one delivery
    expect(outputOf(end)).toEqual(outputOf(inOne));
    expect(end.findings.map((f) => f.detector)).toEqual(['error-keyword']);
  });

  it.each([
    ['one line', 4],
    ['two lines', 5],
  ])('counts the new lines of the second of the latest line kept (%s of it kept) in a batch that sends its CMD line again (syslog times are whole seconds)', async (_how, cut) => {
    // Prepare: CMD, a line and the first lines of 03:00:05; then all again from the CMD line, with the new lines of 03:00:05
    const lines = parsed(BACKUP);
    const inOne = await processBatch(lines, REDUCERS, new MemoryAuditStore(), ctx);
    const store = new MemoryAuditStore();
    await processBatch(lines.slice(0, cut - 1), REDUCERS, store, ctx);
    // Act
    await processBatch(lines.slice(0, 5), REDUCERS, store, ctx);
    await processBatch(lines.slice(0, 5), REDUCERS, store, ctx);
    const end = await processBatch(lines.slice(5), REDUCERS, store, ctx);
    // Assess: as when all came in one delivery, each line once
    expect(outputOf(end)).toEqual(outputOf(inOne));
    expect(end.findings.map((f) => f.detector)).toEqual(['error-keyword']);
  });

  it('keeps no output of a run already ended when its first delivery comes again', async () => {
    // Prepare
    const lines = parsed(RUN);
    const store = new MemoryAuditStore();
    await processBatch(lines.slice(0, 3), REDUCERS, store, ctx);
    await processBatch(lines.slice(3), REDUCERS, store, ctx);
    // Act
    await processBatch(lines.slice(0, 3), REDUCERS, store, ctx);
    // Assess
    const host = (await store.load(['cronhost#db1'])).get('cronhost#db1')?.state as { outputs?: unknown[] };
    expect(host.outputs).toBeUndefined();
  });
});

describe("a program's own error line in a cronie job's output", () => {
  it("reports vacuumdb's `vacuumdb: error:` line in the CMDOUT lines of test/fixtures/syslog/cron-rhel.log, its run's only failure sign", async () => {
    // Prepare
    const lines = readFileSync(new URL('../fixtures/syslog/cron-rhel.log', import.meta.url), 'utf8').split('\n').filter((l) => l !== '');
    // Act
    const result = await processBatch(eventsOf(parseFile('/var/log/cron', lines, { year: 2023 })), REDUCERS, new MemoryAuditStore(), ctx);
    // Assess
    expect(result.findings.map((f) => [f.detector, f.subject, f.message])).toEqual([
      [
        'error-keyword',
        '/usr/pgsql-15/bin/vacuumdb --all --analyze-in-stages --quiet',
        'ended (its exit status not logged) but its output holds the error marker "vacuumdb: error:": vacuumdb: error: could not connect to server: No such file or directory',
      ],
    ]);
  });
});

describe("a cron host's state with cronie output kept for many open runs", () => {
  it("stays within DynamoDB's item limit with 50 open runs of escaped output and 200 long CMD lines kept", async () => {
    // Prepare: 200 CMD lines of long commands, the newest 50 of which log output of backslashes (each written \\ in JSON)
    const command = (i: number) => `/usr/local/bin/job-${i}.sh ${'--option-value '.repeat(30)}`.trim();
    const cmd = Array.from({ length: 200 }, (_, i) => `Nov 25 03:00:01 db1 CROND[${1000 + i}]: (root) CMD (${command(i)})`);
    const out = Array.from({ length: 50 }, (_, i) => [1, 2, 3].map((n) => `Nov 25 03:00:0${1 + n} db1 CROND[${1150 + i}]: (root) CMDOUT (${'\\'.repeat(1500)}${n})`)).flat();
    const store = new MemoryAuditStore();
    // Act
    await processBatch(parsed(cmd), REDUCERS, store, ctx);
    await processBatch(parsed(out), REDUCERS, store, ctx);
    // Assess
    const state = (await store.load(['cronhost#db1'])).get('cronhost#db1')?.state as { starts: unknown[]; outputs?: unknown[] };
    expect(state.starts).toHaveLength(200);
    expect(state.outputs?.length).toBeGreaterThan(0);
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThanOrEqual(MAX_STATE_ITEM_BYTES);
  });
});

describe('a cronie run whose kept output the host let go', () => {
  const KEY_LINE = KEY_BODY[0];
  const config = parseConfigText('jobs:\n  /usr/local/bin/job1.sh:\n    schedule: "0 3 * * *"\n    expect_pattern: "synced \\\\d+ files"\n', 'c.yaml');
  const withPattern: ReduceContext = { config, clock: { now: () => NOW } };
  /** Run 1 logs its pattern and a key's BEGIN, then `runs` other runs log `lines` lines of `text` each: run 1's output is the oldest, let go. */
  const crowded = (runs: number, lines: number, text: string) => [
    ...Array.from({ length: runs + 1 }, (_, p) => `Nov 25 03:00:01 db1 CROND[${1001 + p}]: (root) CMD (/usr/local/bin/job${p + 1}.sh)`),
    'Nov 25 03:00:02 db1 CROND[1001]: (root) CMDOUT (synced 240 files)',
    'Nov 25 03:00:02 db1 CROND[1001]: (root) CMDOUT (-----BEGIN RSA PRIVATE KEY-----)',
    ...Array.from({ length: runs }, (_, p) => Array.from({ length: lines }, () => `Nov 25 03:00:03 db1 CROND[${1002 + p}]: (root) CMDOUT (${text})`)).flat(),
  ];
  const LATER = [
    `Nov 25 03:00:04 db1 CROND[1001]: (root) CMDOUT (${KEY_LINE})`,
    'Nov 25 03:00:04 db1 CROND[1001]: (root) CMDOUT (-----END RSA PRIVATE KEY-----)',
    'Nov 25 03:00:04 db1 CROND[1001]: (root) CMDOUT (cleanup done)',
  ];
  const END = ['Nov 25 03:00:05 db1 CROND[1001]: (root) CMDEND (/usr/local/bin/job1.sh)'];

  it.each([
    ['past the newest 50 runs', 50, 1, 'ok'],
    ['past 250 KB of kept output as JSON', 47, 12, '{"k":"v","a":"b","c":"d","e":"f"}'.repeat(12)],
  ])('keeps none of its later lines, the key body among them, and ends it with no output known (no expected-pattern-missing), its output let go %s', async (_why, runs, lines, text) => {
    // Prepare
    const store = new MemoryAuditStore();
    await processBatch(parsed(crowded(runs, lines, text)), REDUCERS, store, withPattern);
    // Act
    await processBatch(parsed(LATER), REDUCERS, store, withPattern);
    const host = (await store.load(['cronhost#db1'])).get('cronhost#db1')?.state as { outputs?: { pid: number }[] };
    const end = await processBatch(parsed(END), REDUCERS, store, withPattern);
    // Assess
    expect(JSON.stringify(host)).not.toContain(KEY_LINE.slice(6, 40));
    expect(host.outputs?.some((o) => o.pid === 1001)).toBe(false);
    expect(end.findings).toEqual([]);
    expect(end.records?.map((r) => [r.subject, r.output_bytes])).toEqual([['/usr/local/bin/job1.sh', undefined]]);
  });
});

describe("a cronie job's expect_pattern in the middle of its output, past the kept head and tail", () => {
  const config = parseConfigText('jobs:\n  /usr/local/bin/sync.sh:\n    schedule: "0 4 * * *"\n    expect_pattern: "synced \\\\d+ files"\n', 'c.yaml');
  const withPattern: ReduceContext = { config, clock: { now: () => NOW } };
  const copying = (from: number, text: string) => Array.from({ length: 60 }, (_, i) => `Nov 25 04:00:0${from} db1 CROND[2025]: (root) CMDOUT (${text} object-${i}.parquet ... ok)`);
  /** 8 KiB of output, the line `middle` between 60 lines before and 60 after: in neither the first nor the last 2 KiB. */
  const run = (middle: string) => [
    'Nov 25 04:00:01 db1 CROND[2025]: (root) CMD (/usr/local/bin/sync.sh)',
    ...copying(2, 'copying bucket-a to bucket-b'),
    `Nov 25 04:00:03 db1 CROND[2025]: (root) CMDOUT (${middle})`,
    ...copying(4, 'verifying bucket-b'),
    'Nov 25 04:00:05 db1 CROND[2025]: (root) CMDEND (/usr/local/bin/sync.sh)',
  ];
  const SYNCED = run('bucket-a: synced 60 files');
  const NOT_SYNCED = run('bucket-a: nothing to sync');

  it.each([
    ['in one delivery', [SYNCED.length]],
    ['across two deliveries, its line in the first', [70]],
    ['across two deliveries, its line in the second', [30]],
    ['across three deliveries, its line alone in the second', [61, 62]],
  ])('finds the pattern logged by a CMDOUT line in the middle %s: no expected-pattern-missing', async (_how, cuts) => {
    // Prepare
    const store = new MemoryAuditStore();
    const lines = parsed(SYNCED);
    const batches = [0, ...cuts, lines.length].slice(0, -1).map((from, i, all) => lines.slice(from, all[i + 1] ?? lines.length));
    // Act
    const findings = [];
    for (const batch of batches) findings.push(...(await processBatch(batch, REDUCERS, store, withPattern)).findings);
    // Assess
    expect(findings).toEqual([]);
    const host = (await store.load(['cronhost#db1'])).get('cronhost#db1')?.state as { outputs?: unknown[] };
    expect(host.outputs).toBeUndefined();
  });

  it.each([
    ['in one delivery', [NOT_SYNCED.length]],
    ['across two deliveries', [70]],
  ])('still reports expected-pattern-missing when no CMDOUT line logged the pattern %s', async (_how, cuts) => {
    // Prepare
    const store = new MemoryAuditStore();
    const lines = parsed(NOT_SYNCED);
    const batches = [0, ...cuts, lines.length].slice(0, -1).map((from, i, all) => lines.slice(from, all[i + 1] ?? lines.length));
    // Act
    const findings = [];
    for (const batch of batches) findings.push(...(await processBatch(batch, REDUCERS, store, withPattern)).findings);
    // Assess
    expect(findings.map((f) => [f.detector, f.run_id])).toEqual([['expected-pattern-missing', 'db1:2025:2026-11-25T04:00:01.000Z']]);
    expect(findings[0].message).toContain('in neither the head nor the tail');
  });

  it('tests the lines after its expect_pattern changed in the config mid-run against the new one: a line matched the old one', async () => {
    // Prepare: a line matched the old pattern in the first delivery; the new one is logged in the second, in the middle.
    const store = new MemoryAuditStore();
    const lines = parsed([
      'Nov 25 04:00:01 db1 CROND[2025]: (root) CMD (/usr/local/bin/sync.sh)',
      ...copying(2, 'copying bucket-a to bucket-b'),
      'Nov 25 04:00:03 db1 CROND[2025]: (root) CMDOUT (bucket-a: synced 60 files)',
      ...copying(4, 'copying bucket-c to bucket-d'),
      'Nov 25 04:00:05 db1 CROND[2025]: (root) CMDOUT (bucket-c: synced 60 files)',
      ...copying(6, 'verifying bucket-d'),
      'Nov 25 04:00:07 db1 CROND[2025]: (root) CMDEND (/usr/local/bin/sync.sh)',
    ]);
    const changed = parseConfigText('jobs:\n  /usr/local/bin/sync.sh:\n    schedule: "0 4 * * *"\n    expect_pattern: "bucket-c: synced \\\\d+"\n', 'c.yaml');
    // Act
    const first = await processBatch(lines.slice(0, 62), REDUCERS, store, withPattern);
    const second = await processBatch(lines.slice(62), REDUCERS, store, { config: changed, clock: { now: () => NOW } });
    // Assess
    expect([...first.findings, ...second.findings]).toEqual([]);
    expect(second.records?.map((r) => [r.subject, r.output_bytes])).toEqual([['/usr/local/bin/sync.sh', 9142]]);
  });
});
