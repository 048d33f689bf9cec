import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { FileWriteError, writeWholeFile } from '../adapters/write-whole-file.ts';
import { DEFAULT_CONFIG, nameAsLogged } from '../config.ts';
import { type AgentState, agentTreeReducer } from '../core/agent-reducer.ts';
import { type JobSummary, summarizeJobs } from '../core/job-reducer.ts';
import { linesCount } from '../core/line-tally.ts';
import { plural } from '../core/report/format.ts';
import { type RouteState, routeReducer } from '../core/route-reducer.ts';
import { coarserGapNote, MIN_SCHEDULE_INTERVALS, suggestedGraceMinutes } from '../core/schedule.ts';
import { terminalText } from '../core/terminal-text.ts';
import { isoTimeOption, TIMEZONE_HELP, timeZoneOption, YEAR_HELP, yearOption } from './option-parsers.ts';
import { leftOutNote, scanToStore, writeSourceNotes } from './scan-command.ts';
import { collectLogGroups, describeSources, sinceOption } from './scan-sources.ts';
import { compareNames } from '../core/name-order.ts';
import { ordinal } from '../core/ordinal.ts';

/** Where `init` writes by default: the first name `loadConfig` looks for. */
export const DEFAULT_INIT_FILE = 'silent-audit.config.yaml';

export interface InitOptions {
  readonly paths: readonly string[];
  readonly logGroups?: readonly string[];
  /** Epoch ms: read log groups from here (scan's default when left out). */
  readonly since?: number;
  readonly logsClient?: CloudWatchLogsClient;
  readonly now?: number;
  readonly year?: number;
  /** The IANA zone the files' zoneless times are read in (`--timezone`); default UTC. */
  readonly timeZone?: string;
  /** The file to write (relative to `cwd`), or `-` for stdout. */
  readonly out: string;
  readonly force: boolean;
  readonly cwd?: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin?: Readable;
}

export interface InitResult {
  readonly exitCode: 0 | 2;
  /** The config text written (absent when nothing was). */
  readonly text?: string;
}

/** What the scan saw that a config names. */
export interface SeenSubjects {
  readonly jobs: readonly JobSummary[];
  readonly agents: readonly string[];
  readonly routes: readonly string[];
  readonly lines: number;
  readonly sources: string;
  readonly findings: number;
  readonly logGroups: readonly string[];
}

/**
 * `silent-audit init`: scans the logs as `scan` does (no config: the defaults), and writes a
 * starter config naming every job, agent and route seen, with the schedules learned from history.
 * Exit 0 when written; 2 on a usage or input error (a file given that is missing or not readable
 * among them), a file that exists (without `--force`), or
 * logs that named nothing to configure.
 */
