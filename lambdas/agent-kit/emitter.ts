import { identifierFits, MAX_ID_BYTES, MAX_ID_CHARS } from '../core/identifier-limits.ts';
import { MAX_COST_USD, MAX_DURATION_MS, MAX_TOKENS } from '../core/quantity-limits.ts';
import { argumentsAsWritten, argumentsWithinLine, described } from './tool-call-args.ts';

/**
 * The agent emitter: writes the contract's agent lines (§1a) while it keeps the budget, so the
 * rule that detects a leak after the fact is the rule that prevents it. One pool per root run,
 * shared by every sub-agent (`child`), decremented at the innermost call, refusing the action that
 * would go past it.
 */

/** A budget as `agent.start` and the config write it. */
export interface AgentBudget {
  readonly max_actions?: number;
  readonly max_cost_usd?: number;
  /** `task` (default): for the whole run and everything under it; `tick`: for each tick. */
  readonly scope?: 'task' | 'tick';
}

/** What one action cost; all optional. Numbers are finite and 0 or more (tokens and ticks whole), as the contract accepts them. */
export interface ActionDetail {
  /** The tool's or model's name: `web_search`, `gpt-4o`. */
  readonly name?: string;
  /** The tick it belongs to; default the emitter's current tick (see `tick()`), if one was started. */
  readonly tick?: number;
  readonly cost_usd?: number;
  readonly tokens_in?: number;
  readonly tokens_out?: number;
  readonly duration_ms?: number;
}

/** What is left of the budgets an action counted against; `undefined` where there is no limit. */
export interface Remaining {
  readonly actions?: number;
  readonly cost_usd?: number;
}

export interface ActionReceipt {
  readonly action_id: string;
  readonly remaining: Remaining;
}

export interface AgentEmitterOptions {
  readonly agent: string;
  /** Where lines go: `console.log`, a stream's write, an array's push. One JSON object per call, no newline. */
  readonly write: (line: string) => void;
  /**
   * The root's budget: the pool every sub-agent shares. As the config takes it: `max_actions` a
   * whole number above 0, `max_cost_usd` a number 0 or more; anything else throws a `TypeError`.
   */
  readonly budget?: AgentBudget;
  /** Epoch ms; default `Date.now`. */
  readonly clock?: () => number;
  /** The run's id; default a random UUID. */
  readonly runId?: string;
  /** Ids for sub-agent runs; default random UUIDs. */
  readonly newRunId?: () => string;
  /**
   * Each emitter's (root's and sub-agent's) nonce in its `action_id`s (`<run_id>#<nonce>.<seq>`);
   * default 8 random hex characters. Another process writing under the same run id (a Kubernetes
   * Job's retried pod, a conversation resumed on another replica) gets another, so the pipeline,
   * which counts one `action_id` once, does not take its actions for redeliveries.
   */
  readonly newNonce?: () => string;
}

/** Thrown (or returned, by `tryAction`) when an action would go past a budget: the caller stops and ends the run. */
export class BudgetExhaustedError extends Error {
  readonly limit: 'actions' | 'cost';
  readonly scope: 'task' | 'tick';
  readonly max: number;
  readonly used: number;
  /** The run whose budget ran out (the root's pool, or a sub-agent's own). */
  readonly budgetRunId: string;
  /** The run that tried to act. */
  readonly runId: string;
  readonly agent: string;

  constructor(detail: { limit: 'actions' | 'cost'; scope: 'task' | 'tick'; max: number; used: number; budgetRunId: string; runId: string; agent: string; tick?: number; actionCost?: number }) {
    const what = detail.limit === 'actions' ? `${detail.used} of ${detail.max} actions` : `$${detail.used.toFixed(4)} of $${detail.max.toFixed(2)}`;
    const per = detail.scope === 'tick' ? ` in tick ${detail.tick ?? 0}` : '';
    const past = detail.limit === 'cost' && detail.actionCost ? `, and this action's $${detail.actionCost.toFixed(4)} would go past it` : '';
    super(
      `budget exhausted: ${what} used${per} (budget of run ${detail.budgetRunId})${past}; ${detail.agent} run ${detail.runId} must stop: end the run with status "budget_exhausted" and leave the rest for review`,
    );
    this.name = 'BudgetExhaustedError';
    this.limit = detail.limit;
    this.scope = detail.scope;
    this.max = detail.max;
    this.used = detail.used;
    this.budgetRunId = detail.budgetRunId;
    this.runId = detail.runId;
    this.agent = detail.agent;
  }
}

