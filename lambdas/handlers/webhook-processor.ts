import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { createLogger } from '../adapters/observability.js';
import { OdooClient } from '../adapters/odoo/client.js';
import { OdooConnectionSecret } from '../adapters/secrets/odoo-connection.js';
import { readOdooRecord } from '../adapters/webhooks/odoo-records.js';
import { type InboundMessage, WebhookQueue } from '../adapters/webhooks/queues.js';
import { type Receipt, WebhookStore } from '../adapters/webhooks/webhook-store.js';
import type { EventEnvelope } from '../core/envelope.js';
import { deterministicEventId } from '../core/event-id.js';
import { claimedFacility } from '../core/webhooks/quarantine.js';
import {
  type Mapping,
  mapClearinghouse,
  mapGateway,
  mapOdooRecord,
  parseOdooHint,
  WEBHOOK_EVENT_SOURCE,
} from '../core/webhooks/sources.js';
import { env } from '../env.js';
import { acceptEvents } from './intake/accept-events.js';

const logger = createLogger('webhookProcessor');
const dynamodb = new DynamoDBClient({});
const webhooks = new WebhookStore(dynamodb, requiredEnv(env.webhookTable));
const workflows = new WorkflowStore(dynamodb, requiredEnv(env.workflowTable));
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));
const odooSecret = new OdooConnectionSecret(requiredEnv(env.odooSecret));
const inbound = new WebhookQueue<InboundMessage>(new SQSClient({}), requiredEnv(env.inboundWebhookQueue));
/** Odoo fires before commit: a record not visible yet is looked up again on the next receives. */
const RECORD_NOT_VISIBLE_RETRIES = 3;

let cachedOdoo: { key: string; client: OdooClient } | undefined;
async function odoo(): Promise<OdooClient> {
  const connection = await odooSecret.load();
  const key = JSON.stringify(connection);
  if (cachedOdoo?.key !== key) cachedOdoo = { key, client: new OdooClient(connection) };
  return cachedOdoo.client;
}

class NotVisibleYet extends Error {}

const processor = new BatchProcessor(EventType.SQS);

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, processRecord, processor, { context });

async function processRecord(record: SQSRecord): Promise<void> {
  let message: InboundMessage;
  try {
    message = JSON.parse(record.body) as InboundMessage;
  } catch {
    logger.error('unreadable inbound webhook message; dropped (the receipt stays in the table)', {
      messageId: record.messageId,
    });
    return;
  }
  const receipt = await webhooks.getReceipt(message.source, message.deliveryId);
  if (!receipt || receipt.status !== 'received') return; // unknown, or already settled: a duplicate message
  const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
  let mapping: Mapping;
  try {
    mapping = await map(receipt, receives);
  } catch (error) {
    if (error instanceof NotVisibleYet) {
      // Odoo fires before its commit: look again shortly rather than after the queue's visibility timeout.
      await inbound.retryIn(record.receiptHandle, 2 * receives);
      logger.info('Odoo record not visible yet; looked up again shortly', { deliveryId: receipt.deliveryId });
    }
    throw error;
  }
  await settle(receipt, mapping);
}

async function map(receipt: Receipt, receives: number): Promise<Mapping> {
  switch (receipt.source) {
    case 'clearinghouse':
      return mapClearinghouse(receipt.rawBody);
    case 'gateway':
      return mapGateway(receipt.rawBody);
    case 'odoo': {
      const hint = parseOdooHint(receipt.rawBody);
      if (!('ok' in hint)) return hint;
      const found = await readOdooRecord(await odoo(), hint.hint);
      if (!found && receives < RECORD_NOT_VISIBLE_RETRIES) throw new NotVisibleYet();
      return mapOdooRecord(found);
    }
  }
}

async function settle(receipt: Receipt, mapping: Mapping): Promise<void> {
  const { source, deliveryId } = receipt;
  const correlationId = `webhook:${source}:${deliveryId}`.slice(0, 128);
  if (mapping.kind === 'events') {
    const accepted = await acceptEvents(
      { store: workflows, publisher },
      {
        clientId: `webhook:${source}`,
        idempotencyKey: mapping.businessKey,
        correlationId,
        source: WEBHOOK_EVENT_SOURCE,
        events: mapping.events,
      },
    );
    await webhooks.settleReceipt(source, deliveryId, {
      status: 'accepted',
      eventIds: accepted.map((e) => e.id),
    });
    logger.info('webhook accepted as events', { source, types: accepted.map((e) => e.type) });
    return;
  }
  if (mapping.kind === 'ignored') {
    await webhooks.settleReceipt(source, deliveryId, { status: 'ignored', reason: mapping.reason });
    logger.info('webhook ignored', { source, reason: mapping.reason });
    return;
  }
  // Quarantine: the body stays in the (encrypted) receipt; a person fixes the mapping and replays it. The
  // facility the payload names decides who sees it (docs/security.md#webhooks): its people, and the exception.
  const key = `webhook:${source}:${deliveryId}`;
  const facilityId = claimedFacility(receipt.rawBody);
  const exception: EventEnvelope = {
    id: deterministicEventId('ExceptionOpened', key),
    type: 'ExceptionOpened',
    version: 1,
    source: WEBHOOK_EVENT_SOURCE,
    time: new Date().toISOString(),
    correlationId,
    idempotencyKey: key,
    clientId: `webhook:${source}`,
    ...(facilityId ? { facilityId } : {}),
    partitionKey: key,
    data: {
      key,
      team: 'integration',
      reason: `webhook from ${source} quarantined (delivery ${deliveryId}): ${mapping.reason}`.slice(0, 1000),
      amountCents: 0,
      sourceEventId: deterministicEventId('WebhookReceipt', key),
    },
  };
  // The exception first: a crash before the receipt is settled repeats both (same exception id), never neither.
  await publisher.publish(exception);
  await webhooks.settleReceipt(source, deliveryId, {
    status: 'quarantined',
    reason: mapping.reason,
    ...(facilityId ? { facilityId } : {}),
  });
  logger.warn('webhook quarantined', { source, deliveryId, reason: mapping.reason });
}
