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
    // The AWS SDK's notice about Node 20 (README, The two commands), silenced by its own switch as in npm test.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
