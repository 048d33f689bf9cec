import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import { type Finding, findingKey, isoTime } from '../../lambdas/core/findings.ts';
import type { AlertClaim, AlertSink, CommitResult, RunRecord, Snooze, SubjectCommit, Versioned } from '../../lambdas/ports.ts';

const T0 = Date.parse('2026-10-17T08:00:00Z');
const TEN_MIN = 600_000;

/** A store whose next read answers with an older snapshot, as a warm container's state cache or a writer in between would. */
class StaleOnceStore extends MemoryAuditStore {
  private stale?: Map<string, Versioned<unknown>>;
  serveOnce(snapshot: Map<string, Versioned<unknown>>): void {
    this.stale = snapshot;
  }
  override async load(keys: readonly string[]): Promise<Map<string, Versioned<unknown>>> {
    const stale = this.stale;
    if (!stale) return super.load(keys);
    this.stale = undefined;
    return new Map([...stale].filter(([key]) => keys.includes(key)));
  }
}

class RecordingSink implements AlertSink {
  readonly messages: AlertMessage[] = [];
  async publish(): Promise<void> {
    throw new Error('the policy sends messages, not findings');
  }
  async send(message: AlertMessage): Promise<void> {
    this.messages.push(message);
  }
}

function record(run: number, status: 'ok' | 'failed'): RunRecord {
  return { subject: 'etl', subject_kind: 'job', run_id: `etl-${run}`, ts: isoTime(T0 + run * TEN_MIN), status, exit_code: status === 'ok' ? 0 : 1 };
}

describe('deliverAlerts with stored snoozes', () => {
  it('holds a flapping notice under a stored snooze when the alert state it first read was out of date', async () => {
    // Prepare: a job switching between failing and healthy runs, snoozed from the CLI; the last delivery first reads the state as it was two switches ago.
    const config = validateConfig({ defaults: { flapping_transitions_per_day: 3 } }, 'test', undefined, { now: T0 });
    const snooze: Snooze = { id: 'SZ-1', subject: 'etl', owner: 'alice', reason: 'migration', until: isoTime(T0 + 86_400_000), status: 'active', origin: 'cli' };
    let snoozeReads = 0;
    const snoozes = {
      list: async () => {
        snoozeReads++;
        return [snooze];
      },
    };
    const store = new StaleOnceStore();
    const sink = new RecordingSink();
    const deliverRun = (run: number, status: 'ok' | 'failed') => deliverAlerts([], store, sink, { now: () => T0 + run * TEN_MIN + 1000 }, { config, snoozes, records: [record(run, status)], drainLimit: 0 });
    await deliverRun(1, 'failed');
    const outdated = await store.load(['alert#job#etl']);
    await deliverRun(2, 'ok');
    await deliverRun(3, 'failed');
    const readsBefore = snoozeReads;
    store.serveOnce(outdated);
    // Act
    const result = await deliverRun(4, 'ok');
    // Assess
    expect(sink.messages.filter((m) => m.kind === 'flapping')).toEqual([]);
    expect(result).toMatchObject({ sent: 0, snoozed: 1 });
    expect(snoozeReads - readsBefore).toBe(1);
  });

  it('does not read the stored snoozes for run records that cannot make a notice', async () => {
    // Prepare
    const config = validateConfig({ defaults: { flapping_transitions_per_day: 3 } }, 'test', undefined, { now: T0 });
    let snoozeReads = 0;
    const snoozes = {
      list: async () => {
        snoozeReads++;
        return [];
      },
    };
    // Act
    const result = await deliverAlerts([], new MemoryAuditStore(), new RecordingSink(), { now: () => T0 + TEN_MIN + 1000 }, { config, snoozes, records: [record(1, 'ok')], drainLimit: 0 });
    // Assess
    expect(result.sent).toBe(0);
    expect(snoozeReads).toBe(0);
  });
});

/** A sink whose sends about some subjects always fail (a message SNS refuses), the rest delivered. */
class RefusingSink extends RecordingSink {
  constructor(private readonly refused: (subject: string) => boolean) {
    super();
  }
  override async send(message: AlertMessage): Promise<void> {
    if (this.refused(message.subject)) throw new Error(`InvalidParameter: message about ${message.subject} refused`);
    return super.send(message);
  }
}

function failedRun(subject: string, at: number): Finding {
  return { detector: 'run-failed', subject, subject_kind: 'job', run_id: `${subject}-1`, ts: isoTime(at), severity: 'high', message: 'exit 1', evidence: { exit_code: 1 } };
}

