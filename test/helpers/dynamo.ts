import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { localDynamoClient } from '../../lambdas/adapters/dynamodb-local.ts';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';

/** A new table in the test run's DynamoDB Local (started by global-setup.ts), and a store on it. */
export async function freshDynamoStore(options: { clock?: () => number } = {}): Promise<{ store: DynamoAuditStore; client: DynamoDBClient; table: string }> {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  const table = `t-${randomUUID()}`;
  await DynamoAuditStore.ensureTable(client, table);
  return { store: new DynamoAuditStore(client, table, options), client, table };
}
