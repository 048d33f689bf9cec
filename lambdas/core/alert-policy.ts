import type { Config } from '../config.ts';
import type { AlertFailure, RunRecord } from '../ports.ts';
import { type Finding, isoTime, type Severity, type SubjectKind } from './findings.ts';
import { parseTime } from './parse-time.ts';
import { compareNames } from './name-order.ts';

/**
 * The alert policy: which stored findings become messages, and which are held back. Pure: it
 * takes a subject's alert state, the findings to deliver and the run outcomes a batch produced,
 * the options and the clock's `now`, and returns the new state, the alerts to send and the
 * findings held. The adapter (alerts.ts) reads and writes the state conditionally and sends.
 *
 * Per (detector, subject), in the order of the findings' times:
 * 1. snoozed or in a maintenance window → held (`snoozed` / `maintenance`), counted;
 * 2. the detector's findings since the subject's last healthy run reach `escalate_after_failures`
 *    (for `escalate_detectors`) → one escalation, one severity step up, even within the cooldown;
 * 3. the subject is flapping → held (`flapping`), counted;
 * 4. an alert for the pair went out less than `alert_cooldown_minutes` ago → held (`suppressed`),
 *    counted; the next alert says how many were held since when;
 * 5. otherwise → sent.
 * Per subject, from its run outcomes: `flapping_transitions_per_day` switches between healthy and
 * failing within 24 h start one flapping alert (a reminder at a switch, at most once per cooldown);
 * fewer than half as many end it, as does a cooldown without a switch that is also longer than the
 * subject's pace (its gaps between switches since flapping last settled, for a steady failure the
 * longest left out: `settledBy`; a steady failure is then alerted, reminded and escalated as any, a
 * steady health recovers); only switches after that settle (`settledAt`) can start it again. The sweep
 * judges a quiet subject so at its own time (`judgedAtNow`), so flapping that ended with the runs
 * (a job that runs only on weekdays) settles without waiting for the next run. A flapping notice is held (counted as snoozed) while a snooze or maintenance
 * window covers every detector it names; the first switch after it ends sends it. After an alert, `recovery_runs` healthy runs in a row (not flapping) send a
 * recovery notice and end the episode: the next failure alerts at once.
 */

export const ALERT_STATE_KIND = 'alert';
const DAY_MS = 86_400_000;
/**
 * Decisions kept per subject, to carry out a decision again while its finding is still pending (a
 * failed send, an interrupted invocation): the last 14 days. A finding pending longer is decided
 * again. Two weeks, as long as the ingest failure queue keeps a payload: an SNS outage (or a broken
 * topic policy) of days must not turn old findings into new episodes, escalations and recovery
 * notices once it ends. The state item is rewritten on each change, so the count is bounded too,
 * apart for each disposition: held decisions (one per held finding, a burst writes hundreds) at most
 * 200, the oldest dropped first; sent decisions at most 300. A sent one is what a failed send is
 * retried from: dropped, its still-pending finding would be decided again inside the cooldown its
 * own alert started, held, and never sent. They are few (about one per detector per cooldown, plus
 * escalations: a few dozen a fortnight at the default 6 h), so 300 is reached only with a cooldown
 * near 0, where a finding decided again is sent anyway. Decisions of the findings being decided are
 * dropped last.
 */
const MAX_HELD_DECIDED = 200;
const MAX_SENT_DECIDED = 300;
const DECISION_RETENTION_MS = 14 * DAY_MS;
const MAX_NOTICES = 10;
/** Healthy runs in a row counted while an episode is open: more than a day of runs a minute, which is as long as flapping outlasts its last switch. */
const MAX_HEALTHY_RUNS_COUNTED = 10_000;

export type AlertKind = 'finding' | 'escalation' | 'flapping' | 'recovery' | 'summary';
/** What became of a finding: sent, or held and why. */
export type Disposition = 'sent' | 'suppressed' | 'snoozed' | 'maintenance' | 'flapping';

/** The state key of a subject's alert state: `alert#<kind>#<subject>`. */
export function alertStateKey(kind: SubjectKind, subject: string): string {
  return `${ALERT_STATE_KIND}#${kind}#${subject}`;
}

export interface DetectorAlertState {
  /** When the last message about this detector and subject was decided (epoch ms): the cooldown runs from here. */
  readonly lastSentAt?: number;
  /** Findings held since the last message (snoozed ones included). */
  readonly suppressed: number;
  /** Of those, held by a snooze or maintenance window. */
  readonly snoozed: number;
  /** When the first of them was held, if no message went out before it. */
  readonly firstHeldAt?: number;
  /** Findings of this detector since the subject's last healthy run. */
  readonly streak: number;
  /** Whether this streak was escalated (once per streak). */
  readonly escalated: boolean;
  /** The highest severity of its findings decided since the last recovery (held ones too): a flapping notice with no episode open takes it. */
  readonly severity?: Severity;
}

export interface SubjectHealth {
  readonly status: 'healthy' | 'failing';
  /** When the status last switched (or was first seen); older run outcomes are ignored. */
  readonly since: number;
  /**
   * The latest failing run's time while failing: a healthy run older than it (a cron run judged a
   * day late) neither switches the status nor counts towards the recovery.
   */
  readonly lastFailedAt?: number;
  /**
   * Healthy runs in a row: counted up to `recovery_runs`, or, while an alert episode is open (a
   * flapping subject's recovery waits for it to settle), up to MAX_HEALTHY_RUNS_COUNTED, which its
   * recovery notice reports. Capped, a run that changes nothing writes nothing.
   */
  readonly healthyRuns: number;
  /** Times of the switches within the last 24 h (of run time). */
  readonly transitions: readonly number[];
  /**
   * When flapping last settled (kept 24 h): only the switches after it can start flapping again, as
   * the window still holds the ones before (a steady failure that then recovers is not flapping).
   */
  readonly settledAt?: number;
  readonly flapping?: {
    readonly since: number;
    /** When the last flapping notice was sent; undefined while none was (held by a snooze or maintenance window). */
    readonly lastSentAt?: number;
    readonly suppressed: number;
    /** When a flapping notice was last held by a snooze or maintenance window (counted once per cooldown). */
    readonly heldAt?: number;
  };
}

/** A finding's decision, kept so that a pending finding is never decided twice (a retry re-sends, a hold re-marks). */
export interface DecisionRecord {
  readonly at: number;
  readonly disposition: Disposition;
  readonly kind?: 'finding' | 'escalation';
  readonly severity?: Severity;
  readonly suppressed?: number;
  readonly snoozed?: number;
  readonly since?: number;
  readonly coalesced?: number;
  /** Escalations: the detector's findings in a row without a healthy run. */
  readonly streak?: number;
  /** The snooze or maintenance window that held it. */
  readonly by?: string;
  /** The finding whose alert counted it (held in the same delivery as that alert). */
  readonly coalescedInto?: string;
  /** Sent: when the episode its alert opened or joined opened (`open.since`), for a resend after that episode closed. */
  readonly episodeSince?: number;
}

