import type { Workflow } from '../../adapters/dynamodb/workflow-store.js';
import { OdooEraDepositLedger } from '../../adapters/odoo/era-deposit-ledger.js';
import { OdooReceivablesLedger } from '../../adapters/odoo/receivables-ledger.js';
import { type EncounterEnvelope, EventSource } from '../../core/envelope.js';
import type { ExceptionResolved } from '../../core/events.js';
import { exceptionIdFor, resolvedEventIdFor } from '../../core/exception-keys.js';
import { formatCents } from '../../core/money.js';
import type { PaymentReceived } from '../../core/payment.js';
import { planPaymentPosting } from '../../core/payment-posting.js';
import type { PostingPlan } from '../../core/posting-plan.js';
import type { RemittanceReceived } from '../../core/remittance.js';
import {
  nextPayerSettled,
  PostingDependencyMissing,
  planRemittancePosting,
} from '../../core/remittance-posting.js';
import { bookedRemittance, sequenceRemittance } from '../../core/remittance-sequencing.js';
import type { PreparedReceivable } from './batch.js';
import { type BookingContext, type BookingOutcome, done, heldFor } from './context.js';
import { addPayer, openException, recordExceptionResolved, recordFollowUp } from './record.js';

/** The payer invoice a remittance books against: the claim's invoice not billed to the patient (else its first). */
export function remittanceInvoiceId(workflow: Workflow, claimId: string): string | undefined {
  const claim = workflow.claims[claimId];
  if (!claim) return undefined;
  return (
    claim.invoiceIds.find((id) => workflow.odooInvoices[id]?.billTo !== 'patient') ?? claim.invoiceIds[0]
  );
}

/** What a remittance's booking decides before it writes to Odoo: an outcome (held, nothing to do) or its plan. */
export type RemittanceDecision =
  | { kind: 'outcome'; outcome: BookingOutcome }
  | {
      kind: 'plan';
      plan: PostingPlan;
      workflow: Workflow;
      sequence: Exclude<ReturnType<typeof sequenceRemittance>, { kind: 'already-booked' | 'wait' }>;
      original?: { remittanceId: string; stepRefs: string[] };
    };

/**
 * The remittance's plan, fixed in the store (core/remittance-posting.ts from what Odoo says the payer invoice
 * still owes), or why it is not booked now: it waits (held) until the claim is known and its invoice is in Odoo,
 * and until the patient is known when patient responsibility must move to them. The writer's batch
 * (booking/batch.ts) decides with the batch's one look-up; the record's own booking decides again and finds the
 * plan it fixed.
 */
