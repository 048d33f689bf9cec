import type { Severity } from '../findings.ts';

/**
 * The monthly 5 Cs audit report as data: what `buildReport` returns, what the JSON output holds
 * and what the Markdown and HTML renderers draw. The JSON form is also the archive next month's
 * report reads to carry statuses, so fields are added, never renamed.
 */

export const REPORT_SCHEMA = 'silent-audit/monthly-report@1';

/** The report's sections, in order, with the headings every output uses. */
export const REPORT_SECTIONS = [
  { id: 'summary', title: 'Summary' },
  { id: 'coverage', title: 'Coverage' },
  { id: 'exceptions', title: 'Exception registry review' },
  { id: 'silenced', title: 'Silenced alerts' },
  { id: 'retries', title: 'Retries per route' },
  { id: 'agents', title: 'Agent budgets and costs' },
  { id: 'findings', title: 'Findings (5 Cs)' },
  { id: 'thresholds', title: 'Appendix: thresholds' },
] as const;

export type SectionId = (typeof REPORT_SECTIONS)[number]['id'];

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

/**
 * Where a group of findings stands against last month: `new` (not seen last month), `recurring`
 * (seen last month, or open in last month's report, and seen again), `resolved` (seen last month,
 * not this month, and the subject ran cleanly), `unverified` (seen last month, not this month,
 * but the subject reported no data: silence is not a fix).
 */
/** `retired`: a job taken out of the config since it was judged by it (`leftConfig`), whose group no run can show recovered. */
export type GroupStatus = 'new' | 'recurring' | 'resolved' | 'unverified' | 'retired';

export interface Trend {
  readonly current: number;
  readonly previous: number;
  readonly delta: number;
  readonly direction: 'up' | 'down' | 'same';
}

export interface ReportSummary {
  /** One sentence: the month in numbers. */
  readonly headline: string;
  readonly findings: Trend;
  readonly bySeverity: readonly { readonly severity: Severity; readonly trend: Trend }[];
  /** Every detector that fired in either month, most findings first. */
  readonly byDetector: readonly { readonly detector: string; readonly trend: Trend }[];
  readonly subjectsAffected: Trend;
  readonly groups: { readonly new: number; readonly recurring: number; readonly resolved: number; readonly unverified: number; readonly retired: number };
  readonly coverage: CoverageCounts;
  readonly exceptions: { readonly total: number; readonly expired: number; readonly expiringSoon: number; readonly unused: number };
  /** The groups to look at first, as short lines. */
  readonly highlights: readonly string[];
  /** The card (`findings[].id`) each highlight is about, in the same order. */
  readonly highlightIds: readonly string[];
  /**
   * Set when the store holds nothing of the month before (no finding, no run, every subject first
   * seen after it): this is the first month monitored, and its trends compare with nothing, not with 0.
   */
  readonly firstMonthMonitored?: true;
}

/** `later`: configured, first seen after the month, and nothing of it in the month: neither judged nor UNKNOWN. */
export type CoverageStatus = 'findings' | 'ok' | 'unknown' | 'later';

export interface CoverageRow {
  readonly kind: string;
  readonly name: string;
  readonly status: CoverageStatus;
  /** Why a subject is UNKNOWN (or a caveat on one with findings, or why an OK job sent nothing). */
  readonly reason?: string;
  /** A job that sent nothing in the month and whose configured schedule expected no run in it. */
  readonly notDue?: boolean;
  /** Runs recorded in the month (a job whose runs log no end: its starts); null when this kind of subject records no runs. */
  readonly runsInMonth: number | null;
  readonly failedRuns: number | null;
  /** Requests in the month, for a route whose state counts them; retried = needed more than one attempt. */
  readonly requests?: { readonly total: number; readonly retried: number };
  /** Runs known by the end of the month; null when the state does not count them. */
  readonly history: number | null;
  readonly minHistory: number | null;
  /** ISO-8601, when the subject was last seen (any time, not only this month). */
  readonly lastSeen?: string;
  readonly findings: number;
  /** The worst severity among its findings (a group's severity); not the severity of each of them. */
  readonly highestSeverity?: Severity;
  /** Its findings counted by severity, worst first (`{ high: 1, medium: 6 }`): they add up to `findings`. Absent with none. */
  readonly findingsBySeverity?: Readonly<Partial<Record<Severity, number>>>;
  readonly owner?: string;
  /** Named in the config file (as opposed to only seen in logs). */
  readonly configured: boolean;
}

