import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { type CronHostState, cronHostKey, cronHostReducer, HOST_TTL_MS, initialCronHostState } from '../../lambdas/core/cron-host-reducer.ts';
import type { AuditEvent, EventBody } from '../../lambdas/core/events.ts';
import { deepFreeze } from '../../lambdas/core/frozen-state.ts';
import { type Finding, isoTime } from '../../lambdas/core/findings.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import { processBatch, type ReduceContext } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { eventsOf, fixtureLines, parseFile } from '../parse/helpers.ts';

const T0 = Date.parse('2026-10-05T02:17:01Z');
const MINUTE = 60_000;
const NOW = T0 + 24 * 60 * MINUTE;
const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => NOW } };
const REASON = 'No MTA installed, discarding output';

let line = 0;
function cron(at: number, body: Record<string, unknown>, format = 'cron'): AuditEvent {
  return { at, body: body as unknown as EventBody, source: { origin: 'syslog', line: ++line }, format };
}

/** `CRON[pid]: (root) CMD (job)` as the cron parser gives it. */
function cmd(at: number, job: string, pid: number, host = 'web1'): AuditEvent {
  return cron(at, { type: 'run.start', job, run_id: `${host}:${pid}:${new Date(at).toISOString()}`, host, user: 'root', pid });
}

/** `CRON[pid]: (CRON) info (No MTA installed, discarding output)`, from the cron process that forked the job (pid − 1 of its CMD). */
function discard(at: number, pid: number | undefined, host = 'web1'): AuditEvent {
  return cron(at, { type: 'output.discarded', host, reason: REASON, ...(pid !== undefined ? { pid } : {}) });
}

function jobsOf(events: readonly AuditEvent[] | undefined): Array<string | undefined> {
  return (events ?? []).map((e) => (e.body as { job?: string }).job);
}

function apply(state: CronHostState, events: readonly AuditEvent[]) {
  return cronHostReducer.apply(deepFreeze(state), 'web1', events, ctx);
}

const brief = (findings: readonly Finding[]) => findings.map((f) => `${f.detector} ${f.subject} ${f.ts}`);

