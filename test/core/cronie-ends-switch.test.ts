import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { parseConfigText } from '../../lambdas/config.ts';
import { type JobState, MAX_HOSTS, summarizeJobs } from '../../lambdas/core/job-reducer.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { buildCoverage } from '../../lambdas/core/report/coverage.ts';
import { monthSpan } from '../../lambdas/core/report/month.ts';
import { startsBeforeEndsIn, stateFacts } from '../../lambdas/core/report/subjects.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { eventsOf, parseFile } from '../parse/helpers.ts';

const JOB = '/opt/etl/load.sh';
const config = parseConfigText(`jobs:\n  ${JOB}:\n    schedule: "0 * * * *"\n    max_runtime_minutes: 60\n`, 'c.yaml');
const noSink = { publish: async () => {}, send: async () => {} };

const HOUR = 3_600_000;
/** 2026-11-20T00:00:00Z: hour 0 of `hourly`. */
const NOV_20 = Date.parse('2026-11-20T00:00:00Z');

/** cronie's lines of the hourly run at `hour` from 2026-11-20 00:00 (24 and on: the days after), its end logged (CMDEND) when `ended`. */
function hourly(hour: number, ended: boolean): string[] {
  const at = new Date(NOV_20 + hour * HOUR);
  const stamp = `Nov ${String(at.getUTCDate()).padStart(2, ' ')} ${String(at.getUTCHours()).padStart(2, '0')}`;
  const pid = 2000 + hour;
  const lines = [`${stamp}:00:01 rhel1 CROND[${pid}]: (root) CMD (${JOB})`, `${stamp}:00:05 rhel1 CROND[${pid}]: (root) CMDOUT (loaded 100 rows)`];
  return ended ? [...lines, `${stamp}:02:01 rhel1 CROND[${pid}]: (root) CMDEND (${JOB})`] : lines.slice(0, 1);
}

function parsed(lines: readonly string[]) {
  return eventsOf(parseFile('/var/log/cron', lines, { year: 2026 }));
}

/** A store holding a job's CMD-only history (10:00 to 15:00), then its runs from 16:00 on logging CMDEND (cronie -s turned on). */
async function switchedStore(): Promise<MemoryAuditStore> {
  const store = new MemoryAuditStore();
  const before = [10, 11, 12, 13, 14, 15].flatMap((h) => hourly(h, false));
  await processBatch(parsed(before), REDUCERS, store, { config, clock: { now: () => Date.parse('2026-11-20T15:05:00Z') } });
  await processBatch(parsed([16, 17].flatMap((h) => hourly(h, true))), REDUCERS, store, { config, clock: { now: () => Date.parse('2026-11-20T17:05:00Z') } });
  return store;
}

async function jobState(store: MemoryAuditStore): Promise<JobState> {
  return (await store.load([`job#${JOB}`])).get(`job#${JOB}`)?.state as JobState;
}

describe('a job whose cronie runs start logging CMDEND after a CMD-only history', () => {
  it('reports no run-unfinished for the runs that started before its ends were logged: they are healthy after their window, as before', async () => {
    // Prepare
    const store = await switchedStore();
    // Act: the sweeps an hour and a day later
    const hourLater = await runSweep({ store, sink: noSink, config, clock: { now: () => Date.parse('2026-11-20T18:05:00Z') } });
    const dayLater = await runSweep({ store, sink: noSink, config, clock: { now: () => Date.parse('2026-11-21T17:05:00Z') } });
    // Assess
    expect([...hourLater.findings, ...dayLater.findings].filter((f) => f.detector === 'run-unfinished').map((f) => f.run_id)).toEqual([]);
    expect((await jobState(store)).healthyBefore).toBeGreaterThan(Date.parse('2026-11-20T15:00:01Z'));
  });

  it('still reports a run that started after its ends were logged and logged none', async () => {
    // Prepare
    const store = await switchedStore();
    await processBatch(parsed(hourly(18, false)), REDUCERS, store, { config, clock: { now: () => Date.parse('2026-11-20T18:05:00Z') } });
    // Act
    const sweep = await runSweep({ store, sink: noSink, config, clock: { now: () => Date.parse('2026-11-20T19:30:00Z') } });
    // Assess
    expect(sweep.findings.filter((f) => f.detector === 'run-unfinished').map((f) => [f.detector, f.run_id])).toEqual([['run-unfinished', 'rhel1:2018:2026-11-20T18:00:01.000Z']]);
  });
});

