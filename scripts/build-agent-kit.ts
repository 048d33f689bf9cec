/**
 * `npm run build:agent-kit` (and `prepare`, so every `npm install`/`npm ci` in a checkout, and npm
 * itself when it installs silent-audit from git, runs it): bundles `lambdas/agent-kit` to
 * JavaScript, since Node runs no `.ts` from `node_modules` (Node 20 knows no `.ts` at all; 22+ strip
 * types only outside `node_modules`), and writes its type declarations, since a consumer's tsc
 * cannot read the `.ts` source either (its `.ts` import paths need `allowImportingTsExtensions`,
 * which `skipLibCheck` does not cover). package.json's `exports` send `import` to `dist/agent-kit.mjs`
 * with the types of `dist/types/agent-kit/index.d.ts` (ES module declarations), and `require` to
 * `dist/agent-kit.cjs` with `index.d.cts` (CommonJS declarations: under `module: node16` a
 * CommonJS file may not `require` what its types call an ES module).
 *
 * The kit imports nothing outside the repo but zod and ret (for `validateToolArgs`' check of a tools
 * config, ret parsing its patterns for the backtracking check). zod stays external: silent-audit
 * depends on it, so npm installs it beside the kit, and each bundle holds the kit's own code and
 * ret's (about 125 KB, of which ret about 31 KB; 880 KB with zod inside). `dist/` is ignored by git
 * (its own `.gitignore`) but not by npm (its own `.npmignore`, which npm reads instead): npm packs a
 * git dependency after `prepare`, and a root `.gitignore` entry would leave the bundles behind.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ENTRY = join(ROOT, 'lambdas/agent-kit/index.ts');
const BANNER = '// Generated from lambdas/agent-kit by scripts/build-agent-kit.ts: edit the TypeScript, not this file.';

/** The files a consumer reaches first in the build's output folder (the declarations those import sit beside them). */
export const AGENT_KIT_FILES = ['agent-kit.mjs', 'agent-kit.cjs', 'types/agent-kit/index.d.ts', 'types/agent-kit/index.d.cts'] as const;

/** A build tool (a dev dependency) that is not installed: the build names it and what is then missing. */
export class MissingToolError extends Error {
  constructor(
    readonly tool: string,
    readonly missing: string,
  ) {
    super(`silent-audit: did not build ${missing}: ${tool}, a dev dependency, is not installed. Run \`npm install\` with dev dependencies, then \`npm run build:agent-kit\`.`);
    this.name = 'MissingToolError';
  }
}

/** Builds the kit into `outDir`: both bundles and the declarations. */
export async function buildAgentKit(outDir: string): Promise<void> {
  await Promise.all([bundleAgentKit(outDir), declareAgentKit(outDir)]);
}

/** Bundles the kit into `outDir` as `agent-kit.mjs` (ESM) and `agent-kit.cjs` (CommonJS), for Node 20 and later. */
export async function bundleAgentKit(outDir: string): Promise<void> {
  let build: typeof import('esbuild').build;
  try {
    ({ build } = await import('esbuild'));
  } catch (error) {
    if (isMissingPackage(error, 'esbuild')) throw new MissingToolError('esbuild', 'the agent kit for JavaScript (dist/agent-kit.mjs)');
    throw error;
  }
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
        external: ['zod'],
        banner: { js: BANNER },
        logLevel: 'error',
      }),
    ),
  );
  writeIgnoreFiles(outDir);
}

/**
 * Writes the kit's declarations into `outDir/types` (a tree like `lambdas/`, from the entry's
 * imports): `.d.ts` for ES modules and the same as `.d.cts` for CommonJS, their relative imports
 * ending in `.js` and `.cjs` as a consumer's tsc expects. TypeScript keeps a `.ts` import path as
 * written in declarations (`rewriteRelativeImportExtensions` rewrites JavaScript only), hence the
 * rewrite here. `--noCheck`: emit without type-checking, which `npm run typecheck` does for the repo.
 */
export async function declareAgentKit(outDir: string): Promise<void> {
  let tsc: string;
  try {
    tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') throw new MissingToolError('typescript', "the agent kit's type declarations (dist/types)");
    throw error;
  }
  const typesDir = join(outDir, 'types');
  rmSync(typesDir, { recursive: true, force: true });
  const args = [
    ...['--ignoreConfig', '--declaration', '--emitDeclarationOnly', '--noCheck', '--allowImportingTsExtensions', '--strict', '--skipLibCheck'],
    ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2023', '--types', 'node'],
    ...['--rootDir', join(ROOT, 'lambdas'), '--outDir', typesDir, ENTRY],
  ];
  try {
    await promisify(execFile)(process.execPath, [tsc, ...args], { cwd: ROOT, encoding: 'utf8' });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`silent-audit: tsc could not write the agent kit's declarations:\n${(failed.stdout ?? '') + (failed.stderr ?? '') || failed.message}`);
  }
  for (const file of readdirSync(typesDir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.d.ts')) continue;
    const path = join(typesDir, file);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, `${BANNER}\n${withImportExtension(text, '.js')}`);
    writeFileSync(path.replace(/\.d\.ts$/, '.d.cts'), `${BANNER}\n${withImportExtension(text, '.cjs')}`);
  }
  writeIgnoreFiles(outDir);
}

/** `text` with each relative import path ending in `.ts` (`from './x.ts'`, `import('./x.ts')`) ending in `extension` instead. */
export function withImportExtension(text: string, extension: '.js' | '.cjs'): string {
  return text.replace(/(\bfrom\s*|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"\n]*?)\.ts\2/g, `$1$2$3${extension}$2`);
}

function writeIgnoreFiles(outDir: string): void {
  writeFileSync(join(outDir, '.gitignore'), '# Built by scripts/build-agent-kit.ts; not kept in git.\n*\n');
  writeFileSync(join(outDir, '.npmignore'), '# Present so npm packs these bundles: it reads this file instead of the .gitignore beside it.\n');
}

function isMissingPackage(error: unknown, name: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && error.message.includes(`'${name}'`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // An install without dev dependencies (`npm ci --omit=dev`) has no esbuild and no TypeScript: the
  // CLI and the stack still work, only agents outside the repo lack the kit (or its types), so say
  // so rather than fail the install.
  const dist = join(ROOT, 'dist');
  const steps = await Promise.allSettled([bundleAgentKit(dist), declareAgentKit(dist)]);
  for (const step of steps) {
    if (step.status === 'fulfilled') continue;
    if (!(step.reason instanceof MissingToolError)) throw step.reason;
    console.warn(step.reason.message);
  }
}