export async function decideRemittance(
  envelope: EncounterEnvelope,
  context: BookingContext,
  ledger: OdooReceivablesLedger,
): Promise<RemittanceDecision> {
  const held = (waitingFor: string): RemittanceDecision => ({
    kind: 'outcome',
    outcome: heldFor(waitingFor),
  });
  const remittance = envelope.data as RemittanceReceived;
  const workflow = await context.store.getWorkflow(envelope.encounterId);
  const claim = workflow?.claims[remittance.claimId];
  if (!workflow || !claim) return held(`claim ${remittance.claimId}`);
  const payerInvoiceId = remittanceInvoiceId(workflow, remittance.claimId);
  if (!payerInvoiceId || !workflow.odooInvoices[payerInvoiceId])
    return held(`invoice ${payerInvoiceId ?? 'for the claim'}`);

  const sequence = sequenceRemittance(remittance, Object.values(workflow.remittances));
  if (sequence.kind === 'already-booked') return { kind: 'outcome', outcome: done };
  if (sequence.kind === 'wait') return held(sequence.waitingFor);
  const original = sequence.kind === 'book' ? sequence.original : undefined;
  const paidBefore = sequence.kind === 'book' ? sequence.paidBefore : undefined;

  const planKey = remittancePlanKey(remittance.remittanceId);
  let plan = await context.store.fixedPlan<PostingPlan>(envelope.encounterId, planKey);
  if (!plan && sequence.kind === 'reversed-before') {
    // Paid and already taken back by a reversal that came first: nothing to book, the pair nets to zero.
    plan = { steps: [], exceptions: [], summary: NOTHING_MOVED };
  }
  if (!plan) {
    const invoice = await ledger.invoiceState(payerInvoiceId);
    try {
      plan = planRemittancePosting(remittance, {
        payerInvoice: invoice
          ? {
              invoiceId: payerInvoiceId,
              totalCents: invoice.totalCents,
              residualCents: invoice.residualCents,
              payerId: claim.payerId,
            }
          : undefined,
        patientId: workflow.patientId,
        ...(original
          ? { original: { remittanceId: original.remittanceId, stepRefs: original.stepRefs } }
          : {}),
        ...(paidBefore
          ? {
              paidBefore: {
                remittanceId: paidBefore.remittanceId,
                payerClaimControlNumber: paidBefore.payerClaimControlNumber,
              },
            }
          : {}),
      });
    } catch (error) {
      if (error instanceof PostingDependencyMissing)
        return held(`${error.dependency} for remittance ${remittance.remittanceId}`);
      throw error;
    }
  }
  if (plan.steps.some((step) => step.kind === 'patientInvoice') && workflow.patientId) {
    const patientId = workflow.patientId;
    const patientSynced = async () =>
      (await context.store.getMasterRecord('patient', patientId))?.odooPartnerId !== undefined;
    if (!(await patientSynced())) {
      await context.store.addWaiter(`patient:${patientId}`, envelope.encounterId);
      // The patient may have synced between the check and the note (another FIFO group): look again.
      if (!(await patientSynced())) return held(`patient ${patientId}`);
    }
  }
  if (plan.steps.some((step) => step.kind === 'payment' && step.invoicePartner)) {
    // A secondary payer's cash is booked to that payer's partner, which must be in Odoo first.
    const payerSynced = async () =>
      (await context.store.getMasterRecord('payer', remittance.payerId))?.odooPartnerId !== undefined;
    if (!(await payerSynced())) {
      await context.store.addWaiter(`payer:${remittance.payerId}`, envelope.encounterId);
      if (!(await payerSynced())) return held(`payer ${remittance.payerId}`);
    }
  }
  plan = await context.store.fixPlan(envelope.encounterId, planKey, plan);
  return {
    kind: 'plan',
    plan,
    workflow,
    sequence,
    ...(original ? { original: { remittanceId: original.remittanceId, stepRefs: original.stepRefs } } : {}),
  };
}

/**
 * A remittance (one claim payment of an ERA): decided (`decideRemittance`), booked by the receivables ledger
 * idempotently — or found booked by the writer's batch for this SQS batch — and recorded.
 */
