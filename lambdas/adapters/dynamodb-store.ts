import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  TransactionCanceledException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULT_RUN_RETENTION_DAYS } from '../config.ts';
import { findingKey, normalizeIso, type Finding } from '../core/findings.ts';
import { keptState } from '../core/frozen-state.ts';
import { utf8Prefix } from '../core/output-capture.ts';
import type {
  AlertClaim,
  AlertFailure,
  CommitResult,
  SubjectCatalog,
  FindingQuery,
  FindingStore,
  LoadOptions,
  RunRecord,
  RunRecordStore,
  StateStore,
  StoredFinding,
  SubjectCommit,
  Versioned,
} from '../ports.ts';
import { TABLE_SCHEMA } from './dynamodb-schema.ts';
import { packQueryEnd, packQueryStart, packRunRecords, type RunPack, unpackRunRecords } from './run-record-packs.ts';
import { sleep } from '../core/sleep.ts';

const MAX_TRANSACTION_ITEMS = 100;
/** DynamoDB's limit of a sort key, in bytes of UTF-8. */
const MAX_SORT_KEY_BYTES = 1024;

/**
 * A finding's sort key: its key (`findingKey`), or, for a key over DynamoDB's 1,024 bytes (a
 * subject and a run id of 256 characters each, not ASCII), its first 900 bytes and a fingerprint
 * of the whole, so that the finding is stored (once) rather than refused with its whole batch.
 * Times stay first, so time ranges still find it; a short key is kept as it is.
 */
export function findingSortKey(key: string): string {
  if (key.length * 3 <= MAX_SORT_KEY_BYTES || Buffer.byteLength(key, 'utf8') <= MAX_SORT_KEY_BYTES) return key;
  return `${utf8Prefix(key, 900)}#~${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;
}
/**
 * What the items of one transaction hold at most, in bytes as `itemBytes` counts them: DynamoDB
 * refuses a transaction over 4 MB, and 70 findings with evidence near its 64 KB bound pass that.
 * What does not fit is written outside the transaction, as when there are more than 100 items.
 */
const MAX_TRANSACTION_BYTES = 3.5 * 1024 * 1024;
/**
 * Run records a transaction carries at most (within `MAX_TRANSACTION_BYTES`, with the state and
 * findings): a backfill's batch of a subject can hold thousands of runs.
 */
const MAX_TRANSACTION_RECORD_BYTES = 1024 * 1024;
/** DynamoDB refuses an item over 400 KB: a state item measured larger than this (`itemBytes`) is refused before it is sent, by name. */
export const MAX_STATE_ITEM_BYTES = 390 * 1024;
/**
 * Cancellation reasons of a transaction that was throttled: retried with backoff, as often as the SDK
 * retries a call. Keys and items a batch call left unprocessed are retried as often, then refused by name.
 */
const THROTTLED_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded']);
const MAX_THROTTLED_RETRIES = 7;
const DAY_MS = 86_400_000;
/** Items a `hasRuns` query reads at a time: a query is billed per 4 KB read, so 25 packs of a record or two cost what one does. */
const HAS_RUNS_PAGE = 25;

/** Every month (`YYYY-MM`) from the month of `from` to that of `to`, inclusive. */
function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let [y, m] = from.slice(0, 7).split('-').map(Number);
  const last = to.slice(0, 7);
  for (let guard = 0; guard < 1200; guard++) {
    const month = `${y}-${String(m).padStart(2, '0')}`;
    months.push(month);
    if (month >= last) break;
    m++;
    if (m > 12) (m = 1), y++;
  }
  return months;
}

interface FindingItem {
  pk: string;
  sk: string;
  subject_key: string;
  finding: string;
  outbox?: string;
  lease_until?: number;
  /** When its send was claimed (epoch ms), until it is marked or released (a failed send keeps an unconfirmed one's time): still there after the lease, that send was not confirmed. */
  claimed_at?: number;
  alerted_at?: number;
  /** JSON of its alert's `AlertFailure`, once a send failed. */
  alert_failure?: string;
}

/**
 * The outbox index's two partitions: findings not sent yet, and findings whose send failed. A failed
 * one waits for its retry (up to an hour, for up to 14 days) under a lease the drain filters out after
 * reading it; in a partition of its own, however many wait, they never stand in front of the pending ones.
 */
const OUTBOX_PENDING = 'PENDING';
const OUTBOX_RETRY = 'RETRY';
/** Pages of an outbox partition one drain reads at most, passing over leased findings (each page twice the last). */
const MAX_OUTBOX_PAGES = 10;

/** A subject's state too large for one DynamoDB item: its batch cannot be committed, however often it is delivered. */
export class StateTooLargeError extends Error {
  constructor(
    readonly subjectKey: string,
    readonly bytes: number,
  ) {
    super(
      `the state of ${subjectKey} is ${bytes} bytes stored, over DynamoDB's 400 KB item limit, so the batch that changed it cannot be committed: ` +
        'a state is meant to stay bounded whatever the lines say, so report this with the subject and the lines of that batch',
    );
    this.name = 'StateTooLargeError';
  }
}

