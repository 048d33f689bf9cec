import { isUtf8 } from 'node:buffer';

/** What Windows-1252 writes at bytes 0x80-0x9F, where Latin-1 (ISO-8859-1) has control codes (kept at its five unused bytes). */
const WINDOWS_1252_C1 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
const C1 = /[\u0080-\u009F]/g;

/**
 * A log line's bytes as text: UTF-8 when they are valid UTF-8, else Windows-1252 (the superset of
 * Latin-1, ISO-8859-1, that older hosts and Windows tools write), each byte its own letter, so a
 * Latin-1 `données` is itself (and matches a UTF-8 config key) and stays apart from `donnèes`,
 * where UTF-8 decoding would give both U+FFFD.
 */
export function lineText(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buffer)) return buffer.toString('utf8');
  return buffer.toString('latin1').replace(C1, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80]);
}
