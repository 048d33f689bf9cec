import { Command, CommanderError, Option } from 'commander';
import { functionOption, isoTimeOption, TIMEZONE_HELP, timeZoneOption, YEAR_HELP, yearOption } from './option-parsers.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { DynamoDbLocalError } from '../adapters/dynamodb-local.ts';
import { FileWriteError } from '../adapters/write-whole-file.ts';
import { terminalText } from '../core/terminal-text.ts';
import { registerBackfillCommand } from './backfill-command.ts';
import { exitOnOutputError } from './broken-pipe.ts';
import { runDemo } from './demo-command.ts';
import { registerExceptionsCommand } from './exceptions-command.ts';
import { registerExecCommand } from './exec-command.ts';
import { registerInitCommand } from './init-command.ts';
import { registerMcpCommand } from './mcp-command.ts';
import { registerReportCommand } from './report-command.ts';
import { runScan } from './scan-command.ts';
import { ScanWriteBackError } from './scan-store.ts';
import { registerSnoozeCommand } from './snooze-command.ts';
import { collectLogGroups, sinceOption } from './scan-sources.ts';
import { StoreSpecError, storeProblem } from './stores.ts';
import { VERSION } from '../version.ts';

/** Errors the user can fix; everything else is a bug and keeps its stack trace. */
// A scan whose subjects another scan saved first (ScanWriteBackError) says which and to run it again;
// a file that could not be written (the demo's out/ on a full disk: FileWriteError) is named, with why.
const USER_ERRORS = [ConfigError, DynamoDbLocalError, StoreSpecError, ScanWriteBackError, FileWriteError];

export function buildProgram(): Command {
  const program = new Command('silent-audit')
    .description('Finds the failures no alarm sees: jobs that exit 0 and write nothing, runs that never happen, agents over budget.')
    .version(VERSION, '-V, --version', 'print the version of silent-audit')
    // Root options (-V) only before the subcommand: `exec --job J cmd --version` without `--`
    // stays a usage error rather than printing our version and running nothing.
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();

  program
    .command('scan')
    .description('scan log files (any mix of formats; - for stdin; .gz too) and CloudWatch log groups, and print findings')
    .argument('[paths...]', 'log files, or - for stdin')
    .option('--log-group <name>', 'also read this CloudWatch log group (repeatable)', collectLogGroups)
    .option('--since <when>', 'with --log-group: read from 7d, 24h, 30m ago, or an ISO time (default: 7d)', sinceOption)
    .option('--config <file>', 'config file (default: silent-audit.config.yaml/.json in this folder)')
    .option('--json', 'one finding per line as JSON on stdout', false)
    .option('--now <iso>', 'the moment the scan is as of: the lines after it are left out, absence is judged at it (default: the latest event time)', isoTimeOption)
    .option('--year <yyyy>', YEAR_HELP, yearOption)
    .option('--timezone <zone>', TIMEZONE_HELP, timeZoneOption)
    .option('--function <name>', 'the Lambda function (name or /aws/lambda/NAME) whose platform lines stdin or a custom log group holds (a file\'s is its base name, an /aws/lambda/NAME group\'s NAME)', functionOption)
    .addOption(new Option('--store <store>', 'start from and save to a store: local (DynamoDB Local under .silent-audit/) or http://host:port'))
    .action(async (paths: string[], o: { config?: string; json: boolean; now?: number; year?: number; timezone?: string; function?: string; store?: string; logGroup?: string[]; since?: number }, command: Command) => {
      if (paths.length === 0 && !o.logGroup) command.error('error: give log files (- for stdin), or --log-group NAME');
      const result = await runScan({
        paths,
        logGroups: o.logGroup,
        since: o.since,
        config: loadConfig(o.config),
        json: o.json,
        now: o.now,
        year: o.year,
        timeZone: o.timezone,
        functionName: o.function,
        store: o.store,
        stdout: process.stdout,
        stderr: process.stderr,
      });
      process.exitCode = result.exitCode;
    });

  program
    .command('demo')
    .description('run the whole pipeline on a generated month of logs: DynamoDB Local, the real ingest handler, alerts, a summary')
    .option('--month <yyyy-mm>', 'the month to generate', '2026-10')
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10))
    .option('--out <dir>', 'where to write alerts and the summary', 'out')
    .action(async (o: { month: string; seed?: number; out: string }) => {
      process.exitCode = await runDemo({ month: o.month, seed: o.seed, outDir: o.out, stdout: process.stdout });
    });

  registerInitCommand(program);
  registerExecCommand(program);
  registerBackfillCommand(program);
  registerExceptionsCommand(program);
  registerSnoozeCommand(program);
  registerReportCommand(program);
  registerMcpCommand(program);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  // A reader that went away (`| head`) ends a command quietly, and an output that cannot be
  // written (a full disk) with 2; not exec, which keeps the job running and still writes its run.end line.
  program.hook('preAction', (_program, action) => {
    if (action.name() !== 'exec' || action.parent !== program) exitOnOutputError(process);
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (USER_ERRORS.some((E) => error instanceof E)) {
      // A user error may quote names from logs or the command line: their control characters are shown escaped.
      process.stderr.write(`silent-audit: ${terminalText((error as Error).message)}\n`);
      process.exitCode = 2;
      return;
    }
    // A store that cannot be reached or refuses (scan, report, backfill with --store): what to check, not a stack.
    const problem = storeProblem(error, 'the state store (--store)');
    if (problem) {
      process.stderr.write(`silent-audit: ${terminalText(problem)}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

