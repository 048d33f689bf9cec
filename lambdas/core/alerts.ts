import { type Config, DEFAULT_CONFIG } from '../config.ts';
import type { AlertFailure, AlertSink, Clock, FindingStore, RunRecord, RunRecordStore, Snooze, SnoozeRegistry, StateStore, StoredFinding, Versioned } from '../ports.ts';
import {
  type AlertCandidate,
  alertPolicyOptions,
  type AlertState,
  alertStateCatalog,
  alertStateKey,
  capAlerts,
  decideAlerts,
  isAfterMark,
  mayNoticeFlapping,
  type PlannedAlert,
  type PolicyContext,
  type PolicyResult,
  type RunOutcome,
  afterSends,
  awaitedOutsideDelivery,
  noticesAwaitingRetry,
  runOutcomes,
  type SendOutcome,
} from './alert-policy.ts';
import { type AlertMessage, alertMessage, messageAsFinding, summaryMessage } from './alert-policy-messages.ts';
import { type Finding, findingKey, isoTime, type SubjectKind } from './findings.ts';
import { parseTime } from './parse-time.ts';
import { settleLimited } from './map-limited.ts';
import { CONFLICT, CommitConflictError, type CommitRetry, retryOnConflict } from './commit-retry.ts';
import { PARALLEL_COMMITS, type ReplayedSpan } from './pipeline.ts';
import { allSnoozes, configSnoozes, suppressionFor } from './snooze.ts';

export interface DeliveryResult {
  /** Messages published (alerts, escalations, notices, and the storm summary). */
  readonly sent: number;
  readonly failed: number;
  readonly errors: string[];
  /** Findings held by the policy (cooldown, flapping, or reported by another alert of the same delivery). */
  readonly suppressed?: number;
  /** Findings and flapping notices held by a snooze or a maintenance window. */
  readonly snoozed?: number;
  /** Alerts beyond the storm cap, folded into the one summary message. */
  readonly summarized?: number;
  /** Findings whose alert was given up: their sends failed for `GIVE_UP_AFTER_MS` (also in `failed` and `errors`). */
  readonly abandoned?: number;
  /** Notices (recovery, flapping) whose send failed and that wait for a retry, in the states this delivery read (the sweep: every state with a notice pending). */
  readonly noticesAwaitingRetry?: number;
  /**
   * Findings and notices left for a later delivery because the invocation's time ran out (`timeLeft`):
   * the findings stay in the outbox (pending, drained by the next sweep), the notices in their state (sent again once their lease is over).
   */
  readonly left?: number;
  /** The notices among `left`: pending in their subject's state, not in the outbox. */
  readonly noticesLeft?: number;
  /** The findings among `left` awaiting a retry (a send failed or not confirmed before): not counted by `FindingStore.alertsPending`. */
  readonly retriesLeft?: number;
  /** The pending findings this delivery read from the outbox (`drainLimit` at most): as many as the limit, more may be waiting. */
  readonly drained?: number;
}

