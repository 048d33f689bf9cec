import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import { defaultCloudWatchLogsClient } from '../adapters/cloudwatch-log-reader.ts';
import { DynamoExceptionStore } from '../adapters/dynamodb-exception-store.ts';
import { DynamoAuditStore } from '../adapters/dynamodb-store.ts';
import { InputError } from '../adapters/file-lines.ts';
import { type Config, loadConfig } from '../config.ts';
import { agentTreeReducer } from '../core/agent-reducer.ts';
import { sweepAgentRoots } from '../core/agent-sweep.ts';
import { DEFAULT_STALE_OPTIONS } from '../core/agent-tree.ts';
import { registryForBatch } from '../core/exception-registry.ts';
import { subscriptionFilterPattern } from '../core/filter-pattern.ts';
import { type Finding, isoTime } from '../core/findings.ts';
import { type JobState, jobReducer } from '../core/job-reducer.ts';
import { resolveJobOptions } from '../core/job-options.ts';
import { describeCounts, LineTally, linesCount } from '../core/line-tally.ts';
import { OPEN_RUN } from '../core/parse/index.ts';
import { processBatch, subjectKey, sweepSubjects } from '../core/pipeline.ts';
import { REDUCERS } from '../core/reducers.ts';
import { redactorFor } from '../core/redact.ts';
import { terminalText } from '../core/terminal-text.ts';
import { textTable } from '../core/text-table.ts';
import type { LoadOptions, StateStore, SubjectCatalog, Versioned } from '../ports.ts';
import { collectLogGroups, logGroupSource, readSources, type ScanSource, sinceOption } from './scan-sources.ts';
import { type AuditStore, DEFAULT_TABLE, openStore, type OpenedStore, storeProblem } from './stores.ts';

/** How far back `backfill` reads by default. */
export const DEFAULT_BACKFILL_SINCE_MS = 30 * 86_400_000;
/**
 * A second backfill re-reads this much before where the last one stopped: CloudWatch may take a
 * while to make an event searchable, so its last minutes may have been incomplete. Runs read twice
 * are recognised by the pipeline's run memory and not counted again.
 */
export const REREAD_OVERLAP_MS = 15 * 60_000;
/** The state kind under which backfill keeps, per log group, the span of history it has read. */
export const BACKFILL_STATE_KIND = 'backfill';

/** A span of time, epoch ms, both ends inclusive. */
export interface Span {
  readonly from: number;
  readonly to: number;
}

/** What backfill keeps per log group: the one contiguous span of its history already in the state. */
interface CoverageState {
  readonly log_group: string;
  readonly from: string;
  readonly to: string;
  readonly updated_at: string;
}

/**
 * The parts of `requested` to read, given the span already read (`covered`). What lies inside it
 * is skipped: reading it again would cost as much as the first time and add nothing (the pipeline
 * takes the runs it reads twice as counted). The parts read join up with `covered`, so that it
 * stays one span without holes: a later span is read from where the last one stopped (with an
 * overlap, for events CloudWatch made searchable late), an earlier one up to where it began.
 *
 * A `window` (`--until`: a span to read again, as when redriving a failed delivery) is read as
 * asked, without the gap between it and `covered`: that gap is not read, and the window, unless
 * it touches `covered`, is not recorded (`coverageAfter`).
 */
export function spansToRead(requested: Span, covered: Span | undefined, overlapMs = REREAD_OVERLAP_MS, window = false): Span[] {
  if (!covered) return [requested];
  const spans: Span[] = [];
  if (requested.from < covered.from) spans.push({ from: requested.from, to: window ? Math.min(requested.to, covered.from - 1) : covered.from - 1 });
  if (requested.to > covered.to) {
    const resume = Math.max(covered.from, covered.to - overlapMs);
    spans.push({ from: window ? Math.max(requested.from, resume) : resume, to: requested.to });
  }
  return spans;
}

