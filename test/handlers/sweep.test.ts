import type { CloudWatchLogsEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { createSweepHandler } from '../../lambdas/handlers/sweep.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import type { AlertState } from '../../lambdas/core/alert-policy.ts';
import type { CommitResult, SubjectCommit } from '../../lambdas/ports.ts';
import { run } from '../helpers/events.ts';

afterEach(() => vi.useRealTimers());

describe('the sweep Lambda when ingest keeps winning a subject\'s writes', () => {
  it('stops retrying that subject with the 20 s kept for the agent roots and the alerts left, and delivers in them', async () => {
    // Prepare: two jobs missed a run; one's state is written by ingest
    // environments that win every write until the 60 s invocation has 11 s left. The invocation's time is a fake timer.
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const now = Date.parse('2026-10-24T00:51:00Z');
    const config = validateConfig({ jobs: { 'nightly-backup': { schedule: '30 2 * * *', timezone: 'Europe/Berlin', grace_minutes: 20 }, busy: { schedule: '0 0 * * *', grace_minutes: 20 } } });
    const store = new MemoryAuditStore();
    const events = [20, 21, 22, 23].flatMap((d) => [...run('nightly-backup', `nb-${d}`, `2026-10-${d}T00:30:05Z`, 40), ...run('busy', `b-${d}`, `2026-10-${d}T00:00:05Z`, 1)]);
    await processBatch(events, REDUCERS, store, { config, clock: { now: () => now } });
    const deadline = Date.now() + 60_000;
    const context = { getRemainingTimeInMillis: () => deadline - Date.now() };
    const commit = store.commit.bind(store);
    store.commit = async (change: SubjectCommit): Promise<CommitResult> => (change.key === 'job#busy' && context.getRemainingTimeInMillis() > 11_000 ? 'conflict' : commit(change));
    let deliveryStartedWith: number | undefined;
    const pendingAlerts = store.pendingAlerts.bind(store);
    store.pendingAlerts = (limit, at) => ((deliveryStartedWith ??= context.getRemainingTimeInMillis()), pendingAlerts(limit, at));
    const sent: string[] = [];
    const sweep = createSweepHandler(() => ({ store, sink: { publish: async (f) => void sent.push(`${f.detector} ${f.subject}`) }, config, clock: { now: () => now } }));
    // Act
    let done = false;
    const report = sweep(undefined, context).finally(() => (done = true));
    while (!done && Date.now() < deadline) await vi.advanceTimersByTimeAsync(50);
    // Assess: the contended job is left to the next sweep; the alert went out with at least 20 s left.
    expect((await report).subjectsLeft).toBe(1);
    expect(deliveryStartedWith).toBeGreaterThanOrEqual(20_000);
    expect(sent).toEqual(['missed-run nightly-backup']);
  });
});

/**
 * The ingest and sweep handlers sharing a store and a sink that notes when each message went out (the
 * sink fails while `failSends` is above 0). A business-hours job every 15 minutes flaps on Friday
 * afternoon (failing at 13:00, 13:30, 14:00 and 14:15) and is healthy from 14:30 to 17:00; another job
 * failed once at 09:05 and recovered (its alert state neither flapping nor holding a notice).
 */
async function quietAfterFlapping() {
  const config = validateConfig({});
  const store = new MemoryAuditStore();
  const env = { now: 0, failSends: 0, downUntil: 0, attempts: 0 };
  const sent: Array<{ at: string; kind: string; title: string }> = [];
  const send = async (m: AlertMessage) => {
    env.attempts++;
    if (env.now < env.downUntil) throw new Error('SNS is down');
    if (env.failSends > 0 && env.failSends--) throw new Error('SNS is down');
    sent.push({ at: new Date(env.now).toISOString(), kind: m.kind, title: m.title });
  };
  const deps = { store, sink: { publish: async () => undefined, send }, config, clock: { now: () => env.now } };
  const ingest = createIngestHandler(() => deps, () => undefined);
  const sweepHandler = createSweepHandler(() => deps);
  let id = 0;
  const deliver = async (job: string, start: number, exitCode: number) => {
    const end = start + 60_000;
    const line = (ts: number, body: Record<string, unknown>) => ({ id: String(++id), timestamp: ts, message: JSON.stringify({ ts: new Date(ts).toISOString(), job, run_id: `${job}-${start}`, ...body }) });
    env.now = end + 1000;
    await ingest(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/cron', logStream: 'host-1', subscriptionFilters: ['f'],
      logEvents: [line(start, { type: 'run.start' }), line(end, { type: 'run.end', exit_code: exitCode, duration_ms: 60_000, output_bytes: 20 })] }) as CloudWatchLogsEvent);
  };
  const sweep = async (iso: string) => {
    env.now = Date.parse(iso);
    return sweepHandler();
  };
  const friday = Date.parse('2026-10-09T09:00:00Z');
  const failing = new Set(['13:00', '13:30', '14:00', '14:15']);
  for (let t = friday; t <= friday + 8 * 3_600_000; t += 15 * 60_000) await deliver('invoice-sync', t, failing.has(new Date(t).toISOString().slice(11, 16)) ? 1 : 0);
  for (const [hm, exitCode] of [['09:05', 1], ['10:05', 0], ['11:05', 0], ['12:05', 0]] as const) await deliver('report-mail', Date.parse(`2026-10-09T${hm}:00Z`), exitCode);
  const alertState = async () => (await store.load(['alert#job#invoice-sync'])).get('alert#job#invoice-sync')?.state as AlertState;
  return { store, env, sent: () => sent.filter((m) => m.title.includes('invoice-sync')), deliver, sweep, alertState };
}

