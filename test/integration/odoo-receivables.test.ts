import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooClient } from '../../lambdas/adapters/odoo/client.js';
import { OdooError } from '../../lambdas/adapters/odoo/errors.js';
import { OdooInvoiceLedger } from '../../lambdas/adapters/odoo/invoice-ledger.js';
import {
  type ExecutedStep,
  OdooReceivablesLedger,
  paymentMemo,
} from '../../lambdas/adapters/odoo/receivables-ledger.js';
import type { InvoiceIssued } from '../../lambdas/core/invoice.js';
import type { PostingStep } from '../../lambdas/core/posting-plan.js';
import { type OdooSandbox, startOdooSandbox } from '../../local/odoo-sandbox/server.js';

// Posting plans executed against the Odoo sandbox over real HTTP, with the client the hub uses for Odoo 17.

let sandbox: OdooSandbox;
let odoo: OdooClient;
let invoices: OdooInvoiceLedger;
let ledger: OdooReceivablesLedger;
const today = new Date().toISOString().slice(0, 10);
/** RPCs per step, first run and redelivery, for the record (printed once at the end). */
const rpcCounts: Record<string, { first: number[]; again: number[] }> = {};

interface MoveView {
  id: number;
  state: string;
  move_type: string;
  amount_total: number;
  amount_residual: number;
  payment_state: string;
  ref: string | false;
  reversed_entry_id: [number, string] | false;
}

interface LineView {
  id: number;
  move_id: [number, string];
  account_id: [number, string];
  debit: number;
  credit: number;
  amount_residual: number;
  name: string | false;
}

beforeAll(async () => {
  sandbox = await startOdooSandbox({ port: 0 });
  odoo = new OdooClient({
    url: sandbox.url,
    db: 'rcm',
    login: 'admin',
    apiKey: 'admin',
    protocol: 'jsonrpc',
  });
  invoices = new OdooInvoiceLedger(odoo);
  ledger = new OdooReceivablesLedger(odoo);
});

afterAll(async () => {
  await sandbox?.close();
  const table = Object.entries(rpcCounts).map(
    ([kind, { first, again }]) => `${kind}: first ${first.join('/')}, redelivery ${again.join('/')}`,
  );
  if (table.length) console.info(`Odoo RPCs per step\n  ${table.join('\n  ')}`);
});

async function stats(method: 'GET' | 'DELETE'): Promise<{ total: number; calls: Record<string, number> }> {
  const response = await fetch(`${sandbox.url}/__sandbox/stats`, { method });
  return (await response.json()) as { total: number; calls: Record<string, number> };
}

async function read(id: number): Promise<MoveView> {
  const [move] = await odoo.call<MoveView[]>('account.move', 'read', [[id]], {
    fields: [
      'state',
      'move_type',
      'amount_total',
      'amount_residual',
      'payment_state',
      'ref',
      'reversed_entry_id',
    ],
  });
  if (!move) throw new Error(`move ${id} not found`);
  return move;
}

async function counts() {
  const [moves, payments, partials, lines] = await Promise.all(
    ['account.move', 'account.payment', 'account.partial.reconcile', 'account.move.line'].map((model) =>
      odoo.call<number>(model, 'search_count', [[]]),
    ),
  );
  return { moves, payments, partials, lines };
}

/** A posted payer invoice, written by the existing invoice writer, as the hub does on InvoiceIssued. */
async function payerInvoice(key: string, totalCents: number) {
  const billTo = { kind: 'payer' as const, id: `PAYER-${key}`, name: `Payer ${key}` };
  const partnerId = await invoices.ensurePartner(billTo);
  const invoice: InvoiceIssued = {
    invoiceId: `INV-${key}`,
    encounterId: `ENC-${key}`,
    facilityId: 'FAC-1',
    issueDate: today,
    currency: 'USD',
    billTo,
    lines: [
      {
        code: '99213',
        codeSystem: 'CPT',
        description: 'Office visit',
        quantity: 1,
        unitPriceCents: totalCents,
        amountCents: totalCents,
      },
    ],
    totalCents,
  };
  const posted = await invoices.ensurePostedInvoice(invoice, partnerId);
  return { invoiceId: invoice.invoiceId, payerId: billTo.id, partnerId, moveId: posted.moveId };
}

