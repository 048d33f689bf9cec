import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { localDynamoClient, startDynamoDbLocal } from '../adapters/dynamodb-local.ts';
import { holdLock } from '../adapters/pid-lock.ts';
import { DynamoExceptionStore } from '../adapters/dynamodb-exception-store.ts';
import { DynamoAuditStore } from '../adapters/dynamodb-store.ts';
import { MemoryExceptionStore } from '../adapters/memory-exception-store.ts';
import { MemoryAuditStore } from '../adapters/memory-store.ts';
import type { Config } from '../config.ts';
import { terminalText } from '../core/terminal-text.ts';
import type { ExceptionStore, FindingStore, RunRecordStore, StateStore, SubjectCatalog } from '../ports.ts';

export type AuditStore = StateStore & FindingStore & RunRecordStore & SubjectCatalog;

export interface OpenedStore {
  readonly store: AuditStore;
  /** The guard-bypass exception registry kept in the same store (its bypass counts from the guards' states); without it, the config's. */
  readonly exceptions?: ExceptionStore;
  /** Where it lives, for messages: `memory`, `DynamoDB Local (.silent-audit/dynamodb)`, an endpoint. */
  readonly description: string;
  readonly persistent: boolean;
  /** The DynamoDB table behind it (absent for memory), for stores kept in the same table (snoozes). */
  readonly dynamo?: { readonly client: DynamoDBClient; readonly table: string };
  close(): Promise<void>;
}

export const DEFAULT_TABLE = 'silent-audit';
export const LOCAL_STORE_DIR = '.silent-audit';

export interface OpenStoreOptions {
  /** The table (default `silent-audit`); required with `aws`. */
  readonly table?: string;
  readonly cwd?: string;
  /**
   * Whether the command reads the deployed table (`--store aws --table NAME`: exceptions, snooze,
   * mcp). `scan` and `report` do not (contract §6: `local` or an endpoint), and have no `--table`.
   */
  readonly acceptsAws?: boolean;
  /**
   * Read the store as it stands (mcp): never create the `local` folder or a missing table; a store
   * or table that is not there is a StoreSpecError instead of an empty audit passed off as a real one.
   */
  readonly readOnly?: boolean;
  /**
   * With readOnly: what to do when the store named `spec` is not there (the text after 'no store
   * at …: '). Default: scan log files into it first, or give log files.
   */
  readonly whenMissing?: (spec: string) => string;
  /**
   * The config's `redact`: the exception registry reads a record's guard as bypass lines name it
   * with these patterns too (a record stored before guards were redacted holds it as written).
   * @default the built-in rules only
   */
  readonly redact?: Config['redact'];
  /**
   * The config's `deploy.run_retention_days`: how long the DynamoDB store keeps the run records it
   * writes, and what it tells a report made from it (but `local`'s, DynamoDB Local, deletes none:
   * it tells the report they are kept for good).
   * @default DEFAULT_RUN_RETENTION_DAYS (400)
   */
  readonly runRetentionDays?: number;
  /**
   * For a command that reads the store, computes over files and saves (scan): `local` is held by
   * it alone until it is closed (`scan.lock` beside the database); another such command waits,
   * `onWait` told once of the process it waits for. Not for an endpoint, which may be anyone's.
   */
  readonly exclusive?: { readonly onWait: (waitingFor: string) => void };
}

/** What the DynamoDB Local of `local` keeps its tables in (`-sharedDb`). */
const LOCAL_DB_FILE = 'shared-local-instance.db';

/**
 * Contract §6 stores: none (memory, nothing written), `local` (DynamoDB Local, file-backed under
 * `.silent-audit/`, started and stopped here), the URL of any DynamoDB endpoint, or, for the
 * commands that take it, `aws`: the deployed table.
 */
