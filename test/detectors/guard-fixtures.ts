import type { GuardBypass } from '../../lambdas/core/events.ts';
import type { GuardException } from '../../lambdas/ports.ts';

/** A registered exception as the registry stores it: EX-12 for pii-redaction, valid through 2026-12-31. */
export function exception(overrides: Partial<GuardException> = {}): GuardException {
  return {
    id: 'EX-12',
    guard: 'pii-redaction',
    reason: 'support workflow needs raw logs',
    owner: 'alice@example.com',
    expires: '2026-12-31',
    status: 'active',
    created_at: '2026-10-01T09:00:00.000Z',
    created_by: 'config',
    origin: 'config',
    renewals: [],
    bypass_count: 0,
    ...overrides,
  };
}

/** A `guard.bypass` line's body. */
export function bypass(overrides: Partial<GuardBypass> = {}): GuardBypass {
  return { type: 'guard.bypass', guard: 'pii-redaction', ...overrides };
}
