import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { AcceptedRequests } from '../adapters/dynamodb/accepted-requests.js';
import { ReadOnceWorkflowStore, WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { numberEnv, requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { acceptanceErrorResponse } from '../adapters/http/acceptance-errors.js';
import {
  callerClientId,
  correlationIdOf,
  idempotencyKeyOf,
  jsonResponse,
  parseJsonBody,
  RequestRejected,
  rejectionResponse,
} from '../adapters/http/api-request.js';
import { ProblemType, problem } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { callerPrincipal, notEntitled, partnerDirectory } from '../adapters/partners/registry.js';
import { createX12Intake, isX12Request } from '../adapters/x12/http-intake.js';
import { PartnerId } from '../core/identifiers.js';
import { type IntakeName, intakes } from '../core/intake.js';
import { env } from '../env.js';
import { intakeRoutes } from '../intake-routes.js';
import { acceptEvents, acceptedEventId } from './intake/accept-events.js';
import { entitleWrites } from './intake/entitlement.js';

const logger = createLogger('ingest');
const dynamodb = new DynamoDBClient({});
const store = new WorkflowStore(dynamodb, requiredEnv(env.workflowTable));
/**
 * A request's own view of the workflows: its ownership check reads an encounter's workflow and its timeline entry
 * needs the same item's state — one GetItem, not two (writes stay conditional on the version read).
 */
const requestStore = () => new ReadOnceWorkflowStore(dynamodb, requiredEnv(env.workflowTable));
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));

/** Powertools idempotency for the X12 bodies (their answer depends on the work: docs/x12.md). */
const idempotencyConfig = new IdempotencyConfig({
  // Keys are scoped per client and route: two partners (or two routes) may use the same key.
  eventKeyJmesPath: '[clientId, intake, idempotencyKey]',
  // Same key, different document → 409 instead of silently answering for the first one.
  payloadValidationJmesPath: '[request, pathParameters]',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: numberEnv(env.idempotencyTtlSeconds, 24 * 3600),
});

interface AcceptCommand {
  /** The request's view of the workflows, which its entitlement check read through. */
  store: WorkflowStore;
  clientId: string;
  /** Master data: the owning facility the entitlement check settled (docs/security.md#ownership). */
  ownerFacilityId?: string;
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

/** The Idempotency-Key guard of the JSON intakes: one write per request (docs/cost.md#third-pass). */
const acceptedRequests = new AcceptedRequests<Accepted>(
  dynamodb,
  requiredEnv(env.idempotencyTable),
  numberEnv(env.idempotencyTtlSeconds, 24 * 3600),
);

/**
 * Records the event in its encounter's timeline (the correlation record), then publishes it. The event id
 * is derived from (client, key), so the answer is known before the work and is recorded first, with the
 * body's hash (one conditional put); the work runs on every delivery of the request — a retry after a crash
 * between the steps republishes the same event and the timeline recognises it — and a retry gets the first
 * answer. Keys are scoped per client and route (two partners, or two routes, may use the same key); the same
 * key with a different body or path is refused (409). Master data has no encounter: it is published only.
 */
async function accept({
  store,
  clientId,
  ownerFacilityId,
  intake: name,
  idempotencyKey,
  correlationId,
  request,
  pathParameters,
}: AcceptCommand): Promise<Accepted> {
  const intake = intakes[name];
  const data = intake.toCanonical(request as never, pathParameters);
  const encounter = intake.encounter(data);
  const event = {
    eventType: intake.eventType,
    data,
    ...(encounter ? { encounter } : {}),
    ...(ownerFacilityId ? { ownerFacilityId } : {}),
    partitionKey: intake.partitionKey(data),
    facts: intake.facts(data),
  };
  const key = [clientId, name, idempotencyKey];
  const payload = [request, pathParameters];
  const claimed = await acceptedRequests.claim(key, payload, {
    correlationId,
    eventId: acceptedEventId(event, { clientId, idempotencyKey }),
    ...(encounter ? { encounterId: encounter.encounterId } : {}),
    location: intake.location(data),
    status: 'accepted',
  });
  try {
    await acceptEvents({ store, publisher }, { clientId, idempotencyKey, correlationId, events: [event] });
  } catch (error) {
    // Nothing was accepted by this first request: its key is free again, for a corrected body too.
    if (claimed.first) await acceptedRequests.release(key, payload).catch(() => undefined);
    throw error;
  }
  // DEBUG, not INFO: the API access log has the request, the timeline the event with its correlation id;
  // a line per accepted event is about 270 bytes of CloudWatch Logs nobody reads (docs/cost.md).
  logger.debug('event accepted', { eventId: claimed.answer.eventId, type: intake.eventType });
  return claimed.answer;
}

/** X12 bodies (835 on /v1/remittances, 277/277CA on /v1/claim-statuses): docs/x12.md. */
const x12Intake = createX12Intake({
  store,
  // Every claim of an 835 (or status of a 277) is checked before any is recorded: all or nothing.
  acceptEvents: async (command) => {
    const workflows = requestStore();
    return acceptEvents(
      { store: workflows, publisher },
      {
        ...command,
        events: await entitleWrites(workflows, principalOrRefuse(command.clientId), command.events),
      },
    );
  },
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: requiredEnv(env.idempotencyTable),
    awsSdkV3Client: dynamodb,
  }),
  config: idempotencyConfig,
});

