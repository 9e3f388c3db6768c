import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSqs } from '../../../local/aws/sqs.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function freshSqs(stateDir?: string) {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), 'local-sqs-persist-')));
  if (!stateDir) dirs.push(dir);
  const sqs = new LocalSqs({
    endpoint: 'http://localhost:1',
    accountId: '000000000000',
    region: 'us-east-1',
    stateDir: dir,
  });
  await sqs.load();
  return { sqs, dir };
}

describe('local SQS persistence under a flush per delivery', () => {
  it('coalesces flushes: a burst of calls shares at most two writes, and every message before each call is on disk', async () => {
    const { sqs, dir } = await freshSqs();
    const url = sqs.queueUrl('OdooWriteQueue.fifo');
    sqs.createQueue('OdooWriteQueue.fifo', { contentBasedDeduplication: true });
    // The local bus awaits a flush after every delivery; a burst of deliveries must not queue one whole-queue
    // snapshot each (that is what exhausted the hub's heap with a backlog of thousands of messages).
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 200; i += 1) {
      sqs.sendMessage(url, {
        MessageBody: JSON.stringify({ i, pad: 'x'.repeat(2_000) }),
        MessageGroupId: `enc-${i}`,
      });
      flushes.push(sqs.flush());
    }
    expect(new Set(flushes).size).toBeLessThanOrEqual(2);
    await Promise.all(flushes);

    const reloaded = await freshSqs(dir);
    const received = reloaded.sqs.receiveMessagesNow(url, { MaxNumberOfMessages: 10 });
    expect(received.length).toBe(10);
    expect(
      reloaded.sqs.getQueueAttributes(url, ['ApproximateNumberOfMessages']).ApproximateNumberOfMessages,
    ).toBe('190');
  });

  it('a flush called while a write is under way waits for a later write that includes its change', async () => {
    const { sqs, dir } = await freshSqs();
    const url = sqs.queueUrl('q');
    sqs.createQueue('q');
    sqs.sendMessage(url, { MessageBody: 'first' });
    const first = sqs.flush();
    // The first write has started (its snapshot holds one message); this change comes after it.
    await Promise.resolve();
    await Promise.resolve();
    sqs.sendMessage(url, { MessageBody: 'second' });
    const second = sqs.flush();
    await second;
    await first;
    const reloaded = await freshSqs(dir);
    expect(
      reloaded.sqs.getQueueAttributes(url, ['ApproximateNumberOfMessages']).ApproximateNumberOfMessages,
    ).toBe('2');
  });

  it('a message written before it was received is written again with its new receive count', async () => {
    // The writer reuses a message's JSON while its mutable fields are unchanged; a receive must invalidate it.
    const { sqs, dir } = await freshSqs();
    const url = sqs.queueUrl('q');
    sqs.createQueue('q');
    sqs.sendMessage(url, { MessageBody: 'one' });
    sqs.sendMessage(url, { MessageBody: 'two' });
    await sqs.flush();
    const [received] = sqs.receiveMessagesNow(url, { VisibilityTimeout: 0, MaxNumberOfMessages: 1 });
    expect(received?.Body).toBe('one');
    sqs.sendMessage(url, { MessageBody: 'three' });
    await sqs.flush();
    const reloaded = await freshSqs(dir);
    const again = reloaded.sqs.receiveMessagesNow(url, {
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    expect(again.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
      ['one', '2'],
      ['two', '1'],
      ['three', '1'],
    ]);
  });
});
