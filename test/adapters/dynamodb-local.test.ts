import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../lambdas/adapters/dynamodb-local.ts';
import { commandLine } from '../../lambdas/adapters/pid-lock.ts';

const storeIn = () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'sa-dynamodb-local-')), 'dynamodb');
  mkdirSync(dir);
  return dir;
};

/** The DynamoDB Local processes serving the database in `dir` (Linux). */
const serversOf = (dir: string) =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => commandLine(Number(pid))?.includes(`-dbPath ${dir} `))
    .map(Number);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Another process starting the shared server for `dir`: killed with -9 once its Java runs, before it answers. */
async function killedWhileStarting(dir: string): Promise<number[]> {
  const module = join(import.meta.dirname, '../../lambdas/adapters/dynamodb-local.ts');
  const starter = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(module)}).then((m) => m.startDynamoDbLocal({ dbPath: ${JSON.stringify(dir)} }))`]);
  const exited = new Promise((r) => starter.once('exit', r));
  while (serversOf(dir).length === 0) await sleep(20);
  starter.kill('SIGKILL');
  await exited;
  return serversOf(dir);
}

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

  it.runIf(existsSync('/proc/self/cmdline'))('uses the server of a command killed while it started it, and stops it as its last user', async () => {
    // Prepare: a command killed (-9) after it started the folder's server, before the server answered
    const dir = storeIn();
    const orphaned = await killedWhileStarting(dir);
    // Act
    const local = await startDynamoDbLocal({ dbPath: dir });
    const whileUsed = serversOf(dir);
    await local.stop();
    // Assess: that one server, no second beside it, and none left
    expect(orphaned).toHaveLength(1);
    expect(whileUsed).toEqual(orphaned);
    expect(serversOf(dir)).toEqual([]);
  }, 90_000);

  it.runIf(existsSync('/proc/self/cmdline'))('stops the server when its only user is ended with Ctrl-C, and that user ends of the SIGINT', async () => {
    // Prepare: the only command using the folder's server, running
    const dir = storeIn();
    const module = join(import.meta.dirname, '../../lambdas/adapters/dynamodb-local.ts');
    const user = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(module)}).then((m) => m.startDynamoDbLocal({ dbPath: ${JSON.stringify(dir)} })).then(() => { console.log('ready'); setInterval(() => {}, 1000); })`]);
    const ended = new Promise<NodeJS.Signals | null>((r) => user.once('exit', (_code, signal) => r(signal)));
    await new Promise((r) => user.stdout.once('data', r));
    const served = serversOf(dir);
    // Act
    user.kill('SIGINT');
    const signal = await ended;
    for (let tries = 0; serversOf(dir).length > 0 && tries < 100; tries++) await sleep(50);
    // Assess
    expect(served).toHaveLength(1);
    expect(signal).toBe('SIGINT');
    expect(serversOf(dir)).toEqual([]);
  }, 90_000);

  it.runIf(process.getuid?.() === 0 && existsSync('/usr/bin/setpriv'))('says plainly that a store folder this user cannot write is not writable', () => {
    // Prepare: a folder of root's, used by another user (nobody)
    const dir = storeIn();
    const module = join(import.meta.dirname, '../../lambdas/adapters/dynamodb-local.ts');
    const script = `import(${JSON.stringify(module)}).then((m) => m.startDynamoDbLocal({ dbPath: ${JSON.stringify(dir)} })).catch((e) => { console.log(e.name + ': ' + e.message); process.exit(2); })`;
    // Act
    const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } });
    // Assess
    expect(run.stdout).toContain(`DynamoDbLocalError: ${dir} is not writable (EACCES)`);
    expect(run.status).toBe(2);
  });
});
