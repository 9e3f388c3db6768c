/**
 * The one table of wiring. The CDK stack (lib/) and the local runtime (local/) both read it, so an API
 * route, its scope and schema, or an event route exists in exactly one place and cannot drift.
 */
import type * as z from 'zod';
import { EventSource } from './core/envelope.js';
import { ResolveExceptionRequest, RetryExceptionRequest } from './core/exceptions.js';
import { intakes } from './core/intake.js';
import type { Role } from './core/partners.js';
import { ReconciliationRequest } from './core/reconciliation.js';
import { WebhookReplayRequest } from './core/webhooks/quarantine.js';
import { WEBHOOK_EVENT_SOURCE } from './core/webhooks/sources.js';
import { SubscriptionRequest } from './core/webhooks/subscriptions.js';
import { env } from './env.js';
import { intakeRoutes } from './intake-routes.js';
import { odooWriteQueueRedelivery, odooWriterTimeoutSeconds } from './odoo-write-queue.js';
import { scopes } from './scopes.js';
import { webhookSubscriptionsRoute } from './webhook-subscriptions-route.js';

/** Resources a handler may touch; lib/ grants exactly these and sets the matching environment. */
export type Resource =
  | 'workflowTable'
  | 'idempotencyTable'
  | 'eventBus'
  | 'odooWriteQueue'
  | 'odooWriteDlq'
  | 'odooSecret'
  // Webhooks (docs/webhooks.md): receipts, quarantine, subscriptions and delivery logs; source secrets; queues.
  | 'webhookTable'
  | 'webhookSourcesSecret'
  | 'inboundWebhookQueue'
  | 'inboundWebhookDlq'
  | 'webhookDeliveryQueue'
  | 'webhookDeliveryDlq'
  // The exception register (docs/operations.md#exceptions), and taking a message out of the Odoo write DLQ
  // for a retry (the same queue as odooWriteDlq, with receive/delete instead of send).
  | 'exceptionTable'
  | 'odooWriteDlqRedrive'
  // Large X12 835s uploaded through presigned S3 PUTs (docs/x12.md#large-files).
  | 'remittanceUploadsBucket'
  // Reconciliation (docs/reconciliation.md): the state machine the API starts and reads executions of.
  | 'reconciliationStateMachine'
  // The append-only, hash-chained audit trail (docs/security.md#audit): PutItem/GetItem/Query only.
  | 'auditTable'
  // The WebhookSubscriptions rule (eventRoutes), narrowed to the subscribed event types (docs/cost.md).
  | 'webhookSubscriptionsRule';

export interface HandlerSpec {
  /** Path of the Lambda entry point, relative to the repository root. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  uses: readonly Resource[];
  /** Of `uses`, those the handler only reads: lib/ grants read-only access to them. */
  readOnly?: readonly Resource[];
}

