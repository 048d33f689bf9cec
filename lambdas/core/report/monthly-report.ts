import { z } from 'zod';
import { mapLimited } from '../map-limited.ts';
import type { Config } from '../../config.ts';
import type {
  Clock,
  ExceptionRegistry,
  FindingStore,
  GuardException,
  PublishedReport,
  ReportDocument,
  ReportNotice,
  ReportNotifier,
  ReportPublisher,
  RunRecord,
  RunRecordStore,
  SnoozeRegistry,
  SubjectCatalog,
} from '../../ports.ts';
import { type Finding, isoTime, type Severity } from '../findings.ts';
import { seedPlan } from '../exception-registry.ts';
import { allSnoozes } from '../snooze.ts';
import { bypassesUpTo, GUARD_STATE_KIND, type GuardState } from '../guard-reducer.ts';
import { buildReport, type ReportInput, unknownOwnerNotes } from './build-report.ts';
import { type CarriedGroup, groupKey } from './groups.ts';
import { highestSeverity } from './coverage.ts';
import { findingsQueryEnd, happenedIn } from './evidence.ts';
import { addDays, isoSecond, type MonthSpan, monthSpan, previousMonthSpan, scheduledReportTime } from './month.ts';
import { utcDay } from '../parse-time.ts';
import { DUE_DAYS } from './thresholds.ts';
import { type AuditReport, REPORT_SCHEMA } from './model.ts';
import { reportNotice } from './notice.ts';
import { renderHtml } from './render-html.ts';
import { renderJson } from './render-json.ts';
import { renderMarkdown } from './render-markdown.ts';
import { lateRunJudge, lateRunReads, lateRunReadsFrom } from './late-runs.ts';
import { heldBackAtMonthEnd } from './sections.ts';
import { closesOutOfConfig, type SubjectSnapshot } from './subjects.ts';
import { subjectKey } from '../pipeline.ts';

/** Where a report's data comes from: the audit store's ports, the registry, the config and a clock. */
export interface ReportSources {
  /** Only read: the month's findings and those around it. */
  readonly findings: Pick<FindingStore, 'query'>;
  readonly runs: RunRecordStore;
  readonly catalog: SubjectCatalog;
  /** The exception registry; without one, the config's seed entries are reviewed with unknown counts. */
  readonly exceptions?: ExceptionRegistry;
  /** The stored snoozes (`snooze add`); the config's are read beside them, and alone without it. */
  readonly snoozes?: SnoozeRegistry;
  readonly config: Config;
  readonly clock: Clock;
  /** Where last month's report may be read back from, to carry statuses and due dates. */
  readonly archive?: Pick<ReportPublisher, 'read'>;
  /** What the input the report was made from left out (log files given to `report` that could not be read, lines rejected): noted first. */
  readonly inputNotes?: readonly string[];
  /** Epoch ms: where the log files the report was made from end; a scheduled job expecting a run after it is not OK (`buildCoverage`). */
  readonly inputEndsAt?: number;
  /** Owners whose subjects alone the report holds (`report --owner`; `none` for the unowned): `ReportInput.owners`. */
  readonly owners?: readonly string[];
}

export interface ReportDeps extends ReportSources {
  readonly publisher: ReportPublisher;
  readonly notifier?: ReportNotifier;
}

/** Kinds of subject that run (and so can be UNKNOWN for want of data); guards and tools only appear through findings. */
export const RUNNING_KINDS = ['job', 'agent', 'route'] as const;
const PARALLEL_READS = 8;

const CarriedReportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  findings: z.array(
    z.object({
      detector: z.string(),
      subject: z.string(),
      /** Absent in a report written before groups were told apart by kind: matched by detector and name. */
      subjectKind: z.string().optional(),
      status: z.enum(['new', 'recurring', 'resolved', 'unverified', 'retired']),
      openSince: z.string(),
      correctiveAction: z.object({ due: z.string().optional(), owner: z.string().optional() }),
    }),
  ),
  /** A report sliced by owner (`report --owner`) counts the whole's subjects here: it holds only the slice's groups. */
  coverage: z.object({ sliceOf: z.number().optional() }).optional(),
  summary: z.object({ headline: z.string() }).optional(),
});

