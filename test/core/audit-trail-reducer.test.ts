import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import { MAX_STATE_ITEM_BYTES, stateItemBytes } from '../../lambdas/adapters/dynamodb-store.ts';
import {
  AUDIT_GRACE_MS,
  type AuditTrailState,
  auditTrailReducer,
  initialAuditTrailState,
  MAX_PENDING_AUDIT_RUNS,
  MAX_RUNNING_AUDIT_RUNS,
} from '../../lambdas/core/audit-trail-reducer.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import { ev } from '../helpers/events.ts';

const JOB = 'invoice-sync';
const configured = validateConfig({ jobs: { [JOB]: { audit_records_per_run: 1 } } });
const learned = validateConfig({});
/** A clock before every event: judgement then goes by the events' own times. */
const early = { now: () => Date.parse('2026-09-01T00:00:00Z') };
const late = { now: () => Date.parse('2027-01-01T00:00:00Z') };

let line = 0;
const dd = (n: number) => String(n).padStart(2, '0');

/** Run r-<n> on October <n>: start 02:00, `records` audit writes from 02:05, end 02:30 (unless `end` is false). */
function day(n: number, records: number, options: { end?: boolean } = {}): AuditEvent[] {
  const runId = `r-${n}`;
  const events = [ev(`2026-10-${dd(n)}T02:00:00Z`, { type: 'run.start', job: JOB, run_id: runId }, ++line)];
  for (let i = 0; i < records; i++) events.push(ev(`2026-10-${dd(n)}T02:05:${dd(i)}Z`, { type: 'audit.write', job: JOB, run_id: runId, record: { invoice: i } }, ++line));
  if (options.end !== false) events.push(ev(`2026-10-${dd(n)}T02:30:00Z`, { type: 'run.end', job: JOB, run_id: runId, exit_code: 0 }, ++line));
  return events;
}

function days(counts: number[], from = 1): AuditEvent[] {
  return counts.flatMap((c, i) => day(from + i, c));
}

function apply(state: AuditTrailState, events: AuditEvent[], config = configured, clock = early) {
  return auditTrailReducer.apply(state, JOB, events, { config, clock } as ReduceContext);
}

