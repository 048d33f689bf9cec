import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { type Finding, findingKey } from '../../lambdas/core/findings.ts';
import { type IngestDeps, type IngestReport, ingestDelivery } from '../../lambdas/core/ingest.ts';
import { ingestKinesisBatch, KinesisEventError } from '../../lambdas/core/kinesis-ingest.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { controlMessage, encodePayload, monthToDeliveries } from '../../lambdas/demo/cloudwatch-payload.ts';
import { generateMonth } from '../../lambdas/demo/generate-month.ts';
import { createKinesisIngestHandler } from '../../lambdas/handlers/ingest-kinesis.ts';
import type { CommitResult, SubjectCommit } from '../../lambdas/ports.ts';

const month = generateMonth({ month: '2026-10' });
const config = validateConfig(month.config, 'demo config');
/** The demo month's first 16 days of deliveries: every job, Lambda platform lines and run lines, the first planted failures. */
const deliveries = monthToDeliveries(month).filter((d) => d.deliverAt < Date.UTC(2026, 9, 17));
const NOW = Date.UTC(2026, 9, 17);

/** Kinesis records as CloudWatch Logs puts them: each one subscription payload, base64 of gzip. */
function kinesisEvent(payloads: readonly CloudWatchLogsEvent[], firstSequence = 1) {
  return {
    Records: payloads.map((p, i) => ({
      eventSource: 'aws:kinesis',
      eventSourceARN: 'arn:aws:kinesis:eu-central-1:123456789012:stream/silent-audit',
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: `partition-${i % 3}`, sequenceNumber: String(49_000_000 + firstSequence + i), data: p.awslogs.data, approximateArrivalTimestamp: 1_790_000_000 },
    })),
  };
}

/** A memory store that counts the state keys read, and can fail the commits of one subject. */
class CountingStore extends MemoryAuditStore {
  readonly reads = new Map<string, number>();
  failKey?: string;

  override async load(keys: readonly string[]) {
    for (const key of keys) this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
    return super.load(keys);
  }

  override async commit(change: SubjectCommit): Promise<CommitResult> {
    if (change.key === this.failKey) throw new Error(`DynamoDB is unavailable for ${change.key}`);
    return super.commit(change);
  }
}

function deps(store: MemoryAuditStore): IngestDeps {
  return { store, sink: { publish: async () => undefined }, config, clock: { now: () => NOW } };
}

