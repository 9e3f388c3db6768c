import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { EventBridgeEvent } from 'aws-lambda';
import { requiredEnv } from '../adapters/environment.js';
import { createLogger } from '../adapters/observability.js';
import { partnerDirectory } from '../adapters/partners/registry.js';
import { type DeliveryMessage, WebhookQueue } from '../adapters/webhooks/queues.js';
import { WebhookStore } from '../adapters/webhooks/webhook-store.js';
import type { EventEnvelope } from '../core/envelope.js';
import { eventVisibleTo } from '../core/partners.js';
import type { SubscribableEventType } from '../core/webhooks/subscriptions.js';
import { env } from '../wiring.js';

const logger = createLogger('webhookFanout');
const store = new WebhookStore(new DynamoDBClient({}), requiredEnv(env.webhookTable));
const deliveries = new WebhookQueue<DeliveryMessage>(
  new SQSClient({}),
  requiredEnv(env.webhookDeliveryQueue),
);

/**
 * Bus rule target (wiring.ts `WebhookSubscriptions`): logs one pending delivery per matching subscription and
 * queues it. A redelivered event finds its deliveries logged; only those never attempted are queued again
 * (a crash between log and queue), and the delivery consumer skips what is already delivered.
 */
export const handler = async (event: EventBridgeEvent<string, EventEnvelope>): Promise<void> => {
  const envelope = event.detail;
  const type = envelope.type as SubscribableEventType;
  // A subscriber gets only what its client may see (docs/security.md#webhooks); a client revoked from the
  // registry gets nothing, whatever subscriptions it left behind.
  const subscribers = (await store.subscriptions()).filter((s) => {
    if (!s.eventTypes.includes(type) || isOwnDeadLetter(envelope, s.id)) return false;
    const principal = partnerDirectory().principal(s.clientId);
    return principal !== undefined && eventVisibleTo(principal, envelope);
  });
  for (const subscription of subscribers) {
    const logged = await store.createDelivery({
      subscriptionId: subscription.id,
      eventId: envelope.id,
      eventType: envelope.type,
      status: 'pending',
      createdAt: new Date().toISOString(),
      attemptCount: 0,
      attempts: [],
    });
    if (!logged.created && (logged.existing?.attemptCount ?? 0) > 0) continue;
    await deliveries.send(
      { subscriptionId: subscription.id, eventId: envelope.id, envelope },
      { eventType: envelope.type },
    );
  }
  if (subscribers.length > 0)
    logger.info('event fanned out', { eventId: envelope.id, type, subscriptions: subscribers.length });
};

/** The exception about a dead delivery to a subscription is not sent to that same subscription (no loop). */
function isOwnDeadLetter(envelope: EventEnvelope, subscriptionId: string): boolean {
  const key = (envelope.data as { key?: unknown } | undefined)?.key;
  return (
    envelope.type === 'ExceptionOpened' &&
    typeof key === 'string' &&
    key.startsWith(`webhook-delivery:${subscriptionId}:`)
  );
}