export interface DeliveryOptions {
  /** How many older pending findings to take from the outbox besides the fresh ones (default 50). */
  readonly drainLimit?: number;
  /** The alert policy's settings (`defaults.*`, `snoozes`, `maintenance_windows`); default: built-in. */
  readonly config?: Config;
  /** Snoozes kept in the store (added with `silent-audit snooze add`), besides the config's. */
  readonly snoozes?: SnoozeRegistry;
  /** The run records the batch produced: healthy and failing runs drive flapping and recovery. */
  readonly records?: readonly RunRecord[];
  /**
   * Subjects whose runs of a span were recorded by an earlier invocation (a redelivery): when their
   * alert state has not seen the span's runs, they are read back from the store (`runs`) and applied.
   */
  readonly replayed?: readonly ReplayedSpan[];
  /** How an alert-state write that lost to a concurrent writer is retried (the invocation's time left); default: `UNTIMED_BUDGET_MS`. */
  readonly retry?: CommitRetry;
  /**
   * The sweep's delivery: the alert states it listed as due a look with no run (`ALERT_DUE_CATALOG`:
   * flapping, or a notice pending), as read. Every subject of the delivery, these too, is then judged
   * at the clock's now (`judgedAtNow`): flapping quiet for long enough settles and a healthy subject
   * gets its recovery notice without waiting for its next run; a notice whose lease ran out is sent again.
   */
  readonly due?: readonly { readonly key: string; readonly state: unknown; readonly version: number }[];
  /**
   * How long the delivery may still start work, in ms: the invocation's time left less what it keeps
   * to finish (default: no limit). At 0 or less it starts nothing more: subjects not yet decided (but
   * those with runs of the batch), held findings not yet marked and alerts not yet claimed are left for
   * a later delivery (`left`). A storm summary's claims stop while the time left still covers the marks
   * of those claimed (about as long as the claims took): the summary goes out once, for those it folds.
   */
  readonly timeLeft?: () => number;
  /**
   * Alerts the invocation already sent one by one (a sweep's earlier drain pages): counted against
   * `alert_storm_cap`, so a backlog drained in pages goes one by one only until the cap, the rest in summaries.
   */
  readonly stormCapUsed?: number;
}

const LEASE_MS = 60_000;
/**
 * After a first failed send the next delivery may try again at once; after a second one a finding
 * waits 1 minute, then twice as long after each further failure, at most an hour.
 */
const RETRY_FIRST_MS = 60_000;
const RETRY_MAX_MS = 3_600_000;
/** As long as the alert policy keeps a finding's decision (alert-policy.ts): an SNS outage of days is waited out. */
const GIVE_UP_AFTER_MS = 14 * 86_400_000;

function storedAsFinding(stored: StoredFinding): Finding {
  const { key: _key, alerted: _alerted, alert_failure: _failure, alert_claimed_at: _claimedAt, ...finding } = stored;
  return finding;
}

/**
 * What a failed send leaves on a finding: when to retry, or, failing for `GIVE_UP_AFTER_MS`, given up;
 * and when a send before it was not confirmed (`unconfirmedSendAt`), so that the retry still says it may be a repeat.
 */
function failedSend(prior: AlertFailure | undefined, error: string, now: number, unconfirmedSendAt?: number): AlertFailure {
  const failures = (prior?.failures ?? 0) + 1;
  const first_at = prior?.first_at ?? now;
  const retry_at = failures === 1 ? now : now + Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(failures - 2, 20));
  return {
    failures,
    first_at,
    error: error.slice(0, 1000),
    retry_at,
    ...(now - first_at >= GIVE_UP_AFTER_MS ? { gave_up: true } : {}),
    ...(unconfirmedSendAt !== undefined ? { unconfirmed_send_at: unconfirmedSendAt } : {}),
  };
}

async function deliver(sink: AlertSink, message: AlertMessage, now: number): Promise<void> {
  if (sink.send) return sink.send(message);
  const finding = messageAsFinding(message, now);
  if (finding) await sink.publish(finding);
}

/**
 * The outbox, through the alert policy. Every finding is stored before it gets here (`outbox =
 * PENDING`); this decides per subject what is sent and what is held (alert-policy.ts), writes the
 * subject's alert state conditionally on its version (a writer that loses re-reads and decides
 * again, so two invocations never both alert the same detector and subject), then claims each
 * finding to send (a lease), publishes and marks it. Held findings are marked without a message.
 * A send whose mark (or a notice's settle) is lost after SNS took it is sent again after its lease
 * (SNS cannot drop a duplicate: at-least-once there), saying it may be a repeat (`unconfirmedSendAt`).
 * A failed send leaves the finding pending with its decision recorded: a later invocation sends it
 * as decided, at once after a first failure, then after a wait that doubles (1 minute to an hour), while the
 * drain passes it over; after 14 days of failing it is given up (out of the outbox, not alerted).
 * At most `alert_storm_cap` messages go out one by one; the rest form one summary. The runs of a
 * redelivered batch (`replayed`) that the alert state has not seen are read back from the store.
 */