describe('cron host reducer: which job a discard line belongs to, across batches', () => {
  it('claims CMD lines with a pid and discard lines without a job, by host', () => {
    // Prepare
    const claimed = [cmd(T0, 'report', 101), discard(T0, 100, 'web2'), cron(T0, { type: 'run.start', job: 'report', run_id: 'x', host: 'web1', user: 'root', pid: 101 }, 'journal')];
    const ignored = [
      cron(T0, { type: 'output.discarded', job: 'report', host: 'web1', reason: REASON, pid: 100 }),
      cron(T0, { type: 'run.start', job: 'backup.service', run_id: 'backup.service@web1@x', host: 'web1' }, 'journal'),
      cron(T0, { type: 'run.start', job: 'sync', run_id: 'r-1', host: 'web1', pid: 7 }, 'json'),
    ];
    // Act
    const subjects = [...claimed, ...ignored].map((e) => cronHostReducer.subjectOf(e));
    // Assess
    expect(subjects).toEqual(['web1', 'web2', 'web1', undefined, undefined, undefined]);
  });

  it('gives a discard line to the CMD line whose pid is its pid + 1, kept from an earlier batch, and hands it to the job', () => {
    // Prepare: the job's CMD line, then two other jobs' within the last 10 minutes.
    const first = apply(initialCronHostState('web1'), [cmd(T0, '/usr/local/bin/report.sh', 20765), cmd(T0 + 60 * MINUTE, 'other-a', 20900)]);
    const second = apply(first.state, [cmd(T0 + 65 * MINUTE, 'other-b', 20950)]);
    // Act: report.sh ends 66 minutes after it started.
    const result = apply(second.state, [discard(T0 + 66 * MINUTE, 20764)]);
    // Assess
    expect(jobsOf(result.handOff)).toEqual(['/usr/local/bin/report.sh']);
    expect(result.handOff?.[0]).toMatchObject({ at: T0 + 66 * MINUTE, format: 'cron', body: { type: 'output.discarded', host: 'web1', reason: REASON, pid: 20764 } });
    expect(result.findings).toEqual([]);
    expect(result.records).toEqual([]);
    expect(result.state.starts.map((s) => s.job)).toEqual(['/usr/local/bin/report.sh', 'other-a', 'other-b']);
    expect(result.state.attributed).toEqual([{ at: T0 + 66 * MINUTE, pid: 20764, job: '/usr/local/bin/report.sh' }]);
    expect(result.state.expiresAt).toBe(NOW + HOST_TTL_MS);
    expect(cronHostReducer.expiresAt?.(result.state)).toBe(NOW + HOST_TTL_MS);
  });

  it('without a pid match, gives the line to the latest CMD line within 10 minutes before it, else to no job', () => {
    // Prepare
    const state = apply(initialCronHostState('web1'), [cmd(T0, 'early', 500), cmd(T0 + 2 * MINUTE, 'latest', 600), cmd(T0 + 30 * MINUTE, 'after', 700)]).state;
    // Act
    const near = apply(state, [discard(T0 + 9 * MINUTE, 42)]);
    const noPid = apply(state, [discard(T0 + 9 * MINUTE, undefined)]);
    const far = apply(state, [discard(T0 + 13 * MINUTE, 42)]);
    // Assess
    expect(jobsOf(near.handOff)).toEqual(['latest']);
    expect(jobsOf(noPid.handOff)).toEqual(['latest']);
    expect(far.handOff).toBeUndefined();
    expect(far.state).toBe(state);
  });

  it('returns the very state it was given for a redelivered batch, and hands the line to the same job again', () => {
    // Prepare: the discard line went to `report` by its pid; a later CMD line of `other` reuses nothing.
    const batch = [cmd(T0, 'report', 101), discard(T0 + 30_000, 100)];
    const done = apply(initialCronHostState('web1'), batch).state;
    const later = apply(done, [cmd(T0 + 20_000, 'other', 101)]).state;
    // Act
    const again = apply(done, batch);
    const afterOther = apply(later, [discard(T0 + 30_000, 100)]);
    // Assess
    expect(again.state).toBe(done);
    expect(jobsOf(again.handOff)).toEqual(['report']);
    expect(afterOther.state).toBe(later);
    expect(jobsOf(afterOther.handOff)).toEqual(['report']);
  });

  it('keeps the newest 200 CMD lines and 50 attributions, in time order, without writing into the state it was given', () => {
    // Prepare: 250 jobs a minute apart, then 60 discard lines in one batch.
    let state = initialCronHostState('web1');
    for (let b = 0; b < 250; b += 25) {
      state = apply(state, Array.from({ length: 25 }, (_, i) => cmd(T0 + (b + i) * MINUTE, `job-${b + i}`, 1000 + 2 * (b + i)))).state;
    }
    const discards = Array.from({ length: 60 }, (_, i) => discard(T0 + (190 + i) * MINUTE + 30_000, 1000 + 2 * (190 + i) - 1));
    // Act
    const result = apply(state, discards);
    const outOfOrder = apply(result.state, [cmd(T0 - MINUTE, 'too-old', 3)]);
    // Assess
    expect(state.starts).toHaveLength(200);
    expect(state.starts[0].job).toBe('job-50');
    expect(state.starts.every((s, i) => i === 0 || state.starts[i - 1].at <= s.at)).toBe(true);
    expect(jobsOf(result.handOff)).toEqual(Array.from({ length: 60 }, (_, i) => `job-${190 + i}`));
    expect(result.state.attributed.map((a) => a.job)).toEqual(Array.from({ length: 50 }, (_, i) => `job-${200 + i}`));
    expect(outOfOrder.state).toBe(result.state);
  });
});

