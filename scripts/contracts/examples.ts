/**
 * Response examples, built from the checked-in samples (events/samples) so the documents tell the samples'
 * story: patient and payer synced, charges, invoice posted in Odoo, claim accepted (its status arrived
 * first and was held), remittance posted, the patient's card payment overpaying their share by 10.00.
 * Timeline details are what the hub records: `intakes[…].facts` for accepted documents, the follow-up's data
 * for the Odoo writer's events.
 */
import type { TimelineEntry } from '../../lambdas/adapters/dynamodb/workflow-store.js';
import type { EventEnvelope } from '../../lambdas/core/envelope.js';
import { deterministicEventId } from '../../lambdas/core/event-id.js';
import { intakes } from '../../lambdas/core/intake.js';
import { partnerRef } from '../../lambdas/core/odoo-posting.js';
import { patientInvoiceId } from '../../lambdas/core/remittance-posting.js';
import type { WorkflowState } from '../../lambdas/core/workflow.js';
import type { Samples } from './operations.js';

/** When the hub wrote the workflow item: a few milliseconds after the event that changed it. */
const WORKFLOW_CREATED_AT = '2026-11-01T16:20:11.352Z';
const WORKFLOW_UPDATED_AT = '2026-11-20T20:03:30.126Z';

function entry(
  event: Pick<EventEnvelope, 'id' | 'type' | 'time' | 'correlationId' | 'clientId'>,
  state: WorkflowState,
  detail: Record<string, unknown>,
): TimelineEntry {
  return {
    eventId: event.id,
    type: event.type,
    time: event.time,
    correlationId: event.correlationId,
    clientId: event.clientId,
    state,
    detail,
  };
}

/** A tracking-only follow-up (ChargesRecorded, …): in the timeline, never on the bus. */
function trackingEntry(
  cause: EventEnvelope,
  type: string,
  time: string,
  state: WorkflowState,
  detail: Record<string, unknown>,
): TimelineEntry {
  return entry({ ...cause, id: deterministicEventId(type, cause.id), type, time }, state, detail);
}

export function workflowTimeline(s: Samples): TimelineEntry[] {
  const e = s.events;
  return [
    entry(e.ChargeFinalized, 'charge_ready', intakes.submitCharges.facts(e.ChargeFinalized.data)),
    trackingEntry(e.ChargeFinalized, 'ChargesRecorded', '2026-11-01T16:20:13.842Z', 'charge_ready', {
      chargeId: e.ChargeFinalized.data.chargeId,
      totalCents: e.ChargeFinalized.data.totalCents,
    }),
    entry(e.InvoiceIssued, 'charge_ready', intakes.submitInvoice.facts(e.InvoiceIssued.data)),
    entry(e.InvoicePosted, 'invoice_issued', e.InvoicePosted.data),
    entry(e.ClaimStatusChanged, 'invoice_issued', intakes.submitClaimStatus.facts(e.ClaimStatusChanged.data)),
    entry(e.EventHeld, 'invoice_issued', e.EventHeld.data),
    entry(e.ClaimSubmitted, 'invoice_issued', intakes.submitClaim.facts(e.ClaimSubmitted.data)),
    trackingEntry(e.ClaimSubmitted, 'ClaimRecorded', '2026-11-03T13:30:02.204Z', 'claim_submitted', {
      claimId: e.ClaimSubmitted.data.claimId,
      payerId: e.ClaimSubmitted.data.payerId,
      billedCents: e.ClaimSubmitted.data.billedCents,
    }),
    trackingEntry(
      e.ClaimStatusChanged,
      'ClaimStatusRecorded',
      '2026-11-03T13:30:02.391Z',
      'payer_response_received',
      {
        claimId: e.ClaimStatusChanged.data.claimId,
        status: e.ClaimStatusChanged.data.status,
        payerCodes: e.ClaimStatusChanged.data.payerCodes,
      },
    ),
    entry(
      e.RemittanceReceived,
      'payer_response_received',
      intakes.submitRemittance.facts(e.RemittanceReceived.data),
    ),
    entry(e.RemittancePosted, 'payment_posted', e.RemittancePosted.data),
    entry(e.PaymentReceived, 'payment_posted', intakes.submitPayment.facts(e.PaymentReceived.data)),
    entry(e.PaymentPosted, 'exception_pending', e.PaymentPosted.data),
  ];
}

