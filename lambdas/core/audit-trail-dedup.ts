import { createHash } from 'node:crypto';
import { type AuditEvent, contentIdentity, numberedRotationBase, partOf, unrotatedName } from './events.ts';
import { takenAsCounted } from './token-ring.ts';

/**
 * Recognising lines seen before, for reducers that count lines rather than runs (guard bypasses,
 * audit writes): a redelivered CloudWatch batch, or a file scanned again into the same store,
 * must not count twice. Two marks are kept, both bounded:
 *
 * - each line's fingerprint: the CloudWatch event id when there is one, else the file's resolved
 *   path with its name as rotation leaves it (`unrotatedName`, or the file it was rotated from:
 *   `LineSource.rotatedFrom`; stdin a source of its own) with the
 *   line's time and content (`contentIdentity`), so that a file read again rotated (`app.log.1`),
 *   by another spelling of its path (`./out/app.log`) or from another line (an overlapping window)
 *   counts nothing twice, while two hosts' files (`host1.log`, `host2.log`, `10.0.0.1`) count apart;
 * - the fingerprint of a whole group (one subject's lines of one batch), so that a redelivered
 *   batch is recognised at once however many lines it holds.
 */

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

export function lineFingerprint(event: AuditEvent): string {
  const s = event.source;
  return s.eventId !== undefined ? shortHash(`id:${s.eventId}${partOf(s)}`) : fileLineFingerprint(s.rotatedFrom ?? s.origin, event);
}

function fileLineFingerprint(file: string, event: AuditEvent): string {
  return shortHash(`at:${unrotatedName(file)}|${contentIdentity(event)}`);
}

/**
 * Whether a line of a file named as logrotate's `extension .log` numbers its rotations (`app.1.log`)
 * with no `app.log` beside it (so not `LineSource.rotatedFrom` it) is remembered as a line of
 * `app.log`, at the same time with the same content: `app.log` scanned, then renamed `app.1.log`
 * before the app wrote a new `app.log` (logrotate without `create`). It was counted then, and is now
 * remembered by its own fingerprint as well (the caller's). A per-worker `worker.1.log` counts apart
 * from a `worker.log` but for a line the same to the millisecond.
 */
export function rememberedUnderRotationBase(remembered: ReadonlySet<string>, event: AuditEvent): boolean {
  const s = event.source;
  if (s.eventId !== undefined || s.rotatedFrom !== undefined) return false;
  const base = rotationBaseOf(s.origin);
  return base !== undefined && remembered.has(fileLineFingerprint(base, event));
}

/** `numberedRotationBase` of the file read last: a file's lines come one after another, so its name is read once. */
function rotationBaseOf(origin: string): string | undefined {
  if (origin !== lastBase.origin) lastBase = { origin, base: numberedRotationBase(origin) };
  return lastBase.base;
}
let lastBase: { origin: string; base: string | undefined } = { origin: '', base: undefined };

/**
 * The fingerprint versions before 2026-12-07 gave a file's line (its file, line number, time and
 * type): a line a store remembers by it was counted already (`app.log` scanned by such a version,
 * then again by this one). Undefined for a line with an event id, whose fingerprint is unchanged.
 */
function legacyLineFingerprint(event: AuditEvent): string | undefined {
  const s = event.source;
  return s.eventId !== undefined ? undefined : shortHash(`at:${s.origin}|${s.logStream ?? ''}|${s.line ?? ''}${partOf(s)}|${event.at}|${event.body.type}`);
}

/**
 * Whether a line is remembered by its fingerprint of before 2026-12-07 (`legacyLineFingerprint`):
 * it was counted then, and is now remembered by its fingerprint as well (the caller's).
 */
export function rememberedByLegacyFingerprint(remembered: ReadonlySet<string>, event: AuditEvent): boolean {
  const legacy = legacyLineFingerprint(event);
  return legacy !== undefined && remembered.has(legacy);
}

export function groupFingerprint(fingerprints: readonly string[]): string {
  return shortHash(fingerprints.join(','));
}

/**
 * The line marks a reducer keeps: fingerprints with the event time of their line (`seenAt`, same
 * order), and the time up to which marks were forgotten. States stored before `seenAt` was kept
 * read as marks of unknown time, the first to be forgotten.
 */
export interface LineMarks {
  readonly seen: readonly string[];
  readonly seenAt?: readonly number[];
  /** The latest event time of a forgotten mark: a line at or before it that is not remembered is taken as counted. */
  readonly seenUntil?: number;
}

/**
 * Whether a line was counted before: remembered, or as old as the marks already forgotten and an
 * hour behind the latest mark (`DELIVERY_LAG_MS`). A line that old cannot be told apart from one
 * counted and forgotten, so it is taken as counted: a re-read of old history never counts twice,
 * at the cost of not counting a line first read that late, after the newest `limit` lines of later
 * times. (Marks stored without times take the forgotten time alone, as before.)
 */
export function seenBefore(marks: LineMarks, remembered: ReadonlySet<string>, print: string, at: number): boolean {
  const latest = marks.seenAt !== undefined && marks.seenAt.length > 0 ? marks.seenAt[marks.seenAt.length - 1] : Number.POSITIVE_INFINITY;
  return remembered.has(print) || takenAsCounted(at, marks.seenUntil, latest);
}

/**
 * The marks with the new ones added, keeping the `limit` of the latest event times: a line of old
 * history read again cannot push out the marks of the lines read next.
 */
export function rememberLines(marks: LineMarks, fresh: readonly { readonly print: string; readonly at: number }[], limit: number): Required<Pick<LineMarks, 'seen' | 'seenAt'>> & Pick<LineMarks, 'seenUntil'> {
  const known = marks.seenAt ?? [];
  const unknown = Math.max(0, marks.seen.length - known.length);
  // The kept marks are in time order already (marks of unknown time first, as time 0): the few new
  // ones are sorted and merged in, a mark kept before a new one of the same time.
  const timeOf = (i: number) => (i < unknown ? 0 : known[i - unknown]);
  const added = fresh.length > 1 ? [...fresh].sort((a, b) => a.at - b.at) : fresh;
  const total = marks.seen.length + added.length;
  const drop = Math.max(0, total - limit);
  const seen: string[] = [];
  const seenAt: number[] = [];
  let forgotten = marks.seenUntil ?? 0;
  for (let i = 0, j = 0, n = 0; n < total; n++) {
    const old = i < marks.seen.length && (j >= added.length || timeOf(i) <= added[j].at);
    const print = old ? marks.seen[i] : added[j].print;
    const at = old ? timeOf(i++) : added[j++].at;
    if (n < drop) forgotten = Math.max(forgotten, at);
    else {
      seen.push(print);
      seenAt.push(at);
    }
  }
  return { seen, seenAt, ...(forgotten > 0 ? { seenUntil: forgotten } : {}) };
}

/** The list with the new marks appended, keeping only the latest `limit`. */
export function rememberBounded(list: readonly string[], marks: readonly string[], limit: number): string[] {
  const next = [...list, ...marks];
  return next.length > limit ? next.slice(next.length - limit) : next;
}