const FLAPPED = [
  { at: '2026-10-09T13:01:01.000Z', kind: 'finding', title: '[HIGH] run-failed: invoice-sync' },
  { at: '2026-10-09T14:31:01.000Z', kind: 'flapping', title: '[HIGH] flapping: invoice-sync (6 switches in 24 h)' },
];

describe('the sweep Lambda and a job that stopped flapping with no run since', () => {
  it('ends the flapping once it has been quiet for the cooldown and sends the recovery notice then, once, reading only the alert states flapping or with a notice pending', async () => {
    // Prepare
    const { store, sent, deliver, sweep, alertState } = await quietAfterFlapping();
    const readBySweeps: string[] = [];
    const [load, subjects] = [store.load.bind(store), store.subjects.bind(store)];
    let sweeping = false;
    store.load = async (keys) => ((sweeping && readBySweeps.push(...keys)), load(keys));
    store.subjects = async (kind) => {
      const listed = await subjects(kind);
      if (sweeping) readBySweeps.push(...listed.map((s) => s.key));
      return listed;
    };
    // Act: sweeps every 10 minutes from Friday 17:10 to Saturday 03:00, then the Monday 09:00 run and a sweep after it.
    sweeping = true;
    for (let t = Date.parse('2026-10-09T17:10:00Z'); t <= Date.parse('2026-10-10T03:00:00Z'); t += 10 * 60_000) await sweep(new Date(t).toISOString());
    sweeping = false;
    await deliver('invoice-sync', Date.parse('2026-10-12T09:00:00Z'), 0);
    await sweep('2026-10-12T09:05:00Z');
    // Assess: the recovery went out with the first sweep 6 hours (the cooldown) after the last switch (the 14:30 run, ended 14:31), and never again.
    expect(sent()).toEqual([...FLAPPED, { at: '2026-10-09T20:40:00.000Z', kind: 'recovery', title: '[RECOVERED] invoice-sync healthy for 11 runs' }]);
    const state = await alertState();
    expect([state.open, state.notices, state.health?.status, state.health?.flapping]).toEqual([undefined, [], 'healthy', undefined]);
    expect(readBySweeps).toContain('alert#job#invoice-sync');
    expect(readBySweeps).not.toContain('alert#job#report-mail');
  });

  it('sends the recovery notice again with a later sweep when the sweep that decided it failed to send it, and once', async () => {
    // Prepare
    const { env, sent, deliver, sweep, alertState } = await quietAfterFlapping();
    // Act: the 20:40 sweep's send fails; sweeps at 20:45 and 20:50, the Monday run.
    env.failSends = 1;
    const failed = await sweep('2026-10-09T20:40:00Z');
    const pending = (await alertState()).notices.map((n) => n.kind);
    await sweep('2026-10-09T20:45:00Z');
    await sweep('2026-10-09T20:50:00Z');
    await deliver('invoice-sync', Date.parse('2026-10-12T09:00:00Z'), 0);
    // Assess
    expect(failed.alerts.failed).toBe(1);
    expect(pending).toEqual(['recovery']);
    expect(sent()).toEqual([...FLAPPED, { at: '2026-10-09T20:45:00.000Z', kind: 'recovery', title: '[RECOVERED] invoice-sync healthy for 11 runs' }]);
    expect((await alertState()).notices).toEqual([]);
  });
});