async function patient(key: string) {
  const id = `PAT-${key}`;
  const partnerId = await invoices.ensurePartner({ kind: 'patient', id, name: `Patient ${key}` });
  return { id, partnerId };
}

/**
 * Executes the steps one by one, measuring RPCs, then executes them all again: the redelivery must find
 * every record (same ids, alreadyPresent) and write nothing.
 */
async function executeTwice(
  steps: PostingStep[],
  afterFirst?: (step: PostingStep, executed: ExecutedStep) => Promise<void>,
): Promise<ExecutedStep[]> {
  const first: ExecutedStep[] = [];
  for (const step of steps) {
    await stats('DELETE');
    const [executed] = await ledger.execute([step]);
    record(step.kind, 'first', (await stats('GET')).total);
    if (!executed) throw new Error(`step ${step.ref} gave no result`);
    first.push(executed);
    await afterFirst?.(step, executed);
  }
  expect(first.every((s) => !s.alreadyPresent)).toBe(true);
  const before = await counts();
  const again: ExecutedStep[] = [];
  for (const step of steps) {
    await stats('DELETE');
    again.push(...(await ledger.execute([step])));
    const { total, calls } = await stats('GET');
    record(step.kind, 'again', total);
    // a redelivery only looks
    expect(Object.keys(calls).every((call) => /\.(search|search_read|read|search_count)$/.test(call))).toBe(
      true,
    );
  }
  expect(again).toEqual(first.map((s) => ({ ...s, alreadyPresent: true })));
  expect(await counts()).toEqual(before);
  return first;
}

function record(kind: string, run: 'first' | 'again', total: number) {
  rpcCounts[kind] ??= { first: [], again: [] };
  const list = rpcCounts[kind][run];
  if (!list.includes(total)) list.push(total);
}

function ids(executed: ExecutedStep[], kind: PostingStep['kind']): number {
  const step = executed.find((s) => s.kind === kind);
  const [id] = step?.ids ?? [];
  if (id === undefined) throw new Error(`no ${kind} executed`);
  return id;
}

function payment(
  invoice: { invoiceId: string; payerId: string },
  ref: string,
  amountCents: number,
  writeOff?: { amountCents: number; label: string },
): PostingStep {
  return {
    kind: 'payment',
    ref,
    invoiceId: invoice.invoiceId,
    partner: { kind: 'payer', id: invoice.payerId },
    amountCents,
    date: today,
    memo: `ERA TRN-${ref} claim CLM-1`,
    ...(writeOff ? { writeOff: { ...writeOff, account: 'contractualAdjustments' as const } } : {}),
  };
}

/** The steps of a remittance that moves deductible + coinsurance to the patient and writes off CO-45. */
function prTransferSteps(
  key: string,
  invoice: { invoiceId: string; payerId: string },
  patientId: string,
  amounts: { deductible: number; coinsurance: number; paid: number; co45: number },
): PostingStep[] {
  const base = `rcm:era:${key}`;
  const pr = amounts.deductible + amounts.coinsurance;
  return [
    {
      kind: 'creditNote',
      ref: `${base}:pr-credit`,
      invoiceId: invoice.invoiceId,
      amountCents: pr,
      account: 'patientResponsibilityTransfer',
      label: 'Patient responsibility moved to the patient: deductible, coinsurance',
    },
    {
      kind: 'patientInvoice',
      ref: `${base}:pr-invoice`,
      invoiceId: `${invoice.invoiceId}-PR-${key}`,
      patientId,
      issueDate: today,
      lines: [
        { label: 'Deductible for claim CLM-1', amountCents: amounts.deductible },
        { label: 'Coinsurance for claim CLM-1', amountCents: amounts.coinsurance },
      ],
    },
    payment(invoice, `${base}:payment`, amounts.paid, {
      amountCents: amounts.co45,
      label: 'CO-45 contractual adjustment',
    }),
  ];
}