describe('deliverAlerts draining the outbox', () => {
  it('delivers a newer pending alert although the oldest pending ones fail on every send, and gives those up after 14 days of failing', async () => {
    // Prepare: three old findings whose alerts SNS always refuses fill the drain; a newer one was left pending by an invocation that died.
    const store = new MemoryAuditStore();
    const poison = [1, 2, 3].map((i) => failedRun(`poison-${i}`, T0 + i * 1000));
    const newer = failedRun('etl', T0 + TEN_MIN);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [...poison, newer], records: [] });
    const sink = new RefusingSink((subject) => subject.startsWith('poison'));
    const sweep = (at: number) => deliverAlerts([], store, sink, { now: () => at }, { drainLimit: 3 });
    // Act: a sweep every 5 minutes for two hours.
    const results = [];
    for (let at = T0 + TEN_MIN + 60_000; at < T0 + 2 * 3_600_000; at += 300_000) results.push(await sweep(at));
    // Assess: the newer alert went out, once; the refused ones are still pending, retried less and less often.
    expect(sink.messages.map((m) => m.subject)).toEqual(['etl']);
    expect((await store.pendingAlerts(10)).map((f) => f.subject)).toEqual(['poison-1', 'poison-2', 'poison-3']);
    const attempts = results.reduce((n, r) => n + r.failed, 0);
    expect(attempts).toBeLessThan(3 * results.length / 2);
    // Act: sweeps until the refused ones have failed for 14 days.
    const later = [];
    for (let at = T0 + 2 * 3_600_000; at <= T0 + 15 * 86_400_000; at += 3_600_000) later.push(await sweep(at));
    // Assess: given up, out of the outbox, not counted as alerted, each reported once with its error.
    expect(await store.pendingAlerts(10)).toEqual([]);
    const stored = await store.query({ from: isoTime(T0), to: isoTime(T0 + 86_400_000) });
    expect(stored.filter((f) => f.subject.startsWith('poison')).map((f) => [f.alerted, f.alert_failure?.gave_up, f.alert_failure?.error])).toEqual(
      [1, 2, 3].map((i) => [false, true, `InvalidParameter: message about poison-${i} refused`]),
    );
    expect(later.reduce((n, r) => n + (r.abandoned ?? 0), 0)).toBe(3);
    expect(later.flatMap((r) => r.errors).filter((e) => e.includes('gave up'))).toHaveLength(3);
    expect(sink.messages.map((m) => m.subject)).toEqual(['etl']);
  });
});

/** A store whose alert-state writes throw (throttled past the SDK's retries) while `failWrite` says so. */
class ThrottledStore extends MemoryAuditStore {
  failWrite: (key: string) => boolean = () => false;
  override async commit(commit: SubjectCommit): Promise<CommitResult> {
    if (commit.key.startsWith('alert#') && this.failWrite(commit.key)) throw Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded.'), { name: 'ProvisionedThroughputExceededException' });
    return super.commit(commit);
  }
}

function subjectRecord(subject: string, run: number, status: 'ok' | 'failed'): RunRecord {
  return { ...record(run, status), subject, run_id: `${subject}-${run}` };
}

