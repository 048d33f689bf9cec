import { z } from 'zod';
import { isoTime } from '../../core/findings.ts';
import { noSuchDay, parseTime } from '../../core/parse-time.ts';
import { buildCoverage } from '../../core/report/coverage.ts';
import { findingsQueryEnd, happenedAt } from '../../core/report/evidence.ts';
import { formatValue } from '../../core/report/format.ts';
import { firstMonthMonitored, retractForMonth, runsNotKeptNote } from '../../core/report/build-report.ts';
import { lateRunReads, lateRunReadsFrom } from '../../core/report/late-runs.ts';
import { buildGroups } from '../../core/report/groups.ts';
import type { FindingGroup } from '../../core/report/model.ts';
import { type MonthSpan, monthOf, monthSpan, previousMonthSpan } from '../../core/report/month.ts';
import { RUNNING_KINDS } from '../../core/report/monthly-report.ts';
import { groupMarkdown } from '../../core/report/render-markdown.ts';
import { DETECTOR_META } from '../../detectors/index.ts';
import type { DetectorMeta } from '../../detectors/types.ts';
import { type AuditReadView, ToolArgumentError } from '../audit-view.ts';
import type { StoredFinding } from '../../ports.ts';
import { compactEvidence, defineTool, FindingSummarySchema, findingSummary, SeveritySchema } from '../tool.ts';

/** A finding id is its key: `<ts>#<detector>#<subject>#<run id or expected time>`. */
const FINDING_ID = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)#[^#]+#/;

function conditionLines(g: FindingGroup): { evidence: string[]; examples: string[] } {
  return {
    evidence: [
      ...g.condition.evidence.map(
        (s) =>
          `${s.key}${s.label ? ` (${s.label})` : ''}: ${s.min === s.max ? formatValue(s.min, s.unit) : `${formatValue(s.min, s.unit)} / ${formatValue(s.median, s.unit)} / ${formatValue(s.max, s.unit)} (min / median / max)`}`,
      ),
      ...g.condition.values.map((v) => `${v.key}: ${v.value} ×${v.count}`),
    ],
    examples: g.condition.examples.map((e) => (e.count > 1 ? `${e.text} ×${e.count}` : e.text)),
  };
}

/**
 * Whether the finding's month is the first the store monitored, as the report decides it
 * (firstMonthMonitored), so that its card gives no count of the month before either. Last month's
 * findings of every subject are read only when its own and the store's subjects say nothing of it.
 */
async function firstMonthOfStore(view: AuditReadView, finding: StoredFinding, ownPrevious: readonly StoredFinding[], span: MonthSpan, previousSpan: MonthSpan): Promise<boolean> {
  const stored = await Promise.all(RUNNING_KINDS.map(async (kind) => (await view.subjects(kind)).map(({ key, state }) => ({ kind, name: key.slice(kind.length + 1), state }))));
  const subjects = stored.flat();
  const judge = (previousFindings: readonly StoredFinding[]) => firstMonthMonitored({ findings: [finding], previousFindings, runs: [], subjects }, span, previousSpan);
  return judge(ownPrevious) && judge(await view.findings({ from: previousSpan.from, to: findingsQueryEnd(previousSpan) }));
}