export async function deliverAlerts(
  fresh: readonly Finding[],
  store: StateStore & FindingStore & Partial<RunRecordStore>,
  sink: AlertSink,
  clock: Clock,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const config = options.config ?? DEFAULT_CONFIG;
  const policy = alertPolicyOptions(config);
  const now = clock.now();
  const timeLeft = options.timeLeft;
  const outOfTime = () => timeLeft !== undefined && timeLeft() <= 0;
  /** Findings and notices left for a later delivery for lack of time. */
  let left = 0;
  let noticesLeft = 0;
  /** The findings among `left` awaiting a retry (a failed or unconfirmed send): not counted by `alertsPending`. */
  let retriesLeft = 0;
  const leave = (alert?: PlannedAlert, key = alert?.candidate?.key): undefined => {
    left++;
    if (alert && !alert.candidate) noticesLeft++;
    if (key !== undefined && awaitingRetry.has(key)) retriesLeft++;
    return undefined;
  };

  const candidates = new Map<string, AlertCandidate>();
  for (const finding of fresh) {
    const key = findingKey(finding);
    if (!candidates.has(key)) candidates.set(key, { key, finding });
  }
  const drainLimit = options.drainLimit ?? 50;
  const priorFailures = new Map<string, AlertFailure>();
  /** The drained findings awaiting a retry: a send failed or not confirmed before. */
  const awaitingRetry = new Set<string>();
  let drained = 0;
  if (drainLimit > 0) {
    const pendings = await store.pendingAlerts(drainLimit, now);
    drained = pendings.length;
    for (const pending of pendings) {
      if (candidates.has(pending.key)) continue;
      candidates.set(pending.key, { key: pending.key, finding: storedAsFinding(pending) });
      if (pending.alert_failure) priorFailures.set(pending.key, pending.alert_failure);
      if (pending.alert_failure || pending.alert_claimed_at !== undefined) awaitingRetry.add(pending.key);
    }
  }
  let abandoned = 0;
  /** What the sends did to each subject's notices (and whether a finding of it waits), written to its state after them. */
  const outcomes = new Map<string, { sent: string[]; failed: Map<string, AlertFailure>; heldUntil: Map<string, number>; unsent: string[]; findingRetryAt?: number; findingsWaiting: Map<string, number>; findingsDone: string[] }>();
  const outcomeOf = (key: string) => {
    let outcome = outcomes.get(key);
    if (!outcome) outcomes.set(key, (outcome = { sent: [], failed: new Map(), heldUntil: new Map(), unsent: [], findingsWaiting: new Map(), findingsDone: [] }));
    return outcome;
  };
  /** The outcome of a finding's subject (undefined for a key not among the candidates). */
  const outcomeOfFinding = (key: string) => {
    const finding = candidates.get(key)?.finding;
    return finding && outcomeOf(alertStateKey(finding.subject_kind, finding.subject));
  };
  /** Records a failed send on the finding; the error as reported, saying so when it is given up. */
  const failSend = async (key: string, error: string, unconfirmedSendAt?: number): Promise<string> => {
    const failure = failedSend(priorFailures.get(key), error, now, unconfirmedSendAt);
    await store.releaseAlert(key, failure);
    const outcome = outcomeOfFinding(key);
    if (!failure.gave_up) {
      // Its subject's recovery notice waits for it: until its retry (`findingRetryAt`), and until it is sent or given up (`findingsWaiting`).
      if (outcome) {
        outcome.findingRetryAt = Math.max(failure.retry_at, outcome.findingRetryAt ?? 0);
        outcome.findingsWaiting.set(key, failure.first_at + GIVE_UP_AFTER_MS);
      }
      return error;
    }
    outcome?.findingsDone.push(key);
    abandoned++;
    return `${error} (gave up after ${failure.failures} failed sends since ${new Date(failure.first_at).toISOString()}: not alerted)`;
  };

  type Group = { subject: string; subject_kind: SubjectKind; candidates: AlertCandidate[]; outcomes: RunOutcome[]; replayed: RunOutcome[] };
  const groups = new Map<string, Group>();
  const groupOf = (subject_kind: SubjectKind, subject: string) => {
    const key = alertStateKey(subject_kind, subject);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { subject, subject_kind, candidates: [], outcomes: [], replayed: [] }));
    return group;
  };
  for (const c of candidates.values()) groupOf(c.finding.subject_kind, c.finding.subject).candidates.push(c);
  // Pending findings count as failing runs too: when an invocation died after storing them, its
  // redelivery writes no run records for them (the state holds them already), yet the policy must see the failure.
  const findings = [...candidates.values()].map((c) => c.finding);
  const subjectKinds = new Map<string, { kind: SubjectKind; subject: string }>();
  // A subject's records come together: its key is built once for them.
  let lastRecord: RunRecord | undefined;
  for (const r of options.records ?? []) {
    if (lastRecord?.subject === r.subject && lastRecord.subject_kind === r.subject_kind) continue;
    lastRecord = r;
    subjectKinds.set(`${r.subject_kind}#${r.subject}`, { kind: r.subject_kind, subject: r.subject });
  }
  // Subjects with runs of the batch are decided whatever the time left: their runs are not read again.
  const withRuns = timeLeft ? new Set([...subjectKinds.values()].map((s) => alertStateKey(s.kind, s.subject))) : undefined;
  for (const f of findings) subjectKinds.set(`${f.subject_kind}#${f.subject}`, { kind: f.subject_kind, subject: f.subject });
  for (const [id, outcomes] of runOutcomes(options.records ?? [], findings)) {
    const { kind, subject } = subjectKinds.get(id)!;
    groupOf(kind, subject).outcomes.push(...outcomes);
  }
  // A redelivered span's subjects: their alert state is read with the others (a redelivery alone reads it).
  const replayedSpans = store.runs ? (options.replayed ?? []) : [];
  for (const span of replayedSpans) groupOf(span.subject_kind, span.subject);
  const due = new Map((options.due ?? []).map((d) => [d.key, { state: d.state, version: d.version }]));
  for (const { state } of due.values()) groupOf((state as AlertState).subject_kind, (state as AlertState).subject);
  if (groups.size === 0) return { sent: 0, failed: 0, errors: [], suppressed: 0, snoozed: 0, summarized: 0, abandoned: 0, drained };

  // The due states were read as they were listed (past any cache): not read again.
  const loaded = await store.load([...groups.keys()].filter((key) => !due.has(key)));
  for (const [key, stored] of due) loaded.set(key, stored);
  await readBackRuns(store as RunRecordStore, replayedSpans, loaded, groupOf);
  // The stored snoozes are read when a finding or a flapping notice may be held by one (most batches
  // of runs alone need none), at most once. That is judged again from every state a decision starts
  // from: a state re-read after a conflict (the first read was a warm container's cache, or another
  // writer came in between) may reach the flapping threshold the first one did not.
  // Each decision reads the clock afresh: one made after a long run of lost writes (retried while the
  // invocation has time) leases its notices from when it is written, not from the delivery's start.
  const contextWith = (snoozes: readonly Snooze[]): PolicyContext => {
    const at = clock.now();
    return { now: at, options: policy, leaseMs: LEASE_MS, suppressionOf: (f) => suppressionFor(f, at, snoozes, config.maintenance_windows) };
  };
  const fromConfig = configSnoozes(config);
  let stored: Promise<readonly Snooze[]> | undefined;
  const contextFor = (state: AlertState | undefined, outcomes: number): Promise<PolicyContext> | PolicyContext =>
    candidates.size > 0 || mayNoticeFlapping(state, outcomes, policy) ? (stored ??= allSnoozes(config, options.snoozes)).then(contextWith) : contextWith(fromConfig);
  // Read before any write, so that a failing snooze read leaves every subject as it was.
  for (const [key, group] of groups) await contextFor(loaded.get(key)?.state as AlertState | undefined, group.outcomes.length + group.replayed.length);
  const errors: string[] = [];
  const awaitedInStore = await findingsAwaitedInStore(store, groups, loaded, options.due !== undefined, now, errors);
  // A bounded number of subjects' commits at once: an outage's thousands of subjects started
  // together queue in the SDK and hold every decision in memory at the same time.
  // Out of time, a subject with no runs of the batch is left undecided: its findings stay pending, its state as it is.
  const decided = await settleLimited([...groups], PARALLEL_COMMITS, async ([key, group]) => {
    if (group.replayed.length === 0 && !withRuns?.has(key) && outOfTime()) {
      for (const candidate of group.candidates) leave(undefined, candidate.key);
      return { alerts: [], held: [], snoozedNotices: 0, stored: loaded.get(key) };
    }
    return decideAndCommit(store, key, loaded.get(key), group, { candidates: group.candidates, outcomes: group.outcomes, replayed: group.replayed, judgedAtNow: options.due !== undefined, awaitedInStore }, contextFor, options.retry ?? {});
  });
  // What each subject's alert state is after this invocation's write: where sent notices are settled from.
  const written = new Map([...groups.keys()].map((key, i) => [key, decided[i].stored]));

  let suppressed = 0;
  let snoozed = decided.reduce((n, d) => n + d.snoozedNotices, 0);
  const held = decided.flatMap((d) => d.held);
  // Out of time, a held finding stays pending: a later delivery marks it as decided.
  const marked = await settleLimited(held, PARALLEL_COMMITS, async (h) => (outOfTime() ? leave(undefined, h.key) : store.markAlerted(h.key)));
  held.forEach((h, i) => {
    if (!marked[i]) return;
    if (h.disposition === 'snoozed' || h.disposition === 'maintenance') snoozed++;
    else suppressed++;
  });

  let sent = 0;
  let failed = 0;
  const settle = (a: PlannedAlert) => {
    if (a.notice) outcomeOf(alertStateKey(a.subject_kind, a.subject)).sent.push(a.notice.id);
    // A retry sent: its subject's recovery no longer waits for it.
    else if (a.candidate && awaitingRetry.has(a.candidate.key)) outcomeOf(alertStateKey(a.subject_kind, a.subject)).findingsDone.push(a.candidate.key);
  };
  /** Records a notice's failed send: retried with the findings' backoff, given up after 14 days as they are. */
  const failNotice = (a: PlannedAlert, error: string): string => {
    const notice = a.notice!;
    const failure = failedSend(notice.failure, error, now);
    outcomeOf(alertStateKey(a.subject_kind, a.subject)).failed.set(notice.id, failure);
    if (!failure.gave_up) return error;
    abandoned++;
    return `${error} (gave up after ${failure.failures} failed sends since ${new Date(failure.first_at).toISOString()}: not sent)`;
  };

  const { individual, summarized } = capAlerts(
    decided.flatMap((d) => d.alerts),
    Math.max(0, policy.stormCap - (options.stormCapUsed ?? 0)),
  );
  let summarizedCount = 0;
  /** The alerts whose publish started: a planned notice not among them was never sent (`unsent`). */
  const tried = new Set<PlannedAlert>();
  /**
   * The alert to send once its finding is claimed (a notice's lease was taken with its decision):
   * undefined when another sender holds the finding or it is delivered; when an earlier claim of it
   * was never confirmed, it says when (`unconfirmedSendAt`): the message says it may be a repeat.
   */
  const claimed = async (alert: PlannedAlert): Promise<PlannedAlert | undefined> => {
    if (!alert.candidate) return alert;
    const claim = await store.claimAlert(alert.candidate.key, clock.now(), LEASE_MS);
    if (!claim) return undefined;
    return claim.unconfirmedSendAt === undefined ? alert : { ...alert, unconfirmedSendAt: claim.unconfirmedSendAt };
  };
  /**
   * Claims a summary's findings a bounded number at a time; when a claim throws, the ones taken are
   * released before the error goes on: the summary is not published, so none of them was sent
   * (a release lost too leaves that claim to run out, and its resend says it may be a repeat).
   * One whose earlier send was not confirmed is left claimed, so that its resend still says so.
   */
  const claimAll = async (alerts: readonly PlannedAlert[], claim: (alert: PlannedAlert) => Promise<PlannedAlert | undefined>): Promise<(PlannedAlert | undefined)[]> => {
    const taken: string[] = [];
    try {
      return await settleLimited(alerts, PARALLEL_COMMITS, async (alert) => {
        const sending = await claim(alert);
        // One sent before unconfirmed stays claimed: its claim runs out and its resend keeps the note.
        if (sending?.candidate && sending.unconfirmedSendAt === undefined) taken.push(sending.candidate.key);
        return sending;
      });
    } catch (error) {
      await settleLimited(taken, PARALLEL_COMMITS, (key) => store.releaseAlert(key)).catch(() => undefined);
      throw error;
    }
  };
  /** Publishes a claimed alert as itself (`sending`: as claimed), then settles and marks it, or records its failed send. */
  const sendOne = async (alert: PlannedAlert, sending: PlannedAlert): Promise<void> => {
    tried.add(alert);
    try {
      await deliver(sink, alertMessage(sending, config), now);
    } catch (error) {
      failed++;
      const message = (error as Error).message;
      errors.push(`${alert.candidate?.key ?? alert.notice?.id}: ${alert.candidate ? await failSend(alert.candidate.key, message, sending.unconfirmedSendAt) : failNotice(alert, message)}`);
      return;
    }
    settle(alert);
    sent++;
    if (alert.candidate) await store.markAlerted(alert.candidate.key);
  };
  /** Subjects with a failure awaiting its retry that this delivery left or found claimed by another sender: not sent ahead of their recovery. */
  const retriesNotSent = new Set<string>();
  const sendAll = async (): Promise<void> => {
    for (const alert of individual) {
      // A recovery notice never goes ahead of a failure of its subject whose send failed before it: it waits as long
      // (a lease, for a failure this delivery did not send).
      const subjectKey = alertStateKey(alert.subject_kind, alert.subject);
      const waiting = alert.kind === 'recovery' ? (outcomes.get(subjectKey)?.findingRetryAt ?? (retriesNotSent.has(subjectKey) ? now + LEASE_MS : undefined)) : undefined;
      if (waiting !== undefined) {
        outcomeOf(subjectKey).heldUntil.set(alert.notice!.id, waiting);
        continue;
      }
      // Out of time: not claimed, it is sent as decided by a later delivery (a notice once its lease is over).
      if (outOfTime()) {
        leave(alert);
        if (alert.candidate && awaitingRetry.has(alert.candidate.key)) retriesNotSent.add(subjectKey);
        continue;
      }
      const sending = await claimed(alert);
      if (sending) await sendOne(alert, sending);
      else if (alert.candidate && awaitingRetry.has(alert.candidate.key)) retriesNotSent.add(subjectKey);
    }

    if (summarized.length === 0) return;
    // An outage's summary may hold thousands of findings: claimed and marked a bounded number at a time, in their order.
    // With a time limit, claims stop while the time left still covers as long again (the marks of those claimed): the rest are left.
    const claimsFrom = timeLeft?.() ?? Infinity;
    const inTimeToClaim = () => {
      if (!timeLeft) return true;
      const rest = timeLeft();
      return rest > 0 && rest > claimsFrom - rest;
    };
    const included = (await claimAll(summarized, async (alert) => (inTimeToClaim() ? claimed(alert) : leave(alert)))).filter((alert): alert is PlannedAlert => alert !== undefined);
    if (included.length === 0) return;
    // A summary of one alert would hide its detector and subject: it goes as itself (counted one by one, not summarized).
    if (included.length === 1) return sendOne(included[0], included[0]);
    for (const alert of included) tried.add(alert);
    try {
      await deliver(sink, summaryMessage(included, policy.stormCap, config), now);
    } catch (error) {
      failed++;
      const message = (error as Error).message;
      errors.push(`storm summary of ${included.length} alerts: ${message}`);
      const reports = await settleLimited(included, PARALLEL_COMMITS, async (alert) => (alert.candidate ? failSend(alert.candidate.key, message, alert.unconfirmedSendAt) : failNotice(alert, message)));
      included.forEach((alert, i) => {
        if (reports[i] !== message) errors.push(`${alert.candidate?.key ?? alert.notice?.id}: ${reports[i]}`);
      });
      return;
    }
    for (const alert of included) settle(alert);
    sent++;
    summarizedCount = included.length;
    await settleLimited(included, PARALLEL_COMMITS, async (alert) => {
      if (alert.candidate) await store.markAlerted(alert.candidate.key);
    });
  };

  // A published notice is settled even when a later step throws (a claim, a mark, a release, another
  // subject's settle): left in its state, it would be published again once its lease is over. Each
  // subject is settled on its own, in the one write per subject it always took; the first error is rethrown.
  let failure: { error: unknown } | undefined;
  try {
    await sendAll();
  } catch (error) {
    failure = { error };
  }
  // A notice planned and never published (left for lack of time, or a step before it threw) is
  // marked as no send under way: its later send is a first one, not a possible repeat.
  for (const alert of [...individual, ...summarized]) {
    if (alert.notice && !tried.has(alert)) outcomeOf(alertStateKey(alert.subject_kind, alert.subject)).unsent.push(alert.notice.id);
  }
  // A bounded number of subjects settled at once: an outage's thousands of notices left for lack of
  // time are settled in the time the invocation kept, not one write after another past it.
  const settled = await settleLimited([...outcomes], PARALLEL_COMMITS, async ([key, outcome]) => {
    try {
      const next = await commitSettled(store, key, outcome, written.get(key), options.retry ?? {});
      if (next) written.set(key, next);
      return undefined;
    } catch (error) {
      return { error };
    }
  });
  failure ??= settled.find((s) => s !== undefined);
  if (failure) throw failure.error;
  const awaiting = [...written.values()].reduce((n, w) => n + noticesAwaitingRetry(w?.state as AlertState | undefined), 0);
  return { sent, failed, errors, suppressed, snoozed, summarized: summarizedCount, abandoned, noticesAwaitingRetry: awaiting, left, noticesLeft, retriesLeft, drained };
}

