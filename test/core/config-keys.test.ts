/**
 * Every config key (contract §2), enumerated from the zod schema itself: for each key, values
 * its type refuses, each written alone into a minimal YAML file at a known line, and the one
 * problem that must come back: the dotted key path, what was expected, the line. A key added
 * to the schema later gets its cases from here; without a sample value below it fails the
 * coverage test. A sample of them goes through the real CLI and the CDK app too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ConfigError, ConfigSchema, parseConfigText } from '../../lambdas/config.ts';
import { runApp, runCli } from '../helpers/cli-spawn.ts';

type Schema = z.core.$ZodType;
type Segment = string | number;
// The introspection zod 4 offers: `_zod.def` (type, shape, element, options, checks, ...).
type Def = { type: string; checks?: Array<{ _zod: { def: CheckDef } }> } & Record<string, unknown>;
type CheckDef = { check: string; value?: number; inclusive?: boolean; minimum?: number; maximum?: number; format?: string };

const def = (s: Schema) => s._zod.def as unknown as Def;
const checksOf = (s: Schema) => (def(s).checks ?? []).map((c) => c._zod.def);
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'nonoptional']);
/** The schema a key holds, without what only makes it optional or gives it a default. */
const unwrap = (s: Schema): Schema => (WRAPPERS.has(def(s).type) ? unwrap(def(s).innerType as Schema) : s);
/** Its structure: a pipe (a transform) is read through its input. */
const structure = (s: Schema): Schema => (def(unwrap(s)).type === 'pipe' ? structure(def(unwrap(s)).in as Schema) : unwrap(s));
const isOptional = (s: Schema) => s._zod.optin !== undefined; // 'optional' or 'defaulted'
const SCALARS = new Set(['string', 'number', 'boolean', 'enum', 'date', 'literal']);

// ---------------------------------------------------------------------------------------------
// 1. The keys, from the schema

interface KeyNode {
  /** The key path as the contract writes it: `<name>` for a record's entries, `N` for a list's items. */
  readonly template: readonly string[];
  readonly schema: Schema;
  readonly type: string;
  /** One mapping form of a union (`{date: {min, max}}`): its keys are told apart by the union. */
  readonly unionForm?: boolean;
}

