import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { requiredEnv } from '../adapters/environment.js';
import { SubscriptionRule } from '../adapters/eventbridge/subscription-rule.js';
import {
  jsonResponse,
  parseJsonBody,
  RequestRejected,
  rejectionResponse,
} from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { callerPrincipal } from '../adapters/partners/registry.js';
import { targetProblem } from '../adapters/webhooks/target-guard.js';
import { type Subscription, WebhookStore } from '../adapters/webhooks/webhook-store.js';
import { SubscriptionRequest, subscriberUrlProblem } from '../core/webhooks/subscriptions.js';
import { env } from '../env.js';

const logger = createLogger('subscriptions');
const store = new WebhookStore(new DynamoDBClient({}), requiredEnv(env.webhookTable));
const stage = process.env[env.stage] ?? 'dev';
const fanoutRule = new SubscriptionRule(new EventBridgeClient({}), requiredEnv(env.webhookSubscriptionsRule));

/** The fan-out rule follows the subscriptions (docs/cost.md). */
const syncFanoutRule = () =>
  fanoutRule.sync(async () => (await store.subscriptions()).flatMap((s) => s.eventTypes));

/** What a client sees of a subscription: never the secret (it is shown once, when created). */
function view(subscription: Subscription) {
  const { secret: _secret, ...rest } = subscription;
  return rest;
}

function notFound(id: string): RequestRejected {
  return new RequestRejected(problem(ProblemType.notFound, 404, 'Not found', `No subscription ${id}.`));
}

/** A subscription belongs to the OAuth client that created it; another client gets 404 (no existence leak). */
async function owned(id: string, clientId: string): Promise<Subscription> {
  const subscription = await store.getSubscription(id);
  if (!subscription || subscription.clientId !== clientId) throw notFound(id);
  return subscription;
}

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    // Registered clients only (a revoked one manages nothing); subscriptions are per client.
    const clientId = callerPrincipal(event).clientId;
    const id = event.pathParameters?.subscriptionId;
    const route = `${event.httpMethod} ${event.resource}`;
    switch (route) {
      case 'POST /v1/subscriptions': {
        const request = parseJsonBody(event, SubscriptionRequest);
        // https only, and a host whose every address is public (issue #15); checked again at each delivery.
        const urlProblem = subscriberUrlProblem(request.url, stage) ?? (await targetProblem(request.url));
        if (urlProblem) {
          throw new RequestRejected(
            problem(ProblemType.validation, 400, 'Validation failed', 'The subscription is not valid.', {
              errors: [{ path: '/url', message: urlProblem }],
            }),
          );
        }
        const subscription: Subscription = {
          id: randomUUID(),
          clientId,
          url: request.url,
          eventTypes: [...new Set(request.eventTypes)],
          ...(request.description ? { description: request.description } : {}),
          secret: `whsec_${randomBytes(32).toString('base64url')}`,
          createdAt: new Date().toISOString(),
        };
        await store.putSubscription(subscription);
        // The rule must carry the new types before the client is told the subscription exists; if it cannot,
        // the subscription is taken back (nothing half-made) and the client retries.
        await syncFanoutRule().catch(async (error: unknown) => {
          await store.deleteSubscription(subscription.id);
          throw error;
        });
        logger.info('subscription created', {
          subscriptionId: subscription.id,
          types: subscription.eventTypes,
        });
        return jsonResponse(201, { ...view(subscription), secret: subscription.secret });
      }
      case 'GET /v1/subscriptions': {
        const mine = (await store.subscriptions()).filter((s) => s.clientId === clientId);
        return jsonResponse(200, { items: mine.map(view) });
      }
      case 'GET /v1/subscriptions/{subscriptionId}':
        return jsonResponse(200, view(await owned(id ?? '', clientId)));
      case 'DELETE /v1/subscriptions/{subscriptionId}': {
        await owned(id ?? '', clientId);
        await store.deleteSubscription(id ?? '');
        // A rule left wider than needed only costs invocations that find no subscription.
        await syncFanoutRule();
        logger.info('subscription deleted', { subscriptionId: id });
        return jsonResponse(200, { id, status: 'deleted' });
      }
      case 'GET /v1/subscriptions/{subscriptionId}/deliveries': {
        await owned(id ?? '', clientId);
        const limit = Math.min(Math.max(Number(event.queryStringParameters?.limit ?? 100) || 100, 1), 500);
        const items = await store.deliveries(id ?? '', limit);
        return jsonResponse(200, {
          items: items.map((d) => ({
            eventId: d.eventId,
            eventType: d.eventType,
            status: d.status,
            attemptCount: d.attemptCount,
            lastStatusCode: d.lastStatusCode,
            createdAt: d.createdAt,
            deliveredAt: d.deliveredAt,
            nextAttemptAt: d.nextAttemptAt,
            reason: d.reason,
            attempts: d.attempts,
          })),
        });
      }
      default:
        throw new RequestRejected(problem(ProblemType.notFound, 404, 'Not found', `No route ${route}.`));
    }
  } catch (error) {
    const rejected = rejectionResponse(error);
    if (rejected) return rejected;
    logger.error('subscription request failed', { error: error as Error });
    return problemResponse(
      problem(ProblemType.unavailable, 503, 'Service unavailable', 'Try again shortly.'),
      { 'Retry-After': '2' },
    );
  }
};