/**
 * A recovery or flapping notice decided but not yet known to be sent; retried when its lease runs
 * out. A failed send moves the lease to its `failure.retry_at` (the findings' backoff, given up after
 * 14 days); a recovery notice also waits while a finding of its subject waits (`findingRetryAt`).
 */
export interface PendingNotice {
  readonly id: string;
  readonly kind: 'recovery' | 'flapping';
  readonly at: number;
  readonly leaseUntil: number;
  /** Its failed sends, when one failed. */
  readonly failure?: AlertFailure;
  /**
   * When the send its lease was taken for started (the decision that planned it): removed when the
   * send fails, is held or is never tried (`unsent`), the notice gone once sent. Still there once the lease is over, that send
   * was not confirmed (published or not, unknown: the settle was lost, or the invocation died).
   */
  readonly sendingAt?: number;
  /** When a send of it that was not confirmed started: its next send says it may be a repeat. */
  readonly unconfirmedSendAt?: number;
  /** When the episode it belongs to opened (`open.since`; a recovery the one it closes): its message's `correlation_key`. */
  readonly episodeSince?: number;
  readonly severity: Severity;
  readonly detectors: readonly string[];
  readonly detail: Readonly<Record<string, number | string>>;
}

/** One subject's alert state: per detector, its health, the open episode, and recent decisions. */
export interface AlertState {
  readonly subject: string;
  readonly subject_kind: SubjectKind;
  readonly detectors: Readonly<Record<string, DetectorAlertState>>;
  readonly health?: SubjectHealth;
  /** An alert went out and no recovery notice since. */
  readonly open?: { readonly since: number; readonly severity: Severity; readonly detectors: readonly string[] };
  /** Recent decisions by finding key (the last 14 days, at most 200 held and 300 sent). */
  readonly decided: Readonly<Record<string, DecisionRecord>>;
  readonly notices: readonly PendingNotice[];
  /**
   * Until when a finding of the subject whose send failed waits for its retry (the latest such
   * `retry_at`): a recovery notice is not sent before it, so that it never comes ahead of the failure it closes.
   */
  readonly findingRetryAt?: number;
  /**
   * The findings of the subject whose send failed, by key, each until it is given up (its first failed send + 14 days):
   * a recovery notice is held while one of them is not sent, past its `retry_at` too (a delivery that does not drain
   * it, as an ingest of healthy runs), so that the failures of an episode go out before the recovery that closes it.
   */
  readonly findingsAwaitingRetry?: Readonly<Record<string, number>>;
  /**
   * The latest run outcome folded in (by time, then run id), as of the last write: a redelivered batch
   * whose runs were recorded before reads them back, and applies only those after it.
   */
  readonly outcomesThrough?: OutcomeMark;
}

/** A run outcome's place in a subject's history: its time, then its run id. */
export interface OutcomeMark {
  readonly at: number;
  readonly run_id?: string;
}

/** Whether an outcome comes after the mark (every outcome does when there is none). */
export function isAfterMark(outcome: OutcomeMark, mark: OutcomeMark | undefined): boolean {
  if (!mark) return true;
  return outcome.at > mark.at || (outcome.at === mark.at && (outcome.run_id ?? '') > (mark.run_id ?? ''));
}

export interface AlertPolicyOptions {
  readonly cooldownMs: number;
  readonly escalateAfter: number;
  readonly escalateDetectors: ReadonlySet<string>;
  readonly flappingTransitions: number;
  readonly recoveryRuns: number;
  readonly stormCap: number;
  /** Severity per detector from the config (`defaults.severity`), over the finding's own. */
  readonly severity: Readonly<Partial<Record<string, Severity>>>;
}

export function alertPolicyOptions(config: Config): AlertPolicyOptions {
  const d = config.defaults;
  return {
    cooldownMs: d.alert_cooldown_minutes * 60_000,
    escalateAfter: d.escalate_after_failures,
    escalateDetectors: new Set(d.escalate_detectors),
    flappingTransitions: d.flapping_transitions_per_day,
    recoveryRuns: d.recovery_runs,
    stormCap: d.alert_storm_cap,
    severity: d.severity,
  };
}

/** Why a finding is held without a message: a snooze or a maintenance window, with who and why. */
export interface Suppression {
  readonly kind: 'snoozed' | 'maintenance';
  readonly id: string;
  readonly owner: string;
  readonly reason: string;
  readonly until: string;
}

export interface AlertCandidate {
  readonly key: string;
  readonly finding: Finding;
}

/** A finished run of the subject: healthy when it ended cleanly and no finding is about it. */
export interface RunOutcome {
  readonly at: number;
  readonly healthy: boolean;
  readonly run_id?: string;
}

export interface PolicyContext {
  readonly now: number;
  readonly options: AlertPolicyOptions;
  /** How long a notice is reserved for the invocation that plans to send it. */
  readonly leaseMs: number;
  suppressionOf(finding: Finding): Suppression | undefined;
}

/** A message to send: about a finding (alert or escalation), or a notice (recovery, flapping). */
export interface PlannedAlert {
  readonly kind: Exclude<AlertKind, 'summary'>;
  readonly subject: string;
  readonly subject_kind: SubjectKind;
  readonly detector: string;
  readonly severity: Severity;
  readonly at: number;
  readonly candidate?: AlertCandidate;
  readonly notice?: PendingNotice;
  readonly suppressed: number;
  readonly snoozed: number;
  readonly since?: number;
  /** Findings of the same detector held in the same delivery because this alert reports them. */
  readonly coalesced: number;
  /** Escalations: the detector's findings in a row without a healthy run. */
  readonly streak?: number;
  /** Sent before and not marked (a failed send or an interrupted invocation): sent again. */
  readonly retry: boolean;
  /** When a send of it started that was never confirmed (published or not, unknown): this one may be a repeat, and says so. */
  readonly unconfirmedSendAt?: number;
  /** When the episode it opened, belongs to or closes opened (`open.since`): its message's `correlation_key`. */
  readonly episodeSince?: number;
}

export interface HeldFinding {
  readonly key: string;
  readonly finding: Finding;
  readonly disposition: Exclude<Disposition, 'sent'>;
  readonly by?: string;
}

export interface PolicyResult {
  readonly state: AlertState;
  /** False when nothing needs writing. */
  readonly changed: boolean;
  readonly alerts: PlannedAlert[];
  readonly held: HeldFinding[];
  /** Flapping notices held by a snooze or maintenance window (at most one per subject and cooldown). */
  readonly snoozedNotices: number;
}

