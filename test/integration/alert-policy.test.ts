import { describe, expect, it } from 'vitest';
import { DynamoSnoozeStore } from '../../lambdas/adapters/dynamodb-snooze-store.ts';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import type { AlertState } from '../../lambdas/core/alert-policy.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import { type Finding, isoTime } from '../../lambdas/core/findings.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import type { AlertSink, RunRecord } from '../../lambdas/ports.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';
import { run } from '../helpers/events.ts';

const NOW = Date.parse('2026-10-10T12:00:00Z');
const config = validateConfig({}, 'test', undefined, { now: NOW });

/** Records every message; may fail the first `failures` sends, and waits a little so concurrent senders overlap. */
class RecordingSink implements AlertSink {
  readonly messages: AlertMessage[] = [];
  constructor(private failures = 0) {}
  async publish(): Promise<void> {
    throw new Error('the policy sends messages, not findings');
  }
  async send(message: AlertMessage): Promise<void> {
    await new Promise((r) => setTimeout(r, 5));
    if (this.failures > 0) {
      this.failures--;
      throw new Error('SNS is down');
    }
    this.messages.push(message);
  }
}

function failure(subject: string, run: number, detector: Finding['detector'] = 'run-failed'): Finding {
  const at = NOW - (100 - run) * 60_000;
  return { detector, subject, subject_kind: 'job', run_id: `${subject}-${run}`, ts: isoTime(at), severity: 'high', message: `run ${run} exited with code 1`, evidence: { exit_code: 1 } };
}

/** Stores findings as the pipeline does (pending in the outbox), under a state item of their own. */
async function storeFindings(store: DynamoAuditStore, key: string, findings: readonly Finding[], records: readonly RunRecord[] = []): Promise<void> {
  expect(await store.commit({ key, expectedVersion: 0, state: { stored: findings.length }, findings, records })).toBe('committed');
}

async function alertState(store: DynamoAuditStore, subject: string): Promise<{ state: AlertState; version: number } | undefined> {
  return (await store.load([`alert#job#${subject}`])).get(`alert#job#${subject}`) as { state: AlertState; version: number } | undefined;
}