export async function runInit(opts: InitOptions): Promise<InitResult> {
  const fail = (message: string): InitResult => {
    opts.stderr.write(`silent-audit init: ${terminalText(message)}\n`);
    return { exitCode: 2 };
  };
  const toStdout = opts.out === '-';
  const target = toStdout ? undefined : resolve(opts.cwd ?? process.cwd(), opts.out);
  // Before the scan, which may take minutes: the file is refused now, not after.
  if (target && !opts.force && existsSync(target)) return fail(overwriteRefusal(opts.out));

  // As of --now, as scan reads the logs: the lines after it had not happened yet (said, with how many).
  const scanned = await scanToStore({ ...opts, config: DEFAULT_CONFIG, store: undefined }, { keepRecords: false, upTo: opts.now });
  if (!scanned.ok) return fail(scanned.error);
  writeSourceNotes(scanned.readouts, 'init', opts.stderr);
  const leftOut = leftOutNote(scanned.leftOut, opts.now, 'init');
  if (leftOut) opts.stderr.write(`silent-audit init: ${leftOut}\n`);
  let seen: SeenSubjects;
  try {
    const store = scanned.opened.store;
    const agentStates = (await store.subjects(agentTreeReducer.kind)).map(({ state }) => state as AgentState);
    const agents = new Set(agentStates.flatMap((a) => [a.agent, ...(a.subagents ?? []).map(([name]) => name)]));
    const routes = (await store.subjects(routeReducer.kind)).map(({ state }) => (state as RouteState).route);
    seen = {
      jobs: [...(await summarizeJobs(store, DEFAULT_CONFIG, opts.timeZone))].sort((a, b) => compareNames(a.job, b.job)),
      agents: [...agents].sort(compareNames),
      routes: [...new Set(routes)].sort(compareNames),
      lines: scanned.tally.counts.lines,
      sources: describeSources(scanned.sources),
      findings: scanned.findings.length,
      logGroups: opts.logGroups ?? [],
    };
  } finally {
    await scanned.opened.close();
  }
  if (seen.jobs.length + seen.agents.length + seen.routes.length === 0) {
    return fail(`no job, agent or route in ${linesCount(seen.lines)} from ${seen.sources}, so no config was written (see docs/log-formats.md for the lines silent-audit reads)`);
  }

  // A `.json` file is read as JSON, strictly: the YAML's data, without its comments.
  const json = target !== undefined && /\.json$/i.test(opts.out);
  const text = json ? starterJson(starterConfig(seen)) : starterConfig(seen);
  if (target) {
    try {
      // Without --force, a file made while the scan ran is not overwritten either; with it, a
      // full disk keeps the old file rather than leaving a cut one.
      writeWholeFile(target, text, { replace: opts.force });
    } catch (error) {
      if (!(error instanceof FileWriteError)) throw error;
      if (error.code === 'EEXIST') return fail(overwriteRefusal(opts.out));
      return fail(new FileWriteError(opts.out, error.cause).message);
    }
  } else {
    opts.stdout.write(text);
  }
  // Only the jobs the file configures: one written commented out (keyFault) is not among them.
  const configured = seen.jobs.filter((j) => keyFault(j.job) === undefined);
  const learned = configured.filter((j) => j.inferred?.cron).length;
  const commented = seen.jobs.length - configured.length;
  const summary =
    `${toStdout ? 'wrote the config' : `wrote ${opts.out}`}${json ? ` (JSON, which has no comments: the notes and the keys left to fill in are in the YAML one, --out ${DEFAULT_INIT_FILE})` : ''}: ${plural(configured.length, 'job')} (${learned} with a learned schedule${commented > 0 ? `; ${commented} more left commented out` : ''}), ${plural(seen.agents.length, 'agent')}, ${plural(seen.routes.length, 'route')} ` +
    `from ${linesCount(seen.lines)} of ${seen.sources}. Check it, then: silent-audit scan${opts.timeZone === undefined ? '' : ` --timezone ${opts.timeZone}`} --config ${toStdout ? 'FILE' : opts.out} <the same logs>` +
    (seen.findings > 0 ? ` (the scan found ${plural(seen.findings, 'finding')} without it)` : '');
  (toStdout ? opts.stderr : opts.stdout).write(`${terminalText(summary)}\n`);
  return { exitCode: 0, text };
}

function overwriteRefusal(file: string): string {
  return `${file} already exists; give --force to overwrite it, or --out FILE to write another file (--out - for stdout)`;
}

/** Scalars the YAML core schema reads as something other than a string when unquoted. */
const NOT_A_PLAIN_STRING = /^(?:true|false|null|yes|no|on|off|y|n|~)$/i;

/**
 * A name as a YAML key or value: plain when it is a simple name or path, else double-quoted (as JSON
 * quotes it) with every character that needs it escaped (`:` and `#` in a cron command, line breaks, control
 * characters), on one line, so that it reads back as the same string.
 */
