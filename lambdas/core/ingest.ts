import type { Config } from '../config.ts';
import type { AlertSink, Clock, ExceptionStore, FindingStore, LineCounts, SnoozeRegistry, StateStore } from '../ports.ts';
import { type DeliveryResult, deliverAlerts } from './alerts.ts';
import { decodeCloudWatchPayload, functionNameOf, PayloadError } from './envelope.ts';
import { registryForBatch } from './exception-registry.ts';
import type { Finding } from './findings.ts';
import { type BypassTally, tallyBypasses } from './guard-reducer.ts';
import { LineTally, type Rejection } from './line-tally.ts';
import { parseLine } from './parse/index.ts';
import { processBatch, type SubjectReducer } from './pipeline.ts';
import { REDUCERS } from './reducers.ts';
import { redactorFor } from './redact.ts';

export interface IngestDeps {
  readonly store: StateStore & FindingStore;
  readonly sink: AlertSink;
  readonly config: Config;
  readonly clock: Clock;
  readonly reducers?: readonly SubjectReducer<unknown>[];
  /** The guard-bypass exception registry; without it, the config's `exceptions` as they stand. */
  readonly exceptions?: ExceptionStore;
  /** Snoozes added with `silent-audit snooze add`; without it, only the config's `snoozes`. */
  readonly snoozes?: SnoozeRegistry;
}

export interface IngestReport {
  readonly status: 'processed' | 'control-message' | 'payload-rejected';
  readonly logGroup?: string;
  readonly counts: LineCounts;
  readonly rejections: readonly Rejection[];
  readonly findings: readonly Finding[];
  readonly alerts: DeliveryResult;
  /** now − the oldest event's time: how far behind the pipeline runs. */
  readonly batchLagMs?: number;
  readonly conflicts: number;
  /** Guard bypass lines in this delivery, per guard and per registered exception (absent when there were none). */
  readonly bypasses?: BypassTally;
}

const NO_ALERTS: DeliveryResult = { sent: 0, failed: 0, errors: [], suppressed: 0, snoozed: 0, summarized: 0 };

/**
 * One CloudWatch Logs subscription delivery through the whole pipeline: decode, parse each line
 * (a bad line is counted, never thrown), fold the events into subject state with findings, then
 * alert. A payload that cannot be decoded is refused whole and counted; retrying would not help.
 * Storage errors propagate, so that Lambda retries the delivery rather than losing it.
 */
export async function ingestDelivery(event: unknown, deps: IngestDeps): Promise<IngestReport> {
  const tally = new LineTally();
  const redactor = redactorFor(deps.config);
  let payload;
  try {
    payload = decodeCloudWatchPayload(event);
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    tally.reject('payload', redactor.redactText(error.message), { isLine: false });
    return { status: 'payload-rejected', counts: tally.counts, rejections: tally.rejections, findings: [], alerts: NO_ALERTS, conflicts: 0 };
  }
  if (payload.messageType === 'CONTROL_MESSAGE') {
    return { status: 'control-message', counts: tally.counts, rejections: [], findings: [], alerts: NO_ALERTS, conflicts: 0 };
  }

  const defaultJob = functionNameOf(payload.logGroup);
  const now = deps.clock.now();
  let oldest = Number.POSITIVE_INFINITY;
  payload.logEvents.forEach((logEvent, index) => {
    oldest = Math.min(oldest, logEvent.timestamp);
    const source = { origin: payload.logGroup, line: index + 1, logStream: payload.logStream, eventId: logEvent.id };
    const outcome = parseLine(logEvent.message, { source, recordTime: logEvent.timestamp, now, defaultJob, redactor });
    tally.add(outcome, () => `${payload.logGroup} ${payload.logStream} event ${logEvent.id}`);
  });

  const exceptions = await registryForBatch(tally.events, deps.exceptions, deps.config, deps.clock);
  const batch = await processBatch(tally.events, deps.reducers ?? REDUCERS, deps.store, { config: deps.config, clock: deps.clock, exceptions });
  // Older pending alerts are drained here only when this batch alerted anyway; the sweep drains the rest.
  const alerts = await deliverAlerts(batch.findings, deps.store, deps.sink, deps.clock, {
    drainLimit: batch.findings.length > 0 ? 50 : 0,
    config: deps.config,
    snoozes: deps.snoozes,
    records: batch.records,
  });
  return {
    status: 'processed',
    logGroup: payload.logGroup,
    counts: tally.counts,
    rejections: tally.rejections,
    findings: batch.findings,
    alerts,
    batchLagMs: Number.isFinite(oldest) ? now - oldest : undefined,
    conflicts: batch.conflicts,
    bypasses: exceptions ? tallyBypasses(tally.events, exceptions) : undefined,
  };
}