describe('audit-trail reducer', () => {
  it('fires against a configured rate once per drift episode, naming the run it began with', () => {
    // Prepare: one record per run for six days, then none.
    const events = days([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    // Act
    const { state, findings } = apply(initialAuditTrailState(JOB), events, configured, late);
    // Assess: run 7 brings 6 of 7 (86% < 90%); the episode stays open afterwards.
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ detector: 'audit-trail-drift', subject: JOB, subject_kind: 'job', severity: 'high', ts: '2026-10-07T02:30:00Z' });
    expect(findings[0].message).toBe('audit records at 86% of the expected 1 per run (configured) over the last 7 runs: 6 of 7; the drift began with run r-7 (2026-10-07T02:00:00Z)');
    expect(state.episode).toMatchObject({ began_run_id: 'r-7' });
    expect(state.window.map((r) => r.records)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(state).toMatchObject({ runs: 10, records: 6, pending: [] });
  });

  it('closes the episode when completeness recovers, and reports the next drift anew', () => {
    const drifted = apply(initialAuditTrailState(JOB), days([1, 1, 1, 1, 1, 1, 0, 0]), configured, late);
    // Act: 9 good runs bring the last 10 to 9/10 (recovered); then two runs without records again.
    const recovered = apply(drifted.state, days([1, 1, 1, 1, 1, 1, 1, 1, 1], 9), configured, late);
    const again = apply(recovered.state, days([0, 0], 18), configured, late);
    // Assess
    expect(drifted.findings).toHaveLength(1);
    expect(recovered.findings).toEqual([]);
    expect(recovered.state.episode).toBeUndefined();
    expect(again.findings.map((f) => f.evidence.began_run_id)).toEqual(['r-18']);
  });

  it('fires against the rate learned from the first normal runs, and the drift does not become the norm', () => {
    // Prepare: 3 records per run for 8 runs, then 1.
    const events = days([3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1]);
    // Act
    const { state, findings } = apply(initialAuditTrailState(JOB), events, learned, late);
    // Assess: runs 3..12 hold 6×3 + 4×1 = 22 of 30 (73% < 80%), fired at run 12.
    expect(state.learning).toEqual([3, 3, 3, 3, 3, 3, 3, 3]);
    expect(findings).toHaveLength(1);
    expect(findings[0].message).toBe('audit records at 73% of the expected 3 per run (learned from 8 runs) over the last 10 runs: 22 of 30; the drift began with run r-9 (2026-10-09T02:00:00Z)');
    expect(findings[0].evidence).toMatchObject({ basis: 'learned', threshold: 0.8, expected_per_run: 3, began_run_id: 'r-9' });
  });

  it('waits for min_history runs before a learned rate judges', () => {
    const { findings, state } = apply(initialAuditTrailState(JOB), days([3, 3, 3, 0]), learned, late);
    expect(findings).toEqual([]);
    expect(state.learning).toEqual([3, 3, 3, 0]);
  });

  it('does not follow a job that never wrote an audit record and has no configured rate', () => {
    const initial = initialAuditTrailState(JOB);
    const { state, findings } = apply(initial, days([0, 0, 0, 0, 0, 0]), learned, late);
    expect(state).toBe(initial);
    expect(findings).toEqual([]);
  });

  it("ignores a learned job's runs before its first audit record", () => {
    const { state } = apply(initialAuditTrailState(JOB), days([0, 0, 2, 2]), learned, late);
    expect(state.window.map((r) => r.run_id)).toEqual(['r-3', 'r-4']);
  });

  it('counts audit lines that arrive after the run ended, within the grace period and after it', () => {
    // Prepare: the runs end at 02:30; their records come at 02:40 (within 15 min) in a later batch.
    const runsOnly = [1, 2, 3, 4, 5, 6].flatMap((n) => day(n, 0));
    const lateRecords = [1, 2, 3, 4, 5, 6].map((n) => ev(`2026-10-${dd(n)}T02:40:00Z`, { type: 'audit.write', job: JOB, run_id: `r-${n}` }, ++line));
    // Act: the first batch arrives at 02:31 of day 6; the records, then a stray line of run 1 a week later.
    const first = apply(initialAuditTrailState(JOB), runsOnly, configured, { now: () => Date.parse('2026-10-06T02:31:00Z') });
    const second = apply(first.state, lateRecords.slice(5), configured, { now: () => Date.parse('2026-10-06T02:41:00Z') });
    // Runs 1–5 were judged in the first batch (a day later each); they fired with 0 of 5.
    // Assess
    expect(first.findings).toHaveLength(1);
    expect(first.state.pending.map((r) => r.run_id)).toEqual(['r-6']);
    expect(second.state.pending).toEqual([{ run_id: 'r-6', firstAt: Date.parse('2026-10-06T02:00:00Z'), startAt: Date.parse('2026-10-06T02:00:00Z'), endAt: Date.parse('2026-10-06T02:30:00Z'), records: 1 }]);
    const judged = auditTrailReducer.tick!(second.state, JOB, { config: configured, clock: { now: () => Date.parse('2026-10-06T02:46:00Z') } });
    expect(judged.state.window.map((r) => [r.run_id, r.records])).toContainEqual(['r-6', 1]);
    const straggler = apply(judged.state, lateRecords.slice(0, 1), configured, { now: () => Date.parse('2026-10-13T00:00:00Z') });
    expect(straggler.state.window.find((r) => r.run_id === 'r-1')?.records).toBe(1);
  });

  it('judges a run that logs no end when a later run has started and the grace passed', () => {
    // Prepare
    const events = [...day(1, 1, { end: false }), ...day(2, 1, { end: false })];
    const seen = apply(initialAuditTrailState(JOB), events, configured, early);
    // Act: at 02:15 of day 2, 15 minutes after run 2 started.
    const { state } = auditTrailReducer.tick!(seen.state, JOB, { config: configured, clock: { now: () => Date.parse('2026-10-02T02:15:00Z') } });
    // Assess: not judged at 02:05 (the batch's latest line); judged at 02:15.
    expect(seen.state.window).toEqual([]);
    expect(state.window).toEqual([{ run_id: 'r-1', at: Date.parse('2026-10-01T02:00:00Z'), records: 1 }]);
    expect(state.pending.map((r) => r.run_id)).toEqual(['r-2']);
  });

  it('waits for the end of a run still going when a later run starts, in a job whose runs log ends', () => {
    // Prepare: hourly runs that log start, end and their record at the end; run 3 takes 110 minutes (max runtime 3 h), so runs 4 and 5 start before it ends.
    const slow = validateConfig({ jobs: { [JOB]: { audit_records_per_run: 1, max_runtime_minutes: 180 } } });
    const hour = (h: number) => Date.parse(`2026-10-01T${dd(h)}:00:00Z`);
    const run = (n: number, minutes: number) => [
      ev(hour(n), { type: 'run.start', job: JOB, run_id: `r-${n}` }, ++line),
      ev(hour(n) + (minutes - 1) * 60_000, { type: 'audit.write', job: JOB, run_id: `r-${n}` }, ++line),
      ev(hour(n) + minutes * 60_000, { type: 'run.end', job: JOB, run_id: `r-${n}`, exit_code: 0 }, ++line),
    ];
    const events = [1, 2, 3, 4, 5, 6].flatMap((n) => run(n, n === 3 ? 110 : 30)).sort((a, b) => a.at - b.at);
    const before = events.filter((e) => e.at < hour(4) + 40 * 60_000);
    // Act: the lines up to 04:40 (run 3 has not ended; run 4 started 40 minutes ago), then the rest.
    const first = apply(initialAuditTrailState(JOB), before, slow, { now: () => hour(4) + 40 * 60_000 });
    const rest = apply(first.state, events.slice(before.length), slow, { now: () => hour(8) });
    // Assess: run 3 is still waited for at 04:40, and counted with its record once it ended; no finding.
    expect(first.state.pending.map((r) => r.run_id)).toContain('r-3');
    expect(first.state.window.map((r) => r.run_id)).not.toContain('r-3');
    expect(first.findings).toEqual([]);
    expect(rest.findings).toEqual([]);
    expect(rest.state.window.map((r) => [r.run_id, r.records])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [`r-${n}`, 1]));
  });

  it('judges a run that never logs its end, in a job whose runs log ends, after its max runtime and the grace', () => {
    // Prepare: runs 1 and 2 end after 30 minutes; run 3 starts on day 3 and never ends.
    const events = [...day(1, 1), ...day(2, 1), ...day(3, 0, { end: false })];
    const seen = apply(initialAuditTrailState(JOB), events, configured, early);
    const at = (time: string) => ({ config: configured, clock: { now: () => Date.parse(`2026-10-03T${time}Z`) } }) as ReduceContext;
    // Act: the max runtime is 90 minutes (3× the median 30 minutes), the grace 15 minutes.
    const waiting = auditTrailReducer.tick!(seen.state, JOB, at('03:44:00'));
    const judged = auditTrailReducer.tick!(seen.state, JOB, at('03:45:00'));
    // Assess
    expect(waiting.state.pending.map((r) => r.run_id)).toEqual(['r-3']);
    expect(judged.state.pending).toEqual([]);
    expect(judged.state.window.map((r) => [r.run_id, r.records])).toEqual([['r-1', 1], ['r-2', 1], ['r-3', 0]]);
  });

  it('counts nothing twice when a history longer than the lines it remembers is read again', () => {
    // Prepare: one run writing 2,500 records two seconds apart (more than the 2,000 marks kept; the first
    // 500, forgotten, over an hour before the last), read in batches of 10.
    const start = Date.parse('2026-10-01T02:00:00Z');
    const records = Array.from({ length: 2500 }, (_, i) => ({ ...ev(start + i * 2000, { type: 'audit.write', job: JOB, run_id: 'r-1' }), source: { origin: '/app', logStream: 's', eventId: `ev-${i}` } }));
    let state = initialAuditTrailState(JOB);
    for (let i = 0; i < records.length; i += 10) state = apply(state, records.slice(i, i + 10)).state;
    const live = state;
    // Act: the same lines read again in batches of 50.
    for (let i = 0; i < records.length; i += 50) state = apply(state, records.slice(i, i + 50)).state;
    // Assess
    expect(live.records).toBe(2500);
    expect(state.records).toBe(2500);
    expect(state.pending.map((r) => [r.run_id, r.records])).toEqual([['r-1', 2500]]);
  });

  it('counts every audit line of a job whose hosts\' logs come one after another, though it remembers 2,000', () => {
    // Prepare: run r-1 writes from four worker hosts, 1,000 records each in the same 50 seconds; CloudWatch
    // delivers each host's log stream on its own, one after the other.
    const start = Date.parse('2026-10-01T02:00:00Z');
    const host = (h: number) =>
      Array.from({ length: 1000 }, (_, i) => ({ ...ev(start + h + i * 50, { type: 'audit.write', job: JOB, run_id: 'r-1' }), source: { origin: '/app', logStream: `host${h}`, eventId: `ev-${h}-${i}` } }));

    // Act
    let state = initialAuditTrailState(JOB);
    for (const h of [1, 2, 3, 4]) state = apply(state, host(h)).state;

    // Assess: a later host's lines are new, however many the earlier hosts' deliveries brought.
    expect(state.records).toBe(4000);
  });

  it('does not count a redelivered batch, nor lines seen before, and returns the same state', () => {
    const events = days([2, 2, 2]);
    const once = apply(initialAuditTrailState(JOB), events);
    // Act: the whole batch again; then the lines of run 3 again with a new run 4.
    const again = apply(once.state, events);
    const overlap = apply(once.state, [...events.slice(8), ...day(4, 1)]);
    // Assess
    expect(again.state).toBe(once.state);
    expect(again.findings).toEqual([]);
    expect(overlap.state.records).toBe(7);
    expect([...overlap.state.window, ...overlap.state.pending].map((r) => r.records)).toEqual([2, 2, 2, 1]);
  });

  it('counts audit writes a version before 2026-12-07 stored by their file and line once, then knows them read again rotated (upgrade)', () => {
    // Prepare: three runs of 2 records of app.log, stored by such a version: its marks are each line's fingerprint of then (file, line, time, type).
    const events = days([2, 2, 2]).map((e) => ({ ...e, source: { ...e.source, origin: 'app.log' } }));
    const legacy = (e: AuditEvent) => createHash('sha256').update(`at:${e.source.origin}||${e.source.line}|${e.at}|${e.body.type}`).digest('base64url').slice(0, 16);
    const once = apply(initialAuditTrailState(JOB), events);
    const stored = { ...once.state, seen: events.map(legacy), groups: [] };
    // Act: the same file scanned again by this version, then its rotated copy.
    const again = apply(stored, events);
    const rotated = apply(again.state, events.map((e) => ({ ...e, source: { ...e.source, origin: `${e.source.origin}.1` } })));
    // Assess
    expect(once.state.records).toBe(6);
    expect([again.state.records, rotated.state.records]).toEqual([6, 6]);
    expect([...again.findings, ...rotated.findings]).toEqual([]);
  });

  /** `count` runs r-0.. every `everyMs` from 10:00, 5 s long, the first 5 writing none of their record. */
  function frequentRuns(count: number, everyMs: number): AuditEvent[][] {
    const from = Date.parse('2026-10-05T10:00:00Z');
    return Array.from({ length: count }, (_, i) => {
      const t = from + i * everyMs;
      const body = { job: JOB, run_id: `r-${i}` };
      const events = [ev(t, { type: 'run.start', ...body }, ++line)];
      if (i >= 5) events.push(ev(t + 1000, { type: 'audit.write', ...body }, ++line));
      events.push(ev(t + 5000, { type: 'run.end', ...body, exit_code: 0 }, ++line));
      return events;
    });
  }

  it.each([
    ['60 one-minute runs', 60, 60_000, '2026-10-05T10:04:05Z'],
    ['80 runs 10 s apart, all within the 15-minute wait', 80, 10_000, '2026-10-05T10:00:45Z'],
  ])('judges runs past the bound of pending runs instead of dropping them, whatever the delivery: %s', (_name, count, everyMs, firedAt) => {
    // Prepare: runs r-0..r-4 wrote none of their one record, the others theirs.
    const runs = frequentRuns(count, everyMs);

    // Act: all runs in one delivery, and one delivery per run.
    const whole = apply(initialAuditTrailState(JOB), runs.flat());
    let state = initialAuditTrailState(JOB);
    const perRun = runs.flatMap((events) => {
      const reduced = apply(state, events);
      state = reduced.state;
      return reduced.findings;
    });

    // Assess: the drift is reported once either way, at r-4's end, from r-0; no run is lost; pending stays bounded.
    for (const [findings, final] of [[whole.findings, whole.state], [perRun, state]] as const) {
      expect(findings.map((f) => [f.ts, f.evidence.began_run_id, f.evidence.window_runs])).toEqual([[firedAt, 'r-0', 5]]);
      expect(final.pending.length).toBeLessThanOrEqual(50);
      expect(final.runs + final.pending.length).toBe(count);
    }
    expect(whole.state.window).toEqual(state.window);
  });

  it('keeps waiting for runs still running past the bound of pending runs, and judges them at their end', () => {
    // Prepare: a job starting every minute whose runs last 60 minutes (some 60 running at once) and
    // write their 2 records just before they end; its lines delivered live, one delivery per minute.
    const twoPerRun = validateConfig({ jobs: { [JOB]: { audit_records_per_run: 2 } } });
    const from = Date.parse('2026-10-05T00:00:00Z');
    let state: AuditTrailState = { ...initialAuditTrailState(JOB), endsLogged: true };
    const findings = [];
    let mostPending = 0;

    // Act: 240 runs, then a sweep once all have ended and their grace passed.
    for (let m = 0; m < 300; m++) {
      const now = from + m * 60_000;
      const events = m < 240 ? [ev(now, { type: 'run.start', job: JOB, run_id: `r-${m}` }, ++line)] : [];
      const ended = m - 60;
      if (ended >= 0 && ended < 240) {
        const body = { job: JOB, run_id: `r-${ended}` };
        events.push(ev(now - 2000, { type: 'audit.write', ...body }, ++line), ev(now - 1000, { type: 'audit.write', ...body }, ++line));
        events.push(ev(now, { type: 'run.end', ...body, exit_code: 0 }, ++line));
      }
      const reduced = apply(state, events, twoPerRun, { now: () => now });
      state = reduced.state;
      findings.push(...reduced.findings);
      mostPending = Math.max(mostPending, state.pending.length);
    }
    const swept = auditTrailReducer.tick!(state, JOB, { config: twoPerRun, clock: { now: () => from + 400 * 60_000 } });

    // Assess: no run was judged before its records came; all were judged in the end.
    expect([...findings, ...swept.findings]).toEqual([]);
    expect(mostPending).toBeGreaterThan(MAX_PENDING_AUDIT_RUNS);
    expect([swept.state.runs, swept.state.pending.length]).toEqual([240, 0]);
    expect(swept.state.window.map((r) => r.records)).toEqual(Array(10).fill(2));
  });

  it('lets the oldest runs still running go unjudged past their own bound', () => {
    // Prepare: one ended run, then more runs started a second apart than the bound of runs still running, none ended.
    const long = validateConfig({ jobs: { [JOB]: { audit_records_per_run: 1, max_runtime_minutes: 24 * 60 } } });
    const from = Date.parse('2026-10-05T00:00:00Z');
    const first = [ev(from - 60_000, { type: 'run.start', job: JOB, run_id: 'r-first' }, ++line), ev(from - 59_000, { type: 'audit.write', job: JOB, run_id: 'r-first' }, ++line), ev(from - 58_000, { type: 'run.end', job: JOB, run_id: 'r-first', exit_code: 0 }, ++line)];
    const count = MAX_RUNNING_AUDIT_RUNS + 30;
    const starts = Array.from({ length: count }, (_, i) => ev(from + i * 1000, { type: 'run.start', job: JOB, run_id: `r-${i}` }, ++line));

    // Act
    const { state, findings } = apply(initialAuditTrailState(JOB), [...first, ...starts], long, { now: () => from + count * 1000 });

    // Assess: the ended run is judged at once (more than 50 runs waited for); none of the running
    // runs is judged on its missing records, and the oldest 30 are let go.
    expect(findings).toEqual([]);
    expect([state.runs, state.window.map((r) => [r.run_id, r.records])]).toEqual([1, [['r-first', 1]]]);
    expect(state.pending.map((r) => r.run_id)).toEqual(Array.from({ length: MAX_RUNNING_AUDIT_RUNS }, (_, i) => `r-${i + 30}`));
  });

  it('stays far under the state item limit with as many runs still running as it keeps, of 256-character ids', () => {
    // Prepare: 250 ended runs of 9 records each (more ids judged, lines and deliveries than remembered),
    // then more runs still running than kept, each with a record; run ids of 256 characters that deflate little.
    const long = validateConfig({ jobs: { [JOB]: { audit_records_per_run: 9, max_runtime_minutes: 24 * 60 } } });
    const id = (seed: string) => {
      let out = '';
      for (let h = seed; out.length < 256; ) out += h = createHash('sha256').update(h).digest('base64url');
      return out.slice(0, 256);
    };
    const from = Date.parse('2026-10-05T00:00:00Z');
    let state = initialAuditTrailState(JOB);
    for (let i = 0; i < 250; i++) {
      const t = from + i * 60_000;
      const body = { job: JOB, run_id: id(`ended ${i}`) };
      const records = Array.from({ length: 9 }, (_, k) => ev(t + 1000 + k, { type: 'audit.write', ...body }, ++line));
      state = apply(state, [ev(t, { type: 'run.start', ...body }, ++line), ...records, ev(t + 5000, { type: 'run.end', ...body, exit_code: 0 }, ++line)], long, { now: () => t + 6000 }).state;
    }
    const later = from + 250 * 60_000 + AUDIT_GRACE_MS;
    for (let i = 0; i < MAX_RUNNING_AUDIT_RUNS + 20; i++) {
      const t = later + i * 1000;
      const body = { job: JOB, run_id: id(`running ${i}`) };
      state = apply(state, [ev(t, { type: 'run.start', ...body }, ++line), ev(t + 500, { type: 'audit.write', ...body }, ++line)], long, { now: () => t + 500 }).state;
    }

    // Act
    const bytes = stateItemBytes({ key: `audit#${JOB}`, expectedVersion: 1, state });

    // Assess: as large as it gets; under the limit by a wide margin stored, and even as plain JSON.
    expect([state.pending.length, state.judged.length, state.seen.length, state.groups.length]).toEqual([MAX_RUNNING_AUDIT_RUNS, 200, 2000, 200]);
    expect(state.pending.every((r) => r.run_id.length === 256)).toBe(true);
    expect(bytes).toBeLessThan(MAX_STATE_ITEM_BYTES / 2);
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThan(MAX_STATE_ITEM_BYTES * 0.75);
  });

  it('the sweep judges runs whose grace passed, with no new line', () => {
    const { state } = apply(initialAuditTrailState(JOB), day(1, 0), configured, early);
    const before = auditTrailReducer.tick!(state, JOB, { config: configured, clock: { now: () => Date.parse('2026-10-01T02:40:00Z') } });
    const after = auditTrailReducer.tick!(state, JOB, { config: configured, clock: { now: () => Date.parse('2026-10-01T02:45:00Z') } });
    expect(before.state).toBe(state);
    expect(after.state.window).toEqual([{ run_id: 'r-1', at: Date.parse('2026-10-01T02:00:00Z'), records: 0 }]);
  });
});
