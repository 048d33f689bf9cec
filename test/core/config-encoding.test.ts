import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, passingRedactPatterns } from '../../lambdas/config.ts';

const YAML = 'redact:\n  patterns:\n    - { name: employee-pin, regex: "EMP-PIN-\\\\d+" }\njobs:\n  backup: { schedule: "0 3 * * *" }\n';
const JSON_CONFIG = '{ "redact": { "patterns": [{ "name": "employee-pin", "regex": "EMP-PIN-\\\\d+" }] }, "jobs": { "backup": { "schedule": "0 3 * * *" } } }\n';

/** The text as UTF-16 in the given byte order, with its byte order mark or without. */
function utf16(text: string, order: 'le' | 'be', marked: boolean): Buffer {
  const le = Buffer.from(`${marked ? '\uFEFF' : ''}${text}`, 'utf16le');
  return order === 'le' ? le : le.swap16();
}

function configFile(name: string, bytes: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sa-config-encoding-')), name);
  writeFileSync(path, bytes);
  return path;
}

describe("a config file's encoding", () => {
  it.each([
    ['silent-audit.config.yaml', 'LE', YAML],
    ['silent-audit.config.yaml', 'BE', YAML],
    ['silent-audit.config.json', 'LE', JSON_CONFIG],
    ['silent-audit.config.json', 'BE', JSON_CONFIG],
  ] as const)('reads %s written as UTF-16%s with its byte order mark (PowerShell 5, Notepad "Unicode") as its UTF-8 twin', (name, order, text) => {
    // Prepare
    const asUtf8 = configFile(name, Buffer.from(text));
    const asUtf16 = configFile(name, utf16(text, order === 'LE' ? 'le' : 'be', true));
    // Act
    const config = loadConfig(asUtf16);
    // Assess
    expect(config).toEqual(loadConfig(asUtf8));
    expect(config.redact.patterns.map((p) => p.name)).toEqual(['employee-pin']);
    expect(Object.keys(config.jobs)).toEqual(['backup']);
  });

  it('reads a UTF-8 config with its byte order mark as one without', () => {
    // Prepare
    const yaml = configFile('c.yaml', Buffer.from(`\uFEFF${YAML}`));
    const json = configFile('c.json', Buffer.from(`\uFEFF${JSON_CONFIG}`));
    // Act / Assess
    expect(loadConfig(yaml).redact.patterns.map((p) => p.name)).toEqual(['employee-pin']);
    expect(loadConfig(json).redact.patterns.map((p) => p.name)).toEqual(['employee-pin']);
  });

  it.each([
    ['le', 'UTF-16LE'],
    ['be', 'UTF-16BE'],
  ] as const)('refuses UTF-16%s without a byte order mark, saying to save it as UTF-8 (iconv), where it was "expected a mapping"', (order, label) => {
    // Prepare
    const path = configFile('c.yaml', utf16(YAML, order, false));
    // Act
    const load = () => loadConfig(path);
    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`${path}: invalid config\n  - the file is ${label} (without a byte order mark); save it as UTF-8: iconv -f ${label} -t UTF-8 ${path} > ${path}.utf8 && mv ${path}.utf8 ${path}`);
  });

  it.each([
    ['le', 'UTF-16LE', 'jobs:\r\n  "nightly-€":\r\n    schedule: "0 3 * * *"\r\n'],
    ['be', 'UTF-16BE', '# 夜間バックアップ\njobs:\n  nightly:\n    schedule: "0 3 * * *"\n'],
  ] as const)('refuses UTF-16%s without a byte order mark as such when characters near its start are no ASCII (€, CJK)', (order, label, text) => {
    // Prepare
    const path = configFile('c.yaml', utf16(text, order, false));
    // Act
    const load = () => loadConfig(path);
    // Assess
    expect(load).toThrow(`${path}: invalid config\n  - the file is ${label} (without a byte order mark); save it as UTF-8`);
  });

  it("still gives exec the redact patterns of a UTF-16 config without its byte order mark, which the other commands refuse", () => {
    // Prepare
    const path = configFile('c.yaml', utf16(YAML, 'le', false));
    // Act
    const patterns = passingRedactPatterns(path);
    // Assess
    expect(patterns.map((p) => p.name)).toEqual(['employee-pin']);
  });
});
