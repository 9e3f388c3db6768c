import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEDGER_SETUP, ensureHubSetup } from '../../lambdas/adapters/odoo/accounts.js';
import { OdooClient } from '../../lambdas/adapters/odoo/client.js';
import { OdooEraDepositLedger } from '../../lambdas/adapters/odoo/era-deposit-ledger.js';
import { OdooReceivablesLedger } from '../../lambdas/adapters/odoo/receivables-ledger.js';
import { laneRoundKey } from '../../lambdas/core/era-booking.js';
import { compareDeposit, eraDepositOf, planEraDeposit } from '../../lambdas/core/era-deposit.js';
import { odooAmountToCents } from '../../lambdas/core/money.js';
import { planRemittancePosting } from '../../lambdas/core/remittance-posting.js';
import { type Remittance835, read835Text } from '../../lambdas/core/x12/remittance-835.js';
import { plannedRemittances, toRemittanceReceived } from '../../lambdas/core/x12/remittance-events.js';
import type { Hub } from '../../local/runtime.js';
import { seedClaimThroughApi } from '../integration/support/claims.js';
import { SYNTHETIC_ERA_DEPOSIT_LINES } from '../integration/support/era-deposit-books.js';
import { accessToken, apiCaller, startTestHub } from '../integration/support/hub.js';
import { type OdooUnderTest, odooUnderTest } from './support/odoo-under-test.js';

/**
 * Issue 14 (ERA-level money), against whatever Odoo the ODOO_* variables name (the sandbox in `npm test`, a real
 * Odoo 17 under `npm run test:odoo`), books checked to the cent: the synthetic ERA test/fixtures/x12/
 * synthetic-era-plb.835 (three claims paid 1,255.25 of which AMT*I interest 5.25; PLB L6 −7.50, WO 25.00, CS 2.21; BPR02 1,235.54) is booked as
 * the hub books it — one payment per claim, then one deposit entry — as the integration user. The deposit line is
 * BPR02 and the only open line a bank statement line of the trace can match; claim interest, PLB interest, recoupment and the CS
 * adjustment sit on their accounts with the payer and the trace; a redelivery writes nothing; reconciliation
 * reads back no difference, and a deposit that differs from the payments by 7.50 is reported as 7.50.
 */
let odoo: OdooUnderTest;
let hub: OdooClient;
const run = Date.now().toString(36).toUpperCase();
const figures: string[] = [];

/** The fixture under a trace and claim ids of this run (a real Odoo keeps earlier runs' books). */
function fixture(): string {
  return readFileSync(new URL('../fixtures/x12/synthetic-era-plb.835', import.meta.url), 'latin1')
    .replaceAll('EFT20261102A', `EFT${run}`)
    .replaceAll('CLM-', `CLM-${run}-`)
    .replaceAll('PCN-A', `PCN-${run}-A`)
    .replaceAll('PCN-B', `PCN-${run}-B`)
    .replaceAll('PCN-C', `PCN-${run}-C`);
}

beforeAll(async () => {
  odoo = await odooUnderTest();
  await ensureHubSetup(odoo.reader, DEFAULT_LEDGER_SETUP);
  hub = new OdooClient(odoo.hub, { timeoutMs: 60_000 });
}, 300_000);

afterAll(async () => {
  if (figures.length) console.info(`ERA deposit conformance (${odoo?.kind} Odoo): ${figures.join('; ')}`);
  await odoo?.close();
});

interface Line {
  id: number;
  name: string;
  debit: number;
  credit: number;
  account_id: [number, string];
  partner_id: [number, string] | false;
  reconciled: boolean;
  amount_residual: number;
}

const LINE_FIELDS = ['name', 'debit', 'credit', 'account_id', 'partner_id', 'reconciled', 'amount_residual'];

async function accountIdOf(code: string): Promise<number> {
  const [id] = await odoo.reader.call<number[]>('account.account', 'search', [[['code', '=', code]]], {
    limit: 1,
  });
  return id as number;
}

