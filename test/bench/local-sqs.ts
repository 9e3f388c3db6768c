/**
 * The local SQS at month-end depth (issue 16): a FIFO queue filled with `depth` messages of about 1 KB (the size
 * of an Odoo write), then drained 10 at a time as the writers do, then one persistence snapshot of a queue that
 * deep. Figures only. What it watches: every send, receive and delete used to scan or copy the whole backlog
 * (expire(), the delete's filter), quadratic in a deep queue; persistence still writes the whole queue.
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
    started = performance.now();
    let drained = 0;
    while (drained < depth) {
      const batch = sqs.receiveMessagesNow(url, { MaxNumberOfMessages: 10 });
      if (batch.length === 0) throw new Error(`the queue stopped giving messages at ${drained}`);
      for (const m of batch) sqs.deleteMessage(url, m.ReceiptHandle);
      drained += batch.length;
    }
    const drainMs = performance.now() - started;
    await sqs.close();
    return { depth, sendMs, drainMs, flushMs };
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
    `| one persistence write of the full queue | ${f.flushMs.toFixed(0)} ms | — |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const depth = Number(process.argv[2] ?? process.env.BENCH_LOCAL_SQS_DEPTH ?? 20_000);
  for (const line of localSqsBenchLines(await benchLocalSqs(depth))) console.log(line);
}