export const explainFindingTool = defineTool({
  name: 'explain_finding',
  title: 'Explain a finding (5 Cs)',
  description:
    'The 5 Cs of one finding as the monthly audit report writes them for its detector and subject that month: criteria (the rule and thresholds used), ' +
    'condition (what was seen, with the evidence), cause (known causes narrowed by the month’s data), consequence, and corrective action (owner, due date). ' +
    'Takes an id from find_findings or subject_status.',
  inputSchema: {
    id: z.string().min(1).describe('a finding id, e.g. 2026-10-08T03:10:00Z#empty-output#nightly-backup#nb-08'),
  },
  outputSchema: {
    finding: FindingSummarySchema.extend({ evidence: z.record(z.string(), z.unknown()) }),
    retracted: z.string().optional().describe('why the monthly report retracts this finding (its run’s lines arrived after the sweep judged it) and counts it in no group'),
    runs_not_kept: z
      .string()
      .optional()
      .describe('the note the monthly report gives when the store may have let go of run records of the month or the month before (kept deploy.run_retention_days): the condition and cause may rest on part of its runs'),
    month: z.string(),
    severity: SeveritySchema.describe('the highest among the month’s findings of this detector and subject'),
    status: z.enum(['new', 'recurring', 'resolved', 'unverified', 'retired']).describe('against the previous month'),
    criteria: z.object({ rule: z.string(), thresholds: z.array(z.string()), baseline: z.string().optional() }),
    condition: z.object({
      findings: z.number().describe('findings of this detector and subject in the month (not its occurrences: the notes count those, a window over narrower findings and touching ones as one)'),
      runs_affected: z.number(),
      first_at: z.string().optional(),
      last_at: z.string().optional(),
      evidence: z.array(z.string()),
      examples: z.array(z.string()),
    }),
    cause: z.object({ known: z.string(), narrowed: z.array(z.string()) }),
    consequence: z.object({ known: z.string(), notes: z.array(z.string()) }),
    corrective_action: z.object({ action: z.string(), owner: z.string().optional(), owner_key: z.string(), due: z.string().optional(), overdue: z.boolean() }),
  },
  async run(view, args) {
    const id = args.id.trim();
    const m = FINDING_ID.exec(id);
    // `Date.parse` would take 2026-10-32 or 24:10 as no time at all (or as the next day): say which part is wrong.
    const at = m ? parseTime(m[1]) : Number.NaN;
    if (!m || Number.isNaN(at)) {
      const why = m ? ` (${noSuchDay(m[1]) ?? `${m[1]} is no time of the day`})` : '';
      throw new ToolArgumentError(
        `"${args.id}" is not a finding id${why}: ids look like 2026-10-08T03:10:00Z#empty-output#nightly-backup#nb-08; find_findings and subject_status give them`,
      );
    }
    const finding = (await view.findings({ from: m[1], to: isoTime(at + 1000) })).find((f) => f.key === id);
    if (!finding) throw new ToolArgumentError(`no finding with id "${id}" is stored; find_findings lists the findings of a time window with their ids`);
    // As find_findings and list_subjects: the audit is read as of now, and a finding after it (a --now earlier than the store's data) has not happened yet.
    if (at > view.now()) throw new ToolArgumentError(`finding "${id}" is dated ${m[1]}, after now (${isoTime(view.now())}): it has not happened yet as the audit is read; find_findings lists the findings up to now`);

    // The month the report lists it in (happenedAt): a window's finding, stamped with its end, is the month it judged.
    const span = monthSpan(monthOf(happenedAt(finding)));
    const previousSpan = previousMonthSpan(span.month);
    const kind = finding.subject_kind;
    const subjectKey = `${kind}#${finding.subject}`;
    const [inMonth, inPrevious, stored, exceptions] = await Promise.all([
      view.findings({ from: span.from, to: findingsQueryEnd(span), subject: finding.subject }),
      view.findings({ from: previousSpan.from, to: findingsQueryEnd(previousSpan), subject: finding.subject }),
      view.subjects(kind),
      view.exceptions(),
    ]);
    const ofKind = (list: typeof inMonth) => list.filter((f) => f.subject_kind === kind);
    // The runs the report reads for the subject (to the report date, from last month's start after a missed or unfinished run then, or from where such a run of either month may have begun, if earlier).
    const readsFrom = lateRunReadsFrom({ findings: ofKind(inPrevious), fromMs: previousSpan.fromMs }, { findings: ofKind(inMonth), fromMs: span.fromMs });
    const read = lateRunReads(subjectKey, span.fromMs, readsFrom);
    const allRuns = await view.runs(subjectKey, read.from, read.to);
    const state = stored.find((s) => s.key === subjectKey)?.state;
    const subjects = state === undefined ? [] : [{ kind, name: finding.subject, state, runsAfterMonth: allRuns.filter((r) => r.ts >= span.to).length }];
    // As the report: a missed or unfinished run whose lines arrived late is retracted and in no group,
    // this month or last; explained on its own, it is judged in its group as the sweep reported it.
    const month = retractForMonth({ findings: ofKind(inMonth), previousFindings: ofKind(inPrevious), runs: allRuns, subjects }, span, previousSpan);
    const retracted = month.retracted.find((r) => r.detector === finding.detector && r.ts === finding.ts && (r.expected_at ?? r.run_id) === (finding.expected_at ?? finding.run_id));
    const { runs } = month;
    const findings = retracted ? [...month.findings, finding] : month.findings;
    const coverage = buildCoverage({ span, subjects, runs, findings, config: view.config, exceptions });
    const groups = buildGroups({
      span,
      previousSpan,
      findings,
      previousFindings: month.previousFindings,
      runs,
      config: view.config,
      exceptions,
      meta: DETECTOR_META as ReadonlyMap<string, DetectorMeta>,
      coverage,
      subjects,
      generatedAtMs: view.now(),
    });
    const group = groups.find((g) => g.detector === finding.detector && g.subjectKind === finding.subject_kind && g.subject === finding.subject && g.condition.occurrences > 0)!;
    const { evidence, examples } = conditionLines(group);
    // As the report notes it: the runs the condition and cause are read from may be gone in part.
    const runsNotKept = runsNotKeptNote(span, previousSpan, view.now(), view.runRetentionDays);
    const firstMonth = await firstMonthOfStore(view, finding, inPrevious, span, previousSpan);
    const a = group.correctiveAction;
    const result = {
      finding: { ...findingSummary(finding), evidence: compactEvidence(finding.evidence) },
      ...(retracted ? { retracted: `the run's lines arrived late: ${retracted.reason}` } : {}),
      ...(runsNotKept ? { runs_not_kept: runsNotKept } : {}),
      month: span.label,
      severity: group.severity,
      status: group.status,
      criteria: {
        rule: group.criteria.rule,
        thresholds: group.criteria.thresholds.map((t) => `${t.key}: ${t.value} (${t.source})`),
        ...(group.criteria.baseline !== undefined ? { baseline: group.criteria.baseline } : {}),
      },
      condition: {
        findings: group.condition.occurrences,
        runs_affected: group.condition.runsAffected,
        ...(group.condition.firstAt !== undefined ? { first_at: group.condition.firstAt } : {}),
        ...(group.condition.lastAt !== undefined ? { last_at: group.condition.lastAt } : {}),
        evidence,
        examples,
      },
      cause: { known: group.cause.known, narrowed: [...group.cause.narrowed] },
      consequence: { known: group.consequence.known, notes: [...group.consequence.notes] },
      corrective_action: {
        action: a.action,
        ...(a.owner !== undefined ? { owner: a.owner } : {}),
        owner_key: a.ownerKey,
        ...(a.due !== undefined ? { due: a.due } : {}),
        overdue: a.overdue,
      },
    };
    const text = [
      `Finding ${finding.key} (${finding.severity}): ${finding.message}`,
      `Evidence: ${JSON.stringify(result.finding.evidence)}`,
      ...(retracted ? [`Retracted: ${result.retracted}. The monthly report counts it in no group.`] : []),
      ...(runsNotKept ? [`Note: ${runsNotKept}`] : []),
      '',
      ...groupMarkdown(group, 1, { label: span.label, previousLabel: previousSpan.label, summary: { firstMonthMonitored: firstMonth || undefined } }),
    ].join('\n');
    return { result, text };
  },
});