describe('the alert policy against DynamoDB Local', () => {
  it('sends one alert when five invocations alert the same detector and subject at once; the others are held and counted', async () => {
    // Prepare: five findings, each handed to its own invocation (its own store client, as separate Lambdas).
    const { client, table, store } = await freshDynamoStore();
    const findings = [1, 2, 3, 4, 5].map((n) => failure('etl', n));
    await storeFindings(store, 'seed#etl', findings);
    const sink = new RecordingSink();
    // Act
    const results = await Promise.all(findings.map((f) => deliverAlerts([f], new DynamoAuditStore(client, table), sink, { now: () => NOW }, { config: { ...config, defaults: { ...config.defaults, escalate_after_failures: 10 } }, drainLimit: 0 })));
    // Assess
    expect(sink.messages.map((m) => [m.kind, m.title])).toEqual([['finding', '[HIGH] run-failed: etl']]);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(1);
    expect(results.reduce((n, r) => n + (r.suppressed ?? 0), 0)).toBe(4);
    expect(await store.pendingAlerts(10)).toEqual([]);
    const stored = await alertState(store, 'etl');
    expect(stored?.state.detectors['run-failed']).toMatchObject({ lastSentAt: NOW, suppressed: 4, streak: 5 });
    expect(Object.values(stored!.state.decided).map((d) => d.disposition).sort()).toEqual(['sent', 'suppressed', 'suppressed', 'suppressed', 'suppressed']);
  });

  it('sends a finding once when two invocations deliver it at the same time', async () => {
    // Prepare
    const { client, table, store } = await freshDynamoStore();
    const f = failure('backup', 1);
    await storeFindings(store, 'seed#backup', [f]);
    const sink = new RecordingSink();
    // Act
    const results = await Promise.all([0, 1].map(() => deliverAlerts([f], new DynamoAuditStore(client, table), sink, { now: () => NOW }, { config, drainLimit: 0 })));
    // Assess
    expect(sink.messages).toHaveLength(1);
    expect(results.map((r) => r.sent).sort()).toEqual([0, 1]);
    expect(await store.pendingAlerts(10)).toEqual([]);
  });

  it('keeps a decided alert pending when the send fails, and sends it as decided with the next delivery', async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    const [first, second] = [failure('etl', 1), failure('etl', 2)];
    await storeFindings(store, 'seed#etl', [first, second]);
    const sink = new RecordingSink(1);
    // Act
    const failed = await deliverAlerts([first], store, sink, { now: () => NOW }, { config, drainLimit: 0 });
    const next = await deliverAlerts([second], store, sink, { now: () => NOW + 60_000 }, { config, drainLimit: 10 });
    // Assess
    expect(failed).toMatchObject({ sent: 0, failed: 1, errors: [expect.stringMatching(/SNS is down/)] });
    expect(next).toMatchObject({ sent: 1, failed: 0, suppressed: 1 });
    expect(sink.messages.map((m) => m.findings[0].run_id)).toEqual(['etl-1']);
    expect(await store.pendingAlerts(10)).toEqual([]);
  });

  it('holds findings under a stored snooze, and alerts with the count once it ended', async () => {
    // Prepare
    const { client, table, store } = await freshDynamoStore();
    const snoozes = new DynamoSnoozeStore(client, table);
    await snoozes.add({ id: 'SZ-1', subject: 'etl', owner: 'alice', reason: 'vendor outage', until: isoTime(NOW + 3_600_000), status: 'active', origin: 'cli' });
    const [a, b] = [failure('etl', 1, 'output-shrink'), failure('etl', 2, 'output-shrink')];
    await storeFindings(store, 'seed#etl', [a, b]);
    const sink = new RecordingSink();
    // Act
    const during = await deliverAlerts([a], store, sink, { now: () => NOW }, { config, snoozes, drainLimit: 0 });
    await snoozes.end('SZ-1', { at: isoTime(NOW + 60_000), by: 'alice', reason: 'fixed' });
    const after = await deliverAlerts([b], store, sink, { now: () => NOW + 120_000 }, { config, snoozes, drainLimit: 0 });
    // Assess
    expect(during).toMatchObject({ sent: 0, snoozed: 1 });
    expect(after).toMatchObject({ sent: 1, snoozed: 0 });
    expect(sink.messages[0].text).toContain('1 similar alert suppressed since 2026-10-10T12:00:00Z (1 while snoozed or in maintenance).');
    expect((await alertState(store, 'etl'))?.state.decided).toMatchObject({ [`${a.ts}#output-shrink#etl#etl-1`]: { disposition: 'snoozed', by: 'SZ-1' } });
  });

  it('holds a flapping notice under a stored snooze, even in a delivery of run records alone, and counts it as snoozed', async () => {
    // Prepare: a job failing every other run, no finding delivered (the runs' records say it), snoozed in the table.
    const { client, table, store } = await freshDynamoStore();
    const snoozes = new DynamoSnoozeStore(client, table);
    await snoozes.add({ id: 'SZ-1', subject: 'etl', owner: 'alice', reason: 'vendor outage', until: isoTime(NOW + 86_400_000), status: 'active', origin: 'cli' });
    const record = (run: number): RunRecord => ({ subject: 'etl', subject_kind: 'job', run_id: `etl-${run}`, ts: isoTime(NOW - (100 - run) * 60_000), status: run % 2 === 1 ? 'failed' : 'ok' });
    const sink = new RecordingSink();
    // Act
    const results = [];
    for (let run = 1; run <= 10; run++) results.push(await deliverAlerts([], store, sink, { now: () => NOW + run * 60_000 }, { config, snoozes, records: [record(run)], drainLimit: 0 }));
    // Assess
    expect(sink.messages).toEqual([]);
    expect(results.reduce((n, r) => n + (r.snoozed ?? 0), 0)).toBe(1);
    expect((await alertState(store, 'etl'))?.state.health?.flapping).toMatchObject({ heldAt: NOW + 7 * 60_000 });
  });

  it('caps a storm at alert_storm_cap messages and sums up the rest in one', async () => {
    // Prepare: 25 jobs fail at once.
    const { store } = await freshDynamoStore();
    const findings = Array.from({ length: 25 }, (_, i) => failure(`job-${String(i).padStart(2, '0')}`, 1));
    await storeFindings(store, 'seed#storm', findings);
    const sink = new RecordingSink();
    // Act
    const result = await deliverAlerts(findings, store, sink, { now: () => NOW }, { config, drainLimit: 0 });
    // Assess
    expect(result).toMatchObject({ sent: 21, failed: 0, summarized: 5 });
    expect(sink.messages.filter((m) => m.kind === 'finding')).toHaveLength(20);
    const summary = sink.messages.find((m) => m.kind === 'summary')!;
    expect(summary.title).toBe('[HIGH] silent-audit: 5 more alerts (storm cap 20)');
    expect(summary.data.items).toHaveLength(5);
    expect(await store.pendingAlerts(50)).toEqual([]);
  });

  it('sends a recovery notice after three healthy runs and clears it from the state once sent', async () => {
    // Prepare: a failed run alerted, then three healthy runs in later batches.
    const { store } = await freshDynamoStore();
    const failed = failure('etl', 1);
    const record = (run: number, status: RunRecord['status']): RunRecord => ({ subject: 'etl', subject_kind: 'job', run_id: `etl-${run}`, ts: isoTime(NOW - (100 - run) * 60_000), status });
    await storeFindings(store, 'seed#etl', [failed], [record(1, 'failed')]);
    const sink = new RecordingSink();
    await deliverAlerts([failed], store, sink, { now: () => NOW }, { config, records: [record(1, 'failed')], drainLimit: 0 });
    const reads: string[] = [];
    const load = store.load.bind(store);
    store.load = (keys, options) => (reads.push(...keys), load(keys, options));
    // Act
    const results = [];
    const readsPerDelivery = [];
    for (const run of [2, 3, 4]) {
      results.push(await deliverAlerts([], store, sink, { now: () => NOW + run * 60_000 }, { config, records: [record(run, 'ok')], drainLimit: 0 }));
      readsPerDelivery.push(reads.splice(0).filter((k) => k === 'alert#job#etl').length);
    }
    // Assess: the notice is settled from the state just written, not read again (this store has no cache)
    expect(results.map((r) => r.sent)).toEqual([0, 0, 1]);
    expect(readsPerDelivery).toEqual([1, 1, 1]);
    expect(sink.messages.map((m) => [m.kind, m.title])).toEqual([
      ['finding', '[HIGH] run-failed: etl'],
      ['recovery', '[RECOVERED] etl healthy for 3 runs'],
    ]);
    const stored = await alertState(store, 'etl');
    expect(stored?.state.notices).toEqual([]);
    expect(stored?.state.open).toBeUndefined();
  });

  it('follows a job through the pipeline: the failing run alerts, three healthy runs recover it (run records from processBatch)', async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    const sink = new RecordingSink();
    const day = (d: number, exit_code: number) => run('etl', `etl-${d}`, `2026-10-${String(d).padStart(2, '0')}T02:00:00Z`, 30, { exit_code });
    const batchOf = async (d: number, exit_code: number) => {
      const now = Date.parse(`2026-10-${String(d).padStart(2, '0')}T03:00:00Z`);
      const batch = await processBatch(day(d, exit_code), REDUCERS, store, { config, clock: { now: () => now } });
      return deliverAlerts(batch.findings, store, sink, { now: () => now }, { config, records: batch.records, drainLimit: 0 });
    };
    // Act
    const results = [];
    for (const [d, code] of [[1, 0], [2, 3], [3, 0], [4, 0], [5, 0], [6, 0]]) results.push(await batchOf(d, code));
    // Assess
    expect(results.map((r) => r.sent)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(sink.messages.map((m) => m.title)).toEqual(['[HIGH] run-failed: etl', '[RECOVERED] etl healthy for 3 runs']);
    expect(sink.messages[1].text).toContain('Last run:   etl-5');
  });
});
