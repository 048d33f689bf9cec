/**
 * Identifiers become parts of storage keys (DynamoDB: partition key ≤ 2048 bytes, sort key ≤ 1024
 * bytes; a finding's sort key is `ts#detector#subject#run_id`), so each is bounded (and so is a
 * run's `host`, which a job's state keeps, up to 100 of them, and keys a host's systemd log): at most
 * `MAX_ID_CHARS` characters and `MAX_ID_BYTES` bytes of UTF-8. A longer one rejects its line (one
 * counted rejection) instead of failing the write of a whole delivery.
 * `events.ts` (the schemas) and `parse/fast-validate.ts` apply the bound; in its own module, so that
 * the agent kit refuses an id the pipeline would reject without loading the schemas.
 */
export const MAX_ID_CHARS = 256;
export const MAX_ID_BYTES = 400;
/** Within `MAX_ID_BYTES` for any string of at most this many UTF-16 units (≤ 3 bytes each): no byte count needed. */
export const ID_CHARS_SURELY_WITHIN_BYTES = Math.floor(MAX_ID_BYTES / 3);

/** Whether an identifier fits the bound; a `.length` check first, bytes counted only for long ones. */
export function identifierFits(s: string): boolean {
  if (s.length <= ID_CHARS_SURELY_WITHIN_BYTES) return true;
  return s.length <= MAX_ID_CHARS && Buffer.byteLength(s, 'utf8') <= MAX_ID_BYTES;
}
