import { validateConfig } from '../lambdas/config.ts';
import { MemoryAuditStore } from '../lambdas/adapters/memory-store.ts';
import type { IngestDeps } from '../lambdas/core/ingest.ts';
import { fullIngest, ingestDeps, ourParseOnly, powertoolsStandard, rawLimit, seededStore } from './cpu-paths.ts';
import { pairedSpeedRatio, perSecond, timeInterleaved, type Timed } from './stats.ts';
import type { BenchPayload, Workload } from './workload.ts';

export interface PathFigures {
  /** Lines per CPU-second (median run): the headline figure, steady on a shared machine. */
  readonly linesPerSecond: number;
  /** Lines per wall-clock second (median run). */
  readonly linesPerWallSecond: number;
  readonly medianCpuMs: number;
  readonly medianMs: number;
  readonly runsCpuMs: readonly number[];
}

export interface CpuFigures {
  readonly lines: number;
  readonly payloads: number;
  readonly decodedBytes: number;
  readonly compressedBytes: number;
  readonly raw: PathFigures;
  readonly standard: PathFigures & { readonly linesFailingLineSchema: number };
  readonly ours: PathFigures & { readonly findings: number; readonly rejected: number };
  /** (3a) our decode, parse and validation alone (no state, no detectors): the like-for-like of (2). */
  readonly oursParseOnly: PathFigures;
  /** (3) / (1) and (3) / (2): medians of the ratios of runs timed in the same round. */
  readonly oursVsRaw: number;
  readonly oursVsStandard: number;
  /** Lines/s of each path per kind of payload (job fleet, agent service). */
  readonly byGroup: Record<string, { lines: number; raw: number; standard: number; ours: number }>;
}

function figures(lines: number, t: Timed): PathFigures {
  return {
    linesPerSecond: perSecond(lines, t.medianCpuMs),
    linesPerWallSecond: perSecond(lines, t.medianMs),
    medianCpuMs: Math.round(t.medianCpuMs * 10) / 10,
    medianMs: Math.round(t.medianMs * 10) / 10,
    runsCpuMs: t.runsCpuMs.map((ms) => Math.round(ms)),
  };
}

/** The states after the warm-up payloads, as a warm container's in-process cache holds them. */
async function warmedStates(workload: Workload, config: ReturnType<typeof validateConfig>) {
  const warm = new MemoryAuditStore();
  await fullIngest(
    workload.warmup.map((p) => p.event),
    ingestDeps(warm, config, { now: () => Math.max(...workload.warmup.map((p) => p.lastTimestamp)) + 60_000 }),
  );
  return warm.snapshot().states;
}

/**
 * Our full path (3) alone, on the measured payloads, from the same warm state, `runs` timed runs
 * after `warmups`: for the same figure in a process with other V8 flags (bench/node-flags.ts).
 */
export async function measureOursOnly(workload: Workload, opts: { runs: number; warmups: number }): Promise<{ linesPerSecond: number; medianCpuMs: number; runsCpuMs: number[] }> {
  const config = validateConfig(workload.config, 'bench config');
  const warmStates = await warmedStates(workload, config);
  const events = workload.measured.map((p) => p.event);
  const lines = workload.measured.reduce((n, p) => n + p.lines, 0);
  const clock = { now: () => Math.max(...workload.measured.map((p) => p.lastTimestamp)) + 60_000 };
  const { ours } = await timeInterleaved({ ours: { prepare: async () => ingestDeps(await seededStore(warmStates), config, clock), body: (deps: IngestDeps) => fullIngest(events, deps) } }, opts);
  return { linesPerSecond: perSecond(lines, ours.medianCpuMs), medianCpuMs: Math.round(ours.medianCpuMs * 10) / 10, runsCpuMs: ours.runsCpuMs.map((ms) => Math.round(ms)) };
}

/**
 * Times the paths on the same payloads, interleaved round by round (`timeInterleaved`): `runs`
 * timed rounds after `warmups` untimed ones, medians reported, ratios paired by round. Our path starts every run from the same warm state (the warm-up
 * payloads already folded in), as a warm container's in-process cache would hold it.
 */
export async function measureCpuPaths(workload: Workload, opts: { runs: number; warmups: number; log: (s: string) => void }): Promise<CpuFigures> {
  const config = validateConfig(workload.config, 'bench config');
  const measured = workload.measured;
  const lastAt = Math.max(...measured.map((p) => p.lastTimestamp));
  const clock = { now: () => lastAt + 60_000 };

  opts.log(`  warming state with ${workload.warmup.length} payloads (${workload.warmup.reduce((n, p) => n + p.lines, 0).toLocaleString('en-US')} lines)…`);
  const warmStates = await warmedStates(workload, config);

  const run = async (payloads: readonly BenchPayload[], runs: number, warmups: number) => {
    const events = payloads.map((p) => p.event);
    const lines = payloads.reduce((n, p) => n + p.lines, 0);
    let failing = 0;
    let result = { lines: 0, findings: 0, rejected: 0 };
    const none = () => undefined;
    const { raw, standard, parseOnly, ours } = await timeInterleaved(
      {
        raw: { prepare: none, body: () => rawLimit(events) },
        standard: { prepare: none, body: () => (failing = powertoolsStandard(events).failed) },
        parseOnly: { prepare: none, body: () => ourParseOnly(events) },
        ours: { prepare: async () => ingestDeps(await seededStore(warmStates), config, clock), body: async (deps: IngestDeps) => (result = await fullIngest(events, deps)) },
      },
      { warmups, runs },
    );
    if (result.lines !== lines) throw new Error(`our path read ${result.lines} lines, expected ${lines}`);
    return { lines, raw, standard, parseOnly, ours, failing, result };
  };

  opts.log(`  timing ${measured.length} payloads: ${opts.runs} rounds, each running every path once (order rotated), after ${opts.warmups} warm-up rounds…`);
  const all = await run(measured, opts.runs, opts.warmups);
  const byGroup: CpuFigures['byGroup'] = {};
  for (const group of [...new Set(measured.map((p) => p.logGroup))]) {
    const part = await run(
      measured.filter((p) => p.logGroup === group),
      Math.max(3, Math.ceil(opts.runs / 2)),
      1,
    );
    byGroup[group] = {
      lines: part.lines,
      raw: perSecond(part.lines, part.raw.medianCpuMs),
      standard: perSecond(part.lines, part.standard.medianCpuMs),
      ours: perSecond(part.lines, part.ours.medianCpuMs),
    };
  }
  const raw = figures(all.lines, all.raw);
  const standard = { ...figures(all.lines, all.standard), linesFailingLineSchema: all.failing };
  const ours = { ...figures(all.lines, all.ours), findings: all.result.findings, rejected: all.result.rejected };
  return {
    lines: all.lines,
    payloads: measured.length,
    decodedBytes: measured.reduce((n, p) => n + p.decodedBytes, 0),
    compressedBytes: measured.reduce((n, p) => n + p.compressedBytes, 0),
    raw,
    standard,
    ours,
    oursParseOnly: figures(all.lines, all.parseOnly),
    oursVsRaw: pairedSpeedRatio(all.ours, all.raw),
    oursVsStandard: pairedSpeedRatio(all.ours, all.standard),
    byGroup,
  };
}
