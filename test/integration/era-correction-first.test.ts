import { afterEach, describe, expect, it } from 'vitest';
import { write835 } from '../../lambdas/core/x12/write-835.js';
import type { Hub } from '../../local/runtime.js';
import { remittanceClaim, seedClaimThroughApi } from './support/claims.js';
import {
  accessToken,
  apiCaller,
  eventually,
  failPaymentsRetryably,
  odoo,
  sandboxAdmin,
  startTestHub,
} from './support/hub.js';

// Issue 16: the "correction first" story under ERA booking, which CI once caught only on real Odoo 17 — an ERA
// lists a claim's correction before its CLP02 22 reversal (of a payment the hub never booked). The correction
// waits for the reversal, so it is always booked while the reversal's success releases it. On Odoo 17 that
// release met a retryable failure (a serialization failure among a round's concurrent writes) and stopped; the
// encounter ended with its payment unbooked and its events held. Here the delivery order is the file's (one
// encounter, one FIFO group) and the failure is injected into the correction's first booking, not left to timing.

let hub: Hub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

/** A claim of the ERA with its CO-45 amount. */
const claim = (claimId: string, pccn: string, status: string, billed: number, paid: number, co: number) =>
  remittanceClaim(claimId, pccn, status, billed, paid, [{ group: 'CO', reason: '45', amountCents: co }]);

describe('ERA booking: a correction listed before its reversal', () => {
  it('books the correction after its reversal although Odoo fails its first try mid-release', async () => {
    hub = await startTestHub({ eraBooking: '{"quietMs":500}', odooWriteQueue: { retryDelaySeconds: 1 } });
    const active = hub;
    const token = await accessToken(active);
    const call = apiCaller(active, token, 'corr-first');
    const claimId = 'CLM-CORR-FIRST';
    const encounterId = await seedClaimThroughApi(call, {
      claimId,
      billedCents: 20_000,
      prefix: 'CF',
      payerId: 'PAYER-CF',
      payerName: 'Correction First Payer',
    });
    await active.waitForIdle();
    // The correction's payment (160.00) fails once with a retryable fault, whoever books it and when.
    await failPaymentsRetryably(active, 160);
    const trace = 'TCORRFIRST';
    const file = [
      ...write835(
        {
          controlNumber: '0001',
          traceNumber: trace,
          method: 'ACH',
          date: '2026-11-20',
          payerName: 'Correction First Payer',
          payeeName: 'Conformance Clinic',
          payeeNpi: '1234567893',
          // The correction first, then the reversal of a payment the hub never booked: their FIFO order.
          claims: [
            claim(claimId, 'PCF1', '1', 20_000, 16_000, 4_000),
            claim(claimId, 'PCF1', '22', -20_000, -15_000, -5_000),
          ],
          providerAdjustments: [],
        },
        { interchangeControlNumber: '730000001' },
      ),
    ].join('');
    const posted = await fetch(`${active.baseUrl}/v1/remittances`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/edi-x12',
        'Idempotency-Key': 'corr-first-835',
      },
      body: file,
    });
    expect(posted.status, await posted.text()).toBe(202);
    await eventually(async () => {
      const stats = (await sandboxAdmin(active, 'stats', undefined, 'GET')) as {
        calls: Record<string, number>;
      };
      const creates =
        (stats.calls['account.payment.register.create'] ?? 0) + (stats.calls['account.payment.create'] ?? 0);
      return creates > 0 ? true : undefined;
    }, 60_000);
    await sandboxAdmin(active, 'constraints', undefined, 'DELETE');
    await active.waitForIdle();

    const workflow = (await call('GET', `/v1/workflows/${encounterId}`)).body as {
      held: unknown[];
      exceptions: Array<{ key: string }>;
    };
    expect(workflow.held).toEqual([]);
    expect(workflow.exceptions.map((e) => e.key)).toEqual([`era:${trace}:PCF1:22:reversal-unmatched`]);
    const payments = await odoo<Array<{ amount: number; ref: string }>>(
      active,
      'account.payment',
      'search_read',
      [[['ref', 'ilike', `rcm:era:${trace}:PCF1:payment`]]],
      { fields: ['amount', 'ref'] },
    );
    expect(payments.map((p) => p.amount)).toEqual([160]);
    expect(active.aws.sqs.messageCount(active.queueUrls.OdooWriteQueue?.dlqUrl as string)).toBe(0);
  }, 300_000);
});
