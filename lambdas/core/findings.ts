import type { DetectorId } from '../detectors/ids.ts';
import type { LineSource } from './events.ts';
import type { Redactor } from './redact.ts';
import { isHighSurrogate, unitPrefix } from './output-capture.ts';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type SubjectKind = 'job' | 'agent' | 'tool' | 'route' | 'guard';

/** A finding record, contract §3. Extra fields beyond the contract are ours. */
export interface Finding {
  readonly detector: DetectorId;
  readonly subject: string;
  readonly subject_kind: SubjectKind;
  readonly run_id?: string;
  /** ISO-8601 time of what the finding is about (the run's end, the expected start, …). */
  readonly ts: string;
  readonly severity: Severity;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  /** `missed-run` only: when the run was expected. */
  readonly expected_at?: string;
  /**
   * What tells this finding from another of its detector, subject and second when neither
   * `run_id` nor `expected_at` does: a guard bypass line's fingerprint (two bypasses of one guard
   * in one second), an exception's id (two exceptions of one guard announced by one sweep), a tool
   * call's fingerprint (two bad calls of one tool in one second). Deterministic: the same line
   * always gives the same one, and a finding alone in its second has none whatever the order its
   * lines were read in; of two sharing a second, the one judged later takes it.
   */
  readonly instance?: string;
  /**
   * Where the subject's lines came from (an extension of contract §3): for a finding a batch made,
   * the lines of its subject in that batch; for one the sweep made (`missed-run`,
   * `run-unfinished`), where they were last seen. Absent when nothing of the subject was read.
   */
  readonly source?: FindingSource;
}

/**
 * A log group (deployed, `scan --log-group`), with its log stream when the lines came in one, or
 * a file (`scan`): one of `log_group` and `file`.
 */
export interface FindingSource {
  readonly log_group?: string;
  readonly log_stream?: string;
  readonly file?: string;
}

/**
 * Where a line came from, as a finding names it: its log group and stream (a line with an event id or
 * stream), else its file. A stream or file name may hold a secret (a token in a path): it is redacted
 * as the lines are (a log group's name cannot, by its charset), since the finding and the job state keep it.
 */
export function findingSourceOf(line: LineSource, redactor: Redactor): FindingSource {
  if (line.logStream === undefined && line.eventId === undefined) return { file: redactor.redactText(line.origin) };
  return line.logStream === undefined ? { log_group: line.origin } : { log_group: line.origin, log_stream: redactor.redactText(line.logStream) };
}

/** Whether two sources name the same place. */
export function sameSource(a: FindingSource | undefined, b: FindingSource | undefined): boolean {
  return a?.log_group === b?.log_group && a?.log_stream === b?.log_stream && a?.file === b?.file;
}

/**
 * Where the lines came from, as a finding names it: the latest line's log group (or file), and its
 * stream only when every line came in that one stream of that group.
 */
export function findingSourceOfLines(lines: readonly { readonly source: LineSource }[], redactor: Redactor): FindingSource | undefined {
  const last = lines.at(-1)?.source;
  if (last === undefined || last.synthetic) return undefined;
  const oneStream = lines.every(({ source }) => source.origin === last.origin && source.logStream === last.logStream);
  if (oneStream || last.logStream === undefined) return findingSourceOf(last, redactor);
  return { log_group: last.origin };
}

/** A finding's source for people: `log group /jobs/payments, stream ip-10-0-3-17`, `file /var/log/app.log`. */
export function sourceText(source: FindingSource): string {
  if (source.log_group === undefined) return `file ${source.file ?? ''}`;
  return source.log_stream === undefined ? `log group ${source.log_group}` : `log group ${source.log_group}, stream ${source.log_stream}`;
}

/** The findings, each without a source given where `source` says (made only when one lacks it; the very list when none does or there is no source). */
export function withSource(findings: Finding[], source: () => FindingSource | undefined): Finding[] {
  if (findings.length === 0 || findings.every((f) => f.source !== undefined)) return findings;
  const given = source();
  return given === undefined ? findings : findings.map((f) => (f.source === undefined ? { ...f, source: given } : f));
}

/**
 * Whether a finding at `at` may share its key's second with one judged before, at `lastAt` (a line
 * read late is earlier still): findings keyed by the second alone then need an `instance`.
 */
export function sharesKeySecond(at: number, lastAt: number | undefined): boolean {
  return lastAt !== undefined && Math.floor(at / 1000) <= Math.floor(lastAt / 1000);
}

/**
 * A stable identity for a finding: the same observation always gets the same key. `instance` is
 * appended only when the finding has one, so findings without it (all those stored before it
 * existed) keep the key they were stored under.
 */
export function findingKey(f: Pick<Finding, 'detector' | 'subject' | 'run_id' | 'ts' | 'expected_at' | 'instance'>): string {
  const key = [f.ts, f.detector, f.subject, f.run_id ?? f.expected_at ?? ''].join('#');
  return f.instance === undefined ? key : `${key}#${f.instance}`;
}

