import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../lambdas/adapters/dynamodb-local.ts';
import { type CliRun, cli } from '../helpers/cli-in-process.ts';

const HOUR = 3_600_000;

describe('silent-audit snooze add|list|end against DynamoDB', () => {
  const saved = process.env.SILENT_AUDIT_ACTOR;
  beforeEach(() => {
    process.env.SILENT_AUDIT_ACTOR = 'ci-runner';
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.SILENT_AUDIT_ACTOR;
    else process.env.SILENT_AUDIT_ACTOR = saved;
  });

  it('adds, refuses, lists (with the config’s) and ends snoozes', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sa-snooze-'));
    const config = join(dir, 'silent-audit.config.yaml');
    const until = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    writeFileSync(config, `snoozes:\n  - id: planned-move\n    subject: backup\n    owner: dba@example.com\n    reason: storage move\n    until: ${until}\n`);
    const common = ['--store', inject('dynamoEndpoint'), '--table', `snooze-${randomUUID()}`, '--config', config];

    // Act
    const added = await cli(['snooze', 'add', '--id', 'SZ-1', '--subject', 'etl', '--detector', 'run-failed', '--owner', 'alice@example.com', '--reason', 'vendor outage', '--until', '12h', ...common]);
    const refused = await cli(['snooze', 'add', '--subject', 'etl', '--owner', 'alice@example.com', '--reason', 'forever', ...common]);
    const tooLong = await cli(['snooze', 'add', '--subject', 'etl', '--owner', 'alice@example.com', '--reason', 'r', '--until', '45d', ...common]);
    const noSuchDay = await cli(['snooze', 'add', '--subject', 'etl', '--owner', 'alice@example.com', '--reason', 'r', '--until', '2026-02-31', ...common]);
    const listed = await cli(['snooze', 'list', '--json', ...common]);
    const ended = await cli(['snooze', 'end', 'SZ-1', '--reason', 'vendor back', ...common]);
    const again = await cli(['snooze', 'end', 'SZ-1', ...common]);
    const table = await cli(['snooze', 'list', ...common]);
    const all = await cli(['snooze', 'list', '--all', ...common]);

    // Assess
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^snoozed etl \(run-failed\) until \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z as SZ-1, owner alice@example\.com: findings are stored and reported, not alerted\n$/);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe('silent-audit snooze add: a snooze needs --until. A snooze without an end is a bypass, not a pause: give --until (e.g. 3d, at most the max).\n');
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/--until 45d: ends 45 days from now; a snooze may last at most 30 days \(defaults\.max_snooze_days\)/);
    expect(noSuchDay).toMatchObject({ code: 2, stdout: '' });
    expect(noSuchDay.stderr).toMatch(/--until 2026-02-31: there is no 2026-02-31: February 2026 has 28 days; give a date that exists/);
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.id, r.subject, r.standing, r.origin, r.created_by])).toEqual([
      ['SZ-1', 'etl', 'active', 'cli', 'ci-runner'],
      ['planned-move', 'backup', 'active', 'config', undefined],
    ]);
    expect(rows[0].hours_left).toBe(12);
    expect(Date.parse(rows[0].until) - Date.parse(rows[0].created_at)).toBe(12 * HOUR);
    expect(ended).toMatchObject({ code: 0, stdout: 'ended SZ-1 (etl) by ci-runner: its findings alert again\n' });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^silent-audit snooze end: snooze SZ-1 was ended already/);
    expect(table.stdout).toMatch(/^ID\s+SUBJECT\s+DETECTOR\s+STATE\s+UNTIL\s+HOURS LEFT\s+OWNER\s+ORIGIN\s+REASON$/m);
    expect(table.stdout).toMatch(/^planned-move\s+backup\s+\(all\)\s+active\s/m);
    expect(table.stdout).not.toContain('SZ-1');
    expect(all.stdout).toMatch(/^SZ-1\s+etl\s+run-failed\s+ended\s/m);
  });

  it('warns of a subject neither the config nor the store knows, naming the ones it looks like, and still adds it', async () => {
    // Prepare: nightly-backup is in the config, loader-<id> in the store (a scan of its log, into the endpoint's default table, as snooze's).
    const dir = mkdtempSync(join(tmpdir(), 'sa-snooze-'));
    const config = join(dir, 'silent-audit.config.yaml');
    writeFileSync(config, 'jobs:\n  nightly-backup:\n    schedule: "30 2 * * *"\nsnoozes: []\n');
    const id = randomUUID().slice(0, 8);
    const log = join(dir, 'loader.jsonl');
    writeFileSync(log, `${JSON.stringify({ type: 'run.start', ts: '2026-10-01T03:00:00Z', job: `loader-${id}`, run_id: 'e1' })}\n`);
    const common = ['--store', inject('dynamoEndpoint'), '--config', config];
    const scanned = await cli(['scan', ...common, log]);
    const add = (subject: string) => cli(['snooze', 'add', '--subject', subject, '--owner', 'a@example.com', '--reason', 'migration', '--until', '3d', ...common]);

    // Act
    const misspelt = await add('nightly-backp');
    const otherCase = await add('Nightly-Backup');
    const swapped = await add(`laoder-${id}`);
    const known = await add(`loader-${id}`);
    const unheardOf = await add(`brand-new-${id}`);
    const listed = await cli(['snooze', 'list', '--json', ...common]);

    // Assess
    expect(scanned.code).toBe(0);
    expect([misspelt.code, misspelt.stderr]).toEqual([
      0,
      'silent-audit snooze add: warning: no subject named "nightly-backp" is in the config or the store yet; did you mean nightly-backup? (snoozed anyway: it may not have logged yet)\n',
    ]);
    expect([otherCase.code, otherCase.stderr]).toEqual([
      0,
      'silent-audit snooze add: warning: no subject named "Nightly-Backup" is in the config or the store yet; did you mean nightly-backup? (snoozed anyway: it may not have logged yet)\n',
    ]);
    expect([swapped.code, swapped.stderr]).toEqual([0, expect.stringContaining(`; did you mean loader-${id}? (snoozed anyway`)]);
    expect([known.code, known.stderr]).toEqual([0, '']);
    expect(unheardOf.stderr).toBe(`silent-audit snooze add: warning: no subject named "brand-new-${id}" is in the config or the store yet (snoozed anyway: it may not have logged yet)\n`);
    const subjects = listed.stdout.trim().split('\n').map((l) => JSON.parse(l).subject as string);
    expect(subjects.filter((s) => s.includes(id) || s === 'nightly-backp').sort()).toEqual([`brand-new-${id}`, `laoder-${id}`, `loader-${id}`, 'nightly-backp']);
  });

  it('stores a subject written as the crontab command as its lines name the job: redacted with the config’s patterns too, no secret kept', async () => {
    // Prepare
    const config = join(mkdtempSync(join(tmpdir(), 'sa-snooze-')), 'silent-audit.config.yaml');
    writeFileSync(config, 'redact:\n  patterns:\n    - { name: employee-pin, regex: "EMP-PIN-\\\\d+" }\nsnoozes: []\n');
    const common = ['--store', inject('dynamoEndpoint'), '--table', `snooze-${randomUUID()}`, '--config', config];
    const add = (id: string, subject: string) => cli(['snooze', 'add', '--id', id, '--subject', subject, '--owner', 'a@example.com', '--reason', 'migration', '--until', '3d', ...common]);
    // Act
    const dump = await add('SZ-3', 'mysqldump -uroot -pS3cret appdb');
    const pin = await add('SZ-4', 'etl --pin EMP-PIN-4242');
    const listed = await cli(['snooze', 'list', '--json', ...common]);
    // Assess
    expect(dump).toMatchObject({ code: 0, stdout: expect.stringMatching(/^snoozed mysqldump -uroot -p\[REDACTED:cli-password\] appdb until /) });
    expect(pin).toMatchObject({ code: 0, stdout: expect.stringMatching(/^snoozed etl --pin \[REDACTED:employee-pin\] until /) });
    expect(listed.stdout.trim().split('\n').map((l) => JSON.parse(l).subject).sort()).toEqual(['etl --pin [REDACTED:employee-pin]', 'mysqldump -uroot -p[REDACTED:cli-password] appdb']);
    expect(listed.stdout).not.toMatch(/S3cret|EMP-PIN-4242/);
  });

  it('lists subjects and reasons with their control characters escaped, and says them so when added; the JSON as stored', async () => {
    // Prepare
    const config = join(mkdtempSync(join(tmpdir(), 'sa-snooze-')), 'silent-audit.config.yaml');
    writeFileSync(config, 'snoozes: []\n');
    const common = ['--store', inject('dynamoEndpoint'), '--table', `snooze-${randomUUID()}`, '--config', config];
    const subject = 'nightly\u001b[2K\u001b[1Aevil';
    // Act
    const added = await cli(['snooze', 'add', '--id', 'SZ-5', '--subject', subject, '--owner', 'a@example.com', '--reason', 'vendor\routage \u202Eenod', '--until', '3d', ...common]);
    const table = await cli(['snooze', 'list', ...common]);
    const json = await cli(['snooze', 'list', '--json', ...common]);
    // Assess
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^snoozed nightly\\x1b\[2K\\x1b\[1Aevil until /);
    expect(table.stdout + added.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    const [header] = table.stdout.split('\n');
    const row = table.stdout.split('\n').find((l) => l.startsWith('SZ-5')) ?? '';
    expect(row).toContain('vendor\\x0doutage \\u202eenod');
    expect(row.indexOf('(all)')).toBe(header.indexOf('DETECTOR'));
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ subject, reason: 'vendor\routage \u202Eenod' });
  });

  it('says an added and an ended snooze in one line each, a newline in its subject or owner shown escaped', async () => {
    // Prepare: a subject and an owner that would each start a line of their own
    const config = join(mkdtempSync(join(tmpdir(), 'sa-snooze-')), 'silent-audit.config.yaml');
    writeFileSync(config, 'snoozes: []\n');
    const common = ['--store', inject('dynamoEndpoint'), '--table', `snooze-${randomUUID()}`, '--config', config];
    // Act
    const added = await cli(['snooze', 'add', '--id', 'SZ-6', '--subject', 'nightly\nsnoozed other', '--owner', 'a@example.com\nb', '--reason', 'vendor outage', '--until', '3d', ...common]);
    const ended = await cli(['snooze', 'end', 'SZ-6', '--reason', 'fixed', '--by', 'carol\nmallory', ...common]);
    // Assess
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^snoozed nightly\\x0asnoozed other until \S+ as SZ-6, owner a@example\.com\\x0ab: findings are stored and reported, not alerted\n$/);
    expect(ended.stdout).toBe('ended SZ-6 (nightly\\x0asnoozed other) by carol\\x0amallory: its findings alert again\n');
  });

  it('shows no time left for a snooze ended early, and when it ended instead of the end it had planned', async () => {
    // Prepare: a 3-day snooze, ended at once
    const config = join(mkdtempSync(join(tmpdir(), 'sa-snooze-')), 'silent-audit.config.yaml');
    writeFileSync(config, 'snoozes: []\n');
    const common = ['--store', inject('dynamoEndpoint'), '--table', `snooze-${randomUUID()}`, '--config', config];
    await cli(['snooze', 'add', '--id', 'SZ-2', '--subject', 'demo-job', '--owner', 'a@example.com', '--reason', 'r', '--until', '3d', ...common]);
    await cli(['snooze', 'end', 'SZ-2', '--reason', 'done', ...common]);
    // Act
    const json = await cli(['snooze', 'list', '--all', '--json', ...common]);
    const table = await cli(['snooze', 'list', '--all', ...common]);
    // Assess
    const [row] = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(row).toMatchObject({ id: 'SZ-2', standing: 'ended', hours_left: 0, ended_by: 'ci-runner' });
    expect(Date.parse(row.until) - Date.parse(row.ended_at)).toBeGreaterThan(71 * HOUR);
    expect(table.stdout).toMatch(new RegExp(`^SZ-2\\s+demo-job\\s+\\(all\\)\\s+ended\\s+${row.ended_at.replace(/\./g, '\\.')}\\s+-\\s+a@example\\.com\\s`, 'm'));
    expect(table.stdout).not.toContain(row.until);
  });

  it("lists the config's own snoozes where there is no store, saying so, and creates nothing", async () => {
    // Prepare: a folder with a config holding one snooze, and no .silent-audit/.
    const dir = mkdtempSync(join(tmpdir(), 'sa-snooze-config-only-'));
    const until = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    writeFileSync(join(dir, 'silent-audit.config.yaml'), `snoozes:\n  - subject: nightly-backup\n    owner: carol@example.com\n    reason: migration week\n    until: ${until}\n`);
    const cwd = process.cwd();

    // Act
    process.chdir(dir);
    let run: CliRun;
    try {
      run = await cli(['snooze', 'list', '--json']);
    } finally {
      process.chdir(cwd);
    }

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').map((l) => JSON.parse(l).subject)).toEqual(['nightly-backup']);
    expect(run.stderr).toContain(`no store at ${join(dir, '.silent-audit')}`);
    expect(run.stderr).toContain("listing the config's snoozes only");
    expect(readdirSync(dir)).toEqual(['silent-audit.config.yaml']);
  });

  it('lists no store that is not there: exit 2 and what to do, creating nothing (no folder, no table)', async () => {
    // Prepare: a folder with no .silent-audit/ in it (the command's working folder), and an endpoint without the table.
    const dir = mkdtempSync(join(tmpdir(), 'sa-snooze-none-'));
    const endpoint = inject('dynamoEndpoint');
    const table = `snooze-missing-${randomUUID()}`;
    const cwd = process.cwd();

    // Act
    process.chdir(dir);
    let local: CliRun;
    let remote: CliRun;
    try {
      local = await cli(['snooze', 'list']);
      remote = await cli(['snooze', 'list', '--json', '--store', endpoint, '--table', table]);
    } finally {
      process.chdir(cwd);
    }

    // Assess
    expect(local).toMatchObject({ code: 2, stdout: '' });
    expect(local.stderr).toBe(
      `silent-audit snooze list: no store at ${join(dir, '.silent-audit')}: run \`silent-audit snooze add …\` (or \`silent-audit scan --store local <log files>\`) in this folder first, or run this in the folder that holds the store\n`,
    );
    expect(readdirSync(dir)).toEqual([]);
    expect(remote).toMatchObject({ code: 2, stdout: '' });
    expect(remote.stderr).toBe(`silent-audit snooze list: --store ${endpoint}: no table ${table} there: add a snooze there first (\`silent-audit snooze add --store ${endpoint} …\`), or name the table with --table\n`);
    const client = localDynamoClient(endpoint);
    try {
      expect((await client.send(new ListTablesCommand({}))).TableNames).not.toContain(table);
    } finally {
      client.destroy();
    }
  });

  it('refuses a store that does not persist', async () => {
    const run = await cli(['snooze', 'list', '--store', 'memory']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('silent-audit snooze list: --store memory: snoozes must persist; expected local, http://host:port or aws\n');
  });
});
