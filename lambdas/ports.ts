import type { AlertMessage } from './core/alert-policy-messages.ts';
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
  /**
   * A finding about the run was reported before its record was written (an agent root the sweep
   * flagged while it ran, or judged once quiet for an hour), or with it (a job run that exited 0 but
   * that a run detector fired on): the run is failing, as a run with a fresh finding about it is,
   * though that finding may not be in the batch that reads the record (a retried delivery reads
   * its records back without them).
   */
  readonly flagged?: true;
}

/** What one subject's processing of a batch writes: its new state, with findings and run records. */
export interface SubjectCommit {
  /** `kind#name`, e.g. `job#nightly-backup`. */
  readonly key: string;
  readonly expectedVersion: number;
  readonly state: unknown;
  readonly findings: readonly Finding[];
  readonly records: readonly RunRecord[];
  /** When the state may be deleted (epoch ms): per-run state carries it, stores with a TTL honour it. */
  readonly expiresAt?: number;
  /**
   * The findings are history (`backfill`): stored as already alerted, never in the outbox, so that
   * no drain running meanwhile sends one as a live alert.
   */
  readonly alreadyAlerted?: true;
  /**
   * The catalog kind the state is listed under (`SubjectCatalog.subjects`) instead of its key's: an
   * alert state the sweep must look at with no run is listed as `alert-due` (`ALERT_DUE_CATALOG`), so
   * that it finds those few without reading every alert state. Each write says it again (absent: the key's).
   */
  readonly listedAs?: string;
}

export type CommitResult = 'committed' | 'conflict';

export interface LoadOptions {
  /**
   * Keys whose state is presumably not stored yet (the batch holds the subject's beginning, see
   * `SubjectReducer.beginsIn`). A store whose reads cost may leave them unread, as if found absent:
   * the pipeline writes them conditionally on absence, and a wrong guess is a conflict, read then.
   */
  readonly presumedAbsent?: ReadonlySet<string>;
}

/**
 * Per-subject state, read once per batch and written back once, conditionally on the version
 * read (contract §6). Findings are stored in the same write, so that a finding exists exactly
 * when the state that produced it does.
 */
export interface StateStore {
  load(keys: readonly string[], options?: LoadOptions): Promise<Map<string, Versioned<unknown>>>;
  /**
   * Reads state as it is stored now, past any cache of this process: for state that other
   * invocations write and this one only reads (the runs of an agent tree, the sweep's view of
   * open roots). Without it, `load` is taken to be current.
   */
  loadCurrent?(keys: readonly string[]): Promise<Map<string, Versioned<unknown>>>;
  commit(change: SubjectCommit): Promise<CommitResult>;
}

/** Lists the stored subjects of a kind, with their state. */
export interface SubjectCatalog {
  /**
   * Every subject whose state key is `<stateKind>#<name>`, e.g. all `job` subjects (or whose last
   * write listed it as `stateKind`, `SubjectCommit.listedAs`, and then only under it), with its state
   * as stored now, past any cache of this process: the sweep judges what did not happen from it,
   * and a state other invocations wrote since this one last read it may hold a run that is overdue.
   */
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
  /** Its alert's failed sends, when one failed: it is retried later, or was given up (then no longer pending). */
  readonly alert_failure?: AlertFailure;
  /**
   * When an earlier claim of its alert was made, never marked nor released (read by `pendingAlerts` only):
   * its send was not confirmed, so it awaits a retry (counted by `alertsAwaitingRetry`, not `alertsPending`).
   */
  readonly alert_claimed_at?: number;
}

/** What a finding's failed sends left on it. */
export interface AlertFailure {
  /** Failed sends so far. */
  readonly failures: number;
  /** When the first one failed (epoch ms). */
  readonly first_at: number;
  /** The last send's error. */
  readonly error: string;
  /** The next send may be tried from then on (epoch ms). */
  readonly retry_at: number;
  /** Given up: the finding left the outbox without its alert. */
  readonly gave_up?: boolean;
  /**
   * When a send before the failed ones was started and never confirmed (published or not, unknown):
   * the send that goes out after the failures still says it may be a repeat.
   */
  readonly unconfirmed_send_at?: number;
}