describe('an ERA with provider-level adjustments, on Odoo', () => {
  let transaction: Remittance835;
  let payerPartnerId: number;
  const payerId = `ERA-${run}`;

  it('books each claim payment, then one deposit of BPR02 with L6, WO and CS on their accounts', async () => {
    const started = Date.now();
    const read = await read835Text(fixture());
    expect(read.issues).toEqual([]);
    transaction = read.transactions[0] as Remittance835;
    const [partnerId] = await hub.call<number[]>('res.partner', 'create', [
      [{ name: `Synthetic Health Plan ${run}`, ref: `rcm:payer:${payerId}` }],
    ]);
    payerPartnerId = partnerId as number;
    const ledger = new OdooReceivablesLedger(hub);
    for (const planned of plannedRemittances([transaction])) {
      const invoiceRef = `INV-${planned.claim.claimId}`;
      const [invoiceId] = await hub.call<number[]>('account.move', 'create', [
        [
          {
            move_type: 'out_invoice',
            partner_id: payerPartnerId,
            invoice_date: '2026-10-01',
            ref: invoiceRef,
            invoice_line_ids: [
              [0, 0, { name: 'Hospital services', quantity: 1, price_unit: planned.claim.billedCents / 100 }],
            ],
          },
        ],
      ]);
      await hub.call('account.move', 'action_post', [[invoiceId]]);
      const remittance = toRemittanceReceived(planned, {
        encounterId: `E-${run}`,
        facilityId: 'F1',
        payerId,
      });
      const state = await ledger.invoiceState(invoiceRef);
      const plan = planRemittancePosting(remittance, {
        payerInvoice: state && {
          invoiceId: invoiceRef,
          totalCents: state.totalCents,
          residualCents: state.residualCents,
        },
        patientId: undefined,
      });
      await ledger.execute(plan.steps);
    }

    const plan = planEraDeposit(eraDepositOf(transaction, payerId));
    expect(plan.exceptions.map((e) => e.key)).toEqual([`era-deposit:EFT${run}:plb:2:CS`]);
    const deposits = new OdooEraDepositLedger(hub);
    const booked = await deposits.book(plan);
    expect(booked.alreadyPresent).toBe(false);
    expect(booked.settledPaymentIds).toHaveLength(3);
    figures.push(`booked 3 claims + deposit in ${Date.now() - started} ms`);

    const lines = await odoo.reader.call<Line[]>(
      'account.move.line',
      'search_read',
      [[['move_id', '=', booked.moveId]]],
      { fields: LINE_FIELDS, order: 'id' },
    );
    const [clearing, interest, other] = await Promise.all(
      ['101403', '451000', '655000'].map((code) => accountIdOf(code)),
    );
    const [payer] = await odoo.reader.call<Array<{ property_account_receivable_id: [number, string] }>>(
      'res.partner',
      'read',
      [[payerPartnerId]],
      { fields: ['property_account_receivable_id'] },
    );
    const receivable = payer?.property_account_receivable_id[0];
    // Debit − credit per line, in cents, with its account: the books to the cent.
    const books = lines.map((l) => [
      l.account_id[0],
      odooAmountToCents(l.debit) - odooAmountToCents(l.credit),
      l.name,
    ]);
    expect(books).toEqual([
      [clearing, 123_554, `ERA EFT${run} deposit (ACH) from payer ${payerId}`],
      [clearing, -125_000, `ERA EFT${run} claim payments (3 claims)`],
      [interest, -525, `AMT*I interest on claim CLM-${run}-C (ERA EFT${run}, payer ${payerId})`],
      [interest, -750, `PLB L6 interest owed (ERA EFT${run}, payer ${payerId})`],
      [receivable, 2_500, `PLB WO overpayment recovery ref PCN-OLD-9 (ERA EFT${run}, payer ${payerId})`],
      [other, 221, `PLB CS adjustment ref GARN-4 (ERA EFT${run}, payer ${payerId})`],
    ]);
    // Every journal item names the payer.
    expect(lines.every((l) => Array.isArray(l.partner_id) && l.partner_id[0] === payerPartnerId)).toBe(true);
    // The claim payments' outstanding lines are matched with the deposit's claim-payments line, in full.
    expect(lines[1]?.reconciled).toBe(true);
    const [entry] = await odoo.reader.call<Array<{ state: string; ref: string; date: string }>>(
      'account.move',
      'read',
      [[booked.moveId]],
      { fields: ['state', 'ref', 'date'] },
    );
    expect(entry).toMatchObject({ state: 'posted', ref: `EFT${run}`, date: '2026-11-02' });
  });

  it('leaves one open line for the bank statement line of the trace: BPR02, on Outstanding Receipts', async () => {
    const clearing = await accountIdOf('101403');
    // Odoo 17's candidates for a statement line (account.bank.statement.line `_get_default_amls_matching_domain`):
    // posted, unreconciled lines of reconcilable accounts, not a payment's receivable line; here those whose
    // label carries the trace (the ACH addenda's TRN02).
    const candidates = await odoo.reader.call<Line[]>(
      'account.move.line',
      'search_read',
      [
        [
          ['parent_state', '=', 'posted'],
          ['reconciled', '=', false],
          ['account_id.reconcile', '=', true],
          '|',
          ['account_id.account_type', 'not in', ['asset_receivable', 'liability_payable']],
          ['payment_id', '=', false],
          '|',
          ['name', 'ilike', `EFT${run}`],
          ['ref', 'ilike', `EFT${run}`],
        ],
      ],
      { fields: LINE_FIELDS },
    );
    const onClearing = candidates.filter((l) => l.account_id[0] === clearing);
    expect(onClearing.map((l) => odooAmountToCents(l.amount_residual))).toEqual([123_554]);

    // The bank's statement line of the EFT, matched as Odoo's reconciliation widget does (Enterprise; Community 17
    // keeps the model): the line's counterpart on Outstanding Receipts (`counterpart_account_id`, create's own
    // hook) reconciled with that one candidate. The sandbox has no bank statement model: real Odoo only.
    if (odoo.kind !== 'real') return;
    // Statement lines need "Show Full Accounting Features" (account.group_account_user), which a stock Invoicing
    // database does not give: finance's user has it; the administrator gets it here.
    const [, group] = await odoo.reader.call<[string, number]>(
      'ir.model.data',
      'check_object_reference',
      [],
      {
        module: 'account',
        xml_id: 'group_account_user',
      },
    );
    const [admin] = await odoo.reader.call<number[]>('res.users', 'search', [
      [['login', '=', odoo.admin.login]],
    ]);
    // The user's groups field: `groups_id` on Odoo 17, `group_ids` on 19.
    const userFields = await odoo.reader.call<Record<string, unknown>>('res.users', 'fields_get', [], {
      attributes: ['type'],
    });
    const groupsField = 'group_ids' in userFields ? 'group_ids' : 'groups_id';
    await odoo.reader.call('res.users', 'write', [[admin], { [groupsField]: [[4, group]] }]);
    const [bankJournal] = await odoo.reader.call<number[]>('account.journal', 'search', [
      [['code', '=', 'BNK1']],
    ]);
    const [statementLineId] = await odoo.reader.call<number[]>('account.bank.statement.line', 'create', [
      [
        {
          journal_id: bankJournal,
          date: '2026-11-03',
          amount: 1235.54,
          payment_ref: `ACH CCD TRN*1*EFT${run}*1999999999 SYNTHETIC HEALTH PLAN`,
          counterpart_account_id: clearing,
        },
      ],
    ]);
    const [statementLine] = await odoo.reader.call<Array<{ move_id: [number, string] }>>(
      'account.bank.statement.line',
      'read',
      [[statementLineId]],
      { fields: ['move_id'] },
    );
    const [counterpart] = await odoo.reader.call<number[]>('account.move.line', 'search', [
      [
        ['move_id', '=', statementLine?.move_id[0]],
        ['account_id', '=', clearing],
      ],
    ]);
    await odoo.reader.call('account.move.line', 'reconcile', [[counterpart, onClearing[0]?.id]]);
    const [matched] = await odoo.reader.call<Array<{ is_reconciled: boolean; amount_residual: number }>>(
      'account.bank.statement.line',
      'read',
      [[statementLineId]],
      { fields: ['is_reconciled', 'amount_residual'] },
    );
    expect(matched).toMatchObject({ is_reconciled: true, amount_residual: 0 });
    const [deposit] = await odoo.reader.call<Line[]>('account.move.line', 'read', [[onClearing[0]?.id]], {
      fields: LINE_FIELDS,
    });
    expect(deposit?.reconciled).toBe(true);
  });

  it('books nothing again on a redelivery, and reconciliation reads back no difference', async () => {
    const deposits = new OdooEraDepositLedger(hub);
    const era = eraDepositOf(transaction, payerId);
    const again = await deposits.book(planEraDeposit(era));
    expect(again).toMatchObject({ alreadyPresent: true, settledPaymentIds: [] });
    const entries = await odoo.reader.call<number[]>('account.move', 'search', [[['ref', '=', `EFT${run}`]]]);
    expect(entries).toHaveLength(1);

    const booked = await deposits.booked(`EFT${run}`);
    expect(booked).toMatchObject({
      depositLineCents: 123_554,
      claimPaymentsCents: 125_000,
      providerAdjustmentsCents: 1_446,
    });
    expect(compareDeposit(era, booked)).toEqual([]);
    // The payer announced 7.50 more than it paid on claims (an L6 the books lack): 7.50, not 0 differences.
    const withUnbookedInterest = {
      ...era,
      depositCents: 125_750,
      providerAdjustments: [{ reason: 'L6', amountCents: -750 }],
    };
    const unbooked = await deposits.booked(`EFT${run}-NONE`);
    expect(
      compareDeposit(withUnbookedInterest, { ...unbooked, claimPaymentsCents: booked.claimPaymentsCents }),
    ).toEqual([
      expect.objectContaining({ key: expect.stringContaining('deposit_missing'), amountCents: 125_750 }),
      expect.objectContaining({ key: expect.stringContaining('deposit_variance'), amountCents: 750 }),
    ]);
  });
});