/** Last month's report as the groups it carries over; a note instead when it cannot be read. */
export function carriedFromJson(json: string, month: string): { carried?: CarriedGroup[]; note?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { note: `The ${month} report is not valid JSON: statuses come from ${month}'s findings alone.` };
  }
  const result = CarriedReportSchema.safeParse(parsed);
  if (!result.success) return { note: `The ${month} report is not a ${REPORT_SCHEMA} report: statuses come from ${month}'s findings alone.` };
  // A slice holds one owner's groups: read as the whole, every other group would lose its history.
  if (result.data.coverage?.sliceOf !== undefined) {
    const label = result.data.summary?.headline.split('; ')[0];
    return { note: `The ${month} report is a slice${label ? ` (${label})` : ''}, not the whole report: statuses come from ${month}'s findings alone.` };
  }
  return {
    carried: result.data.findings.map((g) => ({ detector: g.detector, subject: g.subject, kind: g.subjectKind, status: g.status, openSince: g.openSince, due: g.correctiveAction.due, owner: g.correctiveAction.owner })),
  };
}

/** How many months before last month the stored findings are read back for when a group first appeared. */
const CARRY_BACK_MONTHS = 12;

/** A month's groups (detector × subject) as their highest severity, with a finding of each. */
function groupsIn(findings: readonly Finding[], span: MonthSpan): Map<string, { finding: Finding; severity: Severity }> {
  const groups = new Map<string, { finding: Finding; severity: Severity }>();
  for (const f of findings) {
    if (!happenedIn(f, span)) continue;
    const key = groupKey(f.detector, f.subject_kind, f.subject);
    const g = groups.get(key);
    groups.set(key, { finding: g?.finding ?? f, severity: highestSeverity([f.severity, ...(g ? [g.severity] : [])])! });
  }
  return groups;
}

/**
 * A month's findings as its report counted them: without the missed and unfinished runs that late
 * runs answer (`lateRunJudge`), judged against the jobs' runs from where such a run may have begun up
 * to the end of the month after (a run recorded later than that is not read) and their kept starts.
 */
async function monthFindingsAsReported(span: MonthSpan, sources: ReportSources, subjects: readonly SubjectSnapshot[]): Promise<Finding[]> {
  const findings = (await sources.findings.query({ from: span.from, to: findingsQueryEnd(span) })).filter((f) => happenedIn(f, span));
  const readsFrom = lateRunReadsFrom({ findings, fromMs: span.fromMs });
  if (readsFrom.size === 0) return findings;
  const to = monthSpan(span.to.slice(0, 7)).to;
  const runLists = await mapLimited([...readsFrom.keys()], PARALLEL_READS, (key) => sources.runs.runs(key, lateRunReads(key, span.fromMs, readsFrom).from, to));
  return lateRunJudge(runLists.flat(), subjects)(findings).kept;
}

/** A finding's subject as its state and run records are keyed: `job#nightly-backup`. */
const subjectKeyOf = (f: Finding) => subjectKey(f.subject_kind, f.subject);

/**
 * Whether a subject's run records show that it did not run in a month, so that month's report held
 * its open groups unverified (no data, or no run). False when that is not known: for a route, whose
 * requests leave no run records, and in a month older than the store keeps run records. One
 * existence read per subject and month (`hasRuns`; the month's records where the store has none).
 */
function ranNotIn(sources: ReportSources): (subjectKey: string, span: MonthSpan) => Promise<boolean> {
  const retention = sources.runs.runRetentionDays;
  const keptFromMs = retention === undefined ? Number.NEGATIVE_INFINITY : addDays(sources.clock.now(), -retention);
  const store = sources.runs;
  const hasRuns = store.hasRuns ? store.hasRuns.bind(store) : (key: string, from: string, to: string) => store.runs(key, from, to).then((runs) => runs.length > 0);
  const known = new Map<string, Promise<boolean>>();
  return (key, span) => {
    if ((!key.startsWith('job#') && !key.startsWith('agent#')) || span.fromMs < keptFromMs) return Promise.resolve(false);
    const id = `${key}\u0000${span.month}`;
    let none = known.get(id);
    if (!none) known.set(id, (none = hasRuns(key, span.from, span.to).then((ran) => !ran)));
    return none;
  };
}

/**
 * Last month's groups as its reports gave them, from the stored findings, when last month's report
 * cannot be read: each month from last month back to 12 before it is read as its report counted it
 * (`previousFindings` as this report counts them, earlier months' by `monthFindingsAsReported`); a
 * group opens in the first month it has findings in, stays open through the months it has findings
 * in and those its subject did not run in (unverified there: `ranNotIn`), and closes in a month its
 * subject ran in without one. An open group is new or recurring when last month had findings of it,
 * else unverified; open since the month it opened (12 months back at most), and due as that
 * month's report set it, made at its scheduled time (06:00 UTC on the 1st after): its severity
 * then, plus the due days. A route's group closes in any month without a finding of it (a route
 * leaves no run records to tell), as does any group in a month older than the run records kept.
 * Earlier months are read only while a group open at last month's end may have opened in them: one
 * open through the month after, or one of a subject (stored, configured or seen) that ran in no month since;
 * all 12 when the catalog holds no job's or agent's state, or lacks one a finding read names.
 */
