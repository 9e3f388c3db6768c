import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type LocalAws, type StartLocalAwsOptions, startLocalAws } from '../../../local/aws/index.js';

export const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface Harness {
  aws: LocalAws;
  stateDir: string;
  sqsClient: SQSClient;
  ebClient: EventBridgeClient;
  smClient: SecretsManagerClient;
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startHarness(opts: StartLocalAwsOptions = {}): Promise<Harness> {
  const stateDir = await mkdtemp(join(tmpdir(), 'local-aws-'));
  const make = (aws: LocalAws) => ({
    sqsClient: new SQSClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
    ebClient: new EventBridgeClient({
      endpoint: aws.endpoint,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    }),
    smClient: new SecretsManagerClient({
      endpoint: aws.endpoint,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    }),
  });
  const aws = await startLocalAws({ port: 0, stateDir, ...opts });
  const h: Harness = {
    aws,
    stateDir,
    ...make(aws),
    async restart() {
      const port = Number(new URL(h.aws.endpoint).port);
      await h.aws.close();
      h.aws = await startLocalAws({ port, stateDir, ...opts });
      Object.assign(h, make(h.aws));
    },
    async dispose() {
      h.sqsClient.destroy();
      h.ebClient.destroy();
      h.smClient.destroy();
      await h.aws.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return h;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