/**
 * The right to send a finding's alert (`claimAlert`). `unconfirmedSendAt`: an earlier claim of it
 * ran out with its send neither marked nor failed (an invocation that published and then lost its
 * mark, or died before or after its publish): this send may be a repeat and says so.
 */
export interface AlertClaim {
  readonly unconfirmedSendAt?: number;
}

/** Findings as stored; the ones not yet alerted form the outbox. */
export interface FindingStore {
  query(q: FindingQuery): Promise<StoredFinding[]>;
  /**
   * Findings whose alert is not delivered yet, oldest first. Given `now`, it leaves out those under
   * a lease or waiting to retry a failed send, so that alerts failing again and again never take
   * the places of newer ones.
   */
  pendingAlerts(limit: number, now?: number): Promise<StoredFinding[]>;
  /**
   * How many findings wait for a retry of a failed send (in the outbox with a failure recorded, not
   * given up), leased or not, or of a send not confirmed (claimed, neither marked nor released: a
   * send under way, or one whose invocation lost its mark or died): the sweep's `AlertsAwaitingRetry` gauge.
   */
  alertsAwaitingRetry(): Promise<number>;
  /**
   * How many findings wait in the outbox for a first send: not delivered, never claimed, no failed
   * send (those are `alertsAwaitingRetry`): the backlog a sweep out of time leaves (its `SweepAlertsLeft`).
   */
  alertsPending(): Promise<number>;
  /**
   * Takes the right to send a finding's alert for `leaseMs` (so two senders never both send it while it holds),
   * noting when (until the send is marked or released); false if it is delivered already or another
   * sender holds the lease.
   */
  claimAlert(key: string, now: number, leaseMs: number): Promise<AlertClaim | false>;
  /**
   * Gives a claim back (its send not made, or failed). With a failure: records it on the finding, which waits until its
   * `retry_at` (held like a lease), or, given up, leaves the outbox not alerted.
   */
  releaseAlert(key: string, failure?: AlertFailure): Promise<void>;
  /** Marks a finding's alert delivered; false if someone else already did. */
  markAlerted(key: string): Promise<boolean>;
  /**
   * Of these findings, those whose alert still awaits its send (in the outbox: neither delivered nor
   * given up), each with when it may be sent next (the end of its lease or of its wait for a retry,
   * `retry_at`; 0 when it may be sent now); those left out were delivered, given up, or are not stored.
   * One batched read. Without it, a recovery held behind such a finding is held a lease at a time.
   */
  alertsAwaitingSend?(keys: readonly string[]): Promise<Map<string, number>>;
}

export interface RunRecordStore {
  runs(subjectKey: string, from: string, to: string): Promise<RunRecord[]>;
  /** Whether a subject has a run record in `[from, to)`, reading as little as it can (the first one found); `runs` is read without it. */
  hasRuns?(subjectKey: string, from: string, to: string): Promise<boolean>;
  /**
   * How many days a run record is kept after its run (the store then deletes it); undefined when
   * records are kept for good. A report of a month older than that has only part of its runs.
   */
  readonly runRetentionDays?: number;
}

export interface AlertSink {
  /** Delivers one alert per finding; throws if delivery failed (the finding stays pending). */
  publish(finding: Finding): Promise<void>;
  /**
   * Delivers one message of the alert policy (an alert, escalation, flapping or recovery notice, a
   * storm summary); throws if delivery failed. Sinks without it get findings through `publish`.
   */
  send?(message: AlertMessage): Promise<void>;
}

/**
 * A snooze (contract §2 `snoozes`, or `silent-audit snooze add`): findings about a subject (and
 * one detector, if named) are stored but not alerted until `until`. Never open-ended; ended early
 * with `snooze end`, and kept as history.
 */
