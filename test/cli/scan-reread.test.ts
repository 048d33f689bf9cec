import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    await scanInto(store, lines.slice(1), `${guard}.log`);
    const windowed = await stored<{ bypasses: number }>(store, guardStateKey(guard));
    // Assess
    expect([first?.bypasses, rotated?.bypasses, windowed?.bypasses]).toEqual([3, 3, 3]);
  });

  it("counts lines whose bodies are the same but whose prefixes differ apart (a Lambda console's milliseconds, two syslog hosts), and once when read again", async () => {
    // Prepare: four identical actions in one second, each with its Lambda console prefix; the same
    // bypass logged by web-1 and web-2 in one second of one syslog file.
    const store = inject('dynamoEndpoint');
    const id = randomUUID().slice(0, 8);
    const runId = `prefixed-${id}`;
    const guard = `prefixed-guard-${id}`;
    const console = (ms: string, body: Record<string, unknown>) => `2026-10-01T09:00:03.${ms}Z\t8f5e2c1a-0000-4000-8000-000000000000\tINFO\t${JSON.stringify(body)}`;
    const action = { type: 'agent.action', ts: '2026-10-01T09:00:03Z', agent: 'prefixed-bot', run_id: runId, action: 'tool_call', name: 'search' };
    const lambda = [console('000', { type: 'agent.start', ts: '2026-10-01T09:00:00Z', agent: 'prefixed-bot', run_id: runId }), ...['000', '200', '400', '600'].map((ms) => console(ms, action))];
    const bypass = JSON.stringify({ type: 'guard.bypass', ts: '2026-12-01T09:30:00Z', guard, actor: 'deploy-bot' });
    const syslog = [`Dec  1 09:30:00 web-1 sync[4101]: ${bypass}`, `Dec  1 09:30:00 web-2 sync[977]: ${bypass}`];
    // Act
    await scanInto(store, lambda, `${runId}.log`);
    await scanInto(store, syslog, `${guard}-syslog`);
    const first = [(await stored<{ actions: number }>(store, agentRunKey(runId)))?.actions, (await stored<{ bypasses: number }>(store, guardStateKey(guard)))?.bypasses];
    await scanInto(store, lambda, `${runId}.log.1`);
    await scanInto(store, syslog, `${guard}-syslog.1`);
    const again = [(await stored<{ actions: number }>(store, agentRunKey(runId)))?.actions, (await stored<{ bypasses: number }>(store, guardStateKey(guard)))?.bypasses];
    // Assess
    expect(first).toEqual([4, 2]);
    expect(again).toEqual([4, 2]);
  });

  it("counts two hosts' files of byte-identical bypasses and audit writes apart, and each once when read again rotated", async () => {
    // Prepare: a fleet job's run on two hosts, each writing 4 audit records (2 a second) and logging one bypass at the same second.
    const store = inject('dynamoEndpoint');
    const id = randomUUID().slice(0, 8);
    const job = `fleet-${id}`;
    const guard = `fleet-guard-${id}`;
    const at = (s: string) => `2026-10-01T02:00:0${s}Z`;
    const lines = [
      JSON.stringify({ type: 'run.start', ts: at('0'), job, run_id: 'r-1' }),
      ...['1', '1', '2', '2'].map((s) => JSON.stringify({ type: 'audit.write', ts: at(s), job, run_id: 'r-1' })),
      JSON.stringify({ type: 'guard.bypass', ts: at('3'), guard, actor: 'deploy-bot' }),
      JSON.stringify({ type: 'run.end', ts: at('4'), job, run_id: 'r-1', exit_code: 0 }),
    ];
    const counts = async () => [(await stored<{ records: number }>(store, `audit#${job}`))?.records, (await stored<{ bypasses: number }>(store, guardStateKey(guard)))?.bypasses];
    // Act
    await scanInto(store, lines, `${job}-host1.log`);
    await scanInto(store, lines, `${job}-host2.log`);
    const hosts = await counts();
    await scanInto(store, lines, `${job}-host1.log.1`);
    await scanInto(store, lines, `${job}-host2.log-20261002`);
    const rotated = await counts();
    // Assess
    expect(hosts).toEqual([8, 2]);
    expect(rotated).toEqual([8, 2]);
  });

  it("counts per-worker files worker.1.log and worker.2.log apart, while app.1.log beside its app.log is a rotation of it", async () => {
    // Prepare: one bypass and one audit write at the same second, written alike by two workers (no
    // worker.log beside their files), then by a job whose log logrotate rotated with `extension .log`.
    const store = inject('dynamoEndpoint');
    const id = randomUUID().slice(0, 8);
    const lines = (job: string, guard: string) => [
      JSON.stringify({ type: 'guard.bypass', ts: '2026-10-01T04:00:00Z', guard, actor: 'deploy-bot' }),
      JSON.stringify({ type: 'audit.write', ts: '2026-10-01T04:00:00Z', job, run_id: 'r-1' }),
    ];
    const counts = async (job: string, guard: string) => [(await stored<{ records: number }>(store, `audit#${job}`))?.records, (await stored<{ bypasses: number }>(store, guardStateKey(guard)))?.bypasses];
    mkdirSync(join(tmp, id));
    // Act
    await scanInto(store, lines(`workers-${id}`, `workers-guard-${id}`), `${id}/worker.1.log`);
    await scanInto(store, lines(`workers-${id}`, `workers-guard-${id}`), `${id}/worker.2.log`);
    await scanInto(store, lines(`rotated-${id}`, `rotated-guard-${id}`), `${id}/app.log`);
    await scanInto(store, lines(`rotated-${id}`, `rotated-guard-${id}`), `${id}/app.1.log`);
    // Assess
    expect(await counts(`workers-${id}`, `workers-guard-${id}`)).toEqual([2, 2]);
    expect(await counts(`rotated-${id}`, `rotated-guard-${id}`)).toEqual([1, 1]);
  });

  it('counts a bypass that comes back after more than 4,096 other numbered lines of its second as another', async () => {
    // Prepare: a bypass, 4,100 audit writes in the same second, the same bypass again.
    const store = inject('dynamoEndpoint');
    const id = randomUUID().slice(0, 8);
    const guard = `capped-guard-${id}`;
    const ts = '2026-10-01T03:00:00Z';
    const bypass = JSON.stringify({ type: 'guard.bypass', ts, guard, actor: 'deploy-bot' });
    const writes = Array.from({ length: 4100 }, (_, i) => JSON.stringify({ type: 'audit.write', ts, job: `capped-${id}`, run_id: `r-${i}`, record: `x${i}` }));
    // Act
    await scanInto(store, [bypass, ...writes, bypass], `${guard}.log`);
    const first = await stored<{ bypasses: number }>(store, guardStateKey(guard));
    // Assess
    expect(first?.bypasses).toBe(2);
  });

  it('counts an identical action that comes back after a line of a later second (two writers of one file) as another', async () => {
    // Prepare: actions at :03, :04 and :03 again, the last identical to the first.
    const store = inject('dynamoEndpoint');
    const runId = `unordered-${randomUUID().slice(0, 8)}`;
    const line = (type: string, ts: string, extra: Record<string, unknown> = {}) => JSON.stringify({ type, ts: `2026-10-01T09:00:${ts}Z`, agent: 'unordered-bot', run_id: runId, ...extra });
    const act = (ts: string) => line('agent.action', ts, { action: 'tool_call', name: 'search' });
    const lines = [line('agent.start', '00'), act('03'), act('04'), act('03')];
    // Act
    await scanInto(store, lines, `${runId}.log`);
    const first = await stored<{ actions: number }>(store, agentRunKey(runId));
    await scanInto(store, lines, `${runId}.log.1`);
    const rotated = await stored<{ actions: number }>(store, agentRunKey(runId));
    // Assess
    expect([first?.actions, rotated?.actions]).toEqual([3, 3]);
  });
});
