import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.ts';
import { recordAsLogged } from '../core/exception-registry.ts';
import { guardStateKey, withBypassCounts } from '../core/guard-reducer.ts';
import type { ExceptionRenewal, ExceptionRevocation, ExceptionStore, GuardException, StateStore } from '../ports.ts';

/**
 * The partition that holds the registry: one item per exception (sk = its id). The registry is
 * small (tens of entries), so one query lists it, which a batch does once.
 */
export const EXCEPTIONS_PARTITION = 'EXCEPTIONS';

const RECORD_FIELDS = [
  'id',
  'guard',
  'reason',
  'owner',
  'expires',
  'status',
  'created_at',
  'created_by',
  'origin',
  'renewals',
  'revoked_at',
  'revoked_by',
  'revoke_reason',
] as const;

/** An item as a record, its guard as bypass lines name it (`recordAsLogged`): an item written before guards were redacted holds it as written. */
function toRecord(item: Record<string, unknown>, redact: Config['redact'] | undefined): GuardException {
  const record: Record<string, unknown> = { renewals: [], bypass_count: 0 };
  for (const field of RECORD_FIELDS) if (item[field] !== undefined) record[field] = item[field];
  return recordAsLogged(record as unknown as GuardException, redact);
}

function isConditionFailure(error: unknown): boolean {
  return (error as Error).name === 'ConditionalCheckFailedException';
}

/**
 * The guard-bypass exception registry in the audit table (pk `EXCEPTIONS`, sk `<id>`). Writes are
 * conditional: `add` only when the id is free, `renew` only while the exception is active with
 * the expiry the renewal was judged against, `revoke` only while it is active. Renewals are
 * appended to a list; nothing is deleted. Bypass counts are not stored here: the guard reducer
 * keeps them in the guards' versioned states (exact under concurrency and redelivery), and
 * `list`/`get` fill them in from there when given the state store of the same table. A record's
 * guard is read as bypass lines name it, with `options.redact` (the config's; default the built-in
 * rules), so that an item written before guards were redacted still names its guard.
 */
export class DynamoExceptionStore implements ExceptionStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: { states?: StateStore; redact?: Config['redact'] } = {},
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async listRecords(): Promise<GuardException[]> {
    const records: GuardException[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': EXCEPTIONS_PARTITION },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const item of res.Items ?? []) records.push(toRecord(item, this.options.redact));
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return records;
  }

  async list(): Promise<GuardException[]> {
    return this.withCounts(await this.listRecords());
  }

  async get(id: string): Promise<GuardException | undefined> {
    const res = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: EXCEPTIONS_PARTITION, sk: id }, ConsistentRead: true }));
    return res.Item ? (await this.withCounts([toRecord(res.Item, this.options.redact)]))[0] : undefined;
  }

  async add(exception: GuardException): Promise<'added' | 'exists'> {
    const item: Record<string, unknown> = { pk: EXCEPTIONS_PARTITION, sk: exception.id };
    for (const field of RECORD_FIELDS) item[field] = exception[field];
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return 'added';
    } catch (error) {
      if (isConditionFailure(error)) return 'exists';
      throw error;
    }
  }

  async renew(id: string, renewal: ExceptionRenewal): Promise<'renewed' | 'conflict'> {
    return this.update(id, 'SET #expires = :to, #renewals = list_append(#renewals, :renewal)', '#status = :active AND #expires = :from', {
      names: { '#expires': 'expires', '#renewals': 'renewals', '#status': 'status' },
      values: { ':to': renewal.to_expires, ':from': renewal.from_expires, ':renewal': [{ ...renewal }], ':active': 'active' },
    }).then((ok) => (ok ? 'renewed' : 'conflict'));
  }

  async revoke(id: string, revocation: ExceptionRevocation): Promise<'revoked' | 'conflict'> {
    return this.update(id, 'SET #status = :revoked, revoked_at = :at, revoked_by = :by, revoke_reason = :reason', '#status = :active', {
      names: { '#status': 'status' },
      values: { ':revoked': 'revoked', ':active': 'active', ':at': revocation.at, ':by': revocation.by, ':reason': revocation.reason },
    }).then((ok) => (ok ? 'revoked' : 'conflict'));
  }

  private async update(id: string, UpdateExpression: string, ConditionExpression: string, e: { names: Record<string, string>; values: Record<string, unknown> }): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: EXCEPTIONS_PARTITION, sk: id },
          UpdateExpression,
          ConditionExpression,
          ExpressionAttributeNames: e.names,
          ExpressionAttributeValues: e.values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async withCounts(records: GuardException[]): Promise<GuardException[]> {
    const states = this.options.states;
    if (!states || records.length === 0) return records;
    const keys = [...new Set(records.map((e) => guardStateKey(e.guard)))];
    return withBypassCounts(records, await states.load(keys));
  }
}