export interface Snooze {
  readonly id: string;
  readonly subject: string;
  readonly detector?: string;
  readonly owner: string;
  readonly reason: string;
  /** ISO-8601: the moment it ends. */
  readonly until: string;
  readonly status: 'active' | 'ended';
  /** `config` when it comes from the config file, `cli` when added with `snooze add`. */
  readonly origin: 'config' | 'cli';
  readonly created_at?: string;
  readonly created_by?: string;
  readonly ended_at?: string;
  readonly ended_by?: string;
  readonly end_reason?: string;
}

/** The snoozes kept in a store (the config's come on top). */
export interface SnoozeRegistry {
  list(): Promise<Snooze[]>;
}

/** The snoozes with their writes: an id is added once, and only an active snooze can be ended. */
export interface SnoozeStore extends SnoozeRegistry {
  add(snooze: Snooze): Promise<'added' | 'exists'>;
  end(id: string, ending: { readonly at: string; readonly by: string; readonly reason: string }): Promise<'ended' | 'conflict'>;
}

/**
 * Counters for what a batch or scan read: visible in CLI output and as metrics. Every line read is
 * counted once in `eventLines`, `nothingToJudge`, `rejected` or `unrecognised`, so they add up to
 * `lines`; `rejected` also counts a whole delivery refused, which is no line.
 */
export interface LineCounts {
  lines: number;
  /** Events the lines gave (a line may give several). */
  events: number;
  /** Lines that gave one event or more. */
  eventLines: number;
  /** Lines a parser recognised that give no event (a cron PAM session line, a systemd "Consumed …" record). */
  nothingToJudge: number;
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

/** The end of a guard-bypass exception: who revoked it, when and why. */
export interface ExceptionRevocation {
  readonly at: string;
  readonly by: string;
  readonly reason: string;
}

/**
 * The registry with its writes. Every write is conditional, so that nothing is overwritten or
 * lost: an id is added once, a renewal applies only to the expiry it was judged against, a
 * revocation only to an active exception. Nothing is ever deleted.
 */
export interface ExceptionStore extends ExceptionRegistry {
  /** The records as stored, without their bypass counts (0): one query, what a batch needs. */
  listRecords(): Promise<GuardException[]>;
  /** Stores a new exception; `exists` when the id is taken (revoked ones included). */
  add(exception: GuardException): Promise<'added' | 'exists'>;
  /** Appends a renewal and moves the expiry, if the exception is active and still expires on `renewal.from_expires`. */
  renew(id: string, renewal: ExceptionRenewal): Promise<'renewed' | 'conflict'>;
  /** Marks an active exception revoked, keeping its record. */
  revoke(id: string, revocation: ExceptionRevocation): Promise<'revoked' | 'conflict'>;
}

/** One rendered form of a monthly report. */
export interface ReportDocument {
  readonly format: 'md' | 'html' | 'json';
  readonly contentType: string;
  readonly body: string;
}

/** Where a published report went: a place to point people at, and each document's address. */
export interface PublishedReport {
  readonly location: string;
  readonly documents: readonly { readonly format: ReportDocument['format']; readonly uri: string }[];
}

/** Where monthly reports are kept (a bucket, a folder); next month's report reads this one back. */
export interface ReportPublisher {
  publish(month: string, documents: readonly ReportDocument[]): Promise<PublishedReport>;
  /** An earlier month's report in one format, if it was kept. */
  read(month: string, format: ReportDocument['format']): Promise<string | undefined>;
}

/** The short message that tells people a monthly report is out. */
export interface ReportNotice {
  readonly subject: string;
  readonly message: string;
  /** The highest severity among the report's open groups; `low` when none. */
  readonly severity: Finding['severity'];
}

export interface ReportNotifier {
  notify(notice: ReportNotice): Promise<void>;
}
