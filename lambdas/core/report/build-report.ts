import type { Config } from '../../config.ts';
import { DETECTOR_META } from '../../detectors/index.ts';
import type { DetectorMeta } from '../../detectors/types.ts';
import type { Clock, GuardException, RunRecord, Snooze } from '../../ports.ts';
import type { Finding, Severity } from '../findings.ts';
import { buildCoverage, runsKeptFrom } from './coverage.ts';
import { plural, trend, trendArrow } from './format.ts';
import { buildGroups, type CarriedGroup } from './groups.ts';
import { happenedAt, happenedIn } from './evidence.ts';
import { lateRunJudge, retractionNotes } from './late-runs.ts';
import { isoSecond, type MonthSpan, monthSpan, previousMonthSpan } from './month.ts';
import { utcDay } from '../parse-time.ts';
import { type AuditReport, type DayCount, type FindingGroup, REPORT_SCHEMA, type ReportCharts, type RetractedFinding, type ReportSummary, SEVERITIES } from './model.ts';
import { agentsSection, EXPIRING_SOON_DAYS, type HeldBypasses, retriesSection, reviewExceptions, UNUSED_AFTER_DAYS, withoutValidException } from './sections.ts';
import { silencedSection } from './silenced.ts';
import { configSnoozes } from '../snooze.ts';
import { inConfig, ownersAsConfigured, stateFacts, type SubjectSnapshot } from './subjects.ts';
import { ruleWithThresholds, thresholdAppendix } from './thresholds.ts';
import { subjectKey } from '../pipeline.ts';
import { type InSlice, ownerSlice, sliceLabel, unknownOwnerNote } from './owner-slice.ts';
import { compareNames } from '../name-order.ts';

/** The kinds of subject a snooze may name. */
const SUBJECT_KINDS = ['job', 'agent', 'route', 'tool', 'guard'] as const;

export interface ReportInput {
  /** `YYYY-MM` */
  readonly month: string;
  /** The month's findings (any order). */
  readonly findings: readonly Finding[];
  /** The previous month's findings, for the trend and the statuses. */
  readonly previousFindings: readonly Finding[];
  /** Every stored subject with its state. */
  readonly subjects: readonly SubjectSnapshot[];
  /**
   * Run records of all subjects: the month's, for coverage and groups, and any after it (to the
   * report date), whose late runs may answer a missed or unfinished run of the month; and last
   * month's of the jobs with such a finding then, which last month's report retracted with them.
   */
  readonly runs: readonly RunRecord[];
  /** The exception registry's entries; undefined when no registry is available. */
  readonly exceptions?: readonly GuardException[];
  /** The ids among `exceptions` of the config's entries the registry does not hold yet (`seedPlan`'s missing): their bypass counts are unknown. */
  readonly exceptionsNotStored?: readonly string[];
  /** The ids among `exceptions` whose counts are the registry's all-time totals, as their guards' states cannot give them up to the report's end. */
  readonly exceptionCountsAllTime?: readonly string[];
  /** Guard bypasses the alert cooldown held back behind this month's findings that none of them counts (`heldBackAtMonthEnd`). */
  readonly heldBack?: readonly HeldBypasses[];
  /** Every snooze, stored and from the config (`allSnoozes`); the config's alone when not given. */
  readonly snoozes?: readonly Snooze[];
  readonly config: Config;
  /** The report date: due dates count from it. */
  readonly clock: Clock;
  /** Groups as last month's report left them, to carry open-since and due dates. */
  readonly carried?: readonly CarriedGroup[];
  /** Detector meta by id; the registry's by default. */
  readonly meta?: ReadonlyMap<string, DetectorMeta>;
  readonly notes?: readonly string[];
  /** How many days the store keeps a run record after its run (`RunRecordStore.runRetentionDays`); undefined: for good. */
  readonly runRetentionDays?: number;
  /** Epoch ms: where the log files the report was made from end (`ReportSources.inputEndsAt`). */
  readonly inputEndsAt?: number;
  /** Owners whose subjects alone the report holds (`report --owner`; `none` for the unowned): a slice (`sliceByOwner`). Undefined: every subject. */
  readonly owners?: readonly string[];
}

/**
 * What the report says at its top when the store no longer keeps all the run records it reads
 * (`runsKeptFrom`): the month's (its jobs' and agents' rows say so too), or the month before's,
 * which judge late runs and last month's findings. explain_finding gives it too.
 */
