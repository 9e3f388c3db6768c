import * as z from 'zod';
import {
  CodeableConcept,
  Extension,
  FhirDateTime,
  FhirString,
  Identifier,
  Money,
  Reference,
} from './datatypes.js';

/**
 * The R4 resources the hub accepts, reduced to the elements its mappings read (https://hl7.org/fhir/R4/):
 * cardinality and value sets as R4 defines them for those elements, everything else allowed through.
 */
const PositiveInt = z.number().int().positive();

/** Claim.status, ClaimResponse.status, PaymentReconciliation.status (http://hl7.org/fhir/fm-status). */
const FinancialStatus = z.enum(['active', 'cancelled', 'draft', 'entered-in-error']);
/** Claim.use / ClaimResponse.use (http://hl7.org/fhir/claim-use). */
const Use = z.enum(['claim', 'preauthorization', 'predetermination']);
/** ClaimResponse.outcome / PaymentReconciliation.outcome (http://hl7.org/fhir/remittance-outcome). */
export const RemittanceOutcome = z.enum(['queued', 'complete', 'error', 'partial']);

const Adjudication = z.looseObject({
  category: CodeableConcept,
  reason: CodeableConcept.optional(),
  amount: Money.optional(),
  value: z.number().optional(),
});
export type Adjudication = z.infer<typeof Adjudication>;

/** A contained ChargeItem: the R4 way to tie an Invoice line to its encounter (`context`) and code. */
export const ChargeItem = z.looseObject({
  resourceType: z.literal('ChargeItem'),
  id: z.string().optional(),
  code: CodeableConcept.optional(),
  context: Reference.optional(),
  quantity: z.looseObject({ value: z.number().optional() }).optional(),
});
export type ChargeItem = z.infer<typeof ChargeItem>;

export const Claim = z.looseObject({
  resourceType: z.literal('Claim'),
  id: z.string().optional(),
  identifier: z.array(Identifier).optional(),
  status: FinancialStatus,
  use: Use,
  patient: Reference,
  created: FhirDateTime,
  insurer: Reference.optional(),
  facility: Reference.optional(),
  related: z.array(z.looseObject({ relationship: CodeableConcept.optional() })).optional(),
  supportingInfo: z
    .array(
      z.looseObject({
        sequence: PositiveInt,
        category: CodeableConcept,
        valueReference: Reference.optional(),
      }),
    )
    .optional(),
  item: z
    .array(
      z.looseObject({
        sequence: PositiveInt,
        productOrService: CodeableConcept,
        encounter: z.array(Reference).optional(),
        net: Money.optional(),
      }),
    )
    .optional(),
  total: Money.optional(),
});
export type Claim = z.infer<typeof Claim>;

const PriceComponent = z.looseObject({
  type: z.enum(['base', 'surcharge', 'deduction', 'discount', 'tax', 'informational']),
  code: CodeableConcept.optional(),
  factor: z.number().optional(),
  amount: Money.optional(),
});

export const Invoice = z.looseObject({
  resourceType: z.literal('Invoice'),
  id: z.string().optional(),
  contained: z.array(z.looseObject({ resourceType: z.string(), id: z.string().optional() })).optional(),
  extension: z.array(Extension).optional(),
  identifier: z.array(Identifier).optional(),
  status: z.enum(['draft', 'issued', 'balanced', 'cancelled', 'entered-in-error']),
  subject: Reference.optional(),
  recipient: Reference.optional(),
  date: FhirDateTime.optional(),
  issuer: Reference.optional(),
  lineItem: z
    .array(
      z.looseObject({
        sequence: PositiveInt.optional(),
        chargeItemReference: Reference.optional(),
        chargeItemCodeableConcept: CodeableConcept.optional(),
        priceComponent: z.array(PriceComponent).optional(),
      }),
    )
    .optional(),
  totalNet: Money.optional(),
  totalGross: Money.optional(),
});
export type Invoice = z.infer<typeof Invoice>;

export const ClaimResponse = z.looseObject({
  resourceType: z.literal('ClaimResponse'),
  id: z.string().optional(),
  identifier: z.array(Identifier).optional(),
  status: FinancialStatus,
  use: Use,
  patient: Reference,
  created: FhirDateTime,
  insurer: Reference,
  request: Reference.optional(),
  outcome: RemittanceOutcome,
  disposition: z.string().optional(),
  item: z
    .array(z.looseObject({ itemSequence: PositiveInt, adjudication: z.array(Adjudication).min(1) }))
    .optional(),
  addItem: z.array(z.looseObject({ adjudication: z.array(Adjudication).min(1) })).optional(),
  adjudication: z.array(Adjudication).optional(),
  total: z.array(z.looseObject({ category: CodeableConcept, amount: Money })).optional(),
  payment: z
    .looseObject({
      type: CodeableConcept,
      adjustment: Money.optional(),
      adjustmentReason: CodeableConcept.optional(),
      date: FhirDateTime.optional(),
      amount: Money,
      identifier: Identifier.optional(),
    })
    .optional(),
  insurance: z
    .array(z.looseObject({ sequence: PositiveInt, focal: z.boolean(), coverage: Reference }))
    .optional(),
  error: z.array(z.looseObject({ itemSequence: PositiveInt.optional(), code: CodeableConcept })).optional(),
});
export type ClaimResponse = z.infer<typeof ClaimResponse>;

export const PaymentReconciliation = z.looseObject({
  resourceType: z.literal('PaymentReconciliation'),
  id: z.string().optional(),
  identifier: z.array(Identifier).optional(),
  status: FinancialStatus,
  created: FhirDateTime,
  paymentIssuer: Reference.optional(),
  outcome: RemittanceOutcome.optional(),
  disposition: z.string().optional(),
  paymentDate: FhirDateTime,
  paymentAmount: Money,
  paymentIdentifier: Identifier.optional(),
  detail: z
    .array(
      z.looseObject({
        identifier: Identifier.optional(),
        predecessor: Identifier.optional(),
        type: CodeableConcept,
        request: Reference.optional(),
        response: Reference.optional(),
        date: FhirDateTime.optional(),
        amount: Money.optional(),
      }),
    )
    .optional(),
});
export type PaymentReconciliation = z.infer<typeof PaymentReconciliation>;

/** The resource types the hub books, by the path segment of their route. */
export const ACCEPTED_TYPES = ['Claim', 'Invoice', 'ClaimResponse', 'PaymentReconciliation'] as const;
export type AcceptedType = (typeof ACCEPTED_TYPES)[number];
export const resourceSchemas = { Claim, Invoice, ClaimResponse, PaymentReconciliation } as const;
export type AcceptedResource = Claim | Invoice | ClaimResponse | PaymentReconciliation;

export const BundleEntry = z.looseObject({
  fullUrl: z.string().optional(),
  resource: z.looseObject({ resourceType: FhirString }).optional(),
  request: z
    .looseObject({
      method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']),
      url: FhirString,
      ifNoneExist: z.string().optional(),
    })
    .optional(),
});
export type BundleEntry = z.infer<typeof BundleEntry>;

/** Bundle.type values the hub processes; the others (document, message, history, searchset, …) are refused. */
export const PROCESSED_BUNDLE_TYPES = ['transaction', 'batch', 'collection'] as const;

export const Bundle = z.looseObject({
  resourceType: z.literal('Bundle'),
  type: z.enum([
    'document',
    'message',
    'transaction',
    'transaction-response',
    'batch',
    'batch-response',
    'history',
    'searchset',
    'collection',
  ]),
  entry: z.array(BundleEntry).optional(),
});
export type Bundle = z.infer<typeof Bundle>;
