import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { INGEST_V8_FLAGS } from '../lib/node-options.ts';
import { measureBundles, measurePeakMemory } from './bundle-section.ts';
import { measureCpuPaths } from './cpu-section.ts';
import { measureDynamo } from './dynamo-section.ts';
import { measureFilterShare, measureFleetFilterShare } from './filter-share.ts';
import { oursWithDefaultHeap, runWithIngestFlags } from './node-flags.ts';
import { measureScanScale } from './scan-scale.ts';
import { grouped, ratio, verdict } from './stats.ts';
import { buildLargePayload, buildWorkload } from './workload.ts';

/**
 * `npm run bench`: the ingest path against the physical limit and the standard way, on the same
 * generated CloudWatch payloads, in one run; DynamoDB requests per batch (DynamoDB Local); bundle
 * sizes, cold init and peak memory of the Lambdas; the scan at scale; the subscription filter's
 * share. Targets are reported (PASS/FAIL), never asserted: the exit code is 0 whatever they say.
 * The last line is one JSON object with every figure. It runs in a Node started with the ingest
 * function's V8 flags (lib/node-options.ts), as deployed; path (3) is also timed without them.
 *
 *   --quick            fewer runs, 200k lines for the scan
 *   --scan-lines N     lines of the scan at scale (default 1,000,000)
 *   --skip-scan, --skip-dynamo, --skip-bundles
 */

runWithIngestFlags();
const args = process.argv.slice(2);
const has = (flag: string) => args.includes(flag);
const quick = has('--quick');
const scanLinesArg = args.indexOf('--scan-lines');
const scanLines = scanLinesArg >= 0 ? Number(args[scanLinesArg + 1]) : quick ? 200_000 : 1_000_000;
const log = (s = '') => process.stdout.write(`${s}\n`);
/** V8's default semi-space of this Node, in MiB: the heap limit of a Node given only an old-space limit, less it, over 3 (young generation = 3 semi-spaces). */
const defaultSemiSpaceMb = () =>
  (Number(execFileSync(process.execPath, ['--max-old-space-size=256', '-p', 'v8.getHeapStatistics().heap_size_limit'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })) / 1_048_576 - 256) / 3;
const LAMBDA_MEMORY_MB = 256;
const SCAN_RSS_LIMIT_MB = 300;
const SCAN_HEAP_CAP_MB = 128;

