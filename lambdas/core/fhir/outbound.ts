import { centsToOdooAmount } from '../money.js';
import type { RemittanceReceived } from '../remittance.js';
import { ENCOUNTER_EXTENSION, HubSystem, PAYMENT_TYPE_SYSTEM } from './systems.js';

/**
 * Hub state → FHIR R4 PaymentReconciliation (https://hl7.org/fhir/R4/paymentreconciliation.html): one
 * remittance (one claim payment of an ERA) as a reconciliation with one `detail`. Every id is written with
 * the hub's identifier systems (systems.ts), so the resource reads back through the inbound mapping
 * (inbound.ts paymentFacts) to the same canonical fields (test/unit/fhir-outbound.test.ts).
 */
export interface RemittanceView {
  /** The canonical remittance as accepted. */
  remittance: RemittanceReceived;
  acceptedAt: string;
  /** What the workflow says about it: booked in Odoo, and whether a later reversal undid it. */
  booked: boolean;
  reversed: boolean;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function toPaymentReconciliation(view: RemittanceView): Record<string, unknown> {
  const r = view.remittance;
  const money = (cents: number) => ({ value: centsToOdooAmount(cents), currency: 'USD' });
  const reversal = r.claimStatus === '22';
  return {
    resourceType: 'PaymentReconciliation',
    // The logical id is the remittance id when it is a valid FHIR id; otherwise the identifier carries it.
    ...(FHIR_ID.test(r.remittanceId) ? { id: r.remittanceId } : {}),
    extension: [
      {
        url: ENCOUNTER_EXTENSION,
        valueReference: {
          type: 'Encounter',
          identifier: { system: HubSystem.encounter, value: r.encounterId },
        },
      },
    ],
    identifier: [{ system: HubSystem.remittance, value: r.remittanceId }],
    // A reversed payment is withdrawn (cancelled); the reversal itself is an active one with negative amounts.
    status: view.reversed ? 'cancelled' : 'active',
    created: view.acceptedAt,
    paymentIssuer: { type: 'Organization', identifier: { system: HubSystem.payer, value: r.payerId } },
    outcome: view.booked ? 'complete' : 'queued',
    disposition: view.booked
      ? reversal
        ? `Reversal of claim ${r.claimId} booked in Odoo.`
        : `Claim ${r.claimId} payment booked in Odoo.`
      : 'Accepted; waiting to be booked in Odoo.',
    paymentDate: r.payment.date,
    paymentAmount: money(r.paidCents),
    paymentIdentifier: { system: HubSystem.paymentTrace, value: r.payment.traceNumber },
    detail: [
      {
        identifier: { system: HubSystem.remittance, value: r.remittanceId },
        type: { coding: [{ system: PAYMENT_TYPE_SYSTEM, code: 'payment' }] },
        request: { type: 'Claim', identifier: { system: HubSystem.claim, value: r.claimId } },
        response: {
          type: 'ClaimResponse',
          identifier: { system: HubSystem.payerClaimControlNumber, value: r.payerClaimControlNumber },
        },
        date: r.payment.date,
        amount: money(r.paidCents),
      },
    ],
  };
}
