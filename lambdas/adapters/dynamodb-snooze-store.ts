import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Snooze, SnoozeStore } from '../ports.ts';

/** The partition that holds the snoozes: one item per snooze (sk = its id). Small: one query lists it. */
export const SNOOZES_PARTITION = 'SNOOZES';

const FIELDS = ['id', 'subject', 'detector', 'owner', 'reason', 'until', 'status', 'origin', 'created_at', 'created_by', 'ended_at', 'ended_by', 'end_reason'] as const;

function toSnooze(item: Record<string, unknown>): Snooze {
  const record: Record<string, unknown> = {};
  for (const field of FIELDS) if (item[field] !== undefined) record[field] = item[field];
  return record as unknown as Snooze;
}

/**
 * Snoozes in the audit table (pk `SNOOZES`, sk `<id>`). `add` only when the id is free, `end`
 * only while the snooze is active; nothing is deleted, so the record stays as history.
 */
export class DynamoSnoozeStore implements SnoozeStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async list(): Promise<Snooze[]> {
    const out: Snooze[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': SNOOZES_PARTITION }, ConsistentRead: true, ExclusiveStartKey }),
      );
      for (const item of res.Items ?? []) out.push(toSnooze(item));
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }

  async add(snooze: Snooze): Promise<'added' | 'exists'> {
    const item: Record<string, unknown> = { pk: SNOOZES_PARTITION, sk: snooze.id };
    for (const field of FIELDS) item[field] = snooze[field];
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return 'added';
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'exists';
      throw error;
    }
  }

  async end(id: string, ending: { at: string; by: string; reason: string }): Promise<'ended' | 'conflict'> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: SNOOZES_PARTITION, sk: id },
          UpdateExpression: 'SET #status = :ended, ended_at = :at, ended_by = :by, end_reason = :reason',
          ConditionExpression: '#status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':ended': 'ended', ':active': 'active', ':at': ending.at, ':by': ending.by, ':reason': ending.reason },
        }),
      );
      return 'ended';
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'conflict';
      throw error;
    }
  }
}
