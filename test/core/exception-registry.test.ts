import { describe, expect, it } from 'vitest';
import { MemoryExceptionStore } from '../../lambdas/adapters/memory-exception-store.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { type Config, currentActor, validateConfig } from '../../lambdas/config.ts';
import type { AuditEvent, GuardBypass } from '../../lambdas/core/events.ts';
import {
  addException,
  exceptionStanding,
  exceptionsFromConfig,
  expiringExceptions,
  loadRegistry,
  parseDay,
  registryForBatch,
  registryRules,
  renewException,
  revokeException,
  unseenGuardWarning,
} from '../../lambdas/core/exception-registry.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { daysBetween } from '../../lambdas/core/parse-time.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { redactorFor } from '../../lambdas/core/redact.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { exception } from '../detectors/guard-fixtures.ts';
import { ev } from '../helpers/events.ts';

const config = validateConfig({
  exceptions: [{ id: 'EX-7', guard: 'pii-redaction', reason: 'migration', owner: 'carol@example.com', expires: '2026-09-30' }],
});
const clock = { now: () => Date.parse('2026-10-15T12:00:00Z') };

/** Valid through 2026-10-10, renewed on 2026-10-20 (while lapsed) to 2026-11-30, then on 2026-11-20 to 2026-12-31. */
const LAPSED_THEN_RENEWED = exception({
  expires: '2026-12-31',
  renewals: [
    { at: '2026-10-20T12:00:00.000Z', by: 'alice', reason: 'migration slipped', from_expires: '2026-10-10', to_expires: '2026-11-30' },
    { at: '2026-11-20T12:00:00.000Z', by: 'alice', reason: 'one more month', from_expires: '2026-11-30', to_expires: '2026-12-31' },
  ],
});

/** Valid through 2026-10-10, renewed at 2026-10-20T12:00:00.500Z (while lapsed) to 2026-11-30. */
const RENEWED_AT_HALF_SECOND = exception({
  expires: '2026-11-30',
  renewals: [{ at: '2026-10-20T12:00:00.500Z', by: 'alice', reason: 'migration slipped', from_expires: '2026-10-10', to_expires: '2026-11-30' }],
});

