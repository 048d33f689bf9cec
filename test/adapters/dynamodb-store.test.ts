import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type BatchGetCommandInput, BatchWriteCommand, type BatchWriteCommandInput, DynamoDBDocumentClient, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditStore, UnprocessedItemsError } from '../../lambdas/adapters/dynamodb-store.ts';
import { DEFAULT_RUN_RETENTION_DAYS, MIN_RUN_RETENTION_DAYS } from '../../lambdas/config.ts';
import { scheduledReportTime } from '../../lambdas/core/report/month.ts';

// Offline: the store's document client answers as a throttled table does (its calls succeed, but leave keys or items unprocessed).
const doc = mockClient(DynamoDBDocumentClient);
const TABLE = 'silent-audit-state';

/** A store that records the backoff it would wait, and waits for nothing. */
function storeWithoutWaiting(): { store: DynamoAuditStore; delays: number[] } {
  const delays: number[] = [];
  const store = new DynamoAuditStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, { sleep: async (ms) => void delays.push(ms) });
  return { store, delays };
}

describe('DynamoAuditStore: keys and items a batch call leaves unprocessed', () => {
  beforeEach(() => doc.reset());
  afterAll(() => doc.restore());

  it('retries unprocessed keys with growing backoff, and returns what was read once DynamoDB takes them', async () => {
    // Prepare: the first two BatchGetItem calls leave job#b unprocessed.
    let calls = 0;
    doc.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
      calls++;
      const keys = input.RequestItems?.[TABLE]?.Keys ?? [];
      const answered = calls <= 2 ? keys.filter((k) => k.pk !== 'STATE#job#b') : keys;
      const left = keys.filter((k) => !answered.includes(k));
      return {
        Responses: { [TABLE]: answered.map((k) => ({ ...k, version: 3, data: JSON.stringify({ of: k.pk }) })) },
        UnprocessedKeys: left.length > 0 ? { [TABLE]: { Keys: left, ConsistentRead: true } } : {},
      };
    });
    const { store, delays } = storeWithoutWaiting();
    // Act
    const loaded = await store.loadCurrent(['job#a', 'job#b']);
    // Assess
    expect([...loaded]).toEqual([
      ['job#a', { state: { of: 'STATE#job#a' }, version: 3 }],
      ['job#b', { state: { of: 'STATE#job#b' }, version: 3 }],
    ]);
    expect(doc.commandCalls(BatchGetCommand)).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThanOrEqual(delays[0]);
  });

  it('gives up on keys still unprocessed after 7 retries with backoff, with an error naming the table, the operation and the keys left', async () => {
    // Prepare: every BatchGetItem leaves every key unprocessed (a partition throttled for longer than the backoff).
    doc.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => ({ Responses: { [TABLE]: [] }, UnprocessedKeys: input.RequestItems }));
    const { store, delays } = storeWithoutWaiting();
    // Act
    const loading = store.load(['job#a', 'job#b', 'agent#triage-bot']);
    // Assess
    await expect(loading).rejects.toThrow(UnprocessedItemsError);
    await expect(loading).rejects.toThrow(/^DynamoDB table silent-audit-state: 3 state keys were still unprocessed by BatchGetItem after 8 attempts with backoff/);
    expect(doc.commandCalls(BatchGetCommand)).toHaveLength(8);
    // Exponential backoff with jitter: half to all of 50 ms, 100 ms, … doubling up to 1 s.
    expect(delays).toHaveLength(7);
    delays.forEach((ms, i) => {
      const ceiling = Math.min(1000, 50 * 2 ** i);
      expect(ms).toBeGreaterThanOrEqual(ceiling / 2);
      expect(ms).toBeLessThanOrEqual(ceiling);
    });
  });

  it('gives up on run records still unprocessed by BatchWriteItem after 7 retries, naming the table and the items left, before the state is written', async () => {
    // Prepare: 150 runs of one subject on 150 days (more run packs than one transaction holds); every BatchWriteItem leaves its items unprocessed.
    doc.on(BatchWriteCommand).callsFake((input: BatchWriteCommandInput) => ({ UnprocessedItems: input.RequestItems }));
    doc.on(TransactWriteCommand).resolves({});
    const day = 86_400_000;
    const records = Array.from({ length: 150 }, (_, i) => ({ subject: 'backup', subject_kind: 'job' as const, run_id: `r-${i}`, ts: new Date(Date.parse('2026-01-01T02:00:00Z') + i * day).toISOString(), status: 'ok' as const }));
    const { store, delays } = storeWithoutWaiting();
    // Act
    const commit = store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: 1 }, findings: [], records });
    // Assess
    await expect(commit).rejects.toThrow(UnprocessedItemsError);
    await expect(commit).rejects.toThrow(/^DynamoDB table silent-audit-state: \d+ items were still unprocessed by BatchWriteItem after 8 attempts with backoff/);
    expect(doc.commandCalls(BatchWriteCommand)).toHaveLength(8);
    expect(delays).toHaveLength(7);
    expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('DynamoAuditStore: the count of alerts waiting for a retry', () => {
  beforeEach(() => doc.reset());
  afterAll(() => doc.restore());

  it('counts the outbox index’s RETRY partition page by page (Select COUNT), and the PENDING findings claimed and never marked nor released, reading no item', async () => {
    // Prepare: RETRY in two pages, 1 MB each as DynamoDB cuts them; one PENDING finding whose claim was left (its mark lost).
    doc
      .on(QueryCommand, { ExpressionAttributeValues: { ':p': 'RETRY' } })
      .resolvesOnce({ Count: 3, LastEvaluatedKey: { outbox: 'RETRY', pk: 'FINDING#a', sk: 'x' } })
      .resolvesOnce({ Count: 2 });
    doc.on(QueryCommand, { ExpressionAttributeValues: { ':p': 'PENDING' } }).resolvesOnce({ Count: 1 });
    const { store } = storeWithoutWaiting();
    // Act
    const waiting = await store.alertsAwaitingRetry();
    // Assess
    expect(waiting).toBe(6);
    const inputs = doc.commandCalls(QueryCommand).map((c) => c.args[0].input);
    const retry = inputs.filter((i) => i.ExpressionAttributeValues?.[':p'] === 'RETRY');
    const pending = inputs.filter((i) => i.ExpressionAttributeValues?.[':p'] === 'PENDING');
    expect([retry.length, pending.length]).toEqual([2, 1]);
    expect(retry[0]).toMatchObject({ TableName: TABLE, IndexName: 'outbox', KeyConditionExpression: 'outbox = :p', Select: 'COUNT' });
    expect(retry[0].FilterExpression).toBeUndefined();
    expect(retry[1].ExclusiveStartKey).toEqual({ outbox: 'RETRY', pk: 'FINDING#a', sk: 'x' });
    expect(pending[0]).toMatchObject({ TableName: TABLE, IndexName: 'outbox', KeyConditionExpression: 'outbox = :p', FilterExpression: 'attribute_exists(claimed_at)', Select: 'COUNT' });
  });

  it('counts the PENDING findings never claimed as the backlog waiting for a first send, page by page, reading no item', async () => {
    // Prepare: PENDING in two pages
    doc
      .on(QueryCommand, { ExpressionAttributeValues: { ':p': 'PENDING' } })
      .resolvesOnce({ Count: 4, LastEvaluatedKey: { outbox: 'PENDING', pk: 'FINDING#a', sk: 'x' } })
      .resolvesOnce({ Count: 3 });
    const { store } = storeWithoutWaiting();
    // Act
    const pending = await store.alertsPending();
    // Assess
    expect(pending).toBe(7);
    const inputs = doc.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(2);
    expect(inputs[0]).toMatchObject({ TableName: TABLE, IndexName: 'outbox', KeyConditionExpression: 'outbox = :p', FilterExpression: 'attribute_not_exists(claimed_at)', Select: 'COUNT' });
    expect(inputs[1].ExclusiveStartKey).toEqual({ outbox: 'PENDING', pk: 'FINDING#a', sk: 'x' });
  });
});

