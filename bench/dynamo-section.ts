import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClient, startDynamoDbLocal } from '../lambdas/adapters/dynamodb-local.ts';
import { DynamoExceptionStore } from '../lambdas/adapters/dynamodb-exception-store.ts';
import { DynamoAuditStore } from '../lambdas/adapters/dynamodb-store.ts';
import { validateConfig } from '../lambdas/config.ts';
import { ingestDelivery } from '../lambdas/core/ingest.ts';
import type { BenchPayload, Workload } from './workload.ts';

/**
 * DynamoDB requests per batch, counted by SDK middleware on a client pointed at DynamoDB Local:
 * requests and the items they carry (a BatchGetItem of N keys is 1 request reading N items; a
 * TransactWriteItems of N items is 1 request writing N), and per state key how often it was read
 * and written, so "≤ 1 read and ≤ 1 write per subject per batch" can be checked.
 */

export interface RequestCounts {
  /** Requests by operation (`BatchGetItem`, `TransactWriteItems`, `Query`, `UpdateItem`, …). */
  requests: Record<string, number>;
  /** Items read by BatchGetItem/GetItem, written by TransactWriteItems/BatchWriteItem/PutItem. */
  itemsRead: number;
  itemsWritten: number;
  /** State items (`STATE#…`) read and written, per key. */
  stateReads: Map<string, number>;
  stateWrites: Map<string, number>;
  /**
   * Capacity units the requests would consume on demand, from the item sizes: a strongly consistent
   * read is 1 RRU per 4 KB, and 1 for a key that finds nothing (a GSI query half that), a
   * transactional write 2 WRU per 1 KB, a plain write 1 WRU per 1 KB (an update is counted as 1).
   */
  rru: number;
  wru: number;
  /** Bytes of the state items written. */
  stateBytesWritten: number;
}

function emptyCounts(): RequestCounts {
  return { requests: {}, itemsRead: 0, itemsWritten: 0, stateReads: new Map(), stateWrites: new Map(), rru: 0, wru: 0, stateBytesWritten: 0 };
}

/** About the bytes DynamoDB bills an item for: attribute names and values, marshalled or not. */
export function itemBytes(value: unknown): number {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'number' || typeof value === 'boolean') return 8;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + itemBytes(v), 3);
  const entries = Object.entries(value as Record<string, unknown>);
  // A marshalled value (`{ S: "…" }`, `{ N: "12" }`) counts as its content.
  if (entries.length === 1 && ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS'].includes(entries[0][0])) return itemBytes(entries[0][1]);
  return entries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + itemBytes(v), 3);
}

type AttributeMap = Record<string, unknown>;

/** `pk` of an item or key, marshalled (`{ S: … }`) or not. */
function pkOf(item: AttributeMap | undefined): string | undefined {
  const pk = item?.pk as unknown;
  if (typeof pk === 'string') return pk;
  if (pk && typeof pk === 'object' && typeof (pk as { S?: unknown }).S === 'string') return (pk as { S: string }).S;
  return undefined;
}

function bump(map: Map<string, number>, key: string | undefined): void {
  if (key?.startsWith('STATE#')) map.set(key, (map.get(key) ?? 0) + 1);
}

