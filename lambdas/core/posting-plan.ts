import type { Cents } from './money.js';

/**
 * What the hub books in Odoo for a business event, as data. The core decides the steps (posting rules in
 * remittance-posting.ts, payment-posting.ts); the Odoo adapter executes them. Every step carries a `ref`
 * that is unique to it and stable across redeliveries: the adapter finds an existing record by it before
 * creating one, so executing a plan twice books it once.
 */
export type OdooAccountRole =
  | 'contractualAdjustments'
  | 'otherAdjustments'
  | 'patientResponsibilityTransfer'
  /** PI adjustments that are not contractual or denials (e.g. PI-104 managed care withholding). */
  | 'payerInitiatedReductions'
  /** Denied amounts a person resolved as not recoverable (never written off by the hub on its own). */
  | 'deniedClaims'
  // ERA-level money (era-deposit.ts): PLB L6 interest, PLB codes finance reviews, the deposit's clearing account.
  | 'plbInterestIncome'
  | 'plbOtherAdjustments'
  | 'eraDepositClearing'
  /** Cash a payer sent twice for one claim: owed back to the payer until refunded or recouped (issue 14). */
  | 'payerRefundLiability';

export type PostingStep =
  /** A credit note (out_refund) against an invoice, e.g. moving patient responsibility off the payer invoice. */
  | {
      kind: 'creditNote';
      ref: string;
      invoiceId: string;
      amountCents: Cents;
      account: OdooAccountRole;
      label: string;
      /**
       * The business date it belongs to (the remittance's payment date), not the day it is booked. Optional
       * only for plans fixed before it existed: those fall back to the payer invoice's date.
       */
      date?: string;
    }
  /** A new customer invoice for the patient's share, billed to the patient partner. */
  | {
      kind: 'patientInvoice';
      ref: string;
      /** The patient invoice's own id (our invoiceId for it), e.g. `<payer invoiceId>-PR`. */
      invoiceId: string;
      patientId: string;
      issueDate: string;
      lines: Array<{ label: string; amountCents: Cents }>;
    }
  /** An inbound payment registered against an invoice, optionally closing a difference by write-off. */
  | {
      kind: 'payment';
      ref: string;
      invoiceId: string;
      partner: { kind: 'payer' | 'patient'; id: string };
      amountCents: Cents;
      date: string;
      memo: string;
      writeOff?: { amountCents: Cents; account: OdooAccountRole; label: string };
      /**
       * The payer the invoice is billed to, when another payer pays it (a secondary's cash on the claim's
       * invoice): the payment is the paying payer's, applied to that invoice. Never with a write-off.
       */
      invoicePartner?: { kind: 'payer'; id: string };
    }
  /**
   * Cash received that no invoice owes (a claim paid twice): an inbound payment of the payer booked to a
   * liability account (`payerRefundLiability`), not to the receivable, until it is refunded or recouped.
   */
  | {
      kind: 'payerCredit';
      ref: string;
      partner: { kind: 'payer'; id: string };
      amountCents: Cents;
      date: string;
      memo: string;
      account: OdooAccountRole;
    }
  /** Undo every Odoo record an earlier plan created under `originalRef` prefixes (reversal of a remittance). */
  | { kind: 'reverse'; ref: string; reversesRefs: string[]; date: string; reason: string };

export interface ExceptionToOpen {
  /** Stable per cause, so a redelivery does not open it twice. */
  key: string;
  team: 'billing' | 'finance' | 'integration';
  reason: string;
  amountCents: Cents;
}

export interface PostingPlan {
  steps: PostingStep[];
  exceptions: ExceptionToOpen[];
  /** Money movements for the workflow's summary, in cents. */
  summary: {
    paidCents: Cents;
    adjustedCents: Cents;
    patientResponsibilityCents: Cents;
    patientPaidCents: Cents;
  };
}
