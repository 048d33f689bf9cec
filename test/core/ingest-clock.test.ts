import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { ConfigSchema, DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { ingestDelivery } from '../../lambdas/core/ingest.ts';
import { sweepSubjects } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';

const T0 = Date.parse('2026-10-05T10:00:00Z');
let nextId = 1;

/** One subscription delivery of attempt lines, each record written at the time its line names unless `recordAt` says otherwise. */
function delivery(lines: ReadonlyArray<{ at: number; body: object; recordAt?: number }>) {
  return encodePayload({
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/lambda/payments',
    logStream: '2026/10/05/[$LATEST]ab12',
    subscriptionFilters: ['silent-audit'],
    logEvents: lines.map(({ at, body, recordAt }) => ({ id: String(nextId++), timestamp: recordAt ?? at, message: JSON.stringify({ ts: new Date(at).toISOString(), ...body }) })),
  });
}

/** 200 requests 10 s apart, each failing once and succeeding on its retry: a 100% retry rate. */
const retried = Array.from({ length: 200 }, (_, i) => [
  { at: T0 + i * 10_000, body: { type: 'attempt', route: 'pay', request_id: `q${i}`, attempt: 1, outcome: 'error', latency_ms: 100 } },
  { at: T0 + i * 10_000 + 1000, body: { type: 'attempt', route: 'pay', request_id: `q${i}`, attempt: 2, outcome: 'ok', latency_ms: 100 } },
]).flat();

describe('an event whose time lies far after its CloudWatch record (a wrong clock)', () => {
  it('is rejected, naming both times, and does not stop its route from being judged', async () => {
    // Prepare: one attempt stamped a year ahead, written now, then the retried requests
    const store = new MemoryAuditStore();
    const deps = { store, sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3 * 3_600_000 } };
    const bad = { at: T0 + 365 * 86_400_000, recordAt: T0, body: { type: 'attempt', route: 'pay', request_id: 'bad', attempt: 1, outcome: 'ok', latency_ms: 10 } };
    // Act
    const first = await ingestDelivery(delivery([bad]), deps);
    const rest = await ingestDelivery(delivery(retried), deps);
    const swept = await sweepSubjects(REDUCERS, store, { config: DEFAULT_CONFIG, clock: deps.clock });
    // Assess
    expect(first.counts).toMatchObject({ lines: 1, events: 0, rejected: 1 });
    expect(first.rejections[0].reason).toBe(
      "attempt event rejected: its ts 2027-10-05T10:00:00Z lies 525600 min after its record's 2026-10-05T10:00:00Z (at most 15 min): the writer's clock is wrong",
    );
    expect([...rest.findings, ...swept.findings].map((f) => f.detector)).toContain('retry-rate');
  });

  it.each([
    ['a syslog line of a host east of UTC (local time, no zone)', 'Oct  5 12:30:01 web1 CRON[4242]: (root) CMD (/usr/local/bin/backup.sh)', T0 + 2.5 * 3_600_000 + 1000],
    ['a ts without an offset, written in local time', JSON.stringify({ type: 'run.start', ts: '2026-10-05T12:30:00', job: 'backup', run_id: 'b-1' }), T0 + 2.5 * 3_600_000],
  ])('takes %s, hours after its record: a time zone, not a wrong clock', async (_, message, at) => {
    // Prepare
    const { parseLine } = await import('../../lambdas/core/parse/index.ts');
    // Act
    const outcome = parseLine(message, { source: { origin: 'x', line: 1 }, recordTime: T0 + 30 * 60_000, now: T0 + 3_600_000 });
    // Assess
    expect(outcome.kind).toBe('events');
    expect(outcome.kind === 'events' && outcome.events[0].at).toBe(at);
  });

  it('is taken when it lies within 15 minutes after its record (a writer a little ahead)', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    const deps = { store, sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    const ahead = { at: T0 + 14 * 60_000, recordAt: T0, body: { type: 'attempt', route: 'pay', request_id: 'early', attempt: 1, outcome: 'ok', latency_ms: 10 } };
    // Act
    const report = await ingestDelivery(delivery([ahead]), deps);
    // Assess
    expect(report.counts).toMatchObject({ lines: 1, events: 1, rejected: 0 });
  });
});

describe('syslog lines of a host east of UTC across New Year (CloudWatch record times in UTC)', () => {
  it('keep a daily job on consecutive days: no run a year back, no missed run', async () => {
    // Prepare: logrotate at 04:06 Auckland time (UTC+13), CloudWatch stamping each line 15:06Z the day before
    const config = ConfigSchema.parse({ jobs: { logrotate: { schedule: '3 4 * * *', grace_minutes: 20 } } });
    const store = new MemoryAuditStore();
    const days = [['Dec 30', '2026-12-29'], ['Dec 31', '2026-12-30'], ['Jan  1', '2026-12-31'], ['Jan  2', '2027-01-01']];
    const deliveries = days.map(([localDay, utcDay]) =>
      encodePayload({
        messageType: 'DATA_MESSAGE',
        owner: '123456789012',
        logGroup: '/var/log/messages',
        logStream: 'combo',
        subscriptionFilters: ['silent-audit'],
        logEvents: [{ id: String(nextId++), timestamp: Date.parse(`${utcDay}T15:06:20Z`), message: `${localDay} 04:06:20 combo logrotate: ALERT exited abnormally with [1]` }],
      }),
    );
    const clock = { now: () => Date.parse('2027-01-01T16:00:00Z') };
    const deps = { store, sink: { publish: async () => undefined }, config, clock };

    // Act
    const reports = [];
    for (const payload of deliveries) reports.push(await ingestDelivery(payload, deps));
    const swept = await sweepSubjects(REDUCERS, store, { config, clock });

    // Assess
    expect(reports.map((r) => r.counts.events)).toEqual([1, 1, 1, 1]);
    const findings = [...reports.flatMap((r) => r.findings), ...swept.findings];
    expect(findings.filter((f) => f.detector === 'missed-run')).toEqual([]);
  });
});
