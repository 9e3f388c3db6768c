import { OdooReceivablesLedger } from '../../adapters/odoo/receivables-ledger.js';
import { type DenialWriteOffApproved, planDenialWriteOff } from '../../core/denial-write-off.js';
import type { EncounterEnvelope } from '../../core/envelope.js';
import type { PostingPlan } from '../../core/posting-plan.js';
import { type BookingContext, type BookingOutcome, done, heldFor } from './context.js';
import { recordFollowUp } from './record.js';

/**
 * A denial a person resolved as not recoverable (core/denial-write-off.ts): the denied amount still open on the
 * payer invoice is written off to the denial account. Planned once from what Odoo says the invoice owes, the
 * plan fixed before Odoo is touched, so a redelivery books the same steps (found by ref), never twice.
 */
export async function bookDenialWriteOff(
  envelope: EncounterEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const approval = envelope.data as DenialWriteOffApproved;
  const workflow = await context.store.getWorkflow(envelope.encounterId);
  const remittance = workflow?.remittances[approval.remittanceId];
  const claim = remittance ? workflow?.claims[remittance.claimId] : undefined;
  if (!workflow || !remittance || !claim) return heldFor(`remittance ${approval.remittanceId}`);
  const payerInvoiceId =
    claim.invoiceIds.find((id) => workflow.odooInvoices[id]?.billTo !== 'patient') ?? claim.invoiceIds[0];
  if (!payerInvoiceId || !workflow.odooInvoices[payerInvoiceId])
    return heldFor(`invoice ${payerInvoiceId ?? 'for the claim'}`);

  const ledger = new OdooReceivablesLedger(await context.odoo());
  const planKey = `denial-write-off:${approval.exceptionId}`;
  let plan = await context.store.fixedPlan<PostingPlan>(envelope.encounterId, planKey);
  if (!plan) {
    const invoice = await ledger.invoiceState(payerInvoiceId);
    if (!invoice) return heldFor(`payer invoice ${payerInvoiceId} in Odoo`);
    plan = await context.store.fixPlan(
      envelope.encounterId,
      planKey,
      planDenialWriteOff(approval, {
        payerInvoice: { invoiceId: payerInvoiceId, residualCents: invoice.residualCents },
        payerId: claim.payerId,
        claimId: claim.claimId,
        traceNumber: remittance.traceNumber,
      }),
    );
  }
  const executed = await ledger.execute(plan.steps);
  const booked = plan.steps.length > 0;
  await recordFollowUp(
    context,
    envelope,
    'DenialWrittenOff',
    {
      exceptionId: approval.exceptionId,
      remittanceId: approval.remittanceId,
      claimId: claim.claimId,
      invoiceId: payerInvoiceId,
      amountCents: plan.summary.adjustedCents,
      steps: executed,
    },
    booked ? { kind: 'reach', state: 'payment_posted' } : { kind: 'none' },
    (draft) => {
      draft.money.adjustedCents += plan.summary.adjustedCents;
    },
  );
  return done;
}
