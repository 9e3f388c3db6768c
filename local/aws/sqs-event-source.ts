import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { LocalSqs, ReceivedMessage } from './sqs.js';

/**
 * The Lambda side of an SQS event source mapping: polls the queue, invokes the handler with a real `SQSEvent`,
 * then deletes what succeeded. Like Lambda: a thrown handler (or a timeout) deletes nothing, so the whole batch
 * becomes visible again after the queue's visibility timeout; with `reportBatchItemFailures`, every message not
 * listed in `batchItemFailures` is deleted and the listed ones stay in flight until their visibility timeout ends.
 * Messages are passed in the order the queue returns them (FIFO: group order), never reordered.
 */

export interface SqsEventSourceOptions {
  sqs: LocalSqs;
  queueUrl: string;
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;
  /** 1-10 for FIFO, 1-10000 for standard (as Lambda). */
  batchSize: number;
  /** Wait up to this long to fill a batch (Lambda MaximumBatchingWindowInSeconds; not for FIFO). Default 0. */
  maximumBatchingWindowMs?: number;
  reportBatchItemFailures: boolean;
  functionName: string;
  /** Concurrent batches (Lambda ScalingConfig.MaximumConcurrency / reserved concurrency). Default 1. */
  maxConcurrency?: number;
  /** Long-poll wait per ReceiveMessage in seconds (Lambda uses 20). Default 1 so `stop()` is quick. */
  pollWaitSeconds?: number;
  /** Pause after an empty poll or an error. Default 50 ms. */
  pollIntervalMs?: number;
  /** Function timeout; the handler is considered failed after it. Default 30 000 ms. */
  timeoutMs?: number;
  memoryLimitInMB?: number;
  /** Invocation errors (thrown handler, timeout, invalid response) go here. Default: console.error. */
  onError?: (error: unknown, event: SQSEvent) => void;
  /**
   * While this answers true, no message is received (issue 12: the Odoo circuit breaker is open). This is what
   * disabling the event source mapping does in AWS: receives are not spent on a dead Odoo, and polling resumes
   * as soon as it answers false.
   */
  paused?: () => boolean;
  /**
   * The requests Lambda's poller would make in AWS, for the bench's cost meter: one ReceiveMessage per batch
   * received (with its payload size) and one DeleteMessageBatch per batch with deleted messages. Empty polls are
   * left out: in AWS they are a fixed cost per queue, not per message (docs/cost.md).
   */
  onRequest?: (operation: 'ReceiveMessage' | 'DeleteMessageBatch', payloadBytes: number) => void;
}

export interface SqsEventSource {
  stop(): Promise<void>;
  /** Messages processed and deleted so far (the drain rate is its slope). */
  readonly deleted: number;
  /** Resolves when no batch is being processed and the queue has no visible message. */
  waitForIdle(): Promise<void>;
}

function toLambdaAttributes(m: ReceivedMessage): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(m.MessageAttributes ?? {})) {
    const attr: SQSMessageAttributes[string] = {
      dataType: v.DataType as SQSMessageAttributes[string]['dataType'],
      stringListValues: [],
      binaryListValues: [],
    };
    if (v.StringValue !== undefined) attr.stringValue = v.StringValue;
    if (v.BinaryValue !== undefined) attr.binaryValue = v.BinaryValue;
    out[name] = attr;
  }
  return out;
}

