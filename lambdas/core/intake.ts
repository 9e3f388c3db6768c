import type * as z from 'zod';
import { remittanceBalanceViolations } from './balancing.js';
import { type ChargeFinalized, ChargeFinalizedRequest, toCanonicalCharge } from './charge.js';
import {
  type ClaimStatusChanged,
  ClaimStatusRequest,
  type ClaimSubmitted,
  ClaimSubmittedRequest,
  toCanonicalClaim,
} from './claim.js';
import {
  type EraDepositReceived,
  EraDepositRequest,
  eraDepositViolations,
  toCanonicalEraDeposit,
} from './era-deposit.js';
import type { EventType } from './events.js';
import { type InvoiceIssued, InvoiceIssuedRequest, toCanonicalInvoice } from './invoice.js';
import {
  type PatientUpserted,
  PatientUpsertRequest,
  type PayerUpserted,
  PayerUpsertRequest,
} from './master-data.js';
import { type PaymentReceived, PaymentRequest, toCanonicalPayment } from './payment.js';
import { type RemittanceReceived, RemittanceRequest, toCanonicalRemittance } from './remittance.js';

/**
 * How each write route turns a partner's request into a canonical business event: the schema it must
 * match, the canonical form (integer cents), where it is ordered (encounter, or the master record), what of
 * it may be recorded (no PHI) and which business checks beyond the schema apply. One table, read by the
 * ingest handler and the contract generator.
 */
export interface Intake<TSchema extends z.ZodType = z.ZodType, TData = unknown> {
  eventType: EventType;
  schema: TSchema;
  toCanonical(request: z.infer<TSchema>, pathParameters: Record<string, string>): TData;
  /** The workflow the event belongs to, or undefined for master data. */
  encounter(data: TData): { encounterId: string; facilityId: string } | undefined;
  partitionKey(data: TData): string;
  /** Where the caller can follow up (the Location header). */
  location(data: TData): string;
  /** Non-PHI facts recorded with the acceptance (ids, amounts in cents). */
  facts(data: TData): Record<string, unknown>;
  /** Business rules beyond the schema; each violation a JSON Pointer into the request. */
  violations?(data: TData): Array<{ path: string; message: string }>;
}

function intake<TSchema extends z.ZodType, TData>(spec: Intake<TSchema, TData>): Intake<z.ZodType, unknown> {
  return spec as unknown as Intake<z.ZodType, unknown>;
}

/** What every encounter document shares: its workflow, its FIFO group, where to follow it up. */
const encounterDocument = {
  encounter: (data: { encounterId: string; facilityId: string }) => ({
    encounterId: data.encounterId,
    facilityId: data.facilityId,
  }),
  partitionKey: (data: { encounterId: string }) => data.encounterId,
  location: (data: { encounterId: string }) => `/v1/workflows/${encodeURIComponent(data.encounterId)}`,
};

