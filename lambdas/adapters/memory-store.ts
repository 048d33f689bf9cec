import { findingKey, normalizeIso, type Finding } from '../core/findings.ts';
import { keptState } from '../core/frozen-state.ts';
import type {
  CommitResult,
  SubjectCatalog,
  FindingQuery,
  FindingStore,
  RunRecord,
  RunRecordStore,
  StateStore,
  StoredFinding,
  SubjectCommit,
  Versioned,
} from '../ports.ts';

/**
 * The store of a CLI scan without `--store`: state, findings and run records in process memory,
 * gone when the scan ends. It keeps the same rules as the DynamoDB store (versioned state,
 * findings written once, an outbox of unalerted findings) so the pipeline behaves the same.
 */
export class MemoryAuditStore implements StateStore, FindingStore, RunRecordStore, SubjectCatalog {
  private readonly states = new Map<string, Versioned<unknown>>();
  private readonly findings = new Map<string, StoredFinding>();
  private readonly runRecords = new Map<string, RunRecord[]>();

  async load(keys: readonly string[]): Promise<Map<string, Versioned<unknown>>> {
    const out = new Map<string, Versioned<unknown>>();
    for (const key of keys) {
      const v = this.states.get(key);
      if (v) out.set(key, { state: v.state, version: v.version });
    }
    return out;
  }

  async subjects(stateKind: string): Promise<Array<{ key: string; state: unknown; version: number }>> {
    return [...this.states]
      .filter(([key]) => key.startsWith(`${stateKind}#`))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, v]) => ({ key, state: v.state, version: v.version }));
  }

  /** The memory store has no cache: the same as `load`. */
  async loadCurrent(keys: readonly string[]): Promise<Map<string, Versioned<unknown>>> {
    return this.load(keys);
  }

  async commit(change: SubjectCommit): Promise<CommitResult> {
    const current = this.states.get(change.key)?.version ?? 0;
    if (current !== change.expectedVersion) return 'conflict';
    this.states.set(change.key, { state: keptState(change.state), version: current + 1 });
    for (const f of change.findings) this.addFinding(f);
    for (const r of change.records) {
      const key = `${r.subject_kind}#${r.subject}`;
      const list = this.runRecords.get(key) ?? [];
      if (!list.some((x) => x.run_id === r.run_id)) list.push(r);
      this.runRecords.set(key, list);
    }
    return 'committed';
  }

  private addFinding(f: Finding): void {
    const key = findingKey(f);
    if (!this.findings.has(key)) this.findings.set(key, { ...f, key, alerted: false });
  }

  async query(query: FindingQuery): Promise<StoredFinding[]> {
    const q = { ...query, from: normalizeIso(query.from), to: normalizeIso(query.to) };
    return [...this.findings.values()]
      .filter((f) => f.ts >= q.from && f.ts < q.to && (!q.detector || f.detector === q.detector) && (!q.subject || f.subject === q.subject))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async pendingAlerts(limit: number): Promise<StoredFinding[]> {
    return [...this.findings.values()].filter((f) => !f.alerted).sort((a, b) => a.key.localeCompare(b.key)).slice(0, limit);
  }

  private readonly leases = new Map<string, number>();

  async claimAlert(key: string, now: number, leaseMs: number): Promise<boolean> {
    const f = this.findings.get(key);
    if (!f || f.alerted || (this.leases.get(key) ?? 0) > now) return false;
    this.leases.set(key, now + leaseMs);
    return true;
  }

  async releaseAlert(key: string): Promise<void> {
    this.leases.delete(key);
  }

  async markAlerted(key: string): Promise<boolean> {
    const f = this.findings.get(key);
    if (!f || f.alerted) return false;
    this.findings.set(key, { ...f, alerted: true });
    return true;
  }

  async runs(subjectKey: string, from: string, to: string): Promise<RunRecord[]> {
    return (this.runRecords.get(subjectKey) ?? []).filter((r) => r.ts >= from && r.ts < to).sort((a, b) => a.ts.localeCompare(b.ts));
  }

  /** Everything held, for copying into a persistent store at the end of a scan. */
  snapshot(): { states: Map<string, Versioned<unknown>>; findings: StoredFinding[]; records: RunRecord[] } {
    return { states: new Map(this.states), findings: [...this.findings.values()], records: [...this.runRecords.values()].flat() };
  }
}
