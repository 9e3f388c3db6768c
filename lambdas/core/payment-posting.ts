import { formatCents } from './money.js';
import type { PaymentReceived } from './payment.js';
import type { PostingPlan } from './posting-plan.js';
import { PostingDependencyMissing } from './remittance-posting.js';

export { PostingDependencyMissing } from './remittance-posting.js';

/**
 * Posting rules for a payment outside an ERA: a patient paying their balance, or a payer paying by check or
 * wire without a remittance. One payment against the invoice it names; docs/posting-rules.md has examples.
 */
export interface PaymentPostingContext {
  /** The invoice `p.appliesTo.invoiceId` names, as Odoo has it. */
  invoice: { invoiceId: string; residualCents: number; billTo: 'payer' | 'patient' } | undefined;
}

export type PaymentExceptionCause = 'payer-mismatch' | 'overpayment';

/** The key of an exception a payment's posting opened (stable: a redelivery finds it open). */
export function paymentExceptionKey(paymentId: string, cause: PaymentExceptionCause): string {
  return `pay:${paymentId}:${cause}`;
}

export function paymentStepRef(paymentId: string): string {
  return `rcm:pay:${paymentId}`;
}

export function planPaymentPosting(p: PaymentReceived, ctx: PaymentPostingContext): PostingPlan {
  const invoice = ctx.invoice;
  if (invoice === undefined) throw new PostingDependencyMissing('invoice');
  const key = (cause: PaymentExceptionCause) => paymentExceptionKey(p.paymentId, cause);

  // Cash from a patient on a payer invoice (or the reverse) would close the wrong receivable: someone must
  // decide where it belongs before anything is booked.
  if (p.payer.kind !== invoice.billTo) {
    return {
      steps: [],
      exceptions: [
        {
          key: key('payer-mismatch'),
          team: 'billing',
          reason: `payment from ${p.payer.kind} applied to an invoice billed to ${invoice.billTo}: ${formatCents(p.amountCents)} from ${p.payer.kind} ${p.payer.id} (${p.method} ${p.traceNumber}) names invoice ${invoice.invoiceId}`,
          amountCents: p.amountCents,
        },
      ],
      summary: { paidCents: 0, adjustedCents: 0, patientResponsibilityCents: 0, patientPaidCents: 0 },
    };
  }

  // The whole amount is registered even when it exceeds the residual: Odoo keeps the excess as the partner's
  // outstanding credit, which finance refunds or applies elsewhere.
  const excess = Math.max(p.amountCents - Math.max(invoice.residualCents, 0), 0);
  return {
    steps: [
      {
        kind: 'payment',
        ref: paymentStepRef(p.paymentId),
        invoiceId: invoice.invoiceId,
        partner: { kind: p.payer.kind, id: p.payer.id },
        amountCents: p.amountCents,
        date: p.receivedDate,
        memo: `${p.method} ${p.traceNumber}`,
      },
    ],
    exceptions:
      excess > 0
        ? [
            {
              key: key('overpayment'),
              team: 'finance',
              reason: `overpayment of ${formatCents(excess)} by ${p.payer.kind} ${p.payer.id} on invoice ${invoice.invoiceId}: paid ${formatCents(p.amountCents)} but only ${formatCents(Math.max(invoice.residualCents, 0))} was owed; unapplied cash held as the ${p.payer.kind}'s outstanding credit`,
              amountCents: excess,
            },
          ]
        : [],
    summary: {
      paidCents: p.payer.kind === 'payer' ? p.amountCents : 0,
      adjustedCents: 0,
      patientResponsibilityCents: 0,
      patientPaidCents: p.payer.kind === 'patient' ? p.amountCents : 0,
    },
  };
}