export function runsNotKeptNote(span: MonthSpan, previousSpan: MonthSpan, now: number, days: number | undefined): string | undefined {
  const keptFrom = runsKeptFrom(previousSpan, now, days);
  if (keptFrom === undefined) return undefined;
  const since = isoSecond(keptFrom).slice(0, 10);
  const kept = `Run records are kept ${days} days after their run: at this report's date, those before ${since} may be gone.`;
  if (runsKeptFrom(span, now, days) !== undefined)
    return (
      `${kept} So ${span.label}'s runs are not all known: its agents, and its jobs seen before then, are UNKNOWN for that reason (or FINDINGS, giving it), their run counts are of the records left, ` +
      `and a missed or unfinished run that a late run answered may be shown here as a finding, not retracted (in ${previousSpan.label} too, for the trend and statuses).`
    );
  return `${kept} A missed or unfinished run of ${previousSpan.label} that a late run answered may count here as a finding of that month (trend and statuses), not retracted.`;
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(keyOf(item), (out.get(keyOf(item)) ?? 0) + 1);
  return out;
}

function charts(findings: readonly Finding[], days: readonly string[]): ReportCharts {
  // Each finding read once, into its day: not every finding for each of the month's days.
  const counted = new Map(days.map((date) => [date, { total: 0, bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number> }]));
  for (const f of findings) {
    const day = counted.get(utcDay(happenedAt(f)));
    if (!day) continue;
    day.total += 1;
    if (Object.hasOwn(day.bySeverity, f.severity)) day.bySeverity[f.severity] += 1;
  }
  const perDay: DayCount[] = days.map((date) => ({ date, ...counted.get(date)! }));
  const sorted = (m: Map<string, number>) => [...m].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || compareNames(a.label, b.label));
  const ambiguous = new Set([...countBy([...new Set(findings.map((f) => subjectKey(f.subject_kind, f.subject)))], (k) => k.slice(k.indexOf('#') + 1))].filter(([, n]) => n > 1).map(([name]) => name));
  return {
    perDay,
    perDetector: sorted(countBy(findings, (f) => f.detector)),
    perSubject: sorted(countBy(findings, (f) => (ambiguous.has(f.subject) ? `${f.subject} (${f.subject_kind})` : f.subject))),
  };
}

/**
 * The month's findings and last month's as the report counts them, and the month's runs. A finding
 * over a window ending at midnight on the 1st is the month before's (happenedAt). A missed or
 * unfinished run whose lines arrived after the sweep judged it is no problem (scan over the same
 * lines reports none): the stored finding stays, the report shows it retracted, judged against all
 * the runs read (`lateRunReads`) and the jobs' kept starts (`retractLateRuns`). Last month's report
 * retracted those too: they are no status or trend here either. explain_finding counts the same way.
 * A report as of a past moment (`asOfMs`, its date) counts nothing the store learned after it: no
 * finding stamped after it, no run recorded after it (nor as a late run answering a finding).
 */
export function retractForMonth(
  input: Pick<ReportInput, 'findings' | 'previousFindings' | 'runs' | 'subjects'>,
  span: MonthSpan,
  previousSpan: MonthSpan,
  asOfMs = Number.POSITIVE_INFINITY,
): { runs: RunRecord[]; runsAfter: RunRecord[]; findings: Finding[]; retracted: RetractedFinding[]; previousFindings: Finding[] } {
  const known = <T extends { readonly ts: string }>(list: readonly T[]): readonly T[] => (asOfMs === Number.POSITIVE_INFINITY ? list : list.filter((x) => !(Date.parse(x.ts) > asOfMs)));
  const runsKnown = known(input.runs);
  // One index of the runs and kept starts judges both months' findings.
  const retract = lateRunJudge(runsKnown, input.subjects);
  const { kept: findings, retracted } = retract(known(input.findings).filter((f) => happenedIn(f, span)));
  return {
    runs: runsKnown.filter((r) => r.ts >= span.from && r.ts < span.to),
    runsAfter: runsKnown.filter((r) => r.ts >= span.to),
    findings,
    retracted,
    previousFindings: retract(known(input.previousFindings).filter((f) => happenedIn(f, previousSpan))).kept,
  };
}

/**
 * Whether the store holds nothing of the month before: no finding and no run in it, and every
 * subject first seen after it (a subject whose state does not say when it was first seen counts as
 * seen before, so the comparison stays), and something of the month itself: a run, a finding, or a
 * subject first seen in it. Then the month is the first monitored; a month before any data is not.
 */