/**
 * The numbers of an `agent.action` as the contract (§1a) accepts them. Checked before any budget is
 * touched: one NaN cost would make every later sum NaN and every budget check pass, a negative one
 * would give budget back, and the pipeline rejects either line.
 */
const DETAIL_NUMBERS: readonly { key: keyof ActionDetail; expected: string; whole: boolean; max?: { value: number; text: string } }[] = [
  { key: 'tick', expected: 'a whole number, 0 or more', whole: true },
  { key: 'cost_usd', expected: 'a number of dollars, 0 or more', whole: false, max: { value: MAX_COST_USD, text: `${MAX_COST_USD} dollars` } },
  { key: 'tokens_in', expected: 'a whole number of tokens, 0 or more', whole: true, max: { value: MAX_TOKENS, text: `${MAX_TOKENS} tokens` } },
  { key: 'tokens_out', expected: 'a whole number of tokens, 0 or more', whole: true, max: { value: MAX_TOKENS, text: `${MAX_TOKENS} tokens` } },
  { key: 'duration_ms', expected: 'a number of milliseconds, 0 or more', whole: false, max: { value: MAX_DURATION_MS, text: `${MAX_DURATION_MS} (366 days)` } },
];

/**
 * Why a whole number is refused for being past 2^53 - 1 (a JSON number past it is not read back
 * exactly): the bound, not "must be a whole number", which it is. Undefined for any other value.
 */
function pastSafeInteger(what: string, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || Number.isSafeInteger(value) || value < 0) return undefined;
  return `${what} must be at most ${Number.MAX_SAFE_INTEGER} (2^53 - 1); got ${described(value)}`;
}

/** Why `detail` cannot be written, or undefined. */
function detailProblem(detail: ActionDetail): string | undefined {
  if (detail.name !== undefined && typeof detail.name !== 'string') return `name must be text; got ${described(detail.name)}`;
  for (const { key, expected, whole, max } of DETAIL_NUMBERS) {
    const value: unknown = detail[key];
    if (value === undefined) continue;
    const number = typeof value === 'number' && Number.isFinite(value) && value >= 0;
    // The pipeline's bound: a larger number is a wrong unit or a corrupt one, and sums of it overflow.
    if (number && max !== undefined && value > max.value) return `${key} must be at most ${max.text}; got ${described(value)}`;
    if (whole) {
      const past = pastSafeInteger(key, value);
      if (past !== undefined) return past;
    }
    if (!number || (whole && !Number.isSafeInteger(value))) return `${key} must be ${expected}; got ${described(value)}`;
  }
  return undefined;
}

/** Why `end(status, { output_bytes })` cannot be written as the contract's `agent.end` (§1a), or undefined. */
function endProblem(status: unknown, outputBytes: unknown): string | undefined {
  if (typeof status !== 'string' || status === '') return `status must be non-empty text ("ok", "error", "budget_exhausted", …); got ${described(status)}`;
  if (outputBytes === undefined || (Number.isSafeInteger(outputBytes) && (outputBytes as number) >= 0)) return undefined;
  return pastSafeInteger('output_bytes', outputBytes) ?? `output_bytes must be a whole number of bytes, 0 or more; got ${described(outputBytes)}`;
}

/**
 * Why `value` cannot be written as the identifier `what` (agent, run_id, parent_run_id, tool,
 * call_id), by the pipeline's rules (`identifierFits`: they become parts of storage keys), or
 * undefined: a `TypeError` for anything but a string, a `RangeError` for one empty (where a name is
 * required) or past the bound.
 */