/** The span backfill has read once it read `read` (spansToRead's parts): one span, or the one before if the two do not touch. */
export function coverageAfter(covered: Span | undefined, read: Span): Span {
  if (!covered) return read;
  if (read.from > covered.to + 1 || read.to < covered.from - 1) return covered;
  return { from: Math.min(covered.from, read.from), to: Math.max(covered.to, read.to) };
}

export interface BackfillOptions {
  readonly logGroups: readonly string[];
  /** Epoch ms; default 30 days ago. */
  readonly since?: number;
  /** Epoch ms: read only up to then (a span read again, e.g. a failed delivery redriven); default now. */
  readonly until?: number;
  /** `aws` (the deployed table, default credential chain), `local`, or a DynamoDB endpoint URL. */
  readonly store: string;
  readonly table?: string;
  readonly config: Config;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly logsClient?: CloudWatchLogsClient;
  /** Wall clock, epoch ms: history is read up to now. */
  readonly clock?: () => number;
}

/** Per job, what the history gave its baseline. */
export interface JobBackfill {
  readonly job: string;
  /** Distinct runs of the job in the history read. */
  readonly runsSeen: number;
  /** Runs the state counted now (0 for runs it already held). */
  readonly runsAdded: number;
  readonly runsTotal: number;
  readonly durations: number;
  readonly outputs: number;
  readonly minHistory: number;
  /** Whether a baseline detector may fire from the next run on. */
  readonly ready: boolean;
}

export interface BackfillResult {
  readonly exitCode: 0 | 2;
  readonly jobs: readonly JobBackfill[];
  /** Findings about the history (stored as alerted), absence judged now included. */
  readonly findings: readonly Finding[];
  readonly spans: ReadonlyMap<string, readonly Span[]>;
}

export class BackfillError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackfillError';
  }
}

const coverageKey = (logGroup: string) => `${BACKFILL_STATE_KIND}#${logGroup}`;

function coveredSpan(v: Versioned<unknown> | undefined): Span | undefined {
  const state = v?.state as CoverageState | undefined;
  if (!state) return undefined;
  const span = { from: Date.parse(state.from), to: Date.parse(state.to) };
  return Number.isNaN(span.from) || Number.isNaN(span.to) ? undefined : span;
}

/** Records that `read` is now in the state too, merged with what was there (retrying if a concurrent backfill moved it). */
async function recordCoverage(store: StateStore, logGroup: string, read: Span, now: number): Promise<void> {
  const key = coverageKey(logGroup);
  for (let attempt = 1; attempt <= 5; attempt++) {
    const current = (await store.load([key])).get(key);
    const old = coveredSpan(current);
    const span = coverageAfter(old, read);
    if (old && span.from === old.from && span.to === old.to) return;
    const state: CoverageState = { log_group: logGroup, from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString(), updated_at: new Date(now).toISOString() };
    const outcome = await store.commit({ key, expectedVersion: current?.version ?? 0, state, findings: [], records: [] });
    if (outcome === 'committed') return;
  }
  throw new BackfillError(`the backfill record of ${logGroup} kept changing: is another backfill running? Run this one again when it is done`);
}

/** The deployed table through the default credential chain, or a `--store` as scan knows them. */
async function openBackfillStore(spec: string, table: string | undefined, { redact, deploy }: Pick<Config, 'redact' | 'deploy'>, stderr: NodeJS.WritableStream): Promise<OpenedStore> {
  // The run records it writes are kept as long as the deployed stack's own (the same config).
  const runRetentionDays = deploy.run_retention_days;
  // A scan of the same `local` store at the same time would find the subjects it saves changed under it: one after the other.
  const exclusive = { onWait: (waiting: string) => stderr.write(`silent-audit backfill: ${terminalText(waiting)}\n`) };
  if (spec !== 'aws') return openStore(spec, { table, acceptsAws: true, redact, runRetentionDays, exclusive });
  if (!table) throw new BackfillError("backfill --store aws needs --table NAME: the stack's TableName output (aws cloudformation describe-stacks --stack-name SilentAudit)");
  const client = new DynamoDBClient({ maxAttempts: 8 });
  const store = new DynamoAuditStore(client, table, { runRetentionDays });
  const exceptions = new DynamoExceptionStore(client, table, { states: store, redact });
  return { store, exceptions, description: `DynamoDB table ${table}`, persistent: true, close: async () => client.destroy() };
}