describe('the runs of a job whose cronie runs start logging CMDEND after a CMD-only history', () => {
  it('are counted across the switch: the starts counted before it and the runs recorded after it', async () => {
    // Prepare
    const store = await switchedStore();
    // Act
    const [summary] = await summarizeJobs(store, config);
    const state = await jobState(store);
    // Assess: 6 runs known by their starts (10:00 to 15:00), 2 by their records (16:00, 17:00)
    expect(summary.runs).toBe(8);
    expect([state.runs, stateFacts(state).runs, startsBeforeEndsIn(state, Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-12-01T00:00:00Z'))]).toEqual([2, 8, 6]);
  });
});

describe('the report month of a job whose cronie runs were all counted by their starts, before its runs logged an end', () => {
  it('is seen, with the starts-only reason and its starts: not "no data"', async () => {
    // Prepare: a daily job logging CMD only from 1 to 31 October, then CMD and CMDEND from 1 to 10 November.
    const daily = parseConfigText(`jobs:\n  ${JOB}:\n    schedule: "0 2 * * *"\n`, 'c.yaml');
    const dd = (d: number) => String(d).padStart(2, ' ');
    const october = Array.from({ length: 31 }, (_, i) => `Oct ${dd(i + 1)} 02:00:01 rhel1 CROND[${1001 + i}]: (root) CMD (${JOB})`);
    const november = Array.from({ length: 10 }, (_, i) => [`Nov ${dd(i + 1)} 02:00:01 rhel1 CROND[${2001 + i}]: (root) CMD (${JOB})`, `Nov ${dd(i + 1)} 02:02:01 rhel1 CROND[${2001 + i}]: (root) CMDEND (${JOB})`]).flat();
    const store = new MemoryAuditStore();
    await processBatch(parsed(october), REDUCERS, store, { config: daily, clock: { now: () => Date.parse('2026-10-31T03:00:00Z') } });
    await processBatch(parsed(november), REDUCERS, store, { config: daily, clock: { now: () => Date.parse('2026-11-10T03:00:00Z') } });
    const span = monthSpan('2026-10');
    // Act
    const coverage = buildCoverage({
      span,
      subjects: [{ kind: 'job', name: JOB, state: await jobState(store), runsAfterMonth: 10 }],
      runs: await store.runs(`job#${JOB}`, new Date(span.fromMs).toISOString(), new Date(span.toMs).toISOString()),
      findings: [],
      config: daily,
      now: Date.parse('2026-11-10T12:00:00Z'),
    });
    // Assess
    expect(coverage.rows.find((r) => r.name === JOB)).toMatchObject({
      runsInMonth: 31,
      history: 31,
      status: 'unknown',
      reason: 'only run starts are logged (no ends): 31 starts in October 2026, so output, duration and failure checks cannot run',
    });
  });
});

describe('a job run by two hosts, one logging CMDEND (cronie -s) and one not', () => {
  it('awaits no end of the runs of the host that never logged one, and counts them by their starts', async () => {
    // Prepare: hourly from 10:00 to 21:00 on rhel1 (CMD, CMDEND) and rhel2 (CMD only).
    const lines = Array.from({ length: 12 }, (_, i) => i + 10).flatMap((h) => [...hourly(h, true).slice(0, 1), `Nov 20 ${h}:00:02 rhel2 CROND[${3000 + h}]: (root) CMD (${JOB})`, ...hourly(h, true).slice(1)]);
    const store = new MemoryAuditStore();
    await processBatch(parsed(lines), REDUCERS, store, { config, clock: { now: () => Date.parse('2026-11-20T21:05:00Z') } });
    // Act
    const sweep = await runSweep({ store, sink: noSink, config, clock: { now: () => Date.parse('2026-11-20T23:30:00Z') } });
    const [summary] = await summarizeJobs(store, config);
    const state = await jobState(store);
    // Assess: rhel1's 12 runs by their records, rhel2's 12 by their starts
    expect(sweep.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.run_id)).toEqual([]);
    expect([summary.runs, state.runs, startsBeforeEndsIn(state, Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-12-01T00:00:00Z'))]).toEqual([24, 12, 12]);
  });
});

describe('a host whose cronie runs start logging CMDEND while two of its runs are open', () => {
  it('counts the run open before its first end by its record alone once it ends: each run once', async () => {
    // Prepare: rhel1's run ends first; rhel2's two runs are open together before rhel2's first CMDEND.
    const lines = [
      `Nov 20 10:00:01 rhel1 CROND[100]: (root) CMD (${JOB})`,
      `Nov 20 10:02:01 rhel1 CROND[100]: (root) CMDEND (${JOB})`,
      `Nov 20 10:05:01 rhel2 CROND[200]: (root) CMD (${JOB})`,
      `Nov 20 10:06:01 rhel2 CROND[201]: (root) CMD (${JOB})`,
      `Nov 20 10:07:01 rhel2 CROND[200]: (root) CMDEND (${JOB})`,
      `Nov 20 10:08:01 rhel2 CROND[201]: (root) CMDEND (${JOB})`,
    ];
    const store = new MemoryAuditStore();
    // Act
    await processBatch(parsed(lines), REDUCERS, store, { config, clock: { now: () => Date.parse('2026-11-20T10:10:00Z') } });
    const [summary] = await summarizeJobs(store, config);
    const state = await jobState(store);
    // Assess: 3 runs, all by their records, none left counted by its start
    expect([summary.runs, state.runs, state.runsByStarts, state.startMonths]).toEqual([3, 3, undefined, undefined]);
  });
});

describe('a job whose state was stored before its hosts logging ends were kept (endsLogged, no endsHosts)', () => {
  /** A state of a daily job run on rhel1 and rhel2 (both cronie -s since 1 November, CMD only in October), as stored before endsHosts. */
  async function upgradedStore(novemberFourth: readonly string[]): Promise<MemoryAuditStore> {
    const dd = (d: number) => String(d).padStart(2, ' ');
    const run = (m: string, d: number, host: string, pid: number, ended: boolean) => [`${m} ${dd(d)} 02:00:01 ${host} CROND[${pid}]: (root) CMD (${JOB})`, ...(ended ? [`${m} ${dd(d)} 02:02:01 ${host} CROND[${pid}]: (root) CMDEND (${JOB})`] : [])];
    const lines = [
      ...[1, 2, 3, 4, 5].flatMap((d) => [...run('Oct', d, 'rhel1', 100 + d, false), ...run('Oct', d, 'rhel2', 200 + d, false)]),
      ...[1, 2, 3].flatMap((d) => [...run('Nov', d, 'rhel1', 300 + d, true), ...run('Nov', d, 'rhel2', 400 + d, true)]),
      ...novemberFourth,
    ];
    const store = new MemoryAuditStore();
    await processBatch(parsed(lines), REDUCERS, store, { config: daily, clock: { now: () => Date.parse('2026-11-04T02:01:00Z') } });
    const { state, version } = (await store.load([`job#${JOB}`])).get(`job#${JOB}`)!;
    const { endsHosts: _, ...stored } = state as JobState;
    await store.commit({ key: `job#${JOB}`, expectedVersion: version, state: stored, findings: [], records: [] });
    return store;
  }
  const daily = parseConfigText(`jobs:\n  ${JOB}:\n    schedule: "0 2 * * *"\n    max_runtime_minutes: 60\n`, 'c.yaml');
  const cmd = (host: string, pid: number) => `Nov  4 02:00:01 ${host} CROND[${pid}]: (root) CMD (${JOB})`;
  const cmdEnd = (host: string, pid: number) => `Nov  4 02:02:01 ${host} CROND[${pid}]: (root) CMDEND (${JOB})`;

  it('still awaits the end of the runs of the host whose end it read last after another host logs an end', async () => {
    // Prepare
    const store = await upgradedStore([]);
    await processBatch(parsed([cmd('rhel1', 304), cmd('rhel2', 404), cmdEnd('rhel1', 304)]), REDUCERS, store, { config: daily, clock: { now: () => Date.parse('2026-11-04T02:10:00Z') } });
    // Act
    const sweep = await runSweep({ store, sink: noSink, config: daily, clock: { now: () => Date.parse('2026-11-04T05:00:00Z') } });
    // Assess
    expect(sweep.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.run_id)).toEqual(['rhel2:404:2026-11-04T02:00:01.000Z']);
  });

  it('awaits no end of the runs of a host that never logged one (Debian cron) after another host logs an end', async () => {
    // Prepare: rhel1 logs CMDEND (its end is the last stored), deb1 logs CMD only, on 1 to 3 November.
    const store = await upgradedStore(['Nov  3 02:00:03 deb1 CRON[503]: (root) CMD (' + JOB + ')']);
    const day = (d: number) => [`Nov ${d} 02:00:01 rhel1 CROND[${600 + d}]: (root) CMD (${JOB})`, `Nov ${d} 02:00:02 deb1 CRON[${700 + d}]: (root) CMD (${JOB})`, `Nov ${d} 02:02:01 rhel1 CROND[${600 + d}]: (root) CMDEND (${JOB})`];
    const unfinished: string[] = [];
    // Act: three days read after the upgrade, each swept three hours later
    for (const d of [10, 11, 12]) {
      await processBatch(parsed(day(d)), REDUCERS, store, { config: daily, clock: { now: () => Date.parse(`2026-11-${d}T02:10:00Z`) } });
      const sweep = await runSweep({ store, sink: noSink, config: daily, clock: { now: () => Date.parse(`2026-11-${d}T05:00:00Z`) } });
      unfinished.push(...sweep.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.run_id ?? ''));
    }
    // Assess
    expect(unfinished.filter((id) => id.startsWith('deb1:'))).toEqual([]);
    expect((await jobState(store)).endsHosts).not.toContain('deb1');
  });

  it('counts each run once: the October starts and the November records', async () => {
    // Prepare
    const store = await upgradedStore([cmd('rhel1', 304), cmd('rhel2', 404)]);
    // Act
    await processBatch(parsed([cmdEnd('rhel1', 304), cmdEnd('rhel2', 404)]), REDUCERS, store, { config: daily, clock: { now: () => Date.parse('2026-11-04T02:10:00Z') } });
    const [summary] = await summarizeJobs(store, daily);
    // Assess: 10 starts in October, 8 runs recorded in November
    expect(summary.runs).toBe(18);
  });
});

describe(`a job run by ${MAX_HOSTS} hosts logging CMDEND (as many as are kept) and one host that logs none`, () => {
  it('awaits no end of the runs of the host that logs none, and counts them by their starts', async () => {
    // Prepare: 100 hosts logging CMDEND and 'plain' logging CMD only, at 10:00 and 11:00; one run open at a time per host.
    const lines = [10, 11].flatMap((h) => [
      ...Array.from({ length: MAX_HOSTS }, (_, i) => {
        const host = `node${String(i).padStart(3, '0')}`;
        const at = (s: number) => `${h}:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
        return [`Nov 20 ${at(10 + i * 2)} ${host} CROND[${1000 + i}]: (root) CMD (${JOB})`, `Nov 20 ${at(11 + i * 2)} ${host} CROND[${1000 + i}]: (root) CMDEND (${JOB})`];
      }).flat(),
      `Nov 20 ${h}:00:02 plain CROND[${5000 + h}]: (root) CMD (${JOB})`,
    ]);
    const store = new MemoryAuditStore();
    await processBatch(parsed(lines), REDUCERS, store, { config, clock: { now: () => Date.parse('2026-11-20T11:05:00Z') } });
    // Act
    const sweep = await runSweep({ store, sink: noSink, config, clock: { now: () => Date.parse('2026-11-20T23:30:00Z') } });
    const [summary] = await summarizeJobs(store, config);
    // Assess
    expect(sweep.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.run_id)).toEqual([]);
    expect(summary.runs).toBe((MAX_HOSTS + 1) * 2);
  });
});

describe('a host whose run counted by its start is open when the host joins the hosts logging an end', () => {
  it('awaits no end of that run: it was started by a cronie that logs none', async () => {
    // Prepare: hostA logs CMDEND; hostB's run 200 is counted by its start, then hostB's cronie -s run 300 logs CMDEND.
    const lines = [
      `Nov 20 09:00:01 hostA CROND[100]: (root) CMD (${JOB})`,
      `Nov 20 09:02:01 hostA CROND[100]: (root) CMDEND (${JOB})`,
      `Nov 20 10:00:01 hostB CROND[200]: (root) CMD (${JOB})`,
      `Nov 20 10:30:01 hostB CROND[300]: (root) CMD (${JOB})`,
      `Nov 20 10:31:01 hostB CROND[300]: (root) CMDEND (${JOB})`,
    ];
    const store = new MemoryAuditStore();
    await processBatch(parsed(lines), REDUCERS, store, { config, clock: { now: () => Date.parse('2026-11-20T10:35:00Z') } });
    // Act
    const sweep = await runSweep({ store, sink: noSink, config, clock: { now: () => Date.parse('2026-11-20T13:00:00Z') } });
    const [summary] = await summarizeJobs(store, config);
    // Assess
    expect(sweep.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.run_id)).toEqual([]);
    expect(summary.runs).toBe(3);
  });
});

describe('a cronie host that stops logging CMDEND after it did (cron restarted without -s)', () => {
  /** rhel1's hourly run at `hour` (`hourly`), delivered and swept at half past, its run-unfinished findings' run ids pushed to `into`. */
  async function hourAndSweep(store: MemoryAuditStore, hour: number, ended: boolean, into: string[]): Promise<void> {
    const now = NOV_20 + hour * HOUR + 30 * 60_000;
    await processBatch(parsed(hourly(hour, ended)), REDUCERS, store, { config, clock: { now: () => now } });
    const sweep = await runSweep({ store, sink: noSink, config, clock: { now: () => now } });
    into.push(...sweep.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.run_id!));
  }

  it('reports its first run with no end, then counts its runs by their starts as a host that never logged one; its next CMDEND takes it back', async () => {
    // Prepare: CMDEND at 10:00 and 11:00, then CMD lines only from 12:00 to 19:00; -s back on at 20:00 and 21:00, then 22:00 hangs.
    const store = new MemoryAuditStore();
    const unfinished: string[] = [];
    // Act
    for (let h = 10; h <= 19; h++) await hourAndSweep(store, h, h < 12, unfinished);
    const whileLost = [...unfinished];
    for (let h = 20; h <= 22; h++) await hourAndSweep(store, h, h < 22, unfinished);
    await hourAndSweep(store, 23, true, unfinished);
    // Assess: the 12:00 run alone (the 13:00 run, also past its max runtime at 14:30, showed the host logs no end); the 22:00 run again.
    expect(whileLost).toEqual(['rhel1:2012:2026-11-20T12:00:01.000Z']);
    expect(unfinished.slice(1)).toEqual(['rhel1:2022:2026-11-20T22:00:01.000Z']);
    expect((await jobState(store)).endsHosts).toEqual(['rhel1']);
  });

  it.each([6, 30, 45])('reports a run that hangs %i h after a crashed run (no CMDEND) while the host logs every other end: both runs, the host still awaited', async (gap) => {
    // Prepare: hourly runs from 08:00 on, each logging CMDEND but the 10:00 run (crashed, still open) and the run `gap` hours later (hangs).
    const store = new MemoryAuditStore();
    const unfinished: string[] = [];
    const hang = 10 + gap;
    // Act
    for (let h = 8; h <= hang + 4; h++) await hourAndSweep(store, h, h !== 10 && h !== hang, unfinished);
    // Assess: the two overdue runs are hours apart with ends logged between them: the host did not stop logging ends.
    const hangId = `rhel1:${2000 + hang}:${new Date(NOV_20 + hang * HOUR + 1000).toISOString()}`;
    expect(unfinished).toEqual(['rhel1:2010:2026-11-20T10:00:01.000Z', hangId]);
    expect((await jobState(store)).endsHosts).toEqual(['rhel1']);
  });

  it("takes the job's latest end for its hosts' in a state stored before they were kept: a crashed run before it is not counted, the host restarted without -s after it is", async () => {
    // Prepare: 08:00 and 09:00 logged CMDEND, the state stored without endsHostsEndAt; then 10:00 crashed and 11:00 logged CMDEND (a crash before the end read)
    const store = new MemoryAuditStore();
    const unfinished: string[] = [];
    for (let h = 8; h <= 9; h++) await hourAndSweep(store, h, true, unfinished);
    const { state, version } = (await store.load([`job#${JOB}`])).get(`job#${JOB}`)!;
    const { endsHostsEndAt: _, ...stored } = state as JobState;
    await store.commit({ key: `job#${JOB}`, expectedVersion: version, state: stored, findings: [], records: [] });
    // Act: cronie restarted without -s at 09:30: its runs from 10:00 on log CMD only
    for (let h = 10; h <= 20; h++) await hourAndSweep(store, h, false, unfinished);
    // Assess: the 10:00 run alone, as for a state with the field (b08cce8); the host no longer awaited
    expect(unfinished).toEqual(['rhel1:2010:2026-11-20T10:00:01.000Z']);
    expect((await jobState(store)).endsHosts).toEqual([]);
  });

  it("reports one run when the run going at the restart without -s logs its CMDEND after the new cronie's first CMD (KillMode=process)", async () => {
    // Prepare: 08:00 logged CMDEND; the 09:00 run is still going at the restart (09:30) and logs its CMDEND at 10:10, after 10:00's CMD
    const store = new MemoryAuditStore();
    const unfinished: string[] = [];
    await hourAndSweep(store, 8, true, unfinished);
    await hourAndSweep(store, 9, false, unfinished);
    const lateEnd = `Nov 20 10:10:00 rhel1 CROND[2009]: (root) CMDEND (${JOB})`;
    // Act
    const at1030 = NOV_20 + 10.5 * HOUR;
    await processBatch(parsed([...hourly(10, false), lateEnd]), REDUCERS, store, { config, clock: { now: () => at1030 } });
    const sweep = await runSweep({ store, sink: noSink, config, clock: { now: () => at1030 } });
    unfinished.push(...sweep.findings.filter((f) => f.detector === 'run-unfinished').map((f) => f.run_id!));
    for (let h = 11; h <= 16; h++) await hourAndSweep(store, h, false, unfinished);
    // Assess: the 10:00 run alone: the latest end read is of a run started at 09:00, so 10:00 and 11:00 both show the host logs no end
    expect(unfinished).toEqual(['rhel1:2010:2026-11-20T10:00:01.000Z']);
  });
});
