/**
 * silent-audit's agent kit: the detectors' definitions, usable before the fact.
 *
 * - `createAgentEmitter` writes the contract's agent lines (`agent.start`, `agent.action`,
 *   `agent.end`, `tool.call`) and keeps one budget pool per root run, shared by sub-agents,
 *   decremented at the innermost call, refusing the action that would go past it (`BudgetExhaustedError`).
 * - `validateToolArgs` checks tool arguments with the rules of the `tool-arg-invalid` detector
 *   and returns errors a model can read and act on.
 */
export {
  type ActionDetail,
  type ActionReceipt,
  type AgentBudget,
  AgentEmitter,
  type AgentEmitterOptions,
  BudgetExhaustedError,
  createAgentEmitter,
  type Remaining,
} from './emitter.ts';
export { type ToolArgsConfig, type ToolArgsResult, toolArgsFeedback, type ValidateOptions, validateToolArgs } from './validate.ts';
export { FREE_TEXT_ARGS, inferArgType, looksLikePlaceholder } from '../core/tool-args.ts';
export type { ArgType } from '../core/tool-args.ts';
