import { guardExceptionExpiredDetector } from '../../lambdas/detectors/guard-exception-expired.ts';
import { testBypassDetector } from './guard-detector-tester.ts';
import { bypass, exception } from './guard-fixtures.ts';

testBypassDetector(guardExceptionExpiredDetector, {
  valid: [
    { name: 'a bypass on the last valid day', bypass: bypass({ exception_id: 'EX-12' }), at: '2026-12-31T23:59:59.000Z', exception: exception() },
    { name: 'a bypass that names no exception (that is guard-bypass-unregistered)', bypass: bypass(), at: '2027-03-01T00:00:00.000Z' },
    { name: 'an unknown id (that is guard-bypass-unregistered)', bypass: bypass({ exception_id: 'EX-99' }), at: '2027-03-01T00:00:00.000Z' },
    {
      name: 'an expired exception of another guard (that is guard-bypass-unregistered)',
      bypass: bypass({ guard: 'approval-step', exception_id: 'EX-12' }),
      at: '2027-03-01T00:00:00.000Z',
      exception: exception(),
    },
    {
      name: 'a bypass before the exception was revoked (a late line)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-10-14T23:00:00.000Z',
      exception: exception({ status: 'revoked', revoked_at: '2026-10-15T08:00:00.000Z', revoked_by: 'bob' }),
    },
    {
      name: 'a bypass within the term a later renewal extended',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-10-05T12:00:00.000Z',
      exception: exception({ renewals: [{ at: '2026-10-08T09:00:00.000Z', by: 'bob', reason: 'still needed', from_expires: '2026-10-10', to_expires: '2026-12-31' }] }),
    },
  ],
  invalid: [
    {
      name: 'a bypass while the exception had lapsed, read after it was renewed (a late line, a backfill)',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-10-15T12:00:00.000Z',
      exception: exception({ renewals: [{ at: '2026-10-20T12:00:00.000Z', by: 'bob', reason: 'migration slipped', from_expires: '2026-10-10', to_expires: '2026-12-31' }] }),
      expected: {
        severity: 'high',
        message: 'guard "pii-redaction" bypassed under EX-12, which expired on 2026-10-10 (5 days before); owner alice@example.com',
        evidence: { guard: 'pii-redaction', exception_id: 'EX-12', expires: '2026-10-10', owner: 'alice@example.com', status: 'expired', days_past: 5 },
      },
    },
    {
      name: 'a bypass the day after the expiry, under an exception from the config taken as it stands',
      bypass: bypass({ exception_id: 'EX-12', actor: 'svc-support' }),
      at: '2027-01-01T00:00:01.000Z',
      exception: exception(),
      expected: {
        severity: 'high',
        message: 'guard "pii-redaction" bypassed by svc-support under EX-12, which expired on 2026-12-31 (1 day before); owner alice@example.com',
        evidence: { guard: 'pii-redaction', exception_id: 'EX-12', actor: 'svc-support', expires: '2026-12-31', owner: 'alice@example.com', status: 'expired', days_past: 1 },
      },
    },
    {
      name: 'a bypass long after the expiry',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2027-01-31T12:00:00.000Z',
      exception: exception(),
      expected: {
        severity: 'high',
        message: 'guard "pii-redaction" bypassed under EX-12, which expired on 2026-12-31 (31 days before); owner alice@example.com',
        evidence: { guard: 'pii-redaction', exception_id: 'EX-12', expires: '2026-12-31', owner: 'alice@example.com', status: 'expired', days_past: 31 },
      },
    },
    {
      name: 'a bypass after the exception was revoked, though its expiry is still ahead',
      bypass: bypass({ exception_id: 'EX-12' }),
      at: '2026-10-15T09:00:00.000Z',
      exception: exception({ status: 'revoked', revoked_at: '2026-10-15T08:00:00.000Z', revoked_by: 'bob', revoke_reason: 'raw logs no longer needed' }),
      expected: {
        severity: 'high',
        message: 'guard "pii-redaction" bypassed under EX-12, which was revoked on 2026-10-15 by bob ("raw logs no longer needed")',
        evidence: {
          guard: 'pii-redaction',
          exception_id: 'EX-12',
          expires: '2026-12-31',
          owner: 'alice@example.com',
          status: 'revoked',
          revoked_at: '2026-10-15T08:00:00.000Z',
          revoked_by: 'bob',
          revoke_reason: 'raw logs no longer needed',
        },
      },
    },
  ],
});
