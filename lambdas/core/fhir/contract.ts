import * as z from 'zod';

/**
 * The FHIR edge's answers as zod schemas, for the generated API contract (scripts/contracts). They describe
 * what the handler writes (lambdas/handlers/fhir.ts); the FHIR resources themselves are R4's.
 */
export const FhirOperationOutcome = z
  .object({
    resourceType: z.literal('OperationOutcome'),
    issue: z.array(
      z.object({
        severity: z.enum(['fatal', 'error', 'warning', 'information']),
        code: z.string().meta({ description: 'R4 IssueType (http://hl7.org/fhir/issue-type)' }),
        diagnostics: z.string(),
        expression: z.array(z.string()).optional().meta({ description: 'FHIRPath-like location' }),
      }),
    ),
  })
  .meta({
    id: 'FhirOperationOutcome',
    description:
      'R4 OperationOutcome: what was accepted (information), not booked (warning) or refused (error).',
  });

export const FhirBundleResponse = z
  .object({
    resourceType: z.literal('Bundle'),
    type: z.enum(['transaction-response', 'batch-response']),
    entry: z.array(
      z.object({
        response: z.object({
          status: z.string().meta({ description: '"202 Accepted", or the 4xx of a refused batch entry' }),
          location: z.string().optional(),
          outcome: FhirOperationOutcome,
        }),
      }),
    ),
  })
  .meta({
    id: 'FhirBundleResponse',
    description: 'R4 transaction-response or batch-response, one entry per entry.',
  });

const Money = z.object({ value: z.number(), currency: z.literal('USD') });
const IdentifierOut = z.object({ system: z.string(), value: z.string() });

export const FhirPaymentReconciliation = z
  .object({
    resourceType: z.literal('PaymentReconciliation'),
    id: z.string().optional(),
    extension: z.array(
      z.object({
        url: z.string(),
        valueReference: z.object({ type: z.string(), identifier: IdentifierOut }),
      }),
    ),
    identifier: z.array(IdentifierOut),
    status: z.enum(['active', 'cancelled']),
    created: z.string(),
    paymentIssuer: z.object({ type: z.literal('Organization'), identifier: IdentifierOut }),
    outcome: z.enum(['queued', 'complete']),
    disposition: z.string(),
    paymentDate: z.string(),
    paymentAmount: Money,
    paymentIdentifier: IdentifierOut,
    detail: z.array(
      z.object({
        identifier: IdentifierOut,
        type: z.object({ coding: z.array(z.object({ system: z.string(), code: z.string() })) }),
        request: z.object({ type: z.literal('Claim'), identifier: IdentifierOut }),
        response: z.object({ type: z.literal('ClaimResponse'), identifier: IdentifierOut }),
        date: z.string(),
        amount: Money,
      }),
    ),
  })
  .meta({ id: 'FhirPaymentReconciliation', description: 'One remittance as an R4 PaymentReconciliation.' });

/** A FHIR resource body as posted (validated by the handler, not by a JSON Schema: FHIR allows any element). */
export const FhirResourceBody = z.looseObject({ resourceType: z.string() }).meta({
  id: 'FhirResource',
  description: 'An R4 resource or Bundle (application/fhir+json); see docs/fhir.md.',
});
