import type { Config } from '../../config.ts';
import type { GuardException } from '../../ports.ts';
import { textAsLogged } from '../exception-registry.ts';
import { ownValue } from '../own-property.ts';
import { SECTION_OF_KIND } from './subjects.ts';

/** The owner `report --owner` takes for subjects no owner is configured for. */
export const UNOWNED = 'none';

/** Whether a subject of `kind` named `name` is in a slice of the report. */
export type InSlice = (kind: string, name: string) => boolean;

/**
 * The owners a subject has as configured (before redaction: `--owner` is matched on what the
 * config says): its section's `owner`, for a guard those of its exceptions (the registry's and the
 * config's); empty for an unowned one.
 */
function ownersAsConfigured(kind: string, name: string, config: Config, exceptions: readonly GuardException[]): string[] {
  if (kind === 'guard') return [...exceptions, ...config.exceptions].filter((e) => e.guard === name).map((e) => e.owner);
  const section = SECTION_OF_KIND[kind];
  const owner = section && ownValue(config[section] as Record<string, { owner?: string } | undefined>, name)?.owner;
  return owner === undefined ? [] : [owner];
}

/**
 * The subjects of a report sliced by owner (`report --owner`): those whose owner as configured is
 * one of `owners`, or that have none when `owners` holds `none`. A guard is its exceptions'
 * owners': one whose exceptions have two owners is in both slices.
 */
export function ownerSlice(owners: readonly string[], config: Config, exceptions: readonly GuardException[] = []): InSlice {
  const wanted = new Set(owners);
  return (kind, name) => {
    const own = ownersAsConfigured(kind, name, config, exceptions);
    return own.length === 0 ? wanted.has(UNOWNED) : own.some((o) => wanted.has(o));
  };
}

/** What a sliced report says first: "owner: team01 — 14 of 80 subjects", the owners redacted as the report's are (`ownerOf`). */
export function sliceLabel(owners: readonly string[], subjects: number, of: number, redact: Config['redact']): string {
  return `${owners.length === 1 ? 'owner' : 'owners'}: ${owners.map((o) => textAsLogged(o, redact)).join(', ')} — ${subjects} of ${of} subjects`;
}
