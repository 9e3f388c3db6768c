import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalAws } from '../../../local/aws/index.js';
import { type Harness, sleep, startHarness } from './helpers.js';

let h: Harness;
let now = Date.now();
const clock = () => now;

beforeEach(async () => {
  now = Date.now();
  h = await startHarness();
});
afterEach(async () => {
  await h.dispose();
});

async function counts(url: string) {
  const r = await h.sqsClient.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(r.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

describe('local SQS over the real SDK', () => {
  it('creates, sends, receives with attributes (MD5s validated by the SDK) and deletes', async () => {
    const { QueueUrl } = await h.sqsClient.send(new CreateQueueCommand({ QueueName: 'plain' }));
    expect(QueueUrl).toBe(`${h.aws.endpoint}/000000000000/plain`);
    const sent = await h.sqsClient.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'héllo ✓',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'claim' },
          n: { DataType: 'Number', StringValue: '42' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    expect(sent.MessageId).toBeTruthy();
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const r = await h.sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(r.Messages).toHaveLength(1);
    const m = r.Messages?.[0];
    expect(m?.Body).toBe('héllo ✓');
    expect(m?.MessageId).toBe(sent.MessageId);
    expect(m?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(m?.MessageAttributes?.kind?.StringValue).toBe('claim');
    expect(Array.from(m?.MessageAttributes?.raw?.BinaryValue ?? [])).toEqual([1, 2, 3]);
    expect(m?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(Number(m?.Attributes?.SentTimestamp)).toBeGreaterThan(0);
    expect(await counts(QueueUrl as string)).toEqual({ visible: 0, inFlight: 1 });
    await h.sqsClient.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m?.ReceiptHandle }));
    expect(await counts(QueueUrl as string)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('maps errors to the modeled SDK exceptions (QueueDoesNotExist via x-amzn-query-error)', async () => {
    const err = await h.sqsClient
      .send(new GetQueueUrlCommand({ QueueName: 'missing' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueDoesNotExist);
    expect((err as QueueDoesNotExist).$metadata.httpStatusCode).toBe(400);
    const err2 = await h.sqsClient
      .send(new SendMessageCommand({ QueueUrl: `${h.aws.endpoint}/000000000000/missing`, MessageBody: 'x' }))
      .catch((e: unknown) => e);
    expect((err2 as Error).name).toBe('QueueDoesNotExist');
  });

  it('FIFO: group blocks while in flight, preserves order, returns several of a group in order', async () => {
    const url = h.aws.sqs.createQueue('orders.fifo', { contentBasedDeduplication: true });
    for (const [g, b] of [
      ['A', 'a1'],
      ['B', 'b1'],
      ['A', 'a2'],
      ['A', 'a3'],
      ['B', 'b2'],
    ]) {
      await h.sqsClient.send(new SendMessageCommand({ QueueUrl: url, MessageGroupId: g, MessageBody: b }));
    }
    const first = await h.sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 2,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(first.Messages?.map((m) => m.Body)).toEqual(['a1', 'b1']);
    // both groups have a message in flight: nothing more is delivered
    const blocked = await h.sqsClient.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    expect(blocked.Messages ?? []).toHaveLength(0);
    const a1 = first.Messages?.[0];
    expect(a1?.Attributes?.MessageGroupId).toBe('A');
    expect(a1?.Attributes?.SequenceNumber).toMatch(/^\d{20}$/);
    await h.sqsClient.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: a1?.ReceiptHandle }));
    const next = await h.sqsClient.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    expect(next.Messages?.map((m) => m.Body)).toEqual(['a2', 'a3']);
  });

  it('FIFO: deduplicates within 5 minutes by id and by content hash', async () => {
    await h.aws.close();
    h.aws = await startLocalAws({ port: 0, clock });
    const sqs = h.aws.sqs;
    const url = sqs.createQueue('dedup.fifo', { contentBasedDeduplication: true });
    const s1 = sqs.sendMessage(url, { MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd1' });
    const s2 = sqs.sendMessage(url, {
      MessageBody: 'other',
      MessageGroupId: 'g',
      MessageDeduplicationId: 'd1',
    });
    expect(s2.MessageId).toBe(s1.MessageId);
    sqs.sendMessage(url, { MessageBody: 'same', MessageGroupId: 'g' });
    sqs.sendMessage(url, { MessageBody: 'same', MessageGroupId: 'g' });
    expect(sqs.messageCount(url)).toBe(2);
    now += 5 * 60 * 1000 + 1;
    sqs.sendMessage(url, { MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd1' });
    expect(sqs.messageCount(url)).toBe(3);
  });

  it('FIFO without content-based dedup requires MessageDeduplicationId', async () => {
    const url = h.aws.sqs.createQueue('strict.fifo');
    const err = await h.sqsClient
      .send(new SendMessageCommand({ QueueUrl: url, MessageGroupId: 'g', MessageBody: 'x' }))
      .catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('InvalidParameterValue');
  });

  it('visibility timeout expiry redelivers with ApproximateReceiveCount incremented', async () => {
    const url = h.aws.sqs.createQueue('vis', { visibilityTimeoutSeconds: 1 });
    await h.sqsClient.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const r1 = await h.sqsClient.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
    );
    expect(r1.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(
      (await h.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? [],
    ).toHaveLength(0);
    // long poll picks it up as soon as the visibility timeout ends
    const t0 = Date.now();
    const r2 = await h.sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        WaitTimeSeconds: 3,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(r2.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(r2.Messages?.[0]?.ReceiptHandle).not.toBe(r1.Messages?.[0]?.ReceiptHandle);
  });

  it('a stale receipt handle does not delete the newer delivery (standard: succeeds silently)', async () => {
    const url = h.aws.sqs.createQueue('stale');
    await h.sqsClient.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm' }));
    const r1 = await h.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const old = r1.Messages?.[0]?.ReceiptHandle;
    await h.sqsClient.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: old, VisibilityTimeout: 0 }),
    );
    const r2 = await h.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(r2.Messages).toHaveLength(1);
    await h.sqsClient.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: old }));
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 1 });
    await h.sqsClient.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: r2.Messages?.[0]?.ReceiptHandle }),
    );
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('FIFO: an expired receipt handle is rejected and does not delete', async () => {
    const url = h.aws.sqs.createQueue('stale.fifo', { contentBasedDeduplication: true });
    await h.sqsClient.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm', MessageGroupId: 'g' }));
    const r1 = await h.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const old = r1.Messages?.[0]?.ReceiptHandle;
    await h.sqsClient.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: old, VisibilityTimeout: 0 }),
    );
    const r2 = await h.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(r2.Messages).toHaveLength(1);
    const err = await h.sqsClient
      .send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: old }))
      .catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('InvalidParameterValue');
    expect(h.aws.sqs.messageCount(url)).toBe(1);
  });

  it('moves a message to the DLQ on the receive that would exceed maxReceiveCount, then redrives it', async () => {
    const dlq = h.aws.sqs.createQueue('work-dlq');
    const url = h.aws.sqs.createQueue('work', {
      redrivePolicy: { deadLetterQueueName: 'work-dlq', maxReceiveCount: 2 },
    });
    await h.sqsClient.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    for (let i = 1; i <= 2; i++) {
      const r = await h.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
      expect(r.Messages).toHaveLength(1);
    }
    const third = await h.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(third.Messages ?? []).toHaveLength(0);
    expect(h.aws.sqs.messageCount(url)).toBe(0);
    const inDlq = await h.sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(inDlq.Messages?.[0]?.Body).toBe('poison');
    expect(inDlq.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(
      'arn:aws:sqs:us-east-1:000000000000:work',
    );
    const attrs = await h.sqsClient.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    expect(JSON.parse(attrs.Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:work-dlq',
      maxReceiveCount: 2,
    });

    const task = await h.sqsClient.send(
      new StartMessageMoveTaskCommand({ SourceArn: 'arn:aws:sqs:us-east-1:000000000000:work-dlq' }),
    );
    expect(task.TaskHandle).toBeTruthy();
    const tasks = await h.sqsClient.send(
      new ListMessageMoveTasksCommand({ SourceArn: 'arn:aws:sqs:us-east-1:000000000000:work-dlq' }),
    );
    expect(tasks.Results?.[0]?.Status).toBe('COMPLETED');
    expect(tasks.Results?.[0]?.ApproximateNumberOfMessagesMoved).toBe(1);
    const back = await h.sqsClient.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
    );
    expect(back.Messages?.[0]?.Body).toBe('poison');
    expect(back.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
  });

  it('FIFO DLQ can only be redriven to a FIFO queue', async () => {
    h.aws.sqs.createQueue('f-dlq.fifo');
    h.aws.sqs.createQueue('f.fifo', {
      redrivePolicy: { deadLetterQueueName: 'f-dlq.fifo', maxReceiveCount: 1 },
    });
    h.aws.sqs.createQueue('std');
    const err = await h.sqsClient
      .send(
        new StartMessageMoveTaskCommand({
          SourceArn: 'arn:aws:sqs:us-east-1:000000000000:f-dlq.fifo',
          DestinationArn: 'arn:aws:sqs:us-east-1:000000000000:std',
        }),
      )
      .catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('InvalidParameterValue');
    expect(() =>
      h.aws.sqs.createQueue('g.fifo', { redrivePolicy: { deadLetterQueueName: 'std', maxReceiveCount: 1 } }),
    ).toThrow(/same type/);
  });

  it('batch send/delete report per-entry results; ListQueues; PurgeQueue cooldown', async () => {
    const url = h.aws.sqs.createQueue('batch');
    const sent = await h.sqsClient.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two', DelaySeconds: 0 },
        ],
      }),
    );
    expect(sent.Successful?.map((s) => s.Id).sort()).toEqual(['a', 'b']);
    const r = await h.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    const del = await h.sqsClient.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          ...(r.Messages ?? []).map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
          { Id: 'bad', ReceiptHandle: 'garbage' },
        ],
      }),
    );
    expect(del.Successful).toHaveLength(2);
    expect(del.Failed?.[0]).toMatchObject({ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true });
    const list = await h.sqsClient.send(new ListQueuesCommand({ QueueNamePrefix: 'ba' }));
    expect(list.QueueUrls).toEqual([url]);
    await h.sqsClient.send(new PurgeQueueCommand({ QueueUrl: url }));
    const err = await h.sqsClient
      .send(new PurgeQueueCommand({ QueueUrl: url }))
      .catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('PurgeQueueInProgress');
  });

  it('persists messages across a restart; in-flight messages become visible again', async () => {
    const url = h.aws.sqs.createQueue('durable.fifo', { contentBasedDeduplication: true });
    await h.sqsClient.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g' }),
    );
    await h.sqsClient.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'two', MessageGroupId: 'g' }),
    );
    const r = await h.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(r.Messages?.[0]?.Body).toBe('one');
    await h.restart();
    expect(h.aws.sqs.hasQueue('durable.fifo')).toBe(true);
    const again = await h.sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(again.Messages?.map((m) => m.Body)).toEqual(['one', 'two']);
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    // dedup state survives too
    await h.sqsClient.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g' }),
    );
    expect(h.aws.sqs.messageCount(url)).toBe(2);
  });

  it('drops messages past the retention period', async () => {
    await h.aws.close();
    h.aws = await startLocalAws({ port: 0, clock });
    const url = h.aws.sqs.createQueue('short', { messageRetentionSeconds: 60 });
    h.aws.sqs.sendMessage(url, { MessageBody: 'old' });
    now += 61_000;
    expect(h.aws.sqs.receiveMessagesNow(url)).toHaveLength(0);
    await sleep(0);
  });
});

