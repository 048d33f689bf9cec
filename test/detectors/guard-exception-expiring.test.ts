import { guardExceptionExpiringDetector } from '../../lambdas/detectors/guard-exception-expiring.ts';
import { testBypassDetector } from './guard-detector-tester.ts';
import { bypass, exception } from './guard-fixtures.ts';

const evidence = (days_left: number) => ({ guard: 'pii-redaction', exception_id: 'EX-12', expires: '2026-12-31', days_left, within_days: 14, owner: 'alice@example.com' });

testBypassDetector(guardExceptionExpiringDetector, {
  valid: [
    { name: '15 days before the expiry', bypass: bypass({ exception_id: 'EX-12' }), at: '2026-12-16T10:00:00.000Z', exception: exception() },
    { name: 'after the expiry (that is guard-exception-expired)', bypass: bypass({ exception_id: 'EX-12' }), at: '2027-01-01T10:00:00.000Z', exception: exception() },
    {
      name: 'a revoked exception',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-12-20T10:00:00.000Z',
      exception: exception({ status: 'revoked', revoked_at: '2026-12-19T00:00:00.000Z' }),
    },
    { name: 'an exception of another guard', bypass: bypass({ guard: 'approval-step', exception_id: 'EX-12' }), at: '2026-12-20T10:00:00.000Z', exception: exception() },
    { name: 'no exception', bypass: bypass(), at: '2026-12-20T10:00:00.000Z' },
    {
      name: 'a bypass before the exception was added with the CLI (that is guard-bypass-unregistered)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-12-20T08:00:00.000Z',
      exception: exception({ origin: 'cli', created_at: '2026-12-20T09:00:00.000Z' }),
    },
    {
      name: 'a bypass near the end of a term, the exception revoked since (a late line)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-12-20T10:00:00.000Z',
      exception: exception({ status: 'revoked', revoked_at: '2026-12-21T00:00:00.000Z', revoked_by: 'bob', revoke_reason: 'fixed upstream' }),
    },
    {
      name: 'a bypass near the end of a term read after the exception expired (a backfill)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-12-20T10:00:00.000Z',
      exception: exception(),
      now: '2027-01-05T00:00:00.000Z',
    },
    {
      name: 'a bypass near the end of a term that has been renewed since (a late line)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-10-05T10:00:00.000Z',
      exception: exception({ renewals: [{ at: '2026-10-08T09:00:00.000Z', by: 'bob', reason: 'still needed', from_expires: '2026-10-10', to_expires: '2026-12-31' }] }),
    },
  ],
  invalid: [
    {
      name: 'exactly 14 days before the expiry',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-12-17T00:00:00.000Z',
      exception: exception(),
      expected: { severity: 'medium', message: 'exception EX-12 for guard "pii-redaction" expires on 2026-12-31, in 14 days, and is still in use; owner alice@example.com', evidence: evidence(14) },
    },
    {
      name: 'on the last valid day',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-12-31T22:00:00.000Z',
      exception: exception(),
      expected: { severity: 'medium', message: 'exception EX-12 for guard "pii-redaction" expires on 2026-12-31, today, and is still in use; owner alice@example.com', evidence: evidence(0) },
    },
    {
      name: 'a late line read on the last valid day (its days counted from the bypass)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-12-20T10:00:00.000Z',
      exception: exception(),
      now: '2026-12-31T23:00:00.000Z',
      expected: { severity: 'medium', message: 'exception EX-12 for guard "pii-redaction" expires on 2026-12-31, in 11 days, and is still in use; owner alice@example.com', evidence: evidence(11) },
    },
  ],
});
