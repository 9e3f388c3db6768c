/**
 * The one table of wiring. The CDK stack (lib/) and the local runtime (local/) both read it, so an API
 * route, its scope and schema, or an event route exists in exactly one place and cannot drift.
 */
import type { z } from 'zod';
import { EventSource } from './core/envelope.js';
import { intakes } from './core/intake.js';

/** Resources a handler may touch; lib/ grants exactly these and sets the matching environment. */
export type Resource =
  | 'workflowTable'
  | 'idempotencyTable'
  | 'eventBus'
  | 'odooWriteQueue'
  | 'odooWriteDlq'
  | 'odooSecret';

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
    timeoutSeconds: 60,
    memoryMb: 512,
    // odooWriteQueue: held events of an encounter are re-queued (in its FIFO group) when a patient syncs.
    uses: ['workflowTable', 'eventBus', 'odooWriteQueue', 'odooWriteDlq', 'odooSecret'],
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
  /** HTTP status of a successful answer. */
  successStatus: number;
}

export const scopes = {
  masterDataWrite: 'rcm/master-data.write',
  masterDataRead: 'rcm/master-data.read',
  chargesWrite: 'rcm/charges.write',
  invoicesWrite: 'rcm/invoices.write',
  claimsWrite: 'rcm/claims.write',
  remittancesWrite: 'rcm/remittances.write',
  paymentsWrite: 'rcm/payments.write',
  workflowsRead: 'rcm/workflows.read',
} as const;

/** A write route backed by an intake (lambdas/core/intake.ts): same contract style for every business event. */
function writeRoute(
  operationId: keyof typeof intakes,
  method: 'POST' | 'PUT',
  path: string,
  scope: string,
  summary: string,
): ApiRoute {
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
  writeRoute(
    'upsertPatient',
    'PUT',
    '/v1/patients/{patientId}',
    scopes.masterDataWrite,
    'Create or update a patient; upserted as an Odoo partner.',
  ),
  writeRoute(
    'upsertPayer',
    'PUT',
    '/v1/payers/{payerId}',
    scopes.masterDataWrite,
    'Create or update a payer; upserted as an Odoo company partner.',
  ),
  writeRoute(
    'submitCharges',
    'POST',
    '/v1/charges',
    scopes.chargesWrite,
    'Finalized charges for an encounter (ChargeFinalized).',
  ),
  writeRoute(
    'submitInvoice',
    'POST',
    '/v1/invoices',
    scopes.invoicesWrite,
    'Submit an invoice issued for an encounter; it is posted in Odoo asynchronously.',
  ),
  writeRoute(
    'submitClaim',
    'POST',
    '/v1/claims',
    scopes.claimsWrite,
    'A claim submitted to a payer for one or more invoices (ClaimSubmitted).',
  ),
  writeRoute(
    'submitClaimStatus',
    'POST',
    '/v1/claim-statuses',
    scopes.claimsWrite,
    "A payer's status for a claim: accepted, rejected, pended, denied or paid.",
  ),
  writeRoute(
    'submitRemittance',
    'POST',
    '/v1/remittances',
    scopes.remittancesWrite,
    'One claim payment from an ERA: paid amount, adjustments, patient responsibility.',
  ),
  writeRoute(
    'submitPayment',
    'POST',
    '/v1/payments',
    scopes.paymentsWrite,
    'A payment confirmed by a gateway or bank, applied to an invoice.',
  ),
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
    summary: 'Which Odoo and which store the hub is using, and whether they answer.',
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
}

export const queues = {
  OdooWriteQueue: {
    fifo: true,
    consumer: 'odooWriter',
    batchSize: 10,
    visibilityTimeoutSeconds: 6 * handlers.odooWriter.timeoutSeconds,
    maxReceiveCount: 5,
    maxConcurrency: 2,
    queueResource: 'odooWriteQueue',
    dlqResource: 'odooWriteDlq',
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
];

/** DynamoDB tables: key schema shared by lib/ (CDK) and local/ (dynalite), so both build the same table. */
export interface TableSpec {
  partitionKey: string;
  sortKey?: string;
  ttlAttribute?: string;
  globalSecondaryIndexes?: readonly { indexName: string; partitionKey: string; sortKey?: string }[];
}

export const tables = {
  /** Workflow per encounter, its timeline (correlation records) and the canonical → Odoo crosswalk. */
  WorkflowTable: {
    partitionKey: 'pk',
    sortKey: 'sk',
    globalSecondaryIndexes: [
      { indexName: 'byCorrelation', partitionKey: 'correlationId', sortKey: 'sk' },
      // Sparse: only workflow items carry listState/stateSince, for GET /v1/workflows?state=&olderThan=.
      { indexName: 'byState', partitionKey: 'listState', sortKey: 'stateSince' },
    ],
  },
  /** Powertools idempotency schema: partition key `id`, TTL `expiration` (seconds). */
  IdempotencyTable: { partitionKey: 'id', ttlAttribute: 'expiration' },
} as const satisfies Record<string, TableSpec>;

/** Environment variable names shared by lib/ (CDK) and local/ (runtime) — one spelling. */
export const env = {
  stage: 'RCM_STAGE',
  workflowTable: 'WORKFLOW_TABLE_NAME',
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  eventBus: 'EVENT_BUS_NAME',
  odooWriteQueue: 'ODOO_WRITE_QUEUE_URL',
  odooWriteDlq: 'ODOO_WRITE_DLQ_URL',
  odooSecret: 'ODOO_SECRET_ID',
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  /** Receives after which the writer gives a transiently failing message up to the DLQ itself, with its reason. */
  odooWriteMaxReceiveCount: 'ODOO_WRITE_MAX_RECEIVE_COUNT',
  /** Seconds an out-of-order event may wait for what it depends on before an exception is opened. */
  heldEventMaxAgeSeconds: 'HELD_EVENT_MAX_AGE_SECONDS',
} as const;

/** Which environment variable carries each resource's name or address. */
export const resourceEnv: Record<Resource, string> = {
  workflowTable: env.workflowTable,
  idempotencyTable: env.idempotencyTable,
  eventBus: env.eventBus,
  odooWriteQueue: env.odooWriteQueue,
  odooWriteDlq: env.odooWriteDlq,
  odooSecret: env.odooSecret,
};
