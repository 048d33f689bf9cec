import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DETECTOR_IDS } from '../../lambdas/detectors/ids.ts';
import { DETECTOR_META, ROOT_RUN_DETECTORS, ROUTE_WINDOW_DETECTORS, TOOL_CALL_DETECTORS, TREE_DETECTORS } from '../../lambdas/detectors/index.ts';

const TEST_DIR = dirname(fileURLToPath(import.meta.url));
const DETECTOR_DIR = join(TEST_DIR, '../../lambdas/detectors');

const KINDS = [
  { kind: 'agent-tree', subjectKind: 'agent', detectors: TREE_DETECTORS },
  { kind: 'tool-call', subjectKind: 'tool', detectors: TOOL_CALL_DETECTORS },
  { kind: 'route-window', subjectKind: 'route', detectors: ROUTE_WINDOW_DETECTORS },
] as const;

describe('the agent detectors in the registry', () => {
  it.each(KINDS)('lists $kind detectors sorted by id, each once', ({ detectors }) => {
    // Prepare
    const ids = detectors.map((d) => d.meta.id);
    // Act, Assess
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('covers the six agent ids of contract §4', () => {
    const ids = KINDS.flatMap((k) => k.detectors.map((d) => d.meta.id)).sort();
    expect(ids).toEqual(['budget-exceeded', 'budget-undercount', 'cost-outlier', 'retry-latency', 'retry-rate', 'tool-arg-invalid']);
  });

  describe.each(KINDS.flatMap(({ kind, subjectKind, detectors }) => detectors.map((d) => ({ id: d.meta.id, kind, subjectKind, detector: d }))))('$id', ({ id, kind, subjectKind, detector }) => {
    it('is a known id of its kind and subject kind, indexed by id', () => {
      expect(DETECTOR_IDS).toContain(id);
      expect(detector.kind).toBe(kind);
      expect(detector.meta.subjectKind).toBe(subjectKind);
      expect(DETECTOR_META.get(id)).toBe(detector.meta);
    });

    it('has a description and all four 5 Cs texts', () => {
      const { description, fiveCs } = detector.meta;
      for (const text of [description, fiveCs.criteria, fiveCs.cause, fiveCs.consequence, fiveCs.correctiveAction]) expect(text.trim()).not.toBe('');
    });

    it('lives in its own file and has its own test file', () => {
      expect(existsSync(join(DETECTOR_DIR, `${id}.ts`)), `lambdas/detectors/${id}.ts`).toBe(true);
      expect(existsSync(join(TEST_DIR, `${id}.test.ts`)), `test/detectors/${id}.test.ts`).toBe(true);
    });
  });
});

describe('the job detectors that judge an agent root run', () => {
  it('are empty-output, run-failed and run-unfinished, with the job detector\'s id and 5 Cs, for agents, indexed once (as the job detector)', () => {
    // Prepare
    const ids = ROOT_RUN_DETECTORS.map((d) => d.meta.id);
    // Act, Assess
    expect(ids).toEqual(['empty-output', 'run-failed', 'run-unfinished']);
    for (const detector of ROOT_RUN_DETECTORS) {
      const job = DETECTOR_META.get(detector.meta.id);
      expect(detector.kind).toBe('agent-tree');
      expect(detector.meta.subjectKind).toBe('agent');
      expect(job?.subjectKind).toBe('job');
      expect(detector.meta.fiveCs).toBe(job?.fiveCs);
    }
  });
});
