import { describe, expect, it } from 'vitest';
import type { EventBody } from '../../lambdas/core/events.ts';
import { buildReport } from '../../lambdas/core/report/build-report.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import type { SubjectSnapshot } from '../../lambdas/core/report/subjects.ts';
import { CONFIG } from './report-fixtures.ts';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A root run of `agent` from `from` for `len` ms, calling each of `calls` in turn for `subLen` ms. */
interface Root {
  readonly agent: string;
  readonly from: number;
  readonly calls?: readonly string[];
  readonly len?: number;
  readonly subLen?: number;
}

/** The October 2026 coverage row of `name` after the roots ran (each in its own batch, judged when it ended). */
const octoberRowOf = async (name: string, roots: readonly Root[]) => {
  const store = new MemoryAuditStore();
  let line = 0;
  const event = (t: number, body: Record<string, unknown>) => ({ at: t, body: body as unknown as EventBody, source: { origin: 'agents.jsonl', line: ++line }, format: 'json' as const });
  for (const [i, { agent, from, calls = [], len = HOUR, subLen = 2000 }] of roots.entries()) {
    const run = `${agent}-${i}`;
    const lines = [event(from, { type: 'agent.start', agent, run_id: run }), event(from + 1000, { type: 'agent.action', agent, run_id: run, action: 'llm_call', cost_usd: 0.01 })];
    for (const [j, sub] of calls.entries()) {
      const t = from + 2000 + j * 3000;
      const id = `${run}.${j}`;
      lines.push(
        event(t, { type: 'agent.start', agent: sub, run_id: id, parent_run_id: run }),
        event(t + 1000, { type: 'agent.action', agent: sub, run_id: id, action: 'llm_call', cost_usd: 0.01 }),
        event(t + subLen, { type: 'agent.end', agent: sub, run_id: id, status: 'ok' }),
      );
    }
    lines.push(event(from + len, { type: 'agent.end', agent, run_id: run, status: 'ok' }));
    await processBatch(lines, REDUCERS, store, { config: CONFIG, clock: { now: () => from + len + 60_000 } });
  }
  const subjects: SubjectSnapshot[] = (await store.subjects('agent')).map((s) => ({ kind: 'agent', name: s.key.slice('agent#'.length), state: s.state }));
  const runs = (await Promise.all(subjects.map((s) => store.runs(`agent#${s.name}`, '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')))).flat();
  const report = buildReport({ month: '2026-10', findings: [], previousFindings: [], subjects, runs, config: CONFIG, clock: { now: () => at('2026-11-03T06:00:00Z') } });
  const row = report.coverage.rows.find((r) => r.name === name)!;
  return [row.status, row.reason];
};

/** `days` daily root runs of `agent` from `first`. */
const daily = (agent: string, first: string, days: number, calls?: readonly string[]): Root[] =>
  Array.from({ length: days }, (_, i) => ({ agent, from: at(first) + i * DAY, ...(calls ? { calls } : {}) }));

const UNDER_BOSS = 'ran as a sub-agent under boss in October 2026: its runs under another agent are not counted, only the months they were in and the latest are kept';

describe('an agent whose only October run was under another agent, crossing the month’s bounds', () => {
  it('shows it OK when that run started on 31 October 23:00 and ended on 1 November 00:30', async () => {
    // Prepare: helper ran daily in September on its own and under boss; in October boss called only writer,
    // then, in its root of 31 October 22:59:57, helper for 90 minutes; helper ran on its own again on 2 November.
    const roots: Root[] = [
      ...daily('helper', '2026-09-01T10:00:00Z', 30),
      ...daily('boss', '2026-09-01T12:00:00Z', 30, ['helper']),
      ...daily('boss', '2026-10-01T10:00:00Z', 30, ['writer']),
      { agent: 'boss', from: at('2026-10-31T22:59:57Z'), calls: ['helper'], len: 2 * HOUR, subLen: 90 * 60_000 },
      { agent: 'helper', from: at('2026-11-02T10:00:00Z') },
    ];

    // Act
    const row = await octoberRowOf('helper', roots);

    // Assess
    expect(row).toEqual(['ok', UNDER_BOSS]);
  });

  it('shows it OK when that run went on from 29 September to 2 November', async () => {
    // Prepare: helper ran daily to 28 September on its own and under boss, then under boss from 29 September to 2 November.
    const roots: Root[] = [
      ...daily('helper', '2026-09-01T10:00:00Z', 28),
      ...daily('boss', '2026-09-01T12:00:00Z', 28, ['helper']),
      { agent: 'boss', from: at('2026-09-29T12:00:00Z'), calls: ['helper'], len: 34 * DAY, subLen: 33 * DAY + 20 * HOUR },
      { agent: 'helper', from: at('2026-11-02T10:00:00Z') },
    ];

    // Act
    const row = await octoberRowOf('helper', roots);

    // Assess
    expect(row).toEqual(['ok', UNDER_BOSS]);
  });
});