async function carriedFromFindings(previous: MonthSpan, previousFindings: readonly Finding[], sources: ReportSources, subjects: readonly SubjectSnapshot[]): Promise<CarriedGroup[]> {
  const noRunIn = ranNotIn(sources);
  // Last month first (spans[0]), back to 12 months before it; not before 1970, the first month a log can be from.
  const spans = [previous];
  // Whether a subject ran in none of the months from last month back to spans[back] (none: true).
  const silentThrough = async (key: string, back: number) => {
    for (let i = 0; i <= back; i++) if (!(await noRunIn(key, spans[i]))) return false;
    return true;
  };
  const { jobs, agents } = sources.config;
  const stored = new Set(subjects.filter((s) => s.kind === 'job' || s.kind === 'agent').map((s) => subjectKey(s.kind, s.name)));
  // A subject silent since a finding months back is known only from the catalog (or the config) until
  // that month is read: with an empty catalog, or one that lacks a subject a finding read names (a
  // store that does not keep states), every month is read.
  const unstoredNamed = (groups: Map<string, { finding: Finding }>) =>
    [...groups.values()].some(({ finding: f }) => (f.subject_kind === 'job' || f.subject_kind === 'agent') && !stored.has(subjectKeyOf(f)));
  let catalogLacks = stored.size === 0;
  const fleet = new Set([
    ...stored,
    ...Object.keys(jobs).map((name) => subjectKey('job', name)),
    ...Object.keys(agents).map((name) => subjectKey('agent', name)),
  ]);
  // The groups open at last month's end, by the month each opened in so far; `reaches`: open through the month after the one read, so it may have opened earlier.
  const open = new Map<string, { finding: Finding; severity: Severity; month: string; reaches: boolean }>();
  let last = new Map<string, { finding: Finding; severity: Severity }>();
  for (let back = 0; ; back++) {
    const span = spans[back];
    const groups = groupsIn(back === 0 ? previousFindings : await monthFindingsAsReported(span, sources, subjects), span);
    if (back === 0) last = groups;
    for (const g of groups.values()) fleet.add(subjectKeyOf(g.finding));
    catalogLacks ||= unstoredNamed(groups);
    // A group open after this month was open through it when it has findings in it or its subject did not run in it.
    const without = [...open.values()].filter((g) => g.reaches && !groups.has(groupKey(g.finding.detector, g.finding.subject_kind, g.finding.subject)));
    const quiet = await mapLimited(without, PARALLEL_READS, (g) => noRunIn(subjectKeyOf(g.finding), span));
    without.forEach((g, i) => (g.reaches = quiet[i]));
    // A group of this month opened in it when it is open through the month after, or had no finding since and its subject ran in no month since.
    const fresh = [...groups].filter(([key]) => !open.has(key));
    const joins = await mapLimited(fresh, PARALLEL_READS, ([, g]) => silentThrough(subjectKeyOf(g.finding), back - 1));
    for (const [key, g] of groups) if (open.get(key)?.reaches) open.set(key, { ...g, month: span.month, reaches: true });
    fresh.forEach(([key, g], i) => joins[i] && open.set(key, { ...g, month: span.month, reaches: true }));
    if (back === CARRY_BACK_MONTHS || span.fromMs <= 0) break;
    if (!catalogLacks && ![...open.values()].some((g) => g.reaches) && !(await mapLimited([...fleet], PARALLEL_READS, (key) => silentThrough(key, back))).some(Boolean)) break;
    spans.push(previousMonthSpan(span.month));
  }
  // A group of last month of a job taken out of the config, closed as its report closed it (`closesOutOfConfig`): no longer monitored, no due date.
  const states = new Map(subjects.map((s) => [subjectKey(s.kind, s.name), s.state]));
  const retired = (f: Finding) => closesOutOfConfig(f.subject_kind, f.subject, f.detector, sources.config, states.get(subjectKeyOf(f)));
  return [...open].map(([key, { finding, severity, month }]) => ({
    detector: finding.detector,
    subject: finding.subject,
    kind: finding.subject_kind,
    ...(last.has(key) && retired(finding)
      ? { status: 'retired' as const, openSince: month }
      : {
          status: !last.has(key) ? ('unverified' as const) : month === previous.month ? ('new' as const) : ('recurring' as const),
          openSince: month,
          due: utcDay(addDays(scheduledReportTime(month), DUE_DAYS[severity])),
        }),
  }));
}

