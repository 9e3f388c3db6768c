import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooBreakerStore } from '../../lambdas/adapters/dynamodb/odoo-breaker-store.js';
import { DEFAULT_LEDGER_SETUP, ensureHubSetup } from '../../lambdas/adapters/odoo/accounts.js';
import type { Hub } from '../../local/runtime.js';
import { type RateLimitedOdoo, startRateLimitedOdoo } from '../bench/rate-limited-odoo.js';
import {
  type ClaimBooks,
  type EraClaim,
  eraBooks,
  eraClaims,
  eraPayerRequest,
  expectedEraAmounts,
  patientPaymentBooks,
  patientPaymentRequest,
  sendAll,
  sendEra,
  setUpEraClaims,
  setUpPatientInvoices,
} from '../integration/support/era-scenario.js';
import { accessToken, apiCaller, eventually, startTestHub } from '../integration/support/hub.js';
import { type OdooUnderTest, odooUnderTest } from './support/odoo-under-test.js';

/**
 * Conformance, issue 16: an ERA of claim payments of every kind (paid in full, CO-45 written off, CO-45 + PR moved
 * to the patient) booked by ERA rounds (core/era-booking.ts) and, on a second hub, one by one in each claim's turn
 * (`ODOO_ERA_BOOKING=off`), into whatever Odoo the ODOO_* variables name (the sandbox in `npm test`): the books
 * must be the same, claim by claim, as Odoo words them (payment states, invoice payment states, residuals).
 */
let odoo: OdooUnderTest;
const run = Date.now().toString(36).toUpperCase();

beforeAll(async () => {
  odoo = await odooUnderTest();
  const setup = await ensureHubSetup(odoo.reader, DEFAULT_LEDGER_SETUP);
  expect(setup.records.filter((r) => r.problem)).toEqual([]);
}, 300_000);

afterAll(async () => {
  await odoo?.close();
});

/** The reasons of the exceptions the hub's register holds for `team` (read from its table, as the API reads them). */
async function openExceptions(hub: Hub, team: string): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint: hub.dynamodbEndpoint, region: 'us-east-1' });
  try {
    const out = await client.send(new ScanCommand({ TableName: process.env.EXCEPTION_TABLE_NAME as string }));
    return (out.Items ?? []).flatMap((item) => (item.team?.S === team ? [String(item.reason?.S)] : []));
  } finally {
    client.destroy();
  }
}

/**
 * Calls a writer container makes once, whatever it books (login, server version, chart and journal ids: OdooChart),
 * not counted against an ERA: the ERA's round may run in a container the claims' setup did not warm.
 */
const PER_CONTAINER =
  /^(common\.|ir\.model\.data\.check_object_reference$|account\.(account|journal)\.read$)/;

/**
 * A hub with this ERA booking setting in front of the Odoo under test: `setUp` runs uncounted, then the calls
 * `act` costs Odoo are counted by `model.method` on their way to it; nothing may be dead-lettered.
 */
async function countedHub(
  eraBooking: string,
  clientId: string,
  setUp: (call: ReturnType<typeof apiCaller>, hub: Hub) => Promise<void>,
  act: (call: ReturnType<typeof apiCaller>, hub: Hub) => Promise<void>,
  /** Sets up the faults `act` meets (the proxy's lost answers). */
  faults?: (odoo: RateLimitedOdoo) => void,
  /** The writer's wait after a write whose answer was lost (ODOO_LATE_COMMIT_SECONDS, here 3 s), its receives. */
  queue: { lateCommitSeconds?: number; maxReceiveCount?: number } = {},
): Promise<{ calls: Record<string, number>; rpcs: number; breakerOpened: boolean }> {
  let hub: Hub | undefined;
  const counted = await startRateLimitedOdoo(odoo.hub.url);
  try {
    hub = await startTestHub({
      odoo: { ...odoo.hub, url: counted.url },
      eraBooking,
      monitoring: { sweepIntervalSeconds: false },
      odooWriteQueue: { lateCommitSeconds: 3, ...queue },
    });
    const call = apiCaller(hub, await accessToken(hub), clientId);
    await setUp(call, hub);
    const breaker = new OdooBreakerStore(
      new DynamoDBClient({ endpoint: hub.dynamodbEndpoint, region: 'us-east-1' }),
      process.env.WORKFLOW_TABLE_NAME as string,
    );
    // A breaker that opened and closed again since is closed since a later time.
    const closedSince = (await breaker.read({ fresh: true })).state.since;
    counted.resetCounts();
    faults?.(counted);
    await act(call, hub);
    // A call committing late lands before the books are read (else its copy would go unseen).
    await counted.pendingLate();
    const { state } = await breaker.read({ fresh: true });
    const breakerOpened = state.status === 'open' || state.since !== closedSince;
    const calls = Object.fromEntries(counted.calls);
    expect(hub.aws.sqs.messageCount(hub.queueUrls.OdooWriteQueue?.dlqUrl as string)).toBe(0);
    const rpcs = Object.entries(calls)
      .filter(([name]) => !PER_CONTAINER.test(name))
      .reduce((sum, [, n]) => sum + n, 0);
    return { calls, rpcs, breakerOpened };
  } finally {
    await hub?.close();
    await counted.close();
  }
}

