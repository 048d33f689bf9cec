import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { controlMessage } from '../../lambdas/demo/cloudwatch-payload.ts';

/**
 * Generators of hostile input for the fuzz tests: log lines and whole CloudWatch Logs
 * subscription deliveries. Each generator says what the pipeline must make of what it made
 * (`expect`), so that a test can hold the pipeline to it, not only to "did not throw".
 */

const FIXTURES = new URL('../fixtures/', import.meta.url);

/** Real lines of every format we read (contract §1a and §1b), the seeds that mutations start from. */
export const SEED_LINES: readonly string[] = [
  'agents/support-bot.jsonl',
  'instrumented/nightly-backup.jsonl',
  'instrumented/guard-bypasses.jsonl',
  'instrumented/audit-trail-invoice-sync.jsonl',
  'instrumented/etl-loader.log',
  'journal/backup-oneshot.jsonl',
  'lambda/etl-loader.log',
  'otel/support-bot.otlp.jsonl',
  'syslog/cron-debian.log',
  'syslog/cron-rfc5424.log',
  'syslog/systemd-failures.log',
  'syslog/journal-short-iso.log',
].flatMap((file) =>
  readFileSync(new URL(file, FIXTURES), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 12),
);

const EVENT_TYPES = ['run.start', 'run.end', 'agent.start', 'agent.action', 'agent.end', 'tool.call', 'attempt', 'guard.bypass', 'audit.write'] as const;
const FIELDS = ['job', 'run_id', 'exit_code', 'duration_ms', 'output_bytes', 'output_lines', 'output_head', 'output_tail', 'host', 'agent', 'parent_run_id', 'budget', 'action', 'name', 'tick', 'cost_usd', 'tokens_in', 'status', 'actions_reported', 'tool', 'args', 'call_id', 'route', 'request_id', 'attempt', 'outcome', 'latency_ms', 'guard', 'exception_id', 'reason', 'record', 'ts'];

/** Any JSON value, of the wrong type as often as of the right one. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('ok', 'error', 'timeout', 'llm_call', 'tool_call', 'subagent_call', '2026-10-03T06:00:00Z', '1790000000000', '', 'NaN', '-1', '1e309'),
  fc.constantFrom(0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2),
  fc.jsonValue({ maxDepth: 3 }),
);

/** An instrumented event with required fields present, missing, or of any type, plus stray fields. */
const instrumentedEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    type: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...EVENT_TYPES) }, { weight: 1, arbitrary: anyValue }),
    fields: fc.dictionary(fc.constantFrom(...FIELDS), anyValue, { maxKeys: 8 }),
    stray: fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 3 }),
  })
  .map(({ type, fields, stray }) => ({ ...stray, ...fields, type }));

/** `__proto__`, `constructor` and `prototype` keys, as JSON text carries them (JSON.parse makes them own keys). */
const prototypeKeys: fc.Arbitrary<string> = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    where: fc.constantFrom('top', 'args', 'budget', 'record'),
    key: fc.constantFrom('__proto__', 'constructor', 'prototype'),
  })
  .map(({ type, where, key }) => {
    const hostile = `{"${key}":{"polluted":"yes","prototype":{"polluted":"yes"}},"isAdmin":true}`;
    const base = `"type":"${type}","job":"j","run_id":"r","agent":"a","tool":"t","route":"rt","request_id":"q","attempt":1,"outcome":"ok","latency_ms":5,"action":"llm_call","status":"ok","exit_code":0,"guard":"g"`;
    if (where === 'top') return `{${base},"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`;
    return `{${base},"${where}":${hostile}}`;
  });

/** Nesting far deeper than any real event: in `args`, `record`, an extra field, or the whole line. */
const deeplyNested: fc.Arbitrary<string> = fc
  .record({ depth: fc.integer({ min: 50, max: 20_000 }), open: fc.constantFrom('{"a":', '['), where: fc.constantFrom('args', 'record', 'extra', 'line') })
  .map(({ depth, open, where }) => {
    const close = open === '[' ? ']' : '}';
    const nested = open.repeat(depth) + '1' + close.repeat(depth);
    if (where === 'line') return nested;
    return `{"type":"${where === 'args' ? 'tool.call' : 'audit.write'}","tool":"t","job":"j","run_id":"r","${where}":${nested}}`;
  });