export async function openStore(spec: string | undefined, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const expected = options.acceptsAws ? '`local`, the URL of a DynamoDB endpoint (http://host:port), or `aws` with --table' : '`local` or the URL of a DynamoDB endpoint (http://host:port)';
  if (spec === 'aws') {
    if (!options.acceptsAws) {
      throw new StoreSpecError(
        `--store aws: this command reads ${expected}, not the deployed table; the deployed table is read by \`exceptions\`, \`snooze\` and \`mcp\` with --store aws --table NAME, and its monthly report is written by the stack's report function`,
      );
    }
    if (!options.table) throw new StoreSpecError('--store aws needs --table NAME: the TableName output of the deployed stack (`aws cloudformation describe-stacks`)');
    const table = options.table;
    const client = new DynamoDBClient({ maxAttempts: 8 });
    const store = new DynamoAuditStore(client, table, { runRetentionDays: options.runRetentionDays });
    const exceptions = new DynamoExceptionStore(client, table, { states: store, redact: options.redact });
    return { store, exceptions, description: `DynamoDB table ${table} (AWS)`, persistent: true, dynamo: { client, table }, close: async () => client.destroy() };
  }
  const table = options.table ?? DEFAULT_TABLE;
  if (spec === undefined || spec === 'memory') {
    const store = new MemoryAuditStore();
    return { store, exceptions: new MemoryExceptionStore(store, { redact: options.redact }), description: 'memory (nothing is written)', persistent: false, close: async () => undefined };
  }
  if (spec === 'local') {
    const storeDir = join(options.cwd ?? process.cwd(), LOCAL_STORE_DIR);
    const dir = join(storeDir, 'dynamodb');
    const firstScan = options.whenMissing?.(spec) ?? `run \`silent-audit scan --store local <log files>\` in this folder first, or give log files`;
    if (options.readOnly && !existsSync(join(dir, LOCAL_DB_FILE))) throw new StoreMissingError(`no store at ${storeDir}: ${firstScan}`);
    const local = await startDynamoDbLocal({ dbPath: dir });
    const client = localDynamoClient(local.endpoint);
    let release = () => {};
    try {
      if (options.exclusive) release = await holdStore(dir, options.exclusive.onWait);
      if (options.readOnly) await requireTable(client, table, `no table ${table} in the store at ${storeDir}: ${firstScan}`);
      else await DynamoAuditStore.ensureTable(client, table);
    } catch (error) {
      release();
      await local.stop();
      throw error;
    }
    // DynamoDB Local never deletes an expired item: a report read from it has every run it was given (a scan of logs however old).
    const store = new DynamoAuditStore(client, table, { runRetentionDays: options.runRetentionDays, deletesExpired: false });
    return {
      store,
      exceptions: new DynamoExceptionStore(client, table, { states: store, redact: options.redact }),
      description: `DynamoDB Local (${dir})`,
      persistent: true,
      dynamo: { client, table },
      close: async () => {
        release();
        client.destroy();
        await local.stop();
      },
    };
  }
  if (/^https?:\/\//.test(spec)) {
    const client = localDynamoClient(spec);
    try {
      if (options.readOnly) {
        const hint = options.acceptsAws ? ', or name the table with --table' : '';
        const firstScan = options.whenMissing?.(spec) ?? `run \`silent-audit scan --store ${spec} <log files>\` first${hint}, or give log files`;
        await requireTable(client, table, `--store ${spec}: no table ${table} there: ${firstScan}`);
      } else await DynamoAuditStore.ensureTable(client, table);
    } catch (error) {
      client.destroy();
      throw error;
    }
    const store = new DynamoAuditStore(client, table, { runRetentionDays: options.runRetentionDays });
    const exceptions = new DynamoExceptionStore(client, table, { states: store, redact: options.redact });
    return { store, exceptions, description: `DynamoDB at ${spec}, table ${table}`, persistent: true, dynamo: { client, table }, close: async () => client.destroy() };
  }
  throw new StoreSpecError(`--store ${spec}: expected ${expected}`);
}

/** How long a scan waits for the one before it on the same `local` store. */
export const STORE_WAIT_MS = 30 * 60_000;

/**
 * Holds the `local` store in `dir` for one scan at a time: two that read the same subjects and save
 * them back at once would each refuse the other's save. A lock of a process gone is taken over.
 */
function holdStore(dir: string, onWait: (waitingFor: string) => void): Promise<() => void> {
  const file = join(dir, 'scan.lock');
  return holdLock(file, {
    timeoutMs: STORE_WAIT_MS,
    onWait: (holder) => onWait(`waiting for another silent-audit scan using ${dir} (pid ${holder.pid})`),
    timedOut: (holder) =>
      new StoreBusyError(
        `another silent-audit scan (pid ${holder.pid}) has been using ${dir} for ${STORE_WAIT_MS / 60_000} minutes: run this one again when it is done (if pid ${holder.pid} is no silent-audit scan, delete ${file})`,
      ),
  });
}

/** Fails with `missing` (a StoreSpecError) when the table is not there; creates nothing. */
async function requireTable(client: DynamoDBClient, table: string, missing: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) throw new StoreMissingError(missing);
    throw error;
  }
}

export class StoreSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreSpecError';
  }
}

/** A read-only open (`readOnly`) found no store, or no table, where it looked: nothing was created. */
/** The `local` store stayed held by another scan for STORE_WAIT_MS. */
export class StoreBusyError extends StoreSpecError {
  constructor(message: string) {
    super(message);
    this.name = 'StoreBusyError';
  }
}

