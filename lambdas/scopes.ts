/**
 * OAuth scopes of the API, one spelling for lib/ (the authorizer and resource server), local/ and the handlers
 * that check a scope themselves. Its own module, re-exported by wiring.ts: a handler that needs a scope name
 * then does not bundle the route table and every schema behind it (issue 16, docs/benchmarks.md).
 */
export const scopes = {
  masterDataWrite: 'rcm/master-data.write',
  masterDataRead: 'rcm/master-data.read',
  chargesWrite: 'rcm/charges.write',
  invoicesWrite: 'rcm/invoices.write',
  claimsWrite: 'rcm/claims.write',
  remittancesWrite: 'rcm/remittances.write',
  paymentsWrite: 'rcm/payments.write',
  workflowsRead: 'rcm/workflows.read',
  subscriptionsManage: 'rcm/subscriptions.manage',
  webhooksOperate: 'rcm/webhooks.operate',
  /** FHIR write routes (a Bundle mixes types); the handler also demands each mapped event's own write scope. */
  fhirWrite: 'rcm/fhir.write',
  exceptionsRead: 'rcm/exceptions.read',
  exceptionsWrite: 'rcm/exceptions.write',
  reconciliationsRun: 'rcm/reconciliations.run',
  reconciliationsRead: 'rcm/reconciliations.read',
  /** `/health/details`: which Odoo, store and versions, and their errors (the open `/health` says only up/down). */
  operationsRead: 'rcm/operations.read',
  /** Payer baselines, anomalies and cash forecasts (docs/triage.md). */
  insightsRead: 'rcm/insights.read',
  /** Retraining the triage model from people's resolutions. */
  triageTrain: 'rcm/triage.train',
  /** Reading an audit chain with its verification (docs/security.md#audit). */
  auditRead: 'rcm/audit.read',
} as const;