/**
 * The state store as the batch and the sweep see it: the batch's writes are noted, and the sweep
 * lists only the subjects the batch wrote (and judges the open roots of only the agents it wrote).
 * So absence is judged now, once, for the subjects the history touched (what it finds is history), and never for the others: their absence is news,
 * for the deployed sweep to alert on. Every finding is written already alerted, in the commit of
 * its state: were it written pending and marked after, the deployed stack's drain (ingest, the
 * hourly sweep) could send it as a live alert in between.
 */
class BackfillScope implements StateStore, SubjectCatalog {
  readonly written = new Set<string>();

  constructor(private readonly store: StateStore) {}

  load(keys: readonly string[], options?: LoadOptions): Promise<Map<string, Versioned<unknown>>> {
    return this.store.load(keys, options);
  }

  commit(change: Parameters<StateStore['commit']>[0]): ReturnType<StateStore['commit']> {
    this.written.add(change.key);
    return this.store.commit({ ...change, alreadyAlerted: true });
  }

  /** When an agent's open roots are judged (`sweepAgentRoots`): now if the batch wrote its state, else never (-Infinity). */
  judgedAt(agent: string, now: number): number {
    return this.written.has(subjectKey(agentTreeReducer.stateKind ?? agentTreeReducer.kind, agent)) ? now : Number.NEGATIVE_INFINITY;
  }

  async subjects(stateKind: string): Promise<Array<{ key: string; state: unknown; version: number }>> {
    const keys = [...this.written].filter((k) => k.startsWith(`${stateKind}#`)).sort();
    const loaded = await this.store.load(keys);
    return keys.flatMap((key) => {
      const v = loaded.get(key);
      return v ? [{ key, state: v.state, version: v.version }] : [];
    });
  }
}

function jobStates(loaded: Map<string, Versioned<unknown>>, jobs: readonly string[]): Map<string, JobState | undefined> {
  return new Map(jobs.map((job) => [job, loaded.get(subjectKey('job', job))?.state as JobState | undefined]));
}

/**
 * `silent-audit backfill`: reads log groups' history like `scan --log-group` and runs it through
 * the pipeline into a deployed table, so that baselines hold the history and detectors need not
 * wait for fresh runs. Absence is judged now for the subjects it wrote, as the deployed sweep
 * would, and so are the agent roots of the history that never ended. Its findings are printed and stored as already alerted: history sends no alert storm.
 * Running it again counts nothing twice: history it has read is skipped (it keeps the span per
 * log group), and runs read twice at the edges are recognised by id.
 */
