import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooBreakerStore } from '../../lambdas/adapters/dynamodb/odoo-breaker-store.js';
import { DEFAULT_LEDGER_SETUP, ensureHubSetup } from '../../lambdas/adapters/odoo/accounts.js';
import type { Hub } from '../../local/runtime.js';
import { startRateLimitedOdoo } from '../bench/rate-limited-odoo.js';
import {
  eraClaims,
  patientPaymentBooks,
  patientPaymentRequest,
  sendAll,
  setUpPatientInvoices,
} from '../integration/support/era-scenario.js';
import { accessToken, apiCaller, eventually, startTestHub } from '../integration/support/hub.js';
import { type OdooUnderTest, odooUnderTest } from './support/odoo-under-test.js';

/**
 * Conformance, issue 16: a write whose receives are spent during an outage is re-queued behind the breaker as a
 * fresh copy (odoo-writer.ts). When its last receive was a batched write whose answer was lost, Odoo may still
 * commit it; the copy must not look for it before then, however soon the probe finds Odoo back, or it writes the
 * payment a second time.
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