describe('deliverAlerts settling notices', () => {
  it('settles the published notices of the other subjects although one subject\'s settle throws, so only that one is published again', async () => {
    // Prepare: two jobs alerted for a failed run; three healthy runs of each then make two recovery notices in one delivery.
    const store = new ThrottledStore();
    const sink = new RecordingSink();
    const subjects = ['etl', 'export'];
    const failures = subjects.map((s) => ({ ...failedRun(s, T0 + TEN_MIN), run_id: `${s}-1` }));
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: failures, records: [] });
    await deliverAlerts(failures, store, sink, { now: () => T0 + TEN_MIN + 1000 }, { records: subjects.map((s) => subjectRecord(s, 1, 'failed')), drainLimit: 0 });
    const healthy = subjects.flatMap((s) => [2, 3, 4].map((run) => subjectRecord(s, run, 'ok')));
    const recovering = T0 + 4 * TEN_MIN + 1000;
    // the delivery's first two alert-state writes are its decisions; the third, the first subject's settle, is throttled
    let writes = 0;
    store.failWrite = () => ++writes === 3;
    // Act: the recovering delivery throws; the next delivery about both jobs comes after the notices' lease.
    const first = await deliverAlerts([], store, sink, { now: () => recovering }, { records: healthy, drainLimit: 0 }).then(() => 'ok', (error: Error) => error.name);
    store.failWrite = () => false;
    await deliverAlerts([], store, sink, { now: () => recovering + 2 * 60_000 }, { records: subjects.map((s) => subjectRecord(s, 5, 'ok')), drainLimit: 0 });
    // Assess: the throttling is reported; only the notice whose settle was throttled goes out again.
    expect(first).toBe('ProvisionedThroughputExceededException');
    const recoveries = sink.messages.filter((m) => m.kind === 'recovery').map((m) => m.subject);
    expect(new Set(recoveries)).toEqual(new Set(subjects));
    expect(recoveries).toHaveLength(subjects.length + 1);
  });

  it('keeps a notice in the state its decision writes, so an invocation that dies before sending it loses nothing: the next delivery after its lease sends it, once', async () => {
    // Prepare: a failed run alerted; the delivery of three healthy runs dies right after its alert-state write, before any send.
    const store = new MemoryAuditStore();
    const sink = new RecordingSink();
    const failure = failedRun('etl', T0 + TEN_MIN);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [failure], records: [] });
    await deliverAlerts([failure], store, sink, { now: () => T0 + TEN_MIN + 1000 }, { records: [record(1, 'failed')], drainLimit: 0 });
    const commit = store.commit.bind(store);
    store.commit = async (change: SubjectCommit): Promise<CommitResult> => {
      const result = await commit(change);
      if (change.key === 'alert#job#etl') throw new Error('Task timed out after 30.00 seconds');
      return result;
    };
    const recovering = T0 + 4 * TEN_MIN + 1000;
    const died = await deliverAlerts([], store, sink, { now: () => recovering }, { records: [2, 3, 4].map((run) => record(run, 'ok')), drainLimit: 0 }).then(() => 'ok', (error: Error) => error.message);
    const written = ((await store.load(['alert#job#etl'])).get('alert#job#etl')?.state as { notices: Array<{ kind: string }> }).notices.map((n) => n.kind);
    store.commit = commit;
    // Act: the next two deliveries about the job, the first after the notice's lease.
    await deliverAlerts([], store, sink, { now: () => recovering + 2 * 60_000 }, { records: [record(5, 'ok')], drainLimit: 0 });
    await deliverAlerts([], store, sink, { now: () => recovering + 4 * 60_000 }, { records: [record(6, 'ok')], drainLimit: 0 });
    // Assess: nothing was sent by the invocation that died; its decision's write held the notice; it went out once after.
    expect(died).toBe('Task timed out after 30.00 seconds');
    expect(written).toEqual(['recovery']);
    expect(sink.messages.map((m) => `${m.kind} ${m.subject}`)).toEqual(['finding etl', 'recovery etl']);
    expect(((await store.load(['alert#job#etl'])).get('alert#job#etl')?.state as { notices: unknown[] }).notices).toEqual([]);
  });
});

describe('deliverAlerts after a long run of lost alert-state writes', () => {
  it('leases a notice from when its decision is written, so another invocation reading the state then does not publish it too', async () => {
    // Prepare: a failed run alerted; a delivery of three healthy runs (a Kinesis consumer, 2 minutes)
    // loses its alert-state write for 70 s; the moment it wins, another invocation delivers a healthy run.
    const store = new MemoryAuditStore();
    const sink = new RecordingSink();
    const failure = failedRun('etl', T0 + TEN_MIN);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [failure], records: [] });
    await deliverAlerts([failure], store, sink, { now: () => T0 + TEN_MIN + 1000 }, { records: [record(1, 'failed')], drainLimit: 0 });
    const start = T0 + 4 * TEN_MIN + 1000;
    let elapsed = 0;
    const clock = { now: () => start + elapsed };
    const retry = { remainingMs: () => 120_000 - elapsed, sleep: async (ms: number) => void (elapsed += ms), random: () => 0.5 };
    const commit = store.commit.bind(store);
    let other: Promise<unknown> | undefined;
    store.commit = async (change: SubjectCommit): Promise<CommitResult> => {
      elapsed += 20;
      if (change.key === 'alert#job#etl' && elapsed < 70_000) return 'conflict';
      const result = await commit(change);
      if (change.key === 'alert#job#etl' && !other) await (other = deliverAlerts([], store, sink, clock, { records: [record(5, 'ok')], drainLimit: 0 }));
      return result;
    };
    // Act
    await deliverAlerts([], store, sink, clock, { records: [2, 3, 4].map((run) => record(run, 'ok')), drainLimit: 0, retry });
    // Assess: the recovery went out once.
    expect(elapsed).toBeGreaterThan(70_000);
    expect(sink.messages.map((m) => `${m.kind} ${m.subject}`)).toEqual(['finding etl', 'recovery etl']);
  });
});

describe('deliverAlerts claiming findings', () => {
  it('leases a finding from when it is claimed, so a sweep during a slow delivery does not send it too', async () => {
    // Prepare: three stored failures; each publish takes 40 s, and a sweep runs (another container) while the third is published.
    let clock = T0 + TEN_MIN;
    const store = new MemoryAuditStore();
    const failures = ['a', 'b', 'c'].map((s) => failedRun(s, T0));
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: failures, records: [] });
    const sweepSink = new RecordingSink();
    const sink = new RecordingSink();
    sink.send = async (message: AlertMessage) => {
      clock += 40_000;
      if (message.subject === 'c') await deliverAlerts([], store, sweepSink, { now: () => clock }, { drainLimit: 50 });
      sink.messages.push(message);
    };
    // Act
    const result = await deliverAlerts(failures, store, sink, { now: () => clock }, { drainLimit: 0 });
    // Assess: each alert went out once, the sweep sent none.
    expect(sink.messages.map((m) => m.subject)).toEqual(['a', 'b', 'c']);
    expect(result.sent).toBe(3);
    expect(sweepSink.messages).toEqual([]);
  });
});

