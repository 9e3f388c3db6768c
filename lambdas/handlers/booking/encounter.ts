import { OdooInvoiceLedger } from '../../adapters/odoo/invoice-ledger.js';
import type { ChargeFinalized } from '../../core/charge.js';
import { type ClaimStatusChanged, type ClaimSubmitted, claimStatusNeedsAttention } from '../../core/claim.js';
import type { EncounterEnvelope } from '../../core/envelope.js';
import type { InvoiceIssued } from '../../core/invoice.js';
import { formatCents } from '../../core/money.js';
import { type BookingContext, type BookingOutcome, done, heldFor } from './context.js';
import { addPayer, openException, recordFollowUp } from './record.js';

const TRACKING_ONLY = { publish: false };

/** Charges are booked in Odoo when invoiced; here they fix the encounter's patient and stage. */
export async function bookCharges(
  envelope: EncounterEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const charge = envelope.data as ChargeFinalized;
  await recordFollowUp(
    context,
    envelope,
    'ChargesRecorded',
    { chargeId: charge.chargeId, totalCents: charge.totalCents },
    { kind: 'reach', state: 'charge_ready' },
    (draft) => {
      draft.patientId ??= charge.patientId;
    },
    TRACKING_ONLY,
  );
  return done;
}

/** The walking skeleton's path: partner and invoice found or created by our reference, posted, linked. */
export async function bookInvoice(
  envelope: EncounterEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const invoice = envelope.data as InvoiceIssued;
  // Booked with the rest of its SQS batch (booking/batch.ts), else here on its own.
  let posted = context.prepared?.invoices.get(envelope.id);
  if (!posted) {
    const ledger = new OdooInvoiceLedger(await context.odoo());
    posted = await ledger.ensurePostedInvoice(invoice, await ledger.ensurePartner(invoice.billTo));
  }
  const { partnerId } = posted;
  await recordFollowUp(
    context,
    envelope,
    'InvoicePosted',
    {
      invoiceId: invoice.invoiceId,
      odooPartnerId: partnerId,
      odooMoveId: posted.moveId,
      odooMoveName: posted.moveName,
      amountTotalCents: posted.amountTotalCents,
      amountResidualCents: posted.amountResidualCents,
      alreadyPresent: posted.alreadyPresent,
    },
    { kind: 'reach', state: 'invoice_issued' },
    (draft) => {
      // The same invoice resent under a new Idempotency-Key is a new event but not new money: count it once.
      if (!draft.odooInvoices[invoice.invoiceId]) draft.money.billedCents += invoice.totalCents;
      draft.odooInvoices[invoice.invoiceId] = {
        invoiceId: invoice.invoiceId,
        moveId: posted.moveId,
        moveName: posted.moveName,
        partnerId,
        billTo: invoice.billTo.kind,
        totalCents: invoice.totalCents,
      };
      if (invoice.billTo.kind === 'payer') addPayer(draft, invoice.billTo.id);
      else draft.patientId ??= invoice.billTo.id;
      delete draft.lastOdooError;
    },
  );
  return done;
}

/** A claim bills invoices that must already be in Odoo; it is tracked, not booked (Odoo has no claims). */
export async function bookClaim(
  envelope: EncounterEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const claim = envelope.data as ClaimSubmitted;
  const workflow = await context.store.getWorkflow(envelope.encounterId);
  const missing = claim.invoiceIds.find((id) => !workflow?.odooInvoices[id]);
  if (missing) return heldFor(`invoice ${missing}`);
  await recordFollowUp(
    context,
    envelope,
    'ClaimRecorded',
    { claimId: claim.claimId, payerId: claim.payerId, billedCents: claim.billedCents },
    { kind: 'reach', state: 'claim_submitted' },
    (draft) => {
      draft.claims[claim.claimId] = {
        claimId: claim.claimId,
        payerId: claim.payerId,
        invoiceIds: claim.invoiceIds,
        billedCents: claim.billedCents,
      };
      addPayer(draft, claim.payerId);
    },
    TRACKING_ONLY,
  );
  return done;
}

/** The payer's word on a claim. A rejection or denial opens an exception for the billing team. */
export async function bookClaimStatus(
  envelope: EncounterEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const status = envelope.data as ClaimStatusChanged;
  const workflow = await context.store.getWorkflow(envelope.encounterId);
  const claim = workflow?.claims[status.claimId];
  if (!claim) return heldFor(`claim ${status.claimId}`);
  await recordFollowUp(
    context,
    envelope,
    'ClaimStatusRecorded',
    { claimId: status.claimId, status: status.status, payerCodes: status.payerCodes },
    { kind: 'reach', state: 'payer_response_received' },
    (draft) => {
      const tracked = draft.claims[status.claimId];
      if (tracked) {
        tracked.status = status.status;
        if (status.payerClaimControlNumber) tracked.payerClaimControlNumber = status.payerClaimControlNumber;
      }
      if (claimStatusNeedsAttention(status.status)) {
        const codes =
          status.payerCodes.map((c) => [c.category, c.code, c.entity].filter(Boolean).join(':')).join(', ') ||
          'no codes';
        openException(
          draft,
          {
            key: `claim-status:${status.statusId}`,
            team: 'billing',
            reason: `claim ${status.claimId} ${status.status} by the payer (${codes}); ${formatCents(claim.billedCents)} at stake`,
            amountCents: claim.billedCents,
            sourceEventId: envelope.id,
          },
          context.now(),
        );
      }
    },
    TRACKING_ONLY,
  );
  return done;
}
