import { isoTimeOption, TIMEZONE_HELP, timeZoneOption, YEAR_HELP, yearOption } from './option-parsers.ts';
import { basename, dirname, extname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DynamoSnoozeStore } from '../adapters/dynamodb-snooze-store.ts';
import { FileReportPublisher } from '../adapters/file-report-publisher.ts';
import { FileWriteError, writeWholeFile } from '../adapters/write-whole-file.ts';
import { type Config, loadConfig } from '../config.ts';
import { isoTime } from '../core/findings.ts';
import type { LineTally, Rejection } from '../core/line-tally.ts';
import { scheduledRunBetween } from '../core/report/coverage.ts';
import { formatSpan, plural } from '../core/report/format.ts';
import { MONTH_FORMAT, monthProblem, monthSpan, notBegunProblem, scheduledReportTime } from '../core/report/month.ts';
import type { AuditReport } from '../core/report/model.ts';
import { createMonthlyReport, type ReportSources } from '../core/report/monthly-report.ts';
import { UNOWNED } from '../core/report/owner-slice.ts';
import { terminalText } from '../core/terminal-text.ts';
import { type Clock, type PublishedReport, type ReportDocument, systemClock } from '../ports.ts';
import { type InFlightSettlement, lateNote, leftOutNote, olderRunsNote, scanToStore, settleInFlight, sourceNotes, unjudgedAgentRunsNote, writeSourceNotes, writeZonelessNote } from './scan-command.ts';
import { ScanStore } from './scan-store.ts';
import { type AuditStore, type OpenedStore, openStore, StoreSpecError } from './stores.ts';

export type ReportFormat = ReportDocument['format'];
const FORMATS: readonly ReportFormat[] = ['md', 'html', 'json'];

export interface ReportOptions {
  /** `YYYY-MM` */
  readonly month: string;
  /** Default: from `out`'s extension, else Markdown. */
  readonly format?: ReportFormat;
  /** A file to write; default stdout. */
  readonly out?: string;
  /** Log files to scan first (`-` for stdin); without them, the report reads the store as it is. */
  readonly paths: readonly string[];
  /** Default `local` without paths; with paths, memory unless given. */
  readonly store?: string;
  readonly config: Config;
  readonly year?: number;
  /** The IANA zone the files' zoneless times are read in (`--timezone`); default UTC. */
  readonly timeZone?: string;
  /**
   * Epoch ms (`--now`): the moment the report is made as of. With log files, the lines after it are
   * left out (the logs are read as they stood then) and absence (missed and unfinished runs) is
   * judged up to what they cover, their latest event up to it (unlike `scan --now`, which judges at
   * it): a run expected after the files end is not known, its job UNKNOWN; default the clock's time
   * (the lines dated after it left out too, and said).
   */
  readonly now?: number;
  /** The report date, which due dates count from, and by which what was in flight has settled; default `now`, else the current time. */
  readonly clock?: Clock;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin?: Readable;
  /** The folder whose `.silent-audit/` is the `local` store; default the working directory. */
  readonly cwd?: string;
  /** `--owner` (repeatable): the report holds only the subjects of these owners, as configured (`none`: the unowned); default all. */
  readonly owners?: readonly string[];
}

export interface ReportCommandResult {
  readonly exitCode: 0 | 2;
  readonly report?: AuditReport;
}

/** The files a monthly report is archived as (`reportFileName`), which next month's report reads as the whole of this one. */
const WHOLE_REPORT_NAME = /^report-\d{4}-\d{2}\.[^.]+$/i;

/** `--format`, else the extension of `--out` (`.md`, `.html`, `.json`), else Markdown. */
export function formatFor(format: ReportFormat | undefined, out: string | undefined): ReportFormat {
  if (format) return format;
  const ext = out ? extname(out).slice(1).toLowerCase() : '';
  if (ext === 'htm' || ext === 'html') return 'html';
  if (ext === 'json') return 'json';
  return 'md';
}

/**
 * `silent-audit report --month YYYY-MM`: the monthly 5 Cs audit report, from the findings the
 * store holds (what scans and the demo wrote), or from log files scanned first, what they leave
 * in flight settled (`settlementFor`). Exit 0 with a report, 2 for a usage or input error (a file
 * given that is missing or not readable by the user among them: a typo never leaves its lines out of
 * the month), and when none of the files given could be read (no report is written: it would be an empty month).
 */