log(`silent-audit bench — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
log(`V8 flags of the ingest function, as deployed (lib/node-options.ts): ${INGEST_V8_FLAGS.join(' ')}; (1), (2), (3), (3a), cold init and peak memory run with them.`);
log('Figures from a shared machine are noisy; throughput is per CPU-second of this process (wall time too), medians of several runs.');
log('');

const t0 = performance.now();
const workload = buildWorkload();
log(
  `Workload (${Math.round(performance.now() - t0)} ms to generate): ${workload.measured.length} timed CloudWatch payloads, ` +
    `${grouped(workload.measured.reduce((n, p) => n + p.lines, 0))} lines, ${(workload.measured.reduce((n, p) => n + p.decodedBytes, 0) / 1_048_576).toFixed(1)} MiB decoded, ` +
    `${(workload.measured.reduce((n, p) => n + p.compressedBytes, 0) / 1_048_576).toFixed(2)} MiB gzip; after ${workload.warmup.length} warm-up payloads.`,
);
log('');

log('1. Ingest CPU path, lines per CPU-second');
const cpu = await measureCpuPaths(workload, { runs: quick ? 3 : 7, warmups: quick ? 1 : 2, log });
const rawTarget = cpu.oursVsRaw >= 0.5;
const standardTarget = cpu.oursVsStandard >= 2;
log(`  (1) raw limit (base64 + gunzip + JSON.parse payload and each message): ${grouped(cpu.raw.linesPerSecond)} lines/s (wall ${grouped(cpu.raw.linesPerWallSecond)})`);
log(`  (2) standard way (Powertools CloudWatchEnvelope.safeParse + zod per line): ${grouped(cpu.standard.linesPerSecond)} lines/s (wall ${grouped(cpu.standard.linesPerWallSecond)})`);
log(`  (3) our full ingest path (decode, parse, validate, state, every detector, alerts): ${grouped(cpu.ours.linesPerSecond)} lines/s (wall ${grouped(cpu.ours.linesPerWallSecond)})`);
log(`  (3a) ours, decode + parse + validate only (no state, no detectors): ${grouped(cpu.oursParseOnly.linesPerSecond)} lines/s (wall ${grouped(cpu.oursParseOnly.linesPerWallSecond)})`);
log('  (3) again with Node\'s default heap sizing (no V8 flags), in a child process timed after the rounds above…');
const oursDefaultHeap = oursWithDefaultHeap({ runs: quick ? 3 : 7, warmups: quick ? 1 : 2 });
log(`  (3) with Node's default heap sizing: ${grouped(oursDefaultHeap.linesPerSecond)} lines/s (not paired with (3) above: the machine's drift between the two runs is in the difference; Node ${process.version}'s default semi-space is ${defaultSemiSpaceMb()} MiB)`);
for (const [group, g] of Object.entries(cpu.byGroup)) log(`      ${group}: ${grouped(g.lines)} lines — raw ${grouped(g.raw)}, standard ${grouped(g.standard)}, ours ${grouped(g.ours)} lines/s`);
log(`  target (3) ≥ 50% of (1): ${Math.round(cpu.oursVsRaw * 100)}% ${verdict(rawTarget)}`);
log(`  target (3) ≥ 2× (2): ${cpu.oursVsStandard}× ${verdict(standardTarget)}`);
log('');

let dynamo: Awaited<ReturnType<typeof measureDynamo>> | { skipped: string } = { skipped: 'skipped (--skip-dynamo)' };
if (!has('--skip-dynamo')) {
  log('2. DynamoDB requests per batch (SDK middleware, DynamoDB Local)');
  dynamo = await measureDynamo(workload, log);
  if ('skipped' in dynamo) log(`  ${dynamo.skipped}`);
  else {
    for (const [name, f] of [['warm container', dynamo.warm], ['new container per batch', dynamo.cold]] as const) {
      log(
        `  ${name}: ${f.readsPerSubject} state reads and ${f.writesPerSubject} state writes per subject per batch (most for one subject: ${f.maxReadsPerSubject} reads, ${f.maxWritesPerSubject} writes); ` +
          `requests per batch ${JSON.stringify(f.requestsPerBatch)}; items read ${f.itemsReadPerBatch}, written ${f.itemsWrittenPerBatch}; ` +
          `~${f.rruPerBatch} RRU and ~${f.wruPerBatch} WRU per batch of ${f.linesPerBatch} lines (${f.rruPerLine} RRU, ${f.wruPerLine} WRU per line); state items ${f.meanStateItemBytes} bytes on average`,
      );
      for (const b of f.batches) log(`      ${b.logGroup}: ${b.subjects} subjects, ${b.stateItemsRead} state reads, ${b.stateItemsWritten} state writes, max ${b.maxReadsPerSubject}/${b.maxWritesPerSubject} per subject`);
    }
    log(`  most reads/writes of one state item in a batch, per kind (warm container): ${Object.entries(dynamo.warm.maxPerKind).map(([k, m]) => `${k} ${m.reads}/${m.writes}`).join(', ')}`);
    for (const [name, figures] of [['warm container', dynamo.warm], ['new container per batch', dynamo.cold]] as const) {
      const past = Object.entries(figures.maxPerKind).flatMap(([k, m]) => [
        ...(m.readAgain > 0 ? [`${k} read twice ${m.readAgain} of ${m.keys}`] : []),
        ...(m.writtenAgain > 0 ? [`${k} written twice ${m.writtenAgain} of ${m.keys}`] : []),
      ]);
      if (past.length > 0) log(`      ${name}, states past one read or write (of the state items a batch touched, summed over batches): ${past.join('; ')}`);
    }
    log('      agentrun: read again, past the cache, after the batch commits: the tree judgement must see runs a concurrent invocation wrote (docs/performance.md, Performance and cost); a run the batch starts is read only then, one begun earlier and not cached twice');
    log('      alert: a subject whose delivery sent a notice (recovery, flapping) or failed a send is written again to settle it (docs/performance.md, Targets)');
    log(`  target ≤ 1 read and ≤ 1 write per subject per batch (warm container): ${verdict(dynamo.warm.maxReadsPerSubject <= 1 && dynamo.warm.maxWritesPerSubject <= 1)}`);
  }
  log('');
}

const dir = mkdtempSync(join(tmpdir(), 'silent-audit-bench-'));
let bundles: Awaited<ReturnType<typeof measureBundles>> | undefined;
let peak: Awaited<ReturnType<typeof measurePeakMemory>> | undefined;
try {
  if (!has('--skip-bundles')) {
    log('3. Lambda bundles (esbuild as the stack runs it), cold init (process start → handler exported)');
    bundles = await measureBundles(dir, workload.config, quick ? 3 : 7, log);
    log(`  node itself, to an empty module: ${bundles.nodeStartMs} ms`);
    for (const b of bundles.handlers) {
      log(`  ${b.handler.padEnd(16)} ${grouped(b.bytes).padStart(10)} bytes (${grouped(b.gzipBytes)} gzip), cold init ${b.coldInitMs} ms with source maps, ${b.coldInitNoSourceMapsMs} ms without, ${b.rssAtReadyMb} MB RSS at ready`);
    }
    log('');
    log('4. Peak memory of one batch through the bundled ingest handler (fresh process holding a warm container: AWS SDK clients, Powertools, a full state cache)');
    const large = buildLargePayload();
    const typical = workload.measured.reduce((a, b) => (b.decodedBytes > a.decodedBytes ? b : a));
    peak = await measurePeakMemory(dir, workload.config, [
      { name: 'cloudwatch-1MiB-decoded', payload: typical },
      { name: 'gzip-1MiB', payload: large },
    ]);
    for (const p of peak) {
      log(
        `  ${p.payload}: ${grouped(p.lines)} lines, ${(p.decodedBytes / 1_048_576).toFixed(1)} MiB decoded, ${(p.compressedBytes / 1_048_576).toFixed(2)} MiB gzip → peak RSS ${p.maxRssMb} MB ` +
          `(${p.rssBeforeMb} MB before it, with ${grouped(p.cachedStates)} cached states of ${grouped(p.cachedStateBytes)} bytes of JSON each), ${p.ms} ms; fits ${LAMBDA_MEMORY_MB} MB: ${verdict(p.maxRssMb < LAMBDA_MEMORY_MB)}`,
      );
    }
    log('');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

let scan: ReturnType<typeof measureScanScale> | undefined;
if (!has('--skip-scan')) {
  log(`5. scan at scale: ${grouped(scanLines)} lines, streamed`);
  scan = measureScanScale(scanLines, log, SCAN_HEAP_CAP_MB);
  for (const [label, s] of [[`as the CLI runs it (old space ${scan.cli.maxOldSpaceMb} MB)`, scan.cli], ["Node's default heap", scan.defaultHeap], [`old space capped at ${SCAN_HEAP_CAP_MB} MB`, scan.cappedHeap]] as const) {
    if (!s) continue;
    log(
      `  ${label}: ${grouped(s.lines)} lines (${(s.fileBytes / 1_048_576).toFixed(0)} MiB, ${grouped(s.events)} events, ${s.findings} findings) in ${(s.wallMs / 1000).toFixed(1)} s: ` +
        `${grouped(s.linesPerSecond)} lines/s wall, ${grouped(s.linesPerCpuSecond)} per CPU-second; peak RSS ${s.maxRssMb} MB; ${s.chunks} chunks, at most ${grouped(s.maxHeldEvents)} events held`,
    );
  }
  log(`  target peak RSS < ${SCAN_RSS_LIMIT_MB} MB (as the CLI runs it): ${verdict(scan.cli.maxRssMb < SCAN_RSS_LIMIT_MB)}; throughput vs the ingest path (3): ${ratio(scan.cli.linesPerCpuSecond, cpu.ours.linesPerSecond)}×`);
  log('');
}

log('6. Subscription filter on the demo month');
const filter = measureFilterShare();
log(`  ${grouped(filter.lines)} lines, ${grouped(filter.passedLines)} pass: the filter cuts ${(filter.cutLineShare * 100).toFixed(1)}% of the lines and ${(filter.cutByteShare * 100).toFixed(1)}% of the bytes`);
for (const [group, g] of Object.entries(filter.byLogGroup)) log(`      ${group}: ${grouped(g.lines)} lines, ${(g.cutLineShare * 100).toFixed(1)}% cut`);
const fleetFilter = measureFleetFilterShare(100_000);
log(`  the scan's fleet file (application chatter included), first ${grouped(fleetFilter.lines)} lines: ${(fleetFilter.cutLineShare * 100).toFixed(1)}% of the lines and ${(fleetFilter.cutByteShare * 100).toFixed(1)}% of the bytes cut`);
log('');

const summary = {
  bench: 'silent-audit',
  at: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
  workload: { payloads: cpu.payloads, lines: cpu.lines, decodedBytes: cpu.decodedBytes, compressedBytes: cpu.compressedBytes },
  ingestV8Flags: INGEST_V8_FLAGS,
  linesPerSecond: { raw: cpu.raw.linesPerSecond, standard: cpu.standard.linesPerSecond, ours: cpu.ours.linesPerSecond, oursParseOnly: cpu.oursParseOnly.linesPerSecond, oursDefaultHeap: oursDefaultHeap.linesPerSecond },
  linesPerWallSecond: { raw: cpu.raw.linesPerWallSecond, standard: cpu.standard.linesPerWallSecond, ours: cpu.ours.linesPerWallSecond, oursParseOnly: cpu.oursParseOnly.linesPerWallSecond },
  byGroup: cpu.byGroup,
  ratios: { oursVsRaw: cpu.oursVsRaw, oursVsStandard: cpu.oursVsStandard },
  targets: {
    oursAtLeastHalfOfRaw: rawTarget,
    oursAtLeastTwiceStandard: standardTarget,
    dynamoOneReadOneWritePerSubject: 'skipped' in dynamo ? null : dynamo.warm.maxReadsPerSubject <= 1 && dynamo.warm.maxWritesPerSubject <= 1,
    peakMemoryFits256MB: peak ? peak.every((p) => p.maxRssMb < LAMBDA_MEMORY_MB) : null,
    scanRssUnder300MB: scan ? scan.cli.maxRssMb < SCAN_RSS_LIMIT_MB : null,
  },
  dynamo:
    'skipped' in dynamo
      ? dynamo
      : Object.fromEntries(
          (['warm', 'cold'] as const).map((k) => {
            const { batches, ...rest } = dynamo[k as 'warm'];
            return [k, { ...rest, batches: batches.length }];
          }),
        ),
  bundles: bundles ? { nodeStartMs: bundles.nodeStartMs, handlers: bundles.handlers } : null,
  peakMemory: peak ?? null,
  scan: scan ?? null,
  filter: { lines: filter.lines, passedLines: filter.passedLines, cutLineShare: filter.cutLineShare, cutByteShare: filter.cutByteShare, fleetFile: fleetFilter },
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
