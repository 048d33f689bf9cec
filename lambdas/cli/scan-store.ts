import { FindingsInMemory } from '../adapters/memory-finding-outbox.ts';
import type { Finding } from '../core/findings.ts';
import { keptState } from '../core/frozen-state.ts';
import { subjectKey } from '../core/pipeline.ts';
import type {
  CommitResult,
  FindingQuery,
  FindingStore,
  RunRecord,
  RunRecordStore,
  StateStore,
  StoredFinding,
  SubjectCatalog,
  SubjectCommit,
  Versioned,
} from '../ports.ts';

type PersistentStore = StateStore & FindingStore & SubjectCatalog;

/** States kept as objects (`HeldStates`): a few MB for the subjects a scan touches over and over. */
const HOT_STATES = 1000;

export class ScanWriteBackError extends Error {
  constructor(readonly keys: readonly string[]) {
    super(
      `the stored state of ${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ` and ${keys.length - 3} more` : ''} changed while the scan ran; ` +
        'nothing of those subjects was saved: run the scan again',
    );
    this.name = 'ScanWriteBackError';
  }
}

/**
 * The state of one `scan` (contract §6: a scan is one batch whose state lives in memory while it
 * streams). Chunks of events are folded into it like batches; with a persistent store behind it,
 * a subject's stored state is read the first time the scan needs it, and `writeBack` saves every
 * changed subject once at the end, conditionally on the version read, with its findings and run
 * records. Without one, nothing is written, and unless asked run records are not even kept (a
 * scan does not read them), so memory holds only the subjects' states and the findings.
 */
export class ScanStore extends FindingsInMemory implements StateStore, FindingStore, RunRecordStore, SubjectCatalog {
  /** Every subject's state: the latest used as objects, the rest as JSON (`HeldStates`). */
  private readonly states: HeldStates;
  /** The version each subject had in the persistent store when first read (0: not stored). */
  private readonly baseVersions = new Map<string, number>();
  private readonly listedKinds = new Set<string>();
  /** Finding keys per subject key, in the order they came, for the write-back. */
  private readonly findingsOf = new Map<string, string[]>();
  private readonly records = new Map<string, Map<string, RunRecord>>();
  private readonly recordsOf = new Map<string, RunRecord[]>();
  private readonly changed = new Set<string>();
  /** When each changed subject's state may be deleted (`SubjectCommit.expiresAt`), as its latest commit says. */
  private readonly expiresOf = new Map<string, number>();

  private readonly keepRecords: boolean;

  /**
   * `keepRecords`: keep run records for `runs()` (a report) or the write-back; by default only with
   * a persistent store. `hotStates`: how many states are kept as objects (`HOT_STATES`).
   */
  constructor(
    private readonly base?: PersistentStore,
    options: { keepRecords?: boolean; hotStates?: number } = {},
  ) {
    super();
    this.keepRecords = options.keepRecords ?? base !== undefined;
    this.states = new HeldStates(options.hotStates ?? HOT_STATES);
  }

  async load(keys: readonly string[]): Promise<Map<string, Versioned<unknown>>> {
    const unread = keys.filter((k) => !this.baseVersions.has(k));
    if (unread.length > 0) await this.readBase(unread);
    const out = new Map<string, Versioned<unknown>>();
    for (const key of keys) {
      const v = this.states.use(key);
      if (v) out.set(key, { state: v.state, version: v.version });
    }
    return out;
  }

  async commit(change: SubjectCommit): Promise<CommitResult> {
    if (!this.baseVersions.has(change.key)) await this.readBase([change.key]);
    const current = this.states.versionOf(change.key) ?? 0;
    if (current !== change.expectedVersion) return 'conflict';
    this.states.keep(change.key, { state: keptState(change.state), version: current + 1 });
    this.changed.add(change.key);
    if (change.expiresAt !== undefined) this.expiresOf.set(change.key, change.expiresAt);
    else this.expiresOf.delete(change.key);
    for (const f of change.findings) {
      const key = this.findings.add(f);
      if (key === undefined) continue;
      const list = this.findingsOf.get(change.key) ?? [];
      list.push(key);
      this.findingsOf.set(change.key, list);
    }
    if (this.keepRecords) {
      for (const r of change.records) {
        const subject = subjectKey(r.subject_kind, r.subject);
        let byRun = this.records.get(subject);
        if (!byRun) this.records.set(subject, (byRun = new Map()));
        // By time and run id, as the table keys them: a run id used again on a later run is another run.
        const runKey = `${r.ts}#${r.run_id}`;
        if (byRun.has(runKey)) continue;
        byRun.set(runKey, r);
        const list = this.recordsOf.get(change.key) ?? [];
        list.push(r);
        this.recordsOf.set(change.key, list);
      }
    }
    return 'committed';
  }

  async subjects(stateKind: string): Promise<Array<{ key: string; state: unknown; version: number }>> {
    if (this.base && !this.listedKinds.has(stateKind)) {
      this.listedKinds.add(stateKind);
      for (const stored of await this.base.subjects(stateKind)) {
        if (this.baseVersions.has(stored.key)) continue;
        this.baseVersions.set(stored.key, stored.version);
        this.states.keepCold(stored.key, stored);
      }
    }
    const prefix = `${stateKind}#`;
    const keys = this.states.keys().filter((key) => key.startsWith(prefix)).sort((a, b) => a.localeCompare(b));
    return keys.map((key) => ({ key, ...(this.states.peek(key) as Versioned<unknown>) }));
  }

