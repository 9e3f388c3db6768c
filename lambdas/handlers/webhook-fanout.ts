import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { EventBridgeEvent } from 'aws-lambda';
import { requiredEnv } from '../adapters/environment.js';
import { SubscriptionRule } from '../adapters/eventbridge/subscription-rule.js';
import { createLogger } from '../adapters/observability.js';
import { partnerDirectory } from '../adapters/partners/registry.js';
import { type DeliveryMessage, WebhookQueue } from '../adapters/webhooks/queues.js';
import { WebhookStore } from '../adapters/webhooks/webhook-store.js';
import type { EventEnvelope } from '../core/envelope.js';
import { eventVisibleTo } from '../core/partners.js';
import type { SubscribableEventType } from '../core/webhooks/subscriptions.js';
import { env } from '../env.js';

const logger = createLogger('webhookFanout');
const store = new WebhookStore(new DynamoDBClient({}), requiredEnv(env.webhookTable));
const deliveries = new WebhookQueue<DeliveryMessage>(
  new SQSClient({}),
  requiredEnv(env.webhookDeliveryQueue),
);
const fanoutRule = new SubscriptionRule(new EventBridgeClient({}), requiredEnv(env.webhookSubscriptionsRule));
/** Invoked for a type nobody subscribes to: the rule is wider than it should be (a deploy reset it). */
const RULE_SYNC_INTERVAL_MS = 60_000;
let ruleSyncedAt = Number.NEGATIVE_INFINITY;

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
  const all = await store.subscriptions();
  if (!all.some((s) => s.eventTypes.includes(type))) await narrowRule(all.flatMap((s) => s.eventTypes));
  const subscribers = all.filter((s) => {
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

/**
 * A deploy puts the rule back to its widest pattern (wiring.ts), and the subscriptions handler narrows it only
 * when a subscription changes: the first event nobody wants narrows it again, at most once a minute per
 * container. Best effort: a failure only leaves the rule wide (more invocations, nothing lost).
 */
async function narrowRule(seen: string[]): Promise<void> {
  if (Date.now() - ruleSyncedAt < RULE_SYNC_INTERVAL_MS) return;
  ruleSyncedAt = Date.now();
  let first = true;
  await fanoutRule
    .sync(async () => {
      if (first) {
        first = false;
        return seen;
      }
      return (await store.subscriptions()).flatMap((s) => s.eventTypes);
    })
    .catch((error: unknown) => logger.warn('fan-out rule not narrowed', { error }));
}

/** The exception about a dead delivery to a subscription is not sent to that same subscription (no loop). */
function isOwnDeadLetter(envelope: EventEnvelope, subscriptionId: string): boolean {
  const key = (envelope.data as { key?: unknown } | undefined)?.key;
  return (
    envelope.type === 'ExceptionOpened' &&
    typeof key === 'string' &&
    key.startsWith(`webhook-delivery:${subscriptionId}:`)
  );
}