export class StoreMissingError extends StoreSpecError {
  constructor(message: string) {
    super(message);
    this.name = 'StoreMissingError';
  }
}

/** An AWS or connection error in the user's terms (what to check), or undefined for anything else: a bug keeps its stack. */
export function storeProblem(error: unknown, description: string): string | undefined {
  const e = (error ?? {}) as { name?: string; code?: string; message?: string; cause?: { code?: string }; $metadata?: unknown };
  const name = e.name ?? '';
  const message = e.message ?? '';
  if (name === 'ResourceNotFoundException') return `${description}: the table does not exist here; pass the stack's TableName output with --table (and check the region, AWS_REGION)`;
  if (name === 'CredentialsProviderError') return `${description}: no AWS credentials found: set AWS_PROFILE, run \`aws sso login\`, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`;
  if (/Credentials|UnrecognizedClient|InvalidSignature|ExpiredToken|AccessDenied|NotAuthorized|^KMS/.test(name)) {
    return `${description}: AWS refused the request (${name}: ${message}); check your credentials (AWS_PROFILE, aws sso login) and that they may read and write the table and use its KMS key`;
  }
  if (/region is missing/i.test(message)) return `${description}: no AWS region is set; set AWS_REGION or a profile with a region`;
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || name === 'TimeoutError') return `${description}: cannot reach DynamoDB (${code ?? name}); is the endpoint running?`;
  if (e.$metadata !== undefined) return `${description}: DynamoDB refused the request: ${name}: ${message}`;
  return undefined;
}

/** What a `list` stands on where there is no store: the config's own entries, nothing to close. */
export interface ConfigOnlyStore {
  readonly description: string;
  close(): Promise<void>;
}

/**
 * Opens a store with `open`; for a read-only `list` where there is no store (StoreMissingError)
 * and the config holds entries of its own, writes the error and `note` to stderr and returns the
 * `configOnly` stores instead (exceptions list, snooze list): those entries are worth seeing still.
 * Any other error, or a config with nothing of its own, stays the error.
 */
export async function openOrConfigOnly<T, S extends object>(
  open: () => Promise<T>,
  fallback: { readonly readOnly: boolean; readonly configEntries: number; readonly note: string; readonly configOnly: () => S },
): Promise<T | (S & ConfigOnlyStore)> {
  try {
    return await open();
  } catch (error) {
    if (!(fallback.readOnly && error instanceof StoreMissingError && fallback.configEntries > 0)) throw error;
    process.stderr.write(`${terminalText(error.message)}\n${fallback.note}\n`);
    return { ...fallback.configOnly(), description: 'the config only (no store)', close: async () => undefined };
  }
}

/**
 * Runs one subcommand of a command that keeps its records in a store (exceptions, snooze): opens
 * the store, runs `work`, and turns a refusal (`refusal` gives its message) or a store problem
 * into a message on stderr and exit code 2; always closes what it opened.
 */
export async function runWithStore<T extends { readonly description: string; close(): Promise<void> }>(
  label: string,
  open: () => Promise<T>,
  work: (opened: T) => Promise<void>,
  refusal: (error: unknown) => string | undefined,
  storeLabel: string,
): Promise<void> {
  const fail = (problem: string) => {
    process.stderr.write(`silent-audit ${label}: ${terminalText(problem)}\n`);
    process.exitCode = 2;
  };
  let opened: T;
  try {
    opened = await open();
  } catch (error) {
    const problem = error instanceof StoreSpecError ? error.message : storeProblem(error, storeLabel);
    if (problem === undefined) throw error;
    return fail(problem);
  }
  try {
    await work(opened);
    process.exitCode = 0;
  } catch (error) {
    const problem = refusal(error) ?? storeProblem(error, opened.description);
    if (problem === undefined) throw error;
    fail(problem);
  } finally {
    await opened.close();
  }
}

/**
 * What to do when a registry command's `list` finds no store (`whenMissing`): add an entry (or
 * scan) there first. `command`: `exceptions` or `snooze`; `entry`: `an exception`, `a snooze`.
 */
export function addFirstHint(command: string, entry: string): (spec: string) => string {
  return (spec) =>
    spec === 'local'
      ? `run \`silent-audit ${command} add …\` (or \`silent-audit scan --store local <log files>\`) in this folder first, or run this in the folder that holds the store`
      : `add ${entry} there first (\`silent-audit ${command} add --store ${spec} …\`), or name the table with --table`;
}
