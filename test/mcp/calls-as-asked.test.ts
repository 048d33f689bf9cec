import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMcp } from '../../lambdas/cli/mcp-command.ts';
import { scanToStore } from '../../lambdas/cli/scan-command.ts';
import type { OpenedStore } from '../../lambdas/cli/stores.ts';
import { readOnlyView } from '../../lambdas/mcp/audit-view.ts';
import { CONFIG, connectClient, errorText, fixtureMonthFiles, NOW, quietStream, structured } from './fixture-month.ts';

/** A moment in the fixture month before most of its findings: the store holds findings after it. */
const EARLY = '2026-10-10T00:00:00Z';

interface Found {
  from: string;
  to: string;
  total: number;
  findings: { id: string; ts: string }[];
}

let opened: OpenedStore;
let now: Awaited<ReturnType<typeof connectClient>>;
let early: Awaited<ReturnType<typeof connectClient>>;

beforeAll(async () => {
  const scanned = await scanToStore({ paths: fixtureMonthFiles(), config: CONFIG, now: NOW, stderr: quietStream() });
  if (!scanned.ok) throw new Error(scanned.error);
  opened = scanned.opened;
  const viewAt = (at: number) => readOnlyView({ store: opened.store, config: CONFIG, clock: { now: () => at }, source: 'the fixture month' });
  now = await connectClient(viewAt(NOW));
  early = await connectClient(viewAt(Date.parse(EARLY)));
});

afterAll(async () => {
  await now?.close();
  await early?.close();
  await opened?.close();
});

describe('the audit as of the server\'s now (a --now earlier than the store\'s data)', () => {
  it('find_findings with an until after now lists no finding after now, its window ending at now', async () => {
    // Act
    const found = structured<Found>(await early.call('find_findings', { since: '2026-10-01', until: '2026-10-31' }));
    const all = structured<Found>(await now.call('find_findings', { since: '2026-10-01', until: '2026-10-31', limit: 500 }));

    // Assess
    expect(found.to).toBe('2026-10-10T00:00:01Z');
    expect(found.findings.every((f) => f.ts <= EARLY)).toBe(true);
    expect(found.total).toBeGreaterThan(0);
    expect(all.findings.filter((f) => f.ts > EARLY).length).toBeGreaterThan(0);
  });

  it('explain_finding of a finding after now is refused, saying it is after now', async () => {
    // Prepare: a finding the store holds from after EARLY
    const later = structured<Found>(await now.call('find_findings', { since: '2026-10-12', until: '2026-10-15' })).findings[0];

    // Act
    const result = await early.call('explain_finding', { id: later.id });

    // Assess
    expect(result.isError).toBe(true);
    expect(errorText(result)).toBe(
      `explain_finding: finding "${later.id}" is dated ${later.ts}, after now (2026-10-10T00:00:00Z): it has not happened yet as the audit is read; find_findings lists the findings up to now`,
    );
  });
});

