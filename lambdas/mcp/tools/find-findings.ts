import { z } from 'zod';
import { isoTime } from '../../core/findings.ts';
import { noSuchDay, parseTime } from '../../core/parse-time.ts';
import { isIsoTimeForm, parseSince, SinceError } from '../../core/since.ts';
import { DETECTOR_IDS } from '../../detectors/ids.ts';
import { type AuditReadView, ToolArgumentError } from '../audit-view.ts';
import { knownSubjects, lateRunRetractions, ownedBy, rollingSpan, STATUS_WINDOW_DAYS, unknownSubjectError, windowEndAt } from '../subjects.ts';
import { atLeast, compactEvidence, defineTool, FindingKindSchema, FindingSummarySchema, findingSummary, limitSchema, OwnerFilterSchema, SeveritySchema } from '../tool.ts';

/**
 * `until` as an instant: an ISO-8601 date or time, UTC unless it says otherwise (a space for the
 * `T` too), in the forms `since` takes (parseTime alone reads more: a lowercase t or z, a space
 * before the offset, a comma before the fraction); a date the calendar does not have is refused.
 */
function parseUntil(value: string): number {
  const text = value.trim();
  const impossible = noSuchDay(text);
  const at = !isIsoTimeForm(text) || impossible !== undefined ? Number.NaN : parseTime(text);
  if (Number.isNaN(at)) throw new ToolArgumentError(`until "${value}" is not an ISO-8601 time${impossible ? ` (${impossible})` : ''}; expected e.g. 2026-10-31T23:59:59Z`);
  return at;
}

/**
 * Nothing found for `subject`: an answer only if the audit knows that name (a job, agent, route or
 * guard, or a tool with a finding in the window or the status window); else a refusal saying what
 * to ask instead, so a typo is not taken for a clean record.
 */
async function requireKnownSubject(view: AuditReadView, subject: string, fromMs: number, toMs: number): Promise<void> {
  const subjects = await knownSubjects(view);
  if (subjects.some((s) => s.name === subject)) return;
  const recent = rollingSpan(view.now(), STATUS_WINDOW_DAYS);
  const from = isoTime(Math.min(fromMs, recent.fromMs));
  const seen = await view.findings({ from, to: isoTime(Math.max(toMs, recent.toMs)) });
  if (seen.some((f) => f.subject === subject)) return;
  const tools = [...new Set(seen.filter((f) => f.subject_kind === 'tool').map((f) => f.subject))].map((name) => ({ kind: 'tool', name }));
  const known = `${subjects.length} subjects, and ${tools.length} tool${tools.length === 1 ? '' : 's'} with findings since ${from}`;
  throw unknownSubjectError([...subjects, ...tools], subject, 'job, agent, tool, route or guard', known);
}

export const findFindingsTool = defineTool({
  name: 'find_findings',
  title: 'Find findings',
  description:
    'Findings (silent failures the detectors raised) filtered by detector, subject, kind, minimum severity and time window, newest first. ' +
    'Each has an id to pass to explain_finding. A missed or unfinished run whose lines arrived after the sweep judged it is retracted, as the monthly report retracts it: ' +
    'left out and counted in `retracted` (include_retracted lists it, marked with why).',
  inputSchema: {
    detector: z.enum(DETECTOR_IDS).optional().describe('one detector id, e.g. empty-output, missed-run, budget-exceeded'),
    subject: z.string().min(1).optional().describe('a job, agent, tool, route or guard name'),
    kind: FindingKindSchema.optional(),
    min_severity: SeveritySchema.optional().describe('this severity or worse: low < medium < high < critical'),
    since: z.string().default('7d').describe('start of the window: a duration back from now (7d, 24h, 30m) or an ISO-8601 time'),
    until: z.string().optional().describe('end of the window (exclusive): an ISO-8601 date or time written as since takes one (2026-10-09, 2026-10-09T12:00:00Z, 2026-10-09T12:00:00+02:00); default now, and never later than now'),
    limit: limitSchema(50, 'findings, newest first'),
    include_retracted: z.boolean().default(false).describe('list the findings the report retracts too, each with `retracted` saying why'),
    owner: OwnerFilterSchema,
  },
  outputSchema: {
    from: z.string(),
    to: z.string(),
    total: z.number().describe('findings matching, before the limit (the retracted ones only with include_retracted)'),
    truncated: z.boolean(),
    by_detector: z.record(z.string(), z.number()).describe('findings matching that are not retracted, by detector'),
    retracted: z.number().describe('findings matching that the monthly report retracts: their run’s lines arrived after the sweep judged it'),
    findings: z.array(
      FindingSummarySchema.extend({
        evidence: z.record(z.string(), z.unknown()),
        retracted: z.string().optional().describe('why the report retracts it and counts it in no group (include_retracted only)'),
      }),
    ),
  },
  async run(view, args) {
    const now = view.now();
    let fromMs: number;
    try {
      fromMs = parseSince(args.since, now);
    } catch (error) {
      if (error instanceof SinceError) throw new ToolArgumentError(`since "${args.since}": ${error.reason}`);
      throw error;
    }
    // The audit as of now: nothing after it has happened yet, whatever `until` asks (a --now earlier than the store's data).
    const nowEnd = windowEndAt(now);
    const toMs = args.until !== undefined ? Math.min(parseUntil(args.until), nowEnd) : nowEnd;
    if (toMs <= fromMs) throw new ToolArgumentError(`the window is empty: until (${isoTime(toMs)}) must come after since (${isoTime(fromMs)})`);
    // Findings are timed to the second: the window's bounds are the first whole seconds at or after
    // since and until (since …00.500Z leaves out a finding at …00Z; until …00.500Z keeps it).
    const from = isoTime(Math.ceil(fromMs / 1000) * 1000);
    const to = isoTime(Math.ceil(toMs / 1000) * 1000);
    const owned = await ownedBy(view, args.owner);
    const matching = (await view.findings({ from, to, detector: args.detector, subject: args.subject }))
      .filter((f) => (args.kind === undefined || f.subject_kind === args.kind) && (args.min_severity === undefined || atLeast(f.severity, args.min_severity)) && owned(f.subject_kind, f.subject))
      .sort((a, b) => b.ts.localeCompare(a.ts) || a.key.localeCompare(b.key));
    if (matching.length === 0 && args.subject !== undefined) await requireKnownSubject(view, args.subject, fromMs, toMs);
    // As the report, list_subjects and explain_finding: a missed or unfinished run whose lines arrived late is no problem.
    const retractions = await lateRunRetractions(view, matching);
    const found = args.include_retracted ? matching : matching.filter((f) => !retractions.has(f.key));
    const byDetector: Record<string, number> = {};
    for (const f of matching) if (!retractions.has(f.key)) byDetector[f.detector] = (byDetector[f.detector] ?? 0) + 1;
    return {
      result: {
        from,
        to,
        total: found.length,
        truncated: found.length > args.limit,
        by_detector: byDetector,
        retracted: retractions.size,
        findings: found.slice(0, args.limit).map((f) => {
          const retracted = retractions.get(f.key);
          return { ...findingSummary(f), evidence: compactEvidence(f.evidence), ...(retracted !== undefined ? { retracted } : {}) };
        }),
      },
    };
  },
});
