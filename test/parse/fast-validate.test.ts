import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INSTRUMENTED_TYPES, type InstrumentedType, validateEvent } from '../../lambdas/core/events.ts';
import { fastValidate } from '../../lambdas/core/parse/fast-validate.ts';

/** A valid value for every field of each schema: generated objects start valid, then lose or spoil fields. */
const VALID: Record<InstrumentedType, Record<string, unknown>> = {
  'run.start': { job: 'nightly-backup', run_id: 'r-1', host: 'db1' },
  'run.end': { job: 'j', run_id: 'r', exit_code: 0, duration_ms: 12.5, output_bytes: 3, output_lines: 1, output_head: 'ok', output_tail: 'ok', host: 'h' },
  'agent.start': { agent: 'a', run_id: 'r', parent_run_id: 'p', budget: { max_actions: 20, max_cost_usd: 0.5, scope: 'tick' } },
  'agent.action': { agent: 'a', run_id: 'r', action: 'llm_call', name: 'm', tick: 2, cost_usd: 0.01, tokens_in: 10, tokens_out: 3, duration_ms: 5 },
  'agent.end': { agent: 'a', run_id: 'r', status: 'ok', actions_reported: 3, cost_reported_usd: 0.1, output_bytes: 9 },
  'tool.call': { tool: 't', args: { user_id: 'u', amount: 3 }, agent: 'a', run_id: 'r', call_id: 'c' },
  attempt: { route: 'search-api', request_id: 'q', attempt: 2, outcome: 'timeout', latency_ms: 3000, status: 'timeout' },
  'guard.bypass': { guard: 'g', exception_id: 'EX-1', actor: 'x', reason: 'y', job: 'j', agent: 'a', route: 'r' },
  'audit.write': { job: 'j', run_id: 'r', record: { id: 1 } },
};

const scalar = fc.constantFrom<unknown>(
  '',
  'x',
  'ok',
  'timeout',
  'task',
  'tick',
  '2026-10-03T02:30:00Z',
  'yesterday',
  0,
  -0,
  1,
  -1,
  2.5,
  7,
  1e21,
  2 ** 53,
  1790000000000,
  // Epoch milliseconds with a fraction (Python's time.time() * 1000), and below 1 ms.
  1790994600123.456,
  0.5,
  // A ts lies before the year 10000: each side of that bound, and a number a date cannot hold.
  253402300799999,
  253402300800000,
  9e15,
  // Quantities are bounded (dollars, tokens, milliseconds): each side of each bound.
  1_000_000,
  1_000_000.5,
  1_000_000_000,
  1_000_000_001,
  31_622_400_000,
  31_622_400_000.5,
  null,
  true,
  false,
  // Identifiers are bounded (256 characters, 400 bytes of UTF-8): each side of both bounds.
  'x'.repeat(256),
  'x'.repeat(257),
  'é'.repeat(200),
  'é'.repeat(201),
  '€'.repeat(133),
  '€'.repeat(134),
  // Characters are UTF-16 units (an emoji two): 256 units and 400 bytes each way, in emoji and ASCII.
  '😀'.repeat(100),
  '😀'.repeat(101),
  '😀'.repeat(129),
  `${'x'.repeat(200)}${'😀'.repeat(50)}`,
);
const nested = fc.oneof(
  fc.constant<unknown>([]),
  fc.constant<unknown>([1, 'a']),
  fc.dictionary(fc.constantFrom('max_actions', 'max_cost_usd', 'scope', 'user_id', 'extra', '__proto__', '1'), scalar, { maxKeys: 4 }),
);
const value = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: nested });

/**
 * An object as JSON.parse would give it: the type and the valid fields, each kept, dropped or
 * replaced by any value, maybe a `ts` and unknown keys, the type at any position.
 */