function principalOrRefuse(clientId: string) {
  const principal = partnerDirectory().principal(clientId);
  if (!principal) throw notEntitled('This client is not in the partner registry (or was revoked).');
  return principal;
}

const intakeByRoute = new Map<string, IntakeName>(
  (Object.entries(intakeRoutes) as Array<[IntakeName, (typeof intakeRoutes)[IntakeName]]>).map(
    ([name, route]) => [`${route.method} ${route.path}`, name] as const,
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
    if (isX12Request(event)) return await x12Intake(event, name, correlationId);
    const intake = intakes[name];
    const clientId = callerClientId(event);
    const idempotencyKey = idempotencyKeyOf(event);
    const request = parseJsonBody(event, intake.schema);
    const pathParameters = (event.pathParameters ?? {}) as Record<string, string>;
    const badPath = Object.entries(pathParameters).flatMap(([name, value]) => {
      const parsed = PartnerId.safeParse(value);
      return parsed.success
        ? []
        : [{ path: `path:${name}`, message: parsed.error.issues[0]?.message ?? 'invalid' }];
    });
    if (badPath.length > 0) {
      throw new RequestRejected(
        problem(ProblemType.validation, 400, 'Invalid path', 'An id in the path is not valid.', {
          errors: badPath,
        }),
      );
    }
    const canonical = intake.toCanonical(request as never, pathParameters);
    const violations = intake.violations?.(canonical) ?? [];
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
    const encounter = intake.encounter(canonical);
    const workflows = requestStore();
    const [entitled] = await entitleWrites(workflows, callerPrincipal(event), [
      {
        eventType: intake.eventType,
        data: canonical,
        ...(encounter ? { encounter } : {}),
        partitionKey: intake.partitionKey(canonical),
        facts: {},
      },
    ]);
    const accepted = await accept({
      store: workflows,
      clientId,
      ...(entitled?.ownerFacilityId ? { ownerFacilityId: entitled.ownerFacilityId } : {}),
      intake: name,
      idempotencyKey,
      correlationId,
      request,
      pathParameters,
    });
    const { location, ...body } = accepted;
    return jsonResponse(202, body, { Location: location, 'X-Correlation-Id': accepted.correlationId });
  } catch (error) {
    return acceptanceErrorResponse(error, correlationId, logger);
  } finally {
    logger.removeKeys(['correlationId']);
  }
};