export const handlers = {
  ingest: {
    entry: 'lambdas/handlers/ingest.ts',
    description: 'Write routes: validate, record the correlation, publish the canonical business event',
    timeoutSeconds: 10,
    memoryMb: 512,
    uses: ['workflowTable', 'idempotencyTable', 'eventBus'],
  },
  readWorkflows: {
    entry: 'lambdas/handlers/read-workflows.ts',
    description: 'GET /v1/workflows[/{encounterId}]: state, timeline, Odoo links, money summary',
    timeoutSeconds: 10,
    memoryMb: 256,
    uses: ['workflowTable'],
    readOnly: ['workflowTable'],
  },
  readMasterData: {
    entry: 'lambdas/handlers/read-master-data.ts',
    description: 'GET /v1/patients/{id}, /v1/payers/{id}: crosswalk to Odoo and provenance, no PHI',
    timeoutSeconds: 10,
    memoryMb: 256,
    uses: ['workflowTable'],
    readOnly: ['workflowTable'],
  },
  health: {
    entry: 'lambdas/handlers/health.ts',
    description: 'GET /health: which Odoo and store are in use',
    timeoutSeconds: 5,
    memoryMb: 128,
    // The probe reads one fixed item to see whether the store answers.
    uses: ['odooSecret', 'workflowTable'],
    readOnly: ['odooSecret', 'workflowTable'],
  },
  enqueueOdooWrite: {
    entry: 'lambdas/handlers/enqueue-odoo-write.ts',
    description: 'Bus rule target: put a business event on the Odoo write FIFO queue, grouped by encounter',
    timeoutSeconds: 10,
    memoryMb: 256,
    uses: ['odooWriteQueue'],
  },
  odooWriter: {
    entry: 'lambdas/handlers/odoo-writer.ts',
    description:
      'Odoo write queue consumer: books each business event in Odoo exactly once, in encounter order',
    timeoutSeconds: odooWriterTimeoutSeconds,
    memoryMb: 512,
    // odooWriteQueue: held events of an encounter are re-queued (in its FIFO group) when a patient syncs.
    // exceptionTable: a dead-lettered envelope is kept with its exception (the DLQ prunes after 14 days).
    // auditTable: a remittance that settles an exception clears its register entry, a line of its audit trail.
    uses: [
      'workflowTable',
      'eventBus',
      'odooWriteQueue',
      'odooWriteDlq',
      'odooSecret',
      'exceptionTable',
      'auditTable',
    ],
  },
  /**
   * Issue 12, AWS side of the Odoo circuit breaker: every minute (and when a writer opens the breaker) it
   * probes Odoo, disables the writer's event source mapping while the breaker is open and re-enables it when
   * Odoo answers. Its schedule, the mapping grant and the queue-depth grant are built by lib/odoo-breaker.ts
   * (locally local/odoo-breaker-probe.ts runs the same cycle with local ports, so no schedule here).
   */
  odooBreakerProbe: {
    entry: 'lambdas/handlers/odoo-breaker-probe.ts',
    description:
      'Odoo circuit breaker probe: pauses the Odoo writer (event source mapping) while Odoo fails, resumes it when Odoo answers',
    timeoutSeconds: 60,
    memoryMb: 256,
    uses: ['workflowTable', 'odooSecret'],
    readOnly: ['odooSecret'],
  },
  webhookReceiver: {
    entry: 'lambdas/handlers/webhook-receiver.ts',
    description:
      'POST /webhooks/{source}: verify the signature, dedupe by delivery id, store and queue, answer 202',
    timeoutSeconds: 10,
    memoryMb: 256,
    uses: ['webhookTable', 'webhookSourcesSecret', 'inboundWebhookQueue'],
    readOnly: ['webhookSourcesSecret'],
  },
  webhookProcessor: {
    entry: 'lambdas/handlers/webhook-processor.ts',
    description:
      'Inbound webhook queue consumer: map each payload to canonical events (Odoo: re-read over RPC) or quarantine it',
    timeoutSeconds: 30,
    memoryMb: 256,
    // inboundWebhookQueue: an Odoo record not committed yet is looked at again after a few seconds.
    uses: [
      'webhookTable',
      'workflowTable',
      'eventBus',
      'odooSecret',
      'inboundWebhookQueue',
      'inboundWebhookDlq',
    ],
    readOnly: ['odooSecret'],
  },
  subscriptions: {
    entry: 'lambdas/handlers/subscriptions.ts',
    description:
      '/v1/subscriptions: create, list, read, delete webhook subscriptions and read their delivery log',
    timeoutSeconds: 10,
    memoryMb: 256,
    // webhookSubscriptionsRule: after each create or delete, the fan-out rule matches exactly the event types
    // some subscription wants (disabled when none does), so unsubscribed events invoke nothing.
    uses: ['webhookTable', 'webhookSubscriptionsRule'],
  },
  webhookQuarantine: {
    entry: 'lambdas/handlers/webhook-quarantine.ts',
    description: 'Quarantined inbound webhooks: list them, replay one (optionally with a corrected body)',
    timeoutSeconds: 10,
    memoryMb: 256,
    // auditTable: every replay is a line of the delivery's audit stream.
    uses: ['webhookTable', 'inboundWebhookQueue', 'auditTable'],
  },
  webhookFanout: {
    entry: 'lambdas/handlers/webhook-fanout.ts',
    description: 'Bus rule target: one delivery per matching subscription, logged and queued',
    timeoutSeconds: 10,
    memoryMb: 256,
    // webhookSubscriptionsRule: invoked for a type nobody subscribes to (the rule was reset by a deploy), it
    // narrows the rule again, as the subscriptions handler does on every change (docs/cost.md).
    uses: ['webhookTable', 'webhookDeliveryQueue', 'webhookSubscriptionsRule'],
  },
  deliverWebhooks: {
    entry: 'lambdas/handlers/deliver-webhooks.ts',
    description:
      'Webhook delivery queue consumer: signed POST, backoff with jitter for 24 h, then DLQ and exception',
    timeoutSeconds: 30,
    memoryMb: 256,
    uses: ['webhookTable', 'webhookDeliveryQueue', 'webhookDeliveryDlq', 'eventBus'],
  },
  slaSweeper: {
    entry: 'lambdas/handlers/sla-sweeper.ts',
    description:
      'Scheduled: workflow funnel and SLA metrics (EMF); opens an exception for each encounter stuck past its stage threshold, clears it once the encounter moves on',
    timeoutSeconds: 300,
    memoryMb: 512,
    uses: ['workflowTable', 'eventBus', 'exceptionTable', 'auditTable'],
  },
  fhir: {
    entry: 'lambdas/handlers/fhir.ts',
    description:
      '/fhir/r4: FHIR R4 Claim, Invoice, ClaimResponse, PaymentReconciliation (and Bundles) in, PaymentReconciliation out',
    timeoutSeconds: 10,
    memoryMb: 512,
    uses: ['workflowTable', 'idempotencyTable', 'eventBus'],
  },
  remittanceUploads: {
    entry: 'lambdas/handlers/remittance-uploads.ts',
    description: '/v1/remittance-uploads: presigned S3 PUT for a large X12 835, and its processing status',
    timeoutSeconds: 10,
    memoryMb: 256,
    // The bucket grant is PutObject on uploads/* only: the presigned URL is signed with this role.
    uses: ['workflowTable', 'idempotencyTable', 'remittanceUploadsBucket'],
  },
  x12UploadProcessor: {
    entry: 'lambdas/handlers/x12-upload-processor.ts',
    description:
      'S3 ObjectCreated on the uploads bucket: stream the 835 twice (validate, then accept in batches), record the outcome',
    timeoutSeconds: 900,
    memoryMb: 1024,
    uses: ['workflowTable', 'eventBus', 'remittanceUploadsBucket'],
    readOnly: ['remittanceUploadsBucket'],
  },
  reconcile: {
    entry: 'lambdas/handlers/reconcile.ts',
    description:
      'Reconciliation state machine tasks: start a run, reconcile one bounded batch of a payer against Odoo, finish the report',
    timeoutSeconds: 120,
    memoryMb: 512,
    uses: ['workflowTable', 'eventBus', 'odooSecret'],
  },
  reconciliations: {
    entry: 'lambdas/handlers/reconciliations.ts',
    description:
      'POST /v1/reconciliations starts a run of the state machine; GET /v1/reconciliations/{runId} reports it',
    timeoutSeconds: 10,
    memoryMb: 256,
    uses: ['workflowTable', 'reconciliationStateMachine'],
    readOnly: ['workflowTable'],
  },
  projectExceptions: {
    entry: 'lambdas/handlers/project-exceptions.ts',
    description:
      'Bus rule target: one exception register entry per ExceptionOpened (idempotent), linked to the retry it failed',
    timeoutSeconds: 10,
    memoryMb: 256,
    uses: ['exceptionTable', 'auditTable'],
  },
  exceptions: {
    entry: 'lambdas/handlers/exceptions.ts',
    description:
      '/v1/exceptions: list and search the exception register, resolve with a note, retry what can be re-driven',
    timeoutSeconds: 30,
    memoryMb: 256,
    // Retry re-drives a held or dead-lettered envelope to the Odoo write queue, or a quarantined webhook to
    // the inbound webhook queue; resolve and retry clear the exception on the workflow.
    uses: [
      'exceptionTable',
      'auditTable',
      'workflowTable',
      'eventBus',
      'odooWriteQueue',
      'odooWriteDlqRedrive',
      'webhookTable',
      'inboundWebhookQueue',
    ],
  },
  // Triage and payer insights (docs/triage.md): suggestions and forecasts only; they never change money.
  insights: {
    entry: 'lambdas/handlers/insights.ts',
    description:
      'GET /v1/exceptions/{id}/triage, /v1/insights/payers/{payerId}, /v1/triage/model; POST /v1/triage/model/retrain',
    timeoutSeconds: 60,
    memoryMb: 512,
    // Retrain writes the model and re-suggests for open entries (the triage fields and an audit line only).
    uses: ['exceptionTable', 'auditTable'],
  },
  triageRetrain: {
    entry: 'lambdas/handlers/triage-retrain.ts',
    description:
      'Scheduled: retrain the triage model from the causes people chose when resolving; re-suggest for open exceptions',
    timeoutSeconds: 300,
    memoryMb: 512,
    uses: ['exceptionTable', 'auditTable'],
  },
  payerInsights: {
    entry: 'lambdas/handlers/payer-insights.ts',
    description:
      'Scheduled: per payer (and facility) baselines, payment anomalies (open once, clear once) and 7/30-day cash forecasts',
    timeoutSeconds: 300,
    memoryMb: 1024,
    // Reads the payer ledger; opens anomaly exceptions on the bus, clears them in the register.
    uses: ['workflowTable', 'exceptionTable', 'eventBus', 'auditTable'],
    readOnly: ['workflowTable'],
  },
} as const satisfies Record<string, HandlerSpec>;
export type HandlerName = keyof typeof handlers;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRoute {
  operationId: string;
  method: HttpMethod;
  /** API Gateway path syntax: `{name}` for a path parameter. */
  path: string;
  /** OAuth scope the bearer token must carry; `null` for an unauthenticated route. */
  scope: string | null;
  handler: HandlerName;
  summary: string;
  requestSchema?: z.ZodType;
  /** Requires an `Idempotency-Key` header. */
  idempotent: boolean;
  /**
   * For a route without an OAuth scope: how it is authenticated instead, and why it is open at the gateway
   * (the reason lib/ gives cdk-nag). Absent: the health probe.
   */
  openBecause?: string;
  /** HTTP status of a successful answer. */
  successStatus: number;
}