describe('DynamoAuditStore: how long run records are kept', () => {
  beforeEach(() => doc.reset());
  afterAll(() => doc.restore());

  it('writes a run record with a TTL of DEFAULT_RUN_RETENTION_DAYS after its run, the retention it tells the report', async () => {
    // Prepare: a run that ended a day before the commit, a month's report made a year after its end reads it back.
    doc.on(TransactWriteCommand).resolves({});
    const now = Date.parse('2026-09-02T02:00:00Z');
    const store = new DynamoAuditStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, { clock: () => now });
    const record = { subject: 'backup', subject_kind: 'job' as const, run_id: 'r-1', ts: '2026-09-01T02:00:00Z', status: 'ok' as const };

    // Act
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: 1 }, findings: [], records: [record] });

    // Assess
    const items = doc.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems ?? []).map((t) => t.Put?.Item ?? {});
    const run = items.find((i) => String(i.pk).startsWith('RUN#'));
    expect(run?.ttl).toBe((now + DEFAULT_RUN_RETENTION_DAYS * 86_400_000) / 1000);
    expect(store.runRetentionDays).toBe(DEFAULT_RUN_RETENTION_DAYS);
    expect(DEFAULT_RUN_RETENTION_DAYS).toBeGreaterThanOrEqual(365 + 31);
  });

  it('writes a run record with a TTL of the retention it is given (deploy.run_retention_days), and tells the report that one', async () => {
    // Prepare: a store told to keep run records 63 days, the fewest the config takes.
    doc.on(TransactWriteCommand).resolves({});
    const now = Date.parse('2026-09-02T02:00:00Z');
    const store = new DynamoAuditStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, { clock: () => now, runRetentionDays: 63 });
    const record = { subject: 'backup', subject_kind: 'job' as const, run_id: 'r-1', ts: '2026-09-01T02:00:00Z', status: 'ok' as const };

    // Act
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: 1 }, findings: [], records: [record] });

    // Assess
    const items = doc.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems ?? []).map((t) => t.Put?.Item ?? {});
    expect(items.find((i) => String(i.pk).startsWith('RUN#'))?.ttl).toBe((now + 63 * 86_400_000) / 1000);
    expect(store.runRetentionDays).toBe(63);
  });

  it.each([
    [MIN_RUN_RETENTION_DAYS, true],
    [MIN_RUN_RETENTION_DAYS - 1, false],
  ])(
    'keeps (%i days: %s) the late end of a run begun 12 days before July, answering its run-unfinished of July, until August’s scheduled report: its TTL counts from its write',
    async (days, keptForTheReport) => {
      // Prepare: the run began 2026-06-19 (max runtime 12 days), the sweep judged it unfinished at the
      // earliest July allows, 2026-07-01T00:00Z; its end line (stamped 2026-06-20) is written just after.
      // August's report, on 1 September at 06:00, reads the job's runs from 2026-06-19 to retract it.
      doc.on(TransactWriteCommand).resolves({});
      const writtenAt = Date.parse('2026-07-01T00:00:00Z');
      const store = new DynamoAuditStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, { clock: () => writtenAt, runRetentionDays: days });
      const lateEnd = { subject: 'export', subject_kind: 'job' as const, run_id: 'e-1', ts: '2026-06-20T00:00:00Z', status: 'ok' as const };

      // Act
      await store.commit({ key: 'job#export', expectedVersion: 1, state: { n: 2 }, findings: [], records: [lateEnd] });

      // Assess
      const items = doc.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems ?? []).map((t) => t.Put?.Item ?? {});
      const ttlMs = Number(items.find((i) => String(i.pk).startsWith('RUN#'))?.ttl) * 1000;
      expect(ttlMs > scheduledReportTime('2026-08')).toBe(keptForTheReport);
    },
  );

  it('tells the report run records are kept for good when the table deletes none (DynamoDB Local), its records still written with their TTL', async () => {
    // Prepare: a run of July 2025 scanned on 2026-12-06, 500 days later, into a table that never deletes.
    doc.on(TransactWriteCommand).resolves({});
    const now = Date.parse('2026-12-06T12:00:00Z');
    const store = new DynamoAuditStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, { clock: () => now, runRetentionDays: 400, deletesExpired: false });
    const record = { subject: 'backup', subject_kind: 'job' as const, run_id: 'r-1', ts: '2025-07-24T02:00:00Z', status: 'ok' as const };

    // Act
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: 1 }, findings: [], records: [record] });

    // Assess
    const items = doc.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems ?? []).map((t) => t.Put?.Item ?? {});
    expect(items.find((i) => String(i.pk).startsWith('RUN#'))?.ttl).toBe((now + 400 * 86_400_000) / 1000);
    expect(store.runRetentionDays).toBeUndefined();
  });
});

