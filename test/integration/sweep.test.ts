import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { createSweepHandler } from '../../lambdas/handlers/sweep.ts';
import { run } from '../helpers/events.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const config = validateConfig({ jobs: { 'nightly-backup': { schedule: '30 2 * * *', timezone: 'Europe/Berlin', grace_minutes: 20 } } });

describe('the sweep Lambda against DynamoDB Local', () => {
  it('judges missed runs against the stored state once, alerts once, and drains pending alerts', async () => {
    // Prepare: runs on Oct 20–23 (00:30Z), then nothing.
    sns.on(PublishCommand).resolves({});
    let now = Date.parse('2026-10-24T00:00:00Z');
    const { store } = await freshDynamoStore({ clock: () => now });
    const ctx = { config, clock: { now: () => now } };
    const events = [20, 21, 22, 23].flatMap((d) => run('nightly-backup', `nb-${d}`, `2026-10-${d}T00:30:05Z`, 40));
    await processBatch(events, REDUCERS, store, ctx);
    const sweep = createSweepHandler(() => ({ store, sink: new SnsAlertSink(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:1:t'), config, clock: { now: () => now } }));

    // Act: a sweep before the grace time is over, one after, and one more later.
    const before = await sweep();
    now = Date.parse('2026-10-24T00:51:00Z');
    const after = await sweep();
    now = Date.parse('2026-10-24T00:56:00Z');
    const again = await sweep();

    // Assess
    expect(before.findings).toEqual([]);
    expect(after.findings.map((f) => [f.detector, f.subject, f.expected_at])).toEqual([['missed-run', 'nightly-backup', '2026-10-24T00:30:00Z']]);
    expect(after.alerts.sent).toBe(1);
    expect(again.findings).toEqual([]);
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual(['[HIGH] missed-run: nightly-backup']);
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', detector: 'missed-run' });
    expect(stored.map((f) => [f.expected_at, f.alerted])).toEqual([['2026-10-24T00:30:00Z', true]]);
  });

  it('sees what ingest wrote since its last sweep, in a warm container that keeps state', async () => {
    // Prepare: a job without a schedule ended three runs; the sweep's container (with the deployed state cache) sweeps once
    sns.on(PublishCommand).resolves({});
    let now = Date.parse('2026-10-20T06:00:00Z');
    const { client, table, store: ingest } = await freshDynamoStore({ clock: () => now });
    const sweepStore = new DynamoAuditStore(client, table, { stateCacheSize: 2000, clock: () => now });
    const ctx = { config, clock: { now: () => now } };
    await processBatch([1, 2, 3].flatMap((h) => run('etl', `etl-${h}`, `2026-10-20T0${h}:00:00Z`, 10)), REDUCERS, ingest, ctx);
    const sweep = createSweepHandler(() => ({ store: sweepStore, sink: new SnsAlertSink(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:1:t'), config, clock: { now: () => now } }));
    const first = await sweep();
    // Act: another container ingests a run's start; the run never ends; the sweep runs two hours later
    await processBatch([run('etl', 'etl-4', '2026-10-20T06:00:00Z', 10)[0]], REDUCERS, ingest, ctx);
    now = Date.parse('2026-10-20T08:05:00Z');
    const later = await sweep();
    // Assess
    expect(first.findings).toEqual([]);
    expect(later.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-unfinished', 'etl-4']]);
  });

  it('delivers an alert left pending by a failed send', async () => {
    sns.on(PublishCommand).rejectsOnce(new Error('SNS down')).resolves({});
    let now = Date.parse('2026-10-26T03:00:00Z');
    const { store } = await freshDynamoStore({ clock: () => now });
    const ctx = { config, clock: { now: () => now } };
    await processBatch([20, 21].flatMap((d) => run('nightly-backup', `nb-${d}`, `2026-10-${d}T00:30:05Z`, 40)), REDUCERS, store, ctx);
    const sweep = createSweepHandler(() => ({ store, sink: new SnsAlertSink(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:1:t'), config, clock: { now: () => now } }));
    const first = await sweep();
    expect(first.findings.map((f) => f.expected_at)).toEqual(['2026-10-22T00:30:00Z', '2026-10-23T00:30:00Z', '2026-10-24T00:30:00Z', '2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z']);
    // The alert policy: the first missed run alerts (with the next one in the same sweep folded in),
    // the third in a row escalates (with the two after it folded in). They go out in the order the
    // runs were missed: the first alert goes first and fails.
    expect(first.alerts).toMatchObject({ sent: 1, failed: 1, suppressed: 3 });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual(['[HIGH] missed-run: nightly-backup', '[CRITICAL] missed-run: nightly-backup (3 in a row)']);
    now += 5 * 60_000;
    const second = await sweep();
    expect(second.findings).toEqual([]);
    expect(second.alerts).toMatchObject({ sent: 1, failed: 0 });
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)[2]).toBe('[HIGH] missed-run: nightly-backup');
    expect(await store.pendingAlerts(10)).toEqual([]);
  });
});