/**
 * The findings awaiting a retry that a recovery of these subjects would be held behind, not among their candidates
 * (`awaitedOutsideDelivery`), as the store has them now, in one batched read (none when there are none: most deliveries):
 * one sent by a delivery whose settling write was lost (throttled, or its Lambda died) is no longer awaited, and one
 * still waiting holds the recovery until it may be sent again (its `retry_at`), not a lease at a time.
 * The look-up is optional: a failed one (throttled past the SDK's retries) is reported in `errors` (the delivery's
 * log) and the recovery is held a lease at a time, as without it, rather than the delivery's other alerts lost.
 */
async function findingsAwaitedInStore(
  store: Partial<Pick<FindingStore, 'alertsAwaitingSend'>>,
  groups: ReadonlyMap<string, { candidates: readonly AlertCandidate[]; outcomes: readonly RunOutcome[]; replayed: readonly RunOutcome[] }>,
  loaded: ReadonlyMap<string, Versioned<unknown>>,
  judgedAtNow: boolean,
  now: number,
  errors: string[],
): Promise<ReadonlyMap<string, number | undefined> | undefined> {
  if (!store.alertsAwaitingSend) return undefined;
  const keys = [...groups].flatMap(([key, group]) => awaitedOutsideDelivery(loaded.get(key)?.state as AlertState | undefined, { ...group, judgedAtNow }, now));
  if (keys.length === 0) return undefined;
  const awaiting = await store.alertsAwaitingSend(keys).catch((error) => {
    errors.push(`findings awaiting a retry not looked up (their recoveries held a lease): ${(error as Error).message}`);
  });
  if (!awaiting) return undefined;
  return new Map(keys.map((key) => [key, awaiting.get(key)]));
}