describe('exception registry rules', () => {
  it('reads real calendar days only', () => {
    expect(parseDay('2026-12-31')).toBe('2026-12-31');
    expect(parseDay('2026-12-31T10:00:00Z')).toBe('2026-12-31');
    expect(parseDay('2026-02-30')).toBeUndefined();
    expect(parseDay('31.12.2026')).toBeUndefined();
    expect(daysBetween('2026-12-17', '2026-12-31')).toBe(14);
    expect(daysBetween('2027-01-01', '2026-12-31')).toBe(-1);
  });

  it.each([
    { name: 'far from its expiry', at: '2026-10-15T12:00:00Z', ex: exception(), standing: 'active', daysLeft: 77 },
    { name: '14 days before', at: '2026-12-17T00:00:00Z', ex: exception(), standing: 'expiring', daysLeft: 14 },
    { name: 'on its last day', at: '2026-12-31T23:59:59Z', ex: exception(), standing: 'expiring', daysLeft: 0 },
    { name: 'the day after', at: '2027-01-01T00:00:00Z', ex: exception(), standing: 'expired', daysLeft: -1 },
    { name: 'revoked, after the revocation', at: '2026-10-15T12:00:00Z', ex: exception({ status: 'revoked', revoked_at: '2026-10-15T08:00:00Z' }), standing: 'revoked', daysLeft: 77 },
    { name: 'revoked, before the revocation', at: '2026-10-15T07:00:00Z', ex: exception({ status: 'revoked', revoked_at: '2026-10-15T08:00:00Z' }), standing: 'active', daysLeft: 77 },
    // A bypass timed to the second may lie anywhere in it: one in the revocation's second may have come before it.
    { name: 'revoked in the second of a bypass timed to the second', at: '2026-10-15T08:00:00Z', ex: exception({ status: 'revoked', revoked_at: '2026-10-15T08:00:00.806Z' }), standing: 'active', daysLeft: 77 },
    { name: 'revoked in the second before a bypass timed to the second', at: '2026-10-15T08:00:01Z', ex: exception({ status: 'revoked', revoked_at: '2026-10-15T08:00:00.806Z' }), standing: 'revoked', daysLeft: 77 },
    { name: 'lapsed, then renewed: during the lapse', at: '2026-10-15T12:00:00Z', ex: LAPSED_THEN_RENEWED, standing: 'expired', daysLeft: -5 },
    { name: 'lapsed, then renewed: before the lapse', at: '2026-10-01T12:00:00Z', ex: LAPSED_THEN_RENEWED, standing: 'expiring', daysLeft: 9 },
    { name: 'lapsed, then renewed: after the second renewal', at: '2026-11-25T12:00:00Z', ex: LAPSED_THEN_RENEWED, standing: 'active', daysLeft: 36 },
    { name: 'lapsed, then renewed: between the renewals', at: '2026-10-25T12:00:00Z', ex: LAPSED_THEN_RENEWED, standing: 'active', daysLeft: 36 },
    // Likewise a renewal: a bypass timed to the second of a renewal may have come after it, one timed to the millisecond is judged at it.
    { name: 'lapsed, renewed in the second of a bypass timed to the second', at: '2026-10-20T12:00:00Z', ex: RENEWED_AT_HALF_SECOND, standing: 'active', daysLeft: 41 },
    { name: 'lapsed, renewed in the second of a bypass timed to the millisecond before it', at: '2026-10-20T12:00:00.200Z', ex: RENEWED_AT_HALF_SECOND, standing: 'expired', daysLeft: -10 },
  ])('judges an exception $name', ({ at, ex, standing, daysLeft }) => {
    expect(exceptionStanding(ex, Date.parse(at))).toEqual({ standing, daysLeft });
  });

  it('lists the active exceptions expiring within 14 days, soonest first', () => {
    const all = [exception({ id: 'A', expires: '2026-10-29' }), exception({ id: 'B', expires: '2026-10-20' }), exception({ id: 'C', expires: '2026-10-30' }), exception({ id: 'D', expires: '2026-10-14' }), exception({ id: 'E', expires: '2026-10-16', status: 'revoked' })];
    expect(expiringExceptions(all, clock.now()).map((e) => e.id)).toEqual(['B', 'A']);
  });

  it('loads the registry for a batch only when it holds a bypass: from the store, else from the config', async () => {
    const run = [ev('2026-10-15T10:00:00Z', { type: 'run.start', job: 'x', run_id: 'r' })];
    const bypass = [ev('2026-10-15T10:00:00Z', { type: 'guard.bypass', guard: 'pii-redaction' })];
    const store = new MemoryExceptionStore();
    expect(await registryForBatch(run, store, config, clock)).toBeUndefined();
    expect([...(await registryForBatch(bypass, undefined, config, clock))!.keys()]).toEqual(['EX-7']);
    expect((await registryForBatch(bypass, store, config, clock))!.get('EX-7')).toMatchObject({ expires: '2026-09-30', origin: 'config' });
    expect((await store.listRecords()).map((e) => e.id)).toEqual(['EX-7']);
  });

  it('refuses an id longer than a bypass line may name (256 characters), as the config does, before it reaches the store', async () => {
    // Prepare: DynamoDB refuses a key over 1024 bytes
    const store = new MemoryExceptionStore();
    const rules = { now: clock.now(), maxDays: 90 };
    const request = { guard: 'pii-redaction', reason: 'migration', owner: 'alice@example.com', expires: '2026-12-31', by: 'bob' };
    // Act
    const added = await addException(store, { ...request, id: 'E'.repeat(256) }, rules);
    const refused = await addException(store, { ...request, id: 'E'.repeat(1100) }, rules).then(() => 'added', (e: Error) => `${e.name}: ${e.message}`);
    // Assess
    expect(added.id).toHaveLength(256);
    expect(refused).toBe("ExceptionRefusedError: --id: an exception id is at most 256 characters and 400 bytes of UTF-8, as a log line's identifiers; this one has 1100 characters (1100 bytes); choose a shorter one, e.g. EX-13");
    expect((await store.listRecords()).map((e) => e.id)).toEqual([added.id]);
  });

  it('renews and revokes an exception named with spaces around its id, as add reads --id', async () => {
    // Prepare
    const store = new MemoryExceptionStore();
    const rules = { now: clock.now(), maxDays: 90 };
    await addException(store, { id: ' EX-13 ', guard: 'pii-redaction', reason: 'migration', owner: 'alice@example.com', expires: '2026-12-31', by: 'bob' }, rules);
    // Act
    const renewed = await renewException(store, ' EX-13 ', { expires: '2027-01-05', reason: 'slipped', by: 'bob' }, rules);
    const revoked = await revokeException(store, 'EX-13 ', { reason: 'done', by: 'bob' }, rules);
    // Assess
    expect([renewed.id, renewed.expires]).toEqual(['EX-13', '2027-01-05']);
    expect([revoked.id, revoked.status]).toEqual(['EX-13', 'revoked']);
    expect((await store.listRecords()).map((e) => [e.id, e.status, e.expires])).toEqual([['EX-13', 'revoked', '2027-01-05']]);
  });

  it('stores the reasons typed into add, renew and revoke redacted, as a bypass line\'s reason is, and reads older ones redacted', async () => {
    // Prepare: reasons pasted with a secret in them; a record stored before reasons were redacted
    const store = new MemoryExceptionStore();
    const rules = { now: clock.now(), maxDays: 90 };
    await addException(store, { id: 'EX-14', guard: 'pii-redaction', reason: 'ticket says password=AddS3cretPw', owner: 'alice@example.com', expires: '2026-12-31', by: 'bob' }, rules);
    await store.add(exception({ id: 'EX-15', reason: 'old: token=OldS3cretTok', renewals: [{ at: '2026-10-01T00:00:00.000Z', by: 'a', reason: 'api_key=OldRenewKey', from_expires: '2026-10-10', to_expires: '2026-12-01' }] }));
    // Act
    const renewed = await renewException(store, 'EX-14', { expires: '2027-01-05', reason: 'still: token=RenewS3cretTok', by: 'bob' }, rules);
    const revoked = await revokeException(store, 'EX-14', { reason: 'done, rotated curl -u ops:RevokeS3cretPw', by: 'bob' }, rules);
    const stored = JSON.stringify(await store.listRecords());
    // Assess
    expect(renewed.renewals.map((r) => r.reason)).toEqual(['still: token=[REDACTED:secret-assignment]']);
    expect(revoked.revoke_reason).toBe('done, rotated curl -u ops:[REDACTED:cli-password]');
    expect([renewed.reason, revoked.reason]).toEqual(['ticket says password=[REDACTED:secret-assignment]', 'ticket says password=[REDACTED:secret-assignment]']);
    for (const secret of ['AddS3cretPw', 'RenewS3cretTok', 'RevokeS3cretPw', 'OldS3cretTok', 'OldRenewKey']) expect(stored).not.toContain(secret);
  });

  it('stores who adds, renews and revokes, and the owner, redacted as the reasons are (--by, $SILENT_AUDIT_ACTOR, --owner, the config), and reads older ones redacted', async () => {
    // Prepare: names pasted with a secret in them; a record stored before names were redacted; a config entry
    const store = new MemoryExceptionStore();
    const rules = { now: clock.now(), maxDays: 90 };
    await addException(store, { id: 'EX-16', guard: 'g', reason: 'r', owner: 'alice token: ghp_abcdefghijklmnopqrstuvwxyz0123456789AB', expires: '2026-12-31', by: 'ci-bot password=AddByS3cret' }, rules);
    await store.add(exception({ id: 'EX-17', owner: 'old password=OldOwnerS3cret', created_by: 'x api_key=OldByS3cret', renewals: [{ at: '2026-10-01T00:00:00.000Z', by: 'a token=OldRenewByS3cret', reason: 'r', from_expires: '2026-10-10', to_expires: '2026-12-01' }] }));
    const config = validateConfig({ exceptions: [{ id: 'EX-18', guard: 'g', reason: 'r', owner: 'carol password=CfgOwnerS3cret', expires: '2026-12-31' }] });
    // Act
    await renewException(store, 'EX-16', { expires: '2027-01-05', reason: 'slipped', by: 'bob password=RenewByS3cret' }, rules);
    const revoked = await revokeException(store, 'EX-16', { reason: 'done', by: 'eve token=RevokeByS3cret' }, rules);
    const seeded = await loadRegistry(store, config.exceptions, clock.now());
    const read = JSON.stringify([...seeded.exceptions.values()]);
    // Assess
    expect([revoked.owner, revoked.created_by, revoked.renewals[0]?.by, revoked.revoked_by]).toEqual([
      'alice token: [REDACTED:github-token]',
      'ci-bot password=[REDACTED:secret-assignment]',
      'bob password=[REDACTED:secret-assignment]',
      'eve token=[REDACTED:secret-assignment]',
    ]);
    for (const secret of ['ghp_abcdefghijklmnopqrstuvwxyz0123456789AB', 'AddByS3cret', 'RenewByS3cret', 'RevokeByS3cret', 'OldOwnerS3cret', 'OldByS3cret', 'OldRenewByS3cret', 'CfgOwnerS3cret']) expect(read).not.toContain(secret);
  });

  it("seeds a config exception's reason redacted: a later load finds it unchanged, and a run without a store shows it redacted", async () => {
    // Prepare: a config entry whose reason holds a secret's label and value
    const config = validateConfig({ exceptions: [{ id: 'EX-1', guard: 'pii-redaction', reason: 'vendor import; token: see INC-42', owner: 'a@example.com', expires: '2026-12-31' }] });
    const store = new MemoryExceptionStore(undefined, { redact: config.redact });
    // Act
    const first = await loadRegistry(store, config.exceptions, clock.now(), config.redact);
    const second = await loadRegistry(store, config.exceptions, clock.now() + 60_000, config.redact);
    const withoutStore = exceptionsFromConfig(config, clock.now());
    // Assess
    expect(first.added).toEqual(['EX-1']);
    expect(second.differing).toEqual([]);
    expect([first.exceptions.get('EX-1')?.reason, second.exceptions.get('EX-1')?.reason, withoutStore.get('EX-1')?.reason]).toEqual(Array(3).fill('vendor import; token: [REDACTED:secret-assignment]'));
  });

  it("reads a config exception's guard seeded with spaces around it (before the config trimmed it) as the guard the config now names", async () => {
    // Prepare: the record an earlier version seeded from guard "pii-redaction ", and the config as it reads that entry now
    const config = validateConfig({ exceptions: [{ id: 'EX-12', guard: 'pii-redaction ', reason: 'support', owner: 'a@example.com', expires: '2026-12-31' }] });
    const store = new MemoryExceptionStore();
    await store.add(exception({ id: 'EX-12', guard: 'pii-redaction ', reason: 'support', owner: 'a@example.com', expires: '2026-12-31', origin: 'config' }));
    // Act
    const loaded = await loadRegistry(store, config.exceptions, clock.now(), config.redact);
    // Assess: one guard, as bypass lines name it; the config's entry does not differ from the record
    expect(config.exceptions[0].guard).toBe('pii-redaction');
    expect(loaded.exceptions.get('EX-12')?.guard).toBe('pii-redaction');
    expect(loaded.differing).toEqual([]);
  });

  it('refuses a guard holding a wildcard (* or ?), which would be taken as a guard of that name and cover nothing', async () => {
    // Prepare
    const store = new MemoryExceptionStore();
    const rules = { now: clock.now(), maxDays: 90 };
    const request = { id: 'EX-4', reason: 'all of them', owner: 'dave@example.com', expires: '2026-12-31', by: 'bob' };
    // Act
    const refusals = await Promise.all(['*', 'pii-*', 'approval?'].map((guard) => addException(store, { ...request, guard }, rules).then(() => 'added', (e: Error) => `${e.name}: ${e.message}`)));
    // Assess
    expect(refusals).toEqual([
      'ExceptionRefusedError: guard "*": wildcards (* and ?) are not supported: an exception covers the one guard it names, so name the guard as its bypass lines do, e.g. pii-redaction',
      'ExceptionRefusedError: guard "pii-*": wildcards (* and ?) are not supported: an exception covers the one guard it names, so name the guard as its bypass lines do, e.g. pii-redaction',
      'ExceptionRefusedError: guard "approval?": wildcards (* and ?) are not supported: an exception covers the one guard it names, so name the guard as its bypass lines do, e.g. pii-redaction',
    ]);
    expect(await store.listRecords()).toEqual([]);
  });

  it('warns of a guard no bypass line has named where guards have been seen, suggesting the seen ones it looks like; not of a seen one, nor before any is seen', () => {
    // Prepare
    const seen = ['pii-redaction', 'approval'];
    // Act
    const typo = unseenGuardWarning('pii-redcation', seen);
    const unlike = unseenGuardWarning('rate-limit', seen);
    const known = unseenGuardWarning('pii-redaction', seen);
    const noneSeen = unseenGuardWarning('pii-redcation', []);
    // Assess
    expect(typo).toBe('no bypass line has named guard "pii-redcation" yet; did you mean pii-redaction? (added anyway: its guard may not have been bypassed yet)');
    expect(unlike).toBe('no bypass line has named guard "rate-limit" yet; the guards seen are approval, pii-redaction (added anyway: its guard may not have been bypassed yet)');
    expect(known).toBeUndefined();
    expect(noneSeen).toBeUndefined();
  });

  it('suggests the seen guard a name differs from only in case (PII-Redaction for pii-redaction), among more guards than it lists', () => {
    // Prepare: more seen guards than the warning lists, the one meant among those it would leave out.
    const seen = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'pii-redaction'];

    // Act
    const warning = unseenGuardWarning('PII-Redaction', seen);

    // Assess
    expect(warning).toBe('no bypass line has named guard "PII-Redaction" yet; did you mean pii-redaction? (added anyway: its guard may not have been bypassed yet)');
  });

  it('names the actor from SILENT_AUDIT_ACTOR, else the login name', () => {
    expect(currentActor({ SILENT_AUDIT_ACTOR: 'ci', USER: 'bob' })).toBe('ci');
    expect(currentActor({ USER: 'bob' })).toBe('bob');
    expect(currentActor({ USERNAME: 'win-bob' })).toBe('win-bob');
    expect(currentActor({}).length).toBeGreaterThan(0);
  });
});

