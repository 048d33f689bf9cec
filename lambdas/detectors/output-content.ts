import type { CompletedRun } from './types.ts';

/**
 * Pure helpers the job-run detectors share: whether a run ended cleanly or with no failure known
 * (only then is its output judged), what of its output is known, how to scan it for emptiness and error
 * markers, and the figures their messages print.
 */

/**
 * Exit 0 and no failure of another kind (systemd result, Lambda timeout): its output's size (empty,
 * shrunk) is judged only then. Not a run whose exit is unknown (cronie's `CMDEND`): it may have
 * failed with no output (its markers and `expect_pattern` are judged by `endedWithoutFailure`).
 */
export function endedCleanly(run: CompletedRun): boolean {
  return endedWithoutFailure(run) && !run.exit_code_unknown;
}

/** No failure known: exit 0, or an exit unknown (`exit_code_unknown`), and no failure of another kind. */
export function endedWithoutFailure(run: CompletedRun): boolean {
  return run.exit_code === 0 && !run.failure;
}

/** UTF-8 bytes of the text (a lone surrogate counts as U+FFFD, 3 bytes, as an encoder writes it), without encoding it. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The size up to which a run's head is its whole output (contract §1a: head is the first ≤2 KiB). */
export const HEAD_LIMIT_BYTES = 2048;

/**
 * The run's whole output when the head and tail hold all of it; undefined when only part of it,
 * or nothing, is known.
 *
 * With a size: the head alone when the size fits in it (or a tail was cut too and the size is
 * within the head limit); head and tail together when the size fits in both (joined without the
 * bytes they share). Without a size: the head when there is no tail or the tail is its end (a
 * different tail means more was written), else the tail alone when there is no head.
 *
 * A run whose head or tail held a secret was judged so before redaction (`outputWhole`): a marker is
 * shorter or longer than the secret, so the redacted texts' sizes would mislead.
 */
export function wholeOutput(run: CompletedRun): string | undefined {
  if (run.outputWhole !== undefined) return run.outputWhole ?? undefined;
  return wholeOfExcerpts(run.output_head, run.output_tail, run.output_bytes);
}

/** `wholeOutput` by the excerpts and size alone (as a `run.end` line gives them). */
export function wholeOfExcerpts(head: string | undefined, tail: string | undefined, bytes: number | undefined): string | undefined {
  if (bytes === 0) return '';
  if (bytes === undefined) {
    if (head !== undefined) return tail === undefined || head.endsWith(tail) ? head : undefined;
    return tail;
  }
  if (head !== undefined) {
    const headBytes = byteLength(head);
    if (bytes <= headBytes) return head;
    if (tail !== undefined && bytes <= HEAD_LIMIT_BYTES) return head;
    if (tail !== undefined && bytes <= headBytes + byteLength(tail)) return head + lastBytes(tail, bytes - headBytes);
    return undefined;
  }
  if (tail !== undefined && bytes <= byteLength(tail)) return tail;
  return undefined;
}

/** The last `count` UTF-8 bytes of a text. */
function lastBytes(text: string, count: number): string {
  const encoded = Buffer.from(text, 'utf8');
  return encoded.subarray(Math.max(0, encoded.length - count)).toString('utf8');
}

/** Why an output counts as empty. */
export type EmptyOutputKind = 'zero-bytes' | 'blank' | 'empty-marker' | 'empty-json';

/** What tools print for "nothing": psql's `(0 rows)`, `<no rows>`, empty JSON containers. Compared case-insensitively. */
const EMPTY_MARKERS = new Set(['[]', '{}', 'null', '<no rows>', '(0 rows)', 'no rows']);
/**
 * Longer than this, a trimmed output is no marker in any case, so it is not lower-cased (a copy of
 * the whole output, per run). No code point lower-cases to fewer UTF-16 units (checked over all of
 * them on Node 20), so the longest marker would do; twice it leaves room to spare.
 */
const MARKER_TEXT_MAX = 2 * Math.max(...[...EMPTY_MARKERS].map((m) => m.length));

/**
 * Whether a whole output is empty, and why: nothing but whitespace, an empty marker, or JSON
 * holding at least one array where every array (at any depth) is empty, as `{"results": []}`
 * or `{"count": 0, "items": []}`. An empty list of bad news (`errors`, `warnings`, `failures`, …)
 * is no sign of emptiness, and a non-zero count of work done (`processed`, `total`, `*_count`,
 * `uploaded`, …) makes the output not empty: `{"errors": [], "processed": 1200}` is a healthy run.
 */
export function classifyEmptyOutput(text: string): EmptyOutputKind | undefined {
  if (text.length === 0) return 'zero-bytes';
  const trimmed = text.trim();
  if (trimmed === '') return 'blank';
  if (trimmed.length <= MARKER_TEXT_MAX && EMPTY_MARKERS.has(trimmed.toLowerCase())) return 'empty-marker';
  if (isJsonWithOnlyEmptyArrays(trimmed)) return 'empty-json';
  return undefined;
}