export function firstMonthMonitored(input: Pick<ReportInput, 'findings' | 'previousFindings' | 'runs' | 'subjects'>, span: MonthSpan, previousSpan: MonthSpan): boolean {
  if (input.previousFindings.some((f) => happenedIn(f, previousSpan))) return false;
  if (input.runs.some((r) => r.ts < previousSpan.to)) return false;
  if (input.subjects.length === 0) return false;
  const facts = input.subjects.map((s) => stateFacts(s.state));
  // A first sighting cut to the runs kept (an agent's latest 60) says it was seen before them.
  const firstSeen = facts.map((f) => (f.firstSeenCut ? undefined : f.firstSeenAt));
  if (!firstSeen.every((first) => first !== undefined && first >= previousSpan.toMs)) return false;
  return (
    input.runs.some((r) => r.ts >= span.from && r.ts < span.to) ||
    input.findings.some((f) => happenedIn(f, span)) ||
    firstSeen.some((first) => first !== undefined && first < span.toMs)
  );
}

/** The held-back bypasses without a valid exception (unregistered, or under a lapsed one), summed by guard. */
function heldWithoutException(heldBack: readonly HeldBypasses[]): Map<string, number> {
  const byGuard = new Map<string, number>();
  for (const h of heldBack) {
    if (withoutValidException(h.detector)) byGuard.set(h.guard, (byGuard.get(h.guard) ?? 0) + h.count);
  }
  return byGuard;
}

/** The kinds of subject a snooze's name is known as (configured, stored or in findings); a job's when none: unowned. */
function kindsNaming(name: string, input: ReportInput): readonly string[] {
  const known = SUBJECT_KINDS.filter(
    (kind) =>
      inConfig(kind, name, input.config) === true ||
      ownersAsConfigured(kind, name, input.config, input.exceptions ?? []).length > 0 ||
      input.subjects.some((s) => s.kind === kind && s.name === name) ||
      [input.findings, input.previousFindings].some((list) => list.some((f) => f.subject_kind === kind && f.subject === name)),
  );
  return known.length > 0 ? known : ['job'];
}

/** A carried group's kind as `buildGroups` takes it: its own, else its detector's. */
function carriedKindOf(meta: ReadonlyMap<string, DetectorMeta>): (c: CarriedGroup) => string {
  return (c) => c.kind ?? meta.get(c.detector)?.subjectKind ?? 'job';
}

/** The owners last month's report named for its groups' subjects (`correctiveAction.owner`), by `subjectKey`: a slice takes them for subjects taken out of the config (`ownerSlice`). */
function carriedOwnersOf(input: Pick<ReportInput, 'carried'>, meta: ReadonlyMap<string, DetectorMeta>): Map<string, string> {
  const carriedKind = carriedKindOf(meta);
  return new Map((input.carried ?? []).flatMap((c) => (c.owner !== undefined ? [[subjectKey(carriedKind(c), c.subject), c.owner] as const] : [])));
}

/**
 * What to warn of the owners a report is sliced for (`ReportInput.owners`) that no subject has
 * (`unknownOwnerNote`): over the owners the slice counts, the config's, the exceptions' and those
 * last month's report named for subjects taken out of the config. None for a whole report.
 */
export function unknownOwnerNotes(input: ReportInput): string[] {
  const carriedOwners = carriedOwnersOf(input, input.meta ?? (DETECTOR_META as ReadonlyMap<string, DetectorMeta>));
  return (input.owners ?? []).flatMap((o) => unknownOwnerNote(o, input.config, input.exceptions, carriedOwners) ?? []);
}

/**
 * The input of a report sliced by owner (`ReportInput.owners`), the one place a slice is cut: the
 * findings (both months'), runs, subject states, held-back bypasses and snoozes of the subjects in
 * it (`ownerSlice`, on the owners as configured), and the exceptions the owners given own; the
 * coverage, judged over every subject as the whole report's, keeps the slice's rows (`buildCoverage`'s `inSlice`). So
 * every section, chart and figure is over the slice, and the slices of all owners and `none` add up
 * to the whole report (a guard whose exceptions have two owners is in both). Unsliced: as given.
 */
function sliceByOwner(input: ReportInput, meta: ReadonlyMap<string, DetectorMeta>): { input: ReportInput; inSlice?: InSlice } {
  if (input.owners === undefined) return { input };
  const carriedKind = carriedKindOf(meta);
  const inSlice = ownerSlice(input.owners, input.config, input.exceptions, carriedOwnersOf(input, meta));
  const owners = new Set(input.owners);
  const ofSlice = <T extends { readonly subject_kind: string; readonly subject: string }>(list: readonly T[]) => list.filter((x) => inSlice(x.subject_kind, x.subject));
  const snoozed = (name: string) => kindsNaming(name, input).some((kind) => inSlice(kind, name));
  return {
    inSlice,
    input: {
      ...input,
      findings: ofSlice(input.findings),
      previousFindings: ofSlice(input.previousFindings),
      runs: ofSlice(input.runs),
      carried: input.carried?.filter((c) => inSlice(carriedKind(c), c.subject)),
      subjects: input.subjects.filter((s) => inSlice(s.kind, s.name)),
      exceptions: input.exceptions?.filter((e) => owners.has(e.owner)),
      heldBack: input.heldBack?.filter((h) => inSlice('guard', h.guard)),
      snoozes: (input.snoozes ?? configSnoozes(input.config)).filter((s) => snoozed(s.subject)),
      config: { ...input.config, exceptions: input.config.exceptions.filter((e) => owners.has(e.owner)) },
    },
  };
}

