import { z } from 'zod';
import type { AgentState } from '../../core/agent-reducer.ts';
import type { GuardState } from '../../core/guard-reducer.ts';
import type { JobState } from '../../core/job-reducer.ts';
import type { RouteState } from '../../core/route-reducer.ts';
import { median } from '../../core/stats.ts';
import { defined } from '../../core/parse/bodies.ts';
import type { RunRecord, StoredFinding } from '../../ports.ts';
import { type JudgedSubject, judgeSubjects, type KnownSubject, knownSubjects, pickSubject, STATUS_WINDOW_DAYS } from '../subjects.ts';
import { ToolArgumentError } from '../audit-view.ts';
import { defineTool, FindingSummarySchema, findingSummary, isoOrNull, KindSchema, limitSchema } from '../tool.ts';
import { SubjectRowSchema, subjectRow } from './list-subjects.ts';

const HOUR_MS = 3_600_000;

const SuccessWindowSchema = z.object({
  runs: z.number(),
  ok: z.number(),
  failed: z.number(),
  success_rate: z.number().nullable().describe('ok / finished runs by exit status; null without runs'),
  with_findings: z.number().describe('runs a detector flagged (silent failures exit 0 too)'),
});

const RecentRunSchema = z.object({
  run_id: z.string(),
  ts: z.string(),
  status: z.enum(['ok', 'failed', 'started']),
  exit_code: z.number().optional(),
  duration_ms: z.number().optional(),
  output_bytes: z.number().optional(),
  findings: z.array(z.string()).describe('detectors that fired on this run'),
});

const BaselineSchema = z
  .object({
    samples: z.number(),
    median_output_bytes: z.number(),
    median_duration_ms: z.number(),
    median_cost_usd: z.number(),
    median_tokens: z.number(),
    requests: z.number(),
    retried: z.number(),
    failed: z.number(),
    retry_rate: z.number(),
    bypasses: z.number(),
    covered: z.number(),
    unregistered: z.number(),
    expired: z.number(),
  })
  .partial();

type Baseline = z.infer<typeof BaselineSchema>;

/**
 * What the detectors compare against: a job's medians of its normal runs, an agent's median cost
 * (of its runs ended by `now`: at a `--now` earlier than the store's data, not of later ones), a
 * route's or guard's counts.
 */
export function baselineOf(subject: KnownSubject, now: number): Baseline {
  const state = subject.state;
  if (!state) return {};
  switch (subject.kind) {
    case 'job': {
      const s = state as JobState;
      return defined({ samples: Math.max(s.outputs.length, s.durations.length), median_output_bytes: median(s.outputs), median_duration_ms: median(s.durations) });
    }
    case 'agent': {
      const normal = (state as AgentState).history.filter((h) => h.outlier === undefined && h.ended_at <= now);
      const costs = normal.flatMap((h) => (h.cost_usd !== undefined ? [h.cost_usd] : []));
      const tokens = normal.flatMap((h) => (h.tokens !== undefined ? [h.tokens] : []));
      return defined({ samples: normal.length, median_cost_usd: median(costs), median_tokens: median(tokens) });
    }
    case 'route': {
      const t = (state as RouteState).totals;
      return { requests: t.requests, retried: t.retried, failed: t.failed, retry_rate: t.requests > 0 ? Number((t.retried / t.requests).toFixed(4)) : 0 };
    }
    case 'guard': {
      const g = state as GuardState;
      return { bypasses: g.bypasses, ...g.outcomes };
    }
  }
}

function successOver(runs: readonly RunRecord[], flagged: ReadonlySet<string>, fromMs: number): z.infer<typeof SuccessWindowSchema> {
  const inWindow = runs.filter((r) => Date.parse(r.ts) > fromMs);
  const ok = inWindow.filter((r) => r.status === 'ok').length;
  const failed = inWindow.filter((r) => r.status === 'failed').length;
  return {
    runs: inWindow.length,
    ok,
    failed,
    success_rate: ok + failed > 0 ? Number((ok / (ok + failed)).toFixed(4)) : null,
    with_findings: inWindow.filter((r) => flagged.has(r.run_id)).length,
  };
}

