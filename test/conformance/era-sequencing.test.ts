import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEDGER_SETUP, ensureHubSetup, HUB_MODULE } from '../../lambdas/adapters/odoo/accounts.js';
import { OdooEraDepositLedger } from '../../lambdas/adapters/odoo/era-deposit-ledger.js';
import { compareDeposit, type EraDepositReceived } from '../../lambdas/core/era-deposit.js';
import { type ClaimSpec, type RemittanceSpec, write835 } from '../../lambdas/core/x12/write-835.js';
import type { Hub } from '../../local/runtime.js';
import { remittanceClaim, seedClaimThroughApi } from '../integration/support/claims.js';
import { accessToken, eventually, startTestHub } from '../integration/support/hub.js';
import { type OdooUnderTest, odooUnderTest } from './support/odoo-under-test.js';

/**
 * Conformance, issue 14 (which claim, payer and order): 835 files posted to the hub as a clearinghouse sends
 * them, into whatever Odoo the ODOO_* variables name (the sandbox in `npm test`), and the books checked in
 * Odoo to the cent — reversals that match nothing, corrections listed before their reversal under a new payer
 * claim number, an appeal paid after a denial, a file carrying its interchange twice and a claim twice, a
 * claim paid twice, and a secondary payer after a primary that forwarded the claim. Every file is also sent a
 * second time under a new Idempotency-Key (a retransmission): nothing may be booked twice.
 */
let odoo: OdooUnderTest;
let hub: Hub;
let token: string;
let keys = 0;
const run = Date.now().toString(36).toUpperCase();

beforeAll(async () => {
  odoo = await odooUnderTest();
  const setup = await ensureHubSetup(odoo.reader, DEFAULT_LEDGER_SETUP);
  expect(setup.records.filter((r) => r.problem)).toEqual([]);
  hub = await startTestHub({ odoo: odoo.hub, monitoring: { sweepIntervalSeconds: false } });
  token = await accessToken(hub);
}, 300_000);