export async function runReport(opts: ReportOptions): Promise<ReportCommandResult> {
  const now = opts.now;
  const clock: Clock = opts.clock ?? (now !== undefined ? { now: () => now } : systemClock);
  // A slice under the whole report's name would be read next month as last month's whole report.
  if (opts.owners !== undefined && opts.out !== undefined && WHOLE_REPORT_NAME.test(basename(opts.out))) {
    opts.stderr.write(`silent-audit report: ${terminalText(basename(opts.out))} is the name of the whole report, which next month's report reads beside it: give the slice another name (report-YYYY-MM-<owner>.${formatFor(opts.format, opts.out)}, say); no report written\n`);
    return { exitCode: 2 };
  }
  const notBegun = notBegunProblem(opts.month, clock.now());
  if (notBegun !== undefined) {
    opts.stderr.write(`silent-audit report: ${notBegun}${opts.now === undefined ? ' (give --now to report as of another time)' : ''}\n`);
    return { exitCode: 2 };
  }
  let opened: OpenedStore;
  /** The findings and states the report reads: the store's, with, made from the store, the routes and agent runs it still held in flight settled. */
  let read: Pick<ReportSources, 'findings' | 'catalog'>;
  let inputNotes: string[] = [];
  let inputEndsAt: number | undefined;
  if (opts.paths.length > 0) {
    const settle = settlementFor(opts.month, clock.now());
    // As of --now, else of the clock (the report counts nothing after its time): what the logs say after it had not happened yet.
    const asOf = clock.now();
    const scanned = await scanToStore({ paths: opts.paths, config: opts.config, now, year: opts.year, timeZone: opts.timeZone, store: opts.store, stderr: opts.stderr, stdin: opts.stdin }, { settle, upTo: asOf, toInputEnd: true, command: 'report' });
    if (!scanned.ok) {
      opts.stderr.write(`silent-audit report: ${terminalText(scanned.error)}\n`);
      return { exitCode: 2 };
    }
    // A file that could not be read, or gave no line the scan reads, is said: the report leaves it out.
    writeSourceNotes(scanned.readouts, 'report', opts.stderr);
    const rejected = rejectedNote(scanned.tally, opts.month);
    if (rejected) opts.stderr.write(`silent-audit report: ${terminalText(rejected)}\n`);
    // Runs of the files older than their job's history in the store (older history after newer) were not judged: said, as a scan says it.
    const older = [olderRunsNote(scanned.olderThanHistory), unjudgedAgentRunsNote(scanned.agentRunsUnjudged)].filter((n) => n !== undefined);
    for (const n of older) opts.stderr.write(`silent-audit report: ${terminalText(n)}\n`);
    inputNotes = [...sourceNotes(scanned.readouts).map((n) => n.replace(/^note: /, '')), ...(rejected ? [rejected] : []), ...older];
    // What the files say ends at their latest event (or --now), where absence was judged: a month that goes on after it was not seen to its end.
    const latest = scanned.judgedAt;
    if (coverageEnd(opts.month, latest, clock.now()) !== undefined) inputEndsAt = latest;
    const ended = endsEarlyNote(opts.month, latest, clock.now(), opts.config);
    if (ended) {
      opts.stderr.write(`silent-audit report: ${ended}\n`);
      inputNotes.push(ended);
    }
    writeZonelessNote(scanned.readouts, opts.config, 'report', opts.stderr);
    // None of them read (an xz file, a tar archive): a report of it would be an empty month, taken for a quiet one.
    if (scanned.readouts.every((r) => r.unreadable !== undefined)) {
      await scanned.opened.close();
      const which = scanned.readouts.length === 1 ? 'the file given' : `none of the ${scanned.readouts.length} files given`;
      opts.stderr.write(`silent-audit report: ${which} could not be read: no report written\n`);
      return { exitCode: 2 };
    }
    // A file out of time order (hosts' logs concatenated): findings may be missing and route counts inflated, as scan says.
    const late = lateNote(scanned.stream);
    if (late) opts.stderr.write(`${late}\n`);
    const leftOut = leftOutNote(scanned.leftOut, asOf, 'report', now !== undefined);
    if (leftOut) opts.stderr.write(`${leftOut}\n`);
    const leftOutOfReport = leftOutReportNote(scanned.leftOut, scanned.tally.counts.events, asOf);
    if (leftOutOfReport) inputNotes.push(leftOutOfReport);
    opened = scanned.opened;
    read = { findings: opened.store, catalog: opened.store };
  } else {
    // Without log files the report reads the store as it stands: a missing store is an error,
    // never created and reported as an empty month.
    try {
      opened = await openStore(opts.store ?? 'local', { readOnly: true, cwd: opts.cwd, redact: opts.config.redact, runRetentionDays: opts.config.deploy.run_retention_days });
    } catch (error) {
      if (!(error instanceof StoreSpecError)) throw error;
      opts.stderr.write(`silent-audit report: ${terminalText(error.message)}\n`);
      return { exitCode: 2 };
    }
    read = await withInFlightSettled(opened.store, opts.config, settlementFor(opts.month, clock.now()));
  }

  let report: AuditReport;
  let documents: ReportDocument[];
  let ownerNotes: string[];
  try {
    ({ report, documents, ownerNotes } = await createMonthlyReport(opts.month, {
      ...read,
      runs: opened.store,
      exceptions: opened.exceptions,
      // Snoozes live in the same table (`snooze add`); a store scanned from log files holds none, and the config's are read all the same.
      snoozes: opened.dynamo && new DynamoSnoozeStore(opened.dynamo.client, opened.dynamo.table),
      config: opts.config,
      clock,
      // Last month's report beside this one carries open-since and due dates forward.
      archive: opts.out ? new FileReportPublisher(dirname(resolve(opts.out))) : undefined,
      inputNotes,
      inputEndsAt,
      owners: opts.owners,
    }));
  } finally {
    await opened.close();
  }

  // An owner no subject has (a slip, another case) gives an empty slice that would pass for a clean one.
  for (const note of ownerNotes) opts.stderr.write(`silent-audit report: warning: ${terminalText(note)}\n`);
  const format = formatFor(opts.format, opts.out);
  const body = documents.find((d) => d.format === format)!.body;
  if (opts.out) {
    try {
      // Whole or not at all: a full disk or a read-only folder keeps the report that was there.
      writeWholeFile(opts.out, body, { makeFolder: true });
    } catch (error) {
      if (!(error instanceof FileWriteError)) throw error;
      opts.stderr.write(`silent-audit report: ${terminalText(error.message)}\n`);
      return { exitCode: 2 };
    }
    opts.stderr.write(`Wrote ${opts.out}\n`);
  } else {
    opts.stdout.write(body);
  }
  opts.stderr.write(`${terminalText(report.summary.headline)}\n`);
  return { exitCode: 0, report };
}