  /** The findings of this scan (stored ones are the persistent store's business). */
  async runs(subjectKey: string, from: string, to: string): Promise<RunRecord[]> {
    return [...(this.records.get(subjectKey)?.values() ?? [])].filter((r) => r.ts >= from && r.ts < to).sort((a, b) => a.ts.localeCompare(b.ts));
  }

  /** Subjects the scan changed, states held, findings: for the summary and the tests. */
  get size(): { subjects: number; changed: number; findings: number } {
    return { subjects: this.states.size, changed: this.changed.size, findings: this.findings.size };
  }

  /**
   * Saves what the scan changed into the persistent store: each changed subject's state once,
   * conditionally on the version the scan read, with its findings, run records and expiry; then marks the
   * findings the scan showed as alerted. A subject whose stored state moved meanwhile is not
   * saved (the scan cannot recompute it without reading everything again): the error names them.
   */
  async writeBack(): Promise<{ subjects: number; findings: number; records: number }> {
    if (!this.base) return { subjects: 0, findings: 0, records: 0 };
    const conflicts: string[] = [];
    let findings = 0;
    let records = 0;
    for (const key of [...this.changed].sort()) {
      const { state } = this.states.peek(key) as Versioned<unknown>;
      const own = (this.findingsOf.get(key) ?? []).map((k) => this.strip(this.findings.get(k) as StoredFinding));
      const runRecords = this.recordsOf.get(key) ?? [];
      // With its expiry: the write replaces the stored item, a TTL on it included.
      const expiresAt = this.expiresOf.get(key);
      const outcome = await this.base.commit({
        key,
        expectedVersion: this.baseVersions.get(key) ?? 0,
        state,
        findings: own,
        records: runRecords,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      });
      if (outcome === 'conflict') {
        conflicts.push(key);
        continue;
      }
      findings += own.length;
      records += runRecords.length;
    }
    for (const f of this.findings.all()) if (f.alerted) await this.base.markAlerted(f.key);
    if (conflicts.length > 0) throw new ScanWriteBackError(conflicts);
    return { subjects: this.changed.size, findings, records };
  }

  private strip(f: StoredFinding): Finding {
    const { key: _key, alerted: _alerted, ...finding } = f;
    return finding;
  }

  private async readBase(keys: readonly string[]): Promise<void> {
    const loaded = this.base ? await this.base.load(keys) : new Map<string, Versioned<unknown>>();
    for (const key of keys) {
      const v = loaded.get(key);
      this.baseVersions.set(key, v?.version ?? 0);
      if (v && this.states.versionOf(key) === undefined) this.states.keepCold(key, v);
    }
  }
}

/**
 * The states of one scan. The subjects used last are kept as objects, handed out and kept without
 * copying (reducers never change a state they are given, see `frozen-state.ts`), so the subjects
 * every chunk touches (jobs, routes, agents) are neither parsed nor serialised chunk after chunk;
 * past `limit`, the least recently used goes to JSON, as DynamoDB holds it: a tenth of the memory
 * of the objects. A scan of many agent runs keeps one small state per run, most never read again.
 */
class HeldStates {
  /** In order of use, the most recent last. */
  private readonly hot = new Map<string, Versioned<unknown>>();
  private readonly cold = new Map<string, { readonly json: string; readonly version: number }>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  get size(): number {
    return this.hot.size + this.cold.size;
  }

  keys(): string[] {
    return [...this.hot.keys(), ...this.cold.keys()];
  }

  versionOf(key: string): number | undefined {
    return (this.hot.get(key) ?? this.cold.get(key))?.version;
  }

  /** A state without moving it between objects and JSON (sweeps and the write-back read every subject once). */
  peek(key: string): Versioned<unknown> | undefined {
    const hot = this.hot.get(key);
    if (hot) return hot;
    const cold = this.cold.get(key);
    return cold && { state: keptState(JSON.parse(cold.json)), version: cold.version };
  }

  /** A state for a batch: made the most recently used, read from JSON if it had gone cold. */
  use(key: string): Versioned<unknown> | undefined {
    const hot = this.hot.get(key);
    if (hot) {
      this.hot.delete(key);
      this.hot.set(key, hot);
      return hot;
    }
    const cold = this.cold.get(key);
    if (!cold) return undefined;
    const v = { state: keptState(JSON.parse(cold.json)), version: cold.version };
    this.keep(key, v);
    return v;
  }

  /** A state just written: the most recently used. */
  keep(key: string, v: Versioned<unknown>): void {
    this.cold.delete(key);
    this.hot.delete(key);
    this.hot.set(key, v);
    if (this.hot.size <= this.limit) return;
    const [oldest, held] = this.hot.entries().next().value as [string, Versioned<unknown>];
    this.hot.delete(oldest);
    this.cold.set(oldest, { json: JSON.stringify(held.state), version: held.version });
  }

  /** A state read from the persistent store, as JSON until a batch uses it. */
  keepCold(key: string, v: Versioned<unknown>): void {
    this.hot.delete(key);
    this.cold.set(key, { json: JSON.stringify(v.state), version: v.version });
  }
}
