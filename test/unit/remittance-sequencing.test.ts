import { describe, expect, it } from 'vitest';
import type { RemittanceReceived } from '../../lambdas/core/remittance.js';
import { type BookedRemittance, sequenceRemittance } from '../../lambdas/core/remittance-sequencing.js';

const remittance = (overrides: Partial<RemittanceReceived>): RemittanceReceived => ({
  remittanceId: 'TRN-1:PCCN-1',
  encounterId: 'ENC-1',
  facilityId: 'FAC-1',
  claimId: 'CLM-1',
  payerId: 'PAYER-1',
  payerClaimControlNumber: 'PCCN-1',
  claimStatus: '1',
  billedCents: 10_000,
  paidCents: 8_000,
  patientResponsibilityCents: 0,
  adjustments: [{ group: 'CO', reason: '45', amountCents: 2_000 }],
  payment: { traceNumber: 'TRN-1', method: 'ACH', date: '2026-11-30' },
  ...overrides,
});

const booked = (overrides: Partial<BookedRemittance>): BookedRemittance => ({
  remittanceId: 'TRN-1:PCCN-1',
  payerClaimControlNumber: 'PCCN-1',
  claimStatus: '1',
  stepRefs: ['rcm:era:TRN-1:PCCN-1:payment'],
  ...overrides,
});

describe('sequencing remittances for one payer claim', () => {
  it('a first payment is booked', () => {
    // Act
    const sequence = sequenceRemittance(remittance({}), []);

    // Assess
    expect(sequence).toEqual({ kind: 'book' });
  });

  it('a retransmitted ERA is recognised and not booked twice', () => {
    expect(sequenceRemittance(remittance({}), [booked({})])).toEqual({ kind: 'already-booked' });
  });

  it('a reversal is booked against the payment it reverses (matched by payer claim control number)', () => {
    const original = booked({});
    const reversal = remittance({
      remittanceId: 'TRN-2:PCCN-1:22',
      claimStatus: '22',
      billedCents: -10_000,
      paidCents: -8_000,
    });

    expect(sequenceRemittance(reversal, [original])).toEqual({ kind: 'book', original });
  });

  it('a reversal of a payment the hub never booked is booked as unmatched (no original), not held', () => {
    const reversal = remittance({ remittanceId: 'TRN-2:PCCN-1:22', claimStatus: '22' });

    expect(sequenceRemittance(reversal, [])).toEqual({ kind: 'book' });
  });

  it('a correction waits until the standing payment is reversed, so the claim is never paid twice', () => {
    const correction = remittance({ remittanceId: 'TRN-3:PCCN-1', paidCents: 9_000 });

    expect(sequenceRemittance(correction, [booked({})])).toEqual({
      kind: 'wait',
      waitingFor: 'the reversal of remittance TRN-1:PCCN-1',
    });
    expect(
      sequenceRemittance(correction, [
        booked({ reversed: true }),
        booked({ remittanceId: 'TRN-2:PCCN-1:22', claimStatus: '22' }),
      ]),
    ).toEqual({
      kind: 'book',
    });
  });

  it('another payer claim on the same encounter does not wait on this one', () => {
    const other = remittance({ remittanceId: 'TRN-4:PCCN-2', payerClaimControlNumber: 'PCCN-2' });

    expect(sequenceRemittance(other, [booked({})])).toEqual({ kind: 'book' });
  });
});
