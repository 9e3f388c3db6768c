import type { IntakeName } from './core/intake.js';
import { scopes } from './scopes.js';

/** Where an intake (lambdas/core/intake.ts) is served: wiring.ts's route table builds its write routes from these. */
export interface IntakeRoute {
  method: 'POST' | 'PUT';
  /** API Gateway path syntax: `{name}` for a path parameter. */
  path: string;
  scope: string;
  summary: string;
}

/**
 * The write routes of the ingest handler, by intake. Their own module so that ingest maps a request to its
 * intake without bundling the whole route table and the other handlers' schemas (issue 16, docs/benchmarks.md).
 */
export const intakeRoutes: Record<IntakeName, IntakeRoute> = {
  upsertPatient: {
    method: 'PUT',
    path: '/v1/patients/{patientId}',
    scope: scopes.masterDataWrite,
    summary: 'Create or update a patient; upserted as an Odoo partner.',
  },
  upsertPayer: {
    method: 'PUT',
    path: '/v1/payers/{payerId}',
    scope: scopes.masterDataWrite,
    summary: 'Create or update a payer; upserted as an Odoo company partner.',
  },
  submitCharges: {
    method: 'POST',
    path: '/v1/charges',
    scope: scopes.chargesWrite,
    summary: 'Finalized charges for an encounter (ChargeFinalized).',
  },
  submitInvoice: {
    method: 'POST',
    path: '/v1/invoices',
    scope: scopes.invoicesWrite,
    summary: 'Submit an invoice issued for an encounter; it is posted in Odoo asynchronously.',
  },
  submitClaim: {
    method: 'POST',
    path: '/v1/claims',
    scope: scopes.claimsWrite,
    summary: 'A claim submitted to a payer for one or more invoices (ClaimSubmitted).',
  },
  submitClaimStatus: {
    method: 'POST',
    path: '/v1/claim-statuses',
    scope: scopes.claimsWrite,
    summary: "A payer's status for a claim: accepted, rejected, pended, denied or paid.",
  },
  submitRemittance: {
    method: 'POST',
    path: '/v1/remittances',
    scope: scopes.remittancesWrite,
    summary: 'One claim payment from an ERA: paid amount, adjustments, patient responsibility.',
  },
  submitEraDeposit: {
    method: 'POST',
    path: '/v1/remittance-deposits',
    scope: scopes.remittancesWrite,
    summary:
      'One ERA’s deposit in JSON (BPR02 by TRN02, claim interest, provider-level adjustments), for partners that send remittances as JSON.',
  },
  submitPayment: {
    method: 'POST',
    path: '/v1/payments',
    scope: scopes.paymentsWrite,
    summary: 'A payment confirmed by a gateway or bank, applied to an invoice.',
  },
};