describe('ingestKinesisBatch: CloudWatch payloads from a Kinesis stream, as one batch', () => {
  it('joins a line a container runtime split over two payloads of one log stream in the batch, another stream between them', async () => {
    // Prepare: a run.end in three Docker records (16 KiB each but the last), the last in the stream's next payload
    const at = Date.UTC(2026, 9, 16, 10);
    const end = JSON.stringify({ ts: new Date(at).toISOString(), type: 'run.end', job: 'pod-etl', run_id: 'pod-etl-1', exit_code: 2, duration_ms: 1000, output_head: 'x'.repeat(40_000) });
    const docker = (log: string) => JSON.stringify({ log, stream: 'stdout', time: new Date(at).toISOString() });
    const payload = (logStream: string, messages: readonly string[], first: number) =>
      encodePayload({
        messageType: 'DATA_MESSAGE',
        owner: '123456789012',
        logGroup: '/eks/jobs',
        logStream,
        subscriptionFilters: ['silent-audit'],
        logEvents: messages.map((message, i) => ({ id: String(first + i), timestamp: at + 1000, message })),
      });
    const event = kinesisEvent([
      payload('pod-etl', [docker(end.slice(0, 16_384)), docker(end.slice(16_384, 32_768))], 1),
      payload('pod-other', [docker('hello\n')], 10),
      payload('pod-etl', [docker(`${end.slice(32_768)}\n`)], 3),
    ]);
    const store = new MemoryAuditStore();

    // Act
    const result = await ingestKinesisBatch(event, { store, sink: { publish: async () => undefined }, config: validateConfig({}, 'empty config'), clock: { now: () => at + 60_000 } });

    // Assess: one line of the three records, and the other stream's
    expect(result.reports).toHaveLength(1);
    expect(result.reports[0].counts).toMatchObject({ lines: 2, events: 1, rejected: 0, unrecognised: 1 });
    expect(result.reports[0].findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([['run-failed', 'pod-etl', 'pod-etl-1']]);
  });

  it('when the batch fails, still joins a line split over two payloads of one stream, retrying from the first of them if they fail', async () => {
    // Prepare: a run.end in two Docker records (its first the 16 KiB Docker cuts), in payloads 1 and 3; the first read of state fails
    const at = Date.UTC(2026, 9, 16, 10);
    const end = JSON.stringify({ ts: new Date(at).toISOString(), type: 'run.end', job: 'pod-etl', run_id: 'pod-etl-1', exit_code: 2, duration_ms: 1000, output_head: 'x'.repeat(20_000) });
    const docker = (log: string) => JSON.stringify({ log, stream: 'stdout', time: new Date(at).toISOString() });
    const other = JSON.stringify({ ts: new Date(at).toISOString(), type: 'run.start', job: 'other', run_id: 'o-1' });
    const payload = (logStream: string, message: string, id: number) =>
      encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/eks/jobs', logStream, subscriptionFilters: ['silent-audit'], logEvents: [{ id: String(id), timestamp: at + 1000, message }] });
    const event = kinesisEvent([payload('pod-etl', docker(end.slice(0, 16_384)), 1), payload('pod-x', docker(`${other}\n`), 2), payload('pod-etl', docker(`${end.slice(16_384)}\n`), 3)]);
    class FailingOnce extends MemoryAuditStore {
      failures = 1;
      override async load(keys: readonly string[]) {
        if (this.failures-- > 0) throw new Error('ProvisionedThroughputExceeded');
        return super.load(keys);
      }
    }
    const ingest = (store: MemoryAuditStore) => ingestKinesisBatch(event, { store, sink: { publish: async () => undefined }, config: validateConfig({}, 'empty config'), clock: { now: () => at + 60_000 } });
    const failing = new CountingStore();
    failing.failKey = 'job#pod-etl';

    // Act
    const result = await ingest(new FailingOnce());
    const failed = await ingest(failing);

    // Assess: the three records go as one, the run.end joined; when they fail, Lambda retries from the first
    expect(result.fellBack).toBe(true);
    expect(result.reports.map((r) => r.counts)).toEqual([expect.objectContaining({ lines: 2, events: 2, rejected: 0, unrecognised: 0 })]);
    expect(result.reports.flatMap((r) => r.findings.map((f) => [f.detector, f.run_id]))).toEqual([['run-failed', 'pod-etl-1']]);
    expect(failed.response).toEqual({ batchItemFailures: [{ itemIdentifier: String(49_000_001) }] });
  });

  it('finds what the Lambda subscription finds payload by payload, reading each subject once per invocation', async () => {
    // Prepare
    const perPayload = new MemoryAuditStore();
    const merged = new CountingStore();
    const events = deliveries.map((d) => d.event);

    // Act
    const one: IngestReport[] = [];
    for (const e of events) one.push(await ingestDelivery(e, deps(perPayload)));
    const result = await ingestKinesisBatch(kinesisEvent(events), deps(merged));

    // Assess
    expect(result.response).toEqual({ batchItemFailures: [] });
    expect(result).toMatchObject({ records: events.length, payloadsRejected: 0, controlMessages: 0, fellBack: false });
    const report = result.reports[0];
    expect(report.counts).toEqual({
      lines: one.reduce((n, r) => n + r.counts.lines, 0),
      events: one.reduce((n, r) => n + r.counts.events, 0),
      eventLines: one.reduce((n, r) => n + r.counts.eventLines, 0),
      nothingToJudge: one.reduce((n, r) => n + r.counts.nothingToJudge, 0),
      rejected: 0,
      unrecognised: one.reduce((n, r) => n + r.counts.unrecognised, 0),
    });
    const keys = (findings: readonly { detector: string; subject: string; ts: string; run_id?: string }[]) => findings.map((f) => findingKey(f as never)).sort();
    expect(keys(report.findings)).toEqual(keys(one.flatMap((r) => r.findings)));
    expect(report.findings.length).toBeGreaterThan(0);
    // Subject state once per invocation; an alert state carrying a notice is read again when it is settled (see the bench).
    const reads = [...merged.reads];
    expect(Math.max(...reads.filter(([key]) => !key.startsWith('alert#')).map(([, n]) => n))).toBe(1);
    expect(Math.max(...reads.map(([, n]) => n))).toBeLessThanOrEqual(2);
    expect(merged.reads.size).toBeGreaterThanOrEqual(5);
  });

  it("alerts under the config's alert policy, as the Lambda subscription does: a configured snooze holds the alerts back", async () => {
    // Prepare: the findings of the first 16 days, then the same month with every finding's subject snoozed.
    const plain = await ingestKinesisBatch(kinesisEvent(deliveries.map((d) => d.event)), deps(new MemoryAuditStore()));
    const subjects = [...new Set(plain.reports.flatMap((r) => r.findings.map((f) => f.subject)))];
    const snoozes = subjects.map((subject) => ({ subject, owner: 'ops', reason: 'migration', until: '2026-10-20T00:00:00Z' }));
    const snoozed = validateConfig({ ...(month.config as object), snoozes }, 'demo config', undefined, { now: NOW });
    const sent: unknown[] = [];

    // Act
    const result = await ingestKinesisBatch(kinesisEvent(deliveries.map((d) => d.event)), { ...deps(new MemoryAuditStore()), config: snoozed, sink: { publish: async (f) => void sent.push(f) } });

    // Assess
    expect(plain.reports[0].alerts.sent).toBeGreaterThan(0);
    expect(result.reports[0].findings.length).toBe(plain.reports[0].findings.length);
    expect(sent).toEqual([]);
    expect(result.reports[0].alerts).toMatchObject({ sent: 0, snoozed: plain.reports[0].findings.length });
  });

  it('skips a control message and counts a record that is not a CloudWatch payload as rejected, processing the rest', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    const garbage: CloudWatchLogsEvent = { awslogs: { data: gzipSync('not json').toString('base64') } };
    const event = kinesisEvent([controlMessage(), garbage, deliveries[0].event]);

    // Act
    const result = await ingestKinesisBatch(event, deps(store));

    // Assess
    expect(result).toMatchObject({ records: 3, payloadsRejected: 1, controlMessages: 1, response: { batchItemFailures: [] } });
    expect(result.reports.map((r) => r.status)).toEqual(['payload-rejected', 'processed']);
    expect(result.reports[0].rejections[0]).toEqual({ where: 'kinesis record 49000002 (partition key partition-1)', reason: expect.stringContaining('awslogs.data does not hold JSON') });
    expect(result.reports[1].counts.lines).toBe(deliveries[0].lines);
  });

  it('when the batch fails, keeps what succeeds record by record and reports the first record that failed, for Lambda to retry from', async () => {
    // Prepare: the invoice-export job's state cannot be written.
    const store = new CountingStore();
    store.failKey = 'job#invoice-export';
    const firstFailing = deliveries.findIndex((d) => d.logGroup === '/aws/lambda/invoice-export');
    const events = deliveries.slice(0, firstFailing + 10).map((d) => d.event);

    // Act
    const result = await ingestKinesisBatch(kinesisEvent(events, 100), deps(store));

    // Assess
    expect(firstFailing).toBeGreaterThan(0);
    expect(result.fellBack).toBe(true);
    expect(result.fallbackError).toBe('Error: DynamoDB is unavailable for job#invoice-export');
    expect(result.response).toEqual({ batchItemFailures: [{ itemIdentifier: String(49_000_000 + 100 + firstFailing) }] });
    expect(result.reports).toHaveLength(firstFailing);
    expect((await store.load(['job#invoice-export'])).size).toBe(0);
    expect((await store.load(['job#cache-warmer'])).get('job#cache-warmer')?.version).toBeGreaterThan(0);
  });

  it('when the batch kept losing its writes, leaves the records one by one time to run, and hands back those it had no time for', async () => {
    // Prepare: a 2-minute invocation (fake time: each read and write of state takes 3 s, a wait takes its length); the
    // job of the batch's last record (its only one) loses every write, so the merged batch keeps retrying.
    let elapsed = 0;
    const remainingMs = () => 120_000 - elapsed;
    const retry = { remainingMs, sleep: async (ms: number) => void (elapsed += ms), random: () => 0.5 };
    const at = NOW - 3_600_000;
    const line = JSON.stringify({ ts: new Date(at).toISOString(), type: 'run.end', job: 'contended', run_id: 'c-1', exit_code: 1 });
    const last = encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/contended', logStream: 'host-1', subscriptionFilters: ['silent-audit'], logEvents: [{ id: '1', timestamp: at, message: line }] });
    const events = [...deliveries.slice(0, 49).map((d) => d.event), last];
    const contended = 'job#contended';
    const store = new MemoryAuditStore();
    const [load, commit] = [store.load.bind(store), store.commit.bind(store)];
    store.load = async (keys: readonly string[]) => {
      elapsed += 3_000;
      return load(keys);
    };
    store.commit = async (change: SubjectCommit): Promise<CommitResult> => {
      elapsed += 3_000;
      return change.key === contended ? 'conflict' : commit(change);
    };

    // Act
    const result = await ingestKinesisBatch(kinesisEvent(events, 100), { ...deps(store), retry });

    // Assess: the answer comes before the deadline; Lambda retries from the first record not processed.
    const kept = result.reports.length;
    expect(result.fellBack).toBe(true);
    expect(result.fallbackError).toMatch(/^CommitConflictError: /);
    expect(remainingMs()).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(50);
    expect(result.response).toEqual({ batchItemFailures: [{ itemIdentifier: String(49_000_100 + kept) }] });
    expect(result.failedRecord).toEqual({ sequenceNumber: String(49_000_100 + kept), error: expect.stringMatching(/^not processed: \d+ ms of the invocation left/) });
  });

  it('a finding stored by an invocation whose alert-state write ran out of retries is alerted once, by the sweep after the redelivery', async () => {
    // Prepare: one record, a failed run of etl; a 2-minute invocation (fake time: a wait takes its length) in which
    // every write of etl's alert state loses, so the merged batch and then the record alone give up
    // (CommitConflictError) after etl's state and its finding were written.
    let elapsed = 0;
    const retry = { remainingMs: () => 120_000 - elapsed, sleep: async (ms: number) => void (elapsed += ms), random: () => 0.5 };
    const at = NOW - 3_600_000;
    const line = JSON.stringify({ ts: new Date(at).toISOString(), type: 'run.end', job: 'etl', run_id: 'etl-1', exit_code: 1 });
    const event = kinesisEvent([encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/etl', logStream: 'host-1', subscriptionFilters: ['silent-audit'], logEvents: [{ id: '1', timestamp: at, message: line }] })]);
    const store = new MemoryAuditStore();
    const commit = store.commit.bind(store);
    let contended = true;
    store.commit = async (change: SubjectCommit): Promise<CommitResult> => (contended && change.key === 'alert#job#etl' ? 'conflict' : commit(change));
    const sent: string[] = [];
    const sink = { publish: async (f: Finding) => void sent.push(`${f.detector} ${f.subject} ${f.run_id}`) };
    const ingestDeps = { ...deps(store), sink, config: validateConfig({}, 'empty config') };

    // Act: the invocation; Lambda's retry from the record handed back, once the writes win again; the next sweep.
    const first = await ingestKinesisBatch(event, { ...ingestDeps, retry });
    contended = false;
    const redelivery = await ingestKinesisBatch({ Records: event.Records.filter((r) => first.response.batchItemFailures.some((f) => f.itemIdentifier === r.kinesis.sequenceNumber)) }, ingestDeps);
    const pendingAfterRedelivery = (await store.pendingAlerts(10)).map((f) => f.key);
    const sweep = await runSweep({ store, sink, config: ingestDeps.config, clock: { now: () => NOW + 300_000 } });
    const again = await runSweep({ store, sink, config: ingestDeps.config, clock: { now: () => NOW + 600_000 } });

    // Assess: the first invocation stored the finding and failed its record; the redelivery finds the run
    // processed (no finding, no alert); the finding waited in the outbox and the sweep sent it, once.
    expect(first.fellBack).toBe(true);
    expect(first.fallbackError).toMatch(/^CommitConflictError: state of alert#job#etl/);
    expect(first.response.batchItemFailures).toHaveLength(1);
    expect(redelivery.response).toEqual({ batchItemFailures: [] });
    expect(redelivery.reports.flatMap((r) => r.findings)).toEqual([]);
    expect(redelivery.reports.map((r) => r.alerts.sent)).toEqual([0]);
    expect(pendingAfterRedelivery).toHaveLength(1);
    expect(sweep.alerts.sent).toBe(1);
    expect(again.alerts.sent).toBe(0);
    expect(sent).toEqual(['run-failed etl etl-1']);
    expect(await store.pendingAlerts(10)).toEqual([]);
  });

  it('counts a refused record or control message once when Lambda retries from a failed record before it', async () => {
    // Prepare: a record that is not a payload, the deliveries up to the invoice-export job's first, whose
    // state cannot be written, then a second record that is not a payload and a control message
    const store = new CountingStore();
    store.failKey = 'job#invoice-export';
    const firstFailing = deliveries.findIndex((d) => d.logGroup === '/aws/lambda/invoice-export');
    const garbage: CloudWatchLogsEvent = { awslogs: { data: gzipSync('not json').toString('base64') } };
    const event = kinesisEvent([garbage, ...deliveries.slice(0, firstFailing + 1).map((d) => d.event), garbage, controlMessage()], 100);

    // Act: the invocation, then Lambda's retry from the record reported, once the table takes writes again
    const first = await ingestKinesisBatch(event, deps(store));
    const failedAt = event.Records.findIndex((r) => r.kinesis.sequenceNumber === first.response.batchItemFailures[0]?.itemIdentifier);
    store.failKey = undefined;
    const retry = await ingestKinesisBatch({ Records: event.Records.slice(failedAt) }, deps(store));

    // Assess: each refused record is counted and reported in the invocation that settles it, and only there
    expect(failedAt).toBe(firstFailing + 1);
    expect(first).toMatchObject({ payloadsRejected: 1, controlMessages: 0, fellBack: true });
    expect(first.reports.map((r) => r.status)).toEqual(['payload-rejected', ...Array(firstFailing).fill('processed')]);
    expect(first.reports[0].rejections[0].where).toBe('kinesis record 49000100 (partition key partition-0)');
    expect(retry).toMatchObject({ payloadsRejected: 1, controlMessages: 1, response: { batchItemFailures: [] } });
    expect(retry.reports.flatMap((r) => r.rejections.map((j) => j.where))).toEqual([`kinesis record ${49_000_100 + firstFailing + 2} (partition key partition-${(firstFailing + 2) % 3})`]);
  });

  it('refuses an event that is not a Kinesis event, naming what is missing', async () => {
    // Act and Assess
    await expect(ingestKinesisBatch({ Records: [{ kinesis: { data: 'x' } }] }, deps(new MemoryAuditStore()))).rejects.toThrow(KinesisEventError);
    await expect(ingestKinesisBatch({ awslogs: { data: 'x' } }, deps(new MemoryAuditStore()))).rejects.toThrow(/not a Kinesis stream event: Records: /);
  });

  it('the handler answers with batchItemFailures and hands every report to the observer', async () => {
    // Prepare
    const seen: IngestReport[] = [];
    const store = new MemoryAuditStore();
    const handler = createKinesisIngestHandler(
      () => deps(store),
      (r) => seen.push(r),
    );

    // Act
    const response = await handler(kinesisEvent(deliveries.slice(0, 5).map((d) => d.event)) as never);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(seen).toHaveLength(1);
    expect(seen[0].counts.lines).toBe(deliveries.slice(0, 5).reduce((n, d) => n + d.lines, 0));
  });

  it('the handler logs once why the batch fell back to one record at a time, and which record failed alone', async () => {
    // Prepare: the invoice-export job's state cannot be written.
    const store = new CountingStore();
    store.failKey = 'job#invoice-export';
    const firstFailing = deliveries.findIndex((d) => d.logGroup === '/aws/lambda/invoice-export');
    const events = deliveries.slice(0, firstFailing + 10).map((d) => d.event);
    const log = { warn: vi.fn() };
    const handler = createKinesisIngestHandler(() => deps(store), () => undefined, log);

    // Act
    await handler(kinesisEvent(events, 100) as never);

    // Assess
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('its records were processed one at a time'), {
      error: 'Error: DynamoDB is unavailable for job#invoice-export',
      records: events.length,
      failedRecord: String(49_000_000 + 100 + firstFailing),
      failedRecordError: 'Error: DynamoDB is unavailable for job#invoice-export',
    });
  });

  it('the handler logs no warning when the batch goes through as one', async () => {
    // Prepare
    const log = { warn: vi.fn() };
    const handler = createKinesisIngestHandler(() => deps(new MemoryAuditStore()), () => undefined, log);

    // Act
    await handler(kinesisEvent(deliveries.slice(0, 5).map((d) => d.event)) as never);

    // Assess
    expect(log.warn).not.toHaveBeenCalled();
  });
});
