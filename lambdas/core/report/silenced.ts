import type { Config } from '../../config.ts';
import type { Snooze } from '../../ports.ts';
import { textAsLogged } from '../exception-registry.ts';
import type { Finding } from '../findings.ts';
import { groupKey } from './groups.ts';
import { plural } from './format.ts';
import { isoSecond, type MonthSpan } from './month.ts';
import type { SilencedSection } from './model.ts';
import { inMaintenanceWindow, type MaintenanceWindow, suppressionFor, windowId } from '../snooze.ts';
import { cronOf } from '../schedule.ts';
import { compareNames } from '../name-order.ts';

/** A snooze or window that holds a subject's alerts back longer than this is itself a silent failure to review. */
const LONG_SILENCE_DAYS = 7;
const DAY_MS = 86_400_000;
/** Snoozes of one subject (and detector) closer than this follow one another: renewed back to back. */
const BACK_TO_BACK_MS = 3_600_000;

/** When a snooze began holding alerts back (undefined: a config file's, whose start is not recorded) and when it stopped. */
function heldSpan(s: Snooze): { fromMs?: number; toMs: number } {
  const until = Date.parse(s.until);
  const ended = s.status === 'ended' && s.ended_at !== undefined ? Date.parse(s.ended_at) : Number.POSITIVE_INFINITY;
  return { ...(s.created_at !== undefined ? { fromMs: Date.parse(s.created_at) } : {}), toMs: Math.min(until, ended) };
}

/** Days to a tenth, rounded up: a silence just over the limit never reads as the limit itself. */
const days = (ms: number) => Math.ceil((ms / DAY_MS) * 10) / 10;

/** Whether a window holds alerts back at some time in [fromMs, toMs): a one-off one overlapping it, a recurring one with an occurrence in it. */
function windowOverlaps(w: MaintenanceWindow, fromMs: number, toMs: number): boolean {
  if (w.cron === undefined) return w.start !== undefined && w.end !== undefined && Date.parse(w.start) < toMs && Date.parse(w.end) > fromMs;
  if (w.until === undefined || w.duration_minutes === undefined || Date.parse(w.until) <= fromMs) return false;
  if (inMaintenanceWindow(w, fromMs)) return true;
  const next = cronOf(w.cron, { paused: true, timezone: w.timezone }).nextRun(new Date(fromMs));
  return next !== null && next.getTime() < Math.min(toMs, Date.parse(w.until));
}

/**
 * What silenced alerts in the month: each snooze that held alerts back in it (stored and from the
 * config), each configured maintenance window with an occurrence in it, and the month's findings
 * they held back, judged by the alert policy's rule (`suppressionFor`: a snooze first, then a
 * window) but at each finding's own time, with the snoozes as they stood then: an estimate, as the
 * policy judges when it decides (a missed run after its grace) and the finding item keeps only that
 * it was decided (`alerted_at`), not what held it. A snooze longer than LONG_SILENCE_DAYS, a
 * window longer at a time (one-off or one recurring occurrence), or snoozes of a subject renewed
 * back to back past it, is an exception.
 */