/**
 * Issue 16 (ERA lanes): the same ERA posted to the hub as a clearinghouse sends it, with its rounds in two lanes
 * (core/era-booking.ts `laneRoundKey`). Each lane's last round settles the one deposit entry, so two rounds may
 * match claim payments with it at once (on a real Odoo, in two threads or workers): one entry, every claim
 * payment matched with it once, each invoice paid once.
 */
describe('the same ERA through the hub in two lanes, on Odoo', () => {
  const trace = `EFT${run}L`;
  const payerId = `PAYER-ERA-${run}`;
  const claimIds = ['A', 'B', 'C'].map((c) => `CLM-${run}L-${c}`);
  // Encounters in both lanes, whatever the run: the first prefix whose three encounters do not share one lane.
  const prefix =
    Array.from({ length: 64 }, (_, i) => `ERAL${run}${i}`).find(
      (p) =>
        new Set(claimIds.map((id) => laneRoundKey(trace, `ENC-${p}-${id.replace(/[^A-Za-z0-9]/g, '')}`, 2)))
          .size === 2,
    ) ?? `ERAL${run}`;
  let laneHub: Hub | undefined;

  afterAll(async () => {
    await laneHub?.close();
  });

  it('books one deposit of BPR02, every claim payment matched with it once, as one lane books it', async () => {
    const lanes = claimIds.map((id) =>
      laneRoundKey(trace, `ENC-${prefix}-${id.replace(/[^A-Za-z0-9]/g, '')}`, 2),
    );
    expect(new Set(lanes).size, lanes.join(' ')).toBe(2);
    laneHub = await startTestHub({
      odoo: odoo.hub,
      eraBooking: JSON.stringify({ lanes: 2, quietMs: 2_000 }),
      monitoring: { sweepIntervalSeconds: false },
    });
    const active = laneHub;
    const call = apiCaller(active, await accessToken(active), `era-lanes-${run}`);
    for (const [claimId, billedCents] of [
      [claimIds[0], 70_000],
      [claimIds[1], 40_000],
      [claimIds[2], 30_000],
    ] as const) {
      await seedClaimThroughApi((method, path, body) => call(method, path, body), {
        claimId: claimId as string,
        billedCents,
        prefix,
        payerId,
        payerName: 'Synthetic Health Plan',
      });
    }
    await active.waitForIdle();
    const file = readFileSync(new URL('../fixtures/x12/synthetic-era-plb.835', import.meta.url), 'latin1')
      .replaceAll('EFT20261102A', trace)
      .replaceAll('CLM-', `CLM-${run}L-`)
      .replaceAll('PCN-A', `PCN-${run}L-A`)
      .replaceAll('PCN-B', `PCN-${run}L-B`)
      .replaceAll('PCN-C', `PCN-${run}L-C`);
    const answer = await fetch(`${active.baseUrl}/v1/remittances`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await accessToken(active)}`,
        'Content-Type': 'application/edi-x12',
        'Idempotency-Key': `era-lanes-${run}`,
      },
      body: file,
    });
    expect(answer.status).toBe(202);
    await active.waitForIdle();
    expect(active.aws.sqs.messageCount(active.queueUrls.OdooWriteQueue?.dlqUrl as string)).toBe(0);

    const entries = await odoo.reader.call<number[]>('account.move', 'search', [[['ref', '=', trace]]]);
    expect(entries).toHaveLength(1);
    const lines = await odoo.reader.call<Line[]>(
      'account.move.line',
      'search_read',
      [[['move_id', '=', entries[0]]]],
      { fields: LINE_FIELDS, order: 'id' },
    );
    expect(
      lines.map((l) => [
        l.account_id[1].slice(0, 6),
        odooAmountToCents(l.debit) - odooAmountToCents(l.credit),
      ]),
    ).toEqual(SYNTHETIC_ERA_DEPOSIT_LINES);
    // The claim-payments line matched in full with the three claim payments, whichever lane settled last.
    expect(lines[1]).toMatchObject({ reconciled: true, amount_residual: 0 });
    const invoices = await odoo.reader.call<
      Array<{ ref: string; payment_state: string; amount_residual: number }>
    >(
      'account.move',
      'search_read',
      [[['ref', 'in', claimIds.map((id) => `INV-${id.replace(/[^A-Za-z0-9]/g, '')}`)]]],
      { fields: ['ref', 'payment_state', 'amount_residual'] },
    );
    expect(invoices).toHaveLength(3);
    for (const invoice of invoices) {
      expect(['paid', 'in_payment'], invoice.ref).toContain(invoice.payment_state);
      expect(invoice.amount_residual, invoice.ref).toBe(0);
    }
    const payments = await odoo.reader.call<number[]>('account.payment', 'search', [
      [['partner_id.ref', '=', `rcm:payer:${payerId}`]],
    ]);
    expect(payments).toHaveLength(3);
  });
});