export { scopes } from './scopes.js';

/**
 * Roles as scope bundles (core/partners.ts, docs/security.md#roles): what a kind of client may call at all.
 * Which facilities, payers and exception teams it may touch is its registry binding, checked by the handlers.
 */
export const roleScopes: Record<Role, readonly string[]> = {
  partner: [
    scopes.masterDataWrite,
    scopes.masterDataRead,
    scopes.chargesWrite,
    scopes.invoicesWrite,
    scopes.claimsWrite,
    scopes.remittancesWrite,
    scopes.paymentsWrite,
    scopes.workflowsRead,
    scopes.subscriptionsManage,
    scopes.fhirWrite,
  ],
  'finance-operations': [
    scopes.workflowsRead,
    scopes.masterDataRead,
    scopes.exceptionsRead,
    scopes.exceptionsWrite,
    scopes.reconciliationsRun,
    scopes.reconciliationsRead,
    scopes.insightsRead,
    scopes.triageTrain,
  ],
  billing: [
    scopes.workflowsRead,
    scopes.masterDataRead,
    scopes.exceptionsRead,
    scopes.exceptionsWrite,
    scopes.reconciliationsRead,
    scopes.insightsRead,
  ],
  'integration-support': [
    scopes.workflowsRead,
    scopes.exceptionsRead,
    scopes.exceptionsWrite,
    scopes.webhooksOperate,
    scopes.operationsRead,
  ],
  auditor: [
    scopes.workflowsRead,
    scopes.masterDataRead,
    scopes.exceptionsRead,
    scopes.reconciliationsRead,
    scopes.operationsRead,
    scopes.insightsRead,
    scopes.auditRead,
  ],
  automation: [
    scopes.workflowsRead,
    scopes.exceptionsRead,
    scopes.exceptionsWrite,
    scopes.reconciliationsRun,
    scopes.reconciliationsRead,
  ],
  developer: Object.values(scopes),
};

