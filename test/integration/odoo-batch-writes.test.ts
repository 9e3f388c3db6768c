import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooClient } from '../../lambdas/adapters/odoo/client.js';
import type { EventEnvelope } from '../../lambdas/core/envelope.js';
import type { InvoiceIssued } from '../../lambdas/core/invoice.js';
import { prepareBatch } from '../../lambdas/handlers/booking/batch.js';
import { type OdooSandbox, startOdooSandbox } from '../../local/odoo-sandbox/server.js';
import type { Hub } from '../../local/runtime.js';
import { accessToken, apiCaller, invoiceRequest, odoo, sandboxAdmin, startTestHub } from './support/hub.js';

// Issue 16: the Odoo writer books an SQS batch of invoices in a fixed number of RPCs, and a record Odoo refuses
// fails alone: the others are posted once, on the batch path or one by one.

const run = Date.now().toString(36);
let sandbox: OdooSandbox;

beforeAll(async () => {
  sandbox = await startOdooSandbox({ port: 0, fresh: true });
});
afterAll(async () => {
  await sandbox?.close();
});

async function stats(reset = false): Promise<{ total: number; calls: Record<string, number> }> {
  const response = await fetch(`${sandbox.url}/__sandbox/stats`, { method: reset ? 'DELETE' : 'GET' });
  return (await response.json()) as { total: number; calls: Record<string, number> };
}

function envelope(i: number, billTo: InvoiceIssued['billTo']): EventEnvelope {
  const invoice: InvoiceIssued = {
    invoiceId: `INV-${run}-${i}`,
    encounterId: `ENC-${run}-${i}`,
    facilityId: 'FAC-1',
    issueDate: '2026-11-02',
    currency: 'USD',
    billTo,
    lines: [
      {
        code: '99213',
        codeSystem: 'CPT',
        description: 'Visit',
        quantity: 1,
        unitPriceCents: 12_500,
        amountCents: 12_500,
      },
      {
        code: '36415',
        codeSystem: 'CPT',
        description: 'Draw',
        quantity: 2,
        unitPriceCents: 1_025 + i,
        amountCents: 2 * (1_025 + i),
      },
    ],
    totalCents: 12_500 + 2 * (1_025 + i),
  };
  return { id: `evt-${run}-${i}`, type: 'InvoiceIssued', data: invoice } as unknown as EventEnvelope;
}

describe('a batch of invoices in the Odoo writer', () => {
  it('posts ten invoices in a fixed handful of RPCs, partners from the crosswalk, and finds them again on a redelivery', async () => {
    const client = new OdooClient({
      url: sandbox.url,
      db: 'rcm',
      login: 'admin',
      apiKey: 'admin',
      protocol: 'jsonrpc',
    });
    const payer = { kind: 'payer' as const, id: `PAYER-${run}`, name: 'Batch Payer' };
    const [partnerId] = await client.call<number[]>('res.partner', 'create', [
      [{ name: payer.name, ref: `rcm:payer:${payer.id}` }],
    ]);
    const crosswalk = {
      getMasterRecord: async (kind: string, id: string) =>
        kind === 'payer' && id === payer.id
          ? { record: {}, odooPartnerId: partnerId, version: 1, updatedAt: '' }
          : undefined,
    } as never;
    const envelopes = Array.from({ length: 10 }, (_, i) => envelope(i, payer));
    await client.call('res.partner', 'read', [[partnerId]], { fields: ['name'] }); // logged in before counting
    await stats(true);

    const prepared = await prepareBatch(envelopes, { odoo: client, store: crosswalk });

    expect(prepared.invoices.size).toBe(10);
    const first = await stats();
    // search_read, header load, line load, read, action_post, read (+ one write when Odoo named a first draft)
    expect(first.calls['res.partner.search']).toBeUndefined();
    expect(first.calls['account.move.action_post']).toBe(1);
    expect(first.total).toBeLessThanOrEqual(7);
    const moves = await client.call<Array<{ ref: string; state: string; amount_total: number }>>(
      'account.move',
      'search_read',
      [[['ref', '=like', `INV-${run}-%`]]],
      { fields: ['ref', 'state', 'amount_total'] },
    );
    expect(moves).toHaveLength(10);
    expect(moves.every((m) => m.state === 'posted')).toBe(true);

    // A redelivery of the whole batch: found by one search, nothing written.
    await stats(true);
    const again = await prepareBatch(envelopes, { odoo: client, store: crosswalk });
    expect([...again.invoices.values()].every((p) => p.alreadyPresent)).toBe(true);
    expect((await stats()).calls).toEqual({ 'account.move.search_read': 1 });
  });
});

describe('a batch holding one invoice Odoo refuses', () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startTestHub({ odooWriteQueue: { retryDelaySeconds: 1, maxReceiveCount: 1000 } });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('posts every other invoice once and dead-letters only the refused one', async () => {
    const bad = `INV-BAD-${run}`;
    await sandboxAdmin(hub, 'constraints', {
      model: 'account.move',
      method: 'create',
      field: 'ref',
      equals: bad,
      name: 'odoo.exceptions.ValidationError',
      message: 'An invoice for this payer needs a prior authorization number.',
    });
    const call = apiCaller(hub, await accessToken(hub), `batch-${run}`);
    const ids = Array.from({ length: 9 }, (_, i) => (i === 4 ? bad : `INV-GOOD-${run}-${i}`));
    await Promise.all(
      ids.map((invoiceId, i) =>
        call('POST', '/v1/invoices', invoiceRequest({ invoiceId, encounterId: `ENC-BATCH-${run}-${i}` })),
      ),
    );
    await hub.waitForIdle();

    const moves = await odoo<Array<{ ref: string; state: string }>>(
      hub,
      'account.move',
      'search_read',
      [[['ref', 'in', ids]]],
      { fields: ['ref', 'state'] },
    );
    expect(moves.map((m) => m.ref).sort()).toEqual(ids.filter((id) => id !== bad).sort());
    expect(moves.every((m) => m.state === 'posted')).toBe(true);
    const rejected = await call('GET', `/v1/workflows/ENC-BATCH-${run}-4`);
    expect(rejected.body.state).toBe('exception_pending');
    await sandboxAdmin(hub, 'constraints', undefined, 'DELETE');
  });
});
