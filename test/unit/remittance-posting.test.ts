import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remittanceBalanceViolations } from '../../lambdas/core/balancing.js';
import type { PostingPlan, PostingStep } from '../../lambdas/core/posting-plan.js';
import type { RemittanceClaimStatus, RemittanceReceived } from '../../lambdas/core/remittance.js';
import {
  PostingDependencyMissing,
  patientInvoiceId,
  planRemittancePosting,
  type RemittancePostingContext,
} from '../../lambdas/core/remittance-posting.js';

/** Posting rules for an 835 claim payment, as finance reads them (docs/posting-rules.md). */

type Adjustment = RemittanceReceived['adjustments'][number];

function remittance(overrides: Partial<RemittanceReceived> = {}): RemittanceReceived {
  const adjustments = overrides.adjustments ?? [];
  return {
    remittanceId: 'ERA-1',
    encounterId: 'ENC-1',
    facilityId: 'FAC-1',
    claimId: 'CLM-1',
    payerId: 'PAYER-1',
    payerClaimControlNumber: 'PCN-1',
    claimStatus: '1',
    billedCents: 20_000,
    paidCents: 20_000,
    patientResponsibilityCents: adjustments
      .filter((a) => a.group === 'PR')
      .reduce((s, a) => s + a.amountCents, 0),
    adjustments,
    payment: { traceNumber: 'TRN-9', method: 'ACH', date: '2026-11-02' },
    ...overrides,
  };
}

function context(overrides: Partial<RemittancePostingContext> = {}): RemittancePostingContext {
  return {
    payerInvoice: { invoiceId: 'INV-1', totalCents: 20_000, residualCents: 20_000 },
    patientId: 'PAT-1',
    ...overrides,
  };
}

function step<K extends PostingStep['kind']>(
  plan: PostingPlan,
  kind: K,
): Array<Extract<PostingStep, { kind: K }>> {
  return plan.steps.filter((s): s is Extract<PostingStep, { kind: K }> => s.kind === kind);
}

const co45 = (amountCents: number): Adjustment => ({ group: 'CO', reason: '45', amountCents });
const pr = (reason: string, amountCents: number): Adjustment => ({ group: 'PR', reason, amountCents });

