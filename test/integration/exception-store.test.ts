import { describe, expect, it } from 'vitest';
import { DynamoExceptionStore } from '../../lambdas/adapters/dynamodb-exception-store.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { MemoryExceptionStore } from '../../lambdas/adapters/memory-exception-store.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import type { AuditEvent, GuardBypass } from '../../lambdas/core/events.ts';
import {
  addException,
  ExceptionRefusedError,
  loadRegistry,
  type NewExceptionRequest,
  type RegistryRules,
  registryForBatch,
  renewException,
  revokeException,
} from '../../lambdas/core/exception-registry.ts';
import { type GuardState, guardStateKey } from '../../lambdas/core/guard-reducer.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { redactorFor } from '../../lambdas/core/redact.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import type { ExceptionStore, StateStore } from '../../lambdas/ports.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';

const NOW = Date.parse('2026-10-15T12:00:00Z');
const rules: RegistryRules = { now: NOW, maxDays: 90 };
const later: RegistryRules = { now: NOW + 86_400_000, maxDays: 90 };
const request: NewExceptionRequest = { id: 'EX-13', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31', by: 'bob' };

type OpenRegistry = (options?: { redact?: Config['redact'] }) => Promise<{ registry: ExceptionStore; states: StateStore }>;

const STORES: { name: string; open: OpenRegistry }[] = [
  {
    name: 'memory',
    open: async ({ redact } = {}) => {
      const states = new MemoryAuditStore();
      return { registry: new MemoryExceptionStore(states, { redact }), states };
    },
  },
  {
    name: 'DynamoDB Local',
    open: async ({ redact } = {}) => {
      const { store, client, table } = await freshDynamoStore();
      return { registry: new DynamoExceptionStore(client, table, { states: store, redact }), states: store };
    },
  },
];

async function refusal(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ExceptionRefusedError) return error.message;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe.each(STORES)('the exception registry ($name)', ({ open }) => {
  it('adds, renews and revokes an exception, keeping every step on record', async () => {
    // Prepare
    const { registry } = await open();
    // Act
    const added = await addException(registry, request, rules);
    await renewException(registry, 'EX-13', { expires: '2027-01-10', reason: 'migration slipped to January', by: 'carol' }, later);
    await revokeException(registry, 'EX-13', { reason: 'redaction fixed upstream', by: 'alice' }, later);
    // Assess
    expect(added).toEqual({
      id: 'EX-13',
      guard: 'pii-redaction',
      reason: 'support workflow needs raw logs',
      owner: 'alice@example.com',
      expires: '2026-12-31',
      status: 'active',
      created_at: '2026-10-15T12:00:00.000Z',
      created_by: 'bob',
      origin: 'cli',
      renewals: [],
      bypass_count: 0,
    });
    const stored = await registry.get('EX-13');
    expect(stored).toEqual({
      ...added,
      expires: '2027-01-10',
      status: 'revoked',
      renewals: [{ at: '2026-10-16T12:00:00.000Z', by: 'carol', reason: 'migration slipped to January', from_expires: '2026-12-31', to_expires: '2027-01-10' }],
      revoked_at: '2026-10-16T12:00:00.000Z',
      revoked_by: 'alice',
      revoke_reason: 'redaction fixed upstream',
    });
    expect(await registry.list()).toEqual([stored]);
  });

  it('refuses what would break the rules, saying what to do', async () => {
    // Prepare
    const { registry } = await open();
    await addException(registry, request, rules);
    await addException(registry, { ...request, id: 'EX-14' }, rules);
    await revokeException(registry, 'EX-14', { reason: 'done', by: 'alice' }, rules);
    const cases: [string, () => Promise<unknown>][] = [
      ['an exception needs a reason: why may the guard be bypassed?', () => addException(registry, { ...request, id: 'EX-20', reason: ' ' }, rules)],
      ['an exception needs an owner who answers for it, e.g. alice@example.com', () => addException(registry, { ...request, id: 'EX-20', owner: undefined }, rules)],
      ['an exception needs an expiry date (YYYY-MM-DD, at most 90 days ahead)', () => addException(registry, { ...request, id: 'EX-20', expires: undefined }, rules)],
      ['expiry "2026-02-30" is not a date: expected YYYY-MM-DD, e.g. 2026-11-14', () => addException(registry, { ...request, id: 'EX-20', expires: '2026-02-30' }, rules)],
      ['expiry 2026-10-14 is in the past (today is 2026-10-15): an exception must run until today or later', () => addException(registry, { ...request, id: 'EX-20', expires: '2026-10-14' }, rules)],
      [
        'expiry 2027-01-14 is 91 days ahead; an exception may run at most 90 days (until 2027-01-13, defaults.max_exception_days): renew it when it runs out instead',
        () => addException(registry, { ...request, id: 'EX-20', expires: '2027-01-14' }, rules),
      ],
      [
        'expiry 2026-11-15 is 31 days ahead; an exception may run at most 30 days (until 2026-11-14, defaults.max_exception_days): renew it when it runs out instead',
        () => addException(registry, { ...request, id: 'EX-20', expires: '2026-11-15' }, { now: NOW, maxDays: 30 }),
      ],
      ['id "EX 20" is not usable: an id holds letters and digits (of any script) and . _ : / -, does not begin with - (a command line would read it as an option) and has no spaces, e.g. EX-13', () => addException(registry, { ...request, id: 'EX 20' }, rules)],
      ['exception EX-13 exists already (guard pii-redaction, expires 2026-12-31): renew it, or choose another id', () => addException(registry, request, rules)],
      ['exception EX-14 exists already (revoked on 2026-10-15 by alice): ids are never reused; choose another id', () => addException(registry, { ...request, id: 'EX-14' }, rules)],
      ['there is no exception EX-99 in the registry (see `silent-audit exceptions list --all`)', () => renewException(registry, 'EX-99', { expires: '2026-12-01', reason: 'r', by: 'bob' }, rules)],
      ['there is no exception EX-99 in the registry (see `silent-audit exceptions list --all`)', () => revokeException(registry, 'EX-99', { reason: 'r', by: 'bob' }, rules)],
      ['exception EX-14 was revoked on 2026-10-15 by alice: a revoked exception cannot be renewed; add a new one', () => renewException(registry, 'EX-14', { expires: '2026-12-01', reason: 'r', by: 'bob' }, rules)],
      ['exception EX-14 was revoked on 2026-10-15 by alice: nothing to do', () => revokeException(registry, 'EX-14', { reason: 'r', by: 'bob' }, rules)],
      ['a renewal needs a reason: why must the guard stay bypassed?', () => renewException(registry, 'EX-13', { expires: '2026-12-01', by: 'bob' }, rules)],
      ['expiry 2027-02-01 is 109 days ahead; an exception may run at most 90 days (until 2027-01-13, defaults.max_exception_days): renew it when it runs out instead', () => renewException(registry, 'EX-13', { expires: '2027-02-01', reason: 'r', by: 'bob' }, rules)],
      ['expiry 2026-10-01 is in the past (today is 2026-10-15): an exception must run until today or later', () => renewException(registry, 'EX-13', { expires: '2026-10-01', reason: 'r', by: 'bob' }, rules)],
      ['exception EX-13 expires on 2026-12-31 already: give another date', () => renewException(registry, 'EX-13', { expires: '2026-12-31', reason: 'r', by: 'bob' }, rules)],
      ['a revocation needs a reason', () => revokeException(registry, 'EX-13', { reason: '', by: 'bob' }, rules)],
    ];
    // Act, Assess
    for (const [message, work] of cases) expect(await refusal(work)).toBe(message);
    expect((await registry.get('EX-13'))?.renewals).toEqual([]);
    expect((await registry.list()).map((e) => [e.id, e.status])).toEqual([
      ['EX-13', 'active'],
      ['EX-14', 'revoked'],
    ]);
  });

  it('records two concurrent renewals one after the other, none lost', async () => {
    const { registry } = await open();
    await addException(registry, request, rules);
    await Promise.all([
      renewException(registry, 'EX-13', { expires: '2027-01-05', reason: 'first', by: 'bob' }, rules),
      renewException(registry, 'EX-13', { expires: '2027-01-10', reason: 'second', by: 'carol' }, rules),
    ]);
    const { renewals, expires } = (await registry.get('EX-13'))!;
    expect(renewals).toHaveLength(2);
    expect(renewals[0].from_expires).toBe('2026-12-31');
    expect(renewals[1].from_expires).toBe(renewals[0].to_expires);
    expect(expires).toBe(renewals[1].to_expires);
  });

  it('seeds the config entries as they stand, expired ones too, once, without overwriting the registry', async () => {
    // Prepare
    const { registry } = await open();
    const config = validateConfig({
      exceptions: [
        { id: 'EX-12', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31' },
        { id: 'EX-7', guard: 'pii-redaction', reason: 'migration', owner: 'carol@example.com', expires: '2026-09-30' },
      ],
    });
    // Act
    const first = await loadRegistry(registry, config.exceptions, NOW);
    const second = await loadRegistry(registry, config.exceptions, NOW + 60_000);
    await renewException(registry, 'EX-12', { expires: '2027-01-10', reason: 'still needed', by: 'alice' }, rules);
    const third = await loadRegistry(registry, config.exceptions, NOW + 120_000);
    // Assess
    expect(first.added).toEqual(['EX-12', 'EX-7']);
    expect(first.exceptions.get('EX-7')).toMatchObject({ expires: '2026-09-30', status: 'active', origin: 'config', created_by: 'config', created_at: '2026-10-15T12:00:00.000Z' });
    expect(second.added).toEqual([]);
    expect(second.differing).toEqual([]);
    expect(second.exceptions.get('EX-12')?.created_at).toBe('2026-10-15T12:00:00.000Z');
    expect(third.exceptions.get('EX-12')?.expires).toBe('2027-01-10');
    expect(third.differing).toEqual([{ id: 'EX-12', fields: ['expires'] }]);
  });

  it('matches, lists and revokes a record stored before guard names were redacted, by its guard as bypass lines name it', async () => {
    // Prepare: records as a version before 4f69f36 stored them, the guard as written.
    const config = validateConfig({
      redact: { patterns: [{ name: 'vault-path', regex: 'vault/[a-z]+' }] },
      exceptions: [{ id: 'EX-30', guard: 'password:policy', reason: 'legacy import', owner: 'alice@example.com', expires: '2026-12-31' }],
    });
    const { registry, states } = await open({ redact: config.redact });
    const stored = { reason: 'legacy import', owner: 'alice@example.com', expires: '2026-12-31', status: 'active', created_at: '2026-09-01T00:00:00.000Z', created_by: 'bob', origin: 'cli', renewals: [], bypass_count: 0 } as const;
    await registry.add({ ...stored, id: 'EX-30', guard: 'password:policy' });
    await registry.add({ ...stored, id: 'EX-31', guard: 'export vault/payroll' });
    const events = ['password:policy', 'export vault/payroll'].flatMap((guard, i) => {
      const line = JSON.stringify({ type: 'guard.bypass', ts: `2026-10-15T09:3${i}:00Z`, actor: 'importer', guard, exception_id: `EX-3${i}` });
      const outcome = parseLine(line, { source: { origin: 'test', line: i + 1 }, now: NOW, redactor: redactorFor(config) });
      if (outcome.kind !== 'events') throw new Error(`line ${i + 1} was not parsed: ${outcome.kind}`);
      return outcome.events;
    });
    const asLogged = events.map((e) => (e.body as GuardBypass).guard);
    // Act
    const seeded = await loadRegistry(registry, config.exceptions, NOW);
    const exceptions = await registryForBatch(events, registry, config, { now: () => NOW });
    const { findings } = await processBatch(events, REDUCERS, states, { config, clock: { now: () => NOW }, exceptions });
    const listed = await registry.list();
    const revoked = await revokeException(registry, 'EX-30', { reason: 'import rewritten', by: 'alice' }, rules);
    // Assess
    expect(asLogged).toEqual([expect.stringMatching(/^password:\[REDACTED:secret-assignment\]#/), 'export [REDACTED:vault-path]']);
    expect(seeded.differing).toEqual([]);
    expect(findings).toEqual([]);
    expect(listed.map((e) => [e.id, e.guard, e.bypass_count])).toEqual([
      ['EX-30', asLogged[0], 1],
      ['EX-31', asLogged[1], 1],
    ]);
    expect([revoked.guard, revoked.status]).toEqual([asLogged[0], 'revoked']);
    expect(await registry.get('EX-30')).toMatchObject({ guard: asLogged[0], status: 'revoked', bypass_count: 1 });
  });
});

describe('bypass counting against DynamoDB Local', () => {
  function bypassBatch(b: number, n: number): AuditEvent[] {
    return Array.from({ length: n }, (_, i) => ({
      at: Date.parse('2026-10-15T00:00:00Z') + (b * n + i) * 60_000,
      body: { type: 'guard.bypass' as const, guard: 'pii-redaction', exception_id: i % 2 === 0 ? 'EX-12' : 'EX-7' },
      source: { origin: '/aws/lambda/support-bot', logStream: 'stream', line: i + 1, eventId: `b${b}-e${i}` },
      format: 'json',
    }));
  }

  it('counts exactly under 8 concurrent invocations, and not again when a batch is redelivered', async () => {
    // Prepare
    const { store, client, table } = await freshDynamoStore();
    const registry = new DynamoExceptionStore(client, table, { states: store });
    const config = validateConfig({
      exceptions: [
        { id: 'EX-12', guard: 'pii-redaction', reason: 'support', owner: 'alice@example.com', expires: '2026-12-31' },
        { id: 'EX-7', guard: 'pii-redaction', reason: 'migration', owner: 'carol@example.com', expires: '2026-09-30' },
      ],
    });
    const exceptions = (await loadRegistry(registry, config.exceptions, NOW)).exceptions;
    const ctx = { config, clock: { now: () => NOW }, exceptions };
    const batches = Array.from({ length: 8 }, (_, b) => bypassBatch(b, 10));
    // Act
    const results = await Promise.all(batches.map((events) => processBatch(events, REDUCERS, store, ctx)));
    const redelivered = await processBatch(batches[3], REDUCERS, store, ctx);
    // Assess
    const state = (await store.load([guardStateKey('pii-redaction')])).get(guardStateKey('pii-redaction'))!.state as GuardState;
    expect(state.bypasses).toBe(80);
    expect(state.outcomes).toEqual({ covered: 40, unregistered: 0, expired: 40 });
    expect(results.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThan(0);
    expect(redelivered.findings).toEqual([]);
    expect(redelivered.conflicts).toBe(0);
    const listed = await registry.list();
    expect(listed.map((e) => [e.id, e.bypass_count])).toEqual([
      ['EX-12', 40],
      ['EX-7', 40],
    ]);
    expect(listed[0].last_bypass_at).toBe('2026-10-15T01:18:00Z');
    // The expired exception was reported once per cooldown, not 40 times.
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', detector: 'guard-exception-expired' });
    expect(stored).toHaveLength(1);
  });
});
