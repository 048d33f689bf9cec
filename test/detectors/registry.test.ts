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
    expect(DETECTOR_META.size).toBe(RUN_DETECTORS.length);
  });

  describe.each(RUN_DETECTORS.map((d) => ({ id: d.meta.id, detector: d })))('$id', ({ id, detector }) => {
    it('is a known id and a run detector', () => {
      expect(DETECTOR_IDS).toContain(id);
      expect(detector.kind).toBe('run');
      expect(detector.meta.subjectKind).toBe('job');
    });

    it('has a description and all four 5 Cs texts', () => {
      const { description, fiveCs } = detector.meta;
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
