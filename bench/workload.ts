import { gunzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { lineMayMatter } from '../lambdas/core/filter-pattern.ts';
import { toSubscriptionEvents } from '../lambdas/demo/cloudwatch-payload.ts';
import { type DemoLogEvent, type DemoMonth, demoConfig, generateMonth } from '../lambdas/demo/generate-month.ts';
import { hashSeed, Random } from '../lambdas/demo/random.ts';

/**
 * The bench's input: realistic log lines, deterministic for a seed, as CloudWatch Logs delivers
 * them to a subscribed Lambda (gzip + base64, one log stream per payload, ~1 MB decoded each).
 *
 * - Job lines: the demo month's jobs (`generate-month.ts`), each run by a fleet of hosts, as a log
 *   agent ships them into one stream: bare `run.*` JSON lines and Lambda-console-prefixed ones.
 * - Agent and attempt lines (contract §1a): a busy agent service on Lambda, console-prefixed
 *   lines between the platform's START/END/REPORT lines: root runs with budgets, sub-agents,
 *   actions with cost and tokens, tool calls with arguments, and attempts on two routes with
 *   occasional retries.
 *
 * Only lines that pass the subscription filter are kept, as CloudWatch would deliver them.
 */

export const BENCH_SEED = 20_261_009;
export const BENCH_MONTH = '2026-10';
export const JOB_FLEET_GROUP = '/jobs/fleet';
export const AGENT_GROUP = '/aws/lambda/support-agents';

const DAY = 86_400_000;
const AGENTS = ['support-bot', 'triage-bot', 'research-bot'] as const;
const SUB_AGENTS = ['researcher', 'writer', 'fact-checker'] as const;
const TOOLS = ['search_kb', 'escalate_to_human', 'lookup_order'] as const;
const ROUTES = ['llm-gateway', 'search-api'] as const;
const MODELS = ['claude-sonnet', 'claude-haiku'] as const;

/** The bench's config: the demo's jobs for every host of the fleet, budgets, tools and routes (contract §2). */
export function benchConfig(hosts: number): Record<string, unknown> {
  const demo = demoConfig() as { defaults: Record<string, unknown>; jobs: Record<string, Record<string, unknown>> };
  const jobs: Record<string, Record<string, unknown>> = {};
  for (const [name, job] of Object.entries(demo.jobs)) {
    for (let h = 0; h < hosts; h++) jobs[fleetJobName(name, h)] = structuredClone(job);
  }
  return {
    defaults: demo.defaults,
    jobs,
    agents: {
      'support-bot': { budget: { max_actions: 20, max_cost_usd: 0.5, scope: 'task' }, owner: 'ai-team@example.com' },
      'triage-bot': { budget: { max_actions: 12, max_cost_usd: 0.2, scope: 'task' }, owner: 'ai-team@example.com' },
    },
    tools: { escalate_to_human: { args: { user_id: 'uuid', email: 'email' } } },
    routes: { 'search-api': { retry_rate_max: 0.1, p99_ms: 3000 }, 'llm-gateway': { retry_rate_max: 0.1 } },
    exceptions: [{ id: 'EX-12', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31' }],
  };
}

const months = new Map<number, DemoMonth>();
function demoMonth(seed: number): DemoMonth {
  let month = months.get(seed);
  if (!month) months.set(seed, (month = generateMonth({ month: BENCH_MONTH, seed })));
  return month;
}

export function fleetJobName(job: string, host: number): string {
  return `${job}-h${String(host + 1).padStart(3, '0')}`;
}

/**
 * The demo month's job lines, once per host: each host runs its own copy of every demo job (job
 * name, run id and host renamed). Lambda platform lines are left out (they name no job outside a
 * `/aws/lambda/` group); console-prefixed run lines are kept as they are, prefix and all.
 */
export function jobFleetEvents(hosts: number, opts: { days?: number; seed?: number } = {}): DemoLogEvent[] {
  const seed = opts.seed ?? BENCH_SEED;
  const until = Date.UTC(2026, 9, 1) + (opts.days ?? 31) * DAY;
  const base = demoMonth(seed).logGroups.flatMap((stream) => stream.events.filter((e) => e.timestamp < until).map((e) => ({ job: stream.job, ...e })));
  const out: DemoLogEvent[] = [];
  for (let h = 0; h < hosts; h++) {
    const shift = (hashSeed(`host${h}`, seed) % 90) * 1000;
    for (const e of base) {
      const brace = e.message.indexOf('{');
      if (brace < 0 || !e.message.includes('"type":"run.')) continue;
      const body = JSON.parse(e.message.slice(brace)) as Record<string, unknown>;
      const job = fleetJobName(e.job, h);
      const renamed = { ...body, job, run_id: `${String(body.run_id)}-h${h + 1}`, host: `${job}.internal`, ts: new Date(Date.parse(String(body.ts)) + shift).toISOString() };
      const timestamp = e.timestamp + shift;
      const message = brace === 0 ? JSON.stringify(renamed) : `${new Date(timestamp).toISOString()}${e.message.slice(24, brace)}${JSON.stringify(renamed)}`;
      out.push({ timestamp, message });
    }
  }
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

/** Console-prefixed lines of one Lambda invocation, as the Node.js runtime writes them. */
class Invocation {
  readonly lines: DemoLogEvent[] = [];
  constructor(
    private readonly requestId: string,
    private t: number,
  ) {}

  platform(message: string): void {
    this.lines.push({ timestamp: this.t, message });
  }

  log(afterMs: number, body: Record<string, unknown>): void {
    this.t += afterMs;
    this.lines.push({ timestamp: this.t, message: `${new Date(this.t).toISOString()}\t${this.requestId}\tINFO\t${JSON.stringify({ ts: new Date(this.t).toISOString(), ...body })}\n` });
  }

  get now(): number {
    return this.t;
  }
}

/** Attempts of one request on a route: mostly one, sometimes a retry or two after an error or a timeout. */
function attempts(inv: Invocation, rng: Random, route: string): void {
  const requestId = `req-${rng.hex(12)}`;
  const tries = rng.chance(0.06) ? rng.int(2, 3) : 1;
  for (let attempt = 1; attempt <= tries; attempt++) {
    const last = attempt === tries;
    const outcome = last ? 'ok' : rng.pick(['error', 'timeout'] as const);
    const latency = outcome === 'timeout' ? 3000 : rng.int(route === 'search-api' ? 80 : 400, route === 'search-api' ? 900 : 2600);
    inv.log(latency, { type: 'attempt', route, request_id: requestId, attempt, outcome, latency_ms: latency, ...(outcome === 'ok' ? { status: 200 } : { status: outcome === 'error' ? 503 : 'timeout' }) });
  }
}

function actions(inv: Invocation, rng: Random, agent: string, runId: string, count: number): number {
  let cost = 0;
  for (let i = 0; i < count; i++) {
    if (rng.chance(0.6)) {
      const tokensIn = rng.int(400, 6000);
      const tokensOut = rng.int(50, 900);
      const c = Math.round((tokensIn * 3 + tokensOut * 15) / 1e6 * 1e5) / 1e5;
      cost += c;
      attempts(inv, rng, 'llm-gateway');
      inv.log(rng.int(5, 40), { type: 'agent.action', agent, run_id: runId, action: 'llm_call', name: rng.pick(MODELS), cost_usd: c, tokens_in: tokensIn, tokens_out: tokensOut, duration_ms: rng.int(400, 2600) });
    } else {
      const tool = rng.pick(TOOLS);
      const callId = `call-${rng.hex(10)}`;
      const args =
        tool === 'escalate_to_human'
          ? { user_id: rng.uuid(), email: `customer${rng.int(1, 9999)}@example.com`, reason: 'customer asks for a refund beyond policy' }
          : tool === 'search_kb'
            ? { query: rng.pick(['reset password', 'refund policy', 'shipping times to Norway', 'invoice copy']), top_k: 5 }
            : { order_id: `ord-${rng.hex(8)}` };
      if (tool === 'search_kb') attempts(inv, rng, 'search-api');
      inv.log(rng.int(5, 40), { type: 'tool.call', tool, args, agent, run_id: runId, call_id: callId });
      inv.log(rng.int(1, 5), { type: 'agent.action', agent, run_id: runId, action: 'tool_call', name: tool, duration_ms: rng.int(30, 900) });
    }
  }
  return cost;
}

/**
 * A busy agent service: `invocations` root runs, one Lambda invocation each, a new execution
 * environment (log stream) every few hundred invocations. Returns each stream's events.
 */
export function agentServiceStreams(invocations: number, seed = BENCH_SEED): Array<{ logStream: string; events: DemoLogEvent[] }> {
  const rng = new Random(hashSeed('agents', seed));
  const streams: Array<{ logStream: string; events: DemoLogEvent[] }> = [];
  let t = Date.UTC(2026, 9, 1, 6, 0, 0);
  let stream: { logStream: string; events: DemoLogEvent[] } | undefined;
  for (let n = 0; n < invocations; n++) {
    if (!stream || rng.chance(1 / 2500)) {
      stream = { logStream: `2026/10/01/[$LATEST]${rng.hex(32)}`, events: [] };
      streams.push(stream);
    }
    const requestId = rng.uuid();
    const inv = new Invocation(requestId, t);
    inv.platform(`START RequestId: ${requestId} Version: $LATEST\n`);
    const agent = rng.pick(AGENTS);
    const runId = `${agent}-${rng.hex(10)}`;
    const budget = agent === 'support-bot' ? { max_actions: 20, max_cost_usd: 0.5, scope: 'task' } : undefined;
    inv.log(rng.int(2, 20), { type: 'agent.start', agent, run_id: runId, ...(budget ? { budget } : {}) });
    let count = rng.int(2, 9);
    let cost = actions(inv, rng, agent, runId, count);
    if (rng.chance(0.35)) {
      const sub = rng.pick(SUB_AGENTS);
      const subRun = `${runId}.${sub}`;
      inv.log(rng.int(5, 30), { type: 'agent.start', agent: sub, run_id: subRun, parent_run_id: runId });
      const subCount = rng.int(1, 6);
      cost += actions(inv, rng, sub, subRun, subCount);
      inv.log(rng.int(5, 30), { type: 'agent.end', agent: sub, run_id: subRun, status: 'ok', actions_reported: subCount });
      count += subCount;
    }
    if (rng.chance(0.01)) inv.log(rng.int(1, 10), { type: 'guard.bypass', guard: 'pii-redaction', exception_id: 'EX-12', actor: 'support-bot', reason: 'customer consented', agent });
    // Agents that count only their own actions undercount a tree with a sub-agent: what budget-undercount is for.
    inv.log(rng.int(5, 60), { type: 'agent.end', agent, run_id: runId, status: rng.chance(0.97) ? 'ok' : 'error', actions_reported: count, cost_reported_usd: Math.round(cost * 1e4) / 1e4 });
    const duration = inv.now - t + rng.int(1, 4);
    inv.platform(`END RequestId: ${requestId}\n`);
    inv.platform(`REPORT RequestId: ${requestId}\tDuration: ${duration.toFixed(2)} ms\tBilled Duration: ${duration} ms\tMemory Size: 512 MB\tMax Memory Used: ${rng.int(90, 180)} MB\t\n`);
    stream.events.push(...inv.lines);
    t += rng.int(200, 2_000);
  }
  return streams;
}

export interface BenchPayload {
  readonly event: CloudWatchLogsEvent;
  readonly logGroup: string;
  readonly lines: number;
  /** Bytes of the decoded JSON payload. */
  readonly decodedBytes: number;
  readonly compressedBytes: number;
  readonly lastTimestamp: number;
}

export interface PayloadOptions {
  /** Uncompressed size of each payload. @default 1_048_576, CloudWatch's batch limit */
  readonly maxBatchBytes?: number;
  /** @default 10_000, CloudWatch's event limit per batch */
  readonly maxEventsPerBatch?: number;
}

function wrap(logGroup: string, logStream: string, events: readonly DemoLogEvent[], opts: PayloadOptions): BenchPayload[] {
  const passing = events.filter((e) => lineMayMatter(e.message));
  return toSubscriptionEvents(
    { logGroup, logStream, events: passing },
    { maxBatchBytes: opts.maxBatchBytes ?? 1_048_576, maxEventsPerBatch: opts.maxEventsPerBatch ?? 10_000, maxBatchSpanMs: Number.MAX_SAFE_INTEGER },
  ).map((event) => {
    const compressed = Buffer.from(event.awslogs.data, 'base64');
    const json = gunzipSync(compressed);
    const logEvents = (JSON.parse(json.toString('utf8')) as { logEvents: Array<{ timestamp: number }> }).logEvents;
    return { event, logGroup, lines: logEvents.length, decodedBytes: json.length, compressedBytes: compressed.length, lastTimestamp: logEvents[logEvents.length - 1].timestamp };
  });
}

export interface Workload {
  readonly config: Record<string, unknown>;
  /** Processed first, untimed: a week of the job fleet and the agent service's first hour, so that baselines and dedup windows are full. */
  readonly warmup: readonly BenchPayload[];
  /** The timed payloads: job fleet and agent service batches, interleaved as they would arrive. */
  readonly measured: readonly BenchPayload[];
}

function interleave(a: readonly BenchPayload[], b: readonly BenchPayload[]): BenchPayload[] {
  const out: BenchPayload[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i]) out.push(a[i]);
    if (b[i]) out.push(b[i]);
  }
  return out;
}

/**
 * The job fleet (`hosts` copies of the demo jobs, days 1 to 8 as warm-up, then `batches` timed
 * ~1 MB payloads) and the agent service (`warmupBatches` then `batches` full ~1 MB payloads).
 */
export function buildWorkload(opts: { batches?: number; warmupBatches?: number; hosts?: number; seed?: number } = {}): Workload {
  const hosts = opts.hosts ?? 20;
  const seed = opts.seed ?? BENCH_SEED;
  const batches = opts.batches ?? 6;
  const warmDays = 7;
  const fleet = wrap(JOB_FLEET_GROUP, 'fleet-shipper-01', jobFleetEvents(hosts, { days: warmDays + 3, seed }), {});
  const warmEnd = Date.UTC(2026, 9, 1) + warmDays * DAY;
  const fleetWarm = fleet.filter((p) => p.lastTimestamp < warmEnd);
  const fleetMeasured = fleet.slice(fleetWarm.length, fleetWarm.length + batches);
  const agentCount = (batches + (opts.warmupBatches ?? 4)) * 480;
  const agents = agentServiceStreams(agentCount, seed)
    .flatMap((s) => wrap(AGENT_GROUP, s.logStream, s.events, {}))
    .filter((p) => p.decodedBytes > 0.9 * 1_048_576);
  const agentWarm = agents.slice(0, opts.warmupBatches ?? 4);
  const agentMeasured = agents.slice(agentWarm.length, agentWarm.length + batches);
  return {
    config: benchConfig(hosts),
    warmup: interleave(fleetWarm, agentWarm),
    measured: interleave(fleetMeasured, agentMeasured),
  };
}

/**
 * One payload whose gzip body is at least `compressedBytes` (default 1 MiB): job and agent lines
 * together, far beyond CloudWatch's own batches, for the peak-memory figure.
 */
export function buildLargePayload(compressedBytes = 1_048_576, seed = BENCH_SEED): BenchPayload {
  const agentEvents = agentServiceStreams(8_000, seed).flatMap((s) => s.events);
  const jobEvents = jobFleetEvents(20, { days: 4, seed });
  const mixed = [...agentEvents, ...jobEvents].sort((a, b) => a.timestamp - b.timestamp);
  let size = 5_000;
  for (;;) {
    const [payload] = wrap(AGENT_GROUP, 'bulk', mixed.slice(0, size), { maxBatchBytes: 1 << 30, maxEventsPerBatch: Number.MAX_SAFE_INTEGER });
    if (payload.compressedBytes >= compressedBytes || size >= mixed.length) return payload;
    size = Math.min(mixed.length, Math.ceil(size * (compressedBytes / payload.compressedBytes) * 1.02) + 1);
  }
}