export async function runBackfill(opts: BackfillOptions): Promise<BackfillResult> {
  const now = (opts.clock ?? Date.now)();
  const requested: Span = { from: opts.since ?? now - DEFAULT_BACKFILL_SINCE_MS, to: Math.min(opts.until ?? now, now) };
  // Its output is human text quoting names and texts from logs: their control characters are shown escaped.
  const write = (s: string) => opts.stdout.write(`${terminalText(s)}\n`);
  const fail = (message: string): BackfillResult => {
    opts.stderr.write(`silent-audit backfill: ${terminalText(message)}\n`);
    return { exitCode: 2, jobs: [], findings: [], spans: new Map() };
  };
  if (opts.logGroups.length === 0) return fail('give at least one --log-group NAME');
  if (requested.to <= requested.from) return fail(`--until ${isoTime(requested.to)} is not after --since ${isoTime(requested.from)}: give a --since before --until`);
  const table = opts.table ?? (opts.store === 'aws' ? undefined : DEFAULT_TABLE);

  let opened: OpenedStore;
  try {
    opened = await openBackfillStore(opts.store, table, opts.config, opts.stderr);
  } catch (error) {
    if (error instanceof BackfillError) return fail(error.message);
    throw error;
  }
  const store: AuditStore = opened.store;
  try {
    const covered = await store.load(opts.logGroups.map(coverageKey));
    const client = opts.logsClient ?? defaultCloudWatchLogsClient();
    const sources: ScanSource[] = [];
    const spans = new Map<string, Span[]>();
    for (const logGroup of opts.logGroups) {
      const before = coveredSpan(covered.get(coverageKey(logGroup)));
      const toRead = spansToRead(requested, before, REREAD_OVERLAP_MS, opts.until !== undefined);
      spans.set(logGroup, toRead);
      const already = before ? `; already backfilled ${isoTime(before.from)} → ${isoTime(before.to)}` : '';
      write(`${logGroup}: ${toRead.length === 0 ? 'nothing new to read' : `reading ${toRead.map((s) => `${isoTime(s.from)} → ${isoTime(s.to)}`).join(' and ')}`}${already}`);
      for (const span of toRead) sources.push(logGroupSource(client, { logGroup, since: span.from, until: span.to, filterPattern: subscriptionFilterPattern() }));
    }

    const tally = new LineTally();
    try {
      await readSources(sources, tally, { now, progress: opts.stderr, redactor: redactorFor(opts.config) });
    } catch (error) {
      if (error instanceof InputError) return fail(error.message);
      throw error;
    }

    const runIds = new Map<string, Set<string>>();
    for (const event of tally.events) {
      const job = jobReducer.subjectOf(event);
      if (job === undefined) continue;
      const runId = (event.body as { run_id?: string }).run_id;
      const ids = runIds.get(job) ?? new Set<string>();
      if (runId !== undefined && runId !== OPEN_RUN) ids.add(runId);
      runIds.set(job, ids);
    }
    const jobs = [...runIds.keys()].sort();
    const keys = jobs.map((job) => subjectKey('job', job));
    const before = jobStates(await store.load(keys), jobs);

    const clock = { now: () => now };
    const ctx = { config: opts.config, clock, exceptions: await registryForBatch(tally.events, opened.exceptions, opts.config, clock) };
    const scope = new BackfillScope(store);
    const batch = await processBatch(tally.events, REDUCERS, scope, ctx);
    tally.unrecognisedAfterAll(batch.otherFunctionLines?.length);
    // All the history is read and stored: the older span it brought is judged here, as history (historyRead).
    const sweepCtx = { ...ctx, historyRead: true };
    const swept = await sweepSubjects(REDUCERS, scope, sweepCtx);
    // The agent roots of the history that never ended (over budget, quiet, or waiting for a parent
    // that never started), judged as scan judges them once every line is read: their findings are
    // history too. Only the agents the history wrote: other agents' open roots are news.
    const roots = await sweepAgentRoots(scope, sweepCtx, { ...DEFAULT_STALE_OPTIONS, settleMs: 0, orphanSettleMs: 0 }, (agent) => scope.judgedAt(agent, now));
    const findings: Finding[] = [...batch.findings, ...swept.findings, ...roots.findings].sort((a, b) => a.ts.localeCompare(b.ts) || a.detector.localeCompare(b.detector));
    for (const logGroup of opts.logGroups) {
      const read = spans.get(logGroup) ?? [];
      if (read.length > 0) await recordCoverage(store, logGroup, { from: Math.min(...read.map((s) => s.from)), to: Math.max(...read.map((s) => s.to)) }, now);
    }

    const after = jobStates(await store.load(keys), jobs);
    const summaries = jobs.map((job): JobBackfill => {
      const state = after.get(job);
      const minHistory = resolveJobOptions(opts.config, job).minHistory;
      const durations = state?.durations.length ?? 0;
      const outputs = state?.outputs.length ?? 0;
      return {
        job,
        runsSeen: runIds.get(job)?.size ?? 0,
        runsAdded: (state?.runs ?? 0) - (before.get(job)?.runs ?? 0),
        runsTotal: state?.runs ?? 0,
        durations,
        outputs,
        minHistory,
        ready: Math.max(durations, outputs) >= minHistory,
      };
    });

    if (findings.length > 0) {
      write('');
      write(
        textTable(
          ['TIME', 'SEVERITY', 'DETECTOR', 'SUBJECT', 'RUN', 'MESSAGE'],
          findings.map((f) => [f.ts, f.severity, f.detector, f.subject, f.run_id ?? f.expected_at ?? '', f.message]),
          [20, 8, 26, 40, 36, 120],
        ),
      );
    }
    if (summaries.length > 0) {
      write('');
      write(
        textTable(
          ['JOB', 'RUNS SEEN', 'NEW RUNS', 'RUNS IN STATE', 'BASELINE (DURATIONS / OUTPUTS)', 'MIN HISTORY', 'DETECTORS READY'],
          summaries.map((s) => [
            s.job,
            String(s.runsSeen),
            String(s.runsAdded),
            String(s.runsTotal),
            `${s.durations} / ${s.outputs}`,
            String(s.minHistory),
            s.ready ? `yes (${[s.durations >= s.minHistory ? 'durations' : '', s.outputs >= s.minHistory ? 'outputs' : ''].filter(Boolean).join(', ')})` : `no (${Math.max(s.durations, s.outputs)} of ${s.minHistory})`,
          ]),
        ),
      );
      write('');
    }
    const c = tally.counts;
    write(
      `${jobs.length} job${jobs.length === 1 ? '' : 's'} in ${linesCount(c.lines)} from ${opts.logGroups.length} log group${opts.logGroups.length === 1 ? '' : 's'}: ` +
        `${describeCounts(c)}; ` +
        `${findings.length} finding${findings.length === 1 ? '' : 's'} from history stored as already alerted; state saved to ${opened.description}`,
    );
    for (const r of tally.rejections.slice(0, 20)) write(`  rejected ${r.where}: ${r.reason}`);
    return { exitCode: 0, jobs: summaries, findings, spans };
  } catch (error) {
    const problem = storeProblem(error, `table ${table ?? DEFAULT_TABLE}`);
    if (problem === undefined) throw error;
    return fail(problem);
  } finally {
    await opened.close();
  }
}

