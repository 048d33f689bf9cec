import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import type { AuditEvent, GuardBypass } from '../../lambdas/core/events.ts';
import { findingKey } from '../../lambdas/core/findings.ts';
import { guardReducer, guardStateKey, type GuardState, initialGuardState, tallyBypasses, withBypassCounts } from '../../lambdas/core/guard-reducer.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import { MemoryFindingOutbox } from '../../lambdas/adapters/memory-finding-outbox.ts';
import type { GuardException } from '../../lambdas/ports.ts';
import { exception } from '../detectors/guard-fixtures.ts';
import { ev } from '../helpers/events.ts';

const config = validateConfig({
  exceptions: [
    { id: 'EX-12', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31' },
    { id: 'EX-7', guard: 'pii-redaction', reason: 'migration', owner: 'carol@example.com', expires: '2026-09-30' },
  ],
});
const clock = { now: () => Date.parse('2026-10-20T00:00:00Z') };
const ctx: ReduceContext = { config, clock };

let line = 0;
function bypassAt(at: string, fields: Partial<GuardBypass> = {}): AuditEvent {
  return ev(at, { type: 'guard.bypass', guard: 'pii-redaction', ...fields }, ++line);
}


/** Each exception's total and last bypass, in order, without its months (`byMonth`). */
const totalsOf = (byException: GuardState['byException']) => Object.entries(byException).map(([id, { count, lastAt }]) => [id, { count, lastAt }]);
describe('guard bypass reducer', () => {
  it('counts bypasses per guard and per exception, and judges each against the registry', () => {
    // Prepare: one covered, one under an expired config exception, one without, one unknown.
    const events = [
      bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' }),
      bypassAt('2026-10-15T11:00:00Z', { exception_id: 'EX-7' }),
      bypassAt('2026-10-15T12:00:00Z', { actor: 'dev-bob' }),
      bypassAt('2026-10-15T13:00:00Z', { exception_id: 'EX-99' }),
    ];
    // Act
    const { state, findings, records } = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', events, ctx);
    // Assess
    expect(findings.map((f) => [f.detector, f.ts, f.evidence.exception_id ?? null])).toEqual([
      ['guard-exception-expired', '2026-10-15T11:00:00Z', 'EX-7'],
      ['guard-bypass-unregistered', '2026-10-15T12:00:00Z', null],
      ['guard-bypass-unregistered', '2026-10-15T13:00:00Z', 'EX-99'],
    ]);
    expect(findings.every((f) => f.subject === 'pii-redaction' && f.subject_kind === 'guard' && f.severity === 'high')).toBe(true);
    expect(records).toEqual([]);
    expect(state).toMatchObject({
      bypasses: 4,
      outcomes: { covered: 1, unregistered: 2, expired: 1 },
      withoutException: 1,
      byException: { 'EX-12': { count: 1 }, 'EX-7': { count: 1 }, 'EX-99': { count: 1 } },
      firstAt: Date.parse('2026-10-15T10:00:00Z'),
      lastAt: Date.parse('2026-10-15T13:00:00Z'),
    });
  });

  it('judges against the registry the batch loaded: a renewal there outranks the config', () => {
    const renewed: ReduceContext = { ...ctx, exceptions: new Map([['EX-7', exception({ id: 'EX-7', expires: '2026-11-30', origin: 'config' })]]) };
    const { findings, state } = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [bypassAt('2026-10-15T11:00:00Z', { exception_id: 'EX-7' })], renewed);
    expect(findings).toEqual([]);
    expect(state.outcomes).toEqual({ covered: 1, unregistered: 0, expired: 0 });
  });

  it('does not count a redelivered batch, nor lines seen before in another batch, and returns the same state', () => {
    const events = [bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' }), bypassAt('2026-10-15T12:00:00Z')];
    const once = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', events, ctx);
    // Act
    const again = guardReducer.apply(once.state, 'pii-redaction', events, ctx);
    const overlapping = guardReducer.apply(once.state, 'pii-redaction', [events[1], bypassAt('2026-10-15T14:00:00Z', { exception_id: 'EX-12' })], ctx);
    // Assess
    expect(again.state).toBe(once.state);
    expect(again.findings).toEqual([]);
    expect(overlapping.state.bypasses).toBe(3);
    expect(overlapping.state.byException['EX-12'].count).toBe(2);
    expect(overlapping.findings).toEqual([]);
  });

  it('counts a bypass line read again from a rotated file or at another line once, and two identical bypasses of one second twice', () => {
    // Prepare: app.log's lines; the same read as app.log.1 and from a window starting a line later;
    // the same bypass twice in one second (its source numbers the second line's repeat).
    const events = [bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' }), bypassAt('2026-10-15T12:00:00Z')];
    const moved = (e: AuditEvent, origin: string, line: number, repeat?: number) => ({ ...e, source: { origin, line, ...(repeat ? { repeat } : {}) } });
    const once = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', events.map((e, i) => moved(e, 'app.log', i + 1)), ctx);
    const same = bypassAt('2026-10-15T14:00:00Z', { exception_id: 'EX-12' });
    // Act
    const rotated = guardReducer.apply(once.state, 'pii-redaction', events.map((e, i) => moved(e, 'app.log.1', i + 1)), ctx);
    const window = guardReducer.apply(once.state, 'pii-redaction', [moved(events[1], 'app.log', 1)], ctx);
    const both = guardReducer.apply(once.state, 'pii-redaction', [moved(same, 'app.log', 3), moved(same, 'app.log', 4, 1)], ctx);
    const bothAgain = guardReducer.apply(both.state, 'pii-redaction', [moved(same, 'app.log.1', 1), moved(same, 'app.log.1', 2, 1)], ctx);
    // Assess
    expect(once.state.bypasses).toBe(2);
    expect(rotated.state).toBe(once.state);
    expect(window.state).toBe(once.state);
    expect(both.state.bypasses).toBe(4);
    expect(both.state.byException['EX-12'].count).toBe(3);
    expect(bothAgain.state).toBe(both.state);
  });

  it("knows a file's line by its resolved path and its name as rotation leaves it, keeping per-host files apart", () => {
    // Prepare: one bypass of out/app.log; the same line under names a rotation or another spelling
    // gives it (app.1.log when its source found app.log beside it); the same line in per-host or
    // per-worker files whose names only look rotated.
    const event = bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' });
    const at = (origin: string, rotatedFrom?: string) => ({ ...event, source: { origin, line: 1, ...(rotatedFrom ? { rotatedFrom } : {}) } });
    const once = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [at('out/app.log')], ctx);
    const sameFile = [at('./out/app.log'), at(`${process.cwd()}/out/app.log`), at('out/app.log.2026-12-01_09'), at('out/app.log.2026-12-01_09-30'), at('out/app.log.2026-12-01_09-30-15'), at('out/app.1.log', 'out/app.log'), at('out/app.1.log.gz', './out/app.log'), at('out/app-20261207.log')];
    // Act
    const again = sameFile.map((e) => guardReducer.apply(once.state, 'pii-redaction', [e], ctx).state.bypasses);
    const ips = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [at('remote/10.0.0.1'), at('remote/10.0.0.2')], ctx);
    const workers = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [at('worker.1'), at('worker.2'), at('worker')], ctx);
    const workerLogs = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [at('worker.1.log'), at('worker.2.log'), at('worker.log')], ctx);
    // Assess
    expect(again).toEqual(sameFile.map(() => 1));
    expect(ips.state.bypasses).toBe(2);
    expect(workers.state.bypasses).toBe(3);
    expect(workerLogs.state.bypasses).toBe(3);
  });

  it('knows a line of app.1.log with no app.log beside it when the store remembers it under app.log (rotated in place, logrotate without create)', () => {
    // Prepare: a bypass counted from out/app.log; the file then renamed out/app.1.log before the app wrote a new out/app.log
    const event = bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' });
    const at = (origin: string) => ({ ...event, source: { origin, line: 1 } });
    const once = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [at('out/app.log')], ctx);

    // Act
    const rotated = guardReducer.apply(once.state, 'pii-redaction', [at('out/app.1.log')], ctx);
    const otherWorker = guardReducer.apply(once.state, 'pii-redaction', [{ ...at('out/app.1.log'), at: event.at + 1000 }], ctx);

    // Assess: the same line is not counted again; a line of another time is
    expect(rotated.state.bypasses).toBe(1);
    expect(otherWorker.state.bypasses).toBe(2);
  });

  it('counts a bypass a version before 2026-12-07 stored by its file and line once, then knows it read again rotated (upgrade)', () => {
    // Prepare: one bypass of app.log, stored by such a version under its fingerprint of then (file, line, time, type).
    const event = { ...bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' }), source: { origin: 'app.log', line: 7 } };
    const legacy = createHash('sha256').update(`at:app.log||7|${event.at}|guard.bypass`).digest('base64url').slice(0, 16);
    const stored = { ...initialGuardState('pii-redaction'), bypasses: 1, firstAt: event.at, lastAt: event.at, seen: [legacy], seenAt: [event.at] };
    // Act: app.log scanned again by this version, then its rotated copy app.log.1.
    const again = guardReducer.apply(stored, 'pii-redaction', [event], ctx);
    const rotated = guardReducer.apply(again.state, 'pii-redaction', [{ ...event, source: { origin: 'app.log.1', line: 7 } }], ctx);
    // Assess
    expect(again.state.bypasses).toBe(1);
    expect(again.findings).toEqual([]);
    expect(rotated.state.bypasses).toBe(1);
    expect(rotated.findings).toEqual([]);
  });

  it('counts identical bypasses of one second in two hosts\' files apart, and a file read again rotated once', () => {
    // Prepare: the same bypass line in host1.log and host2.log (a fleet job's hosts log at the same second).
    const event = bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' });
    const inFile = (origin: string) => ({ ...event, source: { origin, line: 1 } });
    // Act
    const hosts = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [inFile('host1.log'), inFile('host2.log')], ctx);
    const rotated = guardReducer.apply(hosts.state, 'pii-redaction', [inFile('host1.log.1'), inFile('host2.log.2.gz')], ctx);
    // Assess
    expect(hosts.state.bypasses).toBe(2);
    expect(rotated.state).toBe(hosts.state);
  });

  it('counts nothing twice when a history longer than the lines it remembers is read again (backfill over an ingested period)', () => {
    // Prepare: 2,500 bypasses a minute apart (more than the 2,000 marks kept), read live in batches of 10.
    const start = Date.parse('2026-10-01T00:00:00Z');
    const events = Array.from({ length: 2500 }, (_, i) => ({ ...bypassAt(new Date(start + i * 60_000).toISOString(), { exception_id: 'EX-12' }), source: { origin: '/app', logStream: 's', eventId: `ev-${i}` } }));
    let state = initialGuardState('pii-redaction');
    for (let i = 0; i < events.length; i += 10) state = guardReducer.apply(state, 'pii-redaction', events.slice(i, i + 10), ctx).state;
    const live = state;
    // Act: the same history read again in batches of 50; then a new line.
    for (let i = 0; i < events.length; i += 50) state = guardReducer.apply(state, 'pii-redaction', events.slice(i, i + 50), ctx).state;
    const reread = state;
    const next = guardReducer.apply(reread, 'pii-redaction', [bypassAt(new Date(start + 2500 * 60_000).toISOString(), { exception_id: 'EX-12' })], ctx).state;
    // Assess
    expect(live.bypasses).toBe(2500);
    expect(reread.bypasses).toBe(2500);
    expect(reread.byException['EX-12'].count).toBe(2500);
    expect(reread.seen).toHaveLength(2000);
    expect(next.bypasses).toBe(2501);
  });

  it('reads a stored state whose marks carry no times, and keeps counting nothing twice', () => {
    // Prepare: a state as stored before the marks' times were kept.
    const events = [bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' }), bypassAt('2026-10-15T12:00:00Z')];
    const { seenAt: _times, ...stored } = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', events, ctx).state;
    // Act: one old line again with a new one.
    const { state } = guardReducer.apply(stored, 'pii-redaction', [events[0], bypassAt('2026-10-15T14:00:00Z')], ctx);
    // Assess
    expect(state.bypasses).toBe(3);
    expect(state.seen).toHaveLength(3);
    expect(state.seenAt).toEqual([0, 0, Date.parse('2026-10-15T14:00:00Z')]);
  });

  it('reports repeats of one kind at most once per alert cooldown, counting those in between', () => {
    // Prepare: 5 unregistered bypasses within an hour, then one 7 hours later (cooldown 360 min).
    const burst = [0, 10, 20, 30, 40].map((m) => bypassAt(`2026-10-15T10:${String(m).padStart(2, '0')}:00Z`));
    const later = bypassAt('2026-10-15T17:00:00Z');
    // Act
    const first = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', burst, ctx);
    const second = guardReducer.apply(first.state, 'pii-redaction', [later], ctx);
    // Assess
    expect(first.findings.map((f) => f.ts)).toEqual(['2026-10-15T10:00:00Z']);
    expect(first.state.outcomes.unregistered).toBe(5);
    expect(second.findings).toHaveLength(1);
    expect(second.findings[0].message).toBe('guard "pii-redaction" bypassed with no exception; 4 more like it since 2026-10-15T10:00:00Z');
    expect(second.findings[0].evidence).toMatchObject({ suppressed_since_last: 4, last_reported_at: '2026-10-15T10:00:00Z' });
  });

  it('bounds its cooldowns and exception counts after each line of a batch, as line by line: an id dropped before it comes again is reported again', () => {
    // Prepare: 1,400 unregistered bypasses naming 700 ids in turn, several a second, ids like numbers and
    // inherited names among them: past 200 cooldowns and 500 ids, each id dropped before it comes again.
    const ids = Array.from({ length: 700 }, (_, i) => (i % 7 === 0 ? String(i) : i === 3 ? '__proto__' : `ex-${i}`));
    const at = (i: number) => Date.parse('2026-10-15T10:00:00Z') + Math.floor(i / 3) * 1_000;
    const lines = Array.from({ length: 1_400 }, (_, i) => ev(at(i), { type: 'guard.bypass', guard: 'pii-redaction', exception_id: ids[i % 700] }, 50_000 + i));
    // Bounded as the reducer always bounded them: after each line, a sort of all the keys (stable, in the record's order), highest first.
    const bound = <V>(record: Record<string, V>, limit: number, rank: (v: V) => number) => {
      const keys = Object.keys(record);
      return keys.length <= limit ? record : Object.fromEntries(keys.sort((a, b) => rank(record[b]) - rank(record[a])).slice(0, limit).map((k) => [k, record[k]]));
    };
    let cooldowns: Record<string, { at: number; suppressed: number }> = {};
    let counts: Record<string, { count: number; lastAt: number }> = {};
    const reported: number[] = [];
    lines.forEach((line, i) => {
      const id = ids[i % 700];
      const key = `guard-bypass-unregistered|${id}`;
      const last = Object.hasOwn(cooldowns, key) ? cooldowns[key] : undefined;
      cooldowns = { ...cooldowns };
      if (last && line.at - last.at < 3_600_000) cooldowns[key] = { at: last.at, suppressed: last.suppressed + 1 };
      else {
        reported.push(line.at);
        Object.defineProperty(cooldowns, key, { value: { at: line.at, suppressed: 0 }, enumerable: true, writable: true, configurable: true });
      }
      const was = Object.hasOwn(counts, id) ? counts[id] : undefined;
      counts = { ...counts };
      Object.defineProperty(counts, id, { value: { count: (was?.count ?? 0) + 1, lastAt: line.at }, enumerable: true, writable: true, configurable: true });
      counts = bound(counts, 500, (v) => v.lastAt);
      cooldowns = bound(cooldowns, 200, (v) => v.at);
    });
    const cooled = validateConfig({ defaults: { alert_cooldown_minutes: 60 } });
    // Act
    const whole = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', lines, { config: cooled, clock });
    const split = [0, 1, 2, 3].reduce((state, b) => guardReducer.apply(state, 'pii-redaction', lines.slice(b * 350, (b + 1) * 350), { config: cooled, clock }).state, initialGuardState('pii-redaction'));
    // Assess: every line reported (none held back), the same keys kept, in the same order
    expect(whole.findings.map((f) => Date.parse(f.ts))).toEqual(reported);
    expect(reported).toHaveLength(1_400);
    expect(Object.entries(whole.state.cooldowns)).toEqual(Object.entries(cooldowns));
    expect(totalsOf(whole.state.byException)).toEqual(Object.entries(counts));
    expect(Object.entries(split.cooldowns)).toEqual(Object.entries(cooldowns));
    expect(totalsOf(split.byException)).toEqual(Object.entries(counts));
  });

  it('reports a line read late, older than the last report by more than the cooldown, without taking the count of those held back since', () => {
    // Prepare: 12:00 reported, 13:00 and 14:00 held back; then a line of 05:00 read late; then 18:30.
    const burst = [bypassAt('2026-10-15T12:00:00Z'), bypassAt('2026-10-15T13:00:00Z'), bypassAt('2026-10-15T14:00:00Z')];
    // Act
    const first = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', burst, ctx);
    const late = guardReducer.apply(first.state, 'pii-redaction', [bypassAt('2026-10-15T05:00:00Z')], ctx);
    const next = guardReducer.apply(late.state, 'pii-redaction', [bypassAt('2026-10-15T18:30:00Z')], ctx);
    // Assess
    expect(late.findings.map((f) => [f.ts, f.message])).toEqual([['2026-10-15T05:00:00Z', 'guard "pii-redaction" bypassed with no exception']]);
    expect(late.findings[0].evidence).not.toHaveProperty('suppressed_since_last');
    expect(next.findings.map((f) => [f.ts, f.message])).toEqual([
      ['2026-10-15T18:30:00Z', 'guard "pii-redaction" bypassed with no exception; 2 more like it since 2026-10-15T12:00:00Z'],
    ]);
  });

  it('reports every bypass when the cooldown is 0', () => {
    const noCooldown = { ...ctx, config: { ...config, defaults: { ...config.defaults, alert_cooldown_minutes: 0 } } };
    const { findings } = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [bypassAt('2026-10-15T10:00:00Z'), bypassAt('2026-10-15T10:01:00Z')], noCooldown);
    expect(findings).toHaveLength(2);
  });

  it('keeps two bypasses of one guard in the same second as two findings with their own keys, the same on a re-read', () => {
    // Prepare: alice and bob bypass the guard in one second (two lines), then the same file is read afresh.
    const noCooldown = { ...ctx, config: { ...config, defaults: { ...config.defaults, alert_cooldown_minutes: 0 } } };
    const events = [bypassAt('2026-10-15T10:00:00Z', { actor: 'alice' }), bypassAt('2026-10-15T10:00:00Z', { actor: 'bob' })];
    const outbox = new MemoryFindingOutbox();
    // Act
    const first = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', events, noCooldown);
    const added = first.findings.map((f) => outbox.add(f));
    const reread = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', events, noCooldown);
    // Assess: both are stored (none lost to a shared key), the first under the key such a finding always had, and a fresh read gives the same keys.
    expect(added.every((key) => key !== undefined)).toBe(true);
    expect(added[0]).toBe('2026-10-15T10:00:00Z#guard-bypass-unregistered#pii-redaction#');
    expect(outbox.all().map((f) => f.evidence.actor)).toEqual(['alice', 'bob']);
    expect(reread.findings.map(findingKey)).toEqual(first.findings.map(findingKey));
  });

  it('announces an exception in use that expires within 14 days once per expiry date, again after a renewal', () => {
    const registry = (expires: string): ReduceContext => ({ ...ctx, exceptions: new Map([['EX-12', exception({ expires })]]) });
    const first = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [bypassAt('2026-12-20T10:00:00Z', { exception_id: 'EX-12' }), bypassAt('2026-12-21T10:00:00Z', { exception_id: 'EX-12' })], registry('2026-12-31'));
    const stillSame = guardReducer.apply(first.state, 'pii-redaction', [bypassAt('2026-12-22T10:00:00Z', { exception_id: 'EX-12' })], registry('2026-12-31'));
    const renewed = guardReducer.apply(stillSame.state, 'pii-redaction', [bypassAt('2027-01-20T10:00:00Z', { exception_id: 'EX-12' })], registry('2027-01-25'));
    expect(first.findings.map((f) => [f.detector, f.ts, f.severity])).toEqual([['guard-exception-expiring', '2026-12-20T10:00:00Z', 'medium']]);
    expect(first.findings[0].message).toBe('exception EX-12 for guard "pii-redaction" expires on 2026-12-31, in 11 days, and is still in use; owner alice@example.com');
    expect(stillSame.findings).toEqual([]);
    expect(renewed.findings.map((f) => f.evidence.expires)).toEqual(['2027-01-25']);
    expect(renewed.state.announced).toEqual(['EX-12@2026-12-31', 'EX-12@2027-01-25']);
  });

  it('announces nothing for a bypass of the last 14 days read after the exception expired (a backfill), and counts it as covered', () => {
    // Prepare: EX-12 expired on 2026-12-31 and was never renewed; its bypass of 2026-12-20 is read on 2027-01-05
    const late: ReduceContext = { config, clock: { now: () => Date.parse('2027-01-05T00:00:00Z') }, exceptions: new Map([['EX-12', exception({ expires: '2026-12-31' })]]) };

    // Act
    const result = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [bypassAt('2026-12-20T10:00:00Z', { exception_id: 'EX-12' })], late);

    // Assess: no renewal asked for a term that has ended; the bypass was covered when it happened
    expect(result.findings).toEqual([]);
    expect(result.state.bypasses).toBe(1);
    expect(result.state.withoutException).toBe(0);
  });

  it('the sweep announces a used exception entering its last 14 days, only against a loaded registry', () => {
    const used = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [bypassAt('2026-11-01T10:00:00Z', { exception_id: 'EX-12' })], ctx).state;
    const at = { now: () => Date.parse('2026-12-18T06:00:00Z') };
    const registry = new Map([['EX-12', exception()], ['EX-30', exception({ id: 'EX-30', expires: '2026-12-20' })]]);
    // Act
    const withoutRegistry = guardReducer.tick!(used, 'pii-redaction', { config, clock: at });
    const swept = guardReducer.tick!(used, 'pii-redaction', { config, clock: at, exceptions: registry });
    const sweptAgain = guardReducer.tick!(swept.state, 'pii-redaction', { config, clock: at, exceptions: registry });
    // Assess: EX-30 was never used, so it is not announced.
    expect(withoutRegistry.state).toBe(used);
    expect(swept.findings.map((f) => [f.detector, f.ts, f.evidence.exception_id, f.evidence.days_left, f.evidence.last_bypass_at])).toEqual([
      ['guard-exception-expiring', '2026-12-18T06:00:00Z', 'EX-12', 13, '2026-11-01T10:00:00Z'],
    ]);
    expect(sweptAgain.findings).toEqual([]);
    expect(sweptAgain.state).toBe(swept.state);
  });

  it('the sweep announces two exceptions of one guard entering their last 14 days as two findings with their own keys', () => {
    // Prepare
    const events = [bypassAt('2026-11-01T10:00:00Z', { exception_id: 'EX-12' }), bypassAt('2026-11-01T11:00:00Z', { exception_id: 'EX-30' })];
    const registry = new Map([['EX-12', exception()], ['EX-30', exception({ id: 'EX-30', expires: '2026-12-20' })]]);
    const used = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', events, { ...ctx, exceptions: registry }).state;
    // Act
    const swept = guardReducer.tick!(used, 'pii-redaction', { config, clock: { now: () => Date.parse('2026-12-18T06:00:00Z') }, exceptions: registry });
    // Assess
    expect(swept.findings.map((f) => f.evidence.exception_id)).toEqual(['EX-12', 'EX-30']);
    expect(new Set(swept.findings.map(findingKey)).size).toBe(2);
  });

  it('fills registry records with the counts kept in the guard states', () => {
    const state = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' }), bypassAt('2026-10-16T10:00:00Z', { exception_id: 'EX-12' })], ctx).state;
    const records: GuardException[] = [exception(), exception({ id: 'EX-40', guard: 'approval-step' })];
    const counted = withBypassCounts(records, new Map([[guardStateKey('pii-redaction'), { state, version: 3 }]]));
    expect(counted.map((e) => [e.id, e.bypass_count, e.last_bypass_at])).toEqual([
      ['EX-12', 2, '2026-10-16T10:00:00Z'],
      ['EX-40', 0, undefined],
    ]);
  });

  it('counts toward an exception added with `exceptions add` only the bypasses at or after it was added', () => {
    // Prepare: EX-50 named by a bypass before it was registered (then unknown), added at 2026-10-15T12:00, then a line read late from before that, and one after.
    const added = exception({ id: 'EX-50', origin: 'cli', created_by: 'alice', created_at: '2026-10-15T12:00:00.000Z' });
    const before = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-50' })], ctx).state;
    const registered: ReduceContext = { ...ctx, exceptions: new Map([['EX-50', added]]) };
    const late = guardReducer.apply(before, 'pii-redaction', [bypassAt('2026-10-15T11:00:00Z', { exception_id: 'EX-50' })], registered).state;
    const after = guardReducer.apply(late, 'pii-redaction', [bypassAt('2026-10-15T13:00:00Z', { exception_id: 'EX-50' })], registered).state;
    const countedOf = (state: typeof before) => withBypassCounts([added], new Map([[guardStateKey('pii-redaction'), { state, version: 1 }]])).map((e) => [e.bypass_count, e.last_bypass_at]);
    // Act
    const [whenAdded, lateRead, afterwards] = [countedOf(before), countedOf(late), countedOf(after)];
    // Assess: the guard still counts every bypass; the exception only its own.
    expect(whenAdded).toEqual([[0, undefined]]);
    expect(lateRead).toEqual([[0, undefined]]);
    expect(afterwards).toEqual([[1, '2026-10-15T13:00:00Z']]);
    expect(after.bypasses).toBe(3);
  });

  it('tallies a batch per guard and per registered exception (an unknown id makes no metric)', () => {
    const events = [bypassAt('2026-10-15T10:00:00Z', { exception_id: 'EX-12' }), bypassAt('2026-10-15T11:00:00Z', { exception_id: 'EX-99' }), bypassAt('2026-10-15T12:00:00Z', { guard: 'approval-step' })];
    expect(tallyBypasses(events, new Map([['EX-12', exception()]]))).toEqual({ byGuard: { 'pii-redaction': 2, 'approval-step': 1 }, byException: { 'EX-12': 1 } });
  });

  it('counts an exception id named like a member of every object (__proto__, constructor) as any other id', () => {
    // Prepare: two bypasses under __proto__, one under constructor
    const events = [bypassAt('2026-10-15T10:00:00Z', { exception_id: '__proto__' }), bypassAt('2026-10-15T11:00:00Z', { exception_id: '__proto__' }), bypassAt('2026-10-15T12:00:00Z', { exception_id: 'constructor' })];
    // Act
    const { state } = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', events, ctx);
    const stored = JSON.parse(JSON.stringify(state)) as typeof state;
    // Assess
    expect(totalsOf(stored.byException)).toEqual([
      ['__proto__', { count: 2, lastAt: Date.parse('2026-10-15T11:00:00Z') }],
      ['constructor', { count: 1, lastAt: Date.parse('2026-10-15T12:00:00Z') }],
    ]);
    expect(Object.getPrototypeOf(state.byException)).toBe(Object.prototype);
  });

  it('takes an exception named constructor or toString that no bypass used as unused (no sweep announcement, no count)', () => {
    // Prepare: exceptions that expire in 2 days; the guard saw one bypass, under EX-12
    const used = guardReducer.apply(initialGuardState('pii-redaction'), 'pii-redaction', [bypassAt('2026-11-01T10:00:00Z', { exception_id: 'EX-12' })], ctx).state;
    const registry = new Map(['constructor', 'toString'].map((id) => [id, exception({ id, expires: '2026-12-20' })]));
    // Act
    const swept = guardReducer.tick!(used, 'pii-redaction', { config, clock: { now: () => Date.parse('2026-12-18T06:00:00Z') }, exceptions: registry });
    const counted = withBypassCounts([...registry.values()], new Map([[guardStateKey('pii-redaction'), { state: used, version: 1 }]]));
    // Assess
    expect(swept.findings).toEqual([]);
    expect(counted.map((e) => [e.id, e.bypass_count, e.last_bypass_at])).toEqual([
      ['constructor', 0, undefined],
      ['toString', 0, undefined],
    ]);
  });

  it('tallies guards and exceptions named like members of every object', () => {
    // Prepare
    const events = ['__proto__', '__proto__', 'constructor'].map((guard, i) => bypassAt(`2026-10-15T1${i}:00:00Z`, { guard, exception_id: guard }));
    const registry = new Map(['__proto__', 'constructor'].map((id) => [id, exception({ id, guard: id })]));
    // Act
    const tally = tallyBypasses(events, registry);
    // Assess
    expect([Object.entries(tally.byGuard), Object.entries(tally.byException)]).toEqual([
      [['__proto__', 2], ['constructor', 1]],
      [['__proto__', 2], ['constructor', 1]],
    ]);
  });

  it('keeps no state for events that are not bypasses', () => {
    expect(guardReducer.subjectOf(ev('2026-10-15T10:00:00Z', { type: 'run.start', job: 'x', run_id: 'r' }))).toBeUndefined();
    const initial = initialGuardState('pii-redaction');
    expect(guardReducer.apply(initial, 'pii-redaction', [], { config: DEFAULT_CONFIG, clock }).state).toBe(initial);
  });
});