/**
 * Each client's request budget when its stage config gives none (`partnerThrottle`): API Gateway enforces it
 * per API key in AWS (lib/api.ts), the local gateway per token's client (local/throttle.ts).
 */
export const DEFAULT_CLIENT_THROTTLE = { rateLimit: 10, burstLimit: 20 } as const;

/** Scopes that operate the hub rather than feed it: a partner client never holds one (synth check, lib/api.ts). */
export const opsScopes: readonly string[] = [
  scopes.exceptionsRead,
  scopes.exceptionsWrite,
  scopes.reconciliationsRun,
  scopes.reconciliationsRead,
  scopes.webhooksOperate,
  scopes.operationsRead,
  scopes.insightsRead,
  scopes.triageTrain,
  scopes.auditRead,
];

/** A write route backed by an intake (lambdas/core/intake.ts): same contract style for every business event. */
function writeRoute(operationId: keyof typeof intakes): ApiRoute {
  const { method, path, scope, summary } = intakeRoutes[operationId];
  return {
    operationId,
    method,
    path,
    scope,
    handler: 'ingest',
    summary,
    requestSchema: intakes[operationId].schema,
    idempotent: true,
    successStatus: 202,
  };
}

export const routes: readonly ApiRoute[] = [
  {
    operationId: 'startReconciliation',
    method: 'POST',
    path: '/v1/reconciliations',
    scope: scopes.reconciliationsRun,
    handler: 'reconciliations',
    summary:
      'Start a reconciliation run for a period (optionally one payer or facility); 202 with the run id and its report URL.',
    requestSchema: ReconciliationRequest,
    idempotent: true,
    successStatus: 202,
  },
  {
    operationId: 'listReconciliations',
    method: 'GET',
    path: '/v1/reconciliations',
    scope: scopes.reconciliationsRead,
    handler: 'reconciliations',
    summary: 'Reconciliation runs, newest first (scheduled and requested), with status and totals.',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getReconciliation',
    method: 'GET',
    path: '/v1/reconciliations/{runId}',
    scope: scopes.reconciliationsRead,
    handler: 'reconciliations',
    summary: 'A reconciliation run: status, totals, matched, differences by class and by payer.',
    idempotent: false,
    successStatus: 200,
  },
  writeRoute('upsertPatient'),
  writeRoute('upsertPayer'),
  writeRoute('submitCharges'),
  writeRoute('submitInvoice'),
  writeRoute('submitClaim'),
  writeRoute('submitClaimStatus'),
  writeRoute('submitRemittance'),
  writeRoute('submitEraDeposit'),
  writeRoute('submitPayment'),
  {
    operationId: 'createRemittanceUpload',
    method: 'POST',
    path: '/v1/remittance-uploads',
    scope: scopes.remittancesWrite,
    handler: 'remittanceUploads',
    summary: 'A presigned upload URL for an X12 835 too large for a request body (over 256 KB).',
    idempotent: true,
    successStatus: 201,
  },
  {
    operationId: 'getRemittanceUpload',
    method: 'GET',
    path: '/v1/remittance-uploads/{uploadId}',
    scope: scopes.remittancesWrite,
    handler: 'remittanceUploads',
    summary:
      'Status of a remittance upload: awaiting_upload, processing, accepted (counts) or rejected (errors).',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'listWorkflows',
    method: 'GET',
    path: '/v1/workflows',
    scope: scopes.workflowsRead,
    handler: 'readWorkflows',
    summary: 'List encounters by state, payer, facility and age, newest change first; paged.',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getWorkflow',
    method: 'GET',
    path: '/v1/workflows/{encounterId}',
    scope: scopes.workflowsRead,
    handler: 'readWorkflows',
    summary: "Read an encounter's workflow: state, timeline, linked Odoo records, money summary.",
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getPatient',
    method: 'GET',
    path: '/v1/patients/{patientId}',
    scope: scopes.masterDataRead,
    handler: 'readMasterData',
    summary: "A patient's Odoo partner id and the provenance of the surviving record (no PHI).",
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getPayer',
    method: 'GET',
    path: '/v1/payers/{payerId}',
    scope: scopes.masterDataRead,
    handler: 'readMasterData',
    summary: "A payer's Odoo partner id and the provenance of the surviving record.",
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getHealth',
    method: 'GET',
    path: '/health',
    scope: null,
    handler: 'health',
    summary: 'Whether the hub is up (no details: those need rcm/operations.read on /health/details).',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getHealthDetails',
    method: 'GET',
    path: '/health/details',
    scope: scopes.operationsRead,
    handler: 'health',
    summary: 'Which Odoo and which store the hub is using, and whether they answer (operations only).',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'receiveWebhook',
    method: 'POST',
    path: '/webhooks/{source}',
    scope: null,
    handler: 'webhookReceiver',
    summary:
      'Signed webhook from a clearinghouse, payment gateway or Odoo; accepted (202) once stored and queued.',
    idempotent: false,
    successStatus: 202,
    openBecause:
      'Webhook senders (clearinghouses, gateways, Odoo) cannot obtain OAuth tokens; each request is authenticated by the handler with an HMAC-SHA256 signature over timestamp and raw body (Odoo: a secret URL token) against per-source secrets in Secrets Manager, with a replay window (docs/webhooks.md).',
  },
  {
    operationId: 'createSubscription',
    method: 'POST',
    path: '/v1/subscriptions',
    scope: scopes.subscriptionsManage,
    handler: 'subscriptions',
    summary: 'Subscribe an https URL to business events; the signing secret is returned once.',
    requestSchema: SubscriptionRequest,
    idempotent: false,
    successStatus: 201,
  },
  {
    operationId: 'listSubscriptions',
    method: 'GET',
    path: '/v1/subscriptions',
    scope: scopes.subscriptionsManage,
    handler: 'subscriptions',
    summary: "The calling client's webhook subscriptions (never their secrets).",
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getSubscription',
    method: 'GET',
    path: '/v1/subscriptions/{subscriptionId}',
    scope: scopes.subscriptionsManage,
    handler: 'subscriptions',
    summary: 'One webhook subscription (never its secret).',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'deleteSubscription',
    method: 'DELETE',
    path: '/v1/subscriptions/{subscriptionId}',
    scope: scopes.subscriptionsManage,
    handler: 'subscriptions',
    summary: 'Stop deliveries to a subscription; pending retries are dropped.',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'listSubscriptionDeliveries',
    method: 'GET',
    path: '/v1/subscriptions/{subscriptionId}/deliveries',
    scope: scopes.subscriptionsManage,
    handler: 'subscriptions',
    summary: 'Delivery log of a subscription: per event, status, attempts, status codes and latency.',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'listQuarantinedWebhooks',
    method: 'GET',
    path: '/v1/webhooks/quarantine',
    scope: scopes.webhooksOperate,
    handler: 'webhookQuarantine',
    summary: 'Inbound webhooks a known source sent that could not be mapped, with the reason (no bodies).',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'replayQuarantinedWebhook',
    method: 'POST',
    path: '/v1/webhooks/quarantine/{source}/{deliveryId}/replay',
    scope: scopes.webhooksOperate,
    handler: 'webhookQuarantine',
    summary: 'Map a quarantined webhook again (after a mapping fix), optionally with a corrected body.',
    requestSchema: WebhookReplayRequest,
    idempotent: false,
    successStatus: 202,
  },
  // The exception register (docs/operations.md#exceptions): every action is attributed to the caller's client id.
  {
    operationId: 'listExceptions',
    method: 'GET',
    path: '/v1/exceptions',
    scope: scopes.exceptionsRead,
    handler: 'exceptions',
    summary:
      'Exceptions by team, status and payer, or searched by encounter, claim, invoice, trace number or correlation id; paged.',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getException',
    method: 'GET',
    path: '/v1/exceptions/{exceptionId}',
    scope: scopes.exceptionsRead,
    handler: 'exceptions',
    summary: 'One exception: why, for whom, what is at stake, what a retry re-drives, and its audit trail.',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'resolveException',
    method: 'POST',
    path: '/v1/exceptions/{exceptionId}/resolve',
    scope: scopes.exceptionsWrite,
    handler: 'exceptions',
    summary: 'Close an exception with a note; the encounter leaves exception_pending when it was the last.',
    requestSchema: ResolveExceptionRequest,
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'retryException',
    method: 'POST',
    path: '/v1/exceptions/{exceptionId}/retry',
    scope: scopes.exceptionsWrite,
    handler: 'exceptions',
    summary:
      'Re-drive what the exception holds (a held or dead-lettered event, a quarantined webhook); a new failure opens a linked exception.',
    requestSchema: RetryExceptionRequest,
    idempotent: false,
    successStatus: 202,
  },
  {
    operationId: 'getExceptionAudit',
    method: 'GET',
    path: '/v1/exceptions/{exceptionId}/audit',
    scope: scopes.auditRead,
    handler: 'exceptions',
    summary:
      "An exception's hash-chained audit trail, walked from its first line: intact, or the first broken link.",
    idempotent: false,
    successStatus: 200,
  },
  // Triage and payer insights (docs/triage.md): suggestions a person reads; only people change money.
  {
    operationId: 'getExceptionTriage',
    method: 'GET',
    path: '/v1/exceptions/{exceptionId}/triage',
    scope: scopes.exceptionsRead,
    handler: 'insights',
    summary:
      'Probable cause with confidence, evidence in plain words, revenue exposure and priority rank, next action with its API call, similar resolved cases.',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getPayerInsights',
    method: 'GET',
    path: '/v1/insights/payers/{payerId}',
    scope: scopes.insightsRead,
    handler: 'insights',
    summary:
      "A payer's baselines, open anomalies (with the claims behind them) and expected cash for the next 7 and 30 days.",
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'getTriageModel',
    method: 'GET',
    path: '/v1/triage/model',
    scope: scopes.exceptionsRead,
    handler: 'insights',
    summary:
      'The triage model in use: version, labelled examples, earlier versions, acceptance and overrides.',
    idempotent: false,
    successStatus: 200,
  },
  {
    operationId: 'retrainTriageModel',
    method: 'POST',
    path: '/v1/triage/model/retrain',
    scope: scopes.triageTrain,
    handler: 'insights',
    summary:
      'Retrain now from the causes people chose (as the schedule does); open exceptions get the new suggestion.',
    idempotent: false,
    successStatus: 200,
  },
  // FHIR R4 (docs/fhir.md): answers are application/fhir+json, errors OperationOutcome.
  ...(['Claim', 'Invoice', 'ClaimResponse', 'PaymentReconciliation'] as const).map(
    (type): ApiRoute => ({
      operationId: `createFhir${type}`,
      method: 'POST',
      path: `/fhir/r4/${type}`,
      scope: scopes.fhirWrite,
      handler: 'fhir',
      summary: `A FHIR R4 ${type} (or a Bundle of them), mapped to canonical business events; OperationOutcome on error.`,
      // The handler demands Idempotency-Key or If-None-Exist (FHIR conditional create); the gateway's required
      // header would refuse the latter, so the route is not marked idempotent (docs/fhir.md#contract).
      idempotent: false,
      successStatus: 202,
    }),
  ),
  {
    operationId: 'fhirBundle',
    method: 'POST',
    path: '/fhir/r4',
    scope: scopes.fhirWrite,
    handler: 'fhir',
    summary: 'A FHIR R4 transaction, batch or collection Bundle of the four financial resources above.',
    idempotent: false, // Idempotency-Key or every entry's ifNoneExist, checked by the handler
    successStatus: 202,
  },
  {
    operationId: 'readFhirPaymentReconciliation',
    method: 'GET',
    path: '/fhir/r4/PaymentReconciliation/{remittanceId}',
    scope: scopes.workflowsRead,
    handler: 'fhir',
    summary: 'A remittance as a FHIR R4 PaymentReconciliation.',
    idempotent: false,
    successStatus: 200,
  },
];

