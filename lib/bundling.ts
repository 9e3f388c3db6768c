/**
 * How every Lambda is bundled, in one place: RcmFunction (lib/functions.ts) passes it to NodejsFunction, and
 * the benchmark (test/bench) builds with it to measure what ships. ESM, minified, source maps, the AWS SDK
 * and Powertools inside the bundle (no layer, no external SDK: both cost cold start, aws-cdk #25492,
 * powertools #1725).
 */
export const lambdaBundling = {
  format: 'esm',
  minify: true,
  sourceMap: true,
  /** Matches LAMBDA_RUNTIME in lib/functions.ts. */
  target: 'node24',
  externalModules: [] as string[],
  mainFields: ['module', 'main'],
  // ESM bundles have no `require`; some dependencies still call it (powertools #2290, #2464).
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
} as const;
