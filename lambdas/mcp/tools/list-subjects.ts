import { z } from 'zod';
import { COVERAGE_LABEL } from '../../core/report/labels.ts';
import { hasEnoughHistory, type JudgedSubject, judgeSubjects, knownSubjects, lastRunStartOf, lastStatusOf, MAX_STATUS_WINDOW_DAYS, ownedBy, STATUS_WINDOW_DAYS } from '../subjects.ts';
import type { AuditReadView } from '../audit-view.ts';
import { defineTool, isoOrNull, KindSchema, limitSchema, OwnerFilterSchema, ScheduleSchema, StatusSchema } from '../tool.ts';

export const LastStatusSchema = z.enum(['ok', 'failed', 'running', 'started', 'unfinished']);

export const SubjectRowSchema = z.object({
  kind: KindSchema,
  name: z.string(),
  status: StatusSchema.describe('over its status window (window_days): UNKNOWN when nothing came from it or it has too little history to judge; RETIRED when not in the config and gone silent as the monthly report retires a subject (renamed or no longer used)'),
  window_days: z
    .number()
    .describe(`the days up to now its status, findings and runs are judged over: ${STATUS_WINDOW_DAYS}, or more for a job whose schedule expects runs further apart, back to the last start it expected past its grace time, at most ${MAX_STATUS_WINDOW_DAYS} (a rarer one, such as a yearly job, gets ${STATUS_WINDOW_DAYS})`),
  reason: z.string().optional(),
  enough_history: z.boolean().describe('enough runs for min_history: the baseline checks are active'),
  history: z.number().nullable(),
  min_history: z.number().nullable(),
  last_run_at: z
    .string()
    .nullable()
    .describe("when the last run at or before now started, as find_overdue's last_run_at (a guard's last bypass); null when not seen by then, and for routes, whose state keeps no time of the last request"),
  last_status: LastStatusSchema.nullable().describe("the last run's outcome at now; a job's run or an agent's root run reported run-unfinished (it never logged its end) is unfinished, as the report counts it"),
  schedule: ScheduleSchema.nullable(),
  findings_in_window: z.number(),
  open_findings: z.number().describe('findings not followed by a clean run, and an audit-trail drift while it goes on'),
  owner: z.string().optional(),
  configured: z.boolean(),
});

export type SubjectRow = z.infer<typeof SubjectRowSchema>;

/** One subject as `list_subjects` and `subject_status` describe it. */
export function subjectRow(judged: JudgedSubject, now: number): SubjectRow {
  const { subject, row } = judged;
  return {
    kind: subject.kind,
    name: subject.name,
    status: judged.retired !== undefined ? 'RETIRED' : (COVERAGE_LABEL[row.status] as SubjectRow['status']),
    window_days: judged.windowDays,
    ...(row.reason !== undefined ? { reason: row.reason } : {}),
    enough_history: hasEnoughHistory(row),
    history: row.history,
    min_history: row.minHistory,
    last_run_at: isoOrNull(lastRunStartOf(judged, now)),
    last_status: judged.firstSeenLater === undefined ? (lastStatusOf(subject, judged.runs, now, judged.unfinished) ?? null) : null,
    schedule: judged.schedule ?? null,
    findings_in_window: judged.findings.length,
    open_findings: judged.open.length,
    ...(row.owner !== undefined ? { owner: row.owner } : {}),
    configured: subject.configured,
  };
}

/** Every subject judged, with its row; for `list_subjects` and `subject_status`. */
export async function subjectRows(view: AuditReadView): Promise<{ judged: JudgedSubject[]; rows: SubjectRow[] }> {
  // One first seen after now is not seen yet; the config's are UNKNOWN, as a configured subject never seen.
  const judged = (await judgeSubjects(view, await knownSubjects(view))).filter((j) => j.firstSeenLater === undefined || j.subject.configured);
  const now = view.now();
  return { judged, rows: judged.map((j) => subjectRow(j, now)) };
}

export const listSubjectsTool = defineTool({
  name: 'list_subjects',
  title: 'List monitored subjects',
  description:
    `Jobs, agents, routes and guards the audit knows (seen in the logs or named in the config), each with its kind, when its last run started (as find_overdue's last_run_at) and its status, ` +
    `schedule (configured, or inferred from its runs), and whether it has enough history to judge. Status is judged over the last ${STATUS_WINDOW_DAYS} days ` +
    `(longer for a job whose schedule expects runs further apart, such as a monthly one: back to the last start it expected, its window_days, at most ${MAX_STATUS_WINDOW_DAYS}) ` +
    'as the monthly report does: OK, FINDINGS, or UNKNOWN when nothing came from it or it has fewer runs than min_history (silence is never health); ' +
    'RETIRED for one not in the config with nothing of it since the month before, silent for more than 3 × its usual gap between runs and with no finding the month before (renamed or no longer used), as the report lists it retired and find_overdue does.',
  inputSchema: {
    kind: KindSchema.optional().describe('only subjects of this kind'),
    status: StatusSchema.optional().describe('only subjects with this status'),
    owner: OwnerFilterSchema,
    limit: limitSchema(100, 'subjects, in the report’s order (narrow with kind or status)'),
  },
  outputSchema: {
    now: z.string(),
    window_days: z.number().describe("the status window's days for most subjects; a job's row says its own (window_days), longer when its schedule expects runs further apart"),
    counts: z.object({ OK: z.number(), FINDINGS: z.number(), UNKNOWN: z.number(), RETIRED: z.number() }).describe('over every subject, before the filters'),
    total: z.number().describe('subjects matching the filters, before the limit'),
    truncated: z.boolean(),
    subjects: z.array(SubjectRowSchema),
  },
  async run(view, args) {
    const { rows } = await subjectRows(view);
    const counts = { OK: 0, FINDINGS: 0, UNKNOWN: 0, RETIRED: 0 };
    for (const r of rows) counts[r.status]++;
    const owned = await ownedBy(view, args.owner);
    const matching = rows.filter((r) => (args.kind === undefined || r.kind === args.kind) && (args.status === undefined || r.status === args.status) && owned(r.kind, r.name));
    return {
      result: {
        now: isoOrNull(view.now())!,
        window_days: STATUS_WINDOW_DAYS,
        counts,
        total: matching.length,
        truncated: matching.length > args.limit,
        subjects: matching.slice(0, args.limit),
      },
    };
  },
});