function detectorsByRun(findings: readonly StoredFinding[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of findings) {
    if (f.run_id === undefined) continue;
    const list = out.get(f.run_id) ?? [];
    if (!list.includes(f.detector)) list.push(f.detector);
    out.set(f.run_id, list);
  }
  return out;
}

/** Kinds whose runs are recorded (and so have success rates). */
const RECORDS_RUNS = new Set(['job', 'agent']);

export function statusOf(judged: JudgedSubject, now: number, recent: number, openLimit: number) {
  const byRun = detectorsByRun(judged.findings);
  const flagged = new Set(byRun.keys());
  const records = RECORDS_RUNS.has(judged.subject.kind);
  return {
    recent_runs: [...judged.runs]
      .reverse()
      .slice(0, recent)
      .map((r) => ({
        run_id: r.run_id,
        ts: r.ts,
        status: r.status,
        ...defined({ exit_code: r.exit_code, duration_ms: r.duration_ms, output_bytes: r.output_bytes }),
        findings: byRun.get(r.run_id) ?? [],
      })),
    success: {
      last_24h: records ? successOver(judged.runs, flagged, now - 24 * HOUR_MS) : null,
      last_7d: records ? successOver(judged.runs, flagged, now - 7 * 24 * HOUR_MS) : null,
    },
    baseline: baselineOf(judged.subject, now),
    open_findings: [...judged.open].reverse().slice(0, openLimit).map(findingSummary),
    open_findings_truncated: judged.open.length > openLimit,
  };
}

export const subjectStatusTool = defineTool({
  name: 'subject_status',
  title: 'Status of one subject',
  description:
    `One job, agent, route or guard in detail: its status and schedule as list_subjects gives them, its recent runs (in its status window: the last ${STATUS_WINDOW_DAYS} days, ` +
    'longer for a job whose schedule expects runs further apart, back to the last start it expected; window_days says; newest first, ' +
    'with the detectors that fired on each), success rate over 24 h and 7 days, the baseline its runs are judged against ' +
    '(median output and duration of normal runs, median cost of an agent’s runs, a route’s or guard’s counts), and its open findings.',
  inputSchema: {
    subject: z.string().min(1).describe('the subject name, e.g. nightly-backup (a job named by its command may be given as the config writes it: secrets in it are redacted as the audit stores it)'),
    kind: KindSchema.optional().describe('needed only when the name is used by subjects of several kinds'),
    runs: z.number().int().min(1).max(100).default(10).describe('how many recent runs to return'),
    limit: limitSchema(50, 'open findings, newest first (subject.open_findings counts them all)'),
  },
  outputSchema: {
    now: z.string(),
    window_days: z.number().describe('the days up to now its status, runs and findings are judged over (as subject.window_days)'),
    subject: SubjectRowSchema,
    recent_runs: z.array(RecentRunSchema),
    success: z.object({ last_24h: SuccessWindowSchema.nullable(), last_7d: SuccessWindowSchema.nullable() }).describe('null for kinds that record no runs (routes, guards)'),
    baseline: BaselineSchema,
    open_findings: z.array(FindingSummarySchema),
    open_findings_truncated: z.boolean().describe('more open findings than the limit: subject.open_findings is their total'),
  },
  async run(view, args) {
    const known = await knownSubjects(view);
    const subject = pickSubject(known, args.subject, args.kind, view.config);
    const [judged] = await judgeSubjects(view, [subject], known);
    const now = view.now();
    // As list_subjects: one the config does not name, first seen after now, is not known yet.
    if (judged.firstSeenLater !== undefined && !subject.configured) {
      throw new ToolArgumentError(`${subject.kind} "${subject.name}" was not seen yet at ${isoOrNull(now)}: it was first seen on ${isoOrNull(judged.firstSeenLater)}, after that`);
    }
    return { result: { now: isoOrNull(now)!, window_days: judged.windowDays, subject: subjectRow(judged, now), ...statusOf(judged, now, args.runs, args.limit) } };
  },
});
