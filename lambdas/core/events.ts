import * as z from 'zod';
import { ChargeFinalized } from './charge.js';
import { ClaimStatusChanged, ClaimSubmitted } from './claim.js';
import { DenialWriteOffApproved } from './denial-write-off.js';
import { eventEnvelope } from './envelope.js';
import { EraDepositReceived } from './era-deposit.js';
import { ExceptionOpened, ExceptionOpenedEnvelope } from './exception-opened.js';
import { InvoiceIssued } from './invoice.js';
import { PatientUpserted, PayerUpserted } from './master-data.js';
import { PaymentReceived } from './payment.js';
import { RemittanceReceived } from './remittance.js';
import { OdooEntryRecorded, PaymentRefunded, PaymentReversed } from './webhooks/events.js';
import { WorkflowState } from './workflow.js';
import { ProviderAdjustmentReceived } from './x12/remittance-events.js';

/** Odoo record ids the hub linked to an encounter. */
export const OdooLinks = z.object({
  partnerId: z.number().int().optional(),
  moveId: z.number().int().optional(),
  moveName: z.string().optional(),
});

export const InvoicePosted = z
  .object({
    invoiceId: z.string(),
    odooPartnerId: z.number().int(),
    odooMoveId: z.number().int(),
    odooMoveName: z.string(),
    amountTotalCents: z.number().int(),
    amountResidualCents: z.number().int(),
    alreadyPresent: z
      .boolean()
      .meta({ description: 'true when a redelivery found the invoice already in Odoo' }),
  })
  .meta({ id: 'InvoicePosted' });
export type InvoicePosted = z.infer<typeof InvoicePosted>;

const ExecutedStep = z.object({
  ref: z.string(),
  kind: z.string(),
  model: z.string(),
  ids: z.array(z.number().int()),
  alreadyPresent: z.boolean(),
  /** Reverse steps: the payments they cancelled. */
  cancelledPaymentIds: z.array(z.number().int()).optional(),
});

const MoneySummary = z.object({
  paidCents: z.number().int(),
  adjustedCents: z.number().int(),
  patientResponsibilityCents: z.number().int(),
  patientPaidCents: z.number().int(),
});

export const RemittancePosted = z
  .object({
    remittanceId: z.string(),
    claimId: z.string(),
    payerId: z.string(),
    payerClaimControlNumber: z.string(),
    traceNumber: z.string(),
    steps: z.array(ExecutedStep),
    summary: MoneySummary,
  })
  .meta({ id: 'RemittancePosted' });
export type RemittancePosted = z.infer<typeof RemittancePosted>;

export const PaymentPosted = z
  .object({
    paymentId: z.string(),
    invoiceId: z.string(),
    payerKind: z.enum(['patient', 'payer']),
    amountCents: z.number().int(),
    steps: z.array(ExecutedStep),
  })
  .meta({ id: 'PaymentPosted' });
export type PaymentPosted = z.infer<typeof PaymentPosted>;

export const PartnerSynced = z
  .object({
    kind: z.enum(['patient', 'payer']),
    id: z.string(),
    odooPartnerId: z.number().int(),
    applied: z
      .boolean()
      .meta({ description: 'false when an older or less authoritative record lost to the stored one' }),
  })
  .meta({ id: 'PartnerSynced' });
export type PartnerSynced = z.infer<typeof PartnerSynced>;

export const OdooWriteRejected = z
  .object({
    subjectType: z.string(),
    subjectId: z.string(),
    reason: z.string(),
    odooError: z.string().optional(),
    sourceEventId: z.string(),
  })
  .meta({ id: 'OdooWriteRejected' });
export type OdooWriteRejected = z.infer<typeof OdooWriteRejected>;

export { ExceptionOpened } from './exception-opened.js';

export const ExceptionResolved = z
  .object({
    exceptionId: z.string(),
    key: z.string(),
    outcome: z.enum(['resolved', 'retried', 'cleared']).meta({
      description:
        'resolved: a person closed it; retried: its event was re-driven; cleared: the condition ended by itself (an SLA breach whose encounter moved on)',
    }),
    resolutionCode: z.string().optional(),
  })
  .meta({ id: 'ExceptionResolved' });
export type ExceptionResolved = z.infer<typeof ExceptionResolved>;

export const EventHeld = z
  .object({
    heldEventId: z.string(),
    heldType: z.string(),
    waitingFor: z
      .string()
      .meta({ description: 'What must exist first, e.g. "invoice INV-1", "claim CLM-1"' }),
  })
  .meta({ id: 'EventHeld' });
export type EventHeld = z.infer<typeof EventHeld>;

export const WorkflowStateChanged = z
  .object({
    from: WorkflowState.nullable(),
    to: WorkflowState,
    cause: z.string().meta({ description: 'type of the event that moved the workflow' }),
  })
  .meta({ id: 'WorkflowStateChanged' });