describe('OdooReceivablesLedger against the Odoo sandbox', () => {
  it('1. paid in full: the payer invoice is paid', async () => {
    const invoice = await payerInvoice('S1', 125_00);
    const executed = await executeTwice([payment(invoice, 'rcm:era:S1:payment', 125_00)]);
    expect(executed[0]).toMatchObject({ kind: 'payment', model: 'account.payment', alreadyPresent: false });
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
    const [pay] = await odoo.call<Array<{ ref: string; state: string }>>(
      'account.payment',
      'read',
      [executed[0]?.ids],
      { fields: ['ref', 'state'] },
    );
    expect(pay).toEqual({
      id: executed[0]?.ids[0],
      ref: paymentMemo('ERA TRN-rcm:era:S1:payment claim CLM-1', 'rcm:era:S1:payment'),
      state: 'posted',
    });
    expect(await ledger.invoiceState(invoice.invoiceId)).toEqual({
      moveId: invoice.moveId,
      partnerId: invoice.partnerId,
      totalCents: 125_00,
      residualCents: 0,
      paymentState: 'paid',
      state: 'posted',
    });
  });

  it('2. partial payment with a CO-45 write-off: paid, the write-off on 651000', async () => {
    const invoice = await payerInvoice('S2', 200_00);
    const executed = await executeTwice([
      payment(invoice, 'rcm:era:S2:payment', 150_00, { amountCents: 50_00, label: 'CO-45 contractual' }),
    ]);
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
    const [pay] = await odoo.call<Array<{ move_id: [number, string] }>>(
      'account.payment',
      'read',
      [[ids(executed, 'payment')]],
      { fields: ['move_id'] },
    );
    const writeOff = await odoo.call<LineView[]>(
      'account.move.line',
      'search_read',
      [
        [
          ['move_id', '=', pay?.move_id[0]],
          ['account_id.code', '=', '651000'],
        ],
      ],
      { fields: ['debit', 'credit', 'name'] },
    );
    expect(writeOff).toEqual([expect.objectContaining({ debit: 50, credit: 0, name: 'CO-45 contractual' })]);
  });

  it('3. patient responsibility transfer: credit note, patient invoice, payment with write-off', async () => {
    const invoice = await payerInvoice('S3', 300_00);
    const pat = await patient('S3');
    const steps = prTransferSteps('S3', invoice, pat.id, {
      deductible: 25_00,
      coinsurance: 15_00,
      paid: 210_00,
      co45: 50_00,
    });
    const executed = await executeTwice(steps, async (step, done) => {
      if (step.kind !== 'creditNote') return;
      // the credit note alone takes the PR off the payer invoice
      expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'partial', amount_residual: 260 });
      expect(await read(done.ids[0] as number)).toMatchObject({
        move_type: 'out_refund',
        state: 'posted',
        amount_total: 40,
        amount_residual: 0,
        ref: 'rcm:era:S3:pr-credit',
        reversed_entry_id: [invoice.moveId, expect.any(String)],
      });
    });
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
    const patientInvoice = await ledger.invoiceState(`${invoice.invoiceId}-PR-S3`);
    expect(patientInvoice).toEqual({
      moveId: ids(executed, 'patientInvoice'),
      partnerId: pat.partnerId,
      totalCents: 40_00,
      residualCents: 40_00,
      paymentState: 'not_paid',
      state: 'posted',
    });
    // Issue 14: PR moves through the 121500 clearing account, not revenue: the credit note debits it, the
    // patient invoice credits it, and nothing is left on it.
    const clearingLines = await odoo.call<Array<LineView & { move_id: [number, string] }>>(
      'account.move.line',
      'search_read',
      [
        [
          ['move_id', 'in', [ids(executed, 'creditNote'), ids(executed, 'patientInvoice')]],
          ['account_id.code', 'in', ['121500', '400000']],
        ],
      ],
      { fields: ['debit', 'credit', 'move_id', 'account_id'] },
    );
    expect(
      clearingLines.map((l) => [
        l.move_id[0],
        (l as unknown as { account_id: [number, string] }).account_id[1],
        l.debit,
        l.credit,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [ids(executed, 'creditNote'), expect.stringContaining('121500'), 40, 0],
        [ids(executed, 'patientInvoice'), expect.stringContaining('121500'), 0, 25],
        [ids(executed, 'patientInvoice'), expect.stringContaining('121500'), 0, 15],
      ]),
    );
    expect(clearingLines).toHaveLength(3);
  });

  it('3b. zero pay: PR credit note and a 0.00 payment carrying the CO write-off leave the invoice paid, not reversed', async () => {
    const invoice = await payerInvoice('S3B', 200_00);
    const pat = await patient('S3B');
    const steps = prTransferSteps('S3B', invoice, pat.id, {
      deductible: 100_00,
      coinsurance: 50_00,
      paid: 0,
      co45: 50_00,
    });
    const executed = await executeTwice(steps);
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
    const [pay] = await odoo.call<Array<{ amount: number; state: string }>>(
      'account.payment',
      'read',
      [[ids(executed, 'payment')]],
      { fields: ['amount', 'state'] },
    );
    expect(pay).toMatchObject({ amount: 0, state: 'posted' });
  });

  it('4. partial payment without write-off: partial, the rest still owed', async () => {
    const invoice = await payerInvoice('S4', 100_00);
    await executeTwice([payment(invoice, 'rcm:era:S4:payment', 60_00)]);
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'partial', amount_residual: 40 });
  });

  it('5. overpayment: paid, the surplus stays as outstanding credit on the payer', async () => {
    const invoice = await payerInvoice('S5', 100_00);
    await executeTwice([payment(invoice, 'rcm:era:S5:payment', 120_00)]);
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
    const open = await odoo.call<LineView[]>(
      'account.move.line',
      'search_read',
      [
        [
          ['partner_id', '=', invoice.partnerId],
          ['account_type', '=', 'asset_receivable'],
          ['reconciled', '=', false],
          ['parent_state', '=', 'posted'],
        ],
      ],
      { fields: ['amount_residual', 'credit'] },
    );
    expect(open).toEqual([expect.objectContaining({ amount_residual: -20, credit: 120 })]);
  });

  it('6. reversal of a PR transfer: payer invoice open again, patient invoice reversed', async () => {
    const invoice = await payerInvoice('S6', 300_00);
    const pat = await patient('S6');
    const steps = prTransferSteps('S6', invoice, pat.id, {
      deductible: 25_00,
      coinsurance: 15_00,
      paid: 210_00,
      co45: 50_00,
    });
    const original = await ledger.execute(steps);
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });

    const reverse: PostingStep = {
      kind: 'reverse',
      ref: 'rcm:era:S6R:reversal',
      reversesRefs: steps.map((s) => s.ref),
      date: today,
      reason: 'ERA TRN-S6R reversal (claim status 22)',
    };
    const [reversed] = await executeTwice([reverse]);
    expect(reversed).toMatchObject({
      kind: 'reverse',
      model: 'account.move',
      cancelledPaymentIds: [ids(original, 'payment')],
    });
    expect(reversed?.ids).toHaveLength(2);

    expect(await read(invoice.moveId)).toMatchObject({
      state: 'posted',
      payment_state: 'not_paid',
      amount_residual: 300,
    });
    expect(await read(ids(original, 'patientInvoice'))).toMatchObject({
      payment_state: 'reversed',
      amount_residual: 0,
    });
    // The payment stays in the books (17: its state is its entry's, posted), reversed by a posted entry.
    const [payment] = await odoo.call<Array<{ state: string; move_id: [number, string] }>>(
      'account.payment',
      'read',
      [[ids(original, 'payment')]],
      { fields: ['state', 'move_id'] },
    );
    expect(payment?.state).toBe('posted');
    const paymentReversals = await odoo.call<Array<{ state: string; ref: string }>>(
      'account.move',
      'search_read',
      [[['reversed_entry_id', '=', payment?.move_id[0]]]],
      { fields: ['state', 'ref'] },
    );
    expect(paymentReversals).toEqual([
      expect.objectContaining({ state: 'posted', ref: expect.stringContaining('[rcm:era:S6R:reversal]') }),
    ]);
    const reversals = await Promise.all((reversed?.ids ?? []).map(read));
    expect(reversals.map((m) => [m.move_type, m.state, m.ref])).toEqual([
      ['out_invoice', 'posted', 'rcm:era:S6R:reversal:rcm:era:S6:pr-credit'],
      ['out_refund', 'posted', 'rcm:era:S6R:reversal:rcm:era:S6:pr-invoice'],
    ]);
    expect(reversals.map((m) => m.amount_residual)).toEqual([0, 0]);

    // The original plan redelivered after its reversal books nothing again.
    const before = await counts();
    const redelivered = await ledger.execute(steps);
    expect(redelivered).toEqual(original.map((s) => ({ ...s, alreadyPresent: true })));
    expect(await counts()).toEqual(before);
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'not_paid', amount_residual: 300 });
  });

  it('7. patient payment against the patient invoice: paid', async () => {
    const invoice = await payerInvoice('S7', 200_00);
    const pat = await patient('S7');
    const steps = prTransferSteps('S7', invoice, pat.id, {
      deductible: 20_00,
      coinsurance: 10_00,
      paid: 170_00,
      co45: 0,
    });
    // no CO: the payer pays exactly what is left after the PR credit note, without write-off
    const payerPayment = steps[2] as Extract<PostingStep, { kind: 'payment' }>;
    delete payerPayment.writeOff;
    await ledger.execute(steps);
    const patientInvoiceId = `${invoice.invoiceId}-PR-S7`;
    const patientPayment: PostingStep = {
      kind: 'payment',
      ref: 'rcm:payment:PP-S7',
      invoiceId: patientInvoiceId,
      partner: { kind: 'patient', id: pat.id },
      amountCents: 30_00,
      date: today,
      memo: 'Patient card payment',
    };
    await executeTwice([patientPayment]);
    expect(await ledger.invoiceState(patientInvoiceId)).toMatchObject({
      residualCents: 0,
      paymentState: 'paid',
    });
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
  });

  it('refuses what it cannot book exactly, as permanent OdooErrors', async () => {
    const invoice = await payerInvoice('E1', 100_00);
    const permanent = (faultName: string) => expect.objectContaining({ kind: 'permanent', faultName });

    // no patient partner: master data comes first
    await expect(
      ledger.execute([
        {
          kind: 'patientInvoice',
          ref: 'rcm:era:E1:pr-invoice',
          invoiceId: 'INV-E1-PR',
          patientId: 'PAT-NOBODY',
          issueDate: today,
          lines: [{ label: 'Deductible', amountCents: 10_00 }],
        },
      ]),
    ).rejects.toEqual(permanent('rcm.UnknownPartner'));

    // a write-off that is not what the payment leaves open
    await expect(
      ledger.execute([payment(invoice, 'rcm:era:E1:payment', 50_00, { amountCents: 10_00, label: 'CO-45' })]),
    ).rejects.toEqual(permanent('rcm.WriteOffMismatch'));

    // a credit note against an invoice Odoo does not have
    await expect(
      ledger.execute([
        {
          kind: 'creditNote',
          ref: 'rcm:era:E1:co-credit',
          invoiceId: 'INV-NOWHERE',
          amountCents: 5_00,
          account: 'contractualAdjustments',
          label: 'CO-45',
        },
      ]),
    ).rejects.toEqual(permanent('rcm.UnknownInvoice'));

    // two payments carrying one ref (someone copied the memo by hand): ambiguous, never guessed
    const ref = 'rcm:era:E1_x:payment';
    await ledger.execute([payment(invoice, ref, 10_00)]);
    const bank = await odoo.call<number[]>('account.journal', 'search', [[['code', '=', 'BNK1']]]);
    await odoo.call('account.payment', 'create', [
      [{ partner_id: invoice.partnerId, amount: 1, journal_id: bank[0], ref: `copy [${ref}]` }],
    ]);
    await expect(ledger.execute([payment(invoice, ref, 10_00)])).rejects.toEqual(
      permanent('rcm.AmbiguousReference'),
    );
    // `_` is a wildcard for ilike: a look-alike ref is not taken for ours
    await expect(ledger.execute([payment(invoice, 'rcm:era:E1%x:payment', 10_00)])).resolves.toEqual([
      expect.objectContaining({ alreadyPresent: false }),
    ]);
    // an Odoo refusal comes through classified, not swallowed: nothing left to pay on a paid invoice
    const paid = await payerInvoice('E2', 10_00);
    await ledger.execute([payment(paid, 'rcm:era:E2:payment', 10_00)]);
    const refused = ledger.execute([payment(paid, 'rcm:era:E2b:payment', 10_00)]);
    await expect(refused).rejects.toBeInstanceOf(OdooError);
    await expect(refused).rejects.toEqual(permanent('odoo.exceptions.UserError'));
  });

  it('converges after a crash or a lost answer in the middle of a step', async () => {
    const invoice = await payerInvoice('C1', 100_00);
    const pat = await patient('C1');
    const steps = prTransferSteps('C1', invoice, pat.id, {
      deductible: 10_00,
      coinsurance: 10_00,
      paid: 70_00,
      co45: 10_00,
    });
    const flaky = new FlakyOdoo(odoo.connection);
    const crashing = new OdooReceivablesLedger(flaky);
    // the credit note is created, then the Lambda dies before posting it
    flaky.failOnce('account.move', 'action_post', 'before');
    await expect(crashing.execute(steps)).rejects.toMatchObject({ kind: 'transient' });
    // the payment is booked but its answer is lost
    flaky.failOnce('account.payment.register', 'action_create_payments', 'after');
    await expect(crashing.execute(steps)).rejects.toMatchObject({ kind: 'transient' });
    const before = await counts();
    const executed = await crashing.execute(steps);
    expect(executed.map((s) => s.alreadyPresent)).toEqual([true, true, true]);
    expect(await counts()).toEqual(before);
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });

    // the reversal wizard drafts the reversal, and its answer is lost: the redelivery adopts that draft
    const reverse: PostingStep = {
      kind: 'reverse',
      ref: 'rcm:era:C1R:reversal',
      reversesRefs: steps.map((s) => s.ref),
      date: today,
      reason: 'reversal',
    };
    flaky.failOnce('account.move.reversal', 'refund_moves', 'after');
    await expect(crashing.execute([reverse])).rejects.toMatchObject({ kind: 'transient' });
    const [reversed] = await crashing.execute([reverse]);
    expect(reversed?.ids).toHaveLength(2);
    const reversals = await odoo.call<number[]>('account.move', 'search', [
      [['reversed_entry_id', 'in', [ids(executed, 'creditNote'), ids(executed, 'patientInvoice')]]],
    ]);
    expect(reversals.sort()).toEqual([...(reversed?.ids ?? [])].sort());
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'not_paid', amount_residual: 100 });
    expect(await read(ids(executed, 'patientInvoice'))).toMatchObject({ payment_state: 'reversed' });

    // another reverse step over the same refs finds them reversed and does nothing
    const [twice] = await ledger.execute([{ ...reverse, ref: 'rcm:era:C1R2:reversal' }]);
    expect(twice).toMatchObject({ alreadyPresent: true, ids: reversed?.ids });
  });
});

