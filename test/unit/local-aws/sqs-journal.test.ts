import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSqs } from '../../../local/aws/sqs.js';

// The local SQS persists a snapshot per queue and then a journal of what changed (issue 16: rewriting a deep
// queue at every burst took most of the local hub's CPU). What a restart finds must be what was there.

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

interface Stored {
  messageId: string;
  body: string;
  receiveCount: number;
  groupId?: string;
  sequenceNumber?: string;
  deadLetterQueueSourceArn?: string;
}
interface State {
  messages: Stored[];
  dedup: Record<string, unknown>;
  nextSequence: string;
}

async function stateDir() {
  const dir = await mkdtemp(join(tmpdir(), 'local-sqs-journal-'));
  dirs.push(dir);
  return dir;
}

function sqsAt(dir: string, clock: () => number, minJournalBytes?: number) {
  return new LocalSqs({
    endpoint: 'http://localhost:1',
    accountId: '000000000000',
    region: 'us-east-1',
    stateDir: dir,
    clock,
    enforcePurgeCooldown: false,
    persistDebounceMs: 3_600_000, // writes only when a test flushes
    ...(minJournalBytes === undefined ? {} : { minJournalBytes }),
  });
}

/** What a restart must reproduce: every message in order with what SQS tells about it, the dedup window. */
function stateOf(sqs: LocalSqs, name: string, now: number) {
  const q = (sqs as unknown as { queues: Map<string, State> }).queues.get(name) as State;
  return {
    messages: q.messages.map((m) => ({
      messageId: m.messageId,
      body: m.body,
      receiveCount: m.receiveCount,
      groupId: m.groupId,
      sequenceNumber: m.sequenceNumber,
      deadLetterQueueSourceArn: m.deadLetterQueueSourceArn,
    })),
    // Entries past their window may linger until the next expiry scan, on either side of a restart.
    dedup: Object.entries(q.dedup)
      .filter(([, e]) => (e as { expiresAt: number }).expiresAt > now)
      .map(([key]) => key)
      .sort(),
    nextSequence: q.nextSequence,
  };
}

/** A queue `q` with `bodies` sent and written one by one (the first write is its snapshot). */
async function queueWritten(...bodies: string[]) {
  const dir = await stateDir();
  const sqs = sqsAt(dir, Date.now);
  const url = sqs.createQueue('q');
  for (const body of bodies) {
    sqs.sendMessage(url, { MessageBody: body });
    await sqs.flush();
  }
  return { dir, url };
}

async function restart(dir: string): Promise<LocalSqs> {
  const restarted = sqsAt(dir, Date.now);
  await restarted.load();
  return restarted;
}

const files = async (dir: string) => (await readdir(join(dir, 'sqs'))).sort();

type Op =
  | { kind: 'send'; group: number; dedup: number }
  | { kind: 'receive'; max: number; visibility: number }
  | { kind: 'delete' }
  | { kind: 'hide' }
  | { kind: 'purge' }
  | { kind: 'tick'; ms: number }
  | { kind: 'flush' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('send' as const), group: fc.nat(4), dedup: fc.nat(30) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('receive' as const),
      max: fc.integer({ min: 1, max: 10 }),
      visibility: fc.constantFrom(0, 0, 30), // 0: received again at once, so some reach the DLQ
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hide' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purge' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 40_000 }) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
);

