import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** Runs bin/app.ts as the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR. */
export function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(tmpdir(), 'silent-audit-cdk-'));
  const result = spawnSync(TSX, ['bin/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }) },
  });
  return { ...result, outdir };
}

/** Runs the CLI (bin/cli.ts through tsx) in an empty folder of its own, so no config file there is picked up. */
export function runCli(args: string[]) {
  return spawnSync(TSX, [join(ROOT, 'bin/cli.ts'), ...args], { cwd: mkdtempSync(join(tmpdir(), 'silent-audit-cli-')), encoding: 'utf8' });
}