/**
 * After the flapping ended quietly (recovered by the sweep at 20:40), SNS goes down for `downMs` from a run's failure
 * at 02:00 on the 10th, through the 3 healthy runs that recover it (02:10, 02:20, 02:30).
 */
async function failureAndRecoveryDuringOutage(downMs: number) {
  const pipeline = await quietAfterFlapping();
  await pipeline.sweep('2026-10-09T20:40:00Z');
  const failedAt = Date.parse('2026-10-10T02:00:00Z');
  const back = failedAt + downMs;
  pipeline.env.downUntil = back;
  await pipeline.deliver('invoice-sync', failedAt, 1);
  for (const minutes of [10, 20, 30]) await pipeline.deliver('invoice-sync', failedAt + minutes * 60_000, 0);
  return { ...pipeline, failedAt, back };
}

describe('the sweep Lambda and notices whose send failed', () => {
  it('never sends a recovery notice before the failure it closes while that failure waits out its retry after an outage', async () => {
    // Prepare: SNS down from a run's failure, through the 3 healthy runs that recover it, for 90 minutes
    const { sent, sweep, failedAt, back } = await failureAndRecoveryDuringOutage(2 * 3_600_000);

    // Act: a sweep every 5 minutes, until 3 hours after SNS is back
    for (let t = failedAt + 35 * 60_000; t <= back + 3 * 3_600_000; t += 5 * 60_000) await sweep(new Date(t).toISOString());

    // Assess: the failure first, then its recovery
    const after = sent().filter((m) => Date.parse(m.at) >= back).map((m) => m.kind);
    expect(after).toEqual(['finding', 'recovery']);
  });

  it('drops a recovery notice held for its failure\'s retry once a newer run of the subject fails: the last message is never a recovery while the job is failing', async () => {
    // Prepare: SNS down for 90 minutes from a run's failure, through the 3 healthy runs that recover it; a new run fails right after SNS is back,
    // while the old failure still waits out its retry (until 03:55) and its recovery notice with it
    const { sent, deliver, sweep, alertState, failedAt, back } = await failureAndRecoveryDuringOutage(90 * 60_000);

    // Act: a sweep every 5 minutes until 3 hours after SNS is back, the new run failing in the first minute back
    for (let t = failedAt + 35 * 60_000; t <= back + 3 * 3_600_000; t += 5 * 60_000) {
      await sweep(new Date(t).toISOString());
      if (t === back) await deliver('invoice-sync', t + 60_000, 1);
    }

    // Assess: both failures go out, the recovery of the older one does not (the newer failure reopened its episode)
    const after = sent().filter((m) => Date.parse(m.at) >= back).map((m) => m.kind);
    expect(after).toEqual(['finding', 'finding']);
    expect((await alertState()).notices).toEqual([]);
  });

  it('retries a notice that keeps failing with the findings\' backoff, counts it as awaiting retry, and gives it up after 14 days', async () => {
    // Prepare: flapping ended quietly; every send fails from then on
    const { env, store, sweep, alertState } = await quietAfterFlapping();
    env.downUntil = Infinity;
    const start = Date.parse('2026-10-09T20:40:00Z');

    // Act: a sweep every 5 minutes for a day, then hourly for 14 more days
    env.attempts = 0;
    const gauges: number[] = [];
    for (let t = start; t < start + 86_400_000; t += 5 * 60_000) gauges.push((await sweep(new Date(t).toISOString())).awaitingRetry);
    const firstDay = env.attempts;
    for (let t = start + 86_400_000; t <= start + 15 * 86_400_000; t += 3_600_000) await sweep(new Date(t).toISOString());

    // Assess: backed off (at most one try an hour once past the first minutes), counted, then given up
    expect(firstDay).toBeLessThan(40);
    expect(gauges.at(-1)).toBe(1);
    expect((await alertState()).notices).toEqual([]);
    expect((await store.subjects('alert-due')).map((d) => d.key)).not.toContain('alert#job#invoice-sync');
  });
});