/** Queues the hub owns. Names are logical; lib/ and local/ derive the physical names. */
export interface QueueSpec {
  fifo: boolean;
  consumer: HandlerName;
  batchSize: number;
  /** SQS visibility timeout; at least 6× the consumer's timeout (AWS guidance for event source mappings). */
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  /** Bounded concurrency protects Odoo (about 6 RPC/s per worker, odoo.md). */
  maxConcurrency: number;
  /** Resources naming the queue and its DLQ for the handlers that use them. */
  queueResource: Resource;
  dlqResource: Resource;
  /** Which lib/ construct builds the queue: OdooWrites (default) or Webhooks (standard queues). */
  builtBy?: 'webhooks';
}

export const queues = {
  OdooWriteQueue: {
    fifo: true,
    consumer: 'odooWriter',
    batchSize: 10,
    visibilityTimeoutSeconds: odooWriteQueueRedelivery.visibilityTimeoutSeconds,
    maxReceiveCount: odooWriteQueueRedelivery.maxReceiveCount,
    maxConcurrency: 2,
    queueResource: 'odooWriteQueue',
    dlqResource: 'odooWriteDlq',
  },
  /** Accepted inbound webhooks, mapped after the 2xx (never Odoo work before answering the sender). */
  InboundWebhookQueue: {
    fifo: false,
    consumer: 'webhookProcessor',
    batchSize: 10,
    visibilityTimeoutSeconds: 6 * handlers.webhookProcessor.timeoutSeconds,
    maxReceiveCount: 8,
    maxConcurrency: 2,
    queueResource: 'inboundWebhookQueue',
    dlqResource: 'inboundWebhookDlq',
    builtBy: 'webhooks',
  },
  /**
   * One message per (subscription, event). The consumer sets each failed message's visibility to the next
   * backoff delay and dead-letters it itself when the 24 h budget is spent, so maxReceiveCount is only a
   * backstop for a consumer that keeps crashing.
   */
  WebhookDeliveryQueue: {
    fifo: false,
    consumer: 'deliverWebhooks',
    batchSize: 10,
    visibilityTimeoutSeconds: 6 * handlers.deliverWebhooks.timeoutSeconds,
    maxReceiveCount: 200,
    maxConcurrency: 5,
    queueResource: 'webhookDeliveryQueue',
    dlqResource: 'webhookDeliveryDlq',
    builtBy: 'webhooks',
  },
} as const satisfies Record<string, QueueSpec>;
export type QueueName = keyof typeof queues;

