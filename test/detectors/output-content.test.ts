import { describe, expect, it } from 'vitest';
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
