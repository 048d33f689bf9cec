import { describe, expect, it } from 'vitest';
import { aZoneChanges, ZONE_OFFSET_MINUTES } from '../../lambdas/core/parse/local-time.ts';

/** A zone's offset from UTC at an instant, in minutes, as Intl's IANA data gives it (`GMT+05:45`, `GMT` for 0). */
function offsetMinutes(timeZone: string, at: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? '';
  const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!match) throw new Error(`${timeZone}: unexpected offset name ${JSON.stringify(name)}`);
  return match[1] === undefined ? 0 : (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

describe("the offsets a zoneless time may be read in (ZONE_OFFSET_MINUTES), against the platform's IANA data", () => {
  it('are those the time zones use, standard and DST, this year and last', () => {
    // Prepare: every zone Intl knows (and Etc/GMT+12, the one zone at -12:00, which it lists under no region), in January and July
    const year = new Date().getUTCFullYear();
    const instants = [year - 1, year].flatMap((y) => [Date.UTC(y, 0, 1), Date.UTC(y, 6, 1)]);
    const zones = [...Intl.supportedValuesOf('timeZone'), 'Etc/GMT+12'];
    // Act
    const used = new Set(zones.flatMap((zone) => instants.map((at) => offsetMinutes(zone, at))));
    // Assess
    const asSorted = (offsets: Iterable<number>) => [...new Set(offsets)].sort((a, b) => a - b);
    expect(asSorted(ZONE_OFFSET_MINUTES)).toEqual(asSorted(used));
  });
});

describe('whether a real zone changes from one offset to another at an instant (aZoneChanges)', () => {
  const HOUR = 3_600_000;
  it.each([
    ["New York's fall-back, EDT to EST at 06:00Z on 2026-11-01", -4 * HOUR, -5 * HOUR, '2026-11-01T06:00:00Z', true],
    ["New York's spring-forward, EST to EDT at 07:00Z on 2026-03-08", -5 * HOUR, -4 * HOUR, '2026-03-08T07:00:00Z', true],
    ["the Azores' fall-back, UTC to UTC-1 at 01:00Z on 2026-10-25", 0, -1 * HOUR, '2026-10-25T01:00:00Z', true],
    ["Newfoundland's fall-back, -02:30 to -03:30 at 04:30Z on 2026-11-01", -2.5 * HOUR, -3.5 * HOUR, '2026-11-01T04:30:00Z', true],
    ['no zone: UTC to UTC-1 at 03:00Z on 2026-10-05 (an agent an hour behind)', 0, -1 * HOUR, '2026-10-05T03:00:00Z', false],
    ["no zone: New York's fall-back a month early, at 10:00Z on 2026-10-05", -4 * HOUR, -5 * HOUR, '2026-10-05T10:00:00Z', false],
  ])('%s', (_, from, to, iso, expected) => {
    // Prepare
    const at = Date.parse(iso);

    // Act
    const changes = aZoneChanges(from, to, at);

    // Assess
    expect(changes).toBe(expected);
  });
});
