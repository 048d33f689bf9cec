import type { Finding } from '../findings.ts';
import type { RunRecord } from '../../ports.ts';
import { formatBytes, formatDuration, maxOf, median, minOf } from '../stats.ts';
import { beganAt, happenedAt, happenedAtIso, type Occurrence } from './evidence.ts';
import { formatUsd, plural } from './format.ts';
import { RunIndex, runKey } from './run-keys.ts';
import { compareNames } from '../name-order.ts';

/**
 * Narrowing a pattern's known causes with what the month shows: when it started, whether every
 * run since was affected (a change at the source) or only some (a flaky dependency), whether it
 * clusters at one hour or weekday, and what the evidence names (markers, exit codes, sizes).
 * Each rule reads evidence keys, not detector ids, so new detectors benefit too.
 */

export interface CauseContext {
  /** The group's findings this month, oldest first (by `happenedAt`, when they count in the month). */
  readonly findings: readonly Finding[];
  /** When they happened (`occurrencesOf`): a window whose narrower findings of the group account for most of what it judged left out. Its findings when not given. */
  readonly occurrences?: readonly Occurrence[];
  /** The subject's runs recorded this month, oldest first (empty when it records none). */
  readonly subjectRuns: readonly RunRecord[];
  /** Other detectors that fired on the same runs, with how often. */
  readonly alsoOnSameRuns: readonly { readonly detector: string; readonly count: number }[];
  /**
   * Still happening at the month's end (or at `asOf`); false when later runs were normal again;
   * `unmonitored` when not known either way: the job left the config, and nothing of it came after.
   */
  readonly ongoing: boolean | 'unmonitored';
  /** When it was still happening, if the month had not ended yet (`2026-10-14 06:00 UTC`); else at the month's end. */
  readonly asOf?: string;
  /**
   * Set when the group recurs (last month had it too): the month's first day, and the day of last
   * month's first finding when known. A group affecting the month from its start began before it.
   */
  readonly recurring?: { readonly monthFirstDay: string; readonly lastMonthFirstDay?: string };
}

const KEYWORD_CAUSES: readonly [RegExp, string][] = [
  [/no space left on device/i, 'the disk is full: free space, or rotate what the job writes'],
  [/out of memory|oom/i, 'the process ran out of memory'],
  [/traceback/i, 'an unhandled Python exception that a wrapper logged and swallowed'],
  [/panic:/i, 'a Go panic that the caller ignored'],
  [/segmentation fault/i, 'a native crash in a child process'],
];

const EXIT_CODE_CAUSES: Readonly<Record<number, string>> = {
  2: 'a usage error (a wrong option or argument, often after an upgrade)',
  124: 'a `timeout` wrapper stopped it',
  126: 'the command is not executable',
  127: 'the command was not found (a changed path or a missing package)',
  130: 'it was interrupted',
  137: 'it was killed with SIGKILL, most often by the out-of-memory killer',
  139: 'it crashed with a segmentation fault',
  143: 'it was stopped with SIGTERM (a deploy, a shutdown, a scheduler limit)',
};

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function day(iso: string): string {
  return iso.slice(0, 10);
}

/** Whether UTC days (`YYYY-MM-DD`, ascending) follow one another with none missing. */
export function consecutiveDays(days: readonly string[]): boolean {
  for (let i = 1; i < days.length; i++) {
    if (Date.parse(days[i]) - Date.parse(days[i - 1]) !== 86_400_000) return false;
  }
  return true;
}

