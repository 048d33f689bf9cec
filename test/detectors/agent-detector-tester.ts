import { describe, expect, it } from 'vitest';
import { type ArgType, DEFAULT_CONFIG } from '../../lambdas/config.ts';
import type { TreeSnapshot } from '../../lambdas/core/agent-tree.ts';
import type { Finding, Severity } from '../../lambdas/core/findings.ts';
import type {
  AgentTreeOptions,
  CostHistory,
  RouteOptions,
  RouteWindow,
  RouteWindowDetector,
  ToolCallFacts,
  ToolCallDetector,
  TreeDetector,
} from '../../lambdas/detectors/agent-kinds.ts';
import type { DetectorMeta, FindingDraft } from '../../lambdas/detectors/types.ts';

/**
 * Table-driven testers for the agent detector kinds, as `run-detector-tester.ts` is for run
 * detectors: each input is frozen (a detector must not mutate it) and checked twice (same input,
 * same answer); `valid` cases must stay quiet, `invalid` ones must report exactly the findings given.
 */

export interface ExpectedFinding {
  readonly run_id?: string;
  readonly ts: string;
  readonly severity: Severity;
  /** The whole message (an asymmetric matcher is allowed). */
  readonly message: string | unknown;
  /** The whole evidence object. */
  readonly evidence: Readonly<Record<string, unknown>>;
}

interface Case<I> {
  readonly name: string;
  readonly input: I;
}

export interface DetectorTable<I> {
  readonly valid: readonly Case<I>[];
  readonly invalid: readonly (Case<I> & { readonly expected: readonly ExpectedFinding[] })[];
}

function asFinding(meta: DetectorMeta, draft: FindingDraft): Finding {
  return { ...draft, detector: meta.id, subject_kind: meta.subjectKind, severity: draft.severity ?? meta.defaultSeverity };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function table<I>(meta: DetectorMeta, subjectOf: (input: I) => string, check: (input: I) => FindingDraft[], cases: DetectorTable<I>): void {
  const run = (input: I) => {
    const frozen = deepFreeze(structuredClone(input));
    const first = check(frozen).map((d) => asFinding(meta, d));
    expect(check(frozen).map((d) => asFinding(meta, d)), 'a second check of the same input gives the same findings').toEqual(first);
    return first;
  };
  describe(meta.id, () => {
    describe('valid: stays quiet', () => {
      it.each(cases.valid)('$name', ({ input }) => {
        // Prepare, Act
        const findings = run(input);
        // Assess
        expect(findings).toEqual([]);
      });
    });
    describe('invalid: reports', () => {
      it.each(cases.invalid)('$name', ({ input, expected }) => {
        // Prepare, Act
        const findings = run(input);
        // Assess
        expect(findings).toHaveLength(expected.length);
        findings.forEach((finding, i) => {
          expect(finding.detector).toBe(meta.id);
          expect(finding.subject_kind).toBe(meta.subjectKind);
          expect(finding.subject).toBe(subjectOf(input));
          expect(finding.run_id).toBe(expected[i].run_id);
          expect(finding.ts).toBe(expected[i].ts);
          expect(finding.severity).toBe(expected[i].severity);
          expect(finding.message).toEqual(expected[i].message);
          expect(finding.evidence).toEqual(expected[i].evidence);
        });
      });
    });
  });
}

export interface TreeInput {
  readonly tree: TreeSnapshot;
  readonly history?: CostHistory;
  readonly options?: Partial<AgentTreeOptions>;
}

export const DEFAULT_TREE_OPTIONS: AgentTreeOptions = {
  minHistory: DEFAULT_CONFIG.defaults.min_history,
  baselineWindow: DEFAULT_CONFIG.defaults.baseline_window,
  costOutlierFactor: DEFAULT_CONFIG.defaults.cost_outlier_factor,
  budgets: {},
};

export function testTreeDetector(detector: TreeDetector, cases: DetectorTable<TreeInput>): void {
  table(
    detector.meta,
    (i) => i.tree.agent,
    (i) => detector.check({ tree: i.tree, history: i.history ?? { costs: [], tokens: [] }, options: { ...DEFAULT_TREE_OPTIONS, ...i.options } }),
    cases,
  );
}

export interface ToolInput {
  readonly call: ToolCallFacts;
  readonly configured?: Readonly<Record<string, ArgType>>;
}

export function testToolCallDetector(detector: ToolCallDetector, cases: DetectorTable<ToolInput>): void {
  table(detector.meta, (i) => i.call.tool, (i) => detector.check(i), cases);
}

export interface RouteInput {
  readonly route: string;
  readonly window: RouteWindow;
  readonly options?: Partial<RouteOptions>;
}

export const DEFAULT_ROUTE_OPTIONS: RouteOptions = { retryRateMax: DEFAULT_CONFIG.defaults.retry_rate_max, minRequests: DEFAULT_CONFIG.defaults.retry_min_requests };

export function testRouteWindowDetector(detector: RouteWindowDetector, cases: DetectorTable<RouteInput>): void {
  table(detector.meta, (i) => i.route, (i) => detector.check({ route: i.route, window: i.window, options: { ...DEFAULT_ROUTE_OPTIONS, ...i.options } }), cases);
}
