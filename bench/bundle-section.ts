import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { MemoryAuditStore } from '../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../lambdas/config.ts';
import { ingestPayloads } from '../lambdas/core/ingest.ts';
import { INGEST_V8_FLAGS } from '../lib/node-options.ts';
import { median } from './stats.ts';
import type { BenchPayload } from './workload.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const HANDLERS = join(ROOT, 'lambdas/handlers');

/** The banner `lib/constructs/audit-function.ts` puts on every bundle (ESM has no `require`; the SDK's CommonJS parts call it). */
/** The `require` an ESM bundle of CommonJS dependencies needs, as the stack's bundles get it. */
export const ESM_REQUIRE_SHIM = "import { createRequire as __silentAuditCreateRequire } from 'node:module'; const require = __silentAuditCreateRequire(import.meta.url);";

/** Every handler module that exports `handler`: the Lambdas the stack deploys. */
export function handlerEntries(): string[] {
  return readdirSync(HANDLERS)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(HANDLERS, f))
    .filter((path) => /export\s+const\s+handler\b/.test(readFileSync(path, 'utf8')))
    .sort();
}

/**
 * Bundles an entry the way `AuditFunction` has CDK's NodejsFunction do it: local esbuild, ESM,
 * node24 target, minified, linked source map without sources, the SDK bundled in, `module`
 * before `main`, the require shim, the config compiled in.
 */
export async function bundleLikeTheStack(entry: string, outfile: string, config: unknown): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_SHIM },
    define: { __SILENT_AUDIT_CONFIG__: JSON.stringify(JSON.stringify(config)) },
    logLevel: 'error',
  });
}

export interface BundleFigures {
  readonly handler: string;
  readonly bytes: number;
  /** The bundle gzip-compressed: about what the deployment package zip holds. */
  readonly gzipBytes: number;
  /** Median ms from process start to the module imported and `handler` exported, with `--enable-source-maps` and the function's V8 flags, as deployed. */
  readonly coldInitMs: number;
  /** The same without source maps. */
  readonly coldInitNoSourceMapsMs: number;
  readonly rssAtReadyMb: number;
}

const RUNNER = `const m = await import(process.argv[2]);
if (typeof m.handler !== 'function') process.exit(3);
process.stdout.write(JSON.stringify({ readyMs: performance.now(), rssMb: process.memoryUsage().rss / 1048576 }));
`;

const ENV = { ...process.env, TABLE_NAME: 'silent-audit', TOPIC_ARN: 'arn:aws:sns:eu-central-1:123456789012:alerts', REPORT_BUCKET: 'reports', AWS_REGION: 'eu-central-1', POWERTOOLS_SERVICE_NAME: 'silent-audit', NODE_OPTIONS: '' };

function coldStart(dir: string, module: string, flags: string[]): { readyMs: number; rssMb: number } {
  const out = execFileSync(process.execPath, [...flags, join(dir, 'runner.mjs'), module], { env: ENV, encoding: 'utf8' });
  return JSON.parse(out) as { readyMs: number; rssMb: number };
}

/** The V8 flags a handler's function is deployed with (lib/node-options.ts; the stack gives them to the ingest function). */
function v8FlagsOf(handler: string): readonly string[] {
  return handler === 'ingest' ? INGEST_V8_FLAGS : [];
}

/** Bundles every handler, and times its cold init (`runs` child processes each, median). */
export async function measureBundles(dir: string, config: unknown, runs: number, log: (s: string) => void): Promise<{ handlers: BundleFigures[]; nodeStartMs: number }> {
  writeFileSync(join(dir, 'runner.mjs'), RUNNER);
  writeFileSync(join(dir, 'empty.mjs'), 'export const handler = () => undefined;\n');
  const nodeStartMs = median(Array.from({ length: runs }, () => coldStart(dir, join(dir, 'empty.mjs'), []).readyMs));
  const handlers: BundleFigures[] = [];
  for (const entry of handlerEntries()) {
    const name = basename(entry, '.ts');
    const outfile = join(dir, name, 'index.mjs');
    await bundleLikeTheStack(entry, outfile, config);
    const code = readFileSync(outfile);
    log(`  ${name}: ${code.length.toLocaleString('en-US')} bytes; timing cold init…`);
    const v8Flags = v8FlagsOf(name);
    const withMaps = Array.from({ length: runs }, () => coldStart(dir, outfile, ['--enable-source-maps', ...v8Flags]));
    const without = Array.from({ length: runs }, () => coldStart(dir, outfile, [...v8Flags]));
    handlers.push({
      handler: name,
      bytes: statSync(outfile).size,
      gzipBytes: gzipSync(code).length,
      coldInitMs: Math.round(median(withMaps.map((r) => r.readyMs))),
      coldInitNoSourceMapsMs: Math.round(median(without.map((r) => r.readyMs))),
      rssAtReadyMb: Math.round(median(withMaps.map((r) => r.rssMb))),
    });
  }
  return { handlers, nodeStartMs: Math.round(nodeStartMs) };
}

