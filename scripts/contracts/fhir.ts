/**
 * Contracts of the FHIR R4 routes (docs/fhir.md). Their answers are application/fhir+json and their handler
 * errors OperationOutcome, not problem+json, so each lists them as `otherResponses`; only the gateway's own
 * refusals (401, 403 scope, 429) stay problem+json, derived from the route as for every other operation.
 */
import {
  FhirBundleResponse,
  FhirOperationOutcome,
  FhirPaymentReconciliation,
} from '../../lambdas/core/fhir/contract.js';
import { toPaymentReconciliation } from '../../lambdas/core/fhir/outbound.js';
import { PartnerId } from '../../lambdas/core/identifiers.js';
import type { RemittanceReceived } from '../../lambdas/core/remittance.js';
import type { OperationContract, Samples } from './operations.js';

const FHIR_JSON = 'application/fhir+json';

const RemittanceIdSchema = PartnerId.meta({
  id: 'RemittanceId',
  description:
    'The remittance id: the sender’s id for one claim payment (a FHIR ClaimResponse identifier, …)',
  example: 'ERA-2026-000123-1',
});

const outcome = (issues: Array<Record<string, unknown>>) => ({
  resourceType: 'OperationOutcome',
  issue: issues,
});

const fhirErrors: NonNullable<OperationContract['otherResponses']> = [
  {
    status: 400,
    description:
      'OperationOutcome: the body is not the resource (structure, required element, bad value), or neither Idempotency-Key nor If-None-Exist was sent',
    schema: FhirOperationOutcome,
    mediaType: FHIR_JSON,
    example: () =>
      outcome([
        {
          severity: 'error',
          code: 'required',
          diagnostics: 'required element is missing',
          expression: ['ClaimResponse.created'],
        },
      ]),
  },
  {
    status: 422,
    description:
      'OperationOutcome: a valid resource the hub will not book (unbalanced, unknown claim, not supported); a transaction is refused whole',
    schema: FhirOperationOutcome,
    mediaType: FHIR_JSON,
    example: () =>
      outcome([
        {
          severity: 'error',
          code: 'business-rule',
          diagnostics:
            'does not balance: submitted 135.57 − benefit 90.47 = 45.10, but the adjudications the hub can book explain 10.00 (PR-3 10.00); 35.10 is unexplained',
          expression: ['ClaimResponse.total'],
        },
      ]),
  },
  {
    status: 503,
    description: 'OperationOutcome: nothing was recorded; retry with the same key (Retry-After: 2)',
    schema: FhirOperationOutcome,
    mediaType: FHIR_JSON,
    example: () =>
      outcome([
        {
          severity: 'error',
          code: 'transient',
          diagnostics: 'the document could not be recorded; nothing was accepted. Retry with the same key.',
        },
      ]),
  },
];

const WRITE_DESCRIPTION =
  'The Location header names the workflow of the first accepted event. Send Idempotency-Key, or If-None-Exist: identifier=system|value (FHIR conditional create); the same key with another document answers 409 OperationOutcome, as does a key still in flight. Bodies above 256 KB answer 413 and other media types than application/fhir+json 415, both OperationOutcome. The token needs rcm/fhir.write and the write scope of every event the document books (rcm/claims.write, rcm/invoices.write, rcm/remittances.write); a missing one answers 403 OperationOutcome. Mapping, identifier systems and Bundle rules: docs/fhir.md.';

function writeContract(type: string, eventType: string, books: string): OperationContract {
  return {
    description: `Books ${books}. ${WRITE_DESCRIPTION}`,
    success: {
      description:
        'OperationOutcome: one information issue per accepted event, warnings for what is not booked',
      schema: FhirOperationOutcome,
      mediaType: FHIR_JSON,
      example: () =>
        outcome([
          {
            severity: 'information',
            code: 'informational',
            diagnostics: `accepted ${eventType} (from a ${type}); follow it at /v1/workflows/ENC-2026-000123`,
          },
        ]),
      headers: ['X-Correlation-Id'],
    },
    otherResponses: fhirErrors,
    correlationHeader: false,
    errors: [],
  };
}

