import { describe, expect, it } from 'vitest';
import { MemorySnoozeStore } from '../../lambdas/adapters/memory-snooze-store.ts';
import { ConfigError, parseConfigText, validateConfig } from '../../lambdas/config.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { addSnooze, allSnoozes, configSnoozes, endSnooze, inMaintenanceWindow, parseUntil, SnoozeRefusedError, snoozeStanding, suppressionFor } from '../../lambdas/core/snooze.ts';
import type { Snooze } from '../../lambdas/ports.ts';

const NOW = Date.parse('2026-10-05T12:00:00Z');
const DAY = 86_400_000;

function problemsOf(raw: unknown): string[] {
  try {
    validateConfig(raw, 'cfg', undefined, { now: NOW });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

const snooze = (over: Partial<Snooze> = {}): Snooze => ({ id: 'SZ-1', subject: 'etl', owner: 'alice', reason: 'migration', until: '2026-10-06T00:00:00.000Z', status: 'active', origin: 'cli', ...over });
const finding = (over: Partial<Finding> = {}): Finding => ({ detector: 'run-failed', subject: 'etl', subject_kind: 'job', run_id: 'r1', ts: '2026-10-05T12:00:00Z', severity: 'high', message: 'm', evidence: {}, ...over });

describe('config: snoozes and maintenance windows', () => {
  it('accepts a snooze with an owner, a reason and an end, normalising a date to the end of that day', () => {
    // Act
    const config = validateConfig({ snoozes: [{ subject: 'etl', detector: 'run-failed', owner: 'alice', reason: 'migration', until: '2026-10-20' }] }, 'cfg', undefined, { now: NOW });
    // Assess
    expect(config.snoozes).toEqual([{ subject: 'etl', detector: 'run-failed', owner: 'alice', reason: 'migration', until: '2026-10-21T00:00:00.000Z' }]);
    expect(configSnoozes(config)).toEqual([{ id: 'config-1', subject: 'etl', detector: 'run-failed', owner: 'alice', reason: 'migration', until: '2026-10-21T00:00:00.000Z', status: 'active', origin: 'config' }]);
  });

  it("reads a date alone as the start of that day in a window's start, and as the end of that day in its end (UTC)", () => {
    // Prepare: a one-day window and a two-day one, given by days
    const window = (start: string, end: string) => ({ subjects: ['invoice-export'], owner: 'ops', reason: 'DB failover', start, end });
    // Act
    const config = validateConfig({ maintenance_windows: [window('2026-10-24', '2026-10-24'), window('2026-10-24', '2026-10-25')] }, 'cfg', undefined, { now: NOW });
    // Assess
    const [oneDay, twoDays] = config.maintenance_windows;
    expect([oneDay.start, oneDay.end]).toEqual(['2026-10-24T00:00:00.000Z', '2026-10-25T00:00:00.000Z']);
    expect([twoDays.start, twoDays.end]).toEqual(['2026-10-24T00:00:00.000Z', '2026-10-26T00:00:00.000Z']);
    expect(['2026-10-23T23:59:59Z', '2026-10-24T00:00:00Z', '2026-10-24T01:00:00Z', '2026-10-25T23:59:59Z', '2026-10-26T00:00:00Z'].map((t) => inMaintenanceWindow(twoDays, Date.parse(t)))).toEqual([false, true, true, true, false]);
  });

  it.each([
    ['without an end', { subject: 'etl', owner: 'a', reason: 'r' }, ['snoozes.0.until: a snooze needs an end (until): one that never expires is a bypass, not a pause']],
    ['without an owner or a reason', { subject: 'etl', until: '2026-10-06' }, ['snoozes.0.owner: a snooze needs an owner', 'snoozes.0.reason: a snooze needs a reason']],
    ['too far ahead (over max_snooze_days)', { subject: 'etl', owner: 'a', reason: 'r', until: '2026-11-30T00:00:00Z' }, [expect.stringMatching(/^snoozes\.0\.until: ends 56 days from now; a snooze may last at most 30 days \(defaults\.max_snooze_days\)/)]],
    ['for an unknown detector', { subject: 'etl', detector: 'run-failure', owner: 'a', reason: 'r', until: '2026-10-06' }, ['snoozes.0.detector: not a detector id (see the detector table)']],
    ['with an end that is no time', { subject: 'etl', owner: 'a', reason: 'r', until: 'next week' }, ['snoozes.0.until: expected a time (ISO-8601) or a date (YYYY-MM-DD)']],
  ])('refuses a snooze %s', (_, entry, problems) => {
    expect(problemsOf({ snoozes: [entry] })).toEqual(problems);
  });

  it('refuses a snooze id longer than an identifier may be (256 characters), naming the key path', () => {
    // Prepare
    const entry = (id: string) => ({ id, subject: 'etl', owner: 'a', reason: 'r', until: '2026-10-06' });
    // Act
    const problems = problemsOf({ snoozes: [entry('S'.repeat(256)), entry('S'.repeat(1100))] });
    // Assess
    expect(problems).toEqual(["snoozes.1.id: at most 256 characters and 400 bytes of UTF-8, as a log line's identifiers; this one has 1100 characters (1100 bytes)"]);
  });

  it('follows defaults.max_snooze_days and refuses more than 90', () => {
    expect(problemsOf({ defaults: { max_snooze_days: 60 }, snoozes: [{ subject: 'etl', owner: 'a', reason: 'r', until: '2026-11-30T00:00:00Z' }] })).toEqual([]);
    expect(problemsOf({ defaults: { max_snooze_days: 120 } })).toEqual(['defaults.max_snooze_days: expected at most 90: a longer pause is a bypass']);
  });

  it.each([
    ['a one-off window without an end', { subjects: ['etl'], owner: 'a', reason: 'r', start: '2026-10-10T02:00:00Z' }, ['maintenance_windows.0.end: a one-off window needs an end: one that never ends is a bypass, not maintenance']],
    ['a one-off window ending before it starts', { subjects: ['etl'], owner: 'a', reason: 'r', start: '2026-10-10T02:00:00Z', end: '2026-10-10T01:00:00Z' }, ['maintenance_windows.0.end: expected an end after the start']],
    ['a one-off window longer than max_snooze_days', { subjects: ['etl'], owner: 'a', reason: 'r', start: '2026-10-10', end: '2026-12-10' }, ['maintenance_windows.0.end: the window lasts 62 days; at most 30 (defaults.max_snooze_days)']],
    ['a recurring window without until', { subjects: ['etl'], owner: 'a', reason: 'r', cron: '0 2 * * 0', duration_minutes: 120 }, ['maintenance_windows.0.until: a recurring window needs an end (until): one that never ends is a bypass, not maintenance']],
    ['a recurring window until more than a year ahead', { subjects: ['etl'], owner: 'a', reason: 'r', cron: '0 2 * * 0', duration_minutes: 120, until: '2028-01-01' }, ['maintenance_windows.0.until: more than 366 days ahead; a recurring window must be reviewed at least once a year']],
    ['a window without subjects', { subjects: [], owner: 'a', reason: 'r', start: '2026-10-10', end: '2026-10-11' }, ['maintenance_windows.0.subjects: name the subjects the window covers']],
  ])('refuses %s', (_, entry, problems) => {
    expect(problemsOf({ maintenance_windows: [entry] })).toEqual(problems);
  });

  it('names the line of a bad snooze in a YAML file', () => {
    // Prepare
    const text = ['snoozes:', '  - subject: etl', '    owner: alice', '    reason: migration', 'defaults:', '  alert_storm_cap: 0'].join('\n');
    // Act and Assess
    expect(() => parseConfigText(text, 'prod.yaml')).toThrow(/snoozes\.0\.until: a snooze needs an end .* \(line 2\)[\s\S]*defaults\.alert_storm_cap: expected a number above 0 \(line 6\)/);
  });
});

describe('snoozes and maintenance windows at work', () => {
  it.each([
    ['an active snooze of the subject', [snooze()], finding(), 'SZ-1'],
    ['a snooze of its detector', [snooze({ detector: 'run-failed' })], finding(), 'SZ-1'],
    ['not a snooze of another detector', [snooze({ detector: 'output-shrink' })], finding(), undefined],
    ['not a snooze of another subject', [snooze({ subject: 'backup' })], finding(), undefined],
    ['not an expired snooze', [snooze({ until: '2026-10-05T11:59:59.000Z' })], finding(), undefined],
    ['not an ended snooze', [snooze({ status: 'ended' })], finding(), undefined],
    ['a snooze of a route written as its lines logged it (its template names the route)', [snooze({ subject: 'GET /users/123' })], finding({ detector: 'retry-rate', subject: 'GET /users/{id}', subject_kind: 'route' }), 'SZ-1'],
    ['not a snooze of a job path read as a route template', [snooze({ subject: '/opt/jobs/2024/run.sh' })], finding({ subject: '/opt/jobs/{id}/run.sh' }), undefined],
  ] as Array<[string, Snooze[], Finding, string | undefined]>)('holds a finding under %s', (_, snoozes, f, id) => {
    expect(suppressionFor(f, NOW, snoozes, [])?.id).toBe(id);
  });

  it('judges expiry at the moment of the decision', () => {
    const s = snooze({ until: '2026-10-05T13:00:00.000Z' });
    expect([NOW, NOW + 3_599_999, NOW + 3_600_000].map((t) => snoozeStanding(s, t))).toEqual(['active', 'active', 'expired']);
    expect([NOW, NOW + 3_600_000].map((t) => suppressionFor(finding(), t, [s], [])?.kind)).toEqual(['snoozed', undefined]);
  });

  it('holds findings whose time falls in a one-off or recurring maintenance window (in its time zone)', () => {
    // Prepare: Sundays 02:00–04:00 Berlin time (CEST in October: 00:00–02:00Z), and one night in October.
    const config = validateConfig(
      {
        maintenance_windows: [
          { name: 'sunday-patching', subjects: ['etl'], owner: 'ops', reason: 'OS patching', cron: '0 2 * * 0', timezone: 'Europe/Berlin', duration_minutes: 120, until: '2026-12-31' },
          { subjects: ['backup'], detectors: ['missed-run'], owner: 'dba', reason: 'storage move', start: '2026-10-07T22:00:00Z', end: '2026-10-08T04:00:00Z' },
        ],
      },
      'cfg',
      undefined,
      { now: NOW },
    );
    const [weekly, once] = config.maintenance_windows;
    // Act and Assess: 2026-10-11 is a Sunday.
    expect(['2026-10-11T00:00:00Z', '2026-10-11T01:59:59Z', '2026-10-11T02:00:00Z', '2026-10-10T00:30:00Z'].map((t) => inMaintenanceWindow(weekly, Date.parse(t)))).toEqual([true, true, false, false]);
    expect(inMaintenanceWindow(weekly, Date.parse('2027-01-03T00:30:00Z'))).toBe(false);
    expect(['2026-10-07T21:59:59Z', '2026-10-07T22:00:00Z', '2026-10-08T03:59:59Z', '2026-10-08T04:00:00Z'].map((t) => inMaintenanceWindow(once, Date.parse(t)))).toEqual([false, true, true, false]);
    expect(suppressionFor(finding({ ts: '2026-10-11T00:30:00Z' }), NOW, [], config.maintenance_windows)).toEqual({ kind: 'maintenance', id: 'sunday-patching', owner: 'ops', reason: 'OS patching', until: '2027-01-01T00:00:00.000Z' });
    expect(suppressionFor(finding({ subject: 'backup', detector: 'missed-run', ts: '2026-10-08T02:00:00Z' }), NOW, [], config.maintenance_windows)?.id).toBe('maintenance-2');
    expect(suppressionFor(finding({ subject: 'backup', detector: 'run-failed', ts: '2026-10-08T02:00:00Z' }), NOW, [], config.maintenance_windows)).toBeUndefined();
  });

  it('holds a route finding in a maintenance window naming the route as its lines logged it', () => {
    // Prepare: the window names a concrete path; the route's findings name its template.
    const window = { subjects: ['https://api.example.com/users/123/'], owner: 'api', reason: 'upstream migration', start: '2026-10-07T22:00:00Z', end: '2026-10-08T04:00:00Z' };
    const config = validateConfig({ maintenance_windows: [window] }, 'cfg', undefined, { now: NOW });
    const onRoute = finding({ detector: 'retry-latency', subject: 'api.example.com/users/{id}', subject_kind: 'route', ts: '2026-10-08T02:00:00Z' });
    // Act and Assess
    expect(suppressionFor(onRoute, NOW, [], config.maintenance_windows)?.id).toBe('maintenance-1');
  });

  it("reads a recurring window's day fields as cron does: '*/2' in day of month with weekdays is the odd-numbered weekdays", () => {
    // Prepare: 02:00–03:00 UTC on odd-numbered weekdays
    const config = validateConfig(
      { maintenance_windows: [{ subjects: ['etl'], owner: 'ops', reason: 'patching', cron: '0 2 */2 * 1-5', duration_minutes: 60, until: '2026-12-31' }] },
      'cfg',
      undefined,
      { now: NOW },
    );
    const [window] = config.maintenance_windows;
    // Act: 2026-10-07 is an odd-numbered Wednesday, 10-06 an even-numbered Tuesday, 10-03 an odd-numbered Saturday
    const inside = ['2026-10-07T02:30:00Z', '2026-10-06T02:30:00Z', '2026-10-03T02:30:00Z'].map((t) => inMaintenanceWindow(window, Date.parse(t)));
    // Assess
    expect(inside).toEqual([true, false, false]);
  });

  it.each([
    ['12h', NOW + 12 * 3_600_000],
    ['+3d', NOW + 3 * DAY],
    ['2w', NOW + 14 * DAY],
    ['2026-10-07', Date.parse('2026-10-08T00:00:00Z')],
    ['2026-10-07T06:00', Date.parse('2026-10-07T06:00:00Z')],
    ['2026-10-07T08:00:00+02:00', Date.parse('2026-10-07T06:00:00Z')],
    ['2028-02-29', Date.parse('2028-03-01T00:00:00Z')],
  ])('reads --until %s', (value, at) => {
    expect(parseUntil(value, NOW)).toBe(at);
  });

  it.each([
    ['2026-02-31', 'there is no 2026-02-31: February 2026 has 28 days'],
    ['2026-02-29', 'there is no 2026-02-29: February 2026 has 28 days'],
    ['2026-04-31T06:00:00Z', 'there is no 2026-04-31: April 2026 has 30 days'],
    ['2026-11-00', 'there is no 2026-11-00: November 2026 has 30 days'],
    ['2026-13-01', 'there is no month 13 (in 2026-13-01)'],
  ])('refuses --until %s, a day the calendar does not have, instead of rolling it over', (value, reason) => {
    // Act
    const read = () => parseUntil(value, NOW);
    // Assess
    expect(read).toThrow(SnoozeRefusedError);
    expect(read).toThrow(`--until ${value}: ${reason}; give a date that exists`);
  });
});

describe('snooze add and end', () => {
  const rules = { now: NOW, maxDays: 30 };
  const LONG_COMMAND = `/opt/etl/run.sh ${'--table customer_partition_0001 '.repeat(10)}`.trim();

  it('adds a checked snooze with who and when, and refuses the same id twice', async () => {
    // Prepare
    const store = new MemorySnoozeStore();
    // Act
    const added = await addSnooze(store, { id: 'SZ-9', subject: ' etl ', detector: 'run-failed', owner: 'alice', reason: 'vendor outage', until: '3d', by: 'bob' }, rules);
    // Assess
    expect(added).toEqual({ id: 'SZ-9', subject: 'etl', detector: 'run-failed', owner: 'alice', reason: 'vendor outage', until: '2026-10-08T12:00:00.000Z', status: 'active', origin: 'cli', created_at: '2026-10-05T12:00:00.000Z', created_by: 'bob' });
    expect(await store.list()).toEqual([added]);
    await expect(addSnooze(store, { id: 'SZ-9', subject: 'etl', owner: 'a', reason: 'r', until: '1d', by: 'b' }, rules)).rejects.toThrow('snooze SZ-9 exists already');
  });

  it('keeps no secret in a snooze’s owner, reasons or actors: added, ended, from the config, or stored before', async () => {
    // Prepare
    const secret = 'hunter2sekrit';
    const config = validateConfig({ snoozes: [{ subject: 'etl', owner: `ops password=${secret}`, reason: `db password=${secret}`, until: '2026-10-07' }] }, 'cfg', undefined, { now: NOW });
    const store = new MemorySnoozeStore();
    const leaky = { by: `ci password=${secret}`, owner: `ops password=${secret}`, reason: `db password=${secret} rotated` };
    // Act
    await addSnooze(store, { id: 'SZ-1', subject: 'nightly', until: '3d', ...leaky }, { ...rules, redact: config.redact });
    const ended = await endSnooze(store, 'SZ-1', { by: leaky.by, reason: leaky.reason }, NOW, config.redact);
    const storedBefore = new MemorySnoozeStore();
    await storedBefore.add({ id: 'SZ-2', subject: 'nightly', until: '2026-10-08T12:00:00.000Z', status: 'active', origin: 'cli', created_at: '2026-10-05T12:00:00.000Z', created_by: leaky.by, owner: leaky.owner, reason: leaky.reason });
    const listed = await allSnoozes(config, storedBefore);
    // Assess
    expect(JSON.stringify([await store.list(), ended, listed])).not.toContain(secret);
    expect(ended.ended_by).toMatch(/^ci password=\S*REDACTED/);
  });

  it.each([
    ['a password', 'mysqldump -uroot -pS3cret appdb', {}, 'S3cret'],
    ['the config’s own redact pattern', 'etl --pin EMP-PIN-4242', { redact: { patterns: [{ name: 'employee-pin', regex: 'EMP-PIN-\\d+' }] } }, 'EMP-PIN-4242'],
    ['over 256 characters', LONG_COMMAND, {}, LONG_COMMAND],
  ])('snoozes a job named by a command with %s as its lines and the config name it, keeping no secret', async (_, command, raw, secret) => {
    // Prepare
    const config = validateConfig({ ...raw, jobs: { [command]: { schedule: '0 2 * * *' } } }, 'cfg', undefined, { now: NOW });
    const [asLogged] = Object.keys(config.jobs);
    const store = new MemorySnoozeStore();
    // Act
    const added = await addSnooze(store, { id: 'SZ-1', subject: command, owner: 'alice', reason: 'migration', until: '3d', by: 'alice' }, { ...rules, redact: config.redact });
    // Assess
    expect(asLogged).not.toBe(command);
    expect(added.subject).toBe(asLogged);
    expect(JSON.stringify(await store.list())).not.toContain(secret);
    expect(suppressionFor(finding({ subject: asLogged }), NOW, await store.list(), [])?.id).toBe('SZ-1');
  });

  it('goes on holding its job after a redact pattern matching the job is added to the config', async () => {
    // Prepare: added under a config without the pattern, so stored with the name in full
    const command = 'sync-tickets --key TCK-0123456789abcdef0123456789abcdef';
    const store = new MemorySnoozeStore();
    await addSnooze(store, { id: 'SZ-1', subject: command, owner: 'alice', reason: 'migration', until: '3d', by: 'alice' }, rules);
    const config = validateConfig({ redact: { patterns: [{ name: 'ticket-token', regex: 'TCK-[0-9a-f]{32}' }] } }, 'cfg', undefined, { now: NOW });
    // Act
    const loaded = await allSnoozes(config, store);
    // Assess: listed and matched as the job's lines now name it
    expect(loaded.map((s) => s.subject)).toEqual(['sync-tickets --key [REDACTED:ticket-token]']);
    expect(suppressionFor(finding({ subject: 'sync-tickets --key [REDACTED:ticket-token]' }), NOW, loaded, [])?.id).toBe('SZ-1');
  });

  it.each([
    [{ subject: 'etl', owner: 'a', reason: 'r' }, /^a snooze needs --until\. A snooze without an end is a bypass, not a pause/],
    [{ subject: 'etl', until: '1d' }, /^a snooze needs --owner, --reason\.$/],
    [{ subject: 'etl', owner: 'a', reason: 'r', until: '31d' }, /^--until 31d: ends 31 days from now; a snooze may last at most 30 days/],
    [{ subject: 'etl', owner: 'a', reason: 'r', until: '2026-10-01' }, /^--until 2026-10-01: lies in the past/],
    [{ subject: 'etl', owner: 'a', reason: 'r', until: 'soon' }, /^--until soon: expected a duration from now/],
    [{ subject: 'etl', detector: 'nope', owner: 'a', reason: 'r', until: '1d' }, /^--detector nope: not a detector id/],
  ])('refuses %o', async (req, message) => {
    await expect(addSnooze(new MemorySnoozeStore(), { id: 'x', by: 'b', ...req }, rules)).rejects.toThrow(message);
    await expect(addSnooze(new MemorySnoozeStore(), { id: 'x', by: 'b', ...req }, rules)).rejects.toBeInstanceOf(SnoozeRefusedError);
  });

  it("refuses an empty id and the id of a config snooze, or one of the config's form, so that no stored snooze hides one of the config's", async () => {
    // Prepare: config-1, and a config snooze named db-move
    const config = validateConfig(
      { snoozes: [{ subject: 'backup', owner: 'o', reason: 'r', until: '2026-10-06' }, { id: 'db-move', subject: 'etl', owner: 'o', reason: 'r', until: '2026-10-06' }] },
      'cfg',
      undefined,
      { now: NOW },
    );
    const store = new MemorySnoozeStore();
    const withConfig = { ...rules, configIds: configSnoozes(config).map((s) => s.id) };
    const add = (id: string) => addSnooze(store, { id, subject: 'loader', owner: 'bob', reason: 'other job', until: '3d', by: 'bob' }, withConfig);
    // Act
    const refusals = await Promise.all(['config-1', 'config-7', 'db-move', '', '  '].map((id) => add(id).then(() => 'added', (e: Error) => `${e.name}: ${e.message}`)));
    const all = await allSnoozes(config, store);
    // Assess
    expect(refusals).toEqual([
      'SnoozeRefusedError: --id config-1: ids config-<n> name the config file\'s snoozes; choose another id, or leave --id out',
      'SnoozeRefusedError: --id config-7: ids config-<n> name the config file\'s snoozes; choose another id, or leave --id out',
      'SnoozeRefusedError: --id db-move: the config file has a snooze with this id; choose another id, or leave --id out',
      'SnoozeRefusedError: --id is empty: give an id, or leave --id out for one made up (SZ-<date>-<random>)',
      'SnoozeRefusedError: --id is empty: give an id, or leave --id out for one made up (SZ-<date>-<random>)',
    ]);
    expect(all.map((s) => [s.id, s.subject, s.origin])).toEqual([
      ['config-1', 'backup', 'config'],
      ['db-move', 'etl', 'config'],
    ]);
  });

  it('refuses an --id the config would refuse: too long for a storage key, or with a space or a slash', async () => {
    // Prepare
    const store = new MemorySnoozeStore();
    const add = (id: string) => addSnooze(store, { id, subject: 'etl', owner: 'bob', reason: 'vendor outage', until: '3d', by: 'bob' }, rules);
    // Act
    const refusals = await Promise.all(['S'.repeat(1100), 'SZ 1', 'team/SZ-1'].map((id) => add(id).then(() => 'added', (e: Error) => `${e.name}: ${e.message}`)));
    const longest = await add(` ${'S'.repeat(256)} `);
    // Assess
    expect(refusals).toEqual([
      "SnoozeRefusedError: --id: a snooze id is at most 256 characters and 400 bytes of UTF-8, as a log line's identifiers; this one has 1100 characters (1100 bytes); choose a shorter one, or leave --id out",
      "SnoozeRefusedError: --id SZ 1: letters, digits, `.`, `_` and `-` only, as a config snooze's id; choose another id, or leave --id out",
      "SnoozeRefusedError: --id team/SZ-1: letters, digits, `.`, `_` and `-` only, as a config snooze's id; choose another id, or leave --id out",
    ]);
    expect((await store.list()).map((s) => s.id)).toEqual([longest.id]);
    expect(longest.id).toBe('S'.repeat(256));
  });

  it("keeps every config snooze in force beside a stored snooze of the same id (one stored before such ids were refused)", async () => {
    // Prepare
    const store = new MemorySnoozeStore([snooze({ id: 'config-1', subject: 'loader' })]);
    const config = validateConfig({ snoozes: [{ subject: 'backup', owner: 'o', reason: 'r', until: '2026-10-06' }] }, 'cfg', undefined, { now: NOW });
    // Act
    const all = await allSnoozes(config, store);
    // Assess
    expect(all.map((s) => [s.id, s.subject, s.origin])).toEqual([
      ['config-1', 'loader', 'cli'],
      ['config-1', 'backup', 'config'],
    ]);
    expect(suppressionFor(finding({ subject: 'backup' }), NOW, all, [])).toMatchObject({ kind: 'snoozed', id: 'config-1' });
  });

  it('refuses to end a snooze that has expired, keeping the end it had', async () => {
    // Prepare: SZ-1 ran until 2026-10-06T00:00Z
    const store = new MemorySnoozeStore([snooze()]);
    const later = Date.parse('2026-10-07T09:00:00Z');
    // Act
    const refusal = await endSnooze(store, 'SZ-1', { by: 'carol', reason: 'fixed' }, later).then(() => 'ended', (e: Error) => `${e.name}: ${e.message}`);
    // Assess
    expect(refusal).toBe('SnoozeRefusedError: snooze SZ-1 expired at 2026-10-06T00:00:00.000Z; nothing to end');
    expect(await store.list()).toEqual([snooze()]);
  });

  it('ends a snooze once, keeping its record, and lists stored snoozes before the config’s', async () => {
    // Prepare
    const store = new MemorySnoozeStore([snooze()]);
    const config = validateConfig({ snoozes: [{ subject: 'backup', owner: 'o', reason: 'r', until: '2026-10-06' }] }, 'cfg', undefined, { now: NOW });
    // Act: the id as typed, with spaces around it
    const ended = await endSnooze(store, ' SZ-1 ', { by: 'carol', reason: 'fixed' }, NOW);
    // Assess
    expect(ended).toMatchObject({ id: 'SZ-1', status: 'ended', ended_by: 'carol', end_reason: 'fixed', ended_at: '2026-10-05T12:00:00.000Z' });
    await expect(endSnooze(store, 'SZ-1', { by: 'carol' }, NOW)).rejects.toThrow(/was ended already/);
    await expect(endSnooze(store, 'config-1', { by: 'carol' }, NOW)).rejects.toThrow(/no stored snooze config-1 \(a snooze from the config file ends when it is removed from the file\)/);
    expect((await allSnoozes(config, store)).map((s) => [s.id, s.status, s.origin])).toEqual([
      ['SZ-1', 'ended', 'cli'],
      ['config-1', 'active', 'config'],
    ]);
  });
});
