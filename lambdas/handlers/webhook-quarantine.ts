import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AuditLog } from '../adapters/dynamodb/audit-log.js';
import { requiredEnv } from '../adapters/environment.js';
import {
  header,
  jsonResponse,
  parseJsonBody,
  RequestRejected,
  rejectionResponse,
} from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { callerPrincipal, notEntitled } from '../adapters/partners/registry.js';
import { type InboundMessage, WebhookQueue } from '../adapters/webhooks/queues.js';
import { WebhookStore } from '../adapters/webhooks/webhook-store.js';
import { auditStreams } from '../core/audit.js';
import { mayRead } from '../core/partners.js';
import { claimedFacility, WebhookReplayRequest } from '../core/webhooks/quarantine.js';
import { env } from '../env.js';

const logger = createLogger('webhookQuarantine');
const dynamodb = new DynamoDBClient({});
const store = new WebhookStore(dynamodb, requiredEnv(env.webhookTable));
const auditLog = new AuditLog(dynamodb, requiredEnv(env.auditTable));
const inbound = new WebhookQueue<InboundMessage>(new SQSClient({}), requiredEnv(env.inboundWebhookQueue));

/**
 * `GET /v1/webhooks/quarantine`: inbound payloads a known source sent that could not be mapped (with why).
 * `POST /v1/webhooks/quarantine/{source}/{deliveryId}/replay`: after the mapping is fixed (a deploy) — or with a
 * corrected body — put the receipt back through the processor. Bodies are never returned (they may hold PHI).
 */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    const principal = callerPrincipal(event);
    const operator = principal.clientId;
    if (event.httpMethod === 'GET') {
      // Only deliveries of the caller's facilities (docs/security.md#webhooks); those naming none: all-facility.
      const items = (await store.quarantined(200)).filter((item) => mayRead(principal, item.facilityId));
      return jsonResponse(200, { items });
    }
    const source = event.pathParameters?.source ?? '';
    const deliveryId = event.pathParameters?.deliveryId ?? '';
    const request =
      event.body && header(event, 'Content-Type') ? parseJsonBody(event, WebhookReplayRequest) : {};
    const notFound = new RequestRejected(
      problem(ProblemType.notFound, 404, 'Not found', `No quarantined webhook ${source}/${deliveryId}.`),
    );
    // Another facility's delivery answers exactly as an unknown one.
    const receipt = await store.getReceipt(source, deliveryId);
    if (!receipt || receipt.status !== 'quarantined' || !mayRead(principal, receipt.facilityId))
      throw notFound;
    // A corrected body may not move the delivery to a facility the caller does not act for.
    if (request.correctedBody !== undefined) {
      const corrected = claimedFacility(request.correctedBody);
      if (!mayRead(principal, corrected))
        throw notEntitled(
          corrected
            ? `This client does not act for facility ${corrected}.`
            : 'A corrected body that names no facility needs an all-facility client.',
        );
    }
    const reopened = await store.reopenReceipt(source, deliveryId, request.correctedBody);
    if (!reopened) throw notFound;
    await inbound.send({ source, deliveryId }, { source, replayedBy: operator });
    // Who replayed what, and whether with a body of their own: a line of the delivery's audit stream.
    await auditLog.append(auditStreams.webhook(source, deliveryId), {
      at: new Date().toISOString(),
      action: 'replayed',
      actor: operator,
      note: request.correctedBody === undefined ? 'replayed as received' : 'replayed with a corrected body',
    });
    logger.info('quarantined webhook replayed', { source, corrected: request.correctedBody !== undefined });
    return jsonResponse(202, { status: 'replaying', source, deliveryId });
  } catch (error) {
    const rejected = rejectionResponse(error);
    if (rejected) return rejected;
    logger.error('quarantine request failed', { error: error as Error });
    return problemResponse(
      problem(ProblemType.unavailable, 503, 'Service unavailable', 'Try again shortly.'),
      {
        'Retry-After': '2',
      },
    );
  }
};
