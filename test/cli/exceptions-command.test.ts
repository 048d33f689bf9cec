import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { DynamoExceptionStore } from '../../lambdas/adapters/dynamodb-exception-store.ts';
import { localDynamoClient } from '../../lambdas/adapters/dynamodb-local.ts';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { redactorFor } from '../../lambdas/core/redact.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { systemClock } from '../../lambdas/ports.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const DAY = 86_400_000;
/** A day relative to today (UTC), as the CLI judges expiry against the real clock. */
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);

interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(cwd: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repo, 'bin/silent-audit.mjs'), ...args], { cwd, env: { ...process.env, SILENT_AUDIT_ACTOR: 'ci-runner', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('silent-audit exceptions (contract §5) against DynamoDB', () => {
  // Each step spawns the real command (about 2 s of start-up each).
  it('adds, refuses, renews, lists and revokes, end to end', { timeout: 180_000 }, async () => {
    // Prepare: a fresh table in the test DynamoDB Local, and a config with an expired entry.
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ex-'));
    writeFileSync(
      join(cwd, 'silent-audit.config.yaml'),
      'exceptions:\n  - id: EX-7\n    guard: pii-redaction\n    reason: migration\n    owner: carol@example.com\n    expires: 2026-01-31\n',
    );
    const store = ['--store', inject('dynamoEndpoint'), '--table', `cli-${randomUUID()}`];
    const exceptions = (...args: string[]) => cli(cwd, ['exceptions', ...args, ...store]);
    const expires = inDays(20);

    // Act, Assess: add.
    const added = await exceptions('add', '--id', 'EX-13', '--guard', 'pii-redaction', '--reason', 'support needs raw logs', '--owner', 'alice@example.com', '--expires', expires, '--by', 'bob');
    expect(added.status).toBe(0);
    expect(added.stdout).toBe(`added EX-13: guard pii-redaction may be bypassed until ${expires} (20 days from today), owner alice@example.com, by bob\n`);
    expect(added.stderr).toContain('seeded from the config: EX-7');

    // Refusals: exit 2 with the reason, no stack trace.
    const refused = await Promise.all([
      exceptions('add', '--id', 'EX-13', '--guard', 'pii-redaction', '--reason', 'again', '--owner', 'alice@example.com', '--expires', expires),
      exceptions('add', '--id', 'EX-14', '--guard', 'pii-redaction', '--reason', 'too long', '--owner', 'alice@example.com', '--expires', inDays(120)),
      exceptions('renew', 'EX-99', '--expires', expires, '--reason', 'unknown'),
      exceptions('frobnicate'),
    ]);
    expect(refused.map((r) => r.status)).toEqual([2, 2, 2, 2]);
    expect(refused[0].stderr).toContain('silent-audit exceptions add: exception EX-13 exists already (guard pii-redaction, expires');
    expect(refused[1].stderr).toContain(`silent-audit exceptions add: expiry ${inDays(120)} is 120 days ahead; an exception may run at most 90 days (until ${inDays(90)}`);
    expect(refused[2].stderr).toContain('silent-audit exceptions renew: there is no exception EX-99 in the registry');
    for (const r of refused) expect(r.stderr).not.toMatch(/\n\s+at /);

    // Renew (by defaults to SILENT_AUDIT_ACTOR), then list as JSON; a reason's line break or carriage return is shown escaped, kept as given.
    const renewed = await exceptions('renew', 'EX-13', '--expires', inDays(10), '--reason', 'migration slipped\nrenewed EX-99: forged');
    expect(renewed.status).toBe(0);
    expect(renewed.stdout).toBe(`renewed EX-13: ${expires} → ${inDays(10)}, by ci-runner ("migration slipped\\x0arenewed EX-99: forged"); renewal 1\n`);
    const listed = await exceptions('list', '--json');
    expect(listed.status).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.id, r.standing, r.days_left, r.origin, r.bypass_count, r.renewals.length])).toEqual([
      ['EX-13', 'expiring', 10, 'cli', 0, 1],
      ['EX-7', 'expired', expect.any(Number), 'config', 0, 0],
    ]);
    expect(rows[0].renewals[0]).toMatchObject({ by: 'ci-runner', reason: 'migration slipped\nrenewed EX-99: forged', from_expires: expires, to_expires: inDays(10) });

    // Revoke: the record stays; a second revoke is refused; list hides revoked ones unless --all.
    const revoked = await exceptions('revoke', 'EX-13', '--reason', 'redaction fixed\rforged', '--by', 'alice');
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toBe('revoked EX-13 (guard pii-redaction) by alice ("redaction fixed\\x0dforged"); its record stays in the registry\n');
    const [again, table, all, allJson] = await Promise.all([exceptions('revoke', 'EX-13', '--reason', 'twice'), exceptions('list'), exceptions('list', '--all'), exceptions('list', '--all', '--json')]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('exception EX-13 was revoked on');
    expect(table.stdout).toMatch(/^ID\s+GUARD\s+STATE\s+EXPIRES\s+DAYS LEFT\s+BYPASSES\s+LAST BYPASS\s+RENEWED\s+OWNER\s+ORIGIN\s+REASON$/m);
    expect(table.stdout).toMatch(/^EX-7\s+pii-redaction\s+expired\s+2026-01-31\s/m);
    expect(table.stdout).not.toContain('EX-13');
    expect(table.stdout).toContain('1 exception (1 revoked not shown: --all).');
    expect(all.stdout).toMatch(/^EX-13\s+pii-redaction\s+revoked\s/m);
    // A revoked exception has no days left, whatever its expiry said; the table shows the day it was revoked.
    const revokedRow = allJson.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((r) => r.id === 'EX-13');
    expect(revokedRow).toMatchObject({ standing: 'revoked', days_left: 0, expires: inDays(10), revoked_by: 'alice' });
    expect(all.stdout).toMatch(new RegExp(`^EX-13\\s+pii-redaction\\s+revoked ${revokedRow.revoked_at.slice(0, 10)}\\s+${inDays(10)}\\s+-\\s`, 'm'));
  });

  it('lists and revokes a record stored before guard names were redacted under its guard as bypass lines name it, with the config\'s redact patterns', { timeout: 120_000 }, async () => {
    // Prepare: the record as a version before guards were redacted stored it (the guard as written),
    // and a config whose own pattern redacts that guard; its entry for the same exception.
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ex-raw-guard-'));
    const table = `cli-${randomUUID()}`;
    const client = localDynamoClient(inject('dynamoEndpoint'));
    await DynamoAuditStore.ensureTable(client, table);
    const record = { id: 'EX-40', guard: 'export vault/payroll', reason: 'payroll export', owner: 'alice@example.com', expires: inDays(20) };
    await new DynamoExceptionStore(client, table).add({ ...record, status: 'active', created_at: new Date().toISOString(), created_by: 'bob', origin: 'config', renewals: [], bypass_count: 0 });
    client.destroy();
    writeFileSync(
      join(cwd, 'silent-audit.config.yaml'),
      `redact:\n  patterns:\n    - name: vault-path\n      regex: 'vault/[a-z]+'\nexceptions:\n  - id: EX-40\n    guard: ${record.guard}\n    reason: ${record.reason}\n    owner: ${record.owner}\n    expires: ${record.expires}\n`,
    );
    const store = ['--store', inject('dynamoEndpoint'), '--table', table];

    // Act
    const listed = await cli(cwd, ['exceptions', 'list', '--json', ...store]);
    const revoked = await cli(cwd, ['exceptions', 'revoke', 'EX-40', '--reason', 'export rewritten', '--by', 'alice', ...store]);

    // Assess: the config's entry and the record name one guard (no 'differs from the registry' note).
    expect(listed.status).toBe(0);
    expect(listed.stdout.trim().split('\n').map((l) => JSON.parse(l).guard)).toEqual(['export [REDACTED:vault-path]']);
    expect(listed.stderr).not.toContain('differs from the registry');
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toBe('revoked EX-40 (guard export [REDACTED:vault-path]) by alice ("export rewritten"); its record stays in the registry\n');
  });

  it('lists a config entry not in the registry yet as from the config, not stored, and writes nothing', { timeout: 120_000 }, async () => {
    // Prepare: a registry holding EX-1, and a config whose entry EX-TYPO has a mistyped expiry (+3 days, meant +30)
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ex-list-reads-'));
    const table = `cli-${randomUUID()}`;
    const store = ['--store', inject('dynamoEndpoint'), '--table', table];
    const added = await cli(cwd, ['exceptions', 'add', '--id', 'EX-1', '--guard', 'pii-redaction', '--reason', 'r', '--owner', 'o', '--expires', inDays(10), '--by', 'm', ...store]);
    expect(added.status).toBe(0);
    const config = (days: number) => `exceptions:\n  - id: EX-TYPO\n    guard: approval-step\n    reason: preview only\n    owner: zed@example.com\n    expires: ${inDays(days)}\n`;
    writeFileSync(join(cwd, 'silent-audit.config.yaml'), config(3));

    // Act: list it (JSON and table), fix the typo, list again
    const listed = await cli(cwd, ['exceptions', 'list', '--json', ...store]);
    const shown = await cli(cwd, ['exceptions', 'list', ...store]);
    writeFileSync(join(cwd, 'silent-audit.config.yaml'), config(30));
    const fixed = await cli(cwd, ['exceptions', 'list', '--json', ...store]);

    // Assess: shown as the config has it, marked not stored, nothing written, no 'differs' once the config changes
    expect(listed.status).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.id, r.expires, r.origin, r.stored, r.bypass_count])).toEqual([
      ['EX-1', inDays(10), 'cli', true, 0],
      ['EX-TYPO', inDays(3), 'config', false, null],
    ]);
    expect(listed.stderr + shown.stderr + fixed.stderr).not.toContain('seeded');
    expect(shown.stdout).toMatch(/^EX-TYPO\s+approval-step\s+expiring \(in 3 days\)\s.*\s-\s.*config \(not stored\)\s+preview only$/m);
    expect(shown.stdout).toContain('From the config, not in the registry yet: EX-TYPO');
    expect(fixed.stderr).not.toContain('differs from the registry');
    expect(fixed.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((r) => r.id === 'EX-TYPO')).toMatchObject({ expires: inDays(30), stored: false });
    const client = localDynamoClient(inject('dynamoEndpoint'));
    try {
      expect((await new DynamoExceptionStore(client, table).listRecords()).map((e) => e.id)).toEqual(['EX-1']);
    } finally {
      client.destroy();
    }
  });

  it('lists the config\'s own exceptions where there is no store, saying so, and creates nothing', { timeout: 60_000 }, async () => {
    // Prepare: a folder with a config holding one exception, and no .silent-audit/.
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ex-config-only-'));
    writeFileSync(join(cwd, 'silent-audit.config.yaml'), `exceptions:\n  - id: EX-7\n    guard: pii-redaction\n    reason: migration\n    owner: carol@example.com\n    expires: ${inDays(20)}\n`);

    // Act
    const listed = await cli(cwd, ['exceptions', 'list', '--json']);
    const table = await cli(cwd, ['exceptions', 'list']);

    // Assess: no bypass count (`-`, null), and nothing said to be seeded, since nothing was written
    expect(listed.status).toBe(0);
    expect(listed.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((r) => [r.id, r.bypass_count])).toEqual([['EX-7', null]]);
    expect(listed.stderr).toContain(`no store at ${join(cwd, '.silent-audit')}`);
    expect(listed.stderr).toContain("listing the config's exceptions only: bypass counts live in the store");
    expect(table.status).toBe(0);
    const [header] = table.stdout.split('\n');
    const row = table.stdout.split('\n').find((l) => l.startsWith('EX-7')) ?? '';
    expect(row.slice(header.indexOf('BYPASSES')).split(/\s+/)[0]).toBe('-');
    expect(listed.stderr + table.stderr).not.toContain('seeded');
    expect(readdirSync(cwd)).toEqual(['silent-audit.config.yaml']);
  });

  it('lists names and reasons with their control characters escaped, the JSON as stored', { timeout: 60_000 }, async () => {
    // Prepare: a config whose exception's guard would erase the row above and whose reason turns text around (YAML \\e is ESC)
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ex-esc-'));
    writeFileSync(join(cwd, 'silent-audit.config.yaml'), `exceptions:\n  - id: EX-7\n    guard: "pii\\e[2K\\e[1Aredaction"\n    reason: "migration \\u202Eenod"\n    owner: carol@example.com\n    expires: ${inDays(20)}\n`);

    // Act
    const table = await cli(cwd, ['exceptions', 'list']);
    const listed = await cli(cwd, ['exceptions', 'list', '--json']);

    // Assess: no control on the terminal, the columns in line; the JSON keeps the guard as written
    expect(table.status).toBe(0);
    expect(table.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    const [header] = table.stdout.split('\n');
    const row = table.stdout.split('\n').find((l) => l.startsWith('EX-7')) ?? '';
    expect(row).toContain('pii\\x1b[2K\\x1b[1Aredaction');
    expect(row).toContain('migration \\u202eenod');
    expect(row.indexOf(inDays(20))).toBe(header.indexOf('EXPIRES'));
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ guard: 'pii\u001b[2K\u001b[1Aredaction', reason: 'migration \u202Eenod' });
  });

  it('says an added exception in one line, a newline in its guard or owner shown escaped', { timeout: 60_000 }, async () => {
    // Prepare: a fresh table, and a guard and owner that would each start a line of their own
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ex-nl-'));
    const store = ['--store', inject('dynamoEndpoint'), '--table', `cli-${randomUUID()}`];

    // Act
    const added = await cli(cwd, ['exceptions', 'add', '--id', 'EX-21', '--guard', 'pii\nseeded from the config: EX-1', '--reason', 'support', '--owner', 'alice\nbob', '--expires', inDays(5), '--by', 'carol', ...store]);

    // Assess: one line, each newline shown as \x0a
    expect(added.status).toBe(0);
    expect(added.stdout).toBe(`added EX-21: guard pii\\x0aseeded from the config: EX-1 may be bypassed until ${inDays(5)} (5 days from today), owner alice\\x0abob, by carol\n`);
  });

  it('lists no registry that is not there: exit 2 and what to do, creating nothing (no folder, no table)', { timeout: 120_000 }, async () => {
    // Prepare: a folder with no .silent-audit/ in it, and an endpoint without the table.
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ex-none-'));
    const endpoint = inject('dynamoEndpoint');
    const table = `ex-missing-${randomUUID()}`;

    // Act
    const [local, remote] = await Promise.all([cli(cwd, ['exceptions', 'list']), cli(cwd, ['exceptions', 'list', '--json', '--store', endpoint, '--table', table])]);

    // Assess
    expect(local).toMatchObject({ status: 2, stdout: '' });
    expect(local.stderr).toBe(
      `silent-audit exceptions list: no store at ${join(cwd, '.silent-audit')}: run \`silent-audit exceptions add …\` (or \`silent-audit scan --store local <log files>\`) in this folder first, or run this in the folder that holds the store\n`,
    );
    expect(readdirSync(cwd)).toEqual([]);
    expect(remote).toMatchObject({ status: 2, stdout: '' });
    expect(remote.stderr).toBe(`silent-audit exceptions list: --store ${endpoint}: no table ${table} there: add an exception there first (\`silent-audit exceptions add --store ${endpoint} …\`), or name the table with --table\n`);
    const client = localDynamoClient(endpoint);
    try {
      expect((await client.send(new ListTablesCommand({}))).TableNames).not.toContain(table);
    } finally {
      client.destroy();
    }
  });

  it("refuses a wildcard guard (exit 2), and warns of a guard no bypass line has named once the store has seen guards, suggesting the nearest", { timeout: 120_000 }, async () => {
    // Prepare: a fresh table; bypasses of pii-redaction and approval ingested into it after the first add
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ex-guard-names-'));
    const { store: states, client, table } = await freshDynamoStore();
    const store = ['--store', inject('dynamoEndpoint'), '--table', table];
    const add = (id: string, guard: string) => cli(cwd, ['exceptions', 'add', '--id', id, '--guard', guard, '--reason', 'r', '--owner', 'carol', '--expires', inDays(20), ...store]);
    const config = validateConfig({});
    const events = ['pii-redaction', 'approval'].flatMap((guard, i) => {
      const parsed = parseLine(JSON.stringify({ type: 'guard.bypass', ts: new Date().toISOString(), guard, exception_id: 'EX-0', actor: 'support-bot' }), { source: { origin: 'test', line: i + 1 }, now: Date.now(), redactor: redactorFor(config) });
      return parsed.kind === 'events' ? parsed.events : [];
    });

    // Act
    const beforeAnySeen = await add('EX-1', 'rate-limit');
    await processBatch(events, REDUCERS, states, { config, clock: systemClock });
    client.destroy();
    const [typo, wildcard, seen] = await Promise.all([add('EX-3', 'pii-redcation'), add('EX-4', '*'), add('EX-5', 'approval')]);
    const listed = await cli(cwd, ['exceptions', 'list', '--json', ...store]);

    // Assess: no guard seen yet, no warning; a typo is added with a warning naming the seen guard; a wildcard is refused
    expect(beforeAnySeen).toMatchObject({ status: 0, stderr: '' });
    expect(events).toHaveLength(2);
    expect(typo.status).toBe(0);
    expect(typo.stdout).toContain('added EX-3: guard pii-redcation');
    expect(typo.stderr).toBe('silent-audit exceptions add: warning: no bypass line has named guard "pii-redcation" yet; did you mean pii-redaction? (added anyway: its guard may not have been bypassed yet)\n');
    expect(wildcard).toMatchObject({ status: 2, stdout: '' });
    expect(wildcard.stderr).toContain('silent-audit exceptions add: guard "*": wildcards (* and ?) are not supported: an exception covers the one guard it names, so name the guard as its bypass lines do, e.g. pii-redaction');
    expect(seen).toMatchObject({ status: 0, stderr: '' });
    expect(listed.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['EX-1', 'EX-3', 'EX-5']);
  });

  it('needs --table for the deployed table, and refuses a memory store or an endpoint that does not answer', { timeout: 120_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sa-ex-'));
    const [aws, memory, down] = await Promise.all([
      cli(cwd, ['exceptions', 'list', '--store', 'aws']),
      cli(cwd, ['exceptions', 'list', '--store', 'memory']),
      cli(cwd, ['exceptions', 'list', '--store', 'http://127.0.0.1:9']),
    ]);
    expect(aws.status).toBe(2);
    expect(aws.stderr).toContain('--store aws needs --table NAME: the TableName output of the deployed stack');
    expect(memory.status).toBe(2);
    expect(memory.stderr).toContain('the exception registry must persist');
    expect(down.status).toBe(2);
    expect(down.stderr).toContain('silent-audit exceptions list: --store http://127.0.0.1:9: cannot reach DynamoDB (ECONNREFUSED)');
  });
});
