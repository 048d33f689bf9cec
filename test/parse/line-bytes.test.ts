import { describe, expect, it } from 'vitest';
import { lineText } from '../../lambdas/core/parse/line-bytes.ts';

describe('lineText', () => {
  it('keeps the valid UTF-8 of a line with one invalid byte, reading only that byte as Windows-1252', () => {
    // Prepare: a UTF-8 job name and an output tail cut inside a character (0xA9, the second byte of é), and a lone 0x80
    const bytes = Buffer.concat([Buffer.from('{"job":"sauvegarde_données","output_tail":"', 'utf8'), Buffer.from([0xa9]), Buffer.from('tape 3 🙂"}', 'utf8'), Buffer.from([0x80])]);
    // Act
    const text = lineText(bytes);
    // Assess: the name and the emoji stay themselves; only the stray bytes are their Windows-1252 letters
    expect(text).toBe('{"job":"sauvegarde_données","output_tail":"©tape 3 🙂"}€');
  });

  it('reads a Latin-1 line byte by byte, and a truncated or overlong UTF-8 sequence as its bytes', () => {
    // Prepare: Latin-1 données; a 3-byte lead followed by ASCII; an overlong slash (0xC0 0xAF); a UTF-16 surrogate (0xED 0xA0 0x80)
    const latin1 = Buffer.from('CMD (/opt/données.sh)', 'latin1');
    const mixed = Buffer.from([0xe2, 0x82, 0x41, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xc3, 0xa9]);
    // Act
    const texts = [lineText(latin1), lineText(mixed)];
    // Assess
    expect(texts).toEqual(['CMD (/opt/données.sh)', 'â‚AÀ¯í\u00a0€é']);
  });
});