describe('local SQS expiry scans only when something can expire', () => {
  // expire() keeps a lower bound of the next expiry instead of scanning every message at every call; these
  // pin that every way a message or deduplication entry enters a queue, or the retention changes, lowers it.
  it('a deduplication entry added after a scan still expires on time, and a later one does not expire early', async () => {
    await h.aws.close();
    h.aws = await startLocalAws({ port: 0, clock });
    const sqs = h.aws.sqs;
    const url = sqs.createQueue('window.fifo', { contentBasedDeduplication: true });
    const first = sqs.sendMessage(url, {
      MessageBody: 'a',
      MessageGroupId: 'g',
      MessageDeduplicationId: 'd1',
    });
    now += 4 * 60 * 1000;
    sqs.sendMessage(url, { MessageBody: 'b', MessageGroupId: 'g', MessageDeduplicationId: 'd2' });
    now += 60 * 1000 + 1;
    const again = sqs.sendMessage(url, {
      MessageBody: 'a',
      MessageGroupId: 'g',
      MessageDeduplicationId: 'd1',
    });
    expect(again.MessageId).not.toBe(first.MessageId);
    sqs.sendMessage(url, { MessageBody: 'b', MessageGroupId: 'g', MessageDeduplicationId: 'd2' });
    expect(sqs.messageCount(url)).toBe(3);
  });

  it('a steady stream of sends sweeps its deduplication entries once a minute, not at every send', async () => {
    await h.aws.close();
    h.aws = await startLocalAws({ port: 0, clock });
    const sqs = h.aws.sqs;
    const url = sqs.createQueue('stream.fifo');
    const first = sqs.sendMessage(url, {
      MessageBody: 'm0',
      MessageGroupId: 'g',
      MessageDeduplicationId: 'd0',
    });
    // Every pass over the entries asks for their keys: count the passes.
    const q = (sqs as unknown as { queues: Map<string, { dedup: Record<string, unknown> }> }).queues.get(
      'stream.fifo',
    ) as { dedup: Record<string, unknown> };
    let sweeps = 0;
    q.dedup = new Proxy(q.dedup, {
      ownKeys: (target) => {
        sweeps += 1;
        return Reflect.ownKeys(target);
      },
    });
    // One send a second for 20 minutes: from the sixth minute on, an entry expires at every send.
    for (let i = 1; i <= 1_200; i++) {
      now += 1_000;
      sqs.sendMessage(url, { MessageBody: `m${i}`, MessageGroupId: 'g', MessageDeduplicationId: `d${i}` });
    }
    const late = sqs.sendMessage(url, {
      MessageBody: 'm0',
      MessageGroupId: 'g',
      MessageDeduplicationId: 'd0',
    });
    const recent = sqs.sendMessage(url, {
      MessageBody: 'm1200',
      MessageGroupId: 'g',
      MessageDeduplicationId: 'd1200',
    });
    expect(sweeps).toBeLessThanOrEqual(21);
    expect(late.MessageId).not.toBe(first.MessageId); // past its window: a new message
    expect(sqs.messageCount(url)).toBe(1_202); // the recent duplicate was dropped
    expect(recent.MessageId).toBeDefined();
  });

  it('a message that enters an empty queue, and a shortened retention, are still dropped on time', async () => {
    await h.aws.close();
    h.aws = await startLocalAws({ port: 0, clock });
    const sqs = h.aws.sqs;
    const url = sqs.createQueue('retained', { messageRetentionSeconds: 3_600 });
    expect(sqs.messageCount(url)).toBe(0); // scanned while empty: nothing to expire
    sqs.sendMessage(url, { MessageBody: 'one' });
    now += 120_000;
    expect(sqs.messageCount(url)).toBe(1);
    sqs.createQueue('retained', { messageRetentionSeconds: 60 });
    expect(sqs.messageCount(url)).toBe(0);
    sqs.sendMessage(url, { MessageBody: 'two' });
    await sqs.handle('SetQueueAttributes', { QueueUrl: url, Attributes: { MessageRetentionPeriod: '3600' } });
    now += 120_000;
    expect(sqs.messageCount(url)).toBe(1);
  });

  it('a standard DLQ keeps the original retention start: a message moved late expires with its age', async () => {
    await h.aws.close();
    h.aws = await startLocalAws({ port: 0, clock });
    const sqs = h.aws.sqs;
    const dlq = sqs.createQueue('dead', { messageRetentionSeconds: 600 });
    const url = sqs.createQueue('source', {
      visibilityTimeoutSeconds: 1,
      redrivePolicy: { deadLetterQueueName: 'dead', maxReceiveCount: 1 },
    });
    expect(sqs.messageCount(dlq)).toBe(0);
    sqs.sendMessage(url, { MessageBody: 'poison' });
    expect(sqs.receiveMessagesNow(url)).toHaveLength(1);
    now += 500_000;
    expect(sqs.receiveMessagesNow(url)).toHaveLength(0); // moved to the DLQ instead
    expect(sqs.messageCount(dlq)).toBe(1);
    now += 100_001; // 600 s after it was first sent
    expect(sqs.messageCount(dlq)).toBe(0);
  });
});

