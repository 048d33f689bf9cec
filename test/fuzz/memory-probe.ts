/**
 * Run by test/fuzz/fuzz.test.ts in a child with `--expose-gc`: 25,000 generated deliveries
 * through the ingest path in five chunks, a fresh store per chunk (state legitimately grows with
 * the subjects the fuzz invents; a leak is what survives the store). After each chunk, a full
 * GC and the heap in use. Prints one JSON line. The event loop turns between deliveries, as
 * it does between Lambda invocations (a loop that never yields keeps zlib's failed streams alive).
 */
import fc from 'fast-check';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { ingestDelivery } from '../../lambdas/core/ingest.ts';
import { deliveryArbitrary } from './arbitraries.ts';

const CHUNKS = Number(process.env.FUZZ_CHUNKS ?? 5);
const PER_CHUNK = 5_000;
const NOW = Date.parse('2026-10-05T12:00:00Z');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const sink = { publish: async () => {}, send: async () => {} };
const heapMb: number[] = [];
const rssMb: number[] = [];
let deliveries = 0;
for (let chunk = 0; chunk < CHUNKS; chunk++) {
  const store = new MemoryAuditStore();
  const samples = fc.sample(deliveryArbitrary(), { seed: 7_000 + chunk, numRuns: PER_CHUNK });
  for (const d of samples) {
    await ingestDelivery(d.event, { store, sink, config: DEFAULT_CONFIG, clock: { now: () => NOW } });
    deliveries++;
    // Between invocations Lambda's event loop turns; zlib frees a failed stream's native memory on a later tick.
    await new Promise(setImmediate);
  }
  samples.length = 0;
  gc();
  gc();
  const mem = process.memoryUsage();
  heapMb.push(Math.round((mem.heapUsed / 2 ** 20) * 10) / 10);
  rssMb.push(Math.round(mem.rss / 2 ** 20));
}
console.log(JSON.stringify({ deliveries, heapMb, rssMb }));
