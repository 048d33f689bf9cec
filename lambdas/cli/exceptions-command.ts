import type { Command } from 'commander';
import { type Config, currentActor, loadConfig } from '../config.ts';
import {
  addException,
  EXPIRING_WITHIN_DAYS,
  ExceptionRefusedError,
  exceptionStanding,
  loadRegistry,
  type RegistryRules,
  renewException,
  revokeException,
  type SeedDifference,
  seedPlan,
  unseenGuardWarning,
} from '../core/exception-registry.ts';
import { GUARD_STATE_KIND, type GuardState } from '../core/guard-reducer.ts';
import { escapeControls, terminalText } from '../core/terminal-text.ts';
import { textTable } from '../core/text-table.ts';
import { type ExceptionStore, type GuardException, type SubjectCatalog, systemClock } from '../ports.ts';
import { MemoryExceptionStore } from '../adapters/memory-exception-store.ts';
import { addFirstHint, DEFAULT_TABLE, openOrConfigOnly, openStore, runWithStore, StoreSpecError } from './stores.ts';

/** Where the registry lives, opened for one command. */
interface OpenedRegistry {
  readonly registry: ExceptionStore;
  /** The audit store beside it: the guards bypass lines have named (`seenGuards`). */
  readonly catalog: SubjectCatalog;
  readonly description: string;
  close(): Promise<void>;
}

/**
 * The registry must persist, so there is no memory store here: `local` (DynamoDB Local under
 * `.silent-audit/`), the URL of a DynamoDB endpoint, or `aws`: the deployed table (`--table`, the
 * stack's TableName output) with the default AWS credential chain and region.
 */
export async function openRegistry(spec: string, table: string | undefined, { readOnly = false, redact }: { readOnly?: boolean; redact?: Config['redact'] } = {}): Promise<OpenedRegistry> {
  if (spec === 'memory') throw new StoreSpecError('--store memory: the exception registry must persist; use local, http://host:port or aws');
  // Read-only (`list`): a registry that is not there is an error, never created and listed as empty.
  const opened = await openStore(spec, { table, acceptsAws: true, readOnly, redact, whenMissing: addFirstHint('exceptions', 'an exception') });
  if (!opened.exceptions) {
    await opened.close();
    throw new StoreSpecError(`--store ${spec}: this store keeps no exception registry`);
  }
  return { registry: opened.exceptions, catalog: opened.store, description: opened.description, close: () => opened.close() };
}

interface CommonOptions {
  readonly store: string;
  readonly table?: string;
  readonly config?: string;
  readonly json: boolean;
}

interface CommandContext {
  readonly registry: ExceptionStore;
  /** The audit store beside the registry; undefined where there is no store (`list` of the config's entries). */
  readonly catalog?: SubjectCatalog;
  readonly config: Config;
  readonly rules: RegistryRules;
  readonly say: (line: string) => void;
  readonly json: boolean;
  /** False where there is no store (`list` of the config's entries): bypass counts live in the store. */
  readonly countsKnown: boolean;
}

function daysLabel(n: number): string {
  return `${n} day${n === 1 ? '' : 's'}`;
}

function noteDiffering(differing: readonly SeedDifference[]): void {
  for (const d of differing) {
    process.stderr.write(`note: the config's ${escapeControls(d.id)} differs from the registry (${d.fields.join(', ')}); the registry's record stands: change it with \`exceptions renew\` or \`revoke\`\n`);
  }
}

/**
 * Opens the registry, runs one subcommand, and maps refusals to exit 2. A command that writes
 * (`add`, `renew`, `revoke`) seeds the config's entries that are missing first; a read-only one
 * (`list`) writes nothing: it compares the config with the registry itself (`seedPlan`).
 */
async function runSubcommand(name: string, o: CommonOptions, work: (ctx: CommandContext) => Promise<void>, { readOnly = false } = {}): Promise<void> {
  const config = loadConfig(o.config);
  const now = systemClock.now();
  await runWithStore(
    `exceptions ${name}`,
    () =>
      openOrConfigOnly(() => openRegistry(o.store, o.table, { readOnly, redact: config.redact }), {
        readOnly,
        configEntries: config.exceptions.length,
        note: "listing the config's exceptions only: bypass counts live in the store",
        configOnly: () => ({ registry: new MemoryExceptionStore(), configOnly: true as const }),
      }),
    async (opened) => {
      const countsKnown = !('configOnly' in opened);
      if (!readOnly) {
        const seeded = await loadRegistry(opened.registry, config.exceptions, now, config.redact);
        if (seeded.added.length > 0) process.stderr.write(`seeded from the config: ${seeded.added.map(escapeControls).join(', ')}\n`);
        noteDiffering(seeded.differing);
      }
      await work({ registry: opened.registry, catalog: 'catalog' in opened ? opened.catalog : undefined, config, rules: { now, maxDays: config.defaults.max_exception_days, redact: config.redact }, say: (l) => process.stdout.write(`${o.json ? l : terminalText(l)}\n`), json: o.json, countsKnown });
    },
    (error) => (error instanceof ExceptionRefusedError ? error.message : undefined),
    `--store ${o.store}`,
  );
}

