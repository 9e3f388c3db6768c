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
  RequestRejected,
  rejectionResponse,
} from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { type EventEnvelope, EventSource, followUpEvent } from '../core/envelope.js';
import { deterministicEventId } from '../core/event-id.js';
import { type IntakeName, intakes } from '../core/intake.js';
import { env, routes } from '../wiring.js';

const logger = createLogger('ingest');
const dynamodb = new DynamoDBClient({});
const store = new WorkflowStore(dynamodb, requiredEnv(env.workflowTable));
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));

const idempotencyConfig = new IdempotencyConfig({
  // Keys are scoped per client and route: two partners (or two routes) may use the same key.
  eventKeyJmesPath: '[clientId, intake, idempotencyKey]',
  // Same key, different document → 409 instead of silently answering for the first one.
  payloadValidationJmesPath: '[request, pathParameters]',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: numberEnv(env.idempotencyTtlSeconds, 24 * 3600),
});

interface AcceptCommand {
  clientId: string;
  intake: IntakeName;
  idempotencyKey: string;
  correlationId: string;
  request: unknown;
  pathParameters: Record<string, string>;
}

export interface Accepted {
  correlationId: string;
  eventId: string;
  encounterId?: string;
  location: string;
  status: 'accepted';
}

/**
 * Records the event in its encounter's timeline (the correlation record), then publishes it. The event id
 * is derived from (client, key), so a retry after a crash between the two steps republishes the same event
 * and the timeline recognises it. Master data has no encounter: it is published only.
 */
const accept = makeIdempotent(
  async ({
    clientId,
    intake: name,
    idempotencyKey,
    correlationId,
    request,
    pathParameters,
  }: AcceptCommand): Promise<Accepted> => {
    const intake = intakes[name];
    const data = intake.toCanonical(request as never, pathParameters);
    const encounter = intake.encounter(data);
    const envelope: EventEnvelope = {
      id: deterministicEventId(intake.eventType, clientId, idempotencyKey),
      type: intake.eventType,
      version: 1,
      source: EventSource.api,
      time: new Date().toISOString(),
      correlationId,
      idempotencyKey,
      clientId,
      ...(encounter ?? {}),
      partitionKey: intake.partitionKey(data),
      data,
    };
    const events: EventEnvelope[] = [envelope];
    if (encounter) {
      const recorded = await store.recordEvent(
        {
          eventId: envelope.id,
          type: envelope.type,
          time: envelope.time,
          correlationId,
          clientId,
          ...encounter,
          detail: intake.facts(data),
        },
        { kind: 'none' },
      );
      if (recorded.applied && recorded.from === null) {
        events.push(
          followUpEvent(
            envelope,
            'WorkflowStateChanged',
            EventSource.workflow,
            { from: null, to: recorded.to, cause: envelope.type },
            envelope.time,
          ),
        );
      }
    }
    await publisher.publish(...events);
    logger.info('event accepted', { eventId: envelope.id, type: envelope.type });
    return {
      correlationId,
      eventId: envelope.id,
      ...(encounter ? { encounterId: encounter.encounterId } : {}),
      location: intake.location(data),
      status: 'accepted',
    };
  },
  {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: requiredEnv(env.idempotencyTable),
      awsSdkV3Client: dynamodb,
    }),
    config: idempotencyConfig,
  },
);

const intakeByRoute = new Map<string, IntakeName>(
  routes.flatMap((route) =>
    route.operationId in intakes
      ? [[`${route.method} ${route.path}`, route.operationId as IntakeName] as const]
      : [],
  ),
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
    const name = intakeByRoute.get(`${event.httpMethod} ${event.resource}`);
    if (!name) {
      throw new RequestRejected(
        problem(
          ProblemType.notFound,
          404,
          'Not found',
          `No intake for ${event.httpMethod} ${event.resource}.`,
        ),
      );
    }
    const intake = intakes[name];
    const clientId = callerClientId(event);
    const idempotencyKey = idempotencyKeyOf(event);
    const request = parseJsonBody(event, intake.schema);
    const pathParameters = (event.pathParameters ?? {}) as Record<string, string>;
    const violations = intake.violations?.(intake.toCanonical(request as never, pathParameters)) ?? [];
    if (violations.length > 0) {
      throw new RequestRejected(
        problem(
          ProblemType.validation,
          400,
          'Business rule violated',
          'The document is well-formed but does not add up.',
          { errors: violations },
        ),
      );
    }
    const accepted = await accept({
      clientId,
      intake: name,
      idempotencyKey,
      correlationId,
      request,
      pathParameters,
    });
    const { location, ...body } = accepted;
    return jsonResponse(202, body, { Location: location, 'X-Correlation-Id': accepted.correlationId });
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
        {
          correlationId,
        },
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
        {
          correlationId,
        },
      ),
      { ...headers, 'Retry-After': '1' },
    );
  }
  logger.error('event not accepted', { error: error as Error });
  return problemResponse(
    problem(
      ProblemType.unavailable,
      503,
      'Not accepted',
      'The document could not be recorded; nothing was accepted. Retry with the same Idempotency-Key.',
      {
        correlationId,
      },
    ),
    { ...headers, 'Retry-After': '2' },
  );
}
