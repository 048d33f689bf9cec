import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import { type JobState } from '../../lambdas/core/job-reducer.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { processBatch, type ReduceContext, sweepSubjects } from '../../lambdas/core/pipeline.ts';
import { redactorFor } from '../../lambdas/core/redact.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { resolveStartsInBatch, type SystemdHostState, systemdHostKey } from '../../lambdas/core/systemd-host-reducer.ts';
import type { StateStore } from '../../lambdas/ports.ts';

const NOW = Date.parse('2026-10-20T00:00:00Z');
const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => NOW } };
const MINUTE = 60_000;

/** systemd's lines as syslog writes them (year 2026), as the parser reads them. */
function syslogLines(...lines: string[]): AuditEvent[] {
  return lines.flatMap((message, line) => {
    const outcome = parseLine(message, { source: { origin: 'syslog', line }, year: 2026 });
    if (outcome.kind !== 'events') throw new Error(`not a systemd line: ${message}`);
    return outcome.events;
  });
}

/** A day's run of a Type=oneshot timer job in systemd 245's words: `Starting D...`, 42 minutes later `U: Succeeded.` and `Started D.`. */
function oneshot245(day: number, host = 'web1'): { starting: AuditEvent[]; end: AuditEvent[] } {
  const d = String(day).padStart(2, ' ');
  return {
    starting: syslogLines(`Oct ${d} 02:30:00 ${host} systemd[1]: Starting Nightly backup...`),
    end: syslogLines(`Oct ${d} 03:12:00 ${host} systemd[1]: backup.service: Succeeded.`, `Oct ${d} 03:12:00 ${host} systemd[1]: Started Nightly backup.`),
  };
}

const brief = (events: readonly AuditEvent[]) =>
  events.map((e) => {
    const b = e.body as { type: string; job?: string; run_id?: string; description?: string };
    return b.type === 'unit.starting' ? `unit.starting ${b.description}` : `${b.type} ${b.job} ${b.run_id}`;
  });

async function jobState(store: MemoryAuditStore, job: string): Promise<JobState> {
  return (await store.load([`job#${job}`])).get(`job#${job}`)?.state as JobState;
}

