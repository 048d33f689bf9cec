import type { Config } from '../../config.ts';
import type { GuardException } from '../../ports.ts';
import { textAsLogged } from '../exception-registry.ts';
import { inConfig, ownersAsConfigured } from './subjects.ts';
import { subjectKey } from '../pipeline.ts';

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