export function silencedSection(input: {
  readonly span: MonthSpan;
  readonly snoozes: readonly Snooze[];
  readonly windows: readonly MaintenanceWindow[];
  readonly findings: readonly Finding[];
  readonly generatedAtMs: number;
  /** The config's redact patterns: a window's name, owner and reason are shown as a snooze's are (`textAsLogged`). */
  readonly redact?: Config['redact'];
}): SilencedSection {
  const { span, windows, findings } = input;
  const endMs = Math.min(span.toMs, input.generatedAtMs);
  const all = input.snoozes
    .map((s) => ({ s, ...heldSpan(s) }))
    .sort((a, b) => (a.fromMs ?? Number.NEGATIVE_INFINITY) - (b.fromMs ?? Number.NEGATIVE_INFINITY) || a.s.id.localeCompare(b.s.id));
  const inMonth = all.filter((x) => (x.fromMs === undefined || x.fromMs < endMs) && x.toMs > span.fromMs);
  // Each snooze as it stood while it held alerts back: active to its end (its `until`, or when it was ended).
  const asActive = inMonth.map((x) => ({ fromMs: x.fromMs ?? Number.NEGATIVE_INFINITY, recorded: x.fromMs !== undefined, snooze: { ...x.s, status: 'active' as const, until: isoSecond(x.toMs) } }));
  const unrecorded = new Set(asActive.filter((x) => !x.recorded).map((x) => x.snooze.id));
  // A window's name is the config's own text: shown as logged (its raw id still keys what it held).
  const monthWindows = windows
    .map((w, i) => ({ w, id: windowId(w, i) }))
    .filter(({ w }) => windowOverlaps(w, span.fromMs, endMs))
    .map((x) => ({ ...x, name: textAsLogged(x.id, input.redact) }));
  const windowName = new Map(monthWindows.map((x) => [x.id, x.name]));

  const heldBy = new Map<string, number>();
  const mayHaveHeldBy = new Map<string, number>();
  const groups = new Map<string, { detector: string; subject: string; held: number; mayHaveHeld: number; of: number; by: Set<string> }>();
  for (const f of findings) {
    const key = groupKey(f.detector, f.subject_kind, f.subject);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { detector: f.detector, subject: f.subject, held: 0, mayHaveHeld: 0, of: 0, by: new Set() }));
    g.of += 1;
    const at = Date.parse(f.ts);
    const standing = asActive.filter((x) => x.fromMs <= at);
    const first = suppressionFor(f, at, standing.map((x) => x.snooze), windows);
    // A config file's snooze may have been added after the finding (its start is not recorded): held for certain only by the others.
    const maybe = first?.kind === 'snoozed' && unrecorded.has(first.id);
    const held = maybe ? suppressionFor(f, at, standing.filter((x) => x.recorded).map((x) => x.snooze), windows) : first;
    if (!held && maybe) {
      mayHaveHeldBy.set(first.id, (mayHaveHeldBy.get(first.id) ?? 0) + 1);
      g.mayHaveHeld += 1;
      g.by.add(first.id);
    }
    if (!held) continue;
    const by = `${held.kind}\u0000${held.id}`;
    heldBy.set(by, (heldBy.get(by) ?? 0) + 1);
    g.held += 1;
    g.by.add(held.kind === 'maintenance' ? (windowName.get(held.id) ?? textAsLogged(held.id, input.redact)) : held.id);
  }

  const exceptions: string[] = [];
  const snoozes = inMonth.map(({ s, fromMs, toMs }) => {
    const length = toMs - (fromMs ?? span.fromMs);
    const exception =
      length > LONG_SILENCE_DAYS * DAY_MS
        ? `${s.id} (snooze on ${s.subject}${s.detector ? `, ${s.detector}` : ''}): ${fromMs === undefined ? 'at least ' : ''}${days(length)} days, longer than ${LONG_SILENCE_DAYS} days: a long silence is a silent failure of its own; fix the cause or end it.`
        : undefined;
    if (exception) exceptions.push(exception);
    return {
      id: s.id,
      subject: s.subject,
      ...(s.detector ? { detector: s.detector } : {}),
      origin: s.origin,
      owner: s.owner,
      reason: s.reason,
      ...(s.created_at ? { from: s.created_at } : {}),
      until: s.until,
      ...(s.created_by ? { createdBy: s.created_by } : {}),
      ...(s.status === 'ended' ? { endedAt: s.ended_at, endedBy: s.ended_by, endReason: s.end_reason } : {}),
      // `inMonth` kept only snoozes begun before the end: active at it when they stop after it.
      activeAtEnd: toMs > endMs,
      heldFindings: heldBy.get(`snoozed\u0000${s.id}`) ?? 0,
      ...(fromMs === undefined ? { mayHaveHeldFindings: mayHaveHeldBy.get(s.id) ?? 0 } : {}),
      ...(exception ? { exception } : {}),
    };
  });
  exceptions.push(...backToBack(all, snoozes, span.fromMs, endMs));

  const windowRows = monthWindows.map(({ w, id, name }) => {
    const length = w.cron === undefined ? Date.parse(w.end!) - Date.parse(w.start!) : w.duration_minutes! * 60_000;
    const exception = length > LONG_SILENCE_DAYS * DAY_MS ? `${name} (maintenance window on ${w.subjects.join(', ')}): ${days(length)} days at a time, longer than ${LONG_SILENCE_DAYS} days: shorten it, or fix the cause.` : undefined;
    if (exception) exceptions.push(exception);
    return {
      name,
      subjects: w.subjects,
      ...(w.detectors ? { detectors: w.detectors } : {}),
      owner: textAsLogged(w.owner, input.redact),
      reason: textAsLogged(w.reason, input.redact),
      ...(w.cron === undefined ? { start: w.start, end: w.end } : { cron: w.cron, ...(w.timezone ? { timezone: w.timezone } : {}), durationMinutes: w.duration_minutes, until: w.until }),
      activeAtEnd: inMaintenanceWindow(w, endMs),
      heldFindings: heldBy.get(`maintenance\u0000${id}`) ?? 0,
      ...(exception ? { exception } : {}),
    };
  });

  const held = [...groups.values()]
    .filter((g) => g.held > 0 || g.mayHaveHeld > 0)
    .map((g) => ({ detector: g.detector, subject: g.subject, held: g.held, ...(g.mayHaveHeld > 0 ? { mayHaveHeld: g.mayHaveHeld } : {}), of: g.of, by: [...g.by] }))
    .sort((a, b) => b.held - a.held || (b.mayHaveHeld ?? 0) - (a.mayHaveHeld ?? 0) || a.detector.localeCompare(b.detector) || compareNames(a.subject, b.subject));
  const heldFindings = held.reduce((n, g) => n + g.held, 0);
  const mayHaveHeldFindings = held.reduce((n, g) => n + (g.mayHaveHeld ?? 0), 0);
  const mayHaveHeld =
    mayHaveHeldFindings === 0 ? '' : ` ${heldFindings === 0 ? plural(mayHaveHeldFindings, 'finding') : `${mayHaveHeldFindings} more`} may have been held back by a snooze of the config file (its start is not recorded: it may have been added after the ${mayHaveHeldFindings === 1 ? 'finding' : 'findings'}).`;
  return {
    criteria:
      `A snooze or maintenance window holds back the alerts of the findings it covers: they are stored and counted in this report, but nobody was paged. ` +
      `Each names an owner, a reason and an end; one longer than ${LONG_SILENCE_DAYS} days, or snoozes renewed back to back past that, is an exception to review. ` +
      `The counts are an estimate from each finding's own time (a missed run's: when it was expected); the alert policy judged it when it decided (a missed run after its grace), so a snooze added or ended in between may have counted otherwise.`,
    consequence:
      (heldFindings === 0
        ? `No finding of ${span.label} had its alert held back by a snooze or maintenance window${mayHaveHeldFindings > 0 ? ' for certain' : ''}.`
        : `${plural(heldFindings, 'finding')} of ${span.label} (of ${findings.length}) had ${heldFindings === 1 ? 'its alert' : 'their alerts'} held back: nobody was paged for ${heldFindings === 1 ? 'it' : 'them'}.`) + mayHaveHeld,
    snoozes,
    windows: windowRows,
    heldFindings,
    mayHaveHeldFindings,
    held,
    exceptions,
  };
}