export function yamlString(name: string): string {
  if (/^[A-Za-z_/][\w./-]*$/.test(name) && !NOT_A_PLAIN_STRING.test(name)) return name;
  // JSON's string is YAML's double-quoted one; DEL and the C1 controls, which JSON leaves raw, are escaped too.
  return JSON.stringify(name).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The starter config's text: YAML with comments, every name quoted as it needs. */
export function starterConfig(seen: SeenSubjects): string {
  const out: string[] = [
    '# silent-audit config, a start written by `silent-audit init`: the jobs, agents and routes seen',
    `# in ${linesCount(seen.lines)} of ${seen.sources}. Every key is optional; docs/configuration.md`,
    '# (in the silent-audit package and repository) describes them all.',
    '# Check it on the same logs: silent-audit scan --config <this file> <logs>',
    '',
  ];

  if (seen.jobs.length === 0) out.push('# No job was seen in the logs.', 'jobs:', '');
  else {
    out.push('# A job is keyed by the name its lines give it (a cron job: its command, secrets redacted).', 'jobs:');
    for (const job of seen.jobs) out.push(...jobEntry(job));
    out.push('');
  }

  if (seen.agents.length > 0) {
    out.push(
      '# Agents seen: give one a budget per task to be told of runs over it (docs/agents.md).',
      '# agents:',
      ...seen.agents.flatMap((name) => [`#   ${yamlString(name)}:`, '#     budget: { max_actions: 50, max_cost_usd: 1.0 }', '#     owner: team@example.com']),
      '',
    );
  }
  if (seen.routes.length > 0) {
    out.push(
      '# Routes seen: the latency and retry rate they may reach (docs/agents.md has the retry-rate and retry-latency detectors, docs/configuration.md their keys).',
      '# routes:',
      ...seen.routes.flatMap((name) => [`#   ${yamlString(name)}:`, '#     p99_ms: 2000', '#     retry_rate_max: 0.1', '#     owner: team@example.com']),
      '',
    );
  }

  const logGroups = seen.logGroups.length > 0 ? seen.logGroups.map(yamlString).join(', ') : '/aws/lambda/my-job, /jobs/cron';
  out.push(
    '# For the deployed stack (cdk deploy): the log groups it reads, and who gets the alerts.',
    '# deploy:',
    `#   log_groups: [${logGroups}]`,
    '#   alert_emails: [oncall@example.com]',
  );
  return `${out.join('\n')}\n`;
}

/**
 * The starter config as JSON: its YAML's data (`starterConfig`), a job with every key commented out
 * an empty object (its notes and commented keys are lost: JSON has no comments).
 */
function starterJson(yaml: string): string {
  const data = (parse(yaml) ?? {}) as { jobs?: Record<string, unknown> | null };
  const jobs = Object.fromEntries(Object.entries(data.jobs ?? {}).map(([name, job]) => [name, job ?? {}]));
  return `${JSON.stringify({ ...data, jobs }, null, 2)}\n`;
}

/** A job's entry, written commented out with a note when its name as a key would configure no job (`keyFault`). */
function jobEntry(job: JobSummary): string[] {
  const entry = activeJobEntry(job);
  const fault = keyFault(job.job);
  return fault ? [`  # left commented out: ${fault}`, ...entry.map((line) => `  # ${line.slice(2)}`)] : entry;
}

/**
 * Why a job's name, written as a key of `jobs:`, would not configure that job, or undefined when it
 * would. The config loader drops a `__proto__` key, and reads each key as a log line names it
 * (`nameAsLogged`: redacted, shortened): a name that changes then is another job's.
 */
function keyFault(name: string): string | undefined {
  if (name === '__proto__') return 'a config cannot name a job "__proto__" (the key is dropped when the config is read)';
  if (nameAsLogged(name, DEFAULT_CONFIG) !== name) return 'as a key, this name is redacted again when the config is read and names no job seen';
  return undefined;
}

function activeJobEntry(job: JobSummary): string[] {
  const key = `  ${yamlString(job.job)}:`;
  // expect_pattern is judged on a run's logged output: suggested only where the lines carry it.
  const pattern = job.outputLogged
    ? '    # expect_pattern: "done"       # a regex every good run\'s output matches'
    : '    # no expect_pattern: no run of it seen logged its output (cron, systemd and Lambda platform lines carry none); run it under silent-audit exec to log it';
  const rest = [pattern, '    # owner: team@example.com'];
  const learned = job.inferred;
  const regularity = (s: NonNullable<JobSummary['inferred']>) => `${Math.round(s.regularity * 100)}% regular over ${plural(s.samples, 'interval')}`;
  if (learned?.cron && learned.timezone) {
    return [
      `  # schedule learned from its runs: ${learned.period}, ${regularity(learned)} in local time; times in ${learned.timezone} (${learned.clockChange ? 'guessed: see below' : 'the --timezone given'})`,
      key,
      `    schedule: ${JSON.stringify(learned.cron)}`,
      `    timezone: ${yamlString(learned.timezone)}`,
      ...graceLine(learned),
      ...zoneNote(learned),
      ...restDaysNote(learned),
      ...keptDaysNote(learned),
      ...rest,
    ];
  }
  if (learned?.cron) {
    const m = learned.moved;
    const comment = m
      ? `  # schedule learned from its latest runs: ${learned.period}; its runs moved from ${m.from} to ${m.to} UTC on ${m.on}, and the ${m.runs} since kept the new time; times in UTC (its runs before ${m.on}, at the old time, are reported missed by a scan of them with this config)`
      : `  # schedule learned from its runs: ${learned.period}, ${regularity(learned)}; times in UTC`;
    return [comment, key, `    schedule: ${JSON.stringify(learned.cron)}`, ...graceLine(learned), ...restDaysNote(learned), ...keptDaysNote(learned), ...rest];
  }
  const moved = learned?.movedAnHour;
  if (moved) {
    // Either UTC time would report the runs at the other missed: the schedule is left to the user.
    return [
      `  # no schedule learned: it runs ${learned.period}, but its runs moved by an hour on ${moved.on} (from ${moved.from} to ${moved.to} UTC), and no time zone's clock change fits them`,
      key,
      `    # schedule: ${JSON.stringify(moved.cronAfter ?? '30 2 * * *')}    # ${moved.cronAfter ? `UTC, the time of its runs since ${moved.on}` : 'cron: minute hour day month weekday'}; add timezone: if its host runs on local time`,
      ...rest,
    ];
  }
  const unfit = learned?.unfit;
  if (unfit) {
    // Active, it would report runs missed on the very logs it was learned from.
    const reason = unfit.firstStart !== undefined
      ? `its first run seen, at ${new Date(unfit.firstStart).toISOString().slice(0, 16).replace('T', ' ')} UTC, is at no time of ${JSON.stringify(unfit.cron)} (its runs moved, as at a clock change, and no time zone learned explains it)`
      : `${JSON.stringify(unfit.cron)} expects ${unfit.expected} runs over the span of its runs, and ${unfit.seen} were seen (it runs in hours or on days no window learned fits)`;
    return [
      `  # no schedule learned: it runs ${learned.period} (${regularity(learned)}), but ${reason}`,
      key,
      `    # schedule: ${JSON.stringify(unfit.cron)}    # ${unfit.timezone ? `in ${unfit.timezone}` : 'UTC'}${unfit.firstStart !== undefined ? ', the time of its latest runs; add timezone: if its host runs on local time' : '; narrow its hours and weekdays to those it runs in'}`,
      ...rest,
    ];
  }
  const coarser = learned?.coarser;
  if (coarser) {
    // One cron cannot name every time of the period (minutes are 0-59: "*/90" is no cron), nor does the config take a rate: a multiple of it that cron says.
    return [
      `  # it runs ${learned.period} (${regularity(learned)}), which no cron expression says: this schedule, ${coarser.period} at the time of its runs (UTC), expects every ${ordinal(coarser.everyNth)} run; ${coarserGapNote(learned.period_ms / 60_000, coarser.everyNth)} (of the runs in these logs it names those at the time most came at, so a gap in them may have fallen on the others)`,
      key,
      `    schedule: ${JSON.stringify(coarser.cron)}`,
      ...rest,
    ];
  }
  const why = learned
    ? `it runs ${learned.period} (${regularity(learned)}), which no cron expression says`
    : job.startMinutes < MIN_SCHEDULE_INTERVALS + 1
      ? `too few runs (${job.startMinutes} seen; one is learned from ${MIN_SCHEDULE_INTERVALS + 1} or more)`
      : `its ${job.startMinutes} runs are irregular (fewer than 80% of the gaps between them near the typical one)`;
  return [`  # no schedule learned: ${why}`, key, '    # schedule: "30 2 * * *"    # cron: minute hour day month weekday (UTC unless timezone: is given)', ...rest];
}

/**
 * A learned schedule's `grace_minutes`, when its runs started later after it than the default grace
 * allows (a RandomizedDelaySec, a busy host): without it a scan with this config would report those runs missed.
 */
function graceLine(learned: NonNullable<JobSummary['inferred']>): string[] {
  const grace = suggestedGraceMinutes(learned, DEFAULT_CONFIG.defaults.grace_minutes);
  return grace === undefined ? [] : [`    grace_minutes: ${grace}    # runs started up to ${learned.lateMinutes} min after it`];
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * A note under a schedule learned in a time zone: the runs kept one wall time in it while their
 * UTC time moved by an hour at its clock change, so the zone was guessed from that, and the zones
 * that fit as well at another wall time are named with their schedules (the host's may be one).
 */
function zoneNote(learned: NonNullable<JobSummary['inferred']>): string[] {
  const change = learned.clockChange;
  if (!change || !learned.timezone) return [];
  const others = change.alternatives.map((a) => `${JSON.stringify(a.cron)} in ${a.timezone}`);
  if (change.moreZones > 0) others.push(`${plural(change.moreZones, 'more zone')}`);
  return [
    `    # timezone guessed: the runs kept one local time while their UTC time moved by an hour at the clock change on ${change.on}; if the host is in another zone, use its own` +
      (others.length > 0 ? ` (these fit as well: ${others.join(', ')})` : ''),
  ];
}

/**
 * A note under a daily schedule that leaves out weekdays seen only once (a weekend in the one week
 * the logs span): the job may run every day and have missed them.
 */
function restDaysNote(learned: NonNullable<JobSummary['inferred']>): string[] {
  const days = learned.restDaysSeenOnce;
  if (!days?.length || !learned.cron) return [];
  const everyDay = `${learned.cron.split(' ').slice(0, -1).join(' ')} *`;
  // In the week's order from the block's first day: Sat, Sun.
  const first = days.find((d) => !days.includes((d + 6) % 7)) ?? days[0];
  const inOrder = [...days].sort((a, b) => ((a - first + 7) % 7) - ((b - first + 7) % 7));
  return [`    # ${inOrder.map((d) => WEEKDAYS[d]).join(', ')} (${learned.timezone ?? 'UTC'}): no run in the one week seen; if the job runs every day, use ${JSON.stringify(everyDay)}`];
}

/**
 * A note under a daily schedule that keeps weekdays on which the one time they came the job had
 * no run (a Mon–Sat job seen for under two weeks): they stay in, as a missed run is as likely,
 * and the note gives the cron that leaves them out, should the job rest on them.
 */
function keptDaysNote(learned: NonNullable<JobSummary['inferred']>): string[] {
  const kept = learned.keptUnseenOnce;
  if (!kept?.days.length) return [];
  return [`    # ${kept.days.map((d) => WEEKDAYS[d]).join(', ')} (${learned.timezone ?? 'UTC'}): no run the one time it came, kept in as a possible missed run; if the job rests ${kept.days.length > 1 ? 'on those days' : 'that day'}, use ${JSON.stringify(kept.cronWithout)}`];
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(`scan logs as scan does and write a starter config (${DEFAULT_INIT_FILE}): each job seen with its learned schedule, agents and routes seen`)
    .argument('[paths...]', 'log files, or - for stdin')
    .option('--log-group <name>', 'also read this CloudWatch log group (repeatable)', collectLogGroups)
    .option('--since <when>', 'with --log-group: read from 7d, 24h, 30m ago, or an ISO time (default: 7d)', sinceOption)
    .option('--out <file>', 'the file to write, - for stdout', DEFAULT_INIT_FILE)
    .option('--force', 'overwrite the file if it exists', false)
    .option('--now <iso>', 'the moment the scan is as of: the lines after it are left out, as scan leaves them (default: the latest event time)', isoTimeOption)
    .option('--year <yyyy>', YEAR_HELP, yearOption)
    .option('--timezone <zone>', TIMEZONE_HELP, timeZoneOption)
    .action(async (paths: string[], o: { out: string; force: boolean; now?: number; year?: number; timezone?: string; logGroup?: string[]; since?: number }, command: Command) => {
      if (paths.length === 0 && !o.logGroup) command.error('error: give log files (- for stdin), or --log-group NAME');
      const result = await runInit({ paths, logGroups: o.logGroup, since: o.since, now: o.now, year: o.year, timeZone: o.timezone, out: o.out, force: o.force, stdout: process.stdout, stderr: process.stderr });
      process.exitCode = result.exitCode;
    });
}