describe('discarded output through the pipeline', () => {
  const job = '/usr/local/bin/report.sh';

  it('is reported once when the discard line comes 30 s later in the next batch, and once only when both batches come again', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    const batch1 = [cmd(T0, job, 20765), cmd(T0, 'other', 20767, 'web2')];
    const batch2 = [discard(T0 + 30_000, 20764)];
    // Act
    const first = await processBatch(batch1, REDUCERS, store, ctx);
    const second = await processBatch(batch2, REDUCERS, store, ctx);
    const redelivered = [await processBatch(batch1, REDUCERS, store, ctx), await processBatch(batch2, REDUCERS, store, ctx)];
    // Assess
    expect(first.findings).toEqual([]);
    expect(brief(second.findings)).toEqual([`output-discarded ${job} 2026-10-05T02:17:31Z`]);
    expect(second.findings[0]).toMatchObject({ subject_kind: 'job', evidence: { host: 'web1', reason: REASON } });
    expect(redelivered.flatMap((r) => r.findings)).toEqual([]);
    expect(brief(await store.query({ from: '2026-10-01', to: '2026-11-01' }))).toEqual([`output-discarded ${job} 2026-10-05T02:17:31Z`]);
    expect((await store.load([cronHostKey('web1')])).get(cronHostKey('web1'))?.version).toBe(2);
  });

  it('is reported for a job that ran 12 minutes, its CMD and discard lines in one batch', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    // Act
    const result = await processBatch([cmd(T0, job, 20765), discard(T0 + 12 * MINUTE, 20764)], REDUCERS, store, ctx);
    // Assess
    expect(brief(result.findings)).toEqual([`output-discarded ${job} 2026-10-05T02:29:01Z`]);
  });

  it("is not given to another job whose CMD line came in the discard line's batch, when its own came in an earlier one", async () => {
    // Prepare: the job starts in batch 1; in batch 2 a job every 5 minutes starts, then the first one's discard line
    const store = new MemoryAuditStore();
    const batches = [[cmd(T0, job, 20765)], [cmd(T0 + 3 * MINUTE, 'every-5-min', 20901), discard(T0 + 3 * MINUTE + 30_000, 20764)]];
    // Act
    const findings: Finding[] = [];
    for (const batch of batches) findings.push(...(await processBatch(batch, REDUCERS, store, ctx)).findings);
    // Assess
    expect(brief(findings)).toEqual([`output-discarded ${job} 2026-10-05T02:20:31Z`]);
  });

  it('is reported for every job of a real cron log delivered one line at a time', async () => {
    // Prepare: Debian's syslog: backup.sh (CMD pid 20827, discard 20826) and sync_assets.sh (20954, 20953).
    const store = new MemoryAuditStore();
    const events = eventsOf(parseFile('syslog', fixtureLines('syslog/cron-debian.log'), { year: 2026 }));
    // Act
    const findings: Finding[] = [];
    for (const event of events) findings.push(...(await processBatch([event], REDUCERS, store, ctx)).findings);
    // Assess
    expect(brief(findings)).toEqual([
      'output-discarded /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1 2026-10-05T02:30:02Z',
      'run-failed bash scripts/sync_assets.sh 2026-10-05T02:35:01Z',
      'output-discarded bash scripts/sync_assets.sh 2026-10-05T02:35:01Z',
    ]);
  });

  it('leaves a discard line the batch attributed to the job reducer, and reports it once when it comes again alone', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    const line = discard(T0 + 30_000, 20764);
    // Act
    const together = await processBatch([cmd(T0, job, 20765), line], REDUCERS, store, ctx);
    const alone = await processBatch([line], REDUCERS, store, ctx);
    // Assess
    expect(brief(together.findings)).toEqual([`output-discarded ${job} 2026-10-05T02:17:31Z`]);
    expect(((await store.load([cronHostKey('web1')])).get(cronHostKey('web1'))?.state as CronHostState).attributed).toEqual([{ at: T0 + 30_000, pid: 20764, job }]);
    expect(alone.findings).toEqual([]);
  });

  it('reports a job at most once a day (not again within 20 hours), whichever way its discard lines came', async () => {
    // Prepare: the job runs hourly; its discard lines come in the next batch each time.
    const store = new MemoryAuditStore();
    const findings: Finding[] = [];
    // Act
    for (let h = 0; h < 25; h++) {
      const start = T0 + h * 60 * MINUTE;
      findings.push(...(await processBatch([cmd(start, job, 20_001 + 10 * h)], REDUCERS, store, ctx)).findings);
      findings.push(...(await processBatch([discard(start + 30_000, 20_000 + 10 * h)], REDUCERS, store, ctx)).findings);
    }
    // Assess
    expect(brief(findings)).toEqual([`output-discarded ${job} 2026-10-05T02:17:31Z`, `output-discarded ${job} 2026-10-05T22:17:31Z`]);
  });
});

