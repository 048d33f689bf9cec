import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanToStore } from '../../lambdas/cli/scan-command.ts';
import type { AuditStore, OpenedStore } from '../../lambdas/cli/stores.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { readOnlyView } from '../../lambdas/mcp/audit-view.ts';
import type { ExceptionStore } from '../../lambdas/ports.ts';
import { CONFIG, connectClient, fixtureMonthFiles, NOW, quietStream } from './fixture-month.ts';

/** Every method of the stores that changes something. */
const WRITES = ['commit', 'markAlerted', 'claimAlert', 'releaseAlert', 'writeBack', 'add', 'renew', 'revoke'];

/** The store as given, with every method call it receives written down by name. */
function recording<T extends object>(target: T, calls: string[]): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return value.apply(receiver, args);
      };
    },
  });
}

/** What the store holds: each subject's state version, each finding with its alerted mark, the registry's records. */
async function holdings(store: AuditStore, exceptions: ExceptionStore) {
  const kinds = [...new Set(REDUCERS.map((r) => r.stateKind ?? r.kind))];
  const states = (await Promise.all(kinds.map((k) => store.subjects(k)))).flat().map((s) => `${s.key}@${s.version}`);
  const findings = (await store.query({ from: '2026-09-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })).map((f) => `${f.key}|${f.alerted}`);
  return { states: states.sort(), findings: findings.sort(), registry: await exceptions.listRecords() };
}

let opened: OpenedStore;

beforeAll(async () => {
  const scanned = await scanToStore({ paths: fixtureMonthFiles(), config: CONFIG, now: NOW, stderr: quietStream() });
  if (!scanned.ok) throw new Error(scanned.error);
  opened = scanned.opened;
});

afterAll(async () => {
  await opened?.close();
});

describe('silent-audit mcp is read-only by design', () => {
  it('hands the tools a frozen view that holds read methods only', () => {
    // Act
    const view = readOnlyView({ store: opened.store, exceptions: opened.exceptions, config: CONFIG, clock: { now: () => NOW }, source: 'test' });

    // Assess
    expect(Object.keys(view).sort()).toEqual(['config', 'exceptions', 'findings', 'now', 'runRetentionDays', 'runs', 'source', 'subjects']);
    expect(Object.isFrozen(view)).toBe(true);
    for (const write of WRITES) expect(write in view).toBe(false);
  });

  it('calling every tool, with and without filters, calls no write and leaves states, findings and the registry as they were', async () => {
    // Prepare
    const storeCalls: string[] = [];
    const registryCalls: string[] = [];
    const view = readOnlyView({
      store: recording(opened.store, storeCalls),
      exceptions: recording(opened.exceptions!, registryCalls),
      config: CONFIG,
      clock: { now: () => NOW },
      source: 'test',
    });
    const before = await holdings(opened.store, opened.exceptions!);
    const mcp = await connectClient(view);
    const { tools } = await mcp.client.listTools();
    const calls: [string, Record<string, unknown>][] = [
      ['list_subjects', {}],
      ['list_subjects', { kind: 'job', status: 'FINDINGS' }],
      ['subject_status', { subject: 'nightly-backup' }],
      ['subject_status', { subject: 'support-bot', runs: 1 }],
      ['subject_status', { subject: 'search-api' }],
      ['subject_status', { subject: 'pii-redaction' }],
      ['find_findings', { since: '30d' }],
      ['find_findings', { detector: 'missed-run', subject: 'etl-loader', min_severity: 'high', since: '2026-10-01', until: '2026-10-16' }],
      ['find_overdue', {}],
      ['explain_finding', { id: '2026-10-08T03:10:00Z#empty-output#nightly-backup#nb-08' }],
      ['explain_finding', { id: '2026-10-15T10:00:00Z#guard-bypass-unregistered#approval-step#' }],
      ['list_exceptions', { include_revoked: true }],
    ];

    // Act
    const results = [];
    for (const [name, args] of calls) results.push(await mcp.client.callTool({ name, arguments: args }));
    await mcp.close();
    const after = await holdings(opened.store, opened.exceptions!);

    // Assess
    expect(new Set(calls.map(([name]) => name))).toEqual(new Set(tools.map((t) => t.name)));
    expect(results.filter((r) => r.isError)).toEqual([]);
    expect(new Set(storeCalls)).toEqual(new Set(['subjects', 'query', 'runs']));
    expect(new Set(registryCalls)).toContain('list');
    expect([...storeCalls, ...registryCalls].filter((c) => WRITES.includes(c))).toEqual([]);
    expect(after).toEqual(before);
    expect(before.states.length).toBeGreaterThan(20);
    expect(before.findings.length).toBe(25);
  });
});