export interface CoverageCounts {
  readonly monitored: number;
  readonly ok: number;
  readonly findings: number;
  readonly unknown: number;
  /** Configured subjects first seen after the month (status `later`). */
  readonly later: number;
}

/**
 * A subject taken out of use: no entry in the config, and nothing of it seen in the month or the
 * month before (its last sighting before that). Not monitored: in no row and no count.
 */
export interface RetiredSubject {
  readonly kind: string;
  readonly name: string;
  /** ISO-8601, its last sighting. */
  readonly lastSeen: string;
}

export interface CoverageSection {
  readonly rows: readonly CoverageRow[];
  readonly counts: CoverageCounts;
  /** Subjects retired (`RetiredSubject`), in the report's order; empty when the caller gives no `retireBefore`. */
  readonly retired: readonly RetiredSubject[];
  /** In a report sliced by owner (`report --owner`): how many subjects the whole report monitors; `counts` are the slice's. */
  readonly sliceOf?: number;
}

export type ExceptionState = 'active' | 'expiring' | 'expired' | 'revoked';

export interface ExceptionReviewRow {
  readonly id: string;
  readonly guard: string;
  readonly owner: string;
  readonly reason: string;
  /** `YYYY-MM-DD`, the last valid day. */
  readonly expires: string;
  readonly state: ExceptionState;
  /** Days from the report date to the expiry (negative: expired that many days ago). */
  readonly daysToExpiry: number;
  /** Bypasses under it up to the report's end (the month's, or its time if earlier); null when the registry does not know. */
  readonly bypassCount: number | null;
  readonly lastBypassAt?: string;
  /**
   * Set when the store could not give the counts up to the report's end: `bypassCount` and `lastBypassAt`
   * are the registry's all-time figures, bypasses after the report's end included.
   */
  readonly countsAllTime?: true;
  readonly renewals: number;
  /** Days since it was created, when known. */
  readonly ageDays?: number;
  /** Findings about it this month (bypasses after its expiry). */
  readonly findingsInMonth: number;
  /** Bypasses after its expiry this month: its findings and the repeats the alert cooldown held back behind them (those after the last one included, counted by a finding after the month or still held). */
  readonly bypassesInMonth: number;
  /** The answer to "is this still needed?" as far as the data goes, and what to do. */
  readonly review: string;
}

export interface ExceptionReview {
  /** False when no registry was available: the rows then come from the config seeds, counts unknown. */
  readonly available: boolean;
  readonly rows: readonly ExceptionReviewRow[];
  /**
   * Guards bypassed this month without a valid exception: bypasses, repeats the cooldown held back
   * included (behind the month's last finding too). `count` is their sum: `noException`
   * (`guard-bypass-unregistered`) and `underLapsedException` (`guard-exception-expired`: under an
   * exception that had expired or been revoked).
   */
  readonly unregistered: readonly {
    readonly guard: string;
    readonly count: number;
    readonly noException: number;
    readonly underLapsedException: number;
    readonly lastAt: string;
  }[];
  readonly note?: string;
}

/** The worst value of one kind of evidence across a subject's findings. */
export interface WorstValue {
  readonly key: string;
  readonly value: number;
  readonly unit: EvidenceUnit;
  /** The detector whose worst finding measured it, when the row's values come from more than one detector's (each one finding's figures). */
  readonly of?: string;
}

export interface MonitoredRow {
  readonly name: string;
  readonly owner?: string;
  readonly configured: boolean;
  readonly status: CoverageStatus;
  /** The limits that apply, as `key: value` pairs in words. */
  readonly limits: readonly ThresholdUsed[];
  readonly findings: number;
  readonly byDetector: readonly { readonly detector: string; readonly count: number }[];
  readonly worst: readonly WorstValue[];
  readonly runsInMonth: number | null;
  /** A route's requests in the month and how many were retried, when its state counts them. */
  readonly requests?: { readonly total: number; readonly retried: number };
  /** What the row's findings share with another row: a sub-agent's over its own budget are its root agent's findings too. */
  readonly note?: string;
}

export interface MonitoredSection {
  readonly rows: readonly MonitoredRow[];
  /** Set when there is nothing to list: "No routes monitored." */
  readonly empty?: string;
}

/** `ratio` is a share shown as a percentage (0.3 is 30%); `multiple` a factor shown as such (6.3 is 6.3×). */
export type EvidenceUnit = 'bytes' | 'ms' | 'usd' | 'ratio' | 'multiple' | 'count' | 'number';

