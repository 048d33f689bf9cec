import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_KIT_FILES, buildAgentKit } from '../../scripts/build-agent-kit.ts';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** What each consumer prints: the first line the emitter wrote, and the verdict on a placeholder argument. */
const CONSUMER_BODY = `
const lines = [];
const run = createAgentEmitter({ agent: 'support-bot', write: (line) => lines.push(line) });
run.action('tool_call', { name: 'web_search' });
const check = validateToolArgs('escalate_to_human', { user_id: 'the user mentioned in the conversation' }, { tools: { escalate_to_human: { args: { user_id: 'uuid' } } } });
process.stdout.write(JSON.stringify({ first: JSON.parse(lines[0]), check }));
`;

/** A TypeScript consumer's use of the kit's types: an option object, a result, the emitter's class. */
const TS_CONSUMER_BODY = `
const options: AgentEmitterOptions = { agent: 'support-bot', write: (line: string) => console.log(line), budget: { max_actions: 20 } };
const run: AgentEmitter = createAgentEmitter(options);
const check: ToolArgsResult = validateToolArgs('escalate_to_human', { user_id: 'x' }, { tools: { escalate_to_human: { args: { user_id: 'uuid' } } } });
const firstArg: string | undefined = check.ok ? undefined : check.errors[0]?.arg;
console.log(run, firstArg);
// @ts-expect-error: the types are the kit's, not \`any\`: an emitter needs somewhere to write
const missingWrite: AgentEmitterOptions = { agent: 'support-bot' };
console.log(missingWrite);
`;

/** A consumer's tsconfig for Node: NodeNext, strict, and none of TypeScript's options for importing `.ts` paths. */
const TS_CONSUMER_CONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out', rootDir: 'src' },
  include: ['src'],
};

interface ConsumerOutput {
  first: { type: string; agent: string };
  check: { ok: boolean; errors: { arg: string; message: string }[] };
}

describe('the agent kit from plain JavaScript (a package in node_modules, run by node)', () => {
  let dir: string;
  let pkg: string;
  let consumer: string;
  let tsConsumers: { esm: string; cjs: string };

  beforeAll(async () => {
    // Prepare: silent-audit as a consumer has it: its package.json (the exports), the kit built
    // into dist/ by the build `prepare` runs, reached through node_modules/silent-audit.
    dir = mkdtempSync(join(tmpdir(), 'agent-kit-js-'));
    pkg = join(dir, 'silent-audit');
    consumer = join(dir, 'consumer');
    mkdirSync(pkg);
    copyFileSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
    copyFileSync(join(REPO, '.gitignore'), join(pkg, '.gitignore'));
    symlinkSync(join(REPO, 'lambdas'), join(pkg, 'lambdas'));
    execFileSync('git', ['init', '-q'], { cwd: pkg });
    await buildAgentKit(join(pkg, 'dist'));
    mkdirSync(join(consumer, 'node_modules'), { recursive: true });
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    symlinkSync(pkg, join(consumer, 'node_modules', 'silent-audit'));
    writeFileSync(join(consumer, 'agent.mjs'), `import { createAgentEmitter, validateToolArgs } from 'silent-audit/agent-kit';\n${CONSUMER_BODY}`);
    writeFileSync(join(consumer, 'agent.cjs'), `const { createAgentEmitter, validateToolArgs } = require('silent-audit/agent-kit');\n${CONSUMER_BODY}`);
    // TypeScript consumers, one an ES module and one CommonJS, with silent-audit's dependencies
    // installed beside it (the kit's types name zod's) and @types/node their own.
    symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'));
    const tsImport = `import { type AgentEmitter, type AgentEmitterOptions, createAgentEmitter, type ToolArgsResult, validateToolArgs } from 'silent-audit/agent-kit';\n`;
    tsConsumers = { esm: join(dir, 'ts-esm'), cjs: join(dir, 'ts-cjs') };
    for (const [kind, root] of Object.entries(tsConsumers)) {
      mkdirSync(join(root, 'node_modules'), { recursive: true });
      mkdirSync(join(root, 'src'));
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: `consumer-${kind}`, private: true, type: kind === 'esm' ? 'module' : 'commonjs' }));
      writeFileSync(join(root, 'tsconfig.json'), JSON.stringify(TS_CONSUMER_CONFIG));
      symlinkSync(pkg, join(root, 'node_modules', 'silent-audit'));
      symlinkSync(join(REPO, 'node_modules', '@types'), join(root, 'node_modules', '@types'));
      writeFileSync(join(root, 'src', 'agent.ts'), tsImport + TS_CONSUMER_BODY);
    }
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function runNode(file: string): ConsumerOutput {
    // No loader from the test runner: node alone, as an agent's process runs.
    const out = execFileSync(process.execPath, [file], { cwd: consumer, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    return JSON.parse(out) as ConsumerOutput;
  }

  it.each([
    ['an ES module (import)', 'agent.mjs'],
    ['a CommonJS module (require)', 'agent.cjs'],
  ])('%s imports the kit: the emitter writes agent.start and validateToolArgs flags a placeholder', (_name, file) => {
    // Act
    const output = runNode(join(consumer, file));
    // Assess
    expect(output.first).toMatchObject({ type: 'agent.start', agent: 'support-bot' });
    expect(output.check.ok).toBe(false);
    expect(output.check.errors).toHaveLength(1);
    expect(output.check.errors[0].arg).toBe('user_id');
    expect(output.check.errors[0].message).toContain('placeholder');
  });

  it.each([
    ['an ES module', 'esm'],
    ['a CommonJS module', 'cjs'],
  ] as const)('a TypeScript consumer (%s, NodeNext, strict) compiles against the kit with tsc and no errors', (_name, kind) => {
    // Act: the repo's tsc, as the consumer runs it; a failed compile throws with tsc's output.
    let output: string;
    let status = 0;
    try {
      output = execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', '.'], { cwd: tsConsumers[kind], encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const failed = error as { status: number; stdout: string; stderr: string };
      output = failed.stdout + failed.stderr;
      status = failed.status;
    }
    // Assess
    expect(output).toBe('');
    expect(status).toBe(0);
  }, 60_000);

  it('npm packs the built kit (a git dependency is installed from that pack), though git ignores it', () => {
    // Act
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkg, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const gitIgnored = execFileSync('git', ['check-ignore', ...AGENT_KIT_FILES.map((f) => join(pkg, 'dist', f))], { cwd: pkg, encoding: 'utf8' });
    // Assess
    const packed = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    for (const file of AGENT_KIT_FILES) expect(packed).toContain(`dist/${file}`);
    expect(gitIgnored.trim().split('\n')).toHaveLength(AGENT_KIT_FILES.length);
  }, 60_000);
});
