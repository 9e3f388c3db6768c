import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  EraDepositRequest,
  eraDepositOf,
  planEraDeposit,
  toCanonicalEraDeposit,
} from '../../lambdas/core/era-deposit.js';
import { intakes } from '../../lambdas/core/intake.js';
import { RemittanceRequest, toCanonicalRemittance } from '../../lambdas/core/remittance.js';
import { planRemittancePosting } from '../../lambdas/core/remittance-posting.js';
import { sequenceRemittance } from '../../lambdas/core/remittance-sequencing.js';
import { type Remittance835, read835Text } from '../../lambdas/core/x12/remittance-835.js';
import { plannedRemittances, toRemittanceReceived } from '../../lambdas/core/x12/remittance-events.js';

/**
 * Issue 14: a partner that sends remittances as JSON (no X12) can say what an 835 says — claim interest (AMT*I),
 * a correction that follows a reversal in the same ERA (CLP02 22), the deposit (BPR02 by TRN02) and provider-level
 * adjustments (PLB) — and it maps to the same canonical events, so the same posting rules book it.
 */
const match = { encounterId: 'ENC-1', facilityId: 'FAC-1', payerId: 'PAYER-1' };
const dollars = (cents: number) => (cents / 100).toFixed(2);

async function fixture(): Promise<Remittance835> {
  const text = readFileSync(new URL('../fixtures/x12/synthetic-era-plb.835', import.meta.url), 'latin1');
  return (await read835Text(text)).transactions[0] as Remittance835;
}

