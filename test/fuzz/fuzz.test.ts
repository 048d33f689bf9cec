import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { functionNameOf } from '../../lambdas/core/envelope.ts';
import { type IngestReport, ingestDelivery } from '../../lambdas/core/ingest.ts';
import { ingestKinesisBatch } from '../../lambdas/core/kinesis-ingest.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import type { AlertSink } from '../../lambdas/ports.ts';
import { deliveryArbitrary, type FuzzDelivery, lineArbitrary } from './arbitraries.ts';

/**
 * Hostile input, generated (fast-check, fixed seeds, so a failure is replayed by its seed):
 * 100,000 lines straight into the parser and 25,000 deliveries through the whole ingest path
 * (decode, parse, reducers, detectors, store, alerts). Nothing may throw, every line must be
 * counted once as an event line, a rejection or unrecognised, and every refused delivery
 * counted as one rejection with the step that failed. A parser that threw shows as a
 * "parser failed" rejection: none is allowed. The memory test runs in a child with --expose-gc.
 */

const NOW = Date.parse('2026-10-05T12:00:00Z');
const LINE_RUNS = 100_000;
const DELIVERY_RUNS = 25_000;

/** Every `__proto__`/`constructor` line tried to set `polluted`; an own-key check after all runs proves none did. */
function assertNoPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('isAdmin');
}

class CountingSink implements AlertSink {
  sent = 0;
  async publish(): Promise<void> {
    this.sent++;
  }
  async send(_message: AlertMessage): Promise<void> {
    this.sent++;
  }
}

const totals = { scanLines: 0, scanRejected: 0, lines: 0, events: 0, eventLines: 0, rejected: 0, unrecognised: 0, deliveries: 0, refused: 0, read: 0, control: 0, kinesis: 0 };
afterAll(() => {
  // The figures docs/reliability.md quotes.
  console.log(`fuzz: ${JSON.stringify(totals)}`);
});

function crashRejection(reason: string): boolean {
  return / parser failed: /.test(reason);
}

describe('fuzzing the line parser (100,000 generated lines)', () => {
  it('never throws, decides every line once, and no parser crashes on one', () => {
    const counts = { events: 0, rejected: 0, unrecognised: 0 };
    fc.assert(
      fc.property(lineArbitrary(), (line) => {
        const outcome = parseLine(line, { source: { origin: 'fuzz.log', line: 1 }, recordTime: NOW, now: NOW, defaultJob: 'fuzz' });
        counts[outcome.kind === 'events' ? 'events' : outcome.kind]++;
        if (outcome.kind === 'rejected') {
          expect(outcome.reason).not.toBe('');
          expect(crashRejection(outcome.reason), outcome.reason).toBe(false);
          // A rejection quotes at most a short piece of the line, never a megabyte of it.
          expect(outcome.reason.length).toBeLessThan(1_000);
        }
        // A line may be ours and say nothing that matters (a cron line of no run): no events.
        if (outcome.kind === 'events') for (const e of outcome.events) expect(Number.isFinite(e.at)).toBe(true);
        if (outcome.kind === 'events' && outcome.rejected !== undefined) expect(crashRejection(outcome.rejected), outcome.rejected).toBe(false);
      }),
      { seed: 20261125, numRuns: LINE_RUNS },
    );
    totals.lines += LINE_RUNS;
    totals.eventLines += counts.events;
    totals.rejected += counts.rejected;
    totals.unrecognised += counts.unrecognised;
    expect(counts.events + counts.rejected + counts.unrecognised).toBe(LINE_RUNS);
    // The generators reach every outcome, in earnest numbers.
    expect(counts.events).toBeGreaterThan(LINE_RUNS * 0.1);
    expect(counts.rejected).toBeGreaterThan(LINE_RUNS * 0.1);
    expect(counts.unrecognised).toBeGreaterThan(LINE_RUNS * 0.1);
    assertNoPollution();
  }, 300_000);
});

function checkReport(d: FuzzDelivery, report: IngestReport): void {
  const c = report.counts;
  expect(report.rejections.length).toBe(Math.min(c.rejected, 100));
  for (const r of report.rejections) {
    expect(r.where).not.toBe('');
    expect(crashRejection(r.reason), r.reason).toBe(false);
  }
  if (d.expect === 'refused') {
    expect(report.status).toBe('payload-rejected');
    expect(c).toEqual({ lines: 0, events: 0, eventLines: 0, nothingToJudge: 0, rejected: 1, unrecognised: 0 });
    expect(report.rejections[0].reason).toMatch(/^(not a CloudWatch Logs subscription event|awslogs\.data (is not base64|is not gzip data|does not hold JSON|is not a CloudWatch Logs payload))/);
    return;
  }
  if (d.expect === 'control') {
    expect(report.status).toBe('control-message');
    return;
  }
  expect(report.status).toBe('processed');
  // Every log event counted as one line, and each line once: as what the parser makes of it alone.
  const alone = { events: 0, eventLines: 0, nothingToJudge: 0, rejected: 0, unrecognised: 0 };
  for (const [i, message] of (d.messages ?? []).entries()) {
    const outcome = parseLine(message, { source: { origin: 'fuzz', line: i + 1 }, recordTime: 1_790_000_000_000 + i * 1000, now: NOW, defaultJob: functionNameOf(d.logGroup ?? '') });
    if (outcome.kind === 'events') {
      alone.events += outcome.events.length;
      // A line rejected in part (an OTLP batch with a broken span) counts as rejected, its events as events.
      alone[outcome.rejected !== undefined ? 'rejected' : outcome.events.length === 0 ? 'nothingToJudge' : 'eventLines']++;
    } else alone[outcome.kind]++;
  }
  expect(c).toEqual({ lines: d.messages?.length, ...alone });
  expect(c.eventLines + c.nothingToJudge + c.rejected + c.unrecognised).toBe(c.lines);
}