function idProblem(what: string, value: unknown, emptyOk = false): TypeError | RangeError | undefined {
  if (typeof value !== 'string') return new TypeError(`${what} must be ${emptyOk ? 'a' : 'a non-empty'} string; got ${described(value)}`);
  if (value === '' && !emptyOk) return new RangeError(`${what} must be a non-empty string; got the empty string`);
  if (identifierFits(value)) return undefined;
  if (value.length > MAX_ID_CHARS) return new RangeError(`${what} must be at most ${MAX_ID_CHARS} characters (identifiers become storage keys); got ${value.length}`);
  return new RangeError(`${what} must be at most ${MAX_ID_BYTES} bytes of UTF-8 (identifiers become storage keys); got ${Buffer.byteLength(value, 'utf8')}`);
}

/** Throws, with nothing written, when `value` is not an identifier the pipeline reads (`idProblem`). */
function checkId(where: string, what: string, value: unknown, emptyOk = false): void {
  const problem = idProblem(what, value, emptyOk);
  if (problem === undefined) return;
  const Kind = problem instanceof RangeError ? RangeError : TypeError;
  throw new Kind(`${where}: ${problem.message}. Nothing was recorded: every line naming it would be rejected by the pipeline.`);
}

/** A run id `newRunId` gave, checked as one passed would be. */
function newRunIdOf(where: string, newRunId: () => string): string {
  const runId = newRunId();
  checkId(where, 'the run id newRunId() gave', runId);
  return runId;
}

const BUDGET_KEYS: ReadonlySet<string> = new Set(['max_actions', 'max_cost_usd', 'scope']);

/**
 * Why `budget` cannot be kept or written, by the rules of `agents.<agent>.budget` in the config
 * (the pipeline rejects an `agent.start` whose budget breaks them), or undefined.
 */
function budgetProblem(budget: unknown): string | undefined {
  if (budget === undefined) return undefined;
  if (typeof budget !== 'object' || budget === null || Array.isArray(budget)) return `budget must be an object such as { max_actions: 20, max_cost_usd: 0.5 }; got ${described(budget)}`;
  const unknown = Object.keys(budget).find((key) => !BUDGET_KEYS.has(key));
  if (unknown !== undefined) return `budget has no ${unknown}: it takes max_actions, max_cost_usd and scope`;
  const { max_actions: actions, max_cost_usd: cost, scope } = budget as Record<string, unknown>;
  if (actions !== undefined && !(Number.isSafeInteger(actions) && (actions as number) > 0)) return pastSafeInteger('budget.max_actions', actions) ?? `budget.max_actions must be a whole number above 0; got ${described(actions)}`;
  if (cost !== undefined && !(typeof cost === 'number' && Number.isFinite(cost) && cost >= 0)) return `budget.max_cost_usd must be a number of dollars, 0 or more; got ${described(cost)}`;
  if (scope !== undefined && scope !== 'task' && scope !== 'tick') return `budget.scope must be "task" or "tick"; got ${described(scope)}`;
  return undefined;
}

function checkBudget(where: string, budget: unknown): void {
  const problem = budgetProblem(budget);
  if (problem !== undefined) throw new TypeError(`${where}: ${problem} (the rules of agents.<agent>.budget in the config).`);
}

/** What `line()` adds: `,"ts":"…"`, with room for the longest ISO time (`+275760-09-13T00:00:00.000Z`). */
const TS_FIELD_BYTES = 40;

/** Cost sums differ from exact decimals by float noise; the budget-exceeded detector allows the same. */
const USD_EPSILON = 1e-6;

/** One budget and what has been spent against it (per tick for a per-tick budget). */
class Pool {
  actions = 0;
  cost = 0;
  private readonly ticks = new Map<number, { actions: number; cost: number }>();

  constructor(
    readonly budget: AgentBudget,
    readonly runId: string,
  ) {}

  private usage(tick: number | undefined): { actions: number; cost: number } {
    if (this.budget.scope !== 'tick') return this;
    const key = tick ?? 0;
    let used = this.ticks.get(key);
    if (!used) this.ticks.set(key, (used = { actions: 0, cost: 0 }));
    return used;
  }

