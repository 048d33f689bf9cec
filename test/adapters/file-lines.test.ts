import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CorruptInputError, InputError, type Line, openLineSource, UnfinishedLine, UnreadableInputError } from '../../lambdas/adapters/file-lines.ts';
import { MAX_LINE_BYTES } from '../../lambdas/core/parse/line-limit.ts';

async function collect(lines: AsyncIterable<Line>): Promise<Line[]> {
  const out: Line[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

/** A gzip header with FEXTRA, FNAME, FCOMMENT and FHCRC set, for data deflated as gzipSync does. */
function gzipHeaderWithFields(): Buffer {
  const extra = Buffer.from([4, 0, 0x41, 0x42, 0x43, 0x44]);
  const header = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3]), extra, Buffer.from('app.log\0note\0')]);
  const headerCrc = Buffer.alloc(2);
  headerCrc.writeUInt16LE(crc32(header) & 0xffff);
  return Buffer.concat([header, headerCrc]);
}

function tempFile(name: string, content: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sa-lines-')), name);
  writeFileSync(path, content);
  return path;
}

describe('openLineSource', () => {
  it('splits on line feeds only, so a lone carriage return (a progress bar) does not shift the line numbers', async () => {
    // Prepare: the first line redraws a progress meter with carriage returns; the second is an event
    const path = tempFile('cr.log', 'Downloading 10%\r20%\r100%\n{"type":"run.end"}\n');
    // Act
    const lines = await collect(openLineSource(path).lines());
    // Assess
    expect(lines).toEqual(['Downloading 10%\r20%\r100%', '{"type":"run.end"}']);
  });

  it('drops the carriage return of CRLF line ends and keeps a last line without an end', async () => {
    // Prepare
    const path = tempFile('crlf.log', 'one\r\n\r\nthree\r\nfour');
    // Act
    const lines = await collect(openLineSource(path).lines());
    // Assess
    expect(lines).toEqual(['one', '', 'three', 'four']);
  });

  it('keeps lines and characters whole across chunk boundaries, counting every byte', async () => {
    // Prepare: stdin in chunks that split a line, a CRLF pair and a three-byte character
    const bytes = Buffer.from('first €uro line\r\nsecond\n', 'utf8');
    const cuts = [3, 7, 16, 17, bytes.length];
    const chunks = cuts.map((end, i) => bytes.subarray(i === 0 ? 0 : cuts[i - 1], end));
    let counted = 0;
    // Act
    const lines = await collect(openLineSource('-', Readable.from(chunks)).lines((n) => (counted += n)));
    // Assess
    expect(lines).toEqual(['first €uro line', 'second']);
    expect(counted).toBe(bytes.length);
  });

  it('reads a gzipped file the same way', async () => {
    // Prepare
    const path = tempFile('cr.log.gz', gzipSync('a\rb\nc\r\n'));
    // Act
    const lines = await collect(openLineSource(path).lines());
    // Assess
    expect(lines).toEqual(['a\rb', 'c']);
  });

  it('reads gzip on stdin, known by its first bytes, however the pipe chunks them', async () => {
    // Prepare: `gzip -c | silent-audit scan -`, its magic number split across the first two chunks
    const gz = gzipSync('one\ntwo €\n');
    const chunks = [gz.subarray(0, 1), gz.subarray(1, 5), gz.subarray(5)];
    let counted = 0;
    // Act
    const lines = await collect(openLineSource('-', Readable.from(chunks)).lines((n) => (counted += n)));
    // Assess
    expect(lines).toEqual(['one', 'two €']);
    expect(counted).toBe(gz.length);
  });

  it('reads a gzip file saved without its .gz name', async () => {
    // Prepare
    const path = tempFile('app.log.1', gzipSync('a\nb\n'));
    // Act
    const lines = await collect(openLineSource(path).lines());
    // Assess
    expect(lines).toEqual(['a', 'b']);
  });

  it.each([
    ['nothing', '', []],
    ['one byte', 'x', ['x']],
    ["gzip's first byte alone", '\x1f', ['\x1f']],
    ['a line', 'plain\n', ['plain']],
  ])('reads stdin too short to be gzip as text: %s', async (_, text, expected) => {
    // Act
    const lines = await collect(openLineSource('-', Readable.from([Buffer.from(text, 'latin1')])).lines());
    // Assess
    expect(lines).toEqual(expected);
  });

  it('ends gzip on stdin cut short with a CorruptInputError', async () => {
    // Prepare
    const gz = gzipSync('one\ntwo\n');
    // Act
    const reading = collect(openLineSource('-', Readable.from([gz.subarray(0, 12)])).lines());
    // Assess
    await expect(reading).rejects.toThrow(CorruptInputError);
    await expect(reading).rejects.toThrow(/^cannot read gzip input: unexpected end of file/);
  });

  it('ends with an InputError that names the problem when the input cannot be read', async () => {
    // Prepare: a file that is not gzip, named as if it were (the name insists, so a damaged header is reported, not read as text)
    const path = tempFile('plain.log.gz', 'not gzip at all\n');
    // Act
    const reading = collect(openLineSource(path).lines(() => {}));
    // Assess
    await expect(reading).rejects.toThrow(InputError);
    await expect(reading).rejects.toThrow(/^cannot read gzip input: /);
  });

  it('gives every whole line of a truncated gzip file, then a CorruptInputError', async () => {
    // Prepare: 500 lines gzipped, cut short in the middle of the compressed data
    const text = Array.from({ length: 500 }, (_, i) => `line ${i + 1} ${'x'.repeat(i % 37)}`).join('\n');
    const gz = gzipSync(text);
    const path = tempFile('cut.log.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const lines: Line[] = [];
    // Act
    const reading = (async () => {
      for await (const line of openLineSource(path).lines()) lines.push(line);
    })();
    // Assess
    await expect(reading).rejects.toThrow(CorruptInputError);
    await expect(reading).rejects.toThrow(/^cannot read gzip input: unexpected end of file/);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(500);
    expect(lines).toEqual(text.split('\n').slice(0, lines.length));
  });

  it('gives every line of a gzip file with trailing garbage, then one CorruptInputError naming it', async () => {
    // Prepare: 2,000 lines (over 16 KiB: more than one write of the decompressor's output) and a last line with no end, then bytes that are not gzip
    const text = Array.from({ length: 2000 }, (_, i) => `line ${i + 1} ${'x'.repeat(i % 37)}`).join('\n');
    const path = tempFile('garbage.log.gz', Buffer.concat([gzipSync(text), Buffer.from('garbage\n')]));
    const lines: Line[] = [];
    // Act
    const reading = (async () => {
      for await (const line of openLineSource(path).lines()) lines.push(line);
    })();
    // Assess: as zcat reads it ("trailing garbage ignored"), and the garbage is said
    await expect(reading).rejects.toThrow(CorruptInputError);
    await expect(reading).rejects.toThrow('cannot read gzip input: trailing garbage: 8 bytes after the end of the gzip data are not gzip');
    expect(lines).toEqual(text.split('\n'));
  });

  it('keeps every line before trailing garbage on stdin, however the pipe chunks it', async () => {
    // Prepare: a few lines, all decompressed from the chunk that holds the garbage (or one byte at a time)
    const gz = Buffer.concat([gzipSync('one\ntwo\n'), Buffer.from('garbage\n')]);
    for (const size of [gz.length, 5, 1]) {
      const chunks = Array.from({ length: Math.ceil(gz.length / size) }, (_, i) => gz.subarray(i * size, (i + 1) * size));
      const lines: Line[] = [];
      // Act
      const reading = (async () => {
        for await (const line of openLineSource('-', Readable.from(chunks)).lines()) lines.push(line);
      })();
      // Assess
      await expect(reading).rejects.toThrow('cannot read gzip input: trailing garbage: 8 bytes after the end of the gzip data are not gzip');
      expect(lines).toEqual(['one', 'two']);
    }
  });

  it('ends at a second member whose header is damaged, keeping the lines of the first', async () => {
    // Prepare: a gzip magic number after the first member, then a header no gzip writes
    const gz = Buffer.concat([gzipSync('one\ntwo\n'), Buffer.from([0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 3, 0x41])]);
    const lines: Line[] = [];
    // Act
    const reading = (async () => {
      for await (const line of openLineSource(tempFile('bad-member.log.gz', gz)).lines()) lines.push(line);
    })();
    // Assess
    await expect(reading).rejects.toThrow(CorruptInputError);
    await expect(reading).rejects.toThrow('cannot read gzip input: unknown compression method');
    expect(lines).toEqual(['one', 'two']);
  });

  it.each([
    ['concatenated members (cat a.gz b.gz)', Buffer.concat([gzipSync('one\ntwo\n'), gzipSync('three\n')])],
    ['zero padding after the data (a tape block)', Buffer.concat([gzipSync('one\ntwo\nthree\n'), Buffer.alloc(512)])],
    ['a member with a name, a comment and extra fields', Buffer.concat([gzipHeaderWithFields(), gzipSync('one\ntwo\nthree\n').subarray(10)])],
  ])('reads %s whole', async (_, gz) => {
    // Prepare
    const path = tempFile('members.log.gz', gz);
    // Act
    const lines = await collect(openLineSource(path).lines());
    // Assess
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it.each([
    ['stored CRC does not match', (gz: Buffer) => (gz[gz.length - 8] ^= 1), /^cannot read gzip input: incorrect data check$/],
    ['compressed data is overwritten', (gz: Buffer) => gz.fill(0xff, 200, 260), /^cannot read gzip input: invalid /],
  ])('ends a gzip file whose %s with a CorruptInputError', async (_, damage, reason) => {
    // Prepare
    const gz = gzipSync(Array.from({ length: 300 }, (_, i) => `line ${i} ${(i * 7919) % 1000}`).join('\n'));
    damage(gz);
    // Act
    const reading = collect(openLineSource(tempFile('damaged.log.gz', gz)).lines());
    // Assess
    await expect(reading).rejects.toThrow(CorruptInputError);
    await expect(reading).rejects.toThrow(reason);
  });

  it('gives a file removed after it was opened as a source, before its lines are read, as unreadable: no such file', async () => {
    // Prepare: logrotate removes app.log.5 while the scan reads its other inputs
    const path = tempFile('app.log.5', 'one\n');
    const source = openLineSource(path);
    rmSync(path);
    // Act
    const reading = collect(source.lines());
    // Assess
    await expect(reading).rejects.toThrow(UnreadableInputError);
    await expect(reading).rejects.toThrow(/^no such file$/);
  });

  it('keeps a read error of the input itself a plain InputError, not a corrupt file', async () => {
    // Prepare: stdin that fails after its first chunk
    const failing = new Readable({
      read() {
        this.push('one\n');
        this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
      },
    });
    // Act
    const reading = collect(openLineSource('-', failing).lines());
    // Assess
    await expect(reading).rejects.toThrow(InputError);
    await expect(reading).rejects.not.toThrow(CorruptInputError);
  });

  it.each([
    ['text', Buffer.from('one\ntwo €\n')],
    ['gzip, known by its first bytes', gzipSync('one\ntwo €\n')],
  ])('reads a named pipe as a stream, as stdin: %s', async (_, bytes) => {
    // Prepare: a FIFO that a writer fills once the scan opens it (`mkfifo p; zcat x.gz > p &`)
    const fifo = join(mkdtempSync(join(tmpdir(), 'sa-fifo-')), 'app.log');
    execFileSync('mkfifo', [fifo]);
    let counted = 0;
    // Act
    const source = openLineSource(fifo);
    const writing = writeFile(fifo, bytes);
    const lines = await collect(source.lines((n) => (counted += n)));
    await writing;
    // Assess
    expect(lines).toEqual(['one', 'two €']);
    expect(source).toMatchObject({ name: fifo, size: undefined });
    expect(counted).toBe(bytes.length);
  });

  it('gives a line over the size limit as its size alone, then reads the next lines', async () => {
    // Prepare: stdin in 64 KiB chunks with a line of a few MiB (multibyte characters, a CRLF end) between two short ones
    const long = `{"blob":"${'€x'.repeat(1_200_000)}"}`;
    const bytes = Buffer.from(`first\n${long}\r\n{"type":"run.end"}\n`, 'utf8');
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536));
    // Act
    const lines = await collect(openLineSource('-', Readable.from(chunks)).lines());
    // Assess
    expect(lines).toEqual(['first', { overLongBytes: Buffer.byteLength(long, 'utf8') }, '{"type":"run.end"}']);
  });

  it('reads a gzipped line over the size limit the same way, and one that ends the file without a line end', async () => {
    // Prepare
    const long = 'y'.repeat(MAX_LINE_BYTES * 3);
    const path = tempFile('long.log.gz', gzipSync(`${long}\nnext\n${long}\r`));
    // Act
    const lines = await collect(openLineSource(path).lines());
    // Assess
    expect(lines).toEqual([{ overLongBytes: long.length }, 'next', { overLongBytes: long.length }]);
  });

  it('reads a line that is not valid UTF-8 as Windows-1252 (Latin-1), each byte its letter, and valid UTF-8 lines as UTF-8, however the chunks cut them', async () => {
    // Prepare: a Latin-1 line (données, 0xE9), a UTF-8 line (donnèes), a Windows-1252 € (0x80); chunks of 5 bytes
    const bytes = Buffer.concat([
      Buffer.from('CMD (/opt/données.sh)\n', 'latin1'),
      Buffer.from('CMD (/opt/donnèes.sh)\n', 'utf8'),
      Buffer.from([0x80, 0x20, 0x35, 0x0d, 0x0a]),
    ]);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 5) }, (_, i) => bytes.subarray(i * 5, i * 5 + 5));
    let counted = 0;
    // Act
    const lines = await collect(openLineSource('-', Readable.from(chunks)).lines((n) => (counted += n)));
    // Assess: no U+FFFD, the two names apart
    expect(lines).toEqual(['CMD (/opt/données.sh)', 'CMD (/opt/donnèes.sh)', '€ 5']);
    expect(counted).toBe(bytes.length);
  });

  /** What Windows PowerShell 5's `>` writes: UTF-16 little-endian (or, rarer, big-endian) after its byte order mark. */
  const utf16 = (text: string, order: 'le' | 'be') => {
    const le = Buffer.from(`\uFEFF${text}`, 'utf16le');
    return order === 'le' ? le : Buffer.from(le).swap16();
  };

  it.each(['le', 'be'] as const)('reads UTF-16%s with its byte order mark as text, on stdin in chunks that split its characters', async (order) => {
    // Prepare: CRLF line ends, a character beyond the BMP (a surrogate pair) and chunks of 3 bytes
    const bytes = utf16('{"type":"run.end"}\r\nnaïve 🙂\r\n', order);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 3) }, (_, i) => bytes.subarray(i * 3, i * 3 + 3));
    let counted = 0;
    // Act
    const lines = await collect(openLineSource('-', Readable.from(chunks)).lines((n) => (counted += n)));
    // Assess: the mark dropped, every byte counted for progress
    expect(lines).toEqual(['{"type":"run.end"}', 'naïve 🙂']);
    expect(counted).toBe(bytes.length);
  });

  it('reads a gzipped UTF-16 file as text, and keeps the UTF-8 byte order mark for the parsers to drop', async () => {
    // Prepare
    const gz = tempFile('ps.log.gz', gzipSync(utf16('one\r\ntwo\r\n', 'le')));
    const utf8 = tempFile('notepad.log', '\uFEFFone\ntwo\n');
    // Act
    const fromGzip = await collect(openLineSource(gz).lines());
    const fromUtf8 = await collect(openLineSource(utf8).lines());
    // Assess
    expect(fromGzip).toEqual(['one', 'two']);
    expect(fromUtf8).toEqual(['\uFEFFone', 'two']);
  });

  // A line `{"ts":…,"type":"run.start",…}` compressed by xz, bzip2 and zstd (their command-line tools' output).
  const compressed = {
    xz: 'fd377a585a000004e6d6b4460200210116000000742fe5a3e00054004c5d003d888a87715753856436705f6ac74bc38c8cb2e6ec972c2a5ec4d6f06dc5370c650fa70abe62420b44fa44ca1e8989e15fbdfa74ba33bdf3bbd6745067921df482aa7d5acf52c2db368f0000008e1942852dd90cf400016855fff1a3961fb6f37d010000000004595a',
    bzip2: '425a6839314159265359ff7a1fe4000029db800010100771100410b671de2a200054354d30269a6099309b41a24f499347a8d36a034c97857ad56a946e1fa0323b9c9409d151a2376817dda61237b883844f29e71fac60c3435e1208c1ad296424721247d8bb9229c28487fbd0ff20',
    zstd: '28b52ffd04587502000285111a80a92d0678956407cdf026f6d11c640e413191624f37a4c40901c6623ce7abd2d9463d27180268e9363a1fa4c3f6aa60d581969e171089dd06e45d82570e0b62ce9cab5d110100151c13deaf7b1e',
  };
  /** A tar archive's first block: a member's name, NUL-padded, and `ustar` at byte 257 (POSIX's `ustar\0` `00`, old GNU's `ustar  \0`). */
  const tarHeader = (magic = 'ustar\x0000') => {
    const block = Buffer.alloc(512);
    block.write('app.log', 0);
    block.write(magic, 257, 'latin1');
    return block;
  };
  /** Text whose bytes 257 to 261 spell `ustar` (a path), which no tar header's NUL follows. */
  const ustarText = () => {
    const start = '{"type":"run.start","job":"a","note":"';
    return `${start}${'x'.repeat(256 - start.length)}/ustar/data"}\nlast\n`;
  };

  it.each([
    ['xz', 'a.log.xz', Buffer.from(compressed.xz, 'hex'), 'xz-compressed; decompress it first (xzcat PATH | silent-audit scan -)'],
    ['bzip2', 'a.log.bz2', Buffer.from(compressed.bzip2, 'hex'), 'bzip2-compressed; decompress it first (bzcat PATH | silent-audit scan -)'],
    ['zstd', 'a.log.zst', Buffer.from(compressed.zstd, 'hex'), 'zstd-compressed; decompress it first (zstdcat PATH | silent-audit scan -)'],
    ['a tar archive', 'logs.tar', tarHeader(), 'a tar archive; extract the logs from it (tar -xOf PATH | silent-audit scan -)'],
    ['a GNU tar archive', 'logs.tar', tarHeader('ustar  \x00'), 'a tar archive; extract the logs from it (tar -xOf PATH | silent-audit scan -)'],
    ['a gzipped tar archive', 'logs.tgz', gzipSync(tarHeader()), 'a tar archive (gzip-compressed); extract the logs from it (tar -xOzf PATH | silent-audit scan -)'],
  ])('refuses %s unread, saying what it is and what to do, rather than reading it as lines', async (_, name, bytes, message) => {
    // Prepare
    const path = tempFile(name, bytes);
    // Act
    const reading = collect(openLineSource(path).lines());
    // Assess
    await expect(reading).rejects.toThrow(UnreadableInputError);
    await expect(reading).rejects.toThrow(message.replace('PATH', path));
  });

  it("names the command that reads it in its hint: `report`'s input is piped into `report`", async () => {
    // Prepare
    const path = tempFile('a.log.xz', Buffer.from(compressed.xz, 'hex'));
    // Act
    const reading = collect(openLineSource(path, undefined, 'report').lines());
    // Assess
    await expect(reading).rejects.toThrow(`xz-compressed; decompress it first (xzcat ${path} | silent-audit report -)`);
  });

  it('refuses xz on stdin, saying how to pipe it decompressed', async () => {
    // Act
    const reading = collect(openLineSource('-', Readable.from([Buffer.from(compressed.xz, 'hex')])).lines());
    // Assess
    await expect(reading).rejects.toThrow('xz-compressed; decompress it first (… | xzcat | silent-audit scan -)');
  });

  it.each([
    ["bzip2's letters", 'BZh9 is a bzip2 header\n', ['BZh9 is a bzip2 header']],
    ['a NUL byte after its first line (a garbage line, a zeroed block)', '{"type":"run.end"}\n\x00\x01garbage\nlast\n', ['{"type":"run.end"}', '\x00\x01garbage', 'last']],
    ["logrotate copytruncate's run of NULs before its lines (part of the first)", `${'\x00'.repeat(4096)}{"type":"run.start"}\n{"type":"run.end"}\n`, [`${'\x00'.repeat(4096)}{"type":"run.start"}`, '{"type":"run.end"}']],
    ['a NUL byte in its first line (binary data: its lines are read, for none to be recognised)', 'ELF\x02\x01\x01\x00\x00\nrest\n', ['ELF\x02\x01\x01\x00\x00', 'rest']],
    ['`ustar` at byte 257 (a path, not a tar header)', ustarText(), ustarText().split('\n').slice(0, 2)],
  ])('reads text that holds %s as text, line by line', async (_, text, expected) => {
    // Act
    const lines = await collect(openLineSource('-', Readable.from([Buffer.from(text, 'latin1')])).lines());
    // Assess
    expect(lines).toEqual(expected);
  });

  it('notes NUL bytes in its first bytes once read, for a note when none of its lines is recognised, and none in text', async () => {
    // Prepare
    const copytruncated = openLineSource('-', Readable.from([Buffer.from(`${'\x00'.repeat(4096)}{"type":"run.end"}\n`, 'latin1')]));
    const text = openLineSource('-', Readable.from([Buffer.from(`{"type":"run.end"}\n${'x'.repeat(600)}\n\x00 later\n`, 'latin1')]));
    // Act
    await collect(copytruncated.lines());
    await collect(text.lines());
    // Assess: a NUL past the first 512 bytes is the text's own damage, nothing to note
    expect(copytruncated.nulBytesNote).toBe('it holds NUL bytes: binary data, or UTF-16 without a byte order mark? (if UTF-16, convert it first: … | iconv -f UTF-16LE -t UTF-8 | silent-audit scan -)');
    expect(text.nulBytesNote).toBeUndefined();
  });

  it('refuses a directory, saying to name the files in it', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sa-dir-'));
    // Act and Assess
    expect(() => openLineSource(dir)).toThrow(InputError);
    expect(() => openLineSource(dir)).toThrow(`${dir}: is a directory; name the log files in it (${dir}/*.log)`);
  });
});

