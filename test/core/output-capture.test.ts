import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OUTPUT_EXCERPT_BYTES, OutputCapture, utf8HeadEnd, utf8Prefix, utf8Suffix, utf8TailStart } from '../../lambdas/core/output-capture.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

function captureOf(chunks: readonly (string | Uint8Array)[], limit?: number, margin?: number): OutputCapture {
  const capture = new OutputCapture(limit, margin);
  for (const c of chunks) capture.write(typeof c === 'string' ? bytes(c) : c);
  return capture;
}

/** Splits `data` at the given cut points (any order, any duplicates). */
function chunked(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(start, p));
    start = p;
  }
  return out;
}

describe('OutputCapture: sizes', () => {
  it.each([
    ['', 0, 0],
    ['\n', 1, 1],
    ['a', 1, 1],
    ['a\n', 2, 1],
    ['a\nb', 3, 2],
    ['a\r\nb\r\n', 6, 2],
    ['\n\n\n', 3, 3],
  ])('%j is %i bytes in %i lines', (text, expectedBytes, expectedLines) => {
    // Act
    const capture = captureOf([text]);
    // Assess
    expect(capture.bytes).toBe(expectedBytes);
    expect(capture.lines).toBe(expectedLines);
  });

  it('counts lines across chunk boundaries, wherever the chunks are cut', () => {
    const text = 'first line\nsecond\n\nfourth without newline';
    for (let cut = 0; cut <= text.length; cut++) {
      const capture = captureOf([text.slice(0, cut), text.slice(cut)]);
      expect(capture.lines).toBe(4);
      expect(capture.bytes).toBe(text.length);
    }
  });

  it('counts an unfinished last line once per stream, whatever order the streams arrived in', () => {
    const stdoutFirst = new OutputCapture();
    stdoutFirst.write(bytes('done'), 'stdout');
    stdoutFirst.write(bytes('took 40 min'), 'stderr');
    const stderrFirst = new OutputCapture();
    stderrFirst.write(bytes('took 40 min'), 'stderr');
    stderrFirst.write(bytes('done'), 'stdout');
    expect([stdoutFirst.lines, stderrFirst.lines]).toEqual([2, 2]);
    stderrFirst.write(bytes('\n'), 'stderr');
    expect(stderrFirst.lines).toBe(2);
  });
});

