import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { buildAwsDeps } from '../../lambdas/handlers/aws-deps.ts';

// Offline: the store's document client takes every write.
const doc = mockClient(DynamoDBDocumentClient);
const DAY_MS = 86_400_000;

describe('the ingest and sweep functions\' store', () => {
  beforeEach(() => doc.reset());
  afterAll(() => doc.restore());

  it('keeps run records for the deploy.run_retention_days of the config compiled into the bundle', async () => {
    // Prepare: a config that keeps them 90 days, and a run that ended a day ago.
    doc.on(TransactWriteCommand).resolves({});
    const config = validateConfig({ deploy: { run_retention_days: 90 } });
    const { store } = buildAwsDeps({ tableName: 'silent-audit', config });
    const record = { subject: 'backup', subject_kind: 'job' as const, run_id: 'r-1', ts: new Date(Date.now() - DAY_MS).toISOString().slice(0, 19) + 'Z', status: 'ok' as const };

    // Act
    const before = Date.now();
    await (store as DynamoAuditStore).commit({ key: 'job#backup', expectedVersion: 0, state: { n: 1 }, findings: [], records: [record] });
    const after = Date.now();

    // Assess: its TTL (seconds) is 90 days after the commit.
    const items = doc.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems ?? []).map((t) => t.Put?.Item ?? {});
    const ttl = Number(items.find((i) => String(i.pk).startsWith('RUN#'))?.ttl);
    expect(ttl).toBeGreaterThanOrEqual(Math.floor((before + 90 * DAY_MS) / 1000));
    expect(ttl).toBeLessThanOrEqual(Math.ceil((after + 90 * DAY_MS) / 1000));
    expect((store as DynamoAuditStore).runRetentionDays).toBe(90);
  });

  it('keeps them 400 days by default', () => {
    // Act
    const { store } = buildAwsDeps({ tableName: 'silent-audit', config: validateConfig({}) });

    // Assess
    expect((store as DynamoAuditStore).runRetentionDays).toBe(400);
  });
});