export const fhirContracts: Record<string, OperationContract> = {
  createFhirClaim: writeContract('Claim', 'ClaimSubmitted', 'ClaimSubmitted'),
  createFhirInvoice: writeContract('Invoice', 'InvoiceIssued', 'InvoiceIssued'),
  createFhirClaimResponse: writeContract(
    'ClaimResponse',
    'ClaimStatusChanged',
    'ClaimStatusChanged, and RemittanceReceived when it adjudicates amounts',
  ),
  createFhirPaymentReconciliation: writeContract(
    'PaymentReconciliation',
    'RemittanceReceived',
    'RemittanceReceived per claim payment detail',
  ),
  fhirBundle: {
    description: `A transaction (all or nothing, 202 transaction-response), batch (per entry, 200 batch-response) or collection (all or nothing, 202 OperationOutcome) Bundle. ${WRITE_DESCRIPTION}`,
    success: {
      description: 'Bundle transaction-response: every entry accepted',
      schema: FhirBundleResponse,
      mediaType: FHIR_JSON,
      example: () => ({
        resourceType: 'Bundle',
        type: 'transaction-response',
        entry: [
          {
            response: {
              status: '202 Accepted',
              location: '/v1/workflows/ENC-2026-000123',
              outcome: outcome([
                {
                  severity: 'information',
                  code: 'informational',
                  diagnostics:
                    'accepted InvoiceIssued (invoiceId INV-1); follow it at /v1/workflows/ENC-2026-000123',
                },
              ]),
            },
          },
        ],
      }),
      headers: ['X-Correlation-Id'],
    },
    otherResponses: [
      {
        status: 200,
        description: 'Bundle batch-response: each entry 202 Accepted or its 4xx with an outcome',
        schema: FhirBundleResponse,
        mediaType: FHIR_JSON,
        example: () => ({
          resourceType: 'Bundle',
          type: 'batch-response',
          entry: [
            {
              response: {
                status: '202 Accepted',
                location: '/v1/workflows/ENC-2026-000123',
                outcome: outcome([]),
              },
            },
            {
              response: {
                status: '422',
                outcome: outcome([
                  {
                    severity: 'error',
                    code: 'not-supported',
                    diagnostics: 'currency EUR is not booked; the hub books USD only',
                    expression: ['Bundle.entry[1].resource.total.currency'],
                  },
                ]),
              },
            },
          ],
        }),
      },
      ...fhirErrors,
    ],
    correlationHeader: false,
    errors: [],
  },
  readFhirPaymentReconciliation: {
    description:
      'One remittance as an R4 PaymentReconciliation: outcome complete once booked in Odoo (queued before), status cancelled when a later reversal undid it. A remittance id accepted for two encounters answers 409 OperationOutcome (multiple-matches).',
    success: {
      description: 'The PaymentReconciliation',
      schema: FhirPaymentReconciliation,
      mediaType: FHIR_JSON,
      example: (s: Samples) =>
        toPaymentReconciliation({
          remittance: s.events.RemittanceReceived.data as RemittanceReceived,
          acceptedAt: s.events.RemittanceReceived.time,
          booked: true,
          reversed: false,
        }),
      headers: ['X-Correlation-Id'],
    },
    pathParams: {
      remittanceId: {
        schema: RemittanceIdSchema,
        description: 'The remittance id (the sender’s id for the claim payment)',
        example: 'ERA-2026-000123-1',
      },
    },
    otherResponses: [
      {
        status: 404,
        description: 'OperationOutcome: no remittance with this id was accepted',
        schema: FhirOperationOutcome,
        mediaType: FHIR_JSON,
        example: () =>
          outcome([
            {
              severity: 'error',
              code: 'not-found',
              diagnostics: 'no remittance ERA-0',
              expression: ['PaymentReconciliation.id'],
            },
          ]),
      },
    ],
    correlationHeader: false,
    errors: [],
  },
};