/** Every run from the first occurrence to the last affected, or some only: the shape over time. */
function shapeOverTime(ctx: CauseContext): string | undefined {
  const { subjectRuns } = ctx;
  const ongoing = ctx.ongoing === true;
  const unmonitored = ctx.ongoing === 'unmonitored';
  const until = ctx.asOf !== undefined ? `as of ${ctx.asOf}` : 'by the end of the month';
  // Timed by its occurrences: the month's window over the hours that fired is not another day.
  const findings = ctx.occurrences?.flatMap((o) => o.findings) ?? ctx.findings;
  const first = findings[0];
  const last = findings[findings.length - 1];
  if (!first) return undefined;
  const days = [...new Set(findings.map((f) => day(happenedAtIso(f))))];
  // Over a window begun before it counts (the month's, ending with the month) and still happening, it lasted: no single occurrence, as Consequence says.
  const windowed = (ctx.occurrences?.[0]?.fromMs ?? beganAt(first)) < happenedAt(first);
  // One occurrence on one day: hours that fired in a row over days are no single occurrence.
  const single = (ctx.occurrences?.length ?? findings.length) === 1 && days.length === 1 && !(ongoing && windowed);
  // Read as counted in the month (happenedAt): a window's finding on its last day, not on its stamp.
  const firstAt = happenedAtIso(first);
  const lastAt = happenedAtIso(last);
  const firstDay = day(firstAt);
  if (single && ongoing) {
    // Nothing after it says it stopped: a one-off is not told from a change that lasts.
    const next = first.subject_kind === 'route' ? 'requests' : 'runs';
    return `A single occurrence (${firstDay}), not known to have stopped ${until}: too soon to tell a one-off, such as a passing upstream fault or an unusual input, from a lasting change. Watch whether the next ${next} are normal.`;
  }
  if (single && unmonitored) {
    return `A single occurrence (${firstDay}), and nothing after it: whether it stopped is not known, as the job is no longer monitored.`;
  }
  if (single) {
    return `A single occurrence (${firstDay}): more likely a one-off, such as a passing upstream fault or an unusual input, than a lasting change. Watch whether it comes back.`;
  }
  const lastDay = day(lastAt);
  /** `from A to B`, or `on A` when both are one day. */
  const span = (from: string, to: string) => (from === to ? `on ${from}` : `from ${from} to ${to}`);
  const recovery = ongoing
    ? ` It had not recovered ${until}.`
    : unmonitored
      ? ` Whether it recovered after ${lastDay} is not known: it is no longer monitored.`
    : first.subject_kind === 'guard'
      ? ` Nothing more after ${lastDay}: find out what changed (the bypass taken out of the code, the exception renewed), so it is known rather than lucky.`
      : ` ${first.subject_kind === 'route' ? 'Requests' : 'Runs'} after ${lastDay} were normal again: find out what changed back (a fix, a rotated key, an upstream recovery), so it is known rather than lucky.`;
  // A run is its id at a time: a job may use one id for every run.
  const affected = new RunIndex(subjectRuns).runsOf(findings);
  const recorded = subjectRuns.filter((r) => r.ts >= firstAt && r.ts <= lastAt);
  /** Where a lasting change began: before the month, for a recurring group that affected it from its start. */
  const changeAt = (fromStart: boolean, day: string) => (ctx.recurring && fromStart ? 'before the month began' : `on or just before ${day}`);
  const since = (fromStart: boolean) =>
    ctx.recurring?.lastMonthFirstDay && fromStart ? `; last month's first finding was on ${ctx.recurring.lastMonthFirstDay}` : '';
  if (affected.size > 0 && recorded.length > 0) {
    // A run records itself when it ends: one that never ended (run-unfinished, an agent run judged as it stands) is one of them too.
    const inWindow = new Set([...recorded.map(runKey), ...affected]);
    const hit = [...inWindow].filter((id) => affected.has(id)).length;
    if (hit === inWindow.size) {
      // From the month's start: no run of the month before the first affected one was normal.
      const fromStart = !subjectRuns.some((r) => r.ts < firstAt && !affected.has(runKey(r)));
      return `Every run ${span(firstDay, lastDay)} was affected (${hit} of ${inWindow.size}): a lasting change at the source ${changeAt(fromStart, firstDay)} (a deploy, a credential, a configuration or an upstream change) rather than a passing fault${since(fromStart)}.${recovery}`;
    }
    return `Intermittent: ${hit} of ${inWindow.size} runs ${firstDay === lastDay ? `on ${firstDay}` : `between ${firstDay} and ${lastDay}`}, with normal runs in between: points to a flaky dependency, a race, or load- or time-dependent behaviour rather than one change.${ongoing ? ` Still happening ${ctx.asOf !== undefined ? `as of ${ctx.asOf}` : 'at the end of the month'}.` : ''}`;
  }
  if (!single && windowed && ongoing && days.length === 1) {
    // One window over the days it judged (the month's), still happening: no burst on its days.
    const beganDay = day(new Date(ctx.occurrences?.[0]?.fromMs ?? beganAt(first)).toISOString());
    return `Over its window from ${beganDay} to ${lastDay} rather than in one burst, and not known to have stopped ${until}: a lasting problem at the source or upstream rather than a passing fault.`;
  }
  if (days.length > 1 && consecutiveDays(days)) {
    return `On every day from ${days[0]} to ${days[days.length - 1]}: a lasting change at the source ${changeAt(days[0] === ctx.recurring?.monthFirstDay, days[0])} rather than a passing fault${since(days[0] === ctx.recurring?.monthFirstDay)}.${recovery}`;
  }
  if (days.length > 1) {
    return `On ${days.length} separate days between ${days[0]} and ${days[days.length - 1]}, not in a row: it comes and goes rather than staying broken, so look for what those days have in common.`;
  }
  return `${plural(findings.length, 'occurrence')}, all on ${firstDay}: something that went wrong that day.`;
}

