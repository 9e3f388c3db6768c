import { afterAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { accessToken, invoiceRequest, odoo, startTestHub } from './support/hub.js';

// The month-end bench's setting (local/runtime.ts `handlerThreads`): each handler container in a worker thread of
// its own, as each Lambda container has its own CPU in AWS. The hub must behave as with all on one event loop.
describe('handler containers in worker threads', () => {
  let hub: Hub | undefined;

  afterAll(async () => {
    await hub?.close();
  });

  it('accepts, books and answers as on one thread; a retry is answered from the idempotency record', async () => {
    // Arrange
    hub = await startTestHub({ handlerThreads: true });
    const active = hub;
    const token = await accessToken(active);
    const invoice = invoiceRequest({ invoiceId: 'INV-THREADS-1', encounterId: 'ENC-THREADS-1' });
    const post = () =>
      fetch(`${active.baseUrl}/v1/invoices`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': 'key-threads-1',
        },
        body: JSON.stringify(invoice),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));

    // Act
    const first = await post();
    await active.waitForIdle();
    const retried = await post();
    const refused = await fetch(`${active.baseUrl}/v1/invoices`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': 'k2',
      },
      body: JSON.stringify({ ...invoice, issueDate: 'yesterday' }),
    });
    const view = await fetch(`${active.baseUrl}/v1/workflows/${invoice.encounterId}`, {
      headers: { Authorization: `Bearer ${token}` },
    }).then((r) => r.json() as Promise<{ state: string }>);

    // Assess
    expect(first.status).toBe(202);
    expect(retried).toEqual(first);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(view.state).toBe('invoice_issued');
    expect(
      await odoo<number>(active, 'account.move', 'search_count', [[['ref', '=', invoice.invoiceId]]]),
    ).toBe(1);
  });
});
