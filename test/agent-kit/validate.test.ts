import { describe, expect, it } from 'vitest';
import { toolArgsFeedback, validateToolArgs } from '../../lambdas/agent-kit/index.ts';
import { validateConfig } from '../../lambdas/config.ts';

const CONFIG = validateConfig({ tools: { escalate_to_human: { args: { user_id: 'uuid', email: 'email', amount: 'number', due: { date: { min: '-30d', max: '+365d' } } } } } });
const NOW = new Date('2026-10-05T13:00:00Z');

describe('validateToolArgs', () => {
  it('passes a good call', () => {
    expect(validateToolArgs('escalate_to_human', { user_id: '3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f', email: 'jane.doe@example.com', amount: 12.5, due: '2026-10-20', reason: 'the user mentioned in the conversation is upset' }, CONFIG, { now: NOW })).toEqual({
      ok: true,
      errors: [],
    });
  });

  it('takes a pattern argument written with bounded groups (a UUID, an IPv4 address) and checks each call against it', () => {
    // Prepare: bounded groups cannot backtrack catastrophically, so the config is not refused
    const config = { tools: { refund: { args: { order_id: { pattern: '^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$' }, ip: { pattern: '^(?:\\d{1,3}\\.){3}\\d{1,3}$' } } } } };
    // Act
    const good = validateToolArgs('refund', { order_id: '3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f', ip: '10.0.0.1' }, config);
    const bad = validateToolArgs('refund', { order_id: 'not-a-uuid', ip: '10.0.0.1' }, config);
    // Assess
    expect(good).toEqual({ ok: true, errors: [] });
    expect(bad.errors.map((e) => [e.arg, e.got])).toEqual([['order_id', '"not-a-uuid"']]);
  });

  it('returns errors a model can read and correct, before the tool is called', () => {
    // Act
    const result = validateToolArgs('escalate_to_human', { user_id: 'the user mentioned in the conversation', email: 'his email', due: '2026-08-01' }, CONFIG, { now: NOW });
    // Assess
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          arg: 'user_id',
          expected: 'a UUID',
          got: '"the user mentioned in the conversation"',
          message:
            'user_id must be a UUID like 3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f; got the placeholder text "the user mentioned in the conversation": pass the literal id from the earlier tool result, not a description of it.',
        },
        {
          arg: 'email',
          expected: 'an email address',
          got: '"his email"',
          message: 'email must be an email address like jane.doe@example.com; got the placeholder text "his email": pass the literal address from the conversation or an earlier tool result.',
        },
        {
          arg: 'due',
          expected: 'a date between 2026-09-05 and 2027-10-05',
          got: '"2026-08-01"',
          message: 'due must be a date between 2026-09-05 and 2027-10-05; got "2026-08-01", which is before 2026-09-05: check the year and month, and pass the intended date.',
        },
      ],
    });
    expect(toolArgsFeedback('escalate_to_human', result)).toBe(
      [
        'The call to escalate_to_human was not made: fix these arguments and call it again.',
        '- user_id must be a UUID like 3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f; got the placeholder text "the user mentioned in the conversation": pass the literal id from the earlier tool result, not a description of it.',
        '- email must be an email address like jane.doe@example.com; got the placeholder text "his email": pass the literal address from the conversation or an earlier tool result.',
        '- due must be a date between 2026-09-05 and 2027-10-05; got "2026-08-01", which is before 2026-09-05: check the year and month, and pass the intended date.',
      ].join('\n'),
    );
  });

  it('types unconfigured tools by argument names, and leaves free text alone', () => {
    const result = validateToolArgs('issue_refund', { order_id: '{{order_id}}', amount: 'the same amount as last time', note: 'TBD' }, {}, { now: NOW });
    expect(result.errors.map((e) => e.arg)).toEqual(['order_id', 'amount']);
    expect(validateToolArgs('issue_refund', { order_id: 'ord_7790', amount: '19.99', note: 'TBD' })).toEqual({ ok: true, errors: [] });
  });

  it('lets real calls with env maps, template text, labels and TBD through, and refuses an unfilled {{…}} slot or a description of a person in an untyped argument', () => {
    const deploy = { environment: { DB_PASSWORD: '${DB_PASSWORD}', DB_USER: '{{user_id}}' }, headers: { 'X-User': '{{user_id}}' }, url: '{{base_url}}', route: '{user_id}' };
    const meeting = { label: "Customer's email address", hint: "The user's email address", reply: 'See above.', agenda: 'TBD', venue: 'TBA', headline: 'Die genannten Gründe' };
    expect(validateToolArgs('deploy', deploy, {}, { now: NOW })).toEqual({ ok: true, errors: [] });
    expect(validateToolArgs('schedule_meeting', meeting, {}, { now: NOW })).toEqual({ ok: true, errors: [] });
    // Only top-level arguments are judged: a Postman request's auth, a workflow's steps and merge data hold templates on purpose.
    const workflow = {
      auth: { basic: [{ key: 'username', value: '{{username}}' }] },
      steps: [{ to: '{{trigger.customer_email}}' }],
      merge_data: { name: '{{customer_name}}' },
      greeting: '{{customer_name}}',
      search_term: '删除该用户',
    };
    expect(validateToolArgs('create_workflow', workflow, {}, { now: NOW })).toEqual({ ok: true, errors: [] });
    const result = validateToolArgs('send_message', { recipient: '{{user_id}}', user: 'the user mentioned in the conversation', body: 'Hi' }, {}, { now: NOW });
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.arg)).toEqual(['recipient', 'user']);
  });

  it('judges a configured tool whose call has an argument named after an Object member', () => {
    // Prepare
    const args = JSON.parse('{"constructor": "abc", "__proto__": "x", "user_id": "not an id"}') as Record<string, unknown>;
    // Act
    const result = validateToolArgs('escalate_to_human', args, CONFIG, { now: NOW });
    // Assess
    expect(result.errors.map((e) => e.arg)).toEqual(['user_id']);
  });

  it("reads arguments given as JSON text (OpenAI's function.arguments) as the object they encode", () => {
    // Prepare
    const asText = '{"user_id":"the user mentioned in the conversation","email":"his email"}';
    // Act
    const fromText = validateToolArgs('escalate_to_human', asText, CONFIG, { now: NOW });
    // Assess
    expect(fromText.errors.map((e) => e.arg)).toEqual(['user_id', 'email']);
    expect(fromText).toEqual(validateToolArgs('escalate_to_human', JSON.parse(asText) as Record<string, unknown>, CONFIG, { now: NOW }));
  });

  it.each([
    [null, 'got null'],
    [['the user'], 'got a list'],
    [42, 'got 42'],
    [undefined, 'got undefined'],
    [new Map([['user_id', 'u-1']]), 'got a Map'],
    ['[1, 2]', 'got JSON text of a list'],
    ['{"user_id": ', 'got text that is not JSON'],
  ])('refuses arguments that are not an object of named arguments: %j', (args, got) => {
    // Act
    const validate = () => validateToolArgs('escalate_to_human', args as never, CONFIG, { now: NOW });
    // Assess
    expect(validate).toThrow(TypeError);
    expect(validate).toThrow(`validateToolArgs("escalate_to_human"): args must be an object of named arguments ({"user_id": …}) or the JSON text of one; ${got}`);
  });

  it.each([
    ['a type misspelt', { user_id: 'uuid4' }, { user_id: 'abc' }, 'tools.t.args.user_id: expected one of uuid, email, number, integer, url, date, id, string, {date: {min, max}}, {enum: [...]} or {pattern: REGEX}'],
    ['a type misspelt, its argument absent', { user_id: 'uuid4' }, {}, 'tools.t.args.user_id: expected one of uuid, email, number, integer, url, date, id, string'],
    ['an enum not a list', { s: { enum: 'a' } }, { s: 'x' }, 'tools.t.args.s.enum: expected a list'],
    ['a date bound not a date', { due: { date: { min: 'yesterday' } } }, { due: '2026-12-01' }, 'tools.t.args.due.date.min: expected a date or a relative ±Nd'],
  ])('refuses a config the pipeline refuses (%s), naming its key path as scan --config does', (_, args, call, message) => {
    // Prepare
    const config = { tools: { t: { args } } } as never;
    // Act
    const validate = () => validateToolArgs('t', call, config, { now: NOW });
    // Assess
    expect(validate).toThrow(TypeError);
    expect(validate).toThrow(message);
  });

  it('counts relative date bounds from now by default', () => {
    const inAYear = new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10);
    expect(validateToolArgs('escalate_to_human', { due: inAYear }, CONFIG).ok).toBe(false);
  });
});
