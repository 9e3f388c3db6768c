import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooClient } from '../../lambdas/adapters/odoo/client.js';
import { loadByExternalId } from '../../lambdas/adapters/odoo/external-records.js';
import { OdooInvoiceLedger } from '../../lambdas/adapters/odoo/invoice-ledger.js';
import { OdooPartnerDirectory } from '../../lambdas/adapters/odoo/partner-directory.js';
import type { InvoiceIssued } from '../../lambdas/core/invoice.js';
import { invoiceExternalId, partnerExternalId } from '../../lambdas/core/odoo-external-ids.js';
import {
  INVOICE_LINE_COLUMNS,
  invoiceLineRows,
  partnerRef,
  partnerValues,
} from '../../lambdas/core/odoo-posting.js';
import { type OdooSandbox, startOdooSandbox } from '../../local/odoo-sandbox/server.js';
import { type FaultProxy, startFaultProxy } from '../chaos/support/fault-proxy.js';

// Issue 12: partner and invoice creation keyed by external id, so racing writers and a retry after a create
// that committed late never make a second record. Runs on the sandbox; on a real Odoo with
// CHAOS_ODOO_URL / CHAOS_ODOO_DB / CHAOS_ODOO_USER / CHAOS_ODOO_API_KEY (see .ci/run).

let sandbox: OdooSandbox | undefined;
let proxy: FaultProxy;
let target: { url: string; db: string; login: string; apiKey: string };
const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  if (process.env.CHAOS_ODOO_URL) {
    target = {
      url: process.env.CHAOS_ODOO_URL,
      db: process.env.CHAOS_ODOO_DB ?? 'rcm17chaos',
      login: process.env.CHAOS_ODOO_USER ?? 'admin',
      apiKey: process.env.CHAOS_ODOO_API_KEY ?? 'admin',
    };
  } else {
    sandbox = await startOdooSandbox({ port: 0 });
    target = { url: sandbox.url, db: 'rcm', login: 'admin', apiKey: 'admin' };
  }
  proxy = await startFaultProxy(target.url);
});

afterAll(async () => {
  await proxy?.close();
  await sandbox?.close();
});

/** A writer instance of its own (own uid cache, own connection), as separate Lambdas are. */
function writer(options: { viaProxy?: boolean; timeoutMs?: number } = {}): OdooClient {
  return new OdooClient(
    { ...target, url: options.viaProxy ? proxy.url : target.url, protocol: 'jsonrpc' },
    { timeoutMs: options.timeoutMs ?? 30_000 },
  );
}

function invoiceFor(key: string, billTo: InvoiceIssued['billTo'], cents: number[]): InvoiceIssued {
  return {
    invoiceId: `INV-${run}-${key}`,
    encounterId: `ENC-${run}-${key}`,
    facilityId: 'FAC-1',
    issueDate: '2026-01-15',
    currency: 'USD',
    billTo,
    lines: cents.map((c, i) => ({
      code: `9921${i}`,
      codeSystem: 'CPT',
      description: `Visit ${i}`,
      quantity: 1,
      unitPriceCents: c,
      amountCents: c,
    })),
    totalCents: cents.reduce((a, b) => a + b, 0),
  };
}

async function partnersWithRef(ref: string): Promise<number[]> {
  return writer().call<number[]>('res.partner', 'search', [[['ref', '=', ref]]]);
}

async function movesWithRef(ref: string): Promise<{ id: number; state: string; amount_total: number }[]> {
  return writer().call(
    'account.move',
    'search_read',
    [
      [
        ['ref', '=', ref],
        ['move_type', '=', 'out_invoice'],
      ],
    ],
    {
      fields: ['state', 'amount_total'],
    },
  );
}

const clearFaults = () => {
  proxy.plan.rates = {};
  delete proxy.plan.match;
};

