import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../lambdas/adapters/dynamodb-local.ts';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import type { AgentState } from '../../lambdas/core/agent-reducer.ts';
import type { AgentRunState } from '../../lambdas/core/agent-run.ts';
import { findingKey } from '../../lambdas/core/findings.ts';
import type { IngestReport } from '../../lambdas/core/ingest.ts';
import type { JobState } from '../../lambdas/core/job-reducer.ts';
import type { RouteState } from '../../lambdas/core/route-reducer.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';
import { aboutOf, deal, subscriptionDelivery } from './month.ts';

const sns = mockClient(SNSClient);
let publishes: PublishCommandInput[] = [];
beforeEach(() => {
  publishes = [];
  sns.on(PublishCommand).callsFake((input: PublishCommandInput) => {
    publishes.push(input);
    return { MessageId: `m-${publishes.length}` };
  });
});
afterEach(() => sns.reset());

const T0 = Date.parse('2026-10-05T08:00:00Z');
const INVOCATIONS = 8;
const MONTH = { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' };

/**
 * `deliveries.length` ingest invocations at once, each in its own "Lambda container": its own
 * DynamoDB client and store (no state shared in memory, no state cache), its own SNS client.
 */
async function invokeConcurrently(
  table: string,
  config: Config,
  now: number,
  deliveries: readonly CloudWatchLogsEvent[],
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<IngestReport[]> {
  const containers = deliveries.map(() => {
    const client = localDynamoClient(inject('dynamoEndpoint'));
    const store = new DynamoAuditStore(client, table, { clock: () => now });
    const sink = new SnsAlertSink(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:123456789012:alerts');
    const handler = createIngestHandler(
      () => ({ store, sink, config, clock: { now: () => now } }),
      () => undefined,
    );
    return { client, handler };
  });
  try {
    return await Promise.all(deliveries.map((delivery, i) => containers[i].handler(delivery, context)));
  } finally {
    for (const c of containers) c.client.destroy();
  }
}

const line = (at: number, body: Record<string, unknown>) => ({ at, message: JSON.stringify(body) });
const streams = (logGroup: string, slices: readonly (readonly { at: number; message: string }[])[]) =>
  slices.map((slice, i) => subscriptionDelivery(logGroup, `2026/10/05/[$LATEST]${String(i).padStart(32, '0')}`, slice));

/** What each publish is about (a finding's key, or a notice): none may appear twice. */
const publishedKeys = () => publishes.map(aboutOf);

async function stateOf<S>(store: DynamoAuditStore, key: string): Promise<S> {
  return (await store.load([key])).get(key)?.state as S;
}

describe('8 concurrent ingest invocations on one subject, each in its own container: no update lost, none doubled', () => {
  it('one job: 48 runs, the start and end of each in different invocations, counted exactly', async () => {
    // Prepare: runs every 10 minutes, every 6th exits 3; each run's start and end land in neighbouring deliveries.
    const now = T0 + 10 * 3_600_000;
    const { store, table } = await freshDynamoStore({ clock: () => now });
    const runs = Array.from({ length: 48 }, (_, k) => ({ run_id: `etl-${String(k).padStart(2, '0')}`, at: T0 + k * 600_000, exit_code: k % 6 === 5 ? 3 : 0 }));
    const lines = runs.flatMap((r) => [
      line(r.at, { type: 'run.start', job: 'etl', run_id: r.run_id }),
      line(r.at + 60_000, { type: 'run.end', job: 'etl', run_id: r.run_id, exit_code: r.exit_code, duration_ms: 60_000, output_bytes: 5_000 }),
    ]);
    // Act
    const reports = await invokeConcurrently(table, validateConfig({}), now, streams('/aws/lambda/etl', deal(lines, INVOCATIONS)));
    // Assess
    const job = await stateOf<JobState>(store, 'job#etl');
    expect([job.runs, job.failures, job.open.length]).toEqual([48, 8, 0]);
    const records = await store.runs('job#etl', MONTH.from, MONTH.to);
    expect(records.map((r) => r.run_id).sort()).toEqual(runs.map((r) => r.run_id));
    const failed = runs.filter((r) => r.exit_code !== 0).map((r) => r.run_id);
    const stored = await store.query(MONTH);
    expect(stored.map((f) => `${f.detector} ${f.run_id}`).sort()).toEqual(failed.map((id) => `run-failed ${id}`));
    expect(reports.flatMap((r) => r.findings).map(findingKey).sort()).toEqual(stored.map((f) => f.key).sort());
    expect(reports.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThan(0);
    // Every finding's alert decided once: sent once or held, none pending, none published twice.
    expect(await store.pendingAlerts(100)).toEqual([]);
    expect(new Set(publishedKeys()).size).toBe(publishes.length);
  });

  it('one agent tree at its budget and one just over it: every action of root and sub-agents counted once, judged right', async () => {
    // Prepare: two trees of ops-bot (budget 60 actions): root 10 + planner 15 (searcher 20 under it) + writer 15 = 60,
    // and the same with one more writer action = 61. Every line of both, the roots' ends included, dealt over 8 invocations.
    const config = validateConfig({ agents: { 'ops-bot': { budget: { max_actions: 60 } } } });
    const now = T0 + 3_600_000;
    const { store, table } = await freshDynamoStore({ clock: () => now });
    const tree = (root: string, from: number, writerActions: number) => {
      let t = from;
      const next = () => (t += 1000);
      const acts = (agent: string, run_id: string, n: number) => Array.from({ length: n }, (_, i) => line(next(), { type: 'agent.action', agent, run_id, action: i % 3 === 0 ? 'tool_call' : 'llm_call', cost_usd: 0.001 }));
      const total = 10 + 15 + 20 + writerActions;
      return [
        line(next(), { type: 'agent.start', agent: 'ops-bot', run_id: root }),
        ...acts('ops-bot', root, 5),
        line(next(), { type: 'agent.start', agent: 'planner', run_id: `${root}.1`, parent_run_id: root }),
        ...acts('planner', `${root}.1`, 8),
        line(next(), { type: 'agent.start', agent: 'searcher', run_id: `${root}.1.1`, parent_run_id: `${root}.1` }),
        ...acts('searcher', `${root}.1.1`, 20),
        line(next(), { type: 'agent.end', agent: 'searcher', run_id: `${root}.1.1`, status: 'ok', actions_reported: 20 }),
        ...acts('planner', `${root}.1`, 7),
        line(next(), { type: 'agent.end', agent: 'planner', run_id: `${root}.1`, status: 'ok', actions_reported: 35 }),
        line(next(), { type: 'agent.start', agent: 'writer', run_id: `${root}.2`, parent_run_id: root }),
        ...acts('writer', `${root}.2`, writerActions),
        line(next(), { type: 'agent.end', agent: 'writer', run_id: `${root}.2`, status: 'ok', actions_reported: writerActions }),
        ...acts('ops-bot', root, 5),
        line(next(), { type: 'agent.end', agent: 'ops-bot', run_id: root, status: 'ok', actions_reported: total }),
      ];
    };
    const lines = [...tree('t-1', T0, 15), ...tree('t-2', T0 + 600_000, 16)];
    // Act
    const reports = await invokeConcurrently(table, config, now, streams('/aws/lambda/ops-bot', deal(lines, INVOCATIONS)));
    // Assess: every run's own actions, exactly.
    const runIds = ['t-1', 't-1.1', 't-1.1.1', 't-1.2', 't-2', 't-2.1', 't-2.1.1', 't-2.2'];
    const runs = await store.load(runIds.map((id) => `agentrun#${id}`));
    expect(runIds.map((id) => (runs.get(`agentrun#${id}`)?.state as AgentRunState).actions)).toEqual([10, 15, 20, 15, 10, 15, 20, 16]);
    // The tree at its budget is not over it; the one over it is reported once, with the exact count; nobody undercounted.
    const stored = await store.query(MONTH);
    expect(stored.map((f) => `${f.detector} ${f.run_id}`)).toEqual(['budget-exceeded t-2']);
    expect(stored[0].evidence).toMatchObject({ actions: 61, runs: 4 });
    expect(reports.flatMap((r) => r.findings).map(findingKey)).toEqual([stored[0].key]);
    const agent = await stateOf<AgentState>(store, 'agent#ops-bot');
    expect(agent.history.map((h) => h.run_id).sort()).toEqual(['t-1', 't-2']);
    expect(reports.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThan(0);
    expect(publishedKeys()).toEqual([`finding ${stored[0].key}`]);
  });

  it('one route: 200 requests, a retry often in another invocation than its first attempt, every attempt counted once', async () => {
    // Prepare: 200 requests within 4 minutes (inside the 5-minute request horizon); 3 of every 20 failed once
    // and were retried a second later. The 230 attempt lines are dealt over 8 invocations (8 execution
    // environments write 8 log streams), then one request 90 minutes later moves the route's time on.
    const now = T0 + 3 * 3_600_000;
    const { store, table } = await freshDynamoStore({ clock: () => now });
    const attempt = (at: number, request_id: string, n: number, outcome: string) => line(at, { type: 'attempt', route: 'search', request_id, attempt: n, outcome, latency_ms: 180 });
    const lines = Array.from({ length: 200 }, (_, r) => {
      const at = T0 + r * 1200;
      return r % 20 < 3 ? [attempt(at, `q-${r}`, 1, 'error'), attempt(at + 1000, `q-${r}`, 2, 'ok')] : [attempt(at, `q-${r}`, 1, 'ok')];
    }).flat();
    // Act
    const reports = await invokeConcurrently(table, validateConfig({}), now, streams('/aws/lambda/search-api', deal(lines, INVOCATIONS)));
    const moved = await invokeConcurrently(table, validateConfig({}), now, streams('/aws/lambda/search-api', [[attempt(T0 + 90 * 60_000, 'q-late', 1, 'ok')]]));
    // Assess
    expect(lines).toHaveLength(230);
    const route = await stateOf<RouteState>(store, 'route#search');
    expect(route.totals).toEqual({ requests: 201, retried: 30, failed: 0, attempts: 231 });
    expect(Object.keys(route.open)).toEqual([]);
    expect(reports.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThan(0);
    const stored = await store.query(MONTH);
    expect(stored.map((f) => [f.detector, f.message])).toEqual([
      ['retry-latency', 'p99 end-to-end latency of search was 1.2 s in the hour to 2026-10-05T08:15:00Z, 6.6× the p99 of single attempts (181 ms)'],
      ['retry-rate', '15% of 200 requests to search needed a retry in the hour to 2026-10-05T08:15:00Z (limit 10%)'],
      ['retry-latency', 'p99 end-to-end latency of search was 1.2 s in the 24 h to 2026-10-05T09:00:00Z, 6.6× the p99 of single attempts (181 ms)'],
      ['retry-rate', '15% of 200 requests to search needed a retry in the 24 h to 2026-10-05T09:00:00Z (limit 10%)'],
    ]);
    expect(stored[1].evidence).toMatchObject({ requests: 200, retried: 30, attempts_per_request: 1.15 });
    expect([...reports, ...moved].flatMap((r) => r.findings).map(findingKey).sort()).toEqual(stored.map((f) => f.key).sort());
  });
});

describe('24 concurrent ingest invocations on one job (a busy function: each environment its own log stream), each in its own container', () => {
  it('none gives up on its write: every run and every failure stored, each finding alerted once', async () => {
    // Prepare: 24 deliveries, each one failed run of the same job; every invocation is given Lambda's 60 s.
    // (Against DynamoDB Local this passes with the old 12-attempt retry too: it shows the outcome under
    // real contention, it does not guard the retry. Writes that lose 20 times in a row, and the handlers
    // passing their time on, are tested in test/core/commit-retry.test.ts and test/handlers/ingest.test.ts.)
    const now = T0 + 3_600_000;
    const { store, table } = await freshDynamoStore({ clock: () => now });
    const runs = Array.from({ length: 24 }, (_, k) => ({ run_id: `shared-${String(k).padStart(2, '0')}`, at: T0 + k * 1000 }));
    const deliveries = runs.map((r) => [
      line(r.at, { type: 'run.start', job: 'shared', run_id: r.run_id }),
      line(r.at + 500, { type: 'run.end', job: 'shared', run_id: r.run_id, exit_code: 1 }),
    ]);
    const deadline = Date.now() + 60_000;
    // Act
    const settled = await Promise.allSettled([invokeConcurrently(table, validateConfig({}), now, streams('/aws/lambda/shared', deliveries), { getRemainingTimeInMillis: () => deadline - Date.now() })]);
    // Assess
    expect(settled[0].status === 'rejected' ? String((settled[0] as PromiseRejectedResult).reason) : 'every invocation succeeded').toBe('every invocation succeeded');
    const job = await stateOf<JobState>(store, 'job#shared');
    expect([job.runs, job.failures, job.open.length]).toEqual([24, 24, 0]);
    const stored = await store.query(MONTH);
    expect(stored.map((f) => `${f.detector} ${f.run_id}`).sort()).toEqual(runs.map((r) => `run-failed ${r.run_id}`));
    expect(await store.pendingAlerts(100)).toEqual([]);
    expect(new Set(publishedKeys()).size).toBe(publishes.length);
  }, 60_000);
});