function enumerate(schema: Schema, template: string[] = [], out: KeyNode[] = [], unionForm = false): KeyNode[] {
  const s = structure(schema);
  const d = def(s);
  out.push({ template, schema: unwrap(schema), type: d.type, unionForm });
  switch (d.type) {
    case 'object':
      for (const [key, value] of Object.entries(d.shape as Record<string, Schema>)) enumerate(value, [...template, key], out);
      break;
    case 'record': {
      const key = structure(d.keyType as Schema);
      // A constrained name (an enum of detector ids, say) would need cases of its own.
      if (def(key).type !== 'string' || checksOf(key).length > 0) throw new Error(`${template.join('.')}: a record with constrained names: add cases for them`);
      enumerate(d.valueType as Schema, [...template, '<name>'], out);
      break;
    }
    case 'array':
      enumerate(d.element as Schema, [...template, 'N'], out);
      break;
    case 'union':
      // The union is one key; the keys inside its mapping forms (`{date: {min, max}}`) are keys too.
      for (const option of d.options as Schema[]) {
        const type = def(structure(option)).type;
        if (type === 'object') enumerate(option, template, out, true);
        else if (!SCALARS.has(type) && type !== 'union') throw new Error(`${template.join('.')}: a union with a ${type} form: teach this test how to break it`);
      }
      break;
    default:
      if (!SCALARS.has(d.type)) throw new Error(`${template.join('.')}: a ${d.type} schema: teach this test how to break it`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 2. A valid value for every key, to build each case around (siblings a key needs, list items)

const DAY_MS = 86_400_000;
const daysAhead = (n: number) => new Date(Date.now() + n * DAY_MS).toISOString().slice(0, 10);

const SAMPLE = {
  defaults: {
    min_history: 5,
    baseline_window: 20,
    output_shrink_ratio: 0.3,
    duration_slow_factor: 3,
    duration_fast_factor: 0.25,
    error_keywords: ['FATAL'],
    retry_rate_max: 0.1,
    retry_min_requests: 20,
    cost_outlier_factor: 5,
    alert_cooldown_minutes: 360,
    grace_minutes: 15,
    max_exception_days: 90,
    severity: { 'empty-output': 'high' },
    escalate_after_failures: 3,
    escalate_detectors: ['run-failed'],
    flapping_transitions_per_day: 6,
    recovery_runs: 3,
    alert_storm_cap: 20,
    max_snooze_days: 30,
  },
  jobs: {
    'nightly-backup': {
      schedule: '30 2 * * *',
      timezone: 'Europe/Berlin',
      grace_minutes: 20,
      max_runtime_minutes: 90,
      expect_pattern: 'uploaded \\d+ objects',
      error_keywords: ['FATAL'],
      audit_records_per_run: 1,
      min_history: 5,
      output_shrink_ratio: 0.3,
      owner: 'data-platform@example.com',
    },
  },
  agents: { 'support-bot': { budget: { max_actions: 20, max_cost_usd: 0.5, scope: 'task' }, cost_outlier_factor: 5, max_runtime_minutes: 120, owner: 'ai-team@example.com' } },
  tools: {
    escalate_to_human: {
      args: { user_id: 'uuid', due: { date: { min: '-30d', max: '+365d' } }, tier: { enum: ['gold', 1] }, ticket: { pattern: '^T-\\d+$' } },
      owner: 'ai-team@example.com',
    },
  },
  routes: { 'search-api': { retry_rate_max: 0.1, p99_ms: 3000, retry_latency_factor: 2, owner: 'search@example.com' } },
  exceptions: [{ id: 'EX-12', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31' }],
  snoozes: [{ id: 'SN-1', subject: 'nightly-backup', detector: 'empty-output', owner: 'alice@example.com', reason: 'bucket migration', until: daysAhead(2) }],
  maintenance_windows: [
    { name: 'db-upgrade', subjects: ['nightly-backup'], detectors: ['missed-run'], owner: 'dba@example.com', reason: 'upgrade', start: daysAhead(1), end: daysAhead(2) },
    { name: 'patching', subjects: ['etl-loader'], owner: 'ops@example.com', reason: 'patch night', cron: '0 22 * * 2', duration_minutes: 120, timezone: 'Europe/Berlin', until: daysAhead(100) },
  ],
  deploy: {
    stack_name: 'SilentAuditBatch',
    log_groups: ['/aws/lambda/etl'],
    alert_emails: ['ops@example.com'],
    heartbeat_hours: 6,
    account_policy: false,
    account_policy_excluded_log_groups: ['/aws/lambda/noisy'],
    kinesis_log_groups: ['/aws/lambda/busy'],
    run_retention_days: 400,
  },
  redact: { patterns: [{ name: 'employee-pin', regex: 'EMP-PIN-\\d+' }], disable_builtins: ['cookie'] },
};

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first concrete path in `value` that fits the template and holds a value `accept` takes. */
function resolve(template: readonly string[], value: unknown, accept: (v: unknown) => boolean): Segment[] | undefined {
  if (template.length === 0) return accept(value) ? [] : undefined;
  const [head, ...rest] = template;
  const tries: Array<[Segment, unknown]> =
    head === 'N' && Array.isArray(value) ? value.map((v, i) => [i, v]) : head === '<name>' && isMapping(value) ? Object.entries(value) : isMapping(value) && head in value ? [[head, value[head]]] : [];
  for (const [segment, inner] of tries) {
    const found = resolve(rest, inner, accept);
    if (found) return [segment, ...found];
  }
  return undefined;
}

/**
 * The smallest config that holds `bad` at `path`, the rest taken from the sample: each mapping
 * on the way keeps only the keys it requires, or all of them when it checks keys against each
 * other (a maintenance window); a list keeps only the one item. Returns it and where `bad` lies.
 */
function build(schema: Schema, sample: unknown, path: readonly Segment[], bad: unknown): { value: unknown; at: Segment[] } {
  if (path.length === 0) return { value: bad, at: [] };
  const s = structure(schema);
  const d = def(s);
  const [head, ...rest] = path;
  switch (d.type) {
    case 'object': {
      const shape = d.shape as Record<string, Schema>;
      const keepAll = checksOf(s).length > 0;
      const from = sample as Record<string, unknown>;
      const inner = String(head) in shape ? build(shape[head], from[head], rest, bad) : { value: bad, at: [] };
      const value: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(from)) {
        if (key === head) {
          if (inner.value !== MISSING) value[key] = inner.value;
        }
        else if (keepAll || !isOptional(shape[key])) value[key] = v;
      }
      if (!(String(head) in from)) value[head] = inner.value;
      return { value, at: [head, ...inner.at] };
    }
    case 'record': {
      const inner = build(d.valueType as Schema, (sample as Record<string, unknown>)[head], rest, bad);
      return { value: { [head]: inner.value }, at: [head, ...inner.at] };
    }
    case 'array': {
      const inner = build(d.element as Schema, (sample as unknown[])[head as number], rest, bad);
      return { value: [inner.value], at: [0, ...inner.at] };
    }
    case 'union': {
      const option = (d.options as Schema[]).find((o) => accepts(o, sample));
      if (!option) throw new Error(`no form of the union at ${String(head)} takes the sample`);
      return build(option, sample, path, bad);
    }
    default:
      throw new Error(`cannot go into a ${d.type} at ${String(head)}`);
  }
}

/** Left out of the config: the value `build` leaves a key out for. */
const MISSING = Symbol('missing');

const accepts = (schema: Schema, value: unknown) => (schema as unknown as z.ZodType).safeParse(value).success;

// ---------------------------------------------------------------------------------------------
// 3. Invalid values, from each key's type and checks

interface Bad {
  readonly value: unknown;
  /** What is wrong with it, for the case's name. */
  readonly why: string;
}

/** Text that breaks a refined string (a cron, a time zone, a regex, a date, a name, a guard without wildcards...). */
const BAD_TEXT = ['(unclosed', 'every night', 'Mars/Olympus', 'someday', 'no-such-thing', 'has space', '*'];
/** One value of each YAML type. */
const ANY_TYPE: Bad[] = [
  { value: 42, why: 'a number' },
  { value: 'no-such-thing', why: 'text' },
  { value: true, why: 'a boolean' },
  { value: ['a', 'list'], why: 'a list' },
  { value: { no_such_form: 1 }, why: 'a mapping' },
];

function firstBadText(schema: Schema, why: string): Bad[] {
  const text = BAD_TEXT.find((t) => !accepts(schema, t));
  if (text === undefined) throw new Error(`no text in BAD_TEXT breaks ${why}: add one`);
  return [{ value: text, why }];
}

function invalidValues(node: KeyNode): Bad[] {
  const s = structure(node.schema);
  const checks = checksOf(s);
  const out: Bad[] = [];
  switch (node.type) {
    case 'object':
    case 'record':
      out.push({ value: ['a', 'list'], why: 'a list where a mapping is expected' });
      break;
    case 'array':
      out.push({ value: 'one', why: 'text where a list is expected' });
      for (const c of checks) if (c.check === 'min_length') out.push({ value: [], why: `fewer than ${c.minimum} items` });
      break;
    case 'boolean':
      out.push({ value: 'yes', why: 'text where true/false is expected' });
      break;
    case 'enum':
      out.push({ value: 'no-such-option', why: 'not one of the options' });
      break;
    case 'number': {
      out.push({ value: 'ten', why: 'text where a number is expected' });
      const lower = checks.find((c) => c.check === 'greater_than');
      const upper = checks.find((c) => c.check === 'less_than');
      if (lower) out.push({ value: lower.inclusive ? lower.value! - 1 : lower.value!, why: `below the minimum` });
      if (upper) out.push({ value: upper.inclusive ? upper.value! + 1 : upper.value!, why: `above the maximum` });
      if (checks.some((c) => c.check === 'number_format')) out.push({ value: (lower?.value ?? 0) + 1.5, why: 'not a whole number' });
      break;
    }
    case 'string':
      out.push({ value: 42, why: 'a number where text is expected' });
      for (const c of checks) {
        if (c.check === 'min_length') out.push({ value: 'x'.repeat(c.minimum! - 1), why: `shorter than ${c.minimum}` });
        else if (c.check === 'max_length') out.push({ value: 'x'.repeat(c.maximum! + 1), why: `longer than ${c.maximum}` });
        else if (c.check === 'string_format' && c.format === 'email') out.push({ value: 'nobody', why: 'not an email address' });
        else if (c.check === 'string_format' || c.check === 'custom') out.push(...firstBadText(node.schema, `text its ${c.format ?? 'check'} refuses`));
        // `.trim()`: it changes the text, and refuses none.
        else if (c.check === 'overwrite') continue;
        else throw new Error(`${node.template.join('.')}: a ${c.check} check: teach this test how to break it`);
      }
      break;
    case 'union':
      out.push(...ANY_TYPE.filter((b) => !accepts(node.schema, b.value)).map((b) => ({ ...b, why: `${b.why}, which no form takes` })));
      break;
  }
  // A transform that refuses text its input takes (a date that is no date).
  if (def(node.schema).type === 'pipe') out.push(...firstBadText(node.schema, 'text the transform refuses'));
  return out;
}

// ---------------------------------------------------------------------------------------------
// 4. YAML, block style, with the line of each target known

function toYaml(value: Record<string, unknown>, targets: ReadonlyArray<readonly Segment[]>): { text: string; lineOf: (path: readonly Segment[]) => number } {
  const lines: string[] = [];
  const at = new Map<string, number>();
  const wanted = new Set(targets.map((t) => JSON.stringify(t)));
  const key = (k: string) => (/^[A-Za-z_][\w.-]*$/.test(k) ? k : JSON.stringify(k));
  const inline = (v: unknown, path: Segment[]) => wanted.has(JSON.stringify(path)) || !(isMapping(v) || Array.isArray(v)) || Object.keys(v).length === 0;
  const mark = (path: Segment[]) => at.set(JSON.stringify(path), lines.length);

  function mapping(map: Record<string, unknown>, indent: number, path: Segment[]) {
    const pad = ' '.repeat(indent);
    for (const [k, v] of Object.entries(map)) {
      mark([...path, k]);
      if (inline(v, [...path, k])) lines.push(`${pad}${key(k)}: ${JSON.stringify(v)}`);
      else {
        lines.push(`${pad}${key(k)}:`);
        block(v, indent + 2, [...path, k]);
      }
    }
  }
  function block(v: unknown, indent: number, path: Segment[]) {
    if (isMapping(v)) return mapping(v, indent, path);
    const pad = ' '.repeat(indent);
    (v as unknown[]).forEach((item, i) => {
      mark([...path, i]);
      if (inline(item, [...path, i]) || Array.isArray(item)) lines.push(`${pad}- ${JSON.stringify(item)}`);
      else {
        const first = lines.length;
        mapping(item as Record<string, unknown>, indent + 2, [...path, i]);
        lines[first] = `${pad}- ${lines[first].slice(indent + 2)}`;
      }
    });
  }
  mapping(value, 0, []);
  return {
    text: `${lines.join('\n')}\n`,
    lineOf: (path) => {
      const index = at.get(JSON.stringify(path));
      if (index === undefined) throw new Error(`${path.join('.')} is not in the file`);
      return index + 1;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 5. The cases

interface Case {
  readonly name: string;
  readonly section: string;
  /** The config holding the one bad value. */
  readonly config: Record<string, unknown>;
  /** Where the bad value lies, as the problem must name it. */
  readonly at: Segment[];
  readonly unknownKey: boolean;
  /** The key is left out; the line is that of the mapping it belongs in. */
  readonly missing?: boolean;
}

const NODES = enumerate(ConfigSchema as unknown as Schema);
const LEAVES = NODES.filter((n) => !['object', 'record', 'array'].includes(n.type));
const uncovered: string[] = [];
const covered = new Set<KeyNode>();
const CASES: Case[] = [];

for (const node of NODES) {
  const path = resolve(node.template, SAMPLE, (v) => accepts(node.schema, v));
  if (!path) {
    uncovered.push(`${node.template.join('.') || '(top level)'}: no value for it in SAMPLE`);
    continue;
  }
  const label = node.template.join('.') || '(top level)';
  // The file itself is no key: its wrong type has a test of its own below.
  const bads = node.template.length === 0 ? [] : invalidValues(node);
  for (const bad of bads) {
    const { value, at } = build(ConfigSchema as unknown as Schema, SAMPLE, path, bad.value);
    CASES.push({ name: `${label} = ${JSON.stringify(bad.value)} (${bad.why})`, section: String(at[0] ?? ''), config: value as Record<string, unknown>, at, unknownKey: false });
  }
  if (node.type === 'object') {
    const { value, at } = build(ConfigSchema as unknown as Schema, SAMPLE, [...path, 'no_such_key'], 1);
    CASES.push({ name: `${label}.no_such_key (unknown key)`, section: String(at[0]), config: value as Record<string, unknown>, at, unknownKey: true });
  }
  // Each key a mapping requires, left out (not in a union's form: without its key it is no form at all).
  if (node.type === 'object' && !node.unionForm) {
    for (const [key, value] of Object.entries(def(structure(node.schema)).shape as Record<string, Schema>)) {
      if (isOptional(value)) continue;
      const { value: config, at } = build(ConfigSchema as unknown as Schema, SAMPLE, [...path, key], MISSING);
      CASES.push({ name: `${label}.${key} left out`, section: String(at[0]), config: config as Record<string, unknown>, at, unknownKey: false, missing: true });
    }
  }
  if (bads.length > 0 || node.type === 'object') covered.add(node);
  else uncovered.push(`${label}: no invalid value derived from its type (${node.type})`);
}

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text, 'silent-audit.config.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

/** zod's own wording, which names TypeScript's types and not what the user should write. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized)|received|expected (number|string|array|object|boolean|date|nonoptional|int)\b|[<>]=/;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('every config key, enumerated from the schema (contract §2)', () => {
  it('has a valid sample for every key, and an invalid value derived for each', () => {
    expect(problemsOf(toYaml(SAMPLE, []).text)).toEqual([]);
    expect(uncovered).toEqual([]);
    expect(covered.size).toBe(NODES.length);
    // Every section, every record entry and list item, the mapping forms of a tool argument.
    expect(NODES.map((n) => n.template.join('.'))).toEqual(
      expect.arrayContaining(['defaults.severity.<name>', 'jobs.<name>.schedule', 'agents.<name>.budget.scope', 'tools.<name>.args.<name>.date.min', 'tools.<name>.args.<name>.enum.N', 'routes.<name>.p99_ms', 'exceptions.N.expires', 'snoozes.N.until', 'maintenance_windows.N.cron', 'deploy.account_policy', 'redact.patterns.N.regex']),
    );
    expect(new Set(CASES.map((c) => c.section))).toEqual(new Set(Object.keys(ConfigSchema.shape).concat('no_such_key')));
    expect(LEAVES.length).toBeGreaterThan(60);
  });

  it('refuses a file that is not a mapping, and takes an empty one as the defaults', () => {
    expect(problemsOf('- a\n- b\n')).toEqual(['(top level): expected a mapping (key: value) (got a list)']);
    expect(problemsOf('')).toEqual([]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Prepare
    const { text, lineOf } = toYaml(c.config, [c.at]);
    const line = lineOf(c.missing ? c.at.slice(0, -1) : c.at);
    const path = c.at.join('.');

    // Act
    const problems = problemsOf(text);

    // Assess: exactly one problem, naming the key path, what was expected, and the line.
    expect(problems, text).toHaveLength(1);
    const match = new RegExp(`^${escapeRe(path)}: (.+) \\(line (\\d+)\\)$`).exec(problems[0]);
    expect(match, `${problems[0]}\n--- in ---\n${text}`).not.toBeNull();
    const [, message, reported] = match!;
    expect(Number(reported), text).toBe(line);
    if (c.unknownKey) expect(message).toBe('unknown key');
    else {
      expect(message.length).toBeGreaterThan(8);
      expect(message, 'a zod default message, not in the user terms').not.toMatch(ZOD_DEFAULT);
    }
  });
});

describe('a bad key in each section, as the user meets it', () => {
  // One case per top-level section (its first bad value at the deepest key) and an unknown top-level key, all in one file.
  const deepest = new Map<string, Case>();
  for (const c of CASES) if (!c.unknownKey && !c.missing && c.at.length > (deepest.get(c.section)?.at.length ?? 0)) deepest.set(c.section, c);
  const picked = [...deepest.values(), ...CASES.filter((c) => c.unknownKey && c.at.length === 1)];
  const config = Object.assign({}, ...picked.map((c) => c.config)) as Record<string, unknown>;
  const { text, lineOf } = toYaml(config, picked.map((c) => c.at));
  const file = join(mkdtempSync(join(tmpdir(), 'silent-audit-config-keys-')), 'silent-audit.config.yaml');
  writeFileSync(file, text);
  const fixture = fileURLToPath(new URL('../fixtures/instrumented/healthy.jsonl', import.meta.url));

  function expectEveryProblem(stderr: string) {
    expect(stderr).toContain(`${file}: invalid config`);
    for (const c of picked) expect(stderr, text).toMatch(new RegExp(`^  - ${escapeRe(c.at.join('.'))}: .+ \\(line ${lineOf(c.at)}\\)$`, 'm'));
    expect(stderr.match(/^ {2}- /gm)).toHaveLength(picked.length);
    expect(stderr).not.toMatch(/^\s+at /m);
  }

  it('picks one key from every section', () => {
    expect(picked.map((c) => c.section).sort()).toEqual([...Object.keys(ConfigSchema.shape), 'no_such_key'].sort());
  });

  it('silent-audit scan --config exits 2, naming the file, each key path and its line', () => {
    const { status, stderr } = runCli(['scan', '--config', file, fixture]);
    expect(status).toBe(2);
    expectEveryProblem(stderr);
  });

  it('the CDK app (synth) exits 1, naming the file, each key path and its line', () => {
    const { status, stderr } = runApp({ config: file });
    expect(status).toBe(1);
    expectEveryProblem(stderr);
  });
});

