import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import { initialJobState, jobReducer } from '../../lambdas/core/job-reducer.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import type { ReduceContext } from '../../lambdas/core/pipeline.ts';
import { byteLength, wholeOutput } from '../../lambdas/detectors/output-content.ts';
import { makeRun } from './run-fixtures.ts';

describe('byteLength: UTF-8 bytes, as the writer of output_bytes counted them', () => {
  it.each([
    ['ASCII', 'done\n', 5],
    ['two-byte letters', 'Größe', 7],
    ['an emoji (a surrogate pair)', '😀', 4],
    ['a lone surrogate, written as U+FFFD', 'a\uD800b', 5],
    ['nothing', '', 0],
  ])('%s', (_name, text, bytes) => {
    expect(byteLength(text)).toBe(bytes);
    expect(byteLength(text)).toBe(new TextEncoder().encode(text).length);
  });
});

describe('wholeOutput: the head is the whole output when output_bytes fits in it', () => {
  it('counts bytes, not characters: 5 characters of 7 bytes hold an output of 7 bytes, not of 8', () => {
    expect(wholeOutput(makeRun({ output_head: 'Größe', output_tail: undefined, output_bytes: 7 }))).toBe('Größe');
    expect(wholeOutput(makeRun({ output_head: 'Größe', output_tail: undefined, output_bytes: 8 }))).toBeUndefined();
  });
});

describe('wholeOutput: what of the output is known', () => {
  const head = `${'a'.repeat(2047)}\n`;
  const tail = `${'z'.repeat(2047)}\n`;
  it.each([
    ['no size, no tail: the head', { output_head: 'done\n', output_tail: undefined, output_bytes: undefined }, 'done\n'],
    ['no size, a tail equal to the head: the head', { output_head: 'done\n', output_tail: 'done\n', output_bytes: undefined }, 'done\n'],
    ['no size, a tail that ends the head: the head', { output_head: 'start\ndone\n', output_tail: 'done\n', output_bytes: undefined }, 'start\ndone\n'],
    ['no size, a different tail: unknown', { output_head: '\n\n', output_tail: 'uploaded 4000 objects\n', output_bytes: undefined }, undefined],
    ['no size, only a tail: the tail', { output_head: undefined, output_tail: 'done\n', output_bytes: undefined }, 'done\n'],
    ['head and tail exactly cover the size: both, joined', { output_head: head, output_tail: tail, output_bytes: 4096 }, head + tail],
    ['head and tail overlap: joined without the shared bytes', { output_head: head, output_tail: tail, output_bytes: 3000 }, head + tail.slice(2048 - 952)],
    ['the size is above head and tail: unknown', { output_head: head, output_tail: tail, output_bytes: 4097 }, undefined],
  ] as const)('%s', (_name, fields, expected) => {
    // Prepare
    const run = makeRun(fields);
    // Act
    const whole = wholeOutput(run);
    // Assess
    expect(whole).toBe(expected);
  });
});

describe('wholeOutput of a run whose excerpts held a secret: judged as the line gave them, before redaction', () => {
  const ctx: ReduceContext = { config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-10-04T00:00:00Z') } };
  const token = 'a1b2c3d4'.repeat(6);

  /** A run's start and end lines as the job wrote them, parsed (and so redacted) as every line is. */
  function parsedRun(end: Record<string, unknown>): AuditEvent[] {
    const lines = [
      { type: 'run.start', ts: '2026-10-03T02:30:00Z', job: 'export', run_id: 'r1' },
      { type: 'run.end', ts: '2026-10-03T02:31:00Z', job: 'export', run_id: 'r1', exit_code: 0, ...end },
    ];
    return lines.flatMap((line, i) => {
      const outcome = parseLine(JSON.stringify(line), { source: { origin: 'export.log', line: i + 1 } });
      if (outcome.kind !== 'events') throw new Error(`not an event: ${JSON.stringify(line)}`);
      return outcome.events;
    });
  }

  const findingsOf = (events: AuditEvent[], config = ctx) => jobReducer.apply(initialJobState('export'), 'export', events, config).findings.map((f) => [f.detector, f.message]);

  it('an empty result whose head held a token longer than its marker is empty-output', () => {
    // Prepare: the head is the whole output; redacted, it is shorter than output_bytes says
    const head = `{"session_token":"${token}","results":[]}`;
    // Act
    const findings = findingsOf(parsedRun({ output_bytes: byteLength(head), output_head: head }));
    // Assess
    expect(findings).toEqual([['empty-output', 'exited 0 but wrote JSON whose arrays are all empty: {"session_token":"[REDACTED:secret-assignment]","results":[]}']]);
  });

  it('head and tail that hold the whole output are joined before redaction: a pattern across them is found', () => {
    // Prepare: 4096 bytes, head and tail 2048 each; the head starts with a token, the pattern straddles the two
    const output = `token=${token}\n${'.'.repeat(2048 - 55 - 8)}uploaded 1204 objects\n${'.'.repeat(2048 - 15)}\n`;
    const withPattern = { ...ctx, config: validateConfig({ jobs: { export: { expect_pattern: 'uploaded \\d+ objects' } } }) };
    const end = { output_bytes: byteLength(output), output_head: output.slice(0, 2048), output_tail: output.slice(2048) };
    // Act
    const findings = findingsOf(parsedRun(end), withPattern);
    // Assess
    expect(byteLength(output)).toBe(4096);
    expect(end.output_head.endsWith('uploaded')).toBe(true);
    expect(findings).toEqual([]);
  });

  it('a cut head whose secrets markers made longer than output_bytes is not taken for the whole output', () => {
    // Prepare: 3000 bytes, of which the head holds the first 2048: short tokens whose markers are longer
    const head = 'token=ab\n'.repeat(228).slice(0, 2048);
    const withPattern = { ...ctx, config: validateConfig({ jobs: { export: { expect_pattern: 'uploaded \\d+ objects' } } }) };
    // Act
    const findings = findingsOf(parsedRun({ output_bytes: 3000, output_head: head }), withPattern);
    // Assess
    expect(findings).toEqual([['expected-pattern-missing', 'expected pattern /uploaded \\d+ objects/m is not in the head of the output (2.9 KiB)']]);
  });
});