describe('fuzzing the ingest path (25,000 generated deliveries)', () => {
  it('refuses each bad delivery whole with the step that failed, reads every line of the others, and never throws', async () => {
    const sink = new CountingSink();
    let store = new MemoryAuditStore();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(deliveryArbitrary(), async (d) => {
        // A fresh store now and then: state grows with the subjects the fuzz invents.
        if (++n % 2_000 === 0) store = new MemoryAuditStore();
        const report = await ingestDelivery(d.event, { store, sink, config: DEFAULT_CONFIG, clock: { now: () => NOW } });
        checkReport(d, report);
        totals.deliveries++;
        totals[d.expect === 'refused' ? 'refused' : d.expect === 'control' ? 'control' : 'read']++;
        if (d.expect === 'read') {
          totals.lines += report.counts.lines;
          totals.events += report.counts.events;
          totals.rejected += report.counts.rejected;
          totals.unrecognised += report.counts.unrecognised;
        }
      }),
      { seed: 20261126, numRuns: DELIVERY_RUNS },
    );
    expect(totals.refused).toBeGreaterThan(DELIVERY_RUNS * 0.2);
    expect(totals.read).toBeGreaterThan(DELIVERY_RUNS * 0.4);
    assertNoPollution();
  }, 600_000);

  it('refuses a bad Kinesis record in a batch and reads the good ones (2,000 generated batches)', async () => {
    const sink = new CountingSink();
    await fc.assert(
      fc.asyncProperty(fc.array(deliveryArbitrary({ heavy: false }), { minLength: 1, maxLength: 4 }), async (deliveries) => {
        const store = new MemoryAuditStore();
        const Records = deliveries.map((d, i) => {
          const data = (d.event as { awslogs?: { data?: unknown } } | null)?.awslogs?.data;
          return { kinesis: { data: typeof data === 'string' ? data : 'not base64!', sequenceNumber: String(i + 1), partitionKey: 'p' } };
        });
        const result = await ingestKinesisBatch({ Records }, { store, sink, config: DEFAULT_CONFIG, clock: { now: () => NOW } });
        // Nothing is retried: a record that cannot be read never will be; it is counted, not thrown.
        expect(result.response.batchItemFailures).toEqual([]);
        const refused = result.reports.reduce((s, r) => s + (r.status === 'payload-rejected' ? r.counts.rejected : 0), 0);
        const readLines = result.reports.reduce((s, r) => s + (r.status === 'processed' ? r.counts.lines : 0), 0);
        const expectedLines = deliveries.reduce((s, d) => s + (d.messages?.length ?? 0), 0);
        expect(readLines).toBe(expectedLines);
        expect(refused).toBe(deliveries.filter((d) => d.expect === 'refused').length);
        totals.kinesis++;
      }),
      { seed: 20261127, numRuns: 2_000 },
    );
  }, 300_000);
});

describe('fuzzing scan over a file (20,000 generated lines with raw invalid bytes)', () => {
  it('reads every line of the file once, and exits 0 or 1, never 2 or a crash', async () => {
    const lines = fc.sample(lineArbitrary({ heavy: false }), { seed: 20261128, numRuns: 20_000 }).map((l) => l.replace(/[\r\n]/g, ' '));
    lines.push(...fc.sample(lineArbitrary(), { seed: 20261129, numRuns: 200 }).map((l) => l.replace(/[\r\n]/g, ' ')));
    // Raw bytes that are no UTF-8 at all, as a damaged file holds them, in every 100th line.
    const raw = Buffer.concat(lines.map((l, i) => Buffer.concat([Buffer.from(l), i % 100 === 0 ? Buffer.from([0xc0, 0xaf, 0xff, 0x00, 0xed, 0xa0, 0x80]) : Buffer.alloc(0), Buffer.from('\n')])));
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-scan-'));
    const file = join(dir, 'fuzz.log');
    writeFileSync(file, raw);
    const out = new PassThrough();
    const err = new PassThrough();
    let stderr = '';
    err.on('data', (d) => (stderr += d.toString()));
    out.resume();
    const result = await runScan({ paths: [file], config: DEFAULT_CONFIG, json: true, now: NOW, stdout: out, stderr: err });
    expect(stderr).not.toMatch(/\n\s+at /);
    expect([0, 1]).toContain(result.exitCode);
    expect(result.counts.lines).toBe(lines.length);
    expect(result.counts.rejected + result.counts.unrecognised).toBeLessThan(lines.length);
    expect(result.counts.rejected).toBeGreaterThan(1_000);
    expect(stderr).toContain(`in ${lines.length.toLocaleString('en-US')} lines from 1 file: `);
    totals.scanLines = lines.length;
    totals.scanRejected = result.counts.rejected;
  }, 300_000);
});

describe('memory under fuzzing', () => {
  it('stays flat: the heap after 20,000 more deliveries is what it was after the first 5,000', () => {
    const probe = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', probe], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { heapMb: number[]; rssMb: number[]; deliveries: number };
    console.log(`fuzz memory: ${JSON.stringify(result)}`);
    expect(result.deliveries).toBe(25_000);
    const [first, ...rest] = result.heapMb;
    // Retained heap after a full GC, measured after each chunk of 5,000: growth under 4 MB.
    for (const mb of rest) expect(mb - first).toBeLessThan(4);
  }, 600_000);
});
