import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { numberEnv, requiredEnv } from '../adapters/environment.js';
import { header, jsonResponse, MAX_BODY_BYTES } from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { type InboundMessage, WebhookQueue } from '../adapters/webhooks/queues.js';
import { WebhookSourceSecrets } from '../adapters/webhooks/source-secrets.js';
import { type Receipt, WebhookStore } from '../adapters/webhooks/webhook-store.js';
import {
  DEFAULT_TOLERANCE_SECONDS,
  DELIVERY_ID_HEADER,
  matchesAnyToken,
  SIGNATURE_HEADER,
  verifySignature,
} from '../core/webhooks/signature.js';
import {
  bodyDeliveryId,
  isWebhookSource,
  odooDeliveryId,
  parseOdooHint,
  SOURCE_AUTH,
  type WebhookSource,
} from '../core/webhooks/sources.js';
import { env } from '../env.js';

const logger = createLogger('webhookReceiver');
const store = new WebhookStore(new DynamoDBClient({}), requiredEnv(env.webhookTable));
const inbound = new WebhookQueue<InboundMessage>(new SQSClient({}), requiredEnv(env.inboundWebhookQueue));
const sourceSecrets = new WebhookSourceSecrets(requiredEnv(env.webhookSourcesSecret));
const toleranceSeconds = numberEnv(env.webhookToleranceSeconds, DEFAULT_TOLERANCE_SECONDS);

const DELIVERY_ID = /^[\x21-\x7e]{1,128}$/;

/** A refusal: problem+json, nothing stored. Unknown sources and bad signatures look the same (401). */
function refuse(status: 400 | 401 | 413, detail: string): APIGatewayProxyResult {
  const type =
    status === 401
      ? ProblemType.unauthorized
      : status === 413
        ? ProblemType.payloadTooLarge
        : ProblemType.validation;
  const title = status === 401 ? 'Unauthorized' : status === 413 ? 'Payload too large' : 'Invalid webhook';
  return problemResponse(problem(type, status, title, detail));
}

/**
 * `POST /webhooks/{source}`: authenticate (HMAC signature with a tolerance window, or Odoo's URL token), dedupe
 * by the sender's delivery id, store the raw body, queue it, answer 202. Mapping — and, for Odoo, re-reading the
 * record over RPC — happens after the answer (webhook-processor.ts), so senders never wait on Odoo.
 */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    return await receive(event);
  } catch (error) {
    logger.error('webhook not accepted', { error: error as Error });
    return problemResponse(
      problem(
        ProblemType.unavailable,
        503,
        'Not accepted',
        'The webhook could not be stored; nothing was accepted. Retry with the same delivery id.',
      ),
      { 'Retry-After': '5' },
    );
  }
};

async function receive(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const source = event.pathParameters?.source ?? '';
  if (!isWebhookSource(source)) return refuse(401, 'Unknown webhook source or invalid credentials.');
  const raw =
    event.isBase64Encoded && event.body
      ? Buffer.from(event.body, 'base64')
      : Buffer.from(event.body ?? '', 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) return refuse(413, `The limit is ${MAX_BODY_BYTES} bytes.`);
  const secrets = await sourceSecrets.forSource(source);
  if (!secrets?.length) return refuse(401, 'Unknown webhook source or invalid credentials.');

  if (SOURCE_AUTH[source] === 'hmac') {
    const verdict = verifySignature({
      header: header(event, SIGNATURE_HEADER),
      rawBody: raw,
      secrets,
      nowSeconds: Math.floor(Date.now() / 1000),
      toleranceSeconds,
    });
    if (!verdict.ok) {
      logger.warn('webhook refused', { source, reason: verdict.reason });
      if (verdict.reason === 'malformed')
        return refuse(400, `Send ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256>.`);
      if (verdict.reason === 'stale')
        return refuse(400, `The signature timestamp is outside the ${toleranceSeconds} s tolerance window.`);
      return refuse(401, 'Unknown webhook source or invalid credentials.');
    }
  } else if (!matchesAnyToken(secrets, event.queryStringParameters?.token)) {
    logger.warn('webhook refused', { source, reason: 'token' });
    return refuse(401, 'Unknown webhook source or invalid credentials.');
  }

  const body = raw.toString('utf8');
  const deliveryId = deliveryIdOf(event, source, body, raw);
  if (!deliveryId)
    return refuse(
      400,
      `Send a ${DELIVERY_ID_HEADER} header (or an "id" in the body): retries are deduplicated by it.`,
    );

  const receipt: Receipt = {
    source,
    deliveryId,
    receivedAt: new Date().toISOString(),
    status: 'received',
    rawBody: body,
  };
  const stored = await store.putReceipt(receipt);
  if (!stored.created && stored.existing.status !== 'received') {
    return jsonResponse(200, { status: 'duplicate', deliveryId, outcome: stored.existing.status });
  }
  // New, or seen but not processed yet (a crash between store and queue): queue it (again); the processor is
  // idempotent, so a second message for one receipt changes nothing.
  await inbound.send({ source, deliveryId }, { source });
  logger.info('webhook accepted', { source, duplicate: !stored.created });
  return jsonResponse(stored.created ? 202 : 200, {
    status: stored.created ? 'accepted' : 'duplicate',
    deliveryId,
  });
}

function deliveryIdOf(
  event: APIGatewayProxyEvent,
  source: WebhookSource,
  body: string,
  raw: Buffer,
): string | undefined {
  if (source === 'odoo') {
    // Odoo sends no delivery id and no retries; it fires on every write. Same record + same body = same delivery.
    const digest = createHash('sha256').update(raw).digest('hex');
    const hint = parseOdooHint(body);
    return 'ok' in hint ? odooDeliveryId(hint.hint, digest) : `unparsed:${digest.slice(0, 32)}`;
  }
  const supplied = header(event, DELIVERY_ID_HEADER) ?? bodyDeliveryId(body);
  return supplied !== undefined && DELIVERY_ID.test(supplied) ? supplied : undefined;
}
