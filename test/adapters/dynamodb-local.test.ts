import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../lambdas/adapters/dynamodb-local.ts';

const storeIn = () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'sa-dynamodb-local-')), 'dynamodb');
  mkdirSync(dir);
  return dir;
};

describe('startDynamoDbLocal with a database folder: one server shared, never a process that is not it', () => {
  it('neither uses nor signals an unrelated process that server.json names by pid alone', async () => {
    // Prepare: server.json (written where no start time is known) naming a pid now an unrelated program's
    const dir = storeIn();
    const unrelated = spawn('sleep', ['600']);
    const ended = new Promise<NodeJS.Signals | null>((r) => unrelated.once('exit', (_code, signal) => r(signal)));
    writeFileSync(join(dir, 'server.json'), JSON.stringify({ pid: unrelated.pid, port: 1, users: [] }));
    // Act
    const local = await startDynamoDbLocal({ dbPath: dir });
    await local.stop();
    // Assess: its own server, and the unrelated program still running
    expect(local.endpoint).not.toBe('http://127.0.0.1:1');
    expect(unrelated.exitCode).toBeNull();
    expect(unrelated.signalCode).toBeNull();
    unrelated.kill();
    expect(await ended).toBe('SIGTERM');
  }, 60_000);
});
