import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DETECTOR_IDS } from '../../lambdas/detectors/ids.ts';
import {
  ABSENCE_DETECTORS,
  AUDIT_WINDOW_DETECTORS,
  BYPASS_DETECTORS,
  DETECTOR_META,
  DISCARD_DETECTORS,
  ROOT_RUN_DETECTORS,
  ROUTE_WINDOW_DETECTORS,
  RUN_DETECTORS,
  TOOL_CALL_DETECTORS,
  TREE_DETECTORS,
} from '../../lambdas/detectors/index.ts';
import type { SubjectKind } from '../../lambdas/core/findings.ts';

const TEST_DIR = dirname(fileURLToPath(import.meta.url));
const DETECTOR_DIR = join(TEST_DIR, '../../lambdas/detectors');
const runIds = RUN_DETECTORS.map((d) => d.meta.id);
const REPO_DIR = join(TEST_DIR, '../..');

/** The registry's arrays, each of which index.ts says is sorted by id. */
const REGISTRY_ARRAYS: ReadonlyArray<[string, readonly { readonly meta: { readonly id: string } }[]]> = [
  ['RUN_DETECTORS', RUN_DETECTORS],
  ['ABSENCE_DETECTORS', ABSENCE_DETECTORS],
  ['DISCARD_DETECTORS', DISCARD_DETECTORS],
  ['BYPASS_DETECTORS', BYPASS_DETECTORS],
  ['AUDIT_WINDOW_DETECTORS', AUDIT_WINDOW_DETECTORS],
  ['TREE_DETECTORS', TREE_DETECTORS],
  ['ROOT_RUN_DETECTORS', ROOT_RUN_DETECTORS],
  ['TOOL_CALL_DETECTORS', TOOL_CALL_DETECTORS],
  ['ROUTE_WINDOW_DETECTORS', ROUTE_WINDOW_DETECTORS],
];

/** Where a detector of each subject kind is described in full, besides README's detector tables. */
const DOC_OF_SUBJECT_KIND: Readonly<Record<SubjectKind, string>> = {
  job: 'docs/detectors.md',
  agent: 'docs/agents.md',
  tool: 'docs/agents.md',
  route: 'docs/agents.md',
  guard: 'docs/guards-and-exceptions.md',
};

/** README's "Detectors" section: from its heading to the next section's. */
function readmeDetectorSection(): string {
  const readme = readFileSync(join(REPO_DIR, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Detectors\n');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The ids named in the first cell of a table row (`| \`id\` | … |`, or `| \`a\`, \`b\` | … |`). */
function idsInTableRows(markdown: string): Set<string> {
  const ids = new Set<string>();
  for (const line of markdown.split('\n')) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    for (const [, id] of firstCell.matchAll(/`([a-z-]+)`/g)) ids.add(id);
  }
  return ids;
}

describe('the detector registry', () => {
  it.each(REGISTRY_ARRAYS)('lists %s sorted by id, each once, as index.ts says', (_name, detectors) => {
    // Prepare
    const ids = detectors.map((d) => d.meta.id);
    const sorted = [...ids].sort();

    // Act
    const unique = new Set(ids);

    // Assess
    expect(ids).toEqual(sorted);
    expect(unique.size).toBe(ids.length);
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

  it('has every run detector say whether a run it fires on stays out of the baseline (a boolean, not left out: tsc is not part of npm test)', () => {
    // Prepare, Act
    const undecided = RUN_DETECTORS.filter((d) => typeof (d.meta as { keepsRunOutOfBaseline?: unknown }).keepsRunOutOfBaseline !== 'boolean').map((d) => d.meta.id);

    // Assess
    expect(undecided, 'set meta.keepsRunOutOfBaseline (true: its bad runs must not move the medians) on these run detectors').toEqual([]);
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

  it('registers a detector for every id of ids.ts: config and snoozes accept an id, which must then fire', () => {
    // Prepare
    const registered = new Set<string>(DETECTOR_META.keys());

    // Act
    const withoutDetector = DETECTOR_IDS.filter((id) => !registered.has(id));

    // Assess
    expect(withoutDetector, 'ids in lambdas/detectors/ids.ts with no detector in an array of lambdas/detectors/index.ts').toEqual([]);
  });

  it('names every id of ids.ts in a row of README\'s detector tables', () => {
    // Prepare
    const rows = idsInTableRows(readmeDetectorSection());

    // Act
    const missing = DETECTOR_IDS.filter((id) => !rows.has(id));

    // Assess
    expect(missing, 'detector ids with no row in README.md\'s "Detectors" tables: add one (id, what it catches, severity)').toEqual([]);
  });

  it.each([...DETECTOR_META.values()].map((meta) => [meta.id, DOC_OF_SUBJECT_KIND[meta.subjectKind]]))('describes %s in %s, the doc of its subject kind', (id, doc) => {
    // Prepare
    const text = readFileSync(join(REPO_DIR, doc), 'utf8');

    // Act
    const named = text.includes(`\`${id}\``);

    // Assess
    expect(named, `${doc} names no \`${id}\`: describe the detector there`).toBe(true);
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