/** A memory store that counts its queries of run records. */
class CountingRunsStore extends MemoryAuditStore {
  runQueries = 0;
  override async runs(subjectKey: string, from: string, to: string): Promise<RunRecord[]> {
    this.runQueries++;
    return super.runs(subjectKey, from, to);
  }
}

describe('deliverAlerts after a redelivery', () => {
  it('reads back the runs an earlier invocation recorded but never brought to the alert policy, once', async () => {
    // Prepare: a failed run alerted; then an invocation recorded three healthy runs and failed before its alert-state write.
    const store = new CountingRunsStore();
    const sink = new RecordingSink();
    const failure = failedRun('etl', T0 + TEN_MIN);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [failure], records: [] });
    await deliverAlerts([failure], store, sink, { now: () => T0 + TEN_MIN + 1000 }, { records: [record(1, 'failed')], drainLimit: 0 });
    const healthy = [2, 3, 4].map((run) => record(run, 'ok'));
    await store.commit({ key: 'job#etl', expectedVersion: 0, state: {}, findings: [], records: healthy });
    // The redelivered span: from the first run's start to the last run's end.
    const replayed = [{ subject_kind: 'job' as const, subject: 'etl', from: isoTime(T0 + 2 * TEN_MIN - 60_000), to: healthy[2].ts }];
    const redeliver = (at: number) => deliverAlerts([], store, sink, { now: () => at }, { records: [], replayed, drainLimit: 0 });
    // Act: the redelivery (it recorded nothing: its runs were recorded), then another one, then one of an earlier span.
    const first = await redeliver(T0 + 5 * TEN_MIN);
    const queriesAfterFirst = store.runQueries;
    const second = await redeliver(T0 + 6 * TEN_MIN);
    const queriesAfterSecond = store.runQueries;
    const earlier = [{ ...replayed[0], to: healthy[1].ts }];
    const third = await deliverAlerts([], store, sink, { now: () => T0 + 7 * TEN_MIN }, { records: [], replayed: earlier, drainLimit: 0 });
    // Assess: the recovery notice went out once; the second redelivery, whose span ends in the second of
    // the latest run applied (another run may have ended in it), read it again and sent nothing; the span
    // that ends before that run needed no query.
    expect(sink.messages.map((m) => `${m.kind} ${m.subject}`)).toEqual(['finding etl', 'recovery etl']);
    expect(sink.messages[1].title).toContain('healthy for 3 runs');
    expect([first.sent, second.sent, third.sent]).toEqual([1, 0, 0]);
    expect(queriesAfterFirst).toBe(1);
    expect(queriesAfterSecond).toBe(2);
    expect(store.runQueries).toBe(2);
  });

  it('reads back a run that ended in the same second as the latest run applied, with a later run id', async () => {
    // Prepare: a failed run alerted; host A's delivery applied two healthy runs, the second at T3;
    // host B's invocation recorded a healthy run of the same second and failed before its alert-state write.
    const store = new CountingRunsStore();
    const sink = new RecordingSink();
    const failure = failedRun('etl', T0 + TEN_MIN);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [failure], records: [] });
    await deliverAlerts([failure], store, sink, { now: () => T0 + TEN_MIN + 1000 }, { records: [record(1, 'failed')], drainLimit: 0 });
    const T3 = T0 + 3 * TEN_MIN;
    const hostA: RunRecord = { ...record(3, 'ok'), run_id: 'etl@hostA@3' };
    await deliverAlerts([], store, sink, { now: () => T3 + 1000 }, { records: [record(2, 'ok'), hostA], drainLimit: 0 });
    const hostB: RunRecord = { ...record(3, 'ok'), run_id: 'etl@hostB@3' };
    await store.commit({ key: 'job#etl', expectedVersion: 0, state: {}, findings: [], records: [hostB] });
    const replayed = [{ subject_kind: 'job' as const, subject: 'etl', from: isoTime(T3 - 60_000), to: hostB.ts }];
    // Act: host B's delivery is retried (its runs were recorded)
    const retry = await deliverAlerts([], store, sink, { now: () => T3 + 60_000 }, { records: [], replayed, drainLimit: 0 });
    // Assess: host B's run is the third healthy one
    expect(sink.messages.map((m) => m.kind)).toEqual(['finding', 'recovery']);
    expect(sink.messages[1].title).toContain('healthy for 3 runs');
    expect(retry.sent).toBe(1);
  });
});

