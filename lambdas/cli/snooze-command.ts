import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { DynamoSnoozeStore } from '../adapters/dynamodb-snooze-store.ts';
import { MemorySnoozeStore } from '../adapters/memory-snooze-store.ts';
import { type Config, currentActor, loadConfig, nameAsLogged } from '../config.ts';
import { isoTime } from '../core/findings.ts';
import { addSnooze, allSnoozes, configSnoozes, endSnooze, SnoozeRefusedError, snoozeStanding } from '../core/snooze.ts';
import { escapeControls, terminalText } from '../core/terminal-text.ts';
import { didYouMean, namesMeant } from '../core/edit-distance.ts';
import { textTable } from '../core/text-table.ts';
import { type ReadableStore, readOnlyView } from '../mcp/audit-view.ts';
import { knownSubjects } from '../mcp/subjects.ts';
import { type Snooze, type SnoozeStore, systemClock } from '../ports.ts';
import { addFirstHint, DEFAULT_TABLE, openOrConfigOnly, openStore, runWithStore, StoreSpecError } from './stores.ts';

interface OpenedSnoozes {
  readonly store: SnoozeStore;
  /** The audit's stored subjects, beside the snoozes: `add` warns of a subject none of them nor the config names. */
  readonly catalog?: ReadableStore;
  readonly description: string;
  close(): Promise<void>;
}

/**
 * Snoozes must persist and be seen by the deployed functions, so there is no memory store: `local`
 * (DynamoDB Local under `.silent-audit/`), the URL of a DynamoDB endpoint, or `aws`: the deployed
 * table (`--table`, the stack's TableName output) with the default AWS credential chain and region.
 */
export async function openSnoozeStore(spec: string, table: string | undefined, cwd = process.cwd(), { readOnly = false } = {}): Promise<OpenedSnoozes> {
  if (spec === 'memory') throw new StoreSpecError(`--store ${spec}: snoozes must persist; expected local, http://host:port or aws`);
  // Read-only (`list`): a store that is not there is an error, never created and listed as empty.
  const opened = await openStore(spec, { table, cwd, acceptsAws: true, readOnly, whenMissing: addFirstHint('snooze', 'a snooze') });
  if (!opened.dynamo) {
    await opened.close();
    throw new StoreSpecError(`--store ${spec}: snoozes must persist; expected local, http://host:port or aws`);
  }
  return { store: new DynamoSnoozeStore(opened.dynamo.client, opened.dynamo.table), catalog: opened.store, description: opened.description, close: () => opened.close() };
}

interface CommonOptions {
  readonly store: string;
  readonly table?: string;
  readonly config?: string;
  readonly json: boolean;
}

interface Context {
  readonly store: SnoozeStore;
  readonly catalog?: ReadableStore;
  readonly config: Config;
  readonly now: number;
  readonly say: (line: string) => void;
}

async function runSubcommand(name: string, o: CommonOptions, work: (ctx: Context) => Promise<void>, { readOnly = false } = {}): Promise<void> {
  const config = loadConfig(o.config);
  await runWithStore(
    `snooze ${name}`,
    () =>
      openOrConfigOnly(() => openSnoozeStore(o.store, o.table, process.cwd(), { readOnly }), {
        readOnly,
        configEntries: config.snoozes.length,
        note: "listing the config's snoozes only",
        configOnly: () => ({ store: new MemorySnoozeStore() }),
      }),
    (opened) => work({ store: opened.store, catalog: 'catalog' in opened ? opened.catalog : undefined, config, now: systemClock.now(), say: (line) => process.stdout.write(`${o.json ? line : terminalText(line)}\n`) }),
    (error) => (error instanceof SnoozeRefusedError ? error.message : undefined),
    `--store ${o.store}`,
  );
}

/**
 * What to warn of a snooze's subject that neither the config nor the store knows (a slip,
 * `nightly-backp`): the known names it looks like (`namesMeant`). Undefined for a known subject.
 * Only a warning: a subject may not have logged yet, or be a tool, which is no stored subject.
 */
export async function unknownSubjectWarning(subject: string, catalog: ReadableStore | undefined, config: Config): Promise<string | undefined> {
  const view = readOnlyView({ store: catalog ?? NO_SUBJECTS, config, clock: systemClock, source: 'snooze' });
  // As its lines name it, secrets redacted, as the snooze's subject is stored: a warning repeats no secret of the config.
  const names = (await knownSubjects(view)).map((k) => nameAsLogged(k.name, config));
  if (names.includes(subject)) return undefined;
  const meant = didYouMean(namesMeant(subject, names));
  const hint = meant ? `; ${meant}` : '';
  return `no subject named "${subject}" is in the config or the store yet${hint} (snoozed anyway: it may not have logged yet)`;
}

/** A store of no subjects, for a snooze store opened without the audit's. */
const NO_SUBJECTS: ReadableStore = { subjects: async () => [], query: async () => [], runs: async () => [] };

/** One snooze as `list --json` prints it: the record with its standing now. */
export function snoozeView(s: Snooze, now: number): Snooze & { standing: string; hours_left: number } {
  const standing = snoozeStanding(s, now);
  // An ended snooze holds nothing back any more, whatever its `until` said.
  const hoursLeft = standing === 'active' ? Math.max(0, Math.round((Date.parse(s.until) - now) / 3_600_000)) : 0;
  return { ...s, standing, hours_left: hoursLeft };
}