export async function bookRemittance(
  envelope: EncounterEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const remittance = envelope.data as RemittanceReceived;
  const prepared = takePrepared(context, envelope.id);
  const ledger = new OdooReceivablesLedger(await context.odoo());
  const decision = await decideRemittance(envelope, context, ledger);
  if (decision.kind === 'outcome') return decision.outcome;
  const { plan, workflow, sequence, original } = decision;
  const batched = preparedFor(prepared, plan);
  const executed = batched?.executed ?? (await ledger.execute(plan.steps));
  // The ERA's deposit entry (its own FIFO group) may be booked already: match this claim's payment with it (once
  // per ERA and batch when the batch booked it).
  if (
    plan.steps.some((step) => step.kind === 'payment') &&
    !(batched && context.prepared?.settledTraces.has(remittance.payment.traceNumber))
  )
    await new OdooEraDepositLedger(await context.odoo()).settle(remittance.payment.traceNumber);
  const fixed = plan;
  const settled: Array<{ key: string; why: string }> = [];
  if (sequence.kind === 'reversed-before') {
    settled.push({
      key: `era:${sequence.reversal.remittanceId}:reversal-unmatched`,
      why: `its original, remittance ${remittance.remittanceId}, arrived after it: paid and reversed net to zero`,
    });
  }
  // Nothing booked (a denial, a reversal of nothing, a payment its reversal already took back): the payer
  // answered, but no payment was posted.
  const denied = plan.steps.length === 0;
  // The workflow shows the patient invoice as Odoo has it (its number, the patient's partner), read back.
  const patientMoves =
    batched?.moves ??
    (await readMoves(
      context,
      plan.steps.flatMap((step) =>
        step.kind === 'patientInvoice'
          ? (executed.find((e) => e.ref === step.ref)?.ids.slice(0, 1) ?? [])
          : [],
      ),
    ));

  await recordFollowUp(
    context,
    envelope,
    'RemittancePosted',
    {
      remittanceId: remittance.remittanceId,
      claimId: remittance.claimId,
      payerId: remittance.payerId,
      payerClaimControlNumber: remittance.payerClaimControlNumber,
      traceNumber: remittance.payment.traceNumber,
      steps: executed,
      summary: plan.summary,
    },
    { kind: 'reach', state: denied ? 'payer_response_received' : 'payment_posted' },
    (draft) => {
      const record = bookedRemittance(
        remittance,
        fixed.steps.map((step) => step.ref),
        sequence,
      );
      draft.remittances[remittance.remittanceId] = {
        ...record,
        claimId: remittance.claimId,
        traceNumber: remittance.payment.traceNumber,
      };
      if (original) {
        const reversed = draft.remittances[original.remittanceId];
        if (reversed) reversed.reversed = true;
      }
      if (sequence.kind === 'reversed-before') {
        // The reversal that waited unmatched has found its original.
        const reversal = draft.remittances[sequence.reversal.remittanceId];
        if (reversal) reversal.unmatched = false;
      }
      addPayer(draft, remittance.payerId);
      applySummary(draft, plan);
      for (const step of plan.steps) {
        if (step.kind !== 'patientInvoice') continue;
        const booked = executed.find((e) => e.ref === step.ref);
        const total = step.lines.reduce((sum, line) => sum + line.amountCents, 0);
        const move = booked?.ids[0] === undefined ? undefined : patientMoves.get(booked.ids[0]);
        if (move) {
          draft.odooInvoices[step.invoiceId] = {
            invoiceId: step.invoiceId,
            moveId: move.id,
            moveName: move.name,
            partnerId: move.partnerId,
            billTo: 'patient',
            totalCents: total,
          };
        }
      }
      openPlanExceptions(draft, plan, envelope.id, context.now());
    },
  );
  if (remittance.paidCents > 0 && !fixed.steps.some((step) => step.kind === 'payerCredit')) {
    // An appeal paid: the denial of the same payer claim (it booked nothing) is settled by this payment.
    for (const earlier of Object.values(workflow.remittances)) {
      if (
        earlier.payerClaimControlNumber === remittance.payerClaimControlNumber &&
        earlier.stepRefs.length === 0 &&
        earlier.claimStatus !== '22' &&
        workflow.exceptions[`era:${earlier.remittanceId}:denied`]
      )
        settled.push({
          key: `era:${earlier.remittanceId}:denied`,
          why: `paid on appeal by remittance ${remittance.remittanceId}`,
        });
    }
  }
  // COB: the next payer answered the claim a forwarding payer left to it (docs/posting-rules.md).
  for (const key of nextPayerSettled(remittance, Object.values(workflow.remittances)))
    settled.push({
      key,
      why: `the next payer ${remittance.payerId} answered (remittance ${remittance.remittanceId})`,
    });
  for (const { key, why } of settled)
    if (workflow.exceptions[key]) await clearSettled(context, envelope, key, why);
  return done;
}

/**
 * Closes an exception a later remittance settled, as the SLA sweeper clears a breach: an `ExceptionResolved`
 * (outcome `cleared`, one id per exception) takes it off the workflow, and the register entry is closed. A
 * person who resolved it meanwhile wins; a redelivery finds nothing left to clear.
 */
