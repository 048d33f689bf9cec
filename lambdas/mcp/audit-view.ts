import type { Config } from '../config.ts';
import type { Clock, ExceptionRegistry, FindingQuery, FindingStore, GuardException, RunRecord, RunRecordStore, StoredFinding, SubjectCatalog } from '../ports.ts';

/** One stored subject as the catalog lists it: its state key (`job#nightly-backup`) and state. */
export interface StoredSubject {
  readonly key: string;
  readonly state: unknown;
}

/**
 * What the MCP tools may see of the audit: reads only. The tools are handed this and nothing else,
 * so no tool can commit state, mark a finding alerted or touch the exception registry: the server
 * is read-only by construction, not by convention.
 */
export interface AuditReadView {
  /** Where the data comes from, for messages: `memory (3 files scanned)`, `DynamoDB Local (…)`. */
  readonly source: string;
  readonly config: Config;
  /** The moment statuses, windows and lateness are judged at. */
  now(): number;
  /** Every stored subject whose state key is `<stateKind>#<name>`. */
  subjects(stateKind: string): Promise<readonly StoredSubject[]>;
  findings(query: FindingQuery): Promise<readonly StoredFinding[]>;
  runs(subjectKey: string, from: string, to: string): Promise<readonly RunRecord[]>;
  /** The exception registry's entries with their bypass counts; undefined when no registry is connected. */
  exceptions(): Promise<readonly GuardException[] | undefined>;
  /** How many days the store keeps a run record after its run (`RunRecordStore.runRetentionDays`); undefined: for good. */
  readonly runRetentionDays?: number;
  /** The zone the hosts' clocks are on (`--timezone`): schedules are learned in it, as `init` and `scan` learn them; undefined: UTC. */
  readonly timeZone?: string;
}

export interface ReadableStore extends SubjectCatalog, Pick<FindingStore, 'query'>, RunRecordStore {}

/**
 * The read-only view over a store: each read method bound on its own, so the object the tools get
 * holds no reference to the store's writes (`commit`, `markAlerted`, the registry's `add`, …).
 */
export function readOnlyView(parts: {
  readonly store: ReadableStore;
  readonly exceptions?: Pick<ExceptionRegistry, 'list'>;
  readonly config: Config;
  readonly clock: Clock;
  readonly source: string;
  readonly timeZone?: string;
}): AuditReadView {
  const { store, exceptions, config, clock, source, timeZone } = parts;
  return Object.freeze({
    source,
    config,
    now: () => clock.now(),
    subjects: async (stateKind: string) => (await store.subjects(stateKind)).map(({ key, state }) => ({ key, state })),
    findings: (query: FindingQuery) => store.query(query),
    runs: (subjectKey: string, from: string, to: string) => store.runs(subjectKey, from, to),
    exceptions: async () => (exceptions ? exceptions.list() : undefined),
    runRetentionDays: store.runRetentionDays,
    ...(timeZone !== undefined ? { timeZone } : {}),
  });
}

/** A tool call the audit cannot answer as asked (an unknown subject or finding id): the message says what to ask instead. */
export class ToolArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolArgumentError';
  }
}