describe('UnfinishedLine', () => {
  it('holds no more of a line than the size limit, however long the line grows', () => {
    // Prepare: a 4 MiB line with no line end yet, read in 64 KiB chunks
    const unfinished = new UnfinishedLine();
    const chunk = 'z'.repeat(65536);
    let mostHeld = 0;
    // Act
    for (let i = 0; i < 64; i++) {
      unfinished.append(chunk);
      mostHeld = Math.max(mostHeld, unfinished.heldUnits);
    }
    const line = unfinished.finish('z\r');
    unfinished.append('next');
    // Assess
    expect(mostHeld).toBeLessThanOrEqual(MAX_LINE_BYTES + 1);
    expect(line).toEqual({ overLongBytes: 64 * 65536 + 1 });
    expect(unfinished.end()).toBe('next');
  });

  it.each([
    ['at the limit', MAX_LINE_BYTES],
    ['at the limit before its carriage return', MAX_LINE_BYTES + 1],
  ])('keeps a line %s as text', (_, units) => {
    // Prepare: the line in two chunks, so that it is held before its end comes
    const unfinished = new UnfinishedLine();
    const text = `${'x'.repeat(MAX_LINE_BYTES)}\r`.slice(0, units);
    // Act
    unfinished.append(text.slice(0, 1000));
    unfinished.append(text.slice(1000));
    const line = unfinished.finish('');
    // Assess
    expect(line).toBe('x'.repeat(MAX_LINE_BYTES));
    expect(unfinished.end()).toBeUndefined();
  });
});