export interface PeakMemory {
  readonly payload: string;
  readonly lines: number;
  readonly decodedBytes: number;
  readonly compressedBytes: number;
  readonly maxRssMb: number;
  readonly rssBeforeMb: number;
  readonly ms: number;
  readonly findings: number;
  /** States held in the warm container's cache while the batch ran, and the JSON bytes of each. */
  readonly cachedStates: number;
  readonly cachedStateBytes: number;
}

/**
 * The state of an hourly job after `runs` runs (1,100: past the 1,000 it remembers, the steady
 * state of the cost model in docs/performance.md), as JSON: what a warm container's state cache holds per job.
 */
export async function steadyHourlyJobState(runs = 1_100): Promise<string> {
  const config = validateConfig({ jobs: { 'hourly-sync': { schedule: '5 * * * *', grace_minutes: 10, max_runtime_minutes: 30 } } }, 'steady-state config');
  const store = new MemoryAuditStore();
  const hour = 3_600_000;
  const t0 = Date.UTC(2026, 8, 1, 0, 5);
  let logEvents: Array<{ id: string; timestamp: number; message: string }> = [];
  for (let i = 0; i < runs; i++) {
    const at = t0 + i * hour;
    const run = `${i.toString(16).padStart(8, '0')}-7c1e-4d2a-9b3f-${(i * 7919).toString(16).padStart(12, '0')}`;
    logEvents.push({ id: `${i}a`, timestamp: at, message: JSON.stringify({ type: 'run.start', job: 'hourly-sync', run_id: run, ts: new Date(at).toISOString() }) });
    logEvents.push({
      id: `${i}b`,
      timestamp: at + 60_000 + (i % 7) * 1000,
      message: JSON.stringify({ type: 'run.end', job: 'hourly-sync', run_id: run, exit_code: 0, duration_ms: 60_000 + (i % 7) * 1000, output_bytes: 1000 + (i % 13), output_lines: 10, ts: new Date(at + 60_000 + (i % 7) * 1000).toISOString() }),
    });
    if (logEvents.length >= 48 || i === runs - 1) {
      const last = logEvents[logEvents.length - 1].timestamp;
      const payload = { messageType: 'DATA_MESSAGE', owner: '1', logGroup: '/jobs/hourly-sync', logStream: 's', subscriptionFilters: [], logEvents };
      await ingestPayloads([payload], { store, sink: { publish: async () => undefined }, config, clock: { now: () => last + 60_000 } });
      logEvents = [];
    }
  }
  const job = [...store.snapshot().states].find(([key]) => key.startsWith('job#'));
  if (!job) throw new Error('steady-state job: no job state after ingesting its runs');
  return JSON.stringify(job[1].state);
}

/**
 * One payload through the bundled ingest handler in a fresh child process, started with the ingest
 * function's V8 flags, holding what a warm container holds (the AWS SDK clients, Powertools, a state cache full of steady-state job states):
 * its peak RSS.
 */
export async function measurePeakMemory(dir: string, config: unknown, payloads: ReadonlyArray<{ name: string; payload: BenchPayload }>): Promise<PeakMemory[]> {
  const bundle = join(dir, 'peak-memory', 'index.mjs');
  await bundleLikeTheStack(join(ROOT, 'bench/peak-memory-entry.ts'), bundle, config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const warmState = join(dir, 'warm-state.json');
  writeFileSync(warmState, await steadyHourlyJobState());
  return payloads.map(({ name, payload }) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(payload.event));
    const out = JSON.parse(execFileSync(process.execPath, ['--enable-source-maps', ...INGEST_V8_FLAGS, bundle, file, join(dir, 'config.json'), warmState], { env: ENV, encoding: 'utf8' })) as {
      status: string;
      lines: number;
      findings: number;
      ms: number;
      rssBeforeMb: number;
      maxRssMb: number;
      cachedStates: number;
      cachedStateBytes: number;
    };
    if (out.status !== 'processed') throw new Error(`peak memory payload ${name}: ${out.status}`);
    return { payload: name, lines: out.lines, decodedBytes: payload.decodedBytes, compressedBytes: payload.compressedBytes, maxRssMb: out.maxRssMb, rssBeforeMb: out.rssBeforeMb, ms: out.ms, findings: out.findings, cachedStates: out.cachedStates, cachedStateBytes: out.cachedStateBytes };
  });
}
