/**
 * Contracts of the webhook routes (docs/webhooks.md): the signed inbound endpoint, subscriptions and their
 * delivery log, and the quarantine. Response schemas mirror lambdas/handlers/{webhook-receiver,subscriptions,
 * webhook-quarantine}.ts.
 */
import { z } from 'zod';
import { MAX_BODY_BYTES } from '../../lambdas/adapters/http/api-request.js';
import { ProblemType } from '../../lambdas/adapters/http/problem.js';
import { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER } from '../../lambdas/core/webhooks/signature.js';
import { WEBHOOK_SOURCES } from '../../lambdas/core/webhooks/sources.js';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../lambdas/core/webhooks/subscriptions.js';
import type { ErrorCase, OperationContract, Samples } from './operations.js';

export const WebhookAccepted = z
  .object({
    status: z.enum(['accepted', 'duplicate']),
    deliveryId: z.string(),
    outcome: z
      .enum(['accepted', 'ignored', 'quarantined'])
      .optional()
      .meta({ description: 'For a duplicate already processed: what became of the first copy' }),
  })
  .meta({ id: 'WebhookAccepted' });

export const SubscriptionView = z
  .object({
    id: z.string(),
    clientId: z.string(),
    url: z.string(),
    eventTypes: z.array(z.enum(SUBSCRIBABLE_EVENT_TYPES)),
    description: z.string().optional(),
    createdAt: z.string(),
  })
  .meta({ id: 'Subscription' });

export const SubscriptionCreated = SubscriptionView.extend({
  secret: z.string().meta({ description: 'Signing secret (whsec_…); shown only in this answer' }),
}).meta({ id: 'SubscriptionCreated' });

export const SubscriptionList = z
  .object({ items: z.array(SubscriptionView) })
  .meta({ id: 'SubscriptionList' });

export const SubscriptionDeleted = z
  .object({ id: z.string(), status: z.literal('deleted') })
  .meta({ id: 'SubscriptionDeleted' });

const DeliveryAttempt = z.object({
  at: z.string(),
  statusCode: z.number().int().optional(),
  latencyMs: z.number().int(),
  error: z.string().optional(),
});

export const DeliveryLog = z
  .object({
    items: z.array(
      z.object({
        eventId: z.string(),
        eventType: z.string(),
        status: z.enum(['pending', 'retrying', 'delivered', 'dead']),
        attemptCount: z.number().int(),
        lastStatusCode: z.number().int().optional(),
        createdAt: z.string(),
        deliveredAt: z.string().optional(),
        nextAttemptAt: z.string().optional(),
        reason: z.string().optional(),
        attempts: z.array(DeliveryAttempt).meta({ description: 'The last 20 attempts, oldest first' }),
      }),
    ),
  })
  .meta({ id: 'DeliveryLog' });

export const QuarantineList = z
  .object({
    items: z.array(
      z.object({
        source: z.string(),
        deliveryId: z.string(),
        reason: z.string(),
        quarantinedAt: z.string(),
        facilityId: z.string().optional().meta({
          description: 'The facility the payload names; only its people (and all-facility clients) see it',
        }),
      }),
    ),
  })
  .meta({ id: 'QuarantineList' });

export const ReplayAccepted = z
  .object({ status: z.literal('replaying'), source: z.string(), deliveryId: z.string() })
  .meta({ id: 'ReplayAccepted' });

const SUBSCRIPTION_ID = 'b4f7c0de-5a1e-4c6b-9f3d-2e8a7c1b0d95';

const SubscriptionIdSchema = z.string().meta({ id: 'SubscriptionId', example: SUBSCRIPTION_ID });
const WebhookSourceSchema = z.enum(WEBHOOK_SOURCES).meta({ id: 'WebhookSource', example: 'gateway' });
const DeliveryIdSchema = z
  .string()
  .meta({ id: 'WebhookDeliveryId', description: "The sender's delivery id (Odoo: derived by the hub)" });
const CREATED_AT = '2026-11-01T09:00:00.000Z';

function subscriptionExample(s: Samples) {
  const request = s.requests.createSubscription as { url: string; eventTypes: string[]; description: string };
  return {
    id: SUBSCRIPTION_ID,
    clientId: '7p2billing0partner0id0a1x',
    url: request.url,
    eventTypes: request.eventTypes,
    description: request.description,
    createdAt: CREATED_AT,
  };
}