  /**
   * The error if one more action, costing `cost` (undefined: not known), would break this budget,
   * else undefined. An action whose cost is not known is refused once nothing is left.
   */
  check(tick: number | undefined, cost: number | undefined, runId: string, agent: string): BudgetExhaustedError | undefined {
    const used = this.usage(tick);
    const scope = this.budget.scope ?? 'task';
    const max = this.budget.max_actions;
    if (max !== undefined && used.actions >= max) return new BudgetExhaustedError({ limit: 'actions', scope, max, used: used.actions, budgetRunId: this.runId, runId, agent, tick });
    const maxCost = this.budget.max_cost_usd;
    const pastCost = maxCost !== undefined && (cost === undefined ? used.cost >= maxCost - USD_EPSILON : used.cost + cost > maxCost + USD_EPSILON);
    if (pastCost) return new BudgetExhaustedError({ limit: 'cost', scope, max: maxCost, used: used.cost, budgetRunId: this.runId, runId, agent, tick, actionCost: cost });
    return undefined;
  }

  spend(tick: number | undefined, cost: number): void {
    const used = this.usage(tick);
    used.actions++;
    used.cost += cost;
    if (used !== this) {
      this.actions++;
      this.cost += cost;
    }
  }

  remaining(tick: number | undefined): Remaining {
    const used = this.usage(tick);
    return {
      ...(this.budget.max_actions !== undefined ? { actions: Math.max(0, this.budget.max_actions - used.actions) } : {}),
      ...(this.budget.max_cost_usd !== undefined ? { cost_usd: Math.max(0, this.budget.max_cost_usd - used.cost) } : {}),
    };
  }
}

/** What the runs of one tree share: the clock of ticks. */
interface TreeShared {
  tick: number | undefined;
  readonly clock: () => number;
  readonly write: (line: string) => void;
  readonly newRunId: () => string;
  readonly newNonce: () => string;
}

function hasLimit(budget: AgentBudget | undefined): budget is AgentBudget {
  return budget !== undefined && (budget.max_actions !== undefined || budget.max_cost_usd !== undefined);
}

function tighter(a: Remaining, b: Remaining): Remaining {
  const min = (x: number | undefined, y: number | undefined) => (x === undefined ? y : y === undefined ? x : Math.min(x, y));
  const actions = min(a.actions, b.actions);
  const cost = min(a.cost_usd, b.cost_usd);
  return { ...(actions !== undefined ? { actions } : {}), ...(cost !== undefined ? { cost_usd: cost } : {}) };
}

/**
 * One agent run's emitter. Create the root with `createAgentEmitter`, sub-agents with `child()`.
 * Every action is checked against every budget above it (the root's pool and any sub-agent's own
 * tighter one) before it is written: one that would go past a budget (its stated cost included) is
 * refused with a `BudgetExhaustedError`.
 */
export class AgentEmitter {
  readonly agent: string;
  readonly runId: string;
  readonly parentRunId?: string;
  private readonly pools: readonly Pool[];
  private readonly ownBudget?: AgentBudget;
  private readonly parent?: AgentEmitter;
  /** What started the run (`start()`, its first action, …), and the parent its `agent.start` named; undefined until it started. */
  private startedBy?: string;
  private startedUnder?: string;
  private ended = false;
  private seq = 0;
  /** Makes this emitter's `action_id`s its own: `seq` starts at 1 in every process using the run id. */
  private readonly nonce: string;
  /** Actions and cost of this run and every sub-agent under it: what `end()` reports. */
  private subtreeActions = 0;
  private subtreeCost = 0;
  private costSeen = false;

  /** @internal use `createAgentEmitter` and `child` */
  constructor(
    private readonly shared: TreeShared,
    options: { agent: string; runId: string; budget?: AgentBudget; parent?: AgentEmitter; inherited: readonly Pool[] },
  ) {
    this.agent = options.agent;
    this.runId = options.runId;
    this.parent = options.parent;
    this.parentRunId = options.parent?.runId;
    this.ownBudget = hasLimit(options.budget) ? { ...options.budget, scope: options.budget.scope ?? 'task' } : undefined;
    this.pools = this.ownBudget ? [...options.inherited, new Pool(this.ownBudget, this.runId)] : options.inherited;
    this.nonce = shared.newNonce();
  }

