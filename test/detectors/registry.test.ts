import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DETECTOR_IDS } from '../../lambdas/detectors/ids.ts';
import { DETECTOR_META, RUN_DETECTORS } from '../../lambdas/detectors/index.ts';

const TEST_DIR = dirname(fileURLToPath(import.meta.url));
const DETECTOR_DIR = join(TEST_DIR, '../../lambdas/detectors');
const runIds = RUN_DETECTORS.map((d) => d.meta.id);

describe('the detector registry', () => {
  it('lists run detectors sorted by id, each once', () => {
    // Prepare
    const sorted = [...runIds].sort();

    // Act
    const unique = new Set(runIds);

    // Assess
    expect(runIds).toEqual(sorted);
    expect(unique.size).toBe(runIds.length);
  });

  it('runs empty-output before output-shrink, which stays quiet once empty-output fired', () => {
    // Prepare, Act
    const emptyAt = runIds.indexOf('empty-output');
    const shrinkAt = runIds.indexOf('output-shrink');

    // Assess
    expect(emptyAt).toBeGreaterThanOrEqual(0);
    expect(emptyAt).toBeLessThan(shrinkAt);
  });

  it('indexes the meta of every registered detector by id', () => {
    // Prepare, Act
    const indexed = RUN_DETECTORS.map((d) => DETECTOR_META.get(d.meta.id));

    // Assess
    expect(indexed).toEqual(RUN_DETECTORS.map((d) => d.meta));
  });

  it('registers a detector for every id of the contract (§4)', () => {
    const contract = [
      'empty-output', 'output-shrink', 'expected-pattern-missing', 'error-keyword', 'run-failed', 'duration-slow', 'duration-fast', 'missed-run', 'run-unfinished',
      'budget-exceeded', 'budget-undercount', 'cost-outlier', 'tool-arg-invalid', 'retry-rate', 'retry-latency', 'guard-bypass-unregistered', 'guard-exception-expired', 'audit-trail-drift',
    ];
    const registered = new Set(DETECTOR_META.keys());
    expect(contract.filter((id) => DETECTOR_IDS.includes(id as never))).toEqual(contract);
    expect([...registered].every((id) => DETECTOR_IDS.includes(id))).toBe(true);
  });

  describe.each([...DETECTOR_META.values()].map((meta) => ({ id: meta.id, meta })))('$id', ({ id, meta }) => {
    it('is a known id', () => {
      expect(DETECTOR_IDS).toContain(id);
    });

    it('has a description and all four 5 Cs texts', () => {
      const { description, fiveCs } = meta;
      expect(description.trim()).not.toBe('');
      for (const text of [fiveCs.criteria, fiveCs.cause, fiveCs.consequence, fiveCs.correctiveAction]) {
        expect(text.trim()).not.toBe('');
      }
    });

    it('lives in its own file and has its own test file', () => {
      expect(existsSync(join(DETECTOR_DIR, `${id}.ts`)), `lambdas/detectors/${id}.ts`).toBe(true);
      expect(existsSync(join(TEST_DIR, `${id}.test.ts`)), `test/detectors/${id}.test.ts`).toBe(true);
    });
  });
});