/**
 * The report's note of the files' events dated after its time (`asOf`), left out: how many, and
 * when that is all of them (`events`), that nothing of the files is in it, so a reader of the report
 * does not take its UNKNOWN or quiet subjects for what the files said.
 */
export function leftOutReportNote(leftOut: number, events: number, asOf: number): string | undefined {
  if (leftOut === 0) return undefined;
  const which = leftOut >= events ? `All ${plural(leftOut, 'event')} of the log files given ${leftOut === 1 ? 'is' : 'are'}` : `${plural(leftOut, 'event')} of the log files given ${leftOut === 1 ? 'is' : 'are'}`;
  const consequence = leftOut >= events ? 'nothing of them is in this report' : 'the report is as of then';
  return `${which} dated after the report's time, ${isoTime(asOf)}, and left out: ${consequence}.`;
}

/** A gap this short between the logs' end and the month's (or the report's time) is not noted: the quiet of a night. */
const ENDS_EARLY_MIN_MS = 3_600_000;

/** The month's end (or the report's time, in a month under way) when the log files' latest event is over an hour before it; undefined otherwise, or for files with no event. */
function coverageEnd(month: string, latest: number, reportAt: number): number | undefined {
  const end = Math.min(monthSpan(month).toMs, reportAt);
  return latest > 0 && end - latest >= ENDS_EARLY_MIN_MS ? end : undefined;
}

