import { type Config, idTooLong, nameAsLogged, SNOOZE_ID_PATTERN } from '../config.ts';
import { textAsLogged } from './exception-registry.ts';
import { DETECTOR_IDS } from '../detectors/ids.ts';
import type { Snooze, SnoozeRegistry, SnoozeStore } from '../ports.ts';
import type { Suppression } from './alert-policy.ts';
import type { Finding } from './findings.ts';
import { noSuchDay } from './parse-time.ts';
import { routeTemplate } from './route-template.ts';
import { cronOf } from './schedule.ts';

/**
 * Snoozes and maintenance windows: findings they cover are stored (and reported) but not alerted.
 * Each names an owner, a reason and an end; none is open-ended (that would be the bypass pattern
 * the auditor exists to catch). A snooze covers findings decided while it runs (`now` < `until`);
 * a maintenance window covers findings whose time (`ts`) falls inside it.
 */

const DAY_MS = 86_400_000;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS } as const;

export class SnoozeRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnoozeRefusedError';
  }
}

/** The config's snoozes as records (id `config-<n>` unless they name one). */
export function configSnoozes(config: Config): Snooze[] {
  return config.snoozes.map((s, i) => ({
    id: s.id ?? `config-${i + 1}`,
    subject: s.subject,
    ...(s.detector ? { detector: s.detector } : {}),
    owner: textAsLogged(s.owner, config.redact),
    reason: textAsLogged(s.reason, config.redact),
    until: s.until,
    status: 'active',
    origin: 'config',
  }));
}

/**
 * Every snooze: the store's, then the config's. The config's all hold: a stored snooze never hides
 * one (`snooze add` refuses their ids; one stored before it did stands beside it). Only a stored
 * record of config origin gives way to the config's entry of its id. A stored snooze's subject is
 * read as log lines now name it (`nameAsLogged`, with the config's `redact`), as the config's
 * are: one added before a redact pattern matching its job was goes on holding that job.
 */
export async function allSnoozes(config: Config, registry?: SnoozeRegistry): Promise<Snooze[]> {
  const stored = (registry ? await registry.list() : []).map((s) => snoozeAsLogged(s, config));
  const configured = configSnoozes(config);
  const ids = new Set(configured.map((s) => s.id));
  return [...stored.filter((s) => s.origin !== 'config' || !ids.has(s.id)), ...configured];
}

/**
 * A stored snooze as one is now kept: its subject as log lines name it, its owner, reasons and
 * actors redacted (one stored before they were comes back redacted too). The same object when clean.
 */
function snoozeAsLogged(s: Snooze, config: Config): Snooze {
  const subject = nameAsLogged(s.subject, config);
  const texts = { owner: s.owner, reason: s.reason, created_by: s.created_by, ended_by: s.ended_by, end_reason: s.end_reason };
  const redacted = Object.fromEntries(Object.entries(texts).flatMap(([key, text]) => (text === undefined ? [] : [[key, textAsLogged(text, config.redact)]])));
  const clean = subject === s.subject && Object.entries(redacted).every(([key, text]) => texts[key as keyof typeof texts] === text);
  return clean ? s : { ...s, ...redacted, subject };
}

/** The id a snooze of the config file takes when it names none: `config-<n>`. */
const CONFIG_ID = /^config-/;

export type SnoozeStanding = 'active' | 'expired' | 'ended';

export function snoozeStanding(s: Snooze, now: number): SnoozeStanding {
  if (s.status === 'ended') return 'ended';
  return Date.parse(s.until) > now ? 'active' : 'expired';
}

export type MaintenanceWindow = Config['maintenance_windows'][number];

/** Whether a moment lies inside a maintenance window (once, or one of its recurring occurrences). */
export function inMaintenanceWindow(w: MaintenanceWindow, at: number): boolean {
  if (w.cron === undefined) return w.start !== undefined && w.end !== undefined && at >= Date.parse(w.start) && at < Date.parse(w.end);
  if (w.until === undefined || w.duration_minutes === undefined || at >= Date.parse(w.until)) return false;
  const length = w.duration_minutes * 60_000;
  // The first occurrence starting after `at − length`: `at` is inside it when it started by `at`.
  const start = cronOf(w.cron, { paused: true, timezone: w.timezone }).nextRun(new Date(at - length));
  return start !== null && start.getTime() <= at;
}

