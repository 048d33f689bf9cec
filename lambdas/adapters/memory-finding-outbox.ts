import { findingKey, normalizeIso, type Finding } from '../core/findings.ts';
import type { AlertClaim, AlertFailure, FindingQuery, FindingStore, StoredFinding } from '../ports.ts';

type OutboxMethods = Pick<FindingStore, 'query' | 'pendingAlerts' | 'alertsAwaitingRetry' | 'alertsPending' | 'claimAlert' | 'releaseAlert' | 'markAlerted' | 'alertsAwaitingSend'>;

/**
 * Findings held in process memory with the DynamoDB store's outbox rules: each written once (by
 * its key), unalerted until marked, claimed under a lease so two senders never both send one while it holds.
 * The memory store and a scan's store keep their findings in one of these.
 */
export class MemoryFindingOutbox implements OutboxMethods {
  private readonly findings = new Map<string, StoredFinding>();
  private readonly leases = new Map<string, number>();
  /** When each finding's send was claimed, until it is marked or released: one still here when its lease is over was not confirmed. */
  private readonly claimedAt = new Map<string, number>();

  /** Adds a finding unless one with its key is held (`alerted`: as history, never pending); returns its key when it was added. */
  add(f: Finding, alerted = false): string | undefined {
    const key = findingKey(f);
    if (this.findings.has(key)) return undefined;
    this.findings.set(key, { ...f, key, alerted });
    return key;
  }

  get(key: string): StoredFinding | undefined {
    return this.findings.get(key);
  }

  get size(): number {
    return this.findings.size;
  }

  all(): StoredFinding[] {
    return [...this.findings.values()];
  }

  async query(query: FindingQuery): Promise<StoredFinding[]> {
    const q = { ...query, from: normalizeIso(query.from), to: normalizeIso(query.to) };
    return this.all()
      .filter((f) => f.ts >= q.from && f.ts < q.to && (!q.detector || f.detector === q.detector) && (!q.subject || f.subject === q.subject))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async pendingAlerts(limit: number, now?: number): Promise<StoredFinding[]> {
    return this.all()
      .filter((f) => !f.alerted && !f.alert_failure?.gave_up && (now === undefined || (this.leases.get(f.key) ?? 0) <= now))
      .sort((a, b) => a.key.localeCompare(b.key))
      .slice(0, limit)
      .map((f) => (this.claimedAt.has(f.key) ? { ...f, alert_claimed_at: this.claimedAt.get(f.key) } : f));
  }

  async alertsPending(): Promise<number> {
    return this.all().filter((f) => !f.alerted && f.alert_failure === undefined && !this.claimedAt.has(f.key)).length;
  }

  async alertsAwaitingRetry(): Promise<number> {
    return this.all().filter((f) => !f.alerted && !f.alert_failure?.gave_up && (f.alert_failure !== undefined || this.claimedAt.has(f.key))).length;
  }

  async claimAlert(key: string, now: number, leaseMs: number): Promise<AlertClaim | false> {
    const f = this.findings.get(key);
    if (!f || f.alerted || f.alert_failure?.gave_up || (this.leases.get(key) ?? 0) > now) return false;
    const unconfirmedSendAt = this.claimedAt.get(key);
    this.leases.set(key, now + leaseMs);
    this.claimedAt.set(key, now);
    return unconfirmedSendAt === undefined ? {} : { unconfirmedSendAt };
  }

  async releaseAlert(key: string, failure?: AlertFailure): Promise<void> {
    const f = this.findings.get(key);
    this.claimedAt.delete(key);
    if (!failure || !f || f.alerted || f.alert_failure?.gave_up) {
      this.leases.delete(key);
      return;
    }
    this.findings.set(key, { ...f, alert_failure: failure });
    if (failure.gave_up) this.leases.delete(key);
    else this.leases.set(key, failure.retry_at);
    // A send not confirmed before this failed one stays noted, as DynamoDB keeps it in `claimed_at`.
    if (!failure.gave_up && failure.unconfirmed_send_at !== undefined) this.claimedAt.set(key, failure.unconfirmed_send_at);
  }

  async markAlerted(key: string): Promise<boolean> {
    const f = this.findings.get(key);
    if (!f || f.alerted || f.alert_failure?.gave_up) return false;
    this.claimedAt.delete(key);
    this.findings.set(key, { ...f, alerted: true });
    return true;
  }

  async alertsAwaitingSend(keys: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const key of keys) {
      const f = this.findings.get(key);
      if (f && !f.alerted && !f.alert_failure?.gave_up) out.set(key, this.leases.get(key) ?? 0);
    }
    return out;
  }
}

/** A store whose findings live in a `MemoryFindingOutbox`: its outbox methods, once. */
export abstract class FindingsInMemory implements OutboxMethods {
  protected readonly findings = new MemoryFindingOutbox();

  query(query: FindingQuery): Promise<StoredFinding[]> {
    return this.findings.query(query);
  }

  pendingAlerts(limit: number, now?: number): Promise<StoredFinding[]> {
    return this.findings.pendingAlerts(limit, now);
  }

  alertsAwaitingRetry(): Promise<number> {
    return this.findings.alertsAwaitingRetry();
  }

  alertsPending(): Promise<number> {
    return this.findings.alertsPending();
  }

  claimAlert(key: string, now: number, leaseMs: number): Promise<AlertClaim | false> {
    return this.findings.claimAlert(key, now, leaseMs);
  }

  releaseAlert(key: string, failure?: AlertFailure): Promise<void> {
    return this.findings.releaseAlert(key, failure);
  }

  markAlerted(key: string): Promise<boolean> {
    return this.findings.markAlerted(key);
  }

  alertsAwaitingSend(keys: readonly string[]): Promise<Map<string, number>> {
    return this.findings.alertsAwaitingSend(keys);
  }
}