describe('the sweep Lambda delivering a burst of findings slower than its time allows', () => {
  it('stops its delivery with the time kept to finish, leaves the rest pending, and the next sweep sends each alert once', async () => {
    // Prepare: 60 nightly jobs of the config, watched from midnight, all miss 02:00; every alert-state
    // write, claim and mark takes 2 s of the 60 s invocation (the invocation's time is a fake timer)
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const midnight = Date.parse('2026-10-05T00:00:00Z');
    const jobs = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`nightly-${String(i).padStart(2, '0')}`, { schedule: '0 2 * * *' }]));
    const config = validateConfig({ jobs }, 'silent-audit.yaml', undefined, { now: midnight });
    const store = new MemoryAuditStore();
    const messages: AlertMessage[] = [];
    const deps = (now: number) => ({ store, sink: { publish: async () => {}, send: async (m: AlertMessage) => void messages.push(m) }, config, clock: { now: () => now } });
    await createSweepHandler(() => deps(midnight))();
    let slow = true;
    const takes2s = <A extends unknown[], R>(write: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      if (slow) await new Promise((resolve) => setTimeout(resolve, 2000));
      return write(...args);
    };
    const commit = store.commit.bind(store);
    store.commit = async (change: SubjectCommit) => (change.key.startsWith('alert#') ? takes2s(commit)(change) : commit(change));
    store.claimAlert = takes2s(store.claimAlert.bind(store));
    store.markAlerted = takes2s(store.markAlerted.bind(store));
    const deadline = Date.now() + 60_000;
    const context = { getRemainingTimeInMillis: () => deadline - Date.now() };
    // Act
    let done = false;
    const pending = createSweepHandler(() => deps(midnight + 2 * 3_600_000 + 15 * 60_000))(undefined, context).finally(() => (done = true));
    while (!done && Date.now() < deadline) await vi.advanceTimersByTimeAsync(50);
    const endedWith = context.getRemainingTimeInMillis();
    const report = await pending;
    const sentFirst = messages.length;
    slow = false;
    vi.useRealTimers();
    const next = await createSweepHandler(() => deps(midnight + 2 * 3_600_000 + 20 * 60_000))();
    // Assess: the first invocation ends in its time, alerts left; the next sends those, none twice
    const reported = messages.flatMap((m) => m.findings.map((f) => `${f.detector} ${f.subject}`));
    expect(done).toBe(true);
    expect(endedWith).toBeGreaterThan(0);
    expect(report.findings.length + (report.findingsLeftOut ?? 0)).toBe(60);
    expect(report.alertsLeft).toBeGreaterThan(0);
    expect(sentFirst).toBeGreaterThan(0);
    expect(await store.pendingAlerts(1000)).toEqual([]);
    expect(next.alertsLeft).toBe(0);
    expect(new Set(reported).size).toBe(reported.length);
    expect(reported).toHaveLength(60);
  });
});
