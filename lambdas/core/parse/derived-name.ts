import { createHash } from 'node:crypto';
import { identifierFits, MAX_ID_BYTES, MAX_ID_CHARS } from '../events.ts';
import type { AuditEvent } from '../events.ts';
import { unitPrefix } from '../output-capture.ts';
import { BUILTIN_REDACTOR, type Redactor } from '../redact.ts';

/** The fields of an event that become parts of storage keys (`events.ts` bounds them on instrumented lines). */
const KEY_FIELDS = ['job', 'run_id', 'parent_run_id', 'agent', 'tool', 'route', 'guard', 'request_id', 'exception_id', 'call_id', 'host'] as const;

/** Characters of a long name kept before the digest. */
export const SHORT_NAME_PREFIX_CHARS = 200;
/** Bytes of UTF-8 the kept prefix may take, so that prefix + '…' + digest stays within `MAX_ID_BYTES`. */
const PREFIX_BYTES = MAX_ID_BYTES - 20;

/** Characters `shortenName` adds after the kept prefix: '…' and an 8-character digest. */
const DIGEST_PART_CHARS = 9;

/**
 * A name a parser derived from free text (a cron CMD line's command, a systemd unit's description),
 * bounded like an instrumented identifier: a long one becomes its first ~200 characters, '…' and an
 * 8-character digest of the whole. The same text always gives the same name, and two long
 * commands that differ only after the prefix keep different names.
 *
 * `suffixChars` leaves room for an ASCII suffix of that many characters that the caller appends
 * (exec's run id: the job, then its start time and a random part), so name + suffix fits too.
 * `redactor`: the rules the name was redacted with (`redactorFor(config)`, with the config's own
 * `redact` patterns), which must read the shortened name back as itself.
 */
export function shortenName(name: string, suffixChars = 0, redactor: Redactor = BUILTIN_REDACTOR): string {
  const fits = suffixChars === 0 ? identifierFits(name) : name.length + suffixChars <= MAX_ID_CHARS && Buffer.byteLength(name, 'utf8') + suffixChars <= MAX_ID_BYTES;
  if (fits) return name;
  const prefixBytes = PREFIX_BYTES - suffixChars;
  let end = Math.min(name.length, SHORT_NAME_PREFIX_CHARS, MAX_ID_CHARS - DIGEST_PART_CHARS - suffixChars);
  // Characters beyond ASCII take more bytes: cut further until the prefix fits.
  for (let bytes = Buffer.byteLength(name.slice(0, end), 'utf8'); bytes > prefixBytes; bytes = Buffer.byteLength(name.slice(0, end), 'utf8')) {
    end = Math.min(end - 1, Math.floor((end * prefixBytes) / bytes));
  }
  const digest = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  // Never cut a surrogate pair in two. A plain cut that the rules leave as it is stays the
  // name it always was (stored states and configs keep their keys).
  let short = `${unitPrefix(name, end)}…${digest}`;
  if (redactor.redactText(short) === short) return short;
  end = markerSafeEnd(name, end, MAX_ID_CHARS - DIGEST_PART_CHARS - suffixChars, prefixBytes);
  short = `${unitPrefix(name, end)}…${digest}`;
  // A cut that leaves a secret's label before the digest (`token=…1f0c9a2e`, from `token= x`)
  // would be redacted again when the name is read back (a config key): cut further back, before
  // the token holding the label, until the rules leave the name as it is.
  while (end > 0 && redactor.redactText(short) !== short) {
    end = tokenStart(name, end - 1);
    short = `${unitPrefix(name, end)}…${digest}`;
  }
  return short;
}

/**
 * Where to cut before the token that holds `name[at]`: at the whitespace before it; in a text
 * without whitespace before `at`, one character back (keeping a start rather than none).
 */
function tokenStart(name: string, at: number): number {
  for (let i = at; i > 0; i--) if (/\s/.test(name[i - 1])) return i - 1;
  return at;
}

/** A redaction marker (`[REDACTED:<rule>]`) starting at `lastIndex`. */
const MARKER_AT = /\[REDACTED:[^\]\s]+\]/y;

/**
 * Where to end the kept prefix so that it never ends inside a redaction marker: a cut marker
 * (`--password=[REDACTE…`) is no marker, so redacting the shortened name again (as the config
 * loader does with a job name written as a key) would replace it and name another job. The whole
 * marker is kept when it fits the bounds (redaction leaves a marker as it is; cutting before it
 * would leave its label, `--password=`, for redaction to fill again), else the cut goes before the
 * token holding it (at the whitespace before `--password=[…`). An `end` outside every marker is
 * kept, so every other name stays as it was.
 */
function markerSafeEnd(name: string, end: number, maxUnits: number, maxBytes: number): number {
  // From `end` itself: a marker starting right at the cut would leave its label last.
  const start = name.lastIndexOf('[REDACTED:', end);
  if (start < 0) return end;
  MARKER_AT.lastIndex = start;
  if (!MARKER_AT.test(name)) return end;
  const markerEnd = MARKER_AT.lastIndex;
  if (markerEnd <= end) return end;
  if (markerEnd <= maxUnits && Buffer.byteLength(name.slice(0, markerEnd), 'utf8') <= maxBytes) return markerEnd;
  return start === 0 ? 0 : tokenStart(name, start);
}

/**
 * The events with every key field within the identifier bound (`shortenName`). Parsers of system
 * logs derive names from free text; instrumented lines were already held to the bound by validation,
 * so this only changes one whose redaction made a field longer. Returns the same array when nothing
 * changed. `redactor`: the one the events were redacted with.
 */
export function boundKeyFields(events: AuditEvent[], redactor: Redactor = BUILTIN_REDACTOR): AuditEvent[] {
  let out: AuditEvent[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const body = events[i].body;
    const fixed = boundKeyFieldsOf(body, redactor);
    if (fixed === body) continue;
    out ??= events.slice();
    out[i] = { ...events[i], body: fixed };
  }
  return out ?? events;
}

/** One body with every key field within the identifier bound: the same object when nothing changed. */
export function boundKeyFieldsOf<T extends object>(body: T, redactor: Redactor = BUILTIN_REDACTOR): T {
  const fields = body as Record<string, unknown>;
  let fixed: Record<string, unknown> | undefined;
  for (const key of KEY_FIELDS) {
    const value = fields[key];
    if (typeof value !== 'string' || identifierFits(value)) continue;
    fixed ??= { ...fields };
    fixed[key] = shortenName(value, 0, redactor);
  }
  return (fixed as T | undefined) ?? body;
}
