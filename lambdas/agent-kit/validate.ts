import { readToolsConfig } from '../config-tools.ts';
import { ownValue } from '../core/own-property.ts';
import { type ArgError, type ArgType, checkToolArgs } from '../core/tool-args.ts';
import { argumentsAsWritten } from './tool-call-args.ts';

/** The part of a silent-audit config the validator reads: `tools.<name>.args`. */
export interface ToolArgsConfig {
  readonly tools?: Readonly<Record<string, { readonly args?: Readonly<Record<string, ArgType>> } | undefined>>;
}

export interface ToolArgsResult {
  readonly ok: boolean;
  /** One per bad argument; `message` is written for the model to read and correct the call. */
  readonly errors: readonly Pick<ArgError, 'arg' | 'expected' | 'got' | 'message'>[];
}

export interface ValidateOptions {
  /** What relative date bounds (`-30d`) count from; default now. */
  readonly now?: Date | number;
  /** Type unconfigured arguments by their names (`*_id`, `email`, `amount`, `*_at`, …); default true. */
  readonly inferFromNames?: boolean;
}

type ToolsRead = ReturnType<typeof readToolsConfig>['tools'];

/** Each config's `tools` as the pipeline reads them, read once per config object. */
const toolsRead = new WeakMap<ToolArgsConfig, ToolsRead>();

/** `config.tools` as the pipeline reads it; a `TypeError` naming each key the pipeline would refuse (`tools.t.args.user_id: expected one of uuid, …`). */
function toolsOf(config: ToolArgsConfig): ToolsRead {
  const known = toolsRead.get(config);
  if (known) return known;
  const { tools, problems } = readToolsConfig(config.tools);
  if (problems.length > 0) throw new TypeError(`validateToolArgs: the config's tools section is refused, as silent-audit refuses it: ${problems.join('; ')}`);
  toolsRead.set(config, tools);
  return tools;
}

/**
 * Checks a tool call's arguments before dispatch, with the same rules the `tool-arg-invalid`
 * detector applies after the fact. On `ok: false`, send the messages back to the model instead of
 * calling the tool: they say what each argument must be, what came instead, and what to pass.
 * `args` is an object, or its JSON text (OpenAI's `function.arguments`); anything else throws a
 * `TypeError`. They are judged as `toolCall` writes them and the detector reads them, through JSON:
 * a Date is its ISO text, NaN and Infinity are `null` (not checked, like an absent argument).
 * `config.tools` is checked as the pipeline checks it, once per config object (change a copy, not
 * the object): a type, enum, pattern or date bound it would refuse throws a `TypeError` naming its key.
 */
export function validateToolArgs(tool: string, args: Readonly<Record<string, unknown>> | string, config: ToolArgsConfig = {}, options: ValidateOptions = {}): ToolArgsResult {
  const argsObject = argumentsAsWritten(`validateToolArgs(${JSON.stringify(tool)}):`, args);
  const now = options.now === undefined ? Date.now() : options.now instanceof Date ? options.now.getTime() : options.now;
  const errors = checkToolArgs(argsObject, ownValue(toolsOf(config), tool)?.args, { now, inferFromNames: options.inferFromNames });
  return { ok: errors.length === 0, errors: errors.map(({ arg, expected, got, message }) => ({ arg, expected, got, message })) };
}

/** The errors as one message for the model: one line per argument. */
export function toolArgsFeedback(tool: string, result: ToolArgsResult): string {
  if (result.ok) return '';
  return [`The call to ${tool} was not made: fix these arguments and call it again.`, ...result.errors.map((e) => `- ${e.message}`)].join('\n');
}