/** An EventBridge pattern (content filter), as the AWS API takes it. */
export type EventPattern = Record<string, unknown>;

export interface EventRoute {
  /** Rule name (stable: renaming replaces the rule). */
  name: string;
  description: string;
  pattern: EventPattern;
  target: { handler: HandlerName };
  /**
   * The deployed `pattern` is the widest the rule may match; at run time the subscriptions handler narrows its
   * detail-types to those with a subscription and disables the rule when there is none (docs/cost.md).
   */
  narrowedToSubscribedTypes?: true;
}

/**
 * Which business events Odoo must see. EventBridge cannot set an SQS FIFO MessageGroupId from the event
 * (SqsParameters.MessageGroupId is a static string), so the rule targets a small enqueue function that
 * groups by encounter and deduplicates by our event id; see docs/architecture.md.
 */
export const eventRoutes: readonly EventRoute[] = [
  {
    name: 'OdooWritesFromApi',
    description: 'Business events accepted by the API that must be written into Odoo',
    // Every accepted business event goes through the per-encounter (or per-record) FIFO queue, so its
    // workflow effect and its Odoo write happen in order, once.
    pattern: {
      source: [EventSource.api],
      'detail-type': Object.values(intakes).map((intake) => intake.eventType),
    },
    target: { handler: 'enqueueOdooWrite' },
  },
  {
    name: 'OdooWritesFromWebhooks',
    description: 'Business events accepted from inbound webhooks, booked (or recorded) by the Odoo writer',
    pattern: {
      source: [WEBHOOK_EVENT_SOURCE],
      'detail-type': ['ClaimStatusChanged', 'PaymentReceived', 'PaymentRefunded', 'OdooEntryRecorded'],
    },
    target: { handler: 'enqueueOdooWrite' },
  },
  {
    name: 'OdooWritesFromX12Deposits',
    description:
      "An ERA's deposit (835 BPR/TRN/PLB), booked as one journal entry per trace by the Odoo writer",
    pattern: { source: [EventSource.api], 'detail-type': ['EraDepositReceived'] },
    target: { handler: 'enqueueOdooWrite' },
  },
  {
    name: 'ExceptionRegister',
    description: 'Every exception opened anywhere in the hub, projected into the exception register',
    pattern: { 'detail-type': ['ExceptionOpened'] },
    target: { handler: 'projectExceptions' },
  },
  webhookSubscriptionsRoute,
];