/** A line of about 1 MB: plain text, or an event whose output head, reason or argument is huge. */
const megabyteLine: fc.Arbitrary<string> = fc
  .record({ size: fc.integer({ min: 256 * 1024 - 2, max: 1_100_000 }), shape: fc.constantFrom('text', 'head', 'args', 'lambda') })
  .map(({ size, shape }) => {
    const filler = 'x'.repeat(size);
    if (shape === 'text') return filler;
    if (shape === 'head') return `{"type":"run.end","job":"j","run_id":"r","exit_code":0,"output_head":"${filler}"}`;
    if (shape === 'args') return `{"type":"tool.call","tool":"t","args":{"q":"${filler}"}}`;
    return `2026-10-03T06:00:01.123Z\t3f1d5c2a-7b8e-4c19-9a6d-2e0f4b7c8d91\tINFO\t{"type":"run.start","job":"j","run_id":"${filler}"}`;
  });

/** A real line cut short, with characters dropped, replaced or inserted. */
const mutatedSeed: fc.Arbitrary<string> = fc
  .record({
    seed: fc.constantFrom(...SEED_LINES),
    edits: fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('drop', 'replace', 'insert', 'cut'), text: fc.string({ unit: 'binary', maxLength: 4 }) }), { maxLength: 4 }),
  })
  .map(({ seed, edits }) => {
    let line = seed;
    for (const { at, op, text } of edits) {
      const i = line.length === 0 ? 0 : at % line.length;
      if (op === 'cut') line = line.slice(0, i);
      else if (op === 'drop') line = line.slice(0, i) + line.slice(i + 1);
      else if (op === 'replace') line = line.slice(0, i) + text + line.slice(i + 1);
      else line = line.slice(0, i) + text + line.slice(i);
    }
    return line;
  });

/** Bytes that are not valid UTF-8 (lone continuation bytes, overlong forms, surrogates, 0xFF), read as text. */
const invalidUtf8: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...SEED_LINES), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom([0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff, 0xfe], [0xf4, 0x90, 0x80, 0x80]))
  .map(([seed, noise, bad]) => Buffer.concat([Buffer.from(seed.slice(0, seed.length >> 1)), Buffer.from(bad), Buffer.from(noise), Buffer.from(seed.slice(seed.length >> 1))]).toString('utf8'));

/** A lone UTF-16 surrogate and other code points JSON.stringify escapes. */
const oddUnicode: fc.Arbitrary<string> = fc.string({ unit: fc.constantFrom('\uD800', '\uDFFF', '\u0000', '\u2028', '\uFEFF', '\u202E', 'é', '😀', '\t', '\r'), maxLength: 20 }).map((s) => `{"type":"run.start","job":"${s}","run_id":"r${s}"}`);

/** A line as any generator makes it: the heavy ones (1 MB, 20,000 levels) rarely. */
export function lineArbitrary(options: { heavy?: boolean } = {}): fc.Arbitrary<string> {
  const heavy = options.heavy ?? true;
  return fc.oneof(
    { weight: 6, arbitrary: mutatedSeed },
    { weight: 4, arbitrary: instrumentedEvent.map((e) => JSON.stringify(e)) },
    { weight: 2, arbitrary: instrumentedEvent.map((e) => `2026-10-03T06:00:01.123Z\t3f1d5c2a-7b8e-4c19-9a6d-2e0f4b7c8d91\tINFO\t${JSON.stringify(e)}`) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8')) },
    { weight: 2, arbitrary: invalidUtf8 },
    { weight: 1, arbitrary: oddUnicode },
    { weight: 2, arbitrary: prototypeKeys },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: heavy ? 1 : 0, arbitrary: deeplyNested },
    { weight: heavy ? 1 : 0, arbitrary: megabyteLine },
  );
}

/** What the pipeline must make of a delivery. */
export type Expectation = 'refused' | 'control' | 'read';

export interface FuzzDelivery {
  readonly event: unknown;
  readonly expect: Expectation;
  /** For `read`: the messages of the log events, each of which must be counted as one line. */
  readonly messages?: readonly string[];
  readonly logGroup?: string;
}

