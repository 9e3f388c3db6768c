/**
 * The local SQS at month-end depth (issue 16): a FIFO queue filled with `depth` messages of about 1 KB (the size
 * of an Odoo write), one persistence snapshot of a queue that deep, then the write after each of 100 writer
 * batches at that depth, then drained 10 at a time as the writers do. Figures only. What it watches: every send,
 * receive and delete used to scan or copy the whole backlog (expire(), the delete's filter), and every write
 * rewrote the whole queue: both quadratic in a deep queue.
 * Run alone: `npx tsx test/bench/local-sqs.ts [depth]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSqs } from '../../local/aws/sqs.js';

export interface LocalSqsFigures {
  depth: number;
  sendMs: number;
  drainMs: number;
  flushMs: number;
  /** Mean time of the write after one batch of the writer at that depth (received 10, deleted 10). */
  batchWriteMs: number;
  batchWrites: number;
}

export async function benchLocalSqs(depth: number): Promise<LocalSqsFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-local-sqs-'));
  try {
    // A long debounce: the timed sends and receives are the operations alone; the write is timed apart.
    const sqs = new LocalSqs({
      endpoint: 'http://localhost:1',
      accountId: '000000000000',
      region: 'us-east-1',
      stateDir: dir,
      persistDebounceMs: 3_600_000,
    });
    const url = sqs.createQueue('OdooWriteQueue.fifo', { contentBasedDeduplication: true });
    const pad = 'x'.repeat(900);
    let started = performance.now();
    for (let i = 0; i < depth; i++)
      sqs.sendMessage(url, {
        MessageBody: JSON.stringify({ i, pad }),
        MessageGroupId: `ENC-${i % 500}`,
      });
    const sendMs = performance.now() - started;
    started = performance.now();
    const flushing = sqs.flush();
    await flushing;
    const flushMs = performance.now() - started;
    // What a busy hub does at depth: every batch the writers finish changes the queue, and the bus waits for
    // the queue to be on disk before it forgets an event. Each of these writes must not cost the whole queue.
    let drained = 0;
    const batchWrites = Math.min(100, Math.floor(depth / 10));
    started = performance.now();
    for (let i = 0; i < batchWrites; i++) {
      const batch = sqs.receiveMessagesNow(url, { MaxNumberOfMessages: 10 });
      for (const m of batch) sqs.deleteMessage(url, m.ReceiptHandle);
      drained += batch.length;
      await sqs.flush();
    }
    const batchWriteMs = batchWrites > 0 ? (performance.now() - started) / batchWrites : 0;
    started = performance.now();
    while (drained < depth) {
      const batch = sqs.receiveMessagesNow(url, { MaxNumberOfMessages: 10 });
      if (batch.length === 0) throw new Error(`the queue stopped giving messages at ${drained}`);
      for (const m of batch) sqs.deleteMessage(url, m.ReceiptHandle);
      drained += batch.length;
    }
    const drainMs = performance.now() - started;
    await sqs.close();
    return { depth, sendMs, drainMs, flushMs, batchWriteMs, batchWrites };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function localSqsBenchLines(f: LocalSqsFigures): string[] {
  const rate = (ms: number) => Math.round(f.depth / (ms / 1000)).toLocaleString('en-US');
  return [
    `Local SQS at depth ${f.depth.toLocaleString('en-US')} (one FIFO queue, ~1 KB messages in 500 groups, in process):`,
    '',
    '| operation | time | messages/s |',
    '| --- | ---: | ---: |',
    `| send ${f.depth} into the growing queue | ${f.sendMs.toFixed(0)} ms | ${rate(f.sendMs)} |`,
    `| receive 10 at a time + delete, until empty | ${f.drainMs.toFixed(0)} ms | ${rate(f.drainMs)} |`,
    `| one persistence write of the full queue (a snapshot) | ${f.flushMs.toFixed(0)} ms | — |`,
    `| receive 10 + delete + write, at that depth (mean of ${f.batchWrites}) | ${f.batchWriteMs.toFixed(1)} ms | — |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const depth = Number(process.argv[2] ?? process.env.BENCH_LOCAL_SQS_DEPTH ?? 20_000);
  for (const line of localSqsBenchLines(await benchLocalSqs(depth))) console.log(line);
}
