import { defineConfig } from 'vitest/config';

/**
 * `npm run test:odoo`: the conformance suite against the Odoo the ODOO_* variables name (the sandbox when
 * none is): one file, one hub, long timeouts (a real Odoo on two shared cores, a restart in the middle).
 */
export default defineConfig({
  test: {
    include: ['test/conformance/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