async function clearSettled(
  context: BookingContext,
  cause: EncounterEnvelope,
  key: string,
  why: string,
): Promise<void> {
  const now = context.now();
  const exceptionId = exceptionIdFor(cause.encounterId, key);
  const data: ExceptionResolved = { exceptionId, key, outcome: 'cleared', resolutionCode: 'cleared' };
  await recordExceptionResolved(context, {
    id: resolvedEventIdFor(exceptionId),
    type: 'ExceptionResolved',
    version: 1,
    source: EventSource.workflow,
    time: now,
    correlationId: cause.correlationId,
    idempotencyKey: `exception:${exceptionId}`,
    clientId: cause.clientId,
    encounterId: cause.encounterId,
    facilityId: cause.facilityId,
    partitionKey: cause.encounterId,
    data,
  });
  await context.exceptions?.clear(exceptionId, cause.clientId, now, `cleared by the Odoo writer: ${why}`);
}

/** Under which key a remittance's posting plan is fixed for its encounter (WorkflowStore `fixPlan`). */
export const remittancePlanKey = (remittanceId: string) => `remittance:${remittanceId}`;
/** Under which key a payment's posting plan is fixed for its encounter. */
export const paymentPlanKey = (paymentId: string) => `payment:${paymentId}`;

/** What a payment's booking decides before it writes to Odoo: an outcome (held, already booked) or its plan. */
export type PaymentDecision =
  | { kind: 'outcome'; outcome: BookingOutcome }
  | { kind: 'plan'; plan: PostingPlan };

/** The payment's plan (core/payment-posting.ts, from what Odoo says its invoice owes), or why it is not booked. */
export async function decidePayment(
  envelope: EncounterEnvelope,
  context: BookingContext,
  ledger: OdooReceivablesLedger,
): Promise<PaymentDecision> {
  const payment = envelope.data as PaymentReceived;
  const workflow = await context.store.getWorkflow(envelope.encounterId);
  const link = workflow?.odooInvoices[payment.appliesTo.invoiceId];
  if (!workflow || !link)
    return { kind: 'outcome', outcome: heldFor(`invoice ${payment.appliesTo.invoiceId}`) };
  if (workflow.payments[payment.paymentId]) return { kind: 'outcome', outcome: done };
  // Fixed once, as a remittance's: a delivery after a batch that posted and applied this payment without an
  // answer would see the invoice paid and call the payment an overpayment (unapplied cash, an exception).
  const planKey = paymentPlanKey(payment.paymentId);
  const fixed = await context.store.fixedPlan<PostingPlan>(envelope.encounterId, planKey);
  if (fixed) return { kind: 'plan', plan: fixed };
  const invoice = await ledger.invoiceState(payment.appliesTo.invoiceId);
  try {
    const plan = planPaymentPosting(payment, {
      invoice: invoice
        ? {
            invoiceId: payment.appliesTo.invoiceId,
            residualCents: invoice.residualCents,
            billTo: link.billTo ?? 'payer',
          }
        : undefined,
    });
    return { kind: 'plan', plan: await context.store.fixPlan(envelope.encounterId, planKey, plan) };
  } catch (error) {
    if (error instanceof PostingDependencyMissing)
      return {
        kind: 'outcome',
        outcome: heldFor(`${error.dependency} for payment ${payment.paymentId}`),
      };
    throw error;
  }
}

