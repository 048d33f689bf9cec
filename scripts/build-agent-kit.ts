/**
 * `npm run build:agent-kit` (and `prepare`, so every `npm install`/`npm ci` in a checkout, and npm
 * itself when it installs silent-audit from git, runs it): bundles `lambdas/agent-kit` to
 * JavaScript, since Node runs no `.ts` from `node_modules` (Node 20 knows no `.ts` at all; 22+ strip
 * types only outside `node_modules`). package.json's `exports` send `import` to `dist/agent-kit.mjs`
 * and `require` to `dist/agent-kit.cjs`; TypeScript still reads the types from the `.ts`.
 *
 * The kit imports nothing outside the repo, so each bundle stands alone. `dist/` is ignored by git
 * (its own `.gitignore`) but not by npm (its own `.npmignore`, which npm reads instead): npm packs a
 * git dependency after `prepare`, and a root `.gitignore` entry would leave the bundles behind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ENTRY = join(ROOT, 'lambdas/agent-kit/index.ts');
const BANNER = '// Generated from lambdas/agent-kit by scripts/build-agent-kit.ts: edit the TypeScript, not this file.';

/** The files the build writes into its output folder. */
export const AGENT_KIT_FILES = ['agent-kit.mjs', 'agent-kit.cjs'] as const;

/** Bundles the kit into `outDir` as `agent-kit.mjs` (ESM) and `agent-kit.cjs` (CommonJS), for Node 20 and later. */
export async function buildAgentKit(outDir: string): Promise<void> {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  const formats = [
    { format: 'esm', file: 'agent-kit.mjs' },
    { format: 'cjs', file: 'agent-kit.cjs' },
  ] as const;
  await Promise.all(
    formats.map(({ format, file }) =>
      build({
        entryPoints: [ENTRY],
        outfile: join(outDir, file),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format,
        banner: { js: BANNER },
        logLevel: 'error',
      }),
    ),
  );
  writeFileSync(join(outDir, '.gitignore'), '# Built by scripts/build-agent-kit.ts; not kept in git.\n*\n');
  writeFileSync(join(outDir, '.npmignore'), '# Present so npm packs these bundles: it reads this file instead of the .gitignore beside it.\n');
}

function isMissingEsbuild(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && error.message.includes("'esbuild'");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await buildAgentKit(join(ROOT, 'dist'));
  } catch (error) {
    // An install without dev dependencies (`npm ci --omit=dev`) has no esbuild: the CLI and the
    // stack still work, only plain-JavaScript agents lack the kit, so say so rather than fail the install.
    if (!isMissingEsbuild(error)) throw error;
    console.warn('silent-audit: the agent kit was not built to JavaScript (dist/agent-kit.mjs): esbuild, a dev dependency, is not installed. Run `npm install` with dev dependencies, then `npm run build:agent-kit`.');
  }
}
