import { NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalSns } from '../../../local/sns.js';
import { credentials, type Harness, startHarness } from './helpers.js';

/** The handlers' SNSClient reaches the local alert topics (local/sns.ts) through the local AWS server. */
let h: Harness;
let sns: LocalSns;
let client: SNSClient;
const arnOf = (topic: string) => `arn:aws:sns:us-east-1:000000000000:rcm-hub-local-${topic}-alerts`;

beforeEach(async () => {
  h = await startHarness();
  sns = new LocalSns(['finance', 'billing'], arnOf);
  client = new SNSClient({ endpoint: h.aws.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
});
afterEach(async () => {
  client.destroy();
  await h.dispose();
});

describe('local SNS Publish over the real SDK (Query protocol)', () => {
  it('publishes to the topic named by its ARN and answers its message id', async () => {
    h.aws.bindSns((arn, subject, message) => sns.publishToArn(arn, subject, message).MessageId);
    const out = await client.send(
      new PublishCommand({
        TopicArn: arnOf('billing'),
        Subject: '[billing] Denial: $1.00 at risk',
        Message: 'a\nb & <c>',
      }),
    );
    const [published] = sns.messages('billing');
    expect(out.MessageId).toBe(published?.MessageId);
    expect(published).toMatchObject({ Subject: '[billing] Denial: $1.00 at risk', Message: 'a\nb & <c>' });
    expect(sns.messages('finance')).toHaveLength(0);
  });

  it('refuses an unknown topic, and a subject SNS would refuse (non-ASCII)', async () => {
    h.aws.bindSns((arn, subject, message) => sns.publishToArn(arn, subject, message).MessageId);
    await expect(
      client.send(new PublishCommand({ TopicArn: arnOf('nobody'), Message: 'x' })),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      client.send(new PublishCommand({ TopicArn: arnOf('billing'), Subject: 'café', Message: 'x' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect(sns.messages()).toHaveLength(0);
  });
});