export interface EvidenceStat {
  readonly key: string;
  readonly unit: EvidenceUnit;
  /** `threshold`: the key holds the limit the detector judged against, not something measured. */
  readonly label?: 'threshold';
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface ThresholdUsed {
  readonly key: string;
  /** As written in words: `0.3`, `5 runs`, `"uploaded \\d+ objects"`. */
  readonly value: string;
  /** Where it came from: `defaults`, `jobs.nightly-backup`, `built-in`. */
  readonly source: string;
}

export interface FindingGroup {
  /** An anchor the same every month for its detector and subject: `output-shrink--nightly-backup`, or with a digest of a subject its slug does not spell (`run-failed--etl-load-1a2b3c4d`). */
  readonly id: string;
  readonly detector: string;
  readonly subject: string;
  readonly subjectKind: string;
  /** The highest severity among its findings (last month's, for a resolved group). */
  readonly severity: Severity;
  readonly status: GroupStatus;
  /** The first month it was reported in, carried from last month's report when there is one. */
  readonly openSince: string;
  readonly criteria: {
    readonly rule: string;
    readonly thresholds: readonly ThresholdUsed[];
    /** The baseline the findings were measured against, when their evidence names one. */
    readonly baseline?: string;
  };
  readonly condition: {
    readonly occurrences: number;
    readonly previousOccurrences: number;
    /** Distinct runs named by the findings; 0 when they are not about runs (routes, guards). */
    readonly runsAffected: number;
    /** When the first and the last happened, as the month counts them (`happenedAt`: a window's finding at its last second). */
    readonly firstAt?: string;
    readonly lastAt?: string;
    /** Days with an occurrence, `YYYY-MM-DD`, as the month counts them. */
    readonly days: readonly string[];
    readonly evidence: readonly EvidenceStat[];
    /** Text evidence values and how often each was seen (`reason: empty-marker ×3`). */
    readonly values: readonly { readonly key: string; readonly value: string; readonly count: number }[];
    /** Up to three distinct messages (the first ones and the last), with how often each was seen. */
    readonly examples: readonly { readonly text: string; readonly count: number }[];
    /** Findings whose evidence was over the size limit and cut to its short fields (`evidence_truncated`); absent when none was. */
    readonly evidenceCut?: number;
  };
  readonly cause: {
    readonly known: string;
    /** What this month's evidence says about which of the known causes it is. */
    readonly narrowed: readonly string[];
  };
  readonly consequence: {
    readonly known: string;
    readonly runsAffected: number;
    readonly runsInMonth: number | null;
    /** From the first occurrence (a finding over a window: from the window's start) to the last, or to the month's end while it still happens. */
    readonly persisted?: { readonly from: string; readonly to: string; readonly ms: number; readonly ongoing: boolean };
    readonly costUsd?: number;
    readonly maxLatencyMs?: number;
    readonly notes: readonly string[];
  };
  readonly correctiveAction: {
    readonly action: string;
    readonly owner?: string;
    /** Where the owner is (or should be) configured: `jobs.nightly-backup.owner`. */
    readonly ownerKey: string;
    /**
     * False for last month's group of a subject no longer in the config (quiet since, or back this
     * month with an owner last month's report named): its owner, if any, is the one last month's
     * report named, and the report does not ask to set `ownerKey`. Absent otherwise.
     */
    readonly inConfig?: false;
    /** `YYYY-MM-DD`; none for a resolved group. */
    readonly due?: string;
    /** A carried due date that has passed. */
    readonly overdue: boolean;
    readonly status: GroupStatus;
  };
}

export interface DayCount {
  readonly date: string;
  readonly total: number;
  readonly bySeverity: Readonly<Record<Severity, number>>;
}

export interface ReportCharts {
  readonly perDay: readonly DayCount[];
  readonly perDetector: readonly { readonly label: string; readonly count: number }[];
  readonly perSubject: readonly { readonly label: string; readonly count: number }[];
}

export interface ThresholdAppendix {
  readonly defaults: readonly { readonly key: string; readonly value: string; readonly builtIn: boolean }[];
  readonly overrides: readonly ThresholdUsed[];
  /** Days from the report date to an open group's due date, per severity. */
  readonly dueDays: Readonly<Record<Severity, number>>;
  /** The rule of every detector that fired in either month. */
  readonly rules: readonly { readonly detector: string; readonly criteria: string }[];
}

/**
 * A missed-run or run-unfinished finding that the run records answer: the run's lines arrived
 * after the sweep judged it (`retractLateRuns`). Kept out of the groups and counts.
 */
export interface RetractedFinding {
  readonly detector: string;
  readonly subject: string;
  readonly ts: string;
  readonly expected_at?: string;
  /** The recorded run that answers it; absent for a run known only from the job's kept starts (a cron `CMD` line, which writes no run record). */
  readonly run_id?: string;
  /** Why it is retracted, in words. */
  readonly reason: string;
}

export interface AuditReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly month: string;
  /** `October 2026` */
  readonly label: string;
  readonly previousMonth: string;
  readonly previousLabel: string;
  /** ISO-8601 bounds: from inclusive, to exclusive. */
  readonly period: { readonly from: string; readonly to: string };
  readonly generatedAt: string;
  /** Notes about the data itself (a previous report that could not be read, …). */
  readonly notes: readonly string[];
  readonly summary: ReportSummary;
  readonly coverage: CoverageSection;
  readonly exceptions: ExceptionReview;
  /** What held alerts back in the month: snoozes, maintenance windows, and the findings they held. */
  readonly silenced: SilencedSection;
  readonly retries: MonitoredSection;
  readonly agents: MonitoredSection;
  /** Open groups first (new and recurring, by severity), then resolved and unverified ones. */
  readonly findings: readonly FindingGroup[];
  /** The month's missed-run and run-unfinished findings whose run's lines arrived late: in no group or count. */
  readonly retracted: readonly RetractedFinding[];
  readonly charts: ReportCharts;
  readonly thresholds: ThresholdAppendix;
}