/**
 * One ERA of these claims through a hub with this ERA booking setting; the books as finance reads them, and the
 * calls the ERA cost Odoo (from the first claim payment sent).
 */
async function bookEra(
  eraBooking: string,
  claims: EraClaim[],
  trace: string,
  faults?: (odoo: RateLimitedOdoo) => void,
  queue?: { lateCommitSeconds?: number; maxReceiveCount?: number },
): Promise<{
  books: Map<string, ClaimBooks>;
  calls: Record<string, number>;
  rpcs: number;
  breakerOpened: boolean;
}> {
  const { calls, rpcs, breakerOpened } = await countedHub(
    eraBooking,
    `erab-${trace}`,
    async (call, hub) => {
      await sendAll(call, [eraPayerRequest()]);
      await setUpEraClaims(call, hub, claims);
    },
    (call, hub) => sendEra(call, hub, claims, trace),
    faults,
    queue,
  );
  const memoField = (await odoo.reader.dialect()).paymentMemoField;
  const books = await eraBooks(
    (model, method, args, kwargs) => odoo.reader.call(model, method, args, kwargs),
    claims,
    memoField,
  );
  return { books, calls, rpcs, breakerOpened };
}

describe('conformance: an ERA booked as one unit of Odoo work', () => {
  it('books what the one-by-one path books, claim by claim, to the cent and in the same states', async () => {
    const byRound = eraClaims(`R${run}`, 24);
    const oneByOne = eraClaims(`O${run}`, 24);
    // One round for the whole ERA: it books once all 24 have joined (a full chunk), whatever the machine's speed.
    const oneRound = JSON.stringify({ chunk: byRound.length, quietMs: 20_000, maxWaitMs: 3_600_000 });
    const round = await bookEra(oneRound, byRound, `EFT-R${run}`);
    const one = await bookEra('off', oneByOne, `EFT-O${run}`);
    const [roundBooks, oneBooks] = [round.books, one.books];
    console.info(
      `ERA booking conformance (${odoo.kind} Odoo): 24 mixed claims, ${round.rpcs} RPCs by one round ` +
        `(${JSON.stringify(round.calls)}), ${one.rpcs} one by one`,
    );
    // Every claim booked by the round itself (receivables-batch.ts): 10 calls whatever its size; a claim left to
    // the one-by-one path would cost several more.
    // A draft Odoo named at creation (the first of its journal's year) is renamed "/" before posting: one write.
    const renames = round.calls['account.move.write'] ?? 0;
    expect(round.rpcs - renames, JSON.stringify(round.calls)).toBe(10);
    expect(renames).toBeLessThanOrEqual(1);
    const anonymous = (books: ClaimBooks | undefined) =>
      books && { ...books, patientInvoices: books.patientInvoices.map((p) => ({ ...p, partner: '' })) };
    byRound.forEach((c, i) => {
      const twin = oneByOne[i] as EraClaim;
      expect(roundBooks.get(c.n), c.n).toMatchObject(expectedEraAmounts(c));
      expect(oneBooks.get(twin.n), twin.n).toMatchObject(expectedEraAmounts(twin));
      expect(anonymous(roundBooks.get(c.n)), c.n).toEqual(anonymous(oneBooks.get(twin.n)));
    });
  });

  it('books an ERA in two lanes, whose rounds may write to one journal at once and first find Odoo down, as one lane books it', async () => {
    const claims = eraClaims(`W${run}`, 24);
    // core/era-booking.ts laneRoundKey: the ERA's rounds in two FIFO groups, two writers at once; a lane books when
    // its claim payments stop arriving for 3 s (how many join each lane is the encounters' hash). Odoo is down for
    // the first 10 s: the lanes' rounds fail beside the claim payments' turns and come back (the writer answers
    // those failures with the turns' successes: roundGroupsApart).
    const lanes = JSON.stringify({ lanes: 2, quietMs: 3_000 });
    const { books, calls } = await bookEra(lanes, claims, `EFT-W${run}`, (proxy) => {
      proxy.down = true;
      setTimeout(() => {
        proxy.down = false;
      }, 10_000);
    });
    console.info(`ERA in two lanes (${odoo.kind} Odoo): ${JSON.stringify(calls)}`);
    for (const c of claims) expect(books.get(c.n), c.n).toMatchObject(expectedEraAmounts(c));
    // Two rounds' batches at least, one per lane (a lane's round books all it holds).
    expect(calls['account.payment.create'] ?? 0).toBeGreaterThanOrEqual(2);
  });

  it('books an ERA whose rounds stop after one wave: what a round booked and did not record, the next records', async () => {
    const claims = eraClaims(`S${run}`, 24);
    // roundMs 0: each round's time is spent at its start, as a round whose invocation ran out finds it. The first
    // round's batch books all 24 in Odoo and records 8; the next rounds find the rest booked whole in their
    // look-ups (receivables-batch.ts foundBooked) and record them without booking anything again.
    const stopping = JSON.stringify({
      chunk: claims.length,
      quietMs: 20_000,
      maxWaitMs: 3_600_000,
      roundMs: 0,
    });
    const stopped = await bookEra(stopping, claims, `EFT-S${run}`);
    console.info(
      `ERA booking conformance (${odoo.kind} Odoo): 24 mixed claims by rounds of one wave, ${stopped.rpcs} RPCs ` +
        `(${JSON.stringify(stopped.calls)})`,
    );
    for (const c of claims) {
      expect(stopped.books.get(c.n), c.n).toMatchObject(expectedEraAmounts(c));
      expect(stopped.books.get(c.n)?.payments, c.n).toHaveLength(1);
    }
    // Not booked again claim by claim: payments are searched once a round (three rounds here), not per claim.
    expect(
      stopped.calls['account.payment.search_read'] ?? 0,
      JSON.stringify(stopped.calls),
    ).toBeLessThanOrEqual(6);
  });

  it("books an ERA whose round lost Odoo's answer to its payments: the next round posts those drafts, once", async () => {
    const claims = eraClaims(`D${run}`, 12);
    const oneRound = JSON.stringify({ chunk: claims.length, quietMs: 20_000, maxWaitMs: 3_600_000 });
    // Odoo creates the round's payments and the answer is lost: twelve draft payments the hub cannot know of.
    const lost = await bookEra(oneRound, claims, `EFT-D${run}`, (proxy) =>
      proxy.loseAnswers.set('account.payment.create', 1),
    );
    console.info(
      `ERA booking conformance (${odoo.kind} Odoo): 12 mixed claims after a lost create, ${lost.rpcs} RPCs ` +
        `(${JSON.stringify(lost.calls)})`,
    );
    for (const c of claims) {
      expect(lost.books.get(c.n), c.n).toMatchObject(expectedEraAmounts(c));
      expect(lost.books.get(c.n)?.payments, c.n).toHaveLength(1);
    }
    // Created once, by the round whose answer was lost; the next round's batch posts the drafts with its own
    // (payments, then credit notes and patient invoices: at most 3 posting calls), none on its own.
    expect(lost.calls['account.payment.create'], JSON.stringify(lost.calls)).toBe(1);
    expect(lost.calls['account.move.action_post'] ?? 0, JSON.stringify(lost.calls)).toBeLessThanOrEqual(3);
    // One call went unanswered, not twelve: the breaker counts it once and no writer or lane is paused for it.
    expect(lost.breakerOpened).toBe(false);
  });

  it.each([
    // The round's retry (5 s after its first receive) comes back before the commit.
    { round: 'its retry', maxReceiveCount: undefined, trace: 'L' },
    // The round's receives spent at once: the fresh round it sends is taken within a second.
    { round: 'a fresh round', maxReceiveCount: 2, trace: 'F' },
  ])(
    'books an ERA whose payments commit after the hub gave up on them, $round waiting for them: nothing created twice',
    async ({ maxReceiveCount, trace }) => {
      const claims = eraClaims(`${trace}${run}`, 12);
      const oneRound = JSON.stringify({ chunk: claims.length, quietMs: 20_000, maxWaitMs: 3_600_000 });
      // The hub hears a 502 at once; Odoo creates the payments 8 s later. Only a writer that waits out the late
      // commit (here 12 s) before its next look-up finds them instead of creating more.
      const late = await bookEra(
        oneRound,
        claims,
        `EFT-${trace}${run}`,
        (proxy) => proxy.commitLate.set('account.payment.create', 8_000),
        { lateCommitSeconds: 12, ...(maxReceiveCount ? { maxReceiveCount } : {}) },
      );
      console.info(
        `ERA booking conformance (${odoo.kind} Odoo): 12 mixed claims after a late-committing create ` +
          `(maxReceiveCount ${maxReceiveCount ?? 'default'}), ${late.rpcs} RPCs (${JSON.stringify(late.calls)})`,
      );
      for (const c of claims) {
        expect(late.books.get(c.n), c.n).toMatchObject(expectedEraAmounts(c));
        expect(late.books.get(c.n)?.payments, c.n).toHaveLength(1);
      }
      expect(late.calls['account.payment.create'], JSON.stringify(late.calls)).toBe(1);
    },
  );
});