const SEVERITY_ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export function raiseSeverity(s: Severity): Severity {
  return SEVERITY_ORDER[Math.min(SEVERITY_ORDER.indexOf(s) + 1, SEVERITY_ORDER.length - 1)];
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_ORDER.indexOf(a) >= SEVERITY_ORDER.indexOf(b) ? a : b;
}

export function severityRank(s: Severity): number {
  return SEVERITY_ORDER.indexOf(s);
}

export function initialAlertState(subject: string, subject_kind: SubjectKind): AlertState {
  return { subject, subject_kind, detectors: {}, decided: {}, notices: [] };
}

const NEW_DETECTOR: DetectorAlertState = { suppressed: 0, snoozed: 0, streak: 0, escalated: false };

/**
 * Run outcomes per subject key (`kind#subject`) from a batch's run records and its fresh findings:
 * a run is failing when it ended with a failure or a finding is about it (fresh, or reported before
 * its record: `RunRecord.flagged`); a fresh finding about no
 * recorded run (a missed run) is a failing outcome at its time.
 */
export function runOutcomes(records: readonly RunRecord[], fresh: readonly Finding[]): Map<string, RunOutcome[]> {
  const out = new Map<string, RunOutcome[]>();
  // Appended in place: a batch holds hundreds of runs of one subject, and a copy per run made this quadratic.
  const add = (key: string, outcome: RunOutcome) => {
    const list = out.get(key);
    if (list) list.push(outcome);
    else out.set(key, [outcome]);
  };
  const flagged = new Set<string>();
  for (const f of fresh) if (f.run_id !== undefined) flagged.add(`${f.subject_kind}#${f.subject}#${f.run_id}`);
  const recorded = new Set<string>();
  // Most batches have no fresh finding: then no run needs its id (neither flagged nor matched below).
  const withIds = fresh.length > 0;
  // A subject's records come together: its key is built, and its list found, once for them.
  let last: { readonly record: RunRecord; readonly list: RunOutcome[] } | undefined;
  for (const r of records) {
    if (r.status === 'started') continue;
    let healthy = r.status === 'ok' && r.flagged !== true;
    if (withIds) {
      const id = `${r.subject_kind}#${r.subject}#${r.run_id}`;
      recorded.add(id);
      healthy &&= !flagged.has(id);
    }
    if (last === undefined || last.record.subject !== r.subject || last.record.subject_kind !== r.subject_kind) {
      const key = `${r.subject_kind}#${r.subject}`;
      let list = out.get(key);
      if (!list) out.set(key, (list = []));
      last = { record: r, list };
    }
    last.list.push({ at: parseTime(r.ts), healthy, run_id: r.run_id });
  }
  const seen = new Set<string>();
  for (const f of fresh) {
    const id = f.run_id !== undefined ? `${f.subject_kind}#${f.subject}#${f.run_id}` : `${f.subject_kind}#${f.subject}@${f.ts}`;
    if (recorded.has(id) || seen.has(id)) continue;
    seen.add(id);
    add(`${f.subject_kind}#${f.subject}`, { at: parseTime(f.ts), healthy: false, run_id: f.run_id });
  }
  return out;
}

/**
 * The decisions kept: the last 14 days, at most MAX_HELD_DECIDED held and MAX_SENT_DECIDED sent ones,
 * the oldest dropped first but those of `decidedNow` (the findings this pass decided or re-read) last.
 * The same object when none is dropped (most batches drop none).
 */
function pruneDecided(decided: Readonly<Record<string, DecisionRecord>>, now: number, decidedNow: readonly AlertCandidate[]): Readonly<Record<string, DecisionRecord>> {
  let sent = 0;
  let held = 0;
  let expired = false;
  for (const key in decided) {
    if (!(decided[key].at > now - DECISION_RETENTION_MS)) {
      expired = true;
      break;
    }
    if (decided[key].disposition === 'sent') sent++;
    else held++;
  }
  if (!expired && sent <= MAX_SENT_DECIDED && held <= MAX_HELD_DECIDED) return decided;
  const live = Object.entries(decided).filter(([, d]) => d.at > now - DECISION_RETENTION_MS);
  const pending = new Set(decidedNow.map((c) => c.key));
  const newest = (entries: Array<[string, DecisionRecord]>, cap: number) =>
    entries.length <= cap
      ? entries
      : entries.sort(([ka, a], [kb, b]) => Number(pending.has(ka)) - Number(pending.has(kb)) || a.at - b.at || compareNames(ka, kb)).slice(entries.length - cap);
  const kept = new Set([...newest(live.filter(([, d]) => d.disposition === 'sent'), MAX_SENT_DECIDED), ...newest(live.filter(([, d]) => d.disposition !== 'sent'), MAX_HELD_DECIDED)].map(([key]) => key));
  return Object.fromEntries(live.filter(([key]) => kept.has(key)));
}