  /**
   * Throws when this run, or a run above it, has ended: that run's `agent.end` counted the actions
   * under it, so an action (or a sub-agent) written after it would not be in its count and the
   * pipeline would report the honest agent's `budget-undercount`.
   */
  private refuseIfEnded(what: string): void {
    if (this.ended) throw new Error(`${this.agent} run ${this.runId} already ended: no ${what} after end()`);
    for (let above = this.parent; above; above = above.parent) {
      if (!above.ended) continue;
      const whose = above === this.parent ? 'its parent' : 'a run above it,';
      throw new Error(
        `${this.agent} run ${this.runId}: ${whose} ${above.agent} run ${above.runId}, already ended, and its agent.end counted the actions under it: no ${what} after that end(). End a sub-agent before the run above it. Nothing was recorded.`,
      );
    }
  }

  private line(body: Record<string, unknown>): void {
    this.shared.write(JSON.stringify({ ...body, ts: new Date(this.shared.clock()).toISOString() }));
  }

  /**
   * Writes `agent.start` (with the parent and this run's own budget). Called by the first action if
   * not before. Once started, a repeat that changes nothing does nothing, and one naming another
   * parent throws an `Error`: its `agent.start` is written, and its actions would stay out of that parent's tree.
   */
  start(options: { parentRunId?: string } = {}): void {
    if (options.parentRunId !== undefined) checkId(`${this.agent} run ${this.runId}: start()`, 'parentRunId', options.parentRunId);
    if (this.startedBy !== undefined && options.parentRunId !== undefined && options.parentRunId !== this.startedUnder) {
      const now = this.startedUnder === undefined ? 'as a root of its own' : `under parent ${this.startedUnder}`;
      const parent = options.parentRunId;
      throw new Error(
        `${this.agent} run ${this.runId} already started, ${now} (${this.startedBy} started it): start({ parentRunId: ${JSON.stringify(parent)} }) must come before its first action, or its actions stay out of ${parent}'s tree and budget. Nothing was recorded.`,
      );
    }
    this.begin('start()', options.parentRunId);
  }

  private begin(by: string, parentRunId?: string): void {
    if (this.startedBy !== undefined) return;
    const parent = parentRunId ?? this.parentRunId;
    this.line({
      type: 'agent.start',
      agent: this.agent,
      run_id: this.runId,
      ...(parent !== undefined ? { parent_run_id: parent } : {}),
      ...(this.ownBudget ? { budget: this.ownBudget } : {}),
    });
    // Written, then marked started: a write that throws leaves the run to start again, not started with no line.
    this.startedBy = by;
    this.startedUnder = parent;
  }