function workflowSummaryExample(s: Samples) {
  const e = s.events;
  const posted = e.InvoicePosted.data;
  const remittance = e.RemittanceReceived.data;
  const remitted = e.RemittancePosted.data;
  const patientInvoice = remitted.steps.find((step) => step.kind === 'patientInvoice');
  const patientInvoiceIdValue = patientInvoiceId(posted.invoiceId, remittance.remittanceId);
  const money = {
    billedCents: e.InvoiceIssued.data.totalCents,
    paidCents: remitted.summary.paidCents,
    adjustedCents: remitted.summary.adjustedCents,
    patientResponsibilityCents: remitted.summary.patientResponsibilityCents,
    patientPaidCents: e.PaymentPosted.data.payerKind === 'patient' ? e.PaymentPosted.data.amountCents : 0,
  };
  return {
    encounterId: e.ChargeFinalized.encounterId as string,
    facilityId: e.ChargeFinalized.facilityId as string,
    state: 'exception_pending' as const,
    stage: 'payment_posted' as const,
    stateSince: WORKFLOW_UPDATED_AT,
    openExceptions: 1,
    payerIds: [e.InvoiceIssued.data.billTo.id],
    createdAt: WORKFLOW_CREATED_AT,
    updatedAt: WORKFLOW_UPDATED_AT,
    odoo: {
      invoices: [
        {
          invoiceId: posted.invoiceId,
          moveId: posted.odooMoveId,
          moveName: posted.odooMoveName,
          partnerId: posted.odooPartnerId,
          billTo: e.InvoiceIssued.data.billTo.kind,
          totalCents: e.InvoiceIssued.data.totalCents,
        },
        // As bookRemittance links a patient invoice it created: moveName is our id, partnerId 0.
        {
          invoiceId: patientInvoiceIdValue,
          moveId: patientInvoice?.ids[0] ?? 0,
          moveName: patientInvoiceIdValue,
          partnerId: 0,
          billTo: 'patient' as const,
          totalCents: remitted.summary.patientResponsibilityCents,
        },
      ],
    },
    money: {
      ...money,
      patientBalanceCents: money.patientResponsibilityCents - money.patientPaidCents,
      openBalanceCents: money.billedCents - money.paidCents - money.adjustedCents - money.patientPaidCents,
    },
  };
}

export function workflowDetailExample(s: Samples) {
  const e = s.events;
  const claim = e.ClaimSubmitted.data;
  const status = e.ClaimStatusChanged.data;
  const remittance = e.RemittanceReceived.data;
  const exception = e.ExceptionOpened.data;
  return {
    ...workflowSummaryExample(s),
    claims: [
      {
        claimId: claim.claimId,
        payerId: claim.payerId,
        invoiceIds: claim.invoiceIds,
        billedCents: claim.billedCents,
        status: status.status,
        ...(status.payerClaimControlNumber
          ? { payerClaimControlNumber: status.payerClaimControlNumber }
          : {}),
      },
    ],
    remittances: [
      {
        remittanceId: remittance.remittanceId,
        claimId: remittance.claimId,
        payerClaimControlNumber: remittance.payerClaimControlNumber,
        claimStatus: remittance.claimStatus,
        traceNumber: remittance.payment.traceNumber,
        stepRefs: e.RemittancePosted.data.steps.map((step) => step.ref),
      },
    ],
    payments: [
      {
        paymentId: e.PaymentReceived.data.paymentId,
        invoiceId: e.PaymentReceived.data.appliesTo.invoiceId,
        amountCents: e.PaymentReceived.data.amountCents,
      },
    ],
    exceptions: [
      {
        key: exception.key,
        team: exception.team,
        reason: exception.reason,
        amountCents: exception.amountCents,
        sourceEventId: exception.sourceEventId,
        openedAt: WORKFLOW_UPDATED_AT,
      },
    ],
    held: [],
    lastOdooError: null,
    timeline: workflowTimeline(s),
  };
}

/** The cursor the store issues: base64url JSON of the state being walked and DynamoDB's LastEvaluatedKey. */
export function exampleCursor(s: Samples): string {
  const summary = workflowSummaryExample(s);
  const position = {
    stateIndex: 0,
    key: {
      pk: `ENC#${summary.encounterId}`,
      sk: 'WORKFLOW',
      listState: summary.state,
      stateSince: summary.stateSince,
    },
  };
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function workflowListExample(s: Samples) {
  return { items: [workflowSummaryExample(s)], nextCursor: exampleCursor(s) };
}

export function masterRecordExample(kind: 'patient' | 'payer', s: Samples) {
  if (kind === 'payer') {
    const payer = s.events.PayerUpserted.data;
    const synced = s.events.PartnerSynced;
    return {
      payerId: payer.payerId,
      odooPartnerId: synced.data.odooPartnerId,
      odooRef: partnerRef({ kind, id: payer.payerId }),
      sourceSystem: payer.sourceSystem,
      sourceUpdatedAt: payer.sourceUpdatedAt,
      payerType: payer.payerType,
      syncedAt: synced.time,
      version: 1,
    };
  }
  const patient = s.events.PatientUpserted.data;
  return {
    patientId: patient.patientId,
    odooPartnerId: 64,
    odooRef: partnerRef({ kind, id: patient.patientId }),
    sourceSystem: patient.sourceSystem,
    sourceUpdatedAt: patient.sourceUpdatedAt,
    syncedAt: '2026-10-30T14:12:10.733Z',
    version: 1,
  };
}

export function healthExample(odoo: 'up' | 'down') {
  return {
    status: odoo === 'up' ? 'ok' : 'degraded',
    stage: 'local',
    odoo:
      odoo === 'up'
        ? {
            status: 'up',
            url: 'http://127.0.0.1:8069',
            database: 'rcm',
            protocol: 'jsonrpc',
            serverVersion: '18.0',
          }
        : {
            status: 'down',
            url: 'http://127.0.0.1:8069',
            database: 'rcm',
            protocol: 'jsonrpc',
            error: 'fetch failed',
          },
    store: { status: 'up', kind: 'dynamodb', endpoint: 'http://127.0.0.1:4567', table: 'WorkflowTable' },
  };
}
