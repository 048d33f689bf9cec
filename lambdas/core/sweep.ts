import type { Config } from '../config.ts';
import type { AlertSink, Clock, ExceptionStore, FindingStore, SnoozeRegistry, StateStore, SubjectCatalog } from '../ports.ts';
import { sweepAgentRoots } from './agent-sweep.ts';
import { DEFAULT_STALE_OPTIONS } from './agent-tree.ts';
import { loadRegistry } from './exception-registry.ts';
import { type DeliveryOptions, type DeliveryResult, deliverAlerts } from './alerts.ts';
import type { Finding } from './findings.ts';
import type { CommitRetry } from './commit-retry.ts';
import { type SubjectReducer, sweepSubjects } from './pipeline.ts';
import { ALERT_DUE_CATALOG } from './alert-policy.ts';
import { REDUCERS } from './reducers.ts';

export interface SweepDeps {
  readonly store: StateStore & FindingStore & SubjectCatalog;
  readonly sink: AlertSink;
  readonly config: Config;
  readonly clock: Clock;
  readonly reducers?: readonly SubjectReducer<unknown>[];
  /** Snoozes added with `silent-audit snooze add`; without it, only the config's `snoozes`. */
  readonly snoozes?: SnoozeRegistry;
  /** The guard-bypass exception registry, for announcing exceptions about to expire. */
  readonly exceptions?: ExceptionStore;
  /**
   * Whether the invocation must stop ticking subjects (its time is nearly up): the rest is left to
   * a later sweep, and the agent roots and the alerts are still handled in the time kept for them.
   */
  readonly outOfTime?: () => boolean;
  /**
   * How long the agent roots and the alert delivery may still start work, in ms (the invocation's time
   * left less what it keeps to finish and publish its metrics; default: no limit). Out of it, the agent
   * roots are left to a later sweep (counted in `kindsLeft`) and the delivery stops, its alerts left
   * pending in the outbox for the next sweep (`alertsLeft`).
   */
  readonly deliveryTimeLeft?: () => number;
  /** How a write that lost to a concurrent writer is retried: for as long as the invocation has time (`retryWithin`). */
  readonly retry?: CommitRetry;
  /**
   * How a subject tick's lost write is retried (default: `retry`): the deployed sweep stops it while
   * the agent roots and the alerts still have their time, and leaves the subject to a later sweep.
   */
  readonly subjectsRetry?: CommitRetry;
}

export interface SweepReport {
  /** Subjects ticked (judged), agent roots included: not those left for lack of time. */
  readonly subjects: number;
  /**
   * Subjects listed but not ticked because the invocation's time was nearly up (`outOfTime`), 0
   * without a limit: a later sweep, starting elsewhere in the list, takes them. A lower bound when
   * `kindsLeft` is above 0 (the subjects of kinds never listed are not counted).
   */
  readonly subjectsLeft: number;
  /**
   * Subject kinds not even listed because the invocation's time was up: a later sweep, starting at
   * another kind, takes them. The agent roots, left when the delivery's time was up before them, count as one.
   */
  readonly kindsLeft: number;
  readonly findings: readonly Finding[];
  readonly alerts: DeliveryResult;
  readonly conflicts: number;
  /** Findings and notices waiting for a retry of a failed or unconfirmed send after this sweep's delivery (a gauge: `AlertsAwaitingRetry`). */
  readonly awaitingRetry: number;
  /** Findings and notices the delivery left for the next sweep because its time was up (`deliveryTimeLeft`), 0 without a limit. */
  readonly alertsLeft: number;
}

/** The sweep's schedule (every 5 minutes): the period its starting point turns by. */
const SWEEP_PERIOD_MS = 5 * 60_000;

/** How many older pending alerts the sweep reads from the outbox at a time (a drain page), besides its own. */
const SWEEP_DRAIN_LIMIT = 200;

/**
 * The scheduled sweep: judges what did not happen by now (missed and unfinished runs, and
 * whatever else a reducer's `tick` judges), then delivers its alerts and any older ones still
 * pending in the outbox (an SNS outage, an invocation that died after storing its findings).
 */