describe('systemd host reducer: the unit of an older `Starting D...`', () => {
  it.each([
    ['systemd 245: `U: Succeeded.`, then `Started D.`', 'backup.service: Succeeded.', 'Started Nightly backup.'],
    ['systemd 248+: `U: Deactivated successfully.`, then `Finished D.`', 'backup.service: Deactivated successfully.', 'Finished Nightly backup.'],
  ])('makes a `Starting D` the start of its unit when its run ends in the batch, %s', (_name, succeeded, finished) => {
    // Prepare
    const events = syslogLines(
      'Oct  5 02:30:00 web1 systemd[1]: Starting Nightly backup...',
      `Oct  5 03:12:00 web1 systemd[1]: ${succeeded}`,
      `Oct  5 03:12:00 web1 systemd[1]: ${finished}`,
    );
    // Act
    const enriched = resolveStartsInBatch(events);
    // Assess
    expect(brief(enriched)[0]).toBe('run.start backup.service backup.service@web1@2026-10-05T02:30:00.000Z');
    expect(enriched.slice(1)).toEqual(events.slice(1));
    expect(resolveStartsInBatch(enriched)).toBe(enriched);
  });

  it.each([
    [
      'a simple service: `Started D.` right after its own `Starting`',
      ['Oct  5 02:30:00 web1 systemd[1]: Starting Report mailer...', 'Oct  5 02:30:00 web1 systemd[1]: backup.service: Succeeded.', 'Oct  5 02:30:00 web1 systemd[1]: Starting Other...', 'Oct  5 02:30:00 web1 systemd[1]: Started Report mailer.'],
    ],
    [
      'a unit success on another host',
      ['Oct  5 02:30:00 web1 systemd[1]: Starting Nightly backup...', 'Oct  5 03:12:00 web2 systemd[1]: backup.service: Succeeded.', 'Oct  5 03:12:00 web1 systemd[1]: Started Nightly backup.'],
    ],
    [
      'a success seconds before',
      ['Oct  5 02:30:00 web1 systemd[1]: Starting Nightly backup...', 'Oct  5 03:11:58 web1 systemd[1]: backup.service: Succeeded.', 'Oct  5 03:12:00 web1 systemd[1]: Started Nightly backup.'],
    ],
    [
      'a description that two units end with',
      [
        'Oct  5 02:30:00 web1 systemd[1]: Starting Nightly backup...',
        'Oct  5 03:12:00 web1 systemd[1]: backup.service: Succeeded.',
        'Oct  5 03:12:00 web1 systemd[1]: Started Nightly backup.',
        'Oct  5 04:30:00 web1 systemd[1]: Starting Nightly backup...',
        'Oct  5 04:40:00 web1 systemd[1]: backup-db.service: Succeeded.',
        'Oct  5 04:40:00 web1 systemd[1]: Started Nightly backup.',
      ],
    ],
    ['CentOS 7 (systemd 219): no `U: Succeeded.` line', ['Jul 10 03:00:01 centos7 systemd[1]: Starting Nightly backup...', 'Jul 10 03:42:01 centos7 systemd[1]: Started Nightly backup.']],
  ])('leaves a `Starting D` without a unit when the log does not tie them: %s', (_name, lines) => {
    // Prepare
    const events = syslogLines(...lines);
    // Act
    const enriched = resolveStartsInBatch(events);
    // Assess
    expect(enriched).toBe(events);
  });

  it("ties a long `Starting D` to its unit as the config's redact rules shorten D, in the batch and from the state", async () => {
    // Prepare: a config rule that takes what follows `acct:`; D is over the identifier bound and its 200-character cut falls inside the rule's marker.
    const config = validateConfig({ redact: { patterns: [{ name: 'acct', regex: 'acct:(?<secret>\\S+)' }] } });
    const redacting: ReduceContext = { config, clock: { now: () => NOW } };
    const description = `Billing export ${'x'.repeat(200 - 15 - 1 - 'acct:'.length - 3)} acct:ACME-00042 ${'y'.repeat(200)}`;
    const lines = (day: number) =>
      [`Oct  ${day} 02:30:00 web1 systemd[1]: Starting ${description}...`, `Oct  ${day} 03:12:00 web1 systemd[1]: billing.service: Succeeded.`, `Oct  ${day} 03:12:00 web1 systemd[1]: Started ${description}.`].flatMap(
        (message, line) => {
          const outcome = parseLine(message, { source: { origin: 'syslog', line }, year: 2026, redactor: redactorFor(config) });
          return outcome.kind === 'events' ? outcome.events : [];
        },
      );
    const store = new MemoryAuditStore();
    // Act: day 1 in one batch (enrich), day 2's start alone then its end (resolve from the host's state)
    const first = await processBatch(lines(1), REDUCERS, store, redacting);
    await processBatch(lines(2).slice(0, 1), REDUCERS, store, redacting);
    const second = await processBatch(lines(2).slice(1), REDUCERS, store, redacting);
    // Assess
    expect([...(first.records ?? []), ...(second.records ?? [])].map((r) => [r.subject, r.run_id, r.duration_ms])).toEqual([
      ['billing.service', 'billing.service@web1@2026-10-01T02:30:00.000Z', 42 * MINUTE],
      ['billing.service', 'billing.service@web1@2026-10-02T02:30:00.000Z', 42 * MINUTE],
    ]);
  });

  it('learns the unit from a run whose lines came in two batches, and times the next runs from `Starting`, batch by batch', async () => {
    // Prepare: every line in its own delivery, four days
    const store = new MemoryAuditStore();
    const records = [];
    // Act
    for (const day of [1, 2, 3, 4]) {
      const run = oneshot245(day);
      records.push(...((await processBatch(run.starting, REDUCERS, store, ctx)).records ?? []));
      records.push(...((await processBatch(run.end, REDUCERS, store, ctx)).records ?? []));
    }
    // Assess: the first run's start is not known when it ends (nothing tied D to U yet); the next ones are
    expect(records.map((r) => [r.subject, r.run_id, r.duration_ms])).toEqual([
      ['backup.service', 'backup.service@web1@2026-10-01T03:12:00Z', undefined],
      ['backup.service', 'backup.service@web1@2026-10-02T02:30:00.000Z', 42 * MINUTE],
      ['backup.service', 'backup.service@web1@2026-10-03T02:30:00.000Z', 42 * MINUTE],
      ['backup.service', 'backup.service@web1@2026-10-04T02:30:00.000Z', 42 * MINUTE],
    ]);
    const state = await jobState(store, 'backup.service');
    expect(state.open).toEqual([]);
    expect(state.starts).toEqual([Date.parse('2026-10-01T03:12:00Z'), Date.parse('2026-10-02T02:30:00Z'), Date.parse('2026-10-03T02:30:00Z'), Date.parse('2026-10-04T02:30:00Z')]);
    const host = (await store.load([systemdHostKey('web1')])).get(systemdHostKey('web1'))?.state as SystemdHostState;
    expect(host.units).toEqual([{ description: 'Nightly backup', unit: 'backup.service', at: Date.parse('2026-10-04T03:12:00Z'), lastEndAt: Date.parse('2026-10-04T03:12:00Z') }]);
    expect(host.pending).toEqual([]);
  });

  it('opens no run for a `Starting D` delivered again after its run ended, and leaves none open after a run that failed in its batch', async () => {
    // Prepare: two days learn the unit; day 3's Starting comes again after its end; day 4 fails within one delivery
    const store = new MemoryAuditStore();
    for (const day of [1, 2]) {
      const run = oneshot245(day);
      await processBatch([...run.starting, ...run.end], REDUCERS, store, ctx);
    }
    const third = oneshot245(3);
    await processBatch(third.starting, REDUCERS, store, ctx);
    await processBatch(third.end, REDUCERS, store, ctx);
    const failing = syslogLines(
      'Oct  4 02:30:00 web1 systemd[1]: Starting Nightly backup...',
      'Oct  4 02:30:07 web1 systemd[1]: backup.service: Main process exited, code=exited, status=2/INVALIDARGUMENT',
      "Oct  4 02:30:07 web1 systemd[1]: backup.service: Failed with result 'exit-code'.",
      'Oct  4 02:30:07 web1 systemd[1]: Failed to start Nightly backup.',
    );
    // Act
    const again = await processBatch(third.starting, REDUCERS, store, ctx);
    const failed = await processBatch(failing, REDUCERS, store, ctx);
    const failedAgain = await processBatch(failing, REDUCERS, store, ctx);
    // Assess
    expect(again.records ?? []).toEqual([]);
    expect(failed.findings.map((f) => f.detector)).toEqual(['run-failed']);
    expect(failedAgain.findings).toEqual([]);
    const state = await jobState(store, 'backup.service');
    expect(state.open).toEqual([]);
    expect(state.runs).toBe(4);
    expect(state.durations).toEqual([42 * MINUTE, 42 * MINUTE, 42 * MINUTE]);
  });

  it.each([
    ['one delivery a day', [[0, 1], [2], [3, 4, 5, 6]]],
    ['the failing run split between its `Starting` and its failure', [[0, 1], [2], [3], [4, 5, 6]]],
    ['every line in its own delivery', [[0], [1], [2], [3], [4], [5], [6]]],
    ['all four days in one delivery', [[0, 1, 2, 3, 4, 5, 6]]],
    ['the failing run delivered twice', [[0, 1], [2], [3, 4, 5, 6], [3, 4, 5, 6]]],
  ])('times a failed run from its `Starting D` and leaves the run before it that never ended open, however its lines are delivered: %s', async (_name, deliveries) => {
    // Prepare: days 1 and 2 tie the description to its unit; day 3's run never ends (a reboot); day 4's fails after 7 s
    const store = new MemoryAuditStore();
    const learn = [oneshot245(1), oneshot245(2)].map((run) => [...run.starting, ...run.end]);
    const lines = [
      ...learn,
      oneshot245(3).starting,
      syslogLines('Oct  4 02:30:00 web1 systemd[1]: Starting Nightly backup...'),
      syslogLines('Oct  4 02:30:07 web1 systemd[1]: backup.service: Main process exited, code=exited, status=2/INVALIDARGUMENT'),
      syslogLines("Oct  4 02:30:07 web1 systemd[1]: backup.service: Failed with result 'exit-code'."),
      syslogLines('Oct  4 02:30:07 web1 systemd[1]: Failed to start Nightly backup.'),
    ];
    const findings = [];
    // Act
    for (const picked of deliveries) findings.push(...(await processBatch(picked.flatMap((i) => lines[i]), REDUCERS, store, ctx)).findings);
    findings.push(...(await sweepSubjects(REDUCERS, store, ctx)).findings);
    // Assess
    expect(findings.map((f) => [f.detector, f.run_id, f.evidence?.duration_ms])).toEqual([
      ['run-failed', 'backup.service@web1@2026-10-04T02:30:00.000Z', 7_000],
      ['run-unfinished', 'backup.service@web1@2026-10-03T02:30:00.000Z', undefined],
    ]);
    const state = await jobState(store, 'backup.service');
    expect(state.open.map((r) => r.run_id)).toEqual(['backup.service@web1@2026-10-03T02:30:00.000Z']);
    expect(state.durations).toEqual([42 * MINUTE, 42 * MINUTE]);
  });

  it.each([
    ['one delivery', [[0, 1, 2]]],
    ['the same delivery twice', [[0, 1, 2], [0, 1, 2]]],
    ['the first two lines, then the third', [[0, 1], [2]]],
    ['one line per delivery', [[0], [1], [2]]],
    ['the first two lines, then all three again (a crash mid-batch, a scan --store over the grown log)', [[0, 1], [0, 1, 2]]],
    ['the end first, then all three (lines out of order, a backfill over live ingest)', [[1, 2], [0, 1, 2]]],
  ])('counts a first run once and leaves it closed, however its lines are delivered: %s', async (_name, deliveries) => {
    // Prepare: the first run on a host of a 40-minute job, in systemd 245's words
    const store = new MemoryAuditStore();
    const lines = syslogLines(
      'Oct  5 02:30:00 db1 systemd[1]: Starting Nightly backup...',
      'Oct  5 03:10:00 db1 systemd[1]: backup.service: Succeeded.',
      'Oct  5 03:10:00 db1 systemd[1]: Finished Nightly backup.',
    );
    // Act
    for (const picked of deliveries) await processBatch(picked.map((i) => lines[i]), REDUCERS, store, ctx);
    const swept = await sweepSubjects(REDUCERS, store, ctx);
    // Assess
    expect(swept.findings.map((f) => `${f.detector} ${f.subject}`)).toEqual([]);
    const state = await jobState(store, 'backup.service');
    expect(state.open).toEqual([]);
    expect(state.runs).toBe(1);
  });

  it('still reports a run that never ends after a first run whose delivery was cut then delivered again whole', async () => {
    // Prepare: day 5's run cut after `U: Succeeded.`, then delivered whole; day 6's run starts and never ends
    const store = new MemoryAuditStore();
    const day5 = syslogLines(
      'Oct  5 02:30:00 db1 systemd[1]: Starting Nightly backup...',
      'Oct  5 03:10:00 db1 systemd[1]: backup.service: Succeeded.',
      'Oct  5 03:10:00 db1 systemd[1]: Finished Nightly backup.',
    );
    await processBatch(day5.slice(0, 2), REDUCERS, store, ctx);
    await processBatch(day5, REDUCERS, store, ctx);
    // Act
    await processBatch(syslogLines('Oct  6 02:30:00 db1 systemd[1]: Starting Nightly backup...'), REDUCERS, store, ctx);
    const swept = await sweepSubjects(REDUCERS, store, ctx);
    // Assess
    expect(swept.findings.map((f) => `${f.detector} ${f.subject} ${f.run_id}`)).toEqual(['run-unfinished backup.service backup.service@db1@2026-10-06T02:30:00.000Z']);
  });

  it('keeps what each host taught apart: the same description on another host stays without a unit', async () => {
    // Prepare: web1 learns; web2's first run starts in a delivery of its own
    const store = new MemoryAuditStore();
    const web1 = oneshot245(1, 'web1');
    await processBatch([...web1.starting, ...web1.end], REDUCERS, store, ctx);
    const web2 = oneshot245(2, 'web2');
    // Act
    await processBatch(web2.starting, REDUCERS, store, ctx);
    // Assess
    expect((await jobState(store, 'backup.service')).open).toEqual([]);
  });
});

