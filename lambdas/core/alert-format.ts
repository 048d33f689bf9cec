import { createHash } from 'node:crypto';
import { type Finding, sourceText } from './findings.ts';
import { unitPrefix } from './output-capture.ts';
import { cutBeforeMarker } from './redact.ts';
import { escapeControls } from './terminal-text.ts';

/** SNS refuses subjects of 100 characters or more, and any with line breaks or control characters. */
export const MAX_SUBJECT_LENGTH = 99;

/**
 * `<head><name> <tail>` in at most MAX_SUBJECT_LENGTH characters: when longer, the name is
 * shortened and ends in `ellipsis`, never the head or the tail (what kind of alert it is, "(3 in a
 * row)"); a head and tail that leave the name fewer than 8 characters cut the whole line at its end.
 * Never cuts a surrogate pair (an emoji) nor a redaction marker in two (`shortened`). The one rule
 * that shortens a title and a Subject.
 */
export function fitLine(head: string, name: string, tail: string, ellipsis: string): string {
  const full = `${head}${name}${tail ? ` ${tail}` : ''}`;
  if (full.length <= MAX_SUBJECT_LENGTH) return full;
  const room = MAX_SUBJECT_LENGTH - head.length - (tail ? tail.length + 1 : 0) - ellipsis.length;
  if (room < 8) return `${shortened(full, MAX_SUBJECT_LENGTH - ellipsis.length)}${ellipsis}`;
  return `${head}${shortened(name, room).trimEnd()}${ellipsis}${tail ? ` ${tail}` : ''}`;
}

/**
 * `text` in at most `units` UTF-16 units, cut before a surrogate pair or a redaction marker it would
 * cut in two: a marker cut short (`[REDA…`) is written out whole again when the message is redacted
 * before it is sent, and the line is then too long for the tail it kept.
 */
function shortened(text: string, units: number): string {
  const prefix = unitPrefix(text, units);
  return prefix.slice(0, cutBeforeMarker(text, prefix.length));
}

/** Latin letters that NFKD does not take apart into an ASCII letter and a mark. */
const LATIN_LETTERS: Readonly<Record<string, string>> = { ß: 'ss', ẞ: 'SS', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ð: 'd', Ð: 'D', þ: 'th', Þ: 'Th', ı: 'i' };
const LATIN_LETTER = new RegExp(`[${Object.keys(LATIN_LETTERS).join('')}]`, 'g');
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;