/** Adds the counting middleware; `current()` is where the counts of the batch under way go. */
export function countRequests(client: DynamoDBClient, current: () => RequestCounts): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const counts = current();
      const operation = String((context as { commandName?: string }).commandName ?? 'unknown').replace(/Command$/, '');
      counts.requests[operation] = (counts.requests[operation] ?? 0) + 1;
      const input = args.input as Record<string, unknown>;
      /** An item written at `wruPerKb` write units per started KB: counted, and as a state write when it is one. */
      const written = (item: AttributeMap | undefined, wruPerKb: number) => {
        const bytes = itemBytes(item);
        counts.itemsWritten++;
        counts.wru += wruPerKb * Math.ceil(bytes / 1024);
        if (pkOf(item)?.startsWith('STATE#')) {
          bump(counts.stateWrites, pkOf(item));
          counts.stateBytesWritten += bytes;
        }
      };
      let asked = 0;
      if (operation === 'BatchGetItem' || operation === 'BatchGet') {
        for (const table of Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: AttributeMap[] }>)) {
          for (const key of table.Keys ?? []) {
            asked++;
            counts.itemsRead++;
            bump(counts.stateReads, pkOf(key));
          }
        }
      } else if (operation === 'GetItem' || operation === 'Get') {
        counts.itemsRead++;
        bump(counts.stateReads, pkOf(input.Key as AttributeMap));
      } else if (operation === 'TransactWriteItems' || operation === 'TransactWrite') {
        for (const item of (input.TransactItems ?? []) as Array<{ Put?: { Item?: AttributeMap } }>) written(item.Put?.Item, 2);
      } else if (operation === 'BatchWriteItem' || operation === 'BatchWrite') {
        for (const table of Object.values((input.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item?: AttributeMap } }>>)) {
          for (const r of table) written(r.PutRequest?.Item, 1);
        }
      } else if (operation === 'PutItem' || operation === 'Put') {
        written(input.Item as AttributeMap, 1);
      } else if (operation === 'UpdateItem' || operation === 'Update') {
        counts.itemsWritten++;
        counts.wru += 1;
      }
      const result = await next(args);
      const output = result.output as unknown as Record<string, unknown>;
      if (operation === 'BatchGetItem' || operation === 'BatchGet') {
        // A key that finds no item is billed too: 1 RRU, as a strongly consistent read of up to 4 KB.
        let found = 0;
        let unprocessed = 0;
        for (const table of Object.values((output.UnprocessedKeys ?? {}) as Record<string, { Keys?: unknown[] }>)) unprocessed += table.Keys?.length ?? 0;
        for (const items of Object.values((output.Responses ?? {}) as Record<string, AttributeMap[]>)) {
          for (const item of items) counts.rru += Math.ceil(itemBytes(item) / 4096);
          found += items.length;
        }
        counts.rru += Math.max(0, asked - found - unprocessed);
      } else if (operation === 'Query') {
        const bytes = ((output.Items ?? []) as AttributeMap[]).reduce((n, item) => n + itemBytes(item), 0);
        counts.rru += Math.max(1, Math.ceil(bytes / 4096)) * (input.IndexName ? 0.5 : 1);
      }
      return result;
    },
    { step: 'initialize', name: 'silentAuditBenchCounter', override: true },
  );
}

export interface BatchCounts {
  readonly logGroup: string;
  readonly lines: number;
  /** State keys the batch read or wrote. */
  readonly subjects: number;
  readonly requests: Record<string, number>;
  readonly itemsRead: number;
  readonly itemsWritten: number;
  readonly stateItemsRead: number;
  readonly stateItemsWritten: number;
  /** The most reads, and writes, of one state key in this batch. */
  readonly maxReadsPerSubject: number;
  readonly maxWritesPerSubject: number;
  readonly rru: number;
  readonly wru: number;
  readonly stateBytesWritten: number;
  /** The most reads and writes of one state key in this batch, per kind of state (`job`, `agentrun`, `alert`, …). */
  readonly maxPerKind: Record<string, KindCounts>;
}

/** Per kind of state: the most reads and writes of one key, the keys read or written, and those read or written more than once. */
export interface KindCounts {
  reads: number;
  writes: number;
  keys: number;
  readAgain: number;
  writtenAgain: number;
}

/** `STATE#agentrun#r-1` → `agentrun`. */
function stateKindOf(key: string): string {
  return key.slice('STATE#'.length).split('#')[0];
}

function maxPerKind(reads: ReadonlyMap<string, number>, writes: ReadonlyMap<string, number>): Record<string, KindCounts> {
  const out: Record<string, KindCounts> = {};
  for (const key of new Set([...reads.keys(), ...writes.keys()])) {
    const entry = (out[stateKindOf(key)] ??= { reads: 0, writes: 0, keys: 0, readAgain: 0, writtenAgain: 0 });
    const r = reads.get(key) ?? 0;
    const w = writes.get(key) ?? 0;
    entry.reads = Math.max(entry.reads, r);
    entry.writes = Math.max(entry.writes, w);
    entry.keys++;
    if (r > 1) entry.readAgain++;
    if (w > 1) entry.writtenAgain++;
  }
  return out;
}

