import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSqsEventSource } from '../../../local/aws/index.js';
import { type Harness, sleep, startHarness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.dispose();
});

describe('SQS event source mapping (Lambda side)', () => {
  it('builds real SQSEvent records and a usable Context', async () => {
    const url = h.aws.sqs.createQueue('es.fifo', { contentBasedDeduplication: true });
    h.aws.sqs.sendMessage(url, {
      MessageBody: '{"a":1}',
      MessageGroupId: 'g1',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' } },
    });
    const seen: Array<{ event: SQSEvent; ctx: Context; remaining: number }> = [];
    const src = startSqsEventSource({
      sqs: h.aws.sqs,
      queueUrl: url,
      batchSize: 10,
      reportBatchItemFailures: true,
      functionName: 'claims-worker',
      handler: async (event, ctx) => {
        seen.push({ event, ctx, remaining: ctx.getRemainingTimeInMillis() });
      },
    });
    await src.waitForIdle();
    await src.stop();
    expect(seen).toHaveLength(1);
    const rec = seen[0]?.event.Records[0];
    expect(rec).toMatchObject({
      body: '{"a":1}',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:es.fifo',
      awsRegion: 'us-east-1',
      messageAttributes: {
        kind: { stringValue: 'x', dataType: 'String', stringListValues: [], binaryListValues: [] },
      },
    });
    expect(rec?.attributes).toMatchObject({ ApproximateReceiveCount: '1', MessageGroupId: 'g1' });
    expect(rec?.attributes.SequenceNumber).toMatch(/^\d{20}$/);
    expect(rec?.attributes.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(rec?.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThan(0);
    expect(rec?.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(seen[0]?.ctx.functionName).toBe('claims-worker');
    expect(seen[0]?.ctx.awsRequestId).toBeTruthy();
    expect(seen[0]?.remaining).toBeGreaterThan(29_000);
    expect(h.aws.sqs.messageCount(url)).toBe(0);
  });

  it('partial batch failure leaves exactly the failed messages', async () => {
    const url = h.aws.sqs.createQueue('partial', { visibilityTimeoutSeconds: 30 });
    for (const b of ['ok1', 'bad', 'ok2', 'bad2']) h.aws.sqs.sendMessage(url, { MessageBody: b });
    const src = startSqsEventSource({
      sqs: h.aws.sqs,
      queueUrl: url,
      batchSize: 10,
      reportBatchItemFailures: true,
      functionName: 'fn',
      handler: async (event) => ({
        batchItemFailures: event.Records.filter((r) => r.body.startsWith('bad')).map((r) => ({
          itemIdentifier: r.messageId,
        })),
      }),
    });
    await src.waitForIdle();
    await src.stop();
    const left = h.aws.sqs.getQueueAttributes(url);
    expect(left.ApproximateNumberOfMessagesNotVisible).toBe('2');
    expect(left.ApproximateNumberOfMessages).toBe('0');
  });

  it('a thrown handler deletes nothing; the batch is redelivered after the visibility timeout', async () => {
    const url = h.aws.sqs.createQueue('throws', { visibilityTimeoutSeconds: 1 });
    h.aws.sqs.sendMessage(url, { MessageBody: 'one' });
    h.aws.sqs.sendMessage(url, { MessageBody: 'two' });
    const calls: Array<{ bodies: string[]; counts: string[] }> = [];
    const errors: unknown[] = [];
    const src = startSqsEventSource({
      sqs: h.aws.sqs,
      queueUrl: url,
      batchSize: 10,
      reportBatchItemFailures: true,
      functionName: 'fn',
      onError: (e) => errors.push(e),
      handler: async (event) => {
        calls.push({
          bodies: event.Records.map((r) => r.body).sort(),
          counts: event.Records.map((r) => r.attributes.ApproximateReceiveCount),
        });
        if (calls.length === 1) throw new Error('boom');
      },
    });
    const deadline = Date.now() + 4000;
    while (calls.length < 2 && Date.now() < deadline) await sleep(25);
    await src.waitForIdle();
    await src.stop();
    expect(errors).toHaveLength(1);
    expect(calls[0]?.bodies).toEqual(['one', 'two']);
    expect(calls[1]?.bodies).toEqual(['one', 'two']);
    expect(calls[1]?.counts).toEqual(['2', '2']);
    expect(h.aws.sqs.messageCount(url)).toBe(0);
  });

  it('FIFO: passes group order unchanged; an invalid batch response fails the whole batch', async () => {
    const url = h.aws.sqs.createQueue('order.fifo', {
      contentBasedDeduplication: true,
      visibilityTimeoutSeconds: 30,
    });
    for (const b of ['a1', 'a2', 'a3']) h.aws.sqs.sendMessage(url, { MessageBody: b, MessageGroupId: 'A' });
    const bodies: string[][] = [];
    const errors: unknown[] = [];
    const src = startSqsEventSource({
      sqs: h.aws.sqs,
      queueUrl: url,
      batchSize: 10,
      reportBatchItemFailures: true,
      functionName: 'fn',
      onError: (e) => errors.push(e),
      handler: async (event) => {
        bodies.push(event.Records.map((r) => r.body));
        return { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] };
      },
    });
    await src.waitForIdle();
    await src.stop();
    expect(bodies).toEqual([['a1', 'a2', 'a3']]);
    expect(errors).toHaveLength(1);
    expect(h.aws.sqs.messageCount(url)).toBe(3);
  });
});
