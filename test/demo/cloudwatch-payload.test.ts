import { gunzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_MESSAGE_TEXT,
  controlMessage,
  decodeSubscriptionEvent,
  eventId,
  monthToDeliveries,
  toSubscriptionEvents,
} from '../../lambdas/demo/cloudwatch-payload.ts';
import { DEMO_MONTH, generateMonth } from '../../lambdas/demo/generate-month.ts';

const month = generateMonth({ month: DEMO_MONTH });
const sync = month.logGroups.find((g) => g.job === 'hourly-sync')!;
const backup = month.logGroups.find((g) => g.job === 'nightly-backup')!;

function rawBytes(event: CloudWatchLogsEvent): number {
  return gunzipSync(Buffer.from(event.awslogs.data, 'base64')).length;
}

describe('toSubscriptionEvents', () => {
  it('round-trips a stream: the same events, in order, under the real envelope', () => {
    // Act
    const payloads = toSubscriptionEvents(backup).map(decodeSubscriptionEvent);

    // Assess
    expect(payloads.flatMap((p) => p.logEvents.map(({ timestamp, message }) => ({ timestamp, message })))).toEqual(backup.events);
    for (const p of payloads) {
      expect({ ...p, logEvents: [] }).toEqual({
        messageType: 'DATA_MESSAGE',
        owner: '123456789012',
        logGroup: '/jobs/nightly-backup',
        logStream: 'i-0c3f5a7e9b1d24680',
        subscriptionFilters: ['silent-audit-ingest'],
        logEvents: [],
      });
      expect(Object.keys(p)).toEqual(['messageType', 'owner', 'logGroup', 'logStream', 'subscriptionFilters', 'logEvents']);
    }
  });

  it('gives 56-digit ids that carry the timestamp and increase through the stream', () => {
    // Act
    const ids = toSubscriptionEvents(sync)
      .map(decodeSubscriptionEvent)
      .flatMap((p) => p.logEvents);

    // Assess
    expect(ids).toHaveLength(sync.events.length);
    for (let i = 0; i < ids.length; i++) {
      expect(ids[i].id).toMatch(/^\d{56}$/);
      expect(BigInt(ids[i].id) >> 144n).toBe(BigInt(ids[i].timestamp));
      if (i > 0) expect(BigInt(ids[i].id) > BigInt(ids[i - 1].id)).toBe(true);
    }
    expect(new Set(ids.map((e) => e.id)).size).toBe(ids.length);
  });

  it('decodes the id layout of a real captured CloudWatch event', () => {
    // 31953106606966983378809025079804211143289615424298221568 is the first id of AWS's
    // documented example, an event at 1432826855000.
    expect(eventId(1_432_826_855_000, 1732181997039426805772632275426541568n)).toBe('31953106606966983378809025079804211143289615424298221568');
  });

  it('takes owner, filter name and the first id from the options', () => {
    // Prepare
    const group = { logGroup: '/aws/lambda/x', logStream: 's', events: [{ timestamp: 1_790_812_800_000, message: 'a' }, { timestamp: 1_790_812_800_000, message: 'b' }] };

    // Act
    const [payload] = toSubscriptionEvents(group, { owner: '210987654321', filterName: 'other', idStart: 5n }).map(decodeSubscriptionEvent);

    // Assess
    expect(payload.owner).toBe('210987654321');
    expect(payload.subscriptionFilters).toEqual(['other']);
    expect(payload.logEvents.map((e) => e.id)).toEqual([
      ((1_790_812_800_000n << 144n) | 5n).toString(),
      ((1_790_812_800_000n << 144n) | 6n).toString(),
    ]);
  });

  it('splits by count: every batch but the last holds exactly maxEventsPerBatch', () => {
    // Act
    const payloads = toSubscriptionEvents(sync, { maxEventsPerBatch: 7, maxBatchSpanMs: Number.POSITIVE_INFINITY }).map(decodeSubscriptionEvent);

    // Assess
    expect(payloads.map((p) => p.logEvents.length)).toEqual([...Array(Math.floor(sync.events.length / 7)).fill(7), sync.events.length % 7].filter((n) => n > 0));
    expect(payloads.flatMap((p) => p.logEvents.map((e) => e.message))).toEqual(sync.events.map((e) => e.message));
  });

  it('splits by uncompressed size: each batch within maxBatchBytes, and the next event would not have fitted', () => {
    // Act
    const events = toSubscriptionEvents(sync, { maxBatchBytes: 8_192, maxBatchSpanMs: Number.POSITIVE_INFINITY });
    const payloads = events.map(decodeSubscriptionEvent);

    // Assess
    expect(payloads.flatMap((p) => p.logEvents.map((e) => e.message))).toEqual(sync.events.map((e) => e.message));
    expect(payloads.length).toBeGreaterThan(300);
    for (let i = 0; i < events.length; i++) {
      const bytes = rawBytes(events[i]);
      expect(bytes).toBe(Buffer.byteLength(JSON.stringify(payloads[i])));
      expect(bytes).toBeLessThanOrEqual(8_192);
      if (i < events.length - 1) {
        const next = payloads[i + 1].logEvents[0];
        expect(bytes + 1 + Buffer.byteLength(JSON.stringify(next))).toBeGreaterThan(8_192);
      }
    }
  });

  it('keeps a batch within a short time window', () => {
    // Act
    const payloads = toSubscriptionEvents(backup).map(decodeSubscriptionEvent);

    // Assess
    for (const p of payloads) {
      expect(p.logEvents[p.logEvents.length - 1].timestamp - p.logEvents[0].timestamp).toBeLessThanOrEqual(60_000);
    }
    // A 40-minute backup run reaches the handler in several deliveries: start, progress, end.
    const firstRun = payloads.filter((p) => p.logEvents[0].timestamp < Date.UTC(2026, 9, 1, 2));
    expect(firstRun.map((p) => p.logEvents.length)).toEqual([2, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  });

  it('refuses an event too large for any batch', () => {
    // Prepare
    const group = { logGroup: '/g', logStream: 's', events: [{ timestamp: 1, message: 'x'.repeat(5_000) }] };

    // Act / Assess
    expect(() => toSubscriptionEvents(group, { maxBatchBytes: 4_096 })).toThrow(/more than maxBatchBytes \(4096\)/);
    expect(() => toSubscriptionEvents(group, { maxEventsPerBatch: 0 })).toThrow(RangeError);
  });
});

describe('controlMessage', () => {
  it('has the shape CloudWatch sends when a filter is created', () => {
    // Act
    const decoded = decodeSubscriptionEvent(controlMessage({ timestamp: 1_790_812_800_000 }));

    // Assess
    expect(decoded).toEqual({
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [{ id: '', timestamp: 1_790_812_800_000, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
    });
    expect(CONTROL_MESSAGE_TEXT).toBe(decoded.logEvents[0].message);
  });
});

describe('decodeSubscriptionEvent', () => {
  it('refuses data that is not a subscription payload', () => {
    // Prepare
    const notPayload = toSubscriptionEvents({ logGroup: '/g', logStream: 's', events: [{ timestamp: 1, message: 'm' }] })[0];
    const broken = structuredClone(notPayload);
    broken.awslogs.data = Buffer.from('not gzip').toString('base64');

    // Act / Assess
    expect(() => decodeSubscriptionEvent(broken)).toThrow();
  });
});

describe('monthToDeliveries', () => {
  const deliveries = monthToDeliveries(month);

  it('delivers every line of the month once, in time order', () => {
    // Prepare
    const totalLines = month.logGroups.reduce((n, g) => n + g.events.length, 0);

    // Assess
    expect(deliveries.reduce((n, d) => n + d.lines, 0)).toBe(totalLines);
    for (let i = 1; i < deliveries.length; i++) expect(deliveries[i].deliverAt).toBeGreaterThanOrEqual(deliveries[i - 1].deliverAt);
  });

  it('names each delivery by its last event, its group and its size', () => {
    for (const d of deliveries.slice(0, 300)) {
      const p = decodeSubscriptionEvent(d.event);
      expect(d.deliverAt).toBe(p.logEvents[p.logEvents.length - 1].timestamp);
      expect([d.logGroup, d.logStream, d.lines]).toEqual([p.logGroup, p.logStream, p.logEvents.length]);
    }
  });

  it('keeps each stream in order and every batch within the CloudWatch limits', () => {
    // Prepare
    const lastSeen = new Map<string, number>();

    for (const d of deliveries) {
      // Act
      const p = decodeSubscriptionEvent(d.event);

      // Assess
      const key = `${p.logGroup} ${p.logStream}`;
      expect(p.logEvents[0].timestamp).toBeGreaterThanOrEqual(lastSeen.get(key) ?? 0);
      lastSeen.set(key, p.logEvents[p.logEvents.length - 1].timestamp);
      expect(p.logEvents.length).toBeLessThanOrEqual(10_000);
      expect(rawBytes(d.event)).toBeLessThanOrEqual(1_048_576);
    }
    expect(lastSeen.size).toBe(month.logGroups.length);
  });

  it('interleaves the jobs as their logs arrive', () => {
    // 00:00 cache-warmer; the 00:05 sync run's start, then its end 90 s later (another
    // delivery); 00:15 cache-warmer; the 00:30 backup's start; 00:30 cache-warmer.
    expect(deliveries.slice(0, 6).map((d) => d.logGroup)).toEqual([
      '/aws/lambda/cache-warmer',
      '/jobs/hourly-sync',
      '/jobs/hourly-sync',
      '/aws/lambda/cache-warmer',
      '/jobs/nightly-backup',
      '/aws/lambda/cache-warmer',
    ]);
    expect(deliveries).toHaveLength(4_842);
  });
});
