/**
 * `npm run bench:ab -- [REF] [--rounds N]`: our full ingest CPU path (3) as it is in the working
 * tree against the same path at a git ref (default `HEAD`), both bundled by esbuild and loaded
 * into one process, timed in alternating order over the same payloads. The machine's speed drifts
 * by tens of percent within minutes, so two bench runs cannot tell a 10% change from the noise; a
 * paired comparison can. Prints the speed of the working tree relative to REF (the median of the
 * per-round ratios, with their spread) and ends with one JSON line. Both run in one Node started
 * with the ingest function's V8 flags (lib/node-options.ts), as the bench runs them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ESM_REQUIRE_SHIM } from './bundle-section.ts';
import { grouped, median, pairedRatios, perSecond, timeInterleaved } from './stats.ts';
import { runWithIngestFlags } from './node-flags.ts';
import { buildWorkload } from './workload.ts';

runWithIngestFlags();
const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 16;
const ref = args.find((a, i) => !a.startsWith('--') && i !== roundsAt + 1) ?? 'HEAD';
if (!Number.isInteger(rounds) || rounds < 3) throw new Error(`--rounds: expected a whole number of at least 3, got ${args[roundsAt + 1]}`);

/** What the A/B needs of a tree: the bench's own entry points, as they are at that tree. */
interface PathModule {
  validateConfig(raw: unknown, where: string): unknown;
  MemoryAuditStore: new () => { snapshot(): { states: ReadonlyMap<string, { state: unknown }> } };
  seededStore(states: ReadonlyMap<string, { state: unknown }>): Promise<unknown>;
  ingestDeps(store: unknown, config: unknown, clock: { now(): number }): unknown;
  fullIngest(events: readonly unknown[], deps: unknown): Promise<{ lines: number; findings: number; rejected: number }>;
}

/** Bundles a tree's ingest path as the bench runs it, into `out`. */
async function bundle(tree: string, out: string): Promise<PathModule> {
  const entry = join(out, 'entry.ts');
  writeFileSync(
    entry,
    [
      `export { validateConfig } from ${JSON.stringify(join(tree, 'lambdas/config.ts'))};`,
      `export { MemoryAuditStore } from ${JSON.stringify(join(tree, 'lambdas/adapters/memory-store.ts'))};`,
      `export { seededStore, ingestDeps, fullIngest } from ${JSON.stringify(join(tree, 'bench/cpu-paths.ts'))};`,
    ].join('\n'),
  );
  const outfile = join(out, 'path.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    nodePaths: [join(repo, 'node_modules')],
    banner: { js: ESM_REQUIRE_SHIM },
    logLevel: 'warning',
  });
  return (await import(pathToFileURL(outfile).href)) as PathModule;
}

const work = mkdtempSync(join(tmpdir(), 'silent-audit-ab-'));
const baseTree = join(work, 'tree');
let worktreeAdded = false;
try {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: repo, encoding: 'utf8' }).trim();
  execFileSync('git', ['worktree', 'add', '--detach', '--quiet', baseTree, sha], { cwd: repo, stdio: 'inherit' });
  worktreeAdded = true;
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lambdas', 'bench'], { cwd: repo, encoding: 'utf8' }).trim() !== '';
  console.log(`A/B of the ingest CPU path: working tree${dirty ? ' (with uncommitted changes)' : ''} against ${ref} (${sha}), ${rounds} rounds, order alternating`);

  const [baseDir, nowDir] = [join(work, 'base'), join(work, 'now')];
  for (const d of [baseDir, nowDir]) mkdirSync(d);
  const base = await bundle(baseTree, baseDir);
  const now = await bundle(repo, nowDir);

  const workload = buildWorkload();
  const events = workload.measured.map((p) => p.event);
  const lines = workload.measured.reduce((n, p) => n + p.lines, 0);
  const lastAt = Math.max(...workload.measured.map((p) => p.lastTimestamp));
  const warmAt = Math.max(...workload.warmup.map((p) => p.lastTimestamp));

  /** A tree's path, warmed with the warm-up payloads by that tree's own code. */
  const pathOf = async (m: PathModule) => {
    const config = m.validateConfig(workload.config, 'bench config');
    const warm = new m.MemoryAuditStore();
    await m.fullIngest(
      workload.warmup.map((p) => p.event),
      m.ingestDeps(warm, config, { now: () => warmAt + 60_000 }),
    );
    const states = warm.snapshot().states;
    let result = { lines: 0, findings: 0, rejected: 0 };
    return {
      path: {
        prepare: async () => m.ingestDeps(await m.seededStore(states), config, { now: () => lastAt + 60_000 }),
        body: async (deps: unknown) => (result = await m.fullIngest(events, deps)),
      },
      result: () => result,
    };
  };
  const a = await pathOf(base);
  const b = await pathOf(now);
  const timed = await timeInterleaved({ base: a.path, now: b.path }, { warmups: 2, runs: rounds });

  const ratios = pairedRatios(timed.now, timed.base).sort((x, y) => x - y);
  const speed = median(ratios);
  const perCpuSecond = { base: perSecond(lines, timed.base.medianCpuMs), now: perSecond(lines, timed.now.medianCpuMs) };
  console.log(`  ${ref}: ${grouped(perCpuSecond.base)} lines per CPU-second, ${a.result().findings} findings`);
  console.log(`  working tree: ${grouped(perCpuSecond.now)} lines per CPU-second, ${b.result().findings} findings`);
  console.log(`  working tree speed / ${ref}: ${speed.toFixed(2)}× (median of ${rounds} paired rounds; rounds ranged ${ratios[0].toFixed(2)}–${ratios.at(-1)?.toFixed(2)})`);
  if (a.result().findings !== b.result().findings) console.log('  note: the two trees made different findings on the same payloads');
  console.log(
    JSON.stringify({
      ab: 'silent-audit',
      ref,
      sha,
      dirty,
      rounds,
      lines,
      speedRatio: Math.round(speed * 1000) / 1000,
      ratioRange: [ratios[0], ratios.at(-1)].map((r) => Math.round((r ?? 0) * 1000) / 1000),
      linesPerCpuSecond: perCpuSecond,
      findings: { base: a.result().findings, now: b.result().findings },
    }),
  );
} finally {
  if (worktreeAdded) execFileSync('git', ['worktree', 'remove', '--force', baseTree], { cwd: repo });
  rmSync(work, { recursive: true, force: true });
}