/** The guards the store has seen bypassed, as bypass lines name them (their guard states). */
async function seenGuards(catalog: SubjectCatalog | undefined): Promise<string[]> {
  return catalog ? (await catalog.subjects(GUARD_STATE_KIND)).map((s) => (s.state as GuardState).guard) : [];
}

/** One exception as `list --json` prints it: the record with its standing today, and no days left once revoked. */
export function exceptionView(e: GuardException, now: number): GuardException & { standing: string; days_left: number } {
  const { standing, daysLeft } = exceptionStanding(e, now);
  return { ...e, standing, days_left: standing === 'revoked' ? 0 : daysLeft };
}

/** The STATE cell: how soon an expiring one expires, and the day a revoked one was revoked. */
function stateCell(e: GuardException, standing: string, daysLeft: number): string {
  if (standing === 'expiring') return `expiring (${daysLeft <= 0 ? 'today' : `in ${daysLabel(daysLeft)}`})`;
  if (standing === 'revoked' && e.revoked_at) return `revoked ${e.revoked_at.slice(0, 10)}`;
  return standing;
}

/**
 * `list`'s rows: the registry's records, then the config's entries it does not hold yet, as the
 * config has them (not stored: the next `exceptions add|renew|revoke`, or scan or ingest of a
 * guard bypass, writes them, and a stored record is never overwritten). `stored` tells them apart.
 */
function listedRows(records: readonly GuardException[], pending: readonly GuardException[]): Array<{ readonly exception: GuardException; readonly stored: boolean }> {
  return [...records.map((exception) => ({ exception, stored: true })), ...pending.map((exception) => ({ exception, stored: false }))];
}

function listTable(rows: ReturnType<typeof listedRows>, now: number, countsKnown: boolean): string {
  return textTable(
    ['ID', 'GUARD', 'STATE', 'EXPIRES', 'DAYS LEFT', 'BYPASSES', 'LAST BYPASS', 'RENEWED', 'OWNER', 'ORIGIN', 'REASON'],
    rows.map(({ exception: e, stored }) => {
      const { standing, daysLeft } = exceptionStanding(e, now);
      const left = standing === 'revoked' ? '-' : String(daysLeft);
      const bypasses = countsKnown && stored ? String(e.bypass_count) : '-';
      return [e.id, e.guard, stateCell(e, standing, daysLeft), e.expires, left, bypasses, e.last_bypass_at ?? '-', String(e.renewals.length), e.owner, stored ? e.origin : `${e.origin} (not stored)`, e.reason];
    }),
    [24, 32, 24, 10, 9, 8, 20, 7, 40, 19, 80],
  );
}

function withCommon(command: Command): Command {
  return command
    .option('--store <store>', 'where the registry lives: local (DynamoDB Local under .silent-audit/), http://host:port, or aws (the deployed table, default AWS credentials)', 'local')
    .option('--table <name>', `the table (default ${DEFAULT_TABLE}; with --store aws: the stack's TableName output)`)
    .option('--config <file>', 'config file whose `exceptions` seed the registry (default: silent-audit.config.yaml/.json in this folder)')
    .option('--json', 'print JSON (one exception per line)', false);
}

