import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { cronHostKey, type CronHostState, HOST_TTL_MS } from '../../lambdas/core/cron-host-reducer.ts';
import type { AuditEvent, EventBody } from '../../lambdas/core/events.ts';
import { processBatch, type ReduceContext } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';

const T0 = Date.parse('2026-10-05T02:17:01Z');
const NOW = T0 + 3_600_000;
const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => NOW } };
const JOB = '/usr/local/bin/report.sh';

function cron(at: number, body: Record<string, unknown>, line: number): AuditEvent {
  return { at, body: body as unknown as EventBody, source: { origin: '/syslog/web', line, logStream: 'web1' }, format: 'cron' };
}

type Input = { RequestItems?: Record<string, { Keys: Array<{ pk: string }> }>; Item?: { pk: string }; TransactItems?: Array<{ Put?: { Item: { pk: string } } }> };

describe("cron's discarded output in DynamoDB Local", () => {
  it('is reported once when the discard line comes in a later delivery, delivered twice at once; the host costs one read and one write a batch', async () => {
    // Prepare: count the state items each batch reads and writes.
    const { client, store, table } = await freshDynamoStore();
    let reads: string[] = [];
    let writes: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context as { commandName?: string }).commandName;
        const input = args.input as Input;
        if (name === 'BatchGetItemCommand') for (const t of Object.values(input.RequestItems ?? {})) for (const { pk } of t.Keys) reads.push(pk);
        if (name === 'PutItemCommand' && input.Item) writes.push(input.Item.pk);
        if (name === 'TransactWriteItemsCommand') for (const t of input.TransactItems ?? []) if (t.Put?.Item.pk.startsWith('STATE#')) writes.push(t.Put.Item.pk);
        return next(args);
      },
      { step: 'initialize', name: 'noteStateItems' },
    );
    const hostItem = `STATE#${cronHostKey('web1')}`;
    const count = (keys: readonly string[]) => keys.filter((k) => k === hostItem).length;
    const batch1 = [cron(T0, { type: 'run.start', job: JOB, run_id: `web1:20765:${new Date(T0).toISOString()}`, host: 'web1', user: 'root', pid: 20765 }, 1)];
    const batch2 = [cron(T0 + 30_000, { type: 'output.discarded', host: 'web1', reason: 'No MTA installed, discarding output', pid: 20764 }, 1)];

    // Act: the second delivery twice at once (a retry overlapping the first attempt).
    const first = await processBatch(batch1, REDUCERS, store, ctx);
    const firstCounts = [count(reads), count(writes)];
    reads = [];
    writes = [];
    const concurrent = await Promise.all([processBatch(batch2, REDUCERS, store, ctx), processBatch(batch2, REDUCERS, store, ctx)]);
    const item = await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: table, Key: { pk: hostItem, sk: 'STATE' } }));

    // Assess
    expect(first.findings).toEqual([]);
    expect(firstCounts).toEqual([1, 1]);
    expect(concurrent.flatMap((r) => r.findings).map((f) => `${f.detector} ${f.subject}`)).toEqual([`output-discarded ${JOB}`]);
    expect((await store.query({ from: '2026-10-01', to: '2026-11-01' })).map((f) => `${f.detector} ${f.subject} ${f.ts}`)).toEqual([`output-discarded ${JOB} 2026-10-05T02:17:31Z`]);
    const host = (await store.load([cronHostKey('web1')])).get(cronHostKey('web1'));
    expect((host?.state as CronHostState).attributed).toEqual([{ at: T0 + 30_000, pid: 20764, job: JOB }]);
    expect(item.Item?.ttl).toBe(Math.floor((NOW + HOST_TTL_MS) / 1000));
  });
});