/** All at one UTC hour, or on one weekday, while the subject runs at others. */
function clustering(ctx: CauseContext): string[] {
  const { findings, subjectRuns } = ctx;
  if (findings.length < 3) return [];
  const out: string[] = [];
  const at = findings.map(happenedAtIso);
  const hours = new Set(at.map((iso) => iso.slice(11, 13)));
  const runHours = new Set(subjectRuns.map((r) => r.ts.slice(11, 13)));
  if (hours.size === 1 && runHours.size >= 3) {
    const hour = [...hours][0];
    out.push(`All ${findings.length} between ${hour}:00 and ${hour}:59 UTC, while it also runs at other hours: look at what else happens then (backups, batch loads, maintenance windows, quota resets).`);
  }
  const weekdays = new Set(at.map((iso) => new Date(iso).getUTCDay()));
  const runWeekdays = new Set(subjectRuns.map((r) => new Date(r.ts).getUTCDay()));
  const spanDays = (Date.parse(at[at.length - 1]) - Date.parse(at[0])) / 86_400_000;
  if (weekdays.size === 1 && (runWeekdays.size >= 3 || (subjectRuns.length === 0 && spanDays >= 14))) {
    out.push(`All on a ${WEEKDAYS[[...weekdays][0]]}: look for a weekly job, report or traffic peak that coincides.`);
  }
  return out;
}

/**
 * The failures that come without an exit code of their own (Lambda's timeout and report status,
 * systemd's kill by signal, its result and a failed dependency), as the parsers word them: a
 * finding stored before `exit_code_inferred` was written holds the 1 its run was given, and one
 * of these as its `failure`.
 */
const FAILURE_WITHOUT_CODE = /^(?:timeout(?: after .+)?|error|failure|systemd result '.*'|dependency failed|.* (?:killed|dumped core|\w+) (?:by|on) signal \w+)$/;

function exitCodeInferred(evidence: Finding['evidence']): boolean {
  if (evidence?.exit_code_inferred === true) return true;
  return evidence?.exit_code === 1 && typeof evidence.failure === 'string' && FAILURE_WITHOUT_CODE.test(evidence.failure);
}

function counted(values: readonly unknown[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== undefined && v !== null) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || compareNames(a[0], b[0]));
}

/** The budget limits a finding keeps in its evidence (budget-exceeded's), as the cause words each. */
const BUDGET_LIMITS: readonly (readonly [string, (value: number) => string])[] = [
  ['max_actions', String],
  ['max_cost_usd', formatUsd],
];

/**
 * Whether a finding was judged by its agent's configured budget (`agents.<name>.budget`) on a root
 * run: not by a run's own `agent.start` budget (one run's, not the agent's) nor a sub-agent's own.
 */
function judgedByAgentBudget(f: Finding): boolean {
  return f.evidence?.budget_source === 'config' && f.run_id !== undefined && f.run_id === f.evidence?.root_run_id;
}

/**
 * When the budget the findings (oldest first) were judged by changed in the month: `max_actions was
 * 20 before 2026-10-15 and 10 since`, or each value from its first day when it changed more than
 * once. Findings that start, or grow, with a tighter budget are not a change at the source. Only the
 * findings keep the budget: a budget first set in the month, with no finding before it, cannot be told.
 * Only the agent's configured budget is compared (`judgedByAgentBudget`): per-run and sub-agent budgets differ by design.
 */
