import type { Finding } from './findings.ts';
import { escapeControls } from './terminal-text.ts';

/** SNS refuses subjects of 100 characters or more, and any with line breaks or control characters. */
export const MAX_SUBJECT_LENGTH = 99;

/**
 * An SNS `Subject`: SNS refuses one that is not printable ASCII, holds a line break or control
 * character, or is 100 characters or more. Anything else becomes a space ('…' becomes '...'),
 * spaces collapse, and a longer text is cut with '...'.
 */
export function snsSubject(text: string): string {
  const ascii = text.replace(/…/g, '...').replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim();
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
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
