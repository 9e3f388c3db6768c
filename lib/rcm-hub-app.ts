import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { loadStage } from './config.js';
import { RcmHubStack } from './rcm-hub-stack.js';

/**
 * Builds the stack of one stage into `app`: stage name from context `stage` (default `dev`), its config from
 * context `stages.<stage>` (cdk.json), validated before anything is built. cdk-nag v3 packs are CDK policy
 * validation plugins (not Aspects since v3): `cdk synth` fails on any unacknowledged error.
 */
export function buildRcmHub(app: App): RcmHubStack {
  const stage = loadStage(app.node.tryGetContext('stage') ?? 'dev', app.node.tryGetContext('stages'));
  const { account, region } = stage.config;
  const stack = new RcmHubStack(app, `RcmHub-${stage.name}`, {
    stage,
    description: `rcm-hub ${stage.name}: revenue workflow integration hub into Odoo`,
    // Environment-agnostic unless an account is configured, so synth works offline without credentials.
    env: account ? { account, region } : undefined,
    tags: { project: 'rcm-hub', stage: stage.name },
  });
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new HIPAASecurityChecks(app, { verbose: true }),
  );
  return stack;
}