describe('posting a paid claim', () => {
  it('a claim paid in full closes the payer invoice with one payment and nothing else', () => {
    // Prepare
    const r = remittance();

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(plan).toEqual({
      steps: [
        {
          kind: 'payment',
          ref: 'rcm:era:ERA-1:payment',
          invoiceId: 'INV-1',
          partner: { kind: 'payer', id: 'PAYER-1' },
          amountCents: 20_000,
          date: '2026-11-02',
          memo: 'ERA TRN-9 claim CLM-1',
        },
      ],
      exceptions: [],
      summary: { paidCents: 20_000, adjustedCents: 0, patientResponsibilityCents: 0, patientPaidCents: 0 },
    });
  });

  it('a CO-45 adjustment closes the payer invoice at the allowed amount', () => {
    // Prepare
    const r = remittance({ paidCents: 14_000, adjustments: [co45(6_000)] });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(plan.steps).toEqual([
      {
        kind: 'payment',
        ref: 'rcm:era:ERA-1:payment',
        invoiceId: 'INV-1',
        partner: { kind: 'payer', id: 'PAYER-1' },
        amountCents: 14_000,
        date: '2026-11-02',
        memo: 'ERA TRN-9 claim CLM-1',
        writeOff: {
          amountCents: 6_000,
          account: 'contractualAdjustments',
          label: 'CO-45 contractual adjustment (ERA TRN-9)',
        },
      },
    ]);
    expect(plan.exceptions).toEqual([]);
    expect(plan.summary).toEqual({
      paidCents: 14_000,
      adjustedCents: 6_000,
      patientResponsibilityCents: 0,
      patientPaidCents: 0,
    });
  });

  it('several contractual reasons are written off together and named each once', () => {
    // Prepare
    const r = remittance({
      paidCents: 13_000,
      adjustments: [co45(4_000), { group: 'CO', reason: '253', amountCents: 1_000 }, co45(2_000)],
    });

    // Act
    const [payment] = step(planRemittancePosting(r, context()), 'payment');

    // Assess
    expect(payment?.writeOff).toEqual({
      amountCents: 7_000,
      account: 'contractualAdjustments',
      label: 'CO-45, CO-253 contractual adjustment (ERA TRN-9)',
    });
  });

  it('deductible, coinsurance and copay move from the payer invoice to a patient invoice, one line each', () => {
    // Prepare
    const r = remittance({
      paidCents: 9_000,
      adjustments: [co45(5_000), pr('1', 3_000), pr('2', 2_000), pr('3', 1_000)],
    });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(plan.steps.map((s) => s.ref)).toEqual([
      'rcm:era:ERA-1:pr-credit',
      'rcm:era:ERA-1:pr-invoice',
      'rcm:era:ERA-1:payment',
    ]);
    expect(step(plan, 'creditNote')).toEqual([
      {
        kind: 'creditNote',
        ref: 'rcm:era:ERA-1:pr-credit',
        invoiceId: 'INV-1',
        amountCents: 6_000,
        account: 'patientResponsibilityTransfer',
        label:
          'Patient responsibility moved to the patient: deductible (PR-1), coinsurance (PR-2), copay (PR-3) (ERA TRN-9)',
        date: '2026-11-02',
      },
    ]);
    expect(step(plan, 'patientInvoice')).toEqual([
      {
        kind: 'patientInvoice',
        ref: 'rcm:era:ERA-1:pr-invoice',
        invoiceId: 'INV-1-PR-ERA-1',
        patientId: 'PAT-1',
        issueDate: '2026-11-02',
        lines: [
          { label: 'Deductible (PR-1) for claim CLM-1 per payer PAYER-1', amountCents: 3_000 },
          { label: 'Coinsurance (PR-2) for claim CLM-1 per payer PAYER-1', amountCents: 2_000 },
          { label: 'Copay (PR-3) for claim CLM-1 per payer PAYER-1', amountCents: 1_000 },
        ],
      },
    ]);
    expect(step(plan, 'payment')[0]?.writeOff?.amountCents).toBe(5_000);
    expect(plan.summary).toEqual({
      paidCents: 9_000,
      adjustedCents: 5_000,
      patientResponsibilityCents: 6_000,
      patientPaidCents: 0,
    });
  });

  it('a PR reason other than deductible, coinsurance or copay is named by its code', () => {
    // Prepare
    const r = remittance({ paidCents: 15_000, adjustments: [pr('96', 5_000)] });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(step(plan, 'creditNote')[0]?.label).toContain('patient responsibility (PR-96)');
    expect(step(plan, 'patientInvoice')[0]?.lines).toEqual([
      { label: 'Patient responsibility (PR-96) for claim CLM-1 per payer PAYER-1', amountCents: 5_000 },
    ]);
  });

  it('adjustments go by reason code class: OA-94 is contractual, OA and PI otherwise to their own accounts', () => {
    // Prepare: CO-45 and OA-94 (processed in excess of charges) are the contract; OA-121 and PI-104 are not.
    const r = remittance({
      paidCents: 15_000,
      adjustments: [
        co45(3_000),
        { group: 'OA', reason: '94', amountCents: 1_000 },
        { group: 'OA', reason: '121', amountCents: 500 },
        { group: 'PI', reason: '104', amountCents: 500 },
      ],
    });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(step(plan, 'creditNote')).toEqual([
      {
        kind: 'creditNote',
        ref: 'rcm:era:ERA-1:oa-credit',
        invoiceId: 'INV-1',
        amountCents: 500,
        account: 'otherAdjustments',
        label: 'OA-121 other adjustment (ERA TRN-9)',
        date: '2026-11-02',
      },
      {
        kind: 'creditNote',
        ref: 'rcm:era:ERA-1:pi-credit',
        invoiceId: 'INV-1',
        amountCents: 500,
        account: 'payerInitiatedReductions',
        label: 'PI-104 payer-initiated reduction (ERA TRN-9)',
        date: '2026-11-02',
      },
    ]);
    expect(step(plan, 'payment')[0]?.writeOff).toEqual({
      amountCents: 4_000,
      account: 'contractualAdjustments',
      label: 'CO-45, OA-94 contractual adjustment (ERA TRN-9)',
    });
    expect(plan.summary.adjustedCents).toBe(5_000);
  });

  it('a denied line of a paid claim stays receivable on the payer invoice and goes to billing', () => {
    // Prepare: line 1 paid 120.00 after CO-45 30.00; line 2 (50.00) denied CO-50, not medically necessary.
    const r = remittance({
      paidCents: 12_000,
      adjustments: [co45(3_000), { group: 'CO', reason: '50', amountCents: 5_000 }],
    });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess: CO-45 cannot ride on the payment (the invoice stays open by 50.00), so it is a credit note.
    expect(plan.steps).toEqual([
      expect.objectContaining({
        kind: 'creditNote',
        ref: 'rcm:era:ERA-1:co-credit',
        amountCents: 3_000,
        account: 'contractualAdjustments',
        label: 'CO-45 contractual adjustment (ERA TRN-9)',
      }),
      expect.objectContaining({ kind: 'payment', amountCents: 12_000 }),
    ]);
    expect(step(plan, 'payment')[0]?.writeOff).toBeUndefined();
    expect(plan.exceptions).toEqual([
      {
        key: 'era:ERA-1:denied-lines',
        team: 'billing',
        reason:
          "payer PAYER-1 denied 50.00 of claim CLM-1 (CO-50 Non-covered: not deemed a 'medical necessity' by the payer); the amount stays open on invoice INV-1: appeal or rebill, or resolve as not recoverable to write it off",
        amountCents: 5_000,
      },
    ]);
    expect(plan.summary).toEqual({
      paidCents: 12_000,
      adjustedCents: 3_000,
      patientResponsibilityCents: 0,
      patientPaidCents: 0,
    });
  });

  it('denial codes are denials under OA and PI too, and each is named with its description', () => {
    // Prepare
    const r = remittance({
      paidCents: 16_000,
      adjustments: [
        { group: 'OA', reason: '18', amountCents: 2_500 },
        { group: 'PI', reason: '197', amountCents: 1_500 },
      ],
    });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(plan.steps).toEqual([expect.objectContaining({ kind: 'payment', amountCents: 16_000 })]);
    expect(plan.exceptions).toEqual([
      expect.objectContaining({
        key: 'era:ERA-1:denied-lines',
        amountCents: 4_000,
        reason: expect.stringContaining(
          'OA-18 Exact duplicate claim/service; PI-197 Precertification/notification/authorization/pre-treatment absent',
        ),
      }),
    ]);
  });

  it('a secondary payer pays the residual and its OA-23 prior-payer impact is not booked again', () => {
    // Prepare: the primary paid 120.00 and wrote off 50.00; 30.00 coinsurance is left for the secondary.
    const r = remittance({
      claimStatus: '2',
      paidCents: 3_000,
      adjustments: [{ group: 'OA', reason: '23', amountCents: 17_000 }],
    });
    const ctx = context({ payerInvoice: { invoiceId: 'INV-1', totalCents: 20_000, residualCents: 3_000 } });

    // Act
    const plan = planRemittancePosting(r, ctx);

    // Assess
    expect(plan.steps).toEqual([expect.objectContaining({ kind: 'payment', amountCents: 3_000 })]);
    expect(step(plan, 'payment')[0]?.writeOff).toBeUndefined();
    expect(plan.exceptions).toEqual([]);
    expect(plan.summary).toEqual({
      paidCents: 3_000,
      adjustedCents: 0,
      patientResponsibilityCents: 0,
      patientPaidCents: 0,
    });
  });
});