  /** Starts the next tick (one loop iteration, one turn); per-tick budgets start afresh. Returns its number. */
  tick(n?: number): number {
    if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) throw new TypeError(`${this.agent} run ${this.runId}: ${pastSafeInteger('tick(n)', n) ?? `tick(n) takes a whole number, 0 or more; got ${described(n)}`}`);
    this.shared.tick = n ?? (this.shared.tick === undefined ? 0 : this.shared.tick + 1);
    return this.shared.tick;
  }

  /** The tightest of the budgets this run acts under. */
  remaining(tick = this.shared.tick): Remaining {
    return this.pools.reduce<Remaining>((acc, pool) => tighter(acc, pool.remaining(tick)), {});
  }

  /**
   * Records one action (an LLM call, a tool call, …) after checking every budget above this run:
   * returns a receipt, or the `BudgetExhaustedError` when the action would go past a budget, its
   * `cost_usd` included (nothing written). Throws a `TypeError`, before any budget is touched and
   * with nothing written, when a number in `detail` is not one the contract accepts (NaN, negative, …),
   * and an `Error` when this run or a run above it has ended (its `agent.end` would not count it).
   */
  tryAction(action: string, detail: ActionDetail = {}): ActionReceipt | BudgetExhaustedError {
    this.refuseIfEnded('actions');
    if (typeof action !== 'string' || action === '') throw new TypeError(`${this.agent} run ${this.runId}: an action must be named by non-empty text (llm_call, tool_call, …); got ${described(action)}. Nothing was recorded.`);
    const problem = detailProblem(detail);
    if (problem !== undefined) {
      throw new TypeError(
        `${this.agent} run ${this.runId}: the ${action} action's ${problem}. Nothing was recorded: pass the measured value (a cost computed from a model missing from a price table is NaN), or leave it out when it is not known.`,
      );
    }
    const tick = detail.tick ?? this.shared.tick;
    for (const pool of this.pools) {
      const exhausted = pool.check(tick, detail.cost_usd, this.runId, this.agent);
      if (exhausted) return exhausted;
    }
    this.begin('its first action');
    const cost = detail.cost_usd ?? 0;
    for (const pool of this.pools) pool.spend(tick, cost);
    for (let e: AgentEmitter | undefined = this; e; e = e.parent) {
      e.subtreeActions++;
      e.subtreeCost += cost;
      if (detail.cost_usd !== undefined) e.costSeen = true;
    }
    const actionId = `${this.runId}#${this.nonce}.${++this.seq}`;
    this.line({
      type: 'agent.action',
      agent: this.agent,
      run_id: this.runId,
      action,
      action_id: actionId,
      ...(detail.name !== undefined ? { name: detail.name } : {}),
      ...(tick !== undefined ? { tick } : {}),
      ...(detail.cost_usd !== undefined ? { cost_usd: detail.cost_usd } : {}),
      ...(detail.tokens_in !== undefined ? { tokens_in: detail.tokens_in } : {}),
      ...(detail.tokens_out !== undefined ? { tokens_out: detail.tokens_out } : {}),
      ...(detail.duration_ms !== undefined ? { duration_ms: detail.duration_ms } : {}),
    });
    return { action_id: actionId, remaining: this.remaining(tick) };
  }

  /** Like `tryAction`, but throws the `BudgetExhaustedError`. Call it before making the call it records. */
  action(action: string, detail: ActionDetail = {}): ActionReceipt {
    const result = this.tryAction(action, detail);
    if (result instanceof BudgetExhaustedError) throw result;
    return result;
  }

  /**
   * A tool call: the `tool_call` action (budget-checked) and the `tool.call` line with its arguments:
   * an object, or its JSON text (OpenAI's `function.arguments`), written as the object. Anything
   * else, and arguments JSON cannot carry (a BigInt, a circular reference), throws a `TypeError`
   * before the action is recorded. Long texts are cut when the line would be too long for the
   * pipeline (`argumentsWithinLine`). Every call spends one action, a retry with the same `callId`
   * too (each try is work the run did), though the pipeline keeps one `tool.call` per `call_id`.
   */
  toolCall(tool: string, args: Readonly<Record<string, unknown>> | string, detail: Omit<ActionDetail, 'name'> & { callId?: string } = {}): ActionReceipt {
    this.refuseIfEnded('tool calls');
    const { callId, ...rest } = detail;
    checkId(`${this.agent} run ${this.runId}: toolCall()`, "the tool's name", tool);
    const where = `${this.agent} run ${this.runId}: toolCall(${JSON.stringify(tool)})`;
    // The pipeline takes an empty call_id (it is optional, and bounded): so does the kit.
    if (callId !== undefined) checkId(where, 'callId', callId, true);
    // Written as JSON before the action is recorded: arguments that cannot be (a BigInt, a cycle) leave nothing behind.
    const written = argumentsAsWritten(where, args, '. Nothing was recorded.');
    const body = (a: Record<string, unknown>) => ({ type: 'tool.call', tool, args: a, agent: this.agent, run_id: this.runId, ...(callId !== undefined ? { call_id: callId } : {}) });
    const fitted = argumentsWithinLine(where, written, (a) => Buffer.byteLength(JSON.stringify(body(a)), 'utf8') + TS_FIELD_BYTES, this.shared.clock, '. Nothing was recorded.');
    const receipt = this.action('tool_call', { ...rest, name: tool });
    this.line(body(fitted));
    return receipt;
  }

  /**
   * A sub-agent run under this one: its actions count against this run's pool (and the root's),
   * and against its own `budget` too when it has one (held to the config's rules, as the root's).
   */
  child(agent: string, options: { budget?: AgentBudget; runId?: string } = {}): AgentEmitter {
    this.refuseIfEnded('sub-agents');
    checkId(`${this.agent} run ${this.runId}: child()`, "the sub-agent's name", agent);
    const where = `${this.agent} run ${this.runId}: child(${JSON.stringify(agent)})`;
    if (options.runId !== undefined) checkId(where, 'runId', options.runId);
    checkBudget(where, options.budget);
    const runId = options.runId ?? newRunIdOf(where, this.shared.newRunId);
    this.begin('its first child()');
    return new AgentEmitter(this.shared, { agent, runId, budget: options.budget, parent: this, inherited: this.pools });
  }

  /**
   * Writes `agent.end` with the actions (and cost) of this run and everything under it: the honest
   * count. `status` is non-empty text (`ok`, `error`, `budget_exhausted`, …) and `output_bytes` a
   * whole number, 0 or more: anything else throws a `TypeError` with nothing written and the run not
   * ended, so a corrected `end()` still writes the count. The run is marked ended once its line is written.
   */
  end(status = 'ok', extra: { output_bytes?: number } = {}): void {
    if (this.ended) return;
    const problem = endProblem(status, extra.output_bytes);
    if (problem !== undefined) throw new TypeError(`${this.agent} run ${this.runId}: end(): ${problem}. Nothing was recorded: the run is not ended.`);
    this.begin('end()');
    this.line({
      type: 'agent.end',
      agent: this.agent,
      run_id: this.runId,
      status,
      actions_reported: this.subtreeActions,
      ...(this.costSeen ? { cost_reported_usd: Math.round(this.subtreeCost * 1e6) / 1e6 } : {}),
      ...(this.parentRunId !== undefined ? { parent_run_id: this.parentRunId } : {}),
      ...(extra.output_bytes !== undefined ? { output_bytes: extra.output_bytes } : {}),
    });
    // Written, then marked ended: a write that throws leaves the run open, for an end() that writes the count.
    this.ended = true;
  }
}