/** C0 controls and DEL (line breaks, tabs) as one space each run: a title, a Subject and a notice keep to one line. */
export function controlsAsSpaces(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/**
 * Text as near as printable ASCII can write it: compatibility forms taken apart (NFKD: 'é' is 'e'
 * and a mark, 'Ａ' is 'A', '…' is '...'), the marks dropped, and ß, æ, ø, ł… written in letters;
 * controls become spaces. What is left (CJK, emoji) is not printable ASCII.
 */
function foldToAscii(text: string): string {
  const spaced = controlsAsSpaces(text);
  if (!NOT_PRINTABLE_ASCII.test(spaced)) return spaced;
  return spaced.normalize('NFKD').replace(/\p{M}+/gu, '').replace(LATIN_LETTER, (c) => LATIN_LETTERS[c]);
}

/** Text in printable ASCII, as SNS takes a Subject: folded (`foldToAscii`), any other character a space; spaces collapse. */
function subjectText(text: string): string {
  return foldToAscii(text).replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ');
}

/** The tag that keeps a name apart from others in a Subject: the start of its SHA-256 (`#1f0c9a`), the same for every alert about it. */
function nameTag(name: string): string {
  return `#${createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 6)}`;
}

/**
 * A name in a Subject, and the tag that keeps it apart from others: a name in printable ASCII as it
 * is; any other folded to ASCII (`foldToAscii`: 'Größenprüfung' is 'Grossenprufung'), each run of
 * letters ASCII cannot show (Japanese, emoji) written '?', '?' for a name that folds to nothing
 * (combining marks alone), and tagged (nameTag), so '夜間バックアップ' and '月次レポート' stay apart,
 * and so do 'café-sync' and the 'cafe-sync' it folds to.
 */
function subjectName(name: string): { name: string; tag?: string } {
  if (!NOT_PRINTABLE_ASCII.test(name)) return { name: name.replace(/\s+/g, ' ').trim() };
  const folded = foldToAscii(name).replace(/\s+/g, ' ').trim().replace(/[^\x20-\x7e]+/g, '?');
  return { name: folded || '?', tag: nameTag(name) };
}

/**
 * An SNS `Subject`: SNS refuses one that is not printable ASCII, holds a line break or control
 * character, or is 100 characters or more. Text is folded to ASCII (`foldToAscii`), any other
 * character becomes a space, spaces collapse, and a longer text is cut at its end with '...'
 * (`fitLine`). A line already fit (`fitSubject`) is returned as it is.
 */
export function snsSubject(text: string): string {
  return fitLine('', subjectText(text).trim(), '', '...');
}

/**
 * The SNS `Subject` of an alert titled `<head><name> <tail>` (`fitTitle`): in printable ASCII, the
 * name as `subjectName` writes it (its tag kept with the tail), shortened as the title is, at the
 * name, keeping the tail. A name that is shortened is tagged too (nameTag), so two jobs differing
 * only past the cut (`pg_dump … /var/backups/orders.sql` and `…/invoices.sql`) keep apart Subjects.
 */
export function fitSubject(head: string, name: string, tail = ''): string {
  const shown = subjectName(name);
  const start = subjectText(head).trimStart();
  const end = subjectText(tail).trim();
  const shortened = `${start}${shown.name}${end ? ` ${end}` : ''}`.length > MAX_SUBJECT_LENGTH;
  const kept = [shown.tag ?? (shortened ? nameTag(name) : undefined), end].filter(Boolean).join(' ');
  return fitLine(start, shown.name, kept, '...').trim();
}

/** Detectors of what did not happen: their finding's source is where the subject's lines were last seen. */
const ABSENCE_DETECTORS: ReadonlySet<string> = new Set(['missed-run', 'run-unfinished']);

/**
 * The human-readable body of an alert: what happened, where, and the evidence. Its name, run id,
 * message and evidence come from logs: their control characters are shown escaped (`\x1b`, `\x0a`),
 * so a log line can neither add lines to the email (a second `Run:`, an "All clear") nor act on a terminal.
 */
export function alertBody(f: Finding, guidance?: { criteria?: string; correctiveAction?: string }): string {
  const lines = [
    `${f.detector} on ${f.subject_kind} "${escapeControls(f.subject)}" (${f.severity})`,
    '',
    escapeControls(f.message),
    '',
    `When:     ${f.ts}`,
    ...(f.run_id ? [`Run:      ${escapeControls(f.run_id)}`] : []),
    ...(f.expected_at ? [`Expected: ${f.expected_at}`] : []),
    ...(f.source ? [`Source:   ${escapeControls(sourceText(f.source))}${ABSENCE_DETECTORS.has(f.detector) ? ' (where its lines were last seen)' : ''}`] : []),
    '',
    'Evidence:',
    ...Object.entries(f.evidence).map(([k, v]) => `  ${escapeControls(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)}`),
  ];
  if (guidance?.criteria) lines.push('', `Rule: ${guidance.criteria}`);
  if (guidance?.correctiveAction) lines.push(`What to do: ${guidance.correctiveAction}`);
  return lines.join('\n');
}

/** One line for a terminal or log: `2026-10-03T02:31:07Z HIGH empty-output nightly-backup r-1 output …`. */
export function alertLine(f: Finding): string {
  return [f.ts, f.severity.toUpperCase().padEnd(6), f.detector.padEnd(24), f.subject, f.run_id ?? f.expected_at ?? '', '—', f.message].join(' ');
}