/** A store whose alert-state commits, claims and marks take a few milliseconds, counting how many are under way at once. */
class SlowWriteStore extends MemoryAuditStore {
  inFlight = 0;
  maxCommits = 0;
  maxMarks = 0;
  maxClaims = 0;
  private async slowly<T>(write: () => Promise<T>, track: 'maxCommits' | 'maxMarks' | 'maxClaims'): Promise<T> {
    this.inFlight++;
    this[track] = Math.max(this[track], this.inFlight);
    // Varied delays, so that writes end in another order than they started.
    await new Promise((r) => setTimeout(r, 1 + (this.inFlight % 4)));
    try {
      return await write();
    } finally {
      this.inFlight--;
    }
  }
  override commit(change: SubjectCommit): Promise<CommitResult> {
    return change.key.startsWith('alert#') ? this.slowly(() => super.commit(change), 'maxCommits') : super.commit(change);
  }
  override markAlerted(key: string): Promise<boolean> {
    return this.slowly(() => super.markAlerted(key), 'maxMarks');
  }
  override claimAlert(key: string, now: number, leaseMs: number): Promise<AlertClaim | false> {
    return this.slowly(() => super.claimAlert(key, now, leaseMs), 'maxClaims');
  }
}

describe('deliverAlerts for many subjects at once', () => {
  it('writes a bounded number of alert states and marks at a time, and alerts in the findings order as one by one', async () => {
    // Prepare: 100 failing jobs, every other one snoozed (its finding held and marked without a message); a storm cap above them all.
    const jobs = Array.from({ length: 100 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
    const snoozes = jobs.filter((_, i) => i % 2 === 1).map((subject) => ({ subject, owner: 'alice', reason: 'migration', until: isoTime(T0 + 86_400_000) }));
    const config = validateConfig({ defaults: { alert_storm_cap: 1000 }, snoozes }, 'test', undefined, { now: T0 });
    const findings = jobs.map((job, i) => failedRun(job, T0 + (i % 3) * 1000));
    const store = new SlowWriteStore();
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings, records: [] });
    const sink = new RecordingSink();

    // Act
    const result = await deliverAlerts(findings, store, sink, { now: () => T0 + TEN_MIN }, { config, drainLimit: 0 });

    // Assess
    expect(store.maxCommits).toBeGreaterThan(1);
    expect(store.maxCommits).toBeLessThanOrEqual(16);
    expect(store.maxMarks).toBeGreaterThan(1);
    expect(store.maxMarks).toBeLessThanOrEqual(16);
    // As one by one: the unsnoozed jobs, earliest failure first (job-000, job-006, …, then job-004, job-010, …), each alerted once.
    const unsnoozed = jobs.map((job, i) => ({ job, i })).filter(({ i }) => i % 2 === 0);
    const earliestFirst = [0, 1, 2].flatMap((second) => unsnoozed.filter(({ i }) => i % 3 === second).map(({ job }) => job));
    expect(sink.messages.map((m) => m.subject)).toEqual(earliestFirst);
    expect(result).toMatchObject({ sent: 50, failed: 0, snoozed: 50, suppressed: 0 });
    expect(await store.pendingAlerts(1000, T0 + TEN_MIN)).toEqual([]);
  });

  it('claims and marks the findings of a storm summary a bounded number at a time, and summarizes them all', async () => {
    // Prepare: 100 failing jobs against the default storm cap of 20.
    const jobs = Array.from({ length: 100 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
    const findings = jobs.map((job, i) => failedRun(job, T0 + i * 1000));
    const store = new SlowWriteStore();
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings, records: [] });
    const sink = new RecordingSink();

    // Act
    const result = await deliverAlerts(findings, store, sink, { now: () => T0 + TEN_MIN }, { drainLimit: 0 });

    // Assess: the 20 earliest alerted one by one, the other 80 in one summary, none left pending.
    expect(store.maxClaims).toBeGreaterThan(1);
    expect(store.maxClaims).toBeLessThanOrEqual(16);
    expect(store.maxMarks).toBeGreaterThan(1);
    expect(store.maxMarks).toBeLessThanOrEqual(16);
    expect(sink.messages.slice(0, 20).map((m) => m.subject)).toEqual(jobs.slice(0, 20));
    expect(sink.messages).toHaveLength(21);
    expect(result).toMatchObject({ sent: 21, failed: 0, summarized: 80 });
    expect(await store.pendingAlerts(1000, T0 + TEN_MIN)).toEqual([]);
  });

  it('sends an alert as itself, not as a storm summary of one, when only one goes past the storm cap', async () => {
    // Prepare: 21 failing jobs against the default storm cap of 20.
    const jobs = Array.from({ length: 21 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
    const findings = jobs.map((job, i) => failedRun(job, T0 + i * 1000));
    const store = new MemoryAuditStore();
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings, records: [] });
    const sink = new RecordingSink();

    // Act
    const result = await deliverAlerts(findings, store, sink, { now: () => T0 + TEN_MIN }, { drainLimit: 0 });

    // Assess: 21 messages, each a finding's own alert naming its job; none summarized, none left pending.
    expect(sink.messages.map((m) => m.kind)).toEqual(jobs.map(() => 'finding'));
    expect(sink.messages.map((m) => m.subject)).toEqual(jobs);
    expect(result).toMatchObject({ sent: 21, failed: 0, summarized: 0 });
    expect(await store.pendingAlerts(1000, T0 + TEN_MIN)).toEqual([]);
  });
});