describe('OutputCapture: head and tail', () => {
  it('keeps a short output whole as both head and tail', () => {
    // Prepare
    const text = 'uploaded 1204 objects\nok\n';
    // Act
    const summary = captureOf(['uploaded 1204 ', 'objects\n', 'ok\n']).summary();
    // Assess
    expect(summary).toEqual({ output_bytes: 25, output_lines: 2, output_head: text, output_tail: text });
  });

  it('keeps exactly 2 KiB each of a 10 MiB output, holding only its two 2 KiB buffers', () => {
    // Prepare: 10 MiB of numbered lines, written in 64 KiB chunks as a pipe delivers them
    const line = (i: number) => `line ${String(i).padStart(8, '0')} ${'x'.repeat(49)}\n`; // 64 bytes
    const lineCount = (10 * 1024 * 1024) / 64;
    const capture = new OutputCapture();
    const perChunk = 1024;
    // Act
    for (let first = 0; first < lineCount; first += perChunk) {
      let chunk = '';
      for (let i = first; i < first + perChunk; i++) chunk += line(i);
      capture.write(bytes(chunk));
      expect(capture.retainedBytes).toBeLessThanOrEqual(4096);
    }
    // Assess
    let head = '';
    for (let i = 0; i < 32; i++) head += line(i);
    let tail = '';
    for (let i = lineCount - 32; i < lineCount; i++) tail += line(i);
    expect(capture.summary()).toEqual({ output_bytes: 10 * 1024 * 1024, output_lines: lineCount, output_head: head, output_tail: tail });
    expect(capture.retainedBytes).toBe(2 * OUTPUT_EXCERPT_BYTES);
  });

  it('does not split a UTF-8 character at the head or tail cut', () => {
    // Prepare: 'x' + 1000 four-byte emoji + 'yz' = 4003 bytes; the head cut (2048) and the tail cut (4003 − 2048) both fall inside an emoji
    const text = `x${'😀'.repeat(1000)}yz`;
    // Act
    const capture = captureOf([text]);
    // Assess
    expect(capture.head()).toBe(`x${'😀'.repeat(511)}`);
    expect(capture.tail()).toBe(`${'😀'.repeat(511)}yz`);
    expect(capture.head()).not.toContain('\uFFFD');
    expect(capture.tail()).not.toContain('\uFFFD');
  });

  it('cuts two- and three-byte characters cleanly too', () => {
    const two = captureOf([`a${'é'.repeat(9)}`], 8); // 19 bytes: a é é é | é…
    expect(two.head()).toBe('aééé');
    expect(two.tail()).toBe('éééé');
    const three = captureOf([`ab${'€'.repeat(5)}`], 8); // 17 bytes
    expect(three.head()).toBe('ab€€');
    expect(three.tail()).toBe('€€');
  });

  it('shows bytes that were never UTF-8 as U+FFFD and keeps a byte-order mark', () => {
    const capture = captureOf([new Uint8Array([0xef, 0xbb, 0xbf, 0x41, 0xff, 0x42])]);
    expect(capture.head()).toBe('\uFEFFA\uFFFDB');
    expect(capture.bytes).toBe(6);
  });

  it('for any text and any chunking, the head is a prefix and the tail a suffix, each within the limit and as long as the cut allows', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.array(fc.nat(2000), { maxLength: 12 }), fc.integer({ min: 4, max: 64 }), (text, cuts, limit) => {
        const data = bytes(text);
        const capture = captureOf(chunked(data, cuts), limit);
        const head = capture.head();
        const tail = capture.tail();
        expect(text.startsWith(head)).toBe(true);
        expect(text.endsWith(tail)).toBe(true);
        expect(bytes(head).length).toBeLessThanOrEqual(limit);
        expect(bytes(tail).length).toBeLessThanOrEqual(limit);
        expect(bytes(head).length).toBeGreaterThanOrEqual(Math.min(data.length, limit - 3));
        expect(bytes(tail).length).toBeGreaterThanOrEqual(Math.min(data.length, limit - 3));
        expect(capture.bytes).toBe(data.length);
        expect(capture.retainedBytes).toBe(2 * limit);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps head and tail within 2 KiB of UTF-8 when bytes that are not UTF-8 become U+FFFD (3 bytes each)', () => {
    // Prepare: a long output of bytes that are not UTF-8 between ASCII, and a short one
    const invalid = new Uint8Array(10_000).map((_, i) => (i % 10 === 0 ? 0x41 : 0xff));
    const short = new Uint8Array(1_000).fill(0xfe);
    // Act
    const long = captureOf([invalid]);
    const brief = captureOf([short]);
    // Assess
    for (const text of [long.head(), long.tail(), brief.head(), brief.tail()]) {
      expect(bytes(text).length).toBeLessThanOrEqual(OUTPUT_EXCERPT_BYTES);
      expect(bytes(text).length).toBeGreaterThan(OUTPUT_EXCERPT_BYTES - 3);
    }
    expect(long.head().startsWith('A\uFFFD')).toBe(true);
    expect(long.tail().endsWith('\uFFFD')).toBe(true);
  });

  it('for any bytes and any chunking, head and tail are within the limit in UTF-8', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(400), { maxLength: 8 }), fc.integer({ min: 4, max: 64 }), (data, cuts, limit) => {
        const capture = captureOf(chunked(data, cuts), limit);
        expect(bytes(capture.head()).length).toBeLessThanOrEqual(limit);
        expect(bytes(capture.tail()).length).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a limit too small to hold a character', () => {
    expect(() => new OutputCapture(3)).toThrow(/limit/);
  });
});

describe('OutputCapture: margins', () => {
  it('keeps a margin after the head and before the tail, leaving head and tail as they were', () => {
    // Prepare: 5,000 numbered bytes (digits), in chunks of 333
    const text = Array.from({ length: 5000 }, (_, i) => String(i % 10)).join('');
    // Act
    const capture = captureOf(chunked(bytes(text), Array.from({ length: 15 }, (_, i) => (i + 1) * 333)), 2048, 512);
    // Assess
    expect(capture.head()).toBe(text.slice(0, 2048));
    expect(capture.tail()).toBe(text.slice(-2048));
    expect(capture.headAndMargin()).toBe(text.slice(0, 2560));
    expect(capture.tailAndMargin()).toBe(text.slice(-2560));
    expect(capture.cutsMargins).toBe(true);
    expect(capture.retainedBytes).toBe(2 * 2560);
  });

  it('for any text, chunking, limit and margin: head, tail and whole as without a margin; with it, a prefix and a suffix as long as the cut allows', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 120 }),
        fc.array(fc.nat(600), { maxLength: 12 }),
        fc.integer({ min: 4, max: 32 }),
        fc.integer({ min: 0, max: 40 }),
        (text, cuts, limit, margin) => {
          // Prepare
          const data = bytes(text);
          const plain = captureOf(chunked(data, cuts), limit);
          // Act
          const capture = captureOf(chunked(data, cuts), limit, margin);
          // Assess
          expect([capture.head(), capture.tail(), capture.whole()]).toEqual([plain.head(), plain.tail(), plain.whole()]);
          const head = capture.headAndMargin();
          const tail = capture.tailAndMargin();
          expect(text.startsWith(head) && text.endsWith(tail)).toBe(true);
          for (const excerpt of [head, tail]) {
            expect(bytes(excerpt).length).toBeLessThanOrEqual(limit + margin);
            expect(bytes(excerpt).length).toBeGreaterThanOrEqual(Math.min(data.length, limit + margin - 3));
          }
          expect(capture.cutsMargins).toBe(data.length > limit + margin);
          expect(capture.retainedBytes).toBe(2 * (limit + margin));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a margin that is not a whole number of bytes', () => {
    expect(() => new OutputCapture(2048, -1)).toThrow(/margin/);
    expect(() => new OutputCapture(2048, 1.5)).toThrow(/margin/);
  });
});