/** A snooze that held a subject's alerts back at some time in the month. */
export interface SilencedSnooze {
  readonly id: string;
  readonly subject: string;
  readonly detector?: string;
  /** `config` (the config file's: its start is not recorded) or `cli` (`snooze add`). */
  readonly origin: 'config' | 'cli';
  readonly owner: string;
  readonly reason: string;
  /** ISO-8601, when it was added (absent for the config file's). */
  readonly from?: string;
  readonly until: string;
  readonly createdBy?: string;
  readonly endedAt?: string;
  readonly endedBy?: string;
  readonly endReason?: string;
  /** Still holding alerts back at the month's end (or the report's time, in a month not over). */
  readonly activeAtEnd: boolean;
  /** The month's findings whose alert it held back (a config file's: none for certain, see `mayHaveHeldFindings`). */
  readonly heldFindings: number;
  /**
   * A config file's snooze only (its start is not recorded): the month's findings it covers that
   * nothing else held back. It may have been added after them, so they may have paged someone.
   */
  readonly mayHaveHeldFindings?: number;
  /** Why it is an exception to review (longer than 7 days), when it is. */
  readonly exception?: string;
}

/** A configured maintenance window with an occurrence in the month. */
export interface SilencedWindow {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly detectors?: readonly string[];
  readonly owner: string;
  readonly reason: string;
  readonly start?: string;
  readonly end?: string;
  readonly cron?: string;
  readonly timezone?: string;
  readonly durationMinutes?: number;
  readonly until?: string;
  readonly activeAtEnd: boolean;
  readonly heldFindings: number;
  readonly exception?: string;
}

export interface SilencedSection {
  /** One line: what silences an alert and when that is an exception. */
  readonly criteria: string;
  /** One line: how many of the month's findings paged nobody. */
  readonly consequence: string;
  readonly snoozes: readonly SilencedSnooze[];
  readonly windows: readonly SilencedWindow[];
  /**
   * The month's findings whose alert a snooze or window held back (a config file's snooze's are apart:
   * `mayHaveHeldFindings`). An estimate: judged at each finding's own time (a missed run's: when it
   * was expected), while the alert policy judged when it decided (a missed run after its grace); what
   * it decided is not kept with the finding.
   */
  readonly heldFindings: number;
  /** The month's findings only a config file's snooze covers: it may have been added after them (its start is not recorded). */
  readonly mayHaveHeldFindings: number;
  /** Per group (detector × subject) with a finding held back (or that may have been): how many of its findings, and by which snoozes or windows. */
  readonly held: readonly { readonly detector: string; readonly subject: string; readonly held: number; readonly mayHaveHeld?: number; readonly of: number; readonly by: readonly string[] }[];
  /** Long-running or back-to-back snoozes and long windows: silent failures of their own. */
  readonly exceptions: readonly string[];
}
