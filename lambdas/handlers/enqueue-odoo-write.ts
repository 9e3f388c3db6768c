import { SQSClient } from '@aws-sdk/client-sqs';
import type { EventBridgeEvent } from 'aws-lambda';
import { requiredEnv } from '../adapters/environment.js';
import { createLogger } from '../adapters/observability.js';
import { OdooWriteQueue } from '../adapters/sqs/odoo-write-queue.js';
import type { EventEnvelope } from '../core/envelope.js';
import { env } from '../env.js';

const logger = createLogger('enqueueOdooWrite');
const queue = new OdooWriteQueue(new SQSClient({}), requiredEnv(env.odooWriteQueue));

/**
 * Bus rule target. EventBridge cannot derive a FIFO MessageGroupId from the event, so this function does:
 * group = encounter (ordered per encounter), dedup id = our event id. A throw makes EventBridge retry
 * (24 h, then the rule's DLQ).
 */
export const handler = async (event: EventBridgeEvent<string, EventEnvelope>): Promise<void> => {
  await queue.enqueue(event.detail);
  // DEBUG: a line per event (about 280 bytes) that the timeline and the queue's metrics already tell; a
  // failure still logs, through the throw (docs/cost.md).
  logger.debug('queued for Odoo', {
    eventId: event.detail.id,
    type: event.detail.type,
    correlationId: event.detail.correlationId,
  });
};