/**
 * Keys (BatchGetItem) or items (BatchWriteItem) DynamoDB still left unprocessed after every retry
 * (a table or partition throttled for longer than the backoff): the invocation fails, so that it is
 * retried whole, rather than running on until Lambda times it out.
 */
export class UnprocessedItemsError extends Error {
  constructor(
    readonly tableName: string,
    readonly operation: 'BatchGetItem' | 'BatchWriteItem',
    readonly unprocessed: number,
    readonly attempts: number,
  ) {
    const what = operation === 'BatchGetItem' ? (unprocessed === 1 ? 'state key was' : 'state keys were') : unprocessed === 1 ? 'item was' : 'items were';
    super(
      `DynamoDB table ${tableName}: ${unprocessed} ${what} still unprocessed by ${operation} after ${attempts} attempts with backoff ` +
        `(the table or one of its partitions is throttled: check its ${operation === 'BatchGetItem' ? 'read' : 'write'} capacity); ` +
        'given up rather than retried until the Lambda times out, so that the batch fails visibly and is retried whole',
    );
    this.name = 'UnprocessedItemsError';
  }
}

/**
 * The audit state in one DynamoDB table (see `dynamodb-schema.ts`): per-subject state items with
 * a version, finding items (the unalerted ones also in the sparse `outbox` index) and raw run
 * records with a TTL. One class serves the three ports since one table holds them.
 */
export class DynamoAuditStore implements StateStore, FindingStore, RunRecordStore, SubjectCatalog {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: {
      /** Days a run record is kept after its run (`deploy.run_retention_days`). @default DEFAULT_RUN_RETENTION_DAYS */
      runRetentionDays?: number;
      /**
       * Whether the table deletes a run record once its TTL has passed: DynamoDB does; DynamoDB
       * Local never does, so a report read from it has every run it was given, however old
       * (`runRetentionDays` is then undefined: records kept for good). @default true
       */
      deletesExpired?: boolean;
      clock?: () => number;
      /**
       * Keep up to this many subjects' state as this process last read or wrote it, so a warm
       * Lambda container skips re-reading subjects it wrote itself. Safe because every write is
       * conditional on the version: if another writer came in between, the write conflicts, the
       * entry is dropped and the pipeline's re-read goes to the table. Off (0) by default.
       */
      stateCacheSize?: number;
      /** How a retry waits its backoff (tests wait for nothing). Default: a timer. */
      sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  private readonly stateCache = new Map<string, Versioned<unknown>>();

  /** State from the cache, else from the table; a key presumed absent and not cached is not read (a read of nothing costs 1 RRU). */
  async load(requested: readonly string[], options: LoadOptions = {}): Promise<Map<string, Versioned<unknown>>> {
    const out = new Map<string, Versioned<unknown>>();
    const keys: string[] = [];
    for (const key of requested) {
      const cached = this.stateCache.get(key);
      if (cached) out.set(key, { state: cached.state, version: cached.version });
      else if (!options.presumedAbsent?.has(key)) keys.push(key);
    }
    for (const [key, value] of await this.readTable(keys)) out.set(key, value);
    return out;
  }

