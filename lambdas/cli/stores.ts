import { join } from 'node:path';
import { localDynamoClient, startDynamoDbLocal } from '../adapters/dynamodb-local.ts';
import { DynamoExceptionStore } from '../adapters/dynamodb-exception-store.ts';
import { DynamoAuditStore } from '../adapters/dynamodb-store.ts';
import { MemoryExceptionStore } from '../adapters/memory-exception-store.ts';
import { MemoryAuditStore } from '../adapters/memory-store.ts';
import type { ExceptionStore, FindingStore, RunRecordStore, StateStore, SubjectCatalog } from '../ports.ts';

export type AuditStore = StateStore & FindingStore & RunRecordStore & SubjectCatalog;

export interface OpenedStore {
  readonly store: AuditStore;
  /** The guard-bypass exception registry kept in the same store (its bypass counts from the guards' states); without it, the config's. */
  readonly exceptions?: ExceptionStore;
  /** Where it lives, for messages: `memory`, `DynamoDB Local (.silent-audit/dynamodb)`, an endpoint. */
  readonly description: string;
  readonly persistent: boolean;
  close(): Promise<void>;
}

export const DEFAULT_TABLE = 'silent-audit';
export const LOCAL_STORE_DIR = '.silent-audit';

/**
 * Contract §6 stores: none (memory, nothing written), `local` (DynamoDB Local, file-backed under
 * `.silent-audit/`, started and stopped here), or the URL of any DynamoDB endpoint.
 */
export async function openStore(spec: string | undefined, options: { table?: string; cwd?: string } = {}): Promise<OpenedStore> {
  const table = options.table ?? DEFAULT_TABLE;
  if (spec === undefined || spec === 'memory') {
    const store = new MemoryAuditStore();
    return { store, exceptions: new MemoryExceptionStore(store), description: 'memory (nothing is written)', persistent: false, close: async () => undefined };
  }
  if (spec === 'local') {
    const dir = join(options.cwd ?? process.cwd(), LOCAL_STORE_DIR, 'dynamodb');
    const local = await startDynamoDbLocal({ dbPath: dir });
    const client = localDynamoClient(local.endpoint);
    try {
      await DynamoAuditStore.ensureTable(client, table);
    } catch (error) {
      await local.stop();
      throw error;
    }
    const store = new DynamoAuditStore(client, table);
    return {
      store,
      exceptions: new DynamoExceptionStore(client, table, { states: store }),
      description: `DynamoDB Local (${dir})`,
      persistent: true,
      close: async () => {
        client.destroy();
        await local.stop();
      },
    };
  }
  if (/^https?:\/\//.test(spec)) {
    const client = localDynamoClient(spec);
    await DynamoAuditStore.ensureTable(client, table);
    const store = new DynamoAuditStore(client, table);
    const exceptions = new DynamoExceptionStore(client, table, { states: store });
    return { store, exceptions, description: `DynamoDB at ${spec}, table ${table}`, persistent: true, close: async () => client.destroy() };
  }
  throw new StoreSpecError(`--store ${spec}: expected \`local\` or the URL of a DynamoDB endpoint (http://host:port)`);
}

export class StoreSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreSpecError';
  }
}