/** Decides one subject's alerts. The state may be undefined (never alerted); the result's state is new only when `changed`. */
export function decideAlerts(
  current: AlertState | undefined,
  subject: { readonly subject: string; readonly subject_kind: SubjectKind },
  input: {
    readonly candidates: readonly AlertCandidate[];
    readonly outcomes: readonly RunOutcome[];
    /** Outcomes of runs recorded before (read back for a redelivered batch): only those after `outcomesThrough` are applied. */
    readonly replayed?: readonly RunOutcome[];
    /**
     * The sweep's look (time-driven, no run needed): a flapping subject with no switch from its last one
     * to `now` is judged as a run then would judge it (settled once quiet for the cooldown and longer than
     * its pace), and, healthy for `recovery_runs`, gets its recovery notice without waiting for its next run.
     */
    readonly judgedAtNow?: boolean;
    /**
     * The findings awaiting a retry that a recovery would wait for, not among the candidates, as the store has them now
     * (`awaitedOutsideDelivery`): when each may be sent next, or undefined when it no longer awaits (sent, given up).
     */
    readonly awaitedInStore?: ReadonlyMap<string, number | undefined>;
  },
  ctx: PolicyContext,
): PolicyResult {
  const { now, options } = ctx;
  const base = current ?? initialAlertState(subject.subject, subject.subject_kind);
  const outcomes = input.replayed?.length ? [...input.outcomes, ...input.replayed.filter((o) => isAfterMark(o, base.outcomesThrough))] : input.outcomes;
  let changed = current === undefined && (input.candidates.length > 0 || outcomes.length > 0);
  const detectors: Record<string, DetectorAlertState> = { ...base.detectors };
  // Copied on the first decision written: a batch of run outcomes alone writes none, and the kept decisions are the bulk of the state.
  let decided = base.decided;
  let decidedOwn = false;
  const decide = (key: string, record: DecisionRecord) => {
    if (!decidedOwn) {
      decided = { ...decided };
      decidedOwn = true;
    }
    (decided as Record<string, DecisionRecord>)[key] = record;
  };
  let health = base.health;
  let open = base.open;
  let notices = [...base.notices];
  const alerts: PlannedAlert[] = [];
  const held: HeldFinding[] = [];
  let snoozedNotices = 0;
  /** This pass's alert per detector, which later findings of the same detector are folded into. */
  const planned = new Map<string, { alert: PlannedAlert; key: string }>();

  const severityOf = (f: Finding) => options.severity[f.detector] ?? f.severity;
  /** Opens (or widens) the episode; `at` is when what opened it happened (a finding's time, a run's), not when its alert was sent. */
  const openWith = (severity: Severity, detector: string, at: number) => {
    open = {
      since: open?.since ?? at,
      severity: open ? maxSeverity(open.severity, severity) : severity,
      detectors: open?.detectors.includes(detector) ? open.detectors : [...(open?.detectors ?? []), detector],
    };
  };
  const planNotice = (notice: PendingNotice) => {
    alerts.push({ kind: notice.kind, subject: base.subject, subject_kind: base.subject_kind, detector: notice.detectors[0] ?? notice.kind, severity: notice.severity, at: notice.at, notice, suppressed: 0, snoozed: 0, coalesced: 0, retry: false, ...episodeOf(notice) });
  };

  /** Until when a recovery notice waits for a finding of the subject that waits for its retry (undefined: none waits). */
  const findingWaits = base.findingRetryAt !== undefined && base.findingRetryAt > now ? base.findingRetryAt : undefined;
  const awaitingRetry = liveAwaitingRetry(base.findingsAwaitingRetry, now, input.awaitedInStore);
  const notDrained = notAmong(awaitingRetry, input.candidates);
  /**
   * Until when a recovery notice is held: a failure awaiting its retry that this delivery does not send holds it until
   * that failure may be sent again (as the store has it), at least a lease.
   */
  const recoveryWaits = notDrained.length > 0 ? Math.max(findingWaits ?? 0, now + ctx.leaseMs, ...notDrained.map((key) => input.awaitedInStore?.get(key) ?? 0)) : findingWaits;
  // Notices an earlier invocation planned but did not confirm: sent again once their lease is over.
  if (notices.some((n) => n.leaseUntil <= now)) {
    changed = true;
    notices = notices.map((n) => {
      if (n.leaseUntil > now) return n;
      if (n.kind === 'recovery' && recoveryWaits !== undefined) return { ...n, leaseUntil: recoveryWaits };
      const unconfirmedSendAt = n.unconfirmedSendAt ?? n.sendingAt;
      const renewed = { ...n, leaseUntil: now + ctx.leaseMs, sendingAt: now, ...(unconfirmedSendAt !== undefined ? { unconfirmedSendAt } : {}) };
      alerts.push({ kind: n.kind, subject: base.subject, subject_kind: base.subject_kind, detector: n.detectors[0] ?? n.kind, severity: n.severity, at: n.at, notice: renewed, suppressed: 0, snoozed: 0, coalesced: 0, retry: true, unconfirmedSendAt, ...episodeOf(n) });
      return renewed;
    });
  }

  type Step = { at: number; order: number; outcome?: RunOutcome; candidate?: AlertCandidate };
  const steps: Step[] = [
    ...outcomes.map((outcome): Step => ({ at: outcome.at, order: 0, outcome })),
    ...input.candidates.map((candidate): Step => ({ at: parseTime(candidate.finding.ts), order: 1, candidate })),
  ].sort((a, b) => a.at - b.at || a.order - b.order);

  for (const step of steps) {
    if (step.outcome) {
      if (applyOutcome(step.outcome)) changed = true;
      continue;
    }
    const { key, finding } = step.candidate!;
    const prior = decided[key];
    if (prior) {
      // Decided before: carry the decision out again (the claim on the finding keeps it to one sender).
      if (prior.disposition === 'sent') {
        alerts.push({
          kind: prior.kind ?? 'finding',
          subject: finding.subject,
          subject_kind: finding.subject_kind,
          detector: finding.detector,
          severity: prior.severity ?? severityOf(finding),
          at: prior.at,
          candidate: step.candidate,
          suppressed: prior.suppressed ?? 0,
          snoozed: prior.snoozed ?? 0,
          since: prior.since,
          coalesced: prior.coalesced ?? 0,
          ...(prior.streak !== undefined ? { streak: prior.streak } : {}),
          retry: true,
          // Its episode, as decided: that one may have closed since (a recovery sent while its send kept failing).
          // A decision recorded before it was kept: the one open, else its own time.
          episodeSince: prior.episodeSince ?? base.open?.since ?? parseTime(finding.ts),
        });
      } else {
        held.push({ key, finding, disposition: prior.disposition, by: prior.by });
      }
      continue;
    }
    changed = true;
    decideFinding(step.candidate!);
  }
  if (input.judgedAtNow && settleQuiet()) changed = true;

  for (const { alert, key } of planned.values()) {
    if (alert.coalesced > 0) decide(key, { ...decided[key], coalesced: alert.coalesced });
  }

  if (!changed) return { state: base, changed: false, alerts, held, snoozedNotices };
  let outcomesThrough = base.outcomesThrough;
  for (const outcome of outcomes) if (isAfterMark(outcome, outcomesThrough)) outcomesThrough = { at: outcome.at, ...(outcome.run_id !== undefined ? { run_id: outcome.run_id } : {}) };
  const state: AlertState = {
    subject: base.subject,
    subject_kind: base.subject_kind,
    detectors,
    health,
    open,
    decided: pruneDecided(decided, now, input.candidates),
    notices,
    ...(findingWaits !== undefined ? { findingRetryAt: findingWaits } : {}),
    ...(awaitingRetry ? { findingsAwaitingRetry: awaitingRetry } : {}),
    ...(outcomesThrough ? { outcomesThrough } : {}),
  };
  return { state, changed, alerts, held, snoozedNotices };

  function decideFinding(candidate: AlertCandidate): void {
    const { key, finding } = candidate;
    const d = finding.detector;
    const known = detectors[d] ?? NEW_DETECTOR;
    const entry: DetectorAlertState = { ...known, severity: known.severity ? maxSeverity(known.severity, severityOf(finding)) : severityOf(finding) };
    const streak = entry.streak + 1;
    const hold = (disposition: HeldFinding['disposition'], by?: string) => {
      held.push({ key, finding, disposition, by });
      decide(key, { at: now, disposition, ...(by ? { by } : {}) });
    };
    const send = (kind: 'finding' | 'escalation', severity: Severity) => {
      // Sent, the failure reopens the episode (a held one does not: the recovery still goes out).
      dropSupersededRecovery(parseTime(finding.ts));
      const since = entry.lastSentAt ?? entry.firstHeldAt;
      openWith(severity, d, parseTime(finding.ts));
      const alert: PlannedAlert = {
        kind,
        subject: finding.subject,
        subject_kind: finding.subject_kind,
        detector: d,
        severity,
        at: now,
        candidate,
        suppressed: entry.suppressed,
        snoozed: entry.snoozed,
        since: entry.suppressed > 0 ? since : undefined,
        coalesced: 0,
        ...(kind === 'escalation' ? { streak } : {}),
        retry: false,
        episodeSince: open!.since,
      };
      alerts.push(alert);
      planned.set(d, { alert, key });
      decide(key, {
        at: now,
        disposition: 'sent',
        kind,
        severity,
        ...(alert.suppressed > 0 ? { suppressed: alert.suppressed, snoozed: alert.snoozed, since: alert.since } : {}),
        ...(kind === 'escalation' ? { streak } : {}),
        episodeSince: alert.episodeSince,
      });
      detectors[d] = { lastSentAt: now, suppressed: 0, snoozed: 0, streak, escalated: entry.escalated || kind === 'escalation', severity: entry.severity };
    };

    const suppression = ctx.suppressionOf(finding);
    if (suppression) {
      hold(suppression.kind, suppression.id);
      detectors[d] = { ...entry, streak, suppressed: entry.suppressed + 1, snoozed: entry.snoozed + 1, firstHeldAt: entry.firstHeldAt ?? now };
      return;
    }
    if (options.escalateDetectors.has(d) && streak >= options.escalateAfter && !entry.escalated) {
      send('escalation', raiseSeverity(severityOf(finding)));
      return;
    }
    if (health?.flapping) {
      hold('flapping');
      health = { ...health, flapping: { ...health.flapping, suppressed: health.flapping.suppressed + 1 } };
      detectors[d] = { ...entry, streak, suppressed: entry.suppressed + 1, firstHeldAt: entry.firstHeldAt ?? now };
      return;
    }
    if (entry.lastSentAt !== undefined && now - entry.lastSentAt < options.cooldownMs) {
      const sameDelivery = planned.get(d);
      if (sameDelivery) {
        sameDelivery.alert = { ...sameDelivery.alert, coalesced: sameDelivery.alert.coalesced + 1 };
        alerts[alerts.findIndex((a) => a.candidate?.key === sameDelivery.key)] = sameDelivery.alert;
        held.push({ key, finding, disposition: 'suppressed' });
        decide(key, { at: now, disposition: 'suppressed', coalescedInto: sameDelivery.key });
        detectors[d] = { ...entry, streak };
        return;
      }
      hold('suppressed');
      detectors[d] = { ...entry, streak, suppressed: entry.suppressed + 1, firstHeldAt: entry.firstHeldAt ?? now };
      return;
    }
    send('finding', entry.escalated ? raiseSeverity(severityOf(finding)) : severityOf(finding));
  }

  /** Folds one run outcome into the subject's health; true when the state changed. */
  function applyOutcome(outcome: RunOutcome): boolean {
    const status = outcome.healthy ? 'healthy' : 'failing';
    if (health && outcome.at < health.since) return false;
    if (outcome.healthy && health?.lastFailedAt !== undefined && outcome.at < health.lastFailedAt) return endStreaksBefore();
    const before = health;
    const switched = before !== undefined && before.status !== status;
    const transitions = transitionsAt(before?.transitions, outcome.at, switched);
    let next: SubjectHealth = {
      status,
      since: switched || !before ? outcome.at : before.since,
      ...(outcome.healthy ? {} : { lastFailedAt: Math.max(outcome.at, before?.lastFailedAt ?? outcome.at) }),
      healthyRuns: outcome.healthy ? Math.min((before?.healthyRuns ?? 0) + 1, open ? MAX_HEALTHY_RUNS_COUNTED : options.recoveryRuns) : 0,
      transitions,
      ...(before?.settledAt !== undefined && before.settledAt > outcome.at - DAY_MS ? { settledAt: before.settledAt } : {}),
      ...(before?.flapping ? { flapping: before.flapping } : {}),
    };
    let touched = false;
    if (outcome.healthy) {
      // A plain object's keys, in Object.entries order, without an entries array per run.
      for (const d in detectors) {
        const entry = detectors[d];
        if (entry.streak === 0 && !entry.escalated) continue;
        detectors[d] = { ...entry, streak: 0, escalated: false };
        touched = true;
      }
    }
    const flapping = next.flapping;
    if (!flapping && switched && switchesAfter(transitions, next.settledAt) >= options.flappingTransitions) {
      const names = open?.detectors ?? Object.keys(detectors);
      const severity = open?.severity ?? severityOfDetectors(names);
      if (noticeSuppressed(names, outcome.at)) {
        next = { ...next, flapping: { since: outcome.at, suppressed: 0, heldAt: now } };
        snoozedNotices++;
      } else {
        next = { ...next, flapping: { since: outcome.at, lastSentAt: now, suppressed: 0 } };
        openWith(severity, names[0] ?? 'flapping', outcome.at);
        addNotice('flapping', outcome.at, severity, names, { transitions: transitions.length, window_hours: 24, suppressed: 0 });
      }
    } else if (flapping && flappingOver(next, outcome.at, switched, options)) {
      // Settled: judged before any reminder, so a switch after a quiet day ends flapping and its failure is alerted.
      next = settledHealth(next, outcome.at);
    } else if (flapping && switched && (flapping.lastSentAt === undefined || now - flapping.lastSentAt >= options.cooldownMs)) {
      const names = open?.detectors ?? Object.keys(detectors);
      const severity = open?.severity ?? severityOfDetectors(names);
      if (noticeSuppressed(names, outcome.at)) {
        if (flapping.heldAt === undefined || now - flapping.heldAt >= options.cooldownMs) {
          next = { ...next, flapping: { ...flapping, heldAt: now } };
          snoozedNotices++;
        }
      } else {
        // Its first notice (the others were held) opens the episode, as a first flapping alert does.
        if (flapping.lastSentAt === undefined) openWith(severity, names[0] ?? 'flapping', outcome.at);
        addNotice('flapping', outcome.at, severity, names, { transitions: transitions.length, window_hours: 24, suppressed: flapping.suppressed, flapping_since: isoTime(flapping.since) });
        next = { ...next, flapping: { since: flapping.since, lastSentAt: now, suppressed: 0 } };
      }
    }
    if (outcome.healthy && !next.flapping) recoverIfDue(next, outcome.at, outcome.run_id);
    health = next;
    return touched || !sameHealth(before, next);
  }

  /**
   * A healthy run older than the subject's latest failure: it ends the streaks before it, but a
   * failure after it is known (the latest), so each streak counts that one; an escalation stays.
   * True when the state changed.
   */
  function endStreaksBefore(): boolean {
    let touched = false;
    for (const d in detectors) {
      const entry = detectors[d];
      if (entry.streak <= 1) continue;
      detectors[d] = { ...entry, streak: 1 };
      touched = true;
    }
    return touched;
  }

  /**
   * The sweep's look at a flapping subject with no run outcome since its last switch (`judgedAtNow`):
   * quiet up to `now` for as long as a run then would find settled (`flappingOver`), its flapping ends
   * now, and a healthy one gets its recovery notice; its next run then finds the episode closed. True
   * when the state changed.
   */
  function settleQuiet(): boolean {
    if (!health?.flapping || now < health.since) return false;
    const quiet: SubjectHealth = { ...health, transitions: transitionsAt(health.transitions, now, false) };
    if (!flappingOver(quiet, now, false, options)) return false;
    health = settledHealth(quiet, now);
    if (health.status === 'healthy') recoverIfDue(health, now);
    return true;
  }

  /** After `recovery_runs` healthy runs in a row (not flapping), the open episode ends with a recovery notice (`at`: the run, or the sweep that found it settled). */
  function recoverIfDue(healthy: SubjectHealth, at: number, runId?: string): void {
    if (!open || healthy.healthyRuns < options.recoveryRuns) return;
    const suppressed = Object.values(detectors).reduce((n, e) => n + e.suppressed, 0);
    addNotice('recovery', at, open.severity, open.detectors, { healthy_runs: healthy.healthyRuns, open_since: isoTime(open.since), suppressed, ...(runId ? { last_run_id: runId } : {}) });
    open = undefined;
    for (const d of Object.keys(detectors)) delete detectors[d];
  }

  /**
   * A flapping notice's severity when no episode is open (its findings were held: snoozed, in a
   * maintenance window): the highest of these detectors' findings, `medium` when none is known (a
   * state from before detectors kept it).
   */
  function severityOfDetectors(names: readonly string[]): Severity {
    let severity: Severity | undefined;
    for (const name of names) {
      const seen = detectors[name]?.severity;
      if (seen) severity = severity ? maxSeverity(severity, seen) : seen;
    }
    return severity ?? 'medium';
  }

  /** Whether a snooze or maintenance window holds a flapping notice about these detectors at `at`: one covering every one of them. */
  function noticeSuppressed(names: readonly string[], at: number): boolean {
    const ts = isoTime(at);
    const covered = (detector: string) => ctx.suppressionOf({ detector, subject: base.subject, subject_kind: base.subject_kind, ts, severity: 'low', message: 'flapping', evidence: {} } as Finding) !== undefined;
    return names.length > 0 ? names.every(covered) : covered('');
  }

  /**
   * A recovery notice still pending (held for its failure's retry, or not yet confirmed) is dropped
   * once a failure after it is sent: that failure reopened its episode, and the notice would go out
   * after it, the last message saying recovered while the subject fails. One this pass sends for the
   * first time is kept: it goes out before the failure. A retry this pass makes still goes out ahead
   * of the failure, but is not kept: its send may fail again, and a later retry would follow the failure.
   */
  function dropSupersededRecovery(failedAt: number): void {
    if (!notices.some((n) => n.kind === 'recovery' && n.at < failedAt)) return;
    const kept = notices.filter((n) => n.kind !== 'recovery' || n.at >= failedAt || alerts.some((a) => a.notice?.id === n.id && !a.retry));
    if (kept.length === notices.length) return;
    notices = kept;
    changed = true;
  }

  function addNotice(kind: PendingNotice['kind'], at: number, severity: Severity, names: readonly string[], detail: Record<string, number | string>): void {
    const held = kind === 'recovery' ? recoveryWaits : undefined;
    const episodeSince = open?.since;
    const notice: PendingNotice = { id: `${kind}@${new Date(at).toISOString()}`, kind, at, leaseUntil: held ?? now + ctx.leaseMs, ...(held === undefined ? { sendingAt: now } : {}), ...(episodeSince !== undefined ? { episodeSince } : {}), severity, detectors: [...names], detail };
    if (notices.some((n) => n.id === notice.id)) return;
    notices = [...notices, notice].slice(-MAX_NOTICES);
    changed = true;
    if (held === undefined) planNotice(notice);
  }
}

