import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEDGER_SETUP, ensureHubSetup } from '../../lambdas/adapters/odoo/accounts.js';
import { OdooClient } from '../../lambdas/adapters/odoo/client.js';
import type { OdooDialect } from '../../lambdas/adapters/odoo/dialect.js';
import { OdooError } from '../../lambdas/adapters/odoo/errors.js';
import { OdooReceivablesLedger } from '../../lambdas/adapters/odoo/receivables-ledger.js';
import type { PostingStep } from '../../lambdas/core/posting-plan.js';
import { type OdooUnderTest, odooUnderTest } from './support/odoo-under-test.js';

/**
 * Issue 13, against whatever Odoo the ODOO_* variables name (real 17 over JSON-RPC, real 19 over JSON-2 with its
 * restricted audit trail on; the sandbox in `npm test`): a payment is undone by a reversing entry, as the
 * integration user, the same way on every version — the invoice open again, both entries kept, a redelivery
 * writing nothing — and a payment the former draft + cancel left in draft converges. The RPCs each takes are
 * printed. On JSON-2, the errors a real 19 answers are classified as the hub means them.
 */
let odoo: OdooUnderTest;
let hub: OdooClient;
let dialect: OdooDialect;
let calls = 0;
const run = Date.now().toString(36).toUpperCase();
/** A past business date: Odoo books a reversal dated today or earlier at once. */
const DATE = '2025-03-14';
const figures: string[] = [];

beforeAll(async () => {
  odoo = await odooUnderTest();
  dialect = await odoo.reader.dialect();
  if (odoo.kind === 'real' && dialect.auditTrailField) {
    const companies = await odoo.reader.call<number[]>('res.company', 'search', [[]]);
    await odoo.reader.call('res.company', 'write', [companies, { [dialect.auditTrailField]: true }]);
  }
  await ensureHubSetup(odoo.reader, DEFAULT_LEDGER_SETUP);
  hub = new OdooClient(odoo.hub, { timeoutMs: 60_000, onCall: () => calls++ });
}, 300_000);

afterAll(async () => {
  if (figures.length) console.info(`Odoo ${dialect?.version.serverVersion}: ${figures.join('; ')}`);
  await odoo?.close();
});

interface Booked {
  invoiceId: number;
  paymentId: number;
  paymentStep: PostingStep & { kind: 'payment' };
}

/** A posted 100.00 invoice for its own payer, paid 80.00 by the ledger (as the hub user). */
async function paidInvoice(tag: string): Promise<Booked> {
  const payerRef = `rcm:payer:REV-${run}-${tag}`;
  const [partnerId] = await hub.call<number[]>('res.partner', 'create', [
    [{ name: `Reversal payer ${tag}`, ref: payerRef }],
  ]);
  const invoiceRef = `INV-REV-${run}-${tag}`;
  const [invoiceId] = await hub.call<number[]>('account.move', 'create', [
    [
      {
        move_type: 'out_invoice',
        partner_id: partnerId,
        invoice_date: DATE,
        ref: invoiceRef,
        invoice_line_ids: [[0, 0, { name: 'Office visit', quantity: 1, price_unit: 100 }]],
      },
    ],
  ]);
  await hub.call('account.move', 'action_post', [[invoiceId]]);
  const paymentStep = {
    kind: 'payment' as const,
    ref: `rcm:era:REV-${run}-${tag}:payment`,
    invoiceId: invoiceRef,
    partner: { kind: 'payer' as const, id: `REV-${run}-${tag}` },
    amountCents: 80_00,
    date: DATE,
    memo: `ERA ${tag}`,
  };
  const [paid] = await new OdooReceivablesLedger(hub).execute([paymentStep]);
  return { invoiceId: invoiceId as number, paymentId: paid?.ids[0] as number, paymentStep };
}

function reverseStep(booked: Booked, tag: string): PostingStep {
  return {
    kind: 'reverse',
    ref: `rcm:era:REV-${run}-${tag}R:reversal`,
    reversesRefs: [booked.paymentStep.ref],
    date: DATE,
    reason: `ERA ${tag} reversal`,
  };
}

async function books(booked: Booked) {
  const [invoice] = await odoo.reader.call<Array<{ payment_state: string; amount_residual: number }>>(
    'account.move',
    'read',
    [[booked.invoiceId]],
    { fields: ['payment_state', 'amount_residual'] },
  );
  const [payment] = await odoo.reader.call<Array<{ state: string; move_id: [number, string] | false }>>(
    'account.payment',
    'read',
    [[booked.paymentId]],
    { fields: ['state', 'move_id'] },
  );
  const moveId = Array.isArray(payment?.move_id) ? payment.move_id[0] : undefined;
  const [entry] = moveId
    ? await odoo.reader.call<Array<{ state: string }>>('account.move', 'read', [[moveId]], {
        fields: ['state'],
      })
    : [];
  const reversals = moveId
    ? await odoo.reader.call<Array<{ state: string; ref: string; date: string; amount_total: number }>>(
        'account.move',
        'search_read',
        [[['reversed_entry_id', '=', moveId]]],
        { fields: ['state', 'ref', 'date', 'amount_total'] },
      )
    : [];
  return { invoice, payment, entry, reversals };
}

async function counted<T>(work: () => Promise<T>): Promise<{ result: T; rpcs: number }> {
  const before = calls;
  const result = await work();
  return { result, rpcs: calls - before };
}

