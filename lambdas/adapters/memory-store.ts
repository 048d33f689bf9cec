import { keptState } from '../core/frozen-state.ts';
import { FindingsInMemory } from './memory-finding-outbox.ts';
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
export class MemoryAuditStore extends FindingsInMemory implements StateStore, FindingStore, RunRecordStore, SubjectCatalog {
  private readonly states = new Map<string, Versioned<unknown>>();
  /** The catalog kind of the states whose last write listed them as another than their key's (`SubjectCommit.listedAs`). */
  private readonly listedAs = new Map<string, string>();
  /** Run records by subject, then by run id (a run is recorded once, however often its batch is delivered). */
  private readonly runRecords = new Map<string, Map<string, RunRecord>>();

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
      .filter(([key]) => (this.listedAs.get(key) ?? key.slice(0, key.indexOf('#'))) === stateKind)
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
    if (change.listedAs !== undefined) this.listedAs.set(change.key, change.listedAs);
    else this.listedAs.delete(change.key);
    for (const f of change.findings) this.findings.add(f, change.alreadyAlerted === true);
    for (const r of change.records) {
      const key = `${r.subject_kind}#${r.subject}`;
      let byRun = this.runRecords.get(key);
      if (!byRun) this.runRecords.set(key, (byRun = new Map()));
      // By time and run id, as the table keys them: a run id used again on a later run is another run.
      const runKey = `${r.ts}#${r.run_id}`;
      if (!byRun.has(runKey)) byRun.set(runKey, r);
    }
    return 'committed';
  }

  async runs(subjectKey: string, from: string, to: string): Promise<RunRecord[]> {
    return [...(this.runRecords.get(subjectKey)?.values() ?? [])].filter((r) => r.ts >= from && r.ts < to).sort((a, b) => a.ts.localeCompare(b.ts));
  }

  async hasRuns(subjectKey: string, from: string, to: string): Promise<boolean> {
    for (const r of this.runRecords.get(subjectKey)?.values() ?? []) if (r.ts >= from && r.ts < to) return true;
    return false;
  }

  /** Everything held, for copying into a persistent store at the end of a scan. */
  snapshot(): { states: Map<string, Versioned<unknown>>; findings: StoredFinding[]; records: RunRecord[] } {
    return { states: new Map(this.states), findings: this.findings.all(), records: [...this.runRecords.values()].flatMap((byRun) => [...byRun.values()]) };
  }
}
