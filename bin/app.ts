#!/usr/bin/env node
/**
 * CDK app: `npx cdk synth` / `npx cdk deploy -c stage=dev|prod`. The stage config lives in cdk.json
 * (`context.stages`), validated by lib/config.ts before any construct is built.
 */
import { App } from 'aws-cdk-lib';
import { StageConfigError } from '../lib/config.js';
import { buildRcmHub } from '../lib/rcm-hub-app.js';

const app = new App();
try {
  buildRcmHub(app);
} catch (error) {
  if (error instanceof StageConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
app.synth();
