import { expect } from 'vitest';
import { toolArgInvalidDetector } from '../../lambdas/detectors/tool-arg-invalid.ts';
import { testToolCallDetector } from './agent-detector-tester.ts';

const AT = Date.parse('2026-10-05T13:00:00Z');
const call = (args: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ tool: 'escalate_to_human', args, at: AT, agent: 'support-bot', run_id: 'r-1', ...extra });
/** The contract's example tool config. */
const ESCALATE = { user_id: 'uuid', email: 'email', amount: 'number', due: { date: { min: '-30d', max: '+365d' } } } as const;

testToolCallDetector(toolArgInvalidDetector, {
  valid: [
    { name: 'configured types, good values', input: { call: call({ user_id: '3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f', email: 'jane.doe@example.com', amount: 42.5, due: '2026-10-20' }), configured: ESCALATE } },
    { name: 'free text is never flagged, even when it reads like a placeholder', input: { call: call({ reason: 'the user mentioned in the conversation', message: 'his email', note: 'TBD' }) } },
    { name: 'inferred types, good values', input: { call: call({ ticket_id: 'TCK-1042', customer_email: 'ops@example.org', refund_amount: '19.99', created_at: '2026-10-05T12:59:00Z' }) } },
    { name: 'arguments with no type at all', input: { call: call({ city: 'London', units: 'metric', verbose: true }) } },
    { name: 'a date 29 days before the call, with min -30d', input: { call: call({ due: '2026-09-06' }), configured: ESCALATE } },
  ],
  invalid: [
    {
      name: 'the article\'s placeholder user id against a configured uuid',
      input: { call: call({ user_id: 'the user mentioned in the conversation', reason: 'wants a refund' }, { call_id: 'call_7' }), configured: ESCALATE },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T13:00:00Z',
          severity: 'high',
          message:
            'escalate_to_human: user_id must be a UUID like 3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f; got the placeholder text "the user mentioned in the conversation": pass the literal id from the earlier tool result, not a description of it.',
          evidence: {
            errors: [
              {
                arg: 'user_id',
                expected: 'a UUID',
                got: '"the user mentioned in the conversation"',
                message:
                  'user_id must be a UUID like 3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f; got the placeholder text "the user mentioned in the conversation": pass the literal id from the earlier tool result, not a description of it.',
                source: 'config',
              },
            ],
            errors_total: 1,
            placeholders: 1,
            agent: 'support-bot',
            call_id: 'call_7',
          },
        },
      ],
    },
    {
      name: 'three placeholders without config: one finding naming the first and counting the rest',
      input: { call: call({ user_id: '{{user_id}}', email: 'his email', amount: 'the same amount as last time' }) },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T13:00:00Z',
          severity: 'high',
          message:
            'escalate_to_human: user_id must be an identifier (one token, no spaces) like usr_8412; got the placeholder text "{{user_id}}": pass the literal id from the earlier tool result, not a description of it. (and 2 more arguments)',
          evidence: {
            errors: [
              {
                arg: 'user_id',
                expected: 'an identifier (one token, no spaces)',
                got: '"{{user_id}}"',
                message: 'user_id must be an identifier (one token, no spaces) like usr_8412; got the placeholder text "{{user_id}}": pass the literal id from the earlier tool result, not a description of it.',
                source: 'name',
              },
              {
                arg: 'email',
                expected: 'an email address',
                got: '"his email"',
                message: 'email must be an email address like jane.doe@example.com; got the placeholder text "his email": pass the literal address from the conversation or an earlier tool result.',
                source: 'name',
              },
              {
                arg: 'amount',
                expected: 'a number',
                got: '"the same amount as last time"',
                message: 'amount must be a number like 42.5; got the placeholder text "the same amount as last time": look the amount up and pass the number itself.',
                source: 'name',
              },
            ],
            errors_total: 3,
            placeholders: 3,
            agent: 'support-bot',
          },
        },
      ],
    },
    {
      name: 'a wrong value that is no placeholder: medium severity, no run id when the call has none',
      input: { call: { tool: 'refund', args: { amount: 'forty dollars' }, at: AT } },
      expected: [
        {
          ts: '2026-10-05T13:00:00Z',
          severity: 'medium',
          message: 'refund: amount must be a number like 42.5; got "forty dollars", which is not a number: pass digits only, like 40 or 40.00, without currency symbols or words.',
          evidence: {
            errors: [
              {
                arg: 'amount',
                expected: 'a number',
                got: '"forty dollars"',
                message: 'amount must be a number like 42.5; got "forty dollars", which is not a number: pass digits only, like 40 or 40.00, without currency symbols or words.',
                source: 'name',
              },
            ],
            errors_total: 1,
            placeholders: 0,
          },
        },
      ],
    },
    {
      name: 'a due date 31 days before the call, with min -30d relative to the call time',
      input: { call: call({ due: '2026-09-04' }), configured: ESCALATE },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T13:00:00Z',
          severity: 'medium',
          message: 'escalate_to_human: due must be a date between 2026-09-05 and 2027-10-05; got "2026-09-04", which is before 2026-09-05: check the year and month, and pass the intended date.',
          evidence: {
            errors: [
              {
                arg: 'due',
                expected: 'a date between 2026-09-05 and 2027-10-05',
                got: '"2026-09-04"',
                message: 'due must be a date between 2026-09-05 and 2027-10-05; got "2026-09-04", which is before 2026-09-05: check the year and month, and pass the intended date.',
                source: 'config',
              },
            ],
            errors_total: 1,
            placeholders: 0,
            agent: 'support-bot',
          },
        },
      ],
    },
    {
      name: 'thousands of placeholder arguments: the first 20 errors in evidence, errors_total counts them all',
      input: { call: call(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`ref${i}_id`, 'TBD']))) },
      expected: [
        {
          run_id: 'r-1',
          ts: '2026-10-05T13:00:00Z',
          severity: 'high',
          message: expect.stringMatching(/^escalate_to_human: ref0_id must be .* \(and 2999 more arguments; the first 20 in evidence\)$/),
          evidence: {
            errors: Array.from({ length: 20 }, (_, i) => expect.objectContaining({ arg: `ref${i}_id`, source: 'name' })),
            errors_total: 3000,
            placeholders: 3000,
            agent: 'support-bot',
          },
        },
      ],
    },
  ],
});