/** Keys of lists that are good news when empty. */
const BAD_NEWS_LIST = /^(?:errors?|warnings?|failures?|failed|problems?|issues?|rejected|rejections|skipped|exceptions?|retries)$/i;
/** Keys of numbers that count bad news (`error_count`, `errorsTotal`, `failed_count`): no work done. */
const BAD_NEWS_COUNT = /^(?:errors?|warnings?|failures?|failed|problems?|issues?|rejected|rejections|skipped|exceptions?|retries)(?:[_-]|(?=[A-Z])|$)/i;
/** Keys of numbers that count work done. */
const WORK_COUNT = /(?:^|[_-])(?:count|total|num|processed|rows|items|records|files|objects|updated|inserted|deleted|uploaded|downloaded|synced|exported|imported|written|sent|created|copied|matched|changed|succeeded)$|^n[_-]|Count$|Total$/i;

function isJsonWithOnlyEmptyArrays(text: string): boolean {
  if (!text.startsWith('{') && !text.startsWith('[')) return false;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  const arrays = { empty: 0, nonEmpty: 0, work: 0 };
  countArrays(value, arrays, undefined);
  return arrays.empty > 0 && arrays.nonEmpty === 0 && arrays.work === 0;
}

function countArrays(value: unknown, into: { empty: number; nonEmpty: number; work: number }, key: string | undefined): void {
  if (Array.isArray(value)) {
    if (key !== undefined && BAD_NEWS_LIST.test(key)) return;
    if (value.length === 0) into.empty++;
    else into.nonEmpty++;
    for (const item of value) countArrays(item, into, undefined);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, item] of Object.entries(value)) countArrays(item, into, k);
  } else if (typeof value === 'number' && value !== 0 && key !== undefined && WORK_COUNT.test(key) && !BAD_NEWS_COUNT.test(key)) {
    into.work++;
  }
}

/** A one-line preview of a text for a message: whitespace collapsed, at most `max` characters. */
export function preview(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** A keyword found in the output, with the line around it. */
export interface ErrorMarkerMatch {
  readonly keyword: string;
  readonly index: number;
  /** The line holding the match, at most 120 characters, centred on the match when longer. */
  readonly excerpt: string;
}

export const EXCERPT_MAX_CHARS = 120;

const WORD_CHAR = /[\p{L}\p{N}_]/u;
/** A word of nothing just before the keyword: `no errors`, `without errors`, `zero errors`, `NON-FATAL`. */
const NEGATION_WORD_BEFORE = /(?:^|[^\p{L}\p{N}_.])(?:no|zero|not|without)\s+$|(?:^|[^\p{L}\p{N}_])non-$/iu;
/**
 * A count of nothing just before the keyword: `0 errors`, `summary: 0 FATAL`. The `0` must stand
 * alone, so `worker-0 FATAL`, `#0 FATAL` and `x:0 FATAL` name a thing rather than count one.
 */
const ZERO_COUNT_BEFORE = /(?:^|\s)0\s+$/;
/**
 * A count of nothing just after the keyword, on the same line: `ERROR: 0`, `FATAL 0`, `errors: 0,`,
 * `errors=0 retries=2`, `FATAL: none`, `ERROR: none found`, `[ERROR: none] [WARN: 3]`. The `0` must end
 * the count (end of line, `,`, `;`, `)`, a closing `.`): `ERROR: 0x80070005`, `FATAL: 0 of 12 shards`,
 * `ERROR: 0 bytes written` are failures. Only a `0` bound tight to `=` or `:` (`errors=0 warnings=3`)
 * may be followed by more text. A whole word `none` or `zero` is a count of nothing whatever follows,
 * unless it starts a failure: ` of` or `-` after it (`ERROR: none of the source paths exist`,
 * `FATAL: zero-length snapshot`).
 */
const NEGATION_AFTER =
  /^(?:[ \t]*(?:[:=][ \t]*)?0(?=[ \t]*(?:[\r\n,;)]|\.?$|\.\s))|[:=]0(?=[ \t])(?![ \t]+of(?![\p{L}\p{N}_]))|[ \t]*(?:[:=][ \t]*)?(?:none|zero)(?![\p{L}\p{N}_])(?![ \t]+of(?![\p{L}\p{N}_])|-))/iu;

/** Whether a count of nothing (`NEGATION_AFTER`: `0`, `none`, `zero`) follows a marker ending at `end`. */
export function countsNothingAfter(text: string, end: number): boolean {
  return NEGATION_AFTER.test(text.slice(end, end + 16));
}

/**
 * The pattern for one error keyword. All-caps markers (`FATAL`, `ERROR:`) match case-sensitively,
 * others (`Traceback (most recent call last)`, `panic:`) in any case; a keyword that starts or
 * ends with a letter or digit must stand as a whole word there (`FATALITY`, `NONFATAL` do not count).
 */
