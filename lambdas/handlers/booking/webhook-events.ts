import { OdooReceivablesLedger } from '../../adapters/odoo/receivables-ledger.js';
import type { EncounterEnvelope } from '../../core/envelope.js';
import { formatCents } from '../../core/money.js';
import { paymentStepRef } from '../../core/payment-posting.js';
import type { OdooEntryRecorded, PaymentRefunded } from '../../core/webhooks/events.js';
import { type BookingContext, type BookingOutcome, done, heldFor } from './context.js';
import { openException, recordFollowUp } from './record.js';

/**
 * A gateway refund of a payment the hub booked: the payment is reversed in Odoo (a `reverse` posting step:
 * the payment found by its `[rcm:pay:<id>]` marker is reset to draft and cancelled, which unreconciles it, so
 * the invoice owes that amount again). A partial refund cannot be booked as a reversal of the whole payment:
 * it opens an exception for finance instead of guessing (docs/webhooks.md#refunds).
 */
export async function bookPaymentRefund(
  envelope: EncounterEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const refund = envelope.data as PaymentRefunded;
  const workflow = await context.store.getWorkflow(envelope.encounterId);
  const payment = workflow?.payments[refund.paymentId];
  if (!workflow || !payment) return heldFor(`payment ${refund.paymentId}`);
  const refundKey = `refund:${refund.refundId}`;
  if (workflow.payments[refundKey]) return done;
  const payerKind = workflow.odooInvoices[payment.invoiceId]?.billTo ?? 'patient';

  if (refund.amountCents !== payment.amountCents) {
    await recordFollowUp(
      context,
      envelope,
      'PaymentReversed',
      {
        refundId: refund.refundId,
        paymentId: refund.paymentId,
        invoiceId: payment.invoiceId,
        amountCents: 0,
        cancelledPaymentIds: [],
        alreadyPresent: false,
      },
      { kind: 'none' },
      (draft) => {
        draft.payments[refundKey] = { paymentId: refundKey, invoiceId: payment.invoiceId, amountCents: 0 };
        openException(
          draft,
          {
            key: `refund:${refund.refundId}:partial`,
            team: 'finance',
            reason: `partial refund ${refund.refundId} of ${formatCents(refund.amountCents)} on payment ${refund.paymentId} (${formatCents(payment.amountCents)}): book it in Odoo by hand`,
            amountCents: refund.amountCents,
            sourceEventId: envelope.id,
          },
          context.now(),
        );
      },
    );
    return done;
  }

  const ledger = new OdooReceivablesLedger(await context.odoo());
  const [executed] = await ledger.execute([
    {
      kind: 'reverse',
      ref: `rcm:refund:${refund.refundId}`,
      reversesRefs: [paymentStepRef(refund.paymentId)],
      date: refund.refundedDate,
      reason: `Refund ${refund.refundId}${refund.reason ? `: ${refund.reason}` : ''}`.slice(0, 200),
    },
  ]);
  await recordFollowUp(
    context,
    envelope,
    'PaymentReversed',
    {
      refundId: refund.refundId,
      paymentId: refund.paymentId,
      invoiceId: payment.invoiceId,
      amountCents: refund.amountCents,
      cancelledPaymentIds: executed?.cancelledPaymentIds ?? [],
      alreadyPresent: executed?.alreadyPresent ?? false,
    },
    { kind: 'none' },
    (draft) => {
      draft.payments[refundKey] = {
        paymentId: refundKey,
        invoiceId: payment.invoiceId,
        amountCents: -refund.amountCents,
      };
      if (payerKind === 'patient') draft.money.patientPaidCents -= refund.amountCents;
      else draft.money.paidCents -= refund.amountCents;
    },
  );
  return done;
}

/**
 * A payment or credit note entered by hand in Odoo (seen through Odoo's webhook, re-read over RPC): recorded in
 * the workflow so hub and Odoo agree. Nothing is written to Odoo. It runs in the encounter's FIFO group, so it is
 * ordered with the hub's own bookings of the encounter.
 */
export async function bookOdooEntry(
  envelope: EncounterEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const entry = envelope.data as OdooEntryRecorded;
  const workflow = await context.store.getWorkflow(envelope.encounterId);
  const link = workflow?.odooInvoices[entry.invoiceId];
  if (!workflow || !link) return heldFor(`invoice ${entry.invoiceId}`);
  const key = `odoo:${entry.odooModel}:${entry.odooId}`;
  if (workflow.payments[key]) return done;
  const payerKind = link.billTo ?? 'payer';
  const note = (draft: NonNullable<typeof workflow>) => {
    draft.payments[key] = {
      paymentId: key,
      invoiceId: entry.invoiceId,
      amountCents: entry.kind === 'payment' ? entry.amountCents : 0,
    };
  };
  if (entry.kind === 'payment') {
    await recordFollowUp(
      context,
      envelope,
      'PaymentPosted',
      { paymentId: key, invoiceId: entry.invoiceId, payerKind, amountCents: entry.amountCents, steps: [] },
      { kind: 'reach', state: 'payment_posted' },
      (draft) => {
        note(draft);
        if (payerKind === 'patient') draft.money.patientPaidCents += entry.amountCents;
        else draft.money.paidCents += entry.amountCents;
      },
    );
    return done;
  }
  await recordFollowUp(
    context,
    envelope,
    'CreditNoteRecorded',
    { creditNote: key, invoiceId: entry.invoiceId, amountCents: entry.amountCents, odooName: entry.odooName },
    { kind: 'none' },
    (draft) => {
      note(draft);
      draft.money.adjustedCents += entry.amountCents;
    },
    { publish: false },
  );
  return done;
}