/** A notice's episode start as a planned alert carries it (none for a notice stored before it was kept). */
function episodeOf(notice: PendingNotice): Pick<PlannedAlert, 'episodeSince'> {
  return notice.episodeSince !== undefined ? { episodeSince: notice.episodeSince } : {};
}

/**
 * The switches within 24 h of `at`, and `at` itself when the status switched there. The same
 * array when none is dropped or added (most runs), so that a run that changes nothing copies nothing.
 */
function transitionsAt(before: readonly number[] | undefined, at: number, switched: boolean): readonly number[] {
  if (!before) return switched ? [at] : [];
  const cutoff = at - DAY_MS;
  // A flapping subject keeps many switches and sees hundreds of runs a batch: its list's minimum
  // (NaN when a switch is not a number, which the filter drops) is worked out once per list.
  let min = minimumOf.get(before);
  if (min === undefined) minimumOf.set(before, (min = before.reduce((m, t) => Math.min(m, t), Infinity)));
  if (min > cutoff && !switched) return before;
  const out = before.filter((t) => t > cutoff);
  if (switched) out.push(at);
  return out;
}

/** The minimum of a transitions list, by list: lists are never changed once made, and the policy sees the same one run after run. */
const minimumOf = new WeakMap<readonly number[], number>();

/** How many of the switches (in time order) came after `settledAt` (all when flapping never settled). */
function switchesAfter(transitions: readonly number[], settledAt: number | undefined): number {
  if (settledAt === undefined) return transitions.length;
  let n = 0;
  for (let i = transitions.length - 1; i >= 0 && transitions[i] > settledAt; i--) n++;
  return n;
}

