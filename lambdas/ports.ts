import type { Finding } from './core/findings.ts';

/**
 * The interfaces the core needs. Adapters in `adapters/` implement them for DynamoDB, SNS,
 * the console and files; the CLI and the Lambdas differ only in which adapters they wire.
 */

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A subject's state with the version it was read at (0: never stored). */
export interface Versioned<S> {
  readonly state: S;
  readonly version: number;
}

/** A fact about one run, kept for reports and status queries (with a TTL in DynamoDB). */
export interface RunRecord {
  readonly subject: string;
  readonly subject_kind: Finding['subject_kind'];
  readonly run_id: string;
  /** ISO-8601 end (or start, for runs that log no end) time. */
  readonly ts: string;
  readonly status: 'ok' | 'failed' | 'started';
  readonly exit_code?: number;
  readonly duration_ms?: number;
  readonly output_bytes?: number;
  readonly host?: string;
}

/** What one subject's processing of a batch writes: its new state, with findings and run records. */
export interface SubjectCommit {
  /** `kind#name`, e.g. `job#nightly-backup`. */
  readonly key: string;
  readonly expectedVersion: number;
  readonly state: unknown;
  readonly findings: readonly Finding[];
  readonly records: readonly RunRecord[];
}

export type CommitResult = 'committed' | 'conflict';

/**
 * Per-subject state, read once per batch and written back once, conditionally on the version
 * read (contract §6). Findings are stored in the same write, so that a finding exists exactly
 * when the state that produced it does.
 */
export interface StateStore {
  load(keys: readonly string[]): Promise<Map<string, Versioned<unknown>>>;
  commit(change: SubjectCommit): Promise<CommitResult>;
}

/** Lists the stored subjects of a kind, with their state. */
export interface SubjectCatalog {
  /** Every subject whose state key is `<stateKind>#<name>`, e.g. all `job` subjects. */
  subjects(stateKind: string): Promise<Array<{ readonly key: string; readonly state: unknown; readonly version: number }>>;
}

export interface FindingQuery {
  /** ISO-8601 inclusive lower bound on `ts`. */
  readonly from: string;
  /** ISO-8601 exclusive upper bound on `ts`. */
  readonly to: string;
  readonly detector?: string;
  readonly subject?: string;
}

export interface StoredFinding extends Finding {
  readonly key: string;
  /** Whether the alert for it has been delivered. */
  readonly alerted: boolean;
}

/** Findings as stored; the ones not yet alerted form the outbox. */
export interface FindingStore {
  query(q: FindingQuery): Promise<StoredFinding[]>;
  /** Findings whose alert is not delivered yet, oldest first. */
  pendingAlerts(limit: number): Promise<StoredFinding[]>;
  /**
   * Takes the right to send a finding's alert for `leaseMs` (so two senders never both send it);
   * false if it is delivered already or another sender holds the lease.
   */
  claimAlert(key: string, now: number, leaseMs: number): Promise<boolean>;
  /** Gives a claim back after a failed send, so the next sender may try at once. */
  releaseAlert(key: string): Promise<void>;
  /** Marks a finding's alert delivered; false if someone else already did. */
  markAlerted(key: string): Promise<boolean>;
}

export interface RunRecordStore {
  runs(subjectKey: string, from: string, to: string): Promise<RunRecord[]>;
}

export interface AlertSink {
  /** Delivers one alert per finding; throws if delivery failed (the finding stays pending). */
  publish(finding: Finding): Promise<void>;
}

/** Counters for what a batch or scan read: visible in CLI output and as metrics. */
export interface LineCounts {
  lines: number;
  events: number;
  rejected: number;
  unrecognised: number;
}

/** One renewal of a guard-bypass exception: who extended it, when, why, and to what date. */
export interface ExceptionRenewal {
  readonly at: string;
  readonly by: string;
  readonly reason: string;
  readonly from_expires: string;
  readonly to_expires: string;
}

/**
 * A guard-bypass exception (contract §2 `exceptions`): a bypass someone allowed on purpose,
 * with a reason, an owner and an expiry. Never deleted, only revoked: the registry is history.
 */
export interface GuardException {
  readonly id: string;
  readonly guard: string;
  readonly reason: string;
  readonly owner: string;
  /** `YYYY-MM-DD`: the last day the exception is valid. */
  readonly expires: string;
  readonly status: 'active' | 'revoked';
  readonly created_at: string;
  readonly created_by?: string;
  /** `config` when seeded from the config file, `cli` when added with `exceptions add`. */
  readonly origin: 'config' | 'cli';
  readonly renewals: readonly ExceptionRenewal[];
  readonly revoked_at?: string;
  readonly revoked_by?: string;
  readonly revoke_reason?: string;
  /** Bypasses seen under this exception, all time. */
  readonly bypass_count: number;
  readonly last_bypass_at?: string;
}

/** The guard-bypass exception registry. */
export interface ExceptionRegistry {
  list(): Promise<GuardException[]>;
  get(id: string): Promise<GuardException | undefined>;
}
