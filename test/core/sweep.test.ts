import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import { runSweep } from '../../lambdas/core/sweep.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-10-05T00:00:00Z');
const TOKEN = 'TCK-0123456789abcdef0123456789abcdef';
const JOB = `sync-tickets --key ${TOKEN}`;
const config = (raw: unknown): Config => validateConfig(raw, 'silent-audit.yaml', undefined, { now: T0 });
const BEFORE = config({});
const AFTER = config({ redact: { patterns: [{ name: 'ticket-token', regex: 'TCK-[0-9a-f]{32}' }] } });

/** A store and alert sink that lines reach through the ingest handler, where they are redacted. */
function world() {
  const store = new MemoryAuditStore();
  const sent: unknown[] = [];
  const sink = { publish: async (message: unknown) => void sent.push(message) };
  let id = 0;
  const ingest = async (cfg: Config, now: number, lines: Array<Record<string, unknown>>) => {
    const handler = createIngestHandler(() => ({ store, sink, config: cfg, clock: { now: () => now } }), () => {});
    const logEvents = lines.map((line) => ({ id: String(++id), timestamp: Date.parse(line.ts as string), message: JSON.stringify(line) }));
    await handler(encodePayload({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/x', logStream: 's', subscriptionFilters: ['f'], logEvents }));
  };
  const sweep = (cfg: Config, now: number) => runSweep({ store, sink, config: cfg, clock: { now: () => now } });
  return { ingest, sweep, sent };
}

const iso = (t: number) => new Date(t).toISOString();
const start = (i: number) => ({ type: 'run.start', job: JOB, run_id: `r${i}`, ts: iso(T0 + i * H) });
const end = (i: number) => ({ type: 'run.end', job: JOB, run_id: `r${i}`, exit_code: 0, output_bytes: 500, duration_ms: 60_000, ts: iso(T0 + i * H + 60_000) });

/** Six hourly runs, then a seventh started, all under the config before the edit. */
async function historyThenOpenRun(w: ReturnType<typeof world>) {
  for (let i = 0; i < 6; i++) await w.ingest(BEFORE, T0 + i * H + 61_000, [start(i), end(i)]);
  await w.ingest(BEFORE, T0 + 6 * H + 1000, [start(6)]);
}

describe('the sweep after a redact pattern matching a job name was added', () => {
  it('reports the run open at the redeploy under the name as the new config redacts it', async () => {
    // Prepare: the job sends nothing after the redeploy
    const w = world();
    await historyThenOpenRun(w);

    // Act
    const swept = await w.sweep(AFTER, T0 + 8 * H);

    // Assess
    expect(swept.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([['run-unfinished', 'sync-tickets --key [REDACTED:ticket-token]', 'r6']]);
    expect(JSON.stringify(swept.findings)).not.toContain(TOKEN);
    expect(w.sent).toHaveLength(1);
    expect(JSON.stringify(w.sent)).not.toContain(TOKEN);
  });

  it('leaves the state stored under the old name once lines arrive under the new one', async () => {
    // Prepare: the open run ends after the redeploy, its end named as the new config redacts it
    const w = world();
    await historyThenOpenRun(w);
    await w.ingest(AFTER, T0 + 6 * H + 61_000, [end(6)]);

    // Act
    const swept = await w.sweep(AFTER, T0 + 8 * H);

    // Assess
    expect(swept.findings).toEqual([]);
    expect(JSON.stringify(w.sent)).not.toContain(TOKEN);
  });
});

describe('the sweep after a redact pattern matching run ids was added', () => {
  const RUN_ID = '06c0ffee1234abcd';
  const HEX_KEYS = config({ redact: { patterns: [{ name: 'hex-key', regex: '\\b[0-9a-f]{16}\\b' }] } });

  it('reports a run open at the redeploy that never ends under its id as the new config redacts it', async () => {
    // Prepare: three runs, then one open at the redeploy; the job sends nothing after it
    const w = world();
    for (let i = 0; i < 3; i++) {
      await w.ingest(BEFORE, T0 + i * H + 61_000, [
        { type: 'run.start', job: 'etl', run_id: `r${i}`, ts: iso(T0 + i * H) },
        { type: 'run.end', job: 'etl', run_id: `r${i}`, exit_code: 0, duration_ms: 60_000, ts: iso(T0 + i * H + 60_000) },
      ]);
    }
    await w.ingest(BEFORE, T0 + 3 * H + 1000, [{ type: 'run.start', job: 'etl', run_id: RUN_ID, ts: iso(T0 + 3 * H) }]);

    // Act
    const swept = await w.sweep(HEX_KEYS, T0 + 6 * H);

    // Assess
    expect(swept.findings.map((f) => [f.detector, f.subject])).toEqual([['run-unfinished', 'etl']]);
    expect(swept.findings[0].run_id).toMatch(/^\[REDACTED:hex-key\]#/);
    expect(JSON.stringify(swept.findings)).not.toContain(RUN_ID);
    expect(JSON.stringify(w.sent)).not.toContain(RUN_ID);
  });
});

describe('the sweep after a redact pattern matching agent run ids was added', () => {
  const ROOT = 'aaaabbbbccccdddd';
  const agents = { bot: { budget: { max_actions: 20 } } };
  const lines = [
    { type: 'agent.start', agent: 'bot', run_id: ROOT, ts: iso(T0) },
    ...Array.from({ length: 25 }, (_, i) => ({ type: 'agent.action', agent: 'bot', run_id: ROOT, action: 'llm_call', ts: iso(T0 + 200 + i) })),
  ];

  it.each([
    ['reports', 'unchanged', config({ agents }), 1],
    ['leaves out', 'given a pattern that now hides its id', config({ agents, redact: { patterns: [{ name: 'hex-key', regex: '\\b[0-9a-f]{16}\\b' }] } }), 0],
  ])('%s a root over its budget, still going, under a config %s', async (_, _config, after, count) => {
    // Prepare: started and over its budget before the redeploy
    const w = world();
    await w.ingest(config({ agents }), T0 + 1000, lines);

    // Act
    const swept = await w.sweep(after, T0 + H);

    // Assess
    expect(swept.findings.map((f) => f.detector)).toEqual(Array(count).fill('budget-exceeded'));
    if (count === 0) expect(JSON.stringify(w.sent)).not.toContain(ROOT);
  });
});
