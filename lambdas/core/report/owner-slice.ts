import type { Config } from '../../config.ts';
import type { GuardException } from '../../ports.ts';
import { textAsLogged } from '../exception-registry.ts';
import { blank, inConfig, ownersAsConfigured, SECTION_OF_KIND } from './subjects.ts';
import { subjectKey } from '../pipeline.ts';
import { namesMeant } from '../edit-distance.ts';

/** The owner `report --owner` takes for subjects no owner is configured for. */
export const UNOWNED = 'none';

/** Whether a subject of `kind` named `name` is in a slice of the report. */
export type InSlice = (kind: string, name: string) => boolean;

/**
 * The subjects of a report sliced by owner (`report --owner`): those whose owner as configured is
 * one of `owners`, or that have none when `owners` holds `none`. A guard is its exceptions'
 * owners': one whose exceptions have two owners is in both slices. A subject taken out of the config
 * is the owner's last month's report named for it (`carriedOwners`, by `subjectKey`), as the report shows it.
 */
export function ownerSlice(owners: readonly string[], config: Config, exceptions: readonly GuardException[] = [], carriedOwners: ReadonlyMap<string, string> = new Map()): InSlice {
  const wanted = new Set(owners);
  return (kind, name) => {
    const own = sliceOwners(kind, name, config, exceptions, carriedOwners);
    return own.length > 0 ? own.some((o) => wanted.has(o)) : wanted.has(UNOWNED);
  };
}

/**
 * The owners a subject is sliced under (`ownerSlice`): those configured (`ownersAsConfigured`), else, for a
 * subject taken out of the config, the one last month's report named for it (`carriedOwners`); empty for
 * an unowned one (a blank owner names no one).
 */
function sliceOwners(kind: string, name: string, config: Config, exceptions: readonly GuardException[], carriedOwners: ReadonlyMap<string, string>): string[] {
  const own = ownersAsConfigured(kind, name, config, exceptions);
  if (own.length > 0) return own;
  const carried = inConfig(kind, name, config) === false ? carriedOwners.get(subjectKey(kind, name)) : undefined;
  return carried === undefined || blank(carried) ? [] : [carried];
}

/** What a sliced report says first: "owner: team01 — 14 of 80 subjects", the owners redacted as the report's are (`ownerOf`). */
export function sliceLabel(owners: readonly string[], subjects: number, of: number, redact: Config['redact']): string {
  return `${owners.length === 1 ? 'owner' : 'owners'}: ${owners.map((o) => textAsLogged(o, redact)).join(', ')} — ${subjects} of ${of} subjects`;
}

/**
 * The owners a slice can be cut for, as `ownerSlice` matches them: those the config and the exceptions
 * name, and those last month's report named for subjects taken out of the config (`carriedOwners`, by
 * `subjectKey`) that the config gives no owner.
 */
function sliceableOwners(config: Config, exceptions: readonly GuardException[], carriedOwners: ReadonlyMap<string, string>): string[] {
  const configured = Object.entries(SECTION_OF_KIND).flatMap(([kind, section]) => Object.keys((section && config[section]) ?? {}).map((name) => ({ kind, name })));
  const guards = [...new Set([...exceptions, ...config.exceptions].map((e) => e.guard))].map((name) => ({ kind: 'guard', name }));
  const carried = [...carriedOwners.keys()].map(subjectOfKey);
  return [...new Set([...configured, ...guards, ...carried].flatMap((s) => sliceOwners(s.kind, s.name, config, exceptions, carriedOwners)))].sort();
}

/** A subject's kind and name from its key (`subjectKey`: `job#nightly-backup`). */
function subjectOfKey(key: string): { kind: string; name: string } {
  const at = key.indexOf('#');
  return { kind: key.slice(0, at), name: key.slice(at + 1) };
}

/**
 * What to say of an owner given to `report --owner` (or MCP's `owner`) that no subject has (a slip,
 * another case, a trailing space): the configured owners it looks like, and those configured,
 * redacted as the report shows them. Undefined for `none` and an owner some subject has: one configured, or
 * one last month's report named for a subject taken out of the config (`carriedOwners`, as `ownerSlice` takes them).
 */
export function unknownOwnerNote(owner: string, config: Config, exceptions: readonly GuardException[] = [], carriedOwners: ReadonlyMap<string, string> = new Map()): string | undefined {
  const known = sliceableOwners(config, exceptions, carriedOwners);
  if (owner === UNOWNED || known.includes(owner)) return undefined;
  const typed = owner.trim().toLowerCase();
  const meant = [...new Set([...known.filter((k) => k.trim().toLowerCase() === typed), ...namesMeant(owner.trim(), known)])];
  const shown = (o: string) => `"${textAsLogged(o, config.redact)}"`;
  const hint = meant.length > 0 ? ` (did you mean ${meant.map(shown).join(', ')}?)` : '';
  const configured = sliceableOwners(config, exceptions, new Map());
  const carried = known.filter((k) => !configured.includes(k));
  const listed = configured.length > 0 ? `the owners configured are: ${configured.map((o) => textAsLogged(o, config.redact)).join(', ')}, and ${UNOWNED} for the unowned` : `no owner is configured (${UNOWNED}: the unowned)`;
  const named = carried.length > 0 ? `; last month's report names ${carried.map((o) => textAsLogged(o, config.redact)).join(', ')} for subjects no longer in the config` : '';
  return `no subject has owner ${shown(owner)}${hint}; ${listed}${named}`;
}