describe('local SQS journal', () => {
  it('a restart finds every queue as it was, whatever was sent, received, deleted, moved or purged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 80 }),
        fc.oneof(fc.constant(Number.MAX_SAFE_INTEGER), fc.integer({ min: 200, max: 5_000 })),
        async (ops, limit) => {
          const dir = await stateDir();
          let now = Date.parse('2026-11-30T12:00:00Z');
          const clock = () => now;
          // A small journal limit makes some runs take fresh snapshots half-way.
          const sqs = sqsAt(dir, clock, limit);
          sqs.createQueue('WriteDlq.fifo', {});
          const url = sqs.createQueue('Write.fifo', {
            redrivePolicy: { deadLetterQueueName: 'WriteDlq.fifo', maxReceiveCount: 2 },
          });
          await sqs.flush(); // the first snapshot: from here on the writes are journal lines (or new snapshots)
          let handles: string[] = [];
          let sent = 0;
          for (const o of ops) {
            if (o.kind === 'send') {
              sent += 1;
              sqs.sendMessage(url, {
                MessageBody: `body-${sent}`,
                MessageGroupId: `g${o.group}`,
                MessageDeduplicationId: `d${o.dedup}`,
              });
            } else if (o.kind === 'receive') {
              const got = sqs.receiveMessagesNow(url, {
                MaxNumberOfMessages: o.max,
                VisibilityTimeout: o.visibility,
              });
              handles = [...handles, ...got.map((m) => m.ReceiptHandle as string)];
            } else if (o.kind === 'delete' || o.kind === 'hide') {
              const handle = handles.pop(); // the latest receive: the one whose handle is most likely current
              if (!handle) continue;
              try {
                if (o.kind === 'delete') sqs.deleteMessage(url, handle);
                else sqs.changeMessageVisibility(url, handle, 60);
              } catch {
                // an expired handle: SQS refuses it, nothing changes
              }
            } else if (o.kind === 'purge') sqs.purgeQueue(url);
            else if (o.kind === 'tick') now += o.ms;
            else await sqs.flush();
          }
          const before = [stateOf(sqs, 'Write.fifo', now), stateOf(sqs, 'WriteDlq.fifo', now)];
          await sqs.close();

          const restarted = sqsAt(dir, clock);
          await restarted.load();
          expect([stateOf(restarted, 'Write.fifo', now), stateOf(restarted, 'WriteDlq.fifo', now)]).toEqual(
            before,
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('after its first snapshot a queue appends what changed instead of rewriting the snapshot', async () => {
    const dir = await stateDir();
    const sqs = sqsAt(dir, Date.now);
    const url = sqs.createQueue('q');
    for (let i = 0; i < 50; i += 1) sqs.sendMessage(url, { MessageBody: `m${i}` });
    await sqs.flush();
    expect(await files(dir)).toEqual(['q.json']);
    const snapshot = await readFile(join(dir, 'sqs', 'q.json'), 'utf8');
    const [first] = sqs.receiveMessagesNow(url, { MaxNumberOfMessages: 1 });
    sqs.deleteMessage(url, first?.ReceiptHandle as string);
    sqs.sendMessage(url, { MessageBody: 'late' });
    await sqs.flush();
    expect(await readFile(join(dir, 'sqs', 'q.json'), 'utf8')).toBe(snapshot);
    const journal = (await readFile(join(dir, 'sqs', 'q.1.log'), 'utf8')).trim().split('\n');
    // The deleted message, the new one, the queue's small state: a few hundred bytes, not the queue.
    expect(journal.map((line) => Object.keys(JSON.parse(line))[0])).toEqual(['del', 'put', 'meta']);

    const restarted = await restart(dir);
    const bodies = restarted.receiveMessagesNow(url, { MaxNumberOfMessages: 10 }).map((m) => m.Body);
    expect(bodies).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10']);
    expect(restarted.messageCount(url)).toBe(50);
  });

  it('a journal that outgrows its snapshot is folded into a new one and the old journal removed', async () => {
    const dir = await stateDir();
    const sqs = sqsAt(dir, Date.now, 1);
    const url = sqs.createQueue('q');
    sqs.sendMessage(url, { MessageBody: 'a' });
    await sqs.flush(); // generation 1
    for (let i = 0; i < 20; i += 1) {
      sqs.sendMessage(url, { MessageBody: `x${i}`.padEnd(500, '.') });
      await sqs.flush(); // appended until the journal is larger than the snapshot
    }
    const names = await files(dir);
    expect(names).toContain('q.json');
    const logs = names.filter((n) => n.endsWith('.log'));
    expect(logs.length).toBeLessThanOrEqual(1);
    const generation = JSON.parse(await readFile(join(dir, 'sqs', 'q.json'), 'utf8')).generation as number;
    expect(generation).toBeGreaterThan(1);
    expect(logs.every((n) => n === `q.${generation}.log`)).toBe(true);
    const restarted = await restart(dir);
    expect(restarted.messageCount(url)).toBe(21);
  });

  it('a journal line cut short by a crash is ignored, and the next write starts a fresh snapshot', async () => {
    const { dir, url } = await queueWritten('kept', 'also kept');
    // The crash: half of the next line reached the disk, its caller never heard back.
    const log = join(dir, 'sqs', 'q.1.log');
    await writeFile(log, `${await readFile(log, 'utf8')}{"put":{"messageId":"half`);

    const restarted = await restart(dir);
    expect(restarted.messageCount(url)).toBe(2);
    restarted.sendMessage(url, { MessageBody: 'after' });
    await restarted.flush();
    expect(await files(dir)).toEqual(['q.json']); // generation 2, nothing appended behind the torn line
    const again = await restart(dir);
    expect(again.receiveMessagesNow(url, { MaxNumberOfMessages: 10 }).map((m) => m.Body)).toEqual([
      'kept',
      'also kept',
      'after',
    ]);
  });

  it('reads a snapshot written before the journal existed (no generation)', async () => {
    const { dir, url } = await queueWritten('old');
    const file = join(dir, 'sqs', 'q.json');
    const { generation: _generation, ...old } = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify(old));
    const restarted = await restart(dir);
    expect(restarted.receiveMessagesNow(url).map((m) => m.Body)).toEqual(['old']);
  });
});
