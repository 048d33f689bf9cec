import { createHash } from 'node:crypto';
import type { AuditEvent } from './events.ts';

/**
 * Recognising lines seen before, for reducers that count lines rather than runs (guard bypasses,
 * audit writes): a redelivered CloudWatch batch, or a file scanned again into the same store,
 * must not count twice. Two marks are kept, both bounded:
 *
 * - each line's fingerprint: the CloudWatch event id when there is one, else the file (or log
 *   group and stream), the line number and the time;
 * - the fingerprint of a whole group (one subject's lines of one batch), so that a redelivered
 *   batch is recognised at once however many lines it holds.
 */

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

export function lineFingerprint(event: AuditEvent): string {
  const s = event.source;
  const identity = s.eventId !== undefined ? `id:${s.eventId}` : `at:${s.origin}|${s.logStream ?? ''}|${s.line ?? ''}|${event.at}|${event.body.type}`;
  return shortHash(identity);
}

export function groupFingerprint(fingerprints: readonly string[]): string {
  return shortHash(fingerprints.join(','));
}

/** The list with the new marks appended, keeping only the latest `limit`. */
export function rememberBounded(list: readonly string[], marks: readonly string[], limit: number): string[] {
  const next = [...list, ...marks];
  return next.length > limit ? next.slice(next.length - limit) : next;
}
