import { guardBypassUnregisteredDetector } from '../../lambdas/detectors/guard-bypass-unregistered.ts';
import { testBypassDetector } from './guard-detector-tester.ts';
import { bypass, exception } from './guard-fixtures.ts';

const AT = '2026-10-15T10:00:00.000Z';

testBypassDetector(guardBypassUnregisteredDetector, {
  valid: [
    { name: 'a bypass under a valid exception for this guard', bypass: bypass({ exception_id: 'EX-12' }), at: AT, exception: exception() },
    { name: 'a bypass under an expired exception for this guard (that is guard-exception-expired)', bypass: bypass({ exception_id: 'EX-12' }), at: AT, exception: exception({ expires: '2026-09-30' }) },
    {
      name: 'a bypass under a revoked exception for this guard (that is guard-exception-expired)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: AT,
      exception: exception({ status: 'revoked', revoked_at: '2026-10-01T00:00:00.000Z' }),
    },
    { name: 'a bypass the moment an exception was added with the CLI', bypass: bypass({ exception_id: 'EX-12' }), at: AT, exception: exception({ origin: 'cli', created_at: AT, created_by: 'bob' }) },
    {
      name: 'a bypass timed to the second in which the exception was added with the CLI (it may have come after the add, as one in the second of a revocation may have come before it)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-10-15T09:45:01Z',
      exception: exception({ origin: 'cli', created_at: '2026-10-15T09:45:01.715Z', created_by: 'bob' }),
    },
    {
      name: 'a bypass before a config exception was seeded into the registry (its created_at is the seeding, not when it was written)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: AT,
      exception: exception({ origin: 'config', created_at: '2026-10-20T00:00:00.000Z' }),
    },
  ],
  invalid: [
    {
      name: 'a bypass that names no exception',
      bypass: bypass({ actor: 'dev-bob', job: 'nightly-export', reason: 'hotfix' }),
      at: AT,
      expected: {
        severity: 'high',
        message: 'guard "pii-redaction" bypassed by dev-bob for job nightly-export ("hotfix") with no exception',
        evidence: { guard: 'pii-redaction', actor: 'dev-bob', job: 'nightly-export', reason: 'hotfix', problem: 'no-exception' },
      },
    },
    {
      name: 'an empty exception id counts as none',
      bypass: bypass({ exception_id: '  ', agent: 'support-bot' }),
      at: AT,
      expected: { severity: 'high', message: 'guard "pii-redaction" bypassed for agent support-bot with no exception', evidence: { guard: 'pii-redaction', exception_id: '  ', agent: 'support-bot', problem: 'no-exception' } },
    },
    {
      name: 'an id that is not in the registry',
      bypass: bypass({ exception_id: 'EX-99' }),
      at: AT,
      expected: { severity: 'high', message: 'guard "pii-redaction" bypassed under EX-99, which is not in the exception registry', evidence: { guard: 'pii-redaction', exception_id: 'EX-99', problem: 'unknown-exception' } },
    },
    {
      name: 'an exception registered for another guard',
      bypass: bypass({ guard: 'approval-step', exception_id: 'EX-12', route: 'refunds' }),
      at: AT,
      exception: exception(),
      expected: {
        severity: 'high',
        message: 'guard "approval-step" bypassed for route refunds under EX-12, which is an exception for guard "pii-redaction", not this one',
        evidence: { guard: 'approval-step', exception_id: 'EX-12', route: 'refunds', problem: 'other-guard', exception_guard: 'pii-redaction' },
      },
    },
    {
      name: 'a bypass before the exception it names was added with the CLI (a late line, a backfill)',
      bypass: bypass({ exception_id: 'EX-12', actor: 'dev-bob' }),
      at: AT,
      exception: exception({ origin: 'cli', created_at: '2026-10-15T12:00:00.000Z', created_by: 'bob' }),
      expected: {
        severity: 'high',
        message: 'guard "pii-redaction" bypassed by dev-bob under EX-12, which was added to the exception registry only at 2026-10-15T12:00:00Z, after this bypass',
        evidence: { guard: 'pii-redaction', exception_id: 'EX-12', actor: 'dev-bob', problem: 'before-exception', exception_created_at: '2026-10-15T12:00:00.000Z' },
      },
    },
    {
      name: 'a bypass timed to the millisecond before the exception was added in the same second: the message tells the two times apart',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-10-15T09:45:01.200Z',
      exception: exception({ origin: 'cli', created_at: '2026-10-15T09:45:01.715Z', created_by: 'bob' }),
      expected: {
        severity: 'high',
        message: 'guard "pii-redaction" bypassed under EX-12, which was added to the exception registry only at 2026-10-15T09:45:01.715Z, after this bypass at 2026-10-15T09:45:01.200Z',
        evidence: { guard: 'pii-redaction', exception_id: 'EX-12', problem: 'before-exception', exception_created_at: '2026-10-15T09:45:01.715Z' },
      },
    },
    {
      name: 'a bypass timed to the second before the second in which the exception was added',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-10-15T09:45:00Z',
      exception: exception({ origin: 'cli', created_at: '2026-10-15T09:45:01.000Z', created_by: 'bob' }),
      expected: {
        severity: 'high',
        message: 'guard "pii-redaction" bypassed under EX-12, which was added to the exception registry only at 2026-10-15T09:45:01Z, after this bypass',
        evidence: { guard: 'pii-redaction', exception_id: 'EX-12', problem: 'before-exception', exception_created_at: '2026-10-15T09:45:01.000Z' },
      },
    },
  ],
});