export interface DynamoFigures {
  readonly batches: readonly BatchCounts[];
  /** Over all batches: state reads and writes per subject per batch (mean), and the worst batch's maxima. */
  readonly readsPerSubject: number;
  readonly writesPerSubject: number;
  readonly maxReadsPerSubject: number;
  readonly maxWritesPerSubject: number;
  /** Requests per batch by operation (mean). */
  readonly requestsPerBatch: Record<string, number>;
  readonly itemsReadPerBatch: number;
  readonly itemsWrittenPerBatch: number;
  /** Capacity units per batch and per line (estimated from item sizes), and the mean size of a state item written. */
  readonly rruPerBatch: number;
  readonly wruPerBatch: number;
  readonly rruPerLine: number;
  readonly wruPerLine: number;
  readonly meanStateItemBytes: number;
  readonly linesPerBatch: number;
  /** The most reads and writes of one state key in any batch, per kind of state; keys summed over the batches. */
  readonly maxPerKind: Record<string, KindCounts>;
}

function summarize(batches: readonly BatchCounts[]): DynamoFigures {
  const subjects = batches.reduce((n, b) => n + b.subjects, 0);
  const lines = batches.reduce((n, b) => n + b.lines, 0);
  const requests: Record<string, number> = {};
  for (const b of batches) for (const [op, n] of Object.entries(b.requests)) requests[op] = (requests[op] ?? 0) + n;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    batches,
    readsPerSubject: round(batches.reduce((n, b) => n + b.stateItemsRead, 0) / Math.max(1, subjects)),
    writesPerSubject: round(batches.reduce((n, b) => n + b.stateItemsWritten, 0) / Math.max(1, subjects)),
    maxReadsPerSubject: Math.max(0, ...batches.map((b) => b.maxReadsPerSubject)),
    maxWritesPerSubject: Math.max(0, ...batches.map((b) => b.maxWritesPerSubject)),
    requestsPerBatch: Object.fromEntries(Object.entries(requests).map(([op, n]) => [op, round(n / batches.length)])),
    itemsReadPerBatch: round(batches.reduce((n, b) => n + b.itemsRead, 0) / batches.length),
    itemsWrittenPerBatch: round(batches.reduce((n, b) => n + b.itemsWritten, 0) / batches.length),
    rruPerBatch: round(batches.reduce((n, b) => n + b.rru, 0) / batches.length),
    wruPerBatch: round(batches.reduce((n, b) => n + b.wru, 0) / batches.length),
    rruPerLine: Math.round((batches.reduce((n, b) => n + b.rru, 0) / lines) * 1000) / 1000,
    wruPerLine: Math.round((batches.reduce((n, b) => n + b.wru, 0) / lines) * 1000) / 1000,
    meanStateItemBytes: Math.round(batches.reduce((n, b) => n + b.stateBytesWritten, 0) / Math.max(1, batches.reduce((n, b) => n + b.stateItemsWritten, 0))),
    linesPerBatch: Math.round(lines / batches.length),
    maxPerKind: batches.reduce<Record<string, KindCounts>>((acc, b) => {
      for (const [kind, m] of Object.entries(b.maxPerKind)) {
        const a = acc[kind];
        acc[kind] = a
          ? { reads: Math.max(a.reads, m.reads), writes: Math.max(a.writes, m.writes), keys: a.keys + m.keys, readAgain: a.readAgain + m.readAgain, writtenAgain: a.writtenAgain + m.writtenAgain }
          : { ...m };
      }
      return acc;
    }, {}),
  };
}

/**
 * The measured payloads of `workload` through ingest on `table`, each counted as one batch, after
 * its warm-up payloads, which fill the table with the baselines the measured batches build on (as
 * the CPU section's warm state does) and are not counted. `container: 'warm'`: the warm-up and the
 * measured payloads go through one store (a warm container: its state cache, `stateCacheSize`,
 * holds what it last read or wrote); `'new'`: the measured payloads through a store of their own.
 */