/** DynamoDB tables: key schema shared by lib/ (CDK) and local/ (dynalite), so both build the same table. */
export interface TableSpec {
  /** The resource handlers name it by (their env var and grant come from this). */
  resource: Resource;
  partitionKey: string;
  sortKey?: string;
  ttlAttribute?: string;
  /** Backed up although some items expire (their TTL is a retention limit, not working state). */
  durable?: boolean;
  /** Items are only ever added: PutItem/GetItem/Query grants, Update/Delete denied (docs/security.md#audit). */
  appendOnly?: boolean;
  globalSecondaryIndexes?: readonly GlobalSecondaryIndexSpec[];
}

/**
 * What a GSI copies from each item (docs/cost.md): every write that changes a copied attribute is written to the
 * index again, so an index copies only what its queries need. Absent: ALL.
 */
export type IndexProjection =
  | { type: 'ALL' }
  | { type: 'KEYS_ONLY' }
  | { type: 'INCLUDE'; attributes: readonly string[] };

export interface GlobalSecondaryIndexSpec {
  indexName: string;
  partitionKey: string;
  sortKey?: string;
  projection?: IndexProjection;
}

export const tables = {
  /** Workflow per encounter, its timeline (correlation records) and the canonical → Odoo crosswalk. */
  WorkflowTable: {
    resource: 'workflowTable',
    partitionKey: 'pk',
    sortKey: 'sk',
    globalSecondaryIndexes: [
      // Sparse: only workflow items carry listState/stateSince, for GET /v1/workflows?state=&olderThan= and the
      // SLA sweep. Keys and the two filter attributes only: the workflow item is rewritten by every event, and
      // with ALL each rewrite was copied into the index too; now only a state change (or a new payer) is.
      // listWorkflows reads the page's items from the table (BatchGetItem). No query ever read the former
      // byCorrelation index (every timeline entry was copied into it): removed (docs/cost.md).
      {
        // A new name: CloudFormation cannot change an index's projection in place (rollout: docs/cost.md).
        indexName: 'workflowsByState',
        partitionKey: 'listState',
        sortKey: 'stateSince',
        projection: { type: 'INCLUDE', attributes: ['facilityId', 'payerIds'] },
      },
    ],
  },
  /** Powertools idempotency schema: partition key `id`, TTL `expiration` (seconds). */
  IdempotencyTable: { resource: 'idempotencyTable', partitionKey: 'id', ttlAttribute: 'expiration' },
  /** Webhook receipts, quarantine, subscriptions and delivery logs (docs/webhooks.md#storage). */
  // TTL `expiresAt` (seconds): raw inbound bodies do not outlive RAW_BODY_TTL_DAYS (issue #15).
  WebhookTable: {
    resource: 'webhookTable',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAt',
    durable: true,
  },
  /**
   * The exception register (lambdas/adapters/dynamodb/exception-store.ts): one entry per exception, and the
   * dead-lettered envelope kept with it. Sparse indexes: listing by status and team, search by subject.
   */
  ExceptionTable: {
    resource: 'exceptionTable',
    partitionKey: 'pk',
    sortKey: 'sk',
    globalSecondaryIndexes: [
      { indexName: 'byStatusTeam', partitionKey: 'statusTeam', sortKey: 'openedAt' },
      { indexName: 'byEncounter', partitionKey: 'encounterId', sortKey: 'openedAt' },
      { indexName: 'byClaim', partitionKey: 'claimId', sortKey: 'openedAt' },
      { indexName: 'byInvoice', partitionKey: 'invoiceId', sortKey: 'openedAt' },
      { indexName: 'byTraceNumber', partitionKey: 'traceNumber', sortKey: 'openedAt' },
      { indexName: 'byCorrelation', partitionKey: 'correlationId', sortKey: 'openedAt' },
    ],
  },
  /**
   * The audit trail (lambdas/adapters/dynamodb/audit-log.ts): append-only lines, hash-chained per stream
   * (`exception#<id>`, `webhook#<source>#<deliveryId>`), `seq` zero-padded. Never updated or deleted: the
   * functions get PutItem/GetItem/Query only and the table's resource policy denies the rest (lib/data.ts).
   */
  AuditTable: { resource: 'auditTable', partitionKey: 'stream', sortKey: 'seq', appendOnly: true },
} as const satisfies Record<string, TableSpec>;