/**
 * Whether a flapping subject's flapping is over at `at` (its transitions those within 24 h of `at`):
 * fewer than half the threshold's switches, or, with no switch at `at`, steady for a cooldown and for
 * longer than its pace (the gaps between the switches since the last settle, for a steady failure the
 * longest left out: `settledBy`). A steady failure then goes on as any failure (cooldown reminders,
 * escalation), a steady health to its recovery; a job switching at its own pace (every 2 h, a cooldown
 * of 1 h; bursts with healthy hours between) does not.
 */
function flappingOver(health: SubjectHealth, at: number, switched: boolean, options: AlertPolicyOptions): boolean {
  if (health.transitions.length < Math.ceil(options.flappingTransitions / 2)) return true;
  return !switched && settledBy(at - health.since, health.status, health.transitions, health.settledAt, options.cooldownMs);
}

/**
 * The health once flapping settled at `at`: no longer flapping, and only switches after `at` can start it
 * again. The latest failure is kept: a healthy run older than it, judged later, must not end the failure.
 */
function settledHealth(health: SubjectHealth, at: number): SubjectHealth {
  const { status, since, lastFailedAt, healthyRuns, transitions } = health;
  return { status, since, ...(lastFailedAt !== undefined ? { lastFailedAt } : {}), healthyRuns, transitions, settledAt: at };
}

