import type { AlertSink, Clock, FindingStore } from '../ports.ts';
import { findingKey, type Finding } from './findings.ts';

export interface DeliveryResult {
  readonly sent: number;
  readonly failed: number;
  readonly errors: string[];
}

const LEASE_MS = 60_000;

/**
 * Sends the alerts of stored findings that are not delivered yet: first the given ones (just
 * written, not yet visible in the outbox index), then older ones still pending. Each alert is
 * claimed before it is sent and marked after, so concurrent senders never both send it, and a
 * failed send leaves the finding pending for the next invocation.
 */
export async function deliverAlerts(
  fresh: readonly Finding[],
  store: FindingStore,
  sink: AlertSink,
  clock: Clock,
  options: { drainLimit?: number } = {},
): Promise<DeliveryResult> {
  let sent = 0;
  let failed = 0;
  const errors: string[] = [];
  const attempted = new Set<string>();

  const deliver = async (finding: Finding, key: string) => {
    if (attempted.has(key)) return;
    attempted.add(key);
    if (!(await store.claimAlert(key, clock.now(), LEASE_MS))) return;
    try {
      await sink.publish(finding);
    } catch (error) {
      failed++;
      errors.push(`${key}: ${(error as Error).message}`);
      await store.releaseAlert(key);
      return;
    }
    await store.markAlerted(key);
    sent++;
  };

  for (const finding of fresh) await deliver(finding, findingKey(finding));
  const drainLimit = options.drainLimit ?? 50;
  if (drainLimit > 0 && failed === 0) {
    for (const pending of await store.pendingAlerts(drainLimit)) await deliver(pending, pending.key);
  }
  return { sent, failed, errors };
}
