import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paymentFacts } from '../../lambdas/core/fhir/inbound.js';
import { toPaymentReconciliation } from '../../lambdas/core/fhir/outbound.js';
import { PaymentReconciliation } from '../../lambdas/core/fhir/resources.js';
import type { RemittanceReceived } from '../../lambdas/core/remittance.js';

/**
 * Issue #4: a remittance read back as a FHIR PaymentReconciliation reads in again (through the inbound
 * mapping) to the same canonical fields — for every remittance, not just the examples.
 */
const partnerId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,30}$/);
const cents = fc.integer({ min: -99_999_999_99, max: 99_999_999_99 });
const date = fc
  .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

const remittance: fc.Arbitrary<RemittanceReceived> = fc.record({
  remittanceId: partnerId,
  encounterId: partnerId,
  facilityId: partnerId,
  claimId: partnerId,
  payerId: partnerId,
  payerClaimControlNumber: fc.string({ minLength: 1, maxLength: 50 }),
  claimStatus: fc.constantFrom('1', '2', '3', '4', '19', '20', '21', '22', '23', '25' as const),
  billedCents: cents,
  paidCents: cents,
  patientResponsibilityCents: cents,
  adjustments: fc.constant([]),
  payment: fc.record({
    traceNumber: fc.string({ minLength: 1, maxLength: 50 }),
    method: fc.constantFrom('ACH', 'CHK', 'BOP'),
    date,
  }),
});

describe('outbound PaymentReconciliation', () => {
  it('round-trips canonical → FHIR → canonical for every field it emits', () => {
    fc.assert(
      fc.property(remittance, fc.boolean(), fc.boolean(), (r, booked, reversed) => {
        // Prepare
        const resource = toPaymentReconciliation({
          remittance: r,
          acceptedAt: '2026-12-01T00:00:00Z',
          booked,
          reversed,
        });

        // Act
        const parsed = PaymentReconciliation.parse(JSON.parse(JSON.stringify(resource)));
        const facts = paymentFacts(parsed, 'PaymentReconciliation');

        // Assess
        expect(facts).toEqual({
          traceNumber: r.payment.traceNumber,
          paymentDate: r.payment.date,
          paymentCents: r.paidCents,
          payerId: r.payerId,
          encounterId: r.encounterId,
          details: [
            {
              index: 0,
              type: 'payment',
              claimId: r.claimId,
              remittanceId: r.remittanceId,
              payerClaimControlNumber: r.payerClaimControlNumber,
              paidCents: r.paidCents,
            },
          ],
        });
        expect(parsed.status).toBe(reversed ? 'cancelled' : 'active');
        expect(parsed.outcome).toBe(booked ? 'complete' : 'queued');
      }),
      { numRuns: 300 },
    );
  });

  it('writes money as FHIR decimals with currency, never more than two decimals', () => {
    // Prepare
    const r = fc.sample(remittance, { numRuns: 1, seed: 7 })[0] as RemittanceReceived;

    // Act
    const resource = toPaymentReconciliation({
      remittance: { ...r, paidCents: 10_047 },
      acceptedAt: '2026-12-01T00:00:00Z',
      booked: true,
      reversed: false,
    });

    // Assess
    expect(resource.paymentAmount).toEqual({ value: 100.47, currency: 'USD' });
  });
});