function newSnoozeId(now: number): string {
  return `SZ-${isoTime(now).slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
}

function withCommon(command: Command): Command {
  return command
    .option('--store <store>', 'where snoozes live: local (DynamoDB Local under .silent-audit/), http://host:port, or aws (the deployed table)', 'local')
    .option('--table <name>', `the table (default ${DEFAULT_TABLE}; with --store aws: the stack's TableName output)`)
    .option('--config <file>', 'config file, for its `snoozes` and `defaults.max_snooze_days` (default: silent-audit.config.yaml/.json here)')
    .option('--json', 'print JSON (one snooze per line)', false);
}

/** `silent-audit snooze add|list|end`: pause a subject's alerts for a while, with an owner, a reason and an end. */
export function registerSnoozeCommand(program: Command): void {
  const snooze = program.command('snooze').description('pause alerts about a subject (findings are still stored and reported), with an owner, a reason and an end').showHelpAfterError();

  withCommon(snooze.command('add'))
    .description('snooze a subject (or one detector on it) until a time at most defaults.max_snooze_days (30) ahead')
    .option('--subject <name>', 'the job, agent, tool, route or guard')
    .option('--detector <id>', 'only this detector (default: all)')
    .option('--owner <who>', 'who answers for the snooze')
    .option('--reason <text>', 'why the alerts may pause')
    .option('--until <when>', 'when it ends: 12h, 3d, 2w from now, an ISO-8601 time, or a date (its end, UTC)')
    .option('--id <id>', 'an id of your own, not a config snooze\'s nor config-… (default: SZ-<date>-<random>)')
    .option('--by <name>', 'who adds it (default: $SILENT_AUDIT_ACTOR, else your login name)')
    .action(async (o: CommonOptions & { subject?: string; detector?: string; owner?: string; reason?: string; until?: string; id?: string; by?: string }) => {
      await runSubcommand('add', o, async ({ store, catalog, config, now, say }) => {
        const s = await addSnooze(store, { id: o.id ?? newSnoozeId(now), subject: o.subject, detector: o.detector, owner: o.owner, reason: o.reason, until: o.until, by: o.by ?? currentActor() }, { now, maxDays: config.defaults.max_snooze_days, redact: config.redact, configIds: configSnoozes(config).map((c) => c.id) });
        say(o.json ? JSON.stringify(snoozeView(s, now)) : `snoozed ${escapeControls(s.subject)}${s.detector ? ` (${escapeControls(s.detector)})` : ''} until ${s.until} as ${escapeControls(s.id)}, owner ${escapeControls(s.owner)}: findings are stored and reported, not alerted`);
        const warning = await unknownSubjectWarning(s.subject, catalog, config);
        if (warning) process.stderr.write(`silent-audit snooze add: warning: ${terminalText(warning)}\n`);
      });
    });

  withCommon(snooze.command('list'))
    .description('list the snoozes (stored and from the config) with their standing and time left')
    .option('--all', 'include ended and expired snoozes', false)
    .action(async (o: CommonOptions & { all: boolean }) => {
      await runSubcommand('list', o, async ({ store, config, now, say }) => {
        const all = await allSnoozes(config, store);
        const shown = all.filter((s) => o.all || snoozeStanding(s, now) === 'active').sort((a, b) => a.until.localeCompare(b.until) || a.id.localeCompare(b.id));
        if (o.json) {
          for (const s of shown) say(JSON.stringify(snoozeView(s, now)));
          return;
        }
        if (shown.length === 0) {
          say(all.length === 0 ? 'No snoozes.' : `No active snoozes (${all.length} ended or expired: --all shows them).`);
          return;
        }
        say(
          textTable(
            ['ID', 'SUBJECT', 'DETECTOR', 'STATE', 'UNTIL', 'HOURS LEFT', 'OWNER', 'ORIGIN', 'REASON'],
            shown.map((s) => {
              const v = snoozeView(s, now);
              // One ended early ran until it was ended: that time, not the end it had planned.
              const ended = v.standing === 'ended';
              const until = ended && s.ended_at ? s.ended_at : s.until;
              return [s.id, s.subject, s.detector ?? '(all)', v.standing, until, ended ? '-' : String(v.hours_left), s.owner, s.origin, s.reason];
            }),
            [28, 32, 24, 8, 24, 10, 32, 6, 60],
          ),
        );
      }, { readOnly: true });
    });

  withCommon(snooze.command('end'))
    .description('end a stored snooze now; its record stays (a config snooze ends when it leaves the file)')
    .argument('<id>', 'the snooze to end')
    .option('--reason <text>', 'why it ends early')
    .option('--by <name>', 'who ends it (default: $SILENT_AUDIT_ACTOR, else your login name)')
    .action(async (id: string, o: CommonOptions & { reason?: string; by?: string }) => {
      await runSubcommand('end', o, async ({ store, config, now, say }) => {
        const s = await endSnooze(store, id, { by: o.by ?? currentActor(), reason: o.reason }, now, config.redact);
        say(o.json ? JSON.stringify(snoozeView(s, now)) : `ended ${escapeControls(s.id)} (${escapeControls(s.subject)}) by ${escapeControls(s.ended_by ?? '')}: its findings alert again`);
      });
    });
}