const PAYLOAD = { messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/jobs/fuzz', logStream: 'host-1', subscriptionFilters: ['silent-audit-ingest'] };

function encode(json: string | Buffer): string {
  return gzipSync(json).toString('base64');
}

function payloadOf(lines: readonly string[], logGroup = PAYLOAD.logGroup): Record<string, unknown> {
  return { ...PAYLOAD, logGroup, logEvents: lines.map((message, i) => ({ id: String(36_000_000_000 + i), timestamp: 1_790_000_000_000 + i * 1000, message })) };
}

/** Deliveries with readable payloads whose lines come from `lineArbitrary`. */
function readable(heavy: boolean): fc.Arbitrary<FuzzDelivery> {
  return fc
    .record({ lines: fc.array(lineArbitrary({ heavy }), { minLength: 1, maxLength: heavy ? 3 : 12 }), group: fc.constantFrom('/jobs/fuzz', '/aws/lambda/etl-loader', '/aws/lambda/', 'x') })
    .map(({ lines, group }) => ({ event: { awslogs: { data: encode(JSON.stringify(payloadOf(lines, group))) } }, expect: 'read' as const, messages: lines, logGroup: group }));
}

const validData = encode(JSON.stringify(payloadOf(SEED_LINES.slice(0, 20))));

/** Deliveries that must be refused whole, with the step that failed. */
const refusedDelivery: fc.Arbitrary<FuzzDelivery> = fc
  .oneof(
    // Not a subscription event at all.
    fc.anything({ maxDepth: 3 }).filter((v) => !(typeof v === 'object' && v !== null && 'awslogs' in v)),
    fc.record({ awslogs: fc.anything({ maxDepth: 2 }) }).filter(({ awslogs }) => typeof (awslogs as { data?: unknown } | null)?.data !== 'string'),
    // Not base64.
    fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }).filter((s) => !/^[A-Za-z0-9+/]*={0,2}$/.test(s)).map((data) => ({ awslogs: { data } })),
    // Base64 of random bytes: not gzip.
    fc.uint8Array({ minLength: 1, maxLength: 400 }).filter((b) => !(b[0] === 0x1f && b[1] === 0x8b)).map((b) => ({ awslogs: { data: Buffer.from(b).toString('base64') } })),
    // Truncated gzip of a good payload.
    fc.integer({ min: 4, max: validData.length - 8 }).map((n) => ({ awslogs: { data: Buffer.from(validData, 'base64').subarray(0, Math.floor(n * 0.75)).toString('base64') } })),
    // Gzip of random bytes or text that is not JSON.
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => ({ awslogs: { data: encode(Buffer.concat([Buffer.from('{'), Buffer.from(b)])) } })),
    // JSON, but not a payload: wrong types, missing keys, empty log events.
    fc
      .record({ key: fc.constantFrom('messageType', 'owner', 'logGroup', 'logStream', 'subscriptionFilters', 'logEvents', 'event.id', 'event.timestamp', 'event.message', 'events'), value: anyValue })
      .filter(({ key, value }) => !(key === 'events' && Array.isArray(value) && value.length > 0))
      .map(({ key, value }) => {
        const p = payloadOf(['a line']);
        const events = p.logEvents as Array<Record<string, unknown>>;
        if (key.startsWith('event.')) events[0][key.slice(6)] = value === undefined || typeof value === (key === 'event.timestamp' ? 'number' : 'string') ? [value] : value;
        else if (key === 'events') p.logEvents = [];
        else p[key] = typeof value === 'string' && key !== 'subscriptionFilters' && key !== 'logEvents' ? 42 : value ?? 42;
        if (key === 'subscriptionFilters' && Array.isArray(p[key]) && (p[key] as unknown[]).every((f) => typeof f === 'string')) p[key] = 'not-a-list';
        return { awslogs: { data: encode(JSON.stringify(p)) } };
      }),
  )
  .map((event) => ({ event, expect: 'refused' as const }));

/** `__proto__` keys in the payload itself and in its log events. */
const prototypePayload: fc.Arbitrary<FuzzDelivery> = fc.constantFrom('top', 'event').map((where) => {
  const messages = ['{"type":"run.start","job":"j","run_id":"r"}'];
  const json = JSON.stringify(payloadOf(messages));
  const hostile = '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},';
  const text = where === 'top' ? json.replace('{', `{${hostile}`) : json.replace('{"id"', `{${hostile}"id"`);
  return { event: { awslogs: { data: encode(text) } }, expect: 'read' as const, messages, logGroup: PAYLOAD.logGroup };
});

const controlDelivery: fc.Arbitrary<FuzzDelivery> = fc.constant({ event: controlMessage(), expect: 'control' as const });

/** Any delivery: a third refused, most of the rest readable with hostile lines. */
export function deliveryArbitrary(options: { heavy?: boolean } = {}): fc.Arbitrary<FuzzDelivery> {
  const heavy = options.heavy ?? true;
  return fc.oneof(
    { weight: 10, arbitrary: refusedDelivery },
    { weight: 16, arbitrary: readable(false) },
    { weight: heavy ? 1 : 0, arbitrary: readable(true) },
    { weight: 1, arbitrary: prototypePayload },
    { weight: 1, arbitrary: controlDelivery },
  );
}
