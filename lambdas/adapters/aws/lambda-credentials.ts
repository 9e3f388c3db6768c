/**
 * The credential chain a deployed Lambda uses, swapped in for `@aws-sdk/credential-provider-node` by the bundler
 * only (lib/bundling.ts `alias`). Lambda hands every function its execution role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the default chain's SSO, INI, process,
 * web-identity and IMDS providers are never reached there — yet they cost about 110 KiB of bundle and their
 * module init on every cold start (issue 16). Tests and the local runtime keep the SDK's full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same name and call shape as the SDK's `defaultProvider`, which every client's runtime config imports. */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
