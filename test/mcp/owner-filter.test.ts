import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanToStore } from '../../lambdas/cli/scan-command.ts';
import type { OpenedStore } from '../../lambdas/cli/stores.ts';
import { readOnlyView } from '../../lambdas/mcp/audit-view.ts';
import { CONFIG, connectClient, errorText, fixtureMonthFiles, NOW, quietStream, structured } from './fixture-month.ts';

let opened: OpenedStore;
let mcp: Awaited<ReturnType<typeof connectClient>>;

beforeAll(async () => {
  const scanned = await scanToStore({ paths: fixtureMonthFiles(), config: CONFIG, now: NOW, stderr: quietStream() });
  if (!scanned.ok) throw new Error(scanned.error);
  opened = scanned.opened;
  mcp = await connectClient(readOnlyView({ store: opened.store, exceptions: opened.exceptions, config: CONFIG, clock: { now: () => NOW }, source: 'the fixture month' }));
});

afterAll(async () => {
  await mcp?.close();
  await opened?.close();
});

describe('MCP owner filter', () => {
  it('list_subjects with owner lists only that owner’s subjects, as configured; none the unowned', async () => {
    // Act
    const all = structured<{ subjects: { kind: string; name: string; owner?: string }[] }>(await mcp.call('list_subjects', {}));
    const team = structured<{ subjects: { name: string }[] }>(await mcp.call('list_subjects', { owner: 'data-platform@example.com' }));
    const none = structured<{ subjects: { name: string; owner?: string }[] }>(await mcp.call('list_subjects', { owner: 'none' }));

    // Assess
    expect(team.subjects.map((s) => s.name)).toEqual(['etl-loader']);
    expect(none.subjects.length).toBeGreaterThan(0);
    expect(none.subjects.every((s) => s.owner === undefined)).toBe(true);
    expect(none.subjects.length).toBe(all.subjects.filter((s) => s.owner === undefined).length);
  });

  it('find_findings with owner finds only the findings of that owner’s subjects', async () => {
    // Act
    const all = structured<{ findings: { subject: string }[] }>(await mcp.call('find_findings', { since: '2026-10-01' }));
    const team = structured<{ total: number; findings: { subject: string }[] }>(await mcp.call('find_findings', { since: '2026-10-01', owner: 'data-platform@example.com' }));

    // Assess
    expect(team.total).toBeGreaterThan(0);
    expect(team.findings.every((f) => f.subject === 'etl-loader')).toBe(true);
    expect(team.total).toBe(all.findings.filter((f) => f.subject === 'etl-loader').length);
  });

  it('refuses an owner no subject has, as it refuses an unknown subject, naming the nearest owner', async () => {
    // Act
    const findings = await mcp.call('find_findings', { since: '2026-10-01', owner: 'data-platfrom@example.com' });
    const subjects = await mcp.call('list_subjects', { owner: 'Data-Platform@example.com' });

    // Assess
    for (const answer of [findings, subjects]) {
      expect(answer.isError).toBe(true);
      expect(errorText(answer)).toMatch(/no subject has owner ".+" \(did you mean "data-platform@example\.com"\?\); the owners configured are: /);
    }
  });
});

