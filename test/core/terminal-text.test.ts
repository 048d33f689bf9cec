import { describe, expect, it } from 'vitest';
import { escapeControls, terminalText } from '../../lambdas/core/terminal-text.ts';
import { textTable } from '../../lambdas/core/text-table.ts';

describe('escapeControls: text from logs as a terminal is given it', () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['an ESC sequence that erases the row above', 'nightly\u001b[2K\u001b[1Aevil', 'nightly\\x1b[2K\\x1b[1Aevil'],
    ['a carriage return that overwrites the line', 'ok\rFAILED', 'ok\\x0dFAILED'],
    ['backspaces that eat what came before', 'failed\b\b\b\b\b\bok', 'failed\\x08\\x08\\x08\\x08\\x08\\x08ok'],
    ['a newline and a tab', 'a\nb\tc', 'a\\x0ab\\x09c'],
    ['NUL and DEL', 'a\u0000b\u007f', 'a\\x00b\\x7f'],
    ['a C1 CSI (one byte)', 'x\u009b2Jy', 'x\\x9b2Jy'],
    ['a right-to-left override', 'invoice\u202Efdp.exe', 'invoice\\u202efdp.exe'],
    ['the bidi embeddings, isolates and marks', '\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069\u200E\u200F\u061C', '\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c'],
    ['the line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
  ];
  it.each(cases)('shows %s escaped', (_, text, shown) => {
    // Act
    const out = escapeControls(text);
    // Assess
    expect(out).toBe(shown);
  });

  it.each(['nightly-backup', 'sauvegarde été', 'バックアップ', 'C:\\jobs\\x1b.ps1', 'deploy 🚀 × 2', ''])('leaves %j as it is', (text) => {
    // Act
    const out = escapeControls(text);
    // Assess
    expect(out).toBe(text);
  });

  it('keeps the newlines of a message (terminalText), and escapes every other control', () => {
    // Act
    const out = terminalText('job "a\u001b[1Ab" failed\r\nsee the log\u202E');
    // Assess
    expect(out).toBe('job "a\\x1b[1Ab" failed\\x0d\nsee the log\\u202e');
  });
});

describe('textTable with text from logs', () => {
  it('shows the controls of its cells escaped and keeps its columns aligned', () => {
    // Prepare
    const rows = [
      ['nightly\u001b[2K\u001b[1Aevil', 'r1', 'run exited with code 1'],
      ['plain', 'r\r2', 'a\nb'],
    ];
    // Act
    const table = textTable(['SUBJECT', 'RUN', 'MESSAGE'], rows);
    // Assess: no control left; one line per row; every column starts where its header does
    const lines = table.split('\n');
    expect(table).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('nightly\\x1b[2K\\x1b[1Aevil  r1      run exited with code 1');
    const runAt = lines[0].indexOf('RUN');
    const messageAt = lines[0].indexOf('MESSAGE');
    expect([lines[2].indexOf('r1'), lines[3].indexOf('r\\x0d2')]).toEqual([runAt, runAt]);
    expect([lines[2].indexOf('run exited'), lines[3].indexOf('a\\x0ab')]).toEqual([messageAt, messageAt]);
  });

  it('cuts a long cell after escaping it, so the column keeps its width', () => {
    // Act
    const table = textTable(['SUBJECT', 'X'], [['\u001b'.repeat(10), 'y']], [12]);
    // Assess: cut to its 12 characters, escapes and all
    const [header, , row] = table.split('\n');
    expect(row).not.toContain('\u001b');
    expect(row.indexOf('y')).toBe(header.indexOf('X'));
    expect(row.indexOf('y')).toBe(12 + 2);
  });
});