const subscriptionIdParam = {
  subscriptionId: {
    schema: SubscriptionIdSchema,
    description: 'The id POST /v1/subscriptions answered',
    example: SUBSCRIPTION_ID,
  },
};

const notFound = (what: string): ErrorCase => ({
  status: 404,
  type: ProblemType.notFound,
  title: 'Not found',
  when: `no ${what} with this id belongs to the calling client`,
  detail: `No subscription ${SUBSCRIPTION_ID}.`,
  by: 'handler',
});

const unavailable: ErrorCase = {
  status: 503,
  type: ProblemType.unavailable,
  title: 'Service unavailable',
  when: 'the webhook table did not answer; retry',
  detail: 'Try again shortly.',
  retryAfter: 2,
  by: 'handler',
};

const refused = (
  status: number,
  type: ErrorCase['type'],
  title: string,
  when: string,
  detail: string,
): ErrorCase => ({
  status,
  type,
  title,
  when,
  detail,
  by: 'handler',
});

export const webhookContracts: Record<string, OperationContract> = {
  receiveWebhook: {
    description: `Authenticated by the handler, not OAuth: clearinghouse and gateway sign with ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> (±${DEFAULT_TOLERANCE_SECONDS} s; two active secrets per source); Odoo adds ?token=<secret> to the URL. Deduplicated by Rcm-Delivery-Id (or the body's id); the payload is mapped after the answer, never before. Sources: ${WEBHOOK_SOURCES.join(', ')}. docs/webhooks.md.`,
    success: {
      description:
        'Stored and queued: it will be mapped to business events, ignored with a reason, or quarantined',
      schema: WebhookAccepted,
      example: () => ({ status: 'accepted', deliveryId: 'evt_3QyEXAMPLEdelivery' }),
      headers: [],
    },
    otherResponses: [
      {
        status: 200,
        description: 'The same delivery id again (the sender retried): nothing new is stored',
        schema: WebhookAccepted,
        example: () => ({ status: 'duplicate', deliveryId: 'evt_3QyEXAMPLEdelivery', outcome: 'accepted' }),
      },
    ],
    correlationHeader: false,
    pathParams: {
      source: {
        schema: WebhookSourceSchema,
        description:
          'Who sends: clearinghouse, gateway or odoo (an unknown source is 401, like a bad signature)',
        example: 'gateway',
      },
    },
    errors: [
      refused(
        400,
        ProblemType.validation,
        'Invalid webhook',
        `the ${SIGNATURE_HEADER} header is missing or malformed, its timestamp is outside the tolerance window, or no delivery id was sent`,
        `The signature timestamp is outside the ${DEFAULT_TOLERANCE_SECONDS} s tolerance window.`,
      ),
      refused(
        401,
        ProblemType.unauthorized,
        'Unauthorized',
        'unknown or unconfigured source, wrong signature, wrong or missing Odoo token: nothing is stored',
        'Unknown webhook source or invalid credentials.',
      ),
      refused(
        413,
        ProblemType.payloadTooLarge,
        'Payload too large',
        `the body exceeds ${MAX_BODY_BYTES / 1024} KB`,
        `The limit is ${MAX_BODY_BYTES} bytes.`,
      ),
      {
        status: 503,
        type: ProblemType.unavailable,
        title: 'Not accepted',
        when: 'the receipt could not be stored or queued; retry with the same delivery id',
        detail: 'The webhook could not be stored; nothing was accepted. Retry with the same delivery id.',
        retryAfter: 5,
        by: 'handler',
      },
    ],
  },
  createSubscription: {
    description:
      'Deliveries are POSTs of the event envelope, signed like inbound webhooks with this secret (Rcm-Signature), carrying Rcm-Delivery-Id = event id for dedupe; non-2xx answers are retried with exponential backoff and jitter for 24 h, then dead-lettered with an ExceptionOpened.',
    success: {
      description: 'The subscription, with its signing secret (shown only here)',
      schema: SubscriptionCreated,
      example: (s) => ({ ...subscriptionExample(s), secret: 'whsec_EXAMPLEonlyNotARealSecret0000000000000' }),
      headers: [],
    },
    correlationHeader: false,
    errors: [
      {
        status: 400,
        type: ProblemType.validation,
        title: 'Validation failed',
        when: 'the URL is not https (plain http only to loopback in the local stage) or carries credentials',
        detail: 'The subscription is not valid.',
        by: 'handler',
        errors: [{ path: '/url', message: 'must be https' }],
      },
      unavailable,
    ],
    requestRules: ['url: https only, no credentials or fragment (loopback http allowed in the local stage)'],
  },
  listSubscriptions: {
    description: "The calling client's subscriptions; secrets are never returned.",
    success: {
      description: 'Subscriptions of the calling client',
      schema: SubscriptionList,
      example: (s) => ({ items: [subscriptionExample(s)] }),
      headers: [],
    },
    correlationHeader: false,
    errors: [unavailable],
  },
  getSubscription: {
    description: 'One subscription of the calling client; its secret is never returned.',
    success: {
      description: 'The subscription',
      schema: SubscriptionView,
      example: (s) => subscriptionExample(s),
      headers: [],
    },
    correlationHeader: false,
    pathParams: subscriptionIdParam,
    errors: [notFound('subscription'), unavailable],
  },
  deleteSubscription: {
    description: 'Deliveries not yet made are dropped; the delivery log is kept.',
    success: {
      description: 'Deleted',
      schema: SubscriptionDeleted,
      example: () => ({ id: SUBSCRIPTION_ID, status: 'deleted' }),
      headers: [],
    },
    correlationHeader: false,
    pathParams: subscriptionIdParam,
    errors: [notFound('subscription'), unavailable],
  },
  listSubscriptionDeliveries: {
    description:
      'Newest first: per event, its status (pending, retrying, delivered, dead), attempts with status code and latency, the next attempt and why a delivery died.',
    success: {
      description: 'The delivery log',
      schema: DeliveryLog,
      example: (s) => ({
        items: [
          {
            eventId: s.events.PaymentPosted.id,
            eventType: 'PaymentPosted',
            status: 'delivered',
            attemptCount: 3,
            lastStatusCode: 200,
            createdAt: '2026-11-20T20:03:30.402Z',
            deliveredAt: '2026-11-20T20:05:12.977Z',
            attempts: [
              { at: '2026-11-20T20:03:30.511Z', statusCode: 500, latencyMs: 84 },
              { at: '2026-11-20T20:04:02.190Z', error: 'timed out after 5000 ms', latencyMs: 5001 },
              { at: '2026-11-20T20:05:12.977Z', statusCode: 200, latencyMs: 61 },
            ],
          },
        ],
      }),
      headers: [],
    },
    correlationHeader: false,
    pathParams: subscriptionIdParam,
    query: {
      schema: z.object({ limit: z.string().optional().meta({ description: '1-500, default 100' }) }),
      example: { limit: '50' },
    },
    errors: [notFound('subscription'), unavailable],
  },
  listQuarantinedWebhooks: {
    description:
      'Inbound webhooks a known source signed correctly but the hub could not map, oldest first, with the reason; bodies are never returned (PHI).',
    success: {
      description: 'Quarantined webhooks',
      schema: QuarantineList,
      example: () => ({
        items: [
          {
            source: 'gateway',
            deliveryId: 'evt_3QyDISPUTEexample',
            reason: 'unknown gateway event type "payment.disputed"',
            quarantinedAt: '2026-11-21T08:14:09.311Z',
          },
        ],
      }),
      headers: [],
    },
    correlationHeader: false,
    errors: [unavailable],
  },
  replayQuarantinedWebhook: {
    description:
      'Maps the stored payload again (after a mapping fix), or the corrected body given (the original is kept). Answers 202: the outcome shows on the receipt and, when mapped, in the workflow.',
    success: {
      description: 'Queued for mapping',
      schema: ReplayAccepted,
      example: () => ({ status: 'replaying', source: 'gateway', deliveryId: 'evt_3QyDISPUTEexample' }),
      headers: [],
    },
    correlationHeader: false,
    pathParams: {
      source: { schema: WebhookSourceSchema, description: 'The sender', example: 'gateway' },
      deliveryId: {
        schema: DeliveryIdSchema,
        description: 'The delivery id the quarantine list shows',
        example: 'evt_3QyDISPUTEexample',
      },
    },
    errors: [
      {
        status: 404,
        type: ProblemType.notFound,
        title: 'Not found',
        when: 'no quarantined webhook has this source and delivery id (already replayed?)',
        detail: 'No quarantined webhook gateway/evt_3QyDISPUTEexample.',
        by: 'handler',
      },
      {
        status: 403,
        type: ProblemType.notEntitled,
        title: 'Not entitled',
        when: 'the corrected body names a facility the client does not act for (docs/security.md#webhooks)',
        detail: 'This client does not act for facility FAC-SOUTH.',
        by: 'handler',
      },
      unavailable,
    ],
  },
};