describe('OdooReceivablesLedger after a half-executed plan', () => {
  it('drops a never-posted patient invoice on reversal, and a redelivery does not book it again', async () => {
    const invoice = await payerInvoice('D1', 100_00);
    const pat = await patient('D1');
    const steps = prTransferSteps('D1', invoice, pat.id, {
      deductible: 10_00,
      coinsurance: 10_00,
      paid: 80_00,
      co45: 0,
    }).slice(0, 2);
    const flaky = new FlakyOdoo(odoo.connection);
    const crashing = new OdooReceivablesLedger(flaky);
    // the credit note posts; the patient invoice is created, then the Lambda dies before posting it
    flaky.failOnce('account.move', 'action_post', 'before', 1);
    await expect(crashing.execute(steps)).rejects.toMatchObject({ kind: 'transient' });
    const draft = await odoo.call<MoveView[]>(
      'account.move',
      'search_read',
      [[['ref', '=', 'INV-D1-PR-D1']]],
      {
        fields: ['state'],
      },
    );
    expect(draft).toEqual([expect.objectContaining({ state: 'draft' })]);

    const [reversed] = await ledger.execute([
      {
        kind: 'reverse',
        ref: 'rcm:era:D1R:reversal',
        reversesRefs: steps.map((s) => s.ref),
        date: today,
        reason: 'reversal',
      },
    ]);
    expect(reversed?.ids).toHaveLength(1); // the credit note's reversal; the draft is cancelled, not reversed
    expect(await read(draft[0]?.id as number)).toMatchObject({ state: 'cancel' });
    expect(await read(invoice.moveId)).toMatchObject({ payment_state: 'not_paid', amount_residual: 100 });

    const before = await counts();
    const redelivered = await crashing.execute(steps);
    expect(redelivered.map((s) => s.alreadyPresent)).toEqual([true, true]);
    expect(await counts()).toEqual(before);
  });
});