describe('exceptions for a guard whose name redaction rewrites', () => {
  /** The guard bypass lines as the parser gives them: `password:policy` is redacted as a name. */
  function bypassLines(config: Config, lines: readonly Record<string, unknown>[]): AuditEvent[] {
    return lines.flatMap((body, i) => {
      const outcome = parseLine(JSON.stringify({ type: 'guard.bypass', actor: 'importer', ...body }), { source: { origin: 'test', line: i + 1 }, now: clock.now(), redactor: redactorFor(config) });
      if (outcome.kind !== 'events') throw new Error(`line ${i + 1} was not parsed: ${outcome.kind}`);
      return outcome.events;
    });
  }

  it('covers the bypasses of that guard and counts them, for a config entry and one added with the CLI', async () => {
    // Prepare
    const config = validateConfig({
      exceptions: [{ id: 'EX-1', guard: 'password:policy', reason: 'legacy import needs weak passwords', owner: 'alice@example.com', expires: '2026-12-31' }],
    });
    const states = new MemoryAuditStore();
    const store = new MemoryExceptionStore(states);
    await addException(store, { id: 'EX-2', guard: 'token:rotate', reason: 'rotation job is rewritten', owner: 'bob@example.com', expires: '2026-12-31', by: 'bob' }, registryRules(config, { now: () => Date.parse('2026-10-14T12:00:00Z') }));
    const events = bypassLines(config, [
      { ts: '2026-10-15T09:30:00Z', guard: 'password:policy', exception_id: 'EX-1' },
      { ts: '2026-10-15T09:31:00Z', guard: 'token:rotate', exception_id: 'EX-2' },
    ]);
    // Act
    const exceptions = await registryForBatch(events, store, config, clock);
    const { findings } = await processBatch(events, REDUCERS, states, { config, clock, exceptions });
    const listed = await store.list();
    // Assess
    expect(events[0].body).toMatchObject({ guard: expect.stringMatching(/^password:\[REDACTED:secret-assignment\]#/) });
    expect(findings).toEqual([]);
    expect(listed.map((e) => [e.id, e.guard, e.bypass_count])).toEqual([
      ['EX-1', (events[0].body as GuardBypass).guard, 1],
      ['EX-2', (events[1].body as GuardBypass).guard, 1],
    ]);
  });

  it('takes an id of letters and digits in any script (EX-ü, EX-٣) from the config and `add`, as a bypass line can name it, covering its bypasses', async () => {
    // Prepare
    const config = validateConfig({ exceptions: [{ id: 'EX-ü', guard: 'pii-redaction', reason: 'legacy export', owner: 'alice@example.com', expires: '2026-12-31' }] });
    const states = new MemoryAuditStore();
    const store = new MemoryExceptionStore(states);
    const rules = registryRules(config, { now: () => Date.parse('2026-10-14T12:00:00Z') });
    // Act
    const added = await addException(store, { id: 'EX-٣', guard: 'approval-step', reason: 'migration', owner: 'bob@example.com', expires: '2026-12-31', by: 'bob' }, rules);
    const events = bypassLines(config, [
      { ts: '2026-10-15T09:30:00Z', guard: 'pii-redaction', exception_id: 'EX-ü' },
      { ts: '2026-10-15T09:31:00Z', guard: 'approval-step', exception_id: 'EX-٣' },
    ]);
    const exceptions = await registryForBatch(events, store, config, clock);
    const { findings } = await processBatch(events, REDUCERS, states, { config, clock, exceptions });
    // Assess
    expect(added.id).toBe('EX-٣');
    expect(findings).toEqual([]);
    expect((await store.list()).filter((e) => e.bypass_count > 0).map((e) => e.id).sort()).toEqual(['EX-ü', 'EX-٣']);
  });

  it('takes an id that begins with . _ : or / as a bypass line can name it, covering its bypasses; refuses one that begins with - (read as an option), saying so', async () => {
    // Prepare
    const config = validateConfig({ exceptions: [{ id: '_legacy-7', guard: 'pii-redaction', reason: 'legacy export', owner: 'alice@example.com', expires: '2026-12-31' }] });
    const states = new MemoryAuditStore();
    const store = new MemoryExceptionStore(states);
    const rules = registryRules(config, { now: () => Date.parse('2026-10-14T12:00:00Z') });
    const request = { guard: 'approval-step', reason: 'migration', owner: 'bob@example.com', expires: '2026-12-31', by: 'bob' };
    // Act
    const added = [];
    for (const id of ['.hidden', ':ns:7', '/team/7']) added.push((await addException(store, { ...request, id }, rules)).id);
    const refused = await addException(store, { ...request, id: '-x' }, rules).then(() => 'added', (e: Error) => `${e.name}: ${e.message}`);
    const events = bypassLines(config, [
      { ts: '2026-10-15T09:30:00Z', guard: 'pii-redaction', exception_id: '_legacy-7' },
      { ts: '2026-10-15T09:31:00Z', guard: 'approval-step', exception_id: '/team/7' },
    ]);
    const exceptions = await registryForBatch(events, store, config, clock);
    const { findings } = await processBatch(events, REDUCERS, states, { config, clock, exceptions });
    // Assess
    expect(added).toEqual(['.hidden', ':ns:7', '/team/7']);
    expect(refused).toBe('ExceptionRefusedError: id "-x" is not usable: an id holds letters and digits (of any script) and . _ : / -, does not begin with - (a command line would read it as an option) and has no spaces, e.g. EX-13');
    expect(findings).toEqual([]);
    expect((await store.list()).filter((e) => e.bypass_count > 0).map((e) => e.id).sort()).toEqual(['/team/7', '_legacy-7']);
  });
});
