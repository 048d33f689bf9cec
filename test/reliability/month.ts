import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import { type Finding, findingKey } from '../../lambdas/core/findings.ts';
import type { IngestReport } from '../../lambdas/core/ingest.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { decodeSubscriptionEvent, type Delivery, encodePayload, eventId, monthToDeliveries } from '../../lambdas/demo/cloudwatch-payload.ts';
import { type DemoLogStream, demoConfig, generateMonth } from '../../lambdas/demo/generate-month.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';

/**
 * The month the reliability tests replay: the demo month's nightly backup, daily report and invoice
 * export (October 1–25: baselines, three empty backups in a row, an empty report, a shrunk backup,
 * a failed report, a missed export) and the support agent's week from `test/fixtures/agents`
 * (agent trees, tool calls and a route's attempts, with its budget, undercount, cost-outlier,
 * tool-argument and retry-rate findings), as the CloudWatch Logs subscription deliveries the
 * ingest Lambda would get, event ids and all.
 */

const JOBS = ['nightly-backup', 'daily-report', 'invoice-export'];
const END = Date.parse('2026-10-26T00:00:00Z');
const AGENT_FIXTURE = fileURLToPath(new URL('../fixtures/agents/support-bot.jsonl', import.meta.url));
/** How long after a batch's last event CloudWatch hands it over (the demo's figure). */
export const DELIVERY_DELAY_MS = 30_000;

export interface ReplayMonth {
  readonly config: Config;
  readonly deliveries: readonly Delivery[];
  /** The deliveries by the UTC day they arrive on, with the day's last millisecond (when the sweep runs). */
  readonly days: readonly { readonly end: number; readonly deliveries: readonly Delivery[] }[];
  readonly lines: number;
}

function agentStream(): DemoLogStream {
  const events = readFileSync(AGENT_FIXTURE, 'utf8')
    .trimEnd()
    .split('\n')
    .map((message) => ({ timestamp: Date.parse(/"ts":"([^"]+)"/.exec(message)?.[1] ?? ''), message }));
  return { job: 'support-bot', format: 'lambda-console', logGroup: '/aws/lambda/support-bot', logStream: '2026/10/01/[$LATEST]5b0c7e1d9a2f4c6e8b1d3f5a7c9e0b2d', events };
}

export function replayMonth(): ReplayMonth {
  const month = generateMonth({ month: '2026-10' });
  const streams = month.logGroups
    .filter((s) => JOBS.includes(s.job))
    .map((s) => ({ ...s, events: s.events.filter((e) => e.timestamp < END) }))
    .filter((s) => s.events.length > 0);
  const deliveries = monthToDeliveries({ logGroups: [...streams, agentStream()] });
  const base = demoConfig();
  const config = validateConfig(
    {
      ...base,
      jobs: Object.fromEntries(Object.entries(base.jobs as Record<string, unknown>).filter(([name]) => JOBS.includes(name))),
      agents: { 'support-bot': { budget: { max_actions: 20 } } },
    },
    'replay config',
    undefined,
    { now: Date.parse('2026-10-01T00:00:00Z') },
  );
  const byDay = new Map<string, Delivery[]>();
  for (const d of deliveries) {
    const day = new Date(d.deliverAt + DELIVERY_DELAY_MS).toISOString().slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), d]);
  }
  const days = [...byDay].map(([day, list]) => ({ end: Date.parse(`${day}T00:00:00Z`) + 86_400_000 - 1, deliveries: list }));
  return { config, deliveries, days, lines: deliveries.reduce((n, d) => n + d.lines, 0) };
}

/** How one batch reaches the handler: once, twice, cut short and then whole… */
export type Delivering = (event: CloudWatchLogsEvent, lines: number, deliver: (event: CloudWatchLogsEvent) => Promise<IngestReport>) => Promise<void>;

export const deliverOnce: Delivering = async (event, _lines, deliver) => void (await deliver(event));

export interface MonthRun {
  /** Every item of the table at the end, as stored. */
  readonly items: Record<string, unknown>[];
  /** Every SNS publish that went through, in order. */
  readonly publishes: PublishCommandInput[];
  /** Publishes SNS refused (while `snsDown`). */
  readonly refused: number;
  /** Findings reported by the invocations and the sweeps, in the order they were reported. */
  readonly reported: Finding[];
  readonly invocations: number;
}