describe('Odoo records keyed by external id', () => {
  it('six writers racing on one new payer make one partner, and all get its id', async () => {
    const billTo = { kind: 'payer' as const, id: `PAYER-${run}-race`, name: 'Racing Payer' };
    const ids = await Promise.all(
      Array.from({ length: 6 }, () => new OdooInvoiceLedger(writer()).ensurePartner(billTo)),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await partnersWithRef(partnerRef(billTo))).toEqual([ids[0]]);
  });

  it('master-data upserts racing with invoice writers on one payer converge on one partner', async () => {
    const billTo = { kind: 'payer' as const, id: `PAYER-${run}-mixed`, name: 'Mixed Payer' };
    const ids = await Promise.all([
      ...Array.from({ length: 3 }, () => new OdooInvoiceLedger(writer()).ensurePartner(billTo)),
      ...Array.from({ length: 3 }, () =>
        new OdooPartnerDirectory(writer()).upsert(
          partnerRef(billTo),
          partnerValues(billTo),
          partnerExternalId(billTo),
        ),
      ),
    ]);
    expect(new Set(ids).size).toBe(1);
    expect(await partnersWithRef(partnerRef(billTo))).toHaveLength(1);
  });

  it('four writers of one invoice make one posted move with its lines once', async () => {
    const billTo = { kind: 'payer' as const, id: `PAYER-${run}-inv`, name: 'Invoice Payer' };
    const partnerId = await new OdooInvoiceLedger(writer()).ensurePartner(billTo);
    const invoice = invoiceFor('race', billTo, [12_550, 4_000]);
    const posted = await Promise.all(
      Array.from({ length: 4 }, async () => {
        // A lost race is transient (SQS redelivers); here the writer simply tries again.
        for (let attempt = 0; ; attempt += 1) {
          try {
            return await new OdooInvoiceLedger(writer()).ensurePostedInvoice(invoice, partnerId);
          } catch (error) {
            if (attempt >= 4 || (error as { kind?: string }).kind === 'permanent') throw error;
          }
        }
      }),
    );
    expect(new Set(posted.map((p) => p.moveId)).size).toBe(1);
    const moves = await movesWithRef(invoice.invoiceId);
    expect(moves).toHaveLength(1);
    expect(moves[0]).toMatchObject({ state: 'posted', amount_total: 165.5 });
  });

  for (const step of ['load', 'write', 'action_post'] as const) {
    it(`an invoice ${step} that commits after the client timed out is not made twice by the retry`, async () => {
      const billTo = { kind: 'payer' as const, id: `PAYER-${run}-late-${step}`, name: 'Late Payer' };
      const partnerId = await new OdooInvoiceLedger(writer()).ensurePartner(billTo);
      const invoice = invoiceFor(`late-${step}`, billTo, [10_025, 2_000, 75]);
      proxy.plan.rates = { late: 1 };
      proxy.plan.lateMs = 1_500;
      proxy.plan.match = new RegExp(`"${step}"`);
      const impatient = new OdooInvoiceLedger(writer({ viaProxy: true, timeoutMs: 400 }));
      // It gives up, or (a late post) sees by re-reading that the invoice is posted: either way no second move.
      await impatient.ensurePostedInvoice(invoice, partnerId).catch(() => undefined);
      expect(proxy.counts.late).toBeGreaterThan(0);
      clearFaults();
      // The retry (a redelivery) runs at once, while the slow call may still be committing.
      const retried = await new OdooInvoiceLedger(writer({ viaProxy: true })).ensurePostedInvoice(
        invoice,
        partnerId,
      );
      const moves = await movesWithRef(invoice.invoiceId);
      expect(moves.map((m) => m.id)).toEqual([retried.moveId]);
      expect(moves[0]).toMatchObject({ state: 'posted', amount_total: 121 });
    });
  }

  it('a partner create that commits after the client timed out is found by the retry', async () => {
    const billTo = { kind: 'patient' as const, id: `PAT-${run}-late`, name: 'Late Patient' };
    proxy.plan.rates = { late: 1 };
    proxy.plan.lateMs = 1_500;
    proxy.plan.match = /"load"/;
    await expect(
      new OdooInvoiceLedger(writer({ viaProxy: true, timeoutMs: 400 })).ensurePartner(billTo),
    ).rejects.toThrow();
    clearFaults();
    const id = await new OdooInvoiceLedger(writer({ viaProxy: true })).ensurePartner(billTo);
    await new Promise((r) => setTimeout(r, 1_600));
    expect(await partnersWithRef(partnerRef(billTo))).toEqual([id]);
  });

  it('a header load reaching Odoo after the invoice was posted leaves the invoice as it was', async () => {
    const billTo = { kind: 'payer' as const, id: `PAYER-${run}-stale`, name: 'Stale Payer' };
    const ledger = new OdooInvoiceLedger(writer());
    const partnerId = await ledger.ensurePartner(billTo);
    const invoice = invoiceFor('stale', billTo, [9_900]);
    const posted = await ledger.ensurePostedInvoice(invoice, partnerId);
    const again = await loadByExternalId(
      writer(),
      'account.move',
      invoiceExternalId(invoice.invoiceId, partnerId),
      {
        move_type: 'out_invoice',
        'partner_id/.id': partnerId,
        ref: invoice.invoiceId,
      },
    );
    expect(again).toBe(posted.moveId);
    expect(await movesWithRef(invoice.invoiceId)).toEqual([
      { id: posted.moveId, state: 'posted', amount_total: 99 },
    ]);
  });

  it('invoice lines loaded by external id: a line load that commits late is not doubled, one arriving after posting changes nothing', async () => {
    const billTo = { kind: 'payer' as const, id: `PAYER-${run}-lines`, name: 'Lines Payer' };
    const partnerId = await new OdooInvoiceLedger(writer()).ensurePartner(billTo);
    const invoice = invoiceFor('late-lines', billTo, [10_025, 2_000]);
    proxy.plan.rates = { late: 1 };
    proxy.plan.lateMs = 1_500;
    proxy.plan.match = /account\.move\.line.*"load"|"load".*account\.move\.line/;
    await new OdooInvoiceLedger(writer({ viaProxy: true, timeoutMs: 400 }))
      .ensurePostedInvoice(invoice, partnerId)
      .catch(() => undefined);
    expect(proxy.counts.late).toBeGreaterThan(0);
    clearFaults();
    const retried = await new OdooInvoiceLedger(writer({ viaProxy: true })).ensurePostedInvoice(
      invoice,
      partnerId,
    );
    await new Promise((r) => setTimeout(r, 1_600));
    // The same line load again, as a stale copy reaching Odoo after the invoice was posted.
    const moveId = retried.moveId;
    await writer().call('account.move.line', 'load', [], {
      fields: INVOICE_LINE_COLUMNS,
      data: invoiceLineRows(invoice, partnerId, moveId),
    });
    expect(await movesWithRef(invoice.invoiceId)).toEqual([
      { id: moveId, state: 'posted', amount_total: 120.25 },
    ]);
    const lines = await writer().call<unknown[]>('account.move.line', 'search', [
      [
        ['move_id', '=', moveId],
        ['display_type', '=', 'product'],
      ],
    ]);
    expect(lines).toHaveLength(2);
  });

  it('a batch of invoices posts each once, also when its calls commit late and the batch is retried', async () => {
    const billTos = [0, 1, 2].map((i) => ({
      kind: 'payer' as const,
      id: `PAYER-${run}-batch-${i}`,
      name: `Batch ${i}`,
    }));
    const partners = await new OdooInvoiceLedger(writer()).ensurePartners(billTos);
    const items = billTos.flatMap((billTo, i) => [
      {
        invoice: invoiceFor(`batch-${i}-a`, billTo, [5_000 + i]),
        partnerId: partners.get(partnerExternalId(billTo)) as number,
      },
      {
        invoice: invoiceFor(`batch-${i}-b`, billTo, [7_000, 25 + i]),
        partnerId: partners.get(partnerExternalId(billTo)) as number,
      },
    ]);
    for (const step of ['load', 'action_post']) {
      proxy.plan.rates = { late: 1 };
      proxy.plan.lateMs = 1_500;
      proxy.plan.match = new RegExp(`"${step}"`);
      await new OdooInvoiceLedger(writer({ viaProxy: true, timeoutMs: 400 }))
        .postInvoices(items)
        .catch(() => undefined);
      clearFaults();
    }
    const posted = await new OdooInvoiceLedger(writer({ viaProxy: true })).postInvoices(items);
    // What the batch left out (a draft still being committed) is posted one by one, as the writer does.
    for (const { invoice, partnerId } of items) {
      if (!posted.has(invoiceExternalId(invoice.invoiceId, partnerId)))
        await new OdooInvoiceLedger(writer()).ensurePostedInvoice(invoice, partnerId);
    }
    await new Promise((r) => setTimeout(r, 1_600));
    for (const { invoice } of items) {
      const moves = await movesWithRef(invoice.invoiceId);
      expect(moves, invoice.invoiceId).toHaveLength(1);
      expect(moves[0]).toMatchObject({ state: 'posted', amount_total: invoice.totalCents / 100 });
    }
  });

  it('partners that share our ref (made before external ids) are resolved the same way every time', async () => {
    const billTo = { kind: 'payer' as const, id: `PAYER-${run}-legacy`, name: 'Legacy Payer' };
    const odoo = writer();
    const [older] = await odoo.call<number[]>('res.partner', 'create', [[partnerValues(billTo)]]);
    const [newer] = await odoo.call<number[]>('res.partner', 'create', [[partnerValues(billTo)]]);
    const ledger = new OdooInvoiceLedger(odoo);
    expect(await ledger.ensurePartner(billTo)).toBe(older);
    expect(await ledger.ensurePartner(billTo)).toBe(older);
    // Once a partner carries our external id, it is the one kept, whatever its age.
    const keyed = await loadByExternalId(
      odoo,
      'res.partner',
      partnerExternalId(billTo),
      partnerValues(billTo),
    );
    expect(keyed).toBeGreaterThan(newer as number);
    expect(await ledger.ensurePartner(billTo)).toBe(keyed);
  });
});
