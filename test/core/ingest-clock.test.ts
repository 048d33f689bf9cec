import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { ConfigSchema, DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { ingestDelivery } from '../../lambdas/core/ingest.ts';
import { type ParseOutcome, parseDelivery } from '../../lambdas/core/parse/index.ts';
import { sweepSubjects } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';

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

  it('takes a syslog line of a host east of UTC (local time, no zone), hours after its record: a time zone, read in it, not a wrong clock', async () => {
    // Prepare: a Berlin host's 12:30:01, recorded at 10:30Z
    const { parseLine } = await import('../../lambdas/core/parse/index.ts');
    const message = 'Oct  5 12:30:01 web1 CRON[4242]: (root) CMD (/usr/local/bin/backup.sh)';
    // Act
    const outcome = parseLine(message, { source: { origin: 'x', line: 1 }, recordTime: T0 + 30 * 60_000, now: T0 + 3_600_000 });
    // Assess
    expect(outcome.kind).toBe('events');
    expect(outcome.kind === 'events' && outcome.events[0].at).toBe(T0 + 30 * 60_000 + 1000);
  });

  it('takes an event whose ts lies 20 days before its record (a backfill or a shipper stamping the read time): a late line, not a wrong clock', async () => {
    // Prepare: a failed run 20 days old, each record stamped when the line was shipped (a put-log-events backfill, Fluent Bit Read_from_Head)
    const store = new MemoryAuditStore();
    const deps = { store, sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    const old = T0 - 20 * 86_400_000;
    const start = { at: old, recordAt: T0, body: { type: 'run.start', job: 'nightly', run_id: 'r0' } };
    const end = { at: old + 60_000, recordAt: T0, body: { type: 'run.end', job: 'nightly', run_id: 'r0', exit_code: 1 } };
    // Act
    const report = await ingestDelivery(delivery([start, end]), deps);
    // Assess
    expect(report.counts).toMatchObject({ lines: 2, events: 2, rejected: 0 });
    expect(report.findings.map((f) => [f.detector, f.run_id, f.ts])).toEqual([['run-failed', 'r0', '2026-09-15T10:01:00Z']]);
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

describe('a ts without an offset (a local time), delivered with its record\'s time', () => {
  const parseAt = async (ts: string, recordTime: number | undefined) => {
    const { parseLine } = await import('../../lambdas/core/parse/index.ts');
    const line = JSON.stringify({ type: 'run.start', ts, job: 'backup', run_id: 'b-1' });
    return parseLine(line, { source: { origin: 'x', line: 1 }, recordTime, now: T0 + 3_600_000 });
  };

  it.each([
    ['of a host 10 h east of UTC (Sydney) at its record time, in its zone', '2026-10-05T20:00:00', T0, '2026-10-05T10:00:00.000Z'],
    ['of a host 2 h east (Berlin), written half an hour before its record, in its zone', '2026-10-05T12:30:00', T0 + 30 * 60_000, '2026-10-05T10:30:00.000Z'],
    ['of a host +05:45 (Kathmandu), in its zone, keeping its seconds and fraction', '2026-10-05T15:45:07.250', T0 + 5_000, '2026-10-05T10:00:07.250Z'],
    ['of a host +14:00 (Kiribati), a second behind its record, in its zone', '2026-10-06 00:00:00', T0 + 1000, '2026-10-05T10:00:00.000Z'],
    ['of a host 4 h west (New York), seconds before its record, in its zone', '2026-10-05T06:00:00.500', T0 + 1000, '2026-10-05T10:00:00.500Z'],
    ['within 15 min after its record (a clock a little ahead): as given', '2026-10-05T10:14:00', T0, '2026-10-05T10:14:00.000Z'],
    ['delivered 3 h 7 min late, near no zone: as given', '2026-10-05T06:53:00', T0, '2026-10-05T06:53:00.000Z'],
    ['delivered 4 h and 40 s late (a lag, not seconds from a whole quarter hour): as given', '2026-10-05T06:00:00', T0 + 40_000, '2026-10-05T06:00:00.000Z'],
    ['delivered 15 min late, 5 s after its line (UTC-00:15 is no zone): as given', '2026-10-05T09:45:00', T0 + 5_000, '2026-10-05T09:45:00.000Z'],
    ['delivered 45 min late, 5 s after its line (UTC-00:45 is no zone): as given', '2026-10-05T09:15:00', T0 + 5_000, '2026-10-05T09:15:00.000Z'],
    ['in a file, with no record time: UTC, as given', '2026-10-05T20:00:00', undefined, '2026-10-05T20:00:00.000Z'],
  ])('reads one %s', async (_, ts, recordTime, expected) => {
    // Act
    const outcome = await parseAt(ts, recordTime);
    // Assess
    expect(outcome.kind === 'events' ? new Date(outcome.events[0].at).toISOString() : outcome).toBe(expected);
  });

  it.each([
    ['in summer time', '2026-10-24T02:30:00', '2026-10-24T00:30:00.000Z'],
    ['in standard time', '2026-10-26 02:30:00.5', '2026-10-26T01:30:00.500Z'],
    ['naming its offset: as it names it', '2026-10-26T02:30:00+02:00', '2026-10-26T00:30:00.000Z'],
  ])('reads one in a file scanned with --timezone Europe/Berlin %s', async (_, ts, expected) => {
    // Prepare
    const { parseLine } = await import('../../lambdas/core/parse/index.ts');
    const { WallClock } = await import('../../lambdas/core/parse/local-time.ts');
    const line = JSON.stringify({ type: 'run.start', ts, job: 'backup', run_id: 'b-1' });
    // Act
    const outcome = parseLine(line, { source: { origin: 'x', line: 1 }, wallClock: new WallClock('Europe/Berlin'), now: T0 });
    // Assess
    expect(outcome.kind === 'events' ? new Date(outcome.events[0].at).toISOString() : outcome).toBe(expected);
  });

  it('keeps the duration between two times of one host', async () => {
    // Prepare: a Sydney host's start and end a minute apart, each delivered a few seconds later
    const start = '2026-10-05T20:00:05';
    const end = '2026-10-05T20:01:05';
    // Act
    const [a, b] = [await parseAt(start, T0 + 9_000), await parseAt(end, T0 + 60_000 + 2_000)];
    // Assess
    const at = (o: Awaited<ReturnType<typeof parseAt>>) => (o.kind === 'events' ? o.events[0].at : Number.NaN);
    expect([at(a), at(b) - at(a)]).toEqual([T0 + 5_000, 60_000]);
  });

  it.each([
    ['more than 14 h ahead, further than any zone', '2026-10-06T00:30:00', 870],
    ['1 h 15 min ahead (UTC+01:15 is no zone)', '2026-10-05T11:15:00', 75],
    ['naming its zone (Z), 10 h ahead', '2026-10-05T20:00:00Z', 600],
  ])('rejects one %s as a wrong clock', async (_, ts, minutes) => {
    // Act
    const outcome = await parseAt(ts, T0);
    // Assess
    expect(outcome.kind === 'rejected' && outcome.reason).toMatch(new RegExp(`^run\\.start event rejected: its ts \\S+ lies ${minutes} min after its record's 2026-10-05T10:00:00Z \\(at most 15 min\\)`));
  });

  it("does not stop its route from being judged when a host east of UTC writes one (through the ingest handler)", async () => {
    // Prepare: one attempt of a Sydney host, '20:00' local at 10:00Z, then an hour of retried requests
    const store = new MemoryAuditStore();
    const deps = { store, sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 2 * 3_600_000 } };
    const reports: Awaited<ReturnType<typeof ingestDelivery>>[] = [];
    const handler = createIngestHandler(() => deps, (report) => reports.push(report));
    const sydney = encodePayload({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/aws/lambda/payments',
      logStream: 'sydney',
      subscriptionFilters: ['silent-audit'],
      logEvents: [{ id: String(nextId++), timestamp: T0, message: JSON.stringify({ type: 'attempt', ts: '2026-10-05T20:00:00', route: 'pay', request_id: 'syd', attempt: 1, outcome: 'ok', latency_ms: 10 }) }],
    });
    // Act
    const first = await handler(sydney);
    await handler(delivery(retried.map((line) => ({ ...line, at: line.at + 60_000 }))));
    const swept = await sweepSubjects(REDUCERS, store, { config: DEFAULT_CONFIG, clock: deps.clock });
    // Assess
    expect(first.counts).toMatchObject({ lines: 1, events: 1, rejected: 0 });
    const findings = [...reports.flatMap((r) => r.findings), ...swept.findings].filter((f) => f.detector === 'retry-rate');
    // its quarter hour judged as it ends, and nothing stamped at the line's 20:00 read as UTC
    expect(findings.map((f) => f.ts)).toContain('2026-10-05T10:15:00Z');
    expect(findings.filter((f) => Date.parse(f.ts) >= T0 + 10 * 3_600_000)).toEqual([]);
  });
});

describe("the zoneless times of one delivery (one log stream), behind their records' near whole quarter hours", () => {
  /** One payload's lines: each a zoneless ts (run.start of its own run) recorded at its record time. */
  const lines = (pairs: ReadonlyArray<[ts: string, recordAt: string]>) =>
    pairs.map(([ts, recordAt], i) => ({
      text: JSON.stringify({ type: 'run.start', job: 'sync', run_id: `r${i}`, ts }),
      ctx: { source: { origin: '/app/sync', line: i + 1 }, recordTime: Date.parse(recordAt) },
    }));
  const times = (outcomes: ParseOutcome[]) => outcomes.map((o) => (o.kind === 'events' ? new Date(o.events[0].at).toISOString() : o.kind));

  it.each([
    [
      'an agent catching up (lines written hours apart, read at once: each another gap) keep their times',
      [['2026-10-05T07:00:00', '2026-10-05T10:00:05Z'], ['2026-10-05T08:00:00', '2026-10-05T10:00:05Z'], ['2026-10-05T09:00:00', '2026-10-05T10:00:05Z']],
      ['2026-10-05T07:00:00.000Z', '2026-10-05T08:00:00.000Z', '2026-10-05T09:00:00.000Z'],
    ],
    [
      'a late line among lines in step with their records (a UTC host) keeps its time',
      [['2026-10-05T09:00:00', '2026-10-05T10:00:05Z'], ['2026-10-05T10:00:06', '2026-10-05T10:00:07Z']],
      ['2026-10-05T09:00:00.000Z', '2026-10-05T10:00:06.000Z'],
    ],
    [
      'a New York host (every line 4 h behind) is read in its zone',
      [['2026-10-05T06:00:00', '2026-10-05T10:00:01Z'], ['2026-10-05T06:10:00.500', '2026-10-05T10:10:03Z']],
      ['2026-10-05T10:00:00.000Z', '2026-10-05T10:10:00.500Z'],
    ],
    [
      "a New York host's ts cut to the minute, recorded 30 s into it, is read in its zone",
      [['2026-10-05T02:00', '2026-10-05T06:00:30Z']],
      ['2026-10-05T06:00:00.000Z'],
    ],
    [
      'a ts cut to the minute, recorded 4 h and 80 s after it (more than its minute and 15 s), keeps its time',
      [['2026-10-05T02:00', '2026-10-05T06:01:20Z']],
      ['2026-10-05T02:00:00.000Z'],
    ],
  ])('%s', (_, pairs, expected) => {
    // Act
    const outcomes = parseDelivery(lines(pairs as Array<[string, string]>));
    // Assess
    expect(times(outcomes)).toEqual(expected);
  });
});

describe('a delivery mixing kinds of zoneless time (a New York host\'s /var/log/syslog stream)', () => {
  it("reads cron's local syslog dates in the host's zone and an app's UTC ts as given", () => {
    // Prepare: a CMD line at 02:00:01 local (06:00:01Z), and an app's JSON line through syslog whose ts is zoneless UTC (utcnow().isoformat())
    const ctx = (line: number, recordAt: string) => ({ source: { origin: '/var/log/syslog', line }, recordTime: Date.parse(recordAt), now: Date.parse(recordAt) + 5000 });
    const lines = [
      { text: 'Oct  5 02:00:01 nyhost CRON[1001]: (root) CMD (/usr/local/bin/backup.sh)', ctx: ctx(1, '2026-10-05T06:00:01Z') },
      { text: 'Oct  5 02:00:02 nyhost app[77]: {"type":"run.start","job":"sync","run_id":"a1","ts":"2026-10-05T06:00:02"}', ctx: ctx(2, '2026-10-05T06:00:02Z') },
    ];

    // Act
    const outcomes = parseDelivery(lines);

    // Assess
    expect(outcomes.map((o) => (o.kind === 'events' ? new Date(o.events[0].at).toISOString() : o.kind))).toEqual(['2026-10-05T06:00:01.000Z', '2026-10-05T06:00:02.000Z']);
  });
});

describe('a UTC host whose CloudWatch agent catches up hours late, writing zoneless ts', () => {
  it('keeps the runs it delivers late at their times: no missed run (through the ingest handler)', async () => {
    // Prepare: an hourly job; its 07:00, 08:00 and 09:00 runs' lines are read by the agent at 10:00:05Z, in one delivery
    const config = ConfigSchema.parse({ jobs: { sync: { schedule: '0 * * * *', grace_minutes: 15 } } });
    const store = new MemoryAuditStore();
    let now = 0;
    const deps = { store, sink: { publish: async () => undefined }, config, clock: { now: () => now } };
    const reports: Awaited<ReturnType<typeof ingestDelivery>>[] = [];
    const handler = createIngestHandler(() => deps, (report) => reports.push(report));
    const at = (hour: number, rest: string) => Date.parse(`2026-10-05T${String(hour).padStart(2, '0')}:${rest}Z`);
    const run = (hour: number, recordAt?: number) => {
      const ts = (rest: string) => new Date(at(hour, rest)).toISOString().slice(0, 19);
      return [
        { timestamp: recordAt ?? at(hour, '00:01'), message: JSON.stringify({ type: 'run.start', job: 'sync', run_id: `r${hour}`, ts: ts('00:00') }) },
        { timestamp: recordAt ?? at(hour, '00:06'), message: JSON.stringify({ type: 'run.end', job: 'sync', run_id: `r${hour}`, exit_code: 0, output_bytes: 100, ts: ts('00:05') }) },
      ];
    };
    const deliver = (events: ReturnType<typeof run>) =>
      handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/app/sync', logStream: 'i-1', subscriptionFilters: ['silent-audit'], logEvents: events.map((e) => ({ id: String(nextId++), ...e })) }));
    const swept = [];
    // Act
    for (let hour = 0; hour < 12; hour++) {
      if (hour >= 7 && hour <= 9) continue;
      if (hour === 10) {
        now = at(10, '00:06');
        await deliver([7, 8, 9].flatMap((late) => run(late, at(10, '00:05'))));
      }
      now = at(hour, '00:08');
      await deliver(run(hour));
      for (const minute of ['05', '20', '35', '50']) {
        now = at(hour, `${minute}:00`);
        swept.push(...(await sweepSubjects(REDUCERS, store, { config, clock: deps.clock })).findings);
      }
    }
    // Assess
    expect(reports.map((r) => r.counts.events)).toEqual([2, 2, 2, 2, 2, 2, 2, 6, 2, 2]);
    const missed = [...reports.flatMap((r) => r.findings), ...swept].filter((f) => f.detector === 'missed-run');
    expect(missed.map((f) => f.expected_at)).toEqual([]);
  });
});

describe('syslog lines of a host east of UTC across New Year (CloudWatch record times in UTC)', () => {
  it('keep a daily job on consecutive days: no run a year back, no missed run', async () => {
    // Prepare: logrotate at 04:06 Auckland time (UTC+13), CloudWatch stamping each line 15:06Z the day before
    const config = ConfigSchema.parse({ jobs: { logrotate: { schedule: '3 4 * * *', timezone: 'Pacific/Auckland', grace_minutes: 20 } } });
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

describe('cron lines of a host west of UTC (syslog local time), delivered by CloudWatch', () => {
  it('find each run of a job configured in its zone on time: no missed run (through the ingest handler)', async () => {
    // Prepare: a daily 02:00 New York job; each CMD line says 02:00:01 local, CloudWatch records it at 06:00:01Z
    const config = ConfigSchema.parse({ jobs: { '/usr/local/bin/backup.sh': { schedule: '0 2 * * *', timezone: 'America/New_York' } } });
    const store = new MemoryAuditStore();
    let now = 0;
    const deps = { store, sink: { publish: async () => undefined }, config, clock: { now: () => now } };
    const reports: Awaited<ReturnType<typeof ingestDelivery>>[] = [];
    const handler = createIngestHandler(() => deps, (report) => reports.push(report));
    const swept = [];
    // Act
    for (let day = 1; day <= 4; day++) {
      const recordTime = Date.parse(`2026-10-0${day}T06:00:01Z`);
      now = recordTime + 5_000;
      await handler(
        encodePayload({
          messageType: 'DATA_MESSAGE',
          owner: '123456789012',
          logGroup: '/var/log/syslog',
          logStream: 'nyhost',
          subscriptionFilters: ['silent-audit'],
          logEvents: [{ id: String(nextId++), timestamp: recordTime, message: `Oct  ${day} 02:00:01 nyhost CRON[${1000 + day}]: (root) CMD (/usr/local/bin/backup.sh)` }],
        }),
      );
      now = recordTime + 30 * 60_000;
      swept.push(...(await sweepSubjects(REDUCERS, store, { config, clock: deps.clock })).findings);
    }
    // Assess
    expect(reports.map((r) => r.counts.events)).toEqual([1, 1, 1, 1]);
    expect([...reports.flatMap((r) => r.findings), ...swept].map((f) => f.detector)).toEqual([]);
    const state = (await store.load(['job#/usr/local/bin/backup.sh'])).get('job#/usr/local/bin/backup.sh')?.state as { starts?: number[] } | undefined;
    expect(state?.starts?.map((t) => new Date(t).toISOString())).toEqual(['2026-10-01T06:00:01.000Z', '2026-10-02T06:00:01.000Z', '2026-10-03T06:00:01.000Z', '2026-10-04T06:00:01.000Z']);
  });
});

describe('a time past the year 9999 (epoch ms far too large: microseconds, or a corrupt number)', () => {
  /** One delivery of lines with their own `ts`, each record written at T0 + 1 min. */
  function lines(bodies: readonly object[]) {
    return encodePayload({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/jobs/nightly',
      logStream: 'web1',
      subscriptionFilters: ['silent-audit'],
      logEvents: bodies.map((body) => ({ id: String(nextId++), timestamp: T0 + 60_000, message: JSON.stringify(body) })),
    });
  }

  it.each([
    ['year 275760 and later, past what a date can hold', 9_000_000_000_000_000],
    ['the first millisecond of the year 10000', Date.UTC(10000, 0, 1)],
    ['microseconds', T0 * 1000],
  ])('rejects the line of a ts of %s, naming the field, and keeps the rest of its delivery', async (_, ts) => {
    // Prepare: a failed run and, in the same delivery, a start stamped far ahead
    const store = new MemoryAuditStore();
    const deps = { store, sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    const payload = lines([
      { type: 'run.start', ts, job: 'nightly', run_id: 'r2' },
      { type: 'run.end', ts: T0, job: 'nightly', run_id: 'r1', exit_code: 1 },
    ]);
    // Act
    const report = await ingestDelivery(payload, deps);
    // Assess
    expect(report.counts).toMatchObject({ lines: 2, events: 1, rejected: 1 });
    expect(report.rejections.map((r) => r.reason)).toEqual([expect.stringMatching(/^run\.start event rejected: ts: must be epoch milliseconds before the year 10000 /)]);
    expect(report.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'r1']]);
  });

  it('takes a ts of the last millisecond of the year 9999 (as an ISO time can say)', async () => {
    // Prepare
    const { parseLine } = await import('../../lambdas/core/parse/index.ts');
    const last = Date.UTC(10000, 0, 1) - 1;
    // Act
    const asNumber = parseLine(JSON.stringify({ type: 'run.start', ts: last, job: 'j', run_id: 'r' }), { source: { origin: 'x', line: 1 } });
    const asText = parseLine(JSON.stringify({ type: 'run.start', ts: '9999-12-31T23:59:59.999Z', job: 'j', run_id: 'r' }), { source: { origin: 'x', line: 1 } });
    // Assess
    expect(asNumber.kind === 'events' && asNumber.events[0].at).toBe(last);
    expect(asText.kind === 'events' && asText.events[0].at).toBe(last);
  });

  it("rejects a line without ts whose CloudWatch record's time is past the year 9999, and keeps the rest", async () => {
    // Prepare: a record time no log can have, beside a failed run
    const store = new MemoryAuditStore();
    const deps = { store, sink: { publish: async () => undefined }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3_600_000 } };
    const payload = encodePayload({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/jobs/nightly',
      logStream: 'web1',
      subscriptionFilters: ['silent-audit'],
      logEvents: [
        { id: String(nextId++), timestamp: 9_000_000_000_000_000, message: JSON.stringify({ type: 'run.start', job: 'nightly', run_id: 'r2' }) },
        { id: String(nextId++), timestamp: T0, message: JSON.stringify({ type: 'run.end', job: 'nightly', run_id: 'r1', exit_code: 1 }) },
      ],
    });
    // Act
    const report = await ingestDelivery(payload, deps);
    // Assess
    expect(report.counts).toMatchObject({ lines: 2, events: 1, rejected: 1 });
    expect(report.rejections[0].reason).toBe("the log record's time 9000000000000000 (epoch ms) lies outside the years 0000 to 9999: not a time");
    expect(report.findings.map((f) => [f.detector, f.run_id])).toEqual([['run-failed', 'r1']]);
  });
});
