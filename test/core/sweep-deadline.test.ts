import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { findingKey } from '../../lambdas/core/findings.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { ingestDelivery } from '../../lambdas/core/ingest.ts';

const M = 60_000;
const H = 60 * M;
const T0 = Date.parse('2026-10-05T00:00:00Z');
const JOBS = 40;
const CAP = 5;
const NIGHTLY: Config = validateConfig(
  { defaults: { alert_storm_cap: CAP }, jobs: Object.fromEntries(Array.from({ length: JOBS }, (_, i) => [`nightly-${String(i).padStart(2, '0')}`, { schedule: '0 2 * * *' }])) },
  'silent-audit.yaml',
  undefined,
  { now: T0 },
);

/**
 * A fleet of nightly jobs of the config never seen, watched from midnight, and a fake invocation
 * clock: each claim of a finding's alert takes a second of the invocation's time.
 */
async function burstWorld() {
  const store = new MemoryAuditStore();
  const messages: AlertMessage[] = [];
  const sink = { publish: async () => {}, send: async (message: AlertMessage) => void messages.push(message) };
  let spentMs = 0;
  const claimAlert = store.claimAlert.bind(store);
  store.claimAlert = async (...args: Parameters<typeof store.claimAlert>) => {
    spentMs += 1000;
    return claimAlert(...args);
  };
  await runSweep({ store, sink, config: NIGHTLY, clock: { now: () => T0 } });
  const sweep = (now: number, budgetMs?: number) => {
    spentMs = 0;
    return runSweep({ store, sink, config: NIGHTLY, clock: { now: () => now }, ...(budgetMs !== undefined ? { deliveryTimeLeft: () => budgetMs - spentMs } : {}) });
  };
  return { store, messages, sweep };
}

describe('the sweep delivering a burst of findings with little time left', () => {
  it('stops claiming alerts once its time is up, sends the summary of those claimed once, and leaves the rest pending', async () => {
    // Prepare: every job's 02:00 start is missed at 02:15; the delivery has 12 s (a claim takes 1 s)
    const w = await burstWorld();

    // Act
    const report = await w.sweep(T0 + 2 * H + 15 * M, 12_000);

    // Assess: 5 alerts one by one, then the summary's claims stop while their marks still fit
    const summaries = w.messages.filter((m) => m.kind === 'summary');
    const reported = w.messages.flatMap((m) => m.findings.map(findingKey));
    const pending = await w.store.pendingAlerts(1000);
    expect(report.findings).toHaveLength(JOBS);
    expect(w.messages.filter((m) => m.kind === 'finding')).toHaveLength(CAP);
    expect(summaries).toHaveLength(1);
    expect(summaries[0].title).toContain(`${summaries[0].findings.length} more alerts`);
    expect(report.alerts.left).toBe(JOBS - reported.length);
    expect(report.alerts.left).toBeGreaterThan(0);
    expect(pending).toHaveLength(report.alerts.left!);
    expect(pending.map((p) => p.key).filter((key) => reported.includes(key))).toEqual([]);
  });

  it('has the next sweep send what was left, each finding once', async () => {
    // Prepare: a sweep out of time mid-delivery
    const w = await burstWorld();
    const first = await w.sweep(T0 + 2 * H + 15 * M, 12_000);

    // Act: the next sweep, 5 minutes later, with time enough
    const next = await w.sweep(T0 + 2 * H + 20 * M);

    // Assess: every finding reported once over both sweeps, none pending, none said to be a repeat
    const reported = w.messages.flatMap((m) => m.findings.map(findingKey));
    expect(first.alerts.left).toBeGreaterThan(0);
    expect(next.findings).toEqual([]);
    expect(next.alerts.left ?? 0).toBe(0);
    expect(new Set(reported).size).toBe(reported.length);
    expect(reported).toHaveLength(JOBS);
    expect(await w.store.pendingAlerts(1000)).toEqual([]);
    expect(w.messages.some((m) => /repeat/i.test(m.title))).toBe(false);
  });

  it('leaves every alert pending, none claimed, when no time is left, and still judges the subjects', async () => {
    // Prepare
    const w = await burstWorld();

    // Act
    const report = await w.sweep(T0 + 2 * H + 15 * M, 0);

    // Assess
    expect(report.findings).toHaveLength(JOBS);
    expect(w.messages).toEqual([]);
    expect(report.alerts.left).toBe(JOBS);
    expect(await w.store.pendingAlerts(1000)).toHaveLength(JOBS);
    expect(await w.store.alertsAwaitingRetry()).toBe(0);
  });
});

