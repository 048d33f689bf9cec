import { createHash } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { DetectorMeta } from '../../detectors/types.ts';
import type { GuardException, RunRecord } from '../../ports.ts';
import type { Finding } from '../findings.ts';
import { consecutiveDays, narrowCause } from './causes.ts';
import { textAsLogged } from '../exception-registry.ts';
import { highestSeverity } from './coverage.ts';
import { beganAt, costOf, evidenceStats, evidenceValues, evidenceWasCut, happenedAt, happenedAtIso, heldAtMonthEnd, maxLatencyOf, occurrencesOf, ownBudgetAgentOf } from './evidence.ts';
import { minOf } from '../stats.ts';
import { dayList, formatPercent, formatSpan, formatValue, plural, shortTime } from './format.ts';
import { lateStartCard, lateStartsOf } from './late-starts.ts';
import { firstBy, listsBy } from './lookup.ts';
import { addDays, isoSecond, monthOf, monthSpan, type MonthSpan } from './month.ts';
import { utcDay } from '../parse-time.ts';
import type { CoverageSection, EvidenceStat, FindingGroup, GroupStatus, ThresholdUsed } from './model.ts';
import { SEVERITIES } from './model.ts';
import { RunIndex, runKey } from './run-keys.ts';
import { closesOutOfConfig, inConfig, ownerKeyOf, ownerOf, type SubjectSnapshot } from './subjects.ts';
import type { HeldBypasses } from './sections.ts';
import { DUE_DAYS, ruleWithThresholds, thresholdsFor } from './thresholds.ts';
import { subjectKey } from '../pipeline.ts';
import { compareNames } from '../name-order.ts';

/** What last month's report said about a group, carried into this month's. */
export interface CarriedGroup {
  readonly detector: string;
  readonly subject: string;
  /** The subject's kind; absent in a report written before groups were told apart by it (matched by name then). */
  readonly kind?: string;
  readonly status: GroupStatus;
  readonly openSince: string;
  readonly due?: string;
  /** The owner it named, kept for a subject taken out of the config since. */
  readonly owner?: string;
}

export interface GroupsInput {
  readonly span: MonthSpan;
  readonly previousSpan: MonthSpan;
  readonly findings: readonly Finding[];
  readonly previousFindings: readonly Finding[];
  readonly runs: readonly RunRecord[];
  /**
   * The runs recorded after the month (read for its late runs): a run reported `run-unfinished` in
   * the month that ended after it is no run that never ended; it counts in the month it ended.
   */
  readonly runsAfter?: readonly RunRecord[];
  readonly config: Config;
  readonly exceptions?: readonly GuardException[];
  readonly meta: ReadonlyMap<string, DetectorMeta>;
  readonly coverage: CoverageSection;
  readonly carried?: readonly CarriedGroup[];
  /** Guard bypasses the alert cooldown held back in this month that no finding of it counts (`heldBackAtMonthEnd`). */
  readonly heldBack?: readonly HeldBypasses[];
  /** The subjects as the store knows them: whether a job was configured, and seen since it left the config (`configuredJob`). */
  readonly subjects?: readonly SubjectSnapshot[];
  readonly generatedAtMs: number;
}

const fallbackFiveCs = (detector: string) => ({
  criteria: `The "${detector}" detector fired; this version of the report has no description of its rule.`,
  cause: `No catalogue of causes for "${detector}" in this version; the evidence below is what is known.`,
  consequence: 'Unknown for this detector; judge it from the runs affected and how long it lasted.',
  correctiveAction: `Read the findings' messages and evidence, and add "${detector}" to the detector registry so its guidance shows here.`,
});


/**
 * Whether the config no longer names a subject (`inConfig` false: its section names it not; never
 * a guard's), and then the owner last month's report named for its group (`before`), if it named
 * one: the owner it keeps, as the config (`ownerOf`) names none.
 */
function outOfConfig(kind: string, subject: string, config: Config, before: CarriedGroup | undefined): { removed: boolean; carriedOwner?: string } {
  const removed = inConfig(kind, subject, config) === false;
  // Last month's report may be one written before owners were redacted: shown as the config's would be.
  return { removed, carriedOwner: removed && before?.owner !== undefined ? textAsLogged(before.owner, config.redact) : undefined };
}