afterAll(async () => {
  await hub?.close();
  await odoo?.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  key = `seq-${run}-${++keys}`,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${hub.baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': contentType,
      ...(method === 'GET' ? {} : { 'Idempotency-Key': key }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** An ERA file, posted, then retransmitted under a new key. */
async function postEra(file: string): Promise<Record<string, unknown>> {
  const first = await call('POST', '/v1/remittances', file, 'application/edi-x12');
  expect(first.status, JSON.stringify(first.body)).toBe(202);
  const again = await call('POST', '/v1/remittances', file, 'application/edi-x12');
  expect(again.status, JSON.stringify(again.body)).toBe(202);
  return first.body;
}

const era = (spec: RemittanceSpec, isa: string) =>
  [...write835(spec, { interchangeControlNumber: isa })].join('');

const claim = remittanceClaim;

const spec = (trace: string, date: string, claims: ClaimSpec[], payerId?: string): RemittanceSpec => ({
  controlNumber: '0001',
  traceNumber: trace,
  method: 'ACH',
  date,
  payerName: payerId ? `Payer ${payerId}` : 'Conformance Payer',
  ...(payerId ? { payerId } : {}),
  payeeName: 'Conformance Clinic',
  payeeNpi: '1234567893',
  claims,
  providerAdjustments: [],
});

/** What finance must find in Odoo and in the hub's workflow for one story. */
interface Expected {
  invoice: { residualCents: number; paymentState: string[] };
  /** Payments in force by step-ref marker: amount, write-off to contractual, partner (payer id). */
  payments: Array<{ marker: string; amountCents: number; writeOffCents: number; payerId: string }>;
  undone: string[];
  /** Payments whose counterpart is the refund liability account. */
  payerCredits: Array<{ marker: string; amountCents: number }>;
  creditNotes: Array<{ account: string; amountCents: number }>;
  patientInvoiceCents?: number;
  workflow: { state: string; exceptions: string[] };
}

interface Story {
  name: string;
  encounterId: string;
  invoiceRef: string;
  expected: Expected;
}

const CO = (cents: number) => ({ group: 'CO' as const, reason: '45', amountCents: cents });
const PAYER = `PAYER-SEQ-${run}`;
const SECONDARY = `PAYER-SEQ2-${run}`;
const PRIMARY_IDENTIFIER = `PRI${run}`.slice(0, 20);

async function seed(tag: string, billed: number): Promise<{ encounterId: string; claimId: string }> {
  const claimId = `CLM-SEQ-${run}-${tag}`;
  const encounterId = await seedClaimThroughApi(call, {
    claimId,
    billedCents: billed,
    prefix: 'SEQ',
    payerId: PAYER,
    payerName: 'Sequencing Payer',
  });
  return { encounterId, claimId };
}

const invoiceOf = (claimId: string) => `INV-${claimId.replace(/[^A-Za-z0-9]/g, '')}`;
const marker = (trace: string, pccn: string, kind = 'payment') => `rcm:era:${trace}:${pccn}:${kind}`;

/** Each story: its encounter seeded, its ERA files posted in order (each after the hub went idle). */
async function stories(): Promise<Story[]> {
  const out: Story[] = [];
  const base = (invoiceRef: string): Omit<Story, 'name' | 'encounterId' | 'expected'> => ({ invoiceRef });

  // 1. A reversal of a payment the hub never booked, listed before (A) or after (B) the correction.
  for (const order of ['A', 'B'] as const) {
    const billed = 20_000;
    const { encounterId, claimId } = await seed(`UNM${order}`, billed);
    const trace = `T${run}UNM${order}`;
    const reversal = claim(claimId, `P${run}U${order}`, '22', -billed, -15_000, [CO(-5_000)]);
    const correction = claim(claimId, `P${run}U${order}`, '1', billed, 16_000, [CO(4_000)]);
    const claims = order === 'A' ? [reversal, correction] : [correction, reversal];
    await postEra(era(spec(trace, '2026-11-20', claims), `7${order === 'A' ? 1 : 2}0000001`));
    out.push({
      name: `reversal-unmatched (${order === 'A' ? 'reversal first' : 'correction first'})`,
      encounterId,
      ...base(invoiceOf(claimId)),
      expected: {
        invoice: { residualCents: 0, paymentState: ['paid', 'in_payment'] },
        payments: [
          {
            marker: marker(trace, `P${run}U${order}`),
            amountCents: 16_000,
            writeOffCents: 4_000,
            payerId: PAYER,
          },
        ],
        undone: [],
        payerCredits: [],
        creditNotes: [],
        workflow: {
          state: 'exception_pending',
          exceptions: [`era:${trace}:P${run}U${order}:22:reversal-unmatched`],
        },
      },
    });
  }

  // 2. A correction listed before its reversal, under a new payer claim number.
  {
    const billed = 30_000;
    const { encounterId, claimId } = await seed('NEWPCCN', billed);
    const t1 = `T${run}NP1`;
    const t2 = `T${run}NP2`;
    await postEra(
      era(
        spec(t1, '2026-11-10', [claim(claimId, `P${run}N1`, '1', billed, 24_000, [CO(6_000)])]),
        '720000003',
      ),
    );
    await hub.waitForIdle();
    await postEra(
      era(
        spec(t2, '2026-11-24', [
          claim(claimId, `P${run}N2`, '1', billed, 25_000, [CO(5_000)]),
          claim(claimId, `P${run}N1`, '22', -billed, -24_000, [CO(-6_000)]),
        ]),
        '720000004',
      ),
    );
    out.push({
      name: 'correction before its reversal, new payer claim number',
      encounterId,
      ...base(invoiceOf(claimId)),
      expected: {
        invoice: { residualCents: 0, paymentState: ['paid', 'in_payment'] },
        payments: [
          { marker: marker(t2, `P${run}N2`), amountCents: 25_000, writeOffCents: 5_000, payerId: PAYER },
        ],
        undone: [marker(t1, `P${run}N1`)],
        payerCredits: [],
        creditNotes: [],
        workflow: { state: 'payment_posted', exceptions: [] },
      },
    });
  }

  // 3. Denied with nothing booked, paid on appeal (same CLP07).
  {
    const billed = 18_000;
    const { encounterId, claimId } = await seed('APPEAL', billed);
    const pccn = `P${run}AP`;
    await postEra(
      era(
        spec(`T${run}AP1`, '2026-11-10', [
          claim(claimId, pccn, '4', billed, 0, [{ group: 'CO', reason: '50', amountCents: billed }]),
        ]),
        '730000001',
      ),
    );
    await hub.waitForIdle();
    await postEra(
      era(
        spec(`T${run}AP2`, '2026-11-26', [claim(claimId, pccn, '1', billed, 14_000, [CO(4_000)])]),
        '730000002',
      ),
    );
    out.push({
      name: 'denied, then paid on appeal',
      encounterId,
      ...base(invoiceOf(claimId)),
      expected: {
        invoice: { residualCents: 0, paymentState: ['paid', 'in_payment'] },
        payments: [
          { marker: marker(`T${run}AP2`, pccn), amountCents: 14_000, writeOffCents: 4_000, payerId: PAYER },
        ],
        undone: [],
        payerCredits: [],
        creditNotes: [],
        workflow: { state: 'payment_posted', exceptions: [] },
      },
    });
  }

  // 4. One file carrying its interchange twice, the first copy listing a claim twice verbatim.
  {
    const billed = 12_000;
    const { encounterId, claimId } = await seed('DUP', billed);
    const pccn = `P${run}DP`;
    const paid = claim(claimId, pccn, '1', billed, 10_000, [CO(2_000)]);
    const first = era(spec(`T${run}DP`, '2026-11-12', [paid, paid]), '740000001');
    // The second copy carries the claim once (a balanced transaction of its own): still the same interchange.
    const copy = era(spec(`T${run}DP`, '2026-11-12', [paid]), '740000001');
    await postEra(`${first}${copy}`);
    out.push({
      name: 'interchange twice in one file, claim repeated verbatim',
      encounterId,
      ...base(invoiceOf(claimId)),
      expected: {
        invoice: { residualCents: 0, paymentState: ['paid', 'in_payment'] },
        payments: [
          { marker: marker(`T${run}DP`, pccn), amountCents: 10_000, writeOffCents: 2_000, payerId: PAYER },
        ],
        undone: [],
        payerCredits: [],
        creditNotes: [],
        workflow: { state: 'payment_posted', exceptions: [] },
      },
    });
  }

  // 5. A claim paid twice under a new payer claim number: the second cash is the payer's credit.
  {
    const billed = 22_000;
    const { encounterId, claimId } = await seed('TWICE', billed);
    const t2 = `T${run}TW2`;
    await postEra(
      era(
        spec(`T${run}TW1`, '2026-11-10', [claim(claimId, `P${run}W1`, '1', billed, 17_000, [CO(5_000)])]),
        '750000001',
      ),
    );
    await hub.waitForIdle();
    await postEra(
      era(
        spec(t2, '2026-11-25', [claim(claimId, `P${run}W2`, '1', billed, 17_000, [CO(5_000)])]),
        '750000002',
      ),
    );
    out.push({
      name: 'claim paid twice under a new payer claim number',
      encounterId,
      ...base(invoiceOf(claimId)),
      expected: {
        invoice: { residualCents: 0, paymentState: ['paid', 'in_payment'] },
        payments: [
          {
            marker: marker(`T${run}TW1`, `P${run}W1`),
            amountCents: 17_000,
            writeOffCents: 5_000,
            payerId: PAYER,
          },
        ],
        undone: [],
        payerCredits: [{ marker: marker(t2, `P${run}W2`, 'payer-credit'), amountCents: 17_000 }],
        creditNotes: [],
        workflow: { state: 'exception_pending', exceptions: [`era:${t2}:P${run}W2:overpayment`] },
      },
    });
  }

  // 6. COB: the primary (named in N1*PR by its payer identifier) processes as primary and forwards (CLP02 19):
  //    its coinsurance stays receivable for the secondary; the secondary (named by its hub id) pays part of it
  //    and leaves the rest to the patient.
  {
    const billed = 25_000;
    const { encounterId, claimId } = await seed('COB', billed);
    const ok = await call('PUT', `/v1/payers/${PAYER}`, {
      name: 'Sequencing Payer',
      payerType: 'commercial',
      payerIdentifier: PRIMARY_IDENTIFIER,
      sourceSystem: 'billing',
      sourceUpdatedAt: '2026-11-05T00:00:00Z',
    });
    expect(ok.status).toBe(202);
    const secondary = await call('PUT', `/v1/payers/${SECONDARY}`, {
      name: 'Sequencing Secondary',
      payerType: 'medicaid',
      sourceSystem: 'billing',
      sourceUpdatedAt: '2026-11-05T00:00:00Z',
    });
    expect(secondary.status).toBe(202);
    await hub.waitForIdle();
    const t1 = `T${run}CB1`;
    const t2 = `T${run}CB2`;
    await postEra(
      era(
        spec(
          t1,
          '2026-11-10',
          [
            claim(claimId, `P${run}C1`, '19', billed, 15_000, [
              CO(4_000),
              { group: 'PR', reason: '2', amountCents: 6_000 },
            ]),
          ],
          PRIMARY_IDENTIFIER,
        ),
        '760000001',
      ),
    );
    await hub.waitForIdle();
    await postEra(
      era(
        spec(
          t2,
          '2026-11-27',
          [
            claim(claimId, `S${run}C2`, '2', billed, 4_500, [
              { group: 'OA', reason: '23', amountCents: 19_000 },
              { group: 'PR', reason: '2', amountCents: 1_500 },
            ]),
          ],
          SECONDARY,
        ),
        '760000002',
      ),
    );
    out.push({
      name: 'COB: primary forwards, secondary pays, patient billed the rest',
      encounterId,
      ...base(invoiceOf(claimId)),
      expected: {
        invoice: { residualCents: 0, paymentState: ['paid', 'in_payment'] },
        payments: [
          { marker: marker(t1, `P${run}C1`), amountCents: 15_000, writeOffCents: 0, payerId: PAYER },
          { marker: marker(t2, `S${run}C2`), amountCents: 4_500, writeOffCents: 0, payerId: SECONDARY },
        ],
        undone: [],
        payerCredits: [],
        creditNotes: [
          { account: 'account_contractual_adjustments', amountCents: 4_000 },
          { account: 'account_patient_responsibility_clearing', amountCents: 1_500 },
        ],
        patientInvoiceCents: 1_500,
        workflow: { state: 'payment_posted', exceptions: [] },
      },
    });
  }

  // 7. Issue 14: nothing paid, the whole charge contractual (CO-45), nothing denied: a 0.00 payment carrying the
  //    write-off closes the invoice (`paid`); no denial exception.
  {
    const billed = 16_000;
    const { encounterId, claimId } = await seed('ZEROCO', billed);
    const trace = `T${run}ZC`;
    await postEra(
      era(
        spec(trace, '2026-11-21', [claim(claimId, `P${run}ZC`, '1', billed, 0, [CO(billed)])]),
        '770000001',
      ),
    );
    out.push({
      name: 'zero paid, all contractual',
      encounterId,
      ...base(invoiceOf(claimId)),
      expected: {
        invoice: { residualCents: 0, paymentState: ['paid'] },
        payments: [
          { marker: marker(trace, `P${run}ZC`), amountCents: 0, writeOffCents: billed, payerId: PAYER },
        ],
        undone: [],
        payerCredits: [],
        creditNotes: [],
        workflow: { state: 'payment_posted', exceptions: [] },
      },
    });
  }

  // 8. Issue 14, COB: a primary that forwards (CLP02 19) and no secondary yet. The coinsurance stays open on the
  //    payer invoice, the patient is not billed, and billing's `next-payer` exception says the secondary is due.
  {
    const billed = 24_000;
    const { encounterId, claimId } = await seed('FWD', billed);
    const trace = `T${run}FW`;
    await postEra(
      era(
        spec(trace, '2026-11-22', [
          claim(claimId, `P${run}FW`, '19', billed, 14_000, [
            CO(3_000),
            { group: 'PR', reason: '2', amountCents: 7_000 },
          ]),
        ]),
        '770000002',
      ),
    );
    out.push({
      name: 'COB: primary forwards, the secondary not yet heard from',
      encounterId,
      ...base(invoiceOf(claimId)),
      expected: {
        invoice: { residualCents: 7_000, paymentState: ['partial'] },
        payments: [
          { marker: marker(trace, `P${run}FW`), amountCents: 14_000, writeOffCents: 0, payerId: PAYER },
        ],
        undone: [],
        payerCredits: [],
        creditNotes: [{ account: 'account_contractual_adjustments', amountCents: 3_000 }],
        workflow: { state: 'exception_pending', exceptions: [`era:${trace}:P${run}FW:next-payer`] },
      },
    });
  }
  await hub.waitForIdle();
  return out;
}

const cents = (amount: number) => Math.round(amount * 100);
const many2oneId = (value: unknown) => (Array.isArray(value) ? (value[0] as number) : undefined);

describe(`conformance: ERA sequencing, matching, duplicates and payers (${process.env.RCM_CONFORMANCE_ODOO === '1' && process.env.ODOO_URL ? process.env.ODOO_URL : 'sandbox'})`, () => {
  it('books every story to the cent in Odoo and leaves the workflow as finance expects', async () => {
    const started = Date.now();
    const all = await stories();
    const reader = odoo.reader;
    const { paymentMemoField: memoField, livePaymentStates } = await reader.dialect();
    const account: Record<string, number> = {};
    for (const name of [
      'account_contractual_adjustments',
      'account_patient_responsibility_clearing',
      'account_other_adjustments',
      'account_payer_refunds',
    ]) {
      const [, id] = await reader.call<[string, number]>('ir.model.data', 'check_object_reference', [], {
        module: HUB_MODULE,
        xml_id: name,
      });
      account[name] = id;
    }
    const partnerOf = async (payerId: string) =>
      (await reader.call<number[]>('res.partner', 'search', [[['ref', '=', `rcm:payer:${payerId}`]]]))[0];
    const problems: string[] = [];
    const check = (what: string, got: unknown, expected: unknown) => {
      if (JSON.stringify(got) !== JSON.stringify(expected))
        problems.push(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    };
    let comparisons = 0;
    for (const story of all) {
      const label = story.name;
      const { expected } = story;
      const invoices = await reader.call<
        Array<{ id: number; amount_residual: number; payment_state: string; state: string }>
      >(
        'account.move',
        'search_read',
        [
          [
            ['move_type', '=', 'out_invoice'],
            ['ref', '=', story.invoiceRef],
            ['state', '!=', 'cancel'],
          ],
        ],
        { fields: ['amount_residual', 'payment_state', 'state'] },
      );
      check(`${label}: payer invoices`, invoices.length, 1);
      const invoice = invoices[0];
      if (!invoice) continue;
      check(
        `${label}: payer invoice`,
        {
          residual: cents(invoice.amount_residual),
          state: expected.invoice.paymentState.includes(invoice.payment_state),
        },
        { residual: expected.invoice.residualCents, state: true },
      );
      const payments = await reader.call<
        Array<Record<string, unknown> & { id: number; amount: number; move_id: unknown; partner_id: unknown }>
      >('account.payment', 'search_read', [[[memoField, 'ilike', `[rcm:era:T${run}`]]], {
        fields: [memoField, 'amount', 'move_id', 'partner_id', 'state'],
      });
      const reversedMoves = new Set(
        (
          await reader.call<Array<{ reversed_entry_id: unknown }>>(
            'account.move',
            'search_read',
            [
              [
                ['reversed_entry_id', 'in', payments.map((p) => many2oneId(p.move_id) ?? 0)],
                ['state', '=', 'posted'],
              ],
            ],
            { fields: ['reversed_entry_id'] },
          )
        ).map((r) => many2oneId(r.reversed_entry_id)),
      );
      const byMarker = (m: string) => payments.filter((p) => String(p[memoField]).includes(`[${m}]`));
      const inForce = (p: { move_id: unknown; state?: unknown }) =>
        livePaymentStates.includes(String(p.state)) && !reversedMoves.has(many2oneId(p.move_id));
      const linesOn = async (moveId: number | undefined, accountId: number | undefined) =>
        (
          await reader.call<Array<{ balance: number }>>(
            'account.move.line',
            'search_read',
            [
              [
                ['move_id', '=', moveId ?? 0],
                ['account_id', '=', accountId ?? 0],
              ],
            ],
            { fields: ['balance'] },
          )
        ).reduce((sum, line) => sum + cents(line.balance), 0);
      for (const want of expected.payments) {
        const found = byMarker(want.marker).filter(inForce);
        check(`${label}: payments ${want.marker}`, found.length, 1);
        const payment = found[0];
        if (!payment) continue;
        check(
          `${label}: payment ${want.marker}`,
          {
            amount: cents(payment.amount),
            writeOff: await linesOn(many2oneId(payment.move_id), account.account_contractual_adjustments),
            partner: many2oneId(payment.partner_id),
          },
          { amount: want.amountCents, writeOff: want.writeOffCents, partner: await partnerOf(want.payerId) },
        );
        comparisons += 3;
      }
      for (const m of expected.undone) {
        const found = byMarker(m);
        check(
          `${label}: undone ${m}`,
          { booked: found.length, inForce: found.filter(inForce).length },
          {
            booked: 1,
            inForce: 0,
          },
        );
      }
      for (const want of expected.payerCredits) {
        const found = byMarker(want.marker).filter(inForce);
        check(`${label}: payer credits ${want.marker}`, found.length, 1);
        const payment = found[0];
        if (!payment) continue;
        check(
          `${label}: payer credit ${want.marker}`,
          {
            amount: cents(payment.amount),
            onRefundLiability: -(await linesOn(many2oneId(payment.move_id), account.account_payer_refunds)),
          },
          { amount: want.amountCents, onRefundLiability: want.amountCents },
        );
        comparisons += 2;
      }
      // Credit notes in force on the payer invoice, by account.
      const refunds = await reader.call<Array<{ id: number; amount_total: number }>>(
        'account.move',
        'search_read',
        [
          [
            ['move_type', '=', 'out_refund'],
            ['reversed_entry_id', '=', invoice.id],
            ['state', '=', 'posted'],
          ],
        ],
        { fields: ['amount_total'] },
      );
      const credits: Array<{ account: string; amountCents: number }> = [];
      for (const refund of refunds) {
        const [line] = await reader.call<Array<{ account_id: unknown }>>(
          'account.move.line',
          'search_read',
          [
            [
              ['move_id', '=', refund.id],
              ['display_type', '=', 'product'],
            ],
          ],
          { fields: ['account_id'] },
        );
        const name =
          Object.entries(account).find(([, id]) => id === many2oneId(line?.account_id))?.[0] ?? 'other';
        credits.push({ account: name, amountCents: cents(refund.amount_total) });
      }
      const order = (c: { account: string; amountCents: number }) => `${c.account}:${c.amountCents}`;
      check(
        `${label}: credit notes`,
        credits.sort((a, b) => order(a).localeCompare(order(b))),
        [...expected.creditNotes].sort((a, b) => order(a).localeCompare(order(b))),
      );
      const patientInvoices = await reader.call<Array<{ amount_total: number }>>(
        'account.move',
        'search_read',
        [
          [
            ['move_type', '=', 'out_invoice'],
            ['ref', '=like', `${story.invoiceRef}-PR-%`],
            ['state', '=', 'posted'],
          ],
        ],
        { fields: ['amount_total'] },
      );
      check(
        `${label}: patient invoice`,
        patientInvoices.map((m) => cents(m.amount_total)),
        expected.patientInvoiceCents === undefined ? [] : [expected.patientInvoiceCents],
      );
      const view = (await call('GET', `/v1/workflows/${story.encounterId}`)).body as {
        state: string;
        held: unknown[];
        exceptions: Array<{ key: string }>;
      };
      check(
        `${label}: workflow`,
        { state: view.state, held: view.held.length, exceptions: view.exceptions.map((e) => e.key).sort() },
        { state: expected.workflow.state, held: 0, exceptions: [...expected.workflow.exceptions].sort() },
      );
      // The exception register agrees: what a later remittance settled (a denial paid on appeal) is closed.
      const register = (
        await call('GET', `/v1/exceptions?encounterId=${story.encounterId}&status=open&limit=200`)
      ).body as { items: Array<{ key: string }> };
      check(
        `${label}: open in the exception register`,
        register.items.map((e) => e.key).sort(),
        [...expected.workflow.exceptions].sort(),
      );
      comparisons += 5;
    }
    console.info(
      `ERA sequencing conformance (${odoo.kind}): ${all.length} stories, ${comparisons} books compared, ${Math.round((Date.now() - started) / 1000)} s`,
    );
    expect(problems).toEqual([]);
  }, 900_000);

  it('books the deposit of an uploaded ERA and of an ERA with claims it cannot place, and shows the unplaced money', async () => {
    // Issue 14: (1) an 835 that arrives by upload (/v1/remittance-uploads → the upload processor) books BPR02 by
    // TRN02 as POST /v1/remittances does; (2) an ERA with a claim the hub cannot place — or none placed at all —
    // still books its deposit, and finance gets the unplaced money with payer and trace.
    const placedA = await seed('UPLA', 20_000);
    const placedB = await seed('UPLB', 10_000);
    await hub.waitForIdle();
    const uploadTrace = `T${run}UPL`;
    const file = era(
      {
        ...spec(uploadTrace, '2026-11-28', [
          claim(placedA.claimId, `P${run}UA`, '1', 20_000, 16_000, [CO(4_000)]),
          claim(placedB.claimId, `P${run}UB`, '1', 10_000, 10_000, []),
          claim(`CLM-SEQ-${run}-NOPE`, `P${run}UX`, '1', 30_000, 25_000, [CO(5_000)]),
        ]),
        providerAdjustments: [{ reason: 'L6', amountCents: -750 }],
      },
      '780000001',
    );
    const created = await call('POST', '/v1/remittance-uploads');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const upload = created.body as { uploadUrl: string; statusUrl: string };
    const put = await fetch(upload.uploadUrl, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/edi-x12' },
      body: Buffer.from(file, 'latin1'),
    });
    expect(put.status).toBe(200);
    const outcome = await eventually(
      async () => {
        const view = await call('GET', upload.statusUrl);
        return ['accepted', 'rejected'].includes(view.body.status as string) ? view.body : undefined;
      },
      300_000,
      'upload outcome',
    );
    expect(outcome).toMatchObject({ status: 'accepted', counts: { claims: 3, events: 2, unmatched: 1 } });
    // (2) by POST: no claim of the ERA is known; N1*PR names the hub payer.
    const noneTrace = `T${run}NONE`;
    await postEra(
      era(
        spec(
          noneTrace,
          '2026-11-29',
          [claim(`CLM-SEQ-${run}-NONE`, `P${run}NX`, '1', 15_000, 12_000, [CO(3_000)])],
          PAYER,
        ),
        '780000002',
      ),
    );
    await hub.waitForIdle();

    const reader = odoo.reader;
    const accountId = async (code: string) =>
      (await reader.call<number[]>('account.account', 'search', [[['code', '=', code]]], { limit: 1 }))[0];
    const [clearing, interest] = [await accountId('101403'), await accountId('451000')];
    const entryLines = async (trace: string) => {
      const moves = await reader.call<Array<{ id: number; state: string }>>(
        'account.move',
        'search_read',
        [
          [
            ['ref', '=', trace],
            ['move_type', '=', 'entry'],
          ],
        ],
        { fields: ['state'] },
      );
      expect(moves.map((m) => m.state)).toEqual(['posted']);
      const lines = await reader.call<
        Array<{ name: string; balance: number; amount_residual: number; account_id: unknown }>
      >('account.move.line', 'search_read', [[['move_id', '=', moves[0]?.id ?? 0]]], {
        fields: ['name', 'balance', 'amount_residual', 'account_id'],
        order: 'id',
      });
      return lines.map((l) => [many2oneId(l.account_id), cents(l.balance), cents(l.amount_residual), l.name]);
    };
    // The uploaded ERA: BPR02 517.50 open for the bank line; the claim payments line matched with the two
    // placed claims' payments (160.00 + 100.00), 250.00 open for the claim the hub could not place; L6 income.
    expect(await entryLines(uploadTrace)).toEqual([
      [clearing, 51_750, 51_750, `ERA ${uploadTrace} deposit (ACH) from payer ${PAYER}`],
      [clearing, -51_000, -25_000, `ERA ${uploadTrace} claim payments (3 claims)`],
      [interest, -750, 0, `PLB L6 interest owed (ERA ${uploadTrace}, payer ${PAYER})`],
    ]);
    // Nothing placed: the deposit is still BPR02, the claim-payments line wholly open.
    expect(await entryLines(noneTrace)).toEqual([
      [clearing, 12_000, 12_000, `ERA ${noneTrace} deposit (ACH) from payer ${PAYER}`],
      [clearing, -12_000, -12_000, `ERA ${noneTrace} claim payments (1 claims)`],
    ]);
    // Finance sees the unplaced money with payer and trace; billing the unplaced claims to place.
    const open = (await call('GET', `/v1/exceptions?status=open&team=finance&limit=200`)).body as {
      items: Array<{
        key: string;
        amountCents: number;
        payerId?: string;
        subjects: { traceNumber?: string };
      }>;
    };
    const unplaced = open.items
      .filter((e) => e.key.endsWith(':unplaced') && e.key.includes(run))
      .map((e) => [e.key, e.amountCents, e.payerId, e.subjects.traceNumber])
      .sort();
    expect(unplaced).toEqual([
      [`era-deposit:${noneTrace}:unplaced`, 12_000, PAYER, noneTrace],
      [`era-deposit:${uploadTrace}:unplaced`, 25_000, PAYER, uploadTrace],
    ]);
    // Reconciliation: the deposit is BPR02; the variance is the unplaced money, and it says so.
    const ledger = new OdooEraDepositLedger(reader);
    const deposit = (trace: string, depositCents: number, unplacedCents: number): EraDepositReceived => ({
      traceNumber: trace,
      payerId: PAYER,
      date: '2026-11-28',
      method: 'ACH',
      depositCents,
      claimPayments: [],
      unplaced: { claims: 1, paidCents: unplacedCents },
      providerAdjustments: [],
    });
    const upl = compareDeposit(
      { ...deposit(uploadTrace, 51_750, 25_000), providerAdjustments: [{ reason: 'L6', amountCents: -750 }] },
      await ledger.booked(uploadTrace),
    );
    expect(upl.map((d) => [d.class, d.amountCents])).toEqual([['deposit_variance', 25_000]]);
    expect(upl[0]?.reason).toContain('which explains the whole difference');
    const none = compareDeposit(deposit(noneTrace, 12_000, 12_000), await ledger.booked(noneTrace));
    expect(none.map((d) => [d.class, d.amountCents])).toEqual([['deposit_variance', 12_000]]);
    // The two placed claims are booked as any claim payment: their invoices are closed.
    for (const placed of [placedA, placedB]) {
      const view = (await call('GET', `/v1/workflows/${placed.encounterId}`)).body as { state: string };
      const [invoice] = await reader.call<Array<{ amount_residual: number }>>(
        'account.move',
        'search_read',
        [
          [
            ['move_type', '=', 'out_invoice'],
            ['ref', '=', invoiceOf(placed.claimId)],
          ],
        ],
        { fields: ['amount_residual'] },
      );
      expect([view.state, cents(invoice?.amount_residual ?? -1)]).toEqual(['payment_posted', 0]);
    }
  }, 900_000);

  it('books what a JSON partner sends as an 835 would book it: claim interest, PLB, the deposit, a correction before its reversal', async () => {
    // Issue 14: POST /v1/remittances (interestAmount, reversalRemittanceId) and POST /v1/remittance-deposits.
    const json = async (path: string, body: unknown) => {
      const first = await call('POST', path, body);
      expect(first.status, JSON.stringify(first.body)).toBe(202);
      // A redelivery under a new key books nothing twice.
      expect((await call('POST', path, body)).status).toBe(202);
    };
    const remittance = (
      seeded: { encounterId: string; claimId: string },
      body: Record<string, unknown>,
    ): Record<string, unknown> => ({
      encounterId: seeded.encounterId,
      facilityId: 'FAC-SEQ',
      claimId: seeded.claimId,
      payerId: PAYER,
      adjustments: [],
      ...body,
    });
    const j1 = await seed('JSON1', 15_000);
    const j2 = await seed('JSON2', 8_000);
    const j3 = await seed('JSON3', 20_000);
    await hub.waitForIdle();
    const trace = `J${run}DEP`;
    const payment = { traceNumber: trace, method: 'ACH', date: '2026-11-30' };
    // J1 paid 105.25 of which 5.25 prompt-pay interest; CO-45 50.00 (150.00 − 50.00 = 105.25 − 5.25).
    await json(
      '/v1/remittances',
      remittance(j1, {
        remittanceId: `${trace}-1`,
        payerClaimControlNumber: `Q${run}J1`,
        claimStatus: '1',
        billedAmount: '150.00',
        paidAmount: '105.25',
        interestAmount: '5.25',
        adjustments: [{ group: 'CO', reason: '45', amount: '50.00' }],
        payment,
      }),
    );
    await json(
      '/v1/remittances',
      remittance(j2, {
        remittanceId: `${trace}-2`,
        payerClaimControlNumber: `Q${run}J2`,
        claimStatus: '1',
        billedAmount: '80.00',
        paidAmount: '80.00',
        payment,
      }),
    );
    // The ERA: claims 185.25, PLB L6 −7.50 (interest), WO 10.00 (recoupment): BPR02 182.75.
    await json('/v1/remittance-deposits', {
      traceNumber: trace,
      payerId: PAYER,
      method: 'ACH',
      date: '2026-11-30',
      depositAmount: '182.75',
      claimPayments: [
        { claimId: j1.claimId, paidAmount: '105.25', interestAmount: '5.25' },
        { claimId: j2.claimId, paidAmount: '80.00' },
      ],
      providerAdjustments: [
        { reason: 'L6', amount: '-7.50' },
        { reason: 'WO', reference: 'OLD-1', amount: '10.00' },
      ],
    });
    // J3: paid 170.00 (+ CO-45 30.00) in ERA K1; ERA K2 reverses it and corrects it to 180.00 under a new payer
    // claim number — the partner posts the correction first.
    const k1 = { traceNumber: `K${run}1`, method: 'ACH', date: '2026-11-10' };
    const k2 = { traceNumber: `K${run}2`, method: 'ACH', date: '2026-11-30' };
    await json(
      '/v1/remittances',
      remittance(j3, {
        remittanceId: `K${run}-ORIG`,
        payerClaimControlNumber: `Q${run}J3`,
        claimStatus: '1',
        billedAmount: '200.00',
        paidAmount: '170.00',
        adjustments: [{ group: 'CO', reason: '45', amount: '30.00' }],
        payment: k1,
      }),
    );
    await hub.waitForIdle();
    await json(
      '/v1/remittances',
      remittance(j3, {
        remittanceId: `K${run}-CORR`,
        payerClaimControlNumber: `Q${run}J3B`,
        claimStatus: '1',
        billedAmount: '200.00',
        paidAmount: '180.00',
        adjustments: [{ group: 'CO', reason: '45', amount: '20.00' }],
        reversalRemittanceId: `K${run}-REV`,
        payment: k2,
      }),
    );
    await hub.waitForIdle();
    await json(
      '/v1/remittances',
      remittance(j3, {
        remittanceId: `K${run}-REV`,
        payerClaimControlNumber: `Q${run}J3`,
        claimStatus: '22',
        billedAmount: '-200.00',
        paidAmount: '-170.00',
        adjustments: [{ group: 'CO', reason: '45', amount: '-30.00' }],
        payment: k2,
      }),
    );
    await hub.waitForIdle();

    const reader = odoo.reader;
    const { paymentMemoField: memoField, livePaymentStates } = await reader.dialect();
    const accountId = async (code: string) =>
      (await reader.call<number[]>('account.account', 'search', [[['code', '=', code]]], { limit: 1 }))[0];
    const [clearing, interest] = [await accountId('101403'), await accountId('451000')];
    const invoice = async (claimId: string) =>
      (
        await reader.call<Array<{ amount_residual: number; payment_state: string }>>(
          'account.move',
          'search_read',
          [
            [
              ['move_type', '=', 'out_invoice'],
              ['ref', '=', invoiceOf(claimId)],
            ],
          ],
          { fields: ['amount_residual', 'payment_state'] },
        )
      ).map((m) => [cents(m.amount_residual), m.payment_state]);
    const paymentsOf = async (marker: string) =>
      (
        await reader.call<
          Array<Record<string, unknown> & { amount: number; move_id: unknown; state: string }>
        >('account.payment', 'search_read', [[[memoField, 'ilike', marker]]], {
          fields: ['amount', 'move_id', 'state', memoField],
        })
      ).filter((p) => String(p[memoField]).includes(marker));
    const livePayments = async (marker: string) =>
      (await paymentsOf(marker)).filter((p) => livePaymentStates.includes(p.state));
    const reversedMoves = async (moveIds: number[]) =>
      (
        await reader.call<Array<{ reversed_entry_id: unknown }>>(
          'account.move',
          'search_read',
          [
            [
              ['reversed_entry_id', 'in', moveIds],
              ['state', '=', 'posted'],
            ],
          ],
          { fields: ['reversed_entry_id'] },
        )
      ).map((r) => many2oneId(r.reversed_entry_id));
    // J1's invoice is paid 100.00 (not 105.25: the interest is not the invoice's) + 50.00 written off; J2 80.00.
    expect(await invoice(j1.claimId)).toEqual([[0, 'paid']]);
    expect((await livePayments(`[rcm:era:${trace}-1:payment]`)).map((p) => cents(p.amount))).toEqual([
      10_000,
    ]);
    expect(await invoice(j2.claimId)).toEqual([[0, 'paid']]);
    // The deposit entry: as an 835's, to the cent.
    const [move] = await reader.call<Array<{ id: number; state: string }>>(
      'account.move',
      'search_read',
      [
        [
          ['ref', '=', trace],
          ['move_type', '=', 'entry'],
        ],
      ],
      { fields: ['state'] },
    );
    expect(move?.state).toBe('posted');
    const lines = await reader.call<
      Array<{ name: string; balance: number; amount_residual: number; account_id: unknown }>
    >('account.move.line', 'search_read', [[['move_id', '=', move?.id ?? 0]]], {
      fields: ['name', 'balance', 'amount_residual', 'account_id'],
      order: 'id',
    });
    const [payer] = await reader.call<Array<{ property_account_receivable_id: unknown }>>(
      'res.partner',
      'search_read',
      [[['ref', '=', `rcm:payer:${PAYER}`]]],
      { fields: ['property_account_receivable_id'] },
    );
    const receivable = many2oneId(payer?.property_account_receivable_id);
    expect(lines.map((l) => [many2oneId(l.account_id), cents(l.balance), l.name])).toEqual([
      [clearing, 18_275, `ERA ${trace} deposit (ACH) from payer ${PAYER}`],
      [clearing, -18_000, `ERA ${trace} claim payments (2 claims)`],
      [interest, -525, `AMT*I interest on claim ${j1.claimId} (ERA ${trace}, payer ${PAYER})`],
      [interest, -750, `PLB L6 interest owed (ERA ${trace}, payer ${PAYER})`],
      [receivable, 1_000, `PLB WO overpayment recovery ref OLD-1 (ERA ${trace}, payer ${PAYER})`],
    ]);
    // The claim payments are matched with the entry: only BPR02 stays open for the bank line.
    expect(lines.slice(0, 2).map((l) => cents(l.amount_residual))).toEqual([18_275, 0]);
    const booked = await new OdooEraDepositLedger(reader).booked(trace);
    expect(
      compareDeposit(
        {
          traceNumber: trace,
          payerId: PAYER,
          date: '2026-11-30',
          method: 'ACH',
          depositCents: 18_275,
          claimPayments: [
            { claimId: j1.claimId, paidCents: 10_000, interestCents: 525 },
            { claimId: j2.claimId, paidCents: 8_000 },
          ],
          providerAdjustments: [
            { reason: 'L6', amountCents: -750 },
            { reason: 'WO', reference: 'OLD-1', amountCents: 1_000 },
          ],
        },
        booked,
      ),
    ).toEqual([]);
    // J3: the original undone, the correction (posted first) booked after its reversal; the invoice paid.
    // The original: booked once, no longer in force (its entry reversed; Odoo 19 also moves the payment's state).
    const original = await paymentsOf(`[rcm:era:K${run}-ORIG:payment]`);
    const correction = await livePayments(`[rcm:era:K${run}-CORR:payment]`);
    expect(original).toHaveLength(1);
    const reversed = await reversedMoves(original.map((p) => many2oneId(p.move_id) ?? 0));
    expect(
      original.filter(
        (p) => livePaymentStates.includes(p.state) && !reversed.includes(many2oneId(p.move_id)),
      ),
    ).toEqual([]);
    expect(correction.map((p) => cents(p.amount))).toEqual([18_000]);
    expect(await invoice(j3.claimId)).toEqual([[0, 'paid']]);
    const view = (await call('GET', `/v1/workflows/${j3.encounterId}`)).body as {
      state: string;
      exceptions: Array<{ key: string }>;
    };
    expect([view.state, view.exceptions.map((e) => e.key)]).toEqual(['payment_posted', []]);
  }, 900_000);
});