/**
 * Whether a flapping subject `quietMs` without a switch (in `status`) has settled: quiet for a
 * cooldown, and for longer than its pace, the gaps between its switches within 24 h after `settledAt`
 * (a job that switches every 2 h with a cooldown of 1 h is still flapping 1 h after a switch). A steady
 * failure leaves their longest gap out: a single long quiet stretch before the flapping began (after
 * a lone failure hours before) is not its pace, and would leave a failure that goes on unreminded
 * for as long. A steady health counts every gap: a job flapping in bursts with healthy hours between
 * them stays grouped under its flapping alert (a recovery notice then the next burst paged run by
 * run is worse noise than a later recovery). The stretch that settled an earlier bout lies before
 * `settledAt`. Worked out once per list.
 */
function settledBy(quietMs: number, status: SubjectHealth['status'], transitions: readonly number[], settledAt: number | undefined, cooldownMs: number): boolean {
  if (quietMs < cooldownMs) return false;
  let pace = paceOf.get(transitions);
  if (!pace || pace.settledAt !== settledAt) {
    let [longest, next] = [0, 0];
    for (let i = transitions.length - 1; i > 0 && transitions[i - 1] > (settledAt ?? -Infinity); i--) {
      const gap = transitions[i] - transitions[i - 1];
      if (gap > longest) [longest, next] = [gap, longest];
      else if (gap > next) next = gap;
    }
    paceOf.set(transitions, (pace = { settledAt, longest, next }));
  }
  return quietMs > (status === 'failing' ? pace.next : pace.longest);
}

/** The longest two gaps of a transitions list (as `settledBy` works them out) after a settle, by list (as `minimumOf`). */
const paceOf = new WeakMap<readonly number[], { settledAt: number | undefined; longest: number; next: number }>();

/** Whether two health records say the same (the run-outcome loop's "did anything change", without serialising both). */
function sameHealth(a: SubjectHealth | undefined, b: SubjectHealth): boolean {
  if (!a || a.status !== b.status || a.since !== b.since || a.lastFailedAt !== b.lastFailedAt || a.healthyRuns !== b.healthyRuns || a.settledAt !== b.settledAt) return false;
  if (a.transitions !== b.transitions) {
    if (a.transitions.length !== b.transitions.length) return false;
    for (let i = 0; i < a.transitions.length; i++) if (a.transitions[i] !== b.transitions[i]) return false;
  }
  const [fa, fb] = [a.flapping, b.flapping];
  if (!fa || !fb) return fa === fb;
  return fa.since === fb.since && fa.lastSentAt === fb.lastSentAt && fa.suppressed === fb.suppressed && fa.heldAt === fb.heldAt;
}

/**
 * Whether these run outcomes could start flapping or send a flapping reminder for a subject in this
 * state (over-approximated: every outcome counted as a switch). The adapter reads the stored
 * snoozes for such a subject even when no finding is to be delivered: the notice asks them too.
 */
export function mayNoticeFlapping(state: AlertState | undefined, outcomes: number, options: AlertPolicyOptions): boolean {
  if (outcomes === 0) return false;
  const health = state?.health;
  return health?.flapping !== undefined || (health?.transitions.length ?? 0) + outcomes >= options.flappingTransitions;
}

/**
 * The catalog an alert state is listed under while the sweep must look at it with no run (`subjects`):
 * flapping (it may settle while quiet), or holding a notice not known to be sent (published again once
 * its lease is over). Other alert states are listed under their key's kind, `alert`, and never read
 * by the sweep, so that it reads these few rather than every subject's alert state each 5 minutes.
 */
export const ALERT_DUE_CATALOG = 'alert-due';

/** The catalog an alert state is written under: `ALERT_DUE_CATALOG` while the sweep must look at it, else its key's (undefined). */
export function alertStateCatalog(state: AlertState): string | undefined {
  return state.health?.flapping !== undefined || state.notices.length > 0 ? ALERT_DUE_CATALOG : undefined;
}

/** Removes sent notices from the state (after their message went out). */
export function settleNotices(state: AlertState, ids: readonly string[]): AlertState {
  return afterSends(state, { sent: ids });
}

/** What an invocation's sends did to a subject's notices and findings (`afterSends`). */
export interface SendOutcome {
  /** Notices sent: removed. */
  readonly sent?: readonly string[];
  /** Notices whose send failed: retried from the failure's `retry_at`, dropped when given up. */
  readonly failed?: ReadonlyMap<string, AlertFailure>;
  /** Notices not tried, held until then (behind a finding of the subject whose send failed). */
  readonly heldUntil?: ReadonlyMap<string, number>;
  /** Notices planned and never tried (left for lack of time, or an earlier step threw): no send of them started, kept as leased. */
  readonly unsent?: readonly string[];
  /** A finding of the subject failed to send and waits for its retry until then. */
  readonly findingRetryAt?: number;
  /** Findings of the subject whose send failed, by key: until when they may still be sent (given up after). */
  readonly findingsWaiting?: ReadonlyMap<string, number>;
  /** Findings of the subject awaiting a retry that were sent, or given up: a recovery no longer waits for them. */
  readonly findingsDone?: readonly string[];
}

/**
 * The findings awaiting a retry that are not yet given up at `now`, nor found sent or given up in the store
 * (`inStore`: undefined for one it no longer holds pending); undefined when none.
 */
function liveAwaitingRetry(awaiting: Readonly<Record<string, number>> | undefined, now: number, inStore?: ReadonlyMap<string, number | undefined>): Readonly<Record<string, number>> | undefined {
  if (!awaiting) return undefined;
  const live = Object.entries(awaiting).filter(([key, until]) => until > now && !(inStore?.has(key) && inStore.get(key) === undefined));
  return live.length > 0 ? Object.fromEntries(live) : undefined;
}

/** The keys of these findings awaiting a retry that are not among the candidates. */
function notAmong(awaiting: Readonly<Record<string, number>> | undefined, candidates: readonly AlertCandidate[]): string[] {
  return awaiting ? Object.keys(awaiting).filter((key) => !candidates.some((c) => c.key === key)) : [];
}

