import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import { AuditFunction } from '../../lib/constructs/audit-function.ts';
import { buildStack, testApp } from './cdk-app.ts';

const PROBE_ENTRY = fileURLToPath(new URL('./fixtures/config-probe.ts', import.meta.url));

/** The bundles esbuild wrote for the function assets in an assembly. */
function bundlePaths(assemblyDir: string): string[] {
  return readdirSync(assemblyDir)
    .filter((name) => name.startsWith('asset.'))
    .map((asset) => join(assemblyDir, asset, 'index.mjs'));
}

/** The bundle of the one function asset in an assembly. */
function bundlePath(assemblyDir: string): string {
  const paths = bundlePaths(assemblyDir);
  expect(paths).toHaveLength(1);
  return paths[0];
}

describe('AuditFunction bundling (local esbuild, ESM)', () => {
  it('compiles the validated config into the bundle, where readLambdaEnv finds it', async () => {
    // Prepare
    const config = validateConfig({
      jobs: { 'nightly-backup': { schedule: '30 2 * * *', expect_pattern: 'uploaded \\d+ "objects"', owner: "it's data-platform" } },
      deploy: { alert_emails: ['ops@example.com'] },
    });
    const app = testApp({ bundle: true });
    new AuditFunction(new Stack(app, 'Probe'), 'Probe', { entry: PROBE_ENTRY, config });

    // Act
    const assembly = app.synth();
    const probe = (await import(pathToFileURL(bundlePath(assembly.directory)).href)) as { handler: () => Promise<unknown> };

    // Assess
    const embedded = await probe.handler();
    expect(embedded).toEqual(config);
    expect(embedded).not.toEqual(DEFAULT_CONFIG);
  });

  it("builds every function's bundle so that it loads as an ES module in Node and exports handler", async () => {
    // Prepare
    const { app, stack } = buildStack({ bundle: true });

    // Act
    const assembly = app.synth();
    const paths = bundlePaths(assembly.directory);
    const modules = await Promise.all(paths.map(async (p) => (await import(pathToFileURL(p).href)) as { handler?: unknown }));

    // Assess
    const functions = stack.node.findAll().filter((c) => c instanceof AuditFunction);
    expect(paths).toHaveLength(functions.length);
    for (const mod of modules) expect(typeof mod.handler).toBe('function');
  });
});
