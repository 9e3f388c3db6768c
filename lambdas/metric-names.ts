/*
 * The hub's EMF metric names, re-exported by monitoring-alarms.ts (the alarm table). Their own module so that
 * the handlers emitting metrics do not bundle and build the alarm table's threshold schemas at init (issue 16,
 * docs/benchmarks.md).
 */

/** Metric names (EMF). Units: `Cents` metrics are integer US cents (CloudWatch unit None); ages are Seconds. */
export const METRICS = {
  // Technical (odooWriter, deliverWebhooks)
  odooCalls: 'OdooCalls',
  odooCallErrors: 'OdooCallErrors',
  odooCallLatency: 'OdooCallLatency',
  odooRetries: 'OdooRetries',
  odooWritesRejected: 'OdooWritesRejected',
  // The Odoo breaker probe, once per backlog observation (issue 12)
  odooBreakerOpen: 'OdooBreakerOpen',
  odooWriteBacklog: 'OdooWriteBacklog',
  odooWriteDrainPerSecond: 'OdooWriteDrainPerSecond',
  odooWriteBacklogClearSeconds: 'OdooWriteBacklogClearSeconds',
  webhookDeliveryFailures: 'WebhookDeliveryFailures',
  webhookDeliveriesDead: 'WebhookDeliveriesDead',
  // Business (slaSweeper)
  encountersByState: 'EncountersByState',
  stuckEncounters: 'StuckEncounters',
  invoicesAwaitingClaim: 'InvoicesAwaitingClaim',
  invoicesAwaitingClaimOldestAgeSeconds: 'InvoicesAwaitingClaimOldestAgeSeconds',
  invoicesAwaitingClaimOverdue: 'InvoicesAwaitingClaimOverdue',
  invoicesAwaitingClaimOverdueCents: 'InvoicesAwaitingClaimOverdueCents',
  remittancesUnposted: 'RemittancesUnposted',
  remittancesUnpostedCents: 'RemittancesUnpostedCents',
  oldestUnpostedRemittanceAgeSeconds: 'OldestUnpostedRemittanceAgeSeconds',
  paymentsUnposted: 'PaymentsUnposted',
  invoicesUnposted: 'InvoicesUnposted',
  invoicesUnpostedCents: 'InvoicesUnpostedCents',
  oldestUnpostedInvoiceAgeSeconds: 'OldestUnpostedInvoiceAgeSeconds',
  paymentsUnpostedCents: 'PaymentsUnpostedCents',
  oldestUnpostedPaymentAgeSeconds: 'OldestUnpostedPaymentAgeSeconds',
  openExceptions: 'OpenExceptions',
  openExceptionsCents: 'OpenExceptionsCents',
  // Reconciliation (emitted by the reconciliation run)
  reconciliationLargestPayerVarianceCents: 'ReconciliationLargestPayerVarianceCents',
  reconciliationVarianceCents: 'ReconciliationVarianceCents',
  reconciliationVarianceCount: 'ReconciliationVarianceCount',
  reconciliationFailedPayers: 'ReconciliationFailedPayers',
  // Triage and payer insights (docs/triage.md)
  triageSuggestionsAccepted: 'TriageSuggestionsAccepted',
  triageSuggestionsOverridden: 'TriageSuggestionsOverridden',
  triageModelExamples: 'TriageModelExamples',
  openPayerAnomalies: 'OpenPayerAnomalies',
  expectedCash7dCents: 'ExpectedCash7dCents',
  expectedCash30dCents: 'ExpectedCash30dCents',
} as const;