/**
 * Snoozes of one subject (and detector) that follow one another within an hour, together longer than
 * the limit and than the longest of them already flagged alone (an 8-day snooze renewed for 21 more
 * days is reported as the 29 days it is). Chains are built from all the snoozes, so one crossing the
 * month's boundary is whole; each chain that held alerts back in the month is reported.
 */
function backToBack(all: readonly { s: Snooze; fromMs?: number; toMs: number }[], rows: readonly { id: string; exception?: string }[], monthFromMs: number, monthEndMs: number): string[] {
  const flagged = new Set(rows.filter((r) => r.exception).map((r) => r.id));
  const byTarget = new Map<string, { s: Snooze; fromMs: number; toMs: number }[]>();
  for (const x of all) {
    if (x.fromMs === undefined) continue;
    const key = `${x.s.subject}\u0000${x.s.detector ?? ''}`;
    const entry = { s: x.s, fromMs: x.fromMs, toMs: x.toMs };
    const list = byTarget.get(key);
    if (list) list.push(entry);
    else byTarget.set(key, [entry]);
  }
  const out: string[] = [];
  for (const list of byTarget.values()) {
    let chain: typeof list = [];
    /** When the chain's latest snooze ends: a snooze starting more than BACK_TO_BACK_MS after it starts a new chain. */
    let end = -Infinity;
    const close = () => {
      const length = chain.length > 1 ? end - chain[0].fromMs : 0;
      const longestFlagged = Math.max(0, ...chain.filter((x) => flagged.has(x.s.id)).map((x) => x.toMs - x.fromMs));
      if (length > LONG_SILENCE_DAYS * DAY_MS && length > longestFlagged && chain[0].fromMs < monthEndMs && end > monthFromMs) {
        const s = chain[0].s;
        out.push(
          `${s.subject}${s.detector ? ` (${s.detector})` : ''} snoozed back to back by ${chain.map((x) => x.s.id).join(', ')}: ${days(length)} days from ${isoSecond(chain[0].fromMs).slice(0, 10)}, longer than ${LONG_SILENCE_DAYS} days: renewing a snooze again and again is a bypass; fix the cause.`,
        );
      }
      chain = [];
      end = -Infinity;
    };
    for (const x of list) {
      if (chain.length > 0 && x.fromMs > end + BACK_TO_BACK_MS) close();
      chain.push(x);
      end = Math.max(end, x.toMs);
    }
    close();
  }
  return out;
}