/** A maintenance window's name, or `maintenance-<n>` when it has none. */
export function windowId(w: MaintenanceWindow, index: number): string {
  return w.name ?? `maintenance-${index + 1}`;
}

/**
 * The rule that holds a finding back at `now`, if any: an active snooze on its subject (and
 * detector, when the snooze names one), else a maintenance window of its subject around its time.
 */
export function suppressionFor(finding: Finding, now: number, snoozes: readonly Snooze[], windows: readonly MaintenanceWindow[]): Suppression | undefined {
  const snooze = snoozes.find((s) => namesSubject(s.subject, finding) && (s.detector === undefined || s.detector === finding.detector) && snoozeStanding(s, now) === 'active');
  if (snooze) return { kind: 'snoozed', id: snooze.id, owner: snooze.owner, reason: snooze.reason, until: snooze.until };
  const at = Date.parse(finding.ts);
  const index = windows.findIndex(
    (w) => w.subjects.some((subject) => namesSubject(subject, finding)) && (w.detectors === undefined || w.detectors.includes(finding.detector)) && inMaintenanceWindow(w, at),
  );
  if (index < 0) return undefined;
  const w = windows[index];
  return { kind: 'maintenance', id: windowId(w, index), owner: w.owner, reason: w.reason, until: w.end ?? w.until ?? '' };
}

/**
 * Whether a snooze's or a maintenance window's subject names the finding's: the same name, or, for a
 * route, the route as its lines logged it (`GET /users/123`), whose template the findings name, as a
 * `routes` key so written does. Only a route's: a job's path is never read as a template.
 */
function namesSubject(named: string, finding: Finding): boolean {
  return named === finding.subject || (finding.subject_kind === 'route' && routeTemplate(named) === finding.subject);
}

/** `+3d`, `12h`, `90m`, `2w` from `now`, or an ISO-8601 time (UTC without an offset), or a date (its end, UTC). */
export function parseUntil(value: string, now: number): number {
  const text = value.trim();
  const relative = /^\+?(\d+)([mhdw])$/.exec(text);
  if (relative) return now + Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  const impossible = noSuchDay(text);
  if (impossible) throw new SnoozeRefusedError(`--until ${value}: ${impossible}; give a date that exists (its end, UTC), a duration from now (12h, 3d, 2w) or an ISO-8601 time`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(text))) return Date.parse(text) + DAY_MS;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(Date.parse(zoned))) {
    throw new SnoozeRefusedError(`--until ${value}: expected a duration from now (12h, 3d, 2w) or an ISO-8601 time (2026-11-01T06:00:00Z) or a date (its end, UTC)`);
  }
  return Date.parse(zoned);
}

export interface SnoozeRequest {
  readonly id: string;
  readonly subject?: string;
  readonly detector?: string;
  readonly owner?: string;
  readonly reason?: string;
  readonly until?: string;
  readonly by: string;
}

/**
 * Adds a snooze after checking it: a subject, an owner, a reason and an end that lies in the
 * future and at most `maxDays` ahead. A refusal says what is missing and what to do. The subject
 * is stored as log lines name it (`nameAsLogged`, with the config's `redact`), as a config
 * snooze's is: a cron job written as its command holds that job, and no secret in it is stored.
 */