describe('posting a zero-paid claim with patient responsibility', () => {
  it('a deductible not met moves the allowed amount to the patient; a 0.00 payment carries the CO write-off', () => {
    // Prepare
    const r = remittance({ paidCents: 0, adjustments: [co45(5_000), pr('1', 15_000)] });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess: closed by a (0.00) payment, Odoo reads the invoice `paid`, not `reversed`.
    expect(plan.steps.map((s) => [s.ref, 'amountCents' in s ? s.amountCents : undefined])).toEqual([
      ['rcm:era:ERA-1:pr-credit', 15_000],
      ['rcm:era:ERA-1:pr-invoice', undefined],
      ['rcm:era:ERA-1:payment', 0],
    ]);
    expect(step(plan, 'creditNote')[0]).toMatchObject({ account: 'patientResponsibilityTransfer' });
    expect(step(plan, 'payment')[0]).toEqual({
      kind: 'payment',
      ref: 'rcm:era:ERA-1:payment',
      invoiceId: 'INV-1',
      partner: { kind: 'payer', id: 'PAYER-1' },
      amountCents: 0,
      date: '2026-11-02',
      memo: 'ERA TRN-9 claim CLM-1',
      writeOff: {
        amountCents: 5_000,
        account: 'contractualAdjustments',
        label: 'CO-45 contractual adjustment (ERA TRN-9)',
      },
    });
    expect(step(plan, 'patientInvoice')[0]?.lines).toEqual([
      { label: 'Deductible (PR-1) for claim CLM-1 per payer PAYER-1', amountCents: 15_000 },
    ]);
    expect(plan.exceptions).toEqual([]);
    expect(plan.summary).toEqual({
      paidCents: 0,
      adjustedCents: 5_000,
      patientResponsibilityCents: 15_000,
      patientPaidCents: 0,
    });
  });

  it('with nothing paid and no contractual amount, the 0.00 payment carries the PR transfer itself', () => {
    // Prepare
    const r = remittance({ paidCents: 0, adjustments: [pr('1', 20_000)] });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(step(plan, 'creditNote')).toEqual([]);
    expect(step(plan, 'patientInvoice')).toHaveLength(1);
    expect(step(plan, 'payment')[0]).toMatchObject({
      amountCents: 0,
      writeOff: {
        amountCents: 20_000,
        account: 'patientResponsibilityTransfer',
        label: 'Patient responsibility moved to the patient: deductible (PR-1) (ERA TRN-9)',
      },
    });
  });

  it('with a denied line left open, nothing is closed and the adjustments are credit notes', () => {
    // Prepare
    const r = remittance({
      paidCents: 0,
      adjustments: [co45(5_000), pr('1', 10_000), { group: 'CO', reason: '16', amountCents: 5_000 }],
    });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(plan.steps.map((s) => s.ref)).toEqual([
      'rcm:era:ERA-1:pr-credit',
      'rcm:era:ERA-1:pr-invoice',
      'rcm:era:ERA-1:co-credit',
    ]);
    expect(plan.exceptions.map((e) => [e.key, e.amountCents])).toEqual([['era:ERA-1:denied-lines', 5_000]]);
  });
});

