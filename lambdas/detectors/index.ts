import type { BypassDetector } from '../core/guard-bypass.ts';
import type { RouteWindowDetector, ToolCallDetector, TreeDetector } from './agent-kinds.ts';
import { auditTrailDriftDetector } from './audit-trail-drift.ts';
import { budgetExceededDetector } from './budget-exceeded.ts';
import { budgetUndercountDetector } from './budget-undercount.ts';
import { costOutlierDetector } from './cost-outlier.ts';
import { durationFastDetector } from './duration-fast.ts';
import { durationSlowDetector } from './duration-slow.ts';
import { emptyOutputDetector, emptyOutputRootRunDetector } from './empty-output.ts';
import { errorKeywordDetector } from './error-keyword.ts';
import { expectedPatternMissingDetector } from './expected-pattern-missing.ts';
import { guardBypassUnregisteredDetector } from './guard-bypass-unregistered.ts';
import { guardExceptionExpiredDetector } from './guard-exception-expired.ts';
import { guardExceptionExpiringDetector } from './guard-exception-expiring.ts';
import type { DetectorId } from './ids.ts';
import { outputShrinkDetector } from './output-shrink.ts';
import { retryLatencyDetector } from './retry-latency.ts';
import { retryRateDetector } from './retry-rate.ts';
import { toolArgInvalidDetector } from './tool-arg-invalid.ts';
import { missedRunDetector } from './missed-run.ts';
import { outputDiscardedDetector } from './output-discarded.ts';
import { runFailedDetector, runFailedRootRunDetector } from './run-failed.ts';
import { runUnfinishedDetector, runUnfinishedRootRunDetector } from './run-unfinished.ts';
import type { AbsenceDetector, DetectorMeta, DiscardDetector, RunDetector } from './types.ts';

/**
 * The registry: every detector, one array per kind, each sorted by id (registry.test.ts checks
 * each, and that every id of ids.ts has a detector here: docs/extending.md). The engine runs a kind's
 * detectors in this order and passes the ids that already fired on the same run in `firedSoFar`,
 * so a detector that defers to another (output-shrink to empty-output) must sort after it.
 */
export const RUN_DETECTORS: readonly RunDetector[] = [
  durationFastDetector,
  durationSlowDetector,
  emptyOutputDetector,
  errorKeywordDetector,
  expectedPatternMissingDetector,
  outputShrinkDetector,
  runFailedDetector,
];

/** Detectors of what did not happen, judged by the sweep at a moment `now`. */
export const ABSENCE_DETECTORS: readonly AbsenceDetector[] = [missedRunDetector, runUnfinishedDetector];

/** Detectors of a job's output going nowhere. */
export const DISCARD_DETECTORS: readonly DiscardDetector[] = [outputDiscardedDetector];

/** Detectors of a guard bypass, judged against the exception registry (the guard reducer applies them in this order). */
export const BYPASS_DETECTORS: readonly BypassDetector[] = [guardBypassUnregisteredDetector, guardExceptionExpiredDetector, guardExceptionExpiringDetector];

/** Detectors of a job's audit-trail completeness over its latest runs. */
export const AUDIT_WINDOW_DETECTORS = [auditTrailDriftDetector] as const;

/** Detectors of an agent tree (a root run and every sub-agent under it), judged when the root ends. */
export const TREE_DETECTORS: readonly TreeDetector[] = [budgetExceededDetector, budgetUndercountDetector, costOutlierDetector];

/**
 * Job detectors that also judge an agent's root run when its tree is judged, by the same id and 5 Cs
 * (empty-output: `ok`, any case, with `output_bytes` 0; run-failed: status `error` or `timeout`, any case, or a synonym;
 * run-unfinished: judged by the sweep, no `agent.end` in the tree within the root's max runtime). Their meta is
 * the job detector's with the agent subject kind: `DETECTOR_META` holds the job detector's, once.
 */
export const ROOT_RUN_DETECTORS: readonly TreeDetector[] = [emptyOutputRootRunDetector, runFailedRootRunDetector, runUnfinishedRootRunDetector];

/** Detectors of one tool call's arguments. */
export const TOOL_CALL_DETECTORS: readonly ToolCallDetector[] = [toolArgInvalidDetector];

/** Detectors of a route's requests over a window (rolling hour, rolling day, month). */
export const ROUTE_WINDOW_DETECTORS: readonly RouteWindowDetector[] = [retryLatencyDetector, retryRateDetector];

/** Every registered detector of any kind; add a new kind's array here. */
const ALL_DETECTORS: readonly (readonly { readonly meta: DetectorMeta }[])[] = [RUN_DETECTORS, ABSENCE_DETECTORS, DISCARD_DETECTORS, BYPASS_DETECTORS, AUDIT_WINDOW_DETECTORS, TREE_DETECTORS, TOOL_CALL_DETECTORS, ROUTE_WINDOW_DETECTORS];

/** Each detector's meta by id, for alerts and the monthly 5 Cs report. */
export const DETECTOR_META: ReadonlyMap<DetectorId, DetectorMeta> = indexMeta(ALL_DETECTORS.flat());

function indexMeta(detectors: readonly { readonly meta: DetectorMeta }[]): ReadonlyMap<DetectorId, DetectorMeta> {
  const byId = new Map<DetectorId, DetectorMeta>();
  for (const { meta } of detectors) {
    if (byId.has(meta.id)) throw new Error(`detector id ${meta.id} is registered twice: each id must have one detector`);
    byId.set(meta.id, meta);
  }
  return byId;
}