/** 8 random hex characters: 2^32 values, so two processes sharing a run id collide about once in 4 billion. */
function randomNonce(): string {
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The root run's emitter; its budget is the pool every `child()` shares. `agent`, `runId` and the
 * ids `newRunId` gives are identifiers as the pipeline reads them: non-empty strings of at most
 * `MAX_ID_CHARS` (256) characters (UTF-16 units) and `MAX_ID_BYTES` (400) bytes of UTF-8. Anything
 * else throws where it is passed, with nothing written: a `TypeError` for what is not a string (a
 * number: pass `String(it)`), a `RangeError` for an empty or too long one. So do `child()`'s name
 * and `runId`, `start()`'s `parentRunId`, and `toolCall()`'s tool name and `callId` (which may be empty).
 */
export function createAgentEmitter(options: AgentEmitterOptions): AgentEmitter {
  checkId('createAgentEmitter()', 'agent', options.agent);
  const where = `createAgentEmitter(${JSON.stringify(options.agent)})`;
  if (options.runId !== undefined) checkId(where, 'runId', options.runId);
  checkBudget(where, options.budget);
  const shared: TreeShared = {
    tick: undefined,
    clock: options.clock ?? Date.now,
    write: options.write,
    newRunId: options.newRunId ?? (() => globalThis.crypto.randomUUID()),
    newNonce: options.newNonce ?? randomNonce,
  };
  return new AgentEmitter(shared, { agent: options.agent, runId: options.runId ?? newRunIdOf(where, shared.newRunId), budget: options.budget, inherited: [] });
}