/** `silent-audit exceptions list|add|renew|revoke` (contract §5): the guard-bypass exception registry. */
export function registerExceptionsCommand(program: Command): void {
  const exceptions = program
    .command('exceptions')
    .description('the guard-bypass exception registry: who may bypass which guard, why, and until when')
    .showHelpAfterError();

  withCommon(exceptions.command('list'))
    .description(`list the exceptions with their state, expiry, days left and bypass counts (expiring = within ${EXPIRING_WITHIN_DAYS} days)`)
    .option('--all', 'include revoked exceptions', false)
    .action(async (o: CommonOptions & { all: boolean }) => {
      await runSubcommand('list', o, async ({ registry, config, rules, say, json, countsKnown }) => {
        const records = await registry.list();
        const plan = seedPlan(new Map(records.map((e) => [e.id, e])), config.exceptions, rules.now, config.redact);
        noteDiffering(plan.differing);
        const all = [...records, ...plan.missing];
        const rows = listedRows(records, plan.missing).filter(({ exception: e }) => o.all || e.status !== 'revoked');
        const shown = rows.map((r) => r.exception);
        if (json) {
          for (const { exception: e, stored } of rows) say(JSON.stringify({ ...exceptionView(e, rules.now), ...(countsKnown && stored ? {} : { bypass_count: null }), stored }));
          return;
        }
        if (shown.length === 0) {
          say(all.length === 0 ? 'The registry holds no exceptions.' : `No active exceptions (${all.length} revoked: --all shows them).`);
          return;
        }
        say(listTable(rows, rules.now, countsKnown));
        const expiring = shown.filter((e) => exceptionStanding(e, rules.now).standing === 'expiring');
        const expired = shown.filter((e) => exceptionStanding(e, rules.now).standing === 'expired');
        say('');
        if (expiring.length > 0) say(`Expiring within ${EXPIRING_WITHIN_DAYS} days: ${expiring.map((e) => `${escapeControls(e.id)} (${e.expires}, owner ${escapeControls(e.owner)})`).join(', ')}: renew with a reason, or remove the bypass.`);
        if (expired.length > 0) say(`Expired: ${expired.map((e) => escapeControls(e.id)).join(', ')}: a bypass under them is reported as guard-exception-expired; revoke them once the bypass is gone.`);
        // Where there is a store (else stderr said the config is all there is): what the registry does not hold yet.
        if (countsKnown && plan.missing.length > 0) {
          const them = plan.missing.length === 1 ? 'it' : 'them';
          say(`From the config, not in the registry yet: ${plan.missing.map((e) => escapeControls(e.id)).join(', ')}. The next \`exceptions add|renew|revoke\`, scan or ingest of a guard bypass against this store, or, on a deployed table, the sweep (every 5 minutes, with the deployed config), stores ${them} as the config has ${them} then, never to be overwritten: check ${them} first.`);
        }
        const revoked = all.length - all.filter((e) => e.status !== 'revoked').length;
        say(`${shown.length} exception${shown.length === 1 ? '' : 's'}${!o.all && revoked > 0 ? ` (${revoked} revoked not shown: --all)` : ''}.`);
      }, { readOnly: true });
    });

  withCommon(exceptions.command('add'))
    .description('register a bypass: an id, the guard, a reason, an owner and an expiry (at most max_exception_days, default 90, ahead)')
    .option('--id <id>', 'the exception id the bypass lines name in `exception_id`, e.g. EX-13')
    .option('--guard <name>', 'the guard it lets bypass, e.g. pii-redaction')
    .option('--reason <text>', 'why the guard may be bypassed')
    .option('--owner <who>', 'who answers for it, e.g. alice@example.com')
    .option('--expires <yyyy-mm-dd>', 'the last day it is valid')
    .option('--by <name>', 'who adds it (default: $SILENT_AUDIT_ACTOR, else your login name)')
    .action(async (o: CommonOptions & { id?: string; guard?: string; reason?: string; owner?: string; expires?: string; by?: string }) => {
      await runSubcommand('add', o, async ({ registry, catalog, rules, say, json }) => {
        const e = await addException(registry, { id: o.id, guard: o.guard, reason: o.reason, owner: o.owner, expires: o.expires, by: o.by ?? currentActor() }, rules);
        const { daysLeft } = exceptionStanding(e, rules.now);
        say(json ? JSON.stringify(exceptionView(e, rules.now)) : `added ${escapeControls(e.id)}: guard ${escapeControls(e.guard)} may be bypassed until ${e.expires} (${daysLabel(daysLeft)} from today), owner ${escapeControls(e.owner)}, by ${escapeControls(e.created_by ?? '')}`);
        const warning = unseenGuardWarning(e.guard, await seenGuards(catalog));
        if (warning) process.stderr.write(`silent-audit exceptions add: warning: ${terminalText(warning)}\n`);
      });
    });

  withCommon(exceptions.command('renew'))
    .description('move an active exception\'s expiry (at most max_exception_days from today), recording who, when and why')
    .argument('<id>', 'the exception to renew')
    .option('--expires <yyyy-mm-dd>', 'the new last valid day')
    .option('--reason <text>', 'why the bypass is still needed')
    .option('--by <name>', 'who renews it (default: $SILENT_AUDIT_ACTOR, else your login name)')
    .action(async (id: string, o: CommonOptions & { expires?: string; reason?: string; by?: string }) => {
      await runSubcommand('renew', o, async ({ registry, rules, say, json }) => {
        const e = await renewException(registry, id, { expires: o.expires, reason: o.reason, by: o.by ?? currentActor() }, rules);
        const r = e.renewals[e.renewals.length - 1];
        say(json ? JSON.stringify(exceptionView(e, rules.now)) : `renewed ${escapeControls(e.id)}: ${r.from_expires} → ${r.to_expires}, by ${escapeControls(r.by)} ("${escapeControls(r.reason)}"); renewal ${e.renewals.length}`);
      });
    });

  withCommon(exceptions.command('revoke'))
    .description('end an exception; its record stays in the registry (nothing is ever deleted)')
    .argument('<id>', 'the exception to revoke')
    .option('--reason <text>', 'why it ends')
    .option('--by <name>', 'who revokes it (default: $SILENT_AUDIT_ACTOR, else your login name)')
    .action(async (id: string, o: CommonOptions & { reason?: string; by?: string }) => {
      await runSubcommand('revoke', o, async ({ registry, rules, say, json }) => {
        const e = await revokeException(registry, id, { reason: o.reason, by: o.by ?? currentActor() }, rules);
        say(json ? JSON.stringify(exceptionView(e, rules.now)) : `revoked ${escapeControls(e.id)} (guard ${escapeControls(e.guard)}) by ${escapeControls(e.revoked_by ?? '')} ("${escapeControls(e.revoke_reason ?? '')}"); its record stays in the registry`);
      });
    });
}