describe('a denied claim', () => {
  it('a denial (claim status 4) posts nothing and asks billing to work it for the billed amount', () => {
    // Prepare
    const r = remittance({
      claimStatus: '4',
      paidCents: 0,
      adjustments: [
        { group: 'CO', reason: '16', amountCents: 15_000 },
        { group: 'OA', reason: 'A7', amountCents: 5_000 },
      ],
    });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(plan).toEqual({
      steps: [],
      exceptions: [
        {
          key: 'era:ERA-1:denied',
          team: 'billing',
          reason:
            'claim CLM-1 denied by payer PAYER-1 (claim status 4): CO-16, OA-A7; the invoice stays open',
          amountCents: 20_000,
        },
      ],
      summary: { paidCents: 0, adjustedCents: 0, patientResponsibilityCents: 0, patientPaidCents: 0 },
    });
  });

  it('a zero payment whose whole charge is contractual is a write-off with nothing paid, not a denial', () => {
    // Prepare: CO-97 (bundled into another service's allowance) for the whole charge, nothing denied.
    const r = remittance({ paidCents: 0, adjustments: [{ group: 'CO', reason: '97', amountCents: 20_000 }] });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess: a 0.00 payment carrying the contractual write-off closes the invoice (Odoo: `paid`); no exception.
    expect(plan).toEqual({
      steps: [
        {
          kind: 'payment',
          ref: 'rcm:era:ERA-1:payment',
          invoiceId: 'INV-1',
          partner: { kind: 'payer', id: 'PAYER-1' },
          amountCents: 0,
          date: '2026-11-02',
          memo: 'ERA TRN-9 claim CLM-1',
          writeOff: {
            amountCents: 20_000,
            account: 'contractualAdjustments',
            label: 'CO-97 contractual adjustment (ERA TRN-9)',
          },
        },
      ],
      exceptions: [],
      summary: { paidCents: 0, adjustedCents: 20_000, patientResponsibilityCents: 0, patientPaidCents: 0 },
    });
  });

  it('a zero contractual payment on an invoice it does not close books the adjustment as a credit note', () => {
    // Prepare: the payer adjudicated 150.00 of a 200.00 invoice, all of it CO-45.
    const r = remittance({ billedCents: 15_000, paidCents: 0, adjustments: [co45(15_000)] });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess: the credit note is exactly CO; no payment of nothing; the difference is billing's, not a denial.
    expect(plan.steps).toEqual([
      expect.objectContaining({ kind: 'creditNote', amountCents: 15_000, account: 'contractualAdjustments' }),
    ]);
    expect(plan.exceptions.map((e) => e.key)).toEqual(['era:ERA-1:billed-differs']);
  });

  it('a zero payment with a denied amount beside the contractual one is still a denial of the claim', () => {
    // Prepare
    const r = remittance({
      paidCents: 0,
      adjustments: [co45(5_000), { group: 'CO', reason: '50', amountCents: 15_000 }],
    });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.exceptions).toEqual([
      {
        key: 'era:ERA-1:denied',
        team: 'billing',
        reason:
          'claim CLM-1 paid 0.00 by payer PAYER-1 with no patient responsibility (claim status 1): CO-45, CO-50; the invoice stays open',
        amountCents: 20_000,
      },
    ]);
  });

  it('a claim the payer forwards as not theirs (23) posts nothing and goes to billing', () => {
    // Prepare
    const r = remittance({
      claimStatus: '23',
      paidCents: 0,
      adjustments: [{ group: 'OA', reason: '109', amountCents: 20_000 }],
    });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.exceptions).toEqual([
      expect.objectContaining({ key: 'era:ERA-1:not-adjudicated', team: 'billing', amountCents: 20_000 }),
    ]);
  });
});