export async function runSweep(deps: SweepDeps): Promise<SweepReport> {
  const exceptions = deps.exceptions ? (await loadRegistry(deps.exceptions, deps.config.exceptions, deps.clock.now(), deps.config.redact)).exceptions : undefined;
  const ctx = { config: deps.config, clock: deps.clock, exceptions };
  // Configured subjects nothing was ever seen of are judged too (a scheduled job never seen is missed).
  // With a time limit, each sweep starts its commits elsewhere in the lists of kinds and subjects
  // (the clock's 5-minute period, scattered by a multiplicative hash), so sweeps that keep running
  // out of time leave other kinds and subjects each time.
  const startAt = deps.outOfTime ? Math.imul(Math.floor(deps.clock.now() / SWEEP_PERIOD_MS), 0x9e3779b1) >>> 0 : 0;
  const subjects = await sweepSubjects(deps.reducers ?? REDUCERS, deps.store, ctx, { configured: true, outOfTime: deps.outOfTime, startAt, retry: deps.subjectsRetry ?? deps.retry });
  // Agent trees whose root never ended are judged once they have been quiet long enough; out of time, by a later sweep.
  const rootsLeft = deliveryTimeUp(deps);
  const roots = rootsLeft ? { findings: [], subjects: 0, conflicts: 0 } : await sweepAgentRoots(deps.store, ctx, DEFAULT_STALE_OPTIONS, undefined, { retry: deps.retry });
  const result = {
    subjects: subjects.subjects + roots.subjects,
    findings: [...subjects.findings, ...roots.findings],
    conflicts: subjects.conflicts + roots.conflicts,
  };
  // Alert states due a look with no run (flapping, a notice pending), listed from a sparse catalog rather than
  // read all: flapping quiet for long enough settles, and a healthy subject recovers, without waiting for its next run.
  const due = await deps.store.subjects(ALERT_DUE_CATALOG);
  const drain = { drainLimit: SWEEP_DRAIN_LIMIT, config: deps.config, snoozes: deps.snoozes, retry: deps.retry, timeLeft: deps.deliveryTimeLeft };
  const first = await deliverAlerts(result.findings, deps.store, deps.sink, deps.clock, { ...drain, due, records: subjects.records });
  const alerts = await drainBacklog(first, deps, drain);
  // Counted after the delivery: while sends keep failing, findings wait here between the (hourly) retries.
  // Notices too: every state with one pending was read by the delivery (listed as alert-due).
  const awaitingRetry = (await deps.store.alertsAwaitingRetry()) + (alerts.noticesAwaitingRetry ?? 0);
  return {
    subjects: result.subjects,
    subjectsLeft: subjects.left,
    kindsLeft: subjects.kindsLeft + (rootsLeft ? 1 : 0),
    findings: result.findings,
    alerts,
    conflicts: result.conflicts,
    awaitingRetry,
    // What is still pending once the delivery stopped for lack of time: the findings in the outbox never claimed
    // (a backlog its time did not cover, all sent by a later sweep), those due for a retry it left, and the notices it left in their state.
    alertsLeft: (deliveryStoppedForTime(deps, alerts) ? await deps.store.alertsPending() : 0) + (alerts.retriesLeft ?? 0) + (alerts.noticesLeft ?? 0),
  };
}

/**
 * Whether the delivery stopped for lack of time (its time is up, or a page left alerts), so the never-claimed
 * findings still pending are left for the next sweep; a drain stopped by a failed send (SNS down) is not:
 * those findings wait for their retry (`AlertsAwaitingRetry`, `AlertsFailed`).
 */
function deliveryStoppedForTime(deps: SweepDeps, alerts: DeliveryResult): boolean {
  return deliveryTimeUp(deps) || (alerts.left ?? 0) > 0;
}

/** Whether the delivery's time is up (`deliveryTimeLeft`); never without a limit. */
function deliveryTimeUp(deps: SweepDeps): boolean {
  return deps.deliveryTimeLeft !== undefined && deps.deliveryTimeLeft() <= 0;
}

/**
 * A backlog of pending alerts larger than a drain page (alerts an earlier delivery left for lack of
 * time, an SNS outage's) is delivered page after page while the time lasts: a page read whole and
 * dealt with (sent, snoozed…) with no send failed and no alert left for lack of time may be followed by more. The alerts sent one by one
 * count against the storm cap over the pages, so the rest of the backlog goes out in summaries.
 */
async function drainBacklog(first: DeliveryResult, deps: SweepDeps, drain: DeliveryOptions): Promise<DeliveryResult> {
  let total = first;
  let stormCapUsed = sentOneByOne(first);
  for (let page = first; mayHaveMore(page) && !deliveryTimeUp(deps); ) {
    page = await deliverAlerts([], deps.store, deps.sink, deps.clock, { ...drain, stormCapUsed });
    stormCapUsed += sentOneByOne(page);
    total = addDeliveries(total, page);
  }
  return total;
}

/**
 * Whether a delivery read a whole drain page, left nothing for lack of time and dealt with some of it
 * (sent, suppressed, snoozed or summarized) with no send failed: more may be pending, behind a page of
 * snoozed findings too. A failed send (SNS down) or a page with nothing dealt with stops the drain,
 * so each pending alert is tried at most once per sweep and the rest waits for its retry.
 */
function mayHaveMore(page: DeliveryResult): boolean {
  const dealtWith = page.sent + (page.suppressed ?? 0) + (page.snoozed ?? 0) + (page.summarized ?? 0);
  return page.drained === SWEEP_DRAIN_LIMIT && (page.left ?? 0) === 0 && dealtWith > 0 && page.failed === 0;
}

/** The messages a delivery sent one by one: all it sent but its storm summary. */
function sentOneByOne(delivery: DeliveryResult): number {
  return delivery.sent - ((delivery.summarized ?? 0) > 0 ? 1 : 0);
}

/** Two deliveries of one sweep as one; the notices awaiting a retry are the first's (it read every state with one pending). */
function addDeliveries(a: DeliveryResult, b: DeliveryResult): DeliveryResult {
  const sum = (key: 'suppressed' | 'snoozed' | 'summarized' | 'abandoned' | 'left' | 'noticesLeft' | 'retriesLeft' | 'drained') => (a[key] ?? 0) + (b[key] ?? 0);
  return {
    sent: a.sent + b.sent,
    failed: a.failed + b.failed,
    errors: [...a.errors, ...b.errors],
    suppressed: sum('suppressed'),
    snoozed: sum('snoozed'),
    summarized: sum('summarized'),
    abandoned: sum('abandoned'),
    noticesAwaitingRetry: a.noticesAwaitingRetry,
    left: sum('left'),
    noticesLeft: sum('noticesLeft'),
    retriesLeft: sum('retriesLeft'),
    drained: sum('drained'),
  };
}
