import type { Config } from '../config.ts';
import type { AlertSink, Clock, ExceptionStore, FindingStore, LineCounts, SnoozeRegistry, StateStore } from '../ports.ts';
import { type DeliveryResult, deliverAlerts } from './alerts.ts';
import { type CloudWatchLogsPayload, decodeCloudWatchPayload, functionNameOf, PayloadError } from './envelope.ts';
import { registryForBatch } from './exception-registry.ts';
import type { Finding } from './findings.ts';
import { type BypassTally, tallyBypasses } from './guard-reducer.ts';
import { emptyCounts, LineTally, type Rejection } from './line-tally.ts';
import { parseDelivery } from './parse/index.ts';
import { StreamZones } from './parse/local-time.ts';
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

/** A delivery (or Kinesis record) refused whole: one rejection, no line read. */
export function payloadRejected(where: string, reason: string): IngestReport {
  return { status: 'payload-rejected', counts: { ...emptyCounts(), rejected: 1 }, rejections: [{ where, reason }], findings: [], alerts: NO_ALERTS, conflicts: 0 };
}

/**
 * One CloudWatch Logs subscription delivery through the whole pipeline: decode, parse each line
 * (a bad line is counted, never thrown), fold the events into subject state with findings, then
 * alert. A payload that cannot be decoded is refused whole and counted; retrying would not help.
 * Storage errors propagate, so that Lambda retries the delivery rather than losing it.
 */
export async function ingestDelivery(event: unknown, deps: IngestDeps): Promise<IngestReport> {
  let payload;
  try {
    payload = decodeCloudWatchPayload(event);
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    return payloadRejected('payload', redactorFor(deps.config).redactText(error.message));
  }
  if (payload.messageType === 'CONTROL_MESSAGE') {
    return { status: 'control-message', counts: emptyCounts(), rejections: [], findings: [], alerts: NO_ALERTS, conflicts: 0 };
  }

  return ingestPayloads([payload], deps);
}

/**
 * Every line of the given payloads through the pipeline as ONE batch (contract §6: one read and
 * one write per subject, however many payloads held its lines): parse with redaction, fold into
 * subject state with findings, then alert under the config's alert policy and snoozes.
 * A Lambda subscription brings one payload; a Kinesis invocation brings several.
 */
export async function ingestPayloads(payloads: readonly CloudWatchLogsPayload[], deps: IngestDeps): Promise<IngestReport> {
  const tally = new LineTally();
  const redactor = redactorFor(deps.config);
  const now = deps.clock.now();
  let oldest = Number.POSITIVE_INFINITY;
  for (const { logGroup, logStream, logEvents } of payloads) {
    const defaultJob = functionNameOf(logGroup);
    // A payload holds one log stream, whose lines' zoneless times are judged together (parseDelivery).
    const zones = new StreamZones();
    const lines = logEvents.map((logEvent, index) => {
      if (logEvent.timestamp < oldest) oldest = logEvent.timestamp;
      const source = { origin: logGroup, line: index + 1, logStream, eventId: logEvent.id };
      return { text: logEvent.message, ctx: { source, recordTime: logEvent.timestamp, now, defaultJob, redactor, zones } };
    });
    parseDelivery(lines).forEach((outcome, index) => tally.add(outcome, () => `${logGroup} ${logStream} event ${logEvents[index].id}`));
  }

  const exceptions = await registryForBatch(tally.events, deps.exceptions, deps.config, deps.clock);
  const batch = await processBatch(tally.events, deps.reducers ?? REDUCERS, deps.store, { config: deps.config, clock: deps.clock, exceptions });
  // Older pending alerts are drained here only when this batch alerted anyway; the sweep drains the rest.
  const alerts = await deliverAlerts(batch.findings, deps.store, deps.sink, deps.clock, {
    drainLimit: batch.findings.length > 0 ? 50 : 0,
    config: deps.config,
    snoozes: deps.snoozes,
    records: batch.records,
    replayed: batch.replayed,
  });
  const groups = [...new Set(payloads.map((p) => p.logGroup))];
  return {
    status: 'processed',
    logGroup: groups.length === 1 ? groups[0] : groups.length > 1 ? `${groups.length} log groups` : undefined,
    counts: tally.counts,
    rejections: tally.rejections,
    findings: batch.findings,
    alerts,
    batchLagMs: Number.isFinite(oldest) ? now - oldest : undefined,
    conflicts: batch.conflicts,
    bypasses: exceptions ? tallyBypasses(tally.events, exceptions) : undefined,
  };
}