describe('OdooReceivablesLedger reversing a remittance that dies at any write', () => {
  // Issue 11: a reversal that failed half-way (payment cancelled, credit note unreconciled) could not be
  // finished by a retry. Now a crash before or after each of its writes, then a redelivery, ends in the same
  // books as an uninterrupted reversal.
  it('converges on retry from what Odoo holds, whichever write it died at', async () => {
    let outcomes = 0;
    for (const when of ['before', 'after'] as const) {
      for (let at = 0; ; at++) {
        const key = `X${when[0]}${at}`;
        const invoice = await payerInvoice(key, 100_00);
        const pat = await patient(key);
        const steps = prTransferSteps(key, invoice, pat.id, {
          deductible: 10_00,
          coinsurance: 10_00,
          paid: 70_00,
          co45: 10_00,
        });
        const executed = await ledger.execute(steps);
        const reverse: PostingStep = {
          kind: 'reverse',
          ref: `rcm:era:${key}R:reversal`,
          reversesRefs: steps.map((s) => s.ref),
          date: '2026-01-15',
          reason: 'reversal',
        };
        const crashing = new CrashingOdoo(odoo.connection, at, when);
        const first = await new OdooReceivablesLedger(crashing).execute([reverse]).then(
          () => 'completed',
          (error: unknown) => error,
        );
        if (first === 'completed') break; // no write left to die at
        expect(first).toMatchObject({ kind: 'transient' });
        const [reversed] = await ledger.execute([reverse]);
        expect(reversed?.ids, `${when} write ${at}`).toHaveLength(2);
        expect(await read(invoice.moveId), `${when} write ${at}`).toMatchObject({
          payment_state: 'not_paid',
          amount_residual: 100,
        });
        expect(await read(ids(executed, 'patientInvoice'))).toMatchObject({ payment_state: 'reversed' });
        const reversals = await odoo.call<Array<{ date: string; state: string }>>(
          'account.move',
          'search_read',
          [[['id', 'in', reversed?.ids ?? []]]],
          { fields: ['date', 'state'] },
        );
        expect(reversals.map((r) => [r.state, r.date])).toEqual([
          ['posted', '2026-01-15'],
          ['posted', '2026-01-15'],
        ]);
        // The payment is undone by exactly one reversing entry of its own (issue 13), kept posted as 17 shows it.
        const [payment] = await odoo.call<Array<{ state: string; move_id: [number, string] }>>(
          'account.payment',
          'read',
          [[ids(executed, 'payment')]],
          { fields: ['state', 'move_id'] },
        );
        expect(payment?.state).toBe('posted');
        const paymentReversals = await odoo.call<Array<{ date: string; state: string }>>(
          'account.move',
          'search_read',
          [[['reversed_entry_id', '=', payment?.move_id[0]]]],
          { fields: ['date', 'state'] },
        );
        expect(
          paymentReversals.map((r) => [r.state, r.date]),
          `${when} write ${at}`,
        ).toEqual([['posted', '2026-01-15']]);
        outcomes++;
      }
    }
    expect(outcomes).toBeGreaterThan(6);
  });
});