function budgetChanges(findings: readonly Finding[]): string | undefined {
  const parts: string[] = [];
  const judged = findings.filter(judgedByAgentBudget);
  for (const [key, show] of BUDGET_LIMITS) {
    const changes: { value: number; from: string }[] = [];
    for (const f of judged) {
      const value = f.evidence?.[key];
      if (typeof value !== 'number' || changes.at(-1)?.value === value) continue;
      changes.push({ value, from: day(happenedAtIso(f)) });
    }
    if (changes.length < 2) continue;
    parts.push(
      changes.length === 2
        ? `${key} was ${show(changes[0].value)} before ${changes[1].from} and ${show(changes[1].value)} since`
        : `${key} was ${changes.map((c, i) => `${show(c.value)}${i === 0 ? '' : ` from ${c.from}`}`).join(', then ')}`,
    );
  }
  if (parts.length === 0) return undefined;
  return `The budget the findings were judged by changed in the month: ${parts.join('; ')}. Findings that start or grow with a tighter budget come from the new limit, not necessarily from a change in what the agent does.`;
}

/** What the evidence names: error markers, exit codes, failure kinds, how the size or time changed. */
function fromEvidence(findings: readonly Finding[]): string[] {
  const out: string[] = [];
  const ev = (key: string) => findings.map((f) => f.evidence?.[key]);

  const keywords = counted(ev('keyword'));
  if (keywords.length) {
    const meanings = [...new Set(keywords.flatMap(([k]) => KEYWORD_CAUSES.filter(([re]) => re.test(k)).map(([, why]) => why)))];
    out.push(`Markers seen: ${keywords.map(([k, n]) => `"${k}" ×${n}`).join(', ')}${meanings.length ? `: ${meanings.join('; ')}` : ''}.`);
  }

  // A code a failure marker did not give (a timeout, a kill by signal: `exit_code_inferred`) says nothing; its `failure` does.
  const exitCodes = counted(findings.map((f) => (exitCodeInferred(f.evidence) ? undefined : f.evidence?.exit_code))).filter(([code]) => code !== '0');
  if (exitCodes.length) {
    const meanings = exitCodes.flatMap(([code]) => (EXIT_CODE_CAUSES[Number(code)] ? [`${code}: ${EXIT_CODE_CAUSES[Number(code)]}`] : []));
    out.push(`Exit codes: ${exitCodes.map(([c, n]) => `${c} ×${n}`).join(', ')}${meanings.length ? ` (${meanings.join('; ')})` : ''}.`);
  }

  const failures = counted(ev('failure'));
  if (failures.length) out.push(`Failure kinds: ${failures.map(([f, n]) => `${f} ×${n}`).join(', ')}.`);

  const budget = budgetChanges(findings);
  if (budget) out.push(budget);

  const reasons = counted(ev('reason'));
  if (reasons.length === 1 && findings.length > 1) out.push(`The same kind every time (${reasons[0][0]}, ${findings.length} of ${findings.length}): one cause, not several.`);

  for (const [key, unit] of [
    ['output_bytes', 'bytes'],
    ['duration_ms', 'ms'],
  ] as const) {
    const values = ev(key).filter((v): v is number => typeof v === 'number');
    const baselines = ev('median').filter((v): v is number => typeof v === 'number');
    if (values.length < 2 || baselines.length === 0) continue;
    const show = unit === 'bytes' ? formatBytes : formatDuration;
    const lo = minOf(values);
    const hi = maxOf(values);
    const typical = median(values) ?? lo;
    const base = median(baselines) ?? baselines[0];
    const what = unit === 'bytes' ? 'output' : 'duration';
    if (lo > 0 && hi <= lo * 1.25) {
      // Above the usual, a multiple (as the findings word it: 5.1× the median); below it, a share.
      const against = typical >= base ? `${(typical / base).toFixed(1)}×` : `${Math.round((typical / base) * 100)}% of`;
      out.push(
        `The ${what} was steady at about ${show(typical)} (${against} the usual ${show(base)}): the work itself changed (a query, filter, path or upstream that now yields ${unit === 'bytes' ? 'less' : 'a different amount'}), not random truncation.`,
      );
    } else {
      out.push(`The ${what} varied from ${show(lo)} to ${show(hi)} against a usual ${show(base)}: results that differ run to run, as when a timeout or paging cuts work short.`);
    }
  }
  return out;
}

export function narrowCause(ctx: CauseContext): string[] {
  const out: string[] = [];
  const shape = shapeOverTime(ctx);
  if (shape) out.push(shape);
  out.push(...clustering(ctx), ...fromEvidence(ctx.findings));
  if (ctx.alsoOnSameRuns.length) {
    out.push(`The same runs also raised ${ctx.alsoOnSameRuns.map((a) => `${a.detector} (${a.count})`).join(', ')}: one cause is likely behind all of them.`);
  }
  return out;
}
