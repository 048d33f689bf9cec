import { describe, expect, it } from 'vitest';
import { isoTime } from '../../lambdas/core/findings.ts';
import { packQueryEnd, packQueryStart, packRunRecords, recordKey, unpackRunRecords } from '../../lambdas/adapters/run-record-packs.ts';
import type { RunRecord } from '../../lambdas/ports.ts';

const T0 = Date.parse('2026-10-30T22:00:00.000Z');
const rec = (i: number, subject = 'backup', kind: RunRecord['subject_kind'] = 'job'): RunRecord => ({
  subject,
  subject_kind: kind,
  run_id: `r-${String(i).padStart(3, '0')}`,
  ts: isoTime(T0 + i * 20 * 60_000),
  status: i % 7 === 3 ? 'failed' : 'ok',
  exit_code: i % 7 === 3 ? 1 : 0,
  duration_ms: 1000 + i,
  host: 'web-1',
});
/** Packs as DynamoDB would hold them: items with pk, sk and the records' JSON. */
const itemsOf = (records: readonly RunRecord[], maxBytes?: number) =>
  packRunRecords(records, maxBytes).map((p) => ({ pk: p.pk, sk: p.sk, records: p.json }));

describe('run records packed per subject and UTC day', () => {
  it('packs one commit’s records by subject and day, each record once, in the order given', () => {
    // Prepare: 80 runs of a job, every 20 minutes from 22:00 on Oct 30 (3 days), and one agent run
    const job = Array.from({ length: 80 }, (_, i) => rec(i));
    const agent = rec(5, 'support-bot', 'agent');
    // Act
    const packs = packRunRecords([...job, agent]);
    // Assess
    expect(packs.map((p) => [p.pk, p.sk.slice(0, 16), p.records.length])).toEqual([
      ['RUN#job#backup', '2026-10-30#pack#', 6],
      ['RUN#job#backup', '2026-10-31#pack#', 72],
      ['RUN#job#backup', '2026-11-01#pack#', 2],
      ['RUN#agent#support-bot', '2026-10-30#pack#', 1],
    ]);
    expect(packs.flatMap((p) => JSON.parse(p.json) as RunRecord[])).toEqual([...job, agent]);
    expect(packs.flatMap((p) => p.records)).toEqual([...job, agent]);
  });

  it('names a pack by its records: the same records give the same key, other records of the day another', () => {
    // Prepare: six runs of one day
    const day = Array.from({ length: 6 }, (_, i) => rec(i + 10));
    // Act: the first three, the last three, the first three again (as a redelivery rebuilds them)
    const [a, b, again] = [packRunRecords(day.slice(0, 3))[0], packRunRecords(day.slice(3))[0], packRunRecords(structuredClone(day.slice(0, 3)))[0]];
    // Assess
    expect(a.sk).toBe(again.sk);
    expect(a.sk).not.toBe(b.sk);
    // A pack with the same first record and one more is another item: neither overwrites the other.
    expect(packRunRecords(day.slice(0, 4))[0].sk).not.toBe(a.sk);
    expect(a.sk).toMatch(/^2026-10-31#pack#[A-Za-z0-9_-]{16}$/);
  });

  it('splits a pack past its size limit, each part under it', () => {
    // Prepare: 60 runs, all on Oct 31
    const day = Array.from({ length: 60 }, (_, i) => rec(i + 6));
    // Act
    const packs = packRunRecords(day, 1024);
    // Assess
    expect(packs.length).toBeGreaterThan(5);
    for (const p of packs) {
      expect(p.bytes).toBe(Buffer.byteLength(p.json));
      expect(p.bytes).toBeLessThanOrEqual(1024);
    }
    expect(new Set(packs.map((p) => p.sk)).size).toBe(packs.length);
    expect(packs.flatMap((p) => p.records)).toEqual(day);
  });

  it('sorts a pack where a query for any of its records finds it: at or after the start of `from`’s day, before any time of the day', () => {
    // Prepare
    const records = Array.from({ length: 80 }, (_, i) => rec(i));
    // Act and assess: every record against the pack that holds it
    for (const pack of packRunRecords(records)) {
      for (const r of pack.records) {
        expect(pack.sk < recordKey(r)).toBe(true);
        expect(pack.sk >= packQueryStart(r.ts)).toBe(true);
        // A query from any time of the day up to a time after the record still reads the pack.
        expect(pack.sk >= packQueryStart(`${r.ts.slice(0, 10)}T23:59:59.999Z`)).toBe(true);
        expect(pack.sk <= isoTime(Date.parse(r.ts) + 1)).toBe(true);
      }
    }
  });

  it('ends a query for records before `to` past every pack that may hold one, and before the packs of `to`’s day when `to` is its midnight', () => {
    // Prepare
    const records = Array.from({ length: 80 }, (_, i) => rec(i));
    // Act and assess: a span ending a second after the record reads its pack; one ending at its day's midnight does not
    for (const pack of packRunRecords(records)) {
      for (const r of pack.records) {
        expect(pack.sk <= packQueryEnd(isoTime(Date.parse(r.ts) + 1000))).toBe(true);
        const day = r.ts.slice(0, 10);
        expect(pack.sk > packQueryEnd(`${day}T00:00:00Z`)).toBe(true);
        expect(pack.sk > packQueryEnd(`${day}T00:00:00.000Z`)).toBe(true);
      }
    }
  });

  it('reads back the records with from ≤ ts < to, in key order, each key once, from packs and items of one record', () => {
    // Prepare: three commits' packs (one of them written twice), and an item of one record as stored before packs
    const records = Array.from({ length: 80 }, (_, i) => rec(i));
    const legacy = rec(90);
    const items = [
      ...itemsOf(records.slice(40)),
      ...itemsOf(records.slice(0, 20)),
      ...itemsOf(records.slice(20, 40)),
      ...itemsOf(records.slice(20, 40)),
      { pk: 'RUN#job#backup', sk: recordKey(legacy), record: JSON.stringify(legacy) },
    ];
    const from = records[10].ts;
    const to = records[75].ts;
    // Act
    const read = unpackRunRecords(items, from, to);
    // Assess
    expect(read).toEqual(records.slice(10, 75));
    expect(unpackRunRecords(items, '2026-10-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')).toEqual([...records, legacy]);
    expect(unpackRunRecords(items, to, to)).toEqual([]);
  });
});