describe('FIFO dead-letter queue', () => {
  it('moves the message to the FIFO DLQ (dedup id := message id) and unblocks its group', async () => {
    const h2 = await startHarness();
    try {
      const dlq = h2.aws.sqs.createQueue('jobs-dlq.fifo');
      const url = h2.aws.sqs.createQueue('jobs.fifo', {
        contentBasedDeduplication: true,
        redrivePolicy: { deadLetterQueueName: 'jobs-dlq.fifo', maxReceiveCount: 1 },
      });
      const first = h2.aws.sqs.sendMessage(url, { MessageBody: 'poison', MessageGroupId: 'G' });
      h2.aws.sqs.sendMessage(url, { MessageBody: 'next', MessageGroupId: 'G' });
      const r1 = await h2.sqsClient.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
      expect(r1.Messages?.map((m) => m.Body)).toEqual(['poison']);
      const r2 = await h2.sqsClient.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
      );
      expect(r2.Messages?.map((m) => m.Body)).toEqual(['next']);
      const d = await h2.sqsClient.send(
        new ReceiveMessageCommand({ QueueUrl: dlq, MessageSystemAttributeNames: ['All'] }),
      );
      expect(d.Messages?.[0]?.MessageId).toBe(first.MessageId);
      expect(d.Messages?.[0]?.Attributes?.MessageDeduplicationId).toBe(first.MessageId);
      expect(d.Messages?.[0]?.Attributes?.MessageGroupId).toBe('G');
    } finally {
      await h2.dispose();
    }
  });
});
