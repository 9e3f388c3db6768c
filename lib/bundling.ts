/**
 * How every Lambda is bundled, in one place: RcmFunction (lib/functions.ts) passes it to NodejsFunction, and
 * the benchmark (test/bench/bundles.ts) and the bundle test build with it to measure what ships. ESM, minified,
 * the AWS SDK and Powertools inside the bundle (no layer, no external SDK: both cost cold start, aws-cdk #25492,
 * powertools #1725).
 */
import path from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * Swapped in by the bundler only (issue 16): in Lambda the execution role's credentials are in the environment,
 * so the SDK's default chain (SSO, INI, process, web identity, IMDS and the STS/SSO clients behind them, about
 * 110 KiB) is never reached there. Paths are relative to the repository root, where NodejsFunction runs esbuild.
 */
export const bundlerAliases = {
  '@aws-sdk/credential-provider-node': './lambdas/adapters/aws/lambda-credentials.ts',
} as const;

export const lambdaBundling = {
  format: 'esm',
  minify: true,
  /**
   * Decided on measured init cost (docs/benchmarks.md "Source maps at init"): a linked map read through
   * `--enable-source-maps` made module init 7-64 % slower. The map is still built, beside the bundle but not
   * linked (Node never reads it), for `npm run stack` to resolve a logged stack trace; `keepNames` keeps function
   * and class names in the minified code so the raw trace in CloudWatch already says where it failed.
   */
  sourceMap: true,
  sourceMapMode: 'external',
  keepNames: true,
  /** Matches LAMBDA_RUNTIME in lib/functions.ts. */
  target: 'node24',
  externalModules: [] as string[],
  mainFields: ['module', 'main'],
  // ESM bundles have no `require`; some dependencies still call it (powertools #2290, #2464).
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
  aliases: bundlerAliases,
} as const;

export type SourceMapSetting = 'linked' | 'external' | false;

/** What deploys: the map kind of lambdaBundling, `false` when none is built. */
export const deployedSourceMap: SourceMapSetting = lambdaBundling.sourceMap
  ? lambdaBundling.sourceMapMode
  : false;

/** The same bundle through esbuild's API (bench, tests); `sourceMap` lets the bench compare other settings. */
export function esbuildOptions(
  repoRoot: string,
  sourceMap: SourceMapSetting = deployedSourceMap,
): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: lambdaBundling.format,
    minify: lambdaBundling.minify,
    sourcemap: sourceMap,
    keepNames: lambdaBundling.keepNames,
    target: lambdaBundling.target,
    mainFields: [...lambdaBundling.mainFields],
    banner: { js: lambdaBundling.banner },
    alias: Object.fromEntries(
      Object.entries(lambdaBundling.aliases).map(([from, to]) => [from, path.resolve(repoRoot, to)]),
    ),
    logLevel: 'silent',
  };
}
