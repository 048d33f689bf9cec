import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, inject, it } from 'vitest';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import type { AlertState } from '../../lambdas/core/alert-policy.ts';
import type { IngestReport } from '../../lambdas/core/ingest.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';
import { aboutOf, replayMonth, runMonth, scanTable, subscriptionDelivery } from './month.ts';

const DAY = 86_400_000;

describe('SNS down for a while, then back', () => {
  it('over the replay month, SNS refusing every publish for five days: findings stored first, pending while it is down, and in the end every alert published exactly once', async () => {
    // Prepare: SNS refuses everything from Oct 12 to Oct 16 (the empty backups, the empty report).
    const month = replayMonth();
    const from = Date.parse('2026-10-12T00:00:00Z');
    const to = Date.parse('2026-10-17T00:00:00Z');
    const duringOutage: { day: string; pending: number; alerted: number; stored: number }[] = [];
    // Act
    const clean = await runMonth(month);
    const outage = await runMonth(month, {
      snsDown: (now) => now >= from && now < to,
      afterDay: async (dayEnd, store) => {
        if (dayEnd < from || dayEnd >= to) return;
        const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
        const since = stored.filter((f) => Date.parse(f.ts) >= from);
        duringOutage.push({ day: new Date(dayEnd).toISOString().slice(0, 10), pending: (await store.pendingAlerts(100)).length, alerted: since.filter((f) => f.alerted).length, stored: since.length });
      },
    });
    // Assess: while SNS was down, findings were stored and none counted as alerted.
    expect(duringOutage.map((d) => d.day)).toEqual(['2026-10-12', '2026-10-13', '2026-10-14', '2026-10-15', '2026-10-16']);
    expect(duringOutage.every((d) => d.alerted === 0)).toBe(true);
    expect(duringOutage.map((d) => d.stored)).toEqual([1, 2, 3, 4, 4]);
    expect(duringOutage.at(-1)?.pending).toBe(4);
    expect(outage.refused).toBeGreaterThan(4);
    // In the end: the outbox is empty, and the very alerts of the month without an outage went out, each once.
    expect(pendingOf(outage.items)).toEqual([]);
    const about = outage.publishes.map(aboutOf);
    expect(new Set(about).size).toBe(about.length);
    expect([...about].sort()).toEqual(clean.publishes.map(aboutOf).sort());
    expect(about).toHaveLength(15);
    // Findings and baselines are what they are without an outage.
    expect(findingsOf(outage.items).map(({ finding }) => finding)).toEqual(findingsOf(clean.items).map(({ finding }) => finding));
  });

  it('over the replay month, SNS down Oct 12–16: the recovery of nightly-backup is published after the resent failures of the episode it closes, not before', async () => {
    // Prepare: SNS refuses everything from Oct 12 to Oct 16; the backup fails Oct 12–14 and recovers on Oct 17, after SNS is back
    // (its recovery comes in an ingest that drains nothing, while the three failures wait in the outbox for their retry).
    const from = Date.parse('2026-10-12T00:00:00Z');
    const to = Date.parse('2026-10-17T00:00:00Z');
    // Act
    const outage = await runMonth(replayMonth(), { snsDown: (now) => now >= from && now < to });
    // Assess: per episode (correlation_key), its failures first, then the recovery that closes it, once.
    const backup = outage.publishes
      .map((p) => JSON.parse(JSON.parse(p.Message!).default) as { subject: string; kind: string; correlation_key: string; finding?: { ts: string } })
      .filter((m) => m.subject === 'nightly-backup')
      .map((m) => `${m.correlation_key.split('#')[2]} ${m.kind} ${m.finding?.ts ?? ''}`.trim());
    expect(backup).toEqual([
      '2026-10-12T01:07:18Z finding 2026-10-12T01:07:18Z',
      '2026-10-12T01:07:18Z finding 2026-10-13T01:11:23Z',
      '2026-10-12T01:07:18Z finding 2026-10-14T01:08:39Z',
      '2026-10-12T01:07:18Z recovery',
      '2026-10-19T01:12:26Z finding 2026-10-19T01:12:26Z',
      '2026-10-19T01:12:26Z recovery',
    ]);
    expect(pendingOf(outage.items)).toEqual([]);
  });

  it('an invocation that dies after storing its findings, before alerting: the redelivery counts nothing twice, the sweep sends each alert once', async () => {
    // Prepare: a job with a normal history, then a batch with two failed runs of two jobs; the first
    // invocation of that batch times out between storing the findings and sending the alerts.
    const now = Date.parse('2026-10-08T06:00:00Z');
    const { client, table, store } = await freshDynamoStore({ clock: () => now });
    const { sink, publishes } = recordingSink();
    // It times out once the batch's state and findings are written, when it turns to alerting (the outbox read).
    class TimedOutStore extends DynamoAuditStore {
      override async pendingAlerts(): Promise<never> {
        throw new Error('Task timed out after 30.00 seconds');
      }
    }
    const handlerOn = (s: DynamoAuditStore) => createIngestHandler(() => ({ store: s, sink, config: validateConfig({}), clock: { now: () => now } }), () => undefined);
    const history = runLines('etl', 1, 6, 0).concat(runLines('export', 1, 6, 0));
    await handlerOn(store)(subscriptionDelivery('/jobs/batch', 'host-1', history));
    const failing = subscriptionDelivery('/jobs/batch', 'host-1', [...runLines('etl', 7, 7, 2), ...runLines('export', 7, 7, 1)]);
    // Act
    await expect(handlerOn(new TimedOutStore(client, table, { clock: () => now }))(failing)).rejects.toThrow(/timed out/);
    const pendingAfterCrash = (await store.pendingAlerts(10)).map((f) => f.key).sort();
    const redelivered = await handlerOn(store)(structuredClone(failing));
    const sweep = await runSweep({ store, sink, config: validateConfig({}), clock: { now: () => now + 5 * 60_000 } });
    const again = await runSweep({ store, sink, config: validateConfig({}), clock: { now: () => now + 10 * 60_000 } });
    // Assess
    expect(pendingAfterCrash).toHaveLength(2);
    expect(redelivered.findings).toEqual([]);
    expect(sweep.alerts).toMatchObject({ sent: 2, failed: 0 });
    expect(again.alerts.sent).toBe(0);
    expect(publishes.map(aboutOf).sort()).toEqual(pendingAfterCrash.map((key) => `finding ${key}`));
    expect(await store.pendingAlerts(10)).toEqual([]);
    const etl = (await store.load(['job#etl'])).get('job#etl')?.state as { runs: number; failures: number };
    expect([etl.runs, etl.failures]).toEqual([7, 1]);
    expect((await scanTable(client, table)).filter((i) => String(i.pk).startsWith('FINDING#'))).toHaveLength(2);
    // The alert policy saw the failure although the redelivery wrote no run record for it: one healthy run
    // after it is not yet a recovery (three are).
    expect(((await store.load(['alert#job#etl'])).get('alert#job#etl')?.state as AlertState).health?.status).toBe('failing');
    await handlerOn(store)(subscriptionDelivery('/jobs/batch', 'host-1', runLines('etl', 8, 8, 0)));
    expect(publishes.map(aboutOf).filter((a) => a.startsWith('recovery'))).toEqual([]);
  });
});