/** A memory store whose finding marks throw while `failMarks` is set (DynamoDB unreachable after SNS accepted the message). */
class LostMarkStore extends MemoryAuditStore {
  failMarks = false;
  override async markAlerted(key: string): Promise<boolean> {
    if (this.failMarks) throw Object.assign(new Error('injected network failure'), { name: 'TimeoutError' });
    return super.markAlerted(key);
  }
}

/** A store whose claim of one finding fails (DynamoDB), after the others of a batch are claimed. */
class FlakyClaimStore extends MemoryAuditStore {
  failKey?: string;
  override async claimAlert(key: string, now: number, leaseMs: number): Promise<AlertClaim | false> {
    if (key !== this.failKey) return super.claimAlert(key, now, leaseMs);
    await new Promise((resolve) => setTimeout(resolve, 20));
    throw Object.assign(new Error('injected network failure'), { name: 'TimeoutError' });
  }
}

describe('deliverAlerts after a send that was not confirmed', () => {
  it('sends a finding whose mark was lost after its publish again once its claim runs out, saying it may be a repeat, and counts it as waiting meanwhile', async () => {
    // Prepare: a failed run; the delivery publishes its alert, then DynamoDB fails on the mark.
    const store = new LostMarkStore();
    const sink = new RecordingSink();
    const failure = failedRun('etl', T0);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [failure], records: [] });
    const claimedAt = T0 + 1000;
    store.failMarks = true;
    const first = await deliverAlerts([failure], store, sink, { now: () => claimedAt }, { drainLimit: 0 }).then(() => 'ok', (error: Error) => error.name);
    store.failMarks = false;
    // Act: the outbox is counted while the claim runs, then a sweep after the claim's lease.
    const waiting = await store.alertsAwaitingRetry();
    const resent = await deliverAlerts([], store, sink, { now: () => claimedAt + 5 * 60_000 }, { drainLimit: 50 });
    // Assess: sent twice; the second says a send at the claim's time was not confirmed, in its subject, text and data.
    expect(first).toBe('TimeoutError');
    expect(waiting).toBe(1);
    expect(resent.sent).toBe(1);
    const [once, again] = sink.messages;
    expect(once.asciiTitle).not.toMatch(/repeat/i);
    expect(again.asciiTitle).toMatch(/^\(possible repeat\) \[HIGH\] run-failed: etl/);
    expect(again.text).toContain(`Possible repeat: a send of this alert at ${isoTime(claimedAt)} was not confirmed`);
    expect(again.data.possible_repeat).toEqual({ unconfirmed_send_at: isoTime(claimedAt) });
    expect(await store.alertsAwaitingRetry()).toBe(0);
    expect(await store.pendingAlerts(10)).toEqual([]);
  });

  it('keeps the possible-repeat note on a finding whose unconfirmed send is followed by a refused one', async () => {
    // Prepare: the mark of a published alert is lost; the resend after the lease is refused by SNS.
    const store = new LostMarkStore();
    let refuse = false;
    const sink = new RefusingSink(() => refuse);
    const failure = failedRun('etl', T0);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [failure], records: [] });
    store.failMarks = true;
    await deliverAlerts([failure], store, sink, { now: () => T0 + 1000 }, { drainLimit: 0 }).catch(() => undefined);
    store.failMarks = false;
    refuse = true;
    await deliverAlerts([], store, sink, { now: () => T0 + 5 * 60_000 }, { drainLimit: 50 });
    refuse = false;
    // Act
    await deliverAlerts([], store, sink, { now: () => T0 + 10 * 60_000 }, { drainLimit: 50 });
    // Assess: the send that went out after the refused one still says the first may have reached the reader.
    expect(sink.messages).toHaveLength(2);
    expect(sink.messages[1].text).toContain(`a send of this alert at ${isoTime(T0 + 1000)} was not confirmed`);
  });

  it('retries a finding whose publish was refused without the possible-repeat note: that send surely did not go out', async () => {
    // Prepare: SNS refuses the first send.
    const store = new MemoryAuditStore();
    let refuse = true;
    const sink = new RefusingSink(() => refuse);
    const failure = failedRun('etl', T0);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [failure], records: [] });
    const failed = await deliverAlerts([failure], store, sink, { now: () => T0 + 1000 }, { drainLimit: 0 });
    refuse = false;
    // Act
    const retried = await deliverAlerts([], store, sink, { now: () => T0 + 5 * 60_000 }, { drainLimit: 50 });
    // Assess
    expect([failed.failed, retried.sent]).toEqual([1, 1]);
    expect(sink.messages[0].asciiTitle).not.toMatch(/repeat/i);
    expect(sink.messages[0].text).not.toMatch(/repeat/i);
    expect(sink.messages[0].data.possible_repeat).toBeUndefined();
  });

  it('sends a recovery notice whose settle was lost after its publish again with the possible-repeat note, and not one whose publish was refused', async () => {
    // Prepare: a failed run alerted; three healthy runs make a recovery notice, published, and its settle throttled.
    const store = new ThrottledStore();
    const sink = new RecordingSink();
    const failure = failedRun('etl', T0 + TEN_MIN);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [failure], records: [] });
    await deliverAlerts([failure], store, sink, { now: () => T0 + TEN_MIN + 1000 }, { records: [record(1, 'failed')], drainLimit: 0 });
    const recovering = T0 + 4 * TEN_MIN + 1000;
    let writes = 0;
    store.failWrite = () => ++writes === 2;
    const first = await deliverAlerts([], store, sink, { now: () => recovering }, { records: [2, 3, 4].map((run) => record(run, 'ok')), drainLimit: 0 }).then(() => 'ok', (error: Error) => error.name);
    store.failWrite = () => false;
    // Act: the next delivery after the notice's lease.
    await deliverAlerts([], store, sink, { now: () => recovering + 2 * 60_000 }, { records: [record(5, 'ok')], drainLimit: 0 });
    // Assess: the recovery went out twice, the second saying the first send was not confirmed.
    expect(first).toBe('ProvisionedThroughputExceededException');
    const recoveries = sink.messages.filter((m) => m.kind === 'recovery');
    expect(recoveries).toHaveLength(2);
    expect(recoveries[0].text).not.toMatch(/repeat/i);
    expect(recoveries[1].asciiTitle).toMatch(/^\(possible repeat\) \[RECOVERED\] etl/);
    expect(recoveries[1].text).toContain(`Possible repeat: a send of this alert at ${isoTime(recovering)} was not confirmed`);
  });

  it('retries a recovery notice whose publish was refused without the possible-repeat note', async () => {
    // Prepare: a failed run alerted; SNS refuses the recovery notice.
    const store = new MemoryAuditStore();
    let refuse = false;
    const sink = new RefusingSink(() => refuse);
    const failure = failedRun('etl', T0 + TEN_MIN);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [failure], records: [] });
    await deliverAlerts([failure], store, sink, { now: () => T0 + TEN_MIN + 1000 }, { records: [record(1, 'failed')], drainLimit: 0 });
    const recovering = T0 + 4 * TEN_MIN + 1000;
    refuse = true;
    await deliverAlerts([], store, sink, { now: () => recovering }, { records: [2, 3, 4].map((run) => record(run, 'ok')), drainLimit: 0 });
    refuse = false;
    // Act
    await deliverAlerts([], store, sink, { now: () => recovering + 2 * 60_000 }, { records: [record(5, 'ok')], drainLimit: 0 });
    // Assess
    const recoveries = sink.messages.filter((m) => m.kind === 'recovery');
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0].text).not.toMatch(/repeat/i);
  });
  it('sends a recovery notice never published, because the delivery threw before reaching it, without the possible-repeat note', async () => {
    // Prepare: etl alerted for a failed run; one delivery then holds etl's recovery (three healthy runs) and export's failure, whose mark DynamoDB fails before the recovery is sent.
    const store = new LostMarkStore();
    const sink = new RecordingSink();
    const etl = failedRun('etl', T0 + TEN_MIN);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [etl], records: [] });
    await deliverAlerts([etl], store, sink, { now: () => T0 + TEN_MIN + 1000 }, { records: [record(1, 'failed')], drainLimit: 0 });
    const exportFailure = failedRun('export', T0 + 4 * TEN_MIN);
    await store.commit({ key: 'job#seed2', expectedVersion: 0, state: {}, findings: [exportFailure], records: [] });
    const recovering = T0 + 4 * TEN_MIN + 1000;
    store.failMarks = true;
    const first = await deliverAlerts([exportFailure], store, sink, { now: () => recovering }, { records: [...[2, 3, 4].map((run) => record(run, 'ok')), subjectRecord('export', 4, 'failed')], drainLimit: 0 }).then(() => 'ok', (error: Error) => error.name);
    store.failMarks = false;
    const recoveriesBefore = sink.messages.filter((m) => m.kind === 'recovery').length;
    // Act: the next delivery after the notice's lease.
    await deliverAlerts([], store, sink, { now: () => recovering + 2 * 60_000 }, { records: [record(5, 'ok')], drainLimit: 50 });
    // Assess: the recovery goes out once, as a first send.
    expect(first).toBe('TimeoutError');
    expect(recoveriesBefore).toBe(0);
    const recoveries = sink.messages.filter((m) => m.kind === 'recovery');
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0].asciiTitle).toMatch(/^\[RECOVERED\] etl/);
    expect(recoveries[0].text).not.toMatch(/repeat/i);
  });

  it('sends a recovery notice left for lack of time without the possible-repeat note, and counts it as waiting for no retry', async () => {
    // Prepare: etl alerted for a failed run; its recovery is decided by a delivery with no time left to send it.
    const store = new MemoryAuditStore();
    const sink = new RecordingSink();
    const etl = failedRun('etl', T0 + TEN_MIN);
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [etl], records: [] });
    await deliverAlerts([etl], store, sink, { now: () => T0 + TEN_MIN + 1000 }, { records: [record(1, 'failed')], drainLimit: 0 });
    const recovering = T0 + 4 * TEN_MIN + 1000;
    const outOfTime = await deliverAlerts([], store, sink, { now: () => recovering }, { records: [2, 3, 4].map((run) => record(run, 'ok')), drainLimit: 0, timeLeft: () => 0 });
    // Act: the next delivery after the notice's lease.
    await deliverAlerts([], store, sink, { now: () => recovering + 2 * 60_000 }, { records: [record(5, 'ok')], drainLimit: 0 });
    // Assess: left, not sent; then sent once, as a first send.
    expect(outOfTime).toMatchObject({ sent: 0, left: 1, noticesAwaitingRetry: 0 });
    const recoveries = sink.messages.filter((m) => m.kind === 'recovery');
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0].asciiTitle).toMatch(/^\[RECOVERED\] etl/);
    expect(recoveries[0].text).not.toMatch(/repeat/i);
  });
  it('releases the claims of a storm summary never published because another of its claims threw, so its later send is no possible repeat', async () => {
    // Prepare: a storm cap of 1 and four failed jobs: three go to the summary, whose last claim DynamoDB fails.
    const config = validateConfig({ defaults: { alert_storm_cap: 1 } }, 'test', undefined, { now: T0 });
    const store = new FlakyClaimStore();
    const sink = new RecordingSink();
    const failures = ['a', 'b', 'c', 'd'].map((subject) => failedRun(subject, T0));
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: failures, records: [] });
    store.failKey = findingKey(failures[3]);
    const first = await deliverAlerts(failures, store, sink, { now: () => T0 + 1000 }, { config, drainLimit: 0 }).then(() => 'ok', (error: Error) => error.name);
    store.failKey = undefined;
    const published = sink.messages.length;
    // Act: the outbox counted, then a sweep after the claims' lease.
    const waiting = await store.alertsAwaitingRetry();
    await deliverAlerts([], store, sink, { now: () => T0 + 5 * 60_000 }, { config, drainLimit: 50 });
    // Assess: only the first alert went out before the throw; nothing claimed was left unconfirmed, and no later message says it may be a repeat.
    expect(first).toBe('TimeoutError');
    expect(published).toBe(1);
    expect(waiting).toBe(0);
    const later = sink.messages.slice(published);
    expect(later.length).toBeGreaterThan(0);
    for (const message of later) {
      expect(message.asciiTitle).not.toMatch(/repeat/i);
      expect(message.data.possible_repeats).toBeUndefined();
    }
  });

  it('keeps the possible-repeat note of a storm summary finding sent before unconfirmed when another of the summary\'s claims throws', async () => {
    // Prepare: b was claimed before and never marked (its send not confirmed); then a, b, c, d beyond a cap of 1, d's claim failing.
    const config = validateConfig({ defaults: { alert_storm_cap: 1 } }, 'test', undefined, { now: T0 });
    const store = new FlakyClaimStore();
    const sink = new RecordingSink();
    const failures = ['a', 'b', 'c', 'd'].map((subject) => failedRun(subject, T0));
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: failures, records: [] });
    await store.claimAlert(findingKey(failures[1]), T0, 60_000);
    store.failKey = findingKey(failures[3]);
    await deliverAlerts(failures, store, sink, { now: () => T0 + 2 * 60_000 }, { config, drainLimit: 0 }).catch(() => undefined);
    store.failKey = undefined;
    const published = sink.messages.length;
    // Act
    await deliverAlerts([], store, sink, { now: () => T0 + 10 * 60_000 }, { config, drainLimit: 50 });
    // Assess: b's later send still says it may be a repeat.
    const aboutB = sink.messages.slice(published).filter((m) => m.text.includes('job "b"'));
    expect(aboutB).toHaveLength(1);
    expect(aboutB[0].text).toMatch(/Possible repeat: /);
  });
});
