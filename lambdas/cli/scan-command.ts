import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError, openLineSource } from '../adapters/file-lines.ts';
import type { Config } from '../config.ts';
import { type Finding, findingKey } from '../core/findings.ts';
import { LineTally } from '../core/line-tally.ts';
import { parseLine } from '../core/parse/index.ts';
import { processBatch } from '../core/pipeline.ts';
import { REDUCERS } from '../core/reducers.ts';
import { textTable } from '../core/text-table.ts';
import type { LineCounts } from '../ports.ts';
import { ProgressBar } from './progress.ts';
import { openStore } from './stores.ts';

export interface ScanOptions {
  readonly paths: readonly string[];
  readonly config: Config;
  readonly json: boolean;
  /** Epoch ms at which absence is judged; default the latest event time seen. */
  readonly now?: number;
  readonly year?: number;
  readonly store?: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin?: Readable;
}

export interface ScanResult {
  readonly exitCode: 0 | 1 | 2;
  readonly findings: readonly Finding[];
  readonly counts: LineCounts;
}

/** Contract §1b: the job of a file's Lambda platform lines is its base name without extensions (`etl-loader.log.gz` → `etl-loader`). */
export function jobNameOfFile(path: string): string | undefined {
  if (path === '-') return undefined;
  const name = basename(path);
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/**
 * `silent-audit scan`: reads every file line by line (any mix of formats), runs the pipeline on
 * the events in time order as one batch, and prints the findings. Exit 0: no findings; 1:
 * findings; 2: usage or input error.
 */
export async function runScan(opts: ScanOptions): Promise<ScanResult> {
  const write = (s: string) => opts.stdout.write(`${s}\n`);
  const note = (s: string) => (opts.json ? opts.stderr : opts.stdout).write(`${s}\n`);
  const tally = new LineTally();
  let sources;
  try {
    sources = opts.paths.map((p) => openLineSource(p, opts.stdin));
  } catch (error) {
    if (error instanceof InputError) {
      opts.stderr.write(`silent-audit scan: ${error.message}\n`);
      return { exitCode: 2, findings: [], counts: tally.counts };
    }
    throw error;
  }
  const yearNow = opts.now ?? Date.now();

  for (const source of sources) {
    const progress = new ProgressBar(opts.stderr as NodeJS.WritableStream, `scanning ${source.name}`, source.size);
    const defaultJob = jobNameOfFile(source.name === 'stdin' ? '-' : source.name);
    let lineNo = 0;
    try {
      for await (const line of source.lines((n) => progress.advance(n))) {
        lineNo++;
        progress.line();
        const outcome = parseLine(line, { source: { origin: source.name, line: lineNo }, year: opts.year, now: yearNow, defaultJob });
        tally.add(outcome, () => `${source.name}:${lineNo}`);
      }
    } catch (error) {
      progress.finish();
      if (!(error instanceof InputError)) throw error;
      opts.stderr.write(`silent-audit scan: ${source.name}: ${error.message} (after line ${lineNo})\n`);
      return { exitCode: 2, findings: [], counts: tally.counts };
    }
    progress.finish();
  }

  const latest = tally.events.reduce((max, e) => Math.max(max, e.at), 0);
  const now = opts.now ?? latest;
  const opened = await openStore(opts.store);
  let findings: Finding[];
  try {
    const batch = await processBatch(tally.events, REDUCERS, opened.store, { config: opts.config, clock: { now: () => now } });
    findings = batch.findings;
    // The scan shows its findings to the user: that is their alert, so none stays pending.
    for (const f of findings) await opened.store.markAlerted(findingKey(f));
  } finally {
    await opened.close();
  }

  if (opts.json) {
    for (const f of findings) write(JSON.stringify(f));
  } else if (findings.length > 0) {
    write(
      textTable(
        ['TIME', 'SEVERITY', 'DETECTOR', 'SUBJECT', 'RUN', 'MESSAGE'],
        findings.map((f) => [f.ts, f.severity, f.detector, f.subject, f.run_id ?? f.expected_at ?? '', f.message]),
        [20, 8, 26, 40, 36, 120],
      ),
    );
    write('');
  }
  const c = tally.counts;
  note(
    `${findings.length} finding${findings.length === 1 ? '' : 's'} in ${c.lines.toLocaleString('en-US')} lines from ${sources.length} file${sources.length === 1 ? '' : 's'}: ` +
      `${c.events.toLocaleString('en-US')} events, ${c.rejected} rejected, ${c.unrecognised.toLocaleString('en-US')} unrecognised` +
      (opened.persistent ? `; state saved to ${opened.description}` : ''),
  );
  for (const r of tally.rejections.slice(0, 20)) note(`  rejected ${r.where}: ${r.reason}`);
  if (tally.counts.rejected > 20) note(`  … and ${tally.counts.rejected - 20} more rejected lines`);
  return { exitCode: findings.length > 0 ? 1 : 0, findings, counts: c };
}