function toRecord(m: ReceivedMessage, queueArn: string, region: string): SQSRecord {
  const a = m.Attributes ?? {};
  const attributes: SQSRecord['attributes'] = {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
    SentTimestamp: a.SentTimestamp ?? '',
    SenderId: a.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '',
  };
  for (const k of [
    'AWSTraceHeader',
    'SequenceNumber',
    'MessageGroupId',
    'MessageDeduplicationId',
    'DeadLetterQueueSourceArn',
  ] as const) {
    if (a[k] !== undefined) attributes[k] = a[k];
  }
  const record: SQSRecord = {
    messageId: m.MessageId,
    receiptHandle: m.ReceiptHandle,
    body: m.Body,
    attributes,
    messageAttributes: toLambdaAttributes(m),
    md5OfBody: m.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (m.MD5OfMessageAttributes !== undefined) record.md5OfMessageAttributes = m.MD5OfMessageAttributes;
  return record;
}

export function makeLambdaContext(
  functionName: string,
  region: string,
  accountId: string,
  timeoutMs: number,
  memoryMb = 128,
): Context {
  const deadline = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  const unsupported = () => {
    throw new Error('Callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${awsRequestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function startSqsEventSource(opts: SqsEventSourceOptions): SqsEventSource {
  const { sqs, queueUrl } = opts;
  const attrs = sqs.getQueueAttributes(queueUrl, ['QueueArn', 'FifoQueue']);
  const fifo = attrs.FifoQueue === 'true';
  const queueArn = attrs.QueueArn as string;
  const maxBatch = fifo ? 10 : 10_000;
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1 || opts.batchSize > maxBatch) {
    throw new Error(`batchSize must be between 1 and ${maxBatch} for this queue`);
  }
  if (fifo && (opts.maximumBatchingWindowMs ?? 0) > 0) {
    throw new Error('maximumBatchingWindowMs is not supported for FIFO queues (as Lambda)');
  }
  const concurrency = opts.maxConcurrency ?? 1;
  const pollWait = opts.pollWaitSeconds ?? 1;
  const pollInterval = opts.pollIntervalMs ?? 50;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const report =
    opts.onError ?? ((e: unknown) => console.error(`[local-aws] ${opts.functionName} invocation failed`, e));
  const abort = new AbortController();
  let stopped = false;
  let busy = 0;
  let deleted = 0;

  async function collectBatch(): Promise<ReceivedMessage[]> {
    const want = {
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    };
    const batch = await sqs.receiveMessages(
      queueUrl,
      { ...want, MaxNumberOfMessages: Math.min(10, opts.batchSize), WaitTimeSeconds: pollWait },
      abort.signal,
    );
    if (batch.length === 0) return batch;
    opts.onRequest?.(
      'ReceiveMessage',
      batch.reduce((n, m) => n + Buffer.byteLength(m.Body ?? ''), 0),
    );
    busy++; // from here the messages are in hand (decremented by the worker after the invocation)
    const windowMs = opts.maximumBatchingWindowMs ?? 0;
    if (windowMs <= 0) return batch;
    const until = Date.now() + windowMs;
    while (batch.length < opts.batchSize && Date.now() < until && !stopped) {
      const more = sqs.receiveMessagesNow(queueUrl, {
        ...want,
        MaxNumberOfMessages: Math.min(10, opts.batchSize - batch.length),
      });
      if (more.length === 0) await sleep(Math.min(20, until - Date.now()));
      else batch.push(...more);
    }
    return batch;
  }

  async function invoke(batch: ReceivedMessage[]): Promise<void> {
    const event: SQSEvent = { Records: batch.map((m) => toRecord(m, queueArn, sqs.region)) };
    const context = makeLambdaContext(
      opts.functionName,
      sqs.region,
      sqs.accountId,
      timeoutMs,
      opts.memoryLimitInMB,
    );
    let timer: NodeJS.Timeout | undefined;
    let result: unknown;
    try {
      result = await Promise.race([
        opts.handler(structuredClone(event), context),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      report(err, event);
      return; // nothing deleted: the batch reappears after the visibility timeout
    } finally {
      clearTimeout(timer);
    }
    let failed = new Set<string>();
    if (
      opts.reportBatchItemFailures &&
      result &&
      typeof result === 'object' &&
      'batchItemFailures' in result
    ) {
      const ids = new Set(batch.map((m) => m.MessageId));
      const list = Array.isArray(result.batchItemFailures) ? result.batchItemFailures : undefined;
      // Lambda treats an invalid response (missing/unknown itemIdentifier) as a failure of the whole batch.
      if (
        !list ||
        list.some((f) => !f || typeof f.itemIdentifier !== 'string' || !ids.has(f.itemIdentifier))
      ) {
        report(
          new Error('Invalid batchItemFailures in the function response; the whole batch failed'),
          event,
        );
        return;
      }
      failed = new Set(list.map((f) => f.itemIdentifier));
    }
    const deleting = batch.filter((m) => !failed.has(m.MessageId)).length;
    for (let i = 0; i < deleting; i += 10) opts.onRequest?.('DeleteMessageBatch', 0);
    for (const m of batch) {
      if (failed.has(m.MessageId)) continue;
      try {
        sqs.deleteMessage(queueUrl, m.ReceiptHandle);
        deleted++;
      } catch (err) {
        // e.g. FIFO receipt handle expired because the function outlived the visibility timeout
        report(err, event);
      }
    }
  }

  async function worker(): Promise<void> {
    while (!stopped) {
      if (opts.paused?.()) {
        await sleep(pollInterval);
        continue;
      }
      let batch: ReceivedMessage[];
      try {
        batch = await collectBatch();
      } catch (err) {
        if (stopped) break;
        report(err, { Records: [] });
        await sleep(pollInterval);
        continue;
      }
      if (batch.length === 0) {
        if (!stopped) await sleep(pollInterval);
        continue;
      }
      try {
        await invoke(batch);
      } finally {
        busy--;
      }
    }
  }

  const workers = Array.from({ length: concurrency }, () => worker());

  return {
    get deleted() {
      return deleted;
    },
    async stop() {
      stopped = true;
      abort.abort();
      await Promise.allSettled(workers);
    },
    async waitForIdle() {
      // Idle: no batch in hand and nothing receivable (messages in flight or delayed do not count).
      for (;;) {
        if (stopped) return;
        if (
          busy === 0 &&
          sqs.getQueueAttributes(queueUrl, ['ApproximateNumberOfMessages']).ApproximateNumberOfMessages ===
            '0'
        ) {
          return;
        }
        await sleep(10);
      }
    },
  };
}
