import type { Readable, Writable } from 'node:stream';
import { isoTimeOption, TIMEZONE_HELP, timeZoneOption, YEAR_HELP, yearOption } from './option-parsers.ts';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type Command, Option } from 'commander';
import { type Config, loadConfig } from '../config.ts';
import { type AuditReadView, readOnlyView } from '../mcp/audit-view.ts';
import { connectAuditServer, createAuditMcpServer } from '../mcp/server.ts';
import { RUNS_READ_TO } from '../core/report/late-runs.ts';
import { plural } from '../core/report/format.ts';
import { type Clock, systemClock } from '../ports.ts';
import { scanToStore } from './scan-command.ts';
import { openStore, StoreSpecError, storeProblem } from './stores.ts';

export interface AuditSourceOptions {
  /** Log files to scan into memory and serve (`-` is not allowed: stdin carries the protocol). */
  readonly paths: readonly string[];
  /** A store to serve (contract §6): `local` (the default without paths), `http://host:port`, `aws` with `table`. */
  readonly store?: string;
  readonly table?: string;
  /** The folder `local` is looked for in (default the current one). */
  readonly cwd?: string;
  readonly config: Config;
  /** Epoch ms that statuses and lateness are judged at; default the latest event of the files, or the clock for a store. */
  readonly now?: number;
  readonly year?: number;
  /** The IANA zone the files' zoneless times are read in (`--timezone`), and unconfigured jobs' schedules learned in; default UTC. */
  readonly timeZone?: string;
  /** Where scanning reports its progress: never stdout, which is the protocol's. */
  readonly stderr: NodeJS.WritableStream;
}

export interface AuditSource {
  readonly view: AuditReadView;
  close(): Promise<void>;
}

/** Before any finding's time: with RUNS_READ_TO, a query of every finding a store holds. */
const EARLIEST_FINDING = '0000-01-01T00:00:00Z';

/**
 * What the server serves: the log files given, scanned into memory as `scan` would (nothing is
 * written), or a store as it stands. Either way the tools get only the read-only view.
 */
export async function openAuditSource(opts: AuditSourceOptions): Promise<AuditSource> {
  if (opts.paths.length > 0) {
    if (opts.store !== undefined) throw new StoreSpecError('give log files or --store, not both: files are scanned into memory and served as they are, a store is served as it stands');
    if (opts.paths.includes('-')) throw new StoreSpecError('- (stdin) cannot be served: stdin carries the MCP protocol; give log files');
    const scanned = await scanToStore({ paths: opts.paths, config: opts.config, now: opts.now, year: opts.year, timeZone: opts.timeZone, stderr: opts.stderr });
    if (!scanned.ok) throw new StoreSpecError(scanned.error);
    // A file of which nothing could be read (xz, a tar archive) is refused, as a missing one: a view without it would be served as the whole.
    const unread = scanned.readouts.find((r) => r.unreadable !== undefined);
    if (unread !== undefined) {
      await scanned.opened.close();
      throw new StoreSpecError(`${unread.unreadable}: not served without it`);
    }
    const { opened, tally } = scanned;
    const now = opts.now ?? (scanned.stream.latest || Date.now());
    // The findings the tools read: the store keeps each missed run that the scan's list folds into one.
    const stored = await opened.store.query({ from: EARLIEST_FINDING, to: RUNS_READ_TO });
    return {
      view: readOnlyView({
        store: opened.store,
        exceptions: opened.exceptions,
        config: opts.config,
        clock: { now: () => now },
        source: `memory (${plural(opts.paths.length, 'file')} scanned: ${tally.counts.events} events, ${plural(stored.length, 'finding')})`,
        timeZone: opts.timeZone,
      }),
      close: () => opened.close(),
    };
  }
  // Read-only: a folder or table that is not there is an error, never created and served empty.
  const opened = await openStore(opts.store ?? 'local', { table: opts.table, cwd: opts.cwd, acceptsAws: true, readOnly: true, redact: opts.config.redact, runRetentionDays: opts.config.deploy.run_retention_days });
  const clock: Clock = opts.now !== undefined ? { now: () => opts.now! } : systemClock;
  return {
    view: readOnlyView({ store: opened.store, exceptions: opened.exceptions, config: opts.config, clock, source: opened.description, timeZone: opts.timeZone }),
    close: () => opened.close(),
  };
}

export interface McpOptions extends AuditSourceOptions {
  readonly stdin: Readable;
  readonly stdout: Writable;
}

/**
 * `silent-audit mcp`: serves the audit over stdio until the client closes stdin (or a signal comes).
 * Only the protocol goes to stdout; what the server has to say goes to stderr.
 */
export async function runMcp(opts: McpOptions): Promise<0 | 2> {
  let source: AuditSource;
  try {
    source = await openAuditSource(opts);
  } catch (error) {
    const problem = error instanceof StoreSpecError ? error.message : storeProblem(error, `--store ${opts.store ?? 'local'}`);
    if (problem === undefined) throw error;
    opts.stderr.write(`silent-audit mcp: ${problem}\n`);
    return 2;
  }
  const server = createAuditMcpServer(source.view);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  const stop = () => void server.close();
  try {
    await connectAuditServer(server, new StdioServerTransport(opts.stdin, opts.stdout));
    opts.stderr.write(`silent-audit mcp: serving ${source.view.source}, read-only, on stdio\n`);
    opts.stdin.once('end', stop);
    process.once('SIGINT', stop).once('SIGTERM', stop);
    await closed;
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    await source.close();
  }
  return 0;
}

/** Adds `mcp` to the program. */
export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('a read-only Model Context Protocol server on stdio: agents and their operators ask the audit (subjects, findings, overdue jobs, 5 Cs, exceptions)')
    .argument('[paths...]', 'log files to scan into memory and serve (instead of a store)')
    .addOption(new Option('--store <store>', 'the store to serve: local (DynamoDB Local under .silent-audit/, the default without files), http://host:port, or aws with --table'))
    .option('--table <name>', 'the table (default silent-audit; with --store aws: the stack’s TableName output)')
    .option('--config <file>', 'config file (default: silent-audit.config.yaml/.json in this folder)')
    .option('--now <iso>', 'the moment statuses and lateness are judged at (default: the latest event of the files, or the current time for a store)', isoTimeOption)
    .option('--year <yyyy>', YEAR_HELP, yearOption)
    .option('--timezone <zone>', TIMEZONE_HELP, timeZoneOption)
    .action(async (paths: string[], o: { store?: string; table?: string; config?: string; now?: number; year?: number; timezone?: string }) => {
      process.exitCode = await runMcp({
        paths,
        store: o.store,
        table: o.table,
        config: loadConfig(o.config),
        now: o.now,
        year: o.year,
        timeZone: o.timezone,
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });
}