describe('a reversal', () => {
  const reversal = remittance({
    remittanceId: 'ERA-2',
    claimStatus: '22',
    billedCents: -20_000,
    paidCents: -14_000,
    adjustments: [co45(-6_000)],
    payment: { traceNumber: 'TRN-10', method: 'ACH', date: '2026-12-01' },
  });

  it('a reversal (22) undoes everything the original remittance posted', () => {
    // Prepare
    const original = { remittanceId: 'ERA-1', stepRefs: ['rcm:era:ERA-1:payment'] };

    // Act
    const plan = planRemittancePosting(reversal, context({ original }));

    // Assess
    expect(plan).toEqual({
      steps: [
        {
          kind: 'reverse',
          ref: 'rcm:era:ERA-2:reversal',
          reversesRefs: ['rcm:era:ERA-1:payment'],
          date: '2026-12-01',
          reason: 'ERA TRN-10 reversal (claim status 22) of remittance ERA-1, payer claim PCN-1',
        },
      ],
      exceptions: [],
      summary: {
        paidCents: -14_000,
        adjustedCents: -6_000,
        patientResponsibilityCents: 0,
        patientPaidCents: 0,
      },
    });
  });

  it('a reversal of a remittance the hub never posted books nothing and goes to billing', () => {
    // Prepare
    const ctx = context();

    // Act
    const plan = planRemittancePosting(reversal, ctx);

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.exceptions).toEqual([
      {
        key: 'era:ERA-2:reversal-unmatched',
        team: 'billing',
        reason:
          'reversal of a remittance the hub never posted: payer PAYER-1 reversed claim CLM-1 (payer claim PCN-1) for -140.00',
        amountCents: 14_000,
      },
    ]);
  });

  it('a reversal of a denial that booked nothing has nothing to undo', () => {
    // Prepare
    const original = { remittanceId: 'ERA-1', stepRefs: [] };

    // Act
    const plan = planRemittancePosting(reversal, context({ original }));

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.exceptions).toEqual([]);
  });
});

