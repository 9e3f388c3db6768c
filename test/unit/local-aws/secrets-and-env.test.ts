import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../../local/aws/index.js';
import { type Harness, startHarness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.dispose();
});

describe('local Secrets Manager over the real SDK', () => {
  it('GetSecretValue by name and by ARN (full and partial), DescribeSecret, versions', async () => {
    const arn = h.aws.secrets.put('rcm/odoo', '{"user":"u","password":"p"}');
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:rcm\/odoo-[A-Za-z0-9]{6}$/);
    const byName = await h.smClient.send(new GetSecretValueCommand({ SecretId: 'rcm/odoo' }));
    expect(byName).toMatchObject({ ARN: arn, Name: 'rcm/odoo', SecretString: '{"user":"u","password":"p"}' });
    expect(byName.VersionId).toBeTruthy();
    expect(byName.VersionStages).toEqual(['AWSCURRENT']);
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    const byArn = await h.smClient.send(
      new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }),
    );
    expect(byArn.SecretString).toBe(byName.SecretString);
    const partial = await h.smClient.send(
      new GetSecretValueCommand({
        SecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:rcm/odoo',
      }),
    );
    expect(partial.Name).toBe('rcm/odoo');

    h.aws.secrets.put('rcm/odoo', 'v2');
    const cur = await h.smClient.send(new GetSecretValueCommand({ SecretId: 'rcm/odoo' }));
    expect(cur.SecretString).toBe('v2');
    const prev = await h.smClient.send(
      new GetSecretValueCommand({ SecretId: 'rcm/odoo', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(prev.SecretString).toBe('{"user":"u","password":"p"}');
    const d = await h.smClient.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(d.Name).toBe('rcm/odoo');
    expect(
      Object.values(d.VersionIdsToStages ?? {})
        .flat()
        .sort(),
    ).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
  });

  it('throws ResourceNotFoundException for a missing secret', async () => {
    const err = await h.smClient
      .send(new GetSecretValueCommand({ SecretId: 'nope' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect((err as ResourceNotFoundException).$metadata.httpStatusCode).toBe(400);
  });
});

describe('the SDK honours AWS_ENDPOINT_URL_<SERVICE> (no endpoint in code)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(h.aws.env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('SQS, EventBridge and Secrets Manager clients reach the local server', async () => {
    Object.assign(process.env, h.aws.env);
    delete process.env.AWS_ENDPOINT_URL;
    const sqs = new SQSClient({ maxAttempts: 1 });
    const eb = new EventBridgeClient({ maxAttempts: 1 });
    const sm = new SecretsManagerClient({ maxAttempts: 1 });
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'env-q' }));
      expect(QueueUrl?.startsWith(h.aws.endpoint)).toBe(true);
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'via env' }));
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
      expect(r.Messages?.[0]?.Body).toBe('via env');

      const got: BusEvent[] = [];
      h.aws.events.addRule({
        name: 'r',
        pattern: { source: ['env'] },
        target: async (e) => void got.push(e),
      });
      await eb.send(new PutEventsCommand({ Entries: [{ Source: 'env', DetailType: 't', Detail: '{}' }] }));
      await h.aws.events.waitForIdle();
      expect(got).toHaveLength(1);

      h.aws.secrets.put('env/secret', 's3cr3t');
      const s = await sm.send(new GetSecretValueCommand({ SecretId: 'env/secret' }));
      expect(s.SecretString).toBe('s3cr3t');
    } finally {
      sqs.destroy();
      eb.destroy();
      sm.destroy();
    }
  });
});