describe('OdooReceivablesLedger on Odoo 18', () => {
  it('finds payments by their 18 memo field and reverses them by an entry', async () => {
    // A scripted Odoo 18 (the sandbox is a 17.0 server): the ledger must search `memo`, not `ref`.
    const calls: Array<{ model: string; method: string; args: unknown[] }> = [];
    const answers: Record<string, unknown> = {
      'account.payment.search_read': [{ id: 77, memo: 'ERA 1 [rcm:era:X18:payment]', state: 'in_process' }],
      'account.move.search_read': [],
      'account.payment.read': [
        { id: 77, state: 'in_process', move_id: [700, 'PBNK1'], journal_id: [6, 'Bank'] },
      ],
      'account.move.reversal.create': [5],
      'account.move.reversal.refund_moves': { res_model: 'account.move', res_id: 701 },
      'account.payment.write': true,
    };
    const fetch18 = (async (_url: unknown, init?: RequestInit) => {
      const { params, id } = JSON.parse(String(init?.body)) as {
        id: number;
        params: { service: string; method: string; args: unknown[] };
      };
      let result: unknown = null;
      if (params.method === 'version') result = { server_version: '18.0+e', server_version_info: [18, 0] };
      else if (params.method === 'authenticate') result = 2;
      else {
        const [, , , model, method, args] = params.args as [
          unknown,
          unknown,
          unknown,
          string,
          string,
          unknown[],
        ];
        calls.push({ model, method, args });
        result = answers[`${model}.${method}`] ?? null;
      }
      return new Response(JSON.stringify({ jsonrpc: '2.0', id, result }), {
        headers: { 'Content-Type': 'application/json' },
      });
    }) as typeof fetch;
    const odoo18 = new OdooClient(
      { url: 'http://odoo18.invalid', db: 'rcm', login: 'admin', apiKey: 'k', protocol: 'jsonrpc' },
      { fetch: fetch18 },
    );
    const ledger18 = new OdooReceivablesLedger(odoo18);
    const step: PostingStep = {
      kind: 'payment',
      ref: 'rcm:era:X18:payment',
      invoiceId: 'INV-X18',
      partner: { kind: 'payer', id: 'PAYER-X18' },
      amountCents: 10_00,
      date: today,
      memo: 'ERA 1',
    };
    expect(await ledger18.execute([step])).toEqual([
      { ref: step.ref, kind: 'payment', model: 'account.payment', ids: [77], alreadyPresent: true },
    ]);
    expect(calls[0]).toEqual({
      model: 'account.payment',
      method: 'search_read',
      args: [[['memo', 'ilike', '[rcm:era:X18:payment]']]],
    });
    calls.length = 0;
    const [reversed] = await ledger18.execute([
      { kind: 'reverse', ref: 'rcm:era:X18R:reversal', reversesRefs: [step.ref], date: today, reason: 'r' },
    ]);
    expect(reversed).toMatchObject({ alreadyPresent: false, cancelledPaymentIds: [77], ids: [] });
    expect(calls.map((c) => `${c.model}.${c.method}`)).toEqual([
      'account.payment.search_read',
      'account.move.search_read',
      'account.payment.read',
      'account.move.search_read',
      'account.move.reversal.create',
      'account.move.reversal.refund_moves',
      'account.payment.write',
    ]);
    // 18+: reversed by an entry, then marked canceled so Odoo's payment list reads it as undone.
    expect(calls.at(-1)?.args).toEqual([[77], { state: 'canceled' }]);
  });
});