/**
 * The note when the log files given end (their latest event, `latest`) over an hour before the
 * month does (or before the report's time, in a month under way) and a configured job's schedule
 * expected a run after that (`scheduledRunBetween`): nothing after it was seen, so the report
 * covers the month only up to it. Undefined otherwise (a complete log of a daily job ending with
 * its last run of the month says nothing), or for files with no event.
 */
export function endsEarlyNote(month: string, latest: number, reportAt: number, config: Pick<Config, 'jobs'>): string | undefined {
  const span = monthSpan(month);
  const end = coverageEnd(month, latest, reportAt);
  if (end === undefined || !Object.keys(config.jobs).some((name) => scheduledRunBetween(config, name, latest, end) !== undefined)) return undefined;
  const gap = formatSpan(end - latest);
  const before = end === span.toMs ? `${span.label} does` : `the report's time, ${isoTime(end)}`;
  return `The log files given end at ${isoTime(latest)}, ${gap} before ${before}: nothing after that was seen, so the month is covered only up to then, and a job whose schedule expected a run after it is UNKNOWN, not OK.`;
}

/** Rejections named in a report's note; `scan` lists up to 20. */
const REJECTIONS_NAMED = 3;

/**
 * The note of the lines the scan before a report rejected (`scan`'s rejections: invalid events,
 * the rest of a truncated .gz) that may be of the month: those whose time (`Rejection.at`) is in
 * it, and those that give none (said so: they may be of any month), each with how many and a few
 * with their file and line, the first of each file first. Undefined for none.
 */
export function rejectedNote(tally: Pick<LineTally, 'counts' | 'rejections' | 'rejectionTimes' | 'rejectedByMonth'>, month: string): string | undefined {
  const span = monthSpan(month);
  const timed = [...tally.rejectedByMonth.values()].reduce((n, c) => n + c, 0);
  const inMonth = tally.rejectedByMonth.get(span.month) ?? 0;
  const untimed = tally.counts.rejected - timed;
  const was = (n: number) => (n === 1 ? 'was' : 'were');
  const timeOf = (i: number) => tally.rejectionTimes[i];
  const parts = [
    ...(inMonth > 0 ? [`${plural(inMonth, 'line')} dated in ${span.label} ${was(inMonth)} rejected and left out of this report (${namedRejections(tally.rejections.filter((_, i) => (timeOf(i) ?? Number.NaN) >= span.fromMs && (timeOf(i) as number) < span.toMs), inMonth)})`] : []),
    ...(untimed > 0 ? [`${plural(untimed, 'line')} without a readable time ${was(untimed)} rejected (${namedRejections(tally.rejections.filter((_, i) => timeOf(i) === undefined), untimed)})`] : []),
  ];
  return parts.length === 0 ? undefined : `${parts.join('; ')}: \`silent-audit scan\` on the same files lists them.`;
}

/** A few of `count` rejections by file and line, the first of each file first (a truncated .gz's one is not hidden behind another file's many). */
function namedRejections(rejections: readonly Rejection[], count: number): string {
  const fileOf = (where: string) => where.slice(0, where.lastIndexOf(':'));
  const firsts = rejections.filter((r, i) => rejections.findIndex((o) => fileOf(o.where) === fileOf(r.where)) === i);
  const named = [...new Set([...firsts, ...rejections])].slice(0, REJECTIONS_NAMED).map((r) => `${r.where}: ${r.reason}`);
  return `${named.join('; ')}${count > named.length ? `; and ${count - named.length} more` : ''}`;
}

/**
 * What the report settles of the work the files leave in flight (route requests waiting for a
 * retry, agent runs that never logged their end). The scan judges as of its latest event, as the
 * deployed stack would at that moment; but the report is made later, when the deployed sweep would
 * have settled that work. A month that is over is judged as complete: everything still open at its
 * end is settled, as of its end (not later, so a store the report writes to is not moved past
 * the month). A month not over yet is settled as the sweep would have by the report date. Missed
 * and unfinished job runs are judged where the files end: a file that ends says nothing about the runs after it.
 * A configured job whose lines stop with the file's is UNKNOWN (coverage's `scheduledSilenceNote`), not OK.
 */
export function settlementFor(month: string, reportDate: number): InFlightSettlement {
  const end = monthSpan(month).toMs;
  return reportDate >= end ? { at: end, complete: true } : { at: reportDate, complete: false };
}

