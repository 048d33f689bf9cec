import type { Config } from '../../config.ts';
import type { GuardException } from '../../ports.ts';
import { textAsLogged } from '../exception-registry.ts';
import { inConfig, ownersAsConfigured } from './subjects.ts';
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
    const own = ownersAsConfigured(kind, name, config, exceptions);
    if (own.length > 0) return own.some((o) => wanted.has(o));
    const carried = inConfig(kind, name, config) === false ? carriedOwners.get(subjectKey(kind, name)) : undefined;
    return wanted.has(carried === undefined || carried.trim() === '' ? UNOWNED : carried);
  };
}

/** What a sliced report says first: "owner: team01 — 14 of 80 subjects", the owners redacted as the report's are (`ownerOf`). */
export function sliceLabel(owners: readonly string[], subjects: number, of: number, redact: Config['redact']): string {
  return `${owners.length === 1 ? 'owner' : 'owners'}: ${owners.map((o) => textAsLogged(o, redact)).join(', ')} — ${subjects} of ${of} subjects`;
}

/** The owners the config and the exceptions name, as `ownerSlice` matches them (a blank one names no one). */
function configuredOwners(config: Config, exceptions: readonly GuardException[]): string[] {
  const sections = [config.jobs, config.agents, config.routes, config.tools] as readonly (Record<string, { owner?: string } | undefined> | undefined)[];
  const owners = [...sections.flatMap((section) => Object.values(section ?? {}).map((s) => s?.owner)), ...[...exceptions, ...config.exceptions].map((e) => e.owner)];
  return [...new Set(owners.filter((o): o is string => o !== undefined && o.trim() !== ''))].sort();
}

/**
 * What to say of an owner given to `report --owner` (or MCP's `owner`) that no subject has (a slip,
 * another case, a trailing space): the configured owners it looks like, and those configured,
 * redacted as the report shows them. Undefined for `none` and an owner some subject has.
 */
export function unknownOwnerNote(owner: string, config: Config, exceptions: readonly GuardException[] = []): string | undefined {
  const known = configuredOwners(config, exceptions);
  if (owner === UNOWNED || known.includes(owner)) return undefined;
  const typed = owner.trim().toLowerCase();
  const meant = [...new Set([...known.filter((k) => k.trim().toLowerCase() === typed), ...namesMeant(owner.trim(), known)])];
  const shown = (o: string) => `"${textAsLogged(o, config.redact)}"`;
  const hint = meant.length > 0 ? ` (did you mean ${meant.map(shown).join(', ')}?)` : '';
  const listed = known.length > 0 ? `the owners configured are: ${known.map((o) => textAsLogged(o, config.redact)).join(', ')}, and ${UNOWNED} for the unowned` : `no owner is configured (${UNOWNED}: the unowned)`;
  return `no subject has owner ${shown(owner)}${hint}; ${listed}`;
}
