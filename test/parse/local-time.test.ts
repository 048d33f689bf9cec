import { describe, expect, it } from 'vitest';
import { ZONE_OFFSET_MINUTES } from '../../lambdas/core/parse/local-time.ts';

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