export const intakes = {
  upsertPatient: intake<typeof PatientUpsertRequest, PatientUpserted>({
    eventType: 'PatientUpserted',
    schema: PatientUpsertRequest,
    toCanonical: (request, params) => ({ ...request, patientId: params.patientId as string }),
    encounter: () => undefined,
    partitionKey: (data) => `patient:${data.patientId}`,
    location: (data) => `/v1/patients/${encodeURIComponent(data.patientId)}`,
    facts: (data) => ({
      patientId: data.patientId,
      sourceSystem: data.sourceSystem,
      sourceUpdatedAt: data.sourceUpdatedAt,
    }),
  }),
  upsertPayer: intake<typeof PayerUpsertRequest, PayerUpserted>({
    eventType: 'PayerUpserted',
    schema: PayerUpsertRequest,
    toCanonical: (request, params) => ({ ...request, payerId: params.payerId as string }),
    encounter: () => undefined,
    partitionKey: (data) => `payer:${data.payerId}`,
    location: (data) => `/v1/payers/${encodeURIComponent(data.payerId)}`,
    facts: (data) => ({ payerId: data.payerId, payerType: data.payerType, sourceSystem: data.sourceSystem }),
  }),
  submitCharges: intake<typeof ChargeFinalizedRequest, ChargeFinalized>({
    eventType: 'ChargeFinalized',
    schema: ChargeFinalizedRequest,
    toCanonical: (request) => toCanonicalCharge(request),
    ...encounterDocument,
    facts: (data) => ({ chargeId: data.chargeId, totalCents: data.totalCents, lineCount: data.lines.length }),
  }),
  submitInvoice: intake<typeof InvoiceIssuedRequest, InvoiceIssued>({
    eventType: 'InvoiceIssued',
    schema: InvoiceIssuedRequest,
    toCanonical: (request) => toCanonicalInvoice(request),
    ...encounterDocument,
    facts: (data) => ({
      invoiceId: data.invoiceId,
      billTo: data.billTo.kind,
      totalCents: data.totalCents,
      lineCount: data.lines.length,
    }),
  }),
  submitClaim: intake<typeof ClaimSubmittedRequest, ClaimSubmitted>({
    eventType: 'ClaimSubmitted',
    schema: ClaimSubmittedRequest,
    toCanonical: (request) => toCanonicalClaim(request),
    ...encounterDocument,
    facts: (data) => ({
      claimId: data.claimId,
      payerId: data.payerId,
      invoiceIds: data.invoiceIds,
      billedCents: data.billedCents,
    }),
  }),
  submitClaimStatus: intake<typeof ClaimStatusRequest, ClaimStatusChanged>({
    eventType: 'ClaimStatusChanged',
    schema: ClaimStatusRequest,
    toCanonical: (request) => request,
    ...encounterDocument,
    facts: (data) => ({
      statusId: data.statusId,
      claimId: data.claimId,
      status: data.status,
      payerCodes: data.payerCodes,
    }),
  }),
  submitRemittance: intake<typeof RemittanceRequest, RemittanceReceived>({
    eventType: 'RemittanceReceived',
    schema: RemittanceRequest,
    toCanonical: (request) => toCanonicalRemittance(request),
    ...encounterDocument,
    facts: (data) => ({
      remittanceId: data.remittanceId,
      claimId: data.claimId,
      payerId: data.payerId,
      claimStatus: data.claimStatus,
      billedCents: data.billedCents,
      paidCents: data.paidCents,
      // With paid, the money at stake while it is not booked (a zero-pay deductible still moves PR).
      patientResponsibilityCents: data.patientResponsibilityCents,
      traceNumber: data.payment.traceNumber,
    }),
    violations: (data) => [...remittanceBalanceViolations(data), ...correctionViolations(data)],
  }),
  // Issue 14: the ERA-level document of a JSON partner (BPR02 by TRN02, claim interest, PLB), booked as an 835's.
  submitEraDeposit: intake<typeof EraDepositRequest, EraDepositReceived>({
    eventType: 'EraDepositReceived',
    schema: EraDepositRequest,
    toCanonical: (request) => toCanonicalEraDeposit(request),
    encounter: () => undefined,
    // The FIFO group the 835 path uses for the same trace (documents.ts eraDepositEvent).
    partitionKey: (data) => `era:${data.traceNumber}`,
    location: (data) => `/v1/exceptions?traceNumber=${encodeURIComponent(data.traceNumber)}`,
    facts: (data) => ({
      traceNumber: data.traceNumber,
      payerId: data.payerId,
      depositCents: data.depositCents,
      claims: data.claimPayments.length,
      providerAdjustments: data.providerAdjustments.length,
    }),
    violations: (data) => eraDepositViolations(data),
  }),
  submitPayment: intake<typeof PaymentRequest, PaymentReceived>({
    eventType: 'PaymentReceived',
    schema: PaymentRequest,
    toCanonical: (request) => toCanonicalPayment(request),
    ...encounterDocument,
    facts: (data) => ({
      paymentId: data.paymentId,
      payerKind: data.payer.kind,
      amountCents: data.amountCents,
      invoiceId: data.appliesTo.invoiceId,
    }),
  }),
} as const;
export type IntakeName = keyof typeof intakes;

/** A correction names the reversal it follows; a reversal (22) is never itself a correction. */
function correctionViolations(r: RemittanceReceived): Array<{ path: string; message: string }> {
  if (r.afterReversal === undefined) return [];
  if (r.claimStatus === '22')
    return [
      {
        path: '/reversalRemittanceId',
        message:
          'a reversal (claim status 22) is not a correction: reversalRemittanceId names the reversal a correction follows',
      },
    ];
  if (r.afterReversal === r.remittanceId)
    return [
      {
        path: '/reversalRemittanceId',
        message: 'a correction cannot follow itself: name the reversal’s remittanceId',
      },
    ];
  return [];
}