async function runBatches(
  client: DynamoDBClient,
  table: string,
  workload: Pick<Workload, 'config' | 'warmup' | 'measured'>,
  opts: { stateCacheSize: number; container: 'warm' | 'new' },
): Promise<BatchCounts[]> {
  // Requests during the warm-up are counted into a record nobody reads.
  let counts = emptyCounts();
  countRequests(client, () => counts);
  const config = validateConfig(workload.config, 'bench config');
  const endOf = (payloads: readonly BenchPayload[]) => Math.max(...payloads.map((p) => p.lastTimestamp)) + 60_000;
  let now = workload.warmup.length > 0 ? endOf(workload.warmup) : endOf(workload.measured);
  const clock = { now: () => now };
  const depsOf = (stateCacheSize: number) => {
    const store = new DynamoAuditStore(client, table, { stateCacheSize, clock: clock.now });
    return { store, sink: { publish: async () => undefined }, config, clock, exceptions: new DynamoExceptionStore(client, table, { states: store }) };
  };
  const warmupDeps = depsOf(opts.container === 'warm' ? opts.stateCacheSize : 2000);
  for (const payload of workload.warmup) await ingestDelivery(payload.event, warmupDeps);
  now = endOf(workload.measured);
  const deps = opts.container === 'warm' ? warmupDeps : depsOf(opts.stateCacheSize);
  const out: BatchCounts[] = [];
  for (const payload of workload.measured) {
    counts = emptyCounts();
    await ingestDelivery(payload.event, deps);
    const keys = new Set([...counts.stateReads.keys(), ...counts.stateWrites.keys()]);
    out.push({
      logGroup: payload.logGroup,
      lines: payload.lines,
      subjects: keys.size,
      requests: counts.requests,
      itemsRead: counts.itemsRead,
      itemsWritten: counts.itemsWritten,
      stateItemsRead: [...counts.stateReads.values()].reduce((a, b) => a + b, 0),
      stateItemsWritten: [...counts.stateWrites.values()].reduce((a, b) => a + b, 0),
      maxReadsPerSubject: Math.max(0, ...counts.stateReads.values()),
      maxWritesPerSubject: Math.max(0, ...counts.stateWrites.values()),
      rru: counts.rru,
      wru: counts.wru,
      stateBytesWritten: counts.stateBytesWritten,
      maxPerKind: maxPerKind(counts.stateReads, counts.stateWrites),
    });
  }
  return out;
}

/**
 * The timed payloads against DynamoDB Local twice, each on its own table filled by the workload's
 * warm-up payloads first (not counted): as one warm container (the in-process state cache of the
 * deployed function, `stateCacheSize: 2000`, that also ingested the warm-up) and as a new container
 * per batch (no cache: every subject read from the table).
 */
export async function countDynamo(
  endpoint: string,
  workload: Pick<Workload, 'config' | 'warmup' | 'measured'>,
  log: (s: string) => void,
  tables: { warm: string; cold: string } = { warm: 'bench-warm', cold: 'bench-cold' },
): Promise<{ warm: DynamoFigures; cold: DynamoFigures }> {
  const run = async (table: string, opts: { stateCacheSize: number; container: 'warm' | 'new' }) => {
    const client = localDynamoClient(endpoint);
    try {
      await DynamoAuditStore.ensureTable(client, table);
      return summarize(await runBatches(client, table, workload, opts));
    } finally {
      client.destroy();
    }
  };
  log(`  ${workload.warmup.length} warm-up payloads (not counted), then ${workload.measured.length} through a warm container (state cache on)…`);
  const warm = await run(tables.warm, { stateCacheSize: 2000, container: 'warm' });
  log(`  the same warm-up, then the ${workload.measured.length} through a new container per batch (no cache)…`);
  const cold = await run(tables.cold, { stateCacheSize: 0, container: 'new' });
  return { warm, cold };
}

/** {@link countDynamo} on a DynamoDB Local of its own. */
export async function measureDynamo(workload: Workload, log: (s: string) => void): Promise<{ warm: DynamoFigures; cold: DynamoFigures } | { skipped: string }> {
  let local;
  try {
    local = await startDynamoDbLocal();
  } catch (error) {
    return { skipped: `DynamoDB Local did not start: ${(error as Error).message}` };
  }
  try {
    return await countDynamo(local.endpoint, workload, log);
  } finally {
    await local.stop();
  }
}