/** The line of a group closed as its job left the config (`retired`). */
function retiredNote(subject: string): string {
  return `${subject} was removed from the config: no longer monitored, so nothing after its last occurrence could show whether it recovered.`;
}

/** The months runs ended in, named as a report names its month ("November 2026", "November 2026 and December 2026"). */
function endedInText(endedAts: readonly string[]): string {
  return [...new Set(endedAts.map((ts) => monthOf(Date.parse(ts))))].sort().map((m) => monthSpan(m).label).join(' and ');
}

/**
 * The owners a group's findings name (a guard's expired or expiring exception names its owner):
 * they, not every owner of the guard's other exceptions, answer for it. Undefined when none does.
 */
function ownersNamedBy(findings: readonly Finding[]): string | undefined {
  const named = new Set<string>();
  for (const f of findings) {
    const owner = f.evidence?.owner;
    if (typeof owner === 'string' && owner !== '') named.add(owner);
  }
  return named.size > 0 ? [...named].join(', ') : undefined;
}

/**
 * Consequence's note on the findings over a sub-agent's own budget (`ownBudgetAgentOf`): which
 * sub-agent's, and its configured owner. The card stays its root agent's, owner too, as its alerts,
 * owner slice and explain_finding are: the sub-agent's owner is named here, not made the card's.
 */