/** An OdooClient whose next call of one method fails as a timeout would: before reaching Odoo, or after. */
const READS = new Set(['search', 'search_read', 'search_count', 'read', 'check_object_reference']);

/** Dies at the `at`-th write (0-based) of its life, before sending it or after Odoo committed it. */
class CrashingOdoo extends OdooClient {
  private writes = 0;

  constructor(
    connection: OdooClient['connection'],
    private readonly at: number,
    private readonly when: 'before' | 'after',
  ) {
    super(connection);
  }

  override async call<T = unknown>(
    model: string,
    method: string,
    args: unknown[] = [],
    kwargs: Record<string, unknown> = {},
  ): Promise<T> {
    if (READS.has(method) || this.writes++ !== this.at) return super.call<T>(model, method, args, kwargs);
    if (this.when === 'after') await super.call(model, method, args, kwargs);
    throw new OdooError('transient', 'timeout', `simulated crash ${this.when} ${model}.${method}`);
  }
}

class FlakyOdoo extends OdooClient {
  private fault: { model: string; method: string; when: 'before' | 'after'; skip: number } | undefined;

  /** Fails the call after `skip` matching calls went through. */
  failOnce(model: string, method: string, when: 'before' | 'after', skip = 0): void {
    this.fault = { model, method, when, skip };
  }

  override async call<T = unknown>(
    model: string,
    method: string,
    args: unknown[] = [],
    kwargs: Record<string, unknown> = {},
  ): Promise<T> {
    const fault = this.fault;
    if (fault?.model !== model || fault.method !== method || fault.skip-- > 0)
      return super.call<T>(model, method, args, kwargs);
    this.fault = undefined;
    if (fault.when === 'after') await super.call(model, method, args, kwargs);
    throw new OdooError('transient', 'timeout', `simulated timeout ${fault.when} ${model}.${method}`);
  }
}
