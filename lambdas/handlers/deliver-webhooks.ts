import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { createLogger, createMetrics } from '../adapters/observability.js';
import { partnerDirectory } from '../adapters/partners/registry.js';
import { type DeliveryMessage, WebhookQueue } from '../adapters/webhooks/queues.js';
import { sendSigned } from '../adapters/webhooks/sender.js';
import { type Delivery, WebhookStore } from '../adapters/webhooks/webhook-store.js';
import type { EventEnvelope } from '../core/envelope.js';
import { deterministicEventId } from '../core/event-id.js';
import { eventVisibleTo } from '../core/partners.js';
import { nextRetry, parseRetryPolicy } from '../core/webhooks/retry.js';
import { WEBHOOK_EVENT_SOURCE } from '../core/webhooks/sources.js';
import { deliveryBody } from '../core/webhooks/subscriptions.js';
import { env } from '../env.js';
import { METRICS } from '../metric-names.js';

const logger = createLogger('deliverWebhooks');
/** Failed attempts and dead deliveries (lambdas/monitoring-alarms.ts WebhookDeliveryFailures). */
const metrics = createMetrics('deliverWebhooks');
const store = new WebhookStore(new DynamoDBClient({}), requiredEnv(env.webhookTable));
const sqs = new SQSClient({});
const queue = new WebhookQueue<DeliveryMessage>(sqs, requiredEnv(env.webhookDeliveryQueue));
const dlq = new WebhookQueue<DeliveryMessage>(sqs, requiredEnv(env.webhookDeliveryDlq));
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));
const policy = parseRetryPolicy(process.env[env.webhookRetryPolicy]);

/** Thrown to leave a message on the queue; its visibility was already set to the backoff delay. */
class RetryLater extends Error {}

const processor = new BatchProcessor(EventType.SQS);

/**
 * Webhook delivery queue consumer. Each message is one event for one subscription: POST it signed; a 2xx is
 * delivered; anything else (or a timeout) is retried with exponential backoff and jitter — by setting the
 * message's visibility timeout to the delay, so SQS holds it — until 24 h after the first attempt, then the
 * message goes to the DLQ with the reason, the log says `dead` and an `ExceptionOpened` is published.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  try {
    return await processPartialResponse(event, deliver, processor, {
      context,
      throwOnFullBatchFailure: false,
    });
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};

async function deliver(record: SQSRecord): Promise<void> {
  const message = JSON.parse(record.body) as DeliveryMessage;
  const [delivery, subscription] = await Promise.all([
    store.getDelivery(message.subscriptionId, message.eventId),
    store.getSubscription(message.subscriptionId),
  ]);
  if (!delivery || delivery.status === 'delivered' || delivery.status === 'dead') return;
  if (!subscription) return; // deleted: pending deliveries are dropped with it
  // Checked again at delivery: a client revoked since the fan-out (or one that may no longer see the
  // event's facility) gets nothing more, retries included (docs/security.md#webhooks).
  const principal = partnerDirectory().principal(subscription.clientId);
  if (!principal || !eventVisibleTo(principal, message.envelope)) {
    logger.info('webhook delivery dropped: subscriber not entitled', { subscriptionId: subscription.id });
    return;
  }

  const body = deliveryBody(message.envelope);
  const result = await sendSigned(subscription.url, subscription.secret, body, {
    eventId: message.eventId,
    eventType: message.envelope.type,
  });
  const attempt = {
    at: new Date().toISOString(),
    ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
    latencyMs: result.latencyMs,
    ...(result.error ? { error: result.error } : {}),
  };
  if (result.ok) {
    await store.recordAttempt(delivery, attempt, { status: 'delivered' });
    logger.info('webhook delivered', {
      subscriptionId: subscription.id,
      eventId: message.eventId,
      attempts: delivery.attemptCount + 1,
    });
    return;
  }
  metrics.addMetric(METRICS.webhookDeliveryFailures, MetricUnit.Count, 1);
  const firstAttemptAt = Date.parse(delivery.firstAttemptAt ?? attempt.at);
  const decision = nextRetry(delivery.attemptCount + 1, firstAttemptAt, Date.now(), policy);
  if (decision.retry) {
    await store.recordAttempt(delivery, attempt, {
      status: 'retrying',
      nextAttemptAt: new Date(Date.now() + decision.delaySeconds * 1000).toISOString(),
    });
    await queue.retryIn(record.receiptHandle, decision.delaySeconds);
    throw new RetryLater(`retry in ${decision.delaySeconds} s`);
  }
  await giveUp(
    message,
    await store.recordAttempt(delivery, attempt, { status: 'dead', reason: decision.reason }),
  );
}

async function giveUp(message: DeliveryMessage, delivery: Delivery): Promise<void> {
  const reason = delivery.reason ?? 'gave up';
  metrics.addMetric(METRICS.webhookDeliveriesDead, MetricUnit.Count, 1);
  await dlq.send(message, {
    failureReason: reason,
    lastStatusCode: String(delivery.lastStatusCode ?? 'none'),
    subscriptionId: delivery.subscriptionId,
  });
  const key = `webhook-delivery:${delivery.subscriptionId}:${delivery.eventId}`;
  const exception: EventEnvelope = {
    id: deterministicEventId('ExceptionOpened', key),
    type: 'ExceptionOpened',
    version: 1,
    source: WEBHOOK_EVENT_SOURCE,
    time: new Date().toISOString(),
    correlationId: String(message.envelope.correlationId ?? key).slice(0, 128),
    idempotencyKey: key,
    clientId: 'webhook:delivery',
    partitionKey: key,
    data: {
      key,
      team: 'integration',
      reason: `webhook ${delivery.eventType} ${delivery.eventId} to subscription ${delivery.subscriptionId} not delivered: ${reason}`,
      amountCents: 0,
      sourceEventId: delivery.eventId,
    },
  };
  await publisher.publish(exception);
  logger.error('webhook dead-lettered', {
    subscriptionId: delivery.subscriptionId,
    eventId: delivery.eventId,
    attempts: delivery.attemptCount,
  });
}
