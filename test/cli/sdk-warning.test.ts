import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** `silent-audit exceptions list` against a store nothing listens on: it builds a DynamoDB client, then fails to reach it. */
function listExceptions(env: NodeJS.ProcessEnv) {
  const cwd = mkdtempSync(join(tmpdir(), 'silent-audit-sdk-warning-'));
  return spawnSync(process.execPath, [join(repo, 'bin/silent-audit.mjs'), 'exceptions', 'list', '--store', 'http://127.0.0.1:9'], { cwd, env, encoding: 'utf8', timeout: 60_000 });
}

describe("the AWS SDK's Node version support warning", () => {
  it('is not printed by a store command, and the user may still turn it back on', () => {
    // Prepare
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _set, ...env } = process.env;

    // Act
    const quiet = listExceptions(env);
    const asked = listExceptions({ ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' });

    // Assess: the store is unreachable either way; only the user's own setting shows the SDK's warning (on Node before 22).
    expect(quiet.stderr).toContain('cannot reach DynamoDB');
    expect(quiet.stderr).not.toContain('NodeVersionSupportWarning');
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    expect(asked.stderr.includes('NodeVersionSupportWarning')).toBe(nodeMajor < 22);
  }, 120_000);
});
