import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { numberEnv, requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import {
  callerClientId,
  correlationIdOf,
  idempotencyKeyOf,
  jsonResponse,
  parseJsonBody,
  rejectionResponse,
} from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { type EventEnvelope, EventSource, followUpEvent } from '../core/envelope.js';
import { deterministicEventId } from '../core/event-id.js';
import { type InvoiceIssued, InvoiceIssuedRequest, toCanonicalInvoice } from '../core/invoice.js';
import { env } from '../wiring.js';

const logger = createLogger('ingestInvoice');
const dynamodb = new DynamoDBClient({});
const store = new WorkflowStore(dynamodb, requiredEnv(env.workflowTable));
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));

const idempotencyConfig = new IdempotencyConfig({
  // Keys are scoped per client: two partners may both use "inv-1" as a key.
  eventKeyJmesPath: '[clientId, idempotencyKey]',
  // Same key, different document → 409 instead of silently answering for the first one.
  payloadValidationJmesPath: 'request',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: numberEnv(env.idempotencyTtlSeconds, 24 * 3600),
});

interface AcceptInvoice {
  clientId: string;
  idempotencyKey: string;
  correlationId: string;
  request: InvoiceIssuedRequest;
}

export interface Accepted {
  correlationId: string;
  encounterId: string;
  eventId: string;
  status: 'accepted';
}

/**
 * Records the invoice in the encounter's timeline, then publishes InvoiceIssued. The event id is derived
 * from (client, key), so a retry after a crash between the two steps republishes the same event and the
 * timeline write recognises it.
 */
const acceptInvoice = makeIdempotent(
  async ({ clientId, idempotencyKey, correlationId, request }: AcceptInvoice): Promise<Accepted> => {
    const invoice = toCanonicalInvoice(request);
    const issued: EventEnvelope<'InvoiceIssued', InvoiceIssued> = {
      id: deterministicEventId('InvoiceIssued', clientId, idempotencyKey),
      type: 'InvoiceIssued',
      version: 1,
      source: EventSource.api,
      time: new Date().toISOString(),
      correlationId,
      idempotencyKey,
      clientId,
      facilityId: invoice.facilityId,
      encounterId: invoice.encounterId,
      data: invoice,
    };
    const recorded = await store.recordEvent(
      {
        eventId: issued.id,
        type: issued.type,
        time: issued.time,
        correlationId,
        clientId,
        encounterId: issued.encounterId,
        facilityId: issued.facilityId,
        detail: {
          invoiceId: invoice.invoiceId,
          totalCents: invoice.totalCents,
          lineCount: invoice.lines.length,
        },
      },
      { kind: 'reach', state: 'charge_ready' },
    );
    const events: EventEnvelope[] = [issued];
    if (recorded.applied && recorded.from !== recorded.to) {
      events.push(
        followUpEvent(
          issued,
          'WorkflowStateChanged',
          EventSource.workflow,
          { from: recorded.from, to: recorded.to, cause: issued.type },
          issued.time,
        ),
      );
    }
    await publisher.publish(...events);
    logger.info('invoice accepted', {
      eventId: issued.id,
      totalCents: invoice.totalCents,
      lines: invoice.lines.length,
    });
    return { correlationId, encounterId: invoice.encounterId, eventId: issued.id, status: 'accepted' };
  },
  {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: requiredEnv(env.idempotencyTable),
      awsSdkV3Client: dynamodb,
    }),
    config: idempotencyConfig,
  },
);

export const handler = async (
  event: APIGatewayProxyEvent,
  context: Context,
): Promise<APIGatewayProxyResult> => {
  idempotencyConfig.registerLambdaContext(context);
  let correlationId: string | undefined;
  try {
    correlationId = correlationIdOf(event);
    logger.appendKeys({ correlationId });
    const clientId = callerClientId(event);
    const idempotencyKey = idempotencyKeyOf(event);
    const request = parseJsonBody(event, InvoiceIssuedRequest);
    const accepted = await acceptInvoice({ clientId, idempotencyKey, correlationId, request });
    return jsonResponse(
      202,
      {
        correlationId: accepted.correlationId,
        encounterId: accepted.encounterId,
        status: accepted.status,
        eventId: accepted.eventId,
      },
      {
        Location: `/v1/workflows/${encodeURIComponent(accepted.encounterId)}`,
        'X-Correlation-Id': accepted.correlationId,
      },
    );
  } catch (error) {
    return errorResponse(error, correlationId);
  } finally {
    logger.removeKeys(['correlationId']);
  }
};

function errorResponse(error: unknown, correlationId: string | undefined): APIGatewayProxyResult {
  const rejected = rejectionResponse(error, correlationId);
  if (rejected) return rejected;
  const headers: Record<string, string> = correlationId ? { 'X-Correlation-Id': correlationId } : {};
  if (error instanceof IdempotencyValidationError) {
    return problemResponse(
      problem(
        ProblemType.idempotencyKeyReused,
        409,
        'Idempotency-Key reused',
        'This Idempotency-Key was already used with a different body.',
        { correlationId },
      ),
      headers,
    );
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return problemResponse(
      problem(
        ProblemType.requestInProgress,
        409,
        'Request in progress',
        'A request with this Idempotency-Key is still being processed; retry shortly.',
        { correlationId },
      ),
      { ...headers, 'Retry-After': '1' },
    );
  }
  logger.error('invoice not accepted', { error: error as Error });
  return problemResponse(
    problem(
      ProblemType.unavailable,
      503,
      'Not accepted',
      'The invoice could not be recorded; nothing was accepted. Retry with the same Idempotency-Key.',
      { correlationId },
    ),
    { ...headers, 'Retry-After': '2' },
  );
}
