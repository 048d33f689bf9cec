import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SCAN_HEAP_MB } from '../lambdas/cli/scan-heap.ts';

/**
 * The scan at scale: a file of `lines` realistic lines (`scan-lines.ts`, ~320 bytes each) written
 * by one child process, scanned by another exactly as the CLI runs (`tsx`, default chunk size),
 * which reports its peak RSS, CPU and wall time. `npm run bench:scan [LINES]` runs it alone.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface ScanScaleFigures {
  readonly lines: number;
  readonly fileBytes: number;
  readonly events: number;
  readonly findings: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly linesPerSecond: number;
  readonly linesPerCpuSecond: number;
  readonly maxRssMb: number;
  readonly chunks: number;
  readonly maxHeldEvents: number;
  readonly generateMs: number;
}

/** Runs in the child: scans `file` with the CLI's code, output dropped, and prints its figures. */
async function scanChild(file: string): Promise<void> {
  const { runScan } = await import('../lambdas/cli/scan-command.ts');
  const { DEFAULT_CONFIG } = await import('../lambdas/config.ts');
  const sink = () => new Writable({ write: (_chunk, _enc, done) => done() });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runScan({ paths: [file], config: DEFAULT_CONFIG, json: true, stdout: sink(), stderr: sink() });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({
      lines: result.counts.lines,
      events: result.counts.events,
      findings: result.findings.length,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      chunks: result.stream?.chunks ?? 0,
      maxHeldEvents: result.stream?.maxHeldEvents ?? 0,
    })}\n`,
  );
}

export interface ScanScaleRuns {
  /** The scan as `bin/silent-audit.mjs` runs it: old space limited to `SCAN_HEAP_MB`. */
  readonly cli: ScanScaleFigures & { readonly maxOldSpaceMb: number };
  /** The same with Node's default heap sizing (from the machine's memory), for comparison. */
  readonly defaultHeap: ScanScaleFigures;
  /** The same with V8's old generation capped lower (`--max-old-space-size`), which shows the live set, not V8's slack. */
  readonly cappedHeap?: ScanScaleFigures & { readonly maxOldSpaceMb: number };
}

/** Writes the file once and scans it with the default heap, and with a capped one if `maxOldSpaceMb` is given. */
export function measureScanScale(lines: number, log: (s: string) => void, maxOldSpaceMb?: number): ScanScaleRuns {
  const dir = mkdtempSync(join(tmpdir(), 'silent-audit-scan-'));
  try {
    const file = join(dir, 'fleet.log');
    log(`  writing ${lines.toLocaleString('en-US')} lines…`);
    const g0 = performance.now();
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/scan-lines.ts'), file, String(lines)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const generateMs = Math.round(performance.now() - g0);
    const fileBytes = statSync(file).size;
    const scan = (flags: string[]): ScanScaleFigures => {
      log(`  scanning ${(fileBytes / 1_048_576).toFixed(0)} MiB in a child process${flags.length ? ` (${flags.join(' ')})` : ''}…`);
      const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', file], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
      const child = JSON.parse(out.trim().split('\n').pop() as string) as Omit<ScanScaleFigures, 'fileBytes' | 'generateMs' | 'linesPerSecond' | 'linesPerCpuSecond'>;
      return {
        ...child,
        fileBytes,
        generateMs,
        linesPerSecond: Math.round((child.lines * 1000) / child.wallMs),
        linesPerCpuSecond: Math.round((child.lines * 1000) / child.cpuMs),
      };
    };
    const cli = { ...scan([`--max-old-space-size=${SCAN_HEAP_MB}`]), maxOldSpaceMb: SCAN_HEAP_MB };
    const defaultHeap = scan([]);
    const cappedHeap = maxOldSpaceMb === undefined ? undefined : { ...scan([`--max-old-space-size=${maxOldSpaceMb}`]), maxOldSpaceMb };
    return { cli, defaultHeap, cappedHeap };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await scanChild(args[1]);
  } else {
    const figures = measureScanScale(Number(args[0] ?? 1_000_000), (s) => process.stderr.write(`${s}\n`), 128);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  }
}