describe('JSON remittances say what an 835 says', () => {
  it('claims (AMT*I interest included), the deposit and PLB map to the canonical events the 835 maps to', async () => {
    // Prepare: synthetic-era-plb.835 — three claims, CLM-C paid 255.25 of which AMT*I 5.25; PLB L6, WO, CS.
    const transaction = await fixture();
    const planned = plannedRemittances([transaction]);

    // Act: the same ERA as a JSON partner sends it, one request per claim and one for the deposit.
    const fromJson = planned.map(({ remittanceId, claim }) =>
      toCanonicalRemittance(
        RemittanceRequest.parse({
          remittanceId,
          ...match,
          claimId: claim.claimId,
          payerClaimControlNumber: claim.payerClaimControlNumber,
          claimStatus: claim.status,
          billedAmount: dollars(claim.billedCents),
          paidAmount: dollars(claim.paidCents),
          adjustments: claim.adjustments.map((a) => ({
            group: a.group,
            reason: a.reason,
            amount: dollars(a.amountCents),
          })),
          ...(claim.claimId === 'CLM-C' ? { interestAmount: '5.25' } : {}),
          payment: { traceNumber: 'EFT20261102A', method: 'ACH', date: '2026-11-02' },
        }),
      ),
    );
    const deposit = toCanonicalEraDeposit(
      EraDepositRequest.parse({
        traceNumber: 'EFT20261102A',
        payerId: 'PAYER-1',
        method: 'ACH',
        date: '2026-11-02',
        depositAmount: '1235.54',
        claimPayments: [
          { claimId: 'CLM-A', paidAmount: '600.00' },
          { claimId: 'CLM-B', paidAmount: '400.00' },
          { claimId: 'CLM-C', paidAmount: '255.25', interestAmount: '5.25' },
        ],
        providerAdjustments: [
          { reason: 'L6', amount: '-7.50' },
          { reason: 'WO', reference: 'PCN-OLD-9', amount: '25.00' },
          { reason: 'CS', reference: 'GARN-4', amount: '2.21' },
        ],
      }),
    );

    // Assess: the events are equal, so the plans are.
    expect(fromJson).toEqual(planned.map((p) => toRemittanceReceived(p, match)));
    expect(fromJson.map((r) => intakes.submitRemittance.violations?.(r))).toEqual([[], [], []]);
    expect(fromJson[2]?.paidCents).toBe(25_000);
    expect(deposit).toEqual(eraDepositOf(transaction, 'PAYER-1'));
    expect(intakes.submitEraDeposit.violations?.(deposit)).toEqual([]);
    expect(planEraDeposit(deposit).lines.map((l) => [l.account, l.balanceCents])).toEqual([
      ['eraDepositClearing', 123_554],
      ['eraDepositClearing', -125_000],
      ['plbInterestIncome', -525],
      ['plbInterestIncome', -750],
      ['payerReceivable', 2_500],
      ['plbOtherAdjustments', 221],
    ]);
    expect(intakes.submitEraDeposit.partitionKey(deposit)).toBe('era:EFT20261102A');
  });

  it('a deposit that is not Σ paid − Σ PLB is refused at /depositAmount', () => {
    const deposit = toCanonicalEraDeposit(
      EraDepositRequest.parse({
        traceNumber: 'T-1',
        payerId: 'PAYER-1',
        method: 'CHK',
        date: '2026-11-02',
        depositAmount: '100.00',
        claimPayments: [{ claimId: 'CLM-1', paidAmount: '95.00', interestAmount: '2.00' }],
        providerAdjustments: [{ reason: 'L6', amount: '-2.50' }],
      }),
    );
    expect(intakes.submitEraDeposit.violations?.(deposit)).toEqual([
      {
        path: '/depositAmount',
        message: 'deposit 100.00 but claims paid 95.00 − provider adjustments -2.50 = 97.50',
      },
    ]);
  });

  it('a correction names the reversal it follows and waits for it, as a correction in an 835 does', () => {
    // Prepare: ERA T2 reverses T1's payment of PCN-1 and corrects it; the partner posts the correction first.
    const base = {
      ...match,
      claimId: 'CLM-1',
      adjustments: [],
      payment: { traceNumber: 'T2', method: 'ACH', date: '2026-11-20' },
    };
    const correction = toCanonicalRemittance(
      RemittanceRequest.parse({
        ...base,
        remittanceId: 'R-CORR',
        payerClaimControlNumber: 'PCN-2',
        claimStatus: '1',
        billedAmount: '200.00',
        paidAmount: '200.00',
        reversalRemittanceId: 'R-REV',
      }),
    );
    const reversal = toCanonicalRemittance(
      RemittanceRequest.parse({
        ...base,
        remittanceId: 'R-REV',
        payerClaimControlNumber: 'PCN-1',
        claimStatus: '22',
        billedAmount: '-200.00',
        paidAmount: '-180.00',
        interestAmount: '2.00',
        adjustments: [{ group: 'CO', reason: '45', amount: '-22.00' }],
      }),
    );
    const original = {
      remittanceId: 'R-ORIG',
      payerClaimControlNumber: 'PCN-1',
      claimStatus: '1',
      stepRefs: ['rcm:era:R-ORIG:payment'],
      claimId: 'CLM-1',
      payerId: 'PAYER-1',
      traceNumber: 'T1',
      billedCents: 20_000,
      paidCents: 17_800,
    };

    // Act
    const before = sequenceRemittance(correction, [original]);
    const reversed = sequenceRemittance(reversal, [original]);

    // Assess: the correction waits for the reversal; the reversal (interest taken back with it) mirrors the
    // original's booked 178.00 and undoes it.
    expect(correction.afterReversal).toBe('R-REV');
    expect(before).toMatchObject({ kind: 'wait' });
    expect(reversal.paidCents).toBe(-17_800);
    expect(intakes.submitRemittance.violations?.(reversal)).toEqual([]);
    expect(reversed).toMatchObject({ kind: 'book', original: { remittanceId: 'R-ORIG' } });
    const plan = planRemittancePosting(reversal, {
      payerInvoice: { invoiceId: 'INV-1', totalCents: 20_000, residualCents: 0 },
      patientId: undefined,
      original: { remittanceId: 'R-ORIG', stepRefs: original.stepRefs },
    });
    expect(plan.steps).toEqual([
      expect.objectContaining({ kind: 'reverse', reversesRefs: ['rcm:era:R-ORIG:payment'] }),
    ]);
  });

  it('refuses a reversal marked as a correction, and a correction that follows itself', () => {
    const request = {
      ...match,
      remittanceId: 'R-1',
      claimId: 'CLM-1',
      payerClaimControlNumber: 'PCN-1',
      billedAmount: '-200.00',
      paidAmount: '-200.00',
      adjustments: [],
      payment: { traceNumber: 'T2', method: 'ACH', date: '2026-11-20' },
    };
    const violations = (body: Record<string, unknown>) =>
      intakes.submitRemittance
        .violations?.(toCanonicalRemittance(RemittanceRequest.parse({ ...request, ...body })))
        .map((v) => v.path);
    expect(violations({ claimStatus: '22', reversalRemittanceId: 'R-0' })).toEqual(['/reversalRemittanceId']);
    expect(
      violations({
        claimStatus: '1',
        billedAmount: '200.00',
        paidAmount: '200.00',
        reversalRemittanceId: 'R-1',
      }),
    ).toEqual(['/reversalRemittanceId']);
  });
});
