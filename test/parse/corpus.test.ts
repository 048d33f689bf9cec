import { describe, expect, it } from 'vitest';
import type { RunEnd, RunStart } from '../../lambdas/core/events.ts';
import type { ParseOutcome } from '../../lambdas/core/parse/index.ts';
import { corpusLines, eventsOf, parseFile } from './helpers.ts';

/** The shared loghub samples (shared/corpus/README.md), read as they are. */

function tally(outcomes: readonly ParseOutcome[]) {
  const counts = { events: 0, rejected: 0, unrecognised: 0 };
  for (const o of outcomes) counts[o.kind]++;
  return counts;
}

function* days(fromIso: string, toIso: string): Generator<string> {
  for (let t = Date.parse(fromIso); t <= Date.parse(toIso); t += 86_400_000) yield new Date(t).toISOString().slice(0, 10);
}

describe('loghub Linux: /var/log/messages of one server, 2005', () => {
  // Prepare
  const lines = corpusLines('loghub-linux-2k.log');
  // Act
  const outcomes = parseFile('loghub-linux-2k.log', lines, { year: 2005 });
  const events = eventsOf(outcomes);

  it('accounts for every one of its 2000 lines', () => {
    const counts = tally(outcomes);
    expect(lines).toHaveLength(2000);
    expect(counts.events + counts.rejected + counts.unrecognised).toBe(2000);
    expect(counts).toEqual({ events: 43, rejected: 0, unrecognised: 1957 });
  });

  it('finds the daily logrotate failure: 43 runs ending with exit code 1, one a day from June 15 to July 27', () => {
    const ends = events.filter((e): e is typeof e & { body: RunEnd } => e.body.type === 'run.end' && e.body.job === 'logrotate');
    expect(ends).toHaveLength(43);
    expect(events).toHaveLength(43);
    expect(ends.every((e) => e.body.exit_code === 1 && e.body.host === 'combo' && e.format === 'cron')).toBe(true);
    const dates = ends.map((e) => new Date(e.at).toISOString().slice(0, 10));
    expect(new Set(dates).size).toBe(43);
    expect(dates).toEqual([...days('2005-06-15', '2005-07-27')]);
    expect(ends[0].body.run_id).toBe('combo:logrotate:2005-06-15T04:06:20.000Z');
    expect(ends.at(-1)?.body.run_id).toBe('combo:logrotate:2005-07-27T04:16:09.000Z');
    expect(new Set(ends.map((e) => e.body.run_id)).size).toBe(43);
  });
});

describe('loghub Thunderbird: a supercomputer syslog with a collector prefix, 2005', () => {
  const lines = corpusLines('loghub-thunderbird-2k.log');
  const outcomes = parseFile('loghub-thunderbird-2k.log', lines);
  const starts = eventsOf(outcomes).filter((e): e is typeof e & { body: RunStart } => e.body.type === 'run.start');

  it('accounts for every one of its 2000 lines', () => {
    const counts = tally(outcomes);
    expect(lines).toHaveLength(2000);
    expect(counts.events + counts.rejected + counts.unrecognised).toBe(2000);
    // 19 cron CMD lines and 43 crond(pam_unix) session lines are cron's; the rest is other programs.
    expect(counts).toEqual({ events: 62, rejected: 0, unrecognised: 1938 });
  });

  it('finds the hourly run-parts runs, one on each of 14 hosts', () => {
    const hourly = starts.filter((e) => e.body.job === 'run-parts /etc/cron.hourly');
    const perHost: Record<string, number> = {};
    for (const e of hourly) perHost[e.body.host ?? '?'] = (perHost[e.body.host ?? '?'] ?? 0) + 1;
    // Counted with:
    //   grep 'CMD (run-parts /etc/cron.hourly)' loghub-thunderbird-2k.log | awk '{print $4}' | sort | uniq -c
    // 14 lines, one per host; the relayed host fields dn228/dn228 and src@eadmin1 name hosts dn228 and eadmin1.
    expect(perHost).toEqual({
      '#8#': 1,
      dn228: 1,
      dn261: 1,
      dn3: 1,
      dn596: 1,
      dn700: 1,
      dn73: 1,
      dn731: 1,
      dn754: 1,
      dn978: 1,
      eadmin1: 1,
      eadmin2: 1,
      en257: 1,
      en74: 1,
    });
    expect(hourly.every((e) => new Date(e.at).toISOString().startsWith('2005-11-09T20:01:0'))).toBe(true);
    expect(hourly[0].body.run_id).toBe('dn228:2916:2005-11-09T20:01:01.000Z');
  });

  it('finds the temperature jobs of the five admin nodes', () => {
    const temps = starts.filter((e) => e.body.job.startsWith('/projects/tbird/temps/get_temps'));
    expect(temps.map((e) => `${e.body.host} ${e.body.job}`)).toEqual([
      'aadmin1 /projects/tbird/temps/get_temps a',
      'badmin1 /projects/tbird/temps/get_temps b',
      'cadmin1 /projects/tbird/temps/get_temps c',
      'dadmin1 /projects/tbird/temps/get_temps d',
      'eadmin1 /projects/tbird/temps/get_temps e',
    ]);
  });
});