describe("conformance: a day's payments booked as one unit of Odoo work", () => {
  /**
   * A day's patient payments of these claims through a hub with this ERA booking setting; their books, and the
   * exceptions the hub opened for finance.
   */
  async function bookPayments(
    eraBooking: string,
    claims: EraClaim[],
    receivedDate: string,
    faults?: (odoo: RateLimitedOdoo) => void,
  ) {
    let financeExceptions: string[] = [];
    const { calls, rpcs } = await countedHub(
      eraBooking,
      `pay-${receivedDate}`,
      (call, hub) => setUpPatientInvoices(call, hub, claims),
      async (call, hub) => {
        await sendAll(
          call,
          claims.map((c) => patientPaymentRequest(c, receivedDate)),
        );
        await hub.waitForIdle();
        financeExceptions = await openExceptions(hub, 'finance');
      },
      faults,
    );
    const books = await patientPaymentBooks(
      (model, method, args, kwargs) => odoo.reader.call(model, method, args, kwargs),
      claims,
      (await odoo.reader.dialect()).paymentMemoField,
    );
    return { books, calls, rpcs, financeExceptions };
  }

  it('books what each payment its own turn books, payment by payment, in a fixed number of calls', async () => {
    const byRound = eraClaims(`PR${run}`, 16, ['paid']);
    const oneByOne = eraClaims(`PO${run}`, 16, ['paid']);
    // One round for the day once all 16 have joined (a full chunk), whatever the machine's speed.
    const oneRound = JSON.stringify({ chunk: byRound.length, quietMs: 20_000, maxWaitMs: 3_600_000 });
    const round = await bookPayments(oneRound, byRound, '2026-11-27');
    const one = await bookPayments('{"payments":false}', oneByOne, '2026-11-28');
    console.info(
      `payment round conformance (${odoo.kind} Odoo): 16 patient payments, ${round.rpcs} RPCs by one round ` +
        `(${JSON.stringify(round.calls)}), ${one.rpcs} in their own turns`,
    );
    // The receivables batch of payments alone: the open lines, the payment markers, the payments created, their
    // counterpart lines, the matching numbers, the posting, the books read back.
    // A draft Odoo named at creation (the first of its journal's year) is renamed "/" before posting: one write.
    const renames = round.calls['account.move.write'] ?? 0;
    expect(round.rpcs - renames, JSON.stringify(round.calls)).toBeLessThanOrEqual(8);
    expect(renames).toBeLessThanOrEqual(1);
    expect(round.rpcs).toBeLessThan(one.rpcs / 2);
    byRound.forEach((c, i) => {
      const twin = oneByOne[i] as EraClaim;
      expect(round.books.get(c.n), c.n).toMatchObject({
        payments: [{ amountCents: c.billedCents }],
        invoice: { residualCents: 0, state: 'posted' },
      });
      expect(round.books.get(c.n), c.n).toEqual(one.books.get(twin.n));
    });
  });

  it("books a day's payments whose posting Odoo committed without an answer: once each, and no overpayment", async () => {
    const claims = eraClaims(`PL${run}`, 8, ['paid']);
    const oneRound = JSON.stringify({ chunk: claims.length, quietMs: 20_000, maxWaitMs: 3_600_000 });
    // Odoo posts (and so applies) the round's payments and the answer is lost. The next round must not plan them
    // again against invoices they already paid (an overpayment, unapplied cash): the plans were fixed before.
    const lost = await bookPayments(oneRound, claims, '2026-11-26', (proxy) =>
      proxy.loseAnswers.set('account.move.action_post', 1),
    );
    console.info(
      `payment round conformance (${odoo.kind} Odoo): 8 patient payments after a lost posting, ${lost.rpcs} RPCs ` +
        `(${JSON.stringify(lost.calls)}), finance exceptions: ${JSON.stringify(lost.financeExceptions)}`,
    );
    for (const c of claims)
      expect(lost.books.get(c.n), c.n).toMatchObject({
        payments: [{ amountCents: c.billedCents }],
        invoice: { residualCents: 0, state: 'posted' },
      });
    expect(lost.financeExceptions).toEqual([]);
  });
});