describe('the sweep draining a backlog of pending alerts', () => {
  const FLEET = 450;
  const FLEET_JOBS = Array.from({ length: FLEET }, (_, i) => `nightly-${String(i).padStart(3, '0')}`);
  /** The fleet's config; `snoozed`: how many of its first jobs (in outbox order) are snoozed. */
  const fleetConfig = (snoozed = 0): Config =>
    validateConfig(
      {
        defaults: { alert_storm_cap: CAP },
        jobs: Object.fromEntries(FLEET_JOBS.map((job) => [job, { schedule: '0 2 * * *' }])),
        snoozes: FLEET_JOBS.slice(0, snoozed).map((subject) => ({ subject, owner: 'ops@example.com', reason: 'migration', until: '2026-10-20' })),
      },
      'silent-audit.yaml',
      undefined,
      { now: T0 },
    );
  const FLEET_CONFIG = fleetConfig();

  /** A fleet of 450 nightly jobs whose 02:00 starts a sweep with no time left judged missed: every alert pending. */
  async function backlogWorld(config: Config = FLEET_CONFIG) {
    const store = new MemoryAuditStore();
    const messages: AlertMessage[] = [];
    const sns = { down: false, attempts: 0 };
    const sink = {
      publish: async () => {},
      send: async (message: AlertMessage) => {
        sns.attempts++;
        if (sns.down) throw new Error('SNS down');
        messages.push(message);
      },
    };
    let spentMs = 0;
    const claimAlert = store.claimAlert.bind(store);
    store.claimAlert = async (...args: Parameters<typeof store.claimAlert>) => {
      spentMs += 100;
      return claimAlert(...args);
    };
    await runSweep({ store, sink, config, clock: { now: () => T0 } });
    const outOfTime = await runSweep({ store, sink, config, clock: { now: () => T0 + 2 * H + 15 * M }, deliveryTimeLeft: () => 0 });
    const sweep = (budgetMs?: number) => {
      spentMs = 0;
      return runSweep({ store, sink, config, clock: { now: () => T0 + 2 * H + 20 * M }, ...(budgetMs !== undefined ? { deliveryTimeLeft: () => budgetMs - spentMs } : {}) });
    };
    return { store, messages, sns, outOfTime, sweep };
  }

  it('sends a backlog of more than one drain page in one sweep while it has time, past the storm cap in summaries', async () => {
    // Prepare: 450 findings left pending (more than the 200 a drain reads at once)
    const w = await backlogWorld();

    // Act: the next sweep, with time enough
    const next = await w.sweep();

    // Assess: every finding reported once by that sweep, at most the storm cap one by one, none pending, none left
    const reported = w.messages.flatMap((m) => m.findings.map(findingKey));
    expect(w.outOfTime.alertsLeft).toBe(FLEET);
    expect(new Set(reported).size).toBe(FLEET);
    expect(reported).toHaveLength(FLEET);
    expect(w.messages.filter((m) => m.kind === 'finding')).toHaveLength(CAP);
    expect(w.messages.filter((m) => m.kind === 'summary').length).toBeLessThanOrEqual(Math.ceil(FLEET / 200));
    expect(await w.store.pendingAlerts(1000)).toEqual([]);
    expect(next.alertsLeft).toBe(0);
  });

  it('tries each pending finding at most once per sweep while SNS is down, not page after page', async () => {
    // Prepare: 450 findings pending; every send fails
    const w = await backlogWorld();
    w.sns.down = true;
    w.sns.attempts = 0;

    // Act
    const next = await w.sweep();

    // Assess: the drain stopped after the first page with a failed send; no finding failed twice
    const failures = (await w.store.pendingAlerts(1000, Number.MAX_SAFE_INTEGER)).map((f) => f.alert_failure?.failures ?? 0);
    expect(next.alerts.failed).toBeGreaterThan(0);
    expect(next.alerts.drained).toBeLessThanOrEqual(200);
    expect(Math.max(...failures)).toBe(1);
    expect(w.sns.attempts).toBe(next.alerts.failed);
  });

  it('counts nothing in alertsLeft when SNS is down and the sweep had no time limit: the findings await their retry', async () => {
    // Prepare: 450 findings pending; every send fails
    const w = await backlogWorld();
    w.sns.down = true;

    // Act: a sweep with no time limit
    const next = await w.sweep();

    // Assess: the drain stopped on a failed send, not for lack of time; the outage shows as alerts awaiting a retry
    expect(next.alerts.failed).toBeGreaterThan(0);
    expect(await w.store.alertsPending()).toBeGreaterThan(0);
    expect(next.awaitingRetry).toBe(next.alerts.drained);
    expect(next.alertsLeft).toBe(0);
  });

  it('drains past whole pages of snoozed findings in one sweep, sending the alerts behind them', async () => {
    // Prepare: 450 findings pending, the first 250 in outbox order on snoozed jobs
    const w = await backlogWorld(fleetConfig(250));

    // Act: the next sweep, with no time limit
    const next = await w.sweep();

    // Assess: the 200 alerts behind the snoozed page all reported by that sweep, nothing pending or left
    const reported = w.messages.flatMap((m) => m.findings.map(findingKey));
    expect(next.alerts.snoozed).toBe(250);
    expect(new Set(reported).size).toBe(FLEET - 250);
    expect(await w.store.pendingAlerts(1000)).toEqual([]);
    expect(next.alertsLeft).toBe(0);
  });

  it('sends the one alert of a drain page past the storm cap as itself, and the later pages in summaries', async () => {
    // Prepare: 450 findings pending, the first 194 in outbox order on snoozed jobs: the first page holds 6 alerts against a cap of 5
    const w = await backlogWorld(fleetConfig(194));

    // Act: the next sweep, with no time limit
    const next = await w.sweep();

    // Assess: the first page's 6 alerts one by one, no summary of a single alert, every alert reported once, nothing pending
    const reported = w.messages.flatMap((m) => m.findings.map(findingKey));
    const summaries = w.messages.filter((m) => m.kind === 'summary');
    expect(w.messages.filter((m) => m.kind === 'finding')).toHaveLength(CAP + 1);
    expect(summaries.map((m) => m.findings.length)).toEqual([200, 50]);
    expect(reported).toHaveLength(FLEET - 194);
    expect(new Set(reported).size).toBe(FLEET - 194);
    expect(next.alerts).toMatchObject({ snoozed: 194, summarized: 250, failed: 0 });
    expect(await w.store.pendingAlerts(1000)).toEqual([]);
  });

  it('counts in alertsLeft every finding still pending once its time is up, drained or not', async () => {
    // Prepare: 450 findings pending; a claim takes 100 ms of a 25 s delivery
    const w = await backlogWorld();

    // Act
    const next = await w.sweep(25_000);

    // Assess: some sent, the rest still pending, all of them counted
    const pending = await w.store.pendingAlerts(1000);
    expect(w.messages.length).toBeGreaterThan(0);
    expect(pending.length).toBeGreaterThan(0);
    expect(next.alertsLeft).toBe(pending.length);
  });
  it('counts in alertsLeft the findings due for a retry that its delivery left for lack of time', async () => {
    // Prepare: 450 findings pending; a sweep's sends all fail (each due for a retry), then SNS is back
    const w = await backlogWorld();
    w.sns.down = true;
    const failedSweep = await w.sweep();
    w.sns.down = false;

    // Act: a sweep after the retry is due, with no time left
    const retrying = await runSweep({ store: w.store, sink: { publish: async () => {}, send: async () => {} }, config: FLEET_CONFIG, clock: { now: () => T0 + 4 * H }, deliveryTimeLeft: () => 0 });

    // Assess: every finding still unsent is counted, those due for a retry included
    const unsent = await w.store.pendingAlerts(1000, T0 + 4 * H);
    expect(failedSweep.alerts.failed).toBeGreaterThan(0);
    expect(unsent.some((f) => f.alert_failure !== undefined)).toBe(true);
    expect(retrying.alerts.left).toBeGreaterThan(0);
    expect(retrying.alertsLeft).toBe(unsent.length);
  });
});

