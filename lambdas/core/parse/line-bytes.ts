import { isUtf8 } from 'node:buffer';

/** What Windows-1252 writes at bytes 0x80-0x9F, where Latin-1 (ISO-8859-1) has control codes (kept at its five unused bytes). */
const WINDOWS_1252_C1 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
const C1 = /[\u0080-\u009F]/g;

/**
 * A log line's bytes as text: UTF-8 when they are valid UTF-8; else each valid UTF-8 sequence as
 * UTF-8 and each other byte as Windows-1252 (the superset of Latin-1, ISO-8859-1, that older hosts
 * and Windows tools write), its own letter. So a Latin-1 `données` is itself (and matches a UTF-8
 * config key) and stays apart from `donnèes`, where UTF-8 decoding would give both U+FFFD, and a
 * UTF-8 line with one stray byte (an output tail cut inside a character) keeps its UTF-8 names.
 */
export function lineText(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString('utf8');
  if (!holdsUtf8Sequence(buffer)) return buffer.toString('latin1').replace(C1, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80]);
  return mixedText(buffer);
}

/** Whether the bytes hold a well-formed multi-byte UTF-8 sequence (a wholly Latin-1 line holds none, so is read at once). */
function holdsUtf8Sequence(buffer: Buffer): boolean {
  for (let at = 0; at < buffer.length; at++) {
    if (buffer[at] >= 0xc2 && utf8SequenceSize(buffer, at) > 1) return true;
  }
  return false;
}

/** Bytes that are not valid UTF-8 as text: runs of valid sequences decoded as UTF-8, each other byte as Windows-1252. */
function mixedText(buffer: Buffer): string {
  let text = '';
  let runFrom = 0;
  for (let at = 0; at < buffer.length; ) {
    const size = utf8SequenceSize(buffer, at);
    if (size > 0) {
      at += size;
      continue;
    }
    text += buffer.toString('utf8', runFrom, at) + windows1252Letter(buffer[at]);
    at += 1;
    runFrom = at;
  }
  return text + buffer.toString('utf8', runFrom);
}

/** The length of the well-formed UTF-8 sequence at `at` (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF), 0 when there is none. */
function utf8SequenceSize(bytes: Buffer, at: number): number {
  const lead = bytes[at];
  if (lead < 0x80) return 1;
  let size: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) size = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    size = 3;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    size = 4;
    if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
  } else return 0;
  if (at + size > bytes.length) return 0;
  const second = bytes[at + 1];
  if (second < low || second > high) return 0;
  for (let i = 2; i < size; i++) {
    const next = bytes[at + i];
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return size;
}

function windows1252Letter(byte: number): string {
  return byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_C1[byte - 0x80] : String.fromCharCode(byte);
}
