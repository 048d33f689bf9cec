import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { sweepAgentRoots } from '../../lambdas/core/agent-sweep.ts';
import { DETECTOR_META } from '../../lambdas/detectors/index.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { processBatch, type ReduceContext } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { T0, act, acts, end, start } from './agent-fixtures.ts';

const HOUR = 3_600_000;
const at = (config: ReturnType<typeof validateConfig>, hours: number): ReduceContext => ({ config, clock: { now: () => T0 + hours * HOUR } });
const brief = (findings: readonly Finding[]) => findings.map((f) => `${f.detector} ${f.subject} ${f.run_id}`);

describe('run-unfinished for agent root runs that never end', () => {
  it('reports a root run with no agent.end past 1 h once, naming its start and bound, and not again when it ends', async () => {
    // Prepare: planner ne-1 starts, its coder sub-agent ends ok, the root never logs its end.
    const config = validateConfig({ agents: { planner: { budget: { max_actions: 40 } } } });
    const store = new MemoryAuditStore();
    await processBatch([start(0, 'planner', 'ne-1'), ...acts(1, 1, 'planner', 'ne-1'), start(2, 'coder', 'ne-1.c', { parent_run_id: 'ne-1' }), ...acts(1, 3, 'coder', 'ne-1.c'), end(9, 'coder', 'ne-1.c')], REDUCERS, store, at(config, 0));
    // Act: sweeps at 6 h and 7 h, then the root's end comes after all.
    const first = await sweepAgentRoots(store, at(config, 6));
    const second = await sweepAgentRoots(store, at(config, 7));
    const ended = await processBatch([end(8 * 3600, 'planner', 'ne-1')], REDUCERS, store, at(config, 8));
    // Assess
    expect(brief(first.findings)).toEqual(['run-unfinished planner ne-1']);
    expect(first.findings[0]).toMatchObject({ subject_kind: 'agent', severity: 'high' });
    expect(first.findings[0].message).toBe('run ne-1 started 2026-10-05T10:00:00Z has logged no end after 6.0 h (max runtime 1.0 h, default 1 h)');
    expect(first.findings[0].evidence).toMatchObject({ started_at: '2026-10-05T10:00:00Z', max_runtime_ms: HOUR, max_runtime_source: 'default 1 h' });
    expect(second.findings).toEqual([]);
    expect(brief(ended.findings)).toEqual([]);
  });

  it('names the sub-agent that never ended, and holds the root to agents.<name>.max_runtime_minutes', async () => {
    // Prepare: the root ends, its researcher never does; the planner may run 3 h.
    const config = validateConfig({ agents: { planner: { max_runtime_minutes: 180 } } });
    const store = new MemoryAuditStore();
    await processBatch([start(0, 'planner', 'pn-1'), start(2, 'researcher', 'pn-1.r', { parent_run_id: 'pn-1' }), ...acts(2, 3, 'researcher', 'pn-1.r'), end(10, 'planner', 'pn-1')], REDUCERS, store, at(config, 0));
    // Act: within its bound at 2 h (quiet, judged stale), past it at 4 h.
    const within = await sweepAgentRoots(store, at(config, 2));
    const past = await sweepAgentRoots(store, at(config, 4));
    const later = await sweepAgentRoots(store, at(config, 5));
    // Assess
    expect(brief(within.findings)).toEqual([]);
    expect(brief(past.findings)).toEqual(['run-unfinished planner pn-1']);
    expect(past.findings[0].message).toBe(
      'run pn-1 started 2026-10-05T10:00:00Z ended, but its sub-agent researcher pn-1.r has logged no end after 4.0 h (max runtime 3.0 h, configured)',
    );
    expect(past.findings[0].evidence).toMatchObject({ unended_run_id: 'pn-1.r', unended_agent: 'researcher', max_runtime_source: 'configured' });
    expect(later.findings).toEqual([]);
  });

  it('holds a root to 3x the median duration of its agent\'s root runs when that is over 1 h', async () => {
    // Prepare: five 2-hour runs, then one that never ends.
    const config = validateConfig({});
    const store = new MemoryAuditStore();
    for (let i = 0; i < 5; i++) {
      const from = i * 3 * 3600;
      await processBatch([start(from, 'digest', `d-${i}`), ...acts(1, from + 1, 'digest', `d-${i}`), end(from + 2 * 3600, 'digest', `d-${i}`)], REDUCERS, store, at(config, i * 3 + 2));
    }
    await processBatch([start(15 * 3600, 'digest', 'd-5'), ...acts(1, 15 * 3600 + 1, 'digest', 'd-5')], REDUCERS, store, at(config, 15));
    // Act: 5 h after its start (stale, within 6 h), then 7 h after.
    const within = await sweepAgentRoots(store, at(config, 20));
    const past = await sweepAgentRoots(store, at(config, 22));
    // Assess
    expect(within.findings).toEqual([]);
    expect(brief(past.findings)).toEqual(['run-unfinished digest d-5']);
    expect(past.findings[0].message).toContain('(max runtime 6.0 h, 3× the median duration)');
  });
});