describe('an overpayment', () => {
  it('paying more than the invoice still owes registers the whole payment and reports the unapplied cash', () => {
    // Prepare: 50.00 of the invoice was already paid by an earlier remittance.
    const r = remittance({ paidCents: 14_000, adjustments: [co45(6_000)] });
    const ctx = context({ payerInvoice: { invoiceId: 'INV-1', totalCents: 20_000, residualCents: 15_000 } });

    // Act
    const plan = planRemittancePosting(r, ctx);

    // Assess
    expect(plan.steps).toEqual([
      expect.objectContaining({ kind: 'creditNote', ref: 'rcm:era:ERA-1:co-credit', amountCents: 6_000 }),
      expect.objectContaining({ kind: 'payment', amountCents: 14_000 }),
    ]);
    expect(step(plan, 'payment')[0]?.writeOff).toBeUndefined();
    expect(plan.exceptions).toEqual([
      {
        key: 'era:ERA-1:overpayment',
        team: 'finance',
        reason:
          "overpayment of 50.00 by payer PAYER-1 on claim CLM-1: paid 140.00 but invoice INV-1 owed 90.00 after adjustments; unapplied cash held as the payer's outstanding credit",
        amountCents: 5_000,
      },
    ]);
  });

  it('a payer paying above billed (negative adjustment) is an overpayment of the difference', () => {
    // Prepare
    const r = remittance({ paidCents: 20_500, adjustments: [co45(-500)] });

    // Act
    const plan = planRemittancePosting(r, context());

    // Assess
    expect(plan.steps).toEqual([expect.objectContaining({ kind: 'payment', amountCents: 20_500 })]);
    expect(step(plan, 'payment')[0]?.writeOff).toBeUndefined();
    expect(plan.exceptions).toEqual([
      expect.objectContaining({ key: 'era:ERA-1:overpayment', team: 'finance', amountCents: 500 }),
    ]);
    expect(plan.summary.adjustedCents).toBe(0);
  });

  it('adjustments larger than what the invoice still owes post nothing and go to billing', () => {
    // Prepare: the invoice is already settled; this looks like a second remittance for the same claim.
    const r = remittance({ paidCents: 14_000, adjustments: [co45(6_000)] });
    const ctx = context({ payerInvoice: { invoiceId: 'INV-1', totalCents: 20_000, residualCents: 0 } });

    // Act
    const plan = planRemittancePosting(r, ctx);

    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.exceptions).toEqual([
      expect.objectContaining({
        key: 'era:ERA-1:adjustments-exceed-residual',
        team: 'billing',
        amountCents: 6_000,
      }),
    ]);
  });
});

describe('a remittance that does not match the invoice', () => {
  it('a payer adjudicating part of the invoice still posts, and billing hears of the difference', () => {
    // Prepare: the invoice has a 50.00 line the payer did not adjudicate.
    const r = remittance({ paidCents: 14_000, adjustments: [co45(6_000)] });
    const ctx = context({ payerInvoice: { invoiceId: 'INV-1', totalCents: 25_000, residualCents: 25_000 } });

    // Act
    const plan = planRemittancePosting(r, ctx);

    // Assess: CO is a credit note, since a write-off would also close the 50.00 the payer never saw.
    expect(plan.steps).toEqual([
      expect.objectContaining({ kind: 'creditNote', ref: 'rcm:era:ERA-1:co-credit', amountCents: 6_000 }),
      expect.objectContaining({ kind: 'payment', amountCents: 14_000 }),
    ]);
    expect(step(plan, 'payment')[0]?.writeOff).toBeUndefined();
    expect(plan.exceptions).toEqual([
      {
        key: 'era:ERA-1:billed-differs',
        team: 'billing',
        reason:
          'billed amount differs from the invoice: the payer adjudicated 200.00 on claim CLM-1, invoice INV-1 totals 250.00 (less by 50.00)',
        amountCents: 5_000,
      },
    ]);
  });
});