describe('tool arguments: strict', () => {
  it('an argument a tool does not take is a tool error naming the arguments it takes, not a filter silently dropped', async () => {
    // Act
    const misspelt = await now.call('find_findings', { severity: 'critical', since: '30d' });
    const extra = await now.call('explain_finding', { id: 'x', verbose: true });

    // Assess
    expect(misspelt.isError).toBe(true);
    expect(errorText(misspelt)).toContain('find_findings takes no argument "severity"; it takes detector, subject, kind, min_severity, since, until, limit, include_retracted');
    expect(errorText(extra)).toContain('explain_finding takes no argument "verbose"; it takes id');
  });

  it('an argument named __proto__ is refused as any other argument a tool does not take, though the SDK drops that key', async () => {
    // Prepare: JSON.parse makes `__proto__` an own key, as a client's JSON does
    const proto = JSON.parse('{"__proto__":{"limit":1}}') as Record<string, unknown>;
    const both = JSON.parse('{"bogus":1,"__proto__":{"limit":1}}') as Record<string, unknown>;

    // Act
    const refused = await now.call('list_subjects', proto);
    const other = await now.call('list_subjects', { bogus: { limit: 1 } });
    const together = await now.call('list_subjects', both);

    // Assess: the same tool error as for any other name, every such argument named
    expect(refused.isError).toBe(true);
    expect(errorText(refused)).toBe(errorText(other).replace('"bogus"', '"__proto__"'));
    expect(errorText(refused)).toContain('list_subjects takes no argument "__proto__"; it takes kind, status, owner, limit');
    expect(errorText(together)).toContain('list_subjects takes no argument "bogus", "__proto__"; it takes kind, status, owner, limit');
  });

  it('an argument named __proto__ is refused with the other bad arguments of the call, as any other name would be', async () => {
    // Prepare: a call also giving a limit that is no number
    const proto = JSON.parse('{"__proto__":1,"limit":"abc"}') as Record<string, unknown>;

    // Act
    const refused = await now.call('list_subjects', proto);
    const other = await now.call('list_subjects', { bogus: 1, limit: 'abc' });

    // Assess: both problems named, in the same words as for another name
    expect(refused.isError).toBe(true);
    expect(errorText(other)).toContain('limit');
    expect(errorText(refused)).toBe(errorText(other).replace('"bogus"', '"__proto__"'));
  });

  it('tools/list publishes every input schema as an object that allows no other property', async () => {
    // Act
    const { tools } = await now.client.listTools();

    // Assess
    for (const tool of tools) expect(tool.inputSchema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(Object.keys(tools.find((t) => t.name === 'find_findings')!.inputSchema.properties ?? {})).toContain('min_severity');
  });
});

describe('silent-audit mcp over stdio: JSON-RPC mistakes answered, not left hanging', () => {
  const backupLog = fileURLToPath(new URL('../fixtures/instrumented/nightly-backup.jsonl', import.meta.url));

  /** The server on `lines` (one JSON-RPC message, or not, a line), its answers once stdin ends. */
  async function serve(lines: readonly string[]): Promise<Record<string, unknown>[]> {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (d) => (text += d.toString()));
    const served = runMcp({ paths: [backupLog], now: Date.parse('2026-10-10T12:00:00Z'), config: CONFIG, stdin, stdout, stderr: quietStream() });
    for (const line of lines) stdin.write(`${line}\n`);
    // Answers come asynchronously: wait until each request line has one, then end stdin.
    for (let i = 0; i < 100 && text.split('\n').filter(Boolean).length < lines.length - 1; i++) await new Promise((r) => setTimeout(r, 50));
    stdin.end();
    await served;
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

  it('a line that is not JSON gets -32700 Parse error with id null, one that is no JSON-RPC message -32600, and the server reads on', async () => {
    // Act
    const answers = await serve([initialize, initialized, '{not json', '{"hello": 1}', JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })]);

    // Assess
    const answered = (id: unknown) => answers.find((a) => a.id === id)!;
    expect(answers).toHaveLength(4);
    expect([answered(1).result, answered(2).result]).not.toContain(undefined);
    expect(answers.filter((a) => a.id === null).map((a) => (a.error as { code: number }).code)).toEqual([-32700, -32600]);
    expect((answers.find((a) => a.id === null)!.error as { message: string }).message).toMatch(/^Parse error: /);
  });

  it('tools/call whose arguments are not an object gets -32602 Invalid params with a readable message', async () => {
    // Act
    const answers = await serve([initialize, initialized, JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'find_findings', arguments: 'x' } })]);

    // Assess
    expect(answers.find((a) => a.id === 5)).toEqual({
      jsonrpc: '2.0',
      id: 5,
      error: { code: -32602, message: 'Invalid params: the arguments of find_findings must be an object naming each argument (e.g. {"since": "7d"}), not a string' },
    });
  });
});
