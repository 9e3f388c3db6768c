import { SUBSCRIBABLE_EVENT_TYPES } from './core/webhooks/subscriptions.js';
import type { EventRoute } from './wiring.js';

/**
 * The WebhookSubscriptions rule of wiring.ts's eventRoutes. Its own module so that the handlers narrowing it at
 * run time (subscriptions, webhookFanout: adapters/eventbridge/subscription-rule.ts) read it without bundling the
 * route table and every schema behind it (issue 16, docs/benchmarks.md).
 */
export const webhookSubscriptionsRoute: EventRoute = {
  name: 'WebhookSubscriptions',
  description: 'Business events partners subscribe to, fanned out to their webhook subscriptions',
  pattern: { 'detail-type': [...SUBSCRIBABLE_EVENT_TYPES] },
  target: { handler: 'webhookFanout' },
  // Without this, webhookFanout ran for every business event (4.4 per encounter) to find no subscription.
  narrowedToSubscribedTypes: true,
};

/** The event routes narrowed at run time to the subscribed event types (today this one). */
export const narrowedEventRoutes: readonly EventRoute[] = [webhookSubscriptionsRoute];
