import { InvalidArgumentError } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { isoTimeOption, timeZoneOption } from '../../lambdas/cli/option-parsers.ts';
import { buildProgram } from '../../lambdas/cli/program.ts';

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

describe('--timezone <zone>', () => {
  it.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['america/new_york', 'America/New_York'],
    [' UTC ', 'UTC'],
    ['Etc/UTC', 'UTC'],
    ['America/Nuuk', 'America/Nuuk'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['US/Eastern', 'US/Eastern'],
    ['EST5EDT', 'EST5EDT'],
    // Not in the tz database's case, and not Node's name but for case: Node's name
    ['us/eastern', 'America/New_York'],
    ['asia/kolkata', 'Asia/Calcutta'],
    ['america/nuuk', 'America/Godthab'],
  ])('takes the IANA zone %j as %j', (value, expected) => {
    // Act
    const zone = timeZoneOption(value);
    // Assess
    expect(zone).toBe(expected);
  });

  it.each([['Berlin'], ['CEST+2'], ['']])('refuses %j, saying what it takes', (value) => {
    // Act
    const attempt = () => timeZoneOption(value);
    // Assess
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow("not an IANA time zone: give the zone the hosts' clocks are on, e.g. Europe/Berlin");
  });

  it.each([['scan'], ['init'], ['report', '--month', '2026-10'], ['mcp']])('is a usage error of %s naming the option', async (command, ...rest) => {
    // Prepare
    const program = buildProgram();
    let errors = '';
    program.commands.find((c) => c.name() === command)!.configureOutput({ writeErr: (text) => (errors += text), writeOut: () => undefined });

    // Act and Assess: commander's usage error, which the CLI exits 2 on
    await expect(program.parseAsync(['node', 'silent-audit', command, ...rest, '--timezone', 'Europe/Berlinn', 'x.log'])).rejects.toMatchObject({ code: 'commander.invalidArgument', exitCode: 1 });
    expect(errors).toContain("error: option '--timezone <zone>' argument 'Europe/Berlinn' is invalid. not an IANA time zone");
  });
});