export interface MonthRunOptions {
  readonly delivering?: Delivering;
  /** SNS refuses every publish while this holds for the clock's time. */
  readonly snsDown?: (now: number) => boolean;
  /** Looks at the table after each day's sweep. */
  readonly afterDay?: (dayEnd: number, store: DynamoAuditStore) => Promise<void>;
}

/**
 * The deployed pipeline on a fresh table: every batch of the month through the ingest handler at
 * its delivery time (a fixed clock: the batch's last event + 30 s), the sweep at the end of each
 * day, SNS mocked on its own client; then every item of the table and every publish.
 */
export async function runMonth(month: ReplayMonth, options: MonthRunOptions = {}): Promise<MonthRun> {
  let now = 0;
  const clock = { now: () => now };
  const { store, client, table } = await freshDynamoStore({ clock: clock.now });
  const sns = new SNSClient({ region: 'eu-west-1' });
  const publishes: PublishCommandInput[] = [];
  let refused = 0;
  const mock = mockClient(sns);
  mock.on(PublishCommand).callsFake((input: PublishCommandInput) => {
    if (options.snsDown?.(now)) {
      refused++;
      throw Object.assign(new Error('Service Unavailable'), { name: 'InternalErrorException' });
    }
    publishes.push(input);
    return { MessageId: `m-${publishes.length}` };
  });
  const sink = new SnsAlertSink(sns, 'arn:aws:sns:eu-west-1:123456789012:silent-audit-alerts');
  const reports: IngestReport[] = [];
  const handler = createIngestHandler(
    () => ({ store, sink, config: month.config, clock }),
    (report) => reports.push(report),
  );
  const delivering = options.delivering ?? deliverOnce;
  const reported: Finding[] = [];
  let invocations = 0;
  try {
    for (const day of month.days) {
      for (const delivery of day.deliveries) {
        now = delivery.deliverAt + DELIVERY_DELAY_MS;
        await delivering(delivery.event, delivery.lines, (event) => handler(event));
      }
      invocations += reports.length;
      reported.push(...reports.splice(0).flatMap((r) => r.findings));
      now = day.end;
      reported.push(...(await runSweep({ store, sink, config: month.config, clock })).findings);
      await options.afterDay?.(day.end, store);
    }
    return { items: await scanTable(client, table), publishes, refused, reported, invocations };
  } finally {
    mock.restore();
    client.destroy();
  }
}

/** What a publish is about: `<kind> <finding key>` from its JSON body for machines, or the notice it carries. */
export function aboutOf(input: PublishCommandInput): string {
  const data = JSON.parse(JSON.parse(input.Message ?? '{}').default) as { kind: string; subject: string; finding?: Finding; notice?: { id: string } };
  return data.finding ? `${data.kind} ${findingKey(data.finding)}` : `${data.kind} ${data.subject} ${data.notice?.id ?? ''}`;
}

/** The first `count` log events of a delivery, with their own ids: what a crashed invocation got through. */
export function prefixOf(event: CloudWatchLogsEvent, count: number): CloudWatchLogsEvent {
  const payload = decodeSubscriptionEvent(event);
  return encodePayload({ ...payload, logEvents: payload.logEvents.slice(0, count) });
}

/** Every item of a table, as stored, in key order. */
export async function scanTable(client: DynamoDBClient, table: string): Promise<Record<string, unknown>[]> {
  const doc = DynamoDBDocumentClient.from(client);
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => `${a.pk}\u0000${a.sk}`.localeCompare(`${b.pk}\u0000${b.sk}`));
}

let nextSequence = 1n;

/** One subscription delivery of some lines of a log stream, each with its own CloudWatch event id. */
export function subscriptionDelivery(logGroup: string, logStream: string, lines: readonly { readonly at: number; readonly message: string }[]): CloudWatchLogsEvent {
  return encodePayload({
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup,
    logStream,
    subscriptionFilters: ['silent-audit-ingest'],
    logEvents: lines.map((l) => ({ id: eventId(l.at, nextSequence++), timestamp: l.at, message: l.message })),
  });
}

/** `n` slices of a list, dealt round-robin: every slice holds lines from all of it, in order. */
export function deal<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((item, i) => out[i % n].push(item));
  return out;
}