function lineObject(type: InstrumentedType) {
  const fields = Object.keys(VALID[type]);
  const fate = fc.oneof({ weight: 6, arbitrary: fc.constant<'keep'>('keep') }, { weight: 1, arbitrary: fc.constant<'drop'>('drop') }, { weight: 1, arbitrary: value.map((v) => ({ v })) });
  const extras = fc.dictionary(fc.constantFrom('ts', 'extra', 'zz', '__proto__', '10'), value, { maxKeys: 3 });
  return fc.tuple(fc.array(fate, { minLength: fields.length, maxLength: fields.length }), extras, fc.nat(20)).map(([fates, extra, at]) => {
    const entries: Array<[string, unknown]> = [];
    fields.forEach((key, i) => {
      const f = fates[i];
      if (f === 'keep') entries.push([key, VALID[type][key]]);
      else if (f !== 'drop') entries.push([key, f.v]);
    });
    entries.push(...Object.entries(extra));
    const cut = at % (entries.length + 1);
    const all: Array<[string, unknown]> = [...entries.slice(0, cut), ['type', type], ...entries.slice(cut)];
    const text = `{${all.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
    return JSON.parse(text) as Record<string, unknown>;
  });
}

function zodResult(type: InstrumentedType, raw: unknown): { success: boolean; data?: unknown } {
  const result = validateEvent(type, raw);
  return result.success ? { success: true, data: result.data } : { success: false };
}

describe('fastValidate: the same answer as the zod schemas, faster', () => {
  it.each(INSTRUMENTED_TYPES)('%s: answers exactly when zod accepts, with the very same object (keys in the same order)', (type) => {
    let answered = 0;
    fc.assert(
      fc.property(lineObject(type), (raw) => {
        // Act
        const fast = fastValidate(type, raw);
        const zod = zodResult(type, raw);

        // Assess
        if (zod.success) expect(fast).toBeDefined();
        if (fast === undefined) return;
        answered++;
        expect(zod.success).toBe(true);
        expect(fast).toStrictEqual(zod.data);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
        expect(Object.getPrototypeOf(fast)).toBe(Object.prototype);
      }),
      { numRuns: 3000, seed: 20261009 },
    );
    expect(answered).toBeGreaterThan(30);
  });

  it('answers for the valid lines of every type, budget default and nested copies included', () => {
    // Prepare
    const lines: Array<[InstrumentedType, string]> = [
      ['run.start', '{"type":"run.start","ts":"2026-10-03T02:30:00Z","job":"nightly-backup","run_id":"r-1","host":"db1","extra":{"a":1}}'],
      ['run.end', '{"type":"run.end","ts":1790000000000,"job":"j","run_id":"r","exit_code":0,"duration_ms":12.5,"output_bytes":3,"output_head":"ok\\n"}'],
      ['agent.start', '{"type":"agent.start","agent":"support-bot","run_id":"r-1","budget":{"max_actions":20}}'],
      ['agent.action', '{"type":"agent.action","agent":"a","run_id":"r","action":"llm_call","tick":0,"cost_usd":0.002,"tokens_in":10,"tokens_out":2}'],
      ['agent.end', '{"type":"agent.end","agent":"a","run_id":"r","status":"ok","actions_reported":3}'],
      ['tool.call', '{"type":"tool.call","tool":"escalate","args":{"user_id":"u","10":1},"call_id":"c"}'],
      ['attempt', '{"type":"attempt","route":"search-api","request_id":"q","attempt":1,"outcome":"ok","latency_ms":120,"status":200}'],
      ['guard.bypass', '{"type":"guard.bypass","guard":"pii-redaction","exception_id":"EX-12"}'],
      ['guard.bypass', '{"type":"guard.bypass","guard":" pii-redaction ","exception_id":"EX-12"}'],
      ['audit.write', '{"type":"audit.write","job":"j","run_id":"r","record":null}'],
    ];

    for (const [type, text] of lines) {
      // Act
      const raw = JSON.parse(text) as Record<string, unknown>;
      const fast = fastValidate(type, raw);

      // Assess
      expect(fast, text).toBeDefined();
      expect(JSON.stringify(fast)).toBe(JSON.stringify(zodResult(type, raw).data));
    }
    const budget = fastValidate('agent.start', JSON.parse(lines[2][1]) as Record<string, unknown>) as { budget: unknown };
    expect(budget.budget).toEqual({ max_actions: 20, scope: 'task' });
  });

  it('keeps an argument named __proto__ as an own key of args, as zod does, and sets no prototype', () => {
    // Prepare: JSON.parse makes `__proto__` an own key
    const text = '{"type":"tool.call","tool":"t","args":{"a":1,"__proto__":{"polluted":true},"b":2}}';
    const raw = JSON.parse(text) as Record<string, unknown>;

    // Act
    const fast = fastValidate('tool.call', raw) as { args: Record<string, unknown> } | undefined;
    const zod = zodResult('tool.call', raw);

    // Assess: the key in its place, a plain data property, in both; no object got a new prototype
    expect(fast).toBeDefined();
    expect(Object.keys(fast!.args)).toEqual(['a', '__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(fast!.args, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(fast!.args)).toBe(Object.prototype);
    expect(zod.success).toBe(true);
    expect(zod.data).toStrictEqual(fast);
    expect(JSON.stringify(zod.data)).toBe(JSON.stringify(fast));
    expect(JSON.stringify(fast)).toBe(text);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('leaves to zod what it cannot be sure of: an invalid field', () => {
    // Prepare
    const invalid = JSON.parse('{"type":"run.end","job":"j","run_id":"r","exit_code":1.5}') as Record<string, unknown>;

    // Act and Assess
    expect(fastValidate('run.end', invalid)).toBeUndefined();
    expect(zodResult('run.end', invalid).success).toBe(false);
  });

  it('leaves to zod a budget with a key no budget takes, and zod refuses it', () => {
    // Prepare
    const typo = JSON.parse('{"type":"agent.start","agent":"a","run_id":"r","budget":{"max_action":1}}') as Record<string, unknown>;
    const extra = JSON.parse('{"type":"agent.start","agent":"a","run_id":"r","budget":{"max_actions":1,"note":"x"}}') as Record<string, unknown>;

    // Act and Assess
    for (const raw of [typo, extra]) {
      expect(fastValidate('agent.start', raw)).toBeUndefined();
      expect(zodResult('agent.start', raw).success).toBe(false);
    }
  });

  it('leaves to zod an identifier too long for a storage key, and zod refuses it', () => {
    // Prepare
    const longChars = { type: 'run.end', job: 'j'.repeat(257), run_id: 'r', exit_code: 0 };
    const longBytes = { type: 'tool.call', tool: 't', args: {}, run_id: '€'.repeat(134) };
    const atBound = { type: 'attempt', route: 'x'.repeat(256), request_id: 'é'.repeat(200), attempt: 1, outcome: 'ok', latency_ms: 1 };

    // Act and Assess
    expect(fastValidate('run.end', longChars)).toBeUndefined();
    expect(zodResult('run.end', longChars).success).toBe(false);
    expect(fastValidate('tool.call', longBytes)).toBeUndefined();
    expect(zodResult('tool.call', longBytes).success).toBe(false);
    expect(fastValidate('attempt', atBound)).toBeDefined();
    expect(zodResult('attempt', atBound).success).toBe(true);
  });

  it('leaves to zod an attempt whose route is a URL of no host or path, whose template is empty, and zod refuses it', () => {
    // Prepare: a URL of a scheme alone is templated to nothing; a route must name something.
    const routes = ['https://', 'http://?x', 'https://#a'];

    // Act and Assess
    for (const route of routes) {
      const raw = { ...VALID.attempt, type: 'attempt', route };
      expect(fastValidate('attempt', raw)).toBeUndefined();
      expect(zodResult('attempt', raw).success).toBe(false);
    }
  });

  it('bounds an identifier in UTF-16 units and bytes alike, emoji included: each side of 256 units and 400 bytes', () => {
    // Prepare: an emoji is 2 UTF-16 units and 4 bytes; zod's own `.max` would count it as 1 character.
    const cases: Array<[string, boolean]> = [
      ['x'.repeat(256), true], // 256 units, 256 bytes
      ['x'.repeat(257), false], // 257 units
      ['😀'.repeat(100), true], // 200 units, 400 bytes
      ['😀'.repeat(101), false], // 202 units, 404 bytes
      ['😀'.repeat(128), false], // 256 units, 512 bytes
      ['😀'.repeat(129), false], // 258 units (129 code points), 516 bytes
      [`${'x'.repeat(200)}${'😀'.repeat(50)}`, false], // 300 units (250 code points), 400 bytes
      [`${'x'.repeat(192)}${'😀'.repeat(32)}`, true], // 256 units, 320 bytes
    ];

    for (const [job, fits] of cases) {
      // Act
      const raw = { type: 'run.start', job, run_id: 'r' };
      const fast = fastValidate('run.start', raw);
      const zod = zodResult('run.start', raw);

      // Assess
      const what = `${job.length} units, ${Buffer.byteLength(job)} bytes`;
      expect(zod.success, what).toBe(fits);
      expect(fast !== undefined, what).toBe(fits);
    }
  });
});
