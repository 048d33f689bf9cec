import { describe, expect, it } from 'vitest';
import { parseLine, type ParseOutcome } from '../../lambdas/core/parse/index.ts';
import { contextFor, eventsOf, fixtureLines, parseFile, summary } from './helpers.ts';

const NOW = Date.parse('2026-11-26T00:00:00Z');

/** Parses every line, failing the test on a throw; a parser that threw inside parseLine is also a failure. */
function parseNoThrow(origin: string, lines: readonly string[], extra = {}): ParseOutcome[] {
  const outcomes = parseFile(origin, lines, extra);
  for (const o of outcomes) expect(o.kind === 'rejected' ? o.reason : '').not.toMatch(/parser failed/);
  return outcomes;
}

/** A small deterministic generator (mulberry32), so that the random lines are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('bad input is counted, never thrown', () => {
  it('rejects an instrumented line whose identifier is too long for a storage key, naming the field and the bound', () => {
    // Prepare
    const lines = [
      JSON.stringify({ type: 'run.end', ts: '2026-10-03T02:31:07Z', job: 'other', run_id: 'x'.repeat(1000), exit_code: 0 }),
      JSON.stringify({ type: 'guard.bypass', ts: '2026-10-03T02:31:07Z', guard: 'pii', exception_id: '€'.repeat(200) }),
      JSON.stringify({ type: 'run.start', ts: '2026-10-03T02:31:07Z', job: 'j'.repeat(256), run_id: 'r1' }),
    ];

    // Act
    const outcomes = parseNoThrow('long-ids.log', lines, { now: NOW });

    // Assess
    expect(outcomes.map(summary)).toEqual([
      'rejected: run.end event rejected: run_id: must be at most 256 characters (identifiers become storage keys)',
      'rejected: guard.bypass event rejected: exception_id: must be at most 400 bytes of UTF-8 (identifiers become storage keys)',
      `run.start ${'j'.repeat(256)} r1 @2026-10-03T02:31:07.000Z`,
    ]);
  });

  it('rejects a run line whose host is longer than an identifier may be, as a long identifier is: a job keeps its hosts in its state', () => {
    // Prepare: a host of 100,000 characters (a line far under the 256 KiB limit), one of 257, and one of 256
    const lines = [
      JSON.stringify({ type: 'run.start', ts: '2026-10-03T02:31:07Z', job: 'backup', run_id: 'r1', host: 'h'.repeat(100_000) }),
      JSON.stringify({ type: 'run.end', ts: '2026-10-03T02:32:07Z', job: 'backup', run_id: 'r1', exit_code: 0, host: 'h'.repeat(257) }),
      JSON.stringify({ type: 'run.end', ts: '2026-10-03T02:32:07Z', job: 'backup', run_id: 'r2', exit_code: 0, host: '€'.repeat(134) }),
      JSON.stringify({ type: 'run.start', ts: '2026-10-03T02:31:07Z', job: 'backup', run_id: 'r3', host: 'h'.repeat(256) }),
    ];

    // Act
    const outcomes = parseNoThrow('long-host.log', lines, { now: NOW });

    // Assess
    expect(outcomes.map(summary)).toEqual([
      'rejected: run.start event rejected: host: must be at most 256 characters (identifiers become storage keys)',
      'rejected: run.end event rejected: host: must be at most 256 characters (identifiers become storage keys)',
      'rejected: run.end event rejected: host: must be at most 400 bytes of UTF-8 (identifiers become storage keys)',
      'run.start backup r3 @2026-10-03T02:31:07.000Z',
    ]);
    const kept = outcomes[3];
    expect(kept.kind === 'events' ? (kept.events[0].body as { host?: string }).host : undefined).toBe('h'.repeat(256));
  });

  it('rejects a JSON array of events (a logger that batches) as an array, not as invalid JSON: one event object per line', () => {
    // Prepare: a valid JSON array holding one event, one holding two, and the event alone
    const event = { type: 'agent.start', ts: '2026-11-05T14:00:00Z', agent: 'a', run_id: 'r1' };
    const lines = [JSON.stringify([event]), `  ${JSON.stringify([event, { ...event, run_id: 'r2' }])}`, JSON.stringify(event)];

    // Act
    const outcomes = parseNoThrow('array.log', lines, { now: NOW });

    // Assess
    expect(outcomes.map(summary)).toEqual([
      'rejected: agent.start event rejected: a JSON array of 1 item, not one JSON object: log one event object per line',
      'rejected: agent.start event rejected: a JSON array of 2 items, not one JSON object: log one event object per line',
      'agent.start @2026-11-05T14:00:00.000Z',
    ]);
  });

  it('rejects half-lines of our formats with a reason, or leaves them unrecognised', () => {
    // Prepare
    const lines = fixtureLines('bad/half-lines.log');
    // Act
    const outcomes = parseNoThrow('half-lines.log', lines, { now: NOW, defaultJob: 'etl-loader' });
    // Assess
    expect(outcomes.map(summary)).toEqual([
      'rejected: cron script line "ALERT exited abnormally with [" has no exit code in [N] (cut short?)',
      'unrecognised',
      'rejected: cron CMD line without the closing parenthesis of its command (cut short?)',
      'rejected: systemd process-exit line without code= and status= (cut short?): "backup.service: Main process exited, code=exi"',
      'rejected: systemd result line without its result (cut short?): "backup.service: Failed with res"',
      'unrecognised',
      expect.stringMatching(/^rejected: Lambda REPORT line without a Duration \(cut short\?\)/),
      expect.stringMatching(/^rejected: Lambda platform record is not valid JSON/),
    ]);
  });

  it('rejects cron lines with dates that are not dates, naming the date', () => {
    const outcomes = parseNoThrow('cron-bad-date.log', fixtureLines('bad/cron-bad-date.log'), { year: 2025 });
    expect(outcomes.map(summary)).toEqual([
      'rejected: cron line with an unparseable date "Foo 99 99:99:99"',
      'rejected: cron line with an unparseable date "Feb 29 02:30:01"',
      'rejected: cron line with an unparseable date "Oct 32 02:30:01"',
      'rejected: logrotate cron script line with an unparseable date "Oct  5 25:30:01"',
      'rejected: cron line with an unparseable date "2026-13-05T02:30:01.204113+02:00"',
      'rejected: systemd line with an unparseable date "Oct  5 25:30:01"',
      'unrecognised',
    ]);
  });

  it.each([
    ['latin1', 'latin1'],
    ['UTF-8 (invalid sequences become U+FFFD)', 'utf8'],
  ] as const)('reads binary garbage decoded as %s, and still finds the one real line inside it', (_, encoding) => {
    // Prepare
    const lines = fixtureLines('bad/garbage.bin', encoding);
    // Act
    const outcomes = parseNoThrow('garbage.bin', lines, { now: NOW });
    // Assess
    const counts = { events: 0, rejected: 0, unrecognised: 0 };
    for (const o of outcomes) counts[o.kind]++;
    expect(counts.events + counts.rejected + counts.unrecognised).toBe(lines.length);
    expect(eventsOf(outcomes).map((e) => e.body)).toEqual([
      { type: 'run.start', job: '/usr/local/bin/backup.sh', run_id: 'web1:20827:2026-10-05T02:30:01.000Z', host: 'web1', user: 'root', pid: 20827 },
    ]);
    expect(lines.some((l) => l.includes('\u0000'))).toBe(true);
  });

  it('survives every prefix of every real line of every format (a line cut at any point)', () => {
    // Prepare
    const samples = [
      ...fixtureLines('syslog/cron-debian.log'),
      ...fixtureLines('syslog/systemd-failures.log'),
      ...fixtureLines('syslog/cron-rfc5424.log'),
      ...fixtureLines('journal/backup-oneshot.jsonl').slice(0, 3),
      ...fixtureLines('lambda/etl-loader.log'),
      '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2916]: (root) CMD (run-parts /etc/cron.hourly)',
    ];
    const cuts = samples.flatMap((line) => Array.from({ length: line.length }, (_, i) => line.slice(0, i)));
    // Act
    const outcomes = parseNoThrow('cuts', cuts, { now: NOW, defaultJob: 'etl-loader' });
    // Assess
    expect(outcomes).toHaveLength(cuts.length);
    expect(outcomes.every((o) => ['events', 'rejected', 'unrecognised'].includes(o.kind))).toBe(true);
  });

  it('survives random bytes and random mixes of the characters our formats are made of', () => {
    // Prepare
    const next = random(1131566461);
    const alphabet = ' \t[]():{}"\'/\\.-_@#=,0123456789ACDEFGIJLMNOPRSTUXYZabcdefghilmnoprstuvxyz\u0000\u00ff\ufffd\u2028';
    const words = ['CRON[1]:', '(root)', 'CMD', '(', ')', 'systemd[1]:', 'x.service:', 'Started', 'Finished', 'REPORT', 'RequestId:', 'Duration:', 'ms', '{"__REALTIME_TIMESTAMP":', '"MESSAGE":', '"type":"platform.report"', 'Oct', ' 5', '02:30:01', '2026-10-05T13:00:00Z', 'ALERT exited abnormally with [', ']'];
    const lines = Array.from({ length: 3000 }, (_, i) => {
      const n = Math.floor(next() * 120);
      if (i % 3 === 0) return Array.from({ length: n }, () => String.fromCharCode(Math.floor(next() * 256))).join('');
      if (i % 3 === 1) return Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      return Array.from({ length: Math.ceil(n / 8) }, () => words[Math.floor(next() * words.length)]).join(next() < 0.7 ? ' ' : '');
    });
    // Act
    const outcomes = parseNoThrow('random', lines, { now: NOW, defaultJob: 'fuzz' });
    // Assess
    expect(outcomes).toHaveLength(lines.length);
  });

  it.each([
    ['syslog cron', 'Oct  3 06:00:01 host1 CRON[123]: (root) CMD (/usr/local/bin/backup.sh)'],
    ['syslog systemd', 'Oct  3 06:00:01 host1 systemd[1]: backup.service: Main process exited, code=exited, status=1/FAILURE'],
    ['journal JSON', fixtureLines('journal/backup-oneshot.jsonl')[2]],
    ['Lambda platform', 'START RequestId: 11111111-1111-1111-1111-111111111111 Version: $LATEST', Date.parse('2026-10-05T13:00:00Z')],
    ['aws logs tail', '2026-10-05T13:00:00.123000+00:00 2026/10/05/[$LATEST]ab12 START RequestId: 11111111-1111-1111-1111-111111111111 Version: $LATEST'],
    ['instrumented JSON, CRLF', '{"type":"run.start","job":"a","run_id":"r1","ts":"2026-10-03T06:00:00Z"}\r'],
  ])('reads a %s line after a UTF-8 byte order mark (a file saved by Notepad, or one of `cat a.log b.log`) as without it', (_, line, recordTime?: number) => {
    // Prepare
    const ctx = contextFor('bom.log', 1, { year: 2026, now: NOW, defaultJob: 'etl-loader', recordTime });
    const plain = parseLine(line, ctx);

    // Act
    const withBom = parseLine(`\uFEFF${line}`, ctx);

    // Assess
    expect(plain.kind).toBe('events');
    expect(summary(withBom)).toBe(summary(plain));
  });

  it('counts an empty or whitespace-only line as unrecognised', () => {
    for (const line of ['', '   ', '\t', '\r']) expect(parseLine(line, contextFor('x', 1))).toEqual({ kind: 'unrecognised' });
  });
});