/**
 * The runs of redelivered spans that their subject's alert state has not seen (recorded by an
 * invocation that failed before its alert-state write): read from the store, one query per
 * subject whose `outcomesThrough` is not after the span's end, none when it is. A mark in the span's
 * last second is read again: another run (another host's) may have ended in that second, with a
 * later run id, unseen (`isAfterMark` admits it).
 */
async function readBackRuns(
  store: RunRecordStore,
  spans: readonly ReplayedSpan[],
  loaded: ReadonlyMap<string, Versioned<unknown>>,
  groupOf: (kind: SubjectKind, subject: string) => { replayed: RunOutcome[] },
): Promise<void> {
  for (const span of spans) {
    const through = (loaded.get(alertStateKey(span.subject_kind, span.subject))?.state as AlertState | undefined)?.outcomesThrough;
    if (through && through.at > parseTime(span.to)) continue;
    // Run times are whole seconds: the query's end (exclusive) is the second after the span's.
    const recorded = await store.runs(`${span.subject_kind}#${span.subject}`, span.from, isoTime(parseTime(span.to) + 1000));
    const unseen = recorded.filter((r) => isAfterMark({ at: parseTime(r.ts), run_id: r.run_id }, through));
    for (const outcomes of runOutcomes(unseen, []).values()) groupOf(span.subject_kind, span.subject).replayed.push(...outcomes);
  }
}

