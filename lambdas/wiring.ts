/**
 * The one table of wiring. The CDK stack (lib/) and the local runtime (local/) both read it, so an API
 * route, its scope and schema, or an event route exists in exactly one place and cannot drift.
 */
import type { z } from 'zod';
import { EventSource } from './core/envelope.js';
import { InvoiceIssuedRequest } from './core/invoice.js';

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
}

export const handlers = {
  ingestInvoice: {
    entry: 'lambdas/handlers/ingest-invoice.ts',
    description: 'POST /v1/invoices: validate, record, publish InvoiceIssued',
    timeoutSeconds: 10,
    memoryMb: 512,
    uses: ['workflowTable', 'idempotencyTable', 'eventBus'],
  },
  readWorkflow: {
    entry: 'lambdas/handlers/read-workflow.ts',
    description: 'GET /v1/workflows/{encounterId}: state, timeline and Odoo links',
    timeoutSeconds: 10,
    memoryMb: 256,
    uses: ['workflowTable'],
  },
  health: {
    entry: 'lambdas/handlers/health.ts',
    description: 'GET /health: which Odoo and store are in use',
    timeoutSeconds: 5,
    memoryMb: 128,
    uses: ['odooSecret', 'workflowTable'],
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
    description: 'Odoo write queue consumer: upsert partner and invoice in Odoo exactly once, post, record',
    timeoutSeconds: 60,
    memoryMb: 512,
    uses: ['workflowTable', 'eventBus', 'odooWriteDlq', 'odooSecret'],
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
  invoicesWrite: 'rcm/invoices.write',
  workflowsRead: 'rcm/workflows.read',
} as const;

export const routes: readonly ApiRoute[] = [
  {
    operationId: 'submitInvoice',
    method: 'POST',
    path: '/v1/invoices',
    scope: scopes.invoicesWrite,
    handler: 'ingestInvoice',
    summary: 'Submit an invoice issued for an encounter; it is posted in Odoo asynchronously.',
    requestSchema: InvoiceIssuedRequest,
    idempotent: true,
    successStatus: 202,
  },
  {
    operationId: 'getWorkflow',
    method: 'GET',
    path: '/v1/workflows/{encounterId}',
    scope: scopes.workflowsRead,
    handler: 'readWorkflow',
    summary: "Read an encounter's workflow: state, timeline, linked Odoo records.",
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
    pattern: { source: [EventSource.api], 'detail-type': ['InvoiceIssued'] },
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
    globalSecondaryIndexes: [{ indexName: 'byCorrelation', partitionKey: 'correlationId', sortKey: 'sk' }],
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
