import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { getParseErrorMessage } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type CallToolResult, ErrorCode, isJSONRPCRequest, type JSONRPCMessage, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { storeProblem } from '../cli/stores.ts';
import { type AuditReadView, ToolArgumentError } from './audit-view.ts';
import type { AuditTool } from './tool.ts';
import { AUDIT_TOOLS } from './tools/index.ts';
import { VERSION } from '../version.ts';

const INSTRUCTIONS =
  'silent-audit finds silent failures in scheduled jobs and AI agents: runs that exit 0 with empty or shrunken output, runs that never happened, ' +
  'agents over budget, guards bypassed without a valid exception. These tools only read the audit. Start with list_subjects or find_findings, ' +
  'then subject_status for one subject, find_overdue for late jobs, explain_finding for the 5 Cs of a finding, list_exceptions for the bypass registry.';

function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Runs one tool: its answer as structured content (and text), a refusal or a store problem as a tool error the model can read. */
async function answer<I extends z.ZodRawShape, O extends z.ZodRawShape>(tool: AuditTool<I, O>, view: AuditReadView, args: z.infer<z.ZodObject<I>>): Promise<CallToolResult> {
  try {
    const { result, text } = await tool.run(view, args);
    return { content: [{ type: 'text', text: text ?? JSON.stringify(result) }], structuredContent: result as Record<string, unknown> };
  } catch (error) {
    if (error instanceof ToolArgumentError) return errorResult(`${tool.name}: ${error.message}`);
    const problem = storeProblem(error, view.source);
    if (problem !== undefined) return errorResult(`${tool.name}: ${problem}`);
    throw error;
  }
}

/**
 * A tool's input schema, strict: an argument it does not take (a misspelt `severity` for
 * `min_severity`) is a tool error naming the arguments it takes, never silently dropped, which
 * would answer as if no filter had been asked.
 */
function strictInput<I extends z.ZodRawShape>(tool: AuditTool<I, z.ZodRawShape>): z.ZodObject<I> {
  return z.strictObject(tool.inputSchema, { error: (issue) => (issue.code === 'unrecognized_keys' ? takesNoArgument(tool, issue.keys) : undefined) });
}

/** Why a tool refuses arguments it does not take, naming those it takes. */
function takesNoArgument(tool: AuditTool<z.ZodRawShape, z.ZodRawShape>, keys: readonly string[]): string {
  const takes = Object.keys(tool.inputSchema);
  return `${tool.name} takes no argument ${keys.map((k) => JSON.stringify(k)).join(', ')}; it takes ${takes.length > 0 ? takes.join(', ') : 'none'}`;
}

/**
 * A `tools/call` of one of our tools with an argument named `__proto__` (JSON.parse makes it an
 * own key): the SDK's request schema (a `z.record`) drops that key before `strictInput` sees the
 * arguments, so it is refused here by that schema, with every other problem of the call, in the
 * tool error the SDK gives any other (`Input validation error: …`, its `getParseErrorMessage`).
 */
function protoArgument(call: ToolCall): JSONRPCMessage | undefined {
  const { id, name, args } = call;
  if (typeof args !== 'object' || args === null || !Object.hasOwn(args, '__proto__')) return undefined;
  const tool = (AUDIT_TOOLS as readonly AuditTool<z.ZodRawShape, z.ZodRawShape>[]).find((t) => t.name === name);
  if (tool === undefined) return undefined;
  // The copy keeps `__proto__` an own key, which the strict schema names with every other problem of the call.
  const checked = strictInput(tool).safeParse({ ...args });
  if (checked.success) return undefined;
  const refusal = new McpError(ErrorCode.InvalidParams, `Input validation error: Invalid arguments for tool ${tool.name}: ${getParseErrorMessage(checked.error)}`);
  return { jsonrpc: '2.0', id, result: errorResult(refusal.message) };
}

/** A `tools/call` request as the checks before the SDK's read it: its id, the tool it names and its arguments as sent. */
interface ToolCall {
  readonly id: string | number;
  readonly name: unknown;
  readonly args: unknown;
}

/** The message as a `tools/call` request, or undefined for any other message. */
function toolCallOf(message: JSONRPCMessage): ToolCall | undefined {
  if (!isJSONRPCRequest(message) || message.method !== 'tools/call') return undefined;
  const params = message.params as { name?: unknown; arguments?: unknown } | undefined;
  return { id: message.id, name: params?.name, args: params?.arguments };
}

/**
 * The MCP server of the audit: every tool of `AUDIT_TOOLS`, each given only the read-only view.
 * Bad arguments come back as tool errors (`isError`), from the SDK's schema check or the tool's own.
 */
export function createAuditMcpServer(view: AuditReadView): McpServer {
  const server = new McpServer({ name: 'silent-audit', version: VERSION }, { instructions: INSTRUCTIONS });
  for (const tool of AUDIT_TOOLS as readonly AuditTool<z.ZodRawShape, z.ZodRawShape>[]) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: strictInput(tool),
        outputSchema: tool.outputSchema,
        annotations: { title: tool.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      (args: z.infer<z.ZodObject<z.ZodRawShape>>) => answer(tool, view, args),
    );
  }
  return server;
}

/** A JSON-RPC error answering a message that has no id to answer (JSON-RPC 2.0 answers those with id null). */
function errorWithoutId(code: number, message: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id: null, error: { code, message } } as unknown as JSONRPCMessage;
}

/**
 * A `tools/call` whose `arguments` is not an object (a string, a list, null): the SDK would answer
 * -32603 Internal error with its schema check's dump; this is the client's mistake, -32602.
 */
function argumentsNotAnObject(call: ToolCall): JSONRPCMessage | undefined {
  const { id, name, args } = call;
  if (args === undefined || (typeof args === 'object' && args !== null && !Array.isArray(args))) return undefined;
  const given = args === null ? 'null' : Array.isArray(args) ? 'a list' : `a ${typeof args}`;
  return {
    jsonrpc: '2.0',
    id,
    error: { code: ErrorCode.InvalidParams, message: `Invalid params: the arguments of ${String(name)} must be an object naming each argument (e.g. {"since": "7d"}), not ${given}` },
  };
}

/**
 * Connects the server to a transport, answering what the SDK leaves unanswered or calls an
 * internal error: a line that is not JSON gets -32700 Parse error and one that is JSON but no
 * JSON-RPC message -32600 Invalid Request (both with id null, so a client waiting is not left
 * hanging), a `tools/call` whose arguments are not an object -32602 Invalid params, and one with an
 * argument named `__proto__` the tool error of an argument the tool does not take.
 */
export async function connectAuditServer(server: McpServer, transport: Transport): Promise<void> {
  // The SDK's stdio transport reports a line it cannot read here, and reads on.
  transport.onerror = (error) => {
    if (error instanceof SyntaxError) void transport.send(errorWithoutId(ErrorCode.ParseError, `Parse error: ${error.message}`));
    else if (error.name === 'ZodError') void transport.send(errorWithoutId(ErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message'));
  };
  await server.connect(transport);
  const handle = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const call = toolCallOf(message);
    const refused = call && (argumentsNotAnObject(call) ?? protoArgument(call));
    if (refused !== undefined) void transport.send(refused);
    else handle?.(message, extra);
  };
}
