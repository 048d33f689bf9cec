import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReport } from '../../lambdas/cli/report-command.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import type { FindingGroup } from '../../lambdas/core/report/model.ts';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d.toString()));
  return { stream, text: () => text };
}

/** November 2026's report (made 7 December) of the given log lines, as JSON, with its Markdown. */
async function november(lines: readonly object[]): Promise<{ groups: readonly FindingGroup[]; markdown: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'silent-audit-five-cs-'));
  const log = join(dir, 'app.jsonl');
  writeFileSync(log, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const run = (format: 'json' | undefined, out = capture()) =>
    runReport({ month: '2026-11', format, paths: [log], config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-12-07T00:00:00Z') }, stdout: out.stream, stderr: capture().stream }).then((r) => ({ r, out }));
  const json = await run('json');
  const md = await run(undefined);
  return { groups: json.r.report?.findings ?? [], markdown: md.out.text() };
}

/** One run of ops-loop on 3 November with a budget of 5 actions per tick, 9 in tick 2, and no cost logged. */
function tickRunWithoutCost(): object[] {
  const base = { agent: 'ops-loop', run_id: 'ol-1' };
  const at = (s: number) => `2026-11-03T09:00:${String(s).padStart(2, '0')}.000Z`;
  const ticks = [4, 5, 9, 3];
  const lines: object[] = [{ type: 'agent.start', ts: at(0), ...base, budget: { max_actions: 5, scope: 'tick' } }];
  let s = 1;
  ticks.forEach((n, tick) => {
    for (let i = 0; i < n; i++) lines.push({ type: 'agent.action', ts: at(s++), ...base, action: 'tool_call', name: 'check', tick });
  });
  lines.push({ type: 'agent.end', ts: at(s), ...base, status: 'ok' });
  return lines;
}

describe('the 5 Cs cards of a built report', () => {
  it("shows a tick budget's run cost on its card, though the tick over the budget logged none", async () => {
    // Prepare: the tick run above, each action of ticks 0, 1 and 3 costing $0.01 (12 of them), those of tick 2 (9, over the budget) none
    const lines = tickRunWithoutCost().map((l) => {
      const line = l as { type: string; tick?: number };
      return line.type === 'agent.action' && line.tick !== 2 ? { ...line, cost_usd: 0.01 } : line;
    });

    // Act
    const { groups } = await november(lines);

    // Assess
    const group = groups.find((g) => g.detector === 'budget-exceeded' && g.subject === 'ops-loop');
    expect(group?.consequence.costUsd).toBeCloseTo(0.12, 10);
    expect(group?.consequence.notes).toContain('Cost of the affected runs: $0.12.');
  });

  it('shows no cost for an agent whose runs logged none, on its card and in the budget table', async () => {
    // Prepare
    const lines = tickRunWithoutCost();

    // Act
    const { groups, markdown } = await november(lines);

    // Assess
    const group = groups.find((g) => g.detector === 'budget-exceeded' && g.subject === 'ops-loop');
    expect(group?.consequence.costUsd).toBeUndefined();
    expect(group?.consequence.notes.join('\n')).not.toMatch(/Cost of the affected runs/);
    expect(markdown).not.toMatch(/tick_cost_usd|\$0\.00/);
  });

  it('claims no duration for a single occurrence, and times one still happening to its last failing run, not to the month\'s end', async () => {
    // Prepare: the tick run above; and nightly, which runs daily from 1 November, fails on the 3rd and 10th, and whose runs stop after the 10th
    const job = (day: number, exit_code: number) => {
      const ts = (m: number) => `2026-11-${String(day).padStart(2, '0')}T02:0${m}:00Z`;
      return [
        { type: 'run.start', ts: ts(0), job: 'nightly', run_id: `n-${day}` },
        { type: 'run.end', ts: ts(5), job: 'nightly', run_id: `n-${day}`, exit_code, duration_ms: 300_000, output_bytes: 100 },
      ];
    };
    const nightly = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((day) => job(day, day === 3 || day === 10 ? 2 : 0));

    // Act
    const { groups } = await november([...tickRunWithoutCost(), ...nightly]);

    // Assess
    const tick = groups.find((g) => g.detector === 'budget-exceeded' && g.subject === 'ops-loop');
    expect(tick?.consequence.notes.join('\n')).not.toMatch(/Lasted/);
    expect(tick?.consequence.notes).toContain('Happened once, on 2026-11-03, and nothing after it showed it stopped: still happening at the end of the month.');
    const failed = groups.find((g) => g.detector === 'run-failed' && g.subject === 'nightly');
    expect(failed?.consequence.persisted).toMatchObject({ from: '2026-11-03T02:05:00Z', to: '2026-11-10T02:05:00Z', ongoing: true });
    expect(failed?.consequence.notes).toContain(
      'On 2 separate days, 7 days apart (2026-11-03 and 2026-11-10): not one stretch from the first to the last, and nothing after the last showed it stopped: still happening at the end of the month.',
    );
  });

  it('times a route\'s one-morning burst as one occurrence on that day, not the month\'s window as a second day still happening', async () => {
    // Prepare: 100 requests to llm-gateway, one every 30 s from 09:00:30 to 09:50 on 3 November, a third of them invalid
    const lines = Array.from({ length: 100 }, (_, i) => ({
      type: 'attempt',
      ts: new Date(Date.parse('2026-11-03T09:00:30Z') + i * 30_000).toISOString(),
      route: 'llm-gateway',
      request_id: `g${i}`,
      attempt: 1,
      outcome: i % 3 === 2 ? 'invalid' : 'ok',
      latency_ms: 400,
      status: 200,
    }));

    // Act
    const { groups } = await november(lines);

    // Assess: two hours, a day and the month fired; the day and the month hold the hours, which touch: one occurrence
    const group = groups.find((g) => g.detector === 'retry-rate' && g.subject === 'llm-gateway');
    expect(group?.condition.occurrences).toBe(4);
    expect(group?.condition.days).toEqual(['2026-11-03']);
    expect([group?.condition.firstAt, group?.condition.lastAt]).toEqual(['2026-11-03T09:14:59Z', '2026-11-03T10:14:59Z']);
    expect(group?.consequence.persisted).toEqual({ from: '2026-11-03T08:15:00Z', to: '2026-11-03T10:15:00Z', ms: 2 * 3_600_000, ongoing: false });
    expect(group?.consequence.notes.slice(0, 2)).toEqual(['1 occurrence in November 2026.', 'Happened once, on 2026-11-03.']);
    expect(group?.cause.narrowed[0]).toMatch(/^A single occurrence \(2026-11-03\): more likely a one-off/);
  });
});
