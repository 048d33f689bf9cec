import type { Readable } from 'node:stream';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { defaultCloudWatchLogsClient } from '../adapters/cloudwatch-log-reader.ts';
import { InputError } from '../adapters/file-lines.ts';
import type { Config } from '../config.ts';
import { registryForBatch } from '../core/exception-registry.ts';
import { type Finding, findingKey } from '../core/findings.ts';
import { subscriptionFilterPattern } from '../core/filter-pattern.ts';
import { LineTally } from '../core/line-tally.ts';
import { type JobSummary, summarizeJobs } from '../core/job-reducer.ts';
import { processBatch, sweepSubjects } from '../core/pipeline.ts';
import { REDUCERS } from '../core/reducers.ts';
import { textTable } from '../core/text-table.ts';
import type { LineCounts } from '../ports.ts';
import { describeSources, fileSource, logGroupSource, readSources, type ScanSource } from './scan-sources.ts';
import { openStore } from './stores.ts';

export { jobNameOfFile } from './scan-sources.ts';

/** How far back `--log-group` reads by default. */
export const DEFAULT_SCAN_SINCE_MS = 7 * 86_400_000;

export interface ScanOptions {
  readonly paths: readonly string[];
  /** CloudWatch log groups to read besides the files (FilterLogEvents, with the stack's subscription filter pattern). */
  readonly logGroups?: readonly string[];
  /** Epoch ms: read log groups from here; default 7 days ago. */
  readonly since?: number;
  readonly logsClient?: CloudWatchLogsClient;
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

/**
 * `silent-audit scan`: reads every file and every CloudWatch log group line by line (any mix of
 * formats), runs the pipeline on the events in time order as one batch, and prints the findings.
 * Exit 0: no findings; 1: findings; 2: usage or input error.
 */
export async function runScan(opts: ScanOptions): Promise<ScanResult> {
  const write = (s: string) => opts.stdout.write(`${s}\n`);
  const note = (s: string) => (opts.json ? opts.stderr : opts.stdout).write(`${s}\n`);
  const tally = new LineTally();
  let sources: ScanSource[];
  try {
    sources = opts.paths.map((p) => fileSource(p, opts.stdin));
  } catch (error) {
    if (error instanceof InputError) {
      opts.stderr.write(`silent-audit scan: ${error.message}\n`);
      return { exitCode: 2, findings: [], counts: tally.counts };
    }
    throw error;
  }
  if (opts.logGroups?.length) {
    const client = opts.logsClient ?? defaultCloudWatchLogsClient();
    const since = opts.since ?? Date.now() - DEFAULT_SCAN_SINCE_MS;
    for (const logGroup of opts.logGroups) sources.push(logGroupSource(client, { logGroup, since, filterPattern: subscriptionFilterPattern() }));
  }
  const yearNow = opts.now ?? Date.now();

  try {
    await readSources(sources, tally, { year: opts.year, now: yearNow, progress: opts.stderr });
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    opts.stderr.write(`silent-audit scan: ${error.message}\n`);
    return { exitCode: 2, findings: [], counts: tally.counts };
  }

  const latest = tally.events.reduce((max, e) => Math.max(max, e.at), 0);
  const now = opts.now ?? latest;
  const opened = await openStore(opts.store);
  let findings: Finding[];
  let jobs: JobSummary[];
  try {
    const clock = { now: () => now };
    const ctx = { config: opts.config, clock, exceptions: await registryForBatch(tally.events, opened.exceptions, opts.config, clock) };
    const batch = await processBatch(tally.events, REDUCERS, opened.store, ctx);
    // Absence (missed and unfinished runs) is judged at `now`, as the deployed sweep would.
    const swept = await sweepSubjects(REDUCERS, opened.store, ctx);
    findings = [...batch.findings, ...swept.findings].sort((a, b) => a.ts.localeCompare(b.ts) || a.detector.localeCompare(b.detector));
    jobs = await summarizeJobs(opened.store, opts.config);
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
    `${findings.length} finding${findings.length === 1 ? '' : 's'} in ${c.lines.toLocaleString('en-US')} lines from ${describeSources(sources)}: ` +
      `${c.events.toLocaleString('en-US')} events, ${c.rejected} rejected, ${c.unrecognised.toLocaleString('en-US')} unrecognised` +
      (opened.persistent ? `; state saved to ${opened.description}` : ''),
  );
  if (!opts.json && jobs.length > 0) {
    note('');
    note(textTable(['JOB', 'RUNS', 'FAILED', 'LAST SEEN', 'HOSTS', 'SCHEDULE'], jobs.map(jobRow), [48, 6, 6, 20, 40, 60]));
  }
  const learned = jobs.filter((j) => j.inferred?.cron);
  if (learned.length > 0) {
    note('');
    note('Schedules learned from history (inferred; copy into the config as jobs.<job>.schedule, times in UTC):');
    for (const j of learned) note(`  ${j.job}: "${j.inferred!.cron}"  (${j.inferred!.period}, ${j.inferred!.samples} intervals, ${Math.round(j.inferred!.regularity * 100)}% regular)`);
  }
  for (const r of tally.rejections.slice(0, 20)) note(`  rejected ${r.where}: ${r.reason}`);
  if (tally.counts.rejected > 20) note(`  … and ${tally.counts.rejected - 20} more rejected lines`);
  return { exitCode: findings.length > 0 ? 1 : 0, findings, counts: c };
}

function jobRow(j: JobSummary): string[] {
  const hosts = Object.entries(j.hosts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const hostText = hosts.length === 0 ? '' : hosts.length <= 3 ? hosts.map(([h, n]) => `${h} ×${n}`).join(', ') : `${hosts.length} hosts`;
  const schedule = j.schedule ? `"${j.schedule}" (configured)` : j.inferred ? `${j.inferred.period}${j.inferred.cron ? ` "${j.inferred.cron}"` : ''} (inferred)` : '';
  return [j.job, String(j.runs), String(j.failures), j.lastSeenAt !== undefined ? new Date(j.lastSeenAt).toISOString().slice(0, 19) + 'Z' : '', hostText, schedule];
}
