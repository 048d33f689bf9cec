/**
 * Characters a terminal acts on instead of showing: the C0 controls (ESC starts the sequences that
 * move the cursor and erase rows; CR and backspace overwrite), DEL, the C1 controls (0x9b is a
 * one-byte CSI), and the bidirectional embeddings, overrides, isolates and marks that reorder what
 * follows (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), with the line and paragraph
 * separators.
 */
const CONTROLS_AFTER_C0 = String.raw`\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069`;
const CONTROLS = new RegExp(String.raw`[\u0000-\u001f${CONTROLS_AFTER_C0}]`, 'g');
/** As CONTROLS, without the newline (U+000A). */
const CONTROLS_BUT_NEWLINE = new RegExp(String.raw`[\u0000-\u0009\u000b-\u001f${CONTROLS_AFTER_C0}]`, 'g');

/** A control character as it is shown: `\x1b`, `\u202e`. */
function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One line of text from logs (a name, a message, a table cell) as a terminal must be given it:
 * every control character shown escaped (`\x1b`, `\x0a`, `\u202e`), so that a log line can neither
 * erase nor overwrite nor reorder what the auditor prints. Text without one is returned as it is.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, visible);
}

/** Lines of human text for a terminal (a message that may quote names): as `escapeControls`, its newlines kept. */
export function terminalText(text: string): string {
  return text.replace(CONTROLS_BUT_NEWLINE, visible);
}
