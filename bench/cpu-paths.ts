import { gunzipSync } from 'node:zlib';
import { CloudWatchEnvelope } from '@aws-lambda-powertools/parser/envelopes/cloudwatch';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { z } from 'zod';
import { MemoryExceptionStore } from '../lambdas/adapters/memory-exception-store.ts';
import { MemoryAuditStore } from '../lambdas/adapters/memory-store.ts';
import type { Config } from '../lambdas/config.ts';
import { decodeCloudWatchPayload, functionNameOf } from '../lambdas/core/envelope.ts';
import { INSTRUMENTED_SCHEMAS } from '../lambdas/core/events.ts';
import { LineTally } from '../lambdas/core/line-tally.ts';
import { parseLine } from '../lambdas/core/parse/index.ts';
import type { Finding } from '../lambdas/core/findings.ts';
import { ingestDelivery, type IngestDeps } from '../lambdas/core/ingest.ts';
import type { AlertSink, Clock } from '../lambdas/ports.ts';

/**
 * The three ways the bench reads the same CloudWatch payloads. Each returns the lines it read,
 * so a run that skipped work would show.
 */

/**
 * (1) The physical limit: base64 decode, gunzip, `JSON.parse` of the payload, and `JSON.parse` of
 * the JSON object in each message (from its first `{`, as a prefixed Lambda console line holds it).
 */
export function rawLimit(events: readonly CloudWatchLogsEvent[]): number {
  let lines = 0;
  let objects = 0;
  for (const event of events) {
    const payload = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8')) as { logEvents: Array<{ message: string }> };
    for (const logEvent of payload.logEvents) {
      lines++;
      const message = logEvent.message;
      const brace = message.indexOf('{');
      if (brace < 0) continue;
      try {
        if (JSON.parse(brace === 0 ? message : message.slice(brace)) !== null) objects++;
      } catch {
        // Not JSON after all: the limit does not validate, it only reads.
      }
    }
  }
  return objects > lines ? -1 : lines;
}

const S = INSTRUMENTED_SCHEMAS;
const INSTRUMENTED = [S['run.start'], S['run.end'], S['agent.start'], S['agent.action'], S['agent.end'], S['tool.call'], S.attempt, S['guard.bypass'], S['audit.write']] as const;

/**
 * The per-line schema a Powertools user would write for these lines: the JSON object of the
 * message (bare, or after Lambda's console prefix), one of the contract's event types.
 */
export const StandardLineSchema = z
  .string()
  .transform((message, ctx) => {
    const brace = message.indexOf('{');
    if (brace < 0) {
      ctx.addIssue({ code: 'custom', message: 'no JSON object in the message' });
      return z.NEVER;
    }
    try {
      return JSON.parse(message.slice(brace)) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.discriminatedUnion('type', INSTRUMENTED));

/**
 * (2) The standard way: Powertools' `CloudWatchEnvelope.safeParse` (decode, gunzip, envelope schema)
 * with a zod schema per line; lines that fail are collected by index, as the envelope does. Returns
 * the lines that failed the line schema (platform lines, text, invalid events).
 */
export function powertoolsStandard(events: readonly CloudWatchLogsEvent[]): { valid: number; failed: number } {
  let valid = 0;
  let failed = 0;
  for (const event of events) {
    const result = CloudWatchEnvelope.safeParse(event, StandardLineSchema);
    if (result.success) {
      valid += result.data.length;
      continue;
    }
    // The envelope keeps no valid message once one fails; its error names the failed indexes.
    const issues = (result.error.cause as { issues?: Array<{ path: PropertyKey[] }> } | undefined)?.issues ?? [];
    failed += new Set(issues.map((i) => i.path[3])).size;
  }
  return { valid, failed };
}

/**
 * (3a) Our edge alone, for a like-for-like look at (2): decode the payload and parse and validate
 * every line into events, without state, detectors or alerts.
 */
export function ourParseOnly(events: readonly CloudWatchLogsEvent[]): number {
  let produced = 0;
  for (const event of events) {
    const payload = decodeCloudWatchPayload(event);
    const defaultJob = functionNameOf(payload.logGroup);
    const tally = new LineTally();
    payload.logEvents.forEach((logEvent, index) => {
      const source = { origin: payload.logGroup, line: index + 1, logStream: payload.logStream, eventId: logEvent.id };
      tally.add(parseLine(logEvent.message, { source, recordTime: logEvent.timestamp, defaultJob }), () => '');
    });
    produced += tally.counts.events;
  }
  return produced;
}

const quietSink: AlertSink = { publish: async (_finding: Finding) => undefined };

/** A memory store holding `states` (as a warm container's in-process state would), versions from 1. */
export async function seededStore(states: ReadonlyMap<string, { state: unknown }>): Promise<MemoryAuditStore> {
  const store = new MemoryAuditStore();
  for (const [key, { state }] of states) await store.commit({ key, expectedVersion: 0, state, findings: [], records: [] });
  return store;
}

export function ingestDeps(store: MemoryAuditStore, config: Config, clock: Clock): IngestDeps {
  return { store, sink: quietSink, config, clock, exceptions: new MemoryExceptionStore(store) };
}

/**
 * (3) Our whole ingest CPU path per payload: decode, parse every line, validate, baselines from the
 * in-process store, every reducer and detector, findings stored and alerted (to a sink that drops them).
 */
export async function fullIngest(events: readonly CloudWatchLogsEvent[], deps: IngestDeps): Promise<{ lines: number; findings: number; rejected: number }> {
  let lines = 0;
  let findings = 0;
  let rejected = 0;
  for (const event of events) {
    const report = await ingestDelivery(event, deps);
    if (report.status !== 'processed') throw new Error(`bench payload not processed: ${report.status} ${report.rejections[0]?.reason ?? ''}`);
    lines += report.counts.lines;
    findings += report.findings.length;
    rejected += report.counts.rejected;
  }
  return { lines, findings, rejected };
}
