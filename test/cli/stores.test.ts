import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore, StoreSpecError } from '../../lambdas/cli/stores.ts';

const cliPath = fileURLToPath(new URL('../../bin/silent-audit.mjs', import.meta.url));

/** The CLI in its own process in `cwd`, as a person at a terminal runs it. */
const cliIn =
  (cwd: string, env: NodeJS.ProcessEnv = {}) =>
  (args: string[]) =>
    new Promise<{ status: number | null; out: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env } });
      let out = '';
      let stderr = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => ((out += d), (stderr += d)));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, out, stderr }));
    });

describe('openStore: which --store a command takes', () => {
  it.each([
    ['aws', {}, /^--store aws: this command reads `local` or the URL of a DynamoDB endpoint \(http:\/\/host:port\), not the deployed table; the deployed table is read by `exceptions`, `snooze` and `mcp` with --store aws --table NAME/],
    ['ftp://x', {}, /^--store ftp:\/\/x: expected `local` or the URL of a DynamoDB endpoint \(http:\/\/host:port\)$/],
    ['aws', { acceptsAws: true }, /^--store aws needs --table NAME: the TableName output of the deployed stack/],
    ['ftp://x', { acceptsAws: true }, /^--store ftp:\/\/x: expected `local`, the URL of a DynamoDB endpoint \(http:\/\/host:port\), or `aws` with --table$/],
  ])('refuses --store %s (%o) in the terms of the command', async (spec, options, message) => {
    // Act
    const opening = openStore(spec, options);
    // Assess
    await expect(opening).rejects.toBeInstanceOf(StoreSpecError);
    await expect(opening).rejects.toThrow(message);
  });

  it("opens a DynamoDB store that keeps run records for the config's deploy.run_retention_days (400 when not given)", async () => {
    // Act: the deployed table (nothing is read or written here)
    const configured = await openStore('aws', { acceptsAws: true, table: 'silent-audit', runRetentionDays: 90 });
    const byDefault = await openStore('aws', { acceptsAws: true, table: 'silent-audit' });
    await Promise.all([configured.close(), byDefault.close()]);

    // Assess
    expect([configured.store.runRetentionDays, byDefault.store.runRetentionDays]).toEqual([90, 400]);
  });

  it("opens `local` (DynamoDB Local, which deletes no expired item) as keeping run records for good, so a report of logs older than deploy.run_retention_days says none may be gone", async () => {
    // Prepare
    const cwd = mkdtempSync(join(tmpdir(), 'sa-stores-local-'));
    // Act
    const local = await openStore('local', { cwd, runRetentionDays: 90 });
    await local.close();
    // Assess
    expect(local.store.runRetentionDays).toBeUndefined();
  }, 60_000);

  it('tells scan and report users that they read a local store or an endpoint, not the deployed table, with exit 2', () => {
    // Prepare
    const cwd = mkdtempSync(join(tmpdir(), 'sa-stores-'));
    writeFileSync(join(cwd, 'a.log'), '{"type":"run.start","job":"j","run_id":"r1","ts":"2026-10-01T00:00:00Z"}\n');
    // Act
    const runs = [
      ['scan', '--store', 'aws', 'a.log'],
      ['report', '--month', '2026-10', '--store', 'aws'],
    ].map((args) => spawnSync(process.execPath, [cliPath, ...args], { cwd, encoding: 'utf8' }));
    // Assess
    for (const run of runs) {
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('--store aws: this command reads `local` or the URL of a DynamoDB endpoint (http://host:port), not the deployed table');
      expect(run.stderr).not.toContain('needs --table');
    }
  });

  it('lets commands run at the same time in one folder share its `local` store: every write is kept, and the last one out stops DynamoDB Local', { timeout: 300_000 }, async () => {
    // Prepare: three people adding an exception at the same moment in the same folder.
    const cwd = mkdtempSync(join(tmpdir(), 'sa-stores-shared-'));
    const cli = cliIn(cwd);
    const expires = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    const add = (id: string) => cli(['exceptions', 'add', '--id', id, '--guard', 'approval', '--reason', `for ${id}`, '--owner', 'lead@example.com', '--expires', expires, '--by', id]);

    // Act
    const added = await Promise.all(['EX-1', 'EX-2', 'EX-3'].map(add));
    const listed = await cli(['exceptions', 'list', '--json']);

    // Assess
    expect(added.map((a) => [a.status, a.out])).toEqual(['EX-1', 'EX-2', 'EX-3'].map((id) => [0, expect.stringContaining(`added ${id}:`)]));
    expect(listed.status).toBe(0);
    expect(listed.out.trim().split('\n').map((line) => JSON.parse(line).id).sort()).toEqual(['EX-1', 'EX-2', 'EX-3']);
    expect(existsSync(join(cwd, '.silent-audit', 'dynamodb', 'server.json'))).toBe(false);
  });

  it.each(['C', 'tr_TR.UTF-8'])(
    'keeps a `local` store in a folder whose name is not ASCII under LC_ALL=%s (no UTF-8 locale, or one the host lacks)',
    { timeout: 120_000 },
    async (locale) => {
      // Prepare: Java reads file names in its locale's charset; under C it could not find `exü-…` ("Invalid directory for database creation").
      const cwd = mkdtempSync(join(tmpdir(), 'sa-stores-exü-'));
      const cli = cliIn(cwd, { LC_ALL: locale, LANG: locale });
      const expires = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);

      // Act
      const added = await cli(['exceptions', 'add', '--id', 'EX-1', '--guard', 'approval', '--reason', 'r', '--owner', 'lead@example.com', '--expires', expires]);
      const listed = await cli(['exceptions', 'list', '--json']);

      // Assess
      expect([added.status, added.stderr]).toEqual([0, '']);
      expect(listed.status).toBe(0);
      expect(listed.out.trim().split('\n').map((line) => JSON.parse(line).id)).toEqual(['EX-1']);
      expect(existsSync(join(cwd, '.silent-audit', 'dynamodb', 'shared-local-instance.db'))).toBe(true);
    },
  );

  it('runs scans into one `local` store one after another: each waits for the one before (saying so once), and every bypass is counted', { timeout: 300_000 }, async () => {
    // Prepare: three hosts' logs of 100 bypasses each under EX-1, scanned at the same moment in one folder.
    const cwd = mkdtempSync(join(tmpdir(), 'sa-stores-scans-'));
    const cli = cliIn(cwd);
    const expires = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    expect((await cli(['exceptions', 'add', '--id', 'EX-1', '--guard', 'pii-redaction', '--reason', 'r', '--owner', 'a@example.com', '--expires', expires])).status).toBe(0);
    // After the exception was added: only those count under it.
    const from = Date.now() + 60_000;
    for (const host of [1, 2, 3]) {
      const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ type: 'guard.bypass', ts: new Date(from + i * 1000).toISOString(), guard: 'pii-redaction', exception_id: 'EX-1', actor: `bot-${host}` }));
      writeFileSync(join(cwd, `host${host}.log`), `${lines.join('\n')}\n`);
    }

    // Act
    const scans = await Promise.all([1, 2, 3].map((host) => cli(['scan', '--store', 'local', `host${host}.log`])));
    const listed = await cli(['exceptions', 'list', '--json']);

    // Assess
    expect(scans.map((s) => [s.status === 0 || s.status === 1, s.stderr.match(/^.*changed while the scan ran.*$/m)?.[0]])).toEqual([[true, undefined], [true, undefined], [true, undefined]]);
    const waits = scans.flatMap((s) => s.stderr.match(/^silent-audit: waiting for another silent-audit scan using .* \(pid \d+\)$/gm) ?? []);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(scans.every((s) => (s.stderr.match(/waiting for another/g) ?? []).length <= 1)).toBe(true);
    expect(JSON.parse(listed.out.trim()).bypass_count).toBe(300);
    expect(existsSync(join(cwd, '.silent-audit', 'dynamodb', 'scan.lock'))).toBe(false);
  });

  it.runIf(existsSync('/proc/self/stat'))("takes no notice of a server.lock or server.json whose pid the system has since given to another process", { timeout: 120_000 }, async () => {
    // Prepare: left by processes killed long ago, their pids now live processes' (this test's and its parent), their start times others
    const cwd = mkdtempSync(join(tmpdir(), 'sa-stores-reused-'));
    const dir = join(cwd, '.silent-audit', 'dynamodb');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'server.lock'), `${process.ppid} 1`);
    writeFileSync(join(dir, 'server.json'), JSON.stringify({ pid: process.pid, started: '1', port: 9, users: [{ pid: process.ppid, started: '1' }] }));
    const expires = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);

    // Act
    const added = await Promise.race([
      cliIn(cwd)(['exceptions', 'add', '--id', 'EX-1', '--guard', 'approval', '--reason', 'r', '--owner', 'lead@example.com', '--expires', expires]),
      new Promise<{ status: string; out: string }>((resolve) => setTimeout(() => resolve({ status: 'still waiting after 60 s', out: '' }), 60_000)),
    ]);

    // Assess
    expect([added.status, added.out]).toEqual([0, expect.stringContaining('added EX-1:')]);
    expect(existsSync(join(dir, 'server.json'))).toBe(false);
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
  });
});