export type WorkflowStateChanged = z.infer<typeof WorkflowStateChanged>;

export const DenialWrittenOff = z
  .object({
    exceptionId: z.string(),
    remittanceId: z.string(),
    claimId: z.string(),
    invoiceId: z.string(),
    amountCents: z
      .number()
      .int()
      .meta({ description: 'Written off to the denial account: what was still open of the denied amount' }),
    steps: z.array(ExecutedStep),
  })
  .meta({ id: 'DenialWrittenOff' });
export type DenialWrittenOff = z.infer<typeof DenialWrittenOff>;

/** The event catalog: one schema per `detail-type`, from which events/catalog is generated. */
export const EventCatalog = {
  PatientUpserted: eventEnvelope('PatientUpserted', PatientUpserted),
  PayerUpserted: eventEnvelope('PayerUpserted', PayerUpserted),
  ChargeFinalized: eventEnvelope('ChargeFinalized', ChargeFinalized),
  InvoiceIssued: eventEnvelope('InvoiceIssued', InvoiceIssued),
  ClaimSubmitted: eventEnvelope('ClaimSubmitted', ClaimSubmitted),
  ClaimStatusChanged: eventEnvelope('ClaimStatusChanged', ClaimStatusChanged),
  RemittanceReceived: eventEnvelope('RemittanceReceived', RemittanceReceived),
  PaymentReceived: eventEnvelope('PaymentReceived', PaymentReceived),
  PartnerSynced: eventEnvelope('PartnerSynced', PartnerSynced),
  InvoicePosted: eventEnvelope('InvoicePosted', InvoicePosted),
  RemittancePosted: eventEnvelope('RemittancePosted', RemittancePosted),
  PaymentPosted: eventEnvelope('PaymentPosted', PaymentPosted),
  OdooWriteRejected: eventEnvelope('OdooWriteRejected', OdooWriteRejected),
  ExceptionOpened: ExceptionOpenedEnvelope,
  // The exception register (docs/operations.md#exceptions): closed through POST /v1/exceptions/{id}/resolve|retry.
  ExceptionResolved: eventEnvelope('ExceptionResolved', ExceptionResolved),
  EventHeld: eventEnvelope('EventHeld', EventHeld),
  WorkflowStateChanged: eventEnvelope('WorkflowStateChanged', WorkflowStateChanged),
  // Webhooks (docs/webhooks.md): a gateway refund, a payment/credit note entered by hand in Odoo, the reversal.
  PaymentRefunded: eventEnvelope('PaymentRefunded', PaymentRefunded),
  OdooEntryRecorded: eventEnvelope('OdooEntryRecorded', OdooEntryRecorded),
  PaymentReversed: eventEnvelope('PaymentReversed', PaymentReversed),
  // X12 835 PLB (docs/x12.md): a provider-level adjustment of an ERA, not tied to one claim.
  ProviderAdjustmentReceived: eventEnvelope('ProviderAdjustmentReceived', ProviderAdjustmentReceived),
  // Issue 14: a denial a person resolved as not recoverable, and its write-off to the denial account.
  DenialWriteOffApproved: eventEnvelope('DenialWriteOffApproved', DenialWriteOffApproved),
  DenialWrittenOff: eventEnvelope('DenialWrittenOff', DenialWrittenOff),
  // X12 835 BPR/TRN/PLB (docs/posting-rules.md): one ERA's deposit, booked as one journal entry (issue 14).
  EraDepositReceived: eventEnvelope('EraDepositReceived', EraDepositReceived),
} as const;
export type EventType = keyof typeof EventCatalog;
export type EventOf<T extends EventType> = z.infer<(typeof EventCatalog)[T]>;

/** A canonical business event ready to be accepted: what any intake (JSON, X12, FHIR, webhook) produces. */
/** Events whose data is PHI (patient demographics): never kept in the long event archive (lib/events.ts). */
export const PHI_EVENT_TYPES = ['PatientUpserted'] as const;

export interface CanonicalEvent {
  eventType: EventType;
  data: unknown;
  /** The workflow it belongs to; absent for master data. */
  encounter?: { encounterId: string; facilityId: string };
  /** Master data: the facility that owns the record (docs/security.md#ownership), carried on the envelope. */
  ownerFacilityId?: string;
  /** FIFO ordering key: the encounter, or `patient:<id>` / `payer:<id>`. */
  partitionKey: string;
  /** Non-PHI facts for the timeline entry. */
  facts: Record<string, unknown>;
  /**
   * Tells apart several events accepted under one idempotency key (the claim payments of one 835); stable
   * for the same document, e.g. the payer claim control number. Absent for single-event requests.
   */
  discriminator?: string;
}
