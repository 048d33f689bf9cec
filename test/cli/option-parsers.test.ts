import { InvalidArgumentError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { isoTimeOption } from '../../lambdas/cli/option-parsers.ts';

const machineZone = process.env.TZ;

describe('--now <iso>', () => {
  afterEach(() => {
    if (machineZone === undefined) delete process.env.TZ;
    else process.env.TZ = machineZone;
  });

  it("reads a time with an offset, and one without it as UTC whatever the machine's time zone", () => {
    // Prepare: a machine in New York, where the Date reads a time without an offset as local
    process.env.TZ = 'America/New_York';
    // Act
    const named = isoTimeOption('2026-10-31T23:59:00Z');
    const shifted = isoTimeOption('2026-11-01T00:59:00+01:00');
    const bare = isoTimeOption('2026-10-31T23:59:00');
    // Assess
    expect([named, shifted, bare]).toEqual([Date.UTC(2026, 9, 31, 23, 59), Date.UTC(2026, 9, 31, 23, 59), Date.UTC(2026, 9, 31, 23, 59)]);
  });

  it.each([['soon'], ['1'], ['Oct 3'], ['2026-02-30T00:00:00Z']])('refuses %j with an example of what it takes', (value) => {
    // Act
    const attempt = () => isoTimeOption(value);
    // Assess
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow('expected an ISO-8601 time, e.g. 2026-10-31T23:59:00Z');
  });
});