  /** Like `load`, but always from the table (consistent reads), never from the state cache; refreshes the cache. */
  loadCurrent(keys: readonly string[]): Promise<Map<string, Versioned<unknown>>> {
    return this.readTable(keys);
  }

  /**
   * Consistent BatchGets of up to 100 keys, unprocessed keys retried with backoff; what is read is
   * remembered in the cache. A key asked for twice is read once (BatchGetItem refuses duplicates).
   */
  private async readTable(requested: readonly string[]): Promise<Map<string, Versioned<unknown>>> {
    const out = new Map<string, Versioned<unknown>>();
    for (const item of await this.batchGet([...new Set(requested)].map((k) => ({ pk: `STATE#${k}`, sk: 'STATE' })))) {
      const key = String(item.pk).slice('STATE#'.length);
      const value = { state: storedState(item), version: item.version as number };
      out.set(key, value);
      this.remember(key, value);
    }
    return out;
  }

  /** Consistent BatchGets of up to 100 distinct keys each (`projection`: the attributes read), unprocessed keys retried with backoff. */
  private async batchGet(keys: readonly Record<string, string>[], projection?: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let request: Record<string, { Keys: Record<string, string>[]; ConsistentRead: boolean; ProjectionExpression?: string }> | undefined = {
        [this.tableName]: { Keys: keys.slice(i, i + 100), ConsistentRead: true, ...(projection ? { ProjectionExpression: projection } : {}) },
      };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
        if (attempt > MAX_THROTTLED_RETRIES) throw new UnprocessedItemsError(this.tableName, 'BatchGetItem', request[this.tableName]?.Keys.length ?? 0, attempt);
        if (attempt > 0) await this.backoff(attempt);
        const res = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
        out.push(...(res.Responses?.[this.tableName] ?? []));
        request = res.UnprocessedKeys as typeof request;
      }
    }
    return out;
  }

  async commit(change: SubjectCommit): Promise<CommitResult> {
    const now = this.now();
    const statePut = this.statePut(change, now);
    const stateBytes = itemBytes(statePut.Item);
    if (stateBytes > MAX_STATE_ITEM_BYTES) throw new StateTooLargeError(change.key, stateBytes);
    const room = MAX_TRANSACTION_ITEMS - 1;
    let budget = MAX_TRANSACTION_BYTES - stateBytes;
    // Overflow beyond one transaction (100 items, 4 MB): findings are written first on their own
    // (put-if-absent), packs of run records (facts, idempotent) by batch. The state write below
    // still decides the batch.
    const inTxFindings: FindingItem[] = [];
    // DynamoDB refuses a transaction with two writes to one item: a finding whose key came twice is
    // kept once, the first (as a put-if-absent of the second would).
    const keys = new Set<string>();
    for (const f of change.findings) {
      const item = this.findingItem(f, change.alreadyAlerted ? now : undefined);
      if (keys.has(item.sk)) continue;
      keys.add(item.sk);
      const bytes = itemBytes(item);
      if (inTxFindings.length < room && bytes <= budget) {
        inTxFindings.push(item);
        budget -= bytes;
      } else await this.putFindingIfAbsent(item);
    }
    const inTxRecords: Record<string, unknown>[] = [];
    const overflow: Record<string, unknown>[] = [];
    budget = Math.min(budget, MAX_TRANSACTION_RECORD_BYTES);
    for (const pack of packRunRecords(change.records)) {
      const item = this.runPackItem(pack, now);
      const bytes = itemBytes(item);
      if (inTxRecords.length < room - inTxFindings.length && bytes <= budget) {
        inTxRecords.push(item);
        budget -= bytes;
      } else overflow.push(item);
    }
    await this.batchPut(overflow);

    // A state alone is one conditional put, at half a transaction's write cost (1 WRU per KB, not 2).
    if (inTxFindings.length === 0 && inTxRecords.length === 0) return this.putState(change, statePut);

    let findings = inTxFindings;
    for (let throttled = 0; ; ) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
            { Put: statePut },
            ...findings.map((Item) => ({ Put: { TableName: this.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' } })),
            ...inTxRecords.map((Item) => ({ Put: { TableName: this.tableName, Item } })),
            ],
          }),
        );
        this.remember(change.key, { state: keptState(change.state), version: change.expectedVersion + 1 });
        return 'committed';
      } catch (error) {
        this.stateCache.delete(change.key);
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const stateReason = reasons[0]?.Code;
        if (stateReason === 'ConditionalCheckFailed' || stateReason === 'TransactionConflict') return 'conflict';
        const existing = new Set(
          reasons.flatMap((r, i) => (i > 0 && i <= findings.length && r.Code === 'ConditionalCheckFailed' ? [i - 1] : [])),
        );
        if (existing.size === 0) {
          if (reasons.some((r) => r.Code === 'TransactionConflict')) return 'conflict';
          // The SDK retries a throttled call, but not a transaction cancelled because an item was throttled.
          if (reasons.some((r) => THROTTLED_REASONS.has(r.Code ?? '')) && throttled < MAX_THROTTLED_RETRIES) {
            await this.backoff(++throttled);
            continue;
          }
          throw error;
        }
        // A finding already stored (written by an earlier, interrupted attempt): keep it as it is.
        findings = findings.filter((_, i) => !existing.has(i));
      }
    }
  }

  async subjects(stateKind: string): Promise<Array<{ key: string; state: unknown; version: number }>> {
    const keys = await this.queryAll({
      TableName: this.tableName,
      IndexName: TABLE_SCHEMA.catalogIndex,
      KeyConditionExpression: '#c = :kind',
      ExpressionAttributeNames: { '#c': TABLE_SCHEMA.catalogKey },
      ExpressionAttributeValues: { ':kind': stateKind },
    });
    // From the table, not the cache: a warm sweep container would otherwise judge absence on the
    // state as it last read it, blind to a run that ingest opened since and that never ended.
    const loaded = await this.readTable(keys.map((k) => String(k.pk).slice('STATE#'.length)));
    return [...loaded].sort(([a], [b]) => a.localeCompare(b)).map(([key, v]) => ({ key, state: v.state, version: v.version }));
  }

  async query(query: FindingQuery): Promise<StoredFinding[]> {
    const q = { ...query, from: normalizeIso(query.from), to: normalizeIso(query.to) };
    const out: StoredFinding[] = [];
    // An empty range, as the memory store answers it (a key condition BETWEEN a later and an earlier key is refused).
    if (q.from >= q.to) return out;
    for (const month of monthsBetween(q.from, q.to)) {
      const items = await this.queryAll({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': `FINDING#${month}`, ':from': q.from, ':to': q.to },
      });
      for (const item of items) {
        const f = this.toStored(item as unknown as FindingItem);
        if (f.ts >= q.from && f.ts < q.to && (!q.detector || f.detector === q.detector) && (!q.subject || f.subject === q.subject)) out.push(f);
      }
    }
    return out;
  }

  async pendingAlerts(limit: number, now?: number): Promise<StoredFinding[]> {
    const [pending, retrying] = await Promise.all([this.outboxPart(OUTBOX_PENDING, limit, now), this.outboxPart(OUTBOX_RETRY, limit, now)]);
    return [...pending, ...retrying].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, limit);
  }

  /**
   * The first `limit` findings of one outbox partition, in key order, that are not under a lease at
   * `now`. Leased ones are filtered out after the read (`Limit` counts them), so the read goes on
   * past them, each page twice the size of the one before: its cost follows the leased findings
   * ahead (sends under way, and in `RETRY` the ones waiting to be tried again).
   */
  private async outboxPart(partition: string, limit: number, now: number | undefined): Promise<StoredFinding[]> {
    const out: StoredFinding[] = [];
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_OUTBOX_PAGES && out.length < limit; page++) {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE_SCHEMA.outboxIndex,
          KeyConditionExpression: 'outbox = :p',
          ...(now === undefined
            ? { ExpressionAttributeValues: { ':p': partition } }
            : { FilterExpression: 'attribute_not_exists(lease_until) OR lease_until < :now', ExpressionAttributeValues: { ':p': partition, ':now': now } }),
          Limit: limit * 2 ** page,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items as FindingItem[] | undefined ?? []) out.push(item.claimed_at === undefined ? this.toStored(item) : { ...this.toStored(item), alert_claimed_at: item.claimed_at });
      start = res.LastEvaluatedKey;
      if (!start || now === undefined) break;
    }
    return out.slice(0, limit);
  }

  /**
   * The findings waiting for a retry: the `RETRY` partition (failed sends), and the ones of `PENDING`
   * claimed and neither marked nor released (`claimed_at`: a send under way, or one whose mark was
   * lost), counted (`Select: COUNT`, page by page). `PENDING` holds only findings not sent yet: small.
   */
  async alertsAwaitingRetry(): Promise<number> {
    const [retrying, unconfirmed] = await Promise.all([
      this.countOutbox({ ExpressionAttributeValues: { ':p': OUTBOX_RETRY } }),
      this.countOutbox({ FilterExpression: 'attribute_exists(claimed_at)', ExpressionAttributeValues: { ':p': OUTBOX_PENDING } }),
    ]);
    return retrying + unconfirmed;
  }

  /** The findings of `PENDING` never claimed (`claimed_at`: those are awaiting a retry), counted (`Select: COUNT`). */
  async alertsPending(): Promise<number> {
    return this.countOutbox({ FilterExpression: 'attribute_not_exists(claimed_at)', ExpressionAttributeValues: { ':p': OUTBOX_PENDING } });
  }

  private async countOutbox(partition: Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeValues'>): Promise<number> {
    let count = 0;
    for await (const page of this.queryPages({ TableName: this.tableName, IndexName: TABLE_SCHEMA.outboxIndex, KeyConditionExpression: 'outbox = :p', Select: 'COUNT', ...partition })) count += page.Count ?? 0;
    return count;
  }

  /**
   * The claim notes its time (`claimed_at`); the one an earlier claim left (never marked nor
   * released, or kept by a failed send after it) says its send was not confirmed. Only the fields
   * it sets are read back (`UPDATED_OLD`), not the stored finding.
   */
  async claimAlert(key: string, now: number, leaseMs: number): Promise<AlertClaim | false> {
    const old = await this.conditionalUpdate(key, 'SET lease_until = :until, claimed_at = :now', 'attribute_exists(outbox) AND (attribute_not_exists(lease_until) OR lease_until < :now)', {
      ':until': now + leaseMs,
      ':now': now,
    }, 'UPDATED_OLD');
    if (!old) return false;
    const unconfirmedSendAt = (old as Pick<FindingItem, 'claimed_at'>).claimed_at;
    return unconfirmedSendAt === undefined ? {} : { unconfirmedSendAt };
  }

  async releaseAlert(key: string, failure?: AlertFailure): Promise<void> {
    if (!failure) await this.conditionalUpdate(key, 'REMOVE lease_until, claimed_at', 'attribute_exists(outbox)', undefined);
    else if (failure.gave_up) await this.conditionalUpdate(key, 'REMOVE outbox, lease_until, claimed_at SET alert_failure = :f', 'attribute_exists(outbox)', { ':f': JSON.stringify(failure) });
    // A claim needs `lease_until < now`: claimable from `retry_at` on. A send not confirmed before
    // this failed one stays as `claimed_at` (its time), which the retry's claim reads back.
    else {
      const unconfirmed = failure.unconfirmed_send_at;
      await this.conditionalUpdate(
        key,
        `SET outbox = :retry, lease_until = :until, alert_failure = :f${unconfirmed === undefined ? ' REMOVE claimed_at' : ', claimed_at = :unconfirmed'}`,
        'attribute_exists(outbox)',
        { ':retry': OUTBOX_RETRY, ':until': failure.retry_at - 1, ':f': JSON.stringify(failure), ...(unconfirmed === undefined ? {} : { ':unconfirmed': unconfirmed }) },
      );
    }
  }

  async markAlerted(key: string): Promise<boolean> {
    return Boolean(await this.conditionalUpdate(key, 'REMOVE outbox, lease_until, claimed_at SET alerted_at = :now', 'attribute_exists(outbox)', { ':now': this.now() }));
  }

  async alertsAwaitingSend(requested: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const bySortKey = new Map([...new Set(requested)].map((key) => [findingSortKey(key), key]));
    const items = await this.batchGet([...bySortKey].map(([sk, key]) => ({ pk: `FINDING#${key.slice(0, 7)}`, sk })), 'sk, outbox, lease_until');
    for (const item of items as unknown as Pick<FindingItem, 'sk' | 'outbox' | 'lease_until'>[]) {
      const key = bySortKey.get(item.sk);
      if (key !== undefined && item.outbox !== undefined) out.set(key, item.lease_until ?? 0);
    }
    return out;
  }

  async runs(subjectKey: string, from: string, to: string): Promise<RunRecord[]> {
    if (from >= to) return [];
    const items = await this.queryAll(this.runRecordsQuery(subjectKey, from, to));
    return unpackRunRecords(items, from, to);
  }

  /** The query for a subject's packs and items that may hold its records with `from <= ts < to`. */
  private runRecordsQuery(subjectKey: string, from: string, to: string): QueryCommandInput {
    return {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': `RUN#${subjectKey}`, ':from': packQueryStart(from), ':to': packQueryEnd(to) },
    };
  }

  /**
   * A page of items at a time from `from` on, until one holds a record in the span (the first day's
   * packs may hold only records before `from`). A query is billed by the bytes it reads, not its
   * items, so a page of small packs costs what one does (HAS_RUNS_PAGE).
   */
  async hasRuns(subjectKey: string, from: string, to: string): Promise<boolean> {
    if (from >= to) return false;
    for await (const page of this.queryPages({ ...this.runRecordsQuery(subjectKey, from, to), Limit: HAS_RUNS_PAGE })) {
      if (unpackRunRecords(page.Items ?? [], from, to).length > 0) return true;
    }
    return false;
  }

  /** Creates the table as the stack defines it, for DynamoDB Local; a no-op when it exists. */
  static async ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    const gsi = (IndexName: string, pk: string) => ({
      IndexName,
      KeySchema: [
        { AttributeName: pk, KeyType: 'HASH' as const },
        { AttributeName: 'sk', KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    });
    const creating = client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', 'outbox', 'subject_key', 'catalog'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          gsi(TABLE_SCHEMA.outboxIndex, 'outbox'),
          gsi(TABLE_SCHEMA.subjectIndex, 'subject_key'),
          {
            IndexName: TABLE_SCHEMA.catalogIndex,
            KeySchema: [
              { AttributeName: TABLE_SCHEMA.catalogKey, KeyType: 'HASH' as const },
              { AttributeName: 'pk', KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' as const },
          },
        ],
      }),
    );
    // Another command on the same store created it first (both found none): that one sets its TTL.
    const createdHere = await creating.then(
      () => true,
      (error: unknown) => {
        if (error instanceof ResourceInUseException) return false;
        throw error;
      },
    );
    await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
    if (!createdHere) return;
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }));
  }

  private remember(key: string, value: Versioned<unknown>): void {
    const limit = this.options.stateCacheSize ?? 0;
    if (limit <= 0) return;
    this.stateCache.delete(key);
    this.stateCache.set(key, { state: keptState(value.state), version: value.version });
    if (this.stateCache.size > limit) this.stateCache.delete(this.stateCache.keys().next().value as string);
  }

  /** A finding's item: in the outbox, or (`alertedAt`, history) stored as alerted then and never pending. */
  private findingItem(f: Finding, alertedAt?: number): FindingItem {
    const key = findingKey(f);
    const item = { pk: `FINDING#${f.ts.slice(0, 7)}`, sk: findingSortKey(key), subject_key: `${f.subject_kind}#${f.subject}`, finding: JSON.stringify(f) };
    return alertedAt === undefined ? { ...item, outbox: OUTBOX_PENDING } : { ...item, alerted_at: alertedAt };
  }

  /**
   * How many days a run record is kept after its run (its item's TTL: DynamoDB deletes it within a
   * day or two after), `DEFAULT_RUN_RETENTION_DAYS` unless told; what the report is told. Undefined
   * for a table that never deletes (`deletesExpired: false`, DynamoDB Local): its records are kept for good.
   */
  get runRetentionDays(): number | undefined {
    return this.options.deletesExpired === false ? undefined : this.ttlDays;
  }

  /** The days of a run record's TTL, written whether or not the table acts on it. */
  private get ttlDays(): number {
    return this.options.runRetentionDays ?? DEFAULT_RUN_RETENTION_DAYS;
  }

  /** One item of a subject's run records (one commit's, one day's): kept `ttlDays` after the latest of them (or its write, when later). */
  private runPackItem(pack: RunPack, now: number): Record<string, unknown> {
    const retention = this.ttlDays * DAY_MS;
    let endMs = now;
    for (const r of pack.records) endMs = Math.max(endMs, Date.parse(r.ts) || 0);
    return {
      pk: pack.pk,
      sk: pack.sk,
      records: pack.json,
      ttl: Math.floor((endMs + retention) / 1000),
    };
  }

  private toStored(item: FindingItem): StoredFinding {
    const failure = item.alert_failure === undefined ? undefined : (JSON.parse(item.alert_failure) as AlertFailure);
    const finding = JSON.parse(item.finding) as Finding;
    // The finding's own key, also where its sort key is a shortened one (`findingSortKey`).
    return { ...finding, key: item.sk.includes('#~') ? findingKey(finding) : item.sk, alerted: item.outbox === undefined && !failure?.gave_up, ...(failure ? { alert_failure: failure } : {}) };
  }

  /** The conditional write of a subject's state: a new version, only over the version it was read at. */
  private statePut(change: SubjectCommit, now: number) {
    return {
      TableName: this.tableName,
      Item: stateItem(change, now),
      ConditionExpression: change.expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
      ExpressionAttributeValues: change.expectedVersion === 0 ? undefined : { ':v': change.expectedVersion },
    };
  }

  /**
   * A commit of the state alone (no findings, no run records): what a transaction of that one item
   * does, as a plain conditional put. Lost to another writer (the version moved on, or the item is in
   * another's transaction) it is a conflict; throttling is retried by the SDK, as for any call.
   */
  private async putState(change: SubjectCommit, statePut: ReturnType<DynamoAuditStore['statePut']>): Promise<CommitResult> {
    try {
      await this.doc.send(new PutCommand(statePut));
    } catch (error) {
      this.stateCache.delete(change.key);
      const name = (error as Error).name;
      if (name === 'ConditionalCheckFailedException' || name === 'TransactionConflictException') return 'conflict';
      throw error;
    }
    this.remember(change.key, { state: keptState(change.state), version: change.expectedVersion + 1 });
    return 'committed';
  }

  private async putFindingIfAbsent(Item: FindingItem): Promise<void> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  private async batchPut(items: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let pending: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {
        [this.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
      };
      for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
        if (attempt > MAX_THROTTLED_RETRIES) throw new UnprocessedItemsError(this.tableName, 'BatchWriteItem', pending[this.tableName]?.length ?? 0, attempt);
        if (attempt > 0) await this.backoff(attempt);
        const res = await this.doc.send(new BatchWriteCommand({ RequestItems: pending }));
        pending = res.UnprocessedItems as typeof pending;
      }
    }
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of this.queryPages(input)) items.push(...(page.Items ?? []));
    return items;
  }

  /** Every page of a query, each asked from where the one before ended (`LastEvaluatedKey`). */
  private async *queryPages(input: QueryCommandInput): AsyncGenerator<QueryCommandOutput> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey }));
      yield res;
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  /** A finding's conditional update: undefined when its condition failed, else the fields it changed as they were before (`UPDATED_OLD`) or `{}`. */
  private async conditionalUpdate(
    key: string,
    UpdateExpression: string,
    ConditionExpression: string,
    values: Record<string, unknown> | undefined,
    ReturnValues?: 'UPDATED_OLD',
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `FINDING#${key.slice(0, 7)}`, sk: findingSortKey(key) },
          UpdateExpression,
          ConditionExpression,
          ExpressionAttributeValues: values,
          ReturnValues,
        }),
      );
      return res.Attributes ?? {};
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  /** Exponential backoff with jitter before retry `attempt` (1, 2, …): half to all of 25 ms × 2^attempt, at most 1 s. */
  private async backoff(attempt: number): Promise<void> {
    await (this.options.sleep ?? sleep)(Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2));
  }
}

