import { describe, expect, it } from 'vitest';
import {
  type DenialWriteOffApproved,
  denialOf,
  denialWriteOffRef,
  planDenialWriteOff,
} from '../../lambdas/core/denial-write-off.js';

/** A denial is written off only when a person resolves it as not recoverable (docs/posting-rules.md#denials). */
const approval = (amountCents: number): DenialWriteOffApproved => ({
  exceptionId: 'EXC-1',
  exceptionKey: 'era:ERA-1:denied-lines',
  remittanceId: 'ERA-1',
  amountCents,
  note: 'appeal lost',
  resolvedOn: '2026-12-01',
});
const context = (residualCents: number) => ({
  payerInvoice: { invoiceId: 'INV-1', residualCents },
  payerId: 'PAYER-1',
  claimId: 'CLM-1',
  traceNumber: 'TRN-9',
});

describe('writing off a denial a person resolved as not recoverable', () => {
  it('knows the denial exceptions of a remittance, and nothing else', () => {
    expect(denialOf('era:ERA-1:denied')).toEqual({ remittanceId: 'ERA-1', cause: 'denied' });
    expect(denialOf('era:ERA:2:denied-lines')).toEqual({ remittanceId: 'ERA:2', cause: 'denied-lines' });
    expect(denialOf('era:ERA-1:overpayment')).toBeUndefined();
    expect(denialOf('pay:PAY-1:denied')).toBeUndefined();
  });

  it('the denied amount that closes the invoice rides on a 0.00 payment, so Odoo reads it paid', () => {
    // Act
    const plan = planDenialWriteOff(approval(5_000), context(5_000));

    // Assess
    expect(plan.steps).toEqual([
      {
        kind: 'payment',
        ref: denialWriteOffRef('EXC-1'),
        invoiceId: 'INV-1',
        partner: { kind: 'payer', id: 'PAYER-1' },
        amountCents: 0,
        date: '2026-12-01',
        memo: 'Denial write-off claim CLM-1',
        writeOff: {
          amountCents: 5_000,
          account: 'deniedClaims',
          label: 'Denied on claim CLM-1 (ERA TRN-9) written off as not recoverable: 50.00',
        },
      },
    ]);
    expect(plan.summary).toEqual({
      paidCents: 0,
      adjustedCents: 5_000,
      patientResponsibilityCents: 0,
      patientPaidCents: 0,
    });
  });

  it('with more still open on the invoice, a credit note of the denied amount leaves the rest owed', () => {
    const plan = planDenialWriteOff(approval(5_000), context(8_000));
    expect(plan.steps).toEqual([
      expect.objectContaining({
        kind: 'creditNote',
        ref: 'rcm:denial:EXC-1:write-off',
        amountCents: 5_000,
        account: 'deniedClaims',
        date: '2026-12-01',
      }),
    ]);
  });

  it('never writes off more than is still open (the payer paid part after an appeal), nor anything of a closed invoice', () => {
    expect(planDenialWriteOff(approval(5_000), context(2_000)).steps).toEqual([
      expect.objectContaining({
        kind: 'payment',
        amountCents: 0,
        writeOff: expect.objectContaining({ amountCents: 2_000 }),
      }),
    ]);
    const closed = planDenialWriteOff(approval(5_000), context(0));
    expect(closed.steps).toEqual([]);
    expect(closed.summary.adjustedCents).toBe(0);
  });
});