/** A gateway or bank payment against an invoice the hub booked. */
export async function bookPayment(
  envelope: EncounterEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const payment = envelope.data as PaymentReceived;
  const prepared = takePrepared(context, envelope.id);
  // Its look-ups may come from the batch's one search (booking/batch.ts), once: a quick retry of this booking
  // (after a call that may commit late) looks everything up in Odoo again. Its writes are its own.
  const snapshot = context.prepared?.payments.get(envelope.id);
  context.prepared?.payments.delete(envelope.id);
  const ledger = new OdooReceivablesLedger(await context.odoo(), undefined, snapshot);
  // Booked by the batch: decided there, from the same look-ups, within this record's FIFO turn.
  const decision =
    prepared?.kind === 'booked'
      ? { kind: 'plan' as const, plan: prepared.plan }
      : await decidePayment(envelope, context, ledger);
  if (decision.kind === 'outcome') return decision.outcome;
  const { plan } = decision;
  const executed = preparedFor(prepared, plan)?.executed ?? (await ledger.execute(plan.steps));
  await recordFollowUp(
    context,
    envelope,
    'PaymentPosted',
    {
      paymentId: payment.paymentId,
      invoiceId: payment.appliesTo.invoiceId,
      payerKind: payment.payer.kind,
      amountCents: payment.amountCents,
      steps: executed,
    },
    { kind: 'reach', state: 'payment_posted' },
    (draft) => {
      draft.payments[payment.paymentId] = {
        paymentId: payment.paymentId,
        invoiceId: payment.appliesTo.invoiceId,
        amountCents: payment.amountCents,
      };
      applySummary(draft, plan);
      openPlanExceptions(draft, plan, envelope.id, context.now());
    },
  );
  return done;
}

/** This record's share of the batch's booking (booking/batch.ts), taken once: a retry books on its own. */
function takePrepared(context: BookingContext, envelopeId: string): PreparedReceivable | undefined {
  const prepared = context.prepared?.receivables.get(envelopeId);
  context.prepared?.receivables.delete(envelopeId);
  return prepared;
}

/**
 * What the batch booked for this plan, if it booked this very plan. A batch that could not finish its writes
 * for the record fails it as the batch's call failed: a refusal for good (dead-lettered with its exception), or
 * an answer that never came, retried on a later delivery once a late commit has landed.
 */
function preparedFor(
  prepared: PreparedReceivable | undefined,
  plan: PostingPlan,
): Extract<PreparedReceivable, { kind: 'booked' }> | undefined {
  if (prepared?.kind === 'failed') throw prepared.error;
  if (prepared?.kind !== 'booked') return undefined;
  const refs = (p: PostingPlan) => p.steps.map((step) => step.ref).join('\n');
  return refs(prepared.plan) === refs(plan) ? prepared : undefined;
}

const NOTHING_MOVED: PostingPlan['summary'] = {
  paidCents: 0,
  adjustedCents: 0,
  patientResponsibilityCents: 0,
  patientPaidCents: 0,
};

function applySummary(draft: Workflow, plan: PostingPlan): void {
  draft.money.paidCents += plan.summary.paidCents;
  draft.money.adjustedCents += plan.summary.adjustedCents;
  draft.money.patientResponsibilityCents += plan.summary.patientResponsibilityCents;
  draft.money.patientPaidCents += plan.summary.patientPaidCents;
}

function openPlanExceptions(draft: Workflow, plan: PostingPlan, sourceEventId: string, now: string): void {
  for (const exception of plan.exceptions) {
    openException(
      draft,
      { ...exception, reason: `${exception.reason} (${formatCents(exception.amountCents)})`, sourceEventId },
      now,
    );
  }
}

/** Odoo's number and customer of the moves a plan booked (one read for all of them). */
async function readMoves(
  context: BookingContext,
  ids: number[],
): Promise<Map<number, { id: number; name: string; partnerId: number }>> {
  if (ids.length === 0) return new Map();
  const rows = await (await context.odoo()).call<
    Array<{ id: number; name: string | false; partner_id: [number, string] | false }>
  >('account.move', 'read', [ids], { fields: ['name', 'partner_id'] });
  return new Map(
    rows.map((row) => [
      row.id,
      { id: row.id, name: row.name || String(row.id), partnerId: row.partner_id ? row.partner_id[0] : 0 },
    ]),
  );
}