describe(`payment reversal in Odoo (${process.env.RCM_CONFORMANCE_ODOO === '1' && process.env.ODOO_URL ? `${process.env.ODOO_URL} ${process.env.ODOO_PROTOCOL ?? 'jsonrpc'}` : 'sandbox'})`, () => {
  it('books a reversing entry: invoice open again, payment entry kept, payment reads undone; a redelivery writes nothing', async () => {
    // Prepare
    const booked = await paidInvoice('A');
    const step = reverseStep(booked, 'A');
    const ledger = new OdooReceivablesLedger(hub);
    expect((await books(booked)).invoice).toMatchObject({ payment_state: 'partial', amount_residual: 20 });

    // Act
    const first = await counted(() => ledger.execute([step]));
    const again = await counted(() => ledger.execute([step]));

    // Assess
    expect(first.result[0]).toMatchObject({ alreadyPresent: false, cancelledPaymentIds: [booked.paymentId] });
    expect(again.result[0]).toMatchObject({ alreadyPresent: true, cancelledPaymentIds: [booked.paymentId] });
    const after = await books(booked);
    expect(after.invoice).toMatchObject({ payment_state: 'not_paid', amount_residual: 100 });
    expect(after.entry).toMatchObject({ state: 'posted' });
    expect(after.reversals).toEqual([
      expect.objectContaining({
        state: 'posted',
        date: DATE,
        amount_total: 80,
        ref: expect.stringContaining(`[${step.ref}]`),
      }),
    ]);
    expect(after.payment?.state).toBe(
      dialect.paymentReversal.markPaymentState ?? dialect.livePaymentStates[0],
    );
    figures.push(`reversal of one payment: ${first.rpcs} RPCs, redelivery ${again.rpcs}`);
  });

  it('converges from a payment the former draft + cancel left in draft', async () => {
    // Prepare: what `action_draft` (committed) then a refused `action_cancel` left behind.
    const booked = await paidInvoice('B');
    await hub.call('account.payment', 'action_draft', [[booked.paymentId]]);
    const step = reverseStep(booked, 'B');

    // Act
    const [reversed] = await new OdooReceivablesLedger(hub).execute([step]);

    // Assess
    expect(reversed).toMatchObject({ alreadyPresent: false, cancelledPaymentIds: [booked.paymentId] });
    const after = await books(booked);
    expect(after.invoice).toMatchObject({ payment_state: 'not_paid', amount_residual: 100 });
    expect(after.entry).toMatchObject({ state: 'posted' });
    expect(after.reversals.filter((r) => r.state === 'posted')).toHaveLength(1);
  });

  it('shows why not draft + cancel: what the former reversal does to the books on this Odoo', async () => {
    // Prepare
    const booked = await paidInvoice('C');

    // Act: the former code's two calls, as the integration user.
    const former = await counted(async () => {
      await hub.call('account.payment', 'action_draft', [[booked.paymentId]]);
      return hub.call('account.payment', 'action_cancel', [[booked.paymentId]]).then(
        () => 'done',
        (error: unknown) => error,
      );
    });

    // Assess
    const after = await books(booked);
    if (dialect.draftUnreconcilesPayment) {
      // 17: the entry is cancelled in place (kept), the invoice open again.
      expect(former.result).toBe('done');
      expect(after.entry).toMatchObject({ state: 'cancel' });
      expect(after.invoice).toMatchObject({ payment_state: 'not_paid' });
    } else if (odoo.kind === 'real' && dialect.auditTrailField) {
      // 19, audit trail on: refused; the payment stays in draft, its invoice still reads paid against it.
      expect(former.result).toBeInstanceOf(OdooError);
      expect((former.result as OdooError).message).toMatch(/audit trail|cannot delete/i);
      expect(after.payment?.state).toBe('draft');
      expect(after.invoice?.payment_state).not.toBe('not_paid');
    }
    figures.push(`former draft + cancel: ${former.rpcs} RPCs`);
  });
});

describe.runIf(process.env.RCM_CONFORMANCE_ODOO === '1' && process.env.ODOO_PROTOCOL === 'json2')(
  'JSON-2 errors of a real Odoo 19',
  () => {
    it('a missing record is a permanent MissingError (404) with its traceback frames', async () => {
      // Prepare / Act
      const error = await hub.call('res.partner', 'write', [[2_000_000_000], { name: 'x' }]).catch((e) => e);

      // Assess
      expect(error).toMatchObject({
        kind: 'permanent',
        faultName: 'odoo.exceptions.MissingError',
        httpStatus: 404,
      });
      expect((error as OdooError).debug).toMatch(/^File "odoo\/.*line \d+/m);
    });

    it('a validation refusal is a permanent 422', async () => {
      // Prepare / Act
      const error = await hub
        .call('account.move', 'create', [[{ move_type: 'out_invoice', partner_id: 2_000_000_000 }]])
        .catch((e) => e);

      // Assess
      expect(error).toBeInstanceOf(OdooError);
      expect((error as OdooError).kind).toBe('permanent');
      expect([404, 422]).toContain((error as OdooError).httpStatus);
    });

    it('a wrong database name (a 404 HTML page) is a misconfiguration', async () => {
      // Prepare
      const wrong = new OdooClient({ ...odoo.hub, db: `no-such-db-${run}` });

      // Act
      const error = await wrong.call('res.partner', 'search', [[]], { limit: 1 }).catch((e) => e);

      // Assess
      expect(error).toMatchObject({ kind: 'misconfiguration', httpStatus: 404 });
    });

    it('a bad key is auth (401)', async () => {
      // Prepare
      const wrong = new OdooClient({ ...odoo.hub, apiKey: 'not-a-key' });

      // Act
      const error = await wrong.call('res.partner', 'search', [[]], { limit: 1 }).catch((e) => e);

      // Assess
      expect(error).toMatchObject({ kind: 'auth', httpStatus: 401 });
    });
  },
);