function ownBudgetNotes(findings: readonly Finding[], config: Config): string[] {
  const counts = new Map<string, number>();
  for (const f of findings) {
    const agent = ownBudgetAgentOf(f);
    if (agent !== undefined) counts.set(agent, (counts.get(agent) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => compareNames(a, b)).map(([agent, n]) => {
    const owner = ownerOf('agent', agent, config);
    return `${plural(n, 'finding')} over sub-agent ${agent}’s own budget (${owner !== undefined ? `owner ${owner}` : `no owner configured: ${ownerKeyOf('agent', agent)}`}).`;
  });
}

/**
 * Consequence's note on occurrences on days not in a row: how many days, how far apart (two) or
 * which (more), and that they were not one stretch from the first to the last; `until` when nothing
 * after the last showed it stopped.
 */
function scatteredNote(days: readonly string[], until: string | undefined): string {
  const gapDays = (Date.parse(days[1]) - Date.parse(days[0])) / 86_400_000;
  const when = days.length === 2 ? `${plural(gapDays, 'day')} apart (${days[0]} and ${days[1]})` : `from ${days[0]} to ${days[days.length - 1]}, not in a row (${dayList(days)})`;
  return `On ${days.length} separate days, ${when}: not one stretch from the first to the last${until !== undefined ? `, and nothing after the last showed it stopped: still happening ${until}` : ''}.`;
}

/** A group's key: its detector and subject, kind and name (a job and an agent of one name are two subjects). */
export function groupKey(detector: string, kind: string, subject: string): string {
  return `${detector}\u0000${kind}\u0000${subject}`;
}

/** Last month's groups by key, with a fallback by detector and name for those of a report that kept no kind. */
function carriedLookup(carried: readonly CarriedGroup[]): (detector: string, kind: string, subject: string) => CarriedGroup | undefined {
  const byKey = new Map(carried.flatMap((c) => (c.kind !== undefined ? [[groupKey(c.detector, c.kind, c.subject), c] as const] : [])));
  const byName = new Map(carried.flatMap((c) => (c.kind === undefined ? [[groupKey(c.detector, '', c.subject), c] as const] : [])));
  return (detector, kind, subject) => byKey.get(groupKey(detector, kind, subject)) ?? byName.get(groupKey(detector, '', subject));
}

function groupBy(findings: readonly Finding[]): Map<string, Finding[]> {
  // Oldest first as counted in the month (happenedAt), then by stamp.
  const dated = findings.map((f) => ({ f, at: happenedAtIso(f) })).sort((a, b) => a.at.localeCompare(b.at) || a.f.ts.localeCompare(b.f.ts));
  return listsBy(dated.map(({ f }) => f), (f) => groupKey(f.detector, f.subject_kind, f.subject));
}

/** The day of last month's first finding of a group, when last month's findings are at hand. */
function lastMonthFirst(findings: readonly Finding[] | undefined): { lastMonthFirstDay?: string } {
  return findings?.length ? { lastMonthFirstDay: utcDay(minOf(findings.map(happenedAt))) } : {};
}

/** A subject that is its own slug and cannot be read as a slug with a digest (`-` and 8 hex digits) after it. */
const SPELLS_ITSELF = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
const ENDS_AS_DIGEST = /-[0-9a-f]{8}$/;

/**
 * A group's id, an HTML id and URL fragment the same every month for its detector and subject:
 * `output-shrink--nightly-backup` when the subject spells its own slug, else the slug (lower case,
 * runs of other characters one `-`; none for a name without any of it) and an 8-hex digest of the
 * exact subject: `run-failed--etl-load-1a2b3c4d` for "etl load", `run-failed--5e6f7a8b` for "备份".
 * A subject of another kind than the detector's own (`ownKind`: an agent's run-failed) has its kind
 * before it, after a `.` no slug holds: `run-failed--agent.dup`, never a job's id.
 * Groups are one per detector and subject, kind and name (`groupKey`), so no two share an id.
 */
function anchor(detector: string, kind: string, subject: string, ownKind: string): string {
  const of = kind === ownKind ? '' : `${kind}.`;
  if (SPELLS_ITSELF.test(subject) && !ENDS_AS_DIGEST.test(subject)) return `${detector}--${of}${subject}`;
  const slug = subject.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  const digest = createHash('sha256').update(subject, 'utf8').digest('hex').slice(0, 8);
  return `${detector}--${of}${slug ? `${slug}-` : ''}${digest}`;
}

function baselineText(stats: readonly EvidenceStat[]): string | undefined {
  const med = stats.find((s) => s.key === 'median');
  if (!med) return undefined;
  const window = stats.find((s) => s.key === 'window');
  const value = med.min === med.max ? formatValue(med.median, med.unit) : `${formatValue(med.min, med.unit)} to ${formatValue(med.max, med.unit)}`;
  return `the median of the previous normal runs: ${value}${window ? ` over the last ${formatValue(window.max, 'count')} runs` : ''}`;
}

/** Up to three distinct messages with their counts: the first two seen, and the last. */
function distinctMessages(findings: readonly Finding[]): { text: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.message, (counts.get(f.message) ?? 0) + 1);
  const distinct = [...counts.keys()];
  const picked = distinct.length <= 3 ? distinct : [distinct[0], distinct[1], findings[findings.length - 1].message];
  return [...new Set(picked)].map((text) => ({ text, count: counts.get(text)! }));
}

/**
 * For each of a month's findings over a rolling window that began the month before (an hour or a day
 * to 00:30 on the 1st, counted in the month it ends in: `happenedAt`), where its window began, and
 * that all of its retried requests were the month before's when its latest bucket holding one
 * (`last_retried_bucket`) started before the month: so its card explains a route row with none of
 * the month's own requests retried.
 */
function windowBeganBeforeNotes(findings: readonly Finding[], span: MonthSpan, previousSpan: MonthSpan): string[] {
  const notes: string[] = [];
  for (const f of findings) {
    const began = beganAt(f);
    if (!(began < span.fromMs)) continue;
    const e = f.evidence;
    const lastRetried = typeof e.last_retried_bucket === 'string' ? Date.parse(e.last_retried_bucket) : Number.NaN;
    const before = previousSpan.label;
    const judged = lastRetried < span.fromMs ? `; all of its retried requests were in ${before}` : `, and counts its requests from ${before} too`;
    notes.push(`The ${String(e.window)} window to ${shortTime(String(e.to))} began ${shortTime(isoSecond(began))}, in ${before}${judged}.`);
  }
  return notes;
}

/** A group's Criteria: the detector's rule stating the thresholds its findings were judged by. */
function criteriaOf(rule: string, thresholds: ThresholdUsed[], config: Config, baseline: string | undefined): FindingGroup['criteria'] {
  return { rule: ruleWithThresholds(rule, thresholds, config), thresholds, baseline };
}

const STATUS_ORDER: Record<GroupStatus, number> = { recurring: 0, new: 1, unverified: 2, retired: 3, resolved: 4 };

/** Closed: nothing more is asked of it this month. */
const closedStatus = (s: GroupStatus) => s === 'resolved' || s === 'unverified' || s === 'retired';

/**
 * One group per detector × subject with the 5 Cs, for this month's findings and for last month's
 * groups that did not come back (resolved, or unverified when the subject reported no data or did not run).
 */
export function buildGroups(input: GroupsInput): FindingGroup[] {
  const { span, config, meta } = input;
  const current = groupBy(input.findings);
  const previous = groupBy(input.previousFindings);
  const carriedOf = carriedLookup(input.carried ?? []);
  const reportDay = utcDay(input.generatedAtMs);

  // Indexed once by subject (a fleet's month has thousands of groups and over 100,000 runs and findings).
  const runsBySubject = listsBy(input.runs, (r) => subjectKey(r.subject_kind, r.subject));
  for (const list of runsBySubject.values()) list.sort((a, b) => a.ts.localeCompare(b.ts));
  const runsAfterBySubject = listsBy(input.runsAfter ?? [], (r) => subjectKey(r.subject_kind, r.subject));
  const findingsBySubject = listsBy(input.findings, (f) => subjectKey(f.subject_kind, f.subject));
  const coverageRows = firstBy(input.coverage.rows, (r) => subjectKey(r.kind, r.name));
  const coverageRowsByName = firstBy(input.coverage.rows, (r) => r.name);
  const statesBySubject = firstBy(input.subjects ?? [], (s) => subjectKey(s.kind, s.name));
  /** A job the config named and names no longer, whose group nothing can show stopped (`closesOutOfConfig`). */
  const leftConfig = (kind: string, subject: string, detector: string) =>
    closesOutOfConfig(kind, subject, detector, config, statesBySubject.get(subjectKey(kind, subject))?.state);
  const runsOf = (kind: string, subject: string): readonly RunRecord[] => runsBySubject.get(subjectKey(kind, subject)) ?? [];
  const coverageOf = (kind: string, subject: string) => coverageRows.get(subjectKey(kind, subject));
  const fiveCsOf = (detector: string) => meta.get(detector)?.fiveCs ?? fallbackFiveCs(detector);
  /** The group's id: the kind is named for a subject of another kind than the detector's (a job's, for a detector the report does not know). */
  const idOf = (detector: string, kind: string, subject: string) => anchor(detector, kind, subject, meta.get(detector)?.subjectKind ?? 'job');
  /**
   * A subject's runs indexed (the month's and those recorded after it: a run that ended after the
   * month is its record there), its runs that ended after the month by key, and its runs that never
   * ended (`unendedRuns`, of all its findings): the same for each of its groups, so built once.
   */
  const subjectRunsIndexed = new Map<string, { runIndex: RunIndex; endedAfter: Map<string, string>; unended: ReadonlyMap<string, Finding> }>();
  const indexedRunsOf = (kind: string, subject: string, subjectRuns: readonly RunRecord[]) => {
    const key = subjectKey(kind, subject);
    let indexed = subjectRunsIndexed.get(key);
    if (indexed === undefined) {
      const runsAfter = runsAfterBySubject.get(key) ?? [];
      const runIndex = new RunIndex(runsAfter.length > 0 ? [...subjectRuns, ...runsAfter] : subjectRuns);
      indexed = { runIndex, endedAfter: new Map(runsAfter.map((r) => [runKey(r), r.ts])), unended: runIndex.unendedRuns(findingsBySubject.get(key) ?? []) };
      subjectRunsIndexed.set(key, indexed);
    }
    return indexed;
  };

  const groups: FindingGroup[] = [];
  for (const [key, findings] of current) {
    // When it happened, from its occurrences: a window whose narrower findings account for most of what it judged (the month's, over the hours that fired: `occurrencesOf`) is neither another day nor a later time.
    const occurrences = occurrencesOf(findings);
    const counted = occurrences.flatMap((o) => o.findings);
    // Dated as counted in the month (happenedAt): a window's finding on its last day, not on its stamp, the next day.
    const firstAt = happenedAtIso(counted[0]);
    const lastAt = happenedAtIso(counted[counted.length - 1]);
    const days = [...new Set(counted.map((f) => happenedAtIso(f).slice(0, 10)))];
    // Once: one occurrence, on one day (hours that fired in a row over days are no single occurrence).
    const once = occurrences.length === 1 && days.length === 1;
    const { detector, subject, subject_kind: kind } = findings[0];
    const fiveCs = fiveCsOf(detector);
    const subjectRuns = runsOf(kind, subject);
    // A run is its id at a time: a job may use one id for every run. One that ended after the month is its record there.
    const { runIndex, endedAfter, unended } = indexedRunsOf(kind, subject, subjectRuns);
    const affected = runIndex.runsOf(findings);
    const runsAffected = affected.size;
    const laterCleanRun = subjectRuns.some((r) => r.ts > lastAt && !affected.has(runKey(r)));
    // Without run records, nothing later says it stopped: a finding on the last day, or a window no later window of its kind followed in the month.
    const seemsOngoing = subjectRuns.length > 0 ? !laterCleanRun : counted.some((f) => heldAtMonthEnd(f, span));
    // A job taken out of the config is judged by it no more: nothing after can show it stopped, so it is closed, not still happening.
    const retired = seemsOngoing && leftConfig(kind, subject, detector);
    const ongoing = seemsOngoing && !retired;
    // To its last occurrence: still happening says nothing after it showed it stopped, not that it went on to the month's end.
    const endMs = occurrences[occurrences.length - 1].toMs;
    // Of the same subject, kind and name: a job and an agent of one name are two subjects, whose run ids may meet.
    const also = new Map<string, number>();
    for (const other of findingsBySubject.get(subjectKey(kind, subject)) ?? []) {
      if (other.detector !== detector && affected.has(runIndex.runOf(other) ?? '')) {
        also.set(other.detector, (also.get(other.detector) ?? 0) + 1);
      }
    }
    const stats = evidenceStats(findings);
    // A run writes its record when it ends; one that never ended (run-unfinished, of this group or another of the subject's) is still one of the month's runs, as its Coverage row counts it.
    const recordsRuns = coverageOf(kind, subject)?.runsInMonth !== null || subjectRuns.length > 0;
    // A run that ended after the month counts in the month it ended, though a finding of this month is about it: its note says so (`endedAfter`).
    const runsInMonth = recordsRuns ? new Set([...subjectRuns.map(runKey), ...[...affected].filter((k) => !endedAfter.has(k)), ...unended.keys()]).size : null;
    const endedLater = [...affected].flatMap((k) => endedAfter.get(k) ?? []);
    const severity = highestSeverity(findings.map((f) => f.severity)) ?? 'medium';
    const before = carriedOf(detector, kind, subject);
    // A group last month's report resolved starts over when it comes back; an open or unverified one continues.
    const stillOpen = before !== undefined && before.status !== 'resolved' && before.status !== 'retired' ? before : undefined;
    const status: GroupStatus = retired ? 'retired' : previous.has(key) || stillOpen ? 'recurring' : 'new';
    const openSince = stillOpen?.openSince ?? (previous.has(key) ? input.previousSpan.month : span.month);
    const keepDue = status === 'recurring' && before?.due !== undefined && (before.status === 'new' || before.status === 'recurring');
    const due = keepDue ? before!.due! : utcDay(addDays(input.generatedAtMs, DUE_DAYS[severity]));
    const costUsd = costOf(findings);
    const maxLatencyMs = maxLatencyOf(findings);
    // Timed from when it began: a finding over a window (a month's, counted at its last second) from the window's start.
    const beganMs = Math.min(Date.parse(firstAt), occurrences[0].fromMs);
    const began = isoSecond(beganMs);
    const windowed = beganMs < Date.parse(firstAt);
    const sinceText = windowed ? `the start of its first window (${began.slice(0, 10)})` : `its first occurrence (${firstAt.slice(0, 10)})`;
    const persistedMs = Math.max(0, endMs - beganMs);
    // On days not in a row (as Cause reads them): no one stretch from the first to the last.
    const scattered = !windowed && days.length > 1 && !consecutiveDays(days);
    // Still happening when the report was made, if the month had not ended yet (explain_finding mid-month).
    const asOf = ongoing && input.generatedAtMs < span.toMs ? shortTime(isoSecond(Math.max(input.generatedAtMs, endMs))) : undefined;
    const until = asOf ? `as of ${asOf}` : 'at the end of the month';
    // Affected runs that ended after the month are not of its runs: the note says when they ended, with the share of the month's runs for the others.
    const affectedInMonth = runsAffected - endedLater.length;
    // Missed starts whose run came after all, past its grace time: said of those as such, not as runs that never came.
    const late = kind === 'job' ? lateStartCard(findings, lateStartsOf(findings, [...subjectRuns, ...(runsAfterBySubject.get(subjectKey(kind, subject)) ?? [])], statesBySubject.get(subjectKey(kind, subject))?.state), fiveCs) : undefined;
    const notes: string[] = [
      runsInMonth !== null && endedLater.length > 0 && affectedInMonth > 0 && runsInMonth > 0
        ? `${plural(runsAffected, 'run')} affected: ${affectedInMonth} of ${runsInMonth} in ${span.label} (${formatPercent(affectedInMonth / runsInMonth)}), ${endedLater.length} ended in ${endedInText(endedLater)}.`
        : runsInMonth !== null && (endedLater.length > 0 || runsAffected > runsInMonth)
        ? `${plural(runsAffected, 'run')} affected (ended in ${endedInText(endedLater)}).`
        : runsInMonth && runsAffected
        ? `${plural(runsAffected, 'run')} affected of ${runsInMonth} in ${span.label} (${formatPercent(runsAffected / runsInMonth)}).`
        : `${plural(occurrences.length, 'occurrence')} in ${span.label}.`,
      // A single occurrence has no duration; one still happening had nothing after its last occurrence to show it stopped.
      once && !(ongoing && windowed)
        ? `Happened once, on ${firstAt.slice(0, 10)}${ongoing ? `, and nothing after it showed it stopped: still happening ${until}` : ''}.`
        : scattered
          ? scatteredNote(days, ongoing ? until : undefined)
        : ongoing
          ? `Lasted ${formatSpan(persistedMs)} from ${sinceText} to its last occurrence (${lastAt.slice(0, 10)}), and nothing after it showed it stopped: still happening ${until}.`
          : `Lasted ${formatSpan(persistedMs)}, from ${began.slice(0, 10)} to ${lastAt.slice(0, 10)}.`,
      ...(late?.notes ?? []),
      ...(detector === 'budget-exceeded' ? ownBudgetNotes(findings, config) : []),
      ...(costUsd !== undefined ? [`Cost of the affected runs: ${formatValue(costUsd, 'usd')}.`] : []),
      ...(maxLatencyMs !== undefined ? [`Longest time measured: ${formatValue(maxLatencyMs, 'ms')}.`] : []),
      ...windowBeganBeforeNotes(findings, span, input.previousSpan),
      ...(retired ? [retiredNote(subject)] : []),
    ];
    // Out of the config: the owner last month's report named, if it named one (else the key to set, as for any unconfigured subject).
    const { carriedOwner } = outOfConfig(kind, subject, config, before);
    const owner = (kind === 'guard' ? ownersNamedBy(findings) : undefined) ?? ownerOf(kind, subject, config, input.exceptions) ?? carriedOwner;
    const examples = distinctMessages(findings);
    const evidenceCut = findings.filter(evidenceWasCut).length;
    groups.push({
      id: idOf(detector, kind, subject),
      detector,
      subject,
      subjectKind: kind,
      severity,
      status,
      openSince,
      criteria: criteriaOf(fiveCs.criteria, thresholdsFor(detector, subject, config, findings), config, baselineText(stats)),
      condition: {
        occurrences: findings.length,
        previousOccurrences: previous.get(key)?.length ?? 0,
        runsAffected,
        firstAt,
        lastAt,
        days,
        evidence: stats,
        values: evidenceValues(findings),
        examples,
        ...(evidenceCut > 0 ? { evidenceCut } : {}),
      },
      cause: {
        known: fiveCs.cause,
        narrowed: narrowCause({
          findings,
          occurrences,
          subjectRuns,
          alsoOnSameRuns: [...also].map(([d, count]) => ({ detector: d, count })).sort((a, b) => b.count - a.count),
          ongoing: retired ? 'unmonitored' : ongoing,
          ...(asOf ? { asOf } : {}),
          ...(status === 'recurring' ? { recurring: { monthFirstDay: span.from.slice(0, 10), ...lastMonthFirst(previous.get(key)) } } : {}),
        }),
      },
      consequence: {
        known: late?.consequence ?? fiveCs.consequence,
        runsAffected,
        runsInMonth,
        persisted: { from: began, to: new Date(endMs).toISOString().replace(/\.\d{3}Z$/, 'Z'), ms: persistedMs, ongoing },
        costUsd,
        maxLatencyMs,
        notes,
      },
      correctiveAction: {
        action: late?.correctiveAction ?? fiveCs.correctiveAction,
        owner,
        ownerKey: ownerKeyOf(kind, subject),
        ...(carriedOwner !== undefined || retired ? { inConfig: false as const } : {}),
        // Closed: nothing is due of a job no longer monitored.
        ...(retired ? {} : { due }),
        overdue: !retired && keepDue && due < reportDay,
        status,
      },
    });
  }

  // Last month's groups that did not come back, and groups still unverified in last month's report.
  const quiet = new Map<string, { detector: string; subject: string; kind?: string; findings: Finding[] }>();
  const kindOf = (detector: string, subject: string, kind: string | undefined) => kind ?? input.meta.get(detector)?.subjectKind ?? coverageRowsByName.get(subject)?.kind ?? 'job';
  for (const [key, findings] of previous) {
    if (!current.has(key)) quiet.set(key, { detector: findings[0].detector, subject: findings[0].subject, kind: findings[0].subject_kind, findings });
  }
  // A group of a report that kept no kind is known by its detector and name alone: its kind is a guess.
  const named = new Set([...[...current.values()].map((findings) => findings[0]), ...quiet.values()].map((g) => `${g.detector}\u0000${g.subject}`));
  for (const c of input.carried ?? []) {
    const kind = kindOf(c.detector, c.subject, c.kind);
    const key = groupKey(c.detector, kind, c.subject);
    const seen = current.has(key) || quiet.has(key) || (c.kind === undefined && named.has(`${c.detector}\u0000${c.subject}`));
    if (c.status === 'unverified' && !seen) quiet.set(key, { detector: c.detector, subject: c.subject, kind, findings: [] });
  }
  // Bypassed in the month only behind a finding of a month before last (a cooldown longer than a month): open all the same.
  for (const h of input.heldBack ?? []) {
    const key = groupKey(h.detector, 'guard', h.guard);
    if (!current.has(key) && !quiet.has(key)) quiet.set(key, { detector: h.detector, subject: h.guard, kind: 'guard', findings: [] });
  }
  for (const q of quiet.values()) {
    const kind = kindOf(q.detector, q.subject, q.kind);
    const row = coverageOf(kind, q.subject);
    const noData = row?.status === 'unknown' && row.reason?.startsWith('no data');
    // Not due: nothing ran that could have shown the fix, so it waits for the next run.
    const notDue = row?.notDue === true && !noData;
    // Due but no run this month (every one missed, say): none could show the fix, whatever the row's status.
    const noRun = !noData && !notDue && row?.runsInMonth === 0 && runsOf(kind, q.subject).length === 0;
    // Retired (no row: not in the config, nothing of it this month nor the month before): nothing could show the fix either.
    const retired = row === undefined ? input.coverage.retired.find((r) => r.kind === kind && r.name === q.subject) : undefined;
    // Bypassed in the month all the same: the cooldown held them back behind last month's finding (no finding of this month counts them).
    const before = carriedOf(q.detector, kind, q.subject);
    const heldBehind = (input.heldBack ?? []).filter((h) => h.detector === q.detector && h.guard === q.subject);
    const held = heldBehind.reduce((n, h) => n + h.count, 0);
    // Closed last month as no longer monitored, and nothing of it since: it stays so.
    const stillRetired = held === 0 && before?.status === 'retired' && !row?.runsInMonth && runsOf(kind, q.subject).length === 0;
    const status: GroupStatus = held > 0 ? 'recurring' : stillRetired ? 'retired' : noData || notDue || noRun || retired ? 'unverified' : 'resolved';
    const fiveCs = fiveCsOf(q.detector);
    const last = q.findings[q.findings.length - 1];
    // Out of the config: its owner is the one last month's report named, and no key to set is offered for it.
    const { removed, carriedOwner } = outOfConfig(kind, q.subject, config, before);
    groups.push({
      id: idOf(q.detector, kind, q.subject),
      detector: q.detector,
      subject: q.subject,
      subjectKind: kind,
      severity: highestSeverity(q.findings.map((f) => f.severity)) ?? input.meta.get(q.detector)?.defaultSeverity ?? 'medium',
      status,
      openSince: before?.openSince ?? input.previousSpan.month,
      criteria: criteriaOf(fiveCs.criteria, thresholdsFor(q.detector, q.subject, config, q.findings), config, baselineText(evidenceStats(q.findings))),
      condition: {
        occurrences: 0,
        previousOccurrences: q.findings.length,
        runsAffected: 0,
        days: [],
        evidence: [],
        values: [],
        examples: last ? [{ text: last.message, count: 1 }] : [],
      },
      cause: {
        known: fiveCs.cause,
        narrowed: [
          held > 0
            ? `No finding in ${span.label}, but the alert cooldown held back ${plural(held, 'more bypass', 'more bypasses')} in it behind the finding of ${heldBehind[0]?.behind.slice(0, 10)}: still happening.`
            : stillRetired
              ? `No finding in ${span.label}, and nothing of ${q.subject} arrived: it was removed from the config, and is no longer monitored since ${input.previousSpan.label}.`
            : noData
              ? `No finding in ${span.label}, but ${q.subject} reported no data either: it may still be broken.`
            : notDue
              ? `No finding in ${span.label}, and no run of ${q.subject} was due in it: its next run will tell.`
              : noRun
                ? `No finding in ${span.label}, but ${q.subject} did not run in it: no run could show the fix.`
                : retired
                  ? `No finding in ${span.label}, but ${q.subject} is retired (not in the config, last seen ${retired.lastSeen.slice(0, 10)}): no run could show the fix.`
                  : `No finding in ${span.label}${row?.runsInMonth ? ` across ${plural(row.runsInMonth, 'run')}` : ''}${last ? `; last seen ${happenedAtIso(last).slice(0, 10)}` : ''}.`,
        ],
      },
      consequence: { known: fiveCs.consequence, runsAffected: 0, runsInMonth: row?.runsInMonth ?? null, notes: [] },
      correctiveAction: {
        action: held > 0
          ? fiveCs.correctiveAction
          : stillRetired
          ? `None while ${q.subject} stays out of the config: put it back in to have it judged again.`
          : noData
          ? `Find out why ${q.subject} sent no data in ${span.label} before calling this fixed.`
          : notDue
            ? `Check ${q.subject}’s next scheduled run before calling this fixed.`
            : noRun
              ? `Find out why ${q.subject} did not run in ${span.label} before calling this fixed.`
              : retired
                ? `Confirm ${q.subject} was taken out of use (or renamed, its checks moved with it) before calling this fixed.`
                : 'None: confirm the fix is deliberate and keep the check on.',
        owner: ownerOf(kind, q.subject, config, input.exceptions) ?? carriedOwner,
        ownerKey: ownerKeyOf(kind, q.subject),
        ...(removed ? { inConfig: false as const } : {}),
        overdue: false,
        status,
      },
    });
  }

  const rank = (g: FindingGroup) => SEVERITIES.indexOf(g.severity);
  return groups.sort(
    (a, b) =>
      Number(closedStatus(a.status)) - Number(closedStatus(b.status)) ||
      rank(a) - rank(b) ||
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      b.condition.occurrences - a.condition.occurrences ||
      a.detector.localeCompare(b.detector) ||
      compareNames(a.subject, b.subject),
  );
}
