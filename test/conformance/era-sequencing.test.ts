import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LEDGER_SETUP, ensureHubSetup, HUB_MODULE } from '../../lambdas/adapters/odoo/accounts.js';
import { type ClaimSpec, type RemittanceSpec, write835 } from '../../lambdas/core/x12/write-835.js';
import type { Hub } from '../../local/runtime.js';
import { seedClaimThroughApi } from '../integration/support/claims.js';
import { accessToken, startTestHub } from '../integration/support/hub.js';
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

const claim = (
  claimId: string,
  pccn: string,
  status: string,
  billed: number,
  paid: number,
  adjustments: ClaimSpec['adjustments'],
): ClaimSpec => ({
  claimId,
  status,
  billedCents: billed,
  paidCents: paid,
  filingIndicator: '12',
  payerClaimControlNumber: pccn,
  adjustments,
  services: [],
  serviceDate: '2026-11-02',
});

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
    const memoField = (await reader.dialect()).paymentMemoField;
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
        p.state === 'posted' && !reversedMoves.has(many2oneId(p.move_id));
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
});