describe('the ingest delivering alerts with no time left', () => {
  it('decides them with the batch’s runs, leaves them pending, and the sweep sends each once as decided', async () => {
    // Prepare: three jobs fail in one delivery; the invocation's delivery time is up
    const store = new MemoryAuditStore();
    const messages: AlertMessage[] = [];
    const sink = { publish: async () => {}, send: async (message: AlertMessage) => void messages.push(message) };
    const config = validateConfig({});
    const lines = ['etl', 'backup', 'report'].map((job, i) => ({ type: 'run.end', job, run_id: `${job}-1`, exit_code: 2, ts: new Date(T0 + i * 1000).toISOString() }));
    const event = encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents: lines.map((l, i) => ({ id: String(i), timestamp: Date.parse(l.ts), message: JSON.stringify(l) })) });

    // Act
    const ingested = await ingestDelivery(event, { store, sink, config, clock: { now: () => T0 + M }, deliveryTimeLeft: () => 0 });
    const leftPending = (await store.pendingAlerts(100)).length;
    const swept = await runSweep({ store, sink, config, clock: { now: () => T0 + 5 * M } });

    // Assess
    expect(ingested.findings).toHaveLength(3);
    expect(ingested.alerts).toMatchObject({ sent: 0, left: 3 });
    expect(leftPending).toBe(3);
    expect(swept.alerts.sent).toBe(3);
    expect(messages.map((m) => m.subject).sort()).toEqual(['backup', 'etl', 'report']);
    expect(await store.pendingAlerts(100)).toEqual([]);
  });

  it('settles the recovery notices it left a bounded number at a time, not one write after another past its deadline', async () => {
    // Prepare: 40 jobs failed once (alerted), then each has three healthy runs delivered with no time left;
    // every alert-state write takes 5 ms, and those in flight at once are counted (a subject's second write is its settle)
    const store = new MemoryAuditStore();
    const sink = { publish: async () => {}, send: async () => {} };
    const config = validateConfig({});
    const job = (i: number) => `job-${String(i).padStart(2, '0')}`;
    const event = (lines: { type: string; job: string; run_id: string; exit_code: number; ts: string }[]) =>
      encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents: lines.map((l, i) => ({ id: String(i), timestamp: Date.parse(l.ts), message: JSON.stringify(l) })) });
    await ingestDelivery(event(Array.from({ length: JOBS }, (_, i) => ({ type: 'run.end', job: job(i), run_id: `${job(i)}-0`, exit_code: 2, ts: new Date(T0).toISOString() }))), { store, sink, config, clock: { now: () => T0 + M } });
    const healthy = Array.from({ length: JOBS }, (_, i) => [1, 2, 3].map((r) => ({ type: 'run.end', job: job(i), run_id: `${job(i)}-${r}`, exit_code: 0, ts: new Date(T0 + r * 10 * M).toISOString() }))).flat();
    const written = new Set<string>();
    let settling = 0;
    let mostSettlingAtOnce = 0;
    let settles = 0;
    const commit = store.commit.bind(store);
    store.commit = async (...args: Parameters<typeof store.commit>) => {
      const settle = written.has(args[0].key);
      written.add(args[0].key);
      if (settle) (settles++, (mostSettlingAtOnce = Math.max(mostSettlingAtOnce, ++settling)));
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (settle) settling--;
      return commit(...args);
    };

    // Act
    const ingested = await ingestDelivery(event(healthy), { store, sink, config, clock: { now: () => T0 + 40 * M }, deliveryTimeLeft: () => 0 });

    // Assess: every recovery notice left; their settles, if any, run several at once
    expect(ingested.alerts).toMatchObject({ sent: 0, left: JOBS });
    if (settles > 0) expect(mostSettlingAtOnce).toBeGreaterThan(1);
  });
});