describe('run-unfinished reports one hang once, wherever it is seen from', () => {
  it('reports a stuck sub-agent judged alone once, not again under its parent whose lines come late, nor when it ends', async () => {
    // Prepare: coder c-1 names parent p-1, not seen yet, and never ends; p-1's start and end come two hours late.
    const config = validateConfig({});
    const store = new MemoryAuditStore();
    await processBatch([start(60, 'coder', 'c-1', { parent_run_id: 'p-1' }), act(65, 'coder', 'c-1')], REDUCERS, store, at(config, 0));
    // Act
    const alone = await sweepAgentRoots(store, at(config, 65 / 60));
    const late = await processBatch([start(0, 'planner', 'p-1'), act(30, 'planner', 'p-1'), end(120, 'planner', 'p-1')], REDUCERS, store, at(config, 2.05));
    const underParent = [...(await sweepAgentRoots(store, at(config, 125 / 60))).findings, ...(await sweepAgentRoots(store, at(config, 4))).findings];
    const ended = await processBatch([end(5 * 3600, 'coder', 'c-1')], REDUCERS, store, at(config, 5));
    const after = await sweepAgentRoots(store, at(config, 6));
    // Assess
    expect(brief(alone.findings)).toEqual(['run-unfinished coder c-1']);
    expect(brief(late.findings)).toEqual([]);
    expect(brief(underParent)).toEqual([]);
    expect(brief([...ended.findings, ...after.findings]).filter((b) => b.startsWith('run-unfinished'))).toEqual([]);
  });

  it('reports a parent that hangs after a sub-agent under it was reported alone and then ended: two hangs, each once', async () => {
    // Prepare: coder c-1 names parent p-1, not seen yet, hangs (reported alone) and ends at 90 min; p-1 started before it and never ends.
    const config = validateConfig({});
    const store = new MemoryAuditStore();
    await processBatch([start(60, 'coder', 'c-1', { parent_run_id: 'p-1' }), act(65, 'coder', 'c-1')], REDUCERS, store, at(config, 0));
    const alone = await sweepAgentRoots(store, at(config, 65 / 60));
    await processBatch([end(90 * 60, 'coder', 'c-1')], REDUCERS, store, at(config, 1.5));
    // Act
    await processBatch([start(0, 'planner', 'p-1'), act(30, 'planner', 'p-1'), act(100 * 60, 'planner', 'p-1')], REDUCERS, store, at(config, 1.7));
    const later: Finding[] = [];
    for (let h = 2; h <= 6; h++) later.push(...(await sweepAgentRoots(store, at(config, h))).findings);
    // Assess: c-1's hang once, alone; p-1's own hang once, under its own name
    expect(brief(alone.findings)).toEqual(['run-unfinished coder c-1']);
    expect(brief(later).filter((b) => b.startsWith('run-unfinished'))).toEqual(['run-unfinished planner p-1']);
  });

  it('reports at its end a root that ended past its max runtime when no sweep saw it open past it, as the sweep would (same ts), once', async () => {
    // Prepare: digest d-1 acts every 5 minutes and ends ok after 1 h 45 min; d-2 the same, swept every 5 minutes.
    const config = validateConfig({});
    const store = new MemoryAuditStore();
    const busy = (runId: string) => [start(0, 'digest', runId), ...Array.from({ length: 21 }, (_, i) => act(i * 300 + 30, 'digest', runId))];
    await processBatch(busy('d-1'), REDUCERS, store, at(config, 1.75));
    const swept = new MemoryAuditStore();
    await processBatch(busy('d-2').slice(0, 2), REDUCERS, swept, at(config, 0));
    const sweptFindings: Finding[] = [];
    for (let m = 5; m <= 100; m += 5) {
      await processBatch(busy('d-2').filter((e) => e.at > T0 + (m - 5) * 60_000 && e.at <= T0 + m * 60_000), REDUCERS, swept, at(config, m / 60));
      sweptFindings.push(...(await sweepAgentRoots(swept, at(config, m / 60))).findings);
    }
    // Act
    const ended = await processBatch([end(105 * 60, 'digest', 'd-1')], REDUCERS, store, at(config, 1.75));
    const sweptEnd = await processBatch([end(105 * 60, 'digest', 'd-2')], REDUCERS, swept, at(config, 1.75));
    // Assess
    expect(brief(ended.findings)).toEqual(['run-unfinished digest d-1']);
    expect(ended.findings[0]).toMatchObject({ subject_kind: 'agent', ts: '2026-10-05T11:00:00Z', severity: 'high' });
    expect(ended.findings[0].message).toBe('run d-1 started 2026-10-05T10:00:00Z logged no end until 2026-10-05T11:45:00Z, after 1.8 h (max runtime 1.0 h, default 1 h)');
    expect(sweptFindings.map((f) => [f.detector, f.run_id, f.ts])).toEqual([['run-unfinished', 'd-2', '2026-10-05T11:00:00Z']]);
    expect(brief(sweptEnd.findings)).toEqual([]);
  });

  it('names at its end the sub-agent that ended past the root\'s max runtime', async () => {
    // Prepare: planner p-2 ends after 10 minutes, its researcher after 90.
    const config = validateConfig({});
    const store = new MemoryAuditStore();
    // Act
    const { findings } = await processBatch(
      [start(0, 'planner', 'p-2'), start(5, 'researcher', 'p-2.r', { parent_run_id: 'p-2' }), act(6, 'researcher', 'p-2.r'), end(600, 'planner', 'p-2'), end(90 * 60, 'researcher', 'p-2.r')],
      REDUCERS,
      store,
      at(config, 1.5),
    );
    // Assess
    expect(brief(findings)).toEqual(['run-unfinished planner p-2']);
    expect(findings[0].message).toBe(
      'run p-2 started 2026-10-05T10:00:00Z ended, but its sub-agent researcher p-2.r logged no end until 2026-10-05T11:30:00Z, after 1.5 h (max runtime 1.0 h, default 1 h)',
    );
    expect(findings[0].evidence).toMatchObject({ unended_run_id: 'p-2.r', unended_agent: 'researcher' });
  });

  it('reports a parent_run_id cycle that never ends, judged as the root of its own tree', async () => {
    // Prepare: x-1 names x-2 as its parent and x-2 names x-1; neither ends.
    const config = validateConfig({});
    const store = new MemoryAuditStore();
    await processBatch([start(0, 'a', 'x-1', { parent_run_id: 'x-2' }), start(10, 'a', 'x-2', { parent_run_id: 'x-1' }), act(20, 'a', 'x-1'), act(30, 'a', 'x-2')], REDUCERS, store, at(config, 0));
    // Act
    const stale = await sweepAgentRoots(store, at(config, 1.5));
    const past = await sweepAgentRoots(store, at(config, 2));
    const later = await sweepAgentRoots(store, at(config, 3));
    // Assess
    expect(brief(stale.findings)).toEqual(['run-unfinished a x-1']);
    expect(stale.findings[0].message).toContain('(judged as the root of its own tree: its parent run x-2 is a run of its own tree (parent_run_id cycle x-1 → x-2 → x-1))');
    expect([...past.findings, ...later.findings]).toEqual([]);
  });
});

describe('run-unfinished 5 Cs', () => {
  it('says how the agent rule judges a root and what its default bound is taken from', () => {
    // Prepare / Act
    const criteria = DETECTOR_META.get('run-unfinished')?.fiveCs.criteria;
    // Assess
    expect(criteria).not.toContain('Judged only for jobs');
    expect(criteria).toContain("a job's successful runs, an agent's ended root runs");
    expect(criteria).toContain('agent root runs');
  });
});