describe('a remittance that cannot be posted yet', () => {
  it('without the payer invoice in Odoo the event is held', () => {
    // Prepare
    const r = remittance();

    // Act
    const act = () => planRemittancePosting(r, context({ payerInvoice: undefined }));

    // Assess
    expect(act).toThrow(PostingDependencyMissing);
    expect(act).toThrow(
      expect.objectContaining({ dependency: 'payerInvoice', name: 'PostingDependencyMissing' }),
    );
  });

  it('patient responsibility without a known patient holds the event', () => {
    // Prepare
    const r = remittance({ paidCents: 18_000, adjustments: [pr('3', 2_000)] });

    // Act
    const act = () => planRemittancePosting(r, context({ patientId: undefined }));

    // Assess
    expect(act).toThrow(expect.objectContaining({ dependency: 'patient' }));
  });

  it('a claim with no patient responsibility posts without knowing the patient', () => {
    // Prepare
    const r = remittance({ paidCents: 14_000, adjustments: [co45(6_000)] });

    // Act
    const plan = planRemittancePosting(r, context({ patientId: undefined }));

    // Assess
    expect(plan.steps).toHaveLength(1);
  });
});

describe('patient invoice ids', () => {
  it('an id that would exceed 64 characters is shortened with a stable hash', () => {
    // Prepare
    const payerInvoiceId = `INV-${'9'.repeat(56)}`;

    // Act
    const first = patientInvoiceId(payerInvoiceId, 'ERA-ABCDEFGHIJ');
    const second = patientInvoiceId(payerInvoiceId, 'ERA-ABCDEFGHIJ');
    const other = patientInvoiceId(payerInvoiceId, 'ERA-ABCDEFGHIK');

    // Assess
    expect(first).toHaveLength(64);
    expect(first).toMatch(/^INV-9+-PR-[0-9a-f]{20}$/);
    expect(second).toBe(first);
    expect(other).not.toBe(first);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

const RUNS = { numRuns: 300 };
const PROCESSED: RemittanceClaimStatus[] = ['1', '2', '3', '19', '20', '21'];

/** Splits a group total into 1–3 adjustments whose pieces may be negative but sum to the total. */
function adjustmentsOf(group: Adjustment['group'], reasons: string[], total: number) {
  return fc
    .array(
      fc.record({
        reason: fc.constantFrom(...reasons),
        amountCents: fc.integer({ min: -5_000, max: 50_000 }),
      }),
      {
        maxLength: 2,
      },
    )
    .chain((pieces) =>
      fc.constantFrom(...reasons).map((lastReason): Adjustment[] => {
        const rest = total - pieces.reduce((s, p) => s + p.amountCents, 0);
        return [
          ...pieces.map((p) => ({ group, ...p })),
          { group, reason: lastReason, amountCents: rest },
        ].filter((a) => a.amountCents !== 0 || total === 0);
      }),
    );
}

/**
 * A balanced remittance without overpayment, and the invoice it pays: billed = paid + contractual (CO-45/253,
 * OA-94) + PR + OA other + PI + denied lines (CO-50/16, OA-18) + the prior payer's share (OA-23), every class
 * total ≥ 0, the invoice's residual already down by the prior share.
 */
const postable = fc
  .record({
    paid: fc.integer({ min: 0, max: 1_000_000 }),
    co: fc.integer({ min: 0, max: 1_000_000 }),
    pr: fc.integer({ min: 0, max: 1_000_000 }),
    other: fc.integer({ min: 0, max: 200_000 }),
    pi: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100_000 })),
    denied: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300_000 })),
    prior: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 })),
    status: fc.constantFrom(...PROCESSED),
    remittanceId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/),
    invoiceId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/),
  })
  .chain((t) =>
    fc
      .tuple(
        adjustmentsOf('CO', ['45', '253'], t.co),
        adjustmentsOf('PR', ['1', '2', '3', '96'], t.pr),
        adjustmentsOf('OA', ['121', 'A2'], t.other),
        adjustmentsOf('PI', ['104'], t.pi),
        adjustmentsOf('CO', ['50', '16'], t.denied),
        fc.boolean(),
      )
      .map(([co, pr, other, pi, denied, oa94]) => {
        const billed = t.paid + t.co + t.pr + t.other + t.pi + t.denied + t.prior;
        const prior: Adjustment[] = t.prior > 0 ? [{ group: 'OA', reason: '23', amountCents: t.prior }] : [];
        // OA-94 is contractual whatever its group: moving one CO piece under OA changes nothing booked.
        const contractual =
          oa94 && co[0] ? [{ ...co[0], group: 'OA' as const, reason: '94' }, ...co.slice(1)] : co;
        const r = remittance({
          remittanceId: t.remittanceId,
          claimStatus: t.status,
          billedCents: billed,
          paidCents: t.paid,
          adjustments: [...contractual, ...pr, ...other, ...pi, ...denied, ...prior],
        });
        const ctx = context({
          payerInvoice: { invoiceId: t.invoiceId, totalCents: billed, residualCents: billed - t.prior },
        });
        return { r, ctx, prior: t.prior, denied: t.denied };
      }),
  );