/**
 * The guards bypassed from before the span's end (`cutMs`: its end, or the report's time in a
 * month not over) to its start or later, as subjects of coverage: seen over the month, so in its
 * coverage (OK without findings: a guard bypassed under a valid exception, or not at all in the
 * month, is healthy). Their states keep only their first and last bypass, as a subject's sightings.
 */
function guardsActiveIn(span: MonthSpan, cutMs: number, guards: readonly GuardState[]): SubjectSnapshot[] {
  return guards
    .filter((g) => g.firstAt !== undefined && g.lastAt !== undefined && g.firstAt < cutMs && g.lastAt >= span.fromMs)
    .map((g) => ({ kind: GUARD_STATE_KIND, name: g.guard, state: { firstSeenAt: g.firstAt, lastSeenAt: g.lastAt } }));
}

/**
 * The registry's records with their bypass counts and last bypass up to `cutMs` (the report's end),
 * from their guards' states (`bypassesUpTo`), not the registry's running totals; the ids whose
 * states cannot tell keep those totals (`allTime`), and the report says so.
 */
function countedUpTo(registered: readonly GuardException[], guards: readonly GuardState[], cutMs: number): { exceptions: GuardException[]; allTime: string[] } {
  const byGuard = new Map(guards.map((g) => [g.guard, g]));
  const allTime: string[] = [];
  const exceptions = registered.map((e) => {
    const upTo = bypassesUpTo(e, byGuard.get(e.guard), cutMs);
    if (!upTo) {
      allTime.push(e.id);
      return e;
    }
    const { last_bypass_at: _later, ...rest } = e;
    return { ...rest, bypass_count: upTo.count, ...(upTo.lastAt !== undefined ? { last_bypass_at: isoTime(upTo.lastAt) } : {}) };
  });
  return { exceptions, allTime };
}