/** `silent-audit backfill --log-group NAME [--since 30d] [--until TIME] --table TABLE [--store aws|local|URL]` */
export function registerBackfillCommand(program: Command): void {
  program
    .command('backfill')
    .description("seed a deployed stack's baselines from CloudWatch history; its findings are stored as already alerted")
    .option('--log-group <name>', 'a CloudWatch log group to read (repeatable)', collectLogGroups)
    .option('--since <when>', 'read from 30d, 24h, 30m ago, or an ISO time (default: 30d)', sinceOption)
    .option('--until <when>', 'read up to then (24h, 30m ago, or an ISO time; default: now): a span to read again, e.g. a failed delivery, without the time since the last backfill', sinceOption)
    .option('--table <name>', "the state table: the stack's TableName output (needed with --store aws)")
    .option('--store <store>', 'aws (the deployed table, default credentials), local (DynamoDB Local under .silent-audit/) or http://host:port', 'aws')
    .option('--config <file>', 'config file (default: silent-audit.config.yaml/.json in this folder)')
    .action(async (o: { logGroup?: string[]; since?: number; until?: number; table?: string; store: string; config?: string }) => {
      const result = await runBackfill({
        logGroups: o.logGroup ?? [],
        since: o.since,
        until: o.until,
        store: o.store,
        table: o.table,
        config: loadConfig(o.config),
        stdout: process.stdout,
        stderr: process.stderr,
      });
      process.exitCode = result.exitCode;
    });
}