/**
 * The monthly 5 Cs audit report for a month, from what the store holds: pure, so the same input
 * always gives the same report. Groups are per detector × subject; statuses come from last
 * month's findings (and last month's report, when given).
 */
export function buildReport(whole: ReportInput): AuditReport {
  const meta = whole.meta ?? (DETECTOR_META as ReadonlyMap<string, DetectorMeta>);
  const { input, inSlice } = sliceByOwner(whole, meta);
  const span = monthSpan(input.month);
  const previousSpan = previousMonthSpan(input.month);
  const generatedAtMs = input.clock.now();
  const { runs, runsAfter, findings, retracted, previousFindings } = retractForMonth(input, span, previousSpan, generatedAtMs);

  // A slice's coverage is the whole's rows of its subjects: every subject judged as in the whole report, which it counts (`sliceOf`).
  const judged = inSlice ? retractForMonth(whole, span, previousSpan, generatedAtMs) : { runs, runsAfter, findings, previousFindings };
  const coverage = buildCoverage({
    span,
    subjects: whole.subjects,
    runs: judged.runs,
    runsAfter: judged.runsAfter,
    findings: judged.findings,
    config: whole.config,
    exceptions: whole.exceptions,
    now: generatedAtMs,
    runRetentionDays: input.runRetentionDays,
    inputEndsAt: input.inputEndsAt,
    heldWithoutException: heldWithoutException(whole.heldBack ?? []),
    // Nothing of it in the month nor the month before, and not in the config: renamed or taken out of use.
    retireBefore: previousSpan.fromMs,
    previousFindings: judged.previousFindings,
    inSlice,
  });
  const groups = buildGroups({
    span,
    previousSpan,
    findings,
    previousFindings,
    runs,
    runsAfter,
    config: input.config,
    exceptions: input.exceptions,
    meta,
    coverage,
    carried: input.carried,
    heldBack: input.heldBack,
    subjects: input.subjects,
    generatedAtMs,
  });
  const exceptions = reviewExceptions({ exceptions: input.exceptions, notStored: input.exceptionsNotStored, countsAllTime: input.exceptionCountsAllTime, config: input.config, findings, heldBack: input.heldBack, generatedAtMs, span });

  const detectorCounts = countBy(findings, (f) => f.detector);
  const previousDetectorCounts = countBy(previousFindings, (f) => f.detector);
  const byDetector = [...new Set([...detectorCounts.keys(), ...previousDetectorCounts.keys()])]
    .map((detector) => ({ detector, trend: trend(detectorCounts.get(detector) ?? 0, previousDetectorCounts.get(detector) ?? 0) }))
    .sort((a, b) => b.trend.current - a.trend.current || b.trend.previous - a.trend.previous || a.detector.localeCompare(b.detector));
  const subjectsOf = (list: readonly Finding[]) => new Set(list.map((f) => subjectKey(f.subject_kind, f.subject))).size;
  const statusCount = (s: string) => groups.filter((g) => g.status === s).length;
  const open = groups.filter((g) => g.status === 'new' || g.status === 'recurring');
  const findingsTrend = trend(findings.length, previousFindings.length);
  const firstMonth = firstMonthMonitored(input, span, previousSpan);
  const live = exceptions.rows.filter((r) => r.state !== 'revoked');
  const slice = input.owners && coverage.sliceOf !== undefined ? `${sliceLabel(input.owners, coverage.counts.monitored, coverage.sliceOf, input.config.redact)}; ` : '';
  const summary: ReportSummary = {
    headline:
      `${slice}${span.label}: ${plural(findings.length, 'finding')} in ${plural(open.length, 'open group')} across ${plural(subjectsOf(findings), 'subject')} ` +
      `(${firstMonth ? `first month monitored: nothing in ${previousSpan.label} to compare with` : `${trendArrow(findingsTrend)} vs ${previousSpan.label}`}); ${statusCount('new')} new, ${statusCount('recurring')} recurring, ${statusCount('resolved')} resolved` +
      `${statusCount('unverified') ? `, ${statusCount('unverified')} unverified` : ''}${statusCount('retired') ? `, ${statusCount('retired')} no longer monitored` : ''}; ${coverage.counts.unknown} of ${plural(coverage.counts.monitored, 'monitored subject')} UNKNOWN.`,
    findings: findingsTrend,
    bySeverity: SEVERITIES.map((severity) => ({
      severity,
      trend: trend(findings.filter((f) => f.severity === severity).length, previousFindings.filter((f) => f.severity === severity).length),
    })),
    byDetector,
    subjectsAffected: trend(subjectsOf(findings), subjectsOf(previousFindings)),
    groups: { new: statusCount('new'), recurring: statusCount('recurring'), resolved: statusCount('resolved'), unverified: statusCount('unverified'), retired: statusCount('retired') },
    coverage: coverage.counts,
    exceptions: {
      total: live.length,
      expired: live.filter((r) => r.state === 'expired').length,
      expiringSoon: live.filter((r) => r.state === 'expiring' && r.daysToExpiry <= EXPIRING_SOON_DAYS).length,
      unused: exceptions.available
        ? live.filter((r) => r.state !== 'expired' && (r.bypassCount === 0 || (r.lastBypassAt !== undefined && generatedAtMs - Date.parse(r.lastBypassAt) >= UNUSED_AFTER_DAYS * 86_400_000))).length
        : 0,
    },
    highlights: open.slice(0, 3).map((g) =>
      // Open without a finding of the month (bypasses the alert cooldown held back in it): its cause says so.
      g.condition.firstAt === undefined
        ? `${g.severity.toUpperCase()} ${g.detector} on ${g.subject}: ${g.cause.narrowed[0] ?? plural(0, 'finding')} (${g.status})`
        : `${g.severity.toUpperCase()} ${g.detector} on ${g.subject}: ${plural(g.condition.occurrences, 'finding')} ` +
        `${g.condition.days.length === 1 ? `on ${g.condition.firstAt?.slice(0, 10)}` : `from ${g.condition.firstAt?.slice(0, 10)}`}` +
        `${g.consequence.persisted?.ongoing ? ', still happening' : g.condition.days.length === 1 ? '' : ` to ${g.condition.lastAt?.slice(0, 10)}`} (${g.status}${g.correctiveAction.overdue ? ', overdue' : ''})`,
    ),
    highlightIds: open.slice(0, 3).map((g) => g.id),
    ...(firstMonth ? { firstMonthMonitored: true as const } : {}),
  };

  const firedDetectors = [...new Set([...findings, ...previousFindings].map((f) => f.detector as string))].sort();
  return {
    schema: REPORT_SCHEMA,
    month: span.month,
    label: span.label,
    previousMonth: previousSpan.month,
    previousLabel: previousSpan.label,
    period: { from: span.from, to: span.to },
    generatedAt: isoSecond(generatedAtMs),
    notes: [...(input.notes ?? []), ...[runsNotKeptNote(span, previousSpan, generatedAtMs, input.runRetentionDays)].filter((n) => n !== undefined), ...retractionNotes(retracted)],
    summary,
    coverage,
    exceptions,
    silenced: silencedSection({ span, snoozes: input.snoozes ?? configSnoozes(input.config), windows: input.config.maintenance_windows, findings, generatedAtMs, redact: input.config.redact }),
    retries: retriesSection(findings, coverage, input.config),
    agents: agentsSection(findings, coverage, input.config),
    findings: groups,
    retracted,
    charts: charts(findings, span.days),
    thresholds: thresholdAppendix(
      input.config,
      firedDetectors.map((detector) => ({ detector, criteria: firedRule(detector, meta, groups, input.config) })),
    ),
  };
}

/** A fired detector's rule for the appendix, stating the thresholds its groups' findings were judged by. */
function firedRule(detector: string, meta: ReadonlyMap<string, DetectorMeta>, groups: readonly FindingGroup[], config: Config): string {
  const rule = meta.get(detector)?.fiveCs.criteria;
  if (rule === undefined) return `No description of the "${detector}" rule in this version.`;
  return ruleWithThresholds(rule, groups.filter((g) => g.detector === detector).flatMap((g) => g.criteria.thresholds), config);
}

/** What next month's report carries from this one. */
export function carriedGroups(report: Pick<AuditReport, 'findings'>): CarriedGroup[] {
  return report.findings.map((g) => ({ detector: g.detector, subject: g.subject, kind: g.subjectKind, status: g.status, openSince: g.openSince, due: g.correctiveAction.due, owner: g.correctiveAction.owner }));
}
