import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { validateConfig } from '../../lambdas/config.ts';
import type { AuditReadView } from '../../lambdas/mcp/audit-view.ts';
import { connectAuditServer, createAuditMcpServer } from '../../lambdas/mcp/server.ts';

/**
 * The fixture month the MCP tests ask about: October 2026 up to 15 October, 12:00 UTC, from the
 * captured fixtures (a nightly backup that went empty on the 8th and then stopped, a Lambda ETL
 * whose third run failed before it stopped, a support agent whose sixth run blew its budget, a
 * route with retries, guard bypasses, an audit trail that drifted, a job whose daily runs were
 * healthy and stopped on 5 October: silent for 10 days, UNKNOWN) and one
 * generated file: an hourly job with one failed run in the last day, and a weekly job with too
 * little history to judge.
 */
export const NOW = Date.parse('2026-10-15T12:00:00Z');

const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));

export const CAPTURED_FILES = [
  fixture('instrumented/nightly-backup.jsonl'),
  fixture('instrumented/etl-loader.log'),
  fixture('agents/support-bot.jsonl'),
  fixture('instrumented/guard-bypasses.jsonl'),
  fixture('instrumented/healthy.jsonl'),
  fixture('instrumented/audit-trail-invoice-sync.jsonl'),
];

export const CONFIG = validateConfig({
  jobs: {
    'etl-loader': { schedule: '0 6 * * *', grace_minutes: 30, owner: 'data-platform@example.com' },
    'nightly-backup': { owner: 'backup-team@example.com' },
    'monthly-close': { schedule: '0 4 1 * *' },
  },
  agents: { 'support-bot': { owner: 'ai-team@example.com' } },
  exceptions: [
    { id: 'EX-12', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31' },
    { id: 'EX-7', guard: 'pii-redaction', reason: 'export migration', owner: 'bob@example.com', expires: '2026-10-01' },
  ],
});

const HOUR = 3_600_000;
/** The hourly job's failed run: exit 2 at 05:00 on the 15th. */
export const FAILED_HOURLY_RUN = 'hs-2026-10-15T05';

function run(job: string, runId: string, startMs: number, exitCode: number, outputBytes: number): string[] {
  return [
    JSON.stringify({ type: 'run.start', ts: new Date(startMs).toISOString(), job, run_id: runId }),
    JSON.stringify({ type: 'run.end', ts: new Date(startMs + 30_000).toISOString(), job, run_id: runId, exit_code: exitCode, duration_ms: 30_000, output_bytes: outputBytes }),
  ];
}

/** 36 hourly runs of `hourly-sync` (14 October 00:00 to 15 October 11:00) and two weekly runs of `weekly-report`. */
export function generatedLines(): string[] {
  const lines: string[] = [];
  const first = Date.parse('2026-10-14T00:00:00Z');
  for (let h = 0; h < 36; h++) {
    const at = first + h * HOUR;
    const id = `hs-${new Date(at).toISOString().slice(0, 13)}`;
    lines.push(...run('hourly-sync', id, at, id === FAILED_HOURLY_RUN ? 2 : 0, 2048 + (h % 5) * 10));
  }
  lines.push(...run('weekly-report', 'wr-1', Date.parse('2026-10-07T07:00:00Z'), 0, 900), ...run('weekly-report', 'wr-2', Date.parse('2026-10-14T07:00:00Z'), 0, 910));
  return lines.sort((a, b) => (JSON.parse(a) as { ts: string }).ts.localeCompare((JSON.parse(b) as { ts: string }).ts));
}

/** Every file of the fixture month: the captured ones and the generated one (written to a temporary folder). */
export function fixtureMonthFiles(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'silent-audit-mcp-'));
  const generated = join(dir, 'scheduled.jsonl');
  writeFileSync(generated, `${generatedLines().join('\n')}\n`);
  return [...CAPTURED_FILES, generated];
}

export function quietStream(): PassThrough {
  const stream = new PassThrough();
  stream.resume();
  return stream;
}

/** A client connected in-process (linked in-memory transports) to a server on `view`. */
export async function connectClient(view: AuditReadView): Promise<{ client: Client; call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>; close: () => Promise<void> }> {
  const server = createAuditMcpServer(view);
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await connectAuditServer(server, serverSide);
  const client = new Client({ name: 'silent-audit-test', version: '1.0.0' });
  await client.connect(clientSide);
  // Listing the tools first makes the client check every structured result against its tool's output schema.
  await client.listTools();
  return {
    client,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** A tool's structured result, failing loudly when the call was an error. */
export function structured<T = Record<string, unknown>>(result: CallToolResult): T {
  if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

export function errorText(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}