export async function addSnooze(
  store: SnoozeStore,
  req: SnoozeRequest,
  rules: {
    readonly now: number;
    readonly maxDays: number;
    readonly redact?: Config['redact'];
    /** The ids of the config file's snoozes (`configSnoozes`): refused, as a stored snooze of one would stand beside it under one id. */
    readonly configIds?: readonly string[];
  },
): Promise<Snooze> {
  const id = req.id.trim();
  if (id === '') throw new SnoozeRefusedError('--id is empty: give an id, or leave --id out for one made up (SZ-<date>-<random>)');
  const tooLong = idTooLong(id);
  if (tooLong) throw new SnoozeRefusedError(`--id: a snooze id is ${tooLong}; choose a shorter one, or leave --id out`);
  if (!SNOOZE_ID_PATTERN.test(id)) throw new SnoozeRefusedError(`--id ${id}: letters, digits, \`.\`, \`_\` and \`-\` only, as a config snooze's id; choose another id, or leave --id out`);
  if (CONFIG_ID.test(id)) throw new SnoozeRefusedError(`--id ${id}: ids config-<n> name the config file's snoozes; choose another id, or leave --id out`);
  if (rules.configIds?.includes(id)) throw new SnoozeRefusedError(`--id ${id}: the config file has a snooze with this id; choose another id, or leave --id out`);
  const missing = (['subject', 'owner', 'reason', 'until'] as const).filter((k) => !req[k]?.trim());
  if (missing.length > 0) {
    const hint = missing.includes('until') ? ' A snooze without an end is a bypass, not a pause: give --until (e.g. 3d, at most the max).' : '';
    throw new SnoozeRefusedError(`a snooze needs ${missing.map((k) => `--${k}`).join(', ')}.${hint}`);
  }
  if (req.detector !== undefined && !(DETECTOR_IDS as readonly string[]).includes(req.detector)) {
    throw new SnoozeRefusedError(`--detector ${req.detector}: not a detector id (${DETECTOR_IDS.join(', ')})`);
  }
  const until = parseUntil(req.until!, rules.now);
  if (until <= rules.now) throw new SnoozeRefusedError(`--until ${req.until}: lies in the past; a snooze must end in the future`);
  if (until - rules.now > rules.maxDays * DAY_MS) {
    throw new SnoozeRefusedError(
      `--until ${req.until}: ends ${Math.ceil((until - rules.now) / DAY_MS)} days from now; a snooze may last at most ${rules.maxDays} days (defaults.max_snooze_days). Snooze again when it ends, or fix the cause.`,
    );
  }
  const snooze: Snooze = {
    id,
    subject: nameAsLogged(req.subject!.trim(), rules),
    ...(req.detector ? { detector: req.detector } : {}),
    owner: textAsLogged(req.owner!.trim(), rules.redact),
    reason: textAsLogged(req.reason!.trim(), rules.redact),
    until: new Date(until).toISOString(),
    status: 'active',
    origin: 'cli',
    created_at: new Date(rules.now).toISOString(),
    created_by: textAsLogged(req.by, rules.redact),
  };
  if ((await store.add(snooze)) === 'exists') throw new SnoozeRefusedError(`snooze ${id} exists already`);
  return snooze;
}

/** Ends an active snooze early, keeping its record; refuses one ended or expired already. */
export async function endSnooze(store: SnoozeStore, given: string, req: { readonly by: string; readonly reason?: string }, now: number, redact?: Config['redact']): Promise<Snooze> {
  // Read without spaces around it, as `add --id` is.
  const id = given.trim();
  const existing = (await store.list()).find((s) => s.id === id);
  if (!existing) throw new SnoozeRefusedError(`no stored snooze ${id} (a snooze from the config file ends when it is removed from the file)`);
  if (existing.status === 'ended') throw new SnoozeRefusedError(`snooze ${id} was ended already (${existing.ended_at} by ${existing.ended_by})`);
  // One past its end holds nothing back any more; ending it would record a later end than it had.
  if (snoozeStanding(existing, now) === 'expired') throw new SnoozeRefusedError(`snooze ${id} expired at ${existing.until}; nothing to end`);
  const ending = { at: new Date(now).toISOString(), by: textAsLogged(req.by, redact), reason: textAsLogged(req.reason?.trim() || 'ended by hand', redact) };
  if ((await store.end(id, ending)) === 'conflict') throw new SnoozeRefusedError(`snooze ${id} changed meanwhile; list the snoozes and try again`);
  return { ...existing, status: 'ended', ended_at: ending.at, ended_by: ending.by, end_reason: ending.reason };
}