/**
 * The store's findings and states with the routes and agent runs a scan left in flight in it (its
 * input ended mid-window, before the month's end, or before a run that never ended was judged)
 * settled as of the report (`settlementFor`), as the deployed sweep would have judged them and as a
 * report from the same log files does (`settleInFlight`): the routes' requests counted and windows
 * judged, the agents' open root runs judged (unfinished, their cost). Settled in memory over the
 * store (`ScanStore`), which is not written: moving it on is the scans' business.
 */
async function withInFlightSettled(store: AuditStore, config: Config, settle: InFlightSettlement): Promise<Pick<ReportSources, 'findings' | 'catalog'>> {
  const settled = new ScanStore(store, { keepRecords: false });
  const { findings } = await settleInFlight(settled, { config, clock: { now: () => settle.at } }, settle);
  if (findings.length === 0) return { findings: store, catalog: settled };
  return {
    catalog: settled,
    findings: {
      query: async (query) => {
        const [stored, judged] = await Promise.all([store.query(query), settled.query(query)]);
        const keys = new Set(stored.map((f) => f.key));
        return [...stored, ...judged.filter((f) => !keys.has(f.key))];
      },
    },
  };
}

/**
 * Builds a month's report and writes `report-YYYY-MM.md`, `.html` and `.json` into a folder (the
 * demo's `out/`), carrying statuses from last month's report there if there is one. The report
 * date is, unless given, when the schedule would run it: 06:00 UTC on the 1st of the month after.
 */
export async function writeReportFiles(month: string, sources: Omit<ReportSources, 'clock'> & { readonly clock?: Clock }, dir: string): Promise<PublishedReport> {
  const publisher = new FileReportPublisher(dir);
  const clock = sources.clock ?? { now: () => scheduledReportTime(month) };
  const { documents } = await createMonthlyReport(month, { ...sources, clock, archive: sources.archive ?? publisher });
  return publisher.publish(month, documents);
}

function monthOption(value: string): string {
  const problem = monthProblem(value);
  if (problem === undefined) return value;
  const expected = 'expected a month as YYYY-MM, e.g. 2026-10';
  throw new InvalidArgumentError(problem === MONTH_FORMAT ? expected : `${problem}: ${expected}`);
}

/** Adds `report` to the program. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description("the monthly 5 Cs audit report: from the findings the store holds, or from log files scanned first (what they leave in flight judged as of the month's end)")
    .argument('[paths...]', 'log files to scan first (- for stdin); without them, the findings in the store')
    .requiredOption('--month <yyyy-mm>', 'the month to report on', monthOption)
    .addOption(new Option('--format <format>', "md, html or json (default: from --out's extension, else md)").choices(FORMATS))
    .option('--out <file>', 'write the report to this file (default: stdout)')
    .addOption(new Option('--store <store>', 'local (DynamoDB Local under .silent-audit/, the default without paths) or http://host:port'))
    .option('--config <file>', 'config file (default: silent-audit.config.yaml/.json in this folder)')
    .option(
      '--now <iso>',
      'the moment the report is made as of (default: the current time): due dates count from it. With log files, the lines after it are left out, missed and unfinished runs are judged up to ' +
        "the files' latest event, at most it (a run expected after the files end is unknown, not missed), and the route requests and agent runs the logs leave in flight are settled by it, or by the month's end once the month is over",
      isoTimeOption,
    )
    .option('--year <yyyy>', YEAR_HELP, yearOption)
    .option('--timezone <zone>', `with log files: ${TIMEZONE_HELP}`, timeZoneOption)
    .option('--owner <name>', `only the subjects of this owner, as the config names it (repeatable; ${UNOWNED} for subjects with no owner): the headline and figures are over them`, (name: string, owners: string[] = []) => [...owners, name])
    .action(async (paths: string[], o: { month: string; format?: ReportFormat; out?: string; store?: string; config?: string; now?: number; year?: number; timezone?: string; owner?: string[] }) => {
      const result = await runReport({
        month: o.month,
        format: o.format,
        out: o.out,
        paths,
        store: o.store,
        config: loadConfig(o.config),
        now: o.now,
        year: o.year,
        timeZone: o.timezone,
        owners: o.owner,
        stdout: process.stdout,
        stderr: process.stderr,
        stdin: process.stdin,
      });
      process.exitCode = result.exitCode;
    });
}