/** Environment variable names: lambdas/env.ts (its own module, so handlers that need only these names do not
 * bundle the route table and every intake schema with them). */
export { env };

/**
 * Scheduled invocations: lib/ builds an EventBridge schedule rule per entry, local/ a timer. The rate is stage
 * config (`monitoring.sweeperRateMinutes`, lambdas/monitoring-alarms.ts), so it can differ per stage.
 */
export const schedules = {
  SlaSweep: {
    handler: 'slaSweeper',
    description: 'SLA sweep: workflow funnel and business metrics, exceptions for stuck encounters',
  },
  // Triage and insights run at a fixed rate of their own (lib/triage.ts builds the rules; local/ the timers).
  TriageRetrain: {
    handler: 'triageRetrain',
    description: 'Triage retrain: learn from the causes people chose when resolving exceptions',
    rateMinutes: 24 * 60,
  },
  PayerInsights: {
    handler: 'payerInsights',
    description: 'Payer insights: baselines, payment anomalies and cash forecasts per payer',
    rateMinutes: 60,
  },
} as const satisfies Record<string, { handler: HandlerName; description: string; rateMinutes?: number }>;
export type ScheduleName = keyof typeof schedules;

/** Which environment variable carries each resource's name or address. */
export const resourceEnv: Record<Resource, string> = {
  workflowTable: env.workflowTable,
  idempotencyTable: env.idempotencyTable,
  eventBus: env.eventBus,
  odooWriteQueue: env.odooWriteQueue,
  odooWriteDlq: env.odooWriteDlq,
  odooSecret: env.odooSecret,
  webhookTable: env.webhookTable,
  webhookSourcesSecret: env.webhookSourcesSecret,
  inboundWebhookQueue: env.inboundWebhookQueue,
  inboundWebhookDlq: env.inboundWebhookDlq,
  webhookDeliveryQueue: env.webhookDeliveryQueue,
  webhookDeliveryDlq: env.webhookDeliveryDlq,
  remittanceUploadsBucket: env.remittanceUploadsBucket,
  exceptionTable: env.exceptionTable,
  odooWriteDlqRedrive: env.odooWriteDlqRedrive,
  reconciliationStateMachine: env.reconciliationStateMachine,
  auditTable: env.auditTable,
  webhookSubscriptionsRule: env.webhookSubscriptionsRule,
};
