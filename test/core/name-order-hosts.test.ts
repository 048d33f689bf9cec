import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const lambdas = (path: string) => fileURLToPath(new URL(`../../lambdas/${path}`, import.meta.url));

/**
 * Ties broken by name, worked out in a Node whose locale is `locale` (LC_ALL, LANG): `localeCompare`
 * without a locale takes it, and under Turkish collation `Ima` comes before `ilk` (before it, not after).
 */
function tiesUnder(locale: string): unknown {
  const script = `
    const { namesMeant } = await import(${JSON.stringify(lambdas('core/edit-distance.ts'))});
    const { topActions } = await import(${JSON.stringify(lambdas('core/agent-format.ts'))});
    const { narrowCause } = await import(${JSON.stringify(lambdas('core/report/causes.ts'))});
    const finding = (keyword) => ({ detector: 'error-keywords', subject: 'job:a', ts: '2026-10-01T00:00:00Z', evidence: { keyword } });
    const { reviewExceptions } = await import(${JSON.stringify(lambdas('core/report/sections.ts'))});
    const { monthSpan } = await import(${JSON.stringify(lambdas('core/report/month.ts'))});
    const { DEFAULT_CONFIG } = await import(${JSON.stringify(lambdas('config.ts'))});
    const { listExceptionsTool } = await import(${JSON.stringify(lambdas('mcp/tools/list-exceptions.ts'))});
    const bypass = (guard) => ({ detector: 'guard-bypass-unregistered', subject: guard, ts: '2026-10-01T00:00:00Z' });
    const unregistered = reviewExceptions({ exceptions: [], config: DEFAULT_CONFIG, findings: [bypass('Ima'), bypass('ilk')], generatedAtMs: Date.parse('2026-11-01T00:00:00Z'), span: monthSpan('2026-10') }).unregistered.map((u) => u.guard);
    const guardState = (guard) => ({ state: { guard, bypasses: 1, outcomes: {}, withoutException: 1, lastAt: undefined } });
    const view = { now: () => Date.parse('2026-11-01T00:00:00Z'), exceptions: async () => [], subjects: async () => [guardState('Ima'), guardState('ilk')], config: DEFAULT_CONFIG };
    const listed = (await listExceptionsTool.run(view, {})).result.guards.map((g) => g.guard);
    console.log(JSON.stringify({
      unregistered,
      listed,
      meant: namesMeant('ila', ['Ima', 'ilk']),
      actions: topActions([{ by_action: { 'tool:Ima': [1, 0], 'tool:ilk': [1, 0] } }], 'actions').map((a) => a.action),
      markers: narrowCause({ findings: [finding('Ima'), finding('ilk')], subjectRuns: [], alsoOnSameRuns: [] }).find((line) => line.startsWith('Markers')),
    }));`;
  const env = { ...process.env, LC_ALL: locale, LANG: locale };
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

describe('names that tie, in the same order on every host', () => {
  it('lists did-you-mean names, top actions, markers, the report\'s unregistered guards and list_exceptions\' guards alike under LC_ALL=tr_TR.UTF-8 and C (ilk before Ima)', () => {
    // Act
    const turkish = tiesUnder('tr_TR.UTF-8');
    const c = tiesUnder('C');
    // Assess
    expect(turkish).toEqual(c);
    expect(c).toEqual({ unregistered: ['ilk', 'Ima'], listed: ['ilk', 'Ima'], meant: ['ilk', 'Ima'], actions: ['tool:ilk', 'tool:Ima'], markers: 'Markers seen: "ilk" ×1, "Ima" ×1.' });
  });
});