/**
 * States from this size on are stored deflated (`dataz`, binary) rather than as JSON text (`data`):
 * DynamoDB bills writes per KB and reads per 4 KB, and a job's state (a ring of run fingerprints,
 * baseline windows) is several KB that deflate to about two thirds, an agent's cost history to a
 * sixth. Deflating 10 KB at level 1 takes tens of microseconds; a state under 1 KB costs 1 WRU either way.
 */
const DEFLATE_FROM_BYTES = 1024;

/** A state's stored attribute: `data` (JSON text), or `dataz` (that text deflated) when that is smaller and the text large. */
export function stateData(state: unknown): { data: string } | { dataz: Uint8Array } {
  const data = JSON.stringify(state);
  if (data.length < DEFLATE_FROM_BYTES) return { data };
  const dataz = deflateRawSync(data, { level: 1 });
  return dataz.length < Buffer.byteLength(data) ? { dataz } : { data };
}

/** The state a stored item holds, from `data` or `dataz`. */
export function storedState(item: Record<string, unknown>): unknown {
  if (item.dataz instanceof Uint8Array) return JSON.parse(inflateRawSync(item.dataz).toString('utf8'));
  if (typeof item.data === 'string') return JSON.parse(item.data);
  throw new Error(`state item ${String(item.pk)} holds neither data (JSON text) nor dataz (deflated JSON)`);
}

