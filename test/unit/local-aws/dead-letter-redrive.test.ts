import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OdooWriteDlqRedrive } from '../../../lambdas/adapters/sqs/dead-letter-redrive.js';
import { type Harness, startHarness } from './helpers.js';

// Issue 12: a retry from the exception register removes its message from the FIFO DLQ even when another
// message of the same encounter (FIFO group) sits in front of it.
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.dispose();
});

describe('taking one event out of the Odoo write DLQ', () => {
  it('finds and removes a message hidden behind its group’s head, and keeps the head', async () => {
    const dlqUrl = h.aws.sqs.createQueue('OdooWriteQueue-dlq.fifo', { fifo: true });
    const client = new SQSClient({
      endpoint: h.aws.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // More of the encounter's messages ahead of it than one receive returns (10): the rest of the group
    // stays hidden while those are in flight.
    const heads = Array.from({ length: 12 }, (_, i) => `ev-head-${String(i).padStart(2, '0')}`);
    for (const id of [...heads, 'ev-target', 'ev-other']) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: JSON.stringify({ id }),
          MessageGroupId: id === 'ev-other' ? 'ENC-2' : 'ENC-1',
          MessageDeduplicationId: id,
          MessageAttributes: { failureReason: { DataType: 'String', StringValue: `why ${id}` } },
        }),
      );
    }

    const found = await new OdooWriteDlqRedrive(client, dlqUrl).find('ev-target');
    expect(found.body).toBe(JSON.stringify({ id: 'ev-target' }));
    await found.remove();

    // Everything else is still there (12 heads, the other encounter's message), attributes intact.
    expect(h.aws.sqs.messageCount(dlqUrl)).toBe(13);
    const seen = h.aws.sqs.receiveMessagesNow(dlqUrl, {
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
    });
    expect(seen.some((m) => m.Body.includes('ev-target'))).toBe(false);
    for (const m of seen)
      expect(m.MessageAttributes?.failureReason?.StringValue).toBe(`why ${JSON.parse(m.Body).id as string}`);
    client.destroy();
  });
});