function bookedOnPayerInvoice(plan: PostingPlan): number {
  return plan.steps.reduce((sum, s) => {
    if (s.kind === 'creditNote') return sum + s.amountCents;
    if (s.kind === 'payment') return sum + s.amountCents + (s.writeOff?.amountCents ?? 0);
    return sum;
  }, 0);
}

describe('remittance posting, for all balanced remittances without overpayment', () => {
  it('the remittance balances and the plan books exactly what was billed, or opens a denial for it', () => {
    fc.assert(
      fc.property(postable, ({ r, ctx, prior, denied }) => {
        // Act
        const violations = remittanceBalanceViolations(r);
        const plan = planRemittancePosting(r, ctx);

        // Assess
        expect(violations).toEqual([]);
        // A forwarding payer (CLP02 19/20/21) leaves PR receivable on the payer invoice for the next payer.
        const forwarded = ['19', '20', '21'].includes(r.claimStatus);
        const leftForNextPayer = forwarded ? r.patientResponsibilityCents : 0;
        if (plan.steps.length === 0 && leftForNextPayer === 0) {
          expect(plan.exceptions).toEqual([
            expect.objectContaining({ key: `era:${r.remittanceId}:denied`, amountCents: r.billedCents }),
          ]);
          return;
        }
        // Denied lines are never booked: they stay open on the invoice, with one exception for their amount;
        // what a forwarding payer leaves for the next payer is billing's `next-payer` worklist item.
        expect(plan.exceptions).toEqual([
          ...(leftForNextPayer > 0
            ? [
                expect.objectContaining({
                  key: `era:${r.remittanceId}:next-payer`,
                  amountCents: leftForNextPayer,
                }),
              ]
            : []),
          ...(denied > 0
            ? [expect.objectContaining({ key: `era:${r.remittanceId}:denied-lines`, amountCents: denied })]
            : []),
        ]);
        const booked = bookedOnPayerInvoice(plan);
        expect(booked + prior + denied + leftForNextPayer).toBe(r.billedCents);
        // An invoice the plan closes is closed by a payment (Odoo: `paid`), never by credit notes alone.
        if (booked === (ctx.payerInvoice?.residualCents ?? -1)) expect(step(plan, 'payment')).toHaveLength(1);
        const patientTotal = step(plan, 'patientInvoice').reduce(
          (sum, s) => sum + s.lines.reduce((lineSum, line) => lineSum + line.amountCents, 0),
          0,
        );
        expect(patientTotal).toBe(r.patientResponsibilityCents - leftForNextPayer);
        expect(
          plan.summary.paidCents +
            plan.summary.adjustedCents +
            plan.summary.patientResponsibilityCents +
            prior +
            denied +
            leftForNextPayer,
        ).toBe(r.billedCents);
      }),
      RUNS,
    );
  });

  it('refs are unique within a plan and the same on every call', () => {
    fc.assert(
      fc.property(postable, ({ r, ctx }) => {
        // Act
        const first = planRemittancePosting(r, ctx);
        const second = planRemittancePosting(structuredClone(r), structuredClone(ctx));

        // Assess
        const refs = first.steps.map((s) => s.ref);
        expect(new Set(refs).size).toBe(refs.length);
        expect(refs.every((ref) => ref.startsWith(`rcm:era:${r.remittanceId}:`))).toBe(true);
        expect(second).toEqual(first);
        for (const s of step(first, 'patientInvoice')) expect(s.invoiceId.length).toBeLessThanOrEqual(64);
      }),
      RUNS,
    );
  });
});
