import { readFileSync, existsSync } from 'node:fs';
import { Cron } from 'croner';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';

/**
 * The config file (contract §2), validated with zod; and the only reader of `process.env`.
 * Every key is optional; an invalid file is refused with the path of each bad key.
 */

const positiveInt = z.number({ error: 'expected a whole number' }).int('expected a whole number').positive('expected a number above 0');
const ratio = z.number({ error: 'expected a number' }).gt(0, 'expected a number above 0').lt(1, 'expected a number below 1');

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function isValidCron(expr: string): boolean {
  try {
    new Cron(expr, { paused: true });
    return true;
  } catch {
    return false;
  }
}

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

const regex = z.string().refine(isValidRegex, 'not a valid regular expression');
const dateOnly = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const s = v instanceof Date ? v.toISOString().slice(0, 10) : v;
  if (!/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(s) || Number.isNaN(Date.parse(s))) {
    ctx.addIssue({ code: 'custom', message: 'expected a date (YYYY-MM-DD)' });
    return z.NEVER;
  }
  return s;
});
const dateBound = z.string().refine((s) => /^[+-]\d+d$/.test(s) || !Number.isNaN(Date.parse(s)), 'expected a date or a relative ±Nd');

export const SeveritySchema = z.enum(['low', 'medium', 'high', 'critical']);

export const DefaultsSchema = z.strictObject({
  min_history: positiveInt.default(5),
  baseline_window: positiveInt.default(20),
  output_shrink_ratio: ratio.default(0.3),
  duration_slow_factor: z.number().gt(1, 'expected a factor above 1').default(3),
  duration_fast_factor: ratio.default(0.25),
  error_keywords: z
    .array(z.string().min(1))
    .default(['Traceback (most recent call last)', 'FATAL', 'panic:', 'No space left on device', 'ERROR:', 'Segmentation fault', 'Out of memory']),
  retry_rate_max: ratio.default(0.1),
  retry_min_requests: positiveInt.default(20),
  cost_outlier_factor: z.number().gt(1, 'expected a factor above 1').default(5),
  alert_cooldown_minutes: z.number().nonnegative().default(360),
  grace_minutes: z.number().nonnegative().default(15),
  max_exception_days: positiveInt.default(90),
  severity: z.partialRecord(z.string(), SeveritySchema).default({}),
});

export const JobSchema = z.strictObject({
  schedule: z.string().refine(isValidCron, 'not a cron expression').optional(),
  timezone: z.string().refine(isValidTimeZone, 'not an IANA time zone (e.g. Europe/Berlin)').optional(),
  grace_minutes: z.number().nonnegative().optional(),
  max_runtime_minutes: z.number().positive().optional(),
  expect_pattern: regex.optional(),
  error_keywords: z.array(z.string().min(1)).optional(),
  audit_records_per_run: z.number().positive().optional(),
  min_history: positiveInt.optional(),
  owner: z.string().optional(),
});

export const AgentSchema = z.strictObject({
  budget: z
    .strictObject({
      max_actions: positiveInt.optional(),
      max_cost_usd: z.number().nonnegative().optional(),
      scope: z.enum(['task', 'tick']).default('task'),
    })
    .optional(),
  cost_outlier_factor: z.number().gt(1).optional(),
  owner: z.string().optional(),
});

const SIMPLE_ARG_TYPES = ['uuid', 'email', 'number', 'integer', 'url', 'date', 'id', 'string'] as const;
const ARG_TYPE_EXPECTED = `expected one of ${SIMPLE_ARG_TYPES.join(', ')}, {date: {min, max}}, {enum: [...]} or {pattern: REGEX}`;
export const ArgTypeSchema = z.union([
  z.enum(SIMPLE_ARG_TYPES),
  z.strictObject({ date: z.strictObject({ min: dateBound.optional(), max: dateBound.optional() }) }),
  z.strictObject({ enum: z.array(z.union([z.string(), z.number()])).min(1) }),
  z.strictObject({ pattern: regex }),
], { error: ARG_TYPE_EXPECTED });

export const ToolSchema = z.strictObject({
  args: z.record(z.string(), ArgTypeSchema).default({}),
  owner: z.string().optional(),
});