/**
 * Decides a subject's alerts and writes its alert state conditionally; on conflict re-reads it and
 * decides again, with backoff, while the invocation has time (`retryOnConflict`). The policy
 * context (which snoozes hold) is chosen for each state decided from.
 */
function decideAndCommit(
  store: StateStore,
  key: string,
  first: Versioned<unknown> | undefined,
  subject: { subject: string; subject_kind: SubjectKind },
  input: { candidates: readonly AlertCandidate[]; outcomes: readonly RunOutcome[]; replayed: readonly RunOutcome[]; judgedAtNow: boolean; awaitedInStore?: ReadonlyMap<string, number | undefined> },
  contextFor: (state: AlertState | undefined, outcomes: number) => Promise<PolicyContext> | PolicyContext,
  retry: CommitRetry,
): Promise<PolicyResult & { readonly stored: Versioned<unknown> | undefined }> {
  let current = first;
  return retryOnConflict(key, retry, async (attempt) => {
    if (attempt > 1) current = (await store.load([key])).get(key);
    const state = current?.state as AlertState | undefined;
    const result = decideAlerts(state, subject, input, await contextFor(state, input.outcomes.length + input.replayed.length));
    if (!result.changed) return { ...result, stored: current };
    const expectedVersion = current?.version ?? 0;
    const outcome = await store.commit({ key, expectedVersion, state: result.state, findings: [], records: [], listedAs: alertStateCatalog(result.state) });
    if (outcome === 'committed') return { ...result, stored: { state: result.state, version: expectedVersion + 1 } };
    return CONFLICT;
  });
}

/**
 * Writes what the sends did to a subject's alert state (`afterSends`: sent notices removed, failed
 * ones backed off or given up, a finding's wait kept), conditionally, retrying on conflict, starting
 * from the state this invocation wrote: read again only when another writer came in between. Out
 * of time, the notices are left in the state: published again once their lease is over. Returns the
 * state written, if any.
 */
async function commitSettled(store: StateStore, key: string, outcome: SendOutcome, written: Versioned<unknown> | undefined, retry: CommitRetry): Promise<Versioned<unknown> | undefined> {
  try {
    return await retryOnConflict(key, retry, async (attempt) => {
      const current = attempt === 1 && written ? written : (await store.load([key])).get(key);
      if (!current) return undefined;
      const next = afterSends(current.state as AlertState, outcome);
      if (next === current.state) return undefined;
      const committed = (await store.commit({ key, expectedVersion: current.version, state: next, findings: [], records: [], listedAs: alertStateCatalog(next) })) === 'committed';
      return committed ? { state: next, version: current.version + 1 } : CONFLICT;
    });
  } catch (error) {
    if (!(error instanceof CommitConflictError)) throw error;
    return undefined;
  }
}