/**
 * Finding and record times, to the second (`2026-10-03T02:31:07Z`): one fixed width, so that
 * times compare correctly as strings (DynamoDB sort keys, range queries).
 */
export function isoTime(epochMs: number): string {
  if (!(epochMs >= 0 && epochMs < YEAR_10000_MS)) return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
  // Every run and finding is timed: the date part is remembered for the last day seen, the time
  // part written by hand (a `Date` and its ISO string per call cost several times as much).
  const day = Math.floor(epochMs / DAY_MS);
  if (day !== lastDay) {
    lastDay = day;
    lastDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const second = Math.floor((epochMs - day * DAY_MS) / 1000);
  return `${lastDate}${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor(second / 60) % 60]}:${TWO_DIGITS[second % 60]}Z`;
}

const DAY_MS = 86_400_000;
/** From here on, `toISOString` writes six-digit years: such times take the slow path. */
const YEAR_10000_MS = Date.UTC(10000, 0, 1);
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
let lastDay = Number.NaN;
let lastDate = '';

/** Any ISO-8601 time, in the fixed form of `isoTime`. */
export function normalizeIso(iso: string): string {
  return isoTime(Date.parse(iso));
}

/**
 * Evidence is for a person to read, and a finding is stored as one item (DynamoDB: 400 KB): evidence
 * whose JSON is longer than this is replaced by a note, its short top-level fields and the start of
 * its JSON (`boundEvidence`).
 */
export const MAX_EVIDENCE_BYTES = 64 * 1024;
/**
 * The keys `boundEvidence` writes in place of the evidence it cuts: facts about the cut (a note, the
 * evidence's size, the start of its JSON), never measurements, which the report reads them as.
 */
export const CUT_EVIDENCE_KEYS = { note: 'evidence_truncated', bytes: 'evidence_bytes', excerpt: 'evidence_excerpt' } as const;
/** A top-level field kept whole when evidence is cut: its JSON at most this long. */
const KEPT_FIELD_CHARS = 512;
/** Characters of the evidence's JSON kept as an excerpt when it is cut. */
const EXCERPT_CHARS = 4096;

/**
 * A finding's message is one line for a person (an alert's subject, a report's row). One longer than
 * this (it quotes what it is about: an argument's name of 144 KB) keeps its start and its end, with
 * the count of characters cut between them.
 */
export const MAX_MESSAGE_CHARS = 1024;
/** Characters kept of the end of a message that is cut. */
const MESSAGE_END_CHARS = 256;

/**
 * The finding with its evidence within `MAX_EVIDENCE_BYTES` of JSON and its message within
 * `MAX_MESSAGE_CHARS`; the very same finding when both already are (nearly always). A detector that
 * can collect much (one entry per argument, per line) bounds its own evidence; this is the guard for
 * any that does not.
 */
export function boundEvidence(f: Finding): Finding {
  const bounded = f.message.length > MAX_MESSAGE_CHARS ? { ...f, message: boundMessage(f.message) } : f;
  const json = JSON.stringify(f.evidence) ?? '';
  // Each UTF-16 unit is at most 3 bytes of UTF-8: count bytes only for long JSON.
  if (json.length <= MAX_EVIDENCE_BYTES / 3) return bounded;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= MAX_EVIDENCE_BYTES) return bounded;
  const kept: Record<string, unknown> = {};
  let room = MAX_EVIDENCE_BYTES / 4;
  for (const [key, value] of Object.entries(f.evidence)) {
    const field = JSON.stringify(value);
    if (field === undefined || field.length > KEPT_FIELD_CHARS || field.length > room) continue;
    kept[key] = value;
    room -= field.length + key.length;
  }
  return {
    ...bounded,
    evidence: {
      ...kept,
      [CUT_EVIDENCE_KEYS.note]: `the evidence was ${bytes} bytes of JSON, over the ${MAX_EVIDENCE_BYTES}-byte limit: its short fields are kept, the rest is cut to the start of its JSON (${CUT_EVIDENCE_KEYS.excerpt})`,
      [CUT_EVIDENCE_KEYS.bytes]: bytes,
      [CUT_EVIDENCE_KEYS.excerpt]: unitPrefix(json, Math.min(json.length, EXCERPT_CHARS)),
    },
  };
}

/** A message's start and end, within `MAX_MESSAGE_CHARS`, with how many characters were cut between them. */
function boundMessage(message: string): string {
  const cut = (n: number) => `… [${n} characters cut] …`;
  let start = MAX_MESSAGE_CHARS - MESSAGE_END_CHARS - cut(message.length).length;
  let end = message.length - MESSAGE_END_CHARS;
  // Never split a surrogate pair (an emoji) at either edge.
  if (isHighSurrogate(message.charCodeAt(start - 1))) start -= 1;
  if (isHighSurrogate(message.charCodeAt(end - 1))) end += 1;
  return `${message.slice(0, start)}${cut(end - start)}${message.slice(end)}`;
}