/** Reads everything a month's report needs from the ports, once. */
export async function gatherReportInput(month: string, sources: ReportSources): Promise<ReportInput> {
  const span = monthSpan(month);
  const previous = previousMonthSpan(month);
  // Up to each month's end inclusive: a finding over a window that ends there is stamped with its
  // end and is that month's (happenedAt); buildReport keeps each finding in its own month.
  const [findings, previousFindings] = await Promise.all([
    sources.findings.query({ from: span.from, to: findingsQueryEnd(span) }),
    sources.findings.query({ from: previous.from, to: findingsQueryEnd(previous) }),
  ]);
  const stored = (await Promise.all(RUNNING_KINDS.map((kind) => sources.catalog.subjects(kind)))).flat();
  const snapshots = new Map<string, { kind: string; name: string; state?: unknown }>();
  for (const s of stored) {
    const at = s.key.indexOf('#');
    snapshots.set(s.key, { kind: s.key.slice(0, at), name: s.key.slice(at + 1), state: s.state });
  }
  const configured = [
    ...Object.keys(sources.config.jobs).map((name) => subjectKey('job', name)),
    ...Object.keys(sources.config.agents).map((name) => subjectKey('agent', name)),
    ...Object.keys(sources.config.routes).map((name) => subjectKey('route', name)),
  ];
  // Last month's missed or unfinished runs that late runs answer were retracted in its report and
  // are no trend or status here either: the jobs with such a finding are read from last month's start
  // or from where its run may have begun, if earlier (a run begun the month before that); those with
  // one this month, from where its run may have begun, if before the month.
  const readsFrom = lateRunReadsFrom({ findings: previousFindings, fromMs: previous.fromMs }, { findings, fromMs: span.fromMs });
  const keys = [...new Set([...snapshots.keys(), ...configured, ...readsFrom.keys()])];
  const runLists = await mapLimited(keys, PARALLEL_READS, (key) => {
    const read = lateRunReads(key, span.fromMs, readsFrom);
    return sources.runs.runs(key, read.from, read.to);
  });
  const runs: RunRecord[] = [];
  const subjects: SubjectSnapshot[] = [];
  // The history as it stood at the month's end, or at the report's time in a month not over (a report as of a past moment).
  const cutMs = Math.min(span.toMs, sources.clock.now());
  const afterMonth = (r: RunRecord) => (cutMs < span.toMs ? Date.parse(r.ts) > cutMs : r.ts >= span.to);
  // All of them, not only the month's: a run record's time is its end, and a run that started in
  // the month's last slot may end after it and still answer a missed-run (buildReport keeps the
  // month's runs for coverage and groups, and retracts last month's findings with the rest).
  keys.forEach((key, i) => {
    for (const run of runLists[i]) runs.push(run); // not spread: a job run every 10 s has 267,840 runs a month
    const snapshot = snapshots.get(key);
    if (snapshot) subjects.push({ ...snapshot, runsAfterMonth: runLists[i].filter(afterMonth).length });
  });

  const notes: string[] = [...(sources.inputNotes ?? [])];
  let carried: CarriedGroup[] | undefined;
  const previousJson = await sources.archive?.read(previous.month, 'json');
  if (previousJson !== undefined) {
    const read = carriedFromJson(previousJson, previous.month);
    carried = read.carried;
    if (read.note) notes.push(read.note);
  }
  // Last month's findings as its report counted them: without those late runs answered (as buildReport retracts them).
  carried ??= await carriedFromFindings(previous, lateRunJudge(runs, subjects)(previousFindings.filter((f) => happenedIn(f, previous))).kept, sources, subjects);
  // The registry's records, then the config's entries it does not hold yet as `exceptions list` shows them (`seedPlan`: the reason redacted, no count).
  const guards = (await sources.catalog.subjects(GUARD_STATE_KIND)).map((s) => s.state as GuardState);
  const registered = sources.exceptions ? await sources.exceptions.list() : undefined;
  const counted = registered && countedUpTo(registered, guards, cutMs);
  const exceptionsNotStored = registered && seedPlan(new Map(registered.map((e) => [e.id, e])), sources.config.exceptions, sources.clock.now(), sources.config.redact).missing;
  const exceptions = counted && exceptionsNotStored && [...counted.exceptions, ...exceptionsNotStored];
  // Guard bypasses the alert cooldown held back behind the month's last findings are counted in no
  // finding of the month: in one after it (up to the report date), or in the guard's state still.
  const reportDateMs = sources.clock.now();
  const later = reportDateMs >= span.toMs ? await sources.findings.query({ from: span.to, to: isoSecond(reportDateMs + 1000) }) : [];
  const heldBack = heldBackAtMonthEnd(span, later, guards);
  subjects.push(...guardsActiveIn(span, cutMs, guards));
  const snoozes = await allSnoozes(sources.config, sources.snoozes);
  return { month, findings, previousFindings, subjects, runs, exceptions, exceptionsNotStored: exceptionsNotStored?.map((e) => e.id), exceptionCountsAllTime: counted?.allTime, heldBack, snoozes, config: sources.config, clock: sources.clock, carried, notes, runRetentionDays: sources.runs.runRetentionDays, inputEndsAt: sources.inputEndsAt, owners: sources.owners };
}

/** The three documents of a report. */
export function renderReport(report: AuditReport): ReportDocument[] {
  return [
    { format: 'md', contentType: 'text/markdown; charset=utf-8', body: renderMarkdown(report) },
    { format: 'html', contentType: 'text/html; charset=utf-8', body: renderHtml(report) },
    { format: 'json', contentType: 'application/json', body: renderJson(report) },
  ];
}

/**
 * A month's report and its documents, and for a report sliced by owner (`sources.owners`) what to warn of
 * the owners given that no subject has (`unknownOwnerNotes`, over the owners the slice counts): an empty
 * slice would pass for a clean one.
 */
export async function createMonthlyReport(month: string, sources: ReportSources): Promise<{ report: AuditReport; documents: ReportDocument[]; ownerNotes: string[] }> {
  const input = await gatherReportInput(month, sources);
  const report = buildReport(input);
  return { report, documents: renderReport(report), ownerNotes: unknownOwnerNotes(input) };
}

export interface MonthlyReportResult {
  readonly month: string;
  readonly report: AuditReport;
  readonly published: PublishedReport;
  readonly notice?: ReportNotice;
}

/** Builds a month's report, publishes its documents, then announces it (after publishing, so the link works). */
export async function publishMonthlyReport(month: string, deps: ReportDeps): Promise<MonthlyReportResult> {
  const { report, documents } = await createMonthlyReport(month, { ...deps, archive: deps.archive ?? deps.publisher });
  const published = await deps.publisher.publish(month, documents);
  if (!deps.notifier) return { month, report, published };
  const notice = reportNotice(report, published);
  await deps.notifier.notify(notice);
  return { month, report, published, notice };
}
