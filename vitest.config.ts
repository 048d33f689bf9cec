import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every state a store keeps is deep-frozen: a reducer that writes into its input fails its tests (lambdas/core/frozen-state.ts).
    env: { SILENT_AUDIT_FREEZE_STATE: '1' },
  },
});