describe('DynamoDB throttling', () => {
  it('is retried with backoff when it passes: throttled reads, a transaction cancelled for throttling, a throttled state put, outbox query and claim; the delivery ends as a clean one', async () => {
    // Prepare: a clean table and a throttled one get the same delivery at the same moment.
    const now = Date.parse('2026-10-08T06:00:00Z');
    const config = validateConfig({});
    const delivery = mixedDelivery();
    const clean = await cleanlyDelivered(delivery, config, now);
    const throttled = await freshDynamoStore({ clock: () => now });
    await ingestWith(throttled.store, config, now)(delivery.history);
    const faults = throttle(throttled.client, (command, call) => {
      if (command === 'BatchGetItemCommand' && call === 1) return new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: {} });
      if (command === 'TransactWriteItemsCommand' && call <= 2) return throttledTransaction();
      if (command === 'PutItemCommand' && call === 1) return new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: {} });
      if (command === 'QueryCommand' && call === 1) return new ThrottlingException({ message: 'Throughput exceeds the current capacity for your table.', $metadata: {} });
      if (command === 'UpdateItemCommand' && call === 1) return new ThrottlingException({ message: 'Throughput exceeds the current capacity for your table.', $metadata: {} });
      return undefined;
    });
    // Act
    const report = await ingestWith(throttled.store, config, now)(delivery.failing);
    // Assess
    expect(faults.thrown).toEqual({ BatchGetItemCommand: 1, TransactWriteItemsCommand: 2, PutItemCommand: 1, QueryCommand: 1, UpdateItemCommand: 1 });
    expect(report.findings.map((f) => `${f.detector} ${f.subject}`).sort()).toEqual(['run-failed etl', 'run-failed export']);
    expect(report.alerts).toMatchObject({ sent: 2, failed: 0 });
    expect(await scanTable(throttled.client, throttled.table)).toEqual(await scanTable(clean.client, clean.table));
  });

  it('that does not pass fails the invocation (no write left in flight, no event dropped); after the retries the record holds the payload, and its redrive ends as a clean delivery', async () => {
    // Prepare: the table takes the delivery's first transaction, then throttles every write (transactions and state puts).
    const now = Date.parse('2026-10-08T06:00:00Z');
    const config = validateConfig({});
    const delivery = mixedDelivery();
    const clean = await cleanlyDelivered(delivery, config, now);
    const { table } = await freshDynamoStore({ clock: () => now });
    // Fewer SDK attempts than the deployed client's 8, to keep the test short.
    const client = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 });
    const store = new DynamoAuditStore(client, table, { clock: () => now });
    await ingestWith(store, config, now)(delivery.history);
    let down = true;
    const faults = throttle(client, (command, call) =>
      down && ((command === 'TransactWriteItemsCommand' && call > 1) || command === 'PutItemCommand') ? new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: {} }) : undefined,
    );
    // Act: Lambda's asynchronous invocation: the first attempt and its two retries (the stack's retryAttempts).
    const attempts: unknown[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      attempts.push(await ingestWith(store, config, now)(delivery.failing).then(() => 'succeeded', (error: Error) => ({ name: error.name, inFlight: faults.inFlight })));
    }
    // What Lambda sends to the on-failure destination (an SQS message body), and the redrive of it in docs/reliability.md.
    const body = JSON.stringify(onFailureRecord(delivery.failing));
    down = false;
    const redriven = await ingestWith(store, config, now)((JSON.parse(body) as { requestPayload: CloudWatchLogsEvent }).requestPayload);
    // Assess: each attempt failed whole, with nothing of its own still writing.
    expect(attempts).toEqual(Array(3).fill({ name: 'ProvisionedThroughputExceededException', inFlight: 0 }));
    expect(faults.thrown.TransactWriteItemsCommand).toBeGreaterThanOrEqual(3 * 3);
    expect(redriven.status).toBe('processed');
    // The subject whose write went through before the throttling is not counted twice; the sweep then
    // sends whatever was left pending, and the table is the clean delivery's, item for item.
    await runSweep({ store, sink: recordingSink().sink, config, clock: { now: () => now } });
    await runSweep({ store: clean.store, sink: recordingSink().sink, config, clock: { now: () => now } });
    expect(await scanTable(client, table)).toEqual(await scanTable(clean.client, clean.table));
    client.destroy();
  });
});