describe('UTF-8 cut points', () => {
  it.each([
    [[0x61, 0x62], 2],
    [[0x61, 0xc3], 1],
    [[0x61, 0xc3, 0xa9], 3],
    [[0x61, 0xe2, 0x82], 1],
    [[0xf0, 0x9f, 0x98], 0],
    [[0xf0, 0x9f, 0x98, 0x80], 4],
    [[0x80, 0x80, 0x80, 0x80, 0x80], 5],
  ])('a head of %j ends at %i', (input, expected) => {
    expect(utf8HeadEnd(new Uint8Array(input))).toBe(expected);
  });

  it.each([
    [[0x61], 0],
    [[0xa9, 0x61], 1],
    [[0x98, 0x80, 0x61], 2],
    [[0x9f, 0x98, 0x80, 0x61], 3],
    [[0x80, 0x80, 0x80, 0x80, 0x61], 3],
  ])('a tail of %j starts at %i', (input, expected) => {
    expect(utf8TailStart(new Uint8Array(input))).toBe(expected);
  });
});

describe('UTF-8 prefix and suffix of text', () => {
  it.each([
    ['ASCII', 'abcdef', 4, 'abcd', 'cdef'],
    ['two-byte characters', 'aéé', 4, 'aé', 'éé'],
    ['three-byte characters', '€€€', 7, '€€', '€€'],
    ['a surrogate pair is never split', 'a😀b', 4, 'a', 'b'],
    ['a surrogate pair that fits', 'a😀b', 5, 'a😀', '😀b'],
    ['text within the limit', '\uFFFD\uFFFD', 6, '\uFFFD\uFFFD', '\uFFFD\uFFFD'],
  ])('cuts %s at whole characters', (_name, text, limit, prefix, suffix) => {
    // Act / Assess
    expect(utf8Prefix(text, limit)).toBe(prefix);
    expect(utf8Suffix(text, limit)).toBe(suffix);
  });

  it('for any text, is the longest prefix and suffix within the limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 0, max: 80 }), (text, limit) => {
        const prefix = utf8Prefix(text, limit);
        const suffix = utf8Suffix(text, limit);
        expect(text.startsWith(prefix) && text.endsWith(suffix)).toBe(true);
        expect(bytes(prefix).length).toBeLessThanOrEqual(limit);
        expect(bytes(suffix).length).toBeLessThanOrEqual(limit);
        const codePoints = [...text];
        const nextPrefix = codePoints.slice(0, [...prefix].length + 1).join('');
        const nextSuffix = codePoints.slice(codePoints.length - [...suffix].length - 1).join('');
        if (prefix !== text) expect(bytes(nextPrefix).length).toBeGreaterThan(limit);
        if (suffix !== text) expect(bytes(nextSuffix).length).toBeGreaterThan(limit);
      }),
      { numRuns: 300 },
    );
  });
});

describe('OutputCapture: the whole output', () => {
  it('for any text and any chunking, gives the whole output while head and tail hold all of it (twice the limit), and nothing after', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.array(fc.nat(200), { maxLength: 12 }), fc.integer({ min: 4, max: 32 }), (text, cuts, limit) => {
        // Prepare
        const data = bytes(text);
        // Act
        const capture = captureOf(chunked(data, cuts), limit);
        // Assess
        expect(capture.whole()).toBe(data.length <= 2 * limit ? text : undefined);
      }),
      { numRuns: 500 },
    );
  });
});
