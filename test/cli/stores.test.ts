import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore, StoreSpecError } from '../../lambdas/cli/stores.ts';

const cliPath = fileURLToPath(new URL('../../bin/silent-audit.mjs', import.meta.url));

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
});