// Helpers --------------------------------------------------------------------------------------

function recordingSink(): { sink: SnsAlertSink; publishes: PublishCommandInput[] } {
  const sns = new SNSClient({ region: 'eu-west-1' });
  const publishes: PublishCommandInput[] = [];
  mockClient(sns)
    .on(PublishCommand)
    .callsFake((input: PublishCommandInput) => {
      publishes.push(input);
      return { MessageId: `m-${publishes.length}` };
    });
  return { sink: new SnsAlertSink(sns, 'arn:aws:sns:eu-west-1:123456789012:silent-audit-alerts'), publishes };
}

function ingestWith(store: DynamoAuditStore, config: Config, now: number): (event: CloudWatchLogsEvent) => Promise<IngestReport> {
  const { sink } = recordingSink();
  return createIngestHandler(() => ({ store, sink, config, clock: { now: () => now } }), () => undefined);
}

/** `run.start`/`run.end` lines of runs `first`…`last` of a job, a day apart, the last one exiting with `lastExit`. */
function runLines(job: string, first: number, last: number, lastExit: number): { at: number; message: string }[] {
  return Array.from({ length: last - first + 1 }, (_, i) => {
    const n = first + i;
    const at = Date.parse('2026-10-01T02:00:00Z') + (n - 1) * DAY;
    const run_id = `${job}-${n}`;
    return [
      { at, message: JSON.stringify({ type: 'run.start', job, run_id }) },
      { at: at + 60_000, message: JSON.stringify({ type: 'run.end', job, run_id, exit_code: n === last ? lastExit : 0, duration_ms: 60_000, output_bytes: 4_000 }) },
    ];
  }).flat();
}

