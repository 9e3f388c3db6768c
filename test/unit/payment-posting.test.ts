import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PaymentReceived } from '../../lambdas/core/payment.js';
import {
  type PaymentPostingContext,
  PostingDependencyMissing,
  planPaymentPosting,
} from '../../lambdas/core/payment-posting.js';

/** Posting rules for a payment outside an ERA: a patient paying their balance, a payer paying by check. */

function payment(overrides: Partial<PaymentReceived> = {}): PaymentReceived {
  return {
    paymentId: 'PAY-1',
    encounterId: 'ENC-1',
    facilityId: 'FAC-1',
    payer: { kind: 'patient', id: 'PAT-1' },
    amountCents: 3_000,
    method: 'card',
    traceNumber: 'ch_123',
    receivedDate: '2026-11-20',
    appliesTo: { invoiceId: 'INV-1-PR-ERA-1' },
    ...overrides,
  };
}

function context(
  overrides: Partial<NonNullable<PaymentPostingContext['invoice']>> = {},
): PaymentPostingContext {
  return { invoice: { invoiceId: 'INV-1-PR-ERA-1', residualCents: 6_000, billTo: 'patient', ...overrides } };
}

describe('posting a payment', () => {
  it('a patient paying part of their balance registers one payment on the patient invoice', () => {
    // Prepare
    const p = payment();

    // Act
    const plan = planPaymentPosting(p, context());

    // Assess
    expect(plan).toEqual({
      steps: [
        {
          kind: 'payment',
          ref: 'rcm:pay:PAY-1',
          invoiceId: 'INV-1-PR-ERA-1',
          partner: { kind: 'patient', id: 'PAT-1' },
          amountCents: 3_000,
          date: '2026-11-20',
          memo: 'card ch_123',
        },
      ],
      exceptions: [],
      summary: { paidCents: 0, adjustedCents: 0, patientResponsibilityCents: 0, patientPaidCents: 3_000 },
    });
  });

  it('a payer paying by check outside an ERA counts as payer cash', () => {
    // Prepare
    const p = payment({ payer: { kind: 'payer', id: 'PAYER-1' }, method: 'check', traceNumber: '100234' });

    // Act
    const plan = planPaymentPosting(p, context({ invoiceId: 'INV-1', billTo: 'payer' }));

    // Assess
    expect(plan.steps).toEqual([
      expect.objectContaining({
        partner: { kind: 'payer', id: 'PAYER-1' },
        memo: 'check 100234',
        invoiceId: 'INV-1',
      }),
    ]);
    expect(plan.summary).toEqual({
      paidCents: 3_000,
      adjustedCents: 0,
      patientResponsibilityCents: 0,
      patientPaidCents: 0,
    });
  });

  it('paying exactly the residual closes the invoice without an exception', () => {
    // Prepare
    const p = payment({ amountCents: 6_000 });

    // Act
    const plan = planPaymentPosting(p, context());

    // Assess
    expect(plan.exceptions).toEqual([]);
  });

  it('paying more than the residual registers the whole payment and reports the unapplied cash to finance', () => {
    // Prepare
    const p = payment({ amountCents: 7_500 });

    // Act
    const plan = planPaymentPosting(p, context());

    // Assess
    expect(plan.steps).toEqual([expect.objectContaining({ kind: 'payment', amountCents: 7_500 })]);
    expect(plan.exceptions).toEqual([
      {
        key: 'pay:PAY-1:overpayment',
        team: 'finance',
        reason:
          "overpayment of 15.00 by patient PAT-1 on invoice INV-1-PR-ERA-1: paid 75.00 but only 60.00 was owed; unapplied cash held as the patient's outstanding credit",
        amountCents: 1_500,
      },
    ]);
    expect(plan.summary.patientPaidCents).toBe(7_500);
  });

  it('a patient paying a payer invoice posts nothing and goes to billing', () => {
    // Prepare
    const p = payment();

    // Act
    const plan = planPaymentPosting(p, context({ invoiceId: 'INV-1', billTo: 'payer' }));

    // Assess
    expect(plan).toEqual({
      steps: [],
      exceptions: [
        {
          key: 'pay:PAY-1:payer-mismatch',
          team: 'billing',
          reason:
            'payment from patient applied to an invoice billed to payer: 30.00 from patient PAT-1 (card ch_123) names invoice INV-1',
          amountCents: 3_000,
        },
      ],
      summary: { paidCents: 0, adjustedCents: 0, patientResponsibilityCents: 0, patientPaidCents: 0 },
    });
  });

  it('a payment for an invoice Odoo does not have yet is held', () => {
    // Prepare
    const p = payment();

    // Act
    const act = () => planPaymentPosting(p, { invoice: undefined });

    // Assess
    expect(act).toThrow(PostingDependencyMissing);
    expect(act).toThrow(expect.objectContaining({ dependency: 'invoice' }));
  });
});

describe('payment posting, for all payments', () => {
  it('the whole amount is registered once under a stable ref, and only the excess over the residual is reported', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.constantFrom<'patient' | 'payer'>('patient', 'payer'),
        (amountCents, residualCents, kind) => {
          // Prepare
          const p = payment({ amountCents, payer: { kind, id: 'X-1' } });
          const ctx = context({ residualCents, billTo: kind });

          // Act
          const plan = planPaymentPosting(p, ctx);

          // Assess
          expect(plan.steps).toEqual([expect.objectContaining({ ref: 'rcm:pay:PAY-1', amountCents })]);
          const excess = plan.exceptions.reduce((sum, e) => sum + e.amountCents, 0);
          expect(excess).toBe(Math.max(amountCents - residualCents, 0));
          expect(plan.summary.paidCents + plan.summary.patientPaidCents).toBe(amountCents);
          expect(planPaymentPosting(p, ctx)).toEqual(plan);
        },
      ),
      { numRuns: 200 },
    );
  });
});