export const RouteSchema = z.strictObject({
  retry_rate_max: ratio.optional(),
  p99_ms: z.number().positive().optional(),
  owner: z.string().optional(),
});

export const ExceptionSchema = z.strictObject({
  id: z.string().min(1),
  guard: z.string().min(1),
  reason: z.string().min(1, 'an exception needs a reason'),
  owner: z.string().min(1, 'an exception needs an owner'),
  expires: dateOnly,
});

export const DeploySchema = z.strictObject({
  log_groups: z.array(z.string().regex(/^[\w./#-]+$/, 'not a log group name')).default([]),
  alert_emails: z.array(z.email('not an email address')).default([]),
});

export const ConfigSchema = z.strictObject({
  defaults: DefaultsSchema.default(DefaultsSchema.parse({})),
  jobs: z.record(z.string(), JobSchema).default({}),
  agents: z.record(z.string(), AgentSchema).default({}),
  tools: z.record(z.string(), ToolSchema).default({}),
  routes: z.record(z.string(), RouteSchema).default({}),
  exceptions: z.array(ExceptionSchema).default([]),
  deploy: DeploySchema.default(DeploySchema.parse({})),
});

export type Config = z.infer<typeof ConfigSchema>;
export type Defaults = Config['defaults'];
export type JobConfig = z.infer<typeof JobSchema>;
export type AgentConfig = z.infer<typeof AgentSchema>;
export type ArgType = z.infer<typeof ArgTypeSchema>;
export type ExceptionConfig = z.infer<typeof ExceptionSchema>;

export const DEFAULT_CONFIG: Config = ConfigSchema.parse({});

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: invalid config\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
    this.name = 'ConfigError';
  }
}

/** Validates an already-parsed config object; `lineOf` maps a key path to a line number when known. */
export function validateConfig(raw: unknown, file = 'config', lineOf?: (path: PropertyKey[]) => number | undefined): Config {
  const result = ConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues
    .flatMap((issue) => {
      const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      return paths.map((path) => {
        const at = path.length ? path.map(String).join('.') : '(top level)';
        const line = lineOf?.(path);
        const message = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
        return { text: `${at}: ${message}${line ? ` (line ${line})` : ''}`, line: line ?? 0 };
      });
    })
    .sort((a, b) => a.line - b.line)
    .map((p) => p.text);
  throw new ConfigError(file, problems);
}

/** Parses YAML or JSON text (JSON is YAML) and validates it, naming file, key path and line. */
export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(file, problems);
  }
  const lineOf = (path: PropertyKey[]): number | undefined => {
    for (let depth = path.length; depth > 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return validateConfig(doc.toJS(), file, lineOf);
}

export const CONFIG_FILE_NAMES = ['silent-audit.config.yaml', 'silent-audit.config.yml', 'silent-audit.config.json'];

/** Reads `--config FILE`, else the first config file in the working folder, else the defaults. */
export function loadConfig(file?: string, cwd = process.cwd()): Config {
  const path = file ?? CONFIG_FILE_NAMES.map((n) => `${cwd}/${n}`).find((p) => existsSync(p));
  if (!path) return DEFAULT_CONFIG;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`], { cause: error });
  }
  return parseConfigText(text, path);
}

/** The settings the Lambdas take from their environment. Fails fast, naming the missing variable. */
export interface LambdaEnv {
  readonly tableName: string;
  readonly topicArn?: string;
  readonly reportBucket?: string;
  readonly dynamoEndpoint?: string;
  readonly config: Config;
}

declare const __SILENT_AUDIT_CONFIG__: string | undefined;

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

export function readLambdaEnv(env: NodeJS.ProcessEnv = process.env): LambdaEnv {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new EnvError('TABLE_NAME is not set: the function needs the state table name');
  // The config is compiled into the bundle at synth (esbuild define), or given as JSON in tests.
  const embedded = typeof __SILENT_AUDIT_CONFIG__ === 'string' ? __SILENT_AUDIT_CONFIG__ : env.SILENT_AUDIT_CONFIG;
  const config = embedded ? validateConfig(JSON.parse(embedded), 'embedded config') : DEFAULT_CONFIG;
  return {
    tableName,
    topicArn: env.TOPIC_ARN || undefined,
    reportBucket: env.REPORT_BUCKET || undefined,
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    config,
  };
}