describe('DynamoAuditStore: whether a subject ran in a span', () => {
  beforeEach(() => doc.reset());
  afterAll(() => doc.restore());

  it('reads a page of items at a time, past packs of the first day that hold only runs before the span, and stops at the first run in it', async () => {
    // Prepare: backup's packs: 30 of 10 September (a run at 01:00 each, before the span), 11 September (a run in it), 12 September (another).
    const pack = (day: string, hour: string, n = 0) => ({ pk: 'RUN#job#backup', sk: `${day}#pack#${n}`, records: JSON.stringify([{ subject: 'backup', subject_kind: 'job', run_id: `r-${day}-${n}`, ts: `${day}T${hour}:00:00Z`, status: 'ok' }]) });
    const packs = [...Array.from({ length: 30 }, (_, n) => pack('2026-09-10', '01', 10 + n)), pack('2026-09-11', '02'), pack('2026-09-12', '02')];
    doc.on(QueryCommand).callsFake((input) => {
      const at = input.ExclusiveStartKey ? packs.findIndex((p) => p.sk === input.ExclusiveStartKey.sk) + 1 : 0;
      const page = packs.slice(at, at + (input.Limit ?? packs.length));
      return { Items: page, ...(at + page.length < packs.length ? { LastEvaluatedKey: { pk: page.at(-1)!.pk, sk: page.at(-1)!.sk } } : {}) };
    });
    const { store } = storeWithoutWaiting();

    // Act
    const ran = await store.hasRuns('job#backup', '2026-09-10T12:00:00Z', '2026-10-01T00:00:00Z');
    const ranBefore = await store.hasRuns('job#backup', '2026-09-10T12:00:00Z', '2026-09-11T00:00:00Z');

    // Assess
    expect([ran, ranBefore]).toEqual([true, false]);
    const calls = doc.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls.every((input) => input.Limit === 25)).toBe(true);
    expect(calls.slice(0, 2).map((input) => input.ExclusiveStartKey?.sk)).toEqual([undefined, '2026-09-10#pack#34']);
    expect(calls).toHaveLength(2 + 2);
    // A span ending at midnight ends its query before that day's packs: `2026-09-11` sorts before `2026-09-11#pack#…`.
    expect(calls.map((input) => input.ExpressionAttributeValues?.[':to'])).toEqual(['2026-10-01', '2026-10-01', '2026-09-11', '2026-09-11']);
  });
});
