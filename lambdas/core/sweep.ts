import type { Config } from '../config.ts';
import type { AlertSink, Clock, FindingStore, StateStore, SubjectCatalog } from '../ports.ts';
import { type DeliveryResult, deliverAlerts } from './alerts.ts';
import type { Finding } from './findings.ts';
import { type SubjectReducer, sweepSubjects } from './pipeline.ts';
import { REDUCERS } from './reducers.ts';

export interface SweepDeps {
  readonly store: StateStore & FindingStore & SubjectCatalog;
  readonly sink: AlertSink;
  readonly config: Config;
  readonly clock: Clock;
  readonly reducers?: readonly SubjectReducer<unknown>[];
}

export interface SweepReport {
  readonly subjects: number;
  readonly findings: readonly Finding[];
  readonly alerts: DeliveryResult;
  readonly conflicts: number;
}

/** How many older pending alerts one sweep delivers, besides its own. */
const SWEEP_DRAIN_LIMIT = 200;

/**
 * The scheduled sweep: judges what did not happen by now (missed and unfinished runs, and
 * whatever else a reducer's `tick` judges), then delivers its alerts and any older ones still
 * pending in the outbox (an SNS outage, an invocation that died after storing its findings).
 */
export async function runSweep(deps: SweepDeps): Promise<SweepReport> {
  const result = await sweepSubjects(deps.reducers ?? REDUCERS, deps.store, { config: deps.config, clock: deps.clock });
  const alerts = await deliverAlerts(result.findings, deps.store, deps.sink, deps.clock, { drainLimit: SWEEP_DRAIN_LIMIT });
  return { subjects: result.subjects, findings: result.findings, alerts, conflicts: result.conflicts };
}
