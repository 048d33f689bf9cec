import type { Finding } from './findings.ts';
import { unitPrefix } from './output-capture.ts';
import { escapeControls } from './terminal-text.ts';

/** SNS refuses subjects of 100 characters or more, and any with line breaks or control characters. */
export const MAX_SUBJECT_LENGTH = 99;

/**
 * `<head><name> <tail>` in at most MAX_SUBJECT_LENGTH characters: when longer, the name is
 * shortened and ends in `ellipsis`, never the head or the tail (what kind of alert it is, "(3 in a
 * row)"); a head and tail that leave the name fewer than 8 characters cut the whole line at its end.
 * Never cuts a surrogate pair (an emoji) in two. The one rule that shortens a title and a Subject.
 */
export function fitLine(head: string, name: string, tail: string, ellipsis: string): string {
  const full = `${head}${name}${tail ? ` ${tail}` : ''}`;
  if (full.length <= MAX_SUBJECT_LENGTH) return full;
  const room = MAX_SUBJECT_LENGTH - head.length - (tail ? tail.length + 1 : 0) - ellipsis.length;
  if (room < 8) return `${unitPrefix(full, MAX_SUBJECT_LENGTH - ellipsis.length)}${ellipsis}`;
  return `${head}${unitPrefix(name, room).trimEnd()}${ellipsis}${tail ? ` ${tail}` : ''}`;
}

/** Text in printable ASCII, as SNS takes a Subject: '…' becomes '...', any other character a space; spaces collapse. */
function subjectText(text: string): string {
  return text.replace(/…/g, '...').replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ');
}

/**
 * An SNS `Subject`: SNS refuses one that is not printable ASCII, holds a line break or control
 * character, or is 100 characters or more. Anything else becomes a space ('…' becomes '...'),
 * spaces collapse, and a longer text is cut at its end with '...' (`fitLine`). A line already fit
 * (`fitSubject`) is returned as it is.
 */
export function snsSubject(text: string): string {
  return fitLine('', subjectText(text).trim(), '', '...');
}

/**
 * The SNS `Subject` of an alert titled `<head><name> <tail>` (`fitTitle`): in printable ASCII
 * (`snsSubject`'s rule), and shortened as the title is, at the name, keeping the tail.
 */
export function fitSubject(head: string, name: string, tail = ''): string {
  return fitLine(subjectText(head).trimStart(), subjectText(name).trim(), subjectText(tail).trim(), '...').trim();
}

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
