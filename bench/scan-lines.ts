import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Random } from '../lambdas/demo/random.ts';

/**
 * A large log file for the scan at scale, in time order, written as it is generated (never held):
 * what a log agent collects from a fleet in one file. Per 100 lines, about:
 *
 * - 55 lines of an agent service on Lambda (console-prefixed `agent.*`, `tool.call` and `attempt`
 *   lines between the platform's START/END/REPORT lines, time-prefixed as `aws logs tail` prints them);
 * - 25 lines of application chatter (text the parsers do not claim);
 * - 20 lines of 300 scheduled jobs (`run.start` / `run.end` JSON with output head and tail; a few
 *   runs empty, failed or slow, so detectors fire).
 *
 * Deterministic for a seed; about 300 bytes a line.
 */

const START = Date.UTC(2026, 9, 1);
const JOBS = 300;
const CHATTER = [
  'fetching page {n}/12 from billing-api',
  'cache hit ratio {n}% over the last minute',
  'connection pool: {n} active, 4 idle, 0 waiting',
  'GET /api/v2/orders?page={n} 200 in 43 ms',
  'retrying upload of part {n} after a 503 (attempt 2 of 5)',
  'flushed {n} metrics to the collector',
];

interface PendingEnd {
  readonly at: number;
  readonly line: string;
}

/** A small binary heap of job ends waiting for their time, so the file stays in time order. */
class EndQueue {
  private readonly items: PendingEnd[] = [];
  push(item: PendingEnd): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p].at <= a[i].at) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  peek(): PendingEnd | undefined {
    return this.items[0];
  }
  pop(): PendingEnd | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].at < a[m].at) m = l;
        if (r < a.length && a[r].at < a[m].at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function output(rng: Random, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `processed batch ${i}: ${rng.int(100, 9999)} rows in ${rng.int(5, 900)} ms, checksum ${rng.hex(8)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** `count` lines, in time order. */
export function* scanLines(count: number, seed = 20_261_009): Generator<string> {
  const rng = new Random(seed);
  // Job starts and ends wait in one queue for their time, so the file stays in time order.
  const due = new EndQueue();
  const period = Array.from({ length: JOBS }, (_, j) => [15, 30, 60, 120][j % 4] * 60_000);
  const outputs = Array.from({ length: JOBS }, (_, j) => output(new Random(seed + j), 200 + ((j * 37) % 1000)));
  for (let j = 0; j < JOBS; j++) due.push({ at: START + (j % 60) * 60_000 + 1_000, line: `start:${j}` });
  let t = START;
  let emitted = 0;
  let requestSeq = 0;

  const emit = function* (line: string): Generator<string> {
    if (emitted < count) {
      emitted++;
      yield line;
    }
  };

  const startJob = (j: number, at: number): string => {
    const job = `job-${String(j + 1).padStart(3, '0')}`;
    const runId = `${job}-${at.toString(36)}`;
    due.push({ at: at + period[j], line: `start:${j}` });
    const duration = Math.round(rng.jitter(40_000 + j * 500, 2_000, 6_000)) * (rng.chance(0.002) ? 5 : 1);
    const failed = rng.chance(0.003);
    const out = rng.chance(0.002) ? '' : outputs[j];
    const head = out.slice(0, 2048);
    const tail = out.length > 2048 ? out.slice(-2048) : head;
    const end = at + duration;
    due.push({
      at: end,
      line: JSON.stringify({ type: 'run.end', ts: iso(end), job, run_id: runId, exit_code: failed ? 1 : 0, duration_ms: duration, output_bytes: out.length, output_head: head, output_tail: tail, host: `host-${j % 40}` }),
    });
    return JSON.stringify({ type: 'run.start', ts: iso(at), job, run_id: runId, host: `host-${j % 40}` });
  };

  while (emitted < count) {
    t += rng.int(200, 4_200);
    while ((due.peek()?.at ?? Number.POSITIVE_INFINITY) <= t) {
      const next = due.pop() as PendingEnd;
      yield* emit(next.line.startsWith('start:') ? startJob(Number(next.line.slice(6)), next.at) : next.line);
    }
    if (rng.chance(0.146)) {
      // An agent invocation: ~13 lines.
      const req = `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-a${rng.hex(3)}-${rng.hex(12)}`;
      const agent = rng.pick(['support-bot', 'triage-bot', 'research-bot']);
      const runId = `${agent}-${(requestSeq++).toString(36)}`;
      let at = t;
      const log = (body: Record<string, unknown>) => `${iso(at)}\t${req}\tINFO\t${JSON.stringify({ ts: iso(at), ...body })}`;
      yield* emit(`${iso(t)} START RequestId: ${req} Version: $LATEST`);
      yield* emit(log({ type: 'agent.start', agent, run_id: runId, ...(agent === 'support-bot' ? { budget: { max_actions: 20, max_cost_usd: 0.5 } } : {}) }));
      const actions = rng.int(2, 7);
      for (let i = 0; i < actions; i++) {
        at += rng.int(20, 40);
        const latency = rng.int(300, 2400);
        yield* emit(log({ type: 'attempt', route: 'llm-gateway', request_id: `${runId}-${i}`, attempt: 1, outcome: 'ok', latency_ms: latency, status: 200 }));
        yield* emit(log({ type: 'agent.action', agent, run_id: runId, action: 'llm_call', name: 'claude-haiku', cost_usd: 0.0021, tokens_in: rng.int(500, 4000), tokens_out: rng.int(40, 400), duration_ms: latency }));
      }
      if (rng.chance(0.3)) yield* emit(log({ type: 'tool.call', tool: 'escalate_to_human', args: { user_id: `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-8${rng.hex(3)}-${rng.hex(12)}`, email: `c${rng.int(1, 999)}@example.com` }, agent, run_id: runId }));
      yield* emit(log({ type: 'agent.end', agent, run_id: runId, status: 'ok', actions_reported: actions }));
      yield* emit(`${iso(at)} END RequestId: ${req}`);
      const billed = at - t + rng.int(2, 9);
      yield* emit(`${iso(at)} REPORT RequestId: ${req}\tDuration: ${billed}.00 ms\tBilled Duration: ${billed} ms\tMemory Size: 512 MB\tMax Memory Used: 131 MB\t`);
    } else {
      yield* emit(`${iso(t)}\t${rng.hex(8)}\tINFO\t${rng.pick(CHATTER).replace('{n}', String(rng.int(1, 99)))} (host ip-10-0-${rng.int(0, 255)}-${rng.int(0, 255)}, pid ${rng.int(1000, 65000)})`);
    }
  }
}

/** Writes `count` lines to `path`, with backpressure; returns the bytes written. */
export async function writeScanFile(path: string, count: number, seed?: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  let pending: string[] = [];
  for (const line of scanLines(count, seed)) {
    pending.push(line);
    if (pending.length >= 512) {
      const text = `${pending.join('\n')}\n`;
      bytes += Buffer.byteLength(text);
      pending = [];
      if (!out.write(text)) await once(out, 'drain');
    }
  }
  if (pending.length > 0) {
    const text = `${pending.join('\n')}\n`;
    bytes += Buffer.byteLength(text);
    out.write(text);
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

// `tsx bench/scan-lines.ts FILE COUNT`: writes the file (the tests and the bench run it in a child process).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [path, count] = process.argv.slice(2);
  const bytes = await writeScanFile(path, Number(count));
  process.stdout.write(`${JSON.stringify({ path, lines: Number(count), bytes })}\n`);
}