/** The item holding a subject's state, as a commit writes it. */
function stateItem(change: Pick<SubjectCommit, 'key' | 'expectedVersion' | 'state' | 'expiresAt' | 'listedAs'>, now: number) {
  return {
    pk: `STATE#${change.key}`,
    sk: 'STATE',
    [TABLE_SCHEMA.catalogKey]: change.listedAs ?? change.key.slice(0, change.key.indexOf('#')),
    version: change.expectedVersion + 1,
    ...stateData(change.state),
    updated_at: now,
    // Per-run state (agent runs) expires with the table's TTL; other state lives on.
    ...(change.expiresAt !== undefined ? { [TABLE_SCHEMA.ttlAttribute]: Math.floor(change.expiresAt / 1000) } : {}),
  };
}

/**
 * The bytes (`itemBytes`) of the item a commit of this state writes, as `commit` measures it
 * against `MAX_STATE_ITEM_BYTES`: for tests of a state's worst case.
 */
export function stateItemBytes(change: Pick<SubjectCommit, 'key' | 'expectedVersion' | 'state' | 'expiresAt'>, now = Date.now()): number {
  return itemBytes(stateItem(change, now));
}

/** An item's size as DynamoDB counts it, near enough: its attribute names and values in UTF-8 bytes (a number at most 21). */
function itemBytes(item: object): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name) + (typeof value === 'string' ? Buffer.byteLength(value) : value instanceof Uint8Array ? value.length : 21);
  }
  return bytes;
}
