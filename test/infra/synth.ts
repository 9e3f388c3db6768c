/**
 * Synthesizes a stage the way `cdk synth` does (cdk.json context + `-c stage=<stage>`), for the infra tests.
 *
 * Two costs are paid only by cli-synth.test.ts, which synthesizes exactly as `cdk synth` does:
 * - esbuild bundling of the five functions (~8 s per stage): elsewhere the CDK context
 *   `aws:cdk:bundling-stacks` is `[]`, so NodejsFunction skips esbuild and stages a placeholder asset; the
 *   template (handlers, env, grants) is identical apart from asset hashes;
 * - aws-cdk-lib's built-in CloudFormation template validation (~15 s on first use: it loads the resource
 *   schemas): elsewhere `builtinCloudFormationValidation` is off. cdk-nag runs in every synth regardless.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { repoRoot } from '../../lib/functions.js';
import { buildRcmHub } from '../../lib/rcm-hub-app.js';
import type { RcmHubStack } from '../../lib/rcm-hub-stack.js';

export const cdkContext: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8'),
).context;

export interface Synthesized {
  app: App;
  stack: RcmHubStack;
  template: Template;
}

export interface SynthOptions {
  /** Bundle with esbuild and run the built-in CloudFormation validation, as `cdk synth` does. */
  asCli?: boolean;
  context?: Record<string, unknown>;
  outdir?: string;
}

export function synthStage(stage: string, options: SynthOptions = {}): Synthesized {
  const app = new App({
    outdir: options.outdir,
    builtinCloudFormationValidation: options.asCli ?? false,
    context: {
      ...cdkContext,
      stage,
      ...(options.asCli ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  const stack = buildRcmHub(app);
  const template = Template.fromStack(stack);
  return { app, stack, template };
}
