import { hash } from 'node:crypto';
import type { RunRecord } from '../ports.ts';

/**
 * Run records as DynamoDB holds them: a subject's records of one commit, packed by UTC day into
 * one item each (`RUN#<kind>#<subject>`, `<YYYY-MM-DD>#pack#<digest>`), rather than one item per
 * record. A record is ~250 bytes and DynamoDB bills a transactional write per started KB, twice:
 * twenty records of a batch cost 40 WRU as items and 12 as one pack, in the same transaction as
 * the state that counted them.
 *
 * Why the key works for the range queries of `runs(from, to)`:
 * - a pack's sort key is its records' day followed by `#`, which sorts before any time of that day
 *   (`#` < `T`): the query starts at the day of `from` and the records are filtered by time;
 * - the digest is of the pack's record keys, so writing the same records again (a redelivered
 *   batch after a crash) writes the same item, and two packs of one day never overwrite each other.
 * Items of one record each (`<ts>#<run_id>`, attribute `record`) written before packs are read too.
 */

/** Well under DynamoDB's 400 KB item limit; a pack past it is split. */
const MAX_PACK_BYTES = 64 * 1024;

export interface RunPack {
  /** The partition key: `RUN#<kind>#<subject>`. */
  readonly pk: string;
  /** The sort key. */
  readonly sk: string;
  /** The records, as stored (a JSON array). */
  readonly json: string;
  /** Its size in UTF-8 bytes. */
  readonly bytes: number;
  readonly records: readonly RunRecord[];
}

/** A record's key, as the sort key of an item of one record was: `<ts>#<run_id>`. */
export const recordKey = (r: RunRecord): string => `${r.ts}#${r.run_id}`;

/** The packs of one commit's records: by subject and UTC day, in the order given, split past `maxBytes`. */
export function packRunRecords(records: readonly RunRecord[], maxBytes = MAX_PACK_BYTES): RunPack[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const group = `${r.subject_kind}#${r.subject}\n${r.ts.slice(0, 10)}`;
    const list = groups.get(group);
    if (list) list.push(r);
    else groups.set(group, [r]);
  }
  const packs: RunPack[] = [];
  for (const list of groups.values()) {
    const day = list[0].ts.slice(0, 10);
    let chunk: RunRecord[] = [];
    let texts: string[] = [];
    let bytes = 2;
    const flush = () => {
      if (chunk.length === 0) return;
      const digest = hash('sha256', chunk.map(recordKey).join('\n'), 'base64url').slice(0, 16);
      packs.push({ pk: `RUN#${chunk[0].subject_kind}#${chunk[0].subject}`, sk: `${day}#pack#${digest}`, json: `[${texts.join(',')}]`, bytes: bytes - 1, records: chunk });
      chunk = [];
      texts = [];
      bytes = 2;
    };
    for (const r of list) {
      const text = JSON.stringify(r);
      const size = Buffer.byteLength(text) + 1;
      if (chunk.length > 0 && bytes + size > maxBytes) flush();
      chunk.push(r);
      texts.push(text);
      bytes += size;
    }
    flush();
  }
  return packs;
}

/** The lowest sort key a query for records at or after `from` must start at: the day of `from`, where its packs sort. */
export function packQueryStart(from: string): string {
  return from.slice(0, 10);
}

/**
 * The highest sort key a query for records before `to` must reach: `to` itself (its day's packs sort
 * before it and may hold earlier records), or, when `to` is its day's first second, the day alone,
 * which sorts before that day's packs (`2026-10-01` < `2026-10-01#pack#…`): records are timed to the
 * second (`isoTime`), so none of them is before `to`, and a span ending at midnight (a month's) reads
 * none of the next day's packs.
 */
export function packQueryEnd(to: string): string {
  const day = to.slice(0, 10);
  return to <= `${day}T00:00:00Z` ? day : to;
}

/**
 * The records of queried items (packs, and items of one record), those with `from <= ts < to`,
 * each key once, in key order (as items of one record came back from a query).
 */
export function unpackRunRecords(items: readonly Record<string, unknown>[], from: string, to: string): RunRecord[] {
  const byKey = new Map<string, RunRecord>();
  const take = (r: RunRecord) => {
    if (r.ts < from || r.ts >= to) return;
    const key = recordKey(r);
    if (!byKey.has(key)) byKey.set(key, r);
  };
  for (const item of items) {
    if (typeof item.records === 'string') for (const r of JSON.parse(item.records) as RunRecord[]) take(r);
    else if (typeof item.record === 'string') take(JSON.parse(item.record) as RunRecord);
  }
  return [...byKey].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, r]) => r);
}