describe('systemd host reducer: a batch whose host state another invocation changes between its read and its write', () => {
  /** The store as seen by an invocation that another one overtakes: right after its first read, the other's batch is processed and committed whole. */
  function overtakenAfterRead(store: MemoryAuditStore, other: readonly AuditEvent[]): StateStore {
    let overtaken = false;
    return {
      async load(keys) {
        const read = await store.load(keys);
        if (!overtaken) {
          overtaken = true;
          await processBatch(other, REDUCERS, store, ctx);
        }
        return read;
      },
      commit: (change) => store.commit(change),
    };
  }

  /** What the job's run was judged and kept as, after the sweep. */
  async function verdict(store: MemoryAuditStore) {
    await sweepSubjects(REDUCERS, store, ctx);
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    const job = await jobState(store, 'backup.service');
    return { findings: stored.map((f) => [f.detector, f.run_id, f.evidence?.duration_ms]), runs: job.runs, open: job.open, durations: job.durations, starts: job.starts };
  }

  const failing = syslogLines(
    'Oct  4 02:30:00 web1 systemd[1]: Starting Nightly backup...',
    "Oct  4 02:30:07 web1 systemd[1]: backup.service: Failed with result 'exit-code'.",
    'Oct  4 02:30:07 web1 systemd[1]: Failed to start Nightly backup.',
  );
  const whole = (day: number) => [...oneshot245(day).starting, ...oneshot245(day).end];

  it.each([
    ['the other teaches that D is U (the start read unresolved)', [], [...whole(1), ...whole(2)], ['run-failed', 'backup.service@web1@2026-10-04T02:30:07Z', undefined]],
    [
      'the other ties D to a second unit (the start read resolved)',
      [whole(1), whole(2)],
      syslogLines('Oct  3 04:30:00 web1 systemd[1]: Starting Nightly backup...', 'Oct  3 04:40:00 web1 systemd[1]: backup-db.service: Succeeded.', 'Oct  3 04:40:00 web1 systemd[1]: Started Nightly backup.'),
      ['run-failed', 'backup.service@web1@2026-10-04T02:30:00.000Z', 7_000],
    ],
  ])('ends as if it had been committed before the other, whose lines it could not know: %s', async (_name, before, other, judged) => {
    // Prepare: what both stores hold before; one batch overtaken by the other, one committed before the other
    const raced = new MemoryAuditStore();
    const inOrder = new MemoryAuditStore();
    for (const batch of before) {
      await processBatch(batch, REDUCERS, raced, ctx);
      await processBatch(batch, REDUCERS, inOrder, ctx);
    }
    await processBatch(failing, REDUCERS, inOrder, ctx);
    await processBatch(other, REDUCERS, inOrder, ctx);
    // Act
    const result = await processBatch(failing, REDUCERS, overtakenAfterRead(raced, other), ctx);
    // Assess
    expect(result.conflicts).toBeGreaterThan(0);
    const expected = await verdict(inOrder);
    expect(expected.findings).toEqual([judged]);
    expect(expected.open).toEqual([]);
    expect(await verdict(raced)).toEqual(expected);
  });
});