/**
 * The findings awaiting a retry that a recovery notice of this decision would be held behind, not among its candidates:
 * to look up in the store (`awaitedInStore`), as one of them may have been sent by a delivery whose settling write was
 * lost. None unless a recovery may be planned: one pending whose lease is over, a healthy run, or the sweep's look at a
 * flapping subject (most decisions, and every one with no finding awaiting a retry, read nothing).
 */
export function awaitedOutsideDelivery(
  state: AlertState | undefined,
  input: { readonly candidates: readonly AlertCandidate[]; readonly outcomes: readonly RunOutcome[]; readonly replayed?: readonly RunOutcome[]; readonly judgedAtNow?: boolean },
  now: number,
): string[] {
  const awaiting = state && liveAwaitingRetry(state.findingsAwaitingRetry, now);
  if (!awaiting) return [];
  const mayRecover =
    state.notices.some((n) => n.kind === 'recovery' && n.leaseUntil <= now) ||
    input.outcomes.some((o) => o.healthy) ||
    input.replayed?.some((o) => o.healthy) ||
    (input.judgedAtNow && state.health?.flapping !== undefined);
  return mayRecover ? notAmong(awaiting, input.candidates) : [];
}

/** The state's findings awaiting a retry after the sends: those that failed added, those sent or given up removed (the same object when none changes). */
function awaitingAfterSends(state: AlertState, outcome: SendOutcome): AlertState['findingsAwaitingRetry'] {
  const before = state.findingsAwaitingRetry;
  const { findingsWaiting, findingsDone = [] } = outcome;
  if (!findingsWaiting?.size && !findingsDone.some((key) => before?.[key] !== undefined)) return before;
  const after: Record<string, number> = { ...before, ...Object.fromEntries(findingsWaiting ?? []) };
  for (const key of findingsDone) delete after[key];
  return Object.keys(after).length > 0 ? after : undefined;
}

/** The state after an invocation's sends: the same object when they change nothing in it. */
export function afterSends(state: AlertState, outcome: SendOutcome): AlertState {
  const { sent = [], failed, heldUntil, unsent: untried = [], findingRetryAt } = outcome;
  const touches = (n: PendingNotice) => sent.includes(n.id) || failed?.has(n.id) || heldUntil?.has(n.id) || (n.sendingAt !== undefined && untried.includes(n.id));
  const waitsLonger = findingRetryAt !== undefined && !(findingRetryAt <= (state.findingRetryAt ?? -Infinity));
  const awaiting = awaitingAfterSends(state, outcome);
  if (!state.notices.some(touches) && !waitsLonger && awaiting === state.findingsAwaitingRetry) return state;
  const notices: PendingNotice[] = [];
  for (const n of state.notices) {
    if (sent.includes(n.id)) continue;
    const failure = failed?.get(n.id);
    if (failure?.gave_up) continue;
    const until = heldUntil?.get(n.id);
    // Not sent: no send of it is under way (its sendingAt goes; an earlier unconfirmed one stays).
    const { sendingAt: _sending, ...unsent } = n;
    if (failure) notices.push({ ...unsent, failure, leaseUntil: Math.max(failure.retry_at, until ?? 0) });
    else if (until !== undefined) notices.push({ ...unsent, leaseUntil: until });
    else notices.push(untried.includes(n.id) ? unsent : n);
  }
  const { findingsAwaitingRetry: _awaiting, ...rest } = state;
  return { ...rest, notices, ...(waitsLonger ? { findingRetryAt } : {}), ...(awaiting ? { findingsAwaitingRetry: awaiting } : {}) };
}

/**
 * Notices of a state that wait for a retry: their send failed, or was not confirmed (`sendingAt`
 * left by a send whose settle was lost). The sweep's `AlertsAwaitingRetry` counts them with the findings.
 */
export function noticesAwaitingRetry(state: AlertState | undefined): number {
  return state?.notices.filter((n) => n.failure !== undefined || n.sendingAt !== undefined).length ?? 0;
}

const KIND_PRIORITY: Record<PlannedAlert['kind'], number> = { escalation: 0, finding: 1, flapping: 2, recovery: 3 };

/** When what an alert says happened: its finding's time, a notice's run. */
function eventTimeOf(alert: PlannedAlert): number {
  return alert.candidate ? parseTime(alert.candidate.finding.ts) : alert.at;
}

/**
 * The storm cap of one invocation: at most `cap` alerts go out one by one, the most urgent first
 * (severity, then escalations before findings before notices, then time); the rest are folded into
 * one summary, sent after them. A subject's alerts all go the same way: one by one when all of them
 * fit under the cap (subjects taken by their most urgent alert), else in the summary, so that a
 * subject's news is never split between an individual message and the summary sent after it (a
 * recovery folded in after the failure that followed it, or a failure of a closed episode after its
 * recovery); only the episodes a recovery closed may go one by one, before the summary that holds
 * its later alerts. Those sent one by one go in the order things happened (a notice last at the same
 * moment), so that a recovery follows the alerts of the episode it closes and the last message read
 * is the latest news.
 */
export function capAlerts(alerts: readonly PlannedAlert[], cap: number): { individual: PlannedAlert[]; summarized: PlannedAlert[] } {
  const ordered = [...alerts].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      KIND_PRIORITY[a.kind] - KIND_PRIORITY[b.kind] ||
      a.at - b.at ||
      eventTimeOf(a) - eventTimeOf(b) ||
      compareNames(a.subject, b.subject),
  );
  const inTimeOrder = (list: PlannedAlert[]) =>
    list.sort((a, b) => eventTimeOf(a) - eventTimeOf(b) || KIND_PRIORITY[a.kind] - KIND_PRIORITY[b.kind] || compareNames(a.subject, b.subject));
  if (ordered.length <= cap) return { individual: inTimeOrder(ordered), summarized: [] };
  const bySubject = new Map<string, PlannedAlert[]>();
  for (const alert of ordered) {
    const key = `${alert.subject_kind}#${alert.subject}`;
    const list = bySubject.get(key);
    if (list) list.push(alert);
    else bySubject.set(key, [alert]);
  }
  const individual: PlannedAlert[] = [];
  const folded = new Set<PlannedAlert>();
  for (const list of bySubject.values()) {
    if (individual.length + list.length <= cap) {
      individual.push(...list);
      continue;
    }
    // Else its episodes closed by a recovery may go one by one, before the summary that holds its latest ones.
    const inTime = inTimeOrder([...list]);
    const lastRecovery = inTime.findLastIndex((alert) => alert.kind === 'recovery');
    const closed = lastRecovery >= 0 && individual.length + lastRecovery + 1 <= cap ? lastRecovery + 1 : 0;
    individual.push(...inTime.slice(0, closed));
    for (const alert of inTime.slice(closed)) folded.add(alert);
  }
  return { individual: inTimeOrder(individual), summarized: ordered.filter((alert) => folded.has(alert)) };
}