export function keywordPattern(keyword: string): RegExp {
  const escaped = keyword.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const start = WORD_CHAR.test(keyword[0] ?? '') ? '(?<![\\p{L}\\p{N}_])' : '';
  const end = WORD_CHAR.test(keyword[keyword.length - 1] ?? '') ? '(?![\\p{L}\\p{N}_])' : '';
  const allCaps = keyword === keyword.toUpperCase() && keyword !== keyword.toLowerCase();
  return new RegExp(`${start}${escaped}${end}`, allCaps ? 'gu' : 'giu');
}

interface KeywordMatcher {
  readonly pattern: RegExp;
  /** What must occur in the text (lower-cased when the pattern ignores case) for the pattern to have a chance. */
  readonly needle: string;
  readonly ignoreCase: boolean;
}

/** Compiled once per keyword, since every finished run is scanned for every keyword; `matchAll` copies the pattern, so sharing it is safe. */
const keywordMatchers = new Map<string, KeywordMatcher>();

function matcherFor(keyword: string): KeywordMatcher {
  let matcher = keywordMatchers.get(keyword);
  if (!matcher) {
    if (keywordMatchers.size >= 256) keywordMatchers.clear();
    const pattern = keywordPattern(keyword);
    const ignoreCase = pattern.ignoreCase;
    keywordMatchers.set(keyword, (matcher = { pattern, needle: ignoreCase ? keyword.toLowerCase() : keyword, ignoreCase }));
  }
  return matcher;
}

/**
 * Whether every character of the text is ASCII: then it takes one UTF-8 byte each, and any other
 * (a surrogate pair, a lone surrogate) takes more bytes than UTF-16 units. Counting the bytes is
 * native and ~6× as fast as a regular expression looking for a character past 0x7f (2 KB of text).
 */
function isAscii(text: string): boolean {
  return byteLength(text) === text.length;
}

/**
 * The first error keyword in `text` that is not negated. A match is negated when a count of
 * nothing stands right next to it on its line: `no`, `zero`, `not`, `without` or `non-` just
 * before it; a lone `0` just before it unless it opens a message (`FATAL:`); or a `0` that ends
 * the count, `none` or `zero` just after it (optionally after `:` or `=`).
 *
 * Most outputs hold no keyword at all: a plain substring search rules each one out before its
 * Unicode-aware pattern runs (case-insensitively only for ASCII text, where lower-casing and
 * the pattern's case folding agree).
 */
export function findErrorMarker(text: string, keywords: readonly string[]): ErrorMarkerMatch | undefined {
  let first: ErrorMarkerMatch | undefined;
  let lower: string | undefined;
  let ascii: boolean | undefined;
  for (const keyword of keywords) {
    if (keyword.length === 0) continue;
    const { pattern, needle, ignoreCase } = matcherFor(keyword);
    if (!ignoreCase) {
      if (!text.includes(needle)) continue;
    } else if ((ascii ??= isAscii(text)) && !(lower ??= text.toLowerCase()).includes(needle)) continue;
    for (const match of text.matchAll(pattern)) {
      const index = match.index;
      const end = index + match[0].length;
      if (first !== undefined && index >= first.index) break;
      const lineStart = text.lastIndexOf('\n', index - 1) + 1;
      const before = text.slice(lineStart, index);
      if (NEGATION_WORD_BEFORE.test(before)) continue;
      // A marker used as a message prefix (`rank 0 panic: …`, `partition 0 ERROR: …`) is not counted by a 0 before it.
      if (!isMessagePrefix(text, keyword, end) && ZERO_COUNT_BEFORE.test(before)) continue;
      if (countsNothingAfter(text, end)) continue;
      first = { keyword, index, excerpt: excerptAround(text, index, end) };
      break;
    }
  }
  return first;
}

/** Whether the marker ending at `end` opens a message: the keyword ends with `:` or a `:` follows it. */
function isMessagePrefix(text: string, keyword: string, end: number): boolean {
  return keyword.endsWith(':') || text[end] === ':';
}

/** The line holding `text[from, to)`, cut to at most `max` characters around it. */
export function excerptAround(text: string, from: number, to: number, max = EXCERPT_MAX_CHARS): string {
  const lineStart = text.lastIndexOf('\n', from - 1) + 1;
  const newline = text.indexOf('\n', to);
  const lineEnd = newline < 0 ? text.length : newline;
  const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
  const trimmed = line.trim();
  if (trimmed.length <= max) return trimmed;
  // Centre a window on the match, leaving room for an ellipsis on each cut side.
  const budget = max - 2;
  const matchStart = from - lineStart;
  const matchLength = to - from;
  let start = Math.max(0, matchStart - Math.floor(Math.max(0, budget - matchLength) / 2));
  const end = Math.min(line.length, start + budget);
  start = Math.max(0, end - budget);
  return `${start > 0 ? '…' : ''}${line.slice(start, end)}${end < line.length ? '…' : ''}`;
}

/**
 * A share as a whole percent for a message (`6`), with one decimal (`29.9`) when rounding would
 * show the very limit the share is below.
 */
export function percentBelow(share: number, limit: number): string {
  const rounded = Math.round(share * 100);
  return rounded < Math.round(limit * 100) ? String(rounded) : (Math.floor(share * 1000) / 10).toFixed(1);
}
