import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../lambdas/adapters/dynamodb-local.ts';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { DEFAULT_TABLE } from '../../lambdas/cli/stores.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { agentRunKey } from '../../lambdas/core/agent-run.ts';
import { guardStateKey } from '../../lambdas/core/guard-reducer.ts';

const tmp = mkdtempSync(join(tmpdir(), 'scan-reread-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function scanInto(store: string, lines: readonly string[], name: string) {
  const path = join(tmp, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return runScan({ paths: [path], config: DEFAULT_CONFIG, json: true, store, stdout: new PassThrough(), stderr: new PassThrough() });
}

async function stored<T>(store: string, key: string): Promise<T | undefined> {
  return (await new DynamoAuditStore(localDynamoClient(store), DEFAULT_TABLE).load([key])).get(key)?.state as T | undefined;
}

describe('scan --store: lines read again under another file name or from another line count once', () => {
  it("counts an agent run's actions once across a rotated file and an overlapping window, and two identical actions of one second twice", async () => {
    // Prepare: a run of 5 actions, the last two the same call in the same second; names no other test uses.
    const store = inject('dynamoEndpoint');
    const runId = `reread-${randomUUID().slice(0, 8)}`;
    const line = (type: string, ts: string, extra: Record<string, unknown> = {}) => JSON.stringify({ type, ts: `2026-10-05T12:00:${ts}Z`, agent: 'reread-bot', run_id: runId, ...extra });
    const act = (ts: string) => line('agent.action', ts, { action: 'tool_call', name: 'search' });
    const lines = [line('agent.start', '00'), act('01'), act('02'), act('03'), act('04'), act('04')];
    // Act: agent.log; the same lines as agent.log.1 (logrotate); a window from the third line on, with one new action.
    await scanInto(store, lines, `${runId}.log`);
    const first = await stored<{ actions: number }>(store, agentRunKey(runId));
    await scanInto(store, lines, `${runId}.log.1`);
    const rotated = await stored<{ actions: number }>(store, agentRunKey(runId));
    await scanInto(store, [...lines.slice(2), act('05')], `${runId}-window.log`);
    const windowed = await stored<{ actions: number }>(store, agentRunKey(runId));
    // Assess
    expect([first?.actions, rotated?.actions, windowed?.actions]).toEqual([5, 5, 6]);
  });

  it('counts a guard bypass once when its file is read again rotated, and two identical bypasses of one second twice', async () => {
    // Prepare: one bypass, then the same bypass twice in one second, with another line between them.
    const store = inject('dynamoEndpoint');
    const guard = `reread-guard-${randomUUID().slice(0, 8)}`;
    const bypass = (ts: string) => JSON.stringify({ type: 'guard.bypass', ts: `2026-12-01T09:30:${ts}Z`, guard, actor: 'bot' });
    const other = JSON.stringify({ type: 'run.start', ts: '2026-12-01T09:30:05Z', job: `${guard}-job`, run_id: '1' });
    const lines = [bypass('00'), bypass('05'), other, bypass('05')];
    // Act
    await scanInto(store, lines, `${guard}.log`);
    const first = await stored<{ bypasses: number }>(store, guardStateKey(guard));
    await scanInto(store, lines, `${guard}.log.1`);
    const rotated = await stored<{ bypasses: number }>(store, guardStateKey(guard));
    await scanInto(store, lines.slice(1), `${guard}-window.log`);
    const windowed = await stored<{ bypasses: number }>(store, guardStateKey(guard));
    // Assess
    expect([first?.bypasses, rotated?.bypasses, windowed?.bypasses]).toEqual([3, 3, 3]);
  });
});
