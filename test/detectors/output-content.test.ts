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