describe("a Debian cron job's exit status through the pipeline", () => {
  const job = '/usr/local/bin/backup.sh';
  const DAY = 24 * 60 * MINUTE;

  /** `CRON[pid]: (CRON) error (grandchild #cmdPid failed with exit status N)`, from the cron process that forked the job. */
  function failed(at: number, pid: number, cmdPid: number, exitCode: number, host = 'web1'): AuditEvent {
    return cron(at, { type: 'cron.failed', host, pid, cmd_pid: cmdPid, exit_code: exitCode });
  }

  it('fails the run whose CMD line has the grandchild pid, in its batch or a later one, once, and its job still logs no end', async () => {
    // Prepare: day 1 fails in one batch (exit 2), day 2 succeeds, day 3 fails in the next batch (exit 1).
    const store = new MemoryAuditStore();
    const batches = [
      [cmd(T0, job, 22765), cmd(T0 + 1000, 'other', 22767), failed(T0 + 3000, 22764, 22765, 2), cmd(T0 + DAY, job, 23765)],
      [cmd(T0 + 2 * DAY, job, 24765)],
      [failed(T0 + 2 * DAY + 5000, 24764, 24765, 1)],
    ];
    // Act
    const findings: Finding[] = [];
    for (const batch of batches) findings.push(...(await processBatch(batch, REDUCERS, store, ctx)).findings);
    const again = await processBatch(batches[2], REDUCERS, store, ctx);
    const state = (await store.load([`job#${job}`])).get(`job#${job}`)?.state as { endsLogged: boolean; failures: number; open: unknown[] };
    // Assess
    expect(brief(findings)).toEqual([`run-failed ${job} 2026-10-05T02:17:04Z`, `run-failed ${job} 2026-10-07T02:17:06Z`]);
    expect(findings.map((f) => f.evidence)).toMatchObject([{ exit_code: 2 }, { exit_code: 1 }]);
    expect(findings.map((f) => f.run_id)).toEqual([`web1:22765:${new Date(T0).toISOString()}`, `web1:24765:${new Date(T0 + 2 * DAY).toISOString()}`]);
    expect(again.findings).toEqual([]);
    expect(state).toMatchObject({ endsLogged: false, failures: 2 });
    expect(state.open).toHaveLength(1);
  });

  it('fails no run when no CMD line of the grandchild pid is known on its host', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    // Act
    const result = await processBatch([cmd(T0, job, 22765, 'web2'), failed(T0 + 3000, 22764, 22765, 2), failed(T0 + 4000, 22767, 22768, 2)], REDUCERS, store, ctx);
    // Assess
    expect(result.findings).toEqual([]);
  });

  it('fails no run of a CMD line older than a day (or its longer max_runtime_minutes): the pid was reused, in its batch or a later one', async () => {
    // Prepare: pid 20954 ran backup.sh on day 1; the failure of a later process with that pid, whose CMD line is missing, comes on day 3.
    // 'long.sh' may run 48 hours: its failure 47 hours after its CMD line is its own.
    const config = { ...DEFAULT_CONFIG, jobs: { 'long.sh': { max_runtime_minutes: 48 * 60 } } };
    const bounded: ReduceContext = { config, clock: { now: () => T0 + 3 * DAY } };
    const oneBatch = new MemoryAuditStore();
    const twoBatches = new MemoryAuditStore();
    const late = failed(T0 + 2 * DAY + 8 * 60 * MINUTE, 20953, 20954, 1);
    const longLate = failed(T0 + 47 * 60 * MINUTE, 21999, 22000, 1);
    const starts = [cmd(T0, job, 20954), cmd(T0, 'long.sh', 22000)];
    // Act
    const inBatch = await processBatch([...starts, longLate, late], REDUCERS, oneBatch, bounded);
    await processBatch(starts, REDUCERS, twoBatches, bounded);
    const later = await processBatch([longLate, late], REDUCERS, twoBatches, bounded);
    // Assess
    expect(brief(inBatch.findings)).toEqual(['run-failed long.sh 2026-10-07T01:17:01Z']);
    expect(brief(later.findings)).toEqual(['run-failed long.sh 2026-10-07T01:17:01Z']);
  });

  it('fails the run of a job that overran a short max_runtime_minutes: a short runtime is no sign its pid was reused', async () => {
    // Prepare: backup.sh may run 30 minutes; its run from 02:17 fails at 03:02, 45 minutes on, in a later delivery.
    const config = { ...DEFAULT_CONFIG, jobs: { [job]: { max_runtime_minutes: 30 } } };
    const bounded: ReduceContext = { config, clock: { now: () => T0 + DAY } };
    const store = new MemoryAuditStore();
    // Act
    await processBatch([cmd(T0, job, 20954)], REDUCERS, store, bounded);
    const result = await processBatch([failed(T0 + 45 * MINUTE, 20953, 20954, 1)], REDUCERS, store, bounded);
    // Assess
    expect(brief(result.findings)).toEqual([`run-failed ${job} 2026-10-05T03:02:01Z`]);
  });

  it('fails the run of the latest CMD line with the pid, not an older one whose pid was reused', async () => {
    // Prepare: old.sh ran as pid 20954 at 02:17, backup.sh as pid 20954 again at 04:17.
    const store = new MemoryAuditStore();
    // Act
    await processBatch([cmd(T0, 'old.sh', 20954)], REDUCERS, store, ctx);
    const result = await processBatch([cmd(T0 + 120 * MINUTE, job, 20954), failed(T0 + 120 * MINUTE + 5000, 20953, 20954, 1)], REDUCERS, store, ctx);
    // Assess
    expect(brief(result.findings)).toEqual([`run-failed ${job} 2026-10-05T04:17:06Z`]);
  });

  it('takes no run as healthy while its failure can still come: a job whose every run fails after the next starts is escalated, never recovered', async () => {
    // Prepare: a run every 5 minutes, each failing 22 minutes after its CMD line; one delivery every 5 minutes, as ingest gives them.
    const store = new MemoryAuditStore();
    const messages: AlertMessage[] = [];
    const sink = { publish: async () => {}, send: async (m: AlertMessage) => void messages.push(m) };
    const starts = Array.from({ length: 14 }, (_, i) => ({ at: T0 + i * 5 * MINUTE, pid: 30000 + i * 10 }));
    const lines = starts.flatMap(({ at, pid }) => [cmd(at, job, pid), failed(at + 22 * MINUTE, pid - 1, pid, 1)]).sort((a, b) => a.at - b.at);
    // Act
    for (let t = T0; t <= starts.at(-1)!.at + 25 * MINUTE; t += 5 * MINUTE) {
      const batch = lines.filter((l) => l.at >= t && l.at < t + 5 * MINUTE);
      const clock = { now: () => t + 5 * MINUTE };
      const result = await processBatch(batch, REDUCERS, store, { config: DEFAULT_CONFIG, clock });
      await deliverAlerts(result.findings, store, sink, clock, { config: DEFAULT_CONFIG, records: result.records, drainLimit: 0 });
    }
    // Assess: the first failure, then the 3rd in a row escalated; no recovery or flapping notice, as no run succeeded.
    expect(messages.map((m) => m.kind)).toEqual(['finding', 'escalation']);
  });

  it('takes the run of exactly a day before as healthy at the next CMD line (cron starts come at the same second), leaving the sweep nothing to write', async () => {
    // Prepare: daily runs at the same second each day, CMD lines only, one delivery a day.
    const store = new MemoryAuditStore();
    const healthyAt: string[][] = [];
    // Act
    for (let d = 0; d < 3; d++) {
      const at = T0 + d * DAY;
      const result = await processBatch([cmd(at, job, 20000 + d * 100)], REDUCERS, store, { config: DEFAULT_CONFIG, clock: { now: () => at + 10_000 } });
      healthyAt.push((result.records ?? []).filter((r) => r.status === 'ok').map((r) => r.ts));
    }
    await runSweep({ store, sink: { publish: async () => {}, send: async () => {} }, config: DEFAULT_CONFIG, clock: { now: () => T0 + 2 * DAY + 60 * MINUTE } });
    // Assess: each start judges the previous day's run; the sweep an hour after day 3's finds none left to judge (healthyBefore as day 3's start left it).
    expect(healthyAt).toEqual([[], [isoTime(T0)], [isoTime(T0 + DAY)]]);
    expect((await store.load([`job#${job}`])).get(`job#${job}`)?.state).toMatchObject({ healthyBefore: T0 + DAY + MINUTE });
  });

  it('takes a run as healthy at the sweep once its failure window is over, without waiting for a later start: the recovery notice comes from the sweep', async () => {
    // Prepare: daily runs; day 1 fails, days 2 to 4 succeed (CMD lines only), one delivery a day; no line after day 4's.
    const store = new MemoryAuditStore();
    const messages: AlertMessage[] = [];
    const sink = { publish: async () => {}, send: async (m: AlertMessage) => void messages.push(m) };
    for (let d = 0; d < 4; d++) {
      const at = T0 + d * DAY;
      const pid = 20000 + d * 100;
      const clock = { now: () => at + 10_000 };
      const result = await processBatch(d === 0 ? [cmd(at, job, pid), failed(at + 2000, pid - 1, pid, 2)] : [cmd(at, job, pid)], REDUCERS, store, { config: DEFAULT_CONFIG, clock });
      await deliverAlerts(result.findings, store, sink, clock, { config: DEFAULT_CONFIG, records: result.records, drainLimit: 0 });
    }
    // Act: the sweeps a day after day 3's and day 4's runs
    await runSweep({ store, sink, config: DEFAULT_CONFIG, clock: { now: () => T0 + 3 * DAY + 60 * MINUTE } });
    const before = messages.length;
    await runSweep({ store, sink, config: DEFAULT_CONFIG, clock: { now: () => T0 + 4 * DAY + 60 * MINUTE } });
    await runSweep({ store, sink, config: DEFAULT_CONFIG, clock: { now: () => T0 + 4 * DAY + 65 * MINUTE } });
    // Assess: the failure, then the recovery notice from the sweep that found day 4's run the 3rd healthy one, once.
    expect(before).toBe(1);
    expect(messages.map((m) => m.kind)).toEqual(['finding', 'recovery']);
  });

  it("takes a run with no failure line as healthy at its job's next start: no escalation over healthy runs, and a recovery notice after three", async () => {
    // Prepare: daily runs; days 1, 3 and 5 fail, the runs between and days 6 to 10 succeed (CMD lines only), one delivery a day.
    const store = new MemoryAuditStore();
    const messages: AlertMessage[] = [];
    const sink = { publish: async () => {}, send: async (m: AlertMessage) => void messages.push(m) };
    // Act
    for (let d = 0; d < 10; d++) {
      const at = T0 + d * DAY;
      const pid = 20000 + d * 100;
      const batch = d % 2 === 0 && d <= 4 ? [cmd(at, job, pid), failed(at + 2000, pid - 1, pid, 2)] : [cmd(at, job, pid)];
      const clock = { now: () => at + 10_000 };
      const result = await processBatch(batch, REDUCERS, store, { config: DEFAULT_CONFIG, clock });
      await deliverAlerts(result.findings, store, sink, clock, { config: DEFAULT_CONFIG, records: result.records, drainLimit: 0 });
    }
    // Assess: three alerts, none escalated (a healthy run came between each); the recovery notice with day 10's start, which found day 8's run,
    // past its 24 h failure window, the 3rd healthy one after day 5's failure (day 4's run, judged after that failure, does not count).
    expect(messages.map((m) => `${m.kind} ${m.severity}`)).toEqual(['finding high', 'finding high', 'finding high', 'recovery high']);
    expect(messages.map((m) => m.findings[0]?.ts.slice(0, 10))).toEqual(['2026-10-05', '2026-10-07', '2026-10-09', undefined]);
  });

  it('takes a run of a job with max_runtime_minutes as healthy once that runtime is over: the recovery notice comes within the hour, not a day late', async () => {
    // Prepare: hourly runs of a job that may run 10 minutes; the first fails, the next three succeed (CMD lines only), one delivery an hour.
    const config = { ...DEFAULT_CONFIG, jobs: { [job]: { max_runtime_minutes: 10 } } };
    const store = new MemoryAuditStore();
    const messages: AlertMessage[] = [];
    const sink = { publish: async () => {}, send: async (m: AlertMessage) => void messages.push(m) };
    for (let h = 0; h < 4; h++) {
      const at = T0 + h * 60 * MINUTE;
      const pid = 20000 + h * 100;
      const clock = { now: () => at + 10_000 };
      const result = await processBatch(h === 0 ? [cmd(at, job, pid), failed(at + 2000, pid - 1, pid, 2)] : [cmd(at, job, pid)], REDUCERS, store, { config, clock });
      await deliverAlerts(result.findings, store, sink, clock, { config, records: result.records, drainLimit: 0 });
    }
    // Act: the sweep 30 minutes after the 4th run's CMD line (its 10 minutes, and the sweep's 15 minutes for lines on their way, are over).
    await runSweep({ store, sink, config, clock: { now: () => T0 + 3 * 60 * MINUTE + 30 * MINUTE } });
    // Assess: the failure, then the recovery notice from that sweep, which found the 4th run the 3rd healthy one.
    expect(messages.map((m) => m.kind)).toEqual(['finding', 'recovery']);
  });

  it('takes the runs of a job starting every 5 minutes as healthy, though more than 50 start in a day: a failure is followed by a recovery notice', async () => {
    // Prepare: a run every 5 minutes for two days (no max_runtime_minutes), CMD lines only, one delivery an hour; the run at 24 h fails.
    const store = new MemoryAuditStore();
    const messages: AlertMessage[] = [];
    const sink = { publish: async () => {}, send: async (m: AlertMessage) => void messages.push(m) };
    const failing = 288;
    const lines = Array.from({ length: 576 }, (_, i) => {
      const at = T0 + i * 5 * MINUTE;
      const pid = 30000 + i * 10;
      return i === failing ? [cmd(at, job, pid), failed(at + 20_000, pid - 1, pid, 3)] : [cmd(at, job, pid)];
    }).flat();
    // Act
    for (let t = T0; t < T0 + 2 * DAY; t += 60 * MINUTE) {
      const clock = { now: () => t + 60 * MINUTE };
      const result = await processBatch(lines.filter((l) => l.at >= t && l.at < t + 60 * MINUTE), REDUCERS, store, { config: DEFAULT_CONFIG, clock });
      await deliverAlerts(result.findings, store, sink, clock, { config: DEFAULT_CONFIG, records: result.records, drainLimit: 0 });
    }
    // Assess: the failure, then the recovery notice (its runs after it judged healthy), and no escalation.
    expect(messages.map((m) => m.kind)).toEqual(['finding', 'recovery']);
  });
});