/**
 * Issue 16: a write whose receives are spent during an outage is re-queued behind the breaker as a
 * fresh copy (odoo-writer.ts). When its last receive was a batched write whose answer was lost, Odoo may still
 * commit it; the copy must not look for it before then, however soon the probe finds Odoo back, or it writes the
 * payment a second time.
 */
describe('conformance: a payment re-queued behind the breaker while its batched write may still commit', () => {
  it('waits for the late commit before its copy looks again: one payment, posted', async () => {
    const [claim] = eraClaims(`LQ${run}`, 1, ['paid']);
    if (!claim) throw new Error('no claim');
    const proxy = await startRateLimitedOdoo(odoo.hub.url);
    let hub: Hub | undefined;
    try {
      hub = await startTestHub({
        odoo: { ...odoo.hub, url: proxy.url },
        // Payments booked by their SQS batch's receivables batch, not by a day's round.
        eraBooking: '{"payments":false}',
        monitoring: { sweepIntervalSeconds: false },
        // Two receives; 10 s between them leaves the test the time to change the fault. The late commit lands
        // 8 s after the hub gave up, within the 15 s the hub waits for it.
        odooWriteQueue: { maxReceiveCount: 2, retryDelaySeconds: 10, lateCommitSeconds: 15 },
      });
      const active = hub;
      const call = apiCaller(active, await accessToken(active), `late-requeue-${run}`);
      await setUpPatientInvoices(call, active, [claim]);

      const copies = countLateCommitCopies(active);
      const breaker = new OdooBreakerStore(
        new DynamoDBClient({ endpoint: active.dynamodbEndpoint, region: 'us-east-1' }),
        process.env.WORKFLOW_TABLE_NAME as string,
      );
      // Three failures counted already: the payment's two make five, and the breaker opens on its last receive.
      await breaker.update((record) => ({
        ...record,
        state: { status: 'closed', consecutiveFailures: 3, since: Date.now() },
      }));
      // Its first receive finds Odoo down…
      proxy.down = true;
      await sendAll(call, [patientPaymentRequest(claim, '2026-11-30')]);
      await eventually(
        async () => {
          const { state } = await breaker.read({ fresh: true });
          return state.status === 'closed' && state.consecutiveFailures >= 4 ? true : undefined;
        },
        60_000,
        'the first receive to fail',
      );
      // …its last one reaches Odoo, whose answer to the payments' create is lost and which commits it 8 s later.
      proxy.commitLate.set('account.payment.create', 8_000);
      proxy.down = false;
      await eventually(async () => (copies.length > 0 ? true : undefined), 60_000, 'the copy');
      await active.waitForIdle();
      await proxy.pendingLate();

      const books = await patientPaymentBooks(
        (model, method, args, kwargs) => odoo.reader.call(model, method, args, kwargs),
        [claim],
        (await odoo.reader.dialect()).paymentMemoField,
      );
      console.info(
        `late commit behind the breaker (${odoo.kind} Odoo): ${JSON.stringify(Object.fromEntries(proxy.calls))}`,
      );
      // The copy was sent with the time it waits for; before, it was taken as soon as the probe closed the
      // breaker (about 2 s) and created a second payment before the first committed.
      expect(copies).toHaveLength(1);
      expect(books.get(claim.n)).toMatchObject({
        payments: [{ amountCents: claim.billedCents }],
        invoice: { residualCents: 0, state: 'posted' },
      });
      expect(active.aws.sqs.messageCount(active.queueUrls.OdooWriteQueue?.dlqUrl as string)).toBe(0);
    } finally {
      await hub?.close();
      await proxy.close();
    }
  });
});

/** The copies the writer re-queues while a write of theirs may still commit (the attribute it sets on them). */
function countLateCommitCopies(active: Hub): string[] {
  const copies: string[] = [];
  const sqs = active.aws.sqs as unknown as {
    enqueue: (q: unknown, input: Record<string, unknown>) => unknown;
  };
  const enqueue = sqs.enqueue.bind(sqs);
  sqs.enqueue = (q, input) => {
    const attributes = input.MessageAttributes as Record<string, { StringValue?: string }> | undefined;
    const notBefore = attributes?.rcmLateCommitNotBefore?.StringValue;
    if (notBefore) copies.push(notBefore);
    return enqueue(q, input);
  };
  return copies;
}
