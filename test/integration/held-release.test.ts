import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { ERA_PAYER, eraClaims, eraPayerRequest, eraSetupRequests, sendAll } from './support/era-scenario.js';
import {
  accessToken,
  apiCaller,
  eventually,
  failPaymentsRetryably,
  odoo,
  sandboxAdmin,
  startTestHub,
} from './support/hub.js';

// Issue 16: releasing an encounter's held events after a success must not stop for good at a failure a retry may
// fix — the encounter's next event, which would release them again, may never come.

let hub: Hub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

describe('releasing held events', () => {
  it('a retryable Odoo failure mid-release is retried until every held event is booked, each once', async () => {
    hub = await startTestHub({ odooWriteQueue: { retryDelaySeconds: 1 } });
    const active = hub;
    const call = apiCaller(active, await accessToken(active), 'held-release');
    const claim = eraClaims('HR', 1, ['paid'])[0];
    if (!claim) throw new Error('no claim');
    const setup = eraSetupRequests(claim);
    await sendAll(call, [eraPayerRequest(), ...setup.first], 1);
    await active.waitForIdle();
    // Two payer payments (checks) before their invoice: both held, in arrival order.
    const payment = (n: number, amount: string) => ({
      method: 'POST' as const,
      path: '/v1/payments',
      body: {
        paymentId: `PAY-HR-${n}`,
        encounterId: claim.encounterId,
        facilityId: 'FAC-ERA',
        payer: { kind: 'payer', id: ERA_PAYER.id },
        amount,
        method: 'check',
        traceNumber: `ch_hr_${n}`,
        receivedDate: '2026-11-30',
        appliesTo: { invoiceId: claim.invoiceId },
      },
    });
    await sendAll(call, [payment(1, '12.34'), payment(2, '23.45')], 1);
    await active.waitForIdle();
    const workflow = async () =>
      (await call('GET', `/v1/workflows/${claim.encounterId}`)).body as {
        held: Array<{ type: string }>;
        payments: Array<{ paymentId: string }>;
      };
    expect((await workflow()).held.map((h) => h.type)).toEqual(['PaymentReceived', 'PaymentReceived']);

    // Odoo fails the first held payment with a retryable fault (a serialization failure) while it is released
    // after its invoice is booked; then Odoo recovers. No further event of the encounter comes.
    await failPaymentsRetryably(active, 12.34);
    // The invoice only: no later event of the encounter comes to release them again.
    const invoice = setup.then.find((r) => r.path === '/v1/invoices');
    if (!invoice) throw new Error('no invoice request');
    await sendAll(call, [invoice], 1);
    await eventually(async () => {
      const stats = (await sandboxAdmin(active, 'stats', undefined, 'GET')) as {
        calls: Record<string, number>;
      };
      return (stats.calls['account.payment.register.create'] ?? 0) +
        (stats.calls['account.payment.create'] ?? 0) >
        0
        ? true
        : undefined;
    }, 60_000);
    await sandboxAdmin(active, 'constraints', undefined, 'DELETE');
    await active.waitForIdle();

    const after = await workflow();
    expect(after.held).toEqual([]);
    expect(after.payments.map((p) => p.paymentId).sort()).toEqual(['PAY-HR-1', 'PAY-HR-2']);
    expect(active.aws.sqs.messageCount(active.queueUrls.OdooWriteQueue?.dlqUrl as string)).toBe(0);
    // Each booked once in Odoo, whatever the retries: one payment of each amount, none of the refused one kept.
    const payments = await odoo<Array<{ amount: number }>>(
      active,
      'account.payment',
      'search_read',
      [[['amount', 'in', [12.34, 23.45]]]],
      { fields: ['amount'] },
    );
    expect(payments.map((p) => p.amount).sort()).toEqual([12.34, 23.45]);
  }, 300_000);
});