/** A history of two jobs and an agent run, then a delivery that touches five subjects and fails a run of each job. */
function mixedDelivery(): { history: CloudWatchLogsEvent; failing: CloudWatchLogsEvent } {
  const history = subscriptionDelivery('/jobs/batch', 'host-1', [...runLines('etl', 1, 6, 0), ...runLines('export', 1, 6, 0)]);
  const at = Date.parse('2026-10-07T05:00:00Z');
  const failing = subscriptionDelivery('/jobs/batch', 'host-1', [
    ...runLines('etl', 7, 7, 2),
    ...runLines('export', 7, 7, 1),
    { at, message: JSON.stringify({ type: 'agent.start', agent: 'triage-bot', run_id: 'tb-1' }) },
    { at: at + 1000, message: JSON.stringify({ type: 'agent.action', agent: 'triage-bot', run_id: 'tb-1', action: 'llm_call' }) },
    { at: at + 2000, message: JSON.stringify({ type: 'agent.end', agent: 'triage-bot', run_id: 'tb-1', status: 'ok', actions_reported: 1 }) },
  ]);
  return { history, failing };
}

/** A transaction DynamoDB cancelled because one of its items was throttled (a hot partition, an index behind). */
/** A fresh table that took the mixed delivery's history, then its failing runs, with no fault: what a faulty run must end as. */
async function cleanlyDelivered(delivery: ReturnType<typeof mixedDelivery>, config: Config, now: number): Promise<Awaited<ReturnType<typeof freshDynamoStore>>> {
  const clean = await freshDynamoStore({ clock: () => now });
  await ingestWith(clean.store, config, now)(delivery.history);
  await ingestWith(clean.store, config, now)(delivery.failing);
  return clean;
}

function throttledTransaction(): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ThrottlingError]',
    $metadata: {},
    CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity of your table or index.' }],
  });
}

/**
 * Fails a client's calls as a throttled table does, inside the SDK's retry loop (the deserialize step
 * runs within the retry middleware), as `decide` says for each command and its call number. Counts what
 * it threw, and the sends under way (from the initialize step: retries and their backoff included).
 */
function throttle(client: DynamoDBClient, decide: (command: string, call: number) => Error | undefined): { thrown: Record<string, number>; inFlight: number } {
  const calls = new Map<string, number>();
  const faults = { thrown: {} as Record<string, number>, inFlight: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      faults.inFlight++;
      try {
        return await next(args);
      } finally {
        faults.inFlight--;
      }
    },
    { step: 'initialize', name: 'countSendsForTest' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      const call = (calls.get(command) ?? 0) + 1;
      calls.set(command, call);
      const error = decide(command, call);
      if (!error) return next(args);
      faults.thrown[command] = (faults.thrown[command] ?? 0) + 1;
      throw error;
    },
    { step: 'deserialize', name: 'throttleForTest' },
  );
  return faults;
}

/** The record Lambda sends to an asynchronous invocation's on-failure destination once its retries are exhausted. */
function onFailureRecord(event: CloudWatchLogsEvent): Record<string, unknown> {
  return {
    version: '1.0',
    timestamp: '2026-10-07T05:03:00.000Z',
    requestContext: { requestId: 'c2a6f2ae-7dbb-4d22-8782-d0485c9877e2', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:SilentAudit-Ingest:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'ProvisionedThroughputExceededException', errorMessage: 'The level of configured provisioned throughput for the table was exceeded.' },
  };
}

const findingsOf = (items: readonly Record<string, unknown>[]) => items.filter((i) => String(i.pk).startsWith('FINDING#'));
const pendingOf = (items: readonly Record<string, unknown>[]) => findingsOf(items).filter((i) => i.outbox !== undefined).map((i) => String(i.sk));
